"""ONNX stand-ins for the real models, built on the fly so tests need no trained weights."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import onnx
from onnx import TensorProto, helper


def image_model(
    nodes: list[onnx.NodeProto], output: str, initializers: list[onnx.TensorProto] | None = None
) -> onnx.ModelProto:
    """A graph from float ink [1, 1, H, W] named "ink" to one output of the same shape."""
    shape = [1, 1, "H", "W"]
    graph = helper.make_graph(
        nodes,
        output,
        [helper.make_tensor_value_info("ink", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, shape)],
        initializer=initializers or [],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def closing_gap_model(kernel: int = 7) -> onnx.ModelProto:
    """gap = closing(ink) - ink: what a morphological closing would add, as a 'model'."""
    pad = kernel // 2
    size, pads, strides = [kernel, kernel], [pad] * 4, [1, 1]
    nodes = [
        helper.make_node(
            "MaxPool", ["ink"], ["dilated"], kernel_shape=size, pads=pads, strides=strides
        ),
        helper.make_node("Neg", ["dilated"], ["neg"]),
        helper.make_node(
            "MaxPool", ["neg"], ["neg_closed"], kernel_shape=size, pads=pads, strides=strides
        ),
        helper.make_node("Neg", ["neg_closed"], ["closed"]),
        helper.make_node("Sub", ["closed", "ink"], ["diff"]),
        helper.make_node("Relu", ["diff"], ["gap"]),
    ]
    return image_model(nodes, "gap")


def doubling_refine_model() -> onnx.ModelProto:
    """refined = min(2 * ink, 1): visibly changes grey lines, so a test can tell it ran."""
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    nodes = [
        helper.make_node("Mul", ["ink", "two"], ["doubled"]),
        helper.make_node("Min", ["doubled", "one"], ["refined"]),
    ]
    return image_model(nodes, "refined", initializers=[two, one])


# The stand-in verifier's weights, one per feature of core.candidates.FEATURES: short bridges
# that continue their strokes score high, the rest low. Checked against FEATURES by a test.
GEOMETRIC_WEIGHTS = {"length": -4.0, "cos_a": 3.0, "cos_b": 2.0, "end_to_end": 0.5,
                     "area_a": 0.0, "area_b": 0.0, "same_piece": -0.5, "ahead": 0.0,
                     "width_a": 0.0, "width_b": 0.0, "rank": -1.0, "crowding": -0.5}
GEOMETRIC_BIAS = -1.0


def geometric_verifier_model() -> onnx.ModelProto:
    """probability = sigmoid(features @ w + b + 0 * sum(patches)): a scorer with the real
    verifier's inputs and outputs that prefers short bridges continuing their strokes."""
    from krita_linerefiner.core.candidates import FEATURES, PATCH

    weights = helper.make_tensor("w", TensorProto.FLOAT, [len(FEATURES), 1],
                                 [GEOMETRIC_WEIGHTS[f] for f in FEATURES])
    bias = helper.make_tensor("b", TensorProto.FLOAT, [1], [GEOMETRIC_BIAS])
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    axes = helper.make_tensor("axes", TensorProto.INT64, [3], [1, 2, 3])
    nodes = [
        helper.make_node("MatMul", ["features", "w"], ["score"]),
        helper.make_node("ReduceSum", ["patches", "axes"], ["patch_sum"], keepdims=0),
        helper.make_node("Mul", ["patch_sum", "zero"], ["nothing"]),
        helper.make_node("Flatten", ["score"], ["score_flat"], axis=0),
        helper.make_node("Squeeze", ["score_flat"], ["score_n"]),
        helper.make_node("Add", ["score_n", "nothing"], ["score_p"]),
        helper.make_node("Add", ["score_p", "b"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["probability"]),
    ]
    graph = helper.make_graph(
        nodes,
        "verifier",
        [helper.make_tensor_value_info("patches", TensorProto.FLOAT, ["N", 3, PATCH, PATCH]),
         helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", len(FEATURES)])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N"])],
        initializer=[weights, bias, zero, axes],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def add_verifier(folder: Path, model: onnx.ModelProto | None = None) -> Path:
    """Write a scorer as model "verifier" into <folder> and its manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "verifier.onnx"
    onnx.save(model or geometric_verifier_model(), str(path))
    return add_to_manifest(
        folder, "verifier", path, kind="scorer", task="gap verifier",
        input={"name": "patches", "shape": ["N", 3, 32, 32], "dtype": "float32"},
        features={"name": "features"}, output={"name": "probability", "shape": ["N"]},
        overlap=0, size_multiple=1, receptive_radius=0,
    )


def manifest_entry(path: Path, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "version": "test",
        "task": "test",
        "input": {"name": "ink", "shape": [1, 1, "H", "W"], "dtype": "float32", "range": [0, 1]},
        "output": {"name": "out", "shape": [1, 1, "H", "W"], "dtype": "float32", "range": [0, 1]},
        "size_multiple": 8,
        "receptive_radius": 1,
        "overlap": 8,
        "provenance": {"built_by": "tests/model_fixtures.py"},
        "metrics": {},
    }
    entry.update(overrides)
    return entry


def add_to_manifest(folder: Path, name: str, path: Path, **overrides: Any) -> Path:
    """Record <path> as model `name` in <folder>/manifest.json (created if missing)."""
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"models": {}}
    manifest["models"][name] = manifest_entry(path, **overrides)
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return folder


def write_model_dir(
    directory: Path, name: str = "gaps", model: onnx.ModelProto | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    chosen: onnx.ModelProto = model if model is not None else closing_gap_model()
    path = directory / f"{name}.onnx"
    onnx.save(chosen, str(path))
    output = {"name": chosen.graph.output[0].name, "shape": [1, 1, "H", "W"], "dtype": "float32"}
    if name == "gaps":
        # Gap closing scores its candidates with the verifier; the dense model is optional.
        add_verifier(directory)
    return add_to_manifest(
        directory,
        name,
        path,
        task=name,
        output=output,
        size_multiple=1,
        receptive_radius=8,
        overlap=32,
    )
