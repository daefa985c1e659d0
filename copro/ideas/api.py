"""Ideas and pressure-testing in the REST API: the same access functions, selectors and services as the pages.

Ideas are put forward, supported and commented on as the signed-in person, with the same rate limits and
the same rules (the project's idea settings) as the pages. An idea touching a fixed line of the scope is
accepted, and the response carries the flag (`touches_fixed`, `fixed_flags` with the scope's reasons).
Files are added on the page only (the API takes JSON).
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.forms import parse_id
from copro.core.permissions import TABLE
from copro.core.views import actor
from copro.ideas import selectors, services
from copro.ideas.access import OwnIdea, get_idea_for_user, get_ideas_project, get_review_for_user, space_of
from copro.ideas.models import Idea, IdeaComment, IdeaStatus, ReviewScore, Support
from copro.projects.models import ScopeItem

Q_MAX = 100  # the longest words filter, as on the page


# --- Out -----------------------------------------------------------------------------------------


class IdeaScopeOut(serializers.ModelSerializer):
    class Meta:
        model = ScopeItem
        fields = ["id", "kind", "text"]


class FixedFlagOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The fixed scope line's id.")
    text = serializers.CharField(help_text="What is fixed.")
    reason = serializers.CharField(help_text="Why it is fixed, as the scope said when the idea was submitted.")


class IdeaOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(
        help_text="The name of the person who put it forward (null if not shown: an erased account, or someone "
        "without an account who gave no name)."
    )
    scope_items = IdeaScopeOut(many=True, read_only=True)
    fixed_flags = FixedFlagOut(many=True, read_only=True)
    hidden = serializers.SerializerMethodField(
        help_text="Hidden by a facilitator: only its authors and facilitators see it (the reason is hidden_reason)."
    )

    class Meta:
        model = Idea
        fields = [
            "id",
            "title",
            "problem",
            "proposal",
            "status",
            "status_reason",
            "scope_items",
            "touches_fixed",
            "fixed_flags",
            "cost_estimate",
            "currency",
            "support_count",
            "author",
            "version",
            "merged_into",
            "split_from",
            "hidden",
            "hidden_reason",
            "created_at",
        ]

    def get_author(self, idea: Idea) -> str | None:
        if idea.author is not None:
            return str(idea.author.public_name)
        return idea.author_name or None

    def get_hidden(self, idea: Idea) -> bool:
        return idea.hidden_at is not None


class IdeaCommentOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = IdeaComment
        fields = ["id", "text", "author", "created_at"]

    def get_author(self, comment: IdeaComment) -> str | None:
        return comment.author.public_name if comment.author is not None else None


class IdeaDetailOut(IdeaOut):
    authors = serializers.SerializerMethodField(
        help_text="Names of the active authors, the one who put it forward first."
    )
    comments = serializers.SerializerMethodField(help_text="Comments, oldest first (hidden ones are left out).")
    decisions = serializers.SerializerMethodField(help_text="Ids of the decisions the idea was taken to.")

    class Meta(IdeaOut.Meta):
        fields = [*IdeaOut.Meta.fields, "authors", "comments", "decisions"]

    def get_authors(self, idea: Idea) -> list[str]:
        return [a.user.public_name for a in selectors.authorships(idea) if a.left_at is None]

    def get_comments(self, idea: Idea) -> list[dict[str, Any]]:
        comments = idea.comments.filter(hidden_at__isnull=True).select_related("author")
        return list(IdeaCommentOut(comments, many=True).data)

    def get_decisions(self, idea: Idea) -> list[int]:
        return [link.target_id for link in selectors.outcome_links(idea) if link.kind == "taken_to"]


class SupportOut(serializers.Serializer):
    supported = serializers.BooleanField(help_text="Whether you now support the idea.")
    support_count = serializers.IntegerField()


class ReviewScoreOut(serializers.ModelSerializer):
    class Meta:
        model = ReviewScore
        fields = ["criterion", "score", "comment", "updated_at"]


# --- In ------------------------------------------------------------------------------------------


class IdeaIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text="A short title (at most 200 characters).")
    problem = serializers.CharField(allow_blank=True, help_text="The problem it addresses.")
    proposal = serializers.CharField(allow_blank=True, help_text="What is proposed.")
    scope_items = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="Ids of the scope lines it touches."
    )
    cost_estimate = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, help_text="A rough cost in whole pounds."
    )


class IdeaCommentIn(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="The comment (at most 2,000 characters).")


class ScoreIn(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="The criterion's id.")
    score = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="On the criterion's scale; null: I cannot say."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewIn(serializers.Serializer):
    scores = ScoreIn(many=True, help_text="One entry per criterion you answer.")


# --- Views ---------------------------------------------------------------------------------------


def _filters(request: Request, project: Any) -> dict[str, Any]:
    params = request.query_params
    errors: dict[str, list[str]] = {}
    status_value = params.get("status") or ""
    if status_value and status_value not in IdeaStatus.values:
        errors["status"] = [f"One of: {', '.join(IdeaStatus.values)}."]
    scope_item = None
    if params.get("scope"):
        scope_item = parse_id(params.get("scope"))
        if scope_item is None:
            errors["scope"] = ["The id of one of the project's scope lines."]
    q = (params.get("q") or "").strip()
    if len(q) > Q_MAX:
        errors["q"] = [f"Search for at most {Q_MAX} characters."]
    sort = params.get("sort") or "newest"
    if sort not in selectors.SORTS:
        errors["sort"] = ["newest or supported."]
    if errors:
        raise DRFValidationError(errors)
    return {
        "status": status_value,
        "scope_item": scope_item,
        "fixed": params.get("fixed") in ("1", "true"),
        "q": q,
        "sort": sort,
        "include_closed": params.get("closed") in ("1", "true"),
    }


class IdeaList(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=IdeaOut(many=True),
        summary="The project's ideas (merged and split ones only with closed=1)",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="Only ideas with this status."),
            OpenApiParameter("scope", OpenApiTypes.INT, description="Only ideas touching this scope line (its id)."),
            OpenApiParameter("fixed", OpenApiTypes.BOOL, description="Only ideas touching something fixed."),
            OpenApiParameter("q", OpenApiTypes.STR, description="Only ideas with these words in them."),
            OpenApiParameter("sort", OpenApiTypes.STR, description="newest (default) or supported."),
            OpenApiParameter("closed", OpenApiTypes.BOOL, description="Include merged and split ideas."),
        ],
    )
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_ideas_project(request.user, slug, "ideas.view")
        ideas = selectors.ideas_for_list(
            project,
            **_filters(request, project),
            show_hidden=TABLE.allowed(role, "ideas.manage"),
            viewer=request.user,
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(ideas, request, view=self) or []
        return paginator.get_paginated_response(IdeaOut(page, many=True).data)

    @extend_schema(
        request=IdeaIn,
        responses={201: IdeaOut},
        summary="Put forward an idea",
        description=(
            "An idea touching a fixed line of the scope is accepted: the response carries the flag (touches_fixed, "
            "fixed_flags with the reasons). Limited to 20 ideas an hour per person (429 beyond that)."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str) -> Response:
        project, _role = get_ideas_project(request.user, slug, "ideas.submit")
        if not space_of(project).is_open:
            raise PermissionDenied("This project is not taking new ideas at the moment.")
        data = _valid(IdeaIn, request.data)
        if not ratelimit.consume(request._request, action="ideas_submit"):
            raise Throttled()
        idea = services.idea_submit(
            project=project,
            author=actor(request),
            title=data["title"],
            problem=data["problem"],
            proposal=data["proposal"],
            scope_items=data["scope_items"],
            cost_estimate=data["cost_estimate"],
            form_token=idempotency_key(request),
        )
        return Response(IdeaOut(idea).data, status=status.HTTP_201_CREATED)


class IdeaDetail(APIView):
    @extend_schema(responses=IdeaDetailOut, summary="An idea, its authors, comments and what became of it")
    def get(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = get_idea_for_user(request.user, slug, idea_id)
        return Response(IdeaDetailOut(idea).data)


def _support(idea: Idea, supported: bool) -> Response:
    count = Idea.objects.filter(pk=idea.pk).values_list("support_count", flat=True).first() or 0
    return Response(SupportOut({"supported": supported, "support_count": count}).data)


class IdeaSupport(APIView):
    @extend_schema(request=None, responses=SupportOut, summary="Support an idea (supporting twice counts once)")
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.support")
        services.idea_support(user=actor(request), idea=idea)
        return _support(idea, True)

    @extend_schema(request=None, responses=SupportOut, summary="Withdraw your support for an idea")
    def delete(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.support")
        services.idea_unsupport(user=actor(request), idea=idea)
        return _support(idea, Support.objects.filter(idea=idea, user=actor(request)).exists())


class IdeaComments(APIView):
    @extend_schema(responses=IdeaCommentOut(many=True), summary="An idea's comments, oldest first")
    def get(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = get_idea_for_user(request.user, slug, idea_id)
        comments = idea.comments.filter(hidden_at__isnull=True).select_related("author")
        return Response(IdeaCommentOut(comments, many=True).data)

    @extend_schema(
        request=IdeaCommentIn,
        responses={201: IdeaCommentOut},
        summary="Comment on an idea",
        description="Limited to 120 comments an hour per person (429 beyond that).",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.comment")
        data = _valid(IdeaCommentIn, request.data)
        if not ratelimit.consume(request._request, action="ideas_comment"):
            raise Throttled()
        comment = services.comment_add(
            user=actor(request), idea=idea, text=data["text"], form_token=idempotency_key(request)
        )
        return Response(IdeaCommentOut(comment).data, status=status.HTTP_201_CREATED)


def _review_for(request: Request, slug: str, round_id: int, idea_id: int) -> Any:
    try:
        return get_review_for_user(request.user, slug, round_id, idea_id)
    except OwnIdea as refused:
        raise PermissionDenied(str(refused)) from None


class ReviewScores(APIView):
    @extend_schema(responses=ReviewScoreOut(many=True), summary="Your scores for one idea in a review round")
    def get(self, request: Request, slug: str, round_id: int, idea_id: int) -> Response:
        _project, _role, the_round, idea, reviewer = _review_for(request, slug, round_id, idea_id)
        scores = ReviewScore.objects.filter(round=the_round, idea=idea, reviewer=reviewer).order_by("criterion_id")
        return Response(ReviewScoreOut(scores, many=True).data)

    @extend_schema(
        request=ReviewIn,
        responses=ReviewScoreOut(many=True),
        summary="Save your scores for one idea in an open review round (only invited reviewers)",
        description=(
            "A score outside the criterion's scale is refused with 400 and nothing is saved; the error names the "
            "field as score_<criterion id>. Scores can be changed until the round closes. Nobody reviews an idea "
            "they wrote: an invited reviewer who is one of its authors gets 403."
        ),
    )
    def post(self, request: Request, slug: str, round_id: int, idea_id: int) -> Response:
        _project, _role, the_round, idea, reviewer = _review_for(request, slug, round_id, idea_id)
        data = _valid(ReviewIn, request.data)
        entries = {row["criterion"]: (row["score"], row["comment"]) for row in data["scores"]}
        services.review_save(reviewer=reviewer, round=the_round, idea=idea, entries=entries)
        scores = ReviewScore.objects.filter(round=the_round, idea=idea, reviewer=reviewer).order_by("criterion_id")
        return Response(ReviewScoreOut(scores, many=True).data)


# Wired into copro/api/urls.py (namespace "api") by its "ideas api" block.
urlpatterns = [
    path("projects/<slug:slug>/ideas/", IdeaList.as_view(), name="ideas"),
    path("projects/<slug:slug>/ideas/<int:idea_id>/", IdeaDetail.as_view(), name="idea"),
    path("projects/<slug:slug>/ideas/<int:idea_id>/support/", IdeaSupport.as_view(), name="idea_support"),
    path("projects/<slug:slug>/ideas/<int:idea_id>/comments/", IdeaComments.as_view(), name="idea_comments"),
    path(
        "projects/<slug:slug>/idea-reviews/<int:round_id>/ideas/<int:idea_id>/scores/",
        ReviewScores.as_view(),
        name="idea_review_scores",
    ),
]
