"""Co-design and follow-through pages in Welsh, in real headless Chromium: each page a participant (or a
board member) reaches is in Welsh, axe-clean, with no Content-Security-Policy errors, and keeps Welsh on
a phone-sized screen. (The journeys themselves are tested in English in each app's browser tests.)"""

from __future__ import annotations

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from copro.meetings.models import MeetingStatus
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.factories_followthrough import commitment, past
from tests.factories_ideas import idea
from tests.factories_live import entries, live_feed
from tests.factories_meetings import meeting, register
from tests.factories_unconference import open_space, publish, session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _welsh(english: str) -> str:
    po = polib.pofile(str(settings.BASE_DIR / "locale" / "cy" / "LC_MESSAGES" / "django.po"))
    entry = po.find(english)
    assert entry is not None and entry.msgstr and "fuzzy" not in entry.flags, english
    return entry.msgstr


def test_the_co_design_and_follow_through_pages_are_in_welsh_and_axe_clean(new_page, live_server, world):
    slug = world.project.slug
    for person in (world.participant, world.observer):
        person.preferred_language = "cy"
        person.save(update_fields=["preferred_language"])
    the_idea = idea(world.project, world.participant)
    workshop = meeting(world.project, created_by=world.facilitator, status=MeetingStatus.PUBLISHED)
    register(workshop, world.participant, step_free=True)
    space = publish_with_session(world, workshop)
    feed = live_feed(world.project, facilitator=world.facilitator)
    entries(feed, 2, author=world.facilitator)
    made = commitment(world.project, created_by=world.facilitator, due_on=past(-30))
    assert made.due_on > timezone.localdate()

    pages = [
        reverse("ideas:list", args=[slug]),
        reverse("ideas:detail", args=[slug, the_idea.pk]),
        reverse("meetings:list", args=[slug]),
        reverse("meetings:detail", args=[slug, workshop.pk]),
        reverse("meetings:calendar", args=[slug]),
        reverse("unconference:sessions", args=[slug, workshop.pk]),
        reverse("unconference:board", args=[slug, space.meeting_id]),
        reverse("live:feed", args=[slug, feed.meeting_id]),
        reverse("followthrough:yswd", args=[slug]),
        reverse("followthrough:commitment", args=[slug, made.pk]),
        reverse("followthrough:feedback_give", args=[slug]),
    ]
    tab = signed_in(new_page, live_server, world.participant, locale="cy")
    for url in pages:
        response = tab.page.goto(url)
        assert response.status == 200, url
        assert tab.page.locator("html").get_attribute("lang") == "cy", url
        assert axe_serious(tab.page) == [], url
    tab.page.goto(reverse("followthrough:yswd", args=[slug]))
    assert _welsh("You said, we did") in tab.page.content()
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.page.goto(reverse("followthrough:feedback_give", args=[slug]))
    assert axe_serious(tab.page) == []
    assert no_csp_errors(tab)

    board = signed_in(new_page, live_server, world.observer, locale="cy")
    for url in (reverse("reports:report", args=[slug]), reverse("reports:health", args=[slug])):
        response = board.page.goto(url)
        assert response.status == 200, url
        assert board.page.locator("html").get_attribute("lang") == "cy", url
        assert axe_serious(board.page) == [], url
    assert no_csp_errors(board)


def publish_with_session(world, workshop):
    space = open_space(world.project, created_by=world.facilitator, the_meeting=workshop)
    session(space, world.participant, title="Llwybrau diogel i'r ysgol")
    return publish(space)
