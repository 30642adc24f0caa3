"""Refine benchmark: held-out quality against baselines, and speed against LineRelifer.

    python -m benchmarks.refine [--data data/refine] [--threads 2] [--repeats 3] [--json out.json]

Quality (training.refine.evaluate): PSNR, SSIM, specks removed and true line pixels kept on the
held-out pairs, for the input, our model (through core.refine, as the plugin runs it) and two
baselines (Gaussian blur + threshold, grey open + close; tuned on training pairs).

Speed: 1920x1080 line art, onnxruntime CPU, the same thread count and core.tiling.run_tiled with
the same tile size (RefineParams' default, 2048 px: one tile per HD frame) for every row.
Rows: our refine model; the LineRelifer reference generator (random
weights, rebuilt in benchmarks.reference_models and exported to ONNX in a temp dir, overlap
covering its 9 px receptive radius); and refine followed by close_gaps (skipped with a message
when core.gaps or the gaps model is missing). Each row runs in a fresh child process so its peak
resident memory (VmHWM) is its own; one untimed warm-up pass on a 512 px crop comes first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SIZE = (1920, 1080)
# every row uses the refine default tile, LineRelifer included, so tiling costs the same
TILE = 2048


def child(args: argparse.Namespace) -> None:
    """One timing row in this fresh process; prints one JSON line."""
    import cv2

    from benchmarks.speed import _peak_rss_mb, drawing
    from krita_linerefiner.core.refine import RefineParams, refine
    from krita_linerefiner.core.tiling import TileSpec, run_tiled

    cv2.setNumThreads(args.threads)
    width, height = SIZE
    image = drawing(width, height)
    if args.row == "linerelifer":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        raw = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
        name = raw.get_inputs()[0].name

        def reference(tile: np.ndarray) -> np.ndarray:
            (out,) = raw.run(None, {name: np.ascontiguousarray(tile)[None, None]})
            return np.asarray(out)[0, 0]

        spec = TileSpec(size=TILE, overlap=args.overlap, multiple=1)

        def work(ink: np.ndarray) -> Any:
            return run_tiled(ink, reference, spec)
    else:
        from krita_linerefiner.core.models import create_session

        session = create_session("refine", threads=args.threads, use_gpu=False)
        params = RefineParams(tile=TILE)
        if args.row == "ours":
            def work(ink: np.ndarray) -> Any:
                return refine(ink, params, session=session)
        else:
            from krita_linerefiner.core.gaps import GapParams, close_gaps

            gaps_session = create_session("gaps", threads=args.threads, use_gpu=False)

            def work(ink: np.ndarray) -> Any:
                refined = refine(ink, params, session=session)
                return close_gaps(refined, GapParams(), session=gaps_session)

    idle = _peak_rss_mb()
    work(image[:512, :512])
    times, cpu = [], []
    for _ in range(args.repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        work(image)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    print(json.dumps({"row": args.row, "times": times, "cpu_times": cpu,
                      "idle_rss_mb": idle, "peak_rss_mb": _peak_rss_mb()}))


def run_child(row: str, threads: int, repeats: int, onnx: str = "", overlap: int = 0
              ) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.refine", "--child", row, "--threads",
               str(threads), "--repeats", str(repeats), "--onnx", onnx, "--overlap", str(overlap)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"row": row, "error": done.stderr.strip()[-1500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def gaps_missing() -> str | None:
    import importlib.util

    if importlib.util.find_spec("krita_linerefiner.core.gaps") is None:
        return "core.gaps is missing"
    from krita_linerefiner.core.models import default_models_dir, load_manifest

    try:
        if "gaps" not in load_manifest(default_models_dir()):
            return "models/manifest.json has no gaps entry"
    except Exception as error:  # no manifest: report why instead of failing the benchmark
        return str(error)
    if not (default_models_dir() / "gaps.onnx").is_file():
        return "models/gaps.onnx is missing"
    return None


def speed(threads: int, repeats: int) -> dict[str, Any]:
    import onnx

    from benchmarks.reference_models import REFERENCES, build_reference, export_onnx
    from benchmarks.reference_models import gmac_per_megapixel as onnx_gmac
    from krita_linerefiner.core.models import default_models_dir, load_manifest

    spec = next(r for r in REFERENCES if r.name == "linerelifer")
    info = load_manifest(default_models_dir())["refine"]
    ours_gmac = onnx_gmac(onnx.load(str(default_models_dir() / info.file)))
    results: dict[str, Any] = {"threads": threads, "size": f"{SIZE[0]}x{SIZE[1]}", "tile": TILE}
    with tempfile.TemporaryDirectory(prefix="linerefiner-refine-") as tmp:
        ref_path = export_onnx(build_reference("linerelifer"), Path(tmp) / spec.file)
        ref_gmac = onnx_gmac(onnx.load(str(ref_path)))
        rows = {"ours": run_child("ours", threads, repeats)}
        print(f"  ours: {rows['ours']}", flush=True)
        rows["linerelifer"] = run_child("linerelifer", threads, max(1, repeats // 3),
                                        str(ref_path), spec.overlap)
        print(f"  linerelifer: {rows['linerelifer']}", flush=True)
    why = gaps_missing()
    if why is None:
        rows["refine+close gaps"] = run_child("refine+gaps", threads, repeats)
    else:
        print(f"refine + close gaps skipped: {why}")
    results["rows"] = rows
    results["gmac_per_mp"] = {"ours": ours_gmac, "linerelifer": ref_gmac}
    return results


def print_speed(results: dict[str, Any]) -> dict[str, float]:
    print(f"\n{results['size']}, onnxruntime CPU, {results['threads']} threads, "
          f"{results['tile']} px tiles")
    print(f"{'row':<20} {'median s':>9} {'CPU s':>8} {'peak RSS MB':>12} {'GMAC/MP':>8}")
    medians: dict[str, float] = {}
    for name, r in results["rows"].items():
        if "error" in r:
            print(f"{name:<20} failed: {r['error']}")
            continue
        medians[name] = statistics.median(r["times"])
        gmac = results["gmac_per_mp"].get(name)
        gmac_text = "-" if gmac is None else f"{gmac:.1f}"
        print(f"{name:<20} {medians[name]:>9.2f} {statistics.median(r['cpu_times']):>8.2f} "
              f"{r['peak_rss_mb']:>12.0f} {gmac_text:>8}")
    if "ours" in medians and "linerelifer" in medians:
        ratio = medians["linerelifer"] / medians["ours"]
        print(f"ours is {ratio:.1f}x faster than LineRelifer "
              f"({'>=' if ratio >= 10 else 'BELOW'} 10x)")
        medians["speedup"] = ratio
    if "refine+close gaps" in medians:
        t = medians["refine+close gaps"]
        print(f"refine then close gaps: {t:.2f} s ({'under' if t < 1.5 else 'NOT under'} 1.5 s)")
    return medians


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("data/refine"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--child", choices=["ours", "linerelifer", "refine+gaps"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--onnx", default="", help=argparse.SUPPRESS)
    ap.add_argument("--overlap", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        args.row = args.child
        child(args)
        return 0

    report: dict[str, Any] = {}
    if not args.skip_quality:
        from krita_linerefiner.core.models import create_session
        from krita_linerefiner.core.refine import RefineParams, refine
        from training.refine.evaluate import evaluate, format_table, verdict

        session = create_session("refine", threads=args.threads, use_gpu=False)
        params = RefineParams()
        quality = evaluate(lambda ink: refine(ink, params, session=session), args.data)
        print("held-out pairs:", args.data / "eval.npz")
        print(format_table(quality))
        for line in verdict(quality):
            print(" ", line)
        report["quality"] = quality
    if not args.skip_speed:
        results = speed(args.threads, args.repeats)
        results["medians"] = print_speed(results)
        report["speed"] = results
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
