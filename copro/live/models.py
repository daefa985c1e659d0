"""Live reporting from a meeting: a feed of notes, photos, decisions and actions, and viewers' questions.

One `LiveFeed` per meeting. Facilitators and the members they appoint as reporters post `Entry` rows;
viewers send `Question` rows (questions or comments) that a moderator approves before anyone else sees
them, and like approved ones (`Like`, once per person).

Nothing is missed by someone whose connection drops: the feed hands out a sequence number (`LiveFeed.seq`)
for every change (an entry posted, corrected or withdrawn; a question approved, answered or liked; the
feed started or ended), and the changed row keeps the number of its latest change in its own `seq`. A
viewer remembers the highest number it has seen and asks for everything after it: the current state of
every row changed since. The counter is taken with a row lock inside the change's transaction, so
numbers are handed out in the order the changes commit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FeedStatus(models.TextChoices):
    WAITING = "waiting", _("Not started yet")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended: this is the record of the meeting")


class LiveFeed(models.Model):
    meeting = models.OneToOneField("meetings.Meeting", on_delete=models.PROTECT, related_name="live_feed")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=FeedStatus.choices, default=FeedStatus.WAITING)
    # The last sequence number handed out (see the module's docstring).
    seq = models.PositiveBigIntegerField(default=0)
    questions_open = models.BooleanField(_("viewers may send questions and comments"), default=True)
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    # Null with ended_at set: it closed by itself, some hours after the meeting's end (services.GRACE).
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(started_at__isnull=True), name="live_waiting_not_started"
            ),
        ]

    def __str__(self) -> str:
        return f"live feed of meeting {self.meeting_id}"

    @property
    def activity_label(self) -> str:
        return str(self.meeting.title)


class Reporter(models.Model):
    """A member a facilitator appointed to post to one meeting's feed (and moderate its questions)."""

    feed = models.ForeignKey(LiveFeed, on_delete=models.CASCADE, related_name="reporters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["appointed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["feed", "user"], name="live_one_appointment_per_person")]

    def __str__(self) -> str:
        return f"{self.user_id} reports on {self.feed_id}"


class EntryKind(models.TextChoices):
    NOTE = "note", _("Note")
    DECISION = "decision", _("Decision")
    ACTION = "action", _("Action")


class Entry(models.Model):
    feed = models.ForeignKey(LiveFeed, on_delete=models.PROTECT, related_name="entries")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices, default=EntryKind.NOTE)
    # Plain text: shown escaped on pages and put in place with textContent by the script, never as HTML.
    text = models.TextField(_("text"), max_length=5000, blank=True)
    photo = models.ImageField(upload_to="live/%Y/%m/", null=True, blank=True)
    photo_alt = models.CharField(_("what the photo shows"), max_length=300, blank=True)
    # Null when the author erased their account: the entry stays and reads "former reporter".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seq = models.PositiveBigIntegerField()  # the feed's number for this entry's latest change
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_reason = models.CharField(_("why it was withdrawn"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(fields=["feed", "seq"], name="live_entry_seq_unique"),
            models.CheckConstraint(condition=~Q(text="") | ~Q(photo=""), name="live_entry_has_text_or_photo"),
        ]

    def __str__(self) -> str:
        return f"entry {self.pk}"

    @property
    def activity_label(self) -> str:
        return self.text[:80]

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class EntryRevision(models.Model):
    """What an entry said before a correction: corrections never lose what was first posted."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    text = models.TextField(max_length=5000, blank=True)
    photo_alt = models.CharField(max_length=300, blank=True)
    # When this version was first shown (the entry's creation or the previous correction), and who wrote it.
    written_at = models.DateTimeField()
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_at = models.DateTimeField(auto_now_add=True)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-replaced_at", "-id"]

    def __str__(self) -> str:
        return f"revision {self.pk} of entry {self.entry_id}"


class QuestionKind(models.TextChoices):
    QUESTION = "question", _("Question")
    COMMENT = "comment", _("Comment")


class QuestionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a moderator")
    APPROVED = "approved", _("Shown to everyone")
    REJECTED = "rejected", _("Not shown")


class Question(models.Model):
    """A viewer's question or comment. Seen only by its author and moderators until approved."""

    feed = models.ForeignKey(LiveFeed, on_delete=models.PROTECT, related_name="questions")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.QUESTION)
    text = models.TextField(_("your question or comment"), max_length=1000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    show_name = models.BooleanField(_("show my name with it"), default=False)
    status = models.CharField(max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.PENDING)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    # An answer typed by a moderator (in the room, or afterwards for the record).
    answer = models.TextField(_("answer"), max_length=3000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept by the like services (one UPDATE each), so lists sort by it without counting rows.
    like_count = models.PositiveIntegerField(default=0)
    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-like_count", "id"]
        indexes = [models.Index(fields=["feed", "status", "-like_count", "id"], name="live_question_top")]
        constraints = [models.UniqueConstraint(fields=["feed", "seq"], name="live_question_seq_unique")]

    def __str__(self) -> str:
        return f"question {self.pk}"

    @property
    def activity_label(self) -> str:
        return self.text[:80]


class Like(models.Model):
    """One person's like of an approved question: once per person, and it can be taken back."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="live_one_like_per_person")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.question_id}"
