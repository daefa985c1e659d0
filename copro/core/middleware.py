from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from copro.core.forms import DuplicateSubmission


class DomainErrorsMiddleware:
    """Turn domain exceptions that escape a view into clear pages with the right 4xx status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DuplicateSubmission):
            return render(request, "409.html", {"message": str(exception)}, status=409)
        return None
