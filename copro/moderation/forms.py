from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.moderation.services import HIDE_REASON_MAX, REASON_MAX


class ReportForm(OnceForm):
    reason = forms.CharField(
        label=_("What is wrong with it?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example: it is unkind to someone, it shares someone's personal details, or it is advertising. "
            "The person who wrote it is not told who reported it."
        ),
        error_messages={"required": _("Say in a few words what is wrong with it.")},
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it hidden?"),
        max_length=HIDE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In plain words, naming the rule it breaks. The author is told this reason by email."),
        error_messages={"required": _("Say why, in plain words: the author is told this reason.")},
    )
