"""Following through: commitments ("we will"), their milestones and updates; feedback moments; reach targets.

Where a commitment came from (a decision, an idea, a meeting action) is a typed ResourceLink
(copro.core.links), so "what became of my idea?" and "why are we doing this?" are one query each.
Governance reports and co-production health are computed from these and the other apps' data
(copro.followthrough.reports, copro.followthrough.health); they store nothing of their own.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from copro.core.models import EntryChannel, Visibility


class CommitmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CHANGED = "changed", _("Changed")
    DROPPED = "dropped", _("Dropped")


# Changed and dropped commitments must say why, in plain words.
NEEDS_REASON = (CommitmentStatus.CHANGED, CommitmentStatus.DROPPED)


class Commitment(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="commitments")
    title = models.CharField(_("we will"), max_length=200)
    description = models.TextField(_("what this means in practice"), max_length=10000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_commitments", verbose_name=_("owner")
    )
    # Participants (or anyone) who share ownership: the health score counts commitments co-owned by participants.
    co_owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="co_owned_commitments")
    due_on = models.DateField(_("due by"))
    status = models.CharField(max_length=12, choices=CommitmentStatus.choices, default=CommitmentStatus.PLANNED)
    status_reason = models.TextField(_("why"), max_length=3000, blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # When the owner and facilitators were last told it is overdue (told once, not every day).
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["project", "status", "due_on"], name="commitment_project_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=[s.value for s in NEEDS_REASON]) | ~Q(status_reason=""),
                name="commitment_changed_dropped_need_reason",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title


class Milestone(models.Model):
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due by"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class CommitmentUpdate(models.Model):
    """News about a commitment; a status change is an update too. Contributors are told of each."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("what has happened"), max_length=10000)
    status_from = models.CharField(max_length=12, choices=CommitmentStatus.choices, blank=True)
    status_to = models.CharField(max_length=12, choices=CommitmentStatus.choices, blank=True)
    reason = models.TextField(_("why"), max_length=3000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)  # how many contributors were told

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["commitment", "created_at"], name="commitment_update_time")]

    def __str__(self) -> str:
        return f"update {self.pk} on {self.commitment_id}"


class FeedbackAbout(models.TextChoices):
    SERVICE = "service", _("The service")
    PROJECT = "project", _("This project")


class Feeling(models.IntegerChoices):
    VERY_BAD = 1, _("Very bad")
    BAD = 2, _("Bad")
    OKAY = 3, _("Okay")
    GOOD = 4, _("Good")
    VERY_GOOD = 5, _("Very good")


class Triage(models.TextChoices):
    NEW = "new", _("Not looked at yet")
    CELEBRATE = "celebrate", _("Celebrate")
    ACT_ON = "act_on", _("Act on")
    PASS_ON = "pass_on", _("Pass on")


class FeedbackMoment(models.Model):
    """Quick feedback given in the moment. Private by default: only facilitators read it."""

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="feedback")
    about = models.CharField(_("about"), max_length=8, choices=FeedbackAbout.choices, default=FeedbackAbout.SERVICE)
    text = models.TextField(_("what happened"), max_length=5000)
    feeling = models.PositiveSmallIntegerField(
        _("how it felt"), choices=Feeling.choices, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    tags = models.JSONField(default=list, blank=True)
    # Optional, private: an email address or phone number, only if the person wants a reply.
    contact = models.CharField(_("how to reach you (optional)"), max_length=300, blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A practitioner entering it on someone's behalf, and how it reached them.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=EntryChannel.choices, default=EntryChannel.ONLINE)
    created_at = models.DateTimeField(auto_now_add=True)
    triage = models.CharField(max_length=10, choices=Triage.choices, default=Triage.NEW)
    triage_note = models.TextField(_("note for the team"), max_length=3000, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    commitment = models.ForeignKey(Commitment, null=True, blank=True, on_delete=models.PROTECT, related_name="feedback")
    # Shared publicly only with the giver's consent, and only the excerpt a facilitator chose.
    consent_to_share = models.BooleanField(_("you may quote this publicly, without my name"), default=False)
    public_excerpt = models.TextField(_("excerpt to share"), max_length=1000, blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "created_at"], name="feedback_project_time")]
        constraints = [
            models.CheckConstraint(condition=Q(feeling__gte=1) & Q(feeling__lte=5), name="feedback_feeling_1_to_5"),
            models.CheckConstraint(
                condition=Q(shared_at__isnull=True) | Q(consent_to_share=True), name="feedback_shared_only_with_consent"
            ),
        ]

    def __str__(self) -> str:
        return f"feedback {self.pk}"


class ReachTarget(models.Model):
    """How many people the project means to reach, overall or in a role or channel (for governance reports)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="reach_targets")
    label = models.CharField(_("who"), max_length=200)
    role = models.CharField(max_length=12, blank=True)  # a MemberRole value, or blank for everyone
    channel = models.CharField(max_length=10, choices=EntryChannel.choices, blank=True)
    target = models.PositiveIntegerField(_("how many"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "role", "channel"], name="one_target_per_role_channel")
        ]

    def __str__(self) -> str:
        return self.label
