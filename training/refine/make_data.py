"""Synthesise refine training and held-out pairs.

python -m training.refine.make_data --out data/refine --train 3000 --eval 48 --seed 0

Held-out pairs use openclipart drawings and Hershey fonts the training set never sees, and a
separate random stream for the procedural strokes.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.refine import strokes as st
from training.refine.render import Pair, render_pair, split_strokes


@dataclass(frozen=True)
class Sources:
    drawings: list[list[st.Stroke]]      # traced openclipart outlines at 512 px
    fonts: list[list[list[np.ndarray]]]  # Hershey glyphs


def load_sources(split: str, n_drawings: int, seed: int) -> Sources:
    files = st.openclipart_files(split)
    rng = np.random.default_rng([seed, 7, int(split == "eval")])
    picked = rng.choice(len(files), size=min(n_drawings, len(files)), replace=False)
    drawings = []
    for i in picked:
        traced = st.trace_svg(files[int(i)])
        if sum(s.length for s in traced) > 200:
            drawings.append(traced)
    return Sources(drawings=drawings, fonts=st.hershey_fonts(split))


def transform(strokes: list[st.Stroke], scale: float, offset: np.ndarray,
              flip: bool) -> list[st.Stroke]:
    out = []
    for s in strokes:
        pts = s.points * scale + offset
        if flip:
            pts = pts[:, ::-1].copy()
        out.append(st.Stroke(st.resample(pts, 1.5, s.closed), s.closed))
    return out


def compose(rng: np.random.Generator, sources: Sources, size: int) -> list[st.Stroke]:
    kind = rng.choice(["drawing", "text", "procedural"], p=[0.5, 0.2, 0.3])
    strokes: list[st.Stroke] = []
    if kind == "drawing" and sources.drawings:
        drawing = sources.drawings[int(rng.integers(len(sources.drawings)))]
        scale = rng.uniform(0.5, 2.0) * size / 256
        centre = rng.uniform(0.2, 0.8, 2) * 512 * scale
        strokes += transform(drawing, scale, size / 2 - centre, bool(rng.random() < 0.5))
    elif kind == "text" and sources.fonts:
        font = sources.fonts[int(rng.integers(len(sources.fonts)))]
        for _ in range(int(rng.integers(1, 4))):
            strokes += st.text_line(rng, font, size)
    n_extra = int(rng.integers(0, 4)) if kind != "procedural" else int(rng.integers(3, 10))
    for _ in range(n_extra):
        strokes += st.procedural(rng, size)
    visible = [s for s in strokes if len(s.points) >= 2 and s.length >= 3
               and ((s.points > -10) & (s.points < size + 10)).all(axis=1).any()]
    return split_strokes(rng, visible)


def make_pairs(sources: Sources, count: int, size: int, seed: int, stream: int) -> list[Pair]:
    pairs = []
    for i in range(count):
        rng = np.random.default_rng([seed, stream, i])
        pairs.append(render_pair(rng, compose(rng, sources, size), size))
    return pairs


def save(pairs: list[Pair], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        inp=np.stack([p.inp for p in pairs]),
        ink=np.stack([p.ink for p in pairs]),
        keep=np.stack([p.keep for p in pairs]),
        speck=np.stack([p.speck for p in pairs]),
        centerline=np.stack([p.centerline for p in pairs]),
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("data/refine"))
    ap.add_argument("--train", type=int, default=3000)
    ap.add_argument("--eval", type=int, default=48)
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--eval-size", type=int, default=384)
    ap.add_argument("--drawings", type=int, default=300, help="openclipart files traced (train)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--splits", nargs="+", choices=["eval", "train"], default=["eval", "train"])
    args = ap.parse_args(argv)

    t0 = time.time()
    for split, count, size, n_draw, stream in (
        ("eval", args.eval, args.eval_size, max(10, args.drawings // 8), 2),
        ("train", args.train, args.size, args.drawings, 1),
    ):
        if split not in args.splits:
            continue
        sources = load_sources(split, n_draw, args.seed)
        print(f"{split}: {len(sources.drawings)} drawings, {len(sources.fonts)} fonts "
              f"({time.time() - t0:.0f}s)", flush=True)
        pairs = make_pairs(sources, count, size, args.seed, stream)
        save(pairs, args.out / f"{split}.npz")
        print(f"{split}: {count} pairs of {size}px -> {args.out / (split + '.npz')} "
              f"({time.time() - t0:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
