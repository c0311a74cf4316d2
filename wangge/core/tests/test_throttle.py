import pytest
from django.core.exceptions import ImproperlyConfigured

from wangge.core.throttle import rate_parse, rate_setting, source_key_hash


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20/600", (20, 600)),
        (" 5 / 10 ", (5, 10)),
        ("10/h", (10, 3600)),
        ("10/hour", (10, 3600)),
        ("5/10m", (5, 600)),
        ("5/10min", (5, 600)),
        ("100/day", (100, 86400)),
        ("3/2d", (3, 172800)),
        ("7/30s", (7, 30)),
        ("0/60", (0, 60)),
        ("20", (20, 60)),
    ],
)
def test_rates_parse(value, expected):
    assert rate_parse(value) == expected


def test_a_bare_count_takes_the_default_window():
    assert rate_parse("20", default_window=600) == (20, 600)


@pytest.mark.parametrize(
    "value",
    ["", "/", "abc", "20/", "20/x", "20/10y", "-1/60", "1.5/60", "20/0", "20/0h", "20/60/60", "twenty/h"],
)
def test_bad_rates_are_refused(value):
    with pytest.raises(ValueError):
        rate_parse(value)


def test_rate_setting_reads_the_setting_or_the_default(settings):
    settings.WANGGE_TEST_RATE = "10/h"
    assert rate_setting("WANGGE_TEST_RATE", "5/600") == (10, 3600)
    settings.WANGGE_TEST_RATE = "7"  # a bare count keeps the default's window
    assert rate_setting("WANGGE_TEST_RATE", "5/600") == (7, 600)
    del settings.WANGGE_TEST_RATE
    assert rate_setting("WANGGE_TEST_RATE", "5/600") == (5, 600)
    settings.WANGGE_TEST_RATE = "lots"
    with pytest.raises(ImproperlyConfigured, match="WANGGE_TEST_RATE"):
        rate_setting("WANGGE_TEST_RATE", "5/600")


def test_source_keys_are_keyed_hashes_per_app_and_source(settings):
    import hashlib

    from wangge.accounts.models import User

    settings.SECRET_KEY = "k"
    ip = source_key_hash(scope="stations", ip="10.0.0.1")
    assert ip == hashlib.sha256(b"k|stations|ip:10.0.0.1").hexdigest()[:32] and "10.0.0.1" not in ip
    assert source_key_hash(ip="10.0.0.1") == hashlib.sha256(b"k|ip:10.0.0.1").hexdigest()[:32]
    assert (
        source_key_hash(scope="sms", ip="10.0.0.1") != ip != source_key_hash(scope="stations", ip="10.0.0.2")
    )
    user = User(pk=7)
    assert source_key_hash(scope="stations", ip="10.0.0.1", user=user, token_id=3) == source_key_hash(
        scope="stations", user=user
    )
    assert source_key_hash(token_id=3, ip="10.0.0.1") == hashlib.sha256(b"k|token:3").hexdigest()[:32]
