"""Live preview of gap closing: re-select closures from a cached analysis, without a model run.

A run keeps its GapAnalysis (stroke ends, candidate bridges, the verifier's probabilities) in a
PreviewCache under the layer's id and a digest of the ink it read. When the user then moves
Sensitivity or Max gap, `preview` re-selects and re-draws the closures from that analysis
(core.gaps.closures_of) and counts the regions a flood fill would see: no network runs, and
for a 2048x2048 drawing it takes well under the 150 ms a slider allows
(benchmarks/preview.py measures it, split into selection, drawing and the region count).

The analysis only holds candidates up to the max gap it was searched with, so a run meant for
previewing analyses up to `PREVIEW_REACH` (the largest max gap the docker offers): raising Max
gap later then needs no second run either. Candidates grow with the square of the reach, so
this costs more time in the run (see benchmarks/preview.py: the analysis at 24 and at 64 px).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from .closures import Closure, GapAnalysis
from .errors import LineRefinerError
from .gaps import LINE_LEVEL, MAX_GAP_LIMIT, GapParams, closures_of, seal_closures

PREVIEW_REACH = MAX_GAP_LIMIT
DIGEST_BYTES = 16
# Chunks hashed at a time, so hashing an array never copies it whole (a page is 200 MB).
HASH_CHUNK = 1 << 24


def ink_hash() -> hashlib._Hash:
    """The hash ink_digest uses, for digests fed a piece at a time (finish with ink_final).

    sha256, not blake2b: with the SHA instructions of current x86-64 and ARM CPUs (OpenSSL uses
    them) it hashed 16 MB in 11 ms here against blake2b's 35, and a live preview hashes the
    whole layer on every slider move."""
    return hashlib.sha256()


def ink_final(digest: hashlib._Hash) -> bytes:
    return digest.digest()[:DIGEST_BYTES]


def ink_digest(ink: np.ndarray | bytes | memoryview) -> bytes:
    """A digest of the pixels (and, for an array, its shape and type): the cache key's content.

    Compute it once per read of a layer (about 11 ms per 16 MB) and pass it around.
    """
    digest = ink_hash()
    if isinstance(ink, np.ndarray):
        digest.update(f"{ink.shape}{ink.dtype.str}".encode("ascii"))
        flat = np.ascontiguousarray(ink).reshape(-1).view(np.uint8)
        for lo in range(0, len(flat), HASH_CHUNK):
            digest.update(flat[lo : lo + HASH_CHUNK].data)
    else:
        digest.update(ink)
    return ink_final(digest)


@dataclass(frozen=True)
class PreviewKey:
    layer: str  # the layer's unique id
    digest: bytes  # ink_digest of what the run read


@dataclass(frozen=True)
class CachedRun:
    analysis: GapAnalysis
    reach: int  # the max gap the candidates were searched up to


@dataclass(frozen=True)
class Preview:
    gaps: np.ndarray  # (H, W) float32 coverage of the closures, as GapResult.gaps
    closures: tuple[Closure, ...]
    count: int  # gaps closed
    regions: int  # 4-connected paper regions between the lines and the closures
    seconds: dict[str, float] = field(default_factory=dict, compare=False)  # per stage


class PreviewCache:
    """The analyses of the last few runs, by layer and ink; thread-safe (a worker thread puts,
    the UI thread gets). Each entry holds full-size maps of the layer, so keep `size` small."""

    def __init__(self, size: int = 2) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.size = size
        self._runs: OrderedDict[PreviewKey, CachedRun] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: PreviewKey, analysis: GapAnalysis, reach: int) -> None:
        with self._lock:
            # One entry per layer: its older content can never be previewed again.
            for old in [k for k in self._runs if k.layer == key.layer]:
                del self._runs[old]
            self._runs[key] = CachedRun(analysis, reach)
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)

    def get(self, key: PreviewKey) -> CachedRun | None:
        """The run for exactly this layer and ink; None when the ink changed since."""
        with self._lock:
            run = self._runs.get(key)
            if run is not None:
                self._runs.move_to_end(key)
            return run

    def forget(self, layer: str) -> None:
        with self._lock:
            for old in [k for k in self._runs if k.layer == layer]:
                del self._runs[old]

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)


def count_regions(line: np.ndarray, gaps: np.ndarray) -> int:
    """Paper regions a flood fill sees (4-connected, as fills spread) between `line` (bool) and
    the closures (`gaps` coverage >= LINE_LEVEL)."""
    paper = np.less(gaps, LINE_LEVEL)
    paper &= ~line
    return int(cv2.connectedComponents(paper.view(np.uint8), connectivity=4,
                                       ltype=cv2.CV_32S)[0]) - 1


def preview(run: CachedRun | GapAnalysis, params: GapParams, *, regions: bool = True
            ) -> Preview:
    """The closures `params` select from a cached run, as close_gaps would draw them; no model
    runs. params.max_gap may not exceed the reach the run was analysed to. The dense model's
    strokes (GapParams.dense) are not previewed: they need the dense model's run. `regions=False`
    skips the region count (then Preview.regions is -1)."""
    if isinstance(run, GapAnalysis):
        run = CachedRun(run, params.max_gap)
    if params.max_gap > run.reach:
        raise LineRefinerError(
            f"Max gap {params.max_gap} px is beyond the {run.reach} px the last run searched.",
            hint="run Close Gaps again to preview a larger max gap",
        )
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    gaps, closures = closures_of(run.analysis, replace(params, dense=False))
    seconds["select and draw"] = time.perf_counter() - start
    line = run.analysis.input_line()
    if params.seal_only and closures:
        start = time.perf_counter()
        gaps = seal_closures(line, gaps)
        seconds["seal"] = time.perf_counter() - start
    count = len(closures) if not params.seal_only else _stroke_count(gaps)
    n_regions = -1
    if regions:
        start = time.perf_counter()
        n_regions = count_regions(line, gaps)
        seconds["regions"] = time.perf_counter() - start
    return Preview(gaps, tuple(closures), count, n_regions, seconds)


def _stroke_count(gaps: np.ndarray) -> int:
    strokes = np.greater_equal(gaps, LINE_LEVEL)
    return cv2.connectedComponents(strokes.view(np.uint8), connectivity=8)[0] - 1
