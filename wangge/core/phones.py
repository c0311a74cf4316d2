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


# A fixed line: area code (0 + 2 or 3 digits: 021 Shanghai, 0512 Suzhou) and 7 or 8 digits, or the local number alone.
LANDLINE_RE = re.compile(r"^(0[1-9][0-9]{1,2})?[2-9][0-9]{6,7}$", re.ASCII)


def contact_phone_normalize(phone: object) -> str:
    """A number to call someone on (a reporter, a station, a merchant): a mainland mobile (as `mobile_normalize`) or a fixed line such as
    021-62345678 or 62345678, stored as digits only; '' stays ''. Anything else raises ApplicationError
    (code invalid_phone, 422)."""
    raw = _SEPARATORS.sub("", str(phone or ""))
    if not raw:
        return ""
    for prefix in _PREFIXES:
        if raw.startswith(prefix):
            raw = raw[len(prefix) :]
            if raw[:1] in "23456789" and not is_mobile(raw):  # +86 21 6234 5678: the area code without its 0
                raw = "0" + raw
            break
    if is_mobile(raw) or LANDLINE_RE.match(raw):
        return raw
    raise ApplicationError(
        _("Enter a mobile number (11 digits) or a fixed line such as 021-62345678."),
        code="invalid_phone",
    )
