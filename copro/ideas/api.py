"""Ideas and pressure-testing in the REST API: the same access functions, selectors and services as the pages.

Ideas are put forward, supported and commented on as the signed-in person, with the same rate limits and
the same rules (the project's idea settings) as the pages. An idea touching a fixed line of the scope is
accepted, and the response carries the flag (`touches_fixed`, `fixed_flags` with the scope's reasons).
Files are added on the page only (the API takes JSON).

Authors (and facilitators) revise an idea and add co-authors; co-authors can leave. Facilitators enter
ideas that reached them offline, change statuses (authors and supporters are told), link an idea to the
decision it was taken to, merge and split. Review rounds are in `api_reviews.py` (included below).
"""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.urls import include, path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.accounts.models import User
from copro.api.serializers import IdField
from copro.api.views import IDEMPOTENCY, Pagination, _valid, idempotency_key
from copro.core.forms import parse_id
from copro.core.models import OFFLINE_ENTRY_CHANNELS
from copro.core.permissions import TABLE, Role
from copro.core.sanitize import without_control
from copro.core.views import actor
from copro.ideas import selectors, services
from copro.ideas.access import (
    OwnIdea,
    can_edit,
    get_idea_for_user,
    get_ideas_project,
    get_review_for_user,
    space_of,
)
from copro.ideas.models import (
    AUTHOR_NAME_MAX,
    PROBLEM_MAX,
    PROPOSAL_MAX,
    REASON_MAX,
    TITLE_MAX,
    Idea,
    IdeaAttachment,
    IdeaAuthor,
    IdeaComment,
    IdeaEvent,
    IdeaStatus,
    IdeaVersion,
    ReviewScore,
    Support,
)
from copro.projects.models import Membership, ScopeItem

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
            "channel",
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


class IdeaAttachmentOut(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where to download it (the same access rules as the idea).")
    uploaded_by = serializers.SerializerMethodField(help_text="The name of the person who added it.")

    class Meta:
        model = IdeaAttachment
        fields = ["id", "name", "description", "kind", "size", "url", "uploaded_by", "created_at"]

    def get_url(self, attachment: IdeaAttachment) -> str:
        idea = attachment.idea
        return reverse("ideas:attachment", args=[idea.project.slug, idea.pk, attachment.pk])

    def get_uploaded_by(self, attachment: IdeaAttachment) -> str | None:
        who = attachment.uploaded_by
        return str(who.public_name) if who is not None else None


class IdeaAttachmentIn(serializers.Serializer):
    file = serializers.FileField(
        help_text="A PDF, a picture (JPEG, PNG or WebP; its metadata is removed), or a Word, Excel, PowerPoint or "
        "OpenDocument file without macros (multipart/form-data)."
    )
    description = serializers.CharField(help_text="What the file is, in a few words (at most 300 characters).")


class StaffIdeaOut(IdeaOut):
    entered_by = serializers.SerializerMethodField(help_text="The name of the staff member who entered it.")

    class Meta(IdeaOut.Meta):
        fields = [*IdeaOut.Meta.fields, "entered_by"]

    def get_entered_by(self, idea: Idea) -> str | None:
        return str(idea.entered_by.public_name) if idea.entered_by is not None else None


class IdeaVersionOut(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField(help_text="Who wrote this version (null: an erased account).")
    scope = IdeaScopeOut(many=True, read_only=True, help_text="The scope lines it touched, as they were then.")

    class Meta:
        model = IdeaVersion
        fields = [
            "number",
            "title",
            "problem",
            "proposal",
            "cost_estimate",
            "scope",
            "note",
            "created_by",
            "created_at",
        ]

    def get_created_by(self, version: IdeaVersion) -> str | None:
        return str(version.created_by.public_name) if version.created_by is not None else None


class IdeaEventOut(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(help_text="Who did it (null: an erased account, or the system).")
    other_idea = serializers.SerializerMethodField(
        help_text="For a merge or split: the other idea ({id, title, hidden}), or null. The title of an idea a "
        "facilitator has hidden is empty, except for facilitators."
    )
    new_status = serializers.CharField(
        source="status", help_text="For a status change: the new status (one of the idea statuses); else empty."
    )

    class Meta:
        model = IdeaEvent
        fields = ["id", "kind", "actor", "other_idea", "new_status", "note", "created_at"]

    def get_actor(self, event: IdeaEvent) -> str | None:
        return str(event.actor.public_name) if event.actor is not None else None

    def get_other_idea(self, event: IdeaEvent) -> dict[str, Any] | None:
        other = event.other_idea
        if other is None:
            return None
        if other.hidden_at is not None and not self.context.get("can_manage"):
            return {"id": other.pk, "title": "", "hidden": True}  # its title stays with the facilitators
        return {"id": other.pk, "title": other.title, "hidden": other.hidden_at is not None}


class IdeaAuthorshipOut(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", help_text="The person's user id.")
    name = serializers.SerializerMethodField()
    came_from = serializers.IntegerField(
        source="came_from_id", allow_null=True, help_text="The idea it came with (a merge or split), or null."
    )

    class Meta:
        model = IdeaAuthor
        fields = ["user", "name", "is_lead", "came_from", "created_at", "left_at"]

    def get_name(self, authorship: IdeaAuthor) -> str:
        return str(authorship.user.public_name)


class IdeaMemberChoiceOut(serializers.Serializer):
    user = serializers.IntegerField(source="user_id", help_text="The person's user id, to send back.")
    name = serializers.SerializerMethodField()
    role = serializers.CharField(help_text="Their role in the project.")

    def get_name(self, membership: Membership) -> str:
        return str(membership.user.public_name)


class IdeaCoAuthorsOut(serializers.Serializer):
    authors = IdeaAuthorshipOut(
        many=True, help_text="Everyone who is or was an author, the one who put it forward first."
    )
    candidates = IdeaMemberChoiceOut(
        many=True, allow_null=True, help_text="Members who can be added as co-authors (null unless you may add them)."
    )


class IdeaChannelOut(serializers.Serializer):
    value = serializers.CharField(help_text="What to send as channel.")
    name = serializers.CharField(help_text="What it is called, in your language.")


class IdeaEnterChoicesOut(serializers.Serializer):
    channels = IdeaChannelOut(many=True, help_text="How an idea can have reached you.")
    authors = IdeaMemberChoiceOut(many=True, help_text="Members an idea can be credited to.")


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


class IdeaReviseIn(IdeaIn):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What you changed (optional, at most 500 characters)."
    )


class StaffIdeaIn(IdeaIn):
    channel = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in OFFLINE_ENTRY_CHANNELS], help_text="How the idea reached you."
    )
    author = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Whose idea it is, if they are a member with an account (their user id); null: someone without one.",
    )
    author_name = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=AUTHOR_NAME_MAX,
        help_text="For someone without an account: their name as they want it shown (optional).",
    )


class IdeaStatusIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=IdeaStatus.choices, help_text="The new status.")
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Why, in plain words: needed for not_taken. The authors and supporters are told.",
    )
    decision = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="For taken: the id of the decision it was taken to (a published decision of this project).",
    )


class IdeaDecisionLinkIn(serializers.Serializer):
    decision = IdField(help_text="The id of a published decision of this project.")


class IdeaMergeIn(serializers.Serializer):
    target = IdField(help_text="The id of the idea that stays (this one is kept, read only, pointing there).")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why (optional): shown in both ideas' history."
    )


class IdeaSplitPartIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, max_length=TITLE_MAX)
    problem = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=PROBLEM_MAX, help_text="Empty: the original's words."
    )
    proposal = serializers.CharField(allow_blank=True, max_length=PROPOSAL_MAX)
    cost_estimate = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, help_text="A rough cost in whole pounds."
    )


class IdeaSplitIn(serializers.Serializer):
    parts = serializers.ListField(
        child=IdeaSplitPartIn(),
        min_length=services.SPLIT_PARTS[0],
        max_length=services.SPLIT_PARTS[1],
        help_text="The new ideas, 2 to 6. Errors name the field and the part's number: title_1, proposal_2…",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=REASON_MAX, help_text="Why (optional)."
    )


class IdeaCoAuthorIn(serializers.Serializer):
    user = IdField(help_text="The user id of a member of the project (participant, expert or facilitator).")


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
    q = without_control(params.get("q") or "").strip()  # a NUL would fail on PostgreSQL
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

    @extend_schema(
        request=IdeaReviseIn,
        responses=IdeaDetailOut,
        summary="Revise an idea (its authors and facilitators): a new version, the earlier ones stay readable",
        description=(
            "Send the whole text (title, problem, proposal, scope_items, cost_estimate) and what you changed (note). "
            "The fixed-scope flag is worked out again. A merged or split idea is kept as it was (400); sending the "
            "same text again is a 400 (nothing was changed)."
        ),
    )
    def put(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, role, idea = _editable(request, slug, idea_id)
        data = _valid(IdeaReviseIn, request.data)
        services.idea_revise(
            user=actor(request),
            idea=idea,
            title=data["title"],
            problem=data["problem"],
            proposal=data["proposal"],
            scope_items=data["scope_items"],
            cost_estimate=data["cost_estimate"],
            note=data["note"],
        )
        return Response(IdeaDetailOut(_reload(idea)).data)


def _editable(request: Request, slug: str, idea_id: int) -> tuple[Any, Role, Idea]:
    """An idea the person may revise and add co-authors to: its active authors and facilitators (else 403)."""
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    if not can_edit(idea, request.user, role):
        raise PermissionDenied
    return project, role, idea


def _reload(idea: Idea) -> Idea:
    fresh = Idea.objects.select_related("author", "entered_by", "merged_into", "split_from").get(pk=idea.pk)
    fresh.project = idea.project
    return fresh


class IdeaEnter(APIView):
    @extend_schema(
        responses=IdeaEnterChoicesOut,
        summary="What an idea entered by staff can say: the channels and the members it can be credited to",
    )
    def get(self, request: Request, slug: str) -> Response:
        project, _role = get_ideas_project(request.user, slug, "ideas.manage")
        channels = [{"value": c.value, "name": str(c.label)} for c in OFFLINE_ENTRY_CHANNELS]
        return Response(
            IdeaEnterChoicesOut({"channels": channels, "authors": selectors.author_candidates(project)}).data
        )

    @extend_schema(
        request=StaffIdeaIn,
        responses={201: StaffIdeaOut},
        summary="Enter an idea that reached you on paper, by phone, at a drop-in or on an outreach visit (staff)",
        description=(
            "For facilitators. It can be entered while the project is not taking new ideas online (it was given in "
            "time, elsewhere). author: a member's user id (they are shown as its author and told what becomes of "
            "it), or null for someone without an account (author_name: the name they want shown, if any). The "
            "idea records how it reached you (channel) and who entered it (entered_by)."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str) -> Response:
        project, _role = get_ideas_project(request.user, slug, "ideas.manage")
        data = _valid(StaffIdeaIn, request.data)
        author = None
        if data["author"] is not None:
            # The members an idea can be credited to, as on the page (any role; not an erased account).
            found = (
                Membership.objects.filter(
                    project=project, user_id=data["author"], user__is_active=True, user__erased_at__isnull=True
                )
                .select_related("user")
                .first()
            )
            if found is None:
                raise DRFValidationError(
                    {"author": ["Choose a member of the project, or someone without an account (null)."]}
                )
            author = found.user
        idea = services.idea_submit(
            project=project,
            author=author,
            author_name=data["author_name"],
            title=data["title"],
            problem=data["problem"],
            proposal=data["proposal"],
            scope_items=data["scope_items"],
            cost_estimate=data["cost_estimate"],
            channel=data["channel"],
            entered_by=actor(request),
            form_token=idempotency_key(request),
        )
        return Response(StaffIdeaOut(_reload(idea)).data, status=status.HTTP_201_CREATED)


class IdeaVersions(APIView):
    @extend_schema(responses=IdeaVersionOut(many=True), summary="Every version of an idea's text, newest first")
    def get(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = get_idea_for_user(request.user, slug, idea_id)
        versions = IdeaVersion.objects.filter(idea=idea).select_related("created_by").order_by("-number")
        return Response(IdeaVersionOut(versions, many=True).data)


class IdeaHistory(APIView):
    @extend_schema(
        responses=IdeaEventOut(many=True),
        summary="An idea's history, oldest first: put forward, revised, statuses, co-authors, merges, splits…",
    )
    def get(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, role, idea = get_idea_for_user(request.user, slug, idea_id)
        events = IdeaEvent.objects.filter(idea=idea).select_related("actor", "other_idea").order_by("created_at", "id")
        context = {"can_manage": TABLE.allowed(role, "ideas.manage")}
        return Response(IdeaEventOut(events, many=True, context=context).data)


def _decision(project: Any, decision_id: int) -> Any:
    """A decision of this project that facilitators can link an idea to: a published one, as on the page."""
    from copro.decisions.models import Decision

    found = Decision.objects.filter(project=project, pk=decision_id).exclude(status="draft").first()
    if found is None:
        raise DRFValidationError({"decision": ["Choose a published decision of this project."]})
    return found


class IdeaStatusView(APIView):
    @extend_schema(
        request=IdeaStatusIn,
        responses=IdeaDetailOut,
        summary="Change an idea's status (facilitators); its authors and supporters are told",
        description=(
            "not_taken needs a reason in plain words. taken can name the decision it went to (decision): the idea "
            "then shows what became of it. Setting the status it already has is a 400, except to link a decision."
        ),
    )
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        project, _role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.manage")
        data = _valid(IdeaStatusIn, request.data)
        decision = _decision(project, data["decision"]) if data["decision"] is not None else None
        services.idea_set_status(
            user=actor(request), idea=idea, status=data["status"], reason=data["reason"], decision=decision
        )
        return Response(IdeaDetailOut(_reload(idea)).data)


class IdeaDecisions(APIView):
    @extend_schema(
        request=IdeaDecisionLinkIn,
        responses=IdeaDetailOut,
        summary="Link an idea taken to a decision to that decision (facilitators)",
        description=(
            "Only an idea with the status taken is linked to a decision (change its status first: that can name the "
            "decision too). Linking the same decision again changes nothing."
        ),
    )
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        project, _role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.manage")
        data = _valid(IdeaDecisionLinkIn, request.data)
        decision = _decision(project, data["decision"])
        # The page's way: the same status again, with a decision, links it (and only an idea taken to a decision).
        services.idea_set_status(
            user=actor(request), idea=idea, status=idea.status, reason=idea.status_reason, decision=decision
        )
        return Response(IdeaDetailOut(_reload(idea)).data)


class IdeaMerge(APIView):
    @extend_schema(
        request=IdeaMergeIn,
        responses=IdeaDetailOut,
        summary="Merge this idea (a duplicate) into another (facilitators); returns the idea that stays",
        description=(
            "This idea stays, read only, pointing to the target; its supporters and authors are carried over, "
            "without counting anyone twice. Its authors and supporters are told."
        ),
    )
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        project, _role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.manage")
        data = _valid(IdeaMergeIn, request.data)
        target = (
            Idea.objects.filter(project=project, pk=data["target"])
            .select_related("author", "entered_by", "merged_into", "split_from")
            .first()
        )
        if target is None:
            raise DRFValidationError({"target": ["Choose one of this project's ideas."]})
        target.project = project
        services.idea_merge(user=actor(request), source=idea, target=target, note=data["note"])
        return Response(IdeaDetailOut(_reload(target)).data)


class IdeaSplit(APIView):
    @extend_schema(
        request=IdeaSplitIn,
        responses={201: IdeaOut(many=True)},
        summary="Split an idea into 2 to 6 new ones (facilitators); returns the new ideas",
        description=(
            "Each new idea links back to this one and has its authors and scope lines; this one stays, read only, "
            "listing them. Supporters are told, and can support the parts they want."
        ),
    )
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.manage")
        data = _valid(IdeaSplitIn, request.data)
        made = services.idea_split(user=actor(request), idea=idea, parts=data["parts"], note=data["note"])
        return Response(IdeaOut(made, many=True).data, status=status.HTTP_201_CREATED)


def _co_authors(idea: Idea, may_add: bool, code: int = status.HTTP_200_OK) -> Response:
    authors = selectors.authorships(idea)
    candidates = None
    if may_add and not idea.is_read_only:
        candidates = selectors.co_author_candidates(idea, {a.user_id for a in authors if a.left_at is None})
    return Response(IdeaCoAuthorsOut({"authors": authors, "candidates": candidates}).data, status=code)


class IdeaCoAuthors(APIView):
    @extend_schema(
        responses=IdeaCoAuthorsOut,
        summary="An idea's authors (and, for its authors and facilitators, the members who can be added)",
    )
    def get(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, role, idea = get_idea_for_user(request.user, slug, idea_id)
        return _co_authors(idea, can_edit(idea, request.user, role))

    @extend_schema(
        request=IdeaCoAuthorIn,
        responses={201: IdeaCoAuthorsOut},
        summary="Add a co-author (the idea's authors and facilitators); they are told by email",
        description="Co-authors are members of the project who take part (participants, experts, facilitators).",
    )
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = _editable(request, slug, idea_id)
        data = _valid(IdeaCoAuthorIn, request.data)
        person = User.objects.filter(pk=data["user"], erased_at__isnull=True).first()
        if person is None:
            raise DRFValidationError({"user": ["Choose a member of the project."]})
        services.co_author_add(user=actor(request), idea=idea, co_author=person)
        return _co_authors(idea, True, status.HTTP_201_CREATED)


class IdeaCoAuthorLeave(APIView):
    @extend_schema(
        request=None,
        responses=IdeaCoAuthorsOut,
        summary="Stop being a co-author of an idea (what you wrote stays in its history)",
        description="The person who put the idea forward stays its author (400).",
    )
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, role, idea = get_idea_for_user(request.user, slug, idea_id)
        services.co_author_leave(user=actor(request), idea=idea)
        return _co_authors(idea, can_edit(idea, request.user, role))


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


class IdeaAttachments(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(responses=IdeaAttachmentOut(many=True), summary="The files that go with an idea")
    def get(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = get_idea_for_user(request.user, slug, idea_id)
        found = idea.attachments.filter(removed_at__isnull=True).select_related("uploaded_by")
        for attachment in found:
            attachment.idea = idea
        return Response(IdeaAttachmentOut(found, many=True).data)

    @extend_schema(
        request={"multipart/form-data": IdeaAttachmentIn},
        responses={201: IdeaAttachmentOut},
        summary="Add a file to an idea (its authors and facilitators)",
        description=(
            "The file's type is found from what is in it, never from its name. Refused (400) with a clear message: "
            "too large, empty, a kind not accepted, an Office file with macros, or more files than an idea may "
            "have. Limited to 30 uploads an hour per person (429 beyond that)."
        ),
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, idea_id: int) -> Response:
        _project, _role, idea = _editable(request, slug, idea_id)
        data = _valid(IdeaAttachmentIn, request.data)
        if not ratelimit.consume(request._request, action="ideas_upload"):
            raise Throttled()
        attachment = services.attachment_add(
            user=actor(request),
            idea=idea,
            upload=data["file"],
            description=data["description"],
            form_token=idempotency_key(request),
        )
        attachment.idea = idea
        return Response(IdeaAttachmentOut(attachment).data, status=status.HTTP_201_CREATED)


class IdeaAttachmentView(APIView):
    @extend_schema(
        responses={204: None},
        summary="Take a file off an idea (its authors and facilitators)",
        description=(
            "The record stays in the idea's history (its name, who added and removed it); the stored file is "
            "deleted. A merged or split idea is kept as it was: only facilitators remove its files (403 for others)."
        ),
    )
    def delete(self, request: Request, slug: str, idea_id: int, attachment_id: int) -> Response:
        _project, role, idea = _editable(request, slug, idea_id)
        found = IdeaAttachment.objects.filter(idea=idea, pk=attachment_id, removed_at__isnull=True).first()
        if found is None:
            raise NotFound()
        if idea.is_read_only and not TABLE.allowed(role, "ideas.manage"):
            raise PermissionDenied("This idea was merged or split: it is kept as it was. Ask a facilitator.")
        found.idea = idea
        services.attachment_remove(user=actor(request), attachment=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


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


I = "projects/<slug:slug>/ideas/<int:idea_id>/"  # noqa: E741 - one idea

# Wired into copro/api/urls.py (namespace "api") by its "ideas api" block; the review rounds' routes are in
# api_reviews.py.
urlpatterns = [
    path("projects/<slug:slug>/ideas/", IdeaList.as_view(), name="ideas"),
    path("projects/<slug:slug>/ideas/enter/", IdeaEnter.as_view(), name="idea_enter"),
    path(I, IdeaDetail.as_view(), name="idea"),
    path(I + "versions/", IdeaVersions.as_view(), name="idea_versions"),
    path(I + "history/", IdeaHistory.as_view(), name="idea_history"),
    path(I + "status/", IdeaStatusView.as_view(), name="idea_status"),
    path(I + "decisions/", IdeaDecisions.as_view(), name="idea_decisions"),
    path(I + "merge/", IdeaMerge.as_view(), name="idea_merge"),
    path(I + "split/", IdeaSplit.as_view(), name="idea_split"),
    path(I + "co-authors/", IdeaCoAuthors.as_view(), name="idea_co_authors"),
    path(I + "co-authors/leave/", IdeaCoAuthorLeave.as_view(), name="idea_co_author_leave"),
    path(I + "attachments/", IdeaAttachments.as_view(), name="idea_attachments"),
    path(I + "attachments/<int:attachment_id>/", IdeaAttachmentView.as_view(), name="idea_attachment"),
    path("projects/<slug:slug>/ideas/<int:idea_id>/support/", IdeaSupport.as_view(), name="idea_support"),
    path("projects/<slug:slug>/ideas/<int:idea_id>/comments/", IdeaComments.as_view(), name="idea_comments"),
    path(
        "projects/<slug:slug>/idea-reviews/<int:round_id>/ideas/<int:idea_id>/scores/",
        ReviewScores.as_view(),
        name="idea_review_scores",
    ),
    path("", include("copro.ideas.api_reviews")),
]
