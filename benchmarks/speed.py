"""Speed and memory of our gap closing against the two seed architectures, on the same footing.

    python -m benchmarks.speed [--threads 2] [--sizes 1920x1080,4096x4096] [--repeats 3]
                               [--models ours,linerelifer,lightunet] [--json out.json]
    python -m benchmarks.speed --cli [--threads 2]

All models run through onnxruntime (CPU) with the same thread count and through
core.tiling.run_tiled with tiles of at most 2048 px fitted to the image (core.tiling.fit_to_image,
as the plugin and CLI do) and each model's own overlap and size multiple. Ours is the whole gap
pipeline as the plugin runs it (core.gaps.close_gaps with the shipped verifier: normalisation,
stroke ends, candidates, the verifier, selection and drawing), the references (random weights,
rebuilt in
benchmarks.reference_models and exported to ONNX in a temp dir) with overlaps covering their
receptive radius. Each (model, size) runs in a fresh child process, so its peak resident
memory (VmHWM at the child's end) belongs to that model alone; "idle" is the child's peak before
the first inference (interpreter, libraries, session, input image); onnxruntime's arena grows in
large steps, so peaks of similar models can coincide. "CPU s" is the process CPU time per pass
(all threads): on a machine shared with other work it is a steadier comparison than wall time.
One untimed warm-up pass on a 512 px crop precedes the timed repeats.

Expected duration, 2 threads, default tiles: a pass is dominated by LineRelifer (296 GMAC/MP at
full resolution). Measured on a 2-core machine shared with a training run: at 1920x1080
LineRelifer 21 s wall (14 s CPU) per pass, LightUNet 6 s, ours 0.6 s; at 4096x4096
LineRelifer 209 s (115 s CPU), LightUNet 39 s, ours 8 s. The default sizes with 3 repeats
(plus a warm-up each) take about 15 minutes; `--sizes 1920x1080` or `--repeats 1` keep a run
to a few minutes. Peak memory depends on the tile size: with 2048 px tiles LineRelifer holds
64 full-resolution channels per layer (3.5 GB at 1920x1080); `--tile 512` caps the tiles at
512 px for a low-memory comparison.

`--cli` instead times `python -m krita_linerefiner close-gaps` end to end on a generated
4096x4096 drawing and reports its peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.report import markdown_table

OURS = "ours"
TILE = 2048  # GapParams' default; each image gets the smallest tile with as few tiles


@dataclass(frozen=True)
class ModelEntry:
    name: str
    onnx: Path
    overlap: int
    multiple: int
    gmac_per_mp: float
    params: int
    onnx_mb: float


def drawing(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Line art of the given size: antialiased strokes, curves and ellipses, about 4% ink."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((height, width), np.uint8)
    area = width * height
    for _ in range(max(4, area // 20000)):
        kind = rng.integers(3)
        thickness = int(rng.integers(1, 4))
        x, y = int(rng.integers(width)), int(rng.integers(height))
        if kind == 0:
            a, b = (int(v) for v in rng.integers(8, max(9, min(width, height) // 8), 2))
            cv2.ellipse(canvas, (x, y), (a, b), float(rng.uniform(0, 180)), 0,
                        float(rng.uniform(90, 360)), 255, thickness, cv2.LINE_AA)
        else:
            steps = rng.normal(0, 20, (int(rng.integers(3, 8)), 2)).cumsum(axis=0)
            points = np.round(np.array([x, y]) + steps).astype(np.int32)
            cv2.polylines(canvas, [points], kind == 1, 255, thickness, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def add_shading(ink: np.ndarray, share: float = 0.25, seed: int = 0) -> np.ndarray:
    """`ink` with patches of shading over about `share` of its area: hatching (short parallel
    1-px strokes 3-5 px apart), cross-hatching and stipple (dots of 1-2 px), as manga and comic
    pages carry beside their lines. Where marks crowd, every tip has a candidate bridge to each
    mark round it, so gap closing takes several times as long as on plain lines."""
    rng = np.random.default_rng(seed)
    height, width = ink.shape
    marks = np.zeros((height, width), np.uint8)
    side = max(32, min(width, height) // 8)
    for _ in range(max(1, round(share * width * height / side**2))):
        x0 = int(rng.integers(0, max(1, width - side)))
        y0 = int(rng.integers(0, max(1, height - side)))
        kind = int(rng.integers(3))
        if kind == 2:
            n = int(side * side * rng.uniform(0.02, 0.05))
            for x, y in rng.uniform(0, side, (n, 2)):
                cv2.circle(marks, (x0 + int(x), y0 + int(y)), int(rng.integers(1, 3)), 255, -1)
            continue
        angle0 = rng.uniform(0, np.pi)
        centre = np.array([x0 + side / 2, y0 + side / 2])
        for k in range(kind + 1):  # hatching, or two sets of it
            angle = angle0 + k * np.pi / 3
            d = np.array([np.cos(angle), np.sin(angle)])
            normal = np.array([-d[1], d[0]])
            spacing = rng.uniform(3.0, 5.0)
            for off in np.arange(-side / 2, side / 2, spacing):
                length = rng.uniform(8, 30)
                c = centre + normal * off + d * rng.uniform(-side / 3, side / 3)
                p0 = np.rint(c - d * length / 2).astype(int)
                p1 = np.rint(c + d * length / 2).astype(int)
                cv2.line(marks, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), 255, 1,
                         cv2.LINE_AA)
    return np.maximum(ink, marks.astype(np.float32) / 255.0)


def status_mb(field: str) -> float:
    """A memory field of /proc/self/status (VmHWM, VmRSS, ...) in MB; NaN where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _peak_rss_mb() -> float:
    """This process's peak resident memory since it started its current program.

    VmHWM rather than ru_maxrss: on Linux, ru_maxrss survives exec, so a child started by the
    parent (which holds torch, a few hundred MB) would report the parent's size as its own peak.
    """
    peak = status_mb("VmHWM")
    if not math.isnan(peak):
        return peak
    # Elsewhere ru_maxrss is all there is: KiB on Linux, bytes on macOS.
    scale = 1.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def child(args: argparse.Namespace) -> None:
    """One model at one size; prints one JSON line. Imports neither torch nor onnx."""
    import onnxruntime as ort

    from krita_linerefiner.core.tiling import TileSpec, fit_to_image, run_tiled

    width, height = (int(v) for v in args.size.split("x"))
    cv2.setNumThreads(args.threads)
    fn: Callable[[np.ndarray], np.ndarray]
    whole: Callable[[np.ndarray], object] | None = None
    if args.model == OURS:
        # Ours is the whole gap pipeline the plugin runs: normalise, stroke ends, candidates,
        # the verifier over all of them, selection and drawing; not one network over tiles.
        from krita_linerefiner.core.gaps import GapParams, close_gaps
        from krita_linerefiner.core.models import create_scorer

        scorer = create_scorer("verifier", threads=args.threads, use_gpu=False)
        params = GapParams(tile=args.tile)

        def whole_pipeline(image: np.ndarray) -> object:
            return close_gaps(image, params, scorer=scorer)

        whole = whole_pipeline
        fn = np.asarray
        spec = TileSpec(size=args.tile, overlap=0, multiple=1)
    else:
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        raw = ort.InferenceSession(args.onnx, sess_options=options,
                                   providers=["CPUExecutionProvider"])
        input_name = raw.get_inputs()[0].name

        def run_reference(tile: np.ndarray) -> np.ndarray:
            (out,) = raw.run(None, {input_name: np.ascontiguousarray(tile)[None, None]})
            return np.asarray(out)[0, 0]

        fn = run_reference
        spec = TileSpec(size=args.tile, overlap=args.overlap, multiple=args.multiple)
    image = drawing(width, height)
    if args.shaded:
        image = add_shading(image)
    spec = fit_to_image(spec, image.shape)
    idle = _peak_rss_mb()
    run_once: Callable[[np.ndarray], object] = (
        whole if whole is not None else (lambda img: run_tiled(img, fn, spec)))
    run_once(image[: min(height, 512), : min(width, 512)])
    times, cpu_times = [], []
    for _ in range(args.repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        run_once(image)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    print(json.dumps({"model": args.model, "size": args.size, "times": times,
                      "cpu_times": cpu_times,
                      "tile_spec": [spec.size, spec.overlap, spec.multiple],
                      "idle_rss_mb": idle, "peak_rss_mb": _peak_rss_mb()}))


def _ours_entry() -> tuple[ModelEntry | None, str | None]:
    import onnx

    from benchmarks.reference_models import gmac_per_megapixel, onnx_parameter_count

    try:
        from krita_linerefiner.core.models import default_models_dir, load_manifest

        folder = default_models_dir()
        info = load_manifest(folder)["verifier"]
    except Exception as exc:  # no manifest yet, or no verifier: measure the references only
        return None, f"ours skipped: {type(exc).__name__}: {exc}"
    path = folder / info.file
    if not path.is_file():
        return None, f"ours skipped: {path} is missing"
    proto = onnx.load(str(path))
    # The verifier's work grows with the candidates, not the pixels: GMAC/MP is not defined.
    del gmac_per_megapixel
    return ModelEntry(OURS, path, 0, 1, float("nan"), onnx_parameter_count(proto),
                      path.stat().st_size / 1e6), None


def _reference_entries(out_dir: Path) -> list[ModelEntry]:
    import onnx

    from benchmarks.reference_models import (
        REFERENCES,
        build_reference,
        export_onnx,
        gmac_per_megapixel,
        parameter_count,
    )

    entries = []
    for spec in REFERENCES:
        model = build_reference(spec.name)
        path = export_onnx(model, out_dir / spec.file)
        proto = onnx.load(str(path))
        # Parameters as the seed counts them (torch, BN included); the ONNX has BN folded.
        entries.append(ModelEntry(spec.name, path, spec.overlap, spec.size_multiple,
                                  gmac_per_megapixel(proto), parameter_count(model),
                                  path.stat().st_size / 1e6))
    return entries


def _run_child(entry: ModelEntry, size: str, threads: int, repeats: int,
               tile: int, shaded: bool = False) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.speed", "--child", "--model", entry.name,
               "--onnx", str(entry.onnx), "--overlap", str(entry.overlap), "--multiple",
               str(entry.multiple), "--size", size, "--threads", str(threads), "--repeats",
               str(repeats), "--tile", str(tile)] + (["--shaded"] if shaded else [])
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"model": entry.name, "size": size, "error": done.stderr.strip()[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(args: argparse.Namespace) -> int:
    wanted = [m.strip() for m in args.models.split(",") if m.strip()]
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="linerefiner-speed-") as tmp:
        entries = [e for e in _reference_entries(Path(tmp)) if e.name in wanted]
        if OURS in wanted:
            ours, why = _ours_entry()
            if ours is None:
                print(why)
            else:
                entries.insert(0, ours)
        print(f"onnxruntime CPU, {args.threads} threads, tiles {args.tile} px, "
              f"{args.repeats} timed repeats after a warm-up; one child process per row"
              + ("; drawings with shading (add_shading)" if args.shaded else "") + "\n")
        info = [["model", "GMAC/MP", "params", "ONNX MB", "overlap", "multiple"]]
        for e in entries:
            gmac = "-" if math.isnan(e.gmac_per_mp) else f"{e.gmac_per_mp:.1f}"
            info.append([e.name, gmac, f"{e.params:,d}", f"{e.onnx_mb:.2f}",
                         str(e.overlap), str(e.multiple)])
        print(markdown_table(info) + "\n")

        runs: list[dict[str, Any]] = []
        table = [["model", "size", "median s", "min s", "CPU s", "peak RSS MB", "idle RSS MB"]]
        for size in sizes:
            for e in entries:
                r = _run_child(e, size, args.threads, args.repeats, args.tile, args.shaded)
                runs.append(r)
                if "error" in r:
                    print(f"{e.name} {size} failed:\n{r['error']}")
                    continue
                r["median_s"] = statistics.median(r["times"])
                r["median_cpu_s"] = statistics.median(r["cpu_times"])
                table.append([e.name, size, f"{r['median_s']:.2f}", f"{min(r['times']):.2f}",
                              f"{r['median_cpu_s']:.2f}",
                              f"{r['peak_rss_mb']:.0f}", f"{r['idle_rss_mb']:.0f}"])
                print(f"  {e.name} {size}: median {r['median_s']:.2f} s, "
                      f"peak {r['peak_rss_mb']:.0f} MB", flush=True)
        print("\n" + markdown_table(table))

        ratios = _ratios(entries, runs)
        if ratios:
            rows = [["ours / reference", "size", "time", "CPU time", "peak RSS", "GMAC/MP",
                     "params"]]
            rows += [[r["reference"], r["size"], f"{r['time']:.3f}", f"{r['cpu_time']:.3f}",
                      f"{r['peak_rss']:.2f}",
                      f"{r['gmac']:.3f}", f"{r['params']:.3f}"] for r in ratios]
            print("\n" + markdown_table(rows))
        if args.json:
            payload = {"threads": args.threads, "tile": args.tile, "repeats": args.repeats,
                       "shaded": args.shaded,
                       "models": [{**asdict(e), "onnx": e.onnx.name} for e in entries],
                       "runs": runs, "ratios": ratios}
            args.json.write_text(json.dumps(payload, indent=2) + "\n")
            print(f"\nwrote {args.json}")
    return 0


def _ratios(entries: list[ModelEntry], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {e.name: e for e in entries}
    done = {(r["model"], r["size"]): r for r in runs if "error" not in r}
    if OURS not in by_name:
        return []
    out = []
    for (name, size), r in done.items():
        mine = done.get((OURS, size))
        if name == OURS or mine is None:
            continue
        ours, ref = by_name[OURS], by_name[name]
        out.append({"reference": name, "size": size,
                    "time": mine["median_s"] / r["median_s"],
                    "cpu_time": mine["median_cpu_s"] / r["median_cpu_s"],
                    "peak_rss": mine["peak_rss_mb"] / r["peak_rss_mb"],
                    "gmac": ours.gmac_per_mp / ref.gmac_per_mp,
                    "params": ours.params / ref.params})
    return out


def run_cli_measured(cli_args: list[str]) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """`python -m krita_linerefiner *cli_args` in a child process: (the finished process, wall
    seconds, peak RSS in MB, 0 when the child could not report it).

    The CLI runs inside a small wrapper that reports its peak memory (see _peak_rss_mb) on the
    last line of stderr once the CLI has finished, however it exits.
    """
    wrapper = (
        "import runpy, sys\n"
        f"sys.argv = ['linerefiner', *{cli_args!r}]\n"
        "try:\n"
        "    runpy.run_module('krita_linerefiner', run_name='__main__', alter_sys=True)\n"
        "finally:\n"
        "    from benchmarks.speed import _peak_rss_mb\n"
        "    print(f'PEAK_RSS_MB {_peak_rss_mb()}', file=sys.stderr)\n"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - start
    lines = done.stderr.strip().splitlines()
    peak = float(lines[-1].split()[1]) if lines and lines[-1].startswith("PEAK_RSS_MB") else 0.0
    return done, seconds, peak


def measure_cli(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("krita_linerefiner.cli") is None:
        print("cli skipped: krita_linerefiner.cli does not exist yet")
        return 0
    with tempfile.TemporaryDirectory(prefix="linerefiner-cli-") as tmp:
        source = Path(tmp) / "drawing.png"
        paper = (255 - np.round(drawing(4096, 4096) * 255)).astype(np.uint8)
        cv2.imwrite(str(source), paper)
        command = [sys.executable, "-m", "krita_linerefiner", "close-gaps", str(source),
                   "-o", str(Path(tmp) / "out"), "--threads", str(args.threads), "--cpu"]
        print("running: python " + " ".join(command[1:]))
        done, seconds, peak = run_cli_measured(command[3:])
        if done.returncode != 0:
            print(f"cli failed with exit code {done.returncode}:\n"
                  f"{(done.stdout + done.stderr)[-2000:]}")
            return 1
        outputs = sorted(p.name for p in (Path(tmp) / "out").rglob("*") if p.is_file())
        print(f"cli close-gaps 4096x4096, {args.threads} threads: {seconds:.1f} s, "
              f"peak RSS {peak:.0f} MB; wrote {outputs}")
        if args.json:
            args.json.write_text(json.dumps({"size": "4096x4096", "threads": args.threads,
                                             "seconds": seconds, "peak_rss_mb": peak}) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="speed and memory of ours vs the references")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", default="1920x1080,4096x4096", help="WxH, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tile", type=int, default=TILE)
    parser.add_argument("--models", default=f"{OURS},linerelifer,lightunet")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--shaded", action="store_true",
                        help="add patches of hatching and stipple to the drawings (add_shading)")
    parser.add_argument("--cli", action="store_true", help="time the close-gaps CLI instead")
    # Internal: one measurement in a fresh process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--onnx", help=argparse.SUPPRESS)
    parser.add_argument("--overlap", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--multiple", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    return measure_cli(args) if args.cli else measure(args)


if __name__ == "__main__":
    sys.exit(main())
