"""Two benchmarks.real runs on the same drawings and cuts, compared drawing by drawing.

    python -m benchmarks.real_compare A.json B.json [--at-false 2] [--resamples 2000] [--seed 0]

Each run is `python -m benchmarks.real --seeds 0,1,2 --only sweep --sweep 0.1,...,0.8 --json
X.json` with its own verifier (LINEREFINER_MODELS), on the same drawings, seeds and cut count.
Per variant and length bin it prints each run's closure at `--at-false` percent false additions
(read between the sweep's settings, as benchmarks.real does), B minus A, and a paired bootstrap
over the drawings: the drawings are drawn with replacement, the same draw for both runs, each
run's sweep is pooled over the drawn ones and read off again. Reported: the 5th and 95th
percentiles of B - A over the draws and the share of draws in which B closes more. A dozen
drawings carry most of the uncertainty of a comparison (a few faces or a stipple decide the
false additions); a difference whose interval holds 0 is one these drawings cannot tell apart.
Draws where a run's sweep does not reach the rate are left out (the count is printed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from benchmarks.metrics import GapScore
from benchmarks.real import BINS, closure_at_false, read_scores

SWEEP_PREFIX = "ours @"


def sweep_arrays(scores: dict[str, dict[str, GapScore]], names: list[str]
                 ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sweep rows of one variant as per-drawing counts: (settings, far px, new px,
    closed breaks, breaks), the first two (S, D), the last two (S, D, len(BINS)), for the
    settings S in the order of their sensitivity and the drawings `names` D."""
    settings = sorted((m for m in scores if m.startswith(SWEEP_PREFIX)),
                      key=lambda m: float(m[len(SWEEP_PREFIX):]))
    far = np.zeros((len(settings), len(names)))
    new = np.zeros_like(far)
    hits = np.zeros((len(settings), len(names), len(BINS)))
    count = np.zeros_like(hits)
    for s, setting in enumerate(settings):
        for d, name in enumerate(names):
            score = scores[setting][name]
            far[s, d], new[s, d] = score.far_pixels, score.new_pixels
            for b, (lo, hi) in enumerate(BINS):
                inside = [ok for length, ok in score.closures if lo - 0.5 <= length < hi + 0.5]
                hits[s, d, b], count[s, d, b] = sum(inside), len(inside)
    return settings, far, new, hits, count


def read_off(weights: np.ndarray, far: np.ndarray, new: np.ndarray, hits: np.ndarray,
             count: np.ndarray, at: float) -> np.ndarray:
    """(R, len(BINS)): closure (%) at `at` % false additions for each row of `weights` (R, D),
    how many times each drawing is drawn; nan where the sweep does not reach it."""
    with np.errstate(invalid="ignore", divide="ignore"):
        false = 100 * (weights @ far.T) / (weights @ new.T)  # (R, S)
        false = np.where(np.isfinite(false), false, 0.0)  # nothing added: nothing false
        closure = 100 * np.einsum("rd,sdb->rsb", weights, hits) / np.einsum(
            "rd,sdb->rsb", weights, count)
    out = np.full((len(weights), closure.shape[2]), np.nan)
    for r in range(len(weights)):
        for b in range(closure.shape[2]):
            out[r, b] = closure_at_false(list(zip(false[r], closure[r, :, b], strict=True)), at)
    return out


def compare(a: dict[str, dict[str, GapScore]], b: dict[str, dict[str, GapScore]], at: float,
            resamples: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One variant: {"a", "b": (len(BINS),) read-off on all drawings; "diff": (R, len(BINS))
    B - A over the bootstrap draws (nan where either does not reach `at`)}."""
    names = sorted(set.intersection(*(set(rows) for rows in (*a.values(), *b.values()))))
    if not names:
        raise ValueError("the two runs have no drawing in common")
    arrays_a, arrays_b = sweep_arrays(a, names)[1:], sweep_arrays(b, names)[1:]
    whole = np.ones((1, len(names)))
    draws = rng.integers(0, len(names), (resamples, len(names)))
    weights = np.zeros((resamples, len(names)))
    np.add.at(weights, (np.arange(resamples)[:, None], draws), 1.0)
    return {"a": read_off(whole, *arrays_a, at)[0], "b": read_off(whole, *arrays_b, at)[0],
            "diff": read_off(weights, *arrays_b, at) - read_off(weights, *arrays_a, at),
            "drawings": np.array(names)}


def format_rows(variant: str, result: dict[str, np.ndarray]) -> list[str]:
    rows = []
    for k, (lo, hi) in enumerate(BINS):
        diff = result["diff"][:, k]
        ok = diff[np.isfinite(diff)]
        if len(ok):
            low, high = np.percentile(ok, [5, 95])
            spread = f"{low:+.1f} .. {high:+.1f} | {100 * np.mean(ok > 0):.0f}%"
        else:
            spread = "n/a | n/a"
        rows.append(f"| {variant} | {lo}-{hi} | {result['a'][k]:.1f} | {result['b'][k]:.1f} | "
                    f"{result['b'][k] - result['a'][k]:+.1f} | {spread} | "
                    f"{len(diff) - len(ok)} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--at-false", type=float, default=2.0)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    (run_a, a), (run_b, b) = read_scores(args.a), read_scores(args.b)
    cut = ("folder", "seeds", "gaps", "max_gap")
    if any(run_a.get(k) != run_b.get(k) for k in cut):
        print(f"error: the runs cut different breaks: {[run_a.get(k) for k in cut]} vs "
              f"{[run_b.get(k) for k in cut]}", file=sys.stderr)
        return 2
    variants = [v for v in a if v in b and any(m.startswith(SWEEP_PREFIX) for m in a[v])
                and any(m.startswith(SWEEP_PREFIX) for m in b[v])]
    if not variants:
        print("error: no variant has sweep rows in both runs (run benchmarks.real with "
              "--sweep)", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    print(f"A: {run_a.get('models')}  B: {run_b.get('models')}; closure (%) at "
          f"{args.at_false:g}% false additions; {args.resamples} draws of the drawings\n")
    print("| variant | px | A | B | B - A | 5th .. 95th pct | B ahead | draws n/a |")
    print("|---|---|---|---|---|---|---|---|")
    for variant in variants:
        result = compare(a[variant], b[variant], args.at_false, args.resamples, rng)
        print("\n".join(format_rows(variant, result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
