"""A thin line binarised breaks into fragments a pixel apart (candidates.find_stair_breaks):
the analysis reads them as one line and the closures hold the pixels that join them."""

from __future__ import annotations

import cv2
import numpy as np

from krita_linerefiner.core.candidates import LineMap, find_stair_breaks
from krita_linerefiner.core.gaps import GapParams, close_gaps
from krita_linerefiner.core.preview import preview


class NoBridges:
    """A verifier that closes nothing: what is drawn comes from the line map alone."""

    def __call__(self, patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        return np.zeros(len(patches), np.float32)


def sloped_fragments(ink: np.ndarray, row: int, col: int, length: int) -> list[tuple[int, int]]:
    """Draw a 1-px line falling a px every 4 px from (row, col), `length` px long, as a
    threshold leaves a thin line: runs of 3 px, each a px of paper after the one before.
    Returns the pixels taken out (the stair of each run)."""
    removed = []
    for k in range(length + 1):
        y, x = row + k // 4, col + k
        if k % 4 == 0:
            removed.append((y, x))
        else:
            ink[y, x] = 1.0
    return removed


def box_with_a_fragmented_side() -> tuple[np.ndarray, int]:
    """A closed box (1 px, binary) whose top runs 40 px down a slope as fragments; the number of
    breaks in it."""
    ink = np.zeros((140, 200), np.float32)
    ink[20, 20:61] = 1.0  # top, before the slope
    removed = sloped_fragments(ink, 20, 60, 40)
    ink[30, 100:181] = 1.0  # top, after it
    ink[20:121, 20] = ink[30:121, 180] = 1.0  # sides
    ink[120, 20:181] = 1.0  # bottom
    # The first and last stairs lie on the solid top: only those between runs break the line.
    return ink, sum(1 for y, x in removed if ink[y, x] == 0.0 and 60 < x < 100)


def regions(line: np.ndarray) -> int:
    return cv2.connectedComponents((~line).view(np.uint8), connectivity=4)[0] - 1


def test_the_stairs_of_a_binarised_thin_line_are_found_one_per_break() -> None:
    ink, breaks = box_with_a_fragmented_side()
    lines = LineMap.from_ink(ink)
    found = find_stair_breaks(lines)
    assert len(found) == breaks > 5
    assert (found[:, 0] == found[:, 1]).all()  # one px each
    assert not ink[found[..., 0], found[..., 1]].any()  # paper, each
    healed = lines.line.copy()
    healed[found[..., 0], found[..., 1]] = True
    assert regions(lines.line) == 1 and regions(healed) == 2


def test_closing_a_box_whose_side_is_fragments_seals_it_with_nothing_on_ink() -> None:
    ink, breaks = box_with_a_fragmented_side()
    result = close_gaps(ink, GapParams(), scorer=NoBridges())
    added = result.gaps >= 0.5
    assert regions((ink >= 0.5) | added) == 2
    assert not (added & (ink >= 0.5)).any()
    assert result.count >= breaks
    # The analysis reads the fragments as one line; the input's own line map stays for the
    # region counts before the closures.
    analysis = result.analysis
    assert analysis is not None and len(analysis.healed) == breaks
    np.testing.assert_array_equal(analysis.input_line(), ink >= 0.5)
    assert regions(analysis.lines.line) == 2
    # A preview of the same analysis draws the same.
    again = preview(analysis, GapParams())
    np.testing.assert_array_equal(again.gaps, result.gaps)
    assert again.regions == 2


def test_fragments_that_join_nothing_are_not_drawn() -> None:
    ink = np.zeros((60, 90), np.float32)
    sloped_fragments(ink, 20, 20, 40)  # a thin line on its own, both ends in open paper
    assert len(find_stair_breaks(LineMap.from_ink(ink))) > 5
    result = close_gaps(ink, GapParams(), scorer=NoBridges())
    assert not (result.gaps >= 0.5).any()


def test_lines_side_by_side_or_at_an_angle_are_not_stairs() -> None:
    ink = np.zeros((40, 60), np.float32)
    ink[10, 5:30] = ink[12, 5:30] = 1.0  # hatching: a px of paper between two strokes
    ink[25, 10:20] = 1.0  # a corner: a stroke, then one going down a px past its end
    ink[27:37, 21] = 1.0
    assert len(find_stair_breaks(LineMap.from_ink(ink))) == 0


def test_a_third_piece_beside_a_stair_leaves_it_to_the_verifier() -> None:
    ink = np.zeros((60, 90), np.float32)
    removed = sloped_fragments(ink, 20, 20, 40)
    found = {tuple(p) for p in find_stair_breaks(LineMap.from_ink(ink))[:, 0].tolist()}
    y, x = removed[5]
    assert any(abs(fy - y) <= 1 and abs(fx - x) <= 1 for fy, fx in found)
    ink[y + 3, x] = 1.0  # a speck of stipple under that stair
    again = {tuple(p) for p in find_stair_breaks(LineMap.from_ink(ink))[:, 0].tolist()}
    assert not any(abs(fy - y) <= 1 and abs(fx - x) <= 1 for fy, fx in again)
    assert len(again) >= len(found) - 2


def test_two_px_of_paper_between_fragments_that_continue_each_other_are_joined() -> None:
    ink = np.zeros((140, 200), np.float32)
    ink[20, 20:61] = 1.0
    for k in range(41):  # runs of 3 px falling a px every 5, two px of paper between them
        if k % 5 < 3:
            ink[20 + k // 5, 60 + k] = 1.0
    ink[28, 100:181] = 1.0
    ink[20:121, 20] = ink[28:121, 180] = 1.0
    ink[120, 20:181] = 1.0
    lines = LineMap.from_ink(ink)
    assert regions(lines.line) == 1
    found = find_stair_breaks(lines)
    healed = lines.line.copy()
    healed[found[..., 0], found[..., 1]] = True
    assert regions(healed) == 2
    assert not ink[found[..., 0], found[..., 1]].any()
    assert len(found) == 8  # one join a break, two px each
    assert (np.abs(found[:, 0] - found[:, 1]).max(axis=1) == 1).all()


def test_only_a_binarised_line_is_healed_not_a_grey_or_dotted_one() -> None:
    ink, breaks = box_with_a_fragmented_side()
    assert len(find_stair_breaks(LineMap.from_ink(ink))) == breaks
    grey = np.where(ink > 0, 0.8, 0.0).astype(np.float32)  # a grey pen: the verifier's call
    assert len(find_stair_breaks(LineMap.from_ink(grey))) == 0
    hazy = ink.copy()
    hazy[hazy == 0] = 0.1  # paper that is not blank
    assert len(find_stair_breaks(LineMap.from_ink(hazy))) == 0


def test_the_neighbourhood_test_reads_the_same_a_tile_at_a_time() -> None:
    from krita_linerefiner.core.candidates import _alone_cheaply

    ink, _ = box_with_a_fragmented_side()
    ink[60:64, 60:64] = 1.0  # a speck beside nothing
    lines = LineMap.from_ink(ink)
    rng = np.random.default_rng(0)
    at = np.stack([rng.integers(4, 136, 400), rng.integers(4, 196, 400)], axis=1)
    labels = lines.pieces[at[:, 0], at[:, 1]]
    lo, hi = np.minimum(labels, 1), np.maximum(labels, 1)
    whole = _alone_cheaply(lines.pieces, lines.line, at, lo, hi, tile=4096)
    tiled = _alone_cheaply(lines.pieces, lines.line, at, lo, hi, tile=16)
    np.testing.assert_array_equal(whole, tiled)
    assert whole.any() and not whole.all()
