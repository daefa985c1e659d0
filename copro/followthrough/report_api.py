"""Governance reports, co-production health and open data in the REST API: the same access rules and the
same gathering functions as the pages (copro.followthrough.reports, .health, .opendata)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from copro.core.forms import parse_id, whole_number
from copro.followthrough import health as health_data
from copro.followthrough import opendata, reports
from copro.followthrough.report_forms import PeriodForm
from copro.projects.access import get_project_for_user


class HealthPartOut(serializers.Serializer):
    key = serializers.CharField()
    score = serializers.IntegerField(allow_null=True, help_text="0-100, or null when there is nothing to judge it by")
    weight = serializers.IntegerField()
    value = serializers.IntegerField(allow_null=True)
    goal = serializers.IntegerField(allow_null=True)


class HealthStepOut(serializers.Serializer):
    key = serializers.CharField(help_text="awareness, buy_in, expectations, performance or feedback")
    score = serializers.IntegerField(allow_null=True)
    parts = HealthPartOut(many=True)
    suggestions = serializers.ListField(child=serializers.CharField())


class SpectrumOut(serializers.Serializer):
    chosen = serializers.CharField(allow_null=True, help_text="The engagement level the project chose for itself")
    measured = serializers.CharField(help_text="Where its data puts it: information ... coproduction")
    shares_percent = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    mean_percent = serializers.IntegerField(allow_null=True)


class HealthOut(serializers.Serializer):
    steps = HealthStepOut(many=True)
    spectrum = SpectrumOut()


HEALTH = HealthOut


class ProjectHealth(APIView):
    @extend_schema(responses=HEALTH, summary="Co-production health: the five steps scored from the project's data")
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "reports.health")
        result = health_data.project_health(project, reports.report_visibilities(role))
        spectrum = result["spectrum"]
        return Response(
            {
                "steps": [
                    {
                        "key": s.key,
                        "score": s.score,
                        "parts": [{k: p[k] for k in ("key", "score", "weight", "value", "goal")} for p in s.parts],
                        "suggestions": s.suggestions,
                    }
                    for s in result["steps"]
                ],
                "spectrum": {
                    "chosen": spectrum["chosen"].key if spectrum["chosen"] else None,
                    "measured": spectrum["position"].level,
                    "shares_percent": spectrum["shares"],
                    "mean_percent": spectrum["mean"],
                },
            }
        )


PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="The first day (YYYY-MM-DD)."),
    OpenApiParameter("end", OpenApiTypes.DATE, required=True, description="The last day, on or after the start."),
]


def _chart(c: reports.Chart | None) -> Any:
    if c is None:
        return None
    return {"title": c.title, "total": c.total, "rows": [{"label": r.label, "value": r.value} for r in c.rows]}


class GovernanceReport(APIView):
    @extend_schema(
        parameters=PERIOD_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
        summary="The governance report's numbers for a period (observers and facilitators)",
    )
    def get(self, request: Request, slug: str) -> Response:
        project, role = get_project_for_user(request.user, slug, "reports.view")
        form = PeriodForm(request.query_params)
        if not form.is_valid():
            raise DRFValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        data = reports.report_data(project, form.period(), reports.report_visibilities(role))
        tp = data.took_part
        return Response(
            {
                "project": project.slug,
                "start": data.period.start.isoformat(),
                "end": data.period.end.isoformat(),
                "took_part": {
                    "members_by_role": [
                        {k: r[k] for k in ("members", "joined", "active")} | {"role": str(r["role"])}
                        for r in tp["roles"]
                    ],
                    "responses_by_channel": dict(tp["responses"]),
                    "pins_by_channel": dict(tp["pins"]),
                    "ideas_by_channel": dict(tp["ideas"]),
                    "feedback_by_channel": dict(tp["feedback"]),
                    "ballots_by_channel": dict(tp["ballots"]),
                    "meetings": tp["attendance"],
                    "ideas_by_origin": _chart(tp["origins"]),
                },
                "reach": [{k: t[k] for k in ("label", "goal", "reached", "percent", "met")} for t in data.reach],
                "decided": {
                    "total": data.decided["total"],
                    "by_outcome": _chart(data.decided["chart"]),
                    "decisions": [
                        {
                            "id": r["decision"].pk,
                            "title": r["decision"].title,
                            "outcome": r["outcome"],
                            "took_part": r["took_part"],
                        }
                        for r in data.decided["rows"]
                    ],
                },
                "commitments": {**data.commitments["counts"], "promise_kept": data.commitments["promise"]},
                "feedback": {
                    "total": data.feedback["total"],
                    "by_feeling": _chart(data.feedback["feelings"]),
                    "by_triage": _chart(data.feedback["triage"]),
                    "quotes": [q["public_excerpt"] for q in data.feedback["quotes"]],
                },
                "changed_by_participants": {
                    "ideas_taken_to_decisions": data.changed["taken_total"],
                    "commitments_from_participants_ideas": [c.pk for c in data.changed["commitments"]],
                    "scope_changes": len(data.changed["scope_changes"]),
                    "commitments_participants_own": data.changed["owned"],
                },
            }
        )


OPEN_DATA_PAGE = 50
OPEN_DATA_PAGE_MAX = 500


class OpenData(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("dataset", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(opendata.DATASETS)),
            OpenApiParameter(
                "after",
                OpenApiTypes.INT,
                description="Give the rows with ids after this one: the last id of the previous page (see next).",
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"Rows per page, 1 to {OPEN_DATA_PAGE_MAX}."),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Open data: public commitments, decisions or activity (the same rows as the CSV and JSON files), "
        "in id order, a page at a time (follow next)",
    )
    def get(self, request: Request, slug: str, dataset: str) -> Response:
        project, _role = get_project_for_user(request.user, slug, "reports.opendata")
        if dataset not in opendata.ROWS:
            raise NotFound
        after = None
        if "after" in request.query_params:
            after = parse_id(request.query_params["after"])
            if after is None:
                raise DRFValidationError({"after": ["Give the id of the last row of the previous page."]})
        limit = OPEN_DATA_PAGE
        if "limit" in request.query_params:
            asked = whole_number(request.query_params["limit"], max_digits=4)
            if asked is None or not 1 <= asked <= OPEN_DATA_PAGE_MAX:
                raise DRFValidationError({"limit": [f"Give a whole number from 1 to {OPEN_DATA_PAGE_MAX}."]})
            limit = asked
        # Keyset pagination: one more row than asked tells whether there is a next page; only that page is read.
        results = list(opendata.rows(dataset, project, after=after, limit=limit + 1))
        more = len(results) > limit
        results = results[:limit]
        next_url = None
        if more and results:
            query = request.query_params.copy()
            query["after"] = str(results[-1]["id"])
            query["limit"] = str(limit)
            next_url = request.build_absolute_uri(request.path) + "?" + query.urlencode()
        return Response(
            {
                "version": opendata.FORMAT_VERSION,
                "count": opendata.count(dataset, project),
                "next": next_url,
                "results": results,
            }
        )


urlpatterns = [
    path("projects/<slug:slug>/health/", ProjectHealth.as_view(), name="health"),
    path("projects/<slug:slug>/governance-report/", GovernanceReport.as_view(), name="governance_report"),
    path("projects/<slug:slug>/open-data/<str:dataset>/", OpenData.as_view(), name="opendata"),
]
