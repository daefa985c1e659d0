"""Reads for idea pages, the API and other components, scoped to the person asking."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from copro.core.links import links_from
from copro.core.permissions import Role
from copro.ideas import spread as spread_mod
from copro.ideas.models import (
    AuthorResponse,
    Criterion,
    Idea,
    IdeaAuthor,
    IdeaStatus,
    Reviewer,
    ReviewerKind,
    ReviewRound,
    ReviewScore,
    RoundStatus,
)
from copro.projects.models import Membership, Project, ScopeItem

SORTS = {"newest": ("-created_at", "-id"), "supported": ("-support_count", "-created_at", "-id")}


def ideas_for_list(
    project: Project,
    *,
    status: str = "",
    scope_item: int | None = None,
    fixed: bool = False,
    q: str = "",
    sort: str = "newest",
    include_closed: bool = False,
    show_hidden: bool = False,
    viewer: Any = None,
) -> QuerySet[Idea]:
    """The project's ideas with what the list shows, in a constant number of queries however many there are.

    Ideas merged into another or split into new ones are left out unless asked for (they are kept, read only).
    Ideas a facilitator hid are left out, except for facilitators (`show_hidden`) and for the person asking
    (`viewer`) if they are one of its active authors.
    """
    ideas = Idea.objects.filter(project=project)
    if not show_hidden:
        visible: Any = Q(hidden_at__isnull=True)
        if viewer is not None and viewer.is_authenticated:
            visible |= Exists(IdeaAuthor.objects.filter(idea=OuterRef("pk"), user=viewer, left_at__isnull=True))
        ideas = ideas.filter(visible)
    if not include_closed:
        ideas = ideas.filter(merged_into__isnull=True, split_at__isnull=True)
    if status in IdeaStatus.values:
        ideas = ideas.filter(status=status)
    if scope_item is not None:
        ideas = ideas.filter(scope_items__pk=scope_item)
    if fixed:
        ideas = ideas.filter(touches_fixed=True)
    if q:
        ideas = ideas.filter(Q(title__icontains=q) | Q(problem__icontains=q) | Q(proposal__icontains=q))
    return (
        ideas.select_related("author", "merged_into")
        .annotate(visible_comments=Count("comments", filter=Q(comments__hidden_at__isnull=True), distinct=True))
        .prefetch_related(Prefetch("scope_items", queryset=ScopeItem.objects.order_by("kind", "position", "id")))
        .order_by(*SORTS.get(sort, SORTS["newest"]))
    )


def scope_choices(project: Project) -> list[ScopeItem]:
    """The lines of the scope an idea can touch: current ones only (removed lines are kept for the record)."""
    return list(ScopeItem.objects.filter(project=project, removed_at__isnull=True).order_by("kind", "position", "id"))


def idea_origin_counts(project: Project, start: datetime | None = None, end: datetime | None = None) -> dict[str, int]:
    """How many ideas were put forward, by the project role of the person who put each forward.

    Keys: participant, expert, facilitator, observer, outsider (not a member), and total. Ideas made by
    splitting another are not new suggestions and are not counted; merged ideas are (someone suggested them).
    `start` is inclusive, `end` exclusive. An idea whose author erased their account counts in the total only.
    """
    ideas = Idea.objects.filter(project=project, split_from__isnull=True)
    if start is not None:
        ideas = ideas.filter(created_at__gte=start)
    if end is not None:
        ideas = ideas.filter(created_at__lt=end)
    roles = dict(Membership.objects.filter(project=project).values_list("user_id", "role"))
    counts = {r.value: 0 for r in (Role.PARTICIPANT, Role.EXPERT, Role.FACILITATOR, Role.OBSERVER, Role.OUTSIDER)}
    total = 0
    for author_id in ideas.values_list("author_id", flat=True).iterator(chunk_size=2000):
        total += 1
        if author_id is None:
            continue
        role = roles.get(author_id, Role.OUTSIDER.value)
        counts[role] = counts.get(role, 0) + 1
    counts["total"] = total
    return counts


def authorships(idea: Idea) -> list[IdeaAuthor]:
    return list(
        IdeaAuthor.objects.filter(idea=idea)
        .select_related("user", "came_from")
        .order_by("-is_lead", "created_at", "id")
    )


def outcome_links(idea: Idea) -> list[Any]:
    """What became of the idea: the decisions it was taken to (and anything else it links to).

    The targets are loaded one query per kind of target (prefetch groups them by content type), not one per link.
    """
    links = links_from(idea).select_related("target_type").prefetch_related("target").order_by("created_at", "id")
    return [link for link in links if link.target is not None]


def own_ideas(ideas: list[Idea], user: Any) -> set[int]:
    """Which of these ideas the person is an active author or co-author of (one query)."""
    if user is None or not user.is_authenticated or not ideas:
        return set()
    return set(
        IdeaAuthor.objects.filter(idea__in=[i.pk for i in ideas], user=user, left_at__isnull=True).values_list(
            "idea_id", flat=True
        )
    )


def co_author_candidates(idea: Idea, current: set[int]) -> list[Membership]:
    return list(
        Membership.objects.filter(
            project_id=idea.project_id, role__in=[Role.PARTICIPANT, Role.EXPERT, Role.FACILITATOR]
        )
        .exclude(user_id__in=current)
        .exclude(user__erased_at__isnull=False)
        .select_related("user")
        .order_by("user__display_name", "user_id")[:500]
    )


def author_candidates(project: Project) -> list[Membership]:
    """Members an idea entered by staff can be credited to (any role: it is their idea, whatever their role)."""
    return list(
        Membership.objects.filter(project=project, user__is_active=True, user__erased_at__isnull=True)
        .select_related("user")
        .order_by("user__display_name", "user_id")[:1000]
    )


def merge_candidates(idea: Idea) -> list[Idea]:
    return list(
        Idea.objects.filter(project_id=idea.project_id, merged_into__isnull=True, split_at__isnull=True)
        .exclude(pk=idea.pk)
        .only("id", "title", "status")
        .order_by("-created_at", "-id")[:500]
    )


def reviewable_ideas(project: Project) -> list[Idea]:
    from copro.ideas.services import REVIEWABLE

    return list(
        Idea.objects.filter(
            project=project,
            merged_into__isnull=True,
            split_at__isnull=True,
            hidden_at__isnull=True,
            status__in=REVIEWABLE,
        )
        .only("id", "title", "status", "touches_fixed")
        .order_by("-created_at", "-id")[:500]
    )


def reviewer_candidates(project: Project) -> list[Membership]:
    return list(
        Membership.objects.filter(project=project, role__in=[Role.PARTICIPANT, Role.EXPERT], user__is_active=True)
        .select_related("user")
        .order_by("role", "user__display_name", "user_id")[:1000]
    )


def claim_email_reviewers(the_round: ReviewRound) -> None:
    """Invitations sent by email become the person's once they have joined the project."""
    waiting = list(Reviewer.objects.filter(round=the_round, user__isnull=True))
    if not waiting:
        return
    by_email = {
        m.user.email.lower(): m.user
        for m in Membership.objects.filter(
            project_id=the_round.project_id, user__email__in=[w.email for w in waiting]
        ).select_related("user")
    }
    taken = set(Reviewer.objects.filter(round=the_round, user__isnull=False).values_list("user_id", flat=True))
    for reviewer in waiting:
        user = by_email.get(reviewer.email.lower())
        if user is not None and user.pk not in taken:
            Reviewer.objects.filter(pk=reviewer.pk, user__isnull=True).update(user=user)
            taken.add(user.pk)


# --- Results -------------------------------------------------------------------------------------


@dataclass
class CriterionResult:
    criterion: Criterion
    peers: spread_mod.Spread
    experts: spread_mod.Spread
    peer_comments: list[str] = field(default_factory=list)
    expert_comments: list[str] = field(default_factory=list)
    # For facilitators: who said what, [(name, kind, score, comment)].
    named: list[tuple[str, str, int | None, str]] = field(default_factory=list)


@dataclass
class IdeaResult:
    idea: Idea
    criteria: list[CriterionResult]
    peer_reviewers: int
    expert_reviewers: int
    response: AuthorResponse | None = None


def round_results(the_round: ReviewRound, ideas: list[Idea] | None = None) -> list[IdeaResult]:
    """Per idea and criterion: the spread of peers' and of experts' scores, side by side, with comments.

    Three queries whatever the size of the round: the criteria, the scores (with their reviewers) and the
    authors' responses.
    """
    criteria = list(the_round.criteria.all())
    if ideas is None:
        ideas = list(the_round.ideas.order_by("round_entries__position", "id"))
    scores = (
        ReviewScore.objects.filter(round=the_round, idea__in=[i.pk for i in ideas])
        .select_related("reviewer__user")
        .order_by("updated_at", "id")
    )
    by_cell: dict[tuple[int, int], list[ReviewScore]] = defaultdict(list)
    reviewers: dict[int, dict[str, set[int]]] = defaultdict(
        lambda: {ReviewerKind.PEER: set(), ReviewerKind.EXPERT: set()}
    )
    for s in scores:
        by_cell[(s.idea_id, s.criterion_id)].append(s)
        reviewers[s.idea_id][s.reviewer.kind].add(s.reviewer_id)
    responses = {r.idea_id: r for r in AuthorResponse.objects.filter(round=the_round, idea__in=[i.pk for i in ideas])}
    out = []
    for idea in ideas:
        rows = []
        for criterion in criteria:
            cell = by_cell.get((idea.pk, criterion.pk), [])
            peers = [s for s in cell if s.reviewer.kind == ReviewerKind.PEER]
            experts = [s for s in cell if s.reviewer.kind == ReviewerKind.EXPERT]
            rows.append(
                CriterionResult(
                    criterion=criterion,
                    peers=spread_mod.spread([s.score for s in peers if s.score is not None], criterion.scale),
                    experts=spread_mod.spread([s.score for s in experts if s.score is not None], criterion.scale),
                    peer_comments=[s.comment for s in peers if s.comment],
                    expert_comments=[s.comment for s in experts if s.comment],
                    named=[
                        (
                            s.reviewer.user.public_name if s.reviewer.user else s.reviewer.email,
                            s.reviewer.get_kind_display(),
                            s.score,
                            s.comment,
                        )
                        for s in cell
                    ],
                )
            )
        out.append(
            IdeaResult(
                idea=idea,
                criteria=rows,
                peer_reviewers=len(reviewers[idea.pk][ReviewerKind.PEER]),
                expert_reviewers=len(reviewers[idea.pk][ReviewerKind.EXPERT]),
                response=responses.get(idea.pk),
            )
        )
    return out


def reviewer_progress(the_round: ReviewRound, reviewer: Reviewer) -> dict[int, int]:
    """For a reviewer: how many criteria they have answered, per idea."""
    return dict(
        ReviewScore.objects.filter(round=the_round, reviewer=reviewer)
        .values_list("idea_id")
        .annotate(n=Count("id"))
        .values_list("idea_id", "n")
    )


def rounds_of_idea(idea: Idea) -> list[ReviewRound]:
    return list(idea.review_rounds.exclude(status=RoundStatus.DRAFT).order_by("-created_at"))
