"""Responding to a consultation in real headless Chromium: a draft saved mid-way, left, resumed with the
earlier answers kept, then sent and a receipt shown. axe-core on the consultation's pages in English and Welsh."""

from __future__ import annotations

import pytest

from copro.consultations.models import Answer, Response, ResponseStatus
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.test_consultations import Survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_participant_saves_a_draft_leaves_comes_back_and_sends_their_response(new_page, live_server, world):
    s = Survey(world)
    tab = signed_in(new_page, live_server, world.participant)
    page = tab.page
    page.goto(s.url())
    assert "How your responses will be used" in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name="Respond").click()

    # Section 1, keyboard only: focus the option, Space to choose it, Enter on Next.
    page.get_by_label("Cycle", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Next", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Section 2 (only for people who cycle): rank two routes, then save and leave.
    assert "Rank the routes" in page.content()
    page.get_by_label("Cathays").fill("1")
    page.get_by_label("Taff Trail").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and come back later").click()
    assert "Your answers are saved" in page.content()
    assert Response.objects.get(respondent=world.participant).status == ResponseStatus.DRAFT

    # They leave for another page, then come back in a new tab of the same browser.
    page.goto(f"/p/{world.project.slug}/")
    later = tab.context.new_page()
    later.goto(s.url())
    with later.expect_navigation():
        later.get_by_role("link", name="Continue your draft").click()
    assert "The routes would be safer" in later.content()  # resumed at the first unanswered section
    with later.expect_navigation():
        later.get_by_role("button", name="Back", exact=True).click()
    assert later.get_by_label("Cathays").input_value() == "1"
    assert later.get_by_label("Taff Trail").input_value() == "2"
    with later.expect_navigation():
        later.get_by_role("button", name="Next", exact=True).click()

    later.get_by_label("Agree", exact=True).check()
    later.get_by_label("Lighting").check()
    later.get_by_label("Choose a place").select_option(label="Queen Street")
    later.get_by_label("Anything else?", exact=False).fill("Lights on the Taff Trail, please")
    with later.expect_navigation():
        later.get_by_role("button", name="Next", exact=True).click()
    assert "Check your answers" in later.content()
    assert "1. Cathays; 2. Taff Trail" in later.content()
    later.get_by_label("Tell me what happens as a result").check()
    with later.expect_navigation():
        later.get_by_role("button", name="Send my response").click()

    response = Response.objects.get(respondent=world.participant)
    assert response.status == ResponseStatus.SUBMITTED and response.hear_back
    assert "Thank you: your response is in" in later.content()
    assert response.receipt in later.locator(".receipt").inner_text()
    assert Answer.objects.filter(response=response, question=s.routes).count() == 2
    assert Answer.objects.get(response=response, question=s.where).lat == pytest.approx(51.4816)
    assert axe_serious(later) == []
    assert no_csp_errors(tab)


@pytest.mark.parametrize("locale", ["en-GB", "cy"])
def test_consultation_pages_have_no_serious_accessibility_violations(new_page, live_server, world, locale):
    s = Survey(world)
    world.participant.preferred_language = locale[:2]
    world.participant.save()
    tab = signed_in(new_page, live_server, world.participant, locale)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/consultations/")
    assert page.locator("html").get_attribute("lang") == locale[:2]
    assert axe_serious(page) == []
    page.goto(s.url())
    assert page.locator("html").get_attribute("lang") == locale[:2]
    assert axe_serious(page) == [], "detail"
    page.goto(s.url("respond/"))
    assert axe_serious(page) == [], "respond, first section"
    # Next without the required answer: the error summary and the marked question.
    with page.expect_navigation():
        page.locator("button[value=next]").click()
    assert page.locator("#form-errors").count() == 1
    assert axe_serious(page) == [], "respond, with errors"
    page.locator(f"#q{s.mode.pk}-1").check()
    with page.expect_navigation():
        page.locator("button[value=next]").click()
    assert axe_serious(page) == [], "respond, ranking"
    page.goto(s.url("respond/?section=2"))
    assert axe_serious(page) == [], "respond, every other kind"
    page.goto(s.url("respond/?section=review"))
    assert axe_serious(page) == [], "check your answers"
    assert no_csp_errors(tab)


@pytest.mark.parametrize("locale", ["en-GB", "cy"])
def test_the_builder_and_preview_have_no_serious_accessibility_violations(new_page, live_server, world, locale):
    s = Survey(world, open_it=False)
    world.facilitator.preferred_language = locale[:2]
    world.facilitator.save()
    tab = signed_in(new_page, live_server, world.facilitator, locale)
    page = tab.page
    for suffix in ("", "build/", "preview/", "edit/"):
        page.goto(s.url(suffix))
        assert axe_serious(page) == [], suffix
    page.goto(f"/p/{world.project.slug}/consultations/new/")
    assert axe_serious(page) == [], "new"
    assert no_csp_errors(tab)
