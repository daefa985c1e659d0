"""Forms for staff: entering a response given offline, importing a file, filtering responses and results."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.core.models import OFFLINE_ENTRY_CHANNELS, EntryChannel

OFFLINE_CHOICES = [(c.value, c.label) for c in OFFLINE_ENTRY_CHANNELS]


class EntryForm(OnceForm):
    """About the response being typed in (the answers themselves are the questions' own fields)."""

    channel = forms.ChoiceField(
        label=_("How did this response reach us?"),
        choices=OFFLINE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how this response reached us: paper, phone, drop-in or outreach.")},
    )
    batch = forms.CharField(
        label=_("Batch (optional)"),
        max_length=100,
        required=False,
        help_text=_("For example “Ely library drop-in, 3 May”: it helps to check a pile of forms later."),
    )
    given_on = forms.DateField(
        label=_("Date the response was given (optional)"),
        required=False,
        help_text=_("Leave empty for today. For example 2021-03-31."),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date, for example 2021-03-31.")},
    )
    hear_back = forms.BooleanField(
        label=_("The person asked to hear what happens as a result"),
        required=False,
    )

    def clean_given_on(self) -> Any:
        day = self.cleaned_data.get("given_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The date the response was given cannot be in the future."))
        return day


class ImportForm(OnceForm):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 CSV, at most 5 MB. The first row names the questions (download the template below)."),
        error_messages={"required": _("Choose the CSV file to import."), "empty": _("The file is empty.")},
    )
    batch = forms.CharField(
        label=_("Batch (optional)"),
        max_length=100,
        required=False,
        help_text=_("Used for rows without a batch column of their own."),
    )


class ResponseFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    batch = forms.CharField(label=_("Batch"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ChoiceField)
        channel.choices = [("", _("All channels")), *EntryChannel.choices]
