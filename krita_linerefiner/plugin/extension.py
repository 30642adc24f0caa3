"""Registration with Krita: the Filter-menu actions, the docker, and the run controller.

The controller is the one place a run starts, whether from the Filter menu or the docker, so
both use the docker's current settings. Tests and other scripts can watch `controller().finished`
(a Qt signal with the Outcome) or read `controller().last_outcome`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from . import deps
from . import settings as settings_mod
from .qt import QIcon, QObject, Qt, QtGui, QTimer, QtWidgets, Signal
from .setup_deps import DepsInstaller

log = logging.getLogger(__name__)

# Stable ids: users bind shortcuts to them, and linerefiner.action gives their texts.
ACTIONS = (
    ("linerefiner_close_gaps", "Close Line Gaps", "gaps"),
    ("linerefiner_refine", "Refine Lines", "refine"),
    ("linerefiner_refine_close_gaps", "Refine Lines and Close Gaps", "refine_gaps"),
    ("linerefiner_fill_flats", "Fill Flats", "flats"),
    ("linerefiner_refine_close_flats", "Refine Lines, Close Gaps and Fill Flats", "refine_flats"),
)
ACTION_TEXT = {task: text for _, text, task in ACTIONS}
DOCKER_ID = "linerefiner_docker"
# How long one event-loop turn may spend writing result pixels into the new layers.
APPLY_SLICE_S = 0.03
BUSY_RETRY_MS = 20
MENU = "filter"
# What the status bar says while a task runs.
DOING = {"gaps": "closing gaps", "refine": "refining lines",
         "refine_gaps": "refining lines and closing gaps",
         "flats": "closing gaps and filling flats",
         "refine_flats": "refining lines, closing gaps and filling flats"}
# The tasks that fill flats: pipeline.FLATS_TASKS (not imported here, pipeline needs numpy).
FLATS_TASKS = ("flats", "refine_flats")
STATUS_BAR_MS = 15000
FLOAT_MS = 6000
# A floating message wider than the canvas runs off screen; the docker has the full text.
FLOAT_CHARS = 90


def short(message: str, limit: int = FLOAT_CHARS) -> str:
    """`message` on one line of at most `limit` characters."""
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class RunRecord:
    """What the last run did, for the status line and for scripts."""

    task: str
    # "done" | "nothing" (ran, found nothing to add, changed nothing) | "cancelled" | "failed"
    # | "refused"; task "install" (the dependencies) also "restart" (installed, Krita must restart)
    status: str
    message: str
    seconds: float = 0.0
    gap_count: int = 0
    # Longest single stretch this run held Krita's UI thread: reading the layer, or adding the
    # results. Measured because "Krita stays responsive" is a promise.
    ui_seconds: float = 0.0
    ui_phases: dict[str, float] = field(default_factory=dict)  # the same, per phase
    # The most CPU time the UI thread spent in one stretch: unlike wall time it does not grow
    # when other processes take the cores, so it tells this plugin's own share.
    ui_cpu_seconds: float = 0.0
    ui_cpu_phases: dict[str, float] = field(default_factory=dict)  # the same, per phase
    # Regions a fill sees in the lines alone and with this run's closures; -1: not counted.
    regions_before: int = -1
    regions_after: int = -1
    # Wall time per phase summed over its slices, and "worker" (the run on its thread): what a
    # run's time goes to (benchmarks/krita_pages.py prints it); the rest is Krita's own work
    # between the slices (redrawing the canvas) and waiting for an idle image.
    totals: dict[str, float] = field(default_factory=dict)


class Controller(QObject):
    started = Signal(str)
    progressed = Signal(float)
    finished = Signal(object)  # RunRecord
    settings_changed = Signal()
    previewed = Signal(object)  # live.PreviewRecord

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app
        self.store = settings_mod.KritaStore(app)
        self.settings = settings_mod.load(self.store)
        self.actions: dict[str, Any] = {}
        self.runner: Any = None
        self.job: Any = None
        self.target: Any = None
        self.last_outcome: RunRecord | None = None
        self._refine: bool | None = None
        self.builder: Any = None  # layers.ResultBuilder while results are being written
        self.outcome: Any = None
        self.apply_cancelled = False
        # Longest time per phase that this run held the UI thread (see RunRecord.ui_phases).
        self.phases: dict[str, float] = {}
        self.cpu_phases: dict[str, float] = {}
        self.phase = ""
        self.slice_began = 0.0
        self.totals: dict[str, float] = {}
        self.counted_until = 0.0
        self.slice_cpu = 0.0
        self.progress_shown = -1
        self.cursor_set = False
        self.quitting = False
        self.reader: Any = None  # layers.SourceReader while the layer is being copied
        self.read_cancelled = False
        self.job_task = ""
        self.run_started = 0.0
        # The docker's Install button; the docker shows its progress.
        self.setup = DepsInstaller(self)
        self.setup.finished.connect(self.on_installed)
        self._live: Any = None  # live.LivePreview, made on first use (it needs numpy)
        self.frames: Any = None  # core.frames.FrameRun while an animated layer is processed

    # -- state -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return (self.reader is not None or self.builder is not None
                or (self.runner is not None and self.runner.busy))

    def deps_problem(self) -> str:
        return deps.report(deps.missing())

    def install_deps(self) -> None:
        """Fetch the locked numpy, onnxruntime and OpenCV for this Krita (the docker's button)."""
        plan = deps.installable()
        if plan is not None and not self.setup.busy:
            self.setup.start(plan)

    def on_installed(self, result: Any) -> None:
        self._refine = None
        self.update_actions()
        message = result.message
        if result.status == "done":
            message += self.load_curve_masks()
        self.finish(RunRecord("install", result.status, message, result.seconds))

    def load_curve_masks(self) -> str:
        """After an install in this session: the line weight masks, which need the packages
        (layers imports numpy), opened now if that is safe; else what a restart brings."""
        from .layers import CurveMasks

        if CurveMasks.doc is not None:
            return ""
        if self.app.views():
            # Opening the template with a view open crashed Krita 5.1.5 (see CurveMasks).
            return " Restart Krita to use Refine's Curve."
        try:
            CurveMasks.load(self.app)
        except Exception:
            log.exception("LineRefiner: could not load the line weight masks")
            return " Restart Krita to use Refine's Curve."
        return ""

    def refine_available(self) -> bool:
        # Cached: the docker asks several times a second; each run looks again.
        if self._refine is None:
            self._refine = not deps.missing() and "refine" in self.manifest()
        return self._refine

    def manifest(self) -> dict[str, Any]:
        from ..core.errors import LineRefinerError
        from ..core.models import load_manifest

        try:
            return dict(load_manifest())
        except LineRefinerError:
            return {}

    def problem(self, task: str = "gaps") -> str | None:
        """Why `task` cannot run now, in one line; None if it can."""
        missing = self.deps_problem()
        if missing:
            return missing
        if task not in ("gaps", "flats") and not self.refine_available():
            return "Refining needs the refine model, which is not installed yet."
        from .layers import target_problem

        doc = self.app.activeDocument()
        problem = target_problem(doc, doc.activeNode() if doc else None)
        if problem is None and task in FLATS_TASKS and doc.colorModel() != "RGBA":
            return (f"{ACTION_TEXT[task]} needs an RGB image; convert it with Image > Convert "
                    "Image Color Space.")
        return problem

    def busy_text(self) -> str:
        """What a run in progress says: the task and how far it is."""
        if not self.busy or not self.job_task:
            return ""
        percent = max(0, self.progress_shown)
        frame = f", {self.frames.label()}" if self.frames is not None else ""
        return f"Line Refiner: {DOING[self.job_task]}… {percent}%{frame}"

    def update_settings(self, name: str, value: Any) -> None:
        self.settings = self.settings.with_value(name, value)
        settings_mod.save(self.store, self.settings)
        self.settings_changed.emit()
        if not deps.missing():
            self.live().request(name)

    def live(self) -> Any:
        """The live preview of Sensitivity and Max gap on the last run's "filled gaps"."""
        if self._live is None:
            from .live import LivePreview

            self._live = LivePreview(self)
            self._live.finished.connect(self.previewed.emit)
        return self._live

    def update_actions(self) -> None:
        refine = self.refine_available()
        for action_id, _, task in ACTIONS:
            action = self.actions.get(action_id)
            if action is not None and task != "gaps":
                action.setEnabled(refine)

    # -- running -----------------------------------------------------------------------------
    def start(self, task: str) -> None:
        self._refine = None
        if self.busy:
            self.refuse(task, "Line Refiner is already running; wait or press Cancel.")
            return
        problem = self.problem(task)
        if problem:
            self.refuse(task, problem)
            return
        from ..core.errors import LineRefinerError
        from .layers import SourceReader, Target, node_id, source_layer

        self.phases, self.cpu_phases, self.totals = {}, {}, {}
        self.begin("read")
        doc = self.app.activeDocument()
        # A selected filter or transparency mask stands for the paint layer it is on.
        node = source_layer(doc.activeNode())
        try:
            self.frames = self.frame_run(doc, node)
            at = self.frames.time if self.frames is not None else None
            self.reader = SourceReader(doc, node, at)
        except LineRefinerError as error:
            self.frames = None
            self.refuse(task, str(error))
            return
        self.job_task = task
        self.run_started = time.monotonic()
        self.read_cancelled = False
        self.target = Target(node_id(doc.rootNode()), node_id(node))
        self.note()
        self.progress_shown = 0
        self.set_busy_cursor(True)
        self.status_bar(self.busy_text(), 0)
        self.started.emit(task)
        QTimer.singleShot(0, self.read_step)

    def frame_run(self, doc: Any, node: Any) -> Any:
        """The keyframes to process when `node` is animated and the setting says all of them;
        None to process the current frame only (as a still)."""
        from ..core.frames import FrameRun
        from . import frames

        if self.settings.animation != settings_mod.ANIMATION_ALL or not frames.is_animated(node):
            return None
        return FrameRun(frames.plan(doc, node))

    def read_step(self) -> None:
        """One slice of copying the layer; the worker starts once all of it is copied."""
        from ..core.errors import LineRefinerError
        from .layers import find_document, read_flats
        from .pipeline import Job
        from .worker import Runner

        if self.reader is None:
            return
        self.begin("read")
        if self.read_cancelled or find_document(self.app, self.target.doc_root_id) is None:
            self.reader = None
            self.end("cancelled", "Cancelled; the document was not changed."
                     if self.read_cancelled else "The document was closed; its run was stopped.")
            return
        try:
            done = self.reader.step(APPLY_SLICE_S)
        except LineRefinerError as error:
            self.reader = None
            self.end("failed", str(error))
            return
        self.note()
        if not done:
            QTimer.singleShot(0, self.read_step)
            return
        source = self.reader.source()
        previous = None
        if self.job_task in FLATS_TASKS:
            # The earlier flats, as the user may have recoloured them: their colours carry over.
            found = self.target_nodes()
            if found is None:
                self.reader = None
                return
            previous = read_flats(found[1], source.rect, source.result_fmt,
                                  self.frames.time if self.frames is not None else None)
        self.reader = None
        if self.runner is None:
            self.runner = Runner(self)
            self.runner.finished.connect(self.on_finished)
            self.runner.progressed.connect(self.on_progress)
        self.job = Job(self.job_task, source, self.settings, previous)
        self.runner.start(self.job)

    def on_progress(self, value: float) -> None:
        if self.job is None:
            return
        from .layers import find_document

        if find_document(self.app, self.target.doc_root_id) is None:
            # Closing the document ends its run now; the thread stops at its next tile.
            self.runner.abandon()
            self.end("cancelled", "The document was closed; its run was stopped.")
            return
        if self.frames is not None:
            value = self.frames.overall(value)
        percent = int(value * 100)
        if percent != self.progress_shown:
            self.progress_shown = percent
            self.status_bar(self.busy_text(), 0)
        self.progressed.emit(value)

    def on_document_closed(self, *_: Any) -> None:
        if self.job is not None and self.builder is None and self.runner is not None:
            self.on_progress(self.runner.progress_value)

    def on_quit(self) -> None:
        """Krita is quitting: stop the run now, so Krita's exit does not wait for it."""
        self.quitting = True
        self.setup.shutdown()
        if self.builder is not None:
            self.apply_cancelled = True
            # Krita 5.1 crashes quitting with a view-less document open (see CurveMasks).
            self.builder.discard()
        if self.runner is not None:
            self.runner.shutdown()
        if self._live is not None:
            self._live.shutdown()
        self.set_busy_cursor(False)
        if not deps.missing():
            from .layers import CurveMasks

            CurveMasks.release()

    def cancel(self) -> None:
        if self.reader is not None:
            self.read_cancelled = True
        elif self.builder is not None:
            self.apply_cancelled = True
        elif self.busy:
            self.runner.cancel()

    def on_finished(self, outcome: Any) -> None:
        from ..core.errors import LineRefinerError
        from . import frames as frames_mod
        from .layers import ResultBuilder

        self.begin("build")
        self.totals["worker"] = self.totals.get("worker", 0.0) + outcome.seconds
        if outcome.status != "done":
            self.end(outcome.status, outcome.message)
            return
        frames = None
        if self.frames is not None:
            if self.frames.advance(outcome):
                self.next_frame()
                return
            outcome, frames = self.animated_outcome()
        if outcome.nothing:
            # Nothing to add: the document, and the results of an earlier run, stay as they are.
            self.end("nothing", outcome.nothing)
            return
        found = self.target_nodes()
        if found is None:
            return
        doc, node = found
        fmt = self.job.source.result_fmt
        scratch = frames_mod.scratch_document(self.app, fmt, doc.colorProfile()) \
            if frames is not None else None
        try:
            self.builder = ResultBuilder(doc, node, outcome.layers, fmt, curve=outcome.curve,
                                         digests=outcome.digests, rect=self.job.source.rect,
                                         frames=frames, scratch=scratch)
        except BaseException as error:
            # A view-less document left open crashes Krita 5.1 when it quits.
            if scratch is not None:
                frames_mod.close_scratch(scratch)
            if not isinstance(error, LineRefinerError):
                raise
            self.end("failed", str(error))
            return
        self.outcome = outcome
        self.apply_cancelled = False
        self.note()
        QTimer.singleShot(0, self.apply_step)

    def next_frame(self) -> None:
        """Read the next keyframe; its job starts once it is copied, as the first one's did."""
        from ..core.errors import LineRefinerError
        from .layers import SourceReader

        found = self.target_nodes()
        if found is None:
            return
        doc, node = found
        try:
            self.reader = SourceReader(doc, node, self.frames.time)
        except LineRefinerError as error:
            self.end("failed", str(error))
            return
        self.note()
        QTimer.singleShot(0, self.read_step)

    def animated_outcome(self) -> tuple[Any, dict[int, dict[str, list[Any]]]]:
        from .pipeline import combine_frames, layer_digest

        # Every keyframe is read over the same rectangle (the canvas), so one empty digest.
        return combine_frames(self.frames.results, self.frames.plan,
                              layer_digest([], self.job.source))

    def target_nodes(self) -> tuple[Any, Any] | None:
        """The run's document and source layer; None (and the run ended) if either is gone."""
        from .layers import find_document, find_node

        doc = find_document(self.app, self.target.doc_root_id)
        node = find_node(doc, self.target.node_id) if doc is not None else None
        if doc is None or node is None:
            self.end("failed", "The document or layer was closed during the run.")
            return None
        return doc, node

    def begin(self, phase: str) -> None:
        self.phase = phase
        self.slice_began = time.perf_counter()
        self.slice_cpu = time.thread_time()

    def note(self) -> None:
        now = time.perf_counter()
        held = now - self.slice_began
        self.phases[self.phase] = max(self.phases.get(self.phase, 0.0), held)
        # A second note in one slice adds only the time since the first to the total.
        counted = now - max(self.slice_began, self.counted_until)
        self.totals[self.phase] = self.totals.get(self.phase, 0.0) + counted
        self.counted_until = now
        cpu = time.thread_time() - self.slice_cpu
        self.cpu_phases[self.phase] = max(self.cpu_phases.get(self.phase, 0.0), cpu)

    def apply_step(self) -> None:
        self.begin("write")
        self.apply_slice()
        self.note()

    def apply_slice(self) -> None:
        from ..core.errors import LineRefinerError

        if self.apply_cancelled:
            self.end("cancelled", "Cancelled; the document was not changed.")
            return
        if self.target_nodes() is None:
            return
        if not self.builder.write(APPLY_SLICE_S):
            QTimer.singleShot(0, self.apply_step)
            return
        found = self.target_nodes()
        if found is None:
            return
        doc, node = found
        # Adding a layer waits for Krita's own work on the image (e.g. redrawing after a brush
        # stroke) to finish; on a busy image that wait would freeze the UI. So only attach when
        # the image is idle, and otherwise look again on a later turn.
        if not doc.tryBarrierLock():
            QTimer.singleShot(BUSY_RETRY_MS, self.apply_step)
            return
        doc.unlock()
        self.note()  # the last write slice ends here; attaching is timed as its own phase
        self.begin("attach")
        try:
            self.builder.attach()
        except LineRefinerError as error:
            self.end("failed", str(error))
            return
        # Krita makes the added group active after this returns; put the line art back so the
        # next run (menu, shortcut or docker) works on it again.
        QTimer.singleShot(0, lambda: doc.setActiveNode(node))
        from .layers import GAPS_LAYER

        self.live().remember(doc, node, self.builder.paint_layers.get(GAPS_LAYER), self.job,
                             self.outcome)
        count = self.outcome.gap_count
        closes = self.job_task in ("gaps", "refine_gaps", *FLATS_TASKS)
        gaps = f", {count} gap{'' if count == 1 else 's'} closed" if closes else ""
        if self.frames is not None:
            count_frames, blank = self.frames.count, len(self.frames.plan.blank)
            frames = f", {count_frames} keyframe{'' if count_frames == 1 else 's'}"
            if blank:
                frames += f" ({blank} outside the playback range left empty)"
            gaps = f"{frames}{gaps}"
        if self.job_task in FLATS_TASKS:
            regions = self.outcome.regions
            gaps += f", {regions} flat region{'' if regions == 1 else 's'} filled"
        more = self.builder.report()
        if self.job_task in FLATS_TASKS and self.outcome.opaque_source and \
                node.blendingMode() != "multiply":
            hint = ("the line layer has opaque paper, which hides the flats below it: set its "
                    "blending mode to Multiply")
            more = f"{more}; {hint}" if more else hint
        if self.outcome.note:  # right but slower closing: the user is told why and what helps
            more = f"{more}; note: {self.outcome.note}" if more else f"note: {self.outcome.note}"
        counts = self.outcome.counts
        if counts is not None:
            gaps += f"; {counts.text()}"
        seconds = time.monotonic() - self.run_started
        self.end("done", f"Done in {seconds:.1f} s{gaps}{'; ' + more if more else ''}.", count,
                 counts)

    def end(self, status: str, message: str, gap_count: int = 0, counts: Any = None) -> None:
        self.note()
        if self.builder is not None:
            self.builder.discard()  # a cancelled or failed animated run's scratch document
        task = self.job_task
        seconds = time.monotonic() - self.run_started
        self.job = self.target = self.builder = self.outcome = self.reader = None
        self.frames = None
        self.job_task = ""
        phases = dict(self.phases)
        self.finish(RunRecord(task, status, message, seconds, gap_count,
                              max(phases.values(), default=0.0), phases,
                              max(self.cpu_phases.values(), default=0.0),
                              dict(self.cpu_phases),
                              counts.before if counts is not None else -1,
                              counts.after if counts is not None else -1, dict(self.totals)))

    def refuse(self, task: str, message: str) -> None:
        self.finish(RunRecord(task, "refused", message))

    def finish(self, record: RunRecord) -> None:
        self.last_outcome = record
        self.set_busy_cursor(False)
        if record.status in ("refused", "failed"):
            log.warning("LineRefiner: %s", record.message)
        if not self.quitting:
            # Seen with the docker hidden too: the status bar keeps it a while, the canvas shows
            # it briefly; both one line, the docker's Details has the full text.
            self.status_bar(f"Line Refiner: {short(record.message, 200)}", STATUS_BAR_MS)
            self.float_message(record.message)
        self.finished.emit(record)

    def float_message(self, message: str) -> None:
        # A floating message does not block like a dialog; the docker shows it too.
        window = self.app.activeWindow()
        view = window.activeView() if window else None
        if view is not None and view.document() is not None:
            view.showFloatingMessage(short(message), QIcon(), FLOAT_MS, 1)

    def status_bar(self, text: str, timeout_ms: int) -> None:
        """Krita's status bar (the main window's Qt status bar); 0 ms keeps the text until the
        next message."""
        window = self.app.activeWindow()
        qwindow = window.qwindow() if window is not None else None
        bar = qwindow.statusBar() if qwindow is not None else None
        if bar is not None:
            bar.showMessage(text, timeout_ms)

    def set_busy_cursor(self, busy: bool) -> None:
        """A busy cursor over the canvas (and the rest of Krita, which stays usable) while a run
        works; an application-wide override, because Krita resets the canvas's own cursor
        whenever the tool changes or the pointer moves."""
        if busy == self.cursor_set:
            return
        self.cursor_set = busy
        if busy:
            QtWidgets.QApplication.setOverrideCursor(
                QtGui.QCursor(Qt.CursorShape.BusyCursor))
        else:
            QtWidgets.QApplication.restoreOverrideCursor()


_controller: Controller | None = None


def controller() -> Controller:
    if _controller is None:
        raise RuntimeError("LineRefiner is not registered with Krita")
    return _controller


def make_extension_class(krita: Any) -> type:
    class LineRefinerExtension(krita.Extension):
        def setup(self) -> None:
            pass

        def createActions(self, window: Any) -> None:  # noqa: N802 (Krita's name)
            ctl = controller()
            for action_id, text, task in ACTIONS:
                action = window.createAction(action_id, text, MENU)
                action.triggered.connect(lambda _=False, task=task: ctl.start(task))
                ctl.actions[action_id] = action
            ctl.update_actions()
            # While the first window is made, before any view exists (see layers.CurveMasks).
            # layers imports numpy: not without the packages (the docker then says why).
            if not deps.missing():
                try:
                    from .layers import CurveMasks

                    if CurveMasks.doc is None:
                        CurveMasks.load(krita.Krita.instance())
                except Exception:
                    log.exception("LineRefiner: could not load the line weight masks")

    return LineRefinerExtension


def register(krita: Any) -> None:
    """Called from the package's __init__ inside Krita."""
    global _controller
    from .docker import make_docker_class

    app = krita.Krita.instance()
    deps.add_vendor_dir()
    _controller = Controller(app)
    # Krita waits for the worker thread when it quits; make that wait short.
    app.notifier().applicationClosing.connect(_controller.on_quit)
    app.notifier().imageClosed.connect(_controller.on_document_closed)
    app.addExtension(make_extension_class(krita)(app))
    # Through the enum class: Krita 6's bindings (sip 6, PyQt6) have no DockWidgetFactoryBase.
    # DockRight, and Krita 5's accept both spellings.
    position = krita.DockWidgetFactoryBase.DockPosition.DockRight
    app.addDockWidgetFactory(krita.DockWidgetFactory(DOCKER_ID, position, make_docker_class(krita)))
