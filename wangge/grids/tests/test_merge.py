"""多格合一 on the hand-made fixture, where every share is known from the rectangles in conftest."""

import pytest

from wangge.grids.models import GridCoverage, MergeIssue, MergeRun
from wangge.grids.selectors import merge_report

EXPECTED = {
    ("A", "police"): {"P1": 0.6, "P2": 0.4},
    ("B", "police"): {"P2": 1.0},
    ("C", "police"): {"P1": 150000 / 255000, "P2": 105000 / 255000},
    ("D", "police"): {"P2": 1.0},
    ("A", "urban"): {"U1": 1.0},
    ("B", "urban"): {"U2": 0.996},
    ("C", "urban"): {"U1": 251000 / 255000, "U2": 4000 / 255000},
    ("D", "urban"): {"U2": 0.996},
    ("A", "property"): {"Y1": 0.04},
}


def coverage(territory):
    out = {}
    for c in GridCoverage.objects.filter(grid__jurisdiction=territory).select_related("grid", "layer", "unit"):
        out.setdefault((c.grid.code, c.layer.code), {})[c.unit.code] = c.share
    return out


def test_coverage_shares_match_the_geometry(territory):
    got = coverage(territory)
    assert set(got) == set(EXPECTED)
    for key, shares in EXPECTED.items():
        assert set(got[key]) == set(shares), key
        for unit, share in shares.items():
            assert got[key][unit] == pytest.approx(share, abs=1e-4), (key, unit)


def test_gap_overlap_and_slivers_are_reported(territory):
    issues = list(MergeIssue.objects.filter(jurisdiction=territory).select_related("grid", "other_grid", "unit"))
    gaps = [i for i in issues if i.kind == "gap"]
    assert len(gaps) == 1 and gaps[0].area_m2 == pytest.approx(9_800, rel=0.001)  # C covers 10 m of the strip
    overlaps = [i for i in issues if i.kind == "overlap"]
    assert [(i.grid.code, i.other_grid.code) for i in overlaps] == [("C", "D")]
    assert overlaps[0].area_m2 == pytest.approx(4_800, rel=0.01)
    slivers = sorted((i.grid.code, i.unit.code) for i in issues if i.kind == "sliver")
    assert slivers == [("B", "U1"), ("D", "U1")]
    assert {i.kind for i in issues} == {"gap", "overlap", "sliver"}


def test_property_compound_is_coverage_not_a_sliver_and_not_partial(territory):
    # 4 % of grid A but the whole compound: coverage. The property layer does not tile, so no "partial".
    assert not MergeIssue.objects.filter(kind="partial").exists()
    assert GridCoverage.objects.get(unit__code="Y1").area_m2 == pytest.approx(10_000, rel=0.01)


def test_report_and_run_stats(territory):
    report = merge_report(jurisdiction=territory)
    assert report["stale"] is False
    assert [g["grid"] for g in report["grids"]] == ["A", "B", "C", "D"]
    assert report["grids"][0]["layers"]["police"][0] == {"code": "P1", "name": "名P1", "share": 0.6}
    run = MergeRun.objects.filter(jurisdiction=territory).first()
    assert run.stats["gaps"] == 1 and run.stats["overlaps"] == 1 and run.stats["slivers"] == 2
