from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from training.gaps.verifier_data import Rows


@pytest.fixture
def pipeline():
    pytest.importorskip("torch", reason="training.gaps.pipeline needs torch (pip install torch)")
    from training.gaps import pipeline

    return pipeline


def args(tmp_path: Path, **changes: object) -> argparse.Namespace:
    values: dict[str, object] = dict(per_category=4, size=256, seed=0, source_crops=0,
                                     realcuts_copies=4, source_data=tmp_path / "none",
                                     bridge="curve", sampling="point")
    values.update(changes)
    return argparse.Namespace(**values)


def test_rows_come_back_as_they_were_saved(tmp_path: Path, pipeline) -> None:
    rng = np.random.default_rng(0)
    rows = Rows(rng.random((5, 3, 32, 32)).astype(np.float16),
                rng.random((5, 12)).astype(np.float32), np.array([0, 1, 0, 0, 1], np.uint8),
                rng.random(5).astype(np.float32), np.arange(5, dtype=np.int32))
    path = tmp_path / "rows.npz"
    pipeline.save_rows(path, rows, {"black": 5})
    back, counts = pipeline.load_rows(path)
    assert counts == {"black": 5}
    for field in ("patches", "features", "labels", "lengths", "drawing"):
        np.testing.assert_array_equal(getattr(back, field), getattr(rows, field))


def test_the_key_changes_with_the_data_options(tmp_path: Path, pipeline) -> None:
    base = pipeline.rows_key(args(tmp_path))
    assert pipeline.rows_key(args(tmp_path)) == base
    assert pipeline.rows_key(args(tmp_path, per_category=5)) != base
    assert pipeline.rows_key(args(tmp_path, seed=1)) != base
    assert pipeline.rows_key(args(tmp_path, realcuts_copies=2)) != base
    assert pipeline.rows_key(args(tmp_path, bridge="chord")) != base
    assert pipeline.rows_key(args(tmp_path, sampling="area")) != base


def test_a_second_run_finds_the_rows_the_first_saved_with_its_source_crops(
        tmp_path: Path, pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run makes the source crops; the key must not change once they exist."""
    made: list[Path] = []

    def fake_crops(out: Path, crops: int, seed: int, log) -> dict:
        if not (out / "index.json").exists():
            out.mkdir(parents=True)
            (out / "index.json").write_text('{"crops": 1}')
            made.append(out)
        return {}

    built: list[int] = []

    def fake_build(*a, **k):
        built.append(1)
        rng = np.random.default_rng(0)
        n = 40
        return Rows(rng.random((n, 3, 32, 32)).astype(np.float16),
                    rng.random((n, 12)).astype(np.float32), (np.arange(n) % 2).astype(np.uint8),
                    rng.random(n).astype(np.float32), np.arange(n, dtype=np.int32)), {"x": n}

    monkeypatch.setattr(pipeline, "source_crops", fake_crops)
    monkeypatch.setattr(pipeline, "build_rows", fake_build)
    monkeypatch.setattr(pipeline, "train", lambda *a, **k: (_ for _ in ()).throw(SystemExit(0)))
    common = ["--source-data", str(tmp_path / "src"), "--rows-cache", str(tmp_path / "cache"),
              "--out", str(tmp_path / "out"), "--no-export", "--per-category", "4"]
    for _ in range(2):
        with pytest.raises(SystemExit):
            pipeline.main(common)
    assert len(made) == 1
    assert built == [1]  # the second run loaded the first run's rows


def test_source_seed_holds_the_source_crops_across_training_seeds(
        tmp_path: Path, pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    seeds: list[int] = []

    def fake_crops(out: Path, crops: int, seed: int, log) -> None:
        seeds.append(seed)
        raise SystemExit(0)

    monkeypatch.setattr(pipeline, "source_crops", fake_crops)
    common = ["--source-data", str(tmp_path / "src"), "--out", str(tmp_path / "out"),
              "--no-export"]
    for extra in ([], ["--seed", "2"], ["--seed", "2", "--source-seed", "5"],
                  ["--seed", "3", "--source-seed", "5"]):
        with pytest.raises(SystemExit):
            pipeline.main(common + extra)
    assert seeds == [5, 7, 5, 5]


def test_benchmark_only_categories_stay_out_of_the_training_rows(pipeline) -> None:
    # The hairline category (stop 33) is measured, not trained on: the shipped verifier's
    # chain keeps making the rows it was trained on, each category on its own seed as before.
    from training.gaps import realistic

    names = [name for name, _ in pipeline.training_sets(1, 64, 0)]
    assert "hairline" in realistic.CATEGORIES and "hairline" not in names
    assert [n for n in names if n in realistic.CATEGORIES] == [
        c for c in realistic.CATEGORIES if c not in realistic.BENCHMARK_ONLY]
