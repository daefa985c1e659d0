"""Reads for project pages, always scoped to the person asking."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from copro.core import activity
from copro.core.components import registry
from copro.core.models import Visibility
from copro.core.permissions import TABLE, Role
from copro.projects import frameworks
from copro.projects.models import (
    Invitation,
    MemberRole,
    Membership,
    Project,
    ProjectVisibility,
    ScopeChange,
    ScopeChangeResponse,
    ScopeItem,
    ScopeKind,
)


def allowed_actions(role: Role | None) -> set[str]:
    return {a.name for a in TABLE.actions() if role is not None and role in a.roles}


def nav(project: Project, role: Role) -> list[dict[str, str]]:
    items = [
        {"label": str(item.label), "url": reverse(item.url_name, args=[project.slug])}
        for component in registry.all()
        for item in component.nav
        if TABLE.allowed(role, item.action)
    ]
    return [{"label": str(_("Overview")), "url": reverse("projects:detail", args=[project.slug])}, *items]


def projects_listed(user: Any) -> QuerySet[Project]:
    """Public projects, plus any the person is a member of. Unlisted and private ones are not listed."""
    condition = Q(visibility=ProjectVisibility.PUBLIC)
    if user.is_authenticated:
        condition |= Q(memberships__user=user)
    return (
        Project.objects.filter(condition)
        .distinct()
        .select_related("organisation")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("-created_at")
    )


def my_projects(user: Any) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user).select_related("project", "project__organisation"))


def current_scope(project: Project) -> dict[str, list[ScopeItem]]:
    items = list(ScopeItem.objects.filter(project=project, removed_at__isnull=True))
    return {
        "can": [i for i in items if i.kind == ScopeKind.CAN],
        "fixed": [i for i in items if i.kind == ScopeKind.FIXED],
    }


def project_overview(project: Project, role: Role) -> dict[str, Any]:
    level = frameworks.level(project.engagement_level)
    return {
        "scope": current_scope(project),
        "phases": list(project.phases.all()),
        "level": level,
        "levels": frameworks.LEVELS,
        "domain": frameworks.domain(project.cynefin_domain),
        "steps": _steps(project),
        "recent": list(activity.visible_entries(project, [Visibility.PUBLIC])[:5]),
        "member_count": project.memberships.count(),
        "voting_roles": [Role(r).label for r in project.voting_roles],
        "vote_weights": {Role(r).label: w for r, w in project.vote_weights.items()},
    }


def _steps(project: Project) -> list[dict[str, Any]]:
    checks = {c.step: c for c in project.steps.all()}
    return [
        {"key": key, "name": name, "help": help_text, "check": checks.get(key)}
        for key, name, help_text in frameworks.STEPS
    ]


def scope_context(project: Project, user: Any) -> dict[str, Any]:
    changes = list(
        ScopeChange.objects.filter(project=project)
        .select_related("item", "proposed_by")
        .prefetch_related(Prefetch("responses", queryset=ScopeChangeResponse.objects.select_related("user")))[:100]
    )
    for change in changes:
        change.my_response = next(  # type: ignore[attr-defined]
            (r for r in change.responses.all() if user.is_authenticated and r.user_id == user.pk), None
        )
    return {
        "scope": current_scope(project),
        "open_changes": [c for c in changes if c.status == ScopeChange.Status.OPEN],
        "past_changes": [c for c in changes if c.status != ScopeChange.Status.OPEN],
    }


def members_context(project: Project, role: Role) -> dict[str, Any]:
    memberships = list(Membership.objects.filter(project=project).select_related("user").order_by("role", "joined_at"))
    context: dict[str, Any] = {
        "memberships": memberships,
        "show_access_needs": TABLE.allowed(role, "projects.view_access_needs"),
        "role_choices": MemberRole.choices,
        "invitation_days": settings.COPRO_INVITATION_DAYS,
    }
    if TABLE.allowed(role, "projects.invite"):
        context["invitations"] = list(
            Invitation.objects.filter(project=project, accepted_at__isnull=True, revoked_at__isnull=True)[:50]
        )
    return context
