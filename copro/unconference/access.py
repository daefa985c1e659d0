"""Loading an open space or a session named in a URL: through the meeting's access function (which goes
through the project's), then scoped to that meeting.

A meeting without an open space is a 404 for the pages that need one (the sessions page explains it
instead). A withdrawn session is a 404 for everyone except its hosts and facilitators.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from copro.core.permissions import TABLE, Role
from copro.meetings.access import get_meeting_for_user
from copro.meetings.models import Meeting
from copro.projects.models import Project
from copro.unconference.models import Host, OpenSpace, Session


def open_space_of(meeting: Meeting) -> OpenSpace | None:
    found = OpenSpace.objects.filter(meeting=meeting).first()
    if found is not None:
        found.meeting = meeting
        found.project = meeting.project
    return found


def get_open_space_for_user(
    user: Any, slug: str, meeting_id: int, action: str = "unconference.view"
) -> tuple[Project, Role, Meeting, OpenSpace]:
    project, role, meeting = get_meeting_for_user(user, slug, meeting_id, action)
    found = open_space_of(meeting)
    if found is None:
        raise Http404
    return project, role, meeting, found


def is_host(user: Any, session: Session) -> bool:
    return bool(user.is_authenticated and Host.objects.filter(session=session, user=user).exists())


def can_edit_session(user: Any, role: Role, session: Session) -> bool:
    """Hosts edit their session (title, what it is about, times they cannot make, co-hosts); so do facilitators."""
    return TABLE.allowed(role, "unconference.manage") or is_host(user, session)


def get_session_for_user(
    user: Any, slug: str, meeting_id: int, session_id: int, action: str = "unconference.view"
) -> tuple[Project, Role, Meeting, OpenSpace, Session]:
    project, role, meeting, open_space = get_open_space_for_user(user, slug, meeting_id, action)
    session = (
        Session.objects.filter(open_space=open_space, pk=session_id).select_related("room", "slot", "proposer").first()
    )
    if session is None:
        raise Http404
    if session.withdrawn_at is not None and not can_edit_session(user, role, session):
        raise Http404
    session.open_space = open_space
    return project, role, meeting, open_space, session
