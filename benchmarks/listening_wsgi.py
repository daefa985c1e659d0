"""WSGI entry point for benchmarks/listening.py: Copro exactly as deployed, plus the baseline.

The baseline is the bare Django view of benchmarks/foundation.py (a minimal template rendered through
the same middleware stack), added in front of Copro's own routes so that gunicorn serves both in the
same run. Served as `gunicorn listening_wsgi:application` with benchmarks/ on the Python path.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import clear_url_caches, path

from copro.wsgi import application

BASELINE_PATH = "/__bench_baseline__/"


def baseline_view(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string("<!DOCTYPE html><html><body><h1>{{ title }}</h1></body></html>")
    return HttpResponse(template.render({"title": "baseline"}, request))


def install_baseline_url() -> None:
    import copro.urls

    copro.urls.urlpatterns.insert(0, path(BASELINE_PATH.strip("/") + "/", baseline_view))
    clear_url_caches()


install_baseline_url()

__all__ = ["application"]
