"""Typed links between items: idea -> decision -> commitment -> update.

A component declares its link kinds (copro.core.components.LinkKind: a name, a source model and a
target model, both "app_label.model"). `link_create` refuses undeclared kinds, wrong types and links
across projects, so "where did this come from?" and "what became of it?" always have honest answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet

from copro.core.components import registry
from copro.core.models import ResourceLink

if TYPE_CHECKING:
    from copro.accounts.models import User
    from copro.core.permissions import Role


def _label(obj: Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _project_id(obj: Model) -> int | None:
    return getattr(obj, "project_id", None)


@transaction.atomic
def link_create(*, kind: str, source: Model, target: Model, user: User | None) -> ResourceLink:
    spec = registry.link_kind(kind)
    if spec is None:
        raise ValidationError(f"Unknown link kind {kind!r}.")
    if (_label(source), _label(target)) != (spec.source, spec.target):
        raise ValidationError(f"A {kind!r} link goes from {spec.source} to {spec.target}.")
    project_id = _project_id(source)
    if project_id is None or project_id != _project_id(target):
        raise ValidationError("Items can only be linked within one project.")
    fields = {
        "kind": kind,
        "source_type": ContentType.objects.get_for_model(source),
        "source_id": source.pk,
        "target_type": ContentType.objects.get_for_model(target),
        "target_id": target.pk,
    }
    try:
        with transaction.atomic():
            return ResourceLink.objects.create(project_id=project_id, created_by=user, **fields)
    except IntegrityError:
        return ResourceLink.objects.get(**fields)


def links_from(obj: Model) -> QuerySet[ResourceLink]:
    """What became of this item (links where it is the source)."""
    return ResourceLink.objects.filter(source_type=ContentType.objects.get_for_model(obj), source_id=obj.pk)


def links_to(obj: Model) -> QuerySet[ResourceLink]:
    """Where this item came from (links where it is the target)."""
    return ResourceLink.objects.filter(target_type=ContentType.objects.get_for_model(obj), target_id=obj.pk)


def only_visible(links: Iterable[ResourceLink], role: Role, end: str) -> list[ResourceLink]:
    """The links whose item at `end` ("source" or "target") this role may see, by the rule of the component
    the item belongs to (Component.visible). Links to items that are gone are left out too."""
    links = list(links)
    by_label: dict[str, list[Any]] = {}
    for link in links:
        item = getattr(link, end)
        if item is not None:
            by_label.setdefault(_label(item), []).append(item)
    allowed: dict[str, set[int] | None] = {}
    for label, items in by_label.items():
        rule = registry.visible(label)
        allowed[label] = rule(items, role) if rule is not None else None
    kept = []
    for link in links:
        item = getattr(link, end)
        if item is None:
            continue
        seen = allowed[_label(item)]
        if seen is None or item.pk in seen:
            kept.append(link)
    return kept
