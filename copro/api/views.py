"""The REST API. The same access functions and services as the pages: the API is another door, not
another set of rules."""

from __future__ import annotations

import uuid
from typing import Any

from allauth.core import ratelimit
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api import serializers as s
from copro.core import activity
from copro.core.components import registry
from copro.core.models import Visibility
from copro.core.permissions import TABLE
from copro.core.views import actor
from copro.projects import selectors, services
from copro.projects.access import can_create_project_in, get_project_for_user
from copro.projects.models import Project, ScopeChange, ScopeItem
from copro.updates import selectors as update_selectors
from copro.updates import services as update_services
from copro.updates.access import consultation_to_follow

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.UUID,
    OpenApiParameter.HEADER,
    required=False,
    description="A UUID: sending the same key twice creates one thing; the repeat gets 409.",
)


def _page(request: Request, view: APIView, queryset: Any, serializer_class: Any) -> Response:
    """A page of results: ?limit= (default 50, at most 500) and ?offset=, with count/next/previous."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


def _project(request: Request, slug: str, action: str = "projects.view") -> Project:
    project, _role = get_project_for_user(request.user, slug, action)
    return (
        Project.objects.select_related("organisation")
        .prefetch_related("phases", Prefetch("scope_items", queryset=ScopeItem.objects.all()))
        .get(pk=project.pk)
    )


class ProjectList(APIView):
    pagination_class = Pagination

    @extend_schema(responses=s.ProjectListOut(many=True), summary="Projects you can see listed")
    def get(self, request: Request) -> Response:
        return _page(request, self, selectors.projects_listed(request.user), s.ProjectListOut)

    @extend_schema(
        request=s.ProjectCreateIn, responses={201: s.ProjectOut}, summary="Start a project", parameters=[IDEMPOTENCY]
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise PermissionDenied
        data = _valid(s.ProjectCreateIn, request.data)
        if not can_create_project_in(request.user, data["organisation"].pk):
            raise PermissionDenied
        project = services.project_create(
            user=actor(request),
            organisation=data["organisation"],
            title=data["title"],
            purpose=data["purpose"],
            visibility=data["visibility"],
            budget_amount=data.get("budget_amount"),
            budget_currency=data["budget_currency"],
            can_influence=data["can_influence"],
            fixed=[services.FixedLine(f["text"], f["reason"]) for f in data["fixed"]],
            form_token=idempotency_key(request),
        )
        return Response(s.ProjectOut(_project(request, project.slug)).data, status=status.HTTP_201_CREATED)


def idempotency_key(request: Request) -> uuid.UUID | None:
    """An optional Idempotency-Key header (a UUID): the same key sent twice creates one thing, then 409."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationError({"detail": "The Idempotency-Key header must be a UUID."}) from None


def _valid(serializer_class: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ProjectDetail(APIView):
    @extend_schema(responses=s.ProjectOut, summary="A project, its scope of influence and decision rules")
    def get(self, request: Request, slug: str) -> Response:
        return Response(s.ProjectOut(_project(request, slug)).data)

    @extend_schema(request=s.ProjectUpdateIn, responses=s.ProjectOut, summary="Change a project's details")
    def patch(self, request: Request, slug: str) -> Response:
        project = _project(request, slug, "projects.edit")
        data = _valid(s.ProjectUpdateIn, request.data, partial=True)
        services.project_update(user=actor(request), project=project, changes=dict(data))
        return Response(s.ProjectOut(_project(request, slug)).data)


class ScopeChanges(APIView):
    pagination_class = Pagination

    @extend_schema(responses=s.ScopeChangeOut(many=True), summary="Proposed and past scope changes")
    def get(self, request: Request, slug: str) -> Response:
        project = _project(request, slug)
        return _page(request, self, ScopeChange.objects.filter(project=project), s.ScopeChangeOut)

    @extend_schema(
        request=s.ScopeChangeIn,
        responses={201: s.ScopeChangeOut},
        summary="Propose a scope change",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str) -> Response:
        project = _project(request, slug, "projects.scope_propose")
        data = _valid(s.ScopeChangeIn, request.data)
        item = None
        if data.get("item") is not None:
            item = ScopeItem.objects.filter(project=project, pk=data["item"]).first()
            if item is None:
                raise Http404
        change = services.scope_change_propose(
            user=actor(request),
            project=project,
            action=data["action"],
            kind=data["kind"],
            text=data["text"],
            reason=data["reason"],
            explanation=data["explanation"],
            item=item,
            form_token=idempotency_key(request),
        )
        return Response(s.ScopeChangeOut(change).data, status=status.HTTP_201_CREATED)


class ProjectActivity(APIView):
    pagination_class = Pagination

    @extend_schema(responses=s.ActivityOut(many=True), summary="The project's activity you may see")
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug)
        visibilities = [Visibility.PUBLIC]
        if TABLE.allowed(role, "projects.view_member_activity"):
            visibilities.append(Visibility.MEMBERS)
        if TABLE.allowed(role, "projects.view_audit"):
            visibilities.append(Visibility.STAFF)
        return _page(request, self, activity.visible_entries(project, visibilities), s.ActivityOut)


class ProjectDashboard(APIView):
    @extend_schema(responses=s.CountOut(many=True), summary="Counts every component contributes")
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "projects.view_dashboard")
        rows = [
            {"component": c.name, "measure": str(count.label), "value": count.value}
            for c in registry.all()
            if c.dashboard
            for count in c.dashboard(project, role)
        ]
        return Response(rows)


class ProjectUpdates(APIView):
    pagination_class = Pagination

    @extend_schema(responses=s.UpdateOut(many=True), summary="Updates you may read")
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "updates.view")
        return _page(request, self, update_selectors.updates_for(project, role), s.UpdateOut)

    @extend_schema(
        request=s.UpdateIn, responses={201: s.UpdateOut}, summary="Publish an update", parameters=[IDEMPOTENCY]
    )
    def post(self, request: Request, slug: str) -> Response:
        project, _role = get_project_for_user(request.user, slug, "updates.publish")
        data = _valid(s.UpdateIn, request.data)
        update = update_services.update_publish(
            user=actor(request),
            project=project,
            title=data["title"],
            body=data["body"],
            visibility=data["visibility"],
            consultation=consultation_to_follow(project, data["consultation"]),
            form_token=idempotency_key(request),
        )
        return Response(s.UpdateOut(update).data, status=status.HTTP_201_CREATED)


class ProjectSubscribe(APIView):
    @extend_schema(request=s.SubscribeIn, responses={202: None}, summary="Subscribe an email address (double opt-in)")
    def post(self, request: Request, slug: str) -> Response:
        project, _role = get_project_for_user(request.user, slug, "updates.subscribe")
        data = _valid(s.SubscribeIn, request.data)
        if not ratelimit.consume(request._request, action="updates_subscribe"):
            raise Throttled()
        update_services.subscribe(
            project=project,
            email=data["email"],
            language=get_language() or "en",
            consultation=consultation_to_follow(project, data["consultation"]),
            frequency=data["frequency"],
        )
        return Response(
            {"detail": "If the address is new, a confirmation email is on its way."}, status=status.HTTP_202_ACCEPTED
        )


class Me(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.MeOut, summary="The signed-in person")
    def get(self, request: Request) -> Response:
        return Response(s.MeOut(request.user).data)
