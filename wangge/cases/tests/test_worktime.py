"""Working-time arithmetic: Chinese working days (chinese_calendar) × office hours. No Django, no DB."""

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wangge.cases import worktime
from wangge.cases.worktime import WorkCalendar, limit_to_seconds

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
LONG = WorkCalendar(periods=((time(8), time(18)),))
H = 3600.0


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


# --- calendar data (verified against chinese_calendar 1.11) -------------------------------------------

HOLIDAYS_2026 = [  # weekdays that are off
    date(2026, 1, 1),
    date(2026, 1, 2),
    *(date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)),  # Spring Festival (2-15 .. 2-23 off)
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 4),
    date(2026, 5, 5),
    date(2026, 6, 19),
    date(2026, 9, 25),  # Mid-autumn
    *(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),  # National Day golden week (10-01 .. 10-07 off)
]
MAKEUP_2026 = [  # weekend days that are working days (调休)
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


def test_2026_exceptions_match_package_and_expectations():
    d, found_off, found_on = date(2026, 1, 1), [], []
    while d.year == 2026:
        assert CAL.is_workday(d) == chinese_calendar.is_workday(d)
        if d.weekday() < 5 and not CAL.is_workday(d):
            found_off.append(d)
        if d.weekday() >= 5 and CAL.is_workday(d):
            found_on.append(d)
        d += timedelta(days=1)
    assert found_off == HOLIDAYS_2026
    assert found_on == MAKEUP_2026
    for day in range(1, 8):
        assert not CAL.is_workday(date(2026, 10, day))
    for day in range(15, 24):
        assert not CAL.is_workday(date(2026, 2, day))


def test_friday_evening_plus_one_hour_is_next_working_morning():
    assert CAL.add_working(sh(2026, 3, 6, 17), H) == sh(2026, 3, 9, 9, 30)  # Fri → Mon
    assert CAL.working_seconds(sh(2026, 3, 6, 17), sh(2026, 3, 9, 9, 30)) == H
    # The Friday before Spring Festival: the next working day is the make-up Saturday 2-14.
    assert CAL.add_working(sh(2026, 2, 13, 17), H) == sh(2026, 2, 14, 9, 30)
    # ... and after that Saturday, the holiday runs to Monday 2-23 inclusive.
    assert CAL.add_working(sh(2026, 2, 14, 17), H) == sh(2026, 2, 24, 9, 30)


def test_deadline_skips_national_day():
    assert CAL.add_working(sh(2026, 9, 30, 17), H) == sh(2026, 10, 8, 9, 30)
    assert CAL.working_seconds(sh(2026, 9, 30, 9), sh(2026, 10, 8, 17, 30)) == 2 * 7 * H
    # 5 working days from Tue 9-29: 9-29, 9-30, 10-08, 10-09, 10-10 (make-up Saturday).
    five = limit_to_seconds(5, "days", CAL)
    assert CAL.add_working(sh(2026, 9, 29, 9), five) == sh(2026, 10, 10, 17, 30)


def test_makeup_sunday_counts():
    assert CAL.working_seconds(sh(2026, 9, 20), sh(2026, 9, 21)) == 7 * H
    assert CAL.working_seconds(sh(2026, 9, 19), sh(2026, 9, 20)) == 0  # ordinary Saturday
    assert CAL.add_working(sh(2026, 9, 18, 17, 30), H) == sh(2026, 9, 20, 10)


def test_lunch_break_not_counted():
    assert CAL.working_seconds(sh(2026, 3, 10, 11), sh(2026, 3, 10, 14, 30)) == 2 * H
    assert CAL.working_seconds(sh(2026, 3, 10, 12), sh(2026, 3, 10, 13, 30)) == 0
    assert CAL.add_working(sh(2026, 3, 10, 11, 30), H) == sh(2026, 3, 10, 14)
    assert CAL.add_working(sh(2026, 3, 10, 12, 15), 1800) == sh(2026, 3, 10, 14)
    # A target exactly at the end of a period is that end, not the start of the next one.
    assert CAL.add_working(sh(2026, 3, 10, 9), 3 * H) == sh(2026, 3, 10, 12)


def test_before_office_hours_starts_at_nine():
    assert CAL.add_working(sh(2026, 3, 10, 7), H) == sh(2026, 3, 10, 10)
    assert CAL.working_seconds(sh(2026, 3, 10, 7), sh(2026, 3, 10, 10)) == H
    assert CAL.working_seconds(sh(2026, 3, 10), sh(2026, 3, 11)) == 7 * H
    assert CAL.hours_per_day == 7


def test_utc_inputs_and_output_zone():
    start = sh(2026, 3, 6, 17).astimezone(UTC)  # 09:00 UTC
    out = CAL.add_working(start, H)
    assert out.tzinfo is UTC and out == sh(2026, 3, 9, 9, 30)
    assert CAL.working_seconds(start, out) == H


def test_years_without_data_fall_back_to_weekdays(caplog):
    worktime._is_workday.cache_clear()
    worktime._warn_fallback.cache_clear()
    with caplog.at_level(logging.WARNING, logger="wangge.cases.worktime"):
        assert CAL.is_workday(date(2027, 1, 1))  # a Friday (New Year in reality, but no data)
        assert not CAL.is_workday(date(2027, 1, 2))
        assert CAL.is_workday(date(2027, 10, 1))
        assert CAL.is_workday(date(2030, 6, 3)) and not CAL.is_workday(date(2030, 6, 2))
        assert CAL.is_workday(date(2003, 1, 1))  # before the data too
    assert sum("2027" in r.getMessage() for r in caplog.records) == 1  # once per year
    # Thu 2026-12-31 09:00 → Mon 2027-01-04 09:00: Thu + Fri (fallback) working.
    assert CAL.working_seconds(sh(2026, 12, 31, 9), sh(2027, 1, 4, 9)) == 2 * 7 * H
    assert CAL.add_working(sh(2027, 12, 31, 17), H) == sh(2028, 1, 3, 9, 30)
    assert CAL.add_working(sh(2026, 12, 31, 9), 400 * 7 * H) > sh(2028, 6, 1)


def test_custom_calendar_8_to_18():
    assert LONG.hours_per_day == 10
    assert limit_to_seconds(1, "days", LONG) == 10 * H
    assert LONG.working_seconds(sh(2026, 3, 10), sh(2026, 3, 11)) == 10 * H
    assert LONG.add_working(sh(2026, 3, 6, 17), 2 * H) == sh(2026, 3, 9, 9)
    assert LONG.add_working(sh(2026, 3, 10, 6), 10 * H) == sh(2026, 3, 10, 18)
    assert LONG.working_seconds(sh(2026, 9, 30, 8), sh(2026, 10, 9, 8)) == 2 * 10 * H


def test_limit_to_seconds_and_validation():
    assert limit_to_seconds(2, "hours", CAL) == 7200
    assert limit_to_seconds(1.5, "days", CAL) == 1.5 * 7 * H
    with pytest.raises(ValueError):
        limit_to_seconds(1, "weeks", CAL)
    with pytest.raises(ValueError):
        WorkCalendar(periods=((time(9), time(12)), (time(11), time(13))))
    with pytest.raises(ValueError):
        WorkCalendar(periods=((time(12), time(9)),))
    with pytest.raises(ValueError):
        WorkCalendar(periods=())
    with pytest.raises(ValueError):
        CAL.add_working(datetime(2026, 3, 10, 9), H)
    with pytest.raises(ValueError):
        CAL.add_working(sh(2026, 3, 10, 9), -1)
    assert CAL.add_working(sh(2026, 3, 10, 20), 0) == sh(2026, 3, 10, 20)
    assert CAL.working_seconds(sh(2026, 3, 10, 12), sh(2026, 3, 10, 10)) == 0
    assert WorkCalendar() == CAL and hash(WorkCalendar()) == hash(CAL)


# --- properties ------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2003, 11, 1), max_value=datetime(2027, 3, 1), timezones=st.sampled_from([SH, UTC])
)
calendars = st.sampled_from([CAL, LONG])
durations = st.floats(min_value=1e-3, max_value=200 * 10 * H, allow_nan=False)
EPS = 1e-6


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants, instants)
def test_additive_nonnegative_bounded_monotone(cal, a, b, c):
    a, b, c = sorted([a, b, c])
    ab, bc, ac = cal.working_seconds(a, b), cal.working_seconds(b, c), cal.working_seconds(a, c)
    assert ab >= 0 and bc >= 0
    assert abs(ab + bc - ac) <= EPS
    assert ab <= (b - a).total_seconds() + EPS
    assert ab <= ac + EPS and bc <= ac + EPS
    assert cal.working_seconds(c, a) == 0


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations)
def test_add_working_is_inverse(cal, start, s):
    end = cal.add_working(start, s)
    assert end > start
    assert abs(cal.working_seconds(start, end) - s) <= EPS
    # Earliest such instant: one microsecond earlier, less work has elapsed.
    assert cal.working_seconds(start, end - timedelta(microseconds=1)) < s


@settings(max_examples=200, deadline=None)
@given(calendars, instants, instants, durations, durations)
def test_add_working_monotone(cal, a, b, s1, s2):
    a, b = sorted([a, b])
    s1, s2 = sorted([s1, s2])
    assert cal.add_working(a, s1) <= cal.add_working(a, s2)
    assert cal.add_working(a, s1) <= cal.add_working(b, s1)
