import json
from io import StringIO

import cv2
import numpy as np
import pytest
from django.core.management import CommandError, call_command

from wangge.vision.evaluation import EvalDataError, flag_scores, load_counts


def make_folder(root, rows):
    """The crowd-dev layout: counts.csv (file,count) and images/…; the images are plain, empty scenes."""
    (root / "images").mkdir(parents=True)
    lines = ["file,count"]
    for i, (count, shade) in enumerate(rows):
        name = f"images/f{i:02d}.jpg"
        cv2.imwrite(str(root / name), np.full((240, 320, 3), shade, np.uint8))
        lines.append(f"{name},{count}")
    (root / "counts.csv").write_text("\n".join(lines) + "\n")
    return root


def test_eval_command_reports_errors_flags_and_time(tmp_path, real_model):
    folder = make_folder(tmp_path / "set", [(0, 100), (12, 150), (25, 200)])
    out = StringIO()
    call_command("vision_eval", str(folder), "--json", str(tmp_path / "r.json"), "--per-frame", stdout=out)
    text = out.getvalue()
    data = json.loads((tmp_path / "r.json").read_text())
    # empty scenes are counted 0: errors 0, 12 and 25
    assert [r["predicted"] for r in data["rows"]] == [0, 0, 0]
    assert data["frames"] == 3 and data["mae"] == pytest.approx(37 / 3) and data["bias"] == pytest.approx(-37 / 3)
    assert data["rmse"] == pytest.approx(((144 + 625) / 3) ** 0.5)
    ten, twenty = data["flags"]
    assert (ten["level"], ten["recall"], ten["precision"], ten["false_neg"]) == (10, 0.0, None, 2)
    assert (twenty["level"], twenty["false_neg"]) == (20, 1)
    assert data["ms_per_frame"] > 0 and data["frames_per_second"] > 0
    assert "MAE 12.33" in text and "images/f01.jpg" in text and "frames/s" in text


def test_flag_scores():
    f = flag_scores([5, 12, 30, 25], [11, 9, 31, 26], 10)
    assert (f.true_pos, f.false_pos, f.false_neg) == (2, 1, 1)
    assert f.precision == pytest.approx(2 / 3) and f.recall == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        (None, "no counts.csv"),
        ("name,n\nimages/a.jpg,3\n", "file,count"),
        ("file,count\nimages/a.jpg,three\n", "whole number"),
        ("file,count\nimages/missing.jpg,3\n", "not found"),
        ("file,count\n../outside.jpg,3\n", "bad file name"),
        ("file,count\n", "no rows"),
    ],
)
def test_bad_folders_are_clear_errors(tmp_path, csv_text, message):
    folder = make_folder(tmp_path / "set", [(1, 50)])
    (tmp_path / "outside.jpg").write_bytes((folder / "images/f00.jpg").read_bytes())
    if csv_text is None:
        (folder / "counts.csv").unlink()
    else:
        (folder / "counts.csv").write_text(csv_text)
    with pytest.raises(EvalDataError, match=message):
        load_counts(folder)


def test_command_errors(tmp_path, real_model):
    with pytest.raises(CommandError, match="not a folder"):
        call_command("vision_eval", str(tmp_path / "nope"))
    folder = make_folder(tmp_path / "set", [(1, 50)])
    with pytest.raises(CommandError, match="levels"):
        call_command("vision_eval", str(folder), "--levels", "ten")
    (folder / "images/f00.jpg").write_bytes(b"garbage")
    with pytest.raises(CommandError, match="not a readable image"):
        call_command("vision_eval", str(folder))
