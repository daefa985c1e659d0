"""User journeys in real headless Chromium, with axe-core accessibility checks on each page."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from copro.accounts.models import User
from copro.projects.models import Membership, Project
from tests.browser.conftest import axe_serious
from tests.conftest import Outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def link_in(message, pattern: str) -> str:
    match = re.search(pattern, Outbox.text(message))
    assert match, Outbox.text(message)
    return match.group(0)


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_up(page, live_server, outbox, email: str, name: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Name to show").fill(name)
    page.get_by_label("Password", exact=True).fill("a-long-and-unusual-passphrase")
    page.get_by_label("Password (again)").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_load_state()
    messages = [m for m in outbox.to(email) if "/accounts/confirm-email/" in Outbox.text(m)]
    assert len(messages) == 1, "one verification email"
    confirm = link_in(messages[0], r"http://\S+/accounts/confirm-email/\S+")
    page.goto(confirm.replace("http://127.0.0.1:8000", live_server.url))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


def test_facilitator_sets_up_a_project_and_a_participant_joins_and_sees_the_scope(
    new_page, live_server, outbox, run_tasks, settings
):
    settings.SITE_URL = live_server.url
    tab = new_page()
    page = tab.page

    # 1. A member of council staff signs up and verifies their email address.
    sign_up(page, live_server, outbox, "sian@council.example", "Siân")
    assert User.objects.get(email="sian@council.example").emailaddress_set.get().verified

    # 2. They register their organisation; as staff they must set up two-factor authentication.
    page.goto("/organisations/new/")
    page.get_by_label("Name of the organisation").fill("Cyngor Tref Demo")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/two-factor-required/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    # Turning on 2FA asks for the password again (signing in by the email link does not count).
    page.wait_for_url("**/reauthenticate/**")
    page.get_by_label("Password", exact=True).fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/2fa/totp/activate/")
    secret = re.search(r"\b[A-Z2-7]{32}\b", page.content()).group(0)
    page.get_by_label("Authenticator code").fill(totp_now(secret))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_load_state()

    # 3. They start a project, saying openly what can and cannot be influenced.
    page.goto("/projects/new/")
    page.get_by_label("Title").fill("Youth centre opening hours")
    page.get_by_label("Purpose").fill("Young people and staff decide together when the centre opens.")
    page.get_by_label("What participants can influence").fill("Opening hours\nWhich activities run")
    page.get_by_label("Fixed line 1: what cannot change").fill("The building")
    page.get_by_label("Fixed line 1: why").fill("The lease runs until 2030.")
    page.get_by_role("button", name="Start the project").click()
    page.wait_for_url("**/p/youth-centre-opening-hours/")
    assert "Opening hours" in page.content() and "The lease runs until 2030." in page.content()
    assert axe_serious(page) == []

    # 4. They invite a participant by email.
    page.goto("/p/youth-centre-opening-hours/members/")
    page.get_by_label("Email address").fill("dylan@example.org")
    page.get_by_role("button", name="Send the invitation").click()
    page.wait_for_load_state()
    run_tasks()
    invitation = outbox.to("dylan@example.org")
    assert len(invitation) == 1
    invite_url = link_in(invitation[0], r"http://\S+/invitations/\S+/")

    # 5. The participant follows the link, creates an account, and joins.
    participant = new_page().page
    participant.goto(invite_url)
    assert "The lease runs until 2030." in participant.content()  # scope shown before joining
    sign_up(participant, live_server, outbox, "dylan@example.org", "Dylan")
    participant.goto(invite_url)
    participant.get_by_role("button", name="Join the project").click()
    participant.wait_for_url("**/scope/")
    assert Membership.objects.get(user__email="dylan@example.org").role == "participant"
    can = participant.locator("section.scope-can").inner_text()
    fixed = participant.locator("section.scope-fixed").inner_text()
    assert "Opening hours" in can and "Which activities run" in can
    assert "The building" in fixed and "The lease runs until 2030." in fixed
    assert axe_serious(participant) == []

    # 6. They switch the interface to Welsh.
    participant.get_by_role("button", name="Cymraeg").click()
    participant.wait_for_load_state()
    assert participant.locator("html").get_attribute("lang") == "cy"
    assert participant.get_by_role("button", name="English").is_visible()
    assert User.objects.get(email="dylan@example.org").preferred_language == "cy"
    assert axe_serious(participant) == []
    assert Project.objects.count() == 1
    assert not [e for e in tab.errors if "Content Security Policy" in e]


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "PROJECT", "PROJECT/scope/"])
@pytest.mark.parametrize("language", ["en", "cy"])
def test_key_pages_have_no_serious_accessibility_violations(new_page, world, path, language):
    tab = new_page("cy-GB" if language == "cy" else "en-GB")  # the browser's language (Accept-Language)
    page = tab.page
    page.goto(path.replace("PROJECT", f"/p/{world.project.slug}"))
    assert page.locator("html").get_attribute("lang") == language
    assert axe_serious(page) == []
    assert not [e for e in tab.errors if "Content Security Policy" in e], tab.errors
