"""Stroke ends and the bridges that could close a break: what the gap verifier chooses from.

From a normalised line map (ink >= 0.5 is line): a one-pixel skeleton, its end points with the
direction the stroke was heading, its width and where it meets paper (the tip); then every
plausible bridge from each tip, up to the max gap:
- end to end: two tips within reach (a break in one stroke, a dashed stroke);
- end to line: the nearest line that is not the end's own stroke, and the first line straight
  ahead of the end (a stroke stopping short of the line it meets: T and L junctions).
Breaks of up to 3 px with no stroke end on either side (a cut beside a junction that leaves a
corner, not a tip) are found apart from these, as necks of paper between two lines (find_necks),
and so are breaks across strokes too bold to thin to a skeleton (find_bold: facing bold ends
and slits straight across).
Each candidate carries a few numbers (length, how well it continues each stroke, widths, sizes
of the pieces it joins) and can be cut out as a patch rotated to it, for the verifier.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

LINE_LEVEL = 0.5
# Thinning passes: a line up to 2 * THIN_PASSES px wide thins to one pixel; anything wider
# (solid fills) keeps its body and, having no one-neighbour pixels there, no stroke ends.
# 16 px: bold marker and colouring-book outlines (the Tux Paint hat's 13-px brim) are lines.
THIN_PASSES = 8
DIRECTION_RADIUS = 6  # px of skeleton behind an end that give its direction
# Pieces of ink this small are dust, not lines: no ends of their own, never a bridge target.
SPECK_AREA = 4
AHEAD_COS = 0.87  # within 30 degrees of the end's direction counts as straight ahead
PATCH = 32
# What a patch's third channel shows (the verifier model declares which it was trained on):
# the straight chord between the two tips, or the curve a closure is drawn along.
BRIDGE_CHORD = "chord"
BRIDGE_CURVE = "curve"
BRIDGE_KINDS = (BRIDGE_CHORD, BRIDGE_CURVE)
# How a patch reads the drawing where one patch px spans more than a drawing px (bridges over
# about 10 px): at one point per patch px (bilinear), which breaks a 1-px line into dots and
# drops specks or keeps them at random; or from the drawing prefiltered to the patch's pixel
# size (area_maps), where a 1-px line stays a line and a speck fades. The verifier model
# declares which it was trained on; patches of bridges up to 10 px are the same either way.
SAMPLING_POINT = "point"
SAMPLING_AREA = "area"
SAMPLING_KINDS = (SAMPLING_POINT, SAMPLING_AREA)
# Drawing px per patch px up to which each prefilter level serves (level 0: none). Each level
# is filtered for its upper bound, so a patch is never blurred less than its step asks.
AREA_STEPS = (1.0, 1.5, 2.25, 3.375, 5.0625, 7.6, 11.4)
CURVE_STEPS = 49  # points along a bridge's curve in a patch (under 1 patch px apart)
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
FRAGMENT_AREA = 16  # px: pieces this small a bridge may run over (remnants inside a break)
PLAUSIBLE_BLOCK = 100_000  # candidate rows _plausible samples at a time
REMAP_ROWS = 16384  # curves ink_beside samples with one cv2.remap (its maps: under 32767 rows)
# The "rank" feature: a bridge's place among its end's bridges, shortest first, up to RANK_TOP;
# "crowding": the other tips within CROWD_RADIUS of its end's tip, up to CROWD_TOP. Both are
# held as a share of their top (rank_feature, crowding_feature) and read back as counts
# (feature_rank, feature_crowding).
RANK_TOP = 4.0
CROWD_TOP = 8.0
NEAR_TIP = 2.0
# A stroke, not a blob (stroke_ends): a piece of line at least BOLD_PIECE times its end's width
# long and BOLD_FILL times as wide on the whole.
BOLD_PIECE = 6.0
BOLD_FILL = 0.6
# A bridge to the side of a line is followed this far into it, every half px (ray_samples), to
# find how wide the line is where it lands (landing): half the widest stroke it may meet.
LANDING_REACH = 8.0
LANDING_SLANT = 2.0  # ... and no farther than this many times the depth it needs (30 degrees)
# px behind a stroke end's tip where tip_widths measures the stroke across a bridge.
TIP_BACK = 1.0
WIDTH_REACH = 8.0  # px either side of the tip that tip_widths looks across
# A faint line along a bridge (traced): see `traced`.
TRACE_TIP = 1.5
TRACE_TIP_PAD = 0.5  # px: ... or, off a bold end, half its width and this
TRACE_TIP_MAX = 3.0  # px: ... but no more (a short faint stretch between bold ends stays)
TRACE_SPREAD = 0.7
TRACE_SIDE = 2.5
# px: ... and off the line a bridge ends on (not at a stroke end) by the reach of the side
# samples too: they reach that line from this far out where the faint line meets it at 45
# degrees, and the line is no paper to stand out from.
TRACE_TIP_LINE = TRACE_TIP + TRACE_SIDE
TRACE_LEVEL = 0.2
TRACE_CONTRAST = 0.15
# Fainter still, a line traces where the paper beside it is quiet (the ink TRACE_SIDE px to
# either side at most TRACE_QUIET of the line's): a stroke thinned to an almost invisible
# hairline on clean paper (the art4apps drawings' "fading" stretches, stop 43). JPEG ringing
# and paper grain are about as dark beside the way as on it, and stay no trace.
TRACE_FAINTEST = 0.05
TRACE_QUIET = 0.1
TRACE_STEP = 0.5
# A faint line may be dotted (a pen that skipped, a pencil line under the grain): blanks of up
# to DOT_GAP px along it, with the faint line along at least DOT_SHARE of the way, still trace
# it (traced, dotted_trace; core.gaps asks the verifier about a dotted one). 8 px: a dashed
# stroke's blanks (the sparse category: 3-8 px; 4 px before stop 43).
DOT_GAP = 8.0
DOT_SHARE = 0.5
FAN_DEGREES = 80.0  # rays from a tip cover this far either side of its direction
FAN_RAYS = 13
HIT_APART = 1  # px (either axis): ray hits farther apart than this are on other line
CROWD_RADIUS = 16.0
# px: a tip this near the line through another along its direction lies along it, not beside it
# (side_crowding: a dashed stroke's next dash, where a curve of 50 px radius is 2.6 px off
# that line 16 px on).
CROWD_ALONG = 3.0
CROWD_SLANT = 0.27  # ... more by this share of the way along it (15 degrees: a dash's axis
# on a px grid, a 2 px stroke stepping a row within 4 px, is that far off the stroke's)
CROWD_DASH = 8.0  # px between a piece's two tips: a dash, whose axis is its direction there
# Necks (find_necks): a closing with a NECK_KERNEL px ellipse fills paper up to 6 px wide between
# lines (a 5 px one does not span 3 px between a thin line and the point of a corner). Of what
# it adds, a piece of at most NECK_FILL_AREA px and NECK_FILL_SIDE px across that touches two
# pieces of line that are apart within NECK_RADIUS px of it holds a bridge between them if its
# pixels within NECK_BAND px of the shortest way across are at most NECK_MAX_AREA px and
# NECK_MAX_SIDE px across. The bridge, at most NECK_MAX_GAP px of paper (the issue's breaks
# that are closed whatever their look; longer ones are the verifier's), with open paper (a pixel
# NECK_OPEN_PAPER px from any line) on two sides of it, closes a break. Lines count from
# NECK_MIN_PIECE px (dust and dithering do not).
NECK_KERNEL = 7
NECK_FILL_AREA = 96
NECK_FILL_SIDE = 16
NECK_BAND = 0.5
NECK_TIE = 0.15  # px: distance maps are approximate; ways across this close are as short
NECK_MAX_AREA = 24
NECK_MAX_SIDE = 6
NECK_RADIUS = 8
NECK_OPEN_PAPER = 3.0
NECK_MIN_PIECE = 40
NECK_MAX_GAP = 3
# Bold strokes (find_bold_breaks): wider than 2 * THIN_PASSES px, so thinning keeps their body
# and a cut across one leaves no stroke end. Thinned on, for BOLD_PASSES in all, strokes up to
# 2 * BOLD_PASSES px wide get ends; two such ends facing each other (each within 60 degrees of
# the way across) across paper at most BOLD_GAP_WIDTHS times as wide as the narrower stroke, of
# widths within BOLD_WIDTH_RATIO, are a break across a bold stroke: in a patch the size of the
# break, the verifier sees ink everywhere but the gap, and says no. Closed as sure, like the
# necks. (Up to 1.5 widths, not 1: a Doodle Icons bar 17 px thick cut by 20 px, and a slit in
# the same bar that waited for it, were left open, stop 66.)
BOLD_PASSES = 24
BOLD_FACING_COS = 0.5
BOLD_WIDTH_RATIO = 0.6
BOLD_GAP_WIDTHS = 1.5
BOLD_FACE = 1.2  # ends of one piece this many widths apart, or less, are corners of one face
# px: a bold break's fill reaches this far past the line through a face's tips (_between_faces);
# a tip sits about a pixel inside the corner of the stroke's edge.
FACE_SLACK = 1.5
BOLD_SEAL_WIDTHS = 3.0  # how far round a break across a bold stroke its paper is looked at
BOLD_TIP_RATIO = 0.3  # a bold end's width near its tip (6 px of skeleton), of the whole width
# A bold end that runs into the side of a bold line (_bold_side) is a break when it is cut
# square: its line this many px in from the tip spans at least SQUARE_FACE of its width. A
# rounded end (a marker stroke that stops: a beard's tuft under a moustache) spans about half.
SQUARE_DEPTH = 2.0
SQUARE_FACE = 0.8
# Slits across bold strokes (find_bold_slits): a closing of the bold strokes with this ellipse
# fills them; at most this many px across, running this share of the stroke's width along.
SLIT_KERNEL = 9
SLIT_MAX_WIDTH = 8.0
# Wider cuts across bold strokes that the bold ends miss (a square end's skeleton may fork to
# one corner of its face only, or a slanted cut leaves corners that face no way across): the
# same closing with these larger kernels, each slit at most its kernel less one px across,
# kept like the slits where no kept break or slit fills it yet and it parts the paper (bold
# rings cut 12-24 px across at 0-60 degrees: 2 of 6 sealed before, 6 of 6 with them;
# models/README.md, stop 44).
WIDE_SLIT_KERNELS = (17, 25, 33)
BOLD_SLIT_SPAN = (0.6, 1.5)
SLIT_FACE_DEPTH = 0.4  # of the width: how deep the line on each side of a slit must run
# A slit fills at least this share of its smallest enclosing rectangle: cuts across strokes
# fill 0.7-1.0 of it, the drawings' own white cracks and crooked channels in solid black
# 0.34-0.69 (stop 32, the hand-drawn and Tux Paint sets).
SLIT_FILL_SHARE = 0.6
KIND_END_END = 0
KIND_NEAREST = 1
KIND_AHEAD = 2

def _guo_hall_tables() -> tuple[np.ndarray, np.ndarray]:
    # Whether a pixel with neighbour code c (bit i = P(i+2), clockwise from north) is deleted in
    # the first and in the second sub-iteration; all 256 cases, so a pass is one lookup.
    # Guo-Hall (1989), not Zhang-Suen: Zhang-Suen leaves lines 3 px wide within about 4 degrees
    # of a diagonal as a 2-px stair band, whose cut ends have no one-neighbour pixel, so a break
    # in such a line had no stroke ends and no candidates (2-px lines: at 42.5-43 and 47-47.5
    # degrees). Guo-Hall thins them to one pixel.
    first = np.zeros(256, bool)
    second = np.zeros(256, bool)
    for code in range(256):
        p2, p3, p4, p5, p6, p7, p8, p9 = ((code >> i) & 1 for i in range(8))
        crossings = ((not p2) and (p3 or p4)) + ((not p4) and (p5 or p6)) + (
            (not p6) and (p7 or p8)) + ((not p8) and (p9 or p2))
        n1 = (p9 or p2) + (p3 or p4) + (p5 or p6) + (p7 or p8)
        n2 = (p2 or p3) + (p4 or p5) + (p6 or p7) + (p8 or p9)
        if crossings != 1 or not 2 <= min(n1, n2) <= 3:
            continue
        first[code] = not ((p6 or p7 or not p9) and p8)
        second[code] = not ((p2 or p3 or not p5) and p4)
    return first, second


GUO_HALL = _guo_hall_tables()


def thin(binary: np.ndarray, passes: int = THIN_PASSES,
         tables: tuple[np.ndarray, np.ndarray] = GUO_HALL) -> np.ndarray:
    """Thinning (bool in, bool out) for at most `passes` iterations of two sub-iterations,
    each deleting the pixels whose neighbour code (bit i = P(i+2), clockwise from north) its
    table marks: Guo-Hall by default; benchmarks.baselines passes Zhang-Suen's tables.

    Works on the list of line pixels rather than the whole canvas: line art covers a few
    percent of it, so each sub-iteration gathers 8 neighbours for those pixels only.
    """
    h, w = binary.shape
    stride = w + 2
    padded = np.zeros((h + 2, stride), np.uint8)
    padded[1:-1, 1:-1] = binary
    flat = padded.ravel()
    alive = np.flatnonzero(flat)
    # P2..P9 clockwise from north, as the tables' bits.
    offsets = (-stride, -stride + 1, 1, stride + 1, stride, stride - 1, -1, -stride - 1)
    for _ in range(passes):
        changed = False
        for table in tables:
            codes = np.zeros(len(alive), np.uint8)
            for bit, off in enumerate(offsets):
                codes |= flat[alive + off] << bit
            delete = table[codes]
            if delete.any():
                flat[alive[delete]] = 0
                alive = alive[~delete]
                changed = True
        if not changed:
            break
    return padded[1:-1, 1:-1].view(bool)


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
    return _ends_of(lines, lines.skeleton, 2 * THIN_PASSES)


def _ends_of(lines: LineMap, sk: np.ndarray, tip_steps: int) -> StrokeEnds:
    """The end points of the skeleton `sk` of `lines`, each walked out to its tip in at most
    `tip_steps` half-pixel steps."""
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
    for _ in range(tip_steps):
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

    @functools.cached_property
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


@dataclass(frozen=True)
class Necks:
    """Breaks of up to 3 px with no stroke end. Neck k: `pixels[offsets[k]:offsets[k + 1]]`
    (row, col) the paper it fills solid (the shortest way across, as wide as the lines meet
    it), `soft[soft_offsets[k]:soft_offsets[k + 1]]` its anti-aliased edge (the rest of the
    closing's fill next to it), `bbox[k]` x, y, w, h of the solid pixels, `gap[k]` px of paper
    it crosses."""

    pixels: np.ndarray
    offsets: np.ndarray
    soft: np.ndarray
    soft_offsets: np.ndarray
    bbox: np.ndarray
    gap: np.ndarray
    # (K,) bool: drawn whole even where a closure touches it (a break across a bold stroke,
    # which a closure between two of its corners seals as a hairline).
    whole: np.ndarray
    # (K,) bool: a faint line between two lines drawn on its ridge (closures.find_faint_joins),
    # drawn unless closures already cover it.
    faint: np.ndarray

    def __len__(self) -> int:
        return len(self.bbox)


# A fill across a bold stroke: (pixels, soft edge, gap px, the stroke's width).
BoldFill = tuple[np.ndarray, np.ndarray, int, float]


def no_necks() -> Necks:
    empty = np.zeros((0, 2), np.int64)
    return Necks(empty, np.zeros(1, np.int64), empty, np.zeros(1, np.int64),
                 np.zeros((0, 4), np.int64), np.zeros(0, np.int64), np.zeros(0, bool),
                 np.zeros(0, bool))


def find_necks(lines: LineMap) -> Necks:
    """Necks of paper of up to 3 px between two lines that are apart nearby: breaks the
    stroke-end candidates cannot propose, as neither side of them is a stroke end (a cut next
    to a junction, leaving a corner; two lines whose turns nearly touch).

    A morphological closing of the line map fills every such neck, and also the inside of every
    sharp corner and the paper between close parallel lines. A corner's fill touches one piece
    of line, which runs round the corner within NECK_RADIUS px; a fill between parallel lines is
    long, or, where they converge, has a narrow channel of paper on one side instead of open
    paper. Neither is kept. Of a neck's fill, which may run on into the inside of a corner next
    to it, only the bridge across the neck is (bridge_in). Pieces of line under NECK_MIN_PIECE
    px (dust, dithering) take no part, and nothing touching the edge of the image does (lines
    may go on beyond it).
    """
    line = lines.line
    h, w = line.shape
    big = big_lines(lines).view(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (NECK_KERNEL, NECK_KERNEL))
    fill = cv2.morphologyEx(big, cv2.MORPH_CLOSE, kernel).view(bool) & ~line
    _, labels, stats, _ = cv2.connectedComponentsWithStats(
        fill.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    small = ((area <= NECK_FILL_AREA) & (np.maximum(bw, bh) <= NECK_FILL_SIDE)
             & (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h))
    small[0] = False
    found: list[tuple[np.ndarray, np.ndarray, int]] = []
    for c in np.nonzero(small)[0].tolist():
        (y0, y1), (x0, x1) = neck_window((int(x[c]), int(y[c]), int(bw[c]), int(bh[c])),
                                         line.shape)
        near = big[y0:y1, x0:x1].view(bool)
        fill_c = labels[y0:y1, x0:x1] == c
        bridge = bridge_in(near, fill_c)
        if bridge is None:
            continue
        segment, band = bridge
        gap = int(np.count_nonzero(segment))
        solid = segment | band
        if gap > NECK_MAX_GAP or not seals(near, solid):
            continue
        soft = ring_of(solid.view(np.uint8)) & fill_c
        offset = np.array([y0, x0])
        found.append((np.argwhere(solid) + offset, np.argwhere(soft) + offset, gap))
    return as_necks(found)


# Stair breaks (find_stair_breaks): a thin line binarised (a 1-px anti-aliased line
# thresholded, a scan cleaned with a threshold) breaks into fragments a px or two apart wherever
# it passes between pixel centres. Within STAIR_RADIUS px of the gap, the two pieces' pixels
# must lie along one straight line (spread across it at most STAIR_SPREAD px, root mean square),
# at most 2 px wide (STAIR_DEPTH), on either side of the gap, at least STAIR_SIDE px of each
# reaching STAIR_LONG px or more along the line (runs, not dots), and no other piece of line may
# have a pixel there: among stipple, dithering, hatching and at junctions the fragments are the
# verifier's to judge.
STAIR_RADIUS = 4
STAIR_SPREAD = 0.6
STAIR_DEPTH = 1.0
STAIR_SIDE = 3
STAIR_LONG = 1.5
# Binarised lines only: the two pieces solid (normalised ink at least STAIR_SOLID near the
# gap) and the gap blank paper (at most STAIR_PAPER). Anti-aliased, faint and dotted lines have
# their own ways across (the verifier, traced and faint joins).
STAIR_SOLID = 0.95
STAIR_PAPER = 0.05
STAIR_BLOCK = 8192  # gaps looked at a block at a time (81 window pixels each)


def find_stair_breaks(lines: LineMap) -> np.ndarray:
    """(K, 2, 2) row, col of the paper pixels, first and last (the same pixel for one), that
    join two pieces of a thin binarised line broken by one or two px of paper between fragments
    that continue each other (STAIR_*): per pair of pieces, the one pixel between them, or else
    the two (the darkest of the ink). Never where a third piece is near (a junction, stipple,
    hatching), nor between pieces side by side or meeting at an angle (a corner, a V)."""
    line, pieces = lines.line, lines.pieces
    h, w = line.shape
    none = np.zeros((0, 2, 2), np.int64)
    if h < 5 or w < 5 or not line.any():
        return none
    # Blank paper with line round it, off the image's edge.
    near = cv2.dilate(line.view(np.uint8), np.ones((3, 3), np.uint8))
    near[:2] = 0
    near[-2:] = 0
    near[:, :2] = 0
    near[:, -2:] = 0
    ys, xs = np.nonzero(near.view(bool) & (lines.ink <= np.float32(STAIR_PAPER)))
    if not len(ys):
        return none
    # The lowest and highest piece round each (a page may have millions: one gather at a time).
    top = np.zeros(len(ys), np.int32)
    bottom = np.full(len(ys), np.iinfo(np.int32).max, np.int32)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            lab = pieces[ys + dy, xs + dx]
            np.maximum(top, lab, out=top)
            np.minimum(bottom, np.where(lab > 0, lab, bottom), out=bottom)
    # One px of paper: a pixel with line of exactly two pieces round it.
    two = top != bottom
    y1, x1 = ys[two], xs[two]
    a, b = bottom[two].astype(np.int64), top[two].astype(np.int64)
    third = np.zeros(len(y1), bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            lab = pieces[y1 + dy, x1 + dx]
            third |= (lab > 0) & (lab != a) & (lab != b)
    p1 = np.stack([y1, x1], axis=1)[~third]
    p2, a, b = p1, a[~third], b[~third]
    # Two px: two neighbouring pixels of paper, each with line of one piece round it, not the
    # same piece.
    sy, sx, slab = ys[~two], xs[~two], top[~two]
    del ys, xs, top, bottom
    # Looked up by flat index among themselves (sorted, as np.nonzero gives them), not in a
    # page-sized map.
    flat = sy.astype(np.int64) * w + sx
    for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
        at = np.minimum(np.searchsorted(flat, flat + dy * w + dx), len(flat) - 1)
        found = flat[at] == flat + dy * w + dx
        other = np.where(found, slab[at], 0)
        hit = (other > 0) & (other != slab)
        if hit.any():
            first = np.stack([sy[hit], sx[hit]], axis=1)
            p1 = np.concatenate([p1, first])
            p2 = np.concatenate([p2, first + [dy, dx]])
            a = np.concatenate([a, slab[hit].astype(np.int64)])
            b = np.concatenate([b, other[hit].astype(np.int64)])
    if not len(p1):
        return none
    # No other piece within STAIR_RADIUS (the lowest and highest labels there are a and b; a
    # label between them is caught below): among stipple and dithering most go here, cheaply.
    ok = _alone_cheaply(pieces, line, p1, np.minimum(a, b), np.maximum(a, b))
    p1, p2, a, b = p1[ok], p2[ok], a[ok], b[ok]
    ok = np.concatenate([np.zeros(0, bool)] + [
        _continues_across(lines, p1[i : i + STAIR_BLOCK], p2[i : i + STAIR_BLOCK],
                          a[i : i + STAIR_BLOCK], b[i : i + STAIR_BLOCK])
        for i in range(0, len(p1), STAIR_BLOCK)])
    p1, p2, a, b = p1[ok], p2[ok], a[ok], b[ok]
    if not len(p1):
        return none
    # One way across per pair of pieces: one px before two, then the darkest.
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    wide = np.any(p1 != p2, axis=1)
    dark = lines.ink[p1[:, 0], p1[:, 1]] + lines.ink[p2[:, 0], p2[:, 1]] * wide
    order = np.lexsort((-dark, wide, hi, lo))
    pair = lo[order] * (int(pieces.max()) + 1) + hi[order]
    lead = np.ones(len(order), bool)
    lead[1:] = pair[1:] != pair[:-1]
    pick = order[lead]
    return np.stack([p1[pick], p2[pick]], axis=1).astype(np.int64)


def _alone_cheaply(pieces: np.ndarray, line: np.ndarray, at: np.ndarray, lo: np.ndarray,
                   hi: np.ndarray, tile: int = 1024) -> np.ndarray:
    """(K,) bool: whether the lowest and highest piece labels within STAIR_RADIUS px of each
    point `at` ((K, 2) row, col) are `lo` and `hi`, worked out a tile at a time (no page-sized
    float maps on a large page)."""
    h, w = line.shape
    r = STAIR_RADIUS
    span = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    ok = np.zeros(len(at), bool)
    ty, tx = at[:, 0] // tile, at[:, 1] // tile
    key = ty * ((w + tile - 1) // tile) + tx
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    for rows in np.split(order, bounds):
        if not len(rows):
            continue
        y0, x0 = int(ty[rows[0]]) * tile, int(tx[rows[0]]) * tile
        wy0, wx0 = max(y0 - r, 0), max(x0 - r, 0)
        wy1, wx1 = min(y0 + tile + r, h), min(x0 + tile + r, w)
        labels = pieces[wy0:wy1, wx0:wx1].astype(np.float32)  # exact below 2**24 pieces
        top = cv2.dilate(labels, span)
        low = cv2.erode(np.where(line[wy0:wy1, wx0:wx1], labels, np.float32(2**24)), span)
        py, px = at[rows, 0] - wy0, at[rows, 1] - wx0
        ok[rows] = (low[py, px] == lo[rows]) & (top[py, px] == hi[rows])
    return ok


def _continues_across(lines: LineMap, p1: np.ndarray, p2: np.ndarray, a: np.ndarray,
                      b: np.ndarray) -> np.ndarray:
    """(K,) bool: whether the pieces `a` and `b` continue each other across the paper from
    `p1` to `p2` ((K, 2) row, col, the same pixel for one px): within STAIR_RADIUS px, their
    pixels lie along one straight line through the gap (STAIR_SPREAD), on either side of it, at
    most 2 px wide (STAIR_DEPTH), at least STAIR_SIDE of each reaching STAIR_LONG along it
    (runs, not dots), solid ink across blank paper (STAIR_SOLID, STAIR_PAPER), and no other
    piece is there."""
    h, w = lines.line.shape
    r = STAIR_RADIUS
    oy, ox = np.mgrid[-r : r + 1, -r : r + 1]
    oy, ox = oy.ravel(), ox.ravel()
    yy = np.clip(p1[:, :1] + oy[None], 0, h - 1)
    xx = np.clip(p1[:, 1:] + ox[None], 0, w - 1)
    lab = lines.pieces[yy, xx]
    in_a, in_b = lab == a[:, None], lab == b[:, None]
    mine = in_a | in_b
    n_a, n_b = in_a.sum(axis=1), in_b.sum(axis=1)
    thin = ~(mine & (lines.to_paper[yy, xx] > STAIR_DEPTH + 0.01)).any(axis=1)
    alone = ~((lab > 0) & ~mine).any(axis=1)
    solid = ~(mine & (lines.ink[yy, xx] < STAIR_SOLID)).any(axis=1)
    solid &= (lines.ink[p1[:, 0], p1[:, 1]] <= STAIR_PAPER)
    solid &= (lines.ink[p2[:, 0], p2[:, 1]] <= STAIR_PAPER)
    # Positions from the middle of the gap; the principal axis of the two pieces' pixels.
    centre = 0.5 * (p2 - p1).astype(np.float64)
    fy, fx = oy[None] - centre[:, :1], ox[None] - centre[:, 1:]
    n = np.maximum(mine.sum(axis=1), 1).astype(np.float64)
    my, mx = (mine * fy).sum(axis=1) / n, (mine * fx).sum(axis=1) / n
    dy, dx = fy - my[:, None], fx - mx[:, None]
    syy, sxx = (mine * dy * dy).sum(axis=1) / n, (mine * dx * dx).sum(axis=1) / n
    sxy = (mine * dy * dx).sum(axis=1) / n
    half = 0.5 * (syy + sxx)
    root = np.sqrt(np.maximum(0.25 * (syy - sxx) ** 2 + sxy**2, 0.0))
    across = np.sqrt(np.maximum(half - root, 0.0))
    angle = 0.5 * np.arctan2(2 * sxy, syy - sxx)  # the axis of the larger eigenvalue
    uy, ux = np.cos(angle), np.sin(angle)
    along = fy * uy[:, None] + fx * ux[:, None]
    side_a = np.where(in_a, along, 0).sum(axis=1) / np.maximum(n_a, 1)
    side_b = np.where(in_b, along, 0).sum(axis=1) / np.maximum(n_b, 1)
    reach_a = (np.where(in_a, along, -np.inf).max(axis=1)
               - np.where(in_a, along, np.inf).min(axis=1))
    reach_b = (np.where(in_b, along, -np.inf).max(axis=1)
               - np.where(in_b, along, np.inf).min(axis=1))
    off_axis = np.abs(-my * ux + mx * uy)  # the gap's middle lies on the axis
    return (thin & alone & solid & (n_a >= STAIR_SIDE) & (n_b >= STAIR_SIDE)
            & (reach_a >= STAIR_LONG) & (reach_b >= STAIR_LONG)
            & (across <= STAIR_SPREAD) & (side_a * side_b < 0) & (off_axis <= 1.0))


def find_bold_breaks(lines: LineMap) -> Necks:
    """Breaks across strokes wider than 2 * THIN_PASSES px (up to 2 * BOLD_PASSES), as necks
    drawn whole: the paper between two bold stroke ends that face each other across less than
    either stroke's width (see BOLD_PASSES). The skeleton of a bold end cut square may fork to
    the face's two corners, so every pair of ends between the same two faces makes one break:
    the paper inside the convex hull of the two strokes' pixels around their tips (within half
    a width and 2 px), within half a width of the way from face to face, in one piece; it
    continues both strokes' edges. Kept where it parts the paper around it (_parts_paper), the
    other breaks filled. None where no stroke is that bold (no thinning on, then)."""
    # Each with the others filled, as a break beside it is closed too.
    return as_necks(_parting(lines.line, _bold_break_fills(lines)), whole=True)


def _bold_break_fills(lines: LineMap) -> list[BoldFill]:
    """find_bold_breaks' fills before the paper test."""
    if not (lines.to_paper > THIN_PASSES + 0.5).any():
        return []
    deep = thin(lines.skeleton, BOLD_PASSES - THIN_PASSES)
    ends = _ends_of(lines, deep, 2 * BOLD_PASSES)
    # Each end's stroke width where the stroke is whole, up to 2 * BOLD_PASSES px of skeleton
    # back (a fork's corner end is measured at the fork); bold, and bold near its tip too (not
    # a thin stroke running into a bold one), on a piece of line that is not dust.
    path = _walk_back(deep, ends.point, 2 * BOLD_PASSES)
    whole = 2.0 * lines.to_paper[path[..., 0], path[..., 1]].max(axis=1) - 1.0
    bold = np.nonzero((whole > 2 * THIN_PASSES) & (ends.width >= BOLD_TIP_RATIO * whole)
                      & (lines.areas[ends.piece] >= NECK_MIN_PIECE))[0]
    if not len(bold):
        return []
    tip, direction, width = ends.tip[bold], ends.direction[bold], whole[bold]
    piece = ends.piece[bold]
    span = tip[None, :, :] - tip[:, None, :]  # (i, j): from tip i to tip j
    gap = np.hypot(span[..., 0], span[..., 1])
    unit = span / np.maximum(gap, 1e-6)[..., None]
    facing = (((direction[:, None, :] * unit).sum(-1) >= BOLD_FACING_COS)
              & ((direction[None, :, :] * -unit).sum(-1) >= BOLD_FACING_COS))
    narrow = np.minimum(width[:, None], width[None, :])
    alike = narrow >= BOLD_WIDTH_RATIO * np.maximum(width[:, None], width[None, :])
    within = (gap >= 1.0) & (gap <= BOLD_GAP_WIDTHS * narrow)
    pairs = [(i, j) for i, j in np.argwhere(np.triu(facing & alike & within, 1)).tolist()
             if _paper_between(lines, tip[i], tip[j])]
    # A bold end with no end facing it that runs into the side of a bold line within its width
    # (a stroke cut where it met another, at a corner or a T): that side is the break's other
    # face, a tip of its own at the place the end's way meets it (_bold_side).
    lone = sorted(set(range(len(bold))) - {k for pair in pairs for k in pair})
    sides = [(k, hit) for k in lone
             if (hit := _bold_side(lines, tip[k], direction[k], width[k],
                                     float(ends.width[bold[k]]))) is not None]
    if sides:
        at = np.array([hit for _, hit in sides], np.float64)
        tip = np.concatenate([tip, at])
        direction = np.concatenate([direction, -direction[[k for k, _ in sides]]])
        width = np.concatenate([width, width[[k for k, _ in sides]]])
        piece = np.concatenate([piece, lines.pieces[np.rint(at[:, 0]).astype(int),
                                                    np.rint(at[:, 1]).astype(int)]])
        pairs += [(k, len(bold) + n) for n, (k, _) in enumerate(sides)]
        span = tip[None, :, :] - tip[:, None, :]
        gap = np.hypot(span[..., 0], span[..., 1])
    if not pairs:
        return []
    # Ends paired with each other, directly or through a fork's other corner: one break.
    group = list(range(len(tip)))

    def root(k: int) -> int:
        while group[k] != k:
            group[k] = group[group[k]]
            k = group[k]
        return k

    # The two ends of a pair are on the two sides of the break. A fork's two corner ends (of
    # one piece, about a width apart) are one face, and one may pair with nothing itself (the
    # edge from it to the other face's corner can be a staircase of line): an end of the same
    # piece near a paired one, not its pair, joins the break on its side. An end reached both
    # ways keeps the side it was reached on first.
    opposite = {(i, j) for i, j in pairs} | {(j, i) for i, j in pairs}
    links: dict[int, list[tuple[int, bool]]] = {}
    for i, j in pairs:
        group[root(i)] = root(j)
        links.setdefault(i, []).append((j, True))
        links.setdefault(j, []).append((i, True))
    for i in sorted(links):
        for j in range(len(tip)):
            if (j != i and (i, j) not in opposite and piece[i] == piece[j]
                    and gap[i, j] <= BOLD_FACE * min(width[i], width[j])):
                group[root(i)] = root(j)
                links[i].append((j, False))
                links.setdefault(j, []).append((i, False))
    paired = sorted(links)
    side: dict[int, int] = {}
    for start in paired:
        if start in side:
            continue
        side[start] = 0
        todo = [start]
        while todo:
            k = todo.pop()
            for other, flip in links[k]:
                if other not in side:
                    side[other] = side[k] ^ int(flip)
                    todo.append(other)
    members: dict[int, list[int]] = {}
    widest: dict[int, float] = {}
    for i, j in pairs:
        widest[root(i)] = max(widest.get(root(i), 0.0), float(gap[i, j]))
    for k in paired:
        members.setdefault(root(k), []).append(k)
    h, w = lines.line.shape
    found: list[BoldFill] = []
    for key, ks in members.items():
        reach = np.array([width[k] / 2 + 2 for k in ks])
        at = tip[ks]
        y0, x0 = np.maximum(0, np.floor((at - reach[:, None]).min(axis=0))).astype(int)
        y1, x1 = np.minimum((h, w), np.ceil((at + reach[:, None]).max(axis=0)) + 1).astype(int)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        line = lines.line[y0:y1, x0:x1]
        pieces = lines.pieces[y0:y1, x0:x1]
        near = np.zeros(line.shape, bool)
        for (ty, tx), r, k in zip(at.tolist(), reach.tolist(), ks, strict=True):
            near |= (pieces == piece[k]) & ((yy - ty) ** 2 + (xx - tx) ** 2 <= r * r)
        sides = np.array([side[k] for k in ks])
        if sides.min() == sides.max():  # ends that all pair across one face: no break
            continue
        # The paper within half a width of the way across, face middle to face middle: the
        # hull of the strokes near a junction or a bend spans the paper beside them too.
        faces = [at[sides == s].mean(axis=0) - (y0, x0) for s in (0, 1)]
        axis = np.zeros(line.shape, np.uint8)
        (ay, ax), (by, bx) = (np.rint(f).astype(int).tolist() for f in faces)
        cv2.line(axis, (ax, ay), (bx, by), 1, 1)
        beside = cv2.distanceTransform(1 - axis, cv2.DIST_L2, 3)
        points = np.argwhere(near)[:, ::-1].astype(np.int32)  # (x, y)
        if len(points) < 3:
            continue
        hull = np.zeros(line.shape, np.uint8)
        cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
        solid = hull.view(bool) & ~line & (beside <= float(width[ks].max()) / 2 + 1.0)
        solid &= _between_faces(yy - y0, xx - x0, [at[sides == s] - (y0, x0) for s in (0, 1)])
        solid &= _flanked(lines.pieces, yy, xx, solid,
                          [{int(piece[k]) for k, s in zip(ks, sides, strict=True)
                            if s == side}
                           for side in (0, 1)], faces[1] - faces[0],
                          float(widest[key]) + float(width[ks].max()) / 2 + 2.0)
        if not solid.any():
            continue
        # The break's paper in one piece: not the pockets of a staircase edge next to it.
        count, parts, stats, _ = cv2.connectedComponentsWithStats(
            solid.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
        if count > 2:
            solid = parts == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        soft = ring_of(solid.view(np.uint8)) & ~line
        offset = np.array([y0, x0])
        found.append((np.argwhere(solid) + offset, np.argwhere(soft) + offset,
                      max(1, round(widest[key])), float(width[ks].max())))
    return found


def _bold_side(lines: LineMap, tip: np.ndarray, direction: np.ndarray, width: float,
               near: float) -> tuple[float, float] | None:
    """Where the way straight on from a bold end's tip first meets line, if it leaves over
    paper (a px at least), meets it within the end's `width` and runs on in line for
    BOLD_TIP_RATIO of that width (a bold face, not a thin line), on a piece that is not dust,
    and the end is bold up to its tip and cut square there (its width `near` the tip over
    2 * THIN_PASSES px, and SQUARE_FACE of that across the tip: not a tapered or rounded end,
    which a stroke drawn to stop there has): (row, col), else None."""
    h, w = lines.line.shape
    steps = np.arange(0.5, width + BOLD_TIP_RATIO * width + 0.5, 0.5)
    ry = np.rint(tip[0] + steps * direction[0]).astype(np.int64)
    rx = np.rint(tip[1] + steps * direction[1]).astype(np.int64)
    inside = (ry >= 0) & (ry < h) & (rx >= 0) & (rx < w)
    on = lines.line[ry.clip(0, h - 1), rx.clip(0, w - 1)] & inside
    paper = np.nonzero(~on & inside)[0]
    if not len(paper) or steps[paper[0]] > 1.0:
        return None
    hits = np.nonzero(on[paper[0]:])[0]
    if not len(hits):
        return None
    first = paper[0] + int(hits[0])
    if steps[first] < 1.0 or steps[first] > width:
        return None
    depth = steps <= steps[first] + BOLD_TIP_RATIO * width
    if not on[first:][depth[first:]].all() or not inside[first:][depth[first:]].all():
        return None
    y, x = int(ry[first]), int(rx[first])
    if lines.areas[lines.pieces[y, x]] < NECK_MIN_PIECE or near <= 2 * THIN_PASSES:
        return None
    # Square: the line across the stroke SQUARE_DEPTH px in from the tip, through the middle.
    across = np.arange(-width, width + 0.5, 0.5)
    normal = np.array([-direction[1], direction[0]])
    cy = np.rint(tip[0] - SQUARE_DEPTH * direction[0] + across * normal[0]).astype(np.int64)
    cx = np.rint(tip[1] - SQUARE_DEPTH * direction[1] + across * normal[1]).astype(np.int64)
    chord = lines.line[cy.clip(0, h - 1), cx.clip(0, w - 1)] & (cy >= 0) & (cy < h)
    chord &= (cx >= 0) & (cx < w)
    middle = len(across) // 2
    if not chord[middle]:
        return None
    gaps = np.nonzero(~chord)[0]
    left = gaps[gaps < middle].max() + 1 if (gaps < middle).any() else 0
    right = gaps[gaps > middle].min() if (gaps > middle).any() else len(chord)
    if 0.5 * (right - left) < SQUARE_FACE * near:
        return None
    return float(y), float(x)


def _between_faces(yy: np.ndarray, xx: np.ndarray, faces: list[np.ndarray]) -> np.ndarray:
    """Which pixels (rows `yy`, columns `xx`) lie between the two faces of a bold break, each
    face its tips ((K, 2) row, col): not farther than FACE_SLACK px beyond the line through a
    face's tips (for one tip, the line across the break through it), on the side away from the
    other face. Where a cut ends at a junction, the paper past that face is the drawing's own
    (the space between the stroke and the shape it runs into), not the break's."""
    centres = [f.mean(axis=0) for f in faces]
    keep = np.ones(yy.shape, bool)
    for s in (0, 1):
        tips, inward = faces[s], centres[1 - s] - centres[s]
        if len(tips) >= 2 and np.ptp(tips, axis=0).max() >= 1.0:
            _, vectors = np.linalg.eigh(np.cov((tips - centres[s]).T))
            normal = vectors[:, 0]  # across the face's principal direction
        else:
            normal = inward
        norm = float(np.hypot(*normal))
        if norm < 1e-6:
            continue
        normal = normal / norm
        if float(normal @ inward) < 0:
            normal = -normal
        keep &= ((yy - centres[s][0]) * normal[0] + (xx - centres[s][1]) * normal[1]
                 >= -FACE_SLACK)
    return keep


def ray_steps(reach: float) -> np.ndarray:
    """The distances, px, at which ray_samples reads a ray up to `reach` px: every half px."""
    return np.arange(0.0, reach + 0.5, 0.5)


def ray_samples(grid: np.ndarray, ys: np.ndarray, xs: np.ndarray, unit: np.ndarray,
                reach: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """`grid`'s values every half px from each point (rows `ys`, columns `xs`) up to `reach` px
    straight back along `unit` (row, col; one for all, or (N, 2): each point's own) and straight
    on: [(back, inside), (on, inside)], each (N, T), `inside` False where a sample falls off the
    grid (its value is the edge's). The samples lie at `ray_steps(reach)` px from the point."""
    h, w = grid.shape
    steps = ray_steps(reach)
    unit = np.asarray(unit, np.float64)
    uy, ux = (unit[:, 0, None], unit[:, 1, None]) if unit.ndim == 2 else (unit[0], unit[1])
    out = []
    for sign in (-1.0, 1.0):
        ry = np.rint(ys[:, None] + sign * steps[None, :] * uy).astype(np.int64)
        rx = np.rint(xs[:, None] + sign * steps[None, :] * ux).astype(np.int64)
        inside = (ry >= 0) & (ry < h) & (rx >= 0) & (rx < w)
        out.append((grid[ry.clip(0, h - 1), rx.clip(0, w - 1)], inside))
    return out


def _flanked(pieces: np.ndarray, yy: np.ndarray, xx: np.ndarray, mask: np.ndarray,
             sides: list[set[int]], axis: np.ndarray, reach: float) -> np.ndarray:
    """Which pixels of `mask` (at rows `yy`, columns `xx` of the page) have line of one of the
    pieces `sides[0]` within `reach` px straight back along `axis` (row, col) and of `sides[1]`
    straight on: paper between the two faces of a break. Paper beside the stroke, or in a
    junction past a face, has paper or another line that way."""
    out = np.zeros(mask.shape, bool)
    norm = float(np.hypot(*axis))
    if norm < 1e-6 or not mask.any():
        return out
    unit = np.asarray(axis, np.float64) / norm
    py, px = yy[mask].astype(np.float64), xx[mask].astype(np.float64)
    (back, in_back), (on, in_on) = ray_samples(pieces, py, px, unit, reach)
    out[mask] = ((np.isin(back, list(sides[0])) & in_back).any(axis=1)
                 & (np.isin(on, list(sides[1])) & in_on).any(axis=1))
    return out


def find_bold_slits(lines: LineMap, taken: Necks) -> Necks:
    """Narrow breaks straight across strokes wider than 2 * THIN_PASSES px, as necks drawn
    whole: slits of paper up to about SLIT_KERNEL - 1 px wide that a closing of the bold
    strokes fills from one edge of the stroke to the other. The bold breaks (find_bold_breaks)
    need two stroke ends facing each other; a slit of 1-8 px across a 20-30 px stroke often
    leaves none (the pieces' skeletons fork to the face's corners and point along it). A fill
    is a slit when it is at most SLIT_MAX_WIDTH px across, runs BOLD_SLIT_SPAN (0.6-1.5) of the
    width of the stroke it makes along, fills SLIT_FILL_SHARE of its enclosing rectangle (not a
    crooked crack) and has bold line on both long sides (_faces_are_bold: not the paper between
    a thick line and a thin one beside it); kept where it parts the paper around it
    (_parts_paper, with the bold breaks `taken` and the other slits filled), and not where a
    bold break fills it already. None where no stroke is that bold. find_bold runs both."""
    closed = lines.line.copy()
    closed[taken.pixels[:, 0], taken.pixels[:, 1]] = True
    return as_necks(_parting(closed, _slit_fills(lines, taken.pixels)), whole=True)


def find_bold(lines: LineMap) -> Necks:
    """The bold breaks and the slits across bold strokes (find_bold_breaks, find_bold_slits),
    each kept where it parts the paper with all the others filled: a stroke broken twice near
    one place, by a break and a slit, is closed at both. Then the wider slits
    (WIDE_SLIT_KERNELS) where none of those fills yet."""
    return bold_necks(lines)[0]


def bold_necks(lines: LineMap) -> tuple[Necks, Necks]:
    """(kept, pending): find_bold's fills, and those of its fills that part no paper with the
    lines and the others filled. A bold stroke cut twice, the second cut closed by a bridge
    (or left open), is one way round for the paper either side of the first cut: the first
    parts the paper once the bridge is drawn (core.gaps.closures_of draws a pending fill
    then, `pending_to_draw`)."""
    breaks = _bold_break_fills(lines)
    bold = _bold_strokes(lines)
    if bold is None:
        return no_necks(), no_necks()
    slits = _slit_fills(lines, np.zeros((0, 2), np.int64), bold=bold)
    closed = _filled(lines.line, breaks + slits)
    kept, pending = _split_parting(closed, breaks)
    # A slit where a kept break fills the paper already is that break.
    done = np.zeros(closed.shape, bool)
    for pix, _, _ in kept:
        done[pix[:, 0], pix[:, 1]] = True
    parting, waiting = _split_parting(
        closed, [f for f in slits if not done[f[0][:, 0], f[0][:, 1]].any()])
    kept += parting
    pending += waiting
    # The wider slits, where nothing kept fills yet, each with the others filled.
    taken = np.concatenate([pix for pix, _, _ in kept] + [np.zeros((0, 2), np.int64)])
    wide: list[BoldFill] = []
    for size in WIDE_SLIT_KERNELS:
        wide += _slit_fills(lines, np.concatenate([taken] + [f[0] for f in wide]), size, bold)
    if wide:  # between strokes (up to 2 * BOLD_PASSES px wide), not solid fills
        depth = _piece_depths(lines)
        wide = [f for f in wide if _between_strokes(lines, f[0], depth)]
    if wide:
        closed = lines.line.copy()
        closed[taken[:, 0], taken[:, 1]] = True
        parting, waiting = _split_parting(_filled(closed, wide), wide)
        kept += parting
        pending += waiting
    # A pending fill where a kept one, or an earlier pending one (a break before a slit), fills
    # already is that one.
    done = np.zeros(closed.shape, bool)
    for pix, _, _ in kept:
        done[pix[:, 0], pix[:, 1]] = True
    waits = []
    for fill in pending:
        pix = fill[0]
        if not done[pix[:, 0], pix[:, 1]].any():
            waits.append(fill[:3])
            done[pix[:, 0], pix[:, 1]] = True
    return as_necks(kept, whole=True), as_necks(waits, whole=True)


def parts_paper_with(line: np.ndarray, drawn: np.ndarray, necks: Necks, chosen: np.ndarray
                     ) -> list[int]:
    """Of the bold fills `chosen` (indices into `necks`), those that part the paper around
    them (_parts_paper) with the lines (`line`, bool), what `drawn` (float coverage) holds at
    half and more and all of them filled; each looked at within BOLD_SEAL_WIDTHS of its longer
    side (a bold fill spans its stroke's width), and only there read (a preview asks at every
    change of its sliders)."""
    fills = [necks.pixels[necks.offsets[k] : necks.offsets[k + 1]] for k in chosen.tolist()]
    kept = []
    for k, pix in zip(chosen.tolist(), fills, strict=True):
        y0, y1, x0, x1 = _seal_box(line.shape, pix, float(necks.bbox[k, 2:].max()))
        closed = line[y0:y1, x0:x1] | (drawn[y0:y1, x0:x1] >= np.float32(0.5))
        for other in fills:
            inside = ((other[:, 0] >= y0) & (other[:, 0] < y1) & (other[:, 1] >= x0)
                      & (other[:, 1] < x1))
            closed[other[inside, 0] - y0, other[inside, 1] - x0] = True
        if _opens_two(closed, pix - (y0, x0)):
            kept.append(k)
    return kept


def _between_strokes(lines: LineMap, pixels: np.ndarray, depth: np.ndarray) -> bool:
    """Whether the line round the fill `pixels` ((N, 2) row, col) is of pieces no deeper than
    BOLD_PASSES px anywhere (`depth`: _piece_depths): strokes, not solid fills (two black
    shapes a slit's width apart)."""
    h, w = lines.line.shape
    y0, x0 = np.maximum(pixels.min(axis=0) - 1, 0)
    y1, x1 = np.minimum(pixels.max(axis=0) + 2, (h, w))
    fill = np.zeros((y1 - y0, x1 - x0), np.uint8)
    fill[pixels[:, 0] - y0, pixels[:, 1] - x0] = 1
    around = np.unique(lines.pieces[y0:y1, x0:x1][ring_of(fill)])
    around = around[around > 0]
    if not len(around):
        return False
    return bool((depth[around] <= BOLD_PASSES + 0.5).all())


def _piece_depths(lines: LineMap) -> np.ndarray:
    """(labels,) float32: how far each piece of line reaches from paper at most (px)."""
    depth = np.zeros(len(lines.areas), np.float32)
    on = lines.pieces > 0
    np.maximum.at(depth, lines.pieces[on], lines.to_paper[on])
    return depth


def _parting(line: np.ndarray, fills: list[BoldFill]
             ) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The fills that part the paper around them with all of them filled in `line`
    (_parts_paper), as (pixels, soft edge, gap)."""
    return _split_parting(_filled(line, fills), fills)[0]


def _filled(line: np.ndarray, fills: list[BoldFill]) -> np.ndarray:
    """A copy of `line` with the fills' pixels set."""
    closed = line.copy()
    for pix, _, _, _ in fills:
        closed[pix[:, 0], pix[:, 1]] = True
    return closed


def _split_parting(closed: np.ndarray, fills: list[BoldFill]
                   ) -> tuple[list[tuple[np.ndarray, np.ndarray, int]], list[BoldFill]]:
    """(parting, waiting): the fills that part the paper around them in `closed` (the line
    map with the fills in), as (pixels, soft edge, gap), and the others as they are."""
    parting: list[tuple[np.ndarray, np.ndarray, int]] = []
    waiting: list[BoldFill] = []
    for fill in fills:
        if _parts_paper(closed, fill[0], fill[3]):
            parting.append(fill[:3])
        else:
            waiting.append(fill)
    return parting, waiting


def dilate_near(mask: np.ndarray, kernel: np.ndarray, tile: int = 512) -> np.ndarray:
    """cv2.dilate(mask, kernel) (bool in, bool out; a kernel of odd size anchored at its
    middle), worked out only in the tiles that have a mask pixel within the kernel's reach: a
    large kernel over a page costs seconds however few pixels it has to grow (4 s for 97 px on
    a B4 page at 600 dpi). The same pixels as one dilation of the whole."""
    return _in_tiles_near(mask, kernel, tile, 1, lambda crop: cv2.dilate(crop, kernel),
                          np.zeros(mask.shape, bool))


def close_near(mask: np.ndarray, kernel: np.ndarray, tile: int = 512) -> np.ndarray:
    """cv2.morphologyEx(mask, MORPH_CLOSE, kernel) (bool in, bool out; an odd kernel anchored
    at its middle), worked out only in the tiles that have a mask pixel within twice the
    kernel's reach, as dilate_near: the same pixels as one closing of the whole."""
    return _in_tiles_near(mask, kernel, tile, 2,
                          lambda crop: cv2.morphologyEx(crop, cv2.MORPH_CLOSE, kernel),
                          mask.copy())


def _in_tiles_near(mask: np.ndarray, kernel: np.ndarray, tile: int, reaches: int,
                   op: Callable[[np.ndarray], np.ndarray], out: np.ndarray) -> np.ndarray:
    """`out` (bool, in place) with `op` (a uint8 crop of the mask -> the operation's result)
    worked out in each `tile`-px tile that has a mask pixel within `reaches` times the
    kernel's reach, on the tile and that much of the mask round it."""
    h, w = mask.shape
    ry, rx = reaches * (kernel.shape[0] // 2), reaches * (kernel.shape[1] // 2)
    rows, cols = -(-h // tile), -(-w // tile)
    has = np.zeros((rows, cols * tile), bool)
    for r in range(rows):  # a band of rows at a time: no page-size copy
        has[r, :w] = mask[r * tile : (r + 1) * tile].any(axis=0)
    tiles = np.asarray(has.reshape(rows, cols, tile).any(axis=2), np.uint8)
    grow = (2 * -(-ry // tile) + 1, 2 * -(-rx // tile) + 1)  # tiles within reach, each way
    near = cv2.dilate(tiles, np.ones(grow, np.uint8)).view(bool)
    m: np.ndarray = mask.view(np.uint8)
    for ty, tx in zip(*np.nonzero(near), strict=True):
        y0, x0 = ty * tile, tx * tile
        y1, x1 = min(h, y0 + tile), min(w, x0 + tile)
        top, left = max(0, y0 - ry), max(0, x0 - rx)
        crop = op(m[top : min(h, y1 + ry), left : min(w, x1 + rx)])
        out[y0:y1, x0:x1] = crop[y0 - top : y1 - top, x0 - left : x1 - left].view(bool)
    return out


def _bold_strokes(lines: LineMap) -> np.ndarray | None:
    """The bold strokes: every line pixel within the bold core's reach of it (None where no
    stroke is wider than 2 * THIN_PASSES px)."""
    deep = lines.to_paper > THIN_PASSES + 0.5
    if not deep.any():
        return None
    reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * BOLD_PASSES + 1,) * 2)
    return dilate_near(deep, reach) & big_lines(lines)


def _slit_fills(lines: LineMap, taken: np.ndarray, size: int = SLIT_KERNEL,
                bold: np.ndarray | None = None) -> list[BoldFill]:
    """find_bold_slits' fills before the paper test; none overlapping the pixels `taken`
    ((N, 2) row, col). `size`: the closing's kernel (px); a slit is at most one px less
    across (SLIT_MAX_WIDTH at SLIT_KERNEL). `bold`: _bold_strokes, if made already."""
    max_width = SLIT_MAX_WIDTH + (size - SLIT_KERNEL)
    if bold is None:
        bold = _bold_strokes(lines)
    if bold is None:
        return []
    line = lines.line
    h, w = line.shape
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    fill = close_near(bold, kernel) & ~line
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        fill.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    done = np.zeros((h, w), bool)
    done[taken[:, 0], taken[:, 1]] = True
    found: list[BoldFill] = []
    for c in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[c])
        if area < 2 or x == 0 or y == 0 or x + bw == w or y + bh == h:
            continue
        pix = np.argwhere(labels[y : y + bh, x : x + bw] == c) + (y, x)
        if done[pix[:, 0], pix[:, 1]].any():
            continue
        (_, _), (side_a, side_b), _ = cv2.minAreaRect(pix[:, ::-1].astype(np.float32))
        along = max(side_a, side_b) + 1.0
        across = area / along  # the mean width: a rectangle's staircase ends are no wider
        if area < SLIT_FILL_SHARE * along * (min(side_a, side_b) + 1.0):
            continue  # a crack or a crooked channel, not a cut straight across
        # The stroke's width with the slit filled, across the slit: a slit across a stroke is
        # about as long as that; paper between two thin lines (a tube drawn in outline) fills
        # to a stroke no wider than the two lines and the paper between them.
        m = 2 * BOLD_PASSES
        y0, x0 = max(0, y - m), max(0, x - m)
        y1, x1 = min(h, y + bh + m), min(w, x + bw + m)
        solid = line[y0:y1, x0:x1] | (labels[y0:y1, x0:x1] == c)
        depth = cv2.distanceTransform(solid.view(np.uint8), cv2.DIST_L2, 3)
        width = 2.0 * float(depth[pix[:, 0] - y0, pix[:, 1] - x0].max()) - 1.0
        if (across > max_width or width <= 2 * THIN_PASSES
                or not BOLD_SLIT_SPAN[0] * width <= along <= BOLD_SLIT_SPAN[1] * width
                or not _faces_are_bold(line, pix, SLIT_FACE_DEPTH * width, max_width)):
            continue
        # Its soft edge: the paper 8-adjacent to it (the fill does not touch the image edge).
        ring = ring_of((labels[y - 1 : y + bh + 1, x - 1 : x + bw + 1] == c).view(np.uint8))
        soft = np.argwhere(ring & ~line[y - 1 : y + bh + 1, x - 1 : x + bw + 1]) + (y - 1, x - 1)
        found.append((pix, soft, max(1, round(across)), width))
    return found


def _faces_are_bold(line: np.ndarray, pixels: np.ndarray, depth: float,
                    max_width: float = SLIT_MAX_WIDTH) -> bool:
    """Whether the line on both long sides of a slit's fill `pixels` ((N, 2) row, col) runs at
    least `depth` px deep, straight away from it, through its middle half: the two faces of a
    stroke cut across. Paper between a thick line and a thin one running beside it (a tyre and
    its rim) has a thin line on one side."""
    pts = pixels.astype(np.float64)
    centre = pts.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov((pts - centre).T))
    along, normal = vectors[:, 1], vectors[:, 0]  # eigh: ascending eigenvalues
    t = (pts - centre) @ along
    middle = pts[np.abs(t) <= max(1.0, 0.25 * float(np.ptp(t)))]
    h, w = line.shape
    fill = np.zeros((h, w), bool)
    fill[pixels[:, 0], pixels[:, 1]] = True
    reach = int(math.ceil(depth))
    steps = np.arange(1, 2 * max_width + reach + 2, 0.5)
    deep_sides = 0
    picks = middle[np.linspace(0, len(middle) - 1, min(len(middle), 7)).astype(int)]
    for point in picks:
        ok = True
        for sign in (1.0, -1.0):
            ray = np.rint(point + sign * steps[:, None] * normal).astype(int)
            inside = (ray[:, 0] >= 0) & (ray[:, 0] < h) & (ray[:, 1] >= 0) & (ray[:, 1] < w)
            ray = ray[inside]
            on_fill = fill[ray[:, 0], ray[:, 1]]
            past = np.argmax(~on_fill) if (~on_fill).any() else len(ray)
            ink = line[ray[past:, 0], ray[past:, 1]]
            run = np.argmax(~ink) if (~ink).any() else len(ink)
            ok = ok and run * 0.5 >= depth
        deep_sides += int(ok)
    return deep_sides >= max(1, math.ceil(0.6 * len(picks)))


def _parts_paper(closed: np.ndarray, pixels: np.ndarray, width: float) -> bool:
    """Whether the fill `pixels` ((N, 2) row, col; line in `closed`, the line map with the
    breaks filled) parts the paper around it, within BOLD_SEAL_WIDTHS stroke widths: open
    paper (NECK_OPEN_PAPER px from any line) of two regions touches it. Two bold dashes that
    face each other on purpose (a dashed line, motion lines) have the same paper all round
    them once joined."""
    y0, y1, x0, x1 = _seal_box(closed.shape, pixels, width)
    return _opens_two(closed[y0:y1, x0:x1], pixels - (y0, x0))


def _seal_box(shape: tuple[int, ...], pixels: np.ndarray, width: float
              ) -> tuple[int, int, int, int]:
    """Rows y0:y1, columns x0:x1: the fill `pixels` ((N, 2) row, col) and BOLD_SEAL_WIDTHS
    times `width` round them, within the page `shape`."""
    m = int(math.ceil(BOLD_SEAL_WIDTHS * width))
    y0, x0 = (int(v) for v in np.maximum(0, pixels.min(axis=0) - m))
    y1, x1 = (int(v) for v in np.minimum(shape[:2], pixels.max(axis=0) + m + 1))
    return y0, y1, x0, x1


def _opens_two(window: np.ndarray, pixels: np.ndarray) -> bool:
    """open_on_two_sides of the fill `pixels` ((N, 2) row, col in the window) in `window`."""
    fill = np.zeros(window.shape, np.uint8)
    fill[pixels[:, 0], pixels[:, 1]] = 1
    return open_on_two_sides(window, fill.view(bool), ring_of(fill))


def _paper_between(lines: LineMap, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the straight way between two tips runs over paper (at most MAX_CROSSING line)."""
    steps = int(math.ceil(float(np.hypot(*(b - a))))) + 1
    t = np.linspace(0.0, 1.0, max(steps, 3))[1:-1, None]
    pts = np.rint(a + t * (b - a)).astype(np.int64)
    h, w = lines.line.shape
    on = lines.line[pts[:, 0].clip(0, h - 1), pts[:, 1].clip(0, w - 1)]
    return bool(on.mean() <= MAX_CROSSING)


def as_necks(found: list[tuple[np.ndarray, np.ndarray, int]], whole: bool = False,
              faint: bool = False) -> Necks:
    """Necks from (solid pixels, soft pixels, gap) each, all drawn `whole` or none, all
    `faint` or none."""
    if not found:
        return no_necks()
    boxes = [(int(p[:, 1].min()), int(p[:, 0].min()), int(np.ptp(p[:, 1])) + 1,
              int(np.ptp(p[:, 0])) + 1) for p, _, _ in found]
    return Necks(np.concatenate([f[0] for f in found]).astype(np.int64),
                 np.concatenate([[0], np.cumsum([len(f[0]) for f in found])]).astype(np.int64),
                 np.concatenate([f[1] for f in found]).reshape(-1, 2).astype(np.int64),
                 np.concatenate([[0], np.cumsum([len(f[1]) for f in found])]).astype(np.int64),
                 np.array(boxes, np.int64), np.array([f[2] for f in found], np.int64),
                 np.full(len(found), whole), np.full(len(found), faint))


def join_necks(a: Necks, b: Necks) -> Necks:
    """The necks of `a`, then those of `b`."""
    if not len(b):
        return a
    if not len(a):
        return b
    return Necks(np.concatenate([a.pixels, b.pixels]),
                 np.concatenate([a.offsets, b.offsets[1:] + a.offsets[-1]]),
                 np.concatenate([a.soft, b.soft]),
                 np.concatenate([a.soft_offsets, b.soft_offsets[1:] + a.soft_offsets[-1]]),
                 np.concatenate([a.bbox, b.bbox]), np.concatenate([a.gap, b.gap]),
                 np.concatenate([a.whole, b.whole]), np.concatenate([a.faint, b.faint]))


def paper_regions(paper: np.ndarray) -> np.ndarray:
    # 4-connectivity, as flood fills spread.
    return cv2.connectedComponents(paper.view(np.uint8), connectivity=4, ltype=cv2.CV_32S)[1]


def ring_of(stroke: np.ndarray) -> np.ndarray:
    """The pixels 8-adjacent to `stroke` (uint8 0/1) outside it, as bool."""
    return cv2.dilate(stroke, np.ones((3, 3), np.uint8)).view(bool) & ~stroke.view(bool)


def joins_pieces(line: np.ndarray, ring: np.ndarray) -> bool:
    """Whether the ring around a stroke touches two or more 8-connected pieces of `line`."""
    pieces = cv2.connectedComponents(line.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)[1]
    return len(np.unique(pieces[ring & line])) >= 2


def neck_window(box: tuple[int, int, int, int], shape: tuple[int, ...]
                ) -> tuple[tuple[int, int], tuple[int, int]]:
    """(rows, cols) ranges within NECK_RADIUS px of a neck's box (x, y, w, h)."""
    x, y, w, h = box
    return ((max(0, y - NECK_RADIUS), min(shape[0], y + h + NECK_RADIUS)),
            (max(0, x - NECK_RADIUS), min(shape[1], x + w + NECK_RADIUS)))


def big_lines(lines: LineMap, rows: slice = slice(None), cols: slice = slice(None)
              ) -> np.ndarray:
    """bool: the line pixels of pieces of at least NECK_MIN_PIECE px (in a window)."""
    big = lines.areas >= NECK_MIN_PIECE  # a small table: looked up 3x faster than the areas
    return lines.line[rows, cols] & big[lines.pieces[rows, cols]]


def bridge_in(line: np.ndarray, fill: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The bridge that the fill `fill` (bool) of a closing holds between the two nearest pieces
    of line of the window `line` (bool) it touches: the paper (bool) of a 1-px 8-connected
    segment between their nearest pixels, and the fill's pixels on a shortest way across
    (within NECK_TIE px of it; bool: as wide as the lines where they face each other). None where
    the fill touches one piece only (the inside of a corner: one line runs round it), or where
    its pixels within NECK_BAND px of the shortest way across are more than NECK_MAX_AREA px or
    NECK_MAX_SIDE px across (the paper between close parallel lines: the shortest way across is
    anywhere along them)."""
    ring = cv2.dilate(fill.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    _, apart = cv2.connectedComponents(line.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    touched = [t for t in np.unique(apart[ring & line]).tolist() if t]
    if len(touched) < 2:
        return None
    to = {t: cv2.distanceTransform((apart != t).view(np.uint8), cv2.DIST_L2, 5)
          for t in touched}
    pair = (touched[0], touched[1])
    shortest = np.inf
    for i, a in enumerate(touched):
        for b in touched[i + 1 :]:
            length = float((to[a] + to[b])[fill].min())
            if length < shortest:
                shortest, pair = length, (a, b)
    across = to[pair[0]] + to[pair[1]]
    yy, xx = np.nonzero(fill & (across <= shortest + NECK_BAND))
    side = max(int(yy.max() - yy.min()), int(xx.max() - xx.min())) + 1
    if len(yy) > NECK_MAX_AREA or side > NECK_MAX_SIDE:
        return None
    k = int(np.argmin(np.where(fill, across, np.inf)))
    middle = np.array(np.unravel_index(k, fill.shape))
    points = []
    for t in pair:
        py, px = np.nonzero(apart == t)
        j = int(np.argmin((py - middle[0]) ** 2 + (px - middle[1]) ** 2))
        points.append((int(px[j]), int(py[j])))
    segment = np.zeros(fill.shape, np.uint8)
    cv2.line(segment, points[0], points[1], 1, 1, cv2.LINE_8)
    bridge = segment.view(bool) & ~line
    if not bridge.any():
        return None
    return bridge, fill & (across <= shortest + NECK_TIE)


def seals(line: np.ndarray, neck: np.ndarray) -> bool:
    """Whether the pixels `neck` (bool) close a break in the window `line` (bool) around them:
    they touch two pieces of line that are apart in the window, with open paper
    (NECK_OPEN_PAPER px from any line) on two sides of them."""
    ring = ring_of(neck.view(np.uint8))
    return joins_pieces(line, ring) and open_on_two_sides(line, neck, ring)


def open_on_two_sides(line: np.ndarray, neck: np.ndarray, ring: np.ndarray) -> bool:
    """Whether open paper (NECK_OPEN_PAPER px from any line) of two regions of the window
    `line` (bool) touches the pixels `neck` (bool; `ring`: ring_of them) once they are filled."""
    paper = ~(line | neck)
    sides = paper_regions(paper)
    depth = cv2.distanceTransform(paper.view(np.uint8), cv2.DIST_L2, 3)
    touching = np.unique(sides[ring & paper]).tolist()
    return sum(1 for side in touching
               if side and depth[sides == side].max() >= NECK_OPEN_PAPER) >= 2


def pairs_within(p: np.ndarray, q: np.ndarray, radius: float, block: int = 2048
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, distance) for every point p[i] and q[j] at most `radius` apart (rows, cols), in
    order of i, then of q[j]'s row (stable: then j).

    The points q are kept in rows of cells `radius` px tall, each row sorted by column, so each
    p[i] is compared with the q in the three cell rows round it and within `radius` columns of
    it, not with every q in its band of rows across the whole page (on a wide page with shading,
    thousands of points per tip: 50,000 tips on a 52 MP page took 0.52 s, now 0.09 s).
    """
    if not len(p) or not len(q):
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    radius = float(radius)
    cell = max(radius, 1.0)
    by_row = np.argsort(q[:, 0], kind="stable")
    rank = np.empty(len(q), np.int64)
    rank[by_row] = np.arange(len(q))  # each q's place in row order, which the output keeps
    lo_x = min(float(p[:, 1].min()), float(q[:, 1].min())) - radius - 1.0
    span = max(float(p[:, 1].max()), float(q[:, 1].max())) + radius + 1.0 - lo_x + 1.0
    q_cell = np.floor(q[:, 0] / cell)
    q_key = q_cell * span + (q[:, 1] - lo_x)
    order = np.argsort(q_key, kind="stable")
    keys = q_key[order]
    out_i, out_j, out_d = [], [], []
    for lo_p in range(0, len(p), block):
        pb = p[lo_p : lo_p + block]
        p_cell = np.floor(pb[:, 0] / cell)
        x = pb[:, 1] - lo_x
        parts_i, parts_j = [], []
        for dy in (-1.0, 0.0, 1.0):
            base = (p_cell + dy) * span
            lo = np.searchsorted(keys, base + x - radius, "left")
            hi = np.searchsorted(keys, base + x + radius, "right")
            counts = hi - lo
            i = np.repeat(np.arange(len(pb)), counts)
            within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            parts_i.append(i)
            parts_j.append(order[np.repeat(lo, counts) + within])
        i = np.concatenate(parts_i)
        j = np.concatenate(parts_j)
        d = np.hypot(pb[i, 0] - q[j, 0], pb[i, 1] - q[j, 1])
        keep = d <= radius
        i, j, d = i[keep], j[keep], d[keep]
        sort = np.lexsort((rank[j], i))
        out_i.append(i[sort] + lo_p)
        out_j.append(j[sort])
        out_d.append(d[sort])
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_d)


def _ray_hits(lines: LineMap, ends: StrokeEnds, max_gap: int, block: int = 512
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where rays fanned out from each tip first meet line after crossing paper.

    Returns (end, hit row, hit col, kind) for the nearest hit of the fan (KIND_NEAREST), the
    nearest hit within AHEAD_COS of the end's direction (KIND_AHEAD) when it is farther, and
    the hit of the ray along the end's own direction (also KIND_AHEAD) when that is farther
    still: a stroke whose continuation lies straight ahead, past a line nearer to one side of
    it (a break along a contour next to hatching or another stroke's end). "Farther" is by
    more than a pixel, or any distance on other line (hits more than HIT_APART px apart): a
    stroke stopping 3 px short of a line ahead, with a line 2.5 px to its side (a junction cut
    out, where the lines that meet there pass close by), gets a bridge to each.
    Dust (pieces of at most SPECK_AREA px) is paper to the rays. A ray must cross paper before
    a hit, so the end's own stroke, which it starts in, never counts; its own line met again
    after paper (a stroke curling back, or stopping short of the line it started from) does.
    """
    h, w = lines.line.shape
    angles = np.deg2rad(np.linspace(-FAN_DEGREES, FAN_DEGREES, FAN_RAYS))
    steps = np.arange(1, 2 * max_gap + 1) * 0.5  # px along each ray
    ahead_ray = np.cos(angles) >= AHEAD_COS
    # Dust is paper to the rays.
    solid = (lines.areas > SPECK_AREA)[lines.pieces]
    solid &= lines.line
    out: list[np.ndarray] = []
    for lo in range(0, len(ends), block):
        tip = ends.tip[lo : lo + block]
        d = ends.direction[lo : lo + block]
        cos, sin = np.cos(angles)[None, :], np.sin(angles)[None, :]
        ry = d[:, :1] * cos - d[:, 1:] * sin  # (B, R) ray directions, rotated by each angle
        rx = d[:, :1] * sin + d[:, 1:] * cos
        py = tip[:, None, None, 0] + ry[..., None] * steps  # (B, R, S)
        px = tip[:, None, None, 1] + rx[..., None] * steps
        iy, ix = np.rint(py).astype(np.int64), np.rint(px).astype(np.int64)
        inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
        np.clip(iy, 0, h - 1, out=iy)
        np.clip(ix, 0, w - 1, out=ix)
        # A straight ray that leaves the canvas never comes back, so outside is paper to it.
        on = solid[iy, ix]
        on &= inside
        crossed = np.logical_or.accumulate(~on, axis=2)
        hit = on & crossed
        any_hit = hit.any(axis=2)
        first = hit.argmax(axis=2)  # (B, R)
        dist = np.where(any_hit, steps[first], np.inf)
        b = np.arange(len(tip))
        nearest = dist.argmin(axis=1)
        ahead_dist = np.where(ahead_ray[None, :], dist, np.inf)
        ahead = ahead_dist.argmin(axis=1)
        straight = np.full(len(tip), FAN_RAYS // 2)  # the middle ray: the end's direction
        hits = np.stack([np.take_along_axis(iy, first[..., None], axis=2)[..., 0],
                         np.take_along_axis(ix, first[..., None], axis=2)[..., 0]], axis=2)
        for ray, kind, valid in (
            (straight, KIND_AHEAD, np.isfinite(dist[b, straight])
             & _other_hit(hits, dist, straight, ahead_dist, ahead)),
            (nearest, KIND_NEAREST, np.isfinite(dist[b, nearest])),
            (ahead, KIND_AHEAD, np.isfinite(ahead_dist[b, ahead])
             & _other_hit(hits, ahead_dist, ahead, dist, nearest)),
        ):
            k = np.nonzero(valid)[0]
            s = first[k, ray[k]]
            out.append(np.stack([k + lo, iy[k, ray[k], s], ix[k, ray[k], s],
                                 np.full(len(k), kind)], axis=1))
    table = np.concatenate(out) if out else np.zeros((0, 4), np.int64)
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3]


def _other_hit(hits: np.ndarray, dist: np.ndarray, ray: np.ndarray,
               dist_to: np.ndarray, ray_to: np.ndarray) -> np.ndarray:
    """(B,) bool: each end's hit by `ray` is farther than its hit by `ray_to` by over a pixel,
    or lies on other line (not the same or a neighbouring pixel). `hits` (B, R, 2): each ray's
    hit pixel; `dist`, `dist_to` (B, R): the distances the two rays are ranked by."""
    b = np.arange(len(ray))
    apart = np.abs(hits[b, ray] - hits[b, ray_to]).max(axis=1) > HIT_APART
    return (dist[b, ray] > dist_to[b, ray_to] + 1.0) | apart


def tip_crowding(ends: StrokeEnds) -> np.ndarray:
    """(E,) how many other tips lie within CROWD_RADIUS of each end's tip: a fixed radius, so
    the feature means the same whatever max gap the candidates were searched with."""
    ci, cj, _ = pairs_within(ends.tip, ends.tip, CROWD_RADIUS)
    return np.bincount(ci[ci != cj], minlength=len(ends)).astype(np.float64)


def side_crowding(ends: StrokeEnds) -> np.ndarray:
    """(E,) how many other tips lie within CROWD_RADIUS of each end's tip and more than
    CROWD_ALONG px (and CROWD_SLANT of the way along) to either side of the line through it
    along its direction (a short dash's axis, _dash_axes): the marks of shading lie side by
    side, a dashed stroke's own dashes one after another along it (stop 54: the art4apps
    goat's nose line counted as crowded as hatching)."""
    ci, cj, _ = pairs_within(ends.tip, ends.tip, CROWD_RADIUS)
    other = ci != cj
    ci, cj = ci[other], cj[other]
    direction = _dash_axes(ends)
    offset = ends.tip[cj] - ends.tip[ci]
    side = np.abs(offset[:, 0] * direction[ci, 1] - offset[:, 1] * direction[ci, 0])
    along = np.abs((offset * direction[ci]).sum(axis=1))
    beside = side > CROWD_ALONG + CROWD_SLANT * along
    return np.bincount(ci[beside], minlength=len(ends)).astype(np.float64)


def _dash_axes(ends: StrokeEnds) -> np.ndarray:
    """(E, 2) each end's direction, but for a short dash's two ends (a piece with two, within
    CROWD_DASH px of each other) the way from the other end to it: the skeleton of a dash of
    2 x 4 px gives its ends directions 40 degrees off its axis."""
    direction = ends.direction.copy()
    if not len(ends):
        return direction
    count = np.bincount(ends.piece)
    two = np.nonzero(count[ends.piece] == 2)[0]
    two = two[np.argsort(ends.piece[two], kind="stable")]
    a, b = two[0::2], two[1::2]
    axis = ends.tip[a] - ends.tip[b]
    size = np.hypot(axis[:, 0], axis[:, 1])
    short = (size >= 1.0) & (size <= CROWD_DASH)
    a, b, axis = a[short], b[short], axis[short] / size[short, None]
    direction[a], direction[b] = axis, -axis
    return direction


def from_other_end(cands: Candidates, rows: np.ndarray, crowding: np.ndarray) -> Candidates:
    """The end-to-end candidates `rows` of `cands` asked from their other end: from end_b's tip
    to end_a's, with the two ends' features exchanged, and end_b's rank (among all of `cands`
    from it, shortest first) and crowding (tip_crowding) as propose gives its own candidates."""
    sub = cands.take(rows)
    if (sub.end_b < 0).any():
        raise ValueError("only a bridge between two stroke ends can be asked from its other end")
    f = sub.features.copy()
    for a, b in (("cos_a", "cos_b"), ("width_a", "width_b"), ("area_a", "area_b")):
        f[:, [FEATURES.index(a), FEATURES.index(b)]] = f[:, [FEATURES.index(b),
                                                            FEATURES.index(a)]]
    # Rank: how many candidates from end_b are shorter (one sorted key per candidate: its end,
    # then its length, which is under the key's step).
    step = float(cands.length.max(initial=0.0)) + 1.0
    keys = np.sort(cands.end_a * step + cands.length)
    rank = (np.searchsorted(keys, sub.end_b * step + sub.length, side="left")
            - np.searchsorted(keys, sub.end_b * step, side="left"))
    f[:, FEATURES.index("rank")] = rank_feature(rank)
    f[:, FEATURES.index("crowding")] = crowding_feature(crowding[sub.end_b])
    return Candidates(sub.end_b.copy(), sub.end_a.copy(), sub.stop.copy(), sub.start.copy(),
                      sub.kind.copy(), f, sub.width.copy())


def propose(lines: LineMap, ends: StrokeEnds, max_gap: int,
            crowding: np.ndarray | None = None) -> Candidates:
    """Every plausible bridge of at most `max_gap` px from each stroke end; `crowding`: the
    ends' tip_crowding, if the caller has it already."""
    n = len(ends)
    if n == 0 or max_gap <= 0:
        return _empty_candidates()
    if crowding is None:
        crowding = tip_crowding(ends)
    # End to end: every pair of tips within reach.
    i, j, _ = pairs_within(ends.tip, ends.tip, max_gap)
    pair = i < j
    i, j = i[pair], j[pair]
    ee = np.column_stack([i, j, ends.tip[i], ends.tip[j], np.full(len(i), KIND_END_END),
                          np.minimum(ends.width[i], ends.width[j])])
    # End to line: the nearest line a fan of rays meets, and the first line straight ahead.
    a, hy, hx, kind = _ray_hits(lines, ends, max_gap)
    hit = np.column_stack([hy, hx]).astype(np.float64)
    # As wide as the thinner line: the end's stroke at its tip, or the line where it lands.
    way = hit - ends.tip[a]
    way /= np.hypot(way[:, 0], way[:, 1]).clip(min=1e-6)[:, None]
    end_width = np.minimum(ends.width[a], tip_widths(lines, ends.tip[a], way))
    # A blob's edge (a checkerboard's square, a dab of shadow) is no stroke to carry on.
    end_width = np.where(stroke_ends(lines, ends, ends.width)[a], end_width, 1.0)
    _, target_width = landing(lines, ends.tip[a], hit, end_width)
    el = np.column_stack([a, np.full(len(a), -1), ends.tip[a], hy, hx, kind,
                          np.minimum(end_width, target_width)])
    table = np.concatenate([ee.astype(np.float64), el.astype(np.float64)])
    if not len(table):
        return _empty_candidates()
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


def stroke_ends(lines: LineMap, ends: StrokeEnds, width: np.ndarray) -> np.ndarray:
    """(N,) bool: which ends, `width` px wide, end a stroke, not a blob: their piece of line is
    at least BOLD_PIECE widths long (its area over the width squared; an eye or a dab of
    shadow has a skeleton end as wide: the chicken of Tux Paint, a square of a checkerboard)
    and at least BOLD_FILL of that width wide on the whole (its area over its skeleton's
    length; thinning leaves the core of a fill wider than 16 px standing: a lobe of a mass of
    hair, Open Peeps)."""
    if not len(ends):
        return np.zeros(0, bool)
    areas = lines.areas[ends.piece]
    skeleton = np.bincount(lines.pieces[lines.skeleton], minlength=len(lines.areas))
    width = np.asarray(width, np.float64)
    return (areas >= BOLD_PIECE * width**2) & (areas >= BOLD_FILL * width * skeleton[ends.piece])


def tip_widths(lines: LineMap, tip: np.ndarray, way: np.ndarray) -> np.ndarray:
    """(N,) px: how wide strokes are across bridges leaving their tips `tip` ((N, 2) row, col)
    along the unit vectors `way`, TIP_BACK px behind the tips (at least 1). StrokeEnds.width is
    the widest of an end's last px of skeleton: a stroke that tapers to its tip reads as wide
    as it is there, not at its tip. Across the bridge, not the end's direction: the skeleton of
    a bold end cut square forks to its corners, whose directions run off the stroke's axis."""
    if not len(tip):
        return np.zeros(0)
    centre = tip - TIP_BACK * way
    across = np.stack([-way[:, 1], way[:, 0]], axis=1)
    (left, in_left), (right, in_right) = ray_samples(lines.line, centre[:, 0], centre[:, 1],
                                                     across, WIDTH_REACH)
    # Samples on line in a row from the middle, either way (the middle is the first of both).
    left = np.logical_and.accumulate(left & in_left, axis=1).sum(axis=1)
    right = np.logical_and.accumulate(right & in_right, axis=1).sum(axis=1)
    # The samples on line span the stroke's width less about a px (each samples a px's middle).
    span = (np.maximum(right - 1, 0) + np.maximum(left - 1, 0)) * 0.5
    return np.where(right > 0, span + 1.0, 1.0)


def landing(lines: LineMap, start: np.ndarray, stop: np.ndarray, width: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Where bridges from `start` to the side of a line at `stop` (row, col; the first px of
    line on their way) land, and how wide that line is there: (N, 2) row, col and (N,) px.

    The first px of line is its edge, where the distance to paper reads 1 whatever the line
    (a bridge given that width was drawn 1 px wide onto a bold stroke). Each bridge's way is
    followed on into the line, half a px at a time, until the line is as wide as the
    bridge's `width` (a stroke end's: a closure is as wide as the thinner line), the distance
    to paper falls (past the line's middle), the line ends, or the way has gone LANDING_SLANT
    times as far as that depth (a way running into a tapering tip lengthwise goes deeper
    slowly: the line is as thin as the tip where it lands); the landing is the deepest point
    met first, the width there 2 x distance to paper - 1 (at least 1)."""
    n = len(start)
    if not n:
        return np.zeros((0, 2)), np.zeros(0)
    vector = stop - start
    unit = vector / np.hypot(vector[:, 0], vector[:, 1]).clip(min=1e-6)[:, None]
    steps = ray_steps(LANDING_REACH)
    # The distance to paper is 0 off line (off the page: the edge's).
    depth = ray_samples(lines.to_paper, stop[:, 0], stop[:, 1], unit, LANDING_REACH)[1][0]
    # Followed while on line, not past a fall, and no deeper than the bridge needs.
    going = np.ones((n, 1), bool)
    going = np.concatenate([going, (depth[:, 1:] >= depth[:, :-1]) & (depth[:, 1:] > 0)], axis=1)
    need = (np.maximum(np.asarray(width, np.float64), 1.0) + 1.0) / 2.0
    going[:, 1:] &= ~(depth >= need[:, None])[:, :-1]
    going &= steps[None, :] <= LANDING_SLANT * need[:, None]
    depth = np.where(np.logical_and.accumulate(going, axis=1), depth, -1.0)
    k = depth.argmax(axis=1)
    rows = np.arange(n)
    return stop + steps[k, None] * unit, (2.0 * depth[rows, k] - 1.0).clip(min=1.0)


def _plausible(lines: LineMap, ends: StrokeEnds, table: np.ndarray) -> np.ndarray:
    """Rows of the candidate table worth scoring.

    Dropped: a bridge that heads back into its own stroke (more than BACKWARD past the
    perpendicular, at either end), one that runs over line for much of its way (it would cross
    a line, not close a break; fragments of FRAGMENT_AREA px or less do not count), and a
    bridge to the side of a line that lands next to another end's tip (the end-to-end
    candidate to that tip covers it).
    """
    end_a, end_b = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
    stop = table[:, 4:6]
    to_end = end_b >= 0
    # A block of rows at a time: each row samples 17 points, and a shaded page has over a
    # million rows (1.2 GB of samples at once on a 52 MP page).
    keep = np.zeros(len(table), bool)
    for lo in range(0, len(table), PLAUSIBLE_BLOCK):
        keep[lo : lo + PLAUSIBLE_BLOCK] = _heads_across(lines, ends,
                                                        table[lo : lo + PLAUSIBLE_BLOCK])
    side = np.nonzero(~to_end & keep)[0]
    if len(side):
        k, e, _ = pairs_within(stop[side], ends.tip, NEAR_TIP)
        a = end_a[side[k]]
        # Only where that end-to-end candidate is itself kept: where it heads back into the
        # other end's stroke (a stroke meeting a line that stops at the meeting point, cut
        # there), the bridge to the side of the line is the one that closes the break.
        n = len(ends)
        ee = to_end & keep
        kept_pairs = (np.minimum(end_a[ee], end_b[ee]) * n + np.maximum(end_a[ee], end_b[ee]))
        covered = np.isin(np.minimum(a, e) * n + np.maximum(a, e), kept_pairs)
        keep[side[k[(e != a) & covered]]] = False
    return keep


def _heads_across(lines: LineMap, ends: StrokeEnds, table: np.ndarray) -> np.ndarray:
    """_plausible's test of each row on its own: the bridge heads away from its own stroke (and
    the other end's) and runs over line for at most MAX_CROSSING of its way."""
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
    # A fragment of line lying in the break (what is left between two breaks, a remnant
    # tip) is crossed by the bridge over the whole break, not a line it runs along.
    on_line = lines.areas[lines.pieces[iy, ix]] > FRAGMENT_AREA
    on_line &= lines.line[iy, ix]
    along = t[..., 0] * length[:, None]
    interior = (along > 1.5) & (along < length[:, None] - 1.5)
    crossing = (on_line & interior).sum(axis=1) / interior.sum(axis=1).clip(min=1)
    return keep & (crossing <= MAX_CROSSING)


def rank_feature(rank: np.ndarray) -> np.ndarray:
    return np.minimum(rank, RANK_TOP) / RANK_TOP


def crowding_feature(tips: np.ndarray) -> np.ndarray:
    return np.minimum(tips, CROWD_TOP) / CROWD_TOP


def feature_rank(features: np.ndarray) -> np.ndarray:
    """(N,) the rank candidates' features (N, len(FEATURES)) hold, 0 to RANK_TOP."""
    return np.rint(features[:, FEATURES.index("rank")] * RANK_TOP)


def feature_crowding(features: np.ndarray) -> np.ndarray:
    """(N,) the other tips round each candidate's end its features hold, 0 to CROWD_TOP."""
    return features[:, FEATURES.index("crowding")] * CROWD_TOP


def area_feature(area: np.ndarray | float) -> np.ndarray:
    """The "area_a" / "area_b" features of a piece of line `area` px large."""
    return np.log1p(area) / 8.0


def _stop_pixels(lines: LineMap, stop: np.ndarray) -> np.ndarray:
    """(N, 2) int row, col of the pixel under each of the points `stop` (clipped to the map)."""
    stop_px = np.rint(stop).astype(int)
    stop_px[:, 0] = stop_px[:, 0].clip(0, lines.line.shape[0] - 1)
    stop_px[:, 1] = stop_px[:, 1].clip(0, lines.line.shape[1] - 1)
    return stop_px


def reached_pieces(lines: LineMap, ends: StrokeEnds, end_b: np.ndarray, stop: np.ndarray
                   ) -> np.ndarray:
    """(N,) label of the piece of line each bridge reaches: its end b's piece, or for a bridge
    to the side of a line (end_b -1) the piece under its stop (0 where that is paper)."""
    stop_px = _stop_pixels(lines, stop)
    # The tip of an end lies on its stroke's edge; the piece it reaches is read there or, for a
    # tip that ended on paper, at its skeleton end point.
    return np.where(end_b >= 0, ends.piece[np.maximum(end_b, 0)],
                    lines.pieces[stop_px[:, 0], stop_px[:, 1]])


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
    stop_px = _stop_pixels(lines, stop)
    piece_b = reached_pieces(lines, ends, end_b, stop)
    width_b = np.where(to_end, ends.width[safe_b],
                       2.0 * lines.to_paper[stop_px[:, 0], stop_px[:, 1]] - 1.0).clip(min=1.0)
    # Rank of each candidate among those of its end, shortest first (so the same whatever the
    # max gap: only longer candidates come and go with it).
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
        area_feature(lines.areas[piece_a]),
        area_feature(lines.areas[piece_b]),
        (kind == KIND_AHEAD).astype(np.float64),
        rank_feature(rank),
        crowding_feature(crowding[end_a]),
    ], axis=1).astype(np.float32)


def bridge_curves(start: np.ndarray, stop: np.ndarray, dir_a: np.ndarray, dir_b: np.ndarray,
                  steps: int | np.ndarray, overlap: float = 0.0) -> np.ndarray:
    """(N, steps, 2) points (row, col) of one cubic per bridge from `start` to `stop`: it leaves
    the start along `dir_a` (the stroke's direction) and meets the stop along `-dir_b` (`dir_b`:
    the other stroke's direction, pointing out of its tip). Each handle shrinks to nothing as
    its direction turns away from the bridge, so a noisy direction never makes the curve bulge;
    `overlap` px extend the curve back into both strokes. `steps` (N,): each curve's own number
    of points, the last repeated up to the largest (a curve drawn with others is drawn as alone)."""
    length = np.hypot(*(stop - start).T)
    unit = (stop - start) / np.maximum(length, 1e-6)[:, None]
    handle_a = length / 3.0 * np.clip(((dir_a * unit).sum(1) - 0.5) / 0.4, 0.0, 1.0)
    handle_b = length / 3.0 * np.clip(((-dir_b * unit).sum(1) - 0.5) / 0.4, 0.0, 1.0)
    p0 = start - dir_a * overlap
    p1 = start + dir_a * handle_a[:, None]
    p2 = stop + dir_b * handle_b[:, None]
    p3 = stop - dir_b * overlap
    if np.ndim(steps):
        own = np.maximum(np.asarray(steps, np.int64), 2)
        t = np.minimum(np.arange(int(own.max(initial=2)))[None, :] / (own[:, None] - 1.0),
                       1.0)[..., None]
    else:
        t = np.linspace(0.0, 1.0, int(steps))[None, :, None]
    return ((1 - t) ** 3 * p0[:, None] + 3 * (1 - t) ** 2 * t * p1[:, None]
            + 3 * (1 - t) * t**2 * p2[:, None] + t**3 * p3[:, None])


def bridge_directions(ends: StrokeEnds, end_a: np.ndarray, end_b: np.ndarray,
                      start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Directions at the two sides of bridges from `start` to `stop`, as bridge_curves takes
    them: end a's, and end b's (-1: a bridge to the side of a line meets it straight on)."""
    unit = (stop - start) / np.maximum(np.hypot(*(stop - start).T), 1e-6)[:, None]
    dir_b = np.where((end_b >= 0)[:, None], ends.direction[np.maximum(end_b, 0)], -unit)
    return ends.direction[end_a], dir_b


def candidate_curves(cands: Candidates, ends: StrokeEnds, steps: int = CURVE_STEPS
                     ) -> np.ndarray:
    """(N, steps, 2) points (row, col) of the curve each candidate would be drawn along."""
    if not len(cands):
        return np.zeros((0, steps, 2))
    directions = bridge_directions(ends, cands.end_a, cands.end_b, cands.start, cands.stop)
    return bridge_curves(cands.start, cands.stop, *directions, steps)


def curve_normals(pts: np.ndarray) -> np.ndarray:
    """(K, T, 2) unit vectors (row, col) across each curve of `pts` (K, T, 2 row, col) at each
    of its points."""
    tangent = np.gradient(pts, axis=1)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=2, keepdims=True), 1e-6)
    return np.stack([-tangent[..., 1], tangent[..., 0]], axis=-1)


def ink_beside(ink: np.ndarray, pts: np.ndarray, normals: np.ndarray, shift: float
               ) -> np.ndarray:
    """(K, T) the ink `shift` px across each curve from each of its points (bilinear, paper
    outside the drawing), REMAP_ROWS curves at a time (cv2.remap takes maps of fewer than
    32767 rows: a shaded B4 page traces more curves than that)."""
    p = (pts + shift * normals).astype(np.float32)
    out = np.empty(p.shape[:2], np.float32)
    for lo in range(0, len(p), REMAP_ROWS):
        part = p[lo : lo + REMAP_ROWS]
        out[lo : lo + len(part)] = cv2.remap(
            ink, np.ascontiguousarray(part[..., 1]), np.ascontiguousarray(part[..., 0]),
            cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out


def faint_along(ink: np.ndarray, curves: np.ndarray, across: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(on, good), (K, T) each, for curves (K, T, 2 row, col) with their normals `across`: the
    darkest ink within TRACE_SPREAD px across each curve at each point, and whether a faint line
    runs there (on at least TRACE_LEVEL and TRACE_CONTRAST above the ink TRACE_SIDE px to either
    side, so not beside a line, across a dark fill or through JPEG noise; or, fainter, on at
    least TRACE_FAINTEST with the ink to either side at most TRACE_QUIET of it: a hairline on
    clean paper)."""
    on = np.maximum(np.maximum(ink_beside(ink, curves, across, -TRACE_SPREAD),
                               ink_beside(ink, curves, across, 0.0)),
                    ink_beside(ink, curves, across, TRACE_SPREAD))
    side = np.maximum(ink_beside(ink, curves, across, -TRACE_SIDE),
                      ink_beside(ink, curves, across, TRACE_SIDE))
    good = (on >= TRACE_LEVEL) & (on - side >= TRACE_CONTRAST)
    good |= (on >= TRACE_FAINTEST) & (side <= np.float32(TRACE_QUIET) * on)
    return on, good


def dotted_trace(curves: np.ndarray, good: np.ndarray, inside: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(found, whole), (K,) bool each: whether a faint line runs along each curve (K, T, 2)
    over its points `inside` (K, T), where `good` (faint_along) says one runs at each point:
    all the way (whole), or dotted, with no blank longer than DOT_GAP px and the line along
    DOT_SHARE of the way."""
    step = np.linalg.norm(np.diff(curves, axis=1), axis=2).astype(np.float64)
    # Each point stands for half the way to the points either side of it.
    length = 0.5 * (np.pad(step, ((0, 0), (1, 0))) + np.pad(step, ((0, 0), (0, 1))))
    blank = inside & ~good
    run = np.zeros(len(curves))  # px of blank so far in the current run
    longest = np.zeros(len(curves))
    for t in range(curves.shape[1]):
        run = np.where(blank[:, t], run + length[:, t], 0.0)
        longest = np.maximum(longest, run)
    along = (length * inside).sum(axis=1)
    faint = (length * (inside & good)).sum(axis=1)
    some = np.asarray(inside.any(axis=1), bool)
    whole = some & ~np.asarray(blank.any(axis=1), bool)
    return whole | (some & (longest <= DOT_GAP) & (faint >= DOT_SHARE * along)), whole


def traced(lines: LineMap, cands: Candidates, ends: StrokeEnds
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(found, width, whole), (N,) each: whether a faint line already runs the whole way
    along each bridge, dotted or not (dotted_trace), how wide that line is (px, 0 where none
    is), and whether it runs there without a blank.

    Such a bridge crosses a stretch of a stroke drawn lighter (a hairline, a pencil stroke
    where the pressure lifted), which reads as a break in the line map (ink under LINE_LEVEL)
    though the drawing shows the stroke going on. It is sampled along the curve a closure
    would be drawn on, off the tips (TRACE_TIP px, more for a bold end, TRACE_TIP_LINE off the
    line a bridge ends on): the line there is at least TRACE_LEVEL (the darkest within
    TRACE_SPREAD px across the curve) and at least TRACE_CONTRAST above the ink TRACE_SIDE px
    to either side, so a bridge beside a line, across a dark fill or through JPEG noise is no
    trace. The width is the median, along the bridge, of the px across the curve (TRACE_SIDE
    either side) where the ink is at least half the line's own darkness there.
    """
    n = len(cands)
    found, width = np.zeros(n, bool), np.zeros(n, np.float32)
    if n == 0:
        return found, width, found.copy()
    curves = candidate_curves(cands, ends).astype(np.float32)
    across = curve_normals(curves)
    off_a = np.linalg.norm(curves - curves[:, :1], axis=2)
    off_b = np.linalg.norm(curves - curves[:, -1:], axis=2)
    # Off each tip by TRACE_TIP, or by half its stroke's width and TRACE_TIP_PAD where that is
    # more (up to TRACE_TIP_MAX): beside a bold end's round edge the faint line stands out
    # from no paper.
    width_b = np.where(cands.end_b >= 0, ends.width[np.maximum(cands.end_b, 0)], 0.0)
    tip_a = np.clip(0.5 * ends.width[cands.end_a] + TRACE_TIP_PAD, TRACE_TIP, TRACE_TIP_MAX)
    tip_b = np.clip(0.5 * width_b + TRACE_TIP_PAD, TRACE_TIP, TRACE_TIP_MAX)
    # A bridge too short to keep a sample that far off its line keeps TRACE_TIP there.
    off_line = np.where(cands.length >= tip_a + TRACE_TIP_LINE + 1.0, TRACE_TIP_LINE, TRACE_TIP)
    tip_b = np.where(cands.end_b >= 0, tip_b, off_line)
    inside = (off_a > tip_a[:, None]) & (off_b > tip_b[:, None])

    on, good = faint_along(lines.ink, curves, across)
    found, whole = dotted_trace(curves, good, inside)
    rows = np.nonzero(found)[0]
    if len(rows):
        half = np.float32(0.5) * on[rows]
        shifts = np.arange(-TRACE_SIDE, TRACE_SIDE + 1e-6, TRACE_STEP)
        wide = sum((ink_beside(lines.ink, curves[rows], across[rows], float(t)) >= half
                    ).astype(np.float32) for t in shifts)
        wide = np.where(inside[rows], wide * np.float32(TRACE_STEP), np.nan)
        width[rows] = np.nanmedian(wide, axis=1)
    return found, width, whole


def area_level(step: np.ndarray) -> np.ndarray:
    """(N,) int: the prefilter level (index into AREA_STEPS) for patches of these steps."""
    level = np.searchsorted(np.asarray(AREA_STEPS), step - 1e-9)
    return np.minimum(level, len(AREA_STEPS) - 1)


def area_maps(lines: LineMap, level: int) -> tuple[np.ndarray, np.ndarray]:
    """(ink, pieces) as a patch whose px spans up to AREA_STEPS[level] drawing px reads them.

    The ink is blurred with a Gaussian of sigma 0.5 * sqrt(step^2 - 1) (the step's box, less
    the px's own) and scaled so that the middle of a 1-px line reads 1 again, then capped at 1:
    a 1-px line stays a continuous line of about full ink at any sampling phase, a bolder one
    is solid, and a speck (blurred in two directions, not one) fades. The piece labels grow by
    ceil((step - 1) / 2) px (the largest label wins), so nearest sampling never skips a 1-px
    stroke of the end's own piece."""
    if level <= 0:
        return lines.ink, lines.pieces
    step = AREA_STEPS[level]
    sigma = 0.5 * math.sqrt(step * step - 1.0)
    ink = cv2.GaussianBlur(lines.ink, (0, 0), sigmaX=sigma, sigmaY=sigma,
                           borderType=cv2.BORDER_CONSTANT)
    ink *= np.float32(math.sqrt(2.0 * math.pi) * sigma)
    np.minimum(ink, np.float32(1.0), out=ink)
    grow = math.ceil((step - 1.0) / 2.0)
    # float32 holds labels exactly up to 2**24; cv2.dilate takes no int32.
    labels = cv2.dilate(lines.pieces.astype(np.float32),
                        np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    return ink, labels.astype(np.int32)


def patches(lines: LineMap, cands: Candidates, ends: StrokeEnds, size: int = PATCH,
            block: int = 1000, bridge: str = BRIDGE_CHORD,
            sampling: str = SAMPLING_POINT,
            maps: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
            zoom: float = 1.0) -> np.ndarray:
    """(N, 3, size, size) float32: the ink, the end's own piece and the bridge, rotated so the
    bridge runs left to right through the middle and scaled so it spans half the patch at most
    (`zoom` times the drawing px the patch covers: the same candidate seen from nearer or
    farther, core.gaps.VIEW_ZOOMS).
    The bridge channel is 3 px wide along the straight chord (BRIDGE_CHORD) or along the curve
    a closure would be drawn on (BRIDGE_CURVE, candidate_curves).

    `sampling`: SAMPLING_POINT reads the drawing at each patch px; SAMPLING_AREA reads it
    prefiltered to the patch's px size (area_maps) where that is over 1 drawing px. Calls on
    the same line map may share a `maps` dict: it keeps the last level filtered (one level:
    two page-size maps), so calls given candidates in order of length filter each level once.

    All patches are sampled with one cv2.remap per block of candidates (a map of block * size
    rows) and prefilter level, not one warp each.
    """
    if sampling not in SAMPLING_KINDS:
        raise ValueError(f"sampling must be one of {SAMPLING_KINDS}, not {sampling!r}")
    n = len(cands)
    out = np.zeros((n, 3, size, size), np.float32)
    if n == 0:
        return out
    length = cands.length
    span = np.maximum(24.0, 2.0 * length + 12.0) * zoom  # px of the drawing the patch covers
    step = span / size  # drawing px per patch px
    centre = (cands.start + cands.stop) / 2.0
    unit = (cands.stop - cands.start) / length.clip(min=1e-6)[:, None]
    grid = np.arange(size, dtype=np.float32) - size / 2.0
    u, v = grid[None, None, :], grid[None, :, None]  # along, across the bridge
    if sampling == SAMPLING_AREA:
        level = area_level(step)
        groups = [(int(k), np.flatnonzero(level == k)) for k in np.unique(level)]
    else:
        groups = [(0, np.arange(n))]
    for k, members in groups:
        # Labels are sampled as int32 (nearest).
        if maps is None or k not in maps:
            found = area_maps(lines, k)
            if maps is not None:
                maps.clear()
                maps[k] = found
        else:
            found = maps[k]
        ink_map, pieces = found
        for lo in range(0, len(members), block):
            sl = members[lo : lo + block]
            s = step[sl, None, None].astype(np.float32)
            uy = unit[sl, 0, None, None].astype(np.float32)
            ux = unit[sl, 1, None, None].astype(np.float32)
            map_x = (centre[sl, 1, None, None] + (u * ux - v * uy) * s).astype(np.float32)
            map_y = (centre[sl, 0, None, None] + (u * uy + v * ux) * s).astype(np.float32)
            rows = (-1, size)
            ink = cv2.remap(ink_map, map_x.reshape(rows), map_y.reshape(rows),
                            cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            lab = cv2.remap(pieces, map_x.reshape(rows), map_y.reshape(rows),
                            cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            count = len(map_x)
            out[sl, 0] = ink.reshape(count, size, size)
            own = ends.piece[cands.end_a[sl]].astype(np.int32)
            out[sl, 1] = lab.reshape(count, size, size) == own[:, None, None]
    if bridge == BRIDGE_CURVE:
        _draw_curves(out, candidate_curves(cands, ends), centre, unit, step)
        return out
    if bridge != BRIDGE_CHORD:
        raise ValueError(f"bridge must be one of {BRIDGE_KINDS}, not {bridge!r}")
    half_len = length / step / 2.0
    out[:, 2, size // 2 - 1 : size // 2 + 2, :] = (
        np.abs(grid)[None, None, :] <= half_len[:, None, None] + 0.5)
    return out


def _draw_curves(out: np.ndarray, curves: np.ndarray, centre: np.ndarray, unit: np.ndarray,
                 step: np.ndarray) -> None:
    """Draw each candidate's curve (N, T, 2, drawing px) into channel 2 of its patch, 3 px wide
    across the chord as the chord is drawn: the points in the patch's frame (along, across the
    chord, centred), rounded, with the pixel either side across."""
    size = out.shape[-1]
    rel = curves - centre[:, None, :]
    uy, ux = unit[:, None, 0], unit[:, None, 1]
    along = (rel[..., 1] * ux + rel[..., 0] * uy) / step[:, None]
    across = (rel[..., 0] * ux - rel[..., 1] * uy) / step[:, None]
    col = np.rint(along + size / 2.0).astype(np.int64)
    row = np.rint(across + size / 2.0).astype(np.int64)
    n = np.broadcast_to(np.arange(len(out))[:, None], col.shape)
    for shift in (-1, 0, 1):
        r = row + shift
        ok = (r >= 0) & (r < size) & (col >= 0) & (col < size)
        out[n[ok], 2, r[ok], col[ok]] = 1.0
