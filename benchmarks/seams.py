"""How much tiling changes the gap model's output: a mosaic run whole and in small tiles.

    python -m benchmarks.seams [--data data/gaps] [--split test] [--tile 512] [--overlap N]

Builds a 1152x1152 mosaic of 3x3 held-out crops, runs the gap model on it as one tile and cut
into `--tile` px tiles with the manifest's overlap (or `--overlap`), and prints the largest
probability difference and how many pixels the default settings decide differently.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from krita_linerefiner.core.gaps import GapParams, select_gap_strokes
from krita_linerefiner.core.models import create_session
from krita_linerefiner.core.tiling import TileSpec, run_tiled


def mosaic(root: Path, split: str, side: int = 3) -> np.ndarray:
    from training.gaps.dataset import load_split

    ink = load_split(root, split)["ink"][: side * side].astype(np.float32) / 255.0
    rows = [np.concatenate(list(ink[r * side : (r + 1) * side]), axis=1) for r in range(side)]
    return np.concatenate(rows, axis=0)


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=Path("data/gaps"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--tile", type=int, default=512)
    ap.add_argument("--overlap", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(list(argv) if argv is not None else None)

    session = create_session("gaps", threads=args.threads)
    ink = mosaic(args.data, args.split)
    spec = session.tile_spec(args.tile)
    if args.overlap is not None:
        spec = TileSpec(size=args.tile, overlap=args.overlap, multiple=spec.multiple)
    h, w = ink.shape
    whole = run_tiled(ink, session, TileSpec(size=max(h, w), overlap=0, multiple=spec.multiple))
    tiled = run_tiled(ink, session, spec)
    params = GapParams()
    a = select_gap_strokes(ink, whole, params).gaps > 0
    b = select_gap_strokes(ink, tiled, params).gaps > 0
    print(f"mosaic {w}x{h}, tiles {spec.size} px, overlap {spec.overlap} px: largest probability "
          f"difference {float(np.abs(whole - tiled).max()):.3f}; {int((a != b).sum())} of "
          f"{int((a | b).sum())} added pixels decided differently")
    return 0


if __name__ == "__main__":
    sys.exit(main())
