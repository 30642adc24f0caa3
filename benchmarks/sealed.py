"""Which of a drawing's own regions a fill keeps, before and after gap closing: the measure of
uncut drawings that the cut-based benchmarks (benchmarks.real, benchmarks.gaps) never take.

    python -m benchmarks.sealed --folder DIR [--points FILE] [--sensitivities 0.3,0.5,0.7]
                                [--only NAMES] [--pictures OUT]

FILE (default benchmarks/handdrawn/regions.json, for the hand-drawn set of
benchmarks/handdrawn/make_set.sh) names, per drawing (its file name without the suffix), points
(row, col) that a person looking at the drawing sees inside a closed region: a body, a window,
a wing. They were picked by eye on the drawings as `load_drawings` gives them (640 px at most);
they are a judgement, not a truth drawn region by region.

A point is sealed when the 4-connected paper region it lies in (the lines of
benchmarks.metrics.line_map, plus the method's additions at ink >= 0.5) touches no edge of the
drawing and holds no other of its named points: a fill there stays in that region. For each
method: points sealed of all, per drawing and in all, and px added per MP. On an uncut drawing
every added px closes one of its own breaks or is a false addition, so px/MP bounds both. The
baselines (morphological closing k5, endpoint linking R14) run beside ours.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from benchmarks.baselines import endpoint_linking, morphological_closing
from benchmarks.metrics import INK, line_map
from benchmarks.real import fill_picture, load_drawings

POINTS = Path(__file__).resolve().parent / "handdrawn" / "regions.json"

Method = Callable[[np.ndarray], np.ndarray]


def sealed_points(lines: np.ndarray, added: np.ndarray, points: list[tuple[int, int]]
                  ) -> list[bool]:
    """For each point (row, col): whether its paper region of `lines` (bool) with `added` (ink,
    drawn at INK) touches no edge of the map and holds no other of the points. A point on a
    line or an addition is not sealed."""
    wall = lines | (added >= INK)
    _, labels = cv2.connectedComponents((~wall).view(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    mine = [int(labels[y, x]) for y, x in points]
    return [label > 0 and label not in edge and mine.count(label) == 1 for label in mine]


def read_points(path: Path) -> dict[str, dict[str, tuple[int, int]]]:
    """{drawing: {region name: (row, col)}} from a JSON file of that shape."""
    raw = json.loads(path.read_text())
    return {name: {region: (int(p[0]), int(p[1])) for region, p in regions.items()}
            for name, regions in raw.items()}


def methods(sensitivities: list[float], threads: int) -> dict[str, Method]:
    from krita_linerefiner.core.gaps import GapParams, close_gaps
    from krita_linerefiner.core.models import create_scorer

    out: dict[str, Method] = {"input (nothing added)": np.zeros_like}
    scorer = create_scorer("verifier", threads=threads)
    for s in sensitivities:
        params = GapParams(sensitivity=s)
        out[f"ours @{s:g}"] = lambda ink, p=params: close_gaps(ink, p, scorer=scorer).gaps
    out["morph closing k5"] = lambda ink: morphological_closing(ink, 5)
    out["endpoint linking R14"] = lambda ink: endpoint_linking(ink, 14)
    return out


def main(argv: list[str] | None = None) -> int:
    from krita_linerefiner.core.ink import ink_from_image

    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--folder", type=Path, required=True)
    ap.add_argument("--points", type=Path, default=POINTS)
    ap.add_argument("--sensitivities", default="0.3,0.5,0.7")
    ap.add_argument("--only", default="", help="comma-separated method names to keep")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pictures", type=Path, help="write input | each method's fill regions")
    args = ap.parse_args(argv)
    points = read_points(args.points)
    drawings = load_drawings(args.folder)
    missing = sorted(set(points) - set(drawings))
    if missing:
        print(f"not in {args.folder}: {', '.join(missing)}", file=sys.stderr)
    names = [n for n in points if n in drawings]
    if not names:
        print("no drawing of the points file in the folder", file=sys.stderr)
        return 1
    ms = methods([float(s) for s in args.sensitivities.split(",")], args.threads)
    if args.only:
        keep = [k.strip() for k in args.only.split(",")]
        ms = {k: v for k, v in ms.items() if any(n in k for n in keep)}
    sealed: dict[str, dict[str, list[bool]]] = {m: {} for m in ms}
    added_px: dict[str, int] = dict.fromkeys(ms, 0)
    area = 0
    for name in names:
        rgb = drawings[name]
        ink = ink_from_image(rgb[..., ::-1])
        lines = line_map(ink)
        area += ink.size
        pts = list(points[name].values())
        pictures = [fill_picture(lines, np.zeros_like(ink))]
        for m, run in ms.items():
            added = np.asarray(run(ink), np.float32)
            new = (added >= INK) & ~lines
            added_px[m] += int(new.sum())
            sealed[m][name] = sealed_points(lines, added, pts)
            if args.pictures is not None:
                pictures.append(fill_picture(lines, added))
        if args.pictures is not None:
            args.pictures.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(args.pictures / f"{name}.png"),
                        np.concatenate(pictures, axis=1)[..., ::-1])
    total = sum(len(points[n]) for n in names)
    print(f"{len(names)} drawings from {args.folder}, {total} named regions ({args.points})\n")
    cols = list(ms)
    print("| drawing | regions | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name in names:
        cells = [str(sum(sealed[m][name])) for m in cols]
        print(f"| {name} | {len(points[name])} | " + " | ".join(cells) + " |")
    print("\n| method | sealed | sealed % | added px/MP | regions left open |")
    print("|---|---|---|---|---|")
    for m in cols:
        n = sum(sum(v) for v in sealed[m].values())
        open_ = [f"{d}: {r}" for d in names
                 for r, ok in zip(points[d], sealed[m][d], strict=True) if not ok]
        print(f"| {m} | {n} of {total} | {100 * n / total:.1f} | {added_px[m] / area * 1e6:.0f} "
              f"| {'; '.join(open_) if len(open_) <= 12 else f'{len(open_)} regions'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
