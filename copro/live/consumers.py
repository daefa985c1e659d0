"""The live feed over WebSockets (Django Channels): ws/p/<slug>/meetings/<id>/live/?after=<seq>.

On connecting, the consumer checks access with the same rules as the page (a private project's feed is
refused to outsiders: the socket is accepted and closed at once with code 4404, so the script knows not
to retry). It joins the meeting's viewers group, or the moderators group for facilitators and reporters,
then sends everything changed after the sequence number the client already has ("sync"), and from then
on every change as it is made. A client can ask to catch up again at any time:
{"type": "catch_up", "after": <seq>}; {"type": "ping"} is answered with {"type": "pong"}.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.http import Http404

from copro.core.forms import whole_number
from copro.live import broadcast, selectors, services
from copro.live.access import can_report, get_feed_for_user
from copro.live.models import LiveFeed

CLOSE_NOT_FOUND = 4404  # the feed does not exist or this person may not see it (as a 404)
CLOSE_BAD_REQUEST = 4400  # a sequence number that cannot be read
CATCH_UP_ROUNDS = 50  # at most 50 x selectors.MAX_CHANGES rows in one catch-up


def parse_after(raw: Any) -> int | None:
    """A sequence number from a client: plain digits (0 allowed), or None if it cannot be one."""
    return whole_number(raw, max_digits=18)


class FeedConsumer(AsyncJsonWebsocketConsumer):
    feed: LiveFeed | None = None
    group: str | None = None

    async def connect(self) -> None:
        route = self.scope["url_route"]["kwargs"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw_after = query.get("after", [None])[0]
        after = parse_after(raw_after) if raw_after is not None else None
        try:
            self.feed, moderator = await self._load(self.scope.get("user"), route["slug"], route["meeting_id"])
        except (Http404, PermissionDenied):
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.moderator = moderator
        if raw_after is not None and after is None:
            await self.accept()
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        # Join before reading the catch-up, so a change made in between comes at least once.
        self.group = broadcast.group(self.feed.meeting_id, moderators=moderator)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        if after is not None:
            await self._catch_up(after)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.feed is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "catch_up":
            after = parse_after(content.get("after"))
            if after is None:
                await self.send_json({"type": "error", "error": "after must be a whole number"})
                return
            await self._catch_up(after)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        # A message that is not JSON is ignored rather than closing the connection with an error.
        if text_data is None or len(text_data) > 1000:
            return
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:
            return

    async def live_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])  # already JSON (copro.live.broadcast)

    async def _catch_up(self, after: int) -> None:
        assert self.feed is not None
        for _round in range(CATCH_UP_ROUNDS):
            sync = await self._changes(after)
            await self.send_json(sync)
            if not sync["more"]:
                return
            after = sync["seq"]

    @database_sync_to_async
    def _load(self, user: Any, slug: str, meeting_id: int) -> tuple[LiveFeed, bool]:
        if user is None:
            from django.contrib.auth.models import AnonymousUser

            user = AnonymousUser()
        _project, role, _meeting, feed = get_feed_for_user(user, slug, meeting_id)
        services.feed_close_if_overdue(feed)
        return feed, can_report(feed, user, role, "live.moderate")

    @database_sync_to_async
    def _changes(self, after: int) -> dict[str, Any]:
        assert self.feed is not None
        return selectors.changes_since(self.feed, after, moderator=self.moderator)
