"""Scored candidate bridges -> closures: which to accept, and the strokes drawn for them.

Selection is cheap and needs no model run, so a live preview can re-select from a cached
`GapAnalysis` when the sensitivity or the max gap changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from .candidates import (
    FEATURES,
    TRACE_CONTRAST,
    TRACE_FAINTEST,
    TRACE_LEVEL,
    TRACE_QUIET,
    TRACE_TIP_LINE,
    Candidates,
    LineMap,
    Necks,
    StrokeEnds,
    area_feature,
    as_necks,
    big_lines,
    bridge_curves,
    bridge_directions,
    curve_normals,
    faint_along,
    feature_crowding,
    ink_beside,
    landing,
    neck_window,
    no_necks,
    pairs_within,
    parts_paper_with,
    ray_samples,
    reached_pieces,
    seals,
    stroke_ends,
    thin,
)
from .lines import row_strips

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]
# A bridge is drawn this far into the strokes it joins, so it meets them without a seam.
OVERLAP_PX = 1.0
SUBPIXEL_BITS = 4
# The fringe stays below half coverage: it softens the edge but never reads as line itself.
FRINGE = 0.45
# px added to a stroke's measured width (StrokeEnds.width) to draw a closure as wide (pens).
PEN_BIAS = 0.25
# A closure may cover the soft tip of a line it meets (normalised ink below this) but never
# the line's body: a faint tip pixel left between a closure and its line reads as a break, to
# the eye and to a fill with a low threshold.
SOLID = 0.75
# px: the longest bridge that may join an end already joined (a junction's third end; 12, not
# 8: a junction cut out whole leaves its third end 9-12 px from the others).
JUNCTION_REUSE = 12.0
THIRD_WINDOW = 16  # px round a junction's end within which _third_piece tells lines apart
# px from tip to tip: a break of at most 4 px of paper between two tips (or a tip and a line):
# the 3 px and one more, as tips on anti-aliased and faint lines sit up to a pixel
# inside the ink a person sees (60 drawings per category: colour <= 8 px 94.2 -> 95.1%).
SHORT_BREAK = 4.5
# Pieces of line smaller than this are dust: joining a line to one closes nothing.
MIN_JOINED_PIECE = 12
# A short break among this many other stroke tips (within candidates.CROWD_RADIUS, 16 px) is
# not taken as sure: that is shading (hatching, cross-hatching, stipple, screentone), whose
# marks stop short of each other everywhere, and the verifier decides. On the categories the
# short breaks closed at cuts have at most 5 tips around them bar a few in shading; those
# taken in shading where no break was, 8 or more in 579 of 703.
CROWDED_TIPS = 6
# Bold strokes (at least BOLD_BREAK px wide: brush and marker inks, colouring pages): a break
# between two stroke ends that head at each other, at most BOLD_BREAK_WIDTHS times the thinner
# stroke's width from tip to tip, each end's piece of line a stroke (candidates.stroke_ends),
# is as sure as a short break where it seals off a region (bold_break; the sealing tier,
# core.gaps.closures_of). The verifier, trained on lines of 1-4 px, says no to such breaks
# between round ends (the bold category: at most 8 px closed 52.6%, 9-32 px 29.8% before this
# rule, 78.4% and 37.7% with it; stop 64). Not outside the sealing tier: the serifs of two
# letters side by side face each other as closely (the test split's Hershey letters). 4.4, not
# 4.5: a 4.5 px line reads 4.49.
BOLD_BREAK = 4.4
BOLD_BREAK_WIDTHS = 2.0
SURE = 0.95  # the probability such a short break is selected with, whatever the verifier says
# A bridge from a tip with at least SHADED_TIPS others round it (within CROWD_RADIUS, 16 px;
# the crowding feature's top value) that joins a piece of line under SHADED_PIECE px
# (shaded_bridges) is selected by the verifier's probability less SHADED_MARGIN: among
# hatching, stipple and screentone the verifier joins mark to mark over a px or two (on 40
# shading drawings, of the 920 bridges it accepted from tips among 6 or more, 784 were among 8
# or more; of those joining a piece under 30 px, 664, one was at a break). A brush drawing's
# fragments have fewer tips round them (6-7) and keep the verifier's answer (models/README.md,
# stop 39).
SHADED_TIPS = 8
SHADED_PIECE = 30
SHADED_MARGIN = 0.4
# px: a closure at least this wide joins bold strokes, whose blunt ends a round pen overshoots
# (the skeleton of a bold cut end forks to its corners, so its bridges run corner to corner).
# It is shaped to the strokes instead: kept inside the convex hull of the two strokes' pixels
# near its ends, and that hull's paper filled, so it continues both strokes' edges.
WIDE = 5
# The bold strokes a wide closure is shaped to (_shape_wide): their pixels within this many
# times its width of its ends, the whole cross-section of a stroke whose end the bridge leaves
# from a corner.
WIDE_HULL = 1.5
# Points per px of its chord each closure's curve is drawn through (curves): as dense as one
# sampled among a page's longest closures used to be, and the same alone or among others.
CURVE_DENSITY = 4.0
# How much surer a bridge to the side of a line must be to go before an end-to-end one.
END_TO_END_FIRST = 0.01
STRAIGHTEST_FIRST = 0.001
# Among traced bridges (a faint line runs through them, GapAnalysis.traced), how much surer the
# one joining two real lines over the faint line's specks counts, and, per px, a longer one.
TRACED_FIRST = 0.1
TRACED_LONGER = 1e-4
RIDGE_REACH = 1.0  # px: how far across a traced closure moves onto its faint line
# Faint lines from one line to another (find_faint_joins): what an opening this wide leaves
# round a faint line is the paper it stands out from (lines up to about 5 px wide, not fills),
# it meets a line within FAINT_NEAR px, at most FAINT_BESIDE px of it run next to a line, and
# at most FAINT_CROWD other pieces of line lie within FAINT_CROWD_PAD px of it.
FAINT_OPENING = 7
FAINT_NEAR = 2
FAINT_BESIDE = 4
FAINT_CROWD = 6
FAINT_CROWD_PAD = 10
# px: stroke ends at least this wide are drawn from the middle of their tip (end_tip).
CENTRED_WIDTH = 2.5
# A closure the verifier is less sure of is still drawn where it seals off a region of paper
# (a fill would leak through it otherwise): it is accepted at the sensitivity asked for plus
# this (core.gaps.closures_of). Measured on breaks that leak (benchmarks.metrics.gap_leaks),
# models/README.md, stop 32.
SEAL_BOOST = 0.2
# A break along a stroke (an end-to-end bridge whose two ends both head along it within
# ALIGNED_COS, 25 degrees) may be this many times the max gap: its tips lie farther apart than
# the width of paper a person sees across the stroke where it runs obliquely through the break
# (real drawings, 17-24 px breaks: +2.0 to +3.5 points at the same false additions).
LONG_REACH = 4.0 / 3.0
ALIGNED_COS = 0.9
MAX_REACH = 64  # px, the largest max gap (core.gaps.MAX_GAP_LIMIT is this)
# A bridge more than this many times as wide as the drawing's lines (GapAnalysis.line_width)
# keeps the max gap as set: it joins the edges of solid fills, not two lines (candidate_gap).
SCALED_WIDTH = 1.5
# A stroke broken across a line that crosses it: the second half's bridge to that line is taken
# at the sensitivity asked for plus this once the first half's is accepted (_through), its two
# ends facing each other within about 30 degrees (THROUGH_COS), each on the other's way within
# THROUGH_OFFSET px (and THROUGH_SLANT of their distance), both bridges meeting the line within
# THROUGH_STOPS px of each other.
THROUGH_BOOST = 0.4
THROUGH_COS = 0.85
THROUGH_OFFSET = 2.0
THROUGH_SLANT = 0.25
THROUGH_STOPS = 8.0
# A dash (dash_pieces): a piece of line under MIN_JOINED_PIECE px with exactly two stroke ends
# pointing at least 120 degrees apart (DASH_APART), tip to tip at least DASH_LONG times its
# width (no round speck). One with a piece of line of MIN_JOINED_PIECE px or more beside it
# (within DASH_BESIDE px of its axis, along its length) is that line's JPEG fringe or a mark
# along it; one with more than DASH_CLUTTER other small pieces beside it within
# DASH_CLUTTER_RADIUS px lies in stipple or noise (clear_dash). Without these, JPEG's false
# additions 0.4 -> 0.9% and strays 10.4 -> 14.2 px/MP, shading's false additions 15.8 -> 16.4%
# (core.gaps._dash_chains; models/README.md, stop 44).
DASH_APART = -0.5
DASH_LONG = 2.0
DASH_BESIDE = 4.0
DASH_CLUTTER = 1
DASH_CLUTTER_RADIUS = 6.0
DASH_SIDE_LATERAL = 1.5  # px off a dash's axis that counts as beside it
# A long break holding a remnant of its stroke (a dash): once a bridge into the dash is
# accepted, the leg from its other end on to the line the stroke continues to (both within
# LEG_COS, 37 degrees, of the way the accepted bridge came in and of the dash's end) is taken
# where the verifier gives it at least LEG_SHARE of the threshold asked for (0.05 at 0.5).
# The verifier, seeing a speck beside a line, scores that leg 0.00-0.2 alone, and the chain
# stays one link short (_dash_legs; the sparse category, models/README.md, stop 52).
LEG_COS = 0.8
LEG_SHARE = 0.1


@dataclass(frozen=True)
class Closure:
    """One accepted bridge: the plugin can show, count and remove closures one by one."""

    start: tuple[float, float]  # row, col
    stop: tuple[float, float]
    probability: float
    length: float
    width: int
    bbox: tuple[int, int, int, int]  # x, y, w, h of its pixels


@dataclass(frozen=True)
class GapAnalysis:
    """Everything the models computed for one ink map; selecting from it runs no model."""

    lines: LineMap
    ends: StrokeEnds
    candidates: Candidates
    probability: np.ndarray  # (N,) one per candidate
    necks: Necks = field(default_factory=no_necks)  # breaks with no stroke end (find_necks)
    # Fills across bold strokes that part no paper with the lines alone
    # (candidates.bold_necks): drawn where they do with the closures (pending_to_draw).
    pending: Necks = field(default_factory=no_necks)
    # Whether each closure stroke seen so far joins two pieces of line, by its window and
    # pixels (core.gaps.joining_strokes): it depends on nothing else of a preview's, so moving a
    # slider back to closures already drawn does not work them out again.
    verdicts: dict[tuple[int, int, int, int, bytes], bool] = field(
        default_factory=dict, compare=False, repr=False)
    # Where each stroke end a closure is drawn from sits (end_tip; None: at ends.tip), worked
    # out once: the sealing tier and both renders of a page ask for the same ends.
    tips: dict[int, np.ndarray | None] = field(default_factory=dict, compare=False, repr=False)
    line_width: float = 0.0  # px, core.gaps.line_width
    # The max gap of the candidates (select) is this many times the one asked for (at most
    # MAX_REACH): core.gaps.GapParams.scale_max_gap. The necks and bold fills keep their own.
    gap_scale: float = 1.0
    # (K, 2) row, col: the pixels of the specks a traced bridge runs over
    # (core.gaps._specks_along), which a closure's part off line may run across
    # (core.gaps._joining).
    passable: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64),
                                 repr=False)
    # (N,) bool, or empty: the candidates a faint line runs through (candidates.traced).
    traced: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)
    # (N,) bool, or empty: those it runs through without a blank, which reach as far as a
    # break along a stroke (reach_of), whichever way their ends head.
    whole: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)
    # (K, 2, 2) row, col: the first and last paper pixel of the input (the same for one) of
    # each join between fragments of a thin line binarised (candidates.find_stair_breaks). The
    # analysis reads them as line (`lines` holds them); the closures drawn from it hold them
    # where they join two lines (core.gaps.closures_of).
    healed: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 2), np.int64),
                               repr=False)
    # The line map of the input, where pixels were healed (None: `lines` is it).
    input_lines: LineMap | None = field(default=None, repr=False)

    @property
    def input_map(self) -> LineMap:
        """The input's line map: `lines` before the healed pixels joined its fragments."""
        return self.lines if self.input_lines is None else self.input_lines

    def input_line(self) -> np.ndarray:
        """The input's line pixels: `lines.line` without the healed pixels."""
        return self.input_map.line


def seal_sensitivity(sensitivity: float) -> float:
    """The sensitivity a closure that seals off a region is accepted at (core.gaps.closures_of):
    SEAL_BOOST more than the one asked for, at most 1."""
    return min(1.0, sensitivity + SEAL_BOOST)


def threshold(sensitivity: float) -> float:
    # Sensitivity 0.5 accepts what the verifier is at least 50% sure of; the ends stay inside
    # (0, 1) so that neither extreme accepts everything or nothing.
    return 0.9 - 0.8 * sensitivity


def short_break(cands: Candidates, lines: LineMap | None = None,
                ends: StrokeEnds | None = None, bold: bool = False) -> np.ndarray:
    """(N,) bool: bridges over a break of at most 4 px that head at the other side (within 60
    degrees of each end's direction), with fewer than CROWDED_TIPS other stroke tips around
    (not in shading): closed whatever the verifier says, as users want them
    closed (the issue's rule for breaks of up to 3 px, which labels the verifier's training
    data, and one pixel more for where tips are measured: SHORT_BREAK).

    Given the line map and the ends the candidates came from, a bridge to the side of a line
    also heads at it when the end's own direction meets that line within SHORT_BREAK px
    (`runs_into`): a stroke running into a line at a slant, 2-3 px short, whose nearest pixel
    of that line lies to its side. A stroke beside a line, heading along it, never meets it.
    With `bold`, a break between bold strokes may be as long as bold_break allows: the
    sealing tier's selection (select), so such a break is drawn where it seals off a region.
    """
    f = cands.features
    heads = f[:, FEATURES.index("cos_a")] >= 0.5
    to_end = cands.end_b >= 0
    heads &= ~to_end | (f[:, FEATURES.index("cos_b")] >= 0.5)
    if lines is not None and ends is not None:
        slanted = np.nonzero((cands.length <= SHORT_BREAK) & ~heads & ~to_end)[0]
        if len(slanted):
            heads[slanted] = runs_into(lines, ends, cands.take(slanted), SHORT_BREAK)
    # Between two lines: a smaller piece is a speck or JPEG debris, the verifier's call.
    line_area = np.float32(area_feature(MIN_JOINED_PIECE))  # as the float32 features hold it
    big = ((f[:, FEATURES.index("area_a")] >= line_area)
           & (f[:, FEATURES.index("area_b")] >= line_area))
    # Among shading's many tips, the verifier's call too.
    calm = feature_crowding(f) < CROWDED_TIPS - 0.5
    short = cands.length <= SHORT_BREAK
    if bold:
        short = short | bold_break(cands, ends, lines)
    return short & heads & big & calm


def bold_break(cands: Candidates, ends: StrokeEnds | None = None,
               lines: LineMap | None = None) -> np.ndarray:
    """(N,) bool: bridges end to end across a break between bold strokes (at least BOLD_BREAK
    px wide, the thinner one's width: the width a closure gets) at most BOLD_BREAK_WIDTHS
    times that width long; given the ends and the line map, from pieces of line that are
    strokes (short_break adds that they head at each other, join two lines and lie outside
    shading)."""
    out = ((cands.end_b >= 0) & (cands.width >= BOLD_BREAK)
           & (cands.length <= BOLD_BREAK_WIDTHS * cands.width))
    if ends is not None and lines is not None and out.any():
        stroke = stroke_ends(lines, ends, ends.width)
        out &= stroke[cands.end_a] & stroke[np.maximum(cands.end_b, 0)]
    return out


def runs_into(lines: LineMap, ends: StrokeEnds, cands: Candidates, reach: float) -> np.ndarray:
    """(N,) bool: whether the ray along each candidate's end direction, from its tip, first
    meets line (after leaving the end's own stroke) within `reach` px, on the piece of line
    the candidate stops on. The ray is sampled every quarter pixel; a diagonal step between
    two samples whose two corner pixels are both line crosses a 1-px diagonal line there (a
    thin ray slips between its pixels)."""
    h, w = lines.line.shape
    steps = np.arange(1, int(4 * reach) + 1) * 0.25
    tip, d = ends.tip[cands.end_a], ends.direction[cands.end_a]
    iy = np.rint(tip[:, None, 0] + d[:, None, 0] * steps).astype(np.int64)  # (N, S)
    ix = np.rint(tip[:, None, 1] + d[:, None, 1] * steps).astype(np.int64)
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    np.clip(iy, 0, h - 1, out=iy)
    np.clip(ix, 0, w - 1, out=ix)
    on = lines.line[iy, ix] & inside
    piece = lines.pieces[iy, ix]
    # The corners of each diagonal step: (previous row, this column), (this row, previous column).
    py, px = np.roll(iy, 1, axis=1), np.roll(ix, 1, axis=1)
    diagonal = (py != iy) & (px != ix) & inside & np.roll(inside, 1, axis=1)
    diagonal[:, 0] = False
    corner = diagonal & lines.line[py, ix] & lines.line[iy, px] & ~on
    piece = np.where(corner, lines.pieces[py, ix], piece)
    crossed = np.logical_or.accumulate(~on, axis=1)  # the ray has been on paper
    # A corner is met from paper: the ray must have been on paper before the step (not only
    # at its end), or the corners of its own stroke's staircase edge would count.
    before = np.zeros_like(crossed)
    before[:, 1:] = crossed[:, :-1]
    hit = (on & crossed) | (corner & before)
    first = hit.argmax(axis=1)
    rows = np.arange(len(cands))
    sy = np.clip(np.rint(cands.stop[:, 0]).astype(np.int64), 0, h - 1)
    sx = np.clip(np.rint(cands.stop[:, 1]).astype(np.int64), 0, w - 1)
    target = lines.pieces[sy, sx]
    return hit.any(axis=1) & (target > 0) & (piece[rows, first] == target)


def long_reach(max_gap: int) -> float:
    """px: how far apart the tips of a break along a stroke may be at this max gap."""
    return LONG_REACH * max_gap


def reach_of(cands: Candidates, max_gap: int, whole: np.ndarray | None = None) -> np.ndarray:
    """(N,) px: the longest each candidate may be at this max gap; long_reach for a break
    along a stroke (end to end, both ends heading along the bridge, or any bridge a faint line
    runs along without a blank, `whole`: GapAnalysis.whole, (N,) bool or empty), max_gap for
    the rest."""
    cos_a = cands.features[:, FEATURES.index("cos_a")]
    cos_b = cands.features[:, FEATURES.index("cos_b")]
    along = (cands.end_b >= 0) & (cos_a >= ALIGNED_COS) & (cos_b >= ALIGNED_COS)
    if whole is not None and len(whole):
        along = along | whole
    return np.where(along, long_reach(max_gap), float(max_gap))


def selectable(cands: Candidates, max_gap: int, whole: np.ndarray | None = None) -> np.ndarray:
    """(N,) bool: the candidates short enough to be selected at this max gap (reach_of)."""
    return cands.length <= reach_of(cands, max_gap, whole) + 0.5


def selection_probability(analysis: GapAnalysis, bold: bool = False
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(sure, probability), (N,) each: which candidates are short breaks (with `bold`, the
    bold breaks too: short_break), and the probability `select` goes by (a short break's at
    least SURE, whatever the verifier says; a bridge among shading's small marks,
    SHADED_MARGIN less than the verifier's)."""
    cands = analysis.candidates
    sure = short_break(cands, analysis.lines, analysis.ends, bold)
    shaded = shaded_bridges(cands.features) & ~sure
    prob = analysis.probability - np.float32(SHADED_MARGIN) * shaded
    return sure, np.where(sure, np.maximum(analysis.probability, SURE), prob)


def shaded_bridges(f: np.ndarray) -> np.ndarray:
    """(N,) bool, of candidates' features (N, len(FEATURES)): bridges from a tip with at least
    SHADED_TIPS others round it that join a piece of line under SHADED_PIECE px, between the
    marks of hatching, stipple or screentone."""
    crowded = feature_crowding(f) >= SHADED_TIPS - 0.5
    return crowded & (np.minimum(f[:, FEATURES.index("area_a")], f[:, FEATURES.index("area_b")])
                      < np.float32(area_feature(SHADED_PIECE)))


def scaled_gap(max_gap: int, scale: float) -> int:
    """px: `max_gap` times `scale` where that is longer, at most MAX_REACH."""
    return min(MAX_REACH, max(max_gap, round(max_gap * scale)))


def candidate_gap(analysis: GapAnalysis, max_gap: int) -> int:
    """px: the max gap the candidates are selected by, `max_gap` times the analysis's
    gap_scale (wide lines), at most MAX_REACH."""
    return scaled_gap(max_gap, analysis.gap_scale)


def select(analysis: GapAnalysis, sensitivity: float, max_gap: int,
           excluded: np.ndarray | None = None, bold: bool = False) -> np.ndarray:
    """Indices of accepted candidates: most probable first (short breaks as if certain), each
    stroke end used once (but a broken junction's third end, and a joined end's short bridge to
    a line nothing joins it to yet: _third_piece), then the bridges that continue a stroke
    broken across another line on its far side (_through, _across). `excluded`: candidates
    never accepted, whose ends are free for others (core.gaps.closures_of: bridges whose
    drawn stroke joins nothing). `bold`: the bold breaks as sure as the short ones
    (selection_probability; the sealing tier's selection)."""
    cands = analysis.candidates
    if not len(cands):
        return np.zeros(0, np.int64)
    reachable = selectable(cands, max_gap, analysis.whole)
    scaled = candidate_gap(analysis, max_gap)
    if scaled > max_gap:  # not for bridges far wider than the lines: edges of solid fills
        reachable |= (selectable(cands, scaled, analysis.whole)
                      & (cands.width <= SCALED_WIDTH * analysis.line_width))
        max_gap = scaled
    sure, prob = selection_probability(analysis, bold)
    if excluded is not None and len(excluded):
        sure[excluded] = False
        prob[excluded] = -1.0
    ok = (prob >= threshold(sensitivity)) & reachable
    order = np.nonzero(ok)[0]
    # Among bridges about equally sure, end to end first: on a bold stroke cut square, each
    # end's bridge to the side of the other piece scores as high as the bridge between the two
    # ends, and two of them cross the cut as hairlines where one stroke continues both ends.
    key = prob + np.float32(END_TO_END_FIRST) * (cands.end_b >= 0)
    # Among an end's short breaks (all selected as SURE), the one that continues its stroke
    # straightest: where a junction is cut out, a line to the side of the tip can be as near
    # as the line the stroke runs into.
    key += np.float32(STRAIGHTEST_FIRST) * sure * cands.features[:, FEATURES.index("cos_a")]
    if len(analysis.traced):
        # A faint line broken into specks has bridges between the specks too: the one from line
        # to line over them goes first, then the longest.
        line_area = np.float32(area_feature(MIN_JOINED_PIECE))
        real = ((cands.features[:, FEATURES.index("area_a")] >= line_area)
                & (cands.features[:, FEATURES.index("area_b")] >= line_area))
        key += np.float32(TRACED_FIRST) * (analysis.traced & real)
        key += np.float32(TRACED_LONGER) * analysis.traced * cands.length.astype(np.float32)
    order = order[np.argsort(-key[order], kind="stable")]
    used = np.zeros(len(analysis.ends), bool)
    accepted: list[int] = []
    for k in order.tolist():
        a, b = int(cands.end_a[k]), int(cands.end_b[k])
        if used[a] or (b >= 0 and used[b]):
            continue
        used[a] = True
        if b >= 0:
            used[b] = True
        accepted.append(k)
    # A break at a junction leaves three ends at one place: once two of them are joined, the
    # third may still join one of them over a short bridge, or colour leaks past it.
    for k in order.tolist():
        a, b = int(cands.end_a[k]), int(cands.end_b[k])
        if b < 0 or used[a] == used[b] or cands.length[k] > JUNCTION_REUSE:
            continue
        used[a] = used[b] = True
        accepted.append(k)
    accepted += _third_piece(analysis, accepted, order)
    accepted += _through(analysis, np.asarray(accepted, np.int64), used, prob,
                         threshold(min(1.0, sensitivity + THROUGH_BOOST)), max_gap)
    accepted += _across(analysis, np.asarray(accepted, np.int64), used, order)
    accepted += _dash_legs(analysis, np.asarray(accepted, np.int64), used, prob,
                           LEG_SHARE * threshold(sensitivity), max_gap)
    return np.asarray(accepted, np.int64)


def dash_pieces(lines: LineMap, ends: StrokeEnds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per piece of line: (small, dash, pair): under MIN_JOINED_PIECE px (not the paper), a
    dash (DASH_APART, DASH_LONG; before clear_dash), and a dash's two stroke ends (-1 else)."""
    small = lines.areas < MIN_JOINED_PIECE
    small[0] = False
    order = np.argsort(ends.piece, kind="stable")
    first = np.searchsorted(ends.piece[order], np.arange(len(lines.areas)))
    pair = np.full((len(lines.areas), 2), -1, np.int64)
    dash = small & (np.bincount(ends.piece, minlength=len(lines.areas)) == 2)
    two = np.nonzero(dash)[0]
    pair[two, 0], pair[two, 1] = order[first[two]], order[first[two] + 1]
    dash[two] = ((ends.direction[pair[two, 0]] * ends.direction[pair[two, 1]]).sum(axis=1)
                 <= DASH_APART) & (
        np.hypot(*(ends.tip[pair[two, 0]] - ends.tip[pair[two, 1]]).T)
        >= DASH_LONG * np.maximum(ends.width[pair[two, 0]], ends.width[pair[two, 1]]))
    pair[~dash] = -1
    return small, dash, pair


def clear_dash(lines: LineMap, ends: StrokeEnds, pair: np.ndarray, small: np.ndarray) -> bool:
    """Whether the dash with the ends `pair` (2,) has no piece of line beside it (DASH_BESIDE)
    and no more than DASH_CLUTTER small pieces (DASH_CLUTTER_RADIUS)."""
    tip = ends.tip[pair]
    axis = tip[1] - tip[0]
    size = float(np.hypot(*axis))
    u = axis / size if size > 0.5 else -ends.direction[pair[0]]
    across = np.array([-u[1], u[0]])
    centre = tip.mean(axis=0)
    r = int(math.ceil(max(DASH_BESIDE, DASH_CLUTTER_RADIUS) + size / 2 + 2))
    y0, x0 = max(int(centre[0]) - r, 0), max(int(centre[1]) - r, 0)
    window = lines.pieces[y0 : int(centre[0]) + r + 1, x0 : int(centre[1]) + r + 1]
    label = lines.pieces[ends.point[pair[0], 0], ends.point[pair[0], 1]]
    yy, xx = np.nonzero(window)
    labels = window[yy, xx]
    offset = np.stack([yy + y0, xx + x0], axis=1) - centre
    along, side = offset @ u, offset @ across
    mine = labels == label
    lo, hi = along[mine].min() - 0.5, along[mine].max() + 0.5
    big = ~small[labels]
    if (big & (along >= lo) & (along <= hi) & (np.abs(side) <= DASH_BESIDE)).any():
        return False
    beside = (~big & ~mine & (np.abs(side) > DASH_SIDE_LATERAL)
              & (np.hypot(along, side) <= DASH_CLUTTER_RADIUS))
    return len(np.unique(labels[beside])) <= DASH_CLUTTER


def _dash_legs(analysis: GapAnalysis, accepted: np.ndarray, used: np.ndarray,
               prob: np.ndarray, floor: float, max_gap: int) -> list[int]:
    """Bridges that carry an accepted one on through a dash it reaches (LEG_COS, LEG_SHARE):
    from the dash's other end, if free, the likeliest bridge of at least `floor` that keeps
    within LEG_COS of the way in and of that end's heading, to a stroke end facing it, a line's
    side or another dash (and on from there). `used` (the ends taken) is updated."""
    cands, ends, lines = analysis.candidates, analysis.ends, analysis.lines
    if not len(accepted):
        return []
    small, dash, pair = dash_pieces(lines, ends)
    touched = np.concatenate([cands.end_a[accepted], cands.end_b[accepted]])
    if not dash[ends.piece[touched[touched >= 0]]].any():
        return []
    pool = selectable(cands, max_gap, analysis.whole) & (prob >= floor)
    clear: dict[int, bool] = {}
    out: list[int] = []
    queue = accepted.tolist()
    while queue:
        k = queue.pop()
        way = cands.stop[k] - cands.start[k]
        size = float(np.hypot(*way))
        if size < 1e-6:
            continue
        way = way / size
        for end, inward in ((int(cands.end_a[k]), -way), (int(cands.end_b[k]), way)):
            if end < 0 or not dash[ends.piece[end]]:
                continue
            d = int(ends.piece[end])
            e = int(pair[d, 1] if pair[d, 0] == end else pair[d, 0])
            if used[e]:
                continue
            if d not in clear:
                clear[d] = clear_dash(lines, ends, pair[d], small)
            if not clear[d]:
                continue
            rows = np.nonzero(pool & ((cands.end_a == e) | (cands.end_b == e)))[0]
            leg = _leg_from(analysis, rows.tolist(), e, d, inward, used, prob, small, dash)
            if leg < 0:
                continue
            used[cands.end_a[leg]] = True
            if cands.end_b[leg] >= 0:
                used[cands.end_b[leg]] = True
            out.append(leg)
            queue.append(leg)
    return out


def _leg_from(analysis: GapAnalysis, rows: list[int], e: int, d: int, inward: np.ndarray,
              used: np.ndarray, prob: np.ndarray, small: np.ndarray, dash: np.ndarray) -> int:
    """The likeliest of the bridges `rows` at stroke end `e` (of dash `d`) that heads on
    within LEG_COS of `inward` and of the end's direction, to a free stroke end facing back, a
    line's side or another dash; -1 if none."""
    cands, ends = analysis.candidates, analysis.ends
    best, best_p = -1, -1.0
    for m in rows:
        way = cands.stop[m] - cands.start[m]
        size = float(np.hypot(*way))
        if size < 1e-6:
            continue
        way = way / size
        other = int(cands.end_b[m])
        if int(cands.end_a[m]) != e:  # e is its end b: the bridge read from e's side
            way, other = -way, int(cands.end_a[m])
        if float(ends.direction[e] @ way) < LEG_COS or float(inward @ way) < LEG_COS:
            continue
        if other >= 0:
            if used[other] or float(ends.direction[other] @ -way) < LEG_COS:
                continue
            piece = int(ends.piece[other])
        else:
            piece = int(far_pieces(analysis, np.array([m]))[0])
            if small[piece]:  # a line's side, not a speck's
                continue
        if piece <= 0 or piece == d or (small[piece] and not dash[piece]):
            continue
        if float(prob[m]) > best_p:
            best, best_p = m, float(prob[m])
    return best


def far_pieces(analysis: GapAnalysis, rows: np.ndarray) -> np.ndarray:
    """(K,) label of the piece of line each of the candidates `rows` reaches
    (candidates.reached_pieces, as their area_b feature reads it)."""
    cands = analysis.candidates
    return reached_pieces(analysis.lines, analysis.ends, cands.end_b[rows], cands.stop[rows])


def union_root(parent: np.ndarray, i: int) -> int:
    """The root of `i` in a union-find forest (`parent`: each item's parent, a root its own),
    halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = int(parent[i])
    return i


def _third_piece(analysis: GapAnalysis, accepted: list[int], order: np.ndarray) -> list[int]:
    """Bridges of `order` (above the threshold, most probable first) from an end already
    joined, at most JUNCTION_REUSE px long, to a piece of line (MIN_JOINED_PIECE px or more;
    to its side, or to one of its ends, taken or not) that is neither the end's own nor one a
    bridge at that end already reaches: where a cut takes out a junction, the stroke end that
    comes into it is bridged to one of the lines that met there, and the other is still cut
    off (it passes by, or its end went to another bridge), so colour leaks past it. Each end
    gains each piece once, and so do two ends bridged to each other together.

    Pieces are told apart near the end too (_local_piece_new, within THIRD_WINDOW px of its
    tip, the bridges accepted so far drawn in): line art is often one piece of line all round,
    so the line a junction's third end must reach is the end's own piece far off, yet a
    separate line there, and colour leaks past it (Tux Paint's nagasaki, a dome's side cut
    from the roof it stood on)."""
    cands = analysis.candidates
    taken = np.zeros(len(cands), bool)
    taken[accepted] = True
    pool = order[~taken[order] & (cands.length[order] <= JUNCTION_REUSE)]
    if not len(pool):
        return []
    done = np.asarray(accepted, np.int64)
    own = analysis.ends.piece
    tips = analysis.ends.tip
    # The pieces each stroke end is joined to, shared by the two ends of a bridge between ends
    # (a piece joined to either is joined to both): one set per group of ends (union-find),
    # and the points where the group's ends and bridges meet line (for the local test).
    group = np.arange(len(own))

    def root(end: int) -> int:
        return union_root(group, end)

    reached: dict[int, set[int]] = {}
    points: dict[int, list[np.ndarray]] = {}

    def merge(a: int, end_b: int) -> None:
        """End b (if any) and its group join the group whose root is a."""
        if end_b >= 0 and root(end_b) != a:
            b = root(end_b)
            reached[a] |= reached.pop(b, {int(own[b])})
            points[a] += points.pop(b, [tips[b]])
            group[b] = a

    for k, far in zip(done.tolist(), far_pieces(analysis, done).tolist(), strict=True):
        a = root(int(cands.end_a[k]))
        reached.setdefault(a, {int(own[a])}).update((int(own[int(cands.end_a[k])]), int(far)))
        points.setdefault(a, [tips[a]]).extend((tips[int(cands.end_a[k])], cands.stop[k]))
        merge(a, int(cands.end_b[k]))
    joined = np.zeros(len(own), bool)
    joined[cands.end_a[done]] = True
    joined[cands.end_b[done][cands.end_b[done] >= 0]] = True
    pool = pool[joined[cands.end_a[pool]]]
    if not len(pool):
        return []
    far = far_pieces(analysis, pool)
    out: list[int] = []
    chords = _Chords(cands.start[done], cands.stop[done])  # drawn in as joins
    for k, piece in zip(pool.tolist(), far.tolist(), strict=True):
        a = root(int(cands.end_a[k]))
        if piece <= 0 or analysis.lines.areas[piece] < MIN_JOINED_PIECE:
            continue
        if piece in reached[a] and not _local_piece_new(
                analysis.lines.line, tips[int(cands.end_a[k])], cands.stop[k], points[a],
                chords):
            continue
        reached[a].add(piece)
        points[a].append(cands.stop[k])
        chords.add(cands.start[k], cands.stop[k])
        merge(a, int(cands.end_b[k]))  # the end reached is one with them now
        out.append(k)
    return out


class _Chords:
    """Straight chords (row, col points), found by the grid cells (THIRD_WINDOW px) they
    cross: _local_piece_new draws those near an end without going through all of them."""

    def __init__(self, starts: np.ndarray, stops: np.ndarray) -> None:
        self.segments: list[tuple[np.ndarray, np.ndarray]] = []
        self.cells: dict[tuple[int, int], list[int]] = {}
        for start, stop in zip(starts, stops, strict=True):
            self.add(start, stop)

    def add(self, start: np.ndarray, stop: np.ndarray) -> None:
        index = len(self.segments)
        self.segments.append((start, stop))
        (r0, c0), (r1, c1) = self._span(np.minimum(start, stop), np.maximum(start, stop))
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                self.cells.setdefault((row, col), []).append(index)

    def near(self, low: tuple[int, int], high: tuple[int, int]
             ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The chords in the cells a box (row, col corners) touches."""
        (r0, c0), (r1, c1) = self._span(np.asarray(low, float), np.asarray(high, float))
        found: set[int] = set()
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                found.update(self.cells.get((row, col), ()))
        return [self.segments[i] for i in sorted(found)]

    @staticmethod
    def _span(low: np.ndarray, high: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]]:
        lo = np.floor(low / THIRD_WINDOW).astype(int)
        hi = np.floor(high / THIRD_WINDOW).astype(int)
        return (int(lo[0]), int(lo[1])), (int(hi[0]), int(hi[1]))


def _local_piece_new(line: np.ndarray, tip: np.ndarray, stop: np.ndarray,
                     reached: list[np.ndarray], chords: _Chords) -> bool:
    """Whether `stop` lies on a piece of line (8-connected within THIRD_WINDOW px of `tip`,
    the accepted bridges' `chords` drawn in as joins) that none of the `reached` points (row,
    col) lies on there."""
    h, w = line.shape
    cy, cx = (int(round(v)) for v in tip)
    y0, x0 = max(0, cy - THIRD_WINDOW), max(0, cx - THIRD_WINDOW)
    y1, x1 = min(h, cy + THIRD_WINDOW + 1), min(w, cx + THIRD_WINDOW + 1)
    window = line[y0:y1, x0:x1].astype(np.uint8)
    for start, end in chords.near((y0 - 1, x0 - 1), (y1, x1)):
        cv2.line(window, (int(round(float(start[1]))) - x0, int(round(float(start[0]))) - y0),
                 (int(round(float(end[1]))) - x0, int(round(float(end[0]))) - y0), 1, 1)
    _, labels = cv2.connectedComponents(window, connectivity=8)

    def label_at(p: np.ndarray) -> int:  # 0 for a point outside the window
        py, px = int(round(float(p[0]))) - y0, int(round(float(p[1]))) - x0
        if not (0 <= py < labels.shape[0] and 0 <= px < labels.shape[1]):
            return 0
        win = labels[max(0, py - 1) : py + 2, max(0, px - 1) : px + 2]
        found = win[win > 0]
        return int(np.bincount(found).argmax()) if len(found) else 0

    target = label_at(stop)
    return target > 0 and all(label_at(p) != target for p in reached)


def _across(analysis: GapAnalysis, accepted: np.ndarray, used: np.ndarray, order: np.ndarray
            ) -> list[int]:
    """End-to-end bridges of `order` (above the threshold, most probable first) that lost one
    end to a bridge to a line lying across their way: a stroke broken where another line
    crosses it, whose one end was joined to that line and whose other end is still free. Drawn
    through the line, the bridge joins the other end too. Its tip on the free side is marked
    used."""
    cands = analysis.candidates
    to_line = accepted[cands.end_b[accepted] < 0]
    if not len(to_line):
        return []
    landing = np.full(len(used), -1, np.int64)  # the to-line bridge each end took
    landing[cands.end_a[to_line]] = to_line
    out: list[int] = []
    for k in order.tolist():
        a, b = int(cands.end_a[k]), int(cands.end_b[k])
        if b < 0 or used[a] == used[b] or cands.width[k] >= WIDE:
            continue
        taken = landing[a] if used[a] else landing[b]
        if taken < 0:
            continue
        # Where the taken bridge meets its line lies on this bridge's way.
        p, q = cands.start[k], cands.stop[k]
        axis = q - p
        land = cands.stop[taken] - p
        t = float(land @ axis) / max(float(axis @ axis), 1e-6)
        off = abs(float(axis[0] * land[1] - axis[1] * land[0])) / max(float(np.hypot(*axis)),
                                                                      1e-6)
        if not 0.0 < t < 1.0 or off > THROUGH_OFFSET + 1.0:
            continue
        used[a] = used[b] = True
        out.append(k)
    return out


def _through(analysis: GapAnalysis, accepted: np.ndarray, used: np.ndarray, prob: np.ndarray,
             floor: float, max_gap: int) -> list[int]:
    """Bridges to a line that continue an accepted one through it: a stroke broken where
    another line crosses it leaves two ends facing each other from either side of that line,
    each bridged to it, and the one that the verifier is less sure of (from a tip that sees a
    line across its way and paper beyond) is taken at `floor` once the other is accepted. The
    two ends face each other (THROUGH_COS), each tip lies on the other's way (within
    THROUGH_OFFSET px and THROUGH_SLANT of their distance), their bridges meet the line within
    THROUGH_STOPS px of each other, and the tips are at most long_reach apart. `used` (the ends
    taken) is updated."""
    cands, ends = analysis.candidates, analysis.ends
    thin = cands.width < WIDE  # bold strokes broken across: the bold fills' case
    to_line = accepted[(cands.end_b[accepted] < 0) & thin[accepted]]
    pool = np.nonzero((cands.end_b < 0) & thin & (prob >= floor) & selectable(cands, max_gap)
                      & ~used[cands.end_a])[0]
    if not len(to_line) or not len(pool):
        return []
    i, j, _ = pairs_within(cands.stop[to_line], cands.stop[pool], THROUGH_STOPS)
    if not len(i):
        return []
    k, m = to_line[i], pool[j]
    a, b = cands.end_a[k], cands.end_a[m]
    da, db = ends.direction[a], ends.direction[b]
    span = ends.tip[b] - ends.tip[a]
    dist = np.hypot(span[:, 0], span[:, 1])
    along_a = (span * da).sum(axis=1)
    along_b = -(span * db).sum(axis=1)
    off_a = np.abs(span[:, 0] * da[:, 1] - span[:, 1] * da[:, 0])
    off_b = np.abs(span[:, 0] * db[:, 1] - span[:, 1] * db[:, 0])
    slack = THROUGH_OFFSET + THROUGH_SLANT * dist
    ok = (((da * db).sum(axis=1) <= -THROUGH_COS) & (along_a > 0) & (along_b > 0)
          & (off_a <= slack) & (off_b <= slack) & (dist <= long_reach(max_gap)) & (a != b))
    out: list[int] = []
    for row in np.nonzero(ok)[0][np.argsort(-prob[m[ok]], kind="stable")].tolist():
        end = int(b[row])
        if used[end]:
            continue
        used[end] = True
        out.append(int(m[row]))
    return out


def choice(analysis: GapAnalysis, sensitivity: float, max_gap: int) -> bytes:
    """What the closures drawn at these settings depend on: the accepted candidates, those
    accepted if they seal (seal_sensitivity), the necks and the pending bold fills within the
    max gap. Equal choices draw the same closures (a preview redraws nothing)."""
    necks = necks_within(analysis.necks, max_gap).tobytes()
    pending = (analysis.pending.gap <= max_gap).tobytes()
    return (select(analysis, sensitivity, max_gap).tobytes() + b"|"
            + select(analysis, seal_sensitivity(sensitivity), max_gap).tobytes() + b"|" + necks
            + b"|" + pending)


def curves(analysis: GapAnalysis, accepted: np.ndarray,
           tips: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(K, T, 2) points (x, y) of one cubic per accepted bridge: it leaves end a along its
    stroke and meets the other side along the other stroke (or straight on, for a bridge to
    the side of a line). `tips`: where each is drawn from and to (drawn_tips), if not from the
    candidates' start and stop."""
    cands, ends = analysis.candidates, analysis.ends
    a_pt, b_pt = (cands.start[accepted], cands.stop[accepted]) if tips is None else tips
    # Each curve sampled by its own length, whatever is drawn with it: the one-px paths round
    # those points (darkest_path) step the same way alone and on a page.
    chord = np.hypot(*(b_pt - a_pt).T)
    steps = np.maximum(2, np.ceil(chord * CURVE_DENSITY).astype(np.int64) + 1)
    dir_a, dir_b = bridge_directions(ends, cands.end_a[accepted], cands.end_b[accepted], a_pt,
                                     b_pt)
    pts = bridge_curves(a_pt, b_pt, dir_a, dir_b, steps, OVERLAP_PX)
    if len(analysis.traced):  # a traced bridge is drawn on the faint line it follows
        rows = np.nonzero(analysis.traced[accepted])[0]
        if len(rows):
            pts[rows] = on_ridge(analysis.lines.ink, pts[rows], steps[rows])
    return pts[..., ::-1]


def on_ridge(ink: np.ndarray, pts: np.ndarray, steps: np.ndarray | None = None) -> np.ndarray:
    """(K, T, 2) row, col: each curve's points moved across it (up to RIDGE_REACH px) to the
    middle of the ink there (the centroid of the ink across, squared so the darkest counts
    most), the shifts smoothed along the curve: a closure drawn along a faint line covers
    it rather than running a pixel beside it. `steps` (K,): each curve's own number of points
    (bridge_curves), the rest repeats of its last, which stay on its moved last point."""
    across = curve_normals(pts)
    shifts = np.arange(-RIDGE_REACH, RIDGE_REACH + 1e-6, 0.5)
    w = np.stack([ink_beside(ink, pts, across, t) ** 2 for t in shifts.tolist()], axis=-1)
    total = w.sum(axis=-1)
    shift = np.where(total > 1e-6, (w * shifts).sum(axis=-1) / np.maximum(total, 1e-6), 0.0)
    own = None
    if steps is not None:  # the repeats take their last point's shift, as if not there
        own = np.minimum(np.arange(pts.shape[1])[None, :], np.asarray(steps)[:, None] - 1)
        shift = np.take_along_axis(shift, own, axis=1)
    # A 3-point mean along each curve, its ends repeated.
    padded = np.pad(shift, ((0, 0), (1, 1)), mode="edge")
    smooth = (padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]) / 3.0
    moved = pts + smooth[..., None] * across
    return moved if own is None else np.take_along_axis(moved, own[..., None], axis=1)


def ridge_path(ink: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """(M, 1, 2) int32 x, y: an 8-connected path along the curve `pts` ((T, 2) x, y) through
    the darkest pixel within RIDGE_REACH px across it at every point, for cv2.polylines."""
    rc = pts[:, ::-1].astype(np.float64)
    across = curve_normals(rc[None])[0]
    h, w = ink.shape
    best = np.full(len(rc), -1.0)
    pick = np.rint(rc).astype(np.int64)
    for t in (0.0, -0.5, 0.5, -RIDGE_REACH, RIDGE_REACH):  # ties keep the curve's own pixel
        at = np.rint(rc + t * across).astype(np.int64)
        at[:, 0] = np.clip(at[:, 0], 0, h - 1)
        at[:, 1] = np.clip(at[:, 1], 0, w - 1)
        value = ink[at[:, 0], at[:, 1]]
        better = value > best + 1e-6
        pick[better] = at[better]
        best[better] = value[better]
    return darkest_path(ink, pick)


_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def darkest_path(ink: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """(M, 1, 2) int32 x, y for cv2.polylines: the pixels `pick` ((T, 2) row, col, each within
    a px of the next) as an 8-connected path with its L-step corners left out where no darker
    than their two neighbours, and each pixel moved to a darker neighbour that touches the same
    two neighbours along the path (a stair of a line beside the path): the path seals as well
    and puts its pixels on the ink that is there. Plain Python on ints: a page draws thousands."""
    h, w = ink.shape
    if len(pick) > 1:
        pick = pick[np.concatenate([[True], (pick[1:] != pick[:-1]).any(axis=1)])]
    pts: list[list[int]] = pick.tolist()
    vals: list[float] = ink[pick[:, 0], pick[:, 1]].tolist()
    # An 8-connected path is enough to seal: a corner pixel between two diagonal neighbours
    # (an L step) would only thicken the line.
    out, last = pts[:1], vals[:1]
    for k in range(1, len(pts) - 1):
        (y0, x0), (y2, x2) = out[-1], pts[k + 1]
        if max(abs(y2 - y0), abs(x2 - x0)) <= 1 and vals[k] <= max(last[-1], vals[k + 1]):
            continue
        out.append(pts[k])
        last.append(vals[k])
    if len(pts) > 1:
        out.append(pts[-1])
    # Where the line's darker pixel is a neighbour of the one picked and touches the same two
    # neighbours along the path (a stair of the line beside the path), the path takes it: the
    # picked one would add a pixel beside the line.
    for k in range(1, len(out) - 1):
        (ya, xa), (y, x), (yb, xb) = out[k - 1], out[k], out[k + 1]
        best = float(ink[y, x])
        for dy, dx in _NEIGHBOURS:
            qy, qx = y + dy, x + dx
            if (0 <= qy < h and 0 <= qx < w and max(abs(qy - ya), abs(qx - xa)) == 1
                    and max(abs(qy - yb), abs(qx - xb)) == 1 and float(ink[qy, qx]) > best + 1e-6):
                out[k], best = [qy, qx], float(ink[qy, qx])
    return np.ascontiguousarray(np.array(out, np.int32).reshape(-1, 2)[:, ::-1]).reshape(-1, 1, 2)


def pens(width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) int each: the cv2 line thickness of each closure's solid core and of its soft
    fringe, for strokes measured `width` px across (StrokeEnds.width, float).

    OpenCV draws thick lines an odd number of px across, two more than the thickness at odd
    thicknesses: thickness 1 draws 1 px, 2 draws 3, 3 and 4 draw 5, 5 and 6 draw 7 (LINE_8 and
    LINE_AA alike). A closure given a 3 px line's width as its thickness came out 5 px across,
    a blob on the line. The measured width reads a line 0.3-1 px thinner than it is (a 3 px
    line 2.8, a 5 px one 3.9-4.7, at slants of 0-90 degrees): the core is the odd width
    nearest the measure plus PEN_BIAS px, the fringe two px wider where that is more than half
    a px above the core, else as wide."""
    x = np.maximum(np.asarray(width, np.float64), 1.0) + PEN_BIAS
    core = 2 * np.rint((x - 1.0) / 2.0).astype(int) + 1
    fringe = np.where(x > core + 0.5, core + 2, core)
    return np.where(core == 1, 1, core - 1), np.where(fringe == 1, 1, fringe - 1)


def render(analysis: GapAnalysis, accepted: np.ndarray) -> tuple[np.ndarray, list[Closure]]:
    """Coverage (H, W) float32 of the accepted closures, never on the body of a line (SOLID),
    and the closures that added at least one pixel."""
    line = analysis.lines.ink >= SOLID
    h, w = line.shape
    out = np.zeros((h, w), np.float32)
    if not len(accepted):
        return out, []
    cands = analysis.candidates
    tips = drawn_tips(analysis, accepted)
    pts = curves(analysis, accepted, tips)
    widths = np.maximum(1, np.rint(cands.width[accepted])).astype(int)
    fixed = np.rint(pts * (1 << SUBPIXEL_BITS)).astype(np.int32)
    # An 8-connected solid core as wide as the thinner stroke (pens) seals against 4-connected
    # flood fills; an anti-aliased fringe, as wide or two px wider, softens its edges. One
    # polylines call per pen draws them all; a one-px core is a pixel path (below).
    core = np.zeros((h, w), np.uint8)
    fringe = np.zeros((h, w), np.uint8)
    core_pen, fringe_pen = pens(cands.width[accepted])
    # A wide closure is shaped to the bold strokes it joins (_shape_wide), which clears paper
    # round its bridge: each is drawn and shaped on its own (_draw_wide), or it would clear the
    # other closures drawn there (a hairline beside a bold corner it seals). A bridge to the
    # side of a line is drawn on into the line (drawn_tips) with its pen alone: the stroke
    # carried on till it meets the line, as a person draws a junction (shaped, the hull of
    # the stroke and the line it meets filled the corners either side of it).
    wide = (widths >= WIDE) & (cands.end_b[accepted] >= 0)
    drawn = own_points(fixed)  # each curve once, without the repeats that pad it
    for pen in np.unique(core_pen[(core_pen > 1) & ~wide]).tolist():
        rows = np.nonzero((core_pen == pen) & ~wide)[0].tolist()
        cv2.polylines(core, [drawn[i] for i in rows], False, 255, pen, cv2.LINE_8,
                      SUBPIXEL_BITS)
    for pen in np.unique(fringe_pen[~wide]).tolist():
        rows = np.nonzero((fringe_pen == pen) & ~wide)[0].tolist()
        cv2.polylines(fringe, [drawn[i] for i in rows], False, 255, pen, cv2.LINE_AA,
                      SUBPIXEL_BITS)
    # A one-px core, where a line rasterised from the curve steps a pixel beside the ink at
    # every stair: a traced closure re-inks its faint line's own pixels (ridge_path); any other
    # steps onto the darker neighbour that keeps its path connected (darkest_path).
    traced = analysis.traced[accepted] if len(analysis.traced) else np.zeros(len(accepted), bool)
    ink = analysis.lines.ink
    thin = np.nonzero(core_pen == 1)[0]
    picks = np.clip(np.rint(pts[thin][..., ::-1]), 0, (h - 1, w - 1)).astype(np.int64)
    paths = [ridge_path(ink, pts[row]) if traced[row] else darkest_path(ink, pick)
             for row, pick in zip(thin.tolist(), picks, strict=True)]
    if paths:
        cv2.polylines(core, paths, False, 255, 1, cv2.LINE_8)
    np.multiply(fringe, np.float32(FRINGE / 255.0), out=out, casting="unsafe")
    del fringe
    out[core > 0] = 1.0
    del core
    for row in np.nonzero(wide)[0].tolist():
        pen = (int(core_pen[row]), int(fringe_pen[row]))
        _draw_wide(analysis, drawn[row], pen, int(widths[row]), (tips[0][row], tips[1][row]),
                   out)
    out[line] = 0.0
    closures: list[Closure] = []
    for row, k in enumerate(accepted.tolist()):
        pad = int(widths[row]) + 2
        x0 = max(0, int(np.floor(pts[row, :, 0].min())) - pad)
        y0 = max(0, int(np.floor(pts[row, :, 1].min())) - pad)
        x1 = min(w, int(np.ceil(pts[row, :, 0].max())) + pad + 1)
        y1 = min(h, int(np.ceil(pts[row, :, 1].max())) + pad + 1)
        if x1 <= x0 or y1 <= y0 or not (out[y0:y1, x0:x1] >= 0.5).any():
            continue
        closures.append(Closure(
            start=(float(cands.start[k, 0]), float(cands.start[k, 1])),
            stop=(float(cands.stop[k, 0]), float(cands.stop[k, 1])),
            probability=float(analysis.probability[k]),
            length=float(cands.length[k]),
            width=int(widths[row]),
            bbox=(x0, y0, x1 - x0, y1 - y0),
        ))
    return out, closures


def add_necks(analysis: GapAnalysis, coverage: np.ndarray, max_gap: int) -> list[Closure]:
    """Draw the necks (breaks of up to 3 px with no stroke end) into `coverage` (in place), as
    wide as the lines where they face each other, with an anti-aliased edge below half
    coverage, and return a closure for each. Like the short breaks between stroke ends, they
    are closed at any sensitivity (probability SURE), up to the max gap; a neck that a drawn
    closure touches is closed by it already, and one with a drawn closure near it is a neck
    only if it still is with that closure as line (where a closure has closed the far side of
    a wedge, paper that was open is a narrow channel now). A break across a bold stroke
    (`whole`) is drawn whatever closure touches it: one between two of its corners seals it
    as a hairline along an edge."""
    return draw_necks(analysis, coverage, necks_to_draw(analysis, coverage, max_gap))


def find_faint_joins(lines: LineMap, reach: int) -> Necks:
    """Faint lines that run from one line to another, as necks drawn on their ridge.

    Where a hairline (a stroke drawn lighter, a pencil line where the pressure lifted) runs
    between two lines, a break along it has no stroke end on either side: the crossing lines cut
    it into stretches that the candidates (propose, traced) never see. A faint line is ink of
    at least TRACE_LEVEL, TRACE_CONTRAST above what an opening FAINT_OPENING px wide leaves
    there, off line and not the soft edge of one (under half the darkest ink beside it), with
    the specks on it (pieces under MIN_JOINED_PIECE px: its darker bits). One is kept where it
    comes within FAINT_NEAR px of two lines and fits in `reach` px each way (two parts of one
    stroke that meet only outside its box count as two: the faint line closes a loop); where its
    skeleton runs from one to the other with the faint line along the whole way (the trace test
    of candidates.traced, off both lines by TRACE_TIP_LINE); where at most FAINT_BESIDE px of
    that path lie next to a line (it crosses between lines, not along one, which would only
    thicken it); and where at most FAINT_CROWD other pieces of line lie within FAINT_CROWD_PAD
    px of its box (not stipple, a screentone or hatching, whose marks the faint px between them
    chain into lines). It is drawn through the darkest px across the path (ridge_path) and on
    to the px of each line where the path, carried on 2 px, would meet it."""
    ink, pieces = lines.ink, lines.pieces
    real = lines.areas >= MIN_JOINED_PIECE
    real[0] = False
    big = real[pieces]
    specks = lines.line & ~big
    h, w = ink.shape
    opening = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (FAINT_OPENING, FAINT_OPENING))
    beside = np.ones((3, 3), np.uint8)
    faint = np.zeros((h, w), bool)
    halo = FAINT_OPENING // 2 + 1
    for lo, hi, top, bottom in row_strips(h, halo):
        window = ink[top:bottom]
        rows = ink[lo:hi]
        stands = (window - cv2.morphologyEx(window, cv2.MORPH_OPEN, opening))[lo - top : hi - top]
        near_line = cv2.dilate(big[top:bottom].view(np.uint8), beside)[lo - top : hi - top]
        soft = rows < 0.5 * cv2.dilate(window, beside)[lo - top : hi - top]
        edge = near_line.view(bool) & soft
        clear = (rows >= TRACE_LEVEL) & (stands >= TRACE_CONTRAST)
        # A fainter line on quiet paper, not the soft edge of a darker faint line.
        clear |= ((rows >= TRACE_FAINTEST) & (stands >= np.float32(1.0 - TRACE_QUIET) * rows)
                  & ~soft)
        faint[lo:hi] = clear & ~big[lo:hi] & ~edge
    faint |= specks
    n, found_labels, stats, _ = cv2.connectedComponentsWithStats(
        faint.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    labels = np.asarray(found_labels, np.int32)
    del faint
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    fits = (area >= 3) & (np.maximum(bw, bh) <= reach)
    fits[0] = False
    if not fits.any():
        return no_necks()
    # Which faint lines come within FAINT_NEAR px of a line at all.
    reach_px = np.ones((2 * FAINT_NEAR + 1, 2 * FAINT_NEAR + 1), np.uint8)
    touching = np.zeros(n, np.int64)
    for lo, hi, top, bottom in row_strips(h, FAINT_NEAR):
        mine = labels[lo:hi]
        near = cv2.dilate(big[top:bottom].view(np.uint8), reach_px)[lo - top : hi - top]
        at = fits[mine] & near.view(bool)
        if at.any():
            touching += np.bincount(mine[at], minlength=n)
    found: list[tuple[np.ndarray, np.ndarray, int]] = []
    for k in np.nonzero(touching > 0)[0].tolist():
        path = _faint_path(lines, labels, k, (int(x[k]), int(y[k]), int(bw[k]), int(bh[k])))
        if path is not None:
            found.append((path, np.zeros((0, 2), np.int64), len(path)))
    return as_necks(found, faint=True)


def _faint_path(lines: LineMap, labels: np.ndarray, k: int, box: tuple[int, int, int, int]
                ) -> np.ndarray | None:
    """find_faint_joins' pixels (row, col) for faint line `k` (in `labels`, within `box` x, y,
    w, h), or None where it is no join."""
    ink, pieces = lines.ink, lines.pieces
    h, w = ink.shape
    x, y, bw, bh = box
    pad = FAINT_NEAR + 1
    y0, y1, x0, x1 = max(0, y - pad), min(h, y + bh + pad), max(0, x - pad), min(w, x + bw + pad)
    mine = labels[y0:y1, x0:x1] == k
    win = pieces[y0:y1, x0:x1]
    real = lines.areas[win] >= MIN_JOINED_PIECE
    reach_px = np.ones((2 * FAINT_NEAR + 1, 2 * FAINT_NEAR + 1), np.uint8)
    near = cv2.dilate(mine.view(np.uint8), reach_px).view(bool)
    # Dots and specks of their own round it: stipple or a screentone, whose dots the faint
    # px between them chain into a line.
    cy0, cy1 = max(0, y0 - FAINT_CROWD_PAD), min(h, y1 + FAINT_CROWD_PAD)
    cx0, cx1 = max(0, x0 - FAINT_CROWD_PAD), min(w, x1 + FAINT_CROWD_PAD)
    round_it = pieces[cy0:cy1, cx0:cx1]
    others = np.unique(round_it[(round_it > 0) & (labels[cy0:cy1, cx0:cx1] != k)])
    if len(others) > FAINT_CROWD:
        return None
    # The lines as pieces within this box: two parts of one stroke that meet only beyond it
    # (a loop the faint line closes) are two lines here.
    parts = np.asarray(cv2.connectedComponents((real & (win > 0)).view(np.uint8),
                                               connectivity=8, ltype=cv2.CV_32S)[1], np.int32)
    touched = np.unique(parts[near & (parts > 0)])
    core = thin(mine)
    best: tuple[np.ndarray, int, int] | None = None
    # Where each touched line is within reach, once for every pair it is in.
    ids = touched.tolist()
    at = [cv2.dilate((parts == a).astype(np.uint8), reach_px).view(bool) for a in ids]
    for i, a in enumerate(ids):
        for j, b in enumerate(ids[i + 1 :], start=i + 1):
            path = _shortest_path(core, at[i], at[j])
            if path is not None and (best is None or len(path) > len(best[0])):
                best = (path, a, b)
    if best is None or len(best[0]) < 3:
        return None
    path, a, b = best
    ridge = _smoothed(path.astype(np.float64))
    step = np.linalg.norm(np.diff(ridge, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(step)])
    inside = ((along >= TRACE_TIP_LINE - FAINT_NEAR)
              & (along <= along[-1] - (TRACE_TIP_LINE - FAINT_NEAR)))
    if not inside.any():
        return None
    curve = (ridge + np.array([y0, x0]))[None].astype(np.float32)
    if not faint_along(ink, curve, curve_normals(curve))[1][0][inside].all():
        return None
    next_to = cv2.dilate((parts > 0).view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    if int(next_to[path[:, 0], path[:, 1]].sum()) > FAINT_BESIDE:
        return None
    # Drawn through the darkest px across the path, every half px, and on to each line.
    t = np.arange(0.0, along[-1] + 1e-6, 0.5)
    fine = np.stack([np.interp(t, along, ridge[:, 0]), np.interp(t, along, ridge[:, 1])], 1)
    back = min(3, len(ridge) - 1)
    # Carried on FAINT_NEAR px at each end, so the ridge reaches the lines on the faint line.
    steps = np.arange(0.5, FAINT_NEAR + 0.5, 0.5)[:, None]
    head = (ridge[0] - ridge[back]) / max(float(np.linalg.norm(ridge[0] - ridge[back])), 1e-6)
    tail = (ridge[-1] - ridge[-1 - back]) / max(
        float(np.linalg.norm(ridge[-1] - ridge[-1 - back])), 1e-6)
    fine = np.concatenate([(ridge[0] + steps * head)[::-1], fine, ridge[-1] + steps * tail])
    fine[:, 0] = fine[:, 0].clip(0, mine.shape[0] - 1)
    fine[:, 1] = fine[:, 1].clip(0, mine.shape[1] - 1)
    drawn = ridge_path(ink[y0:y1, x0:x1], fine[:, ::-1])
    mask = np.zeros(mine.shape, np.uint8)
    cv2.polylines(mask, [drawn], False, 1, 1, cv2.LINE_8)
    # On to the px of each line where the path, carried on 2 px, would meet it.
    for end, part, heading in ((drawn[0, 0], a, head), (drawn[-1, 0], b, tail)):
        py, px = np.nonzero(parts == part)
        aim = np.array([end[1], end[0]], np.float64) + 2.0 * heading
        m = int(np.argmin((py - aim[0]) ** 2 + (px - aim[1]) ** 2))
        cv2.line(mask, (int(end[0]), int(end[1])), (int(px[m]), int(py[m])), 1, 1, cv2.LINE_8)
    mask[lines.line[y0:y1, x0:x1]] = 0
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return None
    return np.stack([ys + y0, xs + x0], axis=1).astype(np.int64)


def _smoothed(path: np.ndarray) -> np.ndarray:
    """(T, 2) a pixel path with each point the mean of the 5 around it (ends held)."""
    if len(path) < 5:
        return path
    padded = np.concatenate([path[:1].repeat(2, 0), path, path[-1:].repeat(2, 0)])
    kernel = np.ones(5) / 5
    return np.stack([np.convolve(padded[:, c], kernel, "valid") for c in (0, 1)], axis=1)


def _shortest_path(allowed: np.ndarray, start: np.ndarray, goal: np.ndarray
                   ) -> np.ndarray | None:
    """(T, 2) row, col: the shortest 8-connected path through `allowed` from a px of `start` to
    one of `goal` (bool maps), or None."""
    h, w = allowed.shape
    came = np.full(h * w, -1, np.int64)
    frontier = [int(i) for i in np.flatnonzero(allowed & start)]
    for i in frontier:
        came[i] = i
    flat_goal = goal.ravel()
    flat_ok = allowed.ravel()
    while frontier:
        nxt: list[int] = []
        for i in frontier:
            if flat_goal[i]:
                out = [i]
                while came[out[-1]] != out[-1]:
                    out.append(int(came[out[-1]]))
                return np.array([divmod(v, w) for v in out[::-1]], np.int64)
            r, c = divmod(i, w)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, cc = r + dr, c + dc
                    if (dr or dc) and 0 <= rr < h and 0 <= cc < w:
                        j = rr * w + cc
                        if flat_ok[j] and came[j] < 0:
                            came[j] = i
                            nxt.append(j)
        frontier = nxt
    return None


def necks_within(necks: Necks, max_gap: int) -> np.ndarray:
    """(K,) bool: the necks short enough at this max gap; a faint line's, which runs along a
    stroke, up to the long reach (long_reach)."""
    limit = np.where(necks.faint, long_reach(max_gap), float(max_gap))
    return necks.gap <= limit


def necks_to_draw(analysis: GapAnalysis, coverage: np.ndarray, max_gap: int) -> list[int]:
    """The necks add_necks draws next to the closures of `coverage`."""
    necks = analysis.necks
    if not len(necks):
        return []
    drawn = coverage >= 0.5
    chosen: list[int] = []
    within = necks_within(necks, max_gap)
    for k in range(len(necks)):
        if not within[k]:
            continue
        pix = necks.pixels[necks.offsets[k] : necks.offsets[k + 1]]
        x, y, bw, bh = (int(v) for v in necks.bbox[k])
        if necks.faint[k]:  # a faint line's own ridge: drawn unless closures cover it
            if drawn[pix[:, 0], pix[:, 1]].mean() < 0.5:
                chosen.append(k)
            continue
        whole = bool(necks.whole[k])
        if not whole and drawn[max(0, y - 1) : y + bh + 1, max(0, x - 1) : x + bw + 1].any():
            continue
        (y0, y1), (x0, x1) = neck_window((x, y, bw, bh), coverage.shape)
        near = drawn[y0:y1, x0:x1]
        if near.any() and not whole:
            neck = np.zeros(near.shape, bool)
            neck[pix[:, 0] - y0, pix[:, 1] - x0] = True
            line = big_lines(analysis.lines, slice(y0, y1), slice(x0, x1))
            if not seals(line | near, neck):
                continue
        chosen.append(k)
    return chosen


def pending_to_draw(analysis: GapAnalysis, coverage: np.ndarray, max_gap: int) -> list[int]:
    """The pending bold fills (GapAnalysis.pending) up to the max gap that part the paper
    around them with the lines, what `coverage` holds at half and more, and all of them drawn:
    a bold stroke cut twice is closed at both cuts once a bridge closes one."""
    pending = analysis.pending
    if not len(pending):
        return []
    within = np.nonzero(pending.gap <= max_gap)[0]
    if not len(within):
        return []
    return parts_paper_with(analysis.lines.line, coverage, pending, within)


def draw_necks(analysis: GapAnalysis, coverage: np.ndarray, chosen: list[int],
               necks: Necks | None = None) -> list[Closure]:
    """Draw the necks `chosen` (of analysis.necks, or of `necks`) into `coverage` (in place);
    a closure for each."""
    necks = analysis.necks if necks is None else necks
    closures: list[Closure] = []
    for k in chosen:
        size = int(necks.gap[k])
        pix = necks.pixels[necks.offsets[k] : necks.offsets[k + 1]]
        x, y, bw, bh = (int(v) for v in necks.bbox[k])
        soft = necks.soft[necks.soft_offsets[k] : necks.soft_offsets[k + 1]]
        edge = coverage[soft[:, 0], soft[:, 1]]
        coverage[soft[:, 0], soft[:, 1]] = np.maximum(edge, np.float32(FRINGE))
        coverage[pix[:, 0], pix[:, 1]] = 1.0
        first, last = pix[0], pix[-1]  # row-major: the neck's two ends
        width = max(1, round(len(pix) / max(size, 1)))
        closures.append(Closure(
            start=(float(first[0]), float(first[1])), stop=(float(last[0]), float(last[1])),
            probability=SURE, length=float(size), width=width, bbox=(x, y, bw, bh)))
    return closures


def own_points(curves: np.ndarray) -> list[np.ndarray]:
    """Each curve of `curves` ((K, T, 2) int32, as curves samples them) without the repeats of
    its last point that pad it to T: an anti-aliased pen drawn again on its cap darkens it."""
    same = (curves[:, 1:] == curves[:, -1:]).all(axis=2)  # (K, T - 1): point j + 1 is the last
    run = np.where(same.all(axis=1), same.shape[1], np.argmin(same[:, ::-1], axis=1))
    return [np.ascontiguousarray(curve[:n]) for curve, n in
            zip(curves, (curves.shape[1] - run + 1).tolist(), strict=True)]


def _draw_wide(analysis: GapAnalysis, curve: np.ndarray, pen: tuple[int, int], width: int,
               points: tuple[np.ndarray, np.ndarray], out: np.ndarray) -> None:
    """Draw one wide closure (`curve`: (T, 2) x, y in 1/2**SUBPIXEL_BITS px; `pen`: core and
    fringe thickness, pens) into `out` (in place, the larger coverage kept), shaped to the
    bold strokes it joins (_shape_wide) on a layer of its own: the paper its shaping clears
    round the bridge is cleared of this closure only."""
    h, w = out.shape
    ends = np.stack(points)
    reach = max(pen) + 2.0
    xs, ys = curve[:, 0] / float(1 << SUBPIXEL_BITS), curve[:, 1] / float(1 << SUBPIXEL_BITS)
    y0, x0, y1, x1 = _wide_box(ends, width, (h, w))  # and the whole curve with its pen
    y0 = max(0, min(y0, int(np.floor(ys.min() - reach))))
    x0 = max(0, min(x0, int(np.floor(xs.min() - reach))))
    y1 = min(h, max(y1, int(np.ceil(ys.max() + reach)) + 1))
    x1 = min(w, max(x1, int(np.ceil(xs.max() + reach)) + 1))
    if y1 <= y0 or x1 <= x0:
        return
    local = np.ascontiguousarray(curve - np.array([x0, y0], np.int32) * (1 << SUBPIXEL_BITS))
    core = np.zeros((y1 - y0, x1 - x0), np.uint8)
    fringe = np.zeros_like(core)
    cv2.polylines(core, [local], False, 255, pen[0], cv2.LINE_8, SUBPIXEL_BITS)
    cv2.polylines(fringe, [local], False, 255, pen[1], cv2.LINE_AA, SUBPIXEL_BITS)
    layer = fringe.astype(np.float32) * np.float32(FRINGE / 255.0)
    layer[core > 0] = 1.0
    _shape_wide(analysis, width, layer, points, (y0, x0))
    np.maximum(out[y0:y1, x0:x1], layer, out=out[y0:y1, x0:x1])


def _wide_box(ends: np.ndarray, width: int, shape: tuple[int, int]
              ) -> tuple[int, int, int, int]:
    """(y0, x0, y1, x1): the window _shape_wide reads round a wide closure's two `ends`
    (row, col), within WIDE_HULL x `width` of them, clipped to `shape`."""
    r = WIDE_HULL * width
    return (max(0, int(np.floor(ends[:, 0].min() - r)) - 1),
            max(0, int(np.floor(ends[:, 1].min() - r)) - 1),
            min(shape[0], int(np.ceil(ends[:, 0].max() + r)) + 2),
            min(shape[1], int(np.ceil(ends[:, 1].max() + r)) + 2))


def _shape_wide(analysis: GapAnalysis, width: int, out: np.ndarray,
                points: tuple[np.ndarray, np.ndarray], origin: tuple[int, int] = (0, 0)
                ) -> None:
    """Shape a wide closure drawn between `points` (row, col) in `out` (in place; its pixel
    [0, 0] at `origin` of the page) to the bold strokes it joins: inside the convex hull of
    their pixels within WIDE_HULL x `width` of its two ends, that hull's paper filled. `out` holds
    this closure alone (_draw_wide): its pixels round the bridge outside the hull are cleared,
    and `out` must take in the window those are read from (_wide_box)."""
    lines = analysis.lines
    h, w = lines.pieces.shape
    ends = np.stack(points)
    y0, x0, y1, x1 = _wide_box(ends, width, (h, w))
    if y1 - y0 < 2 or x1 - x0 < 2:
        return
    r = WIDE_HULL * width
    pieces = lines.pieces[y0:y1, x0:x1]
    yy, xx = np.mgrid[y0:y1, x0:x1]
    near = np.zeros(pieces.shape, bool)
    for end_y, end_x in ends.tolist():
        iy = min(max(int(round(end_y)), 0), h - 1)
        ix = min(max(int(round(end_x)), 0), w - 1)
        piece = int(lines.pieces[iy, ix])
        disc = (yy - end_y) ** 2 + (xx - end_x) ** 2 <= r * r
        near |= disc & ((pieces == piece) if piece else (pieces > 0))
    if np.count_nonzero(near) < 3:
        return
    pts = np.stack([xx[near] - x0, yy[near] - y0], axis=1).astype(np.int32)
    hull = np.zeros(pieces.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(pts), 1)
    inside = hull.astype(bool)
    # Only this closure's own pixels are clipped: those within its width of its bridge.
    seg = np.zeros(pieces.shape, np.uint8)
    a = (int(round(ends[0, 1])) - x0, int(round(ends[0, 0])) - y0)
    b = (int(round(ends[1, 1])) - x0, int(round(ends[1, 0])) - y0)
    cv2.line(seg, a, b, 1, 2 * width + 3)
    window = out[y0 - origin[0]:y1 - origin[0], x0 - origin[1]:x1 - origin[1]]
    window[(seg > 0) & ~inside] = 0.0
    # The fill stays as near the bridge as the strokes' own half width (their pixels near the
    # ends, across the bridge) reaches: where a stroke curves, its hull takes in paper on the
    # inner side farther off.
    axis = np.subtract(b, a, dtype=np.float64)
    axis /= max(float(np.hypot(*axis)), 1e-6)
    across = np.abs((pts[:, 0] - a[0]) * axis[1] - (pts[:, 1] - a[1]) * axis[0])
    reach = max(width + 3, 2 * int(np.ceil(np.percentile(across, 75))) + 1)
    pen = np.zeros(pieces.shape, np.uint8)
    cv2.line(pen, a, b, 1, reach)
    # Not past its ends: a thick line's round cap there takes in the paper beyond the face it
    # meets (at a junction, or beside a slit, the drawing's own).
    span = float(np.hypot(*np.subtract(b, a, dtype=np.float64)))
    along = (xx - x0 - a[0]) * axis[0] + (yy - y0 - a[1]) * axis[1]
    pen[(along < -OVERLAP_PX) | (along > span + OVERLAP_PX)] = 0
    window[inside & (pen > 0) & (pieces == 0)] = 1.0
    # Paper it fills lies between the strokes it joins, along the bridge: a stroke's line
    # straight back and straight on from it. Beside a stroke at a junction the hull takes in
    # the junction's own paper, which has paper on one side along the bridge.
    own = {int(lines.pieces[min(max(int(round(y)), 0), h - 1), min(max(int(round(x)), 0), w - 1)])
           for y, x in ends.tolist()}
    mine = (seg > 0) & (pieces == 0) & (window > 0)
    if mine.any():
        # (A pixel of slack: a ray along an oblique edge passes between its staircase steps.)
        theirs = cv2.dilate(((pieces > 0) if 0 in own else np.isin(pieces, list(own)))
                            .view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        ys, xs = np.nonzero(mine)
        flanked = np.ones(len(ys), bool)
        for hit, inside in ray_samples(theirs, ys, xs, axis[::-1], span + 2.0):
            flanked &= (hit & inside).any(axis=1)
        window[ys[~flanked], xs[~flanked]] = 0.0


def drawn_tips(analysis: GapAnalysis, accepted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, 2) row, col the closures of `accepted` are drawn from and to: each stroke end of a
    stroke at least CENTRED_WIDTH wide moved to the middle of its end (end_tip), and a bridge
    to the side of a line drawn on into it as far as it is wide there (candidates.landing):
    from the line's edge, a bold closure's round end would bulge out round the line's edge."""
    cands, ends, lines = analysis.candidates, analysis.ends, analysis.lines
    a_pt = cands.start[accepted].astype(np.float64)
    b_pt = cands.stop[accepted].astype(np.float64)
    side = np.nonzero(cands.end_b[accepted] < 0)[0]
    if len(side):
        rows = accepted[side]
        # Less the overlap the curve is drawn past its ends with (not through a thin line).
        land = landing(lines, cands.start[rows], cands.stop[rows], cands.width[rows])[0]
        way = land - cands.stop[rows]
        deep = np.hypot(way[:, 0], way[:, 1])
        back = np.minimum(deep, OVERLAP_PX) / np.maximum(deep, 1e-6)
        b_pt[side] = land - way * back[:, None]
    tips = analysis.tips
    for pts, column in ((a_pt, cands.end_a[accepted]), (b_pt, cands.end_b[accepted])):
        for row, e in enumerate(column.tolist()):
            if e < 0:
                continue  # the side of a line: where the bridge meets it
            if e not in tips:
                tips[e] = end_tip(lines, ends, e)
            tip = tips[e]
            if tip is not None:
                pts[row] = tip
    return a_pt, b_pt


def end_tip(lines: LineMap, ends: StrokeEnds, e: int) -> np.ndarray | None:
    """Row, col of the middle of stroke end e's tip, or None to keep ends.tip[e].

    The skeleton of a blunt end (a bold stroke cut square, a flat marker end) forks to the end's
    corners, so its tip sits on a corner and a bridge to it runs along the stroke's edge: half
    a stroke width off the line it continues. The end's last 2.5 widths of line are measured
    instead: their centroid and main axis give the middle of the tip. Thin strokes (below
    CENTRED_WIDTH) have no such fork and keep their tip; so does an end whose line is not
    elongated along its direction (a blob, a junction nearby).
    """
    tip, d, w0 = ends.tip[e], ends.direction[e], float(ends.width[e])
    if w0 < CENTRED_WIDTH:
        return None
    r = 2.5 * w0 + 3.0
    h, w = lines.line.shape
    y0, y1 = max(0, int(tip[0] - r)), min(h, int(tip[0] + r) + 2)
    x0, x1 = max(0, int(tip[1] - r)), min(w, int(tip[1] + r) + 2)
    yy, xx = np.nonzero(lines.pieces[y0:y1, x0:x1] == ends.piece[e])
    p = np.stack([yy + y0, xx + x0], axis=1).astype(np.float64)
    p = p[((p - tip) ** 2).sum(axis=1) <= r * r]
    if len(p) < 6:
        return None
    centre = p.mean(axis=0)
    q = p - centre
    values, vectors = np.linalg.eigh(q.T @ q / (len(q) - 1))  # np.cov, without its checks
    if values[1] < 3.0 * max(float(values[0]), 1e-6):
        return None
    axis = vectors[:, 1] if float(vectors[:, 1] @ d) >= 0 else -vectors[:, 1]
    if float(axis @ d) < 0.7:
        return None
    middle = centre + axis * float(((p - centre) @ axis).max())
    return middle if float(np.hypot(*(middle - tip))) <= max(2.0, w0) else None
