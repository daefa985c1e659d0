"""Consultation pages for participants and facilitators. Thin: access, form, service, redirect.

Responding is one section per page and works without JavaScript: the answers so far are kept as a
draft on the server at every step (Next, Back, Save and come back later), conditional skips are worked
out here from those answers, and the last step is a check of every answer before sending.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from copro.accounts.models import User
from copro.consultations import answers, selectors, services
from copro.consultations.access import get_consultation_for_user, has_closed, is_facilitator, results_visible
from copro.consultations.forms import ConsultationForm, QuestionForm, SectionForm
from copro.consultations.models import (
    SCALE_LABELS,
    Consultation,
    ConsultationStatus,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    Section,
)
from copro.core.forms import DuplicateSubmission, errors_to_form, run_service
from copro.core.permissions import Role
from copro.core.views import actor
from copro.projects.models import Project
from copro.projects.views import page, project_view

# The random token that lets someone without an account respond once and come back to a draft. Only a
# keyed hash of it is stored (services.anonymous_key); the cookie is signed, HttpOnly and SameSite=Lax.
BROWSER_COOKIE = "copro_respondent"
BROWSER_SALT = "copro.consultations.respondent"
BROWSER_MAX_AGE = 60 * 60 * 24 * 365  # a year: long enough to finish a draft of any consultation
REVIEW = "review"


def _detail(consultation: Consultation) -> HttpResponse:
    return redirect("consultations:detail", consultation.project.slug, consultation.pk)


def _url_or_none(name: str, *args: Any) -> str | None:
    """A URL owned by another part of the app that may not exist yet (results, staff entry, exports)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- Who is responding -------------------------------------------------------------------------------


@dataclass
class Respondent:
    user: User | None
    anonymous: str = ""  # services.anonymous_key of this browser's token, for people without an account
    new_token: str = ""  # a token made in this request, to be set as the browser's cookie

    def keep(self, response: HttpResponseBase) -> HttpResponseBase:
        if self.new_token:
            response.set_signed_cookie(
                BROWSER_COOKIE,
                self.new_token,
                salt=BROWSER_SALT,
                max_age=BROWSER_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


def _browser_token(request: HttpRequest) -> str:
    token = request.get_signed_cookie(BROWSER_COOKIE, default="", salt=BROWSER_SALT, max_age=BROWSER_MAX_AGE)
    return token if isinstance(token, str) and 20 <= len(token) <= 100 else ""


def _respondent(request: HttpRequest, consultation: Consultation, *, create: bool = False) -> Respondent | None:
    """Signed-in people respond as themselves; others only where the consultation allows it, as this browser."""
    if request.user.is_authenticated:
        return Respondent(actor(request))
    if not consultation.allow_anonymous:
        return None
    token = _browser_token(request)
    new = ""
    if not token and create:
        token = new = secrets.token_urlsafe(32)
    return Respondent(None, services.anonymous_key(consultation, token) if token else "", new)


def _own_response(request: HttpRequest, consultation: Consultation) -> Response | None:
    who = _respondent(request, consultation)
    if who is None:
        return None
    return selectors.response_of(consultation, request.user, who.anonymous)


# --- Lists and the consultation's page -------------------------------------------------------------


@project_view("consultations.view")
def consultation_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    consultations = selectors.consultation_list(project, role)
    return page(
        request,
        "consultations/list.html",
        project,
        role,
        open=[c for c in consultations if c.status == ConsultationStatus.OPEN and not has_closed(c)],
        drafts=[c for c in consultations if c.status == ConsultationStatus.DRAFT],
        closed=[c for c in consultations if has_closed(c)],
    )


def consultation_detail(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id)
    mine = _own_response(request, consultation)
    who = _respondent(request, consultation)
    subscribe = reverse("updates:subscribe", args=[project.slug]) + "?" + urlencode({"consultation": consultation.pk})
    context: dict[str, Any] = {
        "consultation": consultation,
        "mine": mine,
        "accepting": consultation.is_accepting(),
        "closed": has_closed(consultation),
        "not_yet_open": consultation.status == ConsultationStatus.OPEN
        and consultation.opens_at is not None
        and not consultation.is_accepting()
        and not has_closed(consultation),
        "can_respond": who is not None,
        "results_url": _url_or_none("consultations:results", project.slug, consultation.pk)
        if results_visible(consultation, role)
        else None,
        "subscribe_url": subscribe,
        "login_url": reverse("account_login") + "?" + urlencode({"next": request.path}),
    }
    if is_facilitator(role):
        args = (project.slug, consultation.pk)
        context["staff_links"] = [
            (label, url)
            for label, url in [
                (
                    _("Enter a response given on paper, by phone or in person"),
                    _url_or_none("consultations:enter", *args),
                ),
                (_("Import paper responses from a CSV file"), _url_or_none("consultations:import", *args)),
                (_("All responses"), _url_or_none("consultations:responses", *args)),
                (_("Download responses as CSV"), _url_or_none("consultations:export", *args, "csv")),
                (_("Download responses as a spreadsheet (XLSX)"), _url_or_none("consultations:export", *args, "xlsx")),
            ]
            if url and consultation.status != ConsultationStatus.DRAFT
        ]
        context.update(
            consultation.responses.filter(status=ResponseStatus.SUBMITTED).aggregate(
                submitted_count=Count("pk"), hear_back_count=Count("pk", filter=Q(hear_back=True))
            )
        )
    return page(request, "consultations/detail.html", project, role, **context)


# --- Building (facilitators) ---------------------------------------------------------------------


def _form_values(form: ConsultationForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "intro": data["intro"],
        "how_used": data["how_used"],
        "allow_anonymous": data["allow_anonymous"],
        "results_visibility": data["results_visibility"],
        "opens_at": data["opens_at"],
        "closes_at": data["closes_at"],
        "map": data["map"],
    }


@project_view("consultations.manage")
def consultation_create(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = ConsultationForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.consultation_create(
                user=actor(request), project=project, form_token=form.cleaned_data["form_token"], **_form_values(form)
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("consultations:list", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Saved. Now add sections and questions, then open the consultation."))
            return redirect("consultations:build", project.slug, consultation.pk)
    return page(
        request, "consultations/edit.html", project, role, status=400 if form.errors else 200, form=form, editing=None
    )


def consultation_edit(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, "consultations.manage")
    form = ConsultationForm(request.POST or None, project=project, initial=ConsultationForm.initial_from(consultation))
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.consultation_edit(user=actor(request), consultation=consultation, **_form_values(form)),
            _("Saved."),
        )
    ):
        return redirect("consultations:build", project.slug, consultation.pk)
    return page(
        request,
        "consultations/edit.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        editing=consultation,
    )


def _build_page(
    request: HttpRequest,
    project: Project,
    role: Role,
    consultation: Consultation,
    *,
    status: int = 200,
    section_form: SectionForm | None = None,
    question_form: QuestionForm | None = None,
) -> HttpResponse:
    sections, questions = services.structure(consultation)
    by_section: dict[int, list[Question]] = {}
    for q in questions:
        by_section.setdefault(q.section_id, []).append(q)
    return page(
        request,
        "consultations/build.html",
        project,
        role,
        status=status,
        consultation=consultation,
        sections=[(s, by_section.get(s.pk, []), _condition_text(s, questions)) for s in sections],
        draft=consultation.status == ConsultationStatus.DRAFT,
        section_form=section_form or SectionForm(questions=selectors.condition_questions(consultation)),
        question_form=question_form or QuestionForm(sections=sections),
    )


def _condition_text(section: Section, questions: list[Question]) -> str:
    if section.show_if_question_id is None or section.show_if_choice is None:
        return ""
    question = next((q for q in questions if q.pk == section.show_if_question_id), None)
    if question is None or not 0 <= section.show_if_choice < len(question.choices):
        return ""
    return _("Shown only to people whose answer to “%(question)s” is “%(option)s”.") % {
        "question": question.text,
        "option": question.choices[section.show_if_choice],
    }


def consultation_build(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, "consultations.manage")
    return _build_page(request, project, role, consultation)


@require_POST
def section_add(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, "consultations.manage")
    form = SectionForm(request.POST, questions=selectors.condition_questions(consultation))
    if form.is_valid():
        question, choice = form.condition()
        if run_service(
            request,
            form,
            lambda: services.section_add(
                user=actor(request),
                consultation=consultation,
                title=form.cleaned_data["title"],
                intro=form.cleaned_data["intro"],
                show_if_question=question,
                show_if_choice=choice,
            ),
            _("Section added."),
        ):
            return redirect("consultations:build", project.slug, consultation.pk)
    return _build_page(request, project, role, consultation, status=400, section_form=form)


@require_POST
def question_add(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, "consultations.manage")
    sections = list(Section.objects.filter(consultation=consultation).order_by("position", "id"))
    form = QuestionForm(request.POST, sections=sections)
    if form.is_valid():
        section = next(s for s in sections if s.pk == form.cleaned_data["section"])
        section.consultation = consultation
        private = form.cleaned_data["private"]
        if run_service(
            request,
            form,
            lambda: services.question_add(
                user=actor(request),
                section=section,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                help_text=form.cleaned_data["help_text"],
                # "About you" questions are always optional: nobody has to say who they are to take part.
                required=form.cleaned_data["required"] and not private,
                choices=form.choice_lines(),
                private=private,
            ),
            _("Question added."),
        ):
            return redirect("consultations:build", project.slug, consultation.pk)
    return _build_page(request, project, role, consultation, status=400, question_form=form)


@require_POST
def question_remove(request: HttpRequest, slug: str, consultation_id: int, question_id: int) -> HttpResponse:
    return _remove(
        request,
        slug,
        consultation_id,
        Question,
        question_id,
        services.question_remove,
        "question",
        _("That question has already been removed."),
        _("Question removed."),
    )


@require_POST
def section_remove(request: HttpRequest, slug: str, consultation_id: int, section_id: int) -> HttpResponse:
    return _remove(
        request,
        slug,
        consultation_id,
        Section,
        section_id,
        services.section_remove,
        "section",
        _("That section has already been removed."),
        _("Section removed, with its questions."),
    )


def _remove(
    request: HttpRequest,
    slug: str,
    consultation_id: int,
    model: Any,
    pk: int,
    remove: Any,
    argument: str,
    gone: str,
    done: str,
) -> HttpResponse:
    """Remove a question or a section of a consultation being prepared, then back to the builder."""
    project, _role, consultation = get_consultation_for_user(
        request.user, slug, consultation_id, "consultations.manage"
    )
    item = model.objects.filter(consultation=consultation, pk=pk).first()
    if item is None:
        messages.error(request, gone)
    else:
        item.consultation = consultation
        try:
            remove(user=actor(request), **{argument: item})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
    return redirect("consultations:build", project.slug, consultation.pk)


@require_POST
def consultation_open(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    _project, _role, consultation = get_consultation_for_user(
        request.user, slug, consultation_id, "consultations.manage"
    )
    try:
        services.consultation_open(user=actor(request), consultation=consultation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("consultations:build", consultation.project.slug, consultation.pk)
    messages.success(request, _("The consultation is open. The questions can no longer change."))
    return _detail(consultation)


@require_POST
def consultation_close(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    _project, _role, consultation = get_consultation_for_user(
        request.user, slug, consultation_id, "consultations.manage"
    )
    try:
        services.consultation_close(user=actor(request), consultation=consultation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The consultation is closed. No more responses are taken."))
    return _detail(consultation)


def consultation_preview(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    """Every section and question as people will see them, on one page, with the skips spelled out."""
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, "consultations.manage")
    sections, questions = services.structure(consultation)
    place_list = selectors.places(consultation)
    empty: MultiValueDict[str, str] = MultiValueDict()
    shown = [
        {
            "section": s,
            "condition": _condition_text(s, questions),
            "widgets": _widgets([q for q in questions if q.section_id == s.pk], empty, {}, place_list, prefix="p"),
        }
        for s in sections
    ]
    return page(request, "consultations/preview.html", project, role, consultation=consultation, shown=shown)


# --- Responding ----------------------------------------------------------------------------------


def _fields_from_values(
    questions: list[Question], values: dict[int, Any], place_list: list[Any]
) -> MultiValueDict[str, str]:
    """Form field values for answers already kept, so a page shows what the person said before."""
    fields: MultiValueDict[str, str] = MultiValueDict()
    for q in questions:
        value = values.get(q.pk)
        if value is None:
            continue
        name = f"q{q.pk}"
        if q.kind == QuestionKind.MULTIPLE:
            fields.setlist(name, [str(i) for i in value])
        elif q.kind == QuestionKind.RANKING:
            for rank, index in enumerate(value, 1):
                fields[f"{name}_{index}"] = str(rank)
        elif q.kind == QuestionKind.LOCATION:
            place = next((p for p in place_list if (p.lat, p.lng) == (value["lat"], value["lng"])), None)
            if place is not None:
                fields[f"{name}_place"] = str(place.pk)
            else:
                fields[f"{name}_lat"], fields[f"{name}_lng"] = str(value["lat"]), str(value["lng"])
        else:
            fields[name] = str(value)
    return fields


def _widgets(
    questions: list[Question],
    data: Any,
    errors: dict[int, str],
    place_list: list[Any],
    prefix: str = "",
) -> list[dict[str, Any]]:
    """What the template needs to draw each question: its inputs, what is filled in, and its error."""
    shown = []
    for q in questions:
        name = f"q{q.pk}"
        base = f"{prefix}{name}"
        widget: dict[str, Any] = {"q": q, "name": name, "base": base, "error": errors.get(q.pk, "")}
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SCALE):
            given = set(data.getlist(name))
            labels = list(q.choices) if q.kind != QuestionKind.SCALE else [str(label) for label in SCALE_LABELS]
            first = 0 if q.kind != QuestionKind.SCALE else 1
            widget["options"] = [
                {"value": str(i), "label": label, "id": f"{base}-{i}", "checked": str(i) in given}
                for i, label in enumerate(labels, first)
            ]
            widget["first_id"] = f"{base}-{first}"
        elif q.kind == QuestionKind.RANKING:
            widget["options"] = [
                {"value": str(i), "label": label, "id": f"{base}-{i}", "rank": data.get(f"{name}_{i}", "")}
                for i, label in enumerate(q.choices)
            ]
            widget["first_id"] = f"{base}-0"
        elif q.kind == QuestionKind.LOCATION:
            chosen = data.get(f"{name}_place", "")
            widget["places"] = [
                {"value": str(p.pk), "label": p.name, "selected": str(p.pk) == chosen} for p in place_list
            ]
            widget["lat"], widget["lng"] = data.get(f"{name}_lat", ""), data.get(f"{name}_lng", "")
            widget["first_id"] = f"{base}-place"
        else:
            widget["text"] = data.get(name, "")
            widget["first_id"] = base
        shown.append(widget)
    return shown


def _applicable(sections: list[Section], values: dict[int, Any]) -> list[int]:
    """Indexes of the sections this person is asked, given their (clean) answers so far."""
    return [i for i, s in enumerate(sections) if answers.section_applies(s, values)]


def _step(raw: str | None, sections: list[Section]) -> int | str | None:
    if raw == REVIEW:
        return REVIEW
    index = answers.small_int(raw)
    if index is not None and 0 <= index < len(sections):
        return index
    return None


def _resume_at(sections: list[Section], questions: list[Question], values: dict[int, Any]) -> int | str:
    """Where to take someone coming back: the first section they are asked with something unanswered."""
    for index in _applicable(sections, values):
        if any(q.pk not in values for q in questions if q.section_id == sections[index].pk):
            return index
    return REVIEW if values else 0


@dataclass
class Flow:
    """One person's way through one consultation: the questions, their answers so far, where they are."""

    consultation: Consultation
    who: Respondent
    existing: Response | None
    sections: list[Section]
    questions: list[Question]
    place_list: list[Any]
    values: dict[int, Any]  # clean answers kept so far, only in sections that apply

    @classmethod
    def load(cls, consultation: Consultation, who: Respondent, existing: Response | None) -> Flow:
        sections, questions = services.structure(consultation)
        place_list = selectors.places(consultation)
        saved = services.draft_values(existing) if existing is not None else {}
        values = answers.check(sections, questions, saved, final=False, bounds=services.map_bounds(consultation)).values
        return cls(consultation, who, existing, sections, questions, place_list, values)

    def in_section(self, index: int) -> list[Question]:
        return [q for q in self.questions if q.section_id == self.sections[index].pk]

    def after(self, index: int) -> int | str:
        return next((i for i in _applicable(self.sections, self.values) if i > index), REVIEW)

    def before(self, index: int | str) -> int | None:
        applicable = _applicable(self.sections, self.values)
        earlier = [i for i in applicable if index == REVIEW or i < int(index)]
        return earlier[-1] if earlier else None

    def url(self, step: int | str) -> str:
        path = reverse("consultations:respond", args=[self.consultation.project.slug, self.consultation.pk])
        return f"{path}?{urlencode({'section': step})}"


def respond(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponseBase:
    project, role, consultation = get_consultation_for_user(
        request.user, slug, consultation_id, "consultations.respond"
    )
    if not consultation.is_accepting():
        messages.error(request, _("This consultation is not open for responses."))
        return _detail(consultation)
    who = _respondent(request, consultation, create=request.method == "POST")
    if who is None:
        messages.info(request, _("Sign in to respond to this consultation."))
        return redirect(reverse("account_login") + "?" + urlencode({"next": request.get_full_path()}))
    existing = selectors.response_of(consultation, who.user, who.anonymous)
    if existing is not None and existing.status == ResponseStatus.SUBMITTED:
        return _already(request, project, role, consultation, existing, status=409 if request.method == "POST" else 200)
    flow = Flow.load(consultation, who, existing)
    if request.method != "POST":
        step = _step(request.GET.get("section"), flow.sections)
        if step is None:
            step = _resume_at(flow.sections, flow.questions, flow.values) if existing else 0
        return _respond_page(request, project, role, flow, step)

    step = _step(request.POST.get("section"), flow.sections)
    go = request.POST.get("go", "next")
    if step is None:
        return redirect(flow.url(0))
    if who.anonymous and existing is None and not ratelimit.consume(request, action="consultation_anonymous"):
        # 30 new anonymous responses per hour per address: enough for a library's shared computers.
        return ratelimit.respond_429(request)
    if step == REVIEW:
        if go == "submit":
            return who.keep(_submit(request, project, role, flow))
        return who.keep(redirect(flow.url(step)))
    return who.keep(_save_section(request, project, role, flow, int(step), go))


def _save_section(
    request: HttpRequest, project: Project, role: Role, flow: Flow, index: int, go: str
) -> HttpResponseBase:
    current = flow.in_section(index)
    current_ids = {q.pk for q in current}
    coordinates = selectors.place_coordinates(flow.place_list)
    raw = {k: v for k, v in flow.values.items() if k not in current_ids}
    raw.update(answers.from_post(current, request.POST, coordinates))
    try:
        draft, errors = services.response_save_draft(
            consultation=flow.consultation, raw=raw, respondent=flow.who.user, anonymous=flow.who.anonymous
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _detail(flow.consultation)
    flow.existing = draft
    flow.values = services.draft_values(draft)
    if not errors and go == "next":
        # Moving on: this page's required questions need an answer first (the rest is checked at the end).
        checked = answers.check(
            flow.sections, flow.questions, flow.values, final=True, bounds=services.map_bounds(flow.consultation)
        )
        errors = {k: v for k, v in checked.errors.items() if k in current_ids}
    if errors:
        return _respond_page(request, project, role, flow, index, data=request.POST, errors=errors, status=400)
    if go == "save":
        if flow.who.user is not None:
            messages.success(request, _("Your answers are saved. Come back any time before the consultation closes."))
        else:
            messages.success(
                request,
                _(
                    "Your answers are saved in this browser. Come back on this device, in this browser, any time "
                    "before the consultation closes."
                ),
            )
        return _detail(flow.consultation)
    if go == "back":
        before = flow.before(index)
        return redirect(flow.url(before if before is not None else index))
    return redirect(flow.url(flow.after(index)))


def _submit(request: HttpRequest, project: Project, role: Role, flow: Flow) -> HttpResponseBase:
    consultation = flow.consultation
    token = request.POST.get("form_token") or None
    try:
        form_token = _uuid(token)
        services.response_submit(
            consultation=consultation,
            raw=flow.values,
            respondent=flow.who.user,
            anonymous=flow.who.anonymous,
            hear_back=request.POST.get("hear_back") == "on",
            form_token=form_token,
        )
    except services.AnswerErrors as error:
        applicable = _applicable(flow.sections, flow.values)
        first = next(
            (i for i in applicable if any(q.pk in error.errors for q in flow.in_section(i))),
            applicable[0] if applicable else 0,
        )
        page_errors = {q.pk: error.errors[q.pk] for q in flow.in_section(first) if q.pk in error.errors}
        data = _fields_from_values(flow.in_section(first), flow.values, flow.place_list)
        return _respond_page(request, project, role, flow, first, data=data, errors=page_errors, status=400)
    except DuplicateSubmission:
        return redirect("consultations:receipt", project.slug, consultation.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _detail(consultation)
    return redirect("consultations:receipt", project.slug, consultation.pk)


def _uuid(token: str | None) -> uuid.UUID | None:
    if not token:
        return None
    try:
        return uuid.UUID(token)
    except ValueError:
        return None


def _respond_page(
    request: HttpRequest,
    project: Project,
    role: Role,
    flow: Flow,
    step: int | str,
    *,
    data: Any = None,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    applicable = _applicable(flow.sections, flow.values)
    if step != REVIEW and step not in applicable:
        # A section this person is not asked (their answers skip it): the next one that applies.
        step = next((i for i in applicable if i > int(step)), REVIEW)
    before = flow.before(step)
    context: dict[str, Any] = {
        "consultation": flow.consultation,
        "step": step,
        "anonymous": flow.who.user is None,
        "total": len(applicable),
        "back_url": None if before is None else flow.url(before),
    }
    if step == REVIEW:
        context["summary"] = [
            {
                "section": flow.sections[i],
                "url": flow.url(i),
                "answers": [(q, _describe(q, flow.values.get(q.pk), flow.place_list)) for q in flow.in_section(i)],
            }
            for i in applicable
        ]
        context["form_token"] = uuid.uuid4()
        return page(request, "consultations/review.html", project, role, status=status, **context)
    index = int(step)
    questions = flow.in_section(index)
    source = data if data is not None else _fields_from_values(questions, flow.values, flow.place_list)
    errors = errors or {}
    widgets = _widgets(questions, source, errors, flow.place_list)
    context.update(
        {
            "section": flow.sections[index],
            "index": index,
            "number": applicable.index(index) + 1,
            "widgets": widgets,
            "error_list": [w for w in widgets if w["error"]],
        }
    )
    return page(request, "consultations/respond.html", project, role, status=status, **context)


def _describe(q: Question, value: Any, place_list: list[Any]) -> str:
    """An answer in words, for the check-your-answers page."""
    if value is None:
        return ""
    if q.kind == QuestionKind.SINGLE:
        return str(q.choices[value])
    if q.kind == QuestionKind.MULTIPLE:
        return "; ".join(q.choices[i] for i in value)
    if q.kind == QuestionKind.SCALE:
        return str(SCALE_LABELS[value - 1])
    if q.kind == QuestionKind.RANKING:
        return "; ".join(f"{rank}. {q.choices[i]}" for rank, i in enumerate(value, 1))
    if q.kind == QuestionKind.LOCATION:
        place = next((p for p in place_list if (p.lat, p.lng) == (value["lat"], value["lng"])), None)
        return place.name if place is not None else f"{value['lat']:.5f}, {value['lng']:.5f}"
    return str(value)


def _already(
    request: HttpRequest, project: Project, role: Role, consultation: Consultation, response: Response, status: int
) -> HttpResponse:
    return page(
        request,
        "consultations/already.html",
        project,
        role,
        status=status,
        consultation=consultation,
        response=response,
    )


def receipt(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id)
    mine = _own_response(request, consultation)
    if mine is None or mine.status != ResponseStatus.SUBMITTED:
        return _detail(consultation)
    return page(
        request,
        "consultations/receipt.html",
        project,
        role,
        consultation=consultation,
        response=mine,
        emailed=bool(mine.respondent_id and request.user.is_authenticated and request.user.email),
        results_url=_url_or_none("consultations:results", project.slug, consultation.pk)
        if results_visible(consultation, role)
        else None,
        subscribe_url=reverse("updates:subscribe", args=[project.slug])
        + "?"
        + urlencode({"consultation": consultation.pk}),
    )
