"""Live preview (issue 13), in real Krita: Close Gaps once, then move the docker's Max gap and
Sensitivity controls; "filled gaps" must follow without a second model run. Then: a rerun sees
the previewed layer as untouched; an edited source or a painted "filled gaps" is left alone;
preview times at 2048x2048; Fill Flats and a screenshot of the whole window.

Runs inside Krita through lr_e2e_driver like main.py, whose helpers it reuses. The drawing comes
from LR_E2E_INPUT (written by test_krita_preview.py); pytest asserts on what this records.
"""

from __future__ import annotations

import json
import os
import runpy
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from krita import Krita  # type: ignore[import-not-found]

import krita_linerefiner.core.pipeline as core_pipeline
from krita_linerefiner.core.ink import PixelFormat, pixels_from_ink
from krita_linerefiner.plugin.extension import controller
from krita_linerefiner.plugin.qt import QtWidgets

MAIN = runpy.run_path(str(Path(__file__).with_name("main.py")))
run, dump_merged, drawing_doc, tree = (
    MAIN[name] for name in ("run", "dump_merged", "drawing_doc", "tree"))
GROUP = "Line Refiner"
GAPS = "filled gaps"
# Model use, counted by wrapping the plugin's session factory (core.pipeline.open_sessions):
# "opened" once per run, "scored" once per batch the verifier scores.
MODEL = {"opened": 0, "scored": 0}


def count_model_runs() -> None:
    real_open = core_pipeline.open_sessions

    def counting_open(steps: Any, **kwargs: Any) -> Any:
        sessions = real_open(steps, **kwargs)
        MODEL["opened"] += 1
        scorer = sessions.scorer
        if scorer is None:
            return sessions

        def counted(patches: Any, features: Any) -> Any:
            MODEL["scored"] += 1
            return scorer(patches, features)

        return replace(sessions, scorer=counted)

    core_pipeline.open_sessions = counting_open


def named(node: Any, name: str) -> Any:
    return next((n for n in node.childNodes() if n.name() == name), None)


def gaps_layer(doc: Any) -> Any:
    group = named(doc.rootNode(), GROUP)
    return named(group, GAPS) if group is not None else None


def painted(layer: Any, w: int, h: int) -> int:
    data = np.frombuffer(bytes(layer.pixelData(0, 0, w, h)), np.uint8).reshape(h, w, 4)
    return int((data[..., 3] > 0).sum())


def layer_sha(layer: Any, w: int, h: int) -> str:
    import hashlib

    return hashlib.sha256(bytes(layer.pixelData(0, 0, w, h))).hexdigest()


def window_widgets() -> Any:
    return Krita.instance().activeWindow().qwindow()


def control(name: str) -> Any:
    return window_widgets().findChild(QtWidgets.QWidget, f"linerefiner_{name}")


def label(name: str) -> str:
    found = window_widgets().findChild(QtWidgets.QLabel, f"linerefiner_{name}")
    return "" if found is None else (found.toolTip() or found.text())


def move(ctx: Any, name: str, value: int, tag: str, doc: Any):
    """Set a docker control as a user would, wait for its preview, record what it did."""
    live = controller().live()
    marker = live.last
    control(name).setValue(value)
    yield (lambda: live.last is not marker and not live.busy and not live.debounce.isActive(),
           60)
    yield 0.3
    record = live.last
    ctx.record(f"{tag}_preview", vars(record) if record is not None else None)
    layer = gaps_layer(doc)
    w, h = doc.width(), doc.height()
    ctx.record(f"{tag}_px", painted(layer, w, h) if layer is not None else -1)
    ctx.record(f"{tag}_model", dict(MODEL))
    ctx.record(f"{tag}_status", label("status"))
    ctx.record(f"{tag}_regions", label("regions"))
    ctx.record(f"{tag}_gaps_id", layer.uniqueId().toString() if layer is not None else "")


def after_run(ctx: Any, doc: Any, tag: str) -> None:
    ctl = controller()
    ctx.record(f"{tag}_outcome", vars(ctl.last_outcome))
    ctx.record(f"{tag}_model", dict(MODEL))
    ctx.record(f"{tag}_tree", tree(doc.rootNode()))
    layer = gaps_layer(doc)
    w, h = doc.width(), doc.height()
    ctx.record(f"{tag}_px", painted(layer, w, h) if layer is not None else -1)
    ctx.record(f"{tag}_regions", label("regions"))
    ctx.record(f"{tag}_gaps_id", layer.uniqueId().toString() if layer is not None else "")


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    count_model_runs()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    for dock in window_widgets().findChildren(QtWidgets.QDockWidget):
        if dock.objectName() == "linerefiner_docker":
            dock.show()
            dock.raise_()
    ctl.update_settings("gap_sensitivity", 0.5)
    ctl.update_settings("max_gap", 24)
    ink = np.load(spec["ink"])
    h, w = ink.shape
    doc = drawing_doc(app, "preview", ink)
    yield 1.0
    source = doc.topLevelNodes()[0]
    doc.setActiveNode(source)
    yield 0.3

    # -- no run yet: a slider move says a run is needed --------------------------------------
    yield from move(ctx, "max_gap", 20, "norun", doc)

    # -- one run, then previews ----------------------------------------------------------------
    yield from move(ctx, "max_gap", 24, "reset", doc)
    yield from run(ctx, "linerefiner_close_gaps")
    after_run(ctx, doc, "run1")
    yield from move(ctx, "max_gap", 2, "gap2", doc)
    yield from move(ctx, "max_gap", 24, "gap24", doc)
    yield from move(ctx, "gap_sensitivity", 0, "sens0", doc)
    yield from move(ctx, "gap_sensitivity", 100, "sens100", doc)
    ctx.record("sens100_layer_sha", layer_sha(gaps_layer(doc), w, h))

    # -- a rerun sees the previewed layer as the plugin's own: replaced, not kept as edited --
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    after_run(ctx, doc, "run2")

    # -- the source changes: the preview leaves "filled gaps" alone and says to run -----------
    x0, x1, y = spec["edit"]
    stroke = np.ones((2, x1 - x0), np.float32)
    source.setPixelData(pixels_from_ink(stroke, PixelFormat("RGBA", "U8"), paper="white"),
                        x0, y, x1 - x0, 2)
    doc.refreshProjection()
    yield 0.5
    ctx.record("stale_before_sha", layer_sha(gaps_layer(doc), w, h))
    yield from move(ctx, "gap_sensitivity", 50, "stale", doc)
    ctx.record("stale_after_sha", layer_sha(gaps_layer(doc), w, h))

    # -- the user paints on "filled gaps": the preview leaves it alone ----------------------
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    after_run(ctx, doc, "run3")
    layer = gaps_layer(doc)
    layer.setPixelData(bytes((0, 255, 0, 255)) * (6 * 6), 5, 5, 6, 6)
    doc.refreshProjection()
    yield 0.3
    ctx.record("touched_before_sha", layer_sha(layer, w, h))
    yield from move(ctx, "max_gap", 2, "touched", doc)
    ctx.record("touched_after_sha", layer_sha(gaps_layer(doc), w, h))
    yield from move(ctx, "max_gap", 24, "touched_back", doc)
    doc.setModified(False)
    doc.close()
    yield 0.5

    # -- timing at 2048x2048 --------------------------------------------------------------------
    big = np.load(spec["big"])
    doc = drawing_doc(app, "preview_big", big)
    yield 1.0
    doc.setActiveNode(doc.topLevelNodes()[0])
    yield 0.3
    yield from run(ctx, "linerefiner_close_gaps")
    after_run(ctx, doc, "big_run")
    for i, value in enumerate((20, 80, 35, 65, 50)):
        yield from move(ctx, "gap_sensitivity", value, f"big{i}", doc)
    for i, value in enumerate((12, 48, 24)):
        yield from move(ctx, "max_gap", value, f"bigmax{i}", doc)
    # Previews that change every closure: all of them gone, then all back.
    yield from move(ctx, "max_gap", 2, "big_none", doc)
    yield from move(ctx, "max_gap", 24, "big_back", doc)
    doc.setModified(False)
    doc.close()
    yield 0.5

    # -- Fill Flats, and a screenshot of the whole window ---------------------------------------
    doc = drawing_doc(app, "flats_window", ink)
    yield 1.0
    source = doc.topLevelNodes()[0]
    doc.setActiveNode(source)
    yield 0.3
    yield from run(ctx, "linerefiner_fill_flats")
    ctx.record("flats_outcome", vars(ctl.last_outcome))
    source.setBlendingMode("multiply")
    doc.refreshProjection()
    # Xvfb has no window manager to maximise it: fill the 1600x1000 screen by hand.
    window_widgets().setGeometry(0, 0, 1600, 1000)
    yield 1.0
    view = app.activeWindow().activeView()
    if view is not None and view.canvas() is not None:
        view.canvas().setZoomLevel(3.0)
    # The floating message over the canvas (extension.FLOAT_MS) is gone by then.
    yield 7.0
    dump_merged(ctx, "flats_window_merged", doc)
    qwindow = window_widgets()
    qwindow.grab().save(str(ctx.out / "window_grab.png"))
    screen = QtWidgets.QApplication.primaryScreen()
    screen.grabWindow(0).save(str(ctx.out / "screen_grab.png"))
    ctx.record("screenshots", ["window_grab.png", "screen_grab.png"])
    doc.setModified(False)
    doc.close()
    yield 0.3
