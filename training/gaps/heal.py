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


def heal_shard(arrays: dict[str, np.ndarray], predict, params: GapParams) -> dict[str, np.ndarray]:
    targets = arrays["target"].astype(np.float32) / 255.0
    probs = predict(targets)
    healed = arrays["target"].copy()
    counts = np.zeros(len(healed), np.int32)
    for i in range(len(healed)):
        add = bridges(targets[i], probs[i], params)
        healed[i][add] = 255
        counts[i] = int(add.sum())
    out = dict(arrays)
    out["intact"] = arrays["target"]  # the drawing as drawn: clean crops show this as input
    out["target"] = healed
    out["healed_px"] = counts
    return out


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
    ap.add_argument("--weights", type=Path, required=True, help="GapNet state dict (.pt)")
    ap.add_argument("--data", type=Path, nargs="+", default=[Path("data/gaps")])
    ap.add_argument("--suffix", default="_healed")
    ap.add_argument("--max-gap", type=int, default=8)
    ap.add_argument("--sensitivity", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    params = GapParams(sensitivity=args.sensitivity, max_gap=args.max_gap)
    predict = torch_predictor(args.weights, args.threads)
    start = time.monotonic()
    for root in args.data:
        out = root.with_name(root.name + args.suffix)
        (out / "train").mkdir(parents=True, exist_ok=True)
        total_px = crops = healed_crops = area = 0
        for path in shard_paths(root, "train"):
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            healed = heal_shard(arrays, predict, params)
            write_npz(out / "train" / path.name, healed)
            total_px += int(healed["healed_px"].sum())
            crops += len(healed["healed_px"])
            area += healed["target"].size
            healed_crops += int((healed["healed_px"] > 0).sum())
            print(f"  {path}: {int(healed['healed_px'].sum())} px healed "
                  f"({time.monotonic() - start:.0f} s)", flush=True)
        info = {"command": "python -m training.gaps.heal " + " ".join(
                    sys.argv[1:] if argv is None else list(argv)),
                "source": str(root), "weights": str(args.weights),
                "params": {"sensitivity": args.sensitivity, "max_gap": args.max_gap},
                "crops": crops, "crops_healed": healed_crops, "healed_px": total_px,
                "healed_px_per_mp": total_px / area * 1e6 if area else 0.0}
        (out / "index.json").write_text(json.dumps(info, indent=1) + "\n")
        print(f"{root} -> {out}: {healed_crops}/{crops} crops healed, "
              f"{info['healed_px_per_mp']:.0f} px/MP", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
