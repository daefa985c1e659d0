"""Meetings in the REST API: the same access functions, selectors and services as the pages.

Registering answers with a status code that says what happened, and an `outcome` field that says it in
words:
- 201 Created, outcome "registered": you have a place;
- 202 Accepted, outcome "waitlisted": the meeting is full, you are on its waiting list (a place, if one
  comes free, is given automatically and you are emailed);
- 200 OK, outcome "already_registered" or "already_waitlisted": you had registered before; nothing changed;
- 400 with a message: registration is closed, the meeting is cancelled or over, or a field is wrong.
Cancelling (DELETE) answers 204, or 404 when you had no place and were not waiting. PATCH changes your
access needs (or reminders) on a registration you have.

Facilitators plan meetings here too: POST to the list creates a meeting (a draft), PATCH on a meeting changes
it, and publish/ and cancel/ do what the buttons on the page do. Their other work (agenda, registrations and
access needs, attendance, minutes, actions, workshop teams) is in copro/meetings/api_staff.py, under the same
paths and the same "api" names.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from django.db.models import Prefetch
from django.urls import path, reverse
from django.utils.http import urlencode
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.permissions import Role
from copro.core.views import actor
from copro.meetings import selectors, services
from copro.meetings.access import get_meeting_for_user
from copro.meetings.embed import webcast_embed_url
from copro.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingAction,
    MeetingFormat,
    Registration,
    RegistrationStatus,
)
from copro.projects.access import get_project_for_user
from copro.projects.models import Project

# The most places a meeting can have (as on the page's form).
CAPACITY_MAX = 100_000

# --- Out -----------------------------------------------------------------------------------------


class AgendaItemOut(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["id", "position", "title", "starts_at", "duration_minutes", "led_by", "description"]


class MeetingActionOut(serializers.ModelSerializer):
    who = serializers.CharField(read_only=True, help_text="The person's name, or the name written in.")

    class Meta:
        model = MeetingAction
        fields = ["id", "text", "who", "due_on", "status", "done_at"]


class MeetingOut(serializers.ModelSerializer):
    places_left = serializers.SerializerMethodField(help_text="Free places; null when there is no limit.")
    registered = serializers.SerializerMethodField(help_text="Places taken.")
    waitlisted = serializers.SerializerMethodField(help_text="People on the waiting list.")
    my_registration = serializers.SerializerMethodField(
        help_text="Your registration's status (registered, waitlisted), or null."
    )
    url = serializers.SerializerMethodField(help_text="The meeting's page.")
    ics_url = serializers.SerializerMethodField(help_text="The meeting as an iCalendar file.")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "description",
            "format",
            "status",
            "starts_at",
            "ends_at",
            "venue",
            "venue_access",
            "webcast_url",
            "capacity",
            "registration_open",
            "registered",
            "waitlisted",
            "places_left",
            "my_registration",
            "url",
            "ics_url",
        ]

    def _mine(self) -> dict[int, str]:
        return self.context.get("mine", {})

    def get_registered(self, m: Meeting) -> int:
        return getattr(m, "registered_count", 0)

    def get_waitlisted(self, m: Meeting) -> int:
        return getattr(m, "waitlisted_count", 0)

    def get_places_left(self, m: Meeting) -> int | None:
        return None if m.capacity is None else max(m.capacity - getattr(m, "registered_count", 0), 0)

    def get_my_registration(self, m: Meeting) -> str | None:
        return self._mine().get(m.pk)

    def get_url(self, m: Meeting) -> str:
        return reverse("meetings:detail", args=[self.context["slug"], m.pk])

    def get_ics_url(self, m: Meeting) -> str:
        return reverse("meetings:ics", args=[self.context["slug"], m.pk])


class MeetingDetailOut(MeetingOut):
    agenda = AgendaItemOut(many=True, read_only=True, source="agenda_items")
    join_url = serializers.SerializerMethodField(help_text="Only for people with a place, and facilitators.")
    webcast_embed_url = serializers.SerializerMethodField(help_text="The player address, for known providers.")
    minutes = serializers.SerializerMethodField(help_text="Sanitised HTML, once published.")
    actions = serializers.SerializerMethodField(
        help_text=(
            "The actions agreed, with who will do them: null until the minutes are published "
            "(facilitators see them at once)."
        )
    )
    cancelled_reason = serializers.CharField(read_only=True)

    class Meta(MeetingOut.Meta):
        fields = [
            *MeetingOut.Meta.fields,
            "join_url",
            "webcast_embed_url",
            "agenda",
            "minutes",
            "actions",
            "cancelled_reason",
        ]

    def get_join_url(self, m: Meeting) -> str | None:
        return m.join_url if self.context.get("show_join_link") and m.join_url else None

    def get_webcast_embed_url(self, m: Meeting) -> str | None:
        return webcast_embed_url(m.webcast_url)

    def get_minutes(self, m: Meeting) -> str | None:
        return m.minutes if m.minutes_published_at else None

    @extend_schema_field(MeetingActionOut(many=True, allow_null=True))
    def get_actions(self, m: Meeting) -> Any:
        if not self.context.get("show_actions"):
            return None
        return MeetingActionOut(m.actions.all(), many=True).data


class AccessNeedsIO(serializers.Serializer):
    step_free = serializers.BooleanField(default=False, help_text="Step-free access (no stairs).")
    interpreter = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=100,
        help_text='The language an interpreter is needed for ("BSL" for British Sign Language); empty: none.',
    )
    hearing_loop = serializers.BooleanField(default=False)
    childcare = serializers.BooleanField(default=False)
    childcare_details = serializers.CharField(
        default="", allow_blank=True, max_length=300, help_text="How many children, and their ages."
    )
    dietary = serializers.CharField(default="", allow_blank=True, max_length=300)
    other_needs = serializers.CharField(default="", allow_blank=True, max_length=1000)


class RegistrationIn(AccessNeedsIO):
    wants_reminders = serializers.BooleanField(default=True, help_text="Email reminders 2 days and 2 hours before.")


class RegistrationOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RegistrationStatus.choices)
    outcome = serializers.CharField(
        help_text="registered, waitlisted, already_registered or already_waitlisted (absent on GET)",
        required=False,
    )
    waiting_position = serializers.IntegerField(allow_null=True, help_text="1 for the first on the waiting list.")
    access_needs = AccessNeedsIO()
    wants_reminders = serializers.BooleanField()
    registered_at = serializers.DateTimeField(source="queued_at")


def fields_of(dataclass_type: Any) -> list[str]:
    return [f.name for f in fields(dataclass_type)]


def _registration_data(registration: Registration, outcome: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": registration.pk,
        "status": registration.status,
        "waiting_position": selectors.waiting_position(registration),
        "access_needs": {name: getattr(registration, str(name)) for name in AccessNeedsIO().fields},
        "wants_reminders": registration.wants_reminders,
        "queued_at": registration.queued_at,
    }
    if outcome:
        data["outcome"] = outcome
    return RegistrationOut(data).data


class MeetingIn(serializers.Serializer):
    """A meeting's details. The service checks them (and says what is wrong, field by field)."""

    title = serializers.CharField(allow_blank=True, help_text="At most 200 characters.")
    format = serializers.ChoiceField(choices=MeetingFormat.choices, default=MeetingFormat.IN_PERSON)
    starts_at = serializers.DateTimeField(help_text="Between 2000 and 2100; without an offset it is UK time.")
    ends_at = serializers.DateTimeField(help_text="After the start, at most 14 days later.")
    description = serializers.CharField(allow_blank=True, default="", help_text="At most 10,000 characters.")
    venue = serializers.CharField(
        allow_blank=True, default="", help_text="Name and address; needed for in-person and hybrid meetings."
    )
    venue_access = serializers.CharField(
        allow_blank=True, default="", help_text="Step-free access, toilets, hearing loop, parking, buses."
    )
    join_url = serializers.CharField(
        allow_blank=True,
        default="",
        max_length=500,
        help_text="The link to join online (https://…); only people with a place and facilitators see it.",
    )
    webcast_url = serializers.CharField(
        allow_blank=True, default="", max_length=500, help_text="A public stream anyone can watch (https://…)."
    )
    capacity = serializers.IntegerField(
        allow_null=True,
        default=None,
        min_value=1,
        max_value=CAPACITY_MAX,
        help_text="Places; null for no limit. Raising it gives places to the waiting list at once.",
    )
    registration_open = serializers.BooleanField(default=True)


class MeetingCancelIn(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True,
        default="",
        help_text="Why it is cancelled (at most 2,000 characters); sent to everyone registered or waiting.",
    )


# --- Views ---------------------------------------------------------------------------------------


def _mine(request: Request, project: Any) -> dict[int, str]:
    if not request.user.is_authenticated:
        return {}
    return dict(
        Registration.objects.filter(user=request.user, meeting__project=project)
        .exclude(status=RegistrationStatus.CANCELLED)
        .values_list("meeting_id", "status")
    )


class MeetingList(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=MeetingOut(many=True),
        summary="A project's meetings and workshops, soonest first (drafts only for facilitators)",
    )
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "meetings.view")
        from copro.meetings.access import visible_meetings

        meetings = selectors.with_counts(visible_meetings(project, role)).order_by("starts_at", "id")
        paginator = Pagination()
        page = paginator.paginate_queryset(meetings, request, view=self) or []
        context = {"slug": project.slug, "mine": _mine(request, project)}
        return paginator.get_paginated_response(MeetingOut(page, many=True, context=context).data)

    @extend_schema(
        request=MeetingIn,
        responses={201: MeetingDetailOut},
        summary="Plan a meeting or workshop (facilitators): it starts as a draft, seen only by facilitators",
        description="Publish it (publish/) so people can see it and register. Problems are 400s, field by field.",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "meetings.manage")
        data = _valid(MeetingIn, request.data)
        meeting = services.meeting_create(
            user=actor(request),
            project=project,
            data=services.MeetingFields(**data),
            form_token=idempotency_key(request),
        )
        meeting.project = project
        return meeting_response(request, project, role, meeting, status.HTTP_201_CREATED)


def meeting_response(
    request: Request, project: Project, role: Role, meeting: Meeting, code: int = status.HTTP_200_OK
) -> Response:
    """The meeting as MeetingDetailOut shows it to this person (counts, agenda, join link, actions)."""
    show_actions = selectors.actions_visible(meeting, role)
    prefetch: list[Any] = ["agenda_items"]
    if show_actions:
        prefetch.append(Prefetch("actions", MeetingAction.objects.select_related("assignee")))
    counted = selectors.with_counts(Meeting.objects.filter(pk=meeting.pk)).prefetch_related(*prefetch).get()
    counted.project = project
    registration = selectors.registration_for(meeting, request.user)
    context = {
        "slug": project.slug,
        "mine": _mine(request, project),
        "show_join_link": selectors.can_see_join_link(counted, registration, role),
        "show_actions": show_actions,
    }
    return Response(MeetingDetailOut(counted, context=context).data, status=code)


class MeetingDetail(APIView):
    @extend_schema(
        responses=MeetingDetailOut,
        summary="A meeting with its agenda, and its minutes and actions once the minutes are published",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id)
        return meeting_response(request, project, role, meeting)

    @extend_schema(
        request=MeetingIn(partial=True),
        responses=MeetingDetailOut,
        summary="Change a meeting (facilitators): send only the fields that change",
        description=(
            "A new time, format, venue or join link is emailed to everyone registered once the meeting is "
            "published; more places go to the waiting list at once."
        ),
    )
    def patch(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
        data = _valid(MeetingIn, request.data, partial=True)
        current = {f.name: getattr(meeting, f.name) for f in fields(services.MeetingFields)}
        edited = services.meeting_edit(
            user=actor(request), meeting=meeting, data=services.MeetingFields(**{**current, **data})
        )
        return meeting_response(request, project, role, edited)


class MeetingPublish(APIView):
    @extend_schema(
        request=None,
        responses=MeetingDetailOut,
        summary="Publish a draft meeting (facilitators): people can then see it and register",
        description="400 if the meeting is not a draft (already published, or cancelled).",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
        published = services.meeting_publish(user=actor(request), meeting=meeting)
        return meeting_response(request, project, role, published)


class MeetingCancel(APIView):
    @extend_schema(
        request=MeetingCancelIn,
        responses=MeetingDetailOut,
        summary="Cancel a meeting (facilitators): everyone registered or waiting is told by email",
        description="400 if it is already cancelled.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
        data = _valid(MeetingCancelIn, request.data)
        cancelled = services.meeting_cancel(user=actor(request), meeting=meeting, reason=data["reason"])
        return meeting_response(request, project, role, cancelled)


class MeetingRegistration(APIView):
    @extend_schema(responses=RegistrationOut, summary="Your registration for this meeting (404 if you have none)")
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.register")
        registration = selectors.registration_for(meeting, actor(request))
        if registration is None or not registration.is_active:
            raise NotFound("You are not registered for this meeting.")
        return Response(_registration_data(registration))

    @extend_schema(
        request=RegistrationIn,
        responses={201: RegistrationOut, 202: RegistrationOut, 200: RegistrationOut},
        summary="Register: 201 with a place, 202 on the waiting list, 200 if you were already registered",
        description=(
            "Access needs are seen only by you and the project's facilitators. Registering twice never takes "
            "a second place: the repeat answers 200 with outcome already_registered (or already_waitlisted)."
        ),
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.register")
        data = _valid(RegistrationIn, request.data)
        wants = data.pop("wants_reminders")
        result = services.registration_create(
            meeting=meeting, user=actor(request), needs=services.AccessNeeds(**data), wants_reminders=wants
        )
        code = {
            services.Outcome.REGISTERED: status.HTTP_201_CREATED,
            services.Outcome.WAITLISTED: status.HTTP_202_ACCEPTED,
        }.get(result.outcome, status.HTTP_200_OK)
        return Response(_registration_data(result.registration, result.outcome.value), status=code)

    @extend_schema(
        request=RegistrationIn(partial=True),
        responses=RegistrationOut,
        summary="Change your access needs (or reminders) on your registration: send only what changes",
        description=(
            "A change to the access needs marks them as not yet arranged, so the facilitators look again. "
            "404 if you are not registered (or waiting)."
        ),
    )
    def patch(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.register")
        user = actor(request)
        registration = selectors.registration_for(meeting, user)
        if registration is None or not registration.is_active:
            raise NotFound("You are not registered for this meeting.")
        data = _valid(RegistrationIn, request.data, partial=True)
        wants = data.pop("wants_reminders", registration.wants_reminders)
        needs = {name: getattr(registration, name) for name in fields_of(services.AccessNeeds)}
        needs.update(data)
        services.registration_update(
            registration=registration, user=user, needs=services.AccessNeeds(**needs), wants_reminders=wants
        )
        return Response(_registration_data(registration))

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Give up your place (or leave the waiting list); the first person waiting gets the place",
    )
    def delete(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.register")
        registration = selectors.registration_for(meeting, actor(request))
        if registration is None or not registration.is_active:
            raise NotFound("You are not registered for this meeting.")
        services.registration_cancel(registration=registration, user=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# The facilitators' endpoints and workshop teams import the serializers above, so they are loaded here, last.
class CalendarAddressOut(serializers.Serializer):
    url = serializers.CharField(help_text="The address a calendar program subscribes to (iCalendar, RFC 5545).")
    personal = serializers.BooleanField(
        help_text="True: the address carries your own key, so it shows the meetings you may see without "
        "signing in (a private project's too). Keep it to yourself."
    )


def _calendar_address(request: Request, project: Project) -> dict[str, Any]:
    url = request.build_absolute_uri(reverse("meetings:calendar_ics", args=[project.slug]))
    if not request.user.is_authenticated:
        return {"url": url, "personal": False}
    return {"url": f"{url}?{urlencode({'key': services.calendar_key_for(actor(request), project)})}", "personal": True}


class CalendarAddress(APIView):
    @extend_schema(
        responses=CalendarAddressOut,
        summary="The address to subscribe to a project's calendar of meetings",
        description="Signed in: your own address (made the first time it is asked for). Otherwise the public one.",
    )
    def get(self, request: Request, slug: str) -> Response:
        project, _role = get_project_for_user(request.user, slug, "meetings.view")
        return Response(CalendarAddressOut(_calendar_address(request, project)).data)


class CalendarNewAddress(APIView):
    @extend_schema(
        request=None,
        responses=CalendarAddressOut,
        summary="Make a new personal calendar address: every address with your old key stops working at once",
    )
    def post(self, request: Request, slug: str) -> Response:
        project, _role = get_project_for_user(request.user, slug, "meetings.view")
        services.calendar_key_renew(actor(request), project)
        return Response(CalendarAddressOut(_calendar_address(request, project)).data)


from copro.meetings.api_staff import urlpatterns as staff_urlpatterns  # noqa: E402

# Wired into copro/api/urls.py (app "api"), so the names are api:meetings, api:meeting, api:meeting_registration
# (and api:meeting_publish, api:meeting_cancel, then those of api_staff).
urlpatterns = [
    path("projects/<slug:slug>/meetings/", MeetingList.as_view(), name="meetings"),
    path("projects/<slug:slug>/meetings/<int:meeting_id>/", MeetingDetail.as_view(), name="meeting"),
    path("projects/<slug:slug>/meetings/<int:meeting_id>/publish/", MeetingPublish.as_view(), name="meeting_publish"),
    path("projects/<slug:slug>/meetings/<int:meeting_id>/cancel/", MeetingCancel.as_view(), name="meeting_cancel"),
    path(
        "projects/<slug:slug>/meetings/<int:meeting_id>/registration/",
        MeetingRegistration.as_view(),
        name="meeting_registration",
    ),
    path("projects/<slug:slug>/meetings/calendar/", CalendarAddress.as_view(), name="meetings_calendar"),
    path(
        "projects/<slug:slug>/meetings/calendar/new-address/",
        CalendarNewAddress.as_view(),
        name="meetings_calendar_new_address",
    ),
    *staff_urlpatterns,
]
