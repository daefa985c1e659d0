"""Background work for open spaces: telling people where and when their sessions are, and telling them
again when that changes; and the email inviting someone to co-host.

Who is told: people who want email about their projects (User.notify_by_email) and may still see the
meeting (on a private project: still a member; a meeting put back to draft: facilitators only). Hosts are
told whatever they chose for how often (they are running a session: they need to know where, before the
day); people who only marked sessions are told if they chose emails "as it happens" (a weekly summary
would arrive too late for a meeting).

When the schedule is published, each person not told before gets their sessions (a ScheduleNotice row,
unique per open space and person, is claimed before the email is queued, so a task run twice never tells
anyone twice). What each person was told is recorded, session by session (ToldPlace). After changes to a
published schedule (a session placed, moved, swapped, taken out or withdrawn; a room or a slot removed; a
new co-host), one run compares each person's sessions with what they were told, under a lock on their
ScheduleNotice row, and emails only the people for whom it differs: "your session moved", in their
language. Changes made while a run waits are told in that run (services._schedule_changed), so a batch of
changes gives each person one email. Publishing again after taking the schedule down does the same for
people told before, and tells the rest for the first time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from copro.accounts.models import EmailFrequency, User
from copro.core.email import queue_email
from copro.core.permissions import TABLE
from copro.meetings.access import never_public
from copro.meetings.models import MeetingStatus
from copro.projects.access import project_role
from copro.unconference.models import (
    Host,
    HostInvite,
    Interest,
    OpenSpace,
    Room,
    ScheduleNotice,
    Session,
    Slot,
    ToldPlace,
)

BATCH_SIZE = 500

Place = tuple[int, int]  # (room id, slot id)


def may_see(person: User, open_space: OpenSpace) -> bool:
    """Whether this person may still see the open space (checked again just before anything is emailed)."""
    if not person.is_active or person.erased_at is not None:
        return False
    role = project_role(person, open_space.project)
    if not TABLE.allowed(role, "unconference.view"):
        return False
    return not never_public(open_space.meeting) or TABLE.allowed(role, "meetings.manage")


@dataclass
class _Now:
    """The schedule as it is: placed sessions, and who hosts and who marked which."""

    sessions: dict[int, Session]  # every session of the open space, withdrawn ones too
    placed: dict[int, Place]
    hosting: dict[int, set[int]]  # person -> sessions they host
    marked: dict[int, set[int]]  # person -> sessions they marked

    def theirs(self, person_id: int) -> set[int]:
        return self.hosting.get(person_id, set()) | self.marked.get(person_id, set())

    def view(self, person_id: int) -> dict[int, Place]:
        """Where their sessions are now (the ones in the schedule)."""
        return {sid: self.placed[sid] for sid in self.theirs(person_id) if sid in self.placed}

    def ordered(self, session_ids: Iterable[int]) -> list[int]:
        def key(sid: int) -> tuple[Any, ...]:
            s = self.sessions[sid]
            return (s.slot.starts_at, s.room.position, sid) if s.slot and s.room else (timezone.now(), 0, sid)

        return sorted(session_ids, key=key)


def _now(open_space: OpenSpace) -> _Now:
    sessions = {
        s.pk: s for s in Session.objects.filter(open_space=open_space).select_related("room", "slot").order_by("pk")
    }
    placed = {
        pk: (s.room_id, s.slot_id)
        for pk, s in sessions.items()
        if s.withdrawn_at is None and s.room_id is not None and s.slot_id is not None
    }
    hosting: dict[int, set[int]] = defaultdict(set)
    for session_id, user_id in Host.objects.filter(session__open_space=open_space).values_list("session_id", "user_id"):
        hosting[user_id].add(session_id)
    marked: dict[int, set[int]] = defaultdict(set)
    for session_id, user_id in Interest.objects.filter(session__open_space=open_space).values_list(
        "session_id", "user_id"
    ):
        marked[user_id].add(session_id)
    return _Now(sessions=sessions, placed=placed, hosting=dict(hosting), marked=dict(marked))


def _told(open_space: OpenSpace, person_ids: Iterable[int] | None = None) -> dict[int, dict[int, Any]]:
    """person -> {session: (room id, slot id) as last told}; a room or slot removed since reads as None."""
    rows = ToldPlace.objects.filter(open_space=open_space)
    if person_ids is not None:
        rows = rows.filter(user_id__in=list(person_ids))
    told: dict[int, dict[int, Any]] = defaultdict(dict)
    for user_id, session_id, room_id, slot_id in rows.values_list("user_id", "session_id", "room_id", "slot_id"):
        told[user_id][session_id] = (room_id, slot_id)
    return dict(told)


def _changes(now: _Now, person_id: int, told: dict[int, Any]) -> list[int]:
    """The sessions whose place changed for this person since they were told: one they were told about that
    is now elsewhere or out of the schedule (if it is still theirs), or one they host that is now in the
    schedule although they were never told where. A session they marked since is not a change: they
    found it on the board."""
    theirs = now.theirs(person_id)
    changed = [sid for sid, place in told.items() if sid in theirs and now.placed.get(sid) != place]
    changed += [sid for sid in now.hosting.get(person_id, set()) if sid in now.placed and sid not in told]
    return now.ordered(set(changed))


def _record(open_space: OpenSpace, person: User, view: dict[int, Place]) -> None:
    ToldPlace.objects.filter(open_space=open_space, user=person).delete()
    ToldPlace.objects.bulk_create(
        [
            ToldPlace(open_space=open_space, user=person, session_id=sid, room_id=room, slot_id=slot)
            for sid, (room, slot) in view.items()
        ]
    )


def _wants_email(person: User, hosts: bool) -> bool:
    return bool(person.notify_by_email and (hosts or person.email_frequency == EmailFrequency.IMMEDIATE))


@task()
def tell_people_their_sessions(open_space_id: int, changes_only: bool = False) -> dict[str, int]:
    """Email people their sessions. `changes_only` (a run queued after changes to the published schedule):
    only people told before whose sessions moved, and hosts of sessions newly in the schedule; otherwise
    (publishing) also everyone with a session in the schedule who was never told."""
    with transaction.atomic():
        open_space = (
            OpenSpace.objects.select_for_update().select_related("meeting", "project").filter(pk=open_space_id).first()
        )
        if open_space is None:
            return {"sent": 0, "changed": 0}
        if changes_only and open_space.notice_due_at is not None:
            # From here on, a new change queues a new run (this one may already have read past it).
            open_space.notice_due_at = None
            open_space.save(update_fields=["notice_due_at"])
    if open_space.published_at is None or open_space.meeting.status == MeetingStatus.CANCELLED:
        return {"sent": 0, "changed": 0}
    now = _now(open_space)
    told = _told(open_space)
    noticed = set(ScheduleNotice.objects.filter(open_space=open_space).values_list("user_id", flat=True))
    with_place = {p for p in set(now.hosting) | set(now.marked) if now.view(p)}
    if changes_only:
        # Between publications, only hosts are told for the first time (a late session placed by hand).
        first_time = {p for p, sids in now.hosting.items() if sids & set(now.placed)} - noticed
    else:
        first_time = with_place - noticed
    changed = {p for p in noticed if _changes(now, p, told.get(p, {}))}
    wanted = sorted(first_time | changed)
    board_url = settings.SITE_URL + reverse("unconference:board", args=[open_space.project.slug, open_space.meeting_id])
    counts = {"sent": 0, "changed": 0}
    for start in range(0, len(wanted), BATCH_SIZE):
        people = User.objects.filter(pk__in=wanted[start : start + BATCH_SIZE], notify_by_email=True).order_by("pk")
        for person in people:
            if not may_see(person, open_space):
                continue
            kind = _tell(open_space, person, now, board_url, first_time=person.pk in first_time)
            if kind:
                counts[kind] += 1
    return counts


def _tell(open_space: OpenSpace, person: User, now: _Now, board_url: str, *, first_time: bool) -> str:
    """Tell one person, under a lock on their notice row: their sessions (first time), or what moved."""
    hosting = now.hosting.get(person.pk, set())
    view = now.view(person.pk)
    context = {"name": person.public_name, "meeting": open_space.meeting, "project": open_space.project}
    with transaction.atomic():
        notice = ScheduleNotice.objects.select_for_update().filter(open_space=open_space, user=person).first()
        if notice is None:
            if not first_time or not view or not _wants_email(person, bool(hosting & set(view))):
                return ""
            try:
                with transaction.atomic():
                    ScheduleNotice.objects.create(open_space=open_space, user=person)
            except IntegrityError:
                return ""  # told already, by another run
            _record(open_space, person, view)
            queue_email(
                to=person.email,
                template="unconference/email/schedule_published",
                context={
                    **context,
                    "sessions": [(now.sessions[sid], sid in hosting) for sid in now.ordered(view)],
                    "board_url": board_url,
                },
                language=person.preferred_language,
            )
            return "sent"
        # Told before: compare with what they were told, read again under the lock (another run may have
        # told them since).
        told = _told(open_space, [person.pk]).get(person.pk, {})
        changed = _changes(now, person.pk, told)
        if not changed:
            return ""
        _record(open_space, person, view)
        notice.changed_at = timezone.now()
        notice.save(update_fields=["changed_at"])
        if not _wants_email(person, bool(hosting & (set(changed) | set(view)))):
            return ""  # recorded as told (the board shows it), not emailed: they chose not to hear
        rooms = {r.pk: r for r in Room.objects.filter(open_space=open_space)}
        slots = {s.pk: s for s in Slot.objects.filter(open_space=open_space)}
        changes = []
        for sid in changed:
            was_room, was_slot = told.get(sid) or (None, None)
            session = now.sessions[sid]
            changes.append(
                {
                    "session": session,
                    "hosting": sid in hosting,
                    "now_placed": sid in now.placed,
                    "withdrawn": session.withdrawn_at is not None,
                    "was_room": rooms.get(was_room) if was_room else None,
                    "was_slot": slots.get(was_slot) if was_slot else None,
                    "was_told": sid in told,
                }
            )
        queue_email(
            to=person.email,
            template="unconference/email/schedule_changed",
            context={
                **context,
                "changes": changes,
                "sessions": [(now.sessions[sid], sid in hosting) for sid in now.ordered(view)],
                "board_url": board_url,
            },
            language=person.preferred_language,
        )
        return "changed"


@task()
def tell_host_invite(invite_id: int) -> dict[str, int]:
    """Email someone asked to co-host a session (if they take emails and may still see it)."""
    invite = (
        HostInvite.objects.select_related(
            "user", "invited_by", "session__open_space__meeting", "session__open_space__project"
        )
        .filter(pk=invite_id)
        .first()
    )
    if invite is None:
        return {"sent": 0}  # answered or withdrawn before the email went
    person, session = invite.user, invite.session
    open_space = session.open_space
    if not person.notify_by_email or session.withdrawn_at is not None or not may_see(person, open_space):
        return {"sent": 0}
    url = settings.SITE_URL + reverse(
        "unconference:session", args=[open_space.project.slug, open_space.meeting_id, session.pk]
    )
    queue_email(
        to=person.email,
        template="unconference/email/host_invite",
        context={
            "name": person.public_name,
            "inviter": invite.invited_by.public_name,
            "session": session,
            "meeting": open_space.meeting,
            "project": open_space.project,
            "url": url,
        },
        language=person.preferred_language,
    )
    return {"sent": 1}
