"""The ideas component: ideas put forward, supported, commented on, merged, split and pressure-tested."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, Export, LinkKind, NavItem, registry
from copro.core.permissions import CONTRIBUTORS, EVERYONE, FACILITATORS, MEMBERS, TABLE, Action, Role
from copro.ideas.models import (
    AuthorResponse,
    Idea,
    IdeaAuthor,
    IdeaComment,
    IdeaNotice,
    IdeaStatus,
    Reviewer,
    ReviewRound,
    ReviewScore,
    RoundStatus,
    Support,
)

# A project can open ideas to anyone signed in (its idea settings); otherwise outsiders are refused even
# though the table lets them try. Observers (the governance board) only read.
SIGNED_IN = CONTRIBUTORS | {Role.OUTSIDER}


def _dashboard(project: Any, role: Role) -> list[Count]:
    ideas = Idea.objects.filter(
        project=project, merged_into__isnull=True, split_at__isnull=True, hidden_at__isnull=True
    )
    return [
        Count(_("Ideas"), ideas.count()),
        Count(_("Ideas under review"), ideas.filter(status=IdeaStatus.UNDER_REVIEW).count()),
        Count(_("Ideas shortlisted"), ideas.filter(status=IdeaStatus.SHORTLISTED).count()),
        Count(_("Ideas taken to a decision"), ideas.filter(status=IdeaStatus.TAKEN).count()),
        Count(_("Ideas touching something fixed"), ideas.filter(touches_fixed=True).count()),
        Count(_("Review rounds open"), ReviewRound.objects.filter(project=project, status=RoundStatus.OPEN).count()),
    ]


def _visible_ideas(items: list[Any], role: Role) -> set[int]:
    """Ideas hidden by a facilitator are seen by facilitators only (their authors find them on their page)."""
    sees_hidden = TABLE.allowed(role, "ideas.manage")
    return {i.pk for i in items if i.hidden_at is None or sees_hidden}


def _rows(project: Any) -> Iterable[dict[str, Any]]:
    # Anyone who can see the project can download this: ideas a facilitator hid are left out.
    ideas = (
        Idea.objects.filter(project=project, hidden_at__isnull=True)
        .select_related("author", "merged_into", "split_from")
        .prefetch_related("scope_items")
        .order_by("id")
    )
    for idea in ideas.iterator(chunk_size=500):
        yield {
            "id": idea.pk,
            "title": idea.title,
            "problem": idea.problem,
            "proposal": idea.proposal,
            "status": idea.status,
            "status_reason": idea.status_reason,
            "scope": "; ".join(s.text for s in idea.scope_items.all()),
            "touches_fixed": idea.touches_fixed,
            "cost_estimate": idea.cost_estimate if idea.cost_estimate is not None else "",
            "currency": idea.currency,
            "supporters": idea.support_count,
            "author": idea.author.public_name if idea.author else idea.author_name,
            "channel": idea.channel,
            "merged_into": idea.merged_into_id or "",
            "split_from": idea.split_from_id or "",
            "version": idea.version,
            "created_at": idea.created_at.isoformat(),
        }


def _contributors(ids: list[int]) -> Iterable[int]:
    """Authors, co-authors and supporters of these ideas, and of every idea merged into them (however deep)."""
    wanted = set(ids)
    frontier = set(ids)
    while frontier:
        frontier = set(Idea.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)) - wanted
        wanted |= frontier
    people = set(IdeaAuthor.objects.filter(idea__in=wanted, left_at__isnull=True).values_list("user_id", flat=True))
    people |= set(Support.objects.filter(idea__in=wanted).values_list("user_id", flat=True))
    return sorted(people)


def _personal_data(user: Any) -> dict[str, Any]:
    return {
        "ideas": [
            {
                "project": a.idea.project.title,
                "title": a.idea.title,
                "problem": a.idea.problem,
                "proposal": a.idea.proposal,
                "status": a.idea.status,
                "put_forward_by_me": a.is_lead,
                "hidden_reason": a.idea.hidden_reason,
                "left_at": a.left_at.isoformat() if a.left_at else None,
                "created_at": a.idea.created_at.isoformat(),
            }
            for a in IdeaAuthor.objects.filter(user=user).select_related("idea__project")
        ],
        "idea_supports": [
            {"idea": s.idea.title, "created_at": s.created_at.isoformat()}
            for s in Support.objects.filter(user=user).select_related("idea")
        ],
        "idea_comments": [
            {
                "idea": c.idea_id,
                "text": c.text,
                "created_at": c.created_at.isoformat(),
                "hidden_reason": c.hidden_reason,
            }
            for c in IdeaComment.objects.filter(author=user)
        ],
        "idea_reviews": [
            {
                "round": s.round.title,
                "idea": s.idea.title,
                "criterion": s.criterion.name,
                "score": s.score,
                "comment": s.comment,
            }
            for s in ReviewScore.objects.filter(reviewer__user=user).select_related("round", "idea", "criterion")
        ],
        "idea_review_responses": [
            {"round": r.round.title, "idea": r.idea.title, "text": r.text}
            for r in AuthorResponse.objects.filter(author=user).select_related("round", "idea")
        ],
    }


def _erase(user: Any) -> None:
    # Ideas, comments and reviews stay (what was suggested and said still matters) and read "former
    # participant". Supports and pending summaries go: counts keep them, nothing links them to anyone.
    Idea.objects.filter(author=user).update(author=None)
    IdeaComment.objects.filter(author=user).update(author=None)
    AuthorResponse.objects.filter(author=user).update(author=None)
    IdeaAuthor.objects.filter(user=user).delete()
    Support.objects.filter(user=user).delete()
    IdeaNotice.objects.filter(user=user).delete()
    # An invitation to review that was never taken up holds only the address: it goes.
    Reviewer.objects.filter(user__isnull=True, email__iexact=user.email).delete()
    Reviewer.objects.filter(user=user).update(email="")


registry.register(
    Component(
        name="ideas",
        label=_("Ideas"),
        actions=[
            Action("ideas.view", EVERYONE, _("See the project's ideas, their history and comments"), write=False),
            Action(
                "ideas.submit",
                SIGNED_IN,
                _("Put forward an idea (outsiders only if the project opens ideas to anyone signed in)"),
            ),
            Action("ideas.support", SIGNED_IN, _("Support an idea (once; it can be withdrawn)")),
            Action("ideas.comment", SIGNED_IN, _("Comment on an idea")),
            Action(
                "ideas.revise",
                SIGNED_IN,
                _("Revise an idea you are an author of, add files and co-authors, answer its reviews"),
            ),
            Action(
                "ideas.review",
                CONTRIBUTORS,
                _("Score and comment on ideas in a review round (only reviewers invited to that round)"),
            ),
            Action(
                "ideas.view_reviews",
                MEMBERS,
                _("See review rounds, and their results once a round has closed"),
                write=False,
            ),
            Action(
                "ideas.manage",
                FACILITATORS,
                _("Change idea settings and statuses, merge and split ideas, run review rounds"),
            ),
        ],
        activity={
            "ideas.submitted": _("%(actor)s put forward an idea: “%(target)s”."),
            "ideas.revised": _("%(actor)s revised the idea “%(target)s”."),
            "ideas.status_reset": _("%(actor)s moved the idea “%(target)s” back to submitted."),
            "ideas.under_review": _("%(actor)s put the idea “%(target)s” under review."),
            "ideas.shortlisted": _("%(actor)s shortlisted the idea “%(target)s”."),
            "ideas.taken_to_decision": _("%(actor)s took the idea “%(target)s” to a decision."),
            "ideas.not_taken_forward": _("%(actor)s did not take the idea “%(target)s” forward, and said why."),
            "ideas.merged": _("%(actor)s merged the idea “%(target)s” into “%(into)s”."),
            "ideas.split": _("%(actor)s split the idea “%(target)s” into %(parts)s new ideas."),
            "ideas.review_opened": _("%(actor)s opened the review round “%(target)s” on %(ideas)s ideas."),
            "ideas.review_closed": _("%(actor)s closed the review round “%(target)s” and published its results."),
            "ideas.settings_changed": _("%(actor)s changed who may put forward ideas in “%(target)s”."),
        },
        exports=[Export("ideas", _("Ideas"), _rows, "ideas.view")],
        link_kinds=[LinkKind("taken_to", _("Taken to a decision"), "ideas.idea", "decisions.decision")],
        dashboard=_dashboard,
        visible={"ideas.idea": _visible_ideas},
        personal_data=_personal_data,
        erase_personal_data=_erase,
        nav=[NavItem(_("Ideas"), "ideas:list", "ideas.view")],
        contributors={"ideas.idea": _contributors},
    )
)
