"""Subscribing to updates in real headless Chromium: the form on a project's Updates page, the
confirmation link from the test mail outbox, the page that confirms, and the page that manages a
subscription. axe-core on every page, in English and in Welsh."""

from __future__ import annotations

import re

import pytest

from copro.consultations.models import Consultation
from copro.updates.models import Subscription
from tests.browser.conftest import axe_serious
from tests.conftest import Outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_csp_errors(tab) -> bool:
    return not [e for e in tab.errors if "Content Security Policy" in e]


def link_in(message, path: str) -> str:
    match = re.search(rf"https?://\S+{path}\S+", Outbox.text(message))
    assert match, Outbox.text(message)
    return match.group(0)


def on_live_server(url: str, live_server) -> str:
    """The link as the email has it, pointed at the test server (whatever SITE_URL says)."""
    return re.sub(r"^https?://[^/]+", live_server.url, url)


def test_a_visitor_subscribes_on_the_updates_page_and_confirms_from_the_email(
    new_page, live_server, world, outbox, run_tasks
):
    tab = new_page()
    page = tab.page
    page.goto(f"/p/{world.project.slug}/updates/")
    assert axe_serious(page) == []

    page.get_by_label("Your email address").fill("Reader@Example.org")
    page.get_by_label("A weekly digest").check()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    assert axe_serious(page) == []

    run_tasks()
    [confirmation] = outbox.to("reader@example.org")
    page.goto(on_live_server(link_in(confirmation, "/updates/confirm/"), live_server))
    assert axe_serious(page) == []
    page.get_by_role("button", name="Yes, send me updates").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="You are subscribed").is_visible()
    assert "A weekly digest of the updates from" in page.content()
    assert axe_serious(page) == []

    subscription = Subscription.objects.get(email="reader@example.org")
    assert subscription.is_active and subscription.frequency == "weekly"
    assert no_csp_errors(tab)


def test_a_welsh_speaker_subscribes_to_one_consultation_and_manages_the_subscription(
    new_page, live_server, world, outbox, run_tasks, settings
):
    settings.SITE_URL = live_server.url
    route = Consultation.objects.create(
        project=world.project,
        title="Llwybr beicio Heol y Frenhines",
        how_used="Mae'r tîm trafnidiaeth yn darllen pob ymateb.",
        status="open",
        created_by=world.facilitator,
    )
    tab = new_page("cy")
    page = tab.page
    page.goto(f"/p/{world.project.slug}/updates/subscribe/?consultation={route.pk}")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert "Llwybr beicio Heol y Frenhines" in page.content()
    assert axe_serious(page) == []

    page.locator("input[name=email]").fill("darllenydd@example.org")
    page.locator("form[action$='/subscribe/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert axe_serious(page) == []

    run_tasks()
    [confirmation] = outbox.to("darllenydd@example.org")
    page.goto(link_in(confirmation, "/updates/confirm/"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert axe_serious(page) == []
    subscription = Subscription.objects.get(email="darllenydd@example.org")
    assert subscription.is_active and subscription.consultation == route and subscription.language == "cy"

    page.goto(f"/updates/manage/{subscription.token}/")
    assert axe_serious(page) == []
    page.locator("input[name=frequency][value=weekly]").check()
    page.locator("form:has(input[name=frequency]) button[type=submit]").click()
    page.wait_for_load_state()
    subscription.refresh_from_db()
    assert subscription.frequency == "weekly"
    assert axe_serious(page) == []
    assert no_csp_errors(tab)
