"""The live preview's checks beside its re-selection (live.py): the source digest fed a band at
a time, the "filled gaps" check hashed on another thread, and a re-selection that changes
nothing until the checks pass."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from krita_linerefiner.core.flats import FlatsParams
from krita_linerefiner.core.gaps import GapParams
from krita_linerefiner.plugin.layers import LayerCheck, Rect, Written
from krita_linerefiner.plugin.preview import (
    RUN_NEEDED,
    SourceDigest,
    cached,
    commit,
    reselect,
    source_digest,
    update,
    verdict,
)
from krita_linerefiner.plugin.settings import Settings
from tests.e2e.test_krita_flats import draw
from tests.model_fixtures import write_model_dir
from tests.plugin.test_live_preview import params, run, source_of


@pytest.fixture(autouse=True)
def closing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(write_model_dir(tmp_path / "models")))


@pytest.mark.parametrize("selected", [False, True])
@pytest.mark.parametrize("band", [1, 7, 10_000])
def test_a_digest_fed_band_by_band_is_the_sources(selected: bool, band: int) -> None:
    rng = np.random.default_rng(3)
    ink = rng.random((37, 23)).astype(np.float32)
    mask = rng.integers(0, 256, 37 * 23, dtype=np.uint8) if selected else None
    source = source_of(ink, mask.tobytes() if mask is not None else None)
    rect, pixels = source.rect, np.asarray(source.pixels)
    fed = SourceDigest(rect, source.fmt, source.result_fmt, selected)
    bpp = source.fmt.bytes_per_pixel
    for y in range(0, rect.h, band):
        lo, hi = y * rect.w, min(rect.h, y + band) * rect.w
        fed.feed(pixels[lo * bpp : hi * bpp], mask[lo:hi] if mask is not None else None)
    assert fed.digest() == source_digest(source)
    other = SourceDigest(rect, source.fmt, source.result_fmt, selected)
    changed = pixels.copy()
    changed[5] ^= 1
    other.feed(changed, mask)
    assert other.digest() != source_digest(source)


class Layer:
    """A layer as LayerCheck reads it: bounds and pixelData over (H, W*4) bytes."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data

    def bounds(self) -> SimpleNamespace:
        h, w = self.data.shape[0], self.data.shape[1] // 4
        return SimpleNamespace(x=lambda: 0, y=lambda: 0, width=lambda: w, height=lambda: h)

    def pixelData(self, x: int, y: int, w: int, h: int) -> bytes:  # noqa: N802 (Krita's)
        return self.data[y : y + h, 4 * x : 4 * (x + w)].tobytes()

    def animated(self) -> bool:
        return False


@pytest.mark.parametrize("painted", [False, True])
def test_a_layer_check_hashed_on_another_thread_agrees_with_one_on_this(painted: bool) -> None:
    data = np.random.default_rng(5).integers(0, 256, (1500, 4 * 900), dtype=np.uint8)
    written = Written(Rect(0, 0, 900, 1500), hashlib.sha256(data.tobytes()).hexdigest())
    if painted:
        data = data.copy()
        data[1499, 7] ^= 255  # the last band: the answer must wait for its hash
    here = LayerCheck(Layer(data), written)
    with ThreadPoolExecutor(max_workers=1) as hasher:
        there = LayerCheck(Layer(data), written, hashing=hasher)
        while not there.done:
            there.step()
        answer = hasher.submit(there.result).result()
    while not here.done:
        here.step()
    assert answer == here.touched == painted


def test_reselecting_changes_nothing_until_committed_and_a_stale_source_is_refused() -> None:
    settings = Settings()
    source = source_of(draw(gapped=True))
    _, live, cache = run(source, settings)
    before = live.last
    one = cached(live, cache)
    assert one is not None
    chosen = reselect(live, one, GapParams(max_gap=2), FlatsParams())
    assert live.last is before and chosen[1].status == "done" and chosen[1].patches
    edited = source_of(np.maximum(draw(gapped=True), draw(gapped=False)))
    refused = verdict(live, one, GapParams(max_gap=2), source_digest(edited), False)
    assert refused is not None and (refused.status, refused.message) == ("stale", RUN_NEEDED)
    assert verdict(live, one, GapParams(max_gap=2), source_digest(source), False) is None
    done = commit(live, chosen)
    assert live.last is not None and live.last[0] == chosen[0] and done.patches
    # the one-call form agrees: the same settings again redraw nothing
    again = update(live, cache, source, GapParams(max_gap=2), FlatsParams(), False)
    assert again.status == "done" and again.patches == () and again.digest == done.digest
    back = update(live, cache, source, params(settings), FlatsParams(), False)
    assert back.status == "done" and back.gap_count > 0 and back.digest != done.digest
