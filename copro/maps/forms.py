"""Forms for community maps. The services check everything again; these give people good messages first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.core.models import OFFLINE_ENTRY_CHANNELS, EntryChannel
from copro.maps.models import Category, Place

_DEGREES = {"step": "any", "inputmode": "decimal"}


class MapForm(OnceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What we are asking"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False
    )
    how_used = forms.CharField(
        label=_("How what people say will be used"),
        help_text=_("Shown above the map, so people know what happens to their pins."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    south = forms.FloatField(label=_("South edge (latitude)"), widget=forms.NumberInput(attrs=_DEGREES))
    west = forms.FloatField(label=_("West edge (longitude)"), widget=forms.NumberInput(attrs=_DEGREES))
    north = forms.FloatField(label=_("North edge (latitude)"), widget=forms.NumberInput(attrs=_DEGREES))
    east = forms.FloatField(label=_("East edge (longitude)"), widget=forms.NumberInput(attrs=_DEGREES))
    centre_lat = forms.FloatField(label=_("Centre (latitude)"), widget=forms.NumberInput(attrs=_DEGREES))
    centre_lng = forms.FloatField(label=_("Centre (longitude)"), widget=forms.NumberInput(attrs=_DEGREES))
    zoom = forms.IntegerField(
        label=_("Starting zoom"),
        help_text=_("From 0 (the whole world) to 19 (a single building). A town is about 13."),
        min_value=0,
        max_value=19,
        initial=13,
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Category name"), max_length=100)


class PlaceForm(forms.Form):
    name = forms.CharField(label=_("Place name"), max_length=200)
    lat = forms.FloatField(label=_("Latitude"), widget=forms.NumberInput(attrs=_DEGREES))
    lng = forms.FloatField(label=_("Longitude"), widget=forms.NumberInput(attrs=_DEGREES))


class PlacesImportForm(forms.Form):
    lines = forms.CharField(
        label=_("Places, one a line"),
        help_text=_("Write each place as: name, latitude, longitude. For example: Queen Street, 51.4816, -3.1746"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=200_000,
    )


class FilterForm(forms.Form):
    """The filters of the map and the list (a GET form: the address can be shared)."""

    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    q = forms.CharField(label=_("Words in the pin"), max_length=100, required=False)

    def __init__(self, *args: Any, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All categories"))] + [(c.pk, c.name) for c in categories]

    def values(self) -> tuple[int | None, str]:
        """The category and words to filter by. A filter that cannot be read (a category that is not one of
        the map's, words too long) is ignored on its own: the other still applies."""
        if not self.is_bound:
            return None, ""
        self.is_valid()
        return self.cleaned_data.get("category"), (self.cleaned_data.get("q") or "").strip()


class PinForm(OnceForm):
    category = forms.TypedChoiceField(
        label=_("What kind of issue is it?"),
        coerce=int,
        widget=forms.RadioSelect,
        empty_value=None,
        error_messages={
            "required": _("Choose what kind of issue it is."),
            "invalid_choice": _("Choose one of this map's categories."),
        },
    )
    # Filled in by the map (map.js) when someone clicks on it. Keyboard users pick a named place instead.
    lat = forms.CharField(widget=forms.HiddenInput, required=False)
    lng = forms.CharField(widget=forms.HiddenInput, required=False)
    place = forms.CharField(
        label=_("Or pick a named place"),
        help_text=_("Search the list of places above to make this list shorter."),
        required=False,
        widget=forms.Select,
    )
    location_text = forms.CharField(
        label=_("Or type an address or describe the place"),
        help_text=_("For example: the corner of Queen Street and Park Place, outside the library."),
        max_length=300,
        required=False,
    )
    text = forms.CharField(
        label=_("What is the issue here?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        error_messages={"required": _("Say what the issue is here.")},
    )
    photo = forms.FileField(
        label=_("A photo (optional)"),
        help_text=_(
            "JPEG, PNG or WebP, up to 5 MB. We remove the hidden details a photo carries, such as where it was taken."
        ),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    photo_alt = forms.CharField(
        label=_("What the photo shows"),
        help_text=_("Needed with a photo, for people who cannot see it."),
        max_length=300,
        required=False,
    )
    show_name = forms.BooleanField(label=_("Show my name with this pin"), required=False)

    field_order = ["category", "lat", "lng", "place", "location_text", "text", "photo", "photo_alt", "show_name"]

    def __init__(self, *args: Any, categories: list[Category], places: list[Place], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c.pk, c.name) for c in categories]
        self.fields["place"].widget.choices = [("", _("No named place"))] + [(p.pk, p.name) for p in places]


class PinEnterForm(PinForm):
    channel = forms.ChoiceField(
        label=_("How did this reach you?"),
        choices=[(c.value, c.label) for c in EntryChannel if c in OFFLINE_ENTRY_CHANNELS],
        widget=forms.RadioSelect,
    )

    field_order = ["channel", *PinForm.field_order]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["show_name"]  # the person has no account here: a staff-entered pin never shows a name


class CommentForm(OnceForm):
    text = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Write a comment first.")},
    )
    show_name = forms.BooleanField(label=_("Show my name with this comment"), required=False)
