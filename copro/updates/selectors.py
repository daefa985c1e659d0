from __future__ import annotations

from django.db.models import QuerySet

from copro.core.models import Visibility
from copro.core.permissions import TABLE, Role
from copro.projects.models import Project
from copro.updates.models import Update


def updates_for(project: Project, role: Role) -> QuerySet[Update]:
    visibilities = [Visibility.PUBLIC]
    if TABLE.allowed(role, "updates.view_members_only"):
        visibilities.append(Visibility.MEMBERS)
    return Update.objects.filter(project=project, visibility__in=visibilities).select_related("author")
