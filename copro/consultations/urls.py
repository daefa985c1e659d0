from django.urls import path  # noqa: F401

from copro.consultations import staff_urls

app_name = "consultations"

urlpatterns: list = [
    # participant-side and builder routes (owned by the consultations views)
] + staff_urls.urlpatterns
