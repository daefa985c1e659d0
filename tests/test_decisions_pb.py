"""Real city elections through the whole app: import a .pb file on the page, open, close, and publish
exactly the projects that really won; export the finished vote; bad files get the line named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from copro.analysis import pabulib
from copro.decisions import services
from copro.decisions.models import Ballot, Decision

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pabulib"


def pb_file(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is given to every CI run)")
    return path


def upload(world, name: str, data: bytes):  # type: ignore[no-untyped-def]
    closes = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    return world.client("facilitator").post(
        f"/p/{world.project.slug}/decisions/import/",
        {"file": SimpleUploadedFile(name, data, content_type="text/plain"), "closes_at": closes},
    )


@pytest.mark.parametrize(
    "name", ["Netherlands_Assen_2024.pb", "Poland_Swiecie_2023.pb", "Poland_Czestochowa_2024_Tysiaclecie.pb"]
)
def test_an_imported_real_election_counts_to_the_projects_that_really_won(world, name):
    path = pb_file(name)
    instance = pabulib.read_pb(path)
    response = upload(world, name, path.read_bytes())
    assert response.status_code == 302, response.content.decode()[:2000]
    d = Decision.objects.get(kind="budget")
    assert d.options.count() == len(instance.projects)
    assert Ballot.objects.filter(decision=d, channel="import").count() == len(instance.votes)
    services.decision_open(user=world.facilitator, decision=d)
    services.decision_close(user=world.facilitator, decision=d)
    d.refresh_from_db()
    winners = {p.id for p in instance.projects if p.selected == 1}
    assert set(d.result["winners"]) == winners
    assert d.participation == {
        "total": len(instance.votes),
        "by_channel": {"import": len(instance.votes)},
        "offline": len(instance.votes),
        "online": 0,
    }
    page = world.client("anonymous").get(f"/p/{world.project.slug}/decisions/{d.pk}/").content.decode()
    assert "Funded" in page and "Not funded" in page


def test_a_finished_vote_exports_as_a_pb_file_that_reads_back(world):
    path = pb_file("Netherlands_Assen_2024.pb")
    upload(world, "assen.pb", path.read_bytes())
    d = Decision.objects.get(kind="budget")
    services.decision_open(user=world.facilitator, decision=d)
    before = world.client("anonymous").get(f"/p/{world.project.slug}/decisions/{d.pk}/export.pb")
    assert before.status_code == 200
    assert len(pabulib.parse_pb(before.content).votes) == 0, "no ballots are published while the vote is open"
    services.decision_close(user=world.facilitator, decision=d)
    d.refresh_from_db()
    exported = pabulib.parse_pb(
        world.client("anonymous").get(f"/p/{world.project.slug}/decisions/{d.pk}/export.pb").content
    )
    original = pabulib.read_pb(path)
    assert exported.budget == original.budget and len(exported.votes) == len(original.votes)
    assert {p.id for p in exported.projects if p.selected == 1} == set(d.result["winners"])
    assert sorted(sorted(v.projects) for v in exported.votes) == sorted(sorted(v.projects) for v in original.votes)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("META\nkey;value\nbudget;100\nvote_type;approval\nVOTES\nvoter_id;vote\n1;1\n", None),
        (
            "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;abc\nVOTES\nvoter_id;vote\n",
            7,
        ),
        (
            "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;50\nVOTES\nvoter_id;vote\n"
            "1;9\n",
            10,
        ),
        ("META\nkey,value\nbudget,100\nPROJECTS\nproject_id,cost\n1,50\nVOTES\nvoter_id,vote\n", 2),
    ],
    ids=["missing PROJECTS", "non-numeric cost", "unknown project in a vote", "comma separator"],
)
def test_a_malformed_pb_file_is_refused_with_the_line_and_nothing_is_created(world, text, line):
    response = upload(world, "bad.pb", text.encode())
    html = response.content.decode()
    assert response.status_code == 400 and "could not be read" in html
    if line is not None:
        assert f"line {line}" in html
    assert not Decision.objects.exists() and not Ballot.objects.exists()


def test_only_facilitators_import(world):
    for persona in ("participant", "observer"):
        assert world.client(persona).get(f"/p/{world.project.slug}/decisions/import/").status_code == 403
    assert world.client("outsider").get(f"/p/{world.private_project.slug}/decisions/import/").status_code == 404


def test_imported_ballots_meet_the_same_rules_as_ballots_cast_here(world):
    text = (
        "META\nkey;value\nbudget;100\nvote_type;cumulative\nmax_sum_points;10\nrule;greedy\n"
        "PROJECTS\nproject_id;cost\n1;50\n2;60\nVOTES\nvoter_id;vote;points\nv1;1,2;-30,4\n"
    )
    response = upload(world, "negative.pb", text.encode())
    html = response.content.decode()
    assert response.status_code == 400 and "v1" in html and "0 or more" in html
    assert not Decision.objects.exists()


def test_an_unknown_counting_rule_in_a_file_is_refused_not_guessed(world):
    text = (
        "META\nkey;value\nbudget;100\nvote_type;approval\nrule;equalshares/utilitarian\n"
        "PROJECTS\nproject_id;cost\n1;50\nVOTES\nvoter_id;vote\n"
    )
    response = upload(world, "rule.pb", text.encode())
    assert response.status_code == 400 and "equalshares/utilitarian" in response.content.decode()
    assert not Decision.objects.exists()


def test_the_export_lists_ballots_in_a_canonical_order_not_the_order_of_voting(world):
    d = services.decision_create(
        user=world.facilitator,
        project=world.project,
        kind="budget",
        title="Order",
        how_used="Test",
        closes_at=timezone.now() + timedelta(days=1),
        budget=100,
        ballot_kind="approval",
        rule="greedy",
    )
    for title in ("C", "B", "A"):
        services.option_add(user=world.facilitator, decision=d, title=title, cost=10)
    d = services.decision_open(user=world.facilitator, decision=d)
    codes = {o.title: o.code for o in d.options.all()}
    for user, title in ((world.participant, "C"), (world.expert, "A"), (world.facilitator, "B")):
        services.ballot_cast(user=user, decision=d, choices=[codes[title]])
    services.decision_close(user=world.facilitator, decision=d)
    exported = pabulib.parse_pb(
        world.client("anonymous").get(f"/p/{world.project.slug}/decisions/{d.pk}/export.pb").content
    )
    assert [v.projects for v in exported.votes] == sorted(v.projects for v in exported.votes)
