"""Open space in the REST API: the same access functions, selectors and services as the pages.

List and propose sessions, mark and unmark the ones you want to join, and read the published schedule.
Building and adjusting the schedule stay on the facilitators' page.
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.permissions import TABLE
from copro.core.views import actor
from copro.unconference import selectors, services
from copro.unconference.access import get_open_space_for_user, get_session_for_user, is_host
from copro.unconference.models import Interest, Room, Session, Slot

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
        child=serializers.IntegerField(min_value=1),
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


# The lines copro/api/urls.py includes (in its "unconference api" block).
_OPEN_SPACE = "projects/<slug:slug>/meetings/<int:meeting_id>/open-space/"

urlpatterns = [
    path(_OPEN_SPACE + "sessions/", OpenSpaceSessions.as_view(), name="open_space_sessions"),
    path(
        _OPEN_SPACE + "sessions/<int:session_id>/interest/",
        OpenSpaceInterest.as_view(),
        name="open_space_interest",
    ),
    path(_OPEN_SPACE + "schedule/", OpenSpaceSchedule.as_view(), name="open_space_schedule"),
]
