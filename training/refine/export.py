"""Export a trained refine checkpoint to ONNX and check it against torch.

python -m training.refine.export --ckpt runs/refine/ink.pt --out models/refine.onnx
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from training.common.manifest import sha256_of, update_manifest
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


def effective_radius(model: torch.nn.Module, images: np.ndarray, trials: int = 48,
                     threshold: float = 1 / 255, seed: int = 0) -> int:
    """How far a one-pixel input change moves the output by more than `threshold`.

    This is what tiling needs (core.tiling is exact to 1/255 for radius <= context); the
    theoretical reach of a U-Net is larger but fades to nothing long before its edge.
    Probed on real line art, flipping a pixel on or near a stroke, at several sub-grid phases.
    """
    rng = np.random.default_rng(seed)
    radius = 0
    size = 160
    for _ in range(trials):
        img = images[int(rng.integers(len(images)))].astype(np.float32) / 255
        y0 = int(rng.integers(0, img.shape[0] - size + 1))
        x0 = int(rng.integers(0, img.shape[1] - size + 1))
        x = img[y0:y0 + size, x0:x0 + size].copy()
        ys, xs = np.nonzero(x[40:120, 40:120] > 0.3)
        if len(ys) == 0:
            continue
        k = int(rng.integers(len(ys)))
        cy, cx = ys[k] + 40, xs[k] + 40
        y = x.copy()
        y[cy, cx] = 1.0 - y[cy, cx]
        with torch.no_grad():
            a, b = model(torch.from_numpy(np.stack([x, y])[:, None])).numpy()[:, 0]
        dy, dx = np.nonzero(np.abs(a - b) > threshold)
        if len(dy):
            radius = max(radius, int(np.abs(dy - cy).max()), int(np.abs(dx - cx).max()))
    return radius


def summarise_metrics(report: dict) -> dict:
    """Manifest metrics from evaluate --json (a method table) or benchmarks.refine --json."""
    quality = report.get("quality", report)
    out: dict = {"held_out": "data/refine/eval.npz (48 pairs, 384 px, unseen drawings/fonts)"}
    for name, row in quality.items():
        if isinstance(row, dict) and "ssim" in row:
            out[name] = {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
    medians = report.get("speed", {}).get("medians", {})
    if medians:
        out["speed_1920x1080_2_threads_s"] = {k: round(v, 3) for k, v in medians.items()}
    return out


def load_checkpoint(path: Path) -> tuple[RefineNet, dict]:
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    model = RefineNet(ckpt.get("widths", (16, 32, 48)))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--ckpt", type=Path, default=Path("runs/refine/ink.pt"))
    ap.add_argument("--out", type=Path, default=Path("models/refine.onnx"))
    ap.add_argument("--key", default="refine", help="manifest key: refine | refine_keep")
    ap.add_argument("--data", type=Path, default=Path("data/refine"))
    ap.add_argument("--metrics", type=Path, default=None,
                    help="JSON from training.refine.evaluate --json, stored in the manifest")
    ap.add_argument("--manifest", action="store_true", help="write the entry to manifest.json")
    ap.add_argument("--recipe", default=None, help="training commands, for the provenance record")
    ap.add_argument("--set-metrics", type=Path, default=None,
                    help="only store this benchmarks.refine / evaluate JSON as the entry's metrics")
    args = ap.parse_args(argv)
    if args.set_metrics:
        path = args.out.parent / "manifest.json"
        entry = json.loads(path.read_text())["models"][args.key]
        entry["metrics"] = summarise_metrics(json.loads(args.set_metrics.read_text()))
        update_manifest(path.parent, args.key, entry)
        print(json.dumps(entry["metrics"], indent=1))
        return
    model, ckpt = load_checkpoint(args.ckpt)
    export_onnx(model, args.out)
    diff = max_abs_diff(model, args.out)
    if diff > TOLERANCE:
        raise SystemExit(f"onnxruntime differs from torch by {diff:.2e} > {TOLERANCE}")
    info = {
        "file": str(args.out), "sha256": sha256_of(args.out), "bytes": args.out.stat().st_size,
        "gmac_per_mp": count_macs(model, 1000, 1000) / 1e9, "size_multiple": SIZE_MULTIPLE,
        "max_abs_diff_vs_torch": diff, "steps": ckpt.get("step"), "style": ckpt.get("style"),
    }
    with np.load(args.data / "eval.npz") as held_out:
        radius = effective_radius(model, held_out["inp"])
    # the tiler discards overlap // 4 at each cut, so that strip must cover the radius
    overlap = min(128, -(-4 * radius // SIZE_MULTIPLE) * SIZE_MULTIPLE)
    info.update(receptive_radius=radius, overlap=overlap)
    print(json.dumps(info, indent=1))
    if args.manifest:
        metrics = summarise_metrics(json.loads(args.metrics.read_text())) if args.metrics else {}
        entry = {
            "file": args.out.name, "sha256": info["sha256"],
            "version": f"1-{ckpt.get('style')}-{ckpt.get('step')}",
            "task": "refine" if ckpt.get("style") == "ink" else "refine_keep",
            "input": {"name": "ink", "shape": [1, 1, "H", "W"], "dtype": "float32",
                      "range": [0, 1]},
            "output": {"name": "refined", "shape": [1, 1, "H", "W"], "dtype": "float32",
                       "range": [0, 1]},
            "size_multiple": SIZE_MULTIPLE, "receptive_radius": radius, "overlap": overlap,
            "provenance": {
                "architecture": f"RefineNet{tuple(ckpt.get('widths', ()))}: 2x pixel-unshuffle, "
                                "3-level residual U-Net, ReLU, clamp(ink + correction)",
                "gmac_per_mp": round(info["gmac_per_mp"], 2), "onnx_opset": OPSET,
                "training_data": "synthetic pairs from openclipart outlines (public domain), "
                                 "Hershey glyphs and procedural strokes; python -m "
                                 "training.refine.make_data --seed 0",
                "training": args.recipe or f"python -m training.refine.train --style "
                            f"{ckpt.get('style')} --steps {ckpt.get('steps')} "
                            f"--seed {ckpt.get('seed')}",
                "steps_done": ckpt.get("step"), "train_minutes": round(ckpt.get("minutes", 0), 1),
                "max_abs_diff_vs_torch": diff, "weights": "trained from scratch, no pretraining",
            },
            "metrics": metrics,
        }
        update_manifest(args.out.parent, args.key, entry)
        print(f"updated {args.out.parent / 'manifest.json'} [{args.key}]")


if __name__ == "__main__":
    main()
