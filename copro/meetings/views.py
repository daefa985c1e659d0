"""Meeting pages. Thin: load through access, validate with a form, change through a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from copro.core.forms import DuplicateSubmission, errors_to_form, parse_id, run_service
from copro.core.paging import page_of
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.meetings import ical, selectors, services
from copro.meetings.access import (
    action_in,
    agenda_item_in,
    get_meeting_for_user,
    get_team_for_user,
    registration_in,
)
from copro.meetings.embed import webcast_embed_url
from copro.meetings.forms import (
    ATTENDANCE_PAGE,
    AccessNeedsForm,
    ActionForm,
    AgendaItemForm,
    AttendanceForm,
    CancelForm,
    EnterForm,
    MeetingForm,
    MinutesForm,
    NeedsMetForm,
    RegistrationForm,
    SuggestForm,
    TeamForm,
    TeamIdeaForm,
)
from copro.meetings.models import Meeting, MeetingStatus, Registration, RegistrationStatus, TeamMember
from copro.projects.access import get_project_for_user
from copro.projects.models import Membership, Project
from copro.projects.views import page, project_view

PEOPLE_IN_PICKER = 500  # the "who will do it" list shows at most this many members


def _detail(meeting: Meeting) -> HttpResponse:
    return redirect("meetings:detail", meeting.project.slug, meeting.pk)


def _optional_url(name: str, *args: Any) -> str:
    """A link to a page another app provides (the open space, the live feed), or "" if it is not there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- Lists and the calendar ------------------------------------------------------------------------


@project_view("meetings.view")
def meeting_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    upcoming, past = selectors.meetings_for_list(project, role)
    mine: dict[int, str] = {}
    if request.user.is_authenticated:
        mine = dict(
            Registration.objects.filter(user=request.user, meeting__project=project)
            .exclude(status=RegistrationStatus.CANCELLED)
            .values_list("meeting_id", "status")
        )
    for m in (*upcoming, *past):
        m.my_status = mine.get(m.pk, "")  # type: ignore[attr-defined]
        taken = m.registered_count  # type: ignore[attr-defined]
        m.places_left = None if m.capacity is None else max(m.capacity - taken, 0)  # type: ignore[attr-defined]
    return page(request, "meetings/list.html", project, role, upcoming=upcoming, past=past)


@project_view("meetings.view")
def calendar(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    months = selectors.calendar_months(project, role)
    return page(
        request,
        "meetings/calendar.html",
        project,
        role,
        months=months,
        now=timezone.now(),
        feed_url=_feed_url(request, project),
        personal=request.user.is_authenticated,
    )


def _feed_url(request: HttpRequest, project: Project) -> str:
    """The address to subscribe to: for someone signed in, their own (with their key: a calendar program
    cannot sign in, and a private project's meetings are for its members); for anyone else, the public one."""
    url = request.build_absolute_uri(reverse("meetings:calendar_ics", args=[project.slug]))
    if request.user.is_authenticated:
        url += "?" + urlencode({"key": services.calendar_key_for(actor(request), project)})
    return url


@require_POST
@project_view("meetings.view")
def calendar_new_address(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    services.calendar_key_renew(actor(request), project)
    messages.success(
        request, _("You have a new calendar address. The old one no longer works: put the new one in your calendar.")
    )
    return redirect("meetings:calendar", project.slug)


def _ics_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def calendar_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's meetings as iCalendar, for what the person may see: the one signed in, or the one whose
    calendar key is in the address (?key=). A wrong or old key is a 404, as for a project one may not see."""
    user: Any = request.user
    if "key" in request.GET:
        named = Project.objects.filter(slug=slug).first()
        user = services.user_for_calendar_key(request.GET["key"], named) if named is not None else None
        if user is None:
            raise Http404
    project, role = get_project_for_user(user, slug, "meetings.view")
    meetings = list(selectors.meetings_for_feed(project, role))
    for m in meetings:
        m.project = project
    text = ical.calendar([ical.event_lines(m) for m in meetings], name=project.title)
    response = _ics_response(text, f"{project.slug}-meetings.ics")
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def meeting_ics(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id)
    registration = selectors.registration_for(meeting, request.user)
    join = selectors.can_see_join_link(meeting, registration, role)
    return _ics_response(ical.meeting_calendar(meeting, include_join_link=join), ical.filename(meeting))


# --- Creating, changing, publishing, cancelling ----------------------------------------------------


@project_view("meetings.manage")
def meeting_create(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(
                user=actor(request),
                project=project,
                data=form.meeting_fields(),
                form_token=form.cleaned_data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("meetings:list", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Meeting saved. Add the agenda, then publish it so people can register."))
            return _detail(meeting)
    return page(request, "meetings/meeting_form.html", project, role, status=400 if form.errors else 200, form=form)


def meeting_edit(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
    names = [n for n in MeetingForm.base_fields if n != "form_token"]
    form = MeetingForm(request.POST or None, initial={n: getattr(meeting, n) for n in names})
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.meeting_edit(user=actor(request), meeting=meeting, data=form.meeting_fields()),
            _("Saved."),
        )
    ):
        return _detail(meeting)
    return page(
        request,
        "meetings/meeting_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        editing=meeting,
    )


@require_POST
def meeting_publish(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
    try:
        services.meeting_publish(user=actor(request), meeting=meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The meeting is published: people can see it and register."))
    return _detail(meeting)


def meeting_cancel(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
    form = CancelForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.meeting_cancel(user=actor(request), meeting=meeting, reason=form.cleaned_data["reason"]),
            _("The meeting is cancelled. Everyone registered is being told by email."),
        )
    ):
        return _detail(meeting)
    places = selectors.places(meeting)
    return page(
        request,
        "meetings/cancel.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        meeting=meeting,
        places=places,
    )


# --- The meeting page --------------------------------------------------------------------------------


def meeting_detail(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id)
    registration = selectors.registration_for(meeting, request.user)
    manage = TABLE.allowed(role, "meetings.manage")
    now = timezone.now()
    # Actions name people: others see them once the minutes are published (selectors.actions_visible).
    show_actions = selectors.actions_visible(meeting, role)
    actions = list(meeting.actions.select_related("assignee")) if show_actions else []
    teams = list(meeting.teams.all())
    return page(
        request,
        "meetings/detail.html",
        project,
        role,
        meeting=meeting,
        agenda=list(meeting.agenda_items.all()),
        places=selectors.places(meeting),
        registration=registration,
        waiting_position=selectors.waiting_position(registration) if registration else None,
        show_join_link=selectors.can_see_join_link(meeting, registration, role),
        embed_url=webcast_embed_url(meeting.webcast_url),
        is_past=meeting.ends_at < now,
        has_started=meeting.starts_at <= now,
        can_register=TABLE.allowed(role, "meetings.register"),
        is_observer=role == Role.OBSERVER,
        manage=manage,
        actions=actions,
        teams=teams,
        minutes_shown=bool(meeting.minutes and (meeting.minutes_published_at or manage)),
        sessions_url=_optional_url("unconference:sessions", project.slug, meeting.pk),
        live_url=_optional_url("live:feed", project.slug, meeting.pk),
    )


# --- Agenda ----------------------------------------------------------------------------------------


def agenda(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
    form = AgendaItemForm(request.POST or None)
    # A double submission (run_service says so, nothing is added twice) also goes back to the agenda.
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.agenda_item_add(user=actor(request), meeting=meeting, **form.cleaned_data),
            _("Added to the agenda."),
        )
    ):
        return redirect("meetings:agenda", project.slug, meeting.pk)
    return page(
        request,
        "meetings/agenda.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        items=list(meeting.agenda_items.all()),
        form=form,
    )


def agenda_item_edit(request: HttpRequest, slug: str, meeting_id: int, item_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
    item = agenda_item_in(meeting, item_id)
    names = [n for n in AgendaItemForm.base_fields if n != "form_token"]
    form = AgendaItemForm(request.POST or None, initial={n: getattr(item, n) for n in names})
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.agenda_item_edit(
                user=actor(request), item=item, **{n: form.cleaned_data[n] for n in names}
            ),
            _("Saved."),
        )
    ):
        return redirect("meetings:agenda", project.slug, meeting.pk)
    return page(
        request,
        "meetings/agenda_item_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        item=item,
        form=form,
    )


@require_POST
def agenda_item_move(request: HttpRequest, slug: str, meeting_id: int, item_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
    item = agenda_item_in(meeting, item_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Choose to move the item up or down."))
    else:
        services.agenda_item_move(user=actor(request), item=item, up=direction == "up")
        messages.success(request, _("Moved: “%(title)s”.") % {"title": item.title})
    return redirect(reverse("meetings:agenda", args=[project.slug, meeting.pk]) + f"#item-{item.pk}")


@require_POST
def agenda_item_remove(request: HttpRequest, slug: str, meeting_id: int, item_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
    item = agenda_item_in(meeting, item_id)
    services.agenda_item_remove(user=actor(request), item=item)
    messages.success(request, _("Removed from the agenda: “%(title)s”.") % {"title": item.title})
    return redirect("meetings:agenda", project.slug, meeting.pk)


# --- Registering -------------------------------------------------------------------------------------

OUTCOME_MESSAGES = {
    services.Outcome.REGISTERED: _("You are registered. We have sent you an email with the details."),
    services.Outcome.WAITLISTED: _(
        "The meeting is full, so you are on the waiting list. If a place comes free, it is yours and we will email you."
    ),
    services.Outcome.ALREADY_REGISTERED: _("You are already registered for this meeting. Nothing has changed."),
    services.Outcome.ALREADY_WAITLISTED: _("You are already on the waiting list for this meeting."),
}


def register(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    """The registration form (access needs), and changing one's access needs once registered."""
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.register")
    user = actor(request)
    registration = selectors.registration_for(meeting, user)
    active = registration is not None and registration.is_active
    if active:
        assert registration is not None
        initial = AccessNeedsForm.initial_from(registration)
    else:
        initial = {"other_needs": user.access_needs[:1000], "wants_reminders": True}
    form = RegistrationForm(request.POST or None, initial=initial)
    if request.method == "GET" and not active:
        try:
            services.check_open(meeting)
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
            return _detail(meeting)
    if request.method == "POST" and active and request.POST.get("intent") != "update":
        # The registration form sent again (a double click, the back button): the place is already there.
        assert registration is not None
        result = services.already(registration)
        messages.info(request, str(OUTCOME_MESSAGES[result.outcome]))
        return _detail(meeting)
    if request.method == "POST" and form.is_valid():
        try:
            if active:
                assert registration is not None
                services.registration_update(
                    registration=registration,
                    user=user,
                    needs=form.needs(),
                    wants_reminders=form.cleaned_data["wants_reminders"],
                )
            else:
                result = services.registration_create(
                    meeting=meeting, user=user, needs=form.needs(), wants_reminders=form.cleaned_data["wants_reminders"]
                )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if active:
                messages.success(request, _("Your access needs are saved. The facilitators will see them."))
            else:
                level = messages.success if result.created else messages.info
                level(request, str(OUTCOME_MESSAGES[result.outcome]))
            return _detail(meeting)
    return page(
        request,
        "meetings/register.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        form=form,
        registration=registration if active else None,
        places=selectors.places(meeting),
        from_profile=bool(user.access_needs) and not active,
    )


@require_POST
def unregister(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.register")
    registration = selectors.registration_for(meeting, actor(request))
    if registration is None or not registration.is_active:
        messages.info(request, _("You were not registered for this meeting."))
        return _detail(meeting)
    was_waiting = registration.status == RegistrationStatus.WAITLISTED
    services.registration_cancel(registration=registration, user=actor(request))
    if was_waiting:
        messages.success(request, _("You are off the waiting list."))
    else:
        messages.success(request, _("Your place is cancelled. Thank you for letting us know."))
    return _detail(meeting)


# --- Registrations, access needs (facilitators) ------------------------------------------------------------


def registrations(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.registrations")
    everyone = list(selectors.registrations_for_staff(meeting))
    return page(
        request,
        "meetings/registrations.html",
        project,
        role,
        meeting=meeting,
        registered=[r for r in everyone if r.status == RegistrationStatus.REGISTERED],
        waiting=[r for r in everyone if r.status == RegistrationStatus.WAITLISTED],
        cancelled=[r for r in everyone if r.status == RegistrationStatus.CANCELLED],
        needs=selectors.access_needs_breakdown(meeting, everyone),
        with_needs=[r for r in everyone if r.is_active and r.has_access_needs],
        places=selectors.places(meeting),
        can_enter=TABLE.allowed(role, "meetings.enter"),
    )


def register_someone(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.enter")
    form = EnterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.registration_enter(
                meeting=meeting,
                entered_by=actor(request),
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                channel=data["channel"],
                language=data["language"],
                needs=form.needs(),
                form_token=data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("meetings:registrations", project.slug, meeting.pk)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if result.outcome == services.Outcome.WAITLISTED:
                messages.info(
                    request, _("The meeting is full: %(name)s is on the waiting list.") % {"name": data["name"]}
                )
            else:
                messages.success(request, _("%(name)s is registered.") % {"name": data["name"]})
            return redirect("meetings:registrations", project.slug, meeting.pk)
    return page(
        request,
        "meetings/register_someone.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        form=form,
    )


@require_POST
def needs_met(request: HttpRequest, slug: str, meeting_id: int, registration_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.registrations")
    registration = registration_in(meeting, registration_id)
    form = NeedsMetForm(request.POST)
    met = request.POST.get("met") == "1"
    if not form.is_valid():
        messages.error(request, _("The note can be at most 500 characters long."))
    else:
        services.registration_needs_met(
            registration=registration, user=actor(request), met=met, note=form.cleaned_data["note"]
        )
        if met:
            messages.success(request, _("Marked as met: %(name)s.") % {"name": registration.display_name})
        else:
            messages.success(request, _("Marked as not met yet: %(name)s.") % {"name": registration.display_name})
    return redirect(reverse("meetings:registrations", args=[project.slug, meeting.pk]) + f"#needs-{registration.pk}")


@require_POST
def registration_cancel(request: HttpRequest, slug: str, meeting_id: int, registration_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.registrations")
    registration = registration_in(meeting, registration_id)
    was_active = registration.is_active
    promoted = services.registration_cancel(registration=registration, user=actor(request), by_staff=True)
    if not was_active:
        messages.info(request, _("The place of %(name)s was already cancelled.") % {"name": registration.display_name})
    elif registration.contact_email:
        messages.success(
            request,
            _("The place of %(name)s is cancelled. They are told by email.") % {"name": registration.display_name},
        )
    else:
        messages.success(
            request,
            _("The place of %(name)s is cancelled. We have no email address for them: please tell them yourself.")
            % {"name": registration.display_name},
        )
    if promoted is not None:
        messages.info(
            request,
            _("%(name)s, first on the waiting list, now has the place.") % {"name": promoted.display_name},
        )
    return redirect("meetings:registrations", project.slug, meeting.pk)


# --- Attendance ------------------------------------------------------------------------------------


def attendance(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    """Who came, one page of ATTENDANCE_PAGE people at a time (a save touches only the page shown)."""
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.attendance")
    everyone = (
        Registration.objects.filter(meeting=meeting)
        .exclude(status=RegistrationStatus.CANCELLED)
        .select_related("user")
        .order_by("status", "id")
    )
    people = page_of(request, everyone, ATTENDANCE_PAGE)
    form = AttendanceForm(request.POST or None, initial={"unnamed": meeting.unnamed_attendees})
    ticked: set[int] | None = None
    if request.method == "POST":
        ticked = {i for raw in request.POST.getlist("attended")[:ATTENDANCE_PAGE] if (i := parse_id(raw)) is not None}
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.attendance_record(
                    user=actor(request),
                    meeting=meeting,
                    attended_ids=ticked,
                    unnamed=data["unnamed"],
                    walk_ins=data["walk_ins"],
                    shown_ids=data["shown"],
                    form_token=data["form_token"],
                )
            except DuplicateSubmission as error:
                messages.info(request, str(error))
                return _attendance_page(meeting, people.number)
            except ValidationError as error:
                errors_to_form(form, error)
            else:
                messages.success(request, _("Attendance saved."))
                if result.already_listed:
                    messages.info(
                        request,
                        _("Already on the list, so ticked and not added again: %(names)s.")
                        % {"names": ", ".join(result.already_listed)},
                    )
                number = people.number
                if request.POST.get("next") == "1" and people.has_next():
                    number = people.next_page_number()
                return _attendance_page(meeting, number)
    counts = Registration.objects.filter(meeting=meeting, attended=True).aggregate(
        with_account=Count("id", filter=Q(user__isnull=False)),
        without_account=Count("id", filter=Q(user__isnull=True)),
    )
    counts["without_account"] += meeting.unnamed_attendees
    return page(
        request,
        "meetings/attendance.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        people=people,
        shown=",".join(str(r.pk) for r in people),
        ticked=ticked if form.errors else None,
        form=form,
        counts=counts,
    )


def _attendance_page(meeting: Meeting, number: int) -> HttpResponse:
    target = reverse("meetings:attendance", args=[meeting.project.slug, meeting.pk])
    return redirect(f"{target}?page={number}" if number > 1 else target)


# --- Minutes and actions ---------------------------------------------------------------------------------


def minutes(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.minutes")
    form = MinutesForm(request.POST or None, initial={"minutes": meeting.minutes})
    if request.method == "POST" and form.is_valid():
        user = actor(request)
        text = form.cleaned_data["minutes"]
        try:
            if request.POST.get("unpublish") == "1":
                services.minutes_unpublish(user=user, meeting=meeting, minutes=text)
                messages.success(request, _("The minutes are saved and hidden again. Only facilitators see them."))
                return _detail(meeting)
            publish = request.POST.get("publish") == "1" or meeting.minutes_published_at is not None
            result = services.minutes_save(user=user, meeting=meeting, minutes=text, publish=publish)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if result.not_published_because:
                # The text is safe; say plainly that it is not public yet, and why.
                messages.warning(
                    request,
                    _("The minutes are saved, but not published yet. %(why)s") % {"why": result.not_published_because},
                )
                return redirect("meetings:minutes", project.slug, meeting.pk)
            messages.success(
                request, _("The minutes are published.") if result.published else _("The minutes are saved.")
            )
            return _detail(meeting)
    return page(
        request,
        "meetings/minutes_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        form=form,
        can_publish=meeting.starts_at <= timezone.now() and meeting.status != MeetingStatus.DRAFT,
    )


def _people(project: Project) -> list[tuple[int, str]]:
    members = Membership.objects.filter(project=project, user__is_active=True).select_related("user")
    people = [
        (m.user_id, m.user.public_name) for m in members.order_by("user__display_name", "user_id")[:PEOPLE_IN_PICKER]
    ]
    return people


def _assignee(project: Project, user_id: int | None) -> Any:
    if user_id is None:
        return None
    membership = Membership.objects.filter(project=project, user_id=user_id).select_related("user").first()
    if membership is None:
        raise ValidationError({"assignee": _("Choose one of the project's members.")})
    return membership.user


def actions(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.minutes")
    people = _people(project)
    form = ActionForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(
            request,
            form,
            lambda: services.action_add(
                user=actor(request),
                meeting=meeting,
                text=data["text"],
                assignee=_assignee(project, data["assignee"]),
                assignee_name=data["assignee_name"],
                due_on=data["due_on"],
                form_token=data["form_token"],
            ),
            _("Action added."),
        ):
            return redirect("meetings:actions", project.slug, meeting.pk)
    return page(
        request,
        "meetings/actions.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        actions=list(meeting.actions.select_related("assignee")),
        form=form,
    )


def action_edit(request: HttpRequest, slug: str, meeting_id: int, action_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.minutes")
    action = action_in(meeting, action_id)
    initial = {
        "text": action.text,
        "assignee": action.assignee_id,
        "assignee_name": action.assignee_name,
        "due_on": action.due_on,
    }
    form = ActionForm(request.POST or None, initial=initial, people=_people(project))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(
            request,
            form,
            lambda: services.action_edit(
                user=actor(request),
                action=action,
                text=data["text"],
                assignee=_assignee(project, data["assignee"]),
                assignee_name=data["assignee_name"],
                due_on=data["due_on"],
            ),
            _("Saved."),
        ):
            return redirect("meetings:actions", project.slug, meeting.pk)
    return page(
        request,
        "meetings/action_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        action=action,
        form=form,
    )


@require_POST
def action_status(request: HttpRequest, slug: str, meeting_id: int, action_id: int) -> HttpResponse:
    """Facilitators, and the person the action is for, mark it done (or not done yet)."""
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id)
    if not selectors.actions_visible(meeting, role):
        raise Http404  # not shown to them yet: the same as no action
    action = action_in(meeting, action_id)
    user = actor(request)
    if not (TABLE.allowed(role, "meetings.minutes") or action.assignee_id == user.pk):
        raise PermissionDenied
    done = request.POST.get("done") == "1"
    services.action_set_status(user=user, action=action, done=done)
    messages.success(request, _("Marked as done.") if done else _("Marked as not done yet."))
    if request.POST.get("next") == "actions" and TABLE.allowed(role, "meetings.minutes"):
        return redirect("meetings:actions", project.slug, meeting.pk)
    return redirect(reverse("meetings:detail", args=[project.slug, meeting.pk]) + "#actions")


# --- Teams -------------------------------------------------------------------------------------------


def teams(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id)
    manage = TABLE.allowed(role, "meetings.teams")
    form = TeamForm(request.POST or None)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied
        if form.is_valid() and run_service(
            request,
            form,
            lambda: services.team_create(user=actor(request), meeting=meeting, name=form.cleaned_data["name"]),
            _("Team made."),
        ):
            return redirect("meetings:teams", project.slug, meeting.pk)
    all_teams = selectors.teams_with_members(meeting)
    in_teams = [m for t in all_teams for m in t.members.all()]
    roles = selectors.registration_roles(meeting, [m.registration for m in in_teams])
    for member in in_teams:
        member.role_label = selectors.role_group_label(roles[member.registration_id])
    for t in all_teams:
        t.mix = selectors.role_mix(roles[m.registration_id] for m in t.members.all())
    registration = selectors.registration_for(meeting, request.user)
    unplaced: list[Registration] = []
    if manage:
        placed = {m.registration_id for t in all_teams for m in t.members.all()}
        unplaced = [
            r
            for r in Registration.objects.filter(meeting=meeting, status=RegistrationStatus.REGISTERED)
            .select_related("user")
            .order_by("id")
            if r.pk not in placed
        ]
    my_team = None
    if registration is not None:
        my_team = next((t for t in all_teams for m in t.members.all() if m.registration_id == registration.pk), None)
    return page(
        request,
        "meetings/teams.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        teams=all_teams,
        manage=manage,
        form=form,
        suggest_form=SuggestForm(),
        unplaced=unplaced,
        registration=registration,
        my_team=my_team,
        # Who registered is not public: names for facilitators and people with a place; others see counts.
        show_names=selectors.can_see_team_members(role, registration),
        # Names that staff typed in for people without an account are for facilitators only.
        hide_offline_names=not manage,
    )


def teams_suggest(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    """GET: a preview of Copro's suggestion. POST: use it."""
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.teams")
    existing = list(meeting.teams.order_by("id"))
    form = SuggestForm(request.POST or request.GET or None)
    k = None
    if not existing:
        if form.is_valid():
            k = form.cleaned_data["k"]
        elif request.method == "POST" or form.is_bound:
            return page(
                request,
                "meetings/teams_suggest.html",
                project,
                role,
                status=400,
                meeting=meeting,
                form=form,
                suggestion=[],
                existing=existing,
            )
    if request.method == "POST":
        try:
            services.teams_apply_suggestion(user=actor(request), meeting=meeting, k=k)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Everyone with a place is now in a team. Move people if you need to."))
        return redirect("meetings:teams", project.slug, meeting.pk)
    suggestion = selectors.team_suggestion(meeting, existing or (k or 0))
    return page(
        request,
        "meetings/teams_suggest.html",
        project,
        role,
        meeting=meeting,
        form=form,
        k=k,
        suggestion=suggestion,
        existing=existing,
    )


@require_POST
def team_move(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.teams")
    registration = registration_in(meeting, parse_id(request.POST.get("registration")))
    raw_team = request.POST.get("team") or ""
    team = None
    if raw_team:
        team_id = parse_id(raw_team)
        team = meeting.teams.filter(pk=team_id).first() if team_id is not None else None
        if team is None:
            messages.error(request, _("Choose one of this meeting's teams."))
            return redirect("meetings:teams", project.slug, meeting.pk)
    try:
        services.team_member_move(user=actor(request), registration=registration, team=team)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if team is None:
            messages.success(request, _("%(name)s is not in a team now.") % {"name": registration.display_name})
        else:
            messages.success(
                request, _("%(name)s is now in %(team)s.") % {"name": registration.display_name, "team": team.name}
            )
    return redirect("meetings:teams", project.slug, meeting.pk)


def _scope(project: Project) -> list[Any]:
    from copro.projects.models import ScopeItem

    return list(ScopeItem.objects.filter(project=project, removed_at__isnull=True).order_by("kind", "position", "pk"))


def _team_page(
    request: HttpRequest,
    project: Project,
    role: Role,
    meeting: Meeting,
    team: Any,
    *,
    form: Any = None,
    status: int = 200,
) -> HttpResponse:
    members = list(TeamMember.objects.filter(team=team).select_related("registration__user").order_by("id"))
    roles = selectors.registration_roles(meeting, [m.registration for m in members])
    user = request.user
    is_member = user.is_authenticated and any(m.registration.user_id == user.pk for m in members)
    manage = TABLE.allowed(role, "meetings.teams")
    registration = selectors.registration_for(meeting, user)
    can_submit = TABLE.allowed(role, "meetings.team_submit") and (is_member or manage)
    return page(
        request,
        "meetings/team.html",
        project,
        role,
        status=status,
        meeting=meeting,
        team=team,
        members=[(m, selectors.role_group_label(roles[m.registration_id])) for m in members],
        is_member=is_member,
        manage=manage,
        can_submit=can_submit,
        ideas_ready=_optional_url("ideas:list", project.slug) != "",
        form=form or (TeamIdeaForm(scope=_scope(project)) if can_submit else None),
        rename_form=TeamForm(initial={"name": team.name}) if manage else None,
        ideas=selectors.team_ideas(team, role),
        show_names=is_member or selectors.can_see_team_members(role, registration),
        mix=selectors.role_mix(roles[m.registration_id] for m in members),
        hide_offline_names=not manage,
        registration=registration,
        other_teams=[t for t in meeting.teams.order_by("id") if t.pk != team.pk] if manage else [],
    )


def team_detail(request: HttpRequest, slug: str, meeting_id: int, team_id: int) -> HttpResponse:
    project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id)
    return _team_page(request, project, role, meeting, team)


@require_POST
def team_join(request: HttpRequest, slug: str, meeting_id: int, team_id: int) -> HttpResponse:
    project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id, "meetings.team_join")
    try:
        services.team_join(user=actor(request), team=team)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You are in %(team)s.") % {"team": team.name})
    return redirect("meetings:team", project.slug, meeting.pk, team.pk)


@require_POST
def team_leave(request: HttpRequest, slug: str, meeting_id: int, team_id: int) -> HttpResponse:
    project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id, "meetings.team_join")
    services.team_leave(user=actor(request), team=team)
    messages.success(request, _("You have left %(team)s.") % {"team": team.name})
    return redirect("meetings:teams", project.slug, meeting.pk)


@require_POST
def team_rename(request: HttpRequest, slug: str, meeting_id: int, team_id: int) -> HttpResponse:
    project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id, "meetings.teams")
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            services.team_rename(user=actor(request), team=team, name=form.cleaned_data["name"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Give the team a name of at most 100 characters."))
    return redirect("meetings:team", project.slug, meeting.pk, team.pk)


@require_POST
def team_remove(request: HttpRequest, slug: str, meeting_id: int, team_id: int) -> HttpResponse:
    project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id, "meetings.teams")
    try:
        services.team_remove(user=actor(request), team=team)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("meetings:team", project.slug, meeting.pk, team.pk)
    messages.success(request, _("The team is removed; its members are not in a team now."))
    return redirect("meetings:teams", project.slug, meeting.pk)


@require_POST
def team_idea(request: HttpRequest, slug: str, meeting_id: int, team_id: int) -> HttpResponse:
    project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id, "meetings.team_submit")
    user = actor(request)
    is_member = TeamMember.objects.filter(team=team, registration__user=user).exists()
    if not (is_member or TABLE.allowed(role, "meetings.teams")):
        raise PermissionDenied
    form = TeamIdeaForm(request.POST, scope=_scope(project))
    if form.is_valid():
        data = form.cleaned_data
        try:
            idea = services.team_submit_idea(
                user=user,
                team=team,
                title=data["title"],
                problem=data["problem"],
                proposal=data["proposal"],
                scope_items=data.get("scope_items") or (),
                cost_estimate=data["cost_estimate"],
                form_token=data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("meetings:team", project.slug, meeting.pk, team.pk)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("Your team's solution is submitted as an idea. It now goes into pressure-testing."),
            )
            target = _optional_url("ideas:detail", project.slug, idea.pk)
            return redirect(target) if target else redirect("meetings:team", project.slug, meeting.pk, team.pk)
    return _team_page(request, project, role, meeting, team, form=form, status=400)
