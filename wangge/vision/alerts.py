"""Gathering-alert decisions for one camera zone: a pure state machine, no I/O, no clock of its own.

Feed it every people count sampled for the zone with the sample's (aware) time; it answers with the
new state and at most one event:

* the robust count is the median of the samples of the last `window_seconds` (a person walking past
  the camera, or one bad frame, moves a single sample, not the median);
* "alert" when the robust count has stayed at or above `alert_level` for `hold_seconds`, inside the
  active hours (Asia/Shanghai wall-clock; a window may run across midnight), and not within
  `cooldown_seconds` of the previous alert clearing;
* "clear" when, with an alert open, the robust count drops below `clear_level` (< alert_level:
  hysteresis, so a count hovering around the alert level does not flap).

A persisting gathering therefore raises exactly one alert; a brief spike raises none.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError

SHANGHAI = ZoneInfo("Asia/Shanghai")


class AlertRuleInvalid(ApplicationError):
    code = "alert_rule_invalid"


@dataclass(frozen=True)
class AlertRule:
    alert_level: int  # N: people
    clear_level: int  # below this an open alert clears; must be < alert_level
    hold_seconds: float = 60.0  # T: how long the robust count must stay >= N
    window_seconds: float = 30.0  # the median's sliding window
    cooldown_seconds: float = 600.0  # after a clear, no new alert for this long
    active_from: time | None = None  # Asia/Shanghai; both None = always active
    active_until: time | None = None  # exclusive; before active_from = window runs across midnight

    def __post_init__(self) -> None:
        if self.alert_level < 1:
            raise AlertRuleInvalid(_("The alert level must be at least 1 person."))
        if not 0 <= self.clear_level < self.alert_level:
            raise AlertRuleInvalid(_("The clear level must be below the alert level (and not negative)."))
        if self.hold_seconds < 0 or self.cooldown_seconds < 0:
            raise AlertRuleInvalid(_("Hold time and cool-down cannot be negative."))
        if self.window_seconds <= 0:
            raise AlertRuleInvalid(_("The sampling window must be longer than zero."))
        if (self.active_from is None) != (self.active_until is None):
            raise AlertRuleInvalid(_("Active hours need both a start and an end."))
        if self.active_from is not None and self.active_from == self.active_until:
            raise AlertRuleInvalid(_("Active hours cannot start and end at the same time."))

    def is_active_at(self, at: datetime) -> bool:
        if self.active_from is None or self.active_until is None:
            return True
        local = at.astimezone(SHANGHAI).time()
        if self.active_from < self.active_until:
            return self.active_from <= local < self.active_until
        return local >= self.active_from or local < self.active_until  # across midnight


@dataclass(frozen=True)
class ZoneAlertState:
    samples: tuple[tuple[datetime, int], ...] = ()
    above_since: datetime | None = None  # first sample of the current run at/above the alert level
    alerting: bool = False
    alerted_at: datetime | None = None
    cleared_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    state: ZoneAlertState
    robust_count: int
    event: Literal["alert", "clear"] | None = None
    reason: str = field(default="")


def alert_step(rule: AlertRule, state: ZoneAlertState, *, at: datetime, count: int) -> Decision:
    """Take one counted sample; return the next state and the event it causes, if any."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("sample times must be timezone-aware")
    if count < 0:
        raise ValueError("a people count cannot be negative")
    if state.samples and at <= state.samples[-1][0]:
        # A late or repeated sample: ignore it rather than rewrite history.
        return Decision(state=state, robust_count=_robust(state.samples), reason="stale sample")

    window = timedelta(seconds=rule.window_seconds)
    gap = state.samples and at - state.samples[-1][0] > window
    samples = tuple(s for s in state.samples if at - s[0] < window) + ((at, count),)
    robust = _robust(samples)
    above_since = None if gap else state.above_since  # a gap in sampling (camera offline) restarts the hold
    nxt = replace(state, samples=samples)

    if state.alerting:
        if robust < rule.clear_level:
            nxt = replace(nxt, alerting=False, cleared_at=at, above_since=None)
            return Decision(state=nxt, robust_count=robust, event="clear", reason="below clear level")
        return Decision(state=replace(nxt, above_since=above_since or at), robust_count=robust)

    if robust < rule.alert_level:
        return Decision(state=replace(nxt, above_since=None), robust_count=robust)
    if not rule.is_active_at(at):
        return Decision(state=replace(nxt, above_since=None), robust_count=robust, reason="outside active hours")
    above_since = above_since or at
    nxt = replace(nxt, above_since=above_since)
    if at - above_since < timedelta(seconds=rule.hold_seconds):
        return Decision(state=nxt, robust_count=robust, reason="holding")
    if state.cleared_at is not None and at - state.cleared_at < timedelta(seconds=rule.cooldown_seconds):
        return Decision(state=nxt, robust_count=robust, reason="cooling down")
    nxt = replace(nxt, alerting=True, alerted_at=at)
    return Decision(state=nxt, robust_count=robust, event="alert", reason="over alert level")


def _robust(samples: tuple[tuple[datetime, int], ...]) -> int:
    """The median count of the window (the lower middle one for an even number of samples)."""
    return int(statistics.median_low(c for _t, c in samples)) if samples else 0
