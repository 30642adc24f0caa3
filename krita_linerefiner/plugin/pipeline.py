"""One run's work as plain numpy: layer bytes in, result patches out. No Krita, no Qt.

worker.py runs `compute` on a thread; tests run it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .layers import (
    GAP_COLOR,
    GAPS_LAYER,
    LINE_COLOR,
    REFINED_LAYER,
    SMOOTHED_LAYER,
    Patch,
    Rect,
    SourceImage,
)
from .settings import Settings

if TYPE_CHECKING:
    import numpy as np

# Result layers are handed over in patches of this size (a multiple of Krita's 64 px tiles):
# all-transparent patches are skipped, and the main thread can write a few per event-loop turn.
PATCH = 256

# task id -> (needs the refine model, closes gaps)
TASKS = {
    "gaps": (False, True),
    "refine": (True, False),
    "refine_gaps": (True, True),
}


@dataclass(frozen=True)
class Job:
    task: str
    source: SourceImage
    settings: Settings


@dataclass(frozen=True)
class Computed:
    layers: dict[str, list[Patch]]
    gap_count: int
    curve: str | None = None  # preset for the "line weight" filter mask; None: no mask


def compute(job: Job, progress: Callable[[float], None], cancel: Callable[[], bool]) -> Computed:
    """The whole pipeline for one job, as pure numpy: bytes in, result layer bytes out."""
    import numpy as np  # noqa: F811 (runtime import; the top one is for type hints only)

    from ..core.gaps import GapParams, close_gaps
    from ..core.ink import ink_from_pixels

    source = job.source
    settings = job.settings
    refine_first, gaps = TASKS[job.task]
    ink = ink_from_pixels(source.pixels, source.rect.w, source.rect.h, source.fmt)
    selected = None
    if source.selection is not None:
        shape = (source.rect.h, source.rect.w)
        selected = np.frombuffer(source.selection, np.uint8).reshape(shape) / np.float32(255)
    stages = int(refine_first) + int(gaps)
    layers: dict[str, list[Patch]] = {}
    count = 0
    curve = None

    def stage_progress(index: int) -> Callable[[float], None]:
        return lambda done: progress((index + done) / stages)

    if refine_first:
        from ..core.post import smooth, tone_curve

        # The curve and the smoothing stay editable in Krita (a filter mask, a layer of its own),
        # so "refined lines" holds the model's output only.
        ink = refined_ink(ink, settings, stage_progress(0), cancel)
        layers[REFINED_LAYER] = to_layer(ink, selected, source, LINE_COLOR)
        if settings.smooth_enabled:
            ink = smooth(ink, settings.smooth_amount)
            layers[SMOOTHED_LAYER] = to_layer(ink, selected, source, LINE_COLOR)
        if settings.curve_enabled:
            curve = settings.curve_preset
            # Gaps are closed on the lines as the user sees them, through the mask's curve.
            ink = tone_curve(ink, curve)
    if gaps:
        params = GapParams(sensitivity=settings.gap_sensitivity, max_gap=settings.max_gap,
                           seal_only=settings.seal_only)
        result = close_gaps(ink, params, progress=stage_progress(stages - 1), cancel=cancel)
        layers[GAPS_LAYER] = to_layer(result.gaps, selected, source, GAP_COLOR)
        count = result.count
    return Computed(layers, count, curve)


def refined_ink(ink: np.ndarray, settings: Settings, progress: Callable[[float], None],
                cancel: Callable[[], bool]) -> np.ndarray:
    from ..core.refine import RefineParams, refine

    return refine(ink, RefineParams(strength=settings.refine_strength), progress=progress,
                  cancel=cancel)


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
