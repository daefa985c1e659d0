"""Meetings and workshops: in person, online or hybrid, with registration, agenda, attendance and minutes.

Open space (unconference) sessions live in copro.unconference and the live feed in copro.live; both
hang off a Meeting.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from copro.core.models import EntryChannel


class MeetingFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid: in person and online")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared (only facilitators see it)")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what the meeting is for"), max_length=10000, blank=True)
    format = models.CharField(
        _("format"), max_length=10, choices=MeetingFormat.choices, default=MeetingFormat.IN_PERSON
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    venue_access = models.TextField(
        _("getting there and access"),
        max_length=3000,
        blank=True,
        help_text=_("Step-free access, toilets, hearing loop, parking, buses: what people need to know."),
    )
    # The link to join online: shown only to people registered (and facilitators).
    join_url = models.URLField(_("link to join online"), max_length=500, blank=True)
    # A public stream anyone may watch (webcast); embedded when it is from a known provider.
    webcast_url = models.URLField(_("webcast link"), max_length=500, blank=True)
    capacity = models.PositiveIntegerField(
        _("places"), null=True, blank=True, validators=[MinValueValidator(1)], help_text=_("Empty: no limit.")
    )
    registration_open = models.BooleanField(_("registration open"), default=True)
    status = models.CharField(max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Added in 0002 (the meetings app).
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.TextField(_("why it is cancelled"), max_length=2000, blank=True)
    # Rich text, cleaned by copro.core.sanitize before it is saved; shown once published (after the meeting).
    minutes = models.TextField(_("minutes"), max_length=50000, blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    # People who came but gave no name ("12 more people came"); named people are registrations.
    unnamed_attendees = models.PositiveIntegerField(_("people who came without giving a name"), default=0)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    # iCalendar SEQUENCE: raised whenever the time, place or status changes, so calendars update the event.
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["project", "starts_at"], name="meeting_project_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="meeting_capacity"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == MeetingStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    @property
    def is_online(self) -> bool:
        return self.format in (MeetingFormat.ONLINE, MeetingFormat.HYBRID)

    @property
    def is_in_person(self) -> bool:
        return self.format in (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID)


# --- Added by the meetings app (migration 0002): minutes, attendance, agenda, registrations, actions, teams --


class AgendaItem(models.Model):
    """One item of a meeting's agenda, in order. Moved up and down with buttons (no script needed)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("what happens"), max_length=200)
    starts_at = models.TimeField(_("time (optional)"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("how long, in minutes (optional)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    led_by = models.CharField(_("who leads it (optional)"), max_length=200, blank=True)
    description = models.TextField(_("more about it (optional)"), max_length=2000, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)
BSL = "BSL"  # stored for "British Sign Language (BSL)" whatever the language of the page


class Registration(models.Model):
    """A place at a meeting (or a place on its waiting list), with the person's access needs.

    Access needs are sensitive: only the person and the project's facilitators see them, and they are
    cleared when the person erases their account. People without an account are registered by staff
    (name and optional contact) or added at the door when attendance is taken.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For people without an account (staff enter them); empty for people with one.
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email (optional)"), max_length=254, blank=True)
    phone = models.CharField(_("phone (optional)"), max_length=40, blank=True)
    language = models.CharField(max_length=5, choices=settings.LANGUAGES, default="en")
    channel = models.CharField(max_length=10, choices=EntryChannel.choices, default=EntryChannel.ONLINE)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED)
    # When the person asked for their place: the waiting list is served in this order.
    queued_at = models.DateTimeField()
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Access needs.
    step_free = models.BooleanField(_("step-free access (no stairs)"), default=False)
    interpreter = models.CharField(_("interpreter: which language"), max_length=100, blank=True)
    hearing_loop = models.BooleanField(_("a hearing loop"), default=False)
    childcare = models.BooleanField(_("childcare"), default=False)
    childcare_details = models.CharField(_("childcare: how many children, and their ages"), max_length=300, blank=True)
    dietary = models.CharField(_("food and drink"), max_length=300, blank=True)
    other_needs = models.TextField(_("anything else"), max_length=1000, blank=True)
    needs_met_at = models.DateTimeField(null=True, blank=True)
    needs_met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    needs_note = models.CharField(_("note for the team (optional)"), max_length=500, blank=True)
    # Reminders: each is sent once, and stamped before it goes.
    wants_reminders = models.BooleanField(_("send me reminders"), default=True)
    reminded_2d_at = models.DateTimeField(null=True, blank=True)
    reminded_2h_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(default=False)

    class Meta:
        ordering = ["queued_at", "id"]
        indexes = [models.Index(fields=["meeting", "status", "queued_at"], name="registration_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"], condition=Q(user__isnull=False), name="one_registration_per_person"
            ),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(name=""), name="registration_has_someone"),
        ]

    def __str__(self) -> str:
        return f"registration {self.pk}"

    @property
    def display_name(self) -> str:
        if self.user is not None:
            return self.user.public_name
        return self.name or str(_("someone without an account"))

    @property
    def has_account(self) -> bool:
        return self.user_id is not None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def has_access_needs(self) -> bool:
        return bool(
            self.step_free
            or self.interpreter
            or self.hearing_loop
            or self.childcare
            or self.dietary
            or self.other_needs.strip()
        )

    @property
    def interpreter_label(self) -> str:
        if self.interpreter == BSL:
            return str(_("British Sign Language (BSL)"))
        return self.interpreter

    @property
    def contact_email(self) -> str:
        """Where emails about this place go: the account's address, or the one staff typed in."""
        if self.user is not None:
            return "" if self.user.erased_at else self.user.email
        return self.email


class ActionStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")


class MeetingAction(models.Model):
    """Something agreed at a meeting: what, who, by when. Later an action can become a task (a typed
    ResourceLink from meetings.meetingaction to the task, when the tasks app exists)."""

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="meeting_actions")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(_("what will be done"), max_length=500)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee_name = models.CharField(_("who will do it (a name)"), max_length=200, blank=True)
    due_on = models.DateField(_("by when (optional)"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def activity_label(self) -> str:
        return self.text[:120]

    @property
    def who(self) -> str:
        if self.assignee is not None:
            return self.assignee.public_name
        return self.assignee_name


class Team(models.Model):
    """A cross-functional team at a workshop. Its solutions are submitted as ideas (link kind team_idea)."""

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="teams")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("team name"), max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "name"], name="one_team_name_per_meeting")]

    def __str__(self) -> str:
        return self.name

    @property
    def activity_label(self) -> str:
        return self.name


class TeamMember(models.Model):
    """A registered person in a team. One team per person per meeting (the constraint holds it)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="+")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="team_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "registration"], name="one_team_per_person_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} in {self.team_id}"


class CalendarKey(models.Model):
    """A person's secret for their calendar address of one project: calendar programs fetch
    `calendar.ics?key=...` without signing in, and see that project's meetings as this person may see them (a
    private project's too). One key per person and project, so an address given to someone opens one
    project's calendar only. The key is random; making a new one stops the old address at once. Deleted when
    the account is erased, and useless once the person leaves the project."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="one_calendar_key_per_project")]

    def __str__(self) -> str:
        return f"calendar key of {self.user_id} for {self.project_id}"
