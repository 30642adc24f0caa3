from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krita_linerefiner.core.errors import CancelledError, LineRefinerError
from krita_linerefiner.core.flats import (
    MIN_NEIGHBOUR_DISTANCE2,
    FlatsParams,
    FlatsResult,
    RegionCounts,
    enclosed_regions,
    fill_flats,
    region_counts,
)

seeds = st.integers(0, 2**32 - 1)


def random_drawing(seed: int, height: int = 120, width: int = 160) -> np.ndarray:
    """Anti-aliased rectangles, ellipses and strokes of 1-5 px: closed and open shapes."""
    rng = np.random.default_rng(seed)
    ink = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(3, 10))):
        thickness = int(rng.integers(1, 6))
        (x0, y0), (x1, y1) = (tuple(int(v) for v in p) for p in rng.integers(0, (width, height),
                                                                            (2, 2)))
        kind = int(rng.integers(3))
        if kind == 0:
            cv2.rectangle(ink, (x0, y0), (x1, y1), 1.0, thickness, cv2.LINE_AA)
        elif kind == 1:
            axes = (int(rng.integers(4, 60)), int(rng.integers(4, 60)))
            cv2.ellipse(ink, (x0, y0), axes, float(rng.uniform(0, 180)), 0, 360, 1.0, thickness,
                        cv2.LINE_AA)
        else:
            cv2.line(ink, (x0, y0), (x1, y1), 1.0, thickness, cv2.LINE_AA)
    return ink


def fill_flats_as_is(ink: np.ndarray, params: FlatsParams,
                     previous: np.ndarray | None = None) -> FlatsResult:
    """Flats of the lines exactly as drawn (ink >= 0.5), as the test's own reference reads them."""
    return fill_flats(ink, params=params, normalised=True, previous=previous)


def paper_labels(line: np.ndarray) -> tuple[int, np.ndarray]:
    count, labels = cv2.connectedComponents((~line).view(np.uint8), connectivity=4)
    return count, labels


def border_labels(labels: np.ndarray) -> set[int]:
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return set(np.unique(edge).tolist()) - {0}


def packed(rgba: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgba).view(np.uint32)[..., 0]


def colour_of(rgba: np.ndarray, mask: np.ndarray) -> set[int]:
    return set(np.unique(packed(rgba)[mask]).tolist())


def boxes(cells: list[tuple[int, int, int, int]], shape: tuple[int, int] = (100, 140),
          thickness: int = 2) -> np.ndarray:
    ink = np.zeros(shape, np.float32)
    for x0, y0, x1, y1 in cells:
        cv2.rectangle(ink, (x0, y0), (x1, y1), 1.0, thickness)
    return ink


@settings(max_examples=40)
@given(seeds)
def test_every_enclosed_region_is_one_opaque_colour_of_its_own(seed: int) -> None:
    ink = random_drawing(seed)
    result = fill_flats_as_is(ink, params=FlatsParams(min_region=0))
    count, labels = paper_labels(ink >= 0.5)
    outside = border_labels(labels)
    seen: set[int] = set()
    for label in range(1, count):
        region = labels == label
        alpha = result.rgba[..., 3][region]
        if label in outside:
            assert alpha.max() == 0
            continue
        assert alpha.min() == 255
        colours = colour_of(result.rgba, region)
        assert len(colours) == 1
        assert not colours & seen  # no two regions share a colour
        seen |= colours
    assert result.regions == len(seen)


@settings(max_examples=40)
@given(seeds, st.booleans())
def test_colour_runs_under_the_lines_to_their_middle(seed: int, fill_border: bool) -> None:
    ink = random_drawing(seed)
    result = fill_flats_as_is(ink, params=FlatsParams(min_region=0, fill_border=fill_border))
    line = ink >= 0.5
    count, labels = paper_labels(line)
    outside = np.isin(labels, list(border_labels(labels)) if not fill_border else [])
    enclosed = ~line & ~outside
    if not enclosed.any():
        return

    def distance_to(mask: np.ndarray) -> np.ndarray:
        # city-block steps, as a flood fill walks
        return cv2.distanceTransform((~mask).view(np.uint8), cv2.DIST_L1, 3)

    to_enclosed, to_outside = distance_to(enclosed), distance_to(outside)
    opaque = result.rgba[..., 3] == 255
    assert opaque[enclosed].all()
    # Nearer to a coloured region than to the outside: coloured, so no paper or half-covered
    # pixel between a region and its line stays white; nearer to the outside: transparent.
    assert opaque[line & (to_enclosed < to_outside)].all()
    assert not opaque[line & (to_outside < to_enclosed)].any()
    assert set(np.unique(result.rgba[..., 3]).tolist()) <= {0, 255}


@settings(max_examples=40)
@given(seeds)
def test_each_colour_is_one_4_connected_piece_clearly_unlike_its_neighbours(seed: int) -> None:
    # One click of Krita's contiguous fill (threshold 0) then recolours a region under its lines.
    params = FlatsParams(min_region=0, fill_border=True)
    result = fill_flats_as_is(random_drawing(seed), params=params)
    colours = packed(result.rgba)
    for colour in np.unique(colours).tolist():
        pieces = cv2.connectedComponents((colours == colour).view(np.uint8), connectivity=4)[0]
        assert pieces - 1 == 1
    rgb = result.rgba[..., :3].astype(np.int32)
    for a, b, ca, cb in ((rgb[:, 1:], rgb[:, :-1], colours[:, 1:], colours[:, :-1]),
                         (rgb[1:], rgb[:-1], colours[1:], colours[:-1])):
        differ = ca != cb
        assert (((a[differ] - b[differ]) ** 2).sum(-1) >= MIN_NEIGHBOUR_DISTANCE2).all()


def test_the_border_region_is_transparent_unless_asked_to_fill_it() -> None:
    ink = boxes([(30, 20, 100, 70)])
    inside = np.zeros(ink.shape, bool)
    inside[22:69, 32:99] = True
    plain = fill_flats(ink)
    assert plain.regions == 1
    assert (plain.rgba[..., 3][inside] == 255).all()
    assert (plain.rgba[:10, :, 3] == 0).all() and (plain.rgba[:, -10:, 3] == 0).all()
    filled = fill_flats(ink, params=FlatsParams(fill_border=True))
    assert filled.regions == 2 and (filled.rgba[..., 3] == 255).all()
    assert colour_of(filled.rgba, inside) == colour_of(plain.rgba, inside)
    assert len(colour_of(filled.rgba, ~inside & (ink == 0))) == 1


def test_regions_split_by_the_border_get_their_own_colours_when_filled() -> None:
    ink = np.zeros((60, 90), np.float32)
    ink[:, 40:42] = 1.0  # a line from edge to edge
    result = fill_flats(ink, params=FlatsParams(fill_border=True))
    assert result.regions == 2
    left, right = np.zeros(ink.shape, bool), np.zeros(ink.shape, bool)
    left[:, :40], right[:, 42:] = True, True
    assert len(colour_of(result.rgba, left)) == len(colour_of(result.rgba, right)) == 1
    assert colour_of(result.rgba, left) != colour_of(result.rgba, right)


def tiny_box_between_two_cells() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A large left cell, a smaller right cell, and a 7x3 px box on the line between them."""
    ink = boxes([(10, 10, 130, 90)], thickness=1)
    ink[10:91, 80] = 1.0
    ink[48:53, 76:85] = 0.0
    cv2.rectangle(ink, (76, 48), (84, 52), 1.0, 1)
    left, right, tiny = (np.zeros(ink.shape, bool) for _ in range(3))
    left[11:90, 11:75] = True
    right[11:90, 86:130] = True
    tiny[49:52, 77:84] = True
    return ink, left, right, tiny


@pytest.mark.parametrize(("min_region", "merged"), [(0, False), (21, False), (22, True),
                                                    (24, True)])
def test_tiny_regions_merge_into_their_largest_neighbour(min_region: int, merged: bool) -> None:
    ink, left, right, tiny = tiny_box_between_two_cells()
    assert paper_labels(ink >= 0.5)[1][tiny].size == int(tiny.sum()) == 21
    result = fill_flats(ink, params=FlatsParams(min_region=min_region))
    (tiny_colour,) = colour_of(result.rgba, tiny)
    (left_colour,) = colour_of(result.rgba, left)
    assert (tiny_colour == left_colour) == merged
    assert colour_of(result.rgba, right) != {left_colour}
    assert result.regions == (2 if merged else 3)


def test_a_patch_of_hatching_merges_into_the_region_around_it() -> None:
    ink = boxes([(10, 10, 130, 90)], thickness=1)
    ink[30:60:3, 30:60] = 1.0  # a cross-hatched patch: 2x2 px cells of paper
    ink[30:60, 30:60:3] = 1.0
    result = fill_flats(ink)
    assert result.regions == 1
    assert len(colour_of(result.rgba, result.rgba[..., 3] == 255)) == 1


@settings(max_examples=40)
@given(seeds, seeds, st.sampled_from([0, 24]))
def test_a_small_edit_keeps_the_colours_of_unchanged_regions(seed: int, edit_seed: int,
                                                             min_region: int) -> None:
    before = random_drawing(seed)
    after = before.copy()
    rng = np.random.default_rng(edit_seed)
    x, y = int(rng.integers(0, 160)), int(rng.integers(0, 120))
    if rng.integers(2):
        cv2.circle(after, (x, y), int(rng.integers(3, 15)), 1.0, 2, cv2.LINE_AA)
    else:
        end = (x + int(rng.integers(-30, 31)), y + int(rng.integers(-30, 31)))
        cv2.line(after, (x, y), end, 1.0, 2, cv2.LINE_AA)
    params = FlatsParams(min_region=min_region)
    old = fill_flats_as_is(before, params=params)
    new = fill_flats_as_is(after, params=params, previous=old.rgba)
    _, old_labels = paper_labels(before >= 0.5)
    new_count, new_labels = paper_labels(after >= 0.5)
    for label in range(1, new_count):
        region = new_labels == label
        # Ink was only added, so each new region lies inside one old region.
        old_label = old_labels[region][0]
        if region.sum() < min_region or not np.array_equal(old_labels == old_label, region):
            continue  # tiny (its colour is a neighbour's), or the edit changed its pixels
        assert colour_of(new.rgba, region) == colour_of(old.rgba, region)


def grid_cells() -> tuple[np.ndarray, list[np.ndarray]]:
    """Six boxed cells in a grid and a mask of each cell's middle."""
    cells = [(10 + 40 * i, 10 + 40 * j, 50 + 40 * i, 50 + 40 * j) for j in range(2)
             for i in range(3)]
    ink = boxes(cells, shape=(100, 140))
    middles = []
    for x0, y0, x1, y1 in cells:
        middle = np.zeros(ink.shape, bool)
        middle[y0 + 5 : y1 - 4, x0 + 5 : x1 - 4] = True
        middles.append(middle)
    return ink, middles


@pytest.mark.parametrize("with_previous", [False, True])
def test_a_split_cell_gets_two_colours_and_the_others_keep_theirs(with_previous: bool) -> None:
    before, middles = grid_cells()
    after = before.copy()
    after[10:51, 68:70] = 1.0  # splits the middle top cell, left part smaller
    old = fill_flats(before)
    new = fill_flats(after, previous=old.rgba if with_previous else None)
    assert (old.regions, new.regions) == (6, 7)
    for index, middle in enumerate(middles):
        if index != 1:
            assert colour_of(new.rgba, middle) == colour_of(old.rgba, middle)
    left, right = middles[1].copy(), middles[1].copy()
    left[:, 68:], right[:, :70] = False, False
    (left_colour,), (right_colour,) = colour_of(new.rgba, left), colour_of(new.rgba, right)
    assert left_colour != right_colour
    if with_previous:  # the larger part keeps the cell's colour
        assert {right_colour} == colour_of(old.rgba, middles[1])


def test_colours_a_user_gave_regions_survive_a_rerun() -> None:
    ink, middles = grid_cells()
    old = fill_flats(ink)
    recoloured = old.rgba.copy()
    skin = np.array([250, 220, 200, 255], np.uint8)
    for index in (0, 2, 4):  # three cells, two of them neighbours, one colour
        (colour,) = colour_of(old.rgba, middles[index])
        recoloured[packed(old.rgba) == colour] = skin
    edited = ink.copy()
    cv2.circle(edited, (110, 75), 6, 1.0, 1)  # a new region in the last cell
    new = fill_flats(edited, previous=recoloured)
    assert new.regions == 7
    for index in (0, 2, 4):
        assert colour_of(new.rgba, middles[index]) == {int(skin.view(np.uint32)[0])}
    untouched = middles[1] | middles[3]
    np.testing.assert_array_equal(new.rgba[untouched], old.rgba[untouched])
    circle = np.zeros(ink.shape, bool)
    circle[72:79, 107:114] = True
    assert len(colour_of(new.rgba, circle) | colour_of(new.rgba, middles[5] & ~circle)) == 2


def test_earlier_flats_of_another_size_are_refused() -> None:
    with pytest.raises(LineRefinerError, match="8-bit RGBA of the same size"):
        fill_flats(np.zeros((10, 10), np.float32), previous=np.zeros((10, 10, 3), np.uint8))


def test_colours_follow_the_document_not_the_layer_bounds() -> None:
    # A paper margin, so padding more changes no region's pixels, only their coordinates.
    ink = np.pad(random_drawing(7), 2)
    padded = np.pad(ink, ((5, 9), (12, 3)))
    plain = fill_flats(ink)
    shifted = fill_flats(padded, origin=(-12, -5))
    np.testing.assert_array_equal(shifted.rgba[5:-9, 12:-3], plain.rgba)


def test_closures_close_a_region() -> None:
    ink = boxes([(30, 20, 100, 70)])
    ink[19:23, 60:66] = 0.0  # a 6 px gap in the top line
    gaps = np.zeros_like(ink)
    gaps[19:23, 60:66] = 1.0
    inside = np.zeros(ink.shape, bool)
    inside[25:65, 35:95] = True
    assert fill_flats(ink).regions == 0  # it leaks to the outside
    closed = fill_flats(ink, gaps)
    assert closed.regions == 1 and (closed.rgba[..., 3][inside] == 255).all()
    # the closure is trapped like a line: its inner half is coloured
    assert (closed.rgba[21:23, 60:66, 3] == 255).all() and (closed.rgba[19, 60:66, 3] == 0).all()


def test_a_solid_fill_wider_than_255_px_is_split_down_its_middle() -> None:
    # Two strips of paper either side of a 616 px wide black fill: most of the fill is more
    # than 255 px from paper, beyond the 8-bit distances the trapping starts from.
    ink = np.ones((40, 620), np.float32)
    ink[:, :2] = ink[:, -2:] = 0.0
    result = fill_flats_as_is(ink, FlatsParams(min_region=0, fill_border=True))
    colours = packed(result.rgba)
    assert (result.rgba[..., 3] == 255).all() and result.regions == 2
    assert (colours[:, :309] == colours[0, 0]).all() and (colours[:, 311:] == colours[0, -1]).all()
    assert colours[0, 0] != colours[0, -1]


def test_faint_ink_in_normalised_lines_is_paper_and_gets_coloured() -> None:
    ink = boxes([(30, 20, 100, 70)])
    ink[40:45, 40:90] = 0.3  # a faint stroke inside: below the line level, no line of its own
    result = fill_flats(ink, normalised=True)
    assert result.regions == 1 and (result.rgba[40:45, 40:90, 3] == 255).all()


def test_pencil_lines_are_read_as_close_gaps_reads_them() -> None:
    pencil = boxes([(10, 10, 60, 60), (60, 10, 120, 60)]) * np.float32(0.3)
    assert fill_flats(pencil, normalised=True).regions == 0  # as they are: all paper, outside
    assert fill_flats(pencil).regions == 2
    # A darkness setting above the lines' own reads them as too faint to be lines.
    assert fill_flats(pencil, params=FlatsParams(line_darkness=1.0)).regions == 0


@pytest.mark.parametrize(("ink_value", "fill_border", "regions"), [
    (1.0, False, 0), (1.0, True, 0), (0.0, False, 0), (0.0, True, 1)])
def test_blank_and_solid_pages(ink_value: float, fill_border: bool, regions: int) -> None:
    result = fill_flats(np.full((20, 30), ink_value, np.float32), normalised=True,
                        params=FlatsParams(fill_border=fill_border))
    assert result.rgba.shape == (20, 30, 4) and result.rgba.dtype == np.uint8
    assert result.regions == regions
    assert (result.rgba[..., 3] == (255 if regions else 0)).all()


@pytest.mark.parametrize(("field", "value", "words"), [
    ("min_region", -1, "0-100000 px"), ("min_region", 100_001, "0-100000 px"),
    ("line_darkness", 0.01, "between 0.02 and 1"), ("line_darkness", 1.5, "between 0.02 and 1"),
])
def test_bad_params_say_what_is_allowed(field: str, value: Any, words: str) -> None:
    with pytest.raises(LineRefinerError, match=words):
        FlatsParams(**{field: value})


def test_closures_of_another_size_are_refused() -> None:
    with pytest.raises(LineRefinerError, match="differ in size"):
        fill_flats(np.zeros((10, 10), np.float32), np.zeros((10, 11), np.float32))


def test_progress_rises_to_one_and_cancel_stops() -> None:
    ink = boxes([(30, 20, 100, 70)])
    seen: list[float] = []
    fill_flats(ink, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(CancelledError):
        fill_flats(ink, cancel=cancel)


# -- region counts (the docker's "Regions: N before, M after closing") ------------------------


@settings(max_examples=40)
@given(seeds, st.sampled_from([0, 24]), st.booleans())
def test_enclosed_regions_counts_what_fill_flats_colours(seed: int, min_region: int,
                                                         fill_border: bool) -> None:
    ink = random_drawing(seed)
    params = FlatsParams(min_region=min_region, fill_border=fill_border)
    # Tiny regions whose only neighbours are tiny are where the cheap count may differ; the
    # random drawings have none with min_region 0, and the count must match exactly there.
    expected = fill_flats_as_is(ink, params).regions
    got = enclosed_regions(ink >= 0.5, min_region, fill_border)
    if min_region == 0:
        assert got == expected
    else:
        assert got <= expected


def test_counts_before_and_after_closing() -> None:
    ink = boxes([(10, 10, 60, 60), (80, 10, 130, 60)])
    ink[9:12, 30:36] = 0.0  # a 6 px gap in the left box's top line
    gaps = np.zeros_like(ink)
    gaps[9:12, 30:36] = 1.0
    counts = region_counts(ink >= 0.5, gaps)
    assert counts == RegionCounts(before=1, after=2)
    assert counts.text() == "Regions: 1 before, 2 after closing"
    assert fill_flats(ink, gaps).regions == counts.after
    # A closure below LINE_LEVEL coverage is not a line to a fill.
    assert region_counts(ink >= 0.5, gaps * 0.4).after == 1
    assert region_counts(ink >= 0.5, None) == RegionCounts(1, 1)


@pytest.mark.parametrize(("min_region", "expected"), [(0, 3), (21, 3), (22, 2)])
def test_regions_under_the_smallest_size_are_not_counted(min_region: int, expected: int) -> None:
    ink, *_ = tiny_box_between_two_cells()  # two cells and a 21 px box on the line between
    assert enclosed_regions(ink >= 0.5, min_region) == expected
    assert fill_flats(ink, params=FlatsParams(min_region=min_region)).regions == expected


def test_the_outside_counts_only_when_the_border_is_filled() -> None:
    ink = boxes([(30, 20, 100, 70)])
    assert enclosed_regions(ink >= 0.5) == 1
    assert enclosed_regions(ink >= 0.5, fill_border=True) == 2
    assert enclosed_regions(np.zeros((20, 20), bool)) == 0
    assert enclosed_regions(np.ones((20, 20), bool)) == 0
