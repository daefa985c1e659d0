"""Reporting through the REST API: the same access function, rate limit and service as the report page."""

from __future__ import annotations

import contextlib

from allauth.core import ratelimit
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, _valid, idempotency_key
from copro.core.forms import DuplicateSubmission
from copro.moderation import registry, services
from copro.moderation.access import REPORT, get_item_for_user


class ReportIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=sorted(registry.KINDS), help_text="What is reported: a pin, a comment or the text of an answer."
    )
    object_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = serializers.CharField(max_length=1000, help_text="What is wrong with it, in a few words.")


class ProjectReports(APIView):
    @extend_schema(
        request=ReportIn,
        responses={202: None, 400: None, 404: None, 429: None},
        summary="Report a pin, comment or answer text to the project's facilitators",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str) -> Response:
        data = _valid(ReportIn, request.data)
        # 404 for anything the person cannot see, exactly like a missing id.
        project, _role, _reportable, _item = get_item_for_user(
            request.user, slug, data["kind"], data["object_id"], REPORT
        )
        if not ratelimit.consume(request._request, action="moderation_report"):
            raise Throttled()
        with contextlib.suppress(DuplicateSubmission):  # a repeated request: the first one was filed
            services.report_create(
                project=project,
                kind=data["kind"],
                object_id=data["object_id"],
                reason=data["reason"],
                reporter=request.user if request.user.is_authenticated else None,
                form_token=idempotency_key(request),
            )
        return Response({"detail": "Thank you: a facilitator will look at it."}, status=status.HTTP_202_ACCEPTED)
