import pytest

from wangge.core.errors import ApplicationError
from wangge.core.phones import contact_phone_normalize, is_mobile, mobile_normalize


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("(138)12345678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        (13812345678, "13812345678"),
    ],
)
def test_valid_mobiles_are_normalized(raw, stored):
    assert mobile_normalize(raw) == stored
    assert is_mobile(stored)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "1381234567",
        "138123456789",
        "12812345678",
        "10012345678",
        "23812345678",
        "021-12345678",
        "1381234567a",
        "１３８１２３４５６７８",
        "१३८१२३४५६७८",
        "+87 13812345678",
        "86+13812345678",
        "+86+8613812345678",
    ],
)
def test_invalid_mobiles_are_refused_with_a_422(raw):
    with pytest.raises(ApplicationError) as err:
        mobile_normalize(raw)
    assert err.value.code == "invalid_phone" and err.value.status == 422
    assert not is_mobile(str(raw or ""))


def test_the_apps_share_the_one_check():
    from wangge.outreach import services as outreach
    from wangge.unions import services as unions

    assert unions.phone_normalize is mobile_normalize and outreach.phone_normalize is mobile_normalize


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("", ""),
        ("138 1234 5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("021-62345678", "02162345678"),
        ("(021) 6234 5678", "02162345678"),
        ("+86 21 6234 5678", "02162345678"),
        ("0512-6523 4567", "051265234567"),
        ("62345678", "62345678"),
    ],
)
def test_a_call_back_number_is_a_mobile_or_a_fixed_line(raw, stored):
    assert contact_phone_normalize(raw) == stored


@pytest.mark.parametrize("raw", ["12345", "110", "1381234567", "021-1234", "138123456789", "abc", "021-6234567890", "０２１６２３４５６７８"])
def test_a_call_back_number_that_is_neither_is_refused(raw):
    with pytest.raises(ApplicationError) as info:
        contact_phone_normalize(raw)
    assert info.value.code == "invalid_phone" and info.value.status == 422
