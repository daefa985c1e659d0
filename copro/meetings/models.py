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
