from __future__ import annotations

import numpy as np

from benchmarks.speed import add_shading, drawing
from krita_linerefiner.core.candidates import LineMap, find_ends, tip_crowding
from krita_linerefiner.core.closures import SHADED_TIPS


def test_shading_adds_crowded_marks_and_keeps_the_lines() -> None:
    plain = drawing(480, 360)
    shaded = add_shading(plain)
    assert (shaded >= plain).all()  # marks are only added
    added = (shaded >= 0.5) & (plain < 0.5)
    assert added.mean() > 0.01
    np.testing.assert_array_equal(shaded, add_shading(plain))  # seeded

    def crowded_tips(ink: np.ndarray) -> int:
        return int((tip_crowding(find_ends(LineMap.from_ink(ink))) >= SHADED_TIPS).sum())

    # The point of the option: tips among many others, as hatching and stipple give.
    assert crowded_tips(shaded) > 10 * max(1, crowded_tips(plain))
