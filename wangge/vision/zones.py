"""Camera zones: polygons in image pixel coordinates (x right, y down), validated with shapely."""

from __future__ import annotations

import math
from collections.abc import Sequence

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from wangge.core.errors import ApplicationError

__all__ = ["Polygon", "ZoneInvalid", "contains", "zone_polygon"]


class ZoneInvalid(ApplicationError):
    code = "zone_invalid"


def zone_polygon(points: Sequence[Sequence[float]], *, width: int, height: int) -> Polygon:
    """A validated zone: at least 3 distinct points, every point inside the width × height frame,
    not self-intersecting and with an area. Raises ZoneInvalid with the reason."""
    if width <= 0 or height <= 0:
        raise ZoneInvalid(_("The frame size must be positive."), code="zone_bad_frame")
    pts: list[tuple[float, float]] = []
    for p in points:
        if len(p) != 2:
            raise ZoneInvalid(_("Each zone point needs exactly two coordinates (x, y)."), code="zone_bad_point")
        try:
            x, y = float(p[0]), float(p[1])
        except (TypeError, ValueError):
            raise ZoneInvalid(_("Zone coordinates must be numbers."), code="zone_bad_point") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ZoneInvalid(_("Zone coordinates must be finite numbers."), code="zone_bad_point")
        if not (0 <= x <= width and 0 <= y <= height):
            raise ZoneInvalid(
                _("Zone point (%(x)s, %(y)s) lies outside the %(width)s×%(height)s frame.")
                % {"x": f"{x:g}", "y": f"{y:g}", "width": width, "height": height},
                code="zone_outside_frame",
            )
        pts.append((x, y))
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts.pop()  # a closed ring given explicitly
    if len(set(pts)) < 3:
        raise ZoneInvalid(_("A zone needs at least 3 distinct points."), code="zone_too_few_points")
    poly = Polygon(pts)
    if not poly.is_valid:
        raise ZoneInvalid(
            _("The zone outline crosses itself (%(reason)s).") % {"reason": explain_validity(poly)},
            code="zone_self_intersecting",
        )
    if poly.area <= 0:
        raise ZoneInvalid(_("The zone has no area."), code="zone_empty")
    shapely.prepare(poly)
    return poly


def contains(zone: Polygon, x: float, y: float) -> bool:
    """Whether the point lies in the zone; points on the outline count as inside."""
    return bool(shapely.intersects_xy(zone, x, y))
