"""Reads for map pages and the map's data endpoint, scoped to the person asking."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Q, QuerySet

from copro.analysis import clustering
from copro.core.forms import parse_id, whole_number
from copro.core.permissions import TABLE, Role
from copro.maps.models import Map, Pin

MAX_FEATURES = 2000  # the most features one map response carries, however many pins are in view


class BadViewport(ValueError):
    """The bbox, zoom or category in a map data request could not be read."""


def pins_for_list(map: Map, user: Any, role: Role, *, category: int | None = None, q: str = "") -> QuerySet[Pin]:
    """The pins of the accessible list: hidden pins are left out, except for their author and facilitators
    (who see them marked as hidden)."""
    pins = Pin.objects.filter(map=map).select_related("category", "place", "author")
    if not TABLE.allowed(role, "maps.manage"):
        visible = Q(hidden_at__isnull=True)
        if user.is_authenticated:
            visible |= Q(author=user)
        pins = pins.filter(visible)
    if category is not None:
        pins = pins.filter(category_id=category)
    if q:
        pins = pins.filter(Q(text__icontains=q) | Q(location_text__icontains=q) | Q(place__name__icontains=q))
    return pins


def parse_category(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    category = parse_id(raw)
    if category is None:
        raise BadViewport("category must be the number of one of the map's categories.")
    return category


def parse_viewport(bbox: str | None, zoom: str | None) -> tuple[clustering.BBox, int]:
    """bbox=west,south,east,north in degrees; zoom optional (0-22). Raises BadViewport with a clear message."""
    if not bbox:
        raise BadViewport("bbox is required: bbox=west,south,east,north (degrees of longitude and latitude).")
    parts = bbox.split(",")
    if len(parts) != 4:
        raise BadViewport("bbox must be four numbers: west,south,east,north.")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise BadViewport("bbox must be four numbers: west,south,east,north.") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise BadViewport("bbox must be four finite numbers.")
    # A map panned past the edge of the world asks for more than it: clamp rather than refuse.
    west, east = max(west, -180.0), min(east, 180.0)
    south, north = max(south, -90.0), min(north, 90.0)
    if west >= east or south >= north:
        raise BadViewport("bbox must have west < east and south < north, within -180..180 and -90..90.")
    box = clustering.BBox(west=west, south=south, east=east, north=north)
    if zoom in (None, ""):
        return box, clustering.estimate_zoom(box)
    level = whole_number(zoom, max_digits=2)
    if level is None or not 0 <= level <= 22:
        raise BadViewport("zoom must be a whole number from 0 to 22.")
    return box, level


def map_features(map: Map, box: clustering.BBox, zoom: int, category: int | None = None) -> dict[str, Any]:
    """GeoJSON for the pins in view: one query, then clustering on the grid (clustering.cluster).

    Hidden pins and pins without coordinates (a typed address only) are not on the map; they are in the list.
    """
    pins = Pin.objects.filter(
        map=map,
        hidden_at__isnull=True,
        lat__isnull=False,
        lat__gte=box.south,
        lat__lte=box.north,
        lng__gte=box.west,
        lng__lte=box.east,
    )
    if category is not None:
        pins = pins.filter(category_id=category)
    # lat and lng are never null here (filtered above).
    rows: list[Any] = list(pins.order_by().values_list("id", "lat", "lng", "category_id", "agree_count"))
    features: list[dict[str, Any]] = []
    for f in clustering.cluster(rows, box, zoom, max_features=MAX_FEATURES):
        if isinstance(f, clustering.Point):
            features.append(
                {
                    "type": "Feature",
                    "id": f.id,
                    "geometry": {"type": "Point", "coordinates": [f.lng, f.lat]},
                    "properties": {"kind": "pin", "id": f.id, "category": f.category_id, "agrees": f.agree_count},
                }
            )
        else:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [f.lng, f.lat]},
                    "properties": {"kind": "cluster", "count": f.count},
                }
            )
    return {"type": "FeatureCollection", "total": len(rows), "zoom": zoom, "features": features}
