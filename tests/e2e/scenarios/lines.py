"""Gap closing on faint, aliased and coloured line art (issue 10), in real Krita.

Runs inside Krita through lr_e2e_driver like main.py, whose helpers it reuses. Inputs come from
LR_E2E_INPUT (written by test_krita_lines.py): PNGs opened as a user opens a scan, each closed
with the Filter menu's Close Line Gaps; pytest asserts on what this records and dumps.
"""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path
from typing import Any

from krita import Krita  # type: ignore[import-not-found]

from krita_linerefiner.plugin.extension import controller

MAIN = runpy.run_path(str(Path(__file__).with_name("main.py")))
tree, digest, run, dump, dump_merged = (
    MAIN[name] for name in ("tree", "digest", "run", "dump", "dump_merged"))


def close_gaps_in(ctx: Any, app: Any, png: str, name: str):
    """Open `png`, run Close Line Gaps on its layer, record and dump what came out."""
    ctl = controller()
    doc = app.openDocument(png)
    app.activeWindow().addView(doc)
    yield 1.0
    source = doc.topLevelNodes()[0]
    doc.setActiveNode(source)
    yield 0.3
    before = digest(source)
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record(f"{name}_outcome", vars(ctl.last_outcome))
    ctx.record(f"{name}_tree", tree(doc.rootNode()))
    ctx.record(f"{name}_source_unchanged", digest(doc.topLevelNodes()[0]) == before)
    dump_merged(ctx, f"{name}_merged", doc)
    w, h = doc.width(), doc.height()
    group = doc.topLevelNodes()[-1]
    if group.type() == "grouplayer" and group.childNodes():
        gaps = group.childNodes()[0]
        dump(ctx, f"{name}_gaps", bytes(gaps.pixelData(0, 0, w, h)), w, h,
             gaps.colorModel(), gaps.colorDepth())
    doc.setModified(False)
    doc.close()
    yield 0.3


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    for case in spec["cases"]:
        for name, value in case.get("settings", {}).items():
            ctl.update_settings(name, value)
        ctx.record(f"{case['name']}_settings", vars(ctl.settings))
        yield from close_gaps_in(ctx, app, case["png"], case["name"])
        for name in case.get("settings", {}):
            ctl.update_settings(name, getattr(type(ctl.settings)(), name))
