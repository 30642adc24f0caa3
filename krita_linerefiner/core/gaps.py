"""Close breaks in line art.

The pipeline: normalise the line darkness (core.lines: faint, pencil and coloured lines become
full ink), join the fragments a thin line binarised breaks into a px apart (the analysis reads
them as one line, candidates.find_stair_breaks), find stroke ends and every plausible bridge
from them (core.candidates), score each bridge with the learned verifier (a batched ONNX
scorer), accept the probable ones and draw each as a stroke that continues the lines it joins
(core.closures). Optionally the dense model (a per-pixel network run over tiles) adds the
strokes it is confident of.

The added pixels are returned separately from the ink and never cover existing ink, so the
caller can show them on their own layer and the user's lines are never changed.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from .candidates import (
    BRIDGE_CHORD,
    FEATURES,
    LINE_LEVEL,
    SAMPLING_POINT,
    TRACE_TIP_LINE,
    Candidates,
    LineMap,
    StrokeEnds,
    area_feature,
    bold_necks,
    candidate_curves,
    feature_rank,
    find_ends,
    find_necks,
    find_stair_breaks,
    from_other_end,
    join_necks,
    joins_pieces,
    pairs_within,
    paper_regions,
    patches,
    propose,
    reached_pieces,
    ring_of,
    side_crowding,
    tip_crowding,
    traced,
)
from .closures import (
    MAX_REACH,
    MIN_JOINED_PIECE,
    SOLID,
    SUBPIXEL_BITS,
    SURE,
    Closure,
    GapAnalysis,
    Scorer,
    candidate_gap,
    clear_dash,
    curves,
    dash_pieces,
    draw_necks,
    drawn_tips,
    find_faint_joins,
    long_reach,
    necks_to_draw,
    own_points,
    pending_to_draw,
    pens,
    render,
    scaled_gap,
    seal_sensitivity,
    select,
    selectable,
    shaded_bridges,
    threshold,
    union_root,
)
from .errors import LineRefinerError, check_cancel
from .ink import as_ink
from .lines import LineLevels, normalise_lines, row_strips
from .tiling import TileModel, fit_to_image, release_memory, run_tiled, sub_progress

MAX_GAP_LIMIT = MAX_REACH
SEAL_MARGIN = 4
HYSTERESIS = 0.5
SCORE_BLOCK = 4096  # candidates cut into patches and scored at a time (48 MB of patches)
# A candidate the verifier gives less than this on one side is not asked about its mirror: the
# mean of both could not reach the lowest threshold a sensitivity sets (closures.threshold,
# 0.1) unless the two answers disagreed wildly. On 40,000 training candidates the shipped
# verifier skips 69% of the mirrors this way and no selection at sensitivity 0.5 changes
# (models/README.md, "Scoring cost").
MIRROR_FLOOR = 0.01
# The verifier is asked about each candidate at these scales of its patch (candidates.patches'
# zoom: the drawing px it covers, times each) and answers with the mean over them (each itself
# the mean with its mirror, score_both_sides): more views of one question at no training cost,
# as the mirror is (stop 60, models/README.md: at 2% false additions Tux Paint -0.2 .. +3.2
# points, the hand-drawn sets -1.1 .. +0.8; categories 59 -> 61 of 68 checks). A candidate
# whose first answer is under MIRROR_FLOOR keeps it.
VIEW_ZOOMS = (1.0, 0.9, 1.1)
# A bridge between two stroke ends with at most this many other tips within CROWD_RADIUS (16
# px) of each is also asked from its other end (candidates.from_other_end), and the two answers
# averaged: on plain line art a second view of the same question closes more breaks at the same
# false additions; among hatching and texture it adds false bridges (models/README.md, stop 35).
PLAIN_CROWDING = 2
# A tip among shading's marks (closures.shaded_bridges) has a candidate to each mark around
# it; beyond its SHADED_NEAREST nearest they are not scored (and never selected): on a page of
# shading drawings they were 45% of the candidates scored, and every category's closures stay
# the same (models/README.md, stop 39).
SHADED_NEAREST = 4
# A bridge along a dotted faint line (candidates.dotted_trace: blanks of up to 8 px) is sure
# only where the verifier gives it at least this: texture and JPEG noise dot a bridge too
# (without it, JPEG strays 10.2 -> 17.3 px/MP and shading's 4.6 -> 7.1; models/README.md,
# stop 41).
DOTTED_SURE_FROM = 0.1
# ... or where its dots are dashes of line (pieces under MIN_JOINED_PIECE px, at least
# DASHED_MIN of them) over at least DASHED_SHARE of the way: a dashed or dotted line the pen
# drew, whose dark dashes JPEG noise and paper grain do not make, and which the verifier, never
# shown one, scores near 0 (the sparse and dotted categories; models/README.md, stop 43).
DASHED_SHARE = 0.3
DASHED_MIN = 2
# A stroke drawn as dashes that the line map keeps (pieces under MIN_JOINED_PIECE px with two
# stroke ends pointing apart): bridges between the dashes, and from them to the lines they
# continue, are links of a chain (_dash_chains), sure whatever the verifier says where the chain
# reaches lines at two places at least DASH_SPAN px apart. The verifier, never shown dashes,
# scores each link alone near 0 (the sparse category; models/README.md, stop 44). A link is an
# end's shortest of its bridges of at most DASH_LINK px that stay within DASH_COS of the ends
# they leave and reach.
DASH_LINK = 10.0
DASH_COS = 0.8  # 37 degrees
DASH_SPAN = 6.0
# A link may be longer where dots too small to have stroke ends lie on its way: up to DASH_OVER
# px, with at most DASH_LINK px of it paper (a dashed line whose pen left a dot of 1-4 px
# between two dashes: the art4apps goat's nose, stop 54).
DASH_OVER = 2 * DASH_LINK
# A traced or dashed break is sure only where its ends are out of shading: fewer than this many
# other tips within candidates.CROWD_RADIUS lie beside each end's line (candidates.side_crowding).
# A dashed stroke's own tips, 8 or more within 16 px where its dashes are short, lie along it (the
# art4apps goat's nose line: 0-2 beside; a field of dashes' corner: 6). With 6 the shading
# category's false additions rose 10.4 -> 10.9%; with 4, 10.3% (models/README.md, stop 54).
SHADED_BESIDE = 4
# Which small pieces are dashes, and which of them are no stroke's (JPEG's fringe beside a
# line, stipple): closures.dash_pieces and closures.clear_dash. A chain of one dash (a speck
# between two lines, say) must continue a stroke end that faces it.
DASH_FACE = 4.0  # px: a stroke end this near where a link reaches a line's side continues it
# px: a dotted trace shorter than this (a line's soft edge runs so far) also yields to a bridge
# from the same stroke end that the verifier prefers (_traced_breaks).
DOTTED_SHORT = 8.0
# The sealing tier (_sealing) labels the whole page's paper up to this many px; on a larger
# page it looks SEAL_WINDOW px round each closure, and a region that leaks on farther away
# counts as sealed there (two page-sized label maps cost 0.8 GB at 52 MP).
SEAL_WHOLE_PX = 16_000_000
SEAL_WINDOW = 256
# A bridge the verifier is less sure of still (down to LARGE_BOOST more than the sensitivity
# asked for, not only the sealing tier's closures.SEAL_BOOST) is drawn where, alone, it parts
# two large regions of paper (_parting): at least (LARGE_SPAN x the max gap)^2 px each within
# LARGE_WINDOW x LARGE_SPAN x the max gap round it, at most SEAL_WINDOW (the benchmark's 640
# px drawings at the default max gap: 96 px squares, 2.2% of the page, within 192 px). A fill
# leaks through such a break into the background or the next body, where a notch or the tip
# of a hair strand parts a sliver at most (models/README.md, stop 59).
LARGE_BOOST = 0.3
LARGE_SPAN = 4.0
LARGE_WINDOW = 2.0
# The max gap is meant for lines of up to this width (the median skeleton width, line_width):
# a drawing whose lines are wider, as a scan at 300 dpi or more draws a pen, has its breaks as
# many times longer, and with GapParams.scale_max_gap the max gap its candidate bridges are
# selected by grows with them, up to MAX_GAP_LIMIT (closures.candidate_gap; the necks and the
# bold fills keep the max gap as set). benchmarks.real --scale 2, models/README.md stop 34.
# Strokes wider than WIDTH_CAP px (bold fills, solid areas) do not count.
AUTO_LINE_WIDTH = 2.8
# Only lines at least this wide (what a 3-4 px line reads as) scale it: of the test split's
# 400 crops of screen-sized line art, 192 read wider than 2.8 px, most 3.6 (a 2-3 px line),
# and scaled by that their closures gained nothing and added 0.5% more false px.
SCALE_FROM = 4.5
WIDTH_CAP = 16.0
WIDTH_MIN_PIECE = 16  # px: smaller pieces of line (dust, pencil grain) have no width to read


@dataclass(frozen=True)
class GapParams:
    sensitivity: float = 0.5
    max_gap: int = 24
    seal_only: bool = False
    tile: int = 2048
    line_darkness: float | None = None  # None: estimated from the drawing
    dense: bool = False  # also keep the dense model's confident strokes
    # The candidates' max gap times line_width / AUTO_LINE_WIDTH where the lines are wider
    # (gap_scale, closures.candidate_gap).
    scale_max_gap: bool = True

    def __post_init__(self) -> None:
        if self.line_darkness is not None and not 0.02 <= self.line_darkness <= 1.0:
            raise LineRefinerError(
                f"Line darkness must be between 0.02 and 1 (or auto), not {self.line_darkness}."
            )
        if not 0.0 <= self.sensitivity <= 1.0:
            raise LineRefinerError(
                f"Gap sensitivity must be between 0 and 1, not {self.sensitivity}."
            )
        if not 1 <= self.max_gap <= MAX_GAP_LIMIT:
            raise LineRefinerError(f"Max gap size must be 1-64 px, not {self.max_gap}.")
        if not 64 <= self.tile <= 8192:
            raise LineRefinerError(f"Tile size must be 64-8192 px, not {self.tile}.")

    @property
    def threshold(self) -> float:
        # Sensitivity 0.5 keeps what the model is at least 50% sure of; the ends stay inside
        # (0, 1) so that neither extreme adds everything or nothing.
        return 0.9 - 0.8 * self.sensitivity


@dataclass(frozen=True)
class GapResult:
    gaps: np.ndarray
    source: np.ndarray = field(repr=False)  # the ink that was closed (the caller's, not a copy)
    count: int
    probability: np.ndarray | None = field(default=None, repr=False)  # the dense model's
    closures: tuple[Closure, ...] = ()
    analysis: GapAnalysis | None = field(default=None, repr=False)  # unless not kept
    levels: LineLevels | None = None
    normalised: np.ndarray | None = field(default=None, repr=False)  # the ink as lines read

    @functools.cached_property
    def closed(self) -> np.ndarray:
        """The ink with the closures added; made on first use (a page-size map)."""
        return np.maximum(self.source, self.gaps)


def line_width(lines: LineMap) -> float:
    """px: the median width of the drawing's lines, 0 where there are none: twice the distance
    to paper, less one, along their middle (where that distance peaks across them).

    The line map is closed by a px first, so that the pinholes a grainy pencil stroke or a scan
    leaves in a line do not read as paper inside it (a 20% pencil drawing's lines read a px
    wide where the same drawing in black reads 6-10 px: models/README.md, stop 37), and pieces
    of line under WIDTH_MIN_PIECE px (dust, grain) do not count. Nor do pieces wider than
    WIDTH_CAP anywhere: a contour that runs into a solid fill (hair, a black jacket) reads the
    fill's width along its middle. Worked out in strips of rows (memory)."""
    eight = np.ones((3, 3), np.uint8)
    halo = int(WIDTH_CAP) + 2  # the distance is exact up to WIDTH_CAP / 2 and two px more
    widths, pieces, bold = [], [], []
    for lo, hi, top, bottom in row_strips(lines.line.shape[0], halo):
        solid = cv2.morphologyEx(lines.line[top:bottom].view(np.uint8), cv2.MORPH_CLOSE, eight)
        distance = cv2.distanceTransform(solid, cv2.DIST_L2, 3)
        # a strip with no paper reads about 1e38 (and 2 x that overflows): such pieces are
        # bold whatever the number, so any cap above WIDTH_CAP / 2 leaves the width as it is
        np.minimum(distance, 4.0 * halo, out=distance)
        to_paper = distance[lo - top : hi - top]
        peak = cv2.dilate(distance, eight)[lo - top : hi - top]
        line = lines.line[lo:hi]
        label = lines.pieces[lo:hi]
        middle = (to_paper >= peak - 1e-3) & line
        widths.append(2.0 * to_paper[middle] - 1.0)
        pieces.append(label[middle])
        bold.append(np.unique(label[line & (to_paper > WIDTH_CAP / 2)]))
    counted = lines.areas >= WIDTH_MIN_PIECE
    counted[np.concatenate(bold)] = False
    width = np.concatenate(widths)[counted[np.concatenate(pieces)]]
    return float(np.median(width)) if len(width) else 0.0


def gap_scale(params: GapParams, width: float) -> float:
    """How many times longer the candidates' max gap is for lines `width` px wide:
    width / AUTO_LINE_WIDTH where the lines are at least SCALE_FROM wide and
    params.scale_max_gap, else 1."""
    return width / AUTO_LINE_WIDTH if params.scale_max_gap and width >= SCALE_FROM else 1.0


def analyse_gaps(
    norm: np.ndarray,
    params: GapParams,
    scorer: Scorer,
    cancel: Callable[[], bool] | None = None,
    reach: int | None = None,
) -> GapAnalysis:
    """Stroke ends, candidate bridges and the verifier's probability for each (no selection).

    Candidates are searched up to `reach` px (params.max_gap when None; never less), and up to
    a third further (closures.long_reach, at most MAX_GAP_LIMIT) for breaks along a stroke.
    The search and the scoring grow with it, so a preview can lower the max gap without a
    second run but raise it only up to the reach: a run meant for previewing passes the
    largest max gap offered (core.preview.PREVIEW_REACH).
    """
    if reach is not None and reach > MAX_GAP_LIMIT:
        raise LineRefinerError(f"Gap search reach must be at most {MAX_GAP_LIMIT} px, not {reach}.")
    lines = LineMap.from_ink(norm)
    healed = find_stair_breaks(lines)
    input_lines = None
    if len(healed):  # the analysis reads a binarised thin line's fragments as one line
        joined = norm.copy()
        joined[healed[..., 0], healed[..., 1]] = np.float32(1.0)
        input_lines, lines = lines, LineMap.from_ink(joined)
    width = line_width(lines)
    scale = gap_scale(params, width)
    max_gap = scaled_gap(params.max_gap, scale)  # as select scales it (candidate_gap)
    reach = max_gap if reach is None else max(int(reach), max_gap)
    search = max(reach, min(MAX_GAP_LIMIT, math.ceil(long_reach(max_gap))))
    check_cancel(cancel)
    ends = find_ends(lines)
    crowding = tip_crowding(ends)  # a feature of the candidates, and which to ask twice
    cands = propose(lines, ends, search, crowding)
    check_cancel(cancel)
    probability = np.zeros(len(cands), np.float32)
    bridge = getattr(scorer, "bridge", BRIDGE_CHORD)  # what the verifier was trained to see
    sampling = getattr(scorer, "sampling", SAMPLING_POINT)
    maps: dict = {}  # the line map prefiltered for area sampling's current level
    # Only what some max gap up to the reach can select is scored (the rest keeps 0): the
    # search goes a third further for breaks along a stroke, and finds the others out there
    # too (a quarter of a shaded page's candidates at the default max gap).
    far = shaded_bridges(cands.features) & (feature_rank(cands.features) >= SHADED_NEAREST)
    in_reach = selectable(cands, reach)
    wanted = np.nonzero(in_reach & ~far)[0]
    if sampling != SAMPLING_POINT:  # shortest first: each prefilter level is made once
        wanted = wanted[np.argsort(cands.length[wanted], kind="stable")]
    # Patches are cut and scored a block at a time: a page with 50k candidates would need
    # 600 MB for all its patches at once.
    for lo in range(0, len(wanted), SCORE_BLOCK):
        check_cancel(cancel)
        rows = wanted[lo : lo + SCORE_BLOCK]
        part = cands.take(rows)
        probability[rows] = score_views(scorer, lines, part, ends, bridge, sampling, maps)
        # A bridge between two ends of plain strokes is asked from its other end too.
        both = rows[(cands.end_b[rows] >= 0) & (probability[rows] >= MIRROR_FLOOR)]
        both = both[(crowding[cands.end_a[both]] <= PLAIN_CROWDING)
                    & (crowding[cands.end_b[both]] <= PLAIN_CROWDING)]
        if len(both):
            other = from_other_end(cands, both, crowding)
            answer = score_views(scorer, lines, other, ends, bridge, sampling, maps)
            probability[both] = np.float32(0.5) * (probability[both] + answer)
    # A break a faint line runs through is sure, outside shading, whatever the verifier says;
    # shading's marks lie side by side, a dashed stroke's dashes along it (side_crowding).
    beside = side_crowding(ends)
    calm = beside[cands.end_a] < SHADED_BESIDE
    calm &= (cands.end_b < 0) | (beside[np.maximum(cands.end_b, 0)] < SHADED_BESIDE)
    ask = wanted[calm[wanted]]
    # Beyond the max gap, up to the long reach of a break along a stroke, a bridge that a whole
    # faint line runs along is one too, whichever way its ends head (the verifier is not asked).
    longer = np.nonzero(calm & ~in_reach & ~far
                        & (cands.length <= long_reach(reach) + 0.5))[0]
    cands, passable, trace, whole = _traced_breaks(lines, ends, cands, ask, probability, longer)
    chained = _dash_chains(lines, ends, cands, ask)
    probability[chained] = np.maximum(probability[chained], np.float32(SURE))
    check_cancel(cancel)
    bold, pending = bold_necks(lines)
    necks = join_necks(join_necks(find_necks(lines), bold), find_faint_joins(lines, search))
    return GapAnalysis(lines, ends, cands, probability, necks, pending, line_width=width,
                       gap_scale=scale,
                       passable=passable, traced=trace, whole=whole, healed=healed,
                       input_lines=input_lines)


def _traced_breaks(lines: LineMap, ends: StrokeEnds, cands: Candidates, ask: np.ndarray,
                   probability: np.ndarray, longer: np.ndarray | None = None
                   ) -> tuple[Candidates, np.ndarray, np.ndarray, np.ndarray]:
    """Of the candidates `ask`, those a faint line runs through (candidates.traced) get
    probability SURE (in place) and the faint line's width, not the ends' (which at a junction
    would draw a blob), a dotted one only where _dotted_sure allows, and of the candidates
    `longer` those it runs along without a blank; returned with the specks they run over
    (_specks_along), which they are and which of them it runs along without a blank ((N,) bool
    each)."""
    trace = np.zeros(len(cands), bool)
    asked = len(ask)  # the rows after these are `longer`'s
    if longer is not None and len(longer):
        ask = np.concatenate([ask, longer])
    if not len(ask):
        return cands, np.zeros((0, 2), np.int64), trace, trace.copy()
    found, trace_width, whole = traced(lines, cands.take(ask), ends)
    found[asked:] &= whole[asked:]
    if (found & ~whole).any():
        found &= whole | _dotted_sure(lines, cands, ends, ask, probability, found & ~whole)
    hit = ask[found]
    if not len(hit):
        return cands, np.zeros((0, 2), np.int64), trace, trace.copy()
    trace[hit] = True
    unbroken = np.zeros(len(cands), bool)
    unbroken[ask[found & whole]] = True
    probability[hit] = np.maximum(probability[hit], np.float32(SURE))
    width = cands.width.copy()
    width[hit] = np.minimum(width[hit], np.maximum(trace_width[found], 1.0))
    cands = dataclasses.replace(cands, width=width)
    return cands, _specks_along(lines, cands.take(hit), ends), trace, unbroken


def _dotted_sure(lines: LineMap, cands: Candidates, ends: StrokeEnds, ask: np.ndarray,
                 probability: np.ndarray, dotted: np.ndarray) -> np.ndarray:
    """(len(ask),) bool: which of the candidates `ask` may be sure along a dotted faint line
    (_traced_breaks; `dotted`, (len(ask),) bool: those a dotted one runs along): the verifier
    gives at least DOTTED_SURE_FROM, or the dots are dashes of line (_dashed); and, over a
    break under DOTTED_SHORT px, no less than to a bridge to a line from the same stroke end
    that the sealing tier would take at the default sensitivity."""
    # Texture and JPEG noise in a row dot a bridge too, and so does a line's soft edge along a
    # short one: the verifier has a say there.
    to_line = (cands.features[:, FEATURES.index("area_b")]
               >= np.float32(area_feature(MIN_JOINED_PIECE)))  # as short_break reads it
    sealed = np.float32(threshold(seal_sensitivity(GapParams().sensitivity)))
    rival = np.where(to_line & (probability >= sealed), probability, 0)
    best = np.zeros(len(ends), np.float32)
    np.maximum.at(best, cands.end_a, rival)
    to_end = cands.end_b >= 0
    np.maximum.at(best, cands.end_b[to_end], rival[to_end])
    p = probability[ask]
    first = (cands.length[ask] >= DOTTED_SHORT) | (
        (p >= best[cands.end_a[ask]])
        & ((cands.end_b[ask] < 0) | (p >= best[np.maximum(cands.end_b[ask], 0)])))
    sure = p >= DOTTED_SURE_FROM
    asked = np.nonzero(dotted & ~sure & first)[0]
    if len(asked):
        sure[asked] = _dashed(lines, cands.take(ask[asked]), ends)
    return sure & first


def _dashed(lines: LineMap, cands: Candidates, ends: StrokeEnds) -> np.ndarray:
    """(N,) bool: whether each bridge's curve, off its tips (TRACE_TIP_LINE px), runs over
    pieces of line under MIN_JOINED_PIECE px (dashes, dots) for at least DASHED_SHARE of its
    points, and over at least DASHED_MIN of them."""
    curves = candidate_curves(cands, ends)
    inside = ((np.linalg.norm(curves - curves[:, :1], axis=2) > TRACE_TIP_LINE)
              & (np.linalg.norm(curves - curves[:, -1:], axis=2) > TRACE_TIP_LINE))
    h, w = lines.pieces.shape
    on = lines.pieces[np.rint(curves[..., 0]).astype(np.int64).clip(0, h - 1),
                      np.rint(curves[..., 1]).astype(np.int64).clip(0, w - 1)]
    dash = inside & (on > 0) & (lines.areas[on] < MIN_JOINED_PIECE)
    share = dash.sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    count = np.array([len(np.unique(on[k][dash[k]])) for k in range(len(cands))], np.int64)
    return (share >= DASHED_SHARE) & (count >= DASHED_MIN)


def _dash_chains(lines: LineMap, ends: StrokeEnds, cands: Candidates, ask: np.ndarray
                 ) -> np.ndarray:
    """Rows of the candidates `ask` that link a chain of dashes to the lines it continues
    (DASH_LINK and the constants after it)."""
    none = np.zeros(0, np.int64)
    if not len(ask) or not len(ends):
        return none
    small, dash, pair = dash_pieces(lines, ends)  # small pieces with two ends pointing apart
    a, b = cands.end_a[ask], cands.end_b[ask]
    to_end = b >= 0
    pa = ends.piece[a]
    pb = reached_pieces(lines, ends, b, cands.stop[ask])
    length = cands.length[ask]
    u = (cands.stop[ask] - cands.start[ask]) / np.maximum(length, 1e-6)[:, None]
    cos_b = np.where(to_end, -(ends.direction[np.maximum(b, 0)] * u).sum(axis=1), 1.0)
    def of_chains(rows: np.ndarray | slice) -> np.ndarray:
        """Which links join a dash to a dash or a line: a small piece that is no dash (as
        `dash` reads now) is no part of one."""
        x, y = pa[rows], pb[rows]
        return (dash[x] | dash[y]) & (~small[x] | dash[x]) & (~small[y] | dash[y])

    link = (((ends.direction[a] * u).sum(axis=1) >= DASH_COS)
            & (cos_b >= DASH_COS) & (pb > 0) & (pa != pb) & of_chains(slice(None))
            & (to_end | ~small[pb]))  # a dash reaches a line's side only
    rows = np.nonzero(link)[0]
    # The paper along each way, sampled, only for the links the tests above keep.
    rows = rows[_blank_along(lines, ends, small, cands.take(ask[rows]), pa[rows], pb[rows])
                <= DASH_LINK]
    if not len(rows):
        return none
    # Each end keeps its shortest link.
    shortest = np.full(len(ends), np.inf)
    np.minimum.at(shortest, a[rows], length[rows])
    np.minimum.at(shortest, b[rows][to_end[rows]], length[rows][to_end[rows]])
    rows = rows[(length[rows] <= shortest[a[rows]])
                & (~to_end[rows] | (length[rows] <= shortest[np.maximum(b[rows], 0)]))]
    for d in np.unique(np.concatenate([pa[rows], pb[rows]])):
        if dash[d] and not clear_dash(lines, ends, pair[d], small):
            dash[d] = False
    rows = rows[of_chains(rows)]
    # Chains: dashes linked to dashes; each reaches lines where a link leaves them.
    parent = np.arange(len(lines.areas))
    for x, y in zip(pa[rows].tolist(), pb[rows].tolist(), strict=True):
        if dash[x] and dash[y]:
            rx, ry = union_root(parent, x), union_root(parent, y)
            parent[rx] = ry
    chain = np.array([union_root(parent, int(d if dash[d] else e))
                      for d, e in zip(pa[rows], pb[rows], strict=True)])
    ends_line = ~(dash[pa[rows]] & dash[pb[rows]])  # the links that reach a line
    place = np.where(dash[pa[rows]][:, None], cands.stop[ask[rows]], cands.start[ask[rows]])
    facing = to_end[rows] | _faces_an_end(ends, pa[rows], pb[rows], dash, cands.take(ask[rows]))
    linked = np.unique(np.concatenate([pa[rows], pb[rows]]))
    members = np.bincount([union_root(parent, int(d)) for d in linked[dash[linked]]],
                          minlength=len(lines.areas))  # dashes in each chain
    good = np.zeros(len(rows), bool)
    for c in np.unique(chain[ends_line]):
        at = ends_line & (chain == c)
        pts = place[at]
        span = np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1)).max()
        if span >= DASH_SPAN and (members[c] >= 2 or facing[at].any()):
            good |= chain == c
    return ask[rows[good]]


def _blank_along(lines: LineMap, ends: StrokeEnds, small: np.ndarray, links: Candidates,
                 pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """(N,) px: each link's length less the px of its straight way (sampled a px apart) on dots,
    or a px across from one: small pieces with no stroke ends, other than the two it joins.
    inf past DASH_OVER."""
    out = np.where(links.length <= DASH_OVER, links.length.astype(np.float64), np.inf)
    endless = small.copy()
    endless[ends.piece] = False
    endless[0] = False
    rows = np.nonzero((links.length > DASH_LINK) & (links.length <= DASH_OVER))[0]
    if not len(rows) or not endless.any():
        return out
    steps = int(np.ceil(DASH_OVER)) + 1
    t = np.linspace(0.0, 1.0, steps)
    pts = (links.start[rows, None, :] * (1 - t)[None, :, None]
           + links.stop[rows, None, :] * t[None, :, None])
    h, w = lines.pieces.shape
    way = links.stop[rows] - links.start[rows]
    across = np.stack([-way[:, 1], way[:, 0]], axis=1) / links.length[rows, None]
    on_dot = np.zeros(pts.shape[:2], bool)
    for side in (-1.0, 0.0, 1.0):  # a straight way passes a dot of a curved dashed line a px off
        at = pts + side * across[:, None, :]
        yy = np.clip(np.rint(at[..., 0]).astype(np.intp), 0, h - 1)
        xx = np.clip(np.rint(at[..., 1]).astype(np.intp), 0, w - 1)
        piece = lines.pieces[yy, xx]
        on_dot |= endless[piece] & (piece != pa[rows, None]) & (piece != pb[rows, None])
    # Each sample stands for length / (steps - 1) px of the way.
    out[rows] -= on_dot.sum(axis=1) * links.length[rows] / (steps - 1)
    return out


def _faces_an_end(ends: StrokeEnds, pa: np.ndarray, pb: np.ndarray, dash: np.ndarray,
                  links: Candidates) -> np.ndarray:
    """(N,) bool: for each link from a dash to a line's side, whether an end of that line lies
    within DASH_FACE px of where it arrives and faces the link (DASH_COS)."""
    out = np.zeros(len(links), bool)
    side = np.nonzero((links.end_b < 0) & dash[pa] & ~dash[pb])[0]
    i, j, _ = pairs_within(links.stop[side], ends.tip, DASH_FACE)
    k = side[i]
    u = (links.stop[k] - links.start[k]) / np.maximum(links.length[k], 1e-6)[:, None]
    facing = (ends.piece[j] == pb[k]) & ((ends.direction[j] * -u).sum(axis=1) >= DASH_COS)
    out[k[facing]] = True
    return out


def _specks_along(lines: LineMap, cands: Candidates, ends: StrokeEnds) -> np.ndarray:
    """(K, 2) row, col of the pixels of the pieces of line too small to count as lines
    (MIN_JOINED_PIECE) within 1 px of the candidates' curves: the darker bits of the faint
    lines they follow."""
    none = np.zeros((0, 2), np.int64)
    if not len(cands):
        return none
    pts = np.rint(candidate_curves(cands, ends)).astype(np.int64).reshape(-1, 2)
    h, w = lines.pieces.shape
    spots = np.concatenate([np.stack([(pts[:, 0] + dy).clip(0, h - 1),
                                      (pts[:, 1] + dx).clip(0, w - 1)], axis=1)
                            for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    labels = lines.pieces[spots[:, 0], spots[:, 1]]
    small = (labels > 0) & (lines.areas[labels] < MIN_JOINED_PIECE)
    labels, first = np.unique(labels[small], return_index=True)
    if not len(labels):
        return none
    # Each piece lies within MIN_JOINED_PIECE px of any of its pixels.
    r = MIN_JOINED_PIECE
    found = [none]
    for label, (y, x) in zip(labels.tolist(), spots[small][first].tolist(), strict=True):
        y0, x0 = max(y - r, 0), max(x - r, 0)
        yy, xx = np.nonzero(lines.pieces[y0 : y + r + 1, x0 : x + r + 1] == label)
        found.append(np.stack([yy + y0, xx + x0], axis=1))
    return np.concatenate(found)


def score_views(scorer: Scorer, lines: LineMap, cands: Candidates, ends: StrokeEnds,
                bridge: str, sampling: str, maps: dict | None = None) -> np.ndarray:
    """(N,) float32: the verifier's mean probability for each candidate over its patches at
    each of VIEW_ZOOMS (score_both_sides each); a candidate whose first answer is under
    MIRROR_FLOOR is not asked again and keeps it."""
    first = score_both_sides(scorer, patches(lines, cands, ends, bridge=bridge,
                                             sampling=sampling, maps=maps, zoom=VIEW_ZOOMS[0]),
                             cands.features)
    ask = np.nonzero(first >= MIRROR_FLOOR)[0]
    if len(VIEW_ZOOMS) < 2 or not len(ask):
        return first
    sub = cands.take(ask)
    total = first[ask].astype(np.float64)
    for zoom in VIEW_ZOOMS[1:]:
        total += score_both_sides(scorer, patches(lines, sub, ends, bridge=bridge,
                                                  sampling=sampling, maps=maps, zoom=zoom),
                                  sub.features)
    first[ask] = total / len(VIEW_ZOOMS)
    return first


def score_both_sides(scorer: Scorer, block: np.ndarray, features: np.ndarray) -> np.ndarray:
    """(N,) float32: the verifier's mean probability for each candidate's patch (N, C, H, W),
    rotated to its bridge, and the patch mirrored across the bridge (rows reversed).

    Both are the same question (training mirrors patches at random), so their mean is a
    two-member ensemble at no training cost: on the real drawings it adds about a fifth fewer
    false pixels and closes as many breaks of at most 8 px (models/README.md). A candidate
    under MIRROR_FLOOR on the first side keeps that answer: no sensitivity selects it.
    """
    probability = np.asarray(scorer(block, features), np.float32).copy()
    ask = np.nonzero(probability >= MIRROR_FLOOR)[0]
    if len(ask):
        mirrored = np.ascontiguousarray(block[ask, :, ::-1])
        probability[ask] += np.asarray(scorer(mirrored, features[ask]), np.float32)
        probability[ask] *= np.float32(0.5)
    return probability


def closures_of(analysis: GapAnalysis, params: GapParams) -> tuple[np.ndarray, list[Closure]]:
    """The selection a preview reruns: coverage of the accepted closures and the closures.

    A drawn closure must join two lines twice over: as a whole, and in each part of it that
    lies off existing line. A closure that joins nothing (a sliver beside a stroke, a bridge to
    a speck of dust) is dropped with its soft edge: it would only thicken a line or draw a stray
    mark. So is a part beyond the line that touches one line only: where a closure runs over a
    corner of line, the pixel or two it adds in the corner of a junction already closed, or
    beside the stroke past the tip, joins nothing either. The necks (breaks of up to 3 px
    with no stroke end, found once by the analysis) are added where no closure closes them;
    breaks across bold strokes are filled whole, in place of the verifier's bridges there.
    Then the closures the verifier is less sure of that seal off a region (_sealing; there the
    breaks between bold strokes count as sure, closures.bold_break), and
    those it is less sure of still that part two large regions (_parting), are drawn with the
    others, and the same necks again. A bridge drawn to nothing gives its ends
    back to the others (first_tier). Last, the fills across bold strokes that parted no paper
    with the lines alone, where they do with all that is drawn (closures.pending_to_draw).
    """
    accepted, idle, coverage, closures = first_tier(analysis, params)
    necks = necks_to_draw(analysis, coverage, params.max_gap)
    drawn = draw_necks(analysis, coverage, necks)
    paper = PagePaper(analysis.lines.line, coverage)
    wider = _selected(analysis, seal_sensitivity(params.sensitivity), params.max_gap, idle,
                      bold=True)
    sealing = _sealing(analysis, accepted, coverage, idle, wider, paper)
    sealing = np.concatenate([sealing, _parting(analysis, params, np.concatenate(
        [accepted, sealing]), coverage, idle, wider, paper)])
    del paper
    if len(sealing):  # drawn again with them, rather than a second page-sized coverage
        del coverage
        coverage, closures = _drawn(analysis, np.concatenate([accepted, sealing]))
        drawn = draw_necks(analysis, coverage, necks)
    drawn += draw_necks(analysis, coverage, pending_to_draw(analysis, coverage, params.max_gap),
                        analysis.pending)
    return coverage, closures + drawn


def first_tier(analysis: GapAnalysis, params: GapParams
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Closure]]:
    """(accepted, idle, coverage, closures): the bridges accepted at params.sensitivity (those
    in a break across a bold stroke left to its fill, _outside_bold), drawn where they join
    two lines (_joining_only) with the healed pixels.

    A bridge whose stroke joins nothing would keep its ends from the bridges that would: from
    a one-px sliver a cut left under a bold stroke to the stroke's other corner, both ends of
    one piece, it runs along the stroke's own edge, surer than either bridge across the cut.
    Such bridges (`idle`) are left out and the selection made once more, their ends free;
    drawn again only if that selection takes a bridge the first did not (the first drawing,
    less its idle bridges, is the same to a px at half coverage: the hand-drawn set)."""
    accepted = _selected(analysis, params.sensitivity, params.max_gap)
    coverage, closures = _drawn(analysis, accepted)
    idle = _idle(analysis, accepted, closures)
    if not len(idle):
        return accepted, idle, coverage, closures
    again = _selected(analysis, params.sensitivity, params.max_gap, idle)
    if np.isin(again, accepted).all():  # nothing new
        return again, idle, coverage, closures
    del coverage
    accepted = again
    coverage, closures = _drawn(analysis, accepted)
    return accepted, idle, coverage, closures


def _drawn(analysis: GapAnalysis, accepted: np.ndarray) -> tuple[np.ndarray, list[Closure]]:
    """The `accepted` bridges rendered with the healed pixels, where they join two lines
    (_joining_only): coverage and closures."""
    coverage, closures = render(analysis, accepted)
    return _joining_only(analysis, coverage, closures + _draw_healed(analysis, coverage))


def _draw_healed(analysis: GapAnalysis, coverage: np.ndarray) -> list[Closure]:
    """Draw the analysis's healed pixels (find_stair_breaks) into `coverage` (in place); a
    closure for each. Like the closures, they stay only where they join two lines
    (_joining_only), with the closures and the fragments they run through."""
    healed = analysis.healed
    if not len(healed):
        return []
    coverage[healed[..., 0], healed[..., 1]] = 1.0
    closures = []
    for (y0, x0), (y1, x1) in healed.tolist():
        closures.append(Closure(start=(float(y0), float(x0)), stop=(float(y1), float(x1)),
                                probability=1.0, length=float(max(abs(y1 - y0), abs(x1 - x0)) + 1),
                                width=1, bbox=(min(x0, x1), min(y0, y1), abs(x1 - x0) + 1,
                                               abs(y1 - y0) + 1)))
    return closures


def _idle(analysis: GapAnalysis, accepted: np.ndarray, closures: list[Closure]) -> np.ndarray:
    """The accepted candidates none of `closures` (drawn and kept by _joining_only) came from
    (matched by where they start and stop: render copies both from the candidate)."""
    cands = analysis.candidates
    drawn = {(c.start, c.stop) for c in closures}
    idle = [k for k in accepted.tolist()
            if ((float(cands.start[k, 0]), float(cands.start[k, 1])),
                (float(cands.stop[k, 0]), float(cands.stop[k, 1]))) not in drawn]
    return np.asarray(idle, np.int64)


def _selected(analysis: GapAnalysis, sensitivity: float, max_gap: int,
              excluded: np.ndarray | None = None, bold: bool = False) -> np.ndarray:
    """The bridges select accepts at `sensitivity` (never the `excluded`; with `bold`, the
    breaks between bold strokes as sure), but those across a break of a bold stroke that its
    fill closes (_outside_bold)."""
    return _outside_bold(analysis, select(analysis, sensitivity, max_gap, excluded=excluded,
                                          bold=bold), max_gap)


def _path_in(shape: tuple[int, int], x0: int, y0: int, path: np.ndarray, pen: int
             ) -> np.ndarray:
    """(shape) uint8: a closure's solid core (`path`, fixed-point x, y points; a pen `pen` px
    wide) drawn 1 in a window whose corner is page px (x0, y0)."""
    out = np.zeros(shape, np.uint8)
    cv2.polylines(out, [path - np.array([x0, y0], np.int32) * (1 << SUBPIXEL_BITS)], False, 1,
                  pen, cv2.LINE_8, SUBPIXEL_BITS)
    return out


class PagePaper:
    """The page's paper regions (4-connected) with the lines and the closures drawn so far
    (`coverage` at LINE_LEVEL), labelled once on the first ask, for pages up to SEAL_WHOLE_PX:
    the sealing tier and _parting ask for the same."""

    def __init__(self, line: np.ndarray, coverage: np.ndarray) -> None:
        self.line, self.coverage = line, coverage
        self.whole = line.size <= SEAL_WHOLE_PX
        self._found: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def regions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(barrier, labels, area of each label): the page's walls and its paper regions."""
        if self._found is None:
            barrier = self.line | (self.coverage >= LINE_LEVEL)
            _, labels, stats, _ = cv2.connectedComponentsWithStats(
                (~barrier).view(np.uint8), connectivity=4, ltype=cv2.CV_32S)
            self._found = (barrier, labels, stats[:, cv2.CC_STAT_AREA])
        return self._found


def _sealing(analysis: GapAnalysis, accepted: np.ndarray, coverage: np.ndarray,
             idle: np.ndarray, wider: np.ndarray, paper: PagePaper) -> np.ndarray:
    """The candidates `wider` (accepted at the sealing sensitivity, closures.seal_sensitivity,
    with the `idle` ones excluded: closures_of) but not `accepted` whose bridge seals off a
    region of paper (on pages over
    SEAL_WHOLE_PX, within SEAL_WINDOW px of it), with the lines, the closures drawn so far
    (`coverage`) and all such bridges drawn (as the seal-only setting tests): a bridge a fill
    would otherwise leak through is more likely wanted than one that closes nothing (a free
    stroke's tip to another). The ends of the `idle` bridges (closures_of) are given back to
    the surer bridges only: a less sure one from such an end was a wide false blob across a
    face's shadow."""
    extra = np.setdiff1d(_off_ends(analysis, wider, idle), accepted)
    if not len(extra):
        return extra
    line = analysis.lines.line
    h, w = line.shape
    fixed, drawn, core_pen = _core_paths(analysis, extra)
    widths = np.maximum(1, np.rint(analysis.candidates.width[extra])).astype(int)
    paths = np.zeros((h, w), np.uint8)
    for pen in np.unique(core_pen).tolist():
        cv2.polylines(paths, [drawn[i] for i in np.nonzero(core_pen == pen)[0].tolist()], False,
                      1, pen, cv2.LINE_8, SUBPIXEL_BITS)
    # Only paths that join two lines, whole and off line (as _joining_only keeps strokes).
    points = fixed >> SUBPIXEL_BITS  # (K, T, 2) x, y px
    lo = points.min(axis=1) - widths[:, None] - 2
    hi = points.max(axis=1) + widths[:, None] + 3
    boxes = [(max(0, int(a[0])), max(0, int(a[1])), int(min(w, b[0]) - max(0, a[0])),
              int(min(h, b[1]) - max(0, a[1]))) for a, b in zip(lo, hi, strict=True)]
    paths = _joining(analysis, paths.view(bool), boxes).view(np.uint8)
    whole = paper.whole  # the page's paper regions, once
    if whole:
        barrier_all, before_all, _ = paper.regions()
        after_all = paper_regions(~(barrier_all | paths.view(bool)))
    kept = []
    for row, k in enumerate(extra.tolist()):
        pad = int(widths[row]) + 1 + (1 if whole else SEAL_WINDOW)
        xs, ys = points[row, :, 0], points[row, :, 1]
        y0, y1 = max(0, int(ys.min()) - pad), min(h, int(ys.max()) + pad + 1)
        x0, x1 = max(0, int(xs.min()) - pad), min(w, int(xs.max()) + pad + 1)
        barrier = line[y0:y1, x0:x1] | (coverage[y0:y1, x0:x1] >= LINE_LEVEL)
        others = paths[y0:y1, x0:x1].view(bool) & ~barrier
        own = _path_in(barrier.shape, x0, y0, drawn[row], int(core_pen[row]))
        if not (own.view(bool) & others).any():
            continue
        ring = cv2.dilate(own, np.ones((3, 3), np.uint8)).view(bool) & ~(barrier | others)
        if whole:
            before = before_all[y0:y1, x0:x1][ring]
            after = after_all[y0:y1, x0:x1][ring]
        else:
            before = paper_regions(~barrier)[ring]
            after = paper_regions(~(barrier | others))[ring]
        if separates(before, after):
            kept.append(k)
    return np.asarray(kept, np.int64)


def _parting(analysis: GapAnalysis, params: GapParams, taken: np.ndarray, coverage: np.ndarray,
             idle: np.ndarray, wider: np.ndarray, paper: PagePaper) -> np.ndarray:
    """The candidates accepted at LARGE_BOOST more than params.sensitivity but not at the
    sealing sensitivity (`wider`), nor `taken`, nor from an end a taken one or an `idle` one
    has, whose bridge, drawn alone on the lines and the closures so far (`coverage`), parts a
    region of paper into two of at least (LARGE_SPAN x the max gap)^2 px each, counted within
    LARGE_WINDOW x LARGE_SPAN x the max gap px of it, at most SEAL_WINDOW (a region that goes
    on beyond counts what lies within); on a page up to SEAL_WHOLE_PX, only where a region
    round it has room for two such parts (_room_for_two)."""
    sensitivity = min(1.0, params.sensitivity + LARGE_BOOST)
    if sensitivity <= seal_sensitivity(params.sensitivity):
        return np.zeros(0, np.int64)
    broad = _selected(analysis, sensitivity, params.max_gap, idle)
    extra = _off_ends(analysis, np.setdiff1d(np.setdiff1d(broad, taken), wider),
                      np.concatenate([taken, idle]))
    if not len(extra):
        return extra
    side = LARGE_SPAN * candidate_gap(analysis, params.max_gap)
    large = side * side
    pad = min(SEAL_WINDOW, math.ceil(LARGE_WINDOW * side))
    line = analysis.lines.line
    h, w = line.shape
    fixed, drawn, core_pen = _core_paths(analysis, extra)
    points = fixed >> SUBPIXEL_BITS
    kept = []
    for row, k in enumerate(extra.tolist()):
        xs, ys = points[row, :, 0], points[row, :, 1]
        if paper.whole and not _room_for_two(paper, drawn[row], int(core_pen[row]), large):
            continue
        y0, y1 = max(0, int(ys.min()) - pad), min(h, int(ys.max()) + pad + 1)
        x0, x1 = max(0, int(xs.min()) - pad), min(w, int(xs.max()) + pad + 1)
        barrier = line[y0:y1, x0:x1] | (coverage[y0:y1, x0:x1] >= LINE_LEVEL)
        own = _path_in(barrier.shape, x0, y0, drawn[row], int(core_pen[row]))
        after_wall = barrier | own.view(bool)
        ring = cv2.dilate(own, np.ones((3, 3), np.uint8)).view(bool) & ~after_wall
        _, after, stats, _ = cv2.connectedComponentsWithStats(
            (~after_wall).view(np.uint8), connectivity=4, ltype=cv2.CV_32S)
        areas = stats[:, cv2.CC_STAT_AREA]
        after_ring = np.asarray(after, np.int32)[ring]
        round_it = np.unique(after_ring)
        # Two large parts round it at least, or no region of before is two of them.
        if (np.count_nonzero(areas[round_it] >= large) >= 2
                and _parts_large(paper_regions(~barrier)[ring], after_ring, areas, large)):
            kept.append(k)
    return np.asarray(kept, np.int64)


def _off_ends(analysis: GapAnalysis, rows: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """The candidates `rows` from no stroke end that a candidate of `taken` has."""
    cands = analysis.candidates
    if not len(taken) or not len(rows):
        return rows
    used = np.zeros(len(analysis.ends), bool)
    used[cands.end_a[taken]] = True
    used[cands.end_b[taken][cands.end_b[taken] >= 0]] = True
    return rows[~used[cands.end_a[rows]]
                & ~((cands.end_b[rows] >= 0) & used[np.maximum(cands.end_b[rows], 0)])]


def _core_paths(analysis: GapAnalysis, rows: np.ndarray
                ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """(fixed, drawn, core pen) of the candidates `rows`: each bridge's curve as render draws
    its solid core, in fixed-point x, y (a traced one along a hairline render draws on the
    hairline's own pixels, closures.ridge_path: within a px of this one), those points without
    the repeats that pad each curve (a pen on each is a disc), and the core pen's width."""
    fixed = np.rint(curves(analysis, rows, drawn_tips(analysis, rows))
                    * (1 << SUBPIXEL_BITS)).astype(np.int32)
    return fixed, own_points(fixed), pens(analysis.candidates.width[rows])[0]


def _room_for_two(paper: PagePaper, path: np.ndarray, pen: int, large: float) -> bool:
    """Whether a page-wide paper region round a bridge's path (fixed-point x, y points drawn
    with a pen `pen` px wide) has room for two parts of `large` px: no region under twice that
    can be parted into two, in any window (_parting)."""
    _, labels, areas = paper.regions()
    h, w = labels.shape
    pts = path >> SUBPIXEL_BITS
    x0, y0 = max(0, int(pts[:, 0].min()) - pen - 2), max(0, int(pts[:, 1].min()) - pen - 2)
    x1, y1 = min(w, int(pts[:, 0].max()) + pen + 3), min(h, int(pts[:, 1].max()) + pen + 3)
    own = _path_in((y1 - y0, x1 - x0), x0, y0, path, pen)
    round_it = cv2.dilate(own, np.ones((3, 3), np.uint8)).view(bool)
    found = labels[y0:y1, x0:x1][round_it]
    found = found[found > 0]
    return bool(len(found)) and float(areas[found].max()) >= 2.0 * large


def _parts_large(before: np.ndarray, after: np.ndarray, areas: np.ndarray, large: float) -> bool:
    """Whether a region of `before` (labels of the px round a stroke) is two or more of
    `after` of which the two largest have at least `large` px each (`areas`, by after label)."""
    pairs = np.unique(np.stack([before, after], axis=1), axis=0)
    for region in np.unique(pairs[:, 0]).tolist():
        parts = pairs[pairs[:, 0] == region, 1]
        if len(parts) >= 2 and np.sort(areas[parts])[-2] >= large:
            return True
    return False


def _outside_bold(analysis: GapAnalysis, accepted: np.ndarray, max_gap: int) -> np.ndarray:
    """The accepted closures but those across a break of a bold stroke that add_necks fills
    whole (both tips within 2 px of its box): there the verifier's bridges run corner to
    corner as hairlines along the stroke's edges."""
    necks = analysis.necks
    bold = np.nonzero(necks.whole & (necks.gap <= max_gap))[0]
    if not len(bold) or not len(accepted):
        return accepted
    cands = analysis.candidates
    x, y, w, h = (necks.bbox[bold, i][None, :] for i in range(4))

    def inside(p: np.ndarray) -> np.ndarray:  # (A, B): point of closure a in box b
        py, px = p[:, 0:1], p[:, 1:2]
        return (px >= x - 2) & (px <= x + w + 1) & (py >= y - 2) & (py <= y + h + 1)

    start, stop = cands.start[accepted], cands.stop[accepted]
    # Both tips at the fill, or a bridge running through it (corner to corner across a slit,
    # its tips on the faces' corners a pixel or more outside the slit's box).
    across = ((inside(start) & inside(stop)) | inside((start + stop) / 2)).any(axis=1)
    return accepted[~across]


def _joining(analysis: GapAnalysis, strokes: np.ndarray, boxes: list[tuple[int, int, int, int]]
             ) -> np.ndarray:
    """The pixels of `strokes` (bool; `boxes`: rectangles holding them, x, y, w, h) in strokes
    that join two real lines (joining_strokes), whole and in their part off line, counting the
    specks they run over or touch as part of them."""
    # The input's lines: a thin line's fragments healed for the analysis (find_stair_breaks)
    # are drawn with the closures, and join what those fragments join.
    lines = analysis.input_map
    real = (lines.pieces, lines.areas >= MIN_JOINED_PIECE)
    # The specks along a traced bridge (the darker bits of its faint line, `passable`) are
    # part of a stroke that runs over them, not the ends of two parts, each joining a line to
    # a speck.
    off = strokes & ~lines.line
    whole = strokes
    # So are the specks the strokes touch: a chain of closures from dot to dot of a dotted
    # line (or over a bit of line a cut left) joins two lines as one stroke; a closure from a
    # line to a speck, or from a speck to nothing, still joins one line only.
    found, boxes = _touched_specks(lines, strokes, boxes)
    passable = np.concatenate([analysis.passable, found]) if len(found) else analysis.passable
    if len(passable):
        ys, xs = passable.T
        off[ys, xs] = True
        whole = strokes.copy()
        whole[ys, xs] = True
    keep = joining_strokes(lines.line, off, real=real, boxes=boxes,
                           memo=analysis.verdicts)
    keep &= joining_strokes(lines.line, whole, real=real, boxes=boxes, memo=analysis.verdicts)
    return keep & strokes


def _touched_specks(lines: LineMap, strokes: np.ndarray, boxes: list[tuple[int, int, int, int]]
                    ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """(K, 2) row, col of the pixels of the specks (pieces under MIN_JOINED_PIECE px) that the
    strokes (in `boxes`) touch, and the boxes grown to hold them: the dots of a dotted line
    that closures join one to the next, a chain from one line to another."""
    h, w = strokes.shape
    pad = MIN_JOINED_PIECE
    found = [np.zeros((0, 2), np.int64)]
    grown = []
    ring = np.ones((3, 3), np.uint8)
    for x, y, bw, bh in boxes:
        y0, y1 = max(0, y - 1), min(h, y + bh + 1)
        x0, x1 = max(0, x - 1), min(w, x + bw + 1)
        near = cv2.dilate(strokes[y0:y1, x0:x1].view(np.uint8), ring).view(bool)
        win = lines.pieces[y0:y1, x0:x1]
        small = (win > 0) & (lines.areas[win] < MIN_JOINED_PIECE) & near
        labels = np.unique(win[small])
        if not len(labels):
            grown.append((x, y, bw, bh))
            continue
        Y0, Y1 = max(0, y - pad), min(h, y + bh + pad)
        X0, X1 = max(0, x - pad), min(w, x + bw + pad)
        yy, xx = np.nonzero(np.isin(lines.pieces[Y0:Y1, X0:X1], labels))
        found.append(np.stack([yy + Y0, xx + X0], axis=1))
        grown.append((X0, Y0, X1 - X0, Y1 - Y0))
    return np.concatenate(found), grown


def _joining_only(analysis: GapAnalysis, coverage: np.ndarray, closures: list[Closure]
                  ) -> tuple[np.ndarray, list[Closure]]:
    """The drawn closures' strokes that join two lines, whole and in each part off line."""
    strokes = coverage >= LINE_LEVEL
    if not strokes.any():
        return coverage, closures
    lines = analysis.input_map  # as _joining reads them: healed pixels are drawn, not line
    keep = _joining(analysis, strokes, [c.bbox for c in closures])
    if np.array_equal(keep, strokes):  # every closure wholly on paper, and joining
        return coverage, closures
    # What stays: the kept parts with their soft edge, and the closure's cover of the soft
    # line tips next to them (SOLID), which keeps a faint tip from reading as a break.
    near_kept = cv2.dilate(keep.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    near_kept |= lines.line & cv2.dilate(keep.view(np.uint8), np.ones((7, 7), np.uint8)).view(bool)
    coverage[~near_kept] = 0.0
    kept = [c for c in closures
            if (coverage[c.bbox[1] : c.bbox[1] + c.bbox[3],
                         c.bbox[0] : c.bbox[0] + c.bbox[2]] >= LINE_LEVEL).any()]
    return coverage, kept


def close_gaps(
    ink: np.ndarray,
    params: GapParams | None = None,
    *,
    session: TileModel | None = None,
    scorer: Scorer | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    reach: int | None = None,
    keep_analysis: bool = True,
) -> GapResult:
    """Close the breaks of `ink`. `scorer` is the verifier (the shipped model when None);
    `session` the dense model, run when given or when params.dense is set. Passing only a
    session runs the dense model alone, as before the verifier existed. `reach`: the max gap
    the analysis (GapResult.analysis) searches candidates up to, for a live preview that may
    raise the max gap later (analyse_gaps). `keep_analysis=False` drops the analysis (stroke
    ends, candidates and the full-size maps they were found on) once the closures are drawn,
    for callers that will not preview: GapResult.normalised keeps the normalised ink."""
    params = params or GapParams()
    ink = as_ink(ink)
    norm, levels = normalise_lines(ink, params.line_darkness)
    if not np.any(norm >= LINE_LEVEL):
        if progress:
            progress(1.0)
        empty = np.zeros_like(ink)
        return GapResult(empty, ink, 0, levels=levels, normalised=norm)
    dense_only = session is not None and scorer is None and not params.dense
    use_dense = session is not None or params.dense
    if scorer is None and not dense_only:
        from .models import create_scorer

        scorer = create_scorer("verifier")
    if use_dense and session is None:
        from .models import create_session

        session = create_session("gaps")
    # Made only when no step draws one: a page-size map held through the analysis otherwise.
    gaps: np.ndarray | None = None
    closures: list[Closure] = []
    analysis = None
    probability = None
    split = 0.7 if use_dense and not dense_only else 1.0
    if scorer is not None:
        if progress:
            progress(0.02)
        analysis = analyse_gaps(norm, params, scorer, cancel, reach)
        gaps, closures = closures_of(analysis, params)
        if not keep_analysis:
            analysis = None
        if progress:
            progress(1.0 - split if split < 1.0 else 1.0)
    if use_dense and session is not None:
        spec = fit_to_image(session.tile_spec(params.tile), ink.shape)
        dense_progress = sub_progress(progress, 1.0 - split, split)
        probability = run_tiled(norm, session, spec, dense_progress, cancel)
        release_memory(session)
        dense = select_gap_strokes(norm, probability, params)
        gaps = dense.gaps if gaps is None else np.maximum(gaps, dense.gaps, out=gaps)
        dense_count = dense.count
    else:
        dense_count = 0
    if gaps is None:
        gaps = np.zeros_like(ink)
    if params.seal_only and closures:
        gaps = seal_closures(norm >= LINE_LEVEL, gaps)
    gaps[norm >= SOLID] = 0.0
    count = len(closures) + dense_count if not params.seal_only else _stroke_count(gaps)
    return GapResult(gaps, ink, count, probability, tuple(closures), analysis, levels, norm)


def _stroke_count(gaps: np.ndarray) -> int:
    return cv2.connectedComponents((gaps >= 0.5).view(np.uint8), connectivity=8)[0] - 1


def seal_closures(line: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Only the added strokes that split a paper region of the input in two."""
    strokes = gaps > 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        strokes.view(np.uint8), connectivity=8, ltype=cv2.CV_32S
    )
    keep = np.ones(count, bool)
    keep[0] = False
    kept = seal_globally(line, labels, strokes, keep, stats)
    return np.where(kept, gaps, 0.0).astype(np.float32)


def select_gap_strokes(ink: np.ndarray, probability: np.ndarray, params: GapParams) -> GapResult:
    line = ink >= LINE_LEVEL
    # Hysteresis: a stroke is grown from every pixel above half the threshold, but kept only
    # if the model is sure of at least one of its pixels, so confident gaps come out whole.
    candidates = (probability >= params.threshold * HYSTERESIS) & ~line
    count, labels_mat, stats, _ = cv2.connectedComponentsWithStats(
        candidates.view(np.uint8), connectivity=8, ltype=cv2.CV_32S
    )
    labels = np.asarray(labels_mat, dtype=np.int32)
    to_line = cv2.distanceTransform((~line).view(np.uint8), cv2.DIST_L2, 3)
    keep = np.zeros(count, dtype=bool)
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == label)
        distance = to_line[ys + y, xs + x]
        # A stroke that touches no line closes nothing. A stroke bridging an n px gap reaches
        # n/2 px from the line ends it joins, whatever the line's width or the gap's angle, so
        # twice its farthest distance from any line is the size of the gap it closes.
        sure = float(probability[ys + y, xs + x].max()) >= params.threshold
        small = 2.0 * float(distance.max()) <= params.max_gap + 1
        keep[label] = sure and small and distance.min() <= 2.0
    kept = np.take(keep, labels)
    if params.seal_only:
        kept = seal_globally(line, labels, kept, keep, stats)
    else:
        kept = seal_locally(line, labels, kept, keep, stats, margin=SEAL_MARGIN)
    gaps = kept.astype(np.float32)
    n_kept = int(len(np.unique(labels[kept])))
    return GapResult(gaps, ink, n_kept, probability)


def stroke_ring(
    labels: np.ndarray, label: int, window: tuple[slice, slice]
) -> tuple[np.ndarray, np.ndarray]:
    stroke = (labels[window] == label).view(np.uint8)
    return stroke.view(bool), ring_of(stroke)


def grown_window(
    stats: np.ndarray, label: int, margin: int, shape: tuple[int, ...]
) -> tuple[slice, slice]:
    x, y, w, h, _ = stats[label]
    return (
        slice(max(y - margin, 0), min(y + h + margin, shape[0])),
        slice(max(x - margin, 0), min(x + w + margin, shape[1])),
    )


def seal_globally(
    line: np.ndarray, labels: np.ndarray, kept: np.ndarray, keep: np.ndarray, stats: np.ndarray
) -> np.ndarray:
    """Keep a stroke only if it splits a paper region of the input into two."""
    paper_before = paper_regions(~line)
    paper_after = paper_regions(~(line | kept))
    result = kept.copy()
    for label in np.nonzero(keep)[0].tolist():
        window = grown_window(stats, label, 1, line.shape)
        stroke, ring = stroke_ring(labels, label, window)
        after = paper_after[window][ring]
        before = paper_before[window][ring]
        if not separates(before[after > 0], after[after > 0]):
            result[window][stroke] = False
    return result


def seal_locally(
    line: np.ndarray,
    labels: np.ndarray,
    kept: np.ndarray,
    keep: np.ndarray,
    stats: np.ndarray,
    margin: int,
) -> np.ndarray:
    """Keep a stroke if, near it, paper on its two sides would be one region without it, or if
    it joins two pieces of ink that are separate near it.

    This drops additions that change no region and join nothing (filled specks of paper,
    thickened lines, blobs in corners) but keeps a bridge whose region still leaks through
    another, unclosed gap farther away, which the global test would drop, and a bridge to a
    broken-off piece of line (the tip of a stroke cut off by the break), which encloses nothing
    yet is part of mending the line.
    """
    barrier = line | kept
    result = kept.copy()
    for label in np.nonzero(keep)[0].tolist():
        window = grown_window(stats, label, margin, line.shape)
        stroke, ring = stroke_ring(labels, label, window)
        paper = ~barrier[window]
        after = paper_regions(paper)
        before = paper_regions(paper | stroke)
        if separates(before[ring & paper], after[ring & paper]):
            continue
        if not joins_pieces(line[window], ring):
            result[window][stroke] = False
    return result


# Stroke verdicts a GapAnalysis keeps (a few KB each): far more than one drawing's closures.
MEMO_LIMIT = 20_000


def joining_strokes(line: np.ndarray, strokes: np.ndarray, margin: int = SEAL_MARGIN,
                    real: tuple[np.ndarray, np.ndarray] | None = None,
                    boxes: list[tuple[int, int, int, int]] | None = None,
                    memo: dict[tuple[int, int, int, int, bytes], bool] | None = None
                    ) -> np.ndarray:
    """The 8-connected strokes of `strokes` (bool) that join two pieces of `line` (bool) that
    are separate within `margin` px of the stroke: bridges across a break. `real`: (piece
    labels, whether each label counts): only the line of those pieces counts, read around each
    stroke rather than mapped over the whole image. `boxes`: (x, y, w, h) rectangles that hold
    every stroke pixel (the closures' bboxes): strokes are then labelled within each group of
    touching boxes, with no label map of the whole image (a preview reruns this). `memo`:
    verdicts by the stroke's window and pixels, kept between calls with the same `line` and
    `real` (GapAnalysis.verdicts), read and filled here."""
    height, width = strokes.shape
    out = np.zeros(strokes.shape, dtype=bool)
    for (top, left), labels, stats in _stroke_labels(strokes, boxes):
        for label in range(1, len(stats)):
            x, y, w, h, _ = (int(v) for v in stats[label])
            x, y = x + left, y + top
            y0, x0 = max(y - margin, 0), max(x - margin, 0)
            window = (slice(y0, min(y + h + margin, height)), slice(x0, min(x + w + margin, width)))
            stroke = np.zeros((window[0].stop - y0, window[1].stop - x0), np.uint8)
            stroke[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = (
                labels[y - top : y - top + h, x - left : x - left + w] == label)
            key = (y0, x0, *stroke.shape, stroke.tobytes())
            joins = memo.get(key) if memo is not None else None
            if joins is None:
                ring = ring_of(stroke)
                near = line[window]
                if real is not None:
                    near = near & real[1][real[0][window]]
                joins = joins_pieces(near, ring)
                if memo is not None:
                    if len(memo) >= MEMO_LIMIT:
                        memo.clear()
                    memo[key] = joins
            if joins:
                out[window] |= stroke.view(bool)
    return out


def _stroke_labels(strokes: np.ndarray, boxes: list[tuple[int, int, int, int]] | None
                   ) -> list[tuple[tuple[int, int], np.ndarray, np.ndarray]]:
    """((top, left), labels, stats) of the 8-connected strokes, over the whole image or, given
    boxes holding every stroke pixel, over each group of boxes that touch or overlap (an
    8-connected stroke never leaves its group). 16-bit labels whenever they cannot run out."""
    def label(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ltype = cv2.CV_16U if np.count_nonzero(mask) < 2**16 else cv2.CV_32S
        _, labels, stats, _ = cv2.connectedComponentsWithStats(
            mask.view(np.uint8), connectivity=8, ltype=ltype)
        return labels, stats

    if boxes is None:
        return [((0, 0), *label(strokes))]
    height, width = strokes.shape
    rects = np.array([(max(x, 0), max(y, 0), min(x + w, width), min(y + h, height))
                      for x, y, w, h in boxes], np.int64).reshape(-1, 4)
    rects = rects[(rects[:, 2] > rects[:, 0]) & (rects[:, 3] > rects[:, 1])]
    # Union-find over boxes that overlap or touch (8-adjacent pixels in two boxes).
    parent = np.arange(len(rects))

    def root(i: int) -> int:
        return union_root(parent, i)

    # Sorted by left edge, the boxes that can reach box i start between it and its right edge.
    rects = rects[np.argsort(rects[:, 0], kind="stable")]
    reach = np.searchsorted(rects[:, 0], rects[:, 2], side="right")
    for i in range(len(rects)):
        x0, y0, x1, y1 = rects[i]
        after = rects[i + 1 : reach[i]]
        near = np.nonzero((after[:, 2] >= x0) & (after[:, 1] <= y1)
                          & (after[:, 3] >= y0))[0] + i + 1
        for j in near.tolist():
            a, b = root(i), root(j)
            if a != b:
                parent[b] = a
    groups: dict[int, list[int]] = {}
    for i in range(len(rects)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        group = rects[members]
        left, top = int(group[:, 0].min()), int(group[:, 1].min())
        right, bottom = int(group[:, 2].max()), int(group[:, 3].max())
        mask = np.zeros((bottom - top, right - left), bool)
        for x0, y0, x1, y1 in group.tolist():
            mask[y0 - top : y1 - top, x0 - left : x1 - left] = strokes[y0:y1, x0:x1]
        if mask.any():
            out.append(((top, left), *label(mask)))
    return out


def separates(before: np.ndarray, after: np.ndarray) -> bool:
    # The stroke seals a leak when paper that was one region before is two regions after.
    pairs = np.unique(np.stack([before, after], axis=1), axis=0)
    if len(pairs) < 2:
        return False
    _, per_region = np.unique(pairs[:, 0], return_counts=True)
    return bool(np.any(per_region >= 2))
