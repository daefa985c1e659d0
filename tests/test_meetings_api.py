"""Meetings in the REST API: the same rules as the pages (drafts, private projects, join links), registering
with clear status codes (201 a place, 202 the waiting list, 200 already registered), cancelling (204, then
the waiting list moves), CSRF, and constant query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from copro.core.models import ActivityEntry
from copro.meetings import services
from copro.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingAction,
    MeetingStatus,
    Registration,
    Team,
    TeamMember,
)
from tests import factories
from tests.conftest import CsrfClient
from tests.factories import XSS
from tests.factories_meetings import meeting, register, walk_in

pytestmark = pytest.mark.django_db


def list_url(project):
    return reverse("api:meetings", args=[project.slug])


def detail_url(m):
    return reverse("api:meeting", args=[m.project.slug, m.pk])


def registration_url(m):
    return reverse("api:meeting_registration", args=[m.project.slug, m.pk])


def post_json(client, path, data):
    return client.post(path, data, content_type="application/json")


def test_the_list_shows_published_meetings_and_drafts_only_to_facilitators(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=2)
    draft = meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT)
    register(m, world.participant)
    listed = world.client("participant").get(list_url(world.project)).json()
    assert [x["id"] for x in listed["results"]] == [m.pk]
    shown = listed["results"][0]
    assert shown["title"] == m.title and shown["format"] == "hybrid"
    assert (shown["registered"], shown["places_left"], shown["my_registration"]) == (1, 1, "registered")
    assert shown["url"] == reverse("meetings:detail", args=[world.project.slug, m.pk])
    assert "join_url" not in shown
    staff = world.client("facilitator").get(list_url(world.project)).json()
    assert {x["id"] for x in staff["results"]} == {m.pk, draft.pk}
    assert world.client("anonymous").get(detail_url(draft)).status_code == 404


def test_a_private_projects_meetings_are_a_404_for_outsiders(world):
    m = meeting(world.private_project, created_by=world.facilitator)
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        assert client.get(list_url(world.private_project)).status_code == 404
        assert client.get(detail_url(m)).status_code == 404
        assert post_json(client, registration_url(m), {}).status_code == 404


def test_the_detail_has_the_agenda_and_the_join_link_only_for_people_with_a_place(world):
    m = meeting(world.project, created_by=world.facilitator, webcast_url="https://youtu.be/dQw4w9WgXcQ")
    AgendaItem.objects.create(meeting=m, title="Welcome " + XSS, position=1, led_by="Ann")
    register(m, world.expert)
    seen = world.client("participant").get(detail_url(m)).json()
    assert seen["join_url"] is None and seen["minutes"] is None
    assert [a["title"] for a in seen["agenda"]] == ["Welcome " + XSS]
    assert seen["webcast_embed_url"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert world.client("expert").get(detail_url(m)).json()["join_url"] == m.join_url
    assert world.client("facilitator").get(detail_url(m)).json()["join_url"] == m.join_url


def test_actions_are_in_the_api_for_others_only_once_the_minutes_are_published(world):
    from datetime import timedelta

    from copro.meetings import services

    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=-1))
    services.action_add(user=world.facilitator, meeting=m, text="Call the council", assignee=world.expert)
    for persona in ("anonymous", "participant", "expert", "observer"):
        assert world.client(persona).get(detail_url(m)).json()["actions"] is None, persona
    staff = world.client("facilitator").get(detail_url(m)).json()["actions"]
    assert [(a["text"], a["who"]) for a in staff] == [("Call the council", world.expert.public_name)]
    services.minutes_save(user=world.facilitator, meeting=m, minutes="<p>Minutes</p>", publish=True)
    seen = world.client("anonymous").get(detail_url(m)).json()
    assert [a["text"] for a in seen["actions"]] == ["Call the council"] and seen["minutes"] == "<p>Minutes</p>"


def test_registering_answers_201_then_202_then_200_for_a_repeat(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    first = post_json(world.client("participant"), registration_url(m), {"step_free": True, "interpreter": "BSL"})
    assert first.status_code == 201
    body = first.json()
    assert (body["status"], body["outcome"], body["waiting_position"]) == ("registered", "registered", None)
    assert body["access_needs"]["interpreter"] == "BSL" and body["access_needs"]["step_free"] is True
    full = post_json(world.client("expert"), registration_url(m), {})
    assert full.status_code == 202
    assert (full.json()["status"], full.json()["waiting_position"]) == ("waitlisted", 1)
    again = post_json(world.client("participant"), registration_url(m), {"hearing_loop": True})
    assert again.status_code == 200
    assert again.json()["outcome"] == "already_registered"
    assert again.json()["access_needs"]["hearing_loop"] is False  # nothing changed
    assert Registration.objects.filter(meeting=m).count() == 2


def test_cancelling_answers_204_and_the_first_waiting_gets_the_place(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(m, world.participant)
    register(m, world.expert)
    client = world.client("participant")
    assert client.get(registration_url(m)).json()["status"] == "registered"
    assert client.delete(registration_url(m), HTTP_X_CSRFTOKEN=client.csrf_token()).status_code == 204
    assert client.delete(registration_url(m), HTTP_X_CSRFTOKEN=client.csrf_token()).status_code == 404
    assert client.get(registration_url(m)).status_code == 404
    assert world.client("expert").get(registration_url(m)).json()["status"] == "registered"


def test_bad_input_and_closed_meetings_are_400s_with_messages(world):
    m = meeting(world.project, created_by=world.facilitator, registration_open=False)
    response = post_json(world.client("participant"), registration_url(m), {})
    assert response.status_code == 400
    assert response.json() == {"detail": ["Registration for this meeting is closed."]}
    open_one = meeting(world.project, created_by=world.facilitator)
    response = post_json(world.client("participant"), registration_url(open_one), {"step_free": "perhaps"})
    assert response.status_code == 400 and "step_free" in response.json()
    response = post_json(world.client("participant"), registration_url(open_one), {"dietary": "x" * 301})
    assert response.status_code == 400 and "dietary" in response.json()


def test_who_may_register_through_the_api(world):
    m = meeting(world.project, created_by=world.facilitator)
    assert post_json(world.client("observer"), registration_url(m), {}).status_code == 403
    assert post_json(world.client("anonymous"), registration_url(m), {}).status_code == 403
    assert post_json(world.client("outsider"), registration_url(m), {}).status_code == 201


def test_writes_need_the_csrf_token(world):
    m = meeting(world.project, created_by=world.facilitator)
    client = CsrfClient()
    client.force_login(world.participant)
    response = client.generic("POST", registration_url(m), "{}", content_type="application/json")
    assert response.status_code == 403
    assert not Registration.objects.exists()


def test_the_list_takes_the_same_queries_for_2_or_20_meetings(world):
    client = world.client("participant")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(list_url(world.project)).status_code == 200
        return len(ctx.captured_queries)

    for _i in range(2):
        register(meeting(world.project, created_by=world.facilitator), world.participant)
    small = count()
    for _i in range(18):
        m = meeting(world.project, created_by=world.facilitator)
        register(m, world.participant)
        register(m, factories.UserFactory())
    assert count() == small


# --- Facilitators' work and workshop teams (copro/meetings/api.py and api_staff.py) -------------------------

IDEM = "5f0c6a4e-3b7d-4c1e-9a52-0d6f1e2b7c91"


def api(name, m, *extra):
    return reverse(f"api:{name}", args=[m.project.slug, m.pk, *extra])


def patch_json(client, path, data):
    return client.patch(path, data, content_type="application/json")


def put_json(client, path, data):
    return client.put(path, data, content_type="application/json", HTTP_X_CSRFTOKEN=client.csrf_token())


def delete(client, path):
    return client.delete(path, HTTP_X_CSRFTOKEN=client.csrf_token())


def members(world, n, role="participant"):
    made = []
    for _i in range(n):
        user = factories.UserFactory()
        factories.MembershipFactory(project=world.project, user=user, role=role)
        made.append(user)
    return made


def started(world, **fields):
    """A published meeting that started an hour ago (attendance and minutes can be recorded)."""
    return meeting(world.project, created_by=world.facilitator, starts_in=timedelta(hours=-1), **fields)


NEW_MEETING = {
    "title": "Bus routes workshop " + XSS,
    "format": "hybrid",
    "starts_at": "2030-03-04T18:00:00Z",
    "ends_at": "2030-03-04T20:00:00Z",
    "venue": "Neuadd y Ddinas",
    "join_url": "https://meet.example.org/bus",
    "capacity": 30,
}


def test_facilitators_create_a_draft_meeting_and_a_repeat_is_a_409(world):
    client = world.client("facilitator")
    response = client.post(
        list_url(world.project), NEW_MEETING, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["title"], body["capacity"], body["places_left"]) == (
        "draft",
        NEW_MEETING["title"],
        30,
        30,
    )
    assert body["join_url"] == "https://meet.example.org/bus"  # facilitators see the join link
    created = Meeting.objects.get(pk=body["id"])
    assert created.created_by == world.facilitator and created.project == world.project
    again = client.post(
        list_url(world.project), NEW_MEETING, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM
    )
    assert again.status_code == 409
    assert Meeting.objects.count() == 1
    assert ActivityEntry.objects.filter(verb="meetings.created").count() == 1


def test_only_facilitators_create_meetings(world):
    for persona in ("participant", "expert", "observer", "outsider", "anonymous"):
        assert post_json(world.client(persona), list_url(world.project), NEW_MEETING).status_code == 403, persona
    assert post_json(world.client("outsider"), list_url(world.private_project), NEW_MEETING).status_code == 404
    assert not Meeting.objects.exists()


def test_a_bad_meeting_is_a_400_field_by_field_and_nothing_is_saved(world):
    client = world.client("facilitator")
    bad = {**NEW_MEETING, "title": "  ", "ends_at": "2030-03-04T17:00:00Z", "venue": "", "join_url": "meet.example"}
    response = post_json(client, list_url(world.project), bad)
    assert response.status_code == 400
    assert set(response.json()) == {"title", "ends_at", "venue", "join_url"}
    assert response.json()["ends_at"] == ["The meeting must end after it starts."]
    for field, value in (
        ("capacity", 10**30),
        ("capacity", 0),
        ("capacity", "²"),
        ("starts_at", "0001-01-01T00:00:00"),
        ("starts_at", "9999-12-31T23:59:59"),
        ("format", "radio"),
        ("join_url", "https://x.example/" + "a" * 600),
    ):
        response = post_json(client, list_url(world.project), {**NEW_MEETING, field: value})
        assert response.status_code == 400, (field, value)
        assert field in response.json(), (field, value)
    assert not Meeting.objects.exists()


def test_facilitators_change_a_meeting_and_more_places_go_to_the_waiting_list(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    venue = m.venue
    register(m, world.participant)
    register(m, world.expert)
    response = patch_json(world.client("facilitator"), detail_url(m), {"capacity": 2, "title": "New title"})
    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["registered"], response.json()["waitlisted"]) == (
        "New title",
        2,
        0,
    )
    m.refresh_from_db()
    assert (m.title, m.capacity, m.venue) == ("New title", 2, venue)  # fields not sent are kept
    assert Registration.objects.get(meeting=m, user=world.expert).status == "registered"


def test_changing_a_meeting_needs_the_right_and_good_values(world):
    m = meeting(world.project, created_by=world.facilitator, title="Before")
    assert patch_json(world.client("participant"), detail_url(m), {"title": "x"}).status_code == 403
    assert patch_json(world.client("anonymous"), detail_url(m), {"title": "x"}).status_code == 403
    private = meeting(world.private_project, created_by=world.facilitator)
    assert patch_json(world.client("outsider"), detail_url(private), {"title": "x"}).status_code == 404
    response = patch_json(world.client("facilitator"), detail_url(m), {"format": "in_person", "venue": ""})
    assert response.status_code == 400 and set(response.json()) == {"venue"}
    response = patch_json(world.client("facilitator"), detail_url(m), {"ends_at": "2001-01-01T00:00:00Z"})
    assert response.status_code == 400 and "ends_at" in response.json()
    m.refresh_from_db()
    assert m.title == "Before" and m.format == "hybrid"


def test_facilitators_publish_then_cancel_a_meeting(world, outbox, run_tasks):
    m = meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT)
    client = world.client("facilitator")
    assert post_json(world.client("participant"), api("meeting_publish", m), {}).status_code == 403
    response = post_json(client, api("meeting_publish", m), {})
    assert response.status_code == 200 and response.json()["status"] == "published"
    again = post_json(client, api("meeting_publish", m), {})
    assert again.status_code == 400 and again.json() == {"detail": ["Only a meeting being prepared can be published."]}
    register(m, world.participant)
    run_tasks()
    with outbox.collector.lock:
        outbox.collector.messages.clear()  # the confirmation of the place
    assert post_json(world.client("participant"), api("meeting_cancel", m), {}).status_code == 403
    too_long = post_json(client, api("meeting_cancel", m), {"reason": "x" * 2001})
    assert too_long.status_code == 400 and "reason" in too_long.json()
    assert Meeting.objects.get(pk=m.pk).status == "published"
    response = post_json(client, api("meeting_cancel", m), {"reason": "The hall flooded " + XSS})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancelled_reason"]) == ("cancelled", "The hall flooded " + XSS)
    run_tasks()
    told = outbox.to(world.participant.email)
    assert len(told) == 1 and "The hall flooded" in outbox.text(told[0])
    assert post_json(client, api("meeting_cancel", m), {}).status_code == 400


def test_people_change_their_own_access_needs(world):
    m = meeting(world.project, created_by=world.facilitator)
    registration = register(m, world.participant, step_free=True, dietary="Vegan")
    services.registration_needs_met(registration=registration, user=world.facilitator, met=True)
    client = world.client("participant")
    response = patch_json(client, registration_url(m), {"interpreter": "BSL", "wants_reminders": False})
    assert response.status_code == 200, response.json()
    needs = response.json()["access_needs"]
    assert (needs["interpreter"], needs["step_free"], needs["dietary"]) == ("BSL", True, "Vegan")  # the rest kept
    registration.refresh_from_db()
    assert registration.interpreter == "BSL" and registration.wants_reminders is False
    assert registration.needs_met_at is None  # a change asks the team to look again
    bad = patch_json(client, registration_url(m), {"dietary": "x" * 301})
    assert bad.status_code == 400 and "dietary" in bad.json()
    assert patch_json(world.client("expert"), registration_url(m), {"step_free": True}).status_code == 404
    assert patch_json(world.client("observer"), registration_url(m), {"step_free": True}).status_code == 403
    registration.refresh_from_db()
    assert registration.dietary == "Vegan"


# --- Agenda -----------------------------------------------------------------------------------------------


def test_facilitators_build_the_agenda(world):
    m = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    first = post_json(client, api("meeting_agenda", m), {"title": "Welcome " + XSS, "starts_at": "18:00"})
    assert first.status_code == 201, first.json()
    second = post_json(client, api("meeting_agenda", m), {"title": "Tables", "duration_minutes": 45, "led_by": "Ann"})
    assert second.status_code == 201
    ids = [first.json()["id"], second.json()["id"]]
    moved = post_json(client, api("meeting_agenda_move", m, ids[1]), {"direction": "up"})
    assert [i["id"] for i in moved.json()] == ids[::-1]
    edited = patch_json(client, api("meeting_agenda_item", m, ids[0]), {"led_by": "Siân"})
    assert edited.status_code == 200
    item = AgendaItem.objects.get(pk=ids[0])
    assert (item.title, item.led_by, item.starts_at.hour) == ("Welcome " + XSS, "Siân", 18)
    assert delete(client, api("meeting_agenda_item", m, ids[1])).status_code == 204
    listed = world.client("anonymous").get(api("meeting_agenda", m)).json()
    assert [i["title"] for i in listed] == ["Welcome " + XSS]


def test_an_agenda_item_sent_twice_with_the_same_idempotency_key_is_added_once(world):
    m = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    body = {"title": "Welcome", "starts_at": "18:00"}
    first = client.post(api("meeting_agenda", m), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM)
    assert first.status_code == 201, first.json()
    again = client.post(api("meeting_agenda", m), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM)
    assert again.status_code == 409
    assert list(AgendaItem.objects.filter(meeting=m).values_list("pk", flat=True)) == [first.json()["id"]]
    bad = client.post(api("meeting_agenda", m), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="x")
    assert bad.status_code == 400
    # Without a key nothing is deduplicated: a second item with the same title is the client's choice.
    assert post_json(client, api("meeting_agenda", m), body).status_code == 201
    assert AgendaItem.objects.filter(meeting=m).count() == 2


def test_the_agenda_is_for_facilitators_to_change_and_bad_items_are_400s(world):
    m = meeting(world.project, created_by=world.facilitator)
    item = services.agenda_item_add(user=world.facilitator, meeting=m, title="Welcome")
    for persona in ("participant", "anonymous"):
        client = world.client(persona)
        assert post_json(client, api("meeting_agenda", m), {"title": "x"}).status_code == 403
        assert patch_json(client, api("meeting_agenda_item", m, item.pk), {"title": "x"}).status_code == 403
        assert delete(client, api("meeting_agenda_item", m, item.pk)).status_code == 403
    client = world.client("facilitator")
    response = post_json(client, api("meeting_agenda", m), {"title": " "})
    assert response.status_code == 400 and response.json() == {
        "title": ["Say what happens in this part of the meeting."]
    }
    for field, value in (("duration_minutes", 0), ("duration_minutes", 10**20), ("starts_at", "25:99")):
        response = post_json(client, api("meeting_agenda", m), {"title": "x", field: value})
        assert response.status_code == 400 and field in response.json()
    assert post_json(client, api("meeting_agenda_move", m, item.pk), {"direction": "sideways"}).status_code == 400
    huge = reverse("api:meeting_agenda_item", args=[m.project.slug, m.pk, 10**30])
    assert patch_json(client, huge, {"title": "x"}).status_code == 404
    assert list(AgendaItem.objects.values_list("title", flat=True)) == ["Welcome"]


# --- Registrations and access needs ------------------------------------------------------------------------


def test_facilitators_see_registrations_with_access_needs_and_mark_them_met(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=2)
    mine = register(m, world.participant, interpreter="BSL", childcare=True, childcare_details="2, aged 3 and 6")
    register(m, world.expert)
    walk_in(m, entered_by=world.facilitator, name="Phoned in", phone="01234", step_free=True, channel="phone")
    client = world.client("facilitator")
    listed = client.get(api("meeting_registrations", m)).json()
    assert listed["count"] == 3
    first = listed["results"][0]
    assert (first["name"], first["has_account"], first["status"]) == (world.participant.public_name, True, "registered")
    assert first["access_needs"]["interpreter"] == "BSL" and first["has_access_needs"] is True
    phoned = listed["results"][2]
    assert (phoned["name"], phoned["phone"], phoned["status"], phoned["channel"]) == (
        "Phoned in",
        "01234",
        "waitlisted",
        "phone",
    )
    assert phoned["entered_by"] == world.facilitator.public_name
    waiting = client.get(api("meeting_registrations", m) + "?status=waitlisted").json()
    assert [r["name"] for r in waiting["results"]] == ["Phoned in"]
    with_needs = client.get(api("meeting_registrations", m) + "?with_needs=true").json()
    assert {r["name"] for r in with_needs["results"]} == {world.participant.public_name, "Phoned in"}
    summary = client.get(api("meeting_access_needs", m)).json()
    assert summary["places"] == {"registered": 2, "waitlisted": 1, "capacity": 2, "left": 0}
    lines = {(x["key"], x["count"]) for x in summary["needs"]}
    assert ("step_free", 1) in lines and ("interpreter", 1) in lines and ("childcare", 1) in lines

    response = post_json(client, api("meeting_needs_met", m, mine.pk), {"met": True, "note": "Interpreter booked"})
    assert response.status_code == 200
    assert response.json()["needs_met_by"] == world.facilitator.public_name
    mine.refresh_from_db()
    assert mine.needs_met_at is not None and mine.needs_note == "Interpreter booked"
    assert client.get(api("meeting_registration_staff", m, mine.pk)).json()["needs_met_at"] is not None


def test_registrations_and_needs_are_for_facilitators_only(world):
    m = meeting(world.project, created_by=world.facilitator)
    registration = register(m, world.participant, step_free=True)
    for persona in ("participant", "expert", "observer", "outsider", "anonymous"):
        client = world.client(persona)
        assert client.get(api("meeting_registrations", m)).status_code == 403, persona
        assert client.get(api("meeting_access_needs", m)).status_code == 403, persona
        assert client.get(api("meeting_registration_staff", m, registration.pk)).status_code == 403, persona
        assert post_json(client, api("meeting_needs_met", m, registration.pk), {"met": True}).status_code == 403
    private = meeting(world.private_project, created_by=world.facilitator)
    assert world.client("outsider").get(api("meeting_registrations", private)).status_code == 404
    registration.refresh_from_db()
    assert registration.needs_met_at is None


def test_bad_registration_queries_and_needs_notes_are_400s(world):
    m = meeting(world.project, created_by=world.facilitator)
    registration = register(m, world.participant, step_free=True)
    client = world.client("facilitator")
    assert client.get(api("meeting_registrations", m) + "?status=maybe").status_code == 400
    assert client.get(api("meeting_registrations", m) + "?with_needs=²").status_code == 400
    response = post_json(client, api("meeting_needs_met", m, registration.pk), {"met": True, "note": "x" * 501})
    assert response.status_code == 400 and "note" in response.json()
    assert post_json(client, api("meeting_needs_met", m, registration.pk), {"note": "x"}).status_code == 400
    assert client.get(api("meeting_registration_staff", m, 10**30)).status_code == 404
    other = meeting(world.project, created_by=world.facilitator)
    assert client.get(api("meeting_registration_staff", other, registration.pk)).status_code == 404
    registration.refresh_from_db()
    assert registration.needs_met_at is None and registration.needs_note == ""


def test_facilitators_register_someone_without_an_account(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    client = world.client("facilitator")
    body = {"name": "Mrs Jones " + XSS, "phone": "01234 567890", "channel": "phone", "step_free": True}
    response = client.post(
        api("meeting_registrations", m), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["outcome"], response.json()["name"]) == ("registered", "Mrs Jones " + XSS)
    saved = Registration.objects.get(meeting=m)
    assert (saved.user, saved.channel, saved.step_free, saved.entered_by) == (None, "phone", True, world.facilitator)
    again = client.post(
        api("meeting_registrations", m), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM
    )
    assert again.status_code == 409
    full = post_json(client, api("meeting_registrations", m), {"name": "Mr Evans", "channel": "paper"})
    assert full.status_code == 202 and full.json()["status"] == "waitlisted"
    assert Registration.objects.filter(meeting=m).count() == 2


def test_registering_someone_needs_the_right_and_good_details(world):
    m = meeting(world.project, created_by=world.facilitator)
    body = {"name": "Mrs Jones", "channel": "phone"}
    for persona in ("participant", "observer", "anonymous"):
        assert post_json(world.client(persona), api("meeting_registrations", m), body).status_code == 403
    client = world.client("facilitator")
    response = post_json(
        client, api("meeting_registrations", m), {"name": " ", "email": "not-an-email", "channel": "phone"}
    )
    assert response.status_code == 400 and set(response.json()) == {"name", "email"}
    for field, value in (("channel", "online"), ("language", "xx"), ("other_needs", "x" * 1001)):
        response = post_json(client, api("meeting_registrations", m), {**body, field: value})
        assert response.status_code == 400 and field in response.json(), field
    draft = meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT)
    response = post_json(client, api("meeting_registrations", draft), body)
    assert response.status_code == 400 and response.json() == {
        "detail": ["Only a published meeting takes registrations."]
    }
    assert not Registration.objects.exists()


def test_facilitators_cancel_a_place_and_the_first_waiting_gets_it(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    first = register(m, world.participant)
    waiting = register(m, world.expert)
    assert delete(world.client("participant"), api("meeting_registration_staff", m, first.pk)).status_code == 403
    response = delete(world.client("facilitator"), api("meeting_registration_staff", m, first.pk))
    assert response.status_code == 200
    body = response.json()
    assert (body["registration"]["status"], body["already_cancelled"], body["told_by_email"]) == (
        "cancelled",
        False,
        True,
    )
    assert body["promoted"]["id"] == waiting.pk
    assert Registration.objects.get(pk=waiting.pk).status == "registered"
    again = delete(world.client("facilitator"), api("meeting_registration_staff", m, first.pk)).json()
    assert again["already_cancelled"] is True and again["promoted"] is None


# --- Attendance --------------------------------------------------------------------------------------------


def test_facilitators_record_who_came_walk_ins_and_a_number(world):
    m = started(world)
    came = register_past(m, world.participant)
    stayed_home = register_past(m, world.expert)
    phoned = walk_in_past(m, world, "Mrs Jones")
    client = world.client("facilitator")
    body = {
        "attended": [came.pk, phoned.pk],
        "absent": [stayed_home.pk],
        "walk_ins": ["Dai Bach " + XSS, "  mrs   JONES ", "Dai Bach " + XSS],
        "unnamed": 12,
    }
    response = client.post(
        api("meeting_attendance", m), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM
    )
    assert response.status_code == 200, response.json()
    out = response.json()
    assert out["added"] == ["Dai Bach " + XSS] and out["already_listed"] == ["mrs JONES"]
    assert (out["with_account"], out["named_without_account"], out["unnamed"], out["total"]) == (1, 2, 12, 15)
    assert set(Registration.objects.filter(meeting=m, attended=True).values_list("pk", flat=True)) == {
        came.pk,
        phoned.pk,
        Registration.objects.get(meeting=m, name="Dai Bach " + XSS).pk,
    }
    again = client.post(api("meeting_attendance", m), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM)
    assert again.status_code == 409  # the same save sent twice
    # Sent again without a key: nobody is added twice, and the number can stay as it was.
    response = post_json(client, api("meeting_attendance", m), {"walk_ins": ["Dai Bach " + XSS]})
    assert response.json()["already_listed"] == ["Dai Bach " + XSS] and response.json()["unnamed"] == 12
    assert Registration.objects.filter(meeting=m).count() == 4
    assert client.get(api("meeting_attendance", m)).json()["total"] == 15
    assert ActivityEntry.objects.filter(verb="meetings.attendance").count() == 2


def register_past(m, user):
    """A place at a meeting that has started (registration itself is closed by then)."""
    return Registration.objects.create(meeting=m, user=user, status="registered", queued_at=m.starts_at)


def walk_in_past(m, world, name):
    return Registration.objects.create(
        meeting=m, name=name, status="registered", queued_at=m.starts_at, entered_by=world.facilitator
    )


def test_attendance_is_for_facilitators_and_bad_input_changes_nothing(world):
    m = started(world)
    came = register_past(m, world.participant)
    for persona in ("participant", "observer", "anonymous"):
        client = world.client(persona)
        assert post_json(client, api("meeting_attendance", m), {"attended": [came.pk]}).status_code == 403
        assert client.get(api("meeting_attendance", m)).status_code == 403
    client = world.client("facilitator")
    other = register_past(started(world), world.expert)
    for body, field in (
        ({"unnamed": -1}, "unnamed"),
        ({"unnamed": "²"}, "unnamed"),
        ({"unnamed": 100_001}, "unnamed"),
        ({"attended": [10**30]}, "attended"),
        ({"attended": ["①"]}, "attended"),
        ({"attended": [other.pk]}, "attended"),
        ({"attended": [came.pk], "absent": [came.pk]}, "absent"),
        ({"walk_ins": ["x" * 201]}, "walk_ins"),
        ({"walk_ins": ["x"] * 501}, "walk_ins"),
    ):
        response = post_json(client, api("meeting_attendance", m), body)
        assert response.status_code == 400, body
        assert field in response.json(), body
    future = meeting(world.project, created_by=world.facilitator)
    response = post_json(client, api("meeting_attendance", future), {"unnamed": 3})
    assert response.status_code == 400
    assert response.json() == {"detail": ["Attendance can be recorded from an hour before the meeting starts."]}
    assert not Registration.objects.filter(attended=True).exists()
    assert Meeting.objects.filter(unnamed_attendees__gt=0).count() == 0


# --- Minutes and actions -----------------------------------------------------------------------------------


def test_facilitators_save_publish_and_hide_the_minutes(world):
    m = started(world)
    client = world.client("facilitator")
    saved = put_json(client, api("meeting_minutes", m), {"minutes": "<p>Draft</p><script>x</script>"})
    assert saved.status_code == 200
    assert saved.json() == {
        "minutes": "<p>Draft</p>",
        "published": False,
        "published_at": None,
        "not_published_because": "",
    }
    assert world.client("participant").get(detail_url(m)).json()["minutes"] is None
    published = put_json(client, api("meeting_minutes", m), {"minutes": "<p>Agreed</p>", "publish": True})
    assert published.json()["published"] is True
    assert world.client("anonymous").get(detail_url(m)).json()["minutes"] == "<p>Agreed</p>"
    kept = put_json(client, api("meeting_minutes", m), {"minutes": "<p>Agreed, typo fixed</p>"})
    assert kept.json()["published"] is True  # left out: stays published
    hidden = put_json(client, api("meeting_minutes", m), {"minutes": "<p>Agreed, typo fixed</p>", "publish": False})
    assert hidden.json()["published"] is False
    m.refresh_from_db()
    assert m.minutes == "<p>Agreed, typo fixed</p>" and m.minutes_published_at is None
    assert client.get(api("meeting_minutes", m)).json()["minutes"] == "<p>Agreed, typo fixed</p>"


def test_minutes_of_a_meeting_to_come_are_saved_but_not_published_and_bad_ones_are_400s(world):
    m = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    response = put_json(client, api("meeting_minutes", m), {"minutes": "<p>Plan</p>", "publish": True})
    assert response.status_code == 200
    assert response.json()["published"] is False
    assert response.json()["not_published_because"] == "Minutes can be published once the meeting has taken place."
    assert Meeting.objects.get(pk=m.pk).minutes == "<p>Plan</p>"
    assert put_json(client, api("meeting_minutes", m), {"minutes": "", "publish": True}).status_code == 400
    assert put_json(client, api("meeting_minutes", m), {"publish": True}).status_code == 400
    assert put_json(client, api("meeting_minutes", m), {"minutes": "x" * 50001}).status_code == 400
    for persona in ("participant", "expert", "anonymous"):
        assert put_json(world.client(persona), api("meeting_minutes", m), {"minutes": "x"}).status_code == 403
        assert world.client(persona).get(api("meeting_minutes", m)).status_code == 403
    assert Meeting.objects.get(pk=m.pk).minutes == "<p>Plan</p>"


def test_facilitators_add_and_change_actions_and_the_assignee_marks_theirs_done(world):
    m = started(world)
    client = world.client("facilitator")
    response = client.post(
        api("meeting_actions", m),
        {"text": "Ask the council " + XSS, "assignee": world.participant.pk, "due_on": "2030-01-31"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=IDEM,
    )
    assert response.status_code == 201, response.json()
    action_id = response.json()["id"]
    assert response.json()["who"] == world.participant.public_name
    again = client.post(
        api("meeting_actions", m), {"text": "x"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM
    )
    assert again.status_code == 409
    edited = patch_json(client, api("meeting_action", m, action_id), {"assignee_name": "The Bus Company"})
    assert edited.status_code == 200
    assert (edited.json()["assignee"], edited.json()["who"]) == (None, "The Bus Company")
    action = MeetingAction.objects.get(pk=action_id)
    assert (action.text, action.assignee, action.due_on.isoformat()) == ("Ask the council " + XSS, None, "2030-01-31")
    patch_json(client, api("meeting_action", m, action_id), {"assignee": world.participant.pk})
    # Before the minutes are published, others do not see the actions at all.
    assert world.client("participant").get(api("meeting_actions", m)).status_code == 404
    status_url = api("meeting_action_status", m, action_id)
    assert post_json(world.client("participant"), status_url, {"done": True}).status_code == 404
    services.minutes_save(user=world.facilitator, meeting=m, minutes="<p>Done</p>", publish=True)
    listed = world.client("anonymous").get(api("meeting_actions", m)).json()
    assert [a["id"] for a in listed] == [action_id]
    assert post_json(world.client("expert"), status_url, {"done": True}).status_code == 403
    assert post_json(world.client("anonymous"), status_url, {"done": True}).status_code == 403
    done = post_json(world.client("participant"), status_url, {"done": True})
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert MeetingAction.objects.get(pk=action_id).done_at is not None
    assert post_json(world.client("participant"), status_url, {"done": "perhaps"}).status_code == 400


def test_actions_are_for_facilitators_to_write_and_bad_ones_are_400s(world):
    m = started(world)
    assert post_json(world.client("participant"), api("meeting_actions", m), {"text": "x"}).status_code == 403
    client = world.client("facilitator")
    for body, field in (
        ({"text": " "}, "text"),
        ({"text": "x", "assignee": world.outsider.pk}, "assignee"),
        ({"text": "x", "assignee": world.participant.pk, "assignee_name": "Ann"}, "assignee_name"),
        ({"text": "x", "assignee": 10**30}, "assignee"),
        ({"text": "x", "due_on": "31/31/2030"}, "due_on"),
        ({"text": "x" * 501}, "text"),
    ):
        response = post_json(client, api("meeting_actions", m), body)
        assert response.status_code == 400, body
        assert field in response.json(), body
    assert not MeetingAction.objects.exists()
    action = services.action_add(user=world.facilitator, meeting=m, text="Keep")
    assert (
        patch_json(world.client("participant"), api("meeting_action", m, action.pk), {"text": "x"}).status_code == 403
    )
    assert patch_json(client, api("meeting_action", m, action.pk), {"text": ""}).status_code == 400
    assert MeetingAction.objects.get(pk=action.pk).text == "Keep"


# --- Teams -------------------------------------------------------------------------------------------------


@pytest.fixture
def workshop(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=50)
    for person in members(world, 6) + members(world, 2, "expert") + members(world, 2, "facilitator"):
        register(m, person)
    walk_in(m, entered_by=world.facilitator, name="Phoned in")
    return m


def test_facilitators_preview_and_use_copros_suggestion_of_mixed_teams(world, workshop):
    client = world.client("facilitator")
    preview = client.get(api("meeting_teams_suggestion", workshop) + "?k=2")
    assert preview.status_code == 200
    assert [t["team"] for t in preview.json()] == [None, None]
    assert sum(len(t["members"]) for t in preview.json()) == 11
    assert all(t["mix"]["expert"] == 1 and t["mix"]["staff"] == 1 for t in preview.json())
    assert not Team.objects.exists()  # a preview makes nothing
    response = post_json(client, api("meeting_teams_suggestion", workshop), {"k": 2})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [t["name"] for t in body["teams"]] == ["Team 1", "Team 2"]
    assert body["unplaced"] == [] and TeamMember.objects.filter(meeting=workshop).count() == 11
    assert ActivityEntry.objects.filter(verb="meetings.teams_suggested").count() == 1


def test_the_suggestion_is_for_facilitators_and_needs_a_number_of_teams(world, workshop):
    for persona in ("participant", "expert", "anonymous"):
        client = world.client(persona)
        assert client.get(api("meeting_teams_suggestion", workshop) + "?k=2").status_code == 403
        assert post_json(client, api("meeting_teams_suggestion", workshop), {"k": 2}).status_code == 403
    client = world.client("facilitator")
    for query in ("", "?k=0", "?k=51", "?k=²", "?k=99999999999999999999"):
        response = client.get(api("meeting_teams_suggestion", workshop) + query)
        assert response.status_code == 400 and "k" in response.json(), query
    for body in ({}, {"k": 0}, {"k": 51}, {"k": "①"}):
        response = post_json(client, api("meeting_teams_suggestion", workshop), body)
        assert response.status_code == 400 and "k" in response.json(), body
    assert not Team.objects.exists()


def test_facilitators_make_rename_and_remove_teams_and_move_people(world, workshop):
    client = world.client("facilitator")
    made = post_json(client, api("meeting_teams", workshop), {"name": "Crossings " + XSS})
    assert made.status_code == 201 and made.json()["name"] == "Crossings " + XSS
    team = Team.objects.get(pk=made.json()["id"])
    other = services.team_create(user=world.facilitator, meeting=workshop, name="Buses")
    phoned = Registration.objects.get(meeting=workshop, name="Phoned in")
    moved = post_json(client, api("meeting_team_move", workshop), {"registration": phoned.pk, "team": team.pk})
    assert moved.status_code == 200
    assert TeamMember.objects.get(registration=phoned).team == team
    listed = moved.json()
    shown = next(t for t in listed["teams"] if t["id"] == team.pk)
    assert [m["name"] for m in shown["members"]] == ["Phoned in"]  # facilitators see names typed in
    assert len(listed["unplaced"]) == 10
    post_json(client, api("meeting_team_move", workshop), {"registration": phoned.pk, "team": other.pk})
    assert TeamMember.objects.get(registration=phoned).team == other
    post_json(client, api("meeting_team_move", workshop), {"registration": phoned.pk, "team": None})
    assert not TeamMember.objects.filter(registration=phoned).exists()
    renamed = patch_json(client, api("meeting_team", workshop, team.pk), {"name": "Safe crossings"})
    assert renamed.status_code == 200 and Team.objects.get(pk=team.pk).name == "Safe crossings"
    assert delete(client, api("meeting_team", workshop, other.pk)).status_code == 204
    assert list(Team.objects.values_list("name", flat=True)) == ["Safe crossings"]


def test_making_teams_is_for_facilitators_and_bad_input_is_a_400(world, workshop):
    team = services.team_create(user=world.facilitator, meeting=workshop, name="Buses")
    registration = register(workshop, world.participant)
    for persona in ("participant", "expert", "anonymous"):
        client = world.client(persona)
        assert post_json(client, api("meeting_teams", workshop), {"name": "Mine"}).status_code == 403
        move = {"registration": registration.pk, "team": team.pk}
        assert post_json(client, api("meeting_team_move", workshop), move).status_code == 403
        assert patch_json(client, api("meeting_team", workshop, team.pk), {"name": "x"}).status_code == 403
        assert delete(client, api("meeting_team", workshop, team.pk)).status_code == 403
    client = world.client("facilitator")
    assert post_json(client, api("meeting_teams", workshop), {"name": "Buses"}).json() == {
        "name": ["There is already a team with this name."]
    }
    assert post_json(client, api("meeting_teams", workshop), {"name": "x" * 101}).status_code == 400
    elsewhere = services.team_create(
        user=world.facilitator, meeting=meeting(world.project, created_by=world.facilitator), name="Far"
    )
    for body, field in (
        ({"registration": registration.pk, "team": elsewhere.pk}, "team"),
        ({"registration": 10**30, "team": team.pk}, "registration"),
        ({"registration": register(elsewhere.meeting, world.expert).pk, "team": team.pk}, "registration"),
        ({"registration": "①", "team": team.pk}, "registration"),
    ):
        response = post_json(client, api("meeting_team_move", workshop), body)
        assert response.status_code == 400 and field in response.json(), body
    waiting = Registration.objects.get(pk=registration.pk)
    waiting.status = "waitlisted"
    waiting.save()
    response = post_json(client, api("meeting_team_move", workshop), {"registration": waiting.pk, "team": team.pk})
    assert response.status_code == 400
    assert response.json() == {"detail": ["Only people with a place can be in a team."]}
    assert patch_json(client, api("meeting_team", workshop, team.pk), {"name": ""}).status_code == 400
    assert not TeamMember.objects.filter(team=team).exists() and Team.objects.get(pk=team.pk).name == "Buses"


def test_people_with_a_place_join_and_leave_teams_and_see_who_is_in_them(world, workshop):
    team = services.team_create(user=world.facilitator, meeting=workshop, name="Buses")
    services.team_member_move(
        user=world.facilitator, registration=Registration.objects.get(meeting=workshop, name="Phoned in"), team=team
    )
    client = world.client("participant")
    url = api("meeting_team_membership", workshop, team.pk)
    refused = client.post(url)
    assert refused.status_code == 400  # no place yet
    assert refused.json() == {"detail": ["Register for the workshop first: teams are made from the people coming."]}
    register(workshop, world.participant)
    joined = client.post(url)
    assert joined.status_code == 200
    names = [m["name"] for m in joined.json()["members"]]
    assert names == ["someone without an account", world.participant.public_name]  # typed-in names stay private
    listed = client.get(api("meeting_teams", workshop)).json()
    assert listed["my_team"] == team.pk and listed["unplaced"] is None
    public = world.client("anonymous").get(api("meeting_teams", workshop)).json()
    assert public["teams"][0]["members"] is None and public["teams"][0]["size"] == 2
    assert public["teams"][0]["mix"] == {"participant": 2, "staff": 0, "expert": 0}
    assert delete(client, url).status_code == 204
    assert not TeamMember.objects.filter(team=team, registration__user=world.participant).exists()
    assert world.client("observer").post(url).status_code == 403
    assert world.client("anonymous").post(url).status_code == 403
    private = meeting(world.private_project, created_by=world.facilitator)
    hidden = services.team_create(user=world.facilitator, meeting=private, name="Hidden")
    assert world.client("outsider").get(api("meeting_team", private, hidden.pk)).status_code == 404
    assert world.client("outsider").post(api("meeting_team_membership", private, hidden.pk)).status_code == 404


def test_a_teams_solution_is_submitted_as_an_idea_and_flagged_if_it_touches_a_fixed_line(world, workshop):
    pytest.importorskip("copro.ideas.services")
    from copro.core.links import links_from
    from copro.ideas.models import Idea
    from copro.projects.models import ScopeItem

    team = services.team_create(user=world.facilitator, meeting=workshop, name="Crossings")
    register(workshop, world.participant)
    services.team_join(user=world.participant, team=team)
    fixed = ScopeItem.objects.get(project=world.project, kind="fixed")
    body = {
        "title": "A zebra crossing " + XSS,
        "problem": "Children cross between parked cars.",
        "proposal": "Paint one.",
        "scope_items": [fixed.pk],
        "cost_estimate": 2500,
    }
    client = world.client("participant")
    response = client.post(
        api("meeting_team_ideas", workshop, team.pk), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM
    )
    assert response.status_code == 201, response.json()
    out = response.json()
    assert out["touches_fixed"] is True and out["fixed_flags"][0]["reason"] == fixed.reason
    idea = Idea.objects.get()
    assert (idea.pk, idea.author, idea.title, idea.cost_estimate) == (out["id"], world.participant, body["title"], 2500)
    assert [link.target_id for link in links_from(team).filter(kind="team_idea")] == [idea.pk]
    again = client.post(
        api("meeting_team_ideas", workshop, team.pk), body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=IDEM
    )
    assert again.status_code == 409 and Idea.objects.count() == 1
    detail = client.get(api("meeting_team", workshop, team.pk)).json()
    assert [i["id"] for i in detail["ideas"]] == [idea.pk]
    assert delete(world.client("facilitator"), api("meeting_team", workshop, team.pk)).status_code == 400


def test_only_the_team_and_facilitators_submit_its_solution_and_bad_ideas_are_400s(world, workshop):
    pytest.importorskip("copro.ideas.services")
    from copro.ideas.models import Idea

    team = services.team_create(user=world.facilitator, meeting=workshop, name="Crossings")
    body = {"title": "T", "problem": "P", "proposal": "Q"}
    register(workshop, world.expert)  # has a place, but is not in the team
    assert post_json(world.client("expert"), api("meeting_team_ideas", workshop, team.pk), body).status_code == 403
    for persona in ("observer", "anonymous"):
        assert post_json(world.client(persona), api("meeting_team_ideas", workshop, team.pk), body).status_code == 403
    client = world.client("facilitator")
    response = post_json(
        client, api("meeting_team_ideas", workshop, team.pk), {"title": "", "problem": "", "proposal": ""}
    )
    assert response.status_code == 400 and {"title", "problem", "proposal"} <= set(response.json())
    for field, value in (
        ("scope_items", [10**30]),
        ("scope_items", [999999]),
        ("cost_estimate", -1),
        ("cost_estimate", "²"),
    ):
        response = post_json(client, api("meeting_team_ideas", workshop, team.pk), {**body, field: value})
        assert response.status_code == 400 and field in response.json(), (field, value)
    assert not Idea.objects.exists()
    made = post_json(client, api("meeting_team_ideas", workshop, team.pk), body)
    assert made.status_code == 201 and Idea.objects.get().entered_by == world.facilitator


def test_the_teams_list_takes_the_same_queries_for_2_or_8_teams(world, workshop):
    client = world.client("facilitator")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(api("meeting_teams", workshop)).status_code == 200
        return len(ctx.captured_queries)

    services.teams_apply_suggestion(user=world.facilitator, meeting=workshop, k=2)
    small = count()
    for i in range(6):
        services.team_create(user=world.facilitator, meeting=workshop, name=f"More {i}")
    for person in members(world, 10):
        register(workshop, person)
    services.teams_apply_suggestion(user=world.facilitator, meeting=workshop)
    assert count() == small


def test_the_registrations_list_takes_the_same_queries_for_2_or_20_people(world):
    m = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(api("meeting_registrations", m)).status_code == 200
        return len(ctx.captured_queries)

    for person in members(world, 2):
        register(m, person, step_free=True)
    small = count()
    for person in members(world, 18):
        register(m, person, dietary="Vegan")
    services.registration_needs_met(registration=Registration.objects.first(), user=world.facilitator, met=True)
    assert count() == small


def test_the_calendar_address_in_the_api_is_personal_when_signed_in_and_can_be_renewed(world):
    from urllib.parse import parse_qs, urlparse

    project = world.private_project
    url = f"/api/projects/{project.slug}/meetings/calendar/"
    member = world.client("participant")
    body = member.get(url).json()
    assert body["personal"] is True
    key = parse_qs(urlparse(body["url"]).query)["key"][0]
    assert member.get(url).json()["url"] == body["url"]
    assert world.client("anonymous").get(body["url"]).status_code == 200
    renewed = member.post(url + "new-address/", content_type="application/json")
    assert renewed.status_code == 200
    assert key not in renewed.json()["url"]
    assert world.client("anonymous").get(body["url"]).status_code == 404
    assert world.client("anonymous").get(renewed.json()["url"]).status_code == 200
    # Outsiders learn nothing of a private project; anyone gets a public project's public address.
    assert world.client("outsider").get(url).status_code == 404
    assert world.client("anonymous").post(url + "new-address/").status_code == 404
    public = world.client("anonymous").get(f"/api/projects/{world.project.slug}/meetings/calendar/").json()
    assert public["personal"] is False and "key=" not in public["url"]
    assert (
        world.client("anonymous").post(f"/api/projects/{world.project.slug}/meetings/calendar/new-address/").status_code
        == 403
    )
