from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.baselines import (
    baseline_methods,
    endpoint_linking,
    morphological_closing,
    skeleton_endpoints,
    thin,
)
from benchmarks.metrics import closed_binary, far_additions, gap_closure, new_pixels

SIZE = 96


def bar_with_gap(gap: int, thickness: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ink, target, gap labels): a horizontal bar with `gap` px cut out of its middle."""
    target = np.zeros((SIZE, SIZE), np.float32)
    top = 48 - thickness // 2
    target[top : top + thickness, 10:86] = 1.0
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[top : top + thickness, 48 - gap // 2 : 48 - gap // 2 + gap] = 1
    ink = np.where(labels > 0, 0.0, target).astype(np.float32)
    return ink, target, labels


def is_closed(ink: np.ndarray, added: np.ndarray, target: np.ndarray, labels: np.ndarray) -> bool:
    result = gap_closure(closed_binary(ink, added), target, labels, np.array([1.0], np.float32))
    assert len(result) == 1
    return result[0][1]


def circle(thickness: int = 2) -> np.ndarray:
    canvas = np.zeros((SIZE, SIZE), np.uint8)
    cv2.circle(canvas, (48, 48), 30, 255, thickness, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def test_closing_k5_closes_a_2px_gap_but_k3_not_a_6px_one() -> None:
    ink, target, labels = bar_with_gap(2)
    added = morphological_closing(ink, 5)
    assert is_closed(ink, added, target, labels)
    assert added.min() >= 0.0 and added.max() <= 1.0
    ink6, target6, labels6 = bar_with_gap(6)
    assert not is_closed(ink6, morphological_closing(ink6, 3), target6, labels6)


def test_thinning_gives_a_one_pixel_line_with_two_ends() -> None:
    bar = np.zeros((40, 60), bool)
    bar[15:22, 10:50] = True
    skeleton = thin(bar)
    assert skeleton.any()
    assert (skeleton & ~bar).sum() == 0
    # One pixel per column along the interior of the bar.
    assert (skeleton[:, 15:45].sum(axis=0) == 1).all()
    assert len(skeleton_endpoints(skeleton)) == 2


def test_thinning_keeps_a_ring_closed() -> None:
    ring = circle(thickness=4) >= 0.5
    skeleton = thin(ring)
    assert len(skeleton_endpoints(skeleton)) == 0
    n, _ = cv2.connectedComponents((~skeleton).astype(np.uint8), connectivity=4)
    assert n - 1 == 2  # inside and outside stay apart


def test_endpoint_linking_r8_closes_a_6px_gap_and_r4_does_not() -> None:
    ink, target, labels = bar_with_gap(6)
    added = endpoint_linking(ink, 8)
    assert is_closed(ink, added, target, labels)
    # The bridge stays on the line.
    assert far_additions(new_pixels(ink, added), target) == 0
    assert not is_closed(ink, endpoint_linking(ink, 4), target, labels)


@pytest.mark.parametrize("radius", [4, 16])
def test_endpoint_linking_adds_nothing_to_an_intact_circle(radius: int) -> None:
    assert not endpoint_linking(circle(), radius).any()


def test_endpoint_linking_leaves_a_lone_stroke_alone() -> None:
    ink = np.zeros((SIZE, SIZE), np.float32)
    ink[48:51, 20:70] = 1.0
    assert not endpoint_linking(ink, 16).any()


def test_every_baseline_returns_added_coverage_off_the_ink() -> None:
    ink, _, _ = bar_with_gap(4)
    methods = baseline_methods()
    # The settings issue 10 compares against are among them.
    assert {f"endpoint linking R{r}" for r in (6, 10, 14)} <= set(methods)
    assert {f"morph closing k{k}" for k in (3, 5, 7)} <= set(methods)
    for name, method in methods.items():
        added = method(ink)
        assert added.shape == ink.shape and added.dtype == np.float32, name
        assert not (added[ink >= 1.0] > 0).any(), name
