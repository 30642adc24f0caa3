"""Quantize the gap verifier to 8 bits: the same answers within a few hundredths, 2-2.5x faster.

    python -m training.gaps.quantize [--models models]

Reads the float verifier the pipeline exported (`models/verifier_float.onnx`; on first use the
manifest's float `verifier.onnx`, which is moved there), records what the plugin feeds it on
generated drawings of every benchmark category (`training.gaps.realistic`, seed
`CALIBRATION_SEED`: neither the benchmark's seed 0 nor the training seeds from 1000), and
writes `models/verifier.onnx` quantized from those (onnxruntime.quantization: static, QDQ,
weights int8 per channel, activations uint8 from their min-max). The manifest's
verifier entry then points at it, with a `quantized_from` record of the float file.

Why 7-bit weights in the first convolutions (`reduce_range`): on x86 CPUs without VNNI
(AMD Zen 1-3, Intel before Ice Lake) onnxruntime multiplies uint8 by int8 with an instruction
that adds two products into 16 bits and saturates. The patches are full ink (255) over much of
their area, and with 8-bit weights 1-4% of the first convolutions' outputs would saturate, off
by about 15% (simulated on the hand-drawn set's patches); with 7-bit weights they cannot
(255 * 64 * 2 < 32768). The later layers' inputs are ReLU outputs that seldom come near 255:
at most 3 in 10,000 of their outputs would saturate, and they keep 8-bit weights, which halve
the change from the float model that 7 bits everywhere gave (mean 0.0038 -> 0.0035, the
drift of the mid-range answers -0.004 -> -0.002 on the hand-drawn set).

The float model stays in models/ for this step alone: the manifest does not list it as a model,
so install.py does not copy it. Needs the `onnx` package (`pip install onnx`; the `train`
and `test` extras have it) besides onnxruntime.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from krita_linerefiner.core.gaps import GapParams, close_gaps
from training.common.manifest import sha256_of, update_manifest

FLOAT_FILE = "verifier_float.onnx"
CALIBRATION_SEED = 500  # category drawings unused elsewhere (benchmark 0, training >= 1000)
CALIBRATION_PER_CATEGORY = 6
CALIBRATION_ROWS = 4096  # of the rows recorded, at random (seed 0)
CALIBRATION_BATCH = 512
MIN_ONNXRUNTIME = (1, 17)  # TensorQuantOverrides (7 bits for some weights); made with 1.32


class Recorder:
    """A scorer that keeps what it is asked, and answers with the scorer it wraps."""

    def __init__(self, scorer) -> None:
        self.scorer = scorer
        self.patches: list[np.ndarray] = []
        self.features: list[np.ndarray] = []

    def __getattr__(self, name: str):
        return getattr(self.scorer, name)

    def __call__(self, patches: np.ndarray, features: np.ndarray) -> np.ndarray:
        self.patches.append(np.array(patches, np.float32))
        self.features.append(np.array(features, np.float32))
        return self.scorer(patches, features)


def calibration_rows(scorer, per_category: int = CALIBRATION_PER_CATEGORY,
                     seed: int = CALIBRATION_SEED,
                     categories: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Patches and features the plugin's gap closing gives `scorer` on generated drawings."""
    from training.gaps.realistic import CATEGORIES, make_category

    recorder = Recorder(scorer)
    for category in categories or CATEGORIES:
        data = make_category(category, per_category, seed)
        for ink in data["ink"]:
            close_gaps(ink.astype(np.float32) / 255, GapParams(), scorer=recorder)
    if not recorder.patches:
        raise ValueError("no candidates on the calibration drawings")
    return np.concatenate(recorder.patches), np.concatenate(recorder.features)


def first_layer_weights(graph, input_name: str) -> dict[str, int]:
    """Weight initializers of the Conv / Gemm nodes of an ONNX graph that read `input_name`
    itself -> their output channels."""
    shapes = {init.name: list(init.dims) for init in graph.initializer}
    return {node.input[1]: shapes[node.input[1]][0] for node in graph.node
            if node.op_type in ("Conv", "Gemm") and node.input[0] == input_name
            and node.input[1] in shapes}


def downstream_of(graph, input_name: str) -> list[str]:
    """Names of the nodes that read `input_name`, directly or through other nodes.

    These stay float: the features (lengths, angles, widths in px) reach values on real
    drawings that the calibration drawings do not, and 8 bits clipped them (one answer moved by
    0.6 on the hand-drawn set); they are a few percent of the work."""
    reached, names = {input_name}, []
    for node in graph.node:  # topologically sorted, as ONNX requires
        if reached & set(node.input):
            reached.update(node.output)
            names.append(node.name)
    return names


def quantize(source: Path, dest: Path, patches: np.ndarray, features: np.ndarray,
             per_category: int = CALIBRATION_PER_CATEGORY, rows: int = CALIBRATION_ROWS,
             batch: int = CALIBRATION_BATCH) -> dict:
    """Write `dest`, `source` quantized with calibration from (patches, features)."""
    import onnx
    import onnxruntime as ort

    if tuple(int(part) for part in ort.__version__.split(".")[:2]) < MIN_ONNXRUNTIME:
        raise SystemExit(f"training.gaps.quantize needs onnxruntime {MIN_ONNXRUNTIME[0]}."
                         f"{MIN_ONNXRUNTIME[1]} or newer (per-tensor overrides), found "
                         f"{ort.__version__}: pip install -U onnxruntime")
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    order = np.random.default_rng(0).permutation(len(patches))[:rows]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.at = 0

        def get_next(self):
            if self.at >= len(order):
                return None
            pick = np.sort(order[self.at : self.at + batch])
            self.at += batch
            return {"patches": patches[pick], "features": features[pick]}

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        graph = onnx.load(str(prepared)).graph
        kept = downstream_of(graph, "features")
        first = first_layer_weights(graph, "patches")
        seven_bits = {name: [{"axis": 0, "reduce_range": True}] * channels
                      for name, channels in first.items()}
        quantize_static(str(prepared), str(dest), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, reduce_range=False,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=kept,
                        extra_options={"TensorQuantOverrides": seven_bits})
    return {"method": "onnxruntime.quantization.quantize_static: QDQ, weights int8 per channel "
                      f"(7 bits, reduce_range, in the {len(first)} convolutions reading the "
                      "patches), activations uint8, min-max calibration; the "
                      f"{len(kept)} nodes from the features input on stay float",
            "calibration": f"{len(order)} candidates (of {len(patches)}) the plugin scores on "
                           f"training.gaps.realistic drawings, {per_category} per "
                           f"category, seed {CALIBRATION_SEED}"}


def agreement(source: Path, dest: Path, patches: np.ndarray, features: np.ndarray) -> dict:
    """How far the quantized model's answers are from the float model's on these rows."""
    import onnxruntime as ort

    def answers(path: Path) -> np.ndarray:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return np.concatenate([
            np.asarray(session.run(None, {"patches": patches[lo : lo + 512],
                                          "features": features[lo : lo + 512]})[0]).reshape(-1)
            for lo in range(0, len(patches), 512)])

    want, got = answers(source), answers(dest)
    change = np.abs(got - want)
    return {"candidates": int(len(want)), "mean_change": round(float(change.mean()), 4),
            "p99_change": round(float(np.quantile(change, 0.99)), 4),
            "max_change": round(float(change.max()), 4),
            "other_side_of_0.5": int(np.sum((got >= 0.5) != (want >= 0.5)))}


def quantize_models_dir(models: Path, log=print, per_category: int = CALIBRATION_PER_CATEGORY,
                        categories: tuple[str, ...] | None = None) -> dict:
    """Quantize the verifier in `models` (its float file kept as FLOAT_FILE); update the
    manifest. Returns what was recorded. (`per_category`, `categories`: fewer calibration
    drawings, for tests.)"""
    from krita_linerefiner.core.models import clear_session_cache, create_scorer

    manifest_path = models / "manifest.json"
    entry = json.loads(manifest_path.read_text(encoding="utf-8"))["models"]["verifier"]
    float_path = models / FLOAT_FILE
    if "quantized_from" not in entry:  # the pipeline's float export: keep it as the source
        (models / entry["file"]).replace(float_path)
        update_manifest(models, "verifier", {**entry, "file": FLOAT_FILE})
    elif not float_path.is_file() or sha256_of(float_path) != entry["quantized_from"]["sha256"]:
        raise SystemExit(f"{float_path} is missing or not the float model the manifest records "
                         "(its quantized_from); run python -m training.gaps.pipeline to make one")
    else:
        update_manifest(models, "verifier", {**entry, "file": FLOAT_FILE,
                                             "sha256": sha256_of(float_path),
                                             "bytes": float_path.stat().st_size})
    clear_session_cache()
    scorer = create_scorer("verifier", models_dir=models, threads=2)
    patches, features = calibration_rows(scorer, per_category, categories=categories)
    log(f"calibration: {len(patches)} candidates recorded")
    dest = models / "verifier.onnx"
    how = quantize(float_path, dest, patches, features, per_category)
    # checked on other drawings than the calibration's
    check_p, check_f = calibration_rows(scorer, per_category, CALIBRATION_SEED + 1, categories)
    check = agreement(float_path, dest, check_p, check_f)
    log(f"quantized: {dest} ({dest.stat().st_size} bytes); against the float model on "
        f"{check['candidates']} other candidates: mean change {check['mean_change']}, "
        f"max {check['max_change']}, {check['other_side_of_0.5']} on the other side of 0.5")
    clear_session_cache()
    entry = json.loads(manifest_path.read_text(encoding="utf-8"))["models"]["verifier"]
    record = {"file": FLOAT_FILE, "sha256": sha256_of(float_path),
              "bytes": float_path.stat().st_size, **how,
              "check": {"drawings": f"as the calibration's, seed {CALIBRATION_SEED + 1}",
                        **check},
              "command": "python -m training.gaps.quantize"}
    update_manifest(models, "verifier", {**entry, "file": dest.name, "sha256": sha256_of(dest),
                                         "bytes": dest.stat().st_size,
                                         "quantized_from": record})
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", type=Path, default=Path("models"))
    args = parser.parse_args(argv)
    quantize_models_dir(args.models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
