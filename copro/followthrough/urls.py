from django.urls import path

from copro.followthrough import views

app_name = "followthrough"

Y = "p/<slug:slug>/you-said-we-did/"
C = Y + "<int:commitment_id>/"
M = C + "milestones/<int:milestone_id>/"
F = "p/<slug:slug>/feedback/"

urlpatterns = [
    path(Y, views.yswd, name="yswd"),
    path(Y + "new/", views.commitment_create, name="commitment_create"),
    path(C, views.commitment_detail, name="commitment"),
    path(C + "edit/", views.commitment_edit, name="commitment_edit"),
    path(C + "update/", views.commitment_update, name="commitment_update"),
    path(C + "link/", views.commitment_link, name="commitment_link"),
    path(C + "milestones/", views.milestone_add, name="milestone_add"),
    path(M + "edit/", views.milestone_edit, name="milestone_edit"),
    path(M + "tick/", views.milestone_tick, name="milestone_tick"),
    path(M + "move/", views.milestone_move, name="milestone_move"),
    path(M + "remove/", views.milestone_remove, name="milestone_remove"),
    path(F, views.feedback_give, name="feedback_give"),
    path(F + "thanks/", views.feedback_thanks, name="feedback_thanks"),
    path(F + "enter/", views.feedback_enter, name="feedback_enter"),
    path(F + "mine/", views.feedback_mine, name="feedback_mine"),
    path(F + "received/", views.feedback_list, name="feedback_list"),
    path(F + "settings/", views.feedback_settings, name="feedback_settings"),
    path(F + "<int:feedback_id>/", views.feedback_detail, name="feedback_detail"),
    path(F + "<int:feedback_id>/triage/", views.feedback_triage, name="feedback_triage"),
    path(F + "<int:feedback_id>/share/", views.feedback_share, name="feedback_share"),
    path(F + "<int:feedback_id>/withdraw/", views.feedback_withdraw, name="feedback_withdraw"),
    path("followthrough/stop/<str:token>/", views.stop, name="stop"),
]
