"""Governance reports, co-production health and open data: the pages. Thin: access, form, gather, render."""

from __future__ import annotations

import csv
import json
import logging
import mimetypes
import os
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from copro.core.csvfiles import BOM, Echo, csv_response
from copro.core.forms import parse_id, run_service
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.followthrough import health as health_data
from copro.followthrough import opendata, reports
from copro.followthrough.models import ReachTarget
from copro.followthrough.report_forms import PeriodForm, ReachTargetForm, ShareForm
from copro.projects.models import Project, ProjectVisibility
from copro.projects.views import page, project_view

logger = logging.getLogger(__name__)
# WeasyPrint logs each step of every PDF at INFO ("Step 5 - Creating layout - Page 2"): keep only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# WeasyPrint resolves relative addresses against this base; the fetcher serves nothing but our static files.
PDF_BASE_URL = "https://copro.invalid/"


# --- The period in the address --------------------------------------------------------------------------------


def _period_form(request: HttpRequest) -> tuple[PeriodForm, reports.Period | None]:
    """The period from ?start=&end=, or the last full quarter when neither is given."""
    if "start" not in request.GET and "end" not in request.GET:
        default = reports.default_period()
        return PeriodForm(initial={"start": default.start, "end": default.end}), default
    form = PeriodForm(request.GET)
    return form, (form.period() if form.is_valid() else None)


def _period_query(period: reports.Period) -> str:
    return urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})


# --- The report ---------------------------------------------------------------------------------------------------


@project_view("reports.view")
def report(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form, period = _period_form(request)
    context: dict[str, Any] = {"form": form}
    if period is not None:
        context["report"] = reports.report_data(project, period, reports.report_visibilities(role))
        context["query"] = _period_query(period)
        if TABLE.allowed(role, "reports.share"):
            context["share_form"] = ShareForm(initial={"start": period.start, "end": period.end})
    if TABLE.allowed(role, "reports.targets"):
        context["targets_url"] = reverse("reports:targets", args=[project.slug])
    return page(
        request,
        "followthrough/reports/report.html",
        project,
        role,
        status=400 if form.errors else 200,
        **context,
    )


@project_view("reports.view")
def report_pdf(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form, period = _period_form(request)
    if period is None:
        return page(request, "followthrough/reports/report.html", project, role, status=400, form=form)
    data = reports.report_data(project, period, reports.report_visibilities(role))
    return _pdf_response(request, data)


def _pdf_response(request: HttpRequest, data: reports.Report) -> HttpResponse:
    try:
        pdf = render_pdf(request, data)
    except PdfUnavailable as error:
        logger.error("PDF reports are unavailable: %s", error)
        return render(
            request,
            "followthrough/reports/pdf_unavailable.html",
            {"project": data.project, "query": _period_query(data.period)},
            status=503,
        )
    filename = f"{data.project.slug}-report-{data.period.start.isoformat()}-{data.period.end.isoformat()}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


class PdfUnavailable(Exception):
    """WeasyPrint (or the Pango library it needs) cannot be loaded on this server."""


def static_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves our own static files (the print stylesheet) and refuses every
    other address, so making a PDF never touches the network or the file system beyond static files."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    prefix = PDF_BASE_URL.rstrip("/") + settings.STATIC_URL

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith(prefix):
                raise ValueError(f"Refused to fetch {url[:200]!r}: PDFs use only Copro's own static files.")
            relative = url[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
            if ".." in relative.split("/"):
                raise ValueError("Refused: not a static file.")
            path = _static_path(relative)
            if path is None:
                raise ValueError(f"No static file {relative!r}.")
            with open(path, "rb") as f:
                body = f.read()
            mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": mime})

    return StaticOnlyFetcher()


def _static_path(relative: str) -> str | None:
    """The file of a static path: from the app folders (development, tests), or, in production, from the
    collected files under STATIC_ROOT (where names carry their content hash, e.g. print.3e3a0de726c6.css)."""
    found = finders.find(relative)
    if isinstance(found, str):
        return found
    root = os.path.realpath(settings.STATIC_ROOT) if settings.STATIC_ROOT else None
    if root is None:
        return None
    candidate = os.path.realpath(os.path.join(root, relative))
    if candidate.startswith(root + os.sep) and os.path.isfile(candidate):
        return candidate
    return None


def render_pdf(request: HttpRequest | None, data: reports.Report, *, document: bool = False) -> Any:
    """The report as PDF bytes (or WeasyPrint's laid-out document, for tests that read its pages)."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the Pango library is missing
        raise PdfUnavailable(str(error)) from error
    html = render_to_string("followthrough/reports/report_pdf.html", {"report": data}, request=request)
    started = time.perf_counter()
    doc = weasyprint.HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=static_only_fetcher()).render()
    if document:
        return doc
    # Tagged (headings, tables, reading order), so screen readers can read the PDF too.
    pdf = doc.write_pdf(pdf_tags=True)
    logger.info("PDF report for %s made in %.2f s", data.project.slug, time.perf_counter() - started)
    return pdf


# --- Reach targets -------------------------------------------------------------------------------------------


@project_view("reports.targets")
def targets(request: HttpRequest, project: Project, role: Role) -> HttpResponseBase:
    form = ReachTargetForm(request.POST or None)
    if request.method == "POST":
        if "remove" in request.POST:
            target_id = parse_id(request.POST.get("remove"))
            target = ReachTarget.objects.filter(project=project, pk=target_id).first() if target_id else None
            if target is None:
                raise Http404
            reports.reach_target_remove(user=actor(request), target=target)
            messages.success(request, _("The target is removed."))
            return redirect("reports:targets", project.slug)
        if form.is_valid():
            data = form.cleaned_data
            if run_service(
                request,
                form,
                lambda: reports.reach_target_set(
                    user=actor(request),
                    project=project,
                    label=data["label"],
                    role=data["role"],
                    channel=data["channel"],
                    target=data["target"],
                    form_token=data["form_token"],
                ),
                _("The target is saved. Reports now show how close you are."),
            ):
                return redirect("reports:targets", project.slug)
    return page(
        request,
        "followthrough/reports/targets.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        targets=ReachTarget.objects.filter(project=project),
    )


# --- Shared links ------------------------------------------------------------------------------------------------


@require_POST
@project_view("reports.share")
def share(request: HttpRequest, project: Project, role: Role) -> HttpResponseBase:
    if "withdraw" in request.POST:
        reports.share_links_withdraw(user=actor(request), project=project)
        messages.success(request, _("Every link to this project's reports has been withdrawn. They no longer work."))
        return redirect("reports:report", project.slug)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("reports:report", project.slug)
    data = form.cleaned_data
    period = reports.Period(data["start"], data["end"])
    try:
        token, expires = reports.share_link_make(user=actor(request), project=project, period=period, days=data["days"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reports:report", project.slug)
    link = request.build_absolute_uri(reverse("reports:shared", args=[token]))
    return page(
        request,
        "followthrough/reports/shared_made.html",
        project,
        role,
        link=link,
        expires=expires,
        period=period,
        query=_period_query(period),
    )


def _shared(token: str) -> tuple[Project, reports.Period]:
    found = reports.share_link_read(token)
    if found is None:
        raise Http404
    return found


def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    project, period = _shared(token)
    data = reports.report_data(project, period, reports.report_visibilities(Role.OBSERVER))
    response = render(
        request,
        "followthrough/reports/shared.html",
        {"report": data, "project": project, "token": token},
    )
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address: never pass it on
    response["X-Robots-Tag"] = "noindex"
    return response


def shared_report_pdf(request: HttpRequest, token: str) -> HttpResponse:
    project, period = _shared(token)
    data = reports.report_data(project, period, reports.report_visibilities(Role.OBSERVER))
    response = _pdf_response(request, data)
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- Co-production health ------------------------------------------------------------------------------------


@project_view("reports.health")
def health(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    health = health_data.project_health(project, reports.report_visibilities(role))
    return page(request, "followthrough/reports/health.html", project, role, health=health)


# --- Open data -------------------------------------------------------------------------------------------------


@project_view("reports.opendata")
def opendata_index(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    datasets = [
        {"key": key, "label": label, "fields": opendata.FIELDS[key]} for key, label in opendata.DATASETS.items()
    ]
    return page(
        request,
        "followthrough/reports/opendata.html",
        project,
        role,
        datasets=datasets,
        version=opendata.FORMAT_VERSION,
        page_size=opendata.FEED_PAGE_SIZE,
    )


def _cache_public(response: HttpResponseBase, project: Project) -> None:
    """Public projects' open data may be cached by anyone for 5 minutes; others' only by the reader."""
    if project.visibility == ProjectVisibility.PRIVATE:
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
    else:
        patch_cache_control(response, public=True, max_age=opendata.PUBLIC_MAX_AGE)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])


@project_view("reports.opendata")
def opendata_export(request: HttpRequest, project: Project, role: Role, dataset: str, fmt: str) -> HttpResponseBase:
    if dataset not in opendata.ROWS or fmt not in ("csv", "json"):
        raise Http404
    filename = f"{project.slug}-{dataset}.{fmt}"
    fields = [name for name, _help in opendata.FIELDS[dataset]]
    response: HttpResponseBase
    if fmt == "json":
        body = {
            "version": opendata.FORMAT_VERSION,
            "project": project.slug,
            "dataset": dataset,
            "generated_at": timezone.now().isoformat(),
            "fields": fields,
            "items": list(opendata.rows(dataset, project)),
        }
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
        )
    else:

        def lines() -> Iterator[str]:
            writer = csv.DictWriter(Echo(), fieldnames=fields)
            yield BOM
            yield writer.writeheader()
            for row in opendata.rows(dataset, project):
                yield writer.writerow({k: opendata.csv_safe(row.get(k, "")) for k in fields})

        response = csv_response(request, lines(), filename)
        _cache_public(response, project)
        return response
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    _cache_public(response, project)
    return response


@project_view("reports.opendata")
def feed(request: HttpRequest, project: Project, role: Role) -> HttpResponseBase:
    raw = request.GET.get("before")
    before = None
    if raw is not None:
        before = parse_id(raw)
        if before is None:
            return JsonResponse({"error": "before must be an entry id from a previous page's next link."}, status=400)
    language = get_language() or settings.LANGUAGE_CODE
    etag = opendata.feed_etag(project, before, language)
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponseBase = HttpResponse(status=304)
    else:
        data = opendata.feed_page(project, before)
        base = request.build_absolute_uri(reverse("reports:feed", args=[project.slug]))
        body = {
            "version": opendata.FORMAT_VERSION,
            "project": {
                "slug": project.slug,
                "title": project.title,
                "url": request.build_absolute_uri(reverse("projects:detail", args=[project.slug])),
            },
            "self": base + (f"?{urlencode({'before': before})}" if before else ""),
            "next": f"{base}?{urlencode({'before': data['next_before']})}" if data["next_before"] else None,
            "page_size": opendata.FEED_PAGE_SIZE,
            "language": language,
            "items": data["items"],
        }
        response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["ETag"] = etag
    _cache_public(response, project)
    return response
