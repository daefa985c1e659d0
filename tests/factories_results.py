"""Helpers for the results, export and import tests: a small consultation with every kind of question,
and many responses written in bulk (the same rows response_submit writes, without its per-row checks)."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from copro.consultations import answers, services
from copro.consultations.models import Answer, Consultation, Question, Response, ResponseStatus
from copro.maps.models import Map, Place


@dataclass
class Survey:
    consultation: Consultation
    colour: Question  # single: Red, Green, Blue
    transport: Question  # multiple: Bus, Bike, Walk, Car
    agree: Question  # scale
    rank: Question  # ranking: Lighting, Benches, Bins
    comment: Question  # text
    where: Question  # location
    age: Question  # private single: Under 25, 25 to 64, 65 or over
    place: Place

    @property
    def questions(self) -> list[Question]:
        return [self.colour, self.transport, self.agree, self.rank, self.comment, self.where, self.age]


def survey(
    project: Any,
    facilitator: Any,
    *,
    results_visibility: str = "live",
    open_it: bool = True,
    colour_required: bool = False,
) -> Survey:
    area = Map.objects.create(
        project=project,
        title="Cardiff",
        south=51.4,
        west=-3.3,
        north=51.6,
        east=-3.0,
        centre_lat=51.48,
        centre_lng=-3.18,
        created_by=facilitator,
        status="open",
    )
    place = Place.objects.create(map=area, name="Canton Library", lat=51.481, lng=-3.2)
    c = services.consultation_create(
        user=facilitator,
        project=project,
        title="Active travel ŵŷâ",
        how_used="The council's transport team reads every response.",
        results_visibility=results_visibility,
        map=area,
    )
    main = services.section_add(user=facilitator, consultation=c, title="Getting about")
    colour = services.question_add(
        user=facilitator,
        section=main,
        kind="single",
        text="Favourite colour",
        choices=["Red", "Green", "Blue"],
        required=colour_required,
    )
    transport = services.question_add(
        user=facilitator,
        section=main,
        kind="multiple",
        text="How do you travel?",
        choices=["Bus", "Bike", "Walk", "Car"],
    )
    agree = services.question_add(user=facilitator, section=main, kind="scale", text="Cycle lanes are safe")
    rank = services.question_add(
        user=facilitator,
        section=main,
        kind="ranking",
        text="Rank the improvements",
        choices=["Lighting", "Benches", "Bins"],
    )
    comment = services.question_add(user=facilitator, section=main, kind="text", text="Anything else?")
    where = services.question_add(user=facilitator, section=main, kind="location", text="Where is the problem?")
    about = services.section_add(user=facilitator, consultation=c, title="About you")
    age = services.question_add(
        user=facilitator,
        section=about,
        kind="single",
        text="Your age",
        choices=["Under 25", "25 to 64", "65 or over"],
        private=True,
    )
    if open_it:
        services.consultation_open(user=facilitator, consultation=c)
    return Survey(c, colour, transport, agree, rank, comment, where, age, place)


def bulk_responses(s: Survey, count: int, *, seed: int = 1, channel_every: int = 4, start: Any = None) -> None:
    """`count` submitted responses with random answers (every `channel_every`-th on paper), in bulk."""
    rng = random.Random(seed)
    now = start or timezone.now()
    offline = ["paper", "phone", "drop_in", "outreach"]
    responses = [
        Response(
            consultation=s.consultation,
            status=ResponseStatus.SUBMITTED,
            channel=offline[(i // channel_every) % 4] if i % channel_every == 0 else "online",
            batch="bulk" if i % channel_every == 0 else "",
            submitted_at=now - datetime.timedelta(hours=i % 1000),
            receipt=f"B{seed:03d}{i:06d}"[:10],
        )
        for i in range(count)
    ]
    Response.objects.bulk_create(responses, batch_size=2000)
    by_id = {q.pk: q for q in s.questions}
    rows: list[Answer] = []
    for r in Response.objects.filter(
        consultation=s.consultation, batch__in=["bulk", ""], receipt__startswith=f"B{seed:03d}"
    ):
        values = {
            s.colour.pk: rng.randrange(3),
            s.transport.pk: sorted(rng.sample(range(4), rng.randint(1, 3))),
            s.agree.pk: rng.randint(1, 5),
            s.rank.pk: rng.sample(range(3), 3),
            s.comment.pk: f"Comment <b>{rng.random()}</b>",
            s.where.pk: {"lat": 51.5, "lng": -3.1},
            s.age.pk: rng.randrange(3),
        }
        rows.extend(answers.to_rows(r.pk, s.consultation.pk, r.channel, by_id, values))
        if len(rows) > 20000:
            Answer.objects.bulk_create(rows, batch_size=5000)
            rows = []
    Answer.objects.bulk_create(rows, batch_size=5000)
