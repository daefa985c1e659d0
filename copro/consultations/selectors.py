"""Reads for the consultation pages, always scoped to the person asking (see access.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from copro.consultations.access import visible_consultations
from copro.consultations.models import Consultation, Question, QuestionKind, Response, ResponseStatus
from copro.core.permissions import Role
from copro.projects.models import Project


def consultation_list(project: Project, role: Role | None) -> list[Consultation]:
    """Every consultation the person may see, with its number of submitted responses (one query)."""
    return list(
        visible_consultations(project, role)
        .annotate(submitted=Count("responses", filter=Q(responses__status=ResponseStatus.SUBMITTED)))
        .order_by("-created_at", "-id")
    )


def response_of(consultation: Consultation, user: Any, anonymous: str = "") -> Response | None:
    """The person's own response (draft or submitted): theirs as a signed-in person, else this browser's."""
    if user is not None and user.is_authenticated:
        return Response.objects.filter(consultation=consultation, respondent=user).first()
    if anonymous:
        return Response.objects.filter(consultation=consultation, anonymous_key=anonymous).first()
    return None


def places(consultation: Consultation) -> list[Any]:
    """The named places of the consultation's map, for location questions (none without a map)."""
    if consultation.map_id is None:
        return []
    from copro.maps.models import Place

    return list(Place.objects.filter(map_id=consultation.map_id).order_by("name", "id"))


def place_coordinates(place_list: list[Any]) -> dict[int, tuple[float, float]]:
    return {p.pk: (p.lat, p.lng) for p in place_list}


def condition_questions(consultation: Consultation) -> list[Question]:
    """Questions a section can depend on: this consultation's single and multiple choice questions, not
    "about you" ones (a section shown only to, say, over-65s would reveal that of everyone in it)."""
    return list(
        Question.objects.filter(
            consultation=consultation, kind__in=[QuestionKind.SINGLE, QuestionKind.MULTIPLE], private=False
        ).order_by("section__position", "position", "id")
    )
