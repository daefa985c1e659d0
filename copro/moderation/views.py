"""Moderation pages. Thin: load through access, validate with a form, change through a service."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from copro.core.forms import DuplicateSubmission, errors_to_form, run_service
from copro.core.paging import page_of
from copro.core.permissions import Role
from copro.core.views import actor
from copro.moderation import selectors, services
from copro.moderation.access import MANAGE, REPORT, get_item_for_user
from copro.moderation.forms import HideForm, ReportForm
from copro.projects.access import get_project_for_user
from copro.projects.models import Project
from copro.projects.views import page, project_view

GROUPS_PER_PAGE = 20


def report(request: HttpRequest, slug: str, kind: str, object_id: int) -> HttpResponse:
    """Anyone who can see an item can report it, signed in or not."""
    project, role, reportable, item = get_item_for_user(request.user, slug, kind, object_id, REPORT)
    form = ReportForm(request.POST or None)
    context = {
        "reportable": reportable,
        "item": item,
        "text": reportable.text_of(item),
        "item_url": reportable.url_of(item, project),
    }
    if request.method == "POST" and form.is_valid():
        if not ratelimit.consume(request, action="moderation_report"):
            return ratelimit.respond_429(request)
        try:
            services.report_create(
                project=project,
                kind=kind,
                object_id=object_id,
                reason=form.cleaned_data["reason"],
                reporter=request.user if request.user.is_authenticated else None,
                form_token=form.cleaned_data["form_token"],
            )
        except DuplicateSubmission:
            pass  # the first submission was filed: thank them for it
        except ValidationError as error:
            errors_to_form(form, error)
        if not form.errors:
            return page(request, "moderation/reported.html", project, role, **context)
    return page(
        request, "moderation/report.html", project, role, status=400 if form.errors else 200, form=form, **context
    )


@project_view("moderation.view_rules")
def rules(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    return page(request, "moderation/rules.html", project, role)


@project_view(MANAGE)
def queue(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    groups = page_of(request, selectors.open_groups(project), GROUPS_PER_PAGE)
    return page(
        request,
        "moderation/queue.html",
        project,
        role,
        groups=groups,
        items=selectors.queue_items(project, list(groups.object_list)),
        hidden=selectors.hidden_items(project),
    )


def hide(request: HttpRequest, slug: str, kind: str, object_id: int) -> HttpResponse:
    """GET: the item and the reason form. POST: hide it (the queue's inline form posts here too)."""
    project, role, reportable, item = get_item_for_user(request.user, slug, kind, object_id, MANAGE)
    form = HideForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.content_hide(
                user=actor(request), project=project, kind=kind, object_id=object_id, reason=form.cleaned_data["reason"]
            ),
            _("It is hidden, and its reports are closed. The author is told why by email."),
        )
    ):
        return redirect("moderation:queue", project.slug)
    return page(
        request,
        "moderation/hide.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        reportable=reportable,
        item=item,
        text=reportable.text_of(item),
        item_url=reportable.url_of(item, project),
        reports=selectors.open_reports(project, kind, object_id),
    )


@require_POST
def keep(request: HttpRequest, slug: str, kind: str, object_id: int) -> HttpResponse:
    # Not loaded through the item: an item removed since it was reported can still have its reports closed.
    project, _role = get_project_for_user(request.user, slug, MANAGE)
    report = selectors.first_open_report(project, kind, object_id)
    if report is None:
        raise Http404
    services.content_keep(user=actor(request), report=report)
    messages.success(request, _("Kept. Its reports are closed; it stays as it is."))
    return redirect("moderation:queue", project.slug)


@require_POST
def unhide(request: HttpRequest, slug: str, kind: str, object_id: int) -> HttpResponse:
    project, _role, _reportable, _item = get_item_for_user(request.user, slug, kind, object_id, MANAGE)
    services.content_unhide(user=actor(request), project=project, kind=kind, object_id=object_id)
    messages.success(request, _("It is shown again. The author is told by email."))
    return redirect("moderation:queue", project.slug)
