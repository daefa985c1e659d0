"""`copro demo`: a demo organisation with one realistic co-production project (only the first time)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from copro.accounts.models import User
from copro.core.models import Visibility
from copro.projects import services
from copro.projects.models import MemberRole, Membership, Organisation, ProjectVisibility
from copro.updates import services as update_services

DEMO_PASSWORD = "copro-demo-2026"
PEOPLE = [
    ("facilitator@demo.copro.localhost", "Sian (facilitator)", MemberRole.FACILITATOR, "en"),
    ("participant@demo.copro.localhost", "Dylan", MemberRole.PARTICIPANT, "cy"),
    ("participant2@demo.copro.localhost", "Amira", MemberRole.PARTICIPANT, "en"),
    ("expert@demo.copro.localhost", "Dr Rhys Evans (transport planner)", MemberRole.EXPERT, "en"),
    ("observer@demo.copro.localhost", "Cllr Morgan (scrutiny board)", MemberRole.OBSERVER, "en"),
]


class Command(BaseCommand):
    help = "Load a demo organisation and project. Does nothing if the demo is already there."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Load the demo even when DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            # The demo accounts share a published password: never create them on a real site by accident.
            raise CommandError("The demo is for development (COPRO_DEBUG=1). Use --force to load it anyway.")
        if Organisation.objects.filter(slug="cyngor-bro-demo").exists():
            self.stdout.write("The demo is already loaded.")
        else:
            self._load()
            self.stdout.write(self.style.SUCCESS("Demo organisation and project loaded."))
        self.stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
        for email, _name, role, _lang in PEOPLE:
            self.stdout.write(f"  {email:40} {role.label}")
        self.stdout.write(
            "The facilitator is organisation staff, so Copro asks them to set up an authenticator app "
            "(two-factor authentication) at first sign-in.\n"
        )

    @transaction.atomic
    def _load(self) -> None:
        users = {}
        for email, name, _role, language in PEOPLE:
            user = User.objects.create_user(email, DEMO_PASSWORD, display_name=name, preferred_language=language)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            users[email] = user
        facilitator = users[PEOPLE[0][0]]
        organisation = services.organisation_create(
            user=facilitator,
            name="Cyngor Bro Demo",
            description=(
                "A (fictional) county borough council in south Wales, running services with the people who use them."
            ),
        )
        organisation.slug = "cyngor-bro-demo"
        organisation.save(update_fields=["slug"])
        project = services.project_create(
            user=facilitator,
            organisation=organisation,
            title="Safer walking and cycling routes to school",
            purpose=(
                "Parents, children, teachers and council officers redesign the routes to three primary schools "
                "in Trelái together, so that more children can walk, scoot or cycle safely. We will map the "
                "problems, test ideas on the streets, decide together what to build first, and report back on "
                "every promise."
            ),
            visibility=ProjectVisibility.PUBLIC,
            budget_amount=Decimal("240000"),
            budget_currency="GBP",
            can_influence=[
                "Which routes and crossings are improved first",
                "The design of crossings, footways and school-street closures",
                "How the £240,000 capital budget is split between the three schools",
                "How we check whether the changes worked",
            ],
            fixed=[
                services.FixedLine(
                    "The total budget is £240,000",
                    "It is a Welsh Government Active Travel grant for 2026–27; it cannot be increased or carried over.",
                ),
                services.FixedLine(
                    "Works on the A4232 trunk road",
                    "The trunk road is managed by the Welsh Government, not the council.",
                ),
                services.FixedLine(
                    "Road safety audits are required",
                    "Every design must pass an independent road safety audit before it is built; this is a legal duty.",
                ),
            ],
        )
        project.decision_rules = (
            "Priorities and the split of the budget are decided by a vote of all participants, experts and "
            "facilitators, one person one vote. Designs go ahead by consent at the monthly workshop: a design "
            "is adopted unless someone has a reasoned objection that the group has not answered."
        )
        project.save(update_fields=["decision_rules"])
        today = timezone.localdate()
        for name, start, end in [
            ("Find the problems (community map)", -30, 14),
            ("Co-design workshops", 15, 75),
            ("Decide together", 76, 100),
            ("Build and report back", 101, 330),
        ]:
            services.phase_add(
                user=facilitator,
                project=project,
                name=name,
                starts_on=today + timedelta(days=start),
                ends_on=today + timedelta(days=end),
            )
        services.engagement_set(
            user=facilitator,
            project=project,
            level="participation",
            answers={
                "why": "participation",
                "decide": "participation",
                "voice": "participation",
                "work": "participation",
            },
        )
        services.cynefin_set(
            user=facilitator, project=project, answers={"crisis": False, "obvious": False, "analysable": False}
        )
        services.step_update(
            user=facilitator,
            project=project,
            step="awareness",
            done=True,
            evidence="Letters home from all three schools; stalls at two school gates; 180 people on the map.",
        )
        for email, _name, role, _lang in PEOPLE[1:]:
            Membership.objects.create(project=project, user=users[email], role=role)
        self._decisions(project, facilitator, [users[e] for e, *_rest in PEOPLE[1:4]])
        self._listening(project, facilitator, [users[e] for e, *_rest in PEOPLE[1:4]])
        self._codesign_and_followthrough(project, facilitator, [users[e] for e, *_rest in PEOPLE[1:4]])
        update_services.update_publish(
            user=facilitator,
            project=project,
            title="The community map is open",
            body=(
                "Tell us where walking or cycling to school feels unsafe. "
                "Paper maps are at the library and both school offices."
            ),
            visibility=Visibility.PUBLIC,
        )

    def _listening(self, project: Any, facilitator: User, people: list[User]) -> None:
        """An open community map with pins (one entered from a paper map) and an open consultation."""
        from copro.consultations import services as consultations
        from copro.maps import services as maps

        area = maps.map_create(
            user=facilitator,
            project=project,
            title="Where does the school run feel unsafe?",
            description="Drop a pin where walking, scooting or cycling to school feels unsafe, and say why.",
            how_used="The project team reads every pin; the busiest places go to the design workshops.",
            south=51.470,
            west=-3.260,
            north=51.500,
            east=-3.200,
            centre_lat=51.4855,
            centre_lng=-3.2290,
            zoom=15,
        )
        categories = {
            name: maps.category_add(user=facilitator, map=area, name=name)
            for name in ("Crossing needed", "Speeding traffic", "Narrow or blocked pavement", "Poor lighting")
        }
        places = {
            name: maps.place_add(user=facilitator, map=area, name=name, lat=lat, lng=lng)
            for name, lat, lng in [
                ("Heol Trelái by Ysgol Gymraeg", 51.4841, -3.2365),
                ("Grand Avenue shops", 51.4868, -3.2262),
                ("Cowbridge Road West bus stop", 51.4829, -3.2201),
                ("Park path to Herbert Thompson Primary", 51.4900, -3.2335),
            ]
        }
        maps.map_open(user=facilitator, map=area)
        first = maps.pin_create(
            user=people[0],
            map=area,
            category_id=categories["Crossing needed"].pk,
            place_id=places["Heol Trelái by Ysgol Gymraeg"].pk,
            text="Cars do not stop for the children at the corner; there is no crossing at all.",
        )
        maps.pin_create(
            user=people[1],
            map=area,
            category_id=categories["Poor lighting"].pk,
            lat=51.4897,
            lng=-3.2329,
            text="The park path is dark by four o'clock in winter.",
            show_name=True,
        )
        maps.pin_enter(
            user=facilitator,
            map=area,
            channel="paper",
            category_id=categories["Narrow or blocked pavement"].pk,
            location_text="Outside the Grand Avenue shops, by the post box",
            text="Vans park on the pavement every morning; pushchairs have to go in the road.",
        )
        maps.pin_agree(user=people[1], pin=first)
        maps.pin_agree(user=people[2], pin=first)
        maps.comment_add(user=people[2], pin=first, text="Same at home time. A zebra crossing would help.")

        survey = consultations.consultation_create(
            user=facilitator,
            project=project,
            title="Which improvements matter most to you?",
            intro="Ten questions, about five minutes. You can save your answers and come back.",
            how_used=(
                "The project team counts every response, on paper or online, and publishes the results when "
                "the consultation closes. They go to the design workshops in the spring."
            ),
            closes_at=timezone.now() + timedelta(days=28),
            results_visibility="after_close",
            allow_anonymous=True,
            map=area,
        )
        travel = consultations.section_add(user=facilitator, consultation=survey, title="How you travel")
        mode = consultations.question_add(
            user=facilitator,
            section=travel,
            kind="single",
            text="How do your children usually get to school?",
            choices=["Walk", "Scooter or bike", "Bus", "Car"],
            required=True,
        )
        wheels = consultations.section_add(
            user=facilitator, consultation=survey, title="Scooting and cycling", show_if_question=mode, show_if_choice=1
        )
        consultations.question_add(
            user=facilitator,
            section=wheels,
            kind="ranking",
            text="Put these in order: what would help most?",
            choices=["Covered parking at school", "Dropped kerbs", "A lit park path", "Slower traffic"],
        )
        views = consultations.section_add(user=facilitator, consultation=survey, title="Your views")
        safe = consultations.question_add(
            user=facilitator, section=views, kind="scale", text="The route to school feels safe.", required=True
        )
        worries = consultations.question_add(
            user=facilitator,
            section=views,
            kind="multiple",
            text="What worries you on the way?",
            choices=["Speeding traffic", "No crossing", "Parked cars", "Dark paths"],
        )
        consultations.question_add(user=facilitator, section=views, kind="location", text="Where is the worst spot?")
        consultations.question_add(user=facilitator, section=views, kind="text", text="Anything else you want to say?")
        about = consultations.section_add(user=facilitator, consultation=survey, title="About you (optional)")
        consultations.question_add(
            user=facilitator,
            section=about,
            kind="single",
            text="Does anyone in your household have a disability that affects how they travel?",
            choices=["Yes", "No", "Prefer not to say"],
            private=True,
        )
        consultations.consultation_open(user=facilitator, consultation=survey)
        consultations.response_submit(
            consultation=survey,
            raw={mode.pk: 0, safe.pk: 2, worries.pk: [0, 1]},
            channel="paper",
            entered_by=facilitator,
            batch="Library drop-in",
        )

    def _codesign_and_followthrough(self, project: Any, facilitator: User, people: list[User]) -> None:
        """Ideas, a workshop with an open space and a live feed, then commitments and feedback."""
        from copro.followthrough.demo import add_demo as followthrough_demo
        from copro.ideas.demo import add_demo as ideas_demo
        from copro.live.demo import add_demo as live_demo
        from copro.meetings.demo import add_demo as meetings_demo
        from copro.meetings.models import Meeting, MeetingStatus
        from copro.unconference.demo import add_demo as unconference_demo

        ideas_demo(project, facilitator, people)
        meetings_demo(project, facilitator, people)
        workshop = (
            Meeting.objects.filter(project=project, status=MeetingStatus.PUBLISHED, starts_at__gte=timezone.now())
            .order_by("starts_at")
            .first()
        )
        if workshop is not None:
            unconference_demo(project, facilitator, people, workshop)
            live_demo(project, facilitator, people, workshop)
        followthrough_demo(project, facilitator, people)

    def _decisions(self, project: Any, facilitator: User, voters: list[User]) -> None:
        """An open participatory budget to vote in, and a consent proposal already decided, for the log."""
        from copro.decisions import services as decisions

        closes = timezone.now() + timedelta(days=21)
        budget = decisions.decision_create(
            user=facilitator,
            project=project,
            kind="budget",
            title="How should we split the £240,000 between the three schools' routes?",
            how_used=(
                "The council's cabinet member for transport has agreed to build the funded projects in the order "
                "they are funded. Anything not funded goes to next year's bid."
            ),
            closes_at=closes,
            budget=240_000,
            ballot_kind="approval",
            rule="mes-add1",
            max_choices=4,
            secrecy="secret",
        )
        for title, cost in [
            ("Zebra crossing on Heol Trelái by Ysgol Gymraeg", 85_000),
            ("School street closure at Windsor Clive Primary", 30_000),
            ("Wider footway and dropped kerbs on Grand Avenue", 110_000),
            ("Covered scooter and bike parking at all three schools", 24_000),
            ("20 mph signs and speed cushions on Cowbridge Road West", 60_000),
            ("Lit path through the park to Herbert Thompson Primary", 95_000),
        ]:
            decisions.option_add(user=facilitator, decision=budget, title=title, cost=cost)
        decisions.decision_open(user=facilitator, decision=budget)
        proposal = decisions.decision_create(
            user=voters[0],
            project=project,
            kind="proposal",
            process="consent",
            title="Hold the design workshops on Saturday mornings at the library",
            how_used="A consent decision: it goes ahead unless a reasoned objection is left unanswered.",
            closes_at=closes,
        )
        proposal = decisions.decision_open(user=voters[0], decision=proposal)
        decisions.proposal_respond(user=voters[1], decision=proposal, stance="agree", reason="")
        objection = decisions.proposal_respond(
            user=voters[2],
            decision=proposal,
            stance="disagree",
            reason="Parents who work Saturdays could not come.",
        )
        decisions.objection_answer(
            user=voters[0], response=objection, answer="We will also run one weekday evening session each month."
        )
        decisions.decision_close(
            user=facilitator,
            decision=proposal,
            outcome="adopted_changed",
            statement="Saturday mornings at the library, plus one weekday evening session each month.",
            rationale="Agreed by consent; the one objection was answered by adding an evening session.",
        )
