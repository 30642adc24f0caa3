"""Which of a drawing's own regions a fill keeps, before and after gap closing: the measure of
uncut drawings that the cut-based benchmarks (benchmarks.real, benchmarks.gaps) never take.

    python -m benchmarks.sealed --folder DIR [--points FILE] [--sensitivities 0.3,0.5,0.7]
                                [--only NAMES] [--pictures OUT] [--leaks OUT]

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

`--leaks OUT` says where each region left open leaks (escape_passages): the narrowest place on
the widest way out of it, to the edge or to another named point, and after that place is
blocked the next one, up to LEAKS_SHOWN; per region and method the widths of those passages
(px) and a picture (OUT/DRAWING_REGION_METHOD.png: the drawing twice as large, the method's
additions in red, the point a blue star, each passage a green circle numbered in order). A
region whose first passage is a px or two wide is one closure away from sealed; one of 20 px is
an opening a person draws, or a long break.
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from benchmarks.baselines import endpoint_linking, morphological_closing
from benchmarks.gaps import with_additions
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


LEAKS_SHOWN = 3  # passages found per open region (--leaks)


def escape_passages(wall: np.ndarray, point: tuple[int, int], others: list[tuple[int, int]],
                    count: int = LEAKS_SHOWN) -> list[tuple[int, int, float]]:
    """(row, col, width px) of up to `count` places a fill from `point` leaks through, widest
    first: the narrowest place on the widest 4-connected way through paper (~`wall`) from the
    point (from the widest place near it: _widest_near) to the map's edge or to one of
    `others`. Each place found is walled off (a disc as wide as the passage, a px more round
    it) before the next is looked for. Width is twice the distance to the nearest wall px
    there. Empty when the point is on a wall or sealed."""
    wall = wall.copy()
    out: list[tuple[int, int, float]] = []
    for _ in range(count):
        found = _widest_escape(wall, point, others)
        if found is None:
            break
        (y, x), half = found
        out.append((y, x, 2.0 * half))
        cv2.circle(wall.view(np.uint8), (x, y), int(np.ceil(half)) + 1, 1, -1)
    return out


def _widest_escape(wall: np.ndarray, point: tuple[int, int], others: list[tuple[int, int]]
                   ) -> tuple[tuple[int, int], float] | None:
    """The bottleneck (place, distance to the wall) of the way out of `point` whose narrowest
    place is widest (a best-first flood on the distance to the wall), or None."""
    height, width = wall.shape
    y0, x0 = point
    if wall[y0, x0]:
        return None
    dist = cv2.distanceTransform((~wall).view(np.uint8), cv2.DIST_L2, 3)
    # From the widest place near the point: a point a few px from a wall would otherwise be
    # every way's narrowest place (the passage reported at the point itself, as wide as twice
    # its distance to that wall), however wide the break the region leaks through.
    y0, x0 = _widest_near(dist, y0, x0)
    goal = np.zeros_like(wall)
    goal[0] = goal[-1] = goal[:, 0] = goal[:, -1] = True
    for y, x in others:
        goal[y, x] = True
    best = np.full(wall.shape, -1.0, np.float32)
    parent = np.full(wall.size, -1, np.int64)
    best[y0, x0] = dist[y0, x0]
    heap = [(-float(dist[y0, x0]), y0 * width + x0)]
    while heap:
        neg, index = heapq.heappop(heap)
        y, x = divmod(index, width)
        if -neg < best[y, x]:
            continue
        if goal[y, x] and (y, x) != (y0, x0):
            path = [index]
            while parent[path[-1]] >= 0:
                path.append(int(parent[path[-1]]))
            path.reverse()  # from the point out: the first narrowing is where it leaks
            along = dist.reshape(-1)[path]
            narrowest = path[int(np.flatnonzero(along <= along.min() + 0.25)[0])]
            return divmod(narrowest, width), float(along.min())
        for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
            if 0 <= ny < height and 0 <= nx < width and not wall[ny, nx]:
                value = min(-neg, float(dist[ny, nx]))
                if value > best[ny, nx]:
                    best[ny, nx] = value
                    parent[ny * width + nx] = index
                    heapq.heappush(heap, (-value, ny * width + nx))
    return None


def _widest_near(dist: np.ndarray, y: int, x: int) -> tuple[int, int]:
    """The place the steepest climb of `dist` (8 neighbours) from (y, x) stops at."""
    height, width = dist.shape
    while True:
        y_lo, x_lo = max(y - 1, 0), max(x - 1, 0)
        around = dist[y_lo : min(y + 2, height), x_lo : min(x + 2, width)]
        dy, dx = np.unravel_index(int(np.argmax(around)), around.shape)
        if around[dy, dx] <= dist[y, x]:
            return y, x
        y, x = y_lo + int(dy), x_lo + int(dx)


def leak_picture(rgb: np.ndarray, added: np.ndarray, point: tuple[int, int],
                 passages: list[tuple[int, int, float]]) -> np.ndarray:
    """RGB, twice as large: the drawing, `added` in red, `point` a blue star, each passage a
    green circle numbered from 0."""
    out = cv2.resize(with_additions(rgb, added), None, fx=2, fy=2,
                     interpolation=cv2.INTER_NEAREST)
    cv2.drawMarker(out, (2 * point[1], 2 * point[0]), (0, 0, 255), cv2.MARKER_STAR, 16, 2)
    for k, (y, x, w) in enumerate(passages):
        radius = int(w) + 6
        cv2.circle(out, (2 * x, 2 * y), radius, (0, 170, 0), 2)
        cv2.putText(out, str(k), (2 * x + radius + 2, 2 * y + 6), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                    (0, 170, 0), 2)
    return out


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
    ap.add_argument("--leaks", type=Path,
                    help="write where each region left open leaks, per method (see above)")
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
    leak_rows: list[str] = []
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
            if args.leaks is not None:
                leak_rows += _leaks(args.leaks, name, m, rgb, lines, added, points[name],
                                    sealed[m][name])
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
    if args.leaks is not None:
        print(f"\nwhere the regions left open leak (widths of the passages, widest first; "
              f"pictures in {args.leaks})\n")
        print("| drawing | region | method | passages (px) |")
        print("|---|---|---|---|")
        print("\n".join(leak_rows))
    return 0


def _leaks(out: Path, name: str, method: str, rgb: np.ndarray, lines: np.ndarray,
           added: np.ndarray, regions: dict[str, tuple[int, int]], sealed: list[bool]
           ) -> list[str]:
    """Table rows (and pictures in `out`) of the passages each open region leaks through."""
    out.mkdir(parents=True, exist_ok=True)
    wall = lines | (added >= INK)
    rows = []
    for (region, point), ok in zip(regions.items(), sealed, strict=True):
        if ok:
            continue
        others = [p for r, p in regions.items() if r != region]
        passages = escape_passages(wall, point, others)
        widths = ", ".join(f"{w:.1f}" for _, _, w in passages) or "on a line"
        rows.append(f"| {name} | {region} | {method} | {widths} |")
        slug = "_".join("".join(c if c.isalnum() else "-" for c in part)
                        for part in (name, region, method))
        cv2.imwrite(str(out / f"{slug}.png"),
                    leak_picture(rgb, added, point, passages)[..., ::-1])
    return rows


if __name__ == "__main__":
    sys.exit(main())
