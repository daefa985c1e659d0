"""Exact counting for polls (copro.analysis.polls): hand-checked examples, published examples, properties.

Every expected number below is worked out by hand in the comments; the STV examples follow the Scottish
Local Government Elections Order 2007 (SSI 2007/42), Schedule 1, rules 45-52. No database is used.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import pytest

from copro.analysis.polls import (
    STV_METHOD,
    ApprovalBallot,
    BallotError,
    DotsBallot,
    RankedBallot,
    RankedResult,
    ScoreBallot,
    ScoreBallotLike,
    SingleBallot,
    count_irv,
    count_stv,
    display_number,
    number_to_dict,
    tally_approval,
    tally_dots,
    tally_score,
    tally_single,
    validate_approval,
    validate_ballot,
    validate_dots,
    validate_ranking,
    validate_score,
    validate_single,
    validate_weight,
)

F = Fraction


def ballots(*groups: tuple[int, Sequence[str]] | tuple[int, Sequence[str], int | Fraction]) -> list[RankedBallot]:
    """``(count, ranking[, weight])`` groups expanded into individual ballots."""
    result: list[RankedBallot] = []
    for group in groups:
        count, ranking = group[0], group[1]
        weight = group[2] if len(group) == 3 else 1
        result.extend(RankedBallot(list(ranking), weight) for _ in range(count))
    return result


def tallies(result: RankedResult, number: int) -> dict[str, Fraction]:
    return result.rounds[number - 1].tallies


def assert_conserved(result: RankedResult) -> None:
    """In every round: votes credited + exhausted + lost to truncation == total weight of all ballots."""
    for rnd in result.rounds:
        assert sum(rnd.tallies.values(), F(0)) == rnd.active
        assert rnd.active + rnd.exhausted + rnd.loss == result.total_weight, rnd.number


def round_trips_as_json(data: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(data))
    assert loaded == data
    return loaded


# --- Numbers -------------------------------------------------------------------------------------------


def test_numbers_are_exact_strings_with_a_display_string() -> None:
    assert number_to_dict(F(3, 2)) == {"exact": "3/2", "display": "1.5"}
    assert number_to_dict(7) == {"exact": "7", "display": "7"}
    assert number_to_dict(F(1, 3)) == {"exact": "1/3", "display": "0.33333"}
    assert number_to_dict(F(1245448, 100000)) == {"exact": "155681/12500", "display": "12.45448"}
    assert display_number(F(-1, 8)) == "-0.125"
    assert display_number(F(1, 200000)) == "0"  # 0.000005 rounds half-even to 0.00000


# --- Single choice, approval, score, dots --------------------------------------------------------------


def test_single_choice_reports_a_tie_and_weights() -> None:
    # a: weight 2 -> 2; b: 1 + 1 -> 2; c: 1/2. a and b tie for first; the tie is reported, not broken.
    result = tally_single(["a", "b", "c"], [SingleBallot("a", 2), ("b", 1), SingleBallot("b"), ("c", F(1, 2))])
    assert result.totals == {"a": 2, "b": 2, "c": F(1, 2)}
    assert result.counts == {"a": 1, "b": 2, "c": 1}
    assert result.winners == ("a", "b") and result.tie
    assert result.ranking == (("a", "b"), ("c",))
    assert result.ballots == 4 and result.total_weight == F(9, 2)
    data = round_trips_as_json(result.to_dict())
    assert data["tie"] is True and data["winners"] == ["a", "b"]
    assert data["results"][0] == {
        "option": "a",
        "rank": 1,
        "tied": True,
        "total": {"exact": "2", "display": "2"},
        "count": 1,
        "support": {"exact": "2", "display": "2"},
        "mean": None,
    }
    assert data["results"][2]["rank"] == 3 and data["results"][2]["total"] == {"exact": "1/2", "display": "0.5"}
    assert data["total_weight"] == {"exact": "9/2", "display": "4.5"}


def test_no_ballots_means_no_winner() -> None:
    result = tally_single(["a", "b"], [])
    assert result.winners == () and result.ranking == (("a", "b"),) and result.ballots == 0


def test_approval_totals_counts_and_limits() -> None:
    # A: 1 + 1 = 2; B: 1 + 2 = 3; C: 1. B wins.
    result = tally_approval(
        ["A", "B", "C"],
        [ApprovalBallot(["A", "B"]), ApprovalBallot(["B"], 2), (["C", "A"], 1), ApprovalBallot([])],
        max_choices=2,
    )
    assert result.totals == {"A": 2, "B": 3, "C": 1}
    assert result.counts == {"A": 2, "B": 2, "C": 1}
    assert result.winners == ("B",)
    assert result.ballots == 4 and result.total_weight == 5
    assert round_trips_as_json(result.to_dict())["rules"] == {"min_choices": 0, "max_choices": 2}


def test_score_totals_means_and_ballots_scoring_each_option() -> None:
    # Ballots: (X 5, Y 3) w1; (X 1, Z 3) w2; (Y 5) w1.
    # X: total 5 + 2*1 = 7, scored by 2 ballots of weight 3, mean 7/3.
    # Y: total 3 + 5 = 8, 2 ballots of weight 2, mean 4.   Z: total 2*3 = 6, 1 ballot of weight 2, mean 3.
    votes: list[ScoreBallotLike] = [ScoreBallot({"X": 5, "Y": 3}), ScoreBallot({"X": 1, "Z": 3}, 2), ({"Y": 5}, 1)]
    by_total = tally_score(["X", "Y", "Z"], votes, 0, 5)
    assert by_total.totals == {"X": 7, "Y": 8, "Z": 6}
    assert by_total.means == {"X": F(7, 3), "Y": 4, "Z": 3}
    assert by_total.counts == {"X": 2, "Y": 2, "Z": 1}
    assert by_total.support == {"X": 3, "Y": 2, "Z": 2}
    assert by_total.ranking == (("Y",), ("X",), ("Z",)) and by_total.winners == ("Y",)
    by_mean = tally_score(["X", "Y", "Z"], votes, 0, 5, rank_by="mean")
    assert by_mean.ranking == (("Y",), ("Z",), ("X",))
    data = round_trips_as_json(by_total.to_dict())
    assert data["results"][1]["option"] == "X"
    assert data["results"][1]["mean"] == {"exact": "7/3", "display": "2.33333"}


def test_score_option_nobody_scored_has_no_mean_and_ranks_last_by_mean() -> None:
    result = tally_score(["X", "Y"], [ScoreBallot({"X": -1})], -2, 2, rank_by="mean")
    assert result.means == {"X": -1, "Y": None}
    assert result.ranking == (("X",), ("Y",)) and result.winners == ("X",)


def test_dots_several_on_one_option_and_weights() -> None:
    # P: 3*1 + 1*2 = 5; Q: 2*2 + 1*(1/2) = 9/2; R: 2*(1/2) = 1.
    result = tally_dots(
        ["P", "Q", "R"],
        [DotsBallot({"P": 3}), DotsBallot({"P": 1, "Q": 2}, 2), ({"R": 2, "Q": 1, "P": 0}, F(1, 2))],
        dots=3,
    )
    assert result.totals == {"P": 5, "Q": F(9, 2), "R": 1}
    assert result.counts == {"P": 2, "Q": 2, "R": 1}
    assert result.winners == ("P",)
    assert round_trips_as_json(result.to_dict())["results"][1]["total"] == {"exact": "9/2", "display": "4.5"}


# --- Every BallotError -----------------------------------------------------------------------------------

OPTIONS = ["a", "b", "c"]

ERRORS: list[tuple[str, Callable[[], object]]] = [
    ("no_choice", lambda: validate_single(OPTIONS, "")),
    ("unknown_option", lambda: validate_single(OPTIONS, "z")),
    ("invalid_ballot", lambda: validate_single(OPTIONS, ["a"])),
    ("unknown_option", lambda: validate_approval(OPTIONS, ["a", "z"])),
    ("duplicate_option", lambda: validate_approval(OPTIONS, ["a", "a"])),
    ("too_few_choices", lambda: validate_approval(OPTIONS, ["a"], min_choices=2)),
    ("too_many_choices", lambda: validate_approval(OPTIONS, ["a", "b", "c"], max_choices=2)),
    ("invalid_ballot", lambda: validate_approval(OPTIONS, "ab")),
    ("unknown_option", lambda: validate_score(OPTIONS, {"z": 1}, 0, 5)),
    ("score_out_of_range", lambda: validate_score(OPTIONS, {"a": 6}, 0, 5)),
    ("score_out_of_range", lambda: validate_score(OPTIONS, {"a": -1}, 0, 5)),
    ("invalid_score", lambda: validate_score(OPTIONS, {"a": 2.5}, 0, 5)),
    ("missing_score", lambda: validate_score(OPTIONS, {"a": 1}, 0, 5, require_all=True)),
    ("invalid_ballot", lambda: validate_score(OPTIONS, [("a", 1)], 0, 5)),
    ("unknown_option", lambda: validate_dots(OPTIONS, {"z": 1}, 3)),
    ("too_many_dots", lambda: validate_dots(OPTIONS, {"a": 2, "b": 2}, 3)),
    ("negative_dots", lambda: validate_dots(OPTIONS, {"a": -1, "b": 2}, 3)),
    ("invalid_dots", lambda: validate_dots(OPTIONS, {"a": F(1, 2)}, 3)),
    ("too_few_dots", lambda: validate_dots(OPTIONS, {"a": 1}, 3, use_all=True)),
    ("empty_ranking", lambda: validate_ranking(OPTIONS, [])),
    ("unknown_option", lambda: validate_ranking(OPTIONS, ["a", "z"])),
    ("duplicate_option", lambda: validate_ranking(OPTIONS, ["a", "b", "a"])),
    ("too_few_choices", lambda: validate_ranking(OPTIONS, ["a"], min_rankings=2)),
    ("too_many_choices", lambda: validate_ranking(OPTIONS, ["a", "b", "c"], max_rankings=2)),
    ("invalid_ballot", lambda: validate_ranking(OPTIONS, "abc")),
    ("invalid_weight", lambda: validate_weight(0)),
    ("invalid_weight", lambda: validate_weight(-2)),
    ("invalid_weight", lambda: validate_weight(1.5)),
    ("invalid_weight", lambda: validate_weight(True)),
    ("invalid_weight", lambda: validate_weight(F(-1, 2))),
]


@pytest.mark.parametrize(("code", "call"), ERRORS)
def test_every_ballot_error_has_a_stable_code_and_a_plain_message(code: str, call: Callable[[], object]) -> None:
    with pytest.raises(BallotError) as caught:
        call()
    assert caught.value.code == code
    message = caught.value.message
    assert message == str(caught.value)
    assert message[0].isupper() and message.endswith(".") and "_" not in message


def test_ballot_error_messages_name_what_is_wrong() -> None:
    with pytest.raises(BallotError) as caught:
        validate_ranking(OPTIONS, ["a", "b", "a"])
    assert caught.value.message == "This ballot ranks “a” more than once." and caught.value.params == {"option": "a"}
    with pytest.raises(BallotError) as caught:
        validate_approval(OPTIONS, ["a", "b", "c"], max_choices=2)
    assert caught.value.message == "Choose at most 2 options; this ballot chooses 3."
    assert caught.value.params == {"maximum": 2, "count": 3}
    with pytest.raises(BallotError) as caught:
        validate_score(OPTIONS, {"b": 9}, 1, 5)
    assert caught.value.message == "The score for “b” must be between 1 and 5; it is 9."
    with pytest.raises(BallotError) as caught:
        validate_dots(OPTIONS, {"a": 4}, 3)
    assert caught.value.message == "Place at most 3 dots; this ballot places 4."


def test_validate_ballot_dispatches_by_kind() -> None:
    assert validate_ballot("single", OPTIONS, "a") == "a"
    assert validate_ballot("approval", OPTIONS, ["a", "b"], max_choices=2) == ("a", "b")
    assert validate_ballot("score", OPTIONS, {"a": 2}, min_score=0, max_score=5) == {"a": 2}
    assert validate_ballot("dots", OPTIONS, {"a": 2, "b": 0}, total_dots=3) == {"a": 2}
    assert validate_ballot("ranked", OPTIONS, ["c", "a"]) == ("c", "a")
    with pytest.raises(BallotError) as caught:
        validate_ballot("dots", OPTIONS, {"a": 5}, total_dots=3)
    assert caught.value.code == "too_many_dots"
    with pytest.raises(ValueError, match="unknown ballot kind"):
        validate_ballot("borda", OPTIONS, ["a"])  # type: ignore[arg-type]


def test_counting_reports_the_position_of_a_bad_ballot() -> None:
    with pytest.raises(BallotError) as caught:
        tally_approval(OPTIONS, [ApprovalBallot(["a"]), ApprovalBallot(["b", "b"])])
    assert caught.value.code == "duplicate_option" and caught.value.index == 1
    with pytest.raises(BallotError) as caught:
        tally_dots(OPTIONS, [DotsBallot({"a": 1}, 0)], dots=3)
    assert caught.value.code == "invalid_weight" and caught.value.index == 0
    with pytest.raises(BallotError) as caught:
        count_irv(OPTIONS, [RankedBallot(["a"]), RankedBallot(["a"]), RankedBallot(["b", "x"])], seed=1)
    assert caught.value.code == "unknown_option" and caught.value.index == 2
    with pytest.raises(BallotError) as caught:
        count_stv(OPTIONS, [RankedBallot(["a", "c"]), RankedBallot(["c", "c"])], 2, seed=1)
    assert caught.value.code == "duplicate_option" and caught.value.index == 1
    with pytest.raises(BallotError) as caught:
        count_stv(OPTIONS, [RankedBallot(["a"]), RankedBallot(["a"], 0)], 2, seed=1)
    assert caught.value.code == "invalid_weight" and caught.value.index == 1


def test_bad_poll_set_up_is_a_programming_error_not_a_ballot_error() -> None:
    with pytest.raises(ValueError, match="unique"):
        tally_single(["a", "a"], [])
    with pytest.raises(ValueError, match="seats"):
        count_stv(["a", "b"], [], 0, seed=1)
    with pytest.raises(TypeError):
        count_irv(["a", "b"], [RankedBallot("ab")], seed=1)


# --- Instant-runoff ----------------------------------------------------------------------------------------


def test_irv_majority_in_round_one() -> None:
    # A 6, B 3, C 2: 11 votes, half is 5.5, A has more -> A wins in round 1, nobody is excluded.
    result = count_irv(["A", "B", "C"], ballots((6, "A"), (3, "BA"), (2, "CB")), seed=1)
    assert result.winners == ("A",)
    assert len(result.rounds) == 1
    first = result.rounds[0]
    assert first.tallies == {"A": 6, "B": 3, "C": 2}
    assert first.threshold == F(11, 2)
    assert [d.candidate for d in first.elected] == ["A"] and first.elected[0].reason == "majority"
    assert first.excluded == () and first.transfer is None
    assert_conserved(result)


def test_irv_several_exclusions_with_transfers_and_exhaustion() -> None:
    # 8 A | 6 B>C | 5 C>B | 4 D>C | 2 D>A            (25 ballots)
    # Round 1: A 8, B 6, C 5, D 6; half of 25 is 12.5, nobody wins; C (5) has fewest -> excluded.
    # Round 2: C's 5 go to B: A 8, B 11, D 6; still no majority; D (6) has fewest -> excluded.
    # Round 3: D>C ballots (4): C is out, nothing after it -> exhausted; D>A (2) -> A.
    #          A 10, B 11, exhausted 4; 21 votes left, half is 10.5, B has 11 -> B wins.
    result = count_irv(["A", "B", "C", "D"], ballots((8, "A"), (6, "BC"), (5, "CB"), (4, "DC"), (2, "DA")), seed=1)
    assert result.winners == ("B",)
    assert [tallies(result, n) for n in (1, 2, 3)] == [
        {"A": 8, "B": 6, "C": 5, "D": 6},
        {"A": 8, "B": 11, "D": 6},
        {"A": 10, "B": 11},
    ]
    assert [r.excluded[0].candidate for r in result.rounds[:2]] == ["C", "D"]
    assert all(r.excluded[0].reason == "lowest" for r in result.rounds[:2])
    second, third = result.rounds[1], result.rounds[2]
    assert second.transfer is not None and second.transfer.candidate == "C"
    assert second.transfer.to == {"A": 0, "B": 5, "D": 0} and second.transfer.exhausted == 0
    assert third.transfer is not None and third.transfer.to == {"A": 2, "B": 0} and third.transfer.exhausted == 4
    assert third.exhausted == 4 and third.active == 21 and third.threshold == F(21, 2)
    assert_conserved(result)


def test_irv_exhausted_ballots_lower_the_majority_threshold() -> None:
    # 4 A | 3 B | 2 C (no further preferences).   9 ballots.
    # Round 1: A 4 is not more than 4.5 -> no winner; C (2) excluded; both C ballots exhaust.
    # Round 2: A 4, B 3, exhausted 2: 7 votes left, half is 3.5, A's 4 is a majority of them -> A wins,
    #          although 4 is less than half of all 9 ballots.
    result = count_irv(["A", "B", "C"], ballots((4, "A"), (3, "B"), (2, "C")), seed=1)
    assert result.winners == ("A",)
    assert result.rounds[0].threshold == F(9, 2) and result.rounds[0].elected == ()
    final = result.rounds[1]
    assert final.exhausted == 2 and final.threshold == F(7, 2) and final.tallies == {"A": 4, "B": 3}
    assert_conserved(result)


def test_irv_tie_for_last_is_broken_backwards() -> None:
    # 7 A | 5 B | 4 C>B | 1 D>C | 2 D                  (19 ballots)
    # Round 1: A 7, B 5, C 4, D 3 -> D excluded (fewest).
    # Round 2: D>C gives C 1, two D ballots exhaust: A 7, B 5, C 5. B and C tie for fewest.
    #          In round 1, the most recent earlier round where they differ, C (4) had fewer than B (5),
    #          so C is excluded.
    # Round 3: C>B (4) -> B; D>C (1) exhausts. A 7, B 9, exhausted 3: 16 left, half 8, B wins.
    result = count_irv(["A", "B", "C", "D"], ballots((7, "A"), (5, "B"), (4, "CB"), (1, "DC"), (2, "D")), seed=1)
    decision = result.rounds[1].excluded[0]
    assert decision.candidate == "C"
    assert decision.reason == "tie_backwards" and decision.tied_with == ("B",) and decision.decided_by_round == 1
    assert "round 1" in decision.explanation
    assert tallies(result, 3) == {"A": 7, "B": 9}
    assert result.winners == ("B",) and not result.lot_used
    assert_conserved(result)


def test_irv_tie_at_every_round_is_broken_by_lot_reproducibly() -> None:
    # 2 A>B | 2 B>A | 3 C: round 1 A 2, B 2, C 3; A and B tie for fewest with no earlier round -> lot.
    # The lot takes r = Random(seed).random() and excludes [A, B][floor(2r)] (candidate order).
    # Round 2: the excluded one's 2 ballots go to the other, who has 4 of 7 and wins.
    profile = ballots((2, "AB"), (2, "BA"), (3, "C"))
    winners = set()
    for seed in range(12):
        result = count_irv(["A", "B", "C"], profile, seed=seed)
        expected_out = ["A", "B"][math.floor(random.Random(seed).random() * 2)]
        decision = result.rounds[0].excluded[0]
        assert decision.candidate == expected_out and decision.reason == "tie_lot"
        assert decision.lot_among == ("A", "B")
        assert result.lot_used and result.seed == seed and result.to_dict()["seed"] == seed
        assert result.winners == (({"A", "B"} - {expected_out}).pop(),)
        assert count_irv(["A", "B", "C"], profile, seed=seed) == result  # same seed, same count
        winners.add(result.winners[0])
    assert winners == {"A", "B"}  # the lot really decides
    assert count_irv(["A", "B", "C"], profile, seed="poll-42") == count_irv(["A", "B", "C"], profile, seed="poll-42")


def test_irv_weights_are_exact() -> None:
    # 2 ballots A of weight 2 -> 4; 3 ballots B -> 3; 1 ballot C>B of weight 3/2.   Total 17/2.
    # Round 1: A 4, B 3, C 3/2; half is 17/4 = 4.25; nobody; C excluded.
    # Round 2: B 3 + 3/2 = 9/2 > 17/4 -> B wins.
    result = count_irv(["A", "B", "C"], ballots((2, "A", 2), (3, "B"), (1, "CB", F(3, 2))), seed=1)
    assert result.total_weight == F(17, 2) and result.ballots == 6
    assert tallies(result, 2) == {"A": 4, "B": F(9, 2)} and result.winners == ("B",)
    data = round_trips_as_json(result.to_dict())
    assert data["rounds"][1]["tallies"]["B"] == {"exact": "9/2", "display": "4.5"}
    assert data["rounds"][0]["threshold"] == {"exact": "17/4", "display": "4.25"}


def test_irv_empty_ballots_are_exhausted_from_the_start_and_reported() -> None:
    result = count_irv(["A", "B"], ballots((3, "A"), (2, "B"), (4, "")), seed=1)
    assert result.empty_ballots == 4 and result.empty_weight == 4 and result.ballots == 9
    assert result.rounds[0].exhausted == 4 and result.rounds[0].threshold == F(5, 2)
    assert result.winners == ("A",)
    nobody = count_irv(["A", "B"], ballots((2, "")), seed=1)
    assert nobody.winners == () and len(nobody.rounds) == 1 and nobody.rounds[0].active == 0


def test_irv_result_is_publishable_as_json() -> None:
    result = count_irv(["A", "B", "C", "D"], ballots((7, "A"), (5, "B"), (4, "CB"), (1, "DC"), (2, "D")), seed=9)
    data = round_trips_as_json(result.to_dict())
    assert data["method"]["name"] == "Instant-runoff voting"
    assert data["winners"] == ["B"] and data["seats"] == 1 and data["quota"] is None
    second = data["rounds"][1]
    assert second["transfer"]["from"] == "D" and second["transfer"]["kind"] == "exclusion"
    assert second["transfer"]["to"]["C"] == {"exact": "1", "display": "1"}
    assert second["excluded"][0]["reason"] == "tie_backwards"


# --- STV: Scottish Weighted Inclusive Gregory Method ----------------------------------------------------------


def test_stv_surplus_transfers_at_truncated_values_then_exclusions() -> None:
    # 3 seats. 8 A>B>C | 2 A>C | 1 A | 2 B | 4 C>E | 3 D>C | 4 E            (24 ballots)
    # Quota (rule 46): floor(24 / 4) + 1 = 7.
    # Stage 1: A 11, B 2, C 4, D 3, E 4. A is elected; surplus 4.
    # Stage 2, A's surplus: transfer value = 4 x 1 / 11 = 0.363636.. -> 0.36363 (5 places, remainder ignored).
    #   8 A>B>C -> B: 8 x 0.36363 = 2.90904;  2 A>C -> C: 0.72726;  1 A -> non-transferable 0.36363.
    #   Moved 3.99993 of 4: 0.00007 lost to truncation. A keeps the quota, 7.
    #   B 4.90904, C 4.72726, D 3, E 4: nobody reaches 7; D has the fewest -> excluded.
    # Stage 3, D excluded: 3 D>C -> C at value 1: C 7.72726 >= 7 -> elected, surplus 0.72726.
    # Stage 4, C's surplus (C received papers at two values):
    #   value 1 (4 C>E, 3 D>C): 0.72726 x 1 / 7.72726 = 0.0941161.. -> 0.09411
    #        4 C>E -> E: 0.37644; 3 D>C have no next preference -> non-transferable 0.28233
    #   value 0.36363 (2 A>C): 0.72726 x 0.36363 / 7.72726 = 0.0342235.. -> 0.03422; no next -> 0.06844
    #   Moved 0.37644 + 0.28233 + 0.06844 = 0.72721: 0.00005 lost. C keeps 7.
    #   B 4.90904, E 4.37644: two continuing for one seat; E has fewer -> excluded.
    # Stage 5, E excluded: 4 E (value 1) and 4 C>E (value 0.09411) have no next preference: 4.37644 exhausted.
    #   B is the only continuing candidate for the one seat left -> elected (rule 52).
    # Check: 7 + 7 + 4.90904 + exhausted (0.36363 + 0.35077 + 4.37644 = 5.09084) + loss 0.00012 = 24.
    result = count_stv(
        list("ABCDE"),
        ballots((8, "ABC"), (2, "AC"), (1, "A"), (2, "B"), (4, "CE"), (3, "DC"), (4, "E")),
        3,
        seed=1,
    )
    assert result.quota == 7 and result.winners == ("A", "C", "B")
    assert result.method == STV_METHOD
    stage = {r.number: r for r in result.rounds}
    assert stage[1].tallies == {"A": 11, "B": 2, "C": 4, "D": 3, "E": 4}
    assert stage[1].surplus_next is not None and stage[1].surplus_next.candidate == "A"
    t2 = stage[2].transfer
    assert t2 is not None and t2.kind == "surplus" and t2.amount == 4
    assert t2.to == {"B": F("2.90904"), "C": F("0.72726"), "D": 0, "E": 0}
    assert t2.exhausted == F("0.36363") and t2.loss == F("0.00007")
    assert [(v.received_at, v.transferred_at, v.papers, v.transferable) for v in t2.values] == [
        (1, F("0.36363"), 11, 10)
    ]
    assert stage[2].tallies == {"A": 7, "B": F("4.90904"), "C": F("4.72726"), "D": 3, "E": 4}
    assert stage[2].excluded[0].candidate == "D"
    assert stage[3].tallies["C"] == F("7.72726") and stage[3].elected[0].reason == "reached_quota"
    t4 = stage[4].transfer
    assert t4 is not None and t4.candidate == "C" and t4.amount == F("0.72726")
    assert [(v.received_at, v.transferred_at, v.papers, v.transferable) for v in t4.values] == [
        (1, F("0.09411"), 7, 4),
        (F("0.36363"), F("0.03422"), 2, 0),
    ]
    assert t4.to == {"B": 0, "E": F("0.37644")}
    assert t4.exhausted == F("0.35077") and t4.loss == F("0.00005")
    assert stage[4].excluded[0].candidate == "E"
    assert stage[5].elected[0].candidate == "B" and stage[5].elected[0].reason == "filled_remaining_seats"
    assert stage[5].tallies == {"A": 7, "B": F("4.90904"), "C": 7}
    assert stage[5].exhausted == F("5.09084") and stage[5].loss == F("0.00012")
    assert_conserved(result)
    data = round_trips_as_json(result.to_dict())
    assert data["quota"] == {"exact": "7", "display": "7"}
    assert data["rounds"][3]["transfer"]["values"][1]["transferred_at"] == {"exact": "1711/50000", "display": "0.03422"}


def test_stv_published_example_food_election() -> None:
    # Wikipedia, "Single transferable vote", section "Example" (also mirrored at
    # https://www.liquisearch.com/single_transferable_vote/example): 20 guests choose 3 foods.
    # 4 Oranges | 2 Pears>Oranges | 8 Chocolate>Strawberries | 4 Chocolate>Sweets | 1 Strawberries | 1 Sweets
    # Droop quota floor(20 / 4) + 1 = 6. Round 1: Chocolate 12 elected. Round 2: Chocolate's surplus 6 moves
    # at 6/12 = 0.5: Strawberries 1 + 4 = 5, Sweets 1 + 2 = 3; nobody reaches 6; Pears (2) excluded.
    # Round 3: Pears -> Oranges 6, elected exactly at the quota (no surplus). Sweets (3) excluded.
    # Round 4: Strawberries is the last continuing candidate for the last seat.
    # Published result: Chocolate, Oranges and Strawberries.
    foods = ["Oranges", "Pears", "Chocolate", "Strawberries", "Sweets"]
    result = count_stv(
        foods,
        ballots(
            (4, ["Oranges"]),
            (2, ["Pears", "Oranges"]),
            (8, ["Chocolate", "Strawberries"]),
            (4, ["Chocolate", "Sweets"]),
            (1, ["Strawberries"]),
            (1, ["Sweets"]),
        ),
        3,
        seed=1,
    )
    assert result.quota == 6
    assert result.winners == ("Chocolate", "Oranges", "Strawberries")
    assert tallies(result, 2) == {"Oranges": 4, "Pears": 2, "Chocolate": 6, "Strawberries": 5, "Sweets": 3}
    assert result.rounds[1].excluded[0].candidate == "Pears"
    assert tallies(result, 3)["Oranges"] == 6 and result.rounds[2].excluded[0].candidate == "Sweets"
    assert_conserved(result)


# Green Party of the United States, Steering Committee election 2005-07-24: 94 ballots, 13 candidates,
# 4 seats. Ballot data from the Droop project (github.com/jklundell/droop, test/blt/SC.blt); its count
# under the Scottish rules is published stage by stage in test/ref/dump/SC-scotland-fixed-p5-d5.txt.
# Each line below is one ballot, candidates by number, most preferred first.
GPUS_CANDIDATES = [
    "Dickinson",
    "Mookerjee",
    "Sevigny",
    "LaMarche",
    "Piacsek",
    "Write-in 2",
    "Rotzler",
    "Olsen",
    "Jones",
    "Write-in 1",
    "Greenfield",
    "Leas",
    "Kramer",
]
GPUS_BALLOTS = """
7 8 9 11 12|7 8 9 11 12|13 7 5 4 2 1|5 13 2 7 4 1|13 4 1 2|4 2 13 1 3|4 13 2 7|7 8 12 1 13 9 2 4 11 5
1 13 3 4 7 5 2|4 1 13 7 3 5 2|4 1 13 7 3 5 2|1 4 13 2 7 5 3 9 8 12 11|7 1 8 9 13 3 2 4 12 5 11|7 8 9 11 12
7 1 8 9 13 3 2 4 12 5 11|7 8 9 11 12|7 8 9 11 12|7 8 9 11 12|5 1 13 3 2 4 7|7 8 9 3 12 2 13 5 1 4|3 13 1 2
3 13 1 2|4 7 13 5|4 5 13 3 2 1|7 8 9 11 12|7 9 8 12 11 2 13|7 8 9 11 12|7 8 9 11 12|4 3 13 1|4 3 13 1
13 3 4 1 7 2 5|3 13 4 1 7 2 5|13 3 4 1 2 5 7|13 1 4 2 5 3 7|13 4 3 1 2 5|3 13 1 4 2 7 5|4 3 13 8|4 3 13 1
1 4 13 7|1 4 13 7|7 3 4 13 1 5|9 11 8 7|7 8 9 11 12|13 3 5 2|4 5 2 3 13|13 5 2 4 1 3 7|13 5 2 1 7 3 8
7 8 9 12 11|7 8 4 9 12|13 4 7 2 8|4 13 2 7 1 8|7 8 11 9 12|8 4 7 11 13 9|7 4 2 13|13 1 7 4|4 1 2 13 9 5
1 4 13 5 3 2|7 5 4 8 11 2 13 1 3 9 12|4 8 7 5 13 2 1 3 9|3 4 7 2 12 13 8 1 5|7 8 9 11 12|7 8 11 9|7 8 11 9
7 8 9 11 12|7 8 9 11 12|7 8 9 11 12|13 2 4 7 5 1|7 8 9 11 12|7 8 9 11|7 8 9 11 12|2 7 8 12 13 11 1 5 9
4 7 8 2|4 13 5 2 1 3|13 4 7 3 1 5 8 2 9|4 3 13 1 7|13 4 1 3|4 1 13 3 2 7 8|2 4 13 5|2 3 4 1 13 7|3 1 4 13
4 3 1 2 11|3 1 4 13 2 7|4 1 2 8 3|4 1 5 13 2 3|4 1 5 13 2 3|7 8 9 11 12|7 8 9 11 12|13 7 3 2 5 4 1
13 5 7 2 4 1|7 8 9 11 12|1 13 3 7 2 4 5|13 1 2 7 4 5 3|13 1 2 7 4 5 3|3 1 4 2 13 7 9 5 8
"""


def gpus_ballots() -> list[RankedBallot]:
    lines = GPUS_BALLOTS.replace("\n", "|").strip("|").split("|")
    return [RankedBallot([GPUS_CANDIDATES[int(n) - 1] for n in line.split()]) for line in lines]


def test_stv_reproduces_the_published_scottish_count_of_the_gpus_2005_election() -> None:
    result = count_stv(GPUS_CANDIDATES, gpus_ballots(), 4, seed=2005)
    assert result.ballots == 94 and result.quota == 19  # floor(94 / 5) + 1
    # Stage by stage, candidates still holding votes, as published (zero-vote candidates left out: the
    # reference breaks their all-zero ties by its own lot, which moves no votes).
    published: list[dict[str, str | None]] = [
        # stage 1: first preferences. Rotzler 33 and LaMarche 22 reach the quota.
        {
            "Dickinson": "6",
            "Mookerjee": "3",
            "Sevigny": "8",
            "LaMarche": "22",
            "Piacsek": "2",
            "Rotzler": "33",
            "Olsen": "1",
            "Jones": "1",
            "Kramer": "18",
        },
        # Rotzler's surplus 14 (largest first): 14/33 = 0.424242.. -> 0.42424 per paper; 27 papers go to Olsen.
        {
            "Dickinson": "6.84848",
            "Mookerjee": "3.42424",
            "Sevigny": "8.42424",
            "LaMarche": "22",
            "Piacsek": "2.42424",
            "Rotzler": "19",
            "Olsen": "12.45448",
            "Jones": "1.42424",
            "Kramer": "18",
        },
        # LaMarche's surplus 3: 3/22 = 0.136363.. -> 0.13636 per paper.
        {
            "Dickinson": "7.80300",
            "Mookerjee": "3.56060",
            "Sevigny": "9.24240",
            "LaMarche": "19",
            "Piacsek": "2.69696",
            "Rotzler": "19",
            "Olsen": "12.72720",
            "Jones": "1.42424",
            "Kramer": "18.54544",
        },
    ]
    unchanged = published[-1]
    published += [unchanged] * 4  # stages 4-7: the four candidates with no votes are excluded one by one
    published += [
        {**unchanged, "Olsen": "14.15144", "Jones": None},  # stage 8: Jones excluded
        # stage 9: Piacsek excluded; Kramer reaches 19.68180 and is elected
        {
            **unchanged,
            "Dickinson": "8.80300",
            "Mookerjee": "3.69696",
            "Olsen": "14.57568",
            "Kramer": "19.68180",
            "Jones": None,
            "Piacsek": None,
        },
    ]
    before = published[-1]
    published += [
        # stage 10: Kramer's surplus 0.68180, papers at values 1, 0.42424 and 0.13636 each re-valued
        {**before, "Dickinson": "9.01084", "Mookerjee": "3.95360", "Sevigny": "9.45496", "Kramer": "19"},
    ]
    before = published[-1]
    published += [
        {**before, "Dickinson": "9.36448", "Sevigny": "10.59132", "Olsen": "15.61032", "Mookerjee": None},
    ]
    before = published[-1]
    published += [{**before, "Sevigny": "16.62204", "Olsen": "16.59988", "Dickinson": None}]
    before = published[-1]
    published += [{**before, "Sevigny": "18.59172", "Olsen": None}]  # stage 13: Olsen excluded
    # Non-transferable papers, cumulative, as published at stages 10 to 13.
    non_transferable = {10: "0.00472", 11: "1.43368", 12: "3.77788", 13: "18.40808"}

    assert len(result.rounds) == len(published) == 13
    for rnd, expected in zip(result.rounds, published, strict=True):
        shown = {c: v for c, v in rnd.tallies.items() if v}
        assert shown == {c: F(v) for c, v in expected.items() if v is not None}, rnd.number
        if rnd.number in non_transferable:
            assert rnd.exhausted == F(non_transferable[rnd.number]), rnd.number
    assert [r.transfer.candidate for r in result.rounds[1:3] if r.transfer] == ["Rotzler", "LaMarche"]
    assert result.rounds[9].transfer is not None and result.rounds[9].transfer.kind == "surplus"
    assert result.winners == ("Rotzler", "LaMarche", "Kramer", "Sevigny")
    assert result.rounds[-1].elected[0].reason == "filled_remaining_seats"
    # Lost to truncation (reported separately from non-transferable papers): 14 - 33 x 0.42424 = 0.00008,
    # 3 - 22 x 0.13636 = 0.00008, and 0.00004 at Kramer's surplus.
    assert result.rounds[-1].loss == F("0.0002")
    assert_conserved(result)


def test_stv_tied_surpluses_and_a_three_way_tie_for_exclusion() -> None:
    # 3 seats. 5 A>C | 5 B>D | 1 C | 1 D | 2 E    (14 ballots); quota floor(14 / 4) + 1 = 4.
    # Stage 1: A 5, B 5 both elected with equal surpluses of 1, equal at every stage -> lot (rule 49(3)).
    # Each surplus moves 5 papers at 1/5 = 0.2 to C (from A) or D (from B).
    # After both: C 2, D 2, E 2 tie for exclusion. Rule 51: the most recent earlier stage where they differ is
    # the one after the first surplus: if A's went first, D had 1 there (C 2, E 2) -> D is excluded;
    # if B's went first, C had 1 -> C is excluded. Then the last two still tie (2 each) and stage 1 decides
    # (C 1 or D 1 against E 2): the other of C/D is excluded, and E is elected to the last seat.
    result = count_stv(list("ABCDE"), ballots((5, "AC"), (5, "BD"), (1, "C"), (1, "D"), (2, "E")), 3, seed=3)
    first = result.rounds[0]
    assert first.surplus_next is not None and first.surplus_next.reason == "tie_lot"
    assert set(first.surplus_next.lot_among) == {"A", "B"}
    went_first = first.surplus_next.candidate
    other = "B" if went_first == "A" else "A"
    assert result.rounds[1].surplus_next is not None and result.rounds[1].surplus_next.candidate == other
    assert result.rounds[1].surplus_next.reason == "largest_surplus"
    exclusion = result.rounds[2].excluded[0]
    assert exclusion.reason == "tie_backwards" and exclusion.decided_by_round == 2
    assert exclusion.candidate == ("D" if went_first == "A" else "C")
    assert set(exclusion.tied_with) == {"C", "D", "E"} - {exclusion.candidate}
    last = result.rounds[3].excluded[0]
    assert last.reason == "tie_backwards" and last.decided_by_round == 1 and last.candidate in {"C", "D"}
    assert result.winners == ("A", "B", "E") and result.lot_used
    assert_conserved(result)


def test_stv_fewer_candidates_than_seats_elects_them_all() -> None:
    result = count_stv(["A", "B"], ballots((3, "AB"), (1, "B")), 3, seed=1)
    assert result.winners == ("A", "B") and len(result.rounds) == 1
    assert {d.reason for d in result.rounds[0].elected} <= {"reached_quota", "filled_remaining_seats"}
    empty = count_stv(["A", "B"], [], 1, seed=1)
    assert empty.winners == () and empty.quota == 1


def test_stv_weights_count_as_that_many_papers() -> None:
    # A ballot of weight 2 counts as two papers: 1 A>B of weight 2, 1 A>C, 1 B, 1 C -> 5 papers, 2 seats.
    # Quota floor(5 / 3) + 1 = 2. A 3 elected, surplus 1; 1/3 -> 0.33333 per paper:
    # B gets 2 x 0.33333 = 0.66666, C 0.33333; 0.00001 lost. B 1.66666, C 1.33333 -> C excluded, B elected.
    result = count_stv(["A", "B", "C"], ballots((1, "AB", 2), (1, "AC"), (1, "B"), (1, "C")), 2, seed=1)
    assert result.total_weight == 5 and result.quota == 2
    assert tallies(result, 2) == {"A": 2, "B": F("1.66666"), "C": F("1.33333")}
    assert result.rounds[1].loss == F("0.00001")
    assert result.winners == ("A", "B")
    assert_conserved(result)


def test_stv_empty_ballots_are_reported_and_not_valid_papers_for_the_quota() -> None:
    result = count_stv(["A", "B", "C"], ballots((4, "A"), (3, "B"), (2, "C"), (5, "")), 2, seed=1)
    assert result.empty_ballots == 5 and result.quota == 4  # floor(9 / 3) + 1, the 5 empty ones left out
    assert result.rounds[0].exhausted == 5
    assert_conserved(result)


def test_stv_with_one_seat_is_irv_on_the_same_ballots() -> None:
    profiles = [
        ballots((8, "A"), (6, "BC"), (5, "CB"), (4, "DC"), (2, "DA")),
        ballots((7, "A"), (5, "B"), (4, "CB"), (1, "DC"), (2, "D")),
        ballots((4, "A"), (3, "B"), (2, "C")),
    ]
    for profile in profiles:
        candidates = sorted({c for b in profile for c in b.ranking})
        irv = count_irv(candidates, profile, seed=5)
        stv = count_stv(candidates, profile, 1, seed=5)
        assert stv.winners == irv.winners
        for a, b in zip(irv.rounds, stv.rounds, strict=False):
            assert a.tallies == {c: v for c, v in b.tallies.items() if c in a.tallies}


# --- Properties on random ballots ------------------------------------------------------------------------


def random_profile(rng: random.Random) -> tuple[list[str], list[RankedBallot]]:
    candidates = [f"c{i}" for i in range(rng.randint(1, 7))]
    weights: list[int | Fraction] = [1, 1, 1, 2, F(1, 2), F(2, 3)]
    profile = []
    for _ in range(rng.randint(0, 60)):
        ranking = rng.sample(candidates, rng.randint(0, len(candidates)))
        profile.append(RankedBallot(ranking, rng.choice(weights)))
    return candidates, profile


def test_properties_on_random_ballots() -> None:
    rng = random.Random(20240601)
    for _ in range(300):
        candidates, profile = random_profile(rng)
        total = sum((F(b.weight) for b in profile), F(0))
        seed = rng.randint(0, 10**6)

        irv = count_irv(candidates, profile, seed=seed)
        assert irv.total_weight == total
        assert_conserved(irv)
        assert all(r.loss == 0 for r in irv.rounds)
        final = irv.rounds[-1]
        if irv.winners:
            (winner,) = irv.winners
            # The winner beats everyone in the final round, with more than half of the votes left.
            assert all(final.tallies[winner] > v for c, v in final.tallies.items() if c != winner)
            assert final.tallies[winner] > final.active / 2
        else:
            assert final.active == 0
        for rnd in irv.rounds[1:]:
            assert rnd.transfer is not None
            assert sum(rnd.transfer.to.values(), F(0)) + rnd.transfer.exhausted == rnd.transfer.amount

        for seats in (1, 2, 3):
            stv = count_stv(candidates, profile, seats, seed=seed)
            assert_conserved(stv)
            valid = total - stv.empty_weight
            assert len(stv.winners) == (min(seats, len(candidates)) if valid else 0)
            assert len(set(stv.winners)) == len(stv.winners)
            surpluses = 0
            for rnd in stv.rounds:
                if rnd.transfer is not None and rnd.transfer.kind == "surplus":
                    surpluses += 1
                # Truncation loses less than 0.00001 per paper at each surplus transfer.
                assert 0 <= rnd.loss <= surpluses * total * F(1, 100_000)
                if rnd.transfer is not None:
                    moved = sum(rnd.transfer.to.values(), F(0)) + rnd.transfer.exhausted + rnd.transfer.loss
                    assert moved == rnd.transfer.amount
            if seats == 1:
                assert stv.winners == irv.winners
        round_trips_as_json(stv.to_dict())
        round_trips_as_json(irv.to_dict())


# --- 100,000 ballots ------------------------------------------------------------------------------------------


def test_irv_counts_100000_ballots_grouped_by_ranking() -> None:
    # 10 candidates. 34,000 rank C0 first; 33,000 rank C1 first then C0; 33,000 rank one of C2..C9 first and
    # C1 second. Later preferences are random (tens of thousands of distinct rankings). C0 leads round 1
    # with 34,000, but C2..C9 are excluded one by one and every one of their ballots goes to C1:
    # C1 ends with 66,000 against 34,000.
    rng = random.Random(100_000)
    candidates = [f"C{i}" for i in range(10)]

    def tail(*exclude: str) -> list[str]:
        rest = [c for c in candidates if c not in exclude]
        rng.shuffle(rest)
        return rest[: rng.randint(0, len(rest))]

    profile = [RankedBallot(["C0", *tail("C0")]) for _ in range(34_000)]
    profile += [RankedBallot(["C1", "C0", *tail("C0", "C1")]) for _ in range(33_000)]
    for i in range(33_000):
        first = candidates[2 + i % 8]
        profile.append(RankedBallot([first, "C1", *tail(first, "C1")]))
    assert len({tuple(b.ranking) for b in profile}) > 20_000

    result = count_irv(candidates, profile, seed=1)
    assert result.ballots == 100_000
    assert tallies(result, 1)["C0"] == 34_000 and tallies(result, 1)["C1"] == 33_000
    assert result.winners == ("C1",)
    final = result.rounds[-1]
    assert final.tallies["C1"] > final.active / 2 and final.tallies["C1"] > final.tallies["C0"] == 34_000
    assert_conserved(result)


def test_stv_counts_100000_ballots_for_three_seats() -> None:
    # Quota floor(100,000 / 4) + 1 = 25,001. A 40,000 (A>B...) and C 26,000 are elected at stage 1.
    # A's surplus 14,999 moves at 14,999 / 40,000 = 0.374975 -> 0.37497 per paper: B 5,000 + 14,998.8.
    # D 14,000 then collects the 15,000 ballots of E..J (each ranks D second) as they are excluded and
    # passes the quota; B stays below it. Elected: A, C, D.
    rng = random.Random(3)
    candidates = list("ABCDEFGHIJ")

    def tail(*exclude: str) -> list[str]:
        rest = [c for c in candidates if c not in exclude]
        rng.shuffle(rest)
        return rest[: rng.randint(0, 4)]

    profile = [RankedBallot(["A", "B", *tail("A", "B")]) for _ in range(40_000)]
    profile += [RankedBallot(["C", *tail("C", "D")]) for _ in range(26_000)]
    profile += [RankedBallot(["D", *tail("D")]) for _ in range(14_000)]
    profile += [RankedBallot(["B", *tail("B", "D")]) for _ in range(5_000)]
    profile += [RankedBallot([c, "D", *tail(c, "D")]) for c in "EFGHIJ" for _ in range(2_500)]

    result = count_stv(candidates, profile, 3, seed=1)
    assert result.quota == 25_001
    assert result.winners == ("A", "C", "D")
    second = result.rounds[1]
    assert second.transfer is not None and second.transfer.candidate == "A"
    assert second.transfer.values[0].transferred_at == F("0.37497")
    assert second.transfer.to["B"] == 40_000 * F("0.37497")
    assert_conserved(result)
