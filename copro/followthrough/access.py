"""Loading commitments and feedback named in a URL, and who may do what with them.

- A commitment is seen by whoever its visibility allows (everyone, members, or facilitators); anyone
  else gets a 404, the same as a commitment that does not exist.
- Facilitators manage commitments. A commitment's owner and co-owners may post updates on it (and tick
  its milestones) even without the manage action: they are the ones doing the work.
- Feedback is private: facilitators (followthrough.triage) read all of it; the person who gave it, or
  the practitioner who entered it, reads their own; for everyone else it does not exist (404).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from copro.core.forms import parse_id
from copro.core.permissions import TABLE, Role
from copro.followthrough.models import Commitment, FeedbackMoment
from copro.followthrough.selectors import visible_commitments
from copro.projects.access import get_project_for_user
from copro.projects.models import Project


def get_commitment_for_user(
    user: Any, slug: str, commitment_id: int, action: str = "followthrough.view"
) -> tuple[Project, Role, Commitment]:
    project, role = get_project_for_user(user, slug, action)
    if parse_id(commitment_id) is None:
        raise Http404
    found = visible_commitments(project, role).select_related("owner", "created_by").filter(pk=commitment_id).first()
    if found is None:
        raise Http404
    found.project = project
    return project, role, found


def is_owner(user: Any, commitment: Commitment) -> bool:
    if not user.is_authenticated:
        return False
    if commitment.owner_id == user.pk:
        return True
    return commitment.co_owners.filter(pk=user.pk).exists()


def can_post_update(user: Any, role: Role, commitment: Commitment) -> bool:
    """Facilitators, and the commitment's owner and co-owners while they are members of the project."""
    if TABLE.allowed(role, "followthrough.manage"):
        return True
    return role not in (Role.PUBLIC, Role.OUTSIDER) and is_owner(user, commitment)


def get_commitment_for_update(user: Any, slug: str, commitment_id: int) -> tuple[Project, Role, Commitment]:
    """For posting an update or ticking a milestone: 404 if it cannot be seen, 403 if it is not theirs."""
    project, role, commitment = get_commitment_for_user(user, slug, commitment_id)
    if not can_post_update(user, role, commitment):
        raise PermissionDenied
    return project, role, commitment


def can_read_feedback(user: Any, role: Role, feedback: FeedbackMoment) -> bool:
    if TABLE.allowed(role, "followthrough.triage"):
        return True
    return bool(user.is_authenticated and user.pk in (feedback.given_by_id, feedback.entered_by_id))


def get_feedback_for_user(
    user: Any, slug: str, feedback_id: int, action: str = "followthrough.view"
) -> tuple[Project, Role, FeedbackMoment]:
    project, role = get_project_for_user(user, slug, action)
    if parse_id(feedback_id) is None:
        raise Http404
    feedback = (
        FeedbackMoment.objects.filter(project=project, pk=feedback_id)
        .select_related("commitment", "entered_by", "triaged_by")
        .first()
    )
    if feedback is None or not can_read_feedback(user, role, feedback):
        raise Http404
    feedback.project = project
    return project, role, feedback
