from __future__ import annotations

import cv2
import numpy as np
import pytest

from krita_linerefiner.core.errors import LineRefinerError
from krita_linerefiner.core.gaps import GapParams, close_gaps, select_gap_strokes
from krita_linerefiner.core.tiling import TileSpec


class ClosingModel:
    """Stands in for the network: proposes every pixel a morphological closing would add."""

    def __init__(self, kernel: int) -> None:
        self.kernel = np.ones((kernel, kernel), np.uint8)
        self.calls = 0

    def __call__(self, tile: np.ndarray) -> np.ndarray:
        self.calls += 1
        line = (tile >= 0.5).astype(np.uint8)
        closed = cv2.morphologyEx(
            line, cv2.MORPH_CLOSE, self.kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0
        )
        return (closed & ~line.astype(bool)).astype(np.float32)

    def tile_spec(self, size: int = 512) -> TileSpec:
        return TileSpec(size=size, overlap=32, multiple=1)


def square_with_gap(gap: int, size: int = 64) -> np.ndarray:
    ink = np.zeros((size, size), np.float32)
    cv2.rectangle(ink, (10, 10), (size - 11, size - 11), 1.0, 2)
    mid = size // 2
    ink[8:14, mid - gap // 2 : mid - gap // 2 + gap] = 0.0
    return ink


def paper_regions(binary_ink: np.ndarray) -> int:
    return cv2.connectedComponents((~binary_ink).astype(np.uint8), connectivity=4)[0] - 1


def test_small_gap_is_closed_and_ink_untouched() -> None:
    ink = square_with_gap(3)
    assert paper_regions(ink >= 0.5) == 1
    result = close_gaps(ink, GapParams(tile=64), session=ClosingModel(7))
    assert paper_regions(result.closed >= 0.5) == 2
    assert result.count == 1
    assert not np.any((result.gaps > 0) & (ink >= 0.5))
    np.testing.assert_array_equal(np.minimum(result.closed, ink), ink)


def test_max_gap_drops_longer_strokes() -> None:
    ink = square_with_gap(6)
    model = ClosingModel(9)
    assert close_gaps(ink, GapParams(max_gap=8, tile=64), session=model).count == 1
    dropped = close_gaps(ink, GapParams(max_gap=3, tile=64), session=model)
    assert dropped.count == 0
    assert not dropped.gaps.any()


def test_empty_layer_skips_model() -> None:
    model = ClosingModel(5)
    result = close_gaps(np.zeros((40, 30), np.float32), session=model)
    assert model.calls == 0
    assert result.count == 0 and result.gaps.shape == (40, 30)


def test_stroke_touching_no_line_is_dropped() -> None:
    ink = np.zeros((40, 40), np.float32)
    ink[5:7, 5:30] = 1.0
    probability = np.zeros_like(ink)
    probability[25:28, 20:24] = 0.9  # floating blob far from the line
    probability[7:9, 10:12] = 0.9  # touches the line
    result = select_gap_strokes(ink, probability, GapParams())
    assert result.count == 1
    assert result.gaps[25:28, 20:24].sum() == 0
    assert result.gaps[7:9, 10:12].all()


@pytest.mark.parametrize(("sensitivity", "kept"), [(0.1, 0), (0.5, 1), (0.9, 1)])
def test_sensitivity_sets_the_threshold(sensitivity: float, kept: int) -> None:
    ink = square_with_gap(4)
    probability = np.zeros_like(ink)
    probability[10:12, 29:35] = 0.6
    result = select_gap_strokes(ink, probability, GapParams(sensitivity=sensitivity))
    assert result.count == kept


def test_seal_only_keeps_only_strokes_that_separate_regions() -> None:
    ink = square_with_gap(4)
    probability = np.zeros_like(ink)
    probability[10:12, 29:35] = 0.9  # closes the gap in the top edge
    probability[20:22, 12:16] = 0.9  # a spur inside the square: touches a line, seals nothing
    everything = select_gap_strokes(ink, probability, GapParams())
    sealing = select_gap_strokes(ink, probability, GapParams(seal_only=True))
    assert everything.count == 2
    assert sealing.count == 1
    assert sealing.gaps[10:12, 30:34].all()
    assert not sealing.gaps[20:22, 12:16].any()


@pytest.mark.parametrize("bad", [{"sensitivity": 1.5}, {"max_gap": 0}, {"tile": 8}])
def test_bad_parameters_raise_user_errors(bad: dict[str, float]) -> None:
    with pytest.raises(LineRefinerError):
        GapParams(**bad)  # type: ignore[arg-type]


def test_non_2d_ink_is_rejected() -> None:
    with pytest.raises(LineRefinerError):
        close_gaps(np.zeros((4, 4, 3), np.float32), session=ClosingModel(3))
