"""The meetings component: meetings and workshops, registration, attendance, minutes and actions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, registry
from copro.core.permissions import EVERYONE, FACILITATORS, Action

registry.register(
    Component(
        name="meetings",
        label=_("Meetings"),
        actions=[
            Action("meetings.view", EVERYONE, _("See the project's meetings and workshops"), write=False),
            Action("meetings.manage", FACILITATORS, _("Plan meetings and workshops; publish and cancel them")),
        ],
    )
)
