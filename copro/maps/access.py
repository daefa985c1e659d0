"""Loading a map or pin named in a URL: through the project's access function, then scoped to the project.

A map still being prepared (draft) is seen only by facilitators; for anyone else it is a 404, the same
as a map that does not exist. A hidden pin is a 404 for everyone except its author and facilitators.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from copro.core.permissions import TABLE, Role
from copro.maps.models import Map, MapStatus, Pin
from copro.projects.access import get_project_for_user
from copro.projects.models import Project


def visible_maps(project: Project, role: Role) -> QuerySet[Map]:
    maps = Map.objects.filter(project=project)
    if not TABLE.allowed(role, "maps.manage"):
        maps = maps.exclude(status=MapStatus.DRAFT)
    return maps


def get_map_for_user(user: Any, slug: str, map_id: int, action: str = "maps.view") -> tuple[Project, Role, Map]:
    project, role = get_project_for_user(user, slug, action)
    found = visible_maps(project, role).filter(pk=map_id).first()
    if found is None:
        raise Http404
    found.project = project
    return project, role, found


def can_see_hidden(pin_or_comment: Any, user: Any, role: Role) -> bool:
    """Hidden content is shown to its author (who is told why) and to facilitators."""
    if TABLE.allowed(role, "maps.manage"):
        return True
    return bool(user.is_authenticated and pin_or_comment.author_id == user.pk)


def get_pin_for_user(
    user: Any, slug: str, map_id: int, pin_id: int, action: str = "maps.view"
) -> tuple[Project, Role, Map, Pin]:
    project, role, the_map = get_map_for_user(user, slug, map_id, action)
    pin = Pin.objects.filter(map=the_map, pk=pin_id).select_related("category", "place", "author").first()
    if pin is None or (pin.is_hidden and not can_see_hidden(pin, user, role)):
        raise Http404
    pin.map = the_map
    return project, role, the_map, pin
