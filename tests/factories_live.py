"""Factory helpers for live reporting (hostile default text, like tests/factories.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from copro.live import services
from copro.live.access import feed_of
from copro.live.models import Entry, LiveFeed, Question, QuestionStatus
from copro.meetings.models import Meeting, MeetingStatus
from tests.factories import HOSTILE


def meeting(project: Any, *, created_by: Any, status: str = MeetingStatus.PUBLISHED, **fields: Any) -> Meeting:
    """A meeting happening now: it started 30 minutes ago and ends in 90 minutes."""
    now = timezone.now()
    return Meeting.objects.create(
        project=project,
        title=fields.pop("title", "Gweithdy teithio llesol " + HOSTILE),
        description=fields.pop("description", HOSTILE),
        starts_at=fields.pop("starts_at", now - timedelta(minutes=30)),
        ends_at=fields.pop("ends_at", now + timedelta(minutes=90)),
        status=status,
        created_by=created_by,
        **fields,
    )


def live_feed(project: Any, *, facilitator: Any, started: bool = True, **meeting_fields: Any) -> LiveFeed:
    """A meeting's feed, started by the facilitator through the service (unless started=False)."""
    the_meeting = meeting(project, created_by=facilitator, **meeting_fields)
    feed = feed_of(the_meeting)
    feed.project = project
    if started:
        services.feed_start(user=facilitator, feed=feed)
    return feed


def entries(feed: LiveFeed, n: int, *, author: Any, kind: str = "note") -> list[Entry]:
    """n entries in bulk (each with its own sequence number, as the service would give them)."""
    LiveFeed.objects.filter(pk=feed.pk).update(seq=F("seq") + n)
    feed.refresh_from_db(fields=["seq"])
    first = feed.seq - n + 1
    made = [
        Entry(
            feed=feed, project_id=feed.project_id, kind=kind, text=f"Entry {i} {HOSTILE}", author=author, seq=first + i
        )
        for i in range(n)
    ]
    return Entry.objects.bulk_create(made, batch_size=1000)


def questions(feed: LiveFeed, n: int, *, author: Any, status: str = QuestionStatus.APPROVED) -> list[Question]:
    LiveFeed.objects.filter(pk=feed.pk).update(seq=F("seq") + n)
    feed.refresh_from_db(fields=["seq"])
    first = feed.seq - n + 1
    made = [
        Question(
            feed=feed,
            project_id=feed.project_id,
            text=f"Question {i} {HOSTILE}",
            author=author,
            show_name=bool(i % 2),
            status=status,
            like_count=i % 7,
            seq=first + i,
        )
        for i in range(n)
    ]
    return Question.objects.bulk_create(made, batch_size=1000)
