"""Fill Flats (issue 13), in real Krita: runs through the Filter menu on a drawing of closed
shapes with one gap each, a rerun after a small edit, a rerun after the user recoloured a
region on the flats layer, and the "filled gaps" colour setting.

Runs inside Krita through lr_e2e_driver like main.py, whose helpers it reuses. The drawing comes
from LR_E2E_INPUT (written by test_krita_flats.py); pytest asserts on what this records and
dumps.
"""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path
from typing import Any

import numpy as np
from krita import Krita  # type: ignore[import-not-found]

from krita_linerefiner.core.ink import PixelFormat, pixels_from_ink
from krita_linerefiner.plugin.extension import controller

MAIN = runpy.run_path(str(Path(__file__).with_name("main.py")))
tree, digest, run, dump, dump_merged, drawing_doc = (
    MAIN[name] for name in ("tree", "digest", "run", "dump", "dump_merged", "drawing_doc"))


def named(doc: Any, name: str) -> Any:  # None when there is no such top-level node
    return next((n for n in doc.topLevelNodes() if n.name() == name), None)


def record_state(ctx: Any, doc: Any, source: Any, name: str) -> None:
    ctl = controller()
    ctx.record(f"{name}_outcome", vars(ctl.last_outcome))
    ctx.record(f"{name}_tree", tree(doc.rootNode()))
    ctx.record(f"{name}_order", [n.name() for n in doc.topLevelNodes()])
    ctx.record(f"{name}_source_index",
               [n.uniqueId() for n in doc.topLevelNodes()].index(source.uniqueId()))
    ctx.record(f"{name}_visible", {n.name(): n.visible() for n in doc.topLevelNodes()})
    w, h = doc.width(), doc.height()
    flats = named(doc, "flats")
    if flats is not None:
        dump(ctx, f"{name}_flats", bytes(flats.pixelData(0, 0, w, h)), w, h,
             flats.colorModel(), flats.colorDepth())
    dump_merged(ctx, f"{name}_merged", doc)


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    ink = np.load(spec["ink"])
    h, w = ink.shape
    doc = drawing_doc(app, "flats", ink)
    yield 1.0
    source = doc.topLevelNodes()[0]
    doc.setActiveNode(source)
    yield 0.3
    before = digest(source)

    # -- first run: the source is the only layer, so the flats must go in below it -----------
    yield from run(ctx, "linerefiner_fill_flats")
    record_state(ctx, doc, source, "first")
    # Lines on white paper hide the flats; the message says to do this, and colourists do.
    source.setBlendingMode("multiply")
    doc.refreshProjection()
    yield 0.5
    dump_merged(ctx, "multiply_merged", doc)
    ctx.record("first_source_unchanged", digest(source) == before)

    # -- a small edit: one line splits a shape in two; then Fill Flats again ------------------
    x0, x1, y = spec["edit"]
    stroke = np.ones((2, x1 - x0), np.float32)
    source.setPixelData(pixels_from_ink(stroke, PixelFormat("RGBA", "U8"), paper="white"),
                        x0, y, x1 - x0, 2)
    doc.refreshProjection()
    doc.setActiveNode(source)
    yield 0.5
    yield from run(ctx, "linerefiner_fill_flats")
    record_state(ctx, doc, source, "second")

    # -- the user recolours one region on the flats layer (as one Fill-tool click would) ------
    flats = named(doc, "flats")
    data = np.frombuffer(bytes(flats.pixelData(0, 0, w, h)), np.uint8).reshape(h, w, 4).copy()
    sx, sy = spec["recolour_at"]
    old = data[sy, sx].copy()
    same = (data == old).all(axis=2)
    data[same] = spec["recolour_bgra"]
    flats.setPixelData(data.tobytes(), 0, 0, w, h)
    doc.refreshProjection()
    doc.setActiveNode(source)
    yield 0.5
    yield from run(ctx, "linerefiner_fill_flats")
    record_state(ctx, doc, source, "third")

    # -- the "filled gaps" colour setting -----------------------------------------------------
    ctl.update_settings("gap_color", "blue")
    ctx.record("gap_color_setting", ctl.settings.gap_color)
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("blue_outcome", vars(ctl.last_outcome))
    group = named(doc, "Line Refiner")
    gaps = next((n for n in group.childNodes() if n.name() == "filled gaps"), None)
    if gaps is not None:
        dump(ctx, "blue_gaps", bytes(gaps.pixelData(0, 0, w, h)), w, h,
             gaps.colorModel(), gaps.colorDepth())
    ctl.update_settings("gap_color", "red")

    # -- the one action: refine, close and fill in one pass, on a fresh copy of the drawing -----
    doc.setModified(False)
    doc.close()
    yield 0.3
    doc = drawing_doc(app, "one_pass", ink)
    yield 1.0
    source = doc.topLevelNodes()[0]
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_refine_close_flats")
    record_state(ctx, doc, source, "one_pass")
    group = named(doc, "Line Refiner")
    ctx.record("one_pass_group", [n.name() for n in group.childNodes()] if group else [])
    doc.setModified(False)
    doc.close()
    yield 0.3
