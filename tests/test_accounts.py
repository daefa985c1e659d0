"""Accounts: signing up, signing in, keeping an account safe, and owning one's personal data.

Every journey goes through real HTTP requests with CSRF enforced and real email over SMTP.
"""

from __future__ import annotations

import json
import re
import time
from io import StringIO
from typing import Any, cast
from urllib.parse import urlparse

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.utils.html import escape

from copro.accounts.models import User
from copro.core.models import ActivityEntry
from copro.projects import services as project_services
from copro.projects.models import Membership, ScopeChange, ScopeKind
from tests import factories
from tests.conftest import CsrfClient, Outbox, client_for, give_totp

NEW_PASSWORD = "a-long-new-passphrase-7"


class Browser(CsrfClient):
    """A CsrfClient that, like a browser, sends the token from the current CSRF cookie.

    Django gives a new CSRF secret on every real sign-in, so a client that signs in through the
    login page must send the new one afterwards (CsrfClient always sends the first).
    """

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:  # type: ignore[override]
        token = self.cookies[settings.CSRF_COOKIE_NAME].value
        if isinstance(data, dict):
            data = {"csrfmiddlewaretoken": token, **data}
        extra.setdefault("HTTP_X_CSRFTOKEN", token)
        return super().post(path, data, **extra)


# --- Helpers --------------------------------------------------------------------------------------


def person(**fields: Any) -> User:
    """A person with a confirmed address and the factories' password."""
    return cast(User, factories.UserFactory(**fields))


def link_in(message: Any) -> str:
    """The path of the first web address in an email's text."""
    match = re.search(r"https?://\S+", Outbox.text(message))
    assert match, Outbox.text(message)
    return urlparse(match.group(0)).path


def html(response: Any) -> str:
    return response.content.decode()


def lang_of(response: Any) -> str:
    match = re.search(r'<html lang="([^"]+)"', html(response))
    assert match, "the page has no <html lang>"
    return match.group(1)


def field_error(page: str, field: str) -> str:
    """The error shown next to a form field (tied to it by id, for screen readers)."""
    error = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</(?:ul|p)>', page, re.S)
    assert error, f"no error shown next to {field}"
    field_input = re.search(rf'<input[^>]*name="{field}"[^>]*>', page)
    assert field_input
    assert f"id_{field}_error" in field_input.group(0), "the field points to its error"
    return error.group(1)


def is_signed_in(client: CsrfClient) -> bool:
    response = client.get("/accounts/profile/")
    return response.status_code == 200


def sign_in(client: CsrfClient, email: str, password: str = factories.PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password})


def assert_sign_in_refused(email: str, password: str) -> None:
    browser = Browser()
    response = sign_in(browser, email, password)
    assert response.status_code == 200
    assert escape(str(get_adapter().error_messages["email_password_mismatch"])) in html(response)
    assert not is_signed_in(browser)


def sign_up(client: CsrfClient, email: str, **fields: str) -> Any:
    data = {
        "email": email,
        "display_name": "Nia Ŵyn",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **fields,
    }
    return client.post("/accounts/signup/", data)


def limit(action: str, per: str) -> int:
    """How many are allowed, from settings.ACCOUNT_RATE_LIMITS (e.g. "5/300s/key" -> 5 per key)."""
    if not settings.ACCOUNT_RATE_LIMITS:
        pytest.skip("rate limits are switched off (COPRO_DISABLE_RATE_LIMITS)")
    for rate in settings.ACCOUNT_RATE_LIMITS[action].split(","):
        amount, _duration, *rest = rate.strip().split("/")
        if (rest[0] if rest else "ip") == per:
            return int(amount)
    raise AssertionError(f"no limit per {per} for {action}")


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now (waiting out the last 2 s of a time step)."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 2:
        time.sleep(2.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def propose_scope_line(user: User, project: Any, text: str) -> ScopeChange:
    return project_services.scope_change_propose(
        user=user, project=project, action="add", kind=ScopeKind.CAN, text=text
    )


# --- 1. Signing up, confirming the address, signing in --------------------------------------------


def test_a_newcomer_signs_up_confirms_their_address_from_the_email_and_is_signed_in(db, outbox):
    browser = Browser()
    response = sign_up(browser, "nia@example.org", display_name="Nia Ŵyn")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="nia@example.org")
    assert user.display_name == "Nia Ŵyn"
    assert not EmailAddress.objects.get(user=user).verified

    [message] = outbox.to("nia@example.org")
    assert message["Subject"].startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    confirm_path = link_in(message)
    assert confirm_path.startswith("/accounts/confirm-email/")

    page = browser.get(confirm_path)  # a GET only shows the page: mail scanners must not confirm
    assert page.status_code == 200
    assert "nia@example.org" in html(page)
    assert 'action="/accounts/confirm-email/' in html(page)  # a button to confirm
    assert not EmailAddress.objects.get(user=user).verified

    response = browser.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert is_signed_in(browser)  # ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION, in the same browser


def test_after_confirming_on_another_device_a_newcomer_can_sign_in_with_their_password(db, outbox):
    sign_up(Browser(), "nia@example.org")
    phone = Browser()
    phone.post(link_in(outbox.to("nia@example.org")[0]))
    assert not is_signed_in(phone)  # confirming elsewhere does not sign that device in

    response = sign_in(phone, "nia@example.org", NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(phone)
    assert phone.get("/").status_code == 200


def test_signing_in_before_confirming_the_address_does_not_give_access(db, outbox):
    sign_up(Browser(), "nia@example.org")
    browser = Browser()
    response = sign_in(browser, "nia@example.org", NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not is_signed_in(browser)


def test_signing_up_with_an_address_that_has_an_account_tells_only_the_owner(db, outbox):
    owner = person(email="owner@example.org")
    response = sign_up(Browser(), "owner@example.org")
    # The same answer as a new sign-up, so nobody can find out who has an account ...
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email="owner@example.org").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(factories.PASSWORD)
    # ... and the owner hears about it by email.
    assert len(outbox.to("owner@example.org")) == 1


def test_a_newcomer_who_signs_up_while_reading_welsh_keeps_welsh(db, outbox):
    browser = Browser()
    browser.post("/language/", {"language": "cy", "next": "/accounts/signup/"})
    assert lang_of(browser.get("/accounts/signup/")) == "cy"
    assert sign_up(browser, "nia@example.org").status_code == 302
    assert User.objects.get(email="nia@example.org").preferred_language == "cy"


# --- 2. Mistakes on the sign-up form --------------------------------------------------------------

DISPLAY_NAME_MAX = cast(int, User._meta.get_field("display_name").max_length)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "Please enter a name to show."),
        ({"display_name": "   "}, "display_name", "Please enter a name to show."),
        (
            {"display_name": "N" * (DISPLAY_NAME_MAX + 1)},
            "display_name",
            f"Ensure this value has at most {DISPLAY_NAME_MAX} characters",
        ),
        ({"password2": "a-different-passphrase"}, "password2", "the same password each time"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ],
    ids=["empty-name", "blank-name", "too-long-name", "mismatched-passwords", "invalid-email"],
)
def test_a_sign_up_with_a_mistake_explains_it_and_creates_nobody(db, outbox, fields, field, message):
    fields = dict(fields)
    response = sign_up(Browser(), fields.pop("email", "nia@example.org"), **fields)
    assert response.status_code in (200, 400)
    page = html(response)
    assert escape(message) in field_error(page, field)
    assert not User.objects.exists()
    assert outbox.refresh() == []


# --- 3. Resetting a forgotten password ------------------------------------------------------------


def test_a_person_who_forgot_their_password_resets_it_by_email_and_signs_in(db, outbox):
    person(email="ffion@example.org")
    browser = Browser()
    assert browser.get("/accounts/password/reset/").status_code == 200
    response = browser.post("/accounts/password/reset/", {"email": "ffion@example.org"})
    assert response.status_code == 302

    [message] = outbox.to("ffion@example.org")
    key_path = link_in(message)
    assert key_path.startswith("/accounts/password/reset/key/")
    response = browser.get(key_path)  # allauth moves the key out of the address bar
    assert response.status_code == 302
    form_path = response["Location"]
    assert "set-password" in form_path
    assert browser.get(form_path).status_code == 200
    response = browser.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    assert_sign_in_refused("ffion@example.org", factories.PASSWORD)
    fresh = Browser()
    assert sign_in(fresh, "ffion@example.org", NEW_PASSWORD).status_code == 302
    assert is_signed_in(fresh)

    # The link works once: afterwards it offers a new reset instead of a password form.
    again = Browser().get(key_path)
    assert again.status_code == 200
    assert 'name="password1"' not in html(again)
    assert 'href="/accounts/password/reset/"' in html(again)


# --- 4. Changing email address --------------------------------------------------------------------


def test_a_person_changes_their_email_address_after_confirming_the_new_one(db, outbox):
    user = person(email="old@example.org")
    browser = client_for(user)
    assert browser.get("/accounts/email/").status_code == 200
    response = browser.post("/accounts/email/", {"email": "new@example.org", "action_add": ""})
    assert response.status_code == 302

    user.refresh_from_db()
    assert user.email == "old@example.org"  # nothing changes until the new address is confirmed
    [message] = outbox.to("new@example.org")
    confirm_path = link_in(message)
    assert browser.get(confirm_path).status_code == 200
    assert browser.post(confirm_path).status_code == 302

    user.refresh_from_db()
    assert user.email == "new@example.org"
    primary = EmailAddress.objects.get(user=user, primary=True)
    assert (primary.email, primary.verified) == ("new@example.org", True)
    assert not EmailAddress.objects.filter(email="old@example.org").exists()

    assert_sign_in_refused("old@example.org", factories.PASSWORD)
    fresh = Browser()
    assert sign_in(fresh, "new@example.org").status_code == 302
    assert is_signed_in(fresh)


# --- 5. Rate limits -------------------------------------------------------------------------------


def test_after_too_many_failed_sign_ins_even_the_right_password_is_refused_for_a_while(db, outbox):
    person(email="target@example.org")
    per_account = limit("login_failed", per="key")
    per_address = limit("login_failed", per="ip")
    assert per_account < per_address  # so this test is about the per-account limit
    too_many = str(get_adapter().error_messages["too_many_login_attempts"])
    wrong = str(get_adapter().error_messages["email_password_mismatch"])

    browser = Browser()
    for _attempt in range(per_account):
        response = sign_in(browser, "target@example.org", "not-the-password")
        assert response.status_code == 200
        assert escape(wrong) in html(response)

    response = sign_in(browser, "target@example.org", "not-the-password")
    assert escape(too_many) in html(response)
    response = sign_in(browser, "target@example.org", factories.PASSWORD)
    assert escape(too_many) in html(response)
    assert not is_signed_in(browser)

    # Someone else at the same library computer can still sign in to their own account.
    person(email="neighbour@example.org")
    neighbour = Browser()
    assert sign_in(neighbour, "neighbour@example.org").status_code == 302
    assert is_signed_in(neighbour)


def test_signing_in_correctly_many_times_never_locks_a_person_out(db):
    person(email="regular@example.org")
    per_account = limit("login_failed", per="key")
    for _attempt in range(per_account + 1):
        browser = Browser()
        assert sign_in(browser, "regular@example.org").status_code == 302


def test_one_internet_address_can_create_only_a_few_accounts_at_a_time(db, outbox):
    per_address = limit("signup", per="ip")
    for n in range(per_address):
        assert sign_up(Browser(), f"drop-in-{n}@example.org").status_code == 302

    response = sign_up(Browser(), "one-too-many@example.org")
    assert response.status_code == 429
    assert not User.objects.filter(email="one-too-many@example.org").exists()
    assert "Too many attempts" in html(response)  # Copro's own page, in the site's layout
    assert lang_of(response) == "en"
    assert Browser().get("/accounts/signup/").status_code == 200  # reading the form is fine

    other_place = Browser(REMOTE_ADDR="192.0.2.7")
    assert sign_up(other_place, "elsewhere@example.org").status_code == 302


def test_the_delete_page_cannot_be_used_to_guess_a_password(db):
    user = person()
    browser = client_for(user)
    per_person = limit("reauthenticate", per="user")
    for _attempt in range(per_person):
        response = browser.post("/accounts/profile/delete/", {"password": "guess", "confirm": "on"})
        assert response.status_code == 400
    response = browser.post("/accounts/profile/delete/", {"password": factories.PASSWORD, "confirm": "on"})
    assert response.status_code == 429
    user.refresh_from_db()
    assert user.erased_at is None


# --- 6. Two-factor authentication for organisation staff ------------------------------------------


@pytest.fixture
def staff(db: Any) -> User:
    membership = factories.OrganisationMembershipFactory(user__email="staff@example.org")
    return cast(User, membership.user)


@pytest.fixture
def staff_project(staff: User) -> Any:
    return factories.ProjectFactory(organisation=staff.organisation_memberships.get().organisation, created_by=staff)


def test_staff_without_an_authenticator_app_are_sent_to_set_one_up(staff, staff_project):
    browser = client_for(staff)
    for path in ["/", f"/p/{staff_project.slug}/", "/projects/new/"]:
        response = browser.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/two-factor-required/", path

    page = browser.get("/accounts/two-factor-required/")
    assert page.status_code == 200
    assert 'href="/accounts/2fa/totp/activate/"' in html(page)
    # Their own account pages stay open, so they can set it up, or leave.
    assert browser.get("/accounts/profile/").status_code == 200
    assert browser.get("/accounts/profile/my-data.json").status_code == 200


def test_the_api_refuses_staff_without_two_factor_with_a_json_403(staff):
    response = client_for(staff).get("/api/me/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "two-factor" in response.json()["detail"]


def test_staff_with_an_authenticator_app_use_copro_normally(staff, staff_project):
    give_totp(staff)
    browser = client_for(staff)
    assert browser.get("/").status_code == 200
    assert browser.get(f"/p/{staff_project.slug}/").status_code == 200
    assert browser.get("/api/me/").status_code == 200


@pytest.mark.parametrize("persona", ["participant", "expert", "observer", "outsider"])
def test_people_who_are_not_organisation_staff_are_never_forced_to_use_two_factor(world, persona):
    browser = world.client(persona)
    assert browser.get("/").status_code == 200
    assert browser.get(f"/p/{world.project.slug}/").status_code == 200
    assert browser.get("/api/me/").status_code == 200


def test_staff_set_up_an_authenticator_app_then_sign_in_with_a_code_or_a_recovery_code(staff, staff_project, outbox):
    browser = Browser()
    assert sign_in(browser, "staff@example.org").status_code == 302
    assert browser.get("/")["Location"] == "/accounts/two-factor-required/"

    # Setting up asks for the password again first.
    response = browser.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = browser.post(
        "/accounts/reauthenticate/",
        {"password": factories.PASSWORD, "next": "/accounts/2fa/totp/activate/"},
    )
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    page = browser.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    found = re.search(r'id="authenticator_secret"[^>]*?value="([A-Z2-7]+)"', html(page), re.S)
    assert found, "the secret is shown on the page, for people who cannot scan the QR code"
    secret = found.group(1)

    response = browser.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert response.status_code == 200  # a wrong code is refused
    assert not Authenticator.objects.filter(user=staff).exists()

    response = browser.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    types = set(Authenticator.objects.filter(user=staff).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    codes_page = browser.get(response["Location"])
    textarea = re.search(r'id="recovery_codes"[^>]*>(.*?)</textarea>', html(codes_page), re.S)
    assert textarea
    recovery_codes = textarea.group(1).split()
    assert len(recovery_codes) == settings.MFA_RECOVERY_CODE_COUNT
    assert browser.get("/").status_code == 200
    assert browser.get(f"/p/{staff_project.slug}/").status_code == 200

    # Signing in again: the password alone is not enough.
    browser.post("/accounts/logout/")
    assert not is_signed_in(browser)
    response = sign_in(browser, "staff@example.org")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not is_signed_in(browser)
    response = browser.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert not is_signed_in(browser)
    code = totp_code(secret)
    response = browser.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200

    # A code works once: someone who saw it over a shoulder cannot use it again.
    snoop = Browser()
    sign_in(snoop, "staff@example.org")
    snoop.post("/accounts/2fa/authenticate/", {"code": code})
    assert not is_signed_in(snoop)

    # A recovery code works too (for a lost phone), and only once.
    browser.post("/accounts/logout/")
    sign_in(browser, "staff@example.org")
    response = browser.post("/accounts/2fa/authenticate/", {"code": recovery_codes[0]})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200
    browser.post("/accounts/logout/")
    sign_in(browser, "staff@example.org")
    browser.post("/accounts/2fa/authenticate/", {"code": recovery_codes[0]})
    assert not is_signed_in(browser)


# --- 7. The profile -------------------------------------------------------------------------------


def profile_data(user: User, **changes: Any) -> dict[str, Any]:
    data = {
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "access_needs": user.access_needs,
        "phone": user.phone,
        "email_frequency": user.email_frequency,
        **changes,
    }
    if data.pop("notify_by_email", user.notify_by_email):
        data["notify_by_email"] = "on"
    return data


def test_a_person_updates_their_name_access_needs_and_contact_preferences(world):
    user = world.participant
    browser = world.client("participant")
    assert browser.get("/accounts/profile/").status_code == 200
    response = browser.post(
        "/accounts/profile/",
        profile_data(
            user,
            display_name="  Gwen  ",
            access_needs="A BSL interpreter, please",
            phone="029 2000 0000",
            notify_by_email=False,
            email_frequency="weekly",
        ),
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Gwen"
    assert user.access_needs == "A BSL interpreter, please"
    assert user.phone == "029 2000 0000"
    assert user.notify_by_email is False
    assert user.email_frequency == "weekly"
    assert "Your profile is saved." in html(browser.get("/accounts/profile/"))


def test_choosing_welsh_on_the_profile_shows_the_next_pages_in_welsh(world):
    user = world.participant
    browser = world.client("participant")
    response = browser.post("/accounts/profile/", profile_data(user, preferred_language="cy"))
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    user.refresh_from_db()
    assert user.preferred_language == "cy"
    assert lang_of(browser.get("/")) == "cy"
    assert lang_of(browser.get(f"/p/{world.project.slug}/")) == "cy"


def test_a_blank_name_on_the_profile_is_refused_and_nothing_is_saved(world):
    user = world.participant
    before = user.display_name
    response = world.client("participant").post(
        "/accounts/profile/",
        profile_data(user, display_name="   ", access_needs="Changed", preferred_language="cy"),
    )
    assert response.status_code == 400
    assert "Please enter a name to show." in field_error(html(response), "display_name")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert (user.display_name, user.access_needs, user.preferred_language) == (
        before,
        "Large print " + factories.XSS,
        "en",
    )


def test_a_script_in_a_display_name_is_shown_as_text_everywhere(world):
    user = world.participant
    browser = world.client("participant")
    name = factories.XSS + " Ŵŷâ"
    browser.post("/accounts/profile/", profile_data(user, display_name=name))
    user.refresh_from_db()
    assert user.display_name == name

    pages = {
        "profile": browser.get("/accounts/profile/"),
        "members, as a participant": browser.get(f"/p/{world.project.slug}/members/"),
        "members, as a facilitator": world.client("facilitator").get(f"/p/{world.project.slug}/members/"),
    }
    for where, page in pages.items():
        assert page.status_code == 200, where
        assert factories.XSS not in html(page), where
        assert escape(name) in html(page), where


# --- 8. Download my data --------------------------------------------------------------------------


def test_a_person_downloads_everything_copro_holds_about_them(world):
    user = world.participant
    propose_scope_line(user, world.project, "Bus times on the library noticeboard")
    response = world.client("participant").get("/accounts/profile/my-data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)

    account = data["account"]
    assert account["email"] == "participant@example.org"
    assert account["display_name"] == user.display_name
    assert account["access_needs"] == user.access_needs
    assert account["preferred_language"] == "en"
    assert data["email_addresses"] == [{"email": "participant@example.org", "verified": True, "primary": True}]
    memberships = {(m["project"], m["role"]) for m in data["projects"]["project_memberships"]}
    assert memberships == {
        (world.project.title, "participant"),
        (world.private_project.title, "participant"),
    }
    [entry] = data["activity"]
    assert entry["verb"] == "projects.scope_proposed"
    assert entry["project"] == world.project.title
    assert user.display_name in entry["what"]

    # Only their own data: nobody else's address is in the file.
    for other in ("facilitator", "expert", "observer", "outsider"):
        assert getattr(world, other).email not in response.content.decode()


def test_staff_find_their_organisation_and_two_factor_set_up_in_their_data(world):
    data = world.client("facilitator").get("/accounts/profile/my-data.json").json()
    assert [o["role"] for o in data["projects"]["organisations"]] == ["staff"]
    assert [a["type"] for a in data["two_factor"]] == ["totp"]
    assert "secret" not in json.dumps(data["two_factor"])


def test_pages_with_personal_details_are_not_kept_in_a_shared_computers_cache(world):
    browser = world.client("participant")
    for path in ("/accounts/profile/", "/accounts/profile/my-data.json", "/accounts/profile/delete/"):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path


def test_download_my_data_asks_an_anonymous_visitor_to_sign_in(db):
    response = CsrfClient().get("/accounts/profile/my-data.json")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


# --- 9. Delete my account -------------------------------------------------------------------------


def test_deleting_an_account_needs_the_right_password_and_the_confirm_box(world):
    user = world.participant
    browser = world.client("participant")
    assert browser.get("/accounts/profile/delete/").status_code == 200

    response = browser.post("/accounts/profile/delete/", {"password": "wrong", "confirm": "on"})
    assert response.status_code == 400
    assert "That password is not right." in field_error(html(response), "password")
    response = browser.post("/accounts/profile/delete/", {"password": factories.PASSWORD})
    assert response.status_code == 400
    assert field_error(html(response), "confirm")

    user.refresh_from_db()
    assert user.erased_at is None
    assert user.email == "participant@example.org"
    assert EmailAddress.objects.filter(user=user).exists()
    assert is_signed_in(browser)


def test_a_deleted_account_is_erased_but_its_contributions_stay_as_former_participant(world):
    user = world.participant
    user.display_name = "Gwenllian Ŵyn-Jones"
    user.phone = "029 2000 0000"
    user.save()
    give_totp(user)  # anyone may choose two-factor; it goes with the account
    propose_scope_line(user, world.project, "Bus times on the library noticeboard")
    entries_before = ActivityEntry.objects.filter(actor=user).count()
    browser = world.client("participant")
    other_device = client_for(user)

    response = browser.post("/accounts/profile/delete/", {"password": factories.PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not is_signed_in(browser)
    assert not is_signed_in(other_device)  # signed out everywhere

    user.refresh_from_db()
    assert user.erased_at is not None
    assert "participant@example.org" not in user.email
    assert user.display_name == ""
    assert user.access_needs == ""
    assert user.phone == ""
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert user.public_name == "former participant"

    # What they contributed stays.
    assert Membership.objects.filter(user=user).count() == 2
    assert ActivityEntry.objects.filter(actor=user, verb="projects.scope_proposed").count() == 1
    assert ActivityEntry.objects.filter(actor=user).count() == entries_before + 1  # + erased
    facilitator = world.client("facilitator")
    for path in (f"/p/{world.project.slug}/activity/", f"/p/{world.project.slug}/members/"):
        page = html(facilitator.get(path))
        assert "former participant" in page, path
        assert "Gwenllian" not in page, path
        assert "participant@example.org" not in page, path

    # The tamper-evident audit chain is intact: erasing changed no entry.
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()

    assert_sign_in_refused("participant@example.org", factories.PASSWORD)


def tables_holding(text: str) -> list[str]:
    """Every text column, in every table, that contains `text`."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            is_text = isinstance(field, (models.CharField, models.TextField, models.JSONField))
            lookup = {f"{field.name}__icontains": text}
            if is_text and model._base_manager.filter(**lookup).exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_after_deleting_an_account_the_email_address_is_nowhere_in_the_database(
    transactional_db, world, outbox, run_tasks
):
    # transactional_db: the task worker closes the connection, which on PostgreSQL would end the
    # test's transaction (see the report on tests/conftest.py's run_tasks).
    facilitator = world.facilitator
    project_services.invitation_create(
        user=facilitator, project=world.project, email="newcomer@example.org", role="participant"
    )
    run_tasks()
    accept_path = link_in(outbox.to("newcomer@example.org")[0])
    token = accept_path.rstrip("/").rsplit("/", 1)[-1]
    browser = Browser()
    sign_up(browser, "newcomer@example.org")
    browser.post(link_in(outbox.to("newcomer@example.org")[-1]))
    newcomer = User.objects.get(email="newcomer@example.org")
    project_services.invitation_accept(user=newcomer, token=token)
    assert tables_holding("newcomer@example.org")

    response = browser.post("/accounts/profile/delete/", {"password": NEW_PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert tables_holding("newcomer@example.org") == []


def test_after_deleting_an_account_the_address_can_be_used_to_start_again(world, outbox):
    browser = world.client("participant")
    browser.post("/accounts/profile/delete/", {"password": factories.PASSWORD, "confirm": "on"})
    response = sign_up(Browser(), "participant@example.org")
    assert response.status_code == 302
    fresh = User.objects.get(email="participant@example.org")
    assert fresh.pk != world.participant.pk
    assert not Membership.objects.filter(user=fresh).exists()
    assert len(outbox.to("participant@example.org")) == 1


def test_staff_who_delete_their_account_lose_their_organisation_role(world):
    facilitator = world.facilitator
    response = world.client("facilitator").post(
        "/accounts/profile/delete/", {"password": factories.PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    assert not facilitator.organisation_memberships.exists()
    assert Membership.objects.filter(user=facilitator, role="facilitator").count() == 2


# --- 10. Language ---------------------------------------------------------------------------------


def test_a_person_who_prefers_welsh_gets_welsh_pages_after_signing_in(world):
    user = world.participant
    user.preferred_language = "cy"
    user.save()
    browser = world.client("participant")
    assert settings.LANGUAGE_COOKIE_NAME not in browser.cookies
    assert lang_of(browser.get("/")) == "cy"
    assert lang_of(browser.get(f"/p/{world.project.slug}/")) == "cy"
    assert lang_of(CsrfClient().get("/")) == "en"  # an anonymous visitor is not affected


def test_a_language_chosen_in_this_browser_wins_over_the_saved_preference(world):
    user = world.participant
    user.preferred_language = "cy"
    user.save()
    browser = world.client("participant")
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert lang_of(browser.get("/")) == "en"


def test_the_language_switcher_sets_the_cookie_and_saves_the_preference(world):
    user = world.participant
    browser = world.client("participant")
    next_path = f"/p/{world.project.slug}/"
    response = browser.post("/language/", {"language": "cy", "next": next_path})
    assert response.status_code == 302
    assert response["Location"] == next_path
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    user.refresh_from_db()
    assert user.preferred_language == "cy"
    assert lang_of(browser.get(next_path)) == "cy"

    response = browser.post("/language/", {"language": "en", "next": next_path})
    user.refresh_from_db()
    assert user.preferred_language == "en"
    assert lang_of(browser.get(next_path)) == "en"


def test_the_language_switcher_works_for_anonymous_visitors(db):
    browser = CsrfClient()
    response = browser.post("/language/", {"language": "cy", "next": "/"})
    assert response.status_code == 302
    assert lang_of(browser.get("/")) == "cy"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_the_language_switcher_never_sends_people_to_another_site(db, next_url):
    response = CsrfClient().post("/language/", {"language": "cy", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_language_switcher_ignores_a_language_copro_does_not_have(world):
    browser = world.client("participant")
    response = browser.post("/language/", {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    world.participant.refresh_from_db()
    assert world.participant.preferred_language == "en"


def test_another_site_cannot_switch_the_language_for_someone(world):
    # A cross-site form post carries the cookies but cannot know the CSRF token.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.participant)
    browser.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    response = browser.post("/language/", {"language": "cy", "next": "/"})
    assert response.status_code == 403
    world.participant.refresh_from_db()
    assert world.participant.preferred_language == "en"


def test_a_site_administrator_must_set_up_two_factor_authentication_too(db):
    admin = factories.UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)
    client = client_for(admin)
    assert client.get("/admin/").status_code == 302
    give_totp(admin)
    assert client.get("/admin/").status_code == 200
