"""Every role x every action of the projects and updates components, through real requests.

For each action there is one attempt (a page or API request). On the public project, a role allowed
the action succeeds; a role not allowed gets 403 (they can see the project) — or, for read actions
shown as part of a page, does not see the thing. On the private project, the public and outsiders get
404 for everything, exactly as for a project that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from copro.core.models import Visibility
from copro.core.permissions import TABLE, Role
from copro.projects import services
from copro.projects.models import Membership, Project, ScopeChange
from copro.updates.models import Update
from tests.conftest import PERSONAS, CsrfClient, World

ROLE_OF = {
    "facilitator": Role.FACILITATOR,
    "participant": Role.PARTICIPANT,
    "expert": Role.EXPERT,
    "observer": Role.OBSERVER,
    "outsider": Role.OUTSIDER,
    "anonymous": Role.PUBLIC,
}


@dataclass
class Attempt:
    """`run` makes the request; `succeeded` says whether the response shows the action was allowed."""

    run: Callable[[CsrfClient, World, Project], Any]
    succeeded: Callable[[Any, World, Project], bool]
    denied_status: int | None = 403  # None: a read shown within a page; denial means it is not shown


def ok(response: Any, world: World, project: Project) -> bool:
    return response.status_code in (200, 201, 202, 302)


def _members_update(project: Project, world: World) -> Update:
    return Update.objects.create(
        project=project,
        title="Members only",
        body="Secret plan",
        visibility=Visibility.MEMBERS,
        author=world.facilitator,
    )


def _open_change(project: Project, world: World) -> ScopeChange:
    """A change proposed by the participant, waiting for a facilitator."""
    return services.scope_change_propose(
        user=world.participant, project=project, action="add", kind="can", text="Bus stop locations"
    )


def _member_entry(project: Project, world: World) -> None:
    services.step_update(
        user=world.facilitator, project=project, step="awareness", done=False, evidence="MEMBERS-ONLY-EVIDENCE"
    )


ATTEMPTS: dict[str, Attempt] = {
    "projects.view": Attempt(lambda c, w, p: c.get(f"/p/{p.slug}/"), ok),
    "projects.view_members": Attempt(lambda c, w, p: c.get(f"/p/{p.slug}/members/"), ok),
    "projects.view_member_activity": Attempt(
        lambda c, w, p: (_member_entry(p, w), c.get(f"/p/{p.slug}/activity/"))[1],
        lambda r, w, p: r.status_code == 200 and "co-production step" in r.content.decode(),
        denied_status=None,
    ),
    "projects.view_dashboard": Attempt(lambda c, w, p: c.get(f"/p/{p.slug}/dashboard/"), ok),
    "projects.view_access_needs": Attempt(
        lambda c, w, p: c.get(f"/p/{p.slug}/members/"),
        lambda r, w, p: r.status_code == 200 and "Large print" in r.content.decode(),
        denied_status=None,
    ),
    "projects.view_audit": Attempt(lambda c, w, p: c.get(f"/p/{p.slug}/audit/"), ok),
    "projects.export": Attempt(lambda c, w, p: c.get(f"/p/{p.slug}/export/members.csv"), ok),
    "projects.edit": Attempt(
        lambda c, w, p: c.post(
            f"/p/{p.slug}/edit/",
            {"title": "New title", "purpose": "New purpose", "visibility": p.visibility, "budget_currency": "GBP"},
        ),
        lambda r, w, p: r.status_code == 302 and Project.objects.get(pk=p.pk).title == "New title",
    ),
    "projects.scope_propose": Attempt(
        lambda c, w, p: c.post(f"/p/{p.slug}/scope/", {"action": "add", "kind": "can", "text": "Street lighting"}),
        lambda r, w, p: r.status_code == 302 and ScopeChange.objects.filter(project=p, text="Street lighting").exists(),
    ),
    "projects.scope_respond": Attempt(
        lambda c, w, p: c.post(f"/p/{p.slug}/scope/{_open_change(p, w).pk}/respond/", {"agrees": "yes"}),
        ok,
    ),
    "projects.scope_decide": Attempt(
        lambda c, w, p: c.post(f"/p/{p.slug}/scope/{_open_change(p, w).pk}/close/", {"note": "Outside our remit"}),
        lambda r, w, p: r.status_code == 302 and ScopeChange.objects.filter(project=p, status="not_agreed").exists(),
    ),
    "projects.invite": Attempt(
        lambda c, w, p: c.post(f"/p/{p.slug}/members/", {"email": "new@example.org", "role": "participant"}),
        lambda r, w, p: r.status_code == 302 and p.invitations.filter(email="new@example.org").exists(),
    ),
    "projects.manage_members": Attempt(
        lambda c, w, p: c.post(
            f"/p/{p.slug}/members/{Membership.objects.get(project=p, user=w.expert).pk}/role/", {"role": "participant"}
        ),
        lambda r, w, p: r.status_code == 302 and Membership.objects.get(project=p, user=w.expert).role == "participant",
    ),
    "projects.leave": Attempt(lambda c, w, p: c.post(f"/p/{p.slug}/leave/", {}), ok),
    "updates.view": Attempt(lambda c, w, p: c.get(f"/p/{p.slug}/updates/"), ok),
    "updates.view_members_only": Attempt(
        lambda c, w, p: c.get(f"/p/{p.slug}/updates/{_members_update(p, w).pk}/"),
        lambda r, w, p: r.status_code == 200 and "Secret plan" in r.content.decode(),
        denied_status=404,  # a members-only update does not exist for those who may not read it
    ),
    "updates.publish": Attempt(
        lambda c, w, p: c.post(f"/p/{p.slug}/updates/", {"title": "News", "body": "Text", "visibility": "public"}),
        lambda r, w, p: r.status_code == 302 and Update.objects.filter(project=p, title="News").exists(),
    ),
    "updates.subscribe": Attempt(
        lambda c, w, p: c.post(f"/p/{p.slug}/updates/subscribe/", {"email": "reader@example.org"}), ok
    ),
}

COMPONENT_ACTIONS = [a.name for a in TABLE.actions() if a.name.split(".")[0] in ("projects", "updates")]


def test_every_action_of_projects_and_updates_has_an_attempt_in_this_matrix():
    assert sorted(ATTEMPTS) == sorted(COMPONENT_ACTIONS)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", COMPONENT_ACTIONS)
def test_public_project(world: World, persona: str, action: str) -> None:
    attempt = ATTEMPTS[action]
    project = world.project
    response = attempt.run(world.client(persona), world, project)
    allowed = TABLE.allowed(ROLE_OF[persona], action)
    if allowed:
        assert attempt.succeeded(response, world, project), f"{persona} should be able to {action}"
    else:
        assert not attempt.succeeded(response, world, project), f"{persona} must not be able to {action}"
        if attempt.denied_status is not None:
            assert response.status_code == attempt.denied_status


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", COMPONENT_ACTIONS)
def test_private_project(world: World, persona: str, action: str) -> None:
    attempt = ATTEMPTS[action]
    project = world.private_project
    response = attempt.run(world.client(persona), world, project)
    role = ROLE_OF[persona]
    if role in (Role.PUBLIC, Role.OUTSIDER):
        assert response.status_code == 404, f"{persona} must get 404 for {action} on a private project"
    elif TABLE.allowed(role, action):
        assert attempt.succeeded(response, world, project)
    else:
        assert not attempt.succeeded(response, world, project)


def test_private_project_404_is_identical_to_a_missing_project(world: World) -> None:
    outsider = world.client("outsider")
    private_path, missing_path = f"/p/{world.private_project.slug}/", "/p/no-such-project-at-all/"
    private = outsider.get(private_path)
    missing = outsider.get(missing_path)
    assert private.status_code == missing.status_code == 404

    # The only differences allowed: the page's own address (echoed in the language switcher) and the
    # CSRF token, which Django masks afresh for every response.
    def normalise(html: bytes, path: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", html.decode().replace(path, "PATH"))

    assert normalise(private.content, private_path) == normalise(missing.content, missing_path)
    api_private = outsider.get(f"/api/projects/{world.private_project.slug}/")
    api_missing = outsider.get("/api/projects/no-such-project-at-all/")
    assert api_private.status_code == api_missing.status_code == 404
    assert api_private.json() == api_missing.json()


def test_an_action_missing_from_the_table_is_denied_to_every_role() -> None:
    for role in Role:
        assert not TABLE.allowed(role, "projects.launch_rockets")
    assert not TABLE.allowed(None, "projects.view")


def test_ids_from_another_project_are_404_even_for_its_facilitator(world: World) -> None:
    """The facilitator of project A names items of project B in A's URLs: every one is a 404."""
    other = world.private_project
    mine = world.project
    change = _open_change(other, world)
    update = _members_update(other, world)
    membership = Membership.objects.get(project=other, user=world.expert)
    phase = services.phase_add(
        user=world.facilitator, project=other, name="Other phase", starts_on="2026-01-01", ends_on="2026-02-01"
    )
    Membership.objects.filter(project=other, user=world.facilitator).delete()  # no longer in B
    client = world.client("facilitator")
    attempts = [
        client.post(f"/p/{mine.slug}/scope/{change.pk}/respond/", {"agrees": "yes"}),
        client.post(f"/p/{mine.slug}/scope/{change.pk}/close/", {"note": "x"}),
        client.get(f"/p/{mine.slug}/updates/{update.pk}/"),
        client.post(f"/p/{mine.slug}/members/{membership.pk}/role/", {"role": "observer"}),
        client.post(f"/p/{mine.slug}/timeline/{phase.pk}/remove/", {}),
        client.get(f"/p/{other.slug}/"),
        client.get(f"/api/projects/{other.slug}/"),
        client.post(
            f"/api/projects/{mine.slug}/scope-changes/",
            {"action": "remove", "item": other.scope_items.first().pk},
            content_type="application/json",
        ),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    change.refresh_from_db()
    membership.refresh_from_db()
    assert change.status == "open" and membership.role == "expert"


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_matches_the_table(world: World, persona: str) -> None:
    client = world.client(persona)
    slug = world.project.slug
    role = ROLE_OF[persona]
    checks = {
        "projects.view": client.get(f"/api/projects/{slug}/"),
        "projects.edit": client.patch(f"/api/projects/{slug}/", {"budget_notes": "Capital only"}),
        "projects.scope_propose": client.post(
            f"/api/projects/{slug}/scope-changes/",
            {"action": "add", "kind": "can", "text": "Benches"},
            content_type="application/json",
        ),
        "projects.view_dashboard": client.get(f"/api/projects/{slug}/dashboard/"),
        "updates.publish": client.post(
            f"/api/projects/{slug}/updates/", {"title": "T", "body": "B"}, content_type="application/json"
        ),
        "updates.subscribe": client.post(
            f"/api/projects/{slug}/subscriptions/", {"email": "a@example.org"}, content_type="application/json"
        ),
    }
    for action, response in checks.items():
        if TABLE.allowed(role, action):
            assert response.status_code in (200, 201, 202), (action, response.content)
        else:
            assert response.status_code == 403, (action, persona, response.status_code)
