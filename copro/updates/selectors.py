from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from copro.core.models import Visibility
from copro.core.permissions import TABLE, Role
from copro.projects.models import Project
from copro.updates.models import Update

if TYPE_CHECKING:
    from copro.consultations.models import Consultation


def updates_for(project: Project, role: Role) -> QuerySet[Update]:
    visibilities = [Visibility.PUBLIC]
    if TABLE.allowed(role, "updates.view_members_only"):
        visibilities.append(Visibility.MEMBERS)
    return Update.objects.filter(project=project, visibility__in=visibilities).select_related("author", "consultation")


def consultations_to_choose(project: Project) -> list[tuple[int, str]]:
    """The consultations an update can be about: the project's, except those still being prepared."""
    from copro.consultations.models import Consultation, ConsultationStatus

    consultations = Consultation.objects.filter(project=project).exclude(status=ConsultationStatus.DRAFT)
    return list(consultations.order_by("title", "id").values_list("id", "title"))


def consultation_of(project: Project, consultation_id: int | None) -> Consultation | None:
    from copro.consultations.models import Consultation

    if consultation_id is None:
        return None
    return Consultation.objects.filter(project=project, pk=consultation_id).first()
