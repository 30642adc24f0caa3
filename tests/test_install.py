"""install.py, run the way a user runs it, against throw-away Krita profiles.

Offline and fast: pip is replaced by a small fake (--pip-cmd). One test downloads the real
dependencies, only when LINEREFINER_TEST_PIP_DOWNLOAD=1.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import plistlib
import shlex
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
INSTALLER = REPO / "install.py"
PLUGIN = "krita_linerefiner"
KEY = f"enable_{PLUGIN}"


def _load_installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("linerefiner_install", INSTALLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


inst = _load_installer()
VENDORING = inst.load_vendoring(REPO)

# A kritarc as Krita writes it, with the things a careless rewrite would lose: entries before any
# group, mixed-case keys, a comment, a key with a [$i] marker, a byte that isn't UTF-8.
KRITARC = (
    b"ResourceDirectory=\n"
    b"[$Version]\n"
    b"update_info=krita.upd:krita-5.0-rename\n"
    b"\n"
    b"[General]\n"
    b"LastPreset=b) Basic-5 Size Opacity\n"
    b"# a comment someone left\n"
    b"MaxBrushSize=1000\n"
    b"Latin1Name=caf\xe9\n"
    b"\n"
    b"[python]\n"
    b"enable_comics_project_management_tools=true\n"
    b"enable_lastdocumentsdocker[$i]=false\n"
    b"\n"
    b"[theme]\n"
    b"Theme=Krita darker\n"
)


# --------------------------------------------------------------------------------------------
# Fixtures: a source checkout, a Krita profile, a fake pip

FAKE_PIP = r'''
import json, pathlib, sys
mode, log, *args = sys.argv[1:]
log = pathlib.Path(log)
calls = json.loads(log.read_text()) if log.exists() else []
calls.append(args)
log.write_text(json.dumps(calls))
if mode == "fail":
    print("ERROR: Could not find a version that satisfies the requirement onnxruntime "
          "(from versions: none)", file=sys.stderr)
    print("ERROR: No matching distribution found for onnxruntime", file=sys.stderr)
    sys.exit(1)
target = pathlib.Path(args[args.index("--target") + 1])
for name, module in (("numpy", "numpy"), ("onnxruntime", "onnxruntime"),
                     ("opencv_python_headless", "cv2")):
    (target / module).mkdir(parents=True)
    (target / module / "__init__.py").write_text(f"FAKE = {name!r}\n")
    (target / f"{name}-9.9.dist-info").mkdir()
    (target / f"{name}-9.9.dist-info" / "METADATA").write_text(f"Name: {name}\n")
(target / "bin").mkdir()
(target / "bin" / "f2py").write_text("#!/usr/bin/python3\n")
'''


def make_repo(root: Path, *, desktop: bool = True, action: bool = True) -> Path:
    """A LineRefiner checkout with a little of everything install.py has to sort out."""
    repo = root / "repo"
    package = repo / PLUGIN
    for sub in ("core", "plugin", "__pycache__", "core/__pycache__"):
        (package / sub).mkdir(parents=True)
    (package / "__init__.py").write_text("# plugin entry\n")
    (package / "core" / "__init__.py").write_text("")
    (package / "core" / "ink.py").write_text("INK = 1\n")
    (package / "plugin" / "__init__.py").write_text("")
    (package / "plugin" / "docker.py").write_text("DOCKER = 1\n")
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (package / "core" / "__pycache__" / "ink.cpython-311.pyc").write_bytes(b"\0")
    (package / "core" / "stray.pyc").write_bytes(b"\0")
    (package / "vendor").mkdir()  # a developer's own vendor folder must not travel
    (package / "vendor" / "junk.py").write_text("")
    if action:
        (package / "linerefiner.action").write_text('<ActionCollection name="Scripts"/>\n')
    models = repo / "models"
    models.mkdir()
    onnx = b"fake onnx bytes"
    (models / "gaps.onnx").write_bytes(onnx)
    (models / "unlisted.onnx").write_bytes(b"old experiment")
    (models / "README.md").write_text("models\n")
    manifest = {"models": {"gaps": {"file": "gaps.onnx", "version": "1",
                                    "sha256": hashlib.sha256(onnx).hexdigest()}}}
    (models / "manifest.json").write_text(json.dumps(manifest))
    if desktop:
        (repo / "linerefiner.desktop").write_text(
            "[Desktop Entry]\nType=Service\nServiceTypes=Krita/PythonPlugin\n"
            f"X-KDE-Library={PLUGIN}\nX-Python-2-Compatible=false\nName=Line Refiner\n")
    (repo / "training").mkdir()
    (repo / "training" / "train.py").write_text("")
    shutil.copy2(INSTALLER, repo / "install.py")
    shutil.copy2(REPO / PLUGIN / "vendoring.py", package / "vendoring.py")
    return repo


class Env:
    """A profile with another plugin already installed, plus a home with nothing of Krita."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.resource = root / "resource"
        self.kritarc = root / "config" / "kritarc"
        self.pip_log = root / "pip-calls.json"
        self.home.mkdir(parents=True)
        (self.resource / "pykrita" / "other_plugin").mkdir(parents=True)
        (self.resource / "pykrita" / "other_plugin" / "__init__.py").write_text("OTHER = 1\n")
        (self.resource / "pykrita" / "other_plugin.desktop").write_text("[Desktop Entry]\n")
        (self.resource / "actions").mkdir()
        (self.resource / "actions" / "other_plugin.action").write_text("<a/>\n")
        self.kritarc.parent.mkdir()
        self.kritarc.write_bytes(KRITARC)
        self.fake_pip = root / "fake_pip.py"
        self.fake_pip.write_text(FAKE_PIP)

    def pip(self, mode: str) -> str:
        return shlex.join([sys.executable, str(self.fake_pip), mode, str(self.pip_log)])

    def pip_calls(self) -> list[list[str]]:
        return json.loads(self.pip_log.read_text()) if self.pip_log.exists() else []

    def target(self) -> list[str]:
        return ["--resource-dir", str(self.resource), "--kritarc", str(self.kritarc)]

    def run(self, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "XDG_"))}
        env.update(HOME=str(self.home), XDG_DATA_HOME=str(self.home / "data"),
                   XDG_CONFIG_HOME=str(self.home / "config"), APPDATA=str(self.home / "roam"),
                   LOCALAPPDATA=str(self.home / "local"))
        return subprocess.run([sys.executable, str(repo / "install.py"), *args],
                              capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path / "profile")


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under root, with the content hash of each file."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        found[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    return result


def no_leftovers(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".lr-")]


# --------------------------------------------------------------------------------------------
# Installing


def test_files_land_where_krita_looks(repo: Path, env: Env) -> None:
    result = ok(env.run(repo, *env.target(), "--no-deps"))
    pykrita = env.resource / "pykrita"
    package = pykrita / PLUGIN
    assert (package / "__init__.py").read_text() == "# plugin entry\n"
    assert (package / "core" / "ink.py").read_text() == "INK = 1\n"
    assert (package / "plugin" / "docker.py").is_file()
    # Krita's importer names the descriptor and action file after the module; so does install.py.
    assert (pykrita / f"{PLUGIN}.desktop").read_text() == (repo / "linerefiner.desktop").read_text()
    assert (env.resource / "actions" / f"{PLUGIN}.action").read_text().startswith("<Action")
    assert sorted(p.name for p in (package / "models").iterdir()) == ["gaps.onnx", "manifest.json"]
    assert (package / "models" / "gaps.onnx").read_bytes() == b"fake onnx bytes"
    # No caches, no developer's vendor folder, no action file inside the package.
    files = {p.relative_to(package).as_posix() for p in package.rglob("*")}
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert "vendor" not in files and "linerefiner.action" not in files
    assert not (pykrita / "training").exists()
    no_leftovers(pykrita)
    # The other plugin is untouched.
    assert (pykrita / "other_plugin" / "__init__.py").read_text() == "OTHER = 1\n"
    assert "Restart Krita" in result.stdout and "Settings > Dockers" in result.stdout


def test_kritarc_gets_the_key_and_keeps_everything_else(repo: Path, env: Env) -> None:
    ok(env.run(repo, *env.target(), "--no-deps"))
    after = env.kritarc.read_bytes()
    last = b"enable_lastdocumentsdocker[$i]=false\n"
    expected = KRITARC.replace(last, last + KEY.encode() + b"=true\n")
    assert after == expected


def test_running_twice_is_harmless(repo: Path, env: Env) -> None:
    ok(env.run(repo, *env.target(), "--deps-cache", str(env.root / "cache"),
               "--python-version", "3.10", "--platform", "win_amd64", "--pip-cmd", env.pip("ok")))
    first, first_rc = snapshot(env.resource), env.kritarc.read_bytes()
    ok(env.run(repo, *env.target(), "--python-version", "3.10", "--platform", "win_amd64",
               "--pip-cmd", env.pip("ok")))
    assert snapshot(env.resource) == first
    assert env.kritarc.read_bytes() == first_rc
    assert first_rc.count(KEY.encode()) == 1
    # The second run took the dependencies from the install it replaced, not from pip.
    assert len(env.pip_calls()) == 1


def test_kritarc_symlink_stays_a_symlink(repo: Path, env: Env) -> None:
    real = env.root / "dotfiles-kritarc"
    env.kritarc.rename(real)
    env.kritarc.symlink_to(real)
    ok(env.run(repo, *env.target(), "--no-deps"))
    assert env.kritarc.is_symlink()
    assert KEY.encode() + b"=true" in real.read_bytes()


def test_missing_optional_files_are_skipped_with_a_warning(tmp_path: Path, env: Env) -> None:
    repo = make_repo(tmp_path, desktop=False, action=False)
    result = ok(env.run(repo, *env.target(), "--no-deps"))
    assert "linerefiner.desktop not found" in result.stderr
    assert "linerefiner.action not found" in result.stderr
    assert (env.resource / "pykrita" / PLUGIN / "__init__.py").is_file()
    assert not (env.resource / "pykrita" / f"{PLUGIN}.desktop").exists()


def test_hand_copied_older_descriptor_is_replaced(repo: Path, env: Env) -> None:
    legacy = env.resource / "pykrita" / "linerefiner.desktop"
    legacy.write_text(f"[Desktop Entry]\nX-KDE-Library={PLUGIN}\n")
    ok(env.run(repo, *env.target(), "--no-deps"))
    assert not legacy.exists()
    assert (env.resource / "pykrita" / f"{PLUGIN}.desktop").is_file()


# --------------------------------------------------------------------------------------------
# Dependencies


def test_pip_is_asked_for_krita_python_and_platform(repo: Path, env: Env) -> None:
    ok(env.run(repo, *env.target(), "--python-version", "3.10",
               "--platform", "manylinux_2_28_x86_64", "--pip-cmd", env.pip("ok")))
    (call,) = env.pip_calls()
    assert call[call.index("--python-version") + 1] == "3.10"
    assert "--only-binary=:all:" in call and call[call.index("--implementation") + 1] == "cp"
    platforms = [call[i + 1] for i, arg in enumerate(call) if arg == "--platform"]
    # Recent onnxruntime is manylinux_2_27/2_28 only, numpy also manylinux2014: both must fit.
    assert platforms[0] == "manylinux_2_28_x86_64"
    assert {"manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"} <= set(
        platforms)
    # The locked versions for that Python and platform, exactly.
    pins = VENDORING.LOCK[("3.10", "linux-x86_64")]
    assert call[-3:] == [f"{p}=={pins[p]}" for p in VENDORING.PACKAGES]
    assert call[-3:] != list(inst.REQUIREMENTS)
    vendor = env.resource / "pykrita" / PLUGIN / "vendor"
    assert (vendor / "cv2" / "__init__.py").is_file()
    assert not (vendor / "bin").exists()
    stamp = json.loads((vendor / inst.STAMP_NAME).read_text())
    assert stamp["python_version"] == "3.10"
    assert stamp["installed"]["onnxruntime"] == "9.9"


def test_deps_cache_is_reused_instead_of_pip(repo: Path, env: Env, tmp_path: Path) -> None:
    cache = tmp_path / "deps-cache"
    args = ["--python-version", "3.11", "--platform", "win_amd64", "--deps-cache", str(cache)]
    ok(env.run(repo, *env.target(), *args, "--pip-cmd", env.pip("ok")))
    (entry,) = cache.iterdir()
    assert (entry / inst.STAMP_NAME).is_file()
    # A second profile, and a pip that would fail: the cache alone must do.
    other = Env(tmp_path / "profile2")
    ok(other.run(repo, *other.target(), *args, "--pip-cmd", other.pip("fail")))
    assert other.pip_calls() == []
    vendor = other.resource / "pykrita" / PLUGIN / "vendor"
    assert snapshot(vendor) == snapshot(env.resource / "pykrita" / PLUGIN / "vendor")
    # A different Python version does not match the stamp, so pip is asked (and fails here).
    result = failed(other.run(repo, *other.target(), "--python-version", "3.12",
                              "--platform", "win_amd64", "--deps-cache", str(cache),
                              "--pip-cmd", other.pip("fail")))
    assert "Python 3.12" in result.stderr


def test_fake_cache_entry_made_with_the_stamp_is_used(repo: Path, env: Env, tmp_path: Path) -> None:
    spec = inst.DepsSpec("3.11", ("manylinux2014_x86_64",),
                         inst.locked_requirements("3.11", ["manylinux2014_x86_64"]))
    entry = tmp_path / "cache" / spec.cache_key()
    for name in ("numpy", "onnxruntime", "opencv_python_headless"):
        (entry / f"{name}-1.0.dist-info").mkdir(parents=True)
    (entry / "numpy" / "__init__.py").parent.mkdir()
    (entry / "numpy" / "__init__.py").write_text("CACHED = True\n")
    inst.write_stamp(entry, spec)
    ok(env.run(repo, *env.target(), "--python-version", "3.11", "--platform",
               "manylinux2014_x86_64", "--deps-cache", str(tmp_path / "cache"),
               "--pip-cmd", env.pip("fail")))
    vendor = env.resource / "pykrita" / PLUGIN / "vendor"
    assert (vendor / "numpy" / "__init__.py").read_text() == "CACHED = True\n"


def test_failing_pip_leaves_previous_install_untouched(repo: Path, env: Env) -> None:
    ok(env.run(repo, *env.target(), "--python-version", "3.11", "--platform", "win_amd64",
               "--pip-cmd", env.pip("ok")))
    before, before_rc = snapshot(env.resource), env.kritarc.read_bytes()
    (repo / PLUGIN / "core" / "ink.py").write_text("INK = 2\n")  # a newer version to install
    result = failed(env.run(repo, *env.target(), "--python-version", "3.13",
                            "--platform", "win_amd64", "--pip-cmd", env.pip("fail")))
    assert "could not download onnxruntime for Python 3.13 on win_amd64" in result.stderr
    assert "pypi.org/project/onnxruntime" in result.stderr
    assert snapshot(env.resource) == before
    assert env.kritarc.read_bytes() == before_rc


def test_failing_pip_on_a_fresh_profile_leaves_nothing(repo: Path, env: Env) -> None:
    shutil.rmtree(env.resource / "pykrita")
    shutil.rmtree(env.resource / "actions")
    failed(env.run(repo, *env.target(), "--python-version", "3.13",
                   "--platform", "win_amd64", "--pip-cmd", env.pip("fail")))
    assert list(env.resource.iterdir()) == []
    assert env.kritarc.read_bytes() == KRITARC


def test_unrunnable_pip_is_explained(repo: Path, env: Env) -> None:
    result = failed(env.run(repo, *env.target(), "--python-version", "3.11",
                            "--pip-cmd", str(env.root / "no-such-pip")))
    assert "could not run pip" in result.stderr and "--no-deps" in result.stderr
    assert not (env.resource / "pykrita" / PLUGIN).exists()


def test_bad_model_checksum_keeps_previous_install(repo: Path, env: Env) -> None:
    ok(env.run(repo, *env.target(), "--no-deps"))
    before = snapshot(env.resource)
    (repo / "models" / "gaps.onnx").write_bytes(b"version https://git-lfs.github.com/spec/v1\n")
    result = failed(env.run(repo, *env.target(), "--no-deps"))
    assert "sha256" in result.stderr and "git lfs pull" in result.stderr
    assert snapshot(env.resource) == before


def test_descriptor_naming_another_module_is_refused(repo: Path, env: Env) -> None:
    desktop = repo / "linerefiner.desktop"
    desktop.write_text(desktop.read_text().replace(f"={PLUGIN}", "=linerefiner"))
    result = failed(env.run(repo, *env.target(), "--no-deps"))
    assert "X-KDE-Library=linerefiner" in result.stderr
    assert not (env.resource / "pykrita" / PLUGIN).exists()


# --------------------------------------------------------------------------------------------
# Uninstalling


def test_uninstall_removes_everything_it_added(repo: Path, env: Env) -> None:
    before = snapshot(env.resource)
    ok(env.run(repo, *env.target(), "--python-version", "3.11", "--platform", "win_amd64",
               "--pip-cmd", env.pip("ok")))
    result = ok(env.run(repo, *env.target(), "--uninstall"))
    assert snapshot(env.resource) == before
    assert env.kritarc.read_bytes() == KRITARC
    assert "Removed" in result.stdout


def test_uninstall_removes_the_python_group_it_created(repo: Path, env: Env) -> None:
    plain = b"[General]\r\nMaxBrushSize=1000\r\n"
    env.kritarc.write_bytes(plain)
    ok(env.run(repo, *env.target(), "--no-deps"))
    assert env.kritarc.read_bytes() == plain + b"\r\n[python]\r\n" + KEY.encode() + b"=true\r\n"
    ok(env.run(repo, *env.target(), "--uninstall"))
    assert env.kritarc.read_bytes() == plain


def test_uninstall_when_not_installed_changes_nothing(repo: Path, env: Env) -> None:
    before = snapshot(env.resource)
    result = ok(env.run(repo, *env.target(), "--uninstall"))
    assert "nothing to remove" in result.stdout
    assert snapshot(env.resource) == before
    assert env.kritarc.read_bytes() == KRITARC


def test_resource_dir_alone_touches_no_other_profiles_kritarc(repo: Path, env: Env) -> None:
    # The default profile of this home has no kritarc yet; a test profile is installed into.
    default_kritarc = env.home / "config" / "kritarc"
    result = ok(env.run(repo, "--resource-dir", str(env.resource), "--no-deps"))
    assert (env.resource / "pykrita" / PLUGIN / "__init__.py").is_file()
    assert not default_kritarc.exists() and not (env.home / "config").exists()
    assert env.kritarc.read_bytes() == KRITARC
    assert "Not enabled" in result.stdout and "Python Plugin Manager" in result.stdout
    default_kritarc.parent.mkdir()
    default_kritarc.write_bytes(KRITARC)
    ok(env.run(repo, "--resource-dir", str(env.resource), "--no-deps"))
    assert default_kritarc.read_bytes() == KRITARC


@pytest.mark.skipif(sys.platform != "linux", reason="the PATH problem is a Linux one")
def test_install_output_warns_about_another_python3_on_path(repo: Path, env: Env) -> None:
    result = ok(env.run(repo, *env.target(), "--no-deps"))
    assert "no Python plugins at all" in result.stdout and "python3 first on PATH" in result.stdout


def test_resource_dir_of_a_known_profile_uses_its_kritarc(repo: Path, env: Env) -> None:
    resource = env.home / "data" / "krita"
    resource.mkdir(parents=True)
    kritarc = env.home / "config" / "kritarc"
    ok(env.run(repo, "--resource-dir", str(resource), "--no-deps"))
    assert kritarc.read_text() == f"[python]\n{KEY}=true\n"
    ok(env.run(repo, "--resource-dir", str(resource), "--uninstall"))
    assert not kritarc.exists() and not (env.home / "config").exists()
    assert list(resource.iterdir()) == []


def test_uninstall_leaves_a_fresh_profile_as_it_was(repo: Path, env: Env) -> None:
    # Krita never started: an empty resource folder, no kritarc, not even its folder.
    resource = env.root / "fresh"
    resource.mkdir()
    kritarc = env.root / "fresh-config" / "krita" / "kritarc"
    target = ["--resource-dir", str(resource), "--kritarc", str(kritarc)]
    ok(env.run(repo, *target, "--python-version", "3.10", "--platform", "win_amd64",
               "--pip-cmd", env.pip("ok")))
    assert kritarc.is_file() and (resource / "pykrita" / PLUGIN / "vendor").is_dir()
    ok(env.run(repo, *target, "--no-deps"))  # again: the kritarc is still the one it made
    result = ok(env.run(repo, *target, "--uninstall"))
    assert list(resource.iterdir()) == []
    assert not (env.root / "fresh-config").exists()
    assert "install.py had created it" in result.stdout


def test_uninstall_keeps_a_created_kritarc_that_krita_wrote_to(repo: Path, env: Env) -> None:
    resource = env.root / "fresh"
    resource.mkdir()
    kritarc = env.root / "fresh-config" / "kritarc"
    target = ["--resource-dir", str(resource), "--kritarc", str(kritarc)]
    ok(env.run(repo, *target, "--no-deps"))
    with kritarc.open("a") as handle:  # Krita started since and saved its settings
        handle.write("\n[General]\nMaxBrushSize=1000\n")
    (resource / "pykrita" / "mine.py").write_text("")  # the user's own file stays too
    ok(env.run(repo, *target, "--uninstall"))
    assert kritarc.read_text().strip() == "[General]\nMaxBrushSize=1000"
    assert sorted(p.name for p in resource.rglob("*")) == ["mine.py", "pykrita"]


def test_uninstall_by_resource_dir_finds_the_kritarc_it_enabled(repo: Path, env: Env) -> None:
    ok(env.run(repo, *env.target(), "--no-deps"))
    assert KEY in env.kritarc.read_text(errors="replace")
    ok(env.run(repo, "--resource-dir", str(env.resource), "--uninstall"))
    assert env.kritarc.read_bytes() == KRITARC


@pytest.mark.parametrize("version", ["3.8", "3.9"])
def test_krita_with_python_older_than_3_10_is_refused(repo: Path, env: Env,
                                                     version: str) -> None:
    before = snapshot(env.resource)
    result = failed(env.run(repo, *env.target(), "--python-version", version,
                            "--platform", "win_amd64", "--pip-cmd", env.pip("ok")))
    assert "Krita 5.2 or newer" in result.stderr and f"Python {version}" in result.stderr
    assert env.pip_calls() == [] and snapshot(env.resource) == before
    assert env.kritarc.read_bytes() == KRITARC
    failed(env.run(repo, "--zip", str(env.root / "x.zip"), "--python-version", version,
                   "--platform", "win_amd64", "--pip-cmd", env.pip("ok")))
    assert not (env.root / "x.zip").exists()


def test_krita_python_read_as_3_8_is_refused(repo: Path, env: Env, tmp_path: Path) -> None:
    krita = tmp_path / "krita-5.1"
    (krita / "lib" / "kritaplugins").mkdir(parents=True)
    (krita / "lib" / "kritaplugins" / "kritapykrita.so").write_bytes(b"\0libpython3.8.so.1\0")
    result = failed(env.run(repo, *env.target(), "--krita-path", str(krita),
                            "--pip-cmd", env.pip("ok")))
    assert "Krita 5.2 or newer" in result.stderr and env.pip_calls() == []


# --------------------------------------------------------------------------------------------
# The zip for Tools > Scripts > Import Python Plugin from File


def test_zip_has_the_layout_krita_importer_expects(repo: Path, env: Env, tmp_path: Path) -> None:
    out = tmp_path / "dist" / "linerefiner.zip"
    out.parent.mkdir()
    ok(env.run(repo, "--zip", str(out), "--python-version", "3.10", "--platform", "win_amd64",
               "--pip-cmd", env.pip("ok")))
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        desktop = archive.read(f"{PLUGIN}.desktop").decode()
    # The importer reads X-KDE-Library, then wants a '<module>/' entry holding __init__.py, and
    # takes '<module>.action' for the actions folder.
    assert f"X-KDE-Library={PLUGIN}" in desktop
    assert {f"{PLUGIN}/", f"{PLUGIN}/__init__.py", f"{PLUGIN}.action",
            f"{PLUGIN}/models/manifest.json", f"{PLUGIN}/models/gaps.onnx",
            f"{PLUGIN}/vendor/numpy/__init__.py", f"{PLUGIN}/vendor/{inst.STAMP_NAME}"} <= names
    assert {name.split("/")[0] for name in names} == {PLUGIN, f"{PLUGIN}.desktop",
                                                      f"{PLUGIN}.action"}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert env.kritarc.read_bytes() == KRITARC  # a zip touches no Krita profile
    assert sorted(p.name for p in out.parent.iterdir()) == ["linerefiner.zip"]


def test_failed_zip_leaves_no_file(repo: Path, env: Env, tmp_path: Path) -> None:
    out = tmp_path / "dist" / "linerefiner.zip"
    out.parent.mkdir()
    failed(env.run(repo, "--zip", str(out), "--python-version", "3.13", "--platform",
                   "win_amd64", "--pip-cmd", env.pip("fail")))
    assert list(out.parent.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Finding Krita


def test_no_krita_found_is_explained(repo: Path, env: Env) -> None:
    result = failed(env.run(repo, "--no-deps"))
    assert "resource folder was not found" in result.stderr and "--resource-dir" in result.stderr


def test_missing_resource_dir_is_refused(repo: Path, env: Env) -> None:
    result = failed(env.run(repo, "--resource-dir", str(env.root / "nope"), "--no-deps"))
    assert "does not exist" in result.stderr


@pytest.mark.parametrize("args", [
    ["--zip", "a.zip", "--uninstall"],
    ["--python-version", "3"],
    ["--python-version", "python3.10"],
    ["--zip", "a.zip", "--resource-dir", "."],
    ["--uninstall", "--no-deps"],
    ["--zip", "a.zip", "--platform", "win_amd64"],
    ["--bogus"],
])
def test_usage_errors_exit_2(repo: Path, env: Env, args: list[str]) -> None:
    result = env.run(repo, *args)
    assert result.returncode == 2, result.stderr
    assert "usage:" in result.stderr


def test_python_version_read_from_kritapykrita(repo: Path, env: Env, tmp_path: Path) -> None:
    plugins = tmp_path / "krita" / "lib" / "x86_64-linux-gnu" / "kritaplugins"
    plugins.mkdir(parents=True)
    (plugins / "kritapykrita.so").write_bytes(b"\x7fELF\0\0libpython3.10.so.1.0\0libQt5Core")
    result = ok(env.run(repo, *env.target(), "--krita-path", str(tmp_path / "krita"),
                        "--platform", "win_amd64", "--pip-cmd", env.pip("ok")))
    assert "Krita's Python is 3.10" in result.stdout
    (call,) = env.pip_calls()
    assert call[call.index("--python-version") + 1] == "3.10"


def test_undetectable_python_version_asks_for_it(repo: Path, env: Env, tmp_path: Path) -> None:
    (tmp_path / "empty-krita").mkdir()
    result = failed(env.run(repo, *env.target(), "--krita-path", str(tmp_path / "empty-krita"),
                            "--pip-cmd", env.pip("ok")))
    assert "--python-version" in result.stderr and "sys.version" in result.stderr
    assert env.pip_calls() == []


@pytest.mark.parametrize(("name", "version"), [
    ("python310.dll", "3.10"),
    ("python39.dll", "3.9"),
    ("python3.dll", None),  # the stable-ABI forwarder, names no version
    ("3.10", "3.10"),  # Python.framework/Versions/3.10
    ("libpython3.11.so.1.0", "3.11"),
    ("libpython3.12.dylib", "3.12"),
    ("python3.13", "3.13"),
    ("kritapykrita.so", None),  # a file that doesn't exist: no content to read
])
def test_python_version_of_names(name: str, version: str | None, tmp_path: Path) -> None:
    assert inst.python_version_of(tmp_path / name) == version


def test_two_krita_pythons_need_a_choice(tmp_path: Path) -> None:
    for version in ("3.10", "3.11"):
        (tmp_path / f"libpython{version}.so").write_bytes(b"")
    with pytest.raises(inst.InstallError, match="more than one"):
        inst.detect_python_version([str(tmp_path / "libpython3.*.so")])


def test_most_recently_used_krita_is_chosen(tmp_path: Path) -> None:
    locations = inst.krita_locations("Linux", env={}, home=tmp_path)
    native, flatpak = locations
    assert flatpak.resource_dir == tmp_path / ".var/app/org.kde.krita/data/krita"
    assert flatpak.kritarc == tmp_path / ".var/app/org.kde.krita/config/kritarc"
    for location, age in ((native, 1000), (flatpak, 10)):
        location.resource_dir.mkdir(parents=True)
        location.kritarc.parent.mkdir(parents=True, exist_ok=True)
        location.kritarc.write_text("[General]\n")
        os.utime(location.kritarc, (time.time() - age, time.time() - age))
    assert inst.choose_location(locations) == flatpak
    # Krita's own setting for a moved resource folder wins.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    flatpak.kritarc.write_text(f"ResourceDirectory={moved}\n[General]\n")
    assert inst.choose_location(locations).resource_dir == moved


def test_microsoft_store_krita_is_found(tmp_path: Path) -> None:
    local = tmp_path / "Local"
    cache = local / "Packages" / "49800Krita_RANDOM" / "LocalCache"
    env_vars = {"APPDATA": str(tmp_path / "Roaming"), "LOCALAPPDATA": str(local)}
    (cache / "Roaming" / "krita").mkdir(parents=True)
    (cache / "Local").mkdir()
    locations = inst.krita_locations("Windows", env=env_vars, home=tmp_path)
    chosen = inst.choose_location(locations)
    assert chosen.resource_dir == cache / "Roaming" / "krita"
    assert chosen.kritarc == cache / "Local" / "kritarc"


@pytest.mark.parametrize(("system", "env_vars", "resource", "kritarc"), [
    ("Linux", {"XDG_DATA_HOME": "/x/data", "XDG_CONFIG_HOME": "/x/conf"},
     "/x/data/krita", "/x/conf/kritarc"),
    ("Linux", {}, "HOME/.local/share/krita", "HOME/.config/kritarc"),
    ("Windows", {"APPDATA": "C:/U/AppData/Roaming", "LOCALAPPDATA": "C:/U/AppData/Local"},
     "C:/U/AppData/Roaming/krita", "C:/U/AppData/Local/kritarc"),
    ("Darwin", {}, "HOME/Library/Application Support/krita", "HOME/Library/Preferences/kritarc"),
])
def test_krita_folders_per_system(system: str, env_vars: dict[str, str], resource: str,
                                  kritarc: str, tmp_path: Path) -> None:
    first = inst.krita_locations(system, env=env_vars, home=tmp_path)[0]
    home = tmp_path.as_posix()
    assert first.resource_dir.as_posix() == resource.replace("HOME", home)
    assert first.kritarc.as_posix() == kritarc.replace("HOME", home)


@pytest.mark.parametrize(("system", "machine", "libc", "mac", "first", "also"), [
    ("Linux", "x86_64", ("glibc", "2.36"), None, "manylinux_2_36_x86_64", "manylinux2014_x86_64"),
    ("Linux", "aarch64", ("glibc", "2.31"), None, "manylinux_2_31_aarch64",
     "manylinux_2_17_aarch64"),
    ("Windows", "AMD64", None, None, "win_amd64", None),
    ("Windows", "ARM64", None, None, "win_amd64", None),  # Krita for Windows is x64 only
    ("Darwin", "arm64", None, "14.2.1", "macosx_14_0_arm64", None),
    ("Darwin", "x86_64", None, "10.15.7", "macosx_10_15_x86_64", None),
])
def test_default_platforms(system: str, machine: str, libc: tuple[str, str] | None,
                           mac: str | None, first: str, also: str | None) -> None:
    platforms = inst.default_platforms(system, machine, libc, mac)
    assert platforms[0] == first
    assert also is None or also in platforms


@pytest.mark.parametrize(("args", "why"), [
    (["--python-version", "3.13", "--platform", "macosx_11_0_arm64"], "needs macOS 13"),
    (["--python-version", "3.14", "--platform", "win_amd64"], "not one LineRefiner supports"),
    (["--python-version", "3.12", "--platform", "win_arm64"], "no numpy"),
])
def test_no_locked_set_is_explained(repo: Path, env: Env, args: list[str], why: str) -> None:
    before = snapshot(env.resource)
    result = failed(env.run(repo, *env.target(), *args, "--pip-cmd", env.pip("ok")))
    assert "no tested set" in result.stderr and why in result.stderr
    assert env.pip_calls() == [] and snapshot(env.resource) == before


def test_musl_linux_is_explained() -> None:
    with pytest.raises(inst.InstallError, match="glibc"):
        inst.default_platforms("Linux", "x86_64", ("", ""))


def test_requirements_match_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert list(inst.REQUIREMENTS) == project["dependencies"]


# --------------------------------------------------------------------------------------------
# kritarc editing, line by line

PY = "[python]\n"
LINE = f"{KEY}=true\n"


@pytest.mark.parametrize(("before", "after"), [
    ("", PY + LINE),
    ("[General]\na=1\n", "[General]\na=1\n\n" + PY + LINE),
    ("[General]\na=1", "[General]\na=1\n\n" + PY + LINE),
    ("[General]\r\na=1\r\n", "[General]\r\na=1\r\n\r\n[python]\r\n" + f"{KEY}=true\r\n"),
    (PY + "enable_x=true\n\n[theme]\nT=1\n", PY + "enable_x=true\n" + LINE + "\n[theme]\nT=1\n"),
    (PY + "enable_x=true", PY + "enable_x=true\n" + LINE),
    (PY + f"{KEY}=false\n", PY + LINE),
    (PY + f"{KEY} = false\n", PY + f"{KEY} =true\n"),
    ("[other]\n" + f"{KEY}=false\n", "[other]\n" + f"{KEY}=false\n\n" + PY + LINE),
    ("[python][sub]\nx=1\n", "[python][sub]\nx=1\n\n" + PY + LINE),
])
def test_set_kritarc_entry(before: str, after: str) -> None:
    assert inst.set_kritarc_entry(before, "python", KEY, "true") == after
    assert inst.set_kritarc_entry(after, "python", KEY, "true") == after


@pytest.mark.parametrize("before", [
    "",
    "[General]\na=1\n",
    "[General]\r\na=1\r\n",
    PY + "enable_x=true\n\n[theme]\nT=1\n",
    "[General]\na=1\n\n" + PY + "enable_x=true\n\n[theme]\nT=1\n",
    KRITARC.decode("utf-8", "surrogateescape"),
])
def test_remove_undoes_set(before: str) -> None:
    installed = inst.set_kritarc_entry(before, "python", KEY, "true")
    assert inst.set_kritarc_entry(installed, "python", KEY, None) == before


def test_remove_keeps_a_group_that_has_other_entries() -> None:
    text = "[General]\na=1\n\n" + PY + LINE + "enable_x=false\n\n[theme]\nT=1\n"
    assert inst.set_kritarc_entry(text, "python", KEY, None) == (
        "[General]\na=1\n\n" + PY + "enable_x=false\n\n[theme]\nT=1\n")


# --------------------------------------------------------------------------------------------
# The real checkout, and (opt-in) the real download


@pytest.mark.skipif(not (REPO / PLUGIN / "__init__.py").is_file(),
                    reason="the plugin package is not in this checkout yet")
def test_real_checkout_installs(env: Env) -> None:
    ok(env.run(REPO, *env.target(), "--no-deps"))
    package = env.resource / "pykrita" / PLUGIN
    sources = {p.relative_to(REPO / PLUGIN).as_posix() for p in (REPO / PLUGIN).rglob("*.py")
               if "__pycache__" not in p.parts and p.parts[len(REPO.parts) + 1] != "vendor"}
    installed = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert sources <= installed
    assert not list(package.rglob("__pycache__"))


@pytest.mark.skipif(os.environ.get("LINEREFINER_TEST_PIP_DOWNLOAD") != "1",
                    reason="downloads ~100 MB; set LINEREFINER_TEST_PIP_DOWNLOAD=1")
def test_real_download(repo: Path, env: Env) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    ok(env.run(repo, *env.target(), "--python-version", version))
    vendor = env.resource / "pykrita" / PLUGIN / "vendor"
    for module in ("numpy", "onnxruntime", "cv2"):
        assert (vendor / module / "__init__.py").is_file()
    # The vendored packages import in a fresh interpreter of that version, from that folder only.
    check = ("import sys; sys.path.insert(0, sys.argv[1]); import numpy, onnxruntime, cv2; "
             "print(numpy.__version__, onnxruntime.__version__, cv2.__version__)")
    result = subprocess.run([sys.executable, "-S", "-c", check, str(vendor)], capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr


def test_failure_while_swapping_restores_the_previous_install(repo: Path, env: Env) -> None:
    ok(env.run(repo, *env.target(), "--no-deps"))
    before = snapshot(env.resource)
    (repo / PLUGIN / "core" / "ink.py").write_text("INK = 2\n")
    # kritarc is written last, after the new files are in place; make that step fail.
    broken_rc = env.root / "kritarc-is-a-folder"
    broken_rc.mkdir()
    result = failed(env.run(repo, "--resource-dir", str(env.resource), "--kritarc",
                            str(broken_rc), "--no-deps"))
    assert "Nothing was changed" in result.stderr
    assert snapshot(env.resource) == before
    no_leftovers(env.resource / "pykrita")


# --------------------------------------------------------------------------------------------
# The small zip (no packages: the docker's Install button fetches them)


def test_zip_without_python_version_is_plugin_and_models_only(repo: Path, env: Env,
                                                              tmp_path: Path) -> None:
    # What the docker's Install button made in a checkout Krita ran from stays out.
    package = repo / PLUGIN
    (package / "vendor-cp311-20260101-000000-abc123" / "numpy").mkdir(parents=True)
    (package / ".vendor-partial-xyz").mkdir()
    (package / "vendor-active.json").write_text('{"folder": "vendor-cp311-x"}')
    out = tmp_path / "small.zip"
    result = ok(env.run(repo, "--zip", str(out), "--pip-cmd", env.pip("ok")))
    assert env.pip_calls() == []
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
    assert {f"{PLUGIN}/__init__.py", f"{PLUGIN}/models/manifest.json"} <= names
    assert not [n for n in names if any(part in n for part in ("/vendor/", "/vendor-",
                                                               "/.vendor"))], sorted(names)
    assert f"{PLUGIN}/vendoring.py" in names
    assert "Install dependencies" in result.stdout


# --------------------------------------------------------------------------------------------
# macOS: the packages fit Krita.app itself

MH_MAGIC_64 = 0xFEEDFACF
CPU = {"x86_64": 0x01000007, "arm64": 0x0100000C}


def macho(archs: list[str]) -> bytes:
    if len(archs) == 1:
        return struct.pack("<III", MH_MAGIC_64, CPU[archs[0]], 3) + bytes(64)
    fat = struct.pack(">II", 0xCAFEBABE, len(archs))
    for i, arch in enumerate(archs):
        fat += struct.pack(">IIIII", CPU[arch], 3, 4096 * (i + 1), 100, 12)
    return fat + bytes(64)


def fake_app(root: Path, minimum: str | None, archs: list[str], *,
             executable: str = "krita") -> Path:
    app = root / "krita.app"
    (app / "Contents" / "MacOS").mkdir(parents=True)
    info = {"CFBundleExecutable": executable, "CFBundleIdentifier": "org.krita"}
    if minimum is not None:
        info["LSMinimumSystemVersion"] = minimum
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps(info))
    (app / "Contents" / "MacOS" / executable).write_bytes(macho(archs))
    return app


@pytest.mark.parametrize(("archs", "found"), [
    (["x86_64"], ["x86_64"]), (["arm64"], ["arm64"]), (["x86_64", "arm64"], ["x86_64", "arm64"])])
def test_macho_archs_reads_thin_and_universal_headers(archs: list[str], found: list[str],
                                                      tmp_path: Path) -> None:
    binary = tmp_path / "krita"
    binary.write_bytes(macho(archs))
    assert inst.macho_archs(binary) == found


def test_macho_archs_of_something_else_is_empty(tmp_path: Path) -> None:
    (tmp_path / "elf").write_bytes(b"\x7fELF" + bytes(60))
    assert inst.macho_archs(tmp_path / "elf") == []
    assert inst.macho_archs(tmp_path / "missing") == []


@pytest.mark.parametrize(("minimum", "archs", "machine", "python", "mac", "tag", "said"), [
    # An Intel-only Krita on Apple silicon runs under Rosetta: x86_64 wheels, at its minimum.
    ("10.14", ["x86_64"], "arm64", "3.10", "14.5", "macosx_10_14_x86_64", "10.14 or newer"),
    # A universal Krita runs natively; arm64 starts at macOS 11.
    ("10.14", ["x86_64", "arm64"], "arm64", "3.10", "14.5", "macosx_11_0_arm64", "x86_64/arm64"),
    ("10.14", ["x86_64", "arm64"], "x86_64", "3.12", "12.7", "macosx_10_14_x86_64", "10.14"),
    ("13.0", ["arm64"], "arm64", "3.13", "15.1", "macosx_13_0_arm64", "13.0 or newer"),
    # Python 3.13 has no packages for macOS 11: this Mac's level, and the reason said.
    ("11.0", ["arm64"], "arm64", "3.13", "14.2.1", "macosx_14_0_arm64", "need a newer macOS"),
])
def test_krita_app_platform(minimum: str, archs: list[str], machine: str, python: str, mac: str,
                            tag: str, said: str, tmp_path: Path) -> None:
    krita = inst.read_krita_app(fake_app(tmp_path, minimum, archs))
    assert krita.minimum == minimum and list(krita.archs) == archs
    got, why = inst.krita_app_platform(krita, python, machine, mac)
    assert got == tag and said in why
    target = VENDORING.target_for_tag(got)
    assert VENDORING.requirements(python, target) is not None


@pytest.mark.parametrize("broken", ["no minimum", "not mach-o", "no plist"])
def test_an_unreadable_krita_app_asks_for_platform(broken: str, tmp_path: Path) -> None:
    app = fake_app(tmp_path, None if broken == "no minimum" else "11.0", ["arm64"])
    if broken == "not mach-o":
        (app / "Contents" / "MacOS" / "krita").write_bytes(b"#!/bin/sh\n")
    if broken == "no plist":
        (app / "Contents" / "Info.plist").write_bytes(b"not a plist")
    with pytest.raises(inst.InstallError) as raised:
        inst.read_krita_app(app)
    assert "--platform" in (raised.value.hint or "")


def test_krita_path_to_krita_app_sets_the_platform(repo: Path, env: Env, tmp_path: Path) -> None:
    app = fake_app(tmp_path, "10.14", ["x86_64"])
    result = ok(env.run(repo, *env.target(), "--krita-path", str(app), "--python-version",
                        "3.10", "--pip-cmd", env.pip("ok")))
    (call,) = env.pip_calls()
    assert [call[i + 1] for i, a in enumerate(call) if a == "--platform"] == [
        "macosx_10_14_x86_64"]
    pins = VENDORING.LOCK[("3.10", "macos-x86_64")]
    assert call[-3:] == [f"{p}=={pins[p]}" for p in VENDORING.PACKAGES]
    assert "krita.app is built for x86_64, macOS 10.14 or newer" in result.stdout


# --------------------------------------------------------------------------------------------
# Linux AppImages

FAKE_APPIMAGE = """#!/bin/sh
# Stands in for an AppImage's runtime: --appimage-extract PATTERN unpacks into ./squashfs-root.
[ "$1" = --appimage-extract ] || exit 2
case "$2" in usr/lib/libpython3*) ;; *) exit 3 ;; esac
mkdir -p squashfs-root/usr/lib
: > squashfs-root/usr/lib/libpython3.10.so.1.0
"""


def test_appimage_python_version_comes_from_its_bundled_libpython(tmp_path: Path) -> None:
    appimage = tmp_path / "krita-5.2.9-x86_64.AppImage"
    appimage.write_text(FAKE_APPIMAGE)
    appimage.chmod(0o755)
    assert inst.is_appimage(appimage)
    version, _ = inst.appimage_python(appimage)
    assert version == "3.10"
    appimage.chmod(0o644)
    with pytest.raises(inst.InstallError) as raised:
        inst.appimage_python(appimage)
    assert "chmod +x" in (raised.value.hint or "")


def test_an_appimage_is_known_by_its_elf_mark(tmp_path: Path) -> None:
    image = tmp_path / "krita"
    image.write_bytes(b"\x7fELF\x02\x01\x01\x00AI\x02" + bytes(50))
    plain = tmp_path / "plain"
    plain.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(50))
    assert inst.is_appimage(image) and not inst.is_appimage(plain)


def test_extracted_appimage_is_detected_with_its_python(tmp_path: Path) -> None:
    root = tmp_path / "squashfs-root"
    (root / "usr" / "lib").mkdir(parents=True)
    (root / "AppRun").write_text("#!/bin/sh\n")
    (root / "usr" / "lib" / "libpython3.10.so.1.0").write_bytes(b"")
    assert inst.is_extracted_appimage(root)
    assert inst.detect_python_version(inst.krita_path_globs(root))[0] == "3.10"


def test_krita_path_to_an_appimage_installs_for_its_python(repo: Path, env: Env,
                                                           tmp_path: Path) -> None:
    appimage = tmp_path / "krita-5.2.9-x86_64.AppImage"
    appimage.write_text(FAKE_APPIMAGE)
    appimage.chmod(0o755)
    result = ok(env.run(repo, *env.target(), "--krita-path", str(appimage),
                        "--platform", "manylinux_2_28_x86_64", "--pip-cmd", env.pip("ok")))
    (call,) = env.pip_calls()
    assert call[call.index("--python-version") + 1] == "3.10"
    assert "Krita's Python is 3.10" in result.stdout


def test_appimages_are_found_where_users_keep_them(tmp_path: Path) -> None:
    for place in ("Applications", "Downloads"):
        (tmp_path / place).mkdir()
    (tmp_path / "Applications" / "krita-5.2.9-x86_64.appimage").write_text("")
    (tmp_path / "Downloads" / "Krita-5.3.0-x86_64.AppImage").write_text("")
    (tmp_path / "Downloads" / "gimp.AppImage").write_text("")
    assert [p.name for p in inst.find_appimages(tmp_path)] == [
        "krita-5.2.9-x86_64.appimage", "Krita-5.3.0-x86_64.AppImage"]


def test_shared_resource_folder_warning_names_both_and_what_to_do() -> None:
    text = inst.shared_folder_warning(Path("/home/a/krita.AppImage"), "3.10",
                                      "/usr/lib/x86_64-linux-gnu/kritaplugins/kritapykrita.so",
                                      "3.11")
    assert "/home/a/krita.AppImage" in text and "kritapykrita.so" in text
    assert "Python 3.10 and 3.11" in text and "same resource folder" in text
    assert "--resource-dir" in text
