"""Every write to an open space. Keyword arguments, one transaction each, plain-language errors.

Schedule changes (build, place, swap, take out, co-hosts, times a host cannot make, publish) first lock the
open space's row, so two facilitators adjusting at once are applied one after the other and the checks
that span rows (a host in two sessions at once) see the other's change. "One session per room per slot"
is also held by the database; a race that still breaks it is turned into the same plain message.

Activity log: setting up, each proposal, each withdrawal, each build, publishing and taking down. Never one
entry per mark (a hash chain would serialise every click) and never one per hand adjustment.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.analysis import scheduling
from copro.core import activity
from copro.core.forms import claim_token, parse_id
from copro.core.models import Visibility
from copro.core.permissions import TABLE
from copro.meetings.models import Meeting, MeetingStatus
from copro.projects.access import project_role
from copro.projects.models import Membership
from copro.unconference import selectors
from copro.unconference.models import (
    ABOUT_MAX,
    HOST_NAME_MAX,
    INTRO_MAX,
    NOTES_MAX,
    ROOM_NAME_MAX,
    TITLE_MAX,
    Host,
    HostInvite,
    Interest,
    OpenSpace,
    Room,
    Session,
    Slot,
    ToldPlace,
    name_key,
)

MAX_SESSIONS = 300  # an open space with more is not one people can read on a wall
MAX_PROPOSALS_PER_PERSON = 5  # at one open space (facilitators are not limited): stops one person filling it
MAX_HOSTS = 6  # per session
MAX_ROOMS = 50
MAX_SLOTS = 24
MAX_CAPACITY = 100_000


def _text(value: Any) -> str:
    """Text from a form, stripped; "" when nothing visible is left: only spaces of any kind (Unicode Z*) and
    invisible format characters (Cf: zero-width spaces and joiners, direction marks), which str.strip()
    leaves in place. A title of one zero-width space is no title."""
    value = (value or "").strip() if isinstance(value, str) else ""
    if all(unicodedata.category(c)[0] == "Z" or unicodedata.category(c) == "Cf" for c in value):
        return ""
    return value


def _visibility(open_space: OpenSpace) -> str:
    """Activity about an open space is public once its meeting is; before that only facilitators see it."""
    return Visibility.PUBLIC if open_space.meeting.status == MeetingStatus.PUBLISHED else Visibility.STAFF


def _lock(open_space: OpenSpace) -> OpenSpace:
    """Hold the open space's row for the rest of the transaction (schedule writes queue behind each other)."""
    locked = OpenSpace.objects.select_for_update().get(pk=open_space.pk)
    open_space.published_at = locked.published_at
    open_space.proposals_open = locked.proposals_open
    open_space.late_proposals = locked.late_proposals
    open_space.notice_due_at = locked.notice_due_at
    return open_space


# A queued notice run older than this is taken as lost (a worker that died), and another is queued.
NOTICE_STALE = timedelta(hours=1)


def _schedule_changed(open_space: OpenSpace) -> None:
    """A published schedule changed: make sure one "your session moved" run is queued. Call under _lock.

    Changes made before that run starts are all told in it (it waits COPRO_UNCONFERENCE_NOTICE_DELAY_S), so a
    facilitator moving five sessions in a row gives each person one email, and only if what they were told
    changed. Nothing is queued while the schedule is not published: publishing tells people afresh."""
    if not open_space.is_published:
        return
    now = timezone.now()
    if open_space.notice_due_at is not None and open_space.notice_due_at > now - NOTICE_STALE:
        return
    from copro.unconference.tasks import tell_people_their_sessions

    delay = settings.COPRO_UNCONFERENCE_NOTICE_DELAY_S
    due = now + timedelta(seconds=delay)
    OpenSpace.objects.filter(pk=open_space.pk).update(notice_due_at=due)
    open_space.notice_due_at = due
    # The task queue is in the database: queued in this transaction, it exists only if the change does.
    runner = tell_people_their_sessions.using(run_after=due) if delay else tell_people_their_sessions
    runner.enqueue(open_space.pk, changes_only=True)


def _when(slot: Slot) -> str:
    start = timezone.localtime(slot.starts_at)
    return formats.date_format(start, "l j F") + " " + formats.time_format(start, "H:i")


# --- The open space ------------------------------------------------------------------------------


def _clean_intro(intro: str) -> str:
    intro = _text(intro)
    if len(intro) > INTRO_MAX:
        raise ValidationError({"intro": _("Keep the introduction to %(max)d characters.") % {"max": INTRO_MAX}})
    return intro


@transaction.atomic
def open_space_create(*, user: User, meeting: Meeting, intro: str = "") -> OpenSpace:
    """Set up an open space at a meeting. Setting it up twice (a double click) gives back the first one."""
    intro = _clean_intro(intro)
    existing = OpenSpace.objects.filter(meeting=meeting).first()
    if existing is not None:
        return existing
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting is cancelled: an open space cannot be set up for it."))
    try:
        with transaction.atomic():
            open_space = OpenSpace.objects.create(
                meeting=meeting, project=meeting.project, intro=intro, created_by=user
            )
    except IntegrityError:
        return OpenSpace.objects.get(meeting=meeting)
    open_space.meeting = meeting
    activity.record(
        verb="unconference.set_up",
        actor=user,
        project=meeting.project,
        target=open_space,
        visibility=_visibility(open_space),
    )
    return open_space


@transaction.atomic
def open_space_update(
    *, user: User, open_space: OpenSpace, intro: str, proposals_open: bool, late_proposals: bool
) -> OpenSpace:
    open_space.intro = _clean_intro(intro)
    open_space.proposals_open = bool(proposals_open)
    open_space.late_proposals = bool(late_proposals)
    open_space.save(update_fields=["intro", "proposals_open", "late_proposals"])
    return open_space


# --- Rooms and time slots -------------------------------------------------------------------------


def _room_fields(open_space: OpenSpace, name: str, capacity: Any, access_notes: str, room: Room | None) -> dict:
    errors: dict[str, str] = {}
    name = _text(name)
    if not name:
        errors["name"] = _("Give the room a name.")
    elif len(name) > ROOM_NAME_MAX:
        errors["name"] = _("Keep the name to %(max)d characters.") % {"max": ROOM_NAME_MAX}
    elif open_space.rooms.filter(name__iexact=name).exclude(pk=room.pk if room else 0).exists():
        errors["name"] = _("There is already a room called “%(name)s”.") % {"name": name}
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("Say how many people the room holds: a whole number, at least 1.")
    access_notes = _text(access_notes)
    if len(access_notes) > NOTES_MAX:
        errors["access_notes"] = _("Keep the access notes to %(max)d characters.") % {"max": NOTES_MAX}
    if errors:
        raise ValidationError(errors)
    return {"name": name, "capacity": capacity, "access_notes": access_notes}


@transaction.atomic
def room_add(*, user: User, open_space: OpenSpace, name: str, capacity: Any, access_notes: str = "") -> Room:
    fields = _room_fields(open_space, name, capacity, access_notes, None)
    if open_space.rooms.count() >= MAX_ROOMS:
        raise ValidationError(_("An open space can have at most %(max)d rooms.") % {"max": MAX_ROOMS})
    position = (open_space.rooms.aggregate(last=Max("position"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            return Room.objects.create(open_space=open_space, position=position, **fields)
    except IntegrityError:
        raise ValidationError({"name": _("There is already a room called “%(name)s”.") % fields}) from None


@transaction.atomic
def room_edit(*, user: User, room: Room, name: str, capacity: Any, access_notes: str = "") -> Room:
    fields = _room_fields(room.open_space, name, capacity, access_notes, room)
    for key, value in fields.items():
        setattr(room, key, value)
    try:
        with transaction.atomic():
            room.save(update_fields=list(fields))
    except IntegrityError:
        raise ValidationError({"name": _("There is already a room called “%(name)s”.") % fields}) from None
    return room


@transaction.atomic
def room_remove(*, user: User, room: Room) -> int:
    """Remove a room. Sessions in it go back to "not yet in the schedule". Returns how many there were."""
    _lock(room.open_space)
    moved = Session.objects.filter(room=room).update(room=None, slot=None, pinned=False)
    room.delete()
    if moved:
        _schedule_changed(room.open_space)
    return moved


def _as_aware(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError({field: _("Give a date and time.")})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


SLOT_MARGIN_DAYS = 1  # a slot may be on the meeting's day(s), or a day either side (an evening before)


def slot_window(meeting: Meeting) -> tuple[datetime, datetime]:
    """When an open space's slots may be: from the start of the day before the meeting's first day to the
    end of the day after its last (in the site's time zone)."""
    tz = timezone.get_current_timezone()
    first = timezone.localtime(meeting.starts_at).date() - timedelta(days=SLOT_MARGIN_DAYS)
    last = timezone.localtime(meeting.ends_at or meeting.starts_at).date() + timedelta(days=SLOT_MARGIN_DAYS + 1)
    return datetime.combine(first, time.min, tzinfo=tz), datetime.combine(last, time.min, tzinfo=tz)


def slot_days(meeting: Meeting) -> tuple[datetime, datetime]:
    """The first and the last day a slot may be on (as the starts of those days), to tell facilitators."""
    earliest, latest = slot_window(meeting)
    return earliest, timezone.localtime(latest) - timedelta(days=1)


def _check_within_meeting(meeting: Meeting, starts_at: datetime, ends_at: datetime) -> None:
    earliest, latest = slot_window(meeting)
    if starts_at < earliest or ends_at > latest:
        last_day = slot_days(meeting)[1]
        raise ValidationError(
            {
                "starts_at": _(
                    "Choose a time between %(first)s and the end of %(last)s: an open space’s time slots are on "
                    "its meeting’s day, or the day before or after."
                )
                % {
                    "first": formats.date_format(timezone.localtime(earliest), "l j F Y"),
                    "last": formats.date_format(last_day, "l j F Y"),
                }
            }
        )


def _slot_times(open_space: OpenSpace, starts_at: Any, ends_at: Any, slot: Slot | None) -> tuple[datetime, datetime]:
    """Checked times for a slot (a new one, or `slot` changed). Call under _lock."""
    starts_at = _as_aware(starts_at, "starts_at")
    ends_at = _as_aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The slot must end after it starts.")})
    _check_within_meeting(open_space.meeting, starts_at, ends_at)
    overlapping = open_space.slots.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    if slot is not None:
        overlapping = overlapping.exclude(pk=slot.pk)
    other = overlapping.first()
    if other is not None:
        raise ValidationError(
            {
                "starts_at": _(
                    "This overlaps the slot starting %(when)s. Slots must not overlap, so nobody is asked "
                    "to be in two sessions at once."
                )
                % {"when": _when(other)}
            }
        )
    return starts_at, ends_at


@transaction.atomic
def slot_add(*, user: User, open_space: OpenSpace, starts_at: Any, ends_at: Any) -> Slot:
    """A time slot. Slots may not overlap: a host in a session in each would be in two places at once."""
    _lock(open_space)
    starts_at, ends_at = _slot_times(open_space, starts_at, ends_at, None)
    if open_space.slots.count() >= MAX_SLOTS:
        raise ValidationError(_("An open space can have at most %(max)d time slots.") % {"max": MAX_SLOTS})
    return Slot.objects.create(open_space=open_space, starts_at=starts_at, ends_at=ends_at)


@transaction.atomic
def slot_edit(*, user: User, slot: Slot, starts_at: Any, ends_at: Any) -> Slot:
    """Move a time slot (the day running late, say). Its sessions stay in it. Once the schedule is published,
    the people told about those sessions are told the new time (in the next "your session moved" run)."""
    open_space = slot.open_space
    _lock(open_space)
    starts_at, ends_at = _slot_times(open_space, starts_at, ends_at, slot)
    if (starts_at, ends_at) == (slot.starts_at, slot.ends_at):
        return slot
    slot.starts_at, slot.ends_at = starts_at, ends_at
    slot.save(update_fields=["starts_at", "ends_at"])
    # What people were told of this slot's sessions no longer holds: read as "not told where" (as for a
    # slot removed), so the next run tells them again, with the new time.
    if ToldPlace.objects.filter(slot=slot).update(slot=None):
        _schedule_changed(open_space)
    return slot


@transaction.atomic
def slot_remove(*, user: User, slot: Slot) -> int:
    """Remove a time slot. Sessions in it go back to "not yet in the schedule". Returns how many there were."""
    _lock(slot.open_space)
    moved = Session.objects.filter(slot=slot).update(room=None, slot=None, pinned=False)
    slot.delete()
    if moved:
        _schedule_changed(slot.open_space)
    return moved


# --- Sessions -------------------------------------------------------------------------------------


def _session_text(title: str, about: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    title = _text(title)
    about = _text(about)
    if not title:
        errors["title"] = _("Give your session a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title to %(max)d characters.") % {"max": TITLE_MAX}
    if len(about) > ABOUT_MAX:
        errors["about"] = _("Keep it to %(max)d characters.") % {"max": ABOUT_MAX}
    if errors:
        raise ValidationError(errors)
    return title, about


def _slots_named(open_space: OpenSpace, ids: Iterable[Any]) -> list[Slot]:
    wanted = {parse_id(i) for i in ids}
    if None in wanted:
        raise ValidationError({"unavailable_slots": _("Choose times from the list.")})
    slots = list(open_space.slots.filter(pk__in=wanted))
    if len(slots) != len(wanted):
        raise ValidationError({"unavailable_slots": _("Choose times from the list.")})
    return slots


def can_propose_now(open_space: OpenSpace) -> tuple[bool, str]:
    """Whether a new session can be proposed now, and if not, why (in words for the person proposing)."""
    if open_space.meeting.status == MeetingStatus.CANCELLED:
        return False, _("This meeting is cancelled.")
    if not open_space.proposals_open:
        return False, _("Proposals for this open space are closed.")
    if open_space.is_published and not open_space.late_proposals:
        return False, _(
            "The schedule is already published, so new sessions can no longer be added to it. "
            "Talk to a facilitator at the meeting: they can still find a space for you."
        )
    return True, ""


def _check_may_add_session(open_space: OpenSpace, user: User, *, facilitator: bool) -> None:
    """The rules for a session joining the list, by proposing it or bringing it back. Call under _lock."""
    allowed, why = can_propose_now(open_space)
    if not allowed:
        raise ValidationError(why)
    active = Session.objects.filter(open_space=open_space, withdrawn_at__isnull=True)
    if active.count() >= MAX_SESSIONS:
        raise ValidationError(_("This open space is full: it has %(max)d sessions.") % {"max": MAX_SESSIONS})
    if not facilitator and active.filter(hosts__user=user).count() >= MAX_PROPOSALS_PER_PERSON:
        raise ValidationError(
            _("You already host %(max)d sessions here, the most one person can. Join someone else’s?")
            % {"max": MAX_PROPOSALS_PER_PERSON}
        )


@transaction.atomic
def session_propose(
    *,
    user: User,
    open_space: OpenSpace,
    title: str,
    about: str = "",
    unavailable_slot_ids: Iterable[Any] = (),
    form_token: uuid.UUID | None = None,
    facilitator: bool = False,
) -> Session:
    """Propose a session; the proposer is its first host.

    After the schedule is published it is refused with a plain message, unless the facilitators allow late
    proposals: then it goes in as "not yet in the schedule", for them to place by hand.
    """
    title, about = _session_text(title, about)
    slots = _slots_named(open_space, unavailable_slot_ids)
    _lock(open_space)
    _check_may_add_session(open_space, user, facilitator=facilitator)
    if slots and len(slots) == open_space.slots.count():
        raise ValidationError({"unavailable_slots": _("Leave at least one time you can make.")})
    claim_token(form_token)
    session = Session.objects.create(
        open_space=open_space,
        project=open_space.project,
        title=title,
        about=about,
        proposer=user,
        late=open_space.is_published,
    )
    Host.objects.create(session=session, user=user)
    session.unavailable_slots.set(slots)
    activity.record(
        verb="unconference.proposed",
        actor=user,
        project=open_space.project,
        target=session,
        visibility=_visibility(open_space),
    )
    return session


@transaction.atomic
def session_enter(
    *,
    user: User,
    open_space: OpenSpace,
    title: str,
    host_name: str,
    about: str = "",
    unavailable_slot_ids: Iterable[Any] = (),
    form_token: uuid.UUID | None = None,
) -> Session:
    """A facilitator types in a session proposed on the wall or on paper by someone without an account here.

    It has no Host rows (the facilitator is not its host, and must not be counted in two places at once);
    the host's name is kept as written, and sessions with the same name (case aside) are never put at the
    same time. Accepted whatever the proposal settings (the facilitator decides); after publishing it goes in
    as "not yet in the schedule".
    """
    title, about = _session_text(title, about)
    host_name = " ".join(_text(host_name).split())
    if not host_name:
        raise ValidationError({"host_name": _("Write the name of the person hosting it, as they would like it shown.")})
    if len(host_name) > HOST_NAME_MAX:
        raise ValidationError({"host_name": _("Keep the name to %(max)d characters.") % {"max": HOST_NAME_MAX}})
    slots = _slots_named(open_space, unavailable_slot_ids)
    _lock(open_space)
    if Session.objects.filter(open_space=open_space, withdrawn_at__isnull=True).count() >= MAX_SESSIONS:
        raise ValidationError(_("This open space is full: it has %(max)d sessions.") % {"max": MAX_SESSIONS})
    if slots and len(slots) == open_space.slots.count():
        raise ValidationError({"unavailable_slots": _("Leave at least one time they can make.")})
    claim_token(form_token)
    session = Session.objects.create(
        open_space=open_space,
        project=open_space.project,
        title=title,
        about=about,
        host_name=host_name,
        host_key=name_key(host_name),
        entered_by=user,
        late=open_space.is_published,
    )
    session.unavailable_slots.set(slots)
    activity.record(
        verb="unconference.entered",
        actor=user,
        project=open_space.project,
        target=session,
        visibility=_visibility(open_space),
    )
    return session


@transaction.atomic
def session_edit(
    *, user: User, session: Session, title: str, about: str, unavailable_slot_ids: Iterable[Any] = ()
) -> Session:
    title, about = _session_text(title, about)
    open_space = _lock(session.open_space)
    slots = _slots_named(open_space, unavailable_slot_ids)
    if slots and len(slots) == open_space.slots.count():
        raise ValidationError({"unavailable_slots": _("Leave at least one time you can make.")})
    session.refresh_from_db(fields=["slot", "room", "withdrawn_at"])
    if session.withdrawn_at is not None:
        raise ValidationError(_("This session was withdrawn."))
    if session.slot_id is not None and session.slot_id in {s.pk for s in slots}:
        raise ValidationError(
            {
                "unavailable_slots": _(
                    "The session is in the schedule at %(when)s. Ask a facilitator to move it before saying "
                    "you cannot make that time."
                )
                % {"when": _when(session.slot)}  # type: ignore[arg-type]
            }
        )
    session.title, session.about = title, about
    session.save(update_fields=["title", "about"])
    session.unavailable_slots.set(slots)
    return session


@transaction.atomic
def session_withdraw(*, user: User, session: Session) -> Session:
    """Withdraw a session: it leaves the list and the schedule. Marks stay, in case it comes back."""
    _lock(session.open_space)
    session.refresh_from_db(fields=["withdrawn_at", "room", "slot"])
    if session.withdrawn_at is not None:
        return session
    was_placed = session.is_placed
    session.withdrawn_at = timezone.now()
    session.room = session.slot = None
    session.pinned = False
    session.save(update_fields=["withdrawn_at", "room", "slot", "pinned"])
    if was_placed:
        _schedule_changed(session.open_space)
    activity.record(
        verb="unconference.withdrawn",
        actor=user,
        project=session.project,
        target=session,
        visibility=_visibility(session.open_space),
    )
    return session


@transaction.atomic
def session_restore(*, user: User, session: Session, facilitator: bool = False) -> Session:
    """Bring back a withdrawn session, as "not yet in the schedule". The same rules as proposing it: refused
    while proposals are closed, once the schedule is published (unless late proposals are accepted: then it
    comes back as a late one), when the open space is full, or when its host already hosts the most sessions
    one person can (facilitators are not limited by that)."""
    open_space = _lock(session.open_space)
    session.refresh_from_db(fields=["withdrawn_at"])
    if session.withdrawn_at is None:
        return session
    _check_may_add_session(open_space, user, facilitator=facilitator)
    session.withdrawn_at = None
    session.late = open_space.is_published
    session.save(update_fields=["withdrawn_at", "late"])
    return session


def _hosting_clash(session: Session, user_ids: Iterable[int], slot_id: int | None) -> Session | None:
    """Another session at this slot hosted by one of these people, or None."""
    if slot_id is None:
        return None
    return (
        Session.objects.filter(slot_id=slot_id, withdrawn_at__isnull=True, hosts__user_id__in=list(user_ids))
        .exclude(pk=session.pk)
        .first()
    )


def _person_for_host(session: Session, email: str) -> User | None:
    """The person an address belongs to, if they could host here: active, signed up with that address, a
    member of the project or already taking part in this open space, and allowed to host sessions."""
    open_space = session.open_space
    taking_part = (
        Q(pk__in=Membership.objects.filter(project_id=open_space.project_id).values("user_id"))
        | Q(pk__in=Host.objects.filter(session__open_space=open_space).values("user_id"))
        | Q(pk__in=Interest.objects.filter(session__open_space=open_space).values("user_id"))
    )
    person = User.objects.filter(taking_part, email__iexact=email, is_active=True, erased_at__isnull=True).first()
    if person is None or not TABLE.allowed(project_role(person, open_space.project), "unconference.propose"):
        return None
    return person


def invite_sent_message(email: str) -> str:
    """What the person asking is told, whoever the address belongs to (or nobody): the same words either way,
    so the form cannot be used to find out whether someone is a member."""
    return _(
        "If %(email)s is the address of a member, or of someone taking part in this open space, we have asked "
        "them to host this session with you. They become a host when they accept."
    ) % {"email": email}


@transaction.atomic
def host_invite(*, user: User, session: Session, email: str) -> HostInvite | None:
    """Ask someone, by the email address of their account here, to host this session with you.

    Nobody becomes a host without saying yes: this leaves an invitation on the session's page for them (and
    emails them, if they take emails), and they accept or decline it. Whether the address matched anyone is
    never told to the person asking (see invite_sent_message): the errors here are about the session only.
    Returns the invitation, or None when there is none to make (no match, already a host or asked)."""
    email = (email or "").strip()
    if not email or "@" not in email or len(email) > 254:
        raise ValidationError({"email": _("Give the email address they use for their account here.")})
    _lock(session.open_space)
    session.refresh_from_db(fields=["withdrawn_at"])
    if session.withdrawn_at is not None:
        raise ValidationError(_("This session was withdrawn."))
    if Host.objects.filter(session=session).count() >= MAX_HOSTS:
        raise ValidationError({"email": _("A session can have at most %(max)d hosts.") % {"max": MAX_HOSTS}})
    person = _person_for_host(session, email)
    if person is None or Host.objects.filter(session=session, user=person).exists():
        return None
    try:
        with transaction.atomic():
            invite = HostInvite.objects.create(session=session, user=person, invited_by=user)
    except IntegrityError:
        return None  # asked already: not again (and no second email)
    from copro.unconference.tasks import tell_host_invite

    tell_host_invite.enqueue(invite.pk)
    return invite


def pending_invite(user: Any, session: Session) -> HostInvite | None:
    if not user.is_authenticated:
        return None
    return HostInvite.objects.filter(session=session, user=user).select_related("invited_by").first()


@transaction.atomic
def host_invite_answer(*, user: User, session: Session, accept: bool) -> Host | None:
    """Accept (become a host) or decline an invitation to host. Returns the new Host row when accepted."""
    open_space = _lock(session.open_space)
    invite = HostInvite.objects.filter(session=session, user=user).first()
    if invite is None:
        raise ValidationError(
            _("There is no invitation to host this session waiting for you: it may have been answered.")
        )
    if not accept:
        invite.delete()
        return None
    session.refresh_from_db(fields=["slot", "room", "withdrawn_at"])
    if session.withdrawn_at is not None:
        raise ValidationError(_("This session was withdrawn."))
    if Host.objects.filter(session=session).count() >= MAX_HOSTS:
        raise ValidationError(_("This session already has %(max)d hosts, the most it can have.") % {"max": MAX_HOSTS})
    clash = _hosting_clash(session, [user.pk], session.slot_id)
    if clash is not None:
        raise ValidationError(
            _(
                "You already host “%(other)s” at the same time, and cannot be in two places at once. Ask a "
                "facilitator to move one of the sessions, then accept."
            )
            % {"other": clash.title}
        )
    host, _created = Host.objects.get_or_create(session=session, user=user)
    invite.delete()
    if session.is_placed:
        _schedule_changed(open_space)  # a new host of a session in a published schedule is told where
    return host


@transaction.atomic
def host_remove(*, user: User, session: Session, host_user_id: Any, facilitator: bool = False) -> bool:
    """Remove a host. A session keeps at least one host unless a facilitator removes the last."""
    host_user_id = parse_id(host_user_id)
    _lock(session.open_space)
    hosts = Host.objects.filter(session=session)
    if host_user_id is None or not hosts.filter(user_id=host_user_id).exists():
        return False
    if hosts.count() == 1 and not facilitator:
        raise ValidationError(
            _("A session needs a host. Add someone else first, or withdraw the session if it will not happen.")
        )
    hosts.filter(user_id=host_user_id).delete()
    return True


# --- Marks ----------------------------------------------------------------------------------------


def _check_markable(session: Session) -> None:
    if session.withdrawn_at is not None:
        raise ValidationError(_("This session was withdrawn."))


@transaction.atomic
def interest_mark(*, user: User, session: Session) -> bool:
    """ "I want to join": once per person per session (held by the database). Marking twice changes nothing.
    Returns True if this was a new mark. Hosts are counted in their own sessions without a mark."""
    _check_markable(session)
    if Host.objects.filter(session=session, user=user).exists():
        return False
    try:
        with transaction.atomic():
            Interest.objects.create(session=session, user=user)
    except IntegrityError:
        return False
    Session.objects.filter(pk=session.pk).update(interest_count=F("interest_count") + 1)
    return True


@transaction.atomic
def interest_unmark(*, user: User, session: Session) -> bool:
    deleted, _rows = Interest.objects.filter(session=session, user=user).delete()
    if not deleted:
        return False
    Session.objects.filter(pk=session.pk, interest_count__gt=0).update(interest_count=F("interest_count") - 1)
    return True


# --- The schedule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildReport:
    result: scheduling.Result
    greedy: scheduling.Result
    kept: int  # sessions pinned by hand, kept where they were
    # Sessions that were kept by hand where they now break a rule (for example two sessions of one host,
    # placed at the same time before host names were compared properly): taken out of the schedule and no
    # longer kept, each with the scheduler's reason (scheduling.PIN_CONFLICT, ...): (session id, title, reason).
    released: list[tuple[int, str, str]] = field(default_factory=list)


@transaction.atomic
def schedule_build(*, user: User, open_space: OpenSpace, seed: int = 0) -> BuildReport:
    """Run the scheduler over every session that is not withdrawn, keeping pinned ones where they are.

    Refused while the schedule is published (people may be relying on it): move sessions by hand, or take
    the schedule down first.
    """
    _lock(open_space)
    if open_space.is_published:
        raise ValidationError(
            _(
                "The schedule is published, and people may be relying on it. Move sessions by hand, or take the "
                "schedule down before building it again."
            )
        )
    data = selectors.schedule_data(open_space)
    if not data.rooms or not data.slots:
        raise ValidationError(_("Add at least one room and one time slot first."))
    if not data.sessions:
        raise ValidationError(_("There are no sessions to schedule yet."))
    result = scheduling.schedule(
        data.rooms,
        data.slots,
        data.sessions,
        data.interest,
        seed=seed,
        time_limit=settings.COPRO_UNCONFERENCE_BUILD_MS / 1000,
    )
    greedy = scheduling.greedy_baseline(data.rooms, data.slots, data.sessions, data.interest)
    if result.hard_violations:  # the scheduler never does this; if it did, nothing is saved
        raise ValidationError(_("The schedule could not be built without breaking a rule. Nothing was changed."))
    pinned_ids: set[int] = {int(s.id) for s in data.sessions if s.room is not None and s.slot is not None}  # type: ignore[call-overload]
    # A kept session the scheduler could not keep where it is (its place breaks a rule) leaves the schedule
    # and is no longer kept: left where it is, it would hold a room and time the scheduler gives to another.
    released = sorted(sid for sid in pinned_ids if sid in result.unscheduled)
    kept_ids = pinned_ids - set(released)
    active = Session.objects.filter(open_space=open_space, withdrawn_at__isnull=True)
    try:
        with transaction.atomic():
            active.filter(Q(pinned=False) | Q(pk__in=released)).update(room=None, slot=None, pinned=False)
            changed = []
            for session in active.exclude(pk__in=kept_ids).only("pk", "room", "slot"):
                placement = result.placements.get(session.pk)
                if placement is not None:
                    session.room_id, session.slot_id = placement  # type: ignore[assignment]
                    changed.append(session)
            Session.objects.bulk_update(changed, ["room", "slot"], batch_size=500)
    except IntegrityError:
        # Not expected (the scheduler keeps one session per room and time); if the data ever lets it happen,
        # a plain message and nothing changed, never an error page.
        raise ValidationError(
            _(
                "The schedule could not be saved: two sessions would share a room at the same time. Nothing "
                "was changed. Take the sessions marked “Kept here” out of the schedule, then build it again."
            )
        ) from None
    kept = len(kept_ids)
    now = timezone.now()
    open_space.built_at = now
    open_space.built_by = user
    open_space.build_figures = {
        "clashes": result.clashes,
        "people_with_clash": result.people_with_clash,
        "overflow": result.overflow,
        "scheduled": len(result.placements),
        "unscheduled": {str(k): v for k, v in result.unscheduled.items()},
        "seconds": round(result.seconds, 3),
        "seed": seed,
        "greedy": {
            "clashes": greedy.clashes,
            "people_with_clash": greedy.people_with_clash,
            "overflow": greedy.overflow,
            "scheduled": len(greedy.placements),
        },
    }
    open_space.save(update_fields=["built_at", "built_by", "build_figures"])
    activity.record(
        verb="unconference.built",
        actor=user,
        project=open_space.project,
        target=open_space,
        visibility=Visibility.STAFF,
    )
    return BuildReport(
        result=result,
        greedy=greedy,
        kept=kept,
        released=[(sid, data.titles[sid], str(result.unscheduled[sid])) for sid in released],
    )


def _room_taken_message(other: Session, room: Room, slot: Slot) -> str:
    return _("“%(other)s” is already in %(room)s at %(when)s. Swap the two sessions, or choose another room.") % {
        "other": other.title,
        "room": room.name,
        "when": _when(slot),
    }


def _check_can_go(session: Session, room: Room, slot: Slot, *, leaving: Session | None = None) -> None:
    """Refuse, in plain words, a place that would break a rule: the room taken, a host busy, a time the hosts
    cannot make. `leaving` is a session that frees this place at the same moment (a swap)."""
    if session.unavailable_slots.filter(pk=slot.pk).exists():
        raise ValidationError(
            _("The hosts of “%(title)s” said they cannot make %(when)s.")
            % {"title": session.title, "when": _when(slot)}
        )
    taken = Session.objects.filter(room=room, slot=slot).exclude(pk=session.pk)
    if leaving is not None:
        taken = taken.exclude(pk=leaving.pk)
    other = taken.first()
    if other is not None:
        raise ValidationError(_room_taken_message(other, room, slot))
    host_ids = list(Host.objects.filter(session=session).values_list("user_id", flat=True))
    same_host = Q(hosts__user_id__in=host_ids)
    if session.host_key:
        # Compared exactly on the stored key (case-folded in Python): the database's case-insensitive
        # lookups know only ASCII on SQLite, so "Ŵyn Jones" and "ŵyn jones" would pass as two people.
        same_host |= Q(host_key=session.host_key)
    clash = (
        Session.objects.filter(same_host, slot=slot, withdrawn_at__isnull=True)
        .exclude(pk=session.pk)
        .exclude(pk=leaving.pk if leaving else 0)
        .first()
    )
    if clash is not None and session.host_key and clash.host_key == session.host_key:
        raise ValidationError(
            _(
                "%(name)s hosts both “%(title)s” and “%(other)s”, and cannot be in two places at %(when)s. "
                "Choose another time, or move “%(other)s” first."
            )
            % {"name": session.host_name, "title": session.title, "other": clash.title, "when": _when(slot)}
        )
    if clash is not None:
        busy = (
            User.objects.filter(pk__in=host_ids)
            .filter(pk__in=Host.objects.filter(session=clash).values("user_id"))
            .first()
        )
        raise ValidationError(
            _(
                "%(name)s hosts both “%(title)s” and “%(other)s”, and cannot be in two places at %(when)s. "
                "Choose another time, or move “%(other)s” first."
            )
            % {
                "name": busy.public_name if busy else _("A host"),
                "title": session.title,
                "other": clash.title,
                "when": _when(slot),
            }
        )


def _room_and_slot(open_space: OpenSpace, room_id: Any, slot_id: Any) -> tuple[Room, Slot]:
    errors: dict[str, str] = {}
    room_pk, slot_pk = parse_id(room_id), parse_id(slot_id)
    room = open_space.rooms.filter(pk=room_pk).first() if room_pk else None
    slot = open_space.slots.filter(pk=slot_pk).first() if slot_pk else None
    if room is None:
        errors["room"] = _("Choose one of this open space’s rooms.")
    if slot is None:
        errors["slot"] = _("Choose one of this open space’s time slots.")
    if errors:
        raise ValidationError(errors)
    assert room is not None and slot is not None
    return room, slot


def _fresh_session(open_space: OpenSpace, session_id: Any, field: str = "session") -> Session:
    pk = parse_id(session_id)
    found = Session.objects.filter(open_space=open_space, pk=pk, withdrawn_at__isnull=True).first() if pk else None
    if found is None:
        raise ValidationError({field: _("Choose one of this open space’s sessions.")})
    found.open_space = open_space
    return found


def _save_place(session: Session, room: Room | None, slot: Slot | None, pinned: bool) -> None:
    session.room, session.slot, session.pinned = room, slot, pinned
    try:
        with transaction.atomic():
            session.save(update_fields=["room", "slot", "pinned"])
    except IntegrityError:
        assert room is not None and slot is not None
        other = Session.objects.filter(room=room, slot=slot).exclude(pk=session.pk).first()
        raise ValidationError(
            _room_taken_message(other, room, slot) if other else _("That place was just taken. Try again.")
        ) from None


@transaction.atomic
def schedule_place(
    *, user: User, open_space: OpenSpace, session_id: Any, room_id: Any, slot_id: Any, pin: bool = True
) -> Session:
    """Put a session in a room at a time, by hand (pinned, so a rebuild keeps it, unless `pin` is False)."""
    _lock(open_space)
    session = _fresh_session(open_space, session_id)
    room, slot = _room_and_slot(open_space, room_id, slot_id)
    _check_can_go(session, room, slot)
    moved = (session.room_id, session.slot_id) != (room.pk, slot.pk)
    _save_place(session, room, slot, bool(pin))
    if moved:
        _schedule_changed(open_space)
    return session


@transaction.atomic
def schedule_swap(*, user: User, open_space: OpenSpace, first_id: Any, second_id: Any) -> tuple[Session, Session]:
    """Swap two sessions' places (either may be "not yet in the schedule"). Both end up pinned where placed."""
    _lock(open_space)
    first = _fresh_session(open_space, first_id, "first")
    second = _fresh_session(open_space, second_id, "second")
    if first.pk == second.pk:
        raise ValidationError({"second": _("Choose two different sessions to swap.")})
    if not first.is_placed and not second.is_placed:
        raise ValidationError(_("Neither session is in the schedule yet: there is nothing to swap."))
    first_place = (first.room, first.slot)
    second_place = (second.room, second.slot)
    if second_place[0] is not None:
        _check_can_go(first, second_place[0], second_place[1], leaving=second)  # type: ignore[arg-type]
    if first_place[0] is not None:
        _check_can_go(second, first_place[0], first_place[1], leaving=first)  # type: ignore[arg-type]
    # Clear one first, so the database never sees two sessions in one room and slot.
    _save_place(first, None, None, False)
    _save_place(second, first_place[0], first_place[1], first_place[0] is not None)
    _save_place(first, second_place[0], second_place[1], second_place[0] is not None)
    _schedule_changed(open_space)
    return first, second


@transaction.atomic
def schedule_unplace(*, user: User, open_space: OpenSpace, session_id: Any) -> Session:
    """Take a session out of the schedule (back to "not yet in the schedule")."""
    _lock(open_space)
    session = _fresh_session(open_space, session_id)
    was_placed = session.is_placed
    _save_place(session, None, None, False)
    if was_placed:
        _schedule_changed(open_space)
    return session


@transaction.atomic
def session_pin(*, user: User, open_space: OpenSpace, session_id: Any, pinned: bool) -> Session:
    _lock(open_space)
    session = _fresh_session(open_space, session_id)
    if pinned and not session.is_placed:
        raise ValidationError(_("Put the session in a room and time first; then it can be kept there."))
    session.pinned = bool(pinned)
    session.save(update_fields=["pinned"])
    return session


@transaction.atomic
def schedule_publish(*, user: User, open_space: OpenSpace, notify: bool = True) -> OpenSpace:
    """Publish the schedule board. The first time, hosts and the people who marked sessions are emailed
    their sessions (in the background)."""
    _lock(open_space)
    if open_space.is_published:
        return open_space
    if not Session.objects.filter(open_space=open_space, withdrawn_at__isnull=True, slot__isnull=False).exists():
        raise ValidationError(_("No session is in the schedule yet. Build it (or place sessions by hand) first."))
    data = selectors.schedule_data(open_space)
    figures = scheduling.evaluate(data.rooms, data.slots, data.sessions, data.interest, data.placements)
    if figures.hard_violations:
        raise ValidationError(
            _("The schedule breaks a rule (a host in two places, or a room used twice). Fix it before publishing.")
        )
    open_space.published_at = timezone.now()
    open_space.save(update_fields=["published_at"])
    activity.record(
        verb="unconference.published",
        actor=user,
        project=open_space.project,
        target=open_space,
        visibility=_visibility(open_space),
    )
    if notify:
        from copro.unconference.tasks import tell_people_their_sessions

        # The task queue is in the database: queued in this transaction, it exists only if publishing does.
        tell_people_their_sessions.enqueue(open_space.pk)
    return open_space


@transaction.atomic
def schedule_unpublish(*, user: User, open_space: OpenSpace) -> OpenSpace:
    _lock(open_space)
    if not open_space.is_published:
        return open_space
    open_space.published_at = None
    open_space.save(update_fields=["published_at"])
    activity.record(
        verb="unconference.unpublished",
        actor=user,
        project=open_space.project,
        target=open_space,
        visibility=Visibility.STAFF,
    )
    return open_space
