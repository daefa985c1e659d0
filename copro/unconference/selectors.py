"""Reads for open spaces: the sessions list, the schedule board, and the plain data the scheduler takes.

Every page reads a bounded number of queries, whatever the number of sessions, marks and rooms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from copro.analysis import scheduling
from copro.unconference.models import Host, HostInvite, Interest, OpenSpace, Room, Session, Slot


def active_sessions(open_space: OpenSpace) -> QuerySet[Session]:
    return Session.objects.filter(open_space=open_space, withdrawn_at__isnull=True)


def _with_hosts(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return sessions.select_related("room", "slot").prefetch_related(
        Prefetch("hosts", queryset=Host.objects.select_related("user").order_by("created_at", "id"))
    )


@dataclass
class Mine:
    """The signed-in person's part: the sessions they host, the ones they marked, and the ones they are
    asked to host (an invitation waiting for their answer)."""

    hosting: set[int] = field(default_factory=set)
    marked: set[int] = field(default_factory=set)
    invited: set[int] = field(default_factory=set)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self.hosting or session_id in self.marked


def mine(open_space: OpenSpace, user: Any, *, invitations: bool = False) -> Mine:
    """`invitations`: also the sessions they are asked to host (one more query; the sessions page shows them)."""
    if not user.is_authenticated:
        return Mine()
    return Mine(
        hosting=set(
            Host.objects.filter(session__open_space=open_space, user=user).values_list("session_id", flat=True)
        ),
        marked=set(
            Interest.objects.filter(session__open_space=open_space, user=user).values_list("session_id", flat=True)
        ),
        invited=set(
            HostInvite.objects.filter(
                session__open_space=open_space, session__withdrawn_at__isnull=True, user=user
            ).values_list("session_id", flat=True)
        )
        if invitations
        else set(),
    )


def sessions_listing(open_space: OpenSpace) -> list[Session]:
    """Every session that is not withdrawn, oldest proposal first, with hosts (and their names), room and slot."""
    return list(_with_hosts(active_sessions(open_space)).order_by("created_at", "id"))


def rooms_and_slots(open_space: OpenSpace) -> tuple[list[Room], list[Slot]]:
    return list(open_space.rooms.all()), list(open_space.slots.all())


@dataclass
class BoardSlot:
    slot: Slot
    cells: list[tuple[Room, Session | None]]  # one per room, in the rooms' order
    sessions: list[Session]  # the sessions in this slot, in the rooms' order (for the phone list)


@dataclass
class Board:
    rooms: list[Room]
    slots: list[BoardSlot]
    unplaced: list[Session]
    mine: Mine


def board(open_space: OpenSpace, user: Any, demand: dict[int, int] | None = None) -> Board:
    """The schedule as a grid (slots x rooms) and as lists by slot, and what is not in it yet. With `demand`
    (session id -> people), each session also gets `.demand` and `.over` (people beyond its room's size)."""
    rooms, slots = rooms_and_slots(open_space)
    sessions = sessions_listing(open_space)
    at: dict[tuple[int, int], Session] = {}
    unplaced = []
    for s in sessions:
        if demand is not None:
            s.demand = demand.get(s.pk, 0)  # type: ignore[attr-defined]
            s.over = max(0, s.demand - s.room.capacity) if s.room is not None else 0  # type: ignore[attr-defined]
        if s.room_id is not None and s.slot_id is not None:
            at[(s.slot_id, s.room_id)] = s
        else:
            unplaced.append(s)
    rows = []
    for slot in slots:
        cells = [(room, at.get((slot.pk, room.pk))) for room in rooms]
        rows.append(BoardSlot(slot=slot, cells=cells, sessions=[s for _room, s in cells if s is not None]))
    return Board(rooms=rooms, slots=rows, unplaced=unplaced, mine=mine(open_space, user))


@dataclass
class ScheduleData:
    """An open space as the scheduler takes it: plain ids (room, slot, session and user primary keys)."""

    rooms: list[scheduling.Room]
    slots: list[int]
    sessions: list[scheduling.Session]
    interest: dict[Hashable, set[Hashable]]
    placements: dict[Hashable, tuple[Hashable, Hashable]]
    titles: dict[int, str]


def schedule_data(open_space: OpenSpace) -> ScheduleData:
    """Five queries: rooms, slots, sessions, hosts, times hosts cannot make; then the marks."""
    rooms = [scheduling.Room(id=r.pk, capacity=r.capacity) for r in open_space.rooms.all()]
    slots = list(open_space.slots.values_list("pk", flat=True))
    rows = list(active_sessions(open_space).values_list("pk", "title", "room_id", "slot_id", "pinned", "host_key"))
    ids = [r[0] for r in rows]
    hosts: dict[int, set[Hashable]] = defaultdict(set)
    for session_id, user_id in Host.objects.filter(session_id__in=ids).values_list("session_id", "user_id"):
        hosts[session_id].add(user_id)
    avoid: dict[int, set[int]] = defaultdict(set)
    through = Session.unavailable_slots.through
    for session_id, slot_id in through.objects.filter(session_id__in=ids).values_list("session_id", "slot_id"):
        avoid[session_id].add(slot_id)
    sessions = []
    placements: dict[Hashable, tuple[Hashable, Hashable]] = {}
    for pk, _title, room_id, slot_id, pinned, host_key in rows:
        if host_key:
            # A host without an account, known by name: sessions with the same name (compared as
            # models.name_key folds it, the same key the hand-placement checks use) share a host.
            hosts[pk].add(("named", host_key))
        sessions.append(
            scheduling.Session(
                id=pk,
                hosts=frozenset(hosts[pk]),
                room=room_id if pinned else None,
                slot=slot_id if pinned else None,
                avoid_slots=frozenset(avoid[pk]),
            )
        )
        if room_id is not None and slot_id is not None:
            placements[pk] = (room_id, slot_id)
    interest: dict[Hashable, set[Hashable]] = defaultdict(set)
    for session_id, user_id in Interest.objects.filter(session_id__in=ids).values_list("session_id", "user_id"):
        interest[user_id].add(session_id)
    return ScheduleData(
        rooms=rooms,
        slots=slots,
        sessions=sessions,
        interest=dict(interest),
        placements=placements,
        titles={r[0]: r[1] for r in rows},
    )


@dataclass(frozen=True)
class Figures:
    now: scheduling.Figures
    greedy: scheduling.Result | None
    placed: int
    sessions: int
    room_slots: int
    demand: dict[int, int]  # session id -> people (marks and hosts)


def figures(open_space: OpenSpace) -> Figures:
    """The current schedule's figures (hand changes included) and the simple method's on the same data."""
    data = schedule_data(open_space)
    now = scheduling.evaluate(data.rooms, data.slots, data.sessions, data.interest, data.placements)
    greedy = (
        scheduling.greedy_baseline(data.rooms, data.slots, data.sessions, data.interest)
        if data.rooms and data.slots and data.sessions
        else None
    )
    demand: dict[Hashable, int] = {s.id: len(s.hosts) for s in data.sessions}
    hosts_of = {s.id: s.hosts for s in data.sessions}
    for person, marked in data.interest.items():
        for sid in marked:
            if person not in hosts_of.get(sid, frozenset()):
                demand[sid] = demand.get(sid, 0) + 1
    return Figures(
        now=now,
        greedy=greedy,
        placed=len(data.placements),
        sessions=len(data.sessions),
        room_slots=len(data.rooms) * len(data.slots),
        demand={int(k): v for k, v in demand.items()},  # type: ignore[call-overload]
    )
