"""Vector stroke sources for the refine pairs.

The refine model needs each stroke as a path (not a raster) so the same path can be rendered
twice: cleanly inked for the target, degraded for the input. Three sources:
Hershey glyphs (pen strokes by design), openclipart drawings (region outlines traced from an
rsvg-convert rendering), and procedural curves (Beziers, ellipses, corners, hatching).
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

HERSHEY_DIR = Path("/usr/share/hershey-fonts")
OPENCLIPART_DIR = Path("/usr/share/openclipart/svg")
# Held out by font so evaluation letters come from hands the model never saw.
HERSHEY_EVAL_FONTS = ("scripts.jhf", "timesr.jhf", "gothgbt.jhf")


@dataclass(frozen=True)
class Stroke:
    points: np.ndarray  # (N, 2) float64 x, y in pixels
    closed: bool = False

    @property
    def length(self) -> float:
        pts = np.vstack([self.points, self.points[:1]]) if self.closed else self.points
        return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())


def is_eval_name(name: str, eval_share: float = 0.1) -> bool:
    digest = hashlib.sha256(name.encode()).digest()
    return digest[0] < eval_share * 256


def resample(points: np.ndarray, spacing: float, closed: bool = False) -> np.ndarray:
    pts = np.vstack([points, points[:1]]) if closed else points
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] < 1e-6:
        return pts[:1].copy()
    n = max(2, int(np.ceil(s[-1] / spacing)) + 1)
    t = np.linspace(0.0, s[-1], n)
    if closed:
        t = t[:-1]
    return np.stack([np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])], axis=1)


def chaikin(points: np.ndarray, iterations: int = 2, corner_deg: float = 65.0) -> np.ndarray:
    """Round polyline kinks into curves but keep real corners (turns sharper than corner_deg)."""
    if len(points) < 3:
        return points
    d1 = points[1:-1] - points[:-2]
    d2 = points[2:] - points[1:-1]
    cos = (d1 * d2).sum(1) / (np.linalg.norm(d1, axis=1) * np.linalg.norm(d2, axis=1) + 1e-9)
    corners = np.where(cos < np.cos(np.radians(corner_deg)))[0] + 1
    pieces = np.split(np.arange(len(points)), corners)
    out: list[np.ndarray] = []
    for k, idx in enumerate(pieces):
        # each piece shares its corner vertex with the previous piece so the corner stays put
        idx = np.concatenate([[pieces[k - 1][-1]], idx]) if k > 0 else idx
        pts = points[idx]
        for _ in range(iterations):
            if len(pts) < 3:
                break
            q = 0.75 * pts[:-1] + 0.25 * pts[1:]
            r = 0.25 * pts[:-1] + 0.75 * pts[1:]
            mid = np.empty((2 * len(q), 2))
            mid[0::2], mid[1::2] = q, r
            pts = np.vstack([pts[:1], mid[1:-1], pts[-1:]])
        out.append(pts if k == 0 else pts[1:])
    return np.vstack(out)


# ---------------------------------------------------------------- Hershey glyphs

def parse_jhf(path: Path) -> list[list[np.ndarray]]:
    """Glyphs of a Hershey .jhf font, each a list of pen-down polylines in font units (y down)."""
    text = path.read_text(encoding="latin-1").replace("\r", "")
    # records may wrap over several lines; the vertex count says how long each one is
    flat = text.replace("\n", "")
    glyphs: list[list[np.ndarray]] = []
    i = 0
    while i + 8 <= len(flat):
        try:
            count = int(flat[i + 5:i + 8])
        except ValueError:
            break
        data = flat[i + 8:i + 8 + 2 * count]
        i += 8 + 2 * count
        strokes: list[np.ndarray] = []
        current: list[tuple[int, int]] = []
        for k in range(1, count):  # pair 0 holds the left/right margins
            pair = data[2 * k:2 * k + 2]
            if pair == " R":
                if len(current) > 1:
                    strokes.append(np.array(current, dtype=np.float64))
                current = []
            elif len(pair) == 2:
                current.append((ord(pair[0]) - ord("R"), ord(pair[1]) - ord("R")))
        if len(current) > 1:
            strokes.append(np.array(current, dtype=np.float64))
        if strokes:
            glyphs.append(strokes)
    return glyphs


def hershey_fonts(split: str) -> list[list[list[np.ndarray]]]:
    fonts = []
    for path in sorted(HERSHEY_DIR.glob("*.jhf")):
        if (path.name in HERSHEY_EVAL_FONTS) != (split == "eval"):
            continue
        glyphs = parse_jhf(path)
        if glyphs:
            fonts.append(glyphs)
    return fonts


def text_line(rng: np.random.Generator, font: list[list[np.ndarray]], size: int) -> list[Stroke]:
    height = rng.uniform(14, 60)
    scale = height / 32.0
    x = rng.uniform(-0.2, 0.6) * size
    y = rng.uniform(0.1, 1.0) * size
    slant = rng.uniform(-0.25, 0.25)
    strokes: list[Stroke] = []
    while x < size:
        glyph = font[int(rng.integers(len(font)))]
        xs = np.concatenate([s[:, 0] for s in glyph])
        width = (xs.max() - xs.min() + 6) * scale
        for s in glyph:
            pts = s * scale
            pts = np.stack([pts[:, 0] + slant * -pts[:, 1] + x - xs.min() * scale,
                            pts[:, 1] + y], axis=1)
            strokes.append(Stroke(resample(chaikin(pts, 2), 1.5)))
        x += width
    return strokes


# ---------------------------------------------------------------- openclipart

def openclipart_files(split: str) -> list[Path]:
    files = sorted(OPENCLIPART_DIR.rglob("*.svg"))
    return [f for f in files if is_eval_name(f.name) == (split == "eval")]


def trace_svg(path: Path, render_size: int = 512) -> list[Stroke]:
    """Outlines of an openclipart drawing as smooth strokes, deduplicated across grey levels."""
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "r.png"
        try:
            subprocess.run(["rsvg-convert", "-w", str(render_size), "-h", str(render_size),
                            "--keep-aspect-ratio", "-b", "white", "-o", str(png), str(path)],
                           check=True, timeout=10, capture_output=True)
        except (subprocess.SubprocessError, OSError):
            return []
        img = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    if img is None:
        return []
    occupied = np.zeros_like(img)
    strokes: list[Stroke] = []
    for threshold in (90, 170, 235):
        mask = (img < threshold).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        for c in sorted(contours, key=len, reverse=True):
            if len(c) < 24:
                continue
            pts = c[:, 0, :].astype(np.float64)
            # contour pixels zig-zag; a circular Gaussian along the curve gives the drawn line
            k = 3.0
            idx = np.arange(-9, 10)
            w = np.exp(-0.5 * (idx / k) ** 2)
            w /= w.sum()
            pts = np.stack([np.convolve(np.pad(pts[:, j], 9, mode="wrap"), w, "valid")
                            for j in range(2)], axis=1)
            pts = resample(pts, 2.0, closed=True)
            xi = np.clip(pts[:, 0].round().astype(int), 0, img.shape[1] - 1)
            yi = np.clip(pts[:, 1].round().astype(int), 0, img.shape[0] - 1)
            free = occupied[yi, xi] == 0
            if free.all():
                strokes.append(Stroke(pts, closed=True))
            else:
                # keep only the runs not drawn already by a darker level's outline
                cuts = np.where(np.diff(free.astype(int)) != 0)[0] + 1
                runs = np.split(np.arange(len(pts)), cuts)
                for r in runs:
                    if free[r[0]] and len(r) >= 8:
                        strokes.append(Stroke(pts[r]))
            cv2.polylines(occupied, [pts.round().astype(np.int32)], True, 255, 7)
    return strokes


# ---------------------------------------------------------------- procedural

def bezier(rng: np.random.Generator, size: int) -> Stroke:
    p = rng.uniform(-0.1, 1.1, size=(4, 2)) * size
    t = np.linspace(0, 1, 200)[:, None]
    pts = ((1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t ** 2 * p[2]
           + t ** 3 * p[3])
    return Stroke(resample(pts, 1.5))


def ellipse(rng: np.random.Generator, size: int) -> Stroke:
    c = rng.uniform(0, 1, 2) * size
    a, b = rng.uniform(5, 0.5 * size), rng.uniform(5, 0.5 * size)
    rot = rng.uniform(0, np.pi)
    full = rng.random() < 0.5
    t0 = rng.uniform(0, 2 * np.pi)
    span = 2 * np.pi if full else rng.uniform(0.5, 5.5)
    t = np.linspace(t0, t0 + span, 400, endpoint=not full)
    x, y = a * np.cos(t), b * np.sin(t)
    pts = np.stack([c[0] + x * np.cos(rot) - y * np.sin(rot),
                    c[1] + x * np.sin(rot) + y * np.cos(rot)], axis=1)
    return Stroke(resample(pts, 1.5, closed=full), closed=full)


def corner_path(rng: np.random.Generator, size: int) -> Stroke:
    n = int(rng.integers(2, 6))
    pts = [rng.uniform(0, 1, 2) * size]
    for _ in range(n):
        angle = rng.uniform(0, 2 * np.pi)
        pts.append(pts[-1] + rng.uniform(10, 0.5 * size) * np.array([np.cos(angle), np.sin(angle)]))
    return Stroke(resample(np.array(pts), 1.5))


def hatching(rng: np.random.Generator, size: int) -> list[Stroke]:
    angle = rng.uniform(0, np.pi)
    d = np.array([np.cos(angle), np.sin(angle)])
    n = np.array([-d[1], d[0]])
    start = rng.uniform(0, 1, 2) * size
    gap = rng.uniform(4, 10)
    length = rng.uniform(10, 50)
    strokes = []
    for k in range(int(rng.integers(3, 12))):
        a = start + n * gap * k + d * rng.uniform(-3, 3)
        b = a + d * length * rng.uniform(0.8, 1.2) + n * rng.uniform(-2, 2)
        strokes.append(Stroke(resample(np.stack([a, b]), 1.5)))
    return strokes


def spiral(rng: np.random.Generator, size: int) -> Stroke:
    c = rng.uniform(0.2, 0.8, 2) * size
    turns = rng.uniform(1, 4)
    t = np.linspace(0, turns * 2 * np.pi, 800)
    r = rng.uniform(2, 6) + t * rng.uniform(1.5, 5)
    pts = np.stack([c[0] + r * np.cos(t), c[1] + r * np.sin(t)], axis=1)
    return Stroke(resample(pts, 1.5))


def procedural(rng: np.random.Generator, size: int) -> list[Stroke]:
    kind = rng.choice(["bezier", "ellipse", "corner", "hatching", "spiral"],
                      p=[0.35, 0.2, 0.2, 0.15, 0.1])
    if kind == "bezier":
        return [bezier(rng, size)]
    if kind == "ellipse":
        return [ellipse(rng, size)]
    if kind == "corner":
        return [corner_path(rng, size)]
    if kind == "hatching":
        return hatching(rng, size)
    return [spiral(rng, size)]
