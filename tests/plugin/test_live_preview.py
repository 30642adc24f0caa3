"""The live preview's work without Krita: a run's seed, then slider moves re-select closures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from krita_linerefiner.core.flats import FlatsParams, fill_flats
from krita_linerefiner.core.gaps import GapParams
from krita_linerefiner.core.ink import PixelFormat, pixels_from_ink
from krita_linerefiner.core.preview import PreviewCache, PreviewKey
from krita_linerefiner.plugin.layers import GAPS_LAYER, Rect, SourceImage
from krita_linerefiner.plugin.pipeline import Computed, Job, compute
from krita_linerefiner.plugin.preview import RUN_NEEDED, TOUCHED, Live, update
from krita_linerefiner.plugin.settings import GAP_COLORS, Settings
from tests.e2e.test_krita_flats import draw
from tests.model_fixtures import write_model_dir

U8 = PixelFormat("RGBA", "U8")
ORIGIN = (40, 30)
SOURCE_ID = "source-layer"


@pytest.fixture(autouse=True)
def closing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(write_model_dir(tmp_path / "models")))


def source_of(ink: np.ndarray, selection: bytes | None = None) -> SourceImage:
    h, w = ink.shape
    data = np.frombuffer(pixels_from_ink(ink, U8, paper="white"), np.uint8)
    return SourceImage(data, Rect(*ORIGIN, w, h), U8, U8, selection)


def run(source: SourceImage, settings: Settings) -> tuple[Computed, Live, PreviewCache]:
    """A Close Gaps run, and what the controller keeps of it for previews."""
    result = compute(Job("gaps", source, settings), lambda _: None, lambda: False)
    seed = result.seed
    assert seed is not None
    cache = PreviewCache()
    cache.put(PreviewKey(SOURCE_ID, seed.digest), seed.analysis, seed.reach)
    selection = None
    if source.selection is not None:
        selection = (np.frombuffer(source.selection, np.uint8).reshape(seed.shown.shape)
                     / np.float32(255))
    live = Live("doc", SOURCE_ID, "gaps-layer", source.rect, U8,
                GAP_COLORS[settings.gap_color], selection, seed.shown, digest=seed.digest)
    return result, live, cache


def krita_layer(patches, rect: Rect) -> np.ndarray:
    """A new transparent layer's bytes over `rect` with `patches` written in (H, W*4)."""
    out = np.zeros((rect.h, rect.w * 4), np.uint8)
    write(out, patches, rect)
    return out


def write(layer: np.ndarray, patches, rect: Rect) -> None:
    for patch in patches:
        x, y, w, h = patch.rect
        x, y = x - rect.x, y - rect.y
        layer[y : y + h, 4 * x : 4 * (x + w)] = np.frombuffer(patch.data, np.uint8).reshape(
            h, 4 * w)


def alpha_count(layer: np.ndarray) -> int:
    return int((layer.reshape(layer.shape[0], -1, 4)[..., 3] > 0).sum())


def params(settings: Settings) -> GapParams:
    return GapParams(sensitivity=settings.gap_sensitivity, max_gap=settings.max_gap)


def test_a_run_reports_regions_before_and_after_closing() -> None:
    ink = draw(gapped=True)
    result = compute(Job("gaps", source_of(ink), Settings()), lambda _: None, lambda: False)
    assert result.counts is not None and result.gap_count >= 3
    # three shapes, each open by one gap: no enclosed region before, three after
    assert (result.counts.before, result.counts.after) == (0, 3)
    assert fill_flats(ink, None).regions == 0


def test_preview_at_the_run_settings_changes_nothing_and_matches_the_record() -> None:
    settings = Settings()
    result, live, cache = run(source_of(draw(gapped=True)), settings)
    got = update(live, cache, source_of(draw(gapped=True)), params(settings), FlatsParams(),
                 layer_touched=False)
    assert got.status == "done", got.message
    assert got.patches == ()
    # The digest the run recorded for "filled gaps" (issue 11) is the preview's for the layer.
    assert got.digest == result.digests[GAPS_LAYER]
    assert got.gap_count == result.gap_count
    assert got.counts == result.counts


def test_lowering_max_gap_removes_closures_without_a_model(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    settings = Settings()
    source = source_of(draw(gapped=True))
    result, live, cache = run(source, settings)
    layer = krita_layer(result.layers[GAPS_LAYER], source.rect)
    before_px = alpha_count(layer)

    def no_model(*_args, **_kwargs):
        raise AssertionError("a preview opened a model")

    import krita_linerefiner.core.models as models

    monkeypatch.setattr(models, "create_scorer", no_model)
    monkeypatch.setattr(models, "create_session", no_model)
    small = update(live, cache, source, GapParams(max_gap=2), FlatsParams(),
                   layer_touched=False)
    assert small.status == "done", small.message
    assert small.gap_count == 0 and small.patches
    assert small.counts is not None and small.counts.after == small.counts.before == 0
    assert "0 gaps closed" in small.message and "Regions: 0 before, 0 after" in small.message
    write(layer, small.patches, source.rect)
    assert alpha_count(layer) == 0 < before_px
    assert hashlib.sha256(layer.tobytes()).hexdigest() == small.digest
    # Back to the run's max gap: the run's layer again, byte for byte.
    assert small.shown is not None
    live.shown, live.tiles = small.shown, small.tiles
    back = update(live, cache, source, params(settings), FlatsParams(), layer_touched=False)
    write(layer, back.patches, source.rect)
    assert back.digest == result.digests[GAPS_LAYER]
    assert hashlib.sha256(layer.tobytes()).hexdigest() == back.digest
    assert back.counts == result.counts


def test_a_changed_layer_or_a_painted_result_is_left_alone() -> None:
    settings = Settings()
    source = source_of(draw(gapped=True))
    _, live, cache = run(source, settings)
    edited = source_of(draw(gapped=True, edited=True))
    stale = update(live, cache, edited, GapParams(max_gap=2), FlatsParams(), False)
    assert (stale.status, stale.message, stale.patches) == ("stale", RUN_NEEDED, ())
    touched = update(live, cache, source, GapParams(max_gap=2), FlatsParams(), True)
    assert (touched.status, touched.message, touched.patches) == ("touched", TOUCHED, ())


def test_preview_keeps_to_the_selection() -> None:
    ink = draw(gapped=True)
    selected = np.zeros(ink.shape, np.uint8)
    selected[:, : ink.shape[1] // 2] = 255  # the box's half of the drawing
    source = source_of(ink, selected.tobytes())
    result, live, cache = run(source, Settings(max_gap=2))
    assert result.gap_count == 0
    wide = update(live, cache, source, GapParams(max_gap=24), FlatsParams(), False)
    assert wide.status == "done" and wide.patches
    layer = krita_layer(wide.patches, source.rect)
    painted = layer.reshape(ink.shape[0], -1, 4)[..., 3] > 0
    assert painted.any() and not painted[:, ink.shape[1] // 2 :].any()
    assert hashlib.sha256(layer.tobytes()).hexdigest() == wide.digest


def test_a_large_layer_keeps_no_analysis_but_still_counts(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import krita_linerefiner.plugin.preview as preview_mod

    ink = draw(gapped=True)
    monkeypatch.setattr(preview_mod, "PREVIEW_MAX_PIXELS", ink.size - 1)
    result = compute(Job("gaps", source_of(ink), Settings()), lambda _: None, lambda: False)
    assert result.seed is None
    assert result.gap_count >= 3 and result.counts is not None
    assert (result.counts.before, result.counts.after) == (0, 3)
    assert "52 MP" in preview_mod.too_large(Rect(0, 0, 6071, 8598))
    # Without the analysis, a run that closes nothing still knows the layer had lines.
    none = compute(Job("gaps", source_of(ink), Settings(max_gap=2)), lambda _: None,
                   lambda: False)
    assert none.nothing == "0 gaps closed: nothing added.", none.nothing


def test_settings_that_accept_the_same_closures_redraw_nothing() -> None:
    settings = Settings()
    source = source_of(draw(gapped=True))
    _, live, cache = run(source, settings)
    first = update(live, cache, source, GapParams(max_gap=1), FlatsParams(), False)
    assert first.patches
    # Max gap 2 (2.7 px along a stroke) accepts the same (no) candidate for the 4 px gaps:
    # the last result stands.
    again = update(live, cache, source, GapParams(max_gap=2), FlatsParams(), False)
    assert again.status == "done" and again.patches == ()
    assert (again.digest, again.counts, again.gap_count) == (first.digest, first.counts, 0)
    # Filling the border changes what is counted, so it is counted again.
    other = update(live, cache, source, GapParams(max_gap=2), FlatsParams(fill_border=True),
                   False)
    assert other.counts is not None and other.counts.after == 1  # the outside
