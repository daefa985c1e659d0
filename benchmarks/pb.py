"""Participatory budgeting benchmark: Copro's .pb reader and counting rules against pabutools.

On Poland_Lodz_2022.pb (3.7 MB, 90,494 approval ballots, 160 projects) it times, for both Copro and pabutools:
  (a) reading the file,
  (b) greedy-threshold (pabutools: greedy_utilitarian_welfare with Cost_Sat over the projects that reach META
      min_project_score_threshold),
  (c) Equal Shares with a fixed budget (method_of_equal_shares, Cost_Sat),
  (d) Equal Shares with add1 completion (method_of_equal_shares(..., voter_budget_increment=1)),
and prints the medians and the ratio pabutools / Copro. It also checks that both select the same projects.
Then it times Copro alone on 100,000 synthetic approval ballots (the most the Django app counts).

add1 with many raises (--add1): Copro's add1 (`_add1`, which skips raises it can prove change nothing) against
the plain loop that re-runs Equal Shares once per raise (`_add1_reference`), on Toulouse 2022 (1,617 raises)
and Warszawa Mokotów 2023 (359 raises), both read from the shared files, and on a council-sized vote made up
here (30 voters, 20 projects, budget 1,000,000: some 11,700 raises). It checks that both give the same outcome
(projects, order, raises, payments). pabutools' add1 on these takes minutes (195 s and 583 s when last
measured), so it runs only with --add1-pabutools.

pabutools is slow here (on the development machine: greedy ~55 s, MES ~29 s, add1 ~141 s), so its slow steps
run --slow-repeats times (default 1; --full makes it 3); Copro's run 9 times. --quick times pabutools' add1
on Świecie 2023 instead of Łódź (a few seconds instead of minutes) and says so in the table.

Run: .venv/bin/python benchmarks/pb.py [--quick] [--full] [--add1 [--add1-only] [--add1-pabutools]].
No Django needed; pabutools is a test dependency.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copro.analysis import budgeting as bg  # noqa: E402
from copro.analysis.pabulib import read_pb  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "pabulib"
LODZ = DATA / "Poland_Lodz_2022.pb"
SWIECIE = DATA / "Poland_Swiecie_2023.pb"
ADD1_FILES = ("France_Toulouse_2022.pb", "Poland_Warszawa_2023_Mokotow.pb")
OURS = 9


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="pabutools add1 on Świecie instead of Łódź")
    parser.add_argument("--full", action="store_true", help="3 repeats of every pabutools step")
    parser.add_argument("--slow-repeats", type=int, default=1, help="repeats of pabutools' slow steps")
    parser.add_argument("--add1", action="store_true", help="also time add1 with many raises (Toulouse, Mokotów)")
    parser.add_argument("--add1-only", action="store_true", help="only the add1 comparison")
    parser.add_argument("--add1-pabutools", action="store_true", help="with --add1: pabutools' add1 too (minutes)")
    parser.add_argument("--add1-repeats", type=int, default=3, help="repeats of each add1 timing")
    args = parser.parse_args()
    if args.add1_only:
        add1_many_raises(args.add1_repeats, args.add1_pabutools)
        return
    slow = 3 if args.full else args.slow_repeats
    if not LODZ.exists():
        sys.exit(f"{LODZ} not found: the benchmark needs the shared Pabulib files")

    from pabutools.election import Cost_Sat, Instance, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

    rows: list[tuple[str, float, float | None, str]] = []

    # (a) reading
    ours, instance = timed(lambda: read_pb(LODZ), OURS)
    theirs, (p_instance, p_profile) = timed(lambda: parse_pabulib(str(LODZ)), 3)
    rows.append(("read Łódź (3.7 MB)", ours, theirs, ""))

    # (b) greedy-threshold
    threshold = instance.threshold
    assert threshold is not None

    def pabutools_greedy_threshold() -> Any:
        eligible = [p for p in p_instance if p_profile.approval_score(p) >= threshold]
        sub = Instance(eligible, budget_limit=p_instance.budget_limit)
        return greedy_utilitarian_welfare(sub, p_profile, sat_class=Cost_Sat)

    ours, out = timed(lambda: bg.count(instance, "greedy-threshold"), OURS)
    theirs, p_out = timed(pabutools_greedy_threshold, slow)
    same = set(out.selected) == {p.name for p in p_out}
    rows.append(("greedy-threshold", ours, theirs, "same projects" if same else "DIFFERENT projects"))

    # (c) Equal Shares, fixed budget
    ours, out = timed(lambda: bg.count(instance, "mes"), OURS)
    theirs, p_out = timed(lambda: method_of_equal_shares(p_instance, p_profile, sat_class=Cost_Sat), slow)
    same = list(out.selected) == [p.name for p in p_out]
    rows.append(("MES fixed budget", ours, theirs, "same projects, same order" if same else "DIFFERENT"))

    # (d) Equal Shares with add1 completion
    ours, out = timed(lambda: bg.count(instance, "mes-add1"), OURS)
    if args.quick:
        s_instance = read_pb(SWIECIE)
        s_ours, s_out = timed(lambda: bg.count(s_instance, "mes-add1"), OURS)
        sp_instance, sp_profile = parse_pabulib(str(SWIECIE))
        theirs, p_out = timed(
            lambda: method_of_equal_shares(sp_instance, sp_profile, sat_class=Cost_Sat, voter_budget_increment=1), slow
        )
        same = set(s_out.selected) == {p.name for p in p_out}
        rows.append(("MES add1, Łódź (Copro only)", ours, None, f"{out.budget_raises} raises"))
        rows.append(("MES add1, Świecie (--quick)", s_ours, theirs, "same projects" if same else "DIFFERENT"))
    else:
        theirs, p_out = timed(
            lambda: method_of_equal_shares(p_instance, p_profile, sat_class=Cost_Sat, voter_budget_increment=1), slow
        )
        same = set(out.selected) == {p.name for p in p_out}
        note = f"{out.budget_raises} raises; " + ("same projects" if same else "DIFFERENT projects")
        rows.append(("MES add1", ours, theirs, note))

    print(f"Poland_Lodz_2022.pb: {len(instance.votes):,} ballots, {len(instance.projects)} projects")
    print(f"medians: Copro of {OURS} runs, pabutools of 3 (reading) or {slow} (counting) runs\n")
    print(f"{'step':<30} {'Copro':>12} {'pabutools':>12} {'ratio':>8}  note")
    print("-" * 90)
    for step, ours_t, theirs_t, note in rows:
        theirs_text = fmt(theirs_t) if theirs_t is not None else "-"
        ratio = f"{theirs_t / ours_t:,.0f}x" if theirs_t is not None else "-"
        print(f"{step:<30} {fmt(ours_t):>12} {theirs_text:>12} {ratio:>8}  {note}")

    # 100,000 synthetic approval ballots, as the Django app would pass them (sets of project ids).
    rng = random.Random(2026)
    projects = [(f"P{i:02d}", rng.randint(5, 120) * 1000) for i in range(60)]
    weights = [rng.paretovariate(1.2) for _ in projects]
    ids = [p for p, _ in projects]
    ballots = [set(rng.choices(ids, weights, k=rng.randint(1, 6))) for _ in range(100_000)]
    budget = 2_000_000
    print("\n100,000 synthetic approval ballots, 60 projects, budget 2,000,000 (Copro only)")
    build, election = timed(lambda: bg.make_election(budget, projects, ballots), 5)
    print(f"{'make_election (from sets)':<30} {fmt(build):>12}")
    for rule in ("greedy", "mes", "mes-add1", "mes-add1-comparison"):
        t, out = timed(lambda rule=rule: bg.count(bg.make_election(budget, projects, ballots), rule), 5)
        extra = f"  ({out.budget_raises} raises)" if out.budget_raises else ""
        print(f"{'make_election + ' + rule:<30} {fmt(t):>12}  {len(out.selected)} funded{extra}")
    if args.add1:
        add1_many_raises(args.add1_repeats, args.add1_pabutools)


def council_vote(seed: int = 0) -> bg.Election:
    """30 voters, 20 projects costing 20,000 to 300,000, budget 1,000,000 (as in tests/test_budgeting.py)."""
    rng = random.Random(seed)
    items = [(f"P{i:02d}", rng.randint(20, 300) * 1000) for i in range(20)]
    popularity = [rng.random() for _ in items]
    ballots = [{p for (p, _), q in zip(items, popularity, strict=True) if rng.random() < 0.6 * q} for _ in range(30)]
    return bg.make_election(1_000_000, items, ballots)


def add1_many_raises(repeats: int, with_pabutools: bool) -> None:
    """Copro's add1 against the one-run-per-raise loop (and optionally pabutools) where raises are many."""
    from fractions import Fraction

    print(f"\nadd1 with many raises: medians of {repeats} runs (pabutools: 1 run)\n")
    print(f"{'election':<34} {'raises':>7} {'Copro':>10} {'loop':>10} {'ratio':>7}  {'pabutools':>10}  check")
    print("-" * 100)
    cases: list[tuple[str, bg.Election, Path | None]] = []
    for name in ADD1_FILES:
        path = DATA / name
        if path.exists():
            cases.append((name.removesuffix(".pb"), bg.election_from_pb(read_pb(path)), path))
    cases.append(("council vote (30 voters, 1,000,000)", council_vote(), None))
    for label, election, path in cases:
        rank = bg._tie_ranks(election, None)
        share = Fraction(election.budget, election.num_voters)
        fast_t, (fast_run, fast_raises) = timed(lambda e=election, r=rank, s=share: bg._add1(e, r, s), repeats)
        loop_t, (loop_run, loop_raises) = timed(
            lambda e=election, r=rank, s=share: bg._add1_reference(e, r, s), repeats
        )
        fast = bg._mes_outcome(election, fast_run, rule="mes-add1", raises=fast_raises).to_dict()
        loop = bg._mes_outcome(election, loop_run, rule="mes-add1", raises=loop_raises).to_dict()
        check = "same outcome" if fast == loop else "DIFFERENT"
        theirs = "-"
        if with_pabutools and path is not None:
            from pabutools.election import Cost_Sat, parse_pabulib
            from pabutools.rules import method_of_equal_shares

            p_instance, p_profile = parse_pabulib(str(path))
            start = time.perf_counter()
            p_out = method_of_equal_shares(p_instance, p_profile, sat_class=Cost_Sat, voter_budget_increment=1)
            theirs = fmt(time.perf_counter() - start)
            same = {p.name for p in p_out} == set(fast["selected"])
            check += "; pabutools: " + ("same projects" if same else "other projects (it stops earlier)")
        ratio = f"{loop_t / fast_t:,.1f}x"
        print(f"{label:<34} {fast_raises:>7,} {fmt(fast_t):>10} {fmt(loop_t):>10} {ratio:>7}  {theirs:>10}  {check}")


if __name__ == "__main__":
    main()
