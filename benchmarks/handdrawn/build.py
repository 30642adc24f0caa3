"""Render the hand-drawn set from what make_set.sh fetched: one PNG per drawing, on white.

    python -m benchmarks.handdrawn.build SRC OUT
    python -m benchmarks.handdrawn.build --lorelei SRC OUT

Three sources, none of them openclipart (the verifier's training source):
- Art4Apps (CC BY-SA 3.0; the copies in Debian's gcompris-qt-data and pysiogame): ink drawn
  by hand, wobbly and of varying width, with hatching marks and natural breaks, filled with a
  colour wash. Only the ink is kept (`ink_only`): the washes are fills, not lines.
- Open Peeps (npm @opeepsfun/open-peeps, MIT): figures drawn by hand and vectorised, outlines
  of varying width, every fill painted white.
- Doodle Icons (npm doodle-icons, MIT): hand-drawn-style icons, thick wobbly strokes.
Used to measure only: never trained on, never shipped.

`--lorelei` renders a set of its own: the LORELEI_COUNT DiceBear Lorelei heads that make_set.sh
made (npm @dicebear/lorelei; the design CC0 1.0): clean vector outlines of faces and hair, drawn
by hand, with solid black hair and pupils, the line art closest to a character sheet here.
Never trained on: the verifier's DiceBear drawings are another designer's style (Notionists,
training.gaps.handdrawn).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from benchmarks.real import on_white

LONGEST = 640
PEEPS_LONGEST = 800
PEEPS = ("bust_01_ButtonPocketShirt", "bust_02_ButtonShirt", "bust_03_Coffee",
         "bust_04_Computer", "bust_06_Explaining", "bust_07_Gaming", "bust_09_Hoodie",
         "bust_16_ShirtCoat", "bust_21_Tee", "sitting_Bike", "sitting_Wheelchair",
         "sitting_CrossedLegs", "standing_Dancer", "standing_DocStethoscope")
DOODLES = ("HotAirBalloon", "Car", "Basket", "PiggyBank", "Globe", "Rocket", "Home", "Cake",
           "Trophy", "Tv")
GCOMPRIS_WORDS = "gcompris/src/activities/lang/resource/words_sample"
GCOMPRIS = ("cat", "rabbit", "sheep", "whale", "wolf", "mouse", "rhinoceros", "mosquito")
PYSIOGAME = "usr/share/games/pysiogame/res/images/art4apps"
PYSIO = ("animals/goat", "animals/hyena", "animals/opossum", "construction/bank",
         "construction/church")
# Brightness (HSV value) at and above which an Art4Apps pixel is paper or wash, and the range
# over which ink fades in below it: the ink is near black, the darkest washes (the wolf's grey
# fur) about 110-135.
WASH_VALUE, INK_RAMP = 110.0, 60.0
ICON_MARGIN = 40  # px of paper round a Doodle Icon, drawn edge to edge
LORELEI_COUNT = 24  # heads in the Lorelei set (make_set.sh makes as many)


def ink_only(bgr: np.ndarray) -> np.ndarray:
    """Grey uint8 drawing of only the dark ink of a washed drawing, on white."""
    value = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[..., 2].astype(np.float32)
    ink = np.clip((WASH_VALUE - value) / INK_RAMP, 0.0, 1.0)
    return np.rint(255.0 * (1.0 - ink)).astype(np.uint8)


def scaled(image: np.ndarray, longest: int = LONGEST) -> np.ndarray:
    scale = longest / max(image.shape[:2])
    if abs(scale - 1.0) < 0.02:
        return image
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)


def render_svg(path: Path, longest: int) -> np.ndarray:
    rsvg = shutil.which("rsvg-convert")
    if rsvg is None:
        raise SystemExit("rsvg-convert is missing: apt-get install librsvg2-bin")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page.png"
        subprocess.run([rsvg, "-a", "-w", str(longest), "-h", str(longest), "-b", "white",
                        "-o", str(out), str(path)], check=True)
        image = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise SystemExit(f"rsvg-convert made nothing readable of {path}")
    return on_white(image)


def read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise SystemExit(f"cannot read {path}")
    return on_white(image)


def build(src: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = []

    def write(name: str, image: np.ndarray) -> None:
        path = out / f"{name}.png"
        cv2.imwrite(str(path), image)
        made.append(path)

    for peep in PEEPS:
        (svg,) = sorted((src / "open-peeps").glob(f"{peep}*.svg"))[:1]
        # Rendered larger than LONGEST: benchmarks.real scales it down with area averaging.
        write(f"openpeeps_{peep}", render_svg(svg, PEEPS_LONGEST))
    for icon in DOODLES:
        image = scaled(render_svg(src / "doodle-icons" / f"{icon}.svg", LONGEST))
        m = ICON_MARGIN
        write(f"doodleicons_{icon}", cv2.copyMakeBorder(
            image, m, m, m, m, cv2.BORDER_CONSTANT, value=(255, 255, 255)))
    for word in GCOMPRIS:
        image = scaled(read(src / "gcompris" / GCOMPRIS_WORDS / f"{word}.webp"))
        write(f"art4apps-gcompris_{word}", ink_only(image))
    for picture in PYSIO:
        image = scaled(read(src / "pysiogame" / PYSIOGAME / f"{picture}.jpg"))
        write(f"art4apps-pysiogame_{Path(picture).name}", ink_only(image))
    return made


def build_lorelei(src: Path, out: Path) -> list[Path]:
    """The Lorelei set: each head of src/lorelei rendered larger than LONGEST (benchmarks.real
    scales it down with area averaging, as the Open Peeps figures)."""
    svgs = sorted((src / "lorelei").glob("lorelei-*.svg"))[:LORELEI_COUNT]
    if len(svgs) < LORELEI_COUNT:
        raise SystemExit(f"{src / 'lorelei'} holds {len(svgs)} Lorelei drawings, not "
                         f"{LORELEI_COUNT}: make them with benchmarks/handdrawn/make_set.sh")
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for svg in svgs:
        path = out / f"{svg.stem}.png"
        cv2.imwrite(str(path), render_svg(svg, PEEPS_LONGEST))
        made.append(path)
    return made


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    lorelei = args[:1] == ["--lorelei"]
    args = args[1:] if lorelei else args
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    made = (build_lorelei if lorelei else build)(Path(args[0]), Path(args[1]))
    print(f"{len(made)} drawings -> {args[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
