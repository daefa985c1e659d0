"""Follow-through in the REST API: the same access functions, selectors and services as the pages.

Commitments are read by whoever may see them (public ones by anyone who can see the project); facilitators
make them, and facilitators and a commitment's owners post updates. Feedback is given as the signed-in
person, or without an account where the project allows it, with the same rate limit as the page. Feedback
itself is never read back through the API: it is private to the project's facilitators.
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.accounts.models import User
from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.models import EntryChannel, Visibility
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.followthrough import selectors, services
from copro.followthrough.access import get_commitment_for_update, get_commitment_for_user
from copro.followthrough.models import (
    OPEN_STATUSES,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    FeedbackAbout,
    FeedbackMoment,
    FeedbackTag,
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


class CommitmentDetailOut(CommitmentOut):
    milestones = serializers.SerializerMethodField()
    updates = serializers.SerializerMethodField(help_text="Its whole history, newest first.")
    co_owners = serializers.SerializerMethodField()

    class Meta(CommitmentOut.Meta):
        fields = [*CommitmentOut.Meta.fields, "co_owners", "milestones", "updates"]

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


class FeedbackReceiptOut(serializers.ModelSerializer):
    class Meta:
        model = FeedbackMoment
        fields = ["id", "about", "feeling", "tags", "consent_to_share", "created_at"]


# --- In ------------------------------------------------------------------------------------------


# User ids are 64-bit signed integers in the database: a larger number names nobody (and SQLite raises
# OverflowError on it), so it is refused here as bad input, a 400.
ID_MAX = 2**63 - 1
CO_OWNERS_MAX = 50


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
        required=False,
        allow_blank=True,
        default="",
        help_text='What led to it: "decisions.decision:<id>", "ideas.idea:<id>", "meetings.meetingaction:<id>" or '
        '"consultations.consultation:<id>".',
    )


class CommitmentUpdateIn(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, required=False, default="", help_text="What has happened.")
    status = serializers.ChoiceField(choices=CommitmentStatus.choices, required=False, allow_null=True, default=None)
    reason = serializers.CharField(
        allow_blank=True, required=False, default="", help_text="Why: needed for changed and dropped."
    )


class FeedbackIn(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="What happened (at most 5,000 characters).")
    feeling = serializers.IntegerField(help_text="How it felt: 1 (very bad) to 5 (very good).")
    about = serializers.ChoiceField(choices=FeedbackAbout.choices, default=FeedbackAbout.SERVICE)
    tags = serializers.ListField(
        child=serializers.ChoiceField(choices=FeedbackTag.choices), required=False, default=list
    )
    contact = serializers.CharField(allow_blank=True, required=False, default="")
    consent_to_share = serializers.BooleanField(default=False)
    channel = serializers.ChoiceField(
        choices=EntryChannel.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Only when a practitioner enters feedback for someone: how it reached them (paper, phone, "
        "drop_in or outreach).",
    )


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
        ids = [c.pk for c in page]
        context = {
            "sources": selectors.sources_for(project, ids, role),
            "latest": selectors.latest_updates(ids),
            "may_manage": TABLE.allowed(role, "followthrough.manage"),
        }
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
        people = _members(project, [data["owner"], *data["co_owners"]])
        owner = people.get(data["owner"])
        if owner is None:
            raise DRFValidationError({"owner": ["The owner must be a member of this project."]})
        co_owners = [people[i] for i in data["co_owners"] if i in people]
        if len(co_owners) != len(set(data["co_owners"])):
            raise DRFValidationError({"co_owners": ["Everyone who shares ownership must be a member of this project."]})
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


def _members(project: Any, ids: list[int]) -> dict[int, User]:
    member_ids = Membership.objects.filter(project=project, user_id__in=ids).values_list("user_id", flat=True)
    return {u.pk: u for u in User.objects.filter(pk__in=list(member_ids))}


def _detail_data(project: Any, role: Role, commitment: Commitment) -> dict[str, Any]:
    loaded = selectors.with_progress(Commitment.objects.filter(pk=commitment.pk)).first()
    assert loaded is not None
    context = {
        "sources": selectors.sources_for(project, [loaded.pk], role),
        "latest": selectors.latest_updates([loaded.pk]),
        "may_manage": TABLE.allowed(role, "followthrough.manage"),
    }
    return dict(CommitmentDetailOut(loaded, context=context).data)


class CommitmentDetail(APIView):
    @extend_schema(responses=CommitmentDetailOut, summary="A commitment, its milestones and its whole history")
    def get(self, request: Request, slug: str, commitment_id: int) -> Response:
        project, role, commitment = get_commitment_for_user(request.user, slug, commitment_id)
        return Response(_detail_data(project, role, commitment))


class CommitmentUpdates(APIView):
    @extend_schema(
        request=CommitmentUpdateIn,
        responses={201: CommitmentUpdateOut},
        summary="Post an update on a commitment (facilitators and its owners)",
        description=(
            "Optionally change its status; changed and dropped need a reason. Everyone who took part in what "
            "led to it is told, in the background."
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


class FeedbackGive(APIView):
    @extend_schema(
        request=FeedbackIn,
        responses={201: FeedbackReceiptOut},
        summary="Give feedback about the service or the project",
        description=(
            "As the signed-in person, or without an account where the project allows it (limited per address, "
            "429 beyond that). Practitioners (followthrough.enter) send `channel` to enter it for someone. "
            "Feedback is private to the project's facilitators: it is not read back through the API."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str) -> Response:
        data = _valid(FeedbackIn, request.data)
        staff = data["channel"] is not None
        project, _role = get_project_for_user(
            request.user, slug, "followthrough.enter" if staff else "followthrough.feedback"
        )
        signed_in = request.user.is_authenticated
        if not staff and not signed_in:
            if not services.anonymous_feedback_allowed(project):
                raise PermissionDenied("This project takes feedback only from people who are signed in.")
            if not ratelimit.consume(request._request, action="feedback"):
                raise Throttled()
        feedback = services.feedback_give(
            project=project,
            text=data["text"],
            feeling=data["feeling"],
            about=data["about"],
            tags=data["tags"],
            contact=data["contact"],
            given_by=actor(request) if signed_in and not staff else None,
            entered_by=actor(request) if staff else None,
            channel=data["channel"] or "online",
            consent_to_share=data["consent_to_share"],
            form_token=idempotency_key(request),
        )
        return Response(FeedbackReceiptOut(feedback).data, status=status.HTTP_201_CREATED)


# Spread into copro/api/urls.py (the "api" namespace), in the followthrough block.
urlpatterns = [
    path("projects/<slug:slug>/commitments/", CommitmentList.as_view(), name="commitments"),
    path("projects/<slug:slug>/commitments/<int:commitment_id>/", CommitmentDetail.as_view(), name="commitment"),
    path(
        "projects/<slug:slug>/commitments/<int:commitment_id>/updates/",
        CommitmentUpdates.as_view(),
        name="commitment_updates",
    ),
    path("projects/<slug:slug>/feedback/", FeedbackGive.as_view(), name="feedback"),
]
