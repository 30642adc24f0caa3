from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.real import cut_gaps, erased, touching_pieces


def grid_drawing(size: int = 160) -> np.ndarray:
    """Lines 3 px wide: two horizontal and two vertical, crossing at four junctions."""
    lines = np.zeros((size, size), bool)
    for at in (50, 110):
        lines[at - 1 : at + 2, 10:150] = True
        lines[10:150, at - 1 : at + 2] = True
    return lines


def test_cuts_break_one_stroke_and_never_take_out_a_junction() -> None:
    lines = grid_drawing()
    labels, lengths = cut_gaps(lines, 12, np.random.default_rng(3))
    assert len(lengths) >= 4
    for k in range(1, len(lengths) + 1):
        band = labels == k
        assert band.any()  # no later cut took an earlier one's place
        ys, xs = np.nonzero(band)
        window = (slice(ys.min() - 6, ys.max() + 7), slice(xs.min() - 6, xs.max() + 7))
        # Exactly the two sides of one stroke touch each cut.
        assert touching_pieces(lines[window] & ~band[window], band[window]) == 2


def test_touching_pieces_counts_the_strokes_meeting_at_a_cut_junction() -> None:
    lines = np.zeros((100, 100), bool)
    lines[49:52, 10:90] = True
    lines[10:90, 49:52] = True
    band = np.zeros_like(lines)
    band[45:56, 45:56] = lines[45:56, 45:56]  # the whole crossing
    assert touching_pieces(lines & ~band, band) == 4
    band[:] = False
    band[49:52, 20:30] = True  # one arm broken
    assert touching_pieces(lines & ~band, band) == 2


def test_erasing_a_cut_takes_its_soft_edge_but_no_other_line() -> None:
    truth = np.zeros((40, 60), bool)
    truth[19:22, 5:55] = True  # a stroke along row 20
    truth[5:35, 40:43] = True  # and one crossing it at column 41
    labels = np.zeros((40, 60), np.uint8)
    labels[19:22, 20:28] = 1
    mask = erased(labels, truth)
    assert mask[19:22, 20:28].all()
    # The anti-aliased rows above and below the band, and one column either side of it.
    assert mask[18, 20:28].all() and mask[22, 20:28].all()
    assert not mask[19:22, 18].any() and not mask[19:22, 29].any()
    # Nothing of the line outside the cut is painted.
    assert not (mask & truth & (labels == 0)).any()
    far = cv2.dilate(labels, np.ones((5, 5), np.uint8)) == 0
    assert not mask[far].any()


def test_a_whole_method_name_picks_only_that_method() -> None:
    from benchmarks.real import methods

    if "ours + dense" not in methods(None, 24, 1):  # a model missing: nothing to tell apart
        pytest.skip("the shipped verifier or dense model did not load")
    assert set(methods(["ours"], 24, 1)) == {"ours"}
    assert set(methods(["ours + dense"], 24, 1)) == {"ours + dense"}
    # A part of a name still picks every method containing it.
    assert set(methods(["linking"], 24, 1)) == {"endpoint linking R6", "endpoint linking R14"}
