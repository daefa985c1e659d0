"""Shared fixtures: a real SMTP server, real background tasks, personas, a CSRF-enforcing client."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from copro.accounts.models import User
from copro.projects.models import Project, ProjectVisibility, ScopeKind
from tests import factories

# --- A real SMTP server on localhost ------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, _Collector]]:
    collector = _Collector()
    with socket.socket() as probe:  # aiosmtpd cannot start on port 0: find a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, collector
    controller.stop()


class Outbox(list):
    """The messages the SMTP server received during this test."""

    def __init__(self, collector: _Collector) -> None:
        super().__init__()
        self.collector = collector

    def refresh(self) -> Outbox:
        with self.collector.lock:
            self[:] = list(self.collector.messages)
        return self

    def to(self, address: str) -> list[EmailMessage]:
        self.refresh()
        return [m for m in self if address in str(m["To"])]

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""


@pytest.fixture(autouse=True)
def outbox(settings: Any, smtp_server: tuple[Controller, _Collector]) -> Outbox:
    """Every test sends email through real SMTP to the local test server."""
    controller, collector = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    with collector.lock:
        collector.messages.clear()
    return Outbox(collector)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


# --- Real background tasks -------------------------------------------------------------------------


@pytest.fixture
def run_tasks(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Run every queued background task with the real database worker, then return.

    The worker drops "old" database connections between tasks; inside a test's transaction that would
    drop the test's own connection (on PostgreSQL), so here it keeps it. Everything else is the real worker.
    """
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", verbosity=0)

    return run


# --- Clients -----------------------------------------------------------------------------------

CSRF_SECRET = "a" * 32


class CsrfClient(Client):
    """A test client with CSRF checks on, which sends a valid token like a browser would."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(enforce_csrf_checks=True, **kwargs)
        self.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET

    def post(self, path: str, data: Any = None, content_type: str = MULTIPART_CONTENT, **extra: Any) -> Any:  # type: ignore[override]
        token = self.csrf_token()
        if isinstance(data, dict) and content_type == MULTIPART_CONTENT:
            data = {"csrfmiddlewaretoken": token, **data}
        extra.setdefault("HTTP_X_CSRFTOKEN", token)
        return super().post(path, data, content_type=content_type, **extra)

    def csrf_token(self) -> str:
        """The secret in the CSRF cookie now: Django rotates it when someone signs in."""
        return self.cookies[settings.CSRF_COOKIE_NAME].value

    def patch(self, path: str, data: Any = None, content_type: str = "application/json", **extra: Any) -> Any:  # type: ignore[override]
        extra.setdefault("HTTP_X_CSRFTOKEN", self.csrf_token())
        return super().patch(path, data, content_type=content_type, **extra)

    def put(self, path: str, data: Any = None, content_type: str = "application/json", **extra: Any) -> Any:  # type: ignore[override]
        extra.setdefault("HTTP_X_CSRFTOKEN", self.csrf_token())
        return super().put(path, data, content_type=content_type, **extra)

    def delete(self, path: str, data: Any = None, content_type: str = "application/octet-stream", **extra: Any) -> Any:  # type: ignore[override]
        extra.setdefault("HTTP_X_CSRFTOKEN", self.csrf_token())
        return super().delete(path, data, content_type=content_type, **extra)


def client_for(user: User | None) -> CsrfClient:
    client = CsrfClient()
    if user is not None:
        client.force_login(user)
    return client


# --- Personas ----------------------------------------------------------------------------------


def give_totp(user: User) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@dataclass
class World:
    project: Project
    private_project: Project
    facilitator: User
    participant: User
    expert: User
    observer: User
    outsider: User

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self, persona)

    def client(self, persona: str) -> CsrfClient:
        return client_for(self.user(persona))


PERSONAS = ["facilitator", "participant", "expert", "observer", "outsider", "anonymous"]


@pytest.fixture
def world(db: Any) -> World:
    facilitator = factories.UserFactory(email="facilitator@example.org")
    org_membership = factories.OrganisationMembershipFactory(user=facilitator)
    give_totp(facilitator)
    project = factories.ProjectFactory(organisation=org_membership.organisation, created_by=facilitator)
    private = factories.ProjectFactory(
        organisation=org_membership.organisation, created_by=facilitator, visibility=ProjectVisibility.PRIVATE
    )
    people = {
        "participant": factories.UserFactory(email="participant@example.org"),
        "expert": factories.UserFactory(email="expert@example.org"),
        "observer": factories.UserFactory(email="observer@example.org"),
    }
    for p in (project, private):
        factories.MembershipFactory(project=p, user=facilitator, role="facilitator")
        for role, user in people.items():
            factories.MembershipFactory(project=p, user=user, role=role)
        factories.ScopeItemFactory(project=p, kind=ScopeKind.CAN)
        factories.ScopeItemFactory(project=p, kind=ScopeKind.FIXED, reason="Statutory duty " + factories.XSS)
    return World(
        project=project,
        private_project=private,
        facilitator=facilitator,
        outsider=factories.UserFactory(email="outsider@example.org"),
        **people,
    )
