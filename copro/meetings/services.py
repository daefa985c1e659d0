"""Every write to meetings. Keyword arguments, one transaction each, plain-language errors.

Places and the waiting list: every change to a meeting's registrations first locks the meeting's row
(SELECT ... FOR UPDATE on PostgreSQL; SQLite takes one writer at a time anyway), then counts. So two people
taking the last place at once get one place and one waiting-list spot, and a cancelled place goes to
exactly one person from the waiting list. The unique constraint (one registration per person per meeting)
turns a double click into "you are already registered", not a second place.

Registrations are not written to the activity log one by one (they are personal, and a 200-person
workshop would serialise the hash chain); the meeting's own changes are, and attendance once per save.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.core import activity
from copro.core.forms import claim_token
from copro.core.models import EntryChannel, Visibility
from copro.core.sanitize import clean_html
from copro.meetings import notify
from copro.meetings.access import never_public
from copro.meetings.models import (
    ACTIVE_STATUSES,
    ActionStatus,
    AgendaItem,
    CalendarKey,
    Meeting,
    MeetingAction,
    MeetingFormat,
    MeetingStatus,
    Registration,
    RegistrationStatus,
    Team,
    TeamMember,
)

if TYPE_CHECKING:
    from copro.accounts.models import User
    from copro.projects.models import Project

TITLE_MAX = 200
# A reminder 2 days before and one 2 hours before (each sent once).
REMINDERS = {"2d": timedelta(days=2), "2h": timedelta(hours=2)}
TEAMS_MAX = 50
MINUTES_MAX = 50000
# Meetings are dated from 2000 to 2100: outside that a date is a typing mistake, and iCalendar needs
# four-digit years (RFC 5545 3.3.4).
YEAR_MIN, YEAR_MAX = 2000, 2100
# Walk-ins typed at the door: at most this many names per save.
WALK_INS_MAX = 500
# The longest email address a registration holds (Registration.email; the most SMTP carries, RFC 5321).
EMAIL_MAX = 254


def _visibility(meeting: Meeting, public: str = Visibility.PUBLIC) -> str:
    """Where an activity entry about this meeting may be seen: staff only while the meeting is a draft
    (its title and teams are not public yet) or was cancelled without ever being published (it stays
    hidden), else `public`."""
    return Visibility.STAFF if never_public(meeting) else public


def check_meeting_dates(starts_at: datetime | None, ends_at: datetime | None) -> dict[str, str]:
    """Errors for dates outside YEAR_MIN..YEAR_MAX (shared with the form, so people see it at once)."""
    errors: dict[str, str] = {}
    message = _("Choose a date between %(min)d and %(max)d.") % {"min": YEAR_MIN, "max": YEAR_MAX}
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is not None and not YEAR_MIN <= value.year <= YEAR_MAX:
            errors[name] = message
    return errors


# --- Meetings --------------------------------------------------------------------------------------


@dataclass
class MeetingFields:
    title: str
    starts_at: datetime
    ends_at: datetime
    format: str = MeetingFormat.IN_PERSON
    description: str = ""
    venue: str = ""
    venue_access: str = ""
    join_url: str = ""
    webcast_url: str = ""
    capacity: int | None = None
    registration_open: bool = True


def _clean_meeting(data: MeetingFields) -> MeetingFields:
    errors: dict[str, str] = {}
    data.title = (data.title or "").strip()
    if not data.title:
        errors["title"] = _("Give the meeting a title.")
    elif len(data.title) > TITLE_MAX:
        errors["title"] = _("The title can be at most %(max)d characters long.") % {"max": TITLE_MAX}
    if data.format not in MeetingFormat.values:
        errors["format"] = _("Choose in person, online or hybrid.")
    if data.starts_at is None:
        errors["starts_at"] = _("Say when the meeting starts.")
    dates = check_meeting_dates(data.starts_at, data.ends_at)
    if "starts_at" in dates:
        errors["starts_at"] = dates["starts_at"]
    if data.ends_at is None:
        errors["ends_at"] = _("Say when the meeting ends.")
    elif "ends_at" in dates:
        errors["ends_at"] = dates["ends_at"]
    elif data.starts_at is not None and data.ends_at <= data.starts_at:
        errors["ends_at"] = _("The meeting must end after it starts.")
    elif data.starts_at is not None and data.ends_at - data.starts_at > timedelta(days=14):
        errors["ends_at"] = _("A meeting can last at most 14 days. For a longer event, add one meeting a day.")
    if data.capacity is not None and data.capacity < 1:
        errors["capacity"] = _("The number of places is at least 1 (leave it empty for no limit).")
    if data.format in (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID) and not data.venue.strip():
        errors["venue"] = _("Say where the meeting is, so people can come in person.")
    for name, max_length in (("description", 10000), ("venue", 300), ("venue_access", 3000)):
        value = getattr(data, name).strip()
        if len(value) > max_length:
            errors[name] = _("This can be at most %(max)d characters long.") % {"max": max_length}
        setattr(data, name, value)
    for name in ("join_url", "webcast_url"):
        value = getattr(data, name).strip()
        if value and not value.startswith(("https://", "http://")):
            errors[name] = _("Give a full web address, starting with https://")
        setattr(data, name, value)
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def meeting_create(
    *, user: User, project: Project, data: MeetingFields, form_token: uuid.UUID | None = None
) -> Meeting:
    data = _clean_meeting(data)
    claim_token(form_token)
    meeting = Meeting.objects.create(project=project, created_by=user, status=MeetingStatus.DRAFT, **vars(data))
    activity.record(verb="meetings.created", actor=user, project=project, target=meeting, visibility=Visibility.STAFF)
    return meeting


# Changing these tells everyone registered (and raises the iCalendar SEQUENCE).
_TOLD_ABOUT = ("starts_at", "ends_at", "format", "venue", "join_url")


@transaction.atomic
def meeting_edit(*, user: User, meeting: Meeting, data: MeetingFields) -> Meeting:
    data = _clean_meeting(data)
    locked = _lock(meeting)
    changed = [f.name for f in fields(data) if getattr(locked, f.name) != getattr(data, f.name)]
    told = [name for name in changed if name in _TOLD_ABOUT]
    for name, value in vars(data).items():
        setattr(locked, name, value)
    if told:
        locked.sequence += 1
    if "starts_at" in changed:
        # Reminders are relative to the start: a new time means new reminders.
        Registration.objects.filter(meeting=locked).update(reminded_2d_at=None, reminded_2h_at=None)
    locked.save()
    if "capacity" in changed:
        _promote(locked)
    if told and locked.status == MeetingStatus.PUBLISHED:
        notify.meeting_changed(locked, told)
    activity.record(
        verb="meetings.edited",
        actor=user,
        project=locked.project,
        target=locked,
        visibility=_visibility(locked),
    )
    return locked


@transaction.atomic
def meeting_publish(*, user: User, meeting: Meeting) -> Meeting:
    locked = _lock(meeting)
    if locked.status != MeetingStatus.DRAFT:
        raise ValidationError(_("Only a meeting being prepared can be published."))
    locked.status = MeetingStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at", "updated_at"])
    activity.record(verb="meetings.published", actor=user, project=locked.project, target=locked)
    return locked


@transaction.atomic
def meeting_cancel(*, user: User, meeting: Meeting, reason: str) -> Meeting:
    """Cancel a meeting. Everyone registered or waiting is told by email (with the reason)."""
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": _("The reason can be at most 2,000 characters long.")})
    locked = _lock(meeting)
    if locked.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting is already cancelled."))
    was_published = locked.status == MeetingStatus.PUBLISHED
    if was_published and locked.published_at is None:
        # A meeting made public some other way than meeting_publish (a script, imported data): it was
        # public, so it stays visible once cancelled (a meeting never published stays hidden).
        locked.published_at = timezone.now()
    locked.status = MeetingStatus.CANCELLED
    locked.cancelled_reason = reason
    locked.sequence += 1
    locked.save(update_fields=["status", "cancelled_reason", "sequence", "published_at", "updated_at"])
    if was_published:
        notify.meeting_cancelled(locked)
    activity.record(
        verb="meetings.cancelled",
        actor=user,
        project=locked.project,
        target=locked,
        visibility=Visibility.PUBLIC if was_published else Visibility.STAFF,
    )
    return locked


def _lock(meeting: Meeting) -> Meeting:
    """The meeting's row, locked until the transaction ends (every change to its places goes through it)."""
    return _lock_id(meeting.pk)


def _lock_id(meeting_id: int) -> Meeting:
    return Meeting.objects.select_for_update().select_related("project").get(pk=meeting_id)


# --- Agenda ----------------------------------------------------------------------------------------


def _clean_item(
    title: str, starts_at: time | None, duration_minutes: int | None, led_by: str, description: str
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Say what happens in this part of the meeting.")
    elif len(title) > 200:
        errors["title"] = _("This can be at most %(max)d characters long.") % {"max": 200}
    if duration_minutes is not None and not 1 <= duration_minutes <= 24 * 60:
        errors["duration_minutes"] = _("Give a number of minutes from 1 to 1,440.")
    led_by, description = (led_by or "").strip(), (description or "").strip()
    if len(led_by) > 200:
        errors["led_by"] = _("This can be at most %(max)d characters long.") % {"max": 200}
    if len(description) > 2000:
        errors["description"] = _("This can be at most %(max)d characters long.") % {"max": 2000}
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "starts_at": starts_at,
        "duration_minutes": duration_minutes,
        "led_by": led_by,
        "description": description,
    }


@transaction.atomic
def agenda_item_add(
    *,
    user: User,
    meeting: Meeting,
    title: str,
    starts_at: time | None = None,
    duration_minutes: int | None = None,
    led_by: str = "",
    description: str = "",
    form_token: uuid.UUID | None = None,
) -> AgendaItem:
    values = _clean_item(title, starts_at, duration_minutes, led_by, description)
    _lock(meeting)
    if meeting.agenda_items.count() >= 100:
        raise ValidationError(_("An agenda can have at most 100 items."))
    claim_token(form_token)
    last = meeting.agenda_items.aggregate(m=Max("position"))["m"]
    return AgendaItem.objects.create(meeting=meeting, position=(last or 0) + 1, **values)


@transaction.atomic
def agenda_item_edit(
    *,
    user: User,
    item: AgendaItem,
    title: str,
    starts_at: time | None = None,
    duration_minutes: int | None = None,
    led_by: str = "",
    description: str = "",
) -> AgendaItem:
    values = _clean_item(title, starts_at, duration_minutes, led_by, description)
    for name, value in values.items():
        setattr(item, name, value)
    item.save()
    return item


@transaction.atomic
def agenda_item_move(*, user: User, item: AgendaItem, up: bool) -> None:
    """Swap the item with the one above (or below). Positions are renumbered 1..n on the way."""
    _lock(item.meeting)
    items = list(AgendaItem.objects.filter(meeting_id=item.meeting_id).order_by("position", "id"))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items, start=1):
        each.position = position
    AgendaItem.objects.bulk_update(items, ["position"])


@transaction.atomic
def agenda_item_remove(*, user: User, item: AgendaItem) -> None:
    item.delete()


# --- Registration ------------------------------------------------------------------------------------


@dataclass
class AccessNeeds:
    step_free: bool = False
    interpreter: str = ""  # the language ("BSL" for British Sign Language); empty: none
    hearing_loop: bool = False
    childcare: bool = False
    childcare_details: str = ""
    dietary: str = ""
    other_needs: str = ""

    def cleaned(self) -> AccessNeeds:
        errors: dict[str, str] = {}
        limits = {"interpreter": 100, "childcare_details": 300, "dietary": 300, "other_needs": 1000}
        for name, limit in limits.items():
            value = (getattr(self, name) or "").strip()
            if len(value) > limit:
                errors[name] = _("This can be at most %(max)d characters long.") % {"max": limit}
            setattr(self, name, value)
        if not self.childcare:
            self.childcare_details = ""
        if errors:
            raise ValidationError(errors)
        return self

    def as_fields(self) -> dict[str, Any]:
        return vars(self).copy()


class Outcome(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    ALREADY_REGISTERED = "already_registered"
    ALREADY_WAITLISTED = "already_waitlisted"


@dataclass
class RegisterResult:
    registration: Registration
    outcome: Outcome

    @property
    def created(self) -> bool:
        return self.outcome in (Outcome.REGISTERED, Outcome.WAITLISTED)


def check_open(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting is cancelled."))
    if meeting.status != MeetingStatus.PUBLISHED:
        raise ValidationError(_("This meeting is not published yet."))
    if meeting.ends_at <= timezone.now():
        raise ValidationError(_("This meeting has already taken place."))
    if not meeting.registration_open:
        raise ValidationError(_("Registration for this meeting is closed."))


def _status_for_new(meeting: Meeting) -> str:
    if meeting.capacity is None:
        return RegistrationStatus.REGISTERED
    taken = Registration.objects.filter(meeting=meeting, status=RegistrationStatus.REGISTERED).count()
    return RegistrationStatus.REGISTERED if taken < meeting.capacity else RegistrationStatus.WAITLISTED


def _stamp_reminders_already_covered(registration: Registration, now: datetime) -> None:
    """A confirmation sent within 2 days (or 2 hours) of the start is that reminder: do not send it again."""
    for key, before in REMINDERS.items():
        if now >= registration.meeting.starts_at - before:
            setattr(registration, f"reminded_{key}_at", now)


def already(existing: Registration) -> RegisterResult:
    outcome = (
        Outcome.ALREADY_REGISTERED if existing.status == RegistrationStatus.REGISTERED else Outcome.ALREADY_WAITLISTED
    )
    return RegisterResult(existing, outcome)


@transaction.atomic
def registration_create(
    *,
    meeting: Meeting,
    user: User,
    needs: AccessNeeds | None = None,
    wants_reminders: bool = True,
) -> RegisterResult:
    """Register the signed-in person: a place if there is one, else the waiting list. Registering twice
    returns the existing registration (outcome ALREADY_*), never a second place."""
    needs = (needs or AccessNeeds()).cleaned()
    locked = _lock(meeting)
    check_open(locked)
    existing = Registration.objects.filter(meeting=locked, user=user).first()
    if existing is not None and existing.is_active:
        return already(existing)
    now = timezone.now()
    status = _status_for_new(locked)
    registration = existing or Registration(meeting=locked, user=user)
    registration.meeting = locked
    registration.status = status
    registration.queued_at = now
    registration.cancelled_at = None
    registration.promoted_at = None
    registration.language = user.preferred_language
    registration.channel = EntryChannel.ONLINE
    registration.wants_reminders = wants_reminders
    registration.needs_met_at, registration.needs_met_by = None, None
    registration.reminded_2d_at = registration.reminded_2h_at = None
    for name, value in needs.as_fields().items():
        setattr(registration, name, value)
    if status == RegistrationStatus.REGISTERED:
        _stamp_reminders_already_covered(registration, now)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        # Two requests from the same person at once (where the lock does not serialise them).
        return already(Registration.objects.get(meeting=locked, user=user))
    notify.registration_made(registration)
    return RegisterResult(registration, Outcome(status))


@transaction.atomic
def registration_enter(
    *,
    meeting: Meeting,
    entered_by: User,
    name: str,
    email: str = "",
    phone: str = "",
    channel: str = EntryChannel.PHONE,
    language: str = "en",
    needs: AccessNeeds | None = None,
    form_token: uuid.UUID | None = None,
) -> RegisterResult:
    """Staff register someone without an account (reached by phone, on paper, at a drop-in). They get the
    same place or waiting-list spot as anyone; emails go to the address given, if any."""
    needs = (needs or AccessNeeds()).cleaned()
    errors: dict[str, str] = {}
    name, email, phone = (name or "").strip(), (email or "").strip(), (phone or "").strip()
    if not name:
        errors["name"] = _("Give the person's name, so they can be found at the door.")
    elif len(name) > 200:
        errors["name"] = _("This can be at most %(max)d characters long.") % {"max": 200}
    if len(email) > EMAIL_MAX:
        errors["email"] = _("An email address can be at most %(max)d characters long.") % {"max": EMAIL_MAX}
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("This email address does not look right.")
    if len(phone) > 40:
        errors["phone"] = _("This can be at most %(max)d characters long.") % {"max": 40}
    if channel not in EntryChannel.values:
        errors["channel"] = _("Choose how the person reached you.")
    if errors:
        raise ValidationError(errors)
    locked = _lock(meeting)
    if locked.status != MeetingStatus.PUBLISHED:
        raise ValidationError(_("Only a published meeting takes registrations."))
    if locked.ends_at <= timezone.now():
        raise ValidationError(_("This meeting has already taken place: record who came on the attendance page."))
    claim_token(form_token)
    now = timezone.now()
    status = _status_for_new(locked)
    registration = Registration(
        meeting=locked,
        name=name,
        email=email,
        phone=phone,
        channel=channel,
        language=language,
        entered_by=entered_by,
        status=status,
        queued_at=now,
        **needs.as_fields(),
    )
    if status == RegistrationStatus.REGISTERED:
        _stamp_reminders_already_covered(registration, now)
    registration.save()
    notify.registration_made(registration)
    return RegisterResult(registration, Outcome(status))


@transaction.atomic
def registration_update(
    *, registration: Registration, user: User, needs: AccessNeeds, wants_reminders: bool
) -> Registration:
    """The person changes their access needs (or a facilitator does for them). A change marks the needs as
    not yet met, so the team looks again."""
    needs = needs.cleaned()
    before = {name: getattr(registration, name) for name in needs.as_fields()}
    for name, value in needs.as_fields().items():
        setattr(registration, name, value)
    if before != needs.as_fields():
        registration.needs_met_at, registration.needs_met_by = None, None
    registration.wants_reminders = wants_reminders
    registration.save()
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration, user: User, by_staff: bool = False) -> Registration | None:
    """Give up a place (or a waiting-list spot). A freed place goes at once to the first on the waiting
    list, who is told by email. Returns the promoted registration, if any.

    by_staff: a facilitator cancels someone else's place. The person is told by email, in their language,
    with a calendar file that removes the meeting from their calendar (the meeting's SEQUENCE goes up so
    calendar programs take the change; a later registration's file then carries the new number too)."""
    locked_meeting = _lock(registration.meeting)
    current = Registration.objects.select_for_update(of=("self",)).select_related("user").get(pk=registration.pk)
    if current.status == RegistrationStatus.CANCELLED:
        return None
    current.status = RegistrationStatus.CANCELLED
    current.cancelled_at = timezone.now()
    current.save(update_fields=["status", "cancelled_at"])
    TeamMember.objects.filter(registration=current).delete()
    tell = (
        by_staff
        and current.user_id != user.pk
        and locked_meeting.status == MeetingStatus.PUBLISHED
        and locked_meeting.ends_at > timezone.now()
        and notify.recipient(current) is not None
    )
    if tell:
        locked_meeting.sequence += 1
        locked_meeting.save(update_fields=["sequence", "updated_at"])
        current.meeting = locked_meeting
        notify.place_cancelled(current)
    promoted = _promote(locked_meeting)
    return promoted[0] if promoted else None


def _promote(meeting: Meeting) -> list[Registration]:
    """Fill free places from the waiting list, first come first served. Call with the meeting locked.

    The places are given here, in the request (so the counts are right at once); the emails telling people
    are sent by ONE background task with all their ids, so raising the places from 10 to 60 does not
    render 50 emails while the meeting's row is locked."""
    if meeting.status != MeetingStatus.PUBLISHED or meeting.ends_at <= timezone.now():
        return []
    waiting = Registration.objects.filter(meeting=meeting, status=RegistrationStatus.WAITLISTED).order_by(
        "queued_at", "id"
    )
    if meeting.capacity is None:
        free = None
    else:
        taken = Registration.objects.filter(meeting=meeting, status=RegistrationStatus.REGISTERED).count()
        free = max(meeting.capacity - taken, 0)
        if free == 0:
            return []
    chosen = list(waiting if free is None else waiting[:free])
    if not chosen:
        return []
    now = timezone.now()
    for registration in chosen:
        registration.meeting = meeting
        registration.status = RegistrationStatus.REGISTERED
        registration.promoted_at = now
        _stamp_reminders_already_covered(registration, now)
    Registration.objects.bulk_update(chosen, ["status", "promoted_at", "reminded_2d_at", "reminded_2h_at"])
    notify.registrations_promoted([r.pk for r in chosen])
    return chosen


@transaction.atomic
def registration_needs_met(*, registration: Registration, user: User, met: bool, note: str = "") -> Registration:
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("The note can be at most 500 characters long.")})
    registration.needs_met_at = timezone.now() if met else None
    registration.needs_met_by = user if met else None
    registration.needs_note = note
    registration.save(update_fields=["needs_met_at", "needs_met_by", "needs_note"])
    return registration


# --- Attendance ------------------------------------------------------------------------------------


@dataclass
class AttendanceResult:
    meeting: Meeting
    added: list[str]  # walk-ins added to the list
    already_listed: list[str]  # names typed that were on the list already: ticked, not added twice


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


@transaction.atomic
def attendance_record(
    *,
    user: User,
    meeting: Meeting,
    attended_ids: set[int],
    unnamed: int,
    walk_ins: list[str] | None = None,
    shown_ids: set[int] | None = None,
    form_token: uuid.UUID | None = None,
) -> AttendanceResult:
    """Who came: registrations ticked off, people without accounts added by name (walk-ins), and a number
    of people who gave no name ("12 more people came"). One activity entry per save.

    shown_ids: the registrations the form showed (one page of a long list). Only those are ticked or
    unticked; people on other pages keep what was saved for them. None: the whole list was shown.
    A walk-in whose name is already on the list (without an account) is ticked, not added a second time,
    so sending the form twice, or typing a name twice, never makes two people of one."""
    if unnamed < 0 or unnamed > 100_000:
        raise ValidationError({"unnamed": _("Give a number from 0 to 100,000.")})
    names = [" ".join(n.split()) for n in (walk_ins or []) if n.strip()]
    if any(len(n) > 200 for n in names):
        raise ValidationError({"walk_ins": _("Each name can be at most 200 characters long.")})
    if len(names) > WALK_INS_MAX:
        raise ValidationError({"walk_ins": _("Add at most %(max)d names at a time.") % {"max": WALK_INS_MAX}})
    locked = _lock(meeting)
    if locked.status == MeetingStatus.DRAFT:
        raise ValidationError(_("Publish the meeting before recording who came."))
    if locked.starts_at > timezone.now() + timedelta(hours=1):
        raise ValidationError(_("Attendance can be recorded from an hour before the meeting starts."))
    claim_token(form_token)
    registrations = Registration.objects.filter(meeting=locked).exclude(status=RegistrationStatus.CANCELLED)
    scope = registrations if shown_ids is None else registrations.filter(pk__in=shown_ids)
    scope.filter(pk__in=attended_ids).update(attended=True)
    scope.exclude(pk__in=attended_ids).update(attended=False)
    listed: dict[str, int] = {}
    if names:
        wanted = {_name_key(n) for n in names}
        for pk, name in registrations.filter(user__isnull=True).order_by("id").values_list("pk", "name"):
            if _name_key(name) in wanted:
                listed.setdefault(_name_key(name), pk)
    added: list[str] = []
    already_listed: list[str] = []
    seen: set[str] = set()
    for name in names:
        key = _name_key(name)
        if key in seen:
            continue
        seen.add(key)
        (already_listed if key in listed else added).append(name)
    if listed:
        registrations.filter(pk__in=listed.values()).update(attended=True)
    now = timezone.now()
    Registration.objects.bulk_create(
        [
            Registration(
                meeting=locked,
                name=name,
                channel=EntryChannel.DROP_IN,
                entered_by=user,
                status=RegistrationStatus.REGISTERED,
                queued_at=now,
                attended=True,
                wants_reminders=False,
            )
            for name in added
        ]
    )
    locked.unnamed_attendees = unnamed
    locked.attendance_recorded_at = now
    locked.save(update_fields=["unnamed_attendees", "attendance_recorded_at", "updated_at"])
    came = Registration.objects.filter(meeting=locked, attended=True).count() + unnamed
    activity.record(
        verb="meetings.attendance",
        actor=user,
        project=locked.project,
        target=locked,
        visibility=Visibility.MEMBERS,
        data={"count": came},
    )
    return AttendanceResult(locked, added, already_listed)


# --- Minutes ---------------------------------------------------------------------------------------


@dataclass
class MinutesResult:
    meeting: Meeting
    published: bool
    # Why publishing was asked for but not done (the text is saved all the same); "" when it was.
    not_published_because: str = ""


def _clean_minutes(minutes: str) -> str:
    cleaned = clean_html((minutes or "").strip())
    if len(cleaned) > MINUTES_MAX:
        raise ValidationError(
            {"minutes": _("The minutes can be at most %(max)d characters long.") % {"max": MINUTES_MAX}}
        )
    return cleaned


@transaction.atomic
def minutes_save(*, user: User, meeting: Meeting, minutes: str, publish: bool) -> MinutesResult:
    """Save the minutes (cleaned by nh3), always; then publish them if asked and allowed. Publishing shows
    them (and the actions agreed) to everyone who can see the meeting, and is possible once a published
    meeting has started. When it is not possible the text is still saved, and the result says why it is
    not published yet, so nobody loses what they typed."""
    cleaned = _clean_minutes(minutes)
    locked = _lock(meeting)
    if publish and not cleaned:
        raise ValidationError({"minutes": _("Write the minutes before publishing them.")})
    because = ""
    if publish and locked.status == MeetingStatus.DRAFT:
        because = _("Publish the meeting first: its minutes cannot be public while the meeting is not.")
    elif publish and locked.starts_at > timezone.now():
        because = _("Minutes can be published once the meeting has taken place.")
    first_publication = publish and not because and locked.minutes_published_at is None
    locked.minutes = cleaned
    if first_publication:
        locked.minutes_published_at = timezone.now()
    locked.save(update_fields=["minutes", "minutes_published_at", "updated_at"])
    if first_publication:
        activity.record(
            verb="meetings.minutes_published",
            actor=user,
            project=locked.project,
            target=locked,
            visibility=_visibility(locked),
        )
    published = locked.minutes_published_at is not None
    return MinutesResult(locked, published, because)


@transaction.atomic
def minutes_unpublish(*, user: User, meeting: Meeting, minutes: str | None = None) -> Meeting:
    """Hide the minutes again (only facilitators see them). The text sent with the form is saved first."""
    cleaned = None if minutes is None else _clean_minutes(minutes)
    locked = _lock(meeting)
    if cleaned is not None:
        locked.minutes = cleaned
    locked.minutes_published_at = None
    locked.save(update_fields=["minutes", "minutes_published_at", "updated_at"])
    return locked


# --- Actions ---------------------------------------------------------------------------------------


def _action_visibility(meeting: Meeting) -> str:
    """Actions name people: until the minutes are published only facilitators see them, in the activity
    log as on the meeting's page."""
    return Visibility.MEMBERS if meeting.minutes_published_at and not never_public(meeting) else Visibility.STAFF


def _clean_action(text: str, assignee: User | None, assignee_name: str, due_on: date | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    text, assignee_name = (text or "").strip(), (assignee_name or "").strip()
    if not text:
        errors["text"] = _("Say what will be done.")
    elif len(text) > 500:
        errors["text"] = _("This can be at most %(max)d characters long.") % {"max": 500}
    if len(assignee_name) > 200:
        errors["assignee_name"] = _("This can be at most %(max)d characters long.") % {"max": 200}
    if assignee is not None and assignee_name:
        errors["assignee_name"] = _("Choose a person or write a name, not both.")
    if errors:
        raise ValidationError(errors)
    return {"text": text, "assignee": assignee, "assignee_name": assignee_name, "due_on": due_on}


@transaction.atomic
def action_add(
    *,
    user: User,
    meeting: Meeting,
    text: str,
    assignee: User | None = None,
    assignee_name: str = "",
    due_on: date | None = None,
    form_token: uuid.UUID | None = None,
) -> MeetingAction:
    values = _clean_action(text, assignee, assignee_name, due_on)
    claim_token(form_token)
    action = MeetingAction.objects.create(project=meeting.project, meeting=meeting, created_by=user, **values)
    activity.record(
        verb="meetings.action_added",
        actor=user,
        project=meeting.project,
        target=action,
        visibility=_action_visibility(meeting),
    )
    return action


@transaction.atomic
def action_edit(
    *,
    user: User,
    action: MeetingAction,
    text: str,
    assignee: User | None = None,
    assignee_name: str = "",
    due_on: date | None = None,
) -> MeetingAction:
    for name, value in _clean_action(text, assignee, assignee_name, due_on).items():
        setattr(action, name, value)
    action.save()
    return action


@transaction.atomic
def action_set_status(*, user: User, action: MeetingAction, done: bool) -> MeetingAction:
    status = ActionStatus.DONE if done else ActionStatus.OPEN
    if action.status == status:
        return action
    action.status = status
    action.done_at = timezone.now() if done else None
    action.save(update_fields=["status", "done_at"])
    activity.record(
        verb="meetings.action_done" if done else "meetings.action_reopened",
        actor=user,
        project=action.project,
        target=action,
        visibility=_action_visibility(action.meeting),
    )
    return action


# --- Teams -----------------------------------------------------------------------------------------


def _clean_team_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("This can be at most %(max)d characters long.") % {"max": 100}})
    return name


@transaction.atomic
def team_create(*, user: User, meeting: Meeting, name: str) -> Team:
    name = _clean_team_name(name)
    locked = _lock(meeting)  # so two facilitators at once cannot pass TEAMS_MAX
    if Team.objects.filter(meeting=locked).count() >= TEAMS_MAX:
        raise ValidationError(_("A meeting can have at most %(max)d teams.") % {"max": TEAMS_MAX})
    try:
        with transaction.atomic():
            team = Team.objects.create(project=locked.project, meeting=locked, name=name, created_by=user)
    except IntegrityError:
        raise ValidationError({"name": _("There is already a team with this name.")}) from None
    activity.record(
        verb="meetings.team_created",
        actor=user,
        project=locked.project,
        target=team,
        visibility=_visibility(locked),
    )
    return team


@transaction.atomic
def team_rename(*, user: User, team: Team, name: str) -> Team:
    team.name = _clean_team_name(name)
    try:
        with transaction.atomic():
            team.save(update_fields=["name"])
    except IntegrityError:
        raise ValidationError({"name": _("There is already a team with this name.")}) from None
    return team


@transaction.atomic
def team_remove(*, user: User, team: Team) -> None:
    from copro.core.links import links_from

    if links_from(team).exists():
        raise ValidationError(_("This team has submitted ideas, so it stays (the ideas link back to it)."))
    team.delete()


def _active_registrations(meeting: Meeting) -> list[Registration]:
    return list(
        Registration.objects.filter(meeting=meeting, status=RegistrationStatus.REGISTERED)
        .select_related("user")
        .order_by("id")
    )


@transaction.atomic
def teams_apply_suggestion(*, user: User, meeting: Meeting, k: int | None = None) -> list[Team]:
    """Place everyone registered in teams, mixing roles (copro.analysis.teams).

    With no teams yet, makes k teams ("Team 1" .. "Team k"). With teams already, keeps everyone where they
    are and places only the people not yet in a team. One activity entry, whatever the number of people.
    """
    from copro.meetings.selectors import team_suggestion

    locked = _lock(meeting)
    teams = list(Team.objects.filter(meeting=locked).order_by("id"))
    if not teams:
        if k is None or not 1 <= k <= TEAMS_MAX:
            raise ValidationError({"k": _("Choose from 1 to %(max)d teams.") % {"max": TEAMS_MAX}})
        teams = [
            Team.objects.create(
                project=locked.project, meeting=locked, name=_("Team %(n)d") % {"n": i + 1}, created_by=user
            )
            for i in range(k)
        ]
    suggestion = team_suggestion(locked, teams)
    existing = set(TeamMember.objects.filter(meeting=locked).values_list("registration_id", flat=True))
    TeamMember.objects.bulk_create(
        [
            TeamMember(team=suggested.team, meeting=locked, registration_id=registration.pk)
            for suggested in suggestion
            for registration, _role in suggested.members
            if registration.pk not in existing
        ]
    )
    activity.record(
        verb="meetings.teams_suggested",
        actor=user,
        project=locked.project,
        target=locked,
        visibility=_visibility(locked),
        data={"count": len(teams)},
    )
    return teams


@transaction.atomic
def team_member_move(*, user: User, registration: Registration, team: Team | None) -> None:
    """Put a registered person in a team (or take them out of any, with team=None).

    The meeting's row is locked first, so moves, joins and Copro's suggestion for one meeting happen one
    at a time; the (meeting, registration) constraint still holds if anything slips through, and a clash
    with it means the same move was just made (a double click): already done, not an error."""
    if team is not None and team.meeting_id != registration.meeting_id:
        raise ValidationError(_("That team is in another meeting."))
    _lock_id(registration.meeting_id)
    current = Registration.objects.filter(pk=registration.pk).values_list("status", flat=True).first()
    if current != RegistrationStatus.REGISTERED:
        raise ValidationError(_("Only people with a place can be in a team."))
    if team is not None and not Team.objects.filter(pk=team.pk).exists():
        raise ValidationError(_("That team has just been removed."))
    mine = TeamMember.objects.filter(meeting_id=registration.meeting_id, registration_id=registration.pk)
    if team is not None and mine.filter(team_id=team.pk).exists():
        return  # already there
    mine.delete()
    if team is None:
        return
    try:
        with transaction.atomic():
            TeamMember.objects.create(team=team, meeting_id=registration.meeting_id, registration=registration)
    except IntegrityError:
        pass  # the same person placed at the same moment by another request: already done


@transaction.atomic
def team_join(*, user: User, team: Team) -> None:
    registration = Registration.objects.filter(meeting_id=team.meeting_id, user=user).first()
    if registration is None or registration.status != RegistrationStatus.REGISTERED:
        raise ValidationError(_("Register for the workshop first: teams are made from the people coming."))
    team_member_move(user=user, registration=registration, team=team)


@transaction.atomic
def team_leave(*, user: User, team: Team) -> None:
    _lock_id(team.meeting_id)
    TeamMember.objects.filter(team=team, registration__user=user).delete()


@transaction.atomic
def team_submit_idea(
    *,
    user: User,
    team: Team,
    title: str,
    problem: str,
    proposal: str,
    scope_items: Any = (),
    cost_estimate: Any = None,
    form_token: uuid.UUID | None = None,
) -> Any:
    """The team's solution becomes an idea (copro.ideas), with the other team members who have accounts as
    co-authors, linked to the team (link kind team_idea) so the team page lists it and the idea shows
    where it came from. It then goes into pressure-testing like any idea."""
    from copro.core.links import link_create
    from copro.ideas.services import idea_submit

    claim_token(form_token)
    from copro.core.permissions import CONTRIBUTORS, TABLE
    from copro.projects.access import project_role
    from copro.projects.models import Membership

    members = [
        m.registration.user
        for m in TeamMember.objects.filter(team=team).select_related("registration__user")
        if m.registration.user is not None and m.registration.user.pk != user.pk and m.registration.user.is_active
    ]
    # A facilitator submits for the team (entered_by): every member with an account is a co-author. A team
    # member submits as themselves: the ideas app then takes as co-authors only the project's contributors
    # (a signed-in visitor who is not a member stays in the team, and the team link shows the idea).
    staff = TABLE.allowed(project_role(user, team.project), "meetings.teams")
    if not staff:
        contributors = set(
            Membership.objects.filter(
                project=team.project, user__in=members, role__in=[r.value for r in CONTRIBUTORS]
            ).values_list("user_id", flat=True)
        )
        members = [u for u in members if u.pk in contributors]
    idea = idea_submit(
        project=team.project,
        author=user,
        title=title,
        problem=problem,
        proposal=proposal,
        scope_items=scope_items,
        cost_estimate=cost_estimate,
        co_authors=members,
        entered_by=user if staff else None,
    )
    link_create(kind="team_idea", source=team, target=idea, user=user)
    activity.record(
        verb="meetings.team_idea",
        actor=user,
        project=team.project,
        target=team,
        visibility=_visibility(Meeting.objects.only("status", "published_at").get(pk=team.meeting_id)),
        data={"idea": str(idea)[:200]},
    )
    return idea


# --- Accounts ----------------------------------------------------------------------------------------


def erase_registrations(user: User) -> None:
    """Account erasure: access needs and contact details go; future places are given up (the waiting list
    moves on); past attendance stays as a count (the registration keeps the erased account's row)."""
    now = timezone.now()
    future = Registration.objects.filter(
        user=user, status__in=ACTIVE_STATUSES, meeting__ends_at__gt=now
    ).select_related("meeting")
    for registration in future:
        registration_cancel(registration=registration, user=user)
    Registration.objects.filter(user=user).update(
        step_free=False,
        interpreter="",
        hearing_loop=False,
        childcare=False,
        childcare_details="",
        dietary="",
        other_needs="",
        needs_note="",
        name="",
        email="",
        phone="",
    )
    CalendarKey.objects.filter(user=user).delete()  # the personal calendar address stops working


# --- Personal calendar addresses -----------------------------------------------------------------------

CALENDAR_KEY = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def _new_key() -> str:
    return secrets.token_urlsafe(32)


def calendar_key_for(user: User, project: Project) -> str:
    """The person's calendar key for this project, made the first time it is asked for."""
    found = CalendarKey.objects.filter(user=user, project=project).values_list("key", flat=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return CalendarKey.objects.create(user=user, project=project, key=_new_key()).key
    except IntegrityError:  # made at the same moment by another request: that one stands
        return CalendarKey.objects.get(user=user, project=project).key


@transaction.atomic
def calendar_key_renew(user: User, project: Project) -> str:
    """A new calendar key for this project: the address with the old one stops working at once."""
    key = _new_key()
    CalendarKey.objects.update_or_create(user=user, project=project, defaults={"key": key})
    return key


def user_for_calendar_key(key: str, project: Project) -> User | None:
    """The person this project's calendar key belongs to, if they may still use it: active, and (for staff
    and facilitators) with two-factor authentication set up, as for signing in. None for anything else: a
    wrong, old or malformed key, or another project's."""
    from copro.accounts.middleware import needs_two_factor

    if not CALENDAR_KEY.fullmatch(key or ""):
        return None
    found = CalendarKey.objects.filter(key=key, project=project, user__is_active=True).select_related("user").first()
    if found is None or needs_two_factor(found.user):
        return None
    return found.user
