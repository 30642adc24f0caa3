from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from krita_linerefiner.core import models
from krita_linerefiner.core.errors import CancelledError, LineRefinerError
from krita_linerefiner.core.flats import FlatsParams
from krita_linerefiner.core.gaps import GapParams, close_gaps
from krita_linerefiner.core.pipeline import (
    STEP_ORDER,
    Sessions,
    Steps,
    open_sessions,
    progress_slices,
    run_pipeline,
)
from krita_linerefiner.core.post import smooth, tone_curve
from krita_linerefiner.core.refine import RefineParams
from krita_linerefiner.core.tiling import TileSpec
from tests.core.test_gaps import ClosingModel, square_with_gap


class Doubling:
    """Stands in for the refine network: min(2 * ink, 1), so a test can tell it ran."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, tile: np.ndarray) -> np.ndarray:
        self.calls += 1
        return np.minimum(tile * 2, 1).astype(np.float32)

    def tile_spec(self, size: int = 512) -> TileSpec:
        return TileSpec(size=size, overlap=16, multiple=1)


def jagged_drawing() -> np.ndarray:
    """Grey, aliased lines (so the refine stand-in, smoothing and the curve all change them)
    around a box with a 3 px gap."""
    ink = square_with_gap(3, size=96) * np.float32(0.45)
    cv2.line(ink, (20, 70), (75, 52), 0.45, 2)
    cv2.circle(ink, (50, 45), 14, 0.45, 1)
    return ink


def test_steps_run_in_one_order_whatever_is_on() -> None:
    everything = Steps(RefineParams(), 0.5, "bold", GapParams(), FlatsParams())
    assert everything.names == STEP_ORDER == ("refine", "smooth", "curve", "close", "flats")
    assert Steps(curve="thin", smooth=0.2).names == ("smooth", "curve")
    assert Steps(gaps=GapParams()).names == ("close",)


def test_the_curve_acts_on_the_smoothed_lines_and_gaps_close_in_what_it_shows() -> None:
    # The plugin's layers: "refined lines" (model output), a smoothing layer made from it, and
    # the line weight curve as a filter mask on top, so the curve comes last.
    ink = jagged_drawing()
    steps = Steps(RefineParams(tile=96), 0.6, "bold", GapParams(tile=96))
    stages = run_pipeline(ink, steps, sessions=Sessions(Doubling(), ClosingModel(7)))
    refined = np.minimum(ink * 2, 1)
    assert stages.refined is not None and stages.smoothed is not None
    np.testing.assert_allclose(stages.refined, refined, atol=1e-6)
    np.testing.assert_allclose(stages.smoothed, smooth(refined, 0.6), atol=1e-6)
    np.testing.assert_allclose(stages.lines, tone_curve(smooth(refined, 0.6), "bold"), atol=1e-6)
    # the other order differs visibly, so the test can tell them apart
    assert np.abs(smooth(tone_curve(refined, "bold"), 0.6) - stages.lines).max() > 0.2
    assert stages.gaps is not None
    direct = close_gaps(stages.lines, GapParams(tile=96), session=ClosingModel(7))
    np.testing.assert_array_equal(stages.gaps.gaps, direct.gaps)
    assert stages.gaps.count >= 1


@pytest.mark.parametrize("steps", [
    Steps(RefineParams(tile=96), 0.6, "bold", GapParams(tile=96), FlatsParams()),
    Steps(gaps=GapParams(tile=96), flats=FlatsParams()),
    Steps(flats=FlatsParams()),
])
def test_the_input_is_never_changed(steps: Steps) -> None:
    ink = jagged_drawing()
    before = ink.copy()
    run_pipeline(ink, steps, sessions=Sessions(Doubling(), ClosingModel(7)))
    np.testing.assert_array_equal(ink, before)


def test_flats_fill_between_the_lines_and_their_closures() -> None:
    ink = square_with_gap(4, size=64)
    inside = np.zeros(ink.shape, bool)
    inside[14:50, 14:50] = True
    flats_only = run_pipeline(ink, Steps(flats=FlatsParams()))
    assert flats_only.flats is not None and flats_only.flats.regions == 0  # leaks outside
    closed = run_pipeline(ink, Steps(gaps=GapParams(tile=64), flats=FlatsParams()),
                          sessions=Sessions(gaps=ClosingModel(7)))
    assert closed.flats is not None and closed.flats.regions == 1
    assert (closed.flats.rgba[..., 3][inside] == 255).all()
    assert (closed.flats.rgba[:8, :, 3] == 0).all()


def test_earlier_flats_lend_their_colours() -> None:
    ink = square_with_gap(0, size=64)
    steps = Steps(flats=FlatsParams())
    first = run_pipeline(ink, steps).flats
    assert first is not None
    painted = first.rgba.copy()
    painted[first.rgba[..., 3] == 255] = (10, 200, 30, 255)
    again = run_pipeline(ink, steps, previous_flats=painted).flats
    assert again is not None
    np.testing.assert_array_equal(again.rgba, painted)


def test_progress_is_one_bar_split_by_step() -> None:
    ink = jagged_drawing()
    seen: list[float] = []
    steps = Steps(RefineParams(tile=96), 0.3, "thin", GapParams(tile=96), FlatsParams())
    run_pipeline(ink, steps, sessions=Sessions(Doubling(), ClosingModel(7)),
                 progress=seen.append)
    assert seen == sorted(seen) and seen[0] >= 0.0 and seen[-1] == 1.0
    spy: list[float] = []
    parts = progress_slices(("refine", "close"), spy.append)
    parts["refine"](1.0)
    parts["close"](0.0)
    parts["close"](2.0)  # clamped to the step's end
    assert spy == [0.5, 0.5, 1.0]


def test_cancel_stops_between_steps() -> None:
    ink = jagged_drawing()
    refine_model, gap_model = Doubling(), ClosingModel(7)
    done: list[float] = []

    def cancel() -> bool:
        return bool(done) and done[-1] >= 0.5  # once the refine step is over

    with pytest.raises(CancelledError):
        run_pipeline(ink, Steps(RefineParams(tile=96), gaps=GapParams(tile=96)),
                     sessions=Sessions(refine_model, gap_model), progress=done.append,
                     cancel=cancel)
    assert refine_model.calls > 0 and gap_model.calls == 0


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"smooth": 1.5}, "Smoothing must be between 0 and 1"),
    ({"curve": "wobbly"}, "Unknown line weight curve"),
])
def test_bad_steps_say_what_is_wrong(kwargs: dict, words: str) -> None:
    with pytest.raises(LineRefinerError, match=words):
        Steps(**kwargs)


@pytest.fixture
def installed(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LINEREFINER_MODELS", str(tiny_model_dir))
    return tiny_model_dir


def test_open_sessions_opens_only_what_the_steps_need(installed: Path) -> None:
    assert open_sessions(Steps(smooth=0.5, flats=FlatsParams())) == Sessions()
    assert open_sessions(Steps(RefineParams(strength=0.0))).refine is None
    sessions = open_sessions(Steps(RefineParams(), gaps=GapParams()), threads=1, use_gpu=False)
    assert isinstance(sessions.refine, models.ModelSession)
    # No verifier installed: the dense gap model closes the gaps on its own.
    assert isinstance(sessions.gaps, models.ModelSession) and sessions.scorer is None
