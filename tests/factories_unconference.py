"""Factory helpers for open spaces (hostile default text, like tests/factories.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from copro.meetings.models import Meeting, MeetingStatus
from copro.unconference.models import Host, Interest, OpenSpace, Room, Session, Slot, name_key
from tests.factories import HOSTILE


def meeting(project: Any, *, created_by: Any, status: str = MeetingStatus.PUBLISHED, **fields: Any) -> Meeting:
    day = timezone.localdate() + timedelta(days=7)
    starts = timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))
    return Meeting.objects.create(
        project=project,
        title=fields.pop("title", "Gweithdy Ŵŷâ " + HOSTILE),
        starts_at=fields.pop("starts_at", starts),
        ends_at=fields.pop("ends_at", starts + timedelta(hours=6)),
        status=status,
        created_by=created_by,
        **fields,
    )


def open_space(
    project: Any,
    *,
    created_by: Any,
    rooms: list[tuple[str, int]] | None = None,
    slots: int = 3,
    the_meeting: Meeting | None = None,
    **fields: Any,
) -> OpenSpace:
    """An open space with rooms and hour-long slots from the meeting's start (11:00, 12:00, ... if slots=3)."""
    the_meeting = the_meeting or meeting(project, created_by=created_by)
    space = OpenSpace.objects.create(
        meeting=the_meeting, project=project, created_by=created_by, intro=fields.pop("intro", HOSTILE), **fields
    )
    for i, (name, capacity) in enumerate(rooms if rooms is not None else [("Main hall", 40), ("Side room", 12)]):
        Room.objects.create(
            open_space=space, name=name, capacity=capacity, access_notes="Step-free " + HOSTILE, position=i
        )
    start = the_meeting.starts_at + timedelta(hours=1)
    for i in range(slots):
        Slot.objects.create(
            open_space=space, starts_at=start + timedelta(hours=i), ends_at=start + timedelta(hours=i, minutes=50)
        )
    return space


def session(
    space: OpenSpace,
    host: Any,
    *,
    title: str | None = None,
    co_hosts: tuple[Any, ...] = (),
    marks: tuple[Any, ...] = (),
    room: Room | None = None,
    slot: Slot | None = None,
    **fields: Any,
) -> Session:
    if fields.get("host_name"):
        fields.setdefault("host_key", name_key(fields["host_name"]))
    made = Session.objects.create(
        open_space=space,
        project=space.project,
        title=title or f"Sesiwn {HOSTILE}",
        about=fields.pop("about", HOSTILE * 2),
        proposer=host,
        room=room,
        slot=slot,
        interest_count=len(marks),
        **fields,
    )
    for person in (host, *co_hosts):
        if person is not None:  # None: a session from the wall, its host known by host_name only
            Host.objects.create(session=made, user=person)
    for person in marks:
        Interest.objects.create(session=made, user=person)
    return made


def publish(space: OpenSpace) -> OpenSpace:
    space.published_at = timezone.now()
    space.save(update_fields=["published_at"])
    return space
