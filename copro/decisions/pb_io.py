"""Pabulib (.pb) files in and out of a participatory budget decision.

Import: a file's budget, projects and counting rule make a draft budget decision; the votes in it, if
any, become one imported batch of ballots (channel "import"), so a real city's election can be
re-counted and published here. Export: the decision's META and PROJECTS, and for a closed vote its
ballots, with voter ids that are only sequence numbers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.analysis import pabulib
from copro.core import activity
from copro.core.models import Visibility
from copro.decisions.models import Ballot, BudgetBallot, BudgetRule, Channel, Decision, Kind, Option, Status
from copro.projects.models import Project

# The largest shipped election (Łódź 2022) is 3.7 MB; 50 MB leaves room for any city's file.
MAX_PB_BYTES = 50 * 1024 * 1024

_RULES_FROM_META = {
    "greedy": BudgetRule.GREEDY,
    "greedy-threshold": BudgetRule.GREEDY_THRESHOLD,
    "greedy-no-skip": BudgetRule.GREEDY_NO_SKIP,
    "equalshares": BudgetRule.MES,
    "equalshares/add1": BudgetRule.MES_ADD1,
    "equalshares/add1/comparison": BudgetRule.MES_ADD1_COMPARISON,
}
_RULES_TO_META = {v.value: k for k, v in _RULES_FROM_META.items()}
_BALLOTS_FROM_META = {"approval": BudgetBallot.APPROVAL, "cumulative": BudgetBallot.CUMULATIVE}


def import_pb(*, user: User, project: Project, data: bytes, name: str, closes_at: datetime) -> Decision:
    if len(data) > MAX_PB_BYTES:
        raise ValidationError(_("The file is too large (the limit is 50 MB)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text. Is it a .pb file?")) from None
    try:
        instance = pabulib.parse_pb(text)
    except pabulib.PbFormatError as error:
        raise ValidationError(_("The file could not be read: %(error)s") % {"error": str(error)}) from None
    meta = instance.meta
    vote_type = instance.vote_type
    if vote_type not in _BALLOTS_FROM_META:
        raise ValidationError(
            _("Copro counts approval and points (cumulative) ballots; this file has “%(type)s” ballots.")
            % {"type": vote_type}
        )
    rule = _RULES_FROM_META.get(meta.get("rule", ""), BudgetRule.GREEDY)
    from copro.decisions import services

    with transaction.atomic():
        title = meta.get("description") or meta.get("unit") or name.rsplit("/", 1)[-1]
        decision = services.decision_create(
            user=user,
            project=project,
            kind=Kind.BUDGET,
            title=str(title)[:200],
            how_used=_("Imported from %(file)s. The counting rule is the one the file names.") % {"file": name[:100]},
            closes_at=closes_at,
            budget=int(instance.budget),
            ballot_kind=_BALLOTS_FROM_META[vote_type],
            rule=rule,
            threshold=instance.threshold or 0,
            min_choices=_int_or_none(meta.get("min_length")),
            max_choices=_int_or_none(meta.get("max_length")),
            points=_int_or_none(meta.get("max_sum_points")),
        )
        decision.currency = (meta.get("currency") or decision.currency)[:3].upper()
        decision.save(update_fields=["currency"])
        Option.objects.bulk_create(
            [
                Option(
                    decision=decision,
                    title=(p.name or p.id)[:200],
                    cost=int(p.cost),
                    code=p.id,
                    position=i,
                )
                for i, p in enumerate(instance.projects, start=1)
            ]
        )
        ballots = [
            Ballot(decision=decision, choices=_choices(vote), weight=1, channel=Channel.IMPORT, batch=name[:100])
            for vote in instance.votes
        ]
        Ballot.objects.bulk_create(ballots, batch_size=5000)
        activity.record(
            verb="decisions.imported",
            actor=user,
            project=project,
            target=decision,
            visibility=Visibility.STAFF,
            data={"file": name[:100], "projects": len(instance.projects), "ballots": len(ballots)},
        )
    return decision


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _choices(vote: pabulib.PbVote) -> Any:
    if vote.points is None:
        return list(vote.projects)
    return {p: int(v) for p, v in zip(vote.projects, vote.points, strict=True) if v}


def export_pb(decision: Decision, *, with_votes: bool) -> str:
    options = list(decision.options.all())
    winners = set((decision.result or {}).get("winners", [])) if decision.status == Status.CLOSED else None
    votes: list[Any] = []
    if with_votes:
        votes = [
            choices for choices, _weight in Ballot.objects.filter(decision=decision).values_list("choices", "weight")
        ]
    cumulative = decision.ballot_kind == BudgetBallot.CUMULATIVE
    instance = pabulib.build_instance(
        budget=decision.budget or 0,
        projects=[
            pabulib.PbProject(
                id=o.code,
                cost=o.cost or 0,
                name=o.title,
                selected=None if winners is None else int(o.code in winners),
            )
            for o in options
        ],
        ballots=votes,
        vote_type="cumulative" if cumulative else "approval",
        meta={"description": decision.title, "currency": decision.currency, "unit": decision.project.title},
        rule=_RULES_TO_META.get(decision.rule, decision.rule),
    )
    return pabulib.write_pb(instance)
