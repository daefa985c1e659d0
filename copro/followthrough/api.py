"""Follow-through in the REST API: the same access functions, selectors and services as the pages.

Commitments are read by whoever may see them (public ones by anyone who can see the project); facilitators
make and change them (wording, owner, co-owners, due date, visibility) and link them to what led to them;
facilitators and a commitment's owners post updates (a status change is an update, with its reason) and keep
its milestones. Feedback moments are in copro.followthrough.api_feedback (its routes are spread in below).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.accounts.models import User
from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.forms import parse_id
from copro.core.models import Visibility
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.followthrough import api_feedback, selectors, services
from copro.followthrough.access import get_commitment_for_update, get_commitment_for_user
from copro.followthrough.models import (
    OPEN_STATUSES,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    Milestone,
)
from copro.projects.access import get_project_for_user
from copro.projects.models import Membership

# --- Out -----------------------------------------------------------------------------------------


class SourceOut(serializers.Serializer):
    type = serializers.CharField(source="label", help_text='The kind of item: "decisions.decision", "ideas.idea"...')
    title = serializers.CharField()
    url = serializers.CharField(help_text="Its page, if it has one.")
    detail = serializers.CharField(help_text="A decision's outcome, or a consultation's number of responses.")
    people = serializers.ListField(child=serializers.CharField(), help_text="An idea's authors' public names.")
    via = serializers.CharField(
        help_text="For an item that led to a linked one (an idea taken to a decision): its title."
    )
    hidden = serializers.BooleanField(
        help_text="True when you may not see the item itself (a meeting still being prepared...): only its kind "
        "is given, with no title, detail or link."
    )


class CommitmentUpdateOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    recipients = serializers.IntegerField(
        required=False, help_text="How many people who took part were told. Only for the project's facilitators."
    )

    class Meta:
        model = CommitmentUpdate
        fields = ["id", "text", "status_from", "status_to", "reason", "author", "created_at", "recipients"]

    def get_author(self, update: CommitmentUpdate) -> str:
        return update.author.public_name

    def to_representation(self, instance: CommitmentUpdate) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if not self.context.get("may_manage"):
            data.pop("recipients", None)  # how many people heard is the facilitators' business
        return data


class MilestoneOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    position = serializers.IntegerField(help_text="Its place in the list, from 0.")


class CommitmentOut(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField(help_text="The owner's public name.")
    overdue = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text="Milestones done out of all, in percent (null: none).")
    sources = serializers.SerializerMethodField(help_text="What people said that led to it.")
    latest_update = serializers.SerializerMethodField()

    class Meta:
        model = Commitment
        fields = [
            "id",
            "title",
            "description",
            "status",
            "status_reason",
            "due_on",
            "done_at",
            "visibility",
            "owner",
            "overdue",
            "progress",
            "sources",
            "latest_update",
            "created_at",
        ]

    def get_owner(self, commitment: Commitment) -> str:
        return commitment.owner.public_name

    def get_overdue(self, commitment: Commitment) -> bool:
        return commitment.is_overdue()

    def get_progress(self, commitment: Commitment) -> int | None:
        return selectors.progress_percent(
            getattr(commitment, "milestones_done", 0), getattr(commitment, "milestones_total", 0)
        )

    @extend_schema_field(SourceOut(many=True))
    def get_sources(self, commitment: Commitment) -> list[dict[str, Any]]:
        sources = self.context.get("sources", {}).get(commitment.pk, [])
        return [SourceOut(s).data for s in sources]

    @extend_schema_field(CommitmentUpdateOut(allow_null=True))
    def get_latest_update(self, commitment: Commitment) -> dict[str, Any] | None:
        latest = self.context.get("latest", {}).get(commitment.pk)
        return CommitmentUpdateOut(latest, context=self.context).data if latest is not None else None


class CoOwnerIds(serializers.ListField):
    """The user ids of a commitment's co-owners (for a facilitator changing them)."""

    def get_attribute(self, instance: Commitment) -> list[int]:
        return [p.pk for p in instance.co_owners.all()]


# What a facilitator needs to change a commitment through the API (PATCH takes user ids).
MANAGERS_ONLY = ("owner_id", "co_owner_ids")


class CommitmentDetailOut(CommitmentOut):
    milestones = serializers.SerializerMethodField()
    updates = serializers.SerializerMethodField(help_text="Its whole history, newest first.")
    co_owners = serializers.SerializerMethodField()
    owner_id = serializers.IntegerField(required=False, help_text="The owner's user id. Only for facilitators.")
    co_owner_ids = CoOwnerIds(
        child=serializers.IntegerField(), required=False, help_text="The co-owners' user ids. Only for facilitators."
    )

    class Meta(CommitmentOut.Meta):
        fields = [*CommitmentOut.Meta.fields, "co_owners", "owner_id", "co_owner_ids", "milestones", "updates"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_co_owners(self, commitment: Commitment) -> list[str]:
        return [p.public_name for p in commitment.co_owners.all()]

    @extend_schema_field(MilestoneOut(many=True))
    def get_milestones(self, commitment: Commitment) -> list[dict[str, Any]]:
        return [MilestoneOut(m).data for m in commitment.milestones.all()]

    @extend_schema_field(CommitmentUpdateOut(many=True))
    def get_updates(self, commitment: Commitment) -> list[dict[str, Any]]:
        updates = commitment.updates.select_related("author").order_by("-created_at", "-id")
        return [CommitmentUpdateOut(u, context=self.context).data for u in updates]

    def to_representation(self, instance: Commitment) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if not self.context.get("may_manage"):
            for name in MANAGERS_ONLY:
                data.pop(name, None)
        return data


# --- In ------------------------------------------------------------------------------------------


# User ids are 64-bit signed integers in the database: a larger number names nobody (and SQLite raises
# OverflowError on it), so it is refused here as bad input, a 400.
ID_MAX = 2**63 - 1
CO_OWNERS_MAX = 50
SOURCE_HELP = (
    'What led to it: "decisions.decision:<id>", "ideas.idea:<id>", "meetings.meetingaction:<id>" or '
    '"consultations.consultation:<id>".'
)


class CommitmentIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text="What you will do (at most 200 characters).")
    description = serializers.CharField(allow_blank=True, required=False, default="")
    owner = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="The user id of the owner: a member of the project."
    )
    co_owners = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        default=list,
        max_length=CO_OWNERS_MAX,
        help_text="User ids of the members who share ownership.",
    )
    due_on = serializers.DateField(help_text="Today or later.")
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
    source = serializers.CharField(  # type: ignore[assignment]  # a declared field, not Field.source
        required=False, allow_blank=True, default="", help_text=SOURCE_HELP
    )


class CommitmentEditIn(serializers.Serializer):
    """A change: what is left out stays as it is."""

    title = serializers.CharField(
        allow_blank=True, required=False, help_text="What you will do (at most 200 characters)."
    )
    description = serializers.CharField(allow_blank=True, required=False)
    owner = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="The user id of the owner: a member of the project."
    )
    co_owners = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        max_length=CO_OWNERS_MAX,
        help_text="User ids of the members who share ownership: the whole list ([] for nobody).",
    )
    due_on = serializers.DateField(
        required=False,
        help_text="A new date must be today or later, and needs a `message` saying why (the people who took part "
        "are told).",
    )
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text="Widening it tells the people who took part, and could not see it before, that it was made.",
    )
    message = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        help_text="Posted as an update (people are told). Needed when the due date moves.",
    )


class CommitmentUpdateIn(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, required=False, default="", help_text="What has happened.")
    status = serializers.ChoiceField(choices=CommitmentStatus.choices, required=False, allow_null=True, default=None)
    reason = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="Why: needed for changed and dropped."
    )


class SourceIn(serializers.Serializer):
    source = serializers.CharField(help_text=SOURCE_HELP)  # type: ignore[assignment]  # a field, not Field.source


class MilestoneIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text="The step (at most 200 characters).")
    due_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Optional; not after the commitment's own date."
    )


class MilestoneChangeIn(serializers.Serializer):
    done = serializers.BooleanField(
        required=False, help_text="True: the step is done; false: it is not done after all."
    )
    title = serializers.CharField(required=False, allow_blank=True, help_text="A new name (at most 200 characters).")
    due_on = serializers.DateField(
        required=False, allow_null=True, help_text="A new date, or null for none; not after the commitment's own."
    )


class MilestoneMoveIn(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=[("up", "up"), ("down", "down")], help_text="One place up or down the list."
    )


# --- Helpers -------------------------------------------------------------------------------------


def _members(project: Any, ids: list[int]) -> dict[int, User]:
    member_ids = Membership.objects.filter(project=project, user_id__in=ids).values_list("user_id", flat=True)
    return {u.pk: u for u in User.objects.filter(pk__in=list(member_ids))}


def _people(project: Any, owner_id: int, co_owner_ids: list[int]) -> tuple[User, list[User]]:
    """The owner and co-owners named by user id; a 400 naming the field if one is not a member."""
    people = _members(project, [owner_id, *co_owner_ids])
    owner = people.get(owner_id)
    if owner is None:
        raise DRFValidationError({"owner": ["The owner must be a member of this project."]})
    co_owners = [people[i] for i in dict.fromkeys(co_owner_ids) if i in people]
    if len(co_owners) != len(set(co_owner_ids)):
        raise DRFValidationError({"co_owners": ["Everyone who shares ownership must be a member of this project."]})
    return owner, co_owners


def _context(project: Any, role: Role, ids: list[int]) -> dict[str, Any]:
    return {
        "sources": selectors.sources_for(project, ids, role),
        "latest": selectors.latest_updates(ids),
        "may_manage": TABLE.allowed(role, "followthrough.manage"),
    }


def _detail_data(project: Any, role: Role, commitment: Commitment) -> dict[str, Any]:
    loaded = (
        selectors.with_progress(Commitment.objects.filter(pk=commitment.pk))
        .select_related("owner")
        .prefetch_related("co_owners", "milestones")
        .first()
    )
    assert loaded is not None
    return dict(CommitmentDetailOut(loaded, context=_context(project, role, [loaded.pk])).data)


def _milestone(commitment: Commitment, milestone_id: int) -> Milestone:
    """A step of this commitment, or 404 (a bad or huge id, or a step of another commitment)."""
    found = Milestone.objects.filter(commitment=commitment, pk=milestone_id).first() if parse_id(milestone_id) else None
    if found is None:
        raise Http404
    return found


def _milestones(commitment: Commitment) -> list[dict[str, Any]]:
    return [MilestoneOut(m).data for m in Milestone.objects.filter(commitment=commitment).order_by("position", "id")]


# --- Views ---------------------------------------------------------------------------------------

STATUS_PARAM = OpenApiParameter(
    "status", OpenApiTypes.STR, description="Only commitments with this status, or 'overdue'."
)


class CommitmentList(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=CommitmentOut(many=True),
        summary="The project's commitments you may see (“You said, we did”), by due date",
        parameters=[STATUS_PARAM],
    )
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "followthrough.view")
        commitments = selectors.visible_commitments(project, role)
        wanted = request.query_params.get("status") or ""
        if wanted == "overdue":
            commitments = commitments.filter(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate())
        elif wanted:
            if wanted not in CommitmentStatus.values:
                raise DRFValidationError(
                    {"status": ["Choose one of: " + ", ".join([*CommitmentStatus.values, "overdue"])]}
                )
            commitments = commitments.filter(status=wanted)
        paginator = Pagination()
        page = (
            paginator.paginate_queryset(
                selectors.with_progress(commitments).order_by("due_on", "id"), request, view=self
            )
            or []
        )
        context = _context(project, role, [c.pk for c in page])
        return paginator.get_paginated_response(CommitmentOut(page, many=True, context=context).data)

    @extend_schema(
        request=CommitmentIn,
        responses={201: CommitmentDetailOut},
        summary="Make a commitment (facilitators)",
        description="The people who took part in its source are told. A due date in the past is refused.",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "followthrough.manage")
        data = _valid(CommitmentIn, request.data)
        source = None
        if data["source"]:
            source = selectors.find_source(project, data["source"])
            if source is None:
                raise DRFValidationError({"source": ["No such item in this project."]})
        owner, co_owners = _people(project, data["owner"], data["co_owners"])
        commitment = services.commitment_create(
            project=project,
            created_by=actor(request),
            title=data["title"],
            description=data["description"],
            owner=owner,
            co_owners=co_owners,
            due_on=data["due_on"],
            source=source,
            visibility=data["visibility"],
            form_token=idempotency_key(request),
        )
        return Response(_detail_data(project, role, commitment), status=status.HTTP_201_CREATED)


class CommitmentDetail(APIView):
    @extend_schema(responses=CommitmentDetailOut, summary="A commitment, its milestones and its whole history")
    def get(self, request: Request, slug: str, commitment_id: int) -> Response:
        project, role, commitment = get_commitment_for_user(request.user, slug, commitment_id)
        return Response(_detail_data(project, role, commitment))

    @extend_schema(
        request=CommitmentEditIn,
        responses=CommitmentDetailOut,
        summary="Change a commitment: its wording, owner, co-owners, due date or who can see it (facilitators)",
        description=(
            "Only the fields sent change. Moving the due date needs a `message` saying why, posted as an update "
            "so the people who took part are told; a new date cannot be in the past. Its status changes through "
            "an update (POST .../updates/), with a reason for changed and dropped."
        ),
        parameters=[IDEMPOTENCY],
    )
    def patch(self, request: Request, slug: str, commitment_id: int) -> Response:
        project, role, commitment = get_commitment_for_user(request.user, slug, commitment_id, "followthrough.manage")
        data = _valid(CommitmentEditIn, request.data)
        co_owner_ids = data["co_owners"] if "co_owners" in data else [p.pk for p in commitment.co_owners.all()]
        owner, co_owners = _people(project, data.get("owner", commitment.owner_id), co_owner_ids)
        services.commitment_edit(
            commitment=commitment,
            user=actor(request),
            title=data.get("title", commitment.title),
            description=data.get("description", commitment.description),
            owner=owner,
            co_owners=co_owners,
            due_on=data.get("due_on", commitment.due_on),
            visibility=data.get("visibility", commitment.visibility),
            message=data["message"],
            form_token=idempotency_key(request),
        )
        return Response(_detail_data(project, role, commitment))


class CommitmentUpdates(APIView):
    @extend_schema(
        request=CommitmentUpdateIn,
        responses={201: CommitmentUpdateOut},
        summary="Post an update on a commitment, or change its status (facilitators and its owners)",
        description=(
            "Optionally change its status (planned, in progress, done, changed, dropped); changed and dropped "
            "need a reason in plain words. Everyone who took part in what led to it is told, in the background."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, commitment_id: int) -> Response:
        _project, role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
        data = _valid(CommitmentUpdateIn, request.data)
        update = services.commitment_update_post(
            commitment=commitment,
            author=actor(request),
            text=data["text"],
            status=data["status"],
            reason=data["reason"],
            form_token=idempotency_key(request),
        )
        update.author = actor(request)
        context = {"may_manage": TABLE.allowed(role, "followthrough.manage")}
        return Response(CommitmentUpdateOut(update, context=context).data, status=status.HTTP_201_CREATED)


class CommitmentSources(APIView):
    @extend_schema(
        request=SourceIn,
        responses={201: SourceOut(many=True)},
        summary="Link a commitment to something else that led to it (facilitators)",
        description=(
            "A decision that has been made, an idea, a meeting action or a consultation of this project. The "
            "people who took part in it hear of the next update. Linking the same item twice is harmless. "
            "Answers with everything that now leads to the commitment."
        ),
    )
    def post(self, request: Request, slug: str, commitment_id: int) -> Response:
        project, role, commitment = get_commitment_for_user(request.user, slug, commitment_id, "followthrough.manage")
        data = _valid(SourceIn, request.data)
        item = selectors.find_source(project, data["source"])
        if item is None:
            raise DRFValidationError({"source": ["No such item in this project."]})
        services.commitment_link_add(commitment=commitment, source=item, user=actor(request))
        sources = selectors.sources_for(project, [commitment.pk], role).get(commitment.pk, [])
        return Response([SourceOut(s).data for s in sources], status=status.HTTP_201_CREATED)


class CommitmentMilestones(APIView):
    @extend_schema(responses=MilestoneOut(many=True), summary="A commitment's milestones, in order")
    def get(self, request: Request, slug: str, commitment_id: int) -> Response:
        _project, _role, commitment = get_commitment_for_user(request.user, slug, commitment_id)
        return Response(_milestones(commitment))

    @extend_schema(
        request=MilestoneIn,
        responses={201: MilestoneOut},
        summary="Add a milestone at the end of the list (facilitators and the commitment's owners)",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, commitment_id: int) -> Response:
        _project, _role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
        data = _valid(MilestoneIn, request.data)
        milestone = services.milestone_add(
            commitment=commitment,
            user=actor(request),
            title=data["title"],
            due_on=data["due_on"],
            form_token=idempotency_key(request),
        )
        return Response(MilestoneOut(milestone).data, status=status.HTTP_201_CREATED)


class CommitmentMilestone(APIView):
    @extend_schema(
        request=MilestoneChangeIn,
        responses=MilestoneOut,
        summary="Change a milestone: tick it done (or not done after all), rename it or change its date "
        "(facilitators and the commitment's owners)",
        description="Send only what changes. Ticking twice is harmless. Nothing is saved when any part is wrong.",
    )
    def patch(self, request: Request, slug: str, commitment_id: int, milestone_id: int) -> Response:
        _project, _role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
        milestone = _milestone(commitment, milestone_id)
        data = _valid(MilestoneChangeIn, request.data, partial=True)  # form data: an absent box is not "false"
        if not data:
            raise DRFValidationError({"non_field_errors": ["Send done, title or due_on."]})
        with transaction.atomic():
            if "title" in data or "due_on" in data:
                services.milestone_edit(
                    milestone=milestone,
                    user=actor(request),
                    title=data.get("title", milestone.title),
                    due_on=data.get("due_on", milestone.due_on),
                )
            if "done" in data:
                services.milestone_tick(milestone=milestone, user=actor(request), done=data["done"])
        return Response(MilestoneOut(milestone).data)

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Remove a milestone (facilitators and the commitment's owners)",
    )
    def delete(self, request: Request, slug: str, commitment_id: int, milestone_id: int) -> Response:
        _project, _role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
        services.milestone_remove(milestone=_milestone(commitment, milestone_id), user=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommitmentMilestoneMove(APIView):
    @extend_schema(
        request=MilestoneMoveIn,
        responses=MilestoneOut(many=True),
        summary="Move a milestone one place up or down (facilitators and the commitment's owners)",
        description="Answers with all the milestones in their new order. Moving the first up or the last down "
        "changes nothing.",
    )
    def post(self, request: Request, slug: str, commitment_id: int, milestone_id: int) -> Response:
        _project, _role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
        milestone = _milestone(commitment, milestone_id)
        data = _valid(MilestoneMoveIn, request.data)
        services.milestone_move(milestone=milestone, user=actor(request), up=data["direction"] == "up")
        return Response(_milestones(commitment))


C = "projects/<slug:slug>/commitments/<int:commitment_id>/"
M = C + "milestones/<int:milestone_id>/"

# Spread into copro/api/urls.py (the "api" namespace), in the followthrough block.
urlpatterns = [
    path("projects/<slug:slug>/commitments/", CommitmentList.as_view(), name="commitments"),
    path(C, CommitmentDetail.as_view(), name="commitment"),
    path(C + "updates/", CommitmentUpdates.as_view(), name="commitment_updates"),
    path(C + "sources/", CommitmentSources.as_view(), name="commitment_sources"),
    path(C + "milestones/", CommitmentMilestones.as_view(), name="commitment_milestones"),
    path(M, CommitmentMilestone.as_view(), name="commitment_milestone"),
    path(M + "move/", CommitmentMilestoneMove.as_view(), name="commitment_milestone_move"),
    *api_feedback.urlpatterns,
]
