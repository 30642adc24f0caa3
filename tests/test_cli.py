from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from krita_linerefiner.cli import main
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
