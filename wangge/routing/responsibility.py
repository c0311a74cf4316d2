"""Who is responsible (属地 / 属主): a suggestion for the lead department, from rules that are data.

Events go territory-first: the department whose own layer unit covers the place (the 城管 squad of that
urban-management grid, the police station of that 警格). Components go owner-first: the owner of the asset,
e.g. the property company of the compound the place lies in. Rules per category and area (RoutingRule,
edited in the admin like FixMyStreet's per-body categories) override the defaults; the most specific rule
wins: a minor category before its major class before any category, an area before none.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from wangge.cases.models import Category, CategoryKind
from wangge.core.models import Jurisdiction
from wangge.grids.models import Department, Layer, LayerUnit

# A department kind's own layer kind.
LAYER_OF = {"urban_management": "urban", "police": "police", "market": "market", "community": "community",
            "party": "party", "property": "property"}


class Responsibility:
    """The rules, layers and departments of a jurisdiction read once, for many suggestions: a batch of reports
    (an import chunk) costs the same few queries as one. `unit_ids`: the layer units the places may lie in (only
    their departments are read)."""

    def __init__(self, jurisdiction: Jurisdiction, *, unit_ids: Iterable[int] = ()):
        from wangge.routing.models import RoutingRule

        self.jurisdiction = jurisdiction
        self.unit_ids = sorted(set(unit_ids))
        self.rules = list(RoutingRule.objects.filter(jurisdiction=jurisdiction, active=True).select_related("layer"))

    # Read when first needed (one query each): a rule naming a department needs none of them.
    @cached_property
    def layers(self) -> list[dict]:
        return list(Layer.objects.filter(jurisdiction=self.jurisdiction).values("code", "kind", "department_id"))

    @cached_property
    def unit_departments(self) -> dict[int, int | None]:
        if not self.unit_ids:
            return {}
        return dict(LayerUnit.objects.filter(pk__in=self.unit_ids).values_list("pk", "department_id"))

    @cached_property
    def first_by_kind(self) -> dict[str, int]:
        first: dict[str, int] = {}
        for kind, pk in Department.objects.filter(jurisdiction=self.jurisdiction).order_by("-code").values_list("kind", "pk"):
            first[kind] = pk  # by code descending: each kind's lowest code is written last
        return first

    def _unit_department(self, located: dict, *, layer_code: str | None = None, layer_kind: str | None = None) -> int | None:
        """The department of the unit covering the place in the given layer (the unit's own, else the layer's)."""
        by_code = {layer["code"]: layer for layer in self.layers
                   if (layer["code"] == layer_code if layer_code else layer["kind"] == layer_kind)}
        for unit in located.get("units", []):
            layer = by_code.get(unit["layer"])
            if layer is None:
                continue
            department_id = self.unit_departments.get(unit["id"])
            if department_id or layer["department_id"]:
                return department_id or layer["department_id"]
        return None

    def _rule_for(self, category: Category, located: dict):
        grid_id = (located.get("grid") or {}).get("id")
        unit_ids = [u["id"] for u in located.get("units", [])]
        best, best_rank = None, None
        for rule in self.rules:
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

    def suggest(self, *, category: Category, located: dict) -> tuple[int | None, str]:
        """(department id or None, which rule decided) for a located, classified report."""
        rule = self._rule_for(category, located)
        if rule is not None:
            if rule.department_id:
                return rule.department_id, f"rule:{rule.pk}"
            if rule.layer_id:
                found = self._unit_department(located, layer_code=rule.layer.code)
                if found:
                    return found, f"rule:{rule.pk}:{rule.basis}"
        kind = category.department_kind
        if category.kind == CategoryKind.COMPONENT:
            owner = self._unit_department(located, layer_kind="property")
            if owner:
                return owner, "owner:property"
        if kind in LAYER_OF:
            found = self._unit_department(located, layer_kind=LAYER_OF[kind])
            if found:
                return found, f"territory:{LAYER_OF[kind]}"
        if kind:
            found = self.first_by_kind.get(kind)
            if found:
                return found, f"kind:{kind}"
        return None, ""


def suggest(*, jurisdiction: Jurisdiction, category: Category, located: dict) -> tuple[int | None, str]:
    """(department id or None, which rule decided) for a located, classified report."""
    return Responsibility(jurisdiction, unit_ids=[u["id"] for u in located.get("units", [])]).suggest(
        category=category, located=located)
