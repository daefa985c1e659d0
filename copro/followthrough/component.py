"""The followthrough component: commitments ("you said, we did"), their updates, and feedback moments."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, LinkKind, NavItem, registry
from copro.core.permissions import EVERYONE, FACILITATORS, TABLE, Action, Role
from copro.followthrough.models import (
    OPEN_STATUSES,
    Commitment,
    CommitmentNotice,
    CommitmentStatus,
    FeedbackMoment,
    NoticeOptOut,
    Triage,
)
from copro.followthrough.selectors import visibilities_for


def _dashboard(project: Any, role: Role) -> list[Count]:
    """Numbers for the project dashboard, for what this role may see: facilitators-only commitments are
    counted for facilitators alone, and so is the feedback waiting to be triaged (private to facilitators)."""
    commitments = Commitment.objects.filter(project=project, visibility__in=visibilities_for(role))
    counts = [
        Count(_("Commitments being worked on"), commitments.filter(status__in=OPEN_STATUSES).count()),
        Count(_("Commitments done"), commitments.filter(status=CommitmentStatus.DONE).count()),
        Count(
            _("Commitments overdue"),
            commitments.filter(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate()).count(),
        ),
    ]
    if TABLE.allowed(role, "followthrough.triage"):
        waiting = FeedbackMoment.objects.filter(project=project, triage=Triage.NEW).count()
        counts.append(Count(_("Feedback waiting to be triaged"), waiting))
    return counts


def _visible_commitments(items: list[Any], role: Role) -> set[int]:
    return {c.pk for c in items if c.visibility in visibilities_for(role)}


def _personal_data(user: Any) -> dict[str, Any]:
    return {
        "feedback_given": [
            {
                "project": f.project.title,
                "about": f.about,
                "text": f.text,
                "feeling": f.feeling,
                "tags": f.tags,
                "contact": f.contact,
                "consent_to_share": f.consent_to_share,
                "shared_excerpt": f.public_excerpt if f.shared_at else "",
                "created_at": f.created_at.isoformat(),
            }
            for f in FeedbackMoment.objects.filter(given_by=user).select_related("project")
        ],
        "commitments_owned": [
            {"project": c.project.title, "title": c.title, "due_on": c.due_on.isoformat(), "status": c.status}
            for c in Commitment.objects.filter(owner=user).select_related("project")
        ],
        "commitments_co_owned": [
            {"project": c.project.title, "title": c.title, "due_on": c.due_on.isoformat(), "status": c.status}
            for c in Commitment.objects.filter(co_owners=user).select_related("project")
        ],
        "commitment_news_received": [
            {"commitment": n.update.commitment.title, "state": n.state, "at": n.created_at.isoformat()}
            for n in CommitmentNotice.objects.filter(user=user).select_related("update__commitment")
        ],
        "commitment_emails_stopped_for": [
            o.project.title for o in NoticeOptOut.objects.filter(user=user).select_related("project")
        ],
    }


def _erase(user: Any) -> None:
    # Feedback stays (it is the project's record of how the service felt) but no longer points at anyone:
    # who gave it and how to reach them go. Commitments stay: a promise made in public is part of the record
    # (the owner then reads "former participant").
    FeedbackMoment.objects.filter(given_by=user).update(given_by=None, contact="")
    FeedbackMoment.objects.filter(entered_by=user).update(entered_by=None)
    FeedbackMoment.objects.filter(triaged_by=user).update(triaged_by=None)
    CommitmentNotice.objects.filter(user=user).delete()
    NoticeOptOut.objects.filter(user=user).delete()


PRACTITIONERS = FACILITATORS | {Role.EXPERT}

registry.register(
    Component(
        name="followthrough",
        label=_("You said, we did"),
        actions=[
            Action(
                "followthrough.view",
                EVERYONE,
                _("See the project's commitments (“You said, we did”), their progress and updates"),
                write=False,
            ),
            Action(
                "followthrough.manage",
                FACILITATORS,
                _(
                    "Make and change commitments, post updates and milestones "
                    "(a commitment's owners may also post updates on their own)"
                ),
            ),
            # Without an account only where the project allows it (FeedbackSettings.allow_anonymous).
            Action("followthrough.feedback", EVERYONE, _("Give quick feedback about the service or the project")),
            Action(
                "followthrough.enter",
                PRACTITIONERS,
                _("Enter feedback for someone, given on paper, by phone, at a drop-in or through outreach"),
            ),
            Action(
                "followthrough.triage",
                FACILITATORS,
                _("Read all feedback, triage it, link it to a commitment and share excerpts people agreed to"),
            ),
        ],
        activity={
            "followthrough.created": _("%(actor)s made a commitment: “%(target)s”."),
            "followthrough.edited": _("%(actor)s changed the commitment “%(target)s”."),
            "followthrough.status_changed": _("%(actor)s marked the commitment “%(target)s” as %(status)s."),
            "followthrough.update_posted": _("%(actor)s posted an update on the commitment “%(target)s”."),
            "followthrough.overdue": _("The commitment “%(target)s” is overdue."),
            "followthrough.feedback_shared": _("%(actor)s shared a quote from feedback, with the giver's consent."),
        },
        link_kinds=[
            LinkKind("commits_decision", _("led to the commitment"), "decisions.decision", "followthrough.commitment"),
            LinkKind("commits_idea", _("led to the commitment"), "ideas.idea", "followthrough.commitment"),
            LinkKind(
                "commits_action", _("led to the commitment"), "meetings.meetingaction", "followthrough.commitment"
            ),
            LinkKind(
                "commits_consultation",
                _("led to the commitment"),
                "consultations.consultation",
                "followthrough.commitment",
            ),
        ],
        dashboard=_dashboard,
        visible={"followthrough.commitment": _visible_commitments},
        personal_data=_personal_data,
        erase_personal_data=_erase,
        nav=[
            NavItem(_("You said, we did"), "followthrough:yswd", "followthrough.view"),
            NavItem(_("Give feedback"), "followthrough:feedback_give", "followthrough.feedback"),
            NavItem(_("Feedback received"), "followthrough:feedback_list", "followthrough.triage"),
        ],
    )
)
