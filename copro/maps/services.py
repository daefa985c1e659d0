"""Every write to community maps. Keyword arguments, one transaction each, plain-language errors.

Pins, agreements and comments are not written to the activity log one by one: at city scale (thousands of
pins) the hash chain would serialise every one. The map's own changes (created, opened, closed) are.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.core import activity
from copro.core.forms import claim_token, parse_id
from copro.core.models import OFFLINE_ENTRY_CHANNELS, EntryChannel
from copro.core.photos import photo_clean
from copro.maps.models import Agreement, Category, Comment, Map, MapStatus, Pin, Place
from copro.projects.models import Project

TEXT_MAX = 2000
LOCATION_MAX = 300
ALT_MAX = 300
TITLE_MAX = 200
NAME_MAX = 100
PLACE_NAME_MAX = 200
PLACES_IMPORT_MAX_LINES = 2000


# --- Maps ----------------------------------------------------------------------------------------


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _check_area(
    *,
    south: float,
    west: float,
    north: float,
    east: float,
    centre_lat: float,
    centre_lng: float,
    zoom: int,
) -> None:
    values = (south, west, north, east, centre_lat, centre_lng)
    if not all(_finite(v) for v in values):
        raise ValidationError(_("Give every edge and the centre as numbers."))
    errors: dict[str, str] = {}
    if not (-90 <= south <= 90 and -90 <= north <= 90 and -90 <= centre_lat <= 90):
        errors["south"] = _("Latitudes are between -90 and 90.")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -180 <= centre_lng <= 180):
        errors["west"] = _("Longitudes are between -180 and 180.")
    if south >= north:
        errors["north"] = _("The north edge must be north of (greater than) the south edge.")
    if west >= east:
        errors["east"] = _("The east edge must be east of (greater than) the west edge.")
    if not errors and not (south <= centre_lat <= north and west <= centre_lng <= east):
        errors["centre_lat"] = _("The centre must be inside the area.")
    if not 0 <= zoom <= 19:
        errors["zoom"] = _("The starting zoom is between 0 (the whole world) and 19 (a single building).")
    if errors:
        raise ValidationError(errors)


def _clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the map a title.")})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("The title can be at most %(max)d characters long.") % {"max": TITLE_MAX}})
    return title


@transaction.atomic
def map_create(
    *,
    user: User,
    project: Project,
    title: str,
    south: float,
    west: float,
    north: float,
    east: float,
    centre_lat: float,
    centre_lng: float,
    zoom: int = 13,
    description: str = "",
    how_used: str = "",
    form_token: uuid.UUID | None = None,
) -> Map:
    title = _clean_title(title)
    _check_area(south=south, west=west, north=north, east=east, centre_lat=centre_lat, centre_lng=centre_lng, zoom=zoom)
    claim_token(form_token)
    new = Map.objects.create(
        project=project,
        title=title,
        description=description.strip()[:5000],
        how_used=how_used.strip()[:2000],
        south=south,
        west=west,
        north=north,
        east=east,
        centre_lat=centre_lat,
        centre_lng=centre_lng,
        zoom=zoom,
        created_by=user,
    )
    activity.record(verb="maps.created", actor=user, project=project, target=new, visibility="staff")
    return new


@transaction.atomic
def map_edit(
    *,
    user: User,
    map: Map,
    title: str,
    south: float,
    west: float,
    north: float,
    east: float,
    centre_lat: float,
    centre_lng: float,
    zoom: int,
    description: str = "",
    how_used: str = "",
) -> Map:
    title = _clean_title(title)
    _check_area(south=south, west=west, north=north, east=east, centre_lat=centre_lat, centre_lng=centre_lng, zoom=zoom)
    outside = (
        Pin.objects.filter(map=map, lat__isnull=False)
        .exclude(lat__gte=south, lat__lte=north, lng__gte=west, lng__lte=east)
        .count()
    )
    if outside:
        raise ValidationError(
            _("%(n)d pins are outside the new area. Make the area large enough to hold every pin.") % {"n": outside}
        )
    map.title, map.description, map.how_used = title, description.strip()[:5000], how_used.strip()[:2000]
    map.south, map.west, map.north, map.east = south, west, north, east
    map.centre_lat, map.centre_lng, map.zoom = centre_lat, centre_lng, zoom
    map.save()
    activity.record(
        verb="maps.edited",
        actor=user,
        project=map.project,
        target=map,
        visibility="staff" if map.status == MapStatus.DRAFT else "public",
    )
    return map


@transaction.atomic
def map_open(*, user: User, map: Map) -> Map:
    if map.status == MapStatus.OPEN:
        raise ValidationError(_("This map is already open."))
    if not map.categories.exists():
        raise ValidationError(
            _("Add at least one category before opening the map, so people can say what kind of issue it is.")
        )
    map.status = MapStatus.OPEN
    map.save(update_fields=["status"])
    activity.record(verb="maps.opened", actor=user, project=map.project, target=map)
    return map


@transaction.atomic
def map_close(*, user: User, map: Map) -> Map:
    if map.status != MapStatus.OPEN:
        raise ValidationError(_("Only an open map can be closed."))
    map.status = MapStatus.CLOSED
    map.save(update_fields=["status"])
    activity.record(
        verb="maps.closed",
        actor=user,
        project=map.project,
        target=map,
        data={"pins": Pin.objects.filter(map=map, hidden_at__isnull=True).count()},
    )
    return map


@transaction.atomic
def category_add(*, user: User, map: Map, name: str) -> Category:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(
            {"name": _("Give the category a name of at most %(max)d characters.") % {"max": NAME_MAX}}
        )
    taken = ValidationError({"name": _("This map already has a category with that name.")})
    if map.categories.filter(name__iexact=name).exists():
        raise taken
    position = map.categories.count()
    try:
        with transaction.atomic():  # a savepoint: a double click that passed the check together fails alone
            return Category.objects.create(map=map, name=name, position=position)
    except IntegrityError:
        raise taken from None


def _check_place(map: Map, name: str, lat: Any, lng: Any) -> str:
    name = name.strip()
    if not name or len(name) > PLACE_NAME_MAX:
        raise ValidationError(
            {"name": _("Give the place a name of at most %(max)d characters.") % {"max": PLACE_NAME_MAX}}
        )
    if not (_finite(lat) and _finite(lng)):
        raise ValidationError({"lat": _("Give the latitude and longitude as numbers.")})
    if not map.contains(lat, lng):
        raise ValidationError({"lat": _("That place is outside the map's area.")})
    return name


@transaction.atomic
def place_add(*, user: User, map: Map, name: str, lat: float, lng: float) -> Place:
    name = _check_place(map, name, lat, lng)
    taken = ValidationError({"name": _("This map already has a place with that name.")})
    if map.places.filter(name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():  # a savepoint: a double click that passed the check together fails alone
            return Place.objects.create(map=map, name=name, lat=lat, lng=lng)
    except IntegrityError:
        raise taken from None


@dataclass
class PlacesImport:
    added: list[str] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, the line, what is wrong)


@transaction.atomic
def places_import(*, user: User, map: Map, text: str) -> PlacesImport:
    """Add places from pasted lines "name, latitude, longitude". Good lines are added; every bad line is
    reported with its number and the reason; blank lines are skipped. A name may itself contain commas
    (the last two values are the coordinates)."""
    report = PlacesImport()
    lines = text.splitlines()
    if len(lines) > PLACES_IMPORT_MAX_LINES:
        raise ValidationError(_("Paste at most %(max)d lines at a time.") % {"max": PLACES_IMPORT_MAX_LINES})
    taken = {n.lower() for n in map.places.values_list("name", flat=True)}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip().strip('"').strip() for p in line.rsplit(",", 2)]
        if len(parts) != 3:
            report.errors.append(
                (number, line, _("Write the name, the latitude and the longitude, separated by commas."))
            )
            continue
        name, lat_text, lng_text = parts
        try:
            lat, lng = float(lat_text), float(lng_text)
        except ValueError:
            report.errors.append((number, line, _("The latitude and longitude must be numbers, like 51.48, -3.18.")))
            continue
        try:
            name = _check_place(map, name, lat, lng)
        except ValidationError as error:
            report.errors.append((number, line, " ".join(error.messages)))
            continue
        if name.lower() in taken:
            report.errors.append((number, line, _("A place with this name is already in the list.")))
            continue
        Place.objects.create(map=map, name=name, lat=lat, lng=lng)
        taken.add(name.lower())
        report.added.append(name)
    return report


# --- Pins ----------------------------------------------------------------------------------------


def _pin_create(
    *,
    map: Map,
    author: User | None,
    entered_by: User | None,
    channel: str,
    category_id: Any,
    text: str,
    lat: Any,
    lng: Any,
    place_id: Any,
    location_text: str,
    photo: Any,
    photo_alt: str,
    show_name: bool,
    form_token: uuid.UUID | None,
) -> Pin:
    if map.status != MapStatus.OPEN:
        raise ValidationError(_("This map is not open for pins."))
    errors: dict[str, str] = {}
    category_pk = parse_id(category_id.strip() if isinstance(category_id, str) else category_id)
    category = Category.objects.filter(map=map, pk=category_pk).first() if category_pk is not None else None
    if category is None:
        errors["category"] = _("Choose one of this map's categories.")
    text = (text or "").strip()
    if not text:
        errors["text"] = _("Say what the issue is here.")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("Keep it to %(max)d characters.") % {"max": TEXT_MAX}
    location_text = (location_text or "").strip()
    if len(location_text) > LOCATION_MAX:
        errors["location_text"] = _("Keep the address or description to %(max)d characters.") % {"max": LOCATION_MAX}
    place = None
    if place_id not in (None, ""):
        place_pk = parse_id(place_id.strip() if isinstance(place_id, str) else place_id)
        place = Place.objects.filter(map=map, pk=place_pk).first() if place_pk is not None else None
        if place is None:
            errors["place"] = _("Choose one of this map's places.")
    if place is not None:
        lat, lng = place.lat, place.lng  # a named place brings its own coordinates
    elif lat in (None, "") and lng in (None, ""):
        lat = lng = None
    else:
        try:
            lat, lng = float(lat), float(lng)
        except (TypeError, ValueError):
            lat = lng = None
            errors["lat"] = _("The place on the map could not be read. Choose it again, or pick a named place.")
        else:
            if not (math.isfinite(lat) and math.isfinite(lng)) or not map.contains(lat, lng):
                errors["lat"] = _("That spot is outside the area this map covers.")
    if lat is None and place is None and not location_text and "lat" not in errors and "place" not in errors:
        errors["location_text"] = _(
            "Say where: choose a spot on the map, pick a named place, or type an address or description."
        )
    photo_alt = (photo_alt or "").strip()
    if photo:
        if not photo_alt:
            errors["photo_alt"] = _("Say what the photo shows, for people who cannot see it.")
        elif len(photo_alt) > ALT_MAX:
            errors["photo_alt"] = _("Keep the description of the photo to %(max)d characters.") % {"max": ALT_MAX}
    if errors:
        raise ValidationError(errors)
    cleaned_photo = photo_clean(photo) if photo else None
    claim_token(form_token)
    pin = Pin(
        map=map,
        category=category,
        lat=lat,
        lng=lng,
        place=place,
        location_text=location_text,
        text=text,
        photo_alt=photo_alt if cleaned_photo else "",
        author=author,
        show_name=bool(show_name) and author is not None,
        channel=channel,
        entered_by=entered_by,
    )
    if cleaned_photo is not None:
        pin.photo.save(cleaned_photo.name, cleaned_photo, save=False)
    pin.save()
    return pin


@transaction.atomic
def pin_create(
    *,
    user: User,
    map: Map,
    category_id: Any,
    text: str,
    lat: Any = None,
    lng: Any = None,
    place_id: Any = None,
    location_text: str = "",
    photo: Any = None,
    photo_alt: str = "",
    show_name: bool = False,
    form_token: uuid.UUID | None = None,
) -> Pin:
    """A participant's own pin."""
    return _pin_create(
        map=map,
        author=user,
        entered_by=None,
        channel=EntryChannel.ONLINE,
        category_id=category_id,
        text=text,
        lat=lat,
        lng=lng,
        place_id=place_id,
        location_text=location_text,
        photo=photo,
        photo_alt=photo_alt,
        show_name=show_name,
        form_token=form_token,
    )


@transaction.atomic
def pin_enter(
    *,
    user: User,
    map: Map,
    channel: str,
    category_id: Any,
    text: str,
    lat: Any = None,
    lng: Any = None,
    place_id: Any = None,
    location_text: str = "",
    photo: Any = None,
    photo_alt: str = "",
    form_token: uuid.UUID | None = None,
) -> Pin:
    """A pin staff enter for someone reached on paper, by phone, at a drop-in or through outreach.

    It has no author (the person has no account here) and never shows a name; it records the channel and
    who entered it.
    """
    if channel not in OFFLINE_ENTRY_CHANNELS:
        raise ValidationError({"channel": _("Say how this pin reached you: paper, phone, drop-in or outreach.")})
    return _pin_create(
        map=map,
        author=None,
        entered_by=user,
        channel=channel,
        category_id=category_id,
        text=text,
        lat=lat,
        lng=lng,
        place_id=place_id,
        location_text=location_text,
        photo=photo,
        photo_alt=photo_alt,
        show_name=False,
        form_token=form_token,
    )


def _check_open_for_reactions(pin: Pin) -> None:
    if pin.map.status != MapStatus.OPEN:
        raise ValidationError(_("This map is closed: it can be read but no longer changed."))
    if pin.is_hidden:
        raise ValidationError(_("This pin has been hidden by a facilitator."))


@transaction.atomic
def pin_agree(*, user: User, pin: Pin) -> bool:
    """Agree with a pin. Agreeing twice changes nothing (one agreement per person, held by the database).

    Returns True if this was a new agreement. People may agree with their own pin, once, like anyone.
    """
    _check_open_for_reactions(pin)
    try:
        with transaction.atomic():
            Agreement.objects.create(pin=pin, user=user)
    except IntegrityError:
        return False
    Pin.objects.filter(pk=pin.pk).update(agree_count=F("agree_count") + 1)
    return True


@transaction.atomic
def pin_unagree(*, user: User, pin: Pin) -> bool:
    _check_open_for_reactions(pin)
    deleted, _rows = Agreement.objects.filter(pin=pin, user=user).delete()
    if not deleted:
        return False
    Pin.objects.filter(pk=pin.pk, agree_count__gt=0).update(agree_count=F("agree_count") - 1)
    return True


@transaction.atomic
def comment_add(
    *, user: User, pin: Pin, text: str, show_name: bool = False, form_token: uuid.UUID | None = None
) -> Comment:
    _check_open_for_reactions(pin)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a comment first.")})
    if len(text) > TEXT_MAX:
        raise ValidationError({"text": _("Keep it to %(max)d characters.") % {"max": TEXT_MAX}})
    claim_token(form_token)
    comment = Comment.objects.create(pin=pin, author=user, text=text, show_name=bool(show_name))
    Pin.objects.filter(pk=pin.pk).update(comment_count=F("comment_count") + 1)
    return comment
