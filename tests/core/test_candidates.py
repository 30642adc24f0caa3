from __future__ import annotations

import cv2
import numpy as np
import pytest

from krita_linerefiner.core.candidates import (
    FEATURES,
    KIND_END_END,
    PATCH,
    LineMap,
    find_ends,
    patches,
    propose,
    thin,
)


def line_with_break(angle: float, gap: int, size: int = 96) -> np.ndarray:
    """A 1-px aliased line through the centre with `gap` pixels removed at its middle."""
    img = np.zeros((size, size), np.uint8)
    a = np.deg2rad(angle)
    half = size // 2 - 10
    c = size // 2
    p0 = (int(round(c - half * np.cos(a))), int(round(c - half * np.sin(a))))
    p1 = (int(round(c + half * np.cos(a))), int(round(c + half * np.sin(a))))
    cv2.line(img, p0, p1, 255, 1, cv2.LINE_8)
    ys, xs = np.nonzero(img)
    order = np.argsort(xs * size + ys) if abs(np.cos(a)) > 0.5 else np.argsort(ys * size + xs)
    mid = len(order) // 2
    for k in order[mid - gap // 2 : mid - gap // 2 + gap]:
        img[ys[k], xs[k]] = 0
    return img.astype(np.float32) / 255.0


def analyse(ink: np.ndarray, max_gap: int = 24):
    lines = LineMap.from_ink(ink)
    ends = find_ends(lines)
    return lines, ends, propose(lines, ends, max_gap)


def test_thin_makes_wide_lines_one_pixel() -> None:
    img = np.zeros((40, 80), bool)
    img[18:23, 10:70] = True
    skeleton = thin(img)
    assert skeleton.sum() < 70
    assert (skeleton.sum(axis=0)[15:65] == 1).all()


@pytest.mark.parametrize(("width", "has_ends"), [(5, True), (13, True), (15, True), (21, False)])
def test_bold_strokes_cut_square_have_ends_and_solid_fills_none(width: int, has_ends: bool):
    # A bold outline (a marker, a colouring book's 13-px brim) cut square by 10 px: each side
    # has a stroke end at the cut, or nothing closes it. A band wider than 16 px is a solid
    # fill (hair, a shadow): its cut edges are no stroke ends.
    ink = np.zeros((80, 160), np.float32)
    cv2.line(ink, (10, 40), (150, 40), 1.0, width)
    ink[:, 75:85] = 0.0
    ends = find_ends(LineMap.from_ink(ink))
    at_cut = [tuple(t) for t in ends.tip if 60 < t[1] < 100]
    if has_ends:
        assert len(at_cut) == 2
        assert all(abs(y - 40) <= 1 for y, _ in at_cut)
    else:
        assert not at_cut


@pytest.mark.parametrize("angle", [0, 17, 30, 45, 63, 90, 135])
@pytest.mark.parametrize("gap", [1, 2, 3])
def test_break_in_a_binary_line_gets_an_end_to_end_candidate(angle: float, gap: int) -> None:
    _, ends, cands = analyse(line_with_break(angle, gap))
    assert len(ends) == 4
    pairs = cands.take(np.nonzero(cands.kind == KIND_END_END)[0])
    assert len(pairs) >= 1
    best = int(np.argmin(pairs.length))
    assert pairs.length[best] <= gap + 2.5
    # Both ends point at each other across the break (roughly: a 1-px break in a stair-stepped
    # line leaves tips up to a pixel off the line's axis).
    assert pairs.features[best, FEATURES.index("cos_a")] > 0.6
    assert pairs.features[best, FEATURES.index("cos_b")] > 0.6


def test_end_directions_point_out_of_the_stroke() -> None:
    ink = np.zeros((40, 80), np.float32)
    ink[20, 10:60] = 1.0
    _, ends, _ = analyse(ink)
    by_col = {int(p[1]): d for p, d in zip(ends.point, ends.direction, strict=True)}
    np.testing.assert_allclose(by_col[10], [0.0, -1.0], atol=1e-6)
    np.testing.assert_allclose(by_col[59], [0.0, 1.0], atol=1e-6)


def test_stroke_stopping_short_of_a_line_gets_a_candidate_to_that_line() -> None:
    ink = np.zeros((80, 80), np.float32)
    cv2.line(ink, (5, 20), (75, 20), 1.0, 2)  # the line met
    cv2.line(ink, (40, 70), (40, 24), 1.0, 2)  # stops 2-3 px short of it
    lines, ends, cands = analyse(ink)
    upper_tips = np.nonzero((np.abs(ends.tip[:, 1] - 40) < 2) & (ends.tip[:, 0] < 40))[0]
    assert len(upper_tips) == 1
    lower = int(upper_tips[0])
    mine = cands.take(np.nonzero(cands.end_a == lower)[0])
    assert len(mine)
    best = int(np.argmin(mine.length))
    stop = np.rint(mine.stop[best]).astype(int)
    assert lines.line[stop[0], stop[1]]
    assert mine.length[best] <= 4.0


def test_the_line_straight_ahead_is_a_candidate_past_a_nearer_line_to_the_side() -> None:
    # A stroke heading right (its end at x=40), the line it would meet straight ahead at x=62,
    # and a short stroke 5 px to one side of its path, nearer: the ahead cone's nearest hit.
    ink = np.zeros((80, 96), np.float32)
    cv2.line(ink, (5, 40), (40, 40), 1.0, 1)
    cv2.line(ink, (62, 10), (62, 70), 1.0, 1)
    cv2.line(ink, (47, 35), (55, 35), 1.0, 1)
    lines, ends, cands = analyse(ink)
    tip = np.nonzero((np.abs(ends.tip[:, 1] - 40) < 2) & (np.abs(ends.tip[:, 0] - 40) < 2))[0]
    assert len(tip) == 1
    mine = cands.take(np.nonzero(cands.end_a == int(tip[0]))[0])
    stops = np.rint(mine.stop).astype(int)
    assert any(abs(y - 40) <= 1 and abs(x - 62) <= 1 for y, x in stops), stops
    assert any(abs(y - 35) <= 1 and 46 <= x <= 56 for y, x in stops), stops  # and the side


@pytest.mark.parametrize("mirrored", [False, True])
def test_the_line_ahead_is_a_candidate_when_a_line_to_the_side_is_as_near(mirrored: bool):
    # A stroke heading left, stopping 3 px short of a vertical line (its break at x = 21-23),
    # with another line leaving that vertical line at a slant, passing 3 px to one side of the
    # tip: nearer than the line ahead, by less than a pixel. Both must be candidates (a
    # junction's cut, as the junction category and real drawings have it); only the one to the
    # side was, before. Also mirrored left to right.
    ink = np.zeros((64, 64), np.float32)
    cv2.line(ink, (20, 4), (20, 60), 1.0, 1)
    cv2.line(ink, (24, 30), (58, 30), 1.0, 1)
    cv2.line(ink, (20, 27), (50, 28), 1.0, 1)
    tip_x, line_x = 24, 20
    if mirrored:
        ink = np.ascontiguousarray(ink[:, ::-1])
        tip_x, line_x = 63 - tip_x, 63 - line_x
    lines, ends, cands = analyse(ink)
    tip = np.nonzero((np.abs(ends.tip[:, 1] - tip_x) < 2) & (np.abs(ends.tip[:, 0] - 30) < 2))[0]
    assert len(tip) == 1
    mine = cands.take(np.nonzero(cands.end_a == int(tip[0]))[0])
    stops = np.rint(mine.stop).astype(int)
    assert any(abs(x - line_x) <= 1 and abs(y - 30) <= 2 for y, x in stops), stops
    assert any(abs(x - line_x) >= 2 for y, x in stops), stops  # and the side


def test_a_lone_stroke_has_no_candidates_and_specks_are_never_targets() -> None:
    ink = np.zeros((60, 60), np.float32)
    ink[30, 10:40] = 1.0
    ink[29:31, 43:45] = 1.0  # a 2x2 speck 3 px past the stroke's end
    _, ends, cands = analyse(ink)
    assert len(ends) == 2
    assert len(cands) == 0


def test_max_gap_bounds_every_candidate() -> None:
    ink = line_with_break(0, 14)
    assert len(analyse(ink, max_gap=24)[2]) >= 1
    short = analyse(ink, max_gap=8)[2]
    assert (short.length <= 8.0).all()
    assert not len(short)


def test_patches_are_rotated_to_the_bridge() -> None:
    flat = line_with_break(0, 3)
    upright = np.ascontiguousarray(flat.T)
    out = []
    for ink in (flat, upright):
        lines, ends, cands = analyse(ink)
        k = int(np.argmin(cands.length))
        out.append(patches(lines, cands.take(np.array([k])), ends)[0])
    assert out[0].shape == (3, PATCH, PATCH)
    # The same bridge seen along x or along y gives the same patch (up to a mirror across it).
    same = np.abs(out[0] - out[1]).max()
    mirrored = np.abs(out[0] - out[1][:, ::-1, :]).max()
    assert min(same, mirrored) < 0.05
    # The bridge channel runs through the middle row; the ink lies left and right of it.
    assert out[0][2, PATCH // 2].sum() > 0
    assert out[0][0, PATCH // 2, : PATCH // 2 - 3].sum() > 0


def test_no_neck_inside_corners_between_close_parallel_lines_or_to_dust() -> None:
    from krita_linerefiner.core.candidates import find_necks

    img = np.zeros((96, 160), np.uint8)
    # Sharp corners and a crossing: a closing fills their insides; one line runs round each.
    cv2.polylines(img, [np.array([[10, 80], [30, 10], [50, 80]])], False, 255, 1)
    cv2.line(img, (60, 20), (90, 50), 255, 1)
    cv2.line(img, (60, 50), (90, 20), 255, 1)
    # Two lines 2 px apart, side by side for 40 px: close, but no break between them.
    cv2.line(img, (100, 20), (150, 20), 255, 1)
    cv2.line(img, (100, 23), (150, 23), 255, 1)
    # A speck of dust 2 px from a line.
    cv2.line(img, (100, 70), (150, 70), 255, 1)
    img[73:75, 120:122] = 255
    assert len(find_necks(LineMap.from_ink(img.astype(np.float32) / 255))) == 0
    # The same speck grown into a line of its own is joined (control).
    cv2.line(img, (110, 73), (110, 90), 255, 2)
    cv2.line(img, (110, 73), (140, 90), 255, 2)
    necks = find_necks(LineMap.from_ink(img.astype(np.float32) / 255))
    assert len(necks) == 1
    assert necks.pixels[:, 0].min() > 70 and necks.pixels[:, 0].max() < 73


def circle_with_arc_cut(cut_degrees: float, radius: int = 30, size: int = 96) -> np.ndarray:
    """A 1-px aliased circle with an arc of `cut_degrees` removed at its top."""
    img = np.zeros((size, size), np.uint8)
    half = cut_degrees / 2.0
    cv2.ellipse(img, (size // 2, size // 2), (radius, radius), 0, 270 + half, 270 + 360 - half,
                255, 1, cv2.LINE_8)
    return img.astype(np.float32) / 255.0


def test_the_curve_bridge_channel_follows_a_curved_break_and_a_straight_one_as_the_chord():
    straight = line_with_break(0, 12)
    lines, ends, cands = analyse(straight)
    chord, curve = (patches(lines, cands, ends, bridge=b) for b in ("chord", "curve"))
    np.testing.assert_array_equal(chord, curve)  # a straight break: the curve is the chord

    lines, ends, cands = analyse(circle_with_arc_cut(70), max_gap=48)
    k = int(np.argmax(np.where(cands.end_b >= 0, cands.length, 0)))
    assert 30 < cands.length[k] < 40  # the break across the top, end to end
    one = cands.take(np.array([k]))
    chord = patches(lines, one, ends, bridge="chord")[0, 2]
    curve = patches(lines, one, ends, bridge="curve")[0, 2]
    middle = slice(PATCH // 2 - 1, PATCH // 2 + 2)
    assert chord[middle].sum() == chord.sum()  # the chord: the middle three rows only
    # The curve bulges off the chord where the cut arc was: away from the side the rest of the
    # circle lies on.
    ink_rows = np.nonzero(patches(lines, one, ends)[0, 0, :, 4:8] > 0.5)[0]
    away = -1 if ink_rows.mean() > PATCH / 2 else 1
    rows = np.nonzero(curve[:, PATCH // 2])[0]
    assert away * (rows.mean() - PATCH // 2) >= 1.0
    with pytest.raises(ValueError, match="bridge"):
        patches(lines, one, ends, bridge="spline")


def long_break_with_neighbours() -> tuple[np.ndarray, tuple[int, int]]:
    """A horizontal 1-px line with a 22-px break, a 1-px line at 35 degrees passing 9 px
    below the break, and a 1-px speck 7 px above it; also the speck's (row, col)."""
    img = (line_with_break(0, 22) * 255).astype(np.uint8)
    cv2.line(img, (30, 75), (66, 50), 255, 1, cv2.LINE_8)
    speck = (41, 50)
    img[speck] = 255
    return img.astype(np.float32) / 255.0, speck


def test_area_sampling_keeps_a_thin_line_whole_and_fades_a_speck_in_a_long_bridges_patch():
    from krita_linerefiner.core.candidates import area_level

    ink, _ = long_break_with_neighbours()
    lines, ends, cands = analyse(ink)
    k = int(np.argmax(np.where(cands.end_b >= 0, cands.length, 0)))
    assert 20 < cands.length[k] < 26  # the break, end to end: over 1.5 drawing px per patch px
    one = cands.take(np.array([k]))
    point = patches(lines, one, ends, sampling="point")[0]
    area = patches(lines, one, ends, sampling="area")[0]
    assert area_level(np.array([(2 * cands.length[k] + 12) / PATCH]))[0] >= 2

    def slanted_columns(patch: np.ndarray) -> np.ndarray:
        # The slanted line lies on one side of the bridge, 4+ patch rows off the middle
        # (the patch may be mirrored): the darkest ink per column there, where it crosses.
        below = patch[0, PATCH // 2 + 4 :]
        above = patch[0, : PATCH // 2 - 3]
        side = below if below.sum() > above.sum() else above
        return side.max(axis=0)

    crossed_area = slanted_columns(area)
    crossed_point = slanted_columns(point)
    span = np.flatnonzero(crossed_area > 0.05)
    inside = np.arange(span[0] + 2, span[-1] - 1)  # the line's blurred ends left out
    assert len(inside) >= 8
    # Point sampling reads the 1-px line as dots; area sampling as a line of about full ink.
    assert crossed_point[inside].min() < 0.5
    assert crossed_area[inside].min() >= 0.5
    # The speck fades under area sampling: fainter than any part of the line, where point
    # sampling reads it darker than parts of the line.
    def speck(patch: np.ndarray) -> float:
        top, bottom = patch[0, : PATCH // 2 - 2], patch[0, PATCH // 2 + 3 :]
        return float((top if top.sum() < bottom.sum() else bottom).max())

    assert 0 < speck(area) < 0.5 <= crossed_area[inside].min()
    assert speck(point) > crossed_point[inside].min()


def test_area_sampling_changes_nothing_for_bridges_of_up_to_10_px():
    ink, _ = long_break_with_neighbours()
    lines, ends, cands = analyse(ink)
    short = cands.take(np.flatnonzero(cands.length <= 10))
    assert len(short)
    np.testing.assert_array_equal(patches(lines, short, ends, sampling="area"),
                                  patches(lines, short, ends))
    with pytest.raises(ValueError, match="sampling"):
        patches(lines, short, ends, sampling="box")


def test_a_bridge_asked_from_its_other_end_is_the_same_bridge_seen_from_there() -> None:
    from dataclasses import replace

    from krita_linerefiner.core.candidates import from_other_end, tip_crowding

    ink = line_with_break(20.0, 9)
    cv2.line(ink, (10, 80), (60, 85), 1.0, 1)  # a second stroke: other candidates from the ends
    lines, ends, cands = analyse(ink)
    crowding = tip_crowding(ends)
    pair = np.nonzero((cands.end_b >= 0) & (cands.kind == KIND_END_END))[0]
    assert len(pair)
    other = from_other_end(cands, pair, crowding)
    np.testing.assert_array_equal(other.end_a, cands.end_b[pair])
    np.testing.assert_array_equal(other.start, cands.stop[pair])
    np.testing.assert_allclose(other.length, cands.length[pair])
    f, g = cands.features[pair], other.features
    for a, b in (("cos_a", "cos_b"), ("width_a", "width_b"), ("area_a", "area_b")):
        np.testing.assert_array_equal(g[:, FEATURES.index(a)], f[:, FEATURES.index(b)])
    # Rank and crowding as propose gives end b's own candidates (shortest first, capped at 4).
    for row, k in enumerate(pair.tolist()):
        b = cands.end_b[k]
        shorter = np.sum((cands.end_a == b) & (cands.length < cands.length[k]))
        assert g[row, FEATURES.index("rank")] == min(shorter, 4) / 4.0
        assert g[row, FEATURES.index("crowding")] == min(crowding[b], 8.0) / 8.0
    # Its patch is the first one turned half round (the patch's centre lies half a px off
    # its middle, so one px over): the same ink and bridge.
    mine, theirs = patches(lines, cands.take(pair), ends), patches(lines, other, ends)
    turned = mine[:, :, ::-1, ::-1][:, :, :-1, :-1]
    np.testing.assert_allclose(theirs[:, 0, 1:, 1:], turned[:, 0], atol=0.02)
    np.testing.assert_array_equal(theirs[:, 2, 1:, 1:], turned[:, 2])
    to_line = replace(cands, end_b=np.where(np.arange(len(cands)) == pair[0], -1, cands.end_b))
    with pytest.raises(ValueError, match="other end"):
        from_other_end(to_line, pair[:1], crowding)


@pytest.mark.parametrize("seed", range(6))
def test_pairs_within_finds_every_pair_in_order_of_p_then_of_qs_row(seed: int) -> None:
    # Against every pair measured: the same pairs, distances and order (by i, then by q's row,
    # then by j), with points on a wide page, on integer rows and columns (ties), repeated,
    # and blocks of p smaller than p.
    from krita_linerefiner.core.candidates import pairs_within

    rng = np.random.default_rng(seed)
    p = rng.uniform(-3, [120, 900], (int(rng.integers(1, 200)), 2))
    q = rng.uniform(-3, [120, 900], (int(rng.integers(1, 200)), 2))
    if seed % 2:
        p, q = np.rint(p), np.rint(q)
    q = np.concatenate([q, p[::3]])
    radius = float(rng.choice([0.5, 2.0, 16.0, 32.0]))
    d = np.hypot(p[:, None, 0] - q[None, :, 0], p[:, None, 1] - q[None, :, 1])
    i, j = np.nonzero(d <= radius)
    row_rank = np.empty(len(q), np.int64)
    row_rank[np.argsort(q[:, 0], kind="stable")] = np.arange(len(q))
    order = np.lexsort((row_rank[j], i))
    got = pairs_within(p, q, radius, block=int(rng.integers(1, 50)))
    np.testing.assert_array_equal(got[0], i[order])
    np.testing.assert_array_equal(got[1], j[order])
    np.testing.assert_allclose(got[2], d[i, j][order])


def test_candidates_are_the_same_whatever_block_plausible_checks_them_in(monkeypatch) -> None:
    # _plausible samples the candidate rows a block at a time (PLAUSIBLE_BLOCK) to bound its
    # memory on shaded pages: blocks of 7 rows keep exactly the rows one block keeps.
    import krita_linerefiner.core.candidates as candidates
    from benchmarks.speed import add_shading, drawing

    ink = add_shading(drawing(240, 180, seed=3), seed=3)
    whole = analyse(ink)[2]
    monkeypatch.setattr(candidates, "PLAUSIBLE_BLOCK", 7)
    blocks = analyse(ink)[2]
    assert len(whole) > 100
    for name in ("end_a", "end_b", "start", "stop", "kind", "features", "width"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(whole, name))


@pytest.mark.parametrize("op", ["dilate", "close"])
@pytest.mark.parametrize("tile", [16, 50, 512])
def test_dilate_near_and_close_near_give_the_pixels_of_one_whole_operation(
        tile: int, op: str) -> None:
    # Worked out only in tiles with a mask pixel within reach, each must still equal one
    # cv2.dilate (cv2.morphologyEx close) of the whole: pixels by the image edges, in tiles cut
    # short by the edge, and reaching across several tiles.
    from krita_linerefiner.core.candidates import close_near, dilate_near

    rng = np.random.default_rng(tile)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (33, 33))
    near = dilate_near if op == "dilate" else close_near
    for shape, density in [((130, 257), 0.002), ((64, 40), 0.05), ((300, 300), 0.0),
                           ((200, 260), 0.01)]:
        mask = rng.random(shape) < density
        if density:
            mask[0, 0] = mask[-1, -1] = mask[0, -1] = True
        if op == "dilate":
            want = cv2.dilate(mask.view(np.uint8), kernel).view(bool)
        else:
            want = cv2.morphologyEx(mask.view(np.uint8), cv2.MORPH_CLOSE, kernel).view(bool)
        got = near(mask, kernel, tile)
        assert got.dtype == bool
        np.testing.assert_array_equal(got, want)
    assert not near(np.zeros((40, 40), bool), kernel, tile).any()


def test_ink_beside_samples_more_curves_than_one_remap_takes() -> None:
    # cv2.remap takes maps of fewer than 32767 rows; a shaded B4 page traces more curves than
    # that at once (gaps.analyse_gaps). Each curve reads the same ink in a block as alone.
    from krita_linerefiner.core.candidates import REMAP_ROWS, ink_beside

    rng = np.random.default_rng(0)
    ink = rng.random((64, 96)).astype(np.float32)
    n = 2 * REMAP_ROWS + 5
    assert n > 32767
    pts = np.stack([rng.uniform(0, 63, (n, 7)), rng.uniform(0, 95, (n, 7))], axis=-1)
    normals = np.zeros_like(pts)
    normals[..., 0] = 1.0
    got = ink_beside(ink, pts, normals, 0.5)
    assert got.shape == (n, 7)
    for k in (0, REMAP_ROWS - 1, REMAP_ROWS, n - 1):
        alone = ink_beside(ink, pts[k : k + 1], normals[k : k + 1], 0.5)
        assert np.array_equal(got[k], alone[0])
    y, x = pts[3, 2, 0] + 0.5, pts[3, 2, 1]  # bilinear at that point
    y0, x0 = int(y), int(x)
    fy, fx = y - y0, x - x0
    want = ((1 - fy) * (1 - fx) * ink[y0, x0] + (1 - fy) * fx * ink[y0, x0 + 1]
            + fy * (1 - fx) * ink[y0 + 1, x0] + fy * fx * ink[y0 + 1, x0 + 1])
    assert abs(got[3, 2] - want) < 0.01


def test_side_crowding_counts_the_tips_beside_a_stroke_not_along_it() -> None:
    # A dashed stroke (5 px dashes, 3 px blanks) has many tips within 16 px of each, all along
    # its way; a patch of hatching (parallel strokes 4 px apart) has as many, side by side.
    # Tip crowding counts both; side crowding only the hatching's (stop 54).
    from krita_linerefiner.core.candidates import side_crowding, tip_crowding

    ink = np.zeros((60, 200), np.float32)
    for x0 in range(20, 90, 8):
        ink[30:32, x0 : x0 + 5] = 1.0
    for x in range(120, 180, 4):
        ink[20:40, x : x + 2] = 1.0
    lines = LineMap.from_ink(ink)
    ends = find_ends(lines)
    dashed = ends.tip[:, 1] < 100
    assert dashed.sum() >= 10 and (~dashed).sum() >= 10
    crowd, beside = tip_crowding(ends), side_crowding(ends)
    assert np.median(crowd[dashed]) >= 6 and np.median(crowd[~dashed]) >= 6
    assert beside[dashed].max() == 0
    assert np.median(beside[~dashed]) >= 6


def stroke_short_of_a_line(stroke: int, line: int) -> np.ndarray:
    """A horizontal line `line` px thick (rows 20..), and a vertical stroke `stroke` px thick
    coming up to it from below, stopping 6 px short."""
    ink = np.zeros((120, 120), np.float32)
    ink[20 : 20 + line, 5:115] = 1.0
    ink[20 + line + 6 : 110, 60 - stroke // 2 : 60 - stroke // 2 + stroke] = 1.0
    return ink


def candidates_to_the_line(ink: np.ndarray):
    lines, ends, cands = analyse(ink)
    tip = ends.tip[cands.end_a]
    rows = np.nonzero((cands.end_b < 0) & (tip[:, 0] < 60) & (np.abs(tip[:, 1] - 60) < 8))[0]
    assert len(rows)
    return lines, ends, cands.take(rows)


@pytest.mark.parametrize(("stroke", "line"), [(3, 3), (5, 9), (9, 5), (7, 7), (2, 11)])
def test_a_bridge_to_a_line_is_as_wide_as_the_thinner_of_the_two(stroke: int, line: int):
    # The first px of line a bridge meets is the line's edge, 1 px from paper whatever the
    # line: a bridge given the width read there was drawn 1 px wide onto a bold line.
    _, _, mine = candidates_to_the_line(stroke_short_of_a_line(stroke, line))
    straight = mine.take(np.array([int(np.argmin(mine.length))]))
    assert straight.width[0] >= min(stroke, line) - 1.5, straight.width
    assert straight.width[0] <= min(stroke, line) + 0.5, straight.width


def test_a_bridge_from_a_stroke_tapering_to_its_tip_is_as_thin_as_the_tip() -> None:
    # A 7 px stroke ending in a wedge that narrows to 1-2 px at its tip, 6 px short of a
    # 7 px line: the end's width (the widest of its last px of skeleton) reads it wider.
    ink = np.zeros((120, 120), np.float32)
    ink[20:27, 5:115] = 1.0
    cv2.fillConvexPoly(ink, np.array([[53, 60], [67, 60], [60, 33]], np.int32), 1.0)
    ink[60:110, 57:64] = 1.0
    lines, ends, mine = candidates_to_the_line(ink)
    assert ends.width[mine.end_a].min() >= 3.0  # what the end's width reads
    assert mine.width.max() <= 2.5, mine.width


def test_a_bridge_running_into_a_lines_tip_lengthwise_lands_as_thin_as_that_tip() -> None:
    from krita_linerefiner.core.candidates import landing

    # A 7 px stroke heading at the point of a long wedge that tapers towards it: followed on
    # into the wedge the line only gets wider, but where the bridge lands it is a tip.
    ink = np.zeros((60, 140), np.float32)
    cv2.fillConvexPoly(ink, np.array([[70, 30], [135, 20], [135, 40]], np.int32), 1.0)
    lines = LineMap.from_ink(ink)
    start = np.array([[30.0, 60.0]])
    stop = np.array([[30.0, 70.0]])
    assert lines.line[30, 70]
    point, width = landing(lines, start, stop, np.array([7.0]))
    assert width[0] <= 3.0, width
    assert point[0, 1] <= 76.0, point


def test_a_bridge_from_a_blob_to_a_line_stays_thin() -> None:
    # A square dab (a checkerboard's square, an eye) 5 px under a 9 px line: the skeleton
    # ends at its corners read it as bold, but a blob is no stroke to carry on to the line.
    ink = np.zeros((120, 120), np.float32)
    ink[20:29, 5:115] = 1.0
    ink[34:52, 55:65] = 1.0  # 10 x 18 px
    lines, ends, cands = analyse(ink)
    mine = np.nonzero((cands.end_b < 0) & (ends.tip[cands.end_a, 0] > 30))[0]
    assert len(mine)
    assert ends.width[cands.end_a[mine]].max() >= 5.0  # what the corners' ends read
    assert cands.width[mine].max() <= 1.0, cands.width[mine]
