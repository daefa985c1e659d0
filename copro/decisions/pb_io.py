"""Pabulib (.pb) files in and out of a participatory budget decision.

Import: a file's budget, projects and counting rule make a draft budget decision; the votes in it, if
any, become one imported batch of ballots (channel "import"), so a real city's election can be
re-counted and published here. Export: the decision's META and PROJECTS, and for a closed vote its
ballots, with voter ids that are only sequence numbers.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.analysis import budgeting, pabulib
from copro.core import activity
from copro.core.models import Visibility
from copro.core.sanitize import plain_text
from copro.decisions.models import Ballot, BudgetBallot, Channel, Decision, Kind, Option, Status
from copro.projects.models import Project

# The largest shipped election (Łódź 2022) is 3.7 MB; 50 MB leaves room for any city's file.
MAX_PB_BYTES = 50 * 1024 * 1024

# Copro rule -> the META `rule` value that names it in a .pb file.
_RULES_TO_META = {rule: meta for meta, rule in budgeting.PABULIB_RULES.items()}
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
    try:
        rule = budgeting.rule_from_pabulib(instance.rule)
    except budgeting.CountingError:
        raise ValidationError(
            _(
                "The file's counting rule “%(rule)s” is not one Copro counts (greedy, greedy-threshold, equalshares, "
                "equalshares/add1)."
            )
            % {"rule": instance.rule[:50]}
        ) from None
    _check_ranges(instance)
    from copro.decisions import counting, services

    with transaction.atomic():
        title = plain_text(meta.get("description") or meta.get("unit") or "").strip() or name.rsplit("/", 1)[-1]
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
        currency = (meta.get("currency") or "").strip().upper()
        if re.fullmatch(r"[A-Z]{3}", currency):
            decision.currency = currency
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
        # Every imported ballot meets the same rules as one cast here (points, fewest and most choices).
        options = {o.code: o for o in decision.options.all()}
        ballots = []
        for vote in instance.votes:
            try:
                choices = counting.validate(decision, _choices(vote), options)
            except ValidationError as error:
                raise ValidationError(
                    _("The ballot of voter “%(voter)s” cannot be counted: %(reason)s")
                    % {"voter": vote.voter_id[:40], "reason": " ".join(error.messages)}
                ) from None
            ballots.append(
                Ballot(decision=decision, choices=choices, weight=1, channel=Channel.IMPORT, batch=name[:100])
            )
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


# Column limits: whole money up to 10^13, counts that fit the database's small integers.
MONEY_MAX = 10**13
SMALL_MAX = 32_767


def _check_ranges(instance: pabulib.PbInstance) -> None:
    if not 1 <= instance.budget <= MONEY_MAX:
        raise ValidationError(_("The budget must be between 1 and 10,000,000,000,000."))
    for project in instance.projects:
        if not 1 <= project.cost <= MONEY_MAX:
            raise ValidationError(
                _("Project “%(id)s” must cost between 1 and 10,000,000,000,000.") % {"id": project.id[:40]}
            )
        if len(project.id) > 40:
            raise ValidationError(_("Project id “%(id)s…” is longer than 40 characters.") % {"id": project.id[:40]})
    for key in ("min_length", "max_length", "max_sum_points"):
        value = _int_or_none(instance.meta.get(key))
        if value is not None and not 0 <= value <= SMALL_MAX:
            raise ValidationError(_("META %(key)s must be between 0 and 32,767.") % {"key": key})
    if (instance.threshold or 0) > 2_000_000_000:
        raise ValidationError(_("META min_project_score_threshold is too large."))


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _choices(vote: pabulib.PbVote) -> Any:
    if vote.points is None:
        return list(vote.projects)
    return {p: int(v) for p, v in zip(vote.projects, vote.points, strict=True)}


def export_pb(decision: Decision, *, with_votes: bool) -> str:
    options = list(decision.options.all())
    winners = set((decision.result or {}).get("winners", [])) if decision.status == Status.CLOSED else None
    votes: list[Any] = []
    if with_votes:
        # In a canonical order, never the order of voting: that order could be matched to who voted when.
        votes = sorted(
            Ballot.objects.filter(decision=decision).values_list("choices", flat=True),
            key=lambda c: json.dumps(c, sort_keys=True),
        )
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
        meta={
            "description": decision.title,
            "currency": decision.currency,
            "unit": decision.project.title,
            **{
                key: str(value)
                for key, value in (
                    ("min_length", decision.min_choices),
                    ("max_length", decision.max_choices),
                    ("max_sum_points", decision.points),
                    ("min_project_score_threshold", decision.threshold or None),
                )
                if value
            },
        },
        rule=_RULES_TO_META.get(decision.rule, decision.rule),
    )
    return pabulib.write_pb(instance)
