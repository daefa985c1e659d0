"""Demo data for meetings (`copro demo`): a hybrid workshop next week that people have registered for (one
with access needs), in teams, and a meeting held two weeks ago with attendance, minutes and actions."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.utils import timezone

from copro.core.models import EntryChannel
from copro.meetings import services
from copro.meetings.models import BSL, Meeting, MeetingStatus, Registration, RegistrationStatus


def _at(days: int, hour: int) -> Any:
    local = timezone.localtime(timezone.now() + timedelta(days=days))
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def add_demo(project: Any, facilitator: Any, people: list[Any]) -> None:
    _workshop(project, facilitator, people)
    _past_meeting(project, facilitator, people)


def _workshop(project: Any, facilitator: Any, people: list[Any]) -> Meeting:
    starts = _at(7, 18)
    workshop = services.meeting_create(
        user=facilitator,
        project=project,
        data=services.MeetingFields(
            title="Safer routes to school: design workshop",
            format="hybrid",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2, minutes=30),
            description=(
                "Parents, pupils, teachers and the council's road safety team work in mixed teams on the "
                "three routes. Each team leaves with one or two solutions, which go into pressure-testing "
                "before the participatory budget vote.\n\nFood is provided. Children are welcome: there is a "
                "supervised play corner."
            ),
            venue="Canolfan Gymunedol Trelái, Grand Avenue, Cardiff CF5 4LE",
            venue_access=(
                "Step-free entrance from the car park at the side. Accessible toilet on the ground floor. "
                "Hearing loop in the main hall. Buses 13 and 17 stop outside."
            ),
            join_url="https://meet.example.org/safer-routes-workshop",
            webcast_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            capacity=30,
        ),
    )
    for title, at, minutes, led_by in [
        ("Welcome, and what we can and cannot change", time(18, 0), 15, "Facilitator"),
        ("What we heard: the map and the survey", time(18, 15), 15, "Road safety team"),
        ("Teams work on solutions", time(18, 30), 60, "Everyone, in teams"),
        ("Open space: the questions nobody planned for", time(19, 30), 30, "Anyone who proposes a session"),
        ("Sharing back, and what happens next", time(20, 0), 30, "Facilitator"),
    ]:
        services.agenda_item_add(
            user=facilitator, meeting=workshop, title=title, starts_at=at, duration_minutes=minutes, led_by=led_by
        )
    workshop = services.meeting_publish(user=facilitator, meeting=workshop)
    for i, person in enumerate(people):
        needs = services.AccessNeeds()
        if i == 0:
            needs = services.AccessNeeds(step_free=True, interpreter=BSL, dietary="Vegetarian")
        elif i == 1:
            needs = services.AccessNeeds(childcare=True, childcare_details="2 children, aged 4 and 7")
        services.registration_create(meeting=workshop, user=person, needs=needs)
    services.registration_create(meeting=workshop, user=facilitator)
    services.registration_enter(
        meeting=workshop,
        entered_by=facilitator,
        name="Mrs Eirlys Hughes",
        phone="029 2000 0000",
        channel=EntryChannel.PHONE,
        language="cy",
        needs=services.AccessNeeds(hearing_loop=True),
    )
    services.teams_apply_suggestion(user=facilitator, meeting=workshop, k=2)
    return workshop


def _past_meeting(project: Any, facilitator: Any, people: list[Any]) -> Meeting:
    starts = _at(-14, 10)
    meeting = Meeting.objects.create(
        project=project,
        title="Walkabout on Heol Trelái, then a meeting to agree what we saw",
        format="in_person",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue="Meet outside Ysgol Gymraeg Trelái, then the school hall",
        venue_access="The walk is about 800 metres on pavements, with dropped kerbs. The hall is step-free.",
        capacity=20,
        status=MeetingStatus.PUBLISHED,
        published_at=starts - timedelta(days=14),
        created_by=facilitator,
    )
    for person in [facilitator, *people]:
        Registration.objects.create(
            meeting=meeting, user=person, status=RegistrationStatus.REGISTERED, queued_at=starts - timedelta(days=10)
        )
    came = list(Registration.objects.filter(meeting=meeting).values_list("pk", flat=True))[:-1]
    services.attendance_record(
        user=facilitator, meeting=meeting, attended_ids=set(came), unnamed=6, walk_ins=["Dai from the bakery"]
    )
    services.minutes_save(
        user=facilitator,
        meeting=meeting,
        publish=True,
        minutes=(
            "<p>We walked the route from the school gate to the Grand Avenue junction at 8:30, when it is busiest.</p>"
            "<h3>What we saw</h3><ul><li>Cars parked on both pavements by the shops: children walk in the road.</li>"
            "<li>No dropped kerb at the junction with Bishopston Road.</li>"
            "<li>Drivers do not slow down at the bend by the park.</li></ul>"
            "<h3>What we agreed</h3><p>The three problems go on the map, and into the workshop as starting points.</p>"
        ),
    )
    services.action_add(
        user=facilitator,
        meeting=meeting,
        text="Put the three problems we saw on the community map, with photos",
        assignee=people[0] if people else None,
        due_on=(starts + timedelta(days=7)).date(),
    )
    done = services.action_add(
        user=facilitator,
        meeting=meeting,
        text="Ask the council's parking team about enforcement outside the shops",
        assignee_name="Road safety team",
        due_on=(starts + timedelta(days=10)).date(),
    )
    services.action_set_status(user=facilitator, action=done, done=True)
    services.action_add(
        user=facilitator,
        meeting=meeting,
        text="Invite the park's Friends group to the design workshop",
        assignee=facilitator,
    )
    return meeting
