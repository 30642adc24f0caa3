"""Batch command line: `linerefiner close-gaps|refine|run|flats INPUT... -o OUTDIR`.

Folders are walked recursively (animation frames), outputs mirror the folder structure under
OUTDIR, inputs are never overwritten, and one bad file does not stop the batch. The steps
themselves run in core.pipeline, in the same order as in the plugin.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from .core.errors import LineRefinerError
from .core.flats import FlatsParams
from .core.gaps import GapParams
from .core.ink import ink_from_image, paper_from_ink, rgba_from_ink
from .core.pipeline import Stages, Steps, open_sessions, run_pipeline
from .core.post import CURVE_PRESETS
from .core.refine import STYLE_MODELS, RefineParams

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
OUTPUT_MARKERS = (".gaps.png", ".closed.png", ".refined.png", ".flats.png")


@dataclass(frozen=True)
class Job:
    source: Path
    stem: Path  # output path without suffixes, inside the output folder


def find_jobs(inputs: Sequence[Path], outdir: Path) -> Iterator[Job]:
    for item in inputs:
        if item.is_dir():
            for path in sorted(item.rglob("*")):
                if is_image(path):
                    rel = path.relative_to(item)
                    yield Job(path, outdir / item.name / rel.parent / path.stem)
        else:
            yield Job(item, outdir / item.stem)


def is_image(path: Path) -> bool:
    name = path.name.lower()
    return (
        path.is_file()
        and path.suffix.lower() in IMAGE_SUFFIXES
        and not name.endswith(OUTPUT_MARKERS)
    )


def read_image(path: Path) -> np.ndarray:
    # imdecode from bytes instead of imread: imread cannot open non-ASCII paths on Windows.
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise LineRefinerError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise LineRefinerError(f"Cannot read {path}: not an image OpenCV can decode.")
    return image


def write_png(path: Path, image: np.ndarray, protected: set[Path]) -> None:
    if path.resolve() in protected:
        raise LineRefinerError(
            f"Refusing to overwrite the input file {path}; choose another -o folder."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise LineRefinerError(f"Cannot encode {path}.")
    encoded.tofile(str(path))


class Progress:
    """One bar per file on a terminal, redrawn in place; one line per finished file otherwise."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total = total
        self.stream = stream
        self.live = stream.isatty()
        self.index = 0
        self.name = ""
        self.finished = False

    def start(self, index: int, name: str) -> None:
        self.index, self.name, self.finished = index, name, False
        self.update(0.0)

    def update(self, fraction: float) -> None:
        if self.finished or (not self.live and fraction < 1.0):
            return
        self.finished = fraction >= 1.0
        filled = int(round(fraction * 20))
        bar = "#" * filled + "-" * (20 - filled)
        line = f"[{self.index}/{self.total}] {bar} {fraction * 100:3.0f}% {self.name}"
        if self.live:
            self.stream.write("\r" + line[:120].ljust(120))
            if fraction >= 1.0:
                self.stream.write("\n")
        elif fraction >= 1.0:
            self.stream.write(line + "\n")
        self.stream.flush()


def run_batch(
    jobs: list[Job],
    process: Callable[[Job, Callable[[float], None]], str],
    protected: set[Path],
) -> int:
    progress = Progress(len(jobs))
    failures = 0
    for index, job in enumerate(jobs, 1):
        progress.start(index, str(job.source))
        try:
            summary = process(job, progress.update)
        except LineRefinerError as exc:
            failures += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        except MemoryError:
            failures += 1
            print(f"error: out of memory on {job.source}; try a smaller --tile.", file=sys.stderr)
            continue
        progress.update(1.0)
        print(summary)
    if failures:
        print(f"{failures} of {len(jobs)} file(s) failed.", file=sys.stderr)
    return 1 if failures else 0


@dataclass(frozen=True)
class Plan:
    """What one command does to every image (core.pipeline.Steps) and which files it writes."""

    steps: Steps
    outputs: tuple[str, ...]  # of "refined", "gaps", "closed", "flats"
    reuse_colors: bool = True


def run_command(plan: Plan, args: argparse.Namespace) -> int:
    steps = plan.steps
    sessions = open_sessions(steps, threads=args.threads, use_gpu=not args.cpu)
    note = sessions.note()
    if note:  # right answers, slower: worth a line, not a failure
        print(f"note: {note}", file=sys.stderr)
    jobs = list(find_jobs(args.inputs, args.output))
    protected = {job.source.resolve() for job in jobs}

    def process(job: Job, progress: Callable[[float], None]) -> str:
        start = time.perf_counter()
        ink = ink_from_image(read_image(job.source))
        flats_path = output_path(job, "flats")
        previous = None
        if steps.flats is not None and plan.reuse_colors:
            previous = earlier_flats(flats_path, ink.shape)
        stages = run_pipeline(ink, steps, sessions=sessions, previous_flats=previous,
                              progress=progress, keep_analysis=False)
        del ink
        notes = []
        if stages.gaps is not None:
            notes.append(f"{stages.gaps.count} gaps closed")
        if stages.flats is not None:
            kept = "" if previous is None else f", colours of the earlier {flats_path.name}"
            notes.append(f"{stages.flats.regions} flat regions{kept}")
        for name in plan.outputs:
            write_png(output_path(job, name), output_image(stages, name), protected)
        seconds = time.perf_counter() - start
        written = ", ".join(output_path(job, name).name for name in plan.outputs)
        return f"{job.source}: {'; '.join([*notes, f'{seconds:.2f}s'])} -> {written}"

    return run_batch(jobs, process, protected)


def output_path(job: Job, name: str) -> Path:
    return job.stem.with_name(f"{job.stem.name}.{name}.png")


def output_image(stages: Stages, name: str) -> np.ndarray:
    if name == "refined":
        return paper_from_ink(stages.lines)
    if name == "flats":
        assert stages.flats is not None
        # cv2 writes B, G, R, A; flats are R, G, B, A, converted in place (one page is big).
        return cv2.cvtColor(stages.flats.rgba, cv2.COLOR_RGBA2BGRA, dst=stages.flats.rgba)
    assert stages.gaps is not None
    if name == "gaps":
        return rgba_from_ink(stages.gaps.gaps)
    return paper_from_ink(stages.gaps.closed)


def earlier_flats(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    """The flats an earlier run wrote (and the user may have recoloured), as RGBA, if they fit:
    regions whose pixels did not change keep their colours."""
    if not path.is_file():
        return None
    try:
        image = read_image(path)
    except LineRefinerError:
        return None
    if image.dtype != np.uint8 or image.shape != (*shape, 4):
        return None
    return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)


def gap_params(args: argparse.Namespace) -> GapParams:
    return GapParams(
        sensitivity=args.sensitivity,
        max_gap=args.max_gap,
        scale_max_gap=not args.fixed_max_gap,
        seal_only=args.seal_only,
        dense=args.dense,
        tile=args.tile,
        line_darkness=args.line_darkness,
    )


def flats_params(args: argparse.Namespace) -> FlatsParams:
    return FlatsParams(
        min_region=args.min_region, fill_border=args.fill_border, line_darkness=args.line_darkness
    )


def refine_params(args: argparse.Namespace) -> RefineParams:
    return RefineParams(strength=args.strength, style=args.style, tile=args.tile)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="+", type=Path, metavar="INPUT", help="image files or folders"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR")
    parser.add_argument(
        "--tile",
        type=int,
        default=2048,
        metavar="N",
        help="largest tile in px (default %(default)s)",
    )
    parser.add_argument(
        "--threads", type=int, default=0, metavar="N", help="CPU threads (default: all)"
    )
    parser.add_argument("--cpu", action="store_true", help="never use a GPU")


def add_gap_options(parser: argparse.ArgumentParser) -> None:
    defaults = GapParams()
    parser.add_argument(
        "--sensitivity",
        type=float,
        default=defaults.sensitivity,
        help="0..1, higher closes more (default %(default)s); breaks of at most 4 px that a "
        "stroke heads across, and of at most 3 px between two lines, are closed at any "
        "sensitivity",
    )
    parser.add_argument(
        "--max-gap",
        type=int,
        default=defaults.max_gap,
        metavar="PX",
        help="largest gap to close in px (default %(default)s; a break along a stroke, whose "
        "two ends head at each other, up to a third longer); where the lines are wider than "
        "about 3 px (a scan at 300 dpi or more) it grows with them, up to 64 px",
    )
    parser.add_argument(
        "--fixed-max-gap", action="store_true",
        help="keep --max-gap as it is however wide the lines are",
    )
    parser.add_argument(
        "--seal-only", action="store_true", help="keep only strokes that split a region in two"
    )
    parser.add_argument(
        "--dense", action="store_true",
        help="also add the dense gap model's strokes (closes more breaks in clean line art, "
        "adds more in sketches and dust, slower)",
    )
    parser.add_argument(
        "--line-darkness",
        type=float,
        default=defaults.line_darkness,
        metavar="D",
        help="0.02..1: lines this dark or darker count as full lines (default: measured)",
    )


def add_flats_options(parser: argparse.ArgumentParser) -> None:
    defaults = FlatsParams()
    parser.add_argument(
        "--min-region",
        type=int,
        default=defaults.min_region,
        metavar="PX",
        help="regions smaller than this merge into their largest neighbour (default "
        "%(default)s)",
    )
    parser.add_argument(
        "--fill-border",
        action="store_true",
        help="colour the regions touching the image border too (default: transparent)",
    )
    parser.add_argument(
        "--new-colors",
        action="store_true",
        help="ignore the colours of an existing NAME.flats.png in OUTDIR (by default regions "
        "whose pixels did not change keep them, recoloured ones included)",
    )


def add_refine_options(parser: argparse.ArgumentParser) -> None:
    defaults = RefineParams()
    parser.add_argument(
        "--strength", type=float, default=defaults.strength, help="0..1 (default %(default)s)"
    )
    parser.add_argument(
        "--style",
        choices=sorted(STYLE_MODELS),
        default=defaults.style,
        help="ink: tapered, modulated strokes; keep: keep the width (default %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linerefiner", description="Line art clean-up with small neural networks."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    gaps = commands.add_parser(
        "close-gaps",
        help="close breaks in lines so flood fills don't leak",
        description="Writes NAME.gaps.png (red on transparent: the added pixels) and "
        "NAME.closed.png (closed lines on white) for every image; folders are processed "
        "recursively.",
    )
    add_common(gaps)
    add_gap_options(gaps)
    gaps.set_defaults(plan=lambda a: Plan(Steps(gaps=gap_params(a)), ("gaps", "closed")))

    refine_parser = commands.add_parser(
        "refine",
        help="turn rough lines into clean, stylised ones",
        description="Writes NAME.refined.png (refined lines on white) for every image.",
    )
    add_common(refine_parser)
    add_refine_options(refine_parser)
    refine_parser.set_defaults(plan=lambda a: Plan(Steps(refine=refine_params(a)), ("refined",)))

    run = commands.add_parser(
        "run",
        help="refine, smooth, curve, then close gaps (and fill flats)",
        description="Refines the lines, smooths them and applies the line weight curve (as the "
        "plugin's layers do), then closes gaps in the result: writes NAME.refined.png, "
        "NAME.gaps.png and NAME.closed.png, and with --flats NAME.flats.png.",
    )
    add_common(run)
    add_refine_options(run)
    run.add_argument(
        "--curve",
        choices=[*sorted(CURVE_PRESETS), "none"],
        default="none",
        help="line weight preset (default %(default)s)",
    )
    run.add_argument(
        "--smooth", type=float, default=0.0, metavar="AMOUNT", help="0..1 (default: off)"
    )
    add_gap_options(run)
    run.add_argument("--flats", action="store_true", help="also fill flats (NAME.flats.png)")
    add_flats_options(run)
    run.set_defaults(
        plan=lambda a: Plan(
            Steps(
                refine=refine_params(a),
                smooth=a.smooth or None,  # 0: off
                curve=None if a.curve == "none" else a.curve,
                gaps=gap_params(a),
                flats=flats_params(a) if a.flats else None,
            ),
            ("refined", "gaps", "closed", "flats") if a.flats else ("refined", "gaps", "closed"),
            reuse_colors=not a.new_colors,
        )
    )

    flats = commands.add_parser(
        "flats",
        help="a flat colour in every region the lines enclose",
        description="Closes the gaps (unless --no-close), then gives every region enclosed by "
        "the lines and closures a flat colour of its own, under the lines to their middle: "
        "writes NAME.flats.png (RGBA, transparent outside). Rerunning keeps the colours of "
        "unchanged regions from the NAME.flats.png already there.",
    )
    add_common(flats)
    add_gap_options(flats)
    flats.add_argument(
        "--no-close", action="store_true", help="fill between the lines as they are"
    )
    add_flats_options(flats)
    flats.set_defaults(
        plan=lambda a: Plan(
            Steps(gaps=None if a.no_close else gap_params(a), flats=flats_params(a)),
            ("flats",),
            reuse_colors=not a.new_colors,
        )
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_command(args.plan(args), args)
    except LineRefinerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
