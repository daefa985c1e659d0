"""Loading a meeting's live feed, entry or question named in a URL (pages, the API and the WebSocket alike).

The meeting comes through copro.meetings.access (a draft meeting is a 404 for all but facilitators; a
private project's meeting is a 404 for outsiders). Posting and moderating are for facilitators and for the
members a facilitator appointed as the meeting's reporters: the permission table says which roles may be
appointed (live.report, live.moderate), and the appointment itself is checked here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from copro.core.permissions import TABLE, Role
from copro.live.models import Entry, LiveFeed, Question, QuestionStatus, Reporter
from copro.meetings.access import get_meeting_for_user
from copro.meetings.models import Meeting
from copro.projects.access import project_role
from copro.projects.models import Project

# Actions that need an appointment as well as an allowed role.
APPOINTED_ACTIONS = frozenset({"live.report", "live.moderate"})


def feed_of(meeting: Meeting) -> LiveFeed:
    """The meeting's feed, made on first use (status 'not started yet')."""
    feed = LiveFeed.objects.filter(meeting=meeting).first()
    if feed is None:
        feed, _created = LiveFeed.objects.get_or_create(meeting=meeting, defaults={"project_id": meeting.project_id})
    feed.meeting = meeting
    return feed


def is_appointed(feed: LiveFeed, user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and Reporter.objects.filter(feed=feed, user=user).exists())


def can_report(feed: LiveFeed, user: Any, role: Role | None, action: str = "live.report") -> bool:
    """Facilitators always; other members only when appointed to this meeting and their role allows it."""
    if not TABLE.allowed(role, action):
        return False
    if role == Role.FACILITATOR:
        return True
    return is_appointed(feed, user)


def reporter_role(feed: LiveFeed, user: Any) -> bool:
    """Whether this person may post and moderate now (their role looked up afresh)."""
    return can_report(feed, user, project_role(user, feed.project))


def get_feed_for_user(
    user: Any, slug: str, meeting_id: int, action: str = "live.view"
) -> tuple[Project, Role, Meeting, LiveFeed]:
    # The meeting is loaded for viewing; the action is checked below, so that a member who may see the
    # meeting but not do this gets a 403 (and someone who may not see it a 404).
    project, role, meeting = get_meeting_for_user(user, slug, meeting_id, "meetings.view")
    if not TABLE.allowed(role, "live.view"):
        raise Http404
    feed = feed_of(meeting)
    feed.project = project
    if action in APPOINTED_ACTIONS:
        if not can_report(feed, user, role, action):
            raise PermissionDenied
    elif not TABLE.allowed(role, action):
        raise PermissionDenied
    return project, role, meeting, feed


def get_entry_for_user(
    user: Any, slug: str, meeting_id: int, entry_id: int, action: str = "live.view"
) -> tuple[Project, Role, Meeting, LiveFeed, Entry]:
    project, role, meeting, feed = get_feed_for_user(user, slug, meeting_id, action)
    entry = Entry.objects.filter(feed=feed, pk=entry_id).select_related("author").first()
    if entry is None:
        raise Http404
    entry.feed = feed
    return project, role, meeting, feed, entry


def can_see_question(question: Question, user: Any, moderator: bool) -> bool:
    if question.status == QuestionStatus.APPROVED or moderator:
        return True
    return bool(user is not None and user.is_authenticated and question.author_id == user.pk)


def get_question_for_user(
    user: Any, slug: str, meeting_id: int, question_id: int, action: str = "live.view"
) -> tuple[Project, Role, Meeting, LiveFeed, Question]:
    project, role, meeting, feed = get_feed_for_user(user, slug, meeting_id, action)
    question = Question.objects.filter(feed=feed, pk=question_id).select_related("author").first()
    if question is None or not can_see_question(question, user, can_report(feed, user, role, "live.moderate")):
        raise Http404
    question.feed = feed
    return project, role, meeting, feed, question
