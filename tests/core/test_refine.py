from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from krita_linerefiner.core import models
from krita_linerefiner.core.errors import LineRefinerError
from krita_linerefiner.core.refine import RefineParams, refine

REPO_MODELS = Path(__file__).resolve().parents[2] / "models"


def line_art(height: int = 150, width: int = 230, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ink = np.zeros((height, width), np.float32)
    ink[40:43, 10:200] = 1.0
    ink[10:140, 100:102] = 0.8
    ink[rng.integers(0, height, 30), rng.integers(0, width, 30)] = 0.7
    return ink


class NoModel:
    def __call__(self, tile: np.ndarray) -> np.ndarray:
        raise AssertionError("strength 0 must not run the model")

    def tile_spec(self, size: int = 512):
        raise AssertionError("strength 0 must not run the model")


@pytest.fixture
def blur_model_dir(make_model) -> Iterator[Path]:
    """A "refine" model that visibly changes ink (3x3 box blur), so blending can be checked."""
    box = np.full((3, 3), 1 / 9, np.float32)
    folder = make_model("refine", box, graph={"output_name": "refined"},
                        output={"name": "refined"}, overlap=16)
    yield folder
    models.clear_session_cache()


def test_strength_zero_returns_input_without_model():
    ink = line_art()
    out = refine(ink, RefineParams(strength=0.0), session=NoModel())
    assert out.dtype == np.float32 and np.array_equal(out, ink)
    assert out is not ink


def test_strength_one_is_model_output_and_blend_is_linear(blur_model_dir):
    ink = line_art()
    session = models.create_session("refine", models_dir=blur_model_dir)
    full = refine(ink, RefineParams(strength=1.0, tile=64), session=session)
    assert np.abs(full - ink).max() > 0.1  # the stand-in model really changes the ink
    for strength in (0.25, 0.5, 0.9):
        part = refine(ink, RefineParams(strength=strength, tile=64), session=session)
        np.testing.assert_allclose(part, (1 - strength) * ink + strength * full, atol=1e-5)


def test_tiling_does_not_change_the_result(blur_model_dir):
    ink = line_art(300, 410)
    session = models.create_session("refine", models_dir=blur_model_dir)
    small = refine(ink, RefineParams(tile=64), session=session)
    whole = refine(ink, RefineParams(tile=1024), session=session)
    np.testing.assert_allclose(small, whole, atol=1 / 255)


def test_default_session_comes_from_the_manifest(blur_model_dir, monkeypatch):
    monkeypatch.setenv(models.ENV_MODELS_DIR, str(blur_model_dir))
    ink = line_art()
    out = refine(ink, RefineParams(strength=1.0, tile=128))
    assert out.shape == ink.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_missing_keep_style_says_what_to_do(blur_model_dir, monkeypatch):
    monkeypatch.setenv(models.ENV_MODELS_DIR, str(blur_model_dir))
    with pytest.raises(LineRefinerError) as caught:
        refine(line_art(), RefineParams(style="keep"))
    assert caught.value.hint and "ink" in caught.value.hint


@pytest.mark.parametrize(
    "kwargs", [{"strength": -0.1}, {"strength": 1.5}, {"style": "pencil"}, {"tile": 16}]
)
def test_bad_params_are_rejected(kwargs):
    with pytest.raises(LineRefinerError):
        RefineParams(**kwargs)


def test_bad_ink_shape_is_rejected(blur_model_dir):
    session = models.create_session("refine", models_dir=blur_model_dir)
    with pytest.raises(LineRefinerError):
        refine(np.zeros((4, 4, 3), np.float32), session=session)


def _installed(name: str) -> bool:
    manifest = REPO_MODELS / "manifest.json"
    return manifest.is_file() and name in json.loads(manifest.read_text())["models"]


@pytest.mark.parametrize("style", ["ink", "keep"])
def test_real_model_removes_specks_and_keeps_lines(style):
    name = RefineParams(style=style).model_name
    if not _installed(name):
        pytest.skip(f"models/{name}.onnx not installed")
    ink = np.zeros((128, 192), np.float32)
    ink[60:62, 16:176] = 1.0            # a 2 px line
    specks = [(20, 30), (100, 150), (30, 170)]
    for y, x in specks:
        ink[y, x] = 0.9
    session = models.create_session(name, models_dir=REPO_MODELS)
    out = refine(ink, RefineParams(style=style), session=session)
    assert all(out[y, x] < 0.5 for y, x in specks)
    assert out[60:62, 30:160].min() > 0.5
