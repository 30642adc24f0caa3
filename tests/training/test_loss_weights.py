from __future__ import annotations

import numpy as np

from training.gaps.weights import gap_balance_weight, short_gap_weight


def test_gap_balance_gives_each_gap_about_the_same_total_weight() -> None:
    labels = np.zeros((2, 16, 16), np.uint8)
    target = np.zeros((2, 16, 16), np.uint8)
    labels[0, 1, 1:4] = 1  # a 3 px break in a 1 px line
    labels[0, 4:10, 4:10] = 2  # a 6x6 break in a thick line
    target[0, 1, 1:4] = 255
    target[0, 4:10, 4:10] = 255
    labels[1, 0, 0] = 1  # one pixel: weight is capped
    target[1, 0, 0] = 255
    w = gap_balance_weight(labels, target, 1.0, reference=12.0, cap=8.0)
    assert w.shape == labels.shape and w.dtype == np.float32
    np.testing.assert_allclose(w[0][labels[0] == 1], 4.0)
    np.testing.assert_allclose(w[0][labels[0] == 2], 12.0 / 36.0)
    np.testing.assert_allclose(w[0][labels[0] == 1].sum(), w[0][labels[0] == 2].sum(), rtol=1e-5)
    assert w[1, 0, 0] == 8.0
    assert not w[labels == 0].any()


def test_gap_balance_counts_each_crops_labels_apart_and_only_line_pixels() -> None:
    labels = np.zeros((2, 8, 8), np.uint8)
    target = np.zeros((2, 8, 8), np.uint8)
    labels[:, 2, 0:4] = 1
    target[0, 2, 0:4] = 255  # crop 0: 4 line pixels under label 1
    target[1, 2, 0:2] = 255  # crop 1: 2 line pixels; the faint rest does not count
    w = gap_balance_weight(labels, target, 2.0, reference=4.0)
    np.testing.assert_allclose(w[0, 2, :4], 2.0)
    np.testing.assert_allclose(w[1, 2, :4], 4.0)


def test_short_gap_weight_marks_only_gaps_up_to_the_limit() -> None:
    labels = np.zeros((1, 4, 4), np.uint8)
    labels[0, 0, 0] = 1
    labels[0, 1, 1] = 2
    lengths = np.array([[3.0, 9.0]], np.float32)
    w = short_gap_weight(labels, lengths, 5.0, 6.0)
    assert w[0, 0, 0] == 6.0 and w[0, 1, 1] == 0.0 and w.sum() == 6.0
