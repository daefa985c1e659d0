"""The reports component: governance reports, co-production health and open data.

A second component of the followthrough app (the first, `followthrough`, is commitments and feedback).
Imported once, from the app's ready() (and by report_views), it declares who may do what:
- reports are for the governance board (observers) and facilitators: an observer membership is enough;
- co-production health is open to every member: participants are partners, and it is about them too;
- open data is public wherever the project is (a private project's stays with its members).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, NavItem, registry
from copro.core.permissions import EVERYONE, FACILITATORS, MEMBERS, Action, Role

BOARD = frozenset({Role.OBSERVER, Role.FACILITATOR})

registry.register(
    Component(
        name="reports",
        label=_("Reports and health"),
        actions=[
            Action(
                "reports.view",
                BOARD,
                _("Open governance reports for any period, as a page or a PDF"),
                write=False,
            ),
            Action(
                "reports.health",
                MEMBERS,
                _("See the project's co-production health, scored from its data"),
                write=False,
            ),
            Action(
                "reports.opendata",
                EVERYONE,
                _("Download the project's public commitments, decisions and activity (CSV, JSON, feed)"),
                write=False,
            ),
            Action("reports.targets", FACILITATORS, _("Set the numbers of people the project means to reach")),
            Action("reports.share", FACILITATORS, _("Make and withdraw links that open a report without an account")),
        ],
        activity={
            "reports.target_set": _("%(actor)s set a reach target: “%(label)s”, %(number)s people."),
            "reports.target_removed": _("%(actor)s removed the reach target “%(label)s”."),
            "reports.link_made": _("%(actor)s made a link to the governance report for %(period)s."),
            "reports.links_withdrawn": _("%(actor)s withdrew every link to the governance reports."),
        },
        nav=[
            NavItem(_("Reports"), "reports:report", "reports.view"),
            NavItem(_("Health"), "reports:health", "reports.health"),
            NavItem(_("Open data"), "reports:opendata", "reports.opendata"),
        ],
    )
)
