"""The live component: reporting a meeting as it happens, viewers' questions, and the meeting's record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, Export, registry
from copro.core.permissions import CONTRIBUTORS, EVERYONE, FACILITATORS, MEMBERS, Action, Role
from copro.live.models import Entry, FeedStatus, Like, LiveFeed, Question, QuestionStatus, Reporter
from copro.meetings.access import never_public_q

# Anyone signed in who can see the meeting may ask (outsiders too, on a public project); observers
# included: asking a question at a public meeting is taking part in it, not changing the project.
SIGNED_IN = MEMBERS | {Role.OUTSIDER}


def _dashboard(project: Any, role: Role) -> list[Count]:
    return [
        Count(
            _("Meetings reported live"),
            LiveFeed.objects.filter(project=project).exclude(status=FeedStatus.WAITING).count(),
        ),
        Count(
            _("Questions and comments from people watching meetings"),
            Question.objects.filter(project=project, status=QuestionStatus.APPROVED).count(),
        ),
    ]


def _rows(project: Any) -> Iterable[dict[str, Any]]:
    """The record of every meeting reported live: its entries (withdrawn ones without their text)."""
    entries = (
        Entry.objects.filter(project=project)
        .exclude(feed__status=FeedStatus.WAITING)
        .exclude(never_public_q("feed__meeting__"))  # drafts, and drafts cancelled unpublished
        .select_related("feed__meeting", "author")
        .order_by("feed_id", "id")
    )
    for e in entries.iterator(chunk_size=1000):
        withdrawn = e.withdrawn_at is not None
        yield {
            "id": e.pk,
            "meeting": e.feed.meeting.title,
            "kind": e.kind,
            "text": "" if withdrawn else e.text,
            "reporter": e.author.public_name if e.author else "",
            "created_at": e.created_at.isoformat(),
            "corrected_at": e.edited_at.isoformat() if e.edited_at else "",
            "withdrawn_at": e.withdrawn_at.isoformat() if e.withdrawn_at else "",
            "withdrawn_reason": e.withdrawn_reason,
        }


def _personal_data(user: Any) -> dict[str, Any]:
    return {
        "live_entries": [
            {
                "meeting": e.feed.meeting.title,
                "kind": e.kind,
                "text": e.text,
                "photo_alt": e.photo_alt,
                "created_at": e.created_at.isoformat(),
                "withdrawn": e.withdrawn_at is not None,
            }
            for e in Entry.objects.filter(author=user).select_related("feed__meeting")
        ],
        "live_questions": [
            {
                "meeting": q.feed.meeting.title,
                "kind": q.kind,
                "text": q.text,
                "show_name": q.show_name,
                "status": q.status,
                "created_at": q.created_at.isoformat(),
            }
            for q in Question.objects.filter(author=user).select_related("feed__meeting")
        ],
        "live_likes": [
            {"question": like.question_id, "created_at": like.created_at.isoformat()}
            for like in Like.objects.filter(user=user)
        ],
        "live_reporter_for": [
            r.feed.meeting.title for r in Reporter.objects.filter(user=user).select_related("feed__meeting")
        ],
    }


def _erase(user: Any) -> None:
    # Entries are the meeting's record and stay, reading "former reporter"; questions stay without a name
    # (they were shown, and answered, in public). Likes and appointments go: the counts keep the likes.
    Entry.objects.filter(author=user).update(author=None)
    Question.objects.filter(author=user).update(author=None, show_name=False)
    Like.objects.filter(user=user).delete()
    Reporter.objects.filter(user=user).delete()


registry.register(
    Component(
        name="live",
        label=_("Live reporting"),
        actions=[
            Action("live.view", EVERYONE, _("Follow a meeting's live feed and read its record"), write=False),
            Action(
                "live.report",
                CONTRIBUTORS,
                _(
                    "Post notes, photos, decisions and actions to a meeting's live feed (facilitators, and members "
                    "a facilitator appointed as that meeting's reporters)"
                ),
            ),
            Action(
                "live.moderate",
                CONTRIBUTORS,
                _("Approve, answer and take down viewers' questions (facilitators and the meeting's reporters)"),
            ),
            Action("live.ask", SIGNED_IN, _("Send questions and comments to a live meeting, and like them")),
            Action(
                "live.manage",
                FACILITATORS,
                _("Start and end live reporting, appoint reporters, correct or withdraw any entry"),
            ),
        ],
        activity={
            "live.started": _("%(actor)s started reporting “%(target)s” live."),
            "live.restarted": _("%(actor)s started reporting “%(target)s” live again."),
            "live.ended": _("%(actor)s ended live reporting of “%(target)s”: its feed is now the meeting's record."),
            "live.closed": _("Live reporting of “%(target)s” closed by itself, some hours after the meeting ended."),
            "live.reporter_appointed": _("%(actor)s appointed %(member)s to report “%(target)s” live."),
            "live.reporter_removed": _("%(actor)s removed %(member)s from reporting “%(target)s”."),
        },
        exports=[Export("live_entries", _("Live meeting records"), _rows, "live.view")],
        dashboard=_dashboard,
        personal_data=_personal_data,
        erase_personal_data=_erase,
    )
)
