"""Project pages. Thin: load through access, validate with a form, change through a service."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from copro.core import activity
from copro.core.components import registry
from copro.core.csvfiles import Echo, csv_response, safe
from copro.core.forms import errors_to_form, run_service
from copro.core.models import Visibility
from copro.core.paging import page_of
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.projects import frameworks, selectors, services
from copro.projects.access import can_create_project_in, check, get_project_for_user
from copro.projects.forms import (
    CynefinForm,
    DecisionRulesForm,
    EngagementForm,
    InviteForm,
    OrganisationForm,
    PhaseForm,
    ProjectCreateForm,
    ProjectEditForm,
    RoleForm,
    ScopeProposeForm,
    ScopeRespondForm,
    StepForm,
)
from copro.projects.models import Invitation, Membership, Organisation, Phase, Project, ScopeChange

View = Callable[..., HttpResponseBase]


def project_view(action: str = "projects.view") -> Callable[[View], View]:
    """Load the project named in the URL through the access function, for this action."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            project, role = get_project_for_user(request.user, slug, action)
            return view(request, project, role, *args, **kwargs)

        return wrapper

    return decorator


def page(
    request: HttpRequest, template: str, project: Project, role: Role, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "project": project,
        "role": role,
        "perms": selectors.allowed_actions(role),
        "nav": selectors.nav(project, role),
        **extra,
    }
    return render(request, template, context, status=status)


# --- Organisations and project creation --------------------------------------------------------


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = services.organisation_create(
            user=actor(request),
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            form_token=form.cleaned_data["form_token"],
        )
        messages.success(
            request, _("%(name)s is registered. You are its first member of staff.") % {"name": organisation.name}
        )
        return redirect("projects:create")
    return render(request, "projects/organisation_form.html", {"form": form}, status=400 if form.errors else 200)


def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    projects = [p for p in selectors.projects_listed(request.user) if p.organisation_id == organisation.pk]
    is_staff = request.user.is_authenticated and organisation.memberships.filter(user=actor(request)).exists()
    return render(
        request,
        "projects/organisation_detail.html",
        {"organisation": organisation, "projects": projects, "is_staff": is_staff},
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    if not actor(request).organisation_memberships.exists():
        return render(request, "projects/needs_organisation.html", status=403)
    form = ProjectCreateForm(request.POST or None, user=actor(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not can_create_project_in(request.user, data["organisation"].pk):
            raise PermissionDenied
        try:
            project = services.project_create(
                user=actor(request),
                organisation=data["organisation"],
                title=data["title"],
                purpose=data["purpose"],
                visibility=data["visibility"],
                budget_amount=data["budget_amount"],
                budget_currency=data["budget_currency"],
                can_influence=data["can_influence"],
                fixed=[services.FixedLine(text, reason) for text, reason in data["fixed"]],
                form_token=data["form_token"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Your project is ready. Next, invite people to join it."))
            return redirect("projects:detail", project.slug)
    return render(request, "projects/project_create.html", {"form": form}, status=400 if form.errors else 200)


# --- The project page and its parts ---------------------------------------------------------------


@project_view()
def project_detail(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    return page(request, "projects/project_detail.html", project, role, **selectors.project_overview(project, role))


@project_view("projects.edit")
def project_edit(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = ProjectEditForm(request.POST or None, instance=Project.objects.get(pk=project.pk))
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.project_update(
                user=actor(request),
                project=project,
                changes={k: form.cleaned_data[k] for k in ProjectEditForm.Meta.fields},
            ),
            _("The project details are saved."),
        )
    ):
        return redirect("projects:detail", project.slug)
    return page(request, "projects/project_edit.html", project, role, status=400 if form.errors else 200, form=form)


@project_view()
def scope(request: HttpRequest, project: Project, role: Role) -> HttpResponseBase:
    propose_form = ScopeProposeForm(project=project)
    if request.method == "POST":
        check(request.user, project, "projects.scope_propose")
        propose_form = ScopeProposeForm(request.POST, project=project)
        if propose_form.is_valid():
            data = propose_form.cleaned_data
            try:
                change = services.scope_change_propose(
                    user=actor(request),
                    project=project,
                    action=data["action"],
                    kind=data["kind"],
                    text=data["text"],
                    reason=data["reason"],
                    explanation=data["explanation"],
                    item=data["item"],
                    form_token=data["form_token"],
                )
            except ValidationError as error:
                errors_to_form(propose_form, error)
            else:
                if change.status == ScopeChange.Status.AGREED:
                    messages.success(request, _("The scope is updated, and members have been told."))
                else:
                    messages.success(
                        request,
                        _("Your proposal is shared. It takes effect when both facilitators and participants agree."),
                    )
                return redirect("projects:scope", project.slug)
    return scope_page(request, project, role, propose_form, status=400 if propose_form.errors else 200)


def scope_page(
    request: HttpRequest, project: Project, role: Role, propose_form: ScopeProposeForm | None = None, status: int = 200
) -> HttpResponseBase:
    """The scope page; also shown with a 400 and the message when a response or closing was refused."""
    return page(
        request,
        "projects/scope.html",
        project,
        role,
        status=status,
        propose_form=propose_form or ScopeProposeForm(project=project),
        needs_agreement=services.scope_needs_agreement(project),
        **selectors.scope_context(project, request.user),
    )


def _load_change(project: Project, change_id: int) -> ScopeChange:
    change = ScopeChange.objects.filter(project=project, pk=change_id).first()
    if change is None:
        raise Http404
    return change


@require_POST
@project_view("projects.scope_respond")
def scope_respond(request: HttpRequest, project: Project, role: Role, change_id: int) -> HttpResponseBase:
    change = _load_change(project, change_id)
    form = ScopeRespondForm(request.POST)
    if form.is_valid():
        try:
            services.scope_change_respond(
                user=actor(request),
                change=change,
                agrees=form.cleaned_data["agrees"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return scope_page(request, project, role, status=400)
        messages.success(request, _("Your response is recorded."))
        return redirect("projects:scope", project.slug)
    return page(request, "projects/scope_respond.html", project, role, status=400, form=form, change=change)


@require_POST
@project_view("projects.view")
def scope_close(request: HttpRequest, project: Project, role: Role, change_id: int) -> HttpResponseBase:
    change = _load_change(project, change_id)
    withdraw = request.POST.get("withdraw") == "1"
    # Withdrawing is for a proposer who can still propose; closing as not agreed is for facilitators.
    check(request.user, project, "projects.scope_propose" if withdraw else "projects.scope_decide")
    note = request.POST.get("note", "")[:2000]
    try:
        services.scope_change_close(user=actor(request), change=change, note=note, withdraw=withdraw)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return scope_page(request, project, role, status=400)
    messages.success(request, _("The proposed change is closed."))
    return redirect("projects:scope", project.slug)


@project_view("projects.edit")
def timeline(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = PhaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.phase_add(
                user=actor(request),
                project=project,
                name=data["name"],
                description=data["description"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                form_token=data["form_token"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The phase is added to the timeline."))
            return redirect("projects:timeline", project.slug)
    return page(
        request,
        "projects/timeline.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        phases=project.phases.all(),
    )


@require_POST
@project_view("projects.edit")
def phase_remove(request: HttpRequest, project: Project, role: Role, phase_id: int) -> HttpResponse:
    phase = Phase.objects.filter(project=project, pk=phase_id).first()
    if phase is None:
        raise Http404
    services.phase_remove(user=actor(request), phase=phase)
    messages.success(request, _("The phase is removed."))
    return redirect("projects:timeline", project.slug)


@project_view("projects.edit")
def decision_rules(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    initial = {
        "decision_method": project.decision_method,
        "decision_rules": project.decision_rules,
        "voting_roles": project.voting_roles,
        **{
            f"weight_{r}": int(project.vote_weights.get(r, 1))
            for r in ("participant", "expert", "facilitator", "observer")
        },
    }
    form = DecisionRulesForm(request.POST or None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.project_update(
                user=actor(request),
                project=project,
                changes={
                    "decision_method": form.cleaned_data["decision_method"],
                    "decision_rules": form.cleaned_data["decision_rules"],
                    "voting_roles": form.cleaned_data["voting_roles"],
                    "vote_weights": form.vote_weights(),
                },
            ),
            _("The decision rules are saved."),
        )
    ):
        return redirect("projects:detail", project.slug)
    return page(request, "projects/decision_rules.html", project, role, status=400 if form.errors else 200, form=form)


@project_view("projects.edit")
def engagement(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    initial: dict[str, Any] = {f"q_{k}": v for k, v in project.engagement_answers.items()}
    initial["level"] = project.engagement_level
    form = EngagementForm(request.POST or None, initial=initial)
    suggestion = frameworks.suggest_engagement_level(project.engagement_answers)
    if request.method == "POST" and form.is_valid():
        answers = form.answers()
        suggestion = frameworks.suggest_engagement_level(answers)
        level = form.cleaned_data.get("level") or suggestion
        if "suggest" in request.POST or not level:
            if not answers:
                form.add_error(None, _("Answer at least one question to get a suggestion."))
            return page(
                request,
                "projects/engagement.html",
                project,
                role,
                status=400 if form.errors else 200,
                form=EngagementForm(initial={**{f"q_{k}": v for k, v in answers.items()}, "level": suggestion}),
                suggestion=suggestion,
                levels=frameworks.LEVELS,
            )
        services.engagement_set(user=actor(request), project=project, answers=answers, level=level)
        messages.success(request, _("The engagement level is saved."))
        return redirect("projects:detail", project.slug)
    return page(
        request,
        "projects/engagement.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        suggestion=suggestion,
        levels=frameworks.LEVELS,
    )


@project_view("projects.edit")
def cynefin(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    initial = {k: ("yes" if v else "no") for k, v in project.cynefin_answers.items()}
    form = CynefinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.cynefin_set(user=actor(request), project=project, answers=form.answers())
        messages.success(request, _("Saved. Read the advice for this kind of problem below."))
        return redirect(reverse("projects:detail", args=[project.slug]) + "#kind-of-problem")
    return page(
        request,
        "projects/cynefin.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        domains=frameworks.DOMAINS,
    )


@project_view("projects.view_dashboard")
def steps(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    checks = {c.step: c for c in project.steps.all()}
    if request.method == "POST":
        check(request.user, project, "projects.edit")
        form = StepForm(request.POST)
        if form.is_valid():
            try:
                services.step_update(
                    user=actor(request),
                    project=project,
                    step=form.cleaned_data["step"],
                    done=form.cleaned_data["done"],
                    evidence=form.cleaned_data["evidence"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("projects:steps", project.slug)
            messages.success(request, _("The step is saved."))
            return redirect("projects:steps", project.slug)
        messages.error(request, _("The step could not be saved. Check what you entered."))
    rows = []
    for key, name, help_text in frameworks.STEPS:
        c = checks.get(key)
        rows.append(
            {
                "key": key,
                "name": name,
                "help": help_text,
                "check": c,
            }
        )
    return page(request, "projects/steps.html", project, role, rows=rows)


# --- Members ---------------------------------------------------------------------------------------


@project_view("projects.view_members")
def members(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = InviteForm()
    if request.method == "POST":
        check(request.user, project, "projects.invite")
        form = InviteForm(request.POST)
        if not ratelimit.consume(request, action="project_invite", user=actor(request)):
            return ratelimit.respond_429(request)
        if form.is_valid():
            data = form.cleaned_data
            services.invitation_create(
                user=actor(request),
                project=project,
                email=data["email"],
                role=data["role"],
                message=data["message"],
                form_token=data["form_token"],
            )
            messages.success(request, _("The invitation is on its way."))
            return redirect("projects:members", project.slug)
    return page(
        request,
        "projects/members.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        **selectors.members_context(project, role),
    )


@require_POST
@project_view("projects.invite")
def invitation_revoke(request: HttpRequest, project: Project, role: Role, invitation_id: int) -> HttpResponse:
    invitation = Invitation.objects.filter(project=project, pk=invitation_id).first()
    if invitation is None:
        raise Http404
    try:
        services.invitation_revoke(user=actor(request), invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invitation is withdrawn: its link no longer works."))
    return redirect("projects:members", project.slug)


@require_POST
@project_view("projects.manage_members")
def member_role(request: HttpRequest, project: Project, role: Role, membership_id: int) -> HttpResponse:
    membership = Membership.objects.filter(project=project, pk=membership_id).select_related("user").first()
    if membership is None:
        raise Http404
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("projects:members", project.slug)
    try:
        services.membership_change_role(user=actor(request), membership=membership, role=form.cleaned_data["role"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The role is changed."))
    return redirect("projects:members", project.slug)


@require_POST
@project_view("projects.leave")
def leave(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    try:
        services.membership_leave(user=actor(request), project=project)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("projects:members", project.slug)
    messages.success(
        request, _("You have stepped back from %(project)s. Thank you for taking part.") % {"project": project.title}
    )
    return redirect("home")


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_for_token(token)
        services.invitation_check(invitation)
    except services.InvitationError as error:
        return render(request, "projects/invitation_invalid.html", {"message": str(error)}, status=410)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            membership = services.invitation_accept(user=actor(request), token=token)
        except services.AlreadyMember as error:
            messages.info(request, str(error))
            return redirect("projects:detail", invitation.project.slug)
        except services.InvitationError as error:
            return render(request, "projects/invitation_invalid.html", {"message": str(error)}, status=410)
        messages.success(request, _("Welcome! You have joined %(project)s.") % {"project": membership.project.title})
        return redirect(reverse("projects:scope", args=[membership.project.slug]))
    return render(
        request,
        "projects/invitation.html",
        {"invitation": invitation, "scope": selectors.current_scope(invitation.project)},
    )


# --- Activity, audit, dashboard, exports -------------------------------------------------------------


@project_view()
def activity_page(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    visibilities = [Visibility.PUBLIC]
    if TABLE.allowed(role, "projects.view_member_activity"):
        visibilities.append(Visibility.MEMBERS)
    entries = page_of(request, activity.visible_entries(project, visibilities), 50)
    return page(request, "projects/activity.html", project, role, entries=entries)


@project_view("projects.view_audit")
def audit(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    entries = page_of(request, activity.visible_entries(project, list(Visibility.values)), 100)
    return page(request, "projects/audit.html", project, role, entries=entries)


@project_view("projects.view_dashboard")
def dashboard(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    sections = [(c.label, c.dashboard(project, role)) for c in registry.all() if c.dashboard]
    exports = [e for c in registry.all() for e in c.exports if TABLE.allowed(role, e.action)]
    return page(request, "projects/dashboard.html", project, role, sections=sections, exports=exports)


@project_view()
def export(request: HttpRequest, project: Project, role: Role, name: str, fmt: str) -> HttpResponseBase:
    spec = registry.export(name)
    if spec is None or fmt not in ("csv", "json"):
        raise Http404
    check(request.user, project, spec.action)
    rows = spec.rows(project)
    filename = f"{project.slug}-{name}.{fmt}"
    if fmt == "json":
        response: HttpResponseBase = HttpResponse(
            json.dumps(list(rows), ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
        )
    else:

        def lines() -> Iterator[str]:
            writer = None
            for row in rows:
                if writer is None:
                    writer = csv.DictWriter(Echo(), fieldnames=list(row))
                    yield writer.writeheader()
                yield writer.writerow({k: safe(v) for k, v in row.items()})

        return csv_response(request, lines(), filename)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
