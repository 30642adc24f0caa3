"""Install numpy, onnxruntime and OpenCV for the Python that runs this code, from inside Krita.

Krita's Python knows exactly what it is (sys.version_info, sys.platform, platform.machine()),
so it fetches the locked wheels (vendoring.locked_files) itself: standard library only, over
HTTPS, no pip and no python3 outside Krita. Every file is checked against the sha256 recorded in
the lock, the wheels are unpacked into a new vendor folder next to the plugin, and only when all
of that succeeded does a pointer file (POINTER_NAME) switch to it, in one os.replace. Until then
the folder in use stays as it is; a failure or Cancel removes the partial folder and changes
nothing else.

No Qt here: the plugin runs `install` on a thread and polls its progress (plugin/setup_deps.py).
LINEREFINER_WHEEL_URL points the downloads at another flat folder of wheels (`<url>/<file
name>`), e.g. a local index for tests or a mirror.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import vendoring

URL_ENV = "LINEREFINER_WHEEL_URL"
POINTER_NAME = "vendor-active.json"  # {"folder": "vendor-..."}, next to the vendor folders
FOLDER_PREFIX = "vendor-"
PARTIAL_PREFIX = ".vendor-partial-"
STAMP_NAME = "linerefiner-deps.json"  # install.py writes the same stamp into its vendor folder
CHUNK = 1 << 18
TIMEOUT_S = 60.0
# The oldest glibc the locked Linux wheels run on (their manylinux_2_28 tag).
MIN_GLIBC = (2, 28)

Progress = Callable[[int, int], None]  # bytes done, bytes in all
Cancelled = Callable[[], bool]


class InstallFailed(Exception):
    """What went wrong, in words for the docker; nothing was changed."""


class InstallCancelled(Exception):
    pass


@dataclass(frozen=True)
class Plan:
    python: str
    target: vendoring.Target
    files: tuple[vendoring.LockedFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def megabytes(self) -> int:
        return max(1, round(self.total_bytes / 1e6))

    def describe(self) -> str:
        return ", ".join(f"{f.package} {f.version}" for f in self.files)


def running_target() -> vendoring.Target | None:
    return vendoring.target_for(sys.platform, platform.machine(), platform.mac_ver()[0])


def plan_for(python: str, target: vendoring.Target | None) -> tuple[Plan | None, str]:
    """The wheels to fetch for CPython `python` on `target`, or None and why there are none."""
    files = vendoring.locked_files(python, target) if target is not None else None
    if target is None or files is None:
        return None, vendoring.why_not_locked(python, target)
    return Plan(python, target, tuple(files)), ""


def running_plan() -> tuple[Plan | None, str]:
    """plan_for the interpreter running this code."""
    if sys.implementation.name != "cpython":
        return None, f"this Python is {sys.implementation.name}, and the wheels are for CPython"
    if sys.platform.startswith("linux"):
        name, version = platform.libc_ver()
        found = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
        if name != "glibc" or found < MIN_GLIBC:
            need = ".".join(map(str, MIN_GLIBC))
            return None, (f"the wheels need glibc {need} or newer, and this system has "
                          f"{name or 'another C library'} {version}".rstrip())
    return plan_for(vendoring.running_python(), running_target())


# --------------------------------------------------------------------------------------------
# The vendor folder in use


def active_folder(plugin_dir: Path) -> Path | None:
    """The vendor folder the pointer names, if it is there; None: no pointer (install.py's
    `vendor` folder, or none, is in use)."""
    try:
        folder = json.loads((plugin_dir / POINTER_NAME).read_text(encoding="utf-8"))["folder"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(folder, str) or not folder.startswith(FOLDER_PREFIX) or \
            Path(folder).name != folder:
        return None
    path = plugin_dir / folder
    return path if path.is_dir() else None


def remove_unused(plugin_dir: Path) -> list[Path]:
    """Delete earlier installs' folders and partial ones; only before any of them is imported
    (at plugin start), as a loaded library's folder can't be deleted on Windows."""
    keep = active_folder(plugin_dir)
    removed = []
    for path in sorted(plugin_dir.glob(f"{FOLDER_PREFIX}*")) + sorted(
            plugin_dir.glob(f"{PARTIAL_PREFIX}*")):
        if path.is_dir() and path != keep:
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed


# --------------------------------------------------------------------------------------------
# Fetching


def url_for(file: vendoring.LockedFile, base: str | None = None) -> str:
    base = base if base is not None else os.environ.get(URL_ENV, "")
    if not base:
        return file.url
    return f"{base.rstrip('/')}/{urllib.parse.quote(file.filename)}"


def _open(url: str) -> object:
    request = urllib.request.Request(url, headers={"User-Agent": "LineRefiner (Krita plugin)"})
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.URLError as error:
        if not isinstance(getattr(error, "reason", None), ssl.SSLCertVerificationError):
            raise
    # Some Krita builds ship Python without the system's certificate store (macOS). TLS then
    # only keeps the download private: each file is checked against the sha256 in the lock,
    # so a file that is not the one recorded is refused either way.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context)


def download(file: vendoring.LockedFile, dest: Path, progress: Callable[[int], None],
             cancelled: Cancelled, base: str | None = None) -> None:
    """`file` into `dest`, checked against its size and sha256; `progress(bytes so far)`."""
    url = url_for(file, base)
    host = urllib.parse.urlsplit(url).netloc
    digest = hashlib.sha256()
    done = 0
    try:
        with _open(url) as response, dest.open("wb") as out:  # type: ignore[attr-defined]
            while True:
                if cancelled():
                    raise InstallCancelled()
                block = response.read(CHUNK)
                if not block:
                    break
                done += len(block)
                if done > file.size:
                    break  # more than the lock says: not the recorded file, stop reading
                digest.update(block)
                out.write(block)
                progress(done)
    except urllib.error.HTTPError as error:
        raise InstallFailed(f"downloading {file.filename} from {host} failed: HTTP "
                            f"{error.code} {error.reason}") from error
    except urllib.error.URLError as error:
        raise InstallFailed(f"could not reach {host} to download {file.filename} "
                            f"({error.reason}); check the internet connection") from error
    except (OSError, TimeoutError) as error:
        if dest.parent.exists() and isinstance(error, OSError) and error.filename:
            raise InstallFailed(f"could not write {error.filename}: {error.strerror}") from error
        raise InstallFailed(f"downloading {file.filename} from {host} stopped: "
                            f"{error}") from error
    if done != file.size or digest.hexdigest() != file.sha256:
        raise InstallFailed(
            f"{file.filename} from {host} is not the file in LineRefiner's lock ({done} bytes, "
            f"sha256 {digest.hexdigest()[:16]}...; expected {file.size} bytes, sha256 "
            f"{file.sha256[:16]}...)")


# --------------------------------------------------------------------------------------------
# Unpacking


def unpack(wheel: Path, into: Path) -> None:
    """A wheel's files into `into` as pip --target lays them out: its .data/purelib and
    platlib merged in, its scripts, headers and data left out (of no use inside Krita)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                name = _target_name(info.filename)
                if name is None or info.is_dir():
                    continue
                path = into / name
                path.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, path.open("wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                mode = (info.external_attr >> 16) & 0o777
                if mode:
                    path.chmod(mode | 0o600)
    except zipfile.BadZipFile as error:
        raise InstallFailed(f"{wheel.name} is not a valid wheel: {error}") from error


def _target_name(member: str) -> str | None:
    parts = member.replace("\\", "/").split("/")
    if member.startswith("/") or any(p in ("", ".", "..") or ":" in p for p in parts[:-1]) \
            or parts[-1] in (".", ".."):
        raise InstallFailed(f"a wheel holds a file outside its folder: {member}")
    if parts[0].endswith(".data"):
        if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
            return "/".join(parts[2:])
        return None
    return member


# --------------------------------------------------------------------------------------------
# All of it


def install(plugin_dir: Path, plan: Plan, progress: Progress, cancelled: Cancelled,
            base: str | None = None) -> Path:
    """Fetch, check and unpack `plan` into a new folder in `plugin_dir` and make it the one in
    use; returns it. InstallFailed / InstallCancelled leave `plugin_dir` as it was."""
    total = plan.total_bytes
    try:
        work = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=str(plugin_dir)))
    except OSError as error:
        raise InstallFailed(f"could not create a folder in {plugin_dir}: {error}") from error
    final: Path | None = None
    switched = False
    try:
        wheels, vendor = work / "wheels", work / "vendor"
        wheels.mkdir()
        vendor.mkdir()
        done = 0
        for file in plan.files:
            download(file, wheels / file.filename,
                     lambda n, before=done: progress(before + n, total), cancelled, base)
            done += file.size
        for file in plan.files:
            if cancelled():
                raise InstallCancelled()
            unpack(wheels / file.filename, vendor)
        write_stamp(vendor, plan)
        if cancelled():
            raise InstallCancelled()
        final = plugin_dir / (f"{FOLDER_PREFIX}cp{plan.python.replace('.', '')}-"
                              f"{time.strftime('%Y%m%d-%H%M%S')}-{work.name[-6:]}")
        os.replace(vendor, final)
        _write_pointer(plugin_dir, final.name)
        switched = True
        return final
    except OSError as error:
        raise InstallFailed(f"could not write the packages into {plugin_dir}: {error}") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if final is not None and not switched:
            shutil.rmtree(final, ignore_errors=True)


def write_stamp(vendor: Path, plan: Plan) -> None:
    stamp = {"format": 1, "python_version": plan.python, "platforms": [plan.target.platform],
             "requirements": [f"{f.package}=={f.version}" for f in plan.files],
             "installed": {f.package.replace("-", "_"): f.version for f in plan.files},
             "installed_by": "LineRefiner's installer in Krita",
             "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (vendor / STAMP_NAME).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")


def _write_pointer(plugin_dir: Path, folder: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".vendor-active-", dir=str(plugin_dir))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"folder": folder}, handle)
        os.replace(tmp, plugin_dir / POINTER_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
