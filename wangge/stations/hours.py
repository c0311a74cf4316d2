"""Opening hours as pure functions (no models or database): parsing, validation, "open now" across midnight.

An interval is (start, end) in minutes of the local day: start 0–1439, end 1–1440. end > start: the same
day; end <= start: from start past midnight to `end` of the next day (22:00–06:00 is (1320, 360)); 00:00–24:00
is (0, 1440), a whole day. The intervals of a date are its weekday's rows, or that date's exception when
there is one; an interval belongs to the date it *starts* on, so Friday night's 22:00–06:00 still runs on
Saturday morning even when Saturday is a holiday closure. Error messages are in the reader's language (gettext).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

DAY = 1440
WEEK = 7 * DAY
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday_name(weekday: int) -> str:
    """The short weekday name in the reader's language, for messages (WEEKDAYS stays English)."""
    return (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))[weekday]

_TIME = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")
_RANGE = re.compile(r"^\s*([^-–~—]+?)\s*[-–~—]\s*([^-–~—]+?)\s*$")


class HoursError(ValueError):
    """A malformed time or set of intervals; the message says which and why."""


Interval = tuple[int, int]


def parse_time(text: str, *, closing: bool = False) -> int:
    m = _TIME.match(text or "")
    if not m:
        raise HoursError(_("%(text)s is not a time: write HH:MM, e.g. 08:30.") % {"text": repr(text)})
    h, mi = int(m.group(1)), int(m.group(2))
    if closing and h == 24 and mi == 0:
        return DAY
    if h > 23 or mi > 59:
        if closing:
            raise HoursError(_("%(text)s is not a time of day (00:00–23:59, or 24:00 to close at midnight).")
                             % {"text": repr(text)})
        raise HoursError(_("%(text)s is not a time of day (00:00–23:59).") % {"text": repr(text)})
    return h * 60 + mi


def check_interval(start: int, end: int) -> Interval:
    if start == end:
        raise HoursError(_("Closing time equals opening time (%(time)s): for a 24-hour day write 00:00-24:00.")
                         % {"time": fmt(start)})
    if not 0 <= start <= DAY - 1 or not 1 <= end <= DAY:
        raise HoursError(_("Times must lie between 00:00 and 24:00."))
    return start, end


def parse_interval(text: str) -> Interval:
    """'08:00-20:00', '22:00–06:00' (past midnight), '00:00-24:00' (all day)."""
    m = _RANGE.match(text or "")
    if not m:
        raise HoursError(_("%(text)s is not a time range: write e.g. 08:00-20:00.") % {"text": repr(text)})
    return check_interval(parse_time(m.group(1)), parse_time(m.group(2), closing=True))


def parse_day(text: str) -> list[Interval]:
    """One day's intervals, comma-separated; empty, '-' or 'closed' for a closed day."""
    text = (text or "").strip()
    if text.lower() in ("", "-", "closed", "休息", "关闭"):
        return []
    text = re.sub(r"\s*[-–~—]\s*", "-", text)  # "8:00 ~ 9:30" → "8:00-9:30", then split on commas or spaces
    return [parse_interval(part) for part in re.split(r"[,，;；、\s]+", text) if part.strip()]


def span(day_offset: int, interval: Interval) -> tuple[int, int]:
    """Absolute minutes [from, to) of an interval that starts on day `day_offset`."""
    start, end = interval
    return day_offset * DAY + start, day_offset * DAY + (end if end > start else DAY + end)


def validate_week(rows: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """(weekday, start, end) rows: each valid, none overlapping another, also across midnight and from Sunday
    night into Monday. Returns them sorted; raises HoursError naming the clash."""
    rows = sorted((int(w), *check_interval(int(s), int(e))) for w, s, e in rows)
    spans = []
    for w, s, e in rows:
        if not 0 <= w <= 6:
            raise HoursError(_("Weekday %(weekday)s does not exist (0 = Monday … 6 = Sunday).") % {"weekday": w})
        a, b = span(w, (s, e))
        spans.append((a, b, w, s, e))
        if b > WEEK:  # Sunday night into Monday morning
            spans.append((a - WEEK, b - WEEK, w, s, e))
    spans.sort()
    widest = None  # the span reaching furthest so far: a later one starting before its end overlaps it
    for item in spans:
        if widest is not None and item[0] < widest[1]:
            _a, _b, w1, s1, e1 = widest
            _a, _b, w2, s2, e2 = item
            raise HoursError(_("%(day1)s %(hours1)s overlaps %(day2)s %(hours2)s.")
                             % {"day1": weekday_name(w1), "hours1": f"{fmt(s1)}-{fmt(e1)}",
                                "day2": weekday_name(w2), "hours2": f"{fmt(s2)}-{fmt(e2)}"})
        if widest is None or item[1] > widest[1]:
            widest = item
    return rows


def validate_day(intervals: Iterable[Interval]) -> list[Interval]:
    """One date's intervals (an exception): valid and not overlapping each other."""
    return [(s, e) for _w, s, e in validate_week((0, s, e) for s, e in intervals)]


def fmt(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def fmt_interval(interval: Interval) -> str:
    return f"{fmt(interval[0])}–{fmt(interval[1])}"


def day_intervals(d: date, weekly: Mapping[int, list[Interval]], exceptions: Mapping[date, list[Interval]]) -> list[Interval]:
    if d in exceptions:
        return exceptions[d]
    return weekly.get(d.weekday(), [])


def open_spans(local: datetime, weekly: Mapping[int, list[Interval]], exceptions: Mapping[date, list[Interval]],
               *, days_before: int = 1, days_after: int = 1) -> list[tuple[int, int]]:
    """Absolute [from, to) minutes relative to local midnight of `local`'s date, merged where they touch."""
    today = local.date()
    spans = sorted(span(k, iv) for k in range(-days_before, days_after + 1)
                   for iv in day_intervals(today + timedelta(days=k), weekly, exceptions))
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def is_open(local: datetime, weekly: Mapping[int, list[Interval]], exceptions: Mapping[date, list[Interval]]) -> bool:
    """Open at the local wall-clock time `local`: an interval of today, or yesterday's running past midnight."""
    now = local.hour * 60 + local.minute
    today = local.date()
    for k in (-1, 0):
        for iv in day_intervals(today + timedelta(days=k), weekly, exceptions):
            a, b = span(k, iv)
            if a <= now < b:
                return True
    return False


def status_at(local: datetime, weekly: Mapping[int, list[Interval]], exceptions: Mapping[date, list[Interval]]) -> dict:
    """{"open": bool, "until": datetime | None (closing time when open), "next_open": datetime | None} within the
    coming week; `until` is None for a station open around the clock all week."""
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    now = local.hour * 60 + local.minute
    spans = open_spans(local, weekly, exceptions, days_before=1, days_after=7)
    for a, b in spans:
        if a <= now < b:
            until = None if b >= 8 * DAY else midnight + timedelta(minutes=b)
            return {"open": True, "until": until, "next_open": None}
    upcoming = [a for a, _b in spans if a > now]
    return {"open": False, "until": None, "next_open": midnight + timedelta(minutes=upcoming[0]) if upcoming else None}
