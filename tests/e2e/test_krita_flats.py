"""Fill Flats in real Krita 5 (headless, Xvfb), through the Filter menu (issue 13).

A drawing of three closed shapes, each with one gap, as the only layer of an RGB image. Fill
Flats must close the gaps, give every enclosed region one colour of its own on a "flats" layer
directly below the source (so the lines stay on top), with the colour running under the lines
(no paper between a region and its line); a rerun after a small edit keeps the colours of the
regions it did not touch; a rerun after the user recoloured a region keeps the user's colour
(and their painted layer, as "flats (edited)", hidden); the "filled gaps" colour setting is
used by Close Line Gaps.

One Krita launch runs scenarios/flats.py. Without krita or xvfb-run these tests fail when CI is
set, skip otherwise (as test_krita.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from krita_linerefiner.core.ink import ink_from_image
from tests.e2e import harness
from tests.e2e.drawings import regions
from tests.e2e.test_krita import check_run, models_env

SCENARIOS = Path(__file__).parent / "scenarios"
OUT = harness.OUT / "flats"
WIDTH, HEIGHT = 320, 180
GAP = 4  # px of line removed from each shape
# (x, y) inside each shape: box, circle, triangle (above the edit), triangle (below it)
SEEDS = {"box": (60, 80), "circle": (160, 80), "triangle": (268, 90)}
BELOW_EDIT = (268, 138)
EDIT = (228, 306, 119)  # x0, x1, y: a 2 px line across the triangle, splitting it in two
RECOLOUR_RGB = (10, 200, 30)
TRIANGLE = np.array([[220, 150], [270, 40], [310, 150]], np.int32)
CUTS = ((58, 26, GAP, 9), (111, 78, 9, GAP), (263, 146, GAP, 9))  # x, y, w, h: one per shape


def draw(gapped: bool, edited: bool = False) -> np.ndarray:
    """The drawing as ink (0 paper..1 ink): black 2 px anti-aliased outlines."""
    canvas = np.full((HEIGHT, WIDTH), 255, np.uint8)
    cv2.rectangle(canvas, (20, 30), (100, 130), 0, 2, cv2.LINE_AA)
    cv2.circle(canvas, (160, 80), 45, 0, 2, cv2.LINE_AA)
    cv2.polylines(canvas, [TRIANGLE], True, 0, 2, cv2.LINE_AA)
    if gapped:
        for x, y, w, h in CUTS:
            canvas[y : y + h, x : x + w] = 255
    if edited:
        canvas[EDIT[2] : EDIT[2] + 2, EDIT[0] : EDIT[1]] = 0
    return ink_from_image(cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR))


def region(ink: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    labels = regions(ink)
    return labels == labels[seed[1], seed[0]]


def near_cuts(margin: int = 3) -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), bool)
    for x, y, w, h in CUTS:
        mask[max(0, y - margin) : y + h + margin, max(0, x - margin) : x + w + margin] = True
    return mask


Session = harness.Session


@pytest.fixture(scope="module")
def krita(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root, out, profile = harness.prepare(tmp_path_factory, "krita_flats", OUT)
    env = models_env(root)
    np.save(root / "ink.npy", draw(gapped=True))
    spec = {"ink": str(root / "ink.npy"), "edit": list(EDIT),
            "recolour_at": list(SEEDS["box"]),
            "recolour_bgra": [RECOLOUR_RGB[2], RECOLOUR_RGB[1], RECOLOUR_RGB[0], 255]}
    (root / "input.json").write_text(json.dumps(spec))
    env["LR_E2E_INPUT"] = str(root / "input.json")
    run = harness.run_krita(profile, SCENARIOS / "flats.py", out, timeout=600, env=env)
    yield Session(run, out)


def colours(flats: np.ndarray, mask: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in c) for c in np.unique(flats[mask], axis=0)}


def test_fill_flats_ran_without_python_errors(krita: Session) -> None:
    check_run(krita.run)
    assert "Traceback" not in krita.run.log, krita.run.log[-3000:]
    for name in ("first", "second", "third"):
        outcome = krita.r[f"{name}_outcome"]
        assert outcome["task"] == "flats" and outcome["status"] == "done", outcome
        assert "flat region" in outcome["message"], outcome
    assert krita.r["first_outcome"]["gap_count"] >= 3, krita.r["first_outcome"]
    assert krita.r["first_source_unchanged"]
    # The drawing is on opaque white paper, which hides the flats: the message says what to do.
    assert "Multiply" in krita.r["first_outcome"]["message"]
    assert "Multiply" not in krita.r["second_outcome"]["message"]  # once it is set


@pytest.mark.parametrize("name", ["first", "second", "third"])
def test_flats_layer_is_directly_below_the_source(krita: Session, name: str) -> None:
    check_run(krita.run)
    order, at = krita.r[f"{name}_order"], krita.r[f"{name}_source_index"]
    assert at >= 1 and order[at - 1] == "flats", order
    assert order[at + 1] == "Line Refiner", order  # the closures, in the results group, above
    assert order.count("flats") == 1, order


def test_every_enclosed_region_gets_exactly_one_colour_of_its_own(krita: Session) -> None:
    check_run(krita.run)
    flats = krita.rgba("first_flats")
    intact = draw(gapped=False)
    found = []
    for name, seed in SEEDS.items():
        inside = region(intact, seed)
        assert (flats[inside][:, 3] == 255).all(), f"{name}: part of the region is not filled"
        got = colours(flats, inside)
        assert len(got) == 1, f"{name}: {len(got)} colours"
        found.append(got.pop())
    assert len(set(found)) == len(found), found
    outside = region(intact, (2, 2))
    assert (flats[outside][:, 3] == 0).all(), "the region touching the border is filled"


def test_no_paper_shows_between_a_region_and_its_line(krita: Session) -> None:
    check_run(krita.run)
    flats, merged = krita.rgba("first_flats"), krita.rgba("multiply_merged")
    # For a person to look at: out/flats/merged.png.
    cv2.imwrite(str(krita.out / "merged.png"), merged[..., [2, 1, 0]])
    intact = draw(gapped=False)
    for name, seed in SEEDS.items():
        inside = region(intact, seed)
        # The region and the edge of its line: every pixel there with any ink on it.
        edge = cv2.dilate(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        edge &= intact > 0.01
        covered = inside | edge
        # At the gaps the intact line is not in the drawing: there the closure (drawn above the
        # lines, in the results group) is the line, and the colour runs to its middle, which
        # test_every_enclosed_region_gets_exactly_one_colour_of_its_own covers from inside.
        seen = covered & ~near_cuts()
        assert (flats[seen][:, 3] == 255).all(), f"{name}: the colour stops short of its line"
        colour = np.array(flats[seed[1], seed[0], :3], np.int16)
        # Lines darken the flat colour, paper would lighten it: nothing there is lighter.
        lighter = (merged[seen][:, :3].astype(np.int16) > colour + 3).any(axis=1)
        assert not lighter.any(), f"{name}: {int(lighter.sum())} px lighter than the flat colour"


def test_rerun_after_a_small_edit_keeps_unchanged_regions_colours(krita: Session) -> None:
    check_run(krita.run)
    first, second = krita.rgba("first_flats"), krita.rgba("second_flats")
    intact = draw(gapped=False)
    for name in ("box", "circle"):
        inside = region(intact, SEEDS[name])
        assert colours(second, inside) == colours(first, inside), name
    # The edited shape is now two regions, each one colour, different from each other.
    edited = draw(gapped=False, edited=True)
    upper = colours(second, region(edited, SEEDS["triangle"]))
    lower = colours(second, region(edited, BELOW_EDIT))
    assert len(upper) == 1 and len(lower) == 1 and upper != lower, (upper, lower)
    # The plugin's own, untouched flats are replaced, not kept as an edited copy.
    assert "flats (edited)" not in krita.r["second_order"]


def test_rerun_keeps_the_users_colour_and_their_layer(krita: Session) -> None:
    check_run(krita.run)
    second, third = krita.rgba("second_flats"), krita.rgba("third_flats")
    intact = draw(gapped=False)
    box = region(intact, SEEDS["box"])
    assert colours(third, box) == {(*RECOLOUR_RGB, 255)}
    circle = region(intact, SEEDS["circle"])
    assert colours(third, circle) == colours(second, circle)
    assert "flats (edited)" in krita.r["third_order"]
    assert krita.r["third_visible"]["flats (edited)"] is False
    assert krita.r["third_visible"]["flats"] is True


def test_the_filled_gaps_colour_setting_is_used(krita: Session) -> None:
    check_run(krita.run)
    assert krita.r["gap_color_setting"] == "blue"
    assert krita.r["blue_outcome"]["status"] == "done", krita.r["blue_outcome"]
    gaps = krita.rgba("blue_gaps")
    painted = gaps[..., 3] > 0
    assert painted.sum() >= 3 * GAP, "no closures were written"
    assert (gaps[painted][:, :3] == (0, 0, 255)).all(), np.unique(gaps[painted][:, :3], axis=0)


def test_one_action_refines_closes_and_fills_each_region_with_one_colour(krita: Session) -> None:
    check_run(krita.run)
    outcome = krita.r["one_pass_outcome"]
    assert (outcome["task"], outcome["status"]) == ("refine_flats", "done"), outcome
    # (the test models' refine may close the drawing's gaps itself: no gap count asserted)
    assert f"{len(SEEDS)} flat regions filled" in outcome["message"], outcome
    order, at = krita.r["one_pass_order"], krita.r["one_pass_source_index"]
    assert at >= 1 and order[at - 1] == "flats" and order[at + 1] == "Line Refiner", order
    assert {"refined lines", "filled gaps"} <= set(krita.r["one_pass_group"])
    flats = krita.rgba("one_pass_flats")
    intact = draw(gapped=False)
    found = []
    for name, seed in SEEDS.items():
        # The refined lines are a little thinner or thicker: a region's middle, not its edge.
        inside = cv2.erode(region(intact, seed).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
        got = colours(flats, inside)
        assert len(got) == 1 and next(iter(got))[3] == 255, f"{name}: {got}"
        found.append(got.pop())
    assert len(set(found)) == len(found), found
