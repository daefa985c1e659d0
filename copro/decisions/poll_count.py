"""Counting a poll with copro.analysis.polls (exact fractions; published as JSON)."""

from __future__ import annotations

from typing import Any

from copro.analysis import polls
from copro.decisions.models import Decision, PollMethod


def count_poll(decision: Decision, options: list[Any], ballots: list[tuple[Any, int]]) -> dict[str, Any]:
    codes = [o.code for o in options]
    method = decision.method
    if method in (PollMethod.IRV, PollMethod.STV):
        ranked = [(tuple(choices), weight) for choices, weight in ballots]
        if method == PollMethod.IRV:
            ranked_result = polls.count_irv(codes, ranked, seed=decision.tie_seed)
        else:
            ranked_result = polls.count_stv(codes, ranked, decision.seats or 2, seed=decision.tie_seed)
        return {"shape": "ranked", **ranked_result.to_dict()}
    if method == PollMethod.SINGLE:
        result = polls.tally_single(codes, [(choices[0], weight) for choices, weight in ballots])
    elif method == PollMethod.APPROVAL:
        result = polls.tally_approval(
            codes,
            [(choices, weight) for choices, weight in ballots],
            min_choices=decision.min_choices or 0,
            max_choices=decision.max_choices,
        )
    elif method == PollMethod.SCORE:
        result = polls.tally_score(
            codes, [(choices, weight) for choices, weight in ballots], min_score=0, max_score=decision.max_score or 1
        )
    else:
        result = polls.tally_dots(codes, [(choices, weight) for choices, weight in ballots], dots=decision.dots or 1)
    return {"shape": "tally", **result.to_dict()}
