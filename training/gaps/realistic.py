"""Procedural line art that fails the way real drawings do, with labelled gaps.

    make_category(category, n, seed, size=256) -> dict of arrays

One category per failure seen on real drawings (issue 10): faint pencil lines (20/40/60%
darkness), 1-px aliased lines with 1-3 px breaks, 2-3 px breaks at T and L junctions, dashed
strokes, long breaks along smooth contours, dust and specks near lines, colour lines, JPEG on grey
or unevenly lit paper, verified gap-free drawings, shading (stipple, screentone, hatching)
between the lines, where nothing is to be closed, and sketchy lines (strokes that run on past
the line they meet, and doubled passes over strokes, as in pencil sketches and rough key
frames), and hairlines (stretches of 6-40 px of a contour drawn as a faint line about 1 px wide,
20-40% dark: a fine pen, or a drawing scaled down; a person follows the contour, the line map
reads a break; measured, not in the verifier's training rows), and dotted lines (the same
stretches drawn as a run of 1-4 px dots 1-4 px apart, 30-80% dark, as a hand-inked outline
where the pen skipped, seen on the hand-drawn set's drawings; measured, not trained on), and two
more seen on the uncut art4apps drawings of the hand-drawn set, whose whole bodies leak into the
paper (stop 43), both on stretches of 12-48 px, measured, not trained on: sparse lines (dashes
2-6 px long, 3-8 px apart, 40-100% dark: the rhinoceros's shoulder) and fading lines (a 1-px
hairline only 6-20% dark: the cat's back, where a tapered stroke thins to almost nothing), and
binarised lines (stop 54, measured, not trained on: the same stretches as hairlines thinned to
half a px and the whole picture thresholded at half ink, as a drawing saved as 1-bit line art
or a binarised scan has them: the runs of px a thin line breaks into, Tux Paint's aliased
variant).
Numpy and OpenCV only, so the benchmark and the data writers can use it without torch.
The same (category, seed, size) always gives the same arrays; drawing i depends only on (seed,
category, i), not on n.

Keys, as `benchmarks.gaps.synthetic_set` and `training.gaps.dataset.load_split` have them:
- "ink" (N, H, W) uint8: the degraded drawing as ink (0 paper, 255 full ink). It is
  `core.ink.ink_from_image` of the rendered picture, so grey paper, colour lines and JPEG noise go
  through the plugin's own conversion.
- "target" (N, H, W) uint8: the intact drawing, 255 where its clean coverage is above half (a
  20% grey line is a full line here), 0 elsewhere; specks and paper are not in it.
- "gap_labels" (N, H, W) uint8: k on the pixels of cut k that must be closed: target pixels the
  cut removed, where the degraded clean coverage is below half, i.e. the input's ink there is
  below half of the line's darkness.
- "gap_lengths" (N, MAX_GAPS) float32: cut k's length along the stroke at k-1, zero padded.
- "kind" (N,) str: the category.
- "rgb" (N, H, W, 3) uint8: the picture a user sees, in RGB order (cv2 wants `[..., ::-1]`).

How a drawing is made: closed contours (smooth blobs, polygons with corners), partitions and
stems meeting them (T-junctions), L-corners, hair strands and hatching ending in open paper,
free curves crossing the rest. Strokes are polylines resampled at 1 px, drawn segment by segment
(at 4x and area-averaged when anti-aliased, at 1x with cv2.LINE_8 when aliased) with a per-point
width (pressure taper towards free ends), laid on paper with the "darken" blend. A cut removes
the segments of one stroke over an interval of its arc length, so it follows curves, removes the
whole stroke width and leaves round ends; it keeps >= END_MARGIN px of stroke to the stroke's
ends and to other cuts, so the pieces it leaves read as lines. Its label is the part of the
removed target pixels that joins two lines (a nick beside a crossing stroke is not labelled).
Each cut is checked twice with the benchmark's own rule (`benchmarks.metrics.gap_closure`): on
the clean coverage when it is made, and on the finished picture as the benchmark reads it
(`metrics.line_map`), where it must be open and closed by filling exactly its label; cuts that
JPEG filled in are dropped. Free stroke ends within NEAR_MISS px of other ink (a natural break
nobody labelled) are removed with their stroke before cutting, so every break of a drawing under
NEAR_MISS px is labelled and "gapfree" drawings have none; a gap-free drawing whose faint lines
grain and JPEG broke is shown on white paper instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from benchmarks.metrics import WINDOW_MARGIN, gap_closure, line_map, line_pieces
from krita_linerefiner.core.gaps import joining_strokes
from krita_linerefiner.core.ink import ink_from_image

CATEGORIES = ("faint20", "faint40", "faint60", "black", "binary1px", "junction", "dashed",
              "long", "specks", "colour", "jpeg", "gapfree", "shading", "sketchy", "hairline",
              "dotted", "sparse", "fading", "binarised", "bold")
# Measured by the benchmark, not (yet) in the verifier's training data: the shipped verifier's
# chain (training.gaps.pipeline) makes the rows it was trained on (stop 33).
BENCHMARK_ONLY = ("hairline", "dotted", "sparse", "fading", "binarised", "bold")
# "black" is faint20's twin: the same drawings and cuts (same random stream) in clean black
# anti-aliased lines, so faint20's closure can be compared with black lines' on equal terms.
TWIN = {"black": "faint20"}
MAX_GAPS = 32
SUPERSAMPLE = 4
CORE_LEVEL = 0.8  # a 1-px aliased core keeps thin anti-aliased lines connected at half darkness
TEXTURE_FLOOR = 0.75  # pencil grain never lowers ink below this share (0.8 * 0.75 > 0.5)
# The target takes coverage above half: a pixel at exactly half is a coin toss after rounding.
TARGET_LEVEL = 0.5 + 1 / 64
NEAR_MISS = 5.0  # px: a free stroke end this close to other ink would be a natural break
BORDER = 12  # px: no cut centre nearer the crop edge (the benchmark skips cuts on the border)
SPACING = 5  # px kept between two cuts
# px of stroke kept between a cut and a stroke's end: the piece beyond a cut must read as a line
# (the stray metric takes pieces under 12 px for specks), even where the end tapers and fades.
END_MARGIN = 14.0
OVERSHOOT = (3.0, 10.0)  # px a sketchy stroke runs on past the far edge of the line it meets

# Line colours of key frames (shadow/highlight lines) with black among them, RGB 0..1.
COLOURS = ((0.9, 0.05, 0.05), (0.1, 0.2, 0.95), (0.05, 0.6, 0.15), (1.0, 0.55, 0.05),
           (0.35, 0.7, 1.0))


@dataclass
class Stroke:
    pts: np.ndarray  # (M, 2) float x, y, ~1 px apart
    width: np.ndarray  # (M,) px
    closed: bool
    colour: tuple[float, float, float] = (0.0, 0.0, 0.0)
    smooth: bool = False  # a smooth contour: long cuts go here
    # Ends lying on another stroke (0 start, 1 end) with that stroke's half width: T/L junctions.
    junctions: list[tuple[int, float]] = field(default_factory=list)
    free_ends: list[int] = field(default_factory=list)  # ends in open paper
    cuts: list[tuple[float, float, int]] = field(default_factory=list)  # visible a, b, gap id

    @property
    def length(self) -> float:
        return float(len(self.pts) - (0 if self.closed else 1))


@dataclass(frozen=True)
class Style:
    aa: bool = True  # anti-aliased; else aliased cv2.LINE_8
    widths: tuple[float, float] = (1.5, 3.5)
    two_px_share: float = 0.0  # aliased: share of drawings at 2 px
    darkness: tuple[float, float] = (1.0, 1.0)
    pencil: bool = False
    colour_share: float = 0.0  # share of strokes in COLOURS
    paper: str = "white"  # white | grey | textured
    jpeg: tuple[int, int] | None = None  # quality range
    specks: int = 0  # per 256 x 256
    shading: int = 0  # shaded patches (stipple, screentone, hatching) per 256 x 256
    overshoot: float = 0.0  # share of junction ends that run on past the line they meet
    retrace: float = 0.0  # share of long strokes with a second, drifting pass over part of them
    contour_radius: tuple[float, float] = (0.15, 0.35)  # share of the drawing's size
    # The cut stretches drawn on as a 1-px hairline this dark (a contour inked partly with a
    # fine pen, or scaled down): a person follows it, the line map reads paper.
    hairline: tuple[float, float] | None = None
    # The hairline drawn as dots (dot_length px long, dot_space px apart): a pen that skipped.
    dotted: bool = False
    # With dotted: dots (or dashes) this many px long and this many px apart, at random.
    dot_length: tuple[float, float] = (1.0, 4.0)
    dot_space: tuple[float, float] = (1.0, 4.0)
    # The hairline's width in px at SUPERSAMPLE (SUPERSAMPLE: 1 px).
    hair_width: int = SUPERSAMPLE
    # The finished picture thresholded at half ink, black on white (a drawing saved as 1-bit
    # line art, or a scan binarised): a line thinner than a px breaks into runs of px.
    binarise: bool = False


@dataclass
class Rendered:
    y0: int
    x0: int
    full: np.ndarray  # float coverage of the intact stroke
    kept: np.ndarray  # float coverage after its cuts
    removed: dict[int, np.ndarray]  # gap id -> bool pixels that cut removed


# ---------------------------------------------------------------------------------------------
# Geometry


def resample(points: np.ndarray, closed: bool, step: float = 1.0) -> np.ndarray:
    p = np.asarray(points, np.float64)
    if closed:
        p = np.vstack([p, p[:1]])
    seg = np.hypot(*np.diff(p, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    total = s[-1]
    if total < step:
        return p[:1].astype(np.float32)
    n = int(np.floor(total / step)) + (0 if closed else 1)
    t = np.arange(n) * (total / (n if closed else n - 1) if n > 1 else 0.0)
    return np.stack([np.interp(t, s, p[:, 0]), np.interp(t, s, p[:, 1])], 1).astype(np.float32)


def smooth_path(ctrl: np.ndarray, closed: bool, n: int = 200) -> np.ndarray:
    """Catmull-Rom spline through control points."""
    c = np.asarray(ctrl, np.float64)
    if closed:
        q = np.vstack([c[-1:], c, c[:2]])
        segs = len(c)
    else:
        q = np.vstack([2 * c[:1] - c[1:2], c, 2 * c[-1:] - c[-2:-1]])
        segs = len(c) - 1
    per = max(4, n // max(1, segs))
    t = np.linspace(0, 1, per, endpoint=False)[:, None]
    out = []
    for i in range(segs):
        p0, p1, p2, p3 = q[i], q[i + 1], q[i + 2], q[i + 3]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    if not closed:
        out.append(c[-1:])
    return np.vstack(out)


def blob(c: np.ndarray, r: float, rng: np.random.Generator, wobble: float = 0.22) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    rad = np.full_like(t, r)
    for j in range(1, int(rng.integers(2, 5)) + 1):
        rad += r * rng.uniform(-wobble, wobble) / j * np.cos(j * t + rng.uniform(0, 6.3))
    ratio = rng.uniform(0.55, 1.0)
    ang = rng.uniform(0, np.pi)
    x, y = rad * np.cos(t), ratio * rad * np.sin(t)
    ca, sa = np.cos(ang), np.sin(ang)
    return np.stack([c[0] + ca * x - sa * y, c[1] + sa * x + ca * y], 1)


def polygon(c: np.ndarray, r: float, rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(3, 7))
    t = np.linspace(0, 2 * np.pi, n, endpoint=False) + rng.uniform(-0.3, 0.3, n) + rng.uniform(0, 6)
    rad = r * rng.uniform(0.75, 1.0, n)
    return np.stack([c[0] + rad * np.cos(t), c[1] + rad * np.sin(t)], 1)


def normals(pts: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    if closed:
        d = np.roll(pts, -2, axis=0) - pts
        d = np.roll(d, 1, axis=0)
    else:
        d = np.gradient(pts, axis=0)
    t = d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-9)
    return t, np.stack([-t[:, 1], t[:, 0]], 1)


def taper(n: int, base: float, ends: list[int], rng: np.random.Generator,
          minimum: float) -> np.ndarray:
    w = np.full(n, base, np.float32)
    pressure = 1.0 + 0.12 * np.sin(np.linspace(0, rng.uniform(2, 8), n) + rng.uniform(0, 6))
    w = w * pressure
    for end in ends:
        k = min(n, int(rng.uniform(8, 22)))
        ramp = np.linspace(0.35, 1.0, k) ** 0.7
        if end == 0:
            w[:k] *= ramp
        else:
            w[n - k:] *= ramp[::-1]
    return np.maximum(w, minimum).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Drawings


def _stroke(points: np.ndarray, closed: bool, base: float, rng: np.random.Generator,
            style: Style, free_ends: list[int] | None = None,
            junctions: list[tuple[int, float]] | None = None, smooth: bool = False) -> Stroke:
    pts = resample(points, closed)
    free = free_ends or []
    minimum = 1.0 if style.aa else base
    width = taper(len(pts), base, free if style.aa else [], rng, minimum)
    colour = (0.0, 0.0, 0.0)
    if style.colour_share and rng.random() < style.colour_share:
        colour = COLOURS[int(rng.integers(len(COLOURS)))]
    return Stroke(pts, width, closed, colour, smooth, list(junctions or []), list(free))


def drawing(rng: np.random.Generator, size: int, style: Style) -> list[Stroke]:
    """Closed contours, partitions (T-junctions at both ends), stems and hair strands leaving a
    contour (a T-junction and a free tip), L-corners, hatching and free curves."""
    def base() -> float:
        if style.aa:
            return float(rng.uniform(*style.widths))
        return 2.0 if rng.random() < style.two_px_share else 1.0

    width = base()  # one pen per drawing, as a person draws a layer
    strokes: list[Stroke] = []
    contours: list[Stroke] = []
    scale = size / 256.0
    for _ in range(int(rng.integers(2, 5))):
        c = rng.uniform(0.2, 0.8, 2) * size
        r = rng.uniform(*style.contour_radius) * size
        if rng.random() < 0.65:
            pts, smooth = blob(c, r, rng), True
        else:
            pts, smooth = polygon(c, r, rng), False
        s = _stroke(pts, True, width, rng, style, smooth=smooth)
        strokes.append(s)
        contours.append(s)

    def on_contour() -> tuple[Stroke, int]:
        s = contours[int(rng.integers(len(contours)))]
        return s, int(rng.integers(len(s.pts)))

    for _ in range(int(rng.integers(1, 4))):  # partitions across a contour
        s, i = on_contour()
        j = (i + int(len(s.pts) * rng.uniform(0.25, 0.6))) % len(s.pts)
        a, b = s.pts[i].astype(np.float64), s.pts[j].astype(np.float64)
        mid = (a + b) / 2 + rng.normal(0, 0.12, 2) * np.linalg.norm(b - a)
        hw = float(s.width[i]) / 2
        strokes.append(_stroke(smooth_path(np.stack([a, mid, b]), False), False, width, rng,
                               style, junctions=[(0, hw), (1, float(s.width[j]) / 2)],
                               smooth=True))

    for _ in range(int(rng.integers(2, 6))):  # stems and hair strands: T-junction + free tip
        s, i = on_contour()
        _, nrm = normals(s.pts, True)
        sign = 1.0 if rng.random() < 0.5 else -1.0
        n_strands = int(rng.integers(1, 4)) if rng.random() < 0.4 else 1
        length = rng.uniform(18, 55) * scale
        bend = rng.uniform(-0.5, 0.5)
        for k in range(n_strands):
            ii = (i + k * int(rng.integers(6, 10))) % len(s.pts)
            p0 = s.pts[ii].astype(np.float64)
            n0 = nrm[ii] * sign
            side = np.array([-n0[1], n0[0]])
            ctrl = np.stack([p0, p0 + n0 * length * 0.5 + side * bend * length * 0.3,
                             p0 + n0 * length + side * bend * length * 0.8])
            strokes.append(_stroke(smooth_path(ctrl, False), False, width, rng, style,
                                   free_ends=[1], junctions=[(0, float(s.width[ii]) / 2)]))

    for _ in range(int(rng.integers(0, 3))):  # L corners: two strokes from one point
        p = rng.uniform(0.15, 0.85, 2) * size
        a0 = rng.uniform(0, 2 * np.pi)
        a1 = a0 + rng.choice([-1, 1]) * rng.uniform(np.pi / 3, 2 * np.pi / 3)
        la, lb = rng.uniform(20, 60, 2) * scale
        arm_a = np.stack([p, p + la * np.array([np.cos(a0), np.sin(a0)])])
        arm_b = np.stack([p, p + lb * np.array([np.cos(a1), np.sin(a1)])])
        first = _stroke(arm_a, False, width, rng, style, free_ends=[1])
        strokes.append(first)
        strokes.append(_stroke(arm_b, False, width, rng, style, free_ends=[1],
                               junctions=[(0, float(first.width[0]) / 2)]))

    for _ in range(int(rng.integers(0, 3))):  # hatching: parallel strokes that never meet
        c = rng.uniform(0.15, 0.85, 2) * size
        ang = rng.uniform(0, np.pi)
        d = np.array([np.cos(ang), np.sin(ang)])
        nrm2 = np.array([-d[1], d[0]])
        low = max(6.0, 2.5 * width)
        gap = rng.uniform(low, 10.0 if low < 10.0 else low + 4.0)  # bold pens: room between
        for k in range(int(rng.integers(3, 8))):
            half = rng.uniform(6, 16) * scale
            q = c + nrm2 * gap * k + d * rng.uniform(-3, 3)
            strokes.append(_stroke(np.stack([q - d * half, q + d * half]), False, width, rng,
                                   style, free_ends=[0, 1]))

    for _ in range(int(rng.integers(0, 2))):  # a free curve across the drawing: X junctions
        ctrl = rng.uniform(-0.05, 1.05, (4, 2)) * size
        strokes.append(_stroke(smooth_path(ctrl, False), False, width, rng, style, smooth=True,
                               free_ends=[0, 1]))
    if style.overshoot:
        for s in strokes:
            overshoot(s, rng, style.overshoot, style.aa)
    if style.retrace:
        for s in list(strokes):
            if rng.random() < style.retrace:
                second = retrace(s, rng)
                if second is not None:
                    strokes.append(second)
    return strokes


def retrace(stroke: Stroke, rng: np.random.Generator, min_length: float = 40.0
            ) -> Stroke | None:
    """A second pass of the pencil over 25-70 px of the stroke, drifting up to 1-3.5 px to one
    side and back: a sketch's doubled line, leaving slits of paper inside it. It starts and ends
    on the stroke, so it has no free end and closes nothing; None for strokes too short."""
    if stroke.length < min_length:
        return None
    span = min(rng.uniform(25.0, 70.0), stroke.length - 10.0)
    n = len(stroke.pts)
    if stroke.closed:
        first = int(rng.integers(0, n))
    else:  # 5 px or more from either end of an open stroke
        first = int(rng.integers(5, max(6, int(stroke.length - span) - 4)))
    idx = first + np.arange(int(span) + 1)  # an open stroke's never reaches its last 5 px
    if stroke.closed:
        idx %= n
    if len(idx) < 20:
        return None
    _, nrm = normals(stroke.pts, stroke.closed)
    t = np.linspace(0.0, 1.0, len(idx))
    drift = rng.uniform(1.0, 3.5) * rng.choice([-1.0, 1.0]) * np.sin(np.pi * t) ** 0.8
    pts = stroke.pts[idx] + nrm[idx] * drift[:, None]
    width = (stroke.width[idx] * rng.uniform(0.6, 1.0)).clip(min=1.0)
    return Stroke(pts.astype(np.float32), width.astype(np.float32), False, stroke.colour)


def overshoot(stroke: Stroke, rng: np.random.Generator, share: float, aa: bool,
              reach: tuple[float, float] = OVERSHOOT) -> None:
    """Sketchy junctions: each end of the stroke that meets another stroke runs on past it, with
    probability `share`, by 3-10 px beyond that stroke's far edge, straight along its last few
    px, tapering when anti-aliased, as pencil strokes cross at corners instead of stopping on the
    line. The end becomes a free end (its tip lies in open paper) and no longer a junction."""
    for end, half in list(stroke.junctions):
        if rng.random() >= share or len(stroke.pts) < 4:
            continue
        pts = stroke.pts if end == 1 else stroke.pts[::-1]
        out = pts[-1] - pts[-4]
        out = out / max(float(np.hypot(*out)), 1e-6)
        run = half + rng.uniform(*reach)
        steps = np.arange(1, int(np.ceil(run)) + 1, dtype=np.float32)[:, None]
        extra = pts[-1] + steps * out[None, :].astype(np.float32)
        widths = stroke.width if end == 1 else stroke.width[::-1]
        more = np.full(len(extra), widths[-1], np.float32)
        if aa:
            k = len(more)
            more = np.maximum(more * np.linspace(1.0, 0.45, k) ** 0.7, 1.0).astype(np.float32)
        pts = np.vstack([pts, extra]).astype(np.float32)
        widths = np.concatenate([widths, more]).astype(np.float32)
        stroke.pts, stroke.width = (pts, widths) if end == 1 else (pts[::-1], widths[::-1])
        stroke.junctions.remove((end, half))
        stroke.free_ends.append(end)


# ---------------------------------------------------------------------------------------------
# Rendering


def removed_span(stroke: Stroke, a: float, b: float, scale: int) -> tuple[float, float]:
    """Arc span of the segments to remove so the visible break is [a, b]: the kept segments'
    round caps reach half their width into it (aliased 1 px lines: half a pixel)."""
    i0 = int(np.clip(np.floor(a), 0, len(stroke.width) - 1))
    i1 = int(np.clip(np.ceil(b), 0, len(stroke.width) - 1))
    cap = 0.5 if scale == 1 else 0.5 * float(max(stroke.width[i0], stroke.width[i1]))
    return a - cap, b + cap


def render(stroke: Stroke, size: int, aa: bool) -> Rendered | None:
    pad = int(np.ceil(float(stroke.width.max()))) + 3
    lo = np.floor(stroke.pts.min(0)).astype(int) - pad
    hi = np.ceil(stroke.pts.max(0)).astype(int) + pad + 1
    x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
    x1, y1 = min(size, int(hi[0])), min(size, int(hi[1]))
    if x1 <= x0 or y1 <= y0:
        return None
    origin = np.array([x0, y0], np.float32)
    n_seg = len(stroke.pts) if stroke.closed else len(stroke.pts) - 1

    def draw(scale: int, thick: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Full, kept and cut (gap id) masks; runs of segments with one thickness and one state
        go to cv2.polylines at once (it draws each segment as cv2.line would)."""
        h, w = (y1 - y0) * scale, (x1 - x0) * scale
        full = np.zeros((h, w), np.uint8)
        kept = np.zeros((h, w), np.uint8)
        cut = np.zeros((h, w), np.uint8)
        p = np.round((stroke.pts - origin + 0.5) * scale - 0.5).astype(np.int32)
        if len(p) == 1:
            cv2.circle(full, (int(p[0, 0]), int(p[0, 1])), max(1, int(thick[0]) // 2), 255, -1)
            kept[:] = full
            return full, kept, cut
        mid = np.arange(n_seg) + 0.5
        state = np.zeros(n_seg, np.int32)
        for a, b, gid in stroke.cuts:
            s0, s1 = removed_span(stroke, a, b, scale)
            state[(mid >= s0) & (mid <= s1) & (state == 0)] = gid
        idx = np.append(np.arange(n_seg), n_seg % len(p))  # point indices; wraps when closed
        key = thick.astype(np.int64) * 1000 + state
        breaks = np.flatnonzero(np.diff(key)) + 1
        for r0, r1 in zip(np.r_[0, breaks], np.r_[breaks, n_seg], strict=True):
            run = p[idx[r0 : r1 + 1]].reshape(-1, 1, 2)
            t, gid = int(thick[r0]), int(state[r0])
            cv2.polylines(full, [run], False, 255, t, cv2.LINE_8)
            if gid:
                cv2.polylines(cut, [run], False, gid, t, cv2.LINE_8)
            else:
                cv2.polylines(kept, [run], False, 255, t, cv2.LINE_8)
        return full, kept, cut

    seg_width = stroke.width[:n_seg] if n_seg else stroke.width[:1]
    removed: dict[int, np.ndarray] = {}
    if aa:
        s = SUPERSAMPLE
        full4, kept4, cut4 = draw(s, np.maximum(1, np.rint(seg_width * s)).astype(np.int32))
        shape = (x1 - x0, y1 - y0)
        full = cv2.resize(full4.astype(np.float32) / 255, shape, interpolation=cv2.INTER_AREA)
        kept = cv2.resize(kept4.astype(np.float32) / 255, shape, interpolation=cv2.INTER_AREA)
        core_full, core_kept, core_cut = draw(1, np.ones(len(seg_width), np.int32))
        full = np.maximum(full, CORE_LEVEL * (core_full > 0))
        kept = np.maximum(kept, CORE_LEVEL * (core_kept > 0))
        for _, _, gid in stroke.cuts:
            gone4 = ((cut4 == gid) & (kept4 == 0)).astype(np.float32)
            gone = cv2.resize(gone4, shape, interpolation=cv2.INTER_AREA) > 0
            removed[gid] = gone | ((core_cut == gid) & (core_kept == 0))
    else:
        full_b, kept_b, cut_b = draw(1, np.maximum(1, np.rint(seg_width)).astype(np.int32))
        full = (full_b > 0).astype(np.float32)
        kept = (kept_b > 0).astype(np.float32)
        for _, _, gid in stroke.cuts:
            removed[gid] = (cut_b == gid) & (kept_b == 0)
    return Rendered(y0, x0, full, kept, removed)


class Sheet:
    """Strokes with their renderings, composed into whole-image coverage maps."""

    def __init__(self, strokes: list[Stroke], size: int, aa: bool) -> None:
        self.strokes = strokes
        self.size = size
        self.aa = aa
        self.renders = [render(s, size, aa) for s in strokes]

    def rerender(self, i: int) -> None:
        self.renders[i] = render(self.strokes[i], self.size, self.aa)

    def coverage(self, which: str, skip: int | None = None) -> np.ndarray:
        out = np.zeros((self.size, self.size), np.float32)
        for i, r in enumerate(self.renders):
            if r is None or i == skip:
                continue
            win = (slice(r.y0, r.y0 + r.full.shape[0]), slice(r.x0, r.x0 + r.full.shape[1]))
            np.maximum(out[win], getattr(r, which), out=out[win])
        return out

    def drop(self, i: int) -> None:
        del self.strokes[i]
        del self.renders[i]


def _end_pixel(stroke: Stroke, end: int, target: np.ndarray) -> tuple[int, int] | None:
    """The last pixel of the stroke's target ink, walking in from the given end."""
    order = range(len(stroke.pts)) if end == 0 else range(len(stroke.pts) - 1, -1, -1)
    h, w = target.shape
    for k, i in enumerate(order):
        if k > 12:
            break
        x, y = int(round(float(stroke.pts[i, 0]))), int(round(float(stroke.pts[i, 1])))
        if 0 <= y < h and 0 <= x < w and target[y, x]:
            return y, x
    return None


def _geodesic(mask: np.ndarray, seed: tuple[int, int], steps: int) -> np.ndarray:
    reached = np.zeros(mask.shape, np.uint8)
    reached[seed] = 1
    inside = mask.astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(steps):
        grown = np.asarray(cv2.dilate(reached, kernel), np.uint8) & inside
        if np.array_equal(grown, reached):
            break
        reached = grown
    return reached.astype(bool)


def near_miss(stroke: Stroke, target: np.ndarray, radius: float = NEAR_MISS) -> bool:
    """Whether a free end of the stroke comes within `radius` of ink it does not reach along
    itself: a break of a few px that a person would want closed, i.e. an unlabelled gap."""
    h, w = target.shape
    reach = int(np.ceil(radius)) + 14
    for end in stroke.free_ends:
        px = _end_pixel(stroke, end, target)
        if px is None:
            continue
        y, x = px
        y0, x0 = max(0, y - reach), max(0, x - reach)
        local = target[y0 : y + reach + 1, x0 : x + reach + 1]
        own = _geodesic(local, (y - y0, x - x0), reach)
        ys, xs = np.nonzero(local & ~own)
        if len(ys) and float(np.min((ys + y0 - y) ** 2 + (xs + x0 - x) ** 2)) <= radius**2:
            return True
    return False


def clean_drawing(sheet: Sheet) -> None:
    """Drop strokes whose free ends nearly touch other ink (or leave the canvas nearly so)."""
    for _ in range(len(sheet.strokes)):
        target = sheet.coverage("full") >= TARGET_LEVEL
        bad = [i for i, s in enumerate(sheet.strokes) if s.free_ends and near_miss(s, target)]
        if not bad:
            return
        sheet.drop(bad[-1])


# ---------------------------------------------------------------------------------------------
# Cuts


def _gap_is_open(sheet: Sheet, labels: np.ndarray, lengths: list[float]) -> bool:
    kept = sheet.coverage("kept") >= 0.5
    target = (sheet.coverage("full") >= TARGET_LEVEL).astype(np.float32)
    result = gap_closure(kept, target, labels, np.asarray(lengths, np.float32))
    return len(result) == len(lengths) and not any(ok for _, ok in result)


@dataclass
class Cutter:
    sheet: Sheet
    labels: np.ndarray
    lengths: list[float] = field(default_factory=list)
    taken: np.ndarray | None = None

    def try_cut(self, i: int, a: float, b: float, length: float) -> bool:
        """Cut stroke i over visible arc [a, b]; keep it only if it is a measurable open break
        that leaves the other cuts as they were."""
        if len(self.lengths) >= MAX_GAPS:
            return False
        stroke = self.sheet.strokes[i]
        size = self.sheet.size
        mid = stroke.pts[int(np.clip(round((a + b) / 2), 0, len(stroke.pts) - 1))]
        if not (BORDER <= mid[0] < size - BORDER and BORDER <= mid[1] < size - BORDER):
            return False
        if any(_arc_gap(stroke, a, b, a2, b2) < END_MARGIN for a2, b2, _ in stroke.cuts):
            return False  # the piece between two cuts would be too short to read as a line
        gid = len(self.lengths) + 1
        before = self.sheet.renders[i]
        stroke.cuts.append((a, b, gid))
        self.sheet.rerender(i)
        r = self.sheet.renders[i]
        ok = r is not None and gid in r.removed
        if ok and r is not None:
            mask = np.zeros_like(self.labels, bool)
            mask[r.y0 : r.y0 + r.full.shape[0], r.x0 : r.x0 + r.full.shape[1]] = r.removed[gid]
            target = self.sheet.coverage("full") >= TARGET_LEVEL
            kept = self.sheet.coverage("kept")
            mask &= target & (kept < 0.5)
            mask = bridging(mask, kept >= 0.5)
            if self.taken is None:
                self.taken = np.zeros_like(self.labels, bool)
            ok = bool(mask.any()) and not (mask & self.taken).any()
            if ok:
                labels = self.labels.copy()
                labels[mask] = gid
                ok = _gap_is_open(self.sheet, labels, [*self.lengths, length])
            if ok:
                self.labels[mask] = gid
                self.lengths.append(length)
                grow = np.ones((2 * SPACING + 1,) * 2, np.uint8)
                self.taken |= cv2.dilate(mask.astype(np.uint8), grow) > 0
                return True
        stroke.cuts.pop()
        self.sheet.renders[i] = before
        return False


def _arc_gap(stroke: Stroke, a: float, b: float, a2: float, b2: float) -> float:
    """Arc distance between the intervals [a, b] and [a2, b2] of a stroke (around a closed one)."""
    shifts = (-stroke.length, 0.0, stroke.length) if stroke.closed else (0.0,)
    return min(max(a2 + d - b, a - b2 - d) for d in shifts)


def bridging(mask: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """The 8-connected parts of a cut that join two lines (`stray_pixels`' rule). A cut near a
    crossing also nicks the corner beside the other stroke; filling that nick joins nothing, so
    it is no pixel that must be closed (and an exact fill must not count as stray)."""
    if not mask.any():
        return mask
    return mask & joining_strokes(line_pieces(lines), mask.astype(bool), WINDOW_MARGIN)


def _gap_length(rng: np.random.Generator, lo: float, hi: float, bias: float = 1.3) -> float:
    return float(np.round(lo + (hi - lo) * rng.beta(1.0, bias)))


def cut_along(cutter: Cutter, rng: np.random.Generator, n: int,
              length: Callable[[], float], smooth_only: bool = False,
              min_stroke: float = 20.0) -> None:
    strokes = cutter.sheet.strokes
    tries = 0
    done = 0
    while done < n and tries < n * 12:
        tries += 1
        g = length()
        eligible = [i for i, s in enumerate(strokes)
                    if s.length >= max(min_stroke, g + 16) and (s.smooth or not smooth_only)]
        if not eligible:
            return
        weights = np.array([strokes[i].length for i in eligible])
        i = eligible[int(rng.choice(len(eligible), p=weights / weights.sum()))]
        s = strokes[i]
        margin = 0.0 if s.closed else END_MARGIN
        lo, hi = margin + g / 2, s.length - margin - g / 2
        if hi <= lo:
            continue
        c = float(rng.uniform(lo, hi))
        if s.closed and (c - g / 2 < 3 or c + g / 2 > s.length - 3):
            continue  # keep clear of where a closed stroke's ends overlap
        if cutter.try_cut(i, c - g / 2, c + g / 2, g):
            done += 1


def cut_junctions(cutter: Cutter, rng: np.random.Generator, n: int) -> None:
    strokes = cutter.sheet.strokes
    ends = [(i, end, hw) for i, s in enumerate(strokes) for end, hw in s.junctions]
    rng.shuffle(ends)
    done = 0
    for i, end, hw in ends:
        if done >= n:
            return
        g = float(rng.integers(2, 4))
        s = strokes[i]
        reach = hw + g
        if s.length < reach + 12:
            continue
        a, b = (-4.0, reach) if end == 0 else (s.length - reach, s.length + 4.0)
        if cutter.try_cut(i, a, b, g):
            done += 1


def cut_dashes(cutter: Cutter, rng: np.random.Generator, strokes_n: int) -> None:
    strokes = cutter.sheet.strokes
    order = sorted(range(len(strokes)), key=lambda i: -strokes[i].length)[: strokes_n * 3]
    rng.shuffle(order)
    used = 0
    for i in order:
        if used >= strokes_n:
            return
        s = strokes[i]
        if s.length < 60:
            continue
        breaks = int(rng.integers(2, 11))
        pos = float(rng.uniform(END_MARGIN, END_MARGIN + 12))
        made = 0
        while made < breaks and pos < s.length - END_MARGIN:
            g = float(rng.integers(1, 9))
            if cutter.try_cut(i, pos, pos + g, g):
                made += 1
            pos += g + float(rng.uniform(END_MARGIN, 26))  # dashes long enough to be lines
        used += made >= 2


# ---------------------------------------------------------------------------------------------
# Pictures


def paper(rng: np.random.Generator, size: int, kind: str) -> np.ndarray:
    """(H, W, 3) float RGB paper."""
    img = np.ones((size, size, 3), np.float32)
    if kind == "white":
        return img
    tone = rng.uniform(0.78, 0.95)
    tint = np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.9, 1.0)], np.float32)
    img *= tone * tint
    if kind == "textured":
        grain = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), 0.8)
        img *= (1 + 0.035 * grain / (grain.std() + 1e-6))[..., None]
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
        ang = rng.uniform(0, 2 * np.pi)
        slope = np.clip(2 * (np.cos(ang) * (xx - 0.5) + np.sin(ang) * (yy - 0.5)), -1, 1)
        light = 1 - rng.uniform(0.08, 0.2) * (0.5 + 0.5 * slope)
        img *= light[..., None]
    return np.clip(img, 0, 1)


def pencil_grain(rng: np.random.Generator, size: int) -> np.ndarray:
    noise = cv2.GaussianBlur(rng.random((size, size)).astype(np.float32), (0, 0), 0.6)
    noise = (noise - noise.min()) / (np.ptp(noise) + 1e-6)
    return TEXTURE_FLOOR + (1 - TEXTURE_FLOOR) * noise


def compose(sheet: Sheet, rng: np.random.Generator, style: Style) -> np.ndarray:
    """(H, W, 3) float RGB: the strokes on paper. Each pixel takes the darkest stroke over it
    per channel ("darken"), so a crossing is no darker than its lines: the lines' darkness is
    the category's."""
    size = sheet.size
    img = paper(rng, size, style.paper)
    grain = pencil_grain(rng, size)  # drawn always, so "black" keeps faint20's random stream
    darkness = float(rng.uniform(*style.darkness))
    shade = np.ones((size, size, 3), np.float32)
    for s, r in zip(sheet.strokes, sheet.renders, strict=True):
        if r is None:
            continue
        win = (slice(r.y0, r.y0 + r.kept.shape[0]), slice(r.x0, r.x0 + r.kept.shape[1]))
        alpha = r.kept * grain[win] if style.pencil else r.kept
        colour = np.asarray(s.colour, np.float32)
        # Colour lines keep their colour: their darkness is the colour's.
        tone = colour if colour.any() else np.full(3, 1.0 - darkness, np.float32)
        np.minimum(shade[win], 1 - alpha[..., None] * (1 - tone), out=shade[win])
    if style.hairline is not None:
        _hairlines(sheet, shade, float(rng.uniform(*style.hairline)),
                   rng if style.dotted else None, style.dot_length, style.dot_space,
                   style.hair_width)
    out = img * shade
    if style.binarise:
        out = np.where(out.mean(axis=2, keepdims=True) <= 0.5, 0.0, 1.0).astype(np.float32)
        out = np.repeat(out, 3, axis=2)
    return out


def _hairlines(sheet: Sheet, shade: np.ndarray, darkness: float,
               dots: np.random.Generator | None, dot_length: tuple[float, float],
               dot_space: tuple[float, float], width: int = SUPERSAMPLE) -> None:
    """Draw every cut stretch of the sheet's strokes onto `shade` (in place) as an anti-aliased
    hairline `width` / SUPERSAMPLE px wide and `darkness` dark, along the stroke's own path;
    with `dots` (a random stream), as dots `dot_length` px long, `dot_space` px apart (each at
    random in its range)."""
    s = SUPERSAMPLE
    size = sheet.size
    hair = np.zeros((size * s, size * s), np.uint8)
    for stroke in sheet.strokes:
        n = len(stroke.pts)
        for a, b, _ in stroke.cuts:
            idx = np.arange(int(np.floor(a)) - 1, int(np.ceil(b)) + 2)
            idx = idx % n if stroke.closed else idx[(idx >= 0) & (idx < n)]
            if len(idx) < 2:
                continue
            run = np.round((stroke.pts[idx] + 0.5) * s - 0.5).astype(np.int32).reshape(-1, 1, 2)
            if dots is None:
                cv2.polylines(hair, [run], False, 255, width, cv2.LINE_8)
                continue
            # The points are about 1 px apart: a dot is a few of them, then a space.
            at, on = 0, True
            while at < len(run) - 1:
                span = int(round(dots.uniform(*(dot_length if on else dot_space))))
                if on:
                    cv2.polylines(hair, [run[at : at + max(span, 1) + 1]], False, 255, width,
                                  cv2.LINE_8)
                at += max(span, 1)
                on = not on
    cover = cv2.resize(hair.astype(np.float32) / 255, (size, size), interpolation=cv2.INTER_AREA)
    np.minimum(shade, 1 - darkness * cover[..., None], out=shade)


def add_specks(img: np.ndarray, target: np.ndarray, labels: np.ndarray,
               rng: np.random.Generator, count: int) -> np.ndarray:
    """Dust (1-3.5 px dots) and short scratches (3-6 px) 3-9 px from lines and gaps, never
    touching either; returns the speck coverage. Each is under metrics.STRAY_MIN_PIECE px."""
    size = target.shape[0]
    s, r = SUPERSAMPLE, 7  # each speck is drawn at 4x in a (2r+1) px patch around its centre
    specks = np.zeros(target.shape, np.float32)
    dist = cv2.distanceTransform((~target).astype(np.uint8), cv2.DIST_L2, 3)
    keep_off = cv2.dilate((target | (labels > 0)).astype(np.uint8), np.ones((5, 5), np.uint8))
    ring = np.argwhere((dist >= 3) & (dist <= 9))
    gap_px = np.argwhere(labels > 0)
    if len(ring) == 0:
        return specks
    for _ in range(count):
        if len(gap_px) and rng.random() < 0.4:
            y, x = gap_px[int(rng.integers(len(gap_px)))]
            ang = rng.uniform(0, 2 * np.pi)
            d = rng.uniform(3, 8)
            y, x = y + d * np.sin(ang), x + d * np.cos(ang)
        else:
            y, x = ring[int(rng.integers(len(ring)))]
        py, px = int(np.floor(y)) - r, int(np.floor(x)) - r  # patch origin, whole pixels
        cx, cy = int((x - px + 0.5) * s), int((y - py + 0.5) * s)
        one = np.zeros(((2 * r + 1) * s,) * 2, np.uint8)
        if rng.random() < 0.7:
            cv2.circle(one, (cx, cy), max(2, int(rng.uniform(0.5, 1.75) * s)), 255, -1)
        else:
            a = rng.uniform(0, np.pi)
            half = rng.uniform(1.5, 3.0) * s
            p0 = (int(cx - np.cos(a) * half), int(cy - np.sin(a) * half))
            p1 = (int(cx + np.cos(a) * half), int(cy + np.sin(a) * half))
            cv2.line(one, p0, p1, 255, int(rng.uniform(0.8, 1.6) * s))
        cov = cv2.resize(one.astype(np.float32) / 255, (2 * r + 1, 2 * r + 1),
                         interpolation=cv2.INTER_AREA)
        ys, xs = slice(max(0, py), min(size, py + 2 * r + 1)), slice(max(0, px),
                                                                      min(size, px + 2 * r + 1))
        local = cov[ys.start - py : ys.stop - py, xs.start - px : xs.stop - px]
        if local.sum() < cov.sum() - 1e-3 or (local[keep_off[ys, xs] > 0] > 0).any():
            continue  # off the crop, or touching a line or a gap
        np.maximum(specks[ys, xs], local, out=specks[ys, xs])
    level = rng.uniform(0.6, 1.0)
    img *= (1 - specks * level)[..., None]
    return specks


SHADING_KINDS = ("stipple", "screentone", "hatching", "crosshatching")


def _shading_marks(rng: np.random.Generator, size: int, kind: str, centre: np.ndarray,
                   radius: float) -> np.ndarray:
    """(H, W) float coverage of one shading texture around `centre` (x, y), drawn at
    SUPERSAMPLE x and area-averaged: stipple (random dots), screentone (a rotated grid of dots),
    hatching (short parallel strokes) or cross-hatching (two sets of them)."""
    s = SUPERSAMPLE
    big = np.zeros((size * s, size * s), np.uint8)
    if kind == "stipple":
        n = int(size * size * rng.uniform(0.03, 0.12))
        centres = rng.uniform(0, size, (n, 2))
        radii = rng.uniform(0.4, 1.1, n)
        for (x, y), r in zip(centres, radii, strict=True):
            cv2.circle(big, (int(x * s), int(y * s)), max(1, int(r * s)), 255, -1)
    elif kind == "screentone":
        pitch = rng.uniform(3.5, 7.0)
        ang = rng.uniform(0, np.pi / 2)
        dot = rng.uniform(0.25, 0.42) * pitch
        u = np.array([np.cos(ang), np.sin(ang)]) * pitch
        v = np.array([-u[1], u[0]])
        k = int(2 * size / pitch) + 2
        ii, jj = np.mgrid[-k:k, -k:k]
        pts = ii.reshape(-1, 1) * u + jj.reshape(-1, 1) * v + size / 2
        inside = (pts >= -2).all(1) & (pts < size + 2).all(1)
        for x, y in pts[inside]:
            cv2.circle(big, (int(x * s), int(y * s)), max(1, int(dot * s)), 255, -1)
    else:
        sets = 2 if kind == "crosshatching" else 1
        ang0 = rng.uniform(0, np.pi)
        for k in range(sets):
            ang = ang0 + k * rng.uniform(np.pi / 4, np.pi / 2)
            d = np.array([np.cos(ang), np.sin(ang)])
            nrm = np.array([-d[1], d[0]])
            spacing = rng.uniform(3.0, 6.0)
            width = max(1, int(rng.uniform(0.7, 1.4) * s))
            # One stroke per hatching line, placed anywhere along it: never two in a row with a
            # short break between them (that would be a dashed line, whose breaks are gaps).
            for off in np.arange(-radius, radius, spacing):
                length = rng.uniform(10, 45)
                tilt = ang + rng.normal(0, 0.05)
                e = np.array([np.cos(tilt), np.sin(tilt)])
                c = centre + nrm * (off + rng.normal(0, 0.3)) + d * rng.uniform(-radius, radius)
                p0, p1 = (c - e * length / 2) * s, (c + e * length / 2) * s
                cv2.line(big, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), 255, width)
    return cv2.resize(big.astype(np.float32) / 255, (size, size), interpolation=cv2.INTER_AREA)


def add_shading(img: np.ndarray, target: np.ndarray, labels: np.ndarray,
                rng: np.random.Generator, count: int) -> np.ndarray:
    """Shaded patches (stipple, screentone, hatching, cross-hatching: manga tones, pencil and
    pen shading) in the paper between lines, kept 2.5 px off the lines and 4.5 px off the gaps
    so the breaks stay the ones labelled; returns their coverage. A person closes nothing in a
    texture: every bridge into or across one is a false addition."""
    size = target.shape[0]
    marks = np.zeros(target.shape, np.float32)
    line_dist = cv2.distanceTransform((~target).astype(np.uint8), cv2.DIST_L2, 3)
    gap_dist = cv2.distanceTransform((labels == 0).astype(np.uint8), cv2.DIST_L2, 3)
    allowed = (line_dist >= 2.5) & (gap_dist >= 4.5)
    # Shading lies against the lines, inside shapes, and often right next to a break.
    beside = np.argwhere((line_dist >= 4) & (line_dist <= 14))
    near_gap = np.argwhere((line_dist >= 4) & (gap_dist <= 14))
    if len(beside) == 0:
        return marks
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    for _ in range(count):
        pool = near_gap if len(near_gap) and rng.random() < 0.4 else beside
        y, x = pool[int(rng.integers(len(pool)))]
        ry, rx = rng.uniform(14, 50, 2) * size / 256
        ang = rng.uniform(0, np.pi)
        dy, dx = yy - y, xx - x
        u = (dx * np.cos(ang) + dy * np.sin(ang)) / rx
        v = (-dx * np.sin(ang) + dy * np.cos(ang)) / ry
        region = (u * u + v * v <= 1.0) & allowed
        texture = _shading_marks(rng, size, str(rng.choice(SHADING_KINDS)),
                                 np.array([x, y], np.float64), float(max(rx, ry)))
        np.maximum(marks, np.where(region, texture, 0.0), out=marks)
    level = rng.uniform(0.55, 1.0)
    img *= (1 - marks * level)[..., None]
    return marks


def jpeg(img_rgb8: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img_rgb8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("cv2 could not encode a JPEG")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("cv2 could not decode its own JPEG")
    return np.asarray(decoded)[..., ::-1]


# ---------------------------------------------------------------------------------------------
# Categories


def _style(category: str, rng: np.random.Generator) -> Style:
    if category.startswith("faint"):
        d = int(category[5:]) / 100
        return Style(widths=(1.2, 3.0), darkness=(d - 0.03, d + 0.03), pencil=True)
    if category == "black":
        return Style(widths=(1.2, 3.0))
    if category == "binary1px":
        return Style(aa=False, two_px_share=0.0)
    if category == "junction":
        return Style(aa=False, two_px_share=0.3)
    if category == "dashed":
        return Style(widths=(1.2, 3.0), pencil=bool(rng.random() < 0.3))
    if category == "long":  # large smooth contours: room for 17-48 px breaks
        return Style(widths=(1.2, 3.0), pencil=bool(rng.random() < 0.3),
                     contour_radius=(0.25, 0.42))
    if category == "specks":
        return Style(widths=(1.2, 3.0), specks=int(rng.integers(12, 30)))
    if category == "colour":
        return Style(widths=(1.2, 3.0), colour_share=0.7)
    if category == "shading":
        return Style(widths=(1.2, 3.0), pencil=bool(rng.random() < 0.3),
                     paper=str(rng.choice(["white", "grey"], p=[0.7, 0.3])),
                     shading=int(rng.integers(2, 5)))
    if category == "hairline":  # contours partly drawn as faint hairlines (stop 33)
        return Style(widths=(1.2, 3.0), hairline=(0.2, 0.4))
    if category == "dotted":  # contours partly drawn as dotted lines, the pen skipping (stop 41)
        return Style(widths=(1.2, 3.0), hairline=(0.3, 0.8), dotted=True)
    if category == "sparse":  # contours partly drawn as sparse dashes (art4apps, stop 43)
        return Style(widths=(1.2, 3.0), hairline=(0.4, 1.0), dotted=True,
                     dot_length=(2.0, 6.0), dot_space=(3.0, 8.0))
    if category == "fading":  # contours partly thinned to an almost invisible hairline (stop 43)
        return Style(widths=(1.2, 3.0), hairline=(0.06, 0.2))
    if category == "binarised":  # contours partly thinned to half a px, then 1-bit (stop 54)
        return Style(widths=(1.2, 3.0), hairline=(1.0, 1.0), hair_width=SUPERSAMPLE // 2,
                     binarise=True)
    if category == "bold":  # brush and marker inks, children's colouring pages (stop 64)
        return Style(widths=(4.5, 10.0))
    if category == "sketchy":  # pencil sketches and rough key frames: strokes cross at junctions
        return Style(widths=(1.2, 3.0), pencil=bool(rng.random() < 0.5), overshoot=0.8,
                     retrace=0.5)
    if category in ("jpeg", "gapfree"):
        kind = str(rng.choice(["faint40", "faint60", "binary1px", "colour", "black", "specks"]))
        if category == "gapfree":
            kind = str(rng.choice(["faint20", "faint40", "faint60", "binary1px", "junction",
                                   "colour", "black"]))
        base = (Style(widths=(1.2, 3.5)) if kind == "black" else _style(kind, rng))
        paper_kind = str(rng.choice(["white", "grey", "textured"], p=[0.3, 0.3, 0.4]))
        quality = (30, 70) if category == "jpeg" or rng.random() < 0.3 else None
        if category == "gapfree":
            base = replace(base, specks=0)
            if quality is None:
                paper_kind = "white"
        return replace(base, paper=paper_kind, jpeg=quality)
    raise ValueError(f"unknown category {category!r}; choose from {', '.join(CATEGORIES)}")


def _cuts(category: str, cutter: Cutter, rng: np.random.Generator) -> None:
    def short() -> float:
        return _gap_length(rng, 1, 16)

    if category == "gapfree":
        return
    if category == "binary1px":
        cut_along(cutter, rng, int(rng.integers(4, 10)),
                  lambda: float(rng.integers(1, 4)) if rng.random() < 0.85
                  else float(rng.integers(4, 9)))
    elif category == "junction":
        cut_junctions(cutter, rng, int(rng.integers(3, 9)))
    elif category == "dashed":
        cut_dashes(cutter, rng, int(rng.integers(1, 4)))
    elif category in ("hairline", "dotted", "binarised"):
        cut_along(cutter, rng, int(rng.integers(3, 8)), lambda: _gap_length(rng, 6, 40))
    elif category in ("sparse", "fading"):
        cut_along(cutter, rng, int(rng.integers(3, 8)), lambda: _gap_length(rng, 12, 48))
    elif category == "bold":  # breaks up to about the strokes' width, and a little beyond
        cut_along(cutter, rng, int(rng.integers(3, 7)), lambda: _gap_length(rng, 2, 20))
    elif category == "long":
        cut_along(cutter, rng, int(rng.integers(2, 5)),
                  lambda: float(rng.integers(17, 49)) if rng.random() < 0.8
                  else float(rng.integers(9, 17)), smooth_only=True, min_stroke=60)
    else:
        cut_along(cutter, rng, int(rng.integers(4, 10)), short)


def picture(sheet: Sheet, target: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
            style: Style) -> tuple[np.ndarray, np.ndarray]:
    """(RGB uint8 picture, speck coverage) of a cut drawing: strokes, specks, JPEG."""
    size = sheet.size
    img = compose(sheet, rng, style)
    specks = np.zeros((size, size), np.float32)
    if style.specks:
        specks = add_specks(img, target, labels, rng, round(style.specks * size * size / 256**2))
    if style.shading:
        shaded = add_shading(img, target, labels, rng,
                             max(1, round(style.shading * size * size / 256**2)))
        np.maximum(specks, shaded, out=specks)
    rgb = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
    if style.jpeg is not None:
        rgb = jpeg(rgb, int(rng.integers(style.jpeg[0], style.jpeg[1] + 1)))
    return rgb, specks


def same_pieces(rgb: np.ndarray, target: np.ndarray) -> bool:
    """Whether the picture's lines (as the benchmark reads them) keep the target's pieces."""
    lines = line_map(ink_from_image(np.ascontiguousarray(rgb[..., ::-1])))
    n_target = cv2.connectedComponents(target.astype(np.uint8), connectivity=8)[0]
    n_seen = cv2.connectedComponents((target & lines).astype(np.uint8), connectivity=8)[0]
    return n_seen == n_target


def as_seen(ink: np.ndarray, target: np.ndarray, labels: np.ndarray,
            lengths: list[float]) -> tuple[np.ndarray, list[float]]:
    """The cuts that are still open breaks in the finished picture, as the benchmark reads it
    (`line_map`), and that filling exactly their pixels closes; renumbered 1..G. JPEG can fill a
    short cut with artefacts, and a faint piece can fade below reading; such cuts are dropped."""
    lines = line_map(ink)
    out = np.zeros_like(labels)
    kept: list[float] = []
    for k, length in enumerate(lengths, start=1):
        cut = labels == k
        if not cut.any():
            continue
        # This gap alone: the other cuts are missing ink, neither target nor gap here.
        t = (target & ~((labels > 0) & ~cut)).astype(np.float32)
        one = cut.astype(np.uint8)
        size = np.array([length], np.float32)
        before = gap_closure(lines, t, one, size)
        after = gap_closure(lines | cut, t, one, size)
        if len(before) == 1 and not before[0][1] and len(after) == 1 and after[0][1]:
            kept.append(length)
            out[cut] = len(kept)
    return out, kept


def one_drawing(category: str, rng: np.random.Generator, size: int,
                extras: bool = False) -> dict[str, np.ndarray]:
    """One drawing's arrays; `extras` adds "specks" (float coverage of the dust and scratches)
    and "clean" (float coverage of the drawing with its cuts, before colour, grain and JPEG)."""
    style = _style(category, rng)
    sheet = Sheet(drawing(rng, size, style), size, style.aa)
    clean_drawing(sheet)
    labels = np.zeros((size, size), np.uint8)
    cutter = Cutter(sheet, labels)
    _cuts(category, cutter, rng)
    target = sheet.coverage("full") >= TARGET_LEVEL
    rgb, specks = picture(sheet, target, labels, rng, style)
    if category == "gapfree" and not same_pieces(rgb, target):
        # Paper grain and JPEG broke a faint line: that drawing is not gap-free any more; it is
        # shown on white paper instead.
        rgb, specks = picture(sheet, target, labels, rng, replace(style, paper="white", jpeg=None))
    ink = ink_from_image(np.ascontiguousarray(rgb[..., ::-1]))
    labels, kept_lengths = as_seen(ink, target, labels, cutter.lengths)
    lengths = np.zeros(MAX_GAPS, np.float32)
    lengths[: len(kept_lengths)] = kept_lengths
    out = {
        "ink": np.clip(np.rint(ink * 255), 0, 255).astype(np.uint8),
        "target": (target * 255).astype(np.uint8),
        "gap_labels": labels,
        "gap_lengths": lengths,
        "rgb": rgb,
    }
    if extras:
        out["specks"] = specks
        out["clean"] = sheet.coverage("kept")
    return out


def drawing_rng(category: str, seed: int, i: int) -> np.random.Generator:
    """The random stream of drawing i of a category ("black" shares faint20's)."""
    return np.random.default_rng([seed, CATEGORIES.index(TWIN.get(category, category)), i, 1009])


def make_category(category: str, n: int, seed: int, size: int = 256) -> dict[str, np.ndarray]:
    """n drawings of one category; drawing i depends only on (seed, category, i)."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; choose from {', '.join(CATEGORIES)}")
    if n < 0 or size < 64:
        raise ValueError(f"need n >= 0 and size >= 64, got n={n}, size={size}")
    items = [one_drawing(category, drawing_rng(category, seed, i), size) for i in range(n)]
    empty = {"ink": np.zeros((0, size, size), np.uint8), "target": np.zeros((0, size, size),
             np.uint8), "gap_labels": np.zeros((0, size, size), np.uint8),
             "gap_lengths": np.zeros((0, MAX_GAPS), np.float32),
             "rgb": np.zeros((0, size, size, 3), np.uint8)}
    out = {key: np.stack([it[key] for it in items]) if items else value
           for key, value in empty.items()}
    out["kind"] = np.array([category] * n, dtype=str)
    return out
