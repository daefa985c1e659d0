"""Exact counting for polls: single choice, approval, score, dots, instant-runoff and STV.

Pure functions over plain data. Nothing here imports Django; the poll app validates and stores ballots,
calls these functions and publishes what they return.

Arithmetic is exact throughout: weights are positive integers or :class:`fractions.Fraction`, every total
is a ``Fraction`` and no float is ever used for a count. ``to_dict()`` on every result gives a
JSON-serialisable dictionary in which each number is ``{"exact": "3/2", "display": "1.5"}``.

Ranked counting:

* :func:`count_irv` -- instant-runoff for one winner (rules in ``docs/ranked-counting.md``).
* :func:`count_stv` -- single transferable vote for several winners, counted by the Weighted Inclusive
  Gregory Method exactly as in the Scottish Local Government Elections Order 2007 (SSI 2007/42),
  Schedule 1, rules 45 to 52: Droop quota ``floor(valid papers / (seats + 1)) + 1``, transfer values
  truncated to five decimal places, the largest surplus first, one exclusion per stage, ties broken by
  the most recent stage at which the tied candidates differed and then by lot.

Ballot weights: a ballot of weight ``w`` counts as ``w`` identical ballot papers (for a rational weight,
a parcel of papers worth ``w``). Under STV each paper starts with the value 1 given by rule 45, and the
parcel is carried through the count as one bundle of ``w`` papers.

Lots: every tie that the rules leave to lot is drawn from ``random.Random(seed)``. The k-th lot of a
count takes the k-th number from ``Random.random()`` (whose sequence for a given seed Python guarantees
across versions) and picks ``tied[floor(r * len(tied))]`` from the tied candidates in the order in which
``candidates`` lists them. The seed is published with the result so anyone can repeat the draw.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal, TypeAlias

__all__ = [
    "IRV_METHOD",
    "IRV_SOURCE",
    "STV_METHOD",
    "STV_SOURCE",
    "ApprovalBallot",
    "ApprovalBallotLike",
    "BallotError",
    "Decision",
    "DotsBallot",
    "DotsBallotLike",
    "PollResult",
    "RankedBallot",
    "RankedBallotLike",
    "RankedResult",
    "Reason",
    "Round",
    "ScoreBallot",
    "ScoreBallotLike",
    "Seed",
    "SingleBallot",
    "SingleBallotLike",
    "Transfer",
    "TransferValue",
    "count_irv",
    "count_stv",
    "display_number",
    "number_to_dict",
    "tally_approval",
    "tally_dots",
    "tally_score",
    "tally_single",
    "validate_approval",
    "validate_ballot",
    "validate_dots",
    "validate_ranking",
    "validate_score",
    "validate_single",
    "validate_weight",
    "Weight",
]

Weight: TypeAlias = int | Fraction
Number: TypeAlias = int | Fraction
Seed: TypeAlias = int | str

IRV_METHOD = "Instant-runoff voting"
IRV_SOURCE = (
    "Copro counting rules (docs/ranked-counting.md): each round every ballot counts for its highest-ranked "
    "continuing candidate; a candidate with more than half of the votes not exhausted wins; otherwise the "
    "candidate with the fewest votes is excluded; ties for exclusion are broken by the most recent earlier "
    "round in which the tied candidates had different totals, then by lot with the published seed."
)
STV_METHOD = "Single transferable vote, Weighted Inclusive Gregory Method (Scottish rules)"
STV_SOURCE = (
    "The Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1, Part III, rules 45-52 "
    "(https://www.legislation.gov.uk/ssi/2007/42/schedule/1): Droop quota floor(valid papers / (seats + 1)) + 1; "
    "transfer values calculated to five decimal places, any remainder ignored; largest surplus transferred "
    "first; one candidate excluded per stage; ties by the most recent stage with unequal votes, then by lot."
)

_SCALE = 100_000  # rule 48(3): five decimal places
_ZERO = Fraction(0)


# --- Numbers -----------------------------------------------------------------------------------------


def display_number(value: Number, places: int = 5) -> str:
    """A decimal string for people: exact for integers, otherwise rounded half-even to ``places``."""
    exact = Fraction(value)
    if exact.denominator == 1:
        return str(exact.numerator)
    scaled = round(exact * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, fraction = divmod(abs(scaled), 10**places)
    if fraction == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{places}d}".rstrip("0")


def number_to_dict(value: Number) -> dict[str, str]:
    """``{"exact": "3/2", "display": "1.5"}``: the exact value and a display string."""
    return {"exact": str(Fraction(value)), "display": display_number(value)}


def _numbers(values: Mapping[str, Number]) -> dict[str, dict[str, str]]:
    return {key: number_to_dict(value) for key, value in values.items()}


# --- Ballot errors and validation --------------------------------------------------------------------


class BallotError(ValueError):
    """A ballot that cannot be counted.

    ``message`` is a plain English sentence; ``code`` is stable (for translation and tests); ``params``
    holds the values the message names (option, limits); ``index`` is the ballot's position in the input
    when the error was found while counting.
    """

    def __init__(self, message: str, code: str, *, index: int | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.params: dict[str, Any] = params
        self.index = index

    def at(self, index: int) -> BallotError:
        """The same error, naming the ballot's position."""
        return BallotError(self.message, self.code, index=index, **self.params)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def validate_weight(weight: object) -> Weight:
    """Return the weight if it is a positive integer or positive Fraction; raise ``BallotError`` otherwise."""
    if isinstance(weight, bool) or not isinstance(weight, int | Fraction):
        raise BallotError("A ballot's weight must be a whole number or an exact fraction.", "invalid_weight")
    if weight <= 0:
        raise BallotError("A ballot's weight must be more than zero.", "invalid_weight", weight=str(weight))
    return weight


def _check_options(options: Sequence[str]) -> tuple[str, ...]:
    if isinstance(options, str):
        raise TypeError("options must be a sequence of option ids, not a string")
    result = tuple(options)
    if not result:
        raise ValueError("a poll needs at least one option")
    for option in result:
        if not isinstance(option, str) or not option:
            raise ValueError(f"option ids must be non-empty strings, got {option!r}")
    if len(set(result)) != len(result):
        raise ValueError("option ids must be unique")
    return result


def _unknown(option: object) -> BallotError:
    return BallotError(
        f"This ballot names “{option}”, which is not an option in this poll.", "unknown_option", option=str(option)
    )


def _duplicate(option: str, verb: str) -> BallotError:
    return BallotError(f"This ballot {verb} “{option}” more than once.", "duplicate_option", option=option)


def _check_limits(count: int, min_choices: int, max_choices: int | None, verb: str) -> None:
    if count < min_choices:
        raise BallotError(
            f"{verb.capitalize()} at least {_plural(min_choices, 'option')}; this ballot {verb}s {count}.",
            "too_few_choices",
            minimum=min_choices,
            count=count,
        )
    if max_choices is not None and count > max_choices:
        raise BallotError(
            f"{verb.capitalize()} at most {_plural(max_choices, 'option')}; this ballot {verb}s {count}.",
            "too_many_choices",
            maximum=max_choices,
            count=count,
        )


def validate_single(options: Sequence[str], choice: object) -> str:
    """A single-choice ballot: exactly one known option."""
    if choice is None or choice == "":
        raise BallotError("Choose one option.", "no_choice")
    if not isinstance(choice, str):
        raise BallotError("A single-choice ballot names exactly one option.", "invalid_ballot")
    if choice not in options:
        raise _unknown(choice)
    return choice


def validate_approval(
    options: Sequence[str], choices: object, min_choices: int = 0, max_choices: int | None = None
) -> tuple[str, ...]:
    """An approval ballot: distinct known options, between ``min_choices`` and ``max_choices`` of them."""
    if isinstance(choices, str) or not isinstance(choices, Iterable):
        raise BallotError("An approval ballot is a list of the options chosen.", "invalid_ballot")
    chosen: list[str] = []
    seen: set[str] = set()
    for option in choices:
        if not isinstance(option, str) or option not in options:
            raise _unknown(option)
        if option in seen:
            raise _duplicate(option, "chooses")
        seen.add(option)
        chosen.append(option)
    _check_limits(len(chosen), min_choices, max_choices, "choose")
    return tuple(chosen)


def _rational(value: object) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        return None
    return Fraction(value)


def validate_score(
    options: Sequence[str],
    scores: object,
    min_score: Number,
    max_score: Number,
    *,
    require_all: bool = False,
) -> dict[str, Fraction]:
    """A score ballot: a mapping option -> score within ``[min_score, max_score]``.

    Options left out are not scored (they do not count as ``min_score``). With ``require_all`` every
    option must be scored.
    """
    if not isinstance(scores, Mapping):
        raise BallotError("A score ballot gives a score to each option scored.", "invalid_ballot")
    result: dict[str, Fraction] = {}
    for option, raw in scores.items():
        if not isinstance(option, str) or option not in options:
            raise _unknown(option)
        score = _rational(raw)
        if score is None:
            raise BallotError(f"The score for “{option}” must be a number.", "invalid_score", option=option)
        if not min_score <= score <= max_score:
            raise BallotError(
                f"The score for “{option}” must be between {display_number(min_score)} and "
                f"{display_number(max_score)}; it is {display_number(score)}.",
                "score_out_of_range",
                option=option,
                score=str(score),
                minimum=str(Fraction(min_score)),
                maximum=str(Fraction(max_score)),
            )
        result[option] = score
    if require_all:
        missing = [option for option in options if option not in result]
        if missing:
            raise BallotError(
                f"Give a score to every option; “{missing[0]}” has none.", "missing_score", option=missing[0]
            )
    return result


def validate_dots(options: Sequence[str], dots: object, total_dots: int, *, use_all: bool = False) -> dict[str, int]:
    """A dots ballot: a mapping option -> number of dots (0 or more), at most ``total_dots`` in all.

    With ``use_all`` the ballot must place exactly ``total_dots``.
    """
    if not isinstance(dots, Mapping):
        raise BallotError("A dots ballot says how many dots go on each option.", "invalid_ballot")
    result: dict[str, int] = {}
    for option, raw in dots.items():
        if not isinstance(option, str) or option not in options:
            raise _unknown(option)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise BallotError(f"The dots on “{option}” must be a whole number.", "invalid_dots", option=option)
        if raw < 0:
            raise BallotError(
                f"The dots on “{option}” cannot be negative; it has {raw}.", "negative_dots", option=option, dots=raw
            )
        if raw:
            result[option] = raw
    used = sum(result.values())
    if used > total_dots:
        raise BallotError(
            f"Place at most {_plural(total_dots, 'dot')}; this ballot places {used}.",
            "too_many_dots",
            maximum=total_dots,
            count=used,
        )
    if use_all and used < total_dots:
        raise BallotError(
            f"Place all {_plural(total_dots, 'dot')}; this ballot places {used}.",
            "too_few_dots",
            minimum=total_dots,
            count=used,
        )
    return result


def validate_ranking(
    candidates: Sequence[str], ranking: object, *, min_rankings: int = 1, max_rankings: int | None = None
) -> tuple[str, ...]:
    """A ranked ballot: known candidates, each at most once, most preferred first.

    An empty ranking raises ``empty_ranking`` unless ``min_rankings`` is 0. (The counting functions accept
    empty ballots and report them as exhausted from the start.)
    """
    if isinstance(ranking, str) or not isinstance(ranking, Iterable):
        raise BallotError("A ranked ballot is a list of candidates, most preferred first.", "invalid_ballot")
    result = tuple(ranking)
    if not result and min_rankings > 0:
        raise BallotError("Rank at least one option.", "empty_ranking")
    seen: set[str] = set()
    for option in result:
        if not isinstance(option, str) or option not in candidates:
            raise _unknown(option)
        if option in seen:
            raise _duplicate(option, "ranks")
        seen.add(option)
    _check_limits(len(result), min_rankings, max_rankings, "rank")
    return result


_Kind = Literal["single", "approval", "score", "dots", "ranked"]


def validate_ballot(kind: _Kind, options: Sequence[str], ballot: object, **rules: Any) -> object:
    """Dispatch to ``validate_<kind>``; ``rules`` are that function's keyword arguments."""
    if kind == "single":
        return validate_single(options, ballot)
    if kind == "approval":
        return validate_approval(options, ballot, **rules)
    if kind == "score":
        return validate_score(options, ballot, **rules)
    if kind == "dots":
        return validate_dots(options, ballot, **rules)
    if kind == "ranked":
        return validate_ranking(options, ballot, **rules)
    raise ValueError(f"unknown ballot kind {kind!r}")


# --- Ballots -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SingleBallot:
    choice: str
    weight: Weight = 1


@dataclass(frozen=True)
class ApprovalBallot:
    choices: Sequence[str]
    weight: Weight = 1


@dataclass(frozen=True)
class ScoreBallot:
    scores: Mapping[str, Number]
    weight: Weight = 1


@dataclass(frozen=True)
class DotsBallot:
    dots: Mapping[str, int]
    weight: Weight = 1


@dataclass(frozen=True)
class RankedBallot:
    ranking: Sequence[str]
    weight: Weight = 1


SingleBallotLike: TypeAlias = SingleBallot | tuple[str, Weight]
ApprovalBallotLike: TypeAlias = ApprovalBallot | tuple[Sequence[str], Weight]
ScoreBallotLike: TypeAlias = ScoreBallot | tuple[Mapping[str, Number], Weight]
DotsBallotLike: TypeAlias = DotsBallot | tuple[Mapping[str, int], Weight]
RankedBallotLike: TypeAlias = RankedBallot | tuple[Sequence[str], Weight]


def _unpack(ballot: object, cls: type, attribute: str) -> tuple[object, object]:
    if isinstance(ballot, cls):
        return getattr(ballot, attribute), getattr(ballot, "weight")  # noqa: B009 - generic over classes
    if isinstance(ballot, tuple) and len(ballot) == 2:
        return ballot[0], ballot[1]
    raise TypeError(f"a ballot must be a {cls.__name__} or a (payload, weight) pair, got {ballot!r}")


# --- Single, approval, score and dots results --------------------------------------------------------


@dataclass(frozen=True)
class PollResult:
    """The count of a single-choice, approval, score or dots poll.

    ``totals``: weighted total per option (votes, approvals, sum of scores, dots).
    ``counts``: number of ballots (unweighted) that chose / approved / scored / put a dot on the option.
    ``support``: total weight of those ballots. ``means`` (score polls): ``totals / support``, or None when
    nobody scored the option. ``ranking``: tiers of tied options, best first, ordered by ``rank_by``.
    ``winners``: the whole first tier (a tie is reported, never broken); empty when no ballot chose, approved,
    scored or put a dot on any option.
    """

    kind: str
    options: tuple[str, ...]
    totals: dict[str, Fraction]
    counts: dict[str, int]
    support: dict[str, Fraction]
    means: dict[str, Fraction | None]
    ranking: tuple[tuple[str, ...], ...]
    winners: tuple[str, ...]
    ballots: int
    total_weight: Fraction
    rank_by: str = "total"
    rules: dict[str, Any] = field(default_factory=dict)

    @property
    def tie(self) -> bool:
        return len(self.winners) > 1

    def to_dict(self) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        position = 1
        for tier in self.ranking:
            for option in tier:
                mean = self.means.get(option)
                rows.append(
                    {
                        "option": option,
                        "rank": position,
                        "tied": len(tier) > 1,
                        "total": number_to_dict(self.totals[option]),
                        "count": self.counts[option],
                        "support": number_to_dict(self.support[option]),
                        "mean": None if mean is None else number_to_dict(mean),
                    }
                )
            position += len(tier)
        return {
            "kind": self.kind,
            "ballots": self.ballots,
            "total_weight": number_to_dict(self.total_weight),
            "rank_by": self.rank_by,
            "rules": {key: _jsonable(value) for key, value in self.rules.items()},
            "results": rows,
            "ranking": [list(tier) for tier in self.ranking],
            "winners": list(self.winners),
            "tie": self.tie,
        }


def _jsonable(value: object) -> object:
    if isinstance(value, Fraction):
        return number_to_dict(value)
    return value


def _tiers(options: Sequence[str], key: Mapping[str, Fraction | None]) -> tuple[tuple[str, ...], ...]:
    values = sorted({v for v in key.values() if v is not None}, reverse=True)
    tiers = [tuple(o for o in options if key[o] == v) for v in values]
    unranked = tuple(o for o in options if key[o] is None)
    if unranked:
        tiers.append(unranked)
    return tuple(tiers)


def _poll_result(
    kind: str,
    options: tuple[str, ...],
    totals: dict[str, Number],
    counts: dict[str, int],
    support: dict[str, Number],
    ballots: int,
    total_weight: Number,
    *,
    means: dict[str, Fraction | None] | None = None,
    rank_by: str = "total",
    rules: dict[str, Any] | None = None,
) -> PollResult:
    exact_totals = {o: Fraction(totals[o]) for o in options}
    exact_means = means if means is not None else dict.fromkeys(options)
    key: Mapping[str, Fraction | None] = exact_means if rank_by == "mean" else exact_totals
    ranking = _tiers(options, key)
    supported = any(counts.values()) and key[ranking[0][0]] is not None
    winners = ranking[0] if supported else ()
    return PollResult(
        kind=kind,
        options=options,
        totals=exact_totals,
        counts=counts,
        support={o: Fraction(support[o]) for o in options},
        means=exact_means,
        ranking=ranking,
        winners=winners,
        ballots=ballots,
        total_weight=Fraction(total_weight),
        rank_by=rank_by,
        rules=rules or {},
    )


def _weighted_sums(
    opts: tuple[str, ...],
    ballots: Iterable[Any],
    cls: type,
    attribute: str,
    check: Callable[[object], Mapping[str, Number]],
) -> tuple[dict[str, Number], dict[str, int], dict[str, Number], int, Fraction]:
    """Score and dots ballots: per option, the weighted sum of the numbers given, the ballots giving one,
    and their total weight; then the number of ballots and their total weight."""
    totals: dict[str, Number] = dict.fromkeys(opts, 0)
    support: dict[str, Number] = dict.fromkeys(opts, 0)
    counts = dict.fromkeys(opts, 0)
    n, weight_sum = 0, Fraction(0)
    for index, ballot in enumerate(ballots):
        payload, raw_weight = _unpack(ballot, cls, attribute)
        try:
            weight = validate_weight(raw_weight)
            given = check(payload)
        except BallotError as error:
            raise error.at(index) from None
        for option, value in given.items():
            totals[option] += weight * value
            support[option] += weight
            counts[option] += 1
        n += 1
        weight_sum += weight
    return totals, counts, support, n, weight_sum


def tally_single(options: Sequence[str], ballots: Iterable[SingleBallotLike]) -> PollResult:
    """Single choice: each ballot gives its weight to one option."""
    opts = _check_options(options)
    totals: dict[str, Number] = dict.fromkeys(opts, 0)
    counts = dict.fromkeys(opts, 0)
    n, weight_sum = 0, Fraction(0)
    for index, ballot in enumerate(ballots):
        payload, raw_weight = _unpack(ballot, SingleBallot, "choice")
        try:
            weight = validate_weight(raw_weight)
            choice = validate_single(opts, payload)
        except BallotError as error:
            raise error.at(index) from None
        totals[choice] += weight
        counts[choice] += 1
        n += 1
        weight_sum += weight
    return _poll_result("single", opts, totals, counts, totals, n, weight_sum)


def tally_approval(
    options: Sequence[str],
    ballots: Iterable[ApprovalBallotLike],
    min_choices: int = 0,
    max_choices: int | None = None,
) -> PollResult:
    """Approval: each ballot gives its weight to every option it approves."""
    opts = _check_options(options)
    totals: dict[str, Number] = dict.fromkeys(opts, 0)
    counts = dict.fromkeys(opts, 0)
    n, weight_sum = 0, Fraction(0)
    for index, ballot in enumerate(ballots):
        payload, raw_weight = _unpack(ballot, ApprovalBallot, "choices")
        try:
            weight = validate_weight(raw_weight)
            chosen = validate_approval(opts, payload, min_choices, max_choices)
        except BallotError as error:
            raise error.at(index) from None
        for option in chosen:
            totals[option] += weight
            counts[option] += 1
        n += 1
        weight_sum += weight
    rules = {"min_choices": min_choices, "max_choices": max_choices}
    return _poll_result("approval", opts, totals, counts, totals, n, weight_sum, rules=rules)


def tally_score(
    options: Sequence[str],
    ballots: Iterable[ScoreBallotLike],
    min_score: Number,
    max_score: Number,
    *,
    require_all: bool = False,
    rank_by: Literal["total", "mean"] = "total",
) -> PollResult:
    """Score: totals (weight x score), the weighted mean over the ballots that scored each option, and
    the number of ballots scoring it. Ranked by total (default) or by mean."""
    opts = _check_options(options)
    if rank_by not in ("total", "mean"):
        raise ValueError("rank_by must be 'total' or 'mean'")
    if _rational(min_score) is None or _rational(max_score) is None:
        raise ValueError("min_score and max_score must be integers or Fractions")
    if Fraction(min_score) > Fraction(max_score):
        raise ValueError("min_score must not be more than max_score")
    totals, counts, support, n, weight_sum = _weighted_sums(
        opts,
        ballots,
        ScoreBallot,
        "scores",
        lambda payload: validate_score(opts, payload, min_score, max_score, require_all=require_all),
    )
    means: dict[str, Fraction | None] = {o: (Fraction(totals[o]) / support[o] if support[o] else None) for o in opts}
    rules = {"min_score": Fraction(min_score), "max_score": Fraction(max_score), "require_all": require_all}
    return _poll_result(
        "score", opts, totals, counts, support, n, weight_sum, means=means, rank_by=rank_by, rules=rules
    )


def tally_dots(
    options: Sequence[str], ballots: Iterable[DotsBallotLike], dots: int, *, use_all: bool = False
) -> PollResult:
    """Dots: each ballot spreads up to ``dots`` dots (several may go on one option); totals are weight x dots."""
    opts = _check_options(options)
    if isinstance(dots, bool) or not isinstance(dots, int) or dots < 1:
        raise ValueError("dots must be a positive whole number")
    totals, counts, support, n, weight_sum = _weighted_sums(
        opts, ballots, DotsBallot, "dots", lambda payload: validate_dots(opts, payload, dots, use_all=use_all)
    )
    rules = {"dots": dots, "use_all": use_all}
    return _poll_result("dots", opts, totals, counts, support, n, weight_sum, rules=rules)


# --- Ranked results ----------------------------------------------------------------------------------

Reason: TypeAlias = Literal[
    "majority",  # IRV: more than half of the votes not exhausted
    "reached_quota",  # STV rule 47: votes equal or exceed the quota
    "filled_remaining_seats",  # STV rule 52: as many continuing candidates as seats left
    "lowest",  # fewest votes, no tie
    "largest_surplus",  # STV rule 49(1): largest surplus, no tie
    "tie_backwards",  # tie broken by the most recent earlier round in which they differed
    "tie_lot",  # tie at every earlier round: drawn by lot with the published seed
]


@dataclass(frozen=True)
class Decision:
    """Who was elected, excluded or chosen for a surplus transfer, and why.

    ``tied_with``: the other candidates in the tie (empty when there was none). ``decided_by_round``: for
    ``tie_backwards``, the round whose totals broke the tie. ``lot_among``: for ``tie_lot``, the candidates
    still tied when the lot was drawn. ``explanation``: one plain English sentence.
    """

    candidate: str
    reason: Reason
    explanation: str
    tied_with: tuple[str, ...] = ()
    decided_by_round: int | None = None
    lot_among: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "reason": self.reason,
            "explanation": self.explanation,
            "tied_with": list(self.tied_with),
            "decided_by_round": self.decided_by_round,
            "lot_among": list(self.lot_among),
        }


@dataclass(frozen=True)
class TransferValue:
    """Papers moved at one value: ``papers`` (weighted) received at ``received_at`` and passed on at
    ``transferred_at`` (equal for exclusions); ``transferable`` of them had a next preference."""

    received_at: Fraction
    transferred_at: Fraction
    papers: Fraction
    transferable: Fraction

    def to_dict(self) -> dict[str, Any]:
        return {
            "received_at": number_to_dict(self.received_at),
            "transferred_at": number_to_dict(self.transferred_at),
            "papers": number_to_dict(self.papers),
            "transferable": number_to_dict(self.transferable),
        }


@dataclass(frozen=True)
class Transfer:
    """The votes moved at the start of a round.

    ``kind``: "exclusion" (all papers of an excluded candidate, at their current values) or "surplus"
    (STV: all papers of an elected candidate at the reduced transfer value). ``amount``: the votes the
    candidate held (exclusion) or the surplus. ``to``: votes received by each continuing candidate
    (zeros included). ``exhausted``: value of papers with no next available preference. ``loss``: value lost
    by truncating transfer values to five decimal places (STV surpluses only).
    """

    kind: Literal["exclusion", "surplus"]
    candidate: str
    amount: Fraction
    to: dict[str, Fraction]
    exhausted: Fraction
    loss: Fraction
    values: tuple[TransferValue, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "from": self.candidate,
            "amount": number_to_dict(self.amount),
            "to": _numbers(self.to),
            "exhausted": number_to_dict(self.exhausted),
            "loss": number_to_dict(self.loss),
            "values": [value.to_dict() for value in self.values],
        }


@dataclass(frozen=True)
class Round:
    """One round (IRV) or stage (STV) of a ranked count.

    ``transfer``: what moved at the start of the round (None in round 1, first preferences).
    ``tallies``: votes credited at the end of the round to every candidate still holding votes
    (IRV: continuing candidates; STV: continuing and elected candidates). ``active``: their sum.
    ``exhausted``: total value of ballots with no continuing candidate left, including empty ballots, so far.
    ``loss``: total lost to truncation so far (STV). ``threshold``: IRV -- half of the votes not exhausted,
    a winner needs more; STV -- the quota, a candidate needs at least this. Decisions taken at the end of
    the round: ``elected``; ``excluded`` (the excluded candidate's votes move in the next round);
    ``surplus_next`` (STV: whose surplus moves in the next round).
    Conservation: ``active + exhausted + loss == total weight`` in every round.
    """

    number: int
    transfer: Transfer | None
    tallies: dict[str, Fraction]
    continuing: tuple[str, ...]
    active: Fraction
    exhausted: Fraction
    loss: Fraction
    threshold: Fraction
    elected: tuple[Decision, ...] = ()
    excluded: tuple[Decision, ...] = ()
    surplus_next: Decision | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "transfer": None if self.transfer is None else self.transfer.to_dict(),
            "tallies": _numbers(self.tallies),
            "continuing": list(self.continuing),
            "active": number_to_dict(self.active),
            "exhausted": number_to_dict(self.exhausted),
            "loss": number_to_dict(self.loss),
            "threshold": number_to_dict(self.threshold),
            "elected": [d.to_dict() for d in self.elected],
            "excluded": [d.to_dict() for d in self.excluded],
            "surplus_next": None if self.surplus_next is None else self.surplus_next.to_dict(),
        }


@dataclass(frozen=True)
class RankedResult:
    """The full, publishable count of a ranked poll."""

    method: str
    source: str
    candidates: tuple[str, ...]
    seats: int
    seed: Seed
    winners: tuple[str, ...]
    rounds: tuple[Round, ...]
    ballots: int
    total_weight: Fraction
    empty_ballots: int
    empty_weight: Fraction
    quota: Fraction | None
    lot_used: bool

    @property
    def elected(self) -> tuple[Decision, ...]:
        return tuple(d for r in self.rounds for d in r.elected)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": {"name": self.method, "source": self.source},
            "candidates": list(self.candidates),
            "seats": self.seats,
            "seed": self.seed,
            "winners": list(self.winners),
            "ballots": self.ballots,
            "total_weight": number_to_dict(self.total_weight),
            "empty_ballots": self.empty_ballots,
            "empty_weight": number_to_dict(self.empty_weight),
            "quota": None if self.quota is None else number_to_dict(self.quota),
            "lot_used": self.lot_used,
            "rounds": [r.to_dict() for r in self.rounds],
        }


# --- Ranked counting: shared machinery ---------------------------------------------------------------


Ranking: TypeAlias = tuple[str, ...]


@dataclass
class _Profile:
    groups: dict[Ranking, Weight]
    ballots: int
    empty_ballots: int
    total_weight: Number
    empty_weight: Number


def _group_ranked(candidates: tuple[str, ...], ballots: Iterable[RankedBallotLike]) -> _Profile:
    """Group identical rankings (work then scales with distinct rankings) and validate each ranking once."""
    groups: dict[Ranking, Weight] = {}
    count = 0
    empty_ballots = 0
    for index, ballot in enumerate(ballots):
        payload, raw_weight = _unpack(ballot, RankedBallot, "ranking")
        if isinstance(payload, str) or not isinstance(payload, Iterable):
            raise TypeError(f"a ranking must be a sequence of candidate ids, got {payload!r}")
        key = tuple(payload)
        try:
            weight = validate_weight(raw_weight)
            if key in groups:
                groups[key] += weight
            else:
                validate_ranking(candidates, key, min_rankings=0)  # once per distinct ranking
                groups[key] = weight
        except BallotError as error:
            raise error.at(index) from None
        if not key:
            empty_ballots += 1
        count += 1
    total: Number = 0
    for weight in groups.values():
        total += weight
    return _Profile(groups, count, empty_ballots, total, groups.get((), 0))


def _check_candidates(candidates: Sequence[str]) -> tuple[str, ...]:
    return _check_options(candidates)


def _first_continuing(ranking: Ranking, continuing: set[str] | frozenset[str]) -> str | None:
    for candidate in ranking:
        if candidate in continuing:
            return candidate
    return None


class _Lots:
    """Ties by lot: the k-th lot uses the k-th ``random()`` of ``random.Random(seed)``."""

    def __init__(self, seed: Seed) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | str):
            raise TypeError("seed must be an int or a str")
        self._rng = random.Random(seed)  # a published, reproducible lot: not a secret
        self.used = False

    def draw(self, tied: Sequence[str]) -> str:
        self.used = True
        return tied[math.floor(self._rng.random() * len(tied))]


def _break_tie(
    tied: list[str],
    history: Sequence[Mapping[str, Number]],
    *,
    lowest: bool,
    lots: _Lots,
    what: str,
) -> Decision:
    """Choose one of ``tied`` (in candidate order), all equal in ``history[-1]``.

    Rounds are examined from the most recent earlier one backwards; at each, only the candidates with the
    lowest (or highest) total there stay in the tie; the first round that leaves one candidate decides.
    If candidates are still tied at every earlier round, the lot decides among them.
    """
    first_word = "fewest" if lowest else "most"
    remaining = list(tied)
    for position in range(len(history) - 2, -1, -1):
        values = {c: Fraction(history[position].get(c, 0)) for c in remaining}
        target = min(values.values()) if lowest else max(values.values())
        narrowed = [c for c in remaining if values[c] == target]
        remaining = narrowed
        if len(remaining) == 1:
            chosen = remaining[0]
            return Decision(
                candidate=chosen,
                reason="tie_backwards",
                explanation=(
                    f"{', '.join(tied)} were tied on {what}; {chosen} had the {first_word} votes in round "
                    f"{position + 1}, the most recent earlier round in which they differed."
                ),
                tied_with=tuple(c for c in tied if c != chosen),
                decided_by_round=position + 1,
            )
    chosen = lots.draw(remaining)
    return Decision(
        candidate=chosen,
        reason="tie_lot",
        explanation=(
            f"{', '.join(tied)} were tied on {what} and had equal votes in every earlier round; "
            f"{chosen} was chosen by lot among {', '.join(remaining)} with the published seed."
        ),
        tied_with=tuple(c for c in tied if c != chosen),
        lot_among=tuple(remaining),
    )


def _choose(
    pool: list[str],
    current: Mapping[str, Number],
    history: Sequence[Mapping[str, Number]],
    *,
    lowest: bool,
    lots: _Lots,
    what: str,
    plain_reason: Reason,
    plain_explanation: str,
) -> Decision:
    target = min(current[c] for c in pool) if lowest else max(current[c] for c in pool)
    tied = [c for c in pool if current[c] == target]
    if len(tied) == 1:
        return Decision(tied[0], plain_reason, plain_explanation.format(candidate=tied[0]))
    return _break_tie(tied, history, lowest=lowest, lots=lots, what=what)


# --- Instant-runoff ----------------------------------------------------------------------------------


def count_irv(candidates: Sequence[str], ballots: Iterable[RankedBallotLike], *, seed: Seed) -> RankedResult:
    """Instant-runoff voting for one winner.

    Each round every ballot counts (with its weight) for its highest-ranked continuing candidate; ballots
    with none are exhausted. A candidate with more than half of the votes not exhausted wins. Otherwise the
    candidate with the fewest votes is excluded and their ballots move to the next continuing preference in
    the next round. A tie for fewest is broken by the most recent earlier round in which the tied candidates
    had different totals (the lower there is excluded), and if they were equal in every round, by lot with
    ``random.Random(seed)``. If no ballot ranks anyone there is no winner.
    """
    cands = _check_candidates(candidates)
    lots = _Lots(seed)
    profile = _group_ranked(cands, ballots)
    continuing: set[str] = set(cands)
    piles: dict[str, dict[Ranking, Weight]] = {c: {} for c in cands}
    tally: dict[str, Number] = dict.fromkeys(cands, 0)
    exhausted: Number = profile.empty_weight
    for ranking, weight in profile.groups.items():
        if ranking:
            piles[ranking[0]][ranking] = weight
            tally[ranking[0]] += weight

    rounds: list[Round] = []
    history: list[dict[str, Number]] = []
    winners: tuple[str, ...] = ()
    transfer: Transfer | None = None
    while True:
        order = tuple(c for c in cands if c in continuing)
        current = {c: tally[c] for c in order}
        history.append(current)
        active = Fraction(sum(current.values()))
        threshold = active / 2
        elected: tuple[Decision, ...] = ()
        excluded: tuple[Decision, ...] = ()
        leader = next((c for c in order if current[c] > threshold), None) if active else None
        if leader is not None:
            elected = (
                Decision(
                    leader,
                    "majority",
                    f"{leader} has {display_number(current[leader])} of the {display_number(active)} votes not "
                    f"exhausted, more than half.",
                ),
            )
            winners = (leader,)
        elif active:
            excluded = (
                _choose(
                    list(order),
                    current,
                    history,
                    lowest=True,
                    lots=lots,
                    what="fewest votes",
                    plain_reason="lowest",
                    plain_explanation="{candidate} has the fewest votes.",
                ),
            )
        rounds.append(
            Round(
                number=len(rounds) + 1,
                transfer=transfer,
                tallies={c: Fraction(v) for c, v in current.items()},
                continuing=order,
                active=active,
                exhausted=Fraction(exhausted),
                loss=_ZERO,
                threshold=threshold,
                elected=elected,
                excluded=excluded,
            )
        )
        if not excluded:
            break  # a winner, or no votes at all
        loser = excluded[0].candidate
        continuing.discard(loser)
        moved_to: dict[str, Number] = dict.fromkeys((c for c in cands if c in continuing), 0)
        moved_exhausted: Number = 0
        held = tally[loser]
        for ranking, weight in piles.pop(loser).items():
            target = _first_continuing(ranking, continuing)
            if target is None:
                moved_exhausted += weight
                continue
            pile = piles[target]
            pile[ranking] = pile.get(ranking, 0) + weight
            tally[target] += weight
            moved_to[target] += weight
        tally[loser] = 0
        exhausted += moved_exhausted
        transfer = Transfer(
            kind="exclusion",
            candidate=loser,
            amount=Fraction(held),
            to={c: Fraction(v) for c, v in moved_to.items()},
            exhausted=Fraction(moved_exhausted),
            loss=_ZERO,
            values=(
                (TransferValue(Fraction(1), Fraction(1), Fraction(held), Fraction(held - moved_exhausted)),)
                if held
                else ()
            ),
        )

    return RankedResult(
        method=IRV_METHOD,
        source=IRV_SOURCE,
        candidates=cands,
        seats=1,
        seed=seed,
        winners=winners,
        rounds=tuple(rounds),
        ballots=profile.ballots,
        total_weight=Fraction(profile.total_weight),
        empty_ballots=profile.empty_ballots,
        empty_weight=Fraction(profile.empty_weight),
        quota=None,
        lot_used=lots.used,
    )


# --- Single transferable vote: Scottish WIGM ---------------------------------------------------------


def count_stv(
    candidates: Sequence[str], ballots: Iterable[RankedBallotLike], seats: int, *, seed: Seed
) -> RankedResult:
    """Single transferable vote by the Scottish Weighted Inclusive Gregory Method (SSI 2007/42, rules 45-52).

    * Quota (rule 46): ``floor(valid papers / (seats + 1)) + 1``; empty ballots are not valid papers.
    * A candidate whose votes equal or exceed the quota at the end of a stage is elected (rule 47).
    * At the end of each stage, if every seat is filled the count ends; if the continuing candidates are
      no more than the seats left, they are all elected and the count ends (rule 52).
    * Otherwise, if any elected candidate has an untransferred surplus, the largest surplus is transferred
      (rules 48-49): every paper the candidate holds passes to its next continuing preference at the value
      ``floor5(surplus x value of the paper when received / candidate's votes)``; the candidate keeps the
      quota. Equal surpluses: highest votes at the most recent earlier stage with unequal votes, then lot.
    * Otherwise the candidate with the fewest votes is excluded and all their papers pass on at the value
      at which they were received (rule 50). Ties: lowest at the most recent earlier stage with unequal
      votes, then lot (rule 51).

    Papers with no next available preference are exhausted (non-transferable); value lost to truncation
    is reported as ``loss``. If no ballot ranks anyone there is no winner.
    """
    cands = _check_candidates(candidates)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise ValueError("seats must be a positive whole number")
    lots = _Lots(seed)
    profile = _group_ranked(cands, ballots)
    valid = Fraction(profile.total_weight) - Fraction(profile.empty_weight)
    quota = math.floor(valid / (seats + 1)) + 1
    quota_units = quota * _SCALE

    # Votes are kept in units of 0.00001 (integers when weights are integers). A pile is keyed by
    # (ranking, value of each paper in units) and holds the number (weight) of such papers.
    continuing: set[str] = set(cands)
    elected: list[str] = []
    surplus_done: set[str] = set()
    holding: set[str] = set(cands)  # candidates shown in tallies: continuing and elected
    piles: dict[str, dict[tuple[Ranking, int], Weight]] = {c: {} for c in cands}
    votes: dict[str, Number] = dict.fromkeys(cands, 0)
    exhausted: Number = Fraction(profile.empty_weight) * _SCALE
    loss: Number = 0
    for ranking, weight in profile.groups.items():
        if ranking:
            piles[ranking[0]][(ranking, _SCALE)] = weight
            votes[ranking[0]] += weight * _SCALE

    def exact(units: Number) -> Fraction:
        return Fraction(units) / _SCALE

    rounds: list[Round] = []
    history: list[dict[str, Number]] = []
    transfer: Transfer | None = None
    while True:
        number = len(rounds) + 1
        snapshot = {c: votes[c] for c in cands}
        history.append(snapshot)
        new_elected: list[Decision] = []
        excluded: tuple[Decision, ...] = ()
        surplus_next: Decision | None = None
        finished = False
        if valid == 0:
            finished = True
        else:
            reached = sorted(
                (c for c in cands if c in continuing and votes[c] >= quota_units),
                key=lambda c: (-votes[c], cands.index(c)),
            )
            for candidate in reached:
                continuing.discard(candidate)
                elected.append(candidate)
                new_elected.append(
                    Decision(
                        candidate,
                        "reached_quota",
                        f"{candidate} has {display_number(exact(votes[candidate]))} votes, at least the quota "
                        f"of {quota}.",
                    )
                )
            vacancies = seats - len(elected)
            if vacancies <= 0:
                finished = True
            elif len(continuing) <= vacancies:
                for candidate in (c for c in cands if c in continuing):
                    continuing.discard(candidate)
                    elected.append(candidate)
                    new_elected.append(
                        Decision(
                            candidate,
                            "filled_remaining_seats",
                            f"{candidate} is elected because the continuing candidates are no more than the "
                            f"seats left to fill.",
                        )
                    )
                finished = True
            else:
                pending = [c for c in cands if c in elected and c not in surplus_done and votes[c] > quota_units]
                if pending:
                    surplus_next = _choose(
                        pending,
                        snapshot,
                        history,
                        lowest=False,
                        lots=lots,
                        what="the largest surplus",
                        plain_reason="largest_surplus",
                        plain_explanation="{candidate} has the largest surplus to transfer.",
                    )
                else:
                    excluded = (
                        _choose(
                            [c for c in cands if c in continuing],
                            snapshot,
                            history,
                            lowest=True,
                            lots=lots,
                            what="fewest votes",
                            plain_reason="lowest",
                            plain_explanation="{candidate} has the fewest votes.",
                        ),
                    )
        tallies = {c: exact(votes[c]) for c in cands if c in holding}
        active = sum(tallies.values(), _ZERO)
        rounds.append(
            Round(
                number=number,
                transfer=transfer,
                tallies=tallies,
                continuing=tuple(c for c in cands if c in continuing),
                active=active,
                exhausted=exact(exhausted),
                loss=exact(loss),
                threshold=Fraction(quota),
                elected=tuple(new_elected),
                excluded=excluded,
                surplus_next=surplus_next,
            )
        )
        if finished:
            break

        # The next stage: transfer the chosen surplus, or the excluded candidate's papers.
        if surplus_next is not None:
            source = surplus_next.candidate
            surplus_done.add(source)
            total_units = votes[source]
            surplus_units = total_units - quota_units
        else:
            source = excluded[0].candidate
            continuing.discard(source)
            holding.discard(source)
        moved_to: dict[str, Number] = dict.fromkeys((c for c in cands if c in continuing), 0)
        moved_exhausted: Number = 0
        by_value: dict[int, list[Number]] = {}
        for (ranking, value), weight in piles.pop(source).items():
            # Surplus, rule 48(3): surplus x value when received / votes credited, to five decimal places,
            # any remainder ignored. Exclusion, rule 50(4): the value at which the paper was received.
            new_value = int((surplus_units * value) // total_units) if surplus_next is not None else value
            target = _first_continuing(ranking, continuing)
            row = by_value.setdefault(value, [new_value, 0, 0])
            row[1] += weight
            amount = new_value * weight
            if target is None:
                moved_exhausted += amount
                continue
            row[2] += weight
            pile = piles[target]
            pile[(ranking, new_value)] = pile.get((ranking, new_value), 0) + weight
            votes[target] += amount
            moved_to[target] += amount
        piles[source] = {}
        moved_total = sum(moved_to.values(), 0) + moved_exhausted
        if surplus_next is not None:
            held = surplus_units
            step_loss = surplus_units - moved_total
            votes[source] = quota_units
        else:
            held = votes[source]
            step_loss = 0
            votes[source] = 0
        exhausted += moved_exhausted
        loss += step_loss
        transfer = Transfer(
            kind="surplus" if surplus_next is not None else "exclusion",
            candidate=source,
            amount=exact(held),
            to={c: exact(v) for c, v in moved_to.items()},
            exhausted=exact(moved_exhausted),
            loss=exact(step_loss),
            values=tuple(
                TransferValue(exact(value), exact(row[0]), Fraction(row[1]), Fraction(row[2]))
                for value, row in sorted(by_value.items(), reverse=True)
            ),
        )

    return RankedResult(
        method=STV_METHOD,
        source=STV_SOURCE,
        candidates=cands,
        seats=seats,
        seed=seed,
        winners=tuple(elected),
        rounds=tuple(rounds),
        ballots=profile.ballots,
        total_weight=Fraction(profile.total_weight),
        empty_ballots=profile.empty_ballots,
        empty_weight=Fraction(profile.empty_weight),
        quota=Fraction(quota),
        lot_used=lots.used,
    )
