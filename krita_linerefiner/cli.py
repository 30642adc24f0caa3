"""Batch command line: `linerefiner close-gaps INPUT... -o OUTDIR`.

Folders are walked recursively (animation frames), outputs mirror the folder structure under
OUTDIR, inputs are never overwritten, and one bad file does not stop the batch.
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
from .core.gaps import GapParams, close_gaps
from .core.ink import ink_from_image, paper_from_ink, rgba_from_ink
from .core.post import CURVE_PRESETS, smooth, tone_curve
from .core.refine import STYLE_MODELS, RefineParams, refine

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
OUTPUT_MARKERS = (".gaps.png", ".closed.png", ".refined.png")


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
class Steps:
    """What one command does to every image, in this order."""

    refine: RefineParams | None = None
    curve: str | None = None
    smooth: float | None = None
    gaps: GapParams | None = None

    def __post_init__(self) -> None:
        if self.smooth is not None and not 0.0 <= self.smooth <= 1.0:
            raise LineRefinerError(f"--smooth must be between 0 and 1, not {self.smooth}.")


def run_command(steps: Steps, args: argparse.Namespace) -> int:
    from .core.models import create_session

    use_gpu = not args.cpu
    refine_session = (
        create_session(steps.refine.model_name, threads=args.threads, use_gpu=use_gpu)
        if steps.refine and steps.refine.strength > 0
        else None
    )
    gap_session = (
        create_session("gaps", threads=args.threads, use_gpu=use_gpu) if steps.gaps else None
    )
    jobs = list(find_jobs(args.inputs, args.output))
    protected = {job.source.resolve() for job in jobs}
    stages = (steps.refine is not None) + (steps.gaps is not None)

    def process(job: Job, progress: Callable[[float], None]) -> str:
        start = time.perf_counter()
        ink = ink_from_image(read_image(job.source))
        outputs: dict[str, np.ndarray] = {}
        notes = []
        if steps.refine is not None:
            ink = refine(
                ink, steps.refine, session=refine_session, progress=lambda f: progress(f / stages)
            )
        if steps.curve is not None:
            ink = tone_curve(ink, steps.curve)
        if steps.smooth:
            ink = smooth(ink, steps.smooth)
        if steps.refine is not None or steps.curve is not None or steps.smooth:
            outputs["refined"] = paper_from_ink(ink)
        if steps.gaps is not None:
            done = stages - 1
            result = close_gaps(
                ink,
                steps.gaps,
                session=gap_session,
                progress=lambda f: progress((done + f) / stages),
            )
            outputs["gaps"] = rgba_from_ink(result.gaps)
            outputs["closed"] = paper_from_ink(result.closed)
            notes.append(f"{result.count} gaps closed")
        for suffix, image in outputs.items():
            write_png(job.stem.with_name(f"{job.stem.name}.{suffix}.png"), image, protected)
        seconds = time.perf_counter() - start
        written = ", ".join(f"{job.stem.name}.{suffix}.png" for suffix in outputs)
        return f"{job.source}: {'; '.join([*notes, f'{seconds:.2f}s'])} -> {written}"

    return run_batch(jobs, process, protected)


def gap_params(args: argparse.Namespace) -> GapParams:
    return GapParams(
        sensitivity=args.sensitivity, max_gap=args.max_gap, seal_only=args.seal_only, tile=args.tile
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
        help="0..1, higher closes more (default %(default)s)",
    )
    parser.add_argument(
        "--max-gap",
        type=int,
        default=defaults.max_gap,
        metavar="PX",
        help="largest gap to close in px (default %(default)s)",
    )
    parser.add_argument(
        "--seal-only", action="store_true", help="keep only strokes that split a region in two"
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
    gaps.set_defaults(steps=lambda a: Steps(gaps=gap_params(a)))

    refine_parser = commands.add_parser(
        "refine",
        help="turn rough lines into clean, stylised ones",
        description="Writes NAME.refined.png (refined lines on white) for every image.",
    )
    add_common(refine_parser)
    add_refine_options(refine_parser)
    refine_parser.set_defaults(steps=lambda a: Steps(refine=refine_params(a)))

    run = commands.add_parser(
        "run",
        help="refine, curve, smooth, then close gaps",
        description="Refines the lines, applies the tone curve and smoothing, then closes gaps "
        "in the result: writes NAME.refined.png, NAME.gaps.png and NAME.closed.png.",
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
    run.set_defaults(
        steps=lambda a: Steps(
            refine=refine_params(a),
            curve=None if a.curve == "none" else a.curve,
            smooth=a.smooth,
            gaps=gap_params(a),
        )
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_command(args.steps(args), args)
    except LineRefinerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
