"""Following through: commitments ("we will"), their milestones and updates; feedback moments; reach targets.

Where a commitment came from (a decision, an idea, a meeting action) is a typed ResourceLink
(copro.core.links), so "what became of my idea?" and "why are we doing this?" are one query each.
Governance reports and co-production health are computed from these and the other apps' data
(copro.followthrough.reports, copro.followthrough.health); they store nothing of their own.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
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
# Still to be kept: these can be overdue.
OPEN_STATUSES = (CommitmentStatus.PLANNED, CommitmentStatus.IN_PROGRESS)

# Where a commitment can come from: the source's model -> the link kind (declared in component.py).
# Models are looked up lazily (django.apps.apps.get_model), so an app that is not installed breaks nothing.
SOURCE_KINDS: dict[str, str] = {
    "decisions.decision": "commits_decision",
    "ideas.idea": "commits_idea",
    "meetings.meetingaction": "commits_action",
    "consultations.consultation": "commits_consultation",
}


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

    def is_overdue(self, today: date | None = None) -> bool:
        """Still planned or in progress after its due date."""
        return self.status in OPEN_STATUSES and self.due_on < (today or timezone.localdate())


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


class FeedbackTag(models.TextChoices):
    """A fixed, plain-language set: easy to pick on a phone, easy to count in a report."""

    LISTENED = "listened", _("I felt listened to")
    NOT_LISTENED = "not_listened", _("I did not feel listened to")
    WAITING = "waiting", _("Waiting or delays")
    INFORMATION = "information", _("Information, letters and forms")
    STAFF = "staff", _("The people I met")
    ACCESS = "access", _("Getting there, access and support")
    MEETINGS = "meetings", _("Meetings and events")
    WEBSITE = "website", _("Using this website")
    OTHER = "other", _("Something else")


class FeedbackSettings(models.Model):
    """A project's choices about feedback moments. A project without a row uses the defaults."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="feedback_settings")
    # Off by default: a facilitator switches it on when the project is ready to read what arrives.
    allow_anonymous = models.BooleanField(
        _("let people give feedback without an account"),
        default=False,
        help_text=_("Only on a public project. Without an account, one address can send 20 an hour."),
    )
    intro = models.TextField(
        _("what you tell people before they give feedback"),
        max_length=1000,
        blank=True,
        help_text=_("For example: who reads it, and what you do with it."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "feedback settings"

    def __str__(self) -> str:
        return f"feedback settings of {self.project_id}"


class NoticeState(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Emailed")
    DIGEST = "digest", _("Waiting for the weekly summary")
    FAILED = "failed", _("The mail server refused it")
    SKIPPED = "skipped", _("Not emailed (they asked for no emails)")


class CommitmentNotice(models.Model):
    """One update to one contributor. The unique constraint means nobody is told of the same update twice,
    however many of the linked items they took part in, and however often the sending task runs.

    Written in one bulk insert when the update is posted; a background task then claims each row
    (queued -> sending, a conditional UPDATE, stamping claimed_at) before emailing, or moves it to the weekly
    summary, or marks it skipped for people who asked for no emails (they still see the news on the page).
    A row left "sending" by a worker that was killed mid-send is put back in the queue once its claim is
    older than tasks.STALE_CLAIM (15 minutes).
    """

    update = models.ForeignKey(CommitmentUpdate, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=NoticeState.choices, default=NoticeState.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker took it to send (state "sending")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["update", "user"], name="one_commitment_notice_per_person"),
        ]
        indexes = [
            models.Index(fields=["update", "state", "id"], name="commitment_notice_sending"),
            models.Index(fields=["user", "id"], name="commitment_notice_digest", condition=Q(state=NoticeState.DIGEST)),
            models.Index(fields=["user", "-id"], name="commitment_notice_person"),
            models.Index(
                fields=["claimed_at"], name="commitment_notice_claimed", condition=Q(state=NoticeState.SENDING)
            ),
        ]

    def __str__(self) -> str:
        return f"notice of update {self.update_id} to {self.user_id}: {self.state}"


class NoticeOptOut(models.Model):
    """Someone who asked to stop hearing about a project's commitments (the link in every such email)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="one_notice_opt_out_per_project")]

    def __str__(self) -> str:
        return f"{self.user_id} stopped notices from {self.project_id}"


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
