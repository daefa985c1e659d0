"""The component contract: how a capability (one Django app) attaches to a project.

A component registers one `Component` from its AppConfig.ready(). In it, it declares:
- `actions`: its permission rows (see copro.core.permissions); anything not declared is denied;
- `activity`: the verbs it writes to the activity log, each with a plain-language message;
- `exports`: named CSV/JSON exports of a project's data (rows of plain dicts);
- `link_kinds`: the typed links it makes between items (idea -> decision -> commitment);
- `dashboard`: counts it contributes to the project dashboard;
- `personal_data` / `erase_personal_data`: its part of "download my data" and "delete my account";
- `nav`: the project page it adds to the project's navigation;
- `contributors`: who took part in its items, for follow-through ("you said, we did").
- `visible`: which of its items a role may see, for pages that show another app's items through links.
docs/architecture.md describes the contract with an example (copro/updates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

from copro.core.permissions import TABLE, Action, Role

if TYPE_CHECKING:
    from copro.accounts.models import User
    from copro.projects.models import Project


@dataclass(frozen=True)
class Count:
    label: Promise | str
    value: int


@dataclass(frozen=True)
class Export:
    name: str
    label: Promise | str
    rows: Callable[[Project], Iterable[dict[str, Any]]]
    action: str  # the permission needed to download it


@dataclass(frozen=True)
class LinkKind:
    name: str  # e.g. "led_to"
    label: Promise | str
    source: str  # "app_label.model"
    target: str


@dataclass(frozen=True)
class NavItem:
    label: Promise | str
    url_name: str  # reversed with the project's slug
    action: str  # shown only to roles allowed this action


@dataclass
class Component:
    name: str
    label: Promise | str
    actions: list[Action] = field(default_factory=list)
    activity: dict[str, Promise | str] = field(default_factory=dict)
    exports: list[Export] = field(default_factory=list)
    link_kinds: list[LinkKind] = field(default_factory=list)
    dashboard: Callable[[Project, Role], list[Count]] | None = None  # the counts this role may see
    personal_data: Callable[[User], dict[str, Any]] | None = None
    erase_personal_data: Callable[[User], None] | None = None
    nav: list[NavItem] = field(default_factory=list)
    # Who took part in an item, so follow-through can tell them what became of it: keyed by the item's
    # model ("app_label.model"); given item ids, returns the ids of users who contributed to them and
    # asked (or agreed) to hear back: authors, co-authors, supporters, voters, respondents.
    contributors: dict[str, Callable[[list[int]], Iterable[int]]] = field(default_factory=dict)
    # Which of its items (of one project) a role may see, for pages that show other apps' items through links
    # (an idea's "what became of it", a decision's "what carries it out"): keyed by "app_label.model"; given the
    # items, returns the ids of those the role may see. A model with no entry is seen by whoever sees the page.
    visible: dict[str, Callable[[list[Any], Role], set[int]]] = field(default_factory=dict)


class Registry:
    def __init__(self) -> None:
        self._components: dict[str, Component] = {}

    def register(self, component: Component) -> None:
        if component.name in self._components:
            raise ValueError(f"Component {component.name} is registered twice.")
        for action in component.actions:
            if not action.name.startswith(component.name + "."):
                raise ValueError(f"Action {action.name} must be named '{component.name}.<verb>'.")
            TABLE.add(action)
        for verb in component.activity:
            if not verb.startswith(component.name + "."):
                raise ValueError(f"Activity verb {verb} must be named '{component.name}.<verb>'.")
        self._components[component.name] = component

    def all(self) -> list[Component]:
        return list(self._components.values())

    def get(self, name: str) -> Component:
        return self._components[name]

    def activity_message(self, verb: str) -> Promise | str | None:
        component = self._components.get(verb.split(".", 1)[0])
        return component.activity.get(verb) if component else None

    def export(self, name: str) -> Export | None:
        for component in self._components.values():
            for export in component.exports:
                if export.name == name:
                    return export
        return None

    def contributors(self, model_label: str) -> Callable[[list[int]], Iterable[int]] | None:
        for component in self._components.values():
            if model_label in component.contributors:
                return component.contributors[model_label]
        return None

    def visible(self, model_label: str) -> Callable[[list[Any], Role], set[int]] | None:
        for component in self._components.values():
            if model_label in component.visible:
                return component.visible[model_label]
        return None

    def link_kind(self, name: str) -> LinkKind | None:
        for component in self._components.values():
            for kind in component.link_kinds:
                if kind.name == name:
                    return kind
        return None


registry = Registry()
