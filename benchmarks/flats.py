"""Time and peak memory of core.flats.fill_flats on a generated drawing.

    python -m benchmarks.flats [--sizes 1920x1080,6071x8598] [--threads 2] [--repeats 3]
                               [--json out.json]
    python -m benchmarks.flats --cli [--sizes ...] [--threads 2] [--command "flats"]

Each (size, mode) runs in a fresh child process, so its peak resident memory (VmHWM, read as
benchmarks.speed does) is its own. The drawing is benchmarks.speed.drawing (antialiased strokes,
curves and ellipses, about 4% ink) with a closures map of the same size, as close_gaps returns
it. Two modes:
- "after close": the lines already normalised, as the pipeline hands them over from close_gaps
  (`flats` after `close` in `run --flats`, `flats` without --no-close);
- "as drawn": fill_flats normalises the line darkness itself (`flats --no-close`).

"CPU s" is the process CPU time per run (all threads): on a machine shared with other work it
is a steadier comparison than wall time. "peak RSS" is the child's high-water mark over the
timed runs, inputs included: the mark is reset (/proc/self/clear_refs) once the drawing is
built, so the drawing's own temporaries do not count, and "inputs" is what the process holds
before the first run (interpreter, libraries, the ink and closures maps). Where the reset is
not possible, "peak RSS" includes building the input.

`--cli` instead times the command line end to end, once per size, on the same drawing saved as
a PNG: `python -m krita_linerefiner flats` by default (close the gaps, then fill flats; the
installed models), or another command given with --command (e.g. "run --flats" for refine,
close and flats). Its peak RSS is the whole process's, reported by a wrapper as
benchmarks.speed --cli does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import markdown_table
from benchmarks.speed import _peak_rss_mb, drawing, run_cli_measured, status_mb

MODES = ("after close", "as drawn")


def _reset_peak() -> bool:
    """Start VmHWM afresh from the current resident size (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def child(size: str, mode: str, threads: int, repeats: int) -> dict[str, Any]:
    import cv2

    from krita_linerefiner.core.flats import fill_flats

    cv2.setNumThreads(threads)
    width, height = (int(v) for v in size.split("x"))
    ink = drawing(width, height)
    gaps = np.zeros_like(ink)
    reset = _reset_peak()
    inputs = status_mb("VmRSS")
    times, cpu_times, regions = [], [], 0
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = fill_flats(ink, gaps, normalised=mode == "after close")
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        regions = result.regions
        del result
    return {"size": size, "mode": mode, "times": times, "cpu_times": cpu_times, "regions": regions,
            "inputs_mb": inputs, "peak_rss_mb": _peak_rss_mb(), "peak_reset": reset}


def run_child(size: str, mode: str, threads: int, repeats: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.flats", "--child", "--size", size, "--mode", mode,
               "--threads", str(threads), "--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"size": size, "mode": mode, "error": done.stderr.strip()[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_cli(sizes: list[str], threads: int, command: str) -> list[dict[str, Any]]:
    import tempfile

    import cv2

    runs = []
    for size in sizes:
        width, height = (int(v) for v in size.split("x"))
        with tempfile.TemporaryDirectory(prefix="linerefiner-flats-") as tmp:
            source = Path(tmp) / "drawing.png"
            paper = (255 - np.round(drawing(width, height) * 255)).astype(np.uint8)
            cv2.imwrite(str(source), paper)
            del paper
            argv = [*command.split(), str(source), "-o", str(Path(tmp) / "out"), "--threads",
                    str(threads), "--cpu"]
            done, seconds, peak = run_cli_measured(argv)
            run = {"size": size, "command": command, "seconds": seconds, "peak_rss_mb": peak,
                   "exit": done.returncode, "summary": done.stdout.strip()[-500:]}
            if done.returncode != 0:
                run["error"] = (done.stdout + done.stderr)[-2000:]
            runs.append(run)
            print(f"  linerefiner {command} {size}: {seconds:.1f} s, peak RSS {peak:.0f} MB "
                  f"(exit {done.returncode}) {run['summary']}", flush=True)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time and peak memory of flats")
    parser.add_argument("--sizes", default="1920x1080,6071x8598", help="WxH, comma-separated")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--cli", action="store_true", help="time the command line instead")
    parser.add_argument("--command", default="flats", help="CLI command and options for --cli")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.size, args.mode, args.threads, args.repeats)))
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.cli:
        runs = measure_cli(sizes, args.threads, args.command)
        if args.json:
            args.json.write_text(json.dumps({"threads": args.threads, "runs": runs}, indent=2))
        return 1 if any("error" in r for r in runs) else 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    print(f"fill_flats, {args.threads} threads, {args.repeats} timed runs; one child per row\n")
    table = [["size", "mode", "median s", "min s", "CPU s", "regions", "peak RSS MB",
              "inputs MB"]]
    runs = []
    failed = False
    for size in sizes:
        for mode in modes:
            r = run_child(size, mode, args.threads, args.repeats)
            runs.append(r)
            if "error" in r:
                failed = True
                print(f"{size} {mode} failed:\n{r['error']}")
                continue
            median = statistics.median(r["times"])
            peak = f"{r['peak_rss_mb']:.0f}" + ("" if r["peak_reset"] else " (incl. input)")
            table.append([size, mode, f"{median:.2f}", f"{min(r['times']):.2f}",
                          f"{statistics.median(r['cpu_times']):.2f}", str(r["regions"]), peak,
                          f"{r['inputs_mb']:.0f}"])
            print(f"  {size} {mode}: median {median:.2f} s, peak {r['peak_rss_mb']:.0f} MB",
                  flush=True)
    print("\n" + markdown_table(table))
    if args.json:
        args.json.write_text(json.dumps({"threads": args.threads, "runs": runs}, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
