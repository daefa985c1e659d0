from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from copro.accounts.models import User
from copro.projects import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "home.html",
        {
            "projects": selectors.projects_listed(request.user)[:50],
            "my_memberships": selectors.my_projects(request.user),
        },
    )


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure is reported, not raised
        return JsonResponse({"status": "error", "database": "unavailable", "error": exc.__class__.__name__}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def actor(request: HttpRequest) -> User:
    """The signed-in person making a change. Writes are never made in the name of an anonymous visitor."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    return request.user
