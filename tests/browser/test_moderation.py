"""Moderation in real headless Chromium: a visitor reports a pin, a facilitator hides it with a reason.
axe-core on the report form, the queue and the rules, in English and in Welsh."""

from __future__ import annotations

import pytest

from copro.moderation.models import Report, ReportStatus
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.test_moderation import a_pin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("locale", ["en-GB", "cy"])
def test_a_visitor_reports_a_pin_and_a_facilitator_hides_it_with_a_reason(new_page, live_server, world, locale):
    pin = a_pin(world.project, author=world.participant, text="Ring 07700 900123 about the parking")
    visitor = new_page(locale)
    page = visitor.page
    page.goto(f"/p/{world.project.slug}/moderation/pin/{pin.pk}/report/")
    assert "Ring 07700 900123" in page.content()
    assert axe_serious(page) == []
    page.locator("#id_reason").focus()
    page.keyboard.type("It gives someone's phone number")
    page.locator("main button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Report.objects.filter(kind="pin", object_id=pin.pk, status=ReportStatus.OPEN).count() == 1
    assert axe_serious(page) == []
    page.goto(f"/p/{world.project.slug}/moderation/rules/")
    assert axe_serious(page) == []

    world.facilitator.preferred_language = "cy" if locale == "cy" else "en"
    world.facilitator.save()
    tab = signed_in(new_page, live_server, world.facilitator, locale)
    staff = tab.page
    staff.goto(f"/p/{world.project.slug}/moderation/")
    assert "It gives someone's phone number" in staff.locator("main").inner_text()
    assert axe_serious(staff) == []
    staff.locator(f"#reason-pin-{pin.pk}").fill("It shares a phone number: rule 3.")
    with staff.expect_navigation():
        staff.locator(f"form[action$='/pin/{pin.pk}/hide/'] button").click()
    pin.refresh_from_db()
    assert pin.hidden_reason == "It shares a phone number: rule 3."
    assert Report.objects.get().status == ReportStatus.HIDDEN
    assert axe_serious(staff) == []
    assert no_csp_errors(visitor) and no_csp_errors(tab)
