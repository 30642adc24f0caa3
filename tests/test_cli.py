from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from krita_linerefiner.cli import main
from krita_linerefiner.core.ink import PixelFormat, ink_from_pixels, pixels_from_ink
from krita_linerefiner.core.post import tone_curve
from krita_linerefiner.plugin.layers import (
    GAPS_LAYER,
    REFINED_LAYER,
    SMOOTHED_LAYER,
    Rect,
    SourceImage,
)
from krita_linerefiner.plugin.pipeline import Job, compute
from krita_linerefiner.plugin.settings import Settings
from tests.model_fixtures import doubling_refine_model, write_model_dir


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = write_model_dir(tmp_path / "models")
    monkeypatch.setenv("LINEREFINER_MODELS", str(directory))
    return directory


def imread(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    image = cv2.imread(str(path), flags)
    assert image is not None, f"cannot read {path}"
    return image


def drawing_with_gap(path: Path, size: int = 96) -> None:
    image = np.full((size, size), 255, np.uint8)
    cv2.rectangle(image, (10, 10), (size - 11, size - 11), 0, 2)
    image[8:14, size // 2 - 2 : size // 2 + 2] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)


def regions(binary_ink: np.ndarray) -> int:
    return cv2.connectedComponents((~binary_ink).astype(np.uint8), connectivity=4)[0] - 1


def test_close_gaps_writes_red_gaps_and_closed_lines(models: Path, tmp_path: Path) -> None:
    source = tmp_path / "in" / "frame.png"
    drawing_with_gap(source)
    before = source.read_bytes()
    assert main(["close-gaps", str(source), "-o", str(tmp_path / "out")]) == 0

    gaps = imread(tmp_path / "out" / "frame.gaps.png")
    closed = imread(tmp_path / "out" / "frame.closed.png")
    assert gaps.shape == (96, 96, 4)
    added = gaps[..., 3] > 0
    assert added.any()
    np.testing.assert_array_equal(gaps[added][:, :3], np.tile([0, 0, 255], (int(added.sum()), 1)))
    assert regions(closed < 128) == 2
    assert source.read_bytes() == before


def test_folders_are_walked_recursively_and_mirrored(models: Path, tmp_path: Path) -> None:
    for name in ("cut/a.png", "cut/scene2/b.png"):
        drawing_with_gap(tmp_path / "frames" / name)
    assert main(["close-gaps", str(tmp_path / "frames"), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out/frames/cut/a.gaps.png").is_file()
    assert (tmp_path / "out/frames/cut/scene2/b.closed.png").is_file()


def test_bad_file_fails_but_batch_goes_on(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drawing_with_gap(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "broken.png").write_bytes(b"not a png")
    status = main(["close-gaps", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert status == 1
    assert (tmp_path / "out/in/good.gaps.png").is_file()
    assert "broken.png" in capsys.readouterr().err


def test_refuses_to_overwrite_an_input(models: Path, tmp_path: Path) -> None:
    # An input named like an output of another input in the same folder must survive.
    drawing_with_gap(tmp_path / "x.png")
    decoy = tmp_path / "x.gaps.png"
    decoy.write_bytes(b"keep me")
    status = main(["close-gaps", str(tmp_path / "x.png"), str(decoy), "-o", str(tmp_path)])
    assert status == 1
    assert decoy.read_bytes() == b"keep me"


def test_missing_model_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(tmp_path / "nowhere"))
    drawing_with_gap(tmp_path / "a.png")
    assert main(["close-gaps", str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]) == 1
    assert "error:" in capsys.readouterr().err


@pytest.fixture
def both_models(models: Path) -> Path:
    return write_model_dir(models, "refine", doubling_refine_model())


def grey_drawing(path: Path) -> None:
    drawing_with_gap(path)
    image = imread(path, cv2.IMREAD_GRAYSCALE)
    image[image < 128] = 166  # grey lines: ink 0.35, below the line level until refined
    assert cv2.imwrite(str(path), image)


def ink_of(path: Path) -> np.ndarray:
    return 1.0 - imread(path, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0


def test_refine_writes_refined_lines(both_models: Path, tmp_path: Path) -> None:
    grey_drawing(tmp_path / "a.png")
    assert main(["refine", str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]) == 0
    refined = ink_of(tmp_path / "out" / "a.refined.png")
    assert refined.max() == pytest.approx(0.7, abs=0.01)  # the stand-in model doubles ink
    assert not (tmp_path / "out" / "a.gaps.png").exists()


def test_refine_strength_zero_keeps_the_lines(both_models: Path, tmp_path: Path) -> None:
    grey_drawing(tmp_path / "a.png")
    args = ["refine", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), "--strength", "0"]
    assert main(args) == 0
    np.testing.assert_allclose(
        ink_of(tmp_path / "out/a.refined.png"), ink_of(tmp_path / "a.png"), atol=1 / 255
    )


def test_run_refines_then_closes_gaps_in_the_refined_lines(
    both_models: Path, tmp_path: Path
) -> None:
    grey_drawing(tmp_path / "a.png")
    # Unrefined, the grey lines are below the line level: nothing to close.
    assert main(["close-gaps", str(tmp_path / "a.png"), "-o", str(tmp_path / "plain")]) == 0
    assert regions(ink_of(tmp_path / "plain/a.closed.png") >= 0.5) == 1
    assert main(["run", str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]) == 0
    for suffix in ("refined", "gaps", "closed"):
        assert (tmp_path / "out" / f"a.{suffix}.png").is_file()
    assert regions(ink_of(tmp_path / "out/a.closed.png") >= 0.5) == 2


def test_run_curve_preset_changes_line_weight(both_models: Path, tmp_path: Path) -> None:
    grey_drawing(tmp_path / "a.png")
    inks = {}
    for curve in ("thin", "bold"):
        out = tmp_path / curve
        assert main(["run", str(tmp_path / "a.png"), "-o", str(out), "--curve", curve]) == 0
        inks[curve] = ink_of(out / "a.refined.png").sum()
    assert inks["bold"] > inks["thin"]


def test_run_rejects_a_bad_smoothing_amount(both_models: Path, tmp_path: Path) -> None:
    grey_drawing(tmp_path / "a.png")
    assert main(["run", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--smooth", "3"]) == 1
    assert not (tmp_path / "o").exists()


def inside_of_drawing(size: int = 96) -> np.ndarray:
    inside = np.zeros((size, size), bool)
    inside[14 : size - 14, 14 : size - 14] = True
    return inside


def test_flats_closes_the_gap_and_colours_the_region(models: Path, tmp_path: Path) -> None:
    drawing_with_gap(tmp_path / "in" / "frame.png")
    assert main(["flats", str(tmp_path / "in" / "frame.png"), "-o", str(tmp_path / "out")]) == 0
    flats = imread(tmp_path / "out" / "frame.flats.png")
    assert flats.shape == (96, 96, 4)
    inside = inside_of_drawing()
    assert (flats[..., 3][inside] == 255).all()
    assert len(np.unique(flats[inside].view(np.uint32))) == 1
    assert (flats[:6, :, 3] == 0).all()  # the outside stays transparent
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["frame.flats.png"]


def test_flats_without_closing_needs_no_model_and_leaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(tmp_path / "nowhere"))
    drawing_with_gap(tmp_path / "a.png")
    out = tmp_path / "out"
    assert main(["flats", str(tmp_path / "a.png"), "-o", str(out), "--no-close"]) == 0
    assert (imread(out / "a.flats.png")[..., 3] == 0).all()  # the box is open: all outside
    args = ["flats", str(tmp_path / "a.png"), "-o", str(out), "--no-close", "--fill-border"]
    assert main(args) == 0
    assert (imread(out / "a.flats.png")[..., 3] == 255).all()


def test_flats_rerun_keeps_the_colours_a_user_painted(models: Path, tmp_path: Path) -> None:
    drawing_with_gap(tmp_path / "a.png")
    command = ["flats", str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]
    assert main(command) == 0
    path = tmp_path / "out" / "a.flats.png"
    painted = imread(path)
    painted[painted[..., 3] == 255] = (40, 90, 200, 255)  # B, G, R, A as cv2 stores it
    assert cv2.imwrite(str(path), painted)
    assert main(command) == 0
    np.testing.assert_array_equal(imread(path), painted)
    assert main([*command, "--new-colors"]) == 0
    fresh = imread(path)
    assert (fresh[..., 3] == painted[..., 3]).all()
    assert not (fresh[inside_of_drawing()] == painted[inside_of_drawing()]).all()


def test_flats_min_region_merges_small_regions(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEREFINER_MODELS", str(tmp_path / "nowhere"))
    image = np.full((80, 80), 255, np.uint8)
    cv2.rectangle(image, (10, 10), (69, 69), 0, 2)
    cv2.rectangle(image, (30, 30), (35, 35), 0, 1)  # encloses 4x4 = 16 px
    assert cv2.imwrite(str(tmp_path / "a.png"), image)
    colours = {}
    for min_region in (10, 20):
        out = tmp_path / str(min_region)
        args = ["flats", str(tmp_path / "a.png"), "-o", str(out), "--no-close",
                "--min-region", str(min_region)]
        assert main(args) == 0
        flats = imread(out / "a.flats.png")
        colours[min_region] = len(np.unique(flats[flats[..., 3] == 255].view(np.uint32)))
    assert colours == {10: 2, 20: 1}


def test_flats_rejects_bad_settings(models: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    drawing_with_gap(tmp_path / "a.png")
    out = tmp_path / "out"
    assert main(["flats", str(tmp_path / "a.png"), "-o", str(out), "--min-region", "-3"]) == 1
    assert "0-100000 px" in capsys.readouterr().err
    assert main(["flats", str(tmp_path / "a.png"), "-o", str(out), "--line-darkness", "3"]) == 1
    assert "Line darkness" in capsys.readouterr().err
    assert not out.exists()


def test_run_with_flats_writes_all_four(both_models: Path, tmp_path: Path) -> None:
    grey_drawing(tmp_path / "a.png")
    assert main(["run", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), "--flats"]) == 0
    for suffix in ("refined", "gaps", "closed", "flats"):
        assert (tmp_path / "out" / f"a.{suffix}.png").is_file()
    flats = imread(tmp_path / "out" / "a.flats.png")
    assert (flats[..., 3][inside_of_drawing()] == 255).all()


def plugin_layers(path: Path, settings: Settings) -> dict[str, np.ndarray]:
    """The plugin's result layers for the image at `path` (read as the layer's bytes would be),
    as ink over the whole image."""
    grey = imread(path, cv2.IMREAD_GRAYSCALE)
    fmt = PixelFormat("RGBA", "U8")
    h, w = grey.shape
    pixels = pixels_from_ink(1.0 - grey.astype(np.float32) / 255.0, fmt, paper="white")
    source = SourceImage(pixels, Rect(0, 0, w, h), fmt, fmt, None)
    computed = compute(Job("refine_gaps", source, settings), lambda _: None, lambda: False)
    layers = {}
    for name, patches in computed.layers.items():
        ink = np.zeros((h, w), np.float32)
        for patch in patches:
            r = patch.rect
            ink[r.y : r.y + r.h, r.x : r.x + r.w] = ink_from_pixels(patch.data, r.w, r.h, fmt)
        layers[name] = ink
    assert computed.curve == settings.curve_preset
    return layers


def test_cli_and_plugin_give_the_same_pixels(both_models: Path, tmp_path: Path) -> None:
    grey_drawing(tmp_path / "a.png")
    image = imread(tmp_path / "a.png", cv2.IMREAD_GRAYSCALE)
    cv2.line(image, (20, 70), (75, 52), 166, 2)  # aliased diagonal: smoothing changes it
    cv2.circle(image, (50, 45), 14, 166, 1)
    assert cv2.imwrite(str(tmp_path / "a.png"), image)
    settings = Settings(refine_strength=0.8, smooth_enabled=True, smooth_amount=0.6,
                        curve_enabled=True, curve_preset="bold", gap_sensitivity=0.4,
                        max_gap=12)
    args = ["run", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), "--strength", "0.8",
            "--smooth", "0.6", "--curve", "bold", "--sensitivity", "0.4", "--max-gap", "12"]
    assert main(args) == 0
    plugin = plugin_layers(tmp_path / "a.png", settings)
    # What the user sees in Krita: the "line weight" curve mask over the smoothed layer (Krita
    # applies it to the layer's 8-bit alpha, hence the tolerance of the curve's steepest slope).
    seen_in_krita = tone_curve(plugin[SMOOTHED_LAYER], "bold")
    cli_lines = ink_of(tmp_path / "out" / "a.refined.png")
    np.testing.assert_allclose(cli_lines, seen_in_krita, atol=4 / 255)
    assert np.abs(cli_lines - tone_curve(plugin[REFINED_LAYER], "bold")).max() > 0.2
    cli_gaps = imread(tmp_path / "out" / "a.gaps.png")[..., 3]
    assert cli_gaps.max() > 128
    np.testing.assert_array_equal(cli_gaps, np.rint(plugin[GAPS_LAYER] * 255))


def test_cli_run_flats_and_the_plugins_one_pass_give_the_same_flats(both_models: Path,
                                                                    tmp_path: Path) -> None:
    """`run --flats` and "Refine Lines, Close Gaps and Fill Flats": the same closures and the
    same flats (colours included), filled between the refined lines and their closures."""
    from krita_linerefiner.plugin.layers import FLATS_LAYER, pixels_to_rgba

    grey_drawing(tmp_path / "a.png")
    assert main(["run", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), "--flats"]) == 0
    grey = imread(tmp_path / "a.png", cv2.IMREAD_GRAYSCALE)
    fmt = PixelFormat("RGBA", "U8")
    h, w = grey.shape
    pixels = pixels_from_ink(1.0 - grey.astype(np.float32) / 255.0, fmt, paper="white")
    source = SourceImage(pixels, Rect(0, 0, w, h), fmt, fmt, None)
    computed = compute(Job("refine_flats", source, Settings()), lambda _: None, lambda: False)
    assert computed.regions > 0 and not computed.nothing
    flats = np.zeros((h, w, 4), np.uint8)
    for patch in computed.layers[FLATS_LAYER]:
        r = patch.rect
        flats[r.y : r.y + r.h, r.x : r.x + r.w] = pixels_to_rgba(patch.data, r.w, r.h, fmt)
    cli = cv2.cvtColor(imread(tmp_path / "out" / "a.flats.png"), cv2.COLOR_BGRA2RGBA)
    assert (cli[..., 3] == 255).sum() > 0
    np.testing.assert_array_equal(flats, cli)
    gaps = np.zeros((h, w), np.float32)
    for patch in computed.layers[GAPS_LAYER]:
        r = patch.rect
        gaps[r.y : r.y + r.h, r.x : r.x + r.w] = ink_from_pixels(patch.data, r.w, r.h, fmt)
    cli_gaps = imread(tmp_path / "out" / "a.gaps.png")[..., 3]
    assert cli_gaps.max() > 128
    np.testing.assert_array_equal(cli_gaps, np.rint(gaps * 255))



def test_the_max_gap_grows_with_wide_lines_unless_fixed() -> None:
    from krita_linerefiner.cli import build_parser, gap_params

    parser = build_parser()
    assert gap_params(parser.parse_args(["close-gaps", "in.png", "-o", "out"])).scale_max_gap
    fixed = gap_params(parser.parse_args(["close-gaps", "in.png", "-o", "out", "--fixed-max-gap"]))
    assert not fixed.scale_max_gap and fixed.max_gap == 24


def test_a_scorer_scoring_unfused_is_a_note_not_a_failure(
    models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    from krita_linerefiner.core import models as core_models

    def wrong_here(self, unfused) -> bool:  # as onnxruntime 1.23 on an AVX-512 VNNI CPU
        self.unfused_reason = "onnxruntime X computes this model's fused 8-bit layers wrongly"
        return True

    core_models.clear_session_cache()
    monkeypatch.setattr(core_models.ScorerSession, "use_unfused_if_wrong", wrong_here)
    source = tmp_path / "in" / "frame.png"
    drawing_with_gap(source)
    try:
        assert main(["close-gaps", str(source), "-o", str(tmp_path / "out")]) == 0
    finally:
        core_models.clear_session_cache()
    assert "note: onnxruntime X computes" in capsys.readouterr().err
    assert regions(imread(tmp_path / "out" / "frame.closed.png") < 128) == 2
