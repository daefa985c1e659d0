"""Demo data for live reporting: the demo workshop's feed, started, with a few entries and questions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from copro.live import services
from copro.live.access import feed_of
from copro.live.models import EntryKind
from copro.projects.models import Membership


def add_demo(project: Any, facilitator: Any, people: list[Any], meeting: Any) -> None:
    """The workshop's live feed, left live so that whoever runs the demo can post and watch it update.

    One member is appointed reporter; a note, a decision and an action are posted; three questions are
    sent, two approved (one answered) and liked, one left waiting in the moderation queue.
    """
    feed = feed_of(meeting)
    feed.project = project
    try:
        services.feed_start(user=facilitator, feed=feed)
    except ValidationError:
        return  # a meeting that cannot be reported live (not published, or long over): nothing to add
    members = set(
        Membership.objects.filter(project=project, role__in=["participant", "expert"]).values_list("user_id", flat=True)
    )
    reporter = next((p for p in people if p.pk in members), None)
    if reporter is not None:
        services.reporter_appoint(user=facilitator, feed=feed, member_id=reporter.pk)
    author = reporter or facilitator
    services.entry_post(
        user=facilitator,
        feed=feed,
        kind=EntryKind.NOTE,
        text="Welcome, everyone. 42 people in the room and 18 watching online. We start with the three school routes.",
    )
    services.entry_post(
        user=author,
        feed=feed,
        kind=EntryKind.NOTE,
        text="Table 2 (Grand Avenue): parents say the footway is too narrow for buggies at drop-off time.\n"
        "Two children were nearly hit last month.",
    )
    services.entry_post(
        user=facilitator,
        feed=feed,
        kind=EntryKind.DECISION,
        text="The room agreed by consent: the zebra crossing on Heol Trelái goes forward to the budget vote.",
    )
    services.entry_post(
        user=author,
        feed=feed,
        kind=EntryKind.ACTION,
        text="Council highways team to measure traffic speeds on Cowbridge Road West before the next meeting.",
    )
    askers = [p for p in people if p.pk != getattr(reporter, "pk", None)] or people
    if not askers:
        return
    asked = [
        services.question_ask(
            user=askers[0],
            feed=feed,
            text="Will the crossing have a lollipop person as well, or only lights?",
            show_name=True,
        ),
        services.question_ask(
            user=askers[min(1, len(askers) - 1)],
            feed=feed,
            kind="comment",
            text="Please put the slides on the project page afterwards: I could not read them on the stream.",
        ),
        services.question_ask(
            user=askers[-1], feed=feed, text="How will people without internet hear what was decided tonight?"
        ),
    ]
    for question in asked[:2]:
        services.question_moderate(user=facilitator, question=question, approve=True)
    services.question_answer(
        user=facilitator,
        question=asked[0],
        answer="Lights and a lollipop person for the first term, then we review with the school.",
    )
    for person in people:
        services.question_like(user=person, question=asked[0])
    for person in people[:2]:
        services.question_like(user=person, question=asked[1])
