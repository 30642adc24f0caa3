"""Write the gap-closing training data: `python -m training.gaps.make_data [--out data/gaps]`.

data/gaps/{train,val,test}/shard_XXXX.npz with ink, target, gap_labels (uint8 maps), gap_lengths,
gap_merges (per gap), source and kind (per crop); data/gaps/index.json records counts, seeds and
every source id per split. Deterministic for a given --seed: same bytes on every run.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from multiprocessing.pool import Pool
from pathlib import Path

import cv2
import numpy as np

from training.common import sources
from training.gaps.degrade import DegradeParams, degrade

KINDS = ("openclipart", "hershey", "procedural")
MIX = {"openclipart": 0.55, "hershey": 0.15, "procedural": 0.30}
DEFAULT_DEGRADE = DegradeParams()


@dataclass(frozen=True)
class SplitPlan:
    name: str
    size: int  # crop edge, px
    crops: int
    shard_size: int
    # Crops taken from one source drawing: few per drawing where we want many drawings (val/test).
    per_sheet: dict[str, int]


@dataclass(frozen=True)
class CropRule:
    min_ink: float = 0.025  # mean ink of a crop; below it the crop is mostly empty paper
    max_ink: float = 0.35
    tries_per_crop: int = 6


@dataclass(frozen=True)
class Job:
    split: str
    kind: str
    source: str  # font name, svg path relative to the openclipart root, or procedural seed
    seed: tuple[int, ...]
    size: int
    crops: int
    params: DegradeParams = DEFAULT_DEGRADE


@dataclass(frozen=True)
class Sample:
    ink: np.ndarray
    target: np.ndarray
    labels: np.ndarray
    lengths: np.ndarray
    merges: np.ndarray
    source: str
    kind: str


def default_plans(train: int, val: int, test: int) -> list[SplitPlan]:
    return [
        SplitPlan("train", 192, train, 1000, {"openclipart": 4, "hershey": 4, "procedural": 1}),
        SplitPlan("val", 384, val, 1000, {"openclipart": 1, "hershey": 2, "procedural": 1}),
        SplitPlan("test", 384, test, 1000, {"openclipart": 1, "hershey": 2, "procedural": 1}),
    ]


def max_gaps(size: int, params: DegradeParams) -> int:
    return max(1, round(params.gaps_per_192[1] * size * size / 192**2))


def quantize(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def crops_from_sheet(sheet: np.ndarray, size: int, n: int, rng: np.random.Generator,
                     rule: CropRule = CropRule()) -> list[np.ndarray]:
    """Crops centred near random ink pixels (so few are empty), padded with paper if the sheet is
    smaller than a crop."""
    h, w = sheet.shape
    if h < size or w < size:
        padded = np.zeros((max(h, size), max(w, size)), np.float32)
        oy, ox = (padded.shape[0] - h) // 2, (padded.shape[1] - w) // 2
        padded[oy : oy + h, ox : ox + w] = sheet
        sheet, (h, w) = padded, padded.shape
    ys, xs = np.nonzero(sheet > 0.5)
    if len(ys) == 0:
        return []
    out: list[np.ndarray] = []
    for _ in range(n * rule.tries_per_crop):
        if len(out) == n:
            break
        i = int(rng.integers(len(ys)))
        cy = int(ys[i] + rng.integers(-size // 3, size // 3 + 1))
        cx = int(xs[i] + rng.integers(-size // 3, size // 3 + 1))
        y0 = int(np.clip(cy - size // 2, 0, h - size))
        x0 = int(np.clip(cx - size // 2, 0, w - size))
        crop = sheet[y0 : y0 + size, x0 : x0 + size]
        if rule.min_ink <= float(crop.mean()) <= rule.max_ink:
            out.append(np.ascontiguousarray(crop))
    return out


def run_job(job: Job) -> list[Sample]:
    rng = np.random.default_rng(list(job.seed))
    sheets: list[tuple[str, np.ndarray]] = []
    if job.kind == "openclipart":
        strokes = sources.openclipart_strokes(job.source, rng)
        regions = sources.openclipart_regions(job.source, rng)
        sheets = [(k, s) for k, s in (("openclipart-strokes", strokes),
                                      ("openclipart-regions", regions)) if s is not None]
        source_id = f"openclipart:{job.source}"
    elif job.kind == "hershey":
        sheets = [("hershey", sources.hershey_page(job.source, (2 * job.size, 2 * job.size), rng))]
        source_id = f"hershey:{job.source}"
    else:
        sheets = [("procedural", sources.procedural_drawing((job.size, job.size), rng))]
        source_id = f"procedural:{job.source}"
    samples: list[Sample] = []
    for kind, sheet in sheets:
        for crop in crops_from_sheet(sheet, job.size, job.crops, rng):
            d = degrade(crop, rng, job.params)
            if len(d.gap_lengths) == 0 or len(d.gap_lengths) > 255:
                continue
            samples.append(Sample(quantize(d.ink), quantize(d.target),
                                  d.gap_labels.astype(np.uint8), d.gap_lengths, d.gap_merges,
                                  source_id, kind))
    return samples


def candidate_jobs(plan: SplitPlan, kind: str, seed: int,
                   params: DegradeParams = DEFAULT_DEGRADE) -> Iterator[Job]:
    """Endless, deterministic stream of jobs of one kind for one split."""
    split_idx = sources.SPLITS.index(plan.name)
    kind_idx = KINDS.index(kind)
    order = np.random.default_rng([seed, split_idx, kind_idx, 7919])
    n = plan.per_sheet[kind]
    if kind == "openclipart":
        files = [f for f in sources.openclipart_files()
                 if sources.openclipart_split(f) == plan.name]
        files = [files[i] for i in order.permutation(len(files))]
        for j, f in enumerate(files):
            yield Job(plan.name, kind, f, (seed, split_idx, kind_idx, j), plan.size, n, params)
        return
    if kind == "hershey":
        splits = sources.hershey_font_splits(sources.hershey_fonts())
        fonts = sorted(f for f, s in splits.items() if s == plan.name)
        if not fonts:
            return
        j = 0
        while True:
            for i in order.permutation(len(fonts)):
                yield Job(plan.name, kind, fonts[int(i)], (seed, split_idx, kind_idx, j),
                          plan.size, n, params)
                j += 1
    base = sources.PROCEDURAL_SEED_BASE[plan.name]
    j = 0
    while True:
        proc_seed = base + seed * 1_000_000 + j
        yield Job(plan.name, kind, str(proc_seed), (proc_seed,), plan.size, n, params)
        j += 1


def _init_worker() -> None:
    cv2.setNumThreads(1)  # two worker processes already fill the machine's cores


def collect(plan: SplitPlan, kind: str, quota: int, seed: int, pool: Pool | None,
            batch: int, log: Sequence[float],
            params: DegradeParams = DEFAULT_DEGRADE) -> list[Sample]:
    """Runs jobs in fixed-size batches and takes results in job order until the quota is met, so
    the output does not depend on worker timing."""
    out: list[Sample] = []
    jobs = candidate_jobs(plan, kind, seed, params)
    exhausted = False
    # Openclipart jobs give up to two sheets (strokes, regions); some give none.
    per_job = plan.per_sheet[kind] * (1.4 if kind == "openclipart" else 0.9)
    while len(out) < quota and not exhausted:
        # Small batches near the end: the last batch's surplus is computed for nothing.
        want = int(np.clip(np.ceil((quota - len(out)) / per_job), 2, batch))
        chunk = []
        for job in jobs:
            chunk.append(job)
            if len(chunk) == want:
                break
        exhausted = len(chunk) < want
        if not chunk:
            break
        results = pool.map(run_job, chunk, chunksize=1) if pool else [run_job(j) for j in chunk]
        for r in results:
            out.extend(r)
        print(f"  {plan.name:5s} {kind:11s} {min(len(out), quota):6d}/{quota} "
              f"({time.monotonic() - log[0]:6.1f} s)", flush=True)
    if len(out) < quota:
        print(f"  warning: {plan.name} {kind}: only {len(out)} of {quota} crops", flush=True)
    return out[:quota]


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed stamps the current time into the zip; a fixed stamp keeps re-runs
    byte-identical. Fast deflate: the uint8 maps compress well at any level."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(info, buf.getvalue(), compresslevel=1)


def shard_arrays(samples: Sequence[Sample], g: int) -> dict[str, np.ndarray]:
    lengths = np.zeros((len(samples), g), np.float32)
    merges = np.zeros((len(samples), g), bool)
    for i, s in enumerate(samples):
        lengths[i, : len(s.lengths)] = s.lengths
        merges[i, : len(s.merges)] = s.merges
    return {
        "ink": np.stack([s.ink for s in samples]),
        "target": np.stack([s.target for s in samples]),
        "gap_labels": np.stack([s.labels for s in samples]),
        "gap_lengths": lengths,
        "gap_merges": merges,
        "source": np.array([s.source for s in samples], dtype=str),
        "kind": np.array([s.kind for s in samples], dtype=str),
    }


def split_stats(samples: Sequence[Sample]) -> dict[str, object]:
    lengths = np.concatenate([s.lengths for s in samples]) if samples else np.zeros(0)
    merges = np.concatenate([s.merges for s in samples]) if samples else np.zeros(0, bool)
    hist, edges = np.histogram(lengths, bins=np.arange(1, 18, 1))
    return {
        "crops": len(samples),
        "crops_per_kind": dict(sorted(Counter(s.kind for s in samples).items())),
        "gaps": int(len(lengths)),
        "gaps_per_crop": round(float(len(lengths)) / max(1, len(samples)), 3),
        "merge_share": round(float(merges.mean()) if len(merges) else 0.0, 4),
        "length_hist": {f"{int(a)}-{int(a) + 1}": int(c) for a, c in zip(edges[:-1], hist,
                                                                        strict=True)},
        "mean_ink": round(float(np.mean([s.target.mean() / 255 for s in samples])), 4)
        if samples else 0.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=Path("data/gaps"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train", type=int, default=12000)
    ap.add_argument("--val", type=int, default=200)
    ap.add_argument("--test", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="small set for smoke tests (600/40/40)")
    ap.add_argument("--splits", default="train,val,test",
                    help="comma-separated splits to write (a supplement: --splits train)")
    ap.add_argument("--short-bias", type=float, default=DegradeParams.short_bias,
                    help="Beta(1, b) shape of gap lengths; larger b gives more short gaps")
    args = ap.parse_args(argv)
    if args.quick:
        args.train, args.val, args.test = 600, 40, 40
    workers = max(0, min(2, args.workers))  # the machine is shared: never more than 2
    params = DegradeParams(short_bias=args.short_bias)
    wanted = [s.strip() for s in args.splits.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(sources.SPLITS))
    if unknown:
        ap.error(f"unknown split(s): {', '.join(unknown)}; choose from {', '.join(sources.SPLITS)}")
    plans = [p for p in default_plans(args.train, args.val, args.test) if p.name in wanted]
    if not sources.openclipart_files():
        print("warning: no openclipart at /usr/share/openclipart; its share goes to procedural",
              flush=True)
    t0 = time.monotonic()
    log = (t0,)
    index: dict[str, object] = {
        "command": "python -m training.gaps.make_data " + " ".join(
            sys.argv[1:] if argv is None else list(argv)),
        "seed": args.seed,
        "mix": MIX,
        "degrade_params": asdict(params),
        "split_rule": {"openclipart": "sha256('openclipart:' + path) -> [0,1): <0.85 train, "
                                      "<0.90 val, else test",
                       "hershey": "fonts ordered by sha256('hershey:' + font): first 6% val, "
                                  "next 10% test, rest train",
                       "procedural": f"seed ranges {sources.PROCEDURAL_SEED_BASE}"},
        "splits": {},
    }
    pool = mp.get_context("fork").Pool(workers, initializer=_init_worker) if workers else None
    try:
        for plan in plans:
            split_dir = args.out / plan.name
            split_dir.mkdir(parents=True, exist_ok=True)
            for old in split_dir.glob("shard_*.npz"):
                old.unlink()
            quotas = {k: round(MIX[k] * plan.crops) for k in KINDS}
            quotas["procedural"] = plan.crops - quotas["openclipart"] - quotas["hershey"]
            samples: list[Sample] = []
            for kind in KINDS:
                got = collect(plan, kind, quotas[kind], args.seed, pool, batch=32, log=log,
                              params=params)
                # Procedural sheets need no data package, so they make up for a source that
                # is missing here (openclipart-svg, hershey-fonts-data): --train N gives N.
                if kind != "procedural" and len(got) < quotas[kind]:
                    quotas["procedural"] += quotas[kind] - len(got)
                samples.extend(got)
            # Shuffle crops across kinds so that every shard is a fair sample of the split.
            perm = np.random.default_rng([args.seed, 104729, sources.SPLITS.index(plan.name)])
            samples = [samples[int(i)] for i in perm.permutation(len(samples))]
            g = max_gaps(plan.size, params)
            shards = []
            for k, start in enumerate(range(0, len(samples), plan.shard_size)):
                path = split_dir / f"shard_{k:04d}.npz"
                write_npz(path, shard_arrays(samples[start : start + plan.shard_size], g))
                shards.append(path.name)
            stats = split_stats(samples)
            stats.update({"size": plan.size, "max_gaps": g, "shards": shards,
                          "sources": sorted({s.source for s in samples})})
            index["splits"][plan.name] = stats  # type: ignore[index]
            print(f"{plan.name}: {len(samples)} crops, {stats['gaps']} gaps, merge share "
                  f"{stats['merge_share']}, {len(shards)} shards "
                  f"({time.monotonic() - t0:.1f} s)", flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    (args.out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"done in {time.monotonic() - t0:.1f} s -> {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
