"""Meetings in real headless Chromium: a participant registers for a workshop with access needs (step-free
access and a BSL interpreter) using the keyboard, and sees the confirmation; the facilitator sees the needs in
the summary and marks them met. axe-core on every page, no Content-Security-Policy errors."""

from __future__ import annotations

import pytest

from copro.meetings.models import BSL, Registration
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.factories_meetings import meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_participant_registers_with_access_needs_and_the_facilitator_sees_them(new_page, live_server, world):
    m = meeting(
        world.project,
        created_by=world.facilitator,
        title="Safer routes design workshop",
        capacity=20,
        webcast_url="",
    )
    tab = signed_in(new_page, live_server, world.participant)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/meetings/{m.pk}/")
    assert axe_serious(page) == []
    page.get_by_role("link", name="Register for this meeting").click()
    page.wait_for_load_state()
    assert axe_serious(page) == []

    # Keyboard only: Space ticks a checkbox and chooses a radio button.
    page.get_by_label("I need step-free access (no stairs)").focus()
    page.keyboard.press("Space")
    page.get_by_label("British Sign Language (BSL)").focus()
    page.keyboard.press("Space")
    page.get_by_label("Food and drink (optional)").fill("Vegetarian")
    page.get_by_role("button", name="Register", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    content = page.content()
    assert "You are registered. We have sent you an email with the details." in content
    assert "You are registered." in content
    assert axe_serious(page) == []
    registration = Registration.objects.get(meeting=m, user=world.participant)
    assert (registration.step_free, registration.interpreter, registration.dietary) == (True, BSL, "Vegetarian")
    assert no_csp_errors(tab)

    # The facilitator sees the needs, counted and with the name, and marks them met.
    staff = signed_in(new_page, live_server, world.facilitator)
    spage = staff.page
    spage.goto(f"/p/{world.project.slug}/meetings/{m.pk}/registrations/")
    summary = spage.get_by_role("table", name="Number of people with each access need")
    assert summary.get_by_role("row", name="Step-free access").get_by_role("cell").first.inner_text() == "1"
    bsl = summary.get_by_role("row", name="Interpreter: British Sign Language (BSL)")
    assert bsl.get_by_role("cell").first.inner_text() == "1"
    assert world.participant.public_name in bsl.inner_text()
    assert axe_serious(spage) == []
    spage.get_by_label("Note for the team (optional)").fill("Interpreter booked with the agency")
    with spage.expect_navigation():
        spage.get_by_role("button", name="Mark as met").click()
    assert "Marked as met" in spage.content()
    registration.refresh_from_db()
    assert registration.needs_met_at is not None
    assert no_csp_errors(staff)


def test_meeting_pages_pass_axe_for_facilitators(new_page, live_server, world):
    m = meeting(world.project, created_by=world.facilitator, title="Walkabout", webcast_url="")
    staff = signed_in(new_page, live_server, world.facilitator)
    page = staff.page
    for path in (
        f"/p/{world.project.slug}/meetings/",
        f"/p/{world.project.slug}/meetings/calendar/",
        f"/p/{world.project.slug}/meetings/new/",
        f"/p/{world.project.slug}/meetings/{m.pk}/",
        f"/p/{world.project.slug}/meetings/{m.pk}/agenda/",
        f"/p/{world.project.slug}/meetings/{m.pk}/registrations/new/",
        f"/p/{world.project.slug}/meetings/{m.pk}/attendance/",
        f"/p/{world.project.slug}/meetings/{m.pk}/actions/",
        f"/p/{world.project.slug}/meetings/{m.pk}/teams/",
    ):
        page.goto(path)
        assert axe_serious(page) == [], path
    # The calendar page gives the facilitator their own address, and a new one on request.
    page.goto(f"/p/{world.project.slug}/meetings/calendar/")
    first = page.locator("code.calendar-address").inner_text()
    assert "calendar.ics?key=" in first
    with page.expect_navigation():
        page.get_by_role("button", name="Make a new calendar address").click()
    assert "You have a new calendar address." in page.content()
    assert page.locator("code.calendar-address").inner_text() != first
    assert axe_serious(page) == []
    assert no_csp_errors(staff)


def test_a_facilitator_records_who_came_page_by_page_and_the_public_sees_team_counts(new_page, live_server, world):
    """A long attendance list is saved a page at a time (the next page keeps its own ticks); a visitor sees
    the workshop's teams as counts, not names. axe-clean, no CSP errors."""
    from datetime import timedelta

    from django.utils import timezone

    from copro.meetings import services
    from copro.meetings.models import Meeting

    m = meeting(world.project, created_by=world.facilitator, title="Big workshop", webcast_url="")
    Registration.objects.bulk_create(
        [Registration(meeting=m, name=f"Person {i:03d}", queued_at=timezone.now(), channel="paper") for i in range(250)]
    )
    services.teams_apply_suggestion(user=world.facilitator, meeting=m, k=5)
    Meeting.objects.filter(pk=m.pk).update(starts_at=timezone.now() - timedelta(minutes=10))

    staff = signed_in(new_page, live_server, world.facilitator)
    page = staff.page
    page.goto(f"/p/{world.project.slug}/meetings/{m.pk}/attendance/")
    assert "Page 1 of 2: people 1 to 200 of 250." in page.content()
    assert axe_serious(page) == []
    page.get_by_label("Person 000", exact=False).first.check()
    page.get_by_label("Person 199", exact=False).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and go to the next page").click()
    assert "Attendance saved." in page.content() and "Page 2 of 2" in page.content()
    page.get_by_label("Person 249", exact=False).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save this page").click()
    assert axe_serious(page) == []
    came = set(Registration.objects.filter(meeting=m, attended=True).values_list("name", flat=True))
    assert came == {"Person 000", "Person 199", "Person 249"}
    assert no_csp_errors(staff)

    visitor = new_page()
    visitor.page.goto(f"/p/{world.project.slug}/meetings/{m.pk}/teams/")
    content = visitor.page.content()
    assert "Team 1" in content and "Person 0" not in content and "50 people" in content
    assert axe_serious(visitor.page) == []
    assert no_csp_errors(visitor)
