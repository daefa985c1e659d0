"""The community maps component: people mark places, say what the issue is there, agree and comment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, Export, NavItem, registry
from copro.core.permissions import CONTRIBUTORS, EVERYONE, FACILITATORS, Action, Role
from copro.maps.models import Agreement, Comment, Map, MapStatus, Pin

# A public project's map is open to anyone signed in (outsiders included); a private project has no
# outsiders, so there only its members can take part. Observers (the governance board) only read.
SIGNED_IN = CONTRIBUTORS | {Role.OUTSIDER}


def _dashboard(project: Any, role: Role) -> list[Count]:
    pins = Pin.objects.filter(map__project=project, hidden_at__isnull=True)
    return [
        Count(_("Maps open for pins"), Map.objects.filter(project=project, status=MapStatus.OPEN).count()),
        Count(_("Pins on the project's maps"), pins.count()),
        Count(_("Pins entered by staff from paper, phone and visits"), pins.exclude(channel="online").count()),
    ]


def _rows(project: Any) -> Iterable[dict[str, Any]]:
    pins = (
        Pin.objects.filter(map__project=project, hidden_at__isnull=True)
        .exclude(map__status=MapStatus.DRAFT)
        .select_related("map", "category", "place", "author")
        .order_by("map_id", "id")
    )
    for pin in pins.iterator(chunk_size=1000):
        yield {
            "id": pin.pk,
            "map": pin.map.title,
            "category": pin.category.name,
            "lat": pin.lat if pin.lat is not None else "",
            "lng": pin.lng if pin.lng is not None else "",
            "place": pin.place.name if pin.place else "",
            "location_text": pin.location_text,
            "text": pin.text,
            "agrees": pin.agree_count,
            "comments": pin.comment_count,
            "channel": pin.channel,
            "created_at": pin.created_at.isoformat(),
            # Names only of people who chose to show theirs.
            "name": pin.author.public_name if (pin.show_name and pin.author) else "",
        }


def _personal_data(user: Any) -> dict[str, Any]:
    return {
        "pins": [
            {
                "map": p.map.title,
                "category": p.category.name,
                "text": p.text,
                "lat": p.lat,
                "lng": p.lng,
                "location_text": p.location_text,
                "show_name": p.show_name,
                "created_at": p.created_at.isoformat(),
                "hidden_reason": p.hidden_reason,
            }
            for p in Pin.objects.filter(author=user).select_related("map", "category")
        ],
        "comments": [
            {"pin": c.pin_id, "text": c.text, "created_at": c.created_at.isoformat(), "hidden_reason": c.hidden_reason}
            for c in Comment.objects.filter(author=user)
        ],
        "agreements": [
            {"pin": a.pin_id, "created_at": a.created_at.isoformat()} for a in Agreement.objects.filter(user=user)
        ],
    }


def _erase(user: Any) -> None:
    # Pins and comments stay (what was said about a place still matters) and read "former participant".
    # Agreements go: the pin's count keeps them, but nothing links them to anyone any more.
    Pin.objects.filter(author=user).update(author=None, show_name=False)
    Comment.objects.filter(author=user).update(author=None, show_name=False)
    Agreement.objects.filter(user=user).delete()


registry.register(
    Component(
        name="maps",
        label=_("Maps"),
        actions=[
            Action("maps.view", EVERYONE, _("See the project's community maps, their pins and comments"), write=False),
            Action("maps.pin", SIGNED_IN, _("Put a pin on an open map")),
            Action("maps.agree", SIGNED_IN, _("Agree with a pin")),
            Action("maps.comment", SIGNED_IN, _("Comment on a pin")),
            Action(
                "maps.manage",
                FACILITATORS,
                _("Create and edit maps, their categories and places; open and close them"),
            ),
            Action(
                "maps.enter",
                FACILITATORS,
                _("Enter a pin for someone reached on paper, by phone, at a drop-in or through outreach"),
            ),
        ],
        activity={
            "maps.created": _("%(actor)s started preparing a community map: “%(target)s”."),
            "maps.edited": _("%(actor)s changed the community map “%(target)s”."),
            "maps.opened": _("%(actor)s opened the community map “%(target)s” for pins."),
            "maps.closed": _("%(actor)s closed the community map “%(target)s”."),
        },
        exports=[Export("map_pins", _("Community map pins"), _rows, "maps.view")],
        dashboard=_dashboard,
        personal_data=_personal_data,
        erase_personal_data=_erase,
        nav=[NavItem(_("Maps"), "maps:list", "maps.view")],
    )
)
