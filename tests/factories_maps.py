"""Factory helpers for community maps (hostile default text, like tests/factories.py)."""

from __future__ import annotations

import random
from typing import Any

from copro.maps.models import Category, Map, MapStatus, Pin, Place
from tests.factories import HOSTILE

CARDIFF = {"south": 51.42, "west": -3.30, "north": 51.56, "east": -3.05, "centre_lat": 51.4816, "centre_lng": -3.1791}


def community_map(project: Any, *, created_by: Any, status: str = MapStatus.OPEN, **fields: Any) -> Map:
    the_map = Map.objects.create(
        project=project,
        title=fields.pop("title", "Teithio llesol " + HOSTILE),
        description=fields.pop("description", HOSTILE),
        how_used=fields.pop("how_used", "We read every pin. " + HOSTILE),
        status=status,
        created_by=created_by,
        zoom=13,
        **{**CARDIFF, **fields},
    )
    Category.objects.create(map=the_map, name="Unsafe crossing", position=0)
    Category.objects.create(map=the_map, name="Cycle parking " + HOSTILE, position=1)
    Place.objects.create(map=the_map, name="Queen Street", lat=51.4816, lng=-3.1746)
    Place.objects.create(map=the_map, name="Cardiff Bay barrage", lat=51.4497, lng=-3.1653)
    Place.objects.create(map=the_map, name="Heol y Frenhines (Ŵŷâ)", lat=51.4818, lng=-3.1750)
    return the_map


def pins(the_map: Map, n: int, *, seed: int = 1, author: Any = None, **fields: Any) -> list[Pin]:
    """n pins spread over the map's area, created in bulk (as the scale seed would)."""
    rng = random.Random(seed)
    category = the_map.categories.first()
    agrees = fields.pop("agree_count", None)
    made = [
        Pin(
            map=the_map,
            category=category,
            lat=rng.uniform(the_map.south, the_map.north),
            lng=rng.uniform(the_map.west, the_map.east),
            text=f"Pin {i} {HOSTILE}",
            author=author,
            agree_count=rng.randint(0, 5) if agrees is None else agrees,
            **fields,
        )
        for i in range(n)
    ]
    return Pin.objects.bulk_create(made, batch_size=1000)
