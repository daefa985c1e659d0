from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.core.permissions import Role
from copro.projects import frameworks
from copro.projects.models import (
    DecisionMethod,
    MemberRole,
    Organisation,
    Project,
    ProjectVisibility,
    ScopeChange,
    ScopeItem,
    ScopeKind,
    currency_code,
)

FIXED_ROWS = 5  # blank fixed lines on the create form; more can be added on the scope page
VOTING_ROLE_CHOICES = [
    (Role.PARTICIPANT.value, _("Participants")),
    (Role.EXPERT.value, _("Experts")),
    (Role.FACILITATOR.value, _("Facilitators")),
    (Role.OBSERVER.value, _("Observers")),
]


class DateInput(forms.DateInput):
    input_type = "date"


class OrganisationForm(OnceForm):
    name = forms.CharField(label=_("Name of the organisation"), max_length=200)
    description = forms.CharField(
        label=_("About the organisation"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ProjectCreateForm(OnceForm):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Organisation"))
    title = forms.CharField(label=_("Title"), max_length=200)
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why this project exists, in plain words."),
    )
    visibility = forms.ChoiceField(
        label=_("Who can see it"),
        choices=ProjectVisibility.choices,
        initial=ProjectVisibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    budget_amount = forms.DecimalField(
        label=_("Budget (optional)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    budget_currency = forms.CharField(label=_("Currency"), max_length=3, initial="GBP", validators=[currency_code])
    can_influence = forms.CharField(
        label=_("What participants can influence"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One thing per line, for example: “Opening hours of the centre”."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.filter(memberships__user=user)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations
        if len(organisations) == 1:
            field.initial = organisations[0].pk
            field.empty_label = None
        for i in range(1, FIXED_ROWS + 1):
            self.fields[f"fixed_{i}_text"] = forms.CharField(
                label=_("Fixed line %(n)s: what cannot change") % {"n": i}, required=False, max_length=500
            )
            self.fields[f"fixed_{i}_reason"] = forms.CharField(
                label=_("Fixed line %(n)s: why") % {"n": i},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def fixed_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"fixed_{i}_text"], self[f"fixed_{i}_reason"]) for i in range(1, FIXED_ROWS + 1)]

    def clean_can_influence(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["can_influence"].splitlines() if line.strip()]
        if any(len(line) > 500 for line in lines):
            raise forms.ValidationError(_("Keep each line under 500 characters."))
        return lines

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        fixed = []
        for i in range(1, FIXED_ROWS + 1):
            text = (data.get(f"fixed_{i}_text") or "").strip()
            reason = (data.get(f"fixed_{i}_reason") or "").strip()
            if text and not reason:
                self.add_error(f"fixed_{i}_reason", _("Say why this is fixed, so people understand."))
            elif reason and not text:
                self.add_error(f"fixed_{i}_text", _("Say what is fixed."))
            elif text:
                fixed.append((text, reason))
        data["fixed"] = fixed
        return data


class ProjectEditForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "title",
            "purpose",
            "visibility",
            "budget_amount",
            "budget_currency",
            "budget_notes",
            "moderation_rules",
        ]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 5}),
            "budget_notes": forms.Textarea(attrs={"rows": 3}),
            "moderation_rules": forms.Textarea(attrs={"rows": 6}),
            "visibility": forms.RadioSelect,
        }


class DecisionRulesForm(forms.Form):
    decision_method = forms.ChoiceField(
        label=_("How decisions are usually made"), choices=DecisionMethod.choices, widget=forms.RadioSelect
    )
    decision_rules = forms.CharField(
        label=_("Decision rules in plain words"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who decides what, and how. Everyone sees this before they vote."),
    )
    voting_roles = forms.MultipleChoiceField(
        label=_("Who may vote"), choices=VOTING_ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in VOTING_ROLE_CHOICES:
            self.fields[f"weight_{value}"] = forms.IntegerField(
                label=_("How much one vote counts: %(role)s") % {"role": label},
                min_value=1,
                max_value=10,
                initial=1,
                help_text=_("1 for everyone means equal votes."),
            )

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{value}"] for value, _label in VOTING_ROLE_CHOICES]

    def vote_weights(self) -> dict[str, int]:
        return {
            value: self.cleaned_data[f"weight_{value}"]
            for value, _label in VOTING_ROLE_CHOICES
            if self.cleaned_data[f"weight_{value}"] != 1
        }


class PhaseForm(OnceForm):
    name = forms.CharField(label=_("Phase"), max_length=200)
    description = forms.CharField(
        label=_("What happens"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    starts_on = forms.DateField(label=_("Starts"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends"), widget=DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("A phase cannot end before it starts."))
        return data


class ScopeProposeForm(OnceForm):
    action = forms.ChoiceField(
        label=_("What change"),
        choices=ScopeChange.Action.choices,
        widget=forms.RadioSelect,
        initial=ScopeChange.Action.ADD,
    )
    item = forms.ModelChoiceField(
        queryset=ScopeItem.objects.none(), required=False, label=_("Which line (to change or remove)")
    )
    kind = forms.ChoiceField(
        label=_("Kind of line"), choices=ScopeKind.choices, widget=forms.RadioSelect, initial=ScopeKind.CAN
    )
    text = forms.CharField(label=_("The line"), max_length=500, required=False)
    reason = forms.CharField(
        label=_("Why it is fixed (for fixed lines)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    explanation = forms.CharField(
        label=_("Why make this change"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ScopeItem.objects.filter(project=project, removed_at__isnull=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action in (ScopeChange.Action.EDIT, ScopeChange.Action.REMOVE) and not data.get("item"):
            self.add_error("item", _("Choose the line to change or remove."))
        if action in (ScopeChange.Action.ADD, ScopeChange.Action.EDIT):
            if not (data.get("text") or "").strip():
                self.add_error("text", _("Write the line."))
            if data.get("kind") == ScopeKind.FIXED and not (data.get("reason") or "").strip():
                self.add_error("reason", _("A fixed line needs a reason, so people understand why."))
        return data


class ScopeRespondForm(forms.Form):
    agrees = forms.TypedChoiceField(
        label=_("Your response"),
        choices=[("yes", _("I agree")), ("no", _("I object"))],
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )
    comment = forms.CharField(
        label=_("Comment (needed if you object)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EngagementForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in frameworks.ENGAGEMENT_QUESTIONS:
            self.fields[f"q_{question.key}"] = forms.ChoiceField(
                label=question.text, choices=question.options, widget=forms.RadioSelect, required=False
            )
        self.fields["level"] = forms.ChoiceField(
            label=_("Where the project is now"),
            choices=frameworks.ENGAGEMENT_CHOICES,
            widget=forms.RadioSelect,
            required=False,
        )

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q_{q.key}"] for q in frameworks.ENGAGEMENT_QUESTIONS]

    def answers(self) -> dict[str, str]:
        return {
            q.key: self.cleaned_data[f"q_{q.key}"]
            for q in frameworks.ENGAGEMENT_QUESTIONS
            if self.cleaned_data.get(f"q_{q.key}")
        }


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class CynefinForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, text in frameworks.CYNEFIN_QUESTIONS:
            self.fields[key] = forms.ChoiceField(label=text, choices=YES_NO, widget=forms.RadioSelect)

    def answers(self) -> dict[str, bool]:
        return {key: self.cleaned_data[key] == "yes" for key, _t in frameworks.CYNEFIN_QUESTIONS}


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=frameworks.STEP_CHOICES, widget=forms.HiddenInput)
    done = forms.BooleanField(label=_("In place"), required=False)
    evidence = forms.CharField(
        label=_("Evidence"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class InviteForm(OnceForm):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"), choices=MemberRole.choices, initial=MemberRole.PARTICIPANT, widget=forms.RadioSelect
    )
    message = forms.CharField(
        label=_("A personal message (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices)
