"""One run's work as plain numpy: layer bytes in, result patches out. No Krita, no Qt.

worker.py runs `compute` on a thread; tests run it directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from .layers import (
    FLATS_LAYER,
    GAPS_LAYER,
    LINE_COLOR,
    REFINED_LAYER,
    SMOOTHED_LAYER,
    Patch,
    Rect,
    SourceImage,
    rgba_to_pixels,
)
from .settings import AUTO, GAP_COLORS, Settings

if TYPE_CHECKING:
    import numpy as np

    from ..core.flats import RegionCounts
    from ..core.frames import FramePlan
    from .preview import Seed

# Result layers are handed over in patches of this size (a multiple of Krita's 64 px tiles):
# all-transparent patches are skipped, and the main thread can write a few per event-loop turn.
PATCH = 256

# task id -> (needs the refine model, closes gaps)
TASKS = {
    "gaps": (False, True),
    "refine": (True, False),
    "refine_gaps": (True, True),
    "flats": (False, True),  # closes the gaps, then fills the regions with flat colours
    # Refine, close and fill in one pass (the CLI's `run --flats`): the flats are filled
    # between the refined lines and their closures, and the layer is read and the gaps closed
    # once, not twice as "refine_gaps" then "flats" do (issue 13's large pages).
    "refine_flats": (True, True),
}
# The tasks that fill flats (a "flats" layer below the source).
FLATS_TASKS = ("flats", "refine_flats")


@dataclass(frozen=True)
class Job:
    task: str
    source: SourceImage
    settings: Settings
    # The plugin's earlier "flats" layer over source.rect as (H, W, 4) RGBA uint8, so a rerun
    # keeps the colours of unchanged regions and those the user painted; None: none there.
    previous_flats: np.ndarray | None = None


@dataclass(frozen=True)
class Computed:
    layers: dict[str, list[Patch]]
    gap_count: int
    curve: str | None = None  # preset for the "line weight" filter mask; None: no mask
    # Why nothing is added, in one line; "" when there is something to add.
    nothing: str = ""
    # layer name -> sha256 of its bytes over the source rectangle, as written: a rerun reads
    # the layer back and compares, to tell results the user painted on from untouched ones.
    digests: dict[str, str] = field(default_factory=dict)
    regions: int = 0  # flat regions coloured (the "flats" task)
    # The source has no transparent pixel (lines on white paper): it hides the flats below it
    # unless its blending mode is Multiply, which the message then says.
    opaque_source: bool = False
    # Regions a fill sees in the lines alone and with the closures ("gaps" tasks and flats).
    counts: RegionCounts | None = None
    # What a live preview re-selects closures from; None when no gap was analysed.
    seed: Seed | None = field(default=None, repr=False)
    # How the models ran, for the done message (core.pipeline.Sessions.note); "" when normal.
    note: str = ""


def compute(job: Job, progress: Callable[[float], None], cancel: Callable[[], bool]) -> Computed:
    """The whole pipeline for one job, as pure numpy: bytes in, result layer bytes out."""
    import numpy as np  # noqa: F811 (runtime import; the top one is for type hints only)

    from ..core.flats import FlatsParams, region_counts
    from ..core.gaps import LINE_LEVEL, GapParams
    from ..core.ink import ink_from_pixels, no_lines_message
    from ..core.pipeline import Steps, open_sessions, run_pipeline
    from ..core.refine import RefineParams
    from .preview import RUN_REACH, Seed, previewable, source_digest

    source = job.source
    settings = job.settings
    refine_first, gaps = TASKS[job.task]
    ink = ink_from_pixels(source.pixels, source.rect.w, source.rect.h, source.fmt)
    selected = None
    if source.selection is not None:
        shape = (source.rect.h, source.rect.w)
        selected = np.frombuffer(source.selection, np.uint8).reshape(shape) / np.float32(255)
    # The order of the steps is core.pipeline's, shared with the CLI. The curve and the
    # smoothing stay editable in Krita (a filter mask, a layer of its own), so "refined lines"
    # holds the model's output only, and gaps are closed on the lines as the user sees them.
    steps = Steps(
        refine=RefineParams(strength=settings.refine_strength) if refine_first else None,
        smooth=settings.smooth_amount if refine_first and settings.smooth_enabled else None,
        curve=settings.curve_preset if refine_first and settings.curve_enabled else None,
        gaps=GapParams(sensitivity=settings.gap_sensitivity, max_gap=settings.max_gap,
                       scale_max_gap=settings.max_gap_wide,
                       seal_only=settings.seal_only, dense=settings.dense,
                       line_darkness=None if settings.line_darkness == AUTO
                       else settings.line_darkness) if gaps else None,
        flats=FlatsParams(min_region=settings.flats_min_region,
                          fill_border=settings.flats_fill_border) if job.task in FLATS_TASKS
        else None,
    )
    # For the live preview the analysis is kept, searched to the docker's largest max gap.
    keep = gaps and previewable(source.rect)
    sessions = open_sessions(steps)
    stages = run_pipeline(ink, steps, sessions=sessions, progress=progress,
                          cancel=cancel, origin=(source.rect.x, source.rect.y),
                          previous_flats=job.previous_flats, keep_analysis=keep,
                          gap_reach=RUN_REACH if keep else None)
    count = 0
    curve = steps.curve
    no_lines = ""
    if stages.gaps is not None:
        count = stages.gaps.count
        if no_line_found(stages.gaps) and not refine_first:
            no_lines = no_lines_message(ink if selected is None else ink * selected)
    del ink  # the source's ink is not needed past here (unless it is stages.lines itself)
    # The region counts come before the layers' bytes are made: on a 6071x8598 page the
    # count's label map on top of the patches took the run's peak past 2 GB.
    counts = seed = None
    normalised = stages.gaps.normalised if stages.gaps is not None else None
    if stages.gaps is not None and normalised is not None:
        result = stages.gaps
        shown = result.gaps if selected is None else result.gaps * selected
        flats_params = FlatsParams(min_region=settings.flats_min_region,
                                   fill_border=settings.flats_fill_border)
        line = (result.analysis.input_line() if result.analysis is not None
                else np.greater_equal(normalised, np.float32(LINE_LEVEL)))
        counts = region_counts(line, shown, flats_params)
        del line
        if result.analysis is not None and steps.gaps is not None and not steps.gaps.dense:
            seed = Seed(source_digest(source), result.analysis,
                        max(RUN_REACH, steps.gaps.max_gap),
                        shown.astype(np.float32, copy=False))
        del shown
    layers: dict[str, list[Patch]] = {}
    if stages.refined is not None:
        layers[REFINED_LAYER] = to_layer(stages.refined, selected, source, LINE_COLOR)
    if stages.smoothed is not None:
        layers[SMOOTHED_LAYER] = to_layer(stages.smoothed, selected, source, LINE_COLOR)
    if stages.gaps is not None:
        layers[GAPS_LAYER] = to_layer(stages.gaps.gaps, selected, source,
                                      GAP_COLORS[settings.gap_color])
    regions = 0
    if stages.flats is not None:
        regions = stages.flats.regions
        if regions:
            layers[FLATS_LAYER] = flats_to_layer(stages.flats.rgba, source)
    digests = {name: layer_digest(patches, source) for name, patches in layers.items()}
    nothing = nothing_reason(job.task, layers, count, source, no_lines)
    if job.task in FLATS_TASKS and not regions:
        # No region to colour: nothing changes, not even the closures.
        nothing = (nothing if nothing.startswith("Nothing added:") else
                   "Nothing to fill: no region is enclosed by the lines and the closures.")
    opaque = job.task in FLATS_TASKS and opaque_layer(source)
    return Computed(layers, count, curve, nothing, digests, regions, opaque, counts, seed,
                    sessions.note())


class FrameResult(Protocol):
    """What combine_frames reads of one frame's result (Computed, or worker.Outcome): a
    dataclass, which it copies with new values."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def layers(self) -> dict[str, list[Patch]]: ...

    @property
    def digests(self) -> dict[str, str]: ...

    @property
    def nothing(self) -> str: ...

    @property
    def gap_count(self) -> int: ...

    @property
    def regions(self) -> int: ...

    @property
    def opaque_source(self) -> bool: ...


R = TypeVar("R", bound=FrameResult)


def combine_frames(results: Mapping[int, R], plan: FramePlan, empty_digest: str
                   ) -> tuple[R, dict[int, dict[str, list[Patch]]]]:
    """An animated run's results per processed keyframe time (dataclasses) as one result,
    plus the patches per keyframe time: every keyframe of `plan`, those not processed with none.
    The result's layers name every layer any frame has (with no patches of their own), its
    digests combine each layer's keyframes (`empty_digest` where a keyframe has none, as
    Node.pixelDataAtTime then reads it), its counts are summed, and it adds nothing only when
    no frame adds anything."""
    from ..core.frames import frames_digest

    frames: dict[int, dict[str, list[Patch]]] = {t: {} for t in plan.times}
    frames.update({t: dict(result.layers) for t, result in results.items()})
    names = dict.fromkeys(name for result in results.values() for name in result.layers)
    digests = {name: frames_digest({t: results[t].digests.get(name, empty_digest)
                                    if t in results else empty_digest for t in plan.times})
               for name in names}
    last = results[plan.process[-1]]
    nothing = ""
    if all(result.nothing for result in results.values()):
        nothing = f"{last.nothing.rstrip('.')} in any of the {len(results)} keyframes."
    combined = replace(last, layers={name: [] for name in names},
                       digests=digests, nothing=nothing,
                       gap_count=sum(r.gap_count for r in results.values()),
                       regions=sum(r.regions for r in results.values()),
                       opaque_source=any(r.opaque_source for r in results.values()))
    return combined, frames


def opaque_layer(source: SourceImage) -> bool:
    """Whether every pixel of the source is fully opaque."""
    import numpy as np  # noqa: F811

    fmt = source.fmt
    values = np.frombuffer(source.pixels, fmt.dtype)
    alpha = values[fmt.channels - 1 :: fmt.channels]
    full = 1.0 if fmt.is_float else np.iinfo(fmt.dtype).max
    return bool(alpha.size) and bool(alpha.min() >= full)


def no_line_found(result: object) -> bool:
    """close_gaps runs no model (neither the verifier nor the dense one) when nothing in the
    layer reads as a line, even after its line-darkness normalisation."""
    import numpy as np  # noqa: F811

    from ..core.gaps import LINE_LEVEL

    if getattr(result, "analysis", None) is not None or \
            getattr(result, "probability", None) is not None:
        return False
    # Without its analysis (not kept for a large layer) the normalised lines tell.
    normalised = getattr(result, "normalised", None)
    return normalised is None or not np.any(np.greater_equal(normalised, LINE_LEVEL))


def nothing_reason(task: str, layers: dict[str, list[Patch]], count: int,
                   source: SourceImage, no_lines: str) -> str:
    """Why the run adds nothing, in one line; "" when any result layer has pixels."""
    if any(layers.values()):
        return ""
    if no_lines:
        if source.selection is not None:
            no_lines = no_lines.replace("no lines found", "no lines found in the selection")
        return f"Nothing added: {no_lines}."
    if TASKS[task][1]:
        where = " inside the selection" if source.selection is not None and count else ""
        return f"0 gaps closed{where}: nothing added."
    return "Nothing added: the refined lines are empty."


def layer_digest(patches: list[Patch], source: SourceImage) -> str:
    """sha256 of the layer's bytes over the source rectangle, row by row, as Krita's
    Node.pixelData returns them once the patches are written into a new, transparent layer
    (all zero bytes where no patch is). Streamed a band of rows at a time, so the whole layer is
    never held at once."""
    import numpy as np  # noqa: F811

    rect = source.rect
    bpp = source.result_fmt.bytes_per_pixel
    digest = hashlib.sha256()
    by_row: dict[int, list[Patch]] = {}
    for patch in patches:
        by_row.setdefault(patch.rect.y, []).append(patch)
    for y in range(rect.y, rect.y + rect.h, PATCH):
        rows = min(PATCH, rect.y + rect.h - y)
        band = np.zeros((rows, rect.w * bpp), np.uint8)
        for patch in by_row.get(y, []):
            x = (patch.rect.x - rect.x) * bpp
            data = np.frombuffer(patch.data, np.uint8).reshape(patch.rect.h, patch.rect.w * bpp)
            band[:, x : x + data.shape[1]] = data
        digest.update(band.tobytes())
    return digest.hexdigest()


def to_layer(ink: np.ndarray, selected: np.ndarray | None, source: SourceImage,
             color: tuple[float, float, float]) -> list[Patch]:
    """Layer bytes for `ink` over the source rectangle, as patches that have any ink."""
    from ..core.ink import pixels_from_ink

    if selected is not None:
        # Only the selected area changes, with the selection's soft edges.
        ink = ink * selected
    patches = []
    height, width = ink.shape
    for y in range(0, height, PATCH):
        for x in range(0, width, PATCH):
            part = ink[y : y + PATCH, x : x + PATCH]
            if part.any():
                rect = Rect(source.rect.x + x, source.rect.y + y, part.shape[1], part.shape[0])
                patches.append(Patch(rect, pixels_from_ink(part, source.result_fmt, color=color,
                                                            paper="transparent")))
    return patches


def flats_to_layer(rgba: np.ndarray, source: SourceImage) -> list[Patch]:
    """Layer bytes for the flats (H, W, 4 RGBA uint8) over the source rectangle, as patches
    that have any opaque pixel."""
    patches = []
    height, width = rgba.shape[:2]
    for y in range(0, height, PATCH):
        for x in range(0, width, PATCH):
            part = rgba[y : y + PATCH, x : x + PATCH]
            if part[..., 3].any():
                rect = Rect(source.rect.x + x, source.rect.y + y, part.shape[1], part.shape[0])
                patches.append(Patch(rect, rgba_to_pixels(part, source.result_fmt)))
    return patches
