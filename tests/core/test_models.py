from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import pytest

from krita_linerefiner.core import models
from krita_linerefiner.core.errors import LineRefinerError
from krita_linerefiner.core.models import (
    choose_providers,
    create_session,
    default_models_dir,
    load_manifest,
)
from krita_linerefiner.core.tiling import TileSpec, run_tiled

MakeModel = Callable[..., Path]  # the make_model fixture in tests/conftest.py
CPU = "CPUExecutionProvider"


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    models.clear_session_cache()


def test_manifest_is_read_into_model_info(make_model: MakeModel) -> None:
    folder = make_model("gaps", receptive_radius=5, overlap=24, size_multiple=16)
    info = load_manifest(folder)["gaps"]
    assert (info.name, info.file, info.input_name, info.output_name) == (
        "gaps",
        "gaps.onnx",
        "ink",
        "out",
    )
    assert (info.size_multiple, info.receptive_radius, info.overlap) == (16, 5, 24)
    assert info.provenance == {"built_by": "tests/conftest.py"}
    assert len(info.sha256) == 64
    hash(info)  # usable as a cache key despite the dict fields


def test_missing_manifest_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(LineRefinerError) as caught:
        load_manifest(tmp_path)
    assert "manifest" in caught.value.message
    assert caught.value.hint is not None and "install.py" in caught.value.hint


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"models": []}', '{"models": {"gaps": {"file": "g.onnx"}}}', "[]"],
)
def test_broken_manifest_is_an_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(LineRefinerError, match="manifest"):
        load_manifest(tmp_path)


def test_session_runs_the_graph(make_model: MakeModel) -> None:
    kernel = np.random.default_rng(1).random((3, 3), dtype=np.float32)
    folder = make_model("gaps", kernel)
    session = create_session("gaps", models_dir=folder, use_gpu=False)
    tile = np.random.default_rng(2).random((16, 24), dtype=np.float32)
    result = session(tile)
    assert result.shape == (16, 24) and result.dtype == np.float32
    expected = cv2.filter2D(tile, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(result, expected, atol=1e-5)
    assert session.providers[-1] == CPU


def test_tiny_model_dir_fixture_has_gaps_and_refine(tiny_model_dir: Path) -> None:
    ink = np.zeros((8, 16), np.float32)
    ink[4, 4] = 0.9
    gaps = create_session("gaps", models_dir=tiny_model_dir, use_gpu=False)(ink)
    refined = create_session("refine", models_dir=tiny_model_dir, use_gpu=False)(ink)
    np.testing.assert_allclose(gaps[3:6, 3:6], 0.1, atol=1e-6)
    assert gaps.sum() == pytest.approx(0.9, abs=1e-5)
    np.testing.assert_array_equal(refined, ink)


def test_session_with_run_tiled_matches_whole_image(make_model: MakeModel) -> None:
    kernel = np.full((3, 3), 1 / 9, np.float32)
    session = create_session("gaps", models_dir=make_model("gaps", kernel), use_gpu=False)
    image = np.random.default_rng(3).random((45, 70), dtype=np.float32)
    spec = session.tile_spec(20)
    tiled = run_tiled(image, session, spec)
    whole = cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    np.testing.assert_allclose(tiled, whole, atol=1 / 255)


@pytest.mark.parametrize(
    ("size", "expected"),
    [(512, TileSpec(512, 8, 8)), (20, TileSpec(24, 8, 8)), (3, TileSpec(16, 8, 8))],
)
def test_tile_spec_rounds_up_to_the_multiple(
    make_model: MakeModel, size: int, expected: TileSpec
) -> None:
    session = create_session("gaps", models_dir=make_model("gaps"), use_gpu=False)
    assert session.tile_spec(size) == expected


def test_cache_returns_the_same_session(make_model: MakeModel) -> None:
    folder = make_model("gaps")
    first = create_session("gaps", models_dir=folder, use_gpu=False)
    assert create_session("gaps", models_dir=folder, use_gpu=False) is first
    assert create_session("gaps", models_dir=folder, threads=1, use_gpu=False) is not first


def test_replaced_model_gets_a_new_session(make_model: MakeModel) -> None:
    folder = make_model("gaps")
    first = create_session("gaps", models_dir=folder, use_gpu=False)
    make_model("gaps", np.ones((1, 1), np.float32) * 2)
    second = create_session("gaps", models_dir=folder, use_gpu=False)
    assert second is not first
    np.testing.assert_allclose(second(np.ones((8, 8), np.float32)), 2.0)


def test_hash_is_computed_once_per_file_version(
    make_model: MakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_model("gaps")
    calls = 0
    real_sha256 = models.hashlib.sha256

    def counting_sha256() -> Any:
        nonlocal calls
        calls += 1
        return real_sha256()

    monkeypatch.setattr(models.hashlib, "sha256", counting_sha256)
    create_session("gaps", models_dir=folder, use_gpu=False)
    create_session("gaps", models_dir=folder, threads=1, use_gpu=False)
    assert calls == 1
    path = folder / "gaps.onnx"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    create_session("gaps", models_dir=folder, use_gpu=False)
    assert calls == 2


def test_checksum_mismatch_is_reported(make_model: MakeModel) -> None:
    folder = make_model("gaps", sha256="0" * 64)
    with pytest.raises(LineRefinerError) as caught:
        create_session("gaps", models_dir=folder)
    assert caught.value.hint is not None and "corrupt" in caught.value.hint


def test_changed_file_is_caught_even_after_a_good_run(make_model: MakeModel) -> None:
    folder = make_model("gaps")
    create_session("gaps", models_dir=folder, use_gpu=False)
    with (folder / "gaps.onnx").open("ab") as stream:
        stream.write(b"\0")
    with pytest.raises(LineRefinerError, match="checksum"):
        create_session("gaps", models_dir=folder, use_gpu=False)


def test_missing_model_file_says_reinstall(make_model: MakeModel) -> None:
    folder = make_model("gaps")
    (folder / "gaps.onnx").unlink()
    with pytest.raises(LineRefinerError) as caught:
        create_session("gaps", models_dir=folder)
    assert "missing" in caught.value.message
    assert caught.value.hint is not None and "python3 install.py" in caught.value.hint


def test_negative_threads_is_a_programming_error(make_model: MakeModel) -> None:
    with pytest.raises(ValueError):
        create_session("gaps", models_dir=make_model("gaps"), threads=-1)


def test_unknown_model_name(make_model: MakeModel) -> None:
    with pytest.raises(LineRefinerError, match="refine"):
        create_session("refine", models_dir=make_model("gaps"))


def test_model_onnxruntime_cannot_load(make_model: MakeModel) -> None:
    folder = make_model("gaps")
    path = folder / "gaps.onnx"
    path.write_bytes(b"not a model")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["gaps"]["sha256"] = models.file_sha256(path)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LineRefinerError, match="cannot load") as caught:
        create_session("gaps", models_dir=folder)
    assert caught.value.hint is not None


@pytest.mark.parametrize(
    ("graph", "manifest", "complaint"),
    [
        ({"input_name": "image"}, {}, "inputs"),
        ({}, {"output": {"name": "gap"}}, "outputs"),
        ({"input_channels": 3}, {}, "shape"),
        ({"input_type": "double"}, {}, "float32"),
    ],
)
def test_model_that_does_not_match_its_manifest(
    make_model: MakeModel, graph: dict, manifest: dict, complaint: str
) -> None:
    folder = make_model("gaps", graph=graph, **manifest)
    with pytest.raises(LineRefinerError, match=complaint) as caught:
        create_session("gaps", models_dir=folder)
    assert caught.value.hint is not None and "manifest" in caught.value.hint


class FakeRuntime:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def run(self, *_: object) -> list[np.ndarray]:
        raise self.error


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (RuntimeError("CUDA failure 2: out of memory"), "smaller tile"),
        (RuntimeError("Failed to allocate memory for requested buffer"), "smaller tile"),
        (MemoryError(), "smaller tile"),
        (RuntimeError("Invalid rank for input"), "multiple of"),
    ],
)
def test_runtime_errors_become_actionable(
    make_model: MakeModel, monkeypatch: pytest.MonkeyPatch, error: Exception, hint: str
) -> None:
    session = create_session("gaps", models_dir=make_model("gaps"), use_gpu=False)
    monkeypatch.setattr(session, "session", FakeRuntime(error))
    with pytest.raises(LineRefinerError) as caught:
        session(np.zeros((8, 8), np.float32))
    assert caught.value.hint is not None and hint in caught.value.hint


@pytest.mark.parametrize(
    ("available", "use_gpu", "expected"),
    [
        ([CPU], True, [CPU]),
        (["AzureExecutionProvider", CPU], True, [CPU]),
        (
            ["CoreMLExecutionProvider", "CUDAExecutionProvider", CPU],
            True,
            ["CUDAExecutionProvider", "CoreMLExecutionProvider", CPU],
        ),
        (["DmlExecutionProvider", CPU], True, ["DmlExecutionProvider", CPU]),
        (["CUDAExecutionProvider", "DmlExecutionProvider", CPU], False, [CPU]),
        ([], True, [CPU]),
    ],
)
def test_choose_providers(available: list[str], use_gpu: bool, expected: list[str]) -> None:
    assert choose_providers(available, use_gpu) == expected


def test_choose_providers_defaults_to_what_onnxruntime_offers() -> None:
    chosen = choose_providers()
    assert chosen[-1] == CPU
    assert set(chosen) <= set(models.ort.get_available_providers()) | {CPU}


def test_models_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(tmp_path))
    assert default_models_dir() == tmp_path


def test_models_dir_in_plugin_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Installed plugin: <pykrita>/krita_linerefiner/models, nothing beside the package.
    package = tmp_path / "pykrita" / "krita_linerefiner"
    (package / "models").mkdir(parents=True)
    (package / "models" / "manifest.json").write_text('{"models": {}}')
    monkeypatch.delenv("LINEREFINER_MODELS", raising=False)
    monkeypatch.setattr(models, "_PACKAGE_DIR", package)
    assert default_models_dir() == package / "models"


def test_models_dir_in_repo_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "repo" / "krita_linerefiner"
    package.mkdir(parents=True)
    (tmp_path / "repo" / "models").mkdir()
    (tmp_path / "repo" / "models" / "manifest.json").write_text('{"models": {}}')
    monkeypatch.delenv("LINEREFINER_MODELS", raising=False)
    monkeypatch.setattr(models, "_PACKAGE_DIR", package)
    assert default_models_dir() == tmp_path / "repo" / "models"


def test_a_scorer_model_scores_batches_and_is_not_an_image_model(tmp_path: Path) -> None:
    from krita_linerefiner.core.candidates import FEATURES, PATCH
    from krita_linerefiner.core.models import create_scorer, create_session
    from tests.model_fixtures import add_verifier

    folder = add_verifier(tmp_path / "m")
    scorer = create_scorer("verifier", models_dir=folder)
    n = 1300  # more than one batch of ScorerSession.BATCH rows
    features = np.zeros((n, len(FEATURES)), np.float32)
    features[::2, FEATURES.index("cos_a")] = 1.0  # every other row continues its stroke
    p = scorer(np.zeros((n, 3, PATCH, PATCH), np.float32), features)
    assert p.shape == (n,)
    assert (p[::2] > p[1::2]).all()
    with pytest.raises(LineRefinerError, match="not an image model"):
        create_session("verifier", models_dir=folder)
    with pytest.raises(ValueError, match="feature rows"):
        scorer(np.zeros((2, 3, PATCH, PATCH), np.float32), features[:3])


def test_unknown_model_kind_is_refused(tmp_path: Path) -> None:
    from tests.model_fixtures import add_verifier

    folder = add_verifier(tmp_path / "m")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["verifier"]["kind"] = "oracle"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LineRefinerError, match="unknown kind"):
        load_manifest(folder)


def declaring_scorer(folder: Path, key: str, value: str, default: str):
    """The test verifier with `key` set to `value` in its manifest entry (and `default` checked
    when it is not set), and a scorer that records the patches it is given: (scorer, seen)."""
    from krita_linerefiner.core.models import create_scorer

    assert getattr(create_scorer("verifier", models_dir=folder), key) == default
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["verifier"][key] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    models.clear_session_cache()
    scorer = create_scorer("verifier", models_dir=folder)
    assert getattr(scorer, key) == value
    seen: list[np.ndarray] = []

    def recording(block: np.ndarray, features: np.ndarray) -> np.ndarray:
        seen.append(block.copy())
        return scorer(block, features)

    recording.bridge = scorer.bridge  # type: ignore[attr-defined]
    recording.sampling = scorer.sampling  # type: ignore[attr-defined]
    return recording, seen


def refused(folder: Path, key: str, value: str) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["verifier"][key] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LineRefinerError, match=f"unknown {key}"):
        load_manifest(folder)


def test_a_scorer_says_what_its_bridge_channel_shows_and_gap_analysis_cuts_patches_to_match(
        tmp_path: Path) -> None:
    from krita_linerefiner.core import gaps
    from krita_linerefiner.core.candidates import LineMap, find_ends, patches, propose
    from krita_linerefiner.core.gaps import GapParams
    from tests.core.test_candidates import circle_with_arc_cut
    from tests.model_fixtures import add_verifier

    folder = add_verifier(tmp_path / "m")
    recording, seen = declaring_scorer(folder, "bridge", "curve", "chord")
    ink = circle_with_arc_cut(70)
    gaps.analyse_gaps(ink, GapParams(max_gap=48), recording)
    lines = LineMap.from_ink(ink)
    ends = find_ends(lines)
    cands = propose(lines, ends, 48)
    want = patches(lines, cands, ends, bridge="curve")
    assert not np.array_equal(want, patches(lines, cands, ends))  # a curved break is here
    np.testing.assert_array_equal(seen[0], want)
    refused(folder, "bridge", "spline")


def test_a_scorer_says_how_its_patches_read_the_drawing_and_gap_analysis_cuts_them_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from krita_linerefiner.core import candidates, gaps
    from krita_linerefiner.core.candidates import (
        PATCH,
        LineMap,
        area_level,
        area_maps,
        find_ends,
        patches,
        propose,
    )
    from krita_linerefiner.core.gaps import GapParams
    from tests.core.test_candidates import long_break_with_neighbours
    from tests.model_fixtures import add_verifier

    folder = add_verifier(tmp_path / "m")
    recording, seen = declaring_scorer(folder, "sampling", "area", "point")
    ink, _ = long_break_with_neighbours()
    filtered: list[int] = []

    def counting(lines: LineMap, level: int):
        filtered.append(level)
        return area_maps(lines, level)

    monkeypatch.setattr(candidates, "area_maps", counting)
    gaps.analyse_gaps(ink, GapParams(max_gap=24), recording)
    monkeypatch.undo()
    lines = LineMap.from_ink(ink)
    ends = find_ends(lines)
    cands = propose(lines, ends, 32)  # the search's reach at max gap 24 (long_reach)
    cands = cands.take(np.flatnonzero(gaps.selectable(cands, 24)))
    # Scored shortest first, so that each prefilter level is made once; and once more for the
    # bridges between plain strokes asked from their other end after them (gaps.PLAIN_CROWDING).
    # At each view (gaps.VIEW_ZOOMS) the same, the patch's span times its zoom.
    cands = cands.take(np.argsort(cands.length, kind="stable"))
    levels = area_level((2 * cands.length + 12) / PATCH)
    assert len(set(levels.tolist())) >= 2
    span = np.maximum(24.0, 2 * cands.length + 12)
    viewed = {int(k) for zoom in gaps.VIEW_ZOOMS for k in area_level(span * zoom / PATCH)}
    assert set(levels.tolist()) <= viewed and set(filtered) == viewed
    assert all(filtered.count(level) <= 2 * len(gaps.VIEW_ZOOMS) for level in set(filtered))
    want = patches(lines, cands, ends, sampling="area")
    assert not np.array_equal(want, patches(lines, cands, ends))  # a long break is here
    np.testing.assert_array_equal(seen[0], want)

    refused(folder, "sampling", "box")


class _Skewed:
    """An onnxruntime session stand-in that answers as `session` does, plus `shift`."""

    def __init__(self, session, shift: float) -> None:
        self.inner, self.shift = session, shift

    def run(self, outputs, feed):
        return [np.clip(np.asarray(r) + self.shift, 0, 1) for r in self.inner.run(outputs, feed)]

    def get_providers(self):
        return self.inner.get_providers()

    def get_inputs(self):
        return self.inner.get_inputs()

    def get_outputs(self):
        return self.inner.get_outputs()


def test_a_scorer_whose_fused_layers_answer_wrongly_scores_unfused(tmp_path: Path) -> None:
    from krita_linerefiner.core.candidates import PATCH
    from krita_linerefiner.core.models import CHECK_TOLERANCE, ScorerSession, create_scorer
    from tests.model_fixtures import add_verifier

    scorer = create_scorer("verifier", models_dir=add_verifier(tmp_path / "m"))
    assert scorer.unfused_reason == ""  # a float model agrees with itself unfused
    patches, features = scorer.check_rows()
    assert patches.shape == (64, 3, PATCH, PATCH) and features.shape[0] == 64
    assert patches[:, 0].max() == 1.0 and (patches[:, 1] <= patches[:, 0] + 1e-6).all()
    again, _ = scorer.check_rows()
    assert (again == patches).all()  # the same rows every time
    good = scorer.session
    # Off by less than the tolerance: kept as it is.
    near = ScorerSession(scorer.info, cast(Any, _Skewed(good, CHECK_TOLERANCE / 2)))
    assert not near.use_unfused_if_wrong(scorer)
    assert near.unfused_reason == "" and isinstance(near.session, _Skewed)
    # Off by more (onnxruntime 1.23's fused 8-bit convolutions on AVX-512 VNNI CPUs):
    # it scores with the unfused session from then on, and says why.
    wrong = ScorerSession(scorer.info, cast(Any, _Skewed(good, 0.3)))
    assert wrong.use_unfused_if_wrong(scorer)
    assert wrong.session is good and "onnxruntime" in wrong.unfused_reason
    assert np.allclose(wrong(patches, features), scorer(patches, features))


def test_the_shipped_verifier_answers_as_it_does_unfused() -> None:
    """On any onnxruntime and CPU: what the shipped 8-bit verifier scores equals what its
    unfused graph scores (the check that guards against onnxruntime 1.23's fused layers on
    AVX-512 VNNI CPUs, where the fused answers were off by up to 0.87)."""
    import onnxruntime as ort

    from krita_linerefiner.core.models import (
        ScorerSession,
        clear_session_cache,
        create_scorer,
        default_models_dir,
        load_manifest,
    )

    folder = default_models_dir()
    clear_session_cache()
    scorer = create_scorer("verifier", threads=1, use_gpu=False)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    info = load_manifest(folder)["verifier"]
    unfused = ScorerSession(info, ort.InferenceSession(
        str(folder / info.file), options, providers=["CPUExecutionProvider"]))
    patches, features = scorer.check_rows(256, seed=1)  # other rows than the check's
    assert np.max(np.abs(scorer(patches, features) - unfused(patches, features))) <= 0.02


def test_the_shipped_verifier_names_the_bridge_it_was_trained_with() -> None:
    """The shipped verifier's manifest entry says how its patches draw the bridge and read
    the drawing, and the scorer made from it draws them so. A missing key reads as the chord,
    and verifiers trained since stop 46 (`training.gaps.pipeline --bridge curve`, the
    default) were shipped without it until stop 52: the plugin drew chords for a verifier
    trained on curves."""
    from krita_linerefiner.core.candidates import BRIDGE_KINDS, SAMPLING_KINDS
    from krita_linerefiner.core.models import clear_session_cache, create_scorer, default_models_dir

    raw = json.loads((default_models_dir() / "manifest.json").read_text())["models"]["verifier"]
    assert raw.get("bridge") in BRIDGE_KINDS and raw.get("sampling") in SAMPLING_KINDS
    clear_session_cache()
    scorer = create_scorer("verifier", threads=1, use_gpu=False)
    assert (scorer.bridge, scorer.sampling) == (raw["bridge"], raw["sampling"])
