"""Community maps: people mark places and say what the issue is there; others agree and comment.

A pin may have no coordinates: someone who cannot use a map picks a named place (which has them) or
types an address or description. Every pin is in the accessible list; only pins with coordinates are
on the map.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from copro.core.models import EntryChannel, Hideable

LAT = [MinValueValidator(-90), MaxValueValidator(90)]
LNG = [MinValueValidator(-180), MaxValueValidator(180)]


class MapStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open for pins")
    CLOSED = "closed", _("Closed: read only")


class Map(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="maps")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what we are asking"), max_length=5000, blank=True)
    how_used = models.TextField(
        _("how what people say will be used"),
        max_length=2000,
        blank=True,
        help_text=_("Shown above the map, so people know what happens to their pins."),
    )
    status = models.CharField(max_length=10, choices=MapStatus.choices, default=MapStatus.DRAFT)
    # The area: a bounding box (pins outside it are refused) and where the map opens.
    south = models.FloatField(_("south edge (latitude)"), validators=LAT)
    west = models.FloatField(_("west edge (longitude)"), validators=LNG)
    north = models.FloatField(_("north edge (latitude)"), validators=LAT)
    east = models.FloatField(_("east edge (longitude)"), validators=LNG)
    centre_lat = models.FloatField(_("centre (latitude)"), validators=LAT)
    centre_lng = models.FloatField(_("centre (longitude)"), validators=LNG)
    zoom = models.PositiveSmallIntegerField(_("starting zoom"), default=13, validators=[MaxValueValidator(19)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(south__lt=models.F("north")), name="map_south_below_north"),
            models.CheckConstraint(condition=Q(west__lt=models.F("east")), name="map_west_of_east"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title

    def contains(self, lat: float, lng: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lng <= self.east


class Category(models.Model):
    map = models.ForeignKey(Map, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["map", "name"], name="one_category_name_per_map")]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """A named place people can pick instead of using the map (a street, a school, a junction)."""

    map = models.ForeignKey(Map, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(_("name"), max_length=200)
    lat = models.FloatField(validators=LAT)
    lng = models.FloatField(validators=LNG)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["map", "name"], name="one_place_name_per_map")]

    def __str__(self) -> str:
        return self.name


class Pin(Hideable):
    map = models.ForeignKey(Map, on_delete=models.PROTECT, related_name="pins")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="pins")
    lat = models.FloatField(null=True, blank=True, validators=LAT)
    lng = models.FloatField(null=True, blank=True, validators=LNG)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="pins")
    location_text = models.CharField(_("address or description of the place"), max_length=300, blank=True)
    text = models.TextField(_("what is the issue here?"), max_length=2000)
    photo = models.ImageField(upload_to="pins/%Y/%m/", null=True, blank=True)
    photo_alt = models.CharField(_("what the photo shows"), max_length=300, blank=True)
    # Null when staff entered the pin for someone without an account, or the author erased their account.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    show_name = models.BooleanField(_("show my name with this pin"), default=False)
    channel = models.CharField(max_length=10, choices=EntryChannel.choices, default=EntryChannel.ONLINE)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept by the agree and comment services (one UPDATE each), so lists and the map never count rows.
    agree_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["map", "lat", "lng"], name="pin_viewport"),
            # The public list: visible pins, newest first (the same order as the list, id breaking ties, so
            # even a deep page is read from the index without sorting).
            models.Index(
                fields=["map", "category", "-created_at", "-id"],
                name="pin_by_category",
                condition=Q(hidden_at__isnull=True),
            ),
            models.Index(fields=["map", "-created_at", "-id"], name="pin_newest", condition=Q(hidden_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lng__isnull=True) | Q(lat__isnull=False, lng__isnull=False),
                name="pin_both_coordinates_or_none",
            )
        ]

    def __str__(self) -> str:
        return f"pin {self.pk}"

    @property
    def activity_label(self) -> str:
        return self.text[:80]


class Agreement(models.Model):
    """An "I agree": the only reaction a pin can get (no down-votes). One per person per pin."""

    pin = models.ForeignKey(Pin, on_delete=models.CASCADE, related_name="agreements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pin", "user"], name="one_agreement_per_person")]

    def __str__(self) -> str:
        return f"{self.user_id} agrees with {self.pin_id}"


class Comment(Hideable):
    pin = models.ForeignKey(Pin, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    show_name = models.BooleanField(_("show my name with this comment"), default=False)
    text = models.TextField(_("comment"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk}"

    @property
    def activity_label(self) -> str:
        return self.text[:80]
