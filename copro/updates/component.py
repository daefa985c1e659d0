"""Project updates: the first component built on the contract, and the example in docs/architecture.md."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, Export, LinkKind, NavItem, registry
from copro.core.models import Visibility
from copro.core.permissions import EVERYONE, FACILITATORS, MEMBERS, Action, Role
from copro.core.sanitize import plain_text
from copro.updates.models import Subscription, Update


def _dashboard(project: Any, role: Role) -> list[Count]:
    active = Subscription.objects.filter(project=project, confirmed_at__isnull=False, unsubscribed_at__isnull=True)
    return [
        Count(_("Updates published"), Update.objects.filter(project=project).count()),
        # People, not subscriptions: an address following the project and one consultation counts once.
        Count(_("People subscribed to updates"), active.values(address=Lower("email")).distinct().count()),
    ]


def _rows(project: Any) -> Iterable[dict[str, Any]]:
    for update in Update.objects.filter(project=project, visibility=Visibility.PUBLIC).select_related("author"):
        yield {
            "id": update.pk,
            "title": update.title,
            "published_at": update.published_at.isoformat(),
            "author": update.author.public_name,
            "text": plain_text(update.body),
        }


def _personal_data(user: Any) -> dict[str, Any]:
    return {
        "subscriptions": [
            {
                "project": s.project.title,
                "consultation": s.consultation.title if s.consultation else None,
                "frequency": s.frequency,
                "confirmed": s.confirmed_at is not None,
                "unsubscribed": s.unsubscribed_at is not None,
            }
            for s in Subscription.objects.filter(email__iexact=user.email).select_related("project", "consultation")
        ],
        "updates_written": [
            {"project": u.project.title, "title": u.title, "published_at": u.published_at.isoformat()}
            for u in Update.objects.filter(author=user).select_related("project")
        ],
    }


def _erase(user: Any) -> None:
    # An email address is personal data: subscriptions go. Updates written stay (as "former participant").
    Subscription.objects.filter(email__iexact=user.email).delete()


registry.register(
    Component(
        name="updates",
        label=_("Updates"),
        actions=[
            Action("updates.view", EVERYONE, _("Read the project's public updates"), write=False),
            Action("updates.view_members_only", MEMBERS, _("Read updates shared with members only"), write=False),
            Action("updates.publish", FACILITATORS, _("Publish an update and send it to subscribers")),
            Action("updates.subscribe", EVERYONE, _("Subscribe to updates by email")),
        ],
        activity={
            "updates.published": _("%(actor)s published an update: “%(target)s”."),
            "updates.subscribed": _("Someone subscribed to the project's updates."),
            "updates.unsubscribed": _("Someone unsubscribed from the project's updates."),
        },
        exports=[Export("updates", _("Updates"), _rows, "updates.view")],
        link_kinds=[LinkKind("reports_on", _("reports on"), "updates.update", "projects.scopechange")],
        dashboard=_dashboard,
        personal_data=_personal_data,
        erase_personal_data=_erase,
        nav=[NavItem(_("Updates"), "updates:list", "updates.view")],
    )
)
