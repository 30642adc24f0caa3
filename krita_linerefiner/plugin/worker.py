"""Runs the core off Krita's UI thread; results come back to the main thread through a timer.

Only plain bytes and geometry cross over: the worker thread never calls Krita, and the main
thread never runs numpy or onnxruntime on whole images. The main thread polls the job every
POLL_MS; Qt signals from a plain Python thread would also work, but a poll keeps every Krita and
widget call provably on the main thread.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from .layers import Patch
from .pipeline import Computed, Job, compute
from .qt import QObject, QTimer, Signal

POLL_MS = 50
# How long quitting Krita waits for a cancelled job's thread to reach its next cancel check.
QUIT_WAIT_S = 20.0


@dataclass(frozen=True)
class Outcome:
    status: str  # "done" | "cancelled" | "failed"
    message: str
    seconds: float
    gap_count: int = 0
    layers: dict[str, list[Patch]] = field(default_factory=dict, repr=False)
    curve: str | None = None
    nothing: str = ""
    digests: dict[str, str] = field(default_factory=dict, repr=False)
    regions: int = 0
    opaque_source: bool = False
    counts: Any = None  # core.flats.RegionCounts
    seed: Any = field(default=None, repr=False)  # preview.Seed
    note: str = ""  # plugin.pipeline.Computed.note


class Runner(QObject):
    """One job at a time. `finished` is emitted on the main thread with an Outcome."""

    finished = Signal(object)
    progressed = Signal(float)

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linerefiner")
        self.future: Future[Computed] | None = None
        self.abandoned: list[Future[Computed]] = []  # cancelled, maybe still on the thread
        self.cancel_event = threading.Event()
        self.progress_value = 0.0
        self.started_at = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    @property
    def busy(self) -> bool:
        return self.future is not None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

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

    def abandon(self) -> None:
        """Cancel and stop waiting: no outcome is emitted. The thread stops at its next cancel
        check (one tile); a job started meanwhile queues behind it on the one worker."""
        self.cancel_event.set()
        if self.future is not None:
            self.abandoned.append(self.future)
        self.future = None
        self.timer.stop()

    def shutdown(self, wait_s: float = QUIT_WAIT_S) -> None:
        """For Krita quitting: cancel, and wait (at most `wait_s`) for the thread to stop at its
        next cancel check. Krita does not wait for Python threads: one still inside OpenCV when
        Krita's process exits aborted it ("Can't fetch data from terminated TLS container",
        exit code 134, checked), so quitting waits for the job's last step instead."""
        self.abandon()
        self.executor.shutdown(wait=False, cancel_futures=True)
        running = [f for f in self.abandoned if not f.done()]
        if running:
            wait(running, timeout=wait_s)

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
        return Outcome("done", "", seconds, computed.gap_count, computed.layers,
                       computed.curve, computed.nothing, computed.digests, computed.regions,
                       computed.opaque_source, computed.counts, computed.seed, computed.note)
