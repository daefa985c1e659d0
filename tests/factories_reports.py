"""A hand-built project for governance reports and health, with every number known (see `built`).

Rows are written with the ORM and their times set afterwards (`at`), so each one falls exactly inside or
outside the report period. Text is hostile, as in tests/factories.py.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone

from copro.consultations.models import Consultation, Response
from copro.core.models import ResourceLink, Visibility
from copro.decisions.models import Decision, Participation
from copro.followthrough.models import Commitment, CommitmentUpdate, FeedbackMoment, ReachTarget
from copro.maps.models import Pin
from copro.projects.models import Membership, Project, ScopeChange
from tests import factories
from tests.factories import HOSTILE, XSS
from tests.factories_maps import community_map

# The report period: the third quarter of 2026.
START = datetime.date(2026, 7, 1)
END = datetime.date(2026, 9, 30)


def at(year: int, month: int, day: int, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


IN = at(2026, 8, 15)
BEFORE = at(2026, 6, 15)
AFTER = at(2026, 10, 15)


def set_time(obj: Model, **fields: Any) -> None:
    """Set auto_now_add times (created_at, joined_at...) after the row was written."""
    type(obj)._default_manager.filter(pk=obj.pk).update(**fields)
    for name, value in fields.items():
        setattr(obj, name, value)


def commitment(
    project: Project, owner: Any, *, due_on: datetime.date, created: datetime.datetime, **fields: Any
) -> Commitment:
    made = Commitment.objects.create(
        project=project,
        title=fields.pop("title", f"We will {XSS} ŵŷâ"),
        description=fields.pop("description", HOSTILE),
        owner=owner,
        created_by=owner,
        due_on=due_on,
        **fields,
    )
    set_time(made, created_at=created)
    return made


def update(
    c: Commitment, author: Any, when: datetime.datetime, *, status_to: str = "", reason: str = ""
) -> CommitmentUpdate:
    made = CommitmentUpdate.objects.create(
        commitment=c,
        author=author,
        text="News " + HOSTILE,
        status_from=c.status if status_to else "",
        status_to=status_to,
        reason=reason,
    )
    set_time(made, created_at=when)
    return made


def response(
    consultation: Consultation,
    *,
    channel: str,
    when: datetime.datetime | None,
    respondent: Any = None,
    status: str = "submitted",
    entered_by: Any = None,
) -> Response:
    return Response.objects.create(
        consultation=consultation,
        respondent=respondent,
        channel=channel,
        status=status,
        submitted_at=when,
        entered_by=entered_by,
        anonymous_key="" if respondent else f"k{Response.objects.count()}",
    )


def feedback(project: Project, *, when: datetime.datetime, **fields: Any) -> FeedbackMoment:
    made = FeedbackMoment.objects.create(project=project, text=fields.pop("text", "It was " + HOSTILE), **fields)
    set_time(made, created_at=when)
    return made


def pin(the_map: Any, *, when: datetime.datetime, **fields: Any) -> Pin:
    made = Pin.objects.create(map=the_map, category=the_map.categories.first(), text="Pin " + HOSTILE, **fields)
    set_time(made, created_at=when)
    return made


def closed_decision(
    project: Project, *, closed: datetime.datetime, outcome: str, participation: dict[str, Any], **fields: Any
) -> Decision:
    return Decision.objects.create(
        project=project,
        kind=fields.pop("kind", "poll"),
        title=fields.pop("title", f"Decision {XSS} ŵŷâ"),
        how_used="The council acts on it.",
        status="closed",
        closes_at=closed,
        opened_at=closed - datetime.timedelta(days=7),
        closed_at=closed,
        outcome=outcome,
        outcome_statement=fields.pop("outcome_statement", "Agreed " + HOSTILE),
        participation=participation,
        electorate_roles=fields.pop("electorate_roles", ["participant", "expert", "facilitator"]),
        weights=fields.pop("weights", {}),
        created_by=project.created_by,
        **fields,
    )


def link(kind: str, source: Model, target: Model, when: datetime.datetime) -> ResourceLink:
    made = ResourceLink.objects.create(
        project_id=source.project_id,  # type: ignore[attr-defined]
        kind=kind,
        source_type=ContentType.objects.get_for_model(source),
        source_id=source.pk,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
    )
    set_time(made, created_at=when)
    return made


@dataclass
class Built:
    project: Project
    p2: Any
    p3: Any
    commitments: dict[str, Commitment] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    idea: Any = None


def built(world: Any) -> Built:
    """The world's public project with known numbers in the third quarter of 2026 (START to END).

    Members at the end of the period: 2 participants (the world's and p2, who joined in it; p3 joined after),
    1 expert, 1 facilitator, 1 observer. Took part in it: the participant (feedback, an idea, a vote), p2 (a
    response, a vote) and the expert (a pin, a vote): 2 participants, 1 expert.
    Responses: online 1, paper 3, phone 1 (plus one before, one draft). Pins: online 1, drop-in 2 (plus one
    hidden, one after). Ideas: online 1. Feedback: online 2, outreach 1; feelings 5, 2, 4; triage celebrate,
    act on, new; one quote (consented, with an excerpt) and one excerpt without consent that must not show.
    Ballots: online 6, paper 3 in the two decisions closed in the period (one closed before is left out).
    Commitments: see the comments below; promise kept 1 of 4.
    """
    project, f, p1, e = world.project, world.facilitator, world.participant, world.expert
    Membership.objects.filter(project=project).update(joined_at=at(2026, 1, 1))
    p2 = factories.UserFactory(email="p2@example.org")
    p3 = factories.UserFactory(email="p3@example.org")
    set_time(factories.MembershipFactory(project=project, user=p2, role="participant"), joined_at=at(2026, 8, 1))
    set_time(factories.MembershipFactory(project=project, user=p3, role="participant"), joined_at=AFTER)
    result = Built(project=project, p2=p2, p3=p3)

    consultation = Consultation.objects.create(
        project=project, title="Survey " + XSS, how_used="We read it.", created_by=f, status="open"
    )
    response(consultation, channel="online", when=IN, respondent=p2)
    for _i in range(3):
        response(consultation, channel="paper", when=IN, entered_by=f)
    response(consultation, channel="phone", when=IN, entered_by=f)
    response(consultation, channel="online", when=BEFORE)
    response(consultation, channel="online", when=None, status="draft")

    the_map = community_map(project, created_by=f)
    pin(the_map, when=IN, author=e, channel="online")
    pin(the_map, when=IN, channel="drop_in", entered_by=f)
    pin(the_map, when=IN, channel="drop_in", entered_by=f)
    pin(the_map, when=IN, channel="online", hidden_at=IN, hidden_reason="Off topic")
    pin(the_map, when=AFTER, channel="online")

    feedback(
        project,
        when=IN,
        given_by=p1,
        feeling=5,
        channel="online",
        triage="celebrate",
        consent_to_share=True,
        public_excerpt="The drop-in was kind " + XSS,
        shared_at=IN,
    )
    feedback(project, when=IN, entered_by=f, feeling=2, channel="outreach", triage="act_on", consent_to_share=True)
    feedback(project, when=IN, feeling=4, channel="online", consent_to_share=False, public_excerpt="SECRET-NO-CONSENT")
    feedback(project, when=BEFORE, feeling=1, channel="online")

    d1 = closed_decision(
        project,
        closed=IN,
        outcome="counted",
        participation={"total": 7, "offline": 3, "by_channel": {"online": 4, "paper": 3}},
    )
    d2 = closed_decision(
        project,
        closed=IN,
        outcome="adopted",
        kind="proposal",
        participation={"total": 2, "offline": 0, "by_channel": {"online": 2}},
        title="Proposal ŵŷâ " + XSS,
    )
    closed_decision(
        project,
        closed=BEFORE,
        outcome="counted",
        participation={"total": 10, "offline": 0, "by_channel": {"online": 10}},
    )
    for user, decision, role in ((p1, d1, "participant"), (e, d1, "expert"), (p2, d2, "participant")):
        set_time(Participation.objects.create(decision=decision, user=user, role=role), at=IN)
    result.decisions = {"d1": d1, "d2": d2}

    from copro.ideas.models import Idea

    idea = Idea.objects.create(
        project=project, title="Idea " + XSS, problem="Dark paths", proposal="Lights", author=p1, channel="online"
    )
    set_time(idea, created_at=IN)
    link("taken_to", idea, d2, IN)
    result.idea = idea

    # C1 done on time; C2 done late; C3 overdue (made in the period, from the participant's idea via d2);
    # C4 members-only, changed; C5 staff-only, made in the period; C6 dropped, co-owned by the participant.
    c1 = commitment(
        project, f, due_on=datetime.date(2026, 8, 1), created=at(2026, 6, 1), status="done", done_at=at(2026, 7, 20)
    )
    c2 = commitment(
        project, f, due_on=datetime.date(2026, 8, 10), created=at(2026, 6, 1), status="done", done_at=at(2026, 8, 20)
    )
    c3 = commitment(
        project,
        f,
        due_on=datetime.date(2026, 9, 1),
        created=at(2026, 7, 5),
        status="in_progress",
        title="Light the path " + XSS,
    )
    c4 = commitment(
        project,
        f,
        due_on=datetime.date(2026, 9, 15),
        created=at(2026, 6, 1),
        status="changed",
        status_reason="Budget moved",
        visibility=Visibility.MEMBERS,
    )
    c5 = commitment(
        project,
        f,
        due_on=datetime.date(2026, 12, 1),
        created=at(2026, 7, 10),
        visibility=Visibility.STAFF,
        title="Staff only ŵŷâ",
    )
    c6 = commitment(
        project,
        f,
        due_on=datetime.date(2026, 11, 30),
        created=at(2026, 6, 1),
        status="dropped",
        status_reason="The council withdrew funding",
    )
    c6.co_owners.add(p1)
    update(c1, f, at(2026, 7, 20), status_to="done")
    update(c2, f, at(2026, 8, 20), status_to="done")
    update(c4, f, at(2026, 9, 1), status_to="changed", reason="Budget moved " + XSS)
    update(c6, f, at(2026, 9, 10), status_to="dropped", reason="The council withdrew funding")
    link("commits_decision", d2, c3, at(2026, 7, 5))
    result.commitments = {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6}

    change = ScopeChange.objects.create(
        project=project,
        action="add",
        kind="can",
        text="Bus stops " + XSS,
        proposed_by=p2,
        status="agreed",
        decided_at=IN,
    )
    assert change.pk

    ReachTarget.objects.create(project=project, label="Everyone", role="", channel="", target=40)
    ReachTarget.objects.create(project=project, label="Participants", role="participant", channel="", target=4)
    ReachTarget.objects.create(project=project, label="Paper", role="", channel="paper", target=3)
    ReachTarget.objects.create(
        project=project, label="Participants online", role="participant", channel="online", target=5
    )
    return result
