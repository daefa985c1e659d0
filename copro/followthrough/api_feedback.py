"""Feedback moments in the REST API: the same access functions and services as the pages.

Anyone gives feedback as the signed-in person, or without an account where the project allows it (with the
same rate limit as the page); practitioners enter it for someone, saying how it reached them (`channel`).
Feedback is private: the project's facilitators (followthrough.triage) read all of it, triage it, link it to
a commitment and share an excerpt only with the giver's consent; the person who gave it, or the practitioner
who entered it, reads their own (without the team's triage notes or the contact left); for everyone else it
does not exist (404). Facilitators also keep the project's feedback settings.
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.db.models import Q
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.forms import ID_LIMIT
from copro.core.models import EntryChannel, Visibility
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.followthrough import services
from copro.followthrough.access import get_feedback_for_user
from copro.followthrough.models import Commitment, FeedbackAbout, FeedbackMoment, FeedbackTag, Triage
from copro.projects.access import get_project_for_user

# --- Out -----------------------------------------------------------------------------------------


class FeedbackReceiptOut(serializers.ModelSerializer):
    class Meta:
        model = FeedbackMoment
        fields = ["id", "about", "feeling", "tags", "consent_to_share", "created_at"]


class CommitmentRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


# The team's side of a feedback moment: how it reached them, how to reach the giver, and the triage.
TRIAGERS_ONLY = (
    "channel",
    "entered_by",
    "contact",
    "triage",
    "triage_note",
    "triaged_by",
    "triaged_at",
    "shared_at",
)


class FeedbackOut(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    about = serializers.ChoiceField(choices=FeedbackAbout.choices)
    feeling = serializers.IntegerField(help_text="How it felt: 1 (very bad) to 5 (very good).")
    tags = serializers.ListField(child=serializers.ChoiceField(choices=FeedbackTag.choices))
    text = serializers.CharField()
    consent_to_share = serializers.BooleanField(help_text="The giver agreed to be quoted in public, without a name.")
    shared_excerpt = serializers.SerializerMethodField(
        help_text="The words shown on the “You said, we did” page, without a name ('' while not shared)."
    )
    read_by_team = serializers.SerializerMethodField(help_text="False until a facilitator has triaged it.")
    entered_for_someone = serializers.SerializerMethodField(
        help_text="True when a practitioner entered it for someone (paper, phone, drop-in, outreach)."
    )
    commitment = serializers.SerializerMethodField(
        help_text="The commitment it is linked to (for others than facilitators: only a public one)."
    )
    # Facilitators only (left out for the giver and the practitioner who entered it):
    channel = serializers.ChoiceField(choices=EntryChannel.choices, required=False)
    entered_by = serializers.CharField(
        source="entered_by.public_name", required=False, allow_null=True, help_text="The practitioner's name."
    )
    contact = serializers.CharField(required=False, help_text="How to reach the giver, if they left a way.")
    triage = serializers.ChoiceField(choices=Triage.choices, required=False)
    triage_note = serializers.CharField(required=False, help_text="The team's note.")
    triaged_by = serializers.CharField(source="triaged_by.public_name", required=False, allow_null=True)
    triaged_at = serializers.DateTimeField(required=False, allow_null=True)
    shared_at = serializers.DateTimeField(required=False, allow_null=True)

    def get_shared_excerpt(self, feedback: FeedbackMoment) -> str:
        return feedback.public_excerpt if feedback.shared_at else ""

    def get_read_by_team(self, feedback: FeedbackMoment) -> bool:
        return feedback.triage != Triage.NEW

    def get_entered_for_someone(self, feedback: FeedbackMoment) -> bool:
        return feedback.entered_by_id is not None or feedback.channel != EntryChannel.ONLINE

    @extend_schema_field(CommitmentRefOut(allow_null=True))
    def get_commitment(self, feedback: FeedbackMoment) -> dict[str, Any] | None:
        linked = feedback.commitment
        if linked is None:
            return None
        if not self.context.get("triager") and linked.visibility != Visibility.PUBLIC:
            return None  # as on the page: the giver is shown the link only to a public commitment
        return {"id": linked.pk, "title": linked.title}

    def to_representation(self, instance: FeedbackMoment) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if not self.context.get("triager"):
            for name in TRIAGERS_ONLY:
                data.pop(name, None)
        return data


class FeedbackSettingsOut(serializers.Serializer):
    allow_anonymous = serializers.BooleanField(help_text="The facilitators' choice: feedback without an account.")
    anonymous_allowed = serializers.BooleanField(
        help_text="Whether feedback without an account is taken now: only on a public project that allows it."
    )
    intro = serializers.CharField(help_text="What people are told before they give feedback.")


# --- In ------------------------------------------------------------------------------------------


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


class TriageIn(serializers.Serializer):
    triage = serializers.ChoiceField(
        choices=Triage.choices, help_text="Celebrate, act on or pass on (or back to not looked at yet)."
    )
    note = serializers.CharField(
        allow_blank=True, required=False, help_text="A note for the team. Left out: it stays as it is."
    )
    commitment = serializers.IntegerField(
        min_value=1,
        max_value=ID_LIMIT - 1,
        required=False,
        allow_null=True,
        help_text="The id of a commitment of this project to link it to; null to unlink. Left out: it stays.",
    )


class ShareIn(serializers.Serializer):
    excerpt = serializers.CharField(
        allow_blank=True,
        help_text="The giver's own words (at most 1,000 characters). Words may be left out, each cut marked with "
        "…, but none added or changed.",
    )


class FeedbackSettingsIn(serializers.Serializer):
    """A change: what is left out stays as it is."""

    allow_anonymous = serializers.BooleanField(
        required=False, help_text="Let people give feedback without an account (only on a public project)."
    )
    intro = serializers.CharField(
        allow_blank=True, required=False, help_text="What people are told first (at most 1,000 characters)."
    )


# --- Views ---------------------------------------------------------------------------------------

TRIAGE_PARAM = OpenApiParameter(
    "triage", OpenApiTypes.STR, description="Only feedback triaged so: new, celebrate, act_on or pass_on."
)


def _triager(role: Role) -> bool:
    return TABLE.allowed(role, "followthrough.triage")


def _feedback_data(feedback: FeedbackMoment, role: Role) -> dict[str, Any]:
    return dict(FeedbackOut(feedback, context={"triager": _triager(role)}).data)


def _paged(view: APIView, request: Request, found: Any, role: Role) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(found.order_by("-created_at", "-id"), request, view=view) or []
    return paginator.get_paginated_response(FeedbackOut(page, many=True, context={"triager": _triager(role)}).data)


def _with_people(found: Any) -> Any:
    return found.select_related("commitment", "entered_by", "triaged_by")


class Feedback(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=FeedbackOut(many=True),
        summary="The feedback received, newest first (facilitators)",
        description="Private: only the project's facilitators may list it.",
        parameters=[TRIAGE_PARAM],
    )
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "followthrough.triage")
        found = FeedbackMoment.objects.filter(project=project)
        wanted = request.query_params.get("triage") or ""
        if wanted:
            if wanted not in Triage.values:
                raise DRFValidationError({"triage": ["Choose one of: " + ", ".join(Triage.values)]})
            found = found.filter(triage=wanted)
        return _paged(self, request, _with_people(found), role)

    @extend_schema(
        request=FeedbackIn,
        responses={201: FeedbackReceiptOut},
        summary="Give feedback about the service or the project",
        description=(
            "As the signed-in person, or without an account where the project allows it (limited per address, "
            "429 beyond that). Practitioners (followthrough.enter) send `channel` to enter it for someone. "
            "Feedback is private to the project's facilitators; the person who gave it reads it at "
            "feedback/mine/."
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


class FeedbackMine(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=FeedbackOut(many=True),
        summary="The feedback you gave here, and any you entered for other people, newest first",
        description="Nobody else's. Needs you to be signed in.",
    )
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "followthrough.view")
        if not request.user.is_authenticated:
            raise NotAuthenticated("Sign in to see the feedback you gave.")
        found = FeedbackMoment.objects.filter(Q(given_by=request.user) | Q(entered_by=request.user), project=project)
        return _paged(self, request, _with_people(found), role)


class FeedbackDetail(APIView):
    @extend_schema(
        responses=FeedbackOut,
        summary="One feedback moment (facilitators; or the person who gave or entered it)",
        description="For anyone else it does not exist (404). The team's side (triage, note, contact, how it "
        "reached them) is given to facilitators only.",
    )
    def get(self, request: Request, slug: str, feedback_id: int) -> Response:
        _project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id)
        return Response(_feedback_data(feedback, role))


class FeedbackTriage(APIView):
    @extend_schema(
        request=TriageIn,
        responses=FeedbackOut,
        summary="Triage feedback: celebrate, act on or pass on, with a note; link it to a commitment (facilitators)",
    )
    def post(self, request: Request, slug: str, feedback_id: int) -> Response:
        project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id, "followthrough.triage")
        data = _valid(TriageIn, request.data)
        commitment = feedback.commitment
        if "commitment" in data:
            commitment = None
            if data["commitment"] is not None:
                commitment = Commitment.objects.filter(project=project, pk=data["commitment"]).first()
                if commitment is None:
                    raise DRFValidationError({"commitment": ["Choose a commitment of this project."]})
        services.feedback_triage(
            feedback=feedback,
            user=actor(request),
            triage=data["triage"],
            note=data.get("note", feedback.triage_note),
            commitment=commitment,
        )
        return Response(_feedback_data(feedback, role))


class FeedbackShare(APIView):
    @extend_schema(
        request=ShareIn,
        responses=FeedbackOut,
        summary="Share an excerpt on the “You said, we did” page, without a name (facilitators)",
        description="Only when the giver agreed to be quoted (otherwise 400, nothing shared), and only in their "
        "own words. Sharing again replaces the excerpt.",
    )
    def post(self, request: Request, slug: str, feedback_id: int) -> Response:
        _project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id, "followthrough.triage")
        data = _valid(ShareIn, request.data)
        services.feedback_share(feedback=feedback, user=actor(request), excerpt=data["excerpt"])
        return Response(_feedback_data(feedback, role))

    @extend_schema(request=None, responses=FeedbackOut, summary="Stop sharing it (facilitators)")
    def delete(self, request: Request, slug: str, feedback_id: int) -> Response:
        _project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id, "followthrough.triage")
        services.feedback_unshare(feedback=feedback, user=actor(request))
        return Response(_feedback_data(feedback, role))


class FeedbackConsent(APIView):
    @extend_schema(
        request=None,
        responses=FeedbackOut,
        summary="Withdraw your consent to be quoted (the person who gave it)",
        description="It is no longer quoted anywhere. Only the person who gave the feedback may do this (403).",
    )
    def delete(self, request: Request, slug: str, feedback_id: int) -> Response:
        _project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id)
        if not (request.user.is_authenticated and feedback.given_by_id == request.user.pk):
            raise PermissionDenied("Only the person who gave this feedback can change their consent.")
        services.feedback_withdraw_consent(feedback=feedback, user=actor(request))
        return Response(_feedback_data(feedback, role))


def _settings_data(project: Any) -> dict[str, Any]:
    found = services.feedback_settings(project)
    return dict(
        FeedbackSettingsOut(
            {
                "allow_anonymous": found.allow_anonymous,
                "anonymous_allowed": services.anonymous_feedback_allowed(project),
                "intro": found.intro,
            }
        ).data
    )


class FeedbackSettings(APIView):
    @extend_schema(
        responses=FeedbackSettingsOut,
        summary="The project's feedback settings: what people are told first, and whether an account is needed",
    )
    def get(self, request: Request, slug: str) -> Response:
        project, _role = get_project_for_user(request.user, slug, "followthrough.feedback")
        return Response(_settings_data(project))

    @extend_schema(
        request=FeedbackSettingsIn,
        responses=FeedbackSettingsOut,
        summary="Change the project's feedback settings (facilitators)",
        description="Only the fields sent change. Feedback without an account is taken only on a public project.",
    )
    def patch(self, request: Request, slug: str) -> Response:
        project, _role = get_project_for_user(request.user, slug, "followthrough.triage")
        data = _valid(FeedbackSettingsIn, request.data, partial=True)  # form data: an absent box is not "false"
        current = services.feedback_settings(project)
        services.feedback_settings_save(
            project=project,
            user=actor(request),
            allow_anonymous=data.get("allow_anonymous", current.allow_anonymous),
            intro=data.get("intro", current.intro),
        )
        return Response(_settings_data(project))


F = "projects/<slug:slug>/feedback/"

# Spread into copro.followthrough.api's urlpatterns (the "api" namespace).
urlpatterns = [
    path(F, Feedback.as_view(), name="feedback"),
    path(F + "mine/", FeedbackMine.as_view(), name="feedback_mine"),
    path(F + "settings/", FeedbackSettings.as_view(), name="feedback_settings"),
    path(F + "<int:feedback_id>/", FeedbackDetail.as_view(), name="feedback_detail"),
    path(F + "<int:feedback_id>/triage/", FeedbackTriage.as_view(), name="feedback_triage"),
    path(F + "<int:feedback_id>/share/", FeedbackShare.as_view(), name="feedback_share"),
    path(F + "<int:feedback_id>/consent/", FeedbackConsent.as_view(), name="feedback_consent"),
]
