"""`copro seed --scale cardiff`: a project at the size of Cardiff's 2020–21 active-travel engagement.

Cardiff Council first asked people to mark problems on a map, then consulted on route improvements at 32
locations: over 20,000 responses, and nearly 1,200 people subscribed to updates. This command builds a
project of that shape and size, for demonstrations and for the benchmark (benchmarks/listening.py):

- an organisation, a public project "Cardiff active travel", its facilitator and three staff members who
  entered the paper, phone, drop-in and outreach responses;
- a community map of Cardiff with 6 categories, 50 named places and 5,000 pins clustered around the
  places people complain about, with about 8,000 agreements and 1,500 comments;
- a consultation with every kind of question (a choice of the 32 locations, an agreement scale, multiple
  choice, ranking, free text, a place on the map, a section shown only to people who cycle, and private
  "about you" questions) and 20,000 submitted responses, 85% online;
- 1,200 confirmed subscribers, some to the consultation only;
- follow-through: 2,500 more residents who joined to vote, a closed priorities poll that all 5,500 residents
  with an account voted in (secret ballots), two consent proposals, ideas (where the ideas app is installed)
  with authors and supporters, 500 commitments ("you said, we did") with milestones and updates, each linked
  to the poll, a proposal, an idea or the consultation, and 400 feedback moments. A commitment linked to the
  poll reaches more than 5,000 contributors (the benchmark's "update reaching 5,000 people").

Everything is written with bulk inserts through the ORM (SQLite or PostgreSQL) inside one transaction,
and takes well under two minutes. The random generator has a fixed seed, so the same data comes out
every time (except secret tokens and receipt codes, which are always random). No activity entry is
written per pin or response: the activity log is a hash chain and one entry per row would serialise.
Accounts get unusable passwords (nobody can sign in as them); set the facilitator's password with
`copro changepassword facilitator@cardiff.example.org` to look around as them.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction

from copro.accounts.models import User
from copro.consultations.models import (
    Answer,
    Consultation,
    ConsultationStatus,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    ResultsVisibility,
    Section,
)
from copro.core.models import EntryChannel, ResourceLink
from copro.maps.models import Agreement, Category, Comment, Map, MapStatus, Pin, Place
from copro.projects import services
from copro.projects.models import MemberRole, Membership, OrganisationMembership, Project, ProjectVisibility
from copro.updates.models import Frequency, Subscription

PROJECT_TITLE = "Cardiff active travel"
PROJECT_SLUG = "cardiff-active-travel"
FACILITATOR_EMAIL = "facilitator@cardiff.example.org"
RANDOM_SEED = 2021
BATCH = 2000  # rows per INSERT batch (Django also caps this to what the database accepts)


@dataclass(frozen=True)
class Scale:
    pins: int
    agreements: int  # about this many (each pin's count is drawn from a long-tailed distribution)
    comments: int
    responses: int
    subscribers: int
    accounts: int  # residents with an account: they pin, agree, comment and some respond signed in
    voters: int  # more residents with an account, who joined to vote on the priorities (follow-through)
    commitments: int  # "you said, we did" promises, each linked to a decision, an idea or the consultation
    feedback: int  # feedback moments about the service and the project

    def fraction(self, share: float) -> Scale:
        def part(n: int) -> int:
            return max(1, round(n * share))

        return Scale(*(part(n) for n in vars(self).values()))


SCALES = {
    "cardiff": Scale(
        pins=5000,
        agreements=8000,
        comments=1500,
        responses=20000,
        subscribers=1200,
        accounts=3000,
        voters=2500,
        commitments=500,
        feedback=400,
    ),
}

# The area: a box around the city; the map opens on the city centre.
SOUTH, WEST, NORTH, EAST = 51.44, -3.28, 51.56, -3.10
CENTRE = (51.4816, -3.1791)

CATEGORIES = [
    "Unsafe junction",
    "Pavement parking",
    "Missing cycle route",
    "Crossing needed",
    "Poor lighting",
    "Speeding traffic",
]

# Named places (approximate coordinates), with how often people pinned near them (the hotspots).
PLACES: list[tuple[str, float, float, float]] = [
    ("Queen Street", 51.4823, -3.1750, 3.0),
    ("St Mary Street", 51.4780, -3.1775, 2.5),
    ("Castle Street", 51.4810, -3.1820, 2.0),
    ("Westgate Street", 51.4790, -3.1820, 1.5),
    ("Greyfriars Road", 51.4840, -3.1770, 1.0),
    ("Boulevard de Nantes", 51.4850, -3.1780, 2.0),
    ("Cowbridge Road East, Canton", 51.4822, -3.2000, 3.0),
    ("Cathedral Road", 51.4870, -3.1930, 2.0),
    ("Llandaff Road", 51.4860, -3.2050, 1.2),
    ("Lansdowne Road", 51.4810, -3.2140, 1.0),
    ("Leckwith Road", 51.4780, -3.2070, 1.0),
    ("Ninian Park Road", 51.4760, -3.1990, 1.0),
    ("Penarth Road", 51.4690, -3.1880, 1.8),
    ("Clare Road, Grangetown", 51.4720, -3.1840, 1.2),
    ("Corporation Road, Grangetown", 51.4680, -3.1830, 1.0),
    ("Lloyd George Avenue", 51.4700, -3.1690, 1.0),
    ("Bute Street", 51.4700, -3.1680, 1.2),
    ("Clarence Road", 51.4630, -3.1720, 0.8),
    ("Tyndall Street", 51.4740, -3.1700, 1.0),
    ("Ocean Way", 51.4720, -3.1500, 0.8),
    ("Splott Road", 51.4850, -3.1520, 1.5),
    ("Newport Road", 51.4870, -3.1600, 2.5),
    ("Clifton Street", 51.4880, -3.1590, 1.2),
    ("City Road", 51.4900, -3.1680, 2.5),
    ("Albany Road", 51.4960, -3.1650, 2.0),
    ("Wellfield Road", 51.4990, -3.1680, 1.0),
    ("Penylan Road", 51.4970, -3.1590, 1.0),
    ("Crwys Road", 51.4950, -3.1800, 2.0),
    ("North Road", 51.4980, -3.1950, 2.0),
    ("Whitchurch Road", 51.5000, -3.1900, 1.5),
    ("Western Avenue", 51.4970, -3.2150, 1.5),
    ("Cardiff Road, Llandaff", 51.4950, -3.2150, 1.0),
    ("Fairwater Road", 51.4960, -3.2350, 0.8),
    ("Cowbridge Road West, Ely", 51.4830, -3.2400, 1.2),
    ("Grand Avenue, Ely", 51.4800, -3.2500, 0.8),
    ("Heol Trelái", 51.4780, -3.2430, 0.7),
    ("Caerphilly Road", 51.5120, -3.1930, 1.2),
    ("Heath Park Avenue", 51.5140, -3.1830, 0.8),
    ("Lake Road West, Roath Park", 51.5080, -3.1720, 1.0),
    ("Cyncoed Road", 51.5200, -3.1650, 0.8),
    ("Station Road, Llanishen", 51.5300, -3.1830, 1.0),
    ("Ty Glas Avenue", 51.5270, -3.1950, 0.7),
    ("Thornhill Road", 51.5430, -3.1960, 0.6),
    ("Merthyr Road, Whitchurch", 51.5210, -3.2170, 1.0),
    ("Park Road, Whitchurch", 51.5180, -3.2210, 0.6),
    ("Heol-y-Deri, Rhiwbina", 51.5260, -3.2150, 0.6),
    ("Manor Way", 51.5150, -3.2020, 1.0),
    ("Eastern Avenue", 51.5050, -3.1600, 1.0),
    ("Newport Road, Rumney", 51.5020, -3.1250, 1.0),
    ("Ball Road, Llanrumney", 51.5150, -3.1250, 0.7),
]

# The 32 locations of the route-improvement consultation: a named place each (for the location question).
LOCATIONS: list[tuple[str, str]] = [
    ("Queen Street and Park Place: wider crossing", "Queen Street"),
    ("Castle Street: two-way protected cycle track", "Castle Street"),
    ("Westgate Street: bus and cycle priority", "Westgate Street"),
    ("Boulevard de Nantes: crossing at the museum", "Boulevard de Nantes"),
    ("Cowbridge Road East: continuous footways at side roads", "Cowbridge Road East, Canton"),
    ("Cathedral Road: protected cycle lanes", "Cathedral Road"),
    ("Llandaff Road: school street at the primary school", "Llandaff Road"),
    ("Lansdowne Road: 20 mph and raised tables", "Lansdowne Road"),
    ("Leckwith Road: junction redesign", "Leckwith Road"),
    ("Penarth Road: cycle route to the Bay", "Penarth Road"),
    ("Clare Road: zebra crossing", "Clare Road, Grangetown"),
    ("Lloyd George Avenue: lighting and resurfacing", "Lloyd George Avenue"),
    ("Bute Street: wider pavements", "Bute Street"),
    ("Tyndall Street: cycle link to the city centre", "Tyndall Street"),
    ("Splott Road bridge: segregated cycle lane", "Splott Road"),
    ("Newport Road: cycle superhighway (section 1)", "Newport Road"),
    ("Newport Road, Rumney: cycle superhighway (section 2)", "Newport Road, Rumney"),
    ("City Road: junction with Newport Road", "City Road"),
    ("Albany Road: pavement parking controls", "Albany Road"),
    ("Wellfield Road: pedestrian priority", "Wellfield Road"),
    ("Crwys Road: crossing at the shops", "Crwys Road"),
    ("North Road: cycle route to the Heath", "North Road"),
    ("Whitchurch Road: bus stop bypasses", "Whitchurch Road"),
    ("Western Avenue: crossing to Llandaff Fields", "Western Avenue"),
    ("Cardiff Road, Llandaff: lit path by the river", "Cardiff Road, Llandaff"),
    ("Cowbridge Road West: safer route to school in Ely", "Cowbridge Road West, Ely"),
    ("Caerphilly Road: protected cycle lanes", "Caerphilly Road"),
    ("Lake Road West: shared path around Roath Park", "Lake Road West, Roath Park"),
    ("Station Road, Llanishen: station access", "Station Road, Llanishen"),
    ("Merthyr Road: Taff Trail connection", "Merthyr Road, Whitchurch"),
    ("Manor Way: crossing at the retail park", "Manor Way"),
    ("Eastern Avenue: footbridge and ramps", "Eastern Avenue"),
]

PIN_TEXTS = {
    "Unsafe junction": [
        "Drivers turn left across the cycle lane here without looking. I have nearly been hit twice on {place}.",
        "The junction on {place} is too wide to cross: traffic comes from four directions at once.",
        "No green light for people walking at this junction on {place}; you have to guess when to go.",
    ],
    "Pavement parking": [
        "Cars park on the pavement all along {place}; I have to walk in the road with the buggy.",
        "Vans park across the dropped kerb on {place}, so wheelchair users cannot get across.",
        "Delivery lorries block the pavement outside the shops on {place} every morning.",
    ],
    "Missing cycle route": [
        "The cycle lane on {place} just stops here and you are thrown into the traffic.",
        "There is no safe way to cycle from {place} into town; please link it to the Taff Trail.",
        "A protected cycle lane on {place} would let my children cycle to school.",
    ],
    "Crossing needed": [
        "We need a zebra crossing on {place}: children cross here to get to school.",
        "The nearest crossing on {place} is 400 metres away, so people run across the road.",
        "Older people from the sheltered housing cannot cross {place} safely at the bus stop.",
    ],
    "Poor lighting": [
        "The path by {place} is completely dark after 5pm in winter; I do not feel safe walking here.",
        "Street lights on {place} have been out for months.",
        "The underpass near {place} needs lighting: people avoid it at night.",
    ],
    "Speeding traffic": [
        "Cars speed down {place} at well over 30 mph, especially at night.",
        "Traffic on {place} is too fast for a road with a school on it. Please make it 20 mph.",
        "Drivers use {place} as a rat run to avoid the lights and go far too fast.",
    ],
}
COMMENT_TEXTS = [
    "I agree, this is a real problem, especially at school times.",
    "Same here: I walk this way every day and it is getting worse.",
    "My daughter uses a wheelchair and we cannot get past here at all.",
    "This was reported to the council last year and nothing happened.",
    "A crossing here would make a big difference to the older people in our street.",
    "It is even worse on match days.",
    "Cytuno'n llwyr: mae angen croesfan yma.",
    "Please also look at the junction just round the corner.",
]
FREE_TEXTS = [
    "Please finish the cycle route before starting new ones: gaps are the most dangerous part.",
    "More crossings near schools and fewer cars parked on pavements.",
    "I would walk to work if the pavements on {location} were not blocked by parked cars.",
    "Lighting on {location} matters more to me than anything else on this list.",
    "Do not take away the bus lane on {location}: buses are active travel too.",
    "Think about people with mobility scooters: dropped kerbs everywhere, please.",
    "Mae angen gwell goleuadau ar y llwybr ger {location}.",
    "The changes on {location} sound good, but please keep the loading bay for the shops.",
]

# The consultation's questions and their choices.
LOCATION_NAMES = tuple(name for name, _place in LOCATIONS)
AGE_BANDS = ("Under 16", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75 or over", "Prefer not to say")
MODES = ("Walking", "Cycling", "Wheelchair or mobility scooter", "Bus", "Car", "Other")
CYCLING = 1  # MODES index: the "If you cycle" section is shown only to people who chose it
PRIORITIES = ("Protected cycle lanes", "Wider pavements", "New crossings", "20 mph limits", "Better lighting")
DISABILITY = ("Yes, a lot", "Yes, a little", "No", "Prefer not to say")


@dataclass(frozen=True)
class Ask:
    key: str  # how the seed refers to the question
    section: int  # index into the consultation's sections
    kind: QuestionKind
    text: str
    choices: tuple[str, ...] = ()
    required: bool = False
    private: bool = False  # an "about you" question


QUESTIONS = [
    Ask("location", 0, QuestionKind.SINGLE, "Which location do you know best?", LOCATION_NAMES, required=True),
    Ask("support", 0, QuestionKind.SCALE, "The changes proposed there would make walking and cycling safer."),
    Ask("spot", 0, QuestionKind.LOCATION, "Show us the exact spot on the map, if you like."),
    Ask("modes", 1, QuestionKind.MULTIPLE, "How do you usually get there?", MODES),
    Ask("priorities", 1, QuestionKind.RANKING, "Put these improvements in order, most important first.", PRIORITIES),
    Ask("comments", 1, QuestionKind.TEXT, "Anything else you would like to tell us?"),
    Ask("cycle_more", 2, QuestionKind.SCALE, "With these changes I would cycle more often."),
    Ask("age", 3, QuestionKind.SINGLE, "How old are you?", AGE_BANDS, private=True),
    Ask(
        "disability",
        3,
        QuestionKind.SINGLE,
        "Are your day-to-day activities limited by a health problem or disability?",
        DISABILITY,
        private=True,
    ),
]

CONSULTATION_OPENS = datetime(2021, 1, 11, 9, 0, tzinfo=UTC)
CONSULTATION_WEEKS = 10
MAP_OPENS = datetime(2020, 9, 14, 9, 0, tzinfo=UTC)
MAP_WEEKS = 11

# How responses reached the consultation: 85% online, the rest entered by staff.
RESPONSE_CHANNELS = [
    (EntryChannel.ONLINE, 85.0),
    (EntryChannel.PAPER, 7.0),
    (EntryChannel.PHONE, 2.0),
    (EntryChannel.DROP_IN, 3.5),
    (EntryChannel.OUTREACH, 2.5),
]
PIN_CHANNELS = [(EntryChannel.ONLINE, 90.0), (EntryChannel.PAPER, 6.0), (EntryChannel.DROP_IN, 4.0)]
MODE_SHARES = [0.55, 0.3, 0.04, 0.35, 0.45, 0.05]  # how many people use each of MODES
SIGNED_IN_SHARE = 0.12  # of online responses: the rest were anonymous


@dataclass
class Opinions:
    """What people think of each of the 32 locations, drawn once per seed."""

    places: list[Place]  # the named place of each location
    popularity: list[float]  # how many people pick it
    support: list[float]  # their average agreement with the proposal, 1-5
    priority_pull: list[float]  # how strongly people rank each of PRIORITIES first


class Command(BaseCommand):
    help = (
        "Create a demo project at the scale of Cardiff's 2020-21 active-travel engagement: 5,000 map pins, "
        "20,000 consultation responses and 1,200 subscribers. Refuses to run twice on the same database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", required=True, help="Which engagement to build. Only: cardiff.")
        # For the tests: the same data at a fraction of the size (0.02 is 1/50).
        parser.add_argument("--fraction", type=float, default=1.0, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] not in SCALES:
            raise CommandError(
                f"Unknown scale {options['scale']!r}. The scales Copro can seed are: {', '.join(SCALES)}."
            )
        fraction = options["fraction"]
        if not 0 < fraction <= 1:
            raise CommandError("--fraction must be more than 0 and at most 1.")
        if Project.objects.filter(slug=PROJECT_SLUG).exists():
            raise CommandError(
                f"This database already has the project {PROJECT_SLUG!r}: the seed runs only once per database. "
                "Seed a fresh database (for example COPRO_VAR_DIR=$(mktemp -d)) instead."
            )
        scale = SCALES[options["scale"]]
        if fraction < 1:
            scale = scale.fraction(fraction)
        started = time.perf_counter()
        counts = Seeder(scale, random.Random(RANDOM_SEED)).run()
        took = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Seeded project {PROJECT_SLUG!r} in {took:.1f} s:"))
        for name, count in counts.items():
            self.stdout.write(f"  {name:28} {count:>8,}")
        self.stdout.write(f"The facilitator is {FACILITATOR_EMAIL} (no password: set one with `copro changepassword`).")


@contextmanager
def historical_dates(*fields: models.DateTimeField) -> Iterator[None]:
    """Let bulk inserts keep the dates given (2020-21) instead of "now" for auto_now/auto_now_add fields."""
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _field(model: type[models.Model], name: str) -> models.DateTimeField:
    field = model._meta.get_field(name)
    assert isinstance(field, models.DateTimeField)
    return field


class Seeder:
    def __init__(self, scale: Scale, rng: random.Random) -> None:
        self.scale = scale
        self.rng = rng
        self.password = make_password(None)  # unusable: nobody can sign in as a seeded account

    @transaction.atomic
    def run(self) -> dict[str, int]:
        facilitator, staff = self.people()
        project = self.project(facilitator, staff)
        dated = [
            _field(Map, "created_at"),
            _field(Pin, "created_at"),
            _field(Agreement, "created_at"),
            _field(Comment, "created_at"),
            _field(Consultation, "created_at"),
            _field(Response, "started_at"),
            _field(Response, "updated_at"),
            _field(Subscription, "created_at"),
            _field(Membership, "joined_at"),
        ]
        with historical_dates(*dated):
            accounts = self.accounts(project)
            community_map, categories, places = self.community_map(project, facilitator)
            pins = self.pins(community_map, categories, places, accounts, staff)
            agreements = self.agreements(pins, accounts)
            comments = self.comments(pins, accounts)
            consultation, questions = self.consultation(project, community_map, facilitator)
            responses = self.responses(consultation, accounts, staff)
            answers = self.answers(consultation, questions, responses, places)
            subscribers = self.subscribers(project, consultation)
        followthrough = FollowThroughSeeder(self, project, facilitator, staff, accounts, consultation).run()
        return {
            "accounts": len(accounts) + 1 + len(staff),
            "map places": len(places),
            "pins": len(pins),
            "agreements": agreements,
            "comments": comments,
            "consultation locations": len(LOCATIONS),
            "questions": len(questions),
            "responses": len(responses),
            "answers": answers,
            "subscribers (confirmed)": subscribers,
            **followthrough,
        }

    # --- People and the project ----------------------------------------------------------------------

    def people(self) -> tuple[User, list[User]]:
        """The facilitator and three staff members who entered the offline responses and pins."""
        facilitator = User.objects.create_user(
            FACILITATOR_EMAIL, None, display_name="Ceri (active travel team)", preferred_language="en"
        )
        staff = User.objects.bulk_create(
            [
                User(
                    email=f"{name.lower()}@cardiff.example.org",
                    display_name=f"{name} (engagement team)",
                    password=self.password,
                )
                for name in ("Dafydd", "Priya", "Megan")
            ]
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in [facilitator, *staff]]
        )
        return facilitator, staff

    def project(self, facilitator: User, staff: list[User]) -> Project:
        organisation = services.organisation_create(
            user=facilitator,
            name="Cardiff Council (demo)",
            description="Demo data shaped like Cardiff Council's 2020-21 active travel engagement.",
        )
        project = services.project_create(
            user=facilitator,
            organisation=organisation,
            title=PROJECT_TITLE,
            purpose=(
                "Make it safer and easier to walk, wheel and cycle in Cardiff. First we asked people to mark "
                "the problems on a map; then we consulted on route improvements at 32 locations."
            ),
            visibility=ProjectVisibility.PUBLIC,
            can_influence=["Which of the 32 locations are improved first", "The design at each location"],
        )
        assert project.slug == PROJECT_SLUG, project.slug
        # The project began before the map opened (QuerySet.update leaves auto_now fields alone).
        Project.objects.filter(pk=project.pk).update(created_at=MAP_OPENS - timedelta(days=30))
        OrganisationMembership.objects.bulk_create(
            [OrganisationMembership(organisation=organisation, user=u) for u in staff]
        )
        Membership.objects.bulk_create(
            [Membership(project=project, user=u, role=MemberRole.FACILITATOR) for u in staff]
        )
        return project

    def accounts(self, project: Project) -> list[User]:
        """Residents with an account (unusable passwords), members of the project as participants."""
        users = User.objects.bulk_create(
            [
                User(
                    email=f"resident{i:05d}@cardiff.example.org",
                    display_name=f"Resident {i}",
                    preferred_language="cy" if i % 9 == 0 else "en",
                    password=self.password,
                    date_joined=self.moment(MAP_OPENS, MAP_WEEKS),
                )
                for i in range(self.scale.accounts)
            ],
            batch_size=BATCH,
        )
        Membership.objects.bulk_create(
            [Membership(project=project, user=u, role=MemberRole.PARTICIPANT, joined_at=u.date_joined) for u in users],
            batch_size=BATCH,
        )
        return users

    # --- The community map ---------------------------------------------------------------------------

    def community_map(self, project: Project, facilitator: User) -> tuple[Map, list[Category], list[Place]]:
        community_map = Map.objects.create(
            project=project,
            title="Where is it hard to walk, wheel or cycle?",
            description="Mark the places where walking, wheeling or cycling feels unsafe or is difficult.",
            how_used=(
                "The active travel team reads every pin. The places most people mark become the locations of "
                "the route-improvement consultation."
            ),
            status=MapStatus.OPEN,
            south=SOUTH,
            west=WEST,
            north=NORTH,
            east=EAST,
            centre_lat=CENTRE[0],
            centre_lng=CENTRE[1],
            zoom=13,
            created_by=facilitator,
            created_at=MAP_OPENS - timedelta(days=7),
        )
        categories = Category.objects.bulk_create(
            [Category(map=community_map, name=name, position=i) for i, name in enumerate(CATEGORIES)]
        )
        places = Place.objects.bulk_create(
            [Place(map=community_map, name=name, lat=lat, lng=lng) for name, lat, lng, _w in PLACES]
        )
        return community_map, categories, places

    def pins(
        self,
        community_map: Map,
        categories: list[Category],
        places: list[Place],
        accounts: list[User],
        staff: list[User],
    ) -> list[Pin]:
        """Pins clustered around the hotspots (gaussian noise), a sprinkling across the city, and a few
        placed by picking a named place or describing it instead of using the map."""
        rng = self.rng
        weights = [w for *_rest, w in PLACES]
        pins = []
        for i in range(self.scale.pins):
            place = rng.choices(places, weights=weights)[0]
            category = rng.choice(categories)
            channel = self.pick(PIN_CHANNELS)
            online = channel == EntryChannel.ONLINE
            pin = Pin(
                map=community_map,
                category=category,
                text=rng.choice(PIN_TEXTS[category.name]).format(place=place.name),
                author=rng.choice(accounts) if online else None,
                show_name=online and rng.random() < 0.06,
                channel=channel,
                entered_by=None if online else rng.choice(staff),
                created_at=self.moment(MAP_OPENS, MAP_WEEKS),
            )
            roll = rng.random()
            if roll < 0.04:  # picked a named place from the list: it brings its coordinates (as pin_create does)
                pin.place = place
                pin.lat, pin.lng = place.lat, place.lng
            elif roll < 0.05:  # typed a description
                pin.location_text = f"Near the corner of {place.name} and the park"
            else:
                spread = 0.003 if roll < 0.85 else 0.02  # most near a hotspot, some anywhere nearby
                pin.lat, pin.lng = self.near(place.lat, place.lng, spread)
            if i % 600 == 599:  # a handful hidden by a facilitator, as moderation would
                pin.hidden_at = pin.created_at + timedelta(days=1)
                pin.hidden_reason = "Names a private individual."
                pin.hidden_by = staff[0]
            pins.append(pin)
        return Pin.objects.bulk_create(pins, batch_size=BATCH)

    def agreements(self, pins: list[Pin], accounts: list[User]) -> int:
        """Long-tailed: most pins get a few agreements, a few get hundreds. agree_count matches the rows."""
        rng = self.rng
        mean = self.scale.agreements / len(pins)
        rows, counted = [], []
        for pin in pins:
            # paretovariate(1.6) - 1 has mean 1.6 / 0.6 - 1 = 1.67: scaled so the total is near the target.
            wanted = min(round((rng.paretovariate(1.6) - 1) * mean / (1.6 / 0.6 - 1)), len(accounts), 400)
            if not wanted:
                continue
            for user in rng.sample(accounts, wanted):
                rows.append(
                    Agreement(pin=pin, user=user, created_at=pin.created_at + timedelta(hours=rng.randint(1, 600)))
                )
            pin.agree_count = wanted
            counted.append(pin)
        Agreement.objects.bulk_create(rows, batch_size=BATCH)
        Pin.objects.bulk_update(counted, ["agree_count"], batch_size=500)
        return len(rows)

    def comments(self, pins: list[Pin], accounts: list[User]) -> int:
        """More comments on the pins more people agree with. comment_count matches the rows."""
        rng = self.rng
        chosen = rng.choices(pins, weights=[1 + p.agree_count for p in pins], k=self.scale.comments)
        rows = []
        for pin in chosen:
            rows.append(
                Comment(
                    pin=pin,
                    author=rng.choice(accounts),
                    show_name=rng.random() < 0.1,
                    text=rng.choice(COMMENT_TEXTS),
                    created_at=pin.created_at + timedelta(hours=rng.randint(1, 900)),
                )
            )
            pin.comment_count += 1
        Comment.objects.bulk_create(rows, batch_size=BATCH)
        Pin.objects.bulk_update({p.pk: p for p in chosen}.values(), ["comment_count"], batch_size=500)
        return len(rows)

    # --- The consultation ----------------------------------------------------------------------------

    def consultation(
        self, project: Project, community_map: Map, facilitator: User
    ) -> tuple[Consultation, dict[str, Question]]:
        consultation = Consultation.objects.create(
            project=project,
            title="Route improvements at 32 locations",
            intro="We have drawn up changes at 32 places people marked on the map. Tell us what you think.",
            how_used=(
                "The active travel team reads every response and publishes the results here. Cabinet uses them "
                "in June 2021 to decide the order in which the 32 schemes are built."
            ),
            status=ConsultationStatus.CLOSED,
            opens_at=CONSULTATION_OPENS,
            closes_at=CONSULTATION_OPENS + timedelta(weeks=CONSULTATION_WEEKS),
            allow_anonymous=True,
            results_visibility=ResultsVisibility.LIVE,
            map=community_map,
            created_by=facilitator,
            created_at=CONSULTATION_OPENS - timedelta(days=14),
        )
        sections = Section.objects.bulk_create(
            [
                Section(consultation=consultation, title="The location you know best", position=0),
                Section(consultation=consultation, title="Getting around", position=1),
                Section(consultation=consultation, title="If you cycle", position=2),
                Section(
                    consultation=consultation,
                    title="About you",
                    intro="Optional. Only ever shown as totals, never next to your other answers.",
                    position=3,
                ),
            ]
        )
        questions = {}
        for position, ask in enumerate(QUESTIONS):
            questions[ask.key] = Question.objects.create(
                consultation=consultation,
                section=sections[ask.section],
                kind=ask.kind,
                text=ask.text,
                choices=list(ask.choices),
                required=ask.required,
                private=ask.private,
                position=position,
            )
        # "If you cycle" is shown only to people who chose "Cycling" in "How do you usually get there?".
        sections[2].show_if_question = questions["modes"]
        sections[2].show_if_choice = CYCLING
        sections[2].save(update_fields=["show_if_question", "show_if_choice"])
        return consultation, questions

    def responses(self, consultation: Consultation, accounts: list[User], staff: list[User]) -> list[Response]:
        """Submitted responses: 85% online (mostly anonymous, some signed in), the rest entered by staff."""
        rng = self.rng
        signed_in = iter(rng.sample(accounts, min(len(accounts), int(self.scale.responses * SIGNED_IN_SHARE))))
        responses: list[Response] = []
        for i in range(self.scale.responses):
            channel = self.pick(RESPONSE_CHANNELS)
            online = channel == EntryChannel.ONLINE
            submitted = self.moment(CONSULTATION_OPENS, CONSULTATION_WEEKS)
            respondent = next(signed_in, None) if online and rng.random() < SIGNED_IN_SHARE else None
            week = (submitted - CONSULTATION_OPENS).days // 7 + 1
            responses.append(
                Response(
                    consultation=consultation,
                    respondent=respondent,
                    status=ResponseStatus.SUBMITTED,
                    channel=channel,
                    entered_by=None if online else rng.choice(staff),
                    # Anonymous online responses carry a unique key per browser (here: one per response).
                    anonymous_key=sha256(f"cardiff-seed-{i}".encode()).hexdigest() if online and not respondent else "",
                    batch=f"Paper forms, week {week}" if channel == EntryChannel.PAPER else "",
                    hear_back=rng.random() < 0.3,
                    started_at=submitted - timedelta(minutes=rng.randint(3, 40)),
                    updated_at=submitted,
                    submitted_at=submitted,
                )
            )
        return Response.objects.bulk_create(responses, batch_size=BATCH)

    def answers(
        self, consultation: Consultation, questions: dict[str, Question], responses: list[Response], places: list[Place]
    ) -> int:
        """One Answer row per value (see the consultations model), with the response's channel copied on."""
        rng = self.rng
        by_name = {p.name: p for p in places}
        opinions = Opinions(
            places=[by_name[place] for _n, place in LOCATIONS],
            popularity=[rng.paretovariate(1.5) for _ in LOCATIONS],
            support=[rng.uniform(2.6, 4.4) for _ in LOCATIONS],
            priority_pull=[rng.uniform(0.5, 2.0) for _ in PRIORITIES],
        )
        rows = [
            Answer(
                response=response,
                consultation=consultation,
                question=questions[key],
                channel=response.channel,
                **value,
            )
            for response in responses
            for key, value in self.answer_values(opinions)
        ]
        Answer.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    def answer_values(self, opinions: Opinions) -> Iterator[tuple[str, dict[str, Any]]]:
        """One person's answers: (question key, the Answer fields) for each value they gave."""
        rng = self.rng
        where = rng.choices(range(len(LOCATIONS)), weights=opinions.popularity)[0]
        yield "location", {"choice": where}
        if rng.random() < 0.95:
            yield "support", {"number": self.scale_value(opinions.support[where])}
        if rng.random() < 0.3:
            place = opinions.places[where]
            lat, lng = self.near(place.lat, place.lng, 0.0015)
            yield "spot", {"lat": lat, "lng": lng}
        modes = [m for m, share in enumerate(MODE_SHARES) if rng.random() < share] or [0]
        for mode in modes:
            yield "modes", {"choice": mode}
        if rng.random() < 0.85:
            pull = opinions.priority_pull
            order = sorted(range(len(pull)), key=lambda option: -pull[option] * rng.random())
            for rank, option in enumerate(order, start=1):
                yield "priorities", {"choice": option, "number": rank}
        if rng.random() < 0.25:
            yield "comments", {"text": rng.choice(FREE_TEXTS).format(location=opinions.places[where].name)}
        if CYCLING in modes and rng.random() < 0.9:
            yield "cycle_more", {"number": self.scale_value(opinions.support[where] + 0.3)}
        if rng.random() < 0.8:
            yield "age", {"choice": min(len(AGE_BANDS) - 1, max(0, int(rng.gauss(4, 1.8))))}
        if rng.random() < 0.75:
            yield "disability", {"choice": rng.choices(range(len(DISABILITY)), weights=[8, 12, 72, 8])[0]}

    # --- Subscribers ---------------------------------------------------------------------------------

    def subscribers(self, project: Project, consultation: Consultation) -> int:
        """Confirmed subscribers: most to the whole project, a quarter to the consultation only."""
        rng = self.rng
        rows = []
        for i in range(self.scale.subscribers):
            created = self.moment(MAP_OPENS, MAP_WEEKS + 10 + CONSULTATION_WEEKS)
            rows.append(
                Subscription(
                    project=project,
                    consultation=consultation if i % 4 == 3 else None,
                    email=f"subscriber{i:05d}@cardiff.example.org",
                    frequency=Frequency.WEEKLY if rng.random() < 0.3 else Frequency.IMMEDIATE,
                    language="cy" if rng.random() < 0.12 else "en",
                    created_at=created,
                    confirmation_sent_at=created,
                    confirmed_at=created + timedelta(minutes=rng.randint(1, 600)),
                )
            )
        Subscription.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    # --- Random helpers ------------------------------------------------------------------------------

    def pick(self, weighted: list[tuple[EntryChannel, float]]) -> EntryChannel:
        return self.rng.choices([c for c, _w in weighted], weights=[w for _c, w in weighted])[0]

    def near(self, lat: float, lng: float, spread: float) -> tuple[float, float]:
        """A point near (lat, lng), gaussian with `spread` degrees of latitude, always inside the box."""
        while True:
            # A degree of longitude is shorter than a degree of latitude here (cos 51.5° ≈ 0.62).
            y = self.rng.gauss(lat, spread)
            x = self.rng.gauss(lng, spread / math.cos(math.radians(lat)))
            if SOUTH < y < NORTH and WEST < x < EAST:
                return round(y, 6), round(x, 6)

    def moment(self, start: datetime, weeks: int) -> datetime:
        """A time in the period: busiest in the first fortnight, mostly daytime and evening."""
        rng = self.rng
        days = weeks * 7
        day = int(rng.expovariate(1 / 10)) if rng.random() < 0.4 else rng.randrange(days)
        hour = rng.choices(
            range(24), weights=[1, 1, 1, 1, 1, 1, 2, 4, 6, 6, 6, 6, 7, 6, 6, 6, 6, 7, 9, 10, 10, 8, 5, 2]
        )[0]
        return start.replace(hour=0) + timedelta(days=min(day, days - 1), hours=hour, minutes=rng.randrange(60))

    def scale_value(self, mean: float) -> int:
        return min(5, max(1, round(self.rng.gauss(mean, 1.1))))


# --- Follow-through: decisions, ideas, commitments and feedback --------------------------------------

DECIDED_AT = datetime(2021, 6, 17, 18, 0, tzinfo=UTC)  # cabinet decided the order of the schemes
COMMITMENTS_FROM = datetime(2021, 7, 1, 9, 0, tzinfo=UTC)
COMMITMENT_WEEKS = 78  # promises made over 18 months after the decision
# What each commitment came from: the priorities poll, a proposal, an idea, or the consultation itself.
SOURCE_SHARES = [("poll", 0.4), ("proposal", 0.2), ("idea", 0.2), ("consultation", 0.2)]
MILESTONE_STEPS = [
    "Survey the site",
    "Draw up the design",
    "Road safety audit",
    "Consult the people who live there",
    "Publish the traffic order",
    "Start building",
    "Finish building",
]
FEEDBACK_TEXTS = [
    ("The drop-in at the library was friendly and they explained the plans.", 5, ["staff", "listened"]),
    ("I waited weeks for an answer to my email about the cycle lane.", 2, ["waiting"]),
    ("The letter about the road closure did not say which streets.", 2, ["information"]),
    ("The map was easy to use on my phone.", 4, ["website"]),
    ("Nobody came back to me about the crossing by the school.", 1, ["not_listened"]),
    ("The evening meeting was at a good time for working parents.", 4, ["meetings", "access"]),
    ("The new crossing on Cowbridge Road means my son can walk to school.", 5, ["listened"]),
    ("The survey was long, but I liked seeing what others said.", 3, ["website"]),
]


class FollowThroughSeeder:
    """What became of it all: decisions, ideas, 500 commitments with milestones and updates, feedback.

    Bulk inserts only, no activity entries (the hash chain would serialise them), dates from 2021 on."""

    def __init__(
        self,
        seeder: Seeder,
        project: Project,
        facilitator: User,
        staff: list[User],
        accounts: list[User],
        consultation: Consultation,
    ) -> None:
        self.seeder = seeder
        self.rng = seeder.rng
        self.scale = seeder.scale
        self.project = project
        self.facilitator = facilitator
        self.staff = staff
        self.accounts = accounts
        self.consultation = consultation

    def run(self) -> dict[str, int]:
        from copro.decisions.models import Ballot, Decision, Option, Participation
        from copro.decisions.models import Response as ProposalResponse
        from copro.followthrough.models import Commitment, CommitmentUpdate, FeedbackMoment
        from copro.followthrough.models import Milestone as FollowMilestone

        dated = [
            _field(Membership, "joined_at"),
            _field(Decision, "created_at"),
            _field(Participation, "at"),
            _field(ProposalResponse, "created_at"),
            _field(ProposalResponse, "updated_at"),
            _field(Commitment, "created_at"),
            _field(Commitment, "updated_at"),
            _field(CommitmentUpdate, "created_at"),
            _field(FeedbackMoment, "created_at"),
            _field(ResourceLink, "created_at"),
        ]
        with historical_dates(*dated):
            voters = self.voters()
            poll, ballots = self.poll(voters, Decision, Option, Participation, Ballot)
            proposals = self.proposals(Decision, ProposalResponse)
            ideas = self.ideas(proposals)
            commitments, milestones, updates = self.commitments(
                poll, proposals, ideas, Commitment, FollowMilestone, CommitmentUpdate
            )
            feedback = self.feedback(commitments, FeedbackMoment)
        return {
            "voters (more accounts)": len(voters),
            "decisions": 1 + len(proposals),
            "ballots": ballots,
            "ideas": len(ideas),
            "commitments": len(commitments),
            "milestones": milestones,
            "commitment updates": updates,
            "feedback moments": feedback,
        }

    # --- People and decisions ------------------------------------------------------------------------

    def voters(self) -> list[User]:
        users = User.objects.bulk_create(
            [
                User(
                    email=f"voter{i:05d}@cardiff.example.org",
                    display_name=f"Voter {i}",
                    preferred_language="cy" if i % 9 == 0 else "en",
                    email_frequency="weekly" if i % 4 == 0 else "immediate",
                    password=self.seeder.password,
                    date_joined=DECIDED_AT - timedelta(days=30 - i % 28),
                )
                for i in range(self.scale.voters)
            ],
            batch_size=BATCH,
        )
        Membership.objects.bulk_create(
            [
                Membership(project=self.project, user=u, role=MemberRole.PARTICIPANT, joined_at=u.date_joined)
                for u in users
            ],
            batch_size=BATCH,
        )
        return users

    def poll(self, voters: list[User], Decision: Any, Option: Any, Participation: Any, Ballot: Any) -> tuple[Any, int]:  # noqa: N803
        """The priorities poll: every resident with an account voted (approval, secret ballots)."""
        from copro.decisions import counting
        from copro.decisions.services import participation_figures

        rng = self.rng
        poll = Decision.objects.create(
            project=self.project,
            kind="poll",
            title="Which eight of the 32 schemes should be built first?",
            how_used="Cabinet builds the eight with the most support first, from the autumn of 2021.",
            electorate_roles=["participant", "expert", "facilitator"],
            weights={"participant": 1, "expert": 1, "facilitator": 1},
            secrecy="secret",
            hide_results=True,
            status="open",
            closes_at=DECIDED_AT,
            method="approval",
            min_choices=1,
            max_choices=8,
            created_by=self.facilitator,
            created_at=DECIDED_AT - timedelta(days=28),
            opened_at=DECIDED_AT - timedelta(days=28),
        )
        options = Option.objects.bulk_create(
            [
                Option(decision=poll, title=title, code=f"L{i + 1:02d}", position=i)
                for i, (title, _place) in enumerate(LOCATIONS)
            ]
        )
        popularity = [rng.paretovariate(1.5) for _ in options]
        everyone = [*self.accounts, *voters]
        participations, ballots = [], []
        for person in everyone:
            k = rng.randint(1, 8)
            chosen = sorted({o.code for o in rng.choices(options, weights=popularity, k=k)})
            at = DECIDED_AT - timedelta(days=rng.randint(1, 27), minutes=rng.randrange(1440))
            participations.append(Participation(decision=poll, user=person, role="participant", at=at))
            ballots.append(Ballot(decision=poll, voter=None, choices=chosen, weight=1, channel="online"))
        Participation.objects.bulk_create(participations, batch_size=BATCH)
        Ballot.objects.bulk_create(ballots, batch_size=BATCH)
        poll.result = counting.count_or_explain(poll)
        poll.participation = participation_figures(poll)
        poll.status = "closed"
        poll.closed_at = DECIDED_AT
        poll.closed_by = self.facilitator
        poll.outcome = "counted"
        poll.save()
        return poll, len(ballots)

    def proposals(self, Decision: Any, ProposalResponse: Any) -> list[Any]:  # noqa: N803
        """Two consent proposals put forward by residents, agreed after a few hundred responses."""
        rng = self.rng
        made = []
        for title, statement in [
            (
                "Make Castle Street's temporary cycle track permanent",
                "Agreed: the track stays, with a wider footway at the castle entrance.",
            ),
            (
                "Trial a 20 mph limit in Grangetown before the rest of the city",
                "Agreed: a six-month trial from September, with speed surveys before and after.",
            ),
        ]:
            proposer = rng.choice(self.accounts)
            decision = Decision.objects.create(
                project=self.project,
                kind="proposal",
                process="consent",
                title=title,
                how_used="A consent decision: it goes ahead unless a reasoned objection is left unanswered.",
                electorate_roles=["participant", "expert", "facilitator"],
                weights={"participant": 1, "expert": 1, "facilitator": 1},
                secrecy="named",
                status="closed",
                closes_at=DECIDED_AT,
                created_by=proposer,
                created_at=DECIDED_AT - timedelta(days=21),
                opened_at=DECIDED_AT - timedelta(days=21),
                closed_at=DECIDED_AT,
                closed_by=self.facilitator,
                outcome="adopted",
                outcome_statement=statement,
                rationale="Agreed by consent; no objection was left unanswered.",
            )
            responders = rng.sample(self.accounts, min(len(self.accounts), max(1, self.scale.voters // 10)))
            ProposalResponse.objects.bulk_create(
                [
                    ProposalResponse(
                        decision=decision,
                        user=person,
                        stance=rng.choices(["agree", "abstain"], weights=[9, 1])[0],
                        created_at=DECIDED_AT - timedelta(days=rng.randint(1, 20)),
                        updated_at=DECIDED_AT - timedelta(days=1),
                    )
                    for person in responders
                    if person.pk != proposer.pk
                ],
                batch_size=BATCH,
            )
            decision.participation = {
                "total": len(responders),
                "by_channel": {"online": len(responders)},
                "offline": 0,
                "online": len(responders),
            }
            decision.save(update_fields=["participation"])
            made.append(decision)
        return made

    def ideas(self, proposals: list[Any]) -> list[Any]:
        """Residents' ideas with their authors and supporters; some were taken to the proposals."""
        from django.apps import apps

        try:
            Idea = apps.get_model("ideas", "Idea")  # noqa: N806
            IdeaAuthor = apps.get_model("ideas", "IdeaAuthor")  # noqa: N806
            Support = apps.get_model("ideas", "Support")  # noqa: N806
        except LookupError:
            return []
        rng = self.rng
        n = max(2, self.scale.commitments // 10)
        with historical_dates(
            _field(Idea, "created_at"),
            _field(Idea, "updated_at"),
            _field(Support, "created_at"),
            _field(IdeaAuthor, "created_at"),
        ):
            authors = [rng.choice(self.accounts) for _ in range(n)]
            ideas = Idea.objects.bulk_create(
                [
                    Idea(
                        project=self.project,
                        title=f"{LOCATIONS[i % len(LOCATIONS)][0].split(':')[0]}: {rng.choice(IDEA_WORDS)}",
                        problem="People told us on the map that this place feels unsafe.",
                        proposal="Build it as part of the active travel programme.",
                        author=author,
                        status="taken" if i < 2 * len(proposals) else rng.choice(["submitted", "shortlisted"]),
                        created_at=CONSULTATION_OPENS + timedelta(days=rng.randint(0, 120)),
                        updated_at=DECIDED_AT,
                    )
                    for i, author in enumerate(authors)
                ]
            )
            IdeaAuthor.objects.bulk_create(
                [IdeaAuthor(idea=idea, user=idea.author, is_lead=True, created_at=idea.created_at) for idea in ideas]
            )
            supports = []
            for idea in ideas:
                fans = {p.pk: p for p in rng.sample(self.accounts, min(len(self.accounts), rng.randint(0, 40)))}
                fans.pop(idea.author_id, None)
                supports += [
                    Support(idea=idea, user=p, created_at=idea.created_at + timedelta(days=2)) for p in fans.values()
                ]
                idea.support_count = len(fans)
            Support.objects.bulk_create(supports, batch_size=BATCH, ignore_conflicts=True)
            Idea.objects.bulk_update(ideas, ["support_count"], batch_size=BATCH)
        # The first ideas were taken to the proposals ("taken_to", declared by the ideas app).
        taken = [
            self.link("taken_to", idea, proposals[i % len(proposals)], DECIDED_AT - timedelta(days=22))
            for i, idea in enumerate(ideas[: 2 * len(proposals)])
        ]
        ResourceLink.objects.bulk_create(taken)
        return ideas

    def link(self, kind: str, source: Any, target: Any, at: datetime) -> ResourceLink:
        from django.contrib.contenttypes.models import ContentType

        return ResourceLink(
            project=self.project,
            kind=kind,
            source_type=ContentType.objects.get_for_model(source),
            source_id=source.pk,
            target_type=ContentType.objects.get_for_model(target),
            target_id=target.pk,
            created_by=self.facilitator,
            created_at=at,
        )

    # --- Commitments ---------------------------------------------------------------------------------

    def commitments(
        self,
        poll: Any,
        proposals: list[Any],
        ideas: list[Any],
        Commitment: Any,
        Milestone: Any,
        Update: Any,  # noqa: N803
    ) -> tuple[list[Any], int, int]:
        """Promises with milestones and a history of updates that ends in their status today."""
        from django.utils import timezone

        rng = self.rng
        now = timezone.now()
        owners = [self.facilitator, *self.staff]
        shares = [(k, w) for k, w in SOURCE_SHARES if k != "idea" or ideas]
        plans = []
        for i in range(self.scale.commitments):
            made_at = self.seeder.moment(COMMITMENTS_FROM, COMMITMENT_WEEKS)
            due = (made_at + timedelta(days=rng.randint(60, 6 * 365 // 2))).date()
            due_at = datetime.combine(due, datetime.min.time(), tzinfo=UTC)
            if due_at < now:  # its date has passed: mostly kept, some late, changed or dropped, a few overdue
                status = rng.choices(
                    ["done", "done_late", "changed", "dropped", "in_progress"], weights=[62, 14, 9, 5, 10]
                )[0]
            else:
                status = rng.choices(["planned", "in_progress", "done"], weights=[35, 55, 10])[0]
            where, _place = LOCATIONS[i % len(LOCATIONS)]
            source = rng.choices([k for k, _w in shares], weights=[w for _k, w in shares])[0]
            plans.append((i, made_at, due, status, where, source))
        rows = []
        for i, made_at, due, status, where, _source in plans:
            final = "done" if status == "done_late" else status
            done_at = None
            if final == "done":
                limit = datetime.combine(due, datetime.min.time(), tzinfo=UTC)
                if status == "done_late":
                    done_at = min(now, limit + timedelta(days=rng.randint(5, 120)))
                else:
                    done_at = min(now, made_at + (limit - made_at) * rng.uniform(0.5, 0.98))
            owner = rng.choice(owners) if rng.random() < 0.85 else rng.choice(self.accounts)
            rows.append(
                Commitment(
                    project=self.project,
                    title=f"{where.split(':')[0]}: {COMMITMENT_WORDS[i % len(COMMITMENT_WORDS)]}",
                    description=f"What people said about {where.split(':')[0]}, turned into a promise.",
                    owner=owner,
                    due_on=due,
                    status=final,
                    status_reason=REASONS[i % len(REASONS)] if final in ("changed", "dropped") else "",
                    visibility="public" if rng.random() < 0.95 else "members",
                    created_by=self.facilitator,
                    created_at=made_at,
                    updated_at=done_at or made_at,
                    done_at=done_at,
                    # Already told, long ago: `copro followthrough overdue` does not email 50 seeded owners.
                    overdue_flagged_at=now if final in ("planned", "in_progress") and due < now.date() else None,
                )
            )
        made = Commitment.objects.bulk_create(rows, batch_size=BATCH)
        # Co-owners: one in five commitments shares ownership with a resident.
        through = Commitment.co_owners.through
        through.objects.bulk_create(
            [through(commitment_id=c.pk, user_id=rng.choice(self.accounts).pk) for c in made if rng.random() < 0.2],
            batch_size=BATCH,
        )
        links = []
        for c, (_i, made_at, _due, _status, _where, source) in zip(made, plans, strict=True):
            if source == "poll":
                item, kind = poll, "commits_decision"
            elif source == "proposal":
                item, kind = rng.choice(proposals), "commits_decision"
            elif source == "idea":
                item, kind = rng.choice(ideas), "commits_idea"
            else:
                item, kind = self.consultation, "commits_consultation"
            links.append(self.link(kind, item, c, made_at))
        ResourceLink.objects.bulk_create(links, batch_size=BATCH)
        milestones, updates = [], []
        for c, (_i, made_at, due, _status, _where, _source) in zip(made, plans, strict=True):
            steps = rng.randint(0, 5)
            span = max(1, (due - made_at.date()).days)
            finished = c.status == "done"
            done_steps = steps if finished else (rng.randint(0, steps) if c.status in ("in_progress", "changed") else 0)
            for k in range(steps):
                step_due = made_at.date() + timedelta(days=span * (k + 1) // (steps + 1))
                milestones.append(
                    Milestone(
                        commitment=c,
                        title=MILESTONE_STEPS[k % len(MILESTONE_STEPS)],
                        due_on=step_due,
                        done_at=min(now, datetime.combine(step_due, datetime.min.time(), tzinfo=UTC))
                        if k < done_steps
                        else None,
                        position=k,
                    )
                )
            author = c.owner
            updates.append(
                Update(
                    commitment=c,
                    author=self.facilitator,
                    text="",
                    status_from="",
                    status_to="planned",
                    created_at=made_at,
                )
            )
            last = made_at
            end = c.done_at or min(now, datetime.combine(due, datetime.min.time(), tzinfo=UTC) + timedelta(days=30))
            news = rng.randint(1, 5)
            for k in range(news):
                last = last + (end - last) * rng.uniform(0.1, 0.5)
                if k == 0 and c.status != "planned":
                    updates.append(
                        Update(
                            commitment=c,
                            author=author,
                            text="Work has started on site.",
                            status_from="planned",
                            status_to="in_progress",
                            created_at=last,
                        )
                    )
                else:
                    updates.append(Update(commitment=c, author=author, text=rng.choice(NEWS), created_at=last))
            if c.status in ("done", "changed", "dropped"):
                updates.append(
                    Update(
                        commitment=c,
                        author=author,
                        text="Finished, and open to everyone." if c.status == "done" else "",
                        status_from="in_progress",
                        status_to=c.status,
                        reason=c.status_reason,
                        created_at=max(last, c.done_at or end),
                    )
                )
        Milestone.objects.bulk_create(milestones, batch_size=BATCH)
        Update.objects.bulk_create(updates, batch_size=BATCH)
        return made, len(milestones), len(updates)

    def feedback(self, commitments: list[Any], FeedbackMoment: Any) -> int:  # noqa: N803
        rng = self.rng
        rows = []
        for i in range(self.scale.feedback):
            text, feeling, tags = FEEDBACK_TEXTS[i % len(FEEDBACK_TEXTS)]
            channel = self.seeder.pick(RESPONSE_CHANNELS)
            online = channel == EntryChannel.ONLINE
            consent = rng.random() < 0.4
            triage = rng.choices(["new", "celebrate", "act_on", "pass_on"], weights=[2, 3, 4, 1])[0]
            at = self.seeder.moment(COMMITMENTS_FROM, COMMITMENT_WEEKS)
            shared = consent and triage == "celebrate" and rng.random() < 0.5
            rows.append(
                FeedbackMoment(
                    project=self.project,
                    about="service" if rng.random() < 0.7 else "project",
                    text=text,
                    feeling=max(1, min(5, feeling + rng.choice([-1, 0, 0, 1]))),
                    tags=tags,
                    given_by=rng.choice(self.accounts) if online and rng.random() < 0.5 else None,
                    entered_by=None if online else rng.choice(self.staff),
                    channel=channel,
                    created_at=at,
                    triage=triage,
                    triaged_by=None if triage == "new" else self.facilitator,
                    triaged_at=None if triage == "new" else at + timedelta(days=3),
                    commitment=rng.choice(commitments) if triage == "act_on" and commitments else None,
                    consent_to_share=consent,
                    public_excerpt=text if shared else "",
                    shared_at=at + timedelta(days=4) if shared else None,
                )
            )
        FeedbackMoment.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)


IDEA_WORDS = ["a safer crossing", "a protected cycle lane", "wider pavements", "better lighting", "slower traffic"]
COMMITMENT_WORDS = [
    "build the new crossing",
    "put in a protected cycle track",
    "widen the footway",
    "light the path",
    "cut the speed limit to 20 mph",
    "add cycle parking",
]
REASONS = [
    "The road safety audit found the design unsafe for buses; we are building a signal crossing instead.",
    "The land belongs to the railway, which refused; the money moved to the next scheme on the list.",
    "Utilities under the road would have doubled the cost; we will bid for more money next year.",
]
NEWS = [
    "The design is finished and has passed its road safety audit.",
    "We met the residents' association on site; their changes are in the design.",
    "Building is two weeks behind because of the weather.",
    "The traffic order is published: you can comment until the end of the month.",
    "Materials are ordered.",
]
