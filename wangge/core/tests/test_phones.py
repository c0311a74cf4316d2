import pytest

from wangge.core.errors import ApplicationError
from wangge.core.phones import is_mobile, mobile_normalize


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
