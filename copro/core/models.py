"""Cross-cutting records: the activity log (hash-chained audit trail), typed links, form tokens."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    MEMBERS = "members", _("Project members")
    STAFF = "staff", _("Facilitators")


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an activity entry."""


class ActivityQuerySet(models.QuerySet["ActivityEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The activity log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The activity log is append-only.")

    def bulk_update(self, objs: Iterable[ActivityEntry], fields: Iterable[str], batch_size: int | None = None) -> int:
        raise AppendOnlyError("The activity log is append-only.")

    def bulk_create(
        self,
        objs: Iterable[ActivityEntry],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[ActivityEntry]:
        # An "upsert" would rewrite existing entries; plain inserts are left alone (`copro audit verify`
        # reports any entry that was not chained by copro.core.activity.record).
        if update_conflicts:
            raise AppendOnlyError("The activity log is append-only.")
        return super().bulk_create(objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts)


class ActivityEntry(models.Model):
    """Who did what, when, and who may see it. Also the staff audit log.

    Entries form a hash chain: each carries the SHA-256 of its own content and of its predecessor's
    hash, so changing or removing any entry breaks the chain from that point (`copro audit verify`).
    The unique constraint on `prev_hash` keeps the chain linear even when two writers race.
    Entries hold ids and non-personal data only; names are looked up when shown, so erasing a
    person's account changes how an entry reads ("former participant"), never the entry itself.
    """

    created_at = models.DateTimeField()
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="activity"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(max_length=80)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["project", "visibility", "-id"]),
        ]
        verbose_name_plural = "activity entries"

    def __str__(self) -> str:
        return f"#{self.pk} {self.verb}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("The activity log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The activity log is append-only.")

    def canonical(self) -> bytes:
        content = {
            "created_at": self.created_at.isoformat(),
            "project": self.project_id,
            "actor": self.actor_id,
            "verb": self.verb,
            "visibility": self.visibility,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_label": self.target_label,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class ResourceLink(models.Model):
    """A typed link from one item to another (idea -> decision -> commitment).

    "Where did this come from?" and "what became of my idea?" are each one query on this table.
    Link kinds are declared by components (copro.core.components.LinkKind).
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=40)
    source_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id", "target_type", "target_id"],
                name="resource_link_unique",
            )
        ]
        indexes = [
            models.Index(fields=["source_type", "source_id"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.source_type_id}:{self.source_id} -{self.kind}-> {self.target_type_id}:{self.target_id}"


class FormSubmission(models.Model):
    """One row per submitted one-time form token: a second submit of the same form is refused."""

    token = models.UUIDField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.token)


class EntryChannel(models.TextChoices):
    """How something said to a project reached it. Staff record the channel when they enter it for someone."""

    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper form")
    PHONE = "phone", _("Phone call")
    DROP_IN = "drop_in", _("Drop-in session")
    OUTREACH = "outreach", _("Outreach visit")


OFFLINE_ENTRY_CHANNELS = (EntryChannel.PAPER, EntryChannel.PHONE, EntryChannel.DROP_IN, EntryChannel.OUTREACH)


class Hideable(models.Model):
    """Something a person wrote that a facilitator can hide (with a reason the author is told).

    Hidden content is never deleted: the record stays, for the author's own data and for appeals.
    """

    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
