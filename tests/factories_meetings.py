"""Factory helpers for meetings (hostile default text, like tests/factories.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from copro.meetings import services
from copro.meetings.models import Meeting, MeetingStatus, Registration
from tests.factories import HOSTILE, XSS


def meeting(
    project: Any,
    *,
    created_by: Any,
    status: str = MeetingStatus.PUBLISHED,
    starts_in: timedelta = timedelta(days=7),
    hours: float = 2,
    **fields: Any,
) -> Meeting:
    starts = fields.pop("starts_at", None) or (timezone.now() + starts_in).replace(microsecond=0)
    return Meeting.objects.create(
        project=project,
        title=fields.pop("title", "Gweithdy teithio " + HOSTILE),
        description=fields.pop("description", HOSTILE),
        format=fields.pop("format", "hybrid"),
        starts_at=starts,
        ends_at=fields.pop("ends_at", starts + timedelta(hours=hours)),
        venue=fields.pop("venue", "Neuadd y Ddinas " + XSS),
        venue_access=fields.pop("venue_access", "Step-free entrance " + XSS),
        join_url=fields.pop("join_url", "https://meet.example.org/room-secret-123"),
        status=status,
        created_by=created_by,
        **fields,
    )


def register(the_meeting: Meeting, user: Any, **needs: Any) -> Registration:
    wants = needs.pop("wants_reminders", True)
    return services.registration_create(
        meeting=the_meeting, user=user, needs=services.AccessNeeds(**needs), wants_reminders=wants
    ).registration


NEEDS = set(services.AccessNeeds.__dataclass_fields__)


def walk_in(the_meeting: Meeting, *, entered_by: Any, name: str = "Siân " + XSS, **fields: Any) -> Registration:
    """Someone without an account, registered by staff (fields: email, phone, channel, language, needs)."""
    needs = services.AccessNeeds(**{k: fields.pop(k) for k in list(fields) if k in NEEDS})
    return services.registration_enter(
        meeting=the_meeting, entered_by=entered_by, name=name, needs=needs, **fields
    ).registration
