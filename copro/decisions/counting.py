"""Between the database and copro.analysis: check ballots, count them, and describe the result.

Ballot values are canonical JSON: a list of option codes (single choice, approval, ranking, budget
approval/knapsack) or {code: number} (score, dots, budget points). `validate` returns that canonical
form or raises ValidationError with the reason in plain words; nothing else reaches the ballot table.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from copro.core.templatetags.copro import money
from copro.decisions.models import Ballot, BudgetBallot, BudgetRule, Decision, Kind, PollMethod

LIST_SHAPES = {PollMethod.SINGLE, PollMethod.APPROVAL, PollMethod.IRV, PollMethod.STV}


def _is_list(decision: Decision) -> bool:
    if decision.kind == Kind.BUDGET:
        return decision.ballot_kind != BudgetBallot.CUMULATIVE
    return decision.method in LIST_SHAPES


def validate(decision: Decision, choices: Any, options: dict[str, Any] | None = None) -> Any:
    """The canonical ballot, or ValidationError. Pass `options` ({code: option}) when checking many ballots."""
    if options is None:
        options = {o.code: o for o in decision.options.all()}
    if _is_list(decision):
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise ValidationError(_("This ballot could not be read. Please fill it in again."))
        unknown = [c for c in choices if c not in options]
        if unknown:
            raise ValidationError(_("Your ballot names an option that is not in this vote."))
        if len(set(choices)) != len(choices):
            raise ValidationError(_("Each option can be chosen only once."))
        n = len(choices)
        if decision.kind == Kind.POLL and decision.method == PollMethod.SINGLE and n != 1:
            raise ValidationError(_("Choose one option."))
        if decision.kind == Kind.POLL and decision.method in (PollMethod.IRV, PollMethod.STV) and n == 0:
            raise ValidationError(_("Rank at least one option."))
        if decision.method == PollMethod.APPROVAL or decision.kind == Kind.BUDGET:
            if n == 0:
                raise ValidationError(
                    _("Choose at least one project.")
                    if decision.kind == Kind.BUDGET
                    else _("Choose at least one option.")
                )
            _check_number_chosen(decision, n)
        if decision.kind == Kind.BUDGET:
            total = sum(options[c].cost or 0 for c in choices)
            cap = decision.budget if decision.ballot_kind == BudgetBallot.KNAPSACK else decision.spending_cap
            if cap and total > cap:
                raise ValidationError(
                    _("The projects you chose cost %(total)s, more than the limit of %(cap)s. Remove some.")
                    % {"total": money(total, decision.currency), "cap": money(cap, decision.currency)}
                )
        return choices
    if not isinstance(choices, dict):
        raise ValidationError(_("This ballot could not be read. Please fill it in again."))
    clean: dict[str, int] = {}
    for code, value in choices.items():
        if code not in options:
            raise ValidationError(_("Your ballot names an option that is not in this vote."))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(_("Use whole numbers of 0 or more."))
        if value:
            clean[code] = value
    if decision.method == PollMethod.SCORE:
        top = decision.max_score or 0
        if any(v > top for v in clean.values()):
            raise ValidationError(_("Scores go from 0 to %(max)d.") % {"max": top})
        if not clean:
            raise ValidationError(_("Give at least one option a score."))
        return clean
    if decision.kind == Kind.BUDGET:
        _check_number_chosen(decision, len(clean))
    allowance = decision.dots if decision.kind == Kind.POLL else decision.points
    used = sum(clean.values())
    if not used:
        raise ValidationError(_("Put at least one point or dot on an option."))
    if allowance and used > allowance:
        raise ValidationError(
            _("You used %(used)d, but you have %(allowance)d to spread.") % {"used": used, "allowance": allowance}
        )
    return clean


def _check_number_chosen(decision: Decision, n: int) -> None:
    """The fewest and most choices a ballot may make (approval polls and every budget ballot)."""
    low, high = decision.min_choices, decision.max_choices
    if decision.kind == Kind.BUDGET:
        if low and n < low:
            raise ValidationError(
                ngettext("Choose at least %(n)d project.", "Choose at least %(n)d projects.", low) % {"n": low}
            )
        if high and n > high:
            raise ValidationError(
                ngettext("Choose at most %(n)d project.", "Choose at most %(n)d projects.", high) % {"n": high}
            )
        return
    if low and n < low:
        raise ValidationError(
            ngettext("Choose at least %(n)d option.", "Choose at least %(n)d options.", low) % {"n": low}
        )
    if high and n > high:
        raise ValidationError(
            ngettext("Choose at most %(n)d option.", "Choose at most %(n)d options.", high) % {"n": high}
        )


def count_or_explain(decision: Decision) -> dict[str, Any]:
    """`count`, with any error in the counting inputs turned into a message instead of a crash."""
    from copro.analysis.budgeting import CountingError
    from copro.analysis.polls import BallotError

    try:
        return count(decision)
    except BallotError as error:
        raise ValidationError(
            _("A ballot could not be counted (%(reason)s). Nothing was published.") % {"reason": error.message}
        ) from None
    except (CountingError, ValueError, OverflowError) as error:
        raise ValidationError(
            _("The ballots could not be counted (%(reason)s). Nothing was published.") % {"reason": str(error)}
        ) from None


def method_description(decision: Decision) -> str:
    if decision.kind == Kind.PROPOSAL:
        from copro.decisions.process import PROCESSES

        process = PROCESSES.get(decision.process)
        return str(process["summary"]).capitalize() + "." if process else ""
    if decision.kind == Kind.POLL:
        return {
            PollMethod.SINGLE: _("Each person chooses one option. The option with the most votes wins."),
            PollMethod.APPROVAL: _("Each person chooses every option they support. The most supported option wins."),
            PollMethod.SCORE: _("Each person scores every option. The highest total score wins."),
            PollMethod.DOTS: _("Each person spreads their dots. The option with the most dots wins."),
            PollMethod.IRV: _(
                "Ranked choice (instant-runoff): first choices are counted; while no option has more than half, "
                "the option with fewest votes is removed and its votes go to each voter's next choice."
            ),
            PollMethod.STV: _(
                "Ranked choice for several winners (single transferable vote, counted by the Scottish rules: the "
                "Weighted Inclusive Gregory Method): options reaching the quota are elected, and their surplus and "
                "the votes of removed options pass to next choices."
            ),
        }.get(PollMethod(decision.method), "")
    rule = {
        BudgetRule.GREEDY: _("Projects are funded in order of votes, skipping any that no longer fit the budget."),
        BudgetRule.GREEDY_THRESHOLD: _(
            "Projects with at least %(n)d votes are funded in order of votes, skipping any that no longer fit."
        )
        % {"n": decision.threshold},
        BudgetRule.GREEDY_NO_SKIP: _(
            "Projects are funded in order of votes, stopping at the first project that does not fit."
        ),
        BudgetRule.MES: _(
            "Method of Equal Shares: every voter holds an equal share of the budget, and a project is funded when "
            "its supporters can pay for it together from their shares."
        ),
        BudgetRule.MES_ADD1: _(
            "Method of Equal Shares, as used by cities: every voter holds an equal share of the budget, a project "
            "is funded when its supporters can pay for it together, and the shares are raised step by step while "
            "the result still fits the budget."
        ),
        BudgetRule.MES_ADD1_COMPARISON: _(
            "Method of Equal Shares, completed to use the budget, then compared with funding by most votes: if more "
            "voters prefer the most-votes result, it is used."
        ),
    }
    return str(rule.get(BudgetRule(decision.rule), "")) if decision.rule else ""


def load_ballots(decision: Decision) -> list[tuple[Any, int]]:
    """(choices, weight) for every ballot. values_list keeps 100,000 ballots to one query and no model objects."""
    return list(Ballot.objects.filter(decision=decision).values_list("choices", "weight").iterator(chunk_size=5000))


def count(decision: Decision) -> dict[str, Any]:
    """The count, as JSON to publish. Exact numbers are strings; titles are frozen with the result."""
    if decision.kind == Kind.PROPOSAL:
        stances = dict(decision.responses.values_list("stance").annotate(n=Count("id")).values_list("stance", "n"))
        return {"shape": "proposal", "stances": stances, "winners": [], "winner_titles": []}
    options = list(decision.options.all())
    titles = {o.code: o.title for o in options}
    ballots = load_ballots(decision)
    if decision.kind == Kind.BUDGET:
        from copro.decisions.budget_count import count_budget

        result = count_budget(decision, options, ballots)
    else:
        from copro.decisions.poll_count import count_poll

        result = count_poll(decision, options, ballots)
    result["ballots"] = len(ballots)
    result["winner_titles"] = [titles.get(c, c) for c in result.get("winners", [])]
    result["tie_seed"] = decision.tie_seed
    return result


def _reason_text(reason: str, round_no: int | None = None) -> str:
    return str(
        {
            "majority": _("more than half of the votes still in the count"),
            "reached_quota": _("reached the quota"),
            "filled_remaining_seats": _("as many options left as seats to fill"),
            "lowest": _("fewest votes"),
            "largest_surplus": _("largest surplus"),
            "tie_backwards": _("tied; decided by the totals in round %(n)s") % {"n": round_no},
            "tie_lot": _("tied in every round; decided by lot with the published seed"),
        }.get(reason, reason)
    )


def present(
    decision: Decision, result: dict[str, Any] | None, titles: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """The published count, ready for a page: titles for codes, plain-language reasons, numbers for meters.
    Pass `titles` ({code: title}) when the options are already loaded."""
    if not result:
        return None
    if titles is None:
        titles = {o.code: o.title for o in decision.options.all()}
    title = titles.get
    shape = result.get("shape")
    out: dict[str, Any] = {"shape": shape, "ballots": result.get("ballots", 0), "seed": result.get("tie_seed")}
    out["winners"] = [title(c, c) for c in result.get("winners", [])]
    if shape == "tally":
        rows = result["results"]
        top = max((_as_float(r["total"]["exact"]) for r in rows), default=0) or 1
        out["tie"] = result.get("tie", False)
        out["rows"] = [
            {
                "title": title(r["option"], r["option"]),
                "total": r["total"]["display"],
                "count": r["count"],
                "mean": r["mean"]["display"] if r.get("mean") else "",
                "value": _as_float(r["total"]["exact"]),
                "max": top,
                "winner": r["option"] in result.get("winners", []),
            }
            for r in rows
        ]
        return out
    if shape == "ranked":
        from copro.analysis.polls import IRV_METHOD, STV_METHOD

        names = {
            IRV_METHOD: _("Instant-runoff voting"),
            STV_METHOD: _("Single transferable vote, Weighted Inclusive Gregory Method (Scottish rules)"),
        }
        out["method"] = names.get(result["method"]["name"], result["method"]["name"])
        out["source"] = result["method"]["source"]
        out["quota"] = (result.get("quota") or {}).get("display")
        out["seats"] = result.get("seats")
        out["rounds"] = [
            {
                "number": r["number"],
                "threshold": r["threshold"]["display"],
                "exhausted": r["exhausted"]["display"],
                "rows": sorted(
                    (
                        {"title": title(c, c), "votes": v["display"], "value": _as_float(v["exact"])}
                        for c, v in r["tallies"].items()
                    ),
                    key=lambda row: -row["value"],
                ),
                "transfer": _transfer_text(r.get("transfer"), title),
                "elected": [
                    {
                        "title": title(d["candidate"], d["candidate"]),
                        "why": _reason_text(d["reason"], d.get("decided_by_round")),
                    }
                    for d in r["elected"]
                ],
                "excluded": [
                    {
                        "title": title(d["candidate"], d["candidate"]),
                        "why": _reason_text(d["reason"], d.get("decided_by_round")),
                    }
                    for d in r["excluded"]
                ],
            }
            for r in result["rounds"]
        ]
        return out
    if shape == "budget":
        from copro.decisions.budget_count import present_budget

        return {**out, **present_budget(decision, result, titles)}
    return None


def _transfer_text(transfer: dict[str, Any] | None, title: Any) -> str:
    if not transfer:
        return ""
    who = title(transfer["from"], transfer["from"])
    if transfer["kind"] == "surplus":
        return _("%(who)s's surplus of %(n)s votes moved to next choices.") % {
            "who": who,
            "n": transfer["amount"]["display"],
        }
    return _("%(who)s's %(n)s votes moved to next choices.") % {"who": who, "n": transfer["amount"]["display"]}


def _as_float(exact: str) -> float:
    """For drawing a bar only; the published numbers are the exact strings."""
    numerator, _slash, denominator = exact.partition("/")
    return int(numerator) / int(denominator or 1)
