"""Forms for meetings. The services check everything again; these give people good messages first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm, parse_id, whole_number
from copro.core.models import OFFLINE_ENTRY_CHANNELS, EntryChannel
from copro.meetings.models import BSL, MeetingFormat, Registration
from copro.meetings.services import (
    EMAIL_MAX,
    WALK_INS_MAX,
    YEAR_MAX,
    YEAR_MIN,
    AccessNeeds,
    MeetingFields,
    check_meeting_dates,
)

DATETIME = forms.DateTimeInput(
    attrs={"type": "datetime-local", "min": f"{YEAR_MIN}-01-01T00:00", "max": f"{YEAR_MAX}-12-31T23:59"},
    format="%Y-%m-%dT%H:%M",
)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class MeetingForm(OnceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    format = forms.ChoiceField(
        label=_("How people take part"), choices=MeetingFormat.choices, widget=forms.RadioSelect, initial="in_person"
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=DATETIME, input_formats=DATETIME_FORMATS, help_text=_("UK time.")
    )
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    description = forms.CharField(
        label=_("What the meeting is for"),
        help_text=_("What will happen, and what difference it can make. Plain words help everyone."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        required=False,
    )
    venue = forms.CharField(
        label=_("Venue"),
        help_text=_("Name and address. Needed for in-person and hybrid meetings."),
        max_length=300,
        required=False,
    )
    venue_access = forms.CharField(
        label=_("Getting there and access"),
        help_text=_("Step-free access, toilets, hearing loop, parking, buses: what people need to know."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        required=False,
    )
    join_url = forms.URLField(
        label=_("Link to join online"),
        help_text=_("Only people with a place (and facilitators) see it."),
        max_length=500,
        required=False,
        assume_scheme="https",
    )
    webcast_url = forms.URLField(
        label=_("Webcast link (optional)"),
        help_text=_(
            "A public stream anyone can watch. YouTube and Vimeo links are shown in the page; others as a link."
        ),
        max_length=500,
        required=False,
        assume_scheme="https",
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        help_text=_("Leave empty for no limit. When it is full, people can join a waiting list."),
        min_value=1,
        max_value=100000,
        required=False,
    )
    registration_open = forms.BooleanField(label=_("Registration is open"), required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        """The same checks as the service, so every problem is listed at once."""
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        out_of_range = check_meeting_dates(starts, ends)
        for name, message in out_of_range.items():
            self.add_error(name, message)
        if starts and ends and not out_of_range and ends <= starts:
            self.add_error("ends_at", _("The meeting must end after it starts."))
        if (
            data.get("format") in (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID)
            and not (data.get("venue") or "").strip()
        ):
            self.add_error("venue", _("Say where the meeting is, so people can come in person."))
        return data

    def meeting_fields(self) -> MeetingFields:
        data = {k: v for k, v in self.cleaned_data.items() if k != "form_token"}
        data["description"] = data["description"] or ""
        data["venue"] = data["venue"] or ""
        data["venue_access"] = data["venue_access"] or ""
        data["join_url"] = data["join_url"] or ""
        data["webcast_url"] = data["webcast_url"] or ""
        return MeetingFields(**data)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled? (optional)"),
        help_text=_("Everyone registered or waiting gets an email saying so, with this reason."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class AgendaItemForm(OnceForm):
    """An agenda item. Adding one is a one-time form (sent twice, it adds the item once); changing one
    ignores the token."""

    title = forms.CharField(label=_("What happens"), max_length=200)
    starts_at = forms.TimeField(label=_("Time (optional)"), widget=TIME, required=False)
    duration_minutes = forms.IntegerField(
        label=_("How long, in minutes (optional)"), min_value=1, max_value=1440, required=False
    )
    led_by = forms.CharField(label=_("Who leads it (optional)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("More about it (optional)"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )


INTERPRETER_CHOICES = [
    ("", _("No interpreter")),
    ("bsl", _("British Sign Language (BSL)")),
    ("other", _("Another language (say which below)")),
]


class AccessNeedsForm(forms.Form):
    step_free = forms.BooleanField(label=_("I need step-free access (no stairs)"), required=False)
    interpreter = forms.ChoiceField(
        label=_("Do you need an interpreter?"),
        choices=INTERPRETER_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        initial="",
    )
    interpreter_language = forms.CharField(
        label=_("Which language?"),
        help_text=_("For example Welsh, Polish or Arabic. Only if you chose another language above."),
        max_length=100,
        required=False,
    )
    hearing_loop = forms.BooleanField(label=_("I need a hearing loop"), required=False)
    childcare = forms.BooleanField(label=_("I need childcare"), required=False)
    childcare_details = forms.CharField(
        label=_("Childcare: how many children, and how old?"),
        help_text=_("For example: 2 children, aged 3 and 6."),
        max_length=300,
        required=False,
    )
    dietary = forms.CharField(
        label=_("Food and drink (optional)"),
        help_text=_("For example vegetarian, halal, gluten-free, a nut allergy."),
        max_length=300,
        required=False,
    )
    other_needs = forms.CharField(
        label=_("Anything else that would help you take part? (optional)"),
        help_text=_("For example large print, a quiet room, a support worker coming with you."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("interpreter") == "other" and not (data.get("interpreter_language") or "").strip():
            self.add_error("interpreter_language", _("Say which language you need an interpreter for."))
        return data

    def needs(self) -> AccessNeeds:
        data = self.cleaned_data
        interpreter = {"": "", "bsl": BSL, "other": (data.get("interpreter_language") or "").strip()}[
            data.get("interpreter") or ""
        ]
        return AccessNeeds(
            step_free=bool(data.get("step_free")),
            interpreter=interpreter,
            hearing_loop=bool(data.get("hearing_loop")),
            childcare=bool(data.get("childcare")),
            childcare_details=data.get("childcare_details") or "",
            dietary=data.get("dietary") or "",
            other_needs=data.get("other_needs") or "",
        )

    @staticmethod
    def initial_from(registration: Registration) -> dict[str, Any]:
        interpreter = "" if not registration.interpreter else ("bsl" if registration.interpreter == BSL else "other")
        return {
            "step_free": registration.step_free,
            "interpreter": interpreter,
            "interpreter_language": registration.interpreter if interpreter == "other" else "",
            "hearing_loop": registration.hearing_loop,
            "childcare": registration.childcare,
            "childcare_details": registration.childcare_details,
            "dietary": registration.dietary,
            "other_needs": registration.other_needs,
            "wants_reminders": registration.wants_reminders,
        }


class RegistrationForm(AccessNeedsForm):
    wants_reminders = forms.BooleanField(
        label=_("Email me a reminder 2 days and 2 hours before"), required=False, initial=True
    )


class EnterForm(OnceForm, AccessNeedsForm):
    """Staff register someone without an account."""

    name = forms.CharField(label=_("Their name"), max_length=200)
    email = forms.EmailField(
        label=_("Their email (optional)"),
        help_text=_("If they give one, they get the confirmation and reminders by email."),
        max_length=EMAIL_MAX,
        required=False,
    )
    phone = forms.CharField(label=_("Their phone number (optional)"), max_length=40, required=False)
    channel = forms.ChoiceField(
        label=_("How did they reach you?"),
        choices=[(c.value, c.label) for c in EntryChannel if c in OFFLINE_ENTRY_CHANNELS],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("Language for their emails"), choices=settings.LANGUAGES, initial="en")

    field_order = ["name", "email", "phone", "channel", "language"]


# The attendance list is saved one page at a time: a form of 200 ticks stays far below Django's limit of
# 1,000 fields per request (DATA_UPLOAD_MAX_NUMBER_FIELDS), however many people registered.
ATTENDANCE_PAGE = 200


class AttendanceForm(OnceForm):
    """Who came. The ticks (name="attended") are read by the view; `shown` lists the registrations the page
    showed, so only those are ticked or unticked."""

    walk_ins = forms.CharField(
        label=_("People without an account who came, one name a line"),
        help_text=_("Each name is added to the list, ticked. A name already on the list is ticked, not added twice."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        required=False,
    )
    unnamed = forms.CharField(
        label=_("How many more people came without giving a name?"),
        help_text=_("For example 12, if 12 more people came. They are counted, not named."),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100000, "inputmode": "numeric"}),
        required=False,
    )
    shown = forms.CharField(widget=forms.HiddenInput, required=False, max_length=ATTENDANCE_PAGE * 20)

    def clean_unnamed(self) -> int:
        raw = (self.cleaned_data.get("unnamed") or "").strip() or "0"
        number = whole_number(raw, max_digits=6)
        if number is None:
            raise forms.ValidationError(_("The number of people who gave no name must be a whole number, like 12."))
        if number > 100_000:
            raise forms.ValidationError(_("Give a number from 0 to 100,000."))
        return number

    def clean_walk_ins(self) -> list[str]:
        names = [line.strip() for line in (self.cleaned_data.get("walk_ins") or "").splitlines() if line.strip()]
        if len(names) > WALK_INS_MAX:
            raise forms.ValidationError(_("Add at most %(max)d names at a time.") % {"max": WALK_INS_MAX})
        return names

    def clean_shown(self) -> set[int] | None:
        raw = (self.cleaned_data.get("shown") or "").strip()
        if not raw:
            return None
        ids = {parse_id(part) for part in raw.split(",")}
        if None in ids or len(ids) > ATTENDANCE_PAGE:
            # Not the person's typing: shown at the top of the form, not beside a hidden field.
            self.add_error(None, _("The list was not sent correctly. Please open the page again."))
            return None
        return {i for i in ids if i is not None}


class NeedsMetForm(forms.Form):
    note = forms.CharField(label=_("Note for the team (optional)"), max_length=500, required=False)


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"),
        help_text=_("What was said and agreed. Paragraphs are kept; you may use simple HTML (bold, lists, links)."),
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=50000,
        required=False,
    )


class ActionForm(OnceForm):
    text = forms.CharField(label=_("What will be done"), max_length=500)
    assignee = forms.TypedChoiceField(
        label=_("Who will do it"), coerce=int, empty_value=None, required=False, help_text=_("A project member…")
    )
    assignee_name = forms.CharField(
        label=_("…or a name"),
        help_text=_("For someone without an account, or an organisation."),
        max_length=200,
        required=False,
    )
    due_on = forms.DateField(label=_("By when (optional)"), widget=DATE, required=False)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("No one chosen")), *people]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100)


class SuggestForm(forms.Form):
    k = forms.IntegerField(label=_("How many teams?"), min_value=1, max_value=50, initial=4)


class TeamIdeaForm(OnceForm):
    title = forms.CharField(label=_("Your solution in a few words"), max_length=200)
    problem = forms.CharField(
        label=_("What problem does it solve?"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    proposal = forms.CharField(
        label=_("What do you propose?"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000
    )
    scope_items = forms.MultipleChoiceField(
        label=_("Which parts of the project's scope does it touch?"),
        help_text=_("If it touches something the project cannot change, you will see why straight away."),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    cost_estimate = forms.IntegerField(
        label=_("Rough cost in pounds, if you know it (optional)"),
        help_text=_("A whole number, like 2500."),
        min_value=0,
        required=False,
    )

    def __init__(self, *args: Any, scope: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["scope_items"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(s.pk), s.text) for s in scope or []]
        if not scope:
            del self.fields["scope_items"]
