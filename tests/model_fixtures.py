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
    model = model or closing_gap_model()
    path = directory / f"{name}.onnx"
    onnx.save(model, str(path))
    output = {"name": model.graph.output[0].name, "shape": [1, 1, "H", "W"], "dtype": "float32"}
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
