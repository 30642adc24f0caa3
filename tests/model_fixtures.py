"""ONNX stand-ins for the real models, built on the fly so tests need no trained weights."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import onnx
from onnx import TensorProto, helper


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
    shape = [1, 1, "H", "W"]
    graph = helper.make_graph(
        nodes,
        "closing",
        [helper.make_tensor_value_info("ink", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("gap", TensorProto.FLOAT, shape)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def doubling_refine_model() -> onnx.ModelProto:
    """refined = min(2 * ink, 1): visibly changes grey lines, so a test can tell it ran."""
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    nodes = [
        helper.make_node("Mul", ["ink", "two"], ["doubled"]),
        helper.make_node("Min", ["doubled", "one"], ["refined"]),
    ]
    shape = [1, 1, "H", "W"]
    graph = helper.make_graph(
        nodes,
        "doubling",
        [helper.make_tensor_value_info("ink", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("refined", TensorProto.FLOAT, shape)],
        initializer=[two, one],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def write_model_dir(
    directory: Path, name: str = "gaps", model: onnx.ModelProto | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    model = model or closing_gap_model()
    path = directory / f"{name}.onnx"
    onnx.save(model, str(path))
    entry = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "version": "test",
        "task": name,
        "input": {"name": "ink", "shape": [1, 1, "H", "W"], "dtype": "float32", "range": [0, 1]},
        "output": {
            "name": model.graph.output[0].name,
            "shape": [1, 1, "H", "W"],
            "dtype": "float32",
        },
        "size_multiple": 1,
        "receptive_radius": 8,
        "overlap": 32,
        "provenance": {"note": "test fixture"},
        "metrics": {},
    }
    manifest = directory / "manifest.json"
    data = json.loads(manifest.read_text()) if manifest.exists() else {"models": {}}
    data["models"][name] = entry
    manifest.write_text(json.dumps(data))
    return directory
