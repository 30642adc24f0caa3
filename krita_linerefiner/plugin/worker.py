"""Runs the core off Krita's UI thread; results come back to the main thread through a timer.

Only plain bytes and geometry cross over: the worker thread never calls Krita, and the main
thread never runs numpy or onnxruntime on whole images. The main thread polls the job every
POLL_MS; Qt signals from a plain Python thread would also work, but a poll keeps every Krita and
widget call provably on the main thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .layers import GAP_COLOR, GAPS_LAYER, LINE_COLOR, REFINED_LAYER, SourceImage
from .qt import QObject, QTimer, Signal
from .settings import Settings

if TYPE_CHECKING:
    import numpy as np

POLL_MS = 50

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
    layers: dict[str, bytes]
    gap_count: int


@dataclass(frozen=True)
class Outcome:
    status: str  # "done" | "cancelled" | "failed"
    message: str
    seconds: float
    gap_count: int = 0
    layers: dict[str, bytes] = field(default_factory=dict, repr=False)


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
    layers: dict[str, bytes] = {}
    count = 0

    def stage_progress(index: int) -> Callable[[float], None]:
        return lambda done: progress((index + done) / stages)

    if refine_first:
        ink = refined_ink(ink, settings, stage_progress(0), cancel)
        layers[REFINED_LAYER] = to_layer(ink, selected, source, LINE_COLOR)
    if gaps:
        params = GapParams(sensitivity=settings.gap_sensitivity, max_gap=settings.max_gap,
                           seal_only=settings.seal_only)
        result = close_gaps(ink, params, progress=stage_progress(stages - 1), cancel=cancel)
        layers[GAPS_LAYER] = to_layer(result.gaps, selected, source, GAP_COLOR)
        count = result.count
    return Computed(layers, count)


def refined_ink(ink: np.ndarray, settings: Settings, progress: Callable[[float], None],
                cancel: Callable[[], bool]) -> np.ndarray:
    from ..core.post import CURVE_PRESETS, smooth, tone_curve
    from ..core.refine import RefineParams, refine

    out = refine(ink, RefineParams(strength=settings.refine_strength), progress=progress,
                 cancel=cancel)
    if settings.curve_enabled:
        out = tone_curve(out, CURVE_PRESETS[settings.curve_preset])
    if settings.smooth_enabled:
        out = smooth(out, settings.smooth_amount)
    return out


def to_layer(ink: np.ndarray, selected: np.ndarray | None, source: SourceImage,
             color: tuple[float, float, float]) -> bytes:
    from ..core.ink import pixels_from_ink

    if selected is not None:
        # Only the selected area changes, with the selection's soft edges.
        ink = ink * selected
    return pixels_from_ink(ink, source.result_fmt, color=color, paper="transparent")


class Runner(QObject):
    """One job at a time. `finished` is emitted on the main thread with an Outcome."""

    finished = Signal(object)
    progressed = Signal(float)

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linerefiner")
        self.future: Future[Computed] | None = None
        self.cancel_event = threading.Event()
        self.progress_value = 0.0
        self.started_at = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    @property
    def busy(self) -> bool:
        return self.future is not None

    def start(self, job: Job) -> None:
        if self.busy:
            raise RuntimeError("a LineRefiner job is already running")
        self.cancel_event = threading.Event()
        self.progress_value = 0.0
        self.started_at = time.monotonic()
        cancel = self.cancel_event.is_set
        self.future = self.executor.submit(compute, job, self.set_progress, cancel)
        self.timer.start()

    def set_progress(self, value: float) -> None:
        # Called from the worker thread: a float store is atomic, the poll picks it up.
        self.progress_value = value

    def cancel(self) -> None:
        self.cancel_event.set()

    def poll(self) -> None:
        future = self.future
        if future is None:
            self.timer.stop()
            return
        if not future.done():
            self.progressed.emit(self.progress_value)
            return
        self.timer.stop()
        self.future = None
        self.finished.emit(self.outcome(future))

    def outcome(self, future: Future[Computed]) -> Outcome:
        from ..core.errors import CancelledError, LineRefinerError

        seconds = time.monotonic() - self.started_at
        error = future.exception()
        if isinstance(error, CancelledError) or (error is None and self.cancel_event.is_set()):
            return Outcome("cancelled", "Cancelled; the document was not changed.", seconds)
        if isinstance(error, LineRefinerError):
            return Outcome("failed", str(error), seconds)
        if error is not None:
            return Outcome("failed", f"LineRefiner failed: {type(error).__name__}: {error}",
                           seconds)
        computed = future.result()
        return Outcome("done", "", seconds, computed.gap_count, computed.layers)
