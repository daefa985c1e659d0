"""The shared shape of a page saving a valid form through a service (copro.core.forms.run_service)."""

import uuid

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from copro.core.forms import claim_token, run_service


class NameForm(forms.Form):
    name = forms.CharField()


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _said(request):
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def test_a_service_that_works_shows_the_success_message(db):
    request, form, saved = _request(), NameForm({"name": "Siân"}), []
    assert form.is_valid()
    assert run_service(request, form, lambda: saved.append(form.cleaned_data["name"]), "Saved.") is True
    assert saved == ["Siân"] and _said(request) == [("success", "Saved.")] and not form.errors


def test_a_refusal_puts_the_services_errors_on_the_form_beside_their_fields(db):
    request, form = _request(), NameForm({"name": "x"})
    assert form.is_valid()

    def refuse():
        raise ValidationError({"name": "Too short.", "other": "Not a field of this form."})

    assert run_service(request, form, refuse, "Saved.") is False
    assert form.errors["name"] == ["Too short."] and form.non_field_errors() == ["Not a field of this form."]
    assert _said(request) == []


def test_a_double_submission_says_so_and_saves_nothing_twice(db):
    request, form, token, saved = _request(), NameForm({"name": "y"}), uuid.uuid4(), []
    assert form.is_valid()

    def save():
        claim_token(token)
        saved.append(1)

    assert run_service(request, form, save, "Saved.") is True
    assert run_service(request, form, save, "Saved.") is True
    assert saved == [1]
    assert _said(request) == [
        ("success", "Saved."),
        ("info", "This form has already been sent. Nothing was saved twice."),
    ]
