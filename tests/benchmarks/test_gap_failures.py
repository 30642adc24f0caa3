from __future__ import annotations

import cv2
import numpy as np

from benchmarks.gap_failures import real_data


def test_real_data_at_scale_2_is_the_drawings_twice_as_large_with_breaks_twice_as_long(
        tmp_path) -> None:
    drawing = np.full((120, 160, 3), 255, np.uint8)
    cv2.rectangle(drawing, (20, 20), (140, 100), (0, 0, 0), 2)
    cv2.line(drawing, (20, 60), (140, 60), (0, 0, 0), 2)
    cv2.imwrite(str(tmp_path / "box.png"), drawing)
    one = real_data(tmp_path, "black", 12, 0)
    two = real_data(tmp_path, "black", 12, 0, scale=2.0)
    assert one["ink"][0].shape == (120, 160)
    assert two["ink"][0].shape == (240, 320)
    assert two["rgb"][0].shape == (240, 320, 3)
    # Cuts of up to 24 px at its own size, up to 48 at twice it (benchmarks.real --scale).
    assert max(one["gap_lengths"][0]) <= 24
    assert max(two["gap_lengths"][0]) > 24
    assert max(two["gap_lengths"][0]) <= 48
