"""Reads for the live feed, scoped to the person asking, and the data pushed to viewers.

The same dictionaries go out through every channel: the WebSocket, the polling endpoint (?after=), the
API and the present view's script. They carry no translated words (the page has those) and no HTML:
text is plain, and the script puts it in place with textContent.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from copro.live.models import Entry, FeedStatus, Like, LiveFeed, Question, QuestionStatus

MAX_CHANGES = 1000  # the most rows one catch-up carries; the client asks again from the last one it got


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def entry_data(entry: Entry, slug: str, meeting_id: int) -> dict[str, Any]:
    withdrawn = entry.withdrawn_at is not None
    return {
        "id": entry.pk,
        "seq": entry.seq,
        "kind": entry.kind,
        "text": "" if withdrawn else entry.text,
        "author": entry.author.public_name if entry.author is not None else None,
        "created_at": _iso(entry.created_at),
        "edited_at": _iso(entry.edited_at),
        "withdrawn": withdrawn,
        "withdrawn_reason": entry.withdrawn_reason if withdrawn else "",
        "photo": (reverse("live:photo", args=[slug, meeting_id, entry.pk]) if entry.photo and not withdrawn else None),
        "photo_alt": "" if withdrawn else entry.photo_alt,
    }


def question_data(question: Question, *, public: bool) -> dict[str, Any] | None:
    """What viewers (public=True) or moderators see of a question. None: viewers see nothing of it (waiting
    for approval). A question taken down after being shown goes out as {"status": "removed"}."""
    if public and question.status == QuestionStatus.PENDING:
        return None
    if public and question.status == QuestionStatus.REJECTED:
        return {"id": question.pk, "seq": question.seq, "status": "removed"}
    return {
        "id": question.pk,
        "seq": question.seq,
        "kind": question.kind,
        "text": question.text,
        "author": question.author.public_name if (question.show_name and question.author is not None) else None,
        "status": question.status,
        "like_count": question.like_count,
        "answer": question.answer,
        "answered_at": _iso(question.answered_at),
        "created_at": _iso(question.created_at),
    }


def status_data(feed: LiveFeed) -> dict[str, Any]:
    return {"status": feed.status, "questions_open": feed.questions_open, "ended_at": _iso(feed.ended_at)}


def changes_since(feed: LiveFeed, after: int, *, moderator: bool) -> dict[str, Any]:
    """Everything changed after sequence number `after`: the current state of each changed row.

    "seq" is where to ask from next time. When there were more than MAX_CHANGES changes, "more" is true
    and "seq" is the last one sent, so the client asks again.
    """
    # The feed's number is read before the rows: changes commit in number order, so every change up to it
    # is in what follows, and a later one is at worst sent twice (applying a row twice changes nothing).
    feed.refresh_from_db(fields=["seq", "status", "questions_open", "ended_at"])
    slug, meeting_id = feed.project.slug, feed.meeting_id
    entries = list(
        Entry.objects.filter(feed=feed, seq__gt=after).select_related("author").order_by("seq")[: MAX_CHANGES + 1]
    )
    questions_qs = Question.objects.filter(feed=feed, seq__gt=after).select_related("author").order_by("seq")
    if not moderator:
        questions_qs = questions_qs.exclude(status=QuestionStatus.PENDING)
    questions = list(questions_qs[: MAX_CHANGES + 1])
    more = len(entries) > MAX_CHANGES or len(questions) > MAX_CHANGES
    # The number handed back never passes the feed's number read first. Rows read after it may carry
    # higher numbers (changes committed in between) while a lower one is still uncommitted: moving past
    # them would skip that one for good. They are sent now and sent again next time (which changes nothing).
    if more:
        # Stop at the smaller of the two last numbers, so nothing below it is left out.
        limit = min(
            entries[MAX_CHANGES - 1].seq if len(entries) > MAX_CHANGES else feed.seq,
            questions[MAX_CHANGES - 1].seq if len(questions) > MAX_CHANGES else feed.seq,
            feed.seq,
        )
        if limit <= after:
            # Everything past `after` was committed after the feed's number was read: nothing is sure yet.
            more, entries, questions, seq = False, [], [], after
        else:
            entries = [e for e in entries if e.seq <= limit]
            questions = [q for q in questions if q.seq <= limit]
            seq = limit
    else:
        seq = max(feed.seq, after)
    public = not moderator
    return {
        "type": "sync",
        "seq": seq,
        "more": more,
        "status": status_data(feed),
        "entries": [entry_data(e, slug, meeting_id) for e in entries],
        "questions": [d for q in questions if (d := question_data(q, public=public)) is not None],
    }


def entries_for_page(feed: LiveFeed) -> QuerySet[Entry]:
    """Every entry, newest first; withdrawn ones too (they read "withdrawn")."""
    return Entry.objects.filter(feed=feed).select_related("author").order_by("-id")


def top_questions(feed: LiveFeed) -> QuerySet[Question]:
    """Approved questions and comments, most liked first (the oldest first among equals)."""
    return (
        Question.objects.filter(feed=feed, status=QuestionStatus.APPROVED)
        .select_related("author")
        .order_by("-like_count", "id")
    )


def queue(feed: LiveFeed) -> QuerySet[Question]:
    """Questions waiting for a moderator, oldest first."""
    return Question.objects.filter(feed=feed, status=QuestionStatus.PENDING).select_related("author").order_by("id")


def my_unshown_questions(feed: LiveFeed, user: Any) -> list[Question]:
    """The person's own questions that others cannot see (waiting, or not shown), so they know where they are."""
    if not user.is_authenticated:
        return []
    return list(Question.objects.filter(feed=feed, author=user).exclude(status=QuestionStatus.APPROVED).order_by("id"))


def liked_ids(feed: LiveFeed, user: Any) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(Like.objects.filter(question__feed=feed, user=user).values_list("question_id", flat=True))


def is_record(feed: LiveFeed) -> bool:
    return feed.status == FeedStatus.ENDED
