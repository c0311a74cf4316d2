"""Mainland mobile numbers: one check for every app that takes one (unions, outreach, stations' pledges)."""

import re

from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError

# 11 digits, 13x to 19x; ASCII digits only (no full-width or other scripts' digits).
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-()]")
_PREFIXES = ("+86", "0086")


def is_mobile(value: str) -> bool:
    """True for a bare mainland mobile number (11 digits starting with 13 to 19), as stored."""
    return bool(MOBILE_RE.match(value or ""))


def mobile_normalize(phone: object) -> str:
    """A mainland mobile number as stored: spaces, dashes, brackets and a +86 / 0086 prefix are dropped; anything
    else raises ApplicationError (code invalid_phone, 422)."""
    raw = _SEPARATORS.sub("", str(phone or ""))
    for prefix in _PREFIXES:
        if raw.startswith(prefix):
            raw = raw[len(prefix) :]
            break
    if not is_mobile(raw):
        raise ApplicationError(
            _("Enter a mainland mobile number: 11 digits starting with 13 to 19."), code="invalid_phone"
        )
    return raw
