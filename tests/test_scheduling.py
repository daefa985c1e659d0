"""The open space scheduler (copro.analysis.scheduling): hand-made cases whose optimum is known, the
figures' definitions, pins and reasons, and a brute-force check over every assignment of small random
instances (seeded loops: the scheduler must find the optimal clash count, then the optimal overflow)."""

from __future__ import annotations

import itertools
import random

import pytest

from copro.analysis.scheduling import (
    HOSTS_BUSY,
    NO_ROOM,
    NO_SLOT,
    PIN_CONFLICT,
    Room,
    Session,
    evaluate,
    first_fit_baseline,
    greedy_baseline,
    match_rooms,
    schedule,
)


def S(sid, *hosts, **pins):
    return Session(id=sid, hosts=frozenset(hosts), **pins)


def slot_of(result, sid):
    return result.placements[sid][1]


def room_of(result, sid):
    return result.placements[sid][0]


# --- The figures' definitions --------------------------------------------------------------------


def test_a_clash_is_a_pair_of_someones_sessions_in_one_slot():
    rooms = [Room("r1", 10), Room("r2", 10), Room("r3", 10)]
    sessions = [S("a"), S("b"), S("c"), S("d")]
    interest = {"ann": {"a", "b", "c"}, "bob": {"a", "d"}, "cai": {"d"}}
    # a, b, c at 10:00 and d at 11:00: Ann has 3 pairs (ab, ac, bc); Bob has none (a and d differ).
    f = evaluate(
        rooms,
        ["10", "11"],
        sessions,
        interest,
        {"a": ("r1", "10"), "b": ("r2", "10"), "c": ("r3", "10"), "d": ("r1", "11")},
    )
    assert (f.clashes, f.people_with_clash, f.hard_violations) == (3, 1, 0)
    # Two of Ann's at 10:00, one at 11:00: one pair.
    f = evaluate(
        rooms,
        ["10", "11"],
        sessions,
        interest,
        {"a": ("r1", "10"), "b": ("r2", "10"), "c": ("r2", "11"), "d": ("r1", "11")},
    )
    assert (f.clashes, f.people_with_clash) == (1, 1)


def test_hosts_attend_their_own_session_and_count_in_its_demand_and_clashes():
    rooms = [Room("small", 1), Room("big", 5)]
    sessions = [S("a", "hana"), S("b")]
    interest = {"ann": {"a"}, "hana": {"b"}}
    f = evaluate(rooms, ["10"], sessions, interest, {"a": ("small", "10"), "b": ("big", "10")})
    # a: Ann and its host Hana = 2 people in a room for 1. Hana hosts a and wants b at the same time: 1 clash.
    assert (f.overflow, f.clashes, f.people_with_clash) == (1, 1, 1)


def test_evaluate_counts_every_broken_hard_constraint():
    rooms = [Room("r1", 10), Room("r2", 10)]
    sessions = [S("a", "hana"), S("b", "hana"), S("c", avoid_slots=frozenset({"10"})), S("d")]
    f = evaluate(
        rooms,
        ["10", "11"],
        sessions,
        {},
        {"a": ("r1", "10"), "b": ("r2", "10"), "c": ("r1", "10"), "d": ("nowhere", "11")},
    )
    kinds = sorted(v.kind for v in f.violations)
    assert kinds == ["avoided_slot", "host_double_booked", "room_double_booked", "unknown_room"]
    assert f.hard_violations == 4


# --- Hand-made cases with a known optimum -----------------------------------------------------------


def test_two_disjoint_pairs_of_interest_give_zero_clashes_where_first_fit_gets_them_all():
    # Four sessions, two slots, two rooms. Everyone who wants a also wants b; everyone who wants c wants d.
    # Putting a with b, or c with d, costs those people; a|b and c|d apart costs nobody: the optimum is 0.
    rooms = [Room("hall", 50), Room("room", 50)]
    sessions = [S("a", "h1"), S("b", "h2"), S("c", "h3"), S("d", "h4")]
    interest = {f"p{i}": {"a", "b"} for i in range(4)} | {f"q{i}": {"c", "d"} for i in range(3)}
    result = schedule(rooms, ["10", "11"], sessions, interest, seed=1)
    assert result.clashes == 0 and result.people_with_clash == 0 and result.hard_violations == 0
    assert slot_of(result, "a") != slot_of(result, "b") and slot_of(result, "c") != slot_of(result, "d")
    # First fit fills the first slot with the two most popular sessions, a and b (its first slot has a free
    # room for both), then c and d: 4 + 3 = 7 clashes, every person.
    first_fit = first_fit_baseline(rooms, ["10", "11"], sessions, interest)
    assert (first_fit.clashes, first_fit.people_with_clash) == (7, 7)
    # The least-clash greedy (the baseline) sees b would clash with a at 10:00 and puts it at 11:00: 0.
    assert greedy_baseline(rooms, ["10", "11"], sessions, interest).clashes == 0


def test_a_case_where_first_fit_gets_three_clashes_and_the_optimum_is_provably_one():
    # Two slots, two rooms, four sessions. Ann wants a and b, Bob b and c, Cai a and c: a triangle. Any split
    # of a, b, c over two slots puts two of them together, so at least one of these three people has a
    # clash: the optimum is at least 1, and "a with c, b with d" reaches it (Dee and Dai want c and d).
    rooms = [Room("r1", 20), Room("r2", 20)]
    sessions = [S("a"), S("b"), S("c"), S("d")]
    interest = {
        "ann": {"a", "b"},
        "bob": {"b", "c"},
        "cai": {"a", "c"},
        "dee": {"c", "d"},
        "dai": {"c", "d"},
        "a1": {"a"},
        "a2": {"a"},
        "b1": {"b"},
        "b2": {"b"},
    }
    result = schedule(rooms, ["10", "11"], sessions, interest, seed=3)
    assert (result.clashes, result.people_with_clash) == (1, 1)
    assert result.clashes == brute_force(rooms, ["10", "11"], sessions, interest)[0]
    # First fit takes a, b, c (4 people each) then d (2): a and b fill 10:00, c and d 11:00: Ann's pair
    # plus Dee's and Dai's: 3 clashes.
    first_fit = first_fit_baseline(rooms, ["10", "11"], sessions, interest)
    assert (first_fit.clashes, first_fit.people_with_clash) == (3, 3)
    # The least-clash greedy: a at 10:00; b at 11:00 (Ann); c ties (Cai at 10:00, Bob at 11:00) and takes the
    # earliest; d has only 11:00 left, where it adds nothing: 1 clash, the optimum.
    greedy = greedy_baseline(rooms, ["10", "11"], sessions, interest)
    assert (greedy.clashes, greedy.people_with_clash) == (1, 1)


def test_first_fit_gets_k_clashes_where_the_optimum_is_zero_at_scale():
    # k popular pairs: each pair's two sessions wanted by the same people. 2 slots, k rooms: the optimum puts
    # one of each pair in each slot (0 clashes); first fit, in order of popularity, puts both of each of
    # the first k/2 pairs into the first slot. The least-clash greedy splits every pair.
    k = 6
    rooms = [Room(f"r{i}", 100) for i in range(k)]
    sessions = [S(f"s{i}{side}", f"host{i}{side}") for i in range(k) for side in "xy"]
    interest = {}
    for i in range(k):
        for j in range(10 - i):
            interest[f"p{i}-{j}"] = {f"s{i}x", f"s{i}y"}
    result = schedule(rooms, ["am", "pm"], sessions, interest, seed=0)
    first_fit = first_fit_baseline(rooms, ["am", "pm"], sessions, interest)
    assert result.clashes == 0
    assert first_fit.clashes == sum(10 - i for i in range(k))  # every pair ends up together
    assert first_fit.clashes > 0 and not result.unscheduled and not first_fit.unscheduled
    assert greedy_baseline(rooms, ["am", "pm"], sessions, interest).clashes == 0


def test_the_least_clash_greedy_is_fooled_by_a_tie_it_cannot_see_past():
    # 2 slots x 2 rooms. a (6 people) and b (5) share nobody; c and d are wanted by the same 3 people. The
    # greedy puts a at 10:00, then b where it adds no clash: both slots tie at 0, so the earliest, 10:00,
    # which is now full; c and d must both go at 11:00: 3 clashes. Looking ahead, a with c and b with d (or a
    # with d) costs nobody anything: the optimum is 0, and the scheduler finds it.
    rooms = [Room("r1", 20), Room("r2", 20)]
    sessions = [S("a", "ha"), S("b", "hb"), S("c", "hc"), S("d", "hd")]
    interest = {f"a{i}": {"a"} for i in range(5)} | {f"b{i}": {"b"} for i in range(4)}
    interest |= {f"cd{i}": {"c", "d"} for i in range(3)}
    greedy = greedy_baseline(rooms, ["10", "11"], sessions, interest)
    assert (greedy.clashes, greedy.people_with_clash) == (3, 3)
    assert slot_of(greedy, "a") == slot_of(greedy, "b") == "10"
    result = schedule(rooms, ["10", "11"], sessions, interest, seed=4)
    assert (result.clashes, result.hard_violations) == (0, 0)
    assert brute_force(rooms, ["10", "11"], sessions, interest)[0] == 0


def test_the_baseline_puts_each_session_in_its_largest_free_room_and_never_double_books_a_host():
    rooms = [Room("small", 5), Room("big", 50)]
    sessions = [S("a", "hana"), S("b", "hana"), S("c", "cai")]
    interest = {f"p{i}": {"a"} for i in range(9)} | {f"q{i}": {"b"} for i in range(5)} | {"r": {"c"}}
    greedy = greedy_baseline(rooms, ["10", "11"], sessions, interest)
    # a (10 people with Hana) first, in the big room at 10:00; b (6) cannot be at 10:00 (Hana), so 11:00 in the
    # big room; c (2) adds no clash anywhere and takes the earliest slot's free room, the small one.
    assert greedy.placements == {"a": ("big", "10"), "b": ("big", "11"), "c": ("small", "10")}
    assert greedy.hard_violations == 0 and greedy.method == "greedy"


def test_the_scheduler_is_never_worse_than_the_baseline_on_random_instances():
    rng = random.Random(7)
    for k in range(60):
        instance = random_instance(rng, people=30, n=rng.randint(6, 14), slots=rng.randint(2, 4), rooms=3, hosts=6)
        greedy = greedy_baseline(*instance)
        result = schedule(*instance, seed=k, time_limit=2)
        assert result.hard_violations == 0 == greedy.hard_violations
        assert len(result.placements) >= len(greedy.placements)
        if len(result.placements) == len(greedy.placements):
            assert (result.clashes, result.overflow) <= (greedy.clashes, greedy.overflow), instance


def test_a_proposer_is_never_in_two_places_even_when_it_would_cut_clashes():
    # Hana hosts a and b. Everyone who wants a or b also wants c or d, so the clash-free schedule is a and b
    # together at 10:00, c and d at 11:00. Hana cannot be in two places: a and b must be apart, and then
    # each of the two possible splits costs 10 people a clash.
    rooms = [Room("r1", 50), Room("r2", 50)]
    sessions = [S("a", "hana"), S("b", "hana"), S("c", "cai"), S("d", "dai")]
    interest = {}
    for pair in ("ac", "bd", "ad", "bc"):
        interest |= {f"{pair}{i}": set(pair) for i in range(5)}
    result = schedule(rooms, ["10", "11"], sessions, interest, seed=2)
    assert slot_of(result, "a") != slot_of(result, "b")
    assert result.hard_violations == 0
    assert result.clashes == brute_force(rooms, ["10", "11"], sessions, interest)[0] == 10
    free = schedule(rooms, ["10", "11"], [S("a"), S("b"), S("c", "cai"), S("d", "dai")], interest, seed=2)
    assert free.clashes == 0  # the trap: without the host constraint, no clash at all


def test_co_hosts_count_as_hosts_of_both_sessions():
    rooms = [Room("r1", 50), Room("r2", 50), Room("r3", 50)]
    sessions = [S("a", "hana", "ifan"), S("b", "ifan"), S("c", "hana")]
    result = schedule(rooms, ["10", "11", "12"], sessions, {}, seed=0)
    assert len({slot_of(result, s) for s in "abc"}) == 3


def test_the_biggest_rooms_go_to_the_most_popular_sessions_in_a_slot():
    rooms = [Room("small", 10), Room("hall", 50), Room("middle", 30)]
    sessions = [S("a"), S("b"), S("c")]
    interest = {f"p{i}": {"a"} for i in range(45)} | {f"q{i}": {"b"} for i in range(8)}
    interest |= {f"r{i}": {"c"} for i in range(28)}
    result = schedule(rooms, ["10"], sessions, interest)
    assert (room_of(result, "a"), room_of(result, "b"), room_of(result, "c")) == ("hall", "small", "middle")
    assert result.overflow == 0
    over = schedule(
        [Room("r50", 50), Room("r30", 30)],
        ["10"],
        sessions[:2],
        {f"p{i}": {"a"} for i in range(60)} | {f"q{i}": {"b"} for i in range(20)},
    )
    assert (over.overflow, room_of(over, "a")) == (10, "r50")


def test_sorted_matching_is_the_optimal_room_assignment_for_overflow():
    rng = random.Random(7)
    for _ in range(300):
        k = rng.randint(1, 5)
        rooms = [Room(i, rng.randint(0, 40)) for i in range(rng.randint(k, 6))]
        demands = {f"s{i}": rng.randint(0, 50) for i in range(k)}
        matched = match_rooms(rooms, demands)
        cap = {r.id: r.capacity for r in rooms}
        ours = sum(max(0, demands[s] - cap[r]) for s, r in matched.items())
        best = min(
            sum(max(0, demands[s] - cap[r]) for s, r in zip(demands, perm, strict=False))
            for perm in itertools.permutations(cap, k)
        )
        assert ours == best
        assert len(set(matched.values())) == k


def test_more_sessions_than_room_slots_leaves_the_least_popular_out_with_a_reason():
    rooms = [Room("r1", 10), Room("r2", 10)]
    sessions = [S(f"s{i}", f"h{i}") for i in range(6)]
    interest = {f"p{i}": {f"s{j}" for j in range(6) if j <= i} for i in range(6)}  # s0 most popular, s5 least
    result = schedule(rooms, ["10", "11"], sessions, interest)
    assert set(result.placements) == {"s0", "s1", "s2", "s3"}
    assert result.unscheduled == {"s4": NO_ROOM, "s5": NO_ROOM}
    greedy = greedy_baseline(rooms, ["10", "11"], sessions, interest)
    assert greedy.unscheduled == {"s4": NO_ROOM, "s5": NO_ROOM}


def test_a_host_with_more_sessions_than_slots_has_one_left_out():
    rooms = [Room("r1", 10), Room("r2", 10)]
    sessions = [S("a", "hana"), S("b", "hana"), S("c", "hana")]
    result = schedule(rooms, ["10", "11"], sessions, {"p": {"a", "b"}})
    assert result.unscheduled == {"c": HOSTS_BUSY}
    assert result.hard_violations == 0


def test_not_in_slot_x_is_respected_and_a_session_nobody_can_host_is_left_out():
    rooms = [Room("r1", 10), Room("r2", 10)]
    sessions = [
        S("a", avoid_slots=frozenset({"10"})),
        S("b", avoid_slots=frozenset({"10"})),
        S("c", avoid_slots=frozenset({"10", "11"})),
        S("d"),
    ]
    result = schedule(rooms, ["10", "11"], sessions, {"p": {"a", "b", "d"}})
    assert slot_of(result, "a") == slot_of(result, "b") == "11"
    assert result.unscheduled == {"c": NO_SLOT}
    assert greedy_baseline(rooms, ["10", "11"], sessions, {}).unscheduled == {"c": NO_SLOT}


def test_pinned_sessions_stay_where_they_were_put_by_hand():
    rooms = [Room("hall", 50), Room("room", 10)]
    sessions = [S("a", room="room", slot="10"), S("b"), S("c"), S("d")]
    # Everyone wants a and b: the scheduler would put them apart anyway; a is pinned to the small room.
    interest = {f"p{i}": {"a", "b"} for i in range(20)}
    result = schedule(rooms, ["10", "11"], sessions, interest)
    assert result.placements["a"] == ("room", "10")
    assert slot_of(result, "b") == "11" and result.clashes == 0
    assert result.overflow == 10  # 20 people in a room for 10: the pin is kept all the same
    # A slot-only pin keeps the slot; the room is matched. A room-only pin keeps the room.
    result = schedule(rooms, ["10", "11"], [S("a", slot="11"), S("b", room="room"), S("c")], interest)
    assert slot_of(result, "a") == "11" and room_of(result, "b") == "room"
    assert result.hard_violations == 0


def test_pins_that_conflict_are_reported_not_broken():
    rooms = [Room("hall", 50), Room("room", 10)]
    sessions = [
        S("a", "hana", room="hall", slot="10"),
        S("b", room="hall", slot="10"),  # the same room and slot as a
        S("c", "hana", slot="10"),  # Hana hosts a at 10
        S("d", slot="12"),  # no such slot
        S("e", room="attic"),  # no such room
        S("f", slot="11", avoid_slots=frozenset({"11"})),  # pinned to a slot its hosts cannot make
        S("g"),
    ]
    for result in (schedule(rooms, ["10", "11"], sessions, {}), greedy_baseline(rooms, ["10", "11"], sessions, {})):
        assert result.placements["a"] == ("hall", "10")
        assert result.unscheduled == dict.fromkeys("bcdef", PIN_CONFLICT)
        assert "g" in result.placements and result.hard_violations == 0


def test_a_tight_corner_is_repaired_by_re_placing_earlier_sessions():
    # Two slots, three rooms, six sessions: every room-slot is needed. y is the most popular and goes first;
    # x, z and w all share an audience with y, so they fill the other slot. p (Hana's, 10:00 only) still fits
    # beside y, but then q (Hana's too) has nowhere to go: the repair moves one of x, z, w across.
    rooms = [Room("r1", 30), Room("r2", 30), Room("r3", 30)]
    sessions = [S("x"), S("y"), S("z"), S("w"), S("p", "hana", avoid_slots=frozenset({"11"})), S("q", "hana")]
    interest = {f"a{i}": {"x", "y"} for i in range(9)} | {f"b{i}": {"z", "y"} for i in range(8)}
    interest |= {f"c{i}": {"w", "y"} for i in range(7)}
    result = schedule(rooms, ["10", "11"], sessions, interest)
    assert not result.unscheduled and result.hard_violations == 0
    assert slot_of(result, "p") == "10" and slot_of(result, "q") == "11"
    assert (result.clashes, result.overflow) == brute_force(rooms, ["10", "11"], sessions, interest)


def test_the_same_seed_gives_the_same_schedule():
    rooms, slots, sessions, interest = random_instance(random.Random(11), people=60, n=14, slots=3, rooms=4)
    first = schedule(rooms, slots, sessions, interest, seed=5, time_limit=30)
    again = schedule(rooms, slots, sessions, interest, seed=5, time_limit=30)
    assert first.placements == again.placements and first.clashes == again.clashes


def test_empty_and_degenerate_inputs():
    assert schedule([], ["10"], [S("a")], {}).unscheduled == {"a": NO_ROOM}
    assert schedule([Room("r", 5)], [], [S("a")], {}).unscheduled == {"a": NO_SLOT}
    empty = schedule([Room("r", 5)], ["10"], [], {"p": {"nothing"}})
    assert (empty.placements, empty.clashes, empty.overflow) == ({}, 0, 0)
    with pytest.raises(ValueError):
        schedule([Room("r", 5), Room("r", 6)], ["10"], [], {})


# --- Brute force over every assignment --------------------------------------------------------------


def brute_force(rooms, slots, sessions, interest):
    """(fewest clashes, least overflow at that clash count) over every assignment of every session to a slot
    that keeps the hard constraints (rooms by sorted matching, which test_sorted_matching... proves optimal).
    None if no assignment schedules every session."""
    best = None
    capacity = len(rooms)
    for choice in itertools.product(slots, repeat=len(sessions)):
        ok = True
        for t in slots:
            here = [s for s, c in zip(sessions, choice, strict=True) if c == t]
            if len(here) > capacity:
                ok = False
                break
            hosts = [h for s in here for h in s.hosts]
            if len(hosts) != len(set(hosts)) or any(t in s.avoid_slots for s in here):
                ok = False
                break
            if any(s.slot is not None and s.slot != t for s in here):
                ok = False
                break
        if not ok:
            continue
        placements = {}
        for t in slots:
            here = [s for s, c in zip(sessions, choice, strict=True) if c == t]
            demands = {s.id: len({p for p, marks in interest.items() if s.id in marks} | set(s.hosts)) for s in here}
            placements |= {sid: (room, t) for sid, room in match_rooms(rooms, demands).items()}
        f = evaluate(rooms, slots, sessions, interest, placements)
        key = (f.clashes, f.overflow)
        if best is None or key < best:
            best = key
    return best


def random_instance(rng, *, people=8, n=6, slots=3, rooms=2, hosts=4):
    slot_ids = [f"t{i}" for i in range(slots)]
    host_pool = [f"h{i}" for i in range(hosts)]
    sessions = []
    for i in range(n):
        hosts = {rng.choice(host_pool)} if rng.random() < 0.7 else set()
        if hosts and rng.random() < 0.2:
            hosts.add(rng.choice(host_pool))
        avoid = frozenset(t for t in slot_ids if rng.random() < 0.1)
        sessions.append(Session(id=f"s{i}", hosts=frozenset(hosts), avoid_slots=avoid))
    room_list = [Room(f"r{i}", rng.randint(1, 6)) for i in range(rooms)]
    interest = {}
    for p in range(people):
        k = rng.randint(1, min(4, n))
        interest[f"p{p}"] = set(rng.sample([s.id for s in sessions], k))
    for h in host_pool:  # hosts are people too: some mark other sessions
        if rng.random() < 0.5:
            interest[h] = set(rng.sample([s.id for s in sessions], 2))
    return room_list, slot_ids, sessions, interest


def test_the_scheduler_finds_the_optimum_of_every_small_random_instance():
    rng = random.Random(2026)
    checked = 0
    for _ in range(400):
        n = rng.randint(2, 6)
        slots = rng.randint(2, 3)
        rooms = rng.randint(max(1, -(-n // slots)), 3)
        instance = random_instance(rng, people=rng.randint(3, 10), n=n, slots=slots, rooms=rooms)
        optimum = brute_force(*instance)
        result = schedule(*instance, seed=checked, time_limit=10)
        assert result.hard_violations == 0
        if optimum is None:
            assert result.unscheduled, instance  # nothing can schedule them all: neither do we
            continue
        checked += 1
        assert not result.unscheduled, instance
        assert (result.clashes, result.overflow) == optimum, instance
        greedy = greedy_baseline(*instance)
        assert greedy.hard_violations == 0
        if not greedy.unscheduled:
            assert (greedy.clashes, greedy.overflow) >= optimum
    assert checked > 250  # most instances can be scheduled in full


def test_pins_in_random_instances_are_kept_and_the_rest_is_optimal():
    rng = random.Random(99)
    checked = 0
    for _ in range(200):
        rooms, slots, sessions, interest = random_instance(rng, n=5, slots=3, rooms=2)
        first = sessions[0]
        allowed = [t for t in slots if t not in first.avoid_slots]
        if not allowed:
            continue
        sessions[0] = Session(first.id, first.hosts, slot=rng.choice(allowed), avoid_slots=first.avoid_slots)
        optimum = brute_force(rooms, slots, sessions, interest)
        result = schedule(rooms, slots, sessions, interest, seed=checked, time_limit=10)
        assert result.hard_violations == 0
        if optimum is None:
            continue
        checked += 1
        assert slot_of(result, first.id) == sessions[0].slot
        assert (result.clashes, result.overflow) == optimum
    assert checked > 100


def test_on_a_realistic_instance_the_scheduler_beats_the_baseline_and_keeps_every_rule():
    rooms, slots, sessions, interest = random_instance(random.Random(4), people=120, n=20, slots=4, rooms=5, hosts=15)
    result = schedule(rooms, slots, sessions, interest, seed=0)
    greedy = greedy_baseline(rooms, slots, sessions, interest)
    first_fit = first_fit_baseline(rooms, slots, sessions, interest)
    # Hosts with several sessions: both greedy methods leave one out (no repair); the scheduler fits them all.
    assert result.hard_violations == 0 and len(result.placements) == 20 > len(greedy.placements)
    assert len(greedy.placements) > len(first_fit.placements)
    assert result.clashes < greedy.clashes < first_fit.clashes
    assert result.seconds < 1.0
