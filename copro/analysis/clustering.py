"""Grid clustering of map points for one viewport, so a map never receives more than a few thousand features.

Plain data in, plain data out (no Django). The grid is laid out in Web Mercator pixels at the requested
zoom (the projection the map draws in), anchored at the world's origin rather than at the viewport, so
a cluster does not jump about when someone pans a little. Each grid cell holding one point gives back
that point; a cell holding two or more gives back one cluster with its count and the centroid of its
points. The number of features is at most the number of grid cells touching the viewport, and the cell
size grows until that number is within the cap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TILE_PX = 256  # Web Mercator: the world is 256 * 2**zoom pixels wide
CELL_PX = 64  # a cluster stands for the points within about a finger's width on screen
MAX_LAT = 85.05112878  # Web Mercator's edge


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True)
class Point:
    id: int
    lat: float
    lng: float
    category_id: int
    agree_count: int


@dataclass(frozen=True)
class Cluster:
    lat: float  # the centroid of its points
    lng: float
    count: int


def mercator_px(lat: np.ndarray, lng: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixel coordinates (x east, y south) of points at this zoom."""
    scale = TILE_PX * 2.0**zoom
    lat = np.clip(lat, -MAX_LAT, MAX_LAT)
    x = (lng + 180.0) / 360.0 * scale
    sin = np.sin(np.radians(lat))
    y = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def cell_size(bbox: BBox, zoom: float, max_features: int, cell_px: float = CELL_PX) -> float:
    """The grid's cell size in pixels: `cell_px`, doubled until the cells touching the viewport fit the cap."""
    x0, y0 = mercator_px(np.array([bbox.north]), np.array([bbox.west]), zoom)
    x1, y1 = mercator_px(np.array([bbox.south]), np.array([bbox.east]), zoom)
    width, height = float(x1[0] - x0[0]), float(y1[0] - y0[0])
    size = float(cell_px)
    # A viewport w pixels wide touches at most ceil(w / size) + 1 anchored cells across.
    while (math.ceil(width / size) + 1) * (math.ceil(height / size) + 1) > max_features:
        size *= 2
    return size


def estimate_zoom(bbox: BBox, viewport_px: int = 1024) -> int:
    """The zoom at which the bbox is about `viewport_px` wide, for clients that do not say."""
    span = max(bbox.east - bbox.west, 1e-9)
    return int(max(0, min(22, math.floor(math.log2(360.0 * viewport_px / (TILE_PX * span))))))


def cluster(
    points: Sequence[tuple[int, float, float, int, int]],
    bbox: BBox,
    zoom: float,
    *,
    max_features: int = 2000,
    individual_below: int = 300,
    cell_px: float = CELL_PX,
) -> list[Point | Cluster]:
    """Points (id, lat, lng, category_id, agree_count) inside `bbox`, as at most `max_features` features.

    When there are fewer than `individual_below` points (and no more than the cap) every point comes back
    as itself. Otherwise points are grouped on the grid: lone points stay points, others become clusters.
    Features come back in a stable order (by grid cell).
    """
    n = len(points)
    if n == 0:
        return []
    if n < individual_below and n <= max_features:
        return [Point(int(p[0]), float(p[1]), float(p[2]), int(p[3]), int(p[4])) for p in points]
    data = np.asarray(points, dtype=np.float64)
    ids, lat, lng = data[:, 0], data[:, 1], data[:, 2]
    size = cell_size(bbox, zoom, max_features, cell_px)
    x, y = mercator_px(lat, lng, zoom)
    cx = np.floor(x / size).astype(np.int64)
    cy = np.floor(y / size).astype(np.int64)
    keys = cx * (1 << 31) + cy  # cx, cy < 2**31 up to zoom 22 with cells of 64 px or more
    cells, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    sum_lat = np.bincount(inverse, weights=lat, minlength=len(cells))
    sum_lng = np.bincount(inverse, weights=lng, minlength=len(cells))
    # For a cell of one point, the point's own row: the last row written to each cell wins.
    row_of_cell = np.empty(len(cells), dtype=np.int64)
    row_of_cell[inverse] = np.arange(n)
    features: list[Point | Cluster] = []
    for cell in range(len(cells)):
        count = int(counts[cell])
        if count == 1:
            row = int(row_of_cell[cell])
            features.append(
                Point(int(ids[row]), float(lat[row]), float(lng[row]), int(data[row, 3]), int(data[row, 4]))
            )
        else:
            features.append(Cluster(float(sum_lat[cell] / count), float(sum_lng[cell] / count), count))
    return features
