"""Run real Krita under Xvfb in a throw-away profile, drive it with a scenario, collect results."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DRIVER = HERE / "driver"
OUT = HERE / "out"
PLUGIN_NAME = "krita_linerefiner"

# Krita's own Python (Debian's krita 5.1.5 uses the system Python 3.11): install.py fetches the
# dependencies for it, not for the Python running pytest, and keeps them in DEPS_CACHE, keyed on
# Python version, platform and requirements, so only the first test run downloads them.
KRITA_PYTHON = "3.11"
DEPS_CACHE = REPO / ".venv" / "krita-deps"


def missing_tools() -> list[str]:
    return [tool for tool in ("krita", "xvfb-run") if shutil.which(tool) is None]


@dataclass(frozen=True)
class Profile:
    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def resource_dir(self) -> Path:
        return self.data / "krita"

    @property
    def kritarc(self) -> Path:
        return self.config / "kritarc"

    @property
    def pykrita(self) -> Path:
        return self.resource_dir / "pykrita"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOME=str(self.home),
            XDG_DATA_HOME=str(self.data),
            XDG_CONFIG_HOME=str(self.config),
            XDG_CACHE_HOME=str(self.root / "cache"),
            XDG_RUNTIME_DIR=str(self.root / "runtime"),
            QT_QPA_PLATFORM="xcb",
            # Krita 5.1 asks for OpenGL; Xvfb has only Mesa's software rasteriser.
            LIBGL_ALWAYS_SOFTWARE="1",
        )
        for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYENV_VERSION"):
            env.pop(key, None)
        # Krita's embedded Python finds its standard library through the first `python3` on
        # PATH; a pyenv or venv python3 there makes `import PyQt5` (and so the plugin) fail.
        env["PATH"] = os.pathsep.join(
            part for part in env.get("PATH", "").split(os.pathsep)
            if ".pyenv" not in part and "venv" not in part
        )
        return env


def prepare(tmp_path_factory: Any, name: str, out: Path, *,
            deps: bool = True) -> tuple[Path, Path, Profile]:
    """A module fixture's start: skip (fail in CI) without krita/xvfb-run, then a fresh temp
    root, an emptied output folder `out` and a profile with the plugin (without numpy,
    onnxruntime and OpenCV unless `deps`) and the test driver."""
    import pytest

    missing = missing_tools()
    if missing:
        message = f"real-Krita tests need {', '.join(missing)} (apt-get install krita xvfb)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp(name)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    profile = make_profile(root / "profile")
    install_plugin(profile, deps=deps)
    install_driver(profile)
    return root, out, profile


def make_profile(root: Path) -> Profile:
    profile = Profile(root)
    for path in (profile.home, profile.resource_dir, profile.config, root / "cache"):
        path.mkdir(parents=True, exist_ok=True)
    runtime = root / "runtime"
    runtime.mkdir(exist_ok=True)
    runtime.chmod(0o700)
    return profile


def install_plugin(profile: Profile, *, deps: bool = True) -> None:
    """Install LineRefiner into the profile the way a user does: with install.py."""
    more = ["--python-version", KRITA_PYTHON, "--deps-cache", str(DEPS_CACHE)] if deps else [
        "--no-deps"]
    subprocess.run(
        [sys.executable, str(REPO / "install.py"), "--resource-dir", str(profile.resource_dir),
         "--kritarc", str(profile.kritarc), *more],
        check=True, cwd=REPO,
    )


def enable_plugins(profile: Profile, names: list[str]) -> None:
    """Add enable_<name>=true to kritarc's [python] group, keeping whatever else is there."""
    lines = profile.kritarc.read_text().splitlines() if profile.kritarc.exists() else []
    wanted = [f"enable_{name}=true" for name in names]
    lines = [line for line in lines if line not in wanted]
    if "[python]" not in lines:
        lines += ["", "[python]"]
    at = lines.index("[python]") + 1
    lines[at:at] = wanted
    profile.kritarc.write_text("\n".join(lines) + "\n")


def install_driver(profile: Profile) -> None:
    profile.pykrita.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(profile.pykrita / "lr_e2e_driver", ignore_errors=True)
    shutil.copytree(DRIVER / "lr_e2e_driver", profile.pykrita / "lr_e2e_driver",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(DRIVER / "lr_e2e_driver.desktop", profile.pykrita)
    enable_plugins(profile, ["lr_e2e_driver"])


@dataclass
class KritaRun:
    returncode: int | None
    timed_out: bool
    seconds: float
    log: str
    results: dict[str, Any]
    steps: list[str]


@dataclass
class Session:
    """One module's Krita run and its output folder, as the module's tests read them."""

    run: KritaRun
    out: Path

    @property
    def r(self) -> dict[str, Any]:
        return self.run.results

    def rgba(self, name: str) -> Any:
        """A layer (frame) or merged image the scenario dumped as RGBA U8: (H, W, 4) R, G, B, A."""
        import numpy as np

        meta = json.loads((self.out / f"{name}.json").read_text())
        assert (meta["color_model"], meta["depth"]) == ("RGBA", "U8")
        bgra = np.frombuffer((self.out / f"{name}.raw").read_bytes(), np.uint8)
        return bgra.reshape(meta["h"], meta["w"], 4)[..., [2, 1, 0, 3]]


DISPLAY_RACE = "could not connect to display"
# Krita 5.1 often segfaults while quitting; now and then it then hangs instead of exiting (seen
# once in five runs of test_krita_lines.py: the run waited out its whole timeout). Once the
# scenario has ended (recorded "finished" or "error"), a Krita still there after this long is
# ended and the run is not counted as timed out (returncode -9): the results are all in.
QUIT_GRACE_S = 60.0


def scenario_ended(out: Path) -> bool:
    try:
        results = json.loads((out / "result.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return False
    return bool(results.get("finished")) or "error" in results


def run_krita(profile: Profile, scenario: Path, out: Path, *, timeout: float = 300,
              env: dict[str, str] | None = None, attempts: int = 3) -> KritaRun:
    """Run Krita on the scenario under a fresh Xvfb. xvfb-run -a can hand Krita a display whose
    server is not up yet (a race with a just-ended Xvfb); Krita then aborts at once before any
    plugin code runs, so that start, and only that one, is retried."""
    run = _run_krita_once(profile, scenario, out, timeout=timeout, env=env)
    for _ in range(attempts - 1):
        if run.results or run.steps or DISPLAY_RACE not in run.log:
            break
        time.sleep(2.0)
        run = _run_krita_once(profile, scenario, out, timeout=timeout, env=env)
    return run


def _run_krita_once(profile: Profile, scenario: Path, out: Path, *, timeout: float,
                    env: dict[str, str] | None) -> KritaRun:
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").unlink(missing_ok=True)
    full_env = profile.env()
    full_env.update(LR_E2E_SCENARIO=str(scenario), LR_E2E_OUT=str(out))
    full_env.update(env or {})
    log_path = out / "krita.log"
    start = time.monotonic()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["nice", "-n", "5", "xvfb-run", "-a", "-s", "-screen 0 1600x1000x24",
             "krita", "--nosplash"],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        timed_out = False
        finished_at: float | None = None
        while proc.poll() is None:
            now = time.monotonic()
            if finished_at is None and scenario_ended(out):
                finished_at = now
            hung_at_quit = finished_at is not None and now - finished_at > QUIT_GRACE_S
            if now - start > timeout or hung_at_quit:
                timed_out = not hung_at_quit
                # Krita, Xvfb and xvfb-run share the session we started; end all of them.
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.5)
    seconds = time.monotonic() - start
    payload: dict[str, Any] = {}
    if (out / "result.json").exists():
        payload = json.loads((out / "result.json").read_text())
    return KritaRun(proc.returncode, timed_out, seconds, log_path.read_text(errors="replace"),
                    payload.get("results", {}), payload.get("log", []))
