"""Load the generated demo street through the same services an administrator uses."""

from __future__ import annotations

import json

from django.db import transaction

from wangge.accounts.models import Role, User
from wangge.accounts.services import user_create
from wangge.core.models import Jurisdiction
from wangge.core.services import jurisdiction_upsert
from wangge.grids import imports
from wangge.grids.demo_data import generate_street
from wangge.grids.models import AssignmentRole, Department, Grid, Layer, LayerKind
from wangge.grids.services import department_upsert, grid_assign, person_create

DEMO_PASSWORD = "wangge123"  # noqa: S105 - documented demo logins
ROLE_BY_PERSON = {
    "grid_worker": Role.GRID_WORKER, "liaison": Role.LEADER, "handler": Role.HANDLER,
    "operator": Role.OPERATOR, "leader": Role.LEADER,
}


def _fc(features: list[dict], extra_props=()) -> str:
    return json.dumps({
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": f["geometry"],
             "properties": {"code": f["code"], "name": f["name"], **{k: f.get(k) for k in extra_props if f.get(k)}}}
            for f in features
        ],
    }, ensure_ascii=False)


@transaction.atomic
def demo_street_load(*, seed: int = 20261125, password: str = DEMO_PASSWORD) -> Jurisdiction:
    data = generate_street(seed)
    j = data["jurisdiction"]
    jurisdiction = jurisdiction_upsert(code=j["code"], name=j["name"], boundary=j["boundary"])
    departments = {
        d["code"]: department_upsert(jurisdiction=jurisdiction, code=d["code"], name=d["name"], kind=d["kind"])
        for d in data["departments"]
    }
    admin = User.objects.filter(username="admin").first() or user_create(
        username="admin", password=password, role=Role.ADMIN, jurisdiction=jurisdiction, full_name="系统管理员",
        is_superuser=True,
    )
    batch = imports.import_preview(jurisdiction=jurisdiction, user=admin, kind="grids",
                                   raw=_fc(data["grids"], ("kind",)), filename="demo-grids.geojson")
    imports.import_commit(jurisdiction=jurisdiction, batch_id=batch.pk, user=admin)
    for order, layer in enumerate(data["layers"]):
        jurisdiction.refresh_from_db()
        kind = layer["kind"] if layer["kind"] in LayerKind.values else LayerKind.OTHER
        batch = imports.import_preview(
            jurisdiction=jurisdiction, user=admin, kind="layer", raw=_fc(layer["units"], ("department",)),
            filename=f"demo-{layer['code']}.geojson", layer_code=layer["code"], layer_name=layer["name"], layer_kind=kind,
        )
        imports.import_commit(jurisdiction=jurisdiction, batch_id=batch.pk, user=admin)
        Layer.objects.filter(jurisdiction=jurisdiction, code=layer["code"]).update(
            sort_order=order, department=departments.get(layer.get("department") or ""),
        )
    grids = {g.code: g for g in Grid.objects.filter(jurisdiction=jurisdiction)}
    for p in data["people"]:
        user = None
        if p.get("username") and not User.objects.filter(username=p["username"]).exists():
            user = user_create(username=p["username"], password=password, role=ROLE_BY_PERSON[p["role"]],
                               jurisdiction=jurisdiction, full_name=p["name"])
        department = departments.get(p.get("department") or "")
        title = {"grid_worker": "网格员", "liaison": "包联干部"}.get(p["role"], "")
        person = person_create(jurisdiction=jurisdiction, name=p["name"], phone=p["phone"], title=title,
                               department=department, user=user)
        role = AssignmentRole.LIAISON if p["role"] == "liaison" else AssignmentRole.GRID_WORKER
        if p["role"] in ("grid_worker", "liaison"):
            for code in p.get("grids", []):
                grid_assign(grid=grids[code], person=person, role=role)
    return jurisdiction


def demo_street_exists() -> bool:
    return Department.objects.exists() and Grid.objects.exists()
