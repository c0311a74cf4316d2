import math

import pytest

from wangge.vision.zones import ZoneInvalid, contains, zone_polygon


def test_a_valid_zone():
    z = zone_polygon([(10, 10), (100, 10), (100, 80), (10, 80), (10, 10)], width=640, height=480)
    assert z.area == 90 * 70
    assert contains(z, 50, 50) and contains(z, 10, 40)  # the outline counts as inside
    assert not contains(z, 5, 5)
    # the frame edge itself is inside the frame
    assert zone_polygon([(0, 0), (640, 0), (640, 480)], width=640, height=480).area > 0


@pytest.mark.parametrize(
    ("points", "code"),
    [
        ([(0, 0), (10, 0)], "zone_too_few_points"),
        ([(0, 0), (10, 0), (0, 0), (10, 0)], "zone_too_few_points"),
        ([(0, 0), (10, 0), (10, 10), (0, 0)], None),  # a closed triangle is fine
        ([(0, 0), (700, 0), (10, 10)], "zone_outside_frame"),
        ([(0, 0), (10, -1), (10, 10)], "zone_outside_frame"),
        ([(0, 0), (100, 100), (100, 0), (0, 100)], "zone_self_intersecting"),  # a bow tie
        ([(0, 0), (10, 10), (20, 20)], "zone_self_intersecting"),  # collinear: no area
        ([(0, 0), ("a", 1), (10, 10)], "zone_bad_point"),
        ([(0, 0), (math.nan, 1), (10, 10)], "zone_bad_point"),
        ([(0, 0, 1), (5, 1), (10, 10)], "zone_bad_point"),
    ],
)
def test_zone_validation(points, code):
    if code is None:
        assert zone_polygon(points, width=640, height=480).area == 50
        return
    with pytest.raises(ZoneInvalid) as err:
        zone_polygon(points, width=640, height=480)
    assert err.value.code == code


def test_frame_size_must_be_positive():
    with pytest.raises(ZoneInvalid) as err:
        zone_polygon([(0, 0), (1, 0), (1, 1)], width=0, height=480)
    assert err.value.code == "zone_bad_frame"
