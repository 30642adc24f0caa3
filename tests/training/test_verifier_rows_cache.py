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


def fake_sources(n: int = 4) -> dict[str, np.ndarray]:
    targets = np.zeros((n, 64, 64), np.uint8)
    return {"ink": targets, "target": targets, "gap_labels": targets,
            "kind": np.array(["openclipart-strokes", "hershey"] * (n // 2))}


def counting_part_rows(calls: list[str]):
    def fake(job):
        part = job[0]
        calls.append(part.name)
        rng = np.random.default_rng(len(calls))
        n = 6
        return Rows(rng.random((n, 3, 32, 32)).astype(np.float16),
                    rng.random((n, 12)).astype(np.float32), (np.arange(n) % 2).astype(np.uint8),
                    rng.random(n).astype(np.float32), (np.arange(n) // 2).astype(np.int32)), 3

    return fake


def test_a_second_run_finds_the_rows_the_first_saved_with_its_source_crops(
        tmp_path: Path, pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run makes the source crops; the key must not change once they exist."""
    made: list[Path] = []

    def fake_crops(out: Path, crops: int, seed: int, log) -> dict:
        if not (out / "index.json").exists():
            out.mkdir(parents=True)
            (out / "index.json").write_text('{"crops": 1}')
            made.append(out)
        return fake_sources()

    calls: list[str] = []
    monkeypatch.setattr(pipeline, "source_crops", fake_crops)
    monkeypatch.setattr(pipeline, "part_rows", counting_part_rows(calls))
    common = ["--source-data", str(tmp_path / "src"), "--rows-cache", str(tmp_path / "cache"),
              "--out", str(tmp_path / "out"), "--no-export", "--per-category", "4",
              "--data-only"]
    assert pipeline.main(common) == 0
    first = len(calls)
    assert first > 0 and len(made) == 1
    assert pipeline.main(common) == 0
    assert len(calls) == first  # the second run loaded every set the first one saved
    # Adding the enlarged set makes that set alone.
    assert pipeline.main(common + ["--scaled-copies", "1"]) == 0
    assert set(calls[first:]) == {"sources/realcuts_x2"}


def test_rows_from_the_cache_are_the_rows_made(tmp_path: Path, pipeline,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(pipeline, "part_rows", counting_part_rows(calls))
    cache = (tmp_path / "cache", "k")
    made, counts = pipeline.build_rows(2, 64, 0, lambda _: None, fake_sources(), 1,
                                       cache=cache)
    again, counts_again = pipeline.build_rows(2, 64, 0, lambda _: None, fake_sources(), 1,
                                              cache=cache)
    # One part per set here, each made once: the second call made none.
    assert counts == counts_again and len(calls) == len(counts)
    for field in ("patches", "features", "labels", "lengths", "drawing"):
        np.testing.assert_array_equal(getattr(again, field), getattr(made, field))
    # Drawing ids run on across sets: 3 drawings per part, none shared between two sets.
    assert len(np.unique(made.drawing)) == 3 * len(calls)


def test_any_number_of_jobs_makes_the_same_rows(pipeline) -> None:
    sources = fake_sources()
    for i in range(len(sources["target"])):  # strokes worth cutting
        sources["target"][i, 20 + 4 * i : 23 + 4 * i, 5:60] = 255
    sources["ink"] = sources["target"].copy()
    one, counts = pipeline.build_rows(1, 64, 0, lambda _: None, sources, 1, jobs=1,
                                      scaled_copies=1)
    two, counts_two = pipeline.build_rows(1, 64, 0, lambda _: None, sources, 1, jobs=2,
                                          scaled_copies=1)
    assert counts == counts_two and "sources/realcuts_x2" in counts
    for field in ("patches", "features", "labels", "lengths", "drawing"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))


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

    names = list(dict.fromkeys(part.name for part in pipeline.set_parts(1, 64, 0)))
    assert "hairline" in realistic.CATEGORIES and "hairline" not in names
    assert [n for n in names if n in realistic.CATEGORIES] == [
        c for c in realistic.CATEGORIES if c not in realistic.BENCHMARK_ONLY]


def test_also_trains_on_benchmark_only_categories_leaving_the_others_as_they_were(
        tmp_path: Path, pipeline) -> None:
    plain = {part.name: part for part in pipeline.set_parts(1, 64, 0)}
    more = {part.name: part for part in pipeline.set_parts(1, 64, 0, also=("dotted",))}
    assert "dotted" in more and "dotted" not in plain and "hairline" not in more
    assert {name: part.seed for name, part in more.items() if name != "dotted"} == {
        name: part.seed for name, part in plain.items()}
    # Rows made without the option keep their cache key; with it they get their own.
    assert pipeline.rows_key(args(tmp_path)) == pipeline.rows_key(args(tmp_path, also=[]))
    assert pipeline.rows_key(args(tmp_path, also=["dotted"])) != pipeline.rows_key(args(tmp_path))
    with pytest.raises(SystemExit):
        pipeline.main(["--also", "black", "--out", str(tmp_path / "run")])


def test_hand_drawn_crops_are_cut_in_chunks_of_their_own_leaving_the_other_sets_as_they_were(
        tmp_path: Path, pipeline) -> None:
    plain = pipeline.set_parts(1, 64, 0, fake_sources())
    crops = np.zeros((pipeline.CHUNK + 10, 64, 64), np.uint8)
    more = pipeline.set_parts(1, 64, 0, fake_sources(), handdrawn=crops, handdrawn_copies=3)
    hand = [part for part in more if part.name == "sources/handdrawn"]
    assert not any(part.name == "sources/handdrawn" for part in plain)
    assert [(part.kind, part.first, part.count) for part in hand] == [
        ("realcuts", 0, 3), ("realcuts", pipeline.CHUNK, 3)]
    assert sum(len(part.data["target"]) for part in hand) == len(crops)
    assert [(p.name, p.seed, p.first) for p in more if p.name != "sources/handdrawn"] == [
        (p.name, p.seed, p.first) for p in plain]
    # Their rows are kept under a name that changes with the crops and the copies.
    first = pipeline.set_file(tmp_path, "k", "sources/handdrawn", 0, "3-aaaa")
    assert first != pipeline.set_file(tmp_path, "k", "sources/handdrawn", 0, "4-aaaa")
    assert pipeline.set_file(tmp_path, "k", "black", 0, "3-aaaa") == pipeline.set_file(
        tmp_path, "k", "black", 0)


def test_without_the_hand_drawn_drawings_the_chain_says_so_and_trains_on_the_rest(
        tmp_path: Path, pipeline, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    monkeypatch.setattr(pipeline, "part_rows", counting_part_rows(calls))
    assert pipeline.main(["--handdrawn-crops", "600", "--handdrawn-dir", str(tmp_path / "none"),
                          "--source-crops", "0",
                          "--out", str(tmp_path / "out"), "--per-category", "4",
                          "--data-only"]) == 0
    assert "hand-drawn crops skipped" in capsys.readouterr().out
    assert calls and "sources/handdrawn" not in calls


def test_an_unknown_hand_drawn_package_is_refused_before_any_work(
        tmp_path: Path, pipeline, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    monkeypatch.setattr(pipeline, "part_rows", counting_part_rows(calls))
    with pytest.raises(SystemExit):
        pipeline.main(["--handdrawn-packages", "open-peeps,lorelei",
                       "--out", str(tmp_path / "out"), "--data-only"])
    assert "--handdrawn-packages takes" in capsys.readouterr().err and not calls
