"""Hand-drawn training crops for the verifier: Open Peeps and Doodle Icons drawings, and
DiceBear Notionists figures where asked for (`packages`).

The verifier's other sources are vector strokes (openclipart, Hershey letters, procedural); the
breaks users bring are in drawn lines of varying width, with wobble, taper and crowding. These
two npm packages (both MIT; fetched and unpacked by benchmarks/handdrawn/make_set.sh, its `src`
folder) hold about 490 hand-drawn drawings. The hand-drawn benchmark set
(benchmarks/handdrawn/build.py) measures on 24 of them: those are never used here. What the
benchmark measures on wholly apart from these sources: its Art4Apps drawings (CC BY-SA, not
trained on) and Tux Paint's starters.

Notionists (npm @dicebear/notionists, the design CC0 1.0; make_set.sh renders 400 of them, one
per seed): busts drawn by hand and vectorised, outlines of varying width with tapered ends,
solid black hair and clothes, hands and gestures. The benchmark measures on another DiceBear
designer's style (Lorelei, benchmarks.handdrawn.build --lorelei), never on these.

Each crop is one drawing rendered at a random size (Open Peeps' figures 400-800 px tall, their
outlines 2-9 px; Doodle Icons 96-240 px, their strokes 2-8 px; Notionists 300-800 px, their
outlines 2-6 px; the packages' crops in turn) and a window of it with some ink in it; the
pipeline cuts each crop as benchmarks.real cuts drawings (training.gaps.realcuts), like the
openclipart crops.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.handdrawn.build import DOODLES, PEEPS, render_svg
from krita_linerefiner.core.ink import ink_from_image
from training.gaps.make_data import quantize

# The `src` folder of benchmarks/handdrawn/make_set.sh (open-peeps/, doodle-icons/ of SVGs).
HANDDRAWN_DIR = Path(os.environ.get("LINEREFINER_HANDDRAWN_DIR") or "data/handdrawn/src")
CROP = 192  # px, as the openclipart source crops
PEEP_SIZES = (400, 800)  # px, the longest side a figure is rendered at
DOODLE_SIZES = (96, 240)
NOTIONIST_SIZES = (300, 800)
SIZES = {"open-peeps": PEEP_SIZES, "doodle-icons": DOODLE_SIZES, "notionists": NOTIONIST_SIZES}
# The packages the shipped verifier was trained on (the pipeline's --handdrawn-packages).
DEFAULT_PACKAGES = ("open-peeps", "doodle-icons")
CREDITS = {"open-peeps": "Open Peeps (npm, MIT)", "doodle-icons": "Doodle Icons (npm, MIT)",
           "notionists": "DiceBear Notionists (npm, design CC0 1.0)"}
INK_SHARE = (0.02, 0.35)  # of a crop's px: line enough to cut, not a solid fill
TRIES = 12  # windows tried per crop


def training_svgs(src: Path, packages: tuple[str, ...] = DEFAULT_PACKAGES) -> list[Path]:
    """The drawings of `packages` in `src` that the hand-drawn benchmark set does not measure
    on, package by package, each sorted."""
    unknown = sorted(set(packages) - set(SIZES))
    if unknown:
        raise ValueError(f"unknown hand-drawn packages {unknown}; known: {sorted(SIZES)}")
    out: list[Path] = []
    for name in packages:
        found = sorted((src / name).glob("*.svg"))
        if name == "open-peeps":
            found = [p for p in found if not any(p.name.startswith(n) for n in PEEPS)]
        elif name == "doodle-icons":
            found = [p for p in found if p.stem not in DOODLES]
        out += found
    return out


def credit(packages: tuple[str, ...]) -> str:
    """Where the crops of `packages` come from and under which licence, for the manifest."""
    names = [CREDITS[name] for name in packages]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def available(src: Path = HANDDRAWN_DIR, packages: tuple[str, ...] = DEFAULT_PACKAGES
              ) -> str | None:
    """Why the crops cannot be made here, or None."""
    if shutil.which("rsvg-convert") is None:
        return "rsvg-convert (librsvg2-bin) is not installed"
    have = {p.parent.name for p in training_svgs(src, packages)}
    lacking = [name for name in packages if name not in have]
    if lacking:
        return (f"no {', '.join(lacking)} drawings in {src} (make them with "
                "benchmarks/handdrawn/make_set.sh OUT, then LINEREFINER_HANDDRAWN_DIR=OUT/src)")
    return None


def crops(src: Path, count: int, seed: int, size: int = CROP,
          render: Callable[[Path, int], np.ndarray] = render_svg,
          packages: tuple[str, ...] = DEFAULT_PACKAGES) -> np.ndarray:
    """(count, size, size) uint8 ink (255 = line): `count` crops, the packages in turn and
    each package's drawings in an order fixed by `seed`, each rendered at a random size and
    windowed where its ink share lies in INK_SHARE (the window with the share nearest its
    middle after TRIES). `render`: (svg, longest side px) -> BGR uint8 on white."""
    svgs = training_svgs(src, packages)
    groups = [([p for p in svgs if p.parent.name == name], SIZES[name]) for name in packages]
    pools = [(group, sizes) for group, sizes in groups if group]
    rng = np.random.default_rng([seed, 4242])
    orders = [rng.permutation(len(group)) for group, _ in pools]
    middle = 0.5 * (INK_SHARE[0] + INK_SHARE[1])
    out = np.zeros((count, size, size), np.uint8)
    for i in range(count):
        (group, (lo, hi)), order = pools[i % len(pools)], orders[i % len(pools)]
        svg = group[int(order[(i // len(pools)) % len(group)])]
        longest = int(rng.integers(lo, hi + 1))
        ink = ink_from_image(render(svg, longest))
        h, w = ink.shape
        sheet = np.zeros((max(h, size), max(w, size)), np.float32)
        sheet[:h, :w] = ink
        best, best_score = sheet[:size, :size], np.inf
        for _ in range(TRIES):
            y = int(rng.integers(0, sheet.shape[0] - size + 1))
            x = int(rng.integers(0, sheet.shape[1] - size + 1))
            window = sheet[y : y + size, x : x + size]
            share = float((window >= 0.5).mean())
            score = (abs(share - middle) if INK_SHARE[0] <= share <= INK_SHARE[1]
                     else 1 + min(abs(share - INK_SHARE[0]), abs(share - INK_SHARE[1])))
            if score < best_score:
                best, best_score = window, score
        out[i] = quantize(best)
    return out
