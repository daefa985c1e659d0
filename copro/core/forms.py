"""Form helpers shared by every component."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from copro.core.models import FormSubmission


class DuplicateSubmission(Exception):
    """The same form was submitted twice (a double click, a resent request). Shown as a 409."""


class OnceForm(forms.Form):
    """A form that can be submitted once: it carries a token, claimed inside the service's transaction."""

    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4())


class OnceModelForm(forms.ModelForm):
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4())


def claim_token(token: uuid.UUID | None) -> None:
    """Call inside the service's transaction. A token seen before raises DuplicateSubmission.

    Forms without a token (API clients, scripts) are not deduplicated here; their own unique
    constraints protect them.
    """
    if token is None:
        return
    try:
        with transaction.atomic():
            FormSubmission.objects.create(token=token)
    except IntegrityError:
        raise DuplicateSubmission(_("This form has already been sent. Nothing was saved twice.")) from None


def errors_to_form(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors beside their fields, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def run_service(request: HttpRequest, form: forms.BaseForm, call: Callable[[], object], success: StrOrPromise) -> bool:
    """The one shape of a page that saves a valid form through a service.

    Runs `call` (the service). Worked: shows `success` and returns True (the view redirects). A double
    submission: says so, nothing is saved twice, and returns True as well. Refused (ValidationError): puts
    the service's errors on the form and returns False (the view shows the form again, with a 400).
    """
    try:
        call()
    except DuplicateSubmission as error:
        messages.info(request, str(error))
        return True
    except ValidationError as error:
        errors_to_form(form, error)
        return False
    messages.success(request, success)
    return True


# --- Numbers typed or sent by people -------------------------------------------------------------------

ID_LIMIT = 2**63  # ids are 64-bit signed integers in the database; a larger number names nothing
_ASCII_DIGITS = frozenset("0123456789")


def whole_number(raw: object, *, max_digits: int = 19) -> int | None:
    """A whole number of at most max_digits plain digits 0-9, or None.

    The way numbers from requests (query strings, form fields, imported cells) are read. str.isdigit() is not
    enough: it accepts '²' and '①', which int() refuses, and int() itself accepts other scripts' digits and
    would spend time on thousands of digits. A value that is already an int (not a bool) is taken as it is.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 and len(str(raw)) <= max_digits else None
    if not isinstance(raw, str) or not 0 < len(raw) <= max_digits or not _ASCII_DIGITS.issuperset(raw):
        return None
    return int(raw)


def parse_id(raw: object) -> int | None:
    """The id of a row (a category, a place) from a request, or None if it cannot be one: not plain digits,
    zero, or too large for the database (SQLite raises OverflowError on such a number)."""
    number = whole_number(raw)
    return number if number is not None and 0 < number < ID_LIMIT else None


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """Several rows chosen by id (ticked boxes). A value that cannot be an id (not plain digits, or too large
    for the database: SQLite raises OverflowError) is refused as an invalid choice before any query."""

    def _check_values(self, value: Any) -> Any:
        for raw in value if isinstance(value, (list, tuple)) else [value]:
            if parse_id(raw) is None:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": raw}
                )
        return super()._check_values(value)  # type: ignore[misc]  # (django-stubs lacks it)
