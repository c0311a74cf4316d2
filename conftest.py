"""Shared fixtures: a hand-made territory whose coverage shares are known exactly, users for every role."""

import json

import pytest
import shapely
from shapely.geometry import box

from wangge.accounts.models import Role
from wangge.accounts.services import user_create
from wangge.core.geo import LocalProjection, to_geojson
from wangge.core.services import jurisdiction_upsert
from wangge.grids import imports
from wangge.grids.models import AssignmentRole, Grid
from wangge.grids.services import department_upsert, grid_assign, person_create

# Local metres are centred on the jurisdiction's centre, so the service's own projection is the same.
LON0, LAT0 = 121.44, 31.24
PROJ = LocalProjection(LON0, LAT0)


def metres(minx, miny, maxx, maxy):
    """A WGS84 box given in metres from the south-west corner of the 1 km × 1 km fixture territory."""
    return PROJ.inverse(box(minx - 500, miny - 500, maxx - 500, maxy - 500))


def fc(features: dict, **extra) -> str:
    """{code: shapely geometry} → GeoJSON FeatureCollection text."""
    return json.dumps({
        "type": "FeatureCollection", **extra,
        "features": [
            {"type": "Feature", "geometry": to_geojson(g, 9), "properties": {"code": code, "name": f"名{code}"}}
            for code, g in features.items()
        ],
    }, ensure_ascii=False)


# Four grids; C overlaps D by 10 m × 480 m; the strip x 510–1000, y 980–1000 is a 9,800 m² gap.
GRIDS = {
    "A": metres(0, 0, 500, 500),
    "B": metres(500, 0, 1000, 500),
    "C": metres(0, 500, 510, 1000),
    "D": metres(500, 500, 1000, 980),
}
POLICE = {"P1": metres(0, 0, 300, 1000), "P2": metres(300, 0, 1000, 1000)}
URBAN = {"U1": metres(0, 0, 502, 1000), "U2": metres(502, 0, 1000, 1000)}  # 2 m slivers on B and D
PROPERTY = {"Y1": metres(100, 100, 200, 200)}  # a compound wholly inside A


def commit(jurisdiction, user, kind, raw, **kw):
    batch = imports.import_preview(jurisdiction=jurisdiction, user=user, kind=kind, raw=raw, **kw)
    imports.import_commit(jurisdiction=jurisdiction, batch_id=batch.pk, user=user)
    jurisdiction.refresh_from_db()
    return batch


@pytest.fixture
def territory(db):
    j = jurisdiction_upsert(code="T1", name="测试街道", boundary=to_geojson(metres(0, 0, 1000, 1000), 9))
    admin = user_create(username="admin", password="pw-admin-1", role=Role.ADMIN, jurisdiction=j, is_superuser=True)
    commit(j, admin, "grids", fc(GRIDS))
    commit(j, admin, "layer", fc(POLICE), layer_code="police", layer_name="警格", layer_kind="police")
    commit(j, admin, "layer", fc(URBAN), layer_code="urban", layer_name="城管网格", layer_kind="urban")
    commit(j, admin, "layer", fc(PROPERTY), layer_code="property", layer_name="物业小区", layer_kind="property")
    return j


@pytest.fixture
def people(territory):
    """Users of every role; the grid worker is assigned grid A only; the handler works for 城管."""
    j = territory
    urban = department_upsert(jurisdiction=j, code="urban", name="城管中队", kind="urban_management")
    police = department_upsert(jurisdiction=j, code="police", name="派出所", kind="police")
    users = {
        "admin": j.users.get(username="admin"),
        "operator": user_create(username="op", password="pw-op-1", role=Role.OPERATOR, jurisdiction=j),
        "leader": user_create(username="lead", password="pw-lead-1", role=Role.LEADER, jurisdiction=j),
        "worker": user_create(username="gw", password="pw-gw-1", role=Role.GRID_WORKER, jurisdiction=j),
        "handler": user_create(username="h", password="pw-h-1", role=Role.HANDLER, jurisdiction=j),
    }
    grids = {g.code: g for g in Grid.objects.filter(jurisdiction=j)}
    worker = person_create(jurisdiction=j, name="王小明", phone="13812345678", user=users["worker"])
    grid_assign(grid=grids["A"], person=worker, role=AssignmentRole.GRID_WORKER)
    other = person_create(jurisdiction=j, name="李四", phone="13900001111")
    grid_assign(grid=grids["B"], person=other, role=AssignmentRole.GRID_WORKER)
    cadre = person_create(jurisdiction=j, name="赵包联", phone="13700002222", department=police)
    grid_assign(grid=grids["A"], person=cadre, role=AssignmentRole.LIAISON)
    person_create(jurisdiction=j, name="城管张", phone="13600003333", department=urban, user=users["handler"])
    return users


__all__ = ["shapely"]
