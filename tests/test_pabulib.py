"""Reading and writing the Pabulib .pb format: real files, round trips, and malformed files naming the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copro.analysis import pabulib as pb

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pabulib"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"real Pabulib files not found at {DATA}")
FILES = sorted(p.name for p in DATA.glob("*.pb")) if DATA.is_dir() else []


def slow_parse(data: bytes) -> pb.PbInstance:
    """Parse with the row-by-row VOTES reader instead of the vectorised one."""
    fast = pb._votes_fast
    pb._votes_fast = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        return pb.parse_pb(data)
    finally:
        pb._votes_fast = fast


# --- real files ------------------------------------------------------------------------------------------


@needs_data
@pytest.mark.parametrize("name", FILES)
def test_real_file_reads_like_the_row_by_row_reader_and_round_trips(name):
    data = (DATA / name).read_bytes()
    instance = pb.parse_pb(data)
    assert len(instance.projects) == int(instance.meta["num_projects"])
    assert len(instance.votes) == int(instance.meta["num_votes"])
    assert not isinstance(instance.votes._source, dict)  # the vectorised path read it
    assert slow_parse(data) == instance
    assert pb.parse_pb(pb.write_pb(instance)) == instance


@needs_data
@pytest.mark.parametrize("name", [n for n in FILES if "Lodz" not in n])  # pabutools needs 3.4 s for Łódź
def test_real_file_ballots_match_pabutools(name):
    from pabutools.election import parse_pabulib

    instance = pb.read_pb(DATA / name)
    p_instance, profile = parse_pabulib(str(DATA / name))
    assert {p.id: p.cost for p in instance.projects} == {p.name: int(p.cost) for p in p_instance}
    assert instance.budget == int(p_instance.budget_limit)
    assert len(instance.votes) == len(profile)
    for mine, theirs in zip(instance.votes, profile, strict=True):
        if mine.points is None:
            assert set(mine.projects) == {p.name for p in theirs}
        else:
            assert dict(zip(mine.projects, mine.points, strict=True)) == {p.name: int(v) for p, v in theirs.items()}


@needs_data
def test_lodz_details():
    instance = pb.read_pb(DATA / "Poland_Lodz_2022.pb")
    assert instance.vote_type == "approval"
    assert instance.rule == "greedy-threshold"
    assert instance.threshold == 100
    assert instance.budget == 6_112_868
    first = instance.votes[0]
    assert first == pb.PbVote("1401204197", ("L005", "L007", "L008"), None, {"age": "53", "sex": "F",
                                                                             "voting_method": "internet"})  # fmt: skip
    assert instance.votes[-1].voter_id == instance.votes.voter_ids[-1]
    # A quoted project name with doubled quotes inside.
    assert instance.project("L132").name.endswith("''od przedszkola do senora\"")
    assert sum(p.selected == 1 for p in instance.projects) == 16


@needs_data
def test_toulouse_costs_written_as_decimals_are_whole_amounts():
    instance = pb.read_pb(DATA / "France_Toulouse_2022.pb")
    assert instance.project("116").cost == 4000  # "4000.0" in the file
    assert all(p.selected is None for p in instance.projects)  # no selected column


@needs_data
def test_cumulative_points():
    instance = pb.read_pb(DATA / "Poland_Czestochowa_2024_Tysiaclecie.pb")
    assert instance.vote_type == "cumulative"
    vote = instance.votes[1]
    assert (vote.voter_id, vote.projects, vote.points) == ("36", ("378", "619"), (5, 5))
    assert vote.extra == {"sex": "F", "voting_method": "internet"}
    # Every ballot spends at most META max_sum_points.
    pts = instance.votes.points
    sums = np.add.reduceat(pts, instance.votes.indptr[:-1]) if len(pts) else pts
    assert sums.max() <= int(instance.meta["max_sum_points"])


# --- building, writing, round trips ----------------------------------------------------------------------


def test_round_trip_of_a_finished_vote():
    instance = pb.build_instance(
        budget=50_000,
        projects=[("1", 20_000, 'Benches; "new" ones'), ("2", 30_000, "Trees"), ("3", 5_000, "Lights")],
        ballots=[{"1", "2"}, ["3"], set(), ["2", "3", "1"]],
        voter_ids=["a", "b", "c", "d"],
        meta={"description": "Copro test", "country": "Wales", "unit": "Cardiff", "instance": "2026"},
        rule="equalshares/add1",
    )
    text = pb.write_pb(instance)
    assert '"Benches; ""new"" ones"' in text
    again = pb.parse_pb(text)
    assert again == instance
    assert again.votes[3].projects == ("2", "3", "1")
    assert again.votes[2].projects == ()
    assert again.meta["num_votes"] == "4"
    assert again.budget == 50_000
    assert again.rule == "equalshares/add1"


def test_round_trip_cumulative_with_extra_columns():
    projects = [pb.PbProject("A", 10, "Park", {"category": "green,play"}, 1), pb.PbProject("B", 20, "Road", {}, 0)]
    instance = pb.build_instance(
        budget=25, projects=projects, ballots=[{"A": 3, "B": 7}, {"B": 10}], vote_type="cumulative"
    )
    again = pb.parse_pb(pb.write_pb(instance))
    assert again == instance
    assert again.project("A").extra == {"category": "green,play"}
    assert again.project("A").selected == 1
    assert list(again.votes.points) == [3, 7, 10]


def test_round_trip_without_ballots():
    # An open vote exports its projects with an empty VOTES section.
    instance = pb.build_instance(budget=10, projects=[("1", 5, "A")], ballots=[])
    again = pb.parse_pb(pb.write_pb(instance))
    assert again == instance
    assert len(again.votes) == 0
    assert pb.parse_pb(pb.write_pb(instance).rstrip("\n")) == instance  # no newline after the header


def test_build_refuses_ids_that_cannot_be_written():
    with pytest.raises(ValueError, match="cannot be written"):
        pb.build_instance(budget=1, projects=[("a,b", 1)], ballots=[])


def test_votes_with_quotes_spaces_and_crlf_use_the_row_by_row_reader():
    text = (
        "\ufeffMETA\r\nkey;value\r\nbudget;100\r\nvote_type;approval\r\n"
        "PROJECTS\r\nproject_id;cost;name\r\nx1;50;A\r\nx2;60;B\r\n"
        'VOTES\r\nvoter_id;vote;note\r\n1; x1 , x2 ;"said ""hi"""\r\n2;x2;\r\n\r\n'
    )
    instance = pb.parse_pb(text)
    assert [v.projects for v in instance.votes] == [("x1", "x2"), ("x2",)]
    assert instance.votes[0].extra == {"note": 'said "hi"'}
    assert pb.parse_pb(pb.write_pb(instance)) == instance


# --- malformed files: each error names its line ----------------------------------------------------------

GOOD = """META
key;value
budget;100
vote_type;approval
PROJECTS
project_id;cost;name
1;50;A
2;60;B
VOTES
voter_id;vote
v1;1,2
v2;2
"""


def error_for(text: str) -> pb.PbFormatError:
    with pytest.raises(pb.PbFormatError) as info:
        pb.parse_pb(text)
    return info.value


def test_good_file_parses():
    assert len(pb.parse_pb(GOOD).votes) == 2


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        # No PROJECTS section: reported where VOTES starts, since PROJECTS must come before it.
        ("META\nkey;value\nbudget;100\nvote_type;approval\nVOTES\nvoter_id;vote\nv1;1\n", 5, "no PROJECTS"),
        (GOOD.replace("v1;1,2", "v1;1,7"), 11, "unknown project '7'"),
        (GOOD.replace("2;60;B", "2;sixty;B"), 8, "cost of project '2' 'sixty' is not a number"),
        (GOOD.replace("2;60;B", "2;60.5;B"), 8, "not a whole number"),
        (GOOD.replace("2;60;B", "2;1,000;B"), 8, "ambiguous"),
        (GOOD.replace("2;60;B", "1;60;B"), 8, "project_id '1' appears twice (first on line 7)"),
        (GOOD.replace("project_id;cost;name", "project_id;price;name"), 6, "no 'cost' column"),
        (GOOD.replace("voter_id;vote", "voter_id;ballot"), 10, "no 'vote' column"),
        (GOOD.replace("project_id;cost;name", "project_id,cost,name"), 6, "not ','"),
        (GOOD.replace("1;50;A", "1,50,A"), 7, "has no ';' but has ','"),
        (GOOD.replace("v2;2", "v2,2"), 12, "has no ';' but has ','"),
        (GOOD.replace("budget;100", "budget,100"), 3, "uses ','"),
        (GOOD.replace("v2;2", "v2;2;x"), 12, "3 fields"),
        (GOOD.replace("v1;1,2", "v1;1,2,1"), 11, "lists project '1' twice"),
        (GOOD.replace("vote_type;approval", "vote_type;rainbow"), 4, "vote_type is 'rainbow'"),
        (GOOD.replace("budget;100\n", ""), 1, "META has no 'budget'"),
        (GOOD.replace("budget;100", "budget;lots"), 3, "budget 'lots' is not a number"),
        (GOOD + "PROJECTS\nproject_id;cost\n", 13, "second PROJECTS section (the first is on line 5)"),
        ("hello\n" + GOOD, 1, "before the first section"),
        ("nothing here\n", 1, "expected a META"),
    ],
)
def test_malformed_file_names_the_line(text, line, words):
    error = error_for(text)
    assert error.line == line, str(error)
    assert words in str(error)
    assert str(error).startswith(f"line {line}: ")


def test_cumulative_points_errors():
    text = GOOD.replace("vote_type;approval", "vote_type;cumulative")
    assert "no 'points' column" in str(error_for(text))
    text = text.replace("voter_id;vote\nv1;1,2\nv2;2", "voter_id;vote;points\nv1;1,2;3\nv2;2;x")
    error = error_for(text)
    assert error.line == 11
    assert "1 values in 'points'" in str(error)
    error = error_for(text.replace("v1;1,2;3", "v1;1,2;3,4"))
    assert error.line == 12
    assert "points 'x' is not a number" in str(error)


def test_lazy_columns():
    text = GOOD.replace("voter_id;vote\nv1;1,2\nv2;2", "voter_id;vote;age\nv1;1,2;40\nv2;2;17")
    votes = pb.parse_pb(text).votes
    assert votes.voter_ids == ["v1", "v2"]
    assert votes.column("age") == ["40", "17"]
    assert votes[1] == pb.PbVote("v2", ("2",), None, {"age": "17"})
    assert list(votes.indptr) == [0, 2, 3]
    with pytest.raises(KeyError):
        votes.column("vote")
