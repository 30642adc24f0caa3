"""Krita quits while a run is working: the run stops and Krita exits cleanly and soon.

The test measures the time from the quit to the process's exit (time.monotonic is one clock
for all processes on Linux).
"""

from __future__ import annotations

import json
import os
import runpy
import time
from pathlib import Path
from typing import Any

import numpy as np
from krita import Krita  # type: ignore[import-not-found]

from krita_linerefiner.plugin.extension import controller

MAIN = runpy.run_path(str(Path(__file__).with_name("main.py")))


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    doc = MAIN["drawing_doc"](app, "quit", np.load(spec["big"]))
    yield 1.0
    app.action("linerefiner_close_gaps").trigger()
    yield 0.3
    ctx.record("busy_at_quit", ctl.busy)
    doc.setModified(False)  # no "save changes?" dialog
    ctx.record("quit_at", time.monotonic())
    app.action("file_quit").trigger()
    yield 30  # Krita exits long before this; if not, the driver reports "finished"
