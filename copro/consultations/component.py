"""The consultations component: questionnaires, responses given online or entered by staff, results."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from copro.consultations.models import Consultation, ConsultationStatus, Response, ResponseStatus
from copro.core.components import Component, Count, NavItem, registry
from copro.core.permissions import EVERYONE, FACILITATORS, Action, Role


def _dashboard(project: Any, role: Role) -> list[Count]:
    return [
        Count(
            _("Consultations open"),
            Consultation.objects.filter(project=project, status=ConsultationStatus.OPEN).count(),
        ),
        Count(
            _("Consultation responses"),
            Response.objects.filter(consultation__project=project, status=ResponseStatus.SUBMITTED).count(),
        ),
    ]


def _visible_consultations(items: list[Any], role: Role) -> set[int]:
    """As copro.consultations.access.visible_consultations: drafts for facilitators only."""
    from copro.consultations.access import is_facilitator

    facilitator = is_facilitator(role)
    return {c.pk for c in items if c.status != ConsultationStatus.DRAFT or facilitator}


def _personal_data(user: Any) -> dict[str, Any]:
    from copro.consultations import answers, services

    responses = []
    for response in Response.objects.filter(respondent=user).select_related("consultation"):
        _sections, questions = services.structure(response.consultation)
        by_id = {q.pk: q for q in questions}
        values = (
            answers.from_rows(response.answers.all(), by_id)
            if response.status == ResponseStatus.SUBMITTED
            else services.draft_values(response)
        )
        responses.append(
            {
                "consultation": response.consultation.title,
                "status": response.status,
                "receipt": response.receipt,
                "submitted_at": response.submitted_at.isoformat() if response.submitted_at else None,
                "answers": {by_id[k].text: v for k, v in values.items() if k in by_id},
            }
        )
    return {"consultation_responses": responses}


def _erase(user: Any) -> None:
    # Submitted answers stay in the results (they are counted), unlinked from the person; drafts go.
    Response.objects.filter(respondent=user, status=ResponseStatus.DRAFT).delete()
    Response.objects.filter(respondent=user).update(respondent=None)


def _contributors(ids: list[int]) -> set[int]:
    """Respondents with an account who asked to hear what happens as a result (Response.hear_back), for
    followthrough. Anonymous and staff-entered responses have no account to tell."""
    return set(
        Response.objects.filter(
            consultation_id__in=ids, hear_back=True, status=ResponseStatus.SUBMITTED, respondent__isnull=False
        ).values_list("respondent_id", flat=True)
    )


registry.register(
    Component(
        name="consultations",
        label=_("Consultations"),
        actions=[
            Action(
                "consultations.view", EVERYONE, _("Read consultations and, when published, their results"), write=False
            ),
            # Who may respond is decided per consultation too: without an account only where it allows that.
            Action("consultations.respond", EVERYONE, _("Respond to an open consultation")),
            Action(
                "consultations.manage",
                FACILITATORS,
                _("Build, open and close consultations; see all results and export responses"),
            ),
            Action(
                "consultations.enter",
                FACILITATORS,
                _("Enter responses given on paper, by phone or in person, and import them from a file"),
            ),
        ],
        activity={
            "consultations.created": _("%(actor)s started preparing a consultation: “%(target)s”."),
            "consultations.edited": _("%(actor)s changed the consultation “%(target)s”."),
            "consultations.opened": _("%(actor)s opened the consultation “%(target)s”."),
            "consultations.closed": _("The consultation “%(target)s” closed."),
            "consultations.entered": _("%(actor)s entered responses to “%(target)s” given offline."),
            "consultations.imported": _("%(actor)s imported responses to “%(target)s” from a file."),
        },
        dashboard=_dashboard,
        visible={"consultations.consultation": _visible_consultations},
        personal_data=_personal_data,
        erase_personal_data=_erase,
        nav=[NavItem(_("Consultations"), "consultations:list", "consultations.view")],
        contributors={"consultations.consultation": _contributors},
    )
)
