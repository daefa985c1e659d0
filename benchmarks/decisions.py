"""Closing a vote of 100,000 ballots: count and publish, on a fresh database (SQLite in a temporary
folder, or DATABASE_URL for PostgreSQL).

For each kind — a ranked (instant-runoff) poll over 10 options, an approval participatory budget counted
by Equal Shares with completion (mes-add1) and by greedy — it bulk-loads 100,000 ballots, then times
`decision_close` (load every ballot, count exactly, store the result and the participation figures),
and the first render of the results page afterwards. The baseline, measured in the same run, is the
cost of just reading the 100,000 ballots' JSON out of the database, the floor under any count.
Medians of 3 runs each. Run: `make bench` or `python benchmarks/decisions.py [--ballots N]`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("COPRO_VAR_DIR", tempfile.mkdtemp(prefix="copro-bench-"))
os.environ.setdefault("COPRO_DEBUG", "0")
os.environ.setdefault("COPRO_TESTING", "1")
os.environ["DJANGO_SETTINGS_MODULE"] = "copro.settings"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 3


def setup_project() -> tuple[object, object]:
    from copro.accounts.models import User
    from copro.projects import services
    from copro.projects.models import Organisation, OrganisationMembership

    staff = User.objects.create_user("bench-staff@example.org", "x", display_name="Staff")
    org = Organisation.objects.create(name="Bench Council", slug="bench-council")
    OrganisationMembership.objects.create(organisation=org, user=staff)
    project = services.project_create(
        user=staff, organisation=org, title="Bench project", purpose="Benchmark", visibility="public"
    )
    return staff, project


def make_decision(staff, project, n_ballots: int, rng: random.Random, **fields):  # type: ignore[no-untyped-def]
    from copro.decisions import services
    from copro.decisions.models import Ballot, Decision

    kind = fields.pop("kind", "poll")
    options = fields.pop("options")
    decision = services.decision_create(
        user=staff,
        project=project,
        kind=kind,
        title="Bench",
        how_used="Benchmark",
        closes_at=timezone.now() + timedelta(days=1),
        hide_results=False,
        **fields,
    )
    for title, cost in options:
        services.option_add(user=staff, decision=decision, title=title, cost=cost)
    decision = services.decision_open(user=staff, decision=decision)
    codes = list(decision.options.values_list("code", flat=True))
    popularity = [rng.random() ** 2 for _ in codes]
    ballots = []
    for _ in range(n_ballots):
        if decision.method == "irv":
            k = rng.randint(1, len(codes))
            choices = rng.choices(codes, weights=popularity, k=len(codes) * 2)
            ranking = list(dict.fromkeys(choices))[:k] or [codes[0]]
            ballots.append(Ballot(decision=decision, choices=ranking, channel="import"))
        else:
            chosen = [c for c, p in zip(codes, popularity, strict=True) if rng.random() < p * 0.6] or [codes[0]]
            ballots.append(Ballot(decision=decision, choices=chosen[:5], channel="import"))
    Ballot.objects.bulk_create(ballots, batch_size=5000)
    return Decision.objects.get(pk=decision.pk)


def time_close(decision) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    from copro.decisions import services
    from copro.decisions.models import Decision

    started = time.perf_counter()
    services.decision_close(user=None, decision=decision)
    closed = time.perf_counter() - started
    client = Client(HTTP_HOST="127.0.0.1")
    started = time.perf_counter()
    response = client.get(f"/p/{decision.project.slug}/decisions/{decision.pk}/")
    page = time.perf_counter() - started
    assert response.status_code == 200
    # reopen for the next run (bench only): the count is recomputed from the same ballots
    Decision.objects.filter(pk=decision.pk).update(status="open", closed_at=None, result=None)
    decision.refresh_from_db()
    return closed, page, len(Decision.objects.get(pk=decision.pk).options.all())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    staff, project = setup_project()
    print(f"database: {connection.vendor}; {args.ballots:,} ballots per decision; medians of {RUNS} runs")
    cases = {
        "ranked poll (IRV, 10 options)": {"method": "irv", "options": [(f"Option {i}", None) for i in range(10)]},
        "budget, approval, mes-add1 (40 projects)": {
            "kind": "budget",
            "budget": 2_000_000,
            "ballot_kind": "approval",
            "rule": "mes-add1",
            "options": [(f"Project {i}", rng.randint(20, 400) * 1000) for i in range(40)],
        },
        "budget, approval, greedy (40 projects)": {
            "kind": "budget",
            "budget": 2_000_000,
            "ballot_kind": "approval",
            "rule": "greedy",
            "options": [(f"Project {i}", rng.randint(20, 400) * 1000) for i in range(40)],
        },
    }
    from copro.decisions.counting import load_ballots

    print(f"{'decision':42} {'read ballots s':>15} {'close+count s':>14} {'x read':>7} {'result page s':>14}")
    for name, fields in cases.items():
        decision = make_decision(staff, project, args.ballots, rng, **fields)
        reads, closes, pages = [], [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            load_ballots(decision)
            reads.append(time.perf_counter() - started)
            closed, page, _n = time_close(decision)
            closes.append(closed)
            pages.append(page)
        read, close = statistics.median(reads), statistics.median(closes)
        print(f"{name:42} {read:15.2f} {close:14.2f} {close / read:7.1f} {statistics.median(pages):14.3f}")


if __name__ == "__main__":
    main()
