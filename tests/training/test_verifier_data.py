from __future__ import annotations

import numpy as np

from krita_linerefiner.core.candidates import FEATURES, PATCH, LineMap, find_ends, propose
from training.gaps.verifier_data import Rows, cap_negatives, label_candidates, rows_for


def two_strokes_with_a_cut() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A horizontal line cut 3 px in the middle, and a parallel line 6 px below it."""
    target = np.zeros((48, 96), np.float32)
    target[20, 8:88] = 1.0
    target[26, 8:88] = 1.0
    labels = np.zeros(target.shape, np.uint8)
    labels[18:23, 46:49] = 1
    ink = target.copy()
    ink[labels > 0] = 0.0
    return ink, target, labels


def test_a_bridge_across_the_cut_is_positive_and_others_negative() -> None:
    ink, target, labels = two_strokes_with_a_cut()
    lines = LineMap.from_ink(ink)
    ends = find_ends(lines)
    cands = propose(lines, ends, 12)
    got = label_candidates(cands, target, labels, lines.line)
    across_cut = (np.abs(cands.start[:, 0] - 20) < 1) & (np.abs(cands.stop[:, 0] - 20) < 1) & (
        np.abs((cands.start[:, 1] + cands.stop[:, 1]) / 2 - 47) < 3)
    assert across_cut.any()
    np.testing.assert_array_equal(got, across_cut)
    # Down to the parallel line: not what the cut removed.
    assert len(cands) > int(across_cut.sum())


def test_no_cut_means_no_positive() -> None:
    ink, target, _ = two_strokes_with_a_cut()
    lines = LineMap.from_ink(ink)
    cands = propose(lines, find_ends(lines), 12)
    assert not label_candidates(cands, target, np.zeros(ink.shape, np.uint8), lines.line).any()


def test_rows_carry_patches_features_and_labels() -> None:
    ink, target, labels = two_strokes_with_a_cut()
    rows = rows_for(ink, target, labels, 12, drawing=7)
    n = len(rows.labels)
    assert n > 0 and rows.labels.sum() >= 1
    assert rows.patches.shape == (n, 3, PATCH, PATCH)
    assert rows.features.shape == (n, len(FEATURES))
    assert (rows.drawing == 7).all()


def test_a_curved_break_is_judged_along_its_curve_not_its_chord() -> None:
    from tests.core.test_candidates import circle_with_arc_cut

    ink = circle_with_arc_cut(70)
    target = circle_with_arc_cut(0)
    labels = ((target > 0) & (ink == 0)).astype(np.uint8)
    lines = LineMap.from_ink(ink)
    ends = find_ends(lines)
    cands = propose(lines, ends, 48)
    k = int(np.argmax(np.where(cands.end_b >= 0, cands.length, 0)))
    assert cands.length[k] > 30  # the end-to-end bridge across the cut arc
    # Its straight chord runs 5 px inside the circle: off the line the cut removed.
    assert not label_candidates(cands, target, labels, lines.line)[k]
    assert label_candidates(cands, target, labels, lines.line, ends)[k]
    # rows_for judges along the curve by default, and along the chord when told to.
    assert rows_for(ink, target, labels, 48).labels.sum() >= 1
    assert rows_for(ink, target, labels, 48, bridge="chord").labels.sum() == 0


def _rows(labels: list[int], drawing: list[int]) -> Rows:
    n = len(labels)
    return Rows(np.arange(n, dtype=np.float16).reshape(n, 1, 1, 1),
                np.arange(n, dtype=np.float32).reshape(n, 1), np.array(labels, np.uint8),
                np.zeros(n, np.float32), np.array(drawing, np.int32))


def test_cap_negatives_keeps_every_positive_and_at_most_the_cap_of_negatives_per_drawing() -> None:
    # Drawing 0: 2 positives, 10 negatives; drawing 1: 3 negatives (under the cap).
    labels = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0] + [0, 0, 0]
    drawing = [0] * 12 + [1] * 3
    got = cap_negatives(_rows(labels, drawing), 4, seed=1)
    assert int(got.labels.sum()) == 2
    assert int(((got.drawing == 0) & (got.labels == 0)).sum()) == 4
    assert int((got.drawing == 1).sum()) == 3
    # Rows stay whole: each kept row's arrays still belong together, in their order.
    np.testing.assert_array_equal(got.features[:, 0], got.patches[:, 0, 0, 0].astype(np.float32))
    assert (np.diff(got.features[:, 0]) > 0).all()
    # Seeded: the same choice every time, another seed another choice.
    again = cap_negatives(_rows(labels, drawing), 4, seed=1)
    np.testing.assert_array_equal(got.features, again.features)
    other = [cap_negatives(_rows(labels, drawing), 4, seed=s).features[:, 0].tolist()
             for s in range(2, 8)]
    assert any(o != got.features[:, 0].tolist() for o in other)
