"""Test-only Krita plugin: steps through a scenario file, records results, quits Krita.

A scenario is a Python file with `steps(ctx)`, a generator. Each `yield` hands control back to
Krita's event loop so the UI (and the plugin under test) keep running:
`yield 0.5` sleeps half a second, `yield (predicate, timeout_s)` waits until predicate() is true.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from krita import Extension, Krita  # type: ignore[import-not-found]

try:
    from PyQt5.QtCore import QTimer
except ImportError:  # Krita 6
    from PyQt6.QtCore import QTimer  # type: ignore[no-redef]


class Context:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.krita = Krita.instance()
        self.results: dict[str, Any] = {}
        self.log_lines: list[str] = []

    def record(self, key: str, value: Any) -> None:
        self.results[key] = value
        self.flush()

    def log(self, line: str) -> None:
        self.log_lines.append(f"{time.monotonic():.3f} {line}")
        self.flush()

    def flush(self) -> None:
        # Written after every step so a hung or crashed Krita still leaves evidence behind.
        payload = {"results": self.results, "log": self.log_lines}
        tmp = self.out / "result.json.tmp"
        tmp.write_text(json.dumps(payload, indent=1, default=str))
        tmp.replace(self.out / "result.json")


class Driver(Extension):
    def __init__(self, parent: Any) -> None:
        super().__init__(parent)
        self.ctx: Context | None = None
        self.gen: Any = None
        self.started = False

    def setup(self) -> None:
        pass

    def createActions(self, window: Any) -> None:  # noqa: N802 (Krita's name)
        if self.started:
            return
        self.started = True
        # The window is created but not yet shown; give Krita a moment to finish starting.
        QTimer.singleShot(1500, self.start)

    def start(self) -> None:
        out = Path(os.environ["LR_E2E_OUT"])
        out.mkdir(parents=True, exist_ok=True)
        self.ctx = Context(out)
        self.ctx.log("driver started")
        try:
            namespace = runpy.run_path(os.environ["LR_E2E_SCENARIO"])
            self.gen = namespace["steps"](self.ctx)
        except Exception:
            self.fail()
            return
        self.step(None)

    def step(self, _: object) -> None:
        assert self.ctx is not None
        try:
            request = next(self.gen)
        except StopIteration:
            self.ctx.record("finished", True)
            self.quit()
            return
        except Exception:
            self.fail()
            return
        if isinstance(request, (int, float)):
            QTimer.singleShot(int(request * 1000), lambda: self.step(None))
        else:
            predicate, timeout = request
            self.wait(predicate, time.monotonic() + timeout)

    def wait(self, predicate: Any, deadline: float) -> None:
        assert self.ctx is not None
        try:
            done = predicate()
        except Exception:
            self.fail()
            return
        if done:
            self.step(None)
        elif time.monotonic() > deadline:
            self.ctx.log("wait timed out")
            try:
                self.gen.throw(TimeoutError("scenario wait timed out"))
            except StopIteration:
                self.quit()
                return
            except Exception:
                self.fail()
                return
            self.step(None)
        else:
            QTimer.singleShot(20, lambda: self.wait(predicate, deadline))

    def fail(self) -> None:
        assert self.ctx is not None
        self.ctx.record("error", traceback.format_exc())
        self.quit()

    def quit(self) -> None:
        assert self.ctx is not None
        self.ctx.log("quitting")
        app = Krita.instance()
        for doc in list(app.documents()):
            doc.setModified(False)  # no "save changes?" dialog
            doc.close()
        # file_quit lets Krita write kritarc (settings persistence is tested across launches);
        # the hard exit is only a fallback if something modal got in the way.
        QTimer.singleShot(200, lambda: app.action("file_quit").trigger())
        QTimer.singleShot(15000, lambda: os._exit(3))
        sys.stdout.flush()


Krita.instance().addExtension(Driver(Krita.instance()))
