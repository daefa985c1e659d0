"""Meetings and workshops: who may see and do what, planning and publishing, the agenda without JavaScript,
webcasts (embedded only from known players), attendance with and without accounts, minutes, actions, iCalendar
(RFC 5545, parsed back), the calendar, teams (suggested, adjusted, joined, their solutions submitted as ideas),
the component's contracts (selectors, contributors, exports, dashboard), query counts and the demo."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from datetime import timedelta
from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from copro.core.components import registry
from copro.core.links import links_from
from copro.core.models import ActivityEntry, Visibility
from copro.core.permissions import TABLE, Role
from copro.meetings import ical, services
from copro.meetings.embed import webcast_embed_url
from copro.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingAction,
    MeetingStatus,
    Registration,
    RegistrationStatus,
    Team,
    TeamMember,
)
from copro.meetings.selectors import attendance_counts
from copro.projects.models import Membership
from tests import factories
from tests.conftest import client_for
from tests.factories import XSS
from tests.factories_meetings import meeting, register, walk_in

pytestmark = pytest.mark.django_db


def url(name, m, *extra):
    return reverse(f"meetings:{name}", args=[m.project.slug, m.pk, *extra])


def project_url(name, project):
    return reverse(f"meetings:{name}", args=[project.slug])


def members(world, n, role="participant"):
    made = []
    for _i in range(n):
        user = factories.UserFactory()
        factories.MembershipFactory(project=world.project, user=user, role=role)
        made.append(user)
    return made


def past_meeting(world, **fields):
    m = meeting(world.project, created_by=world.facilitator, **fields)
    starts = timezone.now() - timedelta(days=2)
    Meeting.objects.filter(pk=m.pk).update(starts_at=starts, ends_at=starts + timedelta(hours=2))
    m.refresh_from_db()
    return m


# --- Who may see and do what ------------------------------------------------------------------------------


def test_a_private_projects_meetings_are_a_404_for_outsiders_and_the_public(world):
    m = meeting(world.private_project, created_by=world.facilitator)
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        assert client.get(project_url("list", world.private_project)).status_code == 404
        assert client.get(project_url("calendar_ics", world.private_project)).status_code == 404
        for name in ("detail", "ics", "register", "teams"):
            assert client.get(url(name, m)).status_code == 404, (persona, name)
    assert world.client("observer").get(url("detail", m)).status_code == 200


def test_a_draft_meeting_is_a_404_except_for_facilitators(world):
    draft = meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT, title="Secret plan")
    for persona in ("participant", "expert", "observer", "outsider", "anonymous"):
        assert world.client(persona).get(url("detail", draft)).status_code == 404
        assert "Secret plan" not in world.client(persona).get(project_url("list", world.project)).content.decode()
        assert (
            "Secret plan" not in world.client(persona).get(project_url("calendar_ics", world.project)).content.decode()
        )
    assert world.client("facilitator").get(url("detail", draft)).status_code == 200


def test_a_draft_cancelled_before_it_was_published_stays_hidden(world):
    """Cancelling a meeting that was never published does not make it public: pages, feeds, API, export."""
    draft = meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT, title="Secret plan")
    shown = meeting(world.project, created_by=world.facilitator, title="Open evening")
    services.meeting_cancel(user=world.facilitator, meeting=draft, reason="")
    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == (MeetingStatus.CANCELLED, None)
    pages = ["detail", "ics"]
    try:
        pages_elsewhere = [reverse("unconference:sessions", args=[world.project.slug, draft.pk])]
    except Exception:  # noqa: BLE001 - the open space's pages are not there yet
        pages_elsewhere = []
    api_list = reverse("api:meetings", args=[world.project.slug])
    api_detail = reverse("api:meeting", args=[world.project.slug, draft.pk])
    for persona in ("participant", "outsider", "anonymous"):
        client = world.client(persona)
        for name in pages:
            assert client.get(url(name, draft)).status_code == 404, (persona, name)
        for path in pages_elsewhere:
            assert client.get(path).status_code == 404, (persona, path)
        assert client.get(api_detail).status_code == 404, persona
        for name in ("list", "calendar", "calendar_ics"):
            listed = client.get(project_url(name, world.project)).content.decode()
            assert "Secret plan" not in listed and "Open evening" in listed, (persona, name)
        assert [m["id"] for m in client.get(api_list).json()["results"]] == [shown.pk], persona
    assert [r["title"] for r in registry.export("meetings").rows(world.project)] == ["Open evening"]
    facilitator = world.client("facilitator")
    assert facilitator.get(url("detail", draft)).status_code == 200
    assert "Secret plan" in facilitator.get(project_url("list", world.project)).content.decode()
    assert draft.pk in [m["id"] for m in facilitator.get(api_list).json()["results"]]
    # Changing it afterwards is logged for staff only, as everything else about it.
    fields = {f: getattr(draft, f) for f in services.MeetingFields.__dataclass_fields__}
    services.meeting_edit(
        user=world.facilitator, meeting=draft, data=services.MeetingFields(**{**fields, "title": "Secret plan B"})
    )
    services.team_create(user=world.facilitator, meeting=draft, name="Hidden team")
    logged = ActivityEntry.objects.filter(project=world.project, verb__startswith="meetings.")
    assert {"meetings.edited", "meetings.team_created"} <= set(logged.values_list("verb", flat=True))
    assert set(logged.values_list("visibility", flat=True)) == {Visibility.STAFF}
    activity_page = world.client("anonymous").get(reverse("projects:activity", args=[world.project.slug]))
    assert "Secret plan" not in activity_page.content.decode()


def test_a_meeting_cancelled_after_it_was_published_stays_visible(world):
    m = meeting(world.project, created_by=world.facilitator, status=MeetingStatus.DRAFT, title="Open evening")
    services.meeting_publish(user=world.facilitator, meeting=m)
    services.meeting_cancel(user=world.facilitator, meeting=m, reason="The hall flooded")
    for persona in ("participant", "outsider", "anonymous"):
        page = world.client(persona).get(url("detail", m))
        assert page.status_code == 200 and "This meeting is cancelled." in page.content.decode(), persona
    assert [r["status"] for r in registry.export("meetings").rows(world.project)] == ["cancelled"]
    assert ActivityEntry.objects.get(verb="meetings.cancelled").visibility == Visibility.PUBLIC


def test_only_facilitators_plan_run_and_record_meetings(world):
    m = meeting(world.project, created_by=world.facilitator)
    item = AgendaItem.objects.create(meeting=m, title="Welcome", position=1)
    pages = ["edit", "cancel", "agenda", "registrations", "register_someone", "attendance", "minutes", "actions"]
    for persona in ("participant", "expert", "observer", "outsider"):
        client = world.client(persona)
        assert client.get(project_url("create", world.project)).status_code == 403
        for name in pages:
            assert client.get(url(name, m)).status_code == 403, (persona, name)
        assert client.post(url("publish", m)).status_code == 403
        assert client.post(url("agenda_move", m, item.pk), {"direction": "down"}).status_code == 403
        assert client.get(url("teams_suggest", m)).status_code == 403
    assert world.client("anonymous").get(url("edit", m)).status_code == 403


def test_every_meetings_action_is_declared_and_undeclared_ones_are_denied():
    names = {a.name for a in TABLE.actions() if a.name.startswith("meetings.")}
    assert {"meetings.view", "meetings.manage", "meetings.register", "meetings.attendance"} <= names
    assert TABLE.allowed(Role.OUTSIDER, "meetings.register")
    assert not TABLE.allowed(Role.OBSERVER, "meetings.register")
    assert not TABLE.allowed(Role.FACILITATOR, "meetings.undeclared")


def test_bad_ids_are_404s_not_errors(world):
    m = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    assert client.get(f"/p/{world.project.slug}/meetings/99999999999999999999/").status_code == 404
    assert client.get(url("agenda_edit", m, 999)).status_code == 404
    assert client.post(url("needs_met", m, 999), {"met": "1"}).status_code == 404
    assert client.post(url("team_move", m), {"registration": "１", "team": ""}).status_code == 404
    assert client.post(url("team_move", m), {"registration": "abc"}).status_code == 404
    assert client.post(url("attendance", m), {"attended": ["x", "-1"], "unnamed": "٣"}).status_code == 400


def test_an_observer_is_told_plainly_why_they_cannot_register(world):
    m = meeting(world.project, created_by=world.facilitator)
    page = world.client("observer").get(url("detail", m)).content.decode()
    assert "observers cannot register for a place or join a team" in page
    assert "Register for this meeting" not in page
    assert world.client("observer").post(url("register", m), {}).status_code == 403  # still not allowed
    assert "observers cannot register" not in world.client("participant").get(url("detail", m)).content.decode()
    assert "Observers follow the workshop but do not join a team." in (
        world.client("observer").get(url("teams", m)).content.decode()
    )


def test_a_draft_meetings_title_never_reaches_the_public_activity_log(world):
    """Teams, minutes and team ideas on a meeting still being prepared are logged for staff only."""
    draft = meeting(
        world.project,
        created_by=world.facilitator,
        status=MeetingStatus.DRAFT,
        title="Secret plan for the depot",
        starts_in=timedelta(days=-1),
    )
    for person in members(world, 4):
        Registration.objects.create(meeting=draft, user=person, queued_at=timezone.now())
    services.teams_apply_suggestion(user=world.facilitator, meeting=draft, k=2)
    team = services.team_create(user=world.facilitator, meeting=draft, name="Hidden depot team")
    result = services.minutes_save(user=world.facilitator, meeting=draft, minutes="<p>Notes</p>", publish=True)
    assert not result.published and "Publish the meeting first" in result.not_published_because
    draft.refresh_from_db()
    assert draft.minutes == "<p>Notes</p>" and draft.minutes_published_at is None
    services.action_add(user=world.facilitator, meeting=draft, text="Secret action")
    try:
        import copro.ideas.services  # noqa: F401
    except ImportError:  # the ideas app is not there yet
        pass
    else:
        team.meeting = draft
        services.team_submit_idea(
            user=world.facilitator, team=team, title="Depot idea", problem="A problem.", proposal="A proposal."
        )
    activity_url = reverse("projects:activity", args=[world.project.slug])
    for persona in ("anonymous", "outsider", "participant", "observer"):
        page = world.client(persona).get(activity_url).content.decode()
        assert "Secret plan for the depot" not in page, persona
        assert "Hidden depot team" not in page and "Secret action" not in page, persona
    logged = ActivityEntry.objects.filter(project=world.project, verb__startswith="meetings.")
    assert logged.exists() and set(logged.values_list("visibility", flat=True)) == {Visibility.STAFF}


# --- Planning, publishing, cancelling ------------------------------------------------------------------------


def test_a_facilitator_plans_a_hybrid_meeting_and_publishes_it(world):
    client = world.client("facilitator")
    response = client.post(
        project_url("create", world.project),
        {
            "title": "Design workshop " + XSS,
            "format": "hybrid",
            "starts_at": "2031-03-04T18:00",
            "ends_at": "2031-03-04T20:30",
            "venue": "Neuadd y Dref",
            "venue_access": "Step-free from the car park",
            "join_url": "https://meet.example.org/abc",
            "webcast_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "capacity": "30",
            "registration_open": "on",
            "description": "We design the routes together.",
        },
    )
    assert response.status_code == 302
    m = Meeting.objects.get()
    assert (m.status, m.format, m.capacity, m.created_by) == ("draft", "hybrid", 30, world.facilitator)
    # The form's times are UK time: 18:00 in March is 18:00 UTC.
    assert m.starts_at == dt.datetime(2031, 3, 4, 18, 0, tzinfo=dt.UTC)
    assert client.post(url("publish", m)).status_code == 302
    m.refresh_from_db()
    assert m.status == "published" and m.published_at is not None
    verbs = list(ActivityEntry.objects.filter(project=world.project).values_list("verb", flat=True))
    assert verbs[:2] == ["meetings.published", "meetings.created"]
    page = world.client("participant").get(url("detail", m)).content.decode()
    assert "Design workshop &lt;script&gt;" in page and "Register for this meeting" in page


def test_bad_meeting_details_are_form_errors_not_500s(world):
    client = world.client("facilitator")
    response = client.post(
        project_url("create", world.project),
        {"title": "", "format": "in_person", "starts_at": "2031-03-04T18:00", "ends_at": "2031-03-04T17:00"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "The meeting must end after it starts." in page
    assert "Say where the meeting is" in page
    response = client.post(
        project_url("create", world.project),
        {"title": "x", "format": "online", "starts_at": "not a date", "ends_at": "2031-03-04T17:00", "capacity": "0"},
    )
    assert response.status_code == 400
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("year", ["0999", "1999", "2101"])
def test_meeting_dates_are_between_2000_and_2100(world, year):
    response = world.client("facilitator").post(
        project_url("create", world.project),
        {"title": "Typo", "format": "online", "starts_at": f"{year}-03-04T18:00", "ends_at": f"{year}-03-04T19:00"},
    )
    assert response.status_code == 400
    assert "Choose a date between 2000 and 2100." in response.content.decode()
    assert not Meeting.objects.exists()
    starts = dt.datetime(int(year), 3, 4, 18, tzinfo=dt.UTC)
    data = services.MeetingFields(title="Typo", starts_at=starts, ends_at=starts + timedelta(hours=1), format="online")
    with pytest.raises(ValidationError) as error:
        services.meeting_create(user=world.facilitator, project=world.project, data=data)
    assert error.value.message_dict["starts_at"] == ["Choose a date between 2000 and 2100."]


def test_ical_times_always_have_four_digit_years():
    assert ical.utc(dt.datetime(999, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == "09990102T030405Z"
    assert ical.utc(dt.datetime(2031, 12, 31, 23, 59, 59, tzinfo=dt.UTC)) == "20311231T235959Z"


def test_the_same_form_sent_twice_makes_one_meeting(world):
    client = world.client("facilitator")
    token = "4b3c1b59-4a1e-4a9c-8a7e-1f4a2c1b0a11"
    data = {
        "title": "Once",
        "format": "online",
        "starts_at": "2031-03-04T18:00",
        "ends_at": "2031-03-04T19:00",
        "form_token": token,
    }
    assert client.post(project_url("create", world.project), data).status_code == 302
    assert client.post(project_url("create", world.project), data).status_code == 302
    assert Meeting.objects.count() == 1


def test_cancelling_is_recorded_and_cannot_happen_twice(world):
    m = meeting(world.project, created_by=world.facilitator)
    services.meeting_cancel(user=world.facilitator, meeting=m, reason="")
    with pytest.raises(ValidationError):
        services.meeting_cancel(user=world.facilitator, meeting=m, reason="")
    assert ActivityEntry.objects.filter(verb="meetings.cancelled").count() == 1


# --- The agenda, without JavaScript ------------------------------------------------------------------------


def test_agenda_items_are_added_edited_and_reordered_with_buttons(world):
    m = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    for title, at in (("Welcome", "18:00"), ("Teams", "18:30"), ("Sharing back", "20:00")):
        assert (
            client.post(url("agenda", m), {"title": title, "starts_at": at, "led_by": "Ann " + XSS}).status_code == 302
        )
    first, second, third = AgendaItem.objects.filter(meeting=m)
    client.post(url("agenda_move", m, third.pk), {"direction": "up"})
    assert list(AgendaItem.objects.filter(meeting=m).values_list("title", flat=True)) == [
        "Welcome",
        "Sharing back",
        "Teams",
    ]
    client.post(url("agenda_move", m, first.pk), {"direction": "up"})  # already first: nothing moves
    assert AgendaItem.objects.filter(meeting=m).first().title == "Welcome"
    assert client.post(url("agenda_move", m, first.pk), {"direction": "sideways"}).status_code == 302
    client.post(url("agenda_edit", m, second.pk), {"title": "Work in teams", "duration_minutes": "60"})
    second.refresh_from_db()
    assert (second.title, second.duration_minutes) == ("Work in teams", 60)
    client.post(url("agenda_remove", m, first.pk))
    page = world.client("anonymous").get(url("detail", m)).content.decode()
    assert "Work in teams" in page and "Welcome" not in page and "Led by Ann &lt;script&gt;" in page
    response = client.post(url("agenda", m), {"title": "", "duration_minutes": "0"})
    assert response.status_code == 400


def test_the_agenda_form_sent_twice_adds_the_item_once(world):
    m = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    form = browser_form(client.get(url("agenda", m)).content.decode())
    token = next(value for _t, name, value, _c in form.fields if name == "form_token")
    data = {"form_token": token, "title": "Welcome", "starts_at": "18:00"}
    assert client.post(url("agenda", m), data).status_code == 302
    again = client.post(url("agenda", m), data, follow=True)  # the back button, a double click
    assert again.redirect_chain == [(url("agenda", m), 302)]
    assert "This form has already been sent" in again.content.decode()
    assert list(AgendaItem.objects.filter(meeting=m).values_list("title", flat=True)) == ["Welcome"]
    # Changing an item is not a one-time form: its token is sent and ignored.
    item = AgendaItem.objects.get(meeting=m)
    edit = browser_form(client.get(url("agenda_edit", m, item.pk)).content.decode())
    edit_token = next(value for _t, name, value, _c in edit.fields if name == "form_token")
    for title in ("Welcome and tea", "Welcome, tea and cake"):
        changed = client.post(url("agenda_edit", m, item.pk), {"form_token": edit_token, "title": title})
        assert changed.status_code == 302
        item.refresh_from_db()
        assert item.title == title


def test_agenda_items_of_another_meeting_are_a_404(world):
    m = meeting(world.project, created_by=world.facilitator)
    other = meeting(world.project, created_by=world.facilitator)
    item = AgendaItem.objects.create(meeting=other, title="Theirs", position=1)
    assert world.client("facilitator").post(url("agenda_remove", m, item.pk)).status_code == 404
    assert AgendaItem.objects.filter(pk=item.pk).exists()


# --- Webcasts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "player"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?t=30", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/live/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
        ('https://www.youtube.com/watch?v=bad"><script>', None),
        ("https://evil.example.org/embed/dQw4w9WgXcQ", None),
        ("https://youtube.com.evil.example.org/watch?v=dQw4w9WgXcQ", None),
        ("javascript:alert(1)", None),
        ("https://vimeo.com/event/123", None),
        ("", None),
    ],
)
def test_only_known_players_are_embedded(link, player):
    assert webcast_embed_url(link) == player


def test_a_known_webcast_is_embedded_and_the_policy_allows_only_those_players(world):
    m = meeting(world.project, created_by=world.facilitator, webcast_url="https://vimeo.com/76979871")
    response = world.client("anonymous").get(url("detail", m))
    page = response.content.decode()
    assert '<iframe src="https://player.vimeo.com/video/76979871" title="Webcast of' in page
    policy = response.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in policy
    other = meeting(world.project, created_by=world.facilitator, webcast_url="https://stream.example.org/live")
    page = world.client("anonymous").get(url("detail", other)).content.decode()
    assert "<iframe" not in page and 'href="https://stream.example.org/live"' in page


def test_the_meeting_page_links_to_the_open_space_and_the_live_feed(world):
    m = meeting(world.project, created_by=world.facilitator)
    page = world.client("participant").get(url("detail", m)).content.decode()
    try:
        sessions = reverse("unconference:sessions", args=[world.project.slug, m.pk])
    except Exception:  # noqa: BLE001 - the other app's page is not there yet
        sessions = None
    try:
        live = reverse("live:feed", args=[world.project.slug, m.pk])
    except Exception:  # noqa: BLE001
        live = None
    if sessions:
        assert f'href="{sessions}"' in page
    if live:
        assert f'href="{live}"' in page


# --- Attendance ----------------------------------------------------------------------------------------------


def test_attendance_counts_people_with_accounts_by_name_and_by_number(world):
    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=2))
    came = register(m, world.participant)
    register(m, world.expert)  # did not come
    phoned = walk_in(m, entered_by=world.facilitator, name="Mrs Jones")
    Meeting.objects.filter(pk=m.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    client = world.client("facilitator")
    response = client.post(
        url("attendance", m),
        {"attended": [str(came.pk), str(phoned.pk)], "walk_ins": "Dai " + XSS + "\n\n  Megan  \n", "unnamed": "12"},
    )
    assert response.status_code == 302
    assert attendance_counts(world.project) == {
        "meetings": 1,
        "attended_with_account": 1,
        "attended_without_account": 3 + 12,  # Mrs Jones, Dai and Megan by name, 12 by number
        "registrations": 5,
    }
    page = client.get(url("attendance", m)).content.decode()
    assert "Dai &lt;script&gt;" in page and 'value="12"' in page
    assert ActivityEntry.objects.filter(verb="meetings.attendance").count() == 1  # one entry, not one each
    # Saving again with fewer ticks un-ticks; the named walk-ins stay registered.
    client.post(url("attendance", m), {"attended": [str(came.pk)], "unnamed": "0"})
    assert attendance_counts(world.project)["attended_without_account"] == 0


def test_attendance_cannot_be_recorded_long_before_the_meeting_or_with_a_bad_number(world):
    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=3))
    response = world.client("facilitator").post(url("attendance", m), {"unnamed": "3"})
    assert response.status_code == 400
    assert "an hour before the meeting starts" in response.content.decode()
    response = world.client("facilitator").post(url("attendance", m), {"unnamed": "-3"})
    assert response.status_code == 400
    assert "whole number" in response.content.decode()


def test_attendance_counts_only_meetings_in_the_period_and_never_drafts_or_cancelled_ones(world):
    m = past_meeting(world)
    services.attendance_record(user=world.facilitator, meeting=m, attended_ids=set(), unnamed=5)
    cancelled = past_meeting(world)
    Meeting.objects.filter(pk=cancelled.pk).update(status=MeetingStatus.CANCELLED, unnamed_attendees=40)
    now = timezone.now()
    assert attendance_counts(world.project, start=now - timedelta(days=7), end=now)["attended_without_account"] == 5
    assert attendance_counts(world.project, start=now, end=now + timedelta(days=7)) == {
        "meetings": 0,
        "attended_with_account": 0,
        "attended_without_account": 0,
        "registrations": 0,
    }


class _FormFields(HTMLParser):
    """The fields of a page's POST form, as a browser would send them (checkboxes: as they are shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: list[tuple[str, str, str, bool]] = []  # (type, name, value, checked)
        self._in_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and self.action is None:
            self._in_form, self.action = True, a.get("action") or ""
        elif self._in_form and tag == "input" and a.get("name"):
            self.fields.append((a.get("type") or "text", a["name"], a.get("value") or "", "checked" in a))
        elif self._in_form and tag == "button" and a.get("name"):
            self.fields.append(("button", a["name"], a.get("value") or "", False))
        elif self._in_form and tag == "textarea":
            self._textarea = a.get("name")
            self.fields.append(("textarea", self._textarea or "", "", False))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        if tag == "textarea":
            self._textarea = None


def browser_form(html: str) -> _FormFields:
    """The first POST form in the page's main content (the header has the sign-out and language forms)."""
    parser = _FormFields()
    parser.feed(html[html.index("<main") :])
    return parser


def test_sending_the_attendance_form_twice_adds_each_walk_in_once(world):
    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(minutes=30))
    client = world.client("facilitator")
    form = browser_form(client.get(url("attendance", m)).content.decode())
    token = next(value for _t, name, value, _c in form.fields if name == "form_token")
    data = {"form_token": token, "walk_ins": "Dai\nMegan", "unnamed": "3"}
    assert client.post(url("attendance", m), data).status_code == 302
    again = client.post(url("attendance", m), data, follow=True)  # the back button, a double click
    assert "This form has already been sent" in again.content.decode()
    assert sorted(Registration.objects.filter(meeting=m).values_list("name", flat=True)) == ["Dai", "Megan"]
    # A fresh form with a name already on the list (any case or spacing) ticks it, never adds a twin.
    Registration.objects.filter(meeting=m, name="Dai").update(attended=False)
    response = client.post(url("attendance", m), {"walk_ins": "  dai \nRhian\nRhian", "unnamed": "3"}, follow=True)
    assert "Already on the list, so ticked and not added again: dai." in response.content.decode()
    names = sorted(Registration.objects.filter(meeting=m).values_list("name", "attended"))
    assert names == [("Dai", True), ("Megan", False), ("Rhian", True)]


def test_attendance_is_saved_a_page_at_a_time_for_1200_registrations(world):
    m = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(minutes=30))
    Registration.objects.bulk_create(
        [
            Registration(meeting=m, name=f"Person {i:04d}", queued_at=m.starts_at - timedelta(days=1), channel="paper")
            for i in range(1200)
        ]
    )
    client = world.client("facilitator")
    path = url("attendance", m)
    pages = 0
    while path:
        response = client.get(path)
        assert response.status_code == 200
        form = browser_form(response.content.decode())
        # Everyone on this page came: tick every box, as a facilitator would, and send the form.
        data: dict[str, list[str]] = {}
        for kind, name, value, _checked in form.fields:
            if kind in ("checkbox", "number", "text", "textarea") or (
                kind == "hidden" and name != "csrfmiddlewaretoken"
            ):
                data.setdefault(name, []).append(value)
        assert sum(len(v) for v in data.values()) < 1000  # what Django accepts in one request
        has_next = any(name == "next" for _k, name, _v, _c in form.fields)
        if has_next:
            data["next"] = ["1"]
        sent = client.post(urljoin(path, form.action), data)
        assert sent.status_code == 302, sent.content.decode()[:500]
        pages += 1
        path = sent.url if has_next else None
    assert pages == 6
    assert Registration.objects.filter(meeting=m, attended=True).count() == 1200
    # Saving page 2 with nobody ticked leaves pages 1 and 3-6 as they were.
    form = browser_form(client.get(url("attendance", m) + "?page=2").content.decode())
    data = {name: value for kind, name, value, _c in form.fields if kind == "hidden" and name != "csrfmiddlewaretoken"}
    assert client.post(urljoin(url("attendance", m), form.action), {**data, "unnamed": "0"}).status_code == 302
    assert Registration.objects.filter(meeting=m, attended=True).count() == 1000
    assert not Registration.objects.filter(meeting=m, name="Person 0200", attended=True).exists()
    assert Registration.objects.filter(meeting=m, name="Person 0199", attended=True).exists()


# --- Minutes and actions -------------------------------------------------------------------------------------


BAD_LINK = '<a href="javascript:y()">z</a>'


def test_minutes_are_sanitised_and_published_only_after_the_meeting_starts(world):
    future = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    response = client.post(url("minutes", future), {"minutes": "<p>Hi</p>", "publish": "1"}, follow=True)
    assert response.status_code == 200
    assert "The minutes are saved, but not published yet." in response.content.decode()
    assert "once the meeting has taken place" in response.content.decode()
    future.refresh_from_db()
    assert (future.minutes, future.minutes_published_at) == ("<p>Hi</p>", None)
    m = past_meeting(world)
    client.post(
        url("minutes", m),
        {"minutes": "<p>We agreed <strong>three</strong> things.</p><script>x()</script>" + BAD_LINK},
    )
    m.refresh_from_db()
    assert "<script>" not in m.minutes and "javascript:" not in m.minutes and m.minutes_published_at is None
    assert "three" not in world.client("participant").get(url("detail", m)).content.decode()
    assert "Not published yet" in client.get(url("detail", m)).content.decode()
    client.post(url("minutes", m), {"minutes": m.minutes, "publish": "1"})
    page = world.client("anonymous").get(url("detail", m)).content.decode()
    assert "We agreed <strong>three</strong> things." in page
    assert ActivityEntry.objects.filter(verb="meetings.minutes_published").count() == 1
    client.post(url("minutes", m), {"minutes": m.minutes, "unpublish": "1"})
    assert "three" not in world.client("anonymous").get(url("detail", m)).content.decode()


def test_hiding_the_minutes_again_keeps_the_text_just_written(world):
    m = past_meeting(world)
    services.minutes_save(user=world.facilitator, meeting=m, minutes="<p>First</p>", publish=True)
    response = world.client("facilitator").post(
        url("minutes", m), {"minutes": "<p>Corrected</p>", "unpublish": "1"}, follow=True
    )
    assert "The minutes are saved and hidden again." in response.content.decode()
    m.refresh_from_db()
    assert (m.minutes, m.minutes_published_at) == ("<p>Corrected</p>", None)


def test_a_draft_meetings_minutes_are_saved_but_not_published(world):
    draft = meeting(world.project, created_by=world.facilitator, status="draft", starts_in=timedelta(days=-1))
    response = world.client("facilitator").post(
        url("minutes", draft), {"minutes": "<p>Kept</p>", "publish": "1"}, follow=True
    )
    page = response.content.decode()
    assert "The minutes are saved, but not published yet." in page and "Publish the meeting first" in page
    draft.refresh_from_db()
    assert (draft.minutes, draft.minutes_published_at) == ("<p>Kept</p>", None)


def test_actions_and_who_does_them_are_shown_to_others_once_the_minutes_are_published(world):
    m = past_meeting(world)
    services.action_add(user=world.facilitator, meeting=m, text="Call the council", assignee=world.expert)
    who = escape(world.expert.public_name)
    for persona in ("anonymous", "outsider", "participant", "observer"):
        page = world.client(persona).get(url("detail", m)).content.decode()
        assert "Call the council" not in page and who not in page, persona
        assert "shown here once the facilitators publish them" in page, persona
    staff = world.client("facilitator").get(url("detail", m)).content.decode()
    assert "Call the council" in staff and "only facilitators see these actions" in staff
    assert ActivityEntry.objects.get(verb="meetings.action_added").visibility == Visibility.STAFF
    services.minutes_save(user=world.facilitator, meeting=m, minutes="<p>Minutes</p>", publish=True)
    page = world.client("anonymous").get(url("detail", m)).content.decode()
    assert "Call the council" in page and who in page
    assert "shown here once the facilitators publish them" not in page


def test_actions_record_what_who_and_when_and_the_person_named_marks_theirs_done(world):
    m = past_meeting(world)
    client = world.client("facilitator")
    client.post(
        url("actions", m),
        {"text": "Ask about the crossing " + XSS, "assignee": str(world.participant.pk), "due_on": "2031-01-31"},
    )
    client.post(url("actions", m), {"text": "Write to the school", "assignee_name": "Friends of the park"})
    refused = client.post(url("actions", m), {"text": "Both", "assignee": str(world.expert.pk), "assignee_name": "X"})
    assert refused.status_code == 400
    stranger = client.post(url("actions", m), {"text": "Who?", "assignee": str(world.outsider.pk)})
    assert stranger.status_code == 400
    first, second = MeetingAction.objects.filter(meeting=m)
    assert (first.assignee, first.due_on, first.project) == (world.participant, dt.date(2031, 1, 31), world.project)
    assert second.who == "Friends of the park"
    # Until the minutes are published, only facilitators see the actions (they name people).
    assert "Ask about the crossing" not in world.client("participant").get(url("detail", m)).content.decode()
    assert world.client("participant").post(url("action_status", m, first.pk), {"done": "1"}).status_code == 404
    client.post(url("minutes", m), {"minutes": "<p>Notes</p>", "publish": "1"})
    # The person named marks it done from the meeting page; someone else may not.
    assert world.client("expert").post(url("action_status", m, first.pk), {"done": "1"}).status_code == 403
    assert world.client("participant").post(url("action_status", m, first.pk), {"done": "1"}).status_code == 302
    first.refresh_from_db()
    assert first.status == "done" and first.done_at is not None
    page = world.client("anonymous").get(url("detail", m)).content.decode()
    assert "Ask about the crossing &lt;script&gt;" in page and "Friends of the park" in page
    client.post(url("action_edit", m, second.pk), {"text": "Write to both schools", "assignee_name": "Friends"})
    second.refresh_from_db()
    assert second.text == "Write to both schools"


def test_the_people_who_came_hear_what_became_of_an_action(world):
    m = past_meeting(world)
    came = Registration.objects.create(meeting=m, user=world.participant, queued_at=m.starts_at, attended=True)
    Registration.objects.create(meeting=m, user=world.expert, queued_at=m.starts_at, attended=False)
    Registration.objects.create(meeting=m, name="No account", queued_at=m.starts_at, attended=True)
    action = services.action_add(user=world.facilitator, meeting=m, text="Fix the kerb")
    contributors = registry.contributors("meetings.meetingaction")
    assert contributors is not None
    assert set(contributors([action.pk])) == {came.user_id}
    assert set(contributors([])) == set()


# --- iCalendar -----------------------------------------------------------------------------------------------


def parse_ical(text: str) -> list[dict[str, list[str]]]:
    """A strict reading of RFC 5545: CRLF line ends, lines of at most 75 octets, folding, BEGIN/END pairs.
    Returns the components (name -> list of values, TEXT unescaped) in order."""
    assert text.endswith("\r\n")
    raw_lines = text[:-2].split("\r\n")
    for line in raw_lines:
        assert len(line.encode("utf-8")) <= 75, line
        assert "\n" not in line and "\r" not in line
    lines: list[str] = []
    for line in raw_lines:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    stack: list[str] = []
    components: list[dict[str, list[str]]] = []
    for line in lines:
        name, value = line.split(":", 1)
        if name == "BEGIN":
            stack.append(value)
            components.append({"_": [value]})
            continue
        if name == "END":
            assert stack.pop() == value
            continue
        unescaped = value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")
        components[-1].setdefault(name.split(";")[0], []).append(unescaped)
    assert stack == []
    return components


def test_a_meeting_as_ical_parses_and_has_the_right_times(world):
    starts = dt.datetime(2031, 7, 1, 17, 30, tzinfo=dt.UTC)  # 18:30 in London (summer time)
    m = meeting(
        world.project,
        created_by=world.facilitator,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        title="Gweithdy; teithio, llesol \\ " + "ŵŷâ" * 40,
        description="Line one\nLine two, with; punctuation",
    )
    response = world.client("anonymous").get(url("ics", m))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="meeting-{m.pk}.ics"' in response["Content-Disposition"]
    calendar, event = parse_ical(response.content.decode("utf-8"))
    assert calendar["VERSION"] == ["2.0"] and calendar["PRODID"] and calendar["METHOD"] == ["PUBLISH"]
    assert event["_"] == ["VEVENT"]
    assert event["DTSTART"] == ["20310701T173000Z"] and event["DTEND"] == ["20310701T193000Z"]
    assert event["SUMMARY"] == [m.title]
    assert event["UID"] == [f"meeting-{m.pk}@copro.localhost"] or event["UID"][0].startswith(f"meeting-{m.pk}@")
    assert len(event["DTSTAMP"][0]) == 16 and event["DTSTAMP"][0].endswith("Z")
    assert "Line one\nLine two, with; punctuation" in event["DESCRIPTION"][0]
    assert event["STATUS"] == ["CONFIRMED"] and event["SEQUENCE"] == ["0"]
    assert event["LOCATION"] == [m.venue + " / " + m.join_url] or event["LOCATION"] == [m.venue]


def test_folding_never_splits_a_welsh_letter():
    line = "SUMMARY:" + "ŵ" * 100
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_the_project_calendar_feed_has_every_published_meeting_and_cancelled_ones_marked(world):
    a = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=3))
    b = meeting(world.project, created_by=world.facilitator, starts_in=timedelta(days=40))
    meeting(world.project, created_by=world.facilitator, status="draft")
    services.meeting_cancel(user=world.facilitator, meeting=b, reason="")
    response = world.client("anonymous").get(project_url("calendar_ics", world.project))
    components = parse_ical(response.content.decode())
    events = [c for c in components if c["_"] == ["VEVENT"]]
    assert [e["UID"][0].split("@")[0] for e in events] == [f"meeting-{a.pk}", f"meeting-{b.pk}"]
    assert [e["STATUS"][0] for e in events] == ["CONFIRMED", "CANCELLED"]
    assert events[1]["SEQUENCE"] == ["1"]
    assert all("room-secret" not in str(e) for e in events)  # the feed never carries join links


def test_the_calendar_page_lists_meetings_by_month(world):
    start = timezone.localtime().replace(day=15, hour=18, minute=0, second=0, microsecond=0)
    meeting(world.project, created_by=world.facilitator, starts_at=start + timedelta(days=31), title="Next month")
    past_meeting(world, title="Earlier")
    page = world.client("participant").get(project_url("calendar", world.project)).content.decode()
    assert "Next month" in page and "Earlier" in page
    assert (start + timedelta(days=31)).strftime("%B %Y") in page
    assert reverse("meetings:calendar_ics", args=[world.project.slug]) in page


def test_a_private_projects_calendar_reaches_a_calendar_program_through_the_members_own_address(world):
    """Calendar programs fetch without signing in: a member's address carries their key, and shows what they
    may see; a wrong, old or erased key, or a key whose person has left the project, gets nothing."""
    from urllib.parse import parse_qs, urlparse

    from allauth.mfa.models import Authenticator

    from copro.accounts.services import account_erase
    from copro.meetings.models import CalendarKey

    project = world.private_project
    meeting(project, created_by=world.facilitator, title="Members' workshop")
    meeting(project, created_by=world.facilitator, status="draft", title="Still being planned")
    ics = reverse("meetings:calendar_ics", args=[project.slug])
    assert world.client("anonymous").get(ics).status_code == 404
    member = world.client("participant")
    page = member.get(project_url("calendar", project)).content.decode()
    address = re.search(r'<code class="calendar-address">([^<]+)</code>', page).group(1)
    key = parse_qs(urlparse(html.unescape(address)).query)["key"][0]
    assert member.get(project_url("calendar", project)).content.decode().count(key) == 1  # the same key each time
    fetched = world.client("anonymous").get(ics, {"key": key})
    assert fetched.status_code == 200 and fetched["Referrer-Policy"] == "no-referrer"
    text = fetched.content.decode()
    assert "Members' workshop" in text and "Still being planned" not in text  # what the participant may see
    for bad in ("", "x" * 65, "nope", key[:-1], "' OR 1=1 --", "\x00", key[:-1] + "\x00", "ŵ" * 43):
        assert world.client("anonymous").get(ics, {"key": bad}).status_code == 404, bad
    # The key opens this project's calendar only, not the person's other projects'.
    other = reverse("meetings:calendar_ics", args=[world.project.slug])
    assert world.client("anonymous").get(other, {"key": key}).status_code == 404
    # A new address: the old one stops at once (no JavaScript needed).
    assert member.post(reverse("meetings:calendar_new_address", args=[project.slug])).status_code == 302
    assert world.client("anonymous").get(ics, {"key": key}).status_code == 404
    new_key = CalendarKey.objects.get(user=world.participant).key
    assert new_key != key and world.client("anonymous").get(ics, {"key": new_key}).status_code == 200
    renew = reverse("meetings:calendar_new_address", args=[project.slug])
    assert world.client("anonymous").post(renew).status_code == 404  # a private project: not even its name
    assert member.get(renew).status_code == 405
    # Someone who leaves the project, or whose account is erased, takes nothing with them.
    Membership.objects.filter(user=world.participant, project=project).delete()
    assert world.client("anonymous").get(ics, {"key": new_key}).status_code == 404
    account_erase(user=world.participant)
    assert not CalendarKey.objects.filter(user=world.participant).exists()
    # A facilitator's key works once they have two-factor authentication, as signing in does.
    facilitator_key = services.calendar_key_for(world.facilitator, project)
    text = world.client("anonymous").get(ics, {"key": facilitator_key}).content.decode()
    assert "Members' workshop" in text
    Authenticator.objects.filter(user=world.facilitator).delete()
    assert world.client("anonymous").get(ics, {"key": facilitator_key}).status_code == 404


# --- Teams ---------------------------------------------------------------------------------------------------


@pytest.fixture
def workshop(world):
    m = meeting(world.project, created_by=world.facilitator, capacity=50)
    people = members(world, 6) + members(world, 2, "expert") + members(world, 2, "facilitator")
    for person in people:
        register(m, person)
    walk_in(m, entered_by=world.facilitator, name="Phoned in")
    return m


def test_who_is_in_which_team_is_shown_only_to_facilitators_and_people_coming(world, workshop):
    services.teams_apply_suggestion(user=world.facilitator, meeting=workshop, k=2)
    team = Team.objects.filter(meeting=workshop).first()
    names = [
        escape(m.registration.user.public_name)
        for m in TeamMember.objects.filter(meeting=workshop)
        if m.registration.user
    ]
    not_coming = members(world, 1)[0]
    waiting = members(world, 1)[0]
    Registration.objects.create(
        meeting=workshop, user=waiting, queued_at=timezone.now(), status=RegistrationStatus.WAITLISTED
    )
    for who in ("anonymous", "outsider", "participant", "observer", not_coming, waiting):
        client = world.client(who) if isinstance(who, str) else client_for(who)
        for page_url in (url("teams", workshop), url("team", workshop, team.pk)):
            page = client.get(page_url).content.decode()
            assert team.name in page
            assert not any(name in page for name in names), (who, page_url)
            assert "Phoned in" not in page
            assert "Participant: " in page  # how many of each kind, not who
    register(workshop, world.participant)  # now they have a place: they see their fellow workshop-goers
    for client in (world.client("participant"), world.client("facilitator")):
        page = client.get(url("teams", workshop)).content.decode()
        assert all(name in page for name in names)


def test_copro_suggests_mixed_teams_which_the_facilitator_previews_then_uses(world, workshop):
    client = world.client("facilitator")
    preview = client.get(url("teams_suggest", workshop), {"k": "2"})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Team 1" in page and "Team 2" in page and "Expert: 1" in page and "Staff: 1" in page
    assert not Team.objects.exists()  # a preview saves nothing
    assert client.post(url("teams_suggest", workshop), {"k": "2"}).status_code == 302
    teams = list(Team.objects.filter(meeting=workshop))
    assert [t.name for t in teams] == ["Team 1", "Team 2"]
    sizes = sorted(t.members.count() for t in teams)
    assert sizes == [5, 6]
    assert ActivityEntry.objects.filter(verb="meetings.teams_suggested").count() == 1


def test_people_who_register_later_are_placed_around_those_already_in_teams(world, workshop):
    services.teams_apply_suggestion(user=world.facilitator, meeting=workshop, k=2)
    placed = dict(TeamMember.objects.values_list("registration_id", "team_id"))
    late = members(world, 3)
    for person in late:
        register(workshop, person)
    services.teams_apply_suggestion(user=world.facilitator, meeting=workshop)
    again = dict(TeamMember.objects.values_list("registration_id", "team_id"))
    assert {k: again[k] for k in placed} == placed  # nobody moved
    assert len(again) == len(placed) + 3


def test_facilitators_move_people_between_teams_and_members_join_and_leave(world, workshop):
    services.teams_apply_suggestion(user=world.facilitator, meeting=workshop, k=2)
    one, two = Team.objects.filter(meeting=workshop)
    someone = TeamMember.objects.filter(team=one).first().registration
    client = world.client("facilitator")
    assert client.post(url("team_move", workshop), {"registration": someone.pk, "team": two.pk}).status_code == 302
    assert TeamMember.objects.get(registration=someone).team == two
    client.post(url("team_move", workshop), {"registration": someone.pk, "team": ""})
    assert not TeamMember.objects.filter(registration=someone).exists()
    other = meeting(world.project, created_by=world.facilitator)
    foreign = Team.objects.create(project=world.project, meeting=other, name="Elsewhere", created_by=world.facilitator)
    client.post(url("team_move", workshop), {"registration": someone.pk, "team": foreign.pk})
    assert not TeamMember.objects.filter(registration=someone).exists()

    # A participant registered for the workshop joins, moves and leaves by themselves.
    register(workshop, world.participant)
    participant = world.client("participant")
    assert participant.post(url("team_join", workshop, one.pk)).status_code == 302
    assert participant.post(url("team_join", workshop, two.pk)).status_code == 302
    assert TeamMember.objects.get(registration__user=world.participant).team == two
    assert participant.post(url("team_leave", workshop, two.pk)).status_code == 302
    assert not TeamMember.objects.filter(registration__user=world.participant).exists()
    # Someone not registered is told to register first; an observer may not join at all.
    response = world.client("expert").post(url("team_join", workshop, one.pk), follow=True)
    assert "Register for the workshop first" in response.content.decode()
    assert world.client("observer").post(url("team_join", workshop, one.pk)).status_code == 403
    assert world.client("participant").post(url("team_move", workshop), {"registration": someone.pk}).status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_joining_and_moving_at_the_same_moment_leaves_one_membership_and_no_error(world, workshop):
    """Two tabs, a double click and a facilitator's move, all at once: each person ends up in exactly one
    team and nobody sees an error (the unique constraint would otherwise turn the race into a 500)."""
    one, two = (services.team_create(user=world.facilitator, meeting=workshop, name=n) for n in ("One", "Two"))
    register(workshop, world.participant)
    mine = Registration.objects.get(meeting=workshop, user=world.participant)
    calls = [
        lambda: services.team_join(user=world.participant, team=one),
        lambda: services.team_join(user=world.participant, team=one),
        lambda: services.team_join(user=world.participant, team=two),
        lambda: services.team_member_move(user=world.facilitator, registration=mine, team=two),
        lambda: services.team_member_move(user=world.facilitator, registration=mine, team=one),
        lambda: services.teams_apply_suggestion(user=world.facilitator, meeting=workshop),
    ]
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            call()
        except BaseException as error:  # noqa: BLE001 - any error is the failure being tested for
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert TeamMember.objects.filter(registration=mine).count() == 1
    placed = list(TeamMember.objects.filter(meeting=workshop).values_list("registration_id", flat=True))
    assert len(placed) == len(set(placed))


def test_giving_up_a_place_takes_you_out_of_your_team(world, workshop):
    services.teams_apply_suggestion(user=world.facilitator, meeting=workshop, k=2)
    registration = TeamMember.objects.filter(registration__user__isnull=False).first().registration
    services.registration_cancel(registration=registration, user=registration.user)
    assert not TeamMember.objects.filter(registration=registration).exists()


def test_a_teams_solution_becomes_an_idea_with_the_team_as_co_authors(world, workshop):
    pytest.importorskip("copro.ideas.services")
    from copro.ideas.models import Idea

    team = services.team_create(user=world.facilitator, meeting=workshop, name="Crossings " + XSS)
    register(workshop, world.participant)
    world.client("participant").post(url("team_join", workshop, team.pk))
    mate = Registration.objects.filter(meeting=workshop, user__isnull=False).exclude(user=world.participant).first()
    services.team_member_move(user=world.facilitator, registration=mate, team=team)
    client = world.client("participant")
    response = client.post(
        url("team_idea", workshop, team.pk),
        {
            "title": "A zebra crossing by the shops",
            "problem": "Children cross between parked cars.",
            "proposal": "Paint one.",
        },
    )
    assert response.status_code == 302
    idea = Idea.objects.get()
    assert idea.author == world.participant and idea.project == world.project
    assert set(idea.authorships.values_list("user_id", flat=True)) == {world.participant.pk, mate.user_id}
    assert [link.target_id for link in links_from(team).filter(kind="team_idea")] == [idea.pk]
    services.team_member_move(
        user=world.facilitator, registration=Registration.objects.get(name="Phoned in"), team=team
    )
    page = world.client("anonymous").get(url("team", workshop, team.pk)).content.decode()
    assert "A zebra crossing by the shops" in page
    assert "Phoned in" not in page and "3 people" in page  # the public sees how many, not who
    page = world.client("participant").get(url("team", workshop, team.pk)).content.decode()
    assert "Phoned in" not in page and "someone without an account" in page  # names typed by staff stay private
    assert "Phoned in" in world.client("facilitator").get(url("team", workshop, team.pk)).content.decode()
    assert ActivityEntry.objects.filter(verb="meetings.team_idea").count() == 1
    # Once a facilitator hides the idea, the team's page and the API name it to facilitators only.
    Idea.objects.filter(pk=idea.pk).update(hidden_at=timezone.now())
    api_team = f"/api/projects/{world.project.slug}/meetings/{workshop.pk}/teams/{team.pk}/"
    for persona in ("anonymous", "participant"):
        assert "A zebra crossing" not in world.client(persona).get(url("team", workshop, team.pk)).content.decode()
    seen_by_api = world.client("participant").get(api_team)
    assert seen_by_api.status_code == 200 and "A zebra crossing" not in seen_by_api.content.decode()
    assert "A zebra crossing" in world.client("facilitator").get(api_team).content.decode()
    assert "A zebra crossing" in world.client("facilitator").get(url("team", workshop, team.pk)).content.decode()
    # Someone not in the team may not submit for it; a team with ideas is not removed.
    assert world.client("expert").post(url("team_idea", workshop, team.pk), {"title": "x"}).status_code == 403
    assert world.client("facilitator").post(url("team_remove", workshop, team.pk)).status_code == 302
    assert Team.objects.filter(pk=team.pk).exists()


def test_a_bad_idea_is_shown_as_form_errors_on_the_team_page(world, workshop):
    pytest.importorskip("copro.ideas.services")
    team = services.team_create(user=world.facilitator, meeting=workshop, name="A")
    response = world.client("facilitator").post(
        url("team_idea", workshop, team.pk), {"title": "", "problem": "", "proposal": ""}
    )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_team_names_are_unique_within_a_meeting(world, workshop):
    services.team_create(user=world.facilitator, meeting=workshop, name="Blue")
    response = world.client("facilitator").post(url("teams", workshop), {"name": "Blue"})
    assert response.status_code == 400
    assert "There is already a team with this name." in response.content.decode()


# --- The component ------------------------------------------------------------------------------------------


def test_the_dashboard_exports_and_nav(world):
    m = past_meeting(world)
    Registration.objects.create(meeting=m, user=world.participant, queued_at=m.starts_at, attended=True)
    services.attendance_record(
        user=world.facilitator,
        meeting=m,
        attended_ids=set(Registration.objects.filter(meeting=m).values_list("pk", flat=True)),
        unnamed=4,
    )
    services.action_add(user=world.facilitator, meeting=m, text="Do it", assignee_name="Team " + XSS)
    assert list(registry.export("meeting_actions").rows(world.project)) == []  # not before the minutes
    services.minutes_save(user=world.facilitator, meeting=m, minutes="<p>Done</p>", publish=True)
    meeting(world.project, created_by=world.facilitator, status="draft", title="Hidden draft")
    component = registry.get("meetings")
    counts = {str(c.label): c.value for c in component.dashboard(world.project, Role.PARTICIPANT)}
    assert counts["Meetings held in the last 12 months"] == 1
    assert counts["People who came to them (with or without an account)"] == 5
    rows = list(registry.export("meetings").rows(world.project))
    assert [r["title"] for r in rows] == [m.title]
    assert (rows[0]["attended_with_account"], rows[0]["attended_without_account"]) == (1, 4)
    actions = list(registry.export("meeting_actions").rows(world.project))
    assert actions[0]["who"] == "Team " + XSS
    nav = world.client("participant").get(project_url("list", world.project)).content.decode()
    assert f'href="{project_url("list", world.project)}" aria-current="page"' in nav


def test_the_link_kind_for_team_ideas_is_declared():
    kind = registry.link_kind("team_idea")
    assert kind is not None and (kind.source, kind.target) == ("meetings.team", "ideas.idea")


def test_the_demo_adds_a_workshop_next_week_and_a_past_meeting(world):
    from copro.meetings.demo import add_demo

    people = members(world, 3)
    add_demo(world.project, world.facilitator, people)
    workshop = Meeting.objects.filter(project=world.project, starts_at__gt=timezone.now()).get()
    assert workshop.status == "published" and workshop.format == "hybrid"
    assert workshop.agenda_items.count() == 5 and workshop.teams.count() == 2
    assert Registration.objects.filter(meeting=workshop, interpreter="BSL", step_free=True).exists()
    past = Meeting.objects.filter(project=world.project, starts_at__lt=timezone.now()).get()
    assert past.minutes_published_at and past.actions.count() == 3
    counts = attendance_counts(world.project, end=timezone.now())
    assert counts["attended_with_account"] == 3 and counts["attended_without_account"] == 7


# --- Pages stay flat as data grows ------------------------------------------------------------------------


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["list", "calendar", "calendar_ics"])
def test_project_pages_take_the_same_queries_for_2_or_20_meetings(world, name):
    client = world.client("participant")
    for _i in range(2):
        register(meeting(world.project, created_by=world.facilitator), world.participant)
    client.get(project_url(name, world.project))  # the first visit to the calendar makes the person's calendar key
    small = _queries(client, project_url(name, world.project))
    for _i in range(18):
        register(meeting(world.project, created_by=world.facilitator), world.participant)
    assert _queries(client, project_url(name, world.project)) == small


@pytest.mark.parametrize("name", ["detail", "registrations", "attendance", "teams", "actions"])
def test_meeting_pages_take_the_same_queries_for_3_or_30_people(world, name):
    m = meeting(world.project, created_by=world.facilitator)
    client = world.client("facilitator")

    def grow(n):
        for person in members(world, n):
            register(m, person, step_free=True, interpreter="BSL")
            services.action_add(user=world.facilitator, meeting=m, text="Act", assignee=person)

    grow(3)
    services.teams_apply_suggestion(user=world.facilitator, meeting=m, k=2)
    small = _queries(client, url(name, m))
    grow(27)
    services.teams_apply_suggestion(user=world.facilitator, meeting=m)
    assert _queries(client, url(name, m)) == small
