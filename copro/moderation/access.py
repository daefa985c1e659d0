"""Loading a reported item named in a URL: through the project's access function, then scoped to the project.

Anyone who can see the project may report what they can see there: an item that is hidden, in a map or
consultation still being prepared, or an answer whose results are not published is a 404 for them, the
same as an item that does not exist or belongs to another project. Facilitators managing moderation
load any reportable item of their project, hidden or not.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from copro.core.permissions import Role
from copro.moderation import registry
from copro.moderation.registry import Reportable
from copro.projects.access import get_project_for_user
from copro.projects.models import Project

REPORT = "moderation.report"
MANAGE = "moderation.manage"


def load_item(project: Project, kind: str, object_id: int, *, staff: bool) -> tuple[Reportable, Any]:
    """The item in this project (any reportable one for staff, only a visible one otherwise), or 404."""
    reportable = registry.get(kind)
    if reportable is None:
        raise Http404
    items = reportable.in_project(project) if staff else reportable.visible(project)
    item = items.filter(pk=object_id).first()
    if item is None:
        raise Http404
    return reportable, item


def get_item_for_user(
    user: Any, slug: str, kind: str, object_id: int, action: str = REPORT
) -> tuple[Project, Role, Reportable, Any]:
    project, role = get_project_for_user(user, slug, action)
    reportable, item = load_item(project, kind, object_id, staff=action == MANAGE)
    return project, role, reportable, item
