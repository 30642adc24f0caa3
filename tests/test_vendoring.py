"""The lock of numpy, onnxruntime and OpenCV versions per Krita Python and platform, checked
offline against a recorded list of the wheels PyPI has (tests/data/pypi_wheels.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from krita_linerefiner import vendoring
from krita_linerefiner.vendoring import TARGET_BY_KEY, Target

INDEX = Path(__file__).with_name("data") / "pypi_wheels.txt"


def recorded_index() -> list[str]:
    lines = INDEX.read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def all_pairs() -> list[tuple[str, Target]]:
    return [(python, target) for python in vendoring.PYTHONS for target in vendoring.TARGETS]


def test_every_python_and_platform_is_locked_or_says_why() -> None:
    for python, target in all_pairs():
        locked = (python, target.key) in vendoring.LOCK
        assert locked != ((python, target.key) in vendoring.NOT_LOCKED), (python, target.key)
    assert set(vendoring.LOCK) | set(vendoring.NOT_LOCKED) == {
        (p, t.key) for p, t in all_pairs()}


@pytest.mark.parametrize(("python", "target"), all_pairs(), ids=lambda x: getattr(x, "key", x))
def test_each_locked_set_resolves_from_the_recorded_index(python: str, target: Target) -> None:
    # What `pip download --no-deps --only-binary=:all: --python-version X.Y --platform TAG
    # pkg==V` would find, for each package of the set.
    requirements = vendoring.requirements(python, target)
    if requirements is None:
        assert vendoring.why_not_locked(python, target) == vendoring.NOT_LOCKED[
            (python, target.key)]
        return
    pins = vendoring.pins(python, target)
    assert pins is not None and vendoring.compatible_set(pins) is None
    index = recorded_index()
    for package in vendoring.PACKAGES:
        found = vendoring.wheels_for(index, package, pins[package], python, target.platform)
        assert found, f"no {package} {pins[package]} wheel for cp{python} on {target.platform}"
    assert requirements == tuple(f"{p}=={pins[p]}" for p in vendoring.PACKAGES)


def test_the_lock_is_what_choose_lock_picks_from_the_recorded_index() -> None:
    # The recorded index holds only the locked versions, so this checks that no pin is older
    # than another locked version that also fits, and that nothing fits where nothing is locked.
    index = recorded_index()
    indexes = {p: [f for f in index if vendoring.parse_wheel(f).name == p]
               for p in vendoring.PACKAGES}
    assert vendoring.choose_lock(indexes) == vendoring.LOCK


@pytest.mark.parametrize(("pins", "problem"), [
    ({"numpy": "2.2.6", "onnxruntime": "1.18.1", "opencv-python-headless": "4.10.0.84"},
     "onnxruntime 1.18.1 needs numpy 1.x"),
    ({"numpy": "2.0.0", "onnxruntime": "1.19.0", "opencv-python-headless": "4.9.0.80"},
     "opencv-python-headless 4.9.0.80 needs numpy 1.x"),
    ({"numpy": "1.26.4", "onnxruntime": "1.16.3", "opencv-python-headless": "4.8.1.78"}, None),
    ({"numpy": "2.2.6", "onnxruntime": "1.19.0", "opencv-python-headless": "4.10.0.84"}, None),
])
def test_numpy_2_only_with_an_onnxruntime_and_opencv_built_for_it(
        pins: dict[str, str], problem: str | None) -> None:
    assert vendoring.compatible_set(pins) == problem


@pytest.mark.parametrize(("onnxruntime", "refused"), [
    ("1.20.1", False), ("1.21.0", True), ("1.23.2", True), ("1.24.4", True), ("1.25.1", False),
    ("1.32.0", False)])
def test_no_onnxruntime_whose_8_bit_convolutions_are_wrong_on_vnni_cpus(
        onnxruntime: str, refused: bool) -> None:
    pins = {"numpy": "2.2.6", "onnxruntime": onnxruntime, "opencv-python-headless": "5.0.0.93"}
    problem = vendoring.avoided(pins)
    assert (problem is not None) == refused
    if refused:
        assert problem is not None and "AVX-512 VNNI" in problem
    # An install that has one still runs (the verifier checks itself): not a missing package.
    assert vendoring.compatible_set(pins) is None
    assert not any(refused and p["onnxruntime"] == onnxruntime for p in vendoring.LOCK.values())
    # ... and the lock's own choice passes it over for the next older version that has wheels.
    wheels = {"numpy": ["numpy-2.2.6-cp310-cp310-win_amd64.whl"],
              "onnxruntime": [f"onnxruntime-{v}-cp310-cp310-win_amd64.whl"
                              for v in (onnxruntime, "1.20.1")],
              "opencv-python-headless": ["opencv_python_headless-5.0.0.93-cp37-abi3-win_amd64.whl"]}
    chosen = vendoring.choose_lock(wheels)[("3.10", "windows-x86_64")]["onnxruntime"]
    assert chosen == ("1.20.1" if refused else onnxruntime)


@pytest.mark.parametrize(("filename", "python", "platform", "fits"), [
    ("opencv_python_headless-4.12.0.88-cp37-abi3-win_amd64.whl", "3.13", "win_amd64", True),
    ("opencv_python_headless-4.12.0.88-cp37-abi3-win_amd64.whl", "3.13", "win_arm64", False),
    ("numpy-2.2.6-cp312-cp312-win_amd64.whl", "3.13", "win_amd64", False),
    ("numpy-2.2.6-cp313-cp313t-win_amd64.whl", "3.13", "win_amd64", False),  # free-threaded
    ("onnxruntime-1.23.2-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "3.13",
     "manylinux_2_28_x86_64", True),
    ("onnxruntime-1.23.2-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "3.13",
     "manylinux_2_17_x86_64", False),
    ("numpy-2.2.6-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "3.10",
     "manylinux_2_28_x86_64", True),
    ("numpy-2.2.6-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", "3.10",
     "manylinux_2_28_x86_64", False),
    ("opencv_python_headless-4.9.0.80-cp37-abi3-macosx_10_16_x86_64.whl", "3.11",
     "macosx_11_0_x86_64", True),
    ("onnxruntime-1.19.2-cp312-cp312-macosx_11_0_universal2.whl", "3.12",
     "macosx_11_0_arm64", True),
    ("onnxruntime-1.24.1-cp313-cp313-macosx_14_0_arm64.whl", "3.13", "macosx_13_0_arm64", False),
])
def test_wheel_tags_match_like_pip(filename: str, python: str, platform: str,
                                   fits: bool) -> None:
    assert vendoring.wheel_fits(vendoring.parse_wheel(filename), python, platform) is fits


@pytest.mark.parametrize(("system", "machine", "mac", "key"), [
    ("win32", "AMD64", "", "windows-x86_64"),
    ("win32", "ARM64", "", "windows-x86_64"),  # Krita for Windows is x64, emulated on ARM
    ("darwin", "arm64", "14.5", "macos13-arm64"),
    ("darwin", "arm64", "12.7", "macos-arm64"),
    ("darwin", "x86_64", "13.0", "macos13-x86_64"),
    ("linux", "x86_64", "", "linux-x86_64"),
    ("linux", "aarch64", "", "linux-aarch64"),
])
def test_running_krita_maps_to_its_target(system: str, machine: str, mac: str, key: str) -> None:
    assert vendoring.target_for(system, machine, mac) == TARGET_BY_KEY[key]


@pytest.mark.parametrize(("tag", "key"), [
    ("win_amd64", "windows-x86_64"), ("macosx_11_0_arm64", "macos-arm64"),
    ("macosx_14_0_arm64", "macos13-arm64"), ("macosx_10_15_x86_64", "macos-x86_64"),
    ("manylinux_2_35_x86_64", "linux-x86_64"), ("manylinux2014_aarch64", "linux-aarch64"),
])
def test_platform_tags_map_to_targets(tag: str, key: str) -> None:
    assert vendoring.target_for_tag(tag) == TARGET_BY_KEY[key]


def test_windows_on_arm_tag_has_no_target() -> None:
    assert vendoring.target_for_tag("win_arm64") is None
    assert "no numpy" in vendoring.why_not_locked("3.13", None)


def test_linux_platform_tags_also_take_older_manylinux() -> None:
    tags = vendoring.platform_tags(TARGET_BY_KEY["linux-x86_64"])
    assert tags[0] == "manylinux_2_28_x86_64" and tags[-1] == "manylinux2014_x86_64"
    assert "manylinux_2_17_x86_64" in tags and len(tags) == len(set(tags))
    assert vendoring.platform_tags(TARGET_BY_KEY["windows-x86_64"]) == ["win_amd64"]
