"""Form helpers shared by every component."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

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
