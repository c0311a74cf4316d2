"""Address gazetteer: free-text Shanghai addresses → a point, with how sure we are.

People write the same place many ways: "上海市普陀区长寿路街道长寿路123弄4号502室", "长寿路１２３弄４号",
"长寿路一百二十三弄", "长寿路123号近西康路", "长寿路西康路口", "长寿街123号" (the road is 长寿路), "长寿123号".
`parse_address` reads them into road / lane (弄) / sub-lane (支弄) / number (号) / building (号楼/幢/栋) and a
crossing road; `GazetteerIndex.geocode` matches them against the jurisdiction's `Address` rows, from the most to
the least precise:

    exact key 1.0 › without building 0.95 › without sub-lane 0.9 › same house number 0.85 › lane 0.8
    › interpolated between house numbers 0.7 › lane taken as a house number 0.65 › crossing 0.6
    › nearest house number 0.55 › road middle 0.4;  unknown road → None.

The index is a per-process cache rebuilt from the database when the jurisdiction's addresses change (a cheap
count/max query at most once a second; saves in this process invalidate at once): nothing assumes one process.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError
from wangge.grids.models import Address

# --------------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Geocoded:
    lon: float
    lat: float
    matched: str
    confidence: float
    level: str = ""


CONFIDENCE = {
    "exact": 1.0, "no_building": 0.95, "swapped": 0.9, "no_sub_lane": 0.9, "same_number": 0.85, "lane": 0.8, "interpolated": 0.7,
    "lane_as_number": 0.65, "crossing": 0.6, "nearest_number": 0.55, "road": 0.4,
}

# --------------------------------------------------------------------------------------------- parsing

ROAD_SUFFIXES = ("大道", "支路", "弄堂", "路", "街", "巷", "道")
_CN_DIGIT = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零〇○一二两三四五六七八九十百千"
_MARKERS = "支弄|号楼|号|弄|幢|栋|座|单元|室|楼|层"
_CN_BEFORE_MARKER = re.compile(rf"第?([{_CN_NUM}]+)(?=(?:{_MARKERS}))")
_DASH = re.compile(r"(?<=\d)\s*(?:之|[-‐‑‒–—―~～])\s*(?=\d)")
_DROP = re.compile(r"[\s,，。;；:：'\"“”‘’()（）\[\]【】<>《》]+")
_DISTRICTS = "黄浦|徐汇|长宁|静安|普陀|虹口|杨浦|闵行|宝山|嘉定|浦东新|浦东|金山|松江|青浦|奉贤|崇明|闸北|卢湾|南汇"
_PREFIX = re.compile(rf"^(?:中国|中华人民共和国|上海市|上海|市辖区|(?:{_DISTRICTS})区|[\u4e00-\u9fff]{{2,8}}?街道(?=.)|"
                     rf"[\u4e00-\u9fff]{{2,4}}镇(?![路街道])(?=.))")
_GENERIC_ROAD = re.compile(r"(?:近|靠近|临|与|和|及|、|/|&|\+)?([\u4e00-\u9fff]{1,10}?(?:大道|支路|弄堂|路|街|巷))")

_SUB_LANE = re.compile(r"(\d+)支弄")
_BUILDING = re.compile(r"(\d+)(?:号楼|幢|栋|座)")
_ROOM = re.compile(r"\d+(?:单元|室|楼|层|F|f)")
_LANE = re.compile(r"(\d+)弄(?!堂)")
_NUMBER = re.compile(r"(\d+(?:-\d+)?)号")
_BARE = re.compile(r"^(\d+(?:-\d+)?)(?![\d单元室楼层])")
_BARE_AFTER_LANE = re.compile(r"§(\d+(?:-\d+)?)(?![\d单元室楼层])")
_LEADING_CN = re.compile(rf"^([{_CN_NUM}]+)")


def cn_to_int(text: str) -> int:
    """一百二十三 → 123, 十二 → 12, 一二三 / 一〇五 (digit by digit) → 123 / 105."""
    if all(c in _CN_DIGIT for c in text):
        return int("".join(str(_CN_DIGIT[c]) for c in text))
    total, current = 0, 0
    for c in text:
        if c in _CN_DIGIT:
            current = _CN_DIGIT[c]
        elif c in _CN_UNIT:
            total += (current or 1) * _CN_UNIT[c]
            current = 0
    return total + current


def clean_text(text: str, *, jurisdiction_name: str = "") -> str:
    """Full-width → ASCII, Chinese numerals before 号/弄/… → digits, no spaces or punctuation, no 上海市/区/街道."""
    s = unicodedata.normalize("NFKC", text or "")
    s = _DASH.sub("-", s)
    s = _DROP.sub("", s)
    s = _CN_BEFORE_MARKER.sub(lambda m: str(cn_to_int(m.group(1))), s)
    while True:
        if jurisdiction_name and s.startswith(jurisdiction_name) and len(s) > len(jurisdiction_name):
            stripped = s[len(jurisdiction_name):]
        else:
            stripped = _PREFIX.sub("", s, count=1)
        if stripped == s or not stripped:
            return s
        s = stripped


def normalize_number(value) -> str:
    """A house/lane/building number as written in a column: '１２３号' / '一百二十三' / 123.0 → '123'; '123-1' stays."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = unicodedata.normalize("NFKC", str(value)).strip()
    s = _DASH.sub("-", s)
    s = re.sub(r"\s+", "", s)
    s = re.sub(rf"^第?([{_CN_NUM}]+)", lambda m: str(cn_to_int(m.group(1))), s)
    s = re.sub(r"(号楼|支弄|号|弄|幢|栋|座)$", "", s)
    m = re.fullmatch(r"0*(\d+)(?:-0*(\d+))?", s)
    if not m:
        return s
    return m.group(1) + (f"-{m.group(2)}" if m.group(2) else "")


def _house_number(raw: str) -> str:
    a, _sep, b = raw.partition("-")
    a = a.lstrip("0") or "0"
    if not b:
        return a
    b = b.lstrip("0") or "0"
    if len(b) == len(a) and int(b) > int(a):  # 123-125号: a range of numbers, the first one names it
        return a
    return f"{a}-{b}"


def road_stem(road: str) -> str:
    for suffix in ROAD_SUFFIXES:
        if road.endswith(suffix) and len(road) > len(suffix):
            return road[: -len(suffix)]
    return road


def address_key(*, road: str, lane: str = "", sub_lane: str = "", number: str = "", building: str = "") -> str:
    return f"{road}|{lane}|{sub_lane}|{number}|{building}"


def address_text(*, road: str, lane: str = "", sub_lane: str = "", number: str = "", building: str = "") -> str:
    return (f"{road}{lane + '弄' if lane else ''}{sub_lane + '支弄' if sub_lane else ''}"
            f"{number + '号' if number else ''}{building + '号楼' if building else ''}")


@dataclass
class ParsedAddress:
    road: str = ""
    number: str = ""
    lane: str = ""
    sub_lane: str = ""
    building: str = ""
    cross_road: str = ""
    clean: str = ""

    @property
    def key(self) -> str:
        return address_key(road=self.road, lane=self.lane, sub_lane=self.sub_lane, number=self.number,
                           building=self.building)

    @property
    def text(self) -> str:
        return address_text(road=self.road, lane=self.lane, sub_lane=self.sub_lane, number=self.number,
                            building=self.building)


def _number_follows(text: str, i: int) -> bool:
    """A house number starts at text[i]: digits, or at least two Chinese numerals (one alone is 一带, 两侧 …)."""
    return i < len(text) and (text[i].isdigit() or (text[i] in _CN_NUM and text[i + 1:i + 2] in tuple(_CN_NUM)))


class RoadMatcher:
    """Finds known roads in a text, tolerant of a wrong or missing suffix (长寿街 / 长寿 for 长寿路)."""

    def __init__(self, roads: Iterable[str]):
        self.roads = set(roads)
        self.by_stem: dict[str, str] = {}
        for road in sorted(self.roads, key=lambda r: (ROAD_SUFFIXES.index(r[-1]) if r[-1] in ROAD_SUFFIXES else 9, r)):
            self.by_stem.setdefault(road_stem(road), road)
        names = sorted(set(self.roads) | set(self.by_stem), key=len, reverse=True)
        suffixes = "|".join(ROAD_SUFFIXES)
        self.regex = re.compile(f"({'|'.join(map(re.escape, names))})({suffixes})?") if names else None

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(road, start, end) of every road named in the text, in order."""
        if self.regex is None:
            return []
        out = []
        for m in self.regex.finditer(text):
            name, suffix = m.group(1), m.group(2) or ""
            if name in self.roads:
                out.append((name, m.start(), m.start() + len(name)))
            elif name + suffix in self.roads:
                out.append((name + suffix, m.start(), m.end()))
            elif name in self.by_stem and (suffix or _number_follows(text, m.end())):
                # a stem with another suffix (长寿街 → 长寿路) or none before the number (长寿123号, 长寿一百二十三)
                out.append((self.by_stem[name], m.start(), m.end()))
        return out


def _generic_roads(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(1), m.start(1), m.end(1)) for m in _GENERIC_ROAD.finditer(text)]


def parse_address(text: str, *, roads: RoadMatcher | None = None, jurisdiction_name: str = "") -> ParsedAddress:
    """Read an address into its parts. With `roads`, only those roads are recognised (suffix typos tolerated);
    without, any name ending in 路/街/大道/巷/弄堂 is a road."""
    s = clean_text(text, jurisdiction_name=jurisdiction_name)
    p = ParsedAddress(clean=s)
    found = roads.find(s) if roads is not None else _generic_roads(s)
    if not found:
        return p
    # The main road is the one a number follows; another road named is the crossing (近XX路 / XX路口).
    near = [f for f in found if s[max(0, f[1] - 2):f[1]].endswith(("近", "临", "邻", "靠"))]
    main = next((f for f in found if _number_follows(s, f[2])),
                next((f for f in found if f not in near), found[0]))
    p.road = main[0]
    others = [f for f in found if f[0] != main[0]]
    if others:
        p.cross_road = others[0][0]
    nxt = min((f[1] for f in found if f[1] >= main[2]), default=len(s))
    tail = s[main[2]:nxt]
    lead = _LEADING_CN.match(tail)  # 长寿路一百二十三 (号 left out, the number in Chinese numerals)
    if lead and (lead.end() == len(tail) or len(lead.group(1)) > 1):  # one numeral alone: 一带, 两侧, 一段 …
        tail = str(cn_to_int(lead.group(1))) + tail[lead.end():]
    # Parts are cut out of the tail; "§" marks where a 弄 or 支弄 ended (a house number may follow without 号).
    m = _SUB_LANE.search(tail)
    if m:
        p.sub_lane = normalize_number(m.group(1))
        tail = tail[: m.start()] + "§" + tail[m.end():]
    m = _BUILDING.search(tail)
    if m:
        p.building = normalize_number(m.group(1))
        tail = tail[: m.start()] + "|" + tail[m.end():]
    tail = _ROOM.sub("|", tail)
    m = _LANE.search(tail)
    if m:
        p.lane = normalize_number(m.group(1))
        tail = tail[: m.start()] + "§" + tail[m.end():]
    m = _NUMBER.search(tail)
    if m:
        p.number = _house_number(m.group(1))
    elif "§" in tail:
        bare = _BARE_AFTER_LANE.search(tail)
        if bare:
            p.number = _house_number(bare.group(1))  # 123弄4, 123弄2支弄5 (号 left out)
    else:
        bare = _BARE.match(tail)
        if bare:
            p.number = _house_number(bare.group(1))  # 长寿路123 (号 left out)
    return p


# --------------------------------------------------------------------------------------------- the index


MEMO_SIZE = 50_000  # geocoded texts remembered per index


def _main_number(number: str) -> int | None:
    m = re.match(r"(\d+)", number)
    return int(m.group(1)) if m else None


@dataclass
class _Road:
    name: str
    # Street-front house numbers (no lane): sorted (main number, lon, lat, text) per parity.
    front: dict[int, list[tuple[int, float, float, str]]] = field(default_factory=lambda: {0: [], 1: []})
    lanes: dict[str, list[tuple[str, float, float, str]]] = field(default_factory=dict)
    points: list[tuple[float, float, str]] = field(default_factory=list)
    middle: tuple[float, float, str] | None = None


def _dist2(a: tuple[float, float], b: tuple[float, float]) -> float:
    kx = math.cos(math.radians(a[1]))
    return ((a[0] - b[0]) * kx) ** 2 + (a[1] - b[1]) ** 2


class GazetteerIndex:
    """The addresses of one jurisdiction in memory (pure: no database access)."""

    def __init__(self, rows: Iterable[tuple], *, jurisdiction_name: str = ""):
        """rows: (road, number, lane, sub_lane, building, lon, lat, full_text)."""
        self.jurisdiction_name = jurisdiction_name
        self.by_key: dict[str, tuple[float, float, str]] = {}
        self.roads: dict[str, _Road] = {}
        for road, number, lane, sub_lane, building, lon, lat, text in rows:
            self.by_key[address_key(road=road, lane=lane, sub_lane=sub_lane, number=number, building=building)] = (lon, lat, text)
            r = self.roads.get(road)
            if r is None:
                r = self.roads[road] = _Road(road)
            r.points.append((lon, lat, text))
            if lane:
                r.lanes.setdefault(lane, []).append((number, lon, lat, text))
            elif number and not sub_lane:
                n = _main_number(number)
                if n is not None and (not building or not any(e[0] == n for e in r.front[n % 2])):
                    r.front[n % 2].append((n, lon, lat, text))
        for r in self.roads.values():
            for parity in (0, 1):
                r.front[parity].sort()
            ordered = sorted(r.front[0] + r.front[1])
            if ordered:
                r.middle = ordered[len(ordered) // 2][1:]
            else:  # no street-front numbers: the point nearest the mean of all of the road's points
                mean = (sum(p[0] for p in r.points) / len(r.points), sum(p[1] for p in r.points) / len(r.points))
                r.middle = min(r.points, key=lambda p: _dist2(p[:2], mean))
        self.matcher = RoadMatcher(self.roads)
        self._crossings: dict[tuple[str, str], tuple[float, float]] = {}
        self._memo: dict[str, Geocoded | None] = {}

    def __len__(self) -> int:
        return len(self.by_key)

    def parse(self, address: str) -> ParsedAddress:
        return parse_address(address, roads=self.matcher, jurisdiction_name=self.jurisdiction_name)

    def geocode(self, address: str) -> Geocoded | None:
        """Memoised per index (the same addresses come back again and again in a hotline file)."""
        try:
            return self._memo[address]
        except KeyError:
            pass
        hit = self._geocode(address)
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[address] = hit
        return hit

    def _geocode(self, address: str) -> Geocoded | None:
        p = self.parse(address)
        road = self.roads.get(p.road)
        if road is None:
            return None

        def hit(level: str, lon: float, lat: float, matched: str) -> Geocoded:
            return Geocoded(lon=lon, lat=lat, matched=matched, confidence=CONFIDENCE[level], level=level)

        # 1. the same place, then the same place with fewer details
        tries = [("exact", p.key)]
        if p.building:
            tries.append(("no_building", address_key(road=p.road, lane=p.lane, sub_lane=p.sub_lane, number=p.number)))
            if p.lane and not p.number:  # 123弄5号楼 written for 123弄5号, or the other way round
                tries.append(("swapped", address_key(road=p.road, lane=p.lane, sub_lane=p.sub_lane, number=p.building)))
        elif p.lane and p.number:
            tries.append(("swapped", address_key(road=p.road, lane=p.lane, sub_lane=p.sub_lane, building=p.number)))
        if p.sub_lane and (p.number or p.building):
            tries.append(("no_sub_lane", address_key(road=p.road, lane=p.lane, number=p.number, building=p.building)))
            tries.append(("no_sub_lane", address_key(road=p.road, lane=p.lane, number=p.number)))
        for level, key in tries:
            if (p.number or p.lane or p.building) and key in self.by_key:
                lon, lat, text = self.by_key[key]
                return hit(level, lon, lat, text)
        # 2. the lane: its entrance, else the lane entry nearest the middle of the lane
        if p.lane and p.lane in road.lanes:
            entries = road.lanes[p.lane]
            entrance = next((e for e in entries if not e[0]), None)
            if entrance is None:
                mean = (sum(e[1] for e in entries) / len(entries), sum(e[2] for e in entries) / len(entries))
                entrance = min(entries, key=lambda e: _dist2(e[1:3], mean))
            return hit("lane", entrance[1], entrance[2], f"{p.road}{p.lane}弄")
        # 3. the house number on the street front (a lane's number is a house number of the road too)
        number, as_lane = (p.number, False) if not p.lane else (p.lane, True)
        n = _main_number(number) if number else None
        if n is not None:
            found = self._along(road, n)
            crossing_known = p.cross_road in self.roads and p.cross_road != p.road
            if found is not None and not (found[0] == "nearest_number" and crossing_known):
                level, lon, lat, text = found
                matched = text if level == "same_number" and not as_lane else f"{p.road}{number}{'弄' if as_lane else '号'}"
                if as_lane and level in ("same_number", "interpolated"):
                    level = "lane_as_number"
                return hit(level, lon, lat, matched)
        # 4. the crossing of two roads
        if p.cross_road and p.cross_road in self.roads and p.cross_road != p.road:
            lon, lat = self._crossing(p.road, p.cross_road)
            return hit("crossing", lon, lat, f"{p.road}/{p.cross_road}路口")
        # 5. the road
        lon, lat, _index = road.middle
        return hit("road", lon, lat, p.road)

    def _along(self, road: _Road, n: int):
        side = road.front[n % 2] or road.front[1 - n % 2]
        if not side:
            return None
        numbers = [e[0] for e in side]
        i = bisect.bisect_left(numbers, n)
        if i < len(side) and side[i][0] == n:
            return ("same_number", side[i][1], side[i][2], side[i][3])
        if 0 < i < len(side):
            lo, hi = side[i - 1], side[i]
            t = (n - lo[0]) / (hi[0] - lo[0])
            return ("interpolated", lo[1] + t * (hi[1] - lo[1]), lo[2] + t * (hi[2] - lo[2]), "")
        nearest = side[0] if i == 0 else side[-1]
        return ("nearest_number", nearest[1], nearest[2], nearest[3])

    def _crossing(self, a: str, b: str) -> tuple[float, float]:
        key = (a, b) if a < b else (b, a)
        if key not in self._crossings:
            pa, pb = self._front_points(a), self._front_points(b)
            kx = math.cos(math.radians(float(pa[0, 1])))
            d = ((pa[:, None, 0] - pb[None, :, 0]) * kx) ** 2 + (pa[:, None, 1] - pb[None, :, 1]) ** 2
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            self._crossings[key] = (float(pa[i, 0] + pb[j, 0]) / 2, float(pa[i, 1] + pb[j, 1]) / 2)
        return self._crossings[key]

    def _front_points(self, name: str) -> np.ndarray:
        road = self.roads[name]
        front = road.front[0] + road.front[1]
        return np.array([e[1:3] for e in front] if front else [p[:2] for p in road.points], dtype=float)


# --------------------------------------------------------------------------------------------- per-process cache

VERSION_CHECK_INTERVAL = 1.0
_lock = threading.Lock()
_cache: dict[int, tuple[tuple, GazetteerIndex, float]] = {}


def _version(jurisdiction_id: int) -> tuple:
    v = Address.objects.filter(jurisdiction_id=jurisdiction_id).aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return (v["n"], v["last"], v["top"])


def gazetteer_index_build(*, jurisdiction) -> GazetteerIndex:
    rows = Address.objects.filter(jurisdiction_id=jurisdiction.pk).values_list(
        "road", "number", "lane", "sub_lane", "building", "lon", "lat", "full_text").order_by("id").iterator(chunk_size=5000)
    return GazetteerIndex(rows, jurisdiction_name=getattr(jurisdiction, "name", "") or "")


def gazetteer_index_get(*, jurisdiction) -> GazetteerIndex:
    now = time.monotonic()
    cached = _cache.get(jurisdiction.pk)
    if cached and now - cached[2] < VERSION_CHECK_INTERVAL:
        return cached[1]
    version = _version(jurisdiction.pk)
    if cached and cached[0] == version:
        _cache[jurisdiction.pk] = (version, cached[1], now)
        return cached[1]
    with _lock:
        index = gazetteer_index_build(jurisdiction=jurisdiction)
        _cache[jurisdiction.pk] = (version, index, now)
    return index


def gazetteer_invalidate(*, jurisdiction_id: int | None = None) -> None:
    if jurisdiction_id is None:
        _cache.clear()
    else:
        _cache.pop(jurisdiction_id, None)


@receiver([post_save, post_delete], sender=Address, dispatch_uid="gazetteer-invalidate")
def _address_changed(sender, instance: Address, **kwargs) -> None:
    gazetteer_invalidate(jurisdiction_id=instance.jurisdiction_id)


def geocode(*, jurisdiction, address: str) -> Geocoded | None:
    """The place of a free-text address in this jurisdiction, or None when its road is not in the gazetteer."""
    if not (address or "").strip():
        return None
    return gazetteer_index_get(jurisdiction=jurisdiction).geocode(address)


def parse(*, jurisdiction, address: str) -> ParsedAddress:
    """How the gazetteer reads an address (for previews and diagnostics)."""
    return gazetteer_index_get(jurisdiction=jurisdiction).parse(address)


def address_examples(*, jurisdiction, n: int = 3) -> list[str]:
    """`n` of the jurisdiction's addresses as people write them, spread over the gazetteer (for templates and help)."""
    total = Address.objects.filter(jurisdiction=jurisdiction).count()
    if not total:
        return []
    step = max(1, total // n)
    texts = Address.objects.filter(jurisdiction=jurisdiction).order_by("id").values_list("full_text", flat=True)
    return [texts[i] for i in range(0, min(total, step * n), step)][:n]  # one query each


# --------------------------------------------------------------------------------------------- import

IMPORT_FIELDS = ("road", "number", "lane", "sub_lane", "building", "lon", "lat")
MAX_IMPORT_ERRORS = 50


def _coordinate(value, name: str, limit: float) -> float:
    try:
        x = float(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(_("%(name)s %(value)r is not a number") % {"name": name, "value": value}) from None
    if not math.isfinite(x) or abs(x) > limit:
        raise ValueError(_("%(name)s %(value)r is out of range") % {"name": name, "value": value})
    return x


@transaction.atomic
def gazetteer_import(*, jurisdiction, rows: Iterable[Mapping], crs: str = "wgs84") -> dict:
    """Upsert addresses (road, number, lane, sub_lane, building, lon, lat; optional full_text) by their normalised
    key. Coordinates may be GCJ-02 or BD-09 (`crs`): they are stored as WGS84. All or nothing: any invalid row
    refuses the whole file with every reason (row numbers count from 1)."""
    from wangge.routing import coords

    if crs not in coords.CRS_CHOICES:
        raise ApplicationError(_("Unknown coordinate system %(crs)r.") % {"crs": crs}, code="invalid_crs")
    parsed: dict[str, dict] = {}
    errors, total, duplicates = [], 0, 0
    for i, row in enumerate(rows, start=1):
        total += 1
        try:
            road = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(row.get("road") or "")))
            if not road:
                raise ValueError(_("road is empty"))
            if len(road) > 60:
                raise ValueError(_("road is longer than 60 characters"))
            parts = {name: normalize_number(row.get(name)) for name in ("number", "lane", "sub_lane", "building")}
            if not any(parts.values()):
                raise ValueError(_("no number, lane or building"))
            if any(len(v) > 20 for v in parts.values()):
                raise ValueError(_("a number is longer than 20 characters"))
            lon = _coordinate(row.get("lon"), "lon", 180)
            lat = _coordinate(row.get("lat"), "lat", 90)
        except ValueError as exc:
            if len(errors) < MAX_IMPORT_ERRORS:
                errors.append({"row": i, "reason": str(exc)})
            else:
                errors[-1] = {"row": i, "reason": _("%(reason)s (and more rows)") % {"reason": exc}}
            continue
        key = address_key(road=road, **parts)
        if key in parsed:
            duplicates += 1
        text = str(row.get("full_text") or "").strip()[:200] or address_text(road=road, **parts)
        parsed[key] = {"road": road, **parts, "lon": lon, "lat": lat, "full_text": text, "key": key}
    if errors:
        raise ApplicationError(_("%(n)s address rows are invalid; nothing was imported.") % {"n": len(errors)}, code="invalid_rows",
                               details=errors)
    if not parsed:
        raise ApplicationError(_("The file has no addresses."), code="empty_file")
    if crs != "wgs84":
        items = list(parsed.values())
        lons, lats = coords.to_wgs84_array([r["lon"] for r in items], [r["lat"] for r in items], crs)
        for r, x, y in zip(items, lons, lats, strict=True):
            r["lon"], r["lat"] = round(float(x), 8), round(float(y), 8)
    qs = Address.objects.filter(jurisdiction=jurisdiction)
    existing = {a.key: a for a in (qs.filter(key__in=list(parsed)) if len(parsed) <= 500 else qs.iterator(chunk_size=5000))}
    created, changed = [], []
    fields = ["road", "number", "lane", "sub_lane", "building", "lon", "lat", "full_text"]
    for key, r in parsed.items():
        current = existing.get(key)
        if current is None:
            created.append(Address(jurisdiction=jurisdiction, **r))
        elif any(getattr(current, f) != r[f] for f in fields):
            for f in fields:
                setattr(current, f, r[f])
            changed.append(current)
    Address.objects.bulk_create(created, batch_size=1000)
    if changed:
        from django.utils import timezone

        now = timezone.now()
        for a in changed:
            a.updated_at = now
        Address.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=1000)
    transaction.on_commit(lambda: gazetteer_invalidate(jurisdiction_id=jurisdiction.pk))
    gazetteer_invalidate(jurisdiction_id=jurisdiction.pk)
    return {"rows": total, "created": len(created), "updated": len(changed),
            "unchanged": len(parsed) - len(created) - len(changed), "duplicates": duplicates}
