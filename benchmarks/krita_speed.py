"""A 2048x2048 drawing through Krita's Filter-menu action vs the CLI on the same image.

    python3 benchmarks/krita_speed.py [--size 2048] [--runs 3] [--warm-runs 3] [--no-cli]
    python3 benchmarks/krita_speed.py --size 8000 --warm-runs 1 --no-cli   # UI blocking at 8000

For every Krita run it also reports how long Krita's UI thread was blocked: the longest gap a
10 ms timer on the UI thread saw during the run (Krita's own work included), and the plugin's
own longest stretch per phase (read: copying the layer, build: preparing the layers, write:
filling them, attach: Node.addChildNode, which waits for Krita to recomposite the image).

Krita runs headless under Xvfb in a throw-away profile (installed with install.py, as in
tests/e2e). The Krita time is from triggering "Close Line Gaps" to the result layers being in
the document, including reading the layer's pixels; "cold" is the first run and includes loading
the model, like every CLI call does; "warm" is the best of three more. The CLI time is
`python -m krita_linerefiner close-gaps` from start to exit, best of --runs. Uses models/ when it
has every gap model, else the stand-ins the tests use for what is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e import harness  # noqa: E402
from tests.e2e.drawings import drawing  # noqa: E402


def models_env(root: Path) -> dict[str, str]:
    from tests.e2e.test_krita import models_env as stand_ins
    from tests.e2e.test_krita import real_model

    if not (real_model("gaps") and real_model("verifier")):
        print("models/ lacks the gap model or its verifier: timing with the tests' stand-ins")
    return stand_ins(root)


def time_cli(png: Path, out: Path, env: dict[str, str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "krita_linerefiner", "close-gaps", str(png),
                        "-o", str(out)], check=True, cwd=REPO, env={**os.environ, **env},
                       stdout=subprocess.DEVNULL)
        best = min(best, time.monotonic() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--runs", type=int, default=3, help="CLI runs; the best counts")
    parser.add_argument("--warm-runs", type=int, default=3,
                        help="Krita runs after the first; the best counts")
    parser.add_argument("--no-cli", action="store_true", help="time Krita only")
    args = parser.parse_args()
    missing = harness.missing_tools()
    if missing:
        print(f"needs {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = models_env(root)
        tile = drawing()
        times = -(-args.size // tile.gapped.shape[0])
        ink = np.tile(tile.gapped, (times, times))[: args.size, : args.size]
        png = root / "drawing.png"
        gray = np.rint((1 - ink) * 255).astype(np.uint8)
        cv2.imwrite(str(png), cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
        (root / "input.json").write_text(json.dumps({"png": str(png),
                                                     "warm_runs": args.warm_runs}))

        cli = None if args.no_cli else time_cli(png, root / "cli", env, args.runs)
        profile = harness.make_profile(root / "profile")
        harness.install_plugin(profile)
        harness.install_driver(profile)
        run = harness.run_krita(profile, Path(harness.HERE / "scenarios" / "speed.py"),
                                root / "krita", timeout=3600,
                                env={**env, "LR_E2E_INPUT": str(root / "input.json")})
        r = run.results
        if "error" in r or "cold_seconds" not in r:
            print(f"Krita run failed: {r.get('error')}\n{run.log[-2000:]}", file=sys.stderr)
            return 1
        for key in ("cold", "warm") if args.warm_runs else ("cold",):
            if r[f"{key}_outcome"]["status"] != "done":
                print(f"Krita {key} run: {r[f'{key}_outcome']}", file=sys.stderr)
                return 1
    print(f"{args.size}x{args.size} drawing, close gaps")
    if cli is not None:
        print(f"  CLI (best of {args.runs}, process start to exit): {cli:.2f} s")
    for key, label in (("cold", "cold (loads the model):  "),
                       ("warm", f"warm (best of {args.warm_runs}):        ")):
        if f"{key}_seconds" not in r:
            continue
        ratio = f"  ratio {r[f'{key}_seconds'] / cli:.2f}" if cli else ""
        print(f"  Krita Filter action, {label} {r[f'{key}_seconds']:.2f} s{ratio}")
    for index, block in enumerate(r["ui_block_s"]):
        outcome = r[f"run{index}_outcome"]
        phases = ", ".join(f"{name} {seconds * 1000:.0f}"
                           for name, seconds in outcome["ui_phases"].items())
        cpu = ", ".join(f"{name} {seconds * 1000:.0f}"
                        for name, seconds in outcome.get("ui_cpu_phases", {}).items())
        print(f"  run {index + 1}: longest UI-thread block {block * 1000:.0f} ms; the plugin's "
              f"longest stretch per phase, wall ms: {phases}; UI-thread CPU ms: {cpu}")
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    print(f"  load average per core at the end: {load:.1f} (above 1, other work shares the cores "
          "and Krita, with its own rendering threads, suffers more than the CLI)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
