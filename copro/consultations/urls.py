from django.urls import path

from copro.consultations import staff_urls, views

app_name = "consultations"

urlpatterns: list = (
    [
        path("p/<slug:slug>/consultations/", views.consultation_list, name="list"),
    ]
    + staff_urls.urlpatterns
)
