"""Forms for open spaces. The services check everything again; these give people good messages first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.unconference.models import ABOUT_MAX, INTRO_MAX, NOTES_MAX, ROOM_NAME_MAX, TITLE_MAX, Room, Session, Slot

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def slot_label(slot: Slot) -> str:
    start = timezone.localtime(slot.starts_at)
    end = timezone.localtime(slot.ends_at)
    return (
        f"{formats.date_format(start, 'D j M')} {formats.time_format(start, 'H:i')}–{formats.time_format(end, 'H:i')}"
    )


class SetUpForm(OnceForm):
    intro = forms.CharField(
        label=_("How the open space works at this meeting (optional)"),
        help_text=_("Shown above the sessions. For example: the theme, and when the schedule will be ready."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=INTRO_MAX,
        required=False,
    )


class SettingsForm(forms.Form):
    intro = SetUpForm.base_fields["intro"]
    proposals_open = forms.BooleanField(label=_("People may propose sessions"), required=False)
    late_proposals = forms.BooleanField(
        label=_("Accept sessions proposed after the schedule is published"),
        help_text=_(
            "They go in as “not yet in the schedule”, for you to place by hand in a free room. If this is off, "
            "people are told the schedule is already published."
        ),
        required=False,
    )


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Room name"), max_length=ROOM_NAME_MAX)
    capacity = forms.IntegerField(
        label=_("How many people it holds"),
        min_value=1,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    access_notes = forms.CharField(
        label=_("Access notes (optional)"),
        help_text=_("For example: ground floor, step-free, hearing loop, quiet room, where to find it."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=NOTES_MAX,
        required=False,
    )


class SlotForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME, help_text=_("For example: 11:00."))
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)


class _SlotChoices(forms.Form):
    def _set_slots(self, slots: list[Slot]) -> None:
        field = self.fields.get("unavailable_slots")
        if field is None:
            return
        if not slots:
            del self.fields["unavailable_slots"]
            return
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(s.pk), slot_label(s)) for s in slots]


class ProposeForm(OnceForm, _SlotChoices):
    title = forms.CharField(
        label=_("Title of your session"),
        help_text=_("A few words people will see on the board. For example: “Safer crossings near schools”."),
        max_length=TITLE_MAX,
        error_messages={"required": _("Give your session a title.")},
    )
    about = forms.CharField(
        label=_("What is it about? (optional)"),
        help_text=_("A sentence or two: the question you want to talk about, or what you would like to make."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=ABOUT_MAX,
        required=False,
    )
    unavailable_slots = forms.MultipleChoiceField(
        label=_("Times you cannot make (optional)"),
        help_text=_("Your session will not be put at these times."),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, slots: list[Slot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_slots(slots)


class EnterForm(OnceForm, _SlotChoices):
    """A session proposed on the wall or on paper, typed in by a facilitator."""

    title = ProposeForm.base_fields["title"]
    about = ProposeForm.base_fields["about"]
    host_name = forms.CharField(
        label=_("Name of the person hosting it"),
        help_text=_("As they would like it shown on the board. They do not need an account."),
        max_length=100,
    )
    unavailable_slots = forms.MultipleChoiceField(
        label=_("Times they cannot make (optional)"), widget=forms.CheckboxSelectMultiple, required=False
    )

    field_order = ["title", "host_name", "about", "unavailable_slots"]

    def __init__(self, *args: Any, slots: list[Slot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_slots(slots)


class SessionEditForm(_SlotChoices):
    title = ProposeForm.base_fields["title"]
    about = ProposeForm.base_fields["about"]
    unavailable_slots = forms.MultipleChoiceField(
        label=_("Times the hosts cannot make"),
        help_text=_("The session will not be put at these times."),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, slots: list[Slot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_slots(slots)


class HostForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of someone hosting with you"),
        help_text=_("The address they use for their account here."),
        max_length=254,
    )


def session_place_label(session: Session) -> str:
    """The session's title and where it is now, so two sessions with similar titles can be told apart."""
    if session.room is not None and session.slot is not None:
        where = f"{session.room.name}, {slot_label(session.slot)}"
    else:
        where = str(_("not yet in the schedule"))
    return f"{session.title} ({where})"


def _session_choices(sessions: list[Session], blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(s.pk), session_place_label(s)) for s in sessions]


class PlaceForm(forms.Form):
    """Put a session in a room at a time, by hand (the same form the drag and drop fills in)."""

    session = forms.ChoiceField(label=_("Session"))
    room = forms.ChoiceField(label=_("Room"))
    slot = forms.ChoiceField(label=_("Time"))
    pin = forms.BooleanField(label=_("Keep it here when the schedule is built again"), required=False, initial=True)

    def __init__(self, *args: Any, sessions: list[Session], rooms: list[Room], slots: list[Slot], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = _session_choices(sessions, str(_("Choose a session")))  # type: ignore[attr-defined]
        self.fields["room"].choices = [("", _("Choose a room"))] + [  # type: ignore[attr-defined]
            (str(r.pk), f"{r.name} ({r.capacity})") for r in rooms
        ]
        self.fields["slot"].choices = [("", _("Choose a time"))] + [(str(s.pk), slot_label(s)) for s in slots]  # type: ignore[attr-defined]


class SwapForm(forms.Form):
    first = forms.ChoiceField(label=_("Swap this session"))
    second = forms.ChoiceField(label=_("with this one"))

    def __init__(self, *args: Any, sessions: list[Session], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["first"].choices = _session_choices(sessions, str(_("Choose a session")))  # type: ignore[attr-defined]
        self.fields["second"].choices = _session_choices(sessions, str(_("Choose a session")))  # type: ignore[attr-defined]
