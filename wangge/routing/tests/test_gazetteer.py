"""The address gazetteer: the parser on real-looking variants, the fallbacks and their confidence, the cache."""

import pytest
from django.core.management import call_command
from shapely.geometry import Point

from conftest import PROJ
from wangge.cases.tests.conftest import loop  # noqa: F401 - the case-loop fixture, shared
from wangge.core.errors import ApplicationError
from wangge.grids.models import Address
from wangge.routing import coords, gazetteer
from wangge.routing.gazetteer import CONFIDENCE, RoadMatcher, cn_to_int, normalize_number, parse_address

ROADS = RoadMatcher(["长寿路", "西康路", "常德路", "梅岭北路", "光复西路", "昌平街"])


@pytest.mark.parametrize(("text", "road", "lane", "sub_lane", "number", "building", "cross"), [
    ("长寿路123号", "长寿路", "", "", "123", "", ""),
    ("上海市普陀区长寿路街道长寿路123弄4号502室", "长寿路", "123", "", "4", "", ""),
    ("上海普陀区长寿路123号", "长寿路", "", "", "123", "", ""),
    ("长寿路１２３弄４号", "长寿路", "123", "", "4", "", ""),
    ("长寿路一百二十三弄", "长寿路", "123", "", "", "", ""),
    ("长寿路一百零五号", "长寿路", "", "", "105", "", ""),
    ("长寿路十二号", "长寿路", "", "", "12", "", ""),
    ("长寿路二十弄三支弄五号", "长寿路", "20", "3", "5", "", ""),
    ("长寿路123弄第五号", "长寿路", "123", "", "5", "", ""),
    ("长寿路 123 号", "长寿路", "", "", "123", "", ""),
    ("长寿路，123号。", "长寿路", "", "", "123", "", ""),
    ("长寿路123", "长寿路", "", "", "123", "", ""),
    ("长寿路123弄4", "长寿路", "123", "", "4", "", ""),
    ("长寿路123弄2支弄5号", "长寿路", "123", "2", "5", "", ""),
    ("长寿路123弄2支弄5", "长寿路", "123", "2", "5", "", ""),
    ("长寿路一百二十三", "长寿路", "", "", "123", "", ""),  # 号 left out, Chinese numerals
    ("长寿123旁边", "长寿路", "", "", "123", "", ""),
    ("长寿一百二十三旁边", "长寿路", "", "", "123", "", ""),  # neither 路 nor 号
    ("长寿路一带", "长寿路", "", "", "", "", ""),  # "around 长寿路", not number 1
    ("长寿路两侧", "长寿路", "", "", "", "", ""),
    ("长寿路123弄5号楼3单元401室", "长寿路", "123", "", "", "5", ""),
    ("长寿路123弄7幢", "长寿路", "123", "", "", "7", ""),
    ("长寿路123弄8栋2楼", "长寿路", "123", "", "", "8", ""),
    ("长寿路123号5楼", "长寿路", "", "", "123", "", ""),
    ("长寿路123-1号", "长寿路", "", "", "123-1", "", ""),
    ("长寿路123－１号", "长寿路", "", "", "123-1", "", ""),
    ("长寿路123之1号", "长寿路", "", "", "123-1", "", ""),
    ("长寿路123-125号", "长寿路", "", "", "123", "", ""),
    ("长寿路０１２３号", "长寿路", "", "", "123", "", ""),
    ("长寿路123号近西康路", "长寿路", "", "", "123", "", "西康路"),
    ("长寿路123号（西康路口）", "长寿路", "", "", "123", "", "西康路"),
    ("长寿路西康路口", "长寿路", "", "", "", "", "西康路"),
    ("长寿路/西康路", "长寿路", "", "", "", "", "西康路"),
    ("西康路与长寿路交叉口东南角", "西康路", "", "", "", "", "长寿路"),
    ("（近西康路）长寿路", "长寿路", "", "", "", "", "西康路"),
    ("近长寿路", "长寿路", "", "", "", "", ""),
    ("长寿街123号", "长寿路", "", "", "123", "", ""),  # wrong suffix
    ("长寿123号", "长寿路", "", "", "123", "", ""),  # suffix left out
    ("梅岭北路88号旁边", "梅岭北路", "", "", "88", "", ""),
    ("光复西路二十号门口", "光复西路", "", "", "20", "", ""),
    ("昌平街5号", "昌平街", "", "", "5", "", ""),
    ("长寿新村门口", "", "", "", "", "", ""),  # a compound named like a road's stem is not the road
    ("不知道哪里", "", "", "", "", "", ""),
    ("", "", "", "", "", "", ""),
])
def test_parser_reads_the_ways_people_write_an_address(text, road, lane, sub_lane, number, building, cross):
    p = parse_address(text, roads=ROADS, jurisdiction_name="长寿路街道")
    assert (p.road, p.lane, p.sub_lane, p.number, p.building, p.cross_road) == (road, lane, sub_lane, number, building, cross)


def test_parser_without_a_gazetteer_finds_generic_roads():
    p = parse_address("上海市普陀区武宁路500弄3号")
    assert (p.road, p.lane, p.number) == ("武宁路", "500", "3")
    assert parse_address("中山北路与武宁路路口").cross_road == "武宁路"


def test_numbers_and_normalisation():
    assert [cn_to_int(s) for s in ("一百二十三", "十二", "二十", "一二三", "一〇五", "两百", "一千零一")] == [
        123, 12, 20, 123, 105, 200, 1001]
    assert [normalize_number(v) for v in ("１２３号", "一百二十三", 123.0, "123弄", "0123", " 12 - 1 ", None, "3号楼")] == [
        "123", "123", "123", "123", "123", "12-1", "", "3"]


# --------------------------------------------------------------------------------------------- geocoding


def xy(x, y):
    """A WGS84 point given in metres from the fixture territory's south-west corner."""
    q = PROJ.inverse(Point(x - 500, y - 500))
    return q.x, q.y


def rows():
    """长寿路 runs west–east at y=300 m: odd numbers north (1…41, 21 missing), even south; lane 23 with houses;
    西康路 runs south–north at x=600 m and crosses it."""
    out = []
    for n in range(1, 42, 2):
        if n in (21, 23):
            continue
        out.append({"road": "长寿路", "number": str(n), "lon": xy(100 + 20 * n, 312)[0], "lat": xy(100 + 20 * n, 312)[1]})
    for n in range(2, 41, 2):
        out.append({"road": "长寿路", "number": str(n), "lon": xy(100 + 20 * n, 288)[0], "lat": xy(100 + 20 * n, 288)[1]})
    entrance = xy(100 + 20 * 23, 312)
    out.append({"road": "长寿路", "lane": "23", "lon": entrance[0], "lat": entrance[1]})
    for j in range(1, 6):
        p = xy(100 + 20 * 23, 312 + 20 * j)
        out.append({"road": "长寿路", "lane": "23", "number": str(j), "lon": p[0], "lat": p[1]})
    p = xy(100 + 20 * 23 + 10, 312 + 30)
    out.append({"road": "长寿路", "lane": "23", "sub_lane": "1", "number": "1", "lon": p[0], "lat": p[1]})
    p = xy(100 + 20 * 23 - 10, 312 + 50)
    out.append({"road": "长寿路", "lane": "23", "building": "9", "lon": p[0], "lat": p[1]})
    for n in range(1, 30, 2):
        p = xy(612, 100 + 15 * n)
        out.append({"road": "西康路", "number": str(n), "lon": p[0], "lat": p[1]})
    return out


@pytest.fixture
def gaz(territory):
    gazetteer.gazetteer_invalidate()
    result = gazetteer.gazetteer_import(jurisdiction=territory, rows=rows())
    assert result["created"] == len(rows()) and result["updated"] == 0
    return territory


def metres_of(hit):
    p = PROJ.forward(Point(hit.lon, hit.lat))
    return p.x + 500, p.y + 500


def test_exact_then_each_fallback_is_less_sure(gaz):
    def g(text):
        return gazetteer.geocode(jurisdiction=gaz, address=text)

    exact = g("上海市普陀区长寿路7号")
    assert exact.level == "exact" and exact.confidence == 1.0 and exact.matched == "长寿路7号"
    assert metres_of(exact) == pytest.approx((240, 312), abs=0.01)
    assert g("长寿路23弄2号").level == "exact"
    assert g("长寿路23弄1支弄1号").level == "exact"
    assert g("长寿路23弄9号楼").level == "exact"
    assert g("长寿路23弄2号3单元502室").level == "exact"
    no_building = g("长寿路23弄2号7号楼")
    swapped = g("长寿路23弄9号")  # the building written as a house number
    assert g("长寿路二十三弄").level == "exact"  # the lane's entrance is an address of its own
    lane = g("长寿路23弄99号")  # no such house in the lane: the lane
    assert g("长寿路23弄1支弄").level == "lane"  # a sub-lane without a house: the lane, not "almost exact"
    interpolated = g("长寿路21号")  # between 19 and 25 on the odd side
    lane_as_number = g("长寿路31弄")  # no lane 31: its number on the street front
    crossing = g("长寿路西康路口")
    nearest = g("长寿路999号")
    road = g("长寿路")
    assert (no_building.level, swapped.level, lane.level, interpolated.level, lane_as_number.level, crossing.level,
            nearest.level, road.level) == (
        "no_building", "swapped", "lane", "interpolated", "lane_as_number", "crossing", "nearest_number", "road")
    order = [exact, no_building, swapped, lane, interpolated, lane_as_number, crossing, nearest, road]
    assert [h.confidence for h in order] == sorted((h.confidence for h in order), reverse=True)
    assert len({h.confidence for h in order}) >= 8
    assert metres_of(lane) == pytest.approx((560, 312), abs=0.01)  # the lane's entrance
    assert metres_of(interpolated)[0] == pytest.approx(100 + 20 * 21, abs=0.5)  # halfway-ish, on the odd side
    assert metres_of(interpolated)[1] == pytest.approx(312, abs=0.5)
    x, y = metres_of(crossing)
    assert abs(x - 600) < 25 and abs(y - 300) < 25
    assert metres_of(nearest) == pytest.approx((100 + 20 * 41, 312), abs=0.5)  # the highest odd number


def test_typos_and_noise_still_locate(gaz):
    for text in ("长寿街7号", "长寿7号", "长寿路 ７ 号", "长寿路七号", "普陀区长寿路街道长寿路7号(近西康路)"):
        hit = gazetteer.geocode(jurisdiction=gaz, address=text)
        assert hit is not None and hit.matched == "长寿路7号" and hit.confidence == 1.0, text


def test_unknown_road_and_empty_address_are_none(gaz):
    for text in ("武宁路100号", "不知道哪里", "", "   ", "123号"):
        assert gazetteer.geocode(jurisdiction=gaz, address=text) is None


def test_a_number_beyond_the_range_near_a_crossing_prefers_the_crossing(gaz):
    hit = gazetteer.geocode(jurisdiction=gaz, address="长寿路999号近西康路")
    assert hit.level == "crossing"


def test_report_with_only_an_address_is_located_and_filed(gaz, loop):  # noqa: F811 - the shared fixture
    from wangge.intake.models import ReportStatus
    from wangge.intake.services import report_submit

    report, created = report_submit(jurisdiction=gaz, channel="hotline", description="人行道上堆满垃圾", address="长寿路7号",
                                    category_code="SJ0101", idempotency_key="t-1")
    assert created and report.location_source == "address" and report.status == ReportStatus.FILED
    assert report.case.grid.code == "A"
    unlocated, _ = report_submit(jurisdiction=gaz, channel="hotline", description="人行道上堆满垃圾", address="某某小区门口",
                                 category_code="SJ0101", idempotency_key="t-2")
    assert unlocated.status == ReportStatus.TRIAGE and unlocated.triage_reasons == ["unlocated"]


# --------------------------------------------------------------------------------------------- cache and import


def test_changes_are_seen_at_once_here_and_within_a_second_elsewhere(gaz):
    assert gazetteer.geocode(jurisdiction=gaz, address="长寿路23弄6号").level == "lane"
    p = xy(560, 450)
    gazetteer.gazetteer_import(jurisdiction=gaz, rows=[{"road": "长寿路", "lane": "23", "number": "6", "lon": p[0], "lat": p[1]}])
    assert gazetteer.geocode(jurisdiction=gaz, address="长寿路23弄6号").level == "exact"
    # Another process moves an address (no signal here): seen once the version check is due.
    Address.objects.filter(jurisdiction=gaz, key="长寿路|23||6|").update(lon=p[0] + 0.001)
    cached = gazetteer._cache[gaz.pk]
    gazetteer._cache[gaz.pk] = (cached[0], cached[1], cached[2] - gazetteer.VERSION_CHECK_INTERVAL - 1)
    assert gazetteer.geocode(jurisdiction=gaz, address="长寿路23弄6号").lon == pytest.approx(p[0])  # same version: kept
    gone = Address.objects.filter(jurisdiction=gaz, key="长寿路|23||6|")
    gone._raw_delete(gone.db)  # the count changes (no signal here either): rebuilt
    gazetteer._cache[gaz.pk] = (gazetteer._cache[gaz.pk][0], gazetteer._cache[gaz.pk][1], 0)
    assert gazetteer.geocode(jurisdiction=gaz, address="长寿路23弄6号").level == "lane"


def test_import_upserts_converts_gcj02_and_refuses_bad_files_whole(gaz):
    lon, lat = xy(240, 312)
    glon, glat = coords.wgs84_to_gcj02(lon + 0.0001, lat)
    result = gazetteer.gazetteer_import(jurisdiction=gaz, crs="gcj02", rows=[
        {"road": "长寿路", "number": "７号", "lon": glon, "lat": glat},  # the same key as 长寿路7号: moved
        {"road": "长 寿 路", "number": "一百", "lon": glon, "lat": glat},  # new, normalised
    ])
    assert (result["created"], result["updated"]) == (1, 1)
    moved = Address.objects.get(jurisdiction=gaz, key="长寿路|||7|")
    assert moved.lon == pytest.approx(lon + 0.0001, abs=1e-8) and moved.lat == pytest.approx(lat, abs=1e-8)
    assert Address.objects.filter(jurisdiction=gaz, key="长寿路|||100|").exists()
    before = Address.objects.count()
    with pytest.raises(ApplicationError) as err:
        gazetteer.gazetteer_import(jurisdiction=gaz, rows=[
            {"road": "长寿路", "number": "500", "lon": lon, "lat": lat},
            {"road": "", "number": "1", "lon": lon, "lat": lat},
            {"road": "长寿路", "number": "2", "lon": "东经121", "lat": lat},
            {"road": "长寿路", "lon": lon, "lat": lat},
        ])
    assert err.value.code == "invalid_rows" and [d["row"] for d in err.value.details] == [2, 3, 4]
    assert Address.objects.count() == before


def test_import_addresses_command_reads_csv_in_gbk(gaz, tmp_path):
    lon, lat = xy(700, 312)
    path = tmp_path / "门牌.csv"
    path.write_bytes(f"路名,门牌号,弄,支弄,楼号,经度,纬度\r\n常德路,８号,,,,{lon},{lat}\r\n常德路,,10,,,{lon},{lat + 0.0001}\r\n"
                     .encode("gbk"))
    call_command("import_addresses", str(path), "--jurisdiction", gaz.code)
    assert gazetteer.geocode(jurisdiction=gaz, address="常德路8号").confidence == 1.0
    assert gazetteer.geocode(jurisdiction=gaz, address="常德路10弄3号").level == "lane"


def test_demo_street_addresses_are_inside_unique_and_geocodable():
    import shapely

    from wangge.grids.demo_addresses import generate_addresses
    from wangge.grids.demo_data import generate_street

    street = generate_street()
    rows = generate_addresses(street["jurisdiction"]["boundary"])
    assert len(rows) > 2000
    boundary = shapely.geometry.shape(street["jurisdiction"]["boundary"])
    assert all(boundary.contains(shapely.Point(r["lon"], r["lat"])) for r in rows[::25])
    keys = {(r["road"], r["lane"], r["sub_lane"], r["number"], r["building"]) for r in rows}
    assert len(keys) == len(rows)
    index = gazetteer.GazetteerIndex([(r["road"], r["number"], r["lane"], r["sub_lane"], r["building"], r["lon"], r["lat"],
                                       "") for r in rows], jurisdiction_name="长寿路街道")
    assert len({r["road"] for r in rows}) >= 12
    hit = index.geocode("上海市普陀区长寿路街道长寿路1号")
    assert hit is not None and hit.confidence == CONFIDENCE["exact"]
    lane = next(r for r in rows if r["lane"] and r["number"] and not r["sub_lane"])
    assert index.geocode(f"{lane['road']}{lane['lane']}弄{lane['number']}号").level == "exact"


def test_import_reasons_are_in_the_readers_language(gaz, tmp_path):
    """Each refused row says why, in Chinese on a Chinese street (the command runs in LANGUAGE_CODE), and nothing is
    imported."""
    from django.core.management.base import CommandError
    from django.utils import translation

    lon, lat = xy(700, 312)
    rows = [{"road": "", "number": "1", "lon": lon, "lat": lat}, {"road": "长寿路", "number": "2", "lon": "东经121", "lat": lat}]
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as zh:
        gazetteer.gazetteer_import(jurisdiction=gaz, rows=rows)
    with translation.override("en"), pytest.raises(ApplicationError) as en:
        gazetteer.gazetteer_import(jurisdiction=gaz, rows=rows)
    assert [d["reason"] for d in en.value.details] == ["road is empty", "lon '东经121' is not a number"]
    assert [d["reason"] for d in zh.value.details] == ["路名为空", "lon '东经121' 不是数字"]
    before = Address.objects.count()
    path = tmp_path / "门牌.csv"
    path.write_text(f"路名,门牌号,经度,纬度\n长寿路,1,{lon},{lat}\n,,,\n,1,{lon},{lat}\n", encoding="utf-8")
    with translation.override("zh-hans"), pytest.raises(CommandError) as err:
        call_command("import_addresses", str(path), "--jurisdiction", gaz.code)
    assert str(err.value).splitlines()[1:] == ["  第 4 行：路名为空"]  # the line in the file, past the blank one
    assert Address.objects.count() == before
