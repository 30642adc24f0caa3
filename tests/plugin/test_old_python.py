"""Krita 5.0 and 5.1 official builds run Python 3.8: the plugin must say which Krita it needs in
one line instead of failing somewhere inside its imports."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import krita_linerefiner

ROOT = Path(__file__).resolve().parents[2]

# A `krita` module that records whether the plugin tried to register.
FAKE_KRITA = """
import os

class Krita:
    @staticmethod
    def instance():
        open(os.environ["LR_REGISTERED"], "w").close()
        raise RuntimeError("the plugin registered on a Python it does not support")
"""


def find_python(version: str) -> str | None:
    """An interpreter for `version` that really runs: a pyenv shim of a version that is not
    selected exists on PATH but fails."""
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == str(tuple(map(int,
                                                                         version.split(".")))):
            return candidate
    return None


@pytest.mark.parametrize(("version", "problem"), [
    ((3, 8), True), ((3, 9, 18), True), ((3, 10), False), ((3, 13, 0), False)])
def test_python_problem_names_krita_5_2_for_old_pythons(version: tuple[int, ...],
                                                        problem: bool) -> None:
    message = krita_linerefiner.python_problem(version)
    if not problem:
        assert message is None
        return
    assert message is not None and "\n" not in message
    assert "Krita 5.2 or newer" in message
    assert f"Python {version[0]}.{version[1]}." in message


@pytest.mark.parametrize("version", ["3.8", "3.9"])
def test_inside_an_old_krita_the_import_fails_with_one_clear_line(version: str,
                                                                  tmp_path: Path) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"no working python{version} here (pyenv has one on the project's machines)")
    (tmp_path / "krita.py").write_text(FAKE_KRITA)
    registered = tmp_path / "registered"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
               LR_REGISTERED=str(registered), PYTHONDONTWRITEBYTECODE="1")
    # What Krita's plugin loader does: import the package by its module name.
    done = subprocess.run(
        [python, "-c", "import sys\ntry:\n    import krita_linerefiner\nexcept ImportError as e:"
                       "\n    print(e)\n    print(sorted(m for m in sys.modules"
                       " if m.startswith('krita_linerefiner')))\n    sys.exit(3)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stdout + done.stderr
    line, modules = done.stdout.splitlines()
    assert line == krita_linerefiner.TOO_OLD.format(need="3.10", have=version)
    # Nothing of the plugin ran: no registration, no submodule imported.
    assert not registered.exists() and modules == "[]"
