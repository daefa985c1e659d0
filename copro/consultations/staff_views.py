"""Results, exports, and responses given offline (typed in by staff or imported from a CSV file).

Thin views: load through access, validate with a form, read through results.py, write through
imports.py (which calls services.response_submit).
"""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.consultations import answers, exports, imports, results, services
from copro.consultations.access import get_consultation_for_user, is_facilitator, results_visible
from copro.consultations.models import (
    SCALE_LABELS,
    Answer,
    Consultation,
    ImportRun,
    ImportStatus,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    ResultsVisibility,
    Section,
)
from copro.consultations.staff_forms import EntryForm, ImportForm, ResponseFilterForm
from copro.core.csvfiles import csv_response, safe
from copro.core.forms import DuplicateSubmission, errors_to_form
from copro.core.models import EntryChannel
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.projects.models import Project
from copro.projects.views import page

MANAGE = "consultations.manage"
ENTER = "consultations.enter"
PER_PAGE = 50


def _staff_links(project: Project, role: Role, consultation: Consultation) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    args = [project.slug, consultation.pk]
    if TABLE.allowed(role, ENTER):
        links += [
            (_("Enter a paper or phone response"), reverse("consultations:enter", args=args)),
            (_("Import responses from a CSV file"), reverse("consultations:import", args=args)),
            (_("Responses entered"), reverse("consultations:responses", args=args)),
        ]
    if TABLE.allowed(role, MANAGE):
        links += [
            (_("Reach: online and offline, week by week"), reverse("consultations:reach", args=args)),
            (_("Download all responses (CSV)"), reverse("consultations:export", args=[*args, "csv"])),
            (_("Download all responses (Excel)"), reverse("consultations:export", args=[*args, "xlsx"])),
            (
                _("Download the 'about you' answers on their own (CSV, in random order)"),
                reverse("consultations:export", args=[*args, ABOUT_YOU]),
            ),
        ]
    return links


# --- Results -----------------------------------------------------------------------------------------


def results_page(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id)
    if not results_visible(consultation, role):
        if consultation.results_visibility == ResultsVisibility.STAFF:
            why = _("The results of this consultation are read by the facilitators, who will report back on them.")
        else:
            why = _("The results will be published here once the consultation has closed.")
        return page(
            request, "consultations/results.html", project, role, status=403, consultation=consultation, not_yet=why
        )
    staff = is_facilitator(role)
    channel = request.GET.get("channel", "")
    shown = results.consultation_results(consultation, channel=channel, suppress=not staff)
    return page(
        request,
        "consultations/results.html",
        project,
        role,
        consultation=consultation,
        results=shown,
        channel_label=results.channel_label(shown.channel),
        staff=staff,
        staff_links=_staff_links(project, role, consultation),
    )


def reach_page(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, MANAGE)
    at = results.stamp(consultation)
    return page(
        request,
        "consultations/staff/reach.html",
        project,
        role,
        consultation=consultation,
        stamp=at,
        weeks=results.reach(consultation, at),
    )


def text_answers(request: HttpRequest, slug: str, consultation_id: int, question_id: int) -> HttpResponse:
    """Every answer to a free-text question, newest first, 50 a page (facilitators; hidden ones marked)."""
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, MANAGE)
    question = Question.objects.filter(consultation=consultation, pk=question_id, kind=QuestionKind.TEXT).first()
    if question is None:
        raise Http404
    rows = Answer.objects.filter(consultation=consultation, question=question).exclude(text="").order_by("-id")
    paginator = Paginator(rows.only("id", "text", "channel", "hidden_at", "hidden_reason", "response_id"), PER_PAGE)
    listing = paginator.get_page(request.GET.get("page"))
    return page(
        request,
        "consultations/staff/text_answers.html",
        project,
        role,
        consultation=consultation,
        question=question,
        page=listing,
    )


# --- Export ------------------------------------------------------------------------------------------


ABOUT_YOU = "about-you.csv"


def export(request: HttpRequest, slug: str, consultation_id: int, fmt: str) -> HttpResponse | StreamingHttpResponse:
    if fmt not in ("csv", "xlsx", ABOUT_YOU):
        raise Http404
    _project, _role, consultation = get_consultation_for_user(request.user, slug, consultation_id, MANAGE)
    if fmt == ABOUT_YOU:
        return csv_response(
            request,
            exports.csv_stream(consultation, exports.about_you_rows),
            exports.filename(consultation, "csv", "about-you"),
        )
    if fmt == "csv":
        return csv_response(request, exports.csv_stream(consultation), exports.filename(consultation, "csv"))
    return FileResponse(
        exports.xlsx_file(consultation),
        as_attachment=True,
        filename=exports.filename(consultation, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Typing in a response given offline -----------------------------------------------------------------


def _option_list(labels: list[str], name: str, chosen: set[str]) -> list[dict[str, Any]]:
    return [
        {"value": str(i), "label": label, "id": f"id_{name}_{i}", "checked": str(i) in chosen}
        for i, label in enumerate(labels)
    ]


def entry_fields(
    sections: list[Section],
    questions: list[Question],
    data: Any,
    errors: dict[int, str],
    places: list[tuple[int, str]],
) -> list[dict[str, Any]]:
    """Everything the entry page shows for each section and question, with what was typed kept."""
    by_section: dict[int, list[Question]] = {}
    for q in questions:
        by_section.setdefault(q.section_id, []).append(q)
    texts = {q.pk: q for q in questions}
    out: list[dict[str, Any]] = []
    for section in sections:
        condition = ""
        if section.show_if_question_id and section.show_if_choice is not None:
            depends = texts.get(section.show_if_question_id)
            if depends is not None and 0 <= section.show_if_choice < len(depends.choices):
                condition = _("Only if the answer to “%(question)s” is “%(choice)s”; otherwise leave it empty.") % {
                    "question": depends.text,
                    "choice": depends.choices[section.show_if_choice],
                }
        fields = []
        for q in by_section.get(section.pk, []):
            name = f"q{q.pk}"
            getlist: Any = getattr(data, "getlist", lambda key: [])
            field: dict[str, Any] = {"q": q, "name": name, "error": errors.get(q.pk, ""), "id": f"id_{name}"}
            if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                field["options"] = _option_list(list(q.choices), name, set(getlist(name)))
            elif q.kind == QuestionKind.SCALE:
                field["options"] = [
                    {**o, "value": str(int(o["value"]) + 1), "checked": str(int(o["value"]) + 1) in set(getlist(name))}
                    for o in _option_list([str(label) for label in SCALE_LABELS], name, set())
                ]
            elif q.kind == QuestionKind.RANKING:
                field["options"] = [
                    {"label": c, "name": f"{name}_{i}", "id": f"id_{name}_{i}", "rank": data.get(f"{name}_{i}", "")}
                    for i, c in enumerate(q.choices)
                ]
            elif q.kind == QuestionKind.LOCATION:
                field["places"] = [
                    {"value": str(pk), "label": label, "selected": str(pk) == data.get(f"{name}_place", "")}
                    for pk, label in places
                ]
                field["lat"] = data.get(f"{name}_lat", "")
                field["lng"] = data.get(f"{name}_lng", "")
            else:
                field["value"] = data.get(name, "")
            fields.append(field)
        out.append({"section": section, "condition": condition, "fields": fields})
    return out


def enter(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, ENTER)
    if consultation.status == "draft":
        messages.error(request, _("This consultation has not opened yet: responses can be entered once it opens."))
        return redirect("consultations:detail", project.slug, consultation.pk)
    sections, questions = services.structure(consultation)
    place_rows = list(consultation.map.places.values_list("pk", "name", "lat", "lng")) if consultation.map else []
    places = {pk: (lat, lng) for pk, _name, lat, lng in place_rows}
    initial = {k: request.GET.get(k, "") for k in ("channel", "batch", "given_on") if request.GET.get(k)}
    form = EntryForm(request.POST or None, initial=initial)
    errors: dict[int, str] = {}
    data: Any = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        raw = answers.from_post(questions, request.POST, places)
        if form.is_valid():
            try:
                response = imports.response_enter(
                    user=actor(request),
                    consultation=consultation,
                    raw=raw,
                    channel=form.cleaned_data["channel"],
                    batch=form.cleaned_data["batch"],
                    hear_back=form.cleaned_data["hear_back"],
                    given_on=form.cleaned_data["given_on"],
                    form_token=form.cleaned_data["form_token"],
                )
            except services.AnswerErrors as error:
                errors = error.errors
                form.add_error(None, str(error.message))
            except DuplicateSubmission as error:
                messages.info(request, str(error))
                return redirect(reverse("consultations:enter", args=[project.slug, consultation.pk]))
            except ValidationError as error:
                errors_to_form(form, error)
            else:
                messages.success(
                    request,
                    _("Saved (receipt %(receipt)s). Enter another.") % {"receipt": response.receipt},
                )
                keep = {"channel": form.cleaned_data["channel"], "batch": form.cleaned_data["batch"]}
                if form.cleaned_data["given_on"]:
                    keep["given_on"] = form.cleaned_data["given_on"].isoformat()
                url = reverse("consultations:enter", args=[project.slug, consultation.pk])
                return redirect(f"{url}?{urlencode({k: v for k, v in keep.items() if v})}")
        else:
            # Check the answers too, so every problem is shown at once.
            errors = answers.check(
                sections, questions, raw, final=True, bounds=services.map_bounds(consultation)
            ).errors
    return page(
        request,
        "consultations/staff/enter.html",
        project,
        role,
        status=400 if (form.errors or errors) else 200,
        consultation=consultation,
        form=form,
        sections=entry_fields(sections, questions, data, errors, [(pk, name) for pk, name, _a, _b in place_rows]),
        answer_errors=[(q, errors[q.pk]) for q in questions if q.pk in errors],
    )


# --- The list of responses ------------------------------------------------------------------------------


def responses(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, ENTER)
    form = ResponseFilterForm(request.GET or None)
    rows = Response.objects.filter(consultation=consultation, status=ResponseStatus.SUBMITTED)
    channel = batch = ""
    if form.is_valid():
        channel, batch = form.cleaned_data["channel"] or "", form.cleaned_data["batch"].strip()
    if channel:
        rows = rows.filter(channel=channel)
    if batch:
        rows = rows.filter(batch=batch)
    batches = list(
        Response.objects.filter(consultation=consultation, status=ResponseStatus.SUBMITTED)
        .exclude(batch="")
        .values_list("batch")
        .annotate(n=Count("id"))
        .order_by("batch")[:200]
    )
    paginator = Paginator(
        rows.select_related("entered_by").order_by("-submitted_at", "-id"),
        PER_PAGE,
    )
    listing = paginator.get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("channel", channel), ("batch", batch)) if v})
    return page(
        request,
        "consultations/staff/responses.html",
        project,
        role,
        consultation=consultation,
        form=form,
        page=listing,
        batches=batches,
        query=query,
        channels=dict(EntryChannel.choices),
    )


# --- Importing a CSV file --------------------------------------------------------------------------------


# A run in progress that has written nothing for this long has probably stopped (no worker, or a worker
# that was killed): its page stops refreshing itself and says so.
IMPORT_STALLED = datetime.timedelta(minutes=10)
RECENT_IMPORTS = 10


def _recent_imports(consultation: Consultation) -> list[ImportRun]:
    """The last 10 imports, with their counts but without their files or full reports (which can be big)."""
    return list(
        ImportRun.objects.filter(consultation=consultation)
        .select_related("uploaded_by")
        .defer("text", "report")
        .annotate(summary=F("report__summary"))
        .order_by("-created_at", "-id")[:RECENT_IMPORTS]
    )


def import_page(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, ENTER)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = run = None
    offer_leave_out = False
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = form.cleaned_data["batch"]
        if upload.size > imports.MAX_BYTES:
            form.add_error("file", _("The file is too large: the limit is 5 MB. Split it into smaller files."))
        else:
            found, parsed = imports.read_upload(consultation, upload.read())
            if parsed is None:  # nothing can be imported: say why at once, whatever the file's size
                for problem in found.problems:
                    form.add_error("file", problem)
            elif len(parsed.rows) > imports.IMPORT_NOW_ROWS and found.problems and request.POST.get("leave_out") != "1":
                # A big file takes minutes: say what is wrong with its first row now, not at the end.
                for problem in found.problems:
                    form.add_error("file", problem)
                offer_leave_out = True
            else:
                sent = {
                    "user": actor(request),
                    "consultation": consultation,
                    "parsed": parsed,
                    "file_name": upload.name or "",
                    "batch": batch,
                    "form_token": form.cleaned_data["form_token"],
                }
                try:
                    if len(parsed.rows) <= imports.IMPORT_NOW_ROWS:  # small: at once, with its report
                        run, report = imports.import_now(report=found, **sent), found
                    else:  # big: in the background, with a progress page
                        run = imports.import_queue(**sent)
                        return redirect("consultations:import_run", project.slug, consultation.pk, run.pk)
                except DuplicateSubmission as error:  # a double click: the first sending is the one
                    messages.info(request, str(error))
                    return redirect("consultations:import", project.slug, consultation.pk)
    return page(
        request,
        "consultations/staff/import.html",
        project,
        role,
        status=400 if form.errors else 200,
        consultation=consultation,
        form=form,
        report=report,
        run=run,
        offer_leave_out=offer_leave_out,
        import_now_rows=imports.IMPORT_NOW_ROWS,
        recent=_recent_imports(consultation),
        questions=results.questions_of(consultation),
    )


def import_run_page(request: HttpRequest, slug: str, consultation_id: int, run_id: int) -> HttpResponse:
    """One import: its progress while it runs (the page reloads itself every 3 seconds), then its report."""
    project, role, consultation = get_consultation_for_user(request.user, slug, consultation_id, ENTER)
    run = (
        ImportRun.objects.filter(consultation=consultation, pk=run_id)
        .select_related("uploaded_by")
        .defer("text")
        .first()
    )
    if run is None:
        raise Http404
    last_seen = run.updated_at or run.created_at
    stalled = run.in_progress and last_seen < timezone.now() - IMPORT_STALLED
    finished = run.status in (ImportStatus.DONE, ImportStatus.FAILED)
    return page(
        request,
        "consultations/staff/import_run.html",
        project,
        role,
        consultation=consultation,
        run=run,
        report=imports.report_from_data(run.report) if finished and run.report else None,
        stalled=stalled,
        refresh=run.in_progress and not stalled,
    )


def import_template(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    _project, _role, consultation = get_consultation_for_user(request.user, slug, consultation_id, ENTER)
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe(h) for h in imports.template_header(consultation)])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="consultation-{consultation.pk}-import-template.csv"'
    return response
