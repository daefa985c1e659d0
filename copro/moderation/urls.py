from django.urls import path

from copro.moderation import views

app_name = "moderation"

ITEM = "p/<slug:slug>/moderation/<slug:kind>/<int:object_id>/"

urlpatterns = [
    path("p/<slug:slug>/moderation/", views.queue, name="queue"),
    path("p/<slug:slug>/moderation/rules/", views.rules, name="rules"),
    path(ITEM + "report/", views.report, name="report"),
    path(ITEM + "hide/", views.hide, name="hide"),
    path(ITEM + "keep/", views.keep, name="keep"),
    path(ITEM + "unhide/", views.unhide, name="unhide"),
]
