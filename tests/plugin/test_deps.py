"""The plugin's dependency check and its "how to fix" command, for every Krita Python and
platform, without Krita."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from krita_linerefiner import vendoring
from krita_linerefiner.plugin import deps
from tests.test_vendoring import recorded_index


@pytest.mark.parametrize("target", vendoring.TARGETS, ids=lambda t: t.key)
@pytest.mark.parametrize("python", vendoring.PYTHONS)
def test_fix_command_installs_a_set_pip_can_resolve(python: str,
                                                    target: vendoring.Target) -> None:
    command = deps.fix_command(python, target)
    if (python, target.key) in vendoring.NOT_LOCKED:
        assert command == ""
        return
    words = shlex.split(command)
    assert words[words.index("--python-version") + 1] == python
    assert words[words.index("--target") + 1] == str(deps.VENDOR_DIR)
    tags = [words[i + 1] for i, word in enumerate(words) if word == "--platform"]
    assert tags[0] == target.platform
    pins = dict(w.split("==") for w in words if "==" in w)
    assert pins == vendoring.LOCK[(python, target.key)]
    # pip takes a wheel that fits any of the --platform tags: each package must have one.
    index = recorded_index()
    for package, version in pins.items():
        assert any(vendoring.wheels_for(index, package, version, python, tag) for tag in tags), (
            package, version, python, tags)


def fake_module(version: str, file: Path) -> SimpleNamespace:
    return SimpleNamespace(__version__=version, __file__=str(file))


@pytest.mark.parametrize(("numpy_dir", "named"), [
    (Path("/opt/other/site-packages/numpy"), True), (deps.VENDOR_DIR / "numpy", False)])
def test_a_numpy_too_new_for_onnxruntime_is_named_with_where_it_came_from(
        numpy_dir: Path, named: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", fake_module("2.1.0", numpy_dir / "__init__.py"))
    monkeypatch.setitem(sys.modules, "onnxruntime",
                        fake_module("1.18.1", Path("/x/onnxruntime/__init__.py")))
    problem = deps.numpy_mismatch()
    assert problem is not None and problem.package == "numpy"
    assert "onnxruntime 1.18.1 needs numpy 1.x" in problem.error
    assert ("/opt/other/site-packages" in problem.error) is named
    assert ("another plugin" in problem.error) is named
    monkeypatch.setitem(sys.modules, "onnxruntime",
                        fake_module("1.19.2", Path("/x/onnxruntime/__init__.py")))
    assert deps.numpy_mismatch() is None


def test_packages_for_another_python_ask_to_install_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / deps.STAMP_NAME).write_text(json.dumps({"python_version": "3.10"}))
    monkeypatch.setattr(deps, "VENDOR_DIR", tmp_path)
    monkeypatch.setattr(vendoring, "running_python", lambda: "3.13")
    problem = deps.MissingDependency("numpy", "numpy", "ImportError: wrong magic")
    message = deps.report((problem,))
    assert "installed for Python 3.10" in message and "runs Python 3.13" in message
    assert "--python-version 3.13" in message
