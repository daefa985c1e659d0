"""Suggesting cross-functional teams for a workshop: N people with roles into k teams of near-equal size,
with the roles mixed as evenly as possible.

What "mixed" means, in order of importance:
1. team sizes differ by at most one (where people already placed by hand allow it);
2. every team gets at least one person of each role, where there are enough people of that role;
3. each role is spread evenly: the number of people of a role in any two teams differs by at most one.

The method is a greedy deal, rarest role first: people of the rarest role are dealt one per team before
anyone else is placed, so a role with fewer people than teams still reaches as many teams as it can;
each person goes to the team with the fewest of their role, then the fewest people, then the lowest
number, among teams that still have room. For the cases workshops meet (a few roles, 2-30 teams) this
meets all three aims whenever they can be met together; tests/test_teams_suggest.py has hand-made cases.

Deterministic: the same people (in any order) and the same k always give the same teams. Plain data in,
plain data out; no Django imports (copro/analysis/README.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    id: int
    role: str


def team_sizes(n: int, k: int) -> list[int]:
    """k near-equal sizes adding up to n, larger first: team_sizes(10, 3) == [4, 3, 3]."""
    if k <= 0:
        raise ValueError("There must be at least one team.")
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def suggest_teams(people: Sequence[Person], k: int, *, fixed: Mapping[int, int] | None = None) -> list[list[int]]:
    """Split `people` into `k` teams; returns k lists of person ids, each sorted by id.

    `fixed` maps a person's id to the team (0 .. k-1) they are already in (placed by hand, or by an
    earlier suggestion); they stay there and everyone else is placed around them. Fewer people than teams
    gives k teams some of which are empty. Raises ValueError for k < 1, a duplicate id, or a fixed team
    number out of range.
    """
    if k < 1:
        raise ValueError("There must be at least one team.")
    fixed = dict(fixed or {})
    ids = [p.id for p in people]
    if len(set(ids)) != len(ids):
        raise ValueError("Each person may appear only once.")
    role_of = {p.id: p.role for p in people}
    for person_id, team in fixed.items():
        if person_id not in role_of:
            raise ValueError(f"Person {person_id} is fixed to a team but is not among the people.")
        if not 0 <= team < k:
            raise ValueError(f"Team number {team} is out of range for {k} teams.")

    teams: list[list[int]] = [[] for _ in range(k)]
    mix: list[Counter[str]] = [Counter() for _ in range(k)]
    for person_id in sorted(fixed):
        team = fixed[person_id]
        teams[team].append(person_id)
        mix[team][role_of[person_id]] += 1

    # Room: near-equal sizes for everyone, the larger sizes going to the teams already largest, so that
    # people placed by hand use up their own team's room first.
    order = sorted(range(k), key=lambda t: (-len(teams[t]), t))
    room = [0] * k
    for team, size in zip(order, team_sizes(len(people), k), strict=True):
        room[team] = size

    free = [p for p in people if p.id not in fixed]
    counts = Counter(p.role for p in people)
    # Rarest role first (ties by name), and people within a role by id: independent of the input order.
    free.sort(key=lambda p: (counts[p.role], p.role, p.id))
    for person in free:
        open_teams = [t for t in range(k) if len(teams[t]) < room[t]] or list(range(k))
        best = min(open_teams, key=lambda t: (mix[t][person.role], len(teams[t]), t))
        teams[best].append(person.id)
        mix[best][person.role] += 1
    return [sorted(team) for team in teams]


def mix_report(people: Sequence[Person], teams: Sequence[Sequence[int]]) -> dict[str, object]:
    """How well mixed the teams are: sizes, roles per team, and the roles some team lacks although there
    were enough people of that role for every team to have one."""
    role_of = {p.id: p.role for p in people}
    counts = Counter(p.role for p in people)
    per_team = [Counter(role_of[i] for i in team) for team in teams]
    missing = sorted(role for role, n in counts.items() if n >= len(teams) and any(c[role] == 0 for c in per_team))
    return {
        "sizes": [len(team) for team in teams],
        "roles": [dict(sorted(c.items())) for c in per_team],
        "missing": missing,
    }
