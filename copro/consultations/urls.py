from django.urls import path

from copro.consultations import staff_urls, views

app_name = "consultations"

C = "p/<slug:slug>/consultations/<int:consultation_id>/"

urlpatterns: list = [
    path("p/<slug:slug>/consultations/", views.consultation_list, name="list"),
    path("p/<slug:slug>/consultations/new/", views.consultation_create, name="create"),
    path(C, views.consultation_detail, name="detail"),
    path(C + "respond/", views.respond, name="respond"),
    path(C + "receipt/", views.receipt, name="receipt"),
    path(C + "edit/", views.consultation_edit, name="edit"),
    path(C + "build/", views.consultation_build, name="build"),
    path(C + "preview/", views.consultation_preview, name="preview"),
    path(C + "sections/", views.section_add, name="section_add"),
    path(C + "questions/", views.question_add, name="question_add"),
    path(C + "questions/<int:question_id>/remove/", views.question_remove, name="question_remove"),
    path(C + "sections/<int:section_id>/remove/", views.section_remove, name="section_remove"),
    path(C + "open/", views.consultation_open, name="open"),
    path(C + "close/", views.consultation_close, name="close"),
] + staff_urls.urlpatterns
