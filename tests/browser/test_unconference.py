"""Open space in real headless Chromium: two people propose sessions, others mark the ones they want to join,
the facilitator builds the schedule, moves a session by dragging it, publishes, and the board shows it —
as a grid on a wide screen and as a list on a phone. axe-core on every page; no CSP errors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from copro.unconference.models import OpenSpace, Session
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.factories_unconference import open_space

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def path(space, name=""):
    return f"/p/{space.project.slug}/meetings/{space.meeting_id}/open-space/{name}"


def propose(tab, space, title, about):
    page = tab.page
    page.goto(path(space))
    assert axe_serious(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="Propose a session").click()
    assert axe_serious(page) == []
    page.get_by_label("Title of your session").fill(title)
    page.get_by_label("What is it about? (optional)").fill(about)
    with page.expect_navigation():
        page.get_by_role("button", name="Propose my session").click()
    assert "Your session is on the list" in page.content()
    assert axe_serious(page) == []


def test_propose_mark_build_drag_publish_and_the_board_shows_them(new_page, live_server, world):
    space = open_space(world.project, created_by=world.facilitator, rooms=[("Main hall", 40), ("Garden room", 10)])

    # Two people propose sessions.
    participant = signed_in(new_page, live_server, world.participant)
    propose(participant, space, "Walking buses", "Who could lead one?")
    expert = signed_in(new_page, live_server, world.expert)
    propose(expert, space, "Crossing patrols", "Where are they needed most?")

    # The observer wants to join both; the expert wants to join the walking buses.
    observer = signed_in(new_page, live_server, world.observer)
    page = observer.page
    page.goto(path(space))
    for title in ("Walking buses", "Crossing patrols"):
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile(f"^I want to join\\W+{title}$")).click()
    assert page.get_by_role("button", name=re.compile(r"^I no longer want to join\W+Walking buses$")).is_visible()
    assert axe_serious(page) == []
    expert.page.goto(path(space))
    with expert.page.expect_navigation():
        expert.page.get_by_role("button", name=re.compile(r"^I want to join\W+Walking buses$")).click()

    # The facilitator builds the schedule: the observer wants both, so they go at different times.
    facilitator = signed_in(new_page, live_server, world.facilitator)
    page = facilitator.page
    for where in ("manage/", f"manage/slots/{space.slots.first().pk}/", "schedule/"):  # rooms and times; a slot
        page.goto(path(space, where))
        assert axe_serious(page) == [], where
    with page.expect_navigation():
        page.get_by_role("button", name="Build the schedule").click()
    assert "Schedule built: 2 sessions in rooms, 0 clashes" in page.content()
    assert axe_serious(page) == []
    walking = Session.objects.get(title="Walking buses")
    crossing = Session.objects.get(title="Crossing patrols")
    assert walking.slot_id != crossing.slot_id and walking.room.name == "Main hall"

    # Drag "Crossing patrols" onto a free cell: the same form a keyboard user fills in is sent.
    free = page.locator("td.os-cell:not(.os-cell--taken)").first
    room_id, slot_id = free.get_attribute("data-room"), free.get_attribute("data-slot")
    with page.expect_navigation():
        page.locator(f'.os-card[data-session="{crossing.pk}"]').drag_to(free)
    crossing.refresh_from_db()
    assert (str(crossing.room_id), str(crossing.slot_id), crossing.pinned) == (room_id, slot_id, True)
    assert "is now in" in page.content()

    # Publish: the board shows both, and each person's own sessions.
    with page.expect_navigation():
        page.get_by_role("button", name="Publish the schedule").click()
    assert OpenSpace.objects.get(pk=space.pk).published_at is not None
    assert page.locator(".os-board-wide").get_by_text("Walking buses").is_visible()
    assert axe_serious(page) == []

    page = participant.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(path(space, "board/"))
    grid = page.locator(".os-board-wide")
    assert grid.is_visible() and not page.locator(".os-board-narrow").is_visible()
    assert grid.get_by_text("Walking buses").is_visible() and grid.get_by_text("Crossing patrols").is_visible()
    assert grid.get_by_text("Yours: you are hosting").is_visible()
    assert axe_serious(page) == []

    # On a phone: a list by time, still axe-clean.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(path(space, "board/"))
    listing = page.locator(".os-board-narrow")
    assert listing.is_visible() and not grid.is_visible()
    assert listing.get_by_text("Walking buses").is_visible()
    assert listing.get_by_role("heading", level=2).count() == 3  # one per time slot
    assert axe_serious(page) == []

    for tab in (participant, expert, observer, facilitator):
        assert no_csp_errors(tab), tab.errors


def test_the_hand_adjustment_forms_work_without_javascript(browser, live_server, world):
    space = open_space(world.project, created_by=world.facilitator)
    from tests.factories_unconference import session

    session(space, world.participant, title="Walking buses")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        from urllib.parse import urlparse

        from django.conf import settings

        from tests.conftest import client_for

        cookie = client_for(world.facilitator).cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": cookie,
                    "domain": urlparse(live_server.url).hostname,
                    "path": "/",
                }
            ]
        )
        page = context.new_page()
        page.goto(path(space, "schedule/"))
        page.get_by_label("Session", exact=True).select_option(label="Walking buses (not yet in the schedule)")
        page.get_by_label("Room").select_option(index=2)
        page.get_by_label("Time").select_option(index=1)
        with page.expect_navigation():
            page.get_by_role("button", name="Put it there").click()
        assert "is now in Side room" in page.content()
        assert Session.objects.get().room.name == "Side room"
        # The day runs late: the slot is moved five minutes by its own form; its session stays in it.
        placed = Session.objects.get()
        slot = placed.slot
        page.goto(path(space, "manage/"))
        starts = timezone.localtime(slot.starts_at)
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile(rf"^Change\s+.*{starts:%H:%M}–")).click()
        later = starts + timedelta(minutes=5)
        page.get_by_label("Starts").fill(later.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Ends").fill((later + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M"))
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        assert "Saved." in page.content()
        slot.refresh_from_db()
        placed.refresh_from_db()
        assert timezone.localtime(slot.starts_at) == later and placed.slot_id == slot.pk
    finally:
        context.close()


def test_asking_a_co_host_who_accepts_on_the_session_page(new_page, live_server, world):
    from tests.factories_unconference import session

    space = open_space(world.project, created_by=world.facilitator)
    walking = session(space, world.participant, title="Walking buses")

    host = signed_in(new_page, live_server, world.participant)
    page = host.page
    page.goto(path(space, f"sessions/{walking.pk}/"))
    page.get_by_label("Email address of someone hosting with you").fill("expert@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Ask them").click()
    assert "If expert@example.org is the address of a member" in page.content()
    assert page.locator(".os-hosts li").count() == 1  # not a host until they say yes
    assert axe_serious(page) == []

    expert = signed_in(new_page, live_server, world.expert)
    page = expert.page
    page.goto(path(space))
    assert page.get_by_role("heading", name="You are asked to host").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Walking buses").first.click()
    assert page.get_by_role("heading", name="Will you host this session?").is_visible()
    assert axe_serious(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, I will host it").click()
    assert "you are now a host" in page.content()
    assert walking.hosts.filter(user=world.expert).exists()
    assert axe_serious(page) == []

    for tab in (host, expert):
        assert no_csp_errors(tab), tab.errors
