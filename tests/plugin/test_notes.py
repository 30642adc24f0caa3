"""A run whose verifier scores unfused (onnxruntime computing its fused 8-bit layers wrongly on
this CPU) still closes the gaps, and its result says so for the docker's done message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from krita_linerefiner.core import models as core_models
from krita_linerefiner.plugin.pipeline import Job, compute
from krita_linerefiner.plugin.settings import Settings
from tests.model_fixtures import write_model_dir
from tests.plugin.test_live_preview import source_of


@pytest.fixture(autouse=True)
def closing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LINEREFINER_MODELS", str(write_model_dir(tmp_path / "models")))
    core_models.clear_session_cache()
    yield
    core_models.clear_session_cache()


def broken_box() -> np.ndarray:
    ink = np.zeros((64, 64), np.float32)
    ink[10:12, 10:54] = ink[52:54, 10:54] = 1.0
    ink[10:54, 10:12] = ink[10:54, 52:54] = 1.0
    ink[52:54, 30:33] = 0.0  # a 3 px break in the bottom edge
    return ink


@pytest.mark.parametrize("wrong", [False, True])
def test_a_run_scoring_unfused_carries_the_reason(wrong: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if wrong:
        def wrong_here(self, unfused) -> bool:  # as onnxruntime 1.23 on an AVX-512 VNNI CPU
            self.unfused_reason = "onnxruntime X computes this model's fused 8-bit layers wrongly"
            return True

        monkeypatch.setattr(core_models.ScorerSession, "use_unfused_if_wrong", wrong_here)
    result = compute(Job("gaps", source_of(broken_box()), Settings()), lambda _: None,
                     lambda: False)
    assert result.gap_count == 1
    if wrong:
        assert result.note.startswith("onnxruntime X computes")
    else:
        assert result.note == ""
