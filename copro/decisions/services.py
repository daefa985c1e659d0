"""Every change to decisions. Each state change that matters writes one activity entry.

Ballots are not written to the activity log one by one (a 100,000-ballot vote would serialise on the
hash chain); the count, published at close, records the participation figures instead.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from copro.accounts.models import User
from copro.core import activity
from copro.core.forms import claim_token
from copro.core.models import Visibility
from copro.core.sanitize import plain_text
from copro.decisions import counting
from copro.decisions.models import (
    OFFLINE_CHANNELS,
    Ballot,
    Channel,
    Decision,
    Kind,
    Option,
    Outcome,
    Participation,
    PollMethod,
    Response,
    Stance,
    Status,
    VotingCode,
    hash_code,
)
from copro.projects.access import project_role
from copro.projects.models import Membership, Project

logger = logging.getLogger(__name__)

TITLE_MAX = 200
TEXT_MAX = 5000
# A printed sheet of codes: at most 2,000 per request (a large polling day is several batches).
CODES_PER_BATCH_MAX = 2000
# Unambiguous letters and digits for printed codes (no 0/O, 1/I/L): 10 characters ≈ 50 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


class VotingClosed(ValidationError):
    pass


class AlreadyVoted(ValidationError):
    pass


def _text(value: str, limit: int, label: str) -> str:
    value = plain_text(value or "").strip()
    if len(value) > limit:
        raise ValidationError(_("%(label)s can be at most %(max)d characters long.") % {"label": label, "max": limit})
    return value


# --- Preparing a decision --------------------------------------------------------------------------


# The settings each kind of decision takes (anything else is refused).
SETTINGS = {
    Kind.PROPOSAL: {"process"},
    Kind.POLL: {"method", "min_choices", "max_choices", "max_score", "dots", "seats", "secrecy", "hide_results"},
    Kind.BUDGET: {
        "budget",
        "ballot_kind",
        "rule",
        "threshold",
        "spending_cap",
        "points",
        "min_choices",
        "max_choices",
        "secrecy",
        "hide_results",
    },
}


def _apply(
    decision: Decision, *, title: str, how_used: str, closes_at: datetime, description: str, settings: dict[str, Any]
) -> None:
    """Check and set the question and settings of a decision being prepared (not saved)."""
    title = _text(title, TITLE_MAX, _("The title"))
    how_used = _text(how_used, 2000, _("How the result will be used"))
    description = _text(description, 10000, _("The background"))
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Say what is being decided.")
    if not how_used:
        errors["how_used"] = _("Say how the result will be used, so people know before they vote.")
    if closes_at <= timezone.now():
        errors["closes_at"] = _("The closing date must be in the future.")
    if errors:
        raise ValidationError(errors)
    decision.title, decision.how_used, decision.description, decision.closes_at = (
        title,
        how_used,
        description,
        closes_at,
    )
    for name, value in settings.items():
        if name not in SETTINGS[Kind(decision.kind)]:
            raise ValidationError(f"{name} does not apply to a {decision.kind}.")
        setattr(decision, name, value)
    if decision.secrecy == "secret":
        # A live count next to the times people voted would show how each person voted.
        decision.hide_results = True
    if decision.kind == Kind.PROPOSAL:
        # Consent and consensus are open by nature: objections must be seen to be answered.
        decision.secrecy = "named"
        decision.hide_results = False
        if not decision.process:
            raise ValidationError({"process": _("Choose how the proposal will be decided.")})
    _check_settings(decision)


@transaction.atomic
def decision_create(
    *,
    user: User,
    project: Project,
    kind: str,
    title: str,
    how_used: str,
    closes_at: datetime,
    description: str = "",
    form_token: uuid.UUID | None = None,
    **settings: Any,
) -> Decision:
    if kind not in Kind.values:
        raise ValidationError(_("Choose a kind of decision."))
    decision = Decision(
        project=project,
        kind=kind,
        created_by=user,
        electorate_roles=list(project.voting_roles),
        weights={r: project.vote_weight(r) for r in project.voting_roles},
        currency=project.budget_currency,
    )
    _apply(decision, title=title, how_used=how_used, closes_at=closes_at, description=description, settings=settings)
    claim_token(form_token)
    decision.save()
    activity.record(verb="decisions.created", actor=user, project=project, target=decision, visibility=Visibility.STAFF)
    return decision


@transaction.atomic
def decision_update(
    *,
    user: User,
    decision: Decision,
    title: str,
    how_used: str,
    closes_at: datetime,
    description: str = "",
    **settings: Any,
) -> Decision:
    """Change a decision still being prepared. Once voting opens, its question and rules are fixed."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    _require_status(decision, Status.DRAFT, _("Only a decision still being prepared can be changed."))
    _apply(decision, title=title, how_used=how_used, closes_at=closes_at, description=description, settings=settings)
    decision.save()
    activity.record(
        verb="decisions.edited", actor=user, project=decision.project, target=decision, visibility=Visibility.STAFF
    )
    return decision


def _check_settings(decision: Decision) -> None:
    """Rules that make a decision countable. Checked at creation and again when it opens."""
    errors: dict[str, str] = {}
    if decision.kind == Kind.POLL:
        if decision.method not in PollMethod.values:
            errors["method"] = _("Choose a voting method.")
        if decision.method == PollMethod.SCORE and not decision.max_score:
            errors["max_score"] = _("Give the highest score a person can give.")
        if decision.method == PollMethod.DOTS and not decision.dots:
            errors["dots"] = _("Say how many dots each person has.")
        if decision.method == PollMethod.STV and (decision.seats or 0) < 2:
            errors["seats"] = _("Several winners means at least 2.")
    if decision.kind == Kind.BUDGET:
        if not decision.budget:
            errors["budget"] = _("Give the budget to share, in whole units of money.")
        if not decision.ballot_kind:
            errors["ballot_kind"] = _("Choose a kind of ballot.")
        if not decision.rule:
            errors["rule"] = _("Choose a counting rule before voting opens.")
        if decision.ballot_kind == "cumulative" and not decision.points:
            errors["points"] = _("Say how many points each person has.")
    if decision.min_choices and decision.max_choices and decision.min_choices > decision.max_choices:
        errors["min_choices"] = _("The fewest choices cannot be more than the most choices.")
    if errors:
        raise ValidationError(errors)


def _require_status(decision: Decision, status: str, message: str) -> None:
    if decision.status != status:
        raise ValidationError(message)


@transaction.atomic
def option_add(
    *, user: User, decision: Decision, title: str, description: str = "", cost: int | None = None, code: str = ""
) -> Option:
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    _require_status(decision, Status.DRAFT, _("Options can only be added before voting opens."))
    title = _text(title, TITLE_MAX, _("The option"))
    if not title:
        raise ValidationError({"title": _("Give the option a name.")})
    if decision.kind == Kind.BUDGET and (cost is None or cost < 1):
        raise ValidationError({"cost": _("A project in a budget needs a cost of at least 1.")})
    position = (decision.options.aggregate(m=Max("position"))["m"] or 0) + 1
    code = (code or "").strip() or str(position)
    if decision.options.filter(code=code).exists():
        code = f"{code}-{secrets.token_hex(2)}"
    return Option.objects.create(
        decision=decision,
        title=title,
        description=_text(description, TEXT_MAX, _("The details")),
        cost=cost if decision.kind == Kind.BUDGET else None,
        code=code,
        position=position,
    )


@transaction.atomic
def option_remove(*, user: User, option: Option) -> None:
    decision = Decision.objects.select_for_update().get(pk=option.decision_id)
    _require_status(decision, Status.DRAFT, _("Options cannot be removed once voting has opened."))
    option.delete()


@transaction.atomic
def decision_open(*, user: User, decision: Decision) -> Decision:
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    _require_status(decision, Status.DRAFT, _("This decision is already open or closed."))
    _check_settings(decision)
    if decision.closes_at <= timezone.now():
        raise ValidationError(_("The closing date has passed. Set a new one before opening."))
    n_options = decision.options.count()
    if decision.kind in (Kind.POLL, Kind.BUDGET) and n_options < 2:
        raise ValidationError(_("Add at least two options before opening the vote."))
    if decision.method == PollMethod.STV and (decision.seats or 0) >= n_options:
        raise ValidationError(_("There must be more options than winners."))
    if decision.min_choices and decision.min_choices > n_options:
        raise ValidationError(_("People are asked to choose more options than there are. Add options first."))
    if decision.kind == Kind.BUDGET:
        cap = decision.budget if decision.ballot_kind == "knapsack" else decision.spending_cap
        cheapest = decision.options.order_by("cost").values_list("cost", flat=True).first() or 0
        if cap and cheapest > cap:
            raise ValidationError(_("Every project costs more than a ballot may spend, so nobody could vote."))
    project = decision.project
    # Frozen now: the electorate and weights everyone is shown are the ones that count.
    decision.electorate_roles = list(project.voting_roles)
    decision.weights = {r: project.vote_weight(r) for r in project.voting_roles}
    decision.electors = {
        str(user_id): role
        for user_id, role in Membership.objects.filter(
            project=project, role__in=decision.electorate_roles, user__is_active=True
        ).values_list("user_id", "role")
    }
    if decision.kind == Kind.BUDGET:
        # Equal Shares gives every voter one equal share of the budget: budget ballots are never weighted.
        decision.weights = dict.fromkeys(decision.electorate_roles, 1)
    decision.tie_seed = secrets.randbelow(2**31)
    decision.status = Status.OPEN
    decision.opened_at = timezone.now()
    decision.save()
    activity.record(verb="decisions.opened", actor=user, project=project, target=decision)
    return decision


def _open_for_votes(decision: Decision) -> None:
    if decision.status != Status.OPEN or decision.closes_at <= timezone.now():
        raise VotingClosed(_("This vote is closed. No more votes can be counted."))


# --- Voting --------------------------------------------------------------------------------------


def eligible_role(user: Any, decision: Decision) -> str | None:
    """The role a person votes in: from the electorate frozen when the decision opened (None: not a voter)."""
    if not getattr(user, "is_authenticated", False) or decision.status == Status.DRAFT:
        return None
    if project_role(user, decision.project) is None:
        return None
    return decision.electors.get(str(user.pk))


def _lock_open(decision: Decision) -> None:
    """Inside the voter's transaction: the decision must still be open, and stays open until we commit.

    FOR SHARE conflicts with decision_close's FOR UPDATE but not with other voters, so a ballot is
    either counted in the published result or refused; it can never land after the count.
    (SQLite: Copro's transactions begin IMMEDIATE, holding the write lock, so a close waits its turn.)
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT status, closes_at FROM decisions_decision WHERE id = %s FOR SHARE", [decision.pk])
            row = cursor.fetchone()
    else:
        row = Decision.objects.filter(pk=decision.pk).values_list("status", "closes_at").first()
    if row is None or row[0] != Status.OPEN or row[1] <= timezone.now():
        raise VotingClosed(_("This vote is closed. No more votes can be counted."))


def ballot_cast(*, user: User, decision: Decision, choices: Any, form_token: uuid.UUID | None = None) -> Ballot:
    """One vote per person: the unique constraint on Participation refuses a second, even at the same instant."""
    role = eligible_role(user, decision)
    if role is None:
        raise PermissionDenied
    _open_for_votes(decision)
    choices = counting.validate(decision, choices)
    try:
        with transaction.atomic():
            _lock_open(decision)
            claim_token(form_token)
            Participation.objects.create(decision=decision, user=user, role=role)
            return Ballot.objects.create(
                decision=decision,
                voter=None if decision.is_secret else user,
                choices=choices,
                weight=decision.weight_for(role),
                channel=Channel.ONLINE,
            )
    except IntegrityError:
        raise AlreadyVoted(_("You have already voted in this decision. Each person votes once.")) from None


@transaction.atomic
def ballot_enter(
    *, user: User, decision: Decision, choices: Any, channel: str, batch: str, role: str = "participant"
) -> Ballot:
    """Staff record a paper or in-person ballot, with its provenance."""
    _lock_open(decision)
    if channel not in (Channel.PAPER, Channel.IN_PERSON):
        raise ValidationError({"channel": _("Choose paper or in person.")})
    batch = _text(batch, 100, _("The batch"))
    if not batch:
        raise ValidationError({"batch": _("Name the batch (for example the drop-in and date), so it can be checked.")})
    if role not in decision.electorate_roles:
        raise ValidationError({"role": _("That role cannot vote in this decision.")})
    choices = counting.validate(decision, choices)
    return Ballot.objects.create(
        decision=decision,
        choices=choices,
        weight=decision.weight_for(role),
        channel=channel,
        entered_by=user,
        batch=batch,
    )


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def codes_generate(*, user: User, decision: Decision, count: int, batch: str, role: str = "participant") -> list[str]:
    """Single-use codes for in-person voters. Returned once, to print; only their hashes are kept."""
    if decision.kind == Kind.PROPOSAL:
        raise ValidationError(_("Proposals are answered by name, not with voting codes."))
    if decision.status == Status.CLOSED:
        raise VotingClosed(_("This vote is closed."))
    if not 1 <= count <= CODES_PER_BATCH_MAX:
        raise ValidationError(
            {"count": _("Make between 1 and %(max)d codes at a time.") % {"max": CODES_PER_BATCH_MAX}}
        )
    if role not in decision.electorate_roles:
        raise ValidationError({"role": _("That role cannot vote in this decision.")})
    batch = _text(batch, 100, _("The batch")) or timezone.now().strftime("%Y-%m-%d %H:%M")
    codes = [_new_code() for _ in range(count)]
    VotingCode.objects.bulk_create(
        [VotingCode(decision=decision, code_hash=hash_code(c), batch=batch, role=role) for c in codes]
    )
    activity.record(
        verb="decisions.codes_made",
        actor=user,
        project=decision.project,
        target=decision,
        visibility=Visibility.STAFF,
        data={"count": count, "batch": batch},
    )
    return codes


def code_find(code: str) -> VotingCode | None:
    return VotingCode.objects.select_related("decision__project").filter(code_hash=hash_code(code)).first()


def ballot_cast_with_code(*, code: str, choices: Any) -> Ballot:
    voting_code = code_find(code)
    if voting_code is None:
        raise ValidationError(_("That code is not recognised. Check it and try again."))
    decision = voting_code.decision
    _open_for_votes(decision)
    choices = counting.validate(decision, choices)
    with transaction.atomic():
        _lock_open(decision)
        # The conditional update is the single-use guarantee: of two submits, only one changes a row.
        used = VotingCode.objects.filter(pk=voting_code.pk, used_at__isnull=True).update(used_at=timezone.now())
        if not used:
            raise AlreadyVoted(_("That code has already been used. Each code votes once."))
        return Ballot.objects.create(
            decision=decision,
            choices=choices,
            weight=decision.weight_for(voting_code.role),
            channel=Channel.CODE,
            batch=voting_code.batch,
        )


# --- Proposals -----------------------------------------------------------------------------------


@transaction.atomic
def proposal_respond(*, user: User, decision: Decision, stance: str, reason: str) -> Response:
    if decision.kind != Kind.PROPOSAL:
        raise ValidationError(_("Only proposals take responses."))
    if eligible_role(user, decision) is None:
        raise PermissionDenied
    # Locked: responses queue behind a close (and behind each other), so none lands after the outcome.
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    _open_for_votes(decision)
    if stance not in Stance.values:
        raise ValidationError({"stance": _("Choose agree, abstain, disagree or block.")})
    reason = _text(reason, TEXT_MAX, _("Your reasons"))
    if stance in (Stance.DISAGREE, Stance.BLOCK) and not reason:
        raise ValidationError({"reason": _("Give your reasons, so your objection can be answered.")})
    response = Response.objects.select_for_update().filter(decision=decision, user=user).first()
    if response is None:
        response = Response(decision=decision, user=user)
    changed = response.stance != stance or response.reason != reason
    response.stance, response.reason = stance, reason
    if changed:
        # A changed objection is a new objection: it needs a new answer.
        response.answer, response.answered_by, response.answered_at = "", None, None
    response.save()
    activity.record(
        verb="decisions.responded", actor=user, project=decision.project, target=decision, data={"stance": stance}
    )
    return response


@transaction.atomic
def objection_answer(*, user: User, response: Response, answer: str) -> Response:
    Decision.objects.select_for_update().get(pk=response.decision_id)
    response = Response.objects.select_for_update().select_related("decision").get(pk=response.pk)
    if not response.is_objection:
        raise ValidationError(_("Only objections need an answer."))
    _require_status(response.decision, Status.OPEN, _("This proposal is closed."))
    answer = _text(answer, TEXT_MAX, _("The answer"))
    if not answer:
        raise ValidationError({"answer": _("Write an answer to the objection.")})
    response.answer, response.answered_by, response.answered_at = answer, user, timezone.now()
    response.save(update_fields=["answer", "answered_by", "answered_at", "updated_at"])
    activity.record(
        verb="decisions.objection_answered", actor=user, project=response.decision.project, target=response.decision
    )
    return response


# --- Closing and the record ------------------------------------------------------------------------


def participation_figures(decision: Decision) -> dict[str, Any]:
    by_channel = dict(
        Ballot.objects.filter(decision=decision)
        .values_list("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    if decision.kind == Kind.PROPOSAL:
        by_channel = {Channel.ONLINE.value: decision.responses.count()}
    total = sum(by_channel.values())
    offline = sum(n for c, n in by_channel.items() if c in OFFLINE_CHANNELS)
    return {"total": total, "by_channel": by_channel, "offline": offline, "online": total - offline}


@transaction.atomic
def decision_close(
    *,
    user: User | None,
    decision: Decision,
    outcome: str = "",
    statement: str = "",
    rationale: str = "",
    review_on: date | None = None,
    not_taken: dict[int, str] | None = None,
) -> Decision:
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    _require_status(decision, Status.OPEN, _("Only an open decision can be closed."))
    statement = _text(statement, TEXT_MAX, _("The outcome"))
    rationale = _text(rationale, TEXT_MAX, _("The reasons"))
    if review_on is not None and review_on <= timezone.localdate():
        raise ValidationError({"review_on": _("A review date must be in the future.")})
    if decision.kind == Kind.PROPOSAL:
        unanswered = decision.responses.filter(stance__in=[Stance.DISAGREE, Stance.BLOCK], answer="").count()
        if unanswered:
            raise ValidationError(
                ngettext(
                    "%(n)d objection still needs an answer before the proposal can be closed.",
                    "%(n)d objections still need an answer before the proposal can be closed.",
                    unanswered,
                )
                % {"n": unanswered}
            )
        if outcome not in (Outcome.ADOPTED, Outcome.ADOPTED_CHANGED, Outcome.NOT_ADOPTED, Outcome.WITHDRAWN):
            raise ValidationError({"outcome": _("Choose the outcome.")})
        if not statement:
            raise ValidationError({"statement": _("Write the outcome in plain words.")})
    else:
        outcome = Outcome.COUNTED
    decision.result = counting.count_or_explain(decision)
    decision.participation = participation_figures(decision)
    decision.status = Status.CLOSED
    decision.closed_at = timezone.now()
    decision.closed_by = user
    decision.outcome = outcome
    decision.outcome_statement = statement
    decision.rationale = rationale
    decision.review_on = review_on
    decision.save()
    for option_id, reason in (not_taken or {}).items():
        reason = _text(reason, 2000, _("The reason"))
        if reason:
            decision.options.filter(pk=option_id).update(not_taken_reason=reason)
    activity.record(verb="decisions.closed", actor=user, project=decision.project, target=decision)
    return decision


def close_due(now: datetime | None = None) -> list[Decision]:
    """Close every open poll or budget whose closing time has passed (run by `copro decisions tick`).
    Proposals wait for a facilitator: their objections must be answered and an outcome written."""
    now = now or timezone.now()
    closed = []
    for decision in Decision.objects.filter(status=Status.OPEN, closes_at__lte=now).exclude(kind=Kind.PROPOSAL):
        try:
            closed.append(decision_close(user=None, decision=decision))
        except Exception:  # noqa: BLE001 - one decision that cannot be counted must not stop the others
            logger.exception("Could not close decision %s", decision.pk)
    return closed


def remind_reviews(today: date | None = None) -> list[Decision]:
    """Email the project's facilitators when a decision's review date comes (once per decision)."""
    from django.conf import settings as django_settings
    from django.urls import reverse

    from copro.core.email import queue_email
    from copro.projects.models import Membership

    today = today or timezone.localdate()
    reminded = []
    due = Decision.objects.filter(status=Status.CLOSED, review_on__lte=today, review_reminded_at__isnull=True)
    for decision in due.select_related("project"):
        with transaction.atomic():
            # The conditional update makes the reminder once-only, even if two ticks run together.
            if not Decision.objects.filter(pk=decision.pk, review_reminded_at__isnull=True).update(
                review_reminded_at=timezone.now()
            ):
                continue
            url = django_settings.SITE_URL + reverse("decisions:detail", args=[decision.project.slug, decision.pk])
            facilitators = Membership.objects.filter(
                project=decision.project, role="facilitator", user__notify_by_email=True, user__is_active=True
            ).select_related("user")
            for membership in facilitators:
                queue_email(
                    to=membership.user.email,
                    template="decisions/email/review",
                    context={"title": decision.title, "project_title": decision.project.title, "url": url},
                    language=membership.user.preferred_language,
                )
            activity.record(verb="decisions.review_due", actor=None, project=decision.project, target=decision)
        reminded.append(decision)
    return reminded
