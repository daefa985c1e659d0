"""Grid clustering of map points: hand-made points whose clusters are known."""

from __future__ import annotations

import random

import numpy as np

from copro.analysis.clustering import BBox, Cluster, Point, cell_size, cluster, estimate_zoom, mercator_px

CARDIFF = BBox(west=-3.30, south=51.42, east=-3.05, north=51.56)


def test_few_points_come_back_as_themselves():
    points = [(1, 51.48, -3.18, 7, 2), (2, 51.49, -3.17, 8, 0)]
    assert cluster(points, CARDIFF, 13) == [Point(1, 51.48, -3.18, 7, 2), Point(2, 51.49, -3.17, 8, 0)]


def test_no_points_no_features():
    assert cluster([], CARDIFF, 13) == []


def test_two_tight_groups_and_a_loner_make_two_clusters_and_one_point():
    # 10 pins within a few metres at the castle, 5 at the bay, one alone in Llandaff; forced onto the grid.
    castle = [(i, 51.4816 + i * 1e-5, -3.1810, 1, 0) for i in range(10)]
    bay = [(100 + i, 51.4640, -3.1630 - i * 1e-5, 2, 0) for i in range(5)]
    loner = [(999, 51.4950, -3.2170, 3, 4)]
    features = cluster(castle + bay + loner, CARDIFF, 13, individual_below=0)
    clusters = sorted((f for f in features if isinstance(f, Cluster)), key=lambda c: c.count)
    points = [f for f in features if isinstance(f, Point)]
    assert [c.count for c in clusters] == [5, 10]
    assert points == [Point(999, 51.4950, -3.2170, 3, 4)]
    # Each cluster sits at the centroid of its points.
    assert abs(clusters[1].lat - sum(p[1] for p in castle) / 10) < 1e-9
    assert abs(clusters[1].lng - -3.1810) < 1e-9
    assert abs(clusters[0].lat - 51.4640) < 1e-9
    assert abs(clusters[0].lng - sum(p[2] for p in bay) / 5) < 1e-9


def test_zooming_in_far_enough_splits_a_cluster():
    # Two pins about 300 m apart: one cluster at zoom 10 (64 px is ~9 km), two points at zoom 17 (~30 m).
    pair = [(1, 51.4816, -3.1810, 1, 0), (2, 51.4816, -3.1767, 1, 0)]
    assert cluster(pair, CARDIFF, 10, individual_below=0) == [Cluster(51.4816, (-3.1810 - 3.1767) / 2, 2)]
    assert sorted(f.id for f in cluster(pair, CARDIFF, 17, individual_below=0)) == [1, 2]  # type: ignore[union-attr]


def test_counts_add_up_and_the_cap_holds_for_many_points():
    rng = random.Random(4)
    points = [
        (i, rng.uniform(CARDIFF.south, CARDIFF.north), rng.uniform(CARDIFF.west, CARDIFF.east), 1, 0)
        for i in range(20_000)
    ]
    for zoom in (10, 13, 16, 19):
        features = cluster(points, CARDIFF, zoom, max_features=2000)
        assert len(features) <= 2000
        total = sum(f.count if isinstance(f, Cluster) else 1 for f in features)
        assert total == 20_000


def test_cell_size_grows_until_the_cells_in_view_fit_the_cap():
    # At zoom 19 the Cardiff box is hundreds of thousands of pixels wide: 64 px cells would be millions.
    size = cell_size(CARDIFF, 19, 2000)
    x0, y0 = mercator_px(np.array([CARDIFF.north]), np.array([CARDIFF.west]), 19)
    x1, y1 = mercator_px(np.array([CARDIFF.south]), np.array([CARDIFF.east]), 19)
    cells = (int((x1[0] - x0[0]) // size) + 2) * (int((y1[0] - y0[0]) // size) + 2)
    assert cells <= 2000
    assert size > 64
    # A small viewport keeps the finest grid.
    assert cell_size(BBox(-3.19, 51.48, -3.17, 51.49), 15, 2000) == 64


def test_estimated_zoom_is_about_right_for_a_city():
    assert 11 <= estimate_zoom(CARDIFF) <= 13
    assert estimate_zoom(BBox(-180, -85, 180, 85)) <= 2


def test_grid_is_anchored_to_the_world_so_panning_does_not_move_clusters():
    points = [(i, 51.4816 + (i % 7) * 1e-4, -3.1810 + (i // 7) * 1e-4, 1, 0) for i in range(49)]
    shifted = BBox(CARDIFF.west - 0.01, CARDIFF.south - 0.01, CARDIFF.east - 0.01, CARDIFF.north - 0.01)
    a = cluster(points, CARDIFF, 14, individual_below=0)
    b = cluster(points, shifted, 14, individual_below=0)
    assert sorted(map(repr, a)) == sorted(map(repr, b))
