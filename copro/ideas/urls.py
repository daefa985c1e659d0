from django.urls import path

from copro.ideas import views

app_name = "ideas"

B = "p/<slug:slug>/ideas/"
I = B + "<int:idea_id>/"  # noqa: E741 - one idea
R = B + "reviews/<int:round_id>/"

urlpatterns = [
    path(B, views.idea_list, name="list"),
    path(B + "new/", views.idea_create, name="create"),
    path(B + "enter/", views.idea_enter, name="enter"),
    path(B + "settings/", views.space_settings, name="settings"),
    path(I, views.idea_detail, name="detail"),
    path(I + "revise/", views.idea_revise, name="revise"),
    path(I + "versions/<int:number>/", views.idea_version, name="version"),
    path(I + "support/", views.idea_support, name="support"),
    path(I + "comments/", views.comment_add, name="comment"),
    path(I + "co-authors/", views.co_author_add, name="co_author_add"),
    path(I + "co-authors/leave/", views.co_author_leave, name="co_author_leave"),
    path(I + "files/", views.attachment_add, name="attachment_add"),
    path(I + "files/<int:attachment_id>/", views.attachment, name="attachment"),
    path(I + "files/<int:attachment_id>/remove/", views.attachment_remove, name="attachment_remove"),
    path(I + "status/", views.idea_status, name="status"),
    path(I + "merge/", views.idea_merge, name="merge"),
    path(I + "split/", views.idea_split, name="split"),
    path(B + "reviews/", views.round_list, name="rounds"),
    path(B + "reviews/new/", views.round_create, name="round_create"),
    path(R, views.round_detail, name="round"),
    path(R + "edit/", views.round_edit, name="round_edit"),
    path(R + "reviewers/", views.round_invite, name="round_invite"),
    path(R + "reviewers/<int:reviewer_id>/remove/", views.reviewer_remove, name="reviewer_remove"),
    path(R + "open/", views.round_open, name="round_open"),
    path(R + "close/", views.round_close, name="round_close"),
    path(R + "ideas/<int:idea_id>/review/", views.review, name="review"),
    path(R + "ideas/<int:idea_id>/results/", views.results, name="results"),
    path(R + "ideas/<int:idea_id>/respond/", views.respond, name="respond"),
]
