"""Live reporting in the REST API: the same access functions, selectors and services as the pages.

The data is the same as the WebSocket's and the polling endpoint's (copro.live.selectors): a sequence
number to ask from next time, and the current state of every entry and question changed after it.
Photos are posted on the page only (the API takes JSON).
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, _valid, idempotency_key
from copro.core.views import actor
from copro.live import selectors, services
from copro.live.access import can_report, get_feed_for_user, get_question_for_user
from copro.live.consumers import parse_after
from copro.live.models import EntryKind, FeedStatus, QuestionKind

# --- Out -----------------------------------------------------------------------------------------


class LiveEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="The feed's sequence number of this entry's latest change.")
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    text = serializers.CharField(help_text="Plain text (empty once withdrawn).")
    author = serializers.CharField(allow_null=True, help_text="The reporter's name; null if they left.")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True, help_text="When it was last corrected.")
    withdrawn = serializers.BooleanField()
    withdrawn_reason = serializers.CharField()
    photo = serializers.CharField(allow_null=True, help_text="The address of the photo, if any.")
    photo_alt = serializers.CharField()


class LiveQuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    status = serializers.CharField(help_text="approved; or, to moderators, pending or rejected; to others, removed.")
    kind = serializers.ChoiceField(choices=QuestionKind.choices, required=False)
    text = serializers.CharField(required=False)
    author = serializers.CharField(allow_null=True, required=False, help_text="Only if they chose to show it.")
    like_count = serializers.IntegerField(required=False)
    answer = serializers.CharField(required=False)
    answered_at = serializers.DateTimeField(allow_null=True, required=False)
    created_at = serializers.DateTimeField(required=False)


class LiveStatusOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=FeedStatus.choices)
    questions_open = serializers.BooleanField()
    ended_at = serializers.DateTimeField(allow_null=True)


class LiveChangesOut(serializers.Serializer):
    seq = serializers.IntegerField(help_text="Ask from this number next time (?after=).")
    more = serializers.BooleanField(help_text="True if there are more changes: ask again at once.")
    status = LiveStatusOut()
    entries = LiveEntryOut(many=True)
    questions = LiveQuestionOut(many=True)


# --- In ------------------------------------------------------------------------------------------


class LiveEntryIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EntryKind.choices, default=EntryKind.NOTE)
    text = serializers.CharField(allow_blank=False, help_text="Plain text, at most 5,000 characters.")


class LiveQuestionIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices, default=QuestionKind.QUESTION)
    text = serializers.CharField(allow_blank=True, help_text="At most 1,000 characters.")
    show_name = serializers.BooleanField(default=False)


class LikeOut(serializers.Serializer):
    liked = serializers.BooleanField()
    like_count = serializers.IntegerField()


# --- Views ---------------------------------------------------------------------------------------


def _after(request: Request) -> int:
    after = parse_after(request.query_params.get("after", "0"))
    if after is None:
        raise DRFValidationError({"after": ["A whole number: the last sequence number you have (0 for everything)."]})
    return after


class LiveFeedChanges(APIView):
    @extend_schema(
        responses=LiveChangesOut,
        summary="A meeting's live feed: everything changed after a sequence number",
        parameters=[OpenApiParameter("after", OpenApiTypes.INT, description="The last sequence number you have.")],
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id)
        after = _after(request)
        services.feed_close_if_overdue(feed)
        data: dict[str, Any] = selectors.changes_since(
            feed, after, moderator=can_report(feed, request.user, role, "live.moderate")
        )
        data.pop("type", None)
        return Response(data)


class LiveEntries(APIView):
    @extend_schema(
        request=LiveEntryIn,
        responses={201: LiveEntryOut},
        summary="Post a note, decision or action to a live meeting (facilitators and appointed reporters)",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.report")
        data = _valid(LiveEntryIn, request.data)
        entry = services.entry_post(
            user=actor(request), feed=feed, kind=data["kind"], text=data["text"], form_token=idempotency_key(request)
        )
        return Response(selectors.entry_data(entry, project.slug, feed.meeting_id), status=status.HTTP_201_CREATED)


class LiveQuestions(APIView):
    @extend_schema(
        request=LiveQuestionIn,
        responses={201: LiveQuestionOut},
        summary="Send a question or comment to a live meeting (shown once a moderator approves it)",
        description="Limited to 10 per 10 minutes per person (429 beyond that).",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.ask")
        data = _valid(LiveQuestionIn, request.data)
        if not ratelimit.consume(request._request, action="live_question"):
            raise Throttled()
        question = services.question_ask(
            user=actor(request),
            feed=feed,
            kind=data["kind"],
            text=data["text"],
            show_name=data["show_name"],
            form_token=idempotency_key(request),
        )
        return Response(selectors.question_data(question, public=False), status=status.HTTP_201_CREATED)


def _like_response(question_id: int, liked: bool) -> Response:
    from copro.live.models import Question

    count = Question.objects.filter(pk=question_id).values_list("like_count", flat=True).first() or 0
    return Response(LikeOut({"liked": liked, "like_count": count}).data)


class LiveQuestionLike(APIView):
    @extend_schema(request=None, responses=LikeOut, summary="Like an approved question (liking twice counts once)")
    def post(self, request: Request, slug: str, meeting_id: int, question_id: int) -> Response:
        *_rest, question = get_question_for_user(request.user, slug, meeting_id, question_id, "live.ask")
        services.question_like(user=actor(request), question=question)
        return _like_response(question.pk, True)

    @extend_schema(request=None, responses=LikeOut, summary="Take back your like")
    def delete(self, request: Request, slug: str, meeting_id: int, question_id: int) -> Response:
        *_rest, question = get_question_for_user(request.user, slug, meeting_id, question_id, "live.ask")
        services.question_unlike(user=actor(request), question=question)
        return _like_response(question.pk, False)


L = "projects/<slug:slug>/meetings/<int:meeting_id>/live/"

# Included in copro/api/urls.py (names under "api:").
urlpatterns = [
    path(L, LiveFeedChanges.as_view(), name="live_changes"),
    path(L + "entries/", LiveEntries.as_view(), name="live_entries"),
    path(L + "questions/", LiveQuestions.as_view(), name="live_questions"),
    path(L + "questions/<int:question_id>/like/", LiveQuestionLike.as_view(), name="live_question_like"),
]
