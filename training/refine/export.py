"""Export a trained refine checkpoint to ONNX and check it against torch.

python -m training.refine.export --ckpt runs/refine/ink.pt --out models/refine.onnx
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from training.refine.model import SIZE_MULTIPLE, RefineNet, count_macs

OPSET = 17
TOLERANCE = 1e-4


def export_onnx(model: torch.nn.Module, path: Path, opset: int = OPSET) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    dummy = torch.zeros(1, 1, 64, 64)
    # the legacy exporter: the dynamo one needs onnxscript, which the training env lacks
    torch.onnx.export(model, (dummy,), str(path), input_names=["ink"], output_names=["refined"],
                      dynamic_axes={"ink": {2: "H", 3: "W"}, "refined": {2: "H", 3: "W"}},
                      opset_version=opset, dynamo=False)
    onnx.checker.check_model(onnx.load(str(path)))


def max_abs_diff(model: torch.nn.Module, path: Path, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    x = np.zeros((1, 1, 200, 264), np.float32)
    # a line-art-like probe: sparse strokes, not uniform noise the model never saw
    x[0, 0, 50:53, 20:240] = 1.0
    x[0, 0, 20:180, 100:102] = 0.7
    x += (rng.random(x.shape) < 0.01).astype(np.float32) * 0.8
    x = np.clip(x, 0, 1)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(["refined"], {"ink": x})[0]
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    return float(np.abs(got - want).max())


def load_checkpoint(path: Path) -> tuple[RefineNet, dict]:
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    model = RefineNet(ckpt.get("widths", (16, 32, 48)))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--ckpt", type=Path, default=Path("runs/refine/ink.pt"))
    ap.add_argument("--out", type=Path, default=Path("models/refine.onnx"))
    args = ap.parse_args(argv)
    model, ckpt = load_checkpoint(args.ckpt)
    export_onnx(model, args.out)
    diff = max_abs_diff(model, args.out)
    if diff > TOLERANCE:
        raise SystemExit(f"onnxruntime differs from torch by {diff:.2e} > {TOLERANCE}")
    info = {
        "file": str(args.out), "sha256": sha256(args.out), "bytes": args.out.stat().st_size,
        "gmac_per_mp": count_macs(model, 1000, 1000) / 1e9, "size_multiple": SIZE_MULTIPLE,
        "max_abs_diff_vs_torch": diff, "steps": ckpt.get("step"), "style": ckpt.get("style"),
    }
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
