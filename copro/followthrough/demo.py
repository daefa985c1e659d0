"""The demo project's follow-through: commitments from what was decided, said and suggested, with
milestones and updates (one overdue, one changed with its reason), and feedback moments (one quoted with
the giver's consent). Called by `copro demo` after the decisions, consultation, ideas and meetings exist."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from copro.followthrough import services
from copro.followthrough.models import Commitment


def _first(label: str, project: Any, **filters: Any) -> Any:
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    return model.objects.filter(project=project, **filters).order_by("id").first()


def add_demo(project: Any, facilitator: Any, people: list[Any]) -> None:
    """people: [participant (Welsh speaker), participant, expert]."""
    dylan, amira, expert = people[0], people[1], people[2]
    today = timezone.localdate()
    services.feedback_settings_save(
        project=project,
        user=facilitator,
        allow_anonymous=True,
        intro="The project team reads every piece of feedback on Friday afternoons.",
    )

    # From the consent decision already made: the workshops, Saturdays at the library plus an evening.
    decision = _first("decisions.decision", project, status="closed")
    workshops = services.commitment_create(
        project=project,
        created_by=facilitator,
        title="Run the design workshops on Saturday mornings at the library, and one weekday evening each month",
        description="As agreed by consent: the evening session answers the objection from parents who work Saturdays.",
        owner=facilitator,
        co_owners=[dylan],
        due_on=today + timedelta(days=75),
        source=decision,
    )
    for title, days, done in [
        ("Book the library's community room", 10, True),
        ("Publish the dates on the project page and at the school gates", 20, True),
        ("Run the first Saturday workshop", 40, False),
        ("Run the first weekday evening session", 50, False),
    ]:
        step = services.milestone_add(
            commitment=workshops, user=facilitator, title=title, due_on=today + timedelta(days=days)
        )
        if done:
            services.milestone_tick(milestone=step, user=facilitator, done=True)
    services.commitment_update_post(
        commitment=workshops,
        author=facilitator,
        text=(
            "The library's community room is booked for every other Saturday morning until the summer, and the "
            "first evening session is on a Wednesday at 6pm. Childcare is free: tell us when you register."
        ),
        status="in_progress",
    )

    # From an idea people put forward, if the ideas demo made one.
    idea = _first("ideas.idea", project, title__icontains="school street") or _first("ideas.idea", project)
    if idea is not None:
        street = services.commitment_create(
            project=project,
            created_by=facilitator,
            title="Trial a school street at drop-off and pick-up for one term",
            description=(
                "Road closed to through traffic for 45 minutes at each end of the school day, with volunteer marshals."
            ),
            owner=expert,
            co_owners=[amira],
            due_on=today + timedelta(days=150),
            source=idea,
        )
        services.milestone_add(commitment=street, user=expert, title="Traffic order consultation with residents")
        services.milestone_add(commitment=street, user=expert, title="Recruit and train volunteer marshals")

    # From the consultation: report back on it.
    survey = _first("consultations.consultation", project)
    if survey is not None:
        services.commitment_create(
            project=project,
            created_by=facilitator,
            title="Publish the survey's results, and what we will do about each of the top five worries",
            owner=facilitator,
            due_on=today + timedelta(days=45),
            source=survey,
        )

    # From a meeting action, if the meetings demo made one.
    action = _first("meetings.meetingaction", project)
    if action is not None:
        services.commitment_create(
            project=project,
            created_by=facilitator,
            title="Ask the bus company to move the stop away from the school gate",
            owner=expert,
            due_on=today + timedelta(days=60),
            source=action,
        )

    # One overdue: due last week (moved there as if time had passed; a new date cannot be in the past).
    signs = services.commitment_create(
        project=project,
        created_by=facilitator,
        title="Put up temporary 'slow down, children crossing' signs on Heol Trelái",
        owner=expert,
        due_on=today + timedelta(days=1),
        source=decision,
    )
    Commitment.objects.filter(pk=signs.pk).update(due_on=today - timedelta(days=7))
    services.milestone_add(commitment=signs, user=expert, title="Order the signs")

    # One changed, with its reason; one done.
    parking = services.commitment_create(
        project=project,
        created_by=facilitator,
        title="Stop vans parking on the pavement outside the Grand Avenue shops",
        owner=facilitator,
        due_on=today + timedelta(days=30),
    )
    services.commitment_update_post(
        commitment=parking,
        author=facilitator,
        text="Parking enforcement visits three mornings a week from next month.",
        status="changed",
        reason=(
            "Double yellow lines need a traffic order that takes a year. Until then, enforcement officers will "
            "visit in the mornings, and we will report what they find."
        ),
    )
    maps = services.commitment_create(
        project=project,
        created_by=facilitator,
        title="Put paper maps in the library and both school offices",
        owner=dylan,
        due_on=today + timedelta(days=3),
    )
    services.commitment_update_post(
        commitment=maps,
        author=dylan,
        text="Thirty paper maps are at each place, with a box to post them back.",
        status="done",
    )

    # Feedback moments: one quoted with consent, one entered at a drop-in, one acted on.
    quoted = services.feedback_give(
        project=project,
        about="project",
        text=(
            "I was nervous about coming, but people listened to me at the workshop and my idea about the "
            "crossing is on the list now. The tea was good too."
        ),
        feeling=5,
        tags=["listened", "meetings"],
        given_by=amira,
        consent_to_share=True,
    )
    services.feedback_triage(feedback=quoted, user=facilitator, triage="celebrate", note="Share with the team.")
    services.feedback_share(
        feedback=quoted,
        user=facilitator,
        excerpt="people listened to me at the workshop and my idea about the crossing is on the list now.",
    )
    dropin = services.feedback_give(
        project=project,
        text="The letter about the road closure was hard to read. I did not know it meant my street.",
        feeling=2,
        tags=["information"],
        contact="Phone, weekday mornings (number on the paper form)",
        entered_by=facilitator,
        channel="drop_in",
    )
    services.feedback_triage(
        feedback=dropin,
        user=facilitator,
        triage="act_on",
        note="Rewrite the letter in plain words, with a map of the streets affected.",
        commitment=signs,
    )
    services.feedback_give(
        project=project,
        text="Saturday mornings are hard for me: I work in the shop.",
        feeling=3,
        tags=["meetings", "access"],
        given_by=dylan,
    )
