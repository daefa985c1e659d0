"""`copro pb tally FILE.pb`: count a Pabulib participatory budgeting file with Copro's counting rules.

`pb` takes a subcommand (argparse subparsers) so that `pb export` / `pb import` can join `tally` later.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from copro.analysis.budgeting import RULES, CountingError, Outcome, ProjectResult, count
from copro.analysis.pabulib import PbFormatError, read_pb


class Command(BaseCommand):
    help = "Participatory budgeting files (Pabulib .pb). `copro pb tally FILE.pb` counts one."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        tally = actions.add_parser("tally", help="Count the votes of a .pb file and show which projects are funded.")
        tally.add_argument("path", help="the .pb file")
        tally.add_argument(
            "--rule",
            default="auto",
            choices=("auto", *RULES),
            help="counting rule; auto (the default) uses the rule named in the file's META",
        )
        tally.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "tally":
            self.tally(options["path"], options["rule"], as_json=options["json"])

    def tally(self, path: str, rule: str, *, as_json: bool) -> None:
        try:
            instance = read_pb(Path(path))
        except OSError as exc:
            raise CommandError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except PbFormatError as exc:
            raise CommandError(f"{path}: {exc}") from None
        try:
            outcome = count(instance, rule)
        except CountingError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if as_json:
            data = outcome.to_dict()
            data["file"] = Path(path).name
            data["pabulib_rule"] = instance.rule or None
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        names = {p.id: p.name for p in instance.projects}
        self.stdout.write(self._table(outcome, names, instance.meta.get("currency", "")))

    def _table(self, outcome: Outcome, names: dict[str, str], currency: str) -> str:
        unit = f" {currency}" if currency else ""
        lines = [
            f"Rule: {outcome.rule}    Budget: {outcome.budget:,}{unit}    Ballots: {outcome.num_voters:,}",
            f"Funded: {len(outcome.selected)} projects costing {outcome.total_cost:,}{unit}"
            f" ({outcome.leftover:,}{unit} left over)",
        ]
        if outcome.voter_budget is not None:
            raised = f" after {outcome.budget_raises} raises of 1" if outcome.budget_raises else ""
            lines.append(f"Each voter's share: {float(outcome.voter_budget):,.2f}{unit}{raised}")
        if outcome.comparison is not None:
            c = outcome.comparison
            lines.append(
                f"Comparison: {c.prefers_greedy} voters prefer the greedy outcome, {c.prefers_mes} the Equal Shares"
                f" one; {c.winner} is used"
            )
        lines.append("")
        header = f"{'round':>5}  {'project':<10} {'cost':>12} {'votes':>8}  result"
        lines += [header, "-" * len(header)]
        ordered = sorted(outcome.projects, key=lambda p: (p.round is None, p.round or 0, -p.votes))
        for p in ordered:
            round_text = str(p.round) if p.round is not None else ""
            name = names.get(p.project_id, "")
            label = f"{_reason(p)}" + (f"  — {name[:50]}" if name else "")
            lines.append(f"{round_text:>5}  {p.project_id:<10} {p.cost:>12,} {p.votes:>8,}  {label}")
        for tie in outcome.ties:
            where = f"round {tie.round}" if tie.round is not None else "ranking"
            lines.append(f"Tie ({where}) between {', '.join(tie.projects)}: decided by {tie.decided_by}")
        return "\n".join(lines)


def _reason(p: ProjectResult) -> str:
    d = p.detail
    if p.reason == "funded":
        if p.payment is not None:
            pay = p.payment
            return (
                f"funded: {pay.paid_in_full} supporters paid {float(pay.rho):,.2f} each,"
                f" {pay.paid_less} paid less ({float(pay.paid_less_total):,.2f} together)"
            )
        return "funded"
    texts = {
        "added_by_completion": "funded from the money left over",
        "below_threshold": f"not funded: {d.get('votes')} votes, below the threshold of {d.get('threshold')}",
        "did_not_fit": f"not funded: only {d.get('remaining', 0):,} left when its turn came",
        "stopped": f"not funded: counting stopped at project {d.get('stopped_at')}, which did not fit",
        "no_votes": "not funded: no votes",
        "no_supporters": "not funded: no supporters",
        "supporters_short": f"not funded: its supporters had only {d.get('money_left_decimal')} left",
        "greedy_won_comparison": (
            f"not funded: Equal Shares would have, but {d.get('prefers_greedy')} voters preferred the greedy outcome"
            f" against {d.get('prefers_mes')}"
        ),
    }
    return texts.get(p.reason, p.reason)
