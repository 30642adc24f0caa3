"""The user's work is never lost and every run says what happened (issue 11), in real Krita.

Runs inside Krita through lr_e2e_driver like main.py, whose helpers it reuses. Inputs come from
LR_E2E_INPUT (written by test_krita_safety.py); pytest asserts on what this records.
"""

from __future__ import annotations

import json
import os
import runpy
import time
from pathlib import Path
from typing import Any

import numpy as np
from krita import Krita, Selection  # type: ignore[import-not-found]

from krita_linerefiner.core.ink import PixelFormat, pixels_from_ink
from krita_linerefiner.plugin.extension import controller
from krita_linerefiner.plugin.qt import Qt, QtWidgets

MAIN = runpy.run_path(str(Path(__file__).with_name("main.py")))
tree, digest, run, new_doc, drawing_doc = (
    MAIN[name] for name in ("tree", "digest", "run", "new_doc", "drawing_doc"))
GROUP = "Line Refiner"
GAPS = "filled gaps"


def docker_widget(window: Any) -> Any:
    return next(d for d in window.findChildren(QtWidgets.QDockWidget)
                if d.objectName() == "linerefiner_docker")


def paint(node: Any, x: int, y: int, w: int, h: int, bgra: tuple[int, int, int, int]) -> None:
    """What a brush stroke leaves in the layer's pixels (Node.setPixelData is not undoable, which
    does not matter here: only the pixels count)."""
    node.setPixelData(bytes(bgra) * (w * h), x, y, w, h)


def child(node: Any, name: str) -> Any:
    return next(c for c in node.childNodes() if c.name() == name)


def floating_messages(window: Any) -> list[str]:
    return [w.objectName() or w.metaObject().className()
            for w in window.findChildren(QtWidgets.QWidget)
            if w.metaObject().className() == "KisFloatingMessage" and w.isVisible()]


def start_and_wait_busy(ctx: Any, app: Any, ctl: Any):
    ctl.last_outcome = None
    app.action("linerefiner_close_gaps").trigger()
    yield 0.3  # the worker is at its first tiles


def steps(ctx: Any):  # noqa: PLR0915 (one scenario, case after case)
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    ink = np.load(spec["ink"])
    h, w = ink.shape
    window = app.activeWindow().qwindow()
    dock = docker_widget(window)
    dock.show()
    dock.raise_()

    # -- 1: a rerun keeps the user's own layer and paint --------------------------------------
    doc = drawing_doc(app, "rerun", ink)
    yield 0.8
    source = doc.topLevelNodes()[0]
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("rerun_first", vars(ctl.last_outcome))
    group = doc.topLevelNodes()[1]
    flats = doc.createNode("flats", "paintlayer")
    group.addChildNode(flats, None)  # on top, as a user drags a layer into the group
    paint(flats, 30, 30, 40, 40, (0, 200, 0, 255))
    flats_before = digest(flats)
    gaps = child(group, GAPS)
    paint(gaps, 10, 200, 6, 6, (255, 0, 0, 255))  # a blue touch-up, far from any closure
    touched_before = digest(gaps)
    doc.refreshProjection()
    yield 0.5
    ctl.update_settings("max_gap", 20)
    doc.setActiveNode(source)
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("rerun_outcome", vars(ctl.last_outcome))
    ctx.record("rerun_tree", tree(doc.rootNode()))
    group = doc.topLevelNodes()[1]
    ctx.record("rerun_visible", {n.name(): n.visible() for n in group.childNodes()})
    ctx.record("rerun_flats_kept", digest(child(group, "flats")) == flats_before)
    ctx.record("rerun_edited_kept", digest(child(group, f"{GAPS} (edited)")) == touched_before)
    ctx.record("rerun_new_gaps_differ", digest(child(group, GAPS)) != touched_before)
    ctx.record("rerun_status_line", window.findChild(QtWidgets.QLabel,
                                                     "linerefiner_status").toolTip())
    # Again, with nothing touched: the results are replaced, nothing new is kept.
    doc.setActiveNode(source)
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("rerun_again_outcome", vars(ctl.last_outcome))
    ctx.record("rerun_again_tree", tree(doc.rootNode()))
    # Saved, closed and opened again: the record of what was written survives in the .kra.
    path = str(ctx.out / "rerun.kra")
    ctx.record("rerun_saved", doc.saveAs(path))
    yield 0.5
    doc.close()
    yield 0.5
    doc = app.openDocument(path)
    app.activeWindow().addView(doc)
    yield 1.0
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("reload_outcome", vars(ctl.last_outcome))
    ctx.record("reload_tree", tree(doc.rootNode()))
    app.action("edit_undo").trigger()
    yield 1.0
    app.action("edit_undo").trigger()
    yield 1.0
    ctx.record("reload_undo_tree", tree(doc.rootNode()))
    doc.setModified(False)
    doc.close()
    ctl.update_settings("max_gap", 16)

    # -- 2: nothing to add: no change, one line why -------------------------------------------
    for name, layer_ink in (("white", np.zeros_like(ink)), ("faint", np.where(ink > 0, 0.04, 0)),
                            ("dot", np.pad(np.ones((3, 3), np.float32), ((50, h - 53),
                                                                         (50, w - 53))))):
        doc = drawing_doc(app, name, layer_ink.astype(np.float32))
        yield 0.5
        before = tree(doc.rootNode())
        yield from run(ctx, "linerefiner_close_gaps")
        ctx.record(f"empty_{name}_outcome", vars(ctl.last_outcome))
        ctx.record(f"empty_{name}_unchanged", tree(doc.rootNode()) == before)
        ctx.record(f"empty_{name}_modified", doc.modified())
        doc.setModified(False)
        doc.close()
        yield 0.3
    # A selection over blank paper keeps the results an earlier run left.
    doc = drawing_doc(app, "blank_selection", ink)
    yield 0.5
    yield from run(ctx, "linerefiner_close_gaps")
    selection = Selection()
    selection.select(w - 12, h - 12, 10, 10, 255)
    doc.setSelection(selection)
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield 0.3
    before = tree(doc.rootNode())  # with the selection (Krita may show it as a mask node)
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("empty_selection_outcome", vars(ctl.last_outcome))
    ctx.record("empty_selection_unchanged", tree(doc.rootNode()) == before)
    doc.setModified(False)
    doc.close()

    # -- 4: a long message: one line, full text in the tooltip and Details; a screenshot -------
    doc = new_doc(app, "cmyk", 200, 200, "CMYKA", "U8")
    yield 0.5
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield 0.5
    status = window.findChild(QtWidgets.QLabel, "linerefiner_status")
    problem = ctl.problem("gaps")
    ctx.record("long_problem", problem)
    ctx.record("long_status_before_run", [status.text(), status.toolTip()])
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("long_outcome", vars(ctl.last_outcome))
    # Narrow and short, as a docker sharing its column with others. Floating, so that the
    # size is the docker's own (a docked one is sized by the main window's layout).
    dock.setFloating(True)
    dock.resize(260, 300)
    yield 0.8
    details = window.findChild(QtWidgets.QPushButton, "linerefiner_details_button")
    details.setChecked(True)
    yield 0.5
    box = window.findChild(QtWidgets.QPlainTextEdit, "linerefiner_details")
    ctx.record("long_status", {"text": status.text(), "tooltip": status.toolTip(),
                               "line_height": status.height(),
                               "font_line": status.fontMetrics().lineSpacing(),
                               "width": status.width(),
                               "text_width": status.fontMetrics().horizontalAdvance(
                                   status.text())})
    ctx.record("long_details", {"visible": box.isVisible(), "text": box.toPlainText(),
                                "read_only": box.isReadOnly()})
    scroll = window.findChild(QtWidgets.QScrollArea, "linerefiner_scroll")
    panel = scroll.widget()
    ctx.record("long_panel", {"height": panel.height(),
                              "min_height": panel.minimumSizeHint().height(),
                              "viewport": scroll.viewport().height(),
                              "scrollbar_max": scroll.verticalScrollBar().maximum()})
    # No two visible rows overlap: the direct rows of the panel, top to bottom.
    rows = []
    layout = panel.layout()
    for index in range(layout.count()):
        item = layout.itemAt(index)
        geometry = item.geometry()
        widget = item.widget()
        if (widget is not None and not widget.isVisible()) or geometry.height() <= 0:
            continue
        rows.append([geometry.y(), geometry.height()])
    ctx.record("long_rows", rows)
    dock.grab().save(str(ctx.out / "docker_long_message.png"))
    # What the screen shows (the X server's pixels), in case the widget rendering differs.
    at = dock.mapToGlobal(dock.rect().topLeft())
    QtWidgets.QApplication.primaryScreen().grabWindow(
        0, at.x(), at.y(), dock.width(), dock.height()).save(
        str(ctx.out / "docker_long_message_screen.png"))
    window.grab().save(str(ctx.out / "krita_long_message.png"))
    ctx.record("long_dock_size", [dock.width(), dock.height()])
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    scroll.horizontalScrollBar().setValue(scroll.horizontalScrollBar().maximum())
    yield 0.3
    dock.grab().save(str(ctx.out / "docker_long_message_scrolled.png"))
    scroll.verticalScrollBar().setValue(0)
    scroll.horizontalScrollBar().setValue(0)
    ctx.record("long_widths", {"scroll": [scroll.x(), scroll.width()],
                               "viewport": scroll.viewport().width(),
                               "panel": panel.width(),
                               "panel_min": panel.minimumSizeHint().width(),
                               "hbar_max": scroll.horizontalScrollBar().maximum(),
                               "vbar_visible": scroll.verticalScrollBar().isVisible(),
                               "dock_widget": [dock.widget().x(), dock.widget().width()]})
    details.setChecked(False)
    doc.setModified(False)
    doc.close()
    yield 0.3
    dock.setFloating(False)
    yield 0.3

    # -- 5: progress with the docker hidden: status bar, busy cursor, floating message ---------
    dock.hide()
    doc = drawing_doc(app, "hidden_docker", np.load(spec["big"]))
    yield 1.0
    bar = window.statusBar()
    seen: dict[str, Any] = {"messages": [], "cursor": []}
    ctl.last_outcome = None
    app.action("linerefiner_close_gaps").trigger()

    def watch() -> bool:
        seen["messages"].append(bar.currentMessage())
        cursor = QtWidgets.QApplication.overrideCursor()
        seen["cursor"].append(cursor.shape() == Qt.CursorShape.BusyCursor if cursor else False)
        return ctl.last_outcome is not None and not ctl.busy

    yield (watch, 300)
    yield 0.3
    ctx.record("hidden_outcome", vars(ctl.last_outcome))
    ctx.record("hidden_messages", sorted(set(seen["messages"])))
    ctx.record("hidden_busy_cursor_seen", any(seen["cursor"]))
    cursor = QtWidgets.QApplication.overrideCursor()
    ctx.record("hidden_cursor_after", cursor.shape() if cursor else None)
    ctx.record("hidden_status_after", bar.currentMessage())
    ctx.record("hidden_floating", floating_messages(window))
    window.grab().save(str(ctx.out / "krita_hidden_docker_done.png"))
    dock.show()

    # -- 6: closing the document during a run stops it at once --------------------------------
    doc.topLevelNodes()[1].remove()
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield 0.5
    yield from start_and_wait_busy(ctx, app, ctl)
    ctx.record("close_was_busy", ctl.busy)
    doc.setModified(False)
    closed_at = time.monotonic()
    doc.close()
    yield (lambda: ctl.last_outcome is not None and not ctl.busy, 60)
    ctx.record("close_stop_s", time.monotonic() - closed_at)
    ctx.record("close_outcome", vars(ctl.last_outcome))
    # The next run works (its job waits for the stopped one's last tile, then runs).
    doc = drawing_doc(app, "after_close", ink)
    yield 0.5
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("after_close_outcome", vars(ctl.last_outcome))
    doc.setModified(False)
    doc.close()

    # -- 7: a filter or transparency mask selected; a locked group -----------------------------
    for kind in ("filtermask", "transparencymask"):
        doc = drawing_doc(app, kind, ink)
        yield 0.5
        source = doc.topLevelNodes()[0]
        if kind == "filtermask":
            mask = doc.createFilterMask("blur mask", app.filter("blur"), source)
        else:
            mask = doc.createNode("transparency", "transparencymask")
        source.addChildNode(mask, None)
        yield 0.5
        doc.setActiveNode(mask)
        yield 0.3
        ctx.record(f"{kind}_active", doc.activeNode().type())
        yield from run(ctx, "linerefiner_close_gaps")
        ctx.record(f"{kind}_outcome", vars(ctl.last_outcome))
        ctx.record(f"{kind}_tree", tree(doc.rootNode()))
        doc.setModified(False)
        doc.close()
        yield 0.3

    doc = new_doc(app, "locked", w, h, "RGBA", "U8")
    yield 0.5
    inks = doc.createGroupLayer("inks")
    doc.rootNode().addChildNode(inks, None)
    lines = doc.createNode("lines", "paintlayer")
    inks.addChildNode(lines, None)
    lines.setPixelData(pixels_from_ink(ink, PixelFormat("RGBA", "U8")), 0, 0, w, h)
    inks.setLocked(True)
    doc.setActiveNode(lines)
    yield 0.5
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("locked_outcome", vars(ctl.last_outcome))
    ctx.record("locked_tree", tree(doc.rootNode()))
    # A rerun finds the results above the locked group and replaces them.
    doc.setActiveNode(lines)
    yield from run(ctx, "linerefiner_close_gaps")
    ctx.record("locked_rerun_tree", tree(doc.rootNode()))
    doc.setModified(False)
    doc.close()
