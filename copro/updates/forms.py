from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.core.models import Visibility
from copro.updates.models import Frequency


class UpdateForm(OnceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("What you want to tell people"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text is fine. Simple formatting (bold, lists, links) is kept; anything else is removed."),
    )
    visibility = forms.ChoiceField(
        label=_("Who can read it"),
        widget=forms.RadioSelect,
        initial=Visibility.PUBLIC,
        choices=[
            (Visibility.PUBLIC, _("Everyone (and it is emailed to subscribers)")),
            (Visibility.MEMBERS, _("Project members only")),
        ],
    )
    # Named "about", not "consultation": the subscribe form on the same page has a "consultation" field,
    # and two inputs with one id would confuse screen readers.
    about = forms.TypedChoiceField(
        label=_("Is it about one consultation?"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("People who subscribed to that consultation alone get it too."),
    )

    def __init__(self, *args: Any, consultations: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if consultations:
            about = self.fields["about"]
            assert isinstance(about, forms.TypedChoiceField)
            about.choices = [("", _("No, the whole project")), *consultations]
        else:
            del self.fields["about"]  # a project without consultations: nothing to choose


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)
    frequency = forms.ChoiceField(
        label=_("How often"),
        widget=forms.RadioSelect,
        choices=Frequency.choices,
        initial=Frequency.IMMEDIATE,
        # Optional: a form (or API client) that does not ask gets each update as it is published.
        required=False,
    )
    # Set when subscribing to one consultation's updates only; checked against the project in the view.
    consultation = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean_frequency(self) -> str:
        return self.cleaned_data.get("frequency") or Frequency.IMMEDIATE


class FrequencyForm(forms.Form):
    frequency = forms.ChoiceField(label=_("How often"), widget=forms.RadioSelect, choices=Frequency.choices)
