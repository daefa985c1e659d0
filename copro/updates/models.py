from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from copro.core.models import Visibility


class Update(models.Model):
    """News from a project, written by a facilitator and sent to subscribers."""

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="updates")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("what you want to tell people"), max_length=20000)
    visibility = models.CharField(
        _("who can read it"),
        max_length=10,
        choices=[(Visibility.PUBLIC, _("Everyone")), (Visibility.MEMBERS, _("Project members only"))],
        default=Visibility.PUBLIC,
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # An update about one consultation also reaches the people who subscribed to that consultation alone.
    consultation = models.ForeignKey(
        "consultations.Consultation", null=True, blank=True, on_delete=models.PROTECT, related_name="updates"
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("As soon as each update is published")
    WEEKLY = "weekly", _("A weekly digest")


class Subscription(models.Model):
    """An email address that asked for a project's updates (or one consultation's). Confirmed by a link
    (double opt-in)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="subscriptions")
    # Empty: every update of the project. Set: only updates about this consultation.
    consultation = models.ForeignKey(
        "consultations.Consultation", null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    email = models.EmailField()
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    # When the last weekly digest was sent: the next one holds updates published after it.
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=5, default="en")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the last confirmation email was queued: repeated requests for one address send at most one
    # confirmation every 3 minutes (a double submit or a stranger cannot flood someone's inbox).
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "email"],
                condition=Q(consultation__isnull=True),
                name="one_subscription_per_address",
            ),
            models.UniqueConstraint(
                fields=["consultation", "email"],
                condition=Q(consultation__isnull=False),
                name="one_consultation_subscription_per_address",
            ),
        ]
        indexes = [
            models.Index(
                fields=["project"],
                name="active_subscriptions",
                condition=Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"subscription {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None

    @property
    def is_pending(self) -> bool:
        """Asked for updates and not yet confirmed (and not unsubscribed since)."""
        return self.confirmed_at is None and self.unsubscribed_at is None


class Delivery(models.Model):
    """One update to one subscriber. The unique constraint means nobody gets the same update twice,
    even if the worker is restarted half-way through a send."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["update", "subscription"], name="one_delivery_per_subscriber")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.update_id} -> {self.subscription_id}: {self.status}"
