"""The meetings component: meetings and workshops, registration (places, waiting list, access needs),
reminders, agenda, attendance, minutes, actions, iCalendar, and cross-functional teams at workshops."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Export, LinkKind, NavItem, registry
from copro.core.components import Count as DashCount
from copro.core.permissions import CONTRIBUTORS, EVERYONE, FACILITATORS, Action, Role
from copro.meetings.models import (
    Meeting,
    MeetingAction,
    MeetingStatus,
    Registration,
    RegistrationStatus,
    TeamMember,
)

# A public project's meetings are open to anyone signed in (outsiders included); a private project has no
# outsiders, so only its members register there. Observers (the governance board) only read.
SIGNED_IN = CONTRIBUTORS | {Role.OUTSIDER}


def _dashboard(project: Any, role: Role) -> list[DashCount]:
    from copro.meetings.selectors import attendance_counts

    now = timezone.now()
    upcoming = Meeting.objects.filter(project=project, status=MeetingStatus.PUBLISHED, ends_at__gte=now)
    year = attendance_counts(project, start=now - timedelta(days=365), end=now)
    return [
        DashCount(_("Meetings and workshops coming up"), upcoming.count()),
        DashCount(
            _("Places taken at meetings coming up"),
            Registration.objects.filter(meeting__in=upcoming, status=RegistrationStatus.REGISTERED).count(),
        ),
        DashCount(_("Meetings held in the last 12 months"), year["meetings"]),
        DashCount(
            _("People who came to them (with or without an account)"),
            year["attended_with_account"] + year["attended_without_account"],
        ),
    ]


def _meeting_rows(project: Any) -> Iterable[dict[str, Any]]:
    from copro.meetings.access import NEVER_PUBLIC

    # Never drafts, nor meetings cancelled before they were published: only facilitators see those.
    meetings = (
        Meeting.objects.filter(project=project)
        .exclude(NEVER_PUBLIC)
        .annotate(
            registered=Count("registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)),
            waitlisted=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
            came_with_account=Count(
                "registrations", filter=Q(registrations__attended=True, registrations__user__isnull=False)
            ),
            came_named=Count("registrations", filter=Q(registrations__attended=True, registrations__user__isnull=True)),
        )
        .order_by("starts_at", "id")
    )
    for m in meetings.iterator(chunk_size=500):
        yield {
            "id": m.pk,
            "title": m.title,
            "format": m.format,
            "status": m.status,
            "starts_at": m.starts_at.isoformat(),
            "ends_at": m.ends_at.isoformat(),
            "venue": m.venue,
            "capacity": m.capacity if m.capacity is not None else "",
            "registered": m.registered,
            "waitlisted": m.waitlisted,
            "attended_with_account": m.came_with_account,
            "attended_without_account": m.came_named + m.unnamed_attendees,
            "minutes_published": bool(m.minutes_published_at),
        }


def _action_rows(project: Any) -> Iterable[dict[str, Any]]:
    # Actions name people: like on the meeting's page, they are public once the minutes are published.
    from copro.meetings.access import NEVER_PUBLIC

    actions = (
        MeetingAction.objects.filter(project=project, meeting__minutes_published_at__isnull=False)
        .exclude(meeting__in=Meeting.objects.filter(NEVER_PUBLIC))
        .select_related("meeting", "assignee")
        .order_by("meeting__starts_at", "id")
    )
    for a in actions.iterator(chunk_size=1000):
        yield {
            "id": a.pk,
            "meeting": a.meeting.title,
            "meeting_date": a.meeting.starts_at.date().isoformat(),
            "what": a.text,
            "who": a.who,
            "due_on": a.due_on.isoformat() if a.due_on else "",
            "status": a.status,
            "done_at": a.done_at.isoformat() if a.done_at else "",
        }


def _needs(r: Registration) -> dict[str, Any]:
    return {
        "step_free": r.step_free,
        "interpreter": r.interpreter_label,
        "hearing_loop": r.hearing_loop,
        "childcare": r.childcare,
        "childcare_details": r.childcare_details,
        "dietary": r.dietary,
        "other_needs": r.other_needs,
        "marked_met": r.needs_met_at.isoformat() if r.needs_met_at else None,
    }


def _personal_data(user: Any) -> dict[str, Any]:
    registrations = Registration.objects.filter(user=user).select_related("meeting", "meeting__project")
    return {
        "registrations": [
            {
                "project": r.meeting.project.title,
                "meeting": r.meeting.title,
                "starts_at": r.meeting.starts_at.isoformat(),
                "status": r.status,
                "registered_at": r.created_at.isoformat(),
                "attended": r.attended,
                "wants_reminders": r.wants_reminders,
                "access_needs": _needs(r),
            }
            for r in registrations
        ],
        "teams": [
            {"meeting": m.team.meeting.title, "team": m.team.name}
            for m in TeamMember.objects.filter(registration__user=user).select_related("team", "team__meeting")
        ],
        "actions": [
            {"meeting": a.meeting.title, "what": a.text, "due_on": a.due_on.isoformat() if a.due_on else None}
            for a in MeetingAction.objects.filter(assignee=user).select_related("meeting")
        ],
    }


def _erase(user: Any) -> None:
    from copro.meetings.services import erase_registrations

    erase_registrations(user)


def _attended_action_meetings(action_ids: list[int]) -> Iterable[int]:
    """People with accounts who came to the meeting where each action was agreed."""
    meetings = MeetingAction.objects.filter(pk__in=action_ids).values("meeting_id")
    return (
        Registration.objects.filter(meeting_id__in=meetings, attended=True, user__isnull=False, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


registry.register(
    Component(
        name="meetings",
        label=_("Meetings"),
        actions=[
            Action("meetings.view", EVERYONE, _("See the project's meetings and workshops"), write=False),
            Action("meetings.manage", FACILITATORS, _("Plan meetings and workshops; publish and cancel them")),
            Action(
                "meetings.register", SIGNED_IN, _("Register for a meeting (or its waiting list), with access needs")
            ),
            Action(
                "meetings.registrations",
                FACILITATORS,
                _("See who registered and their access needs; mark needs as met; cancel a place"),
            ),
            Action(
                "meetings.enter",
                FACILITATORS,
                _("Register someone without an account (reached by phone, on paper or in person)"),
            ),
            Action("meetings.attendance", FACILITATORS, _("Record who came, including people without an account")),
            Action("meetings.minutes", FACILITATORS, _("Write and publish a meeting's minutes and actions")),
            Action("meetings.teams", FACILITATORS, _("Make workshop teams, use Copro's suggestion, move people")),
            Action("meetings.team_join", SIGNED_IN, _("Join or leave a team at a workshop you are registered for")),
            Action(
                "meetings.team_submit",
                SIGNED_IN,
                _("Submit your team's solution as an idea (team members and facilitators)"),
            ),
        ],
        activity={
            "meetings.created": _("%(actor)s started preparing a meeting: “%(target)s”."),
            "meetings.edited": _("%(actor)s changed the meeting “%(target)s”."),
            "meetings.published": _("%(actor)s published the meeting “%(target)s”."),
            "meetings.cancelled": _("%(actor)s cancelled the meeting “%(target)s”."),
            "meetings.attendance": _("%(actor)s recorded who came to “%(target)s” (%(count)s people)."),
            "meetings.minutes_published": _("%(actor)s published the minutes of “%(target)s”."),
            "meetings.action_added": _("%(actor)s added an action: “%(target)s”."),
            "meetings.action_done": _("%(actor)s marked an action as done: “%(target)s”."),
            "meetings.action_reopened": _("%(actor)s marked an action as not done yet: “%(target)s”."),
            "meetings.team_created": _("%(actor)s made a team: “%(target)s”."),
            "meetings.teams_suggested": _("%(actor)s put the people at “%(target)s” in teams."),
            "meetings.team_idea": _("%(actor)s submitted the solution of the team “%(target)s” as an idea."),
        },
        exports=[
            Export("meetings", _("Meetings and workshops, with places and attendance"), _meeting_rows, "meetings.view"),
            Export(
                "meeting_actions",
                _("Actions agreed at meetings (once their minutes are published)"),
                _action_rows,
                "meetings.view",
            ),
        ],
        link_kinds=[LinkKind("team_idea", _("a solution from the team"), "meetings.team", "ideas.idea")],
        dashboard=_dashboard,
        personal_data=_personal_data,
        erase_personal_data=_erase,
        nav=[NavItem(_("Meetings"), "meetings:list", "meetings.view")],
        contributors={"meetings.meetingaction": _attended_action_meetings},
    )
)
