"""Suggesting cross-functional teams (copro.analysis.teams): hand-made cases whose best split is known."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from copro.analysis.teams import Person, mix_report, suggest_teams, team_sizes


def people(**counts: int) -> list[Person]:
    """people(participant=4, expert=2) -> ids 1..6, participants first."""
    made: list[Person] = []
    for role, n in counts.items():
        made += [Person(len(made) + 1 + i, role) for i in range(n)]
    return made


def roles_per_team(group: list[Person], teams: list[list[int]]) -> list[dict[str, int]]:
    role_of = {p.id: p.role for p in group}
    return [dict(Counter(role_of[i] for i in team)) for team in teams]


def test_sizes_are_near_equal():
    assert team_sizes(10, 3) == [4, 3, 3]
    assert team_sizes(12, 4) == [3, 3, 3, 3]
    assert team_sizes(2, 3) == [1, 1, 0]
    with pytest.raises(ValueError):
        team_sizes(5, 0)


def test_six_people_two_of_each_role_make_two_teams_with_one_of_each():
    group = people(participant=2, staff=2, expert=2)
    teams = suggest_teams(group, 2)
    assert roles_per_team(group, teams) == [{"participant": 1, "staff": 1, "expert": 1}] * 2


def test_twelve_participants_three_staff_three_experts_in_three_teams():
    group = people(participant=12, staff=3, expert=3)
    teams = suggest_teams(group, 3)
    assert [len(t) for t in teams] == [6, 6, 6]
    assert roles_per_team(group, teams) == [{"participant": 4, "staff": 1, "expert": 1}] * 3
    assert mix_report(group, teams)["missing"] == []


def test_a_rare_role_reaches_as_many_teams_as_it_can_and_sizes_stay_near_equal():
    # Two experts for three teams: two teams get one each, nobody gets both.
    group = people(participant=8, staff=3, expert=2)
    teams = suggest_teams(group, 3)
    assert sorted(len(t) for t in teams) == [4, 4, 5]
    experts = [r.get("expert", 0) for r in roles_per_team(group, teams)]
    assert sorted(experts) == [0, 1, 1]
    assert all(r["staff"] == 1 for r in roles_per_team(group, teams))


def test_roles_are_spread_evenly_when_they_do_not_divide():
    group = people(participant=10, staff=4, expert=5)
    teams = suggest_teams(group, 3)
    mix = roles_per_team(group, teams)
    for role in ("participant", "staff", "expert"):
        counts = [m.get(role, 0) for m in mix]
        assert max(counts) - min(counts) <= 1, (role, counts)
    assert max(len(t) for t in teams) - min(len(t) for t in teams) <= 1


def test_everyone_is_placed_exactly_once():
    group = people(participant=23, staff=5, expert=4, observer=1)
    teams = suggest_teams(group, 5)
    placed = [i for t in teams for i in t]
    assert sorted(placed) == [p.id for p in group]


def test_the_same_people_in_any_order_give_the_same_teams():
    group = people(participant=15, staff=4, expert=3)
    first = suggest_teams(group, 4)
    shuffled = group[:]
    random.Random(7).shuffle(shuffled)
    assert suggest_teams(shuffled, 4) == first
    assert suggest_teams(group, 4) == first


def test_people_already_in_a_team_stay_and_the_rest_fill_around_them():
    group = people(participant=6, staff=2, expert=2)
    # Both staff were put in team 0 by hand; the suggestion keeps them there and balances the rest.
    staff_ids = [p.id for p in group if p.role == "staff"]
    teams = suggest_teams(group, 2, fixed={staff_ids[0]: 0, staff_ids[1]: 0})
    assert set(staff_ids) <= set(teams[0])
    assert [len(t) for t in teams] == [5, 5]
    assert roles_per_team(group, teams)[1] == {"participant": 4, "expert": 1}


def test_fewer_people_than_teams_leaves_some_teams_empty():
    group = people(participant=1, expert=1)
    teams = suggest_teams(group, 3)
    assert sorted(len(t) for t in teams) == [0, 1, 1]


def test_no_people_gives_empty_teams():
    assert suggest_teams([], 2) == [[], []]


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="at least one team"):
        suggest_teams(people(participant=2), 0)
    with pytest.raises(ValueError, match="only once"):
        suggest_teams([Person(1, "participant"), Person(1, "expert")], 2)
    with pytest.raises(ValueError, match="out of range"):
        suggest_teams(people(participant=2), 2, fixed={1: 5})
    with pytest.raises(ValueError, match="not among the people"):
        suggest_teams(people(participant=2), 2, fixed={99: 0})


def test_a_workshop_of_two_hundred_in_twenty_teams_is_mixed_and_fast():
    # The Mobiliti workshop: 200 people in cross-functional teams. 140 participants, 40 staff, 20 experts.
    group = people(participant=140, staff=40, expert=20)
    teams = suggest_teams(group, 20)
    assert [len(t) for t in teams] == [10] * 20
    assert roles_per_team(group, teams) == [{"participant": 7, "staff": 2, "expert": 1}] * 20
