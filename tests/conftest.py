"""Shared fixtures: tiny ONNX models built on the fly, and hypothesis settings for this suite."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tests.model_fixtures import add_to_manifest

# The test machine is shared with training runs, so wall-clock deadlines would only add flakes;
# CI runs derandomised so a red build can be reproduced.
settings.register_profile(
    "linerefiner",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("linerefiner")

MakeModel = Callable[..., Path]


def build_onnx(
    path: Path,
    *,
    kernel: np.ndarray | None = None,
    input_name: str = "ink",
    output_name: str = "out",
    input_channels: int = 1,
    input_type: str = "float",
) -> None:
    """An identity graph, or a single same-size Conv with `kernel` (odd square, zero padding)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    element = {"float": TensorProto.FLOAT, "double": TensorProto.DOUBLE}[input_type]
    source = helper.make_tensor_value_info(input_name, element, [1, input_channels, "H", "W"])
    target = helper.make_tensor_value_info(output_name, element, [1, 1, "H", "W"])
    initializers = []
    if kernel is None:
        nodes = [helper.make_node("Identity", [input_name], [output_name])]
    else:
        radius = kernel.shape[0] // 2
        weight = np.broadcast_to(kernel, (1, input_channels, *kernel.shape)).astype(np.float32)
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(weight), "weight"))
        nodes = [helper.make_node("Conv", [input_name, "weight"], [output_name], pads=[radius] * 4)]
    graph = helper.make_graph(nodes, "tiny", [source], [target], initializers)
    # An old opset and IR version so any onnxruntime the venv resolves can load it.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


@pytest.fixture
def make_model(tmp_path: Path) -> MakeModel:
    """make_model(name, kernel=None, folder=None, graph={...build_onnx kwargs}, **manifest
    overrides) writes <folder>/<name>.onnx, adds it to <folder>/manifest.json, returns folder."""

    def make(
        name: str,
        kernel: np.ndarray | None = None,
        folder: Path | None = None,
        graph: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Path:
        folder = folder or tmp_path / "models"
        path = folder / f"{name}.onnx"
        build_onnx(path, kernel=kernel, **(graph or {}))
        overrides.setdefault("provenance", {"built_by": "tests/conftest.py"})
        return add_to_manifest(folder, name, path, **overrides)

    return make


@pytest.fixture
def tiny_model_dir(make_model: MakeModel) -> Iterator[Path]:
    """A models folder with "gaps" (3x3 box blur, output "gap") and "refine" (identity, output
    "refined"): real onnxruntime sessions for pipeline tests, with no trained weights needed."""
    from krita_linerefiner.core import models

    box = np.full((3, 3), 1 / 9, np.float32)
    make_model("gaps", box, graph={"output_name": "gap"}, output={"name": "gap"})
    folder = make_model("refine", graph={"output_name": "refined"}, output={"name": "refined"})
    yield folder
    # Sessions are cached by path; tmp folders are unique, but keep the cache from growing.
    models.clear_session_cache()
