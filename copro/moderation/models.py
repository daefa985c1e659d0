"""Reports of content that may break a project's rules, and what facilitators did about them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a facilitator")
    HIDDEN = "hidden", _("Hidden")
    KEPT = "kept", _("Kept: within the rules")


class Report(models.Model):
    """Someone asked a facilitator to look at a pin, a comment or the text of a response.

    `kind` names the reportable type (see copro.moderation.registry); `object_id` its row. Anyone can
    report, signed in or not; the reporter's identity is never shown to the author.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    reason = models.TextField(_("what is wrong with it?"), max_length=1000)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["project", "status", "-created_at"], name="report_queue"),
            models.Index(fields=["kind", "object_id"], name="report_target"),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} on {self.kind}:{self.object_id}"
