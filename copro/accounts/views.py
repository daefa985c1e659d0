from __future__ import annotations

import json
from typing import cast

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from copro.accounts import services
from copro.accounts.forms import DeleteAccountForm, ProfileForm
from copro.accounts.models import User

# The language someone chooses is remembered for a year (the switcher and the profile agree).
_LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def _person(request: HttpRequest) -> User:
    """The signed-in person: every view that calls this is behind login_required."""
    return cast(User, request.user)


def _remember_language(response: HttpResponse, language: str) -> None:
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=_LANGUAGE_COOKIE_AGE, samesite="Lax")


@never_cache  # personal details: not kept in the cache of a shared computer
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        response = redirect("profile")
        _remember_language(response, form.cleaned_data["preferred_language"])
        return response
    return render(request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@login_required
def download_my_data(request: HttpRequest) -> HttpResponse:
    data = services.account_export(user=_person(request))
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-copro-data.json"'
    return response


@never_cache
@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    if request.method == "POST":
        # The password field is a password check: limited like allauth's re-authentication
        # (ACCOUNT_RATE_LIMITS["reauthenticate"]: 10 a minute per person), so a session left open
        # on a shared computer cannot be used to guess the password.
        too_many = ratelimit.consume_or_429(request, action="reauthenticate", user=user)
        if too_many is not None:
            return too_many
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.account_erase(user=user)
        logout(request)
        messages.success(request, _("Your account is deleted. What you contributed stays, without your name."))
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def two_factor_required(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/two_factor_required.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language (works without JavaScript); saved on a signed-in person's profile."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        _remember_language(response, language)
        if request.user.is_authenticated:
            request.user.preferred_language = language
            request.user.save(update_fields=["preferred_language"])
    return response
