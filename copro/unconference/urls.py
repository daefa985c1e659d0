from django.urls import path

from copro.unconference import views

app_name = "unconference"

OS = "p/<slug:slug>/meetings/<int:meeting_id>/open-space/"
S = OS + "sessions/<int:session_id>/"

urlpatterns = [
    path(OS, views.sessions, name="sessions"),
    path(OS + "set-up/", views.set_up, name="set_up"),
    path(OS + "propose/", views.propose, name="propose"),
    path(OS + "enter/", views.enter, name="enter"),
    path(OS + "board/", views.board, name="board"),
    path(S, views.session_detail, name="session"),
    path(S + "edit/", views.session_edit, name="session_edit"),
    path(S + "withdraw/", views.session_withdraw, name="withdraw"),
    path(S + "mark/", views.mark, name="mark"),
    path(S + "hosts/", views.host_add, name="host_add"),
    path(S + "hosts/remove/", views.host_remove, name="host_remove"),
    path(S + "hosts/answer/", views.host_answer, name="host_answer"),
    path(OS + "manage/", views.manage, name="manage"),
    path(OS + "manage/settings/", views.settings_save, name="settings"),
    path(OS + "manage/rooms/", views.room_add, name="room_add"),
    path(OS + "manage/rooms/<int:room_id>/", views.room_edit, name="room_edit"),
    path(OS + "manage/rooms/<int:room_id>/remove/", views.room_remove, name="room_remove"),
    path(OS + "manage/slots/", views.slot_add, name="slot_add"),
    path(OS + "manage/slots/<int:slot_id>/", views.slot_edit, name="slot_edit"),
    path(OS + "manage/slots/<int:slot_id>/remove/", views.slot_remove, name="slot_remove"),
    path(OS + "schedule/", views.schedule, name="schedule"),
    path(OS + "schedule/build/", views.build, name="build"),
    path(OS + "schedule/place/", views.place, name="place"),
    path(OS + "schedule/swap/", views.swap, name="swap"),
    path(OS + "schedule/take-out/", views.unplace, name="unplace"),
    path(OS + "schedule/pin/", views.pin, name="pin"),
    path(OS + "schedule/publish/", views.publish, name="publish"),
]
