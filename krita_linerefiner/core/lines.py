"""Line-darkness normalisation: faint, pencil and coloured lines on any paper become full ink.

Every later step (refinement, stroke ends, the gap verifier) reads ink >= 0.5 as line. A pencil
line drawn at 20% darkness, or a line on grey paper, never gets there on its own, so the ink is
mapped first: the paper level is estimated locally (uneven scans, grey or textured paper) and
subtracted, then the ink is divided by how dark the lines are. Paper grain and JPEG noise stay
below the line level because the noise of the paper is estimated and removed with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .errors import LineRefinerError

# The paper estimate works on a downscaled copy: a grey opening there removes lines up to
# about PAPER_SCALE * PAPER_KERNEL px wide, far wider than any line, and costs little.
PAPER_SCALE = 4
PAPER_KERNEL = 9
# A local paper level above this is a solid fill (hair, shadows), not paper: it stays ink.
MAX_PAPER = 0.4
# A fainter solid fill (hair or a shadow shaded in pencil, a grey-marker area drawn with the
# lines) is ink too where it is at least FILL_SHARE of the lines' darkness above the paper and
# stands against clean paper (at most half that) within FILL_EDGE_PX px of the downscaled map
# along at least FILL_EDGE of its rim. Taken for paper, its grain read as a field of specks that
# gap closing bridged across the paper beside it. Grey paper, an uneven scan's shading and light
# flat colours under dark lines rise slowly or stay below the share, and stay paper.
FILL_SHARE = 0.5
FILL_EDGE = 0.5
FILL_EDGE_PX = 2
FILL_LINES = 0.05
# Paper noise above this share of the lines' darkness: the ink is also read smoothed
# (NOISY_SIGMA px), and a pixel is ink in either reading.
NOISY = 0.06
NOISY_SIGMA = 0.5
# Lines are at least this dark once the paper is removed, whatever the noise.
MIN_LINE_LEVEL = 0.04
NOISE_SIGMAS = 4.0
# Percentile of the ridge values (the darkest pixel across each line) taken as the line
# darkness: high enough that dust and paper texture below it do not lower it, low enough that a
# few black specks on a pencil drawing do not raise it.
RIDGE_PERCENTILE = 70.0
# A line at the estimated darkness maps to ink 1 / LINE_GAIN_MARGIN > 1 (clipped to 1), so the
# lighter parts of a textured pencil stroke still read as line.
LINE_GAIN_MARGIN = 0.8
MAX_SAMPLES = 200_000
# Lines at least this dark on clean paper already read as line: left as they are.
DARK_LINES = 0.75
# A drawing whose typical line is at least MID_LINES dark and even (the 30th percentile of its
# ridge values at least EVEN_LINES of the 70th: coloured ink, a grey marker) has no pencil
# texture to make up for: its lines are divided by their own darkness, and the margin is kept
# for ink well below it (DARK_LINES of it: soft edges, faint marks), as on a black drawing.
# With the margin, red and blue lines on the real sets read a fraction of a pixel wider than
# black ones, and were bridged more (stop 33).
MID_LINES = 0.5
EVEN_LINES = 0.97
RELATIVE_LEVEL = 0.7
# A pixel at least OWN_LINE_NEAR of the darkest ink next to it (within 1 px) and OWN_LINE_PEAK
# of the darkest within the level window is on a line of its own: it is scaled by that line's
# darkness, not by a darker line 2 px away. A light line then reaches to 1 px of the black line
# it meets (benchmarks.metrics.line_map's rule), where a 5 px window broke it 2 px short; the
# soft edge of a black line and the JPEG ringing beside it are far below half of it.
OWN_LINE_NEAR = 0.5
OWN_LINE_PEAK = 0.25
LOCAL_SNR = 4.0
FLOOR_SIGMAS = 3.0
# Full-size work runs in strips of this many rows, so a page (200 MB a float map) needs only
# its input, the paper estimate (which becomes the output) and strip-sized temporaries.
STRIP_ROWS = 256


@dataclass(frozen=True)
class LineLevels:
    paper: float  # median paper ink level, 0 for white paper
    darkness: float  # how much darker than paper the lines are (0..1), 0 when there are none
    noise: float  # standard deviation of the paper
    gain: float  # what the ink above paper is multiplied by
    # The 30th percentile of the ridge values over the 70th: 1 for lines of one darkness
    # (ink), lower for textured pencil.
    evenness: float = 1.0

    @property
    def darkest_percent(self) -> int:
        return round(100 * self.darkness)


def _downscaled(ink: np.ndarray) -> np.ndarray:
    h, w = ink.shape
    small_w, small_h = max(1, w // PAPER_SCALE), max(1, h // PAPER_SCALE)
    return cv2.resize(ink, (small_w, small_h), interpolation=cv2.INTER_AREA)


def _opened(small: np.ndarray) -> np.ndarray:
    """The downscaled ink (`_downscaled`) with every line opened away: paper and fills."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (PAPER_KERNEL, PAPER_KERNEL))
    return cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)


def _paper_level(ink: np.ndarray, opened: np.ndarray | None = None,
                 fills: np.ndarray | None = None) -> np.ndarray:
    """The paper's ink level at full size; `fills` (on the opened map) are ink, not paper."""
    h, w = ink.shape
    paper = _opened(_downscaled(ink)) if opened is None else opened
    if fills is not None and fills.any():  # before the blur, so no fill's level spreads out
        paper = paper.copy()
        paper[fills] = float(np.median(paper[~fills])) if (~fills).any() else 0.0
    paper = cv2.GaussianBlur(paper, (0, 0), PAPER_KERNEL / 2)
    # Solid fills are ink, not paper: where the opening found something darker than any paper,
    # fall back to the paper level of the whole drawing.
    fill = paper > MAX_PAPER
    if fill.any():
        paper[fill] = float(np.median(paper[~fill])) if (~fill).any() else 0.0
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


def _above_paper(ink: np.ndarray, opened: np.ndarray | None = None,
                 fills: np.ndarray | None = None) -> np.ndarray:
    """The ink above the paper level (`_paper_level`), at least 0, in the estimate's buffer."""
    above = _paper_level(ink, opened, fills)
    np.subtract(ink, above, out=above)
    np.maximum(above, 0.0, out=above)
    return above


def faint_fills(small: np.ndarray, opened: np.ndarray, line_level: float) -> np.ndarray:
    """Where the opened map (`_opened` of the downscaled ink `small`) holds a solid fill fainter
    than MAX_PAPER but at least FILL_SHARE of `line_level` above the paper, with a sharp edge
    (FILL_EDGE of its rim next to clean paper) and no lines drawn over it (at most FILL_LINES
    of its inside darker than its mean by half the share: a shadow over a drawing has the lines
    in it): a bool map of the opened map's shape, each fill with the rim around it that is more
    than half as high (where the opening's kernel did not fit: the fill's edge, holes and
    narrow parts)."""
    paper = float(np.median(opened))
    rise = FILL_SHARE * line_level
    high = (opened >= paper + rise) & (opened <= MAX_PAPER)
    if not high.any() or rise <= 0.0:
        return np.zeros(opened.shape, bool)
    clean = (opened <= paper + 0.5 * rise).view(np.uint8)
    reach = 2 * FILL_EDGE_PX + 1
    near_clean = cv2.dilate(clean, np.ones((reach, reach), np.uint8)).astype(bool)
    count, found = cv2.connectedComponents(high.view(np.uint8), connectivity=8)
    labels = np.asarray(found, np.int32)
    inner = cv2.erode(high.view(np.uint8), np.ones((3, 3), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=1).astype(bool)
    rim = high & ~inner
    rims = np.bincount(labels[rim], minlength=count)
    sharp = np.bincount(labels[rim & near_clean], minlength=count)
    keep = sharp >= FILL_EDGE * np.maximum(rims, 1)
    # The rim of a fill darker than MAX_PAPER is that fill's, which _paper_level keeps as ink.
    strong = cv2.dilate((opened > MAX_PAPER).view(np.uint8), np.ones((3, 3), np.uint8))
    keep[np.unique(labels[strong.astype(bool) & high])] = False
    keep[0] = False
    inside = cv2.erode(high.view(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    cells = labels[inside]
    sizes = np.bincount(cells, minlength=count)
    level = np.bincount(cells, weights=small[inside], minlength=count) / np.maximum(sizes, 1)
    drawn = np.bincount(cells[small[inside] >= level[cells] + 0.5 * rise], minlength=count)
    keep &= drawn <= FILL_LINES * sizes
    if not keep.any():
        return np.zeros(opened.shape, bool)
    count, joined = cv2.connectedComponents(1 - clean, connectivity=8)
    grown = np.asarray(joined, np.int32)
    held = np.zeros(count, bool)
    held[grown[np.asarray(keep)[labels]]] = True
    held[0] = False
    return held[grown]


def row_strips(height: int, halo: int, rows: int | None = None
            ) -> list[tuple[int, int, int, int]]:
    """(lo, hi, top, bottom): strips of rows lo:hi and, around each, the rows top:bottom a
    window of `halo` rows either side reads."""
    rows = rows or STRIP_ROWS
    return [(lo, min(lo + rows, height), max(lo - halo, 0), min(lo + rows + halo, height))
            for lo in range(0, height, rows)]


def _sample(values: np.ndarray) -> np.ndarray:
    flat = values.ravel()
    if flat.size <= MAX_SAMPLES:
        return flat
    # A fixed stride keeps the estimate deterministic and cheap on big canvases.
    return flat[:: flat.size // MAX_SAMPLES + 1]


def measure_lines(ink: np.ndarray, above_paper: np.ndarray | None = None) -> LineLevels:
    """Paper level, noise and line darkness of an ink map (float32, 0 paper .. 1 ink)."""
    if above_paper is None:
        above_paper = _above_paper(ink)
    sample = _sample(above_paper)
    # Most pixels are paper, so the median and its spread describe the paper's noise.
    centre = float(np.median(sample))
    noise = 1.4826 * float(np.median(np.abs(sample - centre)))
    floor = max(MIN_LINE_LEVEL, centre + NOISE_SIGMAS * noise)
    # Ridge pixels: the darkest across a line, i.e. local maxima above the noise floor. Found in
    # strips of rows (with the rows the 3x3 window reaches), so no full-size temporaries.
    ridges: list[np.ndarray] = []
    kernel = np.ones((3, 3), np.uint8)
    for lo, hi, top, bottom in row_strips(above_paper.shape[0], 1):
        rows = above_paper[lo:hi]
        peak = cv2.dilate(above_paper[top:bottom], kernel)[lo - top : hi - top]
        ridges.append(rows[(rows >= peak) & (rows > floor)])
    values = np.concatenate(ridges)
    paper = float(np.median(_sample(ink)))
    if values.size < 3:
        return LineLevels(paper=paper, darkness=0.0, noise=noise, gain=1.0)
    low, darkness = (float(v) for v in np.percentile(values, [30.0, RIDGE_PERCENTILE]))
    return LineLevels(paper=paper, darkness=darkness, noise=noise, gain=1.0,
                      evenness=low / darkness if darkness > 0 else 1.0)


def normalise_lines(
    ink: np.ndarray, darkness: float | None = None
) -> tuple[np.ndarray, LineLevels]:
    """Ink with the paper removed and lines scaled to full ink, and the levels it used.

    `darkness` (0-1) overrides the estimate: lines that dark or darker become full ink.
    Black lines on white paper come back unchanged apart from their faintest anti-aliasing.
    """
    if darkness is not None and not 0.02 <= darkness <= 1.0:
        raise LineRefinerError(f"Line darkness must be between 0.02 and 1, not {darkness}.")
    ink = ink.astype(np.float32, copy=False)
    if not (float(ink.min()) >= 0.0 and float(ink.max()) <= 1.0):
        ink = np.clip(ink, 0.0, 1.0)
    out, levels = _normalised(ink, darkness)
    if levels.darkness > 0.0 and levels.noise > NOISY * levels.darkness:
        # A grainy scan or photo (paper tooth, pencil grain, JPEG): the grain leaves holes in
        # bold strokes and fills and frays their edges. Read a little smoothed too, and keep
        # either reading's ink: the smoothed one's solid strokes, the raw one's thinnest lines
        # (smoothing lowers a 1-px line more than the paper's noise).
        smooth, _ = _normalised(cv2.GaussianBlur(ink, (0, 0), NOISY_SIGMA), darkness)
        np.maximum(out, smooth, out=out)
    return out, levels


def _normalised(ink: np.ndarray, darkness: float | None) -> tuple[np.ndarray, LineLevels]:
    """normalise_lines of float32 ink in 0..1, read once."""
    # The paper estimate's buffer becomes the ink above paper, and then the output.
    small = _downscaled(ink)
    opened = _opened(small)
    above = _above_paper(ink, opened)
    levels = measure_lines(ink, above)
    line_level = darkness if darkness is not None else levels.darkness
    if line_level <= 0.0:
        return np.zeros_like(ink), levels
    fills = faint_fills(small, opened, line_level)
    if fills.any():  # the lines' levels stay those measured without the fills
        above = _above_paper(ink, opened, fills)
    floor = min(levels.noise * FLOOR_SIGMAS, 0.5 * line_level)
    out = above
    dark = DARK_LINES
    if darkness is not None:
        _divide_by_level(out, np.asarray(line_level, np.float32), floor, dark)
    else:
        if MID_LINES <= line_level < DARK_LINES and levels.evenness >= EVEN_LINES:
            dark = DARK_LINES * line_level
        _scale_by_local_darkness(out, line_level, floor, dark)
    gain = float(1.0 / _line_scale(np.asarray(line_level), floor, dark))
    return out, LineLevels(levels.paper, line_level, levels.noise, gain, levels.evenness)


def _line_scale(level: np.ndarray, floor: float, dark: float = DARK_LINES) -> np.ndarray:
    """What the ink above paper of a line of darkness `level` is divided by (after `floor` is
    taken off it): lines at least `dark` (DARK_LINES) dark by their darkness (a black line
    stays as it is), fainter ones LINE_GAIN_MARGIN less, so the light parts of a pencil stroke
    count."""
    scale = np.where(level >= dark, level, np.float32(LINE_GAIN_MARGIN) * level)
    scale -= np.float32(floor)
    return np.maximum(scale, np.float32(1e-3), out=scale)


def _divide_by_level(rows: np.ndarray, level: np.ndarray, floor: float,
                     dark: float = DARK_LINES) -> None:
    """`rows` (ink above paper) in place: the floor taken off, divided by
    _line_scale(level, floor, dark), clipped to 0..1."""
    scale = _line_scale(level, floor, dark)
    if floor:
        rows -= np.float32(floor)
    rows /= scale
    np.clip(rows, 0.0, 1.0, out=rows)


def _scale_by_local_darkness(above: np.ndarray, line_level: float, floor: float,
                             dark: float = DARK_LINES) -> None:
    """Scale `above` (ink above paper) in place, each line by its own darkness, strip by strip.

    Each line is scaled by its own darkness (the darkest ink within a few px, or within 1 px
    for a pixel on a line of its own next to a darker one: OWN_LINE_NEAR), so a light blue or a
    pencil line among black ones becomes a line too, up to 1 px from the black line it meets;
    but never by less than RELATIVE_LEVEL of the drawing's typical line, so paper grain and
    ghost lines stay faint.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    beside = np.ones((3, 3), np.uint8)
    halo = kernel.shape[0] // 2
    least = np.float32(RELATIVE_LEVEL * line_level)
    # Only what stands well clear of the paper's noise is a line of its own.
    clear = LOCAL_SNR * max(floor, MIN_LINE_LEVEL)
    height = above.shape[0]
    # The rows above each strip as they were before the previous strip was scaled in place.
    before: np.ndarray | None = None
    for lo, hi, top, bottom in row_strips(height, halo):
        window = above[top:bottom]
        if before is not None:
            window = np.concatenate([before, above[lo:bottom]])
        before = above[max(hi - halo, 0):hi].copy()
        level = cv2.dilate(window, kernel)[lo - top : hi - top]
        near = cv2.dilate(window, beside)[lo - top : hi - top]
        rows = above[lo:hi]
        own = (rows >= np.float32(OWN_LINE_NEAR) * near) & (rows >= clear)
        own &= rows >= np.float32(OWN_LINE_PEAK) * level
        np.copyto(level, near, where=own)
        np.maximum(level, least, out=level)
        level[level < clear] = line_level
        _divide_by_level(rows, level, floor, dark)
