"""Loading a meeting named in a URL: through the project's access function, then scoped to the project.

A draft meeting is seen only by facilitators (meetings.manage); for anyone else it is a 404, the same as
a meeting that does not exist. copro.unconference and copro.live load their meeting through here too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from copro.core.permissions import TABLE, Role
from copro.meetings.models import Meeting, MeetingStatus
from copro.projects.access import get_project_for_user
from copro.projects.models import Project


def visible_meetings(project: Project, role: Role) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(project=project)
    if not TABLE.allowed(role, "meetings.manage"):
        meetings = meetings.exclude(status=MeetingStatus.DRAFT)
    return meetings


def get_meeting_for_user(
    user: Any, slug: str, meeting_id: int, action: str = "meetings.view"
) -> tuple[Project, Role, Meeting]:
    project, role = get_project_for_user(user, slug, action)
    found = visible_meetings(project, role).filter(pk=meeting_id).first()
    if found is None:
        raise Http404
    found.project = project
    return project, role, found
