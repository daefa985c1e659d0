"""Consultations in the REST API: the same access functions, answer format and services as the pages.

Answers are sent in the one format of copro.consultations.answers, keyed by question id:
{"answers": {"12": 1, "13": [2, 0], "14": 4, "15": "text", "16": {"lat": 51.48, "lng": -3.17}}, "hear_back": true}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response as DRFResponse
from rest_framework.views import APIView

from copro.api.views import IDEMPOTENCY, Pagination, _page, _valid, idempotency_key
from copro.consultations import answers, imports, selectors, services
from copro.consultations.access import get_consultation_for_user, visible_consultations
from copro.consultations.models import SCALE_LABELS, Consultation, Question, QuestionKind, Section
from copro.core.models import OFFLINE_ENTRY_CHANNELS
from copro.core.views import actor
from copro.projects.access import get_project_for_user


class ConsultationOut(serializers.ModelSerializer):
    class Meta:
        model = Consultation
        fields = [
            "id",
            "title",
            "status",
            "opens_at",
            "closes_at",
            "how_used",
            "allow_anonymous",
            "results_visibility",
        ]


class ConsultationQuestionOut(serializers.ModelSerializer):
    choices = serializers.SerializerMethodField(help_text="The options by index; the five scale labels for a scale.")

    class Meta:
        model = Question
        fields = ["id", "kind", "text", "help_text", "required", "private", "choices"]

    def get_choices(self, question: Question) -> list[str]:
        if question.kind == QuestionKind.SCALE:
            return [str(label) for label in SCALE_LABELS]  # index 0 is the answer 1
        return list(question.choices)


class ConsultationSectionOut(serializers.ModelSerializer):
    show_if = serializers.SerializerMethodField(help_text="Asked only if this question's answer includes this choice.")
    questions = serializers.SerializerMethodField()

    class Meta:
        model = Section
        fields = ["id", "title", "intro", "show_if", "questions"]

    def get_show_if(self, section: Section) -> dict[str, int] | None:
        if section.show_if_question_id is None or section.show_if_choice is None:
            return None
        return {"question": section.show_if_question_id, "choice": section.show_if_choice}

    def get_questions(self, section: Section) -> list[dict[str, Any]]:
        return ConsultationQuestionOut(self.context["questions"].get(section.pk, []), many=True).data  # type: ignore[return-value]


class ConsultationPlaceOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()


class ConsultationDetailOut(ConsultationOut):
    # Needs `sections`, `questions` (section id -> questions) and `places` in its context.

    sections = serializers.SerializerMethodField()
    places = serializers.SerializerMethodField()

    class Meta(ConsultationOut.Meta):
        fields = [*ConsultationOut.Meta.fields, "intro", "sections", "places"]

    @extend_schema_field(ConsultationSectionOut(many=True))
    def get_sections(self, consultation: Consultation) -> Any:
        return ConsultationSectionOut(
            self.context["sections"], many=True, context={"questions": self.context["questions"]}
        ).data

    @extend_schema_field(ConsultationPlaceOut(many=True))
    def get_places(self, consultation: Consultation) -> Any:
        return ConsultationPlaceOut(self.context["places"], many=True).data


class ConsultationResponseIn(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(), help_text="Question id -> value, in the format of copro.consultations.answers."
    )
    hear_back = serializers.BooleanField(default=False, help_text="Tell me what happens as a result.")


class ConsultationList(APIView):
    pagination_class = Pagination

    @extend_schema(responses=ConsultationOut(many=True), summary="Consultations in a project you may see")
    def get(self, request: Request, slug: str) -> DRFResponse:
        project, role = get_project_for_user(request.user, slug, "consultations.view")
        return _page(
            request, self, visible_consultations(project, role).order_by("-created_at", "-id"), ConsultationOut
        )


class ConsultationDetail(APIView):
    @extend_schema(
        responses=ConsultationDetailOut,
        summary="A consultation: how responses are used, its sections (with skips) and questions, its places",
    )
    def get(self, request: Request, slug: str, consultation_id: int) -> DRFResponse:
        _project, _role, consultation = get_consultation_for_user(request.user, slug, consultation_id)
        sections, questions = services.structure(consultation)
        by_section: dict[int, list[Question]] = {}
        for q in questions:
            by_section.setdefault(q.section_id, []).append(q)
        context = {"sections": sections, "questions": by_section, "places": selectors.places(consultation)}
        return DRFResponse(ConsultationDetailOut(consultation, context=context).data)


def _submit(
    request: Request, consultation: Consultation, data: dict[str, Any], submit: Any, thanks: str
) -> DRFResponse:
    """Read the answers (unknown question ids are problems too), submit through `submit(raw)`, and answer
    201 with the receipt, 400 with the problems per question, or 409 for a second response."""
    sections, questions = services.structure(consultation)
    known = {q.pk for q in questions}
    raw: dict[int, Any] = {}
    unknown: dict[str, str] = {}
    for key, value in data["answers"].items():
        question_id = answers.small_int(str(key))
        if question_id is None or question_id not in known:
            unknown[str(key)] = _("There is no such question in this consultation.")
        else:
            raw[question_id] = value
    if unknown:  # refused whole, with every other problem too, so the client can fix them at once
        checked = answers.check(sections, questions, raw, final=True, bounds=services.map_bounds(consultation))
        errors = {**{str(k): v for k, v in checked.errors.items()}, **unknown}
        return DRFResponse(
            {"detail": _("Some answers need attention."), "errors": errors}, status=status.HTTP_400_BAD_REQUEST
        )
    try:
        response = submit(raw)
    except services.AnswerErrors as error:
        errors = {str(k): v for k, v in error.errors.items()}
        return DRFResponse({"detail": " ".join(error.messages), "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    except ValidationError as error:
        code = status.HTTP_409_CONFLICT if error.code == "duplicate" else status.HTTP_400_BAD_REQUEST
        if hasattr(error, "error_dict"):
            return DRFResponse(error.message_dict, status=code)
        return DRFResponse({"detail": " ".join(error.messages)}, status=code)
    return DRFResponse(
        {"detail": thanks, "receipt": response.receipt, "submitted_at": response.submitted_at},
        status=status.HTTP_201_CREATED,
    )


class ConsultationResponses(APIView):
    @extend_schema(
        request=ConsultationResponseIn,
        responses={201: None, 400: None, 409: None},
        summary="Respond (once; 400 lists the problems per question; a second response gets 409)",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, consultation_id: int) -> DRFResponse:
        _project, _role, consultation = get_consultation_for_user(
            request.user, slug, consultation_id, "consultations.respond"
        )
        if not request.user.is_authenticated:
            # Without an account people respond on the page, as one browser (the API has no browser token).
            raise PermissionDenied(_("Sign in to respond through the API."))
        if not consultation.is_accepting():
            return DRFResponse(
                {"detail": _("This consultation is not open for responses.")}, status=status.HTTP_409_CONFLICT
            )
        data = _valid(ConsultationResponseIn, request.data)
        return _submit(
            request,
            consultation,
            data,
            lambda raw: services.response_submit(
                consultation=consultation,
                raw=raw,
                respondent=actor(request),
                hear_back=data["hear_back"],
                form_token=idempotency_key(request),
            ),
            _("Thank you: your response is in."),
        )


class OfflineResponseIn(ConsultationResponseIn):
    channel = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in OFFLINE_ENTRY_CHANNELS], help_text="How the response reached us."
    )
    batch = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    given_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Not in the future.")


class ConsultationOfflineResponses(APIView):
    @extend_schema(
        request=OfflineResponseIn,
        responses={201: None, 400: None},
        summary="Enter a response given on paper, by phone, at a drop-in or on an outreach visit (staff)",
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, slug: str, consultation_id: int) -> DRFResponse:
        _project, _role, consultation = get_consultation_for_user(
            request.user, slug, consultation_id, "consultations.enter"
        )
        data = _valid(OfflineResponseIn, request.data)
        return _submit(
            request,
            consultation,
            data,
            lambda raw: imports.response_enter(
                user=actor(request),
                consultation=consultation,
                raw=raw,
                channel=data["channel"],
                batch=data["batch"],
                hear_back=data["hear_back"],
                given_on=data["given_on"],
                form_token=idempotency_key(request),
            ),
            _("Saved."),
        )
