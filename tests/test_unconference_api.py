"""Open space through the REST API: what hosts and facilitators do on the pages, done through the API with
the same access rules (404 for whoever may not see, 403 for whoever may not act) and the services' own
refusals as 400s with per-field errors, and nothing saved when refused."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from copro.meetings.models import MeetingStatus
from copro.unconference.models import Host, HostInvite, OpenSpace, Room, Session, Slot
from tests.factories_unconference import meeting, open_space, publish, session

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def space(world):
    return open_space(world.project, created_by=world.facilitator)


@pytest.fixture
def private(world):
    return open_space(world.private_project, created_by=world.facilitator)


def api(name, space, *extra):
    return reverse(f"api:{name}", args=[space.project.slug, space.meeting_id, *extra])


def rooms(space):
    return list(space.rooms.order_by("position"))


def slots(space):
    return list(space.slots.order_by("starts_at"))


def post(client, url, data=None, **extra):
    return client.post(url, data or {}, content_type="application/json", **extra)


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def delete(client, url):
    return client.delete(url, HTTP_X_CSRFTOKEN=client.csrf_token())


# --- Setting up the open space and its settings -------------------------------------------------------


def test_a_facilitator_sets_up_an_open_space_once(world):
    the_meeting = meeting(world.project, created_by=world.facilitator)
    url = reverse("api:open_space", args=[world.project.slug, the_meeting.pk])
    client = world.client("facilitator")
    assert client.get(url).status_code == 404  # none yet
    response = post(client, url, {"intro": "Bring your questions."})
    assert response.status_code == 201
    assert response.json()["intro"] == "Bring your questions." and response.json()["manage"] is True
    assert OpenSpace.objects.get(meeting=the_meeting).intro == "Bring your questions."
    again = post(client, url, {"intro": "Something else"})  # a double click: the first one back
    assert again.status_code == 200 and again.json()["intro"] == "Bring your questions."
    assert OpenSpace.objects.filter(meeting=the_meeting).count() == 1


def test_setting_up_is_for_facilitators_and_refuses_bad_input(world):
    the_meeting = meeting(world.project, created_by=world.facilitator)
    url = reverse("api:open_space", args=[world.project.slug, the_meeting.pk])
    assert post(world.client("participant"), url, {"intro": "x"}).status_code == 403
    too_long = post(world.client("facilitator"), url, {"intro": "x" * 3001})
    assert too_long.status_code == 400 and "intro" in too_long.json()
    cancelled = meeting(world.project, created_by=world.facilitator, status=MeetingStatus.CANCELLED)
    refused = post(world.client("facilitator"), reverse("api:open_space", args=[world.project.slug, cancelled.pk]))
    assert refused.status_code == 400 and "cancelled" in refused.json()["detail"][0]
    assert not OpenSpace.objects.exists()
    hidden = meeting(world.private_project, created_by=world.facilitator)
    url = reverse("api:open_space", args=[world.private_project.slug, hidden.pk])
    assert post(world.client("outsider"), url).status_code == 404


def test_a_facilitator_changes_the_settings(world, space):
    response = patch(world.client("facilitator"), api("open_space", space), {"proposals_open": False})
    assert response.status_code == 200 and response.json()["proposals_open"] is False
    space.refresh_from_db()
    assert space.proposals_open is False and space.intro  # left out: kept
    seen = world.client("participant").get(api("open_space", space)).json()
    assert seen["can_propose"] is False and "closed" in seen["why_not"] and seen["manage"] is False
    # Sent as a form, a box left out is kept as it is, not read as "false".
    space.late_proposals = True
    space.save(update_fields=["late_proposals"])
    form = world.client("facilitator").patch(
        api("open_space", space), "intro=Welcome", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 200
    space.refresh_from_db()
    assert space.intro == "Welcome" and space.late_proposals is True and space.proposals_open is False


def test_changing_the_settings_is_for_facilitators_and_refuses_bad_input(world, space):
    assert patch(world.client("participant"), api("open_space", space), {"proposals_open": False}).status_code == 403
    client = world.client("facilitator")
    for bad in ({"intro": "x" * 3001}, {"late_proposals": "perhaps"}):
        response = patch(client, api("open_space", space), {"proposals_open": False, **bad})
        assert response.status_code == 400 and set(response.json()) <= {"intro", "late_proposals"}
    space.refresh_from_db()
    assert space.proposals_open is True and space.late_proposals is False


# --- Rooms ---------------------------------------------------------------------------------------------


def test_a_facilitator_adds_edits_and_removes_rooms(world, space):
    client = world.client("facilitator")
    added = post(client, api("open_space_rooms", space), {"name": "Garden room", "capacity": 15})
    assert added.status_code == 201
    room = Room.objects.get(pk=added.json()["id"])
    assert (room.name, room.capacity, room.access_notes) == ("Garden room", 15, "")
    edited = patch(client, api("open_space_room", space, room.pk), {"capacity": 20, "access_notes": "Step-free"})
    assert edited.status_code == 200 and edited.json()["name"] == "Garden room"
    room.refresh_from_db()
    assert (room.capacity, room.access_notes) == (20, "Step-free")
    placed = session(space, world.participant, room=room, slot=slots(space)[0])
    removed = delete(client, api("open_space_room", space, room.pk))
    assert removed.status_code == 200 and removed.json() == {"sessions_unscheduled": 1}
    assert not Room.objects.filter(pk=room.pk).exists()
    placed.refresh_from_db()
    assert placed.room_id is None and placed.slot_id is None
    listing = world.client("participant").get(api("open_space_rooms", space)).json()
    assert [r["name"] for r in listing] == ["Main hall", "Side room"]


def test_rooms_are_for_facilitators(world, space):
    participant = world.client("participant")
    hall = rooms(space)[0]
    assert post(participant, api("open_space_rooms", space), {"name": "Mine", "capacity": 5}).status_code == 403
    assert patch(participant, api("open_space_room", space, hall.pk), {"capacity": 1}).status_code == 403
    assert delete(participant, api("open_space_room", space, hall.pk)).status_code == 403
    assert Room.objects.filter(open_space=space).count() == 2
    hall.refresh_from_db()
    assert hall.capacity == 40


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "Main hall", "capacity": 10}, "name"),  # taken
        ({"name": "   ", "capacity": 10}, "name"),
        ({"name": "Attic", "capacity": 0}, "capacity"),
        ({"name": "Attic", "capacity": "²"}, "capacity"),
        ({"name": "Attic", "capacity": 10**30}, "capacity"),
        ({"name": "Attic"}, "capacity"),
    ],
)
def test_a_wrong_room_is_refused_field_by_field(world, space, data, field):
    response = post(world.client("facilitator"), api("open_space_rooms", space), data)
    assert response.status_code == 400 and field in response.json()
    assert Room.objects.filter(open_space=space).count() == 2


def test_editing_a_room_checks_the_name_and_the_room(world, space, private):
    client = world.client("facilitator")
    hall, side = rooms(space)
    response = patch(client, api("open_space_room", space, side.pk), {"name": "main hall"})
    assert response.status_code == 400 and "name" in response.json()
    side.refresh_from_db()
    assert side.name == "Side room"
    other = rooms(private)[0]
    assert patch(client, api("open_space_room", space, other.pk), {"capacity": 3}).status_code == 404
    assert client.patch(api("open_space", space) + f"rooms/{HUGE}/", {"capacity": 3}).status_code == 404


# --- Time slots ----------------------------------------------------------------------------------------


def test_a_facilitator_adds_and_removes_time_slots(world, space):
    client = world.client("facilitator")
    start = space.meeting.starts_at + timedelta(hours=4)
    response = post(
        client,
        api("open_space_slots", space),
        {"starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=45)).isoformat()},
    )
    assert response.status_code == 201
    slot = Slot.objects.get(pk=response.json()["id"])
    assert slot.starts_at == start and slot.ends_at == start + timedelta(minutes=45)
    assert len(world.client("participant").get(api("open_space_slots", space)).json()) == 4
    first = slots(space)[0]
    placed = session(space, world.participant, room=rooms(space)[0], slot=first)
    removed = delete(client, api("open_space_slot", space, first.pk))
    assert removed.status_code == 200 and removed.json() == {"sessions_unscheduled": 1}
    assert not Slot.objects.filter(pk=first.pk).exists()
    placed.refresh_from_db()
    assert placed.slot_id is None


def test_a_facilitator_moves_a_time_slot_and_its_sessions_stay_in_it(world, space):
    client = world.client("facilitator")
    first, second, third = slots(space)
    placed = session(space, world.participant, room=rooms(space)[0], slot=third)
    start = third.starts_at + timedelta(minutes=15)
    moved = client.put(
        api("open_space_slot", space, third.pk),
        {"starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=50)).isoformat()},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    third.refresh_from_db()
    placed.refresh_from_db()
    assert third.starts_at == start and placed.slot_id == third.pk
    # Overlapping the slot before it: a 400 naming the field, nothing changed.
    refused = client.put(
        api("open_space_slot", space, third.pk),
        {"starts_at": second.starts_at.isoformat(), "ends_at": third.ends_at.isoformat()},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "starts_at" in refused.json()
    third.refresh_from_db()
    assert third.starts_at == start
    bad = client.put(api("open_space_slot", space, third.pk), {"starts_at": "soon"}, content_type="application/json")
    assert bad.status_code == 400
    data = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=30)).isoformat()}
    assert world.client("participant").put(api("open_space_slot", space, first.pk), data).status_code == 403
    assert client.put(api("open_space_slot", space, 999999), data).status_code == 404


def test_time_slots_are_for_facilitators(world, space):
    participant = world.client("participant")
    start = space.meeting.starts_at + timedelta(hours=4)
    data = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=30)).isoformat()}
    assert post(participant, api("open_space_slots", space), data).status_code == 403
    assert delete(participant, api("open_space_slot", space, slots(space)[0].pk)).status_code == 403
    assert Slot.objects.filter(open_space=space).count() == 3


def test_a_wrong_time_slot_is_refused_field_by_field(world, space):
    client = world.client("facilitator")
    first = slots(space)[0]
    later = space.meeting.starts_at + timedelta(days=30)
    for data, field in (
        ({"starts_at": first.starts_at.isoformat(), "ends_at": first.ends_at.isoformat()}, "starts_at"),  # overlaps
        ({"starts_at": first.ends_at.isoformat(), "ends_at": first.starts_at.isoformat()}, "ends_at"),
        ({"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()}, "starts_at"),
        ({"starts_at": "soon", "ends_at": "later"}, "starts_at"),
    ):
        response = post(client, api("open_space_slots", space), data)
        assert response.status_code == 400 and field in response.json(), data
    assert Slot.objects.filter(open_space=space).count() == 3
    other = open_space(world.project, created_by=world.facilitator)
    assert delete(client, api("open_space_slot", space, slots(other)[0].pk)).status_code == 404


# --- Sessions from the wall ------------------------------------------------------------------------------


def test_a_facilitator_types_in_a_session_from_the_wall(world, space):
    client = world.client("facilitator")
    key = str(uuid.uuid4())
    data = {"title": "Bike repair café", "host_name": "Mair Jones", "unavailable_slots": [slots(space)[0].pk]}
    response = post(client, api("open_space_enter", space), data, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201
    made = Session.objects.get(pk=response.json()["id"])
    assert (made.title, made.host_name, made.entered_by) == ("Bike repair café", "Mair Jones", world.facilitator)
    assert not Host.objects.filter(session=made).exists()
    assert response.json()["hosts"] == ["Mair Jones"]
    assert response.json()["unavailable_slots"] == [slots(space)[0].pk]
    assert post(client, api("open_space_enter", space), data, HTTP_IDEMPOTENCY_KEY=key).status_code == 409
    assert Session.objects.filter(open_space=space).count() == 1


def test_typing_in_sessions_is_for_facilitators_and_refuses_bad_input(world, space):
    data = {"title": "Mine", "host_name": "Me"}
    assert post(world.client("participant"), api("open_space_enter", space), data).status_code == 403
    client = world.client("facilitator")
    for bad, field in (
        ({"title": "Bikes", "host_name": "  "}, "host_name"),
        ({"title": "", "host_name": "Mair"}, "title"),
        ({"title": "Bikes", "host_name": "Mair", "unavailable_slots": ["①"]}, "unavailable_slots"),
    ):
        response = post(client, api("open_space_enter", space), bad)
        assert response.status_code == 400 and field in response.json(), bad
    assert not Session.objects.exists()


# --- One session: its hosts edit, withdraw and bring it back ---------------------------------------------


def test_a_host_reads_and_edits_their_session(world, space):
    s = session(space, world.participant, title="Walking buses")
    client = world.client("participant")
    seen = client.get(api("open_space_session", space, s.pk)).json()
    assert seen["hosting"] is True and seen["can_edit"] is True
    assert seen["host_people"] == [{"user_id": world.participant.pk, "name": world.participant.public_name}]
    first = slots(space)[0]
    response = patch(client, api("open_space_session", space, s.pk), {"title": "Walking buses to school"})
    assert response.status_code == 200 and response.json()["title"] == "Walking buses to school"
    response = patch(client, api("open_space_session", space, s.pk), {"unavailable_slots": [first.pk]})
    assert response.status_code == 200 and response.json()["unavailable_slots"] == [first.pk]
    s.refresh_from_db()
    assert s.title == "Walking buses to school" and list(s.unavailable_slots.all()) == [first]
    other = world.client("expert").get(api("open_space_session", space, s.pk)).json()
    assert other["can_edit"] is False and other["host_people"] == [] and other["hosting"] is False


def test_only_hosts_and_facilitators_edit_a_session_and_bad_edits_change_nothing(world, space, private):
    s = session(space, world.participant, title="Walking buses")
    assert patch(world.client("expert"), api("open_space_session", space, s.pk), {"title": "Mine"}).status_code == 403
    client = world.client("participant")
    every_slot = [x.pk for x in slots(space)]
    for bad, field in (
        ({"title": ""}, "title"),
        ({"about": "x" * 3001}, "about"),
        ({"unavailable_slots": every_slot}, "unavailable_slots"),
        ({"unavailable_slots": [HUGE]}, "unavailable_slots"),
    ):
        response = patch(client, api("open_space_session", space, s.pk), bad)
        assert response.status_code == 400 and field in response.json(), bad
    s.refresh_from_db()
    assert s.title == "Walking buses" and not s.unavailable_slots.exists()
    assert patch(world.client("facilitator"), api("open_space_session", space, s.pk), {"title": "F"}).status_code == 200
    hidden = session(private, world.participant)
    assert world.client("outsider").get(api("open_space_session", private, hidden.pk)).status_code == 404


def test_a_host_withdraws_and_brings_back_a_session(world, space):
    s = session(space, world.participant, room=rooms(space)[0], slot=slots(space)[0])
    client = world.client("participant")
    response = post(client, api("open_space_withdraw", space, s.pk))
    assert response.status_code == 200 and response.json()["withdrawn"] is True
    s.refresh_from_db()
    assert s.withdrawn_at is not None and s.slot_id is None
    assert world.client("expert").get(api("open_space_session", space, s.pk)).status_code == 404
    response = post(client, api("open_space_restore", space, s.pk))
    assert response.status_code == 200 and response.json()["withdrawn"] is False
    s.refresh_from_db()
    assert s.withdrawn_at is None


def test_withdrawing_is_for_hosts_and_bringing_back_follows_the_proposal_rules(world, space):
    s = session(space, world.participant)
    assert post(world.client("expert"), api("open_space_withdraw", space, s.pk)).status_code == 403
    s.refresh_from_db()
    assert s.withdrawn_at is None
    post(world.client("participant"), api("open_space_withdraw", space, s.pk))
    assert post(world.client("expert"), api("open_space_restore", space, s.pk)).status_code == 404  # hidden now
    OpenSpace.objects.filter(pk=space.pk).update(proposals_open=False)
    refused = post(world.client("participant"), api("open_space_restore", space, s.pk))
    assert refused.status_code == 400 and "closed" in refused.json()["detail"][0]
    s.refresh_from_db()
    assert s.withdrawn_at is not None


# --- Co-hosts ---------------------------------------------------------------------------------------------


def test_a_host_asks_a_co_host_who_accepts(world, space):
    s = session(space, world.participant)
    response = post(world.client("participant"), api("open_space_hosts", space, s.pk), {"email": "expert@example.org"})
    assert response.status_code == 202 and "expert@example.org" in response.json()["detail"]
    assert HostInvite.objects.filter(session=s, user=world.expert).exists()
    expert = world.client("expert")
    assert expert.get(api("open_space_session", space, s.pk)).json()["invited"] is True
    answered = post(expert, api("open_space_host_answer", space, s.pk), {"accept": True})
    assert answered.status_code == 200 and answered.json()["hosting"] is True and answered.json()["invited"] is False
    assert Host.objects.filter(session=s, user=world.expert).exists()
    assert not HostInvite.objects.exists()


def test_asking_for_an_unknown_address_says_the_same_and_asks_nobody(world, space):
    s = session(space, world.participant)
    client = world.client("participant")
    known = post(client, api("open_space_hosts", space, s.pk), {"email": "expert@example.org"}).json()["detail"]
    unknown = post(client, api("open_space_hosts", space, s.pk), {"email": "nobody@example.org"}).json()["detail"]
    assert unknown == known.replace("expert@example.org", "nobody@example.org")
    assert HostInvite.objects.count() == 1


def test_asking_co_hosts_is_for_hosts_and_needs_an_address(world, space):
    s = session(space, world.participant)
    data = {"email": "expert@example.org"}
    assert post(world.client("observer"), api("open_space_hosts", space, s.pk), data).status_code == 403
    for bad in ({"email": "not an address"}, {}):
        response = post(world.client("participant"), api("open_space_hosts", space, s.pk), bad)
        assert response.status_code == 400 and "email" in response.json()
    assert not HostInvite.objects.exists()


def test_declining_and_answering_without_an_invitation(world, space):
    s = session(space, world.participant)
    HostInvite.objects.create(session=s, user=world.expert, invited_by=world.participant)
    expert = world.client("expert")
    bad = post(expert, api("open_space_host_answer", space, s.pk), {"accept": "perhaps"})
    assert bad.status_code == 400 and "accept" in bad.json()
    assert HostInvite.objects.exists()
    declined = post(expert, api("open_space_host_answer", space, s.pk), {"accept": False})
    assert declined.status_code == 200 and declined.json()["hosting"] is False
    assert not HostInvite.objects.exists() and not Host.objects.filter(user=world.expert).exists()
    again = post(expert, api("open_space_host_answer", space, s.pk), {"accept": True})
    assert again.status_code == 400 and "no invitation" in again.json()["detail"][0]
    # Observers may not host: a 403, whatever they were sent.
    assert (
        post(world.client("observer"), api("open_space_host_answer", space, s.pk), {"accept": True}).status_code == 403
    )


def test_removing_a_host(world, space):
    s = session(space, world.participant, co_hosts=(world.expert,))
    client = world.client("participant")
    assert delete(world.client("observer"), api("open_space_host", space, s.pk, world.expert.pk)).status_code == 403
    assert delete(client, api("open_space_host", space, s.pk, world.expert.pk)).status_code == 204
    assert list(Host.objects.filter(session=s).values_list("user_id", flat=True)) == [world.participant.pk]
    assert delete(client, api("open_space_host", space, s.pk, world.expert.pk)).status_code == 404  # not one now
    last = delete(client, api("open_space_host", space, s.pk, world.participant.pk))
    assert last.status_code == 400 and "needs a host" in last.json()["detail"][0]
    assert Host.objects.filter(session=s).count() == 1
    assert (
        delete(world.client("facilitator"), api("open_space_host", space, s.pk, world.participant.pk)).status_code
        == 204
    )


# --- Building the schedule ---------------------------------------------------------------------------------


def test_a_facilitator_builds_the_schedule_and_gets_its_figures(world, space):
    a = session(space, world.participant, title="A", marks=(world.expert, world.observer))
    b = session(space, world.expert, title="B", marks=(world.observer,))
    response = post(world.client("facilitator"), api("open_space_build", space))
    assert response.status_code == 200
    data = response.json()
    assert data["placed"] == 2 and data["unscheduled"] == [] and data["released"] == []
    assert data["clashes"] == 0 and data["overflow"] == 0
    assert set(data["greedy"]) == {"placed", "clashes", "people_with_clash", "overflow"}
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.slot_id is not None and b.slot_id is not None and a.slot_id != b.slot_id  # the observer wants both
    space.refresh_from_db()
    assert space.built_at is not None and space.build_figures["scheduled"] == 2
    figures = world.client("facilitator").get(api("open_space_figures", space)).json()
    assert figures["placed"] == 2 and figures["sessions"] == 2 and figures["room_slots"] == 6
    assert figures["hard_violations"] == 0 and figures["greedy"]["placed"] == 2


def test_building_is_for_facilitators_and_refused_without_sessions_or_once_published(world, space):
    assert post(world.client("participant"), api("open_space_build", space)).status_code == 403
    assert world.client("participant").get(api("open_space_figures", space)).status_code == 403
    client = world.client("facilitator")
    empty = post(client, api("open_space_build", space))
    assert empty.status_code == 400 and "no sessions" in empty.json()["detail"][0]
    s = session(space, world.participant)
    publish(space)
    refused = post(client, api("open_space_build", space))
    assert refused.status_code == 400 and "published" in refused.json()["detail"][0]
    s.refresh_from_db()
    space.refresh_from_db()
    assert s.slot_id is None and space.built_at is None


# --- Adjusting by hand -----------------------------------------------------------------------------------


def test_a_facilitator_places_a_session_by_hand(world, space):
    s = session(space, world.participant)
    hall, first = rooms(space)[0], slots(space)[0]
    response = post(
        world.client("facilitator"),
        api("open_space_place", space),
        {"session": s.pk, "room": hall.pk, "slot": first.pk},
    )
    assert response.status_code == 200
    assert (response.json()["room"], response.json()["slot"], response.json()["pinned"]) == (hall.pk, first.pk, True)
    s.refresh_from_db()
    assert (s.room, s.slot, s.pinned) == (hall, first, True)


def test_placing_is_for_facilitators_and_refuses_a_taken_room_or_bad_ids(world, space):
    hall, first = rooms(space)[0], slots(space)[0]
    session(space, world.expert, title="There first", room=hall, slot=first)
    s = session(space, world.participant)
    data = {"session": s.pk, "room": hall.pk, "slot": first.pk}
    assert post(world.client("participant"), api("open_space_place", space), data).status_code == 403
    client = world.client("facilitator")
    taken = post(client, api("open_space_place", space), data)
    assert taken.status_code == 400 and "There first" in taken.json()["detail"][0]
    for bad, field in (
        ({**data, "session": "²"}, "session"),
        ({**data, "room": HUGE}, "room"),
        ({**data, "slot": 10**30}, "slot"),
        ({**data, "room": 0}, "room"),
        ({**data, "session": 987654}, "session"),  # not one of this open space's
    ):
        response = post(client, api("open_space_place", space), bad)
        assert response.status_code == 400 and field in response.json(), bad
    s.refresh_from_db()
    assert s.slot_id is None


def test_a_facilitator_swaps_two_sessions(world, space):
    hall, side = rooms(space)
    first, second = slots(space)[:2]
    a = session(space, world.participant, title="A", room=hall, slot=first)
    b = session(space, world.expert, title="B", room=side, slot=second)
    response = post(world.client("facilitator"), api("open_space_swap", space), {"first": a.pk, "second": b.pk})
    assert response.status_code == 200
    assert (response.json()["first"]["room"], response.json()["second"]["room"]) == (side.pk, hall.pk)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.room, a.slot, b.room, b.slot) == (side, second, hall, first)


def test_swapping_is_for_facilitators_and_needs_two_sessions(world, space):
    a = session(space, world.participant, room=rooms(space)[0], slot=slots(space)[0])
    b = session(space, world.expert)
    assert (
        post(world.client("participant"), api("open_space_swap", space), {"first": a.pk, "second": b.pk}).status_code
        == 403
    )
    same = post(world.client("facilitator"), api("open_space_swap", space), {"first": a.pk, "second": a.pk})
    assert same.status_code == 400 and "second" in same.json()
    missing = post(world.client("facilitator"), api("open_space_swap", space), {"first": a.pk})
    assert missing.status_code == 400 and "second" in missing.json()
    a.refresh_from_db()
    assert a.room == rooms(space)[0]


def test_a_facilitator_takes_a_session_out_and_keeps_or_frees_one(world, space):
    hall, first = rooms(space)[0], slots(space)[0]
    a = session(space, world.participant, room=hall, slot=first)
    client = world.client("facilitator")
    pinned = post(client, api("open_space_pin", space), {"session": a.pk, "pinned": True})
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    a.refresh_from_db()
    assert a.pinned is True
    freed = post(client, api("open_space_pin", space), {"session": a.pk, "pinned": False})
    assert freed.status_code == 200 and freed.json()["pinned"] is False
    response = post(client, api("open_space_take_out", space), {"session": a.pk})
    assert response.status_code == 200 and response.json()["room"] is None
    a.refresh_from_db()
    assert a.room_id is None and a.slot_id is None and a.pinned is False


def test_taking_out_and_keeping_are_for_facilitators_and_refuse_bad_input(world, space):
    a = session(space, world.participant, room=rooms(space)[0], slot=slots(space)[0])
    b = session(space, world.expert)
    participant = world.client("participant")
    assert post(participant, api("open_space_take_out", space), {"session": a.pk}).status_code == 403
    assert post(participant, api("open_space_pin", space), {"session": a.pk, "pinned": True}).status_code == 403
    client = world.client("facilitator")
    bad = post(client, api("open_space_take_out", space), {"session": "abc"})
    assert bad.status_code == 400 and "session" in bad.json()
    not_placed = post(client, api("open_space_pin", space), {"session": b.pk, "pinned": True})
    assert not_placed.status_code == 400 and "room and time first" in not_placed.json()["detail"][0]
    assert post(client, api("open_space_pin", space), {"session": a.pk}).status_code == 400  # pinned: required
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.slot_id is not None and a.pinned is False and b.pinned is False


# --- Publishing and taking down ----------------------------------------------------------------------------


def test_a_facilitator_publishes_and_takes_down_the_schedule(world, space):
    session(space, world.participant, room=rooms(space)[0], slot=slots(space)[0])
    client = world.client("facilitator")
    response = post(client, api("open_space_publish", space))
    assert response.status_code == 200 and response.json()["published"] is True
    space.refresh_from_db()
    assert space.published_at is not None
    assert len(world.client("participant").get(api("open_space_schedule", space)).json()["sessions"]) == 1
    down = delete(client, api("open_space_publish", space))
    assert down.status_code == 200 and down.json()["published"] is False
    space.refresh_from_db()
    assert space.published_at is None
    assert world.client("participant").get(api("open_space_schedule", space)).json()["sessions"] == []


def test_publishing_is_for_facilitators_and_needs_a_schedule(world, space):
    assert post(world.client("participant"), api("open_space_publish", space)).status_code == 403
    refused = post(world.client("facilitator"), api("open_space_publish", space))
    assert refused.status_code == 400 and "No session is in the schedule" in refused.json()["detail"][0]
    space.refresh_from_db()
    assert space.published_at is None
    publish(space)
    assert delete(world.client("participant"), api("open_space_publish", space)).status_code == 403
    space.refresh_from_db()
    assert space.published_at is not None


# --- Who may see --------------------------------------------------------------------------------------------


def test_outsiders_get_404_from_every_new_endpoint_of_a_private_project(world, private):
    s = session(private, world.participant)
    hall, first = rooms(private)[0], slots(private)[0]
    calls = [
        ("get", api("open_space", private)),
        ("patch", api("open_space", private)),
        ("get", api("open_space_rooms", private)),
        ("post", api("open_space_rooms", private)),
        ("patch", api("open_space_room", private, hall.pk)),
        ("delete", api("open_space_room", private, hall.pk)),
        ("get", api("open_space_slots", private)),
        ("post", api("open_space_slots", private)),
        ("delete", api("open_space_slot", private, first.pk)),
        ("post", api("open_space_enter", private)),
        ("get", api("open_space_session", private, s.pk)),
        ("patch", api("open_space_session", private, s.pk)),
        ("post", api("open_space_withdraw", private, s.pk)),
        ("post", api("open_space_restore", private, s.pk)),
        ("post", api("open_space_hosts", private, s.pk)),
        ("post", api("open_space_host_answer", private, s.pk)),
        ("delete", api("open_space_host", private, s.pk, world.participant.pk)),
        ("get", api("open_space_figures", private)),
        ("post", api("open_space_build", private)),
        ("post", api("open_space_place", private)),
        ("post", api("open_space_swap", private)),
        ("post", api("open_space_take_out", private)),
        ("post", api("open_space_pin", private)),
        ("post", api("open_space_publish", private)),
        ("delete", api("open_space_publish", private)),
    ]
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        for method, url in calls:
            if method == "get":
                response = client.get(url)
            elif method == "post":
                response = post(client, url, {"title": "x"})
            elif method == "patch":
                response = patch(client, url, {"title": "x"})
            else:
                response = delete(client, url)
            assert response.status_code == 404, (persona, method, url)
    assert Room.objects.filter(open_space=private).count() == 2 and Session.objects.get(pk=s.pk).withdrawn_at is None


def test_a_draft_meetings_open_space_is_hidden_from_members_but_not_from_facilitators(world):
    draft = open_space(
        world.project,
        created_by=world.facilitator,
        the_meeting=meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT),
    )
    assert world.client("participant").get(api("open_space", draft)).status_code == 404
    assert world.client("facilitator").get(api("open_space", draft)).status_code == 200


def test_the_openapi_document_describes_the_facilitators_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    base = "/api/projects/{slug}/meetings/{meeting_id}/open-space/"
    expected = {
        "": {"get", "post", "patch"},
        "rooms/": {"get", "post"},
        "rooms/{room_id}/": {"patch", "delete"},
        "slots/": {"get", "post"},
        "slots/{slot_id}/": {"delete"},
        "enter/": {"post"},
        "sessions/{session_id}/": {"get", "patch"},
        "sessions/{session_id}/withdraw/": {"post"},
        "sessions/{session_id}/restore/": {"post"},
        "sessions/{session_id}/hosts/": {"post"},
        "sessions/{session_id}/hosts/answer/": {"post"},
        "sessions/{session_id}/hosts/{user_id}/": {"delete"},
        "schedule/build/": {"post"},
        "schedule/figures/": {"get"},
        "schedule/place/": {"post"},
        "schedule/swap/": {"post"},
        "schedule/take-out/": {"post"},
        "schedule/pin/": {"post"},
        "schedule/publish/": {"post", "delete"},
    }
    for tail, methods in expected.items():
        assert methods <= set(paths[base + tail]), tail


def test_slot_times_without_a_zone_are_the_sites(world, space):
    start = timezone.localtime(space.meeting.starts_at) + timedelta(hours=5)
    naive = start.replace(tzinfo=None).isoformat()
    response = post(
        world.client("facilitator"),
        api("open_space_slots", space),
        {"starts_at": naive, "ends_at": (start + timedelta(minutes=30)).replace(tzinfo=None).isoformat()},
    )
    assert response.status_code == 201
    assert Slot.objects.get(pk=response.json()["id"]).starts_at == start


@pytest.mark.parametrize("n", [2, 30])
def test_the_facilitators_reads_take_a_bounded_number_of_queries(world, space, django_assert_max_num_queries, n):
    from tests import factories

    people = [factories.UserFactory() for _ in range(n)]
    made = [
        session(space, world.participant, title=f"S{i}", co_hosts=(people[i],), marks=tuple(people)) for i in range(n)
    ]
    client = world.client("facilitator")
    with django_assert_max_num_queries(16):
        assert client.get(api("open_space_session", space, made[0].pk)).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(api("open_space_figures", space)).json()["sessions"] == n
    with django_assert_max_num_queries(12):
        assert len(client.get(api("open_space_rooms", space)).json()) == 2
    with django_assert_max_num_queries(12):
        assert len(client.get(api("open_space_slots", space)).json()) == 3
