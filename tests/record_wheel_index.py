"""Record which wheels PyPI has for numpy, onnxruntime and opencv-python-headless, for
krita_linerefiner/vendoring.py's lock and tests/test_vendoring.py (which runs offline).

    python tests/record_wheel_index.py              rewrite tests/data/pypi_wheels.txt (the
                                                    wheels of the locked versions)
    python tests/record_wheel_index.py --choose     print the lock choose_lock picks from all
                                                    wheels on PyPI now (paste it into LOCK)

Uses pip itself (three index look-ups, nothing downloaded): `pip download -vvv` lists every link
on a package's index page while it looks for a version that does not exist.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from krita_linerefiner import vendoring  # noqa: E402

INDEX = ROOT / "tests" / "data" / "pypi_wheels.txt"


def wheels_on_pypi(package: str) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--disable-pip-version-check", "-d", folder, "-vvv", f"{package}==0.0.0.0"],
            capture_output=True, text=True, check=False)
    names = set(re.findall(r"/([^/\s#]+\.whl)", done.stdout + done.stderr))
    if not names:
        raise SystemExit(f"pip listed no wheels for {package}:\n{done.stderr[-2000:]}")
    return sorted(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--choose", action="store_true")
    args = parser.parse_args()
    indexes = {package: wheels_on_pypi(package) for package in vendoring.PACKAGES}
    if args.choose:
        for key, pins in sorted(vendoring.choose_lock(indexes).items()):
            print(f"    {key!r}: {pins!r},")
        return 0
    locked = {(p, pins[p]) for pins in vendoring.LOCK.values() for p in vendoring.PACKAGES}
    files = sorted(f for package, names in indexes.items() for f in names
                   if (package, vendoring.parse_wheel(f).version) in locked)
    INDEX.write_text(
        f"# Wheels on PyPI for the versions in krita_linerefiner/vendoring.py's LOCK, recorded "
        f"{time.strftime('%Y-%m-%d')} by tests/record_wheel_index.py.\n" + "\n".join(files)
        + "\n")
    print(f"{len(files)} wheels -> {INDEX}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
