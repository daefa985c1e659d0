from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from copro.core.paging import page_of
from copro.core.permissions import Role
from copro.core.views import actor
from copro.projects.access import check
from copro.projects.models import Project
from copro.projects.views import page, project_view
from copro.updates import selectors, services
from copro.updates.forms import SubscribeForm, UpdateForm
from copro.updates.models import Subscription

UPDATES_PER_PAGE = 10


@project_view("updates.view")
def update_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = UpdateForm()
    if request.method == "POST":
        check(request.user, project, "updates.publish")
        form = UpdateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_publish(
                    user=actor(request),
                    project=project,
                    title=data["title"],
                    body=data["body"],
                    visibility=data["visibility"],
                    form_token=data["form_token"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The update is published. Subscribers will get it by email shortly."))
                return redirect("updates:list", project.slug)
    return page(
        request,
        "updates/list.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        subscribe_form=SubscribeForm(),
        updates=page_of(request, selectors.updates_for(project, role), UPDATES_PER_PAGE),
    )


@project_view("updates.view")
def update_detail(request: HttpRequest, project: Project, role: Role, update_id: int) -> HttpResponse:
    update = selectors.updates_for(project, role).filter(pk=update_id).first()
    if update is None:
        raise Http404
    return page(request, "updates/detail.html", project, role, update=update)


@require_POST
@project_view("updates.subscribe")
def subscribe(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return page(
            request,
            "updates/list.html",
            project,
            role,
            status=400,
            form=UpdateForm(),
            subscribe_form=form,
            updates=page_of(request, selectors.updates_for(project, role), UPDATES_PER_PAGE),
        )
    if not ratelimit.consume(request, action="updates_subscribe"):
        return ratelimit.respond_429(request)
    services.subscribe(project=project, email=form.cleaned_data["email"], language=get_language() or "en")
    return page(request, "updates/check_email.html", project, role)


def _subscription(token: str) -> Subscription:
    subscription = Subscription.objects.select_related("project").filter(token=token).first()
    if subscription is None:
        raise Http404
    return subscription


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation email shows a button; pressing it confirms (link scanners only GET)."""
    subscription = _subscription(token)
    if request.method == "POST":
        services.subscription_confirm(subscription=subscription)
        if subscription.is_active:
            return render(request, "updates/confirmed.html", {"subscription": subscription})
    # Pending: the button. Already confirmed, or unsubscribed since this link was sent: say so.
    return render(request, "updates/confirm.html", {"subscription": subscription})


@csrf_exempt  # RFC 8058: mail programs POST "List-Unsubscribe=One-Click" with no cookie; the token is the secret.
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscription = _subscription(token)
    if request.method == "POST":
        services.unsubscribe(subscription=subscription)
        return render(request, "updates/unsubscribed.html", {"subscription": subscription})
    return render(request, "updates/unsubscribe.html", {"subscription": subscription})
