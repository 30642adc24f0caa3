from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from training.gaps import handdrawn


def fake_package(src: Path, notionists: bool = False) -> None:
    """Two drawings of each package the benchmark measures on, and two it does not; and two
    Notionists (none of which the benchmark measures on) where asked."""
    packages = [("open-peeps", ["bust_01_ButtonPocketShirt_Bun_Calm", "sitting_Bike",
                                "bust_00_BlazerBlackTee_Afro_Angry", "standing_Doc"]),
                ("doodle-icons", ["Car", "Rocket", "Apple", "Anchor"])]
    if notionists:
        packages.append(("notionists", ["notionists-0001", "notionists-0000"]))
    for folder, names in packages:
        (src / folder).mkdir(parents=True)
        for name in names:
            (src / folder / f"{name}.svg").write_text("<svg/>")


def ring(path: Path, longest: int) -> np.ndarray:
    """A stand-in for rsvg-convert: a ring 3 px wide, as big as the drawing, on white."""
    image = np.full((longest, longest, 3), 255, np.uint8)
    cv2.circle(image, (longest // 2, longest // 2), longest // 3, (0, 0, 0), 3)
    return image


def test_the_drawings_the_benchmark_measures_on_are_never_training_crops(tmp_path: Path) -> None:
    fake_package(tmp_path, notionists=True)
    names = [p.stem for p in handdrawn.training_svgs(tmp_path)]
    # Notionists only where asked for: the shipped verifier was trained without them.
    assert names == ["bust_00_BlazerBlackTee_Afro_Angry", "standing_Doc", "Anchor", "Apple"]
    names = [p.stem for p in handdrawn.training_svgs(tmp_path, ("notionists", "doodle-icons"))]
    assert names == ["notionists-0000", "notionists-0001", "Anchor", "Apple"]
    with pytest.raises(ValueError, match="lorelei"):
        handdrawn.training_svgs(tmp_path, ("open-peeps", "lorelei"))


def test_crops_take_both_packages_in_turn_and_are_fixed_by_their_seed(tmp_path: Path) -> None:
    fake_package(tmp_path)
    rendered: list[tuple[str, int]] = []

    def render(path: Path, longest: int) -> np.ndarray:
        rendered.append((path.parent.name, longest))
        return ring(path, longest)

    out = handdrawn.crops(tmp_path, 6, seed=3, render=render)
    assert out.shape == (6, handdrawn.CROP, handdrawn.CROP) and out.dtype == np.uint8
    assert [folder for folder, _ in rendered] == ["open-peeps", "doodle-icons"] * 3
    for (folder, longest), crop in zip(rendered, out, strict=True):
        lo, hi = handdrawn.PEEP_SIZES if folder == "open-peeps" else handdrawn.DOODLE_SIZES
        assert lo <= longest <= hi
        share = float((crop >= 128).mean())
        assert handdrawn.INK_SHARE[0] <= share <= handdrawn.INK_SHARE[1]
    np.testing.assert_array_equal(handdrawn.crops(tmp_path, 6, seed=3, render=ring), out)
    assert not np.array_equal(handdrawn.crops(tmp_path, 6, seed=4, render=ring), out)


def test_crops_of_three_packages_take_each_in_turn_at_its_sizes(tmp_path: Path) -> None:
    fake_package(tmp_path, notionists=True)
    rendered: list[tuple[str, int]] = []

    def render(path: Path, longest: int) -> np.ndarray:
        rendered.append((path.parent.name, longest))
        return ring(path, longest)

    packages = ("open-peeps", "doodle-icons", "notionists")
    out = handdrawn.crops(tmp_path, 9, seed=3, render=render, packages=packages)
    assert len(out) == 9
    assert [folder for folder, _ in rendered] == list(packages) * 3
    for folder, longest in rendered:
        lo, hi = handdrawn.SIZES[folder]
        assert lo <= longest <= hi
    assert handdrawn.credit(packages).endswith("DiceBear Notionists (npm, design CC0 1.0)")


def test_a_folder_without_the_drawings_says_how_to_make_them(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setattr(handdrawn.shutil, "which", lambda name: "/usr/bin/" + name)
    assert "make_set.sh" in str(handdrawn.available(tmp_path))
    fake_package(tmp_path)
    assert handdrawn.available(tmp_path) is None
    # A package asked for that the folder lacks is named.
    lacking = str(handdrawn.available(tmp_path, ("open-peeps", "notionists")))
    assert "notionists" in lacking and "make_set.sh" in lacking
    monkeypatch.setattr(handdrawn.shutil, "which", lambda name: None)
    assert "rsvg-convert" in str(handdrawn.available(tmp_path))
