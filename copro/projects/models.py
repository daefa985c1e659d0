"""The shared space of one co-production effort, and the organisation that hosts it."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from copro.core.permissions import Role
from copro.projects import frameworks


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(unique=True, max_length=80)
    description = models.TextField(_("about the organisation"), max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def activity_label(self) -> str:
        return self.name


class OrganisationMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        STAFF = "staff", _("Staff")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_org_membership")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.organisation_id}"


class ProjectVisibility(models.TextChoices):
    PUBLIC = "public", _("Public: anyone can find and read it")
    UNLISTED = "unlisted", _("Unlisted: anyone with the link can read it; it is not listed")
    PRIVATE = "private", _("Private: only members can see it")


class DecisionMethod(models.TextChoices):
    CONSENT = "consent", _("Consent: we go ahead unless someone has a reasoned objection")
    CONSENSUS = "consensus", _("Consensus: we look for an outcome everyone can agree with")
    MAJORITY = "majority", _("Majority vote: each eligible person has an equal vote")
    ADVICE = "advice", _("Advice: the person responsible decides after asking those affected and experts")


def default_voting_roles() -> list[str]:
    return [Role.PARTICIPANT.value, Role.EXPERT.value, Role.FACILITATOR.value]


currency_code = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter currency code, such as GBP or EUR."))


class Project(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(unique=True, max_length=80)
    purpose = models.TextField(_("purpose"), max_length=5000, help_text=_("Why this project exists, in plain words."))
    visibility = models.CharField(
        _("who can see it"), max_length=10, choices=ProjectVisibility.choices, default=ProjectVisibility.PUBLIC
    )
    budget_amount = models.DecimalField(
        _("budget"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    budget_currency = models.CharField(_("currency"), max_length=3, default="GBP", validators=[currency_code])
    budget_notes = models.TextField(_("what the budget covers"), max_length=2000, blank=True)
    # How decisions are made: plain words for people, settings for the capabilities that count votes.
    decision_method = models.CharField(
        _("how decisions are made"), max_length=20, choices=DecisionMethod.choices, default=DecisionMethod.CONSENT
    )
    decision_rules = models.TextField(
        _("decision rules in plain words"),
        max_length=5000,
        blank=True,
        help_text=_("Who decides what, and how. Everyone sees this before they vote."),
    )
    voting_roles = models.JSONField(_("who may vote"), default=default_voting_roles)
    vote_weights = models.JSONField(
        _("vote weights"),
        default=dict,
        blank=True,
        help_text=_("Empty means every eligible person's vote counts the same."),
    )
    moderation_rules = models.TextField(
        _("moderation rules"),
        max_length=5000,
        blank=True,
        help_text=_("What may not be posted, and what facilitators do about it. Empty: Copro's standard rules."),
    )
    engagement_level = models.CharField(
        _("engagement level"), max_length=20, choices=frameworks.ENGAGEMENT_CHOICES, blank=True
    )
    engagement_answers = models.JSONField(default=dict, blank=True)
    cynefin_domain = models.CharField(
        _("kind of problem"), max_length=20, choices=frameworks.CYNEFIN_CHOICES, blank=True
    )
    cynefin_answers = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0), name="budget_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title

    def vote_weight(self, role: str) -> int:
        """How much one vote counts for a role: 1 for everyone unless the decision rules say otherwise."""
        if role not in self.voting_roles:
            return 0
        return int(self.vote_weights.get(role, 1))

    @property
    def equal_votes(self) -> bool:
        return all(int(self.vote_weights.get(r, 1)) == 1 for r in self.voting_roles)


class ScopeKind(models.TextChoices):
    CAN = "can", _("Can be influenced")
    FIXED = "fixed", _("Fixed")


class ScopeItem(models.Model):
    """One line of the scope of influence. Removed lines are kept (with removed_at) for the record."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scope_items")
    kind = models.CharField(max_length=5, choices=ScopeKind.choices)
    text = models.CharField(_("what"), max_length=500)
    reason = models.TextField(_("why it is fixed"), max_length=2000, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="fixed") | ~Q(reason=""), name="fixed_scope_needs_reason")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def activity_label(self) -> str:
        return self.text


class ScopeChange(models.Model):
    """A proposed change to the scope. It takes effect only when both sides agree (see services)."""

    class Action(models.TextChoices):
        ADD = "add", _("Add a line")
        EDIT = "edit", _("Change a line")
        REMOVE = "remove", _("Remove a line")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for agreement")
        AGREED = "agreed", _("Agreed and made")
        NOT_AGREED = "not_agreed", _("Not agreed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scope_changes")
    action = models.CharField(max_length=6, choices=Action.choices)
    item = models.ForeignKey(ScopeItem, null=True, blank=True, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=5, choices=ScopeKind.choices)
    text = models.CharField(max_length=500, blank=True)
    reason = models.TextField(max_length=2000, blank=True)
    explanation = models.TextField(_("why this change"), max_length=2000, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    outcome_note = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action}: {self.text}"

    @property
    def activity_label(self) -> str:
        return self.text or (self.item.text if self.item else "")


class ScopeChangeResponse(models.Model):
    change = models.ForeignKey(ScopeChange, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=12)
    agrees = models.BooleanField()
    comment = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["change", "user"], name="one_response_per_person")]

    def __str__(self) -> str:
        return f"{self.user_id} {'agrees' if self.agrees else 'objects'}"


class Phase(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("phase"), max_length=200)
    description = models.TextField(_("what happens"), max_length=2000, blank=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="phase_ends_after_start")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def activity_label(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.starts_on <= today <= self.ends_on


class StepCheck(models.Model):
    """One of the five co-production steps, with the evidence that it is in place."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=20, choices=frameworks.STEP_CHOICES)
    done = models.BooleanField(default=False)
    evidence = models.TextField(_("evidence"), max_length=3000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "step"], name="one_check_per_step")]

    def __str__(self) -> str:
        return self.step


class MemberRole(models.TextChoices):
    FACILITATOR = Role.FACILITATOR.value, _("Facilitator (staff running the project)")
    PARTICIPANT = Role.PARTICIPANT.value, _("Participant (lived experience, citizen)")
    EXPERT = Role.EXPERT.value, _("Expert")
    OBSERVER = Role.OBSERVER.value, _("Observer (governance board)")


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="project_memberships")
    role = models.CharField(max_length=12, choices=MemberRole.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_project")]
        ordering = ["joined_at"]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.project_id} as {self.role}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An email link that makes its holder a member. Only the token's hash is stored."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=12, choices=MemberRole.choices)
    message = models.TextField(max_length=2000, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation {self.pk} to {self.project_id}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at
