from django.urls import path

from copro.decisions import views

app_name = "decisions"

D = "p/<slug:slug>/decisions/<int:decision_id>/"

urlpatterns = [
    path("p/<slug:slug>/decisions/", views.decision_list, name="list"),
    path("p/<slug:slug>/decisions/log/", views.decision_log, name="log"),
    path("p/<slug:slug>/decisions/new/<slug:kind>/", views.decision_create, name="create"),
    path("p/<slug:slug>/decisions/import/", views.pb_import, name="import"),
    path(D, views.decision_detail, name="detail"),
    path(D + "edit/", views.decision_edit, name="edit"),
    path(D + "vote/", views.vote, name="vote"),
    path(D + "respond/", views.respond, name="respond"),
    path(D + "objections/<int:response_id>/answer/", views.answer, name="answer"),
    path(D + "options/", views.option_add, name="option_add"),
    path(D + "options/<int:option_id>/remove/", views.option_remove, name="option_remove"),
    path(D + "open/", views.open_decision, name="open"),
    path(D + "close/", views.close, name="close"),
    path(D + "paper/", views.offline, name="offline"),
    path(D + "codes/", views.codes, name="codes"),
    path(D + "results.json", views.results_json, name="results_json"),
    path(D + "export.pb", views.pb_export, name="pb_export"),
    path("vote/", views.code_vote, name="code_vote"),
]
