"""Who is responsible (属地 / 属主): a suggestion for the lead department, from rules that are data.

Events go territory-first: the department whose own layer unit covers the place (the 城管 squad of that
urban-management grid, the police station of that 警格). Components go owner-first: the owner of the asset,
e.g. the property company of the compound the place lies in. Rules per category and area (RoutingRule,
edited in the admin like FixMyStreet's per-body categories) override the defaults; the most specific rule
wins: a minor category before its major class before any category, an area before none.
"""

from __future__ import annotations

from wangge.cases.models import Category, CategoryKind
from wangge.core.models import Jurisdiction
from wangge.grids.models import Department, Layer, LayerUnit

# A department kind's own layer kind.
LAYER_OF = {"urban_management": "urban", "police": "police", "market": "market", "community": "community",
            "party": "party", "property": "property"}


def _unit_department(jurisdiction: Jurisdiction, located: dict, *, layer_code: str | None = None,
                     layer_kind: str | None = None) -> int | None:
    """The department of the unit covering the place in the given layer (the unit's own, else the layer's)."""
    layers = Layer.objects.filter(jurisdiction=jurisdiction)
    layers = layers.filter(code=layer_code) if layer_code else layers.filter(kind=layer_kind)
    by_code = {layer.code: layer for layer in layers}
    for unit in located.get("units", []):
        layer = by_code.get(unit["layer"])
        if layer is None:
            continue
        department_id = LayerUnit.objects.filter(pk=unit["id"]).values_list("department_id", flat=True).first()
        if department_id or layer.department_id:
            return department_id or layer.department_id
    return None


def _by_kind(jurisdiction: Jurisdiction, kind: str) -> int | None:
    return Department.objects.filter(jurisdiction=jurisdiction, kind=kind).order_by("code").values_list("pk", flat=True).first()


def _rule_for(jurisdiction: Jurisdiction, category: Category, located: dict):
    from wangge.routing.models import RoutingRule

    grid_id = (located.get("grid") or {}).get("id")
    unit_ids = [u["id"] for u in located.get("units", [])]
    best, best_rank = None, None
    rules = RoutingRule.objects.filter(jurisdiction=jurisdiction, active=True).select_related("layer")
    for rule in rules:
        if rule.category_id not in (None, category.pk, category.parent_id):
            continue
        if rule.grid_id and rule.grid_id != grid_id:
            continue
        if rule.unit_id and rule.unit_id not in unit_ids:
            continue
        rank = (2 if rule.category_id == category.pk else 1 if rule.category_id else 0,
                1 if (rule.grid_id or rule.unit_id) else 0, -rule.priority)
        if best_rank is None or rank > best_rank:
            best, best_rank = rule, rank
    return best


def suggest(*, jurisdiction: Jurisdiction, category: Category, located: dict) -> tuple[int | None, str]:
    """(department id or None, which rule decided) for a located, classified report."""
    rule = _rule_for(jurisdiction, category, located)
    if rule is not None:
        if rule.department_id:
            return rule.department_id, f"rule:{rule.pk}"
        if rule.layer_id:
            found = _unit_department(jurisdiction, located, layer_code=rule.layer.code)
            if found:
                return found, f"rule:{rule.pk}:{rule.basis}"
    kind = category.department_kind
    if category.kind == CategoryKind.COMPONENT:
        owner = _unit_department(jurisdiction, located, layer_kind="property")
        if owner:
            return owner, "owner:property"
    if kind in LAYER_OF:
        found = _unit_department(jurisdiction, located, layer_kind=LAYER_OF[kind])
        if found:
            return found, f"territory:{LAYER_OF[kind]}"
    if kind:
        found = _by_kind(jurisdiction, kind)
        if found:
            return found, f"kind:{kind}"
    return None, ""
