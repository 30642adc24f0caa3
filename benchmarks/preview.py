"""Live preview: time to re-select closures from a cached analysis (core.preview), no model run.

    python -m benchmarks.preview [--size 2048x2048] [--threads 2] [--repeats 5]
                                 [--scorer auto|stand-in|shipped]

On benchmarks.speed.drawing (antialiased strokes, curves and ellipses, about 4% ink), the
analysis is made once as a run meant for previewing makes it (close_gaps with
reach=PREVIEW_REACH), then each slider position (several sensitivities and max gaps) is
re-selected `repeats` times. Printed per position, medians: "select" (core.closures.select: which
candidates), "render" (core.closures.render: drawing them), "preview" (core.preview.preview
whole: select, render, dropping closures that join nothing, and counting the regions a flood
fill sees) and "regions" (the region count alone). The target is preview <= 150 ms at 2048x2048.
"preview CPU ms" is the process CPU time of the preview (all threads): on a machine shared with
other work, wall time can be twice that.
Also printed: the cost of the reach, the run's analysis at the default max gap against the
reach (candidates and seconds).

The verifier is the shipped one when models/manifest.json has "verifier" (--scorer auto), else
the tests' stand-in (tests/model_fixtures.py); the preview itself runs no model either way, but
which closures are accepted, and so the drawing time, depends on the verifier's probabilities.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.pages import _scorer
from benchmarks.report import markdown_table
from benchmarks.speed import drawing

POSITIONS = ((0.5, 24), (0.2, 24), (0.8, 24), (0.5, 8), (0.5, 48), (1.0, 64))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="live preview re-selection time")
    parser.add_argument("--size", default="2048x2048")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scorer", choices=("auto", "stand-in", "shipped"), default="auto")
    args = parser.parse_args(argv)

    import cv2

    from krita_linerefiner.core.closures import render, select
    from krita_linerefiner.core.gaps import GapParams, close_gaps
    from krita_linerefiner.core.preview import PREVIEW_REACH, CachedRun, count_regions, preview

    cv2.setNumThreads(args.threads)
    width, height = (int(v) for v in args.size.split("x"))
    ink = drawing(width, height)
    with tempfile.TemporaryDirectory(prefix="linerefiner-preview-") as tmp:
        scorer, which = _scorer(args.scorer, args.threads, Path(tmp))
        runs = []
        for reach in (None, PREVIEW_REACH):
            start, cpu = time.perf_counter(), time.process_time()
            result = close_gaps(ink, GapParams(), scorer=scorer, reach=reach)
            runs.append((reach, time.perf_counter() - start, time.process_time() - cpu,
                         result))
    table = [["run", "candidates", "s", "CPU s"]]
    for reach, seconds, cpu, result in runs:
        assert result.analysis is not None
        table.append([f"reach {reach or GapParams().max_gap} px",
                      str(len(result.analysis.candidates)), f"{seconds:.2f}", f"{cpu:.2f}"])
    print(f"{args.size}, verifier: {which}, {args.threads} threads\n")
    print(markdown_table(table) + "\n")

    analysis = runs[-1][3].analysis
    assert analysis is not None
    run = CachedRun(analysis, PREVIEW_REACH)
    line = analysis.lines.line
    rows = [["sensitivity", "max gap", "closed", "regions", "select ms", "render ms",
             "regions ms", "preview ms", "preview CPU ms"]]
    worst = 0.0
    for sensitivity, max_gap in POSITIONS:
        params = GapParams(sensitivity=sensitivity, max_gap=max_gap)
        timing: dict[str, list[float]] = {"select": [], "render": [], "regions": [],
                                          "preview": [], "cpu": []}
        view = None
        for _ in range(args.repeats):
            start = time.perf_counter()
            accepted = select(analysis, sensitivity, max_gap)
            timing["select"].append(time.perf_counter() - start)
            start = time.perf_counter()
            coverage, _ = render(analysis, accepted)
            timing["render"].append(time.perf_counter() - start)
            start = time.perf_counter()
            count_regions(line, coverage)
            timing["regions"].append(time.perf_counter() - start)
            start, cpu = time.perf_counter(), time.process_time()
            view = preview(run, params)
            timing["preview"].append(time.perf_counter() - start)
            timing["cpu"].append(time.process_time() - cpu)
        assert view is not None
        ms = {k: 1000 * statistics.median(v) for k, v in timing.items()}
        worst = max(worst, ms["preview"])
        rows.append([f"{sensitivity:.1f}", str(max_gap), str(view.count), str(view.regions),
                     f"{ms['select']:.1f}", f"{ms['render']:.1f}", f"{ms['regions']:.1f}",
                     f"{ms['preview']:.1f}", f"{ms['cpu']:.1f}"])
    print(markdown_table(rows))
    print(f"\nslowest preview (median of {args.repeats}): {worst:.0f} ms (target <= 150 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
