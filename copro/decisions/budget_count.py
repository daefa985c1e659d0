"""Counting a participatory budget with copro.analysis.budgeting, and explaining each project's outcome."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from copro.analysis import budgeting
from copro.core.templatetags.copro import money
from copro.decisions.models import BudgetRule, Decision


def count_budget(decision: Decision, options: list[Any], ballots: list[tuple[Any, int]]) -> dict[str, Any]:
    if not ballots:
        # Nothing to count (Equal Shares is undefined with no voters): a useful empty result, not an error.
        return {
            "shape": "budget",
            "winners": [],
            "rule": decision.rule,
            "budget": decision.budget or 0,
            "selected": [],
            "total_cost": 0,
            "leftover": decision.budget or 0,
            "num_voters": 0,
            "comparison": None,
            "projects": [
                {
                    "project_id": o.code,
                    "cost": o.cost or 0,
                    "votes": 0,
                    "supporters": 0,
                    "funded": False,
                    "round": None,
                    "reason": "no_votes",
                    "detail": {},
                    "payment": None,
                }
                for o in options
            ],
        }
    # Every budget ballot counts once: Equal Shares gives each voter one equal share of the budget.
    election = budgeting.make_election(
        decision.budget or 0,
        [(o.code, o.cost or 0) for o in options],
        [choices for choices, _weight in ballots],
        threshold=decision.threshold,
    )
    outcome = budgeting.count(election, decision.rule, tie_order=[o.code for o in options])
    return {"shape": "budget", "winners": list(outcome.selected), **outcome.to_dict()}


def _cash(amount: Any, currency: str) -> str:
    if isinstance(amount, str) and "/" in amount:
        exact = Fraction(amount)
        amount = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"))
    return money(amount, currency)


def _why(project: dict[str, Any], titles: dict[str, str], currency: str) -> str:
    d = project.get("detail") or {}
    reason = project["reason"]
    cash = lambda key: _cash(d.get(key, 0), currency)  # noqa: E731 - a local shorthand
    if reason == "funded":
        if project.get("payment"):
            return _("Funded in round %(round)s: its supporters shared the cost.") % {"round": project["round"]}
        return _("Funded: its turn came with %(before)s left, and it fitted.") % {"before": cash("remaining_before")}
    if reason == "added_by_completion":
        return _("Funded from the money left over after Equal Shares (%(before)s left).") % {
            "before": cash("remaining_before")
        }
    if reason == "below_threshold":
        return _("Not funded: %(votes)s votes, fewer than the minimum of %(threshold)s.") % {
            "votes": d.get("votes", project["votes"]),
            "threshold": d.get("threshold", 0),
        }
    if reason == "did_not_fit":
        return _("Not funded: it did not fit. It costs %(cost)s, and %(left)s was left when its turn came.") % {
            "cost": _cash(project["cost"], currency),
            "left": cash("remaining"),
        }
    if reason == "stopped":
        stopped_at = str(d.get("stopped_at", ""))
        return _("Not funded: counting stopped at “%(project)s”, the first project that did not fit.") % {
            "project": titles.get(stopped_at, stopped_at)
        }
    if reason in ("no_votes", "no_supporters"):
        return _("Not funded: nobody voted for it.")
    if reason == "supporters_short":
        return _("Not funded: its supporters had %(left)s left between them, less than its cost of %(cost)s.") % {
            "left": cash("money_left"),
            "cost": _cash(project["cost"], currency),
        }
    if reason == "greedy_won_comparison":
        return _(
            "Not funded: Equal Shares would have funded it, but more voters preferred the most-votes result "
            "(%(greedy)s voters against %(mes)s)."
        ) % {"greedy": d.get("prefers_greedy", ""), "mes": d.get("prefers_mes", "")}
    return reason


def _paid(project: dict[str, Any], currency: str) -> str:
    payment = project.get("payment")
    if not payment:
        return ""
    text = ngettext("%(n)d supporter paid %(rho)s.", "%(n)d supporters paid %(rho)s each.", payment["paid_in_full"]) % {
        "n": payment["paid_in_full"],
        "rho": _cash(payment["rho"], currency),
    }
    if payment["paid_less"]:
        text += " " + ngettext(
            "%(n)d paid less, all they had left (%(total)s together).",
            "%(n)d paid less, all they had left (%(total)s together).",
            payment["paid_less"],
        ) % {"n": payment["paid_less"], "total": _cash(payment["paid_less_total"], currency)}
    return text


def present_budget(decision: Decision, result: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    currency = decision.currency
    comparison = result.get("comparison")
    comparison_text = ""
    if comparison:
        comparison_text = _(
            "Comparison step: %(greedy)s voters prefer the most-votes result and %(mes)s prefer the Equal Shares "
            "result, so the %(winner)s result is used."
        ) % {
            "greedy": comparison["prefers_greedy"],
            "mes": comparison["prefers_mes"],
            "winner": _("most-votes") if comparison["winner"] == "greedy" else _("Equal Shares"),
        }
    projects = sorted(result["projects"], key=lambda p: (not p["funded"], p["round"] or 0, -p["votes"]))
    return {
        "rule_label": BudgetRule(decision.rule).label if decision.rule else result["rule"],
        "budget": _cash(result["budget"], currency),
        "spent": _cash(result["total_cost"], currency),
        "left": _cash(result["leftover"], currency),
        "comparison": comparison_text,
        "projects": [
            {
                "title": titles.get(p["project_id"], p["project_id"]),
                "cost": _cash(p["cost"], currency),
                "votes": p["votes"],
                "funded": p["funded"],
                "why": _why(p, titles, currency),
                "paid": _paid(p, currency),
            }
            for p in projects
        ],
    }
