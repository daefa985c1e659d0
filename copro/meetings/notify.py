"""Emails to the people registered for a meeting, each in their own language.

One person's email (confirmation, waiting list, their place cancelled by a facilitator) is rendered now
and sent by the background worker, with the meeting's .ics attached where it helps. Emails to many people
(the meeting cancelled or changed, places that came free when the number of places went up) are queued as
one task that does the fan-out in the background, never in the request. The email and its calendar file
are both written in the person's language. These are about the person's own place, so they are sent
whatever the person chose for project news.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from copro.core.email import render_email, send_email_task
from copro.meetings import ical
from copro.meetings.models import Meeting, Registration, RegistrationStatus


def recipient(registration: Registration) -> tuple[str, str] | None:
    """(address, language) for emails about this registration, or None if there is nowhere to send them."""
    user = registration.user
    if user is not None:
        if not user.is_active or user.erased_at:
            return None
        return user.email, user.preferred_language or settings.LANGUAGE_CODE
    if registration.email:
        return registration.email, registration.language or settings.LANGUAGE_CODE
    return None


def context(registration: Registration, **extra: Any) -> dict[str, Any]:
    meeting = registration.meeting
    return {
        "meeting": meeting,
        "project": meeting.project,
        "registration": registration,
        "name": registration.display_name,
        "meeting_url": settings.SITE_URL + reverse("meetings:detail", args=[meeting.project.slug, meeting.pk]),
        "show_join_link": registration.status == RegistrationStatus.REGISTERED and bool(meeting.join_url),
        **extra,
    }


def send(
    registration: Registration,
    template: str,
    *,
    with_calendar: bool = False,
    calendar_status: str | None = None,
    **extra: Any,
) -> bool:
    """Queue one email about this registration. Returns False when there is no address to send it to.

    calendar_status: "CANCELLED" to send a calendar file that removes the meeting (a place cancelled),
    whatever the meeting's own status."""
    from copro.meetings.tasks import send_with_calendar

    to = recipient(registration)
    if to is None:
        return False
    address, language = to
    subject, text, html = render_email(f"meetings/email/{template}", context(registration, **extra), language)
    if with_calendar:
        meeting = registration.meeting
        join = registration.status == RegistrationStatus.REGISTERED
        with translation.override(language):  # "Join online" in the calendar file, in their language
            ics = ical.meeting_calendar(meeting, include_join_link=join, status=calendar_status)
        send_with_calendar.enqueue(
            to=address, subject=subject, text=text, html=html, ics=ics, filename=ical.filename(meeting)
        )
    else:
        send_email_task.enqueue(to=address, subject=subject, text=text, html=html, headers={})
    return True


def registration_made(registration: Registration) -> None:
    if registration.status == RegistrationStatus.REGISTERED:
        send(registration, "registered", with_calendar=True)
    else:
        send(registration, "waitlisted")


def registrations_promoted(registration_ids: list[int]) -> None:
    """People who got a place from the waiting list: ONE task sends all their emails (see tasks.py)."""
    from copro.meetings.tasks import tell_promoted

    if registration_ids:
        tell_promoted.enqueue(registration_ids=list(registration_ids))


def place_cancelled(registration: Registration) -> None:
    """A facilitator cancelled this person's place: tell them, with a calendar file that removes it."""
    send(registration, "place_cancelled", with_calendar=True, calendar_status="CANCELLED")


def meeting_cancelled(meeting: Meeting) -> None:
    from copro.meetings.tasks import tell_registrants

    tell_registrants.enqueue(meeting_id=meeting.pk, what="cancelled", changed=[])


def meeting_changed(meeting: Meeting, changed: list[str]) -> None:
    from copro.meetings.tasks import tell_registrants

    tell_registrants.enqueue(meeting_id=meeting.pk, what="changed", changed=changed)
