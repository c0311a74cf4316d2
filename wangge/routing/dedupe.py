"""并单 candidates: open cases of the same kind, near in space and time, with similar words.

A score in [0, 1] mixes distance, age and text similarity; above WANGGE_DEDUPE_AUTO the new report joins
the open case by itself, above WANGGE_DEDUPE_ASK an operator is asked, below it the report is a case of
its own. Reads cases through a queryset only; intake writes through the case services.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.utils import timezone

from wangge.cases.models import Case
from wangge.cases.workflow import OPEN_STATES

M_PER_DEG_LAT = 110_574.0
_NOISE = re.compile(r"[\s\W_\d]+", re.UNICODE)


@dataclass(frozen=True)
class Candidate:
    case: Case
    distance_m: float
    similarity: float
    score: float


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance: exact enough (< 0.1 %) at street scale."""
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * M_PER_DEG_LAT
    return math.hypot(dx, dy)


def shingles(text: str) -> set[str]:
    """Character bigrams of the text without spaces, punctuation and digits (house numbers differ)."""
    clean = _NOISE.sub("", text or "").lower()
    if len(clean) < 2:
        return {clean} if clean else set()
    return {clean[i:i + 2] for i in range(len(clean) - 1)}


def similarity(a: str, b: str) -> float:
    """Overlap coefficient of character bigrams: short reports inside a longer one still match."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def nearby_open_cases(*, jurisdiction_id: int, lon: float, lat: float, category_id: int | None = None,
                      radius_m: float | None = None, days: int | None = None, limit: int = 20) -> list[tuple[Case, float]]:
    """Open, unmerged cases within radius_m and the last `days` days, nearest first, with their distance."""
    radius_m = radius_m or settings.WANGGE_DEDUPE_RADIUS_M
    days = days or settings.WANGGE_DEDUPE_DAYS
    dlat = radius_m / M_PER_DEG_LAT
    dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    qs = Case.objects.filter(
        jurisdiction_id=jurisdiction_id, is_open=True, state__in=OPEN_STATES, merged_into__isnull=True,
        lon__range=(lon - dlon, lon + dlon), lat__range=(lat - dlat, lat + dlat),
        created_at__gte=timezone.now() - timedelta(days=days),
    ).select_related("category")
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    found = []
    for case in qs.order_by("-created_at")[:500]:
        d = distance_m(lon, lat, case.lon, case.lat)
        if d <= radius_m:
            found.append((case, d))
    found.sort(key=lambda pair: pair[1])
    return found[:limit]


def duplicate_candidates(*, jurisdiction_id: int, lon: float, lat: float, category_id: int, text: str,
                         limit: int = 5) -> list[Candidate]:
    """Scored candidates, best first. Same minor category only: different kinds of problem never merge."""
    radius, days = settings.WANGGE_DEDUPE_RADIUS_M, settings.WANGGE_DEDUPE_DAYS
    now = timezone.now()
    out = []
    for case, d in nearby_open_cases(jurisdiction_id=jurisdiction_id, lon=lon, lat=lat, category_id=category_id):
        near = 1 - d / radius
        fresh = max(0.0, 1 - (now - case.created_at).total_seconds() / (days * 86400))
        sim = similarity(text, case.description)
        out.append(Candidate(case=case, distance_m=round(d, 1), similarity=round(sim, 3),
                             score=round(0.35 * near + 0.15 * fresh + 0.5 * sim, 3)))
    out.sort(key=lambda c: -c.score)
    return out[:limit]


class OpenCaseIndex:
    """The open, unmerged cases of a jurisdiction in memory, per category, for the duplicate searches of an
    import: read once (one query), topped up with the cases created since (`refresh`: one query on the primary
    key per chunk) and with the cases the import itself opens (`add`), so a chunk's searches cost no query.

    `candidates` scores like `duplicate_candidates` (distance, age, words; same category; nearest 20 within the
    radius, best 5). Cases closed or merged elsewhere since they were read stay in memory until `forget`: the
    caller checks the candidates it acts on (`cases_still_open`) in one query per chunk.

    Each case's bigrams are kept as one int, a bit per bigram (numbered as they are first seen): the overlap is
    `(a & b).bit_count()`, the same count as the sets' `len(a & b)`. Ints are not tracked by Python's garbage
    collector, whereas a set per open case was: with tens of thousands of open cases each full collection walked
    millions of bigrams, and the import's full collections grew slower with every case it opened."""

    def __init__(self, *, jurisdiction_id: int):
        self.jurisdiction_id = jurisdiction_id
        self.max_pk = 0
        self.dead: set[int] = set()
        self._bits: dict[str, int] = {}  # bigram → its bit
        self._masks: dict[str, int] = {}  # the texts asked about since the last refresh
        # category id → (pks, lons, lats, created epoch seconds, bigram masks) as arrays, plus entries not yet in them
        self._arrays: dict[int, tuple] = {}
        self._recent: dict[int, list[tuple]] = {}
        # (category, lon, lat, since) → the cases near it in the arrays, whether cut at 20, how many were forgotten
        # then: a chunk asks twice for each report it files (what could take it; then, in turn, the best).
        self._near: dict[tuple, tuple[list, bool, int]] = {}
        self.refresh()

    def _mask(self, text: str) -> int:
        bits, mask = self._bits, 0
        for gram in shingles(text):
            bit = bits.get(gram)
            if bit is None:
                bit = bits[gram] = len(bits)
            mask |= 1 << bit
        return mask

    def refresh(self) -> None:
        self._masks, self._near = {}, {}
        days = settings.WANGGE_DEDUPE_DAYS
        rows = Case.objects.filter(
            jurisdiction_id=self.jurisdiction_id, is_open=True, state__in=OPEN_STATES, merged_into__isnull=True,
            created_at__gte=timezone.now() - timedelta(days=days), pk__gt=self.max_pk,
        ).values_list("pk", "category_id", "lon", "lat", "created_at", "description")
        for pk, category_id, lon, lat, created_at, description in rows.iterator(chunk_size=5000):
            self.add(pk=pk, category_id=category_id, lon=lon, lat=lat, created_at=created_at, description=description)
        self._compact()

    def add(self, *, pk: int, category_id: int, lon: float, lat: float, created_at, description: str) -> None:
        self._recent.setdefault(category_id, []).append((pk, lon, lat, created_at.timestamp(), self._mask(description)))
        self.max_pk = max(self.max_pk, pk)

    def forget(self, pks) -> None:
        self.dead.update(pks)

    def _compact(self) -> None:
        for category_id, recent in self._recent.items():
            if not recent:
                continue
            old = self._arrays.get(category_id)
            pks, lons, lats, created = (np.array([e[i] for e in recent]) for i in range(4))
            texts = [e[4] for e in recent]
            if old is not None:
                pks, lons, lats, created = (np.concatenate([a, b]) for a, b in zip(old[:4], (pks, lons, lats, created),
                                                                                   strict=True))
                texts = old[4] + texts
            self._arrays[category_id] = (pks, lons, lats, created, texts)
        self._recent, self._near = {}, {}

    def candidates(self, *, lon: float, lat: float, category_id: int, text: str, now=None,
                   limit: int = 5) -> list[tuple[int, float, float, float]]:
        """(case id, distance m, similarity, score) best first, as `duplicate_candidates` scores them."""
        radius, days = settings.WANGGE_DEDUPE_RADIUS_M, settings.WANGGE_DEDUPE_DAYS
        now = (now or timezone.now()).timestamp()
        since = now - days * 86400
        near = list(self._near_arrays(lon, lat, category_id, since))
        for pk, clon, clat, created, words in self._recent.get(category_id, ()):
            d = distance_m(lon, lat, clon, clat)
            if d <= radius and created >= since:
                near.append((d, pk, created, words))
        near = [n for n in near if n[1] not in self.dead]
        near.sort(key=lambda n: (n[0], -n[2], -n[1]))  # nearest, then newest first (as the query orders them)
        mine = self._masks.get(text)
        if mine is None:  # a chunk asks twice for each report it files
            mine = self._masks[text] = self._mask(text)
        count = mine.bit_count()
        out = []
        for d, pk, created, words in near[:20]:
            sim = (mine & words).bit_count() / min(count, words.bit_count()) if mine and words else 0.0
            fresh = max(0.0, 1 - (now - created) / (days * 86400))
            out.append((pk, round(d, 1), round(sim, 3), round(0.35 * (1 - d / radius) + 0.15 * fresh + 0.5 * sim, 3)))
        out.sort(key=lambda c: -c[3])
        return out[:limit]

    def _near_arrays(self, lon: float, lat: float, category_id: int, since: float) -> list[tuple[float, int, float, int]]:
        """The cases of the arrays within the radius (the nearest 20 not forgotten, and ties, where more), as
        (distance, pk, created, bigrams); remembered until the arrays change, or a `forget` where it was cut at 20."""
        key = (category_id, lon, lat, since)
        known = self._near.get(key)
        if known is not None and (not known[1] or known[2] == len(self.dead)):
            return known[0]
        radius = settings.WANGGE_DEDUPE_RADIUS_M
        near: list[tuple[float, int, float, int]] = []
        cut = False
        arrays = self._arrays.get(category_id)
        if arrays is not None and len(arrays[0]):
            pks, lons, lats, created, texts = arrays
            # Only the cases within the radius north-south (the distance is at least that) get the full formula:
            # the same values for them, a fraction of the work on a street's worth of open cases.
            sel = np.nonzero((np.abs(lats - lat) * M_PER_DEG_LAT <= radius * (1 + 1e-9)) & (created >= since))[0]
            slats = lats[sel]
            dx = (lons[sel] - lon) * 111_320.0 * np.cos(np.radians((lat + slats) / 2))
            dy = (slats - lat) * M_PER_DEG_LAT
            d = np.hypot(dx, dy)
            inside = np.nonzero(d <= radius)[0]
            hit, d = sel[inside], d[inside]
            order = range(len(hit))
            if len(hit) > 20:  # the nearest 20 (and ties), newest first among equals; those forgotten are skipped below
                cut = True
                keep, found = [], 0
                for j in np.lexsort((-pks[hit], -created[hit], d)):
                    keep.append(j)
                    found += int(pks[hit[j]]) not in self.dead
                    if found >= 20:
                        break
                order = keep
            for j in order:
                i = hit[j]
                near.append((float(d[j]), int(pks[i]), float(created[i]), texts[i]))
        self._near[key] = (near, cut, len(self.dead))
        return near


def cases_still_open(*, case_ids) -> set[int]:
    """Which of these cases can still take a duplicate (open, not merged)."""
    return set(Case.objects.filter(pk__in=list(case_ids), is_open=True, state__in=OPEN_STATES, merged_into__isnull=True)
               .values_list("pk", flat=True))
