"""Project updates: subscribing (double opt-in), publishing, and sending each update exactly once.

Everything here goes through real SMTP (aiosmtpd on localhost), the real database task worker and the
real pages and API with CSRF enforced. Nothing is mocked.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from copro.core.components import registry
from copro.core.email import send_now
from copro.core.models import ActivityEntry, Visibility
from copro.core.permissions import Role
from copro.updates import services, tasks
from copro.updates.models import Delivery, Subscription, Update
from tests import factories
from tests.conftest import PERSONAS, Outbox, client_for

# These tests commit for real (no wrapping test transaction): each Delivery claim is committed before its
# message goes out, exactly as a production worker does it, so "exactly once" is shown on real commits.
pytestmark = pytest.mark.django_db(transaction=True)

XSS = factories.XSS
MEMBERS = ["facilitator", "participant", "expert", "observer"]
NOT_FACILITATORS = ["participant", "expert", "observer", "outsider", "anonymous"]


# --- Helpers ---------------------------------------------------------------------------------------


def links(message: Any, contains: str) -> list[str]:
    """The paths of the links in a message's plain-text part that contain `contains`."""
    urls = re.findall(r"https?://\S+", Outbox.text(message))
    return [urlsplit(url).path for url in urls if contains in url]


def html_part(message: Any) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part else ""


def unsubscribe_header_url(message: Any) -> str:
    """The address in `List-Unsubscribe: <https://...>`."""
    return str(message["List-Unsubscribe"]).strip().removeprefix("<").removesuffix(">")


def recipients(messages: list[Any]) -> Counter[str]:
    return Counter(str(m["To"]) for m in messages)


def updates_to(outbox: Outbox, address: str) -> list[Any]:
    """Update emails (not confirmation emails) that reached an address."""
    return [m for m in outbox.to(address) if m["List-Unsubscribe"]]


def confirmed_subscribers(project: Any, count: int, prefix: str = "reader") -> list[Subscription]:
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(project=project, email=f"{prefix}{i}@example.org", confirmed_at=now) for i in range(count)
    )
    return list(Subscription.objects.filter(project=project, email__startswith=prefix).order_by("id"))


def api_items(response: Any) -> list[dict[str, Any]]:
    """A list endpoint's items, whether or not the API paginates it."""
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def without_csrf_tokens(html: str) -> str:
    """Each page carries a freshly masked CSRF token; everything else must be identical."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def publish_page(world: Any, **data: Any) -> Any:
    form = {"title": "News", "body": "Some news", "visibility": "public", **data}
    return world.client("facilitator").post(f"/p/{world.project.slug}/updates/", form)


def publish_api(client: Any, slug: str, **data: Any) -> Any:
    payload = {"title": "News", "body": "Some news", "visibility": "public", **data}
    return client.post(f"/api/projects/{slug}/updates/", payload, content_type="application/json")


# --- A second SMTP server that can misbehave -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    """A real SMTP server that refuses some recipients, or goes down after accepting n messages
    (it stops listening, so the next connection is refused, as when a mail relay crashes)."""

    def __init__(self, port: int, refuse: set[str], go_down_after: int | None) -> None:
        self.port = port
        self.refuse = refuse
        self.go_down_after = go_down_after
        self.messages: list[Any] = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            if self.go_down_after is not None and len(self.messages) >= self.go_down_after:
                self.controller.server.close()  # stop listening; this message is still accepted
        return "250 Message accepted for delivery"

    def stop(self) -> None:
        if self.controller._thread is not None:
            self.controller.stop()


@pytest.fixture
def mail_server(settings: Any) -> Iterator[Callable[..., MailServer]]:
    """Start a misbehaving SMTP server and point Django's email settings at it."""
    servers: list[MailServer] = []

    def start(
        *, port: int | None = None, refuse: set[str] | None = None, go_down_after: int | None = None
    ) -> MailServer:
        server = MailServer(port or free_port(), refuse or set(), go_down_after)
        server.controller.start()
        servers.append(server)
        settings.EMAIL_PORT = server.port
        return server

    yield start
    for server in servers:
        server.stop()


# --- 1. Subscribe, confirm by pressing a button, receive updates ----------------------------------


def test_a_visitor_subscribes_confirms_with_a_button_and_receives_published_updates_with_one_click_unsubscribe(
    world, outbox, run_tasks
):
    visitor = world.client("anonymous")
    response = visitor.post(f"/p/{world.project.slug}/updates/subscribe/", {"email": " Reader@Example.org "})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()

    run_tasks()
    [confirmation] = outbox.to("reader@example.org")
    assert "&quot;" not in confirmation["Subject"] and "&lt;" not in confirmation["Subject"]
    assert world.project.title in confirmation["Subject"]  # plain text, not HTML-escaped
    [confirm_path] = links(confirmation, "/updates/confirm/")

    # Opening the link (or a mail scanner fetching it) only shows a button.
    page = visitor.get(confirm_path)
    assert page.status_code == 200
    assert '<button type="submit">Yes, send me updates</button>' in page.content.decode()
    subscription = Subscription.objects.get(project=world.project, email="reader@example.org")
    assert subscription.confirmed_at is None

    confirmed = visitor.post(confirm_path, {})
    assert confirmed.status_code == 200
    assert "You are subscribed" in confirmed.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active

    published = publish_page(
        world,
        title="Road works & the new crossing",
        body="<p>We <strong>fixed</strong> the crossing & the lights.</p><p>Thank you.</p>",
    )
    assert published.status_code == 302
    run_tasks()

    [news] = updates_to(outbox, "reader@example.org")
    assert news["Subject"].strip() == f"{world.project.title}: Road works & the new crossing"
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = unsubscribe_header_url(news)
    assert urlsplit(unsubscribe_url).path == f"/updates/unsubscribe/{subscription.token}/"
    text, html = Outbox.text(news).replace("\r\n", "\n"), html_part(news)
    assert "We fixed the crossing & the lights.\n\nThank you." in text  # paragraphs kept, nothing escaped
    assert "&amp;" not in text and "<strong>" not in text
    assert "<strong>fixed</strong>" in html
    assert unsubscribe_url in text and unsubscribe_url.replace("&", "&amp;") in html

    # The unsubscribe link in the email works: a page with a button, then the button.
    [unsubscribe_path] = links(news, "/updates/unsubscribe/")
    assert "Unsubscribe</button>" in visitor.get(unsubscribe_path).content.decode()
    assert visitor.post(unsubscribe_path, {}).status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


# --- 2. One-click unsubscribe (RFC 8058) -------------------------------------------------------------


def test_a_mail_program_unsubscribes_in_one_click_without_a_csrf_cookie_and_resubscribing_needs_a_new_confirmation(
    world, outbox, run_tasks
):
    subscription = services.subscribe(project=world.project, email="leaver@example.org", language="en")
    services.subscription_confirm(subscription=subscription)
    services.update_publish(user=world.facilitator, project=world.project, title="First", body="One")
    run_tasks()
    [first] = updates_to(outbox, "leaver@example.org")
    [old_confirmation] = [m for m in outbox.to("leaver@example.org") if not m["List-Unsubscribe"]]
    [old_confirm_path] = links(old_confirmation, "/updates/confirm/")

    # What a mail program does: POST the header's address, no cookies, no CSRF token.
    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(
        urlsplit(unsubscribe_header_url(first)).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None

    services.update_publish(user=world.facilitator, project=world.project, title="Second", body="Two")
    run_tasks()
    assert [m["Subject"] for m in updates_to(outbox, "leaver@example.org")] == [first["Subject"]]

    # A link from an old email cannot bring them back: only a new, confirmed request can.
    visitor = world.client("anonymous")
    stale = visitor.post(old_confirm_path, {})
    assert stale.status_code == 200
    assert "this link no longer works" in stale.content.decode()
    subscription.refresh_from_db()
    assert not subscription.is_active

    visitor.post(f"/p/{world.project.slug}/updates/subscribe/", {"email": "leaver@example.org"})
    subscription.refresh_from_db()
    assert not subscription.is_active  # asking again is not enough
    services.update_publish(user=world.facilitator, project=world.project, title="Third", body="Three")
    run_tasks()
    assert len(updates_to(outbox, "leaver@example.org")) == 1

    confirmations = [m for m in outbox.to("leaver@example.org") if not m["List-Unsubscribe"]]
    assert len(confirmations) == 2
    [new_confirm_path] = links(confirmations[-1], "/updates/confirm/")
    assert new_confirm_path != old_confirm_path  # a new token: old emails' links no longer work
    assert visitor.get(old_confirm_path).status_code == 404
    assert visitor.post(new_confirm_path, {}).status_code == 200
    services.update_publish(user=world.facilitator, project=world.project, title="Fourth", body="Four")
    run_tasks()
    assert [m["Subject"].split(": ")[-1].strip() for m in updates_to(outbox, "leaver@example.org")] == [
        "First",
        "Fourth",
    ]


# --- 3. No enumeration, no duplicates --------------------------------------------------------------


def test_subscribing_an_address_that_is_already_confirmed_looks_exactly_like_a_new_one_and_sends_nothing(
    world, outbox, run_tasks
):
    known = Subscription.objects.create(project=world.project, email="known@example.org")
    services.subscription_confirm(subscription=known)
    visitor = world.client("anonymous")
    url = f"/p/{world.project.slug}/updates/subscribe/"

    new_page = visitor.post(url, {"email": "new@example.org"})
    known_page = visitor.post(url, {"email": "known@example.org"})
    assert new_page.status_code == known_page.status_code == 200
    assert without_csrf_tokens(new_page.content.decode()) == without_csrf_tokens(known_page.content.decode())

    api = f"/api/projects/{world.project.slug}/subscriptions/"
    new_api = visitor.post(api, {"email": "new2@example.org"}, content_type="application/json")
    known_api = visitor.post(api, {"email": "known@example.org"}, content_type="application/json")
    assert new_api.status_code == known_api.status_code == 202
    assert new_api.json() == known_api.json()

    run_tasks()
    assert len(outbox.to("new@example.org")) == 1
    assert len(outbox.to("new2@example.org")) == 1
    assert outbox.to("known@example.org") == []


def test_a_double_submitted_subscription_creates_one_subscription_and_sends_one_confirmation(world, outbox, run_tasks):
    visitor = world.client("anonymous")
    url = f"/p/{world.project.slug}/updates/subscribe/"
    first = visitor.post(url, {"email": "twice@example.org"})
    second = visitor.post(url, {"email": "TWICE@example.org "})
    assert first.status_code == second.status_code == 200
    assert Subscription.objects.filter(project=world.project, email="twice@example.org").count() == 1
    run_tasks()
    assert len(outbox.to("twice@example.org")) == 1


def test_two_requests_subscribing_the_same_address_at_the_same_moment_create_one_subscription(outbox, run_tasks):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's in-memory test database cannot take writes from several threads at once; "
            "the race is shown on PostgreSQL (DATABASE_URL)."
        )
    project = factories.ProjectFactory()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def request() -> None:
        try:
            start.wait()
            services.subscribe(project=project, email="racer@example.org", language="en")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Subscription.objects.filter(project=project, email="racer@example.org").count() == 1
    run_tasks()
    assert len(outbox.to("racer@example.org")) == 1


# --- 4. Exactly once, across restarts and failures -------------------------------------------------


def test_a_worker_restarted_mid_send_skips_everyone_it_had_claimed_and_sends_everyone_else_once(
    world, outbox, run_tasks
):
    subscribers = confirmed_subscribers(world.project, 10)
    update = services.update_publish(user=world.facilitator, project=world.project, title="Once", body="Only once")
    # The first worker claimed four subscribers and sent to three of them before it was killed: the
    # fourth claim's fate is unknown (it may have reached the mail server), so it is never resent.
    for subscription in subscribers[:3]:
        Delivery.objects.create(update=update, subscription=subscription, status=Delivery.Status.SENT)
        send_now(to=subscription.email, subject="Once", text="Only once", html="<p>Only once</p>")
    Delivery.objects.create(update=update, subscription=subscribers[3], status=Delivery.Status.SENDING)

    run_tasks()  # the worker comes back and runs the queued send

    outbox.refresh()
    expected = {s.email: 1 for s in subscribers if s != subscribers[3]}
    assert recipients(outbox) == expected
    statuses = Counter(Delivery.objects.filter(update=update).values_list("status", flat=True))
    assert statuses == {Delivery.Status.SENT: 9, Delivery.Status.SENDING: 1}

    tasks.send_update.enqueue(update_id=update.pk)  # and sending again (by mistake) sends nobody anything
    run_tasks()
    assert recipients(outbox.refresh()) == expected


def test_a_send_cut_short_by_a_mail_server_outage_is_retried_and_reaches_each_remaining_subscriber_once(
    world, mail_server, run_tasks
):
    subscribers = confirmed_subscribers(world.project, 10)
    relay = mail_server(go_down_after=4)
    update = services.update_publish(user=world.facilitator, project=world.project, title="Outage", body="Text")

    run_tasks()

    assert recipients(relay.messages) == {s.email: 1 for s in subscribers[:4]}
    # Nobody was marked failed for the outage: the claim on the fifth subscriber was released.
    assert Counter(Delivery.objects.filter(update=update).values_list("status", flat=True)) == {"sent": 4}
    failed_run = DBTaskResult.objects.get(status="FAILED")
    assert failed_run.exception_class_path.endswith("MailServerUnavailable")
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now()  # in 5 minutes, not in a tight loop
    assert retry.args_kwargs["kwargs"] == {"update_id": update.pk, "attempt": 2}

    # The relay is back on the same port, and five minutes have passed.
    relay.stop()
    back = mail_server(port=relay.port)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_tasks()

    assert recipients(relay.messages + back.messages) == {s.email: 1 for s in subscribers}
    assert Delivery.objects.filter(update=update, status="sent").count() == 10


def test_an_address_the_mail_server_refuses_is_recorded_as_failed_and_the_others_still_get_the_update(
    world, mail_server, run_tasks
):
    confirmed_subscribers(world.project, 2, prefix="fine")
    confirmed_subscribers(world.project, 1, prefix="bounce")
    confirmed_subscribers(world.project, 2, prefix="also-fine")
    relay = mail_server(refuse={"bounce0@example.org"})
    update = services.update_publish(user=world.facilitator, project=world.project, title="Hello", body="Text")

    run_tasks()

    failed = Delivery.objects.get(update=update, subscription__email="bounce0@example.org")
    assert failed.status == Delivery.Status.FAILED
    assert "550" in failed.error and failed.sent_at is None
    assert Delivery.objects.filter(update=update, status=Delivery.Status.SENT).count() == 4
    assert set(recipients(relay.messages)) == {
        "fine0@example.org",
        "fine1@example.org",
        "also-fine0@example.org",
        "also-fine1@example.org",
    }


def test_two_workers_sending_the_same_update_at_once_send_each_subscriber_one_copy(outbox):
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's in-memory test database cannot take writes from several threads at once; "
            "two workers racing is shown on PostgreSQL (DATABASE_URL)."
        )
    facilitator = factories.UserFactory()
    project = factories.ProjectFactory(created_by=facilitator)
    factories.MembershipFactory(project=project, user=facilitator, role="facilitator")
    subscribers = confirmed_subscribers(project, 40)
    update = services.update_publish(user=facilitator, project=project, title="Race", body="Text")
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            tasks.send_update.call(update_id=update.pk)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert recipients(outbox.refresh()) == {s.email: 1 for s in subscribers}


# --- 5. Members-only updates --------------------------------------------------------------------


def test_members_only_updates_are_not_emailed_and_only_members_can_read_them(world, outbox, run_tasks):
    confirmed_subscribers(world.project, 1)
    services.update_publish(user=world.facilitator, project=world.project, title="Open news", body="For all")
    secret = services.update_publish(
        user=world.facilitator,
        project=world.project,
        title="Draft budget for members",
        body="Only for members",
        visibility=Visibility.MEMBERS,
    )
    run_tasks()
    assert [m["Subject"].split(": ")[-1].strip() for m in outbox.to("reader0@example.org")] == ["Open news"]
    assert not Delivery.objects.filter(update=secret).exists()

    slug = world.project.slug
    for persona in PERSONAS:
        client = world.client(persona)
        listing = client.get(f"/p/{slug}/updates/").content.decode()
        detail = client.get(f"/p/{slug}/updates/{secret.pk}/")
        api_titles = [u["title"] for u in api_items(client.get(f"/api/projects/{slug}/updates/"))]
        assert "Open news" in listing and "Open news" in api_titles, persona
        if persona in MEMBERS:
            assert "Draft budget for members" in listing, persona
            assert detail.status_code == 200, persona
            assert "Draft budget for members" in api_titles, persona
        else:
            assert "Draft budget for members" not in listing, persona
            assert detail.status_code == 404, persona
            assert "Draft budget for members" not in api_titles, persona


# --- 6. Publishing -----------------------------------------------------------------------------------

HOSTILE_BODY = (
    '<p onclick="steal()">Hello <strong>everyone</strong></p><script>alert(1)</script>'
    '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">link</a>'
)


def assert_sanitised(html: str) -> None:
    for bad in ("<script", "onclick", "onerror", "javascript:", "<img"):
        assert bad not in html


def test_a_facilitator_publishes_on_the_page_and_the_body_is_sanitised(world):
    response = publish_page(world, title="Page news", body=HOSTILE_BODY)
    assert response.status_code == 302
    update = Update.objects.get(title="Page news")
    assert_sanitised(update.body)
    assert "<strong>everyone</strong>" in update.body
    for persona in ("anonymous", "facilitator"):
        page = world.client(persona).get(f"/p/{world.project.slug}/updates/{update.pk}/").content.decode()
        assert_sanitised(page.replace(XSS.replace("<", "&lt;").replace(">", "&gt;"), ""))
        assert XSS not in page
        assert "<strong>everyone</strong>" in page


def test_a_facilitator_publishes_through_the_api_with_the_csrf_header_and_the_body_is_sanitised(world):
    response = publish_api(world.client("facilitator"), world.project.slug, title="API news", body=HOSTILE_BODY)
    assert response.status_code == 201
    body = response.json()["body"]
    assert_sanitised(body)
    assert "<strong>everyone</strong>" in body
    assert Update.objects.get(title="API news").body == body


def test_the_api_refuses_a_signed_in_write_without_the_csrf_header(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.facilitator)
    response = client.post(
        f"/api/projects/{world.project.slug}/updates/", {"title": "T", "body": "B"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Update.objects.exists()


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "Some text", "This field is required."),
        ("A title", "   ", "This field is required."),
        ("A title", "<script>alert(1)</script>", "An update needs a title and some text."),
        ("A title", "x" * 20_001, "Ensure this value has at most 20000 characters (it has 20001)."),
    ],
    ids=["no title", "blank body", "body that is only a script", "body over 20,000 characters"],
)
def test_an_update_without_a_title_or_text_or_with_too_much_text_is_refused_with_a_clear_message(
    world, title, body, message
):
    page = publish_page(world, title=title, body=body)
    assert page.status_code == 400
    assert message in page.content.decode()

    api = publish_api(world.client("facilitator"), world.project.slug, title=title, body=body)
    assert api.status_code == 400
    errors = api.json()
    assert errors and all(isinstance(m, str) and m for msgs in errors.values() for m in msgs)
    assert not Update.objects.exists()
    assert not ActivityEntry.objects.exists()


def test_the_service_itself_refuses_oversize_text_that_bypasses_the_form(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at most 20000"):
        services.update_publish(user=world.facilitator, project=world.project, title="Long", body="x" * 20_001)
    with pytest.raises(ValidationError, match="at most 200"):
        services.update_publish(user=world.facilitator, project=world.project, title="t" * 201, body="Text")
    assert not Update.objects.exists()


def test_a_double_submitted_update_form_is_refused_with_409_and_sent_once(world, outbox, run_tasks):
    confirmed_subscribers(world.project, 3)
    token = str(uuid.uuid4())
    first = publish_page(world, title="Just once", body="Text", form_token=token)
    second = publish_page(world, title="Just once", body="Text", form_token=token)
    assert first.status_code == 302
    assert second.status_code == 409
    assert "already been sent" in second.content.decode()
    assert Update.objects.filter(title="Just once").count() == 1
    run_tasks()
    assert recipients(outbox.refresh()) == {f"reader{i}@example.org": 1 for i in range(3)}


@pytest.mark.parametrize("persona", NOT_FACILITATORS)
def test_only_facilitators_may_publish_on_a_public_project(world, persona):
    client = world.client(persona)
    assert publish_api(client, world.project.slug).status_code == 403
    response = client.post(f"/p/{world.project.slug}/updates/", {"title": "T", "body": "B", "visibility": "public"})
    assert response.status_code == 403
    assert not Update.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "anonymous"])
def test_people_outside_a_private_project_get_404_when_publishing_as_if_it_did_not_exist(world, persona):
    client = world.client(persona)
    slug = world.private_project.slug
    assert publish_api(client, slug).status_code == 404
    response = client.post(f"/p/{slug}/updates/", {"title": "T", "body": "B", "visibility": "public"})
    assert response.status_code == 404
    assert client.get(f"/p/{slug}/updates/").status_code == 404
    assert not Update.objects.exists()


# --- 7. Hostile text from factories ------------------------------------------------------------------


def test_hostile_update_text_is_escaped_or_sanitised_on_pages_and_in_emails(world, outbox, run_tasks):
    update = factories.UpdateFactory(project=world.project, author=world.facilitator)
    escaped_title = update.title.replace("<", "&lt;").replace(">", "&gt;")
    for persona in ("anonymous", "participant"):
        client = world.client(persona)
        for path in (f"/p/{world.project.slug}/updates/", f"/p/{world.project.slug}/updates/{update.pk}/"):
            page = client.get(path).content.decode()
            assert XSS not in page, path
            assert escaped_title in page, path
            assert "<b>bold</b>" in page, path  # harmless formatting survives

    confirmed_subscribers(world.project, 1)
    tasks.send_update.enqueue(update_id=update.pk)
    run_tasks()
    [message] = outbox.to("reader0@example.org")
    assert XSS not in html_part(message)
    text = Outbox.text(message)
    assert "&lt;" not in text and "&amp;" not in text  # the text part is text, not escaped HTML
    assert "Ŵŷâ “quotes” & bold" in text


# --- 8. Exports ------------------------------------------------------------------------------------


def test_the_updates_export_lists_public_updates_only_and_neutralises_spreadsheet_formulas(world):
    world.facilitator.display_name = "@facilitator"
    world.facilitator.save()
    services.update_publish(
        user=world.facilitator,
        project=world.project,
        title='=HYPERLINK("http://evil.example","click")',
        body="+1+2 & more",
    )
    services.update_publish(user=world.facilitator, project=world.project, title="-10 degrees", body="Cold")
    services.update_publish(
        user=world.facilitator,
        project=world.project,
        title="Members only plan",
        body="Secret",
        visibility=Visibility.MEMBERS,
    )
    client = world.client("anonymous")

    response = client.get(f"/p/{world.project.slug}/export/updates.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["title"] for row in rows) == ["'-10 degrees", '\'=HYPERLINK("http://evil.example","click")']
    formula = next(row for row in rows if "HYPERLINK" in row["title"])
    assert formula["text"] == "'+1+2 & more"
    assert {row["author"] for row in rows} == {"'@facilitator"}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())

    data = json.loads(client.get(f"/p/{world.project.slug}/export/updates.json").content)
    assert sorted(row["title"] for row in data) == ["-10 degrees", '=HYPERLINK("http://evil.example","click")']
    assert "Members only plan" not in json.dumps(data)


# --- 9. Dashboard -----------------------------------------------------------------------------------


def test_the_dashboard_counts_only_confirmed_subscribers_who_have_not_unsubscribed(world):
    now = timezone.now()
    Subscription.objects.create(project=world.project, email="pending@example.org")
    Subscription.objects.create(project=world.project, email="active1@example.org", confirmed_at=now)
    Subscription.objects.create(project=world.project, email="active2@example.org", confirmed_at=now)
    Subscription.objects.create(project=world.project, email="gone@example.org", confirmed_at=now, unsubscribed_at=now)
    Subscription.objects.create(project=world.private_project, email="elsewhere@example.org", confirmed_at=now)
    services.update_publish(user=world.facilitator, project=world.project, title="One", body="Text")

    counts = {str(c.label): c.value for c in registry.get("updates").dashboard(world.project, Role.PARTICIPANT)}
    assert counts == {"Updates published": 1, "People subscribed to updates": 2}


# --- 10. Scale --------------------------------------------------------------------------------------


def test_an_update_reaches_two_thousand_subscribers_once_each(world, outbox, run_tasks):
    subscribers = confirmed_subscribers(world.project, 2_000)
    update = services.update_publish(user=world.facilitator, project=world.project, title="Big news", body="Text")
    started = time.monotonic()
    run_tasks()
    elapsed = time.monotonic() - started
    per_address = recipients(outbox.refresh())
    assert len(outbox) == 2_000
    assert per_address == {s.email: 1 for s in subscribers}
    assert Delivery.objects.filter(update=update, status=Delivery.Status.SENT).count() == 2_000
    assert elapsed < 120, f"sending 2,000 took {elapsed:.0f} s"


def test_a_private_projects_updates_reach_only_subscribers_who_are_members(world, outbox, run_tasks):
    now = timezone.now()
    Subscription.objects.create(project=world.project, email="stranger@elsewhere.example", confirmed_at=now)
    Subscription.objects.create(project=world.project, email=world.participant.email, confirmed_at=now)
    world.project.visibility = "private"
    world.project.save()
    services.update_publish(user=world.facilitator, project=world.project, title="Confidential plan", body="Text")
    run_tasks()
    assert outbox.to("stranger@elsewhere.example") == []
    assert len(outbox.to(world.participant.email)) == 1


def test_plain_text_with_an_ampersand_is_shown_once_escaped(world):
    update = services.update_publish(
        user=world.facilitator, project=world.project, title="Menu", body="Fish & chips on Friday"
    )
    html = client_for(None).get(f"/p/{world.project.slug}/updates/{update.pk}/").content.decode()
    assert "Fish &amp; chips on Friday" in html and "&amp;amp;" not in html


# --- 11. Consultation subscriptions ---------------------------------------------------------------


def make_consultation(project: Any, *, title: str = "Cycle route on Ŵŷâ Road", status: str = "open") -> Any:
    from copro.consultations.models import Consultation

    return Consultation.objects.create(
        project=project,
        title=title,
        how_used="The council's transport team reads every response.",
        status=status,
        created_by=project.created_by,
    )


def subscriber(
    project: Any,
    address: str,
    *,
    consultation: Any = None,
    frequency: str = "immediate",
    confirmed: timezone.timedelta = timezone.timedelta(days=1),
) -> Subscription:
    """A confirmed subscription, confirmed `confirmed` ago."""
    return Subscription.objects.create(
        project=project,
        consultation=consultation,
        email=address,
        frequency=frequency,
        confirmed_at=timezone.now() - confirmed,
    )


def subjects(messages: list[Any]) -> list[str]:
    return [" ".join(str(m["Subject"]).split()) for m in messages]


def test_a_visitor_subscribes_to_one_consultation_from_a_link_and_confirms(world, outbox, run_tasks):
    route = make_consultation(world.project)
    visitor = world.client("anonymous")
    url = f"/p/{world.project.slug}/updates/subscribe/"

    page = visitor.get(f"{url}?consultation={route.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cycle route on Ŵŷâ Road" in html
    assert f'name="consultation" value="{route.pk}"' in html
    assert 'type="radio" name="frequency" value="immediate"' in html

    response = visitor.post(url, {"email": "Cyclist@Example.org", "frequency": "immediate", "consultation": route.pk})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    subscription = Subscription.objects.get(email="cyclist@example.org")
    assert (subscription.project, subscription.consultation, subscription.frequency) == (
        world.project,
        route,
        "immediate",
    )

    run_tasks()
    [confirmation] = outbox.to("cyclist@example.org")
    text = Outbox.text(confirmation)
    assert "“Cycle route on Ŵŷâ Road”" in text and "one email for each update" in text
    [confirm_path] = links(confirmation, "/updates/confirm/")
    confirmed = visitor.post(confirm_path, {})
    assert "You are subscribed" in confirmed.content.decode()
    assert "Cycle route on Ŵŷâ Road" in confirmed.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active

    # The same address may also follow the whole project: a separate subscription, confirmed separately.
    visitor.post(url, {"email": "cyclist@example.org", "frequency": "weekly"})
    project_wide = Subscription.objects.get(email="cyclist@example.org", consultation__isnull=True)
    assert project_wide.frequency == "weekly" and not project_wide.is_active
    run_tasks()
    assert "one email a week" in Outbox.text(outbox.to("cyclist@example.org")[-1])


def test_a_subscription_to_a_consultation_gets_only_that_consultations_updates_and_a_project_one_gets_all(
    world, outbox, run_tasks
):
    route, parks = make_consultation(world.project), make_consultation(world.project, title="Parks")
    subscriber(world.project, "route@example.org", consultation=route)
    subscriber(world.project, "parks@example.org", consultation=parks)
    subscriber(world.project, "everything@example.org")
    for title, about in (("Route news", route), ("Parks news", parks), ("General news", None)):
        services.update_publish(
            user=world.facilitator, project=world.project, title=title, body="Text", consultation=about
        )
    run_tasks()

    def titles(address: str) -> list[str]:
        return sorted(s.split(": ")[-1] for s in subjects(updates_to(outbox, address)))

    assert titles("route@example.org") == ["Route news"]
    assert titles("parks@example.org") == ["Parks news"]
    assert titles("everything@example.org") == ["General news", "Parks news", "Route news"]
    [route_news] = updates_to(outbox, "route@example.org")
    assert "About the consultation “Cycle route on Ŵŷâ Road”" in Outbox.text(route_news)
    # Every email also leads to the page where the reader changes how often they get them.
    [manage_path] = links(route_news, "/updates/manage/")
    assert manage_path == f"/updates/manage/{Subscription.objects.get(email='route@example.org').token}/"


def test_an_address_subscribed_to_the_project_and_to_the_consultation_gets_each_update_once(world, outbox, run_tasks):
    route = make_consultation(world.project)
    subscriber(world.project, "both@example.org")
    # Stored in another case by an older import: still the same person.
    subscriber(world.project, "Both@Example.org", consultation=route)
    subscriber(world.project, "only-route@example.org", consultation=route)
    update = services.update_publish(
        user=world.facilitator, project=world.project, title="Route news", body="Text", consultation=route
    )
    run_tasks()
    assert recipients(outbox.refresh()) == {"both@example.org": 1, "only-route@example.org": 1}
    assert Delivery.objects.filter(update=update).count() == 2

    tasks.send_update.enqueue(update_id=update.pk)  # sending again sends nothing
    run_tasks()
    assert len(outbox.refresh()) == 2


def test_a_weekly_subscriber_is_not_sent_updates_one_by_one(world, outbox, run_tasks):
    subscriber(world.project, "weekly@example.org", frequency="weekly")
    subscriber(world.project, "now@example.org")
    update = services.update_publish(user=world.facilitator, project=world.project, title="News", body="Text")
    run_tasks()
    assert recipients(outbox.refresh()) == {"now@example.org": 1}
    assert not Delivery.objects.filter(update=update, subscription__email="weekly@example.org").exists()


@pytest.mark.parametrize(
    "consultation_id",
    ["OTHER", "DRAFT", "not-a-number", "-1", "99999999", "9" * 30],
    ids=["another project's", "a draft", "not a number", "negative", "missing", "too big for the database"],
)
def test_subscribing_to_a_consultation_that_is_not_this_projects_or_not_public_is_a_404(
    world, outbox, run_tasks, consultation_id
):
    values = {
        "OTHER": lambda: make_consultation(factories.ProjectFactory(created_by=world.facilitator)).pk,
        "DRAFT": lambda: make_consultation(world.project, status="draft").pk,
    }
    raw = str(values[consultation_id]()) if consultation_id in values else consultation_id
    visitor = world.client("anonymous")
    url = f"/p/{world.project.slug}/updates/subscribe/"
    assert visitor.get(f"{url}?consultation={raw}").status_code == 404
    assert visitor.post(url, {"email": "x@example.org", "consultation": raw}).status_code == 404
    assert visitor.post(f"{url}?consultation={raw}", {"email": "x@example.org"}).status_code == 404
    assert not Subscription.objects.exists()
    run_tasks()
    assert outbox.refresh() == []


def test_the_service_refuses_a_consultation_of_another_project(world):
    from django.core.exceptions import ValidationError

    elsewhere = make_consultation(world.private_project)
    with pytest.raises(ValidationError, match="this project's consultations"):
        services.subscribe(project=world.project, email="a@example.org", language="en", consultation=elsewhere)
    with pytest.raises(ValidationError, match="this project's consultations"):
        services.update_publish(
            user=world.facilitator, project=world.project, title="T", body="B", consultation=elsewhere
        )
    with pytest.raises(ValidationError, match="how often"):
        services.subscribe(project=world.project, email="a@example.org", language="en", frequency="hourly")
    assert not Subscription.objects.exists() and not Update.objects.exists()


@pytest.mark.parametrize("with_consultation", [False, True], ids=["project page", "consultation page"])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"email": ""}, "This field is required."),
        ({"email": "ok@example.org", "frequency": "hourly"}, "Select a valid choice. hourly is not one of"),
    ],
    ids=["invalid address", "no address", "unknown frequency"],
)
def test_a_bad_subscription_form_is_shown_again_with_the_error_and_nothing_is_saved(
    world, outbox, run_tasks, with_consultation, data, message
):
    route = make_consultation(world.project)
    extra = {"consultation": route.pk} if with_consultation else {}
    response = world.client("anonymous").post(f"/p/{world.project.slug}/updates/subscribe/", {**data, **extra})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'aria-describedby="' in html  # the error is tied to its field
    if with_consultation:
        assert "Cycle route on Ŵŷâ Road" in html  # still the consultation's page, with its choice kept
        assert f'name="consultation" value="{route.pk}"' in html
    assert not Subscription.objects.exists()
    run_tasks()
    assert outbox.refresh() == []


# --- 12. Publishing about a consultation ----------------------------------------------------------


def test_a_facilitator_publishes_an_update_about_one_of_the_projects_consultations(world, outbox, run_tasks):
    route = make_consultation(world.project)
    make_consultation(world.project, title="Secret plans", status="draft")
    subscriber(world.project, "route@example.org", consultation=route)

    form = world.client("facilitator").get(f"/p/{world.project.slug}/updates/").content.decode()
    assert "Is it about one consultation?" in form
    assert f'<option value="{route.pk}">Cycle route on Ŵŷâ Road</option>' in form
    assert "Secret plans" not in form  # a draft is not public yet: nothing can be about it

    response = publish_page(world, title="We heard you", about=route.pk)
    assert response.status_code == 302
    update = Update.objects.get(title="We heard you")
    assert update.consultation == route
    assert outbox.refresh() == []  # publishing only queues the sending
    run_tasks()
    assert subjects(updates_to(outbox, "route@example.org")) == [f"{world.project.title}: We heard you"]

    listing = world.client("anonymous").get(f"/p/{world.project.slug}/updates/").content.decode()
    assert f'<a href="/p/{world.project.slug}/consultations/{route.pk}/">about “Cycle route on Ŵŷâ Road”</a>' in listing


def test_an_update_cannot_be_about_another_projects_consultation(world):
    make_consultation(world.project)
    elsewhere = make_consultation(world.private_project, title="Elsewhere")
    response = publish_page(world, title="Wrong", about=elsewhere.pk)
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not Update.objects.exists()


def test_the_publish_form_offers_no_consultation_choice_when_the_project_has_none(world):
    page = world.client("facilitator").get(f"/p/{world.project.slug}/updates/").content.decode()
    assert "Is it about one consultation?" not in page
    assert publish_page(world, title="Plain").status_code == 302


# --- 13. Managing a subscription from the link in an email ----------------------------------------


def test_a_subscriber_switches_to_the_weekly_digest_from_the_link_in_an_update(world, outbox, run_tasks):
    subscription = subscriber(world.project, "reader@example.org")
    services.update_publish(user=world.facilitator, project=world.project, title="First", body="Text")
    run_tasks()
    [first] = updates_to(outbox, "reader@example.org")
    [manage_path] = links(first, "/updates/manage/")

    visitor = world.client("anonymous")
    page = visitor.get(manage_path).content.decode()
    assert "An email for each update from" in page
    assert re.search(r'<input[^>]*value="immediate"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="weekly"[^>]*checked', page)
    response = visitor.post(manage_path, {"frequency": "weekly"})
    assert response.status_code == 302
    assert "Saved." in visitor.get(manage_path).content.decode()
    subscription.refresh_from_db()
    assert subscription.frequency == "weekly" and subscription.digest_sent_at is not None

    services.update_publish(user=world.facilitator, project=world.project, title="Second", body="Text")
    run_tasks()
    assert len(updates_to(outbox, "reader@example.org")) == 1  # the second waits for the digest

    bad = visitor.post(manage_path, {"frequency": "hourly"})
    assert bad.status_code == 400 and "Select a valid choice." in bad.content.decode()
    subscription.refresh_from_db()
    assert subscription.frequency == "weekly"


def test_the_manage_page_unsubscribes_and_says_so_for_ended_or_unconfirmed_subscriptions(world):
    subscription = subscriber(world.project, "reader@example.org")
    visitor = world.client("anonymous")
    manage_path = f"/updates/manage/{subscription.token}/"
    page = visitor.get(manage_path).content.decode()
    unsubscribe_path = f"/updates/unsubscribe/{subscription.token}/"
    assert f'action="{unsubscribe_path}"' in page
    assert visitor.post(unsubscribe_path, {}).status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None

    ended = visitor.get(manage_path).content.decode()
    assert "You are unsubscribed" in ended and 'name="frequency"' not in ended
    # A change posted to an ended subscription changes nothing.
    assert visitor.post(manage_path, {"frequency": "weekly"}).status_code == 200
    subscription.refresh_from_db()
    assert subscription.frequency == "immediate"

    pending = Subscription.objects.create(project=world.project, email="pending@example.org")
    assert "not confirmed yet" in visitor.get(f"/updates/manage/{pending.token}/").content.decode()
    assert visitor.get("/updates/manage/no-such-token/").status_code == 404


def test_switching_back_to_immediate_starts_with_the_next_update(world, outbox, run_tasks):
    subscription = subscriber(world.project, "reader@example.org", frequency="weekly")
    services.subscription_set_frequency(subscription=subscription, frequency="immediate")
    services.update_publish(user=world.facilitator, project=world.project, title="Next", body="Text")
    run_tasks()
    assert subjects(updates_to(outbox, "reader@example.org")) == [f"{world.project.title}: Next"]


def test_the_subscribe_pages_and_manage_page_answer_with_a_constant_number_of_queries(
    world, django_assert_max_num_queries
):
    # Not a list: but the manage and subscribe pages must not grow with the number of subscribers.
    route = make_consultation(world.project)
    subscription = subscriber(world.project, "reader@example.org", consultation=route)
    client = world.client("anonymous")
    for count in (1, 200):
        confirmed_subscribers(world.project, count, prefix=f"n{count}-")
        with django_assert_max_num_queries(8):
            assert client.get(f"/updates/manage/{subscription.token}/").status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get(f"/p/{world.project.slug}/updates/subscribe/?consultation={route.pk}").status_code == 200


def test_the_api_subscribes_to_one_consultation_weekly_and_publishes_an_update_about_it(world, outbox, run_tasks):
    route = make_consultation(world.project)
    api = f"/api/projects/{world.project.slug}/subscriptions/"
    visitor = world.client("anonymous")
    answer = visitor.post(
        api,
        {"email": "route@example.org", "consultation": route.pk, "frequency": "weekly"},
        content_type="application/json",
    )
    assert answer.status_code == 202
    subscription = Subscription.objects.get(email="route@example.org")
    assert (subscription.consultation, subscription.frequency) == (route, "weekly")

    other_project = factories.ProjectFactory(organisation=world.project.organisation, created_by=world.facilitator)
    foreign = make_consultation(other_project)
    refused = visitor.post(api, {"email": "x@example.org", "consultation": foreign.pk}, content_type="application/json")
    assert refused.status_code == 404
    bad = visitor.post(api, {"email": "x@example.org", "frequency": "hourly"}, content_type="application/json")
    assert bad.status_code == 400

    published = publish_api(world.client("facilitator"), world.project.slug, title="Route news", consultation=route.pk)
    assert published.status_code == 201
    assert published.json()["consultation"] == route.pk
    assert Update.objects.get(title="Route news").consultation == route
    assert publish_api(world.client("facilitator"), world.project.slug, consultation=foreign.pk).status_code == 404
