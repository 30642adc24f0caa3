"""The docker's "Install dependencies" button: installer.install on a thread, polled from the
main thread (as worker.Runner does), then the new folder put to use in this Krita session."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import installer
from . import deps
from .qt import QObject, QTimer, Signal

POLL_MS = 100
# Quitting Krita during a download waits this long for the thread to see Cancel; a partial
# folder left behind is removed at the next start (installer.remove_unused).
QUIT_WAIT_S = 5.0


@dataclass(frozen=True)
class Installed:
    status: str  # "done" | "restart" | "cancelled" | "failed"
    message: str
    seconds: float


class DepsInstaller(QObject):
    progressed = Signal(float)
    finished = Signal(object)  # Installed, on the main thread

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)
        self.worker: threading.Thread | None = None
        self.cancel_event = threading.Event()
        self.done_bytes = 0
        self.total_bytes = 1
        self.result: tuple[str, object] | None = None
        self.plan: installer.Plan | None = None
        self.started_at = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def start(self, plan: installer.Plan) -> None:
        if self.busy:
            return
        self.plan = plan
        self.cancel_event = threading.Event()
        self.done_bytes, self.total_bytes = 0, max(1, plan.total_bytes)
        self.result = None
        self.started_at = time.monotonic()
        self.worker = threading.Thread(target=self.run, args=(plan,), daemon=True,
                                       name="linerefiner-deps")
        self.worker.start()
        self.timer.start()

    def run(self, plan: installer.Plan) -> None:
        try:
            folder = installer.install(deps.PACKAGE_DIR, plan, self.set_progress,
                                       self.cancel_event.is_set)
            self.result = ("done", folder)
        except installer.InstallCancelled:
            self.result = ("cancelled", None)
        except installer.InstallFailed as error:
            self.result = ("failed", str(error))
        except Exception as error:  # anything else still ends the run with its reason
            self.result = ("failed", f"{type(error).__name__}: {error}")

    def set_progress(self, done: int, total: int) -> None:
        # From the thread: plain int stores, read by poll().
        self.done_bytes, self.total_bytes = done, max(1, total)

    @property
    def fraction(self) -> float:
        return min(1.0, self.done_bytes / self.total_bytes)

    def cancel(self) -> None:
        self.cancel_event.set()

    def shutdown(self) -> None:
        self.cancel_event.set()
        if self.worker is not None:
            self.worker.join(QUIT_WAIT_S)

    def poll(self) -> None:
        if self.worker is None:
            self.timer.stop()
            return
        if self.worker.is_alive():
            self.progressed.emit(self.fraction)
            return
        self.timer.stop()
        self.worker = None
        self.finished.emit(self.outcome())

    def outcome(self) -> Installed:
        seconds = time.monotonic() - self.started_at
        status, value = self.result or ("failed", "the install stopped without a result")
        if status == "cancelled":
            return Installed(status, "Install cancelled; nothing was changed.", seconds)
        if status == "failed":
            return Installed(status, f"Installing the dependencies failed: {value}. Nothing was "
                                     "changed.", seconds)
        assert isinstance(value, Path) and self.plan is not None
        stuck = deps.use_installed(value)
        what = f"Installed {self.plan.describe()} ({self.plan.megabytes} MB)"
        if stuck:
            return Installed("restart", f"{what}. Restart Krita to use them: this session had "
                                        f"already loaded {', '.join(stuck)} from the old folder.",
                             seconds)
        problems = deps.missing()
        if problems:
            return Installed("failed", f"{what}, but {deps.report(problems)}", seconds)
        return Installed("done", f"{what} in {seconds:.0f} s; LineRefiner is ready.", seconds)
