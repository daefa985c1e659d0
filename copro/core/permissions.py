"""Roles and the declarative permission table.

Every capability declares its actions in a table: action -> the roles allowed to take it. An action
missing from the table is denied to everyone (`allowed()` returns False). Tests iterate over the
table, and docs/permissions.md is generated from it (`copro permissions --markdown`).

The role of a person in a project is resolved by `copro.projects.access.project_role`:
- PUBLIC: not signed in; OUTSIDER: signed in but not a member;
- OBSERVER (governance board, read-only), PARTICIPANT (lived experience, citizens), EXPERT, FACILITATOR.
For a private project PUBLIC and OUTSIDER resolve to no role at all, and every request is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    PUBLIC = "public"
    OUTSIDER = "outsider"
    OBSERVER = "observer"
    PARTICIPANT = "participant"
    EXPERT = "expert"
    FACILITATOR = "facilitator"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS: dict[Role, Promise] = {
    Role.PUBLIC: _("Public (not signed in)"),
    Role.OUTSIDER: _("Signed in, not a member"),
    Role.OBSERVER: _("Observer"),
    Role.PARTICIPANT: _("Participant"),
    Role.EXPERT: _("Expert"),
    Role.FACILITATOR: _("Facilitator"),
}

MEMBERS = frozenset({Role.OBSERVER, Role.PARTICIPANT, Role.EXPERT, Role.FACILITATOR})
CONTRIBUTORS = frozenset({Role.PARTICIPANT, Role.EXPERT, Role.FACILITATOR})
EVERYONE = frozenset(Role)
FACILITATORS = frozenset({Role.FACILITATOR})


@dataclass(frozen=True)
class Action:
    """One thing a person can do in a project. `write` actions change state."""

    name: str
    roles: frozenset[Role]
    description: Promise | str
    write: bool = True


class PermissionTable:
    def __init__(self) -> None:
        self._actions: dict[str, Action] = {}

    def add(self, action: Action) -> None:
        if action.name in self._actions and self._actions[action.name] != action:
            raise ValueError(f"Action {action.name} is declared twice with different rules.")
        self._actions[action.name] = action

    def get(self, name: str) -> Action | None:
        return self._actions.get(name)

    def allowed(self, role: Role | None, action_name: str) -> bool:
        """True only if the action is declared and the role is in its row. Unknown actions: denied."""
        action = self._actions.get(action_name)
        return role is not None and action is not None and role in action.roles

    def actions(self) -> list[Action]:
        return sorted(self._actions.values(), key=lambda a: a.name)

    def markdown(self) -> str:
        roles = list(Role)
        lines = [
            "| action | " + " | ".join(r.value for r in roles) + " | what it means |",
            "|---|" + "---|" * len(roles) + "---|",
        ]
        for action in self.actions():
            marks = " | ".join("yes" if r in action.roles else "—" for r in roles)
            with_override = str(action.description)
            lines.append(f"| `{action.name}` | {marks} | {with_override} |")
        return "\n".join(lines) + "\n"


TABLE = PermissionTable()
