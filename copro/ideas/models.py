"""Ideas, and pressure-testing them before anyone decides.

An idea says what problem it addresses and what it proposes, which lines of the project's scope of
influence it touches, and roughly what it would cost. Ideas that touch a line the project lists as fixed
carry a flag, with the reason the scope gives, from the moment they are submitted (`fixed_flags` keeps
what the scope said then, so a later change to the scope never rewrites an idea's history).

Nothing is deleted: a merged idea stays, read only, pointing to the idea it was merged into; a split idea
stays, pointing to the ideas it was split into; every revision is kept as an `IdeaVersion`; and every
step (submitted, revised, status changed, merged, split, co-author added or left) is an `IdeaEvent`.

Pressure-testing: a facilitator opens a `ReviewRound` on chosen ideas with `Criterion` rows (each on its
own scale, words at both ends) and invites `Reviewer`s — peers (participants) and experts (experts, or
people invited by email who join the project as experts). Each reviewer's `ReviewScore` rows hold one
score and comment per criterion per idea; authors answer with an `AuthorResponse`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from copro.core.models import EntryChannel, Hideable

TITLE_MAX = 200
PROBLEM_MAX = 5000
PROPOSAL_MAX = 10000
COMMENT_MAX = 2000
REASON_MAX = 2000
AUTHOR_NAME_MAX = 100


class Participation(models.TextChoices):
    MEMBERS = "members", _("Project members (participants, experts and facilitators)")
    SIGNED_IN = "signed_in", _("Anyone signed in (on a public or unlisted project)")


class IdeaSpace(models.Model):
    """A project's settings for ideas. A project without a row: open, for members only."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="idea_space")
    is_open = models.BooleanField(_("open for new ideas"), default=True)
    participation = models.CharField(
        _("who may put forward, support and comment on ideas"),
        max_length=10,
        choices=Participation.choices,
        default=Participation.MEMBERS,
    )
    intro = models.TextField(
        _("what we are asking for"),
        max_length=3000,
        blank=True,
        help_text=_("Shown above the list of ideas and on the form: what kind of ideas, and what happens next."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ideas in {self.project_id}"


class IdeaStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    TAKEN = "taken", _("Taken to a decision")
    NOT_TAKEN = "not_taken", _("Not taken forward")


class Idea(Hideable):
    """An idea. A facilitator can hide it (moderation, kind "idea"), with a reason its authors are told: it is
    then left out of lists, exports and the API for everyone but its authors and facilitators."""

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="ideas")
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    problem = models.TextField(_("the problem it addresses"), max_length=PROBLEM_MAX)
    proposal = models.TextField(_("the proposal"), max_length=PROPOSAL_MAX)
    scope_items = models.ManyToManyField("projects.ScopeItem", blank=True, related_name="ideas")
    # Whole units of the project's currency (pounds), like participatory budgets.
    cost_estimate = models.PositiveBigIntegerField(_("rough cost"), null=True, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    # The fixed lines it touched, as the scope said when the idea was submitted or last revised:
    # [{"id": 3, "text": "...", "reason": "..."}]. touches_fixed mirrors it, for filtering.
    fixed_flags = models.JSONField(default=list, blank=True)
    touches_fixed = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=IdeaStatus.choices, default=IdeaStatus.SUBMITTED)
    status_reason = models.TextField(_("the reason, in plain words"), max_length=REASON_MAX, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The person who put it forward (null once they erase their account: the idea stays; null too for an idea
    # staff entered for someone without an account, who is then named by author_name if they wished).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(
        _("their name, as they want it shown"),
        max_length=AUTHOR_NAME_MAX,
        blank=True,
        help_text=_("For an idea entered for someone without an account. Leave it empty to show no name."),
    )
    channel = models.CharField(max_length=10, choices=EntryChannel.choices, default=EntryChannel.ONLINE)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from")
    merged_at = models.DateTimeField(null=True, blank=True)
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="split_into")
    split_at = models.DateTimeField(null=True, blank=True)  # when this idea was split (it is then read only)
    version = models.PositiveIntegerField(default=1)
    # Kept by the support service (one UPDATE each), so lists never count rows.
    support_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["project", "-created_at", "-id"], name="idea_newest"),
            models.Index(fields=["project", "-support_count", "-id"], name="idea_most_supported"),
            models.Index(fields=["project", "status"], name="idea_by_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="not_taken") | ~Q(status_reason=""), name="idea_not_taken_needs_reason"
            ),
            models.CheckConstraint(condition=~Q(merged_into=models.F("id")), name="idea_not_merged_into_itself"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title

    @property
    def is_read_only(self) -> bool:
        """Merged and split ideas are kept as they were, for the record."""
        return self.merged_into_id is not None or self.split_at is not None

    @property
    def author_label(self) -> str:
        """Who put it forward, as shown: their name; the name given by someone without an account; or neither."""
        if self.author is not None:
            return str(self.author.public_name)
        if self.author_name:
            return self.author_name
        if self.entered_by_id is not None and self.channel != EntryChannel.ONLINE:
            return str(_("Someone without an account"))
        return str(_("A former participant"))

    @property
    def text(self) -> str:
        """What moderation shows and quotes (a report, the hide form, the email to the author)."""
        return f"{self.title}\n\n{self.problem}\n\n{self.proposal}"


class IdeaAuthor(models.Model):
    """The idea's authors: the person who put it forward (is_lead) and co-authors. Leaving keeps the row."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="authorships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_lead = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the authorship came with an idea merged into this one, or with a split.
    came_from = models.ForeignKey(Idea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_lead", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="one_authorship_per_person")]

    def __str__(self) -> str:
        return f"{self.user_id} wrote {self.idea_id}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class Support(models.Model):
    """ "I support this idea": once per person per idea (held by the database); it can be withdrawn."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Set when the support was carried over from an idea merged into this one.
    came_from = models.ForeignKey(Idea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="one_support_per_person")]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.idea_id}"


class IdeaComment(Hideable):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("comment"), max_length=COMMENT_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk}"

    @property
    def activity_label(self) -> str:
        return self.text[:80]


class IdeaVersion(models.Model):
    """Every version of an idea's text, the first included; the idea itself holds the latest."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    problem = models.TextField(max_length=PROBLEM_MAX)
    proposal = models.TextField(max_length=PROPOSAL_MAX)
    cost_estimate = models.PositiveBigIntegerField(null=True, blank=True)
    scope = models.JSONField(default=list, blank=True)  # [{"id", "kind", "text"}] as it was
    note = models.CharField(_("what changed"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["idea", "number"], name="one_idea_version_number")]

    def __str__(self) -> str:
        return f"{self.idea_id} v{self.number}"


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Put forward")
    REVISED = "revised", _("Revised")
    STATUS = "status", _("Status changed")
    CO_AUTHOR_ADDED = "co_author_added", _("Co-author added")
    CO_AUTHOR_LEFT = "co_author_left", _("Co-author left")
    MERGED_INTO = "merged_into", _("Merged into another idea")
    MERGED_FROM = "merged_from", _("Another idea merged into this one")
    SPLIT_INTO = "split_into", _("Split into new ideas")
    SPLIT_FROM = "split_from", _("Split from another idea")
    REVIEW = "review", _("Pressure-tested")
    RESPONDED = "responded", _("Authors responded to a review")
    DECISION = "decision", _("Linked to a decision")
    ATTACHMENT = "attachment", _("File added")
    ATTACHMENT_REMOVED = "attachment_removed", _("File removed")


class IdeaEvent(models.Model):
    """The idea's own history, shown on its page: who did what, when, with a note."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    other_idea = models.ForeignKey(Idea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=IdeaStatus.choices, blank=True)
    note = models.TextField(max_length=REASON_MAX, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.kind}"


class IdeaNotice(models.Model):
    """News of an idea someone supports, waiting for their weekly summary (people who chose "weekly")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(IdeaEvent, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="one_notice_per_event")]
        indexes = [models.Index(fields=["sent_at", "user"], name="idea_notice_pending")]

    def __str__(self) -> str:
        return f"notice {self.event_id} for {self.user_id}"


class IdeaAttachment(models.Model):
    """A file that goes with an idea (a plan, a photo, a costing). Served only through an access check."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="ideas/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    description = models.CharField(_("what the file is"), max_length=300)
    kind = models.CharField(max_length=10)  # pdf, jpg, png, webp, docx, xlsx, pptx, odt, ods, odp
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Removed by an author or a facilitator: the stored file is deleted, this record stays (name, what it was,
    # who added and removed it, when) for the idea's history. A removed file is never served.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_image(self) -> bool:
        return self.kind in ("jpg", "png", "webp")


# --- Pressure-testing ------------------------------------------------------------------------------


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open for reviews")
    CLOSED = "closed", _("Closed: results published")


class ReviewRound(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="review_rounds")
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(
        _("what we ask reviewers"),
        max_length=3000,
        blank=True,
        help_text=_("Shown to reviewers above each idea: what to look for and how the scores will be used."),
    )
    status = models.CharField(max_length=6, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    ideas: models.ManyToManyField[Idea, RoundIdea] = models.ManyToManyField(
        Idea, through="RoundIdea", related_name="review_rounds"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title


class RoundIdea(models.Model):
    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="round_ideas")
    idea = models.ForeignKey(Idea, on_delete=models.PROTECT, related_name="round_entries")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "idea"], name="idea_once_per_round")]

    def __str__(self) -> str:
        return f"{self.idea_id} in round {self.round_id}"


class Criterion(models.Model):
    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("criterion"), max_length=120)
    question = models.CharField(_("the question reviewers answer"), max_length=300, blank=True)
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=5)
    low_label = models.CharField(_("words for the lowest score"), max_length=80)
    high_label = models.CharField(_("words for the highest score"), max_length=80)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(scale_min__lt=models.F("scale_max")), name="criterion_scale_order"),
            models.CheckConstraint(condition=Q(scale_max__lte=10), name="criterion_scale_at_most_10"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))


class ReviewerKind(models.TextChoices):
    PEER = "peer", _("Peer")
    EXPERT = "expert", _("Expert")


class Reviewer(models.Model):
    """Someone invited to review a round: a member, or an expert invited by email who has not joined yet."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(blank=True)  # for someone invited by email, until they join
    kind = models.CharField(max_length=6, choices=ReviewerKind.choices)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "invited_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "user"], condition=Q(user__isnull=False), name="one_reviewer_per_person"
            ),
            models.UniqueConstraint(fields=["round", "email"], condition=~Q(email=""), name="one_reviewer_per_address"),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(email=""), name="reviewer_user_or_email"),
        ]

    def __str__(self) -> str:
        return f"reviewer {self.pk} of {self.round_id}"


class ReviewScore(models.Model):
    """One reviewer's score and comment on one criterion for one idea. Changeable until the round closes."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="scores")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="review_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="scores")
    score = models.PositiveSmallIntegerField(null=True, blank=True)  # null: "I cannot say"
    comment = models.TextField(max_length=COMMENT_MAX, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "idea", "criterion"], name="one_score_per_criterion"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=10), name="score_at_most_10"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id} scored {self.idea_id}/{self.criterion_id}: {self.score}"


class AuthorResponse(models.Model):
    """The authors' answer to what a round's reviewers said about their idea."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="responses")
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="review_responses")
    text = models.TextField(_("your response"), max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "idea"], name="one_response_per_idea_per_round")]

    def __str__(self) -> str:
        return f"response on {self.idea_id} in {self.round_id}"
