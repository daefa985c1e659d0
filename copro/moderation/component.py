"""The moderation component: anyone reports, facilitators hide (with a reason the author is told) or keep."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, NavItem, registry
from copro.core.permissions import EVERYONE, FACILITATORS, Action, Role


def _dashboard(project: Any, role: Role) -> list[Count]:
    from copro.moderation.selectors import open_report_count

    return [Count(_("Reports waiting for a facilitator"), open_report_count(project))]


def _personal_data(user: Any) -> dict[str, Any]:
    from copro.moderation.models import Report

    return {
        "reports_filed": [
            {
                "project": r.project.title,
                "kind": r.kind,
                "item": r.object_id,
                "reason": r.reason,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
            }
            for r in Report.objects.filter(reporter=user).select_related("project").order_by("created_at")
        ]
    }


def _erase(user: Any) -> None:
    # Reports stay for the facilitators' record (they are about someone else's content), but no longer
    # say who filed them.
    from copro.moderation.models import Report

    Report.objects.filter(reporter=user).update(reporter=None)


registry.register(
    Component(
        name="moderation",
        label=_("Moderation"),
        actions=[
            Action("moderation.report", EVERYONE, _("Report a pin, comment or answer that may break the rules")),
            Action(
                "moderation.manage",
                FACILITATORS,
                _("See reports, hide content with a reason the author is told, keep it or show it again"),
            ),
            Action("moderation.view_rules", EVERYONE, _("Read the project's moderation rules"), write=False),
        ],
        activity={
            "moderation.hidden": _("%(actor)s hid something that was posted (%(kind)s %(object_id)s): %(reason)s"),
            "moderation.kept": _(
                "%(actor)s looked at reports on %(kind)s %(object_id)s and kept it: it is within the rules."
            ),
            "moderation.unhidden": _("%(actor)s showed %(kind)s %(object_id)s again (it had been hidden: %(reason)s)"),
        },
        dashboard=_dashboard,
        personal_data=_personal_data,
        erase_personal_data=_erase,
        nav=[NavItem(_("Moderation"), "moderation:queue", "moderation.manage")],
    )
)
