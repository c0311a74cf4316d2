"""Coordinates out of the location links people paste from map apps and WeChat.

AMap (高德) and Tencent / WeChat (腾讯) share GCJ-02 coordinates, Baidu shares BD-09; a bare "lat,lon" or
"lon,lat" pair is taken as GCJ-02 (what a phone's map shows in China) unless the caller says otherwise.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError

_NUM = r"(-?\d{1,3}(?:\.\d+)?)"
_PAIR = re.compile(_NUM + r"\s*[,，\s]\s*" + _NUM)


def _china_order(a: float, b: float) -> tuple[float, float]:
    """(lon, lat) from a pair in either order: in China longitudes are 73–136, latitudes 3–54."""
    if 73 <= a <= 136 and 3 <= b <= 54:
        return a, b
    if 73 <= b <= 136 and 3 <= a <= 54:
        return b, a
    raise ApplicationError(_("(%(a)s, %(b)s) is not a place in China.") % {"a": a, "b": b}, code="invalid_coordinates")


def parse_location_link(text: str, *, bare_crs: str = "gcj02") -> tuple[float, float, str]:
    """(lon, lat, crs) from an AMap / Tencent / Baidu link or a bare coordinate pair (taken as `bare_crs`:
    GCJ-02 from a resident's phone map, WGS84 from an operator reading our own map)."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Paste a map link or coordinates."), code="invalid_location_link")
    url = urlsplit(text)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    host = (url.hostname or "").lower()
    if host.endswith("amap.com") or host.endswith("autonavi.com"):
        for key in ("position", "location", "q"):
            if key in query and (m := _PAIR.search(query[key])):
                return (*_china_order(float(m.group(1)), float(m.group(2))), "gcj02")
        if "lng" in query and "lat" in query:
            return (*_china_order(float(query["lng"]), float(query["lat"])), "gcj02")
        if host.startswith("surl") or host.startswith("m.amap"):
            raise ApplicationError(_("Short AMap links cannot be opened here: share the place as coordinates or drop a pin."),
                                   code="invalid_location_link")
    if host.endswith("qq.com"):
        for key in ("marker", "coord", "tocoord", "location"):
            if key in query and (m := _PAIR.search(unquote(query[key]))):
                return (*_china_order(float(m.group(1)), float(m.group(2))), "gcj02")
        if "latitude" in query and "longitude" in query:
            return (*_china_order(float(query["longitude"]), float(query["latitude"])), "gcj02")
    if host.endswith("baidu.com"):
        crs = "wgs84" if query.get("coord_type") == "wgs84" else "gcj02" if query.get("coord_type") == "gcj02" else "bd09"
        for key in ("location", "latlng", "position"):
            if key in query and (m := _PAIR.search(query[key])):
                return (*_china_order(float(m.group(1)), float(m.group(2))), crs)
    if not url.scheme and (m := _PAIR.fullmatch(text)):
        return (*_china_order(float(m.group(1)), float(m.group(2))), bare_crs)
    raise ApplicationError(_("This link has no coordinates we can read: drop a pin on the map instead."),
                           code="invalid_location_link")
