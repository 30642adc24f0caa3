"""For benchmarks/krita_pages.py: a large page through Refine + Close, then Fill Flats, in
Krita (or through the one action Refine Lines, Close Gaps and Fill Flats). Per action: wall time
from triggering it to its layers being in the document, and the plugin's peak memory above what
Krita held just before (the process's VmHWM, reset through /proc/self/clear_refs before each
action, less its VmRSS then: the document, its layers and Krita itself are in that baseline and
not counted)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from krita import Krita  # type: ignore[import-not-found]

from krita_linerefiner.plugin.extension import controller

# name -> action; input.json's "actions" says which run, in order (benchmarks/krita_pages.py).
ACTIONS = {"refine_close": "linerefiner_refine_close_gaps", "flats": "linerefiner_fill_flats",
           "one_pass": "linerefiner_refine_close_flats"}


def status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    ctl.update_settings("flats_min_region", 24)
    doc = app.openDocument(spec["png"])
    app.activeWindow().addView(doc)
    yield 1.0
    doc.waitForDone()
    source = doc.topLevelNodes()[0]
    doc.setActiveNode(source)
    yield 2.0
    ctx.record("size", [doc.width(), doc.height()])
    for name in spec.get("actions", ["refine_close", "flats"]):
        action = ACTIONS[name]
        doc.setActiveNode(source)
        yield 2.0
        ctl.last_outcome = None
        ctx.record(f"{name}_peak_reset", reset_peak())
        baseline = status_mb("VmRSS")
        start = time.monotonic()
        cpu = time.process_time()
        app.action(action).trigger()
        yield (lambda: ctl.last_outcome is not None and not ctl.busy, 1500)
        ctx.record(f"{name}_seconds", time.monotonic() - start)
        ctx.record(f"{name}_cpu_seconds", time.process_time() - cpu)
        ctx.record(f"{name}_baseline_mb", baseline)
        ctx.record(f"{name}_peak_mb", status_mb("VmHWM"))
        ctx.record(f"{name}_outcome", vars(ctl.last_outcome))
        yield 2.0
    doc.setModified(False)
