"""Loading a consultation named in a URL: through the project's access function, then scoped to the project.

A consultation still being prepared (draft) is seen only by facilitators; for anyone else it is a 404,
the same as a consultation that does not exist. `results_visible` is the one place that says who may
see a consultation's results (the results page and the API ask it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from copro.consultations.models import Consultation, ConsultationStatus, ResultsVisibility
from copro.core.permissions import TABLE, Role
from copro.projects.access import get_project_for_user
from copro.projects.models import Project

MANAGE = "consultations.manage"


def is_facilitator(role: Role | None) -> bool:
    return TABLE.allowed(role, MANAGE)


def visible_consultations(project: Project, role: Role | None) -> QuerySet[Consultation]:
    consultations = Consultation.objects.filter(project=project)
    if not is_facilitator(role):
        consultations = consultations.exclude(status=ConsultationStatus.DRAFT)
    return consultations


def get_consultation_for_user(
    user: Any, slug: str, consultation_id: int, action: str = "consultations.view"
) -> tuple[Project, Role, Consultation]:
    project, role = get_project_for_user(user, slug, action)
    consultation = visible_consultations(project, role).select_related("map").filter(pk=consultation_id).first()
    if consultation is None:
        raise Http404
    consultation.project = project
    return project, role, consultation


def has_closed(consultation: Consultation, now: Any = None) -> bool:
    """Closed by a facilitator, or past its closing date (it no longer takes responses either way)."""
    if consultation.status == ConsultationStatus.CLOSED:
        return True
    moment = now or timezone.now()
    return (
        consultation.status == ConsultationStatus.OPEN
        and consultation.closes_at is not None
        and consultation.closes_at <= moment
    )


def results_visible(consultation: Consultation, role: Role | None) -> bool:
    """LIVE: everyone, once it has opened; AFTER_CLOSE: everyone, once it has closed; STAFF: facilitators.
    Facilitators always see the results (they need them to report back)."""
    if is_facilitator(role):
        return True
    if role is None or consultation.status == ConsultationStatus.DRAFT:
        return False
    if consultation.results_visibility == ResultsVisibility.LIVE:
        return True
    if consultation.results_visibility == ResultsVisibility.AFTER_CLOSE:
        return has_closed(consultation)
    return False
