"""The live preview's work as plain numpy: what a run leaves for it, and one slider update.

No Krita, no Qt (live.py does the reading and writing on Krita's main thread; tests call these
directly). A run that closed gaps leaves a Seed: the digest of the pixels it read and the gap
analysis (core.preview). When Sensitivity or Max gap moves, `update` gets the layer's pixels as
they are now: if their digest is the run's, it re-selects the closures from the cached analysis
(no network runs) and returns only the "filled gaps" patches that change, the digest of the
whole layer as it will be (so issue 11's record of what the plugin wrote stays true, and a later
run still sees the layer as untouched) and the counts for the status line.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ..core.closures import choice as closure_choice
from ..core.flats import FlatsParams, RegionCounts, region_counts
from ..core.gaps import GapParams
from ..core.preview import (
    PREVIEW_REACH,
    CachedRun,
    PreviewCache,
    PreviewKey,
    ink_digest,
    preview,
)
from .layers import Patch, Rect, SourceImage
from .pipeline import PATCH, layer_digest, to_layer

if TYPE_CHECKING:
    from ..core.closures import GapAnalysis
    from ..core.ink import PixelFormat

# The reach a run searches bridges to, so that the preview can raise Max gap to the docker's
# largest without another run (at 2048x2048 the analysis took 0.60 s at 64 px against 0.46 s at
# 24, benchmarks/preview.py).
RUN_REACH = PREVIEW_REACH
# Layers up to this size keep their run's analysis for previews. Above it a run drops it: on a
# 6071x8598 page the kept analysis (full-size line, piece, distance and skeleton maps) took the
# plugin's peak from about 1.6 GB to over 2 GB, and a preview there would take seconds anyway.
PREVIEW_MAX_PIXELS = 4096 * 4096


def previewable(rect: Rect) -> bool:
    return rect.w * rect.h <= PREVIEW_MAX_PIXELS


def too_large(rect: Rect) -> str:
    megapixels = rect.w * rect.h / 1e6
    return (f"Live preview is off for layers over {PREVIEW_MAX_PIXELS / 1e6:.0f} MP (this one "
            f"is {megapixels:.0f} MP, to keep memory down): press Close Gaps to apply new "
            "Sensitivity or Max gap.")


def as_bytes(data: bytes | np.ndarray) -> memoryview:
    """The bytes of `data` without a copy (a layer's pixels are bytes or a 1-D uint8 array)."""
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data).view(np.uint8).reshape(-1).data
    return memoryview(data)


def source_digest(source: SourceImage) -> bytes:
    """A digest of what a run reads: the rectangle, the formats, the pixels and the selection."""
    parts = [repr((tuple(source.rect), source.fmt, source.result_fmt)).encode(),
             ink_digest(as_bytes(source.pixels))]
    if source.selection is not None:
        parts.append(ink_digest(as_bytes(source.selection)))
    return ink_digest(b"".join(parts))


class SourceDigest:
    """source_digest fed a band of rows at a time, in order, as live.py reads the layer: the
    hashing runs on a worker thread while the UI thread reads the next band (hashlib releases
    the GIL), so no whole-layer hash is left for after the read."""

    def __init__(self, rect: Rect, fmt: PixelFormat, result_fmt: PixelFormat,
                 selection: bool) -> None:
        from ..core.preview import ink_hash

        self.head = repr((tuple(rect), fmt, result_fmt)).encode()
        self.pixels = ink_hash()
        self.selection = ink_hash() if selection else None

    def feed(self, pixels: bytes | np.ndarray, selection: bytes | np.ndarray | None) -> None:
        self.pixels.update(as_bytes(pixels))
        if self.selection is not None and selection is not None:
            self.selection.update(as_bytes(selection))

    def digest(self) -> bytes:
        from ..core.preview import ink_final

        parts = [self.head, ink_final(self.pixels)]
        if self.selection is not None:
            parts.append(ink_final(self.selection))
        return ink_digest(b"".join(parts))


@dataclass(frozen=True)
class Seed:
    """What a run that closed gaps leaves for a live preview."""

    digest: bytes  # source_digest of the pixels it read
    analysis: GapAnalysis = field(repr=False)
    reach: int  # how far its candidates were searched
    shown: np.ndarray = field(repr=False)  # the coverage written to "filled gaps" (selection
    # applied), to tell which patches a preview changes


@dataclass
class Live:
    """The last run's "filled gaps" layer that slider moves update (kept by live.py)."""

    doc_root_id: str
    source_id: str
    gaps_id: str
    rect: Rect
    result_fmt: PixelFormat
    color: tuple[float, float, float]
    selection: np.ndarray | None  # float32 0..1 over rect, as the run applied it
    shown: np.ndarray  # float32 coverage now in the layer
    # Regions a fill sees in the lines alone, by the flats settings (min_region, fill_border)
    # they were counted with: the same for every preview of one run.
    before: dict[tuple[int, bool], int] = field(default_factory=dict)
    digest: bytes = b""  # source_digest of what the run read (its cache key)
    # The last preview's choice of closures (and what decides the counts) and its result: a
    # slider move that accepts the same candidates changes nothing, so nothing is redrawn.
    last: tuple[tuple[object, ...], Update] | None = field(default=None, repr=False)
    tiles: Tiles | None = field(default=None, repr=False)  # `shown` as patches; None: not made


@dataclass(frozen=True)
class Update:
    """One preview: status "done", or "stale" (the layer changed since the run), "touched" (the
    user painted on "filled gaps"), "beyond" (Max gap past the run's reach), with the message."""

    status: str
    message: str
    patches: tuple[Patch, ...] = ()  # to write, in document coordinates
    digest: str = ""  # sha256 of the whole layer over rect once they are written
    shown: np.ndarray | None = field(default=None, repr=False)
    gap_count: int = 0
    counts: RegionCounts | None = None
    seconds: float = 0.0
    tiles: Tiles | None = field(default=None, repr=False)  # the layer's patches once written
    stages: dict[str, float] = field(default_factory=dict, compare=False)  # seconds, for notes


# The layer's patches with ink, by their document (x, y), as to_layer makes them.
Tiles = dict[tuple[int, int], Patch]

RUN_NEEDED = ("The layer changed since the last run: press Close Gaps to preview Sensitivity and "
              "Max gap again.")
NO_RUN = "Live preview needs a run first: press Close Gaps; then Sensitivity and Max gap preview."
TOUCHED = ('You painted on "filled gaps": the preview leaves it as it is; press Close Gaps to '
           "redo the closures (your layer is kept).")


def update(live: Live, cache: PreviewCache, source: SourceImage, params: GapParams,
           flats: FlatsParams, layer_touched: bool) -> Update:
    """The closures `params` select from the cached run for `source`'s pixels, as patches.

    All in one call, for tests and scripts; live.py runs the same steps (`cached`, `reselect`,
    `verdict`, `commit`) with the reading and hashing beside the re-selection."""
    start = time.perf_counter()
    run = cached(live, cache)
    if run is None or source.rect != live.rect:
        return Update("stale", RUN_NEEDED)
    # Hashing the layer (10-40 ms at 2048x2048) runs beside the re-selection (both release the
    # GIL for most of their time); a changed layer throws the preview away.
    read: list[bytes] = []
    hashing = threading.Thread(target=lambda: read.append(source_digest(source)))
    hashing.start()
    try:
        chosen = None if params.max_gap > run.reach else reselect(live, run, params, flats)
    finally:
        hashing.join()
    refused = verdict(live, run, params, read[0] if read else b"", layer_touched)
    if refused is not None:
        return refused
    assert chosen is not None
    return commit(live, chosen, start)


def cached(live: Live, cache: PreviewCache) -> CachedRun | None:
    """The run's analysis, while its layer's content is the one it was keyed by."""
    return cache.get(PreviewKey(live.source_id, live.digest))


def verdict(live: Live, run: CachedRun, params: GapParams, digest: bytes,
            layer_touched: bool) -> Update | None:
    """Why the preview must leave the layer alone (in this order: the source changed, the user
    painted on "filled gaps", Max gap is past the run's reach), or None to write."""
    if digest != live.digest:
        return Update("stale", RUN_NEEDED)
    if layer_touched:
        return Update("touched", TOUCHED)
    if params.max_gap > run.reach:
        return Update("beyond", f"Max gap {params.max_gap} px is beyond the {run.reach} px the "
                      "last run searched: press Close Gaps to preview it.")
    return None


# What the closures depend on (core.closures.choice), seal_only, flats min_region, fill_border.
Choice = tuple[bytes, bool, int, bool]


def reselect(live: Live, run: CachedRun, params: GapParams, flats: FlatsParams
             ) -> tuple[Choice, Update]:
    """The choice of closures `params` make and the preview they give, not yet committed to
    `live` (live.py computes it while the layers are still being read and checked). Reads
    live.shown/tiles/last, which only change in `commit` and the write, never meanwhile."""
    start = time.perf_counter()
    if params.max_gap > run.reach:
        raise ValueError(f"max_gap {params.max_gap} is beyond the run's reach {run.reach}")
    # Which candidates and necks the settings accept (well under a millisecond): the same as
    # last time means the same closures and counts, and nothing to redraw.
    choice = (closure_choice(run.analysis, params.sensitivity, params.max_gap),
              params.seal_only, flats.min_region, flats.fill_border)
    if live.last is not None and live.last[0] == choice:
        return choice, replace(live.last[1], patches=(), seconds=time.perf_counter() - start)
    stages = {"select": time.perf_counter() - start}
    shown = preview(run, params, regions=False)
    gaps = shown.gaps if live.selection is None else shown.gaps * live.selection
    stages["draw"] = time.perf_counter() - start - stages["select"]
    key = (flats.min_region, flats.fill_border)
    # The region count (one connected-components pass over the page) runs beside the patches
    # and the digest.
    counted: list[RegionCounts] = []

    def count() -> None:
        began = time.perf_counter()
        counted.append(region_counts(run.analysis.input_line(), gaps, flats, live.before.get(key)))
        stages["count"] = time.perf_counter() - began

    counting = threading.Thread(target=count)
    counting.start()
    try:
        began = time.perf_counter()
        image = SourceImage(b"", live.rect, live.result_fmt, live.result_fmt, None)
        old = live.tiles
        if old is None:
            old = {(p.rect.x, p.rect.y): p for p in to_layer(live.shown, None, image, live.color)}
        tiles, patches = relayer(live.shown, gaps, old, image, live.color)
        stages["patches"] = time.perf_counter() - began
        digest = layer_digest(list(tiles.values()), image)
        stages["digest"] = time.perf_counter() - began - stages["patches"]
    finally:
        counting.join()
    if not counted:
        raise RuntimeError("the region count failed")
    counts = counted[0]
    n = shown.count
    message = f"Preview: {n} gap{'' if n == 1 else 's'} closed. {counts.text()}."
    return choice, Update("done", message, tuple(patches), digest, gaps, n, counts,
                          time.perf_counter() - start, tiles, stages)


def commit(live: Live, chosen: tuple[Choice, Update], start: float | None = None) -> Update:
    """Takes a checked preview as what the layer will hold (the next slider move compares with
    it); `start`: when the preview began, for Update.seconds."""
    choice, result = chosen
    if start is not None:
        result = replace(result, seconds=time.perf_counter() - start)
    if result.patches or live.last is None or live.last[0] != choice:
        if result.counts is not None:
            live.before[(choice[2], choice[3])] = result.counts.before
        live.last = (choice, replace(result, patches=()))
    return result


def relayer(old: np.ndarray, new: np.ndarray, tiles: Tiles, image: SourceImage,
            color: tuple[float, float, float]) -> tuple[Tiles, list[Patch]]:
    """The layer's patches for `new` (from `tiles`, those of `old`, with only the PATCH-sized
    pieces where the coverage changed made again, as to_layer makes them) and the patches to
    write. A piece with no ink left is written as zero bytes, which is what an untouched part
    of a new layer holds, so layer_digest of the patches is the layer's digest."""
    from ..core.ink import pixels_from_ink

    rect, fmt = image.rect, image.result_fmt
    fresh = dict(tiles)
    patches = []
    height, width = new.shape
    for y in range(0, height, PATCH):
        for x in range(0, width, PATCH):
            before, after = old[y : y + PATCH, x : x + PATCH], new[y : y + PATCH, x : x + PATCH]
            if np.array_equal(before, after):
                continue
            key = (rect.x + x, rect.y + y)
            h, w = after.shape
            if after.any():
                patch = Patch(Rect(*key, w, h), pixels_from_ink(after, fmt, color=color,
                                                                 paper="transparent"))
                fresh[key] = patch
            else:
                patch = Patch(Rect(*key, w, h), bytes(w * h * fmt.bytes_per_pixel))
                fresh.pop(key, None)
            patches.append(patch)
    return fresh, patches
