"""Consultation pages for participants and facilitators. Thin: access, form, service, redirect."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from copro.consultations.models import Consultation, ConsultationStatus
from copro.core.permissions import TABLE, Role
from copro.projects.models import Project
from copro.projects.views import page, project_view


@project_view("consultations.view")
def consultation_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    consultations = Consultation.objects.filter(project=project)
    if not TABLE.allowed(role, "consultations.manage"):
        consultations = consultations.exclude(status=ConsultationStatus.DRAFT)
    return page(request, "consultations/list.html", project, role, consultations=list(consultations))
