"""The in-memory locate index and its per-process cache."""

import numpy as np
import pytest
from django.utils import translation
from shapely.geometry import box

from conftest import commit, fc, metres
from wangge.core.errors import ApplicationError
from wangge.routing import services
from wangge.routing.locate import Feature, TerritoryIndex


def small_index() -> TerritoryIndex:
    return TerritoryIndex(
        boundary=box(0, 0, 2, 1),
        grids=[(Feature(1, "L", "left"), box(0, 0, 1, 1)), (Feature(2, "R", "right"), box(1, 0, 2, 1))],
        layers=[(9, "police", "警格", [(Feature(7, "P", "p"), box(0, 0, 2, 1))])],
    )


def test_point_on_shared_edge_gets_the_first_grid_deterministically():
    index = small_index()
    assert index.locate(1.0, 0.5)["grid"]["code"] == "L"
    assert index.locate(1.5, 0.5)["grid"]["code"] == "R"


def test_batch_equals_single_calls():
    index = small_index()
    rng = np.random.default_rng(1)
    lons, lats = rng.uniform(-0.5, 2.5, 500), rng.uniform(-0.5, 1.5, 500)
    batch = index.locate_many(lons, lats)
    for i in range(500):
        assert index.describe(batch, i) == index.locate(lons[i], lats[i])
    outside = ~((lons >= 0) & (lons <= 2) & (lats >= 0) & (lats <= 1))
    assert (batch.grid[outside] == -1).all() and (batch.units["police"][outside] == -1).all()
    assert (batch.grid[~outside] >= 0).all()


def test_outside_is_never_snapped_to_the_nearest_grid():
    index = small_index()
    result = index.locate(2.0000001, 0.5)
    assert result == {"inside_jurisdiction": False, "grid": None, "units": [], "reason": "outside_jurisdiction"}


def test_index_is_rebuilt_when_the_territory_changes(territory, django_capture_on_commit_callbacks):
    p = metres(250, 250, 251, 251).centroid
    assert services.locate_point(jurisdiction=territory, lon=p.x, lat=p.y)["grid"]["code"] == "A"
    # Move grid code A away; the next locate (same process, immediately) must see it.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        commit(territory, None, "grids", fc({"A2": metres(0, 0, 500, 500), "B": metres(500, 0, 1000, 500)}))
    assert callbacks  # the territory-changed signal fired on commit
    assert services.locate_point(jurisdiction=territory, lon=p.x, lat=p.y)["grid"]["code"] == "A2"


def test_index_notices_a_version_bump_from_another_process(territory):
    p = metres(250, 250, 251, 251).centroid
    services.locate_point(jurisdiction=territory, lon=p.x, lat=p.y)
    cached = services._cache[territory.pk]
    # Simulate another process: bump the version without this process's signal, and expire the check.
    type(territory).objects.filter(pk=territory.pk).update(territory_version=cached[0] + 1)
    services._cache[territory.pk] = (cached[0], cached[1], cached[2] - services.VERSION_CHECK_INTERVAL - 1)
    services.locate_point(jurisdiction=territory, lon=p.x, lat=p.y)
    assert services._cache[territory.pk][0] == cached[0] + 1
    assert services._cache[territory.pk][1] is not cached[1]


@pytest.mark.parametrize(("lon", "lat", "crs", "zh", "en"), [
    (200.0, 31.2, "wgs84", "经度", "longitude from -180 to 180"),
    (121.4, float("nan"), "gcj02", "经度", "longitude from -180 to 180"),
    (121.4, 31.2, "utm", "未知坐标系", "Unknown coordinate system 'utm'"),
])
def test_bad_coordinates_are_refused_in_the_readers_language(territory, lon, lat, crs, zh, en):
    with pytest.raises(ApplicationError) as info:
        services.locate_point(jurisdiction=territory, lon=lon, lat=lat, crs=crs)
    assert info.value.code == "invalid_coordinates" and zh in info.value.message
    with translation.override("en"), pytest.raises(ApplicationError) as info:
        services.locate_point(jurisdiction=territory, lon=lon, lat=lat, crs=crs)
    assert en in info.value.message
