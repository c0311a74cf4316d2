"""Opening hours as pure functions: parsing, validation, open now across midnight and around the clock."""

from datetime import date, datetime

import pytest
from django.utils import translation

from wangge.stations import hours as H


def week(text_by_day: dict[int, str]) -> dict[int, list]:
    return {w: H.parse_day(t) for w, t in text_by_day.items()}


def test_parse_ranges_and_closed_days():
    assert H.parse_day("08:00-12:00, 13:30-20:00") == [(480, 720), (810, 1200)]
    assert H.parse_day("22:00–06:00") == [(1320, 360)]
    assert H.parse_day("00:00-24:00") == [(0, 1440)]
    assert H.parse_day("20:00-24:00") == [(1200, 1440)]
    assert H.parse_day("") == [] and H.parse_day("closed") == [] and H.parse_day("休息") == []
    assert H.parse_day("8:00 ~ 9:30") == [(480, 570)]


@pytest.mark.parametrize("text, words", [
    ("08:00-08:00", "equals opening"),
    ("00:00-00:00", "equals opening"),
    ("25:00-26:00", "not a time of day"),
    ("08:60-09:00", "not a time of day"),
    ("24:00-08:00", "not a time of day"),  # 24:00 only closes
    ("eight to nine", "not a time range"),
    ("08:00", "not a time range"),
    ("8-9", "not a time"),
])
def test_malformed_times_are_refused_with_the_reason(text, words):
    with translation.override("en"), pytest.raises(H.HoursError, match=words):  # the English wording
        H.parse_day(text)


def test_overlaps_are_refused_also_across_midnight_and_the_week_end():
    with translation.override("en"), pytest.raises(H.HoursError, match="overlaps"):
        H.validate_week([(0, 480, 720), (0, 700, 800)])
    with translation.override("en"), pytest.raises(H.HoursError, match="overlaps"):
        H.validate_week([(0, 480, 1200), (0, 500, 600)])  # one inside the other
    with translation.override("en"), pytest.raises(H.HoursError, match="Mon 22:00-06:00 overlaps Tue 05:00-08:00"):
        H.validate_week([(0, 1320, 360), (1, 300, 480)])
    with translation.override("en"), pytest.raises(H.HoursError, match="Sun 22:00-06:00 overlaps Mon 05:00-08:00"):
        H.validate_week([(6, 1320, 360), (0, 300, 480)])
    # touching is fine; a whole day next to a night shift ending at midnight is fine
    assert H.validate_week([(0, 480, 720), (0, 720, 900), (1, 0, 1440), (0, 1320, 1440)])
    with translation.override("en"), pytest.raises(H.HoursError, match="does not exist"):
        H.validate_week([(7, 480, 720)])


def test_open_now_across_midnight():
    night = week({w: "22:00-06:00" for w in range(7)})
    assert H.is_open(datetime(2026, 12, 2, 2, 0), night, {})  # Wednesday 02:00: Tuesday's night
    assert H.is_open(datetime(2026, 12, 2, 23, 30), night, {})
    assert not H.is_open(datetime(2026, 12, 2, 12, 0), night, {})
    assert not H.is_open(datetime(2026, 12, 2, 6, 0), night, {})  # closes at 06:00 sharp
    assert H.is_open(datetime(2026, 12, 2, 22, 0), night, {})  # opens at 22:00 sharp
    # Only Friday night: Saturday 03:00 is open, Friday 03:00 is not.
    friday = week({4: "22:00-06:00"})
    assert H.is_open(datetime(2026, 12, 5, 3, 0), friday, {})
    assert not H.is_open(datetime(2026, 12, 4, 3, 0), friday, {})


def test_all_day_and_exceptions():
    all_day = week({w: "00:00-24:00" for w in range(7)})
    for hh in (0, 6, 12, 23):
        assert H.is_open(datetime(2026, 12, 2, hh, 59), all_day, {})
    state = H.status_at(datetime(2026, 12, 2, 12, 0), all_day, {})
    assert state == {"open": True, "until": None, "next_open": None}
    holiday = {date(2026, 12, 2): []}
    assert not H.is_open(datetime(2026, 12, 2, 12, 0), all_day, holiday)
    assert H.is_open(datetime(2026, 12, 3, 0, 30), all_day, holiday)
    # A closure on the date after a night shift does not cut the shift that started the evening before.
    night = week({w: "22:00-06:00" for w in range(7)})
    assert H.is_open(datetime(2026, 12, 2, 2, 0), night, holiday)
    assert not H.is_open(datetime(2026, 12, 2, 23, 0), night, holiday)
    shorter = {date(2026, 12, 2): [(600, 900)]}
    assert H.is_open(datetime(2026, 12, 2, 10, 0), all_day, shorter)
    assert not H.is_open(datetime(2026, 12, 2, 9, 59), all_day, shorter)


def test_status_until_and_next_open():
    day = week({w: "08:00-20:00" for w in range(5)})  # weekdays only
    state = H.status_at(datetime(2026, 12, 2, 9, 0), day, {})
    assert state["open"] and state["until"] == datetime(2026, 12, 2, 20, 0)
    state = H.status_at(datetime(2026, 12, 4, 21, 0), day, {})  # Friday evening → Monday morning
    assert not state["open"] and state["next_open"] == datetime(2026, 12, 7, 8, 0)
    night = week({w: "22:00-06:00" for w in range(7)})
    state = H.status_at(datetime(2026, 12, 2, 23, 0), night, {})
    assert state["until"] == datetime(2026, 12, 3, 6, 0)
    split = week({2: "08:00-12:00, 12:00-18:00"})  # touching ranges read as one
    assert H.status_at(datetime(2026, 12, 2, 9, 0), split, {})["until"] == datetime(2026, 12, 2, 18, 0)
