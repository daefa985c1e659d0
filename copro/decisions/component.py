"""The decisions component: consent proposals, polls, participatory budgets and the public decision log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, Export, NavItem, registry
from copro.core.permissions import CONTRIBUTORS, EVERYONE, FACILITATORS, MEMBERS, TABLE, Action, Role
from copro.decisions.models import Ballot, Decision, Participation, Response, Status


def _dashboard(project: Any, role: Role) -> list[Count]:
    decisions = Decision.objects.filter(project=project)
    return [
        Count(_("Decisions open"), decisions.filter(status=Status.OPEN).count()),
        Count(_("Decisions made"), decisions.filter(status=Status.CLOSED).count()),
    ]


def _visible_decisions(items: list[Any], role: Role) -> set[int]:
    """As copro.decisions.access.visible_decisions: drafts for those who manage decisions only."""
    manages = TABLE.allowed(role, "decisions.manage")
    return {d.pk for d in items if d.status != Status.DRAFT or manages}


def _log_rows(project: Any) -> Iterable[dict[str, Any]]:
    for d in Decision.objects.filter(project=project, status=Status.CLOSED).order_by("closed_at"):
        participation = d.participation or {}
        yield {
            "id": d.pk,
            "kind": d.kind,
            "question": d.title,
            "method": d.method or d.rule or d.process,
            "who_could_decide": " ".join(d.electorate_roles),
            "ballot": d.secrecy,
            "closed_at": d.closed_at.isoformat() if d.closed_at else "",
            "took_part": participation.get("total", 0),
            "offline": participation.get("offline", 0),
            "outcome": d.outcome,
            "outcome_statement": d.outcome_statement,
            "winners": "; ".join((d.result or {}).get("winner_titles", [])),
            "rationale": d.rationale,
        }


def _personal_data(user: Any) -> dict[str, Any]:
    # Secret ballots are not here: nothing links them to anyone, this person included.
    return {
        "decisions_taken_part_in": [
            {"decision": p.decision.title, "at": p.at.isoformat()}
            for p in Participation.objects.filter(user=user).select_related("decision")
        ],
        "named_ballots": [
            {"decision": b.decision.title, "choices": b.choices}
            for b in Ballot.objects.filter(voter=user).select_related("decision")
        ],
        "proposal_responses": [
            {"decision": r.decision.title, "stance": r.stance, "reason": r.reason}
            for r in Response.objects.filter(user=user).select_related("decision")
        ],
    }


def _contributors(ids: list[int]) -> set[int]:
    """Who took part in these decisions, to hear what became of them (followthrough): whoever put a proposal
    forward, everyone who voted (secret ballots included: Participation records who voted, not how) and
    everyone who responded to a proposal. Not the facilitator who merely set up a poll or budget."""
    people = set(Decision.objects.filter(pk__in=ids, kind="proposal").values_list("created_by_id", flat=True))
    people.update(Participation.objects.filter(decision_id__in=ids).values_list("user_id", flat=True))
    people.update(Response.objects.filter(decision_id__in=ids).values_list("user_id", flat=True))
    return people


registry.register(
    Component(
        name="decisions",
        label=_("Decisions"),
        actions=[
            Action("decisions.view", EVERYONE, _("See decisions, their results and the decision log"), write=False),
            Action("decisions.propose", CONTRIBUTORS, _("Put a proposal to the project's decision-makers")),
            Action(
                "decisions.vote",
                MEMBERS,
                _("Vote or respond, if the decision's electorate includes your role"),
            ),
            Action("decisions.answer", CONTRIBUTORS, _("Answer an objection to your own proposal")),
            Action(
                "decisions.manage",
                FACILITATORS,
                _("Set up polls and budgets, open and close decisions, enter paper ballots, make voting codes"),
            ),
        ],
        activity={
            "decisions.created": _("%(actor)s started preparing a decision: “%(target)s”."),
            "decisions.edited": _("%(actor)s changed the draft decision “%(target)s”."),
            "decisions.opened": _("%(actor)s opened “%(target)s” for decision."),
            "decisions.responded": _("%(actor)s responded to the proposal “%(target)s”."),
            "decisions.objection_answered": _("%(actor)s answered an objection to “%(target)s”."),
            "decisions.codes_made": _("%(actor)s made voting codes for “%(target)s”."),
            "decisions.closed": _("“%(target)s” was closed and its result published."),
            "decisions.imported": _("%(actor)s imported a participatory budget: “%(target)s”."),
            "decisions.review_due": _("The decision “%(target)s” is due for review."),
        },
        exports=[Export("decisions", _("Decision log"), _log_rows, "decisions.view")],
        dashboard=_dashboard,
        visible={"decisions.decision": _visible_decisions},
        personal_data=_personal_data,
        nav=[NavItem(_("Decisions"), "decisions:list", "decisions.view")],
        contributors={"decisions.decision": _contributors},
    )
)
