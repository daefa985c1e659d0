"""Participatory budgeting counting rules, exact.

Rules (``RULES``):

- ``greedy``: projects in descending order of votes (approvals; total points for cumulative ballots), each
  funded if it still fits in what is left of the budget, skipped otherwise.
- ``greedy-threshold``: the same over the projects with at least META ``min_project_score_threshold`` votes.
- ``greedy-no-skip``: the same, but counting stops at the first project that does not fit.
- ``mes``: the Method of Equal Shares with cost utilities and a fixed budget. Each voter holds budget/n. A
  project is bought by its supporters, who split its cost as equally as their remaining money allows: each
  pays the same amount rho, or everything they have left if that is less. Each round buys the project with
  the smallest rho per unit of cost (equivalently the largest "effective vote count" cost/rho); with cost
  utilities a voter's utility for a project is its cost, so this is the rule of pabutools'
  ``method_of_equal_shares(..., sat_class=Cost_Sat)`` and of equalshares.net.
- ``mes-add1``: the completion used by the official Equal Shares computations: every voter's budget is raised
  by one currency unit at a time and MES re-run, while the outcome still fits the real budget; the last
  outcome that fits is the result. (Computed without a run per raise where raises provably fund the same
  projects: see ``_add1``; the result is exactly the loop's.)
- ``mes-add1-comparison``: ``mes-add1``, then if more voters prefer the ``greedy`` outcome (more of their
  supported projects funded) than prefer the Equal Shares one, the greedy outcome is used.

Exactness: money is whole currency units (``int``) and every comparison that decides an outcome is made in
integers or ``fractions.Fraction``. Equal Shares keeps each group of voters' remaining money as an integer
numerator over one common denominator. Floating point is used only to decide *where to look* (which project
is probably best this round) and to skip work when a float comparison is certain: each such comparison has
a proven error bound (sums of non-negative floats, see ``_certainly_below``), and anything within that bound
is recomputed exactly. So floats can change how long counting takes, never its result.

Ties: greedy orders projects by (more votes, lower cost, tie order); Equal Shares breaks an exact tie in rho
per unit of cost by (more supporters, lower cost, tie order). The tie order is the project ids in plain string
order unless the caller passes ``tie_order`` (for example a publicly drawn lot). Every tie that decided
something is recorded in ``Outcome.ties``.

Nothing here imports Django.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from copro.analysis.pabulib import PbInstance

__all__ = [
    "PABULIB_RULES",
    "REASONS",
    "RULES",
    "Comparison",
    "CountingError",
    "Election",
    "MesPayment",
    "Outcome",
    "ProjectResult",
    "Tie",
    "count",
    "election_from_pb",
    "make_election",
    "rule_from_pabulib",
    "voter_payments",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

RULES = ("greedy", "greedy-threshold", "greedy-no-skip", "mes", "mes-add1", "mes-add1-comparison")
# META `rule` values in Pabulib files (pabulib.org/format lists greedy, equalshares, equalshares/add1, unknown;
# Łódź 2022 uses greedy-threshold) and the Copro rule each one means.
PABULIB_RULES = {
    "greedy": "greedy",
    "greedy-threshold": "greedy-threshold",
    "greedy-no-skip": "greedy-no-skip",
    "equalshares": "mes",
    "equalshares/add1": "mes-add1",
    "equalshares/add1/comparison": "mes-add1-comparison",
}
_U = 2.0**-53  # unit roundoff of float64
_DENSE_NEIGHBOURS = 4 * 10**9  # `_neighbours` multiplies 0/1 matrices up to this many voters x projects²


class CountingError(ValueError):
    """The inputs cannot be counted with the requested rule (unknown rule, missing threshold, ...)."""


# --- inputs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Election:
    """Plain inputs of a count. Ballot ``i`` supports ``project_ids[indices[indptr[i]:indptr[i+1]]]``.

    ``points`` (aligned with ``indices``) is None for approval ballots; for cumulative ballots it holds each
    ballot's points, and a project counts as supported by a ballot that gives it more than 0 points.
    """

    budget: int
    project_ids: tuple[str, ...]
    costs: tuple[int, ...]
    indptr: IntArray
    indices: npt.NDArray[np.int32]
    points: IntArray | None = None
    threshold: int | None = None
    pabulib_rule: str | None = None  # META `rule` of the file this came from, for rule="auto"

    @property
    def num_voters(self) -> int:
        return len(self.indptr) - 1

    @property
    def num_projects(self) -> int:
        return len(self.project_ids)

    @property
    def _cache(self) -> dict[str, Any]:
        # Derived arrays, computed once per election (an add1 completion re-runs MES dozens of times).
        cache: dict[str, Any] = self.__dict__.setdefault("_derived", {})
        return cache

    @property
    def votes(self) -> tuple[int, ...]:
        """Approvals per project, or total points for point ballots."""
        if "votes" not in self._cache:
            m = self.num_projects
            if self.points is None:
                votes = np.bincount(self.indices, minlength=m)
            else:
                # bincount sums in float64; exact because every partial sum is an integer of magnitude at most
                # sum(|points|), checked below 2**53.
                if int(np.abs(self.points).sum()) >= 2**53:
                    raise CountingError("too many points to count")
                votes = np.rint(np.bincount(self.indices, weights=self.points, minlength=m))
            self._cache["votes"] = tuple(int(v) for v in votes)
        result: tuple[int, ...] = self._cache["votes"]
        return result

    @property
    def supporters(self) -> tuple[int, ...]:
        """Ballots supporting each project (approving it, or giving it more than 0 points)."""
        if "supporters" not in self._cache:
            sup = np.bincount(self._support()[1], minlength=self.num_projects)
            self._cache["supporters"] = tuple(int(v) for v in sup)
        result: tuple[int, ...] = self._cache["supporters"]
        return result

    def _support(self) -> tuple[IntArray, npt.NDArray[np.int32]]:
        """(voter, project) pairs of support, as two aligned arrays."""
        if "support" not in self._cache:
            rows = np.repeat(np.arange(self.num_voters, dtype=np.int64), np.diff(self.indptr))
            cols = self.indices
            if self.points is not None:
                keep = self.points > 0
                rows, cols = rows[keep], cols[keep]
            self._cache["support"] = (rows, cols)
        result: tuple[IntArray, npt.NDArray[np.int32]] = self._cache["support"]
        return result

    def _supporters_of(self) -> tuple[IntArray, npt.NDArray[np.int32]]:
        """CSC of support: the voters supporting project j are ``voters[ptr[j]:ptr[j+1]]``."""
        if "csc" not in self._cache:
            rows, cols = self._support()
            order = np.argsort(cols, kind="stable")
            ptr = np.zeros(self.num_projects + 1, dtype=np.int64)
            np.cumsum(np.bincount(cols, minlength=self.num_projects), out=ptr[1:])
            self._cache["csc"] = (ptr, rows[order].astype(np.int32))
        result: tuple[IntArray, npt.NDArray[np.int32]] = self._cache["csc"]
        return result

    def _supported_counts(self, funded: Collection[int]) -> IntArray:
        """For each voter, how many of the given projects they support."""
        rows, cols = self._support()
        mask = np.zeros(self.num_projects, dtype=np.int64)
        mask[list(funded)] = 1
        hit = mask[cols]
        result: IntArray = np.bincount(rows, weights=hit, minlength=self.num_voters).astype(np.int64)
        return result  # float bincount of 0/1 weights: integers far below 2**53, exact


def election_from_pb(instance: PbInstance) -> Election:
    """The counting inputs of a parsed ``.pb`` file (approval, choose-1, cumulative or scoring ballots)."""
    vote_type = instance.vote_type
    if vote_type == "ordinal":
        raise CountingError("ordinal ballots cannot be counted with these rules")
    votes = instance.votes
    return Election(
        budget=instance.budget,
        project_ids=tuple(p.id for p in instance.projects),
        costs=tuple(p.cost for p in instance.projects),
        indptr=votes.indptr,
        indices=votes.indices,
        points=votes.points,
        threshold=instance.threshold,
        pabulib_rule=instance.rule or None,
    )


def make_election(
    budget: int,
    projects: Sequence[tuple[str, int]],
    ballots: Sequence[Collection[str] | Mapping[str, int]],
    *,
    threshold: int | None = None,
) -> Election:
    """Counting inputs from plain data, e.g. ballots loaded from the database.

    ``projects`` are (id, cost) pairs; each ballot is a collection of supported project ids (approval or
    knapsack ballots) or a mapping of project id to points (cumulative ballots). All ballots are of one kind.
    """
    ids = tuple(str(p[0]) for p in projects)
    if len(set(ids)) != len(ids):
        raise CountingError("project ids must be unique")
    costs = tuple(int(p[1]) for p in projects)
    if any(c < 0 for c in costs):
        raise CountingError("costs cannot be negative")
    index = {p: i for i, p in enumerate(ids)}
    with_points = bool(ballots) and isinstance(ballots[0], Mapping)
    lengths = np.fromiter((len(b) for b in ballots), dtype=np.int64, count=len(ballots))
    indptr = np.zeros(len(ballots) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    try:
        if with_points:
            flat = [index[p] for b in ballots for p in b]
            pts = np.fromiter((int(v) for b in ballots for v in b.values()), dtype=np.int64)  # type: ignore[union-attr]
        else:
            flat = [index[p] for b in ballots for p in b]
            pts = None
    except KeyError as exc:
        raise CountingError(f"a ballot names the unknown project {exc.args[0]!r}") from None
    except AttributeError:
        raise CountingError("ballots must be all collections of ids or all mappings of id to points") from None
    indices = np.array(flat, dtype=np.int32)
    return Election(
        budget=int(budget),
        project_ids=ids,
        costs=costs,
        indptr=indptr,
        indices=indices,
        points=pts,
        threshold=threshold,
    )


# --- outcomes --------------------------------------------------------------------------------------------


def _money(value: Fraction | int) -> str:
    """Exact money as a string: "1234" or "8641/7" (never a float)."""
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _decimal(value: Fraction | int, places: int = 2) -> str:
    """``value`` rounded half up to ``places`` decimals, for display next to the exact figure."""
    value = Fraction(value)
    scale = 10**places
    scaled = math.floor(value * scale + Fraction(1, 2))
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), scale)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


@dataclass(frozen=True)
class MesPayment:
    """How the supporters of a project funded by Equal Shares paid for it (all amounts exact)."""

    rho: Fraction  # the most any supporter paid: everyone who had at least rho left paid exactly rho
    paid_in_full: int  # supporters who paid rho
    paid_less: int  # supporters who had less than rho left and paid all of it (including those with nothing)
    had_nothing: int  # of those, supporters who had nothing left and paid 0
    paid_less_total: Fraction  # what the paid_less supporters paid together
    total: int  # = cost: paid_in_full * rho + paid_less_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "rho": _money(self.rho),
            "rho_decimal": _decimal(self.rho),
            "paid_in_full": self.paid_in_full,
            "paid_less": self.paid_less,
            "had_nothing": self.had_nothing,
            "paid_less_total": _money(self.paid_less_total),
            "total": self.total,
        }


# Reason codes of ProjectResult and the keys of `detail` for each (see docs/counting-rules.md):
# funded                 greedy: remaining_before, remaining_after; MES: see `payment`
# added_by_completion    remaining_before, remaining_after (greedy completion after Equal Shares)
# below_threshold        votes, threshold
# did_not_fit            remaining, cost
# stopped                stopped_at (the project that did not fit), remaining
# no_votes               (greedy: nobody voted for it)
# no_supporters          (Equal Shares: nobody supports it)
# supporters_short       money_left (exact string), cost: what its supporters had left at the end
# greedy_won_comparison  prefers_greedy, prefers_mes (Equal Shares would have funded it)
REASONS = (
    "funded",
    "added_by_completion",
    "below_threshold",
    "did_not_fit",
    "stopped",
    "no_votes",
    "no_supporters",
    "supporters_short",
    "greedy_won_comparison",
)


@dataclass(frozen=True)
class ProjectResult:
    project_id: str
    cost: int
    votes: int  # approvals, or total points for cumulative ballots
    supporters: int  # ballots supporting it
    funded: bool
    round: int | None  # 1-based position in Outcome.selected
    reason: str  # one of REASONS
    detail: Mapping[str, int | str] = field(default_factory=dict)
    payment: MesPayment | None = None  # Equal Shares only, for funded projects

    def to_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "cost": self.cost,
            "votes": self.votes,
            "supporters": self.supporters,
            "funded": self.funded,
            "round": self.round,
            "reason": self.reason,
            "detail": dict(self.detail),
            "payment": self.payment.to_dict() if self.payment else None,
        }


@dataclass(frozen=True)
class Tie:
    """A tie that the tie-breaking rule decided."""

    round: int | None  # Equal Shares: the round; greedy: None (ties in the ranking)
    projects: tuple[str, ...]  # the tied projects, in the order the tie-break put them
    decided_by: str  # "supporters", "votes", "cost" or "tie_order"

    def to_dict(self) -> dict[str, Any]:
        return {"round": self.round, "projects": list(self.projects), "decided_by": self.decided_by}


@dataclass(frozen=True)
class Comparison:
    """The comparison step: voters preferring each outcome (more of their supported projects funded)."""

    prefers_greedy: int
    prefers_mes: int
    winner: str  # "greedy" or "mes"
    mes_selected: tuple[str, ...]
    greedy_selected: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "prefers_greedy": self.prefers_greedy,
            "prefers_mes": self.prefers_mes,
            "winner": self.winner,
            "mes_selected": list(self.mes_selected),
            "greedy_selected": list(self.greedy_selected),
        }


@dataclass(frozen=True)
class Outcome:
    rule: str
    budget: int
    selected: tuple[str, ...]  # project ids in order of selection
    total_cost: int
    num_voters: int
    projects: tuple[ProjectResult, ...]  # every project, in input order
    voter_budget: Fraction | None = None  # Equal Shares: each voter's money (after the add1 raises)
    budget_raises: int | None = None  # add1: how many times each voter's money was raised by 1
    comparison: Comparison | None = None
    ties: tuple[Tie, ...] = ()

    @property
    def votes(self) -> dict[str, int]:
        return {p.project_id: p.votes for p in self.projects}

    @property
    def leftover(self) -> int:
        return self.budget - self.total_cost

    def explain(self, project_id: str) -> ProjectResult:
        for p in self.projects:
            if p.project_id == project_id:
                return p
        raise KeyError(project_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: ids are strings, money is int or an exact string ("8641/7"), never a float."""
        return {
            "rule": self.rule,
            "budget": self.budget,
            "selected": list(self.selected),
            "total_cost": self.total_cost,
            "leftover": self.leftover,
            "num_voters": self.num_voters,
            "voter_budget": _money(self.voter_budget) if self.voter_budget is not None else None,
            "budget_raises": self.budget_raises,
            "votes": self.votes,
            "projects": [p.to_dict() for p in self.projects],
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "ties": [t.to_dict() for t in self.ties],
        }


def _result(
    election: Election,
    j: int,
    reason: str,
    detail: Mapping[str, int | str] | None = None,
    *,
    round_no: int | None = None,
    payment: MesPayment | None = None,
) -> ProjectResult:
    return ProjectResult(
        project_id=election.project_ids[j],
        cost=election.costs[j],
        votes=election.votes[j],
        supporters=election.supporters[j],
        funded=round_no is not None,
        round=round_no,
        reason=reason,
        detail=dict(detail or {}),
        payment=payment,
    )


def voter_payments(outcome: Outcome, supported: Collection[str]) -> dict[str, Fraction]:
    """What one voter paid towards each funded project they support, under an Equal Shares outcome.

    A voter's money depends only on their own payments, so this replays them: start with
    ``outcome.voter_budget`` and, in the order of selection, pay rho for each supported project, or
    everything left if that is less. Cheap: one step per funded project.
    """
    if outcome.voter_budget is None:
        raise CountingError(f"{outcome.rule} outcomes have no payments")
    left = outcome.voter_budget
    paid: dict[str, Fraction] = {}
    by_id = {p.project_id: p for p in outcome.projects}
    for pid in outcome.selected:
        result = by_id[pid]
        if pid in supported and result.payment is not None:
            pay = min(left, result.payment.rho)
            paid[pid] = pay
            left -= pay
    return paid


# --- entry points ----------------------------------------------------------------------------------------


def rule_from_pabulib(name: str | None) -> str:
    """The Copro rule for a Pabulib META ``rule`` value; CountingError if there is none."""
    key = (name or "").strip().lower()
    if key in PABULIB_RULES:
        return PABULIB_RULES[key]
    known = ", ".join(sorted(PABULIB_RULES))
    raise CountingError(f"META rule {name!r} is not one Copro can count (known: {known}); choose a rule explicitly")


def count(source: PbInstance | Election, rule: str = "auto", *, tie_order: Sequence[str] | None = None) -> Outcome:
    """Count an election. ``rule`` is one of ``RULES``, or "auto" for the rule named in the file's META."""
    election = source if isinstance(source, Election) else election_from_pb(source)
    if rule == "auto":
        rule = rule_from_pabulib(election.pabulib_rule)
    if rule not in RULES:
        raise CountingError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
    rank = _tie_ranks(election, tie_order)
    if rule == "greedy":
        return _greedy(election, rank, rule=rule)
    if rule == "greedy-threshold":
        if election.threshold is None:
            raise CountingError("greedy-threshold needs a threshold (META min_project_score_threshold)")
        return _greedy(election, rank, rule=rule, threshold=election.threshold)
    if rule == "greedy-no-skip":
        return _greedy(election, rank, rule=rule, skip=False)
    if rule == "mes":
        return _equal_shares(election, rank, rule=rule)
    if rule == "mes-add1":
        return _equal_shares(election, rank, rule=rule, add1=True)
    return _with_comparison(election, rank, _equal_shares(election, rank, rule=rule, add1=True))


def _tie_ranks(election: Election, tie_order: Sequence[str] | None) -> list[int]:
    ids = election.project_ids
    if tie_order is None:
        order = sorted(range(len(ids)), key=lambda j: ids[j])
    else:
        position = {p: i for i, p in enumerate(tie_order)}
        missing = [p for p in ids if p not in position]
        if missing:
            raise CountingError(f"tie_order does not list {', '.join(missing[:5])}")
        order = sorted(range(len(ids)), key=lambda j: position[ids[j]])
    rank = [0] * len(ids)
    for r, j in enumerate(order):
        rank[j] = r
    return rank


# --- greedy ----------------------------------------------------------------------------------------------


def _greedy_order(election: Election, rank: Sequence[int]) -> list[int]:
    votes, costs = election.votes, election.costs
    return sorted(range(election.num_projects), key=lambda j: (-votes[j], costs[j], rank[j]))


def _greedy_ties(election: Election, order: Sequence[int], funded: Collection[int]) -> tuple[Tie, ...]:
    """Groups of projects with equal votes where the tie-break separated funded from not funded."""
    votes, costs, ids = election.votes, election.costs, election.project_ids
    ties: list[Tie] = []
    i = 0
    while i < len(order):
        k = i
        while k + 1 < len(order) and votes[order[k + 1]] == votes[order[i]]:
            k += 1
        group = order[i : k + 1]
        if len(group) > 1 and 0 < sum(j in funded for j in group) < len(group):
            by = "cost" if len({costs[j] for j in group}) == len(group) else "tie_order"
            ties.append(Tie(None, tuple(ids[j] for j in group), by))
        i = k + 1
    return tuple(ties)


def _greedy(
    election: Election, rank: Sequence[int], *, rule: str, threshold: int | None = None, skip: bool = True
) -> Outcome:
    votes, costs, ids = election.votes, election.costs, election.project_ids
    order = _greedy_order(election, rank)
    remaining = election.budget
    results: dict[int, ProjectResult] = {}
    selected: list[int] = []
    stopped_at: int | None = None
    for j in order:
        if threshold is not None and votes[j] < threshold:
            results[j] = _result(election, j, "below_threshold", {"votes": votes[j], "threshold": threshold})
        elif votes[j] <= 0:
            results[j] = _result(election, j, "no_votes")
        elif stopped_at is not None:
            results[j] = _result(election, j, "stopped", {"stopped_at": ids[stopped_at], "remaining": remaining})
        elif costs[j] <= remaining:
            selected.append(j)
            detail = {"remaining_before": remaining, "remaining_after": remaining - costs[j]}
            remaining -= costs[j]
            results[j] = _result(election, j, "funded", detail, round_no=len(selected))
        else:
            results[j] = _result(election, j, "did_not_fit", {"remaining": remaining, "cost": costs[j]})
            if not skip:
                stopped_at = j
    return Outcome(
        rule=rule,
        budget=election.budget,
        selected=tuple(ids[j] for j in selected),
        total_cost=election.budget - remaining,
        num_voters=election.num_voters,
        projects=tuple(results[j] for j in range(election.num_projects)),
        ties=_greedy_ties(election, [j for j in order if results[j].reason != "below_threshold"], set(selected)),
    )


# --- Method of Equal Shares ------------------------------------------------------------------------------


def _certainly_below(approx: float, target: float, terms: int) -> bool:
    """Is the exact sum behind ``approx`` certainly below ``target``?

    ``approx`` is a float64 sum of ``terms`` non-negative products c·min(b, x), where c is an exact integer
    below 2**53 and b, x are correctly rounded floats. Each product is within a factor (1 ± 2u) of its exact
    value and summing ``terms`` of them adds at most (terms - 1)·u relative error (Higham, Accuracy and
    Stability, §4.2; no cancellation since all terms are >= 0), so the exact sum lies within
    (terms + 2)·u·approx (to first order) of ``approx``. Twice that bound is used as the margin.
    """
    margin = 2.0 * (terms + 4) * _U * max(abs(approx), abs(target))
    return approx < target - margin


class _Groups:
    """Voters grouped by remaining money: group g's members each hold num[g] / D (exact)."""

    def __init__(self, n: int, endowment: Fraction) -> None:
        self.D = endowment.denominator
        self.num: list[int] = [0, endowment.numerator]  # group 0: voters with nothing left
        self.fb = np.zeros(64, dtype=np.float64)  # num / D, correctly rounded (Python int true division)
        self.fb[1] = endowment.numerator / self.D
        self.size: list[int] = [0, n]
        self.of = np.ones(n, dtype=np.int32)

    @property
    def count(self) -> int:
        return len(self.num)

    def add(self, numerator: int, size: int) -> int:
        g = len(self.num)
        self.num.append(numerator)
        self.size.append(size)
        if g >= len(self.fb):
            self.fb = np.concatenate([self.fb, np.zeros(len(self.fb), dtype=np.float64)])
        self.fb[g] = numerator / self.D
        return g

    def rescale(self, factor: int) -> None:
        if factor != 1:
            self.D *= factor
            self.num = [x * factor for x in self.num]


@dataclass
class _Look:
    """One project's supporters, grouped: groups ``gidx`` (sorted by money) holding ``cnt`` supporters each."""

    gidx: IntArray
    cnt: IntArray
    zero: int  # supporters with nothing left (group 0)
    money: float  # float total of their money


def _look(groups: _Groups, voters: npt.NDArray[np.int32]) -> _Look:
    counts = np.bincount(groups.of[voters], minlength=groups.count)
    zero = int(counts[0])
    counts[0] = 0
    gidx = np.flatnonzero(counts)
    fb = groups.fb[gidx]
    order = np.argsort(fb, kind="stable")
    gidx, cnt = gidx[order], counts[gidx[order]]
    return _Look(gidx, cnt, zero, float(np.dot(cnt, groups.fb[gidx])) if len(gidx) else 0.0)


def _exact_money(groups: _Groups, look: _Look) -> Fraction:
    total = sum(int(c) * groups.num[int(g)] for g, c in zip(look.gidx, look.cnt, strict=True))
    return Fraction(total, groups.D)


def _affordable(groups: _Groups, look: _Look, cost: int) -> bool:
    terms = len(look.gidx)
    if _certainly_below(look.money, float(cost), terms):
        return False
    if _certainly_below(float(cost), look.money, terms):
        return True
    return _exact_money(groups, look) >= cost


def _exact_rho(groups: _Groups, look: _Look, cost: int) -> tuple[Fraction, int, int]:
    """Exact rho of an affordable project: (rho, supporters paying rho, index of the first of them in look).

    Walks the supporters' groups from the poorest: a group whose money is below the equal split of what is
    still to pay pays everything; the first group that can pay the split, and all richer ones, pay it.
    Groups are visited in float order; rounding is monotone, so only groups with *equal* floats can be out
    of exact order, and those are checked exactly afterwards.
    """
    num, D = groups.num, groups.D
    gidx, cnt = look.gidx.tolist(), look.cnt.tolist()
    rest = cost * D  # still to pay, in units of 1/D
    k = sum(cnt)
    i = 0
    while i < len(gidx):
        if num[gidx[i]] * k >= rest:
            break
        rest -= cnt[i] * num[gidx[i]]
        k -= cnt[i]
        i += 1
    if k == 0 or i == len(gidx):
        raise AssertionError("_exact_rho called on an unaffordable project")
    fb = groups.fb
    edge = fb[gidx[i]]
    h = i + 1
    while h < len(gidx) and fb[gidx[h]] == edge:
        if num[gidx[h]] * k < rest:  # out of exact order: sort exactly and start again
            order = sorted(range(len(gidx)), key=lambda t: num[gidx[t]])
            return _exact_rho_sorted(groups, _Look(look.gidx[order], look.cnt[order], look.zero, look.money), cost)
        h += 1
    return Fraction(rest, k * D), k, i


def _exact_rho_sorted(groups: _Groups, look: _Look, cost: int) -> tuple[Fraction, int, int]:
    num, D = groups.num, groups.D
    gidx, cnt = look.gidx.tolist(), look.cnt.tolist()
    rest, k, i = cost * D, sum(cnt), 0
    while i < len(gidx) and num[gidx[i]] * k < rest:
        rest -= cnt[i] * num[gidx[i]]
        k -= cnt[i]
        i += 1
    return Fraction(rest, k * D), k, i


def _float_rho(groups: _Groups, look: _Look, cost: int) -> tuple[float, int]:
    """Float rho and the number of supporters paying it (in float; only used to look, never to decide)."""
    b = groups.fb[look.gidx]
    c = look.cnt.astype(np.float64)
    paid_before = np.cumsum(c * b) - c * b
    k = np.cumsum(look.cnt[::-1])[::-1]  # supporters in this group and richer ones
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (cost - paid_before) / k
    ok = np.flatnonzero(rho <= b)
    t = int(ok[0]) if len(ok) else len(b) - 1
    return float(rho[t]), int(k[t])


def _lower_bound(groups: _Groups, look: _Look, cost: int) -> tuple[float, Fraction | None]:
    """A certified lower bound on the project's rho / cost, and its exact value if that had to be computed.

    From the float rho, step down by kappa (relative) and check that the supporters could certainly *not*
    pay the cost if each paid at most that much: then the exact rho is above it (the money the supporters
    can give at cap x, sum of c·min(b, x), increases with x). kappa = 64·(terms + 4)·u·supporters / payers
    exceeds the float rho's own relative error, so the check nearly always succeeds; when it does not, the
    exact rho is computed.
    """
    rho_f, payers = _float_rho(groups, look, cost)
    supporters = int(look.cnt.sum())
    kappa = 64.0 * (len(look.gidx) + 4) * _U * supporters / max(payers, 1) + 1e-15
    low = rho_f * (1.0 - kappa)
    if low > 0:
        give = float(np.dot(look.cnt, np.minimum(groups.fb[look.gidx], low)))
        if _certainly_below(give, float(cost), len(look.gidx)):
            return math.nextafter(low / cost, 0.0), None
    exact = _exact_rho(groups, look, cost)[0] / cost
    return math.nextafter(float(exact), 0.0), exact


@dataclass
class _MesRun:
    endowment: Fraction
    selected: list[int]
    rounds: list[tuple[Fraction, int, int, int]]  # per selected project: rho, paid_in_full, had_nothing, round
    groups: _Groups
    ties: list[Tie]

    def cost(self, costs: Sequence[int]) -> int:
        return sum(costs[j] for j in self.selected)


def _mes_run(election: Election, rank: Sequence[int], endowment: Fraction) -> _MesRun:
    costs, sups = election.costs, election.supporters
    ptr, voters = election._supporters_of()
    groups = _Groups(election.num_voters, endowment)
    selected: list[int] = []
    rounds: list[tuple[Fraction, int, int, int]] = []
    ties: list[Tie] = []

    def supporters_of(j: int) -> npt.NDArray[np.int32]:
        return voters[ptr[j] : ptr[j + 1]]

    # Free projects with at least one supporter are funded before anything else (pabutools' Cost_Sat gives
    # them no utility and never funds them; equalshares.net leaves them to its greedy completion).
    for j in sorted(range(len(costs)), key=lambda j: rank[j]):
        if costs[j] == 0 and sups[j] > 0:
            selected.append(j)
            rounds.append((Fraction(0), sups[j], 0, len(selected)))
    # Lower bounds on rho / cost; they only rise as voters spend, so a heap ordered by them tells which
    # projects can still be the best. At the start everyone holds the endowment: rho = cost / supporters.
    heap: list[tuple[float, int]] = []
    for j in range(len(costs)):
        if costs[j] > 0 and sups[j] > 0 and endowment * sups[j] >= costs[j]:
            heap.append((math.nextafter(1.0 / sups[j], 0.0), j))
    heapq.heapify(heap)
    round_no = len(selected)
    while heap:
        round_no += 1
        # 1. Find the project with the smallest float rho/cost by refreshing heap tops until the top is fresh.
        fresh: dict[int, tuple[_Look, float, Fraction | None]] = {}
        while heap and heap[0][1] not in fresh:
            _, j = heapq.heappop(heap)
            look = _look(groups, supporters_of(j))
            if not _affordable(groups, look, costs[j]):
                continue  # budgets only fall: it stays unaffordable
            bound, exact = _lower_bound(groups, look, costs[j])
            fresh[j] = (look, bound, exact)
            heapq.heappush(heap, (bound, j))
        if not heap:
            break
        # 2. The candidate's exact ratio; then every project whose certified lower bound does not exceed it
        #    is compared exactly, so the winner is exact, ties included.
        best = heap[0][1]
        look, _, _ = fresh[best]
        rho, payers, _ = _exact_rho(groups, look, costs[best])
        best_ratio = rho / costs[best]
        contenders = {best: (rho, payers)}
        checked: set[int] = {best}
        popped: list[tuple[float, int]] = []
        while heap and Fraction(heap[0][0]) <= best_ratio:
            item = heapq.heappop(heap)
            popped.append(item)
            j = item[1]
            if j in checked:
                continue
            checked.add(j)
            if j not in fresh:
                jl = _look(groups, supporters_of(j))
                if not _affordable(groups, jl, costs[j]):
                    popped.pop()
                    continue
                bound, exact = _lower_bound(groups, jl, costs[j])
                fresh[j] = (jl, bound, exact)
                popped[-1] = (bound, j)
                if Fraction(bound) > best_ratio:
                    continue
            jl = fresh[j][0]
            jrho, jpayers, _ = _exact_rho(groups, jl, costs[j])
            ratio = jrho / costs[j]
            if ratio < best_ratio:
                best, best_ratio = j, ratio
                contenders = {j: (jrho, jpayers)}
            elif ratio == best_ratio:
                contenders[j] = (jrho, jpayers)
        for item in popped:
            heapq.heappush(heap, item)
        if len(contenders) > 1:
            tied = sorted(contenders, key=lambda j: (-sups[j], costs[j], rank[j]))
            first, second = tied[0], tied[1]
            by = "tie_order"
            if sups[first] != sups[second]:
                by = "supporters"
            elif costs[first] != costs[second]:
                by = "cost"
            ties.append(Tie(round_no, tuple(election.project_ids[j] for j in tied), by))
            best = first
        rho, payers = contenders[best]
        look = fresh[best][0]
        # Remove the winner from the heap.
        heap = [item for item in heap if item[1] != best]
        heapq.heapify(heap)
        selected.append(best)
        rounds.append((rho, payers, look.zero, round_no))
        _pay(groups, supporters_of(best), rho)
    return _MesRun(endowment, selected, rounds, groups, ties)


def _pay(groups: _Groups, voters: npt.NDArray[np.int32], rho: Fraction) -> None:
    """Each supporter pays rho, or everything they have if that is less."""
    # Bring rho onto the common denominator: rho = p / q, D' = lcm(D, q).
    q = rho.denominator
    factor = q // math.gcd(groups.D, q)
    groups.rescale(factor)
    step = rho.numerator * (groups.D // q)  # rho in units of 1/D
    of = groups.of[voters]
    counts = np.bincount(of, minlength=groups.count)
    touched = np.flatnonzero(counts)
    remap = np.arange(groups.count, dtype=np.int32)
    for g in touched.tolist():
        if g == 0:
            continue
        c = int(counts[g])
        left = groups.num[g] - step
        if left <= 0:
            remap[g] = 0
            groups.size[g] -= c
            groups.size[0] += c
        elif c == groups.size[g]:
            groups.num[g] = left
            groups.fb[g] = left / groups.D
        else:
            groups.size[g] -= c
            remap[g] = groups.add(left, c)
    groups.of[voters] = remap[of]
    for g in touched.tolist():
        if g and groups.size[g] == 0:
            groups.num[g] = 0
            groups.fb[g] = 0.0


def _mes_outcome(election: Election, run: _MesRun, *, rule: str, raises: int | None) -> Outcome:
    costs, ids, sups = election.costs, election.project_ids, election.supporters
    ptr, voters = election._supporters_of()
    results: dict[int, ProjectResult] = {}
    for position, ((rho, payers, zero, _round_no), j) in enumerate(zip(run.rounds, run.selected, strict=True), 1):
        payment = MesPayment(
            rho=rho,
            paid_in_full=payers,
            paid_less=sups[j] - payers,
            had_nothing=zero,
            paid_less_total=costs[j] - payers * rho,
            total=costs[j],
        )
        results[j] = _result(election, j, "funded", round_no=position, payment=payment)
    for j in range(election.num_projects):
        if j in results:
            continue
        if sups[j] == 0:
            results[j] = _result(election, j, "no_supporters")
            continue
        left = _exact_money(run.groups, _look(run.groups, voters[ptr[j] : ptr[j + 1]]))
        short: dict[str, int | str] = {"money_left": _money(left), "money_left_decimal": _decimal(left)}
        short["cost"] = costs[j]
        results[j] = _result(election, j, "supporters_short", short)
    return Outcome(
        rule=rule,
        budget=election.budget,
        selected=tuple(ids[j] for j in run.selected),
        total_cost=run.cost(costs),
        num_voters=election.num_voters,
        projects=tuple(results[j] for j in range(election.num_projects)),
        voter_budget=run.endowment,
        budget_raises=raises,
        ties=tuple(run.ties),
    )


def _equal_shares(election: Election, rank: Sequence[int], *, rule: str, add1: bool = False) -> Outcome:
    n = election.num_voters
    if n == 0:
        raise CountingError("no ballots to count")
    endowment = Fraction(election.budget, n)
    if not add1:
        return _mes_outcome(election, _mes_run(election, rank, endowment), rule=rule, raises=None)
    run, raises = _add1(election, rank, endowment)
    return _mes_outcome(election, run, rule=rule, raises=raises)


# --- the add1 completion ---------------------------------------------------------------------------------
#
# The rule: with t = 0, 1, 2, ... run Equal Shares with every voter holding endowment + t; stop at the first
# outcome whose cost exceeds the budget, or once every supported project is funded; the result is the run at
# the last t before that. `_add1_reference` does exactly this, one run per raise. `_add1` gives the same t
# (hence, re-running at that t, the same outcome) with far fewer runs, by skipping raises whose outcome
# provably funds the same projects as one already known. The argument, for a run's sequence of purchases
# ("trace", free projects aside) replayed at a larger endowment b (each purchase's supporters paying min(money,
# rho) as usual):
#
# 1. Monotonicity. Replaying the same trace, every voter's money before every purchase is non-decreasing in b
#    and every purchase's rho is non-increasing in b (more money only lowers the smallest rho at which the
#    supporters can pay, and max(money - rho, 0) then only rises); a purchase affordable at b0 stays so.
# 2. Certificate for [b0, b1]. For each purchase s (winner w, state sigma_s before it) and each project u that
#    shares a supporter with w and is not bought before s: u does not beat w at sigma_s(b) for any b in
#    [b0, b1]. By (1) it suffices that at sigma_s(b1), with w's ratio taken at b0 (its largest), u is
#    unaffordable or its rho exceeds cost(u) * ratio_w(b0) (may equal it when the tie-break ranks u after w);
#    and that every project never bought is unaffordable after the last purchase at b1.
# 3. Then for every b in [b0, b1] Equal Shares funds exactly the trace's projects: order the purchases by
#    their (ratio, tie-break) at b. Purchases sharing a voter keep their order (by 2), so each voter pays for
#    the same projects in the same order as in the replay, and every purchase sees the replayed money. At
#    each step every other unbought project u loses to the one bought: look at the first purchase s*, in the
#    trace's order, that is u itself or shares a voter with u and is not yet bought; u's supporters have at
#    most their money before s*, and (2) at s* (or u's own later turn, or the final check) bounds u's ratio.
#    So the same set is funded at every b in [b0, b1]: the same total cost, the same "fits", the same "all
#    funded" - the +1 loop would step through these raises and change nothing but the payments.
#
# Certificates are chained ([c, c + h] from a replay at c + h, using the ratios replayed at c), so a run is
# needed only where a certificate cannot be found for even one raise. Replays are exact (the same integer
# arithmetic as a run); the checks in (2) use floats only where a proven error bound decides them
# (`_certainly_below`) and are exact otherwise. How far to step is guessed from floats (first-order
# sensitivities); a wrong guess costs a failed check, never a wrong result.


def _add1_reference(election: Election, rank: Sequence[int], endowment: Fraction) -> tuple[_MesRun, int]:
    """The add1 completion as specified: one Equal Shares run per raise (slow; tests and benchmarks use it)."""
    costs = election.costs
    supported = sum(1 for s in election.supporters if s > 0)
    run = _mes_run(election, rank, endowment)
    raises = 0
    while len(run.selected) < supported:
        attempt = _mes_run(election, rank, endowment + raises + 1)
        if attempt.cost(costs) > election.budget:
            break
        run, raises = attempt, raises + 1
    return run, raises


def _add1(election: Election, rank: Sequence[int], endowment: Fraction) -> tuple[_MesRun, int]:
    """The same (run, raises) as `_add1_reference`, skipping raises that certifiably fund the same projects."""
    costs, budget = election.costs, election.budget
    supported = sum(1 for s in election.supporters if s > 0)
    clock = time.perf_counter
    start = clock()
    run = _mes_run(election, rank, endowment)
    if len(run.selected) >= supported:
        return run, 0
    if not _replay_supported(election):
        return _add1_reference(election, rank, endowment)
    run_time = clock() - start  # time spent in runs, and in checks that failed just after one (below)
    wasted = 0.0
    run_at = 0  # the raise `run` was computed at
    done = 0  # every raise 0..done is known to fund the projects of `trace`: fits, and not all funded
    trace, ratios = _trace(election, run)
    step = 1  # raises the next check tries to cover; 0: the guess says it would fail, so run instead
    while True:
        fresh = done == run_at
        # Where checks keep failing right after a run (outcomes that change at almost every raise), they would
        # only add time: they are tried while such failures have cost at most 5% of the time spent in runs.
        if step > 0 and (not fresh or wasted <= 0.05 * run_time):
            start = clock()
            check = _replay(election, rank, trace, ratios, endowment + done + step)
            if check.ok:
                done += step
                ratios = check.ratios
                step = int(min(check.horizon, 4.0 * step + 4.0)) if check.horizon >= 0 else 0
                continue
            if step > 1:
                step = max(1, step // 4)
                continue
            if fresh:
                wasted += clock() - start
        # One raise past `done`, as the reference loop.
        start = clock()
        attempt = _mes_run(election, rank, endowment + done + 1)
        run_time += clock() - start
        if attempt.cost(costs) > budget:
            break
        done += 1
        run, run_at = attempt, done
        if len(run.selected) >= supported:
            break
        trace, ratios = _trace(election, run)
        step = 1
    if run_at != done:
        run = _mes_run(election, rank, endowment + done)
    return run, done


def _replay_supported(election: Election) -> bool:
    """Costs and supporter counts small enough for the float checks in `_replay` (always, in practice)."""
    return max(election.costs, default=0) < 2**52 and election.num_voters < 2**40


def _trace(election: Election, run: _MesRun) -> tuple[list[int], list[Fraction]]:
    """A run's purchases (free projects aside) and each one's rho / cost."""
    costs = election.costs
    pairs = [(j, rnd[0] / costs[j]) for j, rnd in zip(run.selected, run.rounds, strict=True) if costs[j] > 0]
    return [j for j, _ in pairs], [r for _, r in pairs]


def _neighbours(election: Election) -> npt.NDArray[np.bool_]:
    """m x m: do projects a and b share a supporter? (Computed once per election.)"""
    cache = election._cache
    if "neighbours" not in cache:
        n, m = election.num_voters, election.num_projects
        rows, cols = election._support()  # rows sorted by voter
        nb = np.zeros((m, m), dtype=np.bool_)
        block = 16384
        if n * m * m <= _DENSE_NEIGHBOURS:
            # Blocks of voters as 0/1 matrices: X^T X counts shared supporters (float32 sums of 0/1 products are
            # exact integers up to 2**24 > block).
            for first in range(0, n, block):
                a, b = np.searchsorted(rows, [first, first + block])
                x = np.zeros((min(block, n - first), m), dtype=np.float32)
                x[rows[a:b] - first, cols[a:b]] = 1.0
                nb |= (x.T @ x) > 0
        else:
            # Pair each voter's projects with each other, a block of voters at a time.
            lengths = np.bincount(rows, minlength=n)
            starts = np.concatenate([[0], np.cumsum(lengths)])
            for first in range(0, n, block):
                a, b = int(starts[first]), int(starts[min(first + block, n)])
                lp = lengths[rows[a:b]]
                rep = np.repeat(np.arange(a, b), lp)
                offset = np.arange(len(rep)) - np.repeat(np.cumsum(lp) - lp, lp)
                nb[cols[rep], cols[starts[rows[rep]] + offset]] = True
        cache["neighbours"] = nb
    result: npt.NDArray[np.bool_] = cache["neighbours"]
    return result


@dataclass
class _Replay:
    ok: bool
    ratios: list[Fraction]  # each purchase's rho / cost in the replay (when ok)
    horizon: float  # a guess (floats, first order) of how many more raises the next check could cover


def _replay(
    election: Election, rank: Sequence[int], trace: Sequence[int], ratios: Sequence[Fraction], endowment: Fraction
) -> _Replay:
    """Replay `trace` at `endowment` and check the certificate (comment above `_add1_reference`).

    `ratios` are the purchases' rho / cost at the lower end of the interval being certified. Also returns the
    ratios at `endowment` (for the next interval) and a float guess of how far the next interval can reach.
    """
    costs, sups = election.costs, election.supporters
    m = election.num_projects
    ptr, voters = election._supporters_of()
    nb = _neighbours(election)
    cost_f = np.array(costs, dtype=np.float64)
    groups = _Groups(election.num_voters, endowment)
    slope = np.ones(election.num_voters)  # d money / d endowment, first order (floats: guidance only)
    open_ = np.array([costs[j] > 0 and sups[j] > 0 for j in range(m)], dtype=np.bool_)  # not bought, can be
    key = [(-sups[j], costs[j], rank[j]) for j in range(m)]
    sups_f = np.array(sups, dtype=np.float64)
    new_ratios: list[Fraction] = []
    horizon = math.inf
    for w, ratio in zip(trace, ratios, strict=True):
        open_[w] = False
        look = _look(groups, voters[ptr[w] : ptr[w + 1]])
        rho = _exact_rho(groups, look, costs[w])[0]  # affordable: replays only go up from a run (monotonicity)
        new_ratio = rho / costs[w]
        new_ratios.append(new_ratio)
        # Rivals that share a supporter with w. Those with fewer supporters than 1 / ratio cannot pay their cost
        # even if each paid the cap (cost * ratio) in full: they pass without a look (exact: sups * ratio < 1;
        # the float product is within 2u of it, hence the margin).
        rivals = np.flatnonzero(nb[w] & open_ & (sups_f * float(ratio) >= 1.0 - 8 * _U))
        if len(rivals):
            ok, h = _check_rivals(election, groups, slope, rivals, w, ratio, key, cost_f)
            if not ok:
                return _Replay(False, [], 0.0)
            horizon = min(horizon, h)
        # First-order slopes: supporters paying all they have keep 0; those paying rho share their slope.
        wv = voters[ptr[w] : ptr[w + 1]]
        payer = groups.fb[groups.of[wv]] >= float(rho)
        if payer.any():
            freed = float(slope[wv[~payer]].sum())
            slope[wv[payer]] += freed / int(payer.sum())
        slope[wv[~payer]] = 0.0
        _pay(groups, wv, rho)
    # Final check: every project never bought is unaffordable at the end.
    rest = np.flatnonzero(open_)
    if len(rest):
        idx, seg, lens = _gather(ptr, rest)
        who = voters[idx]
        money = np.bincount(seg, weights=groups.fb[groups.of[who]], minlength=len(rest))
        target = cost_f[rest]
        margin = 2.0 * (lens + 4) * _U * np.maximum(money, target)
        unsure = np.flatnonzero(money >= target - margin)
        for t in unsure.tolist():
            u = int(rest[t])
            if _exact_money(groups, _look(groups, voters[ptr[u] : ptr[u + 1]])) >= costs[u]:
                return _Replay(False, [], 0.0)
        growth = np.bincount(seg, weights=slope[who], minlength=len(rest))
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.where(growth > 0, (target - money) / growth, np.inf)
        horizon = min(horizon, float(reach.min()))
    return _Replay(True, new_ratios, max(horizon, 0.0))


def _gather(ptr: IntArray, projects: IntArray) -> tuple[IntArray, IntArray, npt.NDArray[np.float64]]:
    """Positions in the CSC of the supporters of `projects`, each position's project (0..len-1), and counts."""
    lens = ptr[projects + 1] - ptr[projects]
    seg = np.repeat(np.arange(len(projects)), lens)
    idx = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    idx += np.repeat(ptr[projects], lens)
    return idx, seg, lens.astype(np.float64)


def _check_rivals(
    election: Election,
    groups: _Groups,
    slope: FloatArray,
    rivals: IntArray,
    w: int,
    ratio: Fraction,
    key: Sequence[tuple[int, int, int]],
    cost_f: FloatArray,
) -> tuple[bool, float]:
    """Step 2 of the certificate at one purchase of w: does any rival beat w? And a guess of the next horizon.

    A rival u passes if its supporters, each paying at most cap = cost(u) * ratio, cannot pay cost(u) (then u
    is unaffordable or its rho exceeds the cap), or, when the tie-break ranks u after w, if u's exact rho is at
    least the cap. The sum of min(money, cap) is a float sum of non-negative terms, each within a factor
    (1 +- 2u) of the exact one (money and ratio correctly rounded, cap = cost * ratio rounded once more), so
    `_certainly_below` decides it when it can; otherwise it is computed exactly.
    """
    costs = election.costs
    ptr, voters = election._supporters_of()
    idx, seg, lens = _gather(ptr, rivals)
    who = voters[idx]
    money = groups.fb[groups.of[who]]
    target = cost_f[rivals]
    cap = target * float(ratio)
    given = np.bincount(seg, weights=np.minimum(money, cap[seg]), minlength=len(rivals))
    margin = 2.0 * (lens + 4) * _U * np.maximum(given, target)
    if np.any(given > target + margin):  # some rival certainly beats w (or ties and wins, or ties and loses
        return False, 0.0  # with rho < cap: all its supporters pay all they have) - either way, no certificate
    for t in np.flatnonzero(given >= target - margin).tolist():
        u = int(rivals[t])
        look = _look(groups, voters[ptr[u] : ptr[u + 1]])
        c = costs[u]
        x = c * ratio
        p, q = x.numerator, x.denominator
        D = groups.D
        exact = sum(int(k) * min(groups.num[int(g)] * q, p * D) for g, k in zip(look.gidx, look.cnt, strict=True))
        if exact < c * D * q:
            continue  # cannot pay at the cap: unaffordable, or rho > cap
        if key[u] > key[w] and _exact_rho(groups, look, c)[0] >= x:
            continue  # rho == cap: a tie that the tie-break gives to w
        return False, 0.0
    # Guess how far the next interval can reach: how fast each rival's sum of min(money, cap) grows with the
    # endowment (the next check uses a cap no larger than this one, so this errs on the short side).
    growth = np.bincount(seg, weights=np.where(money < cap[seg], slope[who], 0.0), minlength=len(rivals))
    room = target - given
    # Rivals tied with w (room ~ 0) are left to the check itself: a tie that the tie-break decides can last.
    tied = room <= 1e-9 * target
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where((growth > 0) & ~tied, room / growth, np.inf)
    return True, float(h.min()) if len(h) else math.inf


def _with_comparison(election: Election, rank: Sequence[int], mes: Outcome) -> Outcome:
    """equalshares.net's comparison step: greedy replaces Equal Shares if more voters prefer it."""
    greedy = _greedy(election, rank, rule="greedy")
    index = {p: i for i, p in enumerate(election.project_ids)}
    mes_count = election._supported_counts([index[p] for p in mes.selected])
    greedy_count = election._supported_counts([index[p] for p in greedy.selected])
    prefers_mes = int(np.count_nonzero(mes_count > greedy_count))
    prefers_greedy = int(np.count_nonzero(greedy_count > mes_count))
    winner = "greedy" if prefers_greedy > prefers_mes else "mes"
    comparison = Comparison(prefers_greedy, prefers_mes, winner, mes.selected, greedy.selected)
    if winner == "mes":
        return replace(mes, rule="mes-add1-comparison", comparison=comparison)
    projects = []
    for g, m in zip(greedy.projects, mes.projects, strict=True):
        if m.funded and not g.funded:
            detail = {"prefers_greedy": prefers_greedy, "prefers_mes": prefers_mes}
            g = ProjectResult(g.project_id, g.cost, g.votes, g.supporters, False, None, "greedy_won_comparison", detail)
        projects.append(g)
    return Outcome(
        rule="mes-add1-comparison",
        budget=greedy.budget,
        selected=greedy.selected,
        total_cost=greedy.total_cost,
        num_voters=greedy.num_voters,
        projects=tuple(projects),
        comparison=comparison,
        ties=greedy.ties,
    )
