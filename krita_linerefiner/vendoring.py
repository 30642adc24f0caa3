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
        "numpy": "2.2.6", "onnxruntime": "1.20.1", "opencv-python-headless": "5.0.0.93"},
    ("3.10", "linux-x86_64"): {
        "numpy": "2.2.6", "onnxruntime": "1.20.1", "opencv-python-headless": "5.0.0.93"},
    ("3.10", "macos-arm64"): {
        "numpy": "2.2.6", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.10", "macos-x86_64"): {
        "numpy": "2.2.6", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.10", "macos13-arm64"): {
        "numpy": "2.2.6", "onnxruntime": "1.20.1", "opencv-python-headless": "5.0.0.93"},
    ("3.10", "macos13-x86_64"): {
        "numpy": "2.2.6", "onnxruntime": "1.20.1", "opencv-python-headless": "4.12.0.88"},
    ("3.10", "windows-x86_64"): {
        "numpy": "2.2.6", "onnxruntime": "1.20.1", "opencv-python-headless": "5.0.0.93"},
    ("3.11", "linux-aarch64"): {
        "numpy": "2.4.6", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.11", "linux-x86_64"): {
        "numpy": "2.4.6", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.11", "macos-arm64"): {
        "numpy": "2.4.6", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.11", "macos-x86_64"): {
        "numpy": "2.4.6", "onnxruntime": "1.19.2", "opencv-python-headless": "4.10.0.84"},
    ("3.11", "macos13-arm64"): {
        "numpy": "2.4.6", "onnxruntime": "1.20.1", "opencv-python-headless": "5.0.0.93"},
    ("3.11", "macos13-x86_64"): {
        "numpy": "2.4.6", "onnxruntime": "1.20.1", "opencv-python-headless": "4.12.0.88"},
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
        "numpy": "2.5.5", "onnxruntime": "1.20.1", "opencv-python-headless": "5.0.0.93"},
    ("3.12", "macos13-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.20.1", "opencv-python-headless": "4.12.0.88"},
    ("3.12", "windows-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.13", "linux-aarch64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.13", "linux-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.32.0", "opencv-python-headless": "5.0.0.93"},
    ("3.13", "macos13-arm64"): {
        "numpy": "2.5.5", "onnxruntime": "1.20.1", "opencv-python-headless": "5.0.0.93"},
    ("3.13", "macos13-x86_64"): {
        "numpy": "2.5.5", "onnxruntime": "1.20.1", "opencv-python-headless": "4.12.0.88"},
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


def avoided(pins: dict[str, str]) -> str | None:
    """Why the lock should not pick these versions although they work together; None when it
    may. Unlike compatible_set, not a reason to refuse an install that has them."""
    if (1, 21) <= _version(pins["onnxruntime"])[:2] <= (1, 24):
        # Their fused 8-bit convolutions are wrong on CPUs with AVX-512 VNNI / AMX
        # (microsoft/onnxruntime#26324; 1.21.1-1.24.4 measured wrong, 1.20.1 and 1.25.1 on
        # right, models/README.md stop 47): the verifier scores unfused there (core.models),
        # right but twice as slow.
        return (f"onnxruntime {pins['onnxruntime']} computes 8-bit convolutions wrongly on "
                "CPUs with AVX-512 VNNI")
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


def _fit_rank(wheel: Wheel, platform: str) -> tuple[int, int, int]:
    # A wheel for this architecture before universal2 (half the size), then the newest platform
    # level that still fits: manylinux_2_28 before manylinux2014, macOS 13 before 11.
    best = (-1, -1, -1)
    for tag in wheel.platforms:
        if not _platform_fits(tag, platform):
            continue
        levels = re.findall(r"_(\d+)_(\d+)_", tag)
        legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
        major, minor = next((v for k, v in legacy.items() if tag.startswith(k + "_")),
                            (int(levels[0][0]), int(levels[0][1])) if levels else (0, 0))
        best = max(best, (int("universal2" not in tag), major, minor))
    return best


def pick_wheel(index: list[str], package: str, version: str, python: str,
               platform: str) -> str | None:
    """The one wheel of `package` `version` the in-Krita installer downloads for CPython
    `python` on `platform`, out of the file names in `index`; None if none fits."""
    found = wheels_for(index, package, version, python, platform)
    if not found:
        return None
    # A wheel for exactly this Python before an abi3 one, then the rank; the name breaks ties.
    return max(found, key=lambda f: (f"cp3{python.split('.')[1]}-" in f,
                                     _fit_rank(parse_wheel(f), platform), f))


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
                if compatible_set(pins) is None and avoided(pins) is None:
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


# --------------------------------------------------------------------------------------------
# The files the in-Krita installer downloads, with what PyPI says about them


class LockedFile(NamedTuple):
    package: str
    version: str
    filename: str
    size: int
    sha256: str
    url: str  # on PyPI's file host; LINEREFINER_WHEEL_URL replaces its folder


PYPI_FILES = "https://files.pythonhosted.org/packages"


def locked_files(python: str, target: Target) -> list[LockedFile] | None:
    """The wheels of the locked set for CPython `python` on `target`, each with its size and
    sha256 from WHEELS; None when the set is not locked or a file is not recorded."""
    found = pins(python, target)
    if found is None:
        return None
    files = []
    for package in PACKAGES:
        name = pick_wheel(list(WHEELS), package, found[package], python, target.platform)
        if name is None:
            return None
        size, sha256, blake2b = WHEELS[name]
        # PyPI's file host keeps each file under its BLAKE2b-256 digest.
        url = f"{PYPI_FILES}/{blake2b[:2]}/{blake2b[2:4]}/{blake2b[4:]}/{name}"
        files.append(LockedFile(package, found[package], name, size, sha256, url))
    return files


# filename -> (size in bytes, sha256, blake2b_256), as PyPI's JSON API lists them. Written by
# tests/record_wheel_digests.py for the wheel pick_wheel chooses for each locked set; rerun it
# whenever LOCK changes (tests/test_vendoring.py says when a file is missing).
# BEGIN WHEELS
WHEELS: dict[str, tuple[int, str, str]] = {
    "numpy-2.2.6-cp310-cp310-macosx_10_9_x86_64.whl":
        (21165245, "b412caa66f72040e6d268491a59f2c43bf03eb6c96dd8f0307829feb7fa2b6fb",
         "9a3eed6db5be21ce87955c0cbd3009f2803f59fa08df21b5df06862e2d8e2bdd"),
    "numpy-2.2.6-cp310-cp310-macosx_11_0_arm64.whl":
        (14360048, "8e41fd67c52b86603a91c1a505ebaef50b3314de0213461c7a6e99c9a3beff90",
         "22c24b9221495b2a132cc9d2eb862e21d42a009f5a60e45fc44b00118c174bff"),
    "numpy-2.2.6-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl":
        (14297320, "efd28d4e9cd7d7a8d39074a4d44c63eda73401580c5c76acda2ce969e0a38e83",
         "eb1796a3acd228cec142fcb8723bd3cc39c2a474f7dcf0a5d16731980bcafa95"),
    "numpy-2.2.6-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl":
        (16801050, "fc7b73d02efb0e18c000e9ad8b83480dfcd5dfd11065997ed4c6747470ae8915",
         "b4633de6a34ad7ad6646ac7d2f55ebc6ad439dbbf9c4370017c50cf403fb19b5"),
    "numpy-2.2.6-cp310-cp310-win_amd64.whl":
        (12904620, "f0fd6321b839904e15c46e0d257fdd101dd7f530fe03fd6359c1ea63738703f3",
         "a3dd4b822569d6b96c39d1215dbae0582fd99954dcbcf0c1a13c61783feaca3f"),
    "numpy-2.4.6-cp311-cp311-macosx_10_9_x86_64.whl":
        (16969194, "0280e0356c0829a18d9de1cb7eee50ec22ca639878d7240307ca0943d73cd2c4",
         "b349ec46835a70be8fa6446c495126ac84fdb28cb2558e1620ffb87a10c8b64c"),
    "numpy-2.4.6-cp311-cp311-macosx_11_0_arm64.whl":
        (14964111, "110f8b71aacb688ec69062bb7f6938a0f8acb01b7c1c4beb453c65b6d234584d",
         "0e0df5957185c0ee2f3e12f78715aa9e3b353fd83633316c8532b38faa37e3f6"),
    "numpy-2.4.6-cp311-cp311-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl":
        (15966692, "0ab0a9c4ffb1a6d95ef519fe4247dba8eb6b18ad93999f76b7f657039acabd47",
         "33a86fa8c1a345a8c85dbb21932c447bee07c30a2c2a3f31e369c0a84b300147"),
    "numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl":
        (16918164, "89cd468399cfd2504718f0ba50e410dca55a170b61a02ad92bb18c8a65186e93",
         "020374fe2a4cb3817d94d86402f2506554130a2f01414e299b5a843e5a8a957f"),
    "numpy-2.4.6-cp311-cp311-win_amd64.whl":
        (12608406, "1e254a00cdf42b1e4d5b3d68d33af63268d41340d8885df2ab6470f2e1500147",
         "c5317fc6239c12bce7e931463251cca4426c465e1876ba3cc785402ef4dd8f4e"),
    "numpy-2.5.5-cp312-cp312-macosx_10_13_x86_64.whl":
        (14750374, "7da9a248f149cfbb220c6da964a59c8d051d516704f7758acfb81eb382a05d97",
         "20745b99f425938870958d43dc9f7b17c684e793ce47ec46b7885cdc7acea285"),
    "numpy-2.5.5-cp312-cp312-macosx_11_0_arm64.whl":
        (10749920, "b96e9ee49ccbdb5676359f852a4497f7a9c5df6c377d8877f5330d6fd3ff42e4",
         "5cf406db317e93dd6d618786004c1761214b113832bb77294c8513776956702a"),
    "numpy-2.5.5-cp312-cp312-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl":
        (15284117, "a0750f2156d53446caca85663d0b65d67214e1664b9050454a731ea1418d176a",
         "c22282184e9a5b50a4a298e9f8fe0bd8cfc483672dbfea8a3b57c78e2376b139"),
    "numpy-2.5.5-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl":
        (15720599, "704d819265e5d1064d932968e9ee85fff2103ccc78c05b878c06943ba27b8507",
         "9961522b973ba38987b22a4a71beaed2ea6ac9fd4f687baaa2bc9a45100625e0"),
    "numpy-2.5.5-cp312-cp312-win_amd64.whl":
        (12580189, "919eb420662b0b4ba34889df503f3d5329775b0c1d5f7e5f5af4fba8315b1e30",
         "d171b1ce51834c21020d189332979d38ba7350eb6cd7ca8c8ec424a663b0ca6f"),
    "numpy-2.5.5-cp313-cp313-macosx_10_13_x86_64.whl":
        (14747053, "228e3d90e967495d61ddc79dd64e95267aae3bcf1b1c516a6186429106a0b444",
         "0ffa4ae71d860267f2f9eaf7640516f693acf61c9575d48157cdea459c0215aa"),
    "numpy-2.5.5-cp313-cp313-macosx_11_0_arm64.whl":
        (10744599, "7e71ac4284c700afa654e2d15b1b174166710dca932f24045e5dc92001b5bda0",
         "d49a01a332ebb0899ddb14d782f86ed66d080463e5387a8778029462d1902019"),
    "numpy-2.5.5-cp313-cp313-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl":
        (15278148, "ae2b8285d0b4eed24739c3ca9ec0fa424a0247489c01e1d5fe2815a599e11d33",
         "5706de83b859944409bb9058bc6110581a3d7fc1f54d6df1222744911d7f6b19"),
    "numpy-2.5.5-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl":
        (15713899, "824025655df929268bfe6b47ed91a00d14209a6f760847cf150be446829e1ce4",
         "40d668dd5a83914bbcaf32b3165993f7955979916708cb0156d1e28231e18803"),
    "numpy-2.5.5-cp313-cp313-win_amd64.whl":
        (12573354, "e0608d1585557b68dcb6a70a41654f7536567960afad79d91752d2863b242b68",
         "4574bb9161943fb65caf24e4bb04c788f5c7815e6cb78ac595e7f46781033c82"),
    "onnxruntime-1.19.2-cp310-cp310-macosx_11_0_universal2.whl":
        (16776408, "84fa57369c06cadd3c2a538ae2a26d76d583e7c34bdecd5769d71ca5c0fc750e",
         "3918272d3d7406909141d3c9943796e3e97cafa53f4342d9231c0cfd8cb05702"),
    "onnxruntime-1.19.2-cp311-cp311-macosx_11_0_universal2.whl":
        (16779187, "d863e8acdc7232d705d49e41087e10b274c42f09e259016a46f32c34e06dc4fd",
         "f0ff77bee5df55f034ee81d2e1bc58b2b8511b9c54f06ce6566cb562c5d95aa5"),
    "onnxruntime-1.19.2-cp312-cp312-macosx_11_0_universal2.whl":
        (16790434, "68e7051bef9cfefcbb858d2d2646536829894d72a4130c24019219442b1dd2ed",
         "f2a52a02687a88fc8a2507bef65876c90e96b9f8de5ba1f810acbf67c140fc67"),
    "onnxruntime-1.20.1-cp310-cp310-macosx_13_0_universal2.whl":
        (30996314, "e50ba5ff7fed4f7d9253a6baf801ca2883cc08491f9d32d78a80da57256a5439",
         "4e2899f903b0eb1cd6f3faa0e343217d9fb9f47b84bca98bd9859884631336ee"),
    "onnxruntime-1.20.1-cp310-cp310-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl":
        (11954010, "7b2908b50101a19e99c4d4e97ebb9905561daf61829403061c1adc1b588bc0de",
         "6dc6c4c0860bee2fde6037bdd9dcd12d323f6e38cf00fcc9a5065b394337fc55"),
    "onnxruntime-1.20.1-cp310-cp310-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl":
        (13330452, "d82daaec24045a2e87598b8ac2b417b1cce623244e80e663882e9fe1aae86410",
         "63473dc0b075ab539f16b3d8b09df6b504f51836086ee709690a6278d791737d"),
    "onnxruntime-1.20.1-cp310-cp310-win_amd64.whl":
        (11329702, "d3b616bb53a77a9463707bb313637223380fc327f5064c9a782e8ec69c22e6a2",
         "a9e633ab10066c9875a29d55e66ae97c3bf91b9b9b987179455d67c32261a49c"),
    "onnxruntime-1.20.1-cp311-cp311-macosx_13_0_universal2.whl":
        (30998725, "06bfbf02ca9ab5f28946e0f912a562a5f005301d0c419283dc57b3ed7969bb7b",
         "958d2634e2959b34aa8a0037989f4229e9abcfa484e9c228f99633b3241768a6"),
    "onnxruntime-1.20.1-cp312-cp312-macosx_13_0_universal2.whl":
        (31007580, "22b0655e2bf4f2161d52706e31f517a0e54939dc393e92577df51808a7edc8c9",
         "e5399335e0874f68f7d27103cbffc0e235e32e26759202df6085716375c078bb"),
    "onnxruntime-1.20.1-cp313-cp313-macosx_13_0_universal2.whl":
        (31007574, "cc01437a32d0042b606f462245c8bbae269e5442797f6213e36ce61d5abdd8cc",
         "f771c5d980ac4189589267a06f758bd6c5667d07e55656bed6c6c0580733ad07"),
    "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_aarch64.whl":
        (23195070, "2303372a85299b6757b0e11e1cbf13e410ddf7e10c37f4b37e99d1c90e7daf7c",
         "b730103820b32e9dc1d1fcfc5b519fd2de5bd699d25a25895caf5d726350d1b5"),
    "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl":
        (27773237, "5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d",
         "1d46e6f356c9539d2eed44126de3421a81e217da2ad91b22dc11b379cb1e384f"),
    "onnxruntime-1.32.0-cp311-cp311-win_amd64.whl":
        (16695880, "d7e0c45cc5f456ad7805e6dd256a7662736cda9c2fd17becae194eb3c2f6df72",
         "07ffc797464da311c580ec477077a5c65d7841599a46c35392b5978c0a5ae9a4"),
    "onnxruntime-1.32.0-cp312-cp312-manylinux_2_28_aarch64.whl":
        (23196724, "e36c187006e7a7c8b8d6d57f1a209dd63f52430dca6c282b177718ad6b841054",
         "4a8f1e43fb994513c7c7a9c6965272ef89d963c1bd4080993a6267bf913701d1"),
    "onnxruntime-1.32.0-cp312-cp312-manylinux_2_28_x86_64.whl":
        (27780211, "99e1074c4b2197accd5073052a465361be17b89c093b8ffb6e6bd8f986c52df8",
         "a38155845186c20cba59f614991f4065dea148e48eeb9749893768c85ce64327"),
    "onnxruntime-1.32.0-cp312-cp312-win_amd64.whl":
        (16698767, "efe7456952c243a05a53d5b8732953625144642c2f3989094277f6217f0c0c40",
         "a93e27039badc39a1b01628b6b40b1ff1bf4a886e6dfb2f311c483606b7c86f7"),
    "onnxruntime-1.32.0-cp313-cp313-manylinux_2_28_aarch64.whl":
        (23195811, "54d02baff2df38777b4c3cc7af326406fe8b8a48f54720f4c446d2d327920a79",
         "96c726be6be3ebe42597a521645a7bb18701ce0716af87af0cd2c9281d2e84a5"),
    "onnxruntime-1.32.0-cp313-cp313-manylinux_2_28_x86_64.whl":
        (27780404, "02ea12a28c069ea8510093d95a7f6ff8126bfd9fc5c0d3381c03b80fb2b424ba",
         "92741f7c51522822e93aa91f633ebcd75688e2deebeca5901b2e6da8a8c5ad7c"),
    "onnxruntime-1.32.0-cp313-cp313-win_amd64.whl":
        (16697937, "c7f9aa98036ba2a47aa041a4a8c6d0a1f7bfe1bde44c131dcd15ce334f2f148d",
         "6feea776ccc71ba54de3739c20c7c815d9695c55db1d08e2b3c621452676c23f"),
    "opencv_python_headless-4.10.0.84-cp37-abi3-macosx_11_0_arm64.whl":
        (54835657, "a4f4bcb07d8f8a7704d9c8564c224c8b064c63f430e95b61ac0bffaa374d330e",
         "1c9b583c8d9259f6fc19413f83fd18dd8e6cbc8eefb0b4dc6da52dd151fe3272"),
    "opencv_python_headless-4.10.0.84-cp37-abi3-macosx_12_0_x86_64.whl":
        (56475470, "5ae454ebac0eb0a0b932e3406370aaf4212e6a3fdb5038cc86c7aea15a6851da",
         "c07bb4c67f5dad7a9a61c47f7a39e4050e8a4628bd64b3c3daaeb755d759f928"),
    "opencv_python_headless-4.12.0.88-cp37-abi3-macosx_13_0_x86_64.whl":
        (57326608, "365bb2e486b50feffc2d07a405b953a8f3e8eaa63865bc650034e5c71e7a5154",
         "05147e162714beed1cd5e7b5eb66fcbcba2f065c51b1d9da2463024c84d2f7c0"),
    "opencv_python_headless-5.0.0.93-cp37-abi3-macosx_13_0_arm64.whl":
        (48322581, "030ca5e0837a2963ab36ef896baa9767eb8d2b83353fb28af5a521e40dd8756f",
         "537c8c8097891c509d98cd128493835c95631c80be6a8f37ed9d25716c2e16f1"),
    "opencv_python_headless-5.0.0.93-cp37-abi3-manylinux_2_28_aarch64.whl":
        (39648433, "840bd717c21e5c11cadadc022a823315ea417f961213d06b4df010e019eb16f4",
         "3a981a28a7101e31801042b3098871a74b76c61581d328ef40774ff4edb53a56"),
    "opencv_python_headless-5.0.0.93-cp37-abi3-manylinux_2_28_x86_64.whl":
        (61204038, "ed709fdf9aa0bd1f2ed8549e71d19449b03a675bb581eb292285f6861953be37",
         "9b21f6ef335f6e65724aa78b8d792b48d40a48c381715f1e62f5a5049e09d07e"),
    "opencv_python_headless-5.0.0.93-cp37-abi3-win_amd64.whl":
        (43825962, "829717b6a95554f273e49e357cee3b3a2a26b6f4842fbc1bed2b45bdd8f87e0e",
         "b888763b967f7efd7226b82c9fae16d560cba049b1f0c036647e65c610fd636e"),
}
# END WHEELS
