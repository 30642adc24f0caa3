"""Gap closing on real hand-drawn line art, with breaks cut into it and the degradations users
bring (pencil-faint lines, aliased 1-px renders, JPEG, colour lines).

    python -m benchmarks.real [--folder DIR] [--gaps 40] [--seed 0] [--only NAMES]
                              [--pictures OUTDIR] [--max-gap 24]
                              [--sweep 0.3,0.4,0.5,0.6,0.7 [--at-false 2]] [--json OUT]
                              [--scale 2]

DIR defaults to Tux Paint's colouring-book starters (Debian's tuxpaint-data, GPL; used here to
measure, never shipped or trained on), or LINEREFINER_REAL_DIR; a second set of 37 hand-drawn
drawings comes from `bash benchmarks/handdrawn/make_set.sh OUT` (--folder OUT/set; see
benchmarks/handdrawn/build.py for its sources). Each drawing is composited on
white, its lines (benchmarks.metrics.line_map) are the truth, and `--gaps` breaks of 1-24 px are
cut across its strokes at seeded random places: a band across the local stroke direction.
Every variant of the drawing is scored with the same cuts, for ours and the baselines:
closure by length, false additions, stray additions per MP, and what each adds to the uncut
drawing (its natural breaks and openings stay as they are: added px/MP there is an upper bound
of false additions, not a verified gap-free number). `--pictures` writes input | ours in red |
fill regions per drawing and variant, so a person can look.

`--sweep` adds a row "ours @S" per sensitivity S, all selected from one analysis per drawing
(as the docker's live preview selects), and reports per variant the closure ours reaches at
`--at-false` percent false additions, read off between the two sweep settings around it. Two
verifiers (LINEREFINER_MODELS) are then compared at equal false additions, not at whatever
trade of closure against false additions each one's 0.5 happens to make.

`--scale F` measures the same drawings as a scan F times the resolution would show them: each
drawing is enlarged F times (cubic) before it is cut, the breaks are 1-24F px long, the max gap
is 24F px unless given, and the length bins are F times as long (scaled_bins). A break then
lies as far across the drawing as at F = 1, but its lines are F times as wide and the gap F
times as many px. An added px counts as false when it lies more than 3F px off the intact line
(3 px at F = 1: the same closure, drawn a little off a curve, is as false at every scale).

`--json OUT` writes each drawing's scores (pooled over the seeds) per variant and method, so
two runs on the same drawings and cuts (two verifiers) can be compared drawing by drawing:
`python -m benchmarks.real_compare A.json B.json` (a paired bootstrap over the drawings).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.baselines import endpoint_linking, morphological_closing
from benchmarks.metrics import FALSE_ADD_DISTANCE, GapScore, line_map, region_recovery
from krita_linerefiner.core.gaps import MAX_GAP_LIMIT
from krita_linerefiner.core.ink import ink_from_image

TUXPAINT_STARTERS = Path("/usr/share/tuxpaint/starters")
ENV_DIR = "LINEREFINER_REAL_DIR"
# Starters that are line art (the others are photos, maps, grids and frames).
LINE_ART = ("chicken", "frog", "hat", "jetplane", "rocket", "shipwreck", "street",
            "tux_farmer", "pansy", "nagasaki", "jigsaw", "carcassone")
VARIANTS = ("black", "pencil20", "aliased", "jpeg40", "colour")
# Measured on request (--variants), not by default, and never cut for training
# (training.gaps.realcuts draws from VARIANTS): "dust", the black lines with specks of scanner
# dust scattered over the page (DUST_PER_MP of 1-3 px, grey to black), as scans bring them.
# "scan": a pencil drawing photographed or scanned: lines at SCAN_PENCIL darkness with pencil
# grain, on grey paper with tooth (fine texture) and light falling off across the page, saved as
# JPEG at quality SCAN_JPEG.
EXTRA_VARIANTS = ("dust", "scan")
DUST_PER_MP = 400
SCAN_PENCIL = 0.35
SCAN_JPEG = 70
MAX_LENGTH = 24
# The length bins both tables report closure in (px).
BINS = ((1, 8), (9, 16), (17, 24))
# --scale: at most this (breaks of up to MAX_LENGTH * scale px within the 64 px max gap).
MAX_SCALE = MAX_GAP_LIMIT / MAX_LENGTH


def scaled_bins(scale: float) -> tuple[tuple[int, int], ...]:
    """BINS for drawings enlarged `scale` times (--scale): each bin's upper bound scaled, so a
    bin holds breaks of the same size relative to the drawing as at scale 1."""
    edges = [0] + [round(hi * scale) for _, hi in BINS]
    return tuple((lo + 1, hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True))


def enlarge(rgb: np.ndarray, scale: float) -> np.ndarray:
    """An RGB uint8 drawing `scale` times as large (cubic, as a scan at that resolution)."""
    if scale == 1:
        return rgb
    return cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def default_folder() -> Path:
    return Path(os.environ.get(ENV_DIR) or TUXPAINT_STARTERS)


def on_white(image: np.ndarray) -> np.ndarray:
    """An 8-bit image as cv2.imread(IMREAD_UNCHANGED) gives it (grey, BGR or BGRA), as BGR
    composited on white paper."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255
        return (image[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return image


def load_drawings(folder: Path, longest: int = 640) -> dict[str, np.ndarray]:
    """name -> RGB uint8 on white, scaled so its longest side is at most `longest`."""
    out = {}
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if folder == TUXPAINT_STARTERS or folder.name == "starters":
        files = [p for p in files if p.stem in LINE_ART]
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            continue
        image = on_white(image)
        scale = longest / max(image.shape[:2])
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        out[path.stem] = image[..., :3]
    return out


def touching_pieces(rest: np.ndarray, band: np.ndarray, min_piece: int = 3) -> int:
    """How many 8-connected pieces of `rest` (bool) of at least `min_piece` px touch `band`."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    near = cv2.dilate(band.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    touched = np.unique(labels[near & rest])
    return int(sum(1 for t in touched.tolist() if t and stats[t, cv2.CC_STAT_AREA] >= min_piece))


def cut_gaps(lines: np.ndarray, n: int, rng: np.random.Generator, max_length: int = MAX_LENGTH
             ) -> tuple[np.ndarray, np.ndarray]:
    """Labels (cut k = k) of n breaks of 1-`max_length` px across strokes, and their lengths
    along the stroke."""
    h, w = lines.shape
    labels = np.zeros((h, w), np.uint8)
    lengths = np.zeros(n, np.float32)
    gy = cv2.Sobel(cv2.GaussianBlur(lines.astype(np.float32), (0, 0), 2.0), cv2.CV_32F, 0, 1)
    gx = cv2.Sobel(cv2.GaussianBlur(lines.astype(np.float32), (0, 0), 2.0), cv2.CV_32F, 1, 0)
    # Structure tensor: the stroke runs across its strongest gradient.
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), 3.0)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), 3.0)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), 3.0)
    to_paper = cv2.distanceTransform(lines.astype(np.uint8), cv2.DIST_L2, 3)
    ys, xs = np.nonzero(lines & (to_paper >= 1))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    k = 0
    for _ in range(n * 20):
        if k == n or not len(ys):
            break
        i = int(rng.integers(len(ys)))
        cy, cx = int(ys[i]), int(xs[i])
        if cy < 20 or cx < 20 or cy >= h - 20 or cx >= w - 20:
            continue
        theta = 0.5 * np.arctan2(2 * jxy[cy, cx], jxx[cy, cx] - jyy[cy, cx])
        nx, ny = np.cos(theta), np.sin(theta)  # across the stroke
        tx, ty = -ny, nx  # along it
        length = int(rng.integers(1, max_length + 1))
        r = max(30, length // 2 + 6)  # 30 for every break up to 48 px
        y0, y1, x0, x1 = cy - r, cy + r + 1, cx - r, cx + r + 1
        along = (xx[y0:y1, x0:x1] - cx) * tx + (yy[y0:y1, x0:x1] - cy) * ty
        across = (xx[y0:y1, x0:x1] - cx) * nx + (yy[y0:y1, x0:x1] - cy) * ny
        width = 2 * float(to_paper[cy, cx])
        band = (np.abs(along) < length / 2) & (np.abs(across) <= width / 2 + 1.5)
        band &= lines[y0:y1, x0:x1]
        # Keep cuts apart, and away from junctions where the band would cut two strokes.
        # (Clamped: a negative start would wrap to the far side and miss a cut nearby.)
        if not band.any() or labels[max(y0 - 8, 0) : y1 + 8, max(x0 - 8, 0) : x1 + 8].any():
            continue
        pieces = cv2.connectedComponents(band.astype(np.uint8), connectivity=8)[0] - 1
        if pieces != 1:
            continue
        # A band that is one piece can still take out a junction (three or four strokes
        # meeting): then more than two pieces of line touch it. Only a break in one stroke,
        # two pieces, is kept (breaks at junctions are the realistic "junction" category).
        if touching_pieces(lines[y0:y1, x0:x1] & ~band, band) != 2:
            continue
        k += 1
        labels[y0:y1, x0:x1][band] = k
        lengths[k - 1] = length
    return labels, lengths[:k]


def erased(labels: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The pixels a cut paints white: its band and the band's soft edge one px around it,
    but no pixel of the rest of the line. Painting the band alone left the stroke's
    anti-aliased edges standing in the break as faint slivers, which real breaks (a pencil
    lifted, a stroke stopping short) do not have."""
    cut = (labels > 0).astype(np.uint8)
    grown = cv2.dilate(cut, np.ones((3, 3), np.uint8)).astype(bool)
    return grown & ~(truth & (labels == 0))


def degrade(rgb: np.ndarray, cut: np.ndarray, variant: str, rng: np.random.Generator
            ) -> np.ndarray:
    """The drawing with the cuts painted white, as `variant`; RGB uint8."""
    out = rgb.copy()
    out[cut] = 255
    if variant == "black":
        return out
    ink = ink_from_image(out[..., ::-1])
    if variant == "pencil20":
        grain = 1.0 - 0.3 * rng.random(ink.shape).astype(np.float32)
        grey = 1.0 - 0.2 * ink * grain
        return np.repeat((grey * 255).astype(np.uint8)[..., None], 3, axis=2)
    if variant == "aliased":
        binary = np.where(ink >= 0.5, 0, 255).astype(np.uint8)
        return np.repeat(binary[..., None], 3, axis=2)
    if variant == "jpeg40":
        return _as_jpeg(out, 40)
    if variant == "colour":
        colour = np.array([220, 30, 30] if rng.random() < 0.5 else [40, 70, 230], np.float32)
        mixed = 255 - ink[..., None] * (255 - colour)
        return np.clip(mixed, 0, 255).astype(np.uint8)
    if variant == "dust":
        return _dusted(out, rng)
    if variant == "scan":
        return _scanned(ink, rng)
    raise ValueError(f"unknown variant {variant!r}")


def _scanned(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`ink` as a scanned pencil drawing (the "scan" variant), RGB uint8: SCAN_PENCIL dark with
    grain (each px 60-100% of it), over paper 12-27% grey (lighter at the top left) with tooth
    (smoothed noise, 3% sigma), as JPEG at SCAN_JPEG. The same rng gives the same paper, so a
    drawing's cut and uncut pictures lie on the same sheet."""
    height, width = ink.shape
    grain = 1.0 - 0.4 * rng.random((height, width)).astype(np.float32)
    tooth = cv2.GaussianBlur(rng.normal(0.0, 1.0, (height, width)).astype(np.float32), (0, 0),
                             1.2)
    tooth *= 0.03 / (float(tooth.std()) + 1e-6)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    paper = np.clip(0.12 + 0.10 * xx / width + 0.05 * yy / height + tooth, 0.0, 1.0)
    total = 1.0 - (1.0 - paper) * (1.0 - SCAN_PENCIL * ink * grain)
    grey = np.repeat(np.rint((1.0 - total) * 255).astype(np.uint8)[..., None], 3, axis=2)
    return _as_jpeg(grey, SCAN_JPEG)


def _as_jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    """`rgb` (uint8) saved as JPEG at `quality` and read back, RGB; as it is if that fails."""
    ok, data = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else None
    return np.asarray(decoded)[..., ::-1] if decoded is not None else rgb


def _dusted(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`rgb` with DUST_PER_MP specks per MP at random places: 1, 2 or 3 px across (6:3:1),
    40-100% dark. The same rng gives the same specks, so a drawing's cut and uncut pictures
    carry the same dust."""
    height, width = rgb.shape[:2]
    count = int(round(DUST_PER_MP * height * width / 1e6))
    ys = rng.integers(0, height, count)
    xs = rng.integers(0, width, count)
    sizes = rng.choice([1, 2, 3], count, p=[0.6, 0.3, 0.1])
    darkness = rng.uniform(0.4, 1.0, count)
    dust = np.zeros((height, width), np.float32)
    for y, x, size, dark in zip(ys.tolist(), xs.tolist(), sizes.tolist(), darkness.tolist(),
                                strict=True):
        patch = dust[y : y + size, x : x + size]
        np.maximum(patch, np.float32(dark), out=patch)
        if size == 3:  # a round speck: the corners stay paper
            for dy, dx in ((0, 0), (0, 2), (2, 0), (2, 2)):
                if y + dy < height and x + dx < width:
                    dust[y + dy, x + dx] = 0.0
    out = rgb.astype(np.float32) * (1.0 - dust[..., None])
    return np.clip(out, 0, 255).round().astype(np.uint8)


Method = Callable[[np.ndarray], np.ndarray]


def methods(names: list[str] | None, max_gap: int, threads: int, sensitivity: float = 0.5
            ) -> dict[str, Method]:
    from krita_linerefiner.core.gaps import GapParams, close_gaps

    out: dict[str, Method] = {
        "morph closing k5": lambda ink: morphological_closing(ink, 5),
        "endpoint linking R6": lambda ink: endpoint_linking(ink, 6),
        "endpoint linking R14": lambda ink: endpoint_linking(ink, 14),
    }
    try:
        from krita_linerefiner.core.models import create_scorer

        scorer = create_scorer("verifier", threads=threads)
        params = GapParams(max_gap=max_gap, sensitivity=sensitivity)
        out["ours"] = lambda ink: close_gaps(ink, params, scorer=scorer).gaps
    except Exception as exc:  # no verifier: the baselines still run
        print(f"ours skipped: {exc}", file=sys.stderr)
    else:
        try:
            from krita_linerefiner.core.models import create_session

            dense = create_session("gaps", threads=threads)
            with_dense = GapParams(max_gap=max_gap, sensitivity=sensitivity, dense=True)
            # The docker's "Also the dense model" (CLI --dense): its strokes are added.
            out["ours + dense"] = lambda ink: close_gaps(ink, with_dense, session=dense,
                                                         scorer=scorer).gaps
        except Exception as exc:  # no dense model: ours without it still runs
            print(f"ours + dense skipped: {exc}", file=sys.stderr)
    if names:
        # A name that is a method's whole name picks that one ("ours" is not also "ours +
        # dense"); any other picks every method whose name contains it.
        out = {k: v for k, v in out.items()
               if any(n == k or (n not in out and n in k) for n in names)}
    return out


def sweep_methods(sensitivities: list[float], max_gap: int, threads: int
                  ) -> dict[str, Method]:
    """"ours @S" for each sensitivity S: the closures the live preview would select at S from one
    analysis of the drawing (made by the first of them to see it, at max gap `max_gap`)."""
    from krita_linerefiner.core.closures import GapAnalysis
    from krita_linerefiner.core.gaps import GapParams, close_gaps
    from krita_linerefiner.core.models import create_scorer
    from krita_linerefiner.core.preview import preview

    scorer = create_scorer("verifier", threads=threads)
    # The last few drawings' analyses, by the identity of the ink array (held, so an id is never
    # reused while it is here): each drawing's cut and uncut ink are asked for in turn.
    seen: list[tuple[np.ndarray, GapAnalysis | None]] = []

    def analysis_of(ink: np.ndarray) -> GapAnalysis | None:
        for known, analysis in seen:
            if known is ink:
                return analysis
        analysis = close_gaps(ink, GapParams(max_gap=max_gap), scorer=scorer).analysis
        seen.append((ink, analysis))
        del seen[:-2]
        return analysis

    def at(sensitivity: float) -> Method:
        params = GapParams(max_gap=max_gap, sensitivity=sensitivity)

        def method(ink: np.ndarray) -> np.ndarray:
            analysis = analysis_of(ink)
            if analysis is None:  # no lines: close_gaps analysed nothing
                return np.zeros_like(ink, np.float32)
            return preview(analysis, params, regions=False).gaps

        return method

    return {f"ours @{s:g}": at(s) for s in sensitivities}


def closure_at_false(rows: list[tuple[float, float]], at: float) -> float:
    """Closure at false-addition rate `at`, read linearly between the two (false, closure) rows
    around it; nan when no two rows lie either side of it (the sweep does not reach it)."""
    rows = sorted((f, c) for f, c in rows if np.isfinite(f) and np.isfinite(c))
    for (f0, c0), (f1, c1) in zip(rows, rows[1:], strict=False):
        if f0 <= at <= f1:
            return c0 if f1 == f0 else c0 + (c1 - c0) * (at - f0) / (f1 - f0)
    return float("nan")


def fill_picture(lines: np.ndarray, added: np.ndarray, seed: int = 1) -> np.ndarray:
    closed = lines | (added >= 0.5)
    n, regions_mat = cv2.connectedComponents((~closed).astype(np.uint8), connectivity=4)
    colours = np.random.default_rng(seed).integers(60, 255, (n, 3)).astype(np.uint8)
    out = colours[np.asarray(regions_mat, np.int32)]
    out[closed] = 0
    out[added >= 0.5] = (0, 0, 255)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--gaps", type=int, default=40, help="breaks cut per drawing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", default=None,
                        help="comma-separated seeds whose cuts are pooled (overrides --seed): "
                             "three seeds measure about 3x the breaks, so a one-gap change "
                             "moves a rate a third as much")
    parser.add_argument("--max-gap", type=int, default=None,
                        help=f"px (default {MAX_LENGTH}, times --scale)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help=f"enlarge each drawing this many times (1-{MAX_SCALE:.2f}) and "
                             "scale the breaks, max gap and bins with it")
    parser.add_argument("--sensitivity", type=float, default=0.5, help="ours: GapParams")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=None, help="comma-separated method name parts")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, of {', '.join(VARIANTS + EXTRA_VARIANTS)} "
                             f"(default: all but {', '.join(EXTRA_VARIANTS)})")
    parser.add_argument("--pictures", type=Path, default=None)
    parser.add_argument("--sweep", default=None,
                        help="comma-separated sensitivities: a row 'ours @S' each, from one "
                             "analysis per drawing")
    parser.add_argument("--at-false", type=float, default=2.0,
                        help="--sweep: report closure at this false-addition rate (percent)")
    parser.add_argument("--json", type=Path, default=None,
                        help="write each drawing's scores per variant and method here")
    args = parser.parse_args(argv)
    cv2.setNumThreads(args.threads)
    if not 1.0 <= args.scale <= MAX_SCALE:
        print(f"error: --scale must be between 1 and {MAX_SCALE:.2f}", file=sys.stderr)
        return 2
    bins = scaled_bins(args.scale)
    max_length = bins[-1][1]
    if args.max_gap is None:
        args.max_gap = max_length
    folder = args.folder or default_folder()
    if not folder.is_dir():
        print(f"no drawings at {folder}: install tuxpaint-data, or pass --folder / set "
              f"{ENV_DIR}", file=sys.stderr)
        return 2
    sweep = [float(x) for x in args.sweep.split(",")] if args.sweep else []
    if not all(0.0 <= x <= 1.0 for x in sweep):
        print("error: --sweep sensitivities must be between 0 and 1", file=sys.stderr)
        return 2
    drawings = {name: enlarge(rgb, args.scale) for name, rgb in load_drawings(folder).items()}
    chosen = methods(args.only.split(",") if args.only else None, args.max_gap, args.threads,
                     args.sensitivity)
    if sweep:
        try:
            chosen.update(sweep_methods(sweep, args.max_gap, args.threads))
        except Exception as exc:
            print(f"error: --sweep needs the verifier: {exc}", file=sys.stderr)
            return 2
    variants = [v for v in args.variants.split(",") if v]
    scores = {(v, m): GapScore() for v in variants for m in chosen}
    # Each drawing's own scores, pooled over the seeds (--json).
    per_drawing: dict[tuple[str, str], dict[str, GapScore]] = {key: {} for key in scores}
    if args.pictures:
        args.pictures.mkdir(parents=True, exist_ok=True)
    print(f"{len(drawings)} drawings from {folder}"
          f"{f' enlarged {args.scale:g} times' if args.scale != 1 else ''}; {args.gaps} cuts "
          f"each of 1-{max_length} px; variants {', '.join(variants)}; max gap {args.max_gap}")
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed]
    # Per variant: the intact drawings' regions that the uncut degraded ones keep unaided.
    kept = {variant: [0, 0] for variant in variants}
    for index, (name, rgb) in enumerate(drawings.items()):
        truth = line_map(ink_from_image(rgb[..., ::-1]))
        target = truth.astype(np.float32)
        # The uncut drawing is the same for every seed: made and measured once per variant.
        uncut: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for variant in variants:
            picture = degrade(rgb, np.zeros_like(truth, bool), variant,
                              np.random.default_rng(index))
            uncut_ink = ink_from_image(picture[..., ::-1])
            uncut[variant] = (uncut_ink, line_map(uncut_ink))
            rec, tot = region_recovery(uncut[variant][1], target)
            kept[variant][0] += rec
            kept[variant][1] += tot
        for seed in seeds:
            labels, lengths = cut_gaps(truth, args.gaps, np.random.default_rng(seed * 1000 + index),
                                       max_length)
            for variant in variants:
                picture = degrade(rgb, erased(labels, truth), variant,
                                  np.random.default_rng(index))
                ink = ink_from_image(picture[..., ::-1])
                lines = line_map(ink)
                for method_name, method in chosen.items():
                    start = time.perf_counter()
                    added = method(ink)
                    one = GapScore(seconds=time.perf_counter() - start)
                    one.add_gapped(ink, added, target, labels, lengths, lines=lines,
                                   false_distance=FALSE_ADD_DISTANCE * args.scale)
                    if seed == seeds[0]:
                        uncut_ink, uncut_lines = uncut[variant]
                        one.add_gap_free(uncut_lines.astype(np.float32), method(uncut_ink),
                                         lines=uncut_lines, intact=truth)
                    scores[(variant, method_name)].merge(one)
                    per_drawing[(variant, method_name)].setdefault(name, GapScore()).merge(one)
                    if args.pictures and method_name == "ours" and seed == seeds[0]:
                        row = np.concatenate([picture[..., ::-1], fill_picture(lines, added)], 1)
                        cv2.imwrite(str(args.pictures / f"{name}_{variant}.png"), row)
            print(f"  {name}, seed {seed}: {len(lengths)} cuts", flush=True)
    heads = " | ".join(f"{lo}-{hi}" if lo > 1 else f"<={hi}" for lo, hi in bins)
    print(f"\n| variant | method | {heads} | false-add % | stray px/MP | uncut added px/MP "
          "| uncut regions % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (variant, method_name), score in scores.items():
        r = score.summary()
        closure = " | ".join(f"{100 * score.closure_rate(lo, hi):.1f}" for lo, hi in bins)
        print(f"| {variant} | {method_name} | {closure} | "
              f"{100 * score.false_addition_rate:.1f} | {score.stray_per_mp:.1f} | "
              f"{float(r['added_px_per_mp_gap_free']):.1f} | "
              f"{100 * score.gap_free_region_rate:.1f} |")
    print("\nuncut regions %: of the intact drawings' paper regions, those a fill of the uncut "
          "degraded drawing keeps (benchmarks.metrics.region_recovery); unaided: "
          + ", ".join(f"{variant} {100 * rec / tot if tot else float('nan'):.1f}% of {tot}"
                      for variant, (rec, tot) in kept.items()))
    print("\nthe breaks a fill leaks through (benchmarks.metrics.gap_leaks), closure and count "
          "per bin\n")
    print(f"| variant | method | {heads} | breaks that leak, of all |")
    print("|---|---|---|---|---|---|")
    for (variant, method_name), score in scores.items():
        closure = " | ".join(f"{100 * score.closure_rate(lo, hi, True):.1f} "
                             f"({score.gap_count(lo, hi, True)})" for lo, hi in bins)
        print(f"| {variant} | {method_name} | {closure} | {sum(score.leaking)} of "
              f"{len(score.closures)} |")
    if sweep:
        for leaking_only in (False, True):
            print(f"\nclosure {'of the breaks that leak ' if leaking_only else ''}at "
                  f"{args.at_false:g}% false additions (read between the sweep's settings; "
                  "nan: the sweep does not reach it)\n")
            print(f"| variant | {heads} |")
            print("|---|---|---|---|")
            for variant in variants:
                swept = [scores[(variant, f"ours @{x:g}")] for x in sweep]
                cells = [closure_at_false(
                    [(100 * sc.false_addition_rate, 100 * sc.closure_rate(lo, hi, leaking_only))
                     for sc in swept], args.at_false) for lo, hi in bins]
                print(f"| {variant} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    if args.json:
        write_scores(args.json, per_drawing, folder, seeds, args.gaps, args.max_gap, args.scale)
        print(f"\nper-drawing scores: {args.json}")
    return 0


def write_scores(path: Path, per_drawing: dict[tuple[str, str], dict[str, GapScore]],
                 folder: Path, seeds: list[int], gaps: int, max_gap: int,
                 scale: float = 1.0) -> None:
    """{"run": what was cut, "scores": {variant: {method: {drawing: GapScore fields}}}}."""
    out: dict[str, dict[str, dict[str, dict]]] = {}
    for (variant, method_name), drawings in per_drawing.items():
        out.setdefault(variant, {})[method_name] = {
            name: dataclasses.asdict(score) for name, score in drawings.items()}
    run = {"folder": str(folder), "seeds": seeds, "gaps": gaps, "max_gap": max_gap,
           "scale": scale, "models": os.environ.get("LINEREFINER_MODELS", "models")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run": run, "scores": out}))


def read_scores(path: Path) -> tuple[dict, dict[str, dict[str, dict[str, GapScore]]]]:
    """(run, {variant: {method: {drawing: GapScore}}}) as write_scores wrote them (a run
    written before --scale existed reads as scale 1)."""
    data = json.loads(path.read_text())
    data["run"].setdefault("scale", 1.0)
    scores = {variant: {method_name: {name: _score(fields) for name, fields in drawings.items()}
                        for method_name, drawings in methods.items()}
              for variant, methods in data["scores"].items()}
    return data["run"], scores


def _score(fields: dict[str, Any]) -> GapScore:
    score = GapScore(**{k: v for k, v in fields.items() if k != "closures"})
    score.closures = [(float(length), bool(ok)) for length, ok in fields["closures"]]
    return score


if __name__ == "__main__":
    sys.exit(main())
