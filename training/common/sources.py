"""Clean line-art sources for training: openclipart SVGs, Hershey glyphs, procedural strokes.

Every generator returns a float32 ink map (0 paper, 1 ink) and is reproducible from its inputs
and a numpy Generator. Which split a source belongs to is decided here, by whole drawing / font /
seed range, so that held-out data never leaks into training.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


def openclipart_root(path: Path) -> Path:
    """The package's svg folder, also when `path` is the folder above it (share/openclipart):
    a drawing's id, and so its split, is its path relative to the svg folder, and with the
    folder above it every drawing would fall in another split."""
    return path / "svg" if (path / "svg").is_dir() else path


# The Debian packages' folders; the variables point at an unpacked copy (`dpkg -x`) instead, so
# data can be regenerated on a machine that must not have the packages installed (CI's view).
OPENCLIPART_DIR = openclipart_root(Path(os.environ.get("LINEREFINER_OPENCLIPART_DIR")
                                        or "/usr/share/openclipart/svg"))
HERSHEY_DIR = Path(os.environ.get("LINEREFINER_HERSHEY_DIR") or "/usr/share/hershey-fonts")
SPLITS = ("train", "val", "test")


# ---------------------------------------------------------------------------------------------
# Splits


@dataclass(frozen=True)
class SplitRule:
    train: float = 0.85
    val: float = 0.05  # the rest (0.10) is test


def stable_unit(key: str) -> float:
    """A number in [0, 1) fixed by `key` alone: a file keeps its split when others come and go."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def split_of(key: str, rule: SplitRule = SplitRule()) -> str:
    u = stable_unit(key)
    if u < rule.train:
        return "train"
    if u < rule.train + rule.val:
        return "val"
    return "test"


def openclipart_files(root: Path = OPENCLIPART_DIR) -> list[str]:
    """Paths relative to `root`, sorted, so ids do not depend on where the package is installed."""
    if not root.is_dir():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.svg"))


def openclipart_split(relpath: str) -> str:
    return split_of("openclipart:" + relpath)


def hershey_fonts(root: Path = HERSHEY_DIR) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.stem for p in root.glob("*.jhf"))


def hershey_font_splits(fonts: list[str]) -> dict[str, str]:
    """With only ~32 fonts a per-font hash could leave val or test empty; instead the fonts are
    ordered by hash and the first ~6% go to val, the next ~10% to test (at least one each)."""
    ordered = sorted(fonts, key=lambda f: stable_unit("hershey:" + f))
    n_val = max(1, round(0.06 * len(ordered)))
    n_test = max(1, round(0.10 * len(ordered)))
    out: dict[str, str] = {}
    for i, font in enumerate(ordered):
        out[font] = "val" if i < n_val else "test" if i < n_val + n_test else "train"
    return out


# Procedural drawings are split by seed range; a seed identifies one drawing.
PROCEDURAL_SEED_BASE = {"train": 0, "val": 10_000_000, "test": 20_000_000}


# ---------------------------------------------------------------------------------------------
# Stroke styling shared by the generators


@dataclass(frozen=True)
class StrokeStyle:
    width: float  # px, 1..4
    antialiased: bool


def random_style(rng: np.random.Generator, widths: tuple[float, float] = (1.0, 4.0),
                 aa_share: float = 0.7) -> StrokeStyle:
    return StrokeStyle(float(rng.uniform(*widths)), bool(rng.random() < aa_share))


SUPERSAMPLE = 4


def polylines_ink(shape: tuple[int, int], polylines: list[np.ndarray], style: StrokeStyle,
                  closed: list[bool] | None = None) -> np.ndarray:
    """Draws float (x, y) polylines. Anti-aliased strokes are drawn binary at 4x and area-averaged,
    which gives fractional widths; cv2.LINE_AA alone only knows integer thickness."""
    h, w = shape
    closed = closed if closed is not None else [False] * len(polylines)
    if style.antialiased:
        s = SUPERSAMPLE
        canvas = np.zeros((h * s, w * s), np.uint8)
        thickness = max(1, round(style.width * s))
        pts = [np.round((p + 0.5) * s - 0.5).astype(np.int32) for p in polylines]
    else:
        s = 1
        canvas = np.zeros((h, w), np.uint8)
        thickness = max(1, round(style.width))
        pts = [np.round(p).astype(np.int32) for p in polylines]
    for p, c in zip(pts, closed, strict=True):
        if len(p) == 1:
            cv2.circle(canvas, (int(p[0, 0]), int(p[0, 1])), max(1, thickness // 2), 255, -1)
        elif len(p) > 1:
            cv2.polylines(canvas, [p.reshape(-1, 1, 2)], c, 255, thickness, cv2.LINE_8)
    ink = canvas.astype(np.float32) / 255.0
    if s > 1:
        ink = cv2.resize(ink, (w, h), interpolation=cv2.INTER_AREA)
    return ink


# ---------------------------------------------------------------------------------------------
# Openclipart


@dataclass(frozen=True)
class SvgRenderParams:
    longest_side: tuple[int, int] = (512, 960)
    timeout_s: float = 2.0
    stroke_width_px: tuple[float, float] = (1.0, 3.5)  # mean rendered width we aim for
    max_filled_share: float = 0.30  # more ink than this is a filled drawing, not line art
    min_ink_share: float = 0.004
    min_width_px: float = 1.0  # no stroke thinner than this, so none renders dotted


_STROKES_CSS = (
    "* { fill: none !important; stroke: #000 !important; stroke-opacity: 1 !important;"
    " opacity: 1 !important; filter: none !important; mask: none !important;"
    " stroke-dasharray: none !important; marker-start: none !important;"
    " marker-mid: none !important; marker-end: none !important; }"
    " image { display: none !important; }"
)
_FLATS_CSS = (
    "* { stroke: none !important; filter: none !important; }"
    " image { display: none !important; }"
)
_STROKE_WIDTH = re.compile(r"(stroke-width\s*(?::|=\s*[\"']))\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)")


def _inject_css(svg_text: str, css: str, root_stroke_width: float | None) -> str:
    # The root rule only reaches elements that inherit their width; explicit ones are scaled.
    rule = css
    if root_stroke_width is not None:
        rule += f" svg {{ stroke-width: {root_stroke_width:.4g}; }}"
    end = svg_text.rfind("</svg>")
    if end < 0:
        raise ValueError("no closing svg tag")
    return svg_text[:end] + f'<style type="text/css">{rule}</style>' + svg_text[end:]


_VIEWBOX = re.compile(r"<svg[^>]*?viewBox\s*=\s*[\"']\s*[-0-9.eE]+[\s,]+[-0-9.eE]+[\s,]+"
                      r"([0-9.eE+]+)[\s,]+([0-9.eE+]+)", re.DOTALL)
_SIZE = re.compile(r"<svg[^>]*?\b(width|height)\s*=\s*[\"']\s*([0-9.eE+]+)", re.DOTALL)


def _user_extent(svg_text: str) -> float | None:
    """Longest side of the drawing in user units, to turn a px width into user units."""
    m = _VIEWBOX.search(svg_text)
    if m:
        return max(float(m.group(1)), float(m.group(2)))
    sizes = [float(v) for _, v in _SIZE.findall(svg_text)[:2]]
    return max(sizes) if sizes else None


def _scale_stroke_widths(svg_text: str, factor: float, minimum: float) -> str:
    # The minimum keeps hairlines from rendering as dotted lines, which would put gaps into the
    # target itself. It ignores nested transforms, which are mostly near 1 in clip art.
    return _STROKE_WIDTH.sub(
        lambda m: f"{m.group(1)}{max(float(m.group(2)) * factor, minimum):.4g}", svg_text)


def render_svg(svg_text: str, longest: int, timeout_s: float) -> np.ndarray | None:
    """RGBA float32 in [0, 1] that fits a longest x longest box, or None if rsvg fails/is slow."""
    with tempfile.TemporaryDirectory(prefix="lr_svg_") as tmp:
        src = os.path.join(tmp, "in.svg")
        dst = os.path.join(tmp, "out.png")
        with open(src, "w", encoding="utf-8") as f:
            f.write(svg_text)
        cmd = ["rsvg-convert", "-w", str(longest), "-h", str(longest), "--keep-aspect-ratio",
               src, "-o", dst]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return None
        if proc.returncode != 0 or not os.path.exists(dst):
            return None
        img = cv2.imread(dst, cv2.IMREAD_UNCHANGED)
    if img is None or img.ndim != 3 or img.shape[2] != 4:
        return None
    return img.astype(np.float32) / 255.0


def _ink_of_rgba(rgba: np.ndarray) -> np.ndarray:
    return rgba[..., 3] * (1.0 - rgba[..., :3].mean(axis=2))


def mean_stroke_width(ink: np.ndarray) -> float:
    """Length-weighted mean width: ink area / half the contour length. Works for sub-pixel
    anti-aliased lines too, where a distance transform would see nothing."""
    mask = (ink > 0.25).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    if perimeter <= 0:
        return 0.0
    return float(2.0 * ink.sum() / perimeter)


def openclipart_strokes(relpath: str, rng: np.random.Generator,
                        params: SvgRenderParams = SvgRenderParams(),
                        root: Path = OPENCLIPART_DIR) -> np.ndarray | None:
    """Every outline of the drawing as a black stroke, fills removed, widths rescaled to land in
    1-4 px. None when the drawing renders empty, mostly filled, slowly, or not at all."""
    try:
        text = (root / relpath).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    longest = int(rng.integers(params.longest_side[0], params.longest_side[1] + 1))
    target = float(rng.uniform(*params.stroke_width_px))
    antialiased = bool(rng.random() < 0.7)
    try:
        extent = _user_extent(text)
        min_user = 0.0 if not extent else params.min_width_px * extent / longest
        first = _scale_stroke_widths(text, 1.0, min_user)
        rgba = render_svg(_inject_css(first, _STROKES_CSS, max(1.0, min_user)), longest,
                          params.timeout_s)
        if rgba is None:
            return None
        ink = _ink_of_rgba(rgba)
        width = mean_stroke_width(ink)
        if width <= 0.05:
            return None
        if not 1.0 <= width <= 4.0:
            # One global factor keeps the drawing's relative widths (hairlines vs outlines).
            factor = target / width
            scaled = _scale_stroke_widths(text, factor, min_user)
            rgba = render_svg(_inject_css(scaled, _STROKES_CSS, max(factor, min_user)), longest,
                              params.timeout_s)
            if rgba is None:
                return None
            ink = _ink_of_rgba(rgba)
    except ValueError:
        return None
    share = float((ink > 0.5).mean())
    if share > params.max_filled_share or float(ink.mean()) < params.min_ink_share:
        return None
    if not antialiased:
        ink = (ink > 0.5).astype(np.float32)
    return ink.astype(np.float32)


def openclipart_regions(relpath: str, rng: np.random.Generator,
                        params: SvgRenderParams = SvgRenderParams(),
                        root: Path = OPENCLIPART_DIR) -> np.ndarray | None:
    """Boundaries between flat colours of the filled drawing (strokes removed), 1-3 px wide: the
    lines a colourist would need closed."""
    try:
        text = (root / relpath).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    longest = int(rng.integers(params.longest_side[0], params.longest_side[1] + 1))
    width = int(rng.integers(1, 4))
    antialiased = bool(rng.random() < 0.6)
    try:
        rgba = render_svg(_inject_css(text, _FLATS_CSS, None), longest, params.timeout_s)
    except ValueError:
        return None
    if rgba is None:
        return None
    # Composite on white so that transparent paper is one more flat colour.
    color = np.rint(255.0 * (rgba[..., :3] * rgba[..., 3:4] + (1.0 - rgba[..., 3:4])))
    channels = cv2.split(color.astype(np.uint8))
    # Gradients change by ~1/255 per pixel; real colour edges jump by far more, and a higher
    # threshold breaks boundaries between similar colours (a gap already in the target).
    threshold = 10
    edge = np.zeros(color.shape[:2], np.uint8)
    for c in channels:
        edge[:, :-1] |= cv2.absdiff(c[:, 1:], c[:, :-1]) > threshold
        edge[:-1, :] |= cv2.absdiff(c[1:, :], c[:-1, :]) > threshold
    if width > 1:
        edge = cv2.dilate(edge, np.ones((width, width), np.uint8))
    ink = edge.astype(np.float32)
    if antialiased:
        ink = np.clip(cv2.GaussianBlur(ink, (0, 0), 0.6) * 1.2, 0.0, 1.0)
    share = float((ink > 0.5).mean())
    if share > params.max_filled_share or float(ink.mean()) < params.min_ink_share:
        return None
    return ink


# ---------------------------------------------------------------------------------------------
# Hershey fonts


@dataclass(frozen=True)
class HersheyGlyph:
    left: int
    right: int
    strokes: tuple[np.ndarray, ...]  # each (n, 2) float32, x right, y down, glyph units

    @property
    def advance(self) -> int:
        return self.right - self.left


def parse_jhf(text: str) -> list[HersheyGlyph]:
    """Hershey .jhf: 5-char number, 3-char vertex count (including the left/right pair), then
    coordinate pairs as characters offset from 'R'; ' R' lifts the pen. Long glyphs wrap onto
    following lines, so a glyph is read until it has all its characters."""
    glyphs: list[HersheyGlyph] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if len(line) < 10 or not line[5:8].strip().isdigit():
            continue
        count = int(line[5:8])
        body = line[8:]
        while len(body) < 2 * count and i < len(lines):
            body += lines[i]
            i += 1
        body = body[: 2 * count]
        if len(body) < 2:
            continue
        left, right = ord(body[0]) - ord("R"), ord(body[1]) - ord("R")
        strokes: list[np.ndarray] = []
        current: list[tuple[int, int]] = []
        for j in range(2, len(body) - 1, 2):
            pair = body[j : j + 2]
            if pair == " R":
                if current:
                    strokes.append(np.array(current, np.float32))
                current = []
            else:
                current.append((ord(pair[0]) - ord("R"), ord(pair[1]) - ord("R")))
        if current:
            strokes.append(np.array(current, np.float32))
        glyphs.append(HersheyGlyph(left, right, tuple(strokes)))
    return glyphs


_FONT_CACHE: dict[str, list[HersheyGlyph]] = {}


def load_hershey_font(name: str, root: Path = HERSHEY_DIR) -> list[HersheyGlyph]:
    if name not in _FONT_CACHE:
        text = (root / f"{name}.jhf").read_text(encoding="latin-1")
        _FONT_CACHE[name] = [g for g in parse_jhf(text) if g.strokes]
    return _FONT_CACHE[name]


def hershey_page(font: str, shape: tuple[int, int], rng: np.random.Generator,
                 root: Path = HERSHEY_DIR) -> np.ndarray:
    """Lines of random 'words' of the font's glyphs, at one random scale per page."""
    glyphs = load_hershey_font(font, root)
    h, w = shape
    scale = float(rng.uniform(1.2, 4.0))  # glyph units -> px; glyphs are ~32 units tall
    style = random_style(rng)
    line_h = 34.0 * scale * float(rng.uniform(1.0, 1.4))
    polylines: list[np.ndarray] = []
    y = float(rng.uniform(0.3, 0.8)) * line_h
    while y < h + line_h:
        x = float(rng.uniform(-20, 10)) * scale
        while x < w:
            for _ in range(int(rng.integers(2, 9))):
                g = glyphs[int(rng.integers(len(glyphs)))]
                for s in g.strokes:
                    polylines.append(np.stack([x + (s[:, 0] - g.left) * scale,
                                               y + s[:, 1] * scale], axis=1))
                x += g.advance * scale
            x += float(rng.uniform(8, 20)) * scale
        y += line_h
    return polylines_ink(shape, polylines, style)


# ---------------------------------------------------------------------------------------------
# Procedural strokes


def _bezier(p: np.ndarray, n: int = 48) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
    return ((1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2]
            + t**3 * p[3]).astype(np.float32)


def _ellipse(c: np.ndarray, a: float, b: float, angle: float, n: int = 72) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = a * np.cos(t), b * np.sin(t)
    ca, sa = np.cos(angle), np.sin(angle)
    return np.stack([c[0] + ca * x - sa * y, c[1] + sa * x + ca * y], 1).astype(np.float32)


def _polygon(c: np.ndarray, r: float, n: int, rng: np.random.Generator, star: bool) -> np.ndarray:
    t = np.sort(rng.uniform(0, 2 * np.pi, n)) if not star else np.linspace(0, 2 * np.pi, 2 * n,
                                                                            endpoint=False)
    rad = np.full(len(t), r) * rng.uniform(0.7, 1.0, len(t))
    if star:
        rad[1::2] *= rng.uniform(0.35, 0.7)
    return np.stack([c[0] + rad * np.cos(t), c[1] + rad * np.sin(t)], 1).astype(np.float32)


def _closed_blob(c: np.ndarray, r: float, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.integers(3, 7))
    t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    rad = r * (1 + sum(rng.uniform(-0.25, 0.25) / (j + 1)
                       * np.cos((j + 1) * t + rng.uniform(0, 6.3)) for j in range(k)))
    return np.stack([c[0] + rad * np.cos(t), c[1] + rad * np.sin(t)], 1).astype(np.float32)


def procedural_drawing(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Random mixture of curves, ellipses, polygons, hatching, T-junctions, corners, nested and
    partitioned shapes: many small enclosed regions, the kind flood fills work on."""
    h, w = shape
    size = float(min(h, w))
    style = random_style(rng)
    polys: list[np.ndarray] = []
    closed: list[bool] = []

    def rand_pt(margin: float = 0.0) -> np.ndarray:
        return np.array([rng.uniform(-margin, w + margin), rng.uniform(-margin, h + margin)],
                        np.float32)

    n_items = int(rng.integers(4, 10)) * max(1, round(h * w / 384**2))
    for _ in range(n_items):
        kind = int(rng.integers(9))
        c = rand_pt()
        r = float(rng.uniform(0.06, 0.3)) * size
        if kind == 0:  # open bezier
            p = np.stack([rand_pt(20) for _ in range(4)])
            polys.append(_bezier(p))
            closed.append(False)
        elif kind == 1:  # ellipse, sometimes nested
            for j in range(int(rng.integers(1, 4))):
                f = 1.0 - 0.25 * j
                polys.append(_ellipse(c, r * f, r * f * rng.uniform(0.4, 1.0), rng.uniform(0, 3.2)))
                closed.append(True)
        elif kind == 2:  # polygon or star, sometimes nested
            n = int(rng.integers(3, 8))
            star = bool(rng.random() < 0.3)
            base = _polygon(c, r, n, rng, star)
            for j in range(int(rng.integers(1, 3))):
                polys.append(c + (base - c) * (1.0 - 0.3 * j))
                closed.append(True)
        elif kind == 3:  # hatching inside a box, bounded by the box: many small regions
            x0, y0 = c
            bw, bh = r * rng.uniform(1, 2), r * rng.uniform(1, 2)
            box = np.array([[x0, y0], [x0 + bw, y0], [x0 + bw, y0 + bh], [x0, y0 + bh]], np.float32)
            polys.append(box)
            closed.append(True)
            step = float(rng.uniform(max(5.0, 2.5 * style.width), 18.0))
            ang = float(rng.uniform(0, np.pi))
            d = np.array([np.cos(ang), np.sin(ang)], np.float32)
            nrm = np.array([-d[1], d[0]], np.float32)
            center = np.array([x0 + bw / 2, y0 + bh / 2], np.float32)
            half = float(np.hypot(bw, bh) / 2)
            for off in np.arange(-half, half, step):
                seg = np.stack([center + nrm * off - d * half, center + nrm * off + d * half])
                p0 = (int(seg[0][0]), int(seg[0][1]))
                p1 = (int(seg[1][0]), int(seg[1][1]))
                ok, a, b = cv2.clipLine((int(x0), int(y0), int(bw), int(bh)), p0, p1)
                if ok:
                    polys.append(np.array([a, b], np.float32))
                    closed.append(False)
        elif kind == 4:  # T-junctions: a bar with stems ending on it
            ang = float(rng.uniform(0, np.pi))
            d = np.array([np.cos(ang), np.sin(ang)], np.float32)
            nrm = np.array([-d[1], d[0]], np.float32)
            polys.append(np.stack([c - d * r * 1.5, c + d * r * 1.5]))
            closed.append(False)
            for _ in range(int(rng.integers(1, 4))):
                base = c + d * r * rng.uniform(-1.3, 1.3)
                tilt = nrm + d * rng.uniform(-0.5, 0.5)
                polys.append(np.stack([base, base + tilt * r * rng.uniform(0.5, 1.5)
                                       * rng.choice([-1, 1])]))
                closed.append(False)
        elif kind == 5:  # zigzag with sharp corners
            n = int(rng.integers(3, 8))
            pts = [c]
            for _ in range(n):
                a = rng.uniform(0, 2 * np.pi)
                pts.append(pts[-1] + np.array([np.cos(a), np.sin(a)], np.float32) * r)
            polys.append(np.stack(pts).astype(np.float32))
            closed.append(bool(rng.random() < 0.4))
        elif kind == 6:  # closed organic blob
            polys.append(_closed_blob(c, r, rng))
            closed.append(True)
        elif kind == 7:  # partition: a few long lines across the canvas, X-junctions galore
            for _ in range(int(rng.integers(2, 5))):
                p = np.stack([rand_pt(30) for _ in range(4)])
                if rng.random() < 0.5:
                    p[1:3] = p[0] + (p[3] - p[0]) * np.array([[1 / 3], [2 / 3]], np.float32)
                polys.append(_bezier(p))
                closed.append(False)
        else:  # grid of cells (panels, tiles, windows)
            n_x, n_y = int(rng.integers(2, 5)), int(rng.integers(2, 5))
            cw, ch = r * rng.uniform(0.4, 0.8), r * rng.uniform(0.4, 0.8)
            for ix in range(n_x + 1):
                polys.append(np.array([[c[0] + ix * cw, c[1]], [c[0] + ix * cw, c[1] + n_y * ch]],
                                      np.float32))
                closed.append(False)
            for iy in range(n_y + 1):
                polys.append(np.array([[c[0], c[1] + iy * ch], [c[0] + n_x * cw, c[1] + iy * ch]],
                                      np.float32))
                closed.append(False)
    return polylines_ink(shape, polys, style, closed)
