"""Load the gap shards written by `training.gaps.make_data`, and augment them without torch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAP_KEYS = ("ink", "target", "gap_labels")


def shard_paths(root: Path | str, split: str) -> list[Path]:
    paths = sorted((Path(root) / split).glob("shard_*.npz"))
    if not paths:
        raise FileNotFoundError(f"no shards in {Path(root) / split}; run "
                                f"`python -m training.gaps.make_data --out {root}` first")
    return paths


def load_split(root: Path | str, split: str) -> dict[str, np.ndarray]:
    """All shards of a split concatenated: ink/target/gap_labels (N, S, S) uint8, gap_lengths
    (N, G) float32, gap_merges (N, G) bool, source and kind (N,) str."""
    parts: dict[str, list[np.ndarray]] = {}
    for path in shard_paths(root, split):
        with np.load(path, allow_pickle=False) as z:
            for key in z.files:
                parts.setdefault(key, []).append(z[key])
    out: dict[str, np.ndarray] = {}
    for key, arrays in parts.items():
        if arrays[0].dtype.kind == "U":
            # Unicode widths differ between shards; concatenate promotes to the widest.
            out[key] = np.concatenate([a.astype(object) for a in arrays]).astype(str)
        else:
            out[key] = np.concatenate(arrays)
    return out


def pooled_train(roots: list[Path]) -> dict[str, np.ndarray]:
    """The train splits of several data folders (a main set plus supplements), concatenated.

    `intact` is the drawing as drawn, which clean (nothing cut) samples show as input: a healed
    folder (`training.gaps.heal`) stores it beside its healed target; elsewhere it is the target.
    """
    parts = [load_split(root, "train") for root in roots]
    for p in parts:
        p.setdefault("intact", p["target"])
        p.setdefault("kind", np.full(len(p["ink"]), "unknown"))
    keys = ("ink", "target", "intact", "gap_labels", "gap_lengths", "kind")
    if len(parts) == 1:
        return {k: parts[0][k] for k in keys}
    width = max(p["gap_lengths"].shape[1] for p in parts)
    for p in parts:
        pad = width - p["gap_lengths"].shape[1]
        p["gap_lengths"] = np.pad(p["gap_lengths"], ((0, 0), (0, pad)))
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def sampling_chances(kinds: np.ndarray, weights: list[str]) -> np.ndarray | None:
    """Per-crop sampling probabilities from "kind=weight" strings; None when all weigh 1."""
    if not weights:
        return None
    names = kinds.tolist()
    known = set(names)
    by_kind: dict[str, float] = {}
    for item in weights:
        kind, sep, value = item.partition("=")
        if not sep or kind not in known:
            raise SystemExit(f"--kind-weight {item!r}: expected KIND=W with KIND one of "
                             f"{sorted(known)}")
        by_kind[kind] = float(value)
    chance = np.array([by_kind.get(k, 1.0) for k in names], np.float64)
    return chance / chance.sum()


@dataclass(frozen=True)
class Batch:
    ink: np.ndarray  # (B, S, S) float32 in [0, 1]
    target: np.ndarray  # (B, S, S) float32 in [0, 1]
    gap_labels: np.ndarray  # (B, S, S) uint8
    index: np.ndarray  # (B,) rows of the split


def augment(maps: tuple[np.ndarray, ...], k: int, flip: bool) -> tuple[np.ndarray, ...]:
    """The same rot90 by k and horizontal flip applied to every (..., S, S) map."""
    out = []
    for m in maps:
        m = np.rot90(m, k, axes=(-2, -1))
        if flip:
            m = m[..., ::-1]
        out.append(np.ascontiguousarray(m))
    return tuple(out)


def iterate_batches(data: dict[str, np.ndarray], batch_size: int, seed: int,
                    epochs: int | None = None, augmented: bool = True) -> Iterator[Batch]:
    """Shuffled batches with one random rot90/flip of the dihedral group per sample, seeded:
    the same seed gives the same stream. `epochs=None` runs forever."""
    rng = np.random.default_rng(seed)
    n = len(data["ink"])
    epoch = 0
    while epochs is None or epoch < epochs:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            idx = np.sort(order[start : start + batch_size])
            ink, target, labels = (data[k][idx] for k in MAP_KEYS)
            if augmented:
                ks = rng.integers(0, 4, len(idx))
                flips = rng.random(len(idx)) < 0.5
                rows = [augment((ink[i], target[i], labels[i]), int(ks[i]), bool(flips[i]))
                        for i in range(len(idx))]
                ink = np.stack([r[0] for r in rows])
                target = np.stack([r[1] for r in rows])
                labels = np.stack([r[2] for r in rows])
            yield Batch(ink.astype(np.float32) / 255.0, target.astype(np.float32) / 255.0,
                        labels, idx)
        epoch += 1
