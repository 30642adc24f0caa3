"""Animated layers as the plugin handles them, without Krita: one keyframe read with
pixelDataAtTime, the frames' results combined, and an animated result layer checked back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from krita_linerefiner.core.errors import LineRefinerError
from krita_linerefiner.core.frames import frames_digest, plan_frames
from krita_linerefiner.core.ink import PixelFormat, pixels_from_ink
from krita_linerefiner.plugin import layers
from krita_linerefiner.plugin.layers import GAPS_LAYER, LayerCheck, Rect, SourceImage, Written
from krita_linerefiner.plugin.pipeline import Job, combine_frames, compute, layer_digest
from krita_linerefiner.plugin.settings import Settings
from tests.core.test_gaps import square_with_gap
from tests.e2e.test_plugin_without_krita import FakeDoc, FakeLayer, FakeRect
from tests.model_fixtures import write_model_dir

U8 = PixelFormat("RGBA", "U8")
W, H = 96, 72


class FakeAnimatedLayer(FakeLayer):
    """A paint layer with keyframes: time -> (H, W, 4) pixels at the origin."""

    def __init__(self, frames: dict[int, np.ndarray], now: int) -> None:
        super().__init__(frames[now], (0, 0))
        self.frames = frames

    def animated(self) -> bool:
        return True

    def hasKeyframeAtTime(self, time: int) -> bool:  # noqa: N802 (Krita's name)
        return time in self.frames

    def pixelDataAtTime(self, x: int, y: int, w: int, h: int,  # noqa: N802
                        time: int) -> bytes:
        if time not in self.frames:
            return b""  # as Krita 5.1.5 answers without a keyframe at `time`
        return FakeLayer(self.frames[time], (0, 0)).pixelData(x, y, w, h)


class FakeAnimatedDoc(FakeDoc):
    def __init__(self) -> None:
        super().__init__(W, H, None)

    def fullClipRangeEndTime(self) -> int:  # noqa: N802
        return 20

    def playBackEndTime(self) -> int:  # noqa: N802
        return 20

    def animationLength(self) -> int:  # noqa: N802
        return 21


def frame(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (H, W, 4), dtype=np.uint8)


def test_a_keyframe_is_read_over_the_canvas_at_its_time_not_the_frame_on_screen() -> None:
    node = FakeAnimatedLayer({0: frame(0), 5: frame(5)}, now=0)
    reader = layers.SourceReader(FakeAnimatedDoc(), node, time=5)
    while not reader.step(1.0):
        pass
    source = reader.source()
    assert source.rect == Rect(0, 0, W, H)
    assert bytes(source.pixels) == frame(5).tobytes()


def test_a_keyframe_removed_during_the_run_is_an_error_not_empty_pixels() -> None:
    node = FakeAnimatedLayer({0: frame(0)}, now=0)
    reader = layers.SourceReader(FakeAnimatedDoc(), node, time=5)
    with pytest.raises(LineRefinerError, match="frame 5"):
        reader.step(1.0)


@pytest.fixture
def closing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(write_model_dir(tmp_path / "models")))


def source_of(ink: np.ndarray) -> SourceImage:
    data = np.frombuffer(pixels_from_ink(ink, U8, paper="transparent"), np.uint8)
    return SourceImage(data, Rect(0, 0, W, H), U8, U8, None)


@pytest.mark.usefixtures("closing_model")
def test_frames_combine_into_one_result_with_a_keyframe_at_every_source_keyframe() -> None:
    gapped = square_with_gap(size=H, gap=4)
    ink = np.zeros((H, W), np.float32)
    ink[:, :H] = gapped
    blank = np.zeros((H, W), np.float32)
    plan = plan_frames([0, 5, 9, 30], 0, 20)  # 30 is after the range: not processed
    sources = {0: source_of(ink), 5: source_of(blank), 9: source_of(np.roll(ink, 20, 1))}
    results = {t: compute(Job("gaps", s, Settings()), lambda _: None, lambda: False)
               for t, s in sources.items()}
    empty = layer_digest([], sources[0])
    combined, frames = combine_frames(results, plan, empty)
    assert sorted(frames) == [0, 5, 9, 30]
    assert frames[30] == {} and frames[5][GAPS_LAYER] == []  # nothing in the blank frame
    assert frames[0][GAPS_LAYER] and frames[9][GAPS_LAYER]
    assert combined.layers == {GAPS_LAYER: []}
    assert combined.gap_count == results[0].gap_count + results[9].gap_count >= 2
    assert combined.nothing == ""
    want = frames_digest({0: results[0].digests[GAPS_LAYER], 5: empty,
                          9: results[9].digests[GAPS_LAYER], 30: empty})
    assert combined.digests == {GAPS_LAYER: want}


@pytest.mark.usefixtures("closing_model")
def test_frames_add_nothing_only_when_no_frame_adds_anything() -> None:
    blank = source_of(np.zeros((H, W), np.float32))
    results = {t: compute(Job("gaps", blank, Settings()), lambda _: None, lambda: False)
               for t in (0, 5)}
    combined, _ = combine_frames(results, plan_frames([0, 5], 0, 20),
                                 layer_digest([], blank))
    assert combined.nothing.startswith(results[5].nothing.rstrip("."))
    assert combined.nothing.endswith("in any of the 2 keyframes.")


class FakeResultLayer(FakeAnimatedLayer):
    def bounds(self) -> FakeRect:
        return FakeRect(0, 0, W, H)


def sha(data: np.ndarray) -> str:
    return hashlib.sha256(data.tobytes()).hexdigest()


@pytest.mark.parametrize("painted_on", [None, 5])
def test_an_animated_result_counts_as_touched_when_any_keyframe_changed(
        painted_on: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layers, "CHECK_BYTES", W * 4 * 10)  # several bands per keyframe
    written = {t: frame(t) for t in (0, 5, 9)}
    record = Written(Rect(0, 0, W, H), frames_digest({t: sha(f) for t, f in written.items()}))
    now = {t: f.copy() for t, f in written.items()}
    if painted_on is not None:
        now[painted_on][3, 4] = 0
    check = LayerCheck(FakeResultLayer(now, now=0), record, FakeAnimatedDoc())
    assert check.times == [0, 5, 9]
    while not check.done:
        check.step()
    assert check.touched is (painted_on is not None)
