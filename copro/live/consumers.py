"""The live feed over WebSockets (Django Channels): ws/p/<slug>/meetings/<id>/live/?after=<seq>.

On connecting, the consumer checks access with the same rules as the page (a private project's feed is
refused to outsiders: the socket is accepted and closed at once with code 4404, so the script knows not
to retry). It joins the meeting's viewers group, or the moderators group for facilitators and reporters,
then sends everything changed after the sequence number the client already has ("sync"), and from then
on every change as it is made. A client can ask to catch up again at any time:
{"type": "catch_up", "after": <seq>} (one at a time, at least CATCH_UP_GAP_SECONDS apart; one asked too soon
is answered {"type": "error", "error": "too_soon"}); {"type": "ping"} is answered with {"type": "pong"}.

Access is not only checked at connect: it is checked again (the same _load) before forwarding a change
when more than RECHECK_SECONDS have passed since the last check, and at once when told so through the
person's own group (copro.live.broadcast.revoke, sent when a reporter is removed). Someone who may no
longer see the feed is closed with 4404; a reporter who is no longer one moves to the viewers' group and is
told {"type": "access", "moderator": false} (the script reloads the page, which no longer has the queue).
"""

from __future__ import annotations

import time
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
from copro.projects.access import forget_roles

CLOSE_NOT_FOUND = 4404  # the feed does not exist or this person may not see it (as a 404)
CLOSE_BAD_REQUEST = 4400  # a sequence number that cannot be read
CATCH_UP_ROUNDS = 5  # at most 5 x selectors.MAX_CHANGES rows in one catch-up; the client asks again
CATCH_UP_GAP_SECONDS = 2.0  # the least time between two catch-ups asked for on one connection
RECHECK_SECONDS = 30.0  # access is checked again before forwarding a change once this old


def _now() -> float:
    return time.monotonic()


def parse_after(raw: Any) -> int | None:
    """A sequence number from a client: plain digits (0 allowed), or None if it cannot be one."""
    return whole_number(raw, max_digits=18)


class FeedConsumer(AsyncJsonWebsocketConsumer):
    feed: LiveFeed | None = None
    group: str | None = None
    user_group: str | None = None
    moderator: bool = False
    checked_at: float = 0.0
    catching_up: bool = False
    last_catch_up: float | None = None

    async def connect(self) -> None:
        route = self.scope["url_route"]["kwargs"]
        self.slug, self.meeting_id = route["slug"], route["meeting_id"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw_after = query.get("after", [None])[0]
        after = parse_after(raw_after) if raw_after is not None else None
        try:
            self.feed, moderator = await self._load(self.scope.get("user"), self.slug, self.meeting_id)
        except (Http404, PermissionDenied):
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.moderator = moderator
        self.checked_at = _now()
        if raw_after is not None and after is None:
            await self.accept()
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        # Join before reading the catch-up, so a change made in between comes at least once.
        self.group = broadcast.group(self.feed.meeting_id, moderators=moderator)
        await self.channel_layer.group_add(self.group, self.channel_name)
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            self.user_group = broadcast.user_group(user.pk)
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        if after is not None:
            await self._catch_up(after)

    async def disconnect(self, code: int) -> None:
        await self._leave_groups()

    async def _leave_groups(self) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        if self.user_group is not None:
            await self.channel_layer.group_discard(self.user_group, self.channel_name)
            self.user_group = None

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
            if self.catching_up:
                await self.send_json({"type": "error", "error": "busy"})
                return
            now = _now()
            if self.last_catch_up is not None and now - self.last_catch_up < CATCH_UP_GAP_SECONDS:
                await self.send_json({"type": "error", "error": "too_soon"})
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
        if self.feed is None:
            return
        if _now() - self.checked_at > RECHECK_SECONDS:
            was_moderator = self.moderator
            if not await self._recheck():
                return
            if was_moderator and not self.moderator:
                return  # this was the moderators' version; the viewers' one went to a group joined too late
        await self.send(text_data=event["text"])  # already JSON (copro.live.broadcast)

    async def live_revoke(self, event: dict[str, Any]) -> None:
        """Sent to the person's own group when their access was taken away (copro.live.broadcast.revoke)."""
        if self.feed is not None:
            await self._recheck()

    async def _recheck(self) -> bool:
        """Check access again. False (and the socket closed with 4404) when this person may no longer see
        the feed; a change of role moves the connection to the other group and tells the script."""
        try:
            self.feed, moderator = await self._load(self.scope.get("user"), self.slug, self.meeting_id)
        except (Http404, PermissionDenied):
            await self._leave_groups()
            self.feed = None
            await self.close(code=CLOSE_NOT_FOUND)
            return False
        self.checked_at = _now()
        if moderator != self.moderator:
            old, self.moderator = self.group, moderator
            self.group = broadcast.group(self.feed.meeting_id, moderators=moderator)
            await self.channel_layer.group_add(self.group, self.channel_name)
            if old is not None:
                await self.channel_layer.group_discard(old, self.channel_name)
            await self.send_json({"type": "access", "moderator": moderator})
        return True

    async def _catch_up(self, after: int) -> None:
        assert self.feed is not None
        self.catching_up = True
        try:
            for _round in range(CATCH_UP_ROUNDS):
                sync = await self._changes(after)
                await self.send_json(sync)
                if not sync["more"]:
                    return
                after = sync["seq"]
        finally:
            self.catching_up = False
            self.last_catch_up = _now()

    @database_sync_to_async
    def _load(self, user: Any, slug: str, meeting_id: int) -> tuple[LiveFeed, bool]:
        if user is None:
            from django.contrib.auth.models import AnonymousUser

            user = AnonymousUser()
        forget_roles(user)  # the socket's user lives for hours: a role remembered at connect may be out of date
        _project, role, _meeting, feed = get_feed_for_user(user, slug, meeting_id)
        services.feed_close_if_overdue(feed)
        return feed, can_report(feed, user, role, "live.moderate")

    @database_sync_to_async
    def _changes(self, after: int) -> dict[str, Any]:
        assert self.feed is not None
        return selectors.changes_since(self.feed, after, moderator=self.moderator)
