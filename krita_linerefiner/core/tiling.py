"""Run an image function over overlapping tiles and blend the tiles back into one image.

Seams: a tile's output is wrong within the function's receptive radius of a cut edge, because
the tile cannot see across it. We throw away `context = overlap // 4` pixels at every interior
edge, so any function whose radius is <= context is exact there, and cross-fade the rest of the
shared strip with a linear ramp. A hard seam in the middle of the strip would also be exact for
such functions, but a real network sees further than its nominal radius (its receptive field
fades rather than stops) and is not perfectly translation-equivariant (strided layers, padding
to a multiple); a hard seam turns those small disagreements into a visible straight line, while
the ramp spreads them over the strip. The cost is that the ramp needs the full overlap, so the
overlap pixels are computed twice.

Memory: only the output is image-sized. Weights are a 1-D vector per tile edge (the 2-D weight
is their outer product, tile-sized), and padding is done per tile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .errors import check_cancel


@dataclass(frozen=True)
class TileSpec:
    size: int = 512
    overlap: int = 64
    multiple: int = 1

    def __post_init__(self) -> None:
        if self.overlap < 0 or self.overlap % 2:
            raise ValueError(f"overlap must be even and >= 0, got {self.overlap}")
        if self.size <= self.overlap:
            raise ValueError(f"tile size {self.size} must exceed the overlap {self.overlap}")
        if self.multiple < 1:
            raise ValueError(f"multiple must be >= 1, got {self.multiple}")

    @property
    def stride(self) -> int:
        return self.size - self.overlap

    @property
    def context(self) -> int:
        return self.overlap // 4


class TileModel(Protocol):
    """What the pipelines need from a model: run on a tile, say how to tile (ModelSession)."""

    def __call__(self, tile: np.ndarray) -> np.ndarray: ...

    def tile_spec(self, size: int = 512) -> TileSpec: ...


def release_memory(model: object) -> None:
    """After a tiled run: let the model give back memory it keeps between runs
    (ModelSession.release_memory); a plain tile function has none."""
    release = getattr(model, "release_memory", None)
    if callable(release):
        release()


def tile_starts(length: int, spec: TileSpec) -> list[int]:
    if length <= spec.size:
        return [0]
    starts = list(range(0, length - spec.size, spec.stride))
    # The last tile sits flush with the end rather than hanging over it, so every tile has full
    # context; its overlap with the one before may then be larger than spec.overlap.
    starts.append(length - spec.size)
    return starts


def fit_to_image(spec: TileSpec, shape: tuple[int, ...]) -> TileSpec:
    """The smallest tile that needs no more tiles than `spec` on an image of this shape.

    With the last tile flush against the far edge, a 4096 px side cut into 2048 px tiles needs a
    third tile that mostly repeats the second; spreading the same number of tiles evenly does
    the same work with smaller tiles, so less of it is spent on overlaps. An image that fits in
    one tile gets exactly its own size.
    """
    size = spec.multiple
    for length in shape[:2]:
        count = len(tile_starts(length, spec))
        needed = -(-(length + (count - 1) * spec.overlap) // count)
        size = max(size, _round_up(needed, spec.multiple))
    size = max(size, spec.overlap + spec.multiple)
    return TileSpec(size=min(size, spec.size), overlap=spec.overlap, multiple=spec.multiple)


def _cut_fraction(positions: np.ndarray, start: int, end: int) -> np.ndarray:
    """0 before the ramp [start, end), 1 after it, linear in between (1/(n+1) steps)."""
    return np.clip((positions - start + 1) / (end - start + 1), 0.0, 1.0)


def axis_weights(length: int, spec: TileSpec) -> list[tuple[int, int, np.ndarray]]:
    """(start, end, weight) for each tile along one axis; the weights sum to 1 at every pixel.

    Each cut between tile i and i+1 is a ramp F_i over their shared strip minus `context` pixels
    at both ends; tile i's weight is F_{i-1} - F_i. This telescopes to exactly 1 and keeps each
    weight inside its tile's trusted interior, even where the flush last tile overlaps more
    than two tiles.
    """
    starts = tile_starts(length, spec)
    ends = [min(start + spec.size, length) for start in starts]
    cuts = [(starts[i + 1] + spec.context, ends[i] - spec.context) for i in range(len(starts) - 1)]
    result = []
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        positions = np.arange(start, end, dtype=np.float64)
        before = _cut_fraction(positions, *cuts[i - 1]) if i > 0 else 1.0
        after = _cut_fraction(positions, *cuts[i]) if i < len(cuts) else 0.0
        weight = np.broadcast_to(np.asarray(before - after, dtype=np.float32), positions.shape)
        result.append((start, end, weight))
    return result


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _padded_tile(tile: np.ndarray, multiple: int) -> np.ndarray:
    height, width = tile.shape[:2]
    padded_shape = (_round_up(height, multiple), _round_up(width, multiple), *tile.shape[2:])
    # Always a fresh contiguous array: fn may write into it, and runtimes want contiguous input.
    padded = np.zeros(padded_shape, dtype=tile.dtype)
    padded[:height, :width] = tile
    return padded


def run_tiled(
    image: np.ndarray,
    fn: Callable[[np.ndarray], np.ndarray],
    spec: TileSpec,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> np.ndarray:
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    height, width = image.shape[:2]
    if height == 0 or width == 0:
        if progress is not None:
            progress(1.0)
        return np.zeros((height, width), dtype=np.float32)
    rows = axis_weights(height, spec)
    columns = axis_weights(width, spec)
    total = len(rows) * len(columns)
    out: np.ndarray | None = None
    done = 0
    for y0, y1, weight_y in rows:
        for x0, x1, weight_x in columns:
            check_cancel(cancel)
            tile = _padded_tile(image[y0:y1, x0:x1], spec.multiple)
            result = np.asarray(fn(tile))
            if result.shape[:2] != tile.shape[:2] or result.ndim not in (2, 3):
                raise ValueError(
                    f"tile function returned shape {result.shape} for a tile of {tile.shape}"
                )
            result = result[: y1 - y0, : x1 - x0]
            if out is None:
                out = np.zeros((height, width, *result.shape[2:]), dtype=np.float32)
            elif result.shape[2:] != out.shape[2:]:
                raise ValueError(
                    f"tile function returned {result.shape[2:]} channels, earlier {out.shape[2:]}"
                )
            weight = np.outer(weight_y, weight_x)
            if result.ndim == 3:
                weight = weight[..., None]
            out[y0:y1, x0:x1] += weight * result
            done += 1
            if progress is not None:
                progress(done / total)
    assert out is not None  # at least one tile for a non-empty image
    return out


def sub_progress(
    progress: Callable[[float], None] | None, low: float, width: float
) -> Callable[[float], None]:
    """A progress callback for one step that maps its own 0..1 onto [low, low + width] of
    `progress` (a no-op when there is none)."""
    def report(done: float) -> None:
        if progress is not None:
            progress(min(low + width * min(max(done, 0.0), 1.0), 1.0))

    return report
