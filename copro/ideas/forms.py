"""Forms for ideas and pressure-testing. The services check everything again; these give good messages first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm, RowsChoiceField
from copro.core.models import OFFLINE_ENTRY_CHANNELS
from copro.core.permissions import Role
from copro.ideas import files
from copro.ideas.models import (
    AUTHOR_NAME_MAX,
    COMMENT_MAX,
    PROBLEM_MAX,
    PROPOSAL_MAX,
    REASON_MAX,
    TITLE_MAX,
    Criterion,
    IdeaSpace,
    IdeaStatus,
    Participation,
)
from copro.projects.models import ScopeItem, ScopeKind


class ScopeChoice(RowsChoiceField):
    def label_from_instance(self, obj: ScopeItem) -> str:
        if obj.kind == ScopeKind.FIXED:
            return str(_("%(text)s (fixed)") % {"text": obj.text})
        return obj.text


class ScopeWidget(forms.CheckboxSelectMultiple):
    """Checkboxes whose fixed lines point screen readers to the reason they are fixed (shown beside them)."""

    fixed_ids: frozenset[str] = frozenset()

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if str(option["value"]) in self.fixed_ids:
            option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_why"
        return option


class IdeaForm(OnceForm):
    title = forms.CharField(
        label=_("A short title"),
        max_length=TITLE_MAX,
        error_messages={"required": _("Give your idea a short title.")},
    )
    problem = forms.CharField(
        label=_("What problem does it address?"),
        help_text=_("Who is affected, and how. Say it in your own words."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=PROBLEM_MAX,
        error_messages={"required": _("Say what problem your idea addresses.")},
    )
    proposal = forms.CharField(
        label=_("What do you propose?"),
        help_text=_("What would be done, by whom, and how it would help."),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=PROPOSAL_MAX,
        error_messages={"required": _("Say what you propose.")},
    )
    scope_items = ScopeChoice(
        label=_("Which parts of the project's scope does it touch?"),
        help_text=_(
            "Tick any that apply. Some things are fixed: the project cannot change them. You can still put forward "
            "an idea that touches them; you will see why they are fixed first."
        ),
        queryset=ScopeItem.objects.none(),
        widget=ScopeWidget(attrs={"class": "scope-choice"}),
        required=False,
        error_messages={"invalid_choice": _("Choose from the project's scope.")},
    )
    cost_estimate = forms.CharField(
        label=_("A rough cost, if you know it (optional)"),
        help_text=_("In whole pounds, like 2500. A guess is fine."),
        max_length=14,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # Set by the confirmation step: the person saw why the fixed lines are fixed and still wants to submit.
    confirm_fixed = forms.BooleanField(widget=forms.HiddenInput, required=False)

    field_order = ["title", "problem", "proposal", "scope_items", "cost_estimate"]

    def __init__(self, *args: Any, scope: list[ScopeItem], currency: str = "GBP", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["scope_items"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = ScopeItem.objects.filter(pk__in=[s.pk for s in scope]).order_by("kind", "position", "id")
        assert isinstance(field.widget, ScopeWidget)
        field.widget.fixed_ids = frozenset(str(s.pk) for s in scope if s.kind == ScopeKind.FIXED)
        if not scope:
            del self.fields["scope_items"]
        if currency != "GBP":
            self.fields["cost_estimate"].help_text = _("In whole units of %(currency)s. A guess is fine.") % {
                "currency": currency
            }


class ReviseForm(IdeaForm):
    note = forms.CharField(
        label=_("What did you change? (optional)"),
        help_text=_("Shown in the idea's history, so people can follow how it grew."),
        max_length=500,
        required=False,
    )

    field_order = [*IdeaForm.field_order, "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["confirm_fixed"]


class StaffIdeaForm(IdeaForm):
    """Staff entering an idea that reached them on paper, by phone, at a drop-in or on an outreach visit: the
    same questions as the idea form, and how it reached them and whose it is."""

    channel = forms.ChoiceField(
        label=_("How did this idea reach you?"),
        choices=[(c.value, c.label) for c in OFFLINE_ENTRY_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say how this idea reached you."), "invalid_choice": _("Choose one.")},
    )
    author = forms.TypedChoiceField(
        label=_("Whose idea is it?"),
        help_text=_(
            "If they have an account and are a member of the project, choose them: the idea shows their name and "
            "they are told what becomes of it. Otherwise leave it on “someone without an account”."
        ),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a member of the project, or someone without an account.")},
    )
    author_name = forms.CharField(
        label=_("Their name, as they want it shown (optional)"),
        help_text=_("Only for someone without an account, and only if they are happy for it to be shown."),
        max_length=AUTHOR_NAME_MAX,
        required=False,
    )

    field_order = ["channel", "author", "author_name", *IdeaForm.field_order]

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["confirm_fixed"]  # staff see the flag on the idea's page; nobody to confirm with here
        field = self.fields["author"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Someone without an account"))] + [
            (m.user_id, f"{m.user.public_name} ({Role(m.role).label})") for m in members
        ]
        self.order_fields(self.field_order)


class SpaceForm(forms.ModelForm):
    class Meta:
        model = IdeaSpace
        fields = ["is_open", "participation", "intro"]
        widgets = {"participation": forms.RadioSelect, "intro": forms.Textarea(attrs={"rows": 4})}
        labels = {"is_open": _("Open for new ideas")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participation"].choices = list(Participation.choices)  # type: ignore[attr-defined]


class FilterForm(forms.Form):
    """The list's filters: a GET form, so the address can be shared."""

    q = forms.CharField(label=_("Words in the idea"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    scope = forms.TypedChoiceField(label=_("Touches"), coerce=int, required=False, empty_value=None)
    fixed = forms.BooleanField(label=_("Only ideas that touch something fixed"), required=False)
    closed = forms.BooleanField(label=_("Include ideas merged into others or split"), required=False)
    sort = forms.ChoiceField(
        label=_("Order"),
        choices=[("newest", _("Newest first")), ("supported", _("Most supported first"))],
        required=False,
    )

    def __init__(self, *args: Any, scope: list[ScopeItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [("", _("Any status")), *IdeaStatus.choices]
        field = self.fields["scope"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Any part of the scope"))] + [
            (s.pk, f"{s.text} ({s.get_kind_display()})") for s in scope
        ]

    def values(self) -> dict[str, Any]:
        """What to filter by. A filter that cannot be read is ignored on its own: the others still apply."""
        if not self.is_bound:
            return {
                "q": "",
                "status": "",
                "scope_item": None,
                "fixed": False,
                "sort": "newest",
                "include_closed": False,
            }
        self.is_valid()
        data = self.cleaned_data
        return {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "scope_item": data.get("scope"),
            "fixed": bool(data.get("fixed")),
            "sort": data.get("sort") or "newest",
            "include_closed": bool(data.get("closed")),
        }


class CommentForm(OnceForm):
    text = forms.CharField(
        label=_("Your comment"),
        help_text=_("Your name is shown with your comment."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMMENT_MAX,
        error_messages={"required": _("Write a comment first.")},
    )


class CoAuthorForm(forms.Form):
    user = forms.TypedChoiceField(
        label=_("Project member"),
        help_text=_("Project members only. They are told by email, and can leave at any time."),
        coerce=int,
        error_messages={"required": _("Choose a person."), "invalid_choice": _("Choose a member of the project.")},
    )

    def __init__(self, *args: Any, candidates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose a member"))] + [
            (m.user_id, f"{m.user.public_name} ({Role(m.role).label})") for m in candidates
        ]


class AttachmentForm(OnceForm):
    file = forms.FileField(
        label=_("A file"),
        help_text=_(
            "A PDF, a picture (JPEG, PNG or WebP, up to 5 MB) or a Word, Excel, PowerPoint or OpenDocument file, "
            "up to 10 MB. Everyone who can see the idea can open it."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": files.ACCEPT}),
        error_messages={"required": _("Choose a file.")},
    )
    description = forms.CharField(
        label=_("What the file is"),
        help_text=_("For example: a sketch of the new crossing. For a picture, say what it shows."),
        max_length=300,
        error_messages={"required": _("Say in a few words what the file is.")},
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect, choices=IdeaStatus.choices)
    reason = forms.CharField(
        label=_("Why, in plain words"),
        help_text=_("Needed for “not taken forward”. The authors and supporters are told this."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=REASON_MAX,
        required=False,
    )
    decision = forms.TypedChoiceField(
        label=_("The decision it was taken to (optional)"),
        help_text=_("For “taken to a decision”: the idea's page will show what became of it."),
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args: Any, decisions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["decision"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("No decision yet"))] + [(d.pk, d.title) for d in decisions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == IdeaStatus.NOT_TAKEN and not (data.get("reason") or "").strip():
            self.add_error(
                "reason",
                _("Say in plain words why the idea is not taken forward: its authors and supporters are told."),
            )
        return data


class MergeForm(forms.Form):
    target = forms.TypedChoiceField(
        label=_("Merge this idea into"),
        help_text=_("The idea that stays. This one is kept, read only, with a notice pointing there."),
        coerce=int,
        error_messages={
            "required": _("Choose the idea to merge into."),
            "invalid_choice": _("Choose one of the ideas."),
        },
    )
    note = forms.CharField(
        label=_("Why (optional)"),
        help_text=_("Shown in both ideas' history, for example: “They ask for the same crossing.”"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX,
        required=False,
    )

    def __init__(self, *args: Any, candidates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose an idea"))] + [(i.pk, f"{i.title} (#{i.pk})") for i in candidates]


class SplitForm(forms.Form):
    note = forms.CharField(
        label=_("Why (optional)"),
        help_text=_("Shown in the history of the idea and of each new one."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX,
        required=False,
    )

    def __init__(self, *args: Any, parts: int, idea: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parts = parts
        for n in range(1, parts + 1):
            self.fields[f"title_{n}"] = forms.CharField(
                label=_("New idea %(n)d: title") % {"n": n}, max_length=TITLE_MAX, required=False
            )
            self.fields[f"problem_{n}"] = forms.CharField(
                label=_("New idea %(n)d: the problem it addresses") % {"n": n},
                help_text=_("Leave empty to keep the original idea's words."),
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=PROBLEM_MAX,
                required=False,
            )
            self.fields[f"proposal_{n}"] = forms.CharField(
                label=_("New idea %(n)d: the proposal") % {"n": n},
                widget=forms.Textarea(attrs={"rows": 5}),
                max_length=PROPOSAL_MAX,
                required=False,
            )
            if not self.is_bound:
                self.initial.setdefault(f"title_{n}", f"{idea.title} ({n})"[:TITLE_MAX])
        self.order_fields(
            [*(f"{k}_{n}" for n in range(1, parts + 1) for k in ("title", "problem", "proposal")), "note"]
        )

    def part_values(self) -> list[dict[str, Any]]:
        return [
            {k: self.cleaned_data.get(f"{k}_{n}", "") for k in ("title", "problem", "proposal")}
            for n in range(1, self.parts + 1)
        ]


class ResponseForm(forms.Form):
    text = forms.CharField(
        label=_("Your response to the reviews"),
        help_text=_("Shown with the results. Say what you take from them, and what you will change."),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        error_messages={"required": _("Write your response first.")},
    )


# --- Review rounds -----------------------------------------------------------------------------------

CRITERIA_ROWS = 8  # rows shown on the round form (empty ones are left out)


class RoundForm(OnceForm):
    title = forms.CharField(label=_("Title of the round"), max_length=200)
    instructions = forms.CharField(
        label=_("What we ask reviewers"),
        help_text=_("Shown to reviewers with each idea: what to look for, and how the scores will be used."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
        required=False,
    )
    ideas = forms.TypedMultipleChoiceField(
        label=_("Ideas to review"),
        help_text=_("Ideas still open: not merged, split, taken to a decision or turned down."),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, ideas: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ideas"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(i.pk, i.title) for i in ideas]
        for n in range(1, CRITERIA_ROWS + 1):
            self.fields[f"name_{n}"] = forms.CharField(
                label=_("Criterion %(n)d") % {"n": n}, max_length=120, required=False
            )
            self.fields[f"question_{n}"] = forms.CharField(
                label=_("Criterion %(n)d: the question") % {"n": n}, max_length=300, required=False
            )
            self.fields[f"low_label_{n}"] = forms.CharField(
                label=_("Criterion %(n)d: words for the lowest score") % {"n": n}, max_length=80, required=False
            )
            self.fields[f"high_label_{n}"] = forms.CharField(
                label=_("Criterion %(n)d: words for the highest score") % {"n": n}, max_length=80, required=False
            )
            self.fields[f"scale_max_{n}"] = forms.TypedChoiceField(
                label=_("Criterion %(n)d: scale from 1 to") % {"n": n},
                choices=[(k, str(k)) for k in range(2, 11)],
                coerce=int,
                initial=5,
                required=False,
            )

    def criteria_rows(self) -> list[dict[str, Any]]:
        return [
            {k: self.cleaned_data.get(f"{k}_{n}") for k in ("name", "question", "low_label", "high_label", "scale_max")}
            for n in range(1, CRITERIA_ROWS + 1)
        ]

    def main_fields(self) -> list[Any]:
        return [self[name] for name in ("title", "instructions", "ideas")]

    def criterion_rows(self) -> list[list[Any]]:
        return [
            [self[f"{k}_{n}"] for k in ("name", "question", "low_label", "high_label", "scale_max")]
            for n in range(1, CRITERIA_ROWS + 1)
        ]

    @staticmethod
    def initial_for(criteria: list[dict[str, Any]]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for n, row in enumerate(criteria, start=1):
            for key, value in row.items():
                initial[f"{key}_{n}"] = value
        return initial

    @staticmethod
    def rows_of(criteria: list[Criterion]) -> list[dict[str, Any]]:
        return [
            {
                "name": c.name,
                "question": c.question,
                "low_label": c.low_label,
                "high_label": c.high_label,
                "scale_max": c.scale_max,
            }
            for c in criteria
        ]


class InviteForm(forms.Form):
    members = forms.TypedMultipleChoiceField(
        label=_("Members to invite"),
        help_text=_("Participants review as peers; experts as experts."),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    emails = forms.CharField(
        label=_("Experts who are not members yet: their email addresses"),
        help_text=_(
            "One a line. Each gets an invitation to join the project as an expert; once they join, the ideas "
            "to review are waiting for them."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        required=False,
    )
    message = forms.CharField(
        label=_("A message with the email invitation (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args: Any, candidates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(m.user_id, f"{m.user.public_name} ({Role(m.role).label})") for m in candidates]

    def email_list(self) -> list[str]:
        raw = self.cleaned_data.get("emails") or ""
        return [line.strip() for line in raw.replace(",", "\n").replace(";", "\n").splitlines() if line.strip()]


class ReviewForm(forms.Form):
    """One reviewer's sheet for one idea: per criterion, a score on its scale (or "I cannot say") and a comment.

    The score is checked by the service, so a number outside the scale gets a clear message and nothing is saved.
    """

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"score_{c.pk}"] = forms.CharField(
                label=c.name,
                help_text=c.question,
                required=False,
                max_length=3,
                widget=forms.RadioSelect(
                    choices=[("", _("I cannot say"))] + [(str(v), str(v)) for v in c.scale],
                ),
            )
            self.fields[f"comment_{c.pk}"] = forms.CharField(
                label=_("Your comment on “%(name)s” (optional)") % {"name": c.name},
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=COMMENT_MAX,
                required=False,
            )

    def entries(self) -> dict[int, tuple[Any, str]]:
        return {
            c.pk: (self.cleaned_data.get(f"score_{c.pk}", ""), self.cleaned_data.get(f"comment_{c.pk}", ""))
            for c in self.criteria
        }

    def rows(self) -> list[tuple[Criterion, Any, Any]]:
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]
