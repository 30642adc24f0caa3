"""Record size, sha256 and BLAKE2b-256 of every wheel the in-Krita installer downloads (the one
vendoring.pick_wheel chooses for each package of each locked set) into vendoring.WHEELS.

    python tests/record_wheel_digests.py        rewrite the WHEELS block of
                                                krita_linerefiner/vendoring.py

Standard library only: one request per package to PyPI's JSON API
(https://pypi.org/pypi/<name>/json, whose "releases" list every file with its digests).
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from krita_linerefiner import vendoring  # noqa: E402

VENDORING = ROOT / "krita_linerefiner" / "vendoring.py"
API = "https://pypi.org/pypi/{name}/json"
BLOCK = re.compile(r"(# BEGIN WHEELS\n).*?(# END WHEELS\n)", re.S)


def release_files(package: str) -> dict[str, dict]:
    """Wheel file name -> PyPI's record of it, for every version of `package`."""
    with urllib.request.urlopen(API.format(name=package), timeout=60) as response:
        data = json.load(response)
    return {f["filename"]: f for files in data["releases"].values() for f in files
            if f["filename"].endswith(".whl") and not f.get("yanked")}


def wanted(files: dict[str, dict], package: str) -> set[str]:
    names = set()
    for (python, key), pins in vendoring.LOCK.items():
        platform = vendoring.TARGET_BY_KEY[key].platform
        name = vendoring.pick_wheel(list(files), package, pins[package], python, platform)
        if name is None:
            raise SystemExit(f"PyPI has no {package} {pins[package]} wheel for cp{python} on "
                             f"{platform}")
        names.add(name)
    return names


def main() -> int:
    wheels = {}
    for package in vendoring.PACKAGES:
        files = release_files(package)
        for name in sorted(wanted(files, package)):
            digests = files[name]["digests"]
            wheels[name] = (int(files[name]["size"]), digests["sha256"], digests["blake2b_256"])
    lines = ["WHEELS: dict[str, tuple[int, str, str]] = {"]
    for name, (size, sha256, blake2b) in sorted(wheels.items()):
        lines += [f'    "{name}":', f'        ({size}, "{sha256}",', f'         "{blake2b}"),']
    lines.append("}")
    text = VENDORING.read_text(encoding="utf-8")
    VENDORING.write_text(BLOCK.sub(lambda m: m.group(1) + "\n".join(lines) + "\n" + m.group(2),
                                   text), encoding="utf-8")
    print(f"Recorded {len(wheels)} wheels, {sum(w[0] for w in wheels.values()) / 1e6:.0f} MB "
          f"in all, into {VENDORING.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
