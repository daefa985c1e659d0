"""Deciding together: consent proposals, polls (incl. ranked choice) and participatory budgets.

One `Decision` row per question put to a project's decision-makers, whatever the method; closed
decisions are the public decision log. Who voted and how they voted are kept in separate tables:
- `Participation`: that a person took part (one row per person per decision, enforced by a unique
  constraint, so a double submit cannot count twice);
- `Ballot`: what was chosen. For a secret ballot it carries no link to the person and no timestamp,
  and its primary key is random, so nobody, staff included, can join a ballot back to its voter.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PROPOSAL = "proposal", _("Proposal")
    POLL = "poll", _("Poll")
    BUDGET = "budget", _("Participatory budget")


class Status(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Process(models.TextChoices):
    """Templates for proposals (each sets how responses are used; see copro/decisions/templates.py)."""

    ADVICE = "advice", _("Advice")
    CONSENT = "consent", _("Consent")
    CONSENSUS = "consensus", _("Consensus")


class PollMethod(models.TextChoices):
    SINGLE = "single", _("Single choice")
    APPROVAL = "approval", _("Approval (choose all you support)")
    SCORE = "score", _("Score each option")
    DOTS = "dots", _("Dot voting (spread your dots)")
    IRV = "irv", _("Ranked choice, one winner (instant-runoff)")
    STV = "stv", _("Ranked choice, several winners (single transferable vote)")


class BudgetBallot(models.TextChoices):
    APPROVAL = "approval", _("Approval: choose the projects you support")
    KNAPSACK = "knapsack", _("Within budget: choose projects whose costs add up to no more than the budget")
    CUMULATIVE = "cumulative", _("Points: spread your points across projects")


class BudgetRule(models.TextChoices):
    GREEDY = "greedy", _("Most votes first, skipping projects that no longer fit")
    GREEDY_THRESHOLD = "greedy-threshold", _("Most votes first, only projects with at least the minimum votes")
    GREEDY_NO_SKIP = "greedy-no-skip", _("Most votes first, stopping at the first project that does not fit")
    MES = "mes", _("Method of Equal Shares")
    MES_ADD1 = "mes-add1", _("Method of Equal Shares, completed to use the budget")
    MES_ADD1_COMPARISON = (
        "mes-add1-comparison",
        _("Method of Equal Shares, completed, then compared with most-votes-first"),
    )


class Secrecy(models.TextChoices):
    NAMED = "named", _("Named: everyone can see how each person voted")
    SECRET = "secret", _("Secret: nobody, staff included, can see how anyone voted")


class Outcome(models.TextChoices):
    ADOPTED = "adopted", _("Agreed")
    ADOPTED_CHANGED = "adopted_changed", _("Agreed with changes")
    NOT_ADOPTED = "not_adopted", _("Not agreed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    COUNTED = "counted", _("Counted")


class Decision(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(_("the question or proposal"), max_length=200)
    description = models.TextField(_("background"), max_length=10000, blank=True)
    how_used = models.TextField(
        _("how the result will be used"),
        max_length=2000,
        help_text=_("Plain words: what happens with the result, and who acts on it."),
    )
    # Who can decide: project roles, frozen when the decision opens along with their vote weights, so a
    # later change to the project's rules cannot change a running vote.
    electorate_roles = models.JSONField(default=list)
    weights = models.JSONField(default=dict, blank=True)
    # The people who may vote, frozen at opening: {user id: role}. Joining or changing role mid-vote
    # changes neither who votes nor how much a vote counts.
    electors = models.JSONField(default=dict, blank=True)
    secrecy = models.CharField(_("ballot"), max_length=6, choices=Secrecy.choices, default=Secrecy.SECRET)
    hide_results = models.BooleanField(_("hide results until the vote closes"), default=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)
    closes_at = models.DateTimeField(_("closes at"))
    # Published with the result: ties that only chance can break are broken by this seed.
    tie_seed = models.PositiveIntegerField(default=0)

    # Proposals
    process = models.CharField(_("process"), max_length=10, choices=Process.choices, blank=True)
    # Polls
    method = models.CharField(_("voting method"), max_length=10, choices=PollMethod.choices, blank=True)
    min_choices = models.PositiveSmallIntegerField(_("fewest choices"), null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField(_("most choices"), null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(_("highest score"), null=True, blank=True)
    dots = models.PositiveSmallIntegerField(_("dots per person"), null=True, blank=True)
    seats = models.PositiveSmallIntegerField(_("number of winners"), null=True, blank=True)
    # Participatory budgets (whole currency units, as in the Pabulib format)
    budget = models.PositiveBigIntegerField(_("budget to share"), null=True, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    ballot_kind = models.CharField(_("ballot"), max_length=10, choices=BudgetBallot.choices, blank=True)
    rule = models.CharField(_("counting rule"), max_length=20, choices=BudgetRule.choices, blank=True)
    threshold = models.PositiveIntegerField(_("minimum votes for a project"), default=0)
    spending_cap = models.PositiveBigIntegerField(_("spending cap per ballot"), null=True, blank=True)
    points = models.PositiveSmallIntegerField(_("points per person"), null=True, blank=True)

    # The record
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_statement = models.TextField(_("outcome"), max_length=5000, blank=True)
    rationale = models.TextField(_("why"), max_length=5000, blank=True)
    review_on = models.DateField(_("review date"), null=True, blank=True)
    review_reminded_at = models.DateTimeField(null=True, blank=True)
    # The published count, frozen at close (JSON from copro.analysis; exact numbers as strings).
    result = models.JSONField(null=True, blank=True)
    participation = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="closed_decision_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title

    @property
    def is_secret(self) -> bool:
        return self.secrecy == Secrecy.SECRET

    def weight_for(self, role: str) -> int:
        if role not in self.electorate_roles:
            return 0
        return int(self.weights.get(role, 1))

    @property
    def electorate_labels(self) -> list[str]:
        from copro.core.permissions import Role

        return [Role(r).label for r in self.electorate_roles]

    @property
    def equal_votes(self) -> bool:
        return all(self.weight_for(r) == 1 for r in self.electorate_roles)


class Option(models.Model):
    """A choice in a poll, or a costed project in a participatory budget."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="options")
    title = models.CharField(_("option"), max_length=200)
    description = models.TextField(_("details"), max_length=5000, blank=True)
    cost = models.PositiveBigIntegerField(_("cost"), null=True, blank=True, validators=[MinValueValidator(1)])
    # The id used in Pabulib files and in counting; kept when a .pb file is imported.
    code = models.CharField(max_length=40)
    position = models.PositiveIntegerField(default=0)
    not_taken_reason = models.TextField(_("why it was not taken forward"), max_length=2000, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["decision", "code"], name="option_code_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper")
    IN_PERSON = "in_person", _("In person")
    CODE = "code", _("Voting code")
    IMPORT = "import", _("Imported file")


OFFLINE_CHANNELS = (Channel.PAPER, Channel.IN_PERSON, Channel.CODE, Channel.IMPORT)


class Participation(models.Model):
    """That a signed-in person took part. The unique constraint is the one-vote-per-person rule."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["decision", "user"], name="one_vote_per_person")]

    def __str__(self) -> str:
        return f"{self.user_id} took part in {self.decision_id}"


class Ballot(models.Model):
    """What was chosen. `voter` is set only for named ballots; secret ballots carry no trace of the voter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # Option codes: a list (single, approval, ranked, PB approval/knapsack) or {code: number} (score,
    # dots, PB points).
    choices = models.JSONField()
    weight = models.PositiveSmallIntegerField(default=1)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    batch = models.CharField(_("batch"), max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["decision", "channel"])]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "voter"], condition=Q(voter__isnull=False), name="one_named_ballot_per_voter"
            )
        ]

    def __str__(self) -> str:
        return f"ballot in {self.decision_id}"


def hash_code(code: str) -> str:
    """A keyed hash: a copy of the database alone cannot be searched for the ~50-bit codes."""
    normalised = code.strip().upper().replace("-", "").replace(" ", "").encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"voting-code:" + normalised, hashlib.sha256).hexdigest()


class VotingCode(models.Model):
    """A single-use code printed in advance for someone voting in person. Only its hash is stored."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, unique=True)
    batch = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=20, default="participant")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"voting code {self.pk}"


class Stance(models.TextChoices):
    AGREE = "agree", _("Agree")
    ABSTAIN = "abstain", _("Abstain")
    DISAGREE = "disagree", _("Disagree")
    BLOCK = "block", _("Block")


OBJECTIONS = (Stance.DISAGREE, Stance.BLOCK)


class Response(models.Model):
    """One decision-maker's response to a proposal. Named: objections are visible so they can be answered."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stance = models.CharField(max_length=8, choices=Stance.choices)
    reason = models.TextField(_("your reasons"), max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    answer = models.TextField(_("answer to this objection"), max_length=5000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["decision", "user"], name="one_proposal_response_per_person")]

    def __str__(self) -> str:
        return f"{self.stance} on {self.decision_id}"

    @property
    def is_objection(self) -> bool:
        return self.stance in OBJECTIONS

    @property
    def needs_answer(self) -> bool:
        return self.is_objection and not self.answer
