"""`copro pb tally`: real winners from real files, JSON and table output, clean errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from copro.analysis.pabulib import read_pb

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pabulib"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"real Pabulib files not found at {DATA}")
FILES = sorted(p.name for p in DATA.glob("*.pb")) if DATA.is_dir() else []
WITH_WINNERS = [n for n in FILES if read_pb(DATA / n).projects[0].selected is not None]


def tally(*args: str) -> str:
    out = io.StringIO()
    call_command("pb", "tally", *args, stdout=out)
    return out.getvalue()


@needs_data
@pytest.mark.parametrize("name", WITH_WINNERS)
def test_auto_rule_selects_the_real_winners(name):
    # Assen and Świecie: equalshares/add1; Mokotów and Częstochowa: greedy; Łódź: greedy-threshold.
    path = DATA / name
    data = json.loads(tally(str(path), "--rule", "auto", "--json"))
    real = {p.id for p in read_pb(path).projects if p.selected == 1}
    assert set(data["selected"]) == real
    assert all(isinstance(p, str) for p in data["selected"])
    assert data["total_cost"] <= data["budget"] == read_pb(path).budget
    assert data["rule"] in ("greedy", "greedy-threshold", "mes-add1")


@needs_data
def test_every_file_has_winners_but_toulouse():
    assert len(WITH_WINNERS) == len(FILES) - 1
    data = json.loads(tally(str(DATA / "France_Toulouse_2022.pb"), "--json"))
    assert data["rule"] == "greedy"
    assert data["pabulib_rule"] == "greedy"
    assert len(data["selected"]) == 81


@needs_data
def test_rule_override_and_table():
    path = str(DATA / "Netherlands_Assen_2024.pb")
    data = json.loads(tally(path, "--rule", "mes", "--json"))
    assert data["rule"] == "mes"
    assert data["selected"] == ["3", "9", "2", "13", "11", "14", "12"]
    assert data["voter_budget"] == "25000/21"  # 100,000 EUR over 84 voters
    text = tally(path)
    assert "Rule: mes-add1" in text
    assert "Funded: 9 projects costing 76,700 EUR" in text
    assert "PopUp Podium" in text


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.pb"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_malformed_file_is_a_command_error_naming_the_line(tmp_path):
    path = write(tmp_path, "META\nkey;value\nbudget;100\nvote_type;approval\nVOTES\nvoter_id;vote\nv1;1\n")
    with pytest.raises(CommandError, match="line 5: no PROJECTS section"):
        tally(path)


def test_unknown_meta_rule_is_a_clear_error(tmp_path):
    text = "META\nkey;value\nbudget;10\nvote_type;approval\nrule;unknown\nPROJECTS\nproject_id;cost\n1;5\n"
    path = write(tmp_path, text + "VOTES\nvoter_id;vote\nv1;1\n")
    with pytest.raises(CommandError, match="META rule 'unknown' is not one Copro can count"):
        tally(path)
    assert json.loads(tally(path, "--rule", "greedy", "--json"))["selected"] == ["1"]


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        tally(str(tmp_path / "nope.pb"))


def test_command_line_exit_code_and_no_traceback(tmp_path):
    path = write(tmp_path, "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;x\n")
    env = {**os.environ, "COPRO_TESTING": "1", "DJANGO_SETTINGS_MODULE": "copro.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "copro.manage", "pb", "tally", path],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert "line 7: cost of project '1' 'x' is not a number" in result.stderr
    assert "Traceback" not in result.stderr
