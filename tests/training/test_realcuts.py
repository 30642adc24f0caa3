from __future__ import annotations

import cv2
import numpy as np

from training.gaps import realcuts
from training.gaps.verifier_data import rows_for_set


def intact_crops(n: int = 3, size: int = 192) -> np.ndarray:
    """Ink uint8 (n, size, size): a circle and a long diagonal, 3 px anti-aliased."""
    out = np.zeros((n, size, size), np.uint8)
    for i in range(n):
        cv2.circle(out[i], (size // 2, size // 2), 50 + 6 * i, 255, 3, cv2.LINE_AA)
        cv2.line(out[i], (10, 180), (180, 30 + 10 * i), 255, 3, cv2.LINE_AA)
    return out


def test_cuts_remove_line_only_inside_their_bands_and_are_labelled() -> None:
    targets = intact_crops()
    data = realcuts.make_set(targets, seed=4, copies=2)
    assert len(data["ink"]) == 2 * len(targets)
    for ink, target, labels in zip(data["ink"], data["target"], data["gap_labels"], strict=True):
        cut = labels > 0
        assert cut.any()
        assert int(labels.max()) <= realcuts.CUTS
        # Every cut was line in the intact crop and reads as paper in the input.
        assert (target[cut] >= 128).all()
        assert np.percentile(ink[cut], 90) < 40  # JPEG's ringing leaves a few grey pixels
        # Away from the cuts (and their one-px soft edge) the line is still there.
        near = cv2.dilate(cut.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        solid = (target >= 200) & ~near
        assert np.median(ink[solid]) >= 40  # even the 20% pencil variant keeps its lines


def test_same_seed_same_set_and_cuts_give_positive_rows() -> None:
    targets = intact_crops(2)
    a = realcuts.make_set(targets, seed=9, copies=1)
    b = realcuts.make_set(targets, seed=9, copies=1)
    c = realcuts.make_set(targets, seed=10, copies=1)
    for key in ("ink", "gap_labels"):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["gap_labels"], c["gap_labels"])
    rows = rows_for_set(a, 48)
    assert 0 < rows.labels.sum() < len(rows.labels)  # bridges across cuts, and others


def test_no_cut_fits_an_empty_crop() -> None:
    data = realcuts.make_set(np.zeros((2, 64, 64), np.uint8), seed=0)
    assert data["ink"].shape == (0, 64, 64)


def test_a_set_made_in_chunks_is_the_whole_set() -> None:
    targets = intact_crops(4)
    whole = realcuts.make_set(targets, seed=3, copies=2)
    first = realcuts.make_set(targets[:2], seed=3, copies=2)
    rest = realcuts.make_set(targets[2:], seed=3, copies=2, first=2)
    for key in ("ink", "target", "gap_labels"):
        np.testing.assert_array_equal(whole[key], np.concatenate([first[key], rest[key]]))


def test_enlarged_crops_have_wider_lines_and_longer_cuts() -> None:
    targets = intact_crops(3)
    small = realcuts.make_set(targets, seed=5, copies=2)
    big = realcuts.make_set(targets, seed=5, copies=2, scale=2)
    assert big["ink"].shape[1:] == (384, 384)
    # The stroke is about twice as wide: twice the line area for the same drawing.
    ratio = (big["target"] >= 128).sum() / (small["target"] >= 128).sum()
    assert 3.0 < ratio < 5.0  # area grows with width and length: about 4 times
    lengths = []
    for labels in big["gap_labels"]:
        for k in range(1, int(labels.max()) + 1):
            ys, xs = np.nonzero(labels == k)
            if len(ys):
                lengths.append(max(np.ptp(ys), np.ptp(xs)) + 1)
    assert max(lengths) > realcuts.MAX_LENGTH  # breaks beyond the unscaled set's longest
    rows = rows_for_set(big, 64)
    assert 0 < rows.labels.sum() < len(rows.labels)
