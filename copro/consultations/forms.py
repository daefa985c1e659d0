"""Forms for building a consultation. The answers themselves are read by copro.consultations.answers
(one format for every channel), not by Django forms: each question is a different shape."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.consultations.models import Consultation, Question, QuestionKind, ResultsVisibility, Section
from copro.core.forms import OnceForm

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ConsultationForm(OnceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    intro = forms.CharField(
        label=_("What this consultation is about"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    how_used = forms.CharField(
        label=_("How responses will be used"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Everyone sees this before they answer. Plain words: who reads the responses, what they can change, "
            "and when people will hear back."
        ),
    )
    opens_at = forms.DateTimeField(
        label=_("Opens (optional)"),
        required=False,
        widget=DATETIME,
        help_text=_("Leave empty to take responses as soon as you open it."),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes (optional)"),
        required=False,
        widget=DATETIME,
        help_text=_("Leave empty to close it yourself."),
    )
    allow_anonymous = forms.BooleanField(
        label=_("People can respond without an account"),
        required=False,
        help_text=_("One response per browser, protected against repeats. Signed-in people still respond once."),
    )
    results_visibility = forms.ChoiceField(
        label=_("Who can see the results"),
        choices=ResultsVisibility.choices,
        widget=forms.RadioSelect,
        initial=ResultsVisibility.AFTER_CLOSE,
    )
    map: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Map for location questions (optional)"),
        queryset=None,
        required=False,
        empty_label=_("No map"),
        help_text=_("A location question uses the map's area and its list of named places."),
    )

    def __init__(self, *args: Any, project: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from copro.maps.models import Map

        field = self.fields["map"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Map.objects.filter(project=project).order_by("title", "id")

    @staticmethod
    def initial_from(consultation: Consultation) -> dict[str, Any]:
        return {
            "title": consultation.title,
            "intro": consultation.intro,
            "how_used": consultation.how_used,
            "opens_at": consultation.opens_at,
            "closes_at": consultation.closes_at,
            "allow_anonymous": consultation.allow_anonymous,
            "results_visibility": consultation.results_visibility,
            "map": consultation.map_id,
        }


class SectionForm(forms.Form):
    title = forms.CharField(label=_("Section title"), max_length=200)
    intro = forms.CharField(
        label=_("Introduction (optional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    show_if = forms.ChoiceField(
        label=_("Show this section"),
        required=False,
        help_text=_("People who give a different answer skip this section: its questions are not asked."),
    )

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", str(_("To everyone")))]
        for q in questions:
            for index, option in enumerate(q.choices):
                label = _("Only if “%(question)s” is “%(option)s”") % {"question": q.text, "option": option}
                choices.append((f"{q.pk}:{index}", str(label)))
        field = self.fields["show_if"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        self.questions = {q.pk: q for q in questions}

    def condition(self) -> tuple[Question | None, int | None]:
        raw = self.cleaned_data.get("show_if") or ""
        if not raw:
            return None, None
        question_id, index = (int(part) for part in raw.split(":"))
        return self.questions[question_id], index


class QuestionForm(forms.Form):
    section = forms.TypedChoiceField(label=_("In the section"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind of question"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("The question"), max_length=500)
    help_text = forms.CharField(label=_("Help (optional)"), max_length=500, required=False)
    choices = forms.CharField(
        label=_("Options, one per line"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single choice, multiple choice and ranking questions: at least two. Leave empty otherwise."),
    )
    required = forms.BooleanField(label=_("An answer is needed"), required=False)
    private = forms.BooleanField(
        label=_("An “about you” question"),
        required=False,
        help_text=_(
            "Always optional for people, and only ever counted: never shown next to a person's other answers. "
            "Choices or a scale only."
        ),
    )

    def __init__(self, *args: Any, sections: list[Section], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["section"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(s.pk, s.title) for s in sections]
        if sections and not self.is_bound:
            self.initial.setdefault("section", sections[-1].pk)

    def choice_lines(self) -> list[str]:
        return (self.cleaned_data.get("choices") or "").splitlines()


class CloseForm(forms.Form):
    """Nothing to fill in: a button, confirmed on a page that says what closing means."""
