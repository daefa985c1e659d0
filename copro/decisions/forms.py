"""Forms for deciding. Ballot forms are built per decision and turn what was ticked into option codes;
every rule (min/max, caps, dots) is checked again by copro.decisions.counting.validate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.core.permissions import Role
from copro.core.templatetags.copro import money as money_text
from copro.decisions.models import (
    BudgetBallot,
    BudgetRule,
    Channel,
    Decision,
    Kind,
    Outcome,
    PollMethod,
    Process,
    Secrecy,
    Stance,
)
from copro.decisions.process import PROCESSES

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _default_close() -> Any:
    return (timezone.localtime() + timedelta(days=14)).replace(hour=17, minute=0, second=0, microsecond=0)


class DecisionBaseForm(OnceForm):
    title = forms.CharField(label=_("What is being decided"), max_length=200)
    description = forms.CharField(
        label=_("Background"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    how_used = forms.CharField(
        label=_("How the result will be used"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Everyone sees this before they vote: what happens with the result, and who acts on it."),
    )
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=DATETIME, initial=_default_close)


class ProposalForm(DecisionBaseForm):
    how_used = forms.CharField(
        label=_("How the result will be used"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave it empty to use the words of the process you choose."),
    )
    process = forms.ChoiceField(
        label=_("How it will be decided"),
        choices=[(p.value, format_lazy("{}: {}", p.label, PROCESSES[p.value]["summary"])) for p in Process],
        widget=forms.RadioSelect,
        initial=Process.CONSENT,
    )


class VoteSettingsMixin(forms.Form):
    secrecy = forms.ChoiceField(
        label=_("Ballot"), choices=Secrecy.choices, widget=forms.RadioSelect, initial=Secrecy.SECRET
    )
    hide_results = forms.BooleanField(
        label=_("Hide results until the vote closes"),
        required=False,
        initial=True,
        help_text=_(
            "Secret ballots always hide results until the vote closes: otherwise the moment the count changed "
            "could show how someone voted."
        ),
    )


class PollForm(DecisionBaseForm, VoteSettingsMixin):
    method = forms.ChoiceField(label=_("Voting method"), choices=PollMethod.choices, widget=forms.RadioSelect)
    min_choices = forms.IntegerField(label=_("Fewest choices (approval)"), min_value=1, max_value=500, required=False)
    max_choices = forms.IntegerField(label=_("Most choices (approval)"), min_value=1, max_value=500, required=False)
    max_score = forms.IntegerField(label=_("Highest score (score voting)"), min_value=1, max_value=100, required=False)
    dots = forms.IntegerField(label=_("Dots per person (dot voting)"), min_value=1, max_value=100, required=False)
    seats = forms.IntegerField(
        label=_("Number of winners (several winners)"), min_value=2, max_value=100, required=False
    )


class BudgetForm(DecisionBaseForm, VoteSettingsMixin):
    budget = forms.IntegerField(label=_("Budget to share"), min_value=1, max_value=10**13)
    ballot_kind = forms.ChoiceField(label=_("Ballot"), choices=BudgetBallot.choices, widget=forms.RadioSelect)
    rule = forms.ChoiceField(
        label=_("Counting rule"), choices=BudgetRule.choices, widget=forms.RadioSelect, initial=BudgetRule.MES_ADD1
    )
    threshold = forms.IntegerField(
        label=_("Minimum votes for a project to be funded"), min_value=0, max_value=2_000_000_000, initial=0
    )
    min_choices = forms.IntegerField(
        label=_("Fewest projects a person must choose"), min_value=1, max_value=500, required=False
    )
    max_choices = forms.IntegerField(
        label=_("Most projects a person may choose"), min_value=1, max_value=500, required=False
    )
    spending_cap = forms.IntegerField(
        label=_("Most money one ballot may choose (approval ballots)"), min_value=1, max_value=10**13, required=False
    )
    points = forms.IntegerField(
        label=_("Points per person (points ballots)"), min_value=1, max_value=1000, required=False
    )


CREATE_FORMS: dict[str, type[DecisionBaseForm]] = {
    Kind.PROPOSAL: ProposalForm,
    Kind.POLL: PollForm,
    Kind.BUDGET: BudgetForm,
}


class OptionForm(forms.Form):
    title = forms.CharField(label=_("Option"), max_length=200)
    description = forms.CharField(
        label=_("Details"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    cost = forms.IntegerField(label=_("Cost"), min_value=1, max_value=10**13, required=False)


class PbImportForm(forms.Form):
    file = forms.FileField(
        label=_("A Pabulib .pb file"),
        help_text=_("The projects, budget and rule are read from it; any votes in it are added as an imported batch."),
    )
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=DATETIME, initial=_default_close)


class RespondForm(forms.Form):
    stance = forms.ChoiceField(label=_("Your response"), choices=Stance.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Your reasons"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed if you disagree or block, so your objection can be answered."),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer to this objection"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(o.value, o.label) for o in Outcome if o != Outcome.COUNTED],
        widget=forms.RadioSelect,
        required=False,
    )
    statement = forms.CharField(
        label=_("The outcome in plain words"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rationale = forms.CharField(
        label=_("Why (for the decision log)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    review_on = forms.DateField(
        label=_("Review date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The facilitators are reminded on this date."),
    )


class CodesForm(forms.Form):
    count = forms.IntegerField(label=_("How many codes"), min_value=1, max_value=2000, initial=50)
    batch = forms.CharField(label=_("Batch name (for example the place and date)"), max_length=100)
    role = forms.ChoiceField(label=_("The voters' role"), choices=[])

    def __init__(self, *args: Any, decision: Decision, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _role_choices(self.fields["role"], decision)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Your voting code"), max_length=20)


# --- Ballots --------------------------------------------------------------------------------------


def _option_label(decision: Decision, option: Any) -> str:
    if decision.kind == Kind.BUDGET and option.cost is not None:
        return f"{option.title} — {money_text(option.cost, decision.currency)}"
    return option.title


class BallotForm(forms.Form):
    """One form for every kind of ballot. `choices()` gives the canonical value for counting.validate."""

    def __init__(self, *args: Any, decision: Decision, options: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision, self.options = decision, options
        labelled = [(o.code, _option_label(decision, o)) for o in options]
        self.shape = shape = ballot_shape(decision)
        if shape == "one":
            self.fields["choice"] = forms.ChoiceField(
                label=_("Your choice"), choices=labelled, widget=forms.RadioSelect
            )
        elif shape == "many":
            self.fields["choice"] = forms.MultipleChoiceField(
                label=_("Your choices"), choices=labelled, widget=forms.CheckboxSelectMultiple, required=False
            )
        elif shape in ("score", "points"):
            top = decision.max_score if shape == "score" else (decision.dots or decision.points or 1)
            for option in options:
                self.fields[f"o_{option.code}"] = forms.IntegerField(
                    label=_option_label(decision, option), min_value=0, max_value=top, required=False, initial=0
                )
        elif shape == "rank":
            ranks = [("", _("Not ranked"))] + [(str(i), str(i)) for i in range(1, len(options) + 1)]
            for option in options:
                self.fields[f"o_{option.code}"] = forms.ChoiceField(
                    label=_option_label(decision, option), choices=ranks, required=False
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.shape == "rank":
            ranks = [(int(v), k[2:]) for k, v in data.items() if k.startswith("o_") and v]
            numbers = [r for r, _code in ranks]
            if len(numbers) != len(set(numbers)):
                raise forms.ValidationError(_("Give each ranked option a different number."))
        return data

    def choices(self) -> Any:
        data = self.cleaned_data
        if self.shape == "one":
            return [data["choice"]]
        if self.shape == "many":
            return list(data["choice"])
        if self.shape in ("score", "points"):
            return {k[2:]: v for k, v in data.items() if k.startswith("o_") and v}
        ranked = sorted((int(v), k[2:]) for k, v in data.items() if k.startswith("o_") and v)
        return [code for _rank, code in ranked]


def ballot_shape(decision: Decision) -> str:
    if decision.kind == Kind.BUDGET:
        return "points" if decision.ballot_kind == BudgetBallot.CUMULATIVE else "many"
    if decision.kind != Kind.POLL or decision.method not in PollMethod.values:
        raise ValidationError(_("This decision has no ballot."))
    return {
        PollMethod.SINGLE: "one",
        PollMethod.APPROVAL: "many",
        PollMethod.SCORE: "score",
        PollMethod.DOTS: "points",
        PollMethod.IRV: "rank",
        PollMethod.STV: "rank",
    }[PollMethod(decision.method)]


class OfflineBallotForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("How the vote was given"),
        choices=[(Channel.PAPER.value, Channel.PAPER.label), (Channel.IN_PERSON.value, Channel.IN_PERSON.label)],
        widget=forms.RadioSelect,
        initial=Channel.PAPER,
    )
    batch = forms.CharField(
        label=_("Batch"), max_length=100, help_text=_("For example: Library drop-in, 3 March. Used to check the count.")
    )
    role = forms.ChoiceField(label=_("The voter's role"), choices=[])

    def __init__(self, *args: Any, decision: Decision, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _role_choices(self.fields["role"], decision)


def _role_choices(field: Any, decision: Decision) -> None:
    field.choices = [(r, Role(r).label) for r in decision.electorate_roles]
    field.initial = "participant" if "participant" in decision.electorate_roles else None
