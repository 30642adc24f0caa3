"""For benchmarks/krita_speed.py: time the Filter-menu action on one drawing: the first run
(loads the model) and the best of the warm runs; for every run, the longest stretch Krita's UI
thread went without serving a 10 ms timer, and the plugin's own longest stretch per phase."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from krita import Krita  # type: ignore[import-not-found]

from krita_linerefiner.plugin.extension import controller
from krita_linerefiner.plugin.qt import QTimer


class Heartbeat:
    """The longest gap between two ticks of a 10 ms timer on Krita's UI thread: how long the
    UI could not react (Krita's own work included, e.g. recompositing after a layer is added)."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.worst = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.beat)
        self.timer.start()

    def beat(self) -> None:
        now = time.monotonic()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def stop(self) -> float:
        self.timer.stop()
        self.beat()
        return self.worst


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    doc = app.openDocument(spec["png"])
    app.activeWindow().addView(doc)
    yield 1.0
    doc.waitForDone()
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield 2.0
    warm = []
    blocks = []
    for index, run in enumerate(["cold"] + ["warm"] * spec.get("warm_runs", 3)):
        ctl.last_outcome = None
        start = time.monotonic()
        beat = Heartbeat()
        app.action("linerefiner_close_gaps").trigger()
        # Polled every 20 ms: the timing includes reading the layer, the run and adding layers.
        yield (lambda: ctl.last_outcome is not None and not ctl.busy, 900)
        seconds = time.monotonic() - start
        blocks.append(beat.stop())
        if run == "warm":
            warm.append(seconds)
        ctx.record(f"{run}_seconds", min(warm) if warm else seconds)
        ctx.record(f"{run}_outcome", vars(ctl.last_outcome))
        ctx.record(f"run{index}_outcome", vars(ctl.last_outcome))
        ctx.record("ui_block_s", blocks)
        doc.setActiveNode(doc.topLevelNodes()[0])
        yield 2.0
