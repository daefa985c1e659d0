"""The live feed's WebSocket (copro.asgi -> copro.live.consumers), through the real ASGI application: access
as on the page, a posted entry arriving, reconnecting with the last number and catching up with everything
missed, and the same over a real Redis channel layer.

pytest-asyncio is not installed: each test is one coroutine run with async_to_sync, in a thread of its own
(the browser tests' Playwright keeps an event loop marked as running in the main thread, and async_to_sync
refuses to start inside one). Database work inside it goes through database_sync_to_async, in that thread,
with its own connection. Tests are transactional so that changes commit and are seen from that thread,
and the services' pushes (on_commit) really happen.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connections

from copro.asgi import application
from copro.live import consumers, services
from copro.meetings.models import Meeting, MeetingStatus
from tests.conftest import client_for
from tests.factories_live import live_feed

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
TIMEOUT = 3


@pytest.fixture(autouse=True)
def fresh_in_memory_layer(settings: Any) -> None:
    """Each test gets its own channel layer (groups from an earlier test's event loop are left behind)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def run(coroutine_function: Any) -> Any:
    def in_own_thread() -> Any:
        try:
            return async_to_sync(coroutine_function)()
        finally:
            connections.close_all()  # this thread's database connections, before the test's flush

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(in_own_thread).result()


def path(feed: Any, after: Any = None) -> str:
    base = f"/ws/p/{feed.project.slug}/meetings/{feed.meeting_id}/live/"
    return base if after is None else f"{base}?after={after}"


def headers_for(user: Any) -> list[tuple[bytes, bytes]]:
    if user is None:
        return [ORIGIN]
    session = client_for(user).cookies[django_settings.SESSION_COOKIE_NAME].value
    return [ORIGIN, (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={session}".encode())]


async def connect(feed: Any, user: Any = None, after: Any = 0, headers: Any = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path(feed, after), headers=headers or headers_for(user))
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


post = database_sync_to_async(services.entry_post)
correct = database_sync_to_async(services.entry_correct)
withdraw = database_sync_to_async(services.entry_withdraw)
ask = database_sync_to_async(services.question_ask)
moderate = database_sync_to_async(services.question_moderate)
like = database_sync_to_async(services.question_like)
end = database_sync_to_async(services.feed_end)


@pytest.fixture
def feed(world: Any) -> Any:
    return live_feed(world.project, facilitator=world.facilitator)


# --- Access ------------------------------------------------------------------------------------------


def test_a_viewer_connects_gets_the_feed_so_far_then_each_new_entry(world, feed):
    first = services.entry_post(user=world.facilitator, feed=feed, text="Before you came")

    async def scenario() -> None:
        viewer = await connect(feed, None, after=0)
        sync = await viewer.receive_json_from(timeout=TIMEOUT)
        assert sync["type"] == "sync" and [e["id"] for e in sync["entries"]] == [first.pk]
        assert sync["status"]["status"] == "live"
        entry = await post(user=world.facilitator, feed=feed, kind="decision", text="Agreed: <b>yes</b>")
        pushed = await viewer.receive_json_from(timeout=TIMEOUT)
        assert pushed["type"] == "entry" and pushed["seq"] == entry.seq
        assert pushed["entry"]["text"] == "Agreed: <b>yes</b>" and pushed["entry"]["kind"] == "decision"
        assert await viewer.receive_nothing(timeout=0.2)
        await viewer.disconnect()

    run(scenario)


def test_an_outsider_is_refused_a_private_projects_feed_with_a_close_code(world):
    private = live_feed(world.private_project, facilitator=world.facilitator)

    async def scenario() -> None:
        for user in (world.outsider, None):
            communicator = WebsocketCommunicator(application, path(private, 0), headers=headers_for(user))
            await communicator.connect(timeout=TIMEOUT)
            closed = await communicator.receive_output(timeout=TIMEOUT)
            assert closed == {"type": "websocket.close", "code": 4404}
        member = await connect(private, world.observer, after=0)
        assert (await member.receive_json_from(timeout=TIMEOUT))["type"] == "sync"
        await member.disconnect()

    run(scenario)


def test_a_missing_meeting_and_a_bad_number_are_refused_with_codes(world, feed):
    async def scenario() -> None:
        missing = WebsocketCommunicator(
            application, f"/ws/p/{feed.project.slug}/meetings/999999/live/?after=0", headers=[ORIGIN]
        )
        await missing.connect(timeout=TIMEOUT)
        assert (await missing.receive_output(timeout=TIMEOUT))["code"] == 4404
        for bad in ("-1", "x", "9" * 40, "²"):
            communicator = WebsocketCommunicator(application, path(feed, bad), headers=[ORIGIN])
            await communicator.connect(timeout=TIMEOUT)
            assert (await communicator.receive_output(timeout=TIMEOUT))["code"] == 4400, bad

    run(scenario)


def test_a_socket_from_another_site_is_refused(world, feed):
    async def scenario() -> None:
        for headers in ([(b"origin", b"https://evil.example")], []):
            communicator = WebsocketCommunicator(application, path(feed, 0), headers=headers)
            connected, _ = await communicator.connect(timeout=TIMEOUT)
            assert not connected

    run(scenario)


def test_moderators_see_questions_waiting_and_viewers_only_approved_ones(world, feed):
    async def scenario() -> None:
        viewer = await connect(feed, world.outsider, after=0)
        moderator = await connect(feed, world.facilitator, after=0)
        await viewer.receive_json_from(timeout=TIMEOUT)
        await moderator.receive_json_from(timeout=TIMEOUT)
        question = await ask(user=world.outsider, feed=feed, text="Who decides?")
        waiting = await moderator.receive_json_from(timeout=TIMEOUT)
        assert waiting["question"]["status"] == "pending" and waiting["question"]["text"] == "Who decides?"
        assert await viewer.receive_nothing(timeout=0.2)
        await moderate(user=world.facilitator, question=question, approve=True)
        shown = await viewer.receive_json_from(timeout=TIMEOUT)
        assert shown["question"]["status"] == "approved" and shown["question"]["text"] == "Who decides?"
        assert (await moderator.receive_json_from(timeout=TIMEOUT))["question"]["status"] == "approved"
        await like(user=world.participant, question=question)
        assert (await viewer.receive_json_from(timeout=TIMEOUT))["question"]["like_count"] == 1
        await moderate(user=world.facilitator, question=question, approve=False)
        removed = await viewer.receive_json_from(timeout=TIMEOUT)
        assert removed["question"] == {"id": question.pk, "seq": removed["seq"], "status": "removed"}
        await viewer.disconnect()
        await moderator.disconnect()

    run(scenario)


# --- Reconnecting: nothing missed ------------------------------------------------------------------------


def _reconnect_catches_up(world: Any, feed: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(consumers, "CATCH_UP_GAP_SECONDS", 0)  # the gap between catch-ups is tested below

    async def scenario() -> None:
        viewer = await connect(feed, None, after=0)
        sync = await viewer.receive_json_from(timeout=TIMEOUT)
        a = await post(user=world.facilitator, feed=feed, text="Seen live")
        live = await viewer.receive_json_from(timeout=TIMEOUT)
        assert live["entry"]["id"] == a.pk
        last = live["seq"]
        assert last > sync["seq"]
        await viewer.disconnect()  # the train goes into a tunnel

        b = await post(user=world.facilitator, feed=feed, text="Missed one")
        c = await post(user=world.facilitator, feed=feed, kind="action", text="Missed two")
        await correct(user=world.facilitator, entry=a, kind="note", text="Seen live, then corrected")
        await withdraw(user=world.facilitator, entry=b, reason="Wrong room")
        question = await ask(user=world.participant, feed=feed, text="Missed question")
        await moderate(user=world.facilitator, question=question, approve=True)

        back = await connect(feed, None, after=last)
        catch_up = await back.receive_json_from(timeout=TIMEOUT)
        assert catch_up["type"] == "sync" and not catch_up["more"]
        got = {e["id"]: e for e in catch_up["entries"]}
        assert set(got) == {a.pk, b.pk, c.pk}
        assert got[a.pk]["text"] == "Seen live, then corrected" and got[a.pk]["edited_at"]
        assert got[b.pk]["withdrawn"] and got[b.pk]["text"] == "" and got[b.pk]["withdrawn_reason"] == "Wrong room"
        assert [q["text"] for q in catch_up["questions"]] == ["Missed question"]
        # And then live again, with nothing sent twice.
        d = await post(user=world.facilitator, feed=feed, text="After coming back")
        after = await back.receive_json_from(timeout=TIMEOUT)
        assert after["entry"]["id"] == d.pk and after["seq"] > catch_up["seq"]
        assert await back.receive_nothing(timeout=0.2)
        # A client can also ask to catch up on an open socket.
        await back.send_json_to({"type": "catch_up", "after": last})
        again = await back.receive_json_from(timeout=TIMEOUT)
        assert {e["id"] for e in again["entries"]} == {a.pk, b.pk, c.pk, d.pk}
        await back.send_json_to({"type": "ping"})
        assert await back.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
        await back.send_to(text_data="not json")
        await back.send_json_to({"type": "catch_up", "after": "lots"})
        assert (await back.receive_json_from(timeout=TIMEOUT))["type"] == "error"
        await back.disconnect()

    run(scenario)


def test_reconnecting_with_the_last_number_catches_up_with_everything_missed(world, feed, monkeypatch):
    _reconnect_catches_up(world, feed, monkeypatch)


def test_ending_the_feed_is_pushed_to_viewers(world, feed):
    async def scenario() -> None:
        viewer = await connect(feed, None, after=0)
        await viewer.receive_json_from(timeout=TIMEOUT)
        await end(user=world.facilitator, feed=feed)
        message = await viewer.receive_json_from(timeout=TIMEOUT)
        assert message["type"] == "status" and message["status"]["status"] == "ended"
        await viewer.disconnect()

    run(scenario)


def test_a_first_message_can_give_the_number_instead_of_the_address(world, feed):
    entry = services.entry_post(user=world.facilitator, feed=feed, text="Already there")

    async def scenario() -> None:
        viewer = await connect(feed, None, after=None)
        assert await viewer.receive_nothing(timeout=0.2)
        await viewer.send_json_to({"type": "catch_up", "after": 0})
        sync = await viewer.receive_json_from(timeout=TIMEOUT)
        assert [e["id"] for e in sync["entries"]] == [entry.pk]
        await viewer.disconnect()

    run(scenario)


# --- Access taken away while connected ------------------------------------------------------------------


appoint = database_sync_to_async(services.reporter_appoint)
remove_reporter = database_sync_to_async(services.reporter_remove)


@database_sync_to_async
def leave_project(project: Any, user: Any) -> None:
    project.memberships.filter(user=user).delete()


@database_sync_to_async
def back_to_draft(feed: Any) -> None:
    Meeting.objects.filter(pk=feed.meeting_id).update(status=MeetingStatus.DRAFT)


def test_a_removed_reporter_stops_getting_waiting_questions_at_once(world, feed, monkeypatch):
    monkeypatch.setattr(consumers, "CATCH_UP_GAP_SECONDS", 0)
    services.reporter_appoint(user=world.facilitator, feed=feed, member_id=world.participant.pk)

    async def scenario() -> None:
        reporter = await connect(feed, world.participant, after=0)
        await reporter.receive_json_from(timeout=TIMEOUT)
        await ask(user=world.outsider, feed=feed, text="Seen while a reporter")
        assert (await reporter.receive_json_from(timeout=TIMEOUT))["question"]["status"] == "pending"
        assert await remove_reporter(user=world.facilitator, feed=feed, member_id=world.participant.pk)
        # Told at once (no waiting for the periodic check): now a viewer.
        assert await reporter.receive_json_from(timeout=TIMEOUT) == {"type": "access", "moderator": False}
        await ask(user=world.outsider, feed=feed, text="Asked after the removal")
        assert await reporter.receive_nothing(timeout=0.3)  # waiting questions no longer come
        entry = await post(user=world.facilitator, feed=feed, text="Still a viewer")
        assert (await reporter.receive_json_from(timeout=TIMEOUT))["entry"]["id"] == entry.pk
        await reporter.send_json_to({"type": "catch_up", "after": 0})
        sync = await reporter.receive_json_from(timeout=TIMEOUT)
        assert sync["type"] == "sync" and sync["questions"] == []  # and a catch-up has no waiting ones either
        await reporter.disconnect()

    run(scenario)


def test_a_removed_member_of_a_private_project_is_closed_at_the_next_change(world, monkeypatch):
    private = live_feed(world.private_project, facilitator=world.facilitator)
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)  # as if 30 seconds had passed since the last check

    async def scenario() -> None:
        member = await connect(private, world.observer, after=0)
        other = await connect(private, world.facilitator, after=0)
        await member.receive_json_from(timeout=TIMEOUT)
        await other.receive_json_from(timeout=TIMEOUT)
        first = await post(user=world.facilitator, feed=private, text="Still a member")
        assert (await member.receive_json_from(timeout=TIMEOUT))["entry"]["id"] == first.pk
        await other.receive_json_from(timeout=TIMEOUT)
        await leave_project(world.private_project, world.observer)
        await post(user=world.facilitator, feed=private, text="Members only")
        closed = await member.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": 4404}  # and not the entry
        assert (await other.receive_json_from(timeout=TIMEOUT))["entry"]["text"] == "Members only"
        await other.disconnect()

    run(scenario)


def test_the_access_check_is_not_repeated_for_every_change(world, feed, monkeypatch):
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 3600)

    async def scenario() -> None:
        viewer = await connect(feed, None, after=0)
        await viewer.receive_json_from(timeout=TIMEOUT)
        await back_to_draft(feed)
        entry = await post(user=world.facilitator, feed=feed, text="Within the hour")
        assert (await viewer.receive_json_from(timeout=TIMEOUT))["entry"]["id"] == entry.pk
        await viewer.disconnect()

    run(scenario)


def test_a_meeting_back_to_draft_stops_streaming(world, feed, monkeypatch):
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0)

    async def scenario() -> None:
        viewer = await connect(feed, world.participant, after=0)
        anonymous = await connect(feed, None, after=0)
        facilitator = await connect(feed, world.facilitator, after=0)
        for c in (viewer, anonymous, facilitator):
            await c.receive_json_from(timeout=TIMEOUT)
        await back_to_draft(feed)
        await post(user=world.facilitator, feed=feed, text="Not for everyone now")
        for c in (viewer, anonymous):
            assert await c.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4404}
        # Facilitators may still see a draft meeting's feed.
        assert (await facilitator.receive_json_from(timeout=TIMEOUT))["entry"]["text"] == "Not for everyone now"
        await facilitator.disconnect()

    run(scenario)


# --- Catching up: not a way to load the server ------------------------------------------------------------


def test_catch_ups_are_at_least_two_seconds_apart(world, feed, monkeypatch):
    services.entry_post(user=world.facilitator, feed=feed, text="There")
    clock = [1000.0]
    monkeypatch.setattr(consumers, "_now", lambda: clock[0])

    async def scenario() -> None:
        viewer = await connect(feed, None, after=0)  # the connect's catch-up counts
        assert (await viewer.receive_json_from(timeout=TIMEOUT))["type"] == "sync"
        for _ in range(20):
            await viewer.send_json_to({"type": "catch_up", "after": 0})
        answers = [await viewer.receive_json_from(timeout=TIMEOUT) for _ in range(20)]
        assert all(a == {"type": "error", "error": "too_soon"} for a in answers)
        assert await viewer.receive_nothing(timeout=0.2)
        clock[0] += consumers.CATCH_UP_GAP_SECONDS + 0.1
        await viewer.send_json_to({"type": "catch_up", "after": 0})
        await viewer.send_json_to({"type": "catch_up", "after": 0})
        assert (await viewer.receive_json_from(timeout=TIMEOUT))["type"] == "sync"
        assert await viewer.receive_json_from(timeout=TIMEOUT) == {"type": "error", "error": "too_soon"}
        await viewer.disconnect()

    run(scenario)


def test_one_catch_up_is_bounded(world, feed, monkeypatch):
    from copro.live import selectors
    from tests.factories_live import entries

    assert consumers.CATCH_UP_ROUNDS * selectors.MAX_CHANGES <= 5000
    monkeypatch.setattr(selectors, "MAX_CHANGES", 3)
    entries(feed, 3 * consumers.CATCH_UP_ROUNDS + 5, author=world.facilitator)

    async def scenario() -> None:
        viewer = await connect(feed, None, after=0)
        parts = [await viewer.receive_json_from(timeout=TIMEOUT) for _ in range(consumers.CATCH_UP_ROUNDS)]
        assert all(p["more"] for p in parts)  # the client asks again for the rest
        assert await viewer.receive_nothing(timeout=0.2)
        await viewer.disconnect()

    run(scenario)


# --- The same over Redis ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("COPRO_REQUIRE_BROWSER"):
            pytest.fail("redis-server is required for the Redis channel layer test (apt-get install redis-server).")
        pytest.skip(
            "redis-server is not installed: the Redis channel layer test needs it (apt-get install redis-server)."
        )
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_layer(settings: Any, redis_url: str) -> str:
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }
    return redis_url


def test_over_a_real_redis_layer_a_posted_entry_arrives_and_a_reconnect_catches_up(
    world, feed, redis_layer, monkeypatch
):
    from channels.layers import get_channel_layer
    from channels_redis.core import RedisChannelLayer

    assert isinstance(get_channel_layer(), RedisChannelLayer)
    _reconnect_catches_up(world, feed, monkeypatch)


def test_over_redis_two_viewers_and_a_moderator_each_get_their_version(world, feed, redis_layer):
    async def scenario() -> None:
        viewers = [await connect(feed, None, after=0) for _ in range(2)]
        moderator = await connect(feed, world.facilitator, after=0)
        for c in (*viewers, moderator):
            await c.receive_json_from(timeout=TIMEOUT)
        question = await ask(user=world.participant, feed=feed, text="Over Redis?")
        assert (await moderator.receive_json_from(timeout=TIMEOUT))["question"]["status"] == "pending"
        entry = await post(user=world.facilitator, feed=feed, text="Over Redis")
        got = await asyncio.gather(*(v.receive_json_from(timeout=TIMEOUT) for v in viewers))
        assert [m["entry"]["id"] for m in got] == [entry.pk, entry.pk]
        assert (await moderator.receive_json_from(timeout=TIMEOUT))["entry"]["id"] == entry.pk
        assert question.pk
        for c in (*viewers, moderator):
            await c.disconnect()

    run(scenario)
