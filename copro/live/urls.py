from django.urls import path

from copro.live import views

app_name = "live"

L = "p/<slug:slug>/meetings/<int:meeting_id>/live/"

urlpatterns = [
    path(L, views.feed, name="feed"),
    path(L + "entries/", views.entries, name="entries"),
    path(L + "present/", views.present, name="present"),
    path(L + "post/", views.post, name="post"),
    path(L + "entries/<int:entry_id>/", views.entry_edit, name="entry_edit"),
    path(L + "entries/<int:entry_id>/withdraw/", views.entry_withdraw, name="entry_withdraw"),
    path(L + "entries/<int:entry_id>/photo/", views.photo, name="photo"),
    path(L + "start/", views.start, name="start"),
    path(L + "end/", views.end, name="end"),
    path(L + "questions/pause/", views.questions_toggle, name="questions_toggle"),
    path(L + "reporters/", views.reporters, name="reporters"),
    path(L + "ask/", views.ask, name="ask"),
    path(L + "moderate/", views.moderate, name="moderate"),
    path(L + "questions/<int:question_id>/", views.question, name="question"),
    path(L + "questions/<int:question_id>/like/", views.like, name="like"),
    path(L + "questions/<int:question_id>/moderate/", views.question_moderate, name="question_moderate"),
]
