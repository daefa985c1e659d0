"""Follow-through in the REST API: the same rules as the pages, through real requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from copro.core.models import ActivityEntry, ResourceLink
from copro.followthrough import services
from copro.followthrough.models import Commitment, CommitmentUpdate, FeedbackMoment, FeedbackSettings, Milestone
from tests import factories
from tests import factories_followthrough as ft
from tests import factories_ideas as fi
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


# --- Facilitators' and owners' work through the API ----------------------------------------------


def delete(client, url):
    return client.delete(url, HTTP_X_CSRFTOKEN=client.csrf_token())


def commitment_url(made, rest=""):
    return api(made.project.slug, f"commitments/{made.pk}/{rest}")


def test_facilitators_change_a_commitment_and_moving_the_date_needs_a_message_that_people_hear(
    world, outbox, run_tasks
):
    decision = ft.closed_proposal(
        world.project, proposer=world.participant, responders=[world.expert], closer=world.facilitator
    )
    made = ft.commitment(world.project, created_by=world.facilitator, source=decision, title="Old words")
    run_tasks()
    outbox.collector.messages.clear()
    client = world.client("facilitator")
    url = commitment_url(made)
    moved = {"due_on": later(60)}
    refused = client.patch(url, moved, content_type=JSON)
    assert refused.status_code == 400 and "message" in refused.json()
    made.refresh_from_db()
    assert made.due_on.isoformat() == later(30)  # nothing half-saved

    response = client.patch(
        url,
        {
            **moved,
            "message": "The contractor needs another month.",
            "title": "New words",
            "owner": world.expert.pk,
            "co_owners": [world.participant.pk],
            "visibility": "members",
        },
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "New words" and body["due_on"] == later(60) and body["visibility"] == "members"
    assert body["owner_id"] == world.expert.pk and body["co_owner_ids"] == [world.participant.pk]
    assert body["updates"][0]["text"] == "The contractor needs another month."
    made.refresh_from_db()
    assert (made.title, made.owner_id, made.visibility) == ("New words", world.expert.pk, "members")
    assert list(made.co_owners.values_list("pk", flat=True)) == [world.participant.pk]
    assert ActivityEntry.objects.filter(verb="followthrough.edited").count() == 1
    run_tasks()
    told = outbox.to("participant@example.org")
    assert told and "The contractor needs another month." in outbox.text(told[0])

    # What is left out stays as it is: only the description changes.
    again = client.patch(url, {"description": "More detail"}, content_type=JSON)
    assert again.status_code == 200 and again.json()["co_owner_ids"] == [world.participant.pk]
    made.refresh_from_db()
    assert (made.description, made.title, made.due_on.isoformat()) == ("More detail", "New words", later(60))


def test_changing_a_commitment_is_for_facilitators_and_bad_changes_are_400s(world):
    made = ft.commitment(world.project, created_by=world.facilitator, owner=world.participant, title="Kept")
    hidden = ft.commitment(world.private_project, created_by=world.facilitator, title="Private")
    url = commitment_url(made)
    # Its owner posts updates, but changing the promise itself is the facilitators' (the page's rule too).
    assert world.client("participant").patch(url, {"title": "Mine now"}, content_type=JSON).status_code == 403
    assert world.client("anonymous").patch(url, {"title": "Mine now"}, content_type=JSON).status_code == 403
    assert (
        client_for(world.outsider).patch(commitment_url(hidden), {"title": "x"}, content_type=JSON).status_code == 404
    )
    client = world.client("facilitator")
    for bad, field in (
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"due_on": ft.past(3).isoformat(), "message": "Sooner"}, "due_on"),
        ({"due_on": "31/02/2027"}, "due_on"),
        ({"owner": world.outsider.pk}, "owner"),
        ({"owner": 2**63}, "owner"),
        ({"co_owners": [world.outsider.pk]}, "co_owners"),
        ({"co_owners": [0]}, "co_owners"),
        ({"visibility": "secret"}, "visibility"),
    ):
        response = client.patch(url, bad, content_type=JSON)
        assert response.status_code == 400, (bad, response.status_code)
        assert field in response.json(), (bad, response.json())
    made.refresh_from_db()
    assert (made.title, made.owner_id, made.visibility) == ("Kept", world.participant.pk, "public")
    assert not made.co_owners.exists() and not ActivityEntry.objects.filter(verb="followthrough.edited").exists()
    assert client.patch(api(world.project.slug, f"commitments/{10**30}/"), {}, content_type=JSON).status_code == 404


def test_the_same_change_sent_twice_with_one_idempotency_key_posts_the_message_once(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    key = "3f1c1a52-6d43-4a1b-9a4e-0d1f4f6a7b8c"
    change = {"due_on": later(45), "message": "Moved a fortnight."}
    first = client.patch(commitment_url(made), change, content_type=JSON, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 200
    assert client.patch(commitment_url(made), change, content_type=JSON, HTTP_IDEMPOTENCY_KEY=key).status_code == 409
    assert CommitmentUpdate.objects.filter(commitment=made, text="Moved a fortnight.").count() == 1


def test_a_status_change_with_its_reason_goes_through_an_update(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    url = commitment_url(made, "updates/")
    client = world.client("facilitator")
    response = client.post(url, {"status": "changed", "reason": "The council moved the budget."}, content_type=JSON)
    assert response.status_code == 201 and response.json()["reason"] == "The council moved the budget."
    made.refresh_from_db()
    assert (made.status, made.status_reason) == ("changed", "The council moved the budget.")
    detail = world.client("anonymous").get(commitment_url(made)).json()
    assert detail["status"] == "changed" and detail["status_reason"] == "The council moved the budget."
    assert "owner_id" not in detail and "co_owner_ids" not in detail  # user ids are for facilitators
    assert client.post(url, {"status": "finished"}, content_type=JSON).status_code == 400


def test_facilitators_link_a_commitment_to_another_source(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    idea = fi.idea(world.project, world.participant, title="Benches by the pond")
    url = commitment_url(made, "sources/")
    client = world.client("facilitator")
    response = client.post(url, {"source": f"ideas.idea:{idea.pk}"}, content_type=JSON)
    assert response.status_code == 201, response.content
    assert [(s["type"], s["title"]) for s in response.json()] == [("ideas.idea", "Benches by the pond")]
    assert client.post(url, {"source": f"ideas.idea:{idea.pk}"}, content_type=JSON).status_code == 201  # harmless
    assert ResourceLink.objects.filter(kind="commits_idea", target_id=made.pk).count() == 1
    # What people said shows on the commitment.
    assert world.client("anonymous").get(commitment_url(made)).json()["sources"][0]["title"] == "Benches by the pond"
    assert (
        world.client("participant").post(url, {"source": f"ideas.idea:{idea.pk}"}, content_type=JSON).status_code == 403
    )


def test_a_source_that_cannot_lead_to_a_commitment_is_a_400(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    still_open = factories.decision(
        world.project, method="single", options=["Benches", "Bins"], created_by=world.facilitator
    )
    elsewhere = fi.idea(world.private_project, world.participant)
    client = world.client("facilitator")
    url = commitment_url(made, "sources/")
    for bad in (
        f"decisions.decision:{still_open.pk}",  # not decided yet
        f"ideas.idea:{elsewhere.pk}",  # another project
        "ideas.idea:²",
        f"ideas.idea:{10**30}",
        "projects.project:1",
        "",
    ):
        response = client.post(url, {"source": bad}, content_type=JSON)
        assert response.status_code == 400 and "source" in response.json(), bad
    assert not ResourceLink.objects.filter(target_id=made.pk, kind__startswith="commits_").exists()


def test_owners_keep_milestones_add_tick_move_and_remove(world):
    made = ft.commitment(world.project, created_by=world.facilitator, owner=world.participant)
    owner = world.client("participant")
    url = commitment_url(made, "milestones/")
    ids = []
    for title in ("Survey", "Order", "Fit"):
        response = owner.post(url, {"title": title}, content_type=JSON)
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    assert [m["position"] for m in owner.get(url).json()] == [0, 1, 2]

    ticked = owner.patch(commitment_url(made, f"milestones/{ids[0]}/"), {"done": True}, content_type=JSON)
    assert ticked.status_code == 200 and ticked.json()["done_at"]
    assert Milestone.objects.get(pk=ids[0]).done_at is not None
    assert world.client("anonymous").get(commitment_url(made)).json()["progress"] == 33
    untick = owner.patch(commitment_url(made, f"milestones/{ids[0]}/"), {"done": False}, content_type=JSON)
    assert untick.status_code == 200 and Milestone.objects.get(pk=ids[0]).done_at is None

    moved = owner.post(commitment_url(made, f"milestones/{ids[2]}/move/"), {"direction": "up"}, content_type=JSON)
    assert moved.status_code == 200
    assert [m["title"] for m in moved.json()] == ["Survey", "Fit", "Order"]
    assert list(Milestone.objects.filter(commitment=made).values_list("title", flat=True)) == ["Survey", "Fit", "Order"]

    assert delete(owner, commitment_url(made, f"milestones/{ids[1]}/")).status_code == 204
    assert list(Milestone.objects.filter(commitment=made).values_list("title", flat=True)) == ["Survey", "Fit"]
    assert delete(owner, commitment_url(made, f"milestones/{ids[1]}/")).status_code == 404


def test_a_milestone_is_renamed_redated_and_ticked_by_patch_with_nothing_saved_when_any_part_is_wrong(world):
    made = ft.commitment(world.project, created_by=world.facilitator, owner=world.participant)
    step = services.milestone_add(commitment=made, user=world.facilitator, title="Survey")
    owner = world.client("participant")
    step_url = commitment_url(made, f"milestones/{step.pk}/")
    changed = owner.patch(step_url, {"title": "Survey both paths", "due_on": None, "done": True}, content_type=JSON)
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["title"] == "Survey both paths" and body["done_at"]
    # Only what is sent changes.
    soon = (made.due_on - timedelta(days=3)).isoformat()
    assert owner.patch(step_url, {"due_on": soon}, content_type=JSON).json()["title"] == "Survey both paths"
    step.refresh_from_db()
    assert (step.title, step.due_on.isoformat(), step.done_at is not None) == ("Survey both paths", soon, True)
    # One bad part: nothing saved, not even the tick sent with it.
    late = (made.due_on + timedelta(days=1)).isoformat()
    for bad, field in (
        ({"title": " ", "done": False}, "title"),
        ({"title": "x" * 201, "done": False}, "title"),
        ({"due_on": late, "done": False}, "due_on"),
    ):
        response = owner.patch(step_url, bad, content_type=JSON)
        assert response.status_code == 400 and field in response.json(), bad
    step.refresh_from_db()
    assert (step.title, step.due_on.isoformat(), step.done_at is not None) == ("Survey both paths", soon, True)
    assert world.client("expert").patch(step_url, {"title": "Mine"}, content_type=JSON).status_code == 403
    # Sent as a form, a rename leaves the tick alone (an absent box is not "false"); an empty form is a 400.
    form = "application/x-www-form-urlencoded"
    assert owner.patch(step_url, "title=Survey+the+paths", content_type=form).status_code == 200
    step.refresh_from_db()
    assert step.title == "Survey the paths" and step.done_at is not None
    assert owner.patch(step_url, "", content_type=form).status_code == 400
    step.refresh_from_db()
    assert step.done_at is not None
    # The commitment moved earlier than the step's date: renaming the step alone still works.
    Commitment.objects.filter(pk=made.pk).update(due_on=made.due_on - timedelta(days=10))
    assert owner.patch(step_url, {"title": "Survey"}, content_type=JSON).status_code == 200
    step.refresh_from_db()
    assert step.title == "Survey" and step.due_on.isoformat() == soon


def test_milestones_are_kept_by_facilitators_and_owners_only(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    step = services.milestone_add(commitment=made, user=world.facilitator, title="Step")
    hidden = ft.commitment(world.private_project, created_by=world.facilitator)
    for persona in ("expert", "participant", "anonymous"):
        client = world.client(persona)
        assert client.post(commitment_url(made, "milestones/"), {"title": "Mine"}, content_type=JSON).status_code == 403
        step_url = commitment_url(made, f"milestones/{step.pk}/")
        assert client.patch(step_url, {"done": True}, content_type=JSON).status_code == 403
        assert client.post(step_url + "move/", {"direction": "down"}, content_type=JSON).status_code == 403
        assert delete(client, step_url).status_code == 403
    outsider = client_for(world.outsider)
    assert outsider.get(commitment_url(hidden, "milestones/")).status_code == 404
    assert outsider.post(commitment_url(hidden, "milestones/"), {"title": "x"}, content_type=JSON).status_code == 404
    # A step of another commitment is not this one's.
    other = ft.commitment(world.project, created_by=world.facilitator)
    assert (
        world.client("facilitator")
        .patch(commitment_url(other, f"milestones/{step.pk}/"), {"done": True}, content_type=JSON)
        .status_code
        == 404
    )
    step.refresh_from_db()
    assert step.done_at is None and Milestone.objects.filter(commitment=made).count() == 1


def test_bad_milestones_are_400s_and_nothing_is_saved(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    url = commitment_url(made, "milestones/")
    for bad, field in (
        ({"title": "\u200b "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Late", "due_on": later(90)}, "due_on"),  # after the commitment itself
        ({"title": "Odd date", "due_on": "tomorrow"}, "due_on"),
    ):
        response = client.post(url, bad, content_type=JSON)
        assert response.status_code == 400 and field in response.json(), bad
    assert not Milestone.objects.exists()
    step = services.milestone_add(commitment=made, user=world.facilitator, title="Step")
    step_url = commitment_url(made, f"milestones/{step.pk}/")
    assert client.patch(step_url, {}, content_type=JSON).status_code == 400
    assert client.patch(step_url, {"done": "perhaps"}, content_type=JSON).status_code == 400
    assert client.post(step_url + "move/", {"direction": "sideways"}, content_type=JSON).status_code == 400
    assert (
        client.patch(commitment_url(made, f"milestones/{10**30}/"), {"done": True}, content_type=JSON).status_code
        == 404
    )
    step.refresh_from_db()
    assert step.done_at is None and step.position == 0


# --- Feedback: the team's side, and the giver's ----------------------------------------------------


def feedback_url(project, rest=""):
    return api(project.slug, f"feedback/{rest}")


def test_facilitators_list_the_feedback_received_and_nobody_else_may(world):
    kind = ft.feedback(world.project, text="Kind staff", feeling=5, contact="07700 900123", given_by=world.participant)
    ft.feedback(world.project, text="Long wait", feeling=1, triage="act_on")
    ft.feedback(world.private_project, text="Elsewhere", feeling=3)
    client = world.client("facilitator")
    body = client.get(feedback_url(world.project)).json()
    assert body["count"] == 2
    newest = body["results"][0]
    assert newest["text"] == "Long wait" and newest["triage"] == "act_on"
    assert body["results"][1]["contact"] == "07700 900123" and body["results"][1]["id"] == kind.pk
    only = client.get(feedback_url(world.project, "?triage=act_on")).json()
    assert [r["text"] for r in only["results"]] == ["Long wait"]
    assert client.get(feedback_url(world.project, "?triage=ignore")).status_code == 400
    for persona in ("participant", "expert", "observer", "anonymous"):
        assert world.client(persona).get(feedback_url(world.project)).status_code == 403, persona
    assert client_for(world.outsider).get(feedback_url(world.private_project)).status_code == 404


def test_the_giver_lists_and_reads_only_their_own_feedback_without_the_teams_notes(world):
    mine = services.feedback_give(
        project=world.project, text="The letter was clear", feeling=4, given_by=world.participant, contact="me@x.org"
    )
    ft.feedback(world.project, text="Someone else's", feeling=2, given_by=world.expert)
    commitment = ft.commitment(world.project, created_by=world.facilitator, title="Clearer letters")
    services.feedback_triage(
        feedback=mine, user=world.facilitator, triage="celebrate", note="Team only note", commitment=commitment
    )
    participant = world.client("participant")
    listed = participant.get(feedback_url(world.project, "mine/")).json()
    assert [r["text"] for r in listed["results"]] == ["The letter was clear"]
    item = listed["results"][0]
    assert item["read_by_team"] is True and item["commitment"] == {"id": commitment.pk, "title": "Clearer letters"}
    assert not {"triage_note", "contact", "triage", "channel", "entered_by"} & set(item)
    detail = participant.get(feedback_url(world.project, f"{mine.pk}/"))
    assert detail.status_code == 200 and "triage_note" not in detail.json()
    facilitator_view = world.client("facilitator").get(feedback_url(world.project, f"{mine.pk}/")).json()
    assert facilitator_view["triage_note"] == "Team only note" and facilitator_view["contact"] == "me@x.org"
    # Someone else's feedback does not exist for them; the list needs an account.
    assert world.client("expert").get(feedback_url(world.project, f"{mine.pk}/")).status_code == 404
    assert world.client("anonymous").get(feedback_url(world.project, f"{mine.pk}/")).status_code == 404
    assert world.client("anonymous").get(feedback_url(world.project, "mine/")).status_code == 403
    assert world.client("participant").get(feedback_url(world.project, f"{10**30}/")).status_code == 404


def test_practitioners_enter_feedback_for_someone_and_find_it_among_their_own(world):
    expert = world.client("expert")
    entered = expert.post(
        feedback_url(world.project),
        {"text": "Said at the drop-in: the ramp is too steep", "feeling": 2, "channel": "drop_in", "tags": ["access"]},
        content_type=JSON,
    )
    assert entered.status_code == 201, entered.content
    saved = FeedbackMoment.objects.get()
    assert (saved.entered_by_id, saved.given_by_id, saved.channel) == (world.expert.pk, None, "drop_in")
    mine = expert.get(feedback_url(world.project, "mine/")).json()["results"]
    assert [m["entered_for_someone"] for m in mine] == [True]
    # "online" is not a way feedback reaches a practitioner; participants cannot enter for others.
    online = expert.post(
        feedback_url(world.project), {"text": "x", "feeling": 3, "channel": "online"}, content_type=JSON
    )
    assert online.status_code == 400 and "channel" in online.json()
    paper = world.client("observer").post(
        feedback_url(world.project), {"text": "x", "feeling": 3, "channel": "paper"}, content_type=JSON
    )
    assert paper.status_code == 403
    assert FeedbackMoment.objects.count() == 1


def test_facilitators_triage_feedback_and_link_it_to_a_commitment(world):
    given = ft.feedback(world.project, text="The bus stop is dark", feeling=1)
    commitment = ft.commitment(world.project, created_by=world.facilitator, title="Light the stop")
    url = feedback_url(world.project, f"{given.pk}/triage/")
    client = world.client("facilitator")
    response = client.post(
        url, {"triage": "act_on", "note": "Ask the council", "commitment": commitment.pk}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert response.json()["commitment"] == {"id": commitment.pk, "title": "Light the stop"}
    given.refresh_from_db()
    assert (given.triage, given.triage_note, given.commitment_id, given.triaged_by_id) == (
        "act_on",
        "Ask the council",
        commitment.pk,
        world.facilitator.pk,
    )
    # What is left out stays; null unlinks.
    client.post(url, {"triage": "pass_on"}, content_type=JSON)
    given.refresh_from_db()
    assert (given.triage, given.triage_note, given.commitment_id) == ("pass_on", "Ask the council", commitment.pk)
    client.post(url, {"triage": "pass_on", "commitment": None}, content_type=JSON)
    given.refresh_from_db()
    assert given.commitment_id is None
    for persona in ("participant", "expert", "anonymous"):
        assert world.client(persona).post(url, {"triage": "celebrate"}, content_type=JSON).status_code in (403, 404)
    assert world.client("participant").post(url, {"triage": "celebrate"}, content_type=JSON).status_code == 403
    given.refresh_from_db()
    assert given.triage == "pass_on"


def test_bad_triage_is_a_400_and_nothing_changes(world):
    given = ft.feedback(world.project, text="Too many forms", feeling=2)
    elsewhere = ft.commitment(world.private_project, created_by=world.facilitator)
    client = world.client("facilitator")
    url = feedback_url(world.project, f"{given.pk}/triage/")
    for bad, field in (
        ({"triage": "ignore"}, "triage"),
        ({}, "triage"),
        ({"triage": "act_on", "commitment": elsewhere.pk}, "commitment"),
        ({"triage": "act_on", "commitment": 2**63}, "commitment"),
        ({"triage": "act_on", "commitment": "²"}, "commitment"),
        ({"triage": "act_on", "note": "x" * 3001}, "note"),
    ):
        response = client.post(url, bad, content_type=JSON)
        assert response.status_code == 400 and field in response.json(), (bad, response.content)
    given.refresh_from_db()
    assert (given.triage, given.triage_note, given.commitment_id, given.triaged_at) == ("new", "", None, None)


def test_an_excerpt_is_shared_only_with_consent_and_can_be_unshared(world):
    agreed = ft.feedback(
        world.project, text="The new ramp made all the difference to me.", feeling=5, consent_to_share=True
    )
    private = ft.feedback(world.project, text="Please keep this between us.", feeling=2)
    client = world.client("facilitator")
    url = feedback_url(world.project, f"{agreed.pk}/share/")
    shared = client.post(url, {"excerpt": "The new ramp made all the difference"}, content_type=JSON)
    assert shared.status_code == 200, shared.content
    assert shared.json()["shared_excerpt"] == "The new ramp made all the difference"
    agreed.refresh_from_db()
    assert agreed.shared_at is not None and agreed.public_excerpt == "The new ramp made all the difference"
    assert ActivityEntry.objects.filter(verb="followthrough.feedback_shared").count() == 1

    refused = client.post(feedback_url(world.project, f"{private.pk}/share/"), {"excerpt": "Please"}, content_type=JSON)
    assert refused.status_code == 400 and "did not agree" in str(refused.json())
    changed = client.post(url, {"excerpt": "The ramp was wonderful"}, content_type=JSON)  # words not theirs
    assert changed.status_code == 400 and "excerpt" in changed.json()
    assert client.post(url, {"excerpt": "  "}, content_type=JSON).status_code == 400
    private.refresh_from_db()
    agreed.refresh_from_db()
    assert private.shared_at is None and agreed.public_excerpt == "The new ramp made all the difference"

    assert world.client("participant").post(url, {"excerpt": "The new ramp"}, content_type=JSON).status_code == 403
    assert delete(world.client("participant"), url).status_code == 403
    unshared = delete(client, url)
    assert unshared.status_code == 200 and unshared.json()["shared_excerpt"] == ""
    agreed.refresh_from_db()
    assert agreed.shared_at is None


def test_the_giver_withdraws_consent_and_nobody_else_can(world):
    given = services.feedback_give(
        project=world.project, text="Quote me: great help", feeling=5, given_by=world.participant, consent_to_share=True
    )
    services.feedback_share(feedback=given, user=world.facilitator, excerpt="great help")
    url = feedback_url(world.project, f"{given.pk}/consent/")
    assert delete(world.client("facilitator"), url).status_code == 403
    assert delete(world.client("expert"), url).status_code == 404
    given.refresh_from_db()
    assert given.consent_to_share and given.shared_at is not None
    response = delete(world.client("participant"), url)
    assert response.status_code == 200 and response.json()["consent_to_share"] is False
    given.refresh_from_db()
    assert (given.consent_to_share, given.shared_at, given.public_excerpt) == (False, None, "")


def test_facilitators_keep_the_feedback_settings(world):
    client = world.client("facilitator")
    url = feedback_url(world.project, "settings/")
    assert client.get(url).json() == {"allow_anonymous": False, "anonymous_allowed": False, "intro": ""}
    response = client.patch(
        url, {"allow_anonymous": True, "intro": "The team reads it every Monday."}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "allow_anonymous": True,
        "anonymous_allowed": True,
        "intro": "The team reads it every Monday.",
    }
    saved = FeedbackSettings.objects.get(project=world.project)
    assert saved.allow_anonymous and saved.updated_by_id == world.facilitator.pk
    # Only what is sent changes; the givers read what they are told.
    client.patch(url, {"intro": "Read on Mondays."}, content_type=JSON)
    saved.refresh_from_db()
    assert saved.allow_anonymous and saved.intro == "Read on Mondays."
    # Sent as a form too: a box left out is kept as it is, not read as "false".
    form = client.patch(url, "intro=Read+on+Mondays.", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 200 and form.json()["allow_anonymous"] is True
    assert world.client("anonymous").get(url).json()["intro"] == "Read on Mondays."
    # Now anyone may give feedback without an account.
    given = world.client("anonymous").post(
        feedback_url(world.project), {"text": "Hello", "feeling": 4}, content_type=JSON
    )
    assert given.status_code == 201
    # A private project never takes feedback without an account, whatever is chosen.
    private = client.patch(
        feedback_url(world.private_project, "settings/"), {"allow_anonymous": True}, content_type=JSON
    )
    assert private.status_code == 200 and private.json()["anonymous_allowed"] is False


def test_feedback_settings_are_changed_by_facilitators_only_and_bad_input_is_a_400(world):
    url = feedback_url(world.project, "settings/")
    for persona in ("participant", "expert", "observer", "anonymous"):
        assert world.client(persona).patch(url, {"allow_anonymous": True}, content_type=JSON).status_code == 403
    assert client_for(world.outsider).get(feedback_url(world.private_project, "settings/")).status_code == 404
    client = world.client("facilitator")
    too_long = client.patch(url, {"allow_anonymous": True, "intro": "x" * 1001}, content_type=JSON)
    assert too_long.status_code == 400 and "intro" in too_long.json()
    odd = client.patch(url, {"allow_anonymous": "perhaps"}, content_type=JSON)
    assert odd.status_code == 400 and "allow_anonymous" in odd.json()
    assert not FeedbackSettings.objects.exists()


def test_the_openapi_document_describes_the_facilitators_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "patch" in paths["/api/projects/{slug}/commitments/{commitment_id}/"]
    for path in (
        "/api/projects/{slug}/commitments/{commitment_id}/sources/",
        "/api/projects/{slug}/commitments/{commitment_id}/milestones/",
        "/api/projects/{slug}/commitments/{commitment_id}/milestones/{milestone_id}/",
        "/api/projects/{slug}/commitments/{commitment_id}/milestones/{milestone_id}/move/",
        "/api/projects/{slug}/feedback/mine/",
        "/api/projects/{slug}/feedback/settings/",
        "/api/projects/{slug}/feedback/{feedback_id}/",
        "/api/projects/{slug}/feedback/{feedback_id}/triage/",
        "/api/projects/{slug}/feedback/{feedback_id}/share/",
        "/api/projects/{slug}/feedback/{feedback_id}/consent/",
    ):
        assert path in paths, path
    assert "get" in paths["/api/projects/{slug}/feedback/"]


def test_the_feedback_list_and_a_commitments_milestones_take_the_same_queries_at_any_size(
    world, django_assert_max_num_queries
):
    client = world.client("facilitator")
    made = ft.commitment(world.project, created_by=world.facilitator)
    for n in (2, 30):
        FeedbackMoment.objects.all().delete()
        Milestone.objects.all().delete()
        for i in range(n):
            ft.feedback(world.project, text=f"Feedback {i}", feeling=3, entered_by=world.expert, commitment=made)
            services.milestone_add(commitment=made, user=world.facilitator, title=f"Step {i}")
        with django_assert_max_num_queries(12):
            assert client.get(feedback_url(world.project)).json()["count"] == n
        with django_assert_max_num_queries(12):
            assert len(client.get(commitment_url(made, "milestones/")).json()) == n
        with django_assert_max_num_queries(20):
            assert len(client.get(commitment_url(made)).json()["milestones"]) == n
