"""Decisions in the REST API: the same access functions and services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response as DRFResponse
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, Pagination, _page, _valid, idempotency_key
from copro.core.views import actor
from copro.decisions import selectors, services
from copro.decisions.access import get_decision_for_user, visible_decisions
from copro.decisions.models import Channel, Decision, Kind, Option, Response, Stance
from copro.projects.access import get_project_for_user


class OptionOut(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["code", "title", "description", "cost", "not_taken_reason"]


class DecisionOut(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "closes_at",
            "closed_at",
            "method",
            "process",
            "rule",
            "secrecy",
            "outcome",
        ]


class DecisionDetailOut(DecisionOut):
    options = OptionOut(many=True, read_only=True)
    electorate = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    class Meta(DecisionOut.Meta):
        fields = [
            *DecisionOut.Meta.fields,
            "description",
            "how_used",
            "budget",
            "currency",
            "ballot_kind",
            "min_choices",
            "max_choices",
            "max_score",
            "dots",
            "seats",
            "points",
            "spending_cap",
            "threshold",
            "hide_results",
            "outcome_statement",
            "rationale",
            "review_on",
            "participation",
            "options",
            "electorate",
            "result",
        ]

    def get_electorate(self, decision: Decision) -> dict[str, Any]:
        return {
            "roles": decision.electorate_roles,
            "weights": {r: decision.weight_for(r) for r in decision.electorate_roles},
        }

    def get_result(self, decision: Decision) -> dict[str, Any] | None:
        return selectors.result_for_display(decision)


class BallotIn(serializers.Serializer):
    choices = serializers.JSONField(
        help_text=(
            "Option codes: a list (single, approval, ranked best first, budget) "
            "or {code: number} (score, dots, points)."
        )
    )


class DecisionList(APIView):
    pagination_class = Pagination

    @extend_schema(responses=DecisionOut(many=True), summary="Decisions in a project you may see")
    def get(self, request: Request, slug: str) -> DRFResponse:
        project, role = get_project_for_user(request.user, slug, "decisions.view")
        return _page(request, self, visible_decisions(project, role).order_by("-created_at", "-id"), DecisionOut)


class DecisionDetail(APIView):
    @extend_schema(responses=DecisionDetailOut, summary="A decision: who decides, the method, options and result")
    def get(self, request: Request, slug: str, decision_id: int) -> DRFResponse:
        _project, _role, decision = get_decision_for_user(request.user, slug, decision_id)
        return DRFResponse(DecisionDetailOut(decision).data)


class DecisionBallots(APIView):
    @extend_schema(
        request=BallotIn,
        responses={201: None, 409: None},
        summary="Cast your ballot (once; a second ballot gets 409)",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, decision_id: int) -> DRFResponse:
        _project, _role, decision = get_decision_for_user(request.user, slug, decision_id, "decisions.vote")
        data = _valid(BallotIn, request.data)
        try:
            services.ballot_cast(
                user=actor(request), decision=decision, choices=data["choices"], form_token=idempotency_key(request)
            )
        except (services.AlreadyVoted, services.VotingClosed) as error:
            return DRFResponse({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
        return DRFResponse({"detail": _("Your vote is counted. Thank you.")}, status=status.HTTP_201_CREATED)


class ResponseIn(serializers.Serializer):
    stance = serializers.ChoiceField(choices=Stance.choices)
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ResponseOut(serializers.ModelSerializer):
    name = serializers.CharField(source="user.public_name")

    class Meta:
        model = Response
        fields = ["id", "name", "stance", "reason", "answer", "answered_at"]


class DecisionResponses(APIView):
    @extend_schema(responses=ResponseOut(many=True), summary="Responses to a proposal (named, with answers)")
    def get(self, request: Request, slug: str, decision_id: int) -> DRFResponse:
        _project, _role, decision = _proposal(request, slug, decision_id, "decisions.view")
        return DRFResponse(ResponseOut(decision.responses.select_related("user"), many=True).data)

    @extend_schema(request=ResponseIn, responses={200: ResponseOut}, summary="Respond to a proposal (or change it)")
    def post(self, request: Request, slug: str, decision_id: int) -> DRFResponse:
        _project, _role, decision = _proposal(request, slug, decision_id, "decisions.vote")
        data = _valid(ResponseIn, request.data)
        try:
            response = services.proposal_respond(
                user=actor(request), decision=decision, stance=data["stance"], reason=data["reason"]
            )
        except services.VotingClosed as error:
            return DRFResponse({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
        return DRFResponse(ResponseOut(response).data)


class PaperBallotIn(BallotIn):
    channel = serializers.ChoiceField(choices=[Channel.PAPER, Channel.IN_PERSON])
    batch = serializers.CharField(max_length=100)
    role = serializers.CharField(max_length=20, default="participant")


class DecisionPaperBallots(APIView):
    @extend_schema(
        request=PaperBallotIn,
        responses={201: None, 409: None},
        summary="Record a paper or in-person ballot (facilitators), with its batch",
    )
    def post(self, request: Request, slug: str, decision_id: int) -> DRFResponse:
        _project, _role, decision = get_decision_for_user(request.user, slug, decision_id, "decisions.manage")
        if decision.kind == Kind.PROPOSAL:
            raise Http404
        data = _valid(PaperBallotIn, request.data)
        try:
            services.ballot_enter(
                user=actor(request),
                decision=decision,
                choices=data["choices"],
                channel=data["channel"],
                batch=data["batch"],
                role=data["role"],
            )
        except services.VotingClosed as error:
            return DRFResponse({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
        return DRFResponse({"detail": _("Ballot recorded.")}, status=status.HTTP_201_CREATED)


def _proposal(request: Request, slug: str, decision_id: int, action: str) -> tuple[Any, Any, Decision]:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id, action)
    if decision.kind != Kind.PROPOSAL:
        raise Http404
    return project, role, decision
