"""Open space (unconference): at a meeting, people propose sessions, mark the ones they want to join, and
Copro builds a schedule of rooms and time slots that facilitators adjust by hand and publish as a board.

One open space per meeting. Its rooms and time slots are set by facilitators. A session is proposed by
someone (its first host) and may have co-hosts; its place in the schedule is a room and a slot (both or
neither), which the database keeps unique: one session per room per slot. A host is never in two sessions
at once: that is checked by the services, under a lock on the open space, because it spans rows.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

TITLE_MAX = 200
ABOUT_MAX = 3000
ROOM_NAME_MAX = 100
NOTES_MAX = 1000
INTRO_MAX = 3000
HOST_NAME_MAX = 100
# A host's name, case-folded, can grow (German "ß" becomes "ss"; some letters fold to three): room for that.
HOST_KEY_MAX = 4 * HOST_NAME_MAX


def name_key(name: str) -> str:
    """How two host names typed on the wall are compared: "Ŵyn  Jones" and "ŵyn jones" are one person.

    Unicode compatibility form (so a letter with a combining accent equals the same letter typed in one
    piece), case-folded (not only ASCII: the database's case-insensitive lookups are ASCII-only on SQLite),
    and runs of spaces collapsed. Stored on the session as `host_key` and compared exactly.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name or "").casefold())
    return " ".join(folded.split())[:HOST_KEY_MAX]


class OpenSpace(models.Model):
    meeting = models.OneToOneField("meetings.Meeting", on_delete=models.CASCADE, related_name="open_space")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="+")
    intro = models.TextField(
        _("how the open space works at this meeting"),
        max_length=INTRO_MAX,
        blank=True,
        help_text=_("Shown above the sessions. For example: the theme, and when the schedule will be ready."),
    )
    proposals_open = models.BooleanField(_("people may propose sessions"), default=True)
    late_proposals = models.BooleanField(
        _("accept sessions proposed after the schedule is published"),
        default=False,
        help_text=_(
            "They go in as “not yet in the schedule”, for you to place by hand in a free room. "
            "If this is off, people are told the schedule is already published."
        ),
    )
    published_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    # Set while a "your session moved" notice run is queued for changes to the published schedule: further
    # changes before it runs are told in the same run (one email per person per batch of changes).
    notice_due_at = models.DateTimeField(null=True, blank=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the last build found (clashes, overflow, the simple method's figures, time taken), as shown on
    # the schedule page. The current figures are computed afresh from the schedule (hand changes included).
    build_figures = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"open space {self.pk}"

    @property
    def activity_label(self) -> str:
        return self.meeting.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Room(models.Model):
    open_space = models.ForeignKey(OpenSpace, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=ROOM_NAME_MAX)
    capacity = models.PositiveIntegerField(_("how many people it holds"), validators=[MinValueValidator(1)])
    access_notes = models.TextField(
        _("access notes"),
        max_length=NOTES_MAX,
        blank=True,
        help_text=_("For example: ground floor, step-free, hearing loop, quiet room, where to find it."),
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["open_space", "name"], name="unconference_one_room_name"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="unconference_room_capacity"),
        ]

    def __str__(self) -> str:
        return self.name


class Slot(models.Model):
    open_space = models.ForeignKey(OpenSpace, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["open_space", "starts_at"], name="unconference_one_slot_start"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="unconference_slot_ends_after"),
        ]

    def __str__(self) -> str:
        return f"slot {self.pk}"


class Session(models.Model):
    open_space = models.ForeignKey(OpenSpace, on_delete=models.CASCADE, related_name="sessions")
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    about = models.TextField(_("what it is about"), max_length=ABOUT_MAX, blank=True)
    # Null once the proposer erased their account; the session (what was talked about) stays.
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A session a facilitator typed in from the wall or a paper form: its host has no account here, so it has
    # no Host rows; the host's name is kept as written (sessions with the same name share a host).
    host_name = models.CharField(_("host’s name"), max_length=HOST_NAME_MAX, blank=True)
    # name_key(host_name): what the scheduler and the hand-placement checks compare, exactly.
    host_key = models.CharField(max_length=HOST_KEY_MAX, blank=True, default="", editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Times the hosts cannot make: the scheduler never puts the session there.
    unavailable_slots = models.ManyToManyField(Slot, blank=True, related_name="+")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    slot = models.ForeignKey(Slot, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    # Placed by hand: a rebuild keeps it where it is.
    pinned = models.BooleanField(default=False)
    # Proposed after the schedule was published (the facilitator allowed late proposals).
    late = models.BooleanField(default=False)
    # Kept by the mark and unmark services (one UPDATE each), so lists never count rows.
    interest_count = models.PositiveIntegerField(default=0)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "slot"],
                condition=Q(room__isnull=False, slot__isnull=False),
                name="unconference_one_session_per_room_slot",
            ),
            models.CheckConstraint(
                condition=Q(room__isnull=True, slot__isnull=True) | Q(room__isnull=False, slot__isnull=False),
                name="unconference_room_and_slot_together",
            ),
            models.CheckConstraint(
                condition=Q(pinned=False) | Q(room__isnull=False), name="unconference_pinned_means_placed"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(room__isnull=True), name="unconference_withdrawn_unplaced"
            ),
        ]
        indexes = [models.Index(fields=["open_space", "withdrawn_at"], name="unconference_active_sessions")]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title

    @property
    def is_placed(self) -> bool:
        return self.slot_id is not None


class Host(models.Model):
    """Someone running a session: its proposer, and any co-hosts."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="hosts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="unconference_one_host_row")]

    def __str__(self) -> str:
        return f"{self.user_id} hosts {self.session_id}"


class HostInvite(models.Model):
    """A host asked someone to host their session with them. They become a host only when they accept (on
    the session's page); until then nobody else is told who was asked."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="host_invites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="unconference_one_host_invite")]
        indexes = [models.Index(fields=["user", "session"], name="unconference_invites_by_person")]

    def __str__(self) -> str:
        return f"{self.user_id} asked to host {self.session_id}"


class Interest(models.Model):
    """ "I want to join this session": one per person per session (hosts are counted without one)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="interests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="unconference_one_mark_per_person")]
        indexes = [models.Index(fields=["user", "session"], name="unconference_marks_by_person")]

    def __str__(self) -> str:
        return f"{self.user_id} wants to join {self.session_id}"


class ScheduleNotice(models.Model):
    """Someone was emailed their sessions when the schedule was first published: claimed before sending, so
    a retried task does not email them twice, and re-publishing tells only people not told before. Later
    "your session moved" emails lock this row while they compare and record (ToldPlace)."""

    open_space = models.ForeignKey(OpenSpace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    # The last "your session moved" email, if any.
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["open_space", "user"], name="unconference_one_notice")]

    def __str__(self) -> str:
        return f"notice {self.pk}"


class ToldPlace(models.Model):
    """Where we last told someone (by email) one of their sessions is: compared with the schedule after each
    batch of changes, so a "your session moved" email goes only to people whose sessions really moved.

    A room or slot removed later leaves the row with a blank there: a change to tell."""

    open_space = models.ForeignKey(OpenSpace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    slot = models.ForeignKey(Slot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "session"], name="unconference_told_once")]
        indexes = [models.Index(fields=["open_space", "user"], name="unconference_told_by_person")]

    def __str__(self) -> str:
        return f"told {self.user_id} about {self.session_id}"
