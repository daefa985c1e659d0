"""Loading the objects that subscribing names: a consultation, always within the project in the URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from copro.core.forms import parse_id
from copro.projects.models import Project

if TYPE_CHECKING:
    from copro.consultations.models import Consultation


def consultation_to_follow(project: Project, raw_id: object) -> Consultation | None:
    """The consultation someone asks to follow, or None for the whole project.

    404 (the same as a missing id) for an id that is not a number, belongs to another project, or names
    a consultation still being prepared: a draft is not public, and subscribing must not reveal it.
    """
    from copro.consultations.models import Consultation, ConsultationStatus

    if raw_id in (None, ""):
        return None
    consultation_id = parse_id(str(raw_id).strip())  # plain digits, and a number the database can hold
    if consultation_id is None:
        raise Http404
    consultation = (
        Consultation.objects.filter(project=project, pk=consultation_id)
        .exclude(status=ConsultationStatus.DRAFT)
        .only("id", "project_id", "title", "status")
        .first()
    )
    if consultation is None:
        raise Http404
    return consultation
