"""Live reporting through the REST API: what reporters and facilitators do on the pages (posting with a
photo, correcting, withdrawing, starting and ending, appointing reporters, moderating and answering
questions), with the same access rules (404 for whoever may not see, 403 for whoever may not act) and the
services' refusals as 400s with per-field errors, nothing saved when refused."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from copro.live import services
from copro.live.models import Entry, EntryRevision, FeedStatus, LiveFeed, Question, QuestionStatus, Reporter
from copro.meetings.models import MeetingStatus
from tests.factories_live import live_feed

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def feed(world):
    return live_feed(world.project, facilitator=world.facilitator)


def api(name, feed, *extra):
    return reverse(f"api:{name}", args=[feed.project.slug, feed.meeting_id, *extra])


def post(client, url, data=None, **extra):
    return client.post(url, data or {}, content_type="application/json", **extra)


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def put(client, url, data):
    return client.put(url, data, content_type="application/json", HTTP_X_CSRFTOKEN=client.csrf_token())


def delete(client, url):
    return client.delete(url, HTTP_X_CSRFTOKEN=client.csrf_token())


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, "JPEG")
    return out.getvalue()


def appoint(feed, facilitator, member):
    return services.reporter_appoint(user=facilitator, feed=feed, member_id=member.pk)


def pending_question(feed, author, text="Who pays for it?"):
    return services.question_ask(user=author, feed=feed, text=text)


# --- Posting ---------------------------------------------------------------------------------------------


def test_a_reporter_posts_notes_decisions_and_actions(world, feed):
    appoint(feed, world.facilitator, world.participant)
    client = world.client("participant")
    for kind in ("note", "decision", "action"):
        response = post(client, api("live_entries", feed), {"kind": kind, "text": f"A {kind}"})
        assert response.status_code == 201 and response.json()["kind"] == kind
    assert list(Entry.objects.order_by("id").values_list("kind", "text", "author")) == [
        ("note", "A note", world.participant.pk),
        ("decision", "A decision", world.participant.pk),
        ("action", "A action", world.participant.pk),
    ]


def test_a_photo_is_posted_as_multipart_form_data(world, feed):
    client = world.client("facilitator")
    response = client.post(
        api("live_entries", feed),
        {"kind": "note", "text": "The wall", "photo": SimpleUploadedFile("w.jpg", jpeg()), "photo_alt": "Sticky notes"},
    )
    assert response.status_code == 201
    entry = Entry.objects.get()
    assert entry.photo and entry.photo_alt == "Sticky notes"
    assert response.json()["photo"] == reverse("live:photo", args=[feed.project.slug, feed.meeting_id, entry.pk])
    photo_only = client.post(
        api("live_entries", feed), {"photo": SimpleUploadedFile("w.jpg", jpeg()), "photo_alt": "Flip chart"}
    )
    assert photo_only.status_code == 201 and photo_only.json()["text"] == ""


def test_posting_is_for_reporters_and_refuses_bad_input(world, feed):
    assert post(world.client("participant"), api("live_entries", feed), {"text": "x"}).status_code == 403
    client = world.client("facilitator")
    for data, field in (
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"kind": "poem", "text": "x"}, "kind"),
        ({"text": "x", "photo": "not a file"}, "photo"),
    ):
        response = post(client, api("live_entries", feed), data)
        assert response.status_code == 400 and field in response.json(), data
    no_alt = client.post(api("live_entries", feed), {"text": "x", "photo": SimpleUploadedFile("a.jpg", jpeg())})
    assert no_alt.status_code == 400 and "photo_alt" in no_alt.json()
    not_a_photo = client.post(
        api("live_entries", feed),
        {"text": "x", "photo": SimpleUploadedFile("a.jpg", b"GIF89a not really"), "photo_alt": "A photo"},
    )
    assert not_a_photo.status_code == 400 and "photo" in not_a_photo.json()
    assert not Entry.objects.exists()


def test_the_same_idempotency_key_posts_once(world, feed):
    client = world.client("facilitator")
    key = str(uuid.uuid4())
    assert post(client, api("live_entries", feed), {"text": "Once"}, HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    assert post(client, api("live_entries", feed), {"text": "Once"}, HTTP_IDEMPOTENCY_KEY=key).status_code == 409
    assert Entry.objects.count() == 1


# --- Correcting and withdrawing ---------------------------------------------------------------------------


def test_the_author_corrects_an_entry_and_its_first_version_is_kept(world, feed):
    appoint(feed, world.facilitator, world.participant)
    entry = services.entry_post(user=world.participant, feed=feed, kind="note", text="Ten voted for")
    client = world.client("participant")
    response = patch(client, api("live_entry", feed, entry.pk), {"text": "Twelve voted for", "kind": "decision"})
    assert response.status_code == 200
    data = response.json()
    assert (data["text"], data["kind"], data["may_change"]) == ("Twelve voted for", "decision", True)
    assert data["edited_at"] is not None
    assert [(r["kind"], r["text"]) for r in data["revisions"]] == [("note", "Ten voted for")]
    entry.refresh_from_db()
    assert (entry.kind, entry.text) == ("decision", "Twelve voted for")
    assert EntryRevision.objects.filter(entry=entry).count() == 1
    seen = client.get(api("live_entry", feed, entry.pk)).json()
    assert seen["revisions"][0]["written_by"] == world.participant.public_name


def test_correcting_is_for_the_author_or_a_facilitator_and_refuses_bad_input(world, feed):
    appoint(feed, world.facilitator, world.participant)
    appoint(feed, world.facilitator, world.expert)
    entry = services.entry_post(user=world.participant, feed=feed, text="As typed")
    assert patch(world.client("expert"), api("live_entry", feed, entry.pk), {"text": "Mine"}).status_code == 403
    assert world.client("observer").get(api("live_entry", feed, entry.pk)).status_code == 403
    client = world.client("participant")
    for data, field in (({"kind": "poem"}, "kind"), ({"text": "x" * 5001}, "text"), ({"text": "  "}, "text")):
        response = patch(client, api("live_entry", feed, entry.pk), data)
        assert response.status_code == 400 and field in response.json(), data
    entry.refresh_from_db()
    assert entry.text == "As typed" and entry.edited_at is None
    assert not EntryRevision.objects.exists()
    assert patch(world.client("facilitator"), api("live_entry", feed, entry.pk), {"text": "F"}).status_code == 200


def test_an_entry_is_withdrawn_with_a_reason(world, feed):
    entry = services.entry_post(user=world.facilitator, feed=feed, text="Wrong figures")
    response = post(world.client("facilitator"), api("live_entry_withdraw", feed, entry.pk), {"reason": "Mistake"})
    assert response.status_code == 200
    data = response.json()
    assert data["withdrawn"] is True and data["text"] == "" and data["withdrawn_reason"] == "Mistake"
    assert data["original_text"] == "Wrong figures"  # kept for reporters
    entry.refresh_from_db()
    assert entry.withdrawn_at is not None and entry.withdrawn_by == world.facilitator
    again = patch(world.client("facilitator"), api("live_entry", feed, entry.pk), {"text": "Right figures"})
    assert again.status_code == 400 and "withdrawn" in again.json()["detail"][0]


def test_withdrawing_is_for_the_author_or_a_facilitator_and_refuses_a_long_reason(world, feed):
    appoint(feed, world.facilitator, world.expert)
    entry = services.entry_post(user=world.facilitator, feed=feed, text="Kept")
    assert post(world.client("expert"), api("live_entry_withdraw", feed, entry.pk)).status_code == 403
    assert post(world.client("participant"), api("live_entry_withdraw", feed, entry.pk)).status_code == 403
    long = post(world.client("facilitator"), api("live_entry_withdraw", feed, entry.pk), {"reason": "x" * 301})
    assert long.status_code == 400 and "reason" in long.json()
    entry.refresh_from_db()
    assert entry.withdrawn_at is None
    assert post(world.client("facilitator"), api("live_entry_withdraw", feed, 987654)).status_code == 404


# --- Starting and ending ----------------------------------------------------------------------------------


def test_a_facilitator_starts_and_ends_live_reporting(world):
    feed = live_feed(world.project, facilitator=world.facilitator, started=False)
    client = world.client("facilitator")
    started = post(client, api("live_start", feed))
    assert started.status_code == 200 and started.json()["status"] == "live"
    assert LiveFeed.objects.get(pk=feed.pk).status == FeedStatus.LIVE
    ended = post(client, api("live_end", feed))
    assert ended.status_code == 200 and ended.json()["status"] == "ended" and ended.json()["ended_at"]
    assert LiveFeed.objects.get(pk=feed.pk).status == FeedStatus.ENDED
    again = post(client, api("live_end", feed))
    assert again.status_code == 400 and "not on" in again.json()["detail"][0]
    restarted = post(client, api("live_start", feed))
    assert restarted.status_code == 200 and restarted.json()["status"] == "live"


def test_starting_and_ending_are_for_facilitators_and_refused_when_they_cannot_be(world):
    feed = live_feed(world.project, facilitator=world.facilitator, started=False)
    appoint(feed, world.facilitator, world.participant)
    for persona in ("participant", "expert"):  # an appointed reporter does not run the feed either
        assert post(world.client(persona), api("live_start", feed)).status_code == 403
    assert LiveFeed.objects.get(pk=feed.pk).status == FeedStatus.WAITING
    long_ago = live_feed(
        world.project,
        facilitator=world.facilitator,
        started=False,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2, hours=-2),
    )
    refused = post(world.client("facilitator"), api("live_start", long_ago))
    assert refused.status_code == 400 and "cannot be reopened" in refused.json()["detail"][0]
    assert LiveFeed.objects.get(pk=long_ago.pk).status == FeedStatus.WAITING
    draft = live_feed(world.project, facilitator=world.facilitator, started=False, status=MeetingStatus.DRAFT)
    assert post(world.client("facilitator"), api("live_start", draft)).status_code == 400
    assert post(world.client("participant"), api("live_start", draft)).status_code == 404  # a draft is hidden
    live = live_feed(world.project, facilitator=world.facilitator)
    assert post(world.client("participant"), api("live_end", live)).status_code == 403
    assert LiveFeed.objects.get(pk=live.pk).status == FeedStatus.LIVE


def test_questions_are_paused_and_resumed(world, feed):
    appoint(feed, world.facilitator, world.participant)
    paused = post(world.client("participant"), api("live_questions_open", feed), {"open": False})
    assert paused.status_code == 200 and paused.json()["questions_open"] is False
    assert LiveFeed.objects.get(pk=feed.pk).questions_open is False
    refused = post(world.client("expert"), api("live_questions", feed), {"text": "Can I ask?"})
    assert refused.status_code == 400 and "paused" in refused.json()["detail"][0]
    resumed = post(world.client("facilitator"), api("live_questions_open", feed), {"open": True})
    assert resumed.status_code == 200 and resumed.json()["questions_open"] is True


def test_pausing_questions_is_for_moderators_and_needs_a_yes_or_no(world, feed):
    assert post(world.client("expert"), api("live_questions_open", feed), {"open": False}).status_code == 403
    for bad in ({"open": "perhaps"}, {}):
        response = post(world.client("facilitator"), api("live_questions_open", feed), bad)
        assert response.status_code == 400 and "open" in response.json()
    assert LiveFeed.objects.get(pk=feed.pk).questions_open is True


# --- Reporters --------------------------------------------------------------------------------------------


def test_a_facilitator_appoints_and_removes_reporters(world, feed):
    client = world.client("facilitator")
    listing = client.get(api("live_reporters", feed)).json()
    assert listing["reporters"] == []
    assert {p["user_id"] for p in listing["can_be_appointed"]} == {world.participant.pk, world.expert.pk}
    response = post(client, api("live_reporters", feed), {"member": world.participant.pk})
    assert response.status_code == 201
    assert [r["user_id"] for r in response.json()["reporters"]] == [world.participant.pk]
    assert Reporter.objects.filter(feed=feed, user=world.participant).exists()
    again = post(client, api("live_reporters", feed), {"member": str(world.participant.pk)})
    assert again.status_code == 200 and Reporter.objects.count() == 1
    # Now they may post.
    assert post(world.client("participant"), api("live_entries", feed), {"text": "Hi"}).status_code == 201
    assert delete(client, api("live_reporter", feed, world.participant.pk)).status_code == 204
    assert not Reporter.objects.exists()
    assert delete(client, api("live_reporter", feed, world.participant.pk)).status_code == 404
    assert post(world.client("participant"), api("live_entries", feed), {"text": "Hi"}).status_code == 403


def test_appointing_is_for_facilitators_and_only_of_members_who_may_report(world, feed):
    appoint(feed, world.facilitator, world.expert)
    participant = world.client("participant")
    assert participant.get(api("live_reporters", feed)).status_code == 403
    assert post(participant, api("live_reporters", feed), {"member": world.participant.pk}).status_code == 403
    assert delete(participant, api("live_reporter", feed, world.expert.pk)).status_code == 403
    assert delete(world.client("expert"), api("live_reporter", feed, world.expert.pk)).status_code == 403
    client = world.client("facilitator")
    for member in (world.observer.pk, world.outsider.pk, world.facilitator.pk, "²", HUGE, 0, None):
        response = post(client, api("live_reporters", feed), {"member": member})
        assert response.status_code == 400 and "member" in response.json(), member
    assert list(Reporter.objects.values_list("user_id", flat=True)) == [world.expert.pk]
    assert delete(client, api("live_reporter", feed, HUGE)).status_code == 404


# --- Moderating questions ---------------------------------------------------------------------------------


def test_moderators_list_approve_take_down_and_answer_questions(world, feed):
    appoint(feed, world.facilitator, world.expert)
    question = pending_question(feed, world.participant)
    client = world.client("expert")
    waiting = client.get(api("live_questions", feed), {"status": "pending"}).json()
    assert [q["text"] for q in waiting["results"]] == ["Who pays for it?"]
    assert world.client("anonymous").get(api("live_questions", feed)).json()["results"] == []
    approved = post(client, api("live_question_moderate", feed, question.pk), {"approve": True})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    question.refresh_from_db()
    assert question.status == QuestionStatus.APPROVED and question.moderated_by == world.expert
    shown = world.client("anonymous").get(api("live_questions", feed)).json()["results"]
    assert [q["text"] for q in shown] == ["Who pays for it?"]
    answered = put(client, api("live_question_answer", feed, question.pk), {"answer": "The council's budget."})
    assert answered.status_code == 200 and answered.json()["answer"] == "The council's budget."
    question.refresh_from_db()
    assert question.answer == "The council's budget." and question.answered_by == world.expert
    cleared = put(client, api("live_question_answer", feed, question.pk), {"answer": ""})
    assert cleared.status_code == 200 and cleared.json()["answered_at"] is None
    hidden = post(client, api("live_question_moderate", feed, question.pk), {"approve": False})
    assert hidden.status_code == 200 and hidden.json()["status"] == "rejected"
    question.refresh_from_db()
    assert question.status == QuestionStatus.REJECTED
    assert [q["id"] for q in client.get(api("live_questions", feed), {"status": "rejected"}).json()["results"]] == [
        question.pk
    ]
    assert world.client("anonymous").get(api("live_questions", feed)).json()["results"] == []


def test_moderating_is_for_moderators_and_refuses_bad_input(world, feed):
    question = pending_question(feed, world.participant)
    for persona in ("participant", "expert"):  # its author, and a member who is not a reporter
        client = world.client(persona)
        assert post(client, api("live_question_moderate", feed, question.pk), {"approve": True}).status_code == 403
        assert put(client, api("live_question_answer", feed, question.pk), {"answer": "x"}).status_code == 403
        assert client.get(api("live_questions", feed), {"status": "pending"}).status_code == 403
    client = world.client("facilitator")
    assert client.get(api("live_questions", feed), {"status": "everything"}).status_code == 400
    bad = post(client, api("live_question_moderate", feed, question.pk), {"approve": "maybe"})
    assert bad.status_code == 400 and "approve" in bad.json()
    not_yet = put(client, api("live_question_answer", feed, question.pk), {"answer": "Soon"})
    assert not_yet.status_code == 400 and "Approve the question" in not_yet.json()["detail"][0]
    question.refresh_from_db()
    assert question.status == QuestionStatus.PENDING and question.answer == ""
    services.question_moderate(user=world.facilitator, question=question, approve=True)
    too_long = put(client, api("live_question_answer", feed, question.pk), {"answer": "x" * 3001})
    assert too_long.status_code == 400 and "answer" in too_long.json()
    assert put(client, api("live_question_answer", feed, question.pk), {}).status_code == 400
    question.refresh_from_db()
    assert question.answer == ""
    assert post(client, api("live_question_moderate", feed, 987654), {"approve": True}).status_code == 404


def test_after_the_meeting_only_facilitators_change_the_record(world, feed):
    appoint(feed, world.facilitator, world.expert)
    question = pending_question(feed, world.participant)
    services.feed_end(user=world.facilitator, feed=feed)
    refused = post(world.client("expert"), api("live_question_moderate", feed, question.pk), {"approve": True})
    assert refused.status_code == 400 and "only facilitators" in refused.json()["detail"][0]
    assert Question.objects.get(pk=question.pk).status == QuestionStatus.PENDING
    done = post(world.client("facilitator"), api("live_question_moderate", feed, question.pk), {"approve": True})
    assert done.status_code == 200
    entry_refused = post(world.client("facilitator"), api("live_entries", feed), {"text": "Late"})
    assert entry_refused.status_code == 400 and not Entry.objects.exists()


# --- Who may see --------------------------------------------------------------------------------------------


def test_outsiders_get_404_from_every_endpoint_of_a_private_projects_feed(world):
    private = live_feed(world.private_project, facilitator=world.facilitator)
    entry = services.entry_post(user=world.facilitator, feed=private, text="Private")
    question = pending_question(private, world.participant)
    calls = [
        ("post", api("live_start", private)),
        ("post", api("live_end", private)),
        ("post", api("live_questions_open", private)),
        ("get", api("live_reporters", private)),
        ("post", api("live_reporters", private)),
        ("delete", api("live_reporter", private, world.participant.pk)),
        ("post", api("live_entries", private)),
        ("get", api("live_entry", private, entry.pk)),
        ("patch", api("live_entry", private, entry.pk)),
        ("post", api("live_entry_withdraw", private, entry.pk)),
        ("get", api("live_questions", private)),
        ("post", api("live_question_moderate", private, question.pk)),
        ("put", api("live_question_answer", private, question.pk)),
    ]
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        for method, url in calls:
            if method == "get":
                response = client.get(url)
            elif method == "post":
                response = post(client, url, {"text": "x", "open": False, "approve": True, "member": 1})
            elif method == "patch":
                response = patch(client, url, {"text": "x"})
            elif method == "put":
                response = put(client, url, {"answer": "x"})
            else:
                response = delete(client, url)
            assert response.status_code == 404, (persona, method, url)
    entry.refresh_from_db()
    assert entry.text == "Private" and entry.withdrawn_at is None
    assert LiveFeed.objects.get(pk=private.pk).status == FeedStatus.LIVE


def test_the_openapi_document_describes_the_reporters_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    base = "/api/projects/{slug}/meetings/{meeting_id}/live/"
    expected = {
        "start/": {"post"},
        "end/": {"post"},
        "reporters/": {"get", "post"},
        "reporters/{user_id}/": {"delete"},
        "entries/": {"post"},
        "entries/{entry_id}/": {"get", "patch"},
        "entries/{entry_id}/withdraw/": {"post"},
        "questions/": {"get", "post"},
        "questions/pause/": {"post"},
        "questions/{question_id}/moderate/": {"post"},
        "questions/{question_id}/answer/": {"put"},
    }
    for tail, methods in expected.items():
        assert methods <= set(paths[base + tail]), tail
    body = paths[base + "entries/"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)


@pytest.mark.parametrize("n", [3, 60])
def test_the_moderators_lists_read_a_bounded_number_of_queries(world, feed, django_assert_max_num_queries, n):
    from tests.factories import MembershipFactory
    from tests.factories_live import questions

    questions(feed, n, author=world.participant, status=QuestionStatus.PENDING)
    questions(feed, n, author=world.participant)
    for _ in range(n // 3):
        appoint(feed, world.facilitator, MembershipFactory(project=world.project, role="participant").user)
    client = world.client("facilitator")
    with django_assert_max_num_queries(16):
        assert len(client.get(api("live_questions", feed), {"status": "pending"}).json()["results"]) == min(n, 50)
    with django_assert_max_num_queries(16):
        assert client.get(api("live_questions", feed)).json()["count"] == n
    with django_assert_max_num_queries(16):
        assert len(client.get(api("live_reporters", feed)).json()["reporters"]) == n // 3
