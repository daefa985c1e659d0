"""Open space pages. Thin: load through access, validate with a form, change through a service, render.

Every change is a plain form POST that works without JavaScript; the schedule page's drag and drop
(static/unconference/schedule.js) fills in and sends the same forms.
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from copro.analysis import scheduling
from copro.core.forms import DuplicateSubmission, errors_to_form, run_service
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.meetings.access import get_meeting_for_user
from copro.meetings.models import Meeting, MeetingStatus
from copro.projects.models import Project
from copro.projects.views import page
from copro.unconference import selectors, services
from copro.unconference.access import (
    can_edit_session,
    get_open_space_for_user,
    get_session_for_user,
    is_host,
    open_space_of,
)
from copro.unconference.forms import (
    EnterForm,
    HostForm,
    PlaceForm,
    ProposeForm,
    RoomForm,
    SessionEditForm,
    SettingsForm,
    SetUpForm,
    SlotForm,
    SwapForm,
)
from copro.unconference.models import Host, Interest, OpenSpace, Room, Session, Slot

REASONS = {
    scheduling.NO_ROOM: gettext_lazy("No free room at a time its hosts can make: more sessions than rooms and times."),
    scheduling.HOSTS_BUSY: gettext_lazy("Its hosts are hosting other sessions at every time with a free room."),
    scheduling.NO_SLOT: gettext_lazy("Its hosts cannot make any of the times."),
    scheduling.PIN_CONFLICT: gettext_lazy(
        "It was kept by hand in a place that breaks a rule (its room taken, a host in two places, or a time its "
        "hosts cannot make), so it is no longer kept there."
    ),
}


def _sessions_page(open_space: OpenSpace) -> HttpResponse:
    return redirect("unconference:sessions", open_space.project.slug, open_space.meeting_id)


def _session_page(session: Session) -> HttpResponse:
    return redirect("unconference:session", session.project.slug, session.open_space.meeting_id, session.pk)


def _schedule_page(open_space: OpenSpace) -> HttpResponse:
    return redirect("unconference:schedule", open_space.project.slug, open_space.meeting_id)


def _manage_page(open_space: OpenSpace) -> HttpResponse:
    return redirect("unconference:manage", open_space.project.slug, open_space.meeting_id)


def _error(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _common(meeting: Meeting, open_space: OpenSpace | None, role: Role) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "open_space": open_space,
        "manage": TABLE.allowed(role, "unconference.manage"),
        "meeting_cancelled": meeting.status == MeetingStatus.CANCELLED,
    }


# --- The sessions ---------------------------------------------------------------------------------


def sessions(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "unconference.view")
    open_space = open_space_of(meeting)
    if open_space is None:
        return page(
            request,
            "unconference/none.html",
            project,
            role,
            form=SetUpForm() if TABLE.allowed(role, "unconference.manage") else None,
            **_common(meeting, None, role),
        )
    can_propose, why_not = services.can_propose_now(open_space)
    return page(
        request,
        "unconference/sessions.html",
        project,
        role,
        sessions=selectors.sessions_listing(open_space),
        mine=selectors.mine(open_space, request.user, invitations=True),
        can_propose=can_propose and TABLE.allowed(role, "unconference.propose"),
        why_not=why_not,
        can_mark=TABLE.allowed(role, "unconference.mark"),
        **_common(meeting, open_space, role),
    )


@require_POST
def set_up(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "unconference.manage")
    form = SetUpForm(request.POST)
    if form.is_valid():
        try:
            open_space = services.open_space_create(
                user=actor(request), meeting=meeting, intro=form.cleaned_data["intro"]
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The open space is set up. Now add its rooms and time slots."))
            return redirect("unconference:manage", project.slug, open_space.meeting_id)
    return page(request, "unconference/none.html", project, role, status=400, form=form, **_common(meeting, None, role))


def propose(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = get_open_space_for_user(request.user, slug, meeting_id, "unconference.propose")
    slots = list(open_space.slots.all())
    form = ProposeForm(request.POST or None, slots=slots)
    can_propose, why_not = services.can_propose_now(open_space)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.consume(request, action="unconference_propose"):
            return ratelimit.respond_429(request)
        try:
            session = services.session_propose(
                user=actor(request),
                open_space=open_space,
                title=form.cleaned_data["title"],
                about=form.cleaned_data["about"],
                unavailable_slot_ids=form.cleaned_data.get("unavailable_slots") or (),
                form_token=form.cleaned_data["form_token"],
                facilitator=TABLE.allowed(role, "unconference.manage"),
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return _sessions_page(open_space)
        except ValidationError as error:
            # Refused (proposals closed, the schedule published): the form comes back with what was typed.
            errors_to_form(form, error)
        else:
            session.open_space = open_space
            if session.late:
                messages.success(
                    request,
                    _("Thank you. Your session is in, not yet in the schedule: a facilitator will find a room for it."),
                )
            else:
                messages.success(request, _("Thank you. Your session is on the list: people can now mark it."))
            return _session_page(session)
    return page(
        request,
        "unconference/propose.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        can_propose=can_propose,
        why_not=why_not,
        **_common(meeting, open_space, role),
    )


def enter(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    """Facilitators type in sessions proposed on the wall or on paper by people without an account."""
    project, role, meeting, open_space = get_open_space_for_user(request.user, slug, meeting_id, "unconference.manage")
    form = EnterForm(request.POST or None, slots=list(open_space.slots.all()))
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_enter(
                user=actor(request),
                open_space=open_space,
                title=form.cleaned_data["title"],
                host_name=form.cleaned_data["host_name"],
                about=form.cleaned_data["about"],
                unavailable_slot_ids=form.cleaned_data.get("unavailable_slots") or (),
                form_token=form.cleaned_data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("unconference:enter", project.slug, meeting.pk)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("“%(title)s” is on the list. Enter the next one.") % {"title": session.title})
            return redirect("unconference:enter", project.slug, meeting.pk)
    return page(
        request,
        "unconference/enter.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        **_common(meeting, open_space, role),
    )


def _render_session(
    request: HttpRequest,
    project: Project,
    role: Role,
    meeting: Meeting,
    open_space: OpenSpace,
    session: Session,
    *,
    status: int = 200,
    host_form: HostForm | None = None,
) -> HttpResponse:
    user = request.user
    prefetch_related_objects(
        [session], Prefetch("hosts", queryset=Host.objects.select_related("user").order_by("created_at", "id"))
    )
    hosts = list(session.hosts.all())
    hosting = bool(user.is_authenticated and any(h.user_id == user.pk for h in hosts))
    marked = bool(user.is_authenticated and Interest.objects.filter(session=session, user=user).exists())
    editable = TABLE.allowed(role, "unconference.manage") or hosting
    # An invitation to host, shown only to the person asked (and only if they may host here).
    invite = (
        services.pending_invite(user, session)
        if not hosting and session.withdrawn_at is None and TABLE.allowed(role, "unconference.propose")
        else None
    )
    return page(
        request,
        "unconference/session.html",
        project,
        role,
        status=status,
        session=session,
        hosts=hosts,
        hosting=hosting,
        marked=marked,
        editable=editable,
        invite=invite,
        can_mark=TABLE.allowed(role, "unconference.mark") and session.withdrawn_at is None,
        show_place=open_space.is_published or TABLE.allowed(role, "unconference.manage"),
        unavailable=list(session.unavailable_slots.all()),
        host_form=host_form or (HostForm() if editable else None),
        **_common(meeting, open_space, role),
    )


def session_detail(request: HttpRequest, slug: str, meeting_id: int, session_id: int) -> HttpResponse:
    project, role, meeting, open_space, session = get_session_for_user(request.user, slug, meeting_id, session_id)
    return _render_session(request, project, role, meeting, open_space, session)


def _editable_session(
    request: HttpRequest, slug: str, meeting_id: int, session_id: int
) -> tuple[Project, Role, Meeting, OpenSpace, Session]:
    found = get_session_for_user(request.user, slug, meeting_id, session_id)
    if not can_edit_session(request.user, found[1], found[4]):
        raise PermissionDenied
    return found


def session_edit(request: HttpRequest, slug: str, meeting_id: int, session_id: int) -> HttpResponse:
    project, role, meeting, open_space, session = _editable_session(request, slug, meeting_id, session_id)
    slots = list(open_space.slots.all())
    initial = {
        "title": session.title,
        "about": session.about,
        "unavailable_slots": [str(pk) for pk in session.unavailable_slots.values_list("pk", flat=True)],
    }
    form = SessionEditForm(request.POST or None, initial=initial, slots=slots)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.session_edit(
                user=actor(request),
                session=session,
                title=form.cleaned_data["title"],
                about=form.cleaned_data["about"],
                unavailable_slot_ids=form.cleaned_data.get("unavailable_slots") or (),
            ),
            _("Saved."),
        )
    ):
        return _session_page(session)
    return page(
        request,
        "unconference/session_edit.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        session=session,
        **_common(meeting, open_space, role),
    )


@require_POST
def session_withdraw(request: HttpRequest, slug: str, meeting_id: int, session_id: int) -> HttpResponse:
    project, role, meeting, open_space, session = _editable_session(request, slug, meeting_id, session_id)
    if request.POST.get("restore") == "1":
        try:
            services.session_restore(
                user=actor(request), session=session, facilitator=TABLE.allowed(role, "unconference.manage")
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, _("The session is back on the list, as “not yet in the schedule”."))
        return _session_page(session)
    services.session_withdraw(user=actor(request), session=session)
    messages.success(request, _("The session is withdrawn. It is no longer on the list or in the schedule."))
    return _sessions_page(open_space)


@require_POST
def host_add(request: HttpRequest, slug: str, meeting_id: int, session_id: int) -> HttpResponse:
    """Ask someone to host with you. The answer is the same whether or not the address is a member's, and
    names nobody: they become a host (and are shown as one) only when they accept."""
    project, role, meeting, open_space, session = _editable_session(request, slug, meeting_id, session_id)
    form = HostForm(request.POST)
    if form.is_valid():
        if not ratelimit.consume(request, action="unconference_host_invite", user=actor(request)):
            return ratelimit.respond_429(request)
        if run_service(
            request,
            form,
            lambda: services.host_invite(user=actor(request), session=session, email=form.cleaned_data["email"]),
            services.invite_sent_message(form.cleaned_data["email"]),
        ):
            return _session_page(session)
    return _render_session(request, project, role, meeting, open_space, session, status=400, host_form=form)


@require_POST
def host_answer(request: HttpRequest, slug: str, meeting_id: int, session_id: int) -> HttpResponse:
    """The person asked to co-host accepts or declines."""
    project, role, meeting, open_space, session = get_session_for_user(
        request.user, slug, meeting_id, session_id, "unconference.propose"
    )
    accept = request.POST.get("answer") == "accept"
    try:
        host = services.host_invite_answer(user=actor(request), session=session, accept=accept)
    except ValidationError as error:
        _error(request, error)
    else:
        if host is not None:
            messages.success(request, _("Thank you: you are now a host of “%(title)s”.") % {"title": session.title})
        else:
            messages.success(request, _("You declined. You are not a host of “%(title)s”.") % {"title": session.title})
    return _session_page(session)


@require_POST
def host_remove(request: HttpRequest, slug: str, meeting_id: int, session_id: int) -> HttpResponse:
    project, role, meeting, open_space, session = _editable_session(request, slug, meeting_id, session_id)
    try:
        removed = services.host_remove(
            user=actor(request),
            session=session,
            host_user_id=request.POST.get("host"),
            facilitator=TABLE.allowed(role, "unconference.manage"),
        )
    except ValidationError as error:
        _error(request, error)
    else:
        if removed:
            messages.success(request, _("Removed from the hosts."))
        if removed and not is_host(request.user, session) and not TABLE.allowed(role, "unconference.manage"):
            return _sessions_page(open_space)  # they removed themselves: the edit links are no longer theirs
    return _session_page(session)


@require_POST
def mark(request: HttpRequest, slug: str, meeting_id: int, session_id: int) -> HttpResponse:
    project, role, meeting, open_space, session = get_session_for_user(
        request.user, slug, meeting_id, session_id, "unconference.mark"
    )
    undo = request.POST.get("undo") == "1"
    try:
        if undo:
            services.interest_unmark(user=actor(request), session=session)
            messages.success(request, _("You no longer want to join “%(title)s”.") % {"title": session.title})
        elif is_host(request.user, session):
            messages.info(
                request, _("You host “%(title)s”, so you are counted in it already.") % {"title": session.title}
            )
        else:
            services.interest_mark(user=actor(request), session=session)
            messages.success(request, _("You want to join “%(title)s”.") % {"title": session.title})
    except ValidationError as error:
        _error(request, error)
    # Back to where the button was: the list (at this session) or the session's page.
    if request.POST.get("back") == "list":
        response = _sessions_page(open_space)
        response["Location"] += f"#session-{session.pk}"
        return response
    return _session_page(session)


# --- Setting up: rooms, slots, settings ----------------------------------------------------------


def _managed(request: HttpRequest, slug: str, meeting_id: int) -> tuple[Project, Role, Meeting, OpenSpace]:
    return get_open_space_for_user(request.user, slug, meeting_id, "unconference.manage")


def _render_manage(
    request: HttpRequest,
    project: Project,
    role: Role,
    meeting: Meeting,
    open_space: OpenSpace,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    rooms, slots = selectors.rooms_and_slots(open_space)
    return page(
        request,
        "unconference/manage.html",
        project,
        role,
        status=status,
        rooms=rooms,
        slots=slots,
        settings_form=forms.get("settings_form")
        or SettingsForm(
            initial={
                "intro": open_space.intro,
                "proposals_open": open_space.proposals_open,
                "late_proposals": open_space.late_proposals,
            }
        ),
        room_form=forms.get("room_form") or RoomForm(),
        slot_form=forms.get("slot_form") or SlotForm(),
        slot_days=services.slot_days(meeting),
        **_common(meeting, open_space, role),
    )


def manage(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    return _render_manage(request, project, role, meeting, open_space)


@require_POST
def settings_save(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    form = SettingsForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.open_space_update(user=actor(request), open_space=open_space, **form.cleaned_data),
        _("Saved."),
    ):
        return _manage_page(open_space)
    return _render_manage(request, project, role, meeting, open_space, status=400, settings_form=form)


def _moved_text(moved: int) -> str:
    return ngettext(
        "%(n)d session that was in it is now “not yet in the schedule”.",
        "%(n)d sessions that were in it are now “not yet in the schedule”.",
        moved,
    ) % {"n": moved}


@require_POST
def room_add(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    form = RoomForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.room_add(user=actor(request), open_space=open_space, **form.cleaned_data),
        _("Room added."),
    ):
        return _manage_page(open_space)
    return _render_manage(request, project, role, meeting, open_space, status=400, room_form=form)


def _room(open_space: OpenSpace, room_id: int) -> Room:
    room = Room.objects.filter(open_space=open_space, pk=room_id).first()
    if room is None:
        raise Http404
    room.open_space = open_space
    return room


def room_edit(request: HttpRequest, slug: str, meeting_id: int, room_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    room = _room(open_space, room_id)
    form = RoomForm(
        request.POST if request.method == "POST" else None,  # an empty POST is checked too
        initial={"name": room.name, "capacity": room.capacity, "access_notes": room.access_notes},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.room_edit(user=actor(request), room=room, **form.cleaned_data),
            _("Saved."),
        )
    ):
        return _manage_page(open_space)
    return page(
        request,
        "unconference/room_edit.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        room=room,
        **_common(meeting, open_space, role),
    )


@require_POST
def room_remove(request: HttpRequest, slug: str, meeting_id: int, room_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    room = _room(open_space, room_id)
    moved = services.room_remove(user=actor(request), room=room)
    messages.success(request, _("Room removed.") + (" " + _moved_text(moved) if moved else ""))
    return _manage_page(open_space)


@require_POST
def slot_add(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    form = SlotForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.slot_add(user=actor(request), open_space=open_space, **form.cleaned_data),
        _("Time slot added."),
    ):
        return _manage_page(open_space)
    return _render_manage(request, project, role, meeting, open_space, status=400, slot_form=form)


def slot_edit(request: HttpRequest, slug: str, meeting_id: int, slot_id: int) -> HttpResponse:
    """GET: the slot's times, to change. POST: move it; its sessions stay in it."""
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    slot = Slot.objects.filter(open_space=open_space, pk=slot_id).first()
    if slot is None:
        raise Http404
    slot.open_space = open_space
    form = SlotForm(
        request.POST if request.method == "POST" else None,  # an empty POST is checked too
        initial={"starts_at": timezone.localtime(slot.starts_at), "ends_at": timezone.localtime(slot.ends_at)},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.slot_edit(user=actor(request), slot=slot, **form.cleaned_data),
            _("Saved. People whose sessions are in this slot are told the new time.")
            if open_space.is_published
            else _("Saved."),
        )
    ):
        return _manage_page(open_space)
    return page(
        request,
        "unconference/slot_edit.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        slot=slot,
        meeting=meeting,
        open_space=open_space,
        slot_days=services.slot_days(meeting),
    )


@require_POST
def slot_remove(request: HttpRequest, slug: str, meeting_id: int, slot_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    slot = Slot.objects.filter(open_space=open_space, pk=slot_id).first()
    if slot is None:
        raise Http404
    slot.open_space = open_space
    moved = services.slot_remove(user=actor(request), slot=slot)
    messages.success(request, _("Time slot removed.") + (" " + _moved_text(moved) if moved else ""))
    return _manage_page(open_space)


# --- The schedule ---------------------------------------------------------------------------------


def _render_schedule(
    request: HttpRequest,
    project: Project,
    role: Role,
    meeting: Meeting,
    open_space: OpenSpace,
    *,
    status: int = 200,
    place_form: PlaceForm | None = None,
    swap_form: SwapForm | None = None,
) -> HttpResponse:
    figures = selectors.figures(open_space)
    board = selectors.board(open_space, request.user, demand=figures.demand)
    everything = [s for row in board.slots for s in row.sessions] + board.unplaced
    rooms = board.rooms
    slots = [row.slot for row in board.slots]
    reasons = (open_space.build_figures or {}).get("unscheduled", {})
    for s in board.unplaced:
        s.reason = REASONS.get(reasons.get(str(s.pk), ""), "")  # type: ignore[attr-defined]
    return page(
        request,
        "unconference/schedule.html",
        project,
        role,
        status=status,
        board=board,
        figures=figures,
        build=open_space.build_figures or {},
        place_form=place_form or PlaceForm(sessions=everything, rooms=rooms, slots=slots),
        swap_form=swap_form or SwapForm(sessions=everything),
        placed_sessions=[s for row in board.slots for s in row.sessions],
        **_common(meeting, open_space, role),
    )


def schedule(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    return _render_schedule(request, project, role, meeting, open_space)


@require_POST
def build(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    try:
        report = services.schedule_build(user=actor(request), open_space=open_space)
    except ValidationError as error:
        _error(request, error)
    else:
        result = report.result
        text = _(
            "Schedule built: %(placed)d sessions in rooms, %(clashes)d clashes for %(people)d people "
            "(the simple method would give %(greedy)d clashes)."
        ) % {
            "placed": len(result.placements),
            "clashes": result.clashes,
            "people": result.people_with_clash,
            "greedy": report.greedy.clashes,
        }
        if result.unscheduled:
            text += " " + _("%(n)d could not be placed: see “Not yet in the schedule”.") % {
                "n": len(result.unscheduled)
            }
        for _pk, title, reason in report.released:
            text += " " + _(
                "“%(title)s” was kept by hand where it cannot stay, and is now out of the schedule: %(why)s"
            ) % {
                "title": title,
                "why": REASONS.get(reason, ""),
            }
        messages.success(request, text)
    return _schedule_page(open_space)


def _schedule_forms(open_space: OpenSpace, request: HttpRequest) -> tuple[list[Session], list[Room], list[Slot]]:
    sessions_ = selectors.sessions_listing(open_space)
    rooms, slots = selectors.rooms_and_slots(open_space)
    return sessions_, rooms, slots


@require_POST
def place(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    sessions_, rooms, slots = _schedule_forms(open_space, request)
    form = PlaceForm(request.POST, sessions=sessions_, rooms=rooms, slots=slots)
    if form.is_valid():
        try:
            session = services.schedule_place(
                user=actor(request),
                open_space=open_space,
                session_id=form.cleaned_data["session"],
                room_id=form.cleaned_data["room"],
                slot_id=form.cleaned_data["slot"],
                pin=form.cleaned_data["pin"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request, _("“%(title)s” is now in %(room)s.") % {"title": session.title, "room": session.room}
            )
            return _schedule_page(open_space)
    return _render_schedule(request, project, role, meeting, open_space, status=400, place_form=form)


@require_POST
def swap(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    sessions_, _rooms, _slots = _schedule_forms(open_space, request)
    form = SwapForm(request.POST, sessions=sessions_)
    if form.is_valid():
        try:
            first, second = services.schedule_swap(
                user=actor(request),
                open_space=open_space,
                first_id=form.cleaned_data["first"],
                second_id=form.cleaned_data["second"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("“%(first)s” and “%(second)s” have swapped places.") % {"first": first.title, "second": second.title},
            )
            return _schedule_page(open_space)
    return _render_schedule(request, project, role, meeting, open_space, status=400, swap_form=form)


@require_POST
def unplace(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    try:
        session = services.schedule_unplace(
            user=actor(request), open_space=open_space, session_id=request.POST.get("session")
        )
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("“%(title)s” is out of the schedule for now.") % {"title": session.title})
    return _schedule_page(open_space)


@require_POST
def pin(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    pinned = request.POST.get("pinned") == "1"
    try:
        session = services.session_pin(
            user=actor(request), open_space=open_space, session_id=request.POST.get("session"), pinned=pinned
        )
    except ValidationError as error:
        _error(request, error)
    else:
        if pinned:
            messages.success(
                request,
                _("“%(title)s” will stay where it is when the schedule is built again.") % {"title": session.title},
            )
        else:
            messages.success(
                request, _("“%(title)s” may be moved when the schedule is built again.") % {"title": session.title}
            )
    return _schedule_page(open_space)


@require_POST
def publish(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = _managed(request, slug, meeting_id)
    if request.POST.get("undo") == "1":
        services.schedule_unpublish(user=actor(request), open_space=open_space)
        messages.success(
            request, _("The schedule is taken down. Only facilitators can see it until you publish it again.")
        )
        return _schedule_page(open_space)
    try:
        services.schedule_publish(user=actor(request), open_space=open_space)
    except ValidationError as error:
        _error(request, error)
        return _schedule_page(open_space)
    messages.success(request, _("The schedule is published. Hosts and the people who marked sessions are told theirs."))
    return redirect("unconference:board", project.slug, meeting.pk)


# --- The board ------------------------------------------------------------------------------------


def board(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, open_space = get_open_space_for_user(request.user, slug, meeting_id)
    manage_ = TABLE.allowed(role, "unconference.manage")
    visible = open_space.is_published or manage_
    return page(
        request,
        "unconference/board.html",
        project,
        role,
        board=selectors.board(open_space, request.user) if visible else None,
        preview=manage_ and not open_space.is_published,
        **_common(meeting, open_space, role),
    )
