"""Review rounds (pressure-testing) in the REST API: the same access functions, selectors and services as
the round pages. Included by copro/ideas/api.py (names in the "api" namespace).

Facilitators prepare a round (criteria and ideas; the suggested criteria if none are sent), invite reviewers
(peers are participants, experts are experts or people invited by email), open it and close it. Reviewers
save their scores through `.../ideas/<idea_id>/scores/` (api.py). Results per idea (the spread of peers' and
experts' scores side by side, with their comments) follow the page's rule: facilitators see them while the
round is open, members and the idea's own authors once it has closed; "who said what" is for facilitators
only. Authors answer the reviews of their idea once the round has closed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.accounts.models import User
from copro.api.views import IDEMPOTENCY, _valid, idempotency_key
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.ideas import selectors, services
from copro.ideas.access import (
    can_edit,
    can_see_idea,
    can_see_results,
    get_ideas_project,
    get_round_for_user,
    reviewer_for,
    visible_rounds,
)
from copro.ideas.api import IdeaMemberChoiceOut, IdField
from copro.ideas.models import (
    AuthorResponse,
    Criterion,
    Idea,
    IdeaStatus,
    Reviewer,
    ReviewerKind,
    ReviewRound,
    ReviewScore,
    RoundStatus,
)
from copro.projects.models import Project

# --- Out -----------------------------------------------------------------------------------------


class ReviewCriterionOut(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "position", "name", "question", "scale_min", "scale_max", "low_label", "high_label"]


class ReviewRoundOut(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=RoundStatus.choices,
        help_text="draft (being prepared: facilitators only), open (for reviews) or closed (results published).",
    )
    invited = serializers.SerializerMethodField(help_text="Whether you are invited to review this round.")

    class Meta:
        model = ReviewRound
        fields = ["id", "title", "status", "invited", "created_at", "opened_at", "closed_at"]

    def get_invited(self, the_round: ReviewRound) -> bool:
        return the_round.pk in self.context.get("invited", set())


class ReviewRoundIdeaOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=IdeaStatus.choices)
    touches_fixed = serializers.BooleanField()
    yours = serializers.BooleanField(help_text="You are one of its authors: it is not yours to review.")
    answered = serializers.IntegerField(
        allow_null=True, help_text="For an invited reviewer: how many criteria you have answered for it; else null."
    )


class IdeaReviewerOut(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", allow_null=True, help_text="Null: invited by email, not joined.")
    name = serializers.SerializerMethodField(help_text="Their name, or the address they were invited at.")
    kind = serializers.ChoiceField(choices=ReviewerKind.choices, help_text="peer (a participant) or expert.")
    reviewed = serializers.SerializerMethodField(help_text="Whether they have saved a review in this round.")

    class Meta:
        model = Reviewer
        fields = ["id", "user", "name", "kind", "invited_at", "reviewed"]

    def get_name(self, reviewer: Reviewer) -> str:
        return str(reviewer.user.public_name) if reviewer.user is not None else reviewer.email

    def get_reviewed(self, reviewer: Reviewer) -> bool:
        return reviewer.pk in self.context.get("done", set())


class ReviewRoundDetailOut(ReviewRoundOut):
    instructions = serializers.CharField()
    criteria = serializers.SerializerMethodField()
    ideas = serializers.SerializerMethodField(
        help_text="The ideas in the round (one a facilitator hid is left out, except for its authors)."
    )
    you_review_as = serializers.SerializerMethodField(
        help_text="peer or expert if you are invited to review this round; else null."
    )
    results_visible = serializers.SerializerMethodField(help_text="Whether you can see the results now.")
    reviewers = serializers.SerializerMethodField(help_text="The invited reviewers: facilitators only (else null).")

    class Meta(ReviewRoundOut.Meta):
        fields = [
            *ReviewRoundOut.Meta.fields,
            "instructions",
            "criteria",
            "ideas",
            "you_review_as",
            "results_visible",
            "reviewers",
        ]

    @extend_schema_field(ReviewCriterionOut(many=True))
    def get_criteria(self, the_round: ReviewRound) -> list[dict[str, Any]]:
        return list(ReviewCriterionOut(the_round.criteria.all(), many=True).data)

    @extend_schema_field(ReviewRoundIdeaOut(many=True))
    def get_ideas(self, the_round: ReviewRound) -> list[dict[str, Any]]:
        return list(ReviewRoundIdeaOut(self.context["rows"], many=True).data)

    def get_you_review_as(self, the_round: ReviewRound) -> str | None:
        reviewer = self.context.get("reviewer")
        return reviewer.kind if reviewer is not None else None

    def get_results_visible(self, the_round: ReviewRound) -> bool:
        return bool(self.context.get("results_visible"))

    @extend_schema_field(IdeaReviewerOut(many=True, allow_null=True))
    def get_reviewers(self, the_round: ReviewRound) -> list[dict[str, Any]] | None:
        if not self.context.get("manage"):
            return None
        return _reviewers_data(the_round)


class ReviewHistogramBarOut(serializers.Serializer):
    score = serializers.IntegerField()
    count = serializers.IntegerField(help_text="How many gave this score.")


class ReviewSpreadOut(serializers.Serializer):
    count = serializers.IntegerField(help_text='How many gave a score ("I cannot say" is not counted).')
    low = serializers.IntegerField(allow_null=True)
    lower_quartile = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    upper_quartile = serializers.FloatField(allow_null=True)
    high = serializers.IntegerField(allow_null=True)
    mean = serializers.FloatField(allow_null=True)
    histogram = serializers.SerializerMethodField(help_text="Every score on the scale, with how many gave it.")

    @extend_schema_field(ReviewHistogramBarOut(many=True))
    def get_histogram(self, spread: Any) -> list[dict[str, int]]:
        return [{"score": score, "count": n} for score, n in spread.histogram]


class ReviewNamedScoreOut(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="Peer or Expert (in the person's language).")
    score = serializers.IntegerField(allow_null=True, help_text='Null: "I cannot say".')
    comment = serializers.CharField()


class ReviewCriterionResultOut(serializers.Serializer):
    criterion = ReviewCriterionOut()
    peers = ReviewSpreadOut(help_text="The spread of peers' scores.")
    experts = ReviewSpreadOut(help_text="The spread of experts' scores.")
    peer_comments = serializers.ListField(child=serializers.CharField())
    expert_comments = serializers.ListField(child=serializers.CharField())
    named = serializers.SerializerMethodField(help_text="Who said what: facilitators only (else null).")

    @extend_schema_field(ReviewNamedScoreOut(many=True, allow_null=True))
    def get_named(self, row: Any) -> list[dict[str, Any]] | None:
        if not self.context.get("manage"):
            return None
        return [{"name": n, "kind": str(k), "score": s, "comment": c} for n, k, s, c in row.named]


class IdeaAuthorResponseOut(serializers.ModelSerializer):
    class Meta:
        model = AuthorResponse
        fields = ["text", "updated_at"]


class ReviewIdeaRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ReviewIdeaResultOut(serializers.Serializer):
    idea = ReviewIdeaRefOut()
    peer_reviewers = serializers.IntegerField(help_text="How many peers reviewed it.")
    expert_reviewers = serializers.IntegerField(help_text="How many experts reviewed it.")
    criteria = ReviewCriterionResultOut(many=True, help_text="Per criterion, peers' and experts' views side by side.")
    response = IdeaAuthorResponseOut(allow_null=True, help_text="The authors' response to the reviews, or null.")


class IdeaReviewersOut(serializers.Serializer):
    reviewers = IdeaReviewerOut(many=True)
    candidates = IdeaMemberChoiceOut(many=True, help_text="Members (participants and experts) not invited yet.")


# --- In ------------------------------------------------------------------------------------------


class ReviewCriterionIn(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, help_text="Short (at most 120 characters). Empty: left out.")
    question = serializers.CharField(required=False, allow_blank=True, default="", help_text="At most 300 characters.")
    low_label = serializers.CharField(allow_blank=True, help_text="Words for the lowest score (at most 80).")
    high_label = serializers.CharField(allow_blank=True, help_text="Words for the highest score (at most 80).")
    scale_max = serializers.IntegerField(
        required=False, allow_null=True, default=5, help_text="The scale goes from 1 to this: 2 to 10 (default 5)."
    )


class ReviewRoundIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text="At most 200 characters.")
    instructions = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What we ask reviewers (at most 3,000 characters)."
    )
    criteria = serializers.ListField(
        child=ReviewCriterionIn(),
        required=False,
        max_length=services.CRITERIA_MAX * 2,
        help_text=(
            f"1 to {services.CRITERIA_MAX} criteria. Left out when creating: the suggested ones (difference it "
            "makes, feasibility, cost, fit with scope, who benefits, risks). Errors name the field and the "
            "criterion's number: name_1, low_label_2, scale_max_3…"
        ),
    )
    ideas = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=services.IDEAS_PER_ROUND_MAX * 2,
        help_text="Ids of the ideas to review: still open (not merged, split, taken or turned down).",
    )


class ReviewInviteIn(serializers.Serializer):
    members = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=services.REVIEWERS_PER_INVITE_MAX,
        help_text="User ids of members: participants review as peers, experts as experts.",
    )
    emails = serializers.ListField(
        child=serializers.CharField(max_length=320),
        required=False,
        default=list,
        max_length=services.REVIEWERS_PER_INVITE_MAX,
        help_text="Experts who are not members yet: each is invited to join the project as an expert.",
    )
    message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="With the email invitation."
    )


class IdeaResponseIn(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="Your response to the reviews (at most 5,000 characters).")


# --- Helpers -------------------------------------------------------------------------------------


def _invited_rounds(rounds: list[ReviewRound], user: Any) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(Reviewer.objects.filter(round__in=rounds, user=user).values_list("round_id", flat=True)) | set(
        Reviewer.objects.filter(round__in=rounds, user__isnull=True, email__iexact=user.email).values_list(
            "round_id", flat=True
        )
    )


def _reviewers_data(the_round: ReviewRound) -> list[dict[str, Any]]:
    reviewers = list(the_round.reviewers.select_related("user"))
    done = set(ReviewScore.objects.filter(round=the_round).values_list("reviewer_id", flat=True).distinct())
    return list(IdeaReviewerOut(reviewers, many=True, context={"done": done}).data)


def _round_context(request: Request, project: Project, role: Role, the_round: ReviewRound) -> dict[str, Any]:
    """What the round's page shows this person: 403 for someone who may not look at review rounds."""
    manage = TABLE.allowed(role, "ideas.manage")
    reviewer = reviewer_for(the_round, request.user) if TABLE.allowed(role, "ideas.review") else None
    if not (manage or reviewer is not None or TABLE.allowed(role, "ideas.view_reviews")):
        raise PermissionDenied
    if manage:
        selectors.claim_email_reviewers(the_round)
    ideas = list(the_round.ideas.order_by("round_entries__position", "id"))
    own = selectors.own_ideas(ideas, request.user)
    shown = [i for i in ideas if i.hidden_at is None or manage or i.pk in own]
    progress = selectors.reviewer_progress(the_round, reviewer) if reviewer is not None else {}
    rows = [
        {
            "id": i.pk,
            "title": i.title,
            "status": i.status,
            "touches_fixed": i.touches_fixed,
            "yours": i.pk in own,
            "answered": progress.get(i.pk, 0) if reviewer is not None else None,
        }
        for i in shown
    ]
    return {
        "manage": manage,
        "reviewer": reviewer,
        "rows": rows,
        "shown": shown,
        "results_visible": can_see_results(the_round, request.user, role),
        "invited": {the_round.pk} if reviewer is not None else set(),
    }


def _round_response(request: Request, slug: str, round_id: int, code: int = status.HTTP_200_OK) -> Response:
    project, role, the_round = get_round_for_user(request.user, slug, round_id)
    context = _round_context(request, project, role, the_round)
    return Response(ReviewRoundDetailOut(the_round, context=context).data, status=code)


def _round_idea(request: Request, slug: str, round_id: int, idea_id: int) -> tuple[Project, Role, ReviewRound, Idea]:
    """An idea in a round, as the results page loads it: 404 if it is not in the round or hidden from them."""
    project, role, the_round = get_round_for_user(request.user, slug, round_id)
    idea = the_round.ideas.filter(pk=idea_id).first()
    if idea is None or not can_see_idea(idea, request.user, role):
        raise Http404
    idea.project = project
    return project, role, the_round, idea


def _results(the_round: ReviewRound, ideas: list[Idea], manage: bool) -> list[dict[str, Any]]:
    return list(
        ReviewIdeaResultOut(selectors.round_results(the_round, ideas), many=True, context={"manage": manage}).data
    )


# --- Views ---------------------------------------------------------------------------------------


class RoundList(APIView):
    @extend_schema(
        responses=ReviewRoundOut(many=True),
        summary="The project's review rounds, newest first (rounds being prepared: facilitators only)",
    )
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_ideas_project(request.user, slug, "ideas.view_reviews")
        rounds = list(visible_rounds(project, role).order_by("-created_at", "-id"))
        invited = _invited_rounds(rounds, request.user)
        return Response(ReviewRoundOut(rounds, many=True, context={"invited": invited}).data)

    @extend_schema(
        request=ReviewRoundIn,
        responses={201: ReviewRoundDetailOut},
        summary="Prepare a review round: criteria and ideas (facilitators)",
        description="The round starts being prepared (draft): invite the reviewers, then open it.",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str) -> Response:
        project, _role = get_ideas_project(request.user, slug, "ideas.manage")
        data = _valid(ReviewRoundIn, request.data)
        the_round = services.round_create(
            user=actor(request),
            project=project,
            title=data["title"],
            instructions=data["instructions"],
            criteria=data.get("criteria"),
            idea_ids=data["ideas"],
            form_token=idempotency_key(request),
        )
        return _round_response(request, slug, the_round.pk, status.HTTP_201_CREATED)


class RoundDetail(APIView):
    @extend_schema(
        responses=ReviewRoundDetailOut,
        summary="A review round: its criteria, ideas, and (for facilitators) reviewers",
        description=(
            "A round being prepared is a 404 for everyone but facilitators. Members who may not look at review "
            "rounds and were not invited get 403."
        ),
    )
    def get(self, request: Request, slug: str, round_id: int) -> Response:
        return _round_response(request, slug, round_id)

    @extend_schema(
        request=ReviewRoundIn,
        responses=ReviewRoundDetailOut,
        summary="Change a round being prepared: title, instructions, criteria and ideas (facilitators)",
        description="Criteria and ideas are fixed once the round is open, so every review is comparable (400).",
    )
    def put(self, request: Request, slug: str, round_id: int) -> Response:
        _project, _role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
        data = _valid(ReviewRoundIn, request.data)
        if "criteria" not in data:
            raise DRFValidationError({"criteria": ["Send the round's criteria."]})
        services.round_update(
            user=actor(request),
            round=the_round,
            title=data["title"],
            instructions=data["instructions"],
            criteria=data["criteria"],
            idea_ids=data["ideas"],
        )
        return _round_response(request, slug, the_round.pk)


class RoundReviewers(APIView):
    @extend_schema(
        responses=IdeaReviewersOut,
        summary="A round's reviewers, whether each has reviewed, and the members who can be invited (facilitators)",
    )
    def get(self, request: Request, slug: str, round_id: int) -> Response:
        project, _role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
        selectors.claim_email_reviewers(the_round)
        reviewers = _reviewers_data(the_round)
        invited = {r["user"] for r in reviewers if r["user"] is not None}
        candidates = [m for m in selectors.reviewer_candidates(project) if m.user_id not in invited]
        return Response(
            {"reviewers": reviewers, "candidates": IdeaMemberChoiceOut(candidates, many=True).data},
        )

    @extend_schema(
        request=ReviewInviteIn,
        responses={201: IdeaReviewerOut(many=True)},
        summary="Invite reviewers to a round (facilitators); returns those newly invited",
        description=(
            "Members who are participants review as peers, experts as experts; an address that is not a member's "
            "gets the project's invitation to join as an expert. Inviting someone already invited changes nothing. "
            "If the round is open, new reviewers are told at once."
        ),
    )
    def post(self, request: Request, slug: str, round_id: int) -> Response:
        _project, _role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
        data = _valid(ReviewInviteIn, request.data)
        wanted = list(dict.fromkeys(data["members"]))
        members = list(User.objects.filter(pk__in=wanted, is_active=True))
        if len(members) != len(wanted):
            raise DRFValidationError({"members": ["Reviewers are members who are participants or experts."]})
        made = services.reviewers_invite(
            user=actor(request), round=the_round, members=members, emails=data["emails"], message=data["message"]
        )
        reviewers = Reviewer.objects.filter(pk__in=[r.pk for r in made]).select_related("user")
        return Response(IdeaReviewerOut(reviewers, many=True).data, status=status.HTTP_201_CREATED)


class RoundReviewer(APIView):
    @extend_schema(
        request=None,
        responses={204: None},
        summary="Take a reviewer off a round being prepared (facilitators)",
        description="Once a round is open its reviewers stay, so what they said is kept (400).",
    )
    def delete(self, request: Request, slug: str, round_id: int, reviewer_id: int) -> Response:
        _project, _role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
        reviewer = Reviewer.objects.filter(round=the_round, pk=reviewer_id).first()
        if reviewer is None:
            raise Http404
        reviewer.round = the_round
        services.reviewer_remove(user=actor(request), reviewer=reviewer)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoundOpen(APIView):
    @extend_schema(
        request=None,
        responses=ReviewRoundDetailOut,
        summary="Open a round (facilitators): reviewers are told, submitted ideas move to under review",
        description="It needs ideas, criteria and reviewers (400 with what is missing).",
    )
    def post(self, request: Request, slug: str, round_id: int) -> Response:
        _project, _role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
        services.round_open(user=actor(request), round=the_round)
        return _round_response(request, slug, the_round.pk)


class RoundClose(APIView):
    @extend_schema(
        request=None,
        responses=ReviewRoundDetailOut,
        summary="Close an open round (facilitators): its results are published to members",
    )
    def post(self, request: Request, slug: str, round_id: int) -> Response:
        _project, _role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
        services.round_close(user=actor(request), round=the_round)
        return _round_response(request, slug, the_round.pk)


class RoundResults(APIView):
    @extend_schema(
        responses=ReviewIdeaResultOut(many=True),
        summary="A round's results, idea by idea: the spread of peers' and experts' scores side by side",
        description=(
            "Facilitators see them while the round is open (with who said what); members once it has closed "
            "(403 before)."
        ),
    )
    def get(self, request: Request, slug: str, round_id: int) -> Response:
        project, role, the_round = get_round_for_user(request.user, slug, round_id)
        context = _round_context(request, project, role, the_round)
        if not context["results_visible"]:
            raise PermissionDenied
        return Response(_results(the_round, context["shown"], context["manage"]))


class IdeaResults(APIView):
    @extend_schema(
        responses=ReviewIdeaResultOut,
        summary="One idea's results in a round: peers' and experts' views side by side, and the authors' response",
        description=(
            "Facilitators see them while the round is open (with who said what); members and the idea's own "
            "authors once it has closed (403 before)."
        ),
    )
    def get(self, request: Request, slug: str, round_id: int, idea_id: int) -> Response:
        _project, role, the_round, idea = _round_idea(request, slug, round_id, idea_id)
        if not can_see_results(the_round, request.user, role, idea):
            raise PermissionDenied
        return Response(_results(the_round, [idea], TABLE.allowed(role, "ideas.manage"))[0])


class IdeaResponse(APIView):
    @extend_schema(
        request=IdeaResponseIn,
        responses=IdeaAuthorResponseOut,
        summary="Respond to a round's reviews of your idea (its authors and facilitators), or change the response",
        description="Once the round has closed and its results are published (400 before).",
    )
    def put(self, request: Request, slug: str, round_id: int, idea_id: int) -> Response:
        _project, role, the_round, idea = _round_idea(request, slug, round_id, idea_id)
        if not can_edit(idea, request.user, role):
            raise PermissionDenied
        data = _valid(IdeaResponseIn, request.data)
        response = services.response_save(user=actor(request), round=the_round, idea=idea, text=data["text"])
        return Response(IdeaAuthorResponseOut(response).data)


R = "projects/<slug:slug>/idea-reviews/<int:round_id>/"

urlpatterns = [
    path("projects/<slug:slug>/idea-reviews/", RoundList.as_view(), name="idea_reviews"),
    path(R, RoundDetail.as_view(), name="idea_review"),
    path(R + "reviewers/", RoundReviewers.as_view(), name="idea_review_reviewers"),
    path(R + "reviewers/<int:reviewer_id>/", RoundReviewer.as_view(), name="idea_review_reviewer"),
    path(R + "open/", RoundOpen.as_view(), name="idea_review_open"),
    path(R + "close/", RoundClose.as_view(), name="idea_review_close"),
    path(R + "results/", RoundResults.as_view(), name="idea_review_results"),
    path(R + "ideas/<int:idea_id>/results/", IdeaResults.as_view(), name="idea_review_idea_results"),
    path(R + "ideas/<int:idea_id>/response/", IdeaResponse.as_view(), name="idea_review_response"),
]
