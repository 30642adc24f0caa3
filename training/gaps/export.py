"""Export trained GapNet weights to models/gaps.onnx and record it in models/manifest.json.

    python -m training.gaps.export [--weights runs/gaps/gapnet.pt] [--models models]

The exported graph includes the sigmoid, so the output is a probability in [0, 1]. The
receptive radius written to the manifest is measured, not theoretical: the farthest distance at
which flipping a small block of input pixels moves the output by more than 1/255.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from training.common.manifest import sha256_of, update_manifest
from training.gaps.model import (
    GapNet,
    count_macs_per_megapixel,
    from_state_dict,
    parameter_count,
    widths_of,
)


class WithSigmoid(torch.nn.Module):
    def __init__(self, net: GapNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, ink: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(ink))


def measured_receptive_radius(session: ort.InferenceSession, probes: np.ndarray) -> int:
    radius = 0
    for image in probes:
        h, w = image.shape
        base = np.asarray(session.run(None, {"ink": image[None, None]})[0])[0, 0]
        cy, cx = h // 2, w // 2
        flipped = image.copy()
        flipped[cy - 1 : cy + 2, cx - 1 : cx + 2] = 1.0 - flipped[cy - 1 : cy + 2, cx - 1 : cx + 2]
        out = np.asarray(session.run(None, {"ink": flipped[None, None]})[0])[0, 0]
        ys, xs = np.nonzero(np.abs(out - base) > 1.0 / 255.0)
        if len(ys):
            radius = max(radius, int(np.max(np.maximum(np.abs(ys - cy), np.abs(xs - cx)))))
    return radius


def training_stages(weights: Path) -> list[dict]:
    """The training logs behind these weights, first stage first (a stage may start from
    another stage's weights)."""
    stages: list[dict] = []
    log_path = weights.parent / "log.json"
    while log_path.exists() and len(stages) < 16:
        log = json.loads(log_path.read_text())
        args = log.get("args", {})
        last = (log.get("log") or [{}])[-1]
        stages.insert(
            0,
            {
                "args": args,
                "data": stage_data(args),
                "steps": last.get("step"),
                "seconds": round(float(last.get("seconds", 0.0))),
            },
        )
        init = args.get("init")
        if not init or init == "None":
            break
        log_path = Path(init).parent / "log.json"
    return stages


def stage_data(args: dict) -> list[str]:
    """The data folders a stage trained on, from its logged args (a list logged as its repr)."""
    raw = str(args.get("data", "data/gaps"))
    if raw.startswith("["):
        return re.findall(r"'([^']+)'", raw)
    return raw.split()


def data_commands(folders: list[str]) -> list[str]:
    """How each data folder was made: the command its index.json records."""
    out = []
    for folder in folders:
        index = Path(folder) / "index.json"
        command = json.loads(index.read_text()).get("command") if index.exists() else None
        out.append(f"{folder}: {(command or 'python -m training.gaps.make_data').strip()}")
    return out


def provenance(weights: Path, overlap: int | None = None) -> dict:
    stages = training_stages(weights)
    folders = list(dict.fromkeys(f for stage in stages for f in stage["data"]))
    return {
        "data": "openclipart-svg: public domain; hershey-fonts-data; procedural strokes. Held-out "
        "drawings listed in data/gaps/index.json; supplements are train-only.",
        "data_commands": data_commands(folders),
        "training": [
            "python -m training.gaps.train "
            + " ".join(
                f"--{k.replace('_', '-')} {v}"
                for k, v in stage["args"].items()
                if k not in ("data", "eval_every", "threads") and v not in ("None", "0.0", "")
            )
            + (f" --data {' '.join(stage['data'])}" if stage["data"] != ["data/gaps"] else "")
            for stage in stages
        ],
        "export": f"python -m training.gaps.export --weights {weights}"
        + (f" --overlap {overlap}" if overlap is not None else ""),
        "training_seconds": sum(stage["seconds"] for stage in stages),
        "training_steps": sum(stage["steps"] or 0 for stage in stages),
        "hardware": "2-core CPU shared with other jobs, torch 2.13.0, 2 threads",
        "licence": "trained here from public-domain and freely licensed data; GPL-3.0-or-later",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, default=Path("runs/gaps/gapnet.pt"))
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--data", type=Path, default=Path("data/gaps"))
    parser.add_argument("--version", default="1")
    parser.add_argument(
        "--overlap",
        type=int,
        default=None,
        help="tile overlap to record (default: 4x the measured radius, rounded up)",
    )
    args = parser.parse_args()

    net = from_state_dict(torch.load(args.weights, map_location="cpu"))
    net.eval()
    model = WithSigmoid(net).eval()
    out_path = args.models / "gaps.onnx"
    args.models.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (torch.zeros(1, 1, 64, 64),),
        str(out_path),
        input_names=["ink"],
        output_names=["gap"],
        dynamic_axes={"ink": {2: "H", 3: "W"}, "gap": {2: "H", 3: "W"}},
        opset_version=17,
        dynamo=False,
    )

    session = ort.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
    from training.gaps.dataset import load_split

    test = load_split(args.data, "val")
    probes = test["ink"][:6].astype(np.float32) / 255.0
    with torch.no_grad():
        want = model(torch.from_numpy(probes[:2, None])).numpy()
    got = np.stack(
        [np.asarray(session.run(None, {"ink": p[None, None]})[0])[0] for p in probes[:2]]
    )
    max_diff = float(np.max(np.abs(want - got)))
    assert max_diff < 1e-4, f"onnxruntime differs from torch by {max_diff}"
    radius = measured_receptive_radius(session, probes)
    multiple = GapNet.size_multiple
    context = -(-radius // multiple) * multiple

    previous = {}
    manifest_path = args.models / "manifest.json"
    if manifest_path.exists():
        previous = json.loads(manifest_path.read_text()).get("models", {}).get("gaps", {})
    entry = {
        "file": out_path.name,
        "sha256": sha256_of(out_path),
        "bytes": out_path.stat().st_size,
        "version": args.version,
        "task": "gaps",
        "input": {"name": "ink", "shape": [1, 1, "H", "W"], "dtype": "float32", "range": [0, 1]},
        "output": {"name": "gap", "shape": [1, 1, "H", "W"], "dtype": "float32", "range": [0, 1]},
        "size_multiple": multiple,
        "receptive_radius": radius,
        "overlap": args.overlap if args.overlap is not None else 4 * context,
        "architecture": {
            "name": "GapNet",
            "widths": list(widths_of(net.state_dict())),
            "parameters": parameter_count(net),
            "gmac_per_megapixel": round(count_macs_per_megapixel(net) / 1e9, 3),
        },
        "provenance": provenance(args.weights, args.overlap),
        "metrics": previous.get("metrics", {}),
    }
    update_manifest(args.models, "gaps", entry)
    print(json.dumps({k: entry[k] for k in ("sha256", "bytes", "receptive_radius", "overlap")}))
    print(f"onnxruntime vs torch max diff {max_diff:.2e}")


if __name__ == "__main__":
    main()
