"""Reads for decision pages."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from copro.core.links import links_from, links_to, only_visible
from copro.core.permissions import Role
from copro.decisions import counting
from copro.decisions.models import (
    Ballot,
    Decision,
    Kind,
    Option,
    PollMethod,
    Response,
    Stance,
    Status,
    VotingCode,
)
from copro.projects.models import Membership, Project
from copro.projects.selectors import allowed_actions

perms = allowed_actions


def past_closing(decision: Decision) -> bool:
    return decision.closes_at <= timezone.now()


def results_hidden(decision: Decision) -> bool:
    return decision.status != Status.CLOSED and decision.hide_results


def result_for_display(decision: Decision) -> dict[str, Any] | None:
    """The published count once closed; while open, a live count unless the results are hidden.

    Live counts are cached against the number of ballots, so a busy results page counts once per new ballot.
    """
    if decision.kind == Kind.PROPOSAL or decision.status == Status.DRAFT:
        return None
    if decision.status == Status.CLOSED:
        return decision.result
    if decision.hide_results:
        return None
    n = Ballot.objects.filter(decision=decision).count()
    key = f"decision-live:{decision.pk}:{n}"
    result = cache.get(key)
    if result is None:
        try:
            result = counting.count_or_explain(decision)
        except ValidationError:
            return None
        cache.set(key, result, 300)
    return result


def named_ballots(decision: Decision, titles: dict[str, str]) -> list[dict[str, Any]]:
    """How each person voted, for a named ballot whose results are visible (never for a secret one)."""
    if decision.is_secret or decision.kind == Kind.PROPOSAL or results_hidden(decision):
        return []
    rows = []
    for ballot in Ballot.objects.filter(decision=decision, voter__isnull=False).select_related("voter"):
        choices = ballot.choices
        if isinstance(choices, dict):
            text = "; ".join(f"{titles.get(c, c)}: {n}" for c, n in choices.items())
        else:
            text = "; ".join(titles.get(c, c) for c in choices)
        rows.append({"name": ballot.voter.public_name if ballot.voter else "", "choices": text})
    return sorted(rows, key=lambda r: r["name"].lower())


def electorate_size(decision: Decision) -> dict[str, int]:
    if decision.status != Status.DRAFT:
        return dict(Counter(decision.electors.values()))
    rows = (
        Membership.objects.filter(project_id=decision.project_id, role__in=decision.electorate_roles)
        .values_list("role")
        .annotate(n=Count("id"))
    )
    return dict(rows.values_list("role", "n"))


def equal_power_statement(decision: Decision) -> dict[str, Any]:
    """What everyone sees before they vote: who can vote, how it is counted, and how the result is used."""
    sizes = electorate_size(decision)
    roles = [
        {"label": Role(r).label, "count": sizes.get(r, 0), "weight": decision.weight_for(r)}
        for r in decision.electorate_roles
    ]
    return {
        "roles": roles,
        "total": sum(sizes.values()),
        "equal": decision.equal_votes,
        "method": counting.method_description(decision),
        "secret": decision.is_secret,
        "hidden": decision.hide_results,
        "how_used": decision.how_used,
        "rules": decision.project.decision_rules,
    }


def stance_counts(responses: list[Response]) -> list[dict[str, Any]]:
    counts = Counter(r.stance for r in responses)
    return [{"stance": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in Stance]


def code_counts(decision: Decision) -> dict[str, int]:
    codes = VotingCode.objects.filter(decision=decision)
    return {"made": codes.count(), "used": codes.filter(used_at__isnull=False).count()}


def decision_links(decision: Decision, role: Role) -> dict[str, list[Any]]:
    """Where it came from (ideas, consultations) and what carries it out (commitments), when those exist and
    this role may see them (a hidden idea, a facilitators-only commitment are left out for others)."""
    return {
        "from": only_visible(links_to(decision).select_related("source_type"), role, "source"),
        "to": only_visible(links_from(decision).select_related("target_type"), role, "target"),
    }


def decision_log(project: Project) -> QuerySet[Decision]:
    """Every closed decision, newest first, with options in one query (constant queries as the log grows)."""
    return (
        Decision.objects.filter(project=project, status=Status.CLOSED)
        .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("position", "id")))
        .annotate(objections=Count("responses", filter=Q(responses__stance__in=[Stance.DISAGREE, Stance.BLOCK])))
        .order_by("-closed_at", "-id")
    )


def is_ranked(decision: Decision) -> bool:
    return decision.method in (PollMethod.IRV, PollMethod.STV)
