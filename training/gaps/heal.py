"""Heal the breaks the source drawings already have, so every break in the training data is a gap.

    python -m training.gaps.heal --weights runs/gaps_s3/gapnet.pt --data data/gaps data/gaps_more
                                 [--suffix _healed] [--max-gap 8] [--sensitivity 0.5]

The "intact" drawings are not all intact: openclipart strokes stop a pixel or two short of each
other, dashed outlines have breaks, Hershey glyph strokes do not quite meet. Those breaks are in
both the input and the target, so the model is taught to leave them open while it is taught to
close cut gaps that look the same. Here a trained model proposes additions on each target, and
the ones that bridge a break (join two pieces of ink that are separate near the stroke, at most
`--max-gap` px across) are added to the target. The input keeps its breaks, so they become
labelled gaps. Writes `<folder><suffix>/train/shard_*.npz` (same keys, plus `intact`, the
target as drawn, and `healed_px` per crop) and an index.json; val and test are never touched.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from krita_linerefiner.core.gaps import GapParams, joining_strokes, select_gap_strokes
from training.gaps.dataset import shard_paths
from training.gaps.make_data import write_npz

MARGIN = 4


def bridges(target: np.ndarray, probability: np.ndarray, params: GapParams) -> np.ndarray:
    """The proposed strokes on `target` (float ink) that join two separate pieces of its ink."""
    kept = select_gap_strokes(target, probability, params).gaps > 0
    return joining_strokes(target >= 0.5, kept, MARGIN)


def end_links(target: np.ndarray, radius: int) -> np.ndarray:
    """Model-free proposals: stroke ends linked to other ink within `radius` px (the endpoint
    linking baseline) that join two separate pieces of `target` (float ink)."""
    from benchmarks.baselines import endpoint_linking

    added = endpoint_linking(target, radius) >= 0.5
    return joining_strokes(target >= 0.5, added & (target < 0.5), MARGIN)


def heal_shard(arrays: dict[str, np.ndarray], propose) -> dict[str, np.ndarray]:
    """Adds `propose(float targets)`'s pixels (a boolean map per crop) to each target.

    A shard healed before keeps its `intact` drawing, and its `healed_px` counts grow."""
    targets = arrays["target"].astype(np.float32) / 255.0
    proposals = propose(targets)
    healed = arrays["target"].copy()
    counts = np.zeros(len(healed), np.int32)
    for i in range(len(healed)):
        add = proposals[i]
        healed[i][add] = 255
        counts[i] = int(add.sum())
    out = dict(arrays)
    # The drawing as drawn: clean crops show this as input.
    out["intact"] = arrays.get("intact", arrays["target"])
    out["target"] = healed
    out["healed_px"] = counts + arrays.get("healed_px", 0)
    return out


def model_proposer(weights: Path, threads: int, params: GapParams):
    predict = torch_predictor(weights, threads)

    def propose(targets: np.ndarray) -> list[np.ndarray]:
        probs = predict(targets)
        return [bridges(t, p, params) for t, p in zip(targets, probs, strict=True)]

    return propose


def link_proposer(radius: int):
    def propose(targets: np.ndarray) -> list[np.ndarray]:
        return [end_links(t, radius) for t in targets]

    return propose


def torch_predictor(weights: Path, threads: int):
    import torch

    from training.gaps.model import from_state_dict

    torch.set_num_threads(threads)
    model = from_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()

    def predict(batch: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(batch), 32):
                x = torch.from_numpy(np.ascontiguousarray(batch[i : i + 32, None]))
                out.append(torch.sigmoid(model(x))[:, 0].numpy())
        return np.concatenate(out)

    return predict


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    how = ap.add_mutually_exclusive_group(required=True)
    how.add_argument("--weights", type=Path, help="GapNet state dict (.pt) that proposes")
    how.add_argument("--link-radius", type=int,
                     help="propose stroke ends linked to ink within this many px instead")
    ap.add_argument("--data", type=Path, nargs="+", default=[Path("data/gaps")])
    ap.add_argument("--suffix", default="_healed")
    ap.add_argument("--max-gap", type=int, default=8)
    ap.add_argument("--sensitivity", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    params = GapParams(sensitivity=args.sensitivity, max_gap=args.max_gap)
    if args.weights is not None:
        propose = model_proposer(args.weights, args.threads, params)
    else:
        propose = link_proposer(args.link_radius)
    start = time.monotonic()
    for root in args.data:
        out = root.with_name(root.name + args.suffix)
        (out / "train").mkdir(parents=True, exist_ok=True)
        total_px = crops = healed_crops = area = 0
        for path in shard_paths(root, "train"):
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            healed = heal_shard(arrays, propose)
            write_npz(out / "train" / path.name, healed)
            added = healed["healed_px"] - arrays.get("healed_px", 0)
            new_px = int(added.sum())
            total_px += new_px
            crops += len(healed["healed_px"])
            area += healed["target"].size
            healed_crops += int((added > 0).sum())
            print(f"  {path}: {new_px} px healed "
                  f"({time.monotonic() - start:.0f} s)", flush=True)
        info = {"command": "python -m training.gaps.heal " + " ".join(
                    sys.argv[1:] if argv is None else list(argv)),
                "source": str(root), "weights": str(args.weights),
                "link_radius": args.link_radius,
                "params": {"sensitivity": args.sensitivity, "max_gap": args.max_gap},
                "crops": crops, "crops_healed": healed_crops, "healed_px": total_px,
                "healed_px_per_mp": total_px / area * 1e6 if area else 0.0}
        (out / "index.json").write_text(json.dumps(info, indent=1) + "\n")
        print(f"{root} -> {out}: {healed_crops}/{crops} crops healed, "
              f"{info['healed_px_per_mp']:.0f} px/MP", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
