"""Flat colours: every region enclosed by the lines (and the closures that mend them) gets one
colour of its own, as a colourist's "flats" layer under the lines.

- Regions are the 4-connected paper regions between the lines, as a flood fill spreads
  (core.gaps.paper_regions); a pixel is a line where the ink, read as close_gaps reads it
  (normalised by core.lines: faint and pencil lines count), or a closure reaches LINE_LEVEL.
- Trapping: every line pixel takes the colour of the nearest region (trap_lines), so the
  colour runs under each line to its middle and no paper, however faint the anti-aliased
  edge, shows white between a region and its line.
- Regions smaller than `min_region` px merge into their largest neighbour (by area), so specks
  between hatching strokes are not flats of their own. Neighbours are regions whose trapped
  areas touch, i.e. that face each other across one line.
- The regions touching the image border are the outside: transparent unless `fill_border`.
- Colours are a hash of each region's pixel set (its area and the sums of its coordinates, in
  document coordinates given by `origin`), so rerunning after an edit keeps the colour of every
  region whose paper pixels did not change. Colours are distinct, and clearly different between
  neighbours; a clash is resolved by rehashing the smaller region, so without `previous` an
  unchanged region changes colour only if an edit's new neighbour clashes with it and is larger
  (about one unchanged neighbour in several hundred). Given the earlier flats (`previous`, which
  the user may have recoloured), a region whose paper was one colour there keeps that colour,
  whatever the hash says.

Memory: one full-size int32 label map (which becomes the RGBA output in place), an 8-bit
distance map for a moment, and a few integers per line pixel; remapping runs in row strips
(benchmarks/flats.py measures time and peak memory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from .errors import LineRefinerError, check_cancel
from .gaps import LINE_LEVEL
from .lines import normalise_lines

OUTSIDE = 0  # group id of the transparent outside; also label 0 of cv2's components (lines)
STRIP_ROWS = 256  # rows per strip when remapping full-size maps, to keep temporaries small
# Squared RGB distance below which two neighbours' colours count as too alike: 24 levels tell
# apart side by side, and only about 1% of random pairs from colours_of come that close, which
# is how often an edit's new region can push an unchanged neighbour to another colour.
MIN_NEIGHBOUR_DISTANCE2 = 24 * 24
MAX_MERGE_ROUNDS = 64


@dataclass(frozen=True)
class FlatsParams:
    min_region: int = 24
    fill_border: bool = False
    line_darkness: float | None = None  # as GapParams.line_darkness; None: estimated

    def __post_init__(self) -> None:
        if not 0 <= self.min_region <= 100_000:
            raise LineRefinerError(
                f"Smallest flat region must be 0-100000 px, not {self.min_region}."
            )
        if self.line_darkness is not None and not 0.02 <= self.line_darkness <= 1.0:
            raise LineRefinerError(
                f"Line darkness must be between 0.02 and 1 (or auto), not {self.line_darkness}."
            )


@dataclass(frozen=True)
class FlatsResult:
    rgba: np.ndarray  # (H, W, 4) uint8, R G B A; the outside (unless filled) is 0, 0, 0, 0
    regions: int  # coloured regions, after tiny ones merged


def fill_flats(
    ink: np.ndarray,
    gaps: np.ndarray | None = None,
    params: FlatsParams | None = None,
    *,
    normalised: bool = False,
    origin: tuple[int, int] = (0, 0),
    previous: np.ndarray | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> FlatsResult:
    """Flat colours for `ink` (float32, 0 paper..1 ink) closed by `gaps` (same shape, the added
    pixels as close_gaps returns them; None: the lines as they are). `normalised`: `ink` is
    already line-darkness normalised (core.lines, as close_gaps's analysis holds it), so it is
    not normalised again with params.line_darkness. `origin` is the (x, y) of
    the map's top-left pixel in the document, so colours survive a change of the layer's bounds.
    `previous` is an earlier result (H, W, 4 RGBA uint8, possibly recoloured by the user): a
    region whose paper was all one opaque colour there keeps that colour.
    """
    params = params or FlatsParams()
    if ink.ndim != 2 or ink.size == 0:
        raise LineRefinerError(f"Expected a non-empty 2-D ink map, got shape {ink.shape}.")
    if gaps is not None and gaps.shape != ink.shape:
        raise LineRefinerError(
            f"The closures ({gaps.shape}) and the lines ({ink.shape}) differ in size."
        )
    if previous is not None and (previous.shape != (*ink.shape, 4) or previous.dtype != np.uint8):
        raise LineRefinerError(
            f"Earlier flats of shape {previous.shape} ({previous.dtype}) do not fit lines of "
            f"shape {ink.shape}; expected 8-bit RGBA of the same size."
        )
    if previous is not None:
        previous = np.ascontiguousarray(previous)

    # Normalising the lines takes about as long as the rest.
    head = 0.0 if normalised else 0.5

    def report(fraction: float) -> None:
        check_cancel(cancel)
        if progress is not None:
            progress(fraction)

    def step(done: float) -> None:
        report(head + (1.0 - head) * done)

    height, width = ink.shape
    if not normalised:
        report(0.0)
        ink = normalise_lines(ink, params.line_darkness)[0]
    step(0.0)
    line = line_mask(ink, gaps)
    del ink
    count, regions, stats, centroids = cv2.connectedComponentsWithStats(
        (~line).view(np.uint8), connectivity=4, ltype=cv2.CV_32S
    )
    if count == 1:  # no paper at all
        step(1.0)
        return FlatsResult(np.zeros((height, width, 4), np.uint8), 0)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    area[OUTSIDE] = 0
    earlier = None if previous is None else uniform_colours(regions, previous, area)
    step(0.35)
    trap_lines(regions, line)
    del line
    step(0.8)

    pairs = touching_pairs(regions)
    group = np.arange(count, dtype=np.int32)
    if not params.fill_border:
        group[touches_border(stats, width, height)] = OUTSIDE
    group = merge_tiny(group, area, pairs, params.min_region)
    step(0.9)

    # Each group is coloured by its representative's own pixels (not those of merged specks),
    # so a speck appearing or vanishing elsewhere in it does not recolour it.
    members = np.unique(group)
    members = members[members != OUTSIDE]
    sums_x = np.rint(centroids[members, 0] * area[members]).astype(np.int64)
    sums_y = np.rint(centroids[members, 1] * area[members]).astype(np.int64)
    sums_x += area[members] * origin[0]
    sums_y += area[members] * origin[1]
    keys = region_keys(area[members], sums_x, sums_y)
    index = np.full(count, -1, np.int64)
    index[members] = np.arange(len(members))
    group_pairs = np.unique(np.sort(group[pairs], axis=1), axis=0)
    apart = (group_pairs[:, 0] != group_pairs[:, 1]) & (group_pairs != OUTSIDE).all(1)
    group_pairs = group_pairs[apart]
    inherited = None if earlier is None else earlier[members]
    colours = distinct_colours(keys, area[members], index[group_pairs], inherited)
    palette = np.zeros(count, np.dtype("<u4"))  # OUTSIDE and merged labels stay transparent
    palette[members] = colours
    step(0.95)
    # label -> group -> packed RGBA, in one table, applied in place over the label map
    rgba = regions.view(np.dtype("<u4"))
    remap_in_strips(regions, palette[group], rgba)
    step(1.0)
    return FlatsResult(rgba.view(np.uint8).reshape(height, width, 4), len(members))


def uniform_colours(labels: np.ndarray, previous: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Per label, the packed RGBA that all its pixels have in `previous` if that is one opaque
    colour, else 0. Label 0 (the lines) always gets 0."""
    count = len(area)
    sums = np.zeros((4, count))
    for top in range(0, labels.shape[0], STRIP_ROWS):
        strip = labels[top : top + STRIP_ROWS].reshape(-1)
        colour = previous[top : top + STRIP_ROWS].reshape(-1, 4)
        for channel in range(4):
            sums[channel] += np.bincount(strip, weights=colour[:, channel], minlength=count)
    # The mean colour is each label's colour if it has one; then count pixels that differ.
    mean = np.rint(sums / np.maximum(area, 1)).astype(np.uint32)
    candidate = mean[0] | mean[1] << 8 | mean[2] << 16 | mean[3] << 24
    differ = np.zeros(count)
    packed_previous = previous.view(np.dtype("<u4"))[..., 0]
    for top in range(0, labels.shape[0], STRIP_ROWS):
        strip = labels[top : top + STRIP_ROWS]
        wrong = packed_previous[top : top + STRIP_ROWS] != candidate[strip]
        differ += np.bincount(strip.reshape(-1), weights=wrong.reshape(-1), minlength=count)
    candidate[(differ > 0) | (mean[3] != 255)] = 0
    candidate[OUTSIDE] = 0
    return candidate


class RegionCounts(NamedTuple):
    """Regions a fill sees in the lines alone and with the closures added (enclosed_regions)."""

    before: int
    after: int

    def text(self) -> str:
        return f"Regions: {self.before} before, {self.after} after closing"


def enclosed_regions(line: np.ndarray, min_region: int = 24, fill_border: bool = False) -> int:
    """How many flats fill_flats makes between `line` (bool: the lines and any closures, as
    line_mask reads them): its 4-connected paper regions, less those touching the border (the
    outside, unless `fill_border`) and those under `min_region` px, which merge into a
    neighbour. Without the trapping and merging that colouring needs, so it is cheap enough for a
    live preview; it differs from FlatsResult.regions only where tiny regions touch nothing but
    each other."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(
        (~line).view(np.uint8), connectivity=4, ltype=cv2.CV_32S
    )
    height, width = line.shape
    kept = stats[1:, cv2.CC_STAT_AREA] >= max(1, min_region)
    if not fill_border:
        kept &= ~touches_border(stats[1:], width, height)
    return int(kept.sum())


def region_counts(line: np.ndarray, gaps: np.ndarray | None, params: FlatsParams | None = None,
                  before: int | None = None) -> RegionCounts:
    """enclosed_regions of the lines (bool, LINE_LEVEL and up) alone, and with the closures
    (`gaps` coverage, as close_gaps returns it) added. `before`: the first count, when known
    (it depends on the lines and params only; a live preview counts it once per run)."""
    params = params or FlatsParams()
    if before is None:
        before = enclosed_regions(line, params.min_region, params.fill_border)
    if gaps is None:
        return RegionCounts(before, before)
    closed = line | np.greater_equal(gaps, np.float32(LINE_LEVEL))
    return RegionCounts(before, enclosed_regions(closed, params.min_region, params.fill_border))


def line_mask(ink: np.ndarray, gaps: np.ndarray | None) -> np.ndarray:
    line = np.greater_equal(ink, np.float32(LINE_LEVEL))
    if gaps is not None:
        line |= np.greater_equal(gaps, np.float32(LINE_LEVEL))
    return line


def trap_lines(regions: np.ndarray, line: np.ndarray) -> None:
    """Give every line pixel (label 0 in `regions`) the label of its nearest region, in place.

    Pixels are visited in order of their city-block distance from paper, and each copies the
    label of a 4-neighbour one step nearer, so every region's share of a line is 4-connected to
    the region: one click of a contiguous fill recolours all of it. (A Euclidean Voronoi split,
    cv2.distanceTransformWithLabels, leaves pixels attached only by a corner, which a fill
    misses.) The split lies midway across each line, as a line is as far from both sides.
    """
    # 8-bit city-block distances (a quarter of the float map's memory) saturate at 255 px
    # from paper; the few pixels deeper inside a solid fill are labelled afterwards, a step at
    # a time, in the same nearest-first order.
    distance = cv2.distanceTransform(line.view(np.uint8), cv2.DIST_L1, 3, dstType=cv2.CV_8U)
    pixels = np.flatnonzero(line)
    level = distance.reshape(-1)[pixels]
    del distance
    order = np.argsort(level, kind="stable")  # radix sort for 8-bit keys
    pixels = pixels[order]
    ends = np.cumsum(np.bincount(level))
    del level, order
    flat = regions.reshape(-1)
    for start, end in zip(ends[:-1].tolist(), ends[1:].tolist(), strict=True):
        label_from_neighbours(flat, pixels[start:end], regions.shape[1])
    deeper = pixels[ends[-2]:] if len(ends) > 1 else pixels[:0]
    while len(deeper):
        deeper = deeper[flat[deeper] == 0]
        before = len(deeper)
        label_from_neighbours(flat, deeper, regions.shape[1])
        if before and not np.any(flat[deeper]):
            break  # cannot happen while there is paper; never loop forever


def label_from_neighbours(flat: np.ndarray, here: np.ndarray, width: int) -> None:
    """Label each pixel of `here` (flat indices) like a labelled 4-neighbour, if it has one.

    All pixels of one step are labelled at once from the labels before the step, and pixels of
    the same step still hold 0, so any labelled neighbour is one step nearer to paper.
    """
    column = here % width
    label = np.zeros(len(here), np.int32)
    for offset, inside in ((-width, here >= width), (-1, column > 0),
                           (1, column < width - 1), (width, here < flat.size - width)):
        missing = (label == 0) & inside
        label[missing] = flat[here[missing] + offset]
    flat[here] = label


def remap_in_strips(values: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """out[...] = table[values] a strip of rows at a time, so the only temporary is one strip;
    `out` may share memory with `values` (each strip is read whole before it is written)."""
    for top in range(0, values.shape[0], STRIP_ROWS):
        out[top : top + STRIP_ROWS] = table[values[top : top + STRIP_ROWS]]


def touches_border(stats: np.ndarray, width: int, height: int) -> np.ndarray:
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right = x + stats[:, cv2.CC_STAT_WIDTH]
    bottom = y + stats[:, cv2.CC_STAT_HEIGHT]
    # A region's bounding box reaches the border only where one of its pixels lies on it.
    return (x == 0) | (y == 0) | (right == width) | (bottom == height)


def touching_pairs(regions: np.ndarray) -> np.ndarray:
    """(n, 2) int32 label pairs, lower first, of 4-neighbouring pixels with different labels."""
    found = []
    height = regions.shape[0]
    for top in range(0, height, STRIP_ROWS):
        # one row of overlap so vertical pairs across strips are seen
        strip = regions[top : min(top + STRIP_ROWS + 1, height)]
        for a, b in ((strip[:, :-1], strip[:, 1:]), (strip[:-1], strip[1:])):
            differ = a != b
            if differ.any():
                found.append(np.unique(pack(a[differ], b[differ])))
    if not found:
        return np.zeros((0, 2), np.int32)
    codes = np.unique(np.concatenate(found))
    return np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1).astype(np.int32)


def pack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    low, high = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    return (low << 32) | high


def merge_tiny(
    group: np.ndarray, area: np.ndarray, pairs: np.ndarray, min_region: int
) -> np.ndarray:
    """Each group smaller than `min_region` px joins its largest neighbouring group, in rounds,
    until none is left that has a neighbour. The outside never merges into anything."""
    for _ in range(MAX_MERGE_ROUNDS):
        size = np.bincount(group, weights=area, minlength=len(group)).astype(np.int64)
        a, b = group[pairs[:, 0]], group[pairs[:, 1]]
        differ = a != b
        a, b = a[differ], b[differ]
        # both directions: (group, neighbour)
        src = np.concatenate([a, b])
        dst = np.concatenate([b, a])
        tiny = (size[src] < min_region) & (src != OUTSIDE)
        src, dst = src[tiny], dst[tiny]
        if len(src) == 0:
            break
        # Largest neighbour, ties to the lower label; the outside counts by its full size.
        order = np.lexsort((-dst, size[dst], src))
        src, dst = src[order], dst[order]
        last = np.r_[src[1:] != src[:-1], True]
        src, dst = src[last], dst[last]
        target = np.arange(len(group), dtype=np.int32)
        target[src] = dst
        # Two tiny groups can each be the other's largest neighbour; the larger one (by size,
        # then lower label) stays. Longer cycles cannot happen: in a cycle a -> b -> c -> a,
        # each is the largest neighbour of the one before, so all three would be equal.
        mutual = target[target[src]] == src
        keep = mutual & ((size[src] > size[dst]) | ((size[src] == size[dst]) & (src < dst)))
        target[src[keep]] = src[keep]
        while True:
            jumped = target[target]
            if np.array_equal(jumped, target):
                break
            target = jumped
        group = target[group]
    return group


def region_keys(area: np.ndarray, sums_x: np.ndarray, sums_y: np.ndarray) -> np.ndarray:
    key = mix64(area.astype(np.uint64))
    key = mix64(key ^ sums_x.astype(np.uint64))
    return mix64(key ^ sums_y.astype(np.uint64))


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit changes about half the output bits."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def colours_of(keys: np.ndarray, attempt: int = 0) -> np.ndarray:
    """Packed RGBA (little-endian uint32, alpha 255) from the hash bits of each key: no dark or
    greyish colours, so black lines stay readable on top."""
    bits = mix64(keys ^ np.uint64(attempt * 0x632BE59BD9B4E019 & 0xFFFFFFFFFFFFFFFF))
    hue = (bits & np.uint64(0xFFFF)).astype(np.float64) / 65536.0 * 6.0
    sat = 0.2 + 0.55 * ((bits >> np.uint64(16)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    val = 0.7 + 0.3 * ((bits >> np.uint64(24)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    sector = np.floor(hue).astype(np.int64) % 6
    f = hue - np.floor(hue)
    p, q, t = val * (1 - sat), val * (1 - sat * f), val * (1 - sat * (1 - f))
    r = np.choose(sector, [val, q, p, p, t, val])
    g = np.choose(sector, [t, val, val, q, p, p])
    b = np.choose(sector, [p, p, t, val, val, q])
    channels = [np.rint(c * 255).astype(np.uint32) for c in (r, g, b)]
    return channels[0] | channels[1] << 8 | channels[2] << 16 | np.uint32(255) << 24


def unpack(colour: np.ndarray) -> np.ndarray:
    c = colour.astype(np.int64)
    return np.stack([c & 0xFF, (c >> 8) & 0xFF, (c >> 16) & 0xFF], axis=-1)


def distinct_colours(
    keys: np.ndarray,
    area: np.ndarray,
    neighbours: np.ndarray,
    inherited: np.ndarray | None = None,
) -> np.ndarray:
    """One colour per key, all different and clearly different across each neighbour pair.

    `inherited` (packed RGBA per key, 0 for none) are colours from an earlier run that stay as
    they are, even close or equal to others (a user may give two regions one colour), except that
    of two neighbours inheriting the same colour (a region the edit split) the smaller gives it up.
    Any other clash is settled by rehashing the smaller region (the one whose key sorts later if
    they are as large), again until it clears, so the outcome depends only on the regions and
    their neighbours, not on the order they were found in.
    """
    colours = colours_of(keys)
    fixed = np.zeros(len(keys), bool) if inherited is None else inherited != 0
    colours[fixed] = inherited[fixed] if inherited is not None else colours[fixed]
    rank = np.empty(len(keys), np.int64)
    rank[np.lexsort((keys, -area))] = np.arange(len(keys))
    a, b = neighbours[:, 0], neighbours[:, 1]
    later = np.where(rank[a] > rank[b], a, b)
    split = fixed[a] & fixed[b] & (colours[a] == colours[b])
    fixed[later[split]] = False
    losers = set(later[split].tolist())
    free = np.nonzero(~fixed)[0]
    # A free colour equal to any other: a fixed one always keeps it, else the first in rank.
    order = free[np.argsort(rank[free])]
    _, first = np.unique(colours[order], return_index=True)
    taken = set(colours[fixed].tolist())
    winners = {int(order[i]) for i in first if int(colours[order[i]]) not in taken}
    losers.update(set(free.tolist()) - winners)
    close = ((unpack(colours[a]) - unpack(colours[b])) ** 2).sum(1) < MIN_NEIGHBOUR_DISTANCE2
    loser = np.where(fixed[a], b, np.where(fixed[b], a, later))
    losers.update(loser[close & ~(fixed[a] & fixed[b])].tolist())
    if not losers:
        return colours
    adjacency: dict[int, list[int]] = {}
    for x, y in neighbours.tolist():
        adjacency.setdefault(x, []).append(y)
        adjacency.setdefault(y, []).append(x)
    used = set(colours.tolist()) | {0}
    for region in sorted(losers, key=lambda r: rank[r]):
        nearby = unpack(colours[adjacency.get(region, [])])
        for attempt in range(1, 10_000):
            candidate = int(colours_of(keys[region : region + 1], attempt)[0])
            if candidate in used:
                continue
            rgb = unpack(np.array([candidate]))
            if len(nearby) and (((nearby - rgb) ** 2).sum(1) < MIN_NEIGHBOUR_DISTANCE2).any():
                continue
            break
        colours[region] = candidate
        used.add(candidate)
    return colours
