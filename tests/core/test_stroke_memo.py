"""joining_strokes' memo (GapAnalysis.verdicts): the same verdicts as working them out, and a
stroke seen before is not worked out again."""

from __future__ import annotations

import numpy as np
import pytest

from krita_linerefiner.core import gaps


def drawing() -> tuple[np.ndarray, np.ndarray]:
    """Two lines with a 5 px break bridged by one stroke, and a stroke beside one line only."""
    line = np.zeros((60, 80), bool)
    line[20:22, 5:35] = True
    line[20:22, 40:75] = True
    line[45:47, 10:70] = True
    strokes = np.zeros_like(line)
    strokes[20:22, 35:40] = True  # joins the two pieces of the top line
    strokes[42:44, 20:30] = True  # beside the bottom line: joins nothing
    return line, strokes


def test_memo_gives_the_verdicts_and_is_used_the_second_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    line, strokes = drawing()
    plain = gaps.joining_strokes(line, strokes)
    assert plain[20:22, 35:40].all() and not plain[42:44].any()
    memo: dict[tuple[int, int, int, int, bytes], bool] = {}
    first = gaps.joining_strokes(line, strokes, memo=memo)
    assert np.array_equal(first, plain) and sorted(memo.values()) == [False, True]

    def unused(*_args: object) -> bool:
        raise AssertionError("a remembered stroke was worked out again")

    monkeypatch.setattr(gaps, "joins_pieces", unused)
    assert np.array_equal(gaps.joining_strokes(line, strokes, memo=memo), plain)
    # a stroke that differs by one pixel is a new one
    changed = strokes.copy()
    changed[43, 30] = True
    with pytest.raises(AssertionError, match="worked out again"):
        gaps.joining_strokes(line, changed, memo=memo)


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    line, strokes = drawing()
    monkeypatch.setattr(gaps, "MEMO_LIMIT", 1)
    memo: dict[tuple[int, int, int, int, bytes], bool] = {}
    gaps.joining_strokes(line, strokes, memo=memo)
    assert len(memo) == 1
