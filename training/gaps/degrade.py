"""Cut gaps into clean line art: the input/target pairs the gap-closing model learns from.

A gap is a band across a stroke, straight or oblique, that removes the whole stroke width (and a
little more). Most bands are kept only where they make a flood fill leak, i.e. where the number
of paper regions drops, because those are the gaps a user needs closed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class DegradeParams:
    gaps_per_192: tuple[int, int] = (2, 8)  # gaps per 192x192 of area, inclusive range
    length: tuple[float, float] = (1.0, 16.0)  # px along the stroke
    short_bias: float = 1.3  # Beta(1, b) shape: > 1 slightly favours short gaps
    merge_share: float = 0.8  # share of gaps that must make a fill leak
    oblique_share: float = 0.4
    max_oblique_deg: float = 50.0
    junction_share: float = 0.25  # candidates drawn from low-coherence points: corners, T, X
    margin: tuple[float, float] = (1.0, 2.5)  # px cut beyond the stroke edge
    border: int = 6  # no gap centre closer to the crop edge than this
    spacing: int = 3  # px kept between two gaps
    candidates_per_gap: int = 10
    paper_threshold: float = 0.5  # ink below this is paper for the leak test
    cut_threshold: float = 0.02  # ink above this inside a band is removed
    specks_per_192: float = 3.0  # Poisson mean
    speck_radius: tuple[float, float] = (0.5, 1.8)
    leak_window: int = 3  # px around a band for the local leak test


@dataclass(frozen=True)
class Degraded:
    ink: np.ndarray  # (H, W) float32: clean with gaps cut and specks added
    target: np.ndarray  # (H, W) float32: the clean drawing
    gap_labels: np.ndarray  # (H, W) int32: k > 0 where gap k removed ink
    gap_lengths: np.ndarray  # (G,) float32: length of gap k along the stroke at index k-1
    gap_merges: np.ndarray  # (G,) bool: gap k made two paper regions one


def _paper_regions(ink: np.ndarray, threshold: float) -> int:
    paper = (ink < threshold).astype(np.uint8)
    # 4-connectivity: a flood fill leaks only through a gap a 4-connected fill can pass.
    n, _ = cv2.connectedComponents(paper, connectivity=4)
    return int(n)


def _orientation(clean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stroke tangent angle and coherence from the smoothed structure tensor. At the centre line
    the gradient vanishes, but the tensor averaged over the stroke width still points across it."""
    g = cv2.GaussianBlur(clean, (0, 0), 1.0)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), 2.5)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), 2.5)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), 2.5)
    normal = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy + 1e-6)
    return normal + np.pi / 2, coherence


def _sample_length(rng: np.random.Generator, params: DegradeParams) -> float:
    lo, hi = params.length
    return float(lo + (hi - lo) * rng.beta(1.0, params.short_bias))


def _band(shape: tuple[int, int], y: int, x: int, tangent: float, length: float, half_width: float,
          oblique: float) -> tuple[tuple[slice, slice], np.ndarray]:
    """Pixels of a band of `length` along the stroke, rotated by `oblique` from perpendicular,
    long enough to cover `half_width` on both sides. Returns the window and its mask."""
    cos_o = np.cos(oblique)
    reach = half_width / cos_o  # along the band's axis
    thick = length * cos_o / 2.0 + 0.35  # +0.35: a 1 px band must stay 4-connected when diagonal
    r = int(np.ceil(max(reach, thick / cos_o) + 2))
    y0, y1 = max(0, y - r), min(shape[0], y + r + 1)
    x0, x1 = max(0, x - r), min(shape[1], x + r + 1)
    yy, xx = np.mgrid[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)
    across = tangent + oblique  # thickness direction: the tangent, turned with the band
    tx, ty = np.cos(across), np.sin(across)
    u = xx * tx + yy * ty
    v = -xx * ty + yy * tx
    return (slice(y0, y1), slice(x0, x1)), (np.abs(u) <= thick) & (np.abs(v) <= reach)


def _draw_specks(shape: tuple[int, int], rng: np.random.Generator,
                 params: DegradeParams) -> np.ndarray:
    h, w = shape
    n = int(rng.poisson(params.specks_per_192 * h * w / 192**2))
    layer = np.zeros((h * 4, w * 4), np.uint8)  # 4x for sub-pixel dots
    for _ in range(n):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        rad = rng.uniform(*params.speck_radius)
        level = int(rng.integers(120, 256))
        if rng.random() < 0.7:
            cv2.circle(layer, (int(cx * 4), int(cy * 4)), max(1, int(rad * 4)), level, -1)
        else:  # a short scratch
            a = rng.uniform(0, np.pi)
            d = rng.uniform(1.5, 5) * 4
            p0 = (int(cx * 4 - np.cos(a) * d), int(cy * 4 - np.sin(a) * d))
            p1 = (int(cx * 4 + np.cos(a) * d), int(cy * 4 + np.sin(a) * d))
            cv2.line(layer, p0, p1, level, max(1, int(rad * 3)))
    return cv2.resize(layer.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)


def degrade(clean: np.ndarray, rng: np.random.Generator,
            params: DegradeParams = DegradeParams()) -> Degraded:
    clean = np.asarray(clean, np.float32)
    h, w = clean.shape
    ink = clean.copy()
    labels = np.zeros((h, w), np.int32)
    lengths: list[float] = []
    merges: list[bool] = []

    solid = (clean >= params.paper_threshold).astype(np.uint8)
    dist = cv2.distanceTransform(solid, cv2.DIST_L2, 3)
    ridge = (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8)) - 1e-3) & (solid > 0)
    b = params.border
    ridge[:b, :] = False
    ridge[-b:, :] = False
    ridge[:, :b] = False
    ridge[:, -b:] = False
    ys, xs = np.nonzero(ridge)

    area = h * w / 192**2
    n_gaps = max(1, round(int(rng.integers(params.gaps_per_192[0], params.gaps_per_192[1] + 1))
                          * area))
    n_merge = int(rng.binomial(n_gaps, params.merge_share))
    n_other = n_gaps - n_merge
    if len(ys) > 0:
        tangent, coherence = _orientation(clean)
        n_cand = n_gaps * params.candidates_per_gap
        junction = coherence[ys, xs] < 0.5
        weights = np.where(junction, params.junction_share / max(1, junction.sum()),
                           (1 - params.junction_share) / max(1, (~junction).sum()))
        weights = weights / weights.sum()
        picks = rng.choice(len(ys), size=min(n_cand, len(ys)), replace=False, p=weights)
        regions = _paper_regions(ink, params.paper_threshold)
        taken = np.zeros((h, w), np.uint8)  # gaps plus spacing: bands must not touch
        for i in picks:
            if n_merge == 0 and n_other == 0:
                break
            y, x = int(ys[i]), int(xs[i])
            if taken[y, x]:
                continue
            length = _sample_length(rng, params)
            oblique = 0.0
            if rng.random() < params.oblique_share:
                oblique = float(np.deg2rad(rng.uniform(15, params.max_oblique_deg))
                                * rng.choice([-1.0, 1.0]))
            half_width = float(dist[y, x]) + float(rng.uniform(*params.margin))
            win, band = _band((h, w), y, x, float(tangent[y, x]), length, half_width, oblique)
            cut = band & (ink[win] > params.cut_threshold)
            if not cut.any() or (taken[win][cut]).any():
                continue
            before = ink[win].copy()
            # A leak in the crop implies a leak in a window around the cut, so the cheap local
            # test screens candidates and the whole crop is counted only for local leaks.
            (wy, wx), r = win, params.leak_window
            local = (slice(max(0, wy.start - r), min(h, wy.stop + r)),
                     slice(max(0, wx.start - r), min(w, wx.stop + r)))
            local_before = _paper_regions(ink[local], params.paper_threshold)
            ink[win][cut] = 0.0
            merged = _paper_regions(ink[local], params.paper_threshold) < local_before
            after_regions = regions
            if merged:
                after_regions = _paper_regions(ink, params.paper_threshold)
                merged = after_regions < regions
            if (merged and n_merge > 0) or (not merged and n_other > 0):
                if not merged:
                    # A cut can also add an enclosed paper speck; keep the count exact.
                    after_regions = _paper_regions(ink, params.paper_threshold)
                regions = after_regions
                if merged:
                    n_merge -= 1
                else:
                    n_other -= 1
                labels[win][cut] = len(lengths) + 1
                lengths.append(length)
                merges.append(merged)
                kernel = np.ones((2 * params.spacing + 1,) * 2, np.uint8)
                grown = np.asarray(cv2.dilate(cut.astype(np.uint8), kernel), np.uint8)
                taken[win] |= grown
            else:
                ink[win] = before

    specks = _draw_specks((h, w), rng, params)
    # Specks stay off the gaps (and a little around them): a dot inside a gap would make the
    # label ambiguous, and "ink never where a gap was cut" is the invariant the tests rely on.
    near_gap = cv2.dilate((labels > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    specks[near_gap] = 0.0
    ink = np.maximum(ink, specks)
    return Degraded(ink=ink, target=clean, gap_labels=labels,
                    gap_lengths=np.asarray(lengths, np.float32),
                    gap_merges=np.asarray(merges, bool))
