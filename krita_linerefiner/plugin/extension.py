"""Registration with Krita: the Filter-menu actions, the docker, and the run controller.

The controller is the one place a run starts, whether from the Filter menu or the docker, so
both use the docker's current settings. Tests and other scripts can watch `controller().finished`
(a Qt signal with the Outcome) or read `controller().last_outcome`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from . import deps
from . import settings as settings_mod
from .qt import QIcon, QObject, QTimer, Signal

log = logging.getLogger(__name__)

# Stable ids: users bind shortcuts to them, and linerefiner.action gives their texts.
ACTIONS = (
    ("linerefiner_close_gaps", "Close Line Gaps", "gaps"),
    ("linerefiner_refine", "Refine Lines", "refine"),
    ("linerefiner_refine_close_gaps", "Refine Lines and Close Gaps", "refine_gaps"),
)
DOCKER_ID = "linerefiner_docker"
MENU = "filter"


@dataclass(frozen=True)
class RunRecord:
    """What the last run did, for the status line and for scripts."""

    task: str
    status: str  # "done" | "cancelled" | "failed" | "refused"
    message: str
    seconds: float = 0.0
    gap_count: int = 0


class Controller(QObject):
    started = Signal(str)
    progressed = Signal(float)
    finished = Signal(object)  # RunRecord
    settings_changed = Signal()

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

    # -- state -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.runner is not None and self.runner.busy

    def deps_problem(self) -> str:
        return deps.report(deps.missing())

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
        if task != "gaps" and not self.refine_available():
            return "Refining needs the refine model, which is not installed yet."
        from .layers import target_problem

        doc = self.app.activeDocument()
        return target_problem(doc, doc.activeNode() if doc else None)

    def update_settings(self, name: str, value: Any) -> None:
        self.settings = self.settings.with_value(name, value)
        settings_mod.save(self.store, self.settings)
        self.settings_changed.emit()

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
        from .layers import Target, node_id, read_source
        from .worker import Job, Runner

        doc = self.app.activeDocument()
        node = doc.activeNode()
        try:
            source = read_source(doc, node)
        except LineRefinerError as error:
            self.refuse(task, str(error))
            return
        if self.runner is None:
            self.runner = Runner(self)
            self.runner.finished.connect(self.on_finished)
            self.runner.progressed.connect(self.progressed)
        self.job = Job(task, source, self.settings)
        self.target = Target(node_id(doc.rootNode()), node_id(node))
        self.runner.start(self.job)
        self.started.emit(task)

    def cancel(self) -> None:
        if self.busy:
            self.runner.cancel()

    def on_finished(self, outcome: Any) -> None:
        from ..core.errors import LineRefinerError
        from .layers import apply_results, find_document, find_node

        job, target = self.job, self.target
        self.job = self.target = None
        if outcome.status != "done":
            self.finish(RunRecord(job.task, outcome.status, outcome.message, outcome.seconds))
            return
        doc = find_document(self.app, target.doc_root_id)
        node = find_node(doc, target.node_id) if doc is not None else None
        if doc is None or node is None:
            self.finish(RunRecord(job.task, "failed",
                                  "The document or layer was closed during the run.",
                                  outcome.seconds))
            return
        try:
            apply_results(doc, node, outcome.layers, job.source.rect, job.source.result_fmt)
        except LineRefinerError as error:
            self.finish(RunRecord(job.task, "failed", str(error), outcome.seconds))
            return
        # Krita makes the added group active after this call returns; put the line art back so
        # the next run (menu, shortcut or docker) works on it again.
        QTimer.singleShot(0, lambda: doc.setActiveNode(node))
        count = outcome.gap_count
        gaps = f", {count} gap{'' if count == 1 else 's'} closed" if "gaps" in job.task else ""
        message = f"Done in {outcome.seconds:.1f} s{gaps}."
        self.finish(RunRecord(job.task, "done", message, outcome.seconds, outcome.gap_count))

    def refuse(self, task: str, message: str) -> None:
        self.finish(RunRecord(task, "refused", message))

    def finish(self, record: RunRecord) -> None:
        self.last_outcome = record
        if record.status in ("refused", "failed"):
            log.warning("LineRefiner: %s", record.message)
            self.float_message(record.message)
        self.finished.emit(record)

    def float_message(self, message: str) -> None:
        # A floating message does not block like a dialog; the docker shows it too.
        window = self.app.activeWindow()
        view = window.activeView() if window else None
        if view is not None and view.document() is not None:
            view.showFloatingMessage(message, QIcon(), 6000, 1)


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

    return LineRefinerExtension


def register(krita: Any) -> None:
    """Called from the package's __init__ inside Krita."""
    global _controller
    from .docker import make_docker_class

    app = krita.Krita.instance()
    deps.add_vendor_dir()
    _controller = Controller(app)
    app.addExtension(make_extension_class(krita)(app))
    app.addDockWidgetFactory(krita.DockWidgetFactory(
        DOCKER_ID, krita.DockWidgetFactoryBase.DockRight, make_docker_class(krita)))
