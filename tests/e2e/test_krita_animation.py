"""Animated layers in real Krita 5 (headless, Xvfb), through the Filter menu (issue 13).

A paint layer with three keyframes, each a different drawing (a box, a circle, a triangle) with
one gap. With the Animation setting at "all keyframes" (the default), Close Line Gaps gives a
"filled gaps" layer with keyframes at the same three times, each closing that frame's gap only;
Cancel during the second frame leaves the layers, keyframes and current time as they were; Fill
Flats gives a "flats" layer with the same keyframes; "current frame only" gives one plain layer.

One Krita launch runs scenarios/animation.py. Without krita or xvfb-run these tests fail when CI
is set, skip otherwise (as test_krita.py).
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
OUT = harness.OUT / "animation"
WIDTH, HEIGHT = 320, 180
TIMES = (0, 5, 9)
SHOWN = 5  # the frame on screen when each run starts: the runs must leave it there
# A fourth keyframe (the first drawing again) after the playback range: not processed, so the
# results get an empty keyframe there (no result of another drawing shows over it).
OUTSIDE, PLAYBACK_END = 30, 20
GAP = 5
# One shape per keyframe: where a fill starts inside it, and its gap (x, y, w, h).
INSIDE = ((60, 80), (160, 80), (265, 110))
CUTS = ((58, 26, GAP, 9), (111, 78, 9, GAP), (263, 146, GAP, 9))
RECOLOUR_RGB = (10, 200, 30)
TRIANGLE = np.array([[220, 150], [270, 40], [310, 150]], np.int32)


def draw(frame: int, gapped: bool = True) -> np.ndarray:
    """Keyframe `frame`'s drawing as ink (0 paper..1 ink): one black 2 px outline."""
    canvas = np.full((HEIGHT, WIDTH), 255, np.uint8)
    if frame == 0:
        cv2.rectangle(canvas, (20, 30), (100, 130), 0, 2, cv2.LINE_AA)
    elif frame == 1:
        cv2.circle(canvas, (160, 80), 45, 0, 2, cv2.LINE_AA)
    else:
        cv2.polylines(canvas, [TRIANGLE], True, 0, 2, cv2.LINE_AA)
    if gapped:
        x, y, w, h = CUTS[frame]
        canvas[y : y + h, x : x + w] = 255
    return ink_from_image(cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR))


def near(cut: tuple[int, int, int, int], margin: int = 4) -> np.ndarray:
    x, y, w, h = cut
    mask = np.zeros((HEIGHT, WIDTH), bool)
    mask[max(0, y - margin) : y + h + margin, max(0, x - margin) : x + w + margin] = True
    return mask


Session = harness.Session


@pytest.fixture(scope="module")
def krita(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root, out, profile = harness.prepare(tmp_path_factory, "krita_animation", OUT)
    env = models_env(root)
    np.save(root / "inks.npy", np.stack([draw(i) for i in range(len(TIMES))]))
    spec = {"inks": str(root / "inks.npy"), "times": list(TIMES), "current_time": SHOWN,
            "outside_time": OUTSIDE, "playback_end": PLAYBACK_END,
            "recolour_time": TIMES[0], "recolour_at": list(INSIDE[0]),
            "recolour_bgra": [RECOLOUR_RGB[2], RECOLOUR_RGB[1], RECOLOUR_RGB[0], 255]}
    (root / "input.json").write_text(json.dumps(spec))
    env["LR_E2E_INPUT"] = str(root / "input.json")
    run = harness.run_krita(profile, SCENARIOS / "animation.py", out, timeout=600, env=env)
    yield Session(run, out)


def test_the_animated_layer_was_built_and_every_run_ended_without_python_errors(
        krita: Session) -> None:
    check_run(krita.run)
    assert "Traceback" not in krita.run.log, krita.run.log[-3000:]
    assert krita.r["source_keyframes"] == [*TIMES, OUTSIDE]
    assert krita.r["playback"] == [0, PLAYBACK_END]
    assert krita.r["setting"] == "all keyframes"
    assert len(set(krita.r["before"]["frames"].values())) == len(TIMES)  # three drawings
    for name in ("gaps", "rerun", "flats", "reflats", "refine", "current"):
        outcome = krita.r[f"{name}_outcome"]
        assert outcome["status"] == "done", outcome


def test_cancel_during_the_second_frame_changes_nothing(krita: Session) -> None:
    check_run(krita.run)
    assert krita.r["cancel_outcome"]["status"] == "cancelled", krita.r["cancel_outcome"]
    assert "frame 2 of 3" in krita.r["cancel_busy_text"][0], krita.r["cancel_busy_text"]
    assert krita.r["after_cancel"] == krita.r["before"]
    assert krita.r["before"]["time"] == SHOWN


def test_cancel_while_keyframes_are_written_changes_nothing_and_closes_the_scratch_document(
        krita: Session) -> None:
    check_run(krita.run)
    assert krita.r["write_cancel_outcome"]["status"] == "cancelled"
    during = krita.r["write_cancel_during"]
    assert during["scratch_time"] in TIMES[1:]  # cancelled mid-way through the keyframes
    assert during["time"] == SHOWN  # the user's canvas never left its frame
    assert during["documents"] == krita.r["documents_before"] + 1
    after = dict(krita.r["after_write_cancel"])
    assert after == krita.r["before"], (after, krita.r["before"])  # modified flag included
    assert krita.r["documents_after_write_cancel"] == krita.r["documents_before"]


def test_close_gaps_gives_filled_gaps_a_keyframe_at_each_source_keyframe(krita: Session) -> None:
    check_run(krita.run)
    assert krita.r["gaps_animated"] is True
    assert krita.r["gaps_keyframes"] == [*TIMES, OUTSIDE]
    assert krita.r["gaps_blending"] == "normal"  # not the source's multiply
    assert (krita.rgba(f"gaps_{OUTSIDE}")[..., 3] == 0).all()
    message = krita.r["gaps_outcome"]["message"]
    assert "3 keyframes (1 outside the playback range left empty)" in message, message
    assert krita.r["gaps_outcome"]["gap_count"] >= len(TIMES)
    # The source is only read, and the document is back on the frame it showed.
    assert krita.r["gaps_source_frames"] == krita.r["before"]["frames"]
    assert krita.r["gaps_time"] == SHOWN
    assert krita.r["documents_after_gaps"] == krita.r["documents_before"]


def test_each_keyframe_closes_its_own_drawings_gap_only(krita: Session) -> None:
    check_run(krita.run)
    frames = [krita.rgba(f"gaps_{t}") for t in TIMES]
    for index, frame in enumerate(frames):
        painted = frame[..., 3] > 0
        assert painted[near(CUTS[index])].sum() >= GAP, f"frame {TIMES[index]}: gap not closed"
        others = np.zeros_like(painted)
        for other, cut in enumerate(CUTS):
            if other != index:
                others |= near(cut, margin=12)
        assert not painted[others].any(), f"frame {TIMES[index]} closes another frame's gap"
        assert (frame[painted][:, :3] == (255, 0, 0)).all()
    assert len({f.tobytes() for f in frames}) == len(TIMES)
    # What shows now (frame 5) is the second keyframe's result.
    assert np.array_equal(krita.rgba("gaps_now"), frames[1])


def test_rerun_replaces_untouched_animated_results_and_undo_takes_them_away(
        krita: Session) -> None:
    check_run(krita.run)
    names = json.dumps(krita.r["rerun_tree"])
    assert "(edited)" not in names, krita.r["rerun_tree"]
    assert names.count("Line Refiner") == 1
    # One Undo removes the rerun's group (the old one was removed with it, in the step before).
    assert krita.r["undo1_tree"] == krita.r["before"]["tree"]
    assert krita.r["undo1_time"] == SHOWN


def test_fill_flats_gives_each_keyframe_its_own_regions(krita: Session) -> None:
    check_run(krita.run)
    order = krita.r["flats_order"]
    assert order.index("flats") == order.index("lines") - 1, order
    assert krita.r["flats_keyframes"] == [*TIMES, OUTSIDE]
    assert (krita.rgba(f"flats_{OUTSIDE}")[..., 3] == 0).all()
    assert krita.r["flats_time"] == SHOWN
    for index, t in enumerate(TIMES):
        flats = krita.rgba(f"flats_{t}")
        labels = regions(draw(index, gapped=False))
        x, y = INSIDE[index]
        inside = labels == labels[y, x]
        assert (flats[inside][:, 3] == 255).all(), f"frame {t}: the shape is not filled"
        assert len(np.unique(flats[inside], axis=0)) == 1, f"frame {t}: more than one colour"
        # Only this frame's region is coloured, running under its line (trapping) and no
        # further: the other frames' shapes are not drawn in this one.
        reach = cv2.dilate(inside.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        assert not (flats[~reach][:, 3] > 0).any(), f"frame {t}: colour outside its shape"
        for other, (ox, oy) in enumerate(INSIDE):
            if other != index:
                assert flats[oy, ox, 3] == 0, f"frame {t} fills frame {TIMES[other]}'s shape"


def test_fill_flats_again_keeps_each_keyframes_colours_and_the_users_recolouring(
        krita: Session) -> None:
    check_run(krita.run)
    order = krita.r["reflats_order"]
    # The user painted on the animated flats: kept, hidden, below the new ones.
    assert order.count("flats") == 1 and "flats (edited)" in order, order
    assert krita.r["reflats_keyframes"] == [*TIMES, OUTSIDE]
    for index, t in enumerate(TIMES):
        labels = regions(draw(index, gapped=False))
        x, y = INSIDE[index]
        inside = labels == labels[y, x]
        before = {tuple(c) for c in np.unique(krita.rgba(f"flats_{t}")[inside], axis=0)}
        after = {tuple(c) for c in np.unique(krita.rgba(f"reflats_{t}")[inside], axis=0)}
        if t == TIMES[0]:  # not the keyframe on screen: read back at its own time
            assert after == {(*RECOLOUR_RGB, 255)}, after
        else:
            assert after == before, (t, before, after)


def test_refine_with_smoothing_and_curve_animates_both_line_layers(krita: Session) -> None:
    check_run(krita.run)
    keyframes = krita.r["refine_keyframes"]
    assert sorted(keyframes) == ["smoothed lines", "unsmoothed lines"]
    for name, times in keyframes.items():
        assert times == [*TIMES, OUTSIDE], name
        frames = krita.r["refine_frames"][name]
        assert len({frames[str(t)] for t in TIMES}) == len(TIMES), name  # three drawings
    group = next(n for n in krita.r["refine_tree"] if n[0] == "Line Refiner")
    lines = next(n for n in group[2] if n[0] == "refined lines")
    for layer in lines[2]:
        assert [m[0] for m in layer[2]] == ["line weight"], layer


def test_current_frame_only_gives_one_plain_layer_from_the_frame_on_screen(
        krita: Session) -> None:
    check_run(krita.run)
    assert krita.r["current_animated"] is False
    # The animated results it replaces were untouched: recognised as such, none kept aside.
    assert "painted on" not in krita.r["current_outcome"]["message"]
    painted = krita.rgba("current_gaps")[..., 3] > 0
    assert painted[near(CUTS[TIMES.index(SHOWN)])].sum() >= GAP
    for index, cut in enumerate(CUTS):
        if TIMES[index] != SHOWN:
            assert not painted[near(cut, margin=12)].any()


def test_moving_max_gap_after_an_animated_run_offers_no_preview_and_keeps_every_keyframe(
        krita: Session) -> None:
    from krita_linerefiner.plugin.live import ANIMATED

    preview = krita.r["slider_preview"]
    assert preview is not None, "no preview record after the slider moved"
    assert (preview["status"], preview["message"]) == ("none", ANIMATED)
    assert krita.r["slider_gaps_frames"] == krita.r["slider_gaps_frames_before"]
    assert len(krita.r["slider_gaps_frames"]) == len(TIMES) + 1
