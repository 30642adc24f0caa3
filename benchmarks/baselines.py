"""Classical gap closers to measure ours against: morphological closing and endpoint linking.

Every method maps an ink map (H, W) float32 to the coverage of the pixels it adds (H, W) float32.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import cv2
import numpy as np

from krita_linerefiner.core.candidates import skeleton_neighbours
from krita_linerefiner.core.candidates import thin as core_thin

Method = Callable[[np.ndarray], np.ndarray]

def morphological_closing(ink: np.ndarray, kernel: int) -> np.ndarray:
    """Grey-level closing with an elliptical kernel; what it adds is the closed minus the input."""
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
    closed = cv2.morphologyEx(ink.astype(np.float32), cv2.MORPH_CLOSE, element)
    return np.clip(closed - ink, 0.0, 1.0).astype(np.float32)


def _zhang_suen_tables() -> tuple[np.ndarray, np.ndarray]:
    # Whether a foreground pixel with neighbour code c (bit i = P(i+2)) is deleted in the first
    # and in the second sub-iteration. Precomputing all 256 cases turns each pass into one lookup.
    first = np.zeros(256, bool)
    second = np.zeros(256, bool)
    for code in range(256):
        p = [(code >> i) & 1 for i in range(8)]  # p[0] = P2 ... p[7] = P9
        b = sum(p)
        a = sum(1 for i in range(8) if p[i] == 0 and p[(i + 1) % 8] == 1)
        if not (2 <= b <= 6 and a == 1):
            continue
        p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
        first[code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
        second[code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second


ZHANG_SUEN = _zhang_suen_tables()


def thin(binary: np.ndarray, max_iterations: int = 1000) -> np.ndarray:
    """Zhang-Suen thinning of a boolean image to a one-pixel 8-connected skeleton: the baseline
    keeps the classic tables (core thins with Guo-Hall's) through core's thinning loop."""
    return core_thin(binary.astype(bool), max_iterations, ZHANG_SUEN)


def skeleton_endpoints(skeleton: np.ndarray) -> np.ndarray:
    """(N, 2) row, col of skeleton pixels with exactly one 8-neighbour on the skeleton."""
    sk = skeleton.astype(bool)
    return np.argwhere(sk & (skeleton_neighbours(sk) == 1))


def _geodesic_ball(mask: np.ndarray, seed: tuple[int, int], steps: int) -> np.ndarray:
    # Pixels of `mask` reachable from `seed` in at most `steps` 8-connected moves inside mask.
    reached = np.zeros(mask.shape, np.uint8)
    reached[seed] = 1
    inside = mask.astype(bool)
    for _ in range(steps):
        grown = (np.asarray(cv2.dilate(reached, np.ones((3, 3), np.uint8))) > 0) & inside
        grown_u8 = grown.astype(np.uint8)
        if np.array_equal(grown_u8, reached):
            break
        reached = grown_u8
    return reached.astype(bool)


def _tip(binary: np.ndarray, skeleton: np.ndarray, y: int, x: int) -> tuple[float, float]:
    """Where the stroke ending at skeleton endpoint (y, x) meets paper, along its direction.

    Thinning pulls endpoints back from the stroke's end by about its half-width (more on an
    oblique end), so gaps are measured from here, not from the endpoint. The direction is from
    the mean of the skeleton within 5 steps of the endpoint towards the endpoint.
    """
    h, w = binary.shape
    y0, x0 = max(0, y - 6), max(0, x - 6)
    local = skeleton[y0 : y + 7, x0 : x + 7]
    ys, xs = np.nonzero(_geodesic_ball(local, (y - y0, x - x0), 5))
    dy, dx = y - (ys.mean() + y0), x - (xs.mean() + x0)
    norm = float(np.hypot(dy, dx))
    if norm < 1e-6:
        return float(y), float(x)
    dy, dx = dy / norm, dx / norm
    ty, tx = float(y), float(x)
    for _ in range(64):  # strokes are never this wide; the bound only stops runaway loops
        ny, nx = ty + 0.5 * dy, tx + 0.5 * dx
        iy, ix = int(round(ny)), int(round(nx))
        if not (0 <= iy < h and 0 <= ix < w) or not binary[iy, ix]:
            break
        ty, tx = ny, nx
    return ty, tx


def endpoint_linking(ink: np.ndarray, radius: int) -> np.ndarray:
    """Join each stroke end to the nearest ink that is not its own stroke, within radius.

    This is what paint programs' "close gaps" fills do. Steps: binarise at 0.5, Zhang-Suen
    skeleton, endpoints = skeleton pixels with one neighbour; each endpoint's tip = where its
    stroke meets paper along the skeleton direction (see `_tip`). Candidates are ink pixels
    within `radius` (Euclidean) of the tip that are NOT reachable from the endpoint through ink
    in 1.5 * radius (+ the tip's distance) 8-connected steps: that excludes the endpoint's own
    stroke near it, while the far side of a gap (or the same line after a long detour) stays
    eligible. The nearest candidate is joined to the endpoint with a straight line as wide as
    the stroke (twice the distance to paper at the skeleton pixel, minus one; at least 1 px).
    """
    binary = ink >= 0.5
    h, w = binary.shape
    added = np.zeros((h, w), np.float32)
    if not binary.any():
        return added
    skeleton = thin(binary)
    endpoints = skeleton_endpoints(skeleton)
    dist_to_paper = cv2.distanceTransform(
        binary.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE
    )
    drawn = np.zeros((h, w), np.uint8)
    for y, x in endpoints:
        ty, tx = _tip(binary, skeleton, int(y), int(x))
        retraction = float(np.hypot(ty - y, tx - x))
        steps = int(np.ceil(1.5 * radius + retraction))
        reach = steps + 1  # window half-size: geodesic steps never leave it
        y0, x0 = max(0, y - reach), max(0, x - reach)
        y1, x1 = min(h, y + reach + 1), min(w, x + reach + 1)
        local = binary[y0:y1, x0:x1]
        own = _geodesic_ball(local, (int(y - y0), int(x - x0)), steps)
        cy, cx = np.nonzero(local & ~own)
        if len(cy) == 0:
            continue
        d2 = (cy + y0 - ty) ** 2 + (cx + x0 - tx) ** 2
        best = int(np.argmin(d2))
        if d2[best] > radius * radius:
            continue
        width = max(1, int(round(2 * float(dist_to_paper[y, x]) - 1)))
        cv2.line(drawn, (int(x), int(y)), (int(cx[best] + x0), int(cy[best] + y0)), 1, width)
    return np.clip(drawn.astype(np.float32) - ink, 0.0, 1.0).astype(np.float32)


KERNELS = (3, 5, 7, 9)
RADII = (4, 6, 8, 10, 12, 14, 16)


def baseline_methods(kernels: tuple[int, ...] = KERNELS,
                     radii: tuple[int, ...] = RADII) -> dict[str, Method]:
    methods: dict[str, Method] = {}
    for k in kernels:
        methods[f"morph closing k{k}"] = partial(morphological_closing, kernel=k)
    for r in radii:
        methods[f"endpoint linking R{r}"] = partial(endpoint_linking, radius=r)
    return methods
