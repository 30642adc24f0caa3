from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture()
def pipeline():
    pytest.importorskip("torch", reason="the verifier's training needs torch (pip install torch)")
    from training.gaps import pipeline

    return pipeline


def _cache(folder: Path) -> None:
    """Rows of five keys, aaaa written first and eeee last, two sets each, and a file that is
    no rows."""
    for age, key in enumerate(["aaaa", "bbbb", "cccc", "dddd", "eeee"]):
        for name in ("black", "sources-handdrawn-4-x"):
            path = folder / f"rows-{key}-{name}.npz"
            path.write_bytes(b"x")
            os.utime(path, (1000.0 + age, 1000.0 + age))
    (folder / "notes.txt").write_text("kept")


def test_the_rows_cache_keeps_this_runs_key_and_the_newest_others(pipeline, tmp_path: Path
                                                                   ) -> None:
    _cache(tmp_path)
    removed = pipeline.prune_rows_cache(tmp_path, "aaaa", 3)
    assert {p.name.split("-")[1] for p in removed} == {"bbbb", "cccc"}
    left = {p.name.split("-")[1] for p in tmp_path.glob("rows-*.npz")}
    assert left == {"aaaa", "dddd", "eeee"}  # this run's key, however old, and the 2 newest
    assert len(list(tmp_path.glob("rows-*.npz"))) == 6 and (tmp_path / "notes.txt").exists()


def test_keep_zero_keeps_the_whole_rows_cache(pipeline, tmp_path: Path) -> None:
    _cache(tmp_path)
    assert pipeline.prune_rows_cache(tmp_path, "eeee", 0) == []
    assert len(list(tmp_path.glob("rows-*.npz"))) == 10
    with pytest.raises(SystemExit):
        pipeline.main(["--rows-cache-keep", "x"])
