"""Command-line import/export: the same validation and atomicity as the browser."""

import json

import pytest
from django.core.management import CommandError, call_command

from conftest import fc, metres
from wangge.grids.models import ImportBatch, LayerUnit


def test_import_refuses_a_bad_file_naming_the_feature(territory, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "X"}, "geometry": {"type": "Point", "coordinates": [121.44, 31.24]}}]}))
    with pytest.raises(CommandError) as info:
        call_command("import_geojson", str(path), "--kind", "layer", "--layer", "police")
    assert "feature 0 X: geometry type Point is not a Polygon" in str(info.value)
    assert LayerUnit.objects.filter(layer__code="police").count() == 2


def test_dry_run_then_import_then_export(territory, tmp_path, capsys):
    path = tmp_path / "market.geojson"
    path.write_text(fc({"M1": metres(0, 0, 1000, 600), "M2": metres(0, 600, 1000, 1000)}), encoding="utf-8")
    call_command("import_geojson", str(path), "--kind", "layer", "--layer", "market", "--layer-kind", "market", "--dry-run")
    assert "2 added" in capsys.readouterr().out
    assert not LayerUnit.objects.filter(layer__code="market").exists()
    assert ImportBatch.objects.order_by("-id").first().status == "discarded"
    call_command("import_geojson", str(path), "--kind", "layer", "--layer", "market")
    assert "merge recomputed" in capsys.readouterr().out
    out = tmp_path / "out.geojson"
    call_command("export_geojson", "--layer", "market", "-o", str(out))
    assert sorted(f["properties"]["code"] for f in json.loads(out.read_text())["features"]) == ["M1", "M2"]


def test_missing_file_is_a_command_error(territory, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_geojson", str(tmp_path / "nope.geojson"), "--kind", "grids")
