"""Two benchmarks.real runs on the same drawings and cuts, compared drawing by drawing.

    python -m benchmarks.real_compare A.json B.json [--pair A2.json B2.json ...]
                                      [--at-false 2] [--resamples 2000] [--seed 0]
                                      [--leaking] [--far-per-mp]

Each run is `python -m benchmarks.real --seeds 0,1,2 --only sweep --sweep 0.1,...,0.8 --json
X.json` with its own verifier (LINEREFINER_MODELS), on the same drawings, seeds and cut count.
Per variant and length bin it prints each run's closure at `--at-false` percent false additions
(read between the sweep's settings, as benchmarks.real does; where a sweep does not reach it,
at the nearest rate both reach: common_rate), B minus A, and a paired bootstrap over the
drawings: the drawings are drawn with replacement, the same draw for both runs, each run's sweep
is pooled over the drawn ones and read off again at that draw's common rate. Reported: the 5th
and 95th percentiles of B - A over the draws and the share of draws in which B closes more. A
dozen drawings carry most of the uncertainty of a comparison (a few faces or a stipple decide
the false additions); a difference whose interval holds 0 is one these drawings cannot tell
apart. Draws where the two sweeps' ranges of false additions do not meet are left out (counted).

`--pair A2.json B2.json` adds the same two verifiers' runs on another set of drawings (the
hand-drawn set beside Tux Paint's, say): the drawings of all pairs are pooled into one set, read
off together and drawn from together. Each pair must cut the same breaks in both runs, and the
sets must not share a drawing's name.

`--leaking` counts only the breaks that a flood fill leaks through (benchmarks.metrics.gap_leaks:
the cut joins two paper regions of the intact drawing), which is what a colourist sees; a break
in a free mark (hatching, a hair strand, an arc on its own) changes no fill.

`--far-per-mp` compares at equal false px per MP of drawing (`--at-false` in px/MP) instead of
their share of the added px: a closure drawn thinner adds fewer true px, which raises the share
though not one more px is false.

After the table, per variant and sensitivity, the uncut drawings' regions each run's closing
keeps (benchmarks.real's "uncut regions %"), where both runs measured it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from benchmarks.metrics import GapScore
from benchmarks.real import BINS, closure_at_false, read_scores, scaled_bins

SWEEP_PREFIX = "ours @"


def sweep_arrays(scores: dict[str, dict[str, GapScore]], names: list[str],
                 leaking_only: bool = False, bins: tuple[tuple[int, int], ...] = BINS,
                 per_mp: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sweep rows of one variant as per-drawing counts: (far px, new px, closed breaks,
    breaks), the first two (S, D), the last two (S, D, len(BINS)), for the settings S in the
    order of their sensitivity and the drawings `names` D; `leaking_only`: only the breaks a
    fill leaks through count (GapScore.closure_rate); `per_mp`: the drawing's area in units of
    10,000 MP in place of the new px, so that `curves` gives far px per MP, not a share of the
    added px (which drawing the same closures thinner would raise)."""
    settings = sorted((m for m in scores if m.startswith(SWEEP_PREFIX)),
                      key=lambda m: float(m[len(SWEEP_PREFIX):]))
    far = np.zeros((len(settings), len(names)))
    new = np.zeros_like(far)
    hits = np.zeros((len(settings), len(names), len(bins)))
    count = np.zeros_like(hits)
    for s, setting in enumerate(settings):
        for d, name in enumerate(names):
            score = scores[setting][name]
            far[s, d] = score.far_pixels
            new[s, d] = score.gapped_area / 1e4 if per_mp else score.new_pixels
            for b, (lo, hi) in enumerate(bins):
                count[s, d, b] = score.gap_count(lo, hi, leaking_only)
                if count[s, d, b]:
                    hits[s, d, b] = count[s, d, b] * score.closure_rate(lo, hi, leaking_only)
    return far, new, hits, count


def curves(weights: np.ndarray, far: np.ndarray, new: np.ndarray, hits: np.ndarray,
           count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false (R, S), closure (R, S, len(BINS))), in %, of the sweep pooled over the drawings
    as each row of `weights` (R, D) draws them (how many times each drawing is drawn)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        false = 100 * (weights @ far.T) / (weights @ new.T)
        false = np.where(np.isfinite(false), false, 0.0)  # nothing added: nothing false
        closure = 100 * np.einsum("rd,sdb->rsb", weights, hits) / np.einsum(
            "rd,sdb->rsb", weights, count)
    return false, closure


def common_rate(false_a: np.ndarray, false_b: np.ndarray, at: float) -> np.ndarray:
    """(R,): the false-addition rate each draw compares the two runs at: `at`, or the nearest
    rate both sweeps reach (nan where their ranges do not meet). A draw of the drawings moves
    each sweep's range of false additions, often past a fixed rate; at a rate both reach the
    two still compare at equal false additions."""
    lo = np.maximum(false_a.min(axis=1), false_b.min(axis=1))
    hi = np.minimum(false_a.max(axis=1), false_b.max(axis=1))
    return np.where(lo <= hi, np.clip(at, lo, hi), np.nan)


def read_off(false: np.ndarray, closure: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """(R, len(BINS)): each draw's closure at its `rate` (R,), read between the sweep's settings
    around it (benchmarks.real.closure_at_false); nan where the rate is nan or not reached."""
    out = np.full((len(false), closure.shape[2]), np.nan)
    for r in np.nonzero(np.isfinite(rate))[0]:
        for b in range(closure.shape[2]):
            out[r, b] = closure_at_false(list(zip(false[r], closure[r, :, b], strict=True)),
                                         float(rate[r]))
    return out


def compare(a: dict[str, dict[str, GapScore]], b: dict[str, dict[str, GapScore]], at: float,
            resamples: int, rng: np.random.Generator, leaking_only: bool = False,
            bins: tuple[tuple[int, int], ...] = BINS, per_mp: bool = False
            ) -> dict[str, np.ndarray]:
    """One variant: on all drawings, "rate" (the false additions compared at: common_rate),
    "a" and "b" (len(BINS),) closures there; over the bootstrap draws, "diff" (R, len(BINS))
    B - A, each draw at its own common rate (nan where the sweeps do not meet)."""
    names = sorted(set.intersection(*(set(rows) for rows in (*a.values(), *b.values()))))
    if not names:
        raise ValueError("the two runs have no drawing in common")
    arrays_a = sweep_arrays(a, names, leaking_only, bins, per_mp)
    arrays_b = sweep_arrays(b, names, leaking_only, bins, per_mp)
    whole = np.ones((1, len(names)))
    draws = rng.integers(0, len(names), (resamples, len(names)))
    weights = np.zeros((resamples, len(names)))
    np.add.at(weights, (np.arange(resamples)[:, None], draws), 1.0)
    out: dict[str, np.ndarray] = {"drawings": np.array(names)}
    for key, w in (("whole", whole), ("draws", weights)):
        false_a, closure_a = curves(w, *arrays_a)
        false_b, closure_b = curves(w, *arrays_b)
        rate = common_rate(false_a, false_b, at)
        got_a, got_b = read_off(false_a, closure_a, rate), read_off(false_b, closure_b, rate)
        if key == "whole":
            out.update(rate=rate, a=got_a[0], b=got_b[0])
        else:
            out["diff"] = got_b - got_a
    return out


def format_rows(variant: str, result: dict[str, np.ndarray],
                bins: tuple[tuple[int, int], ...] = BINS) -> list[str]:
    rows = []
    for k, (lo, hi) in enumerate(bins):
        diff = result["diff"][:, k]
        ok = diff[np.isfinite(diff)]
        if len(ok):
            low, high = np.percentile(ok, [5, 95])
            spread = f"{low:+.1f} .. {high:+.1f} | {100 * np.mean(ok > 0):.0f}%"
        else:
            spread = "n/a | n/a"
        rows.append(f"| {variant} | {lo}-{hi} | {result['rate'][0]:.2f} | "
                    f"{result['a'][k]:.1f} | {result['b'][k]:.1f} | "
                    f"{result['b'][k] - result['a'][k]:+.1f} | {spread} | "
                    f"{len(diff) - len(ok)} |")
    return rows


def uncut_rows(variant: str, a: dict[str, dict[str, GapScore]],
               b: dict[str, dict[str, GapScore]]) -> list[str]:
    """Per sweep setting both runs have: the uncut drawings' regions each run's closing keeps
    (GapScore.gap_free_region_rate, pooled over the drawings); none for runs written before
    benchmarks.real measured it."""
    rows = []
    for method in sorted((m for m in a if m.startswith(SWEEP_PREFIX) and m in b),
                         key=lambda m: float(m[len(SWEEP_PREFIX):])):
        rates = []
        for run in (a, b):
            kept = sum(s.gap_free_regions_recovered for s in run[method].values())
            total = sum(s.gap_free_regions_total for s in run[method].values())
            rates.append(100 * kept / total if total else float("nan"))
        if all(np.isfinite(rates)):
            rows.append(f"| {variant} | {method[len(SWEEP_PREFIX):]} | {rates[0]:.1f} | "
                        f"{rates[1]:.1f} | {rates[1] - rates[0]:+.1f} |")
    return rows


Scores = dict[str, dict[str, dict[str, GapScore]]]
CUT = ("folder", "seeds", "gaps", "max_gap", "scale")


def pool(into: Scores, more: Scores) -> None:
    """Add another set's drawings to `into` (variant -> method -> drawing), in place."""
    for variant, methods in more.items():
        for method, rows in methods.items():
            target = into.setdefault(variant, {}).setdefault(method, {})
            shared = set(target) & set(rows)
            if shared:
                raise ValueError(f"the sets share drawings {sorted(shared)[:3]}")
            target.update(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--pair", type=Path, nargs=2, action="append", default=[],
                        metavar=("A2", "B2"), help="the same verifiers on another set of "
                        "drawings, pooled with the first")
    parser.add_argument("--at-false", type=float, default=2.0)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--leaking", action="store_true",
                        help="closure of the breaks a fill leaks through only")
    parser.add_argument("--far-per-mp", action="store_true",
                        help="--at-false is in false px per MP of drawing, not in %% of the "
                        "added px")
    args = parser.parse_args(argv)
    a: Scores = {}
    b: Scores = {}
    run_a: dict = {}
    run_b: dict = {}
    for path_a, path_b in [(args.a, args.b), *args.pair]:
        (run_a, more_a), (run_b, more_b) = read_scores(path_a), read_scores(path_b)
        if any(run_a.get(k) != run_b.get(k) for k in CUT):
            print(f"error: the runs cut different breaks: {[run_a.get(k) for k in CUT]} vs "
                  f"{[run_b.get(k) for k in CUT]}", file=sys.stderr)
            return 2
        try:
            pool(a, more_a)
            pool(b, more_b)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    variants = [v for v in a if v in b and any(m.startswith(SWEEP_PREFIX) for m in a[v])
                and any(m.startswith(SWEEP_PREFIX) for m in b[v])]
    if not variants:
        print("error: no variant has sweep rows in both runs (run benchmarks.real with "
              "--sweep)", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    bins = scaled_bins(float(run_a["scale"]))
    print(f"A: {run_a.get('models')}  B: {run_b.get('models')}; closure (%) "
          f"{'of the breaks that leak ' if args.leaking else ''}at "
          f"{args.at_false:g}{' false px per MP' if args.far_per_mp else '% false additions'}; "
          f"{args.resamples} draws of the drawings\n")
    unit = "px/MP" if args.far_per_mp else "%"
    print(f"| variant | px | at false {unit} | A | B | B - A | 5th .. 95th pct | B ahead "
          "| draws n/a |")
    print("|---|---|---|---|---|---|---|---|---|")
    for variant in variants:
        try:
            result = compare(a[variant], b[variant], args.at_false, args.resamples, rng,
                             args.leaking, bins, args.far_per_mp)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print("\n".join(format_rows(variant, result, bins)))
    uncut = [row for variant in variants for row in uncut_rows(variant, a[variant], b[variant])]
    if uncut:
        print("\nuncut regions kept (%): of the intact drawings' paper regions, those a fill of "
              "the uncut drawing keeps with each run's closing (benchmarks.real)\n")
        print("| variant | sensitivity | A | B | B - A |")
        print("|---|---|---|---|---|")
        print("\n".join(uncut))
    return 0


if __name__ == "__main__":
    sys.exit(main())
