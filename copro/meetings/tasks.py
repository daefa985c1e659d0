"""Background work for meetings: emails with a calendar attached, telling everyone registered about a
change or a cancellation, and reminders before a meeting (2 days and 2 hours before, each once).

Run `copro meetings remind` every 5-15 minutes from cron or a systemd timer (docs/deployment.md); it
queues `send_reminders`, which the background worker (`copro db_worker`) runs.
"""

from __future__ import annotations

from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django_tasks import task

from copro.meetings.models import MeetingStatus, Registration, RegistrationStatus

BATCH_SIZE = 500


@task()
def send_with_calendar(to: str, subject: str, text: str, html: str, ics: str, filename: str = "meeting.ics") -> None:
    """One email with the meeting attached as an iCalendar file (opens in any calendar program).

    The part is built here rather than by Django's attach(filename, content, mimetype): given a mimetype
    with parameters, Django adds its own charset after them, and the header says charset twice
    ("text/calendar; charset=utf-8; method=PUBLISH; charset=utf-8"), which some mail programs refuse.
    Here it reads: text/calendar; charset="utf-8"; method="PUBLISH", with the file name."""
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    message.attach_alternative(html, "text/html")
    part = MIMEText(ics, "calendar", "utf-8")
    part.set_param("method", "PUBLISH")
    part.add_header("Content-Disposition", "attachment", filename=filename)
    message.attach(part)
    message.send()


def _active(meeting_id: int) -> list[Registration]:
    return list(
        Registration.objects.filter(
            meeting_id=meeting_id, status__in=[RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED]
        )
        .select_related("user", "meeting", "meeting__project")
        .order_by("id")
    )


@task()
def tell_registrants(meeting_id: int, what: str, changed: list[str]) -> dict[str, int]:
    """Email everyone registered or waiting: what = "cancelled" or "changed" (then `changed` names the
    fields: starts_at, ends_at, format, venue, join_url)."""
    from copro.meetings import notify

    sent = 0
    for registration in _active(meeting_id):
        if what == "cancelled":
            sent += notify.send(registration, "cancelled", with_calendar=True)
        else:
            sent += notify.send(registration, "changed", with_calendar=True, changed=changed)
    return {"queued": sent}


@task()
def tell_promoted(registration_ids: list[int]) -> dict[str, int]:
    """Email the people who just got a place from the waiting list (one task for all of them, queued by
    services._promote). Someone who gave the place up again before this ran is not told."""
    from copro.meetings import notify

    sent = 0
    registrations = (
        Registration.objects.filter(pk__in=registration_ids, status=RegistrationStatus.REGISTERED)
        .select_related("user", "meeting", "meeting__project")
        .order_by("id")
    )
    for registration in registrations.iterator(chunk_size=BATCH_SIZE):
        if registration.meeting.status != MeetingStatus.PUBLISHED:
            continue
        sent += notify.send(registration, "promoted", with_calendar=True)
    return {"queued": sent}


@task()
def send_reminders() -> dict[str, int]:
    """Remind people with a place: 2 days before and 2 hours before the start, each once.

    Each reminder is claimed by stamping it (an UPDATE that only succeeds if it was not stamped yet) before
    the email is queued, so two workers, or a run repeated after a crash, never send it twice. A reminder
    whose moment passed long ago (the 2-day one, when the meeting is now under 2 hours away) is stamped and
    not sent: the next one covers it.
    """
    from copro.meetings import notify
    from copro.meetings.services import REMINDERS

    now = timezone.now()
    counts = {"2d": 0, "2h": 0, "skipped": 0}
    for key in ("2d", "2h"):
        stamp = f"reminded_{key}_at"
        due = Registration.objects.filter(
            status=RegistrationStatus.REGISTERED,
            meeting__status=MeetingStatus.PUBLISHED,
            meeting__starts_at__gt=now,
            meeting__starts_at__lte=now + REMINDERS[key],
            **{f"{stamp}__isnull": True},
        )
        last_id = 0
        while batch := list(
            due.filter(id__gt=last_id).select_related("user", "meeting", "meeting__project").order_by("id")[:BATCH_SIZE]
        ):
            last_id = batch[-1].pk
            for registration in batch:
                claimed = Registration.objects.filter(pk=registration.pk, **{f"{stamp}__isnull": True}).update(
                    **{stamp: now}
                )
                if not claimed:
                    continue
                too_late = key == "2d" and registration.meeting.starts_at - now <= REMINDERS["2h"]
                if too_late or not registration.wants_reminders:
                    counts["skipped"] += 1
                    continue
                if notify.send(registration, "reminder", soon=key == "2h"):
                    counts[key] += 1
    return counts
