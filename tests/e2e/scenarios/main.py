"""One Krita launch, many cases: runs inside Krita through lr_e2e_driver (see harness.py).

Inputs come from LR_E2E_INPUT (written by test_krita.py); every case records what pytest asserts
on into result.json and writes raw pixel dumps next to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from krita import Krita, Selection  # type: ignore[import-not-found]

from krita_linerefiner.core.ink import PixelFormat, ink_from_pixels, pixels_from_ink
from krita_linerefiner.plugin.extension import controller

FORMATS = [(m, d) for m in ("RGBA", "GRAYA") for d in ("U8", "U16", "F16", "F32")]
OFFSET = (37, 21)  # line layers that do not start at the canvas origin


def tree(node: Any) -> list[Any]:
    return [[c.name(), c.type(), tree(c)] for c in node.childNodes()]


def digest(node: Any) -> str:
    b = node.bounds()
    data = bytes(node.pixelData(b.x(), b.y(), b.width(), b.height()))
    return f"{b.x()},{b.y()},{b.width()},{b.height()}:{hashlib.sha256(data).hexdigest()}"


def dump(ctx: Any, name: str, data: bytes, w: int, h: int, model: str, depth: str) -> None:
    (ctx.out / f"{name}.raw").write_bytes(data)
    (ctx.out / f"{name}.json").write_text(json.dumps(
        {"w": w, "h": h, "color_model": model, "depth": depth}))


def dump_merged(ctx: Any, name: str, doc: Any) -> None:
    doc.waitForDone()
    w, h = doc.width(), doc.height()
    dump(ctx, name, bytes(doc.pixelData(0, 0, w, h)), w, h, doc.colorModel(), doc.colorDepth())


def merged_ink(doc: Any) -> float:
    doc.refreshProjection()
    doc.waitForDone()
    w, h = doc.width(), doc.height()
    fmt = PixelFormat(doc.colorModel(), doc.colorDepth())
    return float(ink_from_pixels(bytes(doc.pixelData(0, 0, w, h)), w, h, fmt).sum())


def saved_filterconfigs(ctx: Any, doc: Any, name: str) -> list[str]:
    """The filter mask configurations Krita writes into a .kra (what it really applies)."""
    path = ctx.out / f"{name}.kra"
    doc.saveAs(str(path))
    with zipfile.ZipFile(path) as kra:
        return [kra.read(n).decode() for n in kra.namelist() if n.endswith(".filterconfig")]


def run(ctx: Any, action: str, timeout: float = 300):
    """Trigger a Filter-menu action and wait for its outcome; yields to Krita meanwhile."""
    ctl = controller()
    ctl.last_outcome = None
    Krita.instance().action(action).trigger()
    yield (lambda: ctl.last_outcome is not None and not ctl.busy, timeout)
    yield 0.5  # let Krita finish the layer-added updates before anything reads the image


def new_doc(app: Any, name: str, w: int, h: int, model: str, depth: str) -> Any:
    doc = app.createDocument(w, h, name, model, depth, "", 72.0)
    app.activeWindow().addView(doc)
    return doc


def drawing_doc(app: Any, name: str, ink: np.ndarray) -> Any:
    """An RGBA U8 image whose background layer is the drawing on white, and active."""
    h, w = ink.shape
    doc = new_doc(app, name, w, h, "RGBA", "U8")
    source = doc.topLevelNodes()[0]
    source.setPixelData(pixels_from_ink(ink, PixelFormat("RGBA", "U8"), paper="white"), 0, 0, w, h)
    doc.setActiveNode(source)
    return doc


def lines_layer(doc: Any, ink: np.ndarray, model: str, depth: str, paper: str) -> Any:
    node = doc.createNode("lines", "paintlayer")
    doc.rootNode().addChildNode(node, None)
    fmt = PixelFormat(model, depth)
    h, w = ink.shape
    node.setPixelData(pixels_from_ink(ink, fmt, paper=paper), OFFSET[0], OFFSET[1], w, h)
    doc.setActiveNode(node)
    return node


class Heartbeat:
    """Measures how long Krita's UI thread goes without processing a 10 ms timer."""

    def __init__(self) -> None:
        from krita_linerefiner.plugin.qt import QTimer

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
        return self.worst


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    window = app.activeWindow().qwindow()
    ctx.record("deps_problem", ctl.deps_problem())
    ctx.record("refine_available", ctl.refine_available())

    # -- where the actions and the docker show up ---------------------------------------------
    menus = {a.objectName().lower(): a.menu() for a in window.menuBar().actions() if a.menu()}
    ctx.record("filter_menu", [a.objectName() for a in menus["filter"].actions()])
    ctx.record("action_texts", {i: app.action(i).text() for i, _, _ in
                                __import__("krita_linerefiner.plugin.extension",
                                           fromlist=["ACTIONS"]).ACTIONS})
    dockers = [a.menu() for a in menus["settings"].actions()
               if a.menu() and "Dockers" in a.text().replace("&", "")]
    ctx.record("dockers_menu", [a.text().replace("&", "") for a in dockers[0].actions()]
               if dockers else [a.text() for a in menus["settings"].actions()])

    from krita_linerefiner.plugin.qt import QDockWidget, QLabel

    for dock in window.findChildren(QDockWidget):
        if dock.objectName() == "linerefiner_docker":
            dock.show()
            dock.raise_()

    # -- A: a PNG opened like a user does; rerun, undo -----------------------------------------
    doc = app.openDocument(spec["png"])
    app.activeWindow().addView(doc)
    yield 1.0
    source = doc.topLevelNodes()[0]
    doc.setActiveNode(source)
    yield 0.3
    before = digest(source)
    beat = Heartbeat()
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("png_ui_block_s", beat.stop())
    ctx.record("png_outcome", vars(ctl.last_outcome))
    ctx.record("png_tree", tree(doc.rootNode()))
    ctx.record("png_active_after", doc.activeNode().name())
    ctx.record("png_source_unchanged", digest(doc.topLevelNodes()[0]) == before)
    dump_merged(ctx, "png_merged", doc)
    group = doc.topLevelNodes()[1]
    gaps = group.childNodes()[0]
    b = gaps.bounds()
    dump(ctx, "png_gaps", bytes(gaps.pixelData(0, 0, doc.width(), doc.height())),
         doc.width(), doc.height(), gaps.colorModel(), gaps.colorDepth())
    ctx.record("png_gaps_bounds", [b.x(), b.y(), b.width(), b.height()])
    ctx.record("png_saved", doc.saveAs(str(ctx.out / "png_result.kra")))
    yield 1.0
    window.grab().save(str(ctx.out / "krita_docker.png"))
    labels = {w.objectName(): w.toolTip() or w.text() for w in window.findChildren(QLabel)
              if w.objectName().startswith("linerefiner")}
    ctx.record("docker_labels", labels)
    yield 0.5
    app.action("edit_undo").trigger()
    yield 1.0
    ctx.record("png_tree_after_undo", tree(doc.rootNode()))
    ctx.record("png_source_unchanged_after_undo", digest(doc.topLevelNodes()[0]) == before)
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield from run(ctx, "linerefiner_close_gaps")
    group = doc.topLevelNodes()[1]
    group.childNodes()[0].setVisible(False)  # a user choice a rerun must keep
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("png_rerun_outcome", vars(ctl.last_outcome))
    ctx.record("png_tree_after_rerun", tree(doc.rootNode()))
    ctx.record("png_rerun_kept_hidden", not doc.topLevelNodes()[1].childNodes()[0].visible())
    ctx.record("png_source_unchanged_after_rerun", digest(doc.topLevelNodes()[0]) == before)
    app.action("edit_undo").trigger()
    yield 1.0
    ctx.record("png_tree_rerun_undo1", tree(doc.rootNode()))
    app.action("edit_undo").trigger()
    yield 1.0
    ctx.record("png_tree_rerun_undo2", tree(doc.rootNode()))

    # -- B: every supported format, lines on transparent or white, layer with an offset --------
    ink = np.load(spec["ink"])
    h, w = ink.shape
    for index, (model, depth) in enumerate(FORMATS):
        paper = "transparent" if index % 2 == 0 else "white"
        name = f"fmt_{model}_{depth}"
        doc = new_doc(app, name, w + 2 * OFFSET[0], h + 2 * OFFSET[1], model, depth)
        yield 0.5
        source = lines_layer(doc, ink, model, depth, paper)
        yield 0.3
        before = digest(source)
        yield from run(ctx, "linerefiner_close_gaps")
        ctx.record(f"{name}_outcome", vars(ctl.last_outcome))
        ctx.record(f"{name}_tree", tree(doc.rootNode()))
        ctx.record(f"{name}_source_unchanged", digest(source) == before)
        ctx.record(f"{name}_paper", paper)
        dump_merged(ctx, f"{name}_merged", doc)
        doc.setModified(False)
        doc.close()
        yield 0.3

    # -- C: a vector layer and a CMYK image are refused and left alone -------------------------
    doc = new_doc(app, "vector", 200, 200, "RGBA", "U8")
    yield 0.5
    vector = doc.createNode("shapes", "vectorlayer")
    doc.rootNode().addChildNode(vector, None)
    doc.setActiveNode(vector)
    yield 0.3
    before_tree = tree(doc.rootNode())
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("vector_outcome", vars(ctl.last_outcome))
    ctx.record("vector_tree_unchanged", tree(doc.rootNode()) == before_tree)
    doc.setModified(False)
    doc.close()

    doc = new_doc(app, "cmyk", 200, 200, "CMYKA", "U8")
    yield 0.5
    doc.setActiveNode(doc.topLevelNodes()[0])
    before_tree = tree(doc.rootNode())
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("cmyk_model", doc.colorModel())
    ctx.record("cmyk_outcome", vars(ctl.last_outcome))
    ctx.record("cmyk_tree_unchanged", tree(doc.rootNode()) == before_tree)
    doc.setModified(False)
    doc.close()

    # -- D: selection limits the work to the selected area -------------------------------------
    doc = drawing_doc(app, "selection", ink)
    yield 0.5
    selection = Selection()
    selection.select(0, 0, w // 2, h, 255)
    doc.setSelection(selection)
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("selection_outcome", vars(ctl.last_outcome))
    gaps = doc.topLevelNodes()[1].childNodes()[0]
    dump(ctx, "selection_gaps", bytes(gaps.pixelData(0, 0, w, h)), w, h, "RGBA", "U8")
    doc.setModified(False)
    doc.close()

    # -- E: a big drawing: UI responsiveness, then Cancel ---------------------------------------
    doc = drawing_doc(app, "big", np.load(spec["big"]))
    source = doc.topLevelNodes()[0]
    yield 1.0
    beat = Heartbeat()
    yield from run(ctx, "linerefiner_close_gaps", timeout=600)
    ctx.record("big_ui_block_s", beat.stop())
    ctx.record("big_load_per_core", os.getloadavg()[0] / (os.cpu_count() or 1))
    ctx.record("big_outcome", vars(ctl.last_outcome))
    doc.topLevelNodes()[1].remove()
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield 0.5
    before = digest(source)
    before_tree = tree(doc.rootNode())
    ctl.last_outcome = None
    app.action("linerefiner_close_gaps").trigger()
    ctx.record("cancel_was_busy", ctl.busy)
    ctl.cancel()
    yield (lambda: ctl.last_outcome is not None and not ctl.busy, 120)
    yield 0.5
    ctx.record("cancel_outcome", vars(ctl.last_outcome))
    ctx.record("cancel_tree_unchanged", tree(doc.rootNode()) == before_tree)
    ctx.record("cancel_source_unchanged", digest(source) == before)
    doc.setModified(False)
    doc.close()

    # -- G: refine and close gaps: both result layers, or a message without the refine model --
    doc = drawing_doc(app, "refine", ink)
    yield 0.8
    ctx.record("refine_available_now", ctl.refine_available())
    yield from run(ctx, "linerefiner_refine_close_gaps")
    outcome = vars(ctl.last_outcome)
    ctx.record("refine_outcome", outcome)
    ctx.record("refine_tree", tree(doc.rootNode()))
    if outcome["status"] == "done":
        refined = doc.topLevelNodes()[1].childNodes()[0]
        dump(ctx, "refine_refined", bytes(refined.pixelData(0, 0, w, h)), w, h, "RGBA", "U8")
    doc.setModified(False)
    doc.close()

    # -- H: the curve as a "line weight" filter mask, the smoothing as a layer of its own -----
    if ctl.refine_available():
        ctl.update_settings("curve_enabled", True)
        ctl.update_settings("curve_preset", "bold")
        for model in ("RGBA", "GRAYA"):
            doc = new_doc(app, f"curve_{model}", w, h, model, "U8")
            yield 0.5
            lines_layer(doc, ink, model, "U8", "transparent")
            yield 0.3
            yield from run(ctx, "linerefiner_refine")
            ctx.record(f"curve_{model}_outcome", vars(ctl.last_outcome))
            ctx.record(f"curve_{model}_tree", tree(doc.rootNode()))
            group = doc.topLevelNodes()[-1]
            refined = group.childNodes()[0]
            mask = refined.childNodes()[0]
            ctx.record(f"curve_{model}_filter", mask.filter().name())
            with_mask = merged_ink(doc)
            mask.setVisible(False)
            yield 0.5
            ctx.record(f"curve_{model}_ink", [with_mask, merged_ink(doc)])
            mask.setVisible(True)
            yield 0.3
            ctx.record(f"curve_{model}_configs", saved_filterconfigs(ctx, doc, f"curve_{model}"))
            doc.setModified(False)
            doc.close()
            yield 0.3

        ctl.update_settings("smooth_enabled", True)
        doc = drawing_doc(app, "smooth", ink)
        yield 0.8
        yield from run(ctx, "linerefiner_refine_close_gaps")
        ctx.record("smooth_outcome", vars(ctl.last_outcome))
        ctx.record("smooth_tree", tree(doc.rootNode()))
        group = doc.topLevelNodes()[1]
        refined = next(n for n in group.childNodes() if n.name() == "refined lines")
        kids = {n.name(): n for n in refined.childNodes()}
        ctx.record("smooth_visible", {name: n.visible() for name, n in kids.items()})
        smoothed_ink = merged_ink(doc)
        # The documented toggle: hide "smoothed lines", show "unsmoothed lines".
        kids["smoothed lines"].setVisible(False)
        kids["unsmoothed lines"].setVisible(True)
        yield 0.5
        ctx.record("smooth_ink", [smoothed_ink, merged_ink(doc)])
        dump(ctx, "smooth_smoothed", bytes(kids["smoothed lines"].pixelData(0, 0, w, h)), w, h,
             "RGBA", "U8")
        dump(ctx, "smooth_unsmoothed", bytes(kids["unsmoothed lines"].pixelData(0, 0, w, h)),
             w, h, "RGBA", "U8")
        # A rerun keeps that choice.
        doc.setActiveNode(doc.topLevelNodes()[0])
        yield from run(ctx, "linerefiner_refine_close_gaps")
        refined = next(n for n in doc.topLevelNodes()[1].childNodes()
                       if n.name() == "refined lines")
        ctx.record("smooth_rerun_visible", {n.name(): n.visible() for n in refined.childNodes()})
        ctx.record("smooth_rerun_tree", tree(doc.rootNode()))
        doc.setModified(False)
        doc.close()
        for name, value in (("curve_enabled", False), ("smooth_enabled", False),
                            ("curve_preset", "normal")):
            ctl.update_settings(name, value)

    # -- F: a docker setting, to be read back by the next launch ------------------------------
    ctl.update_settings("max_gap", spec["max_gap_setting"])
    ctx.record("max_gap_set", ctl.settings.max_gap)
