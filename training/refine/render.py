"""Render one set of strokes two ways: a clean inked target and a degraded input.

Everything the target does must be predictable from the input, or the model learns a blur:
target width is a fixed function of the input width, taper follows arc length from the
visible stroke ends, and real stroke ends are separated by more than the 1-3 px breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from training.refine.strokes import Stroke

SUPERSAMPLE = 4
SHIFT = 3  # cv2 sub-pixel bits: coordinates in 1/8 pixel of the supersampled canvas


@dataclass(frozen=True)
class Pair:
    inp: np.ndarray         # (H, W) uint8 ink, degraded
    ink: np.ndarray         # (H, W) uint8 ink, "ink" style target (tapered, modulated)
    keep: np.ndarray        # (H, W) uint8 ink, "keep width" style target
    speck: np.ndarray       # (H, W) bool, visible speck pixels away from any line
    centerline: np.ndarray  # (H, W) bool, true stroke path where the target is inked


def arc_length(points: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


def closed_points(stroke: Stroke) -> np.ndarray:
    return np.vstack([stroke.points, stroke.points[:1]]) if stroke.closed else stroke.points


def taper_widths(points: np.ndarray, width: float, closed: bool) -> np.ndarray:
    s = arc_length(points)
    if closed or len(points) < 2:
        return np.full(len(points), width)
    length = s[-1]
    d = np.minimum(s, length - s)
    ramp = min(length / 2, 4.0 + 3.0 * width)
    t = np.clip(d / max(ramp, 1e-6), 0, 1)
    return width * (0.3 + 0.7 * t * t * (3 - 2 * t))


def draw_aa(canvas: np.ndarray, points: np.ndarray, widths: np.ndarray,
            skip: np.ndarray | None = None, line_type: int = cv2.LINE_AA) -> None:
    """Draw a variable-width polyline on a SUPERSAMPLE canvas; skip marks segments left out."""
    scale = SUPERSAMPLE * (1 << SHIFT)
    p = np.round(points * scale).astype(np.int64)
    for i in range(len(p) - 1):
        if skip is not None and skip[i]:
            continue
        thickness = max(1, int(round(0.5 * (widths[i] + widths[i + 1]) * SUPERSAMPLE)))
        cv2.line(canvas, (int(p[i, 0]), int(p[i, 1])), (int(p[i + 1, 0]), int(p[i + 1, 1])),
                 255, thickness, line_type, SHIFT)


def draw_bresenham(canvas: np.ndarray, points: np.ndarray,
                   skip: np.ndarray | None = None) -> None:
    """1 px aliased line on a 1x canvas, the way a pixel pencil draws it."""
    scale = 1 << SHIFT
    p = np.round(points * scale).astype(np.int64)
    for i in range(len(p) - 1):
        if skip is None or not skip[i]:
            cv2.line(canvas, (int(p[i, 0]), int(p[i, 1])),
                     (int(p[i + 1, 0]), int(p[i + 1, 1])), 255, 1, cv2.LINE_8, SHIFT)


def downsample(canvas: np.ndarray, size: int) -> np.ndarray:
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def wobble(rng: np.random.Generator, points: np.ndarray, amplitude: float) -> np.ndarray:
    if amplitude <= 0 or len(points) < 3:
        return points
    s = arc_length(points)
    tangent = np.gradient(points, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True) + 1e-9
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    offset = np.zeros(len(points))
    for _ in range(3):
        wavelength = rng.uniform(8, 40)
        offset += np.sin(2 * np.pi * s / wavelength + rng.uniform(0, 2 * np.pi))
    offset *= amplitude / np.sqrt(3)
    offset += rng.normal(0, 0.08, len(points))  # hand tremor on top of the slow drift
    return points + normal * offset[:, None]


def break_mask(rng: np.random.Generator, points: np.ndarray, rate: float,
               width: float) -> np.ndarray:
    s = arc_length(points)
    mid = 0.5 * (s[:-1] + s[1:])
    skip = np.zeros(len(points) - 1, dtype=bool)
    length = s[-1]
    if length < 12:
        return skip
    for _ in range(rng.poisson(rate * length / 100)):
        centre = rng.uniform(5, length - 5)
        half = 0.5 * (rng.uniform(1, 3) + width)  # round caps eat width/2 on each side
        skip |= np.abs(mid - centre) < half
    return skip


def split_strokes(rng: np.random.Generator, strokes: list[Stroke]) -> list[Stroke]:
    """Cut some long strokes into pieces with a clearly visible gap: real, tapered stroke ends."""
    out: list[Stroke] = []
    for stroke in strokes:
        if stroke.length < 80 or rng.random() < 0.7:
            out.append(stroke)
            continue
        pts = closed_points(stroke)
        s = arc_length(pts)
        start = 0.0
        while start < s[-1]:
            end = start + rng.uniform(40, 250)
            idx = (s >= start) & (s <= min(end, s[-1]))
            if idx.sum() >= 3:
                out.append(Stroke(pts[idx]))
            start = end + rng.uniform(5, 9)
    return out


def render_pair(rng: np.random.Generator, strokes: list[Stroke], size: int) -> Pair:
    big = size * SUPERSAMPLE
    width_in = rng.uniform(1.0, 3.0)
    aliased = rng.random() < 0.4
    amplitude = rng.uniform(0, 0.9) if rng.random() < 0.85 else 0.0
    break_rate = rng.uniform(0, 1.5) if rng.random() < 0.8 else 0.0
    ink_level = rng.uniform(0.7, 1.0) if rng.random() < 0.3 else 1.0

    ink_canvas = np.zeros((big, big), np.uint8)
    keep_canvas = np.zeros((big, big), np.uint8)
    centre_canvas = np.zeros((size, size), np.uint8)
    # cv2's thick aliased lines come only in odd widths, so binary lines wider than a pixel are
    # drawn supersampled and thresholded instead
    pencil = aliased and width_in < 1.25
    inp_canvas = np.zeros((size, size) if pencil else (big, big), np.uint8)
    for stroke in strokes:
        pts = closed_points(stroke)
        w = width_in * rng.uniform(0.9, 1.1)
        draw_aa(ink_canvas, pts, taper_widths(pts, w + 0.75, stroke.closed))
        draw_aa(keep_canvas, pts, np.full(len(pts), w))
        draw_bresenham(centre_canvas, pts)
        noisy = wobble(rng, pts, amplitude)
        skip = break_mask(rng, noisy, break_rate, w)
        if pencil:
            draw_bresenham(inp_canvas, noisy, skip)
        else:
            draw_aa(inp_canvas, noisy, np.full(len(pts), w), skip,
                    cv2.LINE_8 if aliased else cv2.LINE_AA)
    ink = downsample(ink_canvas, size)
    keep = downsample(keep_canvas, size)
    if pencil:
        lines = inp_canvas.astype(np.float32) / 255
    elif aliased:
        lines = (downsample(inp_canvas, size) >= 0.5).astype(np.float32)
    else:
        lines = downsample(inp_canvas, size)

    area = (size / 256) ** 2
    speck_canvas = np.zeros((big, big), np.uint8)
    for _ in range(int(rng.integers(0, 40) * area)):
        centre = rng.uniform(0, big, 2) * (1 << SHIFT)
        radius = rng.uniform(0.5, 2.0) * SUPERSAMPLE * (1 << SHIFT)
        value = int(rng.uniform(0.5, 1.0) * 255)
        cv2.circle(speck_canvas, (int(centre[0]), int(centre[1])), int(radius), value, -1,
                   cv2.LINE_AA, SHIFT)
    specks = downsample(speck_canvas, size)
    dust = np.zeros((size, size), np.float32)
    n_dust = int(rng.integers(0, 80) * area)
    dust[rng.integers(0, size, n_dust), rng.integers(0, size, n_dust)] = rng.uniform(0.15, 0.5,
                                                                                    n_dust)
    degraded = np.maximum(np.maximum(lines * ink_level, specks), dust)
    if rng.random() < 0.5:
        degraded = cv2.GaussianBlur(degraded, (0, 0), rng.uniform(0.3, 0.8))
    if rng.random() < 0.3:
        degraded = degraded + rng.normal(0, rng.uniform(0, 0.03), degraded.shape).astype(np.float32)
    paper = np.clip(np.round(255 * (1 - degraded)), 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, buf = cv2.imencode(".jpg", paper, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 91))])
        assert ok
        decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        assert decoded is not None
        paper = decoded

    near_line = cv2.dilate((ink > 0.05).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    inp = 255 - paper
    return Pair(
        inp=inp,
        ink=to_u8(ink),
        keep=to_u8(keep),
        # what a user would call a speck: still dark after blur and JPEG, and off the lines
        speck=(specks >= 0.5) & ~near_line & (inp >= 128),
        centerline=(centre_canvas > 0) & (ink >= 0.5),
    )


def to_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 255), 0, 255).astype(np.uint8)
