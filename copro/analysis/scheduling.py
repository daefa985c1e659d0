"""Open space (unconference) scheduling: put proposed sessions into rooms and time slots.

Plain data in, plain data out (no Django). copro.unconference reads rooms, slots, sessions and interest
marks from the database, calls :func:`schedule`, and stores what it returns.

What is given
-------------
* rooms, each with a capacity (how many people it holds);
* time slots, in order (only their ids matter here: slots must not overlap, the app makes sure);
* sessions, each with its hosts (one or more people; the proposer is one), optionally pinned by hand to a
  room and/or a slot, and optionally a set of slots its hosts cannot make ("not in slot X");
* interest marks: person -> the sessions they want to join.

A session's *attendees* are the people who marked it plus its hosts (a host is in the room, and misses
whatever else runs at the same time). Its *demand* is the number of attendees.

Hard constraints (never broken; :func:`evaluate` counts breaches as ``hard_violations``)
----------------------------------------------------------------------------------------
1. one session per room per slot;
2. a host is never in two sessions in one slot;
3. a session is never put in a slot its hosts said they cannot make.

Figures
-------
* **clashes**: for each person, the number of *pairs* of sessions they attend (marked or host) that were
  put in the same slot, summed over people. Someone who marked three sessions that all run at 11:00 has
  3 clashes (3 pairs); two of them at 11:00 and one at 14:00 is 1 clash. Only scheduled sessions count.
  Because it is a sum over pairs, clashes = sum over slots of sum over pairs {a, b} in the slot of W[a, b],
  where W[a, b] is the number of people attending both a and b: the "conflict weight" matrix below.
* **people_with_clash**: how many people have at least one clash (the figure to tell a facilitator).
* **overflow**: sum over scheduled sessions of max(0, demand - capacity of its room): people who may not
  fit in the room.

What is optimised
-----------------
Lexicographically: first schedule as many sessions as room-slots and the hard constraints allow (when
there are more sessions than rooms x slots, the least popular are left out, each with a reason); then
the fewest clashes; then the least overflow.

Rooms within a slot: once the sessions of a slot are fixed, giving the biggest rooms to the most popular
sessions (sort both, pair them off) minimises that slot's overflow, so the search only has to choose
slots. Why: (1) the cost of pairing demand d with capacity c is g(d - c) with g(x) = max(0, x) convex and
non-decreasing; using a bigger unused room instead of a smaller one never costs more, so the k sessions of
a slot use the k biggest rooms. (2) For d1 >= d2 and c1 >= c2, g(d1 - c1) + g(d2 - c2) <= g(d1 - c2) +
g(d2 - c1): both sides add up the same two arguments in total, (d1 - c1) + (d2 - c2) = (d1 - c2) + (d2 -
c1), and the right-hand pair is the more spread one (d1 - c2 is the largest of the four, d2 - c1 the
smallest), and a convex g never gives less on the more spread pair (Karamata). So in any pairing where a
bigger session has a smaller room than a smaller session, swapping their rooms does not raise the
overflow; repeating the swap reaches the sorted pairing, which is therefore optimal (the Monge property:
sorted matching solves this assignment problem). Sessions pinned to a room keep it; the rest are sorted
onto the rooms left.

How (:func:`schedule`)
----------------------
1. Conflict weights W = A^T A (A: people x sessions, 1 where a person attends), and an "incompatible"
   relation X (two sessions share a host, or are pinned to the same room).
2. Construction, most popular first: each session goes to the allowed slot with a free room where it
   adds the fewest clashes (then the emptiest slot). If none is free, a small backtracking search
   re-places the sessions already placed (pins stay) to make room; if even that fails, it is left out
   with a reason.
3. Local search: for each session in turn (in a seeded random order), the best move to another slot or
   swap with a session in another slot, judged by (clash change, overflow change), both kept up to date
   incrementally: C[s, t] = sum of W[s, b] over b in slot t makes every clash change O(1), and the
   incompatibility counts H[s, t] check the hard constraints in O(1). Repeat until no move improves.
4. Iterated local search: kick the best schedule found with a few random moves, descend again, keep the
   better; stop after ``patience`` kicks without improvement, at the time limit, or at zero clashes and
   zero overflow (which cannot be beaten). The search starts from the better of step 2's schedule and the
   baseline's, so it never ends worse than the baseline.

It is deterministic for a given seed, unless the time limit (0.5 s by default) cuts the search short.

Baselines
---------
:func:`greedy_baseline` is the simple method the benchmark and the facilitators' page compare against, an
honest greedy: sessions from the most wanted down, each into the slot where it adds the fewest clashes
with the sessions already placed (ties: the earliest slot), in the largest free room, a host never in two
places; no look-ahead, no repair, no second pass. :func:`first_fit_baseline` is a weaker reference (each
session into the first slot with a free room, so the first slot fills with the most popular sessions).
On the benchmark (200 people, 40 sessions, 6 rooms x 4 slots) the search gives about 0.9 x the greedy's
clashes and 0.6 x first fit's, and equals (within 0.5%) the best that simulated annealing finds in 10 to
30 times as long: with interest in topic clusters, most of the remaining clashes cannot be avoided by any
schedule.
"""

from __future__ import annotations

import random
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "HOSTS_BUSY",
    "NO_ROOM",
    "NO_SLOT",
    "PIN_CONFLICT",
    "Figures",
    "Result",
    "Room",
    "Session",
    "Violation",
    "evaluate",
    "first_fit_baseline",
    "greedy_baseline",
    "match_rooms",
    "schedule",
]

# Why a session was left out of the schedule (the app turns these into sentences).
NO_ROOM = "no_room"  # every room is taken at every time its hosts can make
HOSTS_BUSY = "hosts_busy"  # its hosts host another session at every time there is a free room
NO_SLOT = "no_slot"  # its hosts cannot make any of the time slots
PIN_CONFLICT = "pin_conflict"  # its pinned room or slot is unknown, taken, or one its hosts cannot make

DEFAULT_TIME_LIMIT = 0.5  # seconds: a facilitator presses "Build" and waits for the page
DEFAULT_PATIENCE = 60  # kicks in a row without a better schedule before the search stops
BACKTRACK_NODES = 5_000  # the repair search gives up after this many steps (it is for tight corners)


@dataclass(frozen=True)
class Room:
    id: Hashable
    capacity: int


@dataclass(frozen=True)
class Session:
    id: Hashable
    hosts: frozenset[Hashable] = frozenset()
    room: Hashable | None = None  # pinned by hand to this room
    slot: Hashable | None = None  # pinned by hand to this slot
    avoid_slots: frozenset[Hashable] = frozenset()  # slots its hosts cannot make


@dataclass(frozen=True)
class Violation:
    kind: str  # "room_double_booked", "host_double_booked", "avoided_slot", "unknown_room", "unknown_slot"
    slot: Hashable | None
    sessions: tuple[Hashable, ...]
    who: Hashable | None = None  # the room (room_double_booked) or the host (host_double_booked)


@dataclass(frozen=True)
class Figures:
    clashes: int
    people_with_clash: int
    overflow: int
    hard_violations: int
    violations: tuple[Violation, ...] = ()


@dataclass
class Result:
    placements: dict[Hashable, tuple[Hashable, Hashable]]  # session -> (room, slot)
    unscheduled: dict[Hashable, str]  # session -> reason (NO_ROOM, HOSTS_BUSY, NO_SLOT, PIN_CONFLICT)
    clashes: int
    people_with_clash: int
    overflow: int
    hard_violations: int
    method: str  # "local_search" or "greedy"
    seconds: float = 0.0
    rounds: int = 0  # kicks of the iterated local search
    violations: tuple[Violation, ...] = field(default_factory=tuple)


# --- Figures -------------------------------------------------------------------------------------


def _attendees(sessions: Sequence[Session], interest: Mapping[Hashable, Iterable[Hashable]]) -> dict[Hashable, set]:
    """session -> the people who marked it, plus its hosts."""
    known = {s.id for s in sessions}
    people: dict[Hashable, set] = {s.id: set(s.hosts) for s in sessions}
    for person, marked in interest.items():
        for sid in marked:
            if sid in known:
                people[sid].add(person)
    return people


def evaluate(
    rooms: Sequence[Room],
    slots: Sequence[Hashable],
    sessions: Sequence[Session],
    interest: Mapping[Hashable, Iterable[Hashable]],
    placements: Mapping[Hashable, tuple[Hashable, Hashable]],
) -> Figures:
    """The figures of any schedule (the search's, the baseline's, or one adjusted by hand)."""
    capacity = {r.id: r.capacity for r in rooms}
    slot_set = set(slots)
    by_id = {s.id: s for s in sessions}
    attendees = _attendees(sessions, interest)
    violations: list[Violation] = []
    in_room: dict[tuple[Hashable, Hashable], list[Hashable]] = {}
    hosting: dict[tuple[Hashable, Hashable], list[Hashable]] = {}
    placed: dict[Hashable, Hashable] = {}  # session -> slot, for the sessions that count
    overflow = 0
    for sid, (room, slot) in placements.items():
        if sid not in by_id:
            continue
        if room not in capacity:
            violations.append(Violation("unknown_room", slot, (sid,), room))
            continue
        if slot not in slot_set:
            violations.append(Violation("unknown_slot", slot, (sid,)))
            continue
        placed[sid] = slot
        in_room.setdefault((room, slot), []).append(sid)
        for host in by_id[sid].hosts:
            hosting.setdefault((host, slot), []).append(sid)
        if slot in by_id[sid].avoid_slots:
            violations.append(Violation("avoided_slot", slot, (sid,)))
        overflow += max(0, len(attendees[sid]) - capacity[room])
    for (room, slot), ids in in_room.items():
        if len(ids) > 1:
            violations.append(Violation("room_double_booked", slot, tuple(ids), room))
    for (host, slot), ids in hosting.items():
        if len(ids) > 1:
            violations.append(Violation("host_double_booked", slot, tuple(ids), host))
    # Clashes, person by person: pairs of their sessions sharing a slot.
    per_person: dict[Hashable, dict[Hashable, int]] = {}
    for sid, slot in placed.items():
        for person in attendees[sid]:
            counts = per_person.setdefault(person, {})
            counts[slot] = counts.get(slot, 0) + 1
    clashes = 0
    people_with_clash = 0
    for counts in per_person.values():
        pairs = sum(k * (k - 1) // 2 for k in counts.values())
        clashes += pairs
        people_with_clash += pairs > 0
    return Figures(
        clashes=clashes,
        people_with_clash=people_with_clash,
        overflow=overflow,
        hard_violations=len(violations),
        violations=tuple(violations),
    )


def match_rooms(
    rooms: Sequence[Room], demands: Mapping[Hashable, int], pinned: Mapping[Hashable, Hashable] | None = None
) -> dict[Hashable, Hashable]:
    """The rooms for the sessions of one slot: pinned sessions keep their room, then the biggest rooms go to
    the most popular sessions (optimal for overflow: see the module's docstring). Ties keep the given order
    of rooms and of ``demands``. Assumes there are enough rooms and pinned rooms are distinct."""
    pinned = pinned or {}
    taken = set(pinned.values())
    free = sorted((r for r in rooms if r.id not in taken), key=lambda r: -r.capacity)
    order = sorted((sid for sid in demands if sid not in pinned), key=lambda sid: -demands[sid])
    rooms_of = dict(pinned)
    for sid, room in zip(order, free, strict=False):
        rooms_of[sid] = room.id
    return rooms_of


# --- The problem, as arrays ----------------------------------------------------------------------


class _Problem:
    """Sessions, slots and rooms as indices; W, X and the allowed slots as numpy arrays."""

    def __init__(
        self,
        rooms: Sequence[Room],
        slots: Sequence[Hashable],
        sessions: Sequence[Session],
        interest: Mapping[Hashable, Iterable[Hashable]],
    ) -> None:
        self.rooms = list(rooms)
        self.slots = list(slots)
        self.sessions = list(sessions)
        self.n, self.S, self.R = len(self.sessions), len(self.slots), len(self.rooms)
        self.slot_index = {t: i for i, t in enumerate(self.slots)}
        self.room_index = {r.id: i for i, r in enumerate(self.rooms)}
        self.capacity = [max(0, int(r.capacity)) for r in self.rooms]
        attendees = _attendees(self.sessions, interest)
        self.demand = [len(attendees[s.id]) for s in self.sessions]
        people = sorted({p for group in attendees.values() for p in group}, key=repr)
        person_index = {p: i for i, p in enumerate(people)}
        a = np.zeros((len(people), self.n), dtype=np.int32)
        for j, s in enumerate(self.sessions):
            for p in attendees[s.id]:
                a[person_index[p], j] = 1
        w = a.T @ a
        np.fill_diagonal(w, 0)
        self.W = w.astype(np.int64)
        # Pins, and whether they name a room and a slot that exist.
        self.pin_slot = np.full(self.n, -1, dtype=np.int64)
        self.pin_room = np.full(self.n, -1, dtype=np.int64)
        self.bad_pin = np.zeros(self.n, dtype=bool)
        for j, s in enumerate(self.sessions):
            if s.slot is not None:
                if s.slot in self.slot_index:
                    self.pin_slot[j] = self.slot_index[s.slot]
                else:
                    self.bad_pin[j] = True
            if s.room is not None:
                if s.room in self.room_index:
                    self.pin_room[j] = self.room_index[s.room]
                else:
                    self.bad_pin[j] = True
        self.allowed = np.ones((self.n, self.S), dtype=bool)
        for j, s in enumerate(self.sessions):
            for t in s.avoid_slots:
                if t in self.slot_index:
                    self.allowed[j, self.slot_index[t]] = False
            if self.pin_slot[j] >= 0:
                pinned_ok = self.allowed[j, self.pin_slot[j]]
                self.allowed[j, :] = False
                self.allowed[j, self.pin_slot[j]] = pinned_ok
                if not pinned_ok:
                    self.bad_pin[j] = True
        # Incompatible pairs: a shared host, or the same pinned room.
        x = np.zeros((self.n, self.n), dtype=np.int64)
        by_host: dict[Hashable, list[int]] = {}
        for j, s in enumerate(self.sessions):
            for h in s.hosts:
                by_host.setdefault(h, []).append(j)
        for group in by_host.values():
            for i in group:
                for k in group:
                    if i != k:
                        x[i, k] = 1
        self.by_host = by_host
        by_room: dict[int, list[int]] = {}
        for j in range(self.n):
            if self.pin_room[j] >= 0:
                by_room.setdefault(int(self.pin_room[j]), []).append(j)
        for group in by_room.values():
            for i in group:
                for k in group:
                    if i != k:
                        x[i, k] = 1
        self.X = x
        self.X_bool = x.astype(bool)
        self.rooms_by_size = sorted(range(self.R), key=lambda r: -self.capacity[r])

    def slot_overflow(self, members: Iterable[int]) -> int:
        """The least overflow of one slot holding these sessions (pinned rooms kept, the rest sorted)."""
        total = 0
        used: set[int] = set()
        rest: list[int] = []
        for i in members:
            r = int(self.pin_room[i])
            if r >= 0:
                used.add(r)
                total += max(0, self.demand[i] - self.capacity[r])
            else:
                rest.append(self.demand[i])
        if rest:
            rest.sort(reverse=True)
            caps = [self.capacity[r] for r in self.rooms_by_size if r not in used]
            for d, c in zip(rest, caps, strict=False):
                if d > c:
                    total += d - c
        return total

    def rooms_for(self, members: Sequence[int]) -> dict[int, int]:
        """session index -> room index for one slot (pinned rooms kept, the rest sorted; ties by input order)."""
        chosen = {i: int(self.pin_room[i]) for i in members if self.pin_room[i] >= 0}
        free = [r for r in self.rooms_by_size if r not in set(chosen.values())]
        rest = sorted((i for i in members if self.pin_room[i] < 0), key=lambda i: (-self.demand[i], i))
        for i, r in zip(rest, free, strict=False):
            chosen[i] = r
        return chosen


# --- The search state ----------------------------------------------------------------------------


class _State:
    """A slot for each scheduled session, with C (clash weights per slot) and H (incompatible sessions per
    slot) kept up to date on every move."""

    def __init__(self, p: _Problem, slot_of: np.ndarray, *, track_overflow: bool = True) -> None:
        self.p = p
        self.slot_of = slot_of.copy()
        self.track_overflow = track_overflow
        self.rebuild()

    def rebuild(self) -> None:
        p = self.p
        onehot = np.zeros((p.n, p.S), dtype=np.int64)
        placed = self.slot_of >= 0
        onehot[np.nonzero(placed)[0], self.slot_of[placed]] = 1
        self.C = p.W @ onehot
        self.H = p.X @ onehot
        self.count = onehot.sum(axis=0)
        self.members: list[set[int]] = [set(np.nonzero(onehot[:, t])[0].tolist()) for t in range(p.S)]
        self.over = [p.slot_overflow(self.members[t]) for t in range(p.S)]

    def clashes(self) -> int:
        placed = np.nonzero(self.slot_of >= 0)[0]
        return int(self.C[placed, self.slot_of[placed]].sum()) // 2

    def overflow(self) -> int:
        return sum(self.over)

    def score(self) -> tuple[int, int]:
        return self.clashes(), self.overflow()

    def can_place(self, i: int, t: int) -> bool:
        p = self.p
        return bool(p.allowed[i, t] and self.count[t] < p.R and self.H[i, t] == 0)

    def place(self, i: int, t: int) -> None:
        self.slot_of[i] = t
        self.C[:, t] += self.p.W[:, i]
        self.H[:, t] += self.p.X[:, i]
        self.count[t] += 1
        self.members[t].add(i)
        if self.track_overflow:
            self.over[t] = self.p.slot_overflow(self.members[t])

    def remove(self, i: int) -> None:
        t = int(self.slot_of[i])
        self.slot_of[i] = -1
        self.C[:, t] -= self.p.W[:, i]
        self.H[:, t] -= self.p.X[:, i]
        self.count[t] -= 1
        self.members[t].discard(i)
        if self.track_overflow:
            self.over[t] = self.p.slot_overflow(self.members[t])

    def move(self, i: int, t: int) -> None:
        self.remove(i)
        self.place(i, t)

    def swap(self, i: int, u: int) -> None:
        x, y = int(self.slot_of[i]), int(self.slot_of[u])
        self.remove(i)
        self.remove(u)
        self.place(i, y)
        self.place(u, x)

    def overflow_change(self, changes: dict[int, tuple[set[int], set[int]]]) -> int:
        """How the overflow would change if each slot lost the first set and gained the second."""
        delta = 0
        for t, (out, into) in changes.items():
            delta += self.p.slot_overflow((self.members[t] - out) | into) - self.over[t]
        return delta


# --- Construction --------------------------------------------------------------------------------


def _backtrack(p: _Problem, fixed: np.ndarray, free: list[int], limit: int = BACKTRACK_NODES) -> np.ndarray | None:
    """Any slot assignment of the `free` sessions that keeps the hard constraints, around the `fixed` ones;
    None if there is none (or none found within `limit` steps). Most constrained session first."""
    slot_of = fixed.copy()
    for i in free:
        slot_of[i] = -1
    state = _State(p, slot_of, track_overflow=False)
    # The fewest allowed slots and the most incompatible sessions first: the usual order for colouring.
    order = sorted(free, key=lambda i: (int(p.allowed[i].sum()), -int(p.X[i].sum()), -p.demand[i], i))
    steps = 0

    def go(k: int) -> bool:
        nonlocal steps
        if k == len(order):
            return True
        i = order[k]
        for t in sorted(range(p.S), key=lambda t: (int(state.count[t]), t)):
            steps += 1
            if steps > limit:
                return False
            if state.can_place(i, t):
                state.place(i, t)
                if go(k + 1):
                    return True
                state.remove(i)
        return False

    return state.slot_of if go(0) else None


def _might_fit(p: _Problem, state: _State, pinned: np.ndarray, i: int) -> bool:
    """Cheap necessary conditions before the repair search: a free room somewhere, and an allowed slot free of
    pinned sessions it cannot share a slot with."""
    if int(state.count.sum()) >= p.S * p.R:
        return False
    # The sessions one person hosts need a slot each: a host who already hosts as many placed sessions as
    # there are slots has no room for another, however the others move.
    for host in p.sessions[i].hosts:
        if sum(1 for j in p.by_host[host] if state.slot_of[j] >= 0) >= p.S:
            return False
    for t in np.nonzero(p.allowed[i])[0]:
        if not any(p.X[i, j] for j in np.nonzero(pinned == t)[0]) and int((pinned == t).sum()) < p.R:
            return True
    return False


def _reason(p: _Problem, state: _State, i: int) -> str:
    if not p.allowed[i].any():
        return NO_SLOT
    allowed = np.nonzero(p.allowed[i])[0]
    if all(state.H[i, t] > 0 for t in allowed):
        return HOSTS_BUSY
    return NO_ROOM


def _construct(p: _Problem) -> tuple[_State, dict[int, str]]:
    """Pinned sessions first, then the most popular: each into the allowed slot with a free room where it adds
    the fewest clashes (then the emptiest slot). A session that does not fit triggers a backtracking repair
    of the unpinned sessions placed so far; if that fails too, it is left out."""
    state = _State(p, np.full(p.n, -1, dtype=np.int64))
    left_out: dict[int, str] = {}
    pinned_slot = [i for i in range(p.n) if p.pin_slot[i] >= 0 or p.bad_pin[i]]
    room_only = [i for i in range(p.n) if p.pin_room[i] >= 0 and p.pin_slot[i] < 0 and not p.bad_pin[i]]
    others = [i for i in range(p.n) if p.pin_room[i] < 0 and p.pin_slot[i] < 0 and not p.bad_pin[i]]
    for i in pinned_slot:
        t = int(p.pin_slot[i])
        if p.bad_pin[i] or not state.can_place(i, t):
            left_out[i] = PIN_CONFLICT
        else:
            state.place(i, t)
    pinned = state.slot_of.copy()
    for i in room_only + sorted(others, key=lambda i: (-p.demand[i], i)):
        options = [t for t in range(p.S) if state.can_place(i, t)]
        if options:
            state.place(i, min(options, key=lambda t: (int(state.C[i, t]), int(state.count[t]), t)))
            continue
        if _might_fit(p, state, pinned, i):
            movable = [j for j in range(p.n) if state.slot_of[j] >= 0 and pinned[j] < 0] + [i]
            repaired = _backtrack(p, pinned, movable)
            if repaired is not None:
                state = _State(p, repaired)
                continue
        left_out[i] = _reason(p, state, i)
    return state, left_out


# --- Local search --------------------------------------------------------------------------------


def _best_step(state: _State, i: int, movable: np.ndarray) -> tuple[tuple[int, int], str, int] | None:
    """The best improving move or swap for session i: ((clash change, overflow change), "move"/"swap", target),
    or None if nothing improves."""
    p = state.p
    x = int(state.slot_of[i])
    c_i = state.C[i]
    best: tuple[tuple[int, int], str, int] | None = None
    candidates: list[tuple[int, str, int]] = []
    # Moves to a slot with a free room.
    move_ok = p.allowed[i] & (state.count < p.R) & (state.H[i] == 0)
    move_ok[x] = False
    for t in np.nonzero(move_ok)[0]:
        candidates.append((int(c_i[t] - c_i[x]), "move", int(t)))
    # Swaps with a session in another slot.
    y = state.slot_of
    ok = movable & (y >= 0) & (y != x)
    idx = np.nonzero(ok)[0]
    if idx.size:
        ys = y[idx]
        ok2 = p.allowed[i, ys] & p.allowed[idx, x]
        ok2 &= (state.H[i, ys] - p.X[i, idx]) == 0
        ok2 &= (state.H[idx, x] - p.X[idx, i]) == 0
        idx, ys = idx[ok2], ys[ok2]
        if idx.size:
            d = c_i[ys] - c_i[x] + state.C[idx, x] - state.C[idx, ys] - 2 * p.W[i, idx]
            for u, dc in zip(idx.tolist(), d.tolist(), strict=True):
                candidates.append((int(dc), "swap", u))
    if not candidates:
        return None
    low = min(c[0] for c in candidates)
    if low > 0:
        return None
    for dc, kind, target in candidates:
        if dc != low:
            continue
        if kind == "move":
            do = state.overflow_change({x: ({i}, set()), int(target): (set(), {i})})
        else:
            other_slot = int(y[target])
            do = state.overflow_change({x: ({i}, {target}), other_slot: ({target}, {i})})
        key = (dc, do)
        if key < (0, 0) and (best is None or key < best[0]):
            best = (key, kind, target)
    return best


def _descend(state: _State, movable: np.ndarray, rng: random.Random, deadline: float) -> None:
    """Apply the best improving move or swap of each session in turn until none improves (or time is up: the
    schedule is valid at every step, only less improved)."""
    order = [int(i) for i in np.nonzero(movable & (state.slot_of >= 0))[0]]
    improved = True
    while improved:
        improved = False
        rng.shuffle(order)
        for i in order:
            if time.perf_counter() > deadline:
                return
            step = _best_step(state, i, movable)
            if step is None:
                continue
            _key, kind, target = step
            if kind == "move":
                state.move(i, target)
            else:
                state.swap(i, target)
            improved = True


def _chain(state: _State, i: int, y: int, movable: np.ndarray) -> tuple[list[int], list[int]] | None:
    """The Kempe chain of session i towards slot y: i, the sessions in y it cannot share a slot with, the
    sessions in i's slot those cannot share a slot with, and so on. Swapping the two sides keeps every host
    in one place at a time, and reaches schedules no single move or swap can (Hana's two sessions a and b
    with her co-hosted c: c trades places with a and b at once). None if a pinned session is in the chain,
    a session cannot make its new slot, or a slot would need more rooms than it has."""
    p = state.p
    x = int(state.slot_of[i])
    side = {x: [i], y: []}
    seen = {i}
    queue = [i]
    while queue:
        j = queue.pop()
        here = int(state.slot_of[j])
        there = y if here == x else x
        for k in np.nonzero(p.X_bool[j] & (state.slot_of == there))[0].tolist():
            if k not in seen:
                seen.add(k)
                side[there].append(k)
                queue.append(k)
    a, b = side[x], side[y]
    if not all(movable[j] for j in seen):
        return None
    if not (all(p.allowed[j, y] for j in a) and all(p.allowed[j, x] for j in b)):
        return None
    if state.count[x] - len(a) + len(b) > p.R or state.count[y] - len(b) + len(a) > p.R:
        return None
    return a, b


def _apply_chain(state: _State, a: list[int], b: list[int], x: int, y: int) -> None:
    for j in a + b:
        state.remove(j)
    for j in a:
        state.place(j, y)
    for j in b:
        state.place(j, x)


def _kick(state: _State, movable: np.ndarray, rng: random.Random, moves: int) -> None:
    """A few random changes that keep the hard constraints (whether or not they improve): Kempe-chain
    interchanges, which include plain moves (a chain of one) and swaps of sessions sharing a host; else a
    swap with a random session of the other slot."""
    p = state.p
    candidates = [int(i) for i in np.nonzero(movable & (state.slot_of >= 0))[0]]
    if not candidates or p.S < 2:
        return
    for _ in range(moves):
        i = rng.choice(candidates)
        x = int(state.slot_of[i])
        t = rng.choice([s for s in range(p.S) if s != x])
        chain = _chain(state, i, t, movable)
        if chain is not None:
            _apply_chain(state, chain[0], chain[1], x, t)
            continue
        others = [u for u in state.members[t] if movable[u]]
        rng.shuffle(others)
        for u in others:
            if (
                p.allowed[i, t]
                and p.allowed[u, x]
                and state.H[i, t] - p.X[i, u] == 0
                and state.H[u, x] - p.X[u, i] == 0
            ):
                state.swap(i, u)
                break


def _result(
    p: _Problem,
    slot_of: np.ndarray,
    left_out: dict[int, str],
    interest: Mapping[Hashable, Iterable[Hashable]],
    method: str,
    started: float,
    rounds: int,
) -> Result:
    placements: dict[Hashable, tuple[Hashable, Hashable]] = {}
    for t in range(p.S):
        members = sorted(int(i) for i in np.nonzero(slot_of == t)[0])
        for i, r in p.rooms_for(members).items():
            placements[p.sessions[i].id] = (p.rooms[r].id, p.slots[t])
    figures = evaluate(p.rooms, p.slots, p.sessions, interest, placements)
    return Result(
        placements=placements,
        unscheduled={p.sessions[i].id: why for i, why in sorted(left_out.items())},
        clashes=figures.clashes,
        people_with_clash=figures.people_with_clash,
        overflow=figures.overflow,
        hard_violations=figures.hard_violations,
        violations=figures.violations,
        method=method,
        seconds=time.perf_counter() - started,
        rounds=rounds,
    )


def _check_ids(rooms: Sequence[Room], slots: Sequence[Hashable], sessions: Sequence[Session]) -> None:
    for what, ids in (
        ("room", [r.id for r in rooms]),
        ("slot", list(slots)),
        ("session", [s.id for s in sessions]),
    ):
        if len(set(ids)) != len(ids):
            raise ValueError(f"Each {what} id must be given once.")


def schedule(
    rooms: Sequence[Room],
    slots: Sequence[Hashable],
    sessions: Sequence[Session],
    interest: Mapping[Hashable, Iterable[Hashable]],
    *,
    seed: int = 0,
    time_limit: float = DEFAULT_TIME_LIMIT,
    patience: int = DEFAULT_PATIENCE,
) -> Result:
    """The schedule with the fewest clashes (then the least overflow) this search finds; see the module."""
    started = time.perf_counter()
    _check_ids(rooms, slots, sessions)
    p = _Problem(rooms, slots, sessions, interest)
    rng = random.Random(seed)
    state, left_out = _construct(p)
    # Start from the simple greedy's schedule instead when it is better (as many sessions placed, fewer clashes,
    # then less overflow): the search then never ends worse than the method it is measured against.
    # (Only when it keeps the same pinned sessions: a pin is the facilitator's, not to be traded for clashes.)
    greedy_slots, _rooms, greedy_left_out = _greedy_pass(p, least_clash=True)
    greedy_state = _State(p, greedy_slots)
    pinned = (p.pin_slot >= 0) | (p.pin_room >= 0) | p.bad_pin
    same_pins = {i for i in greedy_left_out if pinned[i]} == {i for i in left_out if pinned[i]}
    if same_pins and (len(greedy_left_out), *greedy_state.score()) < (len(left_out), *state.score()):
        state, left_out = greedy_state, greedy_left_out
    movable = (p.pin_slot < 0) & ~p.bad_pin
    rounds = 0
    if p.S > 1 and p.n:
        deadline = started + time_limit
        _descend(state, movable, rng, deadline)
        best_slots, best_score = state.slot_of.copy(), state.score()
        stale = 0
        while best_score != (0, 0) and stale < patience and time.perf_counter() < deadline:
            rounds += 1
            _kick(state, movable, rng, rng.randint(1, 3))
            _descend(state, movable, rng, deadline)
            score = state.score()
            if score < best_score:
                best_slots, best_score, stale = state.slot_of.copy(), score, 0
            else:
                stale += 1
                if score > best_score:
                    state = _State(p, best_slots)
        slot_of = best_slots
    else:
        slot_of = state.slot_of
    return _result(p, slot_of, left_out, interest, "local_search", started, rounds)


def _greedy_pass(p: _Problem, *, least_clash: bool) -> tuple[np.ndarray, dict[int, int], dict[int, str]]:
    """One pass, no look-ahead, no repair: pinned sessions first (where pinned), then the rest from the most
    wanted down; each into a slot its hosts can make and are not already hosting in, with a free room (its
    pinned room, else the largest free one). `least_clash`: the slot where it adds the fewest clashes with
    the sessions already there (ties: the earliest); otherwise simply the first such slot.
    Returns (slot of each session or -1, room of each placed session, reasons for the ones left out)."""
    taken: set[tuple[int, int]] = set()  # (room, slot)
    busy: set[tuple[Hashable, int]] = set()  # (host, slot)
    slot_of = np.full(p.n, -1, dtype=np.int64)
    room_of: dict[int, int] = {}
    adds = np.zeros((p.n, p.S), dtype=np.int64)  # adds[i, t]: the clashes session i would add in slot t
    left_out: dict[int, str] = {}
    pinned = [i for i in range(p.n) if p.pin_slot[i] >= 0 or p.pin_room[i] >= 0 or p.bad_pin[i]]
    pinned_set = set(pinned)
    rest = sorted((i for i in range(p.n) if i not in pinned_set), key=lambda i: (-p.demand[i], i))
    for i in pinned + rest:
        s = p.sessions[i]
        if p.bad_pin[i]:
            left_out[i] = PIN_CONFLICT
            continue
        options: list[tuple[int, int]] = []  # (slot, room)
        for t in range(p.S):
            if not p.allowed[i, t] or any((h, t) in busy for h in s.hosts):
                continue
            if p.pin_room[i] >= 0:
                free = [int(p.pin_room[i])] if (int(p.pin_room[i]), t) not in taken else []
            else:
                free = [r for r in p.rooms_by_size if (r, t) not in taken]
            if free:
                options.append((t, free[0]))
                if not least_clash:
                    break
        if options:
            t, r = min(options, key=lambda o: (int(adds[i, o[0]]), o[0]))
            taken.add((r, t))
            busy.update((h, t) for h in s.hosts)
            slot_of[i] = t
            room_of[i] = r
            adds[:, t] += p.W[:, i]
        elif p.pin_slot[i] >= 0 or p.pin_room[i] >= 0:
            left_out[i] = PIN_CONFLICT
        elif not p.allowed[i].any():
            left_out[i] = NO_SLOT
        elif all(any((h, t) in busy for h in s.hosts) for t in np.nonzero(p.allowed[i])[0]):
            left_out[i] = HOSTS_BUSY
        else:
            left_out[i] = NO_ROOM
    return slot_of, room_of, left_out


def _baseline(
    rooms: Sequence[Room],
    slots: Sequence[Hashable],
    sessions: Sequence[Session],
    interest: Mapping[Hashable, Iterable[Hashable]],
    *,
    least_clash: bool,
    method: str,
) -> Result:
    started = time.perf_counter()
    _check_ids(rooms, slots, sessions)
    p = _Problem(rooms, slots, sessions, interest)
    slot_of, room_of, left_out = _greedy_pass(p, least_clash=least_clash)
    placements = {p.sessions[i].id: (p.rooms[r].id, p.slots[int(slot_of[i])]) for i, r in room_of.items()}
    figures = evaluate(p.rooms, p.slots, p.sessions, interest, placements)
    return Result(
        placements=placements,
        unscheduled={p.sessions[i].id: why for i, why in sorted(left_out.items())},
        clashes=figures.clashes,
        people_with_clash=figures.people_with_clash,
        overflow=figures.overflow,
        hard_violations=figures.hard_violations,
        violations=figures.violations,
        method=method,
        seconds=time.perf_counter() - started,
    )


def greedy_baseline(
    rooms: Sequence[Room],
    slots: Sequence[Hashable],
    sessions: Sequence[Session],
    interest: Mapping[Hashable, Iterable[Hashable]],
) -> Result:
    """The simple method the scheduler is measured against, an honest greedy: sessions from the most wanted
    down (pinned ones first, where pinned), each into the slot where it adds the fewest clashes with the
    sessions already placed (ties: the earliest slot), among the slots its hosts can make and are not already
    hosting in, in the largest free room. No look-ahead, no repair, no second pass."""
    return _baseline(rooms, slots, sessions, interest, least_clash=True, method="greedy")


def first_fit_baseline(
    rooms: Sequence[Room],
    slots: Sequence[Hashable],
    sessions: Sequence[Session],
    interest: Mapping[Hashable, Iterable[Hashable]],
) -> Result:
    """A weaker reference, kept for comparison: sessions from the most wanted down, each into the first slot
    with a free room whose hosts can make it and are not already busy then (so the first slot fills with
    the most popular sessions). No clash counting at all."""
    return _baseline(rooms, slots, sessions, interest, least_clash=False, method="first_fit")
