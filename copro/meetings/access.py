"""Loading a meeting named in a URL: through the project's access function, then scoped to the project.

A draft meeting is seen only by facilitators (meetings.manage); for anyone else it is a 404, the same as
a meeting that does not exist. So is a meeting cancelled before it was ever published (published_at is
empty): cancelling does not make it public. copro.unconference and copro.live load their meeting through
here too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from copro.core.permissions import TABLE, Role
from copro.meetings.models import AgendaItem, Meeting, MeetingAction, MeetingStatus, Registration, Team
from copro.projects.access import get_project_for_user
from copro.projects.models import Project

# Meetings only facilitators see: drafts, and meetings cancelled while still drafts (never published).
NEVER_PUBLIC = Q(status=MeetingStatus.DRAFT) | Q(status=MeetingStatus.CANCELLED, published_at__isnull=True)
# (never_public_q below builds the same condition through a relation)


def never_public_q(prefix: str = "") -> Q:
    """NEVER_PUBLIC on a related meeting: never_public_q("open_space__meeting__")."""
    return Q(**{f"{prefix}status": MeetingStatus.DRAFT}) | Q(
        **{f"{prefix}status": MeetingStatus.CANCELLED, f"{prefix}published_at__isnull": True}
    )


def never_public(meeting: Meeting) -> bool:
    """True for a meeting only facilitators see (the same test as NEVER_PUBLIC, on a loaded meeting)."""
    return meeting.status == MeetingStatus.DRAFT or (
        meeting.status == MeetingStatus.CANCELLED and meeting.published_at is None
    )


def visible_meetings(project: Project, role: Role) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(project=project)
    if not TABLE.allowed(role, "meetings.manage"):
        meetings = meetings.exclude(NEVER_PUBLIC)
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


def get_team_for_user(
    user: Any, slug: str, meeting_id: int, team_id: int, action: str = "meetings.view"
) -> tuple[Project, Role, Meeting, Team]:
    project, role, meeting = get_meeting_for_user(user, slug, meeting_id, action)
    team = Team.objects.filter(meeting=meeting, pk=team_id).first()
    if team is None:
        raise Http404
    team.meeting, team.project = meeting, project
    return project, role, meeting, team


def agenda_item_in(meeting: Meeting, item_id: int) -> AgendaItem:
    item = AgendaItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None:
        raise Http404
    item.meeting = meeting
    return item


def action_in(meeting: Meeting, action_id: int) -> MeetingAction:
    found = MeetingAction.objects.filter(meeting=meeting, pk=action_id).select_related("assignee").first()
    if found is None:
        raise Http404
    found.meeting, found.project = meeting, meeting.project
    return found


def registration_in(meeting: Meeting, registration_id: int | None) -> Registration:
    """A registration of this meeting, for facilitators' pages (their access is checked by the caller)."""
    found = None
    if registration_id is not None:
        found = Registration.objects.filter(meeting=meeting, pk=registration_id).select_related("user").first()
    if found is None:
        raise Http404
    found.meeting = meeting
    return found
