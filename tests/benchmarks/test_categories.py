from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.gaps import (
    CAT_RIVAL,
    category_verdict,
    fill_regions,
    format_category_summary,
    main,
    nothing,
    picture_panels,
    run_categories,
    write_pictures,
)
from training.gaps.realistic import make_category

SIZE = 96


def _summary(short: float, long_: float, false_add: float, stray: float, closure: float,
             free: float = float("nan")) -> dict[str, float | int]:
    return {"closure_1_8": short, "closure_9_32": long_, "false_addition_rate": false_add,
            "stray_px_per_mp": stray, "closure_all": closure, "added_px_per_mp_gap_free": free}


def test_category_checks_pass_and_fail_on_the_issue_targets() -> None:
    results = {
        "faint20": {"ours": _summary(0.96, 0.90, 0.01, 2.0, 0.93),
                    CAT_RIVAL: _summary(0.90, 0.70, 0.10, 40.0, 0.80)},
        "black": {"ours": _summary(0.99, 0.95, 0.01, 1.0, 0.97),
                  CAT_RIVAL: _summary(0.90, 0.70, 0.10, 40.0, 0.80)},
        "junction": {"ours": _summary(0.90, float("nan"), 0.03, 9.0, 0.90),
                     CAT_RIVAL: _summary(1.0, float("nan"), 0.20, 15.0, 1.0)},
        "gapfree": {"ours": _summary(*(float("nan"),) * 5, free=12.0)},
    }
    faint = {label: ok for label, ok, _ in category_verdict(results, "faint20", "ours")}
    assert faint == {
        "closure <= 8 px >= 95%": True,
        "closure 9-32 px >= 85%": True,
        "false additions <= 2%": True,
        "stray additions <= 5 px/MP": True,
        "closure within 3 points of the same drawings in black": False,  # 93 vs 97
        f"ahead of {CAT_RIVAL} on closure at a lower false-addition rate": True,
    }
    junction = {label: ok for label, ok, _ in category_verdict(results, "junction", "ours")}
    assert junction["closure <= 8 px >= 95%"] is False
    assert junction["closure 9-32 px >= 85%"] is None  # no such gaps: not measurable
    assert junction["false additions <= 2%"] is False
    assert junction["stray additions <= 5 px/MP"] is False
    assert junction[f"ahead of {CAT_RIVAL} on closure at a lower false-addition rate"] is False
    free = category_verdict(results, "gapfree", "ours")
    assert [(label, ok) for label, ok, _ in free] == [("<= 30 added px/MP gap-free", True)]
    results["gapfree"]["ours"]["added_px_per_mp_gap_free"] = 31.0
    assert category_verdict(results, "gapfree", "ours")[0][1] is False


def test_nothing_closes_nothing_and_the_truth_closes_everything() -> None:
    categories = ["faint20", "binary1px", "long"]
    data = {c: make_category(c, 2, seed=7, size=SIZE) for c in categories}

    def oracle(ink: np.ndarray) -> np.ndarray:
        # Finds the drawing it was given and draws back exactly the labelled pixels.
        for d in data.values():
            for i in range(len(d["ink"])):
                if np.array_equal(ink, d["ink"][i].astype(np.float32) / 255):
                    return (d["gap_labels"][i] > 0).astype(np.float32)
        raise AssertionError("unknown drawing")

    results = run_categories({"nothing": nothing, "oracle": oracle}, categories, 2, SIZE, 7,
                             log=lambda _: None)
    measured = 0
    for c in categories:
        assert results[c]["nothing"]["closure_all"] in (0.0,) or math.isnan(
            float(results[c]["nothing"]["closure_all"]))
        measured += int(results[c]["oracle"]["gaps_all"])
        if results[c]["oracle"]["gaps_all"]:
            assert results[c]["oracle"]["closure_all"] == 1.0, c
        assert results[c]["oracle"]["false_addition_rate"] == 0.0
        assert results[c]["oracle"]["stray_px_per_mp"] == 0.0, c
    assert measured >= 5
    # The faint lines count as lines: the oracle's few pixels close the faint gaps too.
    assert results["faint20"]["oracle"]["closure_all"] == 1.0
    table = format_category_summary(results)
    assert "closure <= 8 px %" in table and "stray additions px/MP" in table
    assert all(f"| {c} " in table for c in categories)


def test_gapfree_scores_what_a_method_adds_to_the_drawing_itself() -> None:
    def dot(ink: np.ndarray) -> np.ndarray:
        added = np.zeros_like(ink)
        added.flat[int(np.argmin(ink))] = 1.0  # one pixel on the paper
        return added

    results = run_categories({"dot": dot, "nothing": nothing}, ["gapfree"], 2, SIZE, 3,
                             log=lambda _: None)
    per_mp = float(results["gapfree"]["dot"]["added_px_per_mp_gap_free"])
    assert per_mp == pytest.approx(2 / (2 * SIZE * SIZE) * 1e6)
    assert results["gapfree"]["nothing"]["added_px_per_mp_gap_free"] == 0.0


def test_the_command_prints_tables_and_checks(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--categories", "binary1px,gapfree", "--per-category", "1", "--size", "96",
                 "--only", "R6"])
    out = capsys.readouterr().out
    assert code == 0
    assert "## binary1px" in out and "## gapfree" in out and "## summary" in out
    assert "endpoint linking R6" in out
    assert main(["--categories", "watercolour"]) == 2


def test_fill_regions_colour_each_paper_region_and_keep_lines_black() -> None:
    closed = np.zeros((40, 40), bool)
    closed[:, 20] = True
    out = fill_regions(closed)
    assert (out[closed] == 0).all()
    left, right = out[10, 5], out[10, 30]
    assert (out[:, :20] == left).all() and (out[:, 21:] == right).all()
    assert not np.array_equal(left, right)


def test_pictures_show_input_red_additions_and_fills(tmp_path: Path) -> None:
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    drawing = np.full((50, 60, 3), 255, np.uint8)
    drawing[10:40, 10] = drawing[10:40, 40] = 0
    cv2.imwrite(str(src / "box.png"), drawing)
    (src / "notes.txt").write_text("not a drawing")

    def bar(ink: np.ndarray) -> np.ndarray:
        added = np.zeros_like(ink)
        added[10, 11:40] = 1.0
        return added

    assert write_pictures(src, dst, "bar", bar) == 0
    sheet = cv2.imread(str(dst / "box.png"))
    assert sheet is not None
    assert sheet.shape == (50, 3 * 60 + 2 * 4, 3)
    result = sheet[:, 64:124]
    assert tuple(result[10, 20]) == (0, 0, 230)  # BGR red where added
    assert tuple(result[20, 20]) == (255, 255, 255)
    assert sorted(p.name for p in dst.iterdir()) == ["box.png"]
    panels = picture_panels(drawing[..., ::-1], np.zeros((50, 60), np.float32), bar(
        np.zeros((50, 60), np.float32)))
    assert len(panels) == 3


def test_pictures_refuse_a_folder_without_drawings(tmp_path: Path) -> None:
    assert write_pictures(tmp_path, tmp_path / "out", "x", nothing) == 2
