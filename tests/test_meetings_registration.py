"""Registering for meetings: places, the waiting list, double registration, promotion when a place comes free
(race-safe), access needs and who may see them, staff registering people without accounts, confirmation and
reminder emails (each once, in the person's language, with the meeting attached), cancellation emails and
account erasure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import struct
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from copro.accounts.services import account_erase
from copro.meetings import services
from copro.meetings.models import BSL, Meeting, MeetingStatus, Registration, RegistrationStatus
from tests import factories
from tests.conftest import client_for
from tests.factories import XSS
from tests.factories_meetings import meeting, register, walk_in

pytestmark = pytest.mark.django_db


def url(name, m, *extra):
    return reverse(f"meetings:{name}", args=[m.project.slug, m.pk, *extra])


def members(world, n, role="participant"):
    made = []
    for _i in range(n):
        user = factories.UserFactory()
        factories.MembershipFactory(project=world.project, user=user, role=role)
        made.append(user)
    return made


def statuses(m):
    return list(Registration.objects.filter(meeting=m).order_by("queued_at", "id").values_list("status", flat=True))


def forget(outbox):
    """Start counting emails afresh (the ones sent so far are not what the test is about)."""
    with outbox.collector.lock:
        outbox.collector.messages.clear()
    outbox.clear()


def subject(message) -> str:
    return " ".join(str(message["Subject"]).split())


def attachments(message):
    return [(part.get_filename(), part.get_content_type(), part.get_content()) for part in message.iter_attachments()]


# --- Places and the waiting list -------------------------------------------------------------------------


def test_registering_past_capacity_puts_you_on_the_waiting_list_with_a_clear_message(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    first = world.client("participant").post(url("register", m), {}, follow=True)
    assert "You are registered" in first.content.decode()
    response = world.client("expert").post(url("register", m), {}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The meeting is full, so you are on the waiting list" in page
    assert "You are on the waiting list: number 1." in page
    assert statuses(m) == ["registered", "waitlisted"]


def test_the_register_page_says_before_you_register_that_the_meeting_is_full(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(m, world.expert)
    page = world.client("participant").get(url("register", m)).content.decode()
    assert "The meeting is full. If you go on, you join the waiting list" in page
    assert "Join the waiting list" in page


def test_registering_twice_is_refused_gracefully_and_keeps_one_place(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=5)
    client = world.client("participant")
    client.post(url("register", m), {"step_free": "on"})
    again = client.post(url("register", m), {}, follow=True)
    assert again.status_code == 200
    assert "You are already registered for this meeting. Nothing has changed." in again.content.decode()
    assert Registration.objects.filter(meeting=m).count() == 1
    assert Registration.objects.get(meeting=m).step_free  # the second click did not wipe the needs


def test_the_database_refuses_a_second_registration_for_the_same_person(world):
    from django.db import IntegrityError, transaction

    m = meeting(world.project, created_by=world.facilitator)
    register(m, world.participant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=m, user=world.participant, queued_at=timezone.now())


def test_the_service_reports_already_registered_for_a_second_try_on_the_waiting_list_too(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(m, world.expert)
    first = services.registration_create(meeting=m, user=world.participant)
    second = services.registration_create(meeting=m, user=world.participant)
    assert (first.outcome, second.outcome) == (services.Outcome.WAITLISTED, services.Outcome.ALREADY_WAITLISTED)
    assert second.registration.pk == first.registration.pk


def test_giving_up_a_place_promotes_the_first_on_the_waiting_list_and_tells_them(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(m, world.participant)
    register(m, world.expert)  # first in the queue
    register(m, world.facilitator)  # second
    run_tasks()
    forget(outbox)
    world.client("participant").post(url("unregister", m))
    assert dict(Registration.objects.filter(meeting=m).values_list("user__email", "status")) == {
        "participant@example.org": "cancelled",
        "expert@example.org": "registered",
        "facilitator@example.org": "waitlisted",
    }
    run_tasks()
    told = outbox.to("expert@example.org")
    assert len(told) == 1
    assert "A place came free" in subject(told[0])
    names = [a[0] for a in attachments(told[0])]
    assert names == [f"meeting-{m.pk}.ics"]
    assert outbox.to("facilitator@example.org") == []


def test_leaving_the_waiting_list_frees_nobody_and_keeps_the_order(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(m, world.participant)
    waiting = register(m, world.expert)
    register(m, world.facilitator)
    services.registration_cancel(registration=waiting, user=world.expert)
    assert statuses(m) == ["registered", "cancelled", "waitlisted"]


def test_raising_the_capacity_gives_places_to_people_waiting_in_order(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    people = members(world, 4)
    for person in people:
        register(m, person)
    data = services.MeetingFields(
        title=m.title, starts_at=m.starts_at, ends_at=m.ends_at, format=m.format, venue=m.venue, capacity=3
    )
    services.meeting_edit(user=world.facilitator, meeting=m, data=data)
    assert statuses(m) == ["registered", "registered", "registered", "waitlisted"]


def test_raising_the_places_for_50_people_waiting_queues_one_task_and_the_emails_go_in_the_background(
    world, run_tasks, outbox
):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(m, world.participant)
    waiting = members(world, 50)
    for person in waiting:
        register(m, person)
    run_tasks()
    forget(outbox)
    queued_before = DBTaskResult.objects.count()
    names = [f.name for f in dataclasses.fields(services.MeetingFields)]
    data = services.MeetingFields(**{**{n: getattr(m, n) for n in names}, "capacity": 60})  # only the places change
    services.meeting_edit(user=world.facilitator, meeting=m, data=data)
    assert statuses(m) == ["registered"] * 51  # the places are given at once...
    assert DBTaskResult.objects.count() - queued_before == 1  # ...and ONE task will tell everyone
    assert outbox.refresh() == []
    run_tasks()
    told = [m for m in outbox.refresh() if "A place came free" in subject(m)]
    assert sorted(str(m["To"]) for m in told) == sorted(p.email for p in waiting)
    assert all(attachments(m)[0][0].endswith(".ics") for m in told)


def test_registering_again_after_cancelling_goes_to_the_back_of_the_queue(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    mine = register(m, world.participant)
    services.registration_cancel(registration=mine, user=world.participant)
    register(m, world.expert)
    again = services.registration_create(meeting=m, user=world.participant)
    assert again.outcome == services.Outcome.WAITLISTED
    assert again.registration.pk == mine.pk
    assert Registration.objects.filter(meeting=m).count() == 2


def test_registration_is_refused_for_drafts_cancelled_closed_and_past_meetings(world):
    cases = {
        "This meeting is not published yet.": meeting(world.project, created_by=world.facilitator, status="draft"),
        "This meeting is cancelled.": meeting(world.project, created_by=world.facilitator, status="cancelled"),
        "Registration for this meeting is closed.": meeting(
            world.project, created_by=world.facilitator, registration_open=False
        ),
        "This meeting has already taken place.": meeting(
            world.project, created_by=world.facilitator, starts_in=timedelta(days=-2)
        ),
    }
    for message, m in cases.items():
        with pytest.raises(ValidationError) as error:
            services.registration_create(meeting=m, user=world.participant)
        assert error.value.messages == [message]
    closed = cases["Registration for this meeting is closed."]
    response = world.client("participant").post(url("register", closed), {})
    assert response.status_code == 400
    assert "Registration for this meeting is closed." in response.content.decode()


def test_who_may_register(world):
    m = meeting(world.project, created_by=world.facilitator)
    assert world.client("observer").post(url("register", m), {}).status_code == 403
    assert world.client("anonymous").post(url("register", m), {}).status_code == 403
    assert world.client("outsider").post(url("register", m), {}).status_code == 302  # a public project
    private = meeting(world.private_project, created_by=world.facilitator)
    assert world.client("outsider").post(url("register", private), {}).status_code == 404
    assert world.client("anonymous").get(url("detail", private)).status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_place_get_one_place_and_one_waiting_spot(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    people = members(world, 8)
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []

    def take(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            outcomes.append(services.registration_create(meeting=m, user=user).outcome.value)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=take, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["registered"] + ["waitlisted"] * 7
    assert Registration.objects.filter(meeting=m, status=RegistrationStatus.REGISTERED).count() == 1

    # Cancelling the place while others cancel their waiting spots: exactly one person gets it.
    holder = Registration.objects.get(meeting=m, status=RegistrationStatus.REGISTERED)
    waiting = list(Registration.objects.filter(meeting=m, status=RegistrationStatus.WAITLISTED)[:3])
    barrier2 = threading.Barrier(4)

    def cancel(registration):
        from django.db import connection as thread_connection

        try:
            barrier2.wait()
            services.registration_cancel(registration=registration, user=world.facilitator)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=cancel, args=(r,)) for r in [holder, *waiting]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Registration.objects.filter(meeting=m, status=RegistrationStatus.REGISTERED).count() == 1


# --- Access needs ----------------------------------------------------------------------------------------


def test_access_needs_are_saved_with_the_language_of_the_interpreter(world):
    m = meeting(world.project, created_by=world.facilitator)
    world.client("participant").post(
        url("register", m),
        {
            "step_free": "on",
            "interpreter": "bsl",
            "childcare": "on",
            "childcare_details": "2 children, aged 3 and 6",
            "dietary": "Halal " + XSS,
            "other_needs": "A quiet room",
            "wants_reminders": "on",
        },
    )
    r = Registration.objects.get(meeting=m, user=world.participant)
    assert (r.step_free, r.interpreter, r.childcare, r.hearing_loop) == (True, BSL, True, False)
    assert r.childcare_details == "2 children, aged 3 and 6" and r.dietary == "Halal " + XSS
    assert r.interpreter_label == "British Sign Language (BSL)"
    world.client("expert").post(url("register", m), {"interpreter": "other", "interpreter_language": "Polish"})
    assert Registration.objects.get(meeting=m, user=world.expert).interpreter == "Polish"


def test_another_language_must_be_named(world):
    m = meeting(world.project, created_by=world.facilitator)
    response = world.client("participant").post(url("register", m), {"interpreter": "other"})
    assert response.status_code == 400
    assert "Say which language you need an interpreter for." in response.content.decode()
    assert not Registration.objects.exists()


def test_the_form_starts_from_the_access_needs_in_your_profile(world):
    m = meeting(world.project, created_by=world.facilitator)
    world.participant.access_needs = "Large print please"
    world.participant.save()
    page = world.client("participant").get(url("register", m)).content.decode()
    assert "Large print please" in page
    assert "copied what your profile says" in page


def test_people_change_their_needs_and_a_change_asks_the_team_to_look_again(world):
    m = meeting(world.project, created_by=world.facilitator)
    r = register(m, world.participant, step_free=True)
    services.registration_needs_met(registration=r, user=world.facilitator, met=True, note="Ramp booked")
    world.client("participant").post(url("register", m), {"intent": "update", "step_free": "on", "hearing_loop": "on"})
    r.refresh_from_db()
    assert r.hearing_loop and r.needs_met_at is None and r.status == "registered"


def test_a_participant_cannot_see_anyone_elses_access_needs(world):
    m = meeting(world.project, created_by=world.facilitator)
    r = register(m, world.expert, interpreter=BSL, other_needs="Secret need " + XSS)
    for persona in ("participant", "expert", "observer", "outsider"):
        client = world.client(persona)
        assert client.get(url("registrations", m)).status_code == 403, persona
        assert client.post(url("needs_met", m, r.pk), {"met": "1"}).status_code == 403
        assert client.post(url("registration_cancel", m, r.pk)).status_code == 403
        assert "Secret need" not in client.get(url("detail", m)).content.decode()
    assert world.client("anonymous").get(url("registrations", m)).status_code == 403
    private = meeting(world.private_project, created_by=world.facilitator)
    assert world.client("outsider").get(url("registrations", private)).status_code == 404


def test_facilitators_see_a_summary_per_need_with_names_and_mark_needs_met(world):
    m = meeting(world.project, created_by=world.facilitator)
    first = register(m, world.participant, step_free=True, interpreter=BSL)
    register(m, world.expert, interpreter=BSL, dietary="Vegan")
    walk_in(m, entered_by=world.facilitator, name="Mrs Jones", interpreter="Polish", channel="phone")
    client = world.client("facilitator")
    page = client.get(url("registrations", m)).content.decode()
    assert "Interpreter: British Sign Language (BSL)</th><td>2</td>" in page
    assert "Interpreter: Polish</th><td>1</td>" in page
    assert "Step-free access</th><td>1</td>" in page
    assert world.participant.public_name not in page  # names are escaped...
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Ŵyn" in page  # ...and shown to facilitators
    response = client.post(url("needs_met", m, first.pk), {"met": "1", "note": "Interpreter booked"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.needs_met_by == world.facilitator and first.needs_note == "Interpreter booked"
    from copro.meetings.selectors import access_needs_summary

    assert access_needs_summary(world.project) == {"asked": 3, "met": 1}


def test_the_access_needs_summary_counts_only_meetings_in_the_period(world):
    from copro.meetings.selectors import access_needs_summary

    soon = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=3))
    later = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=40))
    register(soon, world.participant, hearing_loop=True)
    register(later, world.participant, step_free=True)
    register(later, world.expert)
    now = timezone.now()
    assert access_needs_summary(world.project, start=now, end=now + timedelta(days=10)) == {"asked": 1, "met": 0}
    assert access_needs_summary(world.project) == {"asked": 2, "met": 0}


# --- Staff register people without accounts --------------------------------------------------------------


def test_staff_register_someone_without_an_account_who_gets_a_place_and_an_email(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    client = world.client("facilitator")
    response = client.post(
        url("register_someone", m),
        {
            "name": "Mrs Eirlys Hughes " + XSS,
            "email": "eirlys@example.org",
            "phone": "029 2000 0000",
            "channel": "phone",
            "language": "cy",
            "hearing_loop": "on",
        },
    )
    assert response.status_code == 302
    r = Registration.objects.get(meeting=m)
    assert (r.user, r.name, r.channel, r.entered_by, r.status) == (
        None,
        "Mrs Eirlys Hughes " + XSS,
        "phone",
        world.facilitator,
        "registered",
    )
    run_tasks()
    sent = outbox.to("eirlys@example.org")
    assert len(sent) == 1
    html = sent[0].get_body(preferencelist=("html",)).get_content()
    assert 'lang="cy"' in html
    # The meeting is full now: the next person entered waits.
    client.post(url("register_someone", m), {"name": "Dai", "channel": "paper", "language": "en"})
    assert Registration.objects.get(name="Dai").status == "waitlisted"
    page = client.get(url("registrations", m)).content.decode()
    assert "Mrs Eirlys Hughes &lt;script&gt;" in page and "029 2000 0000" in page


def test_a_facilitator_cancelling_a_place_tells_the_person_in_their_language_with_the_calendar(
    world, run_tasks, outbox
):
    m = meeting(world.project, created_by=world.facilitator, capacity=5)
    world.participant.preferred_language = "cy"
    world.participant.save()
    mine = register(m, world.participant)
    phoned = walk_in(m, entered_by=world.facilitator, name="Mrs Jones", email="jones@example.org")
    run_tasks()
    forget(outbox)
    client = world.client("facilitator")
    response = client.post(url("registration_cancel", m, mine.pk), follow=True)
    assert "They are told by email." in response.content.decode()
    client.post(url("registration_cancel", m, phoned.pk))
    client.post(url("registration_cancel", m, phoned.pk))  # again: already cancelled, nobody told twice
    run_tasks()
    sent = outbox.to("participant@example.org")
    assert len(sent) == 1
    assert m.title in subject(sent[0])
    assert 'lang="cy"' in sent[0].get_body(preferencelist=("html",)).get_content()
    (name, kind, content) = attachments(sent[0])[0]
    ics = parse_ics(content)
    assert (name, kind, ics["STATUS"]) == (f"meeting-{m.pk}.ics", "text/calendar", "CANCELLED")
    assert int(ics["SEQUENCE"]) >= 1 and "room-secret-123" not in content
    assert len(outbox.to("jones@example.org")) == 1
    # Giving up one's own place is not "cancelled by the organisers": the page already said so.
    forget(outbox)
    register(m, world.expert)
    run_tasks()
    forget(outbox)
    world.client("expert").post(url("unregister", m))
    run_tasks()
    assert outbox.to("expert@example.org") == []


def test_only_facilitators_register_others(world):
    m = meeting(world.project, created_by=world.facilitator)
    for persona in ("participant", "expert", "observer", "outsider"):
        response = world.client(persona).post(url("register_someone", m), {"name": "X", "channel": "phone"})
        assert response.status_code == 403
    assert not Registration.objects.exists()


def test_staff_entry_needs_a_name_and_a_good_email(world):
    m = meeting(world.project, created_by=world.facilitator)
    with pytest.raises(ValidationError) as error:
        services.registration_enter(meeting=m, entered_by=world.facilitator, name=" ", email="not-an-email")
    assert set(error.value.message_dict) == {"name", "email"}


def test_an_email_longer_than_a_registration_holds_is_a_clear_400_and_nothing_is_saved(world):
    """311 characters in a valid form: more than the 254 the column holds (a 500 on PostgreSQL before)."""
    m = meeting(world.project, created_by=world.facilitator)
    domain = ".".join(["x" * 60] * 4) + ".org"
    long_email = "a" * (311 - 1 - len(domain)) + "@" + domain
    assert len(long_email) == 311
    validate_email(long_email)  # only its length is wrong
    data = {"name": "Dai", "email": long_email, "channel": "phone", "language": "en"}
    response = world.client("facilitator").post(url("register_someone", m), data)
    assert response.status_code == 400
    assert "at most 254 characters" in response.content.decode()
    with pytest.raises(ValidationError) as error:
        services.registration_enter(meeting=m, entered_by=world.facilitator, name="Dai", email=long_email)
    assert error.value.message_dict == {"email": ["An email address can be at most 254 characters long."]}
    api = reverse("api:meeting_registrations", args=[world.project.slug, m.pk])
    sent = world.client("facilitator").post(api, data, content_type="application/json")
    assert sent.status_code == 400 and "email" in sent.json()
    assert not Registration.objects.exists()


def test_facilitators_cancel_a_place_and_the_waiting_list_moves(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    first = walk_in(m, entered_by=world.facilitator, name="Phoned in")
    register(m, world.participant)
    response = world.client("facilitator").post(url("registration_cancel", m, first.pk), follow=True)
    assert "first on the waiting list, now has the place" in response.content.decode()
    assert Registration.objects.get(meeting=m, user=world.participant).status == "registered"


# --- Emails ------------------------------------------------------------------------------------------------


def parse_ics(text: str) -> dict[str, str]:
    unfolded = text.replace("\r\n ", "")
    return dict(line.split(":", 1) for line in unfolded.split("\r\n") if ":" in line)


def test_registering_sends_a_confirmation_with_the_meeting_attached(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator, capacity=3)
    register(m, world.participant)
    run_tasks()
    sent = outbox.to("participant@example.org")
    assert len(sent) == 1
    assert subject(sent[0]) == f"You are registered: {m.title}"
    text = outbox.text(sent[0])
    assert "https://meet.example.org/room-secret-123" in text  # the join link, for people with a place
    (name, kind, content) = attachments(sent[0])[0]
    assert (name, kind) == (f"meeting-{m.pk}.ics", "text/calendar")
    fields = parse_ics(content if isinstance(content, str) else content.decode())
    assert fields["DTSTART"] == m.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert "room-secret-123" in fields["DESCRIPTION"]


def test_the_calendar_part_says_its_charset_once_and_its_method(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator)
    register(m, world.participant)
    run_tasks()
    (message,) = outbox.to("participant@example.org")
    (part,) = list(message.iter_attachments())
    header = str(part["Content-Type"])
    assert header.lower().count("charset") == 1, header
    assert part.get_content_type() == "text/calendar"
    assert (part.get_content_charset(), part.get_param("method")) == ("utf-8", "PUBLISH")
    assert part.get_filename() == f"meeting-{m.pk}.ics"
    assert part.get_content_disposition() == "attachment"


def _write_mo(path, catalog: dict[str, str]) -> None:
    """A GNU gettext .mo file (the format msgfmt writes), so a test can use a real translation."""
    entries = {"": "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"}
    entries.update(catalog)
    keys = sorted(entries)
    ids = [k.encode() for k in keys]
    strs = [entries[k].encode() for k in keys]
    start = 7 * 4 + 16 * len(keys)
    id_table, blob = [], b""
    for raw in ids:
        id_table.append((len(raw), start + len(blob)))
        blob += raw + b"\0"
    str_table = []
    for raw in strs:
        str_table.append((len(raw), start + len(blob)))
        blob += raw + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    tables = b"".join(struct.pack("<2I", *t) for t in id_table + str_table)
    path.write_bytes(header + tables + blob)


def test_the_calendar_file_is_written_in_the_recipients_language(world, run_tasks, outbox, settings, tmp_path):
    messages_dir = tmp_path / "cy" / "LC_MESSAGES"
    messages_dir.mkdir(parents=True)
    _write_mo(messages_dir / "django.mo", {"Join online: %(url)s": "Ymuno ar-lein: %(url)s"})
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    m = meeting(world.project, created_by=world.facilitator)
    world.participant.preferred_language = "cy"
    world.participant.save()
    register(m, world.participant)  # the request is in English; the person reads Welsh
    with translation.override("cy"):  # the request is in Welsh; the person reads English
        register(m, world.expert)
    run_tasks()
    welsh = parse_ics(attachments(outbox.to("participant@example.org")[0])[0][2])
    english = parse_ics(attachments(outbox.to("expert@example.org")[0])[0][2])
    assert "Ymuno ar-lein: https://meet.example.org/room-secret-123" in welsh["DESCRIPTION"]
    assert "Join online: https://meet.example.org/room-secret-123" in english["DESCRIPTION"]


def test_the_waiting_list_email_has_no_join_link_and_no_calendar(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(m, world.expert)
    register(m, world.participant)
    run_tasks()
    sent = outbox.to("participant@example.org")
    assert len(sent) == 1 and "waiting list" in subject(sent[0])
    assert "room-secret-123" not in outbox.text(sent[0])
    assert attachments(sent[0]) == []


def test_cancelling_a_meeting_tells_everyone_registered_or_waiting(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(m, world.participant)
    register(m, world.expert)
    walk_in(m, entered_by=world.facilitator, name="No email")  # nowhere to send: skipped, not an error
    run_tasks()
    forget(outbox)
    response = world.client("facilitator").post(url("cancel", m), {"reason": "The hall flooded " + XSS})
    assert response.status_code == 302
    run_tasks()
    for address in ("participant@example.org", "expert@example.org"):
        sent = outbox.to(address)
        assert len(sent) == 1, address
        assert subject(sent[0]) == f"Cancelled: {m.title}"
        assert "The hall flooded " + XSS in outbox.text(sent[0])
        ics = parse_ics(attachments(sent[0])[0][2])
        assert ics["STATUS"] == "CANCELLED" and ics["SEQUENCE"] == "1"
    m.refresh_from_db()
    assert m.status == MeetingStatus.CANCELLED
    page = world.client("participant").get(url("detail", m)).content.decode()
    assert "This meeting is cancelled." in page and "The hall flooded &lt;script&gt;" in page


def test_moving_a_meeting_tells_registrants_and_resets_their_reminders(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(hours=30))
    r = register(m, world.participant)
    assert r.reminded_2d_at is not None  # the confirmation counted as the 2-day reminder
    run_tasks()
    forget(outbox)
    later = m.starts_at + timedelta(days=7)
    data = services.MeetingFields(
        title=m.title, starts_at=later, ends_at=later + timedelta(hours=2), format=m.format, venue=m.venue
    )
    services.meeting_edit(user=world.facilitator, meeting=m, data=data)
    run_tasks()
    sent = outbox.to("participant@example.org")
    assert [subject(s) for s in sent] == [f"Changed: {m.title}"]
    r.refresh_from_db()
    assert r.reminded_2d_at is None and r.reminded_2h_at is None
    # Changing only the description tells nobody.
    forget(outbox)
    data.description = "More words"
    services.meeting_edit(user=world.facilitator, meeting=m, data=data)
    run_tasks()
    assert outbox.to("participant@example.org") == []


# --- Reminders -------------------------------------------------------------------------------------------


def _move(m: Meeting, starts_in: timedelta) -> None:
    """Time passes: the meeting is now this far away (without telling anyone)."""
    starts = timezone.now() + starts_in
    Meeting.objects.filter(pk=m.pk).update(starts_at=starts, ends_at=starts + timedelta(hours=2))


def test_reminders_go_2_days_and_2_hours_before_each_once(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=5))
    register(m, world.participant)
    register(m, world.expert, wants_reminders=False)
    run_tasks()
    forget(outbox)

    call_command("meetings", "remind")  # 5 days away: nothing due
    run_tasks()
    assert outbox.refresh() == []

    _move(m, timedelta(hours=47))
    call_command("meetings", "remind")
    run_tasks()
    sent = outbox.to("participant@example.org")
    assert len(sent) == 1 and subject(sent[0]).startswith("Reminder:")
    assert outbox.to("expert@example.org") == []  # chose no reminders
    call_command("meetings", "remind")  # again: nothing new
    run_tasks()
    assert len(outbox.to("participant@example.org")) == 1

    _move(m, timedelta(minutes=100))
    call_command("meetings", "remind")
    call_command("meetings", "remind")
    run_tasks()
    sent = outbox.to("participant@example.org")
    assert len(sent) == 2 and subject(sent[1]).startswith("Starting soon")
    assert "about 2 hours" in outbox.text(sent[1])


def test_a_late_registration_is_not_reminded_of_what_its_confirmation_just_said(world, run_tasks, outbox):
    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(minutes=90))
    register(m, world.participant)
    call_command("meetings", "remind", "--now")
    run_tasks()
    subjects = [subject(s) for s in outbox.to("participant@example.org")]
    assert subjects == [f"You are registered: {m.title}"]


def test_reminders_are_in_the_persons_language_and_skip_the_waiting_list_and_cancelled_meetings(
    world, run_tasks, outbox
):
    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=5), capacity=1)
    world.participant.preferred_language = "cy"
    world.participant.save()
    register(m, world.participant)
    register(m, world.expert)  # waiting
    other = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=5))
    register(other, world.expert)
    services.meeting_cancel(user=world.facilitator, meeting=other, reason="")
    run_tasks()
    forget(outbox)
    _move(m, timedelta(hours=40))
    _move(other, timedelta(hours=40))
    call_command("meetings", "remind")
    run_tasks()
    sent = outbox.to("participant@example.org")
    assert len(sent) == 1
    assert 'lang="cy"' in sent[0].get_body(preferencelist=("html",)).get_content()
    assert outbox.to("expert@example.org") == []


# --- Personal data and erasure -----------------------------------------------------------------------------


def test_my_data_includes_my_registrations_and_access_needs(world):
    from copro.accounts.services import account_export as personal_data

    m = meeting(world.project, created_by=world.facilitator)
    register(m, world.participant, interpreter=BSL, dietary="Vegan")
    data = personal_data(user=world.participant)["meetings"]
    assert data["registrations"][0]["meeting"] == m.title
    assert data["registrations"][0]["access_needs"]["interpreter"] == "British Sign Language (BSL)"
    assert data["registrations"][0]["access_needs"]["dietary"] == "Vegan"
    assert personal_data(user=world.expert)["meetings"]["registrations"] == []


def test_erasing_an_account_clears_access_needs_gives_up_future_places_and_keeps_past_counts(world):
    from copro.meetings.selectors import attendance_counts

    future = meeting(world.project, created_by=world.facilitator, capacity=1)
    register(future, world.participant, interpreter=BSL, other_needs="Private " + XSS)
    register(future, world.expert)
    past = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=3))
    register(past, world.participant, step_free=True)
    _move(past, timedelta(days=-3))
    services.attendance_record(
        user=world.facilitator,
        meeting=past,
        attended_ids=set(Registration.objects.filter(meeting=past).values_list("pk", flat=True)),
        unnamed=0,
    )
    before = attendance_counts(world.project)
    account_erase(user=world.participant)
    mine = Registration.objects.filter(user=world.participant)
    assert not mine.filter(step_free=True).exists()
    assert set(mine.values_list("interpreter", "other_needs")) == {("", "")}
    assert mine.get(meeting=future).status == "cancelled"
    assert Registration.objects.get(meeting=future, user=world.expert).status == "registered"
    assert attendance_counts(world.project) == before


def test_the_api_and_pages_never_show_the_join_link_to_people_without_a_place(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=1, format="online", venue="")
    register(m, world.expert)
    register(m, world.participant)  # waiting
    assert "room-secret-123" not in world.client("participant").get(url("detail", m)).content.decode()
    assert "room-secret-123" not in world.client("anonymous").get(url("detail", m)).content.decode()
    assert "room-secret-123" in world.client("expert").get(url("detail", m)).content.decode()
    assert "room-secret-123" in world.client("facilitator").get(url("detail", m)).content.decode()
    ics = world.client("participant").get(url("ics", m)).content.decode()
    assert "room-secret-123" not in ics
    assert "room-secret-123" in world.client("expert").get(url("ics", m)).content.decode()
    assert client_for(None).get(url("ics", m)).status_code == 200
