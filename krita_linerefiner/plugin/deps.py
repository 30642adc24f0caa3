"""numpy, onnxruntime and OpenCV for Krita's own Python: find them, or say how to get them.

Krita ships its own Python without these packages, so install.py puts them into
`krita_linerefiner/vendor/`, or the docker's Install button (installer.py) into a `vendor-...`
folder that the pointer file names. This module is the only one that touches sys.path for that.
"""

from __future__ import annotations

import functools
import importlib
import json
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import installer, vendoring

PACKAGE_DIR = Path(__file__).resolve().parents[1]
VENDOR_DIR = PACKAGE_DIR / "vendor"  # install.py's
STAMP_NAME = installer.STAMP_NAME  # written by install.py and installer.py next to the packages

# (import name, pip package name)
REQUIRED = (
    ("numpy", "numpy"),
    ("onnxruntime", "onnxruntime"),
    ("cv2", "opencv-python-headless"),
)


# Packages installed in this session that it had already loaded from elsewhere: the new folder
# is used from the next start (use_installed).
RESTART_FOR: list[str] = []


@dataclass(frozen=True)
class MissingDependency:
    module: str
    package: str
    error: str
    # Another plugin's numpy in front of ours: a new copy of ours would not help.
    shadowed: bool = False


def vendor_dir() -> Path:
    """The folder the packages are imported from: the in-Krita installer's newest, else
    install.py's."""
    return installer.active_folder(PACKAGE_DIR) or VENDOR_DIR


def add_vendor_dir(vendor: Path | None = None) -> None:
    if vendor is None:
        # At start, before anything is imported from them: earlier installs' folders go.
        installer.remove_unused(PACKAGE_DIR)
        vendor = vendor_dir()
    entry = str(vendor)
    if vendor.is_dir() and entry not in sys.path:
        # After Krita's own entries: Krita's Python is shared by every plugin, and a copy of
        # numpy in front of theirs would replace the one their packages were built with.
        # missing() says which numpy is in the way when another one shadows ours.
        sys.path.append(entry)


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
    mismatch = numpy_mismatch()
    if mismatch is not None:
        found.append(mismatch)
    return tuple(found)


def numpy_mismatch() -> MissingDependency | None:
    """numpy 2 with an onnxruntime built for numpy 1 crashes the process at the first run, so
    that pairing counts as missing, naming where the numpy came from."""
    numpy, onnxruntime = sys.modules.get("numpy"), sys.modules.get("onnxruntime")
    if numpy is None or onnxruntime is None:
        return None
    # cv2.__version__ has no build number to check; onnxruntime is the one that crashes.
    pins = {"numpy": str(getattr(numpy, "__version__", "0")),
            "onnxruntime": str(getattr(onnxruntime, "__version__", "0")),
            "opencv-python-headless": "99"}
    problem = vendoring.compatible_set(pins)
    if problem is None:
        return None
    where = Path(str(getattr(numpy, "__file__", "") or "?")).parent
    shadowed = "" if vendor_dir() in where.parents else (
        f"; that numpy is from {where.parent} (another plugin or the system), in front of "
        "LineRefiner's")
    return MissingDependency("numpy", "numpy", f"numpy {pins['numpy']}: {problem}{shadowed}",
                             shadowed=bool(shadowed))


def vendored_for() -> str | None:
    """The Python version the vendored packages were installed for (install.py's stamp)."""
    try:
        stamp = json.loads((vendor_dir() / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = stamp.get("python_version") if isinstance(stamp, dict) else None
    return version if isinstance(version, str) else None


def running_target() -> vendoring.Target | None:
    return vendoring.target_for(sys.platform, platform.machine(), platform.mac_ver()[0])


@functools.cache
def installable() -> installer.Plan | None:
    """What the docker's Install button fetches: only when a package fails to import (not when
    another plugin's numpy is in the way, which a new copy of ours behind it would not fix)."""
    if RESTART_FOR or all(p.shadowed for p in missing()):
        return None
    return installer.running_plan()[0]


def use_installed(folder: Path) -> list[str]:
    """Import from `folder` (just installed) from now on. Returns the modules that this Krita
    session already loaded from elsewhere and cannot load again: then nothing changes in this
    session (the new packages next to an old numpy could crash it) and Krita must restart.
    A module that failed to import is not loaded; the pure-Python pieces such a failure left in
    sys.modules are dropped so the new copy is imported whole."""
    stuck = []
    for module, _ in REQUIRED:
        leftovers = [name for name in sys.modules if name.startswith(module + ".")]
        if module in sys.modules or any(
                str(getattr(sys.modules[name], "__file__", "") or "").endswith(
                    (".so", ".pyd", ".dylib")) for name in leftovers):
            stuck.append(module)
    if stuck:
        RESTART_FOR[:] = stuck
        installable.cache_clear()
        return stuck
    for module, _ in REQUIRED:
        for name in [n for n in sys.modules if n.startswith(module + ".")]:
            del sys.modules[name]
    old = [i for i, entry in enumerate(sys.path) if Path(entry).parent == PACKAGE_DIR
           and Path(entry).name.startswith("vendor")]
    for i in reversed(old):
        del sys.path[i]
    if old:
        sys.path.insert(old[0], str(folder))
    else:
        sys.path.append(str(folder))
    importlib.invalidate_caches()
    missing.cache_clear()
    installable.cache_clear()
    return stuck


def fix_command(python: str | None = None, target: vendoring.Target | None = None) -> str:
    """The command that installs the locked packages for exactly this Krita's Python and
    platform (or the given ones); empty when there is no locked set for them."""
    python = python or vendoring.running_python()
    target = target or running_target()
    requirements = vendoring.requirements(python, target) if target is not None else None
    if target is None or requirements is None:
        return ""
    vendor = vendor_dir()
    folder = f'"{vendor}"' if " " in str(vendor) else str(vendor)
    tags = " ".join(f"--platform {tag}" for tag in vendoring.platform_tags(target))
    # The whole locked set, even when one package failed: its versions belong together.
    return (
        f"pip install --upgrade --target {folder} --python-version {python} --implementation cp "
        f"--only-binary=:all: {tags} {' '.join(requirements)}"
    )


def report(problems: tuple[MissingDependency, ...]) -> str:
    """A short message naming each package that failed and the command that fixes it."""
    if not problems:
        return ""
    if RESTART_FOR:
        return ("LineRefiner's packages are installed; restart Krita to use them (this session "
                f"had already loaded {', '.join(RESTART_FOR)} from the old folder).")
    names = ", ".join(f"{p.package} ({p.module}: {p.error})" for p in problems)
    python = vendoring.running_python()
    installed_for = vendored_for()
    if installed_for is not None and installed_for != python:
        names += (f". The packages in {vendor_dir()} were installed for Python "
                  f"{installed_for}, and this Krita runs Python {python} (Krita was updated): "
                  "install them again")
    command = fix_command()
    if not command:
        why = vendoring.why_not_locked(python, running_target())
        return (f"LineRefiner cannot import {names}. There is no tested set of these packages "
                f"for this Krita: {why}.")
    plan = installable()
    button = (f'Press "Install dependencies" in the Line Refiner docker (about {plan.megabytes} '
              "MB), or run" if plan is not None else "Run")
    return (
        f"LineRefiner cannot import {names}. {button} python3 install.py from the LineRefiner "
        f"folder, or: {command}"
    )
