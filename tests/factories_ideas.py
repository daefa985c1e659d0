"""Factory helpers for ideas and review rounds (hostile default text, like tests/factories.py)."""

from __future__ import annotations

from typing import Any

from copro.ideas import services
from copro.ideas.models import Idea, ReviewRound
from copro.projects.models import ScopeItem
from tests import factories
from tests.factories import HOSTILE


def member(project: Any, role: str = "participant", **fields: Any) -> Any:
    """Someone else who takes part in the project (for an idea written by someone who is not reviewing it)."""
    person = factories.UserFactory(**fields)
    factories.MembershipFactory(project=project, user=person, role=role)
    return person


def idea(project: Any, author: Any, **fields: Any) -> Idea:
    """An idea put forward through the service, entered by the project's creator unless said otherwise (so it
    works whatever the project's idea settings)."""
    made = services.idea_submit(
        project=project,
        author=author,
        title=fields.pop("title", "Croesfan ŵŷâ " + HOSTILE)[:200],
        problem=fields.pop("problem", "The problem: " + HOSTILE),
        proposal=fields.pop("proposal", "The proposal: " + HOSTILE),
        scope_items=fields.pop("scope_items", ()),
        cost_estimate=fields.pop("cost_estimate", None),
        co_authors=fields.pop("co_authors", ()),
        entered_by=fields.pop("entered_by", project.created_by),
        **fields,
    )
    made.project = project
    return made


def fixed_item(project: Any) -> ScopeItem:
    return ScopeItem.objects.filter(project=project, kind="fixed", removed_at__isnull=True).first()  # type: ignore[return-value]


def can_item(project: Any) -> ScopeItem:
    return ScopeItem.objects.filter(project=project, kind="can", removed_at__isnull=True).first()  # type: ignore[return-value]


def review_round(
    project: Any,
    facilitator: Any,
    ideas: list[Idea],
    *,
    peers: tuple[Any, ...] = (),
    experts: tuple[Any, ...] = (),
    criteria: list[dict[str, Any]] | None = None,
    open: bool = True,
) -> ReviewRound:
    made = services.round_create(
        user=facilitator,
        project=project,
        title="Rownd " + HOSTILE,
        instructions="Read carefully " + HOSTILE,
        criteria=criteria,
        idea_ids=[i.pk for i in ideas],
    )
    made.project = project
    if peers or experts:
        services.reviewers_invite(user=facilitator, round=made, members=[*peers, *experts])
    if open:
        services.round_open(user=facilitator, round=made)
    return made
