"""Forms for governance reports: the period, reach targets and shareable links."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.core.models import EntryChannel
from copro.followthrough.reports import Period
from copro.projects.models import MemberRole

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A shared link works for 1 to 90 days.
SHARE_DAYS_MAX = 90


class PeriodForm(forms.Form):
    """The period a report covers, sent in the address (?start=&end=), so a report can be bookmarked."""

    start = forms.DateField(label=_("From"), widget=DATE_INPUT, help_text=_("The first day of the period."))
    end = forms.DateField(label=_("To"), widget=DATE_INPUT, help_text=_("The last day of the period."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            # The same rules as the service: dates from 2000 to ten years ahead, end on or after start, at
            # most five years.
            try:
                Period(start, end).check()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        self.add_error(name if name in self.fields else None, message)
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])


ROLE_CHOICES = [("", _("Everyone, whatever their role")), *MemberRole.choices]
CHANNEL_CHOICES = [("", _("Any channel")), *EntryChannel.choices]


class ReachTargetForm(OnceForm):
    label = forms.CharField(
        label=_("Who the target is for"),
        max_length=200,
        help_text=_("In plain words, for example “Young people”, “People reached on paper” or “Everyone”."),
    )
    role = forms.ChoiceField(label=_("Role in the project"), choices=ROLE_CHOICES, required=False)
    channel = forms.ChoiceField(label=_("How they reach us"), choices=CHANNEL_CHOICES, required=False)
    target = forms.IntegerField(
        label=_("How many"),
        min_value=1,
        max_value=10_000_000,
        help_text=_(
            "For a role: people. For a channel, or everyone: contributions (responses, pins, ideas, feedback)."
        ),
    )


class ShareForm(OnceForm):
    start = forms.DateField(widget=forms.HiddenInput)
    end = forms.DateField(widget=forms.HiddenInput)
    days = forms.IntegerField(
        label=_("The link works for this many days"),
        min_value=1,
        max_value=SHARE_DAYS_MAX,
        initial=14,
        help_text=_("From 1 to 90 days. You can withdraw every link at any time."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end"):
            try:
                Period(data["start"], data["end"]).check()
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from None
        return data
