"""Rate-limit settings ("how many per how long") read one way for every app that throttles a source."""

import hashlib
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_UNITS = {
    "": 1,
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d*)\s*([a-z]*)\s*)?$", re.ASCII | re.IGNORECASE)


def rate_parse(value: str, *, default_window: int = 60) -> tuple[int, int]:
    """`"20/600"` → (20, 600): at most 20 in 600 seconds. The window may carry a unit: `"10/h"`, `"5/10m"`,
    `"100/day"`; `"20"` alone uses `default_window`. Anything else (or a zero window) raises ValueError."""
    m = _RATE.match(str(value))
    if not m:
        raise ValueError(f"Not a rate (count/seconds, e.g. 20/600 or 10/h): {value!r}")
    count, number, unit = m.groups()
    if number is None:  # no "/"
        return int(count), default_window
    unit = unit.lower()
    if (not number and not unit) or unit not in _UNITS:
        raise ValueError(f"Not a rate (count/seconds, e.g. 20/600 or 10/h): {value!r}")
    seconds = int(number or 1) * _UNITS[unit]
    if seconds <= 0:
        raise ValueError(f"A rate's window is at least one second: {value!r}")
    return int(count), seconds


def rate_setting(name: str, default: str) -> tuple[int, int]:
    """The rate in setting `name` (default `default`, whose window also serves a bare count): (limit, seconds)."""
    _limit, default_window = rate_parse(default)
    try:
        return rate_parse(str(getattr(settings, name, default)), default_window=default_window)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


def source_key_hash(*, scope: str = "", ip: str = "", user=None, token_id: int | None = None) -> str:
    """A keyed hash of where a request came from, per app (`scope`): a signed-in user, an API token, else the IP.
    The IP itself is never stored; the key only lets a throttle count one source's recent requests."""
    if getattr(user, "pk", None):
        raw = f"user:{user.pk}"
    elif token_id:
        raw = f"token:{token_id}"
    else:
        raw = f"ip:{ip}"
    label = f"{scope}|{raw}" if scope else raw
    return hashlib.sha256(f"{settings.SECRET_KEY}|{label}".encode()).hexdigest()[:32]
