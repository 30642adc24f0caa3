"""numpy, onnxruntime and OpenCV for Krita's own Python: find them, or say how to get them.

Krita ships its own Python without these packages, so install.py puts them into
`krita_linerefiner/vendor/`. This module is the only one that touches sys.path for that.
"""

from __future__ import annotations

import functools
import importlib
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
VENDOR_DIR = PACKAGE_DIR / "vendor"

# (import name, pip package name)
REQUIRED = (
    ("numpy", "numpy"),
    ("onnxruntime", "onnxruntime"),
    ("cv2", "opencv-python-headless"),
)


@dataclass(frozen=True)
class MissingDependency:
    module: str
    package: str
    error: str


def add_vendor_dir(vendor: Path = VENDOR_DIR) -> None:
    entry = str(vendor)
    if vendor.is_dir() and entry not in sys.path:
        # In front, so a different numpy from a system site-packages that Krita's Python can
        # see does not shadow the one built to match the vendored onnxruntime and OpenCV.
        sys.path.insert(0, entry)


@functools.cache
def missing() -> tuple[MissingDependency, ...]:
    """Every required package that fails to import, with the reason; empty when all load."""
    add_vendor_dir()
    found: list[MissingDependency] = []
    for module, package in REQUIRED:
        try:
            importlib.import_module(module)
        except Exception as error:  # a broken binary raises OSError etc., not just ImportError
            found.append(MissingDependency(module, package, f"{type(error).__name__}: {error}"))
    return tuple(found)


def pip_platform() -> str:
    machine = platform.machine().lower()
    if sys.platform == "win32":
        return "win_amd64"
    if sys.platform == "darwin":
        return "macosx_11_0_arm64" if machine == "arm64" else "macosx_10_15_x86_64"
    return f"manylinux2014_{'aarch64' if machine in ('aarch64', 'arm64') else 'x86_64'}"


def fix_command(packages: tuple[str, ...] | None = None) -> str:
    """The command that installs the packages for exactly this Krita's Python and platform."""
    names = packages or tuple(package for _, package in REQUIRED)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    target = f'"{VENDOR_DIR}"' if " " in str(VENDOR_DIR) else str(VENDOR_DIR)
    return (
        f"pip install --target {target} --python-version {version} --only-binary=:all: "
        f"--platform {pip_platform()} {' '.join(names)}"
    )


def report(problems: tuple[MissingDependency, ...]) -> str:
    """A short message naming each package that failed and the command that fixes it."""
    if not problems:
        return ""
    names = ", ".join(f"{p.package} ({p.module}: {p.error})" for p in problems)
    return (
        f"LineRefiner cannot import {names}. Run python3 install.py from the LineRefiner "
        f"folder, or: {fix_command(tuple(p.package for p in problems))}"
    )
