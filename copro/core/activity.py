"""Writing and reading the activity log. Services call `record()` once per state change that matters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.core.components import registry
from copro.core.models import GENESIS_HASH, ActivityEntry, Hideable, Visibility

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
    """The project's entries with these visibilities, newest first. Unless the reader sees the staff log,
    entries about something a facilitator has since hidden (an idea, a pin, a comment) are left out: the
    log keeps the title it had when the entry was written, and hiding must take it out of public view. An
    entry is about its target, and about the item named in its data as "also" ("app_label.model:pk"), such
    as the idea another was merged into."""
    entries = ActivityEntry.objects.filter(project=project, visibility__in=visibilities)
    if Visibility.STAFF not in visibilities:
        targets, refs = _hidden()
        also_text = Cast(KeyTextTransform("also", "data"), output_field=CharField())  # text, not a JSON value
        entries = entries.exclude(targets).alias(also=also_text).exclude(also__in=refs)
    return entries.select_related("actor").order_by("-id")


def also(item: Model) -> str:
    """The reference to put in an entry's data as "also", for an item the entry names besides its target."""
    return f"{item._meta.app_label}.{item._meta.model_name}:{item.pk}"


def _hidden() -> tuple[Q, list[str]]:
    """Rows hidden by moderation (any Hideable model): a condition on entries' targets, and the "also"
    references that name them (few: hidden rows are rare)."""
    targets = Q(pk__in=[])
    refs: list[str] = []
    for model in apps.get_models():
        if issubclass(model, Hideable):
            label = f"{model._meta.app_label}.{model._meta.model_name}"
            hidden = model._default_manager.filter(hidden_at__isnull=False)
            keys = hidden.annotate(key=Cast("pk", output_field=CharField())).values("key")
            targets |= Q(target_type=label, target_id__in=keys)
            refs += [f"{label}:{pk}" for pk in hidden.values_list("pk", flat=True)[:10_000]]
    return targets, refs
