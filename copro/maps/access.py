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

ID_LIMIT = 2**63  # ids are 64-bit signed integers in the database; a larger number names nothing
_ASCII_DIGITS = frozenset("0123456789")


def whole_number(raw: object, *, max_digits: int = 19) -> int | None:
    """A whole number of at most max_digits plain digits 0-9, or None.

    The only way numbers from requests (query strings, form fields) are read in maps. str.isdigit() is not
    enough: it accepts '²' and '①', which int() refuses, and int() itself accepts other scripts' digits and
    would spend time on thousands of digits. A value that is already an int (not a bool) is taken as it is.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 and len(str(raw)) <= max_digits else None
    if not isinstance(raw, str) or not 0 < len(raw) <= max_digits or not _ASCII_DIGITS.issuperset(raw):
        return None
    return int(raw)


def parse_id(raw: object) -> int | None:
    """The id of a row (a category, a place) from a request, or None if it cannot be one: not plain digits,
    zero, or too large for the database (SQLite raises OverflowError on such a number)."""
    number = whole_number(raw)
    return number if number is not None and 0 < number < ID_LIMIT else None


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
