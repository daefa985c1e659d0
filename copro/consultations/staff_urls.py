"""Routes for results, exports, assisted (staff) entry and imports. Included by copro/consultations/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
