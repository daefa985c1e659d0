"""Live reporting in the REST API: the same access functions, selectors and services as the pages.

The data is the same as the WebSocket's and the polling endpoint's (copro.live.selectors): a sequence
number to ask from next time, and the current state of every entry and question changed after it.

Viewers: follow the feed, send questions and comments, like them. Reporters (facilitators and the members
appointed for the meeting): post notes, decisions and actions (with a photo: send the entry as
multipart/form-data instead of JSON), correct and withdraw their entries, moderate questions (approve, take
down, answer) and pause them. Facilitators: start and end live reporting, appoint and remove reporters,
correct or withdraw any entry.

Permissions are the pages': 404 for whoever may not see the meeting, 403 for whoever may see but not do
this; a service's refusal is a 400 with its plain-language reasons, by field where there is one.
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.serializers import IdField
from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.forms import parse_id
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.live import selectors, services
from copro.live.access import can_report, get_entry_for_user, get_feed_for_user, get_question_for_user
from copro.live.consumers import parse_after
from copro.live.models import Entry, EntryKind, FeedStatus, LiveFeed, Question, QuestionKind, QuestionStatus, Reporter
from copro.projects.models import Membership

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
    text = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Plain text, at most 5,000 characters."
    )
    photo = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A JPEG, PNG or WebP photo up to 5 MB (multipart/form-data only). Its metadata (where and when "
        "it was taken) is removed.",
    )
    photo_alt = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="What the photo shows, for people who cannot see it (needed with a photo; at most 300).",
    )


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
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        request={"application/json": LiveEntryIn, "multipart/form-data": LiveEntryIn},
        responses={201: LiveEntryOut},
        summary="Post a note, decision or action to a live meeting (facilitators and appointed reporters)",
        description=(
            "Text, a photo, or both. To add a photo send multipart/form-data (with `photo_alt`). Refused (400) "
            "before live reporting starts and after it ends; nothing is saved when any part is wrong."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.report")
        data = _valid(LiveEntryIn, request.data)
        entry = services.entry_post(
            user=actor(request),
            feed=feed,
            kind=data["kind"],
            text=data["text"],
            photo=data["photo"],
            photo_alt=data["photo_alt"],
            form_token=idempotency_key(request),
        )
        return Response(selectors.entry_data(entry, project.slug, feed.meeting_id), status=status.HTTP_201_CREATED)


_QUESTION_LISTS = ("approved", "pending", "rejected")


class LiveQuestions(APIView):
    pagination_class = Pagination

    @extend_schema(
        responses=LiveQuestionOut(many=True),
        summary="A live meeting's questions and comments: shown ones (most liked first), or a moderator's lists",
        description=(
            "`?status=approved` (the default): the ones shown to everyone. `pending` (waiting, oldest first) "
            "and `rejected` (taken down, newest first) are for moderators: facilitators and the meeting's "
            "reporters (403 for others)."
        ),
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(_QUESTION_LISTS), description="Which list."),
        ],
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id)
        which = request.query_params.get("status", "approved")
        if which not in _QUESTION_LISTS:
            raise DRFValidationError({"status": ["Choose approved, pending or rejected."]})
        moderator = can_report(feed, request.user, role, "live.moderate")
        if which != "approved" and not moderator:
            raise PermissionDenied
        services.feed_close_if_overdue(feed)
        if which == "approved":
            questions = selectors.top_questions(feed)
        elif which == "pending":
            questions = selectors.queue(feed)
        else:
            questions = (
                Question.objects.filter(feed=feed, status=QuestionStatus.REJECTED)
                .select_related("author")
                .order_by("-id")
            )
        paginator = Pagination()
        page: list[Question] = paginator.paginate_queryset(questions, request, view=self) or []
        return paginator.get_paginated_response([selectors.question_data(q, public=not moderator) for q in page])

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


# === Reporting, moderating and running the feed =================================================
#
# --- Out -----------------------------------------------------------------------------------------


class LiveRevisionOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    text = serializers.CharField()
    photo_alt = serializers.CharField()
    written_at = serializers.DateTimeField()
    written_by = serializers.CharField(allow_null=True)
    replaced_at = serializers.DateTimeField()
    replaced_by = serializers.CharField(allow_null=True)


class LiveEntryDetailOut(LiveEntryOut):
    revisions = LiveRevisionOut(many=True, help_text="What it said before each correction, oldest first.")
    original_text = serializers.CharField(help_text="What it says (kept for reporters after it is withdrawn).")
    may_change = serializers.BooleanField(help_text="Whether you may correct or withdraw it now.")


class LiveReporterOut(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField(help_text="Their role in the project.")
    appointed_at = serializers.DateTimeField(allow_null=True)


class LiveReportersOut(serializers.Serializer):
    reporters = LiveReporterOut(many=True, help_text="The members appointed to report this meeting.")
    can_be_appointed = LiveReporterOut(
        many=True, help_text="Members who could be appointed (appointed_at is null). Facilitators report anyway."
    )


# --- In ------------------------------------------------------------------------------------------


class LiveEntryCorrectIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EntryKind.choices, required=False)
    text = serializers.CharField(required=False, allow_blank=True, help_text="Plain text, at most 5,000 characters.")
    photo_alt = serializers.CharField(required=False, allow_blank=True, help_text="For an entry with a photo.")


class LiveWithdrawIn(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Shown in its place (at most 300 characters)."
    )


class LiveQuestionsOpenIn(serializers.Serializer):
    open = serializers.BooleanField(help_text="false: pause viewers' questions and comments; true: take them again.")


class LiveReporterIn(serializers.Serializer):
    member = IdField(help_text="The user id of a participant or expert of the project.")


class LiveModerateIn(serializers.Serializer):
    approve = serializers.BooleanField(
        help_text="true: shown to everyone; false: taken down (only its author and moderators see it)."
    )


class LiveAnswerIn(serializers.Serializer):
    answer = serializers.CharField(
        allow_blank=True, help_text="Shown under the question (at most 3,000 characters); empty removes it."
    )


# --- Views: entries ------------------------------------------------------------------------------


def _entry_detail(request: Request, role: Role | None, feed: LiveFeed, entry_id: int) -> dict[str, Any]:
    entry = Entry.objects.select_related("author").get(pk=entry_id)
    entry.feed = feed
    user = request.user
    data = selectors.entry_data(entry, feed.project.slug, feed.meeting_id)
    data["original_text"] = entry.text
    data["may_change"] = TABLE.allowed(role, "live.manage") or (
        entry.author_id == user.pk and services.is_open(feed) and can_report(feed, user, role)
    )
    data["revisions"] = [
        {
            "kind": r.kind,
            "text": r.text,
            "photo_alt": r.photo_alt,
            "written_at": r.written_at,
            "written_by": r.written_by.public_name if r.written_by else None,
            "replaced_at": r.replaced_at,
            "replaced_by": r.replaced_by.public_name if r.replaced_by else None,
        }
        for r in entry.revisions.select_related("written_by", "replaced_by").order_by("replaced_at", "id")
    ]
    return LiveEntryDetailOut(data).data


class LiveEntry(APIView):
    @extend_schema(
        responses=LiveEntryDetailOut,
        summary="One entry with its history of corrections (facilitators and appointed reporters)",
    )
    def get(self, request: Request, slug: str, meeting_id: int, entry_id: int) -> Response:
        _project, role, _meeting, feed, entry = get_entry_for_user(
            request.user, slug, meeting_id, entry_id, "live.report"
        )
        return Response(_entry_detail(request, role, feed, entry.pk))

    @extend_schema(
        request=LiveEntryCorrectIn,
        responses=LiveEntryDetailOut,
        summary="Correct an entry: what it said before is kept, and it shows as corrected",
        description=(
            "Its author while live reporting is on; facilitators at any time. Fields left out keep their value. "
            "A withdrawn entry cannot be corrected (400)."
        ),
    )
    def patch(self, request: Request, slug: str, meeting_id: int, entry_id: int) -> Response:
        _project, role, _meeting, feed, entry = get_entry_for_user(
            request.user, slug, meeting_id, entry_id, "live.report"
        )
        data = _valid(LiveEntryCorrectIn, request.data)
        services.entry_correct(
            user=actor(request),
            entry=entry,
            kind=data.get("kind", entry.kind),
            text=data.get("text", entry.text),
            photo_alt=data.get("photo_alt", entry.photo_alt),
        )
        return Response(_entry_detail(request, role, feed, entry.pk))


class LiveEntryWithdraw(APIView):
    @extend_schema(
        request=LiveWithdrawIn,
        responses=LiveEntryDetailOut,
        summary="Withdraw an entry: everyone sees “withdrawn” in its place, with the reason if given",
        description="Its author while live reporting is on; facilitators at any time. Withdrawing twice changes "
        "nothing.",
    )
    def post(self, request: Request, slug: str, meeting_id: int, entry_id: int) -> Response:
        _project, role, _meeting, feed, entry = get_entry_for_user(
            request.user, slug, meeting_id, entry_id, "live.report"
        )
        data = _valid(LiveWithdrawIn, request.data)
        services.entry_withdraw(user=actor(request), entry=entry, reason=data["reason"])
        return Response(_entry_detail(request, role, feed, entry.pk))


# --- Views: running the feed ---------------------------------------------------------------------


def _status(feed: LiveFeed) -> Response:
    feed.refresh_from_db(fields=["status", "questions_open", "ended_at"])
    return Response(LiveStatusOut(selectors.status_data(feed)).data)


class LiveStart(APIView):
    @extend_schema(
        request=None,
        responses=LiveStatusOut,
        summary="Start live reporting (or start it again after ending it by mistake) (facilitators)",
        description="Refused (400) for a meeting that is not published, or that ended more than 3 hours ago. "
        "Starting it twice changes nothing.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.manage")
        services.feed_start(user=actor(request), feed=feed)
        return _status(feed)


class LiveEnd(APIView):
    @extend_schema(
        request=None,
        responses=LiveStatusOut,
        summary="End live reporting: the feed becomes the meeting's record (facilitators)",
        description="Refused (400) when live reporting is not on.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.manage")
        services.feed_end(user=actor(request), feed=feed)
        return _status(feed)


class LiveQuestionsOpen(APIView):
    @extend_schema(
        request=LiveQuestionsOpenIn,
        responses=LiveStatusOut,
        summary="Pause or resume viewers' questions and comments (facilitators and appointed reporters)",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.moderate")
        data = _valid(LiveQuestionsOpenIn, request.data)
        services.feed_questions_open(user=actor(request), feed=feed, open=data["open"])
        return _status(feed)


# --- Views: reporters ----------------------------------------------------------------------------


def _reporters(feed: LiveFeed) -> dict[str, Any]:
    appointed = list(Reporter.objects.filter(feed=feed).select_related("user"))
    taken = {r.user_id for r in appointed}
    memberships = list(
        Membership.objects.filter(project_id=feed.project_id)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )
    roles = {m.user_id: m.role for m in memberships}

    def label(role: str | None) -> str:
        return str(Role(role).label) if role else ""

    return {
        "reporters": [
            {
                "user_id": r.user_id,
                "name": r.user.public_name,
                "role": label(roles.get(r.user_id)),
                "appointed_at": r.appointed_at,
            }
            for r in appointed
        ],
        "can_be_appointed": [
            {"user_id": m.user_id, "name": m.user.public_name, "role": label(m.role), "appointed_at": None}
            for m in memberships
            if m.user_id not in taken and m.role != Role.FACILITATOR and TABLE.allowed(Role(m.role), "live.report")
        ],
    }


class LiveReporters(APIView):
    @extend_schema(
        responses=LiveReportersOut,
        summary="The meeting's appointed reporters, and the members who could be appointed (facilitators)",
    )
    def get(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.manage")
        return Response(LiveReportersOut(_reporters(feed)).data)

    @extend_schema(
        request=LiveReporterIn,
        responses={201: LiveReportersOut, 200: LiveReportersOut},
        summary="Appoint a member to report this meeting and moderate its questions (facilitators)",
        description="201 when appointed; 200 when they were already. A participant or an expert of the project: "
        "400 for anyone else.",
    )
    def post(self, request: Request, slug: str, meeting_id: int) -> Response:
        _project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.manage")
        data = _valid(LiveReporterIn, request.data)
        already = Reporter.objects.filter(feed=feed, user_id=data["member"]).exists()
        services.reporter_appoint(user=actor(request), feed=feed, member_id=data["member"])
        code = status.HTTP_200_OK if already else status.HTTP_201_CREATED
        return Response(LiveReportersOut(_reporters(feed)).data, status=code)


class LiveReporter(APIView):
    @extend_schema(
        request=None,
        responses={204: None},
        summary="Remove a reporter (facilitators); 404 when they are not one",
    )
    def delete(self, request: Request, slug: str, meeting_id: int, user_id: int) -> Response:
        _project, _role, _meeting, feed = get_feed_for_user(request.user, slug, meeting_id, "live.manage")
        member_id = parse_id(user_id)
        if member_id is None or not services.reporter_remove(user=actor(request), feed=feed, member_id=member_id):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Views: moderating questions -----------------------------------------------------------------


def _question(question_id: int) -> Response:
    question = Question.objects.select_related("author").get(pk=question_id)
    return Response(selectors.question_data(question, public=False))


class LiveQuestionModerate(APIView):
    @extend_schema(
        request=LiveModerateIn,
        responses=LiveQuestionOut,
        summary="Approve a question (everyone sees it) or take it down (facilitators and appointed reporters)",
        description="A moderator can change their mind either way. After live reporting ends only facilitators "
        "can (400 for reporters).",
    )
    def post(self, request: Request, slug: str, meeting_id: int, question_id: int) -> Response:
        *_rest, question = get_question_for_user(request.user, slug, meeting_id, question_id, "live.moderate")
        data = _valid(LiveModerateIn, request.data)
        services.question_moderate(user=actor(request), question=question, approve=data["approve"])
        return _question(question.pk)


class LiveQuestionAnswer(APIView):
    @extend_schema(
        request=LiveAnswerIn,
        responses=LiveQuestionOut,
        summary="Write, change or clear the answer to an approved question (facilitators and appointed reporters)",
        description="400 for a question that is not approved.",
    )
    def put(self, request: Request, slug: str, meeting_id: int, question_id: int) -> Response:
        *_rest, question = get_question_for_user(request.user, slug, meeting_id, question_id, "live.moderate")
        data = _valid(LiveAnswerIn, request.data)
        services.question_answer(user=actor(request), question=question, answer=data["answer"])
        return _question(question.pk)


L = "projects/<slug:slug>/meetings/<int:meeting_id>/live/"
Q = L + "questions/<int:question_id>/"

# Included in copro/api/urls.py (names under "api:").
urlpatterns = [
    path(L, LiveFeedChanges.as_view(), name="live_changes"),
    path(L + "start/", LiveStart.as_view(), name="live_start"),
    path(L + "end/", LiveEnd.as_view(), name="live_end"),
    path(L + "reporters/", LiveReporters.as_view(), name="live_reporters"),
    path(L + "reporters/<int:user_id>/", LiveReporter.as_view(), name="live_reporter"),
    path(L + "entries/", LiveEntries.as_view(), name="live_entries"),
    path(L + "entries/<int:entry_id>/", LiveEntry.as_view(), name="live_entry"),
    path(L + "entries/<int:entry_id>/withdraw/", LiveEntryWithdraw.as_view(), name="live_entry_withdraw"),
    path(L + "questions/", LiveQuestions.as_view(), name="live_questions"),
    path(L + "questions/pause/", LiveQuestionsOpen.as_view(), name="live_questions_open"),
    path(Q + "like/", LiveQuestionLike.as_view(), name="live_question_like"),
    path(Q + "moderate/", LiveQuestionModerate.as_view(), name="live_question_moderate"),
    path(Q + "answer/", LiveQuestionAnswer.as_view(), name="live_question_answer"),
]
