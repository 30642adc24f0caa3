"""The in-Krita dependency installer (krita_linerefiner/installer.py) against a local index on
127.0.0.1 serving small fake wheels: it switches only when everything succeeded, and a failure or
Cancel leaves the plugin folder exactly as it was."""

from __future__ import annotations

import hashlib
import http.server
import importlib
import io
import json
import os
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from krita_linerefiner import installer, vendoring
from krita_linerefiner.plugin import deps
from tests.test_vendoring import recorded_index


def fake_wheel(module: str, version: str = "1.0", extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}/__init__.py", f"VERSION = {version!r}\n")
        archive.writestr(f"{module}-{version}.dist-info/METADATA", f"Name: {module}\n")
        # pip --target merges purelib/platlib into the folder and leaves scripts out.
        archive.writestr(f"{module}-{version}.data/platlib/{module}_native.py", "NATIVE = 1\n")
        archive.writestr(f"{module}-{version}.data/scripts/{module}-cli", "#!/bin/sh\n")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


class Index:
    """Files served at http://127.0.0.1:PORT/<name>; `status` answers every request instead."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.status: int | None = None
        self.requests: list[str] = []
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                index.requests.append(self.path)
                data = index.files.get(self.path.lstrip("/"))
                if index.status is not None or data is None:
                    self.send_error(index.status or 404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, package: str, data: bytes, *, sha256: str | None = None,
            filename: str | None = None) -> vendoring.LockedFile:
        filename = filename or f"{package}-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"
        self.files[filename] = data
        return vendoring.LockedFile(package, "1.0", filename, len(data),
                                    sha256 or hashlib.sha256(data).hexdigest(),
                                    f"https://files.example/{filename}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def index() -> Iterator[Index]:
    served = Index()
    yield served
    served.close()


def make_plan(*files: vendoring.LockedFile) -> installer.Plan:
    return installer.Plan("3.11", vendoring.TARGET_BY_KEY["linux-x86_64"], files)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    # As install.py left it: a vendor folder in use, which must survive anything that fails.
    folder = tmp_path / "krita_linerefiner"
    (folder / "vendor" / "numpy").mkdir(parents=True)
    (folder / "vendor" / "numpy" / "__init__.py").write_text("OLD = True\n")
    return folder


class Recorder:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.calls: list[tuple[int, int]] = []
        self.cancel_after = cancel_after

    def progress(self, done: int, total: int) -> None:
        self.calls.append((done, total))

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.calls) >= self.cancel_after


def test_success_unpacks_every_wheel_into_a_new_folder_and_switches_to_it(
        index: Index, plugin_dir: Path) -> None:
    files = (index.add("alpha", fake_wheel("alpha", extra={"big.bin": bytes(600_000)})),
             index.add("beta", fake_wheel("beta")))
    before = snapshot(plugin_dir / "vendor")
    watch = Recorder()
    folder = installer.install(plugin_dir, make_plan(*files), watch.progress, watch.cancelled,
                               base=index.url)
    assert folder.parent == plugin_dir and folder.name.startswith("vendor-cp311-")
    assert installer.active_folder(plugin_dir) == folder
    assert (folder / "alpha" / "__init__.py").read_text() == "VERSION = '1.0'\n"
    assert (folder / "alpha_native.py").is_file() and (folder / "beta_native.py").is_file()
    assert not list(folder.rglob("*-cli"))  # scripts are of no use in Krita
    stamp = json.loads((folder / installer.STAMP_NAME).read_text())
    assert stamp["python_version"] == "3.11"
    assert stamp["requirements"] == ["alpha==1.0", "beta==1.0"]
    # Byte progress over both files, ending at the total, never going back.
    total = sum(f.size for f in files)
    assert watch.calls[-1] == (total, total)
    assert [d for d, _ in watch.calls] == sorted(d for d, _ in watch.calls)
    assert len(watch.calls) > 2  # the big wheel comes in more than one block
    assert snapshot(plugin_dir / "vendor") == before
    assert sorted(p.name for p in plugin_dir.iterdir()) == sorted(
        [folder.name, "vendor", installer.POINTER_NAME])


def test_a_second_install_switches_again_and_the_earlier_folder_goes_at_the_next_start(
        index: Index, plugin_dir: Path) -> None:
    plan = make_plan(index.add("alpha", fake_wheel("alpha")))
    first = installer.install(plugin_dir, plan, Recorder().progress, lambda: False, index.url)
    second = installer.install(plugin_dir, plan, Recorder().progress, lambda: False, index.url)
    assert first != second and installer.active_folder(plugin_dir) == second
    assert installer.remove_unused(plugin_dir) == [first]
    assert second.is_dir() and (plugin_dir / "vendor").is_dir()


@pytest.mark.parametrize("case", ["bad digest", "too long", "cancel", "server error",
                                  "not found", "unreachable", "outside its folder"])
def test_a_failure_says_what_failed_and_changes_nothing(
        case: str, index: Index, plugin_dir: Path) -> None:
    good = index.add("alpha", fake_wheel("alpha", extra={"big.bin": bytes(600_000)}))
    bad = index.add("beta", fake_wheel("beta"))
    base = index.url
    watch = Recorder()
    if case == "bad digest":
        bad = bad._replace(sha256="0" * 64)
    elif case == "too long":
        bad = bad._replace(size=bad.size - 10)
    elif case == "cancel":
        watch.cancel_after = 1  # after the first block of the first file
    elif case == "server error":
        index.status = 503
    elif case == "not found":
        bad = bad._replace(filename="missing-1.0-py3-none-any.whl")
    elif case == "unreachable":
        index.close()
    else:
        bad = index.add("beta", fake_wheel("beta", extra={"../escape.py": b"x"}))
    before = snapshot(plugin_dir)
    expected = installer.InstallCancelled if case == "cancel" else installer.InstallFailed
    with pytest.raises(expected) as raised:
        installer.install(plugin_dir, make_plan(good, bad), watch.progress, watch.cancelled,
                          base)
    assert snapshot(plugin_dir) == before
    assert installer.active_folder(plugin_dir) is None
    message = str(raised.value)
    wanted = {"bad digest": ["beta-1.0", "not the file in LineRefiner's lock", "sha256"],
              "too long": ["beta-1.0", "not the file"],
              "cancel": [],
              "server error": ["alpha-1.0", "HTTP 503", "127.0.0.1"],
              "not found": ["missing-1.0", "HTTP 404"],
              "unreachable": ["could not reach 127.0.0.1", "alpha-1.0"],
              "outside its folder": ["../escape.py"]}[case]
    assert all(part in message for part in wanted), message
    assert not (plugin_dir.parent / "escape.py").exists()


def test_the_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    file = vendoring.LockedFile("numpy", "2.4.6", "numpy-2.4.6-cp311-cp311-win_amd64.whl", 1,
                                "0" * 64, "https://files.pythonhosted.org/packages/ab/cd/ef/x")
    monkeypatch.delenv(installer.URL_ENV, raising=False)
    assert installer.url_for(file) == file.url
    monkeypatch.setenv(installer.URL_ENV, "http://127.0.0.1:8000/wheels/")
    assert installer.url_for(file) == f"http://127.0.0.1:8000/wheels/{file.filename}"


def lock_pairs() -> list[tuple[str, str]]:
    return sorted(vendoring.LOCK)


@pytest.mark.parametrize(("python", "key"), lock_pairs())
def test_the_lock_has_size_and_digests_for_every_file_the_installer_fetches(
        python: str, key: str) -> None:
    target = vendoring.TARGET_BY_KEY[key]
    files = vendoring.locked_files(python, target)
    assert files is not None, "run python tests/record_wheel_digests.py"
    pins = vendoring.LOCK[(python, key)]
    assert [(f.package, f.version) for f in files] == list(pins.items())
    index = recorded_index()
    for file in files:
        # The same file pick_wheel chooses out of everything PyPI has for that version.
        assert file.filename == vendoring.pick_wheel(index, file.package, file.version, python,
                                                     target.platform)
        assert len(file.sha256) == 64 and int(file.sha256, 16) >= 0
        assert file.size > 1_000_000
        blake2b = vendoring.WHEELS[file.filename][2]
        assert file.url == (f"{vendoring.PYPI_FILES}/{blake2b[:2]}/{blake2b[2:4]}/"
                            f"{blake2b[4:]}/{file.filename}")


@pytest.mark.parametrize(("files", "platform", "chosen"), [
    (["a-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "a-1-cp311-cp311-manylinux_2_28_x86_64.whl"], "manylinux_2_28_x86_64",
     "a-1-cp311-cp311-manylinux_2_28_x86_64.whl"),
    (["a-1-cp311-cp311-macosx_10_9_universal2.whl", "a-1-cp311-cp311-macosx_11_0_arm64.whl",
      "a-1-cp311-cp311-macosx_14_0_arm64.whl"], "macosx_13_0_arm64",
     "a-1-cp311-cp311-macosx_11_0_arm64.whl"),
    (["a-1-cp37-abi3-win_amd64.whl", "a-1-cp311-cp311-win_amd64.whl"], "win_amd64",
     "a-1-cp311-cp311-win_amd64.whl"),
])
def test_pick_wheel_takes_the_most_specific_fitting_wheel(files: list[str], platform: str,
                                                          chosen: str) -> None:
    assert vendoring.pick_wheel(files, "a", "1", "3.11", platform) == chosen


def test_running_plan_is_for_this_interpreter() -> None:
    plan, why = installer.running_plan()
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    target = installer.running_target()
    if target is None or (python, target.key) not in vendoring.LOCK:
        assert plan is None and why
        return
    assert plan is not None and plan.python == python and plan.target == target
    assert plan.megabytes == round(sum(f.size for f in plan.files) / 1e6)
    assert all(f"cp{python.replace('.', '')}" in f.filename or "abi3" in f.filename
               for f in plan.files)


def test_the_plugin_imports_from_the_new_folder_without_a_restart(
        index: Index, plugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = "lr_fake_dependency"
    plan = make_plan(index.add(module, fake_wheel(module)))
    monkeypatch.setattr(deps, "PACKAGE_DIR", plugin_dir)
    monkeypatch.setattr(deps, "VENDOR_DIR", plugin_dir / "vendor")
    monkeypatch.setattr(deps, "REQUIRED", ((module, module),))
    monkeypatch.setattr(deps, "RESTART_FOR", [])
    monkeypatch.setattr(sys, "path", [*sys.path, str(plugin_dir / "vendor")])
    deps.missing.cache_clear()
    try:
        assert [p.module for p in deps.missing()] == [module]
        folder = installer.install(plugin_dir, plan, Recorder().progress, lambda: False,
                                   index.url)
        assert deps.use_installed(folder) == []
        assert deps.vendor_dir() == folder
        assert str(plugin_dir / "vendor") not in sys.path and str(folder) in sys.path
        assert deps.missing() == ()
        assert sys.modules[module].VERSION == "1.0"
        # Loaded now: a later install could not replace it in this session, which then stays as
        # it is (new packages next to a loaded old one could crash it) until Krita restarts.
        path = list(sys.path)
        again = installer.install(plugin_dir, plan, Recorder().progress, lambda: False,
                                  index.url)
        assert deps.use_installed(again) == [module]
        assert sys.path == path and deps.installable() is None
        assert "restart Krita" in deps.report((deps.MissingDependency(module, module, "x"),))
    finally:
        sys.modules.pop(module, None)
        deps.missing.cache_clear()
        deps.installable.cache_clear()


def test_a_package_that_failed_to_import_is_imported_whole_from_the_new_folder(
        index: Index, plugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As after a Krita update: the old copy's pure-Python parts load, its binary part (built for
    # the old Python) does not, and the failed import leaves those parts in sys.modules.
    module = "lr_fake_half_broken"
    old = plugin_dir / "vendor" / module
    old.mkdir()
    (old / "__init__.py").write_text("from . import version\nfrom . import _native\n")
    (old / "version.py").write_text("COPY = 'old'\n")
    new = fake_wheel(module, extra={f"{module}/version.py": b"COPY = 'new'\n"})
    plan = make_plan(index.add(module, new))
    monkeypatch.setattr(deps, "PACKAGE_DIR", plugin_dir)
    monkeypatch.setattr(deps, "REQUIRED", ((module, module),))
    monkeypatch.setattr(sys, "path", [*sys.path, str(plugin_dir / "vendor")])
    deps.missing.cache_clear()
    try:
        assert [p.module for p in deps.missing()] == [module]
        assert f"{module}.version" in sys.modules and module not in sys.modules
        folder = installer.install(plugin_dir, plan, Recorder().progress, lambda: False,
                                   index.url)
        assert deps.use_installed(folder) == []
        assert deps.missing() == ()
        # Not the old copy's leftover: that one would still be in sys.modules.
        assert importlib.import_module(f"{module}.version").COPY == "new"
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] == module]:
            del sys.modules[name]
        deps.missing.cache_clear()


def test_a_server_certificate_python_cannot_check_still_needs_the_recorded_digest(
        index: Index, plugin_dir: Path, tmp_path: Path) -> None:
    # Some Krita builds' Python has no certificate store: the download goes on without checking
    # the certificate, and the recorded sha256 alone decides (here a self-signed one).
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    index.server.socket = context.wrap_socket(index.server.socket, server_side=True)
    base = index.url.replace("http://", "https://")
    good = index.add("alpha", fake_wheel("alpha"))
    folder = installer.install(plugin_dir, make_plan(good), Recorder().progress, lambda: False,
                               base)
    assert (folder / "alpha" / "__init__.py").is_file()
    before = snapshot(plugin_dir)
    with pytest.raises(installer.InstallFailed, match="not the file in LineRefiner's lock"):
        installer.install(plugin_dir, make_plan(good._replace(sha256="0" * 64)),
                          Recorder().progress, lambda: False, base)
    assert snapshot(plugin_dir) == before


@pytest.mark.skipif(os.environ.get("LINEREFINER_TEST_PYPI") != "1",
                    reason="asks PyPI's file host about every locked wheel (50 HEAD requests); "
                           "set LINEREFINER_TEST_PYPI=1")
def test_every_recorded_wheel_is_on_pypi_at_its_url_with_its_size() -> None:
    # The cp311 Linux ones are also downloaded and checked against their sha256 by
    # tests/e2e/test_krita_deps_install.py; this covers every platform's without downloading.
    import urllib.request

    files = {f.filename: f for python, key in vendoring.LOCK
             for f in vendoring.locked_files(python, vendoring.TARGET_BY_KEY[key]) or []}
    assert set(files) == set(vendoring.WHEELS)
    for file in files.values():
        request = urllib.request.Request(file.url, method="HEAD")
        with urllib.request.urlopen(request, timeout=60) as response:
            assert int(response.headers["Content-Length"]) == file.size, file.filename
