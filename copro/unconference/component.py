"""The unconference component: open space sessions at a meeting, proposed by anyone taking part, marked by
the people who want to join, scheduled into rooms and time slots, and published as a board.

It has no navigation item of its own: an open space is reached from its meeting's page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count as DbCount
from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, Export, registry
from copro.core.permissions import CONTRIBUTORS, EVERYONE, FACILITATORS, MEMBERS, Action, Role
from copro.meetings.access import never_public_q
from copro.unconference.models import Host, HostInvite, Interest, OpenSpace, ScheduleNotice, Session, ToldPlace

# At a public project's meeting anyone signed in may take part (people come to a workshop without joining
# the project first). Observers (the governance board) may mark the sessions they want to join, as anyone
# in the room would, but do not propose them.
PROPOSERS = CONTRIBUTORS | {Role.OUTSIDER}
MARKERS = MEMBERS | {Role.OUTSIDER}


def _dashboard(project: Any, role: Role) -> list[Count]:
    sessions = Session.objects.filter(project=project, withdrawn_at__isnull=True)
    return [
        Count(_("Open space sessions proposed"), sessions.count()),
        Count(
            _("Open space schedules published"),
            OpenSpace.objects.filter(project=project, published_at__isnull=False).count(),
        ),
    ]


def _rows(project: Any) -> Iterable[dict[str, Any]]:
    sessions = (
        Session.objects.filter(project=project, withdrawn_at__isnull=True)
        .exclude(never_public_q("open_space__meeting__"))  # drafts, and drafts cancelled unpublished
        .select_related("open_space__meeting", "room", "slot")
        .annotate(hosts_n=DbCount("hosts", distinct=True))
        .order_by("open_space_id", "id")
    )
    for s in sessions.iterator(chunk_size=1000):
        published = s.open_space.published_at is not None
        yield {
            "id": s.pk,
            "meeting": s.open_space.meeting.title,
            "title": s.title,
            "about": s.about,
            "hosts": s.hosts_n,
            "want_to_join": s.interest_count,
            # Where and when only once the schedule is published.
            "starts_at": s.slot.starts_at.isoformat() if published and s.slot else "",
            "room": s.room.name if published and s.room else "",
            "proposed_at": s.created_at.isoformat(),
        }


def _personal_data(user: Any) -> dict[str, Any]:
    return {
        "sessions_hosted": [
            {
                "meeting": h.session.open_space.meeting.title,
                "title": h.session.title,
                "about": h.session.about,
                "proposed_by_you": h.session.proposer_id == user.pk,
                "withdrawn": h.session.withdrawn_at is not None,
                "created_at": h.session.created_at.isoformat(),
            }
            for h in Host.objects.filter(user=user).select_related("session__open_space__meeting")
        ],
        "sessions_marked": [
            {"meeting": i.session.open_space.meeting.title, "title": i.session.title, "at": i.created_at.isoformat()}
            for i in Interest.objects.filter(user=user).select_related("session__open_space__meeting")
        ],
        "asked_to_host": [
            {
                "meeting": h.session.open_space.meeting.title,
                "title": h.session.title,
                "asked_by": h.invited_by.public_name,
                "at": h.created_at.isoformat(),
            }
            for h in HostInvite.objects.filter(user=user).select_related("session__open_space__meeting", "invited_by")
        ],
        # Whom they asked is theirs to see only once that person said yes (then they are a co-host, above).
        "asked_others_to_host": HostInvite.objects.filter(invited_by=user).count(),
        "schedule_emails": [
            {
                "meeting": n.open_space.meeting.title,
                "first_sent": n.sent_at.isoformat(),
                "last_change_sent": n.changed_at.isoformat() if n.changed_at else None,
            }
            for n in ScheduleNotice.objects.filter(user=user).select_related("open_space__meeting")
        ],
    }


def _erase(user: Any) -> None:
    # Sessions stay (what people met to talk about still matters) with no name on them; marks go, and each
    # session's count is kept right.
    Session.objects.filter(proposer=user).update(proposer=None)
    Session.objects.filter(entered_by=user).update(entered_by=None)
    Host.objects.filter(user=user).delete()
    HostInvite.objects.filter(user=user).delete()
    HostInvite.objects.filter(invited_by=user).delete()
    ScheduleNotice.objects.filter(user=user).delete()
    ToldPlace.objects.filter(user=user).delete()
    marked = list(Interest.objects.filter(user=user).values_list("session_id", flat=True))
    Interest.objects.filter(user=user).delete()
    for session in Session.objects.filter(pk__in=marked):
        Session.objects.filter(pk=session.pk).update(interest_count=session.interests.count())


def _contributors(session_ids: list[int]) -> Iterable[int]:
    """Who took part in these sessions: hosts and the people who wanted to join."""
    hosts = set(Host.objects.filter(session_id__in=session_ids).values_list("user_id", flat=True))
    marks = set(Interest.objects.filter(session_id__in=session_ids).values_list("user_id", flat=True))
    return sorted(hosts | marks)


registry.register(
    Component(
        name="unconference",
        label=_("Open space sessions"),
        actions=[
            Action("unconference.view", EVERYONE, _("See a meeting's open space sessions and schedule"), write=False),
            Action("unconference.propose", PROPOSERS, _("Propose an open space session (and host it)")),
            Action("unconference.mark", MARKERS, _("Mark the open space sessions you want to join")),
            Action(
                "unconference.manage",
                FACILITATORS,
                _("Set up an open space: rooms, time slots; build, adjust and publish its schedule"),
            ),
        ],
        activity={
            "unconference.set_up": _("%(actor)s set up an open space at “%(target)s”."),
            "unconference.proposed": _("%(actor)s proposed an open space session: “%(target)s”."),
            "unconference.entered": _("%(actor)s entered an open space session from the wall: “%(target)s”."),
            "unconference.withdrawn": _("%(actor)s withdrew the open space session “%(target)s”."),
            "unconference.built": _("%(actor)s built the open space schedule for “%(target)s”."),
            "unconference.published": _("%(actor)s published the open space schedule for “%(target)s”."),
            "unconference.unpublished": _("%(actor)s took down the open space schedule for “%(target)s”."),
        },
        exports=[Export("open_space_sessions", _("Open space sessions"), _rows, "unconference.view")],
        dashboard=_dashboard,
        personal_data=_personal_data,
        erase_personal_data=_erase,
        contributors={"unconference.session": _contributors},
    )
)
