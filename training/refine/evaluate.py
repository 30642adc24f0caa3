"""Held-out quality of the refine model against the input and two classical baselines.

python -m training.refine.evaluate --data data/refine --onnx models/refine.onnx [--style ink]

Metrics, on the held-out pairs (drawings and fonts never seen in training):
- PSNR and SSIM of the result against the clean target (SSIM: Gaussian window, sigma 1.5);
- specks removed: share of visible speck pixels (input ink >= 0.5, off the lines) whose result
  is below 0.5;
- line pixels kept: share of true line pixels (inked, >= 0.5, in both the input and the clean
  target: real ink the user drew) whose result is still at least 0.5;
- stroke path covered: share of the clean stroke path's pixels (where the target is inked)
  whose result is at least 0.5; unlike the above it counts the input's breaks and wobble.
Baselines: Gaussian blur then threshold, and grey morphological opening then closing; their
parameters are picked for the best SSIM on 200 training pairs, not on the held-out ones.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

Method = Callable[[np.ndarray], np.ndarray]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(1.0 / max(mse, 1e-12))


def ssim(a: np.ndarray, b: np.ndarray, sigma: float = 1.5) -> float:
    """Mean SSIM (Wang et al. 2004) for images in [0, 1], Gaussian-weighted windows."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    c1, c2 = 0.01**2, 0.03**2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), sigma, borderType=cv2.BORDER_REFLECT)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def gaussian_threshold(sigma: float, level: float) -> Method:
    def run(ink: np.ndarray) -> np.ndarray:
        return (cv2.GaussianBlur(ink, (0, 0), sigma) >= level).astype(np.float32)

    return run


def open_close(size: int) -> Method:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))

    def run(ink: np.ndarray) -> np.ndarray:
        opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
        return cv2.morphologyEx(opened, cv2.MORPH_CLOSE, kernel)

    return run


@dataclass(frozen=True)
class Score:
    psnr: float
    ssim: float
    specks_removed: float
    lines_kept: float
    path_covered: float


def score(method: Method, data: dict[str, np.ndarray], target_key: str = "ink") -> Score:
    psnrs, ssims = [], []
    speck_total = speck_gone = line_total = line_kept = path_total = path_kept = 0
    for i in range(len(data["inp"])):
        inp = data["inp"][i].astype(np.float32) / 255
        tgt = data[target_key][i].astype(np.float32) / 255
        out = np.clip(method(inp), 0, 1)
        psnrs.append(psnr(out, tgt))
        ssims.append(ssim(out, tgt))
        speck = data["speck"][i]
        line = (inp >= 0.5) & (tgt >= 0.5)
        path = data["centerline"][i]
        speck_total += int(speck.sum())
        speck_gone += int((out[speck] < 0.5).sum())
        line_total += int(line.sum())
        line_kept += int((out[line] >= 0.5).sum())
        path_total += int(path.sum())
        path_kept += int((out[path] >= 0.5).sum())
    return Score(float(np.mean(psnrs)), float(np.mean(ssims)),
                 speck_gone / max(speck_total, 1), line_kept / max(line_total, 1),
                 path_kept / max(path_total, 1))


def tuned_baselines(train: dict[str, np.ndarray], target_key: str = "ink",
                    n: int = 200) -> dict[str, tuple[str, Method]]:
    subset = {k: v[:n] for k, v in train.items()}

    def best(candidates: dict[str, Method]) -> tuple[str, Method]:
        ssims = {name: ssim_only(m, subset, target_key) for name, m in candidates.items()}
        name = max(ssims, key=lambda k: ssims[k])
        return name, candidates[name]

    gauss = {f"sigma={s:g}, level={t:g}": gaussian_threshold(s, t)
             for s in (0.5, 0.8, 1.2) for t in (0.2, 0.35, 0.5)}
    morph = {f"kernel={k}": open_close(k) for k in (2, 3)}
    return {"gaussian + threshold": best(gauss), "open + close": best(morph)}


def ssim_only(method: Method, data: dict[str, np.ndarray], target_key: str) -> float:
    return float(np.mean([
        ssim(np.clip(method(data["inp"][i].astype(np.float32) / 255), 0, 1),
             data[target_key][i].astype(np.float32) / 255)
        for i in range(len(data["inp"]))
    ]))


def onnx_method(path: Path, threads: int = 2) -> Method:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(ink: np.ndarray) -> np.ndarray:
        h, w = ink.shape
        ph, pw = -h % 8, -w % 8
        x = np.pad(ink, ((0, ph), (0, pw)))[None, None].astype(np.float32)
        (out,) = session.run(["refined"], {"ink": x})
        return np.asarray(out)[0, 0, :h, :w]

    return run


def torch_method(ckpt: Path) -> Method:
    import torch

    from training.refine.export import load_checkpoint

    model, _ = load_checkpoint(ckpt)

    def run(ink: np.ndarray) -> np.ndarray:
        h, w = ink.shape
        x = np.pad(ink, ((0, -h % 8), (0, -w % 8)))[None, None].astype(np.float32)
        with torch.no_grad():
            return model(torch.from_numpy(x)).numpy()[0, 0, :h, :w]

    return run


def load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def evaluate(ours: Method, data_dir: Path, style: str = "ink") -> dict[str, dict]:
    target_key = "ink" if style == "ink" else "keep"
    held_out = load(data_dir / "eval.npz")
    baselines = tuned_baselines(load(data_dir / "train.npz"), target_key)
    methods: dict[str, tuple[str, Method]] = {"input": ("", lambda x: x),
                                              **baselines, "ours": ("", ours)}
    results = {}
    for name, (params, method) in methods.items():
        results[name] = {"params": params, **asdict(score(method, held_out, target_key))}
    return results


def format_table(results: dict[str, dict]) -> str:
    rows = [f"{'method':<22} {'PSNR dB':>8} {'SSIM':>7} {'specks removed':>15} "
            f"{'line px kept':>13} {'path covered':>13}  params"]
    for name, r in results.items():
        rows.append(f"{name:<22} {r['psnr']:>8.2f} {r['ssim']:>7.4f} {r['specks_removed']:>15.1%} "
                    f"{r['lines_kept']:>13.2%} {r['path_covered']:>13.2%}  {r['params']}")
    return "\n".join(rows)


def verdict(results: dict[str, dict]) -> list[str]:
    ours = results["ours"]
    checks = []
    for name in ("gaussian + threshold", "open + close"):
        b = results[name]
        checks.append(f"SSIM vs {name}: {'beats' if ours['ssim'] > b['ssim'] else 'LOSES TO'}"
                      f" ({ours['ssim']:.4f} vs {b['ssim']:.4f})")
        checks.append(f"speck removal vs {name}: "
                      f"{'beats' if ours['specks_removed'] > b['specks_removed'] else 'LOSES TO'}"
                      f" ({ours['specks_removed']:.1%} vs {b['specks_removed']:.1%})")
    kept = ours["lines_kept"]
    checks.append(f"true line pixels kept: {kept:.2%} ({'>=' if kept >= 0.99 else 'BELOW'} 99%)")
    return checks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("data/refine"))
    ap.add_argument("--onnx", type=Path, default=Path("models/refine.onnx"))
    ap.add_argument("--ckpt", type=Path, default=None, help="evaluate a torch checkpoint instead")
    ap.add_argument("--style", choices=["ink", "keep"], default="ink")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    ours = torch_method(args.ckpt) if args.ckpt else onnx_method(args.onnx)
    results = evaluate(ours, args.data, args.style)
    print(format_table(results))
    for line in verdict(results):
        print(" ", line)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
