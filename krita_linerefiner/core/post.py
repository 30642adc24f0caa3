"""Post steps on ink maps: a tone curve (line weight) and edge-following smoothing (jaggies).

Both are plain ndarray -> ndarray functions so the CLI, the plugin and the benchmarks share them.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Point = tuple[float, float]

# Curves on ink (0 paper, 1 ink). Lifting the middle of the curve turns the soft flank of an
# anti-aliased stroke into ink, which reads as a heavier line; lowering it thins the line.
# The end points keep paper as paper and full ink as full ink.
CURVE_PRESETS: dict[str, tuple[Point, ...]] = {
    "thin": ((0.0, 0.0), (0.35, 0.12), (0.7, 0.55), (1.0, 1.0)),
    "normal": ((0.0, 0.0), (0.25, 0.2), (0.6, 0.75), (1.0, 1.0)),
    "bold": ((0.0, 0.0), (0.12, 0.3), (0.4, 0.85), (1.0, 1.0)),
}


def _checked_points(points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    pts = sorted((float(x), float(y)) for x, y in points)
    if len(pts) < 2:
        raise ValueError("a curve needs at least two control points")
    xs = np.array([p[0] for p in pts])
    ys = np.array([p[1] for p in pts])
    if np.any(np.diff(xs) <= 0):
        raise ValueError("control points need distinct x values")
    if xs.min() < 0 or xs.max() > 1 or ys.min() < 0 or ys.max() > 1:
        raise ValueError("control points must lie in [0, 1] x [0, 1]")
    return xs, ys


def monotone_slopes(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson tangents: the cubic through the points never overshoots them.

    Krita's own curve is a natural cubic spline, which can overshoot between steep points and
    then gets clipped; for line weight a curve that never reverses is what users expect.
    """
    h = np.diff(xs)
    delta = np.diff(ys) / h
    m = np.zeros_like(xs)
    m[0], m[-1] = delta[0], delta[-1]
    for i in range(1, len(xs) - 1):
        if delta[i - 1] * delta[i] > 0:
            w1, w2 = 2 * h[i] + h[i - 1], h[i] + 2 * h[i - 1]
            # weighted harmonic mean, written without dividing by a tiny slope
            d0, d1 = delta[i - 1], delta[i]
            m[i] = (w1 + w2) * d0 * d1 / (w1 * d1 + w2 * d0)
    return m


def curve_values(points: Sequence[Point], x: np.ndarray) -> np.ndarray:
    xs, ys = _checked_points(points)
    m = monotone_slopes(xs, ys)
    # like Krita: flat beyond the first and last control points
    xc = np.clip(np.asarray(x, dtype=np.float64), xs[0], xs[-1])
    i = np.clip(np.searchsorted(xs, xc, side="right") - 1, 0, len(xs) - 2)
    h = xs[i + 1] - xs[i]
    t = (xc - xs[i]) / h
    h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
    h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
    y = h00 * ys[i] + h10 * h * m[i] + h01 * ys[i + 1] + h11 * h * m[i + 1]
    return np.clip(y, 0.0, 1.0)


def tone_curve(ink: np.ndarray, points: Sequence[Point] | str) -> np.ndarray:
    """Map ink through a curve given by control points or a CURVE_PRESETS name."""
    if isinstance(points, str):
        if points not in CURVE_PRESETS:
            raise ValueError(f"unknown curve preset {points!r}; use one of {sorted(CURVE_PRESETS)}")
        points = CURVE_PRESETS[points]
    # a 4096-entry table is exact to well below 1/255 and makes the call O(pixels)
    lut_x = np.linspace(0.0, 1.0, 4096)
    lut = curve_values(points, lut_x).astype(np.float32)
    idx = np.clip(np.rint(np.asarray(ink, dtype=np.float32) * 4095), 0, 4095).astype(np.int32)
    return lut[idx]


def _qt_number(v: float) -> str:
    # QString::number(double) uses format 'g' with 6 significant digits
    return f"{float(v):.6g}"


def krita_curve_string(points: Sequence[Point] | str) -> str:
    """A curve in the text form of Krita's KisCubicCurve::toString: "x,y;x,y;...;"."""
    if isinstance(points, str):
        points = CURVE_PRESETS[points]
    xs, ys = _checked_points(points)
    return "".join(f"{_qt_number(x)},{_qt_number(y)};" for x, y in zip(xs, ys, strict=True))


def parse_krita_curve_string(text: str) -> list[Point]:
    """Inverse of krita_curve_string, tolerant like KisCubicCurve::fromString.

    Pieces without a comma are skipped, and anything after the second field (newer Krita
    versions may add a corner flag) is ignored.
    """
    points: list[Point] = []
    for piece in text.split(";"):
        if "," not in piece:
            continue
        fields = piece.split(",")
        points.append((float(fields[0]), float(fields[1])))
    return points


# ---------------------------------------------------------------- smoothing

def _tangent_field(ink: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit tangent (along the edges) and coherence in [0, 1] from the structure tensor."""
    gx = cv2.Sobel(ink, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(ink, cv2.CV_32F, 0, 1, ksize=3)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), rho)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), rho)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), rho)
    theta = 0.5 * np.arctan2(2 * jxy, jxx - jyy)  # gradient direction; tangent is 90 deg off
    tx, ty = -np.sin(theta), np.cos(theta)
    diff = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2)
    coherence = diff / (jxx + jyy + 1e-6)
    return tx.astype(np.float32), ty.astype(np.float32), coherence.astype(np.float32)


def _smooth_along_edges(ink: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian average along the streamlines of the tangent field (line integral convolution).

    Following the curved streamline instead of a straight kernel keeps circles round and keeps
    the across-edge profile, hence the width, untouched.
    """
    tx, ty, coherence = _tangent_field(ink, rho=1.5)
    h, w = ink.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    step = 0.5
    n = max(1, int(np.ceil(2.5 * sigma / step)))
    acc = ink.copy()
    weight = np.ones_like(ink)
    for direction in (1.0, -1.0):
        px, py = gx.copy(), gy.copy()
        dx, dy = tx * direction, ty * direction
        for k in range(1, n + 1):
            px += step * dx
            py += step * dy
            wk = float(np.exp(-0.5 * (k * step / sigma) ** 2))
            acc += wk * cv2.remap(ink, px, py, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            weight += wk
            # the tangent field has no sign: keep walking the way we came
            ntx = cv2.remap(tx, px, py, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
            nty = cv2.remap(ty, px, py, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
            flip = np.where(ntx * dx + nty * dy < 0, -1.0, 1.0).astype(np.float32)
            dx, dy = ntx * flip, nty * flip
    along = acc / weight
    # where edges have no single direction (corners, dots) fall back to the input itself
    c = np.clip((coherence - 0.3) / 0.5, 0.0, 1.0)
    return c * along + (1 - c) * ink


def _crisp(soft: np.ndarray, peak: np.ndarray, factor: int = 4) -> np.ndarray:
    """Re-render the half-peak iso-contour of a soft map as sharp anti-aliased coverage."""
    h, w = soft.shape
    big = cv2.resize(soft, (w * factor, h * factor), interpolation=cv2.INTER_LINEAR)
    big_peak = cv2.resize(peak, (w * factor, h * factor), interpolation=cv2.INTER_LINEAR)
    mask = (big > 0.5 * big_peak).astype(np.float32) * (big_peak > 1e-3)
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)


def smooth(ink: np.ndarray, amount: float = 0.5) -> np.ndarray:
    """Remove jaggies without thickening lines or blurring corners.

    amount 0 returns the input; 1 smooths along edges over about 3 px. The edge position is the
    half-peak iso-contour (so straight edges do not move and thin lines keep their width) and it
    is re-rendered as crisp 4x-supersampled coverage, scaled by the local peak so grey pencil
    lines stay grey.
    """
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"smooth amount must be in [0, 1], got {amount}")
    src = np.asarray(ink, dtype=np.float32)
    if amount == 0.0 or src.size == 0:
        return src.copy()
    along = _smooth_along_edges(src, sigma=0.5 + 2.5 * amount)
    peak = cv2.dilate(along, np.ones((5, 5), np.uint8))
    peak = np.maximum(peak, 1e-6)
    out = _crisp(along, peak) * peak
    return np.clip(out, 0.0, 1.0).astype(np.float32)
