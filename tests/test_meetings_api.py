"""Meetings in the REST API: the same rules as the pages (drafts, private projects, join links), registering
with clear status codes (201 a place, 202 the waiting list, 200 already registered), cancelling (204, then
the waiting list moves), CSRF, and constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from copro.meetings.models import AgendaItem, MeetingStatus, Registration
from tests import factories
from tests.conftest import CsrfClient
from tests.factories import XSS
from tests.factories_meetings import meeting, register

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
