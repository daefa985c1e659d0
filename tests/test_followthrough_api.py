"""Follow-through in the REST API: the same rules as the pages, through real requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from copro.followthrough.models import Commitment, CommitmentUpdate, FeedbackMoment, FeedbackSettings
from tests import factories_followthrough as ft
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

JSON = "application/json"


def api(slug, rest=""):
    return f"/api/projects/{slug}/{rest}"


def later(days=30):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_anyone_who_can_see_the_project_lists_its_public_commitments_with_what_led_to_them(world):
    decision = ft.closed_proposal(
        world.project, proposer=world.participant, responders=[world.expert], closer=world.facilitator
    )
    ft.commitment(world.project, created_by=world.facilitator, title="Public one", source=decision)
    ft.commitment(world.project, created_by=world.facilitator, title="Members one", visibility="members")
    body = world.client("anonymous").get(api(world.project.slug, "commitments/")).json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["title"] == "Public one" and item["status"] == "planned" and item["overdue"] is False
    assert item["sources"][0]["type"] == "decisions.decision"
    assert item["sources"][0]["title"] == "Light the park path"
    assert item["latest_update"]["status_to"] == "planned"
    assert world.client("participant").get(api(world.project.slug, "commitments/")).json()["count"] == 2
    assert world.client("anonymous").get(api(world.project.slug, "commitments/?status=done")).json()["count"] == 0
    assert world.client("anonymous").get(api(world.project.slug, "commitments/?status=bad")).status_code == 400
    assert client_for(world.outsider).get(api(world.private_project.slug, "commitments/")).status_code == 404


def test_the_detail_has_milestones_and_the_whole_history_and_hides_what_may_not_be_seen(world):
    made = ft.commitment(world.project, created_by=world.facilitator, title="Detail")
    hidden = ft.commitment(world.project, created_by=world.facilitator, title="Hidden", visibility="staff")
    from copro.followthrough import services

    services.milestone_add(commitment=made, user=world.facilitator, title="Step one")
    services.commitment_update_post(commitment=made, author=world.facilitator, text="Going well")
    body = world.client("anonymous").get(api(world.project.slug, f"commitments/{made.pk}/")).json()
    assert [m["title"] for m in body["milestones"]] == ["Step one"]
    assert [u["text"] for u in body["updates"]] == ["Going well"]
    assert world.client("participant").get(api(world.project.slug, f"commitments/{hidden.pk}/")).status_code == 404
    assert world.client("facilitator").get(api(world.project.slug, f"commitments/{hidden.pk}/")).status_code == 200


def test_facilitators_make_commitments_and_a_past_due_date_is_a_400(world):
    client = world.client("facilitator")
    payload = {"title": "API promise", "owner": world.expert.pk, "due_on": later(), "co_owners": [world.participant.pk]}
    response = client.post(api(world.project.slug, "commitments/"), payload, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json()["owner"] == world.expert.public_name
    past = {**payload, "due_on": ft.past(1).isoformat()}
    refused = client.post(api(world.project.slug, "commitments/"), past, content_type=JSON)
    assert refused.status_code == 400 and "in the past" in refused.json()["due_on"][0]
    stranger = {**payload, "owner": world.outsider.pk}
    assert client.post(api(world.project.slug, "commitments/"), stranger, content_type=JSON).status_code == 400
    bad_source = {**payload, "source": "decisions.decision:999"}
    assert client.post(api(world.project.slug, "commitments/"), bad_source, content_type=JSON).status_code == 400
    assert (
        world.client("participant")
        .post(api(world.project.slug, "commitments/"), payload, content_type=JSON)
        .status_code
        == 403
    )
    assert Commitment.objects.count() == 1


def test_owners_post_updates_dropping_needs_a_reason_and_others_get_403(world):
    made = ft.commitment(world.project, created_by=world.facilitator, owner=world.participant)
    url = api(world.project.slug, f"commitments/{made.pk}/updates/")
    owner = world.client("participant")
    refused = owner.post(url, {"status": "dropped", "reason": "  "}, content_type=JSON)
    assert refused.status_code == 400 and "reason" in refused.json()
    ok = owner.post(url, {"text": "Begun", "status": "in_progress"}, content_type=JSON)
    assert ok.status_code == 201 and ok.json()["status_to"] == "in_progress"
    assert world.client("expert").post(url, {"text": "Hi"}, content_type=JSON).status_code == 403
    assert world.client("anonymous").post(url, {"text": "Hi"}, content_type=JSON).status_code == 403
    assert CommitmentUpdate.objects.filter(commitment=made, text="Begun").count() == 1


def test_feedback_through_the_api_anonymous_only_where_allowed_and_rate_limited(world, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "feedback": "1/h/ip"}
    url = api(world.project.slug, "feedback/")
    payload = {"text": "Quick and kind", "feeling": 5, "tags": ["staff"]}
    anonymous = world.client("anonymous")
    assert anonymous.post(url, payload, content_type=JSON).status_code == 403
    FeedbackSettings.objects.create(project=world.project, allow_anonymous=True)
    response = anonymous.post(url, payload, content_type=JSON)
    assert response.status_code == 201 and "text" not in response.json()  # private: not read back
    assert anonymous.post(url, payload, content_type=JSON).status_code == 429
    blank = world.client("participant").post(url, {**payload, "text": "   "}, content_type=JSON)
    assert blank.status_code == 400 and "text" in blank.json()
    assert world.client("participant").post(url, {**payload, "feeling": 7}, content_type=JSON).status_code == 400
    entered = world.client("facilitator").post(url, {**payload, "channel": "outreach"}, content_type=JSON)
    assert entered.status_code == 201
    assert world.client("participant").post(url, {**payload, "channel": "paper"}, content_type=JSON).status_code == 403
    assert FeedbackMoment.objects.filter(channel="outreach", entered_by=world.facilitator).count() == 1
    assert FeedbackMoment.objects.count() == 2


def test_the_openapi_document_describes_the_follow_through_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/projects/{slug}/commitments/" in paths
    assert "/api/projects/{slug}/commitments/{commitment_id}/updates/" in paths
    assert "/api/projects/{slug}/feedback/" in paths


def test_huge_or_impossible_user_ids_are_a_400_not_a_server_error(world):
    client = world.client("facilitator")
    url = api(world.project.slug, "commitments/")
    base = {"title": "API promise", "owner": world.expert.pk, "due_on": later()}
    for bad in (
        {"owner": 2**63},
        {"owner": 10**30},
        {"owner": 0},
        {"owner": -1},
        {"co_owners": [2**64]},
        {"co_owners": [0]},
        {"co_owners": list(range(1, 60))},
    ):
        response = client.post(url, {**base, **bad}, content_type=JSON)
        assert response.status_code == 400, (bad, response.status_code)
        assert set(response.json()) & {"owner", "co_owners"}, bad
    assert not Commitment.objects.exists()


def test_how_many_people_were_told_is_shown_only_to_facilitators(world):
    decision = ft.closed_proposal(
        world.project, proposer=world.participant, responders=[world.expert], closer=world.facilitator
    )
    made = ft.commitment(world.project, created_by=world.facilitator, source=decision, owner=world.participant)
    for persona in ("anonymous", "participant", "observer"):
        listed = world.client(persona).get(api(world.project.slug, "commitments/")).json()["results"][0]
        assert "recipients" not in listed["latest_update"], persona
        detail = world.client(persona).get(api(world.project.slug, f"commitments/{made.pk}/")).json()
        assert all("recipients" not in u for u in detail["updates"]), persona
    posted = world.client("participant").post(
        api(world.project.slug, f"commitments/{made.pk}/updates/"), {"text": "Begun"}, content_type=JSON
    )
    assert posted.status_code == 201 and "recipients" not in posted.json()
    detail = world.client("facilitator").get(api(world.project.slug, f"commitments/{made.pk}/")).json()
    assert [u["recipients"] for u in detail["updates"]] == [1, 2]  # the expert heard of "Begun"; both of the promise


def test_text_of_only_invisible_characters_is_refused_through_the_api(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    refused = client.post(
        api(world.project.slug, f"commitments/{made.pk}/updates/"),
        {"status": "dropped", "reason": "\u200b\u2060"},
        content_type=JSON,
    )
    assert refused.status_code == 400 and "reason" in refused.json()
    assert (
        client.post(
            api(world.project.slug, f"commitments/{made.pk}/updates/"), {"text": "\u200b"}, content_type=JSON
        ).status_code
        == 400
    )
    title = client.post(
        api(world.project.slug, "commitments/"),
        {"title": "\u200b", "owner": world.facilitator.pk, "due_on": later()},
        content_type=JSON,
    )
    assert title.status_code == 400 and "title" in title.json()
    feedback = world.client("participant").post(
        api(world.project.slug, "feedback/"), {"text": "\u200b \u200d", "feeling": 3}, content_type=JSON
    )
    assert feedback.status_code == 400 and "text" in feedback.json()
    made.refresh_from_db()
    assert made.status == "planned"
    assert Commitment.objects.count() == 1 and not FeedbackMoment.objects.exists()
