from django.urls import path

from copro.projects import views

app_name = "projects"

urlpatterns = [
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("projects/new/", views.project_create, name="create"),
    path("invitations/<slug:token>/", views.invitation, name="invitation"),
    path("p/<slug:slug>/", views.project_detail, name="detail"),
    path("p/<slug:slug>/edit/", views.project_edit, name="edit"),
    path("p/<slug:slug>/scope/", views.scope, name="scope"),
    path("p/<slug:slug>/scope/<int:change_id>/respond/", views.scope_respond, name="scope_respond"),
    path("p/<slug:slug>/scope/<int:change_id>/close/", views.scope_close, name="scope_close"),
    path("p/<slug:slug>/timeline/", views.timeline, name="timeline"),
    path("p/<slug:slug>/timeline/<int:phase_id>/remove/", views.phase_remove, name="phase_remove"),
    path("p/<slug:slug>/decision-rules/", views.decision_rules, name="decision_rules"),
    path("p/<slug:slug>/engagement/", views.engagement, name="engagement"),
    path("p/<slug:slug>/kind-of-problem/", views.cynefin, name="cynefin"),
    path("p/<slug:slug>/steps/", views.steps, name="steps"),
    path("p/<slug:slug>/members/", views.members, name="members"),
    path("p/<slug:slug>/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path(
        "p/<slug:slug>/members/invitations/<int:invitation_id>/withdraw/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("p/<slug:slug>/leave/", views.leave, name="leave"),
    path("p/<slug:slug>/activity/", views.activity_page, name="activity"),
    path("p/<slug:slug>/audit/", views.audit, name="audit"),
    path("p/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("p/<slug:slug>/export/<slug:name>.<str:fmt>", views.export, name="export"),
]
