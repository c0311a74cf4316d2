from datetime import UTC, datetime, time, timedelta

import pytest

from wangge.vision.alerts import SHANGHAI, AlertRule, AlertRuleInvalid, ZoneAlertState, alert_step

T0 = datetime(2025, 6, 1, 10, 0, tzinfo=SHANGHAI)


def run(rule, counts, *, start=T0, every=5.0, state=None):
    """Feed one count every `every` seconds; return (events with their second, final state)."""
    state = state or ZoneAlertState()
    events = []
    for i, count in enumerate(counts):
        at = start + timedelta(seconds=i * every)
        d = alert_step(rule, state, at=at, count=count)
        state = d.state
        if d.event:
            events.append((d.event, i * every))
    return events, state


RULE = AlertRule(alert_level=20, clear_level=12, hold_seconds=30, window_seconds=25, cooldown_seconds=300)


def test_a_brief_spike_does_not_alert():
    # two samples of 40 people among quiet ones: the 5-sample median never reaches 20
    events, state = run(RULE, [3, 4, 40, 40, 5, 4, 3, 2, 4, 5])
    assert events == [] and not state.alerting


def test_a_persisting_gathering_alerts_exactly_once_after_the_hold_time():
    counts = [5, 5] + [30] * 40  # 200 s of a gathering
    events, state = run(RULE, counts)
    assert [e for e, _ in events] == ["alert"]
    # the median reaches 30 at the 3rd gathering sample (t = 20 s); held 30 s more → alert at t = 50 s
    assert events[0][1] == 50
    assert state.alerting and state.alerted_at == T0 + timedelta(seconds=50)


def test_robust_count_is_the_window_median():
    d = None
    state = ZoneAlertState()
    for i, c in enumerate([10, 50, 12, 11, 90]):
        d = alert_step(RULE, state, at=T0 + timedelta(seconds=5 * i), count=c)
        state = d.state
    assert d.robust_count == 12


def test_hysteresis_keeps_the_alert_until_below_the_clear_level():
    counts = [30] * 12 + [15] * 20 + [5] * 8  # 15 is below 20 but not below the clear level 12
    events, state = run(RULE, counts)
    assert [e for e, _ in events] == ["alert", "clear"]
    assert events[1][1] >= 12 * 5 + 20 * 5  # cleared only once the fives dominate the window
    assert not state.alerting


def test_counts_hovering_at_the_level_do_not_flap():
    counts = [30] * 12 + [19, 21] * 30
    events, _ = run(RULE, counts)
    assert [e for e, _ in events] == ["alert"]


def test_cool_down_after_a_clear():
    rule = AlertRule(alert_level=20, clear_level=12, hold_seconds=10, window_seconds=12, cooldown_seconds=120)
    gathering, quiet = [30] * 8, [2] * 4
    # alert, clear, back within 2 minutes: no second alert until the cool-down has passed
    events, state = run(rule, gathering + quiet + [30] * 40)
    kinds = [e for e, _ in events]
    assert kinds == ["alert", "clear", "alert"]
    clear_at = events[1][1]
    assert events[2][1] - clear_at >= 120
    # the same return after the cool-down alerts as soon as the hold time is met
    events2, _ = run(rule, gathering + quiet + [2] * 30 + [30] * 10)
    assert [e for e, _ in events2] == ["alert", "clear", "alert"]


def test_active_hours_across_midnight():
    rule = AlertRule(alert_level=10, clear_level=5, hold_seconds=0, window_seconds=1,
                     active_from=time(22, 0), active_until=time(6, 0))
    assert rule.is_active_at(datetime(2025, 6, 1, 23, 30, tzinfo=SHANGHAI))
    assert rule.is_active_at(datetime(2025, 6, 2, 5, 59, tzinfo=SHANGHAI))
    assert not rule.is_active_at(datetime(2025, 6, 2, 6, 0, tzinfo=SHANGHAI))
    assert not rule.is_active_at(datetime(2025, 6, 1, 12, 0, tzinfo=SHANGHAI))
    # Shanghai wall clock, whatever the zone of the sample time: 15:30 UTC is 23:30 in Shanghai
    assert rule.is_active_at(datetime(2025, 6, 1, 15, 30, tzinfo=UTC))
    # a crowd at noon does not alert; the same crowd at 23:00 does
    noon, _ = run(rule, [40] * 5, start=datetime(2025, 6, 1, 12, 0, tzinfo=SHANGHAI))
    night, _ = run(rule, [40] * 5, start=datetime(2025, 6, 1, 23, 0, tzinfo=SHANGHAI))
    assert noon == [] and [e for e, _ in night] == ["alert"]
    # a crowd that starts at 21:59:50 alerts once the window opens at 22:00
    late, _ = run(rule, [40] * 5, start=datetime(2025, 6, 1, 21, 59, 50, tzinfo=SHANGHAI))
    assert late == [("alert", 10.0)]
    day = AlertRule(alert_level=10, clear_level=5, active_from=time(8, 0), active_until=time(20, 0))
    assert day.is_active_at(datetime(2025, 6, 1, 8, 0, tzinfo=SHANGHAI))
    assert not day.is_active_at(datetime(2025, 6, 1, 20, 0, tzinfo=SHANGHAI))


def test_a_gap_in_sampling_restarts_the_hold():
    rule = AlertRule(alert_level=20, clear_level=10, hold_seconds=30, window_seconds=20)
    state = ZoneAlertState()
    for i in range(4):  # 15 s of a crowd
        state = alert_step(rule, state, at=T0 + timedelta(seconds=5 * i), count=30).state
    # camera offline for 10 minutes, back with the crowd: the hold starts again
    back = T0 + timedelta(minutes=10)
    d = alert_step(rule, state, at=back, count=30)
    assert d.event is None and d.state.above_since == back and len(d.state.samples) == 1


def test_stale_samples_are_ignored_and_bad_input_is_refused():
    state = alert_step(RULE, ZoneAlertState(), at=T0, count=3).state
    d = alert_step(RULE, state, at=T0, count=90)
    assert d.state is state and d.event is None
    with pytest.raises(ValueError):
        alert_step(RULE, state, at=datetime(2025, 6, 1, 10, 1), count=3)  # naive
    with pytest.raises(ValueError):
        alert_step(RULE, state, at=T0 + timedelta(seconds=5), count=-1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"alert_level": 20, "clear_level": 20},
        {"alert_level": 20, "clear_level": 25},
        {"alert_level": 0, "clear_level": 0},
        {"alert_level": 20, "clear_level": -1},
        {"alert_level": 20, "clear_level": 10, "hold_seconds": -1},
        {"alert_level": 20, "clear_level": 10, "window_seconds": 0},
        {"alert_level": 20, "clear_level": 10, "active_from": time(8, 0)},
        {"alert_level": 20, "clear_level": 10, "active_from": time(8, 0), "active_until": time(8, 0)},
    ],
)
def test_rule_validation(kwargs):
    with pytest.raises(AlertRuleInvalid):
        AlertRule(**kwargs)
