from django.urls import path

from copro.meetings import views

app_name = "meetings"

P = "p/<slug:slug>/meetings/"
M = P + "<int:meeting_id>/"
T = M + "teams/<int:team_id>/"

urlpatterns = [
    path(P, views.meeting_list, name="list"),
    path(P + "new/", views.meeting_create, name="create"),
    path(P + "calendar/", views.calendar, name="calendar"),
    path(P + "calendar.ics", views.calendar_ics, name="calendar_ics"),
    path(P + "calendar/new-address/", views.calendar_new_address, name="calendar_new_address"),
    path(M, views.meeting_detail, name="detail"),
    path(M + "meeting.ics", views.meeting_ics, name="ics"),
    path(M + "edit/", views.meeting_edit, name="edit"),
    path(M + "publish/", views.meeting_publish, name="publish"),
    path(M + "cancel/", views.meeting_cancel, name="cancel"),
    path(M + "agenda/", views.agenda, name="agenda"),
    path(M + "agenda/<int:item_id>/edit/", views.agenda_item_edit, name="agenda_edit"),
    path(M + "agenda/<int:item_id>/move/", views.agenda_item_move, name="agenda_move"),
    path(M + "agenda/<int:item_id>/remove/", views.agenda_item_remove, name="agenda_remove"),
    path(M + "register/", views.register, name="register"),
    path(M + "register/cancel/", views.unregister, name="unregister"),
    path(M + "registrations/", views.registrations, name="registrations"),
    path(M + "registrations/new/", views.register_someone, name="register_someone"),
    path(M + "registrations/<int:registration_id>/needs-met/", views.needs_met, name="needs_met"),
    path(M + "registrations/<int:registration_id>/cancel/", views.registration_cancel, name="registration_cancel"),
    path(M + "attendance/", views.attendance, name="attendance"),
    path(M + "minutes/", views.minutes, name="minutes"),
    path(M + "actions/", views.actions, name="actions"),
    path(M + "actions/<int:action_id>/edit/", views.action_edit, name="action_edit"),
    path(M + "actions/<int:action_id>/status/", views.action_status, name="action_status"),
    path(M + "teams/", views.teams, name="teams"),
    path(M + "teams/suggest/", views.teams_suggest, name="teams_suggest"),
    path(M + "teams/move/", views.team_move, name="team_move"),
    path(T, views.team_detail, name="team"),
    path(T + "join/", views.team_join, name="team_join"),
    path(T + "leave/", views.team_leave, name="team_leave"),
    path(T + "rename/", views.team_rename, name="team_rename"),
    path(T + "remove/", views.team_remove, name="team_remove"),
    path(T + "idea/", views.team_idea, name="team_idea"),
]
