from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from copro.core.forms import errors_to_form, run_service
from copro.core.paging import page_of
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.projects.access import check
from copro.projects.models import Project
from copro.projects.views import page, project_view
from copro.updates import access, selectors, services
from copro.updates.forms import FrequencyForm, SubscribeForm, UpdateForm
from copro.updates.models import Subscription

UPDATES_PER_PAGE = 10


def _publish_form(project: Project, role: Role, data: Any = None) -> UpdateForm | None:
    """The publish form, for those who may publish (with the project's consultations to choose from)."""
    if not TABLE.allowed(role, "updates.publish"):
        return None
    return UpdateForm(data, consultations=selectors.consultations_to_choose(project))


@project_view("updates.view")
def update_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = _publish_form(project, role)
    if request.method == "POST":
        check(request.user, project, "updates.publish")
        form = _publish_form(project, role, request.POST)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_publish(
                    user=actor(request),
                    project=project,
                    title=data["title"],
                    body=data["body"],
                    visibility=data["visibility"],
                    consultation=selectors.consultation_of(project, data.get("about")),
                    form_token=data["form_token"],
                )
            except ValidationError as error:
                errors_to_form(form, error)
            else:
                messages.success(request, _("The update is published. Subscribers will get it by email shortly."))
                return redirect("updates:list", project.slug)
    return _list_page(request, project, role, form=form, subscribe_form=SubscribeForm())


def _list_page(
    request: HttpRequest, project: Project, role: Role, *, form: UpdateForm | None, subscribe_form: SubscribeForm
) -> HttpResponse:
    return page(
        request,
        "updates/list.html",
        project,
        role,
        status=400 if (form is not None and form.errors) or subscribe_form.errors else 200,
        form=form,
        subscribe_form=subscribe_form,
        updates=page_of(request, selectors.updates_for(project, role), UPDATES_PER_PAGE),
    )


@project_view("updates.view")
def update_detail(request: HttpRequest, project: Project, role: Role, update_id: int) -> HttpResponse:
    update = selectors.updates_for(project, role).filter(pk=update_id).first()
    if update is None:
        raise Http404
    return page(request, "updates/detail.html", project, role, update=update)


@project_view("updates.subscribe")
def subscribe(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    """Subscribe to the project's updates, or with `consultation` (a hidden field, or `?consultation=<id>`
    in a link from a consultation's page) to the updates about one consultation only."""
    raw_id = request.POST.get("consultation", request.GET.get("consultation"))
    consultation = access.consultation_to_follow(project, raw_id)
    if request.method != "POST":
        form = SubscribeForm(initial={"consultation": consultation.pk if consultation else None})
        return page(request, "updates/subscribe.html", project, role, form=form, consultation=consultation)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        if consultation is None:  # sent from the project's Updates page: show it again, with the error
            return _list_page(request, project, role, form=_publish_form(project, role), subscribe_form=form)
        return page(request, "updates/subscribe.html", project, role, status=400, form=form, consultation=consultation)
    if not ratelimit.consume(request, action="updates_subscribe"):
        return ratelimit.respond_429(request)
    services.subscribe(
        project=project,
        email=form.cleaned_data["email"],
        language=get_language() or "en",
        consultation=consultation,
        frequency=form.cleaned_data["frequency"],
    )
    return page(request, "updates/check_email.html", project, role, consultation=consultation)


def _subscription(token: str) -> Subscription:
    subscription = Subscription.objects.select_related("project", "consultation").filter(token=token).first()
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


def manage(request: HttpRequest, token: str) -> HttpResponse:
    """Reached from the link in every email: choose how often, or stop the emails."""
    subscription = _subscription(token)
    form = FrequencyForm(initial={"frequency": subscription.frequency})
    if request.method == "POST" and subscription.is_active:
        form = FrequencyForm(request.POST)
        if form.is_valid() and run_service(
            request,
            form,
            lambda: services.subscription_set_frequency(
                subscription=subscription, frequency=form.cleaned_data["frequency"]
            ),
            _("Saved. You will get updates the way you chose."),
        ):
            return redirect("updates:manage", token)
    status = 400 if form.errors else 200
    return render(request, "updates/manage.html", {"subscription": subscription, "form": form}, status=status)
