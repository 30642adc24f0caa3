"""Fill Flats as the plugin runs it, without Krita: layer bytes in, flats patches out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from krita_linerefiner.core.ink import PixelFormat, pixels_from_ink
from krita_linerefiner.plugin.layers import (
    FLATS_LAYER,
    GAPS_LAYER,
    Rect,
    SourceImage,
    pixels_to_rgba,
    rgba_to_pixels,
)
from krita_linerefiner.plugin.pipeline import Job, compute
from krita_linerefiner.plugin.settings import GAP_COLORS, Settings
from tests.e2e.test_krita_flats import SEEDS, draw, region
from tests.model_fixtures import write_model_dir

U8 = PixelFormat("RGBA", "U8")
ORIGIN = (40, 30)


@pytest.fixture
def closing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(write_model_dir(tmp_path / "models")))


def source_of(ink: np.ndarray, paper: str = "white") -> SourceImage:
    h, w = ink.shape
    data = np.frombuffer(pixels_from_ink(ink, U8, paper=paper), np.uint8)
    return SourceImage(data, Rect(*ORIGIN, w, h), U8, U8, None)


def layer(patches: list, shape: tuple[int, int]) -> np.ndarray:
    """The patches written into a transparent layer over the source rectangle, as RGBA."""
    out = np.zeros((*shape, 4), np.uint8)
    for patch in patches:
        x, y, w, h = patch.rect
        x, y = x - ORIGIN[0], y - ORIGIN[1]
        out[y : y + h, x : x + w] = pixels_to_rgba(patch.data, w, h, U8)
    return out


@pytest.mark.parametrize("depth", ["U8", "U16", "F16", "F32"])
def test_flat_colours_round_trip_through_krita_bytes(depth: str) -> None:
    fmt = PixelFormat("RGBA", depth)
    rgba = np.array([[[255, 0, 0, 255], [12, 130, 250, 255], [0, 0, 0, 0]]], np.uint8)
    data = rgba_to_pixels(rgba, fmt)
    assert len(data) == 3 * fmt.bytes_per_pixel
    assert (pixels_to_rgba(data, 3, 1, fmt) == rgba).all()
    if depth == "U8":  # Krita's 8-bit RGBA layers hold B, G, R, A
        assert data[:4] == bytes([0, 0, 255, 255])


@pytest.mark.usefixtures("closing_model")
def test_flats_fill_each_closed_shape_and_close_gaps_in_the_chosen_colour() -> None:
    ink = draw(gapped=True)
    result = compute(Job("flats", source_of(ink), Settings(gap_color="blue")),
                     lambda _: None, lambda: False)
    assert result.nothing == "" and result.gap_count >= 3 and result.regions == 3
    flats = layer(result.layers[FLATS_LAYER], ink.shape)
    intact = draw(gapped=False)
    found = set()
    for seed in SEEDS.values():
        colours = np.unique(flats[region(intact, seed)], axis=0)
        assert len(colours) == 1 and colours[0][3] == 255
        found.add(tuple(colours[0]))
    assert len(found) == 3
    gaps = layer(result.layers[GAPS_LAYER], ink.shape)
    painted = gaps[..., 3] > 0
    assert painted.any()
    assert (gaps[painted][:, :3] == np.array(GAP_COLORS["blue"]) * 255).all()
    # White paper hides the flats below: the run says so (the controller adds the hint).
    assert result.opaque_source
    on_transparent = compute(Job("flats", source_of(ink, "transparent"), Settings()),
                             lambda _: None, lambda: False)
    assert not on_transparent.opaque_source


@pytest.mark.usefixtures("closing_model")
def test_rerun_keeps_the_colours_of_the_earlier_flats() -> None:
    ink = draw(gapped=True)
    first = compute(Job("flats", source_of(ink), Settings()), lambda _: None, lambda: False)
    previous = layer(first.layers[FLATS_LAYER], ink.shape)
    box = region(draw(gapped=False), SEEDS["box"])
    previous[box] = (10, 200, 30, 255)  # the user recoloured the box
    again = compute(Job("flats", source_of(ink), Settings(), previous), lambda _: None,
                    lambda: False)
    flats = layer(again.layers[FLATS_LAYER], ink.shape)
    assert (flats[box] == (10, 200, 30, 255)).all()
    circle = region(draw(gapped=False), SEEDS["circle"])
    assert (flats[circle] == previous[circle]).all()


@pytest.mark.usefixtures("closing_model")
def test_nothing_to_fill_adds_nothing() -> None:
    ink = np.zeros((120, 160), np.float32)
    ink[60:62, 10:150] = 1.0  # one open stroke: no enclosed region
    result = compute(Job("flats", source_of(ink), Settings()), lambda _: None, lambda: False)
    assert result.regions == 0
    assert result.nothing.startswith("Nothing to fill"), result.nothing
    assert FLATS_LAYER not in result.layers
