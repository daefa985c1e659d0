"""iCalendar (RFC 5545) for meetings, written by hand: one event per meeting, or a project's feed.

The parts of RFC 5545 that matter here:
- lines end in CRLF and are folded at 75 octets (not characters: a Welsh "ŵ" is two octets), each
  continuation starting with one space (3.1), never splitting a UTF-8 character;
- TEXT values escape backslash, semicolon, comma and newlines (3.3.11);
- times are in UTC ("20261201T180000Z", 3.3.5 form 2), so no VTIMEZONE is needed and every calendar
  program shows the right local time;
- every event has a UID that never changes and a DTSTAMP (3.8.7.2); SEQUENCE goes up when the time,
  place or status changes, and a cancelled meeting stays in the feed with STATUS:CANCELLED so calendars
  that subscribed remove it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.core.sanitize import plain_text
from copro.meetings.models import Meeting, MeetingStatus

PRODID = "-//Copro//Meetings//EN"
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold one content line into chunks of at most 75 octets, joined with CRLF + space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS  # the first line has 75 octets; continuations 74 (after their leading space)
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, LINE_OCTETS - 1
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def utc(moment: datetime) -> str:
    """RFC 5545 3.3.5 form 2. Written field by field: strftime("%Y") does not pad years before 1000 to four
    digits on every platform (meetings are bounded to 2000-2100, but the format must never be invalid)."""
    m = moment.astimezone(UTC)
    return f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}Z"


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "copro.localhost"


def uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@{_host()}"


def meeting_url(meeting: Meeting) -> str:
    return settings.SITE_URL + reverse("meetings:detail", args=[meeting.project.slug, meeting.pk])


def event_lines(
    meeting: Meeting,
    *,
    include_join_link: bool = False,
    stamp: datetime | None = None,
    status: str | None = None,
) -> list[str]:
    """One VEVENT. Text in the active language (callers sending email wrap this in the recipient's).
    status: "CANCELLED" for one person whose place was cancelled; by default the meeting's own status."""
    url = meeting_url(meeting)
    description = plain_text(meeting.description) if meeting.description else ""
    location_parts = [meeting.venue] if meeting.venue and meeting.format != "online" else []
    if include_join_link and meeting.join_url:
        joining = _("Join online: %(url)s") % {"url": meeting.join_url}
        description = (description + "\n\n" if description else "") + joining
        if meeting.format != "in_person":
            location_parts.append(meeting.join_url)
    description = (description + "\n\n" if description else "") + url
    if status is None:
        status = "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid(meeting)}",
        f"DTSTAMP:{utc(stamp or timezone.now())}",
        f"DTSTART:{utc(meeting.starts_at)}",
        f"DTEND:{utc(meeting.ends_at)}",
        f"SUMMARY:{escape_text(meeting.title)}",
        f"DESCRIPTION:{escape_text(description)}",
    ]
    if location_parts:
        lines.append(f"LOCATION:{escape_text(' / '.join(location_parts))}")
    lines += [
        f"URL:{url}",
        f"STATUS:{status}",
        f"SEQUENCE:{meeting.sequence}",
        f"LAST-MODIFIED:{utc(meeting.updated_at)}",
        "END:VEVENT",
    ]
    return lines


def calendar(events: Iterable[list[str]], *, name: str = "", method: str = "PUBLISH") -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", f"METHOD:{method}"]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines += event
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def meeting_calendar(meeting: Meeting, *, include_join_link: bool = False, status: str | None = None) -> str:
    return calendar([event_lines(meeting, include_join_link=include_join_link, status=status)], name=meeting.title)


def filename(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}.ics"
