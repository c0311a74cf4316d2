"""Working-time arithmetic for SLA clocks: Chinese working days × configurable office hours.

Working days come from ``chinese_calendar`` (statutory holidays and 调休 make-up days); for years it has
no data for, Mon–Fri is assumed (with one warning per year). All arithmetic is done in integer
microseconds on a cumulative "working-time axis", so ``working_seconds`` is additive (exact in µs) and
``add_working`` is its inverse up to half a microsecond.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

logger = logging.getLogger(__name__)

_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_EPOCH_YEAR = 2024  # _cumulative() counts from 2024-01-01 (negative before it); inside the package data

Periods = tuple[tuple[time, time], ...]


def _to_us(dt: datetime) -> int:
    """Aware datetime → integer microseconds since the Unix epoch."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {dt!r}")
    return (dt - _EPOCH_UTC) // _US


@cache
def _warn_fallback(year: int) -> None:
    logger.warning("chinese_calendar has no data for %d; assuming Mon-Fri working days", year)


@lru_cache(maxsize=65536)
def _is_workday(d: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        _warn_fallback(d.year)
        return d.weekday() < 5


class _Spec:
    """Interned, identity-hashed form of a calendar's settings (cheap cache key)."""

    __slots__ = ("periods", "zone")

    def __init__(self, periods: Periods, tz: str) -> None:
        self.periods = periods
        self.zone = ZoneInfo(tz)


@lru_cache(maxsize=256)
def _spec(periods: Periods, tz: str) -> _Spec:
    return _Spec(periods, tz)


@lru_cache(maxsize=1024)
def _year_table(spec: _Spec, year: int) -> tuple[tuple[int, ...], tuple[tuple[tuple[int, int], ...], ...]]:
    """(cumulative working µs at the start of each day of ``year`` and after its last day, per-day periods in µs)."""
    cum, days, total = [0], [], 0
    d, one = date(year, 1, 1), timedelta(days=1)
    while d.year == year:
        if _is_workday(d):
            day = tuple(
                (
                    _to_us(datetime.combine(d, s, tzinfo=spec.zone)),
                    _to_us(datetime.combine(d, e, tzinfo=spec.zone)),
                )
                for s, e in spec.periods
            )
            total += sum(e - s for s, e in day)
        else:
            day = ()
        days.append(day)
        cum.append(total)
        d += one
    return tuple(cum), tuple(days)


@lru_cache(maxsize=1024)
def _year_offset(spec: _Spec, year: int) -> int:
    """Working µs from 1 January of _EPOCH_YEAR to 1 January of ``year`` (negative before the epoch)."""
    if year >= _EPOCH_YEAR:
        return sum(_year_table(spec, y)[0][-1] for y in range(_EPOCH_YEAR, year))
    return -sum(_year_table(spec, y)[0][-1] for y in range(year, _EPOCH_YEAR))


@lru_cache(maxsize=65536)
def _cumulative(spec: _Spec, d: date) -> tuple[int, tuple[tuple[int, int], ...]]:
    """(working µs from the epoch date to the start of ``d``, that day's periods in µs)."""
    cum, days = _year_table(spec, d.year)
    i = d.timetuple().tm_yday - 1
    return _year_offset(spec, d.year) + cum[i], days[i]


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours (local wall-clock periods per working day) in time zone ``tz``."""

    periods: Periods = ((time(9), time(12)), (time(13, 30), time(17, 30)))
    tz: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        periods = tuple((s, e) for s, e in self.periods)
        if not periods:
            raise ValueError("at least one office-hours period is required")
        for i, (s, e) in enumerate(periods):
            if not (isinstance(s, time) and isinstance(e, time)) or s.tzinfo or e.tzinfo:
                raise ValueError("periods must be pairs of naive datetime.time")
            if not s < e:
                raise ValueError(f"period {s}-{e} is empty or reversed")
            if i and periods[i - 1][1] > s:
                raise ValueError("periods must be sorted and non-overlapping")
        object.__setattr__(self, "periods", periods)
        ZoneInfo(self.tz)  # validate early

    @property
    def _s(self) -> _Spec:
        return _spec(self.periods, self.tz)

    @property
    def hours_per_day(self) -> float:
        secs = sum(
            (datetime.combine(date.min, e) - datetime.combine(date.min, s)).total_seconds()
            for s, e in self.periods
        )
        return secs / 3600

    def is_workday(self, d: date) -> bool:
        return _is_workday(d)

    def _axis(self, dt: datetime) -> int:
        """Working µs from the epoch date up to the instant ``dt``."""
        spec = self._s
        us = _to_us(dt)
        base, day = _cumulative(spec, dt.astimezone(spec.zone).date())
        for s, e in day:
            if us <= s:
                break
            base += (us if us < e else e) - s
        return base

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end); 0 if end <= start."""
        if end <= start:
            return 0.0
        return (self._axis(end) - self._axis(start)) / 1e6

    def add_working(self, start: datetime, seconds: float) -> datetime:
        """Earliest instant at which ``seconds`` of working time have elapsed after ``start``.

        Returned in ``start``'s time zone. ``seconds == 0`` returns ``start`` itself.
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        if seconds == 0:
            return start
        spec = self._s
        target = self._axis(start) + max(1, round(seconds * 1e6))
        year = start.astimezone(spec.zone).year
        while target - _year_offset(spec, year) > _year_table(spec, year)[0][-1]:
            year += 1
        rel = target - _year_offset(spec, year)
        cum, days = _year_table(spec, year)
        i = bisect_left(cum, rel) - 1  # the day with cum[i] < rel <= cum[i + 1]
        remaining = rel - cum[i]
        for s, e in days[i]:
            if remaining <= e - s:
                return (_EPOCH_UTC + (s + remaining) * _US).astimezone(start.tzinfo)
            remaining -= e - s
        raise AssertionError("unreachable: working-time table inconsistent")  # pragma: no cover


def limit_to_seconds(value: float, unit: str, calendar: WorkCalendar) -> float:
    """A limit in working "hours" or working "days" (of ``calendar.hours_per_day``) → working seconds."""
    if unit == "hours":
        return value * 3600.0
    if unit == "days":
        return value * calendar.hours_per_day * 3600.0
    raise ValueError(f"unknown limit unit {unit!r} (expected 'hours' or 'days')")
