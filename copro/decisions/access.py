"""Loading a decision named in a URL: through the project's access function, then scoped to the project.

A decision still being prepared (draft) is seen only by facilitators; for anyone else it is a 404,
the same as a decision that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from copro.core.permissions import TABLE, Role
from copro.decisions.models import Decision, Status
from copro.projects.access import get_project_for_user
from copro.projects.models import Project


def visible_decisions(project: Project, role: Role) -> Any:
    decisions = Decision.objects.filter(project=project)
    if not TABLE.allowed(role, "decisions.manage"):
        decisions = decisions.exclude(status=Status.DRAFT)
    return decisions


def get_decision_for_user(
    user: Any, slug: str, decision_id: int, action: str = "decisions.view"
) -> tuple[Project, Role, Decision]:
    project, role = get_project_for_user(user, slug, action)
    decision = visible_decisions(project, role).filter(pk=decision_id).first()
    if decision is None:
        raise Http404
    decision.project = project
    return project, role, decision
