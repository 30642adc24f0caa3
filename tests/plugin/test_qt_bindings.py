"""The docker, the actions and the settings under PyQt5 (Krita 5) and PyQt6 (Krita 6).

Each binding runs qt_cases.py in its own interpreter: two Qt majors in one process crash. Both
bindings come from the [test] extra, so tests/run.sh installs them; a binding that is installed
but does not load (a missing system library) fails here rather than skipping.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).with_name("qt_cases.py")


@pytest.mark.parametrize("binding", ["PyQt5", "PyQt6"])
def test_plugin_qt_side_under(binding: str, tmp_path: Path) -> None:
    if importlib.util.find_spec(binding) is None:
        pytest.skip(f"{binding} is not installed in this environment (tests/run.sh installs it "
                    "in .venv and where a Krita with this Python uses it)")
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, LINEREFINER_TEST_QT=binding, QT_QPA_PLATFORM="offscreen",
               XDG_RUNTIME_DIR=str(runtime),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(CASES), "-q", "-p", "no:cacheprovider",
         "-o", "addopts="],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 8 and "skipped" not in output, output
