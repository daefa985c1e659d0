"""Loading ideas and review rounds named in a URL, and who may do what with them.

- Ideas are seen by everyone who can see the project. Putting one forward, supporting and commenting are
  for members, or for anyone signed in if the project's idea settings allow it (`IdeaSpace.participation`).
- Authors (the person who put it forward and active co-authors) revise their idea, add and remove files and
  answer reviews; facilitators can do the same, and manage statuses, merges, splits and review rounds.
- An idea a facilitator hid (moderation) is a 404 for everyone but its active authors and facilitators, who
  see it with the reason.
- A review round being prepared (draft) is seen by facilitators only: a 404 for anyone else. Open and
  closed rounds are seen by members. Reviewing needs an invitation to that round: a member who was not
  invited gets a 403, an outsider of a private project a 404.
- Nobody reviews an idea they wrote: an active author or co-author invited to a round is refused that
  idea's review sheet (OwnIdea, a 403 with a plain message) and the round page leaves it off their list.
- Results: facilitators see them while the round is open; members (and an idea's own authors) once it
  has closed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from copro.core.permissions import CONTRIBUTORS, MEMBERS, TABLE, Role
from copro.ideas.models import Idea, IdeaAuthor, IdeaSpace, Participation, Reviewer, ReviewRound, RoundStatus
from copro.projects.access import get_project_for_user
from copro.projects.models import Project

# Actions a project can open to anyone signed in (IdeaSpace.participation).
PARTICIPATION_ACTIONS = frozenset({"ideas.submit", "ideas.support", "ideas.comment"})

OWN_IDEA_MESSAGE = _("You wrote this idea, so you do not review it.")


class OwnIdea(PermissionDenied):
    """A reviewer opened the review sheet of an idea they are an author or co-author of."""

    def __init__(self) -> None:
        super().__init__(OWN_IDEA_MESSAGE)


def space_of(project: Project) -> IdeaSpace:
    """The project's idea settings; an unsaved default (open, members only) if it has none yet."""
    cached = project.__dict__.get("_copro_idea_space")
    if cached is not None:
        return cached
    space = IdeaSpace.objects.filter(project=project).first() or IdeaSpace(project=project)
    project.__dict__["_copro_idea_space"] = space
    return space


def may_take_part(project: Project, role: Role | None) -> bool:
    """Members who contribute may always; outsiders only if the project opened ideas to anyone signed in."""
    if role in CONTRIBUTORS:
        return True
    return role == Role.OUTSIDER and space_of(project).participation == Participation.SIGNED_IN


def allowed(project: Project, role: Role | None, action: str) -> bool:
    if not TABLE.allowed(role, action):
        return False
    return action not in PARTICIPATION_ACTIONS or may_take_part(project, role)


def get_ideas_project(user: Any, slug: str, action: str = "ideas.view") -> tuple[Project, Role]:
    project, role = get_project_for_user(user, slug, action)
    if not allowed(project, role, action):
        raise PermissionDenied
    return project, role


def get_idea_for_user(user: Any, slug: str, idea_id: int, action: str = "ideas.view") -> tuple[Project, Role, Idea]:
    project, role = get_ideas_project(user, slug, action)
    idea = (
        Idea.objects.filter(project=project, pk=idea_id)
        .select_related("author", "entered_by", "merged_into", "split_from")
        .first()
    )
    if idea is None or not can_see_idea(idea, user, role):
        raise Http404
    idea.project = project
    return project, role, idea


def can_see_idea(idea: Idea, user: Any, role: Role | None) -> bool:
    """Everyone who can see the project sees its ideas, except a hidden one: only its authors and facilitators."""
    if idea.hidden_at is None:
        return True
    return TABLE.allowed(role, "ideas.manage") or is_author(idea, user)


def author_ids(idea: Idea) -> set[int]:
    """The active authors: the person who put it forward and co-authors who have not left."""
    return set(IdeaAuthor.objects.filter(idea=idea, left_at__isnull=True).values_list("user_id", flat=True))


def is_author(idea: Idea, user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.pk in author_ids(idea))


def can_edit(idea: Idea, user: Any, role: Role | None) -> bool:
    """Authors and facilitators may revise an idea, add files to it and answer its reviews."""
    return TABLE.allowed(role, "ideas.manage") or (TABLE.allowed(role, "ideas.revise") and is_author(idea, user))


# --- Review rounds ---------------------------------------------------------------------------------


def visible_rounds(project: Project, role: Role) -> QuerySet[ReviewRound]:
    rounds = ReviewRound.objects.filter(project=project)
    if not TABLE.allowed(role, "ideas.manage"):
        rounds = rounds.exclude(status=RoundStatus.DRAFT)
    return rounds


def get_round_for_user(
    user: Any, slug: str, round_id: int, action: str = "ideas.view"
) -> tuple[Project, Role, ReviewRound]:
    project, role = get_ideas_project(user, slug, action)
    found = visible_rounds(project, role).filter(pk=round_id).first()
    if found is None:
        raise Http404
    found.project = project
    return project, role, found


def reviewer_for(round: ReviewRound, user: Any) -> Reviewer | None:
    """The person's invitation to review this round, if they have one.

    Someone invited by email is matched to their account the first time they come, once they have
    joined the project (accepting the invitation makes them a member).
    """
    if user is None or not user.is_authenticated:
        return None
    found = Reviewer.objects.filter(round=round, user=user).first()
    if found is not None:
        return found
    waiting = Reviewer.objects.filter(round=round, user__isnull=True, email__iexact=user.email).first()
    if waiting is not None and round.project.memberships.filter(user=user).exists():
        # Only if this account is not already a reviewer (a unique constraint holds it too).
        Reviewer.objects.filter(pk=waiting.pk, user__isnull=True).update(user=user)
        waiting.user = user
        return waiting
    return None


def get_review_for_user(
    user: Any, slug: str, round_id: int, idea_id: int
) -> tuple[Project, Role, ReviewRound, Idea, Reviewer]:
    """A reviewer's sheet for one idea in a round: 404 if the round or idea is not there (or a draft, or a
    hidden idea), 403 for people who were not invited to review it, and OwnIdea (a 403 with a plain message)
    for an invited reviewer who is one of the idea's active authors."""
    project, role, the_round = get_round_for_user(user, slug, round_id, "ideas.view")
    if the_round.status == RoundStatus.DRAFT:
        raise Http404
    idea = the_round.ideas.filter(pk=idea_id).first()
    if idea is None or not can_see_idea(idea, user, role):
        raise Http404
    idea.project = project
    if not TABLE.allowed(role, "ideas.review"):
        raise PermissionDenied
    reviewer = reviewer_for(the_round, user)
    if reviewer is None:
        raise PermissionDenied
    if is_author(idea, user):
        raise OwnIdea
    return project, role, the_round, idea, reviewer


def can_see_results(the_round: ReviewRound, user: Any, role: Role | None, idea: Idea | None = None) -> bool:
    if TABLE.allowed(role, "ideas.manage"):
        return the_round.status != RoundStatus.DRAFT
    if the_round.status != RoundStatus.CLOSED:
        return False
    if role in MEMBERS:
        return True
    return idea is not None and is_author(idea, user)
