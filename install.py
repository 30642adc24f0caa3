#!/usr/bin/env python3
"""Install LineRefiner into Krita, remove it again, or build a zip for Krita's plugin importer.

    python3 install.py                      install into the Krita found on this computer
    python3 install.py --uninstall          remove everything install.py added
    python3 install.py --zip OUT.zip        zip for Tools > Scripts > Import Python Plugin from File

Standard library only: it runs with whatever python3 the user has (3.8 or newer), which is
usually not Krita's own Python. That is why the dependencies are fetched with pip for Krita's
Python version and platform, not for the interpreter running this file.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import importlib.util
import json
import os
import platform
import plistlib
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PLUGIN = "krita_linerefiner"
REPO = Path(__file__).resolve().parent
# The repo names these after the product; Krita's importer names them after the module
# (pykrita/<module>.desktop, actions/<module>.action). Installing under the importer's names means
# a zip import and install.py replace each other instead of leaving two copies of the plugin.
DESKTOP_SOURCE = "linerefiner.desktop"
ACTION_SOURCE = f"{PLUGIN}/linerefiner.action"
DESKTOP_NAME = f"{PLUGIN}.desktop"
ACTION_NAME = f"{PLUGIN}.action"
LEGACY_DESKTOP_NAME = "linerefiner.desktop"

# Same list as pyproject's [project] dependencies (a test keeps them equal); kept here because
# this file must not need a TOML parser on Pythons older than 3.11. What is installed for Krita
# are the exact versions from krita_linerefiner/vendoring.py's lock.
REQUIREMENTS = ("numpy>=1.24", "onnxruntime>=1.16", "opencv-python-headless>=4.8")
STAMP_NAME = "linerefiner-deps.json"
STAMP_FORMAT = 1
# Inside the installed package: what this install created (folders, a kritarc), so that
# --uninstall removes exactly that and nothing the user or Krita made.
RECORD_NAME = "linerefiner-install.json"
RECORD_FORMAT = 1
# Krita 5.2 is the first official build with Python 3.10; 5.0/5.1 official builds have 3.8.
MIN_KRITA_PYTHON = (3, 10)

KRITARC_GROUP = "python"
KRITARC_KEY = f"enable_{PLUGIN}"
# Short: the staged vendor folder's deepest paths must stay under Windows' 260 characters.
STAGING_PREFIX = ".lr-tmp-"
KEPT_PREFIX = ".lr-backup-"

# Copied out of the package: caches, files installed elsewhere, and folders install.py fills.
SKIP_ANYWHERE = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")
SKIP_SUFFIXES = (".pyc", ".pyo")
SKIP_AT_TOP = ("vendor", "models", "linerefiner.action", "vendor-active.json")
# What the docker's Install button made in a checkout Krita ran from (installer.py).
SKIP_PREFIXES_AT_TOP = ("vendor-", ".vendor-")


class InstallError(Exception):
    """A failure the user can act on: printed without a traceback, exit status 1."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def say(message: str = "") -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Where Krita keeps things


@dataclass(frozen=True)
class KritaLocation:
    """One Krita installation kind: its resource folder, its kritarc, and where its binaries
    reveal which Python it embeds."""

    name: str
    resource_dir: Path
    kritarc: Path
    python_globs: tuple[str, ...] = ()


def _kritaplugin_globs(prefixes: Iterable[str], bundled_python: bool) -> list[str]:
    # kritapykrita.so links libpython3.X, which names Krita's Python exactly. A libpython next to
    # it counts only where Krita brings its own (Flatpak); under /usr it is just the system's.
    patterns = []
    for prefix in prefixes:
        for lib in ("lib", "lib64", "lib/*"):
            patterns.append(f"{prefix}/{lib}/kritaplugins/krita*py*.so")
        if bundled_python:
            patterns.append(f"{prefix}/lib/libpython3.*.so*")
    return patterns


def krita_locations(system: str | None = None, env: dict[str, str] | None = None,
                    home: Path | None = None) -> list[KritaLocation]:
    system = system or platform.system()
    env = dict(os.environ) if env is None else env
    home = home or Path(env.get("HOME") or Path.home())
    if system == "Windows":
        appdata, local = env.get("APPDATA"), env.get("LOCALAPPDATA")
        if not appdata or not local:
            return []
        roots = [env.get(k) for k in ("ProgramW6432", "ProgramFiles", "ProgramFiles(x86)")]
        roots.append(str(Path(local) / "Programs"))
        globs = tuple(f"{root}/Krita*/bin/python3*.dll" for root in roots if root)
        found = [KritaLocation("Krita", Path(appdata) / "krita", Path(local) / "kritarc", globs)]
        # The Microsoft Store build sees %APPDATA% and %LOCALAPPDATA% redirected into its
        # package folder; its program folder (WindowsApps) can't be read for the Python version.
        for package in sorted(glob.glob(glob.escape(local) + "/Packages/49800Krita_*")):
            cache = Path(package) / "LocalCache"
            found.append(KritaLocation("Krita (Microsoft Store)", cache / "Roaming" / "krita",
                                       cache / "Local" / "kritarc"))
        return found
    if system == "Darwin":
        globs = []
        for apps in ("/Applications", str(home / "Applications")):
            app = f"{apps}/[Kk]rita*.app/Contents"
            globs += [f"{app}/Frameworks/Python.framework/Versions/3.*",
                      f"{app}/Frameworks/libpython3.*.dylib", f"{app}/lib/python3.*"]
        return [KritaLocation("Krita", home / "Library/Application Support/krita",
                              home / "Library/Preferences/kritarc", tuple(globs))]
    data = Path(env.get("XDG_DATA_HOME") or home / ".local/share")
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    flatpak_apps = [f"{base}/app/org.kde.krita/current/active/files"
                    for base in ("/var/lib/flatpak", str(data / "flatpak"))]
    flatpak = home / ".var/app/org.kde.krita"
    return [
        KritaLocation("Krita", data / "krita", config / "kritarc",
                      tuple(_kritaplugin_globs(["/usr", "/usr/local", "/opt/krita"], False))),
        KritaLocation("Krita (Flatpak)", flatpak / "data/krita", flatpak / "config/kritarc",
                      tuple(_kritaplugin_globs(flatpak_apps, True))),
    ]


def krita_path_globs(krita_path: Path) -> list[str]:
    """Patterns under a Krita install the user points at: a prefix, an extracted AppImage
    (squashfs-root), a Windows install folder or Krita.app."""
    root = glob.escape(str(krita_path))
    relative = ["lib/kritaplugins/krita*py*.so", "lib/*/kritaplugins/krita*py*.so",
                "lib64/kritaplugins/krita*py*.so", "usr/lib/kritaplugins/krita*py*.so",
                "usr/lib/*/kritaplugins/krita*py*.so", "lib/libpython3.*.so*",
                "usr/lib/libpython3.*.so*", "bin/python3*.dll", "python3*.dll",
                "Contents/Frameworks/Python.framework/Versions/3.*",
                "Contents/Frameworks/libpython3.*.dylib", "Contents/lib/python3.*"]
    return [root] + [f"{root}/{pattern}" for pattern in relative]


def read_kritarc_value(kritarc: Path, group: str | None, key: str) -> str | None:
    """The value of `key` in `group` (None: the entries before any group header)."""
    try:
        text = kritarc.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped[1:-1] if stripped.endswith("]") else stripped
            continue
        if current == group and _entry_key(line) == key:
            return line.split("=", 1)[1].strip()
    return None


def choose_location(locations: Sequence[KritaLocation]) -> KritaLocation:
    found = [loc for loc in locations if loc.resource_dir.is_dir()]
    if not found:
        looked = "\n".join(f"  {loc.resource_dir}" for loc in locations) or "  (nowhere)"
        raise InstallError(
            f"Krita's resource folder was not found. Looked in:\n{looked}",
            hint="Start Krita once (it creates the folder), then run this again. If Krita keeps "
                 "its resources elsewhere, pass --resource-dir DIR (in Krita: Settings > "
                 "Manage Resources > Open Resource Folder shows it).")
    # Two Kritas (say a distribution package and the Flatpak): the one used last wins.
    chosen = max(found, key=lambda loc: _mtime(loc.kritarc))
    for other in found:
        if other != chosen:
            say(f"Note: another Krita resource folder exists at {other.resource_dir}; installing "
                f"into {chosen.resource_dir} (used more recently). Use --resource-dir to choose.")
    custom = read_kritarc_value(chosen.kritarc, None, "ResourceDirectory")
    if custom and Path(custom).is_dir() and Path(custom) != chosen.resource_dir:
        say(f"Krita is set to keep its resources in {custom} (kritarc ResourceDirectory).")
        return KritaLocation(chosen.name, Path(custom), chosen.kritarc, chosen.python_globs)
    return chosen


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# --------------------------------------------------------------------------------------------
# Krita's Python version and platform

_NAME_VERSION = re.compile(r"(?:^|python)3\.?(\d{1,2})(?!\d)")
_LINKED_VERSION = re.compile(rb"libpython3\.(\d{1,2})(?!\d)")


def python_version_of(path: Path) -> str | None:
    """Python version named by a Krita file: python310.dll, Versions/3.10, libpython3.10.so,
    or a binary (kritapykrita.so) that links libpython3.X."""
    match = _NAME_VERSION.search(path.name)
    if match:
        return f"3.{int(match.group(1))}"
    if path.is_file() and (".so" in path.name or path.suffix in (".dll", ".dylib")):
        try:
            linked = _LINKED_VERSION.search(path.read_bytes())
        except OSError:
            return None
        if linked:
            return f"3.{int(linked.group(1))}"
    return None


def detect_python_version(patterns: Iterable[str]) -> tuple[str, Path]:
    """Krita's Python version from the first files matching `patterns` that name one."""
    found: dict[str, Path] = {}
    for pattern in patterns:
        for name in sorted(glob.glob(pattern)):
            version = python_version_of(Path(name))
            if version and version not in found:
                found[version] = Path(name)
    if len(found) == 1:
        version, evidence = next(iter(found.items()))
        return version, evidence
    how = ("in Krita, open Tools > Scripts > Scripter and run: import sys; print(sys.version)"
           " - then pass the first two numbers, e.g. --python-version 3.10")
    if not found:
        raise InstallError(
            "could not find which Python version Krita uses (no Krita installation was found "
            "in the usual places; AppImages can't be looked into).",
            hint=f"Pass --python-version X.Y: {how}. Or pass --krita-path to Krita's install "
                 "folder (for an AppImage: run it with --appimage-extract and pass the "
                 "squashfs-root folder), or use --no-deps and provide numpy, onnxruntime and "
                 "opencv-python-headless yourself.")
    listed = ", ".join(f"{v} ({p})" for v, p in found.items())
    raise InstallError(f"found more than one Krita Python version: {listed}.",
                       hint=f"Pass --python-version for the Krita you use: {how}.")


def default_platforms(system: str | None = None, machine: str | None = None,
                      libc: tuple[str, str] | None = None,
                      mac_version: str | None = None) -> list[str]:
    """pip platform tags for Krita on this computer."""
    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    if system == "Windows":
        # Krita for Windows is x64 only (emulated on ARM64 Windows); OpenCV has no win_arm64.
        return ["win_amd64"]
    if system == "Darwin":
        arch = "arm64" if machine in ("arm64", "aarch64") else "x86_64"
        release = (mac_version or platform.mac_ver()[0] or "11.0").split(".")
        major = int(release[0])
        minor = int(release[1]) if major == 10 and len(release) > 1 else 0
        # pip itself widens a macosx tag to older macOS versions and to universal2.
        return [f"macosx_{major}_{minor}_{arch}"]
    if system == "Linux":
        arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
        name, version = libc or platform.libc_ver()
        match = re.match(r"2\.(\d+)", version)
        if name != "glibc" or not match:
            raise InstallError(
                f"this Linux uses {name or 'an unknown C library'}, and the dependencies only "
                "come as wheels built for glibc (manylinux).",
                hint="Pass --platform and --python-version for the Krita you run, or use "
                     "--no-deps and install numpy, onnxruntime and opencv-python-headless "
                     "yourself.")
        return expand_platform(f"manylinux_2_{match.group(1)}_{arch}")
    raise InstallError(f"don't know which wheels fit Krita on {system}.",
                       hint="Pass --platform TAG (a pip platform tag) or use --no-deps.")


def expand_platform(tag: str) -> list[str]:
    """A manylinux_2_Y tag also accepts wheels built for older glibc; pip doesn't widen these
    itself, and numpy, onnxruntime and opencv publish under different manylinux tags (recent
    onnxruntime only as manylinux_2_27/2_28, so manylinux2014 alone gets a years-old one)."""
    match = re.fullmatch(r"manylinux_2_(\d+)_(\w+)", tag)
    if not match:
        return [tag]
    newest, arch = int(match.group(1)), match.group(2)
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(newest, 16, -1)]
    return tags + [f"manylinux2014_{arch}"]


# --------------------------------------------------------------------------------------------
# macOS: the wheels fit Krita.app itself, not the Python running this file

# Mach-O CPU types (mach/machine.h): CPU_TYPE_X86_64, CPU_TYPE_ARM64.
MACHO_CPUS = {0x01000007: "x86_64", 0x0100000C: "arm64"}
MAC_HINT = "Pass --platform, e.g. macosx_13_0_arm64 or macosx_12_0_x86_64."


def macho_archs(binary: Path) -> list[str]:
    """The architectures a Mach-O file (thin or universal) holds; [] if it is not one."""
    try:
        with binary.open("rb") as handle:
            head = handle.read(8 + 32 * 8)
    except OSError:
        return []
    if len(head) < 8:
        return []
    magic, count = struct.unpack(">II", head[:8])
    if magic in (0xCAFEBABE, 0xCAFEBABF):  # universal: big-endian fat header, 20 or 32 B each
        size = 20 if magic == 0xCAFEBABE else 32
        cpus = [struct.unpack(">I", head[8 + i * size: 12 + i * size])[0]
                for i in range(min(count, 8)) if len(head) >= 12 + i * size]
    elif struct.unpack("<I", head[:4])[0] in (0xFEEDFACE, 0xFEEDFACF):  # thin, little-endian
        cpus = [struct.unpack("<I", head[4:8])[0]]
    else:
        return []
    return [MACHO_CPUS[cpu] for cpu in cpus if cpu in MACHO_CPUS]


@dataclass(frozen=True)
class KritaApp:
    app: Path
    minimum: str  # LSMinimumSystemVersion: the oldest macOS this Krita runs on
    archs: tuple[str, ...]


def is_krita_app(path: Path) -> bool:
    return (path / "Contents" / "Info.plist").is_file()


def read_krita_app(app: Path) -> KritaApp:
    """Deployment target and architectures of Krita.app, from its Info.plist and the Mach-O
    header of its main binary (else its Python library)."""
    contents = app / "Contents"
    try:
        with (contents / "Info.plist").open("rb") as handle:
            info = plistlib.load(handle)
    except (OSError, plistlib.InvalidFileException, ValueError) as error:
        raise InstallError(f"{app} is not a readable Krita.app (Contents/Info.plist: "
                           f"{error}).", hint=MAC_HINT) from error
    minimum = str(info.get("LSMinimumSystemVersion") or "")
    binaries = [contents / "MacOS" / str(info.get("CFBundleExecutable") or "krita")]
    binaries += sorted(contents.glob("Frameworks/Python.framework/Versions/3.*/Python"))
    binaries += sorted(contents.glob("Frameworks/libpython3.*.dylib"))
    archs: list[str] = next((found for found in map(macho_archs, binaries) if found), [])
    if not re.fullmatch(r"\d+(\.\d+)*", minimum) or not archs:
        raise InstallError(f"could not read which macOS version and processor {app} is built "
                           "for (LSMinimumSystemVersion in Contents/Info.plist, the Mach-O "
                           "header of Contents/MacOS/krita).",
                           hint=MAC_HINT)
    return KritaApp(app, minimum, tuple(archs))


def find_krita_apps(home: Path) -> list[Path]:
    found = []
    for apps in ("/Applications", str(home / "Applications")):
        found += [Path(p) for p in sorted(glob.glob(f"{glob.escape(apps)}/[Kk]rita*.app"))]
    return [app for app in found if is_krita_app(app)]


def mac_tag(version: str, arch: str) -> str:
    parts = [int(p) for p in version.split(".")[:2]] + [0]
    major, minor = parts[0], parts[1] if parts[0] == 10 else 0
    if arch == "arm64" and major < 11:
        major, minor = 11, 0  # the first macOS on Apple silicon
    return f"macosx_{major}_{minor}_{arch}"


def krita_app_platform(krita: KritaApp, python_version: str, machine: str,
                       mac_version: str) -> tuple[str, str]:
    """The platform tag for Krita.app's wheels and a line saying why. The architecture is the
    one Krita runs as here (an Intel-only Krita runs under Rosetta on Apple silicon and needs
    x86_64 wheels). The macOS level is Krita's own minimum, so the packages run wherever this
    Krita does; where the lock has no set that old (Python 3.13 needs macOS 13), this Mac's."""
    here = "arm64" if machine.lower() in ("arm64", "aarch64") else "x86_64"
    arch = here if here in krita.archs else krita.archs[0]
    tag = mac_tag(krita.minimum, arch)
    why = f"{krita.app.name} is built for {'/'.join(krita.archs)}, macOS {krita.minimum} or newer"
    vendoring = load_vendoring()
    target = vendoring.target_for_tag(tag)
    unlocked = target is None or vendoring.requirements(python_version, target) is None
    if unlocked and mac_version:
        newer = mac_tag(mac_version, arch)
        return newer, (f"{why}; the packages for its Python {python_version} need a newer "
                       f"macOS, so they are for this Mac's ({mac_version})")
    return tag, why


# --------------------------------------------------------------------------------------------
# Linux AppImages: their own Python, and the same resource folder as a distribution's Krita

APPIMAGE_PLACES = ("Applications", "Downloads", "bin", ".local/bin", "")


def is_appimage(path: Path) -> bool:
    """An AppImage file: an ELF with the AppImage type 1/2 mark at byte 8, or so named."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(11)
    except OSError:
        return False
    marked = head[:4] == b"\x7fELF" and head[8:10] == b"AI" and head[10:11] in (b"\x01",
                                                                                   b"\x02")
    return marked or path.name.lower().endswith(".appimage")


def is_extracted_appimage(path: Path) -> bool:
    return (path / "AppRun").exists() and bool(glob.glob(f"{glob.escape(str(path))}/usr/lib/"
                                                         "libpython3.*.so*"))


def appimage_python(appimage: Path) -> tuple[str, Path]:
    """The Python version an AppImage bundles: its usr/lib/libpython3.X, pulled out with the
    AppImage's own --appimage-extract (the image is compressed; nothing else reads it)."""
    with tempfile.TemporaryDirectory(prefix="lr-appimage-") as folder:
        try:
            done = subprocess.run([str(appimage.resolve()), "--appimage-extract",
                                   "usr/lib/libpython3*"], cwd=folder, capture_output=True,
                                  text=True, timeout=300, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise InstallError(
                f"could not look into the AppImage {appimage}: {error}.",
                hint=f"Make it executable (chmod +x {shlex.quote(str(appimage))}), or pass "
                     "--python-version X.Y (Krita 5.2 AppImages: 3.10).") from error
        root = Path(folder) / "squashfs-root"
        if done.returncode != 0 or not root.is_dir():
            raise InstallError(f"{appimage} --appimage-extract failed: "
                               f"{(done.stderr or done.stdout).strip()[-300:]}",
                               hint="Pass --python-version X.Y (Krita 5.2 AppImages: 3.10).")
        version, _ = detect_python_version([f"{glob.escape(str(root))}/usr/lib/libpython3.*"])
    return version, appimage / "usr/lib" / f"libpython{version}.so"


def find_appimages(home: Path) -> list[Path]:
    found = []
    for place in APPIMAGE_PLACES:
        folder = glob.escape(str(home / place)) if place else glob.escape(str(home))
        found += [Path(p) for p in sorted(glob.glob(f"{folder}/[Kk]rita*.[Aa]pp[Ii]mage"))]
    return found


def shared_folder_warning(appimage: Path, appimage_version: str | None,
                          other: str, other_version: str | None) -> str:
    """The warning for an AppImage and a distribution Krita using one resource folder."""
    versions = (f" (Python {appimage_version} and {other_version})"
                if appimage_version and other_version and appimage_version != other_version
                else "")
    return (f"the Krita AppImage {appimage} and the Krita at {other} use the same resource "
            f"folder{versions}, so they share this one LineRefiner install, whose packages fit "
            "one Python. Krita whose Python they do not fit says so in the Line Refiner docker "
            "and offers to install its own (which replaces these). To keep both working, give "
            "the AppImage a profile of its own: run it once with --appimage-portable-home "
            "next to it and pass that folder's .local/share/krita as --resource-dir.")


# --------------------------------------------------------------------------------------------
# kritarc: a Qt/KConfig INI file. Edited line by line so that everything else stays byte for byte;
# configparser would reorder, lowercase keys and drop comments.


def _entry_key(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "[")) or "=" not in stripped:
        return None
    # key[$i] (immutable) and key[de] (localised) are the same key for our purpose.
    return re.sub(r"\[[^\]]*\]", "", stripped.split("=", 1)[0]).strip()


def set_kritarc_entry(text: str, group: str, key: str, value: str | None) -> str:
    """`text` with key=value in [group] (value None: the key removed, and the group too if
    nothing else is left in it). Every other line is kept exactly."""
    lines = [line for line in re.split(r"(?<=\n)", text) if line]
    newline = "\r\n" if "\r\n" in text else "\n"
    header = f"[{group}]"
    owner: list[str | None] = []
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped
        owner.append(current)
    ours = [i for i, line in enumerate(lines) if owner[i] == header and _entry_key(line) == key]

    if value is None:
        lines = [line for i, line in enumerate(lines) if i not in ours]
        return "".join(_drop_empty_group(lines, header))
    if ours:
        for i in ours:
            body = lines[i].rstrip("\r\n")
            ending = lines[i][len(body):]
            lines[i] = body.split("=", 1)[0] + "=" + value + ending
        return "".join(lines)

    entry = f"{key}={value}{newline}"
    headers = [i for i, line in enumerate(lines) if line.strip() == header]
    if headers:
        at = headers[0] + 1
        # After the group's last entry, before the blank line that separates it from the next.
        for i in range(headers[0] + 1, len(lines)):
            if owner[i] != header or lines[i].strip().startswith("["):
                break
            if lines[i].strip():
                at = i + 1
        if not lines[at - 1].endswith("\n"):
            lines[at - 1] += newline
        lines.insert(at, entry)
        return "".join(lines)
    out = "".join(lines)
    if out and not out.endswith("\n"):
        out += newline
    if out and not out.endswith(newline * 2):
        out += newline
    return out + header + newline + entry


def _drop_empty_group(lines: list[str], header: str) -> list[str]:
    for i, line in enumerate(lines):
        if line.strip() != header:
            continue
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith("["):
            if lines[end].strip():
                break
            end += 1
        else:
            # Only blank lines until the next group: drop the header and the blank line that
            # was written before it, keeping the one that separates the next group.
            start = i - 1 if i > 0 and not lines[i - 1].strip() else i
            return lines[:start] + lines[i + 1:]
    return lines


def write_kritarc(kritarc: Path, value: str | None) -> bool:
    """Set or remove the enable key. Returns whether the file changed."""
    target = kritarc.resolve() if kritarc.is_symlink() else kritarc
    try:
        old_bytes = target.read_bytes()
    except FileNotFoundError:
        if value is None:
            return False
        old_bytes = b""
    # surrogateescape carries any byte that isn't UTF-8 through unchanged.
    old = old_bytes.decode("utf-8", "surrogateescape")
    new = set_kritarc_entry(old, KRITARC_GROUP, KRITARC_KEY, value)
    if new == old:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".kritarc-", dir=str(target.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new.encode("utf-8", "surrogateescape"))
        if old_bytes or target.exists():
            shutil.copymode(str(target), tmp_name)
        os.replace(tmp_name, str(target))
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return True


# --------------------------------------------------------------------------------------------
# Dependencies


@dataclass(frozen=True)
class DepsSpec:
    python_version: str
    platforms: tuple[str, ...]
    requirements: tuple[str, ...] = REQUIREMENTS

    def identity(self) -> dict[str, object]:
        return {"format": STAMP_FORMAT, "python_version": self.python_version,
                "platforms": list(self.platforms), "requirements": list(self.requirements)}

    def cache_key(self) -> str:
        digest = hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()
        return f"cp{self.python_version.replace('.', '')}-{self.platforms[0]}-{digest[:10]}"

    def describe(self) -> str:
        return f"Python {self.python_version} on {self.platforms[0]}"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]


def installed_versions(vendor: Path) -> dict[str, str]:
    versions = {}
    for info in vendor.glob("*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        versions[_normalise(name)] = version
    return versions


def write_stamp(vendor: Path, spec: DepsSpec) -> None:
    stamp = dict(spec.identity(), installed=installed_versions(vendor),
                 created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    (vendor / STAMP_NAME).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")


def vendor_matches(vendor: Path, spec: DepsSpec) -> bool:
    """A vendor folder made for this spec, with every requirement still in it."""
    try:
        stamp = json.loads((vendor / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict) or any(stamp.get(k) != v for k, v in spec.identity().items()):
        return False
    have = installed_versions(vendor)
    return all(_normalise(_requirement_name(r)) in have for r in spec.requirements)


def run_pip(spec: DepsSpec, target: Path, pip_cmd: Sequence[str], verbose: bool) -> None:
    command = [*pip_cmd, "install", "--target", str(target),
               "--python-version", spec.python_version, "--implementation", "cp",
               "--only-binary=:all:", "--no-compile", "--disable-pip-version-check",
               "--no-input"]
    for tag in spec.platforms:
        command += ["--platform", tag]
    command += list(spec.requirements)
    names = ", ".join(_requirement_name(r) for r in spec.requirements)
    say(f"Downloading {names} for {spec.describe()} with pip (about 100 MB, a few minutes)...")
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, text=True, errors="replace")
    except OSError as error:
        raise InstallError(f"could not run pip ({shlex.join(pip_cmd)}): {error}",
                           hint="Install pip for this Python (Debian/Ubuntu: sudo apt install "
                                "python3-pip), pass --pip-cmd, or use --no-deps.") from error
    output = []
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if verbose:
            print(f"  pip: {line}", end="", flush=True)
    if process.wait() != 0:
        raise pip_error(spec, "".join(output), process.returncode)
    missing = [r for r in spec.requirements
               if _normalise(_requirement_name(r)) not in installed_versions(target)]
    if missing:
        raise InstallError(f"pip finished but did not install {', '.join(missing)}.",
                           hint="Run again with --verbose to see pip's output.")


def pip_error(spec: DepsSpec, output: str, code: int) -> InstallError:
    """Turn pip's output into a message that says what went wrong and what to do."""
    if "No module named pip" in output:
        return InstallError(f"pip is not available for {sys.executable}.",
                            hint="Install it (Debian/Ubuntu: sudo apt install python3-pip; "
                                 "elsewhere: python3 -m ensurepip), or pass --pip-cmd.")
    missing = re.search(r"No matching distribution found for ([A-Za-z0-9_.\-]+)", output)
    if missing:
        name = missing.group(1)
        return InstallError(
            f"pip could not download {name} for {spec.describe()}: {name} has no wheel for "
            "that Python and platform (yet).",
            hint=f"Check that {spec.python_version} is Krita's Python (Tools > Scripts > "
                 f"Scripter: import sys; print(sys.version)) and the platform is right; "
                 f"https://pypi.org/project/{name}/#files lists the wheels there are. Or use "
                 "--no-deps and provide the packages yourself.")
    network = ("NewConnectionError", "Temporary failure in name resolution", "ProxyError",
               "Max retries exceeded", "Could not fetch URL", "SSLError", "ConnectTimeout")
    if any(marker in output for marker in network):
        return InstallError(
            "pip could not reach the package index to download the dependencies.",
            hint="Check the internet connection (and HTTPS_PROXY if you need a proxy), then "
                 "run this again; nothing was changed.")
    tail = "\n".join("  " + line for line in output.strip().splitlines()[-15:])
    return InstallError(f"pip failed (exit status {code}) fetching {spec.describe()}:\n{tail}",
                        hint="Nothing was changed. Run again with --verbose for pip's full "
                             "output, or use --no-deps.")


def provide_deps(spec: DepsSpec, vendor: Path, *, work: Path, options: Options,
                 reuse: Sequence[Path] = ()) -> None:
    """Fill `vendor` (not yet existing): from a matching installed copy, else the cache,
    else pip. A fresh download is stamped and stored in the cache."""
    cache = options.cache
    candidates = [*reuse, *([cache / spec.cache_key()] if cache else [])]
    for candidate in [] if options.refresh else candidates:
        if vendor_matches(candidate, spec):
            say(f"Reusing dependencies for {spec.describe()} from {candidate}")
            shutil.copytree(str(candidate), str(vendor), symlinks=True)
            return
    download = work / "pip-target"
    run_pip(spec, download, options.pip_cmd, options.verbose)
    # Console scripts point at the interpreter that ran pip, not Krita's: of no use in Krita.
    shutil.rmtree(str(download / "bin"), ignore_errors=True)
    write_stamp(download, spec)
    os.replace(str(download), str(vendor))
    if cache is not None:
        store_in_cache(vendor, cache / spec.cache_key())


def store_in_cache(vendor: Path, entry: Path) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=str(entry.parent)))
        try:
            shutil.copytree(str(vendor), str(tmp / "vendor"), symlinks=True)
            if entry.exists():
                shutil.rmtree(str(entry))
            os.replace(str(tmp / "vendor"), str(entry))
        finally:
            shutil.rmtree(str(tmp), ignore_errors=True)
    except OSError as error:
        # The install itself is fine; only the next run will download again.
        warn(f"could not store the dependencies in the cache {entry}: {error}")


# --------------------------------------------------------------------------------------------
# The plugin tree


def _ignore_for(top: Path) -> Callable[[str, list[str]], set[str]]:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in SKIP_ANYWHERE or n.endswith(SKIP_SUFFIXES)}
        if Path(folder) == top:
            skipped |= {n for n in names
                         if n in SKIP_AT_TOP or n.startswith(SKIP_PREFIXES_AT_TOP)}
        return skipped
    return ignore


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_models(source: Path, dest: Path) -> list[str]:
    """manifest.json and the model files it lists, each checked against its sha256."""
    manifest_path = source / "manifest.json"
    if not manifest_path.is_file():
        warn(f"{manifest_path} not found: installing without models; the plugin can't run "
             "until they are there.")
        return []
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = manifest["models"]
        files = [(str(entry["file"]), entry.get("sha256")) for entry in entries.values()]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise InstallError(f"{manifest_path} is not a valid model manifest: {error!r}") from error
    dest.mkdir()
    shutil.copy2(str(manifest_path), str(dest / "manifest.json"))
    for name, expected in files:
        model = source / name
        if not model.is_file() or Path(name).name != name:
            raise InstallError(f"{model} is listed in manifest.json but missing.")
        if expected and _sha256(model) != expected:
            raise InstallError(
                f"{model} does not match its sha256 in manifest.json.",
                hint="If the file is a few hundred bytes it is a Git LFS pointer: run "
                     "'git lfs pull'. Otherwise the manifest and the model are out of step.")
        shutil.copy2(str(model), str(dest / name))
    return [name for name, _ in files]


def desktop_library(desktop: Path) -> str | None:
    for line in desktop.read_text(encoding="utf-8", errors="replace").splitlines():
        if _entry_key(line) == "X-KDE-Library":
            return line.split("=", 1)[1].strip()
    return None


@dataclass(frozen=True)
class Staged:
    package: Path
    desktop: Path | None
    action: Path | None


def stage_plugin(repo: Path, into: Path) -> Staged:
    """Package (+ models) and descriptor files under `into`, as Krita wants them named."""
    source = repo / PLUGIN
    if not (source / "__init__.py").is_file():
        raise InstallError(f"{source} is not the LineRefiner package (no __init__.py).",
                           hint="Run install.py from a complete LineRefiner checkout.")
    package = into / PLUGIN
    shutil.copytree(str(source), str(package), ignore=_ignore_for(source))
    copy_models(repo / "models", package / "models")

    desktop: Path | None = None
    desktop_source = repo / DESKTOP_SOURCE
    if desktop_source.is_file():
        library = desktop_library(desktop_source)
        if library != PLUGIN:
            raise InstallError(f"{desktop_source} has X-KDE-Library={library}, expected "
                               f"{PLUGIN}: Krita would not find the package.")
        desktop = into / DESKTOP_NAME
        shutil.copy2(str(desktop_source), str(desktop))
    else:
        warn(f"{desktop_source} not found: Krita will not list the plugin without it.")

    action: Path | None = None
    action_source = repo / ACTION_SOURCE
    if action_source.is_file():
        action = into / ACTION_NAME
        shutil.copy2(str(action_source), str(action))
    else:
        warn(f"{action_source} not found: the plugin's actions get no default shortcuts or "
             "icons.")
    return Staged(package, desktop, action)


# --------------------------------------------------------------------------------------------
# Putting files in place all at once


class Swap:
    """Replace paths by renames, remembering the old ones so that all of it can be undone."""

    def __init__(self, trash: Path) -> None:
        self.trash = trash
        self.done: list[tuple[Path, Path | None, bool]] = []  # final, backup, new placed

    def replace(self, final: Path, new: Path | None) -> None:
        backup = None
        if final.exists() or final.is_symlink():
            backup = self.trash / str(len(self.done))
            os.replace(str(final), str(backup))
        self.done.append((final, backup, False))
        if new is not None:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(str(new), str(final))
            self.done[-1] = (final, backup, True)

    def rollback(self) -> list[str]:
        problems = []
        for index, (final, backup, placed) in reversed(list(enumerate(self.done))):
            try:
                if placed:
                    os.replace(str(final), str(self.trash / f"n{index}"))
                if backup is not None:
                    os.replace(str(backup), str(final))
            except OSError as error:
                problems.append(f"{final}: {error}")
        self.done.clear()
        return problems


def _clean_stale_staging(folder: Path) -> None:
    # Left behind only if an earlier run was killed outright (power cut, kill -9).
    for stale in folder.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(str(stale), ignore_errors=True)


def commit(plan: Sequence[tuple[Path, Path | None]], staging: Path, kritarc: Path | None,
           kritarc_value: str | None) -> bool:
    """Swap every (final, new) pair and update kritarc (if any), or leave all of it as it was.
    Returns whether kritarc changed."""
    trash = staging / "r"
    trash.mkdir()
    swap = Swap(trash)
    try:
        for final, new in plan:
            swap.replace(final, new)
        return kritarc is not None and write_kritarc(kritarc, kritarc_value)
    except BaseException as error:
        problems = swap.rollback()
        if problems:
            kept = staging.with_name(KEPT_PREFIX + time.strftime("%Y%m%d-%H%M%S"))
            os.replace(str(staging), str(kept))
            raise InstallError(
                f"could not put the files in place ({error}), and could not restore all of the "
                f"previous ones: {'; '.join(problems)}.",
                hint=f"The previous files are in {kept}; move them back by hand.") from error
        if not isinstance(error, OSError):
            raise
        raise InstallError(
            f"could not put the files in place: {error}. Nothing was changed.",
            hint="If Krita is running, close it and run this again; otherwise check that you "
                 "may write to the folder.") from error


def _remove_if_empty(paths: Iterable[Path]) -> list[Path]:
    """Removes each folder that is empty, deepest first; returns those removed."""
    removed = []
    for path in sorted(set(paths), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty: not only ours
            path.rmdir()
            removed.append(path)
    return removed


def _missing_folders(path: Path) -> list[Path]:
    """`path` and those of its parents that do not exist yet (what mkdir(parents=True) makes)."""
    missing = []
    while not path.exists() and path.parent != path:
        missing.append(path)
        path = path.parent
    return missing


@dataclass(frozen=True)
class InstallRecord:
    kritarc: str | None = None
    kritarc_created: bool = False
    created_folders: tuple[str, ...] = ()

    @staticmethod
    def read(package: Path) -> InstallRecord:
        try:
            data = json.loads((package / RECORD_NAME).read_text(encoding="utf-8"))
            if data.get("format") == RECORD_FORMAT:
                return InstallRecord(data.get("kritarc"), bool(data.get("kritarc_created")),
                                     tuple(str(f) for f in data.get("created_folders", ())))
        except (OSError, ValueError, AttributeError, TypeError):
            pass
        return InstallRecord()

    def write(self, package: Path) -> None:
        data = {"format": RECORD_FORMAT, "kritarc": self.kritarc,
                "kritarc_created": self.kritarc_created,
                "created_folders": list(self.created_folders)}
        (package / RECORD_NAME).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The three commands


@dataclass(frozen=True)
class Options:
    repo: Path
    deps: DepsSpec | None
    pip_cmd: tuple[str, ...]
    cache: Path | None
    refresh: bool
    verbose: bool


def install(resource_dir: Path, kritarc: Path | None, options: Options) -> None:
    pykrita, actions = resource_dir / "pykrita", resource_dir / "actions"
    final_package = pykrita / PLUGIN
    previous = InstallRecord.read(final_package)
    created = [path for path in (pykrita, actions) if not path.exists()]
    kritarc_created = False
    if kritarc is not None:
        # A kritarc made by an earlier run of this install stays "ours" when it runs again.
        kritarc_created = not (kritarc.exists() or kritarc.is_symlink()) or (
            previous.kritarc_created and previous.kritarc == str(kritarc))
        created += _missing_folders(kritarc.parent)
    record = InstallRecord(
        str(kritarc) if kritarc is not None else None, kritarc_created,
        tuple(dict.fromkeys([*previous.created_folders, *(str(p) for p in created)])))
    pykrita.mkdir(exist_ok=True)
    _clean_stale_staging(pykrita)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=str(pykrita)))
    try:
        staged = stage_plugin(options.repo, staging / "n")
        record.write(staged.package)
        if options.deps is not None:
            # The vendor folder of the install being replaced is reused when it fits, so
            # running install.py again doesn't download again.
            provide_deps(options.deps, staged.package / "vendor", work=staging,
                         options=options, reuse=[final_package / "vendor"])
        plan = [(final_package, staged.package),
                (pykrita / DESKTOP_NAME, staged.desktop),
                (actions / ACTION_NAME, staged.action)]
        legacy = pykrita / LEGACY_DESKTOP_NAME
        if legacy.is_file() and desktop_library(legacy) == PLUGIN:
            plan.append((legacy, None))  # a hand-copied older install: two would list twice
        commit(plan, staging, kritarc, "true")
    except BaseException:
        shutil.rmtree(str(staging), ignore_errors=True)
        _remove_if_empty(created)
        raise
    shutil.rmtree(str(staging), ignore_errors=True)

    vendor = final_package / "vendor"
    say("")
    say(f"LineRefiner is installed in {final_package}")
    if options.deps is None:
        say("  Dependencies were not installed (--no-deps): Krita's Python must be able to "
            "import numpy, onnxruntime and cv2.")
    else:
        versions = installed_versions(vendor)
        names = [_requirement_name(r) for r in options.deps.requirements]
        listed = ", ".join(f"{name} {versions.get(_normalise(name), '?')}" for name in names)
        say(f"  Dependencies for {options.deps.describe()}: {listed}")
    if kritarc is not None:
        say(f"  Enabled in {kritarc} ([{KRITARC_GROUP}] {KRITARC_KEY}=true)")
    else:
        say("  Not enabled: no kritarc is known for this resource folder (pass --kritarc FILE "
            "to enable it there).")
    say("")
    say("Next:")
    say("  1. Restart Krita (quit it completely first if it is running).")
    if kritarc is None:
        say("     Then Settings > Configure Krita > Python Plugin Manager: tick Line Refiner, "
            "and restart Krita once more.")
    say("  2. Settings > Dockers > Line Refiner shows the panel.")
    say("  3. Filter > Close Line Gaps, Refine Lines, Refine Lines and Close Gaps, Fill Flats "
        "and Refine Lines, Close Gaps and Fill Flats work on the active paint layer.")
    say("  If the plugin is missing: Settings > Configure Krita > Python Plugin Manager; make "
        "sure Line Refiner is ticked, and hover over it to see why it did not load.")
    if platform.system() == "Linux":
        # Krita's embedded Python finds its standard library through the first python3 on
        # PATH (docs/krita.md); a pyenv shim or venv there makes every Python plugin fail.
        say("  If Krita lists no Python plugins at all when started from a terminal: a pyenv or "
            "virtualenv python3 first on PATH stops them; start Krita from the menu, or from a "
            "shell without it.")


def uninstall(resource_dir: Path, kritarc: Path | None) -> None:
    pykrita = resource_dir / "pykrita"
    record = InstallRecord.read(pykrita / PLUGIN)
    if kritarc is None and record.kritarc:
        kritarc = Path(record.kritarc)  # the one this install enabled the plugin in
    candidates = [pykrita / PLUGIN, pykrita / DESKTOP_NAME, resource_dir / "actions" / ACTION_NAME]
    legacy = pykrita / LEGACY_DESKTOP_NAME
    if legacy.is_file() and desktop_library(legacy) == PLUGIN:
        candidates.append(legacy)
    present = [path for path in candidates if path.exists() or path.is_symlink()]
    parent = pykrita if pykrita.is_dir() else resource_dir
    _clean_stale_staging(parent)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=str(parent)))
    try:
        changed = commit([(path, None) for path in present], staging, kritarc, None)
    finally:
        shutil.rmtree(str(staging), ignore_errors=True)
    removed_kritarc = False
    if (kritarc is not None and record.kritarc_created and record.kritarc == str(kritarc)
            and kritarc.is_file() and not kritarc.read_bytes().strip()):
        # Created by install.py and nothing but our key was ever written to it.
        kritarc.unlink()
        removed_kritarc = True
    folders = _remove_if_empty(Path(folder) for folder in record.created_folders)
    if not present and not changed:
        say(f"LineRefiner is not installed in {resource_dir}; nothing to remove.")
        return
    for path in present:
        say(f"Removed {path}")
    if removed_kritarc:
        say(f"Removed {kritarc} (install.py had created it)")
    elif changed:
        say(f"Removed {KRITARC_KEY} from {kritarc}")
    elif kritarc is None:
        say("No kritarc is known for this resource folder; if Krita still lists Line Refiner, "
            "untick it in Settings > Configure Krita > Python Plugin Manager.")
    for folder in folders:
        say(f"Removed the empty folder {folder}")
    say("Restart Krita to finish.")


def build_zip(out: Path, options: Options) -> None:
    out = out.resolve()
    if not out.parent.is_dir():
        raise InstallError(f"the folder {out.parent} does not exist.")
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=str(out.parent)))
    try:
        staged = stage_plugin(options.repo, staging / "n")
        if staged.desktop is None:
            raise InstallError(f"{options.repo / DESKTOP_SOURCE} is needed for the zip: Krita's "
                               "importer finds plugins by their .desktop file.")
        if options.deps is not None:
            provide_deps(options.deps, staged.package / "vendor", work=staging,
                         options=options)
        say(f"Writing {out} ...")
        partial = staging / "out.zip"
        # Krita's importer looks for a '<module>/' entry with '<module>/__init__.py' in it, so
        # folders get entries of their own.
        with zipfile.ZipFile(str(partial), "w", zipfile.ZIP_DEFLATED,
                             strict_timestamps=False) as archive:
            for path in [staged.desktop, staged.action]:
                if path is not None:
                    archive.write(str(path), path.name)
            for folder, dirs, files in os.walk(str(staged.package)):
                dirs.sort()
                rel = Path(folder).relative_to(staged.package.parent).as_posix()
                archive.write(folder, rel + "/")
                for name in sorted(files):
                    archive.write(os.path.join(folder, name), f"{rel}/{name}")
        os.replace(str(partial), str(out))
    finally:
        shutil.rmtree(str(staging), ignore_errors=True)
    size = out.stat().st_size / 1e6
    say(f"Built {out} ({size:.1f} MB).")
    if options.deps is not None:
        say(f"  Dependencies for {options.deps.describe()}.")
    else:
        say("  Without numpy, onnxruntime and OpenCV: the Line Refiner docker offers "
            "\"Install dependencies\" for the Krita it is imported into.")
    say("In Krita: Tools > Scripts > Import Python Plugin from File..., pick the zip, answer Yes "
        "to enable it, then restart Krita.")


# --------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="install.py",
        description="Install LineRefiner into Krita (plugin, models, and numpy, onnxruntime and "
                    "opencv-python-headless built for Krita's own Python).")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--uninstall", action="store_true",
                      help="remove everything install.py added")
    mode.add_argument("--zip", metavar="OUT", type=Path,
                      help="build a zip for Tools > Scripts > Import Python Plugin from File "
                           "(plugin and models; with --python-version also the packages for "
                           "that Krita, else the docker's Install button fetches them)")
    parser.add_argument("--resource-dir", metavar="DIR", type=Path,
                        help="Krita's resource folder (default: found automatically)")
    parser.add_argument("--kritarc", metavar="FILE", type=Path,
                        help="Krita's settings file (default: the one that goes with the "
                             "resource folder)")
    parser.add_argument("--krita-path", metavar="PATH", type=Path,
                        help="where Krita is installed, to read its Python version from")
    parser.add_argument("--python-version", metavar="X.Y",
                        help="Krita's Python version (default: read from the Krita install)")
    parser.add_argument("--platform", metavar="TAG", action="append",
                        help="pip platform tag for the dependencies, e.g. win_amd64, "
                             "macosx_11_0_arm64, manylinux_2_28_x86_64 (also takes older "
                             "manylinux); repeat for several. Default: this computer's")
    parser.add_argument("--no-deps", action="store_true",
                        help="don't install numpy, onnxruntime and opencv-python-headless")
    parser.add_argument("--deps-cache", metavar="DIR", type=Path,
                        help="keep downloaded dependencies here and reuse them when Python "
                             "version, platform and requirements match")
    parser.add_argument("--refresh-deps", action="store_true",
                        help="download the dependencies again even if a matching copy exists")
    parser.add_argument("--pip-cmd", metavar="CMD",
                        help=f"command that runs pip (default: {sys.executable} -m pip)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pip's output")
    args = parser.parse_args(argv)
    if args.python_version and not re.fullmatch(r"3\.\d{1,2}", args.python_version):
        parser.error(f"--python-version wants X.Y such as 3.10, not {args.python_version!r}")
    if args.zip and (args.resource_dir or args.kritarc):
        parser.error("--zip builds a file for Krita's importer; it takes no --resource-dir or "
                     "--kritarc")
    if args.zip and args.platform and not args.python_version and not args.no_deps:
        parser.error("a zip for another platform needs --python-version (that Krita's Python); "
                     "the Krita on this computer says nothing about it")
    if args.uninstall and (args.no_deps or args.deps_cache or args.python_version
                           or args.platform or args.refresh_deps):
        parser.error("--uninstall takes only --resource-dir and --kritarc")
    return args


def resolve_target(args: argparse.Namespace) -> tuple[Path, Path | None, KritaLocation | None]:
    """Resource folder, kritarc (None: none is known to belong to that folder), and the Krita
    location they belong to (None: not known)."""
    locations = krita_locations()
    if args.resource_dir is None:
        location = choose_location(locations)
        kritarc = args.kritarc.expanduser().absolute() if args.kritarc else location.kritarc
        return location.resource_dir, kritarc, location
    resource_dir = args.resource_dir.expanduser().resolve()
    if not resource_dir.is_dir():
        raise InstallError(f"the resource folder {resource_dir} does not exist.",
                           hint="Check the path (Krita: Settings > Manage Resources > Open "
                                "Resource Folder), or start Krita once so that it creates it.")
    location = next((loc for loc in locations if _serves(loc, resource_dir)), None)
    if args.kritarc is not None:
        # Absolute (not resolved: a symlinked kritarc stays one), as the install record keeps it.
        return resource_dir, args.kritarc.expanduser().absolute(), location
    # Only the kritarc of the profile this folder belongs to: another profile's kritarc (say
    # the default one, for a test profile) must not be touched, let alone created.
    return resource_dir, location.kritarc if location is not None else None, location


def _serves(location: KritaLocation, resource_dir: Path) -> bool:
    """Whether `resource_dir` is this Krita's resource folder (its default one, or the one its
    kritarc names)."""
    if _same_path(location.resource_dir, resource_dir):
        return True
    custom = read_kritarc_value(location.kritarc, None, "ResourceDirectory")
    return bool(custom) and _same_path(Path(custom), resource_dir)


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.expanduser().resolve() == b.expanduser().resolve()
    except OSError:
        return False


def load_vendoring(repo: Path = REPO) -> ModuleType:
    """krita_linerefiner/vendoring.py, loaded by path: importing the package would run its
    __init__, which stops on the Pythons older than 3.10 that may be running this file."""
    path = repo / PLUGIN / "vendoring.py"
    spec = importlib.util.spec_from_file_location("linerefiner_vendoring", str(path))
    if spec is None or spec.loader is None or not path.is_file():
        raise InstallError(f"{path} is missing.",
                           hint="Run install.py from a complete LineRefiner checkout.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def locked_requirements(version: str, platforms: Sequence[str]) -> tuple[str, ...]:
    vendoring = load_vendoring()
    target = vendoring.target_for_tag(platforms[0])
    found = vendoring.requirements(version, target) if target is not None else None
    if found is None:
        raise InstallError(
            f"there is no tested set of numpy, onnxruntime and OpenCV for Python {version} on "
            f"{platforms[0]}: {vendoring.why_not_locked(version, target)}. Nothing was changed.",
            hint="Check --python-version and --platform; or use --no-deps and provide numpy, "
                 "onnxruntime and opencv-python-headless for Krita's Python yourself.")
    return tuple(found)


def check_krita_python(version: str) -> None:
    major, minor = (int(part) for part in version.split("."))
    if (major, minor) < MIN_KRITA_PYTHON:
        need = ".".join(map(str, MIN_KRITA_PYTHON))
        raise InstallError(
            f"LineRefiner needs Krita 5.2 or newer (with Python {need} or newer); this Krita "
            f"runs Python {version} (the official Krita 5.0 and 5.1 builds run 3.8). Nothing "
            "was changed.",
            hint="Update Krita (krita.org), then run this again.")


def deps_spec(args: argparse.Namespace, location: KritaLocation | None) -> DepsSpec | None:
    if args.python_version is not None:
        check_krita_python(args.python_version)
    if args.no_deps:
        return None
    version = args.python_version
    krita_path = args.krita_path.expanduser() if args.krita_path is not None else None
    appimage = krita_path is not None and is_appimage(krita_path)
    if version is None:
        patterns: list[str] = []
        if appimage:
            assert krita_path is not None
            version, evidence = appimage_python(krita_path)
        else:
            if krita_path is not None:
                patterns += krita_path_globs(krita_path)
            elif location is not None:
                patterns += location.python_globs
            else:
                for known in krita_locations():
                    patterns += known.python_globs
            version, evidence = detect_python_version(patterns)
        say(f"Krita's Python is {version} (from {evidence}).")
        check_krita_python(version)
    if platform.system() == "Linux" and args.zip is None:
        warn_shared_resource_folder(krita_path, version, location)
    app = None
    if not args.platform:
        if krita_path is not None and is_krita_app(krita_path):
            app = krita_path
        elif platform.system() == "Darwin":
            apps = find_krita_apps(Path.home())
            app = apps[0] if len(apps) == 1 else None
    if args.platform:
        platforms = [tag for given in args.platform for tag in expand_platform(given)]
    elif app is not None:
        tag, why = krita_app_platform(read_krita_app(app), version, platform.machine(),
                                      platform.mac_ver()[0])
        say(f"Packages for {tag}: {why}.")
        platforms = [tag]
    else:
        platforms = default_platforms()
    platforms = list(dict.fromkeys(platforms))
    return DepsSpec(version, tuple(platforms), locked_requirements(version, platforms))


def warn_shared_resource_folder(krita_path: Path | None, version: str,
                                location: KritaLocation | None) -> None:
    """An AppImage and a distribution Krita share ~/.local/share/krita; say so when both are
    there, as the packages installed fit only one of their Pythons."""
    if location is not None and location.name != "Krita":
        return  # the Flatpak has a folder of its own
    distro: tuple[str, Path] | None = None
    try:
        distro = detect_python_version(_kritaplugin_globs(["/usr", "/usr/local"], False))
    except InstallError:
        distro = None
    if krita_path is not None and (is_appimage(krita_path) or is_extracted_appimage(krita_path)):
        if distro is not None:
            warn(shared_folder_warning(krita_path, version, str(distro[1]), distro[0]))
        return
    if krita_path is None and distro is not None:
        for appimage in find_appimages(Path.home()):
            warn(shared_folder_warning(appimage, None, str(distro[1]), distro[0])
                 + f" To install for the AppImage instead: --krita-path {appimage}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.pip_cmd:
        # Windows paths have backslashes, which POSIX splitting would eat; its non-POSIX mode
        # keeps the quotes around a token, which Popen would then quote again.
        tokens = shlex.split(args.pip_cmd, posix=os.name != "nt")
        pip_cmd = tuple(t[1:-1] if len(t) > 1 and t[0] == t[-1] == '"' else t for t in tokens)
    else:
        pip_cmd = (sys.executable, "-m", "pip")
    cache = args.deps_cache.expanduser().resolve() if args.deps_cache else None
    try:
        if args.zip is not None:
            # Without --python-version the zip holds no packages: the docker's Install button
            # fetches the ones for the Krita it is imported into.
            spec = deps_spec(args, None) if args.python_version or args.krita_path else None
            options = Options(REPO, spec, pip_cmd, cache, args.refresh_deps, args.verbose)
            build_zip(args.zip.expanduser(), options)
            return 0
        resource_dir, kritarc, location = resolve_target(args)
        if args.uninstall:
            uninstall(resource_dir, kritarc)
            return 0
        say(f"Installing LineRefiner into {resource_dir}")
        options = Options(REPO, deps_spec(args, location), pip_cmd, cache, args.refresh_deps,
                          args.verbose)
        install(resource_dir, kritarc, options)
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        if error.hint:
            print(error.hint, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; nothing was changed.", file=sys.stderr)
        return 1
    except OSError as error:
        # Unexpected I/O trouble (disk full, permissions): the staging was already removed.
        print(f"error: {error}. Nothing was changed.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # This file runs under whatever python3 the user has, not the project's Python.
    if sys.version_info < (3, 8):  # noqa: UP036
        sys.exit("install.py needs Python 3.8 or newer (any python3 will do, it need not be "
                 "Krita's).")
    sys.exit(main())
