"""Forms for the live feed. The services check everything again; these give people good messages first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.live.models import EntryKind, QuestionKind
from copro.live.services import ALT_MAX, ANSWER_MAX, QUESTION_MAX, REASON_MAX, TEXT_MAX


class EntryForm(OnceForm):
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=EntryKind.choices,
        initial=EntryKind.NOTE,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what this is: a note, a decision or an action.")},
    )
    text = forms.CharField(
        label=_("What happened"),
        help_text=_("Plain text. Everyone watching sees it as soon as you post it."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX,
        required=False,
    )
    photo = forms.FileField(
        label=_("A photo (optional)"),
        help_text=_(
            "JPEG, PNG or WebP, up to 5 MB. We remove the hidden details a photo carries, such as where it was taken."
        ),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "data-max-bytes": "5242880"}
        ),
    )
    photo_alt = forms.CharField(
        label=_("What the photo shows"),
        help_text=_("Needed with a photo, for people who cannot see it."),
        max_length=ALT_MAX,
        required=False,
    )


class EntryCorrectForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it?"), choices=EntryKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("What happened"),
        help_text=_("The first version is kept: people see that the entry was corrected."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=TEXT_MAX,
        required=False,
    )
    photo_alt = forms.CharField(label=_("What the photo shows"), max_length=ALT_MAX, required=False)

    def __init__(self, *args: Any, has_photo: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_photo:
            del self.fields["photo_alt"]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is withdrawn (optional)"),
        help_text=_("Shown in its place, for example: “Posted by mistake” or “Wrong figures: see the next entry”."),
        max_length=REASON_MAX,
        required=False,
    )


class QuestionForm(OnceForm):
    kind = forms.ChoiceField(
        label=_("Is it a question or a comment?"),
        choices=QuestionKind.choices,
        initial=QuestionKind.QUESTION,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Your question or comment"),
        help_text=_("A moderator reads it before everyone can see it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=QUESTION_MAX,
        error_messages={"required": _("Write your question or comment first.")},
    )
    show_name = forms.BooleanField(label=_("Show my name with it"), required=False)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        help_text=_("Shown under the question, now and in the record of the meeting. Leave empty to remove it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=ANSWER_MAX,
        required=False,
    )


class ReporterForm(forms.Form):
    member = forms.TypedChoiceField(
        label=_("Member to appoint"),
        coerce=int,
        empty_value=None,
        error_messages={"required": _("Choose a member."), "invalid_choice": _("Choose one of the project's members.")},
    )

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, forms.ChoiceField)
        choices: list[tuple[Any, Any]] = [("", _("Choose a member")), *members]
        field.choices = choices
