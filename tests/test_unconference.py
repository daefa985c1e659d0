"""Open space: who may see and do what, proposing (and proposing too late), marking, building the schedule,
adjusting it by hand (and the rules hand changes may not break), publishing, the board, emails, the API,
query counts, exports, personal data and erasure, and the demo."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from copro.accounts.models import EmailFrequency
from copro.core.components import registry
from copro.core.models import ActivityEntry
from copro.meetings.models import MeetingStatus
from copro.unconference import services
from copro.unconference.models import (
    Host,
    HostInvite,
    Interest,
    OpenSpace,
    Room,
    ScheduleNotice,
    Session,
    Slot,
    ToldPlace,
)
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


def _ask(client, space, s, email):
    return client.post(url("host_add", space, s.pk), {"email": email}, follow=True)


def test_asking_a_co_host_gives_the_same_answer_whoever_the_address_belongs_to_and_names_nobody(world, space):
    s = session(space, world.participant)
    client = world.client("participant")
    factories.UserFactory(email="stranger@example.org")  # has an account, but takes no part here
    answers = {}
    for email in ("EXPERT@example.org", "stranger@example.org", "nobody-at-all@example.org"):
        response = _ask(client, space, s, email)
        assert response.status_code == 200
        text = response.content.decode()
        assert f"If {email} is the address of a member" in text and "we have asked them" in text
        # The page, less what differs on every response (the CSRF token, the CSP nonce).
        answers[email] = re.sub(r'(nonce|value)="[^"]*"', "", text.replace(email, "ADDRESS"))
    # Word for word the same page, member or not; and the expert's name is not on it.
    assert len(set(answers.values())) == 1
    assert escape(world.expert.public_name) not in answers["EXPERT@example.org"]
    # Nobody became a host: the expert has an invitation waiting, the others nothing at all.
    assert list(Host.objects.filter(session=s).values_list("user", flat=True)) == [world.participant.pk]
    assert list(HostInvite.objects.values_list("user", flat=True)) == [world.expert.pk]
    # Asking again sends nothing new.
    _ask(client, space, s, "expert@example.org")
    assert HostInvite.objects.count() == 1


def test_the_person_asked_sees_the_invitation_is_emailed_and_becomes_a_host_only_by_accepting(
    world, space, run_tasks, outbox
):
    s = session(space, world.participant, title="Walking buses")
    _ask(world.client("participant"), space, s, "expert@example.org")
    run_tasks()
    mail = outbox.to("expert@example.org")
    assert len(mail) == 1 and url("session", space, s.pk) in outbox.text(mail[0])
    assert "not a host until you say yes" in outbox.text(mail[0])
    # Others see no trace of it; the expert sees the question on the session's page and on the list.
    assert "asked you to host" not in world.client("participant").get(url("session", space, s.pk)).content.decode()
    expert = world.client("expert")
    assert "asked you to host this session" in expert.get(url("session", space, s.pk)).content.decode()
    assert "You are asked to host" in expert.get(url("sessions", space)).content.decode()
    # Someone else cannot answer for them.
    world.client("observer").post(url("host_answer", space, s.pk), {"answer": "accept"})
    assert not Host.objects.filter(session=s, user=world.observer).exists()
    response = expert.post(url("host_answer", space, s.pk), {"answer": "accept"}, follow=True)
    assert "you are now a host" in response.content.decode()
    assert set(Host.objects.filter(session=s).values_list("user", flat=True)) == {world.participant.pk, world.expert.pk}
    assert not HostInvite.objects.exists()
    # A second click finds nothing to answer, and changes nothing.
    response = expert.post(url("host_answer", space, s.pk), {"answer": "accept"}, follow=True)
    assert "no invitation to host this session waiting" in response.content.decode()


def test_declining_leaves_the_hosts_as_they_were(world, space):
    s = session(space, world.participant)
    services.host_invite(user=world.participant, session=s, email="expert@example.org")
    assert world.client("expert").post(url("host_answer", space, s.pk), {"answer": "decline"}).status_code == 302
    assert not HostInvite.objects.exists()
    assert list(Host.objects.filter(session=s).values_list("user", flat=True)) == [world.participant.pk]


def test_accepting_is_refused_if_it_would_put_the_new_host_in_two_places(world, space):
    hall, side = rooms(space)
    first = slots(space)[0]
    session(space, world.expert, title="The expert's own", room=hall, slot=first)
    s = session(space, world.participant, title="Walking buses", room=side, slot=first)
    services.host_invite(user=world.participant, session=s, email="expert@example.org")
    with pytest.raises(ValidationError, match="already host “The expert's own” at the same time"):
        services.host_invite_answer(user=world.expert, session=s, accept=True)
    assert not Host.objects.filter(session=s, user=world.expert).exists()
    assert HostInvite.objects.filter(session=s, user=world.expert).exists()  # still there, to accept later


def test_only_people_who_could_host_are_asked_and_the_last_host_stays(world, space):
    s = session(space, world.participant)
    # An observer may not host (nor propose), and someone with no part in the project is not found either.
    assert services.host_invite(user=world.participant, session=s, email=world.observer.email) is None
    assert services.host_invite(user=world.participant, session=s, email=world.outsider.email) is None
    assert not HostInvite.objects.exists()
    with pytest.raises(ValidationError):
        services.host_invite(user=world.participant, session=s, email="not an address")
    # Removing yourself leaves the other host; the last host cannot be removed (except by a facilitator).
    Host.objects.create(session=s, user=world.expert)
    client = world.client("participant")
    assert client.post(url("host_remove", space, s.pk), {"host": world.participant.pk}).status_code == 302
    world.client("expert").post(url("host_remove", space, s.pk), {"host": world.expert.pk})
    assert Host.objects.filter(session=s).count() == 1


def test_asking_co_hosts_is_rate_limited(world, space):
    s = session(space, world.participant)
    client = world.client("participant")
    statuses = [
        client.post(url("host_add", space, s.pk), {"email": f"person{i}@example.org"}).status_code for i in range(11)
    ]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429


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
    with django_assert_max_num_queries(13):  # 12, and the invitations to host waiting for this person
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
        assert response.json() == {"marked": True, "host": False, "want_to_join": 1}
    deleted = client.delete(api("open_space_interest", space, s.pk), HTTP_X_CSRFTOKEN=client.csrf_token())
    assert deleted.json() == {"marked": False, "host": False, "want_to_join": 0}
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
    services.host_invite(user=world.participant, session=s, email=world.expert.email)
    assert [x["title"] for x in component.personal_data(world.expert)["asked_to_host"]] == ["Walking buses"]
    assert component.personal_data(world.participant)["asked_others_to_host"] == 1
    component.erase_personal_data(world.expert)
    assert not HostInvite.objects.exists()
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


# --- Host names from the wall: one person, however the case is typed ---------------------------------


def _enter(space, world, title, host_name):
    return services.session_enter(user=world.facilitator, open_space=space, title=title, host_name=host_name)


def test_host_names_differing_only_in_case_outside_ascii_are_one_person_when_placing_by_hand(world, space):
    hall, side = rooms(space)
    first = slots(space)[0]
    passes = _enter(space, world, "Bus passes", "Ŵyn Jones")
    stops = _enter(space, world, "Bus stops", "ŵyn   jones")
    assert passes.host_key == stops.host_key == "ŵyn jones"
    services.schedule_place(
        user=world.facilitator, open_space=space, session_id=passes.pk, room_id=hall.pk, slot_id=first.pk
    )
    # SQLite's case-insensitive match knows only ASCII: this used to pass, putting Ŵyn in two places.
    with pytest.raises(ValidationError, match="ŵyn jones hosts both “Bus stops” and “Bus passes”"):
        services.schedule_place(
            user=world.facilitator, open_space=space, session_id=stops.pk, room_id=side.pk, slot_id=first.pk
        )
    stops.refresh_from_db()
    assert stops.slot is None
    # A composed and a decomposed circumflex are the same letter too.
    assert (
        services.session_enter(
            user=world.facilitator, open_space=space, title="Bus fares", host_name="W\u0302yn Jones"
        ).host_key
        == passes.host_key
    )


def test_the_scheduler_takes_the_same_host_key_as_the_hand_checks(world):
    one_slot = open_space(world.project, created_by=world.facilitator, slots=1)
    _enter(one_slot, world, "Bus passes", "Ŵyn Jones")
    _enter(one_slot, world, "Bus stops", "ŵyn jones")
    report = services.schedule_build(user=world.facilitator, open_space=one_slot)
    # Two rooms free at the only time, but one host: one of the two waits, with the reason.
    assert len(report.result.placements) == 1 and list(report.result.unscheduled.values()) == ["hosts_busy"]


def test_a_build_releases_a_kept_session_that_breaks_a_rule_instead_of_crashing(world):
    one_slot = open_space(world.project, created_by=world.facilitator, slots=1)
    hall, side = rooms(one_slot)
    first = slots(one_slot)[0]
    # Kept by hand in the same slot before host names were compared properly: Ŵyn in two places.
    passes = session(one_slot, None, title="Bus passes", host_name="Ŵyn Jones", room=hall, slot=first, pinned=True)
    stops = session(one_slot, None, title="Bus stops", host_name="ŵyn jones", room=side, slot=first, pinned=True)
    other = session(one_slot, world.participant, title="School streets", marks=(world.expert,))
    response = world.client("facilitator").post(url("build", one_slot), follow=True)
    text = response.content.decode()
    assert response.status_code == 200 and "Schedule built" in text
    assert "“Bus stops” was kept by hand where it cannot stay, and is now out of the schedule" in text
    for s in (passes, stops, other):
        s.refresh_from_db()
    assert (passes.room, passes.slot, passes.pinned) == (hall, first, True)
    assert (stops.room, stops.slot, stops.pinned) == (None, None, False)
    assert (other.room, other.slot) == (side, first)  # the place it held went to another session
    one_slot.refresh_from_db()
    assert one_slot.build_figures["unscheduled"] == {str(stops.pk): "pin_conflict"}
    # The schedule page gives the reason beside it.
    assert (
        "so it is no longer kept there" in world.client("facilitator").get(url("schedule", one_slot)).content.decode()
    )


# --- Telling people when a published schedule changes -----------------------------------------------------


@pytest.fixture
def at_once(settings):
    settings.COPRO_UNCONFERENCE_NOTICE_DELAY_S = 0


def _changed(outbox, address):
    return [m for m in outbox.to(address) if "have changed" in str(m["Subject"])]


def test_moving_a_published_session_emails_its_hosts_and_markers_once_per_batch(
    world, space, run_tasks, outbox, at_once
):
    from django_tasks_db.models import DBTaskResult

    hall, side = rooms(space)
    first, second, third = slots(space)
    quiet = factories.UserFactory(email="quiet@example.org", notify_by_email=False)
    other = factories.UserFactory(email="other-host@example.org")
    walking = session(
        space, world.participant, title="Walking buses", room=hall, slot=first, marks=(world.expert, quiet)
    )
    session(space, other, title="Crossing patrols", room=side, slot=first, marks=(world.observer,))
    services.schedule_publish(user=world.facilitator, open_space=space)
    run_tasks()
    assert len(outbox.to("participant@example.org")) == 1 and len(outbox.to("observer@example.org")) == 1
    assert ToldPlace.objects.filter(user=world.expert, session=walking, room=hall, slot=first).exists()
    # A batch of changes: "Walking buses" moved twice. One run is queued, not two.
    before = DBTaskResult.objects.count()
    for slot in (second, third):
        services.schedule_place(
            user=world.facilitator, open_space=space, session_id=walking.pk, room_id=hall.pk, slot_id=slot.pk
        )
    assert DBTaskResult.objects.count() == before + 1
    run_tasks()
    for address in ("participant@example.org", "expert@example.org"):
        mail = _changed(outbox, address)
        assert len(mail) == 1, address  # one email for the batch
        body = outbox.text(mail[0])
        assert "Walking buses" in body and "now " in body and "was " in body and "/open-space/board/" in body
    assert _changed(outbox, "observer@example.org") == []  # their session did not move
    assert _changed(outbox, "other-host@example.org") == [] and outbox.to("quiet@example.org") == []
    # Moved away and back within one batch: what they were told still holds, so nobody is emailed.
    for slot in (second, third):
        services.schedule_place(
            user=world.facilitator, open_space=space, session_id=walking.pk, room_id=hall.pk, slot_id=slot.pk
        )
    run_tasks()
    assert len(_changed(outbox, "participant@example.org")) == 1


def test_removing_a_slot_or_withdrawing_a_session_tells_people_it_is_out(world, space, run_tasks, outbox, at_once):
    hall, side = rooms(space)
    first, second, _ = slots(space)
    session(space, world.participant, title="Walking buses", room=hall, slot=first, marks=(world.expert,))
    crossing = session(space, world.observer, title="Crossing patrols", room=side, slot=second, marks=(world.expert,))
    services.schedule_publish(user=world.facilitator, open_space=space)
    run_tasks()
    first.open_space = space
    services.slot_remove(user=world.facilitator, slot=first)
    services.session_withdraw(user=world.observer, session=crossing)
    run_tasks()
    body = outbox.text(_changed(outbox, "expert@example.org")[0])
    assert len(_changed(outbox, "expert@example.org")) == 1
    assert "Walking buses" in body and "out of the schedule for now" in body
    assert "Crossing patrols" in body and "withdrawn: it will not take place" in body
    assert len(_changed(outbox, "participant@example.org")) == 1


def test_moving_a_time_slot_keeps_its_sessions_and_tells_people_the_new_time(world, space, run_tasks, outbox, at_once):
    hall, _side = rooms(space)
    first, second, third = slots(space)
    walking = session(space, world.participant, title="Walking buses", room=hall, slot=third, marks=(world.expert,))
    session(space, world.observer, title="Crossing patrols", room=hall, slot=first)
    client = world.client("facilitator")
    edit = url("slot_edit", space, third.pk)
    form = client.get(edit)
    local = timezone.localtime(third.starts_at)
    assert form.status_code == 200 and local.strftime("%Y-%m-%dT%H:%M") in form.content.decode()
    assert edit in client.get(url("manage", space)).content.decode()  # "Change" beside each slot
    services.schedule_publish(user=world.facilitator, open_space=space)
    run_tasks()
    told_before = len(outbox.to("expert@example.org"))
    # Bad input: overlapping the slot before it, ending before it starts, another day: nothing changes.
    second_start = timezone.localtime(second.starts_at).strftime("%Y-%m-%dT%H:%M")
    later = (local + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    later_end = (local + timedelta(minutes=80)).strftime("%Y-%m-%dT%H:%M")
    for bad, message in (
        ({"starts_at": second_start, "ends_at": later_end}, "Slots must not overlap"),
        ({"starts_at": later_end, "ends_at": later}, "The slot must end after it starts."),
        ({"starts_at": "0001-01-01T10:00", "ends_at": "0001-01-01T11:00"}, "time slots are on its meeting"),
    ):
        response = client.post(edit, bad)
        assert response.status_code == 400 and message in html.unescape(response.content.decode()), bad
    assert client.post(edit, {}).status_code == 400  # an empty form is checked, not shown again as if new
    assert client.post(url("room_edit", space, hall.pk), {}).status_code == 400
    third.refresh_from_db()
    assert timezone.localtime(third.starts_at) == local
    # Moved half an hour later: the session stays in it, and the people told where it was hear the new time.
    assert client.post(edit, {"starts_at": later, "ends_at": later_end}).status_code == 302
    third.refresh_from_db()
    walking.refresh_from_db()
    assert timezone.localtime(third.starts_at) == local + timedelta(minutes=30) and walking.slot_id == third.pk
    run_tasks()
    assert len(outbox.to("expert@example.org")) == told_before + 1
    body = outbox.text(_changed(outbox, "expert@example.org")[-1])
    assert "Walking buses" in body and (local + timedelta(minutes=30)).strftime("%H:%M") in body
    assert _changed(outbox, "observer@example.org") == []  # their session's slot did not move
    # Saving the same times again tells nobody again.
    assert client.post(edit, {"starts_at": later, "ends_at": later_end}).status_code == 302
    run_tasks()
    assert len(outbox.to("expert@example.org")) == told_before + 1
    # Only facilitators; a slot of another open space, or a huge number, is not found.
    assert world.client("participant").get(edit).status_code == 403
    assert world.client("participant").post(edit, {"starts_at": later, "ends_at": later_end}).status_code == 403
    other = open_space(world.project, created_by=world.facilitator)
    assert client.get(url("slot_edit", space, slots(other)[0].pk)).status_code == 404
    assert client.get(url("slot_edit", space, 10**30)).status_code == 404


def test_taking_down_rebuilding_and_publishing_again_tells_only_people_whose_sessions_moved(
    world, space, run_tasks, outbox, at_once
):
    hall, side = rooms(space)
    first, second, _ = slots(space)
    walking = session(space, world.participant, title="Walking buses", room=hall, slot=first, marks=(world.expert,))
    session(space, world.observer, title="Crossing patrols", room=side, slot=second)
    services.schedule_publish(user=world.facilitator, open_space=space)
    run_tasks()
    services.schedule_unpublish(user=world.facilitator, open_space=space)
    services.schedule_place(
        user=world.facilitator, open_space=space, session_id=walking.pk, room_id=side.pk, slot_id=first.pk
    )
    run_tasks()
    assert _changed(outbox, "participant@example.org") == []  # not published: nobody is told yet
    services.schedule_publish(user=world.facilitator, open_space=space)
    run_tasks()
    assert len(_changed(outbox, "participant@example.org")) == 1 and len(_changed(outbox, "expert@example.org")) == 1
    assert _changed(outbox, "observer@example.org") == [] and len(outbox.to("observer@example.org")) == 1


def test_change_emails_are_in_each_persons_language_and_only_to_people_who_may_still_see_it(
    world, run_tasks, outbox, at_once
):
    from copro.projects.models import Membership

    private = open_space(world.private_project, created_by=world.facilitator)
    hall = rooms(private)[0]
    first, second, _ = slots(private)
    world.expert.preferred_language = "cy"
    world.expert.save(update_fields=["preferred_language"])
    walking = session(
        private, world.participant, title="Walking buses", room=hall, slot=first, marks=(world.expert, world.observer)
    )
    services.schedule_publish(user=world.facilitator, open_space=private)
    run_tasks()
    assert len(outbox.to("observer@example.org")) == 1
    # The observer leaves the private project; then the session moves.
    Membership.objects.filter(project=world.private_project, user=world.observer).delete()
    services.schedule_place(
        user=world.facilitator, open_space=private, session_id=walking.pk, room_id=hall.pk, slot_id=second.pk
    )
    run_tasks()
    assert _changed(outbox, "observer@example.org") == [] and len(outbox.to("observer@example.org")) == 1
    welsh = [m for m in outbox.to("expert@example.org") if m is not outbox.to("expert@example.org")[0]]
    assert len(welsh) == 1
    html = welsh[0].get_body(preferencelist=("html",)).get_content()
    assert 'lang="cy"' in html and "Walking buses" in html


def test_a_late_session_placed_by_hand_tells_its_host_where(world, space, run_tasks, outbox, at_once):
    hall = rooms(space)[0]
    session(space, world.observer, title="Crossing patrols", room=hall, slot=slots(space)[0])
    services.schedule_publish(user=world.facilitator, open_space=space)
    run_tasks()
    late = session(space, world.participant, title="Late but welcome", late=True)
    services.schedule_place(
        user=world.facilitator, open_space=space, session_id=late.pk, room_id=hall.pk, slot_id=slots(space)[1].pk
    )
    run_tasks()
    mail = outbox.to("participant@example.org")
    assert len(mail) == 1 and "Late but welcome" in outbox.text(mail[0])


# --- The API tells the truth about marks; restoring, slots and invisible text ---------------------------


def test_the_api_does_not_say_a_host_marked_their_own_session(world, space):
    s = session(space, world.participant)
    response = world.client("participant").post(api("open_space_interest", space, s.pk))
    assert response.json() == {"marked": False, "host": True, "want_to_join": 0}
    assert not Interest.objects.exists()
    response = world.client("expert").post(api("open_space_interest", space, s.pk))
    assert response.json() == {"marked": True, "host": False, "want_to_join": 1}


def test_restoring_a_withdrawn_session_follows_the_rules_for_proposing(world, space, monkeypatch):
    s = session(space, world.participant, title="Walking buses")
    services.session_withdraw(user=world.participant, session=s)
    client = world.client("participant")
    space.proposals_open = False
    space.save()
    response = client.post(url("withdraw", space, s.pk), {"restore": "1"}, follow=True)
    assert response.status_code == 200 and "Proposals for this open space are closed" in response.content.decode()
    s.refresh_from_db()
    assert s.withdrawn_at is not None
    space.proposals_open = True
    space.save()
    publish(space)
    with pytest.raises(ValidationError, match="already published"):
        services.session_restore(user=world.participant, session=s)
    space.published_at = None
    space.save()
    monkeypatch.setattr(services, "MAX_SESSIONS", 1)
    session(space, world.expert, title="Fills it")
    with pytest.raises(ValidationError, match="This open space is full"):
        services.session_restore(user=world.participant, session=s)
    monkeypatch.setattr(services, "MAX_SESSIONS", 300)
    assert client.post(url("withdraw", space, s.pk), {"restore": "1"}).status_code == 302
    s.refresh_from_db()
    assert s.withdrawn_at is None and not s.late


def test_slots_must_be_on_the_meetings_day_or_a_day_either_side(world, space):
    client = world.client("facilitator")
    starts = space.meeting.starts_at.astimezone()
    response = client.post(url("slot_add", space), {"starts_at": "0001-01-01T10:00", "ends_at": "0001-01-01T11:00"})
    text = response.content.decode()
    assert response.status_code == 400 and "the day before or after" in text
    day_before = (starts - timedelta(days=1)).strftime("%Y-%m-%dT")
    assert (
        client.post(
            url("slot_add", space), {"starts_at": day_before + "18:00", "ends_at": day_before + "19:00"}
        ).status_code
        == 302
    )
    two_after = (starts + timedelta(days=2)).strftime("%Y-%m-%dT")
    response = client.post(url("slot_add", space), {"starts_at": two_after + "09:00", "ends_at": two_after + "10:00"})
    assert response.status_code == 400
    assert space.slots.count() == 4


@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u2060\ufeff", " \u3000\u200d ", "\u202e\u00a0"])
def test_text_of_nothing_but_invisible_characters_is_no_text(world, space, invisible):
    response = propose(world.client("participant"), space, title=invisible)
    assert response.status_code == 400 and "Give your session a title." in response.content.decode()
    response = world.client("participant").post(
        api("open_space_sessions", space), {"title": invisible}, content_type="application/json"
    )
    assert response.status_code == 400
    with pytest.raises(ValidationError, match="Write the name of the person hosting it"):
        services.session_enter(user=world.facilitator, open_space=space, title="From the wall", host_name=invisible)
    with pytest.raises(ValidationError, match="Give the room a name"):
        services.room_add(user=world.facilitator, open_space=space, name=invisible, capacity=10)
    assert not Session.objects.exists() and space.rooms.count() == 2
    # Visible text with an invisible character inside is text.
    assert services.session_propose(user=world.participant, open_space=space, title="Bus\u200bstops").pk


def test_a_build_that_would_still_put_two_sessions_in_one_place_changes_nothing_and_says_so(world, monkeypatch):
    # Should the scheduler ever fail to report a kept session it could not keep, saving would break "one
    # session per room and time": the facilitator gets a plain message, and nothing changes.
    from copro.analysis import scheduling

    one_slot = open_space(world.project, created_by=world.facilitator, slots=1)
    hall, side = rooms(one_slot)
    first = slots(one_slot)[0]
    session(one_slot, None, title="Bus passes", host_name="Ŵyn Jones", room=hall, slot=first, pinned=True)
    stops = session(one_slot, None, title="Bus stops", host_name="ŵyn jones", room=side, slot=first, pinned=True)
    other = session(one_slot, world.participant, title="School streets")
    real = scheduling.schedule

    def forgetful(*args, **kwargs):
        result = real(*args, **kwargs)
        result.unscheduled.pop(stops.pk, None)
        return result

    monkeypatch.setattr(scheduling, "schedule", forgetful)
    with pytest.raises(ValidationError, match="could not be saved: two sessions would share a room"):
        services.schedule_build(user=world.facilitator, open_space=one_slot)
    other.refresh_from_db()
    stops.refresh_from_db()
    assert other.room is None and (stops.room, stops.pinned) == (side, True)


def test_the_migration_fills_host_keys_of_sessions_entered_before_it(world, space):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("copro.unconference.migrations.0002_host_key_invites_and_notices")
    old = session(space, None, title="From the wall", host_name="ŴYN  Jones", host_key="")
    migration.fill_host_keys(apps, None)
    old.refresh_from_db()
    assert old.host_key == "ŵyn jones"


def test_the_rooms_and_times_page_says_which_days_slots_may_be_on(world, space):
    from django.utils import formats, timezone

    day = timezone.localtime(space.meeting.starts_at)
    text = world.client("facilitator").get(url("manage", space)).content.decode()
    before = formats.date_format(day - timedelta(days=1), "l j F")
    after = formats.date_format(day + timedelta(days=1), "l j F")
    assert f"any time from {before} to the end of {after}" in text
