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

import cv2
import numpy as np

from .core.errors import LineRefinerError
from .core.gaps import GapParams, close_gaps
from .core.ink import ink_from_image, paper_from_ink, rgba_from_ink

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
    def __init__(self, total: int, stream=sys.stderr) -> None:  # noqa: ANN001
        self.total = total
        self.stream = stream
        self.live = stream.isatty()
        self.index = 0
        self.name = ""

    def start(self, index: int, name: str) -> None:
        self.index, self.name = index, name
        self.update(0.0)

    def update(self, fraction: float) -> None:
        if not self.live and fraction not in (0.0, 1.0):
            return
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


def close_gaps_command(args: argparse.Namespace) -> int:
    from .core.models import create_session

    params = GapParams(
        sensitivity=args.sensitivity, max_gap=args.max_gap, seal_only=args.seal_only, tile=args.tile
    )
    session = create_session("gaps", threads=args.threads, use_gpu=not args.cpu)
    jobs = list(find_jobs(args.inputs, args.output))
    protected = {job.source.resolve() for job in jobs}

    def process(job: Job, progress: Callable[[float], None]) -> str:
        start = time.perf_counter()
        ink = ink_from_image(read_image(job.source))
        result = close_gaps(ink, params, session=session, progress=progress)
        gaps_path = job.stem.with_name(job.stem.name + ".gaps.png")
        closed_path = job.stem.with_name(job.stem.name + ".closed.png")
        write_png(gaps_path, rgba_from_ink(result.gaps), protected)
        write_png(closed_path, paper_from_ink(result.closed), protected)
        seconds = time.perf_counter() - start
        return f"{job.source}: {result.count} gaps closed in {seconds:.2f}s -> {gaps_path.parent}"

    return run_batch(jobs, process, protected)


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
    gaps.add_argument(
        "inputs", nargs="+", type=Path, metavar="INPUT", help="image files or folders"
    )
    gaps.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR")
    defaults = GapParams()
    gaps.add_argument(
        "--sensitivity",
        type=float,
        default=defaults.sensitivity,
        help="0..1, higher closes more (default %(default)s)",
    )
    gaps.add_argument(
        "--max-gap",
        type=int,
        default=defaults.max_gap,
        metavar="PX",
        help="largest gap to close in px (default %(default)s)",
    )
    gaps.add_argument(
        "--seal-only", action="store_true", help="keep only strokes that separate regions"
    )
    gaps.add_argument(
        "--tile",
        type=int,
        default=defaults.tile,
        metavar="N",
        help="tile size in px (default %(default)s)",
    )
    add_runtime_options(gaps)
    gaps.set_defaults(handler=close_gaps_command)
    return parser


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads", type=int, default=0, metavar="N", help="CPU threads (default: all)"
    )
    parser.add_argument("--cpu", action="store_true", help="never use a GPU")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except LineRefinerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
