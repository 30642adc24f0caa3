"""Which numpy, onnxruntime and OpenCV to put next to the plugin, for each Krita Python and
platform: one lock used by install.py (and its --zip) and by the plugin's "how to fix" message.

Standard library only and Python 3.8 syntax: install.py loads this file by path under whatever
python3 the user has, without importing the package (whose __init__ stops on Python < 3.10).

Why a lock: pip resolving "numpy>=1.24 onnxruntime>=1.16" for a platform where only an old
onnxruntime exists pairs numpy 2 with an onnxruntime built against numpy 1, whose
InferenceSession.run crashes the process, and in Krita that is Krita. The versions below were
chosen from a recorded PyPI index (tests/data/pypi_wheels/, see tests/record_wheel_index.py) by
`choose_lock`, and tests/test_vendoring.py checks every set against that index again.
"""

from __future__ import annotations

import re
import sys
from typing import NamedTuple

PACKAGES = ("numpy", "onnxruntime", "opencv-python-headless")
PYTHONS = ("3.10", "3.11", "3.12", "3.13")


class Target(NamedTuple):
    """One kind of Krita build: the platform tag pip gets, and the oldest system it runs on."""

    key: str
    platform: str  # the newest platform tag Krita's users are sure to have
    note: str


TARGETS = (
    # Krita for Windows is x64 only; on Windows on ARM it runs emulated and needs x64 wheels.
    Target("windows-x86_64", "win_amd64", "Krita for Windows (x64, also on ARM64 Windows)"),
    # Two macOS levels: onnxruntime for Python 3.13 starts at macOS 13, while Krita 5.2 (3.10)
    # still runs on macOS 11 and 12, where older onnxruntime and OpenCV wheels are needed.
    Target("macos-arm64", "macosx_11_0_arm64", "Krita.app on Apple Silicon, macOS 11 and 12"),
    Target("macos-x86_64", "macosx_12_0_x86_64", "Krita.app on Intel Macs, macOS 12"),
    Target("macos13-arm64", "macosx_13_0_arm64", "Krita.app on Apple Silicon, macOS 13 or newer"),
    Target("macos13-x86_64", "macosx_13_0_x86_64", "Krita.app on Intel Macs, macOS 13 or newer"),
    # AppImages and Flatpak run on the host's glibc (AppImage) or the KDE runtime's (>= 2.35):
    # 2.28 is the oldest the distributions Krita supports still ship.
    Target("linux-x86_64", "manylinux_2_28_x86_64", "Linux x86_64 (glibc 2.28 or newer)"),
    Target("linux-aarch64", "manylinux_2_28_aarch64", "Linux aarch64 (glibc 2.28 or newer)"),
)
TARGET_BY_KEY = {t.key: t for t in TARGETS}
# The (python, target) pairs with no set that works, and why.
NOT_LOCKED = {
    ("3.13", "macos-arm64"): "onnxruntime for Python 3.13 needs macOS 13 or newer",
    ("3.13", "macos-x86_64"): "onnxruntime for Python 3.13 needs macOS 13 or newer",
}

# (python, target key) -> {package: version}. Written by choose_lock from the recorded index;
# rerun it after recording a newer index, and keep what tests/test_vendoring.py accepts.
LOCK: dict[tuple[str, str], dict[str, str]] = {
    ("3.10", "linux-aarch64"): {
        "numpy": "2.2.6", "onnxruntime": "1.23.2", "opencv-python-headless": "5.0.0.93"},
    ("3.10", "linux-x86_64"): {
        "numpy": "2.2.6", "onnxruntime": "1.23.2", "opencv-python-headless": "5.0.0.93"},
    ("3.10", "macos-arm64"): {
        "numpy": "2.2.6", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.10", "macos-x86_64"): {
        "numpy": "2.2.6", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.10", "macos13-arm64"): {
        "numpy": "2.2.6", "onnxruntime": "1.23.2", "opencv-python-headless": "5.0.0.93"},
    ("3.10", "macos13-x86_64"): {
        "numpy": "2.2.6", "onnxruntime": "1.23.2", "opencv-python-headless": "4.12.0.88"},
    ("3.10", "windows-x86_64"): {
        "numpy": "2.2.6", "onnxruntime": "1.23.2", "opencv-python-headless": "5.0.0.93"},
    ("3.11", "linux-aarch64"): {
        "numpy": "2.4.6", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.11", "linux-x86_64"): {
        "numpy": "2.4.6", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.11", "macos-arm64"): {
        "numpy": "2.4.6", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.11", "macos-x86_64"): {
        "numpy": "2.4.6", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.11", "macos13-arm64"): {
        "numpy": "2.4.6", "onnxruntime": "1.23.2", "opencv-python-headless": "5.0.0.93"},
    ("3.11", "macos13-x86_64"): {
        "numpy": "2.4.6", "onnxruntime": "1.23.2", "opencv-python-headless": "4.12.0.88"},
    ("3.11", "windows-x86_64"): {
        "numpy": "2.4.6", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.12", "linux-aarch64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.12", "linux-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.12", "macos-arm64"): {
        "numpy": "2.5.5", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.12", "macos-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.12", "macos13-arm64"): {
        "numpy": "2.5.5", "onnxruntime": "1.23.2", "opencv-python-headless": "5.0.0.93"},
    ("3.12", "macos13-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.23.2", "opencv-python-headless": "4.12.0.88"},
    ("3.12", "windows-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.13", "linux-aarch64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.13", "linux-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.13", "macos13-arm64"): {
        "numpy": "2.5.5", "onnxruntime": "1.23.2", "opencv-python-headless": "5.0.0.93"},
    ("3.13", "macos13-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.23.2", "opencv-python-headless": "4.12.0.88"},
    ("3.13", "windows-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
}


# --------------------------------------------------------------------------------------------
# Which packages work together


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:4])


def compatible_set(pins: dict[str, str]) -> str | None:
    """Why these versions must not be used together; None when they may."""
    numpy_2 = _version(pins["numpy"]) >= (2,)
    if numpy_2 and _version(pins["onnxruntime"]) < (1, 19):
        # onnxruntime before 1.19 is built against numpy 1 but does not say numpy<2.
        return f"onnxruntime {pins['onnxruntime']} needs numpy 1.x"
    if numpy_2 and _version(pins["opencv-python-headless"]) < (4, 10, 0, 84):
        return f"opencv-python-headless {pins['opencv-python-headless']} needs numpy 1.x"
    return None


# --------------------------------------------------------------------------------------------
# Wheel tags, as pip matches them for --python-version X.Y --platform TAG --only-binary=:all:


class Wheel(NamedTuple):
    name: str
    version: str
    pythons: tuple[str, ...]
    abis: tuple[str, ...]
    platforms: tuple[str, ...]
    filename: str


def parse_wheel(filename: str) -> Wheel:
    stem = filename[: -len(".whl")] if filename.endswith(".whl") else filename
    parts = stem.split("-")
    if len(parts) not in (5, 6):
        raise ValueError(f"not a wheel file name: {filename}")
    name, version = parts[0], parts[1]
    python, abi, platform = parts[-3:]
    return Wheel(re.sub(r"[-_.]+", "-", name).lower(), version, tuple(python.split(".")),
                 tuple(abi.split(".")), tuple(platform.split(".")), filename)


def _platform_fits(wheel_platform: str, target: str) -> bool:
    if wheel_platform == target:
        return True
    linux = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", target)
    if linux:
        glibc, arch = (int(linux.group(1)), int(linux.group(2))), linux.group(3)
        legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
        match = re.fullmatch(r"(manylinux1|manylinux2010|manylinux2014)_(\w+)", wheel_platform)
        if match:
            return match.group(2) == arch and legacy[match.group(1)] <= glibc
        match = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", wheel_platform)
        return bool(match) and match.group(3) == arch and (
            int(match.group(1)), int(match.group(2))) <= glibc
    mac = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", target)
    if mac:
        version, arch = (int(mac.group(1)), int(mac.group(2))), mac.group(3)
        match = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", wheel_platform)
        if not match or match.group(3) not in (arch, "universal2"):
            return False
        wanted = (int(match.group(1)), int(match.group(2)))
        # 10.16 is what macOS 11 called itself to old tools.
        return (wanted if wanted != (10, 16) else (11, 0)) <= version
    return False


def wheel_fits(wheel: Wheel, python: str, platform: str) -> bool:
    """Whether pip would take this wheel for CPython `python` (X.Y) on `platform`."""
    minor = int(python.split(".")[1])
    exact = f"cp3{minor}"
    fits_python = any(
        tag == exact and abi in (exact, "none")
        or tag.startswith("cp3") and abi == "abi3" and int(tag[3:]) <= minor
        or tag in ("py3", f"py3{minor}") and abi == "none"
        for tag in wheel.pythons for abi in wheel.abis)
    return fits_python and any(_platform_fits(p, platform) for p in wheel.platforms)


def wheels_for(index: list[str], package: str, version: str, python: str,
               platform: str) -> list[str]:
    wanted = package.lower()
    found = []
    for filename in index:
        wheel = parse_wheel(filename)
        if wheel.name == wanted and wheel.version == version and wheel_fits(wheel, python,
                                                                            platform):
            found.append(filename)
    return found


def choose_lock(indexes: dict[str, list[str]]) -> dict[tuple[str, str], dict[str, str]]:
    """The newest compatible set for each (python, target) that has wheels in the indexes
    (package -> wheel file names). Pre-releases are never chosen."""
    lock: dict[tuple[str, str], dict[str, str]] = {}
    for python in PYTHONS:
        for target in TARGETS:
            options = {}
            for package in PACKAGES:
                versions = {parse_wheel(f).version for f in indexes[package]
                            if wheel_fits(parse_wheel(f), python, target.platform)}
                options[package] = sorted((v for v in versions if re.fullmatch(r"[\d.]+", v)),
                                          key=_version, reverse=True)
            chosen = _newest_compatible(options)
            if chosen is not None:
                lock[(python, target.key)] = chosen
    return lock


def _newest_compatible(options: dict[str, list[str]]) -> dict[str, str] | None:
    # The runtime first (newest onnxruntime, then OpenCV), then the newest numpy they accept.
    for onnxruntime in options["onnxruntime"]:
        for opencv in options["opencv-python-headless"]:
            for numpy in options["numpy"]:
                pins = {"numpy": numpy, "onnxruntime": onnxruntime,
                        "opencv-python-headless": opencv}
                if compatible_set(pins) is None:
                    return pins
    return None


# --------------------------------------------------------------------------------------------
# What install.py and the plugin ask for


def target_for(sys_platform: str, machine: str, mac_version: str = "") -> Target | None:
    """The Krita build kind of a running Krita: sys.platform, platform.machine() and, on macOS,
    platform.mac_ver()[0]."""
    arm = machine.lower() in ("arm64", "aarch64")
    if sys_platform == "win32":
        return TARGET_BY_KEY["windows-x86_64"]
    if sys_platform == "darwin":
        level = "macos13" if _version(mac_version or "13") >= (13,) else "macos"
        return TARGET_BY_KEY[f"{level}-{'arm64' if arm else 'x86_64'}"]
    if sys_platform.startswith("linux"):
        return TARGET_BY_KEY["linux-aarch64" if arm else "linux-x86_64"]
    return None


def target_for_tag(platform_tag: str) -> Target | None:
    """The Krita build kind a pip platform tag (install.py's --platform) belongs to."""
    arm = platform_tag.endswith(("arm64", "aarch64"))
    if platform_tag == "win_amd64":
        return TARGET_BY_KEY["windows-x86_64"]
    mac = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", platform_tag)
    if mac:
        return target_for("darwin", "arm64" if arm else "x86_64", f"{mac.group(1)}.{mac.group(2)}")
    if platform_tag.startswith("manylinux"):
        return TARGET_BY_KEY["linux-aarch64" if arm else "linux-x86_64"]
    return None


def pins(python: str, target: Target) -> dict[str, str] | None:
    return LOCK.get((python, target.key))


def requirements(python: str, target: Target) -> tuple[str, ...] | None:
    """numpy==X onnxruntime==Y opencv-python-headless==Z for this Krita; None if not locked."""
    found = pins(python, target)
    if found is None:
        return None
    return tuple(f"{package}=={found[package]}" for package in PACKAGES)


def why_not_locked(python: str, target: Target | None) -> str:
    if target is None:
        return "Krita's platform has no numpy, onnxruntime and OpenCV wheels"
    if python not in PYTHONS:
        return f"Python {python} is not one LineRefiner supports ({', '.join(PYTHONS)})"
    return NOT_LOCKED.get((python, target.key), f"no tested set for {target.note}")


def platform_tags(target: Target) -> list[str]:
    """--platform values for pip: manylinux_2_N also takes older manylinux wheels, which pip
    does not work out by itself (it does for macOS)."""
    match = re.fullmatch(r"manylinux_2_(\d+)_(\w+)", target.platform)
    if not match:
        return [target.platform]
    newest, arch = int(match.group(1)), match.group(2)
    return [f"manylinux_2_{minor}_{arch}" for minor in range(newest, 16, -1)] + [
        f"manylinux2014_{arch}"]


def running_python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"
