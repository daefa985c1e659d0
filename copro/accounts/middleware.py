from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

# Paths a member of organisation staff may use before setting up two-factor authentication.
_TWO_FACTOR_EXEMPT = ("/accounts/", "/static/", "/language/", "/healthz", "/admin/logout/")


class PreferredLanguageMiddleware:
    """A signed-in person's preferred language wins over the browser's.

    An explicit choice (the language cookie, set by the switcher or the profile) wins over both.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.preferred_language
        ):
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)


def needs_two_factor(user: Any) -> bool:
    """True for staff, site administrators and facilitators who have not set up two-factor authentication
    (TOTP) yet: until they do, they see nothing else (and what acts for them, such as a calendar key, neither)."""
    return bool(
        (user.is_staff or user.is_org_staff or user.project_memberships.filter(role="facilitator").exists())
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )


class StaffTwoFactorMiddleware:
    """Staff, site administrators and facilitators must use two-factor authentication (TOTP) first.

    Both can see other people's personal data (access needs, contact details), so a password alone
    is not enough.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_TWO_FACTOR_EXEMPT)
            and needs_two_factor(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Staff must set up two-factor authentication first.")},
                    status=403,
                )
            return redirect("two_factor_required")
        return self.get_response(request)
