"""Every change to organisations and projects. Each writes one activity entry and tells who must know."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.core import activity
from copro.core.forms import claim_token
from copro.core.models import Visibility
from copro.core.permissions import Role
from copro.projects import frameworks, notify
from copro.projects.access import forget_roles
from copro.projects.models import (
    Invitation,
    MemberRole,
    Membership,
    Organisation,
    OrganisationMembership,
    Phase,
    Project,
    ProjectVisibility,
    ScopeChange,
    ScopeChangeResponse,
    ScopeItem,
    ScopeKind,
    StepCheck,
    hash_token,
)

EDITABLE_FIELDS = {
    "title",
    "purpose",
    "visibility",
    "budget_amount",
    "budget_currency",
    "budget_notes",
    "decision_method",
    "decision_rules",
    "voting_roles",
    "vote_weights",
    "moderation_rules",
}


# Words that are also pages (/organisations/new/, /projects/new/) cannot be slugs.
RESERVED_SLUGS = {"new", "edit", "api", "admin"}


def _unique_slug(model: Any, text: str, *, unguessable: bool = False) -> str:
    """A readable address from the title; an unlisted project's also carries a random part.

    An unlisted project is readable by anyone with the link, so its link must not be guessable from
    its title.
    """
    base = slugify(text)[:60] or "project"
    if base in RESERVED_SLUGS:
        base = f"{base}-1"
    if unguessable:
        base = f"{base[:50]}-{secrets.token_hex(5)}"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _save_new_with_slug(obj: Any, text: str) -> None:
    """Insert a new organisation or project under its slug. `_unique_slug` checks before the insert, so
    two created at the same moment with the same name can pick the same slug: the unique constraint
    decides, and the one that loses takes a random suffix and tries again (in a savepoint)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
            return
        except IntegrityError:
            if not type(obj).objects.filter(slug=obj.slug).exists():
                raise  # another constraint: not ours to retry
            obj.slug = f"{(slugify(text)[:50] or 'project')}-{secrets.token_hex(4)}"
    raise IntegrityError(f"No free address found for {text!r}")


# --- Organisations ---------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *, user: User, name: str, description: str = "", form_token: uuid.UUID | None = None
) -> Organisation:
    claim_token(form_token)
    organisation = Organisation(name=name, slug=_unique_slug(Organisation, name), description=description)
    _save_new_with_slug(organisation, name)
    OrganisationMembership.objects.create(organisation=organisation, user=user, role=OrganisationMembership.Role.ADMIN)
    activity.record(
        verb="projects.organisation_created",
        actor=user,
        project=None,
        target=organisation,
        visibility=Visibility.PUBLIC,
    )
    return organisation


# --- Projects ----------------------------------------------------------------------------------


@dataclass
class FixedLine:
    text: str
    reason: str


@transaction.atomic
def project_create(
    *,
    user: User,
    organisation: Organisation,
    title: str,
    purpose: str,
    visibility: str,
    can_influence: list[str] | None = None,
    fixed: list[FixedLine] | None = None,
    budget_amount: Decimal | None = None,
    budget_currency: str = "GBP",
    form_token: uuid.UUID | None = None,
) -> Project:
    if not OrganisationMembership.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError(_("Only staff of the organisation can start a project for it."))
    claim_token(form_token)
    project = Project(
        organisation=organisation,
        title=title,
        slug=_unique_slug(Project, title, unguessable=visibility == ProjectVisibility.UNLISTED),
        purpose=purpose,
        visibility=visibility,
        budget_amount=budget_amount,
        budget_currency=budget_currency,
        created_by=user,
    )
    project.full_clean(exclude=["slug"])  # the slug's uniqueness is the database's to decide (a race)
    _save_new_with_slug(project, title)
    Membership.objects.create(project=project, user=user, role=MemberRole.FACILITATOR)
    StepCheck.objects.bulk_create([StepCheck(project=project, step=key) for key, _n in frameworks.STEP_CHOICES])
    for position, text in enumerate(can_influence or []):
        ScopeItem.objects.create(project=project, kind=ScopeKind.CAN, text=text, position=position)
    for position, line in enumerate(fixed or []):
        if not line.reason.strip():
            raise ValidationError(_("Every fixed line needs a reason: “%(text)s”.") % {"text": line.text})
        ScopeItem.objects.create(
            project=project, kind=ScopeKind.FIXED, text=line.text, reason=line.reason, position=position
        )
    forget_roles(user)
    activity.record(verb="projects.created", actor=user, project=project, target=project)
    return project


@transaction.atomic
def project_update(*, user: User, project: Project, changes: dict[str, Any]) -> Project:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    changed = [name for name, value in changes.items() if getattr(project, name) != value]
    if not changed:
        return project
    for name in changed:
        setattr(project, name, changes[name])
    if "visibility" in changed and project.visibility == ProjectVisibility.UNLISTED:
        # Becoming unlisted: the old, readable address stops working.
        project.slug = _unique_slug(Project, project.title, unguessable=True)
    validate_decision_settings(project.voting_roles, project.vote_weights)
    project.full_clean(exclude=["slug"])
    project.save()
    activity.record(
        verb="projects.updated",
        actor=user,
        project=project,
        target=project,
        data={"fields": ", ".join(sorted(changed))},
    )
    return project


def validate_decision_settings(voting_roles: Any, vote_weights: Any) -> None:
    allowed = {r.value for r in (Role.PARTICIPANT, Role.EXPERT, Role.FACILITATOR, Role.OBSERVER)}
    if not isinstance(voting_roles, list) or not voting_roles or not set(voting_roles) <= allowed:
        raise ValidationError({"voting_roles": _("Choose at least one role that may vote.")})
    if not isinstance(vote_weights, dict):
        raise ValidationError({"vote_weights": _("Vote weights must map roles to whole numbers.")})
    for role, weight in vote_weights.items():
        if role not in allowed or not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 10:
            raise ValidationError({"vote_weights": _("Each vote weight must be a whole number from 1 to 10.")})


# --- Scope of influence: edited only by agreement ---------------------------------------------------


def scope_needs_agreement(project: Project) -> bool:
    """Once participants have joined, the scope changes only when both sides agree.

    Before that (while staff draft the project) facilitators edit it directly; every change is still
    recorded in the activity log and on the scope page's history.
    """
    return Membership.objects.filter(project=project, role=MemberRole.PARTICIPANT).exists()


def _apply_scope_change(change: ScopeChange) -> None:
    now = timezone.now()
    if change.item_id is not None:
        current = ScopeItem.objects.select_for_update().get(pk=change.item_id)
        if current.removed_at is not None:
            # Another agreed change has already replaced or removed this line: this one is overtaken.
            change.status = ScopeChange.Status.NOT_AGREED
            change.outcome_note = str(_("Overtaken: another agreed change had already changed this line."))
            change.decided_at = now
            change.save()
            return
        change.item = current
    if change.action == ScopeChange.Action.ADD:
        position = ScopeItem.objects.filter(project=change.project, kind=change.kind).count()
        change.item = ScopeItem.objects.create(
            project=change.project, kind=change.kind, text=change.text, reason=change.reason, position=position
        )
    elif change.action == ScopeChange.Action.EDIT:
        assert change.item is not None
        # The old wording is kept: the edited line is a new item, and the old one is marked removed.
        old = change.item
        old.removed_at = now
        old.save(update_fields=["removed_at"])
        change.item = ScopeItem.objects.create(
            project=change.project, kind=change.kind, text=change.text, reason=change.reason, position=old.position
        )
    else:
        assert change.item is not None
        change.item.removed_at = now
        change.item.save(update_fields=["removed_at"])
    change.status = ScopeChange.Status.AGREED
    change.decided_at = now
    change.save()
    activity.record(
        verb="projects.scope_changed",
        actor=None,
        project=change.project,
        target=change,
        data={"change": change.get_action_display()},
    )
    notify.members(change.project, "projects/email/scope_changed", {"change_id": change.pk})


def _validate_line(kind: str, text: str, reason: str) -> None:
    if kind not in ScopeKind.values:
        raise ValidationError(_("Choose whether the line can be influenced or is fixed."))
    if not text.strip():
        raise ValidationError(_("Say what the line is."))
    if kind == ScopeKind.FIXED and not reason.strip():
        raise ValidationError(_("A fixed line needs a reason, so people understand why they cannot change it."))


@transaction.atomic
def scope_change_propose(
    *,
    user: User,
    project: Project,
    action: str,
    kind: str = "",
    text: str = "",
    reason: str = "",
    explanation: str = "",
    item: ScopeItem | None = None,
    form_token: uuid.UUID | None = None,
) -> ScopeChange:
    if action not in ScopeChange.Action.values:
        raise ValidationError(_("Choose whether to add, change or remove a line."))
    if action in (ScopeChange.Action.EDIT, ScopeChange.Action.REMOVE):
        if item is None or item.project_id != project.pk or item.removed_at is not None:
            raise ValidationError(_("Choose a current line of this project's scope."))
        kind = kind or item.kind
        if action == ScopeChange.Action.REMOVE:
            text, reason = item.text, item.reason
    _validate_line(kind, text, reason)
    claim_token(form_token)
    change = ScopeChange.objects.create(
        project=project,
        action=action,
        item=item,
        kind=kind,
        text=text.strip(),
        reason=reason.strip(),
        explanation=explanation.strip(),
        proposed_by=user,
    )
    if not scope_needs_agreement(project):
        _apply_scope_change(change)
        return change
    activity.record(
        verb="projects.scope_proposed", actor=user, project=project, target=change, visibility=Visibility.MEMBERS
    )
    # The proposer agrees with their own proposal.
    ScopeChangeResponse.objects.create(change=change, user=user, role=_member_role(project, user), agrees=True)
    notify.members(project, "projects/email/scope_proposed", {"change_id": change.pk}, exclude=user)
    _settle(change)
    return change


def _member_role(project: Project, user: User) -> str:
    return Membership.objects.get(project=project, user=user).role


def scope_change_is_agreed(change: ScopeChange) -> bool:
    """Agreed when at least one facilitator and one participant agree, and nobody objects.

    Both sides of the partnership must say yes; any standing objection holds the change until it is
    answered (the objector can change their response) or the change is closed as not agreed.
    Only current members count: someone who has stepped back neither agrees nor blocks.
    """
    current = dict(Membership.objects.filter(project_id=change.project_id).values_list("user_id", "role"))
    responses = list(change.responses.all())
    # An objection stands while its author is a member, whatever their role now.
    if any(not r.agrees and r.user_id in current for r in responses):
        return False
    # An agreement counts only while its author holds the role they answered in: someone whose role has
    # changed since must answer again (and both the role change and the new answer are in the log).
    roles = {r.role for r in responses if r.agrees and current.get(r.user_id) == r.role}
    return Role.FACILITATOR.value in roles and Role.PARTICIPANT.value in roles


def _resettle_open_changes(project: Project) -> None:
    """After a role change or a departure, open changes may now be agreed."""
    for change in ScopeChange.objects.select_for_update().filter(project=project, status=ScopeChange.Status.OPEN):
        _settle(change)


def _settle(change: ScopeChange) -> None:
    if change.status == ScopeChange.Status.OPEN and scope_change_is_agreed(change):
        _apply_scope_change(change)


@transaction.atomic
def scope_change_respond(*, user: User, change: ScopeChange, agrees: bool, comment: str = "") -> ScopeChange:
    change = ScopeChange.objects.select_for_update().get(pk=change.pk)
    if change.status != ScopeChange.Status.OPEN:
        raise ValidationError(_("This change is already closed."))
    if not agrees and not comment.strip():
        raise ValidationError(_("Please say why you object, so others can answer it."))
    ScopeChangeResponse.objects.update_or_create(
        change=change,
        user=user,
        defaults={"agrees": agrees, "comment": comment.strip(), "role": _member_role(change.project, user)},
    )
    activity.record(
        verb="projects.scope_responded",
        actor=user,
        project=change.project,
        target=change,
        visibility=Visibility.MEMBERS,
    )
    _settle(change)
    return change


@transaction.atomic
def scope_change_close(*, user: User, change: ScopeChange, note: str, withdraw: bool = False) -> ScopeChange:
    change = ScopeChange.objects.select_for_update().get(pk=change.pk)
    if change.status != ScopeChange.Status.OPEN:
        raise ValidationError(_("This change is already closed."))
    if withdraw and change.proposed_by_id != user.pk:
        raise ValidationError(_("Only the person who proposed a change can withdraw it."))
    if not withdraw and not note.strip():
        raise ValidationError(_("Say why the change was not agreed."))
    change.status = ScopeChange.Status.WITHDRAWN if withdraw else ScopeChange.Status.NOT_AGREED
    change.outcome_note = note.strip()
    change.decided_at = timezone.now()
    change.save()
    verb = "projects.scope_withdrawn" if withdraw else "projects.scope_not_agreed"
    activity.record(verb=verb, actor=user, project=change.project, target=change, visibility=Visibility.MEMBERS)
    notify.members(change.project, "projects/email/scope_closed", {"change_id": change.pk}, exclude=user)
    return change


# --- Timeline, self-assessments, steps ----------------------------------------------------------


@transaction.atomic
def phase_add(
    *,
    user: User,
    project: Project,
    name: str,
    starts_on: date,
    ends_on: date,
    description: str = "",
    form_token: uuid.UUID | None = None,
) -> Phase:
    if ends_on < starts_on:
        raise ValidationError(_("A phase cannot end before it starts."))
    claim_token(form_token)
    phase = Phase.objects.create(
        project=project, name=name, description=description, starts_on=starts_on, ends_on=ends_on
    )
    activity.record(verb="projects.phase_added", actor=user, project=project, target=phase)
    return phase


@transaction.atomic
def phase_remove(*, user: User, phase: Phase) -> None:
    activity.record(verb="projects.phase_removed", actor=user, project=phase.project, target=phase)
    phase.delete()


@transaction.atomic
def engagement_set(*, user: User, project: Project, answers: dict[str, str], level: str) -> Project:
    if frameworks.level(level) is None:
        raise ValidationError(_("Choose a level on the spectrum."))
    valid = {q.key: {k for k, _t in q.options} for q in frameworks.ENGAGEMENT_QUESTIONS}
    answers = {k: v for k, v in answers.items() if k in valid and v in valid[k]}
    project.engagement_answers = answers
    project.engagement_level = level
    project.save(update_fields=["engagement_answers", "engagement_level", "updated_at"])
    activity.record(verb="projects.engagement_set", actor=user, project=project, target=project, data={"level": level})
    return project


@transaction.atomic
def cynefin_set(*, user: User, project: Project, answers: dict[str, bool]) -> Project:
    project.cynefin_answers = {k: bool(answers.get(k)) for k, _q in frameworks.CYNEFIN_QUESTIONS}
    project.cynefin_domain = frameworks.cynefin_domain(project.cynefin_answers)
    project.save(update_fields=["cynefin_answers", "cynefin_domain", "updated_at"])
    activity.record(
        verb="projects.cynefin_set",
        actor=user,
        project=project,
        target=project,
        data={"domain": project.cynefin_domain},
    )
    return project


@transaction.atomic
def step_update(*, user: User, project: Project, step: str, done: bool, evidence: str) -> StepCheck:
    if step not in dict(frameworks.STEP_CHOICES):
        raise ValidationError(_("Unknown step."))
    if done and not evidence.strip():
        raise ValidationError(_("Add a note of the evidence before ticking a step as done."))
    check, _c = StepCheck.objects.get_or_create(project=project, step=step)
    check.done, check.evidence = done, evidence.strip()
    check.save()
    activity.record(
        verb="projects.step_updated",
        actor=user,
        project=project,
        target=project,
        data={"step": step},
        visibility=Visibility.MEMBERS,
    )
    return check


# --- Membership and invitations --------------------------------------------------------------------


class InvitationError(Exception):
    """An invitation that cannot be used: expired, withdrawn, already used, or unknown. Shown as 410."""


class AlreadyMember(InvitationError):
    """The person is already a member: the invitation is left unused, for someone else."""


@transaction.atomic
def invitation_create(
    *, user: User, project: Project, email: str, role: str, message: str = "", form_token: uuid.UUID | None = None
) -> Invitation:
    if role not in MemberRole.values:
        raise ValidationError(_("Choose a role."))
    claim_token(form_token)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        project=project,
        email=email.strip().lower(),
        role=role,
        message=message.strip(),
        token_hash=hash_token(token),
        invited_by=user,
        expires_at=timezone.now() + timedelta(days=settings.COPRO_INVITATION_DAYS),
    )
    activity.record(
        verb="projects.invited",
        actor=user,
        project=project,
        target=project,
        data={"role": role},
        visibility=Visibility.STAFF,
    )
    notify.invitation(invitation, accept_url=settings.SITE_URL + reverse("projects:invitation", args=[token]))
    return invitation


def invitation_for_token(token: str) -> Invitation:
    invitation = Invitation.objects.select_related("project", "invited_by").filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid. Check that you copied all of it."))
    return invitation


def invitation_check(invitation: Invitation) -> None:
    if invitation.revoked_at is not None:
        raise InvitationError(_("This invitation was withdrawn by the project's facilitators."))
    if invitation.accepted_at is not None:
        raise InvitationError(
            _("This invitation has already been used. Ask the facilitator for a new one if you need it.")
        )
    if invitation.is_expired:
        raise InvitationError(_("This invitation has expired. Ask the facilitator to send you a new one."))


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    invitation_check(invitation)
    existing = Membership.objects.filter(project=invitation.project, user=user).first()
    if existing:
        raise AlreadyMember(
            _("You are already a member of this project, as %(role)s. The invitation has not been used.")
            % {"role": existing.get_role_display()}
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    try:
        with transaction.atomic():
            membership = Membership.objects.create(project=invitation.project, user=user, role=invitation.role)
    except IntegrityError:
        return Membership.objects.get(project=invitation.project, user=user)
    forget_roles(user)
    activity.record(
        verb="projects.joined",
        actor=user,
        project=invitation.project,
        target=invitation.project,
        data={"role": invitation.role},
        visibility=Visibility.MEMBERS,
    )
    return membership


@transaction.atomic
def invitation_revoke(*, user: User, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used; change the member's role instead."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        activity.record(
            verb="projects.invitation_withdrawn",
            actor=user,
            project=invitation.project,
            target=invitation.project,
            data={"role": invitation.role},
            visibility=Visibility.STAFF,
        )
    return invitation


@transaction.atomic
def membership_change_role(*, user: User, membership: Membership, role: str) -> Membership:
    if role not in MemberRole.values:
        raise ValidationError(_("Choose a role."))
    if membership.role == MemberRole.FACILITATOR and role != MemberRole.FACILITATOR:
        _ensure_another_facilitator(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    forget_roles(membership.user)
    _resettle_open_changes(membership.project)
    activity.record(
        verb="projects.role_changed",
        actor=user,
        project=membership.project,
        target=membership.project,
        data={"role": role},
        visibility=Visibility.MEMBERS,
    )
    return membership


def _ensure_another_facilitator(membership: Membership) -> None:
    others = Membership.objects.filter(project=membership.project, role=MemberRole.FACILITATOR).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise ValidationError(_("A project needs at least one facilitator. Make someone else a facilitator first."))


@transaction.atomic
def membership_leave(*, user: User, project: Project) -> None:
    """Anyone may step back. What they contributed stays; their membership ends."""
    membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
    if membership is None:
        return
    if membership.role == MemberRole.FACILITATOR:
        _ensure_another_facilitator(membership)
    activity.record(verb="projects.left", actor=user, project=project, target=project, visibility=Visibility.MEMBERS)
    membership.delete()
    forget_roles(user)
    _resettle_open_changes(project)
