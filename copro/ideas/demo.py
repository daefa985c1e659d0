"""Demo ideas for `copro demo`: a few realistic ideas (one touching a fixed line of the scope), supports, a
comment, and a closed review round with peers' and an expert's reviews and an author's response."""

from __future__ import annotations

from typing import Any

from copro.ideas import services
from copro.ideas.models import ReviewerKind
from copro.projects.models import ScopeItem, ScopeKind


def _scope(project: Any, kind: str, words: str) -> list[ScopeItem]:
    found = ScopeItem.objects.filter(project=project, kind=kind, removed_at__isnull=True, text__icontains=words)
    return list(found[:1]) or list(ScopeItem.objects.filter(project=project, kind=kind, removed_at__isnull=True)[:1])


def add_demo(project: Any, facilitator: Any, people: list[Any]) -> None:
    """people: members to write, support and review ideas (participants first, then an expert if any)."""
    if not people:
        return
    first, second = people[0], people[1 % len(people)]
    expert = people[2] if len(people) > 2 else None
    crossing = services.idea_submit(
        project=project,
        author=first,
        title="A zebra crossing outside Ysgol Trelái",
        problem=(
            "At 8.40 every morning about 150 children cross Heol Trelái between parked cars. Drivers coming "
            "round the bend cannot see them until the last moment."
        ),
        proposal=(
            "Paint a zebra crossing with flashing beacons where the footpath from the estate meets the road, "
            "and move the two parking bays that block the view."
        ),
        scope_items=_scope(project, ScopeKind.CAN, "crossings"),
        cost_estimate=18000,
        entered_by=facilitator,
    )
    services.idea_submit(
        project=project,
        author=second,
        title="A footbridge over the A4232 to the leisure centre",
        problem=(
            "Families on the far side of the trunk road have no safe way to walk to school or the leisure centre."
        ),
        proposal=(
            "Build a footbridge with ramps (not steps) next to the roundabout, so buggies and wheelchairs can use it."
        ),
        scope_items=_scope(project, ScopeKind.FIXED, "A4232"),
        cost_estimate=900000,
        co_authors=[first] if second.pk != first.pk else [],
        entered_by=facilitator,
    )
    street = services.idea_submit(
        project=project,
        author=second,
        title="School street: close Heol y Felin to cars at drop-off and pick-up",
        problem="The lane outside the school gates is jammed with cars twice a day; children walk in the road.",
        proposal=(
            "Close the lane to through traffic from 8.30 to 9.00 and 15.00 to 15.30 on school days, with planters."
        ),
        scope_items=_scope(project, ScopeKind.CAN, "school-street"),
        cost_estimate=6000,
        entered_by=facilitator,
    )
    for person in people:
        services.idea_support(user=person, idea=crossing)
    services.idea_support(user=facilitator, idea=street)
    services.comment_add(
        user=second,
        idea=crossing,
        text="Yes please. My two cross there every day and the bend is frightening.",
    )

    the_round = services.round_create(
        user=facilitator,
        project=project,
        title="Pressure-testing the first ideas",
        instructions="Think about the children who walk on their own. Scores guide the workshop; they are not a vote.",
        idea_ids=[crossing.pk, street.pk],
    )
    reviewers = [person for person in people if person != expert][:2]
    the_round.project = project
    services.reviewers_invite(user=facilitator, round=the_round, members=[*reviewers, *([expert] if expert else [])])
    services.round_open(user=facilitator, round=the_round)
    criteria = list(the_round.criteria.all())
    scores = {
        ReviewerKind.PEER: [5, 4, 3, 5, 5, 4],
        ReviewerKind.EXPERT: [4, 4, 4, 5, 4, 3],
    }
    comments = {
        ReviewerKind.PEER: "This is the crossing everyone talks about at the school gate.",
        ReviewerKind.EXPERT: "Feasible, but the beacons need a power supply: allow for it in the cost.",
    }
    wrote = {crossing.pk: {first.pk}, street.pk: {second.pk}}
    for reviewer in the_round.reviewers.all():
        for idea in (crossing, street):
            if reviewer.user_id in wrote[idea.pk]:
                continue  # nobody reviews their own idea: the two peers review each other's
            entries = {
                c.pk: (
                    scores[ReviewerKind(reviewer.kind)][n % 6],
                    comments[ReviewerKind(reviewer.kind)] if n == 0 else "",
                )
                for n, c in enumerate(criteria)
            }
            services.review_save(reviewer=reviewer, round=the_round, idea=idea, entries=entries)
    services.round_close(user=facilitator, round=the_round)
    services.response_save(
        user=first,
        round=the_round,
        idea=crossing,
        text="Thank you. We have added the cost of a power supply and asked the council about the parking bays.",
    )
    services.idea_set_status(
        user=facilitator,
        idea=crossing,
        status="shortlisted",
        reason="Strong support from parents and the expert: it goes to the May workshop.",
    )
