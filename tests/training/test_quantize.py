"""The 8-bit verifier: made from the float one by training.gaps.quantize, and shipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from krita_linerefiner.core.models import clear_session_cache, create_scorer
from training.common.manifest import sha256_of

onnx = pytest.importorskip("onnx", reason="quantizing needs the onnx package (test extra)")

from training.gaps.quantize import (  # noqa: E402  (after the importorskip)
    FLOAT_FILE,
    agreement,
    calibration_rows,
    quantize_models_dir,
)

MODELS = Path(__file__).resolve().parents[2] / "models"
FEW = ("black", "shading")  # calibration categories for a quick run


def verifier_entry(models: Path) -> dict:
    return json.loads((models / "manifest.json").read_text())["models"]["verifier"]


def float_only_models(tmp_path: Path) -> Path:
    """A models folder as the pipeline leaves it before quantizing: the float verifier as
    verifier.onnx, nothing quantized."""
    models = tmp_path / "models"
    models.mkdir()
    manifest = json.loads((MODELS / "manifest.json").read_text())
    entry = manifest["models"]["verifier"]
    float_file = MODELS / entry.get("quantized_from", entry)["file"]
    shutil.copy(float_file, models / "verifier.onnx")
    entry.pop("quantized_from", None)
    entry.update(file="verifier.onnx", sha256=sha256_of(float_file),
                 bytes=float_file.stat().st_size)
    manifest["models"] = {"verifier": entry}
    (models / "manifest.json").write_text(json.dumps(manifest))
    return models


def op_types(path: Path) -> set[str]:
    return {node.op_type for node in onnx.load(str(path)).graph.node}


def test_quantizing_keeps_the_float_model_and_points_the_manifest_at_the_8_bit_one(
        tmp_path: Path) -> None:
    models = float_only_models(tmp_path)
    float_sha = verifier_entry(models)["sha256"]
    try:
        record = quantize_models_dir(models, log=lambda _: None, per_category=2,
                                     categories=FEW)
        entry = verifier_entry(models)
        quantized = models / "verifier.onnx"
        assert entry["file"] == "verifier.onnx"
        assert entry["sha256"] == sha256_of(quantized)
        assert entry["quantized_from"]["sha256"] == float_sha == sha256_of(models / FLOAT_FILE)
        assert {"QuantizeLinear", "DequantizeLinear"} <= op_types(quantized)
        assert "QuantizeLinear" not in op_types(models / FLOAT_FILE)
        assert quantized.stat().st_size < (models / FLOAT_FILE).stat().st_size / 2
        assert 0 < first_layer_weight_range(quantized) <= 64  # 7 bits where the patches come in
        # The same answers within a few hundredths, on drawings it was not calibrated on.
        assert record["check"]["candidates"] > 50
        assert record["check"]["mean_change"] < 0.02
        assert record["check"]["max_change"] < 0.25
        # Again from the kept float model: the same bytes (the calibration is seeded).
        first = sha256_of(quantized)
        quantize_models_dir(models, log=lambda _: None, per_category=2, categories=FEW)
        assert sha256_of(quantized) == first
        # A float file that is not the one the manifest records is refused.
        with (models / FLOAT_FILE).open("ab") as f:
            f.write(b"\0")
        with pytest.raises(SystemExit):
            quantize_models_dir(models, log=lambda _: None, per_category=2, categories=FEW)
        (models / FLOAT_FILE).unlink()
        with pytest.raises(SystemExit):
            quantize_models_dir(models, log=lambda _: None, per_category=2, categories=FEW)
        assert sha256_of(quantized) == first  # the shipped file untouched all along
    finally:
        clear_session_cache()


def first_layer_weight_range(path: Path) -> int:
    """The largest |int8 weight| of the layers that read the patches (through their
    QuantizeLinear / DequantizeLinear pair)."""
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    made_by = {out: node for node in graph.node for out in node.output}
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    largest = 0
    for node in graph.node:
        if node.op_type not in ("Conv", "Gemm"):
            continue
        dq = made_by.get(node.input[0])
        q = made_by.get(dq.input[0]) if dq is not None else None
        if q is None or q.op_type != "QuantizeLinear" or q.input[0] != "patches":
            continue
        w = weights[made_by[node.input[1]].input[0]]
        assert w.dtype == np.int8
        largest = max(largest, int(np.abs(w.astype(np.int32)).max()))
    return largest


def test_the_shipped_verifier_is_the_8_bit_version_of_the_kept_float_model() -> None:
    entry = verifier_entry(MODELS)
    source = entry["quantized_from"]
    assert sha256_of(MODELS / source["file"]) == source["sha256"]
    assert {"QuantizeLinear", "DequantizeLinear"} <= op_types(MODELS / entry["file"])
    # The patches are full ink (uint8 255) over much of their area. On x86 CPUs without VNNI
    # onnxruntime adds two uint8 x int8 products into 16 bits, saturating past 32767: the
    # layers reading them need weights within 7 bits (255 * 64 * 2 < 32768).
    assert 0 < first_layer_weight_range(MODELS / entry["file"]) <= 64
    scorer = create_scorer("verifier", models_dir=MODELS, threads=1)
    patches, features = calibration_rows(scorer, 1, seed=7, categories=FEW)
    check = agreement(MODELS / source["file"], MODELS / entry["file"], patches, features)
    assert check["mean_change"] < 0.02
    assert np.ptp(scorer(patches, features)) > 0.5  # it still tells candidates apart
