"""Live preview in Krita: Sensitivity and Max gap update the last run's "filled gaps" layer.

Main thread: a slider move restarts a short debounce timer; when it fires, the main thread
reads the source layer again and the "filled gaps" layer back (both a band at a time, as a run
reads) while a second worker thread hashes each band as it comes; once read, the re-selection
(preview.reselect: closures, counts, changed patches, the layer's new digest) runs on a worker
thread beside the hashing still left. Only when both digests say nothing changed since the run
(preview.verdict) are the changed patches written, on the main thread. The checks stay whole
(every byte of both layers is read and hashed on every preview); they just no longer wait for
the reads to end or hold the UI thread.

The layer is already in the image here, and Node.setPixelData is not undoable (layers.py): a
preview only ever rewrites the plugin's own, untouched "filled gaps" layer (checked against the
record of what the plugin wrote, which the write then updates), so Undo of the run still removes
the whole result, and no pixel of the user's is changed outside the undo history.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..core.preview import PreviewCache, PreviewKey
from .qt import QObject, QTimer, Signal

# Slider moves closer together than this make one preview (a drag emits dozens).
DEBOUNCE_MS = 120
POLL_MS = 15
READ_SLICE_S = 0.03
BUSY_RETRY_MS = 20
SETTINGS = ("gap_sensitivity", "max_gap")
# An animated layer's run writes a keyframe per frame into "filled gaps" (plugin/frames.py), and
# its record combines every keyframe's digest; a preview reads and writes the current frame only,
# so it would mix frames and break that record. It is not offered there.
ANIMATED = ("Live preview works on still layers; run Close Gaps again for an animated layer.")
OTHER_DOCUMENT = ("Live preview follows the last Close Gaps run, which was in another document: "
                  "press Close Gaps here to preview this one.")


@dataclass(frozen=True)
class PreviewRecord:
    """What the last preview did, for the docker and for scripts."""

    status: str  # "done" | "stale" | "touched" | "beyond" | "none" | "busy" | "failed"
    message: str
    gap_count: int = 0
    regions_before: int = -1
    regions_after: int = -1
    seconds: float = 0.0  # from the debounce firing to the pixels written
    compute_seconds: float = 0.0  # the worker thread's part
    ui_seconds: float = 0.0  # longest stretch on the UI thread (read slices, the write)
    patches: int = 0
    stages: dict[str, float] = field(default_factory=dict)  # the worker's, by stage (seconds)


def animated(node: Any) -> bool:
    """Whether the layer has keyframes (Node.animated, Krita 5.1+)."""
    check = getattr(node, "animated", None)
    return bool(check()) if check is not None else False


class LivePreview(QObject):
    finished = Signal(object)  # PreviewRecord

    def __init__(self, ctl: Any) -> None:
        super().__init__()
        self.ctl = ctl
        self.cache = PreviewCache(size=2)
        self.live: Any = None  # preview.Live of the last run
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linerefiner-prev")
        # One thread, so the bands are hashed in the order they were read.
        self.hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linerefiner-hash")
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.start)
        self.poller = QTimer(self)
        self.poller.setInterval(POLL_MS)
        self.poller.timeout.connect(self.poll)
        self.reader: Any = None
        self.check: Any = None
        self.future: Future[Any] | None = None  # preview.reselect's (choice, Update)
        self.hashing: Future[Any] | None = None  # (source digest, layer touched) once read
        self.digest: Any = None  # preview.SourceDigest being fed
        self.fed = 0  # source rows handed to the hasher
        self.run: Any = None  # the cached run being previewed
        self.params: Any = None
        self.flats: Any = None
        self.pending: list[Any] = []
        self.update: Any = None
        self.target: Any = None  # the Live this preview was computed for
        self.again = False
        self.off = ""  # why the last run left nothing to preview, if it says more than NO_RUN
        self.began = 0.0
        self.ui_max = 0.0
        self.marks: dict[str, float] = {}  # when the reads and the checks were done
        self.last: PreviewRecord | None = None
        self.runs = 0  # previews that wrote pixels, for scripts

    @property
    def busy(self) -> bool:
        return (self.reader is not None or self.future is not None or self.hashing is not None
                or self.update is not None)

    # -- what a run leaves -------------------------------------------------------------------
    def remember(self, doc: Any, source: Any, gaps_layer: Any | None, job: Any,
                 outcome: Any) -> None:
        """After a run's results are in the document: its "filled gaps" layer and analysis."""
        from ..core.closures import choice as closure_choice
        from .layers import GAPS_LAYER, node_id
        from .preview import Live, Update
        from .settings import GAP_COLORS

        seed, counts = outcome.seed, outcome.counts

        if gaps_layer is not None and (animated(source) or animated(gaps_layer)):
            self.forget()
            self.off = ANIMATED
            return
        if seed is None or gaps_layer is None:
            self.forget()
            from .preview import previewable, too_large

            if gaps_layer is not None and not previewable(job.source.rect):
                self.off = too_large(job.source.rect)
            elif gaps_layer is not None and job.settings.dense:
                self.off = ("Live preview does not draw the dense model's strokes: untick "
                            "\"Also the dense model\" and press Close Gaps to preview.")
            return
        self.off = ""
        src = job.source
        selection = None
        if src.selection is not None:
            import numpy as np

            shape = (src.rect.h, src.rect.w)
            selection = (np.frombuffer(src.selection, np.uint8).reshape(shape)
                         / np.float32(255)).astype(np.float32)
        self.cache.put(PreviewKey(node_id(source), seed.digest), seed.analysis, seed.reach)
        self.live = Live(node_id(doc.rootNode()), node_id(source), node_id(gaps_layer), src.rect,
                         src.result_fmt, GAP_COLORS[job.settings.gap_color], selection,
                         seed.shown, digest=seed.digest,
                         tiles={(p.rect.x, p.rect.y): p
                                for p in outcome.layers.get(GAPS_LAYER, [])})
        settings = job.settings
        if counts is not None and GAPS_LAYER in outcome.digests:
            self.live.before[(settings.flats_min_region, settings.flats_fill_border)] = \
                counts.before
            # What the run drew, as a preview at the run's settings would: moving a slider to
            # where it accepts the same candidates then redraws nothing.
            choice = (closure_choice(seed.analysis, settings.gap_sensitivity, settings.max_gap),
                      settings.seal_only, settings.flats_min_region, settings.flats_fill_border)
            n = outcome.gap_count
            message = f"Preview: {n} gap{'' if n == 1 else 's'} closed. {counts.text()}."
            self.live.last = (choice, Update("done", message, (), outcome.digests[GAPS_LAYER],
                                             seed.shown, n, counts))

    def forget(self) -> None:
        if self.live is not None:
            self.cache.forget(self.live.source_id)
        self.live = None

    # -- a slider moved ----------------------------------------------------------------------
    def request(self, name: str) -> None:
        if name in SETTINGS:
            self.debounce.start()  # restarts: one preview per pause in the drag

    def start(self) -> None:
        from ..core.errors import LineRefinerError
        from .layers import (
            LayerCheck,
            SourceReader,
            find_document,
            find_node,
            load_records,
            node_id,
        )
        from .preview import NO_RUN, RUN_NEEDED, SourceDigest, cached

        if self.busy:
            self.again = True
            return
        self.began = time.perf_counter()
        self.ui_max = 0.0
        self.marks = {}
        if self.ctl.busy:
            self.report("busy", "Line Refiner is running; the preview follows its result.")
            return
        live = self.live
        if live is None:
            self.report("none", self.off or NO_RUN)
            return
        doc = find_document(self.ctl.app, live.doc_root_id)
        active = self.ctl.app.activeDocument()
        if doc is not None and (active is None or node_id(active.rootNode()) != live.doc_root_id):
            self.report("none", OTHER_DOCUMENT)
            return
        source = find_node(doc, live.source_id) if doc is not None else None
        layer = find_node(doc, live.gaps_id) if doc is not None else None
        if source is None or layer is None:
            self.forget()
            self.report("stale", NO_RUN)
            return
        if animated(source) or animated(layer):  # keyframes added since the run
            self.forget()
            self.off = ANIMATED
            self.report("none", ANIMATED)
            return
        try:
            self.reader = SourceReader(doc, source)
        except LineRefinerError:
            self.report("stale", RUN_NEEDED)
            return
        self.check = LayerCheck(layer, load_records(doc).get(live.gaps_id), hashing=self.hasher)
        self.target = live
        run = cached(live, self.cache)
        if run is None or self.reader.rect != live.rect:
            self.reader = self.check = None
            self.report("stale", RUN_NEEDED)
            return
        self.run, self.params, self.flats = run, self.params_now(), self.flats_now()
        reader = self.reader
        self.digest = SourceDigest(reader.rect, reader.fmt, reader.result_fmt,
                                   reader.mask is not None)
        self.fed = 0
        QTimer.singleShot(0, self.read_step)
        self.poller.start()

    def params_now(self) -> Any:
        from ..core.gaps import GapParams
        from .settings import AUTO

        settings = self.ctl.settings
        return GapParams(sensitivity=settings.gap_sensitivity, max_gap=settings.max_gap,
                         scale_max_gap=settings.max_gap_wide, seal_only=settings.seal_only,
                         line_darkness=None if settings.line_darkness == AUTO
                         else settings.line_darkness)

    def flats_now(self) -> Any:
        from ..core.flats import FlatsParams

        settings = self.ctl.settings
        return FlatsParams(min_region=settings.flats_min_region,
                           fill_border=settings.flats_fill_border)

    def feed(self) -> None:
        """Hands the source rows read since the last call to the hasher."""
        reader = self.reader
        rect, bpp = reader.rect, reader.fmt.bytes_per_pixel
        lo, hi = self.fed * rect.w, reader.y * rect.w
        if hi > lo:
            mask = reader.mask[lo:hi] if reader.mask is not None else None
            self.hasher.submit(self.digest.feed, reader.pixels[lo * bpp : hi * bpp], mask)
            self.fed = reader.y

    def read_step(self) -> None:
        if self.reader is None:
            return
        began = time.perf_counter()
        deadline = began + READ_SLICE_S
        done = self.reader.step(READ_SLICE_S)
        self.feed()
        while done and not self.check.done and time.perf_counter() < deadline:
            self.check.step()
        self.ui_max = max(self.ui_max, time.perf_counter() - began)
        if not (done and self.check.done):
            QTimer.singleShot(0, self.read_step)
            return
        self.reader = None
        self.marks["read"] = time.perf_counter() - self.began
        check, digest = self.check, self.digest
        # Queued behind every band's hashing: the answer once the last band is hashed.
        self.hashing = self.hasher.submit(lambda: (digest.digest(), check.result()))
        # The re-selection starts once the reads are done, beside the hashing still left: run
        # beside the reads, its many short OpenCV calls each waited for the GIL that
        # Node.pixelData holds on this thread (in Krita: drawing 150 ms instead of 25).
        if self.params.max_gap <= self.run.reach:  # else verdict says so
            from .preview import reselect

            self.future = self.executor.submit(reselect, self.target, self.run, self.params,
                                               self.flats)

    def poll(self) -> None:
        from .preview import commit, verdict

        hashing, future = self.hashing, self.future
        if self.reader is not None or hashing is None or not hashing.done() \
                or (future is not None and not future.done()):
            return
        self.poller.stop()
        self.marks["checked"] = time.perf_counter() - self.began
        self.hashing = self.future = None
        for step in (hashing, future):
            error = step.exception() if step is not None else None
            if error is not None:
                self.report("failed", f"Preview failed: {type(error).__name__}: {error}")
                return
        digest, touched = hashing.result()
        refused = verdict(self.target, self.run, self.params, digest, touched)
        if refused is not None:
            self.report(refused.status, refused.message)
            return
        assert future is not None
        result = commit(self.target, future.result())
        self.update = result
        self.pending = list(result.patches)
        self.write_step()

    def write_step(self) -> None:
        """Writes the changed patches, then records the layer's new digest (issue 11)."""
        from .layers import Written, find_document, find_node, node_id, save_records

        result, live = self.update, self.live
        doc = find_document(self.ctl.app, live.doc_root_id) if live is not None else None
        layer = find_node(doc, live.gaps_id) if doc is not None and live is not None else None
        if live is None or doc is None or layer is None or self.ctl.busy \
                or live is not self.target:
            # A run started or ended meanwhile: its own result follows the settings.
            if self.target is not None:
                self.target.last = None  # what it chose was not written
            self.update = None
            self.report("stale", "The result layers changed meanwhile; the preview stopped.")
            return
        # Krita's own work on the image (a stroke being drawn) must not see half a write.
        if not doc.tryBarrierLock():
            QTimer.singleShot(BUSY_RETRY_MS, self.write_step)
            return
        began = time.perf_counter()
        try:
            for patch in self.pending:
                layer.setPixelData(patch.data, *patch.rect)
        finally:
            doc.unlock()
        if self.pending:
            save_records(doc, {node_id(layer): Written(live.rect, result.digest)})
            live.shown, live.tiles = result.shown, result.tiles
            # setPixelData marks nothing dirty (libkis): redraw so the canvas shows the change.
            doc.refreshProjection()
        self.ui_max = max(self.ui_max, time.perf_counter() - began)
        self.update = None
        self.runs += 1
        counts = result.counts
        self.report("done", result.message, result.gap_count,
                    counts.before if counts else -1, counts.after if counts else -1,
                    result.seconds, len(self.pending), result.stages)

    def report(self, status: str, message: str, gap_count: int = 0, before: int = -1,
               after: int = -1, compute: float = 0.0, patches: int = 0,
               stages: dict[str, float] | None = None) -> None:
        marks = {f"since start: {k}": v for k, v in self.marks.items()}
        self.last = PreviewRecord(status, message, gap_count, before, after,
                                  time.perf_counter() - self.began, compute, self.ui_max,
                                  patches, {**(stages or {}), **marks})
        self.pending = []
        self.finished.emit(self.last)
        if self.again:
            self.again = False
            self.debounce.start()

    def shutdown(self) -> None:
        self.debounce.stop()
        self.poller.stop()
        # A preview takes well under a second; one still inside OpenCV when Krita's process
        # exits would abort it (worker.Runner.shutdown), so quitting waits for it.
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.hasher.shutdown(wait=True, cancel_futures=True)
