"""Forms for commitments and feedback moments. The services check everything again; these give people
good messages first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm, RowsChoiceField
from copro.core.models import OFFLINE_ENTRY_CHANNELS, EntryChannel, Visibility
from copro.followthrough.models import (
    NEEDS_REASON,
    CommitmentStatus,
    FeedbackAbout,
    FeedbackTag,
    Feeling,
    Triage,
)
from copro.followthrough.services import is_blank


class TextField(forms.CharField):
    """A CharField for which text of only spaces and invisible characters (zero-width spaces, direction
    marks...: services.is_blank) is empty, so "required" catches it and an optional one is saved empty."""

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return "" if text is not None and is_blank(text) else text


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.public_name


class PeopleChoiceField(RowsChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.public_name


VISIBILITY_CHOICES = [
    (Visibility.PUBLIC, _("Everyone: it is shown on the public “You said, we did” page")),
    (Visibility.MEMBERS, _("Project members only")),
    (Visibility.STAFF, _("Facilitators only (for a promise not yet ready to share)")),
]


class CommitmentForm(OnceForm):
    source = forms.ChoiceField(
        label=_("What led to it"),
        help_text=_(
            "The decision, idea, meeting action or consultation this commitment answers. The people who took "
            "part in it will hear of every change."
        ),
        required=False,
    )
    title = TextField(
        label=_("We will…"),
        help_text=_("One promise, in plain words. For example: “Put a zebra crossing on Heol Trelái”."),
        max_length=200,
    )
    description = TextField(
        label=_("What this means in practice (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        required=False,
    )
    owner = PersonChoiceField(label=_("Who owns it"), queryset=None, empty_label=None)
    co_owners = PeopleChoiceField(
        label=_("Who shares ownership (optional)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    due_on = forms.DateField(
        label=_("Due by"), help_text=_("The date you promise it by. Today or later."), widget=DateInput()
    )
    visibility = forms.ChoiceField(
        label=_("Who can see it"), choices=VISIBILITY_CHOICES, initial=Visibility.PUBLIC, widget=forms.RadioSelect
    )

    def __init__(
        self,
        *args: Any,
        people: list[Any],
        sources: list[tuple[str, list[tuple[str, str]]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from copro.accounts.models import User

        ids = [p.pk for p in people]
        owner = self.fields["owner"]
        co_owners = self.fields["co_owners"]
        assert isinstance(owner, forms.ModelChoiceField) and isinstance(co_owners, forms.ModelMultipleChoiceField)
        owner.queryset = User.objects.filter(pk__in=ids)
        co_owners.queryset = User.objects.filter(pk__in=ids)
        # Keep the order of `people` (facilitators and experts first) rather than the database's.
        owner.choices = [(p.pk, p.public_name) for p in people]
        co_owners.choices = [(p.pk, p.public_name) for p in people]
        source = self.fields["source"]
        assert isinstance(source, forms.ChoiceField)
        if sources is None:
            del self.fields["source"]
        else:
            source.choices = [("", _("Nothing: a commitment of its own")), *sources]


class CommitmentEditForm(CommitmentForm):
    message = TextField(
        label=_("Tell the people who took part (needed if you move the date)"),
        help_text=_("Posted as an update on the commitment: they are told of it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        required=False,
    )


class UpdateForm(OnceForm):
    text = TextField(
        label=_("What has happened"),
        help_text=_("Plain words, for the people who took part. They are told of it by email or in their summary."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        required=False,
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    reason = TextField(
        label=_("Why (needed if it is changed or dropped)"),
        help_text=_("Say why in plain words. It is shown beside the commitment."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        required=False,
    )

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        current_label = CommitmentStatus(current).label
        field.choices = [("", _("Keep it as it is (%(status)s)") % {"status": current_label})] + [
            (s.value, s.label) for s in CommitmentStatus if s.value != current
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status") or ""
        if status in NEEDS_REASON and is_blank(data.get("reason")):
            self.add_error(
                "reason",
                _("Say why it is “%(status)s”, in plain words: the people who took part will read it.")
                % {"status": CommitmentStatus(status).label},
            )
        if not status and is_blank(data.get("text")):
            self.add_error("text", _("Write what has happened, or choose a new status."))
        return data


class MilestoneForm(OnceForm):
    title = TextField(label=_("Step"), max_length=200)
    due_on = forms.DateField(label=_("Due by (optional)"), required=False, widget=DateInput())


class LinkForm(forms.Form):
    source = forms.ChoiceField(label=_("It also answers"))

    def __init__(self, *args: Any, sources: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["source"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose an item")), *sources]


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("Every commitment")), ("overdue", _("Overdue")), *CommitmentStatus.choices],
    )

    def value(self) -> str:
        if not self.is_bound or not self.is_valid():
            return ""
        return str(self.cleaned_data.get("status") or "")


# --- Feedback ------------------------------------------------------------------------------------

FEELING_CHOICES = [(f.value, f.label) for f in reversed(Feeling)]


class FeedbackForm(OnceForm):
    feeling = forms.TypedChoiceField(
        label=_("How did it feel?"), choices=FEELING_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    text = TextField(
        label=_("What happened?"),
        help_text=_("A few words are enough."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        # Checked by the service too: only spaces count as empty.
        error_messages={"required": _("Tell us what happened, in a few words.")},
    )
    about = forms.ChoiceField(
        label=_("Is this about…"),
        choices=FeedbackAbout.choices,
        initial=FeedbackAbout.SERVICE,
        widget=forms.RadioSelect,
    )
    tags = forms.MultipleChoiceField(
        label=_("What was it about? (optional)"),
        choices=FeedbackTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contact = TextField(
        label=_("How can we reach you? (optional)"),
        help_text=_("An email address or phone number, only if you would like a reply. Only the team sees it."),
        max_length=300,
        required=False,
    )
    consent_to_share = forms.BooleanField(
        label=_("You may quote my words in public, without my name"),
        help_text=_("We may share a few of your words on the “You said, we did” page. Never your name or contact."),
        required=False,
    )

    field_order = ["feeling", "text", "about", "tags", "contact", "consent_to_share"]

    def clean_text(self) -> str:
        text = (self.cleaned_data.get("text") or "").strip()
        if is_blank(text):
            raise forms.ValidationError(_("Tell us what happened, in a few words."))
        return text


OFFLINE_CHOICES = [(c.value, c.label) for c in EntryChannel if c in OFFLINE_ENTRY_CHANNELS]


class FeedbackEnterForm(FeedbackForm):
    """A practitioner entering feedback for someone, in the moment."""

    channel = forms.ChoiceField(label=_("How did it reach you?"), choices=OFFLINE_CHOICES, widget=forms.RadioSelect)

    field_order = ["channel", "feeling", "text", "about", "tags", "contact", "consent_to_share"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].help_text = _("Only if they would like a reply. Only the team sees it.")
        self.fields["consent_to_share"].label = _("They agree their words may be quoted in public, without a name")
        self.fields["text"].label = _("What happened? (their words)")


class TriageForm(forms.Form):
    triage = forms.ChoiceField(label=_("What to do with it"), choices=Triage.choices, widget=forms.RadioSelect)
    note = TextField(
        label=_("Note for the team (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        required=False,
    )
    commitment = forms.TypedChoiceField(
        label=_("Linked commitment (optional)"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, commitments: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commitment"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("None"))] + [(c.pk, c.title) for c in commitments]


class ShareForm(forms.Form):
    excerpt = TextField(
        label=_("Words to share"),
        help_text=_(
            "Copy the giver's own words. You may leave words out (mark each cut with …), but not add or change "
            "any. Leave out anything that could identify someone."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class FeedbackSettingsForm(forms.Form):
    allow_anonymous = forms.BooleanField(
        label=_("Let people give feedback without an account"),
        help_text=_("Only on a public project. Without an account, one address can send 20 an hour."),
        required=False,
    )
    intro = TextField(
        label=_("What you tell people before they give feedback (optional)"),
        help_text=_("For example: who reads it, and what you do with it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
    )
