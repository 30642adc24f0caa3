"""A 2048x2048 drawing through Krita's Filter-menu action vs the CLI on the same image.

    python3 benchmarks/krita_speed.py [--size 2048] [--runs 3]

Krita runs headless under Xvfb in a throw-away profile (installed with install.py, as in
tests/e2e). The Krita time is from triggering "Close Line Gaps" to the result layers being in
the document, including reading the layer's pixels; "cold" is the first run and includes loading
the model, like every CLI call does; "warm" is the best of three more. The CLI time is
`python -m krita_linerefiner close-gaps` from start to exit, best of --runs. Uses models/ when it
has the gap model, else the morphological stand-in from the tests.
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
    manifest = REPO / "models" / "manifest.json"
    if manifest.exists() and "gaps" in json.loads(manifest.read_text()).get("models", {}):
        return {}
    from tests.model_fixtures import write_model_dir

    print("models/ has no gap model yet: timing the morphological stand-in")
    return {"LINEREFINER_MODELS": str(write_model_dir(root / "models"))}


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
        (root / "input.json").write_text(json.dumps({"png": str(png)}))

        cli = time_cli(png, root / "cli", env, args.runs)
        profile = harness.make_profile(root / "profile")
        harness.install_plugin(profile)
        harness.install_driver(profile)
        run = harness.run_krita(profile, Path(harness.HERE / "scenarios" / "speed.py"),
                                root / "krita", timeout=900,
                                env={**env, "LR_E2E_INPUT": str(root / "input.json")})
        r = run.results
        if "error" in r or "warm_seconds" not in r:
            print(f"Krita run failed: {r.get('error')}\n{run.log[-2000:]}", file=sys.stderr)
            return 1
        for key in ("cold", "warm"):
            if r[f"{key}_outcome"]["status"] != "done":
                print(f"Krita {key} run: {r[f'{key}_outcome']}", file=sys.stderr)
                return 1
    print(f"{args.size}x{args.size} drawing, close gaps")
    print(f"  CLI (best of {args.runs}, process start to exit): {cli:.2f} s")
    print(f"  Krita Filter action, cold (loads the model):   {r['cold_seconds']:.2f} s"
          f"  ratio {r['cold_seconds'] / cli:.2f}")
    print(f"  Krita Filter action, warm (best of 3):         {r['warm_seconds']:.2f} s"
          f"  ratio {r['warm_seconds'] / cli:.2f}")
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    print(f"  load average per core at the end: {load:.1f} (above 1, other work shares the cores "
          "and Krita, with its own rendering threads, suffers more than the CLI)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
