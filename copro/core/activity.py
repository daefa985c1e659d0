"""Writing and reading the activity log. Services call `record()` once per state change that matters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.core.components import registry
from copro.core.models import GENESIS_HASH, ActivityEntry, Visibility

if TYPE_CHECKING:
    from copro.accounts.models import User
    from copro.projects.models import Project

# Concurrent appends race for the same predecessor; the loser retries on the new tail. On PostgreSQL
# appends also take a transaction-level advisory lock first, so writers queue instead of colliding
# (with 8 writers at once, about 3 in 4 inserts used to collide); the unique prev_hash stays the guarantee.
_APPEND_ATTEMPTS = 20
_APPEND_LOCK_KEY = 0x436F70726F  # "Copro": any constant shared by every writer


def record(
    *,
    verb: str,
    actor: User | None,
    project: Project | None,
    visibility: str = Visibility.PUBLIC,
    target: Model | None = None,
    data: dict[str, Any] | None = None,
) -> ActivityEntry:
    if registry.activity_message(verb) is None:
        raise ValueError(f"Activity verb {verb!r} is not declared by any component.")
    target_type = target_id = target_label = ""
    if target is not None:
        target_type = f"{target._meta.app_label}.{target._meta.model_name}"
        target_id = str(target.pk)
        target_label = str(getattr(target, "activity_label", ""))[:300]
    actor_obj = actor if actor is not None and actor.is_authenticated else None
    for attempt in range(_APPEND_ATTEMPTS):
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        # Held until the surrounding transaction ends, when the new tail is visible.
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPEND_LOCK_KEY])
                tail = ActivityEntry.objects.order_by("-id").values_list("hash", flat=True).first()
                entry = ActivityEntry(
                    created_at=timezone.now(),
                    project=project,
                    actor=actor_obj,
                    verb=verb,
                    visibility=visibility,
                    target_type=target_type,
                    target_id=target_id,
                    target_label=target_label,
                    data=data or {},
                    prev_hash=tail or GENESIS_HASH,
                )
                entry.hash = entry.compute_hash()
                entry.save()
                return entry
        except IntegrityError:
            if attempt == _APPEND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def verify_chain() -> tuple[int, ActivityEntry | None, str]:
    """Walk the whole chain in order. Returns (entries checked, first broken entry, why)."""
    expected_prev = GENESIS_HASH
    checked = 0
    for entry in ActivityEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != expected_prev:
            return checked, entry, "its link to the previous entry does not match (an entry was removed or inserted)"
        if entry.compute_hash() != entry.hash:
            return checked, entry, "its content does not match its hash (the entry was changed)"
        expected_prev = entry.hash
        checked += 1
    return checked, None, ""


def describe(entry: ActivityEntry) -> str:
    """The entry in plain words, in the active language, with names looked up now."""
    template = registry.activity_message(entry.verb) or entry.verb
    actor = entry.actor.public_name if entry.actor else _("Someone")
    values = {"actor": actor, "target": entry.target_label, **{k: str(v) for k, v in entry.data.items()}}
    try:
        return str(template) % values
    except (KeyError, ValueError, TypeError):
        return str(template)


def visible_entries(project: Project, visibilities: Sequence[str]) -> QuerySet[ActivityEntry]:
    return (
        ActivityEntry.objects.filter(project=project, visibility__in=visibilities)
        .select_related("actor")
        .order_by("-id")
    )
