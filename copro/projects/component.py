"""The projects component: the shared space, declared through the same contract as every capability."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count as DbCount
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, Count, Export, NavItem, registry
from copro.core.permissions import CONTRIBUTORS, EVERYONE, FACILITATORS, MEMBERS, Action, Role
from copro.projects.models import Invitation, Membership, Project, ScopeItem


def _dashboard(project: Project, role: Role) -> list[Count]:
    by_role = dict(
        Membership.objects.filter(project=project)
        .values_list("role")
        .annotate(n=DbCount("id"))
        .values_list("role", "n")
    )
    return [
        Count(_("Participants"), by_role.get(Role.PARTICIPANT.value, 0)),
        Count(_("Facilitators"), by_role.get(Role.FACILITATOR.value, 0)),
        Count(_("Experts"), by_role.get(Role.EXPERT.value, 0)),
        Count(_("Observers"), by_role.get(Role.OBSERVER.value, 0)),
        Count(_("Open scope changes"), project.scope_changes.filter(status="open").count()),
    ]


def _scope_rows(project: Project) -> Iterable[dict[str, Any]]:
    for item in ScopeItem.objects.filter(project=project).order_by("kind", "position", "id"):
        yield {
            "id": item.pk,
            "kind": item.kind,
            "text": item.text,
            "reason": item.reason,
            "created_at": item.created_at.isoformat(),
            "removed_at": item.removed_at.isoformat() if item.removed_at else "",
        }


def _members_rows(project: Project) -> Iterable[dict[str, Any]]:
    for m in Membership.objects.filter(project=project).select_related("user"):
        yield {"name": m.user.public_name, "role": m.role, "joined_at": m.joined_at.isoformat()}


def _personal_data(user: Any) -> dict[str, Any]:
    return {
        "project_memberships": [
            {"project": m.project.title, "role": m.role, "joined_at": m.joined_at.isoformat()}
            for m in Membership.objects.filter(user=user).select_related("project")
        ],
        "invitations_received": [
            {
                "project": i.project.title,
                "role": i.role,
                "sent": i.created_at.isoformat(),
                "accepted": i.accepted_at.isoformat() if i.accepted_at else None,
            }
            for i in Invitation.objects.filter(Q(email__iexact=user.email) | Q(accepted_by=user)).select_related(
                "project"
            )
        ],
        "organisations": [
            {"organisation": m.organisation.name, "role": m.role}
            for m in user.organisation_memberships.select_related("organisation")
        ],
    }


def _erase(user: Any) -> None:
    # Staff roles end with the account; project memberships stay so past contributions keep their role.
    user.organisation_memberships.all().delete()
    # Invitations keep their project and role for the record, not the address they were sent to.
    Invitation.objects.filter(Q(email__iexact=user.email) | Q(accepted_by=user)).update(email="")


registry.register(
    Component(
        name="projects",
        label=_("Project"),
        actions=[
            Action(
                "projects.view",
                EVERYONE,
                _("See the project page, its scope, timeline and public activity"),
                write=False,
            ),
            Action("projects.view_members", MEMBERS, _("See who the members are"), write=False),
            Action("projects.view_member_activity", MEMBERS, _("See activity shared with members"), write=False),
            Action("projects.view_dashboard", MEMBERS, _("See the project dashboard"), write=False),
            Action(
                "projects.view_access_needs",
                FACILITATORS,
                _("See members' access needs, to arrange support"),
                write=False,
            ),
            Action("projects.view_audit", FACILITATORS, _("Read the staff audit log"), write=False),
            Action("projects.export", FACILITATORS, _("Download the project's data"), write=False),
            Action(
                "projects.edit", FACILITATORS, _("Edit purpose, budget, timeline, decision rules and self-assessments")
            ),
            Action(
                "projects.scope_propose",
                frozenset({Role.FACILITATOR, Role.PARTICIPANT}),
                _("Propose a change to the scope of influence"),
            ),
            Action("projects.scope_respond", CONTRIBUTORS, _("Agree or object to a proposed scope change")),
            Action("projects.scope_decide", FACILITATORS, _("Close a scope change that was not agreed")),
            Action("projects.invite", FACILITATORS, _("Invite people by email")),
            Action("projects.manage_members", FACILITATORS, _("Change members' roles")),
            Action("projects.leave", MEMBERS, _("Step back from the project")),
        ],
        activity={
            "projects.created": _("%(actor)s started the project “%(target)s”."),
            "projects.updated": _("%(actor)s updated the project details (%(fields)s)."),
            "projects.scope_proposed": _("%(actor)s proposed a change to the scope: “%(target)s”."),
            "projects.scope_changed": _("The scope changed: “%(target)s” (%(change)s)."),
            "projects.scope_responded": _("%(actor)s responded to a scope change."),
            "projects.scope_not_agreed": _("A proposed scope change was not agreed: “%(target)s”."),
            "projects.scope_withdrawn": _("%(actor)s withdrew a proposed scope change."),
            "projects.phase_added": _("%(actor)s added the phase “%(target)s” to the timeline."),
            "projects.phase_removed": _("%(actor)s removed the phase “%(target)s” from the timeline."),
            "projects.engagement_set": _("%(actor)s placed the project on the engagement spectrum: %(level)s."),
            "projects.cynefin_set": _("%(actor)s described the kind of problem: %(domain)s."),
            "projects.step_updated": _("%(actor)s updated the co-production step “%(step)s”."),
            "projects.invited": _("%(actor)s invited someone to join as %(role)s."),
            "projects.invitation_withdrawn": _("%(actor)s withdrew an invitation to join as %(role)s."),
            "projects.joined": _("%(actor)s joined the project as %(role)s."),
            "projects.role_changed": _("%(actor)s changed a member's role to %(role)s."),
            "projects.left": _("%(actor)s stepped back from the project."),
            "projects.organisation_created": _("%(actor)s registered the organisation “%(target)s”."),
        },
        exports=[
            Export("scope", _("Scope of influence"), _scope_rows, "projects.view"),
            Export("members", _("Members"), _members_rows, "projects.export"),
        ],
        dashboard=_dashboard,
        personal_data=_personal_data,
        erase_personal_data=_erase,
        nav=[
            NavItem(_("Scope"), "projects:scope", "projects.view"),
            NavItem(_("Members"), "projects:members", "projects.view_members"),
            NavItem(_("Activity"), "projects:activity", "projects.view"),
            NavItem(_("Dashboard"), "projects:dashboard", "projects.view_dashboard"),
        ],
    )
)
