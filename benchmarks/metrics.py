"""Gap-closing quality metrics: closure per gap, false additions, gap-free additions, regions.

All inputs are float ink maps (0 paper, 1 ink); a pixel counts as ink at >= 0.5. "Added" is a
method's coverage of added pixels; a pixel is *new* when added >= 0.5 where the input had
ink < 0.5 (painting over existing ink changes nothing for a flood fill, so it is not counted).

The realistic categories (`training.gaps.realistic`: faint, grey-paper and colour lines) pass
`lines`, the input's lines as a person sees them (`line_map`: ink at half its local darkness),
instead of ink >= 0.5; then the input's faint lines count as lines for closure and new pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import cv2
import numpy as np

from krita_linerefiner.core.gaps import joining_strokes

INK = 0.5
# 17-32 and 33-48: the long breaks of the realistic categories; the test split has none, so its
# columns and closure_all keep their meaning.
LENGTH_BINS: tuple[tuple[int, int], ...] = ((1, 4), (5, 8), (9, 12), (13, 16), (17, 32),
                                            (33, 48))
TOTAL_BINS: tuple[tuple[int, int], ...] = ((1, 8), (9, 16), (9, 32))
FALSE_ADD_DISTANCE = 3.0
MIN_REGION = 32
REGION_IOU = 0.9
WINDOW_MARGIN = 4
MIN_PIECE = 3
STRAY_MIN_PIECE = 12  # px: a piece of the input's ink smaller than this is a speck, not a line
LINE_CONTRAST = 0.05  # ink above local paper by less than this is paper (grain, JPEG noise)
NOISE_SIGMAS = 4.0  # ... and so is ink above it by less than this many paper noise sigmas
PAPER_WINDOW = 61  # px: median window for the local paper level (wide: dense hatching is no paper)
# px: ... and, where that window is mostly ink (inside bold strokes over 30 px wide, solid
# fills, dense crossings), this wider one's, when it is lighter by more than LINE_CONTRAST.
SOLID_WINDOW = 181
PEAK_WINDOW = 9  # px: window for the local line darkness

_EIGHT = np.ones((3, 3), np.uint8)
_FOUR = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def new_pixels(ink: np.ndarray, added: np.ndarray) -> np.ndarray:
    return (added >= INK) & (ink < INK)


def closed_binary(ink: np.ndarray, added: np.ndarray) -> np.ndarray:
    return np.maximum(ink, added) >= INK


def gap_closure(
    closed: np.ndarray,
    target: np.ndarray,
    gap_labels: np.ndarray,
    gap_lengths: np.ndarray,
    margin: int = WINDOW_MARGIN,
) -> list[tuple[float, bool]]:
    """(length, closed) for every measurable gap of one image (gap_outcomes without leaks)."""
    return [(length, joined) for length, joined, _ in
            gap_outcomes(closed, target, gap_labels, gap_lengths, margin, leaks=False)]


def gap_leaks(target: np.ndarray, gap_labels: np.ndarray) -> dict[int, bool]:
    """Per cut k: whether that break alone lets a flood fill through.

    It does when the cut's line pixels (cut & target >= 0.5) touch, 4-adjacent, two or more
    paper regions of the intact target of at least MIN_REGION px: taking them out joins those
    regions into one. A break in a free mark (a hatching stroke, a hair strand, an arc standing
    on its own) or in a line with paper on one side only leaks nothing.
    """
    lines = target >= INK
    n, regions = paper_regions(lines)
    sizes = np.bincount(regions.ravel(), minlength=n)
    h, w = lines.shape
    out: dict[int, bool] = {}
    cut_ys, cut_xs = np.nonzero(gap_labels)
    cut_ids = gap_labels[cut_ys, cut_xs]
    for k in np.unique(cut_ids).tolist():
        of_k = cut_ids == k
        ys, xs = cut_ys[of_k], cut_xs[of_k]
        y0, x0 = max(0, int(ys.min()) - 1), max(0, int(xs.min()) - 1)
        y1, x1 = min(h, int(ys.max()) + 2), min(w, int(xs.max()) + 2)
        window = (slice(y0, y1), slice(x0, x1))
        cut_line = ((gap_labels[window] == k) & lines[window]).astype(np.uint8)
        beside = cv2.dilate(cut_line, _FOUR).astype(bool) & ~lines[window]
        touched = [r for r in np.unique(regions[window][beside]).tolist()
                   if r and sizes[r] >= MIN_REGION]
        out[int(k)] = len(touched) >= 2
    return out


def gap_outcomes(
    closed: np.ndarray,
    target: np.ndarray,
    gap_labels: np.ndarray,
    gap_lengths: np.ndarray,
    margin: int = WINDOW_MARGIN,
    leaks: bool = True,
) -> list[tuple[float, bool, bool]]:
    """(length, closed, leaks) for every measurable gap of one image; leaks: gap_leaks (False
    for all when `leaks` is False).

    Rule, per gap k (cut = pixels with gap_labels == k; its line pixels = cut & target >= 0.5):
    - window = bounding box of the cut grown by `margin` px (clipped to the image);
    - pieces = 8-connected components, inside the window, of the target ink minus *all* cuts
      (other gaps' cuts too: those pixels are missing from the input as well) that touch the
      cut's line pixels (8-adjacent) and have >= MIN_PIECE px (a stray antialiasing pixel is
      not a line end). Touching the faint antialiasing a cut also removes does not count: a
      stroke that merely passes near the cut was never joined to it;
    - pieces are grouped by the target stroke they belong to (8-connected target ink in the
      window, cut included). A band across two parallel strokes cuts two strokes, and closing
      it must not require joining them to each other;
    - the gap is closed when, for every group, one 8-connected component of the closed binary
      image restricted to the window overlaps all of the group's pieces. Overlap rather than
      containment, because the degraded input may be thinner or shifted by a pixel.
    A cut at a junction gives one group of three or more pieces: all must join, or colour
    leaks between them.
    Not measurable, and left out: gaps with an empty cut, cuts touching the crop border (the
    line may continue outside the crop, so the pieces are unknown), and cuts with no group of
    two pieces (a cut off line tip, or a piece joined to itself around a loop inside the
    window: nothing for a fill to leak through locally).
    """
    h, w = target.shape
    lines = target >= INK
    pieces_mask = lines & (gap_labels == 0)
    leaking = gap_leaks(target, gap_labels) if leaks else {}
    out: list[tuple[float, bool, bool]] = []
    cut_ys, cut_xs = np.nonzero(gap_labels)
    cut_ids = gap_labels[cut_ys, cut_xs]
    for k in range(1, int(gap_labels.max()) + 1):
        of_k = cut_ids == k
        ys, xs = cut_ys[of_k], cut_xs[of_k]
        if len(ys) == 0:
            continue
        y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
        if y0 == 0 or x0 == 0 or y1 == h - 1 or x1 == w - 1:
            continue
        y0, x0 = max(0, y0 - margin), max(0, x0 - margin)
        y1, x1 = min(h, y1 + margin + 1), min(w, x1 + margin + 1)
        window = (slice(y0, y1), slice(x0, x1))
        cut_line = ((gap_labels[window] == k) & lines[window]).astype(np.uint8)
        touching = cv2.dilate(cut_line, _EIGHT).astype(bool)
        n, piece_labels = cv2.connectedComponents(
            pieces_mask[window].astype(np.uint8), connectivity=8
        )
        _, stroke_labels = cv2.connectedComponents(lines[window].astype(np.uint8), connectivity=8)
        sizes = np.bincount(piece_labels.ravel(), minlength=n)
        groups: dict[int, list[np.ndarray]] = {}
        for i in np.unique(piece_labels[touching]):
            if i == 0 or sizes[i] < MIN_PIECE:
                continue
            piece = piece_labels == i
            stroke = int(stroke_labels[piece][0])  # a piece lies within one target stroke
            groups.setdefault(stroke, []).append(piece)
        groups = {g: pieces for g, pieces in groups.items() if len(pieces) >= 2}
        if not groups:
            continue
        _, closed_labels = cv2.connectedComponents(
            closed[window].astype(np.uint8), connectivity=8
        )
        joined = True
        for pieces in groups.values():
            common: set[int] | None = None
            for piece in pieces:
                labels = set(np.unique(closed_labels[piece]).tolist()) - {0}
                common = labels if common is None else common & labels
            joined = joined and bool(common)
        length = float(gap_lengths[k - 1]) if k - 1 < len(gap_lengths) else float("nan")
        out.append((length, joined, leaking.get(k, False)))
    return out


def far_additions(new: np.ndarray, target: np.ndarray, distance: float = FALSE_ADD_DISTANCE) -> int:
    """New pixels farther than `distance` px (Euclidean) from every true line pixel."""
    if not new.any():
        return 0
    paper = (target < INK).astype(np.uint8)
    if not paper.any():
        return 0
    dist = cv2.distanceTransform(paper, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return int(np.count_nonzero(new & (dist > distance)))


def joining_pixels(ink: np.ndarray, new: np.ndarray, margin: int = WINDOW_MARGIN) -> int:
    """New pixels in added strokes that join two pieces of ink that are separate near them.

    An added stroke (8-connected) joins when the pixels around it touch two or more 8-connected
    pieces of the input's ink inside its bounding box grown by `margin` (the rule the gap
    selection keeps strokes by, `core.gaps.joining_strokes`). On a drawing that has no gaps,
    such a stroke bridges a break the drawing already had (a dashed line, a stroke stopping
    short of another); the other additions fill pockets or thicken lines.
    """
    if not new.any():
        return 0
    return int(np.count_nonzero(joining_strokes(ink >= INK, new.astype(bool), margin)))


def stray_pixels(lines: np.ndarray, new: np.ndarray, margin: int = WINDOW_MARGIN,
                 min_piece: int = STRAY_MIN_PIECE) -> int:
    """New pixels in added strokes that do not join two lines.

    `lines` (bool) is the input's ink; its 8-connected pieces smaller than `min_piece` px are
    specks, dust or noise, not lines. An added stroke (8-connected component of `new`) is stray
    unless the pixels around it touch two or more line pieces that are separate within its
    bounding box grown by `margin` (`joining_pixels`' rule): a stroke into open paper, one from
    a line to a speck, and one that only thickens a line or fills a pocket of it all count.
    """
    return int(np.count_nonzero(stray_mask(lines, new, margin, min_piece)))


def stray_mask(lines: np.ndarray, new: np.ndarray, margin: int = WINDOW_MARGIN,
               min_piece: int = STRAY_MIN_PIECE) -> np.ndarray:
    """(bool) the new pixels `stray_pixels` counts: those of added strokes joining no two lines.

    A speck that an added stroke touches is part of that stroke: a stroke from a line across
    a speck (the darker bit of a faint line, a remnant inside a break) to another line joins
    two lines, where read on its own it would be two strokes each from a line to a speck."""
    strokes = new.astype(bool)
    if not strokes.any():
        return strokes
    big = line_pieces(lines, min_piece)
    specks = lines.astype(bool) & ~big
    if specks.any():
        _, labels = cv2.connectedComponents(specks.view(np.uint8), connectivity=8,
                                            ltype=cv2.CV_32S)
        near = cv2.dilate(strokes.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        touched = np.unique(labels[near & specks])
        crossed = strokes | np.isin(labels, touched[touched > 0])
    else:
        crossed = strokes
    return strokes & ~joining_strokes(big, crossed, margin)


def line_pieces(lines: np.ndarray, min_piece: int = STRAY_MIN_PIECE) -> np.ndarray:
    """`lines` (bool) without its 8-connected pieces smaller than `min_piece` px (specks)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(lines.astype(np.uint8), connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= min_piece
    big[0] = False
    return big[np.asarray(labels, np.int32)]


def line_map(ink: np.ndarray) -> np.ndarray:
    """The input's lines as a person sees them: ink at least half its line's darkness above the
    local paper, and clearly above the paper's noise.

    Paper is the median ink over PAPER_WINDOW px (line art is mostly paper, so the median is
    the paper even on grey or unevenly lit scans), or over SOLID_WINDOW px where that is
    lighter by more than LINE_CONTRAST (the smaller window lies inside a bold stroke or a solid
    fill, whose inside would otherwise read as paper and leave it hollow); the noise floor is
    LINE_CONTRAST or NOISE_SIGMAS robust sigmas of the contrast, whichever is larger. A pixel's
    line darkness is the largest contrast within PEAK_WINDOW px; a pixel at a quarter of that
    also counts when it is half of the largest within 1 px, so a light line (orange, light blue)
    meeting a black one stays a line up to one pixel from it, while the soft edge of the black
    line does not. On black lines on white this is ink >= 0.5 near lines; a 20% grey pencil line
    becomes a line, and so does a speck (of its own darkness).
    """
    u8 = np.clip(np.rint(ink * 255), 0, 255).astype(np.uint8)
    paper = cv2.medianBlur(u8, PAPER_WINDOW).astype(np.float32) / 255
    wide = cv2.medianBlur(u8, SOLID_WINDOW).astype(np.float32) / 255
    paper = np.where(paper - wide > LINE_CONTRAST, wide, paper)
    contrast = ink.astype(np.float32) - paper
    peak = cv2.dilate(contrast, np.ones((PEAK_WINDOW, PEAK_WINDOW), np.uint8))
    near = cv2.dilate(contrast, np.ones((3, 3), np.uint8))
    mad = float(np.median(np.abs(contrast - np.median(contrast))))
    floor = max(LINE_CONTRAST, NOISE_SIGMAS * 1.4826 * mad)
    # Half a grey level of slack: a pixel at exactly half coverage must not fall to rounding.
    c = contrast + 0.5 / 255
    own_line = (c >= 0.5 * near) & (c >= 0.25 * peak)
    return ((c >= 0.5 * peak) | own_line) & (contrast >= floor)


def paper_regions(ink_binary: np.ndarray) -> tuple[int, np.ndarray]:
    # 4-connectivity for paper, the dual of 8-connected lines: a diagonal ink step seals.
    return cv2.connectedComponents((~ink_binary).astype(np.uint8), connectivity=4)


def region_recovery(closed: np.ndarray, target: np.ndarray) -> tuple[int, int]:
    """(recovered, total): target paper regions (>= MIN_REGION px) matched at IoU >= 0.9.

    A region is recovered when some paper region of the closed output has IoU >= REGION_IOU
    with it; a leaking gap merges two regions into one, which then matches neither.
    """
    n_t, t_lab = paper_regions(target >= INK)
    n_o, o_lab = paper_regions(closed)
    t_size = np.bincount(t_lab.ravel(), minlength=n_t)
    o_size = np.bincount(o_lab.ravel(), minlength=n_o)
    both = (t_lab > 0) & (o_lab > 0)
    pair = t_lab[both].astype(np.int64) * n_o + o_lab[both]
    keys, inter = np.unique(pair, return_counts=True)
    t_of, o_of = keys // n_o, keys % n_o
    iou = inter / (t_size[t_of] + o_size[o_of] - inter)
    best = np.zeros(n_t)
    np.maximum.at(best, t_of, iou)
    big = np.nonzero(t_size >= MIN_REGION)[0]
    big = big[big > 0]
    return int(np.count_nonzero(best[big] >= REGION_IOU)), int(len(big))


@dataclass
class GapScore:
    """Pooled over a set of images; fill with `add_gapped` and `add_gap_free`."""

    closures: list[tuple[float, bool]] = field(default_factory=list)
    # Per closures entry: whether that break alone lets a fill through (gap_leaks). Empty in
    # scores written before it was measured.
    leaking: list[bool] = field(default_factory=list)
    new_pixels: int = 0
    far_pixels: int = 0
    gap_free_new: int = 0
    gap_free_joining: int = 0  # of gap_free_new: pixels of strokes bridging a break already there
    gap_free_area: int = 0
    # Of the intact drawing's paper regions (region_recovery), those a fill of the gap-free
    # (uncut but degraded) drawing keeps with the additions: the breaks a degradation makes by
    # itself (a thin line binarised into fragments, pencil grain, JPEG) leak as cuts do.
    gap_free_regions_recovered: int = 0
    gap_free_regions_total: int = 0
    stray_pixels: int = 0  # new pixels of added strokes that join no two lines (stray_pixels)
    gapped_area: int = 0
    regions_recovered: int = 0
    regions_total: int = 0
    seconds: float = 0.0  # wall time of the method on the degraded inputs
    cpu_seconds: float = 0.0  # process CPU time (all threads) of the same calls
    images: int = 0

    def merge(self, other: GapScore) -> None:
        """Pool `other`'s images into this score."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, list):
                mine.extend(theirs)
            else:
                setattr(self, f.name, mine + theirs)

    def add_gapped(
        self,
        ink: np.ndarray,
        added: np.ndarray,
        target: np.ndarray,
        gap_labels: np.ndarray,
        gap_lengths: np.ndarray,
        lines: np.ndarray | None = None,
        false_distance: float = FALSE_ADD_DISTANCE,
    ) -> None:
        """One degraded drawing; `lines` (bool): the input's lines if not ink >= 0.5;
        `false_distance`: how far off the intact line an added px counts as false
        (far_additions; scaled with a drawing enlarged, benchmarks.real --scale)."""
        if lines is None:
            lines = ink >= INK
        closed = lines | (added >= INK)
        new = (added >= INK) & ~lines
        outcomes = gap_outcomes(closed, target, gap_labels, gap_lengths)
        self.closures.extend((length, joined) for length, joined, _ in outcomes)
        self.leaking.extend(leaks for _, _, leaks in outcomes)
        self.new_pixels += int(np.count_nonzero(new))
        self.far_pixels += far_additions(new, target, false_distance)
        self.stray_pixels += stray_pixels(lines, new)
        self.gapped_area += ink.size
        rec, tot = region_recovery(closed, target)
        self.regions_recovered += rec
        self.regions_total += tot
        self.images += 1

    def add_gap_free(self, target: np.ndarray, added: np.ndarray,
                     lines: np.ndarray | None = None, intact: np.ndarray | None = None) -> None:
        """What a method added to a drawing with no gaps (`target`: the drawing it ran on);
        `intact` (bool): the lines of the drawing before it was degraded, whose paper regions
        the lines with the additions should keep (gap_free_region_rate)."""
        if lines is None:
            lines = target >= INK
        if intact is not None:
            rec, tot = region_recovery(lines | (added >= INK), intact.astype(np.float32))
            self.gap_free_regions_recovered += rec
            self.gap_free_regions_total += tot
        new = (added >= INK) & ~lines
        self.gap_free_new += int(np.count_nonzero(new))
        self.gap_free_joining += (int(np.count_nonzero(joining_strokes(lines, new, WINDOW_MARGIN)))
                                  if new.any() else 0)
        self.gap_free_area += target.size

    def _chosen(self, leaking_only: bool) -> list[tuple[float, bool]]:
        if not leaking_only:
            return self.closures
        if len(self.leaking) != len(self.closures):
            raise ValueError("these scores do not say which breaks leak (measured before "
                             "benchmarks.metrics.gap_leaks): run the benchmark again")
        return [c for c, leaks in zip(self.closures, self.leaking, strict=True) if leaks]

    def closure_rate(self, lo: int, hi: int, leaking_only: bool = False) -> float:
        """Share of the gaps of lo-hi px closed; `leaking_only`: of those a fill leaks
        through (gap_leaks), the ones that matter to a flood fill."""
        hits = [ok for length, ok in self._chosen(leaking_only) if lo - 0.5 <= length < hi + 0.5]
        return float(np.mean(hits)) if hits else float("nan")

    def gap_count(self, lo: int, hi: int, leaking_only: bool = False) -> int:
        return sum(1 for length, _ in self._chosen(leaking_only) if lo - 0.5 <= length < hi + 0.5)

    @property
    def overall_closure(self) -> float:
        return self.closure_rate(LENGTH_BINS[0][0], LENGTH_BINS[-1][1])

    @property
    def false_addition_rate(self) -> float:
        # Nothing added means nothing added falsely.
        return self.far_pixels / self.new_pixels if self.new_pixels else 0.0

    @property
    def false_per_mp(self) -> float:
        """False (far) px per MP of drawing: unlike false_addition_rate, not raised by drawing
        the same closures thinner (fewer true px)."""
        return self.far_pixels / self.gapped_area * 1e6 if self.gapped_area else float("nan")

    @property
    def gap_free_per_mp(self) -> float:
        return self.gap_free_new / self.gap_free_area * 1e6 if self.gap_free_area else float("nan")

    @property
    def stray_per_mp(self) -> float:
        return self.stray_pixels / self.gapped_area * 1e6 if self.gapped_area else float("nan")

    @property
    def gap_free_region_rate(self) -> float:
        return (self.gap_free_regions_recovered / self.gap_free_regions_total
                if self.gap_free_regions_total else float("nan"))

    @property
    def region_rate(self) -> float:
        return self.regions_recovered / self.regions_total if self.regions_total else float("nan")

    def summary(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {}
        for lo, hi in LENGTH_BINS + TOTAL_BINS:
            out[f"closure_{lo}_{hi}"] = self.closure_rate(lo, hi)
            out[f"gaps_{lo}_{hi}"] = self.gap_count(lo, hi)
        out["closure_all"] = self.overall_closure
        out["gaps_all"] = self.gap_count(LENGTH_BINS[0][0], LENGTH_BINS[-1][1])
        out["false_addition_rate"] = self.false_addition_rate
        out["false_px_per_mp"] = self.false_per_mp
        out["new_pixels"] = self.new_pixels
        out["added_px_per_mp_gap_free"] = self.gap_free_per_mp
        out["added_px_per_mp_gap_free_joining"] = (
            self.gap_free_joining / self.gap_free_area * 1e6 if self.gap_free_area else float("nan")
        )
        out["stray_px_per_mp"] = self.stray_per_mp
        out["regions_recovered_rate"] = self.region_rate
        out["regions_total"] = self.regions_total
        out["seconds"] = self.seconds
        out["cpu_seconds"] = self.cpu_seconds
        out["images"] = self.images
        return out
