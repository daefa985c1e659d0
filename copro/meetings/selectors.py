"""Reads for meeting pages, the API, reports and the dashboard, scoped to the person asking.

`attendance_counts` and `access_needs_summary` are read by copro.followthrough (reports, co-production
health): they give numbers only, never names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.core.components import registry
from copro.core.permissions import TABLE, Role
from copro.meetings.access import NEVER_PUBLIC, visible_meetings
from copro.meetings.models import (
    ACTIVE_STATUSES,
    BSL,
    Meeting,
    MeetingStatus,
    Registration,
    RegistrationStatus,
)
from copro.projects.models import Project

ANY_NEED = (
    Q(step_free=True)
    | ~Q(interpreter="")
    | Q(hearing_loop=True)
    | Q(childcare=True)
    | ~Q(dietary="")
    | ~Q(other_needs="")
)


def _in_period(meetings: QuerySet[Meeting], start: datetime | None, end: datetime | None) -> QuerySet[Meeting]:
    if start is not None:
        meetings = meetings.filter(starts_at__gte=start)
    if end is not None:
        meetings = meetings.filter(starts_at__lt=end)
    return meetings


def _held(project: Project, start: datetime | None, end: datetime | None) -> QuerySet[Meeting]:
    """Published meetings (not drafts, not cancelled) that started in [start, end)."""
    return _in_period(Meeting.objects.filter(project=project, status=MeetingStatus.PUBLISHED), start, end)


def attendance_counts(project: Project, start: datetime | None = None, end: datetime | None = None) -> dict[str, int]:
    """How many meetings were held in [start, end) (by start time; published, not cancelled), how many
    people came with and without an account (named at the door or counted by number), and how many places
    were taken (registrations with a place, waiting lists aside)."""
    meetings = _held(project, start, end)
    registrations = Registration.objects.filter(meeting__in=meetings)
    counts = registrations.aggregate(
        registrations=Count("id", filter=Q(status=RegistrationStatus.REGISTERED)),
        with_account=Count("id", filter=Q(attended=True, user__isnull=False)),
        named_without=Count("id", filter=Q(attended=True, user__isnull=True)),
    )
    unnamed = meetings.aggregate(n=Sum("unnamed_attendees"))["n"] or 0
    return {
        "meetings": meetings.count(),
        "attended_with_account": counts["with_account"],
        "attended_without_account": counts["named_without"] + unnamed,
        "registrations": counts["registrations"],
    }


def access_needs_summary(
    project: Project, start: datetime | None = None, end: datetime | None = None
) -> dict[str, int]:
    """Registrations (with a place or waiting) that asked for any access need, and how many of those a
    facilitator marked as met, for meetings held in [start, end). Counts only."""
    asked = Registration.objects.filter(meeting__in=_held(project, start, end), status__in=ACTIVE_STATUSES).filter(
        ANY_NEED
    )
    counts = asked.aggregate(asked=Count("id"), met=Count("id", filter=Q(needs_met_at__isnull=False)))
    return {"asked": counts["asked"], "met": counts["met"]}


# --- Pages -----------------------------------------------------------------------------------------


def meetings_for_list(project: Project, role: Role) -> tuple[list[Meeting], list[Meeting]]:
    """Upcoming (not yet ended; soonest first) and past meetings (latest first), with place counts."""
    now = timezone.now()
    meetings = with_counts(visible_meetings(project, role))
    upcoming = list(meetings.filter(ends_at__gte=now).order_by("starts_at", "id"))
    past = list(meetings.filter(ends_at__lt=now).order_by("-starts_at", "-id")[:200])
    return upcoming, past


def with_counts(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return meetings.annotate(
        registered_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)),
        waitlisted_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
    )


@dataclass
class Places:
    registered: int
    waitlisted: int
    capacity: int | None

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.registered, 0)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.registered >= self.capacity


def places(meeting: Meeting) -> Places:
    counts = Registration.objects.filter(meeting=meeting).aggregate(
        registered=Count("id", filter=Q(status=RegistrationStatus.REGISTERED)),
        waitlisted=Count("id", filter=Q(status=RegistrationStatus.WAITLISTED)),
    )
    return Places(counts["registered"], counts["waitlisted"], meeting.capacity)


def registration_for(meeting: Meeting, user: Any) -> Registration | None:
    """The person's own registration (any status), or None."""
    if not user.is_authenticated:
        return None
    return Registration.objects.filter(meeting=meeting, user=user).first()


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        meeting_id=registration.meeting_id, status=RegistrationStatus.WAITLISTED
    ).filter(Q(queued_at__lt=registration.queued_at) | Q(queued_at=registration.queued_at, id__lt=registration.pk))
    return ahead.count() + 1


def can_see_join_link(meeting: Meeting, registration: Registration | None, role: Role) -> bool:
    if TABLE.allowed(role, "meetings.manage"):
        return True
    return registration is not None and registration.status == RegistrationStatus.REGISTERED


def actions_visible(meeting: Meeting, role: Role) -> bool:
    """A meeting's actions name people, so they are shown like the minutes: to facilitators at once, to
    everyone else once the minutes are published (pages, API and the export all follow this)."""
    return TABLE.allowed(role, "meetings.minutes") or meeting.minutes_published_at is not None


def registrations_for_staff(meeting: Meeting) -> QuerySet[Registration]:
    return Registration.objects.filter(meeting=meeting).select_related("user", "needs_met_by", "entered_by")


@dataclass
class NeedLine:
    key: str
    label: str
    count: int
    people: list[Registration]


def access_needs_breakdown(meeting: Meeting, registrations: list[Registration]) -> list[NeedLine]:
    """Counts per need for the meeting's active registrations (for facilitators: with the people's names).

    Interpreters are counted per language ("British Sign Language (BSL)": 2, "Polish": 1)."""
    active = [r for r in registrations if r.is_active]
    lines: list[NeedLine] = []

    def add(key: str, label: str, people: list[Registration]) -> None:
        lines.append(NeedLine(key, label, len(people), people))

    add("step_free", _("Step-free access"), [r for r in active if r.step_free])
    languages: Counter[str] = Counter()
    by_language: dict[str, list[Registration]] = {}
    for r in active:
        if r.interpreter:
            key = BSL if r.interpreter == BSL else r.interpreter.strip().casefold()
            languages[key] += 1
            by_language.setdefault(key, []).append(r)
    for key, _n in sorted(languages.items(), key=lambda kv: (kv[0] != BSL, kv[0])):
        people = by_language[key]
        add("interpreter", _("Interpreter: %(language)s") % {"language": people[0].interpreter_label}, people)
    add("hearing_loop", _("Hearing loop"), [r for r in active if r.hearing_loop])
    add("childcare", _("Childcare"), [r for r in active if r.childcare])
    add("dietary", _("Food and drink"), [r for r in active if r.dietary])
    add("other", _("Something else"), [r for r in active if r.other_needs.strip()])
    return lines


def calendar_months(project: Project, role: Role) -> list[tuple[datetime, list[Meeting]]]:
    """The project's meetings grouped by month (local time), oldest month first; the last 2 years and all
    upcoming ones."""
    since = timezone.now() - timedelta(days=730)
    meetings = visible_meetings(project, role).filter(starts_at__gte=since).order_by("starts_at", "id")
    months: dict[tuple[int, int], list[Meeting]] = {}
    firsts: dict[tuple[int, int], datetime] = {}
    for meeting in meetings[:1000]:
        local = timezone.localtime(meeting.starts_at)
        key = (local.year, local.month)
        months.setdefault(key, []).append(meeting)
        firsts.setdefault(key, local.replace(day=1, hour=0, minute=0, second=0, microsecond=0))
    return [(firsts[key], months[key]) for key in sorted(months)]


def meetings_for_feed(project: Project, role: Role) -> QuerySet[Meeting]:
    """What the project's calendar feed carries: published and cancelled meetings (cancelled ones so that
    calendars remove them), from a year back. Never drafts, nor meetings cancelled before they were published
    (no calendar ever had them), even in a facilitator's feed."""
    since = timezone.now() - timedelta(days=365)
    return (
        visible_meetings(project, role)
        .exclude(NEVER_PUBLIC)
        .filter(starts_at__gte=since)
        .order_by("starts_at", "id")[:2000]
    )


# --- Teams -----------------------------------------------------------------------------------------

# The mix a team aims for: lived experience (participants, and people without an account), staff
# (facilitators, observers) and subject-matter experts.
ROLE_GROUPS = {"participant": "participant", "outsider": "participant", "expert": "expert", "facilitator": "staff"}
ROLE_GROUPS["observer"] = "staff"


def role_group_label(group: str) -> str:
    return {"participant": _("Participant"), "expert": _("Expert"), "staff": _("Staff")}.get(group, group)


def registration_roles(meeting: Meeting, registrations: list[Registration]) -> dict[int, str]:
    """Each registration's role group, from the person's role in the project (no account: participant)."""
    from copro.projects.models import Membership

    user_ids = [r.user_id for r in registrations if r.user_id is not None]
    roles = dict(
        Membership.objects.filter(project_id=meeting.project_id, user_id__in=user_ids).values_list("user_id", "role")
    )
    return {
        r.pk: ROLE_GROUPS.get(roles.get(r.user_id, "participant") if r.user_id else "participant", "participant")
        for r in registrations
    }


def role_mix(groups: Iterable[str]) -> list[tuple[str, int]]:
    """How many of each kind of person: [("Participant", 3), ("Staff", 1), ("Expert", 1)] (none left out)."""
    counts = Counter(groups)
    return [(role_group_label(g), counts[g]) for g in ("participant", "staff", "expert") if counts[g]]


def can_see_team_members(role: Role, registration: Registration | None) -> bool:
    """Who is in which team says who registered for the workshop, which is personal. Names are shown to
    facilitators and to people with a place at the workshop (they work in the teams); everyone else sees
    the team names and how many of each kind of person are in them. A team's own members always see it."""
    if TABLE.allowed(role, "meetings.teams"):
        return True
    return registration is not None and registration.status == RegistrationStatus.REGISTERED


@dataclass
class SuggestedTeam:
    name: str
    team: Any  # a Team, or None in a preview of teams not made yet
    members: list[tuple[Registration, str]]

    @property
    def mix(self) -> list[tuple[str, int]]:
        return role_mix(group for _r, group in self.members)


def team_suggestion(meeting: Meeting, teams: list[Any] | int) -> list[SuggestedTeam]:
    """Everyone with a place, split into teams with copro.analysis.teams (people already in a team stay)."""
    from copro.analysis.teams import Person, suggest_teams
    from copro.meetings.models import TeamMember

    registrations = list(
        Registration.objects.filter(meeting=meeting, status=RegistrationStatus.REGISTERED)
        .select_related("user")
        .order_by("id")
    )
    roles = registration_roles(meeting, registrations)
    by_id = {r.pk: r for r in registrations}
    if isinstance(teams, int):
        slots: list[tuple[str, Any]] = [(_("Team %(n)d") % {"n": i + 1}, None) for i in range(teams)]
        fixed: dict[int, int] = {}
    else:
        slots = [(t.name, t) for t in teams]
        index = {t.pk: i for i, t in enumerate(teams)}
        fixed = {
            reg_id: index[team_id]
            for reg_id, team_id in TeamMember.objects.filter(meeting=meeting).values_list("registration_id", "team_id")
            if reg_id in by_id and team_id in index
        }
    if not slots:
        return []
    result = suggest_teams([Person(r.pk, roles[r.pk]) for r in registrations], len(slots), fixed=fixed)
    return [
        SuggestedTeam(name, team, [(by_id[i], roles[i]) for i in ids])
        for (name, team), ids in zip(slots, result, strict=True)
    ]


def teams_with_members(meeting: Meeting) -> list[Any]:
    from django.db.models import Prefetch

    from copro.meetings.models import Team, TeamMember

    members = TeamMember.objects.select_related("registration__user").order_by("id")
    return list(Team.objects.filter(meeting=meeting).prefetch_related(Prefetch("members", queryset=members)))


def team_ideas(team: Any, role: Role) -> list[Any]:
    """The ideas this team submitted (link kind team_idea) that this role may see, oldest first (an idea a
    facilitator has hidden is for facilitators)."""
    from copro.core.links import links_from

    ids = list(links_from(team).filter(kind="team_idea").order_by("id").values_list("target_id", flat=True))
    if not ids:
        return []
    try:
        from copro.ideas.models import Idea
    except ImportError:  # the ideas app is not built yet
        return []
    found = {idea.pk: idea for idea in Idea.objects.filter(pk__in=ids)}
    ideas = [found[i] for i in ids if i in found]
    rule = registry.visible("ideas.idea")
    seen = rule(ideas, role) if rule is not None else {i.pk for i in ideas}
    return [i for i in ideas if i.pk in seen]
