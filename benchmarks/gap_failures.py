"""Why the gaps our closing leaves open stay open, per realistic category.

    python -m benchmarks.gap_failures [--categories all] [--per-category 20] [--pictures DIR]

For every measurable gap the benchmark counts as not closed, the first reason that applies:
- no end: no stroke end (core.candidates.find_ends) within reach of the cut;
- no candidate: ends, but no candidate bridge crosses the cut;
- low score: a crossing candidate, none scored above the threshold (a short break counts as
  sure, as `closures.select` takes it);
- taken: a crossing candidate above the threshold, but its end went to another bridge;
- drawn, not joined: a crossing candidate was accepted, yet the benchmark's pieces stay apart
  (the closure was dropped as joining nothing, or drawn beside the pieces, or the gap needs
  two bridges, as a break across an X crossing does, and only one was accepted).
"Crossing" is approximate (a straight bridge mostly inside the cut grown by 3 px); for low
scores it also prints whether training.gaps.verifier_data labels such a bridge positive.
And for every false addition (added pixels far from any true line) the candidate kind that
drew it, and the stray strokes (`benchmarks.metrics.stray_mask`: added strokes that join no two
lines of the benchmark's line map) with their pixels. `--pictures DIR` writes, per unclosed gap,
input | lines+ends+candidates | target; per false addition the same; per stray stroke, input |
our line map with the closures in red | the benchmark's line map with the stroke in red and the
joining closures in blue (a stroke the two maps read differently shows there).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from benchmarks.metrics import INK, gap_closure, gap_leaks, line_map, stray_mask

REASONS = ("no end", "no candidate", "low score", "taken", "drawn, not joined")
KINDS = ("end-end", "nearest", "ahead")


def crossing(cands, reach: np.ndarray) -> np.ndarray:
    """Candidates whose straight bridge runs mostly through the cut grown by a few px, with
    both ends near it: the bridges that would close this gap."""
    if not len(cands):
        return np.zeros(0, bool)
    h, w = reach.shape
    t = np.linspace(0.0, 1.0, 11)[None, :, None]
    pts = cands.start[:, None, :] + t * (cands.stop - cands.start)[:, None, :]
    iy = np.rint(pts[..., 0]).astype(int).clip(0, h - 1)
    ix = np.rint(pts[..., 1]).astype(int).clip(0, w - 1)
    inside = reach[iy, ix]
    return (inside.mean(axis=1) >= 0.6) & inside[:, 0] & inside[:, -1]


def real_data(folder: Path, variant: str, gaps: int, seed: int, scale: float = 1.0
              ) -> dict[str, list]:
    """benchmarks.real's cut drawings in one variant, as make_category's arrays (lists);
    `scale`: enlarged as benchmarks.real --scale enlarges them, breaks as long."""
    from benchmarks.metrics import line_map
    from benchmarks.real import MAX_LENGTH, cut_gaps, degrade, enlarge, erased, load_drawings
    from krita_linerefiner.core.ink import ink_from_image

    out: dict[str, list] = {"ink": [], "target": [], "gap_labels": [], "gap_lengths": [],
                            "rgb": []}
    for index, (_, small) in enumerate(load_drawings(folder).items()):
        rgb = enlarge(small, scale)
        rng = np.random.default_rng(seed * 1000 + index)
        truth = line_map(ink_from_image(rgb[..., ::-1]))
        labels, lengths = cut_gaps(truth, gaps, rng, round(MAX_LENGTH * scale))
        picture = degrade(rgb, erased(labels, truth), variant, np.random.default_rng(index))
        ink = ink_from_image(picture[..., ::-1])
        out["ink"].append(np.clip(np.rint(ink * 255), 0, 255).astype(np.uint8))
        out["target"].append(truth.astype(np.uint8) * 255)
        out["gap_labels"].append(labels)
        out["gap_lengths"].append(lengths)
        out["rgb"].append(picture)
    return out


def diagnose(category: str, data, scorer, params, pictures: Path | None,
             leaking_only: bool = False) -> tuple[Counter, Counter, Counter, int, list[int]]:
    from krita_linerefiner.core.closures import selectable, selection_probability
    from krita_linerefiner.core.gaps import close_gaps, first_tier
    from training.gaps.verifier_data import label_candidates

    reasons: Counter = Counter()
    false_kinds: Counter = Counter()
    lengths: Counter = Counter()
    measured = 0
    low_labels: Counter = Counter()
    strays: list[int] = []
    for i in range(len(data["ink"])):
        ink = data["ink"][i].astype(np.float32) / 255.0
        target = data["target"][i] >= 128
        labels = data["gap_labels"][i]
        size_y, size_x = labels.shape
        result = close_gaps(ink, params, scorer=scorer)
        an = result.analysis
        lines = an.lines.line if an is not None else ink >= INK
        closed = lines | (result.gaps >= INK)
        ids = [k for k in range(1, int(labels.max()) + 1) if (labels == k).any()]
        if leaking_only:
            leaks = gap_leaks(target.astype(np.float32), labels)
            ids = [k for k in ids if leaks.get(k, False)]
        drawing_labels = None
        # As closures_of selects them: bridges drawn to nothing give their ends back.
        accepted = (first_tier(an, params)[0] if an is not None else np.zeros(0, np.int64))
        acc_mask = np.zeros(len(an.candidates) if an is not None else 0, bool)
        acc_mask[accepted] = True
        # The probability select goes by: short breaks count as sure whatever the verifier says.
        score = selection_probability(an)[1] if an is not None else np.zeros(0, np.float32)
        for k in ids:
            cut = labels == k
            ys, xs = np.nonzero(cut)
            if ys.min() == 0 or xs.min() == 0 or ys.max() == size_y - 1 or xs.max() == size_x - 1:
                continue
            # gap_closure leaves out cuts with no two pieces; match rows by re-running per gap.
            one = gap_closure(closed, target.astype(np.float32), cut.astype(np.uint8),
                              np.array([data["gap_lengths"][i][k - 1]]))
            if not one:
                continue
            measured += 1
            length, ok = one[0]
            if ok:
                continue
            lengths[_bin(length)] += 1
            reach = cv2.dilate(cut.view(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
            if an is None:
                reasons["no end"] += 1
                continue
            tips = np.rint(an.ends.tip).astype(int)
            near_end = len(tips) and reach[tips[:, 0].clip(0, size_y - 1),
                                           tips[:, 1].clip(0, size_x - 1)].any()
            # Candidates too long for the max gap are not scored (core.gaps.analyse_gaps).
            cross = crossing(an.candidates, reach) & selectable(an.candidates, params.max_gap,
                                                                an.whole)
            if not near_end:
                reason = "no end"
            elif not cross.any():
                reason = "no candidate"
            elif not (score[cross] >= params.threshold).any():
                reason = "low score"
                if drawing_labels is None:  # the training rule's labels, once per drawing
                    drawing_labels = label_candidates(an.candidates, target.astype(np.float32),
                                                      labels, an.lines.line)
                low_labels["positive" if drawing_labels[cross].any() else "negative"] += 1
            elif not acc_mask[cross].any():
                reason = "taken"
            else:
                reason = "drawn, not joined"
            reasons[reason] += 1
            if pictures is not None:
                _picture(pictures, f"{category}_{i:02d}_{k:02d}_{reason.replace(' ', '_')}"
                         f"_{round(length)}px",
                         data["rgb"][i], an, cut, target, result.gaps, params.max_gap)
        strays += _strays(category, i, ink, result.gaps, lines, data["rgb"][i], pictures)
        if an is not None and len(accepted):
            far = _far(result.gaps >= INK, lines, target)
            for k in accepted.tolist():
                kind = KINDS[int(an.candidates.kind[k])]
                a, b = an.candidates.start[k], an.candidates.stop[k]
                mid = np.rint((a + b) / 2).astype(int).clip(0, [size_y - 1, size_x - 1])
                if far[mid[0], mid[1]]:
                    false_kinds[kind] += 1
                    if pictures is not None:
                        spot = np.zeros_like(labels, dtype=bool)
                        spot[mid[0], mid[1]] = True
                        _picture(pictures, f"false_{category}_{i:02d}_{k:03d}_{kind}",
                                 data["rgb"][i], an, spot, target, result.gaps,
                                 params.max_gap)
    print(f"  {category}: labels of the low-score crossing candidates: {dict(low_labels)}")
    return reasons, false_kinds, lengths, measured, strays


def _strays(category: str, i: int, ink: np.ndarray, gaps: np.ndarray, ours: np.ndarray,
            rgb: np.ndarray, pictures: Path | None) -> list[int]:
    """Pixels of each stray stroke in one drawing; with `pictures`, one crop per stroke."""
    bench = line_map(ink)
    new = (gaps >= INK) & ~bench
    stray = stray_mask(bench, new)
    n, labels, stats, centres = cv2.connectedComponentsWithStats(stray.view(np.uint8),
                                                                 connectivity=8)
    if pictures is not None:
        for k in range(1, n):
            cx, cy = (int(v) for v in centres[k])
            window = _window(cy, cx, 16, ink.shape)
            mid = np.where(ours[window][..., None], 0, 255).astype(np.uint8).repeat(3, axis=2)
            mid[(gaps[window] >= INK) & ~ours[window]] = (255, 0, 0)
            right = np.where(bench[window][..., None], 0, 255).astype(np.uint8).repeat(3, axis=2)
            right[new[window]] = (0, 0, 255)
            right[labels[window] == k] = (255, 0, 0)
            _save(pictures, f"stray_{category}_{i:02d}_{k:03d}_{stats[k, 4]}px",
                  [_enlarge(p, 8) for p in (rgb[window], mid, right)])
    return [int(v) for v in stats[1:, cv2.CC_STAT_AREA]]


def _bin(length: float) -> str:
    return "<=8" if length < 8.5 else "9-32" if length < 32.5 else ">32"


def _far(new: np.ndarray, lines: np.ndarray, target: np.ndarray) -> np.ndarray:
    dist = cv2.distanceTransform((~target).view(np.uint8), cv2.DIST_L2, 3)
    far = new & ~lines & (dist > 2.0)
    return cv2.dilate(far.view(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


def _window(cy: int, cx: int, r: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The crop of up to 2r x 2r px around (cy, cx) that lies inside an image of `shape`."""
    return (slice(max(0, cy - r), min(shape[0], cy + r)),
            slice(max(0, cx - r), min(shape[1], cx + r)))


def _enlarge(panel: np.ndarray, scale: int) -> np.ndarray:
    return cv2.resize(panel, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def _save(out: Path, name: str, panels: list[np.ndarray]) -> None:
    """RGB panels of one height side by side, 4 px of white between them, as OUT/NAME.png."""
    sep = np.full((panels[0].shape[0], 4, 3), 255, np.uint8)
    parts = [part for panel in panels for part in (sep, panel)][1:]
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / f"{name}.png"), np.concatenate(parts, axis=1)[..., ::-1])


def _picture(out: Path, name: str, rgb: np.ndarray, an, cut: np.ndarray, target: np.ndarray,
             gaps: np.ndarray, max_gap: int) -> None:
    from krita_linerefiner.core.closures import selectable

    ys, xs = np.nonzero(cut)
    rows, cols = _window(int(ys.mean()), int(xs.mean()), 28, cut.shape)
    y0, y1, x0, x1 = rows.start, rows.stop, cols.start, cols.stop
    scale = 6
    panel_in = rgb[y0:y1, x0:x1].copy()
    line = an.lines.line[y0:y1, x0:x1]
    mid = np.where(line[..., None], 80, 255).astype(np.uint8).repeat(3, axis=2)
    mid[an.lines.skeleton[y0:y1, x0:x1]] = (0, 0, 0)
    mid[cut[y0:y1, x0:x1] & ~line] = (120, 220, 120)
    mid[(gaps[y0:y1, x0:x1] >= INK) & ~line] = (255, 0, 0)  # closures over the cut's green
    tgt = np.where(target[y0:y1, x0:x1, None], 0, 255).astype(np.uint8).repeat(3, axis=2)
    panels = [_enlarge(p, scale) for p in (panel_in, mid, tgt)]
    mid_big = panels[1]
    off = np.array([y0, x0], float)
    for k in np.nonzero(selectable(an.candidates, max_gap, an.whole))[0]:  # the selectable ones
        a = (an.candidates.start[k] - off) * scale + scale / 2
        b = (an.candidates.stop[k] - off) * scale + scale / 2
        if not (0 <= a[0] < mid_big.shape[0] and 0 <= a[1] < mid_big.shape[1]):
            continue
        p = float(an.probability[k])
        colour = (0, int(255 * p), int(255 * (1 - p)))
        cv2.line(mid_big, (int(a[1]), int(a[0])), (int(b[1]), int(b[0])), colour, 1, cv2.LINE_AA)
        cv2.putText(mid_big, f"{p:.2f}", (int((a[1] + b[1]) / 2), int((a[0] + b[0]) / 2)),
                    cv2.FONT_HERSHEY_PLAIN, 0.7, colour, 1)
    for t, d in zip(an.ends.tip, an.ends.direction, strict=True):
        p = (t - off) * scale + scale / 2
        q = p + d * 12
        if 0 <= p[0] < mid_big.shape[0] and 0 <= p[1] < mid_big.shape[1]:
            cv2.circle(mid_big, (int(p[1]), int(p[0])), 4, (255, 0, 255), 1)
            cv2.line(mid_big, (int(p[1]), int(p[0])), (int(q[1]), int(q[0])), (255, 0, 255), 1)
    _save(out, name, panels)  # mid_big is panels[1], drawn on in place


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--categories", default="all")
    parser.add_argument("--per-category", type=int, default=20)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sensitivity", type=float, default=0.5)
    parser.add_argument("--max-gap", type=int, default=24)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pictures", type=Path)
    parser.add_argument("--real", type=Path, help="diagnose benchmarks.real's cut drawings in "
                        "this folder instead (--categories: its variants, e.g. black,pencil20)")
    parser.add_argument("--gaps", type=int, default=30, help="--real: cuts per drawing")
    parser.add_argument("--scale", type=float, default=1.0, help="--real: the drawings "
                        "enlarged this many times, as benchmarks.real --scale (breaks as long)")
    parser.add_argument("--data", type=Path, help="diagnose this data set's --split instead "
                        "(benchmarks.gaps --data); --per-category: how many images")
    parser.add_argument("--split", default="test")
    parser.add_argument("--leaking", action="store_true",
                        help="only the breaks a fill leaks through (benchmarks.metrics.gap_leaks)")
    args = parser.parse_args(argv)
    from krita_linerefiner.core.gaps import GapParams
    from krita_linerefiner.core.models import create_scorer
    from training.gaps.realistic import CATEGORIES, make_category

    if args.data is not None:
        cats = ["data"]
    elif args.real is not None:
        cats = ["black"] if args.categories == "all" else args.categories.split(",")
    else:
        cats = list(CATEGORIES) if args.categories == "all" else args.categories.split(",")
    scorer = create_scorer("verifier", threads=args.threads)
    params = GapParams(sensitivity=args.sensitivity, max_gap=args.max_gap)
    print(f"| category | gaps | open | {' | '.join(REASONS)} | open by length "
          "| false adds by kind | stray strokes (px) |")
    print("|---" * (6 + len(REASONS)) + "|")
    for cat in cats:
        if args.data is not None:
            from benchmarks.gaps import load_data

            data = load_data(args.data, args.split, args.per_category)
            data["rgb"] = np.repeat((255 - data["ink"])[..., None], 3, axis=3)
        elif args.real is not None:
            data = real_data(args.real, cat, args.gaps, args.seed, args.scale)
        else:
            data = make_category(cat, args.per_category, args.seed, args.size)
        reasons, false_kinds, lengths, measured, strays = diagnose(cat, data, scorer, params,
                                                                   args.pictures, args.leaking)
        open_n = sum(reasons.values())
        cells = " | ".join(str(reasons.get(r, 0)) for r in REASONS)
        by_len = ", ".join(f"{k} {v}" for k, v in sorted(lengths.items()))
        fk = ", ".join(f"{k} {v}" for k, v in sorted(false_kinds.items()))
        print(f"| {cat} | {measured} | {open_n} | {cells} | {by_len} | {fk} "
              f"| {len(strays)} ({sum(strays)}) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
