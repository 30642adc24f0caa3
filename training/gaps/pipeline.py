"""The whole gap-verifier chain in one command: data, training, ONNX export, manifest.

    python -m training.gaps.pipeline [--out runs/verifier] [--models models]
                                     [--per-category 320] [--size 256] [--epochs 16]
                                     [--handdrawn-crops 2000] [--precision bfloat16]

1. Data: drawings of every category of training.gaps.realistic (faint, 1-px aliased,
   junction breaks, dashes, long breaks, specks, colour lines, JPEG, gap-free, shading,
   sketchy lines), generated with training seeds (the benchmark uses seed 0 and other counts;
   see SEED_OFFSET), the procedural drawings of benchmarks.gaps.synthetic_set, and, when
   Debian's openclipart-svg and hershey-fonts-data are here, `--source-crops` train-split
   crops of the dense model's sources (training.gaps.make_data, seed `--source-seed`, by
   default 5 + `--seed`; held-out drawings and fonts stay out). Each drawing goes
   through the same normalisation and candidate search as the plugin, and each candidate is
   labelled (training.gaps.verifier_data). `--bridge curve` (the default) draws in each patch
   the curve a closure would be drawn along and judges the labels along it; `--bridge chord`
   the straight line between the tips (the manifest records which a verifier was trained on).
2. Training: the Verifier CNN, Adam, plain (calibrated) BCE, mirrored patches as augmentation,
   seeded; a fixed number of epochs. `--members N` (default 2) trains N of them on the same
   rows from seeds seed..seed+N-1; the export is one model giving the mean of their
   probabilities (training.gaps.verifier.Ensemble).
3. Export: models/verifier.onnx, checked against torch, recorded in models/manifest.json with
   its provenance and validation metrics.
4. Quantize (training.gaps.quantize; not with `--no-quantize`): the float export is kept as
   models/verifier_float.onnx and models/verifier.onnx becomes its 8-bit version, 2-2.5x
   faster on a CPU.
Reproducible: the same command gives the same data and, on the same machine, the same weights.

On a machine with more cores and a GPU: `--jobs 16` makes the rows in 16 processes (the same
rows as one), `--device cuda` trains there (the same seeds, not the same bytes as on a CPU),
and with `--rows-cache DIR --data-only` once, several runs that differ only by `--train-seed`
train at once on the same rows (the cache keeps the rows of the last 3 keys it was given,
`--rows-cache-keep`: each takes 3-7 GB). `--scaled-copies N` adds N cut versions of each source crop
enlarged twice (lines 2-8 px, breaks up to 64 px), as scans at a higher resolution show them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import torch
from torch.nn import functional as F

from krita_linerefiner.core.candidates import (
    BRIDGE_CURVE,
    BRIDGE_KINDS,
    FEATURES,
    PATCH,
    SAMPLING_KINDS,
    SAMPLING_POINT,
)
from krita_linerefiner.core.closures import MAX_REACH
from training.common.manifest import sha256_of, update_manifest
from training.gaps.quantize import quantize_models_dir
from training.gaps.verifier import HIDDEN, WIDTHS, Ensemble, Verifier, macs_per_candidate
from training.gaps.verifier_data import Rows, cap_negatives, rows_for_set

SEED_OFFSET = 1000  # training drawings use seeds >= this; the benchmark's seed is 0
TRAIN_MAX_GAP = 48  # candidates up to this long are shown in training, whatever the default


def source_crops(out: Path, crops: int, seed: int, log) -> dict | None:
    """Crops of the dense model's sources (openclipart strokes and regions, Hershey letters,
    procedural), train split only, made by training.gaps.make_data into `out`; None when the
    Debian packages they come from are not here. They bring what the generated categories lack:
    letters and drawings whose natural openings must stay open, and natural short breaks."""
    import subprocess

    from training.common import sources
    from training.gaps.dataset import load_split

    if crops <= 0:
        return None
    # Crops made earlier (here, or elsewhere and copied: a GPU machine has no Debian packages)
    # are used as they are.
    index = out / "index.json"
    if index.exists():
        recorded = json.loads(index.read_text())
        command = str(recorded.get("command", ""))
        if recorded.get("seed") == seed and f"--train {crops}" in command:
            log(f"  source crops: reusing {out} ({command})")
            return load_split(out, "train")
    if not sources.openclipart_files() or not sources.hershey_fonts():
        log("  source crops skipped: openclipart-svg / hershey-fonts-data not installed "
            "(or LINEREFINER_OPENCLIPART_DIR / LINEREFINER_HERSHEY_DIR not set)")
        return None
    command = [sys.executable, "-m", "training.gaps.make_data", "--out", str(out), "--seed",
               str(seed), "--splits", "train", "--train", str(crops)]
    log("  " + " ".join(command[1:]))
    subprocess.run(command, check=True)
    return load_split(out, "train")


# A chunk of source crops made into rows by one worker (--jobs): big sets are cut into chunks
# of this many crops, each seeded by its crops' indices, so the rows are the same for any --jobs.
CHUNK = 150
SCALED = 2  # --scaled-copies: source crops enlarged this many times


@dataclass(frozen=True)
class Part:
    """A piece of one training set that a worker makes into rows on its own."""

    name: str  # the set it belongs to
    kind: str  # "sources", "realcuts", "category" or "procedural"
    seed: int = 0
    count: int = 0  # drawings (category, procedural) or copies (realcuts)
    size: int = 256
    first: int = 0  # realcuts: index of the chunk's first crop in the set
    scale: int = 1  # realcuts: crops enlarged this many times
    data: dict[str, np.ndarray] | None = None  # sources: the drawings; realcuts: "target"
    category: str = ""

    @property
    def max_gap(self) -> int:
        """px: how long the candidates shown in training are (longer on enlarged crops, as the
        plugin's max gap grows with the lines: core.closures.candidate_gap)."""
        return min(MAX_REACH, TRAIN_MAX_GAP * self.scale)


def set_parts(per_category: int, size: int, seed: int, sources: dict | None = None,
              realcuts_copies: int = 4, scaled_copies: int = 0,
              also: tuple[str, ...] = (), handdrawn: np.ndarray | None = None,
              handdrawn_copies: int = 4) -> list[Part]:
    """The parts of the verifier's training set; `also`: benchmark-only categories
    (realistic.BENCHMARK_ONLY) to train on too; `handdrawn`: intact hand-drawn crops
    (training.gaps.handdrawn), cut `handdrawn_copies` times each as benchmarks.real cuts."""
    from training.gaps import realistic

    parts: list[Part] = []
    if sources is not None:
        for kind in sorted(set(sources["kind"].tolist())):
            pick = sources["kind"] == kind
            parts.append(Part(f"sources/{kind}", "sources", data={
                k: v[pick] for k, v in sources.items() if k in ("ink", "target", "gap_labels")}))
        # The same intact openclipart and lettering crops, cut and degraded as benchmarks.real
        # cuts drawings (letters teach which openings stay open: the gaps between them).
        kinds = sources["kind"].astype(str)
        drawn = sources["target"][np.char.startswith(kinds, "openclipart") | (kinds == "hershey")]
        for name, copies, scale in (("sources/realcuts", realcuts_copies, 1),
                                    (f"sources/realcuts_x{SCALED}", scaled_copies, SCALED)):
            if not copies:
                continue
            for lo in range(0, len(drawn), CHUNK):
                parts.append(Part(name, "realcuts", seed=SEED_OFFSET + seed, count=copies,
                                  first=lo, scale=scale, data={"target": drawn[lo:lo + CHUNK]}))
    if handdrawn is not None and len(handdrawn) and handdrawn_copies:
        for lo in range(0, len(handdrawn), CHUNK):
            parts.append(Part("sources/handdrawn", "realcuts", seed=SEED_OFFSET + seed + 7,
                              count=handdrawn_copies, first=lo,
                              data={"target": handdrawn[lo:lo + CHUNK]}))
    for i, category in enumerate(realistic.CATEGORIES):
        if category in realistic.BENCHMARK_ONLY and category not in also:
            continue
        parts.append(Part(category, "category", seed=SEED_OFFSET + 100 * seed + i,
                          count=per_category, size=size, category=category))
    parts.append(Part("procedural", "procedural", seed=SEED_OFFSET + 100 * seed + 99,
                      count=per_category, size=size))
    return parts


def part_drawings(part: Part) -> dict[str, np.ndarray]:
    """The drawings (ink, target, gap_labels) of one part."""
    from benchmarks.gaps import synthetic_set
    from training.gaps import realcuts, realistic

    if part.kind == "sources":
        assert part.data is not None
        return part.data
    if part.kind == "realcuts":
        assert part.data is not None
        return realcuts.make_set(part.data["target"], seed=part.seed, copies=part.count,
                                 first=part.first, scale=part.scale)
    if part.kind == "category":
        return realistic.make_category(part.category, part.count, seed=part.seed,
                                       size=part.size)
    return synthetic_set(part.count, size=part.size, seed=part.seed)


def part_rows(job: tuple[Part, str, str]) -> tuple[Rows, int]:
    """One part's labelled candidates (drawing ids from 0) and its number of drawings."""
    part, bridge, sampling = job
    cv2.setNumThreads(1)
    data = part_drawings(part)
    return (rows_for_set(data, part.max_gap, bridge=bridge, sampling=sampling),
            len(data["ink"]))


def set_file(cache: Path, key: str, name: str, scaled_copies: int, handdrawn_tag: str = ""
             ) -> Path:
    """Where the rows of set `name` are kept (--rows-cache): `key` (rows_key) names the code,
    source crops and options they come from; the enlarged set also its number of copies, the
    hand-drawn set its crops (`handdrawn_tag`)."""
    safe = name.replace("/", "-")
    if name.startswith("sources/realcuts_x"):
        safe += f"-{scaled_copies}"
    if name == "sources/handdrawn":
        safe += f"-{handdrawn_tag}"
    return cache / f"rows-{key}-{safe}.npz"


def set_file_key(path: Path) -> str:
    """The key a set_file name holds (rows-KEY-SET.npz; a key has no dash)."""
    return path.name.split("-")[1]


def prune_rows_cache(cache: Path, key: str, keep: int) -> list[Path]:
    """Remove from the rows cache the files of all keys but `key` and the keep - 1 others most
    recently written (each key's rows take 3-7 GB: a run whose code changed writes a new key,
    and the old ones only fill the disk). `keep` 0 keeps everything. The files removed."""
    if keep <= 0 or not cache.is_dir():
        return []
    newest: dict[str, float] = {}
    files: dict[str, list[Path]] = {}
    for path in cache.glob("rows-*-*.npz"):
        other = set_file_key(path)
        files.setdefault(other, []).append(path)
        newest[other] = max(newest.get(other, 0.0), path.stat().st_mtime)
    others = sorted((k for k in newest if k != key), key=lambda k: newest[k], reverse=True)
    removed = [path for k in others[keep - 1:] for path in sorted(files[k])]
    for path in removed:
        path.unlink()
    return removed


def build_rows(per_category: int, size: int, seed: int, log, sources: dict | None = None,
               realcuts_copies: int = 4, bridge: str = BRIDGE_CURVE,
               sampling: str = SAMPLING_POINT, jobs: int = 1, scaled_copies: int = 0,
               cache: tuple[Path, str] | None = None, also: tuple[str, ...] = (),
               handdrawn: np.ndarray | None = None, handdrawn_copies: int = 4
               ) -> tuple[Rows, dict[str, int]]:
    """Every set's labelled candidates, joined in training order (drawing ids running on
    across sets). `jobs` > 1 makes the parts in that many processes (the same rows). With
    `cache` (folder, rows_key), each set's rows are kept there and a set found there is not
    made again, so a run that adds a set makes only that one."""
    parts = set_parts(per_category, size, seed, sources, realcuts_copies, scaled_copies, also,
                      handdrawn, handdrawn_copies)
    handdrawn_tag = ""
    if handdrawn is not None:
        import hashlib

        digest = hashlib.sha256(handdrawn.tobytes()).hexdigest()[:12]
        handdrawn_tag = f"{handdrawn_copies}-{digest}"
    names = list(dict.fromkeys(part.name for part in parts))
    kept: dict[str, tuple[Rows, int]] = {}
    if cache is not None:
        for name in names:
            path = set_file(cache[0], cache[1], name, scaled_copies, handdrawn_tag)
            if path.exists():
                kept[name] = load_rows(path)[0], load_drawings(path)
                log(f"  {name}: rows from {path}")
    todo = [i for i, part in enumerate(parts) if part.name not in kept]
    work = [(parts[i], bridge, sampling) for i in todo]
    if jobs > 1 and len(work) > 1:
        import multiprocessing

        # The cut source crops first: they take longest, and no worker should be left with
        # one at the end. The results go back in the parts' order.
        order = sorted(range(len(work)), key=lambda i: work[i][0].kind != "realcuts")
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = pool.map(part_rows, [work[i] for i in order], chunksize=1)
        by_index = dict(zip(order, done, strict=True))
        made = [by_index[i] for i in range(len(work))]
    else:
        made = [part_rows(w) for w in work]
    grouped: dict[str, list[tuple[Rows, int]]] = {}
    for i, result in zip(todo, made, strict=True):
        grouped.setdefault(parts[i].name, []).append(result)
    for name, chunks in grouped.items():
        pieces, drawings = [], 0
        for rows, n in chunks:
            pieces.append(Rows(rows.patches, rows.features, rows.labels, rows.lengths,
                               rows.drawing + np.int32(drawings)))
            drawings += n
        rows = Rows.concat(pieces)
        if name in NEGATIVES_PER_DRAWING:
            rows = cap_negatives(rows, NEGATIVES_PER_DRAWING[name], SEED_OFFSET + seed)
        kept[name] = rows, drawings
        if cache is not None:
            save_rows(set_file(cache[0], cache[1], name, scaled_copies, handdrawn_tag), rows,
                      {name: int(len(rows.labels))}, drawings)
    out, counts, first = [], {}, 0
    for name in names:
        rows, drawings = kept[name]
        out.append(Rows(rows.patches, rows.features, rows.labels, rows.lengths,
                        rows.drawing + np.int32(first)))
        first += drawings
        counts[name] = int(len(rows.labels))
        log(f"  {name}: {drawings} drawings, {len(rows.labels)} candidates, "
            f"{rows.labels.mean() if len(rows.labels) else 0:.2f} positive")
    return Rows.concat(out), counts


# Sets whose drawings make far more candidates than the rest, capped to this many negative rows
# per drawing: a shaded patch alone gives a drawing about 2,000 candidates (636,984 for the 320
# shading drawings, more than all other sets together), nearly all bridges between marks of
# the same texture.
NEGATIVES_PER_DRAWING = {"shading": 150}

PRECISIONS = ("float32", "bfloat16")  # --precision: the training steps' arithmetic
# The layout of the patches and the conv weights while training: channels last lets oneDNN's
# CPU convolutions run without reordering each batch, about 1.45 times the steps a second on the
# real rows here (models/README.md, stop 63). The same arithmetic; the exported net is contiguous
# again.
MEMORY_FORMAT = torch.channels_last
# What the rows depend on: a change to any of these files makes new rows.
ROWS_CODE = ("krita_linerefiner/core/candidates.py", "krita_linerefiner/core/lines.py",
             "krita_linerefiner/core/ink.py", "training/gaps/realistic.py",
             "training/gaps/verifier_data.py", "training/gaps/pipeline.py", "benchmarks/gaps.py",
             "training/gaps/realcuts.py", "benchmarks/real.py")


def rows_key(args: argparse.Namespace) -> str:
    import hashlib

    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for name in ROWS_CODE:
        digest.update((root / name).read_bytes())
    index = args.source_data / "index.json"
    digest.update(index.read_bytes() if args.source_crops > 0 and index.exists() else b"-")
    digest.update(repr((args.per_category, args.size, args.seed, args.source_crops,
                         args.realcuts_copies, args.bridge, args.sampling)).encode())
    also = tuple(getattr(args, "also", ()))
    if also:  # the keys of runs without it stay as they were
        digest.update(repr(also).encode())
    return digest.hexdigest()[:16]


def save_rows(path: Path, rows: Rows, counts: dict[str, int], drawings: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, patches=rows.patches, features=rows.features, labels=rows.labels,
             lengths=rows.lengths, drawing=rows.drawing, counts=json.dumps(counts),
             drawings=np.int64(drawings))
    partial.replace(path)


def load_drawings(path: Path) -> int:
    """How many drawings the rows saved at `path` came from (some make no candidate)."""
    with np.load(path) as z:
        return int(z["drawings"])


def load_rows(path: Path) -> tuple[Rows, dict[str, int]]:
    with np.load(path) as z:
        rows = Rows(z["patches"], z["features"], z["labels"], z["lengths"], z["drawing"])
        return rows, json.loads(str(z["counts"]))


def split(rows: Rows, val_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # By drawing, so candidates of one drawing never sit on both sides.
    drawings = np.unique(rows.drawing)
    rng = np.random.default_rng(seed)
    val_drawings = rng.choice(drawings, size=max(1, int(len(drawings) * val_share)),
                              replace=False)
    is_val = np.isin(rows.drawing, val_drawings)
    return np.nonzero(~is_val)[0], np.nonzero(is_val)[0]


def predict(net: torch.nn.Module, rows: Rows, index: np.ndarray, batch: int = 2048,
            device: str = "cpu") -> np.ndarray:
    out = []
    net.eval()
    with torch.no_grad():
        for lo in range(0, len(index), batch):
            k = index[lo : lo + batch]
            x = torch.from_numpy(rows.patches[k].astype(np.float32)).to(device)
            out.append(net(x.contiguous(memory_format=MEMORY_FORMAT),
                           torch.from_numpy(rows.features[k]).to(device)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="stable")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _in_layout(net: Verifier, layout: torch.memory_format) -> Verifier:
    """`net` with its conv weights in `layout` (Module.to takes memory_format, as its docs say;
    torch's type stubs leave it out of the overloads)."""
    return net.to(memory_format=layout)  # pyright: ignore[reportCallIssue]


def train(rows: Rows, train_idx: np.ndarray, val_idx: np.ndarray, epochs: int, seed: int,
          log, widths: tuple[int, int, int] = WIDTHS, hidden: int = HIDDEN,
          device: str = "cpu", precision: str = "float32") -> tuple[Verifier, list[dict]]:
    """One verifier trained on rows[train_idx]. On "cuda" the rows are copied to the GPU once;
    the batches, flips and weights start from the same seeds as on the CPU. With precision
    "bfloat16" the training steps' forward pass runs under torch.autocast in bfloat16 (the
    weights, the loss, validation and export stay float32): on a CPU with AMX an epoch takes
    about 40% of the float32 time (models/README.md, stop 51)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = _in_layout(Verifier(widths=widths, hidden=hidden).to(device), MEMORY_FORMAT)
    patches = torch.from_numpy(rows.patches).to(device)
    features = torch.from_numpy(rows.features).to(device)
    labels = torch.from_numpy(rows.labels).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-5)
    batch = 256
    steps_per_epoch = max(1, len(train_idx) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs *
                                                steps_per_epoch, pct_start=0.15)
    history = []
    start = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        order = rng.permutation(train_idx)
        total = 0.0
        for s in range(steps_per_epoch):
            k = torch.from_numpy(order[s * batch : (s + 1) * batch]).to(device)
            x = patches[k].float()
            # The patch mirrored across the bridge is the same question.
            flip = torch.from_numpy(rng.random(len(k)) < 0.5).to(device)
            x = torch.where(flip[:, None, None, None], torch.flip(x, dims=[2]), x)
            x = x.contiguous(memory_format=MEMORY_FORMAT)
            y = labels[k].float()
            with torch.autocast(device.split(":")[0], dtype=torch.bfloat16,
                                enabled=precision == "bfloat16"):
                logit = net.logits(x, features[k])
            logit = logit.float()
            # Unweighted, so the output is a calibrated probability: sensitivity 0.5 then
            # means "more likely closed than not", as the docker says.
            loss = F.binary_cross_entropy_with_logits(logit, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.detach()
        total = float(total)
        p = predict(net, rows, val_idx, device=device)
        y_val = rows.labels[val_idx]
        entry = {"epoch": epoch + 1, "loss": round(total / steps_per_epoch, 4),
                 "val_auc": round(auc(y_val, p), 4),
                 "val_accuracy": round(float(np.mean((p >= 0.5) == (y_val == 1))), 4),
                 "seconds": round(time.perf_counter() - start, 1)}
        history.append(entry)
        log(f"  epoch {entry['epoch']}: loss {entry['loss']} val AUC {entry['val_auc']} "
            f"acc {entry['val_accuracy']} ({entry['seconds']} s)")
    return _in_layout(net.cpu(), torch.contiguous_format), history


def export(net: torch.nn.Module, rows: Rows, path: Path) -> float:
    net.eval()
    patches = torch.from_numpy(rows.patches[:64].astype(np.float32))
    features = torch.from_numpy(rows.features[:64])
    torch.onnx.export(net, (patches, features), str(path), input_names=["patches", "features"],
                      output_names=["probability"],
                      dynamic_axes={"patches": {0: "N"}, "features": {0: "N"},
                                    "probability": {0: "N"}},
                      opset_version=17, dynamo=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"patches": patches.numpy(), "features": features.numpy()})[0]
    with torch.no_grad():
        want = net(patches, features).numpy()
    return float(np.max(np.abs(np.asarray(got) - want)))


def hardware(device: str, threads: int, jobs: int, precision: str = "float32") -> str:
    """What the manifest says the verifier was trained on."""
    if precision != "float32":
        return f"{hardware(device, threads, jobs)}, training steps in {precision} (autocast)"
    if device == "cpu":
        return f"CPU, torch {torch.__version__}, {threads} threads"
    name = torch.cuda.get_device_name() if device.startswith("cuda") else device
    return f"{name}, torch {torch.__version__}, rows made by {jobs} processes"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("runs/verifier"))
    parser.add_argument("--models", type=Path, default=Path("models"))
    # 320 drawings per category (stop 49), 2000 hand-drawn crops and 16 epochs in bfloat16
    # (stop 61: twice the crops and a third more epochs in the time float32 took for 1000 and
    # 12; ahead on the real drawings). Before: 1000 crops (stop 49; stop 48 had 240 and 1000,
    # stop 47 320 and 600): the hand-drawn crops bought the Tux Paint gain at equal false
    # additions, the synthetic rows keep the categories (models/README.md).
    parser.add_argument("--per-category", type=int, default=320)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--members", type=int, default=2,
                        help="verifiers trained on the same data from seeds seed, seed+1, ...; "
                        "the exported model gives the mean of their probabilities")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--widths", type=int, nargs=3, default=list(WIDTHS),
                        help="channels of the verifier's three convolutions")
    parser.add_argument("--hidden", type=int, default=HIDDEN, help="width of its dense layers")
    parser.add_argument("--realcuts-copies", type=int, default=4,
                        help="cut versions of each source crop (training.gaps.realcuts)")
    parser.add_argument("--source-crops", type=int, default=900,
                        help="crops of openclipart/Hershey/procedural sources (0: none)")
    parser.add_argument("--source-data", type=Path, default=Path("data/gaps_verifier"))
    parser.add_argument("--handdrawn-crops", type=int, default=2000,
                        help="crops of hand-drawn drawings (--handdrawn-packages) to cut and "
                        "train on too (training.gaps.handdrawn; 0: none)")
    parser.add_argument("--handdrawn-copies", type=int, default=4,
                        help="cut versions of each hand-drawn crop")
    parser.add_argument("--handdrawn-packages",
                        type=lambda text: tuple(c for c in text.split(",") if c),
                        default=None,
                        help="comma-separated folders of the hand-drawn src to crop, in turn "
                        "(default: open-peeps,doodle-icons; also: notionists)")
    parser.add_argument("--handdrawn-dir", type=Path, default=None,
                        help="the src folder of benchmarks/handdrawn/make_set.sh (default: "
                        "$LINEREFINER_HANDDRAWN_DIR or data/handdrawn/src)")
    parser.add_argument("--source-seed", type=int, default=None,
                        help="seed of the source crops (default: 5 + --seed). Runs with other "
                        "--seed values and one --source-seed train on the same openclipart "
                        "and Hershey crops, so they differ by their training seed alone")
    parser.add_argument("--bridge", choices=BRIDGE_KINDS, default=BRIDGE_CURVE,
                        help="what the patches' bridge channel shows and the labels are judged "
                        "along: the curve a closure is drawn on, or the straight chord "
                        "(recorded in the manifest; the plugin cuts patches to match)")
    parser.add_argument("--sampling", choices=SAMPLING_KINDS, default=SAMPLING_POINT,
                        help="how patches read the drawing where a patch px spans more than a "
                        "drawing px (candidates.patches; recorded in the manifest)")
    parser.add_argument("--scaled-copies", type=int, default=0,
                        help=f"also cut versions of each source crop enlarged {SCALED} times "
                        "(lines 2-8 px wide, breaks up to 64 px: scans at a higher resolution)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="processes making the rows (the same rows for any number)")
    parser.add_argument("--train-seed", type=int, default=None,
                        help="first member's training seed (default: --seed); the data and "
                        "the validation split follow --seed alone, so two runs that differ "
                        "only here are two trainings on the same rows")
    parser.add_argument("--precision", choices=PRECISIONS, default="bfloat16",
                        help="the training steps' arithmetic: bfloat16 runs their forward pass "
                        "under torch.autocast (weights, validation and export stay float32); "
                        "fast on CPUs with AMX or AVX-512 BF16, slow on others")
    parser.add_argument("--device", default="cpu",
                        help="torch device to train on (cpu, cuda); the export runs on the CPU")
    parser.add_argument("--data-only", action="store_true",
                        help="stop once the rows are made (with --rows-cache: made for later "
                        "runs)")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--no-quantize", action="store_true",
                        help="ship the float export as models/verifier.onnx (by default it is "
                        "kept as models/verifier_float.onnx and quantized to 8 bits by "
                        "training.gaps.quantize)")
    parser.add_argument("--also", type=lambda text: [c for c in text.split(",") if c],
                        default=[], metavar="CATEGORIES",
                        help="benchmark-only categories (training.gaps.realistic.BENCHMARK_ONLY, "
                        "e.g. hairline,dotted) to train on as well")
    parser.add_argument("--rows-cache", type=Path, default=None,
                        help="keep each set's labelled candidates here and reuse them when the "
                        "code that makes them, the source crops and the data options are the "
                        "same (a run that only trains differently, or adds a set, makes no "
                        "rows or that set's alone)")
    parser.add_argument("--rows-cache-keep", type=int, default=3, metavar="N",
                        help="after making the rows, keep in --rows-cache the rows of this run's "
                        "key and of the N - 1 other keys written last, and remove the rest "
                        "(0: keep all)")
    args = parser.parse_args(argv)
    from training.gaps import realistic

    unknown = sorted(set(args.also) - set(realistic.BENCHMARK_ONLY))
    if unknown:
        parser.error(f"--also takes benchmark-only categories "
                     f"({', '.join(realistic.BENCHMARK_ONLY)}), not {', '.join(unknown)}")
    from training.gaps.handdrawn import SIZES as HANDDRAWN_PACKAGES

    unknown = sorted(set(args.handdrawn_packages or ()) - set(HANDDRAWN_PACKAGES))
    if unknown:
        parser.error(f"--handdrawn-packages takes {', '.join(HANDDRAWN_PACKAGES)}, "
                     f"not {', '.join(unknown)}")
    if args.members < 1:
        parser.error("--members must be at least 1")
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    log_lines: list[str] = []

    def log(text: str) -> None:
        print(text, flush=True)
        log_lines.append(text)

    command = "python -m training.gaps.pipeline " + " ".join(sys.argv[1:] if argv is None
                                                             else argv)
    t0 = time.perf_counter()
    log(f"data: {args.per_category} drawings per category, {args.size} px, seed {args.seed}")
    # The source crops first (made once, then reused): the cache key hashes their index, so a
    # key taken before a first run made them would never match again.
    source_seed = 5 + args.seed if args.source_seed is None else args.source_seed
    sources = source_crops(args.source_data, args.source_crops, source_seed, log)
    handdrawn = None
    hand_credit = ""
    if args.handdrawn_crops > 0:
        from training.gaps import handdrawn as hand

        folder = args.handdrawn_dir or hand.HANDDRAWN_DIR
        packages = args.handdrawn_packages or hand.DEFAULT_PACKAGES
        hand_credit = hand.credit(packages)
        missing = hand.available(folder, packages)
        if missing:
            log(f"  hand-drawn crops skipped: {missing}")
        else:
            handdrawn = hand.crops(folder, args.handdrawn_crops, SEED_OFFSET + args.seed,
                                   packages=packages)
            log(f"  hand-drawn crops: {len(handdrawn)} from "
                f"{len(hand.training_svgs(folder, packages))} drawings of "
                f"{', '.join(packages)} in {folder}")
    cache = None
    if args.rows_cache is not None:
        cache = (args.rows_cache, rows_key(args))
    rows, counts = build_rows(args.per_category, args.size, args.seed, log, sources,
                              args.realcuts_copies, args.bridge, args.sampling,
                              jobs=args.jobs, scaled_copies=args.scaled_copies, cache=cache,
                              also=tuple(args.also), handdrawn=handdrawn,
                              handdrawn_copies=args.handdrawn_copies)
    if cache is not None:
        removed = prune_rows_cache(cache[0], cache[1], args.rows_cache_keep)
        if removed:
            log(f"  rows cache: removed {len(removed)} files of "
                f"{len({set_file_key(path) for path in removed})} older keys")
    data_seconds = time.perf_counter() - t0
    log(f"data: {len(rows.labels)} candidates, {rows.labels.mean():.3f} positive, "
        f"{data_seconds:.0f} s")
    if args.data_only:
        return 0
    train_seed = args.seed if args.train_seed is None else args.train_seed
    if args.precision != "float32":
        log(f"training steps in {args.precision} (autocast)")
    train_idx, val_idx = split(rows, 0.1, args.seed)
    widths = (int(args.widths[0]), int(args.widths[1]), int(args.widths[2]))
    members, histories = [], []
    for m in range(args.members):
        if args.members > 1:
            log(f"member {m + 1} of {args.members} (seed {train_seed + m})")
        member, history = train(rows, train_idx, val_idx, args.epochs, train_seed + m, log,
                                widths=widths, hidden=args.hidden, device=args.device,
                                precision=args.precision)
        members.append(member)
        histories.append(history)
        if args.members > 1:
            torch.save(member.state_dict(), args.out / f"verifier_member{m}.pt")
    train_seconds = time.perf_counter() - t0 - data_seconds
    net: torch.nn.Module = members[0]
    history = histories[0]
    if args.members > 1:
        net = Ensemble(members)
        p = predict(net, rows, val_idx)
        y_val = rows.labels[val_idx]
        ensemble_entry = {"members": args.members, "val_auc": round(auc(y_val, p), 4),
                          "val_accuracy": round(float(np.mean((p >= 0.5) == (y_val == 1))), 4)}
        log(f"ensemble of {args.members}: val AUC {ensemble_entry['val_auc']} "
            f"acc {ensemble_entry['val_accuracy']}")
        history = history + [ensemble_entry]
    torch.save(net.state_dict(), args.out / "verifier.pt")
    result = {"command": command, "counts": counts, "history": history,
              "member_histories": histories,
              "data_seconds": round(data_seconds), "train_seconds": round(train_seconds)}
    if not args.no_export:
        args.models.mkdir(parents=True, exist_ok=True)
        path = args.models / "verifier.onnx"
        diff = export(net, rows, path)
        log(f"export: {path} ({path.stat().st_size} bytes), onnxruntime vs torch {diff:.1e}")
        last = history[-1]
        update_manifest(args.models, "verifier", {
            "kind": "scorer",
            "file": path.name,
            "sha256": sha256_of(path),
            "bytes": path.stat().st_size,
            "version": "1",
            "task": "gap verifier",
            "bridge": args.bridge,
            "sampling": args.sampling,
            "input": {"name": "patches", "shape": ["N", 3, PATCH, PATCH], "dtype": "float32"},
            "features": {"name": "features", "shape": ["N", len(FEATURES)],
                         "order": list(FEATURES)},
            "output": {"name": "probability", "shape": ["N"], "range": [0, 1]},
            "architecture": {"name": "Verifier", "widths": list(widths), "hidden": args.hidden,
                             "members": args.members,
                             "parameters": sum(p.numel() for p in net.parameters()),
                             "macs_per_candidate": args.members * macs_per_candidate(
                                 widths, args.hidden)},
            "provenance": {
                "command": command,
                "data": "generated here: training.gaps.realistic categories (seeds from "
                f"{SEED_OFFSET}), benchmarks.gaps.synthetic_set, and train-split crops of "
                "openclipart (public domain) and Hershey fonts (training.gaps.make_data), "
                "as they are and cut as benchmarks.real cuts drawings (training.gaps.realcuts)"
                + (f", and {len(handdrawn)} crops of {hand_credit} drawings "
                   "(training.gaps.handdrawn; not those benchmarks.handdrawn "
                   "measures on) cut the same way" if handdrawn is not None else ""),
                "candidates": counts,
                "training_seconds": round(data_seconds + train_seconds),
                "hardware": hardware(args.device, args.threads, args.jobs, args.precision),
                "licence": "trained here from generated data"
                + (f" and from {hand_credit} drawings" if handdrawn is not None else "")
                + "; GPL-3.0-or-later",
            },
            "metrics": {"val_auc": last["val_auc"], "val_accuracy": last["val_accuracy"],
                        "val_candidates": int(len(val_idx))},
        })
        if not args.no_quantize:
            result["quantized"] = quantize_models_dir(args.models, log)
    (args.out / "log.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "log.txt").write_text("\n".join(log_lines) + "\n")
    log(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
