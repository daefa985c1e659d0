"""Ideas in the REST API: the same access rules and services as the pages."""

from __future__ import annotations

import uuid

from copro.ideas import services
from copro.ideas.models import Idea, IdeaComment, Participation, ReviewScore
from tests import factories
from tests.factories import XSS
from tests.factories_ideas import can_item, fixed_item, idea, review_round


def api(project, *parts) -> str:
    return f"/api/projects/{project.slug}/ideas/" + "".join(f"{p}/" for p in parts)


def scores_url(the_round, the_idea) -> str:
    return f"/api/projects/{the_round.project.slug}/idea-reviews/{the_round.pk}/ideas/{the_idea.pk}/scores/"


def test_ideas_are_listed_filtered_and_shown_in_full(world):
    flagged = idea(world.project, world.participant, title="Bridge", scope_items=[fixed_item(world.project)])
    idea(world.project, world.expert, title="Benches", scope_items=[can_item(world.project)])
    client = world.client("anonymous")
    body = client.get(api(world.project)).json()
    assert body["count"] == 2
    body = client.get(api(world.project), {"fixed": "1"}).json()
    assert [i["title"] for i in body["results"]] == ["Bridge"]
    assert body["results"][0]["fixed_flags"][0]["reason"].startswith("Statutory duty")
    assert client.get(api(world.project), {"status": "nonsense"}).status_code == 400
    assert client.get(api(world.project), {"scope": "x"}).status_code == 400
    services.comment_add(user=world.expert, idea=flagged, text="Nice " + XSS)
    detail = client.get(api(world.project, flagged.pk)).json()
    assert detail["comments"][0]["text"] == "Nice " + XSS and detail["touches_fixed"] is True
    assert detail["authors"]
    assert client.get(api(world.project, 999999)).status_code == 404


def test_private_ideas_are_a_404_for_outsiders(world):
    secret = idea(world.private_project, world.participant)
    assert world.client("outsider").get(api(world.private_project)).status_code == 404
    assert world.client("outsider").get(api(world.private_project, secret.pk)).status_code == 404
    assert world.client("participant").get(api(world.private_project, secret.pk)).status_code == 200


def test_submitting_an_idea_returns_the_fixed_flag(world):
    client = world.client("participant")
    fixed = fixed_item(world.project)
    key = str(uuid.uuid4())
    data = {"title": "A bridge", "problem": "No way across", "proposal": "Build one", "scope_items": [fixed.pk]}
    response = client.post(api(world.project), data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201
    body = response.json()
    assert body["touches_fixed"] is True and body["fixed_flags"] == [
        {"id": fixed.pk, "text": fixed.text, "reason": fixed.reason}
    ]
    again = client.post(api(world.project), data, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 409 and Idea.objects.count() == 1
    bad = client.post(api(world.project), {**data, "title": ""}, content_type="application/json")
    assert bad.status_code == 400 and "title" in bad.json()
    other = factories.ScopeItemFactory(project=world.private_project)
    bad = client.post(api(world.project), {**data, "scope_items": [other.pk]}, content_type="application/json")
    assert bad.status_code == 400 and "scope_items" in bad.json()


def test_who_may_submit_follows_the_projects_idea_settings(world):
    data = {"title": "t", "problem": "p", "proposal": "q"}
    assert world.client("outsider").post(api(world.project), data, content_type="application/json").status_code == 403
    assert world.client("anonymous").post(api(world.project), data, content_type="application/json").status_code == 403
    services.space_update(
        user=world.facilitator, project=world.project, is_open=True, participation=Participation.SIGNED_IN
    )
    assert world.client("outsider").post(api(world.project), data, content_type="application/json").status_code == 201
    services.space_update(
        user=world.facilitator, project=world.project, is_open=False, participation=Participation.SIGNED_IN
    )
    assert (
        world.client("participant").post(api(world.project), data, content_type="application/json").status_code == 403
    )


def test_support_and_unsupport(world):
    the_idea = idea(world.project, world.participant)
    client = world.client("expert")
    assert client.post(api(world.project, the_idea.pk, "support")).json() == {"supported": True, "support_count": 1}
    assert client.post(api(world.project, the_idea.pk, "support")).json() == {"supported": True, "support_count": 1}
    assert client.delete(api(world.project, the_idea.pk, "support"), HTTP_X_CSRFTOKEN=client.csrf_token()).json() == {
        "supported": False,
        "support_count": 0,
    }
    assert world.client("observer").post(api(world.project, the_idea.pk, "support")).status_code == 403


def test_comments(world):
    the_idea = idea(world.project, world.participant)
    client = world.client("expert")
    response = client.post(
        api(world.project, the_idea.pk, "comments"), {"text": "Agreed"}, content_type="application/json"
    )
    assert response.status_code == 201 and IdeaComment.objects.get().text == "Agreed"
    assert (
        client.post(
            api(world.project, the_idea.pk, "comments"), {"text": ""}, content_type="application/json"
        ).status_code
        == 400
    )
    assert [c["text"] for c in world.client("anonymous").get(api(world.project, the_idea.pk, "comments")).json()] == [
        "Agreed"
    ]


def test_review_scores_out_of_range_are_400_with_the_field_and_nothing_is_saved(world):
    the_idea = idea(world.project, world.participant)
    the_round = review_round(
        world.project, world.facilitator, [the_idea], peers=(world.participant,), experts=(world.expert,)
    )
    criteria = list(the_round.criteria.all())
    client = world.client("expert")
    scores = [{"criterion": c.pk, "score": 4, "comment": "ok"} for c in criteria]
    scores[1]["score"] = 7
    response = client.post(scores_url(the_round, the_idea), {"scores": scores}, content_type="application/json")
    assert response.status_code == 400
    assert f"score_{criteria[1].pk}" in response.json()
    assert not ReviewScore.objects.exists()
    scores[1]["score"] = None
    response = client.post(scores_url(the_round, the_idea), {"scores": scores}, content_type="application/json")
    assert response.status_code == 200 and len(response.json()) == len(criteria)
    assert client.get(scores_url(the_round, the_idea)).json()[0]["score"] == 4
    outsider = world.client("observer").post(
        scores_url(the_round, the_idea), {"scores": scores}, content_type="application/json"
    )
    assert outsider.status_code == 403
    other = factories.UserFactory()
    factories.MembershipFactory(project=world.project, user=other, role="participant")
    from tests.conftest import client_for

    assert (
        client_for(other)
        .post(scores_url(the_round, the_idea), {"scores": scores}, content_type="application/json")
        .status_code
        == 403
    )


def test_the_openapi_document_describes_the_ideas_api(client):
    import json

    from django.core.management import call_command

    paths = json.loads(client.get("/api/openapi.json").content)["paths"]
    for path in (
        "/api/projects/{slug}/ideas/",
        "/api/projects/{slug}/ideas/{idea_id}/",
        "/api/projects/{slug}/ideas/{idea_id}/support/",
        "/api/projects/{slug}/ideas/{idea_id}/comments/",
        "/api/projects/{slug}/idea-reviews/{round_id}/ideas/{idea_id}/scores/",
    ):
        assert path in paths, path
    import io

    err = io.StringIO()
    call_command("spectacular", "--file", "/dev/null", "--validate", stderr=err)
    assert "ideas" not in err.getvalue()


def test_the_idea_statuses_have_their_own_enum_name_in_the_openapi_document():
    """Without ENUM_NAME_OVERRIDES the ideas' "status" collides with other apps' and gets a made-up name
    (StatusBf0Enum) and a warning, which `spectacular --fail-on-warn` turns into a failure."""
    import re

    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    assert not [name for name in schemas if re.fullmatch(r"Status[0-9A-Fa-f]{3}Enum", name)]
    assert schemas["IdeaStatusEnum"]["enum"] == ["submitted", "under_review", "shortlisted", "taken", "not_taken"]
    status = schemas["IdeaOut"]["properties"]["status"]
    assert "#/components/schemas/IdeaStatusEnum" in str(status)


def test_hidden_ideas_are_left_out_of_the_api_for_everyone_but_their_authors_and_facilitators(world):
    from copro.moderation import services as moderation

    hidden = idea(world.project, world.participant, title="Hidden one")
    idea(world.project, world.expert, title="Shown one")
    moderation.content_hide(
        user=world.facilitator, project=world.project, kind="idea", object_id=hidden.pk, reason="Off topic"
    )
    for persona, titles in (
        ("anonymous", {"Shown one"}),
        ("expert", {"Shown one"}),
        ("participant", {"Shown one", "Hidden one"}),
        ("facilitator", {"Shown one", "Hidden one"}),
    ):
        body = world.client(persona).get(api(world.project)).json()
        assert {i["title"] for i in body["results"]} == titles, persona
        assert body["count"] == len(titles)
    assert world.client("expert").get(api(world.project, hidden.pk)).status_code == 404
    assert world.client("expert").post(api(world.project, hidden.pk, "support")).status_code == 404
    assert world.client("participant").get(api(world.project, hidden.pk)).json()["hidden_reason"] == "Off topic"
