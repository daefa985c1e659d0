"""Demo data: an open space at the demo workshop, with rooms, time slots, a dozen sessions, marks, and a
schedule built and published (through the services, as people would)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from copro.unconference import services

ROOMS = [
    ("Main hall", 40, "Ground floor, step-free, hearing loop."),
    ("Library corner", 15, "Ground floor, step-free. Quiet: good for a small group."),
    ("Garden room", 12, "Two steps down; a ramp is by the side door."),
    ("Quiet room", 8, "First floor, lift available. Low light, no background music."),
]

SESSIONS = [
    ("Safer crossings near the schools", "Where do children cross, and what would make it safer?"),
    ("Walking buses: who could lead one?", "Parents and grandparents taking turns to walk children in."),
    ("Scooter and bike parking", "What stops families cycling: where would parking help?"),
    ("School streets", "Closing the road at drop-off and pick-up: what would it mean for neighbours?"),
    ("Dropped kerbs and pushchairs", "A map of the kerbs that stop prams and wheelchairs."),
    ("Lighting the park path", "The path is dark by 4pm in winter. Who uses it, and when?"),
    ("Speeding on Cowbridge Road West", "What have you seen? What would slow people down?"),
    ("Buses to school", "Routes, times and fares for secondary school pupils."),
    ("Getting there with a disability", "What makes the journey hard, and what would help."),
    ("Older children travelling alone", "When do parents feel it is safe? What would change their minds?"),
    ("Winter and bad weather", "Keeping routes usable when it is dark, wet or icy."),
    ("Telling everyone what we decide", "How should we report back, and to whom?"),
]


def add_demo(project: Any, facilitator: Any, people: list[Any], meeting: Any) -> None:
    space = services.open_space_create(
        user=facilitator,
        meeting=meeting,
        intro=(
            "Bring a question about getting to school. Propose a session before the day or at the opening circle; "
            "mark the ones you want to join, and we will put them into rooms and times so as few people as "
            "possible have to choose between two."
        ),
    )
    for name, capacity, notes in ROOMS:
        services.room_add(user=facilitator, open_space=space, name=name, capacity=capacity, access_notes=notes)
    # Four slots after a 30-minute opening circle, each with 10 minutes to move between rooms.
    start = meeting.starts_at + timedelta(minutes=30)
    length = min(timedelta(hours=1), (meeting.ends_at - start) / 4)
    for i in range(4):
        services.slot_add(
            user=facilitator,
            open_space=space,
            starts_at=start + i * length,
            ends_at=start + (i + 1) * length - min(timedelta(minutes=10), length / 6),
        )
    hosts = [facilitator, *people] if people else [facilitator]
    sessions = []
    for i, (title, about) in enumerate(SESSIONS):
        host = hosts[i % len(hosts)]
        sessions.append(
            services.session_propose(
                user=host,
                open_space=space,
                title=title,
                about=about,
                facilitator=host == facilitator,
            )
        )
    # Everyone marks a handful of sessions (not their own); the first sessions are the most wanted.
    for j, person in enumerate(hosts):
        for k, session in enumerate(sessions):
            if (k + j) % 3 != 0 or k < 3:
                services.interest_mark(user=person, session=session)
    services.schedule_build(user=facilitator, open_space=space, seed=1)
    services.schedule_publish(user=facilitator, open_space=space, notify=False)
