"""Open space in the REST API: the same access functions, selectors and services as the pages.

Everyone: list and propose sessions, mark and unmark the ones you want to join, read the published schedule.
Hosts: edit, withdraw and bring back their session, ask people to co-host (who answer here too).
Facilitators: set up the open space and its settings, its rooms and time slots, type in sessions from the
wall, build the schedule (with its figures), place, swap, take out and keep sessions by hand, publish and
take down the schedule.

Permissions are the pages': 404 for whoever may not see the meeting, 403 for whoever may see but not do
this; a service's refusal is a 400 with its plain-language reasons, by field where there is one.
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.serializers import IdField
from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.meetings.access import get_meeting_for_user
from copro.meetings.models import Meeting
from copro.projects.models import Project
from copro.unconference import selectors, services
from copro.unconference.access import (
    can_edit_session,
    get_open_space_for_user,
    get_session_for_user,
    is_host,
    open_space_of,
)
from copro.unconference.models import (
    ABOUT_MAX,
    HOST_NAME_MAX,
    INTRO_MAX,
    NOTES_MAX,
    ROOM_NAME_MAX,
    TITLE_MAX,
    Host,
    Interest,
    OpenSpace,
    Room,
    Session,
    Slot,
)

MANAGE = "unconference.manage"


# --- Out -----------------------------------------------------------------------------------------


class OpenSpaceRoomOut(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name", "capacity", "access_notes"]


class OpenSpaceSlotOut(serializers.ModelSerializer):
    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at"]


class OpenSpaceSessionOut(serializers.ModelSerializer):
    hosts = serializers.SerializerMethodField(help_text="The hosts' names (the proposer first).")
    room = serializers.SerializerMethodField(help_text="The room's id, once the schedule is published.")
    slot = serializers.SerializerMethodField(help_text="The time slot's id, once the schedule is published.")
    want_to_join = serializers.IntegerField(source="interest_count", help_text="People who marked it.")

    class Meta:
        model = Session
        fields = ["id", "title", "about", "hosts", "want_to_join", "room", "slot", "late", "created_at"]

    def _published(self) -> bool:
        return bool(self.context.get("show_place"))

    def get_hosts(self, session: Session) -> list[str]:
        names = [h.user.public_name for h in session.hosts.all()]
        return [*names, session.host_name] if session.host_name else names

    def get_room(self, session: Session) -> int | None:
        return session.room_id if self._published() else None

    def get_slot(self, session: Session) -> int | None:
        return session.slot_id if self._published() else None


class OpenSpaceMarkOut(serializers.Serializer):
    marked = serializers.BooleanField(help_text="Whether you have a mark on the session now (hosts never do).")
    host = serializers.BooleanField(
        help_text="Whether you host the session: hosts are counted in their own sessions without a mark."
    )
    want_to_join = serializers.IntegerField(help_text="People who marked it (hosts not included).")


class OpenSpaceScheduleOut(serializers.Serializer):
    published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    rooms = OpenSpaceRoomOut(many=True)
    slots = OpenSpaceSlotOut(many=True)
    sessions = OpenSpaceSessionOut(many=True, help_text="The sessions in the schedule (empty until published).")


# --- In ------------------------------------------------------------------------------------------


class OpenSpaceProposeIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text="At most 200 characters.")
    about = serializers.CharField(required=False, allow_blank=True, default="", help_text="At most 3,000 characters.")
    unavailable_slots = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=50,
        help_text="Ids of time slots the hosts cannot make.",
    )


# --- Views ---------------------------------------------------------------------------------------


class OpenSpaceSessions(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=OpenSpaceSessionOut(many=True),
        summary="A meeting's open space sessions, oldest proposal first (withdrawn ones left out)",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = get_open_space_for_user(request.user, slug, meeting_id)
        sessions = selectors.sessions_listing(open_space)
        paginator = Pagination()
        page: list[Session] = paginator.paginate_queryset(sessions, request, view=self) or []  # type: ignore[arg-type]
        context = {"show_place": open_space.is_published or TABLE.allowed(role, "unconference.manage")}
        return paginator.get_paginated_response(OpenSpaceSessionOut(page, many=True, context=context).data)

    @extend_schema(
        request=OpenSpaceProposeIn,
        responses={201: OpenSpaceSessionOut},
        summary="Propose a session (you are its host)",
        description=(
            "Refused (400, with the reason) when proposals are closed, or when the schedule is published and "
            "the facilitators do not take late proposals; with late proposals it goes in as not yet scheduled. "
            "Limited to 20 proposals an hour per person (429 beyond that)."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = get_open_space_for_user(
            request.user, slug, meeting_id, "unconference.propose"
        )
        data = _valid(OpenSpaceProposeIn, request.data)
        if not ratelimit.consume(request._request, action="unconference_propose"):
            raise Throttled()
        session = services.session_propose(
            user=actor(request),
            open_space=open_space,
            title=data["title"],
            about=data["about"],
            unavailable_slot_ids=data["unavailable_slots"],
            form_token=idempotency_key(request),
            facilitator=TABLE.allowed(role, "unconference.manage"),
        )
        return Response(OpenSpaceSessionOut(session).data, status=status.HTTP_201_CREATED)


def _marked(session: Session, user: Any) -> Response:
    """The truth after the change: whether this person has a mark now, whether they host it, and the count."""
    count = Session.objects.filter(pk=session.pk).values_list("interest_count", flat=True).first() or 0
    data = {
        "marked": Interest.objects.filter(session=session, user=user).exists(),
        "host": is_host(user, session),
        "want_to_join": count,
    }
    return Response(OpenSpaceMarkOut(data).data)


class OpenSpaceInterest(APIView):
    @extend_schema(
        request=None,
        responses=OpenSpaceMarkOut,
        summary="Mark a session you want to join (marking twice counts once; hosts are counted already)",
        description=(
            "Returns whether you have a mark now. A host of the session gets `marked: false, host: true`: no "
            "mark is made, because hosts are counted in their own sessions already."
        ),
    )
    def post(self, request: Request, slug: str, meeting_id: int, session_id: int) -> Response:
        *_rest, session = get_session_for_user(request.user, slug, meeting_id, session_id, "unconference.mark")
        services.interest_mark(user=actor(request), session=session)
        return _marked(session, request.user)

    @extend_schema(request=None, responses=OpenSpaceMarkOut, summary="You no longer want to join a session")
    def delete(self, request: Request, slug: str, meeting_id: int, session_id: int) -> Response:
        *_rest, session = get_session_for_user(request.user, slug, meeting_id, session_id, "unconference.mark")
        services.interest_unmark(user=actor(request), session=session)
        return _marked(session, request.user)


class OpenSpaceSchedule(APIView):
    @extend_schema(
        responses=OpenSpaceScheduleOut,
        summary="The open space's schedule: rooms, time slots and the sessions placed in them",
        description="Until the schedule is published, `sessions` is empty (facilitators see the draft).",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = get_open_space_for_user(request.user, slug, meeting_id)
        show = open_space.is_published or TABLE.allowed(role, "unconference.manage")
        rooms, slots = selectors.rooms_and_slots(open_space)
        placed: list[Any] = [s for s in selectors.sessions_listing(open_space) if s.slot_id is not None] if show else []
        data = {
            "published": open_space.is_published,
            "published_at": open_space.published_at,
            "rooms": rooms,
            "slots": slots,
            "sessions": placed,
        }
        return Response(OpenSpaceScheduleOut(data, context={"show_place": show}).data)


# === Hosts and facilitators =====================================================================
#
# --- Out -----------------------------------------------------------------------------------------


class OpenSpaceOut(serializers.Serializer):
    meeting = serializers.IntegerField(help_text="The meeting's id.")
    intro = serializers.CharField(help_text="How the open space works at this meeting (plain text).")
    proposals_open = serializers.BooleanField(help_text="Whether people may propose sessions.")
    late_proposals = serializers.BooleanField(
        help_text="Whether sessions proposed after publishing are taken (as not yet in the schedule)."
    )
    published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    built_at = serializers.DateTimeField(allow_null=True, help_text="When the schedule was last built.")
    can_propose = serializers.BooleanField(help_text="Whether you may propose a session now.")
    why_not = serializers.CharField(help_text="Why proposals are refused now (empty when they are taken).")
    manage = serializers.BooleanField(help_text="Whether you may set it up, schedule and publish it.")


class OpenSpaceHostOut(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()


class OpenSpaceSessionDetailOut(OpenSpaceSessionOut):
    pinned = serializers.SerializerMethodField(help_text="Kept where it is when the schedule is built again.")
    withdrawn = serializers.SerializerMethodField()
    unavailable_slots = serializers.SerializerMethodField(help_text="Ids of time slots the hosts cannot make.")
    host_people = serializers.SerializerMethodField(
        help_text="The hosts with accounts (user id and name), to those who may edit the session; else empty."
    )
    hosting = serializers.SerializerMethodField(help_text="Whether you host it.")
    marked = serializers.SerializerMethodField(help_text="Whether you marked it.")
    invited = serializers.SerializerMethodField(help_text="Whether an invitation to co-host it waits for your answer.")
    can_edit = serializers.SerializerMethodField(help_text="Whether you may edit, withdraw it and ask co-hosts.")

    class Meta(OpenSpaceSessionOut.Meta):
        fields = [
            *OpenSpaceSessionOut.Meta.fields,
            "pinned",
            "withdrawn",
            "unavailable_slots",
            "host_people",
            "hosting",
            "marked",
            "invited",
            "can_edit",
        ]

    def get_pinned(self, session: Session) -> bool:
        return bool(session.pinned) if self._published() else False

    def get_withdrawn(self, session: Session) -> bool:
        return session.withdrawn_at is not None

    def get_unavailable_slots(self, session: Session) -> list[int]:
        return sorted(s.pk for s in session.unavailable_slots.all())

    @extend_schema_field(OpenSpaceHostOut(many=True))
    def get_host_people(self, session: Session) -> list[dict[str, Any]]:
        if not self.context.get("can_edit"):
            return []
        return [{"user_id": h.user_id, "name": h.user.public_name} for h in session.hosts.all()]

    def get_hosting(self, session: Session) -> bool:
        return bool(self.context.get("hosting"))

    def get_marked(self, session: Session) -> bool:
        return bool(self.context.get("marked"))

    def get_invited(self, session: Session) -> bool:
        return bool(self.context.get("invited"))

    def get_can_edit(self, session: Session) -> bool:
        return bool(self.context.get("can_edit"))


class OpenSpaceSwapOut(serializers.Serializer):
    first = OpenSpaceSessionDetailOut()
    second = OpenSpaceSessionDetailOut()


class OpenSpaceUnscheduledOut(serializers.Serializer):
    session = serializers.IntegerField()
    reason = serializers.CharField(
        help_text=(
            "no_room (more sessions than rooms and times), hosts_busy (its hosts host others at every free "
            "time), no_slot (its hosts cannot make any time), pin_conflict (kept by hand where it breaks a rule)."
        )
    )


class OpenSpaceReleasedOut(OpenSpaceUnscheduledOut):
    title = serializers.CharField()


class OpenSpaceGreedyOut(serializers.Serializer):
    placed = serializers.IntegerField()
    clashes = serializers.IntegerField()
    people_with_clash = serializers.IntegerField()
    overflow = serializers.IntegerField()


class OpenSpaceBuildOut(serializers.Serializer):
    placed = serializers.IntegerField(help_text="Sessions in a room and time.")
    clashes = serializers.IntegerField(help_text="Pairs of sessions someone wants to join that are at the same time.")
    people_with_clash = serializers.IntegerField(help_text="People with at least one clash.")
    overflow = serializers.IntegerField(help_text="People beyond the size of their sessions' rooms.")
    seconds = serializers.FloatField(help_text="How long the scheduler took.")
    kept = serializers.IntegerField(help_text="Sessions kept by hand where they were.")
    unscheduled = OpenSpaceUnscheduledOut(many=True, help_text="Sessions that could not be placed, and why.")
    released = OpenSpaceReleasedOut(
        many=True, help_text="Sessions kept by hand where they cannot stay: now out of the schedule and not kept."
    )
    greedy = OpenSpaceGreedyOut(help_text="The simple method's figures on the same data, to compare.")


class OpenSpaceFiguresOut(serializers.Serializer):
    placed = serializers.IntegerField(help_text="Sessions in a room and time now (hand changes included).")
    sessions = serializers.IntegerField(help_text="Sessions that are not withdrawn.")
    room_slots = serializers.IntegerField(help_text="Rooms times time slots: the places there are.")
    clashes = serializers.IntegerField()
    people_with_clash = serializers.IntegerField()
    overflow = serializers.IntegerField()
    hard_violations = serializers.IntegerField(help_text="Broken rules (must be 0 to publish).")
    greedy = OpenSpaceGreedyOut(allow_null=True, help_text="The simple method's figures (null with nothing to place).")
    built_at = serializers.DateTimeField(allow_null=True)


class OpenSpaceRemovedOut(serializers.Serializer):
    sessions_unscheduled = serializers.IntegerField(help_text="Sessions that were in it, now not yet in the schedule.")


class OpenSpaceInviteSentOut(serializers.Serializer):
    detail = serializers.CharField(
        help_text="The same words whoever the address belongs to (or nobody): it never tells who is a member."
    )


# --- In ------------------------------------------------------------------------------------------


class OpenSpaceSetUpIn(serializers.Serializer):
    intro = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=f"At most {INTRO_MAX:,} characters."
    )


class OpenSpaceSettingsIn(serializers.Serializer):
    intro = serializers.CharField(required=False, allow_blank=True, help_text=f"At most {INTRO_MAX:,} characters.")
    proposals_open = serializers.BooleanField(required=False)
    late_proposals = serializers.BooleanField(required=False)


class OpenSpaceRoomIn(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, help_text=f"At most {ROOM_NAME_MAX} characters; unique here.")
    capacity = serializers.IntegerField(min_value=1, max_value=services.MAX_CAPACITY, help_text="People it holds.")
    access_notes = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=f"At most {NOTES_MAX:,} characters."
    )


class OpenSpaceSlotIn(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="On the meeting's day(s), or the day before or after.")
    ends_at = serializers.DateTimeField()


def _slot_ids(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=IdField(), required=False, max_length=50, help_text=help_text)


class OpenSpaceEnterIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text=f"At most {TITLE_MAX} characters.")
    host_name = serializers.CharField(
        allow_blank=True, help_text=f"The host's name as they would like it shown (at most {HOST_NAME_MAX})."
    )
    about = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=f"At most {ABOUT_MAX:,} characters."
    )
    unavailable_slots = _slot_ids("Ids of time slots the host cannot make.")


class OpenSpaceSessionEditIn(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, help_text=f"At most {TITLE_MAX} characters.")
    about = serializers.CharField(required=False, allow_blank=True, help_text=f"At most {ABOUT_MAX:,} characters.")
    unavailable_slots = _slot_ids("Ids of time slots the hosts cannot make (replaces the list).")


class OpenSpaceHostInviteIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254, help_text="The address they use for their account here.")


class OpenSpaceHostAnswerIn(serializers.Serializer):
    accept = serializers.BooleanField(help_text="true: become a host; false: decline.")


class OpenSpacePlaceIn(serializers.Serializer):
    session = IdField()
    room = IdField()
    slot = IdField()
    pin = serializers.BooleanField(default=True, help_text="Keep it here when the schedule is built again.")


class OpenSpaceSwapIn(serializers.Serializer):
    first = IdField(help_text="A session's id.")
    second = IdField(help_text="Another session's id.")


class OpenSpaceSessionRefIn(serializers.Serializer):
    session = IdField()


class OpenSpacePinIn(serializers.Serializer):
    session = IdField()
    pinned = serializers.BooleanField(help_text="true: keep it where it is when rebuilding; false: it may move.")


# --- Helpers -------------------------------------------------------------------------------------


def _open_space_data(open_space: OpenSpace, role: Role) -> dict[str, Any]:
    can_propose, why_not = services.can_propose_now(open_space)
    return OpenSpaceOut(
        {
            "meeting": open_space.meeting_id,
            "intro": open_space.intro,
            "proposals_open": open_space.proposals_open,
            "late_proposals": open_space.late_proposals,
            "published": open_space.is_published,
            "published_at": open_space.published_at,
            "built_at": open_space.built_at,
            "can_propose": can_propose and TABLE.allowed(role, "unconference.propose"),
            "why_not": "" if can_propose else why_not,
            "manage": TABLE.allowed(role, MANAGE),
        }
    ).data


def _managed(request: Request, slug: str, meeting_id: int) -> tuple[Project, Role, Meeting, OpenSpace]:
    return get_open_space_for_user(request.user, slug, meeting_id, MANAGE)


def _session_data(user: Any, role: Role, open_space: OpenSpace, session_id: int) -> dict[str, Any]:
    """The session as it is in the database now (after a change), as the person asking may see it."""
    session = (
        Session.objects.filter(pk=session_id)
        .select_related("room", "slot")
        .prefetch_related(
            Prefetch("hosts", queryset=Host.objects.select_related("user").order_by("created_at", "id")),
            "unavailable_slots",
        )
        .get()
    )
    session.open_space = open_space
    hosting = bool(user.is_authenticated and any(h.user_id == user.pk for h in session.hosts.all()))
    context = {
        "show_place": open_space.is_published or TABLE.allowed(role, MANAGE),
        "can_edit": TABLE.allowed(role, MANAGE) or hosting,
        "hosting": hosting,
        "marked": bool(user.is_authenticated and Interest.objects.filter(session=session, user=user).exists()),
        "invited": services.pending_invite(user, session) is not None,
    }
    return OpenSpaceSessionDetailOut(session, context=context).data


def _editable_session(
    request: Request, slug: str, meeting_id: int, session_id: int
) -> tuple[Project, Role, Meeting, OpenSpace, Session]:
    """A session its hosts and facilitators may change: 404 if you may not see it, 403 if you may not edit."""
    found = get_session_for_user(request.user, slug, meeting_id, session_id)
    if not can_edit_session(request.user, found[1], found[4]):
        raise PermissionDenied
    return found


def _room(open_space: OpenSpace, room_id: int) -> Room:
    room = Room.objects.filter(open_space=open_space, pk=room_id).first()
    if room is None:
        raise Http404
    room.open_space = open_space
    return room


def _slot(open_space: OpenSpace, slot_id: int) -> Slot:
    slot = Slot.objects.filter(open_space=open_space, pk=slot_id).first()
    if slot is None:
        raise Http404
    slot.open_space = open_space
    return slot


# --- Views: the open space and its settings ------------------------------------------------------


class OpenSpaceDetail(APIView):
    @extend_schema(
        responses=OpenSpaceOut,
        summary="A meeting's open space: its introduction, settings and whether the schedule is published",
        description="404 when the meeting has no open space (yet).",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = get_open_space_for_user(request.user, slug, meeting_id)
        return Response(_open_space_data(open_space, role))

    @extend_schema(
        request=OpenSpaceSetUpIn,
        responses={201: OpenSpaceOut, 200: OpenSpaceOut},
        summary="Set up an open space at a meeting (facilitators)",
        description="201 when it is set up; 200 with the existing one when it was set up already. Refused (400) "
        "for a cancelled meeting.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, MANAGE)
        data = _valid(OpenSpaceSetUpIn, request.data)
        existed = open_space_of(meeting) is not None
        open_space = services.open_space_create(user=actor(request), meeting=meeting, intro=data["intro"])
        open_space.meeting, open_space.project = meeting, project
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(_open_space_data(open_space, role), status=code)

    @extend_schema(
        request=OpenSpaceSettingsIn,
        responses=OpenSpaceOut,
        summary="Change the open space's introduction and whether (late) proposals are taken (facilitators)",
        description="Fields left out keep their value.",
    )
    def patch(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpaceSettingsIn, request.data, partial=True)  # form data: an absent box is not "false"
        services.open_space_update(
            user=actor(request),
            open_space=open_space,
            intro=data.get("intro", open_space.intro),
            proposals_open=data.get("proposals_open", open_space.proposals_open),
            late_proposals=data.get("late_proposals", open_space.late_proposals),
        )
        return Response(_open_space_data(open_space, role))


# --- Views: rooms and time slots -----------------------------------------------------------------


class OpenSpaceRooms(APIView):
    @extend_schema(responses=OpenSpaceRoomOut(many=True), summary="The open space's rooms, in their order")
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, open_space = get_open_space_for_user(request.user, slug, meeting_id)
        rooms, _slots = selectors.rooms_and_slots(open_space)
        return Response(OpenSpaceRoomOut(rooms, many=True).data)

    @extend_schema(request=OpenSpaceRoomIn, responses={201: OpenSpaceRoomOut}, summary="Add a room (facilitators)")
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpaceRoomIn, request.data)
        room = services.room_add(user=actor(request), open_space=open_space, **data)
        return Response(OpenSpaceRoomOut(room).data, status=status.HTTP_201_CREATED)


class OpenSpaceRoom(APIView):
    @extend_schema(
        request=OpenSpaceRoomIn(partial=True),
        responses=OpenSpaceRoomOut,
        summary="Change a room's name, size or access notes (facilitators); fields left out keep their value",
    )
    def patch(self, request: Request, slug: str, meeting_id: int, room_id: int) -> Response:
        _project, _role, _meeting, open_space = _managed(request, slug, meeting_id)
        room = _room(open_space, room_id)
        data = _valid(OpenSpaceRoomIn, request.data, partial=True)
        services.room_edit(
            user=actor(request),
            room=room,
            name=data.get("name", room.name),
            capacity=data.get("capacity", room.capacity),
            access_notes=data.get("access_notes", room.access_notes),
        )
        return Response(OpenSpaceRoomOut(room).data)

    @extend_schema(
        request=None,
        responses=OpenSpaceRemovedOut,
        summary="Remove a room (facilitators): its sessions go back to not yet in the schedule",
    )
    def delete(self, request: Request, slug: str, meeting_id: int, room_id: int) -> Response:
        _project, _role, _meeting, open_space = _managed(request, slug, meeting_id)
        moved = services.room_remove(user=actor(request), room=_room(open_space, room_id))
        return Response(OpenSpaceRemovedOut({"sessions_unscheduled": moved}).data)


class OpenSpaceSlots(APIView):
    @extend_schema(responses=OpenSpaceSlotOut(many=True), summary="The open space's time slots, earliest first")
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, open_space = get_open_space_for_user(request.user, slug, meeting_id)
        _rooms, slots = selectors.rooms_and_slots(open_space)
        return Response(OpenSpaceSlotOut(slots, many=True).data)

    @extend_schema(
        request=OpenSpaceSlotIn,
        responses={201: OpenSpaceSlotOut},
        summary="Add a time slot (facilitators)",
        description="Refused (400) when it overlaps another slot, or is not on the meeting's day(s) or a day "
        "either side. A time without a zone is taken in the site's time zone.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpaceSlotIn, request.data)
        slot = services.slot_add(user=actor(request), open_space=open_space, **data)
        return Response(OpenSpaceSlotOut(slot).data, status=status.HTTP_201_CREATED)


class OpenSpaceSlot(APIView):
    @extend_schema(
        request=OpenSpaceSlotIn,
        responses=OpenSpaceSlotOut,
        summary="Move a time slot (facilitators): its sessions stay in it",
        description="The same checks as adding one (400 when it overlaps another slot or is not on the meeting's "
        "day(s) or a day either side). Once the schedule is published, the people who were told where their "
        "sessions are get the new time by email.",
    )
    def put(self, request: Request, slug: str, meeting_id: int, slot_id: int) -> Response:
        _project, _role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpaceSlotIn, request.data)
        slot = services.slot_edit(user=actor(request), slot=_slot(open_space, slot_id), **data)
        return Response(OpenSpaceSlotOut(slot).data)

    @extend_schema(
        request=None,
        responses=OpenSpaceRemovedOut,
        summary="Remove a time slot (facilitators): its sessions go back to not yet in the schedule",
    )
    def delete(self, request: Request, slug: str, meeting_id: int, slot_id: int) -> Response:
        _project, _role, _meeting, open_space = _managed(request, slug, meeting_id)
        moved = services.slot_remove(user=actor(request), slot=_slot(open_space, slot_id))
        return Response(OpenSpaceRemovedOut({"sessions_unscheduled": moved}).data)


# --- Views: one session (its hosts and facilitators) ---------------------------------------------


class OpenSpaceEnter(APIView):
    @extend_schema(
        request=OpenSpaceEnterIn,
        responses={201: OpenSpaceSessionDetailOut},
        summary="Type in a session proposed on the wall or on paper by someone without an account (facilitators)",
        description="The host is known by name only. Taken whatever the proposal settings; after publishing it "
        "goes in as not yet in the schedule.",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpaceEnterIn, request.data)
        session = services.session_enter(
            user=actor(request),
            open_space=open_space,
            title=data["title"],
            host_name=data["host_name"],
            about=data["about"],
            unavailable_slot_ids=data.get("unavailable_slots", []),
            form_token=idempotency_key(request),
        )
        return Response(_session_data(request.user, role, open_space, session.pk), status=status.HTTP_201_CREATED)


class OpenSpaceSessionDetail(APIView):
    @extend_schema(
        responses=OpenSpaceSessionDetailOut,
        summary="One session, with your part in it (hosting, marked, asked to co-host)",
        description="A withdrawn session is a 404 except to its hosts and facilitators.",
    )
    def get(self, request: Request, slug: str, meeting_id: int, session_id: int) -> Response:
        _project, role, _meeting, open_space, session = get_session_for_user(request.user, slug, meeting_id, session_id)
        return Response(_session_data(request.user, role, open_space, session.pk))

    @extend_schema(
        request=OpenSpaceSessionEditIn,
        responses=OpenSpaceSessionDetailOut,
        summary="Edit a session's title, what it is about, and the times its hosts cannot make (hosts, facilitators)",
        description="Fields left out keep their value.",
    )
    def patch(self, request: Request, slug: str, meeting_id: int, session_id: int) -> Response:
        _project, role, _meeting, open_space, session = _editable_session(request, slug, meeting_id, session_id)
        data = _valid(OpenSpaceSessionEditIn, request.data)
        unavailable = data.get("unavailable_slots")
        if unavailable is None:
            unavailable = list(session.unavailable_slots.values_list("pk", flat=True))
        services.session_edit(
            user=actor(request),
            session=session,
            title=data.get("title", session.title),
            about=data.get("about", session.about),
            unavailable_slot_ids=unavailable,
        )
        return Response(_session_data(request.user, role, open_space, session.pk))


class OpenSpaceWithdraw(APIView):
    @extend_schema(
        request=None,
        responses=OpenSpaceSessionDetailOut,
        summary="Withdraw a session (hosts, facilitators): it leaves the list and the schedule",
        description="Withdrawing twice changes nothing. Marks stay, in case it comes back.",
    )
    def post(self, request: Request, slug: str, meeting_id: int, session_id: int) -> Response:
        _project, role, _meeting, open_space, session = _editable_session(request, slug, meeting_id, session_id)
        services.session_withdraw(user=actor(request), session=session)
        return Response(_session_data(request.user, role, open_space, session.pk))


class OpenSpaceRestore(APIView):
    @extend_schema(
        request=None,
        responses=OpenSpaceSessionDetailOut,
        summary="Bring back a withdrawn session, as not yet in the schedule (hosts, facilitators)",
        description="The same rules as proposing it (400 with the reason when proposals are closed, the "
        "schedule is published without late proposals, or the open space is full).",
    )
    def post(self, request: Request, slug: str, meeting_id: int, session_id: int) -> Response:
        _project, role, _meeting, open_space, session = _editable_session(request, slug, meeting_id, session_id)
        services.session_restore(user=actor(request), session=session, facilitator=TABLE.allowed(role, MANAGE))
        return Response(_session_data(request.user, role, open_space, session.pk))


class OpenSpaceHosts(APIView):
    @extend_schema(
        request=OpenSpaceHostInviteIn,
        responses={202: OpenSpaceInviteSentOut},
        summary="Ask someone to co-host, by the email address of their account (hosts, facilitators)",
        description=(
            "They become a host only when they accept. The answer is the same whether or not the address "
            "belongs to anyone who could host. Limited to 10 an hour per person (429 beyond that)."
        ),
    )
    def post(self, request: Request, slug: str, meeting_id: int, session_id: int) -> Response:
        _project, _role, _meeting, _open_space, session = _editable_session(request, slug, meeting_id, session_id)
        data = _valid(OpenSpaceHostInviteIn, request.data)
        if not ratelimit.consume(request._request, action="unconference_host_invite", user=actor(request)):
            raise Throttled()
        services.host_invite(user=actor(request), session=session, email=data["email"])
        message = services.invite_sent_message(data["email"])
        return Response(OpenSpaceInviteSentOut({"detail": message}).data, status=status.HTTP_202_ACCEPTED)


class OpenSpaceHost(APIView):
    @extend_schema(
        request=None,
        responses={204: None},
        summary="Remove a host (hosts, facilitators); the id is the host's user id (see host_people)",
        description="404 when they are not a host. A session keeps at least one host (400) unless a "
        "facilitator removes the last.",
    )
    def delete(self, request: Request, slug: str, meeting_id: int, session_id: int, user_id: int) -> Response:
        _project, role, _meeting, _open_space, session = _editable_session(request, slug, meeting_id, session_id)
        removed = services.host_remove(
            user=actor(request), session=session, host_user_id=user_id, facilitator=TABLE.allowed(role, MANAGE)
        )
        if not removed:
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)


class OpenSpaceHostAnswer(APIView):
    @extend_schema(
        request=OpenSpaceHostAnswerIn,
        responses=OpenSpaceSessionDetailOut,
        summary="Answer an invitation to co-host a session: accept (become a host) or decline",
        description="400 when no invitation waits for you, or when you host another session at the same time.",
    )
    def post(self, request: Request, slug: str, meeting_id: int, session_id: int) -> Response:
        _project, role, _meeting, open_space, session = get_session_for_user(
            request.user, slug, meeting_id, session_id, "unconference.propose"
        )
        data = _valid(OpenSpaceHostAnswerIn, request.data)
        services.host_invite_answer(user=actor(request), session=session, accept=data["accept"])
        return Response(_session_data(request.user, role, open_space, session.pk))


# --- Views: the schedule (facilitators) ----------------------------------------------------------


def _greedy(result: Any) -> dict[str, int] | None:
    if result is None:
        return None
    return {
        "placed": len(result.placements),
        "clashes": result.clashes,
        "people_with_clash": result.people_with_clash,
        "overflow": result.overflow,
    }


class OpenSpaceBuild(APIView):
    @extend_schema(
        request=None,
        responses=OpenSpaceBuildOut,
        summary="Build the schedule (facilitators): every session into a room and time, keeping those kept by hand",
        description=(
            "Returns the figures: clashes for people interested in several sessions, people beyond their rooms' "
            "size (overflow), and the same for the simple (greedy) method on the same data, to compare. Refused "
            "(400) while the schedule is published, or without rooms, time slots or sessions."
        ),
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, open_space = _managed(request, slug, meeting_id)
        report = services.schedule_build(user=actor(request), open_space=open_space)
        result = report.result
        data = {
            "placed": len(result.placements),
            "clashes": result.clashes,
            "people_with_clash": result.people_with_clash,
            "overflow": result.overflow,
            "seconds": round(result.seconds, 3),
            "kept": report.kept,
            "unscheduled": [{"session": k, "reason": v} for k, v in sorted(result.unscheduled.items())],
            "released": [{"session": pk, "title": title, "reason": why} for pk, title, why in report.released],
            "greedy": _greedy(report.greedy),
        }
        return Response(OpenSpaceBuildOut(data).data)


class OpenSpaceFigures(APIView):
    @extend_schema(
        responses=OpenSpaceFiguresOut,
        summary="The schedule's figures now, hand changes included (facilitators)",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, open_space = _managed(request, slug, meeting_id)
        figures = selectors.figures(open_space)
        data = {
            "placed": figures.placed,
            "sessions": figures.sessions,
            "room_slots": figures.room_slots,
            "clashes": figures.now.clashes,
            "people_with_clash": figures.now.people_with_clash,
            "overflow": figures.now.overflow,
            "hard_violations": figures.now.hard_violations,
            "greedy": _greedy(figures.greedy),
            "built_at": open_space.built_at,
        }
        return Response(OpenSpaceFiguresOut(data).data)


class OpenSpacePlace(APIView):
    @extend_schema(
        request=OpenSpacePlaceIn,
        responses=OpenSpaceSessionDetailOut,
        summary="Put a session in a room at a time, by hand (facilitators)",
        description="Refused (400, with the reason) when the room is taken then, a host is busy then, or the "
        "hosts cannot make that time. Kept there when rebuilding unless `pin` is false.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpacePlaceIn, request.data)
        session = services.schedule_place(
            user=actor(request),
            open_space=open_space,
            session_id=data["session"],
            room_id=data["room"],
            slot_id=data["slot"],
            pin=data["pin"],
        )
        return Response(_session_data(request.user, role, open_space, session.pk))


class OpenSpaceSwap(APIView):
    @extend_schema(
        request=OpenSpaceSwapIn,
        responses=OpenSpaceSwapOut,
        summary="Swap two sessions' places (facilitators); both are then kept where they are",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpaceSwapIn, request.data)
        first, second = services.schedule_swap(
            user=actor(request), open_space=open_space, first_id=data["first"], second_id=data["second"]
        )
        return Response(
            {
                "first": _session_data(request.user, role, open_space, first.pk),
                "second": _session_data(request.user, role, open_space, second.pk),
            }
        )


class OpenSpaceTakeOut(APIView):
    @extend_schema(
        request=OpenSpaceSessionRefIn,
        responses=OpenSpaceSessionDetailOut,
        summary="Take a session out of the schedule, back to not yet in the schedule (facilitators)",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpaceSessionRefIn, request.data)
        session = services.schedule_unplace(user=actor(request), open_space=open_space, session_id=data["session"])
        return Response(_session_data(request.user, role, open_space, session.pk))


class OpenSpacePin(APIView):
    @extend_schema(
        request=OpenSpacePinIn,
        responses=OpenSpaceSessionDetailOut,
        summary="Keep a placed session where it is when the schedule is built again, or let it move (facilitators)",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = _managed(request, slug, meeting_id)
        data = _valid(OpenSpacePinIn, request.data)
        session = services.session_pin(
            user=actor(request), open_space=open_space, session_id=data["session"], pinned=data["pinned"]
        )
        return Response(_session_data(request.user, role, open_space, session.pk))


class OpenSpacePublish(APIView):
    @extend_schema(
        request=None,
        responses=OpenSpaceOut,
        summary="Publish the schedule board (facilitators)",
        description="The first time, hosts and the people who marked sessions are emailed theirs (in the "
        "background). Publishing twice changes nothing. Refused (400) with nothing in the schedule, or a "
        "schedule that breaks a rule.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = _managed(request, slug, meeting_id)
        services.schedule_publish(user=actor(request), open_space=open_space)
        return Response(_open_space_data(open_space, role))

    @extend_schema(
        request=None,
        responses=OpenSpaceOut,
        summary="Take the schedule down: only facilitators see it until it is published again",
    )
    def delete(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, open_space = _managed(request, slug, meeting_id)
        services.schedule_unpublish(user=actor(request), open_space=open_space)
        return Response(_open_space_data(open_space, role))


# The lines copro/api/urls.py includes (in its "unconference api" block).
_OPEN_SPACE = "projects/<slug:slug>/meetings/<int:meeting_id>/open-space/"
_SESSION = _OPEN_SPACE + "sessions/<int:session_id>/"
_SCHEDULE = _OPEN_SPACE + "schedule/"

urlpatterns = [
    path(_OPEN_SPACE, OpenSpaceDetail.as_view(), name="open_space"),
    path(_OPEN_SPACE + "rooms/", OpenSpaceRooms.as_view(), name="open_space_rooms"),
    path(_OPEN_SPACE + "rooms/<int:room_id>/", OpenSpaceRoom.as_view(), name="open_space_room"),
    path(_OPEN_SPACE + "slots/", OpenSpaceSlots.as_view(), name="open_space_slots"),
    path(_OPEN_SPACE + "slots/<int:slot_id>/", OpenSpaceSlot.as_view(), name="open_space_slot"),
    path(_OPEN_SPACE + "enter/", OpenSpaceEnter.as_view(), name="open_space_enter"),
    path(_OPEN_SPACE + "sessions/", OpenSpaceSessions.as_view(), name="open_space_sessions"),
    path(_SESSION, OpenSpaceSessionDetail.as_view(), name="open_space_session"),
    path(_SESSION + "interest/", OpenSpaceInterest.as_view(), name="open_space_interest"),
    path(_SESSION + "withdraw/", OpenSpaceWithdraw.as_view(), name="open_space_withdraw"),
    path(_SESSION + "restore/", OpenSpaceRestore.as_view(), name="open_space_restore"),
    path(_SESSION + "hosts/", OpenSpaceHosts.as_view(), name="open_space_hosts"),
    path(_SESSION + "hosts/answer/", OpenSpaceHostAnswer.as_view(), name="open_space_host_answer"),
    path(_SESSION + "hosts/<int:user_id>/", OpenSpaceHost.as_view(), name="open_space_host"),
    path(_SCHEDULE, OpenSpaceSchedule.as_view(), name="open_space_schedule"),
    path(_SCHEDULE + "figures/", OpenSpaceFigures.as_view(), name="open_space_figures"),
    path(_SCHEDULE + "build/", OpenSpaceBuild.as_view(), name="open_space_build"),
    path(_SCHEDULE + "place/", OpenSpacePlace.as_view(), name="open_space_place"),
    path(_SCHEDULE + "swap/", OpenSpaceSwap.as_view(), name="open_space_swap"),
    path(_SCHEDULE + "take-out/", OpenSpaceTakeOut.as_view(), name="open_space_take_out"),
    path(_SCHEDULE + "pin/", OpenSpacePin.as_view(), name="open_space_pin"),
    path(_SCHEDULE + "publish/", OpenSpacePublish.as_view(), name="open_space_publish"),
]
