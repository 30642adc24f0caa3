"""The plugin's Krita-free parts (settings, dependency report, the run pipeline), tested without
starting Krita; test_krita.py covers them again inside real Krita."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from krita_linerefiner.core.ink import PixelFormat, ink_from_pixels, pixels_from_ink
from krita_linerefiner.plugin import deps
from krita_linerefiner.plugin import settings as settings_mod
from krita_linerefiner.plugin.layers import (
    GAPS_LAYER,
    REFINED_LAYER,
    SMOOTHED_LAYER,
    Rect,
    SourceImage,
    curve_config_xml,
    curve_template_bytes,
)
from krita_linerefiner.plugin.pipeline import PATCH, Job, compute
from tests.e2e.drawings import drawing, leaks
from tests.model_fixtures import write_model_dir


class Store:
    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})

    def read(self, key: str) -> str | None:
        return self.values.get(key)

    def write(self, key: str, value: str) -> None:
        self.values[key] = value


def test_settings_round_trip() -> None:
    store = Store()
    changed = settings_mod.Settings().with_value("max_gap", 9).with_value("seal_only", True)
    settings_mod.save(store, changed)
    assert store.values["max_gap"] == "9" and store.values["seal_only"] == "true"
    assert settings_mod.load(store) == changed


@pytest.mark.parametrize(("key", "text"), [
    ("max_gap", "abc"), ("max_gap", "0"), ("max_gap", "65"), ("gap_sensitivity", "1.5"),
    ("seal_only", "yes"), ("curve_preset", "wobbly"), ("line_darkness", "0.01"),
    ("line_darkness", "1.5"), ("line_darkness", "dark"),
])
def test_bad_stored_values_fall_back_to_defaults(key: str, text: str) -> None:
    loaded = settings_mod.load(Store({key: text, "smooth_amount": "0.7"}))
    assert getattr(loaded, key) == settings_mod.BY_NAME[key].default
    assert loaded.smooth_amount == 0.7  # the good value next to it survives


def test_line_darkness_is_auto_or_a_level_and_stored_as_auto() -> None:
    store = Store()
    settings_mod.save(store, settings_mod.Settings())
    assert store.values["line_darkness"] == "auto"
    assert settings_mod.load(store).line_darkness == settings_mod.AUTO
    darker = settings_mod.Settings().with_value("line_darkness", 0.2)
    settings_mod.save(store, darker)
    assert store.values["line_darkness"] == "0.2"
    assert settings_mod.load(store).line_darkness == 0.2


def test_settings_reject_out_of_range_edits() -> None:
    with pytest.raises(ValueError):
        settings_mod.Settings().with_value("max_gap", 100)


def test_every_setting_has_a_field_with_the_same_default() -> None:
    defaults = settings_mod.Settings()
    assert {s.name for s in settings_mod.SETTINGS} == set(vars(defaults))
    for setting in settings_mod.SETTINGS:
        assert getattr(defaults, setting.name) == setting.default


def test_docker_defaults_match_the_core_defaults() -> None:
    # The plugin declares its defaults without importing core (which needs numpy), so this
    # keeps the two copies from drifting apart.
    from krita_linerefiner.core.gaps import GapParams
    from krita_linerefiner.core.refine import RefineParams

    docker, gaps, refine = settings_mod.Settings(), GapParams(), RefineParams()
    assert (docker.gap_sensitivity, docker.max_gap, docker.seal_only, docker.dense) == (
        gaps.sensitivity,
        gaps.max_gap,
        gaps.seal_only,
        gaps.dense,
    )
    assert docker.refine_strength == refine.strength
    assert docker.line_darkness == settings_mod.AUTO and gaps.line_darkness is None


def test_missing_packages_are_named_with_the_fixing_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deps, "REQUIRED", (("numpy", "numpy"), ("no_such_mod_x", "no-such-pkg")))
    deps.missing.cache_clear()
    try:
        problems = deps.missing()
        message = deps.report(problems)
    finally:
        deps.missing.cache_clear()
    assert [p.module for p in problems] == ["no_such_mod_x"]
    assert "no-such-pkg" in message and "numpy (numpy" not in message
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"--python-version {version}" in message
    assert f"--target {deps.VENDOR_DIR}" in message and "install.py" in message
    # The command installs the whole locked set (tests/plugin/test_deps.py checks it).
    assert "numpy==" in message and "onnxruntime==" in message


def test_vendor_dir_goes_after_krita_paths_once(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = list(sys.path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    deps.add_vendor_dir(tmp_path)
    deps.add_vendor_dir(tmp_path)
    assert sys.path == [*before, str(tmp_path)]


@pytest.mark.parametrize(("a", "b", "want"), [
    (Rect(0, 0, 10, 10), Rect(5, 5, 10, 10), Rect(5, 5, 5, 5)),
    (Rect(0, 0, 10, 10), Rect(20, 0, 5, 5), Rect(20, 0, 0, 5)),
    (Rect(-5, -5, 10, 10), Rect(0, 0, 100, 100), Rect(0, 0, 5, 5)),
])
def test_rect_intersection(a: Rect, b: Rect, want: Rect) -> None:
    assert a.intersect(b) == want
    assert a.intersect(b).empty == (want.w == 0 or want.h == 0)


def test_rect_padding_and_union() -> None:
    assert Rect(10, 20, 5, 5).padded(3) == Rect(7, 17, 11, 11)
    assert Rect(0, 0, 10, 10).union(Rect(-5, 5, 10, 10)) == Rect(-5, 0, 15, 15)


def source_for(ink: np.ndarray, fmt: PixelFormat, origin: tuple[int, int],
               selection: bytes | None = None) -> SourceImage:
    h, w = ink.shape
    return SourceImage(pixels_from_ink(ink, fmt, paper="white"), Rect(*origin, w, h), fmt, fmt,
                       selection)


def assemble(patches: list, rect: Rect, fmt: PixelFormat) -> np.ndarray:
    out = np.zeros((rect.h, rect.w), np.float32)
    for patch in patches:
        r = patch.rect
        out[r.y - rect.y : r.y - rect.y + r.h, r.x - rect.x : r.x - rect.x + r.w] = (
            ink_from_pixels(patch.data, r.w, r.h, fmt))
    return out


@pytest.fixture
def closing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(write_model_dir(tmp_path / "models")))


@pytest.mark.usefixtures("closing_model")
def test_compute_closes_gaps_in_patches_at_the_layer_offset() -> None:
    d = drawing(size=600)
    fmt = PixelFormat("RGBA", "U16")
    source = source_for(d.gapped, fmt, (30, -7))
    done: list[float] = []
    result = compute(Job("gaps", source, settings_mod.Settings()), done.append, lambda: False)
    patches = result.layers[GAPS_LAYER]
    assert result.gap_count >= 3 and done[-1] == 1.0
    # Only patches with something in them, all inside the source rectangle, on the patch grid.
    assert 0 < len(patches) < (-(-600 // PATCH)) ** 2
    for patch in patches:
        assert patch.rect.intersect(source.rect) == patch.rect
        assert (patch.rect.x - 30) % PATCH == 0 and (patch.rect.y + 7) % PATCH == 0
        assert len(patch.data) == patch.rect.w * patch.rect.h * fmt.bytes_per_pixel
    gaps = assemble(patches, source.rect, fmt)
    assert leaks(np.maximum(d.gapped, gaps), d) == [False, False, False]


@pytest.mark.usefixtures("closing_model")
def test_compute_keeps_results_inside_the_selection() -> None:
    d = drawing()
    fmt = PixelFormat("RGBA", "U8")
    mask = np.zeros(d.gapped.shape, np.uint8)
    mask[:, :128] = 255
    source = source_for(d.gapped, fmt, (0, 0), mask.tobytes())
    result = compute(Job("gaps", source, settings_mod.Settings()), lambda _: None, lambda: False)
    gaps = assemble(result.layers[GAPS_LAYER], source.rect, fmt)
    assert gaps[:, :128].max() > 0.5 and gaps[:, 128:].max() == 0


@pytest.mark.usefixtures("closing_model")
def test_compute_stops_when_cancelled() -> None:
    from krita_linerefiner.core.errors import CancelledError

    d = drawing()
    source = source_for(d.gapped, PixelFormat("GRAYA", "F32"), (0, 0))
    with pytest.raises(CancelledError):
        compute(Job("gaps", source, settings_mod.Settings()), lambda _: None, lambda: True)


@pytest.mark.usefixtures("closing_model")
def test_compute_digest_is_the_layer_bytes_over_the_source_rectangle() -> None:
    """What a rerun compares a result layer against: the bytes Krita's pixelData returns over
    the source rectangle once the patches are written into an empty layer."""
    import hashlib

    d = drawing(size=600)
    fmt = PixelFormat("RGBA", "U8")
    source = source_for(d.gapped, fmt, (30, -7))
    result = compute(Job("gaps", source, settings_mod.Settings()), lambda _: None, lambda: False)
    rect = source.rect
    layer = np.zeros((rect.h, rect.w, fmt.bytes_per_pixel), np.uint8)
    for patch in result.layers[GAPS_LAYER]:
        r = patch.rect
        layer[r.y - rect.y : r.y - rect.y + r.h, r.x - rect.x : r.x - rect.x + r.w] = (
            np.frombuffer(patch.data, np.uint8).reshape(r.h, r.w, -1))
    assert layer[..., 3].any()
    assert result.digests[GAPS_LAYER] == hashlib.sha256(layer.tobytes()).hexdigest()
    # One painted pixel changes it.
    layer[5, 5] = [0, 0, 255, 255]
    assert result.digests[GAPS_LAYER] != hashlib.sha256(layer.tobytes()).hexdigest()
    assert result.nothing == ""


@pytest.mark.usefixtures("closing_model")
def test_compute_passes_the_docker_line_darkness_to_gap_closing() -> None:
    d = drawing()
    source = source_for(0.2 * d.gapped, PixelFormat("RGBA", "U8"), (0, 0))
    measured = compute(Job("gaps", source, settings_mod.Settings()), lambda _: None,
                       lambda: False)
    gaps = assemble(measured.layers[GAPS_LAYER], source.rect, source.fmt)
    assert leaks(np.maximum(d.gapped, gaps), d) == [False, False, False]
    # Lines 20% dark are under half of a 90% line darkness: no lines, nothing added.
    dark = settings_mod.Settings().with_value("line_darkness", 0.9)
    set_dark = compute(Job("gaps", source, dark), lambda _: None, lambda: False)
    assert not any(set_dark.layers.values())
    assert set_dark.nothing.startswith("Nothing added: no lines found")


@pytest.mark.usefixtures("closing_model")
def test_a_blank_layer_adds_nothing_and_says_no_lines_were_found() -> None:
    fmt = PixelFormat("RGBA", "U8")
    source = source_for(np.zeros((300, 200), np.float32), fmt, (0, 0))
    result = compute(Job("gaps", source, settings_mod.Settings()), lambda _: None, lambda: False)
    assert not any(result.layers.values())
    assert result.nothing == "Nothing added: no lines found: the darkest ink is 0%."


@pytest.mark.usefixtures("closing_model")
def test_lines_without_gaps_add_nothing_and_say_so() -> None:
    d = drawing()
    fmt = PixelFormat("RGBA", "U8")
    source = source_for(d.intact, fmt, (0, 0))
    result = compute(Job("gaps", source, settings_mod.Settings()), lambda _: None, lambda: False)
    assert result.gap_count == 0 and not any(result.layers.values())
    assert result.nothing == "0 gaps closed: nothing added."


@pytest.mark.parametrize(("darkest", "percent"), [
    (0.0, 0), (0.2, 20), (0.499, 49), (0.5, 50), (1.0, 100), (1.5, 100),
])
def test_darkest_ink_is_a_whole_percent_rounded_down(darkest: float, percent: int) -> None:
    from krita_linerefiner.core.ink import darkest_ink_percent, no_lines_message

    ink = np.zeros((20, 30), np.float32)
    ink[3, 4] = darkest
    assert darkest_ink_percent(ink) == percent
    assert no_lines_message(ink) == f"no lines found: the darkest ink is {percent}%"


@pytest.fixture
def identity_refine_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e.test_krita import identity_model

    models = write_model_dir(tmp_path / "models")
    write_model_dir(models, "refine", identity_model())
    monkeypatch.setenv("LINEREFINER_MODELS", str(models))


@pytest.mark.usefixtures("identity_refine_model")
@pytest.mark.parametrize(("curve", "smooth"), [(False, False), (True, False), (True, True)])
def test_refined_lines_are_neither_curved_nor_smoothed(curve: bool, smooth: bool) -> None:
    d = drawing()
    fmt = PixelFormat("RGBA", "U8")
    source = source_for(d.gapped, fmt, (0, 0))
    settings = settings_mod.Settings(curve_enabled=curve, curve_preset="bold",
                                     smooth_enabled=smooth)
    result = compute(Job("refine_gaps", source, settings), lambda _: None, lambda: False)
    refined = assemble(result.layers[REFINED_LAYER], source.rect, fmt)
    # The stand-in refine model is the identity: the layer holds the model's output as is.
    np.testing.assert_allclose(refined, d.gapped, atol=1 / 255)
    assert result.curve == ("bold" if curve else None)  # the curve becomes a filter mask
    assert (SMOOTHED_LAYER in result.layers) == smooth
    if smooth:
        smoothed = assemble(result.layers[SMOOTHED_LAYER], source.rect, fmt)
        assert np.abs(smoothed - refined).max() > 0.1
    assert result.gap_count >= 3


@pytest.mark.parametrize(("model", "count", "alpha"), [("RGBA", 8, 4), ("GRAYA", 2, 1)])
def test_curve_config_puts_the_curve_on_the_alpha_channel(model: str, count: int,
                                                          alpha: int) -> None:
    xml = curve_config_xml(model, "0,0;0.5,0.9;1,1;")
    assert f'<param name="nTransfers">{count}</param>' in xml
    assert f'<param name="curve{alpha}">0,0;0.5,0.9;1,1;</param>' in xml
    assert xml.count("0,0;1,1;") == count - 1


def test_curve_template_has_one_mask_per_model_and_preset() -> None:
    import io
    import re
    import zipfile

    with zipfile.ZipFile(io.BytesIO(curve_template_bytes())) as kra:
        maindoc = kra.read("maindoc.xml").decode()
        masks = re.findall(r"<mask [^>]*/>", maindoc)
        names = sorted(re.search(r' name="([^"]*)"', m).group(1) for m in masks)  # type: ignore[union-attr]
        assert names == sorted(f"{m} {p}" for m in ("RGBA", "GRAYA")
                               for p in ("thin", "normal", "bold"))
        for mask in masks:
            assert 'filtername="perchannel"' in mask
            stem = re.search(r' filename="([^"]*)"', mask).group(1)  # type: ignore[union-attr]
            config = next(n for n in kra.namelist() if n.endswith(f"/{stem}.filterconfig"))
            assert "nTransfers" in kra.read(config).decode()


class FakeRect:
    def __init__(self, x: int, y: int, w: int, h: int) -> None:
        self._r = (x, y, w, h)

    def x(self) -> int:
        return self._r[0]

    def y(self) -> int:
        return self._r[1]

    def width(self) -> int:
        return self._r[2]

    def height(self) -> int:
        return self._r[3]


class FakePixels:
    """A layer or selection as Krita's API shows it: pixelData over any rectangle."""

    def __init__(self, pixels: np.ndarray, origin: tuple[int, int]) -> None:
        self.pixels = pixels  # (H, W, bytes per pixel) uint8 at `origin`
        self.origin = origin

    def pixelData(self, x: int, y: int, w: int, h: int) -> bytes:  # noqa: N802 (Krita's name)
        out = np.zeros((h, w, self.pixels.shape[2]), np.uint8)
        ox, oy = self.origin
        H, W = self.pixels.shape[:2]  # noqa: N806
        x0, y0 = max(x, ox), max(y, oy)
        x1, y1 = min(x + w, ox + W), min(y + h, oy + H)
        if x0 < x1 and y0 < y1:
            out[y0 - y : y1 - y, x0 - x : x1 - x] = self.pixels[y0 - oy : y1 - oy,
                                                                x0 - ox : x1 - ox]
        return out.tobytes()


class FakeLayer(FakePixels):
    def type(self) -> str:
        return "paintlayer"

    def colorModel(self) -> str:  # noqa: N802
        return "RGBA"

    def colorDepth(self) -> str:  # noqa: N802
        return "U8"

    def bounds(self) -> FakeRect:
        return FakeRect(*self.origin, self.pixels.shape[1], self.pixels.shape[0])


class FakeSelection(FakePixels):
    def x(self) -> int:
        return self.origin[0]

    def y(self) -> int:
        return self.origin[1]

    def width(self) -> int:
        return self.pixels.shape[1]

    def height(self) -> int:
        return self.pixels.shape[0]


class FakeDoc:
    def __init__(self, w: int, h: int, selection: FakeSelection | None) -> None:
        self.w, self.h, self.sel = w, h, selection

    def width(self) -> int:
        return self.w

    def height(self) -> int:
        return self.h

    def selection(self) -> FakeSelection | None:
        return self.sel

    def colorModel(self) -> str:  # noqa: N802
        return "RGBA"

    def colorDepth(self) -> str:  # noqa: N802
        return "U8"


@pytest.mark.parametrize("with_selection", [False, True])
def test_source_is_read_in_bands_and_comes_out_whole(with_selection: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from krita_linerefiner.plugin import layers

    monkeypatch.setattr(layers, "CHECK_BYTES", 4 * 300 * 7)  # 7 rows of 300 px per band
    rng = np.random.default_rng(1)
    layer = FakeLayer(rng.integers(0, 256, (180, 300, 4), dtype=np.uint8), (40, 30))
    selection = (FakeSelection(rng.integers(0, 256, (100, 120, 1), dtype=np.uint8), (60, 50))
                 if with_selection else None)
    reader = layers.SourceReader(FakeDoc(500, 400, selection), layer)
    steps = 1
    while not reader.step(0.0):  # a zero budget still reads one band per step
        steps += 1
    source = reader.source()
    rect = source.rect
    want = Rect(60, 50, 120, 100) if with_selection else layers.Rect(0, 0, 404, 274)
    assert rect == want
    band = (4 * 300 * 7) // (rect.w * 4)
    assert steps == -(-rect.h // band) > 1
    assert bytes(source.pixels) == layer.pixelData(*rect)
    if with_selection:
        assert selection is not None and source.selection is not None
        assert bytes(source.selection) == selection.pixelData(*rect)
    else:
        assert source.selection is None
