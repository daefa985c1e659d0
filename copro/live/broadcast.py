"""Pushing the feed's changes to the people watching, through the channel layer (Django Channels).

Two groups per meeting: viewers, and moderators (facilitators and reporters, who also see questions
waiting for approval). Each change goes to each group once, after its transaction commits. A push that
fails is logged and otherwise ignored: nothing is lost, because viewers catch up by sequence number when
they reconnect or poll (copro.live.selectors.changes_since).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from copro.live import selectors
from copro.live.models import Entry, LiveFeed, Question

logger = logging.getLogger(__name__)

# The consumer's handler for these messages is FeedConsumer.live_event ("live.event" -> live_event).
EVENT = "live.event"
REVOKE = "live.revoke"  # FeedConsumer.live_revoke


def group(meeting_id: int, *, moderators: bool = False) -> str:
    return f"live-{meeting_id}-{'moderators' if moderators else 'viewers'}"


def user_group(user_id: int) -> str:
    """Each signed-in person's own group: told to check their access again when it was taken away."""
    return f"live-user-{user_id}"


def revoke(user_id: int) -> None:
    """After the transaction commits, every live feed socket of this person checks their access again
    (copro.live.consumers.FeedConsumer.live_revoke): closed, or moved from moderators to viewers."""
    transaction.on_commit(lambda: _send(user_group(user_id), {"type": REVOKE}), robust=True)


def _send(name: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        logger.warning("A live feed message to %s was not sent (called inside an event loop).", name)
        return
    try:
        async_to_sync(layer.group_send)(name, message)
    except Exception:  # noqa: BLE001 - the periodic access check in the consumer covers it
        logger.exception("Could not send a live feed message to %s", name)


def _push(meeting_id: int, public: dict[str, Any] | None, moderators: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # the usual case: a view or task runs in a thread without an event loop of its own
    else:
        # Called from code that runs an event loop in this thread (a script driving a browser, say): the
        # push cannot wait here. Viewers still get the change when they next catch up.
        logger.warning("A live feed change for meeting %s was not pushed (called inside an event loop).", meeting_id)
        return
    try:
        send = async_to_sync(layer.group_send)
        # Encoded once here, not once per viewer: with 200 people watching that is 199 encodings saved.
        full = _encode(moderators)
        if public is not None:
            send(group(meeting_id), {"type": EVENT, "text": full if public is moderators else _encode(public)})
        send(group(meeting_id, moderators=True), {"type": EVENT, "text": full})
    except Exception:  # noqa: BLE001 - viewers catch up by sequence number; never fail the change itself
        logger.exception("Could not push a live feed change for meeting %s", meeting_id)


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def _after_commit(feed: LiveFeed, public: dict[str, Any] | None, moderators: dict[str, Any]) -> None:
    meeting_id = feed.meeting_id
    transaction.on_commit(lambda: _push(meeting_id, public, moderators), robust=True)


def entry(feed: LiveFeed, item: Entry) -> None:
    data = selectors.entry_data(item, feed.project.slug, feed.meeting_id)
    message = {"type": "entry", "seq": item.seq, "entry": data}
    _after_commit(feed, message, message)


def question(feed: LiveFeed, item: Question) -> None:
    public = selectors.question_data(item, public=True)
    full = selectors.question_data(item, public=False)
    _after_commit(
        feed,
        {"type": "question", "seq": item.seq, "question": public} if public is not None else None,
        {"type": "question", "seq": item.seq, "question": full},
    )


def status(feed: LiveFeed) -> None:
    message = {"type": "status", "seq": feed.seq, "status": selectors.status_data(feed)}
    _after_commit(feed, message, message)
