"""Community maps in the REST API: the same rules as the pages (drafts, private projects, hidden pins, names,
the map's area, roles, rate limits, CSRF), agreements, comments and constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from copro.maps.models import Agreement, Comment, MapStatus, Pin
from tests.factories_maps import community_map, pins

pytestmark = pytest.mark.django_db


@pytest.fixture
def the_map(world):
    return community_map(world.project, created_by=world.facilitator)


def maps_url(project):
    return reverse("api:maps", args=[project.slug])


def pins_url(the_map):
    return reverse("api:map_pins", args=[the_map.project.slug, the_map.pk])


def agree_url(pin):
    return reverse("api:map_pin_agree", args=[pin.map.project.slug, pin.map_id, pin.pk])


def comments_url(pin):
    return reverse("api:map_pin_comments", args=[pin.map.project.slug, pin.map_id, pin.pk])


def post_json(client, path, data):
    return client.post(path, data, content_type="application/json")


def a_pin(the_map, **fields):
    return pins(the_map, 1, **fields)[0]


# --- Maps ----------------------------------------------------------------------------------------


def test_the_list_shows_open_maps_to_participants_and_drafts_only_to_facilitators(world, the_map):
    draft = community_map(world.project, created_by=world.facilitator, status=MapStatus.DRAFT, title="Draft")
    listed = world.client("participant").get(maps_url(world.project)).json()
    assert [m["id"] for m in listed["results"]] == [the_map.pk]
    shown = listed["results"][0]
    assert shown["title"] == the_map.title and shown["status"] == "open" and shown["zoom"] == 13
    assert shown["bounds"] == {"south": 51.42, "west": -3.30, "north": 51.56, "east": -3.05}
    assert shown["centre"] == {"lat": 51.4816, "lng": -3.1791}
    assert [c["name"] for c in shown["categories"]] == [c.name for c in the_map.categories.all()]
    queen = the_map.places.get(name="Queen Street")
    assert {"id": queen.pk, "name": "Queen Street", "lat": 51.4816, "lng": -3.1746} in shown["places"]
    staff = world.client("facilitator").get(maps_url(world.project)).json()
    assert {m["id"] for m in staff["results"]} == {the_map.pk, draft.pk}
    assert world.client("anonymous").get(pins_url(draft)).status_code == 404


def test_a_private_projects_maps_are_a_404_for_outsiders(world):
    private_map = community_map(world.private_project, created_by=world.facilitator)
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        assert client.get(maps_url(world.private_project)).status_code == 404
        assert client.get(pins_url(private_map)).status_code == 404
    assert world.client("observer").get(maps_url(world.private_project)).status_code == 200


# --- Pins: the list ------------------------------------------------------------------------------


def test_the_pin_list_leaves_out_hidden_pins_and_shows_names_only_when_chosen(world, the_map):
    named = a_pin(the_map, author=world.participant, show_name=True, seed=1)
    unnamed = a_pin(the_map, author=world.expert, show_name=False, seed=2)
    hidden = a_pin(the_map, author=world.participant, seed=3, hidden_at=timezone.now(), hidden_reason="Abuse")
    Pin.objects.filter(pk=named.pk).update(photo="pins/2025/01/x.jpg", photo_alt="A broken kerb")
    for persona in ("anonymous", "participant", "facilitator"):  # hidden even for its author and facilitators
        body = world.client(persona).get(pins_url(the_map)).json()
        assert body["count"] == 2
        assert {p["id"] for p in body["results"]} == {named.pk, unnamed.pk}, persona
        assert hidden.pk not in {p["id"] for p in body["results"]}
    by_id = {p["id"]: p for p in body["results"]}
    assert by_id[named.pk]["author"] == world.participant.public_name
    assert by_id[unnamed.pk]["author"] is None
    assert world.expert.public_name not in str(body)
    assert by_id[named.pk]["photo"] == reverse("maps:photo", args=[world.project.slug, the_map.pk, named.pk])
    assert by_id[unnamed.pk]["photo"] is None
    first = by_id[named.pk]
    assert first["category"] == {"id": named.category_id, "name": named.category.name}
    assert first["lat"] == pytest.approx(named.lat) and first["channel"] == "online"
    assert first["agree_count"] == named.agree_count and first["comment_count"] == 0


def test_the_pin_list_is_paginated_newest_first_and_filters(world, the_map):
    made = pins(the_map, 7, seed=4)
    other = the_map.categories.all()[1]
    Pin.objects.filter(pk=made[0].pk).update(category=other, text="Broken bike stand")
    client = world.client("anonymous")
    first = client.get(pins_url(the_map), {"limit": 3}).json()
    second = client.get(pins_url(the_map), {"limit": 3, "offset": 3}).json()
    assert first["count"] == 7 and len(first["results"]) == 3 and "offset=3" in first["next"]
    newest_first = [p.pk for p in Pin.objects.filter(map=the_map).order_by("-created_at", "-id")]
    assert [p["id"] for p in first["results"] + second["results"]] == newest_first[:6]
    assert [p["id"] for p in client.get(pins_url(the_map), {"category": other.pk}).json()["results"]] == [made[0].pk]
    assert [p["id"] for p in client.get(pins_url(the_map), {"q": "bike stand"}).json()["results"]] == [made[0].pk]
    # A NUL (PostgreSQL refuses it in a query) or another control character is taken out of the search.
    assert [p["id"] for p in client.get(pins_url(the_map), {"q": "bike\x00 stand"}).json()["results"]] == [made[0].pk]
    bad = client.get(pins_url(the_map), {"category": "²"})
    assert bad.status_code == 400 and "category" in bad.json()


def test_the_pin_list_takes_the_same_number_of_queries_at_two_sizes(world, the_map, django_assert_num_queries):
    client = world.client("participant")
    pins(the_map, 5, seed=5, author=world.expert, show_name=True)
    counts = []
    for extra in (0, 300):
        pins(the_map, extra, seed=6, author=world.participant, show_name=True)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(pins_url(the_map), {"limit": 200})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert response.json()["count"] == 305 and len(response.json()["results"]) == 200
    with django_assert_num_queries(counts[0]):
        client.get(pins_url(the_map), {"limit": 500, "offset": 5})


# --- Pins: creating ------------------------------------------------------------------------------


def test_a_participant_creates_a_pin(world, the_map):
    category = the_map.categories.first()
    response = post_json(
        world.client("participant"),
        pins_url(the_map),
        {"category": category.pk, "text": "  Dangerous junction  ", "lat": 51.48, "lng": -3.18, "show_name": True},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    pin = Pin.objects.get(pk=body["id"])
    assert pin.author == world.participant and pin.text == "Dangerous junction" and pin.show_name
    assert pin.map == the_map and (pin.lat, pin.lng) == (51.48, -3.18) and pin.channel == "online"
    assert body["author"] == world.participant.public_name and body["category"]["id"] == category.pk
    by_place = post_json(
        world.client("expert"),
        pins_url(the_map),
        {"category": category.pk, "text": "Narrow pavement", "place": the_map.places.get(name="Queen Street").pk},
    )
    assert by_place.status_code == 201 and by_place.json()["place"] == "Queen Street"
    assert by_place.json()["author"] is None and by_place.json()["lat"] == 51.4816


def test_bad_pins_are_refused_with_clear_messages(world, the_map):
    other_map = community_map(world.project, created_by=world.facilitator, title="Other")
    client = world.client("participant")
    category = the_map.categories.first().pk
    cases = [
        ({"category": category, "text": "Here", "lat": 52.5, "lng": -1.9}, "lat", "outside the area"),
        ({"category": other_map.categories.first().pk, "text": "Here", "location_text": "x"}, "category", "categor"),
        ({"category": category, "text": "   ", "location_text": "Queen Street"}, "text", "Say what the issue is"),
        ({"category": category, "text": "Here"}, "location_text", "Say where"),
        ({"category": "many", "text": "Here", "location_text": "x"}, "category", "integer"),
    ]
    for data, field, words in cases:
        response = post_json(client, pins_url(the_map), data)
        assert response.status_code == 400, data
        assert words in " ".join(response.json()[field]), response.json()
    assert not Pin.objects.exists()


def test_a_closed_map_takes_no_pins(world, the_map):
    the_map.status = MapStatus.CLOSED
    the_map.save()
    response = post_json(
        world.client("participant"), pins_url(the_map), {"category": the_map.categories.first().pk, "text": "x"}
    )
    assert response.status_code == 400 and "not open" in str(response.json())


def test_observers_and_anonymous_people_cannot_pin_and_csrf_is_enforced(world, the_map):
    data = {"category": the_map.categories.first().pk, "text": "Pothole", "location_text": "Queen Street"}
    assert post_json(world.client("observer"), pins_url(the_map), data).status_code == 403
    assert post_json(world.client("anonymous"), pins_url(the_map), data).status_code in (401, 403)
    no_token = Client(enforce_csrf_checks=True)
    no_token.force_login(world.participant)
    refused = no_token.post(pins_url(the_map), data, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Pin.objects.exists()
    assert post_json(world.client("participant"), pins_url(the_map), data).status_code == 201


def test_pins_are_rate_limited_like_the_page(world, the_map, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "maps_pin": "2/h/user"}
    client = world.client("participant")
    data = {"category": the_map.categories.first().pk, "text": "Pothole", "location_text": "Queen Street"}
    statuses = [post_json(client, pins_url(the_map), data).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert Pin.objects.count() == 2


# --- Agreeing and commenting ---------------------------------------------------------------------


def test_agreeing_twice_counts_once_and_delete_takes_it_back(world, the_map):
    pin = a_pin(the_map, agree_count=0)
    client = world.client("participant")
    first = client.post(agree_url(pin))
    second = client.post(agree_url(pin))
    assert first.status_code == second.status_code == 200
    assert second.json() == {"agreed": True, "agree_count": 1}
    assert Agreement.objects.filter(pin=pin).count() == 1
    back = client.delete(agree_url(pin), HTTP_X_CSRFTOKEN=client.csrf_token())
    assert back.status_code == 200 and back.json() == {"agreed": False, "agree_count": 0}
    assert not Agreement.objects.exists()
    assert world.client("anonymous").post(agree_url(pin)).status_code in (401, 403)
    assert world.client("observer").post(agree_url(pin)).status_code == 403
    assert Pin.objects.get(pk=pin.pk).agree_count == 0


def test_a_hidden_pin_cannot_be_agreed_with(world, the_map):
    pin = a_pin(the_map, author=world.participant, hidden_at=timezone.now())
    assert world.client("expert").post(agree_url(pin)).status_code == 404
    mine = world.client("participant").post(agree_url(pin))
    assert mine.status_code == 400 and "hidden" in str(mine.json())


def test_comments_are_added_and_blank_ones_refused(world, the_map):
    pin = a_pin(the_map)
    client = world.client("participant")
    response = post_json(client, comments_url(pin), {"text": "  I agree, it floods  ", "show_name": True})
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "I agree, it floods" and body["author"] == world.participant.public_name
    comment = Comment.objects.get(pk=body["id"])
    assert comment.pin == pin and comment.author == world.participant
    assert Pin.objects.get(pk=pin.pk).comment_count == 1
    blank = post_json(client, comments_url(pin), {"text": "   "})
    assert blank.status_code == 400 and "Write a comment first." in blank.json()["text"]
    assert post_json(world.client("anonymous"), comments_url(pin), {"text": "Hi"}).status_code in (401, 403)
    assert Comment.objects.count() == 1


def test_the_openapi_document_describes_the_maps_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/projects/{slug}/maps/" in paths
    pins_path = paths["/api/projects/{slug}/maps/{map_id}/pins/"]
    assert "Photos cannot be sent through the API" in pins_path["post"]["description"]
    assert "delete" in paths["/api/projects/{slug}/maps/{map_id}/pins/{pin_id}/agree/"]
