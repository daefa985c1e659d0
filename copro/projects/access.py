"""Access to projects: the one place that decides who may see and do what in a project.

`get_project_for_user` is the only way views and the API load a project named in a URL:
- a project that does not exist, or that the person may not see, is a 404 (the same response);
- a project the person may see but where the action is not theirs is a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from copro.core.permissions import TABLE, Role
from copro.projects.models import Membership, Project, ProjectVisibility

VIEW = "projects.view"


def project_role(user: Any, project: Project) -> Role | None:
    """The person's role in the project, or None when they may not see it at all."""
    if user is not None and user.is_authenticated:
        cache: dict[int, Role | None] = user.__dict__.setdefault("_copro_roles", {})
        if project.pk in cache:
            return cache[project.pk]
        role_value = Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
        role: Role | None
        if role_value:
            role = Role(role_value)
        elif project.visibility == ProjectVisibility.PRIVATE:
            role = None
        else:
            role = Role.OUTSIDER
        cache[project.pk] = role
        return role
    return None if project.visibility == ProjectVisibility.PRIVATE else Role.PUBLIC


def forget_roles(user: Any) -> None:
    """Call after a membership changes within one request."""
    if user is not None:
        user.__dict__.pop("_copro_roles", None)


def can(user: Any, project: Project, action: str) -> bool:
    return TABLE.allowed(project_role(user, project), action)


def check(user: Any, project: Project, action: str) -> Role:
    """Raise 404 if the person may not see the project, 403 if they may see it but not do this."""
    role = project_role(user, project)
    if not TABLE.allowed(role, VIEW):
        raise Http404
    if not TABLE.allowed(role, action):
        raise PermissionDenied
    assert role is not None
    return role


def get_project_for_user(user: Any, slug: str, action: str = VIEW) -> tuple[Project, Role]:
    project = Project.objects.select_related("organisation").filter(slug=slug).first()
    if project is None:
        raise Http404
    return project, check(user, project, action)


def can_create_project_in(user: Any, organisation_id: int) -> bool:
    return bool(
        user.is_authenticated and user.organisation_memberships.filter(organisation_id=organisation_id).exists()
    )
