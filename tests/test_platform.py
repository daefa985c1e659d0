"""The platform as a whole: health, languages, API document, safe defaults, settings, the contract."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, registry
from copro.core.permissions import TABLE, Action, Role
from copro.updates.models import Update
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_health_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] in ("sqlite", "postgresql")


def test_a_welsh_browser_gets_the_welsh_interface(client):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    welsh = client.get("/", HTTP_ACCEPT_LANGUAGE="cy").content.decode()
    assert '<html lang="en">' in english and "Sign in" in english
    assert '<html lang="cy">' in welsh and "Mewngofnodi" in welsh and "Sign in" not in welsh


def test_the_openapi_document_describes_the_api(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    for path in (
        "/api/projects/",
        "/api/projects/{slug}/",
        "/api/projects/{slug}/updates/",
        "/api/projects/{slug}/scope-changes/",
        "/api/projects/{slug}/activity/",
    ):
        assert path in document["paths"], path
    assert client.get("/api/docs/").status_code == 200


PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/api/docs/",
    "PROJECT/",
    "PROJECT/scope/",
    "PROJECT/updates/",
    "PROJECT/activity/",
    "PROJECT/members/",
    "PROJECT/dashboard/",
    "PROJECT/audit/",
    "PROJECT/edit/",
    "PROJECT/timeline/",
    "PROJECT/decision-rules/",
    "PROJECT/decisions/",
    "PROJECT/decisions/log/",
    "PROJECT/engagement/",
    "PROJECT/kind-of-problem/",
    "PROJECT/steps/",
    "/accounts/profile/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_csp_no_inline_script_and_escapes_hostile_text(world, path):
    factories.UpdateFactory(project=world.project, author=world.facilitator)
    world.facilitator.display_name = factories.HOSTILE
    world.facilitator.save()
    persona = "anonymous" if path in ("/accounts/login/", "/accounts/signup/") else "facilitator"
    response = world.client(persona).get(path.replace("PROJECT", f"/p/{world.project.slug}"))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'self'" in csp
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline scripts"
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
    assert factories.XSS not in html
    if path.startswith("PROJECT"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, safely


def test_update_bodies_are_sanitised_not_just_escaped(world):
    update = Update.objects.create(
        project=world.project,
        author=world.facilitator,
        title="T",
        body='<p onclick="x()">Hi <strong>there</strong><img src=x onerror=alert(1)></p>',
    )
    html = client_for(None).get(f"/p/{world.project.slug}/updates/{update.pk}/").content.decode()
    assert "<strong>there</strong>" in html
    assert "onerror" not in html and "onclick" not in html and "<img" not in html


@pytest.mark.parametrize("body", ["{not json", "[1, 2", '"just a string"'])
def test_invalid_api_json_gets_a_400_with_a_message(world, body):
    response = world.client("facilitator").post(
        f"/api/projects/{world.project.slug}/updates/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json() or "non_field_errors" in response.json()
    assert not Update.objects.exists()


def test_api_validation_errors_name_the_fields(world):
    client = world.client("facilitator")
    response = client.post(
        "/api/projects/",
        {
            "organisation": "no-such-org",
            "title": "x" * 300,
            "purpose": "",
            "budget_amount": -5,
            "fixed": [{"text": "No reason"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert {"organisation", "title", "purpose", "budget_amount", "fixed"} <= set(errors)


def test_api_creates_a_project_for_staff(world):
    org = world.facilitator.organisation_memberships.get().organisation
    response = world.client("facilitator").post(
        "/api/projects/",
        {
            "organisation": org.slug,
            "title": "Library hours",
            "purpose": "Decide together",
            "can_influence": ["Opening hours"],
            "fixed": [{"text": "Budget", "reason": "Set by council"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["can_influence"][0]["text"] == "Opening hours" and body["fixed"][0]["reason"] == "Set by council"
    assert body["equal_votes"] is True


def test_api_lists_are_paginated(world):
    for _n in range(3):
        factories.ProjectFactory()
    response = client_for(None).get("/api/projects/?limit=2")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= 4 and len(body["results"]) == 2 and body["next"]


def test_an_oversized_request_is_refused_not_crashed(world):
    response = world.client("facilitator").post(
        f"/p/{world.project.slug}/updates/", {"title": "T", "body": "x" * 3_000_000}
    )
    assert response.status_code == 400
    assert not Update.objects.exists()


def test_an_oversized_api_body_gets_a_json_413_not_an_html_page(world):
    response = world.client("facilitator").post(
        f"/api/projects/{world.project.slug}/updates/",
        {"title": "T", "body": "x" * 3_000_000},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]
    assert not Update.objects.exists()


def test_unknown_export_or_format_is_404(world):
    client = world.client("facilitator")
    assert client.get(f"/p/{world.project.slug}/export/secrets.csv").status_code == 404
    assert client.get(f"/p/{world.project.slug}/export/scope.exe").status_code == 404
    assert client.get(f"/p/{world.project.slug}/export/scope.json").status_code == 200


# --- Settings from the environment -------------------------------------------------------------

PRODUCTION = {
    "COPRO_SECRET_KEY": "q8Hk2vN5pR9wT3yZ6bD1fG4jL7mX0cV8nB5sA2eW6rU9iO3pQ7tY1uK4hJ8gF5dS",
    "COPRO_ALLOWED_HOSTS": "copro.example.org",
    "COPRO_SITE_URL": "https://copro.example.org",
    "EMAIL_HOST": "smtp.example.org",
    "COPRO_DEBUG": "0",
}


def copro_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COPRO_", "DATABASE_URL", "EMAIL_", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    clean["COPRO_TESTING"] = "0"
    return subprocess.run(
        [sys.executable, "-m", "copro.manage", *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = copro_command(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "COPRO_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"COPRO_SECRET_KEY": None}, "COPRO_SECRET_KEY must be set"),
        ({"COPRO_SECRET_KEY": "short"}, "COPRO_SECRET_KEY must be a random string"),
        ({"COPRO_DEBUG": "maybe"}, "COPRO_DEBUG='maybe' is not a boolean"),
        ({"COPRO_HSTS_SECONDS": "a year"}, "COPRO_HSTS_SECONDS='a year' is not a whole number"),
        ({"EMAIL_HOST": None}, "EMAIL_HOST must be set in production"),
        ({"COPRO_CACHE": "redis-ish"}, "COPRO_CACHE='redis-ish' must be one of"),
        ({"COPRO_SITE_URL": "copro.example.org"}, "COPRO_SITE_URL must start with"),
        ({"DATABASE_URL": "nonsense://x"}, "DATABASE_URL"),
    ],
)
def test_bad_settings_stop_start_up_with_a_message_naming_the_variable(tmp_path, change, message):
    env = {**PRODUCTION, "COPRO_VAR_DIR": str(tmp_path)}
    for key, value in change.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    result = copro_command("check", env=env)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]


# --- The component contract --------------------------------------------------------------------


def test_components_must_name_their_actions_and_verbs_after_themselves():
    with pytest.raises(ValueError, match="must be named"):
        registry.register(
            Component(
                name="stakeholders",
                label=_("Stakeholders"),
                actions=[Action("projects.sneak", frozenset({Role.PUBLIC}), "x")],
            )
        )
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Component(name="updates", label=_("Updates")))
    assert TABLE.get("projects.sneak") is None


def test_the_dashboard_gathers_counts_from_every_component(world):
    response = world.client("participant").get(f"/api/projects/{world.project.slug}/dashboard/")
    components = {row["component"] for row in response.json()}
    assert {"projects", "updates"} <= components
    participants = next(r for r in response.json() if r["measure"] == "Participants")
    assert participants["value"] == 1


def test_the_permission_docs_show_the_table_the_code_enforces():
    text = (ROOT / "docs" / "permissions.md").read_text()
    begin = "<!-- BEGIN TABLE (generated by: copro permissions --markdown) -->\n"
    table = text.split(begin, 1)[1].split("<!-- END TABLE -->", 1)[0]
    assert table.strip() == TABLE.markdown().strip()


def test_the_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^make (run|test)\b", readme, flags=re.MULTILINE)
    assert commands[:2] == ["run", "test"]


def test_an_api_client_can_make_a_repeated_post_harmless_with_an_idempotency_key(world):
    client = world.client("facilitator")
    key = "5f0c6a1e-8f6d-4a57-9a43-3f4f1c2b7d10"
    url = f"/api/projects/{world.project.slug}/updates/"
    first = client.post(
        url, {"title": "Once", "body": "Only once"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    second = client.post(
        url, {"title": "Once", "body": "Only once"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert (first.status_code, second.status_code) == (201, 409)
    assert Update.objects.filter(title="Once").count() == 1
    bad = client.post(url, {"title": "T", "body": "B"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="x")
    assert bad.status_code == 400


def test_subscribing_is_rate_limited_per_address_of_the_requester(world, settings):
    limit = int(settings.ACCOUNT_RATE_LIMITS["updates_subscribe"].split("/")[0])
    client = client_for(None)
    url = f"/p/{world.project.slug}/updates/subscribe/"
    statuses = [client.post(url, {"email": f"p{i}@example.org"}).status_code for i in range(limit + 1)]
    assert statuses[:limit] == [200] * limit and statuses[limit] == 429
    api = client.post(
        f"/api/projects/{world.project.slug}/subscriptions/",
        {"email": "x@example.org"},
        content_type="application/json",
    )
    assert api.status_code == 429


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [("240000", "GBP", "£240,000"), ("1234.5", "EUR", "€1,234.50"), ("12000", "PLN", "12,000 PLN"), (None, "GBP", "")],
)
def test_budgets_are_shown_as_people_write_them(amount, currency, shown):
    from copro.core.templatetags.copro import money

    assert money(amount, currency) == shown


@pytest.mark.parametrize("path", ["/updates/confirm/%00/", "/updates/unsubscribe/%00/", "/invitations/%00/"])
def test_a_nul_byte_in_a_token_is_a_404_not_a_crash(client, path):
    assert client.get(path).status_code == 404


def test_a_nul_byte_as_the_organisation_is_a_400(world):
    response = world.client("facilitator").post(
        "/api/projects/", {"organisation": "\u0000", "title": "t", "purpose": "p"}, content_type="application/json"
    )
    assert response.status_code == 400 and "organisation" in response.json()


def test_erasing_one_address_leaves_other_peoples_queued_email_alone(world):
    from django_tasks_db.models import DBTaskResult

    from copro.core.email import forget_address, queue_email

    for address in ("bob@example.org", "jimbob@example.org", "bob@example.org.uk"):
        queue_email(
            to=address, template="updates/email/confirm", context={"project_title": "P", "confirm_url": "http://x/"}
        )
    assert forget_address("bob@example.org") == 1
    remaining = sorted(t.args_kwargs["kwargs"]["to"] for t in DBTaskResult.objects.all())
    assert remaining == ["bob@example.org.uk", "jimbob@example.org"]
