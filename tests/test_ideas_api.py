"""Ideas in the REST API: the same access rules and services as the pages."""

from __future__ import annotations

import uuid

from copro.ideas import services
from copro.ideas.models import Idea, IdeaComment, Participation, ReviewScore
from tests import factories
from tests.conftest import client_for
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


# --- Facilitators' and authors' work through the API ---------------------------------------------

JSON = "application/json"


def send(client, method: str, url: str, data=None):  # type: ignore[no-untyped-def]
    """PUT / POST / DELETE JSON with the CSRF header, as a browser script would."""
    call = getattr(client, method)
    return call(url, data, content_type=JSON, HTTP_X_CSRFTOKEN=client.csrf_token())


def rounds_api(project, *parts) -> str:
    return f"/api/projects/{project.slug}/idea-reviews/" + "".join(f"{p}/" for p in parts)


def test_huge_or_odd_ids_are_a_404_or_400_never_a_server_error(world):
    client = world.client("facilitator")
    the_idea = idea(world.project, world.participant)
    huge = "9" * 30
    assert client.get(api(world.project, huge)).status_code == 404
    assert client.get(rounds_api(world.project, huge)).status_code == 404
    for value in (huge, "²", "①", "١٢", -3, 0, True, "x"):
        response = send(client, "post", api(world.project, the_idea.pk, "merge"), {"target": value})
        assert response.status_code == 400 and "target" in response.json(), value
        response = send(client, "post", api(world.project, the_idea.pk, "co-authors"), {"user": value})
        assert response.status_code == 400 and "user" in response.json(), value


def test_staff_enter_an_idea_received_offline_with_its_channel_and_who_entered_it(world):
    from copro.ideas.models import EventKind, IdeaEvent

    client = world.client("facilitator")
    choices = client.get(api(world.project, "enter")).json()
    assert {c["value"] for c in choices["channels"]} == {"paper", "phone", "drop_in", "outreach"}
    assert world.participant.pk in {a["user"] for a in choices["authors"]}
    # Entered for a member, while the project is closed to new ideas online.
    services.space_update(user=world.facilitator, project=world.project, is_open=False, participation="members")
    data = {
        "channel": "paper",
        "author": world.participant.pk,
        "title": "A crossing " + XSS,
        "problem": "Cars",
        "proposal": "Zebra",
        "scope_items": [fixed_item(world.project).pk],
    }
    response = send(client, "post", api(world.project, "enter"), data)
    assert response.status_code == 201, response.content
    body = response.json()
    made = Idea.objects.get(pk=body["id"])
    assert made.channel == "paper" and made.entered_by == world.facilitator and made.author == world.participant
    assert body["channel"] == "paper" and body["entered_by"] == world.facilitator.public_name
    assert body["author"] == world.participant.public_name and body["touches_fixed"] is True
    assert IdeaEvent.objects.get(idea=made, kind=EventKind.SUBMITTED).data == {"channel": "paper"}
    # Someone without an account, named as they wish.
    response = send(
        client,
        "post",
        api(world.project, "enter"),
        {**data, "channel": "phone", "author": None, "author_name": "Mrs Jones"},
    )
    assert response.status_code == 201
    assert response.json()["author"] == "Mrs Jones" and Idea.objects.get(pk=response.json()["id"]).author is None


def test_staff_entry_is_for_facilitators_and_bad_input_is_a_400_with_nothing_saved(world):
    data = {"channel": "paper", "title": "t", "problem": "p", "proposal": "q"}
    for persona, code in (("participant", 403), ("observer", 403), ("anonymous", 403)):
        assert send(world.client(persona), "post", api(world.project, "enter"), data).status_code == code, persona
        assert world.client(persona).get(api(world.project, "enter")).status_code == code
    assert world.client("outsider").get(api(world.private_project, "enter")).status_code == 404
    assert send(world.client("outsider"), "post", api(world.private_project, "enter"), data).status_code == 404
    client = world.client("facilitator")
    for bad, field in (
        ({**data, "channel": "online"}, "channel"),
        ({**data, "channel": "pigeon"}, "channel"),
        ({**data, "title": ""}, "title"),
        ({**data, "author": world.outsider.pk}, "author"),
        ({**data, "author": 10**30}, "author"),
        ({**data, "cost_estimate": -1}, "cost_estimate"),
        ({**data, "author_name": "x" * 101}, "author_name"),
    ):
        response = send(client, "post", api(world.project, "enter"), bad)
        assert response.status_code == 400 and field in response.json(), (bad, response.content)
    assert not Idea.objects.exists()


def test_authors_revise_their_idea_and_every_version_stays(world):
    made = idea(world.project, world.participant, title="First title", co_authors=[world.expert])
    data = {
        "title": "Second title",
        "problem": made.problem,
        "proposal": "Better " + XSS,
        "scope_items": [fixed_item(world.project).pk],
        "note": "Clearer",
    }
    for persona in ("participant", "expert", "facilitator"):  # lead author, co-author, facilitator
        data["title"] = f"Title by {persona}"
        response = send(world.client(persona), "put", api(world.project, made.pk), data)
        assert response.status_code == 200, (persona, response.content)
    body = response.json()
    assert body["title"] == "Title by facilitator" and body["version"] == 4 and body["touches_fixed"] is True
    versions = world.client("anonymous").get(api(world.project, made.pk, "versions")).json()
    assert [v["number"] for v in versions] == [4, 3, 2, 1]
    assert versions[-1]["title"] == "First title" and versions[0]["note"] == "Clearer"
    history = world.client("anonymous").get(api(world.project, made.pk, "history")).json()
    assert [e["kind"] for e in history] == ["submitted", "revised", "revised", "revised"]


def test_revising_is_refused_to_others_and_bad_input_changes_nothing(world):
    made = idea(world.project, world.participant, title="First title")
    data = {"title": "Other", "problem": "p", "proposal": "q"}
    assert send(world.client("observer"), "put", api(world.project, made.pk), data).status_code == 403
    assert send(world.client("expert"), "put", api(world.project, made.pk), data).status_code == 403
    assert send(world.client("anonymous"), "put", api(world.project, made.pk), data).status_code == 403
    secret = idea(world.private_project, world.participant)
    assert send(world.client("outsider"), "put", api(world.private_project, secret.pk), data).status_code == 404
    client = world.client("participant")
    response = send(client, "put", api(world.project, made.pk), {**data, "title": ""})
    assert response.status_code == 400 and "title" in response.json()
    response = send(client, "put", api(world.project, made.pk), {**data, "note": "n" * 501})
    assert response.status_code == 400 and "note" in response.json()
    same = {"title": made.title, "problem": made.problem, "proposal": made.proposal}
    assert send(client, "put", api(world.project, made.pk), same).status_code == 400  # nothing was changed
    made.refresh_from_db()
    assert made.title == "First title" and made.version == 1


def test_facilitators_change_a_status_with_a_reason_and_the_people_are_told(world, run_tasks, outbox):
    made = idea(world.project, world.participant, co_authors=[world.expert])
    services.idea_support(user=world.observer, idea=made)
    client = world.client("facilitator")
    response = send(
        client, "post", api(world.project, made.pk, "status"), {"status": "not_taken", "reason": "Too dear " + XSS}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "not_taken" and response.json()["status_reason"] == "Too dear " + XSS
    made.refresh_from_db()
    assert made.status == "not_taken"
    run_tasks()
    for address in ("participant@example.org", "expert@example.org", "observer@example.org"):
        assert outbox.to(address), address
        assert "Too dear <script>" in outbox.text(outbox.to(address)[-1])
    history = client.get(api(world.project, made.pk, "history")).json()
    assert history[-1]["kind"] == "status" and history[-1]["new_status"] == "not_taken"


def test_status_changes_are_for_facilitators_and_a_reason_is_needed_to_turn_an_idea_down(world):
    made = idea(world.project, world.participant)
    url = api(world.project, made.pk, "status")
    for persona in ("participant", "expert", "observer", "outsider", "anonymous"):
        assert send(world.client(persona), "post", url, {"status": "shortlisted"}).status_code == 403, persona
    client = world.client("facilitator")
    for bad, field in (
        ({"status": "not_taken"}, "reason"),
        ({"status": "not_taken", "reason": "  "}, "reason"),
        ({"status": "binned"}, "status"),
        ({"status": "submitted"}, "status"),  # it already has it
        ({"status": "shortlisted", "reason": "r" * 2001}, "reason"),
    ):
        response = send(client, "post", url, bad)
        assert response.status_code == 400 and field in response.json(), (bad, response.content)
    made.refresh_from_db()
    assert made.status == "submitted"


def test_an_idea_taken_to_a_decision_is_linked_to_it(world):
    decision = factories.decision(world.project, title="Which crossing", method="single", options=["A", "B"])
    made = idea(world.project, world.participant)
    client = world.client("facilitator")
    url = api(world.project, made.pk, "decisions")
    # Only an idea taken to a decision is linked to one.
    response = send(client, "post", url, {"decision": decision.pk})
    assert response.status_code == 400 and "decision" in response.json()
    assert send(client, "post", api(world.project, made.pk, "status"), {"status": "taken"}).json()["decisions"] == []
    response = send(client, "post", url, {"decision": decision.pk})
    assert response.status_code == 200 and response.json()["decisions"] == [decision.pk]
    assert send(client, "post", url, {"decision": decision.pk}).json()["decisions"] == [decision.pk]  # once
    assert [e["kind"] for e in client.get(api(world.project, made.pk, "history")).json()].count("decision") == 1
    # Straight from the status change, too.
    other = idea(world.project, world.expert)
    response = send(
        client, "post", api(world.project, other.pk, "status"), {"status": "taken", "decision": decision.pk}
    )
    assert response.status_code == 200 and response.json()["decisions"] == [decision.pk]


def test_linking_a_decision_is_for_facilitators_and_only_to_a_published_decision_of_the_project(world):
    made = idea(world.project, world.participant)
    services.idea_set_status(user=world.facilitator, idea=made, status="taken")
    elsewhere = factories.decision(world.private_project, method="single", options=["A", "B"])
    draft = factories.decision(world.project, method="single", options=["A", "B"], status="draft")
    mine = factories.decision(world.project, method="single", options=["A", "B"])
    url = api(world.project, made.pk, "decisions")
    assert send(world.client("participant"), "post", url, {"decision": mine.pk}).status_code == 403
    for value in (elsewhere.pk, draft.pk, 10**30, "x"):
        response = send(world.client("facilitator"), "post", url, {"decision": value})
        assert response.status_code == 400 and "decision" in response.json(), value
    assert world.client("anonymous").get(api(world.project, made.pk)).json()["decisions"] == []


def test_facilitators_merge_a_duplicate_and_the_history_is_kept(world, run_tasks, outbox):
    duplicate = idea(world.project, world.participant, title="Crossing A")
    keeper = idea(world.project, world.expert, title="Crossing B")
    services.idea_support(user=world.observer, idea=duplicate)
    services.idea_support(user=world.observer, idea=keeper)
    client = world.client("facilitator")
    response = send(
        client, "post", api(world.project, duplicate.pk, "merge"), {"target": keeper.pk, "note": "Same crossing"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == keeper.pk and body["support_count"] == 1  # the observer counts once
    assert set(body["authors"]) == {world.participant.public_name, world.expert.public_name}
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == keeper.pk
    assert client.get(api(world.project, duplicate.pk)).json()["merged_into"] == keeper.pk
    history = client.get(api(world.project, keeper.pk, "history")).json()
    assert history[-1]["kind"] == "merged_from" and history[-1]["other_idea"]["id"] == duplicate.pk
    run_tasks()
    assert outbox.to("participant@example.org")


def test_merging_is_for_facilitators_and_refuses_bad_targets(world):
    duplicate = idea(world.project, world.participant)
    keeper = idea(world.project, world.expert)
    elsewhere = idea(world.private_project, world.expert)
    url = api(world.project, duplicate.pk, "merge")
    assert send(world.client("participant"), "post", url, {"target": keeper.pk}).status_code == 403
    secret = idea(world.private_project, world.participant)
    assert (
        send(world.client("outsider"), "post", api(world.private_project, secret.pk, "merge"), {"target": 1})
    ).status_code == 404
    client = world.client("facilitator")
    for value in (duplicate.pk, elsewhere.pk, None):
        response = send(client, "post", url, {"target": value})
        assert response.status_code == 400 and "target" in response.json(), value
    response = send(client, "post", url, {"target": keeper.pk, "note": "n" * 2001})
    assert response.status_code == 400 and "note" in response.json()
    assert not Idea.objects.filter(merged_into__isnull=False).exists()
    # A merged idea is kept as it was.
    services.idea_merge(user=world.facilitator, source=duplicate, target=keeper)
    response = send(client, "post", api(world.project, keeper.pk, "merge"), {"target": duplicate.pk})
    assert response.status_code == 400 and "target" in response.json()


def test_facilitators_split_an_idea_and_the_parts_link_back(world):
    whole = idea(world.project, world.participant, co_authors=[world.expert], scope_items=[can_item(world.project)])
    parts = [
        {"title": "Part one", "proposal": "Do one " + XSS},
        {"title": "Part two", "proposal": "Do two", "problem": "Its own problem", "cost_estimate": 500},
    ]
    response = send(world.client("facilitator"), "post", api(world.project, whole.pk, "split"), {"parts": parts})
    assert response.status_code == 201, response.content
    made = response.json()
    assert [p["title"] for p in made] == ["Part one", "Part two"]
    assert all(p["split_from"] == whole.pk for p in made) and made[1]["cost_estimate"] == 500
    first = Idea.objects.get(pk=made[0]["id"])
    assert first.problem == whole.problem and first.proposal == "Do one " + XSS
    assert set(first.authorships.values_list("user_id", flat=True)) == {world.participant.pk, world.expert.pk}
    whole.refresh_from_db()
    assert whole.split_at is not None
    history = world.client("anonymous").get(api(world.project, whole.pk, "history")).json()
    assert history[-1]["kind"] == "split_into"


def test_splitting_is_for_facilitators_and_bad_parts_are_named_with_nothing_saved(world):
    whole = idea(world.project, world.participant)
    url = api(world.project, whole.pk, "split")
    two = [{"title": "A", "proposal": "a"}, {"title": "B", "proposal": "b"}]
    assert send(world.client("participant"), "post", url, {"parts": two}).status_code == 403
    client = world.client("facilitator")
    response = send(client, "post", url, {"parts": two[:1]})
    assert response.status_code == 400 and "parts" in response.json()
    response = send(client, "post", url, {"parts": two * 4})
    assert response.status_code == 400 and "parts" in response.json()
    response = send(client, "post", url, {"parts": [two[0], {"title": "", "proposal": "b"}]})
    assert response.status_code == 400 and "title_2" in response.json()
    assert Idea.objects.count() == 1
    whole.refresh_from_db()
    assert whole.split_at is None


def test_authors_add_co_authors_who_are_told_and_co_authors_can_leave(world, run_tasks, outbox):
    made = idea(world.project, world.participant)
    client = world.client("participant")
    listed = client.get(api(world.project, made.pk, "co-authors")).json()
    assert [a["user"] for a in listed["authors"]] == [world.participant.pk]
    assert world.expert.pk in {c["user"] for c in listed["candidates"]}
    assert world.observer.pk not in {c["user"] for c in listed["candidates"]}
    assert world.client("expert").get(api(world.project, made.pk, "co-authors")).json()["candidates"] is None
    response = send(client, "post", api(world.project, made.pk, "co-authors"), {"user": world.expert.pk})
    assert response.status_code == 201, response.content
    assert [a["user"] for a in response.json()["authors"]] == [world.participant.pk, world.expert.pk]
    run_tasks()
    assert "co-author" in outbox.text(outbox.to("expert@example.org")[0])
    # The co-author leaves; the one who put it forward cannot.
    response = send(world.client("expert"), "post", api(world.project, made.pk, "co-authors", "leave"))
    assert response.status_code == 200
    assert [a["left_at"] is not None for a in response.json()["authors"]] == [False, True]
    response = send(client, "post", api(world.project, made.pk, "co-authors", "leave"))
    assert response.status_code == 400
    history = client.get(api(world.project, made.pk, "history")).json()
    assert [e["kind"] for e in history] == ["submitted", "co_author_added", "co_author_left"]


def test_adding_co_authors_is_for_authors_and_facilitators_and_only_members_who_take_part(world):
    made = idea(world.project, world.participant)
    url = api(world.project, made.pk, "co-authors")
    assert send(world.client("expert"), "post", url, {"user": world.expert.pk}).status_code == 403
    assert send(world.client("anonymous"), "post", url, {"user": world.expert.pk}).status_code == 403
    assert send(world.client("anonymous"), "post", url + "leave/").status_code == 403
    client = world.client("participant")
    for value in (world.observer.pk, world.outsider.pk, world.participant.pk, 10**30):
        response = send(client, "post", url, {"user": value})
        assert response.status_code == 400 and "user" in response.json(), value
    assert made.authorships.count() == 1
    assert send(world.client("facilitator"), "post", url, {"user": world.expert.pk}).status_code == 201


def _round_data(ideas, **extra):  # type: ignore[no-untyped-def]
    return {"title": "Round one " + XSS, "instructions": "Be kind", "ideas": [i.pk for i in ideas], **extra}


def test_facilitators_run_a_review_round_through_the_api(world, run_tasks, outbox):
    first = idea(world.project, world.participant, title="First")
    second = idea(world.project, world.observer, title="Second")
    client = world.client("facilitator")
    criteria = [
        {"name": "Difference", "low_label": "Little", "high_label": "Lots", "scale_max": 4},
        {"name": "Cost", "question": "Worth it?", "low_label": "Dear", "high_label": "Cheap"},
    ]
    response = send(client, "post", rounds_api(world.project), _round_data([first, second], criteria=criteria))
    assert response.status_code == 201, response.content
    body = response.json()
    round_id = body["id"]
    assert body["status"] == "draft" and [c["scale_max"] for c in body["criteria"]] == [4, 5]
    assert [i["id"] for i in body["ideas"]] == [first.pk, second.pk]
    # Reviewers being prepared: a draft is a 404 for members.
    assert world.client("participant").get(rounds_api(world.project, round_id)).status_code == 404
    assert [r["id"] for r in world.client("participant").get(rounds_api(world.project)).json()] == []
    # Change it while it is being prepared.
    response = send(
        client, "put", rounds_api(world.project, round_id), _round_data([first], criteria=criteria[:1], title="R")
    )
    assert response.status_code == 200 and response.json()["title"] == "R"
    assert [i["id"] for i in response.json()["ideas"]] == [first.pk]
    # Invite a peer, an expert and someone by email.
    candidates = client.get(rounds_api(world.project, round_id, "reviewers")).json()["candidates"]
    assert {c["user"] for c in candidates} == {world.participant.pk, world.expert.pk}
    response = send(
        client,
        "post",
        rounds_api(world.project, round_id, "reviewers"),
        {"members": [world.participant.pk, world.expert.pk], "emails": ["Prof@Example.org"]},
    )
    assert response.status_code == 201, response.content
    assert sorted(r["kind"] for r in response.json()) == ["expert", "expert", "peer"]
    assert (
        send(client, "post", rounds_api(world.project, round_id, "reviewers"), {"members": [world.expert.pk]}).json()
        == []
    )  # already invited
    reviewers = client.get(rounds_api(world.project, round_id, "reviewers")).json()["reviewers"]
    by_email = next(r for r in reviewers if r["user"] is None)
    assert by_email["name"] == "prof@example.org" and not any(r["reviewed"] for r in reviewers)
    response = send(client, "delete", rounds_api(world.project, round_id, "reviewers", by_email["id"]))
    assert response.status_code == 204 and len(client.get(rounds_api(world.project, round_id)).json()["reviewers"]) == 2
    # Open it: the idea moves to under review, reviewers are told.
    response = send(client, "post", rounds_api(world.project, round_id, "open"))
    assert response.status_code == 200 and response.json()["status"] == "open"
    first.refresh_from_db()
    assert first.status == "under_review"
    run_tasks()
    assert outbox.to("expert@example.org")
    expert_view = world.client("expert").get(rounds_api(world.project, round_id)).json()
    assert expert_view["you_review_as"] == "expert" and expert_view["reviewers"] is None
    assert expert_view["ideas"][0]["answered"] == 0 and expert_view["results_visible"] is False
    # The participant wrote the idea: it is theirs, not theirs to review.
    assert world.client("participant").get(rounds_api(world.project, round_id)).json()["ideas"][0]["yours"] is True
    # Close it.
    response = send(client, "post", rounds_api(world.project, round_id, "close"))
    assert response.status_code == 200 and response.json()["status"] == "closed"
    listed = world.client("expert").get(rounds_api(world.project)).json()
    assert [(r["id"], r["invited"]) for r in listed] == [(round_id, True)]


def test_review_rounds_are_for_facilitators_to_run(world):
    made = idea(world.project, world.participant)
    the_round = review_round(world.project, world.facilitator, [made], experts=(world.expert,), open=False)
    for persona in ("participant", "expert", "observer"):
        client = world.client(persona)
        assert send(client, "post", rounds_api(world.project), _round_data([made])).status_code == 403
        assert send(client, "put", rounds_api(world.project, the_round.pk), _round_data([made])).status_code in (
            403,
            404,
        )
        assert client.get(rounds_api(world.project, the_round.pk, "reviewers")).status_code in (403, 404)
        for action in ("open", "close", "reviewers"):
            assert send(client, "post", rounds_api(world.project, the_round.pk, action), {}).status_code in (403, 404)
    services.round_open(user=world.facilitator, round=the_round)
    for persona in ("participant", "expert", "observer"):
        client = world.client(persona)
        assert send(client, "post", rounds_api(world.project, the_round.pk, "close")).status_code == 403
        assert client.get(rounds_api(world.project, the_round.pk, "reviewers")).status_code == 403
        reviewer = the_round.reviewers.get()
        url = rounds_api(world.project, the_round.pk, "reviewers", reviewer.pk)
        assert send(client, "delete", url).status_code == 403
    assert world.client("outsider").get(rounds_api(world.private_project)).status_code == 404
    assert world.client("anonymous").get(rounds_api(world.project)).status_code == 403
    the_round.refresh_from_db()
    assert the_round.status == "open"


def test_bad_round_input_is_a_400_with_the_field_and_nothing_is_saved(world):
    from copro.ideas.models import Reviewer, ReviewRound

    made = idea(world.project, world.participant)
    turned_down = idea(world.project, world.expert)
    services.idea_set_status(user=world.facilitator, idea=turned_down, status="not_taken", reason="No")
    client = world.client("facilitator")
    bad_criteria = [{"name": "Cost", "low_label": "", "high_label": "Cheap"}]
    for data, field in (
        (_round_data([made], title=""), "title"),
        (_round_data([turned_down]), "ideas"),
        ({**_round_data([made]), "ideas": ["x"]}, "ideas"),
        (_round_data([made], criteria=bad_criteria), "low_label_1"),
        (_round_data([made], criteria=[{**bad_criteria[0], "low_label": "Dear", "scale_max": 11}]), "scale_max_1"),
    ):
        response = send(client, "post", rounds_api(world.project), data)
        assert response.status_code == 400 and field in response.json(), (data, response.content)
    response = send(client, "post", rounds_api(world.project), _round_data([made], criteria=[]))
    assert response.status_code == 400
    assert not ReviewRound.objects.exists()
    # The suggested criteria when none are sent.
    response = send(client, "post", rounds_api(world.project), _round_data([made]))
    assert response.status_code == 201 and len(response.json()["criteria"]) == 6
    round_id = response.json()["id"]
    response = send(client, "put", rounds_api(world.project, round_id), _round_data([made]))
    assert response.status_code == 400 and "criteria" in response.json()
    # Opening without reviewers is refused; so are people who cannot review.
    response = send(client, "post", rounds_api(world.project, round_id, "open"))
    assert response.status_code == 400 and "reviewer" in str(response.json())
    url = rounds_api(world.project, round_id, "reviewers")
    for data, field in (
        ({"members": [world.observer.pk]}, "members"),
        ({"members": [world.outsider.pk]}, "members"),
        ({"members": [10**30]}, "members"),
        ({"emails": ["not an address"]}, "emails"),
        ({"emails": ["observer@example.org"]}, "emails"),
    ):
        response = send(client, "post", url, data)
        assert response.status_code == 400 and field in response.json(), (data, response.content)
    assert not Reviewer.objects.exists()
    # Once open, its reviewers stay, and criteria are fixed.
    services.reviewers_invite(user=world.facilitator, round=ReviewRound.objects.get(), members=[world.expert])
    assert send(client, "post", rounds_api(world.project, round_id, "open")).status_code == 200
    reviewer = Reviewer.objects.get()
    assert send(client, "delete", rounds_api(world.project, round_id, "reviewers", reviewer.pk)).status_code == 400
    assert send(client, "delete", rounds_api(world.project, round_id, "reviewers", 10**30)).status_code == 404
    assert send(client, "post", rounds_api(world.project, round_id, "open")).status_code == 400
    response = send(client, "put", rounds_api(world.project, round_id), _round_data([made], criteria=bad_criteria))
    assert response.status_code == 400
    assert Reviewer.objects.count() == 1


def _scored_round(world):  # type: ignore[no-untyped-def]
    """A round on one idea by a participant (the writer), scored by two peers (2, 4) and an expert (5)."""
    peer = factories.UserFactory(email="peer@example.org")
    factories.MembershipFactory(project=world.project, user=peer, role="participant")
    writer = factories.UserFactory(email="writer@example.org")
    factories.MembershipFactory(project=world.project, user=writer, role="participant")
    made = idea(world.project, writer, title="Reviewed")
    the_round = review_round(
        world.project, world.facilitator, [made], peers=(world.participant, peer), experts=(world.expert,)
    )
    criteria = list(the_round.criteria.all())
    for person, score in ((world.participant, 2), (peer, 4), (world.expert, 5)):
        reviewer = the_round.reviewers.get(user=person)
        entries = {c.pk: (score, f"Said by {person.email} " + XSS) for c in criteria}
        services.review_save(reviewer=reviewer, round=the_round, idea=made, entries=entries)
    return the_round, made, writer


def test_results_show_the_spread_of_peers_and_experts_side_by_side_with_the_pages_visibility(world):
    the_round, made, writer = _scored_round(world)
    criteria = list(the_round.criteria.all())
    url = rounds_api(world.project, the_round.pk, "ideas", made.pk, "results")
    # Open: facilitators only, with who said what.
    body = world.client("facilitator").get(url).json()
    row = body["criteria"][0]
    assert body["peer_reviewers"] == 2 and body["expert_reviewers"] == 1
    assert row["peers"]["count"] == 2 and row["peers"]["median"] == 3 and row["peers"]["low"] == 2
    assert row["experts"]["median"] == 5 and row["experts"]["histogram"][-1] == {"score": 5, "count": 1}
    assert len(row["named"]) == 3 and row["criterion"]["id"] == criteria[0].pk
    for client in (*(world.client(p) for p in ("participant", "expert", "observer")), client_for(writer)):
        assert client.get(url).status_code == 403
        assert client.get(rounds_api(world.project, the_round.pk, "results")).status_code == 403
    assert world.client("outsider").get(url).status_code == 403
    services.round_close(user=world.facilitator, round=the_round)
    # Closed: members and its authors see them; nobody but facilitators sees who said what.
    for client in (*(world.client(p) for p in ("participant", "expert", "observer")), client_for(writer)):
        body = client.get(url).json()
        assert body["criteria"][0]["named"] is None and body["criteria"][0]["experts"]["count"] == 1
        assert any(c.startswith("Said by") for c in body["criteria"][0]["peer_comments"])
    assert world.client("outsider").get(url).status_code == 403
    listed = world.client("participant").get(rounds_api(world.project, the_round.pk, "results")).json()
    assert [r["idea"]["id"] for r in listed] == [made.pk]
    secret = idea(world.private_project, world.participant)
    private_url = f"/api/projects/{world.private_project.slug}/idea-reviews/{the_round.pk}/ideas/{secret.pk}/results/"
    assert world.client("outsider").get(private_url).status_code == 404
    assert (
        world.client("facilitator").get(rounds_api(world.project, the_round.pk, "ideas", 10**30, "results")).status_code
        == 404
    )


def test_authors_respond_to_the_reviews_once_the_round_has_closed(world):
    the_round, made, writer = _scored_round(world)
    url = rounds_api(world.project, the_round.pk, "ideas", made.pk, "response")
    client = client_for(writer)
    response = send(client, "put", url, {"text": "We will change it"})
    assert response.status_code == 400  # not before the round has closed
    services.round_close(user=world.facilitator, round=the_round)
    response = send(client, "put", url, {"text": ""})
    assert response.status_code == 400 and "text" in response.json()
    for persona in ("participant", "expert", "observer", "anonymous"):
        assert send(world.client(persona), "put", url, {"text": "Not mine"}).status_code == 403, persona
    from copro.ideas.models import AuthorResponse

    assert not AuthorResponse.objects.exists()
    response = send(client, "put", url, {"text": "We will change it " + XSS})
    assert response.status_code == 200 and response.json()["text"] == "We will change it " + XSS
    response = send(client, "put", url, {"text": "Changed our mind"})
    assert response.status_code == 200 and AuthorResponse.objects.get().text == "Changed our mind"
    results = world.client("participant").get(rounds_api(world.project, the_round.pk, "ideas", made.pk, "results"))
    assert results.json()["response"]["text"] == "Changed our mind"
    history = client.get(api(world.project, made.pk, "history")).json()
    assert [e["kind"] for e in history].count("responded") == 1


def test_the_openapi_document_describes_the_facilitators_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, methods in (
        ("/api/projects/{slug}/ideas/enter/", {"get", "post"}),
        ("/api/projects/{slug}/ideas/{idea_id}/", {"get", "put"}),
        ("/api/projects/{slug}/ideas/{idea_id}/status/", {"post"}),
        ("/api/projects/{slug}/ideas/{idea_id}/decisions/", {"post"}),
        ("/api/projects/{slug}/ideas/{idea_id}/merge/", {"post"}),
        ("/api/projects/{slug}/ideas/{idea_id}/split/", {"post"}),
        ("/api/projects/{slug}/ideas/{idea_id}/co-authors/", {"get", "post"}),
        ("/api/projects/{slug}/ideas/{idea_id}/co-authors/leave/", {"post"}),
        ("/api/projects/{slug}/ideas/{idea_id}/versions/", {"get"}),
        ("/api/projects/{slug}/ideas/{idea_id}/history/", {"get"}),
        ("/api/projects/{slug}/idea-reviews/", {"get", "post"}),
        ("/api/projects/{slug}/idea-reviews/{round_id}/", {"get", "put"}),
        ("/api/projects/{slug}/idea-reviews/{round_id}/reviewers/", {"get", "post"}),
        ("/api/projects/{slug}/idea-reviews/{round_id}/reviewers/{reviewer_id}/", {"delete"}),
        ("/api/projects/{slug}/idea-reviews/{round_id}/open/", {"post"}),
        ("/api/projects/{slug}/idea-reviews/{round_id}/close/", {"post"}),
        ("/api/projects/{slug}/idea-reviews/{round_id}/results/", {"get"}),
        ("/api/projects/{slug}/idea-reviews/{round_id}/ideas/{idea_id}/results/", {"get"}),
        ("/api/projects/{slug}/idea-reviews/{round_id}/ideas/{idea_id}/response/", {"put"}),
    ):
        assert methods <= set(paths[path]), path


def test_a_rounds_page_and_results_take_the_same_number_of_queries_however_many_ideas(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts(size: int) -> tuple[int, int]:
        ideas = [idea(world.project, world.participant, title=f"Idea {n}") for n in range(size)]
        the_round = review_round(world.project, world.facilitator, ideas, experts=(world.expert,))
        reviewer = the_round.reviewers.get()
        criteria = list(the_round.criteria.all())
        for made in ideas:
            entries = {c.pk: (3, "ok") for c in criteria}
            services.review_save(reviewer=reviewer, round=the_round, idea=made, entries=entries)
        client = world.client("facilitator")
        client.get(rounds_api(world.project))  # sign-in and session set-up out of the count
        measured = []
        for url in (rounds_api(world.project, the_round.pk), rounds_api(world.project, the_round.pk, "results")):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            measured.append(len(queries))
        return measured[0], measured[1]

    assert counts(2) == counts(8)


def test_files_go_with_an_idea_through_the_api_with_the_pages_checks(world):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from copro.ideas.models import IdeaAttachment, IdeaEvent

    made = idea(world.private_project, world.participant)
    files = api(world.private_project, made.pk, "attachments")
    author = world.client("participant")
    pdf = SimpleUploadedFile("plan <b>.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    key = str(uuid.uuid4())
    response = author.post(files, {"file": pdf, "description": "The plan"}, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["kind"], body["description"]) == ("plan b.pdf", "pdf", "The plan")
    pdf.seek(0)
    again = author.post(files, {"file": pdf, "description": "The plan"}, HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 409 and IdeaAttachment.objects.count() == 1
    # A picture is re-encoded without its metadata, as on the page.
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(out, format="PNG")
    png = author.post(files, {"file": SimpleUploadedFile("s.png", out.getvalue()), "description": "A sketch"})
    assert png.status_code == 201 and png.json()["kind"] == "png"
    # Bad input: a file that is not what it says, no description, JSON instead of a file.
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    refused = author.post(files, {"file": fake, "description": "Bad"})
    assert refused.status_code == 400 and "not accepted" in refused.json()["file"][0]
    refused = author.post(files, {"file": SimpleUploadedFile("p.pdf", b"%PDF-1.4\n"), "description": " "})
    assert refused.status_code == 400 and "description" in refused.json()
    refused = author.post(files, {"description": "x"}, content_type="application/json")
    assert refused.status_code == 415
    assert IdeaAttachment.objects.count() == 2
    # The list, with a download address that keeps the idea's access rules.
    listed = world.client("expert").get(files).json()
    assert [a["description"] for a in listed] == ["The plan", "A sketch"]
    served = world.client("expert").get(listed[0]["url"])
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"%PDF-")
    assert world.client("outsider").get(files).status_code == 404
    assert world.client("outsider").get(listed[0]["url"]).status_code == 404
    # Only the idea's authors and facilitators add or remove files.
    other = SimpleUploadedFile("o.pdf", b"%PDF-1.4\n%%EOF\n")
    assert world.client("expert").post(files, {"file": other, "description": "x"}).status_code == 403
    first = f"{files}{listed[0]['id']}/"
    assert world.client("expert").delete(first).status_code == 403
    assert author.delete(first).status_code == 204
    assert author.delete(first).status_code == 404
    assert [a["description"] for a in author.get(files).json()] == ["A sketch"]
    assert author.get(listed[0]["url"]).status_code == 404
    kept = IdeaAttachment.objects.get(pk=listed[0]["id"])
    assert kept.removed_by == world.participant and not kept.file  # the record stays, the file goes
    assert IdeaEvent.objects.filter(idea=made, kind="attachment_removed").count() == 1
