import pytest

from wangge.core.errors import ApplicationError
from wangge.routing.links import parse_location_link


@pytest.mark.parametrize("text,expected", [
    ("https://uri.amap.com/marker?position=121.4401,31.2402&name=长寿路", (121.4401, 31.2402, "gcj02")),
    ("https://uri.amap.com/marker?position=31.2402,121.4401", (121.4401, 31.2402, "gcj02")),
    ("https://ditu.amap.com/regeo?lng=121.44&lat=31.24&name=x", (121.44, 31.24, "gcj02")),
    ("https://apis.map.qq.com/uri/v1/marker?marker=coord:31.2402,121.4401;title:路口&referer=wx",
     (121.4401, 31.2402, "gcj02")),
    ("https://map.qq.com/?type=marker&latitude=31.24&longitude=121.44", (121.44, 31.24, "gcj02")),
    ("http://api.map.baidu.com/marker?location=31.2465,121.4514&title=x&output=html", (121.4514, 31.2465, "bd09")),
    ("http://api.map.baidu.com/marker?location=31.24,121.44&coord_type=gcj02", (121.44, 31.24, "gcj02")),
    ("31.2402, 121.4401", (121.4401, 31.2402, "gcj02")),
    ("121.4401，31.2402", (121.4401, 31.2402, "gcj02")),
])
def test_links_from_map_apps_give_coordinates_and_their_system(text, expected):
    assert parse_location_link(text) == expected


@pytest.mark.parametrize("text,code", [
    ("", "invalid_location_link"), ("https://surl.amap.com/abc123", "invalid_location_link"),
    ("https://example.com/?position=1,2", "invalid_location_link"), ("2.35, 48.85", "invalid_coordinates"),
    ("长寿路 123 号", "invalid_location_link"),
])
def test_links_without_usable_coordinates_are_refused_with_a_reason(text, code):
    with pytest.raises(ApplicationError) as err:
        parse_location_link(text)
    assert err.value.code == code
