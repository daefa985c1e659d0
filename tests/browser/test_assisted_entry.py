"""Assisted and offline entry in real headless Chromium: a facilitator types in a paper response, then
finds it on the results page filtered by the paper channel. axe-core on the results page, English and Welsh."""

from __future__ import annotations

import re

import pytest

from copro.consultations import services
from copro.consultations.models import Response
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.factories_results import bulk_responses, survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_facilitator_enters_a_paper_response_and_sees_it_counted_under_paper(new_page, live_server, world):
    s = survey(world.project, world.facilitator)
    services.response_submit(consultation=s.consultation, respondent=world.participant, raw={s.colour.pk: 0})
    tab = signed_in(new_page, live_server, world.facilitator)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/consultations/{s.consultation.pk}/enter/")
    assert axe_serious(page) == []

    page.get_by_label("Paper form").check()
    page.get_by_label("Batch (optional)").fill("Ely library drop-in")
    page.get_by_role("group", name="Favourite colour").get_by_label("Blue").check()
    page.get_by_role("group", name="How do you travel?").get_by_label("Bike").check()
    page.get_by_role("group", name="Cycle lanes are safe").get_by_label("Strongly agree").check()
    page.get_by_label("Anything else?").fill("Mae angen goleuadau ar y llwybr")
    page.get_by_label("A place from the list").select_option(label="Canton Library")
    with page.expect_navigation():
        page.get_by_role("button", name="Save this response").click()
    assert "Saved (receipt" in page.content()
    # "Enter another": the channel and the batch are kept for the next form of the pile.
    assert page.get_by_label("Paper form").is_checked()
    assert page.get_by_label("Batch (optional)").input_value() == "Ely library drop-in"
    entered = Response.objects.get(consultation=s.consultation, channel="paper")
    assert entered.entered_by == world.facilitator and entered.batch == "Ely library drop-in"

    page.goto(f"/p/{world.project.slug}/consultations/{s.consultation.pk}/results/")
    assert "2 responses in all" in page.content()
    page.get_by_label("Show responses that reached us").select_option(value="paper")
    with page.expect_navigation():
        page.get_by_role("button", name="Show", exact=True).click()
    assert "channel=paper" in page.url
    html = page.content()
    assert "Showing 1 response given by: Paper form." in html
    colour = page.get_by_role("table", name="The answers to “Favourite colour”")
    assert colour.get_by_role("row", name=re.compile(r"^Blue ")).inner_text().split("\t")[:2] == ["Blue", "1"]
    assert colour.get_by_role("row", name=re.compile(r"^Red ")).inner_text().split("\t")[:2] == ["Red", "0"]
    assert "Mae angen goleuadau ar y llwybr" in html
    assert axe_serious(page) == []
    assert no_csp_errors(tab)


@pytest.mark.parametrize("locale", ["en-GB", "cy-GB"])
def test_the_results_page_has_no_serious_accessibility_violations(new_page, live_server, world, locale):
    s = survey(world.project, world.facilitator)
    bulk_responses(s, 40)
    for persona in ("facilitator", "participant"):
        user = getattr(world, persona)
        user.preferred_language = locale[:2]
        user.save()
        tab = signed_in(new_page, live_server, user, locale)
        page = tab.page
        page.goto(f"/p/{world.project.slug}/consultations/{s.consultation.pk}/results/")
        assert page.locator("svg[role=img]").count() >= 4  # "about you" totals wait for the close
        assert axe_serious(page) == []
        page.goto(f"/p/{world.project.slug}/consultations/{s.consultation.pk}/results/?channel=phone")
        assert axe_serious(page) == []
        assert no_csp_errors(tab)
