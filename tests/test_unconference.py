"""Open space: who may see and do what, proposing (and proposing too late), marking, building the schedule,
adjusting it by hand (and the rules hand changes may not break), publishing, the board, emails, the API,
query counts, exports, personal data and erasure, and the demo."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from copro.accounts.models import EmailFrequency
from copro.core.components import registry
from copro.core.models import ActivityEntry
from copro.meetings.models import MeetingStatus
from copro.unconference import services
from copro.unconference.models import Host, Interest, OpenSpace, Room, ScheduleNotice, Session, Slot
from tests import factories
from tests.conftest import client_for
from tests.factories import XSS
from tests.factories_unconference import meeting, open_space, publish, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def space(world):
    return open_space(world.project, created_by=world.facilitator)


def url(name, space, *extra):
    return reverse(f"unconference:{name}", args=[space.project.slug, space.meeting_id, *extra])


def api(name, space, *extra):
    return reverse(f"api:{name}", args=[space.project.slug, space.meeting_id, *extra])


def rooms(space):
    return list(space.rooms.order_by("position"))


def slots(space):
    return list(space.slots.order_by("starts_at"))


def propose(client, space, title="Safer crossings near schools", **data):
    return client.post(url("propose", space), {"title": title, "about": "Let us talk about it.", **data})


def people(n):
    return [factories.UserFactory() for _ in range(n)]


# --- Who may see and do what -------------------------------------------------------------------------


def test_outsiders_get_404_for_everything_on_a_private_projects_open_space(world):
    private = open_space(world.private_project, created_by=world.facilitator)
    s = session(private, world.participant)
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        for name, extra in (("sessions", []), ("board", []), ("propose", []), ("session", [s.pk]), ("manage", [])):
            assert client.get(url(name, private, *extra)).status_code == 404, (persona, name)
        assert client.post(url("mark", private, s.pk)).status_code == 404
        assert client.get(api("open_space_sessions", private)).status_code == 404
    assert world.client("observer").get(url("sessions", private)).status_code == 200


def test_a_draft_meetings_open_space_is_a_404_except_for_facilitators(world):
    draft = open_space(
        world.project,
        created_by=world.facilitator,
        the_meeting=meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT),
    )
    assert world.client("participant").get(url("sessions", draft)).status_code == 404
    assert world.client("participant").get(url("board", draft)).status_code == 404
    assert world.client("facilitator").get(url("sessions", draft)).status_code == 200


def test_only_facilitators_set_up_build_adjust_and_publish(world, space):
    a = session(space, world.participant)
    for persona in ("participant", "expert", "observer", "outsider", "anonymous"):
        client = world.client(persona)
        assert client.get(url("manage", space)).status_code == 403, persona
        assert client.get(url("schedule", space)).status_code == 403, persona
        for name in ("build", "publish", "place", "swap", "unplace", "pin", "room_add", "slot_add", "settings"):
            response = client.post(url(name, space), {"session": a.pk, "room": rooms(space)[0].pk})
            assert response.status_code == 403, (persona, name)
        assert client.post(url("room_remove", space, rooms(space)[0].pk)).status_code == 403
    a.refresh_from_db()
    assert a.room is None and Room.objects.filter(open_space=space).count() == 2
    assert OpenSpace.objects.get(pk=space.pk).published_at is None
    assert world.client("facilitator").get(url("schedule", space)).status_code == 200


def test_observers_mark_but_do_not_propose_and_anonymous_people_do_neither(world, space):
    s = session(space, world.participant)
    assert propose(world.client("observer"), space).status_code == 403
    assert world.client("observer").post(url("mark", space, s.pk)).status_code == 302
    assert propose(world.client("anonymous"), space).status_code == 403
    assert world.client("anonymous").post(url("mark", space, s.pk)).status_code == 403
    assert world.client("anonymous").get(url("sessions", space)).status_code == 200
    # An outsider at a public project's meeting may take part.
    assert propose(world.client("outsider"), space, title="From the street").status_code == 302
    assert Interest.objects.filter(session=s).count() == 1


def test_a_meeting_without_an_open_space_explains_itself_and_facilitators_can_set_one_up(world):
    m = meeting(world.project, created_by=world.facilitator)
    page_url = reverse("unconference:sessions", args=[world.project.slug, m.pk])
    response = world.client("participant").get(page_url)
    assert response.status_code == 200 and "There is no open space at this meeting" in response.content.decode()
    assert world.client("participant").get(page_url.replace("open-space/", "open-space/board/")).status_code == 404
    set_up = reverse("unconference:set_up", args=[world.project.slug, m.pk])
    assert world.client("participant").post(set_up, {"intro": "x"}).status_code == 403
    client = world.client("facilitator")
    assert client.post(set_up, {"intro": "Theme: getting to school"}).status_code == 302
    assert client.post(set_up, {"intro": "again"}).status_code == 302  # a double click: still one
    assert OpenSpace.objects.filter(meeting=m).count() == 1
    assert ActivityEntry.objects.filter(verb="unconference.set_up").count() == 1


# --- Proposing ---------------------------------------------------------------------------------------


def test_a_participant_proposes_a_session_and_hosts_it(world, space):
    response = propose(world.client("participant"), space, unavailable_slots=[slots(space)[0].pk])
    s = Session.objects.get()
    assert response.status_code == 302 and response["Location"] == url("session", space, s.pk)
    assert s.proposer == world.participant and not s.late
    assert list(Host.objects.filter(session=s).values_list("user", flat=True)) == [world.participant.pk]
    assert list(s.unavailable_slots.all()) == [slots(space)[0]]
    entry = ActivityEntry.objects.get(verb="unconference.proposed")
    assert entry.target_label == "Safer crossings near schools" and entry.visibility == "public"
    page = world.client("expert").get(url("sessions", space)).content.decode()
    assert "Safer crossings near schools" in page and world.participant.public_name not in page  # escaped
    assert "&lt;script&gt;" in page and XSS not in page


def test_proposing_needs_a_title_and_keeps_what_was_typed(world, space):
    response = propose(world.client("participant"), space, title="   ", about="My long thoughts")
    assert response.status_code == 400
    assert "Give your session a title." in response.content.decode()
    assert "My long thoughts" in response.content.decode()
    assert not Session.objects.exists()


def test_a_session_proposed_after_the_schedule_is_published_is_refused_and_nothing_typed_is_lost(world, space):
    publish(space)
    response = propose(world.client("participant"), space, title="Late idea", about="Words I took time over")
    text = response.content.decode()
    assert response.status_code == 400
    assert "The schedule is already published" in text
    assert "Late idea" in text and "Words I took time over" in text  # the form comes back filled in
    assert not Session.objects.exists()
    # The page says so before anyone types, too.
    assert (
        "The schedule is already published" in world.client("participant").get(url("propose", space)).content.decode()
    )
    # The API says the same, as a 400 with the reason.
    response = world.client("participant").post(
        api("open_space_sessions", space), {"title": "Late"}, content_type="application/json"
    )
    assert response.status_code == 400 and "already published" in json.dumps(response.json())


def test_with_late_proposals_allowed_a_late_session_goes_in_unscheduled(world, space):
    publish(space)
    space.late_proposals = True
    space.save()
    response = propose(world.client("participant"), space, title="Late but welcome")
    assert response.status_code == 302
    s = Session.objects.get()
    assert s.late and s.room is None
    board = world.client("participant").get(url("board", space)).content.decode()
    assert "Still looking for a room and time" in board and "Late but welcome" in board


def test_closed_proposals_are_refused(world, space):
    space.proposals_open = False
    space.save()
    assert propose(world.client("participant"), space).status_code == 400
    assert not Session.objects.exists()


def test_a_double_submitted_proposal_is_saved_once(world, space):
    token = str(uuid.uuid4())
    client = world.client("participant")
    assert propose(client, space, form_token=token).status_code == 302
    assert propose(client, space, form_token=token).status_code == 302
    assert Session.objects.count() == 1


def test_one_person_may_host_at_most_five_sessions_but_facilitators_are_not_limited(world, space):
    for i in range(services.MAX_PROPOSALS_PER_PERSON):
        services.session_propose(user=world.participant, open_space=space, title=f"S{i}")
    with pytest.raises(ValidationError, match="most one person can"):
        services.session_propose(user=world.participant, open_space=space, title="One too many")
    for i in range(services.MAX_PROPOSALS_PER_PERSON + 1):
        services.session_propose(user=world.facilitator, open_space=space, title=f"F{i}", facilitator=True)


def test_hosts_edit_and_withdraw_their_session_others_may_not(world, space):
    s = session(space, world.participant, title="Original")
    edit = url("session_edit", space, s.pk)
    assert world.client("expert").post(edit, {"title": "Hijacked"}).status_code == 403
    assert world.client("participant").post(edit, {"title": "Better title", "about": ""}).status_code == 302
    s.refresh_from_db()
    assert s.title == "Better title"
    assert world.client("expert").post(url("withdraw", space, s.pk)).status_code == 403
    assert world.client("participant").post(url("withdraw", space, s.pk)).status_code == 302
    assert world.client("expert").get(url("session", space, s.pk)).status_code == 404
    assert world.client("participant").get(url("session", space, s.pk)).status_code == 200
    assert "Better title" not in world.client("expert").get(url("sessions", space)).content.decode()
    assert ActivityEntry.objects.filter(verb="unconference.withdrawn").count() == 1


def test_co_hosts_are_added_by_email_among_people_taking_part(world, space):
    s = session(space, world.participant)
    client = world.client("participant")
    response = client.post(url("host_add", space, s.pk), {"email": "EXPERT@example.org"})
    assert response.status_code == 302
    assert set(Host.objects.filter(session=s).values_list("user", flat=True)) == {world.participant.pk, world.expert.pk}
    stranger = factories.UserFactory(email="stranger@example.org")
    response = client.post(url("host_add", space, s.pk), {"email": stranger.email})
    assert response.status_code == 400 and "We could not find" in response.content.decode()
    # Removing yourself leaves the other host; the last host cannot be removed (except by a facilitator).
    assert client.post(url("host_remove", space, s.pk), {"host": world.participant.pk}).status_code == 302
    expert = world.client("expert")
    expert.post(url("host_remove", space, s.pk), {"host": world.expert.pk})
    assert Host.objects.filter(session=s).count() == 1


# --- Marking -----------------------------------------------------------------------------------------


def test_marking_twice_is_harmless_and_unmarking_takes_it_back(world, space):
    s = session(space, world.participant)
    client = world.client("expert")
    for _ in range(2):
        assert client.post(url("mark", space, s.pk)).status_code == 302
    s.refresh_from_db()
    assert s.interest_count == 1 and Interest.objects.filter(session=s).count() == 1
    for _ in range(2):
        client.post(url("mark", space, s.pk), {"undo": "1"})
    s.refresh_from_db()
    assert s.interest_count == 0 and not Interest.objects.exists()
    # No activity entry per mark.
    assert (
        not ActivityEntry.objects.filter(verb__startswith="unconference.").exclude(verb="unconference.set_up").exists()
    )


def test_a_host_is_counted_in_their_own_session_without_a_mark(world, space):
    s = session(space, world.participant)
    response = world.client("participant").post(url("mark", space, s.pk), follow=True)
    assert "you are counted in it already" in response.content.decode()
    assert not Interest.objects.exists()


def test_the_mark_button_on_the_list_comes_back_to_the_session_in_the_list(world, space):
    s = session(space, world.participant)
    response = world.client("expert").post(url("mark", space, s.pk), {"back": "list"})
    assert response["Location"] == url("sessions", space) + f"#session-{s.pk}"


def test_a_withdrawn_session_cannot_be_marked(world, space):
    s = session(space, world.participant)
    services.session_withdraw(user=world.participant, session=s)
    assert world.client("expert").post(url("mark", space, s.pk)).status_code == 404
    with pytest.raises(ValidationError):
        services.interest_mark(user=world.expert, session=s)


# --- Rooms and slots -------------------------------------------------------------------------------------


def test_rooms_need_a_name_and_a_capacity_and_names_are_unique(world, space):
    client = world.client("facilitator")
    assert client.post(url("room_add", space), {"name": "Café", "capacity": "20"}).status_code == 302
    response = client.post(url("room_add", space), {"name": "café", "capacity": "5"})
    assert response.status_code == 400 and "There is already a room called" in response.content.decode()
    assert client.post(url("room_add", space), {"name": "Attic", "capacity": "0"}).status_code == 400
    assert client.post(url("room_add", space), {"name": "Attic", "capacity": "²"}).status_code == 400
    assert client.post(url("room_edit", space, 999999), {"name": "x", "capacity": "3"}).status_code == 404


def test_time_slots_may_not_overlap(world, space):
    first = slots(space)[0]
    client = world.client("facilitator")
    starts = (first.starts_at.astimezone()).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url("slot_add", space), {"starts_at": starts, "ends_at": starts[:-5] + "23:00"})
    assert response.status_code == 400 and "Slots must not overlap" in response.content.decode()
    response = client.post(url("slot_add", space), {"starts_at": starts, "ends_at": starts})
    assert response.status_code == 400
    assert space.slots.count() == 3


def test_removing_a_room_or_a_slot_takes_its_sessions_out_of_the_schedule(world, space):
    hall, side = rooms(space)
    first, second, _third = slots(space)
    a = session(space, world.participant, room=hall, slot=first, pinned=True)
    b = session(space, world.expert, room=side, slot=second)
    client = world.client("facilitator")
    assert client.post(url("room_remove", space, hall.pk)).status_code == 302
    assert client.post(url("slot_remove", space, second.pk)).status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.room, a.slot, a.pinned, b.room, b.slot) == (None, None, False, None, None)


# --- Building and adjusting the schedule ---------------------------------------------------------------


def test_building_puts_every_session_in_a_room_and_keeps_pinned_ones(world, space):
    hall, side = rooms(space)
    first, second, third = slots(space)
    folk = people(6)
    a = session(space, world.participant, title="A", marks=tuple(folk[:4]))
    b = session(space, world.expert, title="B", marks=tuple(folk[:4]))  # the same people as a: keep apart
    c = session(space, world.facilitator, title="C", marks=(folk[5],))
    pinned = session(space, folk[5], title="Pinned", room=side, slot=third, pinned=True)
    report = services.schedule_build(user=world.facilitator, open_space=space)
    assert report.result.hard_violations == 0 and report.kept == 1
    for s in (a, b, c, pinned):
        s.refresh_from_db()
    assert a.slot != b.slot and a.room is not None and b.room is not None and c.room is not None
    assert (pinned.room, pinned.slot) == (side, third)
    space.refresh_from_db()
    assert space.build_figures["clashes"] == 0 and "greedy" in space.build_figures
    assert ActivityEntry.objects.filter(verb="unconference.built").count() == 1
    assert {a.room, b.room} == {hall}  # the popular ones get the big room (in different slots)
    del first, second


def test_building_through_the_page_shows_the_figures(world, space):
    session(space, world.participant, title="A")
    client = world.client("facilitator")
    response = client.post(url("build", space), follow=True)
    text = response.content.decode()
    assert "Schedule built" in text and "How good is this schedule?" in text and "The simple method" in text


def test_building_is_refused_while_published_and_without_rooms(world, space):
    session(space, world.participant)
    publish(space)
    with pytest.raises(ValidationError, match="take the schedule down"):
        services.schedule_build(user=world.facilitator, open_space=space)
    empty = open_space(world.project, created_by=world.facilitator, rooms=[], slots=0)
    session(empty, world.participant)
    with pytest.raises(ValidationError, match="at least one room"):
        services.schedule_build(user=world.facilitator, open_space=empty)


def test_hand_adjustment_refuses_to_put_a_proposer_in_two_places(world, space):
    hall, side = rooms(space)
    first = slots(space)[0]
    a = session(space, world.participant, title="Walking buses", room=hall, slot=first)
    b = session(space, world.participant, title="Crossing patrols")
    response = world.client("facilitator").post(
        url("place", space), {"session": b.pk, "room": side.pk, "slot": first.pk, "pin": "on"}
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "cannot be in two places" in text and "Walking buses" in text and "There is a problem" in text
    b.refresh_from_db()
    assert b.room is None
    # A co-host counts too.
    c = session(space, world.expert, title="Third", co_hosts=(world.participant,))
    with pytest.raises(ValidationError, match="two places"):
        services.schedule_place(
            user=world.facilitator, open_space=space, session_id=c.pk, room_id=side.pk, slot_id=first.pk
        )
    del a


def test_hand_adjustment_refuses_a_room_already_taken_and_a_time_the_hosts_cannot_make(world, space):
    hall, side = rooms(space)
    first, second, _ = slots(space)
    session(space, world.participant, title="First in the hall", room=hall, slot=first)
    b = session(space, world.expert, title="B")
    with pytest.raises(ValidationError, match="already in Main hall"):
        services.schedule_place(
            user=world.facilitator, open_space=space, session_id=b.pk, room_id=hall.pk, slot_id=first.pk
        )
    b.unavailable_slots.add(second)
    with pytest.raises(ValidationError, match="cannot make"):
        services.schedule_place(
            user=world.facilitator, open_space=space, session_id=b.pk, room_id=side.pk, slot_id=second.pk
        )
    placed = services.schedule_place(
        user=world.facilitator, open_space=space, session_id=b.pk, room_id=side.pk, slot_id=first.pk
    )
    assert placed.pinned and placed.room == side


def test_swapping_two_sessions_and_taking_one_out(world, space):
    hall, side = rooms(space)
    first, second, _ = slots(space)
    a = session(space, world.participant, title="A", room=hall, slot=first)
    b = session(space, world.expert, title="B", room=side, slot=second)
    client = world.client("facilitator")
    assert client.post(url("swap", space), {"first": a.pk, "second": b.pk}).status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.room, a.slot, b.room, b.slot) == (side, second, hall, first) and a.pinned and b.pinned
    # Swap with a session not yet in the schedule: it takes the place, the other comes out.
    c = session(space, world.observer, title="C")
    assert client.post(url("swap", space), {"first": c.pk, "second": a.pk}).status_code == 302
    a.refresh_from_db()
    c.refresh_from_db()
    assert (c.room, c.slot, a.room) == (side, second, None)
    assert client.post(url("unplace", space), {"session": c.pk}).status_code == 302
    c.refresh_from_db()
    assert c.room is None and not c.pinned


def test_a_swap_that_would_double_book_a_host_is_refused(world, space):
    hall, side = rooms(space)
    first, second, _ = slots(space)
    session(space, world.participant, title="Hana at 1", room=hall, slot=first)
    b = session(space, world.participant, title="Hana at 2", room=hall, slot=second)
    c = session(space, world.expert, title="Other at 1", room=side, slot=first)
    # Swapping b and c would put Hana's "Hana at 2" at the first slot, beside "Hana at 1".
    with pytest.raises(ValidationError, match="two places"):
        services.schedule_swap(user=world.facilitator, open_space=space, first_id=b.pk, second_id=c.pk)
    b.refresh_from_db()
    assert b.slot == second


def test_pinning_and_bad_input_never_crash(world, space):
    hall = rooms(space)[0]
    first = slots(space)[0]
    a = session(space, world.participant, room=hall, slot=first)
    client = world.client("facilitator")
    assert client.post(url("pin", space), {"session": a.pk, "pinned": "1"}).status_code == 302
    a.refresh_from_db()
    assert a.pinned
    for bad in ("abc", "²", "99999999999999999999999", "", "-1"):
        assert client.post(url("pin", space), {"session": bad, "pinned": "1"}).status_code == 302
        assert client.post(url("unplace", space), {"session": bad}).status_code == 302
        response = client.post(url("place", space), {"session": bad, "room": bad, "slot": bad})
        assert response.status_code == 400
        assert client.post(url("swap", space), {"first": bad, "second": a.pk}).status_code == 400
    other = open_space(world.project, created_by=world.facilitator)
    foreign = session(other, world.expert)
    response = client.post(url("place", space), {"session": foreign.pk, "room": hall.pk, "slot": first.pk})
    assert response.status_code == 400
    foreign.refresh_from_db()
    assert foreign.room is None
    assert client.get(url("session", space, foreign.pk)).status_code == 404


def test_the_database_holds_one_session_per_room_and_slot(world, space):
    from django.db import IntegrityError, transaction

    hall = rooms(space)[0]
    first = slots(space)[0]
    session(space, world.participant, room=hall, slot=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        session(space, world.expert, room=hall, slot=first)


# --- Publishing and the board -----------------------------------------------------------------------------


def test_publishing_then_the_board_shows_everyone_the_schedule_and_highlights_your_sessions(world, space):
    hall, side = rooms(space)
    first, second, _ = slots(space)
    a = session(space, world.participant, title="Walking buses", room=hall, slot=first)
    b = session(space, world.expert, title="Crossing patrols", room=side, slot=first, marks=(world.observer,))
    before = world.client("observer").get(url("board", space)).content.decode()
    assert "Walking buses" not in before and "not published yet" in before
    client = world.client("facilitator")
    response = client.post(url("publish", space))
    assert response.status_code == 302 and response["Location"] == url("board", space)
    assert ActivityEntry.objects.filter(verb="unconference.published").count() == 1
    board = world.client("observer").get(url("board", space)).content.decode()
    assert "Walking buses" in board and "Crossing patrols" in board
    assert "Yours: you want to join" in board and "Yours: you are hosting" not in board
    mine = world.client("participant").get(url("board", space)).content.decode()
    assert "Yours: you are hosting" in mine
    assert "Walking buses" in world.client("anonymous").get(url("board", space)).content.decode()
    del a, b, second


def test_publishing_needs_a_schedule(world, space):
    session(space, world.participant)
    response = world.client("facilitator").post(url("publish", space), follow=True)
    assert "No session is in the schedule yet" in response.content.decode()
    assert OpenSpace.objects.get(pk=space.pk).published_at is None


def test_taking_the_schedule_down_hides_it_again(world, space):
    hall = rooms(space)[0]
    session(space, world.participant, title="Walking buses", room=hall, slot=slots(space)[0])
    client = world.client("facilitator")
    client.post(url("publish", space))
    client.post(url("publish", space), {"undo": "1"})
    assert "Walking buses" not in world.client("participant").get(url("board", space)).content.decode()
    assert "Preview" in client.get(url("board", space)).content.decode()


def test_publishing_emails_hosts_and_markers_once_respecting_their_choices(world, space, run_tasks, outbox):
    hall, side = rooms(space)
    first, second, _ = slots(space)
    weekly_host = factories.UserFactory(email="weekly-host@example.org", email_frequency=EmailFrequency.WEEKLY)
    weekly_marker = factories.UserFactory(email="weekly-marker@example.org", email_frequency=EmailFrequency.WEEKLY)
    quiet = factories.UserFactory(email="quiet@example.org", notify_by_email=False)
    session(
        space,
        world.participant,
        title="Walking buses",
        room=hall,
        slot=first,
        marks=(world.expert, weekly_marker, quiet),
    )
    session(space, weekly_host, title="Crossing patrols", room=side, slot=second, marks=(world.expert,))
    services.schedule_publish(user=world.facilitator, open_space=space)
    run_tasks()
    assert len(outbox.to("participant@example.org")) == 1
    assert len(outbox.to("weekly-host@example.org")) == 1  # hosts are told whatever their frequency
    assert outbox.to("weekly-marker@example.org") == [] and outbox.to("quiet@example.org") == []
    expert_mail = outbox.to("expert@example.org")
    assert len(expert_mail) == 1
    body = outbox.text(expert_mail[0])
    assert "Walking buses" in body and "Crossing patrols" in body and "/open-space/board/" in body
    # Taken down and published again: nobody is told twice.
    services.schedule_unpublish(user=world.facilitator, open_space=space)
    services.schedule_publish(user=world.facilitator, open_space=space)
    run_tasks()
    assert len(outbox.refresh().to("expert@example.org")) == 1
    assert ScheduleNotice.objects.filter(open_space=space).count() == 3


def test_the_board_lists_by_slot_for_phones_and_has_a_print_stylesheet(world, space):
    hall = rooms(space)[0]
    session(space, world.participant, title="Walking buses", room=hall, slot=slots(space)[0])
    publish(space)
    text = world.client("participant").get(url("board", space)).content.decode()
    assert 'class="os-board-narrow"' in text and 'class="os-board-wide"' in text
    assert "style=" not in text and "<script>" not in text.replace(XSS, "")
    from django.contrib.staticfiles import finders

    css = open(finders.find("unconference/unconference.css")).read()  # noqa: SIM115
    assert "@media print" in css and "landscape" in css


# --- Query counts ------------------------------------------------------------------------------------------


def _fill(space, world, n):
    hall, side = rooms(space)
    all_slots = slots(space)
    folk = people(4)
    made = []
    for i in range(n):
        placed = i < 2 * len(all_slots)
        made.append(
            session(
                space,
                folk[i % 4],
                title=f"S{i}",
                co_hosts=(world.expert,) if i == 0 else (),
                marks=(world.participant, folk[(i + 1) % 4]),
                room=(hall if i % 2 == 0 else side) if placed else None,
                slot=all_slots[i // 2] if placed else None,
            )
        )
    return made


@pytest.mark.parametrize("n", [4, 24])
def test_pages_read_a_fixed_number_of_queries_whatever_the_number_of_sessions(
    world, space, n, django_assert_max_num_queries
):
    _fill(space, world, n)
    publish(space)
    participant = world.client("participant")
    facilitator = world.client("facilitator")
    with django_assert_max_num_queries(12):
        assert participant.get(url("sessions", space)).status_code == 200
    with django_assert_max_num_queries(14):
        assert participant.get(url("board", space)).status_code == 200
    with django_assert_max_num_queries(20):
        assert facilitator.get(url("schedule", space)).status_code == 200
    with django_assert_max_num_queries(10):
        assert participant.get(api("open_space_sessions", space)).status_code == 200
    with django_assert_max_num_queries(12):
        assert participant.get(api("open_space_schedule", space)).status_code == 200


# --- The API ----------------------------------------------------------------------------------------------


def test_the_api_lists_proposes_marks_and_shows_the_published_schedule(world, space):
    hall = rooms(space)[0]
    first = slots(space)[0]
    s = session(space, world.participant, title="Walking buses", room=hall, slot=first)
    client = world.client("expert")
    listing = client.get(api("open_space_sessions", space)).json()
    assert listing["count"] == 1 and listing["results"][0]["title"] == "Walking buses"
    assert listing["results"][0]["room"] is None  # not published: where is not told yet
    response = client.post(
        api("open_space_sessions", space), {"title": "From the API", "about": "x"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["title"] == "From the API"
    for _ in range(2):
        response = client.post(api("open_space_interest", space, s.pk))
        assert response.json() == {"marked": True, "want_to_join": 1}
    deleted = client.delete(api("open_space_interest", space, s.pk), HTTP_X_CSRFTOKEN=client.csrf_token())
    assert deleted.json() == {"marked": False, "want_to_join": 0}
    assert client.get(api("open_space_schedule", space)).json()["sessions"] == []
    publish(space)
    schedule = client.get(api("open_space_schedule", space)).json()
    assert schedule["published"] is True
    assert [(x["title"], x["room"], x["slot"]) for x in schedule["sessions"]] == [("Walking buses", hall.pk, first.pk)]
    assert len(schedule["rooms"]) == 2 and len(schedule["slots"]) == 3
    assert world.client("anonymous").post(api("open_space_interest", space, s.pk)).status_code == 403
    bad = client.post(
        api("open_space_sessions", space), {"title": "x", "unavailable_slots": ["abc"]}, content_type="application/json"
    )
    assert bad.status_code == 400


# --- Component: exports, contributors, personal data, erasure ---------------------------------------------


def test_the_export_tells_where_only_once_published_and_leaves_out_draft_meetings(world, space):
    hall = rooms(space)[0]
    session(space, world.participant, title="Walking buses", room=hall, slot=slots(space)[0])
    export = registry.export("open_space_sessions")
    rows = list(export.rows(world.project))
    assert rows[0]["title"] == "Walking buses" and rows[0]["room"] == ""
    publish(space)
    assert list(export.rows(world.project))[0]["room"] == "Main hall"
    draft = open_space(
        world.project,
        created_by=world.facilitator,
        the_meeting=meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT),
    )
    session(draft, world.participant, title="Secret")
    assert "Secret" not in [r["title"] for r in export.rows(world.project)]


def test_contributors_are_hosts_and_the_people_who_wanted_to_join(world, space):
    s = session(space, world.participant, co_hosts=(world.expert,), marks=(world.observer,))
    found = registry.contributors("unconference.session")([s.pk])
    assert set(found) == {world.participant.pk, world.expert.pk, world.observer.pk}


def test_personal_data_and_erasure(world, space):
    s = session(space, world.participant, title="Walking buses", marks=(world.expert,))
    other = session(space, world.expert, title="Mine", co_hosts=(world.participant,))
    component = registry.get("unconference")
    data = component.personal_data(world.expert)
    assert [x["title"] for x in data["sessions_hosted"]] == ["Mine"]
    assert [x["title"] for x in data["sessions_marked"]] == ["Walking buses"]
    component.erase_personal_data(world.expert)
    s.refresh_from_db()
    other.refresh_from_db()
    assert s.interest_count == 0 and not Interest.objects.exists()
    assert other.proposer is None and list(Host.objects.filter(session=other).values_list("user", flat=True)) == [
        world.participant.pk
    ]


def test_the_demo_builds_and_publishes_a_schedule(world):
    from copro.unconference.demo import add_demo

    m = meeting(world.project, created_by=world.facilitator, title="Workshop")
    add_demo(world.project, world.facilitator, [world.participant, world.expert, world.observer], m)
    space = OpenSpace.objects.get(meeting=m)
    assert space.published_at is not None
    assert Session.objects.filter(open_space=space).count() >= 12
    assert Session.objects.filter(open_space=space, room__isnull=False).count() >= 10
    assert (
        Slot.objects.filter(open_space=space).exists() and Interest.objects.filter(session__open_space=space).exists()
    )
    assert client_for(world.participant).get(url("board", space)).status_code == 200


def test_facilitators_enter_sessions_from_the_wall_and_named_hosts_are_never_double_booked(world, space):
    client = world.client("facilitator")
    enter = url("enter", space)
    assert world.client("participant").get(enter).status_code == 403
    for title in ("Bus passes", "Bus stops"):
        response = client.post(enter, {"title": title, "host_name": "  Mair   Jones ", "about": ""})
        assert response.status_code == 302 and response["Location"] == enter
    response = client.post(enter, {"title": "No host", "host_name": ""})
    assert response.status_code == 400
    passes, stops = Session.objects.order_by("pk")
    assert passes.host_name == "Mair Jones" and passes.entered_by == world.facilitator
    assert not Host.objects.exists()  # the facilitator is not their host
    assert ActivityEntry.objects.filter(verb="unconference.entered").count() == 2
    # The scheduler keeps Mair's two sessions apart (and the facilitator is free to be anywhere).
    report = services.schedule_build(user=world.facilitator, open_space=space)
    assert not report.result.unscheduled
    passes.refresh_from_db()
    stops.refresh_from_db()
    assert passes.slot != stops.slot
    # So does a hand adjustment.
    free_room = next(r for r in rooms(space) if r != passes.room)
    with pytest.raises(ValidationError, match="Mair Jones hosts both"):
        services.schedule_place(
            user=world.facilitator, open_space=space, session_id=stops.pk, room_id=free_room.pk, slot_id=passes.slot_id
        )
    listing = world.client("participant").get(url("sessions", space)).content.decode()
    assert "Hosted by Mair Jones" in listing


def test_the_openapi_document_describes_the_open_space_api(client):
    import io

    from django.core.management import call_command

    paths = client.get("/api/openapi.json").json()["paths"]
    base = "/api/projects/{slug}/meetings/{meeting_id}/open-space/"
    for path in (base + "sessions/", base + "sessions/{session_id}/interest/", base + "schedule/"):
        assert path in paths, path
    err = io.StringIO()
    call_command("spectacular", "--file", "/dev/null", "--validate", stderr=err)
    assert "OpenSpace" not in err.getvalue() and "unconference" not in err.getvalue()
