"""Meetings in the REST API, the facilitators' side and workshop teams: the same access functions,
selectors and services as the pages (copro/meetings/views.py), under the same paths as copro/meetings/api.py.

- Agenda: list, add, change, move up or down, remove (meetings.manage).
- Registrations with access needs (meetings.registrations, facilitators only: access needs are personal),
  a summary per need, marking needs as met, cancelling someone's place (the waiting list moves on), and
  registering someone without an account (meetings.enter): 201 with a place, 202 on the waiting list.
- Attendance (meetings.attendance): tick who came, add walk-ins by name (a name already on the list is
  ticked, not added twice) and a number of people who gave no name.
- Minutes (meetings.minutes): save, publish, hide again. Actions: list, add, change, mark done (facilitators,
  and the person the action is for).
- Teams: list, make, Copro's suggestion (preview and use), move a person, rename, remove (meetings.teams);
  join and leave (meetings.team_join); submit the team's solution as an idea (meetings.team_submit).

Creating things that a double click could create twice (an agenda item, a registration typed in, attendance,
an action, a team's idea) takes an optional Idempotency-Key header: the repeat gets 409, as the pages' one-time
forms do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.forms import whole_number
from copro.core.models import OFFLINE_ENTRY_CHANNELS
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.meetings import selectors, services
from copro.meetings.access import (
    action_in,
    agenda_item_in,
    get_meeting_for_user,
    get_team_for_user,
)
from copro.meetings.api import AccessNeedsIO, AgendaItemOut, fields_of
from copro.meetings.models import (
    Meeting,
    MeetingAction,
    Registration,
    RegistrationStatus,
    Team,
    TeamMember,
)
from copro.projects.models import Membership, Project

# Ids are 64-bit signed integers in the database: a larger number names nothing (and SQLite raises
# OverflowError on it), so it is refused as bad input, a 400.
ID_MAX = 2**63 - 1
# Ticks per attendance request (the page saves 200 at a time; the API takes more, still far below what a
# database takes in one query).
ATTENDANCE_IDS_MAX = 1000
SCOPE_ITEMS_MAX = 100

M = "projects/<slug:slug>/meetings/<int:meeting_id>/"
T = M + "teams/<int:team_id>/"


def _optional_url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- Agenda ----------------------------------------------------------------------------------------


class AgendaItemIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text="What happens (at most 200 characters).")
    starts_at = serializers.TimeField(allow_null=True, default=None, help_text="A time of day, like 10:30.")
    duration_minutes = serializers.IntegerField(allow_null=True, default=None, min_value=1, max_value=24 * 60)
    led_by = serializers.CharField(allow_blank=True, default="", help_text="At most 200 characters.")
    description = serializers.CharField(allow_blank=True, default="", help_text="At most 2,000 characters.")


AGENDA_FIELDS = ("title", "starts_at", "duration_minutes", "led_by", "description")


class AgendaMoveIn(serializers.Serializer):
    direction = serializers.ChoiceField(choices=[("up", "up"), ("down", "down")])


def _agenda(meeting: Meeting) -> Response:
    return Response(AgendaItemOut(meeting.agenda_items.all(), many=True).data)


class Agenda(APIView):
    @extend_schema(responses=AgendaItemOut(many=True), summary="A meeting's agenda, in order")
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id)
        return _agenda(meeting)

    @extend_schema(
        request=AgendaItemIn,
        responses={201: AgendaItemOut},
        summary="Add an item at the end of the agenda (facilitators)",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
        data = _valid(AgendaItemIn, request.data)
        item = services.agenda_item_add(
            user=actor(request), meeting=meeting, form_token=idempotency_key(request), **data
        )
        return Response(AgendaItemOut(item).data, status=status.HTTP_201_CREATED)


class AgendaItemView(APIView):
    @extend_schema(
        request=AgendaItemIn(partial=True),
        responses=AgendaItemOut,
        summary="Change an agenda item (facilitators): send only the fields that change",
    )
    def patch(self, request: Request, slug: str, meeting_id: int, item_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
        item = agenda_item_in(meeting, item_id)
        data = _valid(AgendaItemIn, request.data, partial=True)
        current = {name: getattr(item, name) for name in AGENDA_FIELDS}
        edited = services.agenda_item_edit(user=actor(request), item=item, **{**current, **data})
        return Response(AgendaItemOut(edited).data)

    @extend_schema(request=None, responses={204: None}, summary="Take an item off the agenda (facilitators)")
    def delete(self, request: Request, slug: str, meeting_id: int, item_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
        item = agenda_item_in(meeting, item_id)
        services.agenda_item_remove(user=actor(request), item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgendaItemMove(APIView):
    @extend_schema(
        request=AgendaMoveIn,
        responses=AgendaItemOut(many=True),
        summary="Move an agenda item up or down one place (facilitators); answers with the whole agenda",
    )
    def post(self, request: Request, slug: str, meeting_id: int, item_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.manage")
        item = agenda_item_in(meeting, item_id)
        data = _valid(AgendaMoveIn, request.data)
        services.agenda_item_move(user=actor(request), item=item, up=data["direction"] == "up")
        return _agenda(meeting)


# --- Registrations and access needs (facilitators) ------------------------------------------------


class RegistrationStaffOut(serializers.ModelSerializer):
    """A registration as facilitators see it. Access needs are personal: only they (and the person) see them."""

    name = serializers.CharField(source="display_name", read_only=True)
    has_account = serializers.BooleanField(read_only=True)
    email = serializers.CharField(read_only=True, help_text="Only for people without an account (typed in).")
    phone = serializers.CharField(read_only=True, help_text="Only for people without an account (typed in).")
    access_needs = AccessNeedsIO(source="*", read_only=True)
    has_access_needs = serializers.BooleanField(read_only=True)
    needs_met_by = serializers.SerializerMethodField(help_text="Who marked the needs as met.")
    entered_by = serializers.SerializerMethodField(help_text="The facilitator who typed the registration in.")

    class Meta:
        model = Registration
        fields = [
            "id",
            "name",
            "has_account",
            "email",
            "phone",
            "channel",
            "language",
            "status",
            "queued_at",
            "promoted_at",
            "cancelled_at",
            "access_needs",
            "has_access_needs",
            "needs_met_at",
            "needs_met_by",
            "needs_note",
            "wants_reminders",
            "attended",
            "entered_by",
        ]

    def get_needs_met_by(self, r: Registration) -> str | None:
        return r.needs_met_by.public_name if r.needs_met_by is not None else None

    def get_entered_by(self, r: Registration) -> str | None:
        return r.entered_by.public_name if r.entered_by is not None else None


class EnteredRegistrationOut(RegistrationStaffOut):
    outcome = serializers.CharField(read_only=True, help_text="registered or waitlisted")

    class Meta(RegistrationStaffOut.Meta):
        fields = [*RegistrationStaffOut.Meta.fields, "outcome"]


class RegistrationCancelledOut(serializers.Serializer):
    registration = RegistrationStaffOut()
    already_cancelled = serializers.BooleanField(help_text="It was cancelled before: nothing changed.")
    told_by_email = serializers.BooleanField(
        help_text="The person is told by email; false: there is no address, please tell them yourself."
    )
    promoted = RegistrationStaffOut(allow_null=True, help_text="The first on the waiting list, who now has the place.")


class EnterIn(AccessNeedsIO):
    name = serializers.CharField(allow_blank=True, help_text="Their name, so they can be found at the door.")
    email = serializers.CharField(
        allow_blank=True, default="", max_length=254, help_text="If given, the confirmation and reminders go there."
    )
    phone = serializers.CharField(allow_blank=True, default="", help_text="At most 40 characters.")
    channel = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in OFFLINE_ENTRY_CHANNELS], help_text="How they reached you."
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, default="en", help_text="The language of their emails."
    )


class NeedsMetIn(serializers.Serializer):
    met = serializers.BooleanField(help_text="true: the needs are arranged; false: not yet.")
    note = serializers.CharField(
        allow_blank=True, default="", max_length=500, help_text="A note for the team (replaces the one saved)."
    )


class NeedLineOut(serializers.Serializer):
    key = serializers.CharField(help_text="step_free, interpreter, hearing_loop, childcare, dietary or other")
    label = serializers.CharField(help_text="The need in words.")  # type: ignore[assignment]  # a field, not Field.label
    count = serializers.IntegerField()
    registrations = serializers.ListField(child=serializers.IntegerField(), help_text="The registrations' ids.")


class PlacesOut(serializers.Serializer):
    registered = serializers.IntegerField()
    waitlisted = serializers.IntegerField()
    capacity = serializers.IntegerField(allow_null=True)
    left = serializers.IntegerField(allow_null=True)


class AccessNeedsSummaryOut(serializers.Serializer):
    places = PlacesOut()
    needs = NeedLineOut(many=True, help_text="People with a place or waiting, per need (interpreters per language).")


STATUS_FILTER = OpenApiParameter(
    "status", OpenApiTypes.STR, enum=list(RegistrationStatus.values), description="Only registrations in this state."
)
NEEDS_FILTER = OpenApiParameter(
    "with_needs", OpenApiTypes.BOOL, description="true: only people who asked for an access need."
)


def _staff(meeting: Meeting, registration_id: int) -> Registration:
    found = selectors.registrations_for_staff(meeting).filter(pk=registration_id).first()
    if found is None:
        raise NotFound()
    found.meeting = meeting
    return found


class Registrations(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=RegistrationStaffOut(many=True),
        summary="Who registered, with their access needs, in the order they asked (facilitators)",
        parameters=[STATUS_FILTER, NEEDS_FILTER],
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.registrations")
        everyone = selectors.registrations_for_staff(meeting).order_by("queued_at", "id")
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in RegistrationStatus.values:
                raise DRFValidationError({"status": ["Choose registered, waitlisted or cancelled."]})
            everyone = everyone.filter(status=wanted)
        with_needs = request.query_params.get("with_needs")
        if with_needs is not None:
            if with_needs not in ("true", "false"):
                raise DRFValidationError({"with_needs": ["Give true or false."]})
            everyone = (
                everyone.filter(selectors.ANY_NEED) if with_needs == "true" else everyone.exclude(selectors.ANY_NEED)
            )
        paginator = Pagination()
        page = paginator.paginate_queryset(everyone, request, view=self) or []
        return paginator.get_paginated_response(RegistrationStaffOut(page, many=True).data)

    @extend_schema(
        request=EnterIn,
        responses={201: EnteredRegistrationOut, 202: EnteredRegistrationOut},
        summary="Register someone without an account (facilitators): 201 with a place, 202 on the waiting list",
        description="For people reached by phone, on paper or in person. Only a published meeting that has not "
        "taken place takes registrations (400 otherwise).",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.enter")
        data = _valid(EnterIn, request.data)
        needs = services.AccessNeeds(**{name: data.pop(name) for name in fields_of(services.AccessNeeds)})
        result = services.registration_enter(
            meeting=meeting, entered_by=actor(request), needs=needs, form_token=idempotency_key(request), **data
        )
        registration = _staff(meeting, result.registration.pk)
        registration.outcome = result.outcome.value  # type: ignore[attr-defined]
        code = status.HTTP_201_CREATED if result.outcome == services.Outcome.REGISTERED else status.HTTP_202_ACCEPTED
        return Response(EnteredRegistrationOut(registration).data, status=code)


class RegistrationStaff(APIView):
    @extend_schema(responses=RegistrationStaffOut, summary="One registration, with access needs (facilitators)")
    def get(self, request: Request, slug: str, meeting_id: int, registration_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.registrations")
        return Response(RegistrationStaffOut(_staff(meeting, registration_id)).data)

    @extend_schema(
        request=None,
        responses=RegistrationCancelledOut,
        summary="Cancel someone's place (facilitators): they are told by email; the first waiting gets the place",
    )
    def delete(self, request: Request, slug: str, meeting_id: int, registration_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.registrations")
        registration = _staff(meeting, registration_id)
        was_active = registration.is_active
        promoted = services.registration_cancel(registration=registration, user=actor(request), by_staff=True)
        return Response(
            RegistrationCancelledOut(
                {
                    "registration": _staff(meeting, registration_id),
                    "already_cancelled": not was_active,
                    "told_by_email": was_active and bool(registration.contact_email),
                    "promoted": _staff(meeting, promoted.pk) if promoted is not None else None,
                }
            ).data
        )


class RegistrationNeedsMet(APIView):
    @extend_schema(
        request=NeedsMetIn,
        responses=RegistrationStaffOut,
        summary="Mark a person's access needs as met, or not yet (facilitators), with an optional note",
    )
    def post(self, request: Request, slug: str, meeting_id: int, registration_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.registrations")
        registration = _staff(meeting, registration_id)
        data = _valid(NeedsMetIn, request.data)
        services.registration_needs_met(registration=registration, user=actor(request), **data)
        return Response(RegistrationStaffOut(_staff(meeting, registration_id)).data)


class AccessNeedsSummary(APIView):
    @extend_schema(
        responses=AccessNeedsSummaryOut,
        summary="Places taken, and how many people need each thing (facilitators)",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.registrations")
        everyone = list(selectors.registrations_for_staff(meeting))
        places = selectors.places(meeting)
        lines = selectors.access_needs_breakdown(meeting, everyone)
        data = {
            "places": {**asdict(places), "left": places.left},
            "needs": [
                {"key": x.key, "label": x.label, "count": x.count, "registrations": [r.pk for r in x.people]}
                for x in lines
            ],
        }
        return Response(AccessNeedsSummaryOut(data).data)


# --- Attendance ------------------------------------------------------------------------------------


class AttendanceIn(serializers.Serializer):
    attended = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        default=list,
        max_length=ATTENDANCE_IDS_MAX,
        help_text="Ids of registrations (people on the list) who came: ticked.",
    )
    absent = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        default=list,
        max_length=ATTENDANCE_IDS_MAX,
        help_text="Ids of registrations who did not come: unticked. Anyone in neither list keeps what was saved.",
    )
    walk_ins = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        default=list,
        max_length=services.WALK_INS_MAX,
        help_text="Names of people without an account who came. A name already on the list is ticked, not "
        "added a second time.",
    )
    unnamed = serializers.IntegerField(
        min_value=0,
        max_value=100_000,
        required=False,
        help_text="How many more people came without giving a name (replaces the number saved; "
        "left out: it stays as it is).",
    )


class AttendanceOut(serializers.Serializer):
    recorded_at = serializers.DateTimeField(allow_null=True)
    with_account = serializers.IntegerField(help_text="People with an account who came.")
    named_without_account = serializers.IntegerField(help_text="People without an account, by name, who came.")
    unnamed = serializers.IntegerField(help_text="People who came without giving a name.")
    total = serializers.IntegerField()
    added = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Walk-ins added to the list (after a save)."
    )
    already_listed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Names sent that were on the list already: ticked, not added twice (after a save).",
    )


def _attendance(meeting: Meeting, **extra: Any) -> dict[str, Any]:
    counts = Registration.objects.filter(meeting=meeting, attended=True).aggregate(
        with_account=Count("id", filter=Q(user__isnull=False)),
        without_account=Count("id", filter=Q(user__isnull=True)),
    )
    return {
        "recorded_at": meeting.attendance_recorded_at,
        "with_account": counts["with_account"],
        "named_without_account": counts["without_account"],
        "unnamed": meeting.unnamed_attendees,
        "total": counts["with_account"] + counts["without_account"] + meeting.unnamed_attendees,
        **extra,
    }


class Attendance(APIView):
    @extend_schema(
        responses=AttendanceOut,
        summary="How many came (facilitators); who came is the registrations list's `attended`",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.attendance")
        return Response(AttendanceOut(_attendance(meeting)).data)

    @extend_schema(
        request=AttendanceIn,
        responses=AttendanceOut,
        summary="Record who came (facilitators): ticks, walk-ins by name, and a number without names",
        description=(
            "From an hour before the meeting starts, once it is published. Only the registrations named in "
            "`attended` or `absent` change, so a long list can be sent in parts. The same Idempotency-Key sent "
            "twice saves once (the repeat gets 409)."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.attendance")
        data = _valid(AttendanceIn, request.data)
        attended, absent = set(data["attended"]), set(data["absent"])
        both = attended & absent
        if both:
            raise DRFValidationError(
                {"absent": [_("Someone cannot both come and not come: %(ids)s.") % {"ids": _ids(both)}]}
            )
        named = attended | absent
        listed = set(
            Registration.objects.filter(meeting=meeting, pk__in=named)
            .exclude(status=RegistrationStatus.CANCELLED)
            .values_list("pk", flat=True)
        )
        errors = {
            field: [_("Not on this meeting's list: %(ids)s.") % {"ids": _ids(ids - listed)}]
            for field, ids in (("attended", attended), ("absent", absent))
            if ids - listed
        }
        if errors:
            raise DRFValidationError(errors)
        result = services.attendance_record(
            user=actor(request),
            meeting=meeting,
            attended_ids=attended,
            unnamed=data.get("unnamed", meeting.unnamed_attendees),
            walk_ins=data["walk_ins"],
            shown_ids=named,
            form_token=idempotency_key(request),
        )
        body = _attendance(result.meeting, added=result.added, already_listed=result.already_listed)
        return Response(AttendanceOut(body).data)


def _ids(ids: set[int]) -> str:
    return ", ".join(str(i) for i in sorted(ids)[:20])


# --- Minutes ---------------------------------------------------------------------------------------


class MinutesIn(serializers.Serializer):
    minutes = serializers.CharField(
        allow_blank=True,
        max_length=services.MINUTES_MAX,
        help_text="What was said and agreed: simple HTML (paragraphs, bold, lists, links), cleaned when saved.",
    )
    publish = serializers.BooleanField(
        allow_null=True,
        default=None,
        help_text="true: publish them (once the published meeting has started); false: hide them again; "
        "null or left out: keep them as they are (published or not).",
    )


class MinutesOut(serializers.Serializer):
    minutes = serializers.CharField(help_text="Sanitised HTML.")
    published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    not_published_because = serializers.CharField(
        help_text="When publishing was asked for but is not possible yet: why (the text is saved all the same)."
    )


def _minutes(meeting: Meeting, because: str = "") -> Response:
    return Response(
        MinutesOut(
            {
                "minutes": meeting.minutes,
                "published": meeting.minutes_published_at is not None,
                "published_at": meeting.minutes_published_at,
                "not_published_because": because,
            }
        ).data
    )


class Minutes(APIView):
    @extend_schema(responses=MinutesOut, summary="A meeting's minutes, published or not (facilitators)")
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.minutes")
        return _minutes(meeting)

    @extend_schema(
        request=MinutesIn,
        responses=MinutesOut,
        summary="Save the minutes, and publish or hide them (facilitators)",
        description=(
            "The text is always saved. Publishing shows the minutes and the actions agreed to everyone who can "
            "see the meeting; when it is not possible yet, `published` is false and `not_published_because` "
            "says why."
        ),
    )
    def put(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.minutes")
        data = _valid(MinutesIn, request.data)
        user = actor(request)
        if data["publish"] is False:
            return _minutes(services.minutes_unpublish(user=user, meeting=meeting, minutes=data["minutes"]))
        publish = data["publish"] is True or meeting.minutes_published_at is not None
        result = services.minutes_save(user=user, meeting=meeting, minutes=data["minutes"], publish=publish)
        return _minutes(result.meeting, result.not_published_because)


# --- Actions ---------------------------------------------------------------------------------------


class ActionOut(serializers.ModelSerializer):
    who = serializers.CharField(read_only=True, help_text="The person's name, or the name written in.")

    class Meta:
        model = MeetingAction
        fields = ["id", "text", "who", "assignee", "assignee_name", "due_on", "status", "done_at", "created_at"]


class ActionIn(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="What will be done (at most 500 characters).")
    assignee = serializers.IntegerField(
        allow_null=True, default=None, min_value=1, max_value=ID_MAX, help_text="The user id of a project member…"
    )
    assignee_name = serializers.CharField(
        allow_blank=True, default="", help_text="…or a name (someone without an account, an organisation)."
    )
    due_on = serializers.DateField(allow_null=True, default=None)


class ActionStatusIn(serializers.Serializer):
    done = serializers.BooleanField(help_text="true: done; false: not done yet.")


def _assignee(project: Project, user_id: int | None) -> Any:
    if user_id is None:
        return None
    membership = Membership.objects.filter(project=project, user_id=user_id).select_related("user").first()
    if membership is None:
        raise DjangoValidationError({"assignee": _("Choose one of the project's members.")})
    return membership.user


def _visible_actions(request: Request, slug: str, meeting_id: int) -> tuple[Project, Role, Meeting]:
    project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id)
    if not selectors.actions_visible(meeting, role):
        raise NotFound()  # not shown to them yet: the same as no action
    return project, role, meeting


class Actions(APIView):
    @extend_schema(
        responses=ActionOut(many=True),
        summary="The actions agreed at a meeting (everyone once the minutes are published; 404 before)",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = _visible_actions(request, slug, meeting_id)
        return Response(ActionOut(meeting.actions.select_related("assignee"), many=True).data)

    @extend_schema(
        request=ActionIn,
        responses={201: ActionOut},
        summary="Add an action (facilitators): what, who (a member or a name, not both) and by when",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.minutes")
        data = _valid(ActionIn, request.data)
        action = services.action_add(
            user=actor(request),
            meeting=meeting,
            text=data["text"],
            assignee=_assignee(project, data["assignee"]),
            assignee_name=data["assignee_name"],
            due_on=data["due_on"],
            form_token=idempotency_key(request),
        )
        return Response(ActionOut(action).data, status=status.HTTP_201_CREATED)


class ActionView(APIView):
    @extend_schema(
        request=ActionIn(partial=True),
        responses=ActionOut,
        summary="Change an action (facilitators): send only what changes",
        description="Choosing a member clears a name written in, and writing a name clears the member.",
    )
    def patch(self, request: Request, slug: str, meeting_id: int, action_id: int) -> Response:
        project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.minutes")
        action = action_in(meeting, action_id)
        data = _valid(ActionIn, request.data, partial=True)
        values: dict[str, Any] = {
            "text": action.text,
            "assignee": action.assignee_id,
            "assignee_name": action.assignee_name,
            "due_on": action.due_on,
        }
        if data.get("assignee") is not None and "assignee_name" not in data:
            values["assignee_name"] = ""
        if data.get("assignee_name") and "assignee" not in data:
            values["assignee"] = None
        values.update(data)
        edited = services.action_edit(
            user=actor(request),
            action=action,
            text=values["text"],
            assignee=_assignee(project, values["assignee"]),
            assignee_name=values["assignee_name"],
            due_on=values["due_on"],
        )
        return Response(ActionOut(edited).data)


class ActionStatusView(APIView):
    @extend_schema(
        request=ActionStatusIn,
        responses=ActionOut,
        summary="Mark an action as done, or not done yet (facilitators, and the person it is for)",
    )
    def post(self, request: Request, slug: str, meeting_id: int, action_id: int) -> Response:
        _project, role, meeting = _visible_actions(request, slug, meeting_id)
        action = action_in(meeting, action_id)
        user = actor(request)
        if not (TABLE.allowed(role, "meetings.minutes") or action.assignee_id == user.pk):
            raise PermissionDenied
        data = _valid(ActionStatusIn, request.data)
        return Response(ActionOut(services.action_set_status(user=user, action=action, done=data["done"])).data)


# --- Teams -----------------------------------------------------------------------------------------


class TeamMemberOut(serializers.Serializer):
    registration = serializers.IntegerField(help_text="The registration's id (for moving the person).")
    name = serializers.CharField(help_text='"someone without an account" for names typed in, except for facilitators')
    has_account = serializers.BooleanField()
    role = serializers.ChoiceField(
        choices=[("participant", "participant"), ("staff", "staff"), ("expert", "expert")],
        help_text="The kind of person, for the mix.",
    )


class TeamMixOut(serializers.Serializer):
    participant = serializers.IntegerField()
    staff = serializers.IntegerField()
    expert = serializers.IntegerField()


class TeamIdeaOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    url = serializers.CharField(allow_null=True, help_text="The idea's page.")
    touches_fixed = serializers.BooleanField(help_text="It touches something the project lists as fixed.")
    fixed_flags = serializers.JSONField(help_text="The fixed lines it touches: id, text, and the reason.")


class TeamOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="The team's page.")
    size = serializers.IntegerField()
    mix = TeamMixOut(help_text="How many of each kind of person are in the team.")
    members = TeamMemberOut(
        many=True,
        allow_null=True,
        help_text="Who is in it: for facilitators, people with a place at the workshop and the team's members; "
        "null for others (the mix says how many).",
    )


class TeamDetailOut(TeamOut):
    ideas = TeamIdeaOut(many=True, help_text="The solutions the team submitted as ideas, oldest first.")


class TeamsOut(serializers.Serializer):
    teams = TeamOut(many=True)
    my_team = serializers.IntegerField(allow_null=True, help_text="The id of your team, if you are in one.")
    unplaced = TeamMemberOut(
        many=True, allow_null=True, help_text="People with a place not yet in a team (facilitators; null for others)."
    )


class SuggestedTeamOut(serializers.Serializer):
    name = serializers.CharField()
    team = serializers.IntegerField(allow_null=True, help_text="The team's id; null for a team not made yet.")
    members = TeamMemberOut(many=True)
    mix = TeamMixOut()


class TeamIn(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, help_text="At most 100 characters; unique in the meeting.")


class SuggestIn(serializers.Serializer):
    k = serializers.IntegerField(
        min_value=1,
        max_value=services.TEAMS_MAX,
        allow_null=True,
        default=None,
        help_text="How many teams to make, when there are none yet (ignored otherwise).",
    )


class TeamMoveIn(serializers.Serializer):
    registration = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="A registration with a place.")
    team = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, allow_null=True, help_text="One of the meeting's teams; null: out of any team."
    )


class TeamIdeaIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text="The solution in a few words (at most 200 characters).")
    problem = serializers.CharField(allow_blank=True, help_text="What problem it solves.")
    proposal = serializers.CharField(allow_blank=True, help_text="What the team proposes.")
    scope_items = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        default=list,
        max_length=SCOPE_ITEMS_MAX,
        help_text="Ids of the scope lines it touches; a fixed one is flagged with the scope's reason.",
    )
    cost_estimate = serializers.IntegerField(
        allow_null=True, default=None, min_value=0, help_text="A rough cost in whole pounds."
    )


def _member(registration: Registration, group: str, hide_offline: bool) -> dict[str, Any]:
    hidden = hide_offline and not registration.has_account
    return {
        "registration": registration.pk,
        "name": _("someone without an account") if hidden else registration.display_name,
        "has_account": registration.has_account,
        "role": group,
    }


def _mix(groups: list[str]) -> dict[str, int]:
    counts = Counter(groups)
    return {"participant": counts["participant"], "staff": counts["staff"], "expert": counts["expert"]}


def _team(
    project: Project,
    meeting: Meeting,
    team: Team,
    members: list[TeamMember],
    roles: dict[int, str],
    *,
    names: bool,
    hide_offline: bool,
) -> dict[str, Any]:
    """A team as TeamOut shows it: members' names only when `names`, names typed in by staff hidden when
    `hide_offline` (as on the page)."""
    return {
        "id": team.pk,
        "name": team.name,
        "url": reverse("meetings:team", args=[project.slug, meeting.pk, team.pk]),
        "size": len(members),
        "mix": _mix([roles[m.registration_id] for m in members]),
        "members": [_member(m.registration, roles[m.registration_id], hide_offline) for m in members]
        if names
        else None,
    }


def _teams(request: Request, project: Project, role: Role, meeting: Meeting) -> Response:
    manage = TABLE.allowed(role, "meetings.teams")
    all_teams = selectors.teams_with_members(meeting)
    in_teams = [m for t in all_teams for m in t.members.all()]
    registration = selectors.registration_for(meeting, request.user)
    unplaced: list[Registration] = []
    if manage:
        placed = {m.registration_id for m in in_teams}
        unplaced = [
            r
            for r in Registration.objects.filter(meeting=meeting, status=RegistrationStatus.REGISTERED)
            .select_related("user")
            .order_by("id")
            if r.pk not in placed
        ]
    roles = selectors.registration_roles(meeting, [m.registration for m in in_teams] + unplaced)
    show_names = selectors.can_see_team_members(role, registration)
    teams = [
        _team(project, meeting, t, list(t.members.all()), roles, names=show_names, hide_offline=not manage)
        for t in all_teams
    ]
    my_team = None
    if registration is not None:
        my_team = next((t.pk for t in all_teams for m in t.members.all() if m.registration_id == registration.pk), None)
    body = {
        "teams": teams,
        "my_team": my_team,
        "unplaced": [_member(r, roles[r.pk], False) for r in unplaced] if manage else None,
    }
    return Response(TeamsOut(body).data)


def _idea(project: Project, idea: Any) -> dict[str, Any]:
    return {
        "id": idea.pk,
        "title": idea.title,
        "status": idea.status,
        "url": _optional_url("ideas:detail", project.slug, idea.pk),
        "touches_fixed": idea.touches_fixed,
        "fixed_flags": idea.fixed_flags,
    }


def _team_detail(request: Request, project: Project, role: Role, meeting: Meeting, team: Team) -> Response:
    members = list(TeamMember.objects.filter(team=team).select_related("registration__user").order_by("id"))
    roles = selectors.registration_roles(meeting, [m.registration for m in members])
    user = request.user
    is_member = user.is_authenticated and any(m.registration.user_id == user.pk for m in members)
    manage = TABLE.allowed(role, "meetings.teams")
    registration = selectors.registration_for(meeting, user)
    show_names = is_member or selectors.can_see_team_members(role, registration)
    data = _team(project, meeting, team, members, roles, names=show_names, hide_offline=not manage)
    data["ideas"] = [_idea(project, idea) for idea in selectors.team_ideas(team, role)]
    return Response(TeamDetailOut(data).data)


class Teams(APIView):
    @extend_schema(
        operation_id="projects_meetings_teams_list",
        responses=TeamsOut,
        summary="A workshop's teams, with the mix of people in each (names for facilitators and people coming)",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id)
        return _teams(request, project, role, meeting)

    @extend_schema(request=TeamIn, responses={201: TeamDetailOut}, summary="Make a team (facilitators)")
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.teams")
        data = _valid(TeamIn, request.data)
        team = services.team_create(user=actor(request), meeting=meeting, name=data["name"])
        response = _team_detail(request, project, role, meeting, team)
        response.status_code = status.HTTP_201_CREATED
        return response


def _k(raw: str | None) -> int:
    k = whole_number(raw, max_digits=3) if raw is not None else None
    if k is None or not 1 <= k <= services.TEAMS_MAX:
        raise DRFValidationError({"k": [_("Choose from 1 to %(max)d teams.") % {"max": services.TEAMS_MAX}]})
    return k


class TeamsSuggestion(APIView):
    @extend_schema(
        responses=SuggestedTeamOut(many=True),
        summary="Preview Copro's suggestion of teams mixing participants, staff and experts (facilitators)",
        description="With teams already, everyone in one stays there and the others are placed; with none yet, "
        "give k, the number of teams (400 without it).",
        parameters=[OpenApiParameter("k", OpenApiTypes.INT, description="How many teams (1 to 50), if none yet.")],
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.teams")
        existing = list(meeting.teams.order_by("id"))
        suggestion = selectors.team_suggestion(meeting, existing or _k(request.query_params.get("k")))
        body = [
            {
                "name": s.name,
                "team": s.team.pk if s.team is not None else None,
                "members": [_member(r, group, False) for r, group in s.members],
                "mix": _mix([group for _r, group in s.members]),
            }
            for s in suggestion
        ]
        return Response(SuggestedTeamOut(body, many=True).data)

    @extend_schema(
        request=SuggestIn,
        responses=TeamsOut,
        summary="Use Copro's suggestion (facilitators): everyone with a place is put in a team",
        description="With no teams yet, makes k teams; otherwise places only the people not in a team yet.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.teams")
        data = _valid(SuggestIn, request.data)
        services.teams_apply_suggestion(user=actor(request), meeting=meeting, k=data["k"])
        return _teams(request, project, role, meeting)


class TeamMove(APIView):
    @extend_schema(
        request=TeamMoveIn,
        responses=TeamsOut,
        summary="Put a person with a place in a team, or take them out of any (facilitators)",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, role, meeting = get_meeting_for_user(request.user, slug, meeting_id, "meetings.teams")
        data = _valid(TeamMoveIn, request.data)
        registration = Registration.objects.filter(meeting=meeting, pk=data["registration"]).first()
        if registration is None:
            raise DRFValidationError({"registration": [_("Choose someone registered for this meeting.")]})
        team = None
        if data["team"] is not None:
            team = meeting.teams.filter(pk=data["team"]).first()
            if team is None:
                raise DRFValidationError({"team": [_("Choose one of this meeting's teams.")]})
        services.team_member_move(user=actor(request), registration=registration, team=team)
        return _teams(request, project, role, meeting)


class TeamView(APIView):
    @extend_schema(responses=TeamDetailOut, summary="A team, its members (as on the teams list) and its ideas")
    def get(self, request: Request, slug: str, meeting_id: int, team_id: int) -> Response:
        project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id)
        return _team_detail(request, project, role, meeting, team)

    @extend_schema(request=TeamIn, responses=TeamDetailOut, summary="Rename a team (facilitators)")
    def patch(self, request: Request, slug: str, meeting_id: int, team_id: int) -> Response:
        project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id, "meetings.teams")
        data = _valid(TeamIn, request.data)
        services.team_rename(user=actor(request), team=team, name=data["name"])
        return _team_detail(request, project, role, meeting, team)

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Remove a team (facilitators); its members are then in no team",
        description="400 if the team has submitted ideas (they link back to it, so it stays).",
    )
    def delete(self, request: Request, slug: str, meeting_id: int, team_id: int) -> Response:
        _project, _role, _meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id, "meetings.teams")
        services.team_remove(user=actor(request), team=team)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamMembership(APIView):
    @extend_schema(
        request=None,
        responses=TeamDetailOut,
        summary="Join this team (or move to it from another) at a workshop you have a place at",
        description="400 if you have no place at the workshop.",
    )
    def post(self, request: Request, slug: str, meeting_id: int, team_id: int) -> Response:
        project, role, meeting, team = get_team_for_user(request.user, slug, meeting_id, team_id, "meetings.team_join")
        services.team_join(user=actor(request), team=team)
        return _team_detail(request, project, role, meeting, team)

    @extend_schema(request=None, responses={204: None}, summary="Leave this team")
    def delete(self, request: Request, slug: str, meeting_id: int, team_id: int) -> Response:
        _project, _role, _meeting, team = get_team_for_user(
            request.user, slug, meeting_id, team_id, "meetings.team_join"
        )
        services.team_leave(user=actor(request), team=team)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamIdeas(APIView):
    @extend_schema(
        request=TeamIdeaIn,
        responses={201: TeamIdeaOut},
        summary="Submit the team's solution as an idea (the team's members and facilitators)",
        description=(
            "The idea goes into pressure-testing like any other, with the team's other members as co-authors "
            "and a link back to the team. An idea touching a fixed scope line is accepted and flagged "
            "(`touches_fixed`, `fixed_flags` with the scope's reasons)."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int, team_id: int) -> Response:
        project, role, _meeting, team = get_team_for_user(
            request.user, slug, meeting_id, team_id, "meetings.team_submit"
        )
        user = actor(request)
        is_member = TeamMember.objects.filter(team=team, registration__user=user).exists()
        if not (is_member or TABLE.allowed(role, "meetings.teams")):
            raise PermissionDenied
        data = _valid(TeamIdeaIn, request.data)
        idea = services.team_submit_idea(user=user, team=team, form_token=idempotency_key(request), **data)
        return Response(TeamIdeaOut(_idea(project, idea)).data, status=status.HTTP_201_CREATED)


# Included in copro/meetings/api.py's urlpatterns (so in the "api" namespace).
urlpatterns = [
    path(M + "agenda/", Agenda.as_view(), name="meeting_agenda"),
    path(M + "agenda/<int:item_id>/", AgendaItemView.as_view(), name="meeting_agenda_item"),
    path(M + "agenda/<int:item_id>/move/", AgendaItemMove.as_view(), name="meeting_agenda_move"),
    path(M + "registrations/", Registrations.as_view(), name="meeting_registrations"),
    path(M + "registrations/<int:registration_id>/", RegistrationStaff.as_view(), name="meeting_registration_staff"),
    path(
        M + "registrations/<int:registration_id>/needs-met/",
        RegistrationNeedsMet.as_view(),
        name="meeting_needs_met",
    ),
    path(M + "access-needs/", AccessNeedsSummary.as_view(), name="meeting_access_needs"),
    path(M + "attendance/", Attendance.as_view(), name="meeting_attendance"),
    path(M + "minutes/", Minutes.as_view(), name="meeting_minutes"),
    path(M + "actions/", Actions.as_view(), name="meeting_actions"),
    path(M + "actions/<int:action_id>/", ActionView.as_view(), name="meeting_action"),
    path(M + "actions/<int:action_id>/status/", ActionStatusView.as_view(), name="meeting_action_status"),
    path(M + "teams/", Teams.as_view(), name="meeting_teams"),
    path(M + "teams/suggestion/", TeamsSuggestion.as_view(), name="meeting_teams_suggestion"),
    path(M + "teams/move/", TeamMove.as_view(), name="meeting_team_move"),
    path(T, TeamView.as_view(), name="meeting_team"),
    path(T + "membership/", TeamMembership.as_view(), name="meeting_team_membership"),
    path(T + "ideas/", TeamIdeas.as_view(), name="meeting_team_ideas"),
]
