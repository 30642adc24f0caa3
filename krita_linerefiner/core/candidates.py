"""Stroke ends and the bridges that could close a break: what the gap verifier chooses from.

From a normalised line map (ink >= 0.5 is line): a one-pixel skeleton, its end points with the
direction the stroke was heading, its width and where it meets paper (the tip); then every
plausible bridge from each tip, up to the max gap:
- end to end: two tips within reach (a break in one stroke, a dashed stroke);
- end to line: the nearest line that is not the end's own stroke, and the first line straight
  ahead of the end (a stroke stopping short of the line it meets: T and L junctions).
Each candidate carries a few numbers (length, how well it continues each stroke, widths, sizes
of the pieces it joins) and can be cut out as a patch rotated to it, for the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

LINE_LEVEL = 0.5
# Zhang-Suen passes: a line up to 2 * THIN_PASSES px wide thins to one pixel; anything wider
# (solid fills) keeps its body and, having no one-neighbour pixels there, no stroke ends.
THIN_PASSES = 8
DIRECTION_RADIUS = 6  # px of skeleton behind an end that give its direction
# Pieces of ink this small are dust, not lines: no ends of their own, never a bridge target.
SPECK_AREA = 4
AHEAD_COS = 0.87  # within 30 degrees of the end's direction counts as straight ahead
PATCH = 32
FEATURES = (
    "length",
    "cos_a",
    "cos_b",
    "end_to_end",
    "width_a",
    "width_b",
    "same_piece",
    "area_a",
    "area_b",
    "ahead",
    "rank",
    "crowding",
)
BACKWARD = -0.3  # cos of the angle between an end's direction and its bridge, at least
MAX_CROSSING = 0.3  # share of a bridge's inside that may already be line
NEAR_TIP = 2.0
OWN_RADIUS = 10  # px around an end in which its own stroke is what connects to it
KIND_END_END = 0
KIND_NEAREST = 1
KIND_AHEAD = 2

_NEIGHBOUR_WEIGHTS = np.array([[128, 1, 2], [64, 0, 4], [32, 16, 8]], np.float32)


def _zhang_suen_tables() -> tuple[np.ndarray, np.ndarray]:
    # Whether a pixel with neighbour code c (bit i = P(i+2), clockwise from north) is deleted in
    # the first and in the second sub-iteration; all 256 cases, so a pass is one lookup.
    first = np.zeros(256, bool)
    second = np.zeros(256, bool)
    for code in range(256):
        p = [(code >> i) & 1 for i in range(8)]
        b = sum(p)
        a = sum(1 for i in range(8) if p[i] == 0 and p[(i + 1) % 8] == 1)
        if not (2 <= b <= 6 and a == 1):
            continue
        p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
        first[code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
        second[code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second


_ZS_FIRST, _ZS_SECOND = _zhang_suen_tables()


def neighbour_codes(img: np.ndarray) -> np.ndarray:
    """Bit i set when the i-th 8-neighbour (clockwise from north) of each pixel is set."""
    return cv2.filter2D(img, cv2.CV_8U, _NEIGHBOUR_WEIGHTS, borderType=cv2.BORDER_CONSTANT)


def thin(binary: np.ndarray, passes: int = THIN_PASSES) -> np.ndarray:
    """Zhang-Suen thinning (bool in, bool out) for at most `passes` iterations."""
    img = binary.astype(np.uint8)
    for _ in range(passes):
        changed = False
        for table in (_ZS_FIRST, _ZS_SECOND):
            delete = table[neighbour_codes(img)]
            delete &= img.view(bool)
            if delete.any():
                img[delete] = 0
                changed = True
        if not changed:
            break
    return img.view(bool)


def skeleton_neighbours(skeleton: np.ndarray) -> np.ndarray:
    sk = skeleton.view(np.uint8) if skeleton.dtype == bool else skeleton
    return cv2.filter2D(sk, cv2.CV_8U, np.ones((3, 3), np.float32),
                        borderType=cv2.BORDER_CONSTANT) - sk


@dataclass(frozen=True)
class StrokeEnds:
    """One row per stroke end: skeleton end point, tip, outward direction, width, piece."""

    point: np.ndarray  # (N, 2) int row, col of the skeleton end point
    tip: np.ndarray  # (N, 2) float row, col where the stroke meets paper
    direction: np.ndarray  # (N, 2) float unit (dy, dx), pointing out of the stroke
    width: np.ndarray  # (N,) float stroke width near the end
    piece: np.ndarray  # (N,) int label of the 8-connected piece of line

    def __len__(self) -> int:
        return len(self.point)


@dataclass(frozen=True)
class LineMap:
    """A binarised line map and what every later step reads from it."""

    ink: np.ndarray  # normalised ink, float32
    line: np.ndarray  # bool, ink >= 0.5
    pieces: np.ndarray  # int32 8-connected piece labels, 0 = paper
    areas: np.ndarray  # area of each piece label
    to_paper: np.ndarray  # float32 distance of each line pixel to paper
    skeleton: np.ndarray  # bool

    @classmethod
    def from_ink(cls, ink: np.ndarray) -> LineMap:
        line = ink >= LINE_LEVEL
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            line.view(np.uint8), connectivity=8, ltype=cv2.CV_32S
        )
        to_paper = cv2.distanceTransform(line.view(np.uint8), cv2.DIST_L2, 3)
        return cls(ink, line, labels, stats[:, cv2.CC_STAT_AREA].astype(np.int64), to_paper,
                   thin(line))


def find_ends(lines: LineMap) -> StrokeEnds:
    sk = lines.skeleton
    ends = np.argwhere(sk & (skeleton_neighbours(sk) == 1))
    if len(ends):
        ends = ends[lines.areas[lines.pieces[ends[:, 0], ends[:, 1]]] > SPECK_AREA]
    n = len(ends)
    if n == 0:
        empty = np.zeros((0, 2))
        return StrokeEnds(ends.reshape(0, 2), empty, empty, np.zeros(0), np.zeros(0, np.int32))
    h, w = sk.shape
    piece = lines.pieces[ends[:, 0], ends[:, 1]]
    path = _walk_back(sk, ends, DIRECTION_RADIUS)  # (N, steps + 1, 2), the end point first
    centre = path[:, 1:].mean(axis=1)
    direction = ends - centre
    norm = np.hypot(direction[:, 0], direction[:, 1])
    direction = np.where(norm[:, None] > 1e-6, direction / norm.clip(min=1e-6)[:, None], 0.0)
    radius = lines.to_paper[path[..., 0], path[..., 1]].max(axis=1)
    width = np.maximum(1.0, 2.0 * radius - 1.0)
    # The tip: walk from the end point along the direction while still on line.
    tip = ends.astype(np.float64)
    going = np.ones(n, bool)
    for _ in range(2 * THIN_PASSES):
        nxt = tip + 0.5 * direction
        iy, ix = np.rint(nxt[:, 0]).astype(int), np.rint(nxt[:, 1]).astype(int)
        inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
        on = np.zeros(n, bool)
        on[inside] = lines.line[iy[inside], ix[inside]]
        going &= on
        if not going.any():
            break
        tip[going] = nxt[going]
    return StrokeEnds(ends, tip, direction, width, piece.astype(np.int32))


_STEPS = np.array([(-1, 0), (0, 1), (1, 0), (0, -1), (-1, 1), (1, 1), (1, -1), (-1, -1)])


def _walk_back(skeleton: np.ndarray, ends: np.ndarray, steps: int) -> np.ndarray:
    """(N, steps + 1, 2): each end point, then the skeleton pixels met walking away from it
    (all ends at once). A walk that reaches a junction or runs out stays where it is, so a
    nearby stroke, even the far side of the gap, never bends an end's direction."""
    h, w = skeleton.shape
    n = len(ends)
    path = np.empty((n, steps + 1, 2), np.int64)
    path[:, 0] = ends
    cur = ends.copy()
    prev = ends.copy()
    prev2 = ends.copy()
    for step in range(1, steps + 1):
        found = np.zeros(n, bool)
        nxt = cur.copy()
        count = np.zeros(n, np.int64)
        for dy, dx in _STEPS:
            cy, cx = cur[:, 0] + dy, cur[:, 1] + dx
            inside = (cy >= 0) & (cy < h) & (cx >= 0) & (cx < w)
            ok = np.zeros(n, bool)
            ok[inside] = skeleton[cy[inside], cx[inside]]
            ok &= ~((cy == prev[:, 0]) & (cx == prev[:, 1]))
            ok &= ~((cy == prev2[:, 0]) & (cx == prev2[:, 1]))
            # Next to the previous pixel too: a stair step of the same line, not a branch.
            ok &= (np.abs(cy - prev[:, 0]) > 1) | (np.abs(cx - prev[:, 1]) > 1) | (step == 1)
            take = ok & ~found
            nxt[take] = np.stack([cy[take], cx[take]], axis=1)
            found |= ok
            count += ok
        moving = found & (count == 1)
        prev2 = np.where(moving[:, None], prev, prev2)
        prev = np.where(moving[:, None], cur, prev)
        cur = np.where(moving[:, None], nxt, cur)
        path[:, step] = cur
    return path


@dataclass(frozen=True)
class Candidates:
    """One row per candidate bridge from `start` (a stroke tip) to `stop`."""

    end_a: np.ndarray  # (N,) index into the ends
    end_b: np.ndarray  # (N,) index of the end reached, -1 for a bridge to the side of a line
    start: np.ndarray  # (N, 2) float row, col
    stop: np.ndarray  # (N, 2) float row, col
    kind: np.ndarray  # (N,) KIND_*
    features: np.ndarray  # (N, len(FEATURES)) float32
    width: np.ndarray  # (N,) px, the width a closure drawn for it gets

    def __len__(self) -> int:
        return len(self.end_a)

    @property
    def length(self) -> np.ndarray:
        return np.hypot(*(self.stop - self.start).T)

    def take(self, index: np.ndarray) -> Candidates:
        return Candidates(self.end_a[index], self.end_b[index], self.start[index],
                          self.stop[index], self.kind[index], self.features[index],
                          self.width[index])


def _empty_candidates() -> Candidates:
    return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 2)),
                      np.zeros((0, 2)), np.zeros(0, np.int8),
                      np.zeros((0, len(FEATURES)), np.float32), np.zeros(0))


def propose(lines: LineMap, ends: StrokeEnds, max_gap: int) -> Candidates:
    """Every plausible bridge of at most `max_gap` px from each stroke end."""
    n = len(ends)
    if n == 0:
        return _empty_candidates()
    h, w = lines.line.shape
    reach = max_gap + 2
    rows: list[tuple[int, int, float, float, float, float, int, float]] = []
    # End to end: every pair of tips within reach, found through a grid of reach-sized cells.
    cell = np.floor(ends.tip / reach).astype(np.int64)
    order = np.lexsort((cell[:, 1], cell[:, 0]))
    buckets: dict[tuple[int, int], list[int]] = {}
    for i in order.tolist():
        buckets.setdefault((int(cell[i, 0]), int(cell[i, 1])), []).append(i)
    crowding = np.zeros(n)
    for i in range(n):
        cy, cx = int(cell[i, 0]), int(cell[i, 1])
        near = [j for oy in (-1, 0, 1) for ox in (-1, 0, 1)
                for j in buckets.get((cy + oy, cx + ox), ()) if j != i]
        if not near:
            continue
        near_arr = np.asarray(near)
        d = np.hypot(*(ends.tip[near_arr] - ends.tip[i]).T)
        crowding[i] = np.count_nonzero(d <= max_gap)
        for j, dist in zip(near_arr.tolist(), d.tolist(), strict=True):
            if j > i and dist <= max_gap:
                rows.append((i, j, *ends.tip[i], *ends.tip[j], KIND_END_END,
                             min(ends.width[i], ends.width[j])))
    # End to line: nearest other line, and the first line straight ahead.
    line, pieces = lines.line, lines.pieces
    big = lines.areas > SPECK_AREA
    for i in range(n):
        ty, tx = ends.tip[i]
        y0, y1 = max(0, int(ty) - reach), min(h, int(ty) + reach + 2)
        x0, x1 = max(0, int(tx) - reach), min(w, int(tx) + reach + 2)
        window = line[y0:y1, x0:x1]
        py, px = np.nonzero(window)
        if len(py) == 0:
            continue
        lab = pieces[y0:y1, x0:x1][py, px]
        vy, vx = py + y0 - ty, px + x0 - tx
        dist = np.hypot(vy, vx)
        dy, dx = ends.direction[i]
        along = vy * dy + vx * dx
        # Its own stroke, near the end, is the line connected to it within OWN_RADIUS; line
        # joined to it only farther away (a stroke stopping short of the line it started
        # from) is a fair target, as it is to a flood fill. Farther out, the same piece counts
        # as its own stroke when it lies behind the tip.
        ey, ex = int(ends.point[i, 0]), int(ends.point[i, 1])
        ly0, lx0 = max(0, ey - OWN_RADIUS), max(0, ex - OWN_RADIUS)
        near = line[ly0 : ey + OWN_RADIUS + 1, lx0 : ex + OWN_RADIUS + 1]
        local = cv2.connectedComponents(near.view(np.uint8), connectivity=8,
                                        ltype=cv2.CV_32S)[1]
        ry, rx = py + y0 - ly0, px + x0 - lx0
        inside = (ry >= 0) & (ry < near.shape[0]) & (rx >= 0) & (rx < near.shape[1])
        own = (lab == ends.piece[i]) & (along <= 1.0)
        own[inside] = local[ry[inside], rx[inside]] == local[ey - ly0, ex - lx0]
        ok = ~own & big[lab] & (dist <= max_gap) & (dist >= 0.5)
        if not ok.any():
            continue
        idx = np.nonzero(ok)[0]
        nearest = idx[np.argmin(dist[idx])]
        targets = [(nearest, KIND_NEAREST)]
        cos = along[idx] / dist[idx].clip(min=1e-6)
        ahead = idx[cos >= AHEAD_COS]
        if len(ahead):
            first = ahead[np.argmin(dist[ahead])]
            if first != nearest and dist[first] > dist[nearest] + 1.0:
                targets.append((first, KIND_AHEAD))
        for k, kind in targets:
            sy, sx = float(py[k] + y0), float(px[k] + x0)
            target_width = max(1.0, 2.0 * float(lines.to_paper[int(sy), int(sx)]) - 1.0)
            rows.append((i, -1, ty, tx, sy, sx, kind, min(ends.width[i], target_width)))
    if not rows:
        return _empty_candidates()
    table = np.asarray(rows, dtype=np.float64)
    table = table[_plausible(lines, ends, table)]
    if not len(table):
        return _empty_candidates()
    end_a, end_b = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    start, stop = table[:, 2:4], table[:, 4:6]
    kind = table[:, 6].astype(np.int8)
    width = table[:, 7]
    return Candidates(end_a, end_b, start, stop, kind,
                      _features(lines, ends, end_a, end_b, start, stop, kind, crowding),
                      width)


def _plausible(lines: LineMap, ends: StrokeEnds, table: np.ndarray) -> np.ndarray:
    """Rows of the candidate table worth scoring.

    Dropped: a bridge that heads back into its own stroke (more than BACKWARD past the
    perpendicular, at either end), one that runs over line for much of its way (it would cross
    a line, not close a break), and a bridge to the side of a line that lands next to another
    end's tip (the end-to-end candidate to that tip covers it).
    """
    end_a, end_b = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    start, stop = table[:, 2:4], table[:, 4:6]
    vector = stop - start
    length = np.hypot(vector[:, 0], vector[:, 1]).clip(min=1e-6)
    unit = vector / length[:, None]
    keep = (ends.direction[end_a] * unit).sum(axis=1) >= BACKWARD
    to_end = end_b >= 0
    cos_b = -(ends.direction[np.where(to_end, end_b, 0)] * unit).sum(axis=1)
    keep &= ~to_end | (cos_b >= BACKWARD)
    h, w = lines.line.shape
    t = np.linspace(0.0, 1.0, 17)[None, :, None]
    points = start[:, None, :] + t * vector[:, None, :]
    iy = np.rint(points[..., 0]).astype(int).clip(0, h - 1)
    ix = np.rint(points[..., 1]).astype(int).clip(0, w - 1)
    on_line = lines.line[iy, ix]
    along = t[..., 0] * length[:, None]
    interior = (along > 1.5) & (along < length[:, None] - 1.5)
    crossing = (on_line & interior).sum(axis=1) / interior.sum(axis=1).clip(min=1)
    keep &= crossing <= MAX_CROSSING
    if len(ends) and (~to_end).any():
        side = np.nonzero(~to_end & keep)[0]
        for k in side.tolist():
            d = np.hypot(*(ends.tip - stop[k]).T)
            d[end_a[k]] = np.inf
            if d.min() <= NEAR_TIP:
                keep[k] = False
    return keep


def _features(lines: LineMap, ends: StrokeEnds, end_a: np.ndarray, end_b: np.ndarray,
              start: np.ndarray, stop: np.ndarray, kind: np.ndarray,
              crowding: np.ndarray) -> np.ndarray:
    vector = stop - start
    length = np.hypot(vector[:, 0], vector[:, 1])
    unit = vector / length.clip(min=1e-6)[:, None]
    cos_a = (ends.direction[end_a] * unit).sum(axis=1)
    to_end = end_b >= 0
    safe_b = np.where(to_end, end_b, 0)
    cos_b = np.where(to_end, -(ends.direction[safe_b] * unit).sum(axis=1), 0.0)
    stop_px = np.rint(stop).astype(int)
    stop_px[:, 0] = stop_px[:, 0].clip(0, lines.line.shape[0] - 1)
    stop_px[:, 1] = stop_px[:, 1].clip(0, lines.line.shape[1] - 1)
    # The tip of an end lies on its stroke's edge; the piece it reaches is read there or, for a
    # tip that ended on paper, at its skeleton end point.
    piece_b = np.where(to_end, ends.piece[safe_b], lines.pieces[stop_px[:, 0], stop_px[:, 1]])
    width_b = np.where(to_end, ends.width[safe_b],
                       2.0 * lines.to_paper[stop_px[:, 0], stop_px[:, 1]] - 1.0).clip(min=1.0)
    # Rank of each candidate among those of its end, shortest first.
    order = np.lexsort((length, end_a))
    rank = np.zeros(len(end_a))
    first = np.r_[True, end_a[order][1:] != end_a[order][:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    rank[order] = np.arange(len(order)) - group_start
    piece_a = ends.piece[end_a]
    return np.stack([
        length / 16.0,
        cos_a,
        cos_b,
        to_end.astype(np.float64),
        ends.width[end_a] / 4.0,
        width_b / 4.0,
        (piece_a == piece_b).astype(np.float64),
        np.log1p(lines.areas[piece_a]) / 8.0,
        np.log1p(lines.areas[piece_b]) / 8.0,
        (kind == KIND_AHEAD).astype(np.float64),
        np.minimum(rank, 4.0) / 4.0,
        np.minimum(crowding[end_a], 8.0) / 8.0,
    ], axis=1).astype(np.float32)


def patches(lines: LineMap, cands: Candidates, size: int = PATCH) -> np.ndarray:
    """(N, 3, size, size) float32: the ink, the end's own piece and the bridge, rotated so the
    bridge runs left to right through the middle and scaled so it spans half the patch at most.
    """
    n = len(cands)
    out = np.zeros((n, 3, size, size), np.float32)
    if n == 0:
        return out
    length = cands.length
    span = np.maximum(24.0, 2.0 * length + 12.0)  # px of the drawing the patch covers
    scale = size / span  # patch px per drawing px
    centre = (cands.start + cands.stop) / 2.0
    unit = (cands.stop - cands.start) / length.clip(min=1e-6)[:, None]
    h, w = lines.line.shape
    piece_a = lines.pieces  # read per window below
    half = size / 2.0
    xs = np.arange(size, dtype=np.float32) - half
    for k in range(n):
        cy, cx = centre[k]
        uy, ux = unit[k]
        s = scale[k]
        radius = int(np.ceil(span[k] * 0.75)) + 2
        y0, y1 = max(0, int(cy) - radius), min(h, int(cy) + radius + 1)
        x0, x1 = max(0, int(cx) - radius), min(w, int(cx) + radius + 1)
        crop = np.empty((y1 - y0, x1 - x0, 2), np.float32)
        crop[..., 0] = lines.ink[y0:y1, x0:x1]
        own = piece_a[y0:y1, x0:x1] == lines.pieces[
            int(np.clip(round(cands.start[k, 0]), 0, h - 1)),
            int(np.clip(round(cands.start[k, 1]), 0, w - 1))]
        crop[..., 1] = own
        # Patch (u, v) -> drawing: x = cx + (u*ux - v*uy)/s, y = cy + (u*uy + v*ux)/s, with u,v
        # measured from the patch centre; warpAffine wants the inverse map (dst -> src).
        a = np.array([[ux / s, -uy / s, 0.0], [uy / s, ux / s, 0.0]], np.float64)
        a[0, 2] = cx - x0 - (a[0, 0] * half + a[0, 1] * half) + 0.0
        a[1, 2] = cy - y0 - (a[1, 0] * half + a[1, 1] * half) + 0.0
        warped = cv2.warpAffine(crop, a, (size, size),
                                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        out[k, 0] = warped[..., 0]
        out[k, 1] = warped[..., 1]
        half_len = length[k] * s / 2.0
        out[k, 2, size // 2 - 1 : size // 2 + 2, :] = np.abs(xs) <= half_len + 0.5
    return out
