"""The live feed in real headless Chromium, served by Daphne (HTTP and WebSockets) in a thread of the test
process, so that it shares the test database.

pytest-django's live_server speaks only WSGI (no WebSockets), and channels' ChannelsLiveServerTestCase runs
Daphne in another process, which cannot see an in-memory SQLite test database; hence `daphne_server` here.
Twisted's reactor can run once per process: the server is started once per test session.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from playwright.sync_api import expect

from copro.live import services
from copro.live.models import Entry, Question
from tests.browser.conftest import Page, axe_serious
from tests.browser.test_deciding import no_csp_errors
from tests.conftest import client_for
from tests.factories_live import entries, live_feed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APPEARS_WITHIN_MS = 5000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def daphne_server(django_db_setup: None) -> Iterator[str]:
    """Daphne serving copro.asgi (with static files) on a free port, in a thread; its base address.

    It is stopped before the test database is dropped (hence django_db_setup), and copro.asgi turns persistent
    connections off, so its threads close their connections after each request and consumer call: kept open,
    they would stop PostgreSQL dropping the test database at the end.
    """
    from daphne.server import Server  # noqa: I001 - installs Twisted's asyncio reactor first
    from daphne.endpoints import build_endpoint_description_strings
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from twisted.internet import reactor

    from copro.asgi import application

    port = _free_port()
    server = Server(
        application=ASGIStaticFilesHandler(application),
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=port),
        signal_handlers=False,
        verbosity=0,
    )
    thread = threading.Thread(target=server.run, name="daphne", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("Daphne did not start") from None
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    reactor.callFromThread(reactor.stop)  # type: ignore[attr-defined]
    thread.join(timeout=10)


@pytest.fixture
def tabs(browser: Any, daphne_server: str) -> Iterator[Any]:
    made: list[Page] = []

    def make(user: Any = None, locale: str = "en-GB") -> Page:
        tab = Page(browser, daphne_server, locale)
        made.append(tab)
        if user is not None:
            session = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value
            host = urlparse(daphne_server).hostname
            tab.context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}]
            )
        return tab

    yield make
    for tab in made:
        tab.close()


def feed_path(feed: Any, rest: str = "") -> str:
    return f"/p/{feed.project.slug}/meetings/{feed.meeting_id}/live/{rest}"


def wait_until_live(page: Any) -> None:
    page.locator("[data-live][data-conn='live']").wait_for(timeout=APPEARS_WITHIN_MS)


def test_a_second_browser_context_sees_a_live_note_appear_without_reload(tabs, world):
    feed = live_feed(world.project, facilitator=world.facilitator, title="Ysgol Treganna safe routes")
    services.entry_post(user=world.facilitator, feed=feed, text="Doors open")

    viewer = tabs(world.outsider)
    page = viewer.page
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    page.goto(feed_path(feed))
    wait_until_live(page)
    assert page.locator("[data-live-status]").inner_text() == "Live."
    assert page.locator("[data-live-status]").get_attribute("role") == "status"  # a polite live region
    assert axe_serious(page) == []
    page.evaluate("window.copro_marker = 'still the same page'")
    loads_before = len(navigations)

    reporter = tabs(world.facilitator)
    rpage = reporter.page
    rpage.goto(feed_path(feed))
    assert axe_serious(rpage) == []
    # A photo over 5 MB is caught before it is sent, and what was typed stays.
    rpage.get_by_label("What happened").fill("We agree the crossing goes forward <b>now</b>")
    rpage.get_by_label("Decision").check()
    rpage.get_by_label("A photo (optional)").set_input_files(
        files=[{"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + b"\0" * (5 * 1024 * 1024 + 10)}]
    )
    error = rpage.locator("[data-live-photo-error]")
    error.wait_for()
    assert "larger than 5 MB" in error.inner_text()
    assert rpage.get_by_label("What happened").input_value() == "We agree the crossing goes forward <b>now</b>"
    with rpage.expect_navigation():
        rpage.get_by_role("button", name="Post", exact=True).click()
    assert "Posted." in rpage.content()
    entry = Entry.objects.get(text="We agree the crossing goes forward <b>now</b>")

    # The viewer's page shows it, as text (not HTML), without a reload.
    item = page.locator(f"#entry-{entry.pk}")
    item.wait_for(timeout=APPEARS_WITHIN_MS)
    assert item.locator(".live-entry__text").inner_text() == "We agree the crossing goes forward <b>now</b>"
    assert item.locator("b").count() == 0
    assert item.locator(".live-kind").inner_text() == "Decision"
    assert page.evaluate("window.copro_marker") == "still the same page"
    assert len(navigations) == loads_before
    # Newest first, and announced politely once.
    assert page.locator("[data-live-entries] > li").first.get_attribute("id") == f"entry-{entry.pk}"
    expect(page.locator("[data-live-announce]")).to_have_text("1 new entry.", timeout=APPEARS_WITHIN_MS)

    # The viewer asks a question; the moderator's queue gets it without a reload; once approved, the
    # viewer sees it and can like it.
    mod = tabs(world.facilitator)
    mpage = mod.page
    mpage.goto(feed_path(feed, "moderate/"))
    wait_until_live(mpage)
    assert axe_serious(mpage) == []
    page.get_by_label("Your question or comment").fill("Will there be a lollipop person?")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    question = Question.objects.get()
    queued = mpage.locator(f"#queue-{question.pk}")
    queued.wait_for(timeout=APPEARS_WITHIN_MS)
    assert queued.locator(".live-question__text").inner_text() == "Will there be a lollipop person?"
    # Each button names its question for screen reader users (filled in by the script for a pushed one).
    for name in ("Show to everyone", "Do not show"):
        expect(
            queued.get_by_role("button", name=re.compile(rf"^{name}\s*: Will there be a lollipop person\?$"))
        ).to_have_count(1)
    with mpage.expect_navigation():
        queued.get_by_role("button", name="Show to everyone").click()
    page.locator(f"#question-{question.pk}").wait_for(timeout=APPEARS_WITHIN_MS)
    # Newly shown questions are announced (politely, throttled), and the Like button names the question.
    expect(page.locator("[data-live-announce]")).to_contain_text(
        "New questions or comments.", timeout=APPEARS_WITHIN_MS
    )
    expect(
        page.locator(f"#question-{question.pk}").get_by_role(
            "button", name=re.compile(r"^Like\s*: Will there be a lollipop person\?$")
        )
    ).to_have_count(1)
    page.locator(f"#question-{question.pk} button").click()
    page.locator(f"#question-{question.pk} .live-likes").filter(has_text="1 like").wait_for(timeout=APPEARS_WITHIN_MS)
    # The count can arrive by the push before the like's own answer sets the button's state: wait for both.
    expect(page.locator(f"#question-{question.pk} button")).to_have_attribute(
        "aria-pressed", "true", timeout=APPEARS_WITHIN_MS
    )

    # A push dropped on the way (here: a change saved without any push) is fetched when the page is
    # shown again (and every 45 seconds), from the last number the server confirmed.
    (dropped,) = entries(feed, 1, author=world.facilitator)
    page.wait_for_timeout(2500)  # the server answers one catch-up every 2 seconds
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.locator(f"#entry-{dropped.pk}").wait_for(timeout=APPEARS_WITHIN_MS)

    for tab in (viewer, reporter, mod):
        assert no_csp_errors(tab), tab.errors


def test_the_present_view_is_axe_clean_and_updates_itself(tabs, world):
    feed = live_feed(world.project, facilitator=world.facilitator)
    services.entry_post(user=world.facilitator, feed=feed, kind="action", text="Measure speeds on Cowbridge Road")
    question = services.question_ask(user=world.participant, feed=feed, text="What about the bus stop?")
    services.question_moderate(user=world.facilitator, question=question, approve=True)
    screen = tabs(world.facilitator)
    page = screen.page
    page.goto(feed_path(feed, "present/"))
    wait_until_live(page)
    assert page.locator(".project-nav, .site-header").count() == 0
    assert axe_serious(page) == []
    # Posted from the reporter's phone (another browser), it appears on the screen by itself.
    reporter = tabs(world.facilitator)
    reporter.page.goto(feed_path(feed))
    reporter.page.get_by_label("What happened").fill("Break: back at 7.45pm")
    with reporter.page.expect_navigation():
        reporter.page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_text("Break: back at 7.45pm").wait_for(timeout=APPEARS_WITHIN_MS)
    assert axe_serious(page) == []
    assert no_csp_errors(screen), screen.errors


def test_without_websockets_the_page_polls_every_10_seconds(tabs, world):
    feed = live_feed(world.project, facilitator=world.facilitator)
    viewer = tabs()
    page = viewer.page
    page.add_init_script("delete window.WebSocket;")
    page.goto(feed_path(feed))
    page.locator("[data-live][data-conn='polling']").wait_for(timeout=APPEARS_WITHIN_MS)
    assert page.locator("[data-live-status]").inner_text() == "Updates every 10 seconds."
    reporter = tabs(world.facilitator)
    reporter.page.goto(feed_path(feed))
    reporter.page.get_by_label("What happened").fill("Seen by polling")
    with reporter.page.expect_navigation():
        reporter.page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_text("Seen by polling").wait_for(timeout=12_000)
    assert no_csp_errors(viewer)


def test_without_javascript_the_feed_is_a_list_with_a_refresh_link(browser, daphne_server, world):
    feed = live_feed(world.project, facilitator=world.facilitator)
    services.entry_post(user=world.facilitator, feed=feed, text="First")
    context = browser.new_context(base_url=daphne_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(feed_path(feed))
        assert page.locator("[data-live-entries] > li").count() == 1
        services.entry_post(user=world.facilitator, feed=feed, text="Second")
        page.get_by_role("link", name=re.compile("Refresh")).click()
        assert page.locator("[data-live-entries] > li").count() == 2
    finally:
        context.close()
