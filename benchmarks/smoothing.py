"""Edge smoothness vs line-width change: core.post.smooth against a plain Gaussian blur.

python -m benchmarks.smoothing

Test shapes are aliased (binary) line art: diagonals at several slopes, circles and Bezier
curves, 1.5-3 px wide. For each smoothing amount, the Gaussian blur gets the largest sigma
whose line-width change is no larger than ours (its best smoothing at equal width change), and
both are scored on:
- jaggedness: RMS distance in px of the (sub-pixel) 0.5 iso-contour from a local quadratic fit
  of itself over 6 px of arc; staircases score high, smooth curves near 0;
- width change: |area inked >= 0.5 after / before - 1| (sub-pixel, on a 4x bilinear upsample);
- edge softness: pixels with 0.1 < ink < 0.9 per pixel of contour (blur makes it grow).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.signal import savgol_filter

from krita_linerefiner.core.post import smooth

UPSAMPLE = 4


def _upsampled(ink: np.ndarray) -> np.ndarray:
    return cv2.resize(ink, None, fx=UPSAMPLE, fy=UPSAMPLE, interpolation=cv2.INTER_LINEAR)


def _contours(ink: np.ndarray) -> list[np.ndarray]:
    """Closed 0.5 iso-contours in pixel coordinates, refined to sub-pixel accuracy.

    Tracing a binarised image quantises every point to the grid, and that noise would swamp the
    jaggies being measured; two Newton steps along the gradient put each point on the level set.
    """
    big = _upsampled(ink)
    found, _ = cv2.findContours((big >= 0.5).astype(np.uint8), cv2.RETR_LIST,
                                cv2.CHAIN_APPROX_NONE)
    gy, gx = np.gradient(big)
    out = []
    for c in found:
        pts = c[:, 0, :].astype(np.float32)
        for _ in range(2):
            xy = (pts[:, 0][None], pts[:, 1][None])
            v = cv2.remap(big, *xy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[0]
            dx = cv2.remap(gx.astype(np.float32), *xy, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)[0]
            dy = cv2.remap(gy.astype(np.float32), *xy, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)[0]
            g2 = dx * dx + dy * dy
            step = np.where(g2 > 1e-6, (0.5 - v) / np.maximum(g2, 1e-6), 0.0)
            step = np.clip(step, -1.0, 1.0)  # in 4x pixels; never jump to another edge
            pts = pts + np.stack([dx * step, dy * step], axis=1)
        out.append((pts.astype(np.float64) + 0.5) / UPSAMPLE - 0.5)
    return out


def _resample_closed(points: np.ndarray, spacing: float) -> np.ndarray:
    pts = np.vstack([points, points[:1]])
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    t = np.arange(0.0, s[-1], spacing)
    return np.stack([np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])], axis=1)


def jaggedness(ink: np.ndarray, window: float = 6.0, margin: float = 6.0) -> float:
    """RMS distance (px) of the 0.5 iso-contour from a local quadratic fit of itself.

    A quadratic over `window` px of arc follows any smooth curve of radius >~ 10 px, so what
    remains is the staircase. Points within `margin` of the border are left out, so lines may
    run off the image without their clipped ends counting as corners. NaN without contours.
    """
    h, w = ink.shape
    spacing = 0.25
    length = int(window / spacing) | 1
    errors = []
    for contour in _contours(ink):
        pts = _resample_closed(contour, spacing)
        if len(pts) <= length:
            continue
        fit = savgol_filter(pts, length, 2, axis=0, mode="wrap")
        inside = ((pts[:, 0] > margin) & (pts[:, 0] < w - 1 - margin)
                  & (pts[:, 1] > margin) & (pts[:, 1] < h - 1 - margin))
        errors.append(np.linalg.norm(pts - fit, axis=1)[inside])
    if not errors or sum(len(e) for e in errors) == 0:
        return float("nan")
    return float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))


def inked_area(ink: np.ndarray) -> float:
    return float((_upsampled(ink) >= 0.5).sum()) / UPSAMPLE**2


def width_change(before: np.ndarray, after: np.ndarray) -> float:
    return abs(inked_area(after) / max(inked_area(before), 1e-9) - 1.0)


def edge_softness(ink: np.ndarray) -> float:
    length = sum(len(_resample_closed(c, 1.0)) for c in _contours(ink))
    return float(((ink > 0.1) & (ink < 0.9)).sum()) / max(length, 1)


def _binary(draw: Callable[[np.ndarray, int], None], size: int, width: float) -> np.ndarray:
    """Binary (aliased) line art of any width: draw 8x supersampled, threshold the coverage."""
    big = np.zeros((size * 8, size * 8), np.uint8)
    draw(big, max(1, round(width * 8)))
    cover = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    return (cover >= 128).astype(np.float32)


def test_shapes(size: int = 160) -> list[tuple[str, np.ndarray]]:
    """Aliased line art, 1.5-3 px wide: binary pixels, as a 1-bit pen or a thresholded scan."""
    def diagonals(img: np.ndarray, t: int) -> None:
        for k, slope in enumerate((0.08, 0.2, 0.45, 0.8, 1.7)):
            y0 = (12 + 30 * k) * 8
            cv2.line(img, (-160, y0), (img.shape[1] + 160, int(y0 + slope * 600)), 255, t)

    def circles(img: np.ndarray, t: int) -> None:
        for r in (14, 30, 48, 70):
            cv2.circle(img, (size * 4, size * 4), r * 8, 255, t)

    def curves(img: np.ndarray, t: int) -> None:
        rng = np.random.default_rng(3)
        for _ in range(4):
            p = rng.uniform(-0.1, 1.1, (4, 2)) * size * 8
            u = np.linspace(0, 1, 400)[:, None]
            pts = ((1 - u) ** 3 * p[0] + 3 * (1 - u) ** 2 * u * p[1] + 3 * (1 - u) * u**2 * p[2]
                   + u**3 * p[3])
            cv2.polylines(img, [np.round(pts).astype(np.int32)], False, 255, t)

    shapes = []
    for width in (1.5, 2.0, 3.0):
        for name, draw in (("diagonals", diagonals), ("circles", circles), ("curves", curves)):
            shapes.append((f"{name} {width:g}px", _binary(draw, size, width)))
    return shapes


@dataclass(frozen=True)
class Score:
    jaggedness: float
    width_change: float
    softness: float


def score(before: np.ndarray, after: np.ndarray) -> Score:
    return Score(jaggedness(after), width_change(before, after), edge_softness(after))


def mean_score(pairs: list[tuple[np.ndarray, np.ndarray]]) -> Score:
    scores = [score(b, a) for b, a in pairs]
    return Score(
        float(np.nanmean([s.jaggedness for s in scores])),
        float(np.mean([s.width_change for s in scores])),
        float(np.mean([s.softness for s in scores])),
    )


def matched_gaussian(shapes: list[np.ndarray], target_change: float) -> tuple[float, Score]:
    """The strongest Gaussian blur whose mean width change does not exceed target_change."""
    best_sigma, best = 0.0, mean_score([(s, s) for s in shapes])
    for sigma in np.arange(0.1, 3.01, 0.05):
        blurred = [cv2.GaussianBlur(s, (0, 0), float(sigma)) for s in shapes]
        result = mean_score(list(zip(shapes, blurred, strict=True)))
        if result.width_change > target_change:
            break
        best_sigma, best = float(sigma), result
    return best_sigma, best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--amounts", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    args = ap.parse_args(argv)
    shapes = test_shapes()
    images = [img for _, img in shapes]
    base = mean_score([(s, s) for s in images])
    print(f"{len(images)} aliased test shapes; input jaggedness {base.jaggedness:.3f} px, "
          f"edge softness {base.softness:.2f}")
    print(f"{'method':<28} {'jaggedness px':>13} {'width change':>13} {'edge softness':>14}")
    wins = 0
    for amount in args.amounts:
        ours = mean_score([(s, smooth(s, amount)) for s in images])
        sigma, gauss = matched_gaussian(images, ours.width_change)
        print(f"{f'smooth(amount={amount:g})':<28} {ours.jaggedness:>13.3f} "
              f"{ours.width_change:>12.1%} {ours.softness:>14.2f}")
        print(f"{f'gaussian(sigma={sigma:.2f})':<28} {gauss.jaggedness:>13.3f} "
              f"{gauss.width_change:>12.1%} {gauss.softness:>14.2f}")
        won = ours.jaggedness < gauss.jaggedness
        wins += won
        print(f"  -> at equal width change, smooth is {'smoother' if won else 'NOT smoother'}"
              f" ({gauss.jaggedness / ours.jaggedness:.2f}x less jagged than the blur)")
    print(f"smooth beats the matched Gaussian blur at {wins}/{len(args.amounts)} amounts")
    return 0 if wins == len(args.amounts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
