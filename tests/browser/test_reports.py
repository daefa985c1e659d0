"""A board member (observer) opens the governance report and downloads its PDF; the health and open data pages:
real headless Chromium, axe-clean, no Content-Security-Policy errors."""

from __future__ import annotations

import pytest

from tests import factories_reports as fr
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUERY = f"?start={fr.START.isoformat()}&end={fr.END.isoformat()}"


def test_a_board_member_opens_the_report_and_downloads_the_pdf(new_page, live_server, world):
    built = fr.built(world)
    tab = signed_in(new_page, live_server, world.observer)
    page = tab.page
    page.goto(f"/p/{built.project.slug}/report/")
    # The period form: a period that ends before it starts is refused with a clear message.
    page.get_by_label("From", exact=True).fill("2026-09-30")
    page.get_by_label("To", exact=True).fill("2026-07-01")
    page.get_by_role("button", name="Show the report").click()
    assert "The period ends before it starts" in page.content()
    assert axe_serious(page) == []

    page.get_by_label("From", exact=True).fill(fr.START.isoformat())
    page.get_by_label("To", exact=True).fill(fr.END.isoformat())
    page.get_by_role("button", name="Show the report").click()
    page.wait_for_selector("h2#took-part-h")
    text = page.inner_text("main")
    assert "From 1 July 2026 to 30 September 2026" in text
    assert "Promise-kept rate: 25%" in text
    assert "The drop-in was kind" in text and "SECRET-NO-CONSENT" not in text
    # Every chart is drawn, with the table of its numbers beside it.
    assert page.locator("figure.chart-pair svg").count() == page.locator("figure.chart-pair table").count() >= 6
    assert axe_serious(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    assert no_csp_errors(tab), tab.errors


def test_a_participant_reads_the_health_page(new_page, live_server, world):
    fr.built(world)
    tab = signed_in(new_page, live_server, world.participant)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/health/")
    assert "Co-production health" in page.inner_text("h1")
    page.locator("summary", has_text="The evidence for Awareness").click()  # open the evidence
    assert "Where it comes from" in page.inner_text("main")
    assert axe_serious(page) == []
    assert no_csp_errors(tab), tab.errors


def test_anyone_finds_the_open_data(new_page, live_server, world):
    fr.built(world)
    tab = new_page()
    page = tab.page
    page.goto(f"/p/{world.project.slug}/open-data/")
    assert page.get_by_role("link", name="Commitments (“you said, we did”) as CSV").count() == 1
    assert axe_serious(page) == []
    response = page.request.get(f"/p/{world.project.slug}/open-data/feed.json")
    assert response.ok and response.json()["version"] == 1
    assert no_csp_errors(tab), tab.errors
