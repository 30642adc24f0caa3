"""The docker's Install button in real Krita, started with the plugin but no numpy, onnxruntime
or OpenCV: Cancel leaves nothing behind, Install fetches them from the local index
(LINEREFINER_WHEEL_URL, served by test_krita_deps_install.py), and Close Gaps then works in the
same session. LR_E2E_INPUT's "phase" "install" does that; "after" (the next launch) checks that
the installed folder is used from the start; "update" starts with packages built for another
Python in vendor/ (as after a Krita update) and installs over them.

Nothing here imports numpy before the install: the packages are not there yet.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

from krita import Krita  # type: ignore[import-not-found]

from krita_linerefiner import installer
from krita_linerefiner.plugin import deps
from krita_linerefiner.plugin.extension import controller
from krita_linerefiner.plugin.qt import QtWidgets

GAPS = "filled gaps"


def docker_widget(window: Any) -> Any:
    return next(d for d in window.findChildren(QtWidgets.QDockWidget)
                if d.objectName() == "linerefiner_docker")


def child(window: Any, kind: Any, name: str) -> Any:
    return window.findChild(kind, name)


def state(ctx: Any, window: Any, key: str) -> None:
    box = child(window, QtWidgets.QGroupBox, "linerefiner_install_box")
    button = child(window, QtWidgets.QPushButton, "linerefiner_install_deps")
    ctx.record(key, {
        "deps_problem": controller().deps_problem(),
        "status": child(window, QtWidgets.QLabel, "linerefiner_status").toolTip(),
        "box_visible": box.isVisible(),
        "button": button.text(),
        "button_enabled": button.isEnabled(),
        "folders": sorted(p.name for p in deps.PACKAGE_DIR.iterdir()
                          if p.name == "vendor" or p.name.startswith(("vendor-", ".vendor"))),
        "active": str(installer.active_folder(deps.PACKAGE_DIR) or ""),
        "vendor_on_path": [e for e in sys.path if Path(e).name.startswith("vendor")],
        "numpy_loaded": "numpy" in sys.modules,
    })


def close_gaps_from_the_docker(ctx: Any, window: Any, ink_path: str, name: str):
    main = runpy.run_path(str(Path(__file__).with_name("main.py")))  # imports numpy
    import numpy as np

    app = Krita.instance()
    ctl = controller()
    doc = main["drawing_doc"](app, name, np.load(ink_path))
    yield 1.0
    button = next(b for b in docker_widget(window).findChildren(QtWidgets.QPushButton)
                  if b.text() == "Close Gaps")
    ctx.record(f"{name}_gaps_enabled", button.isEnabled())
    ctl.last_outcome = None
    button.click()
    yield (lambda: ctl.last_outcome is not None and not ctl.busy, 300)
    yield 0.5
    ctx.record(f"{name}_outcome", vars(ctl.last_outcome))
    group = doc.topLevelNodes()[-1]
    ctx.record(f"{name}_layers", [group.name(), [n.name() for n in group.childNodes()]])
    ctx.record(f"{name}_numpy_from", str(Path(str(sys.modules["numpy"].__file__)).parents[1]))
    from krita_linerefiner.plugin.layers import CurveMasks

    # Refine's Curve needs the line weight masks, which load once numpy is there.
    ctx.record(f"{name}_curve_masks", CurveMasks.doc is not None)


def steps(ctx: Any):
    app = Krita.instance()
    ctl = controller()
    spec = json.loads(Path(os.environ["LR_E2E_INPUT"]).read_text())
    window = app.activeWindow().qwindow()
    dock = docker_widget(window)
    dock.show()
    dock.raise_()
    # Floating at a common docker size, for the pictures (a docked one takes the window's).
    dock.setFloating(True)
    dock.resize(330, 360)
    yield 1.0
    state(ctx, window, "start")
    dock.grab().save(str(ctx.out / "docker_start.png"))  # to look at, not asserted
    if spec["phase"] == "after":
        yield from close_gaps_from_the_docker(ctx, window, spec["ink"], "after")
        return
    if spec["phase"] == "update":
        # Packages of an older Krita's Python in vendor/: Install, then Close Gaps if it says
        # the docker is ready, in the same session.
        ctl.last_outcome = None
        child(window, QtWidgets.QPushButton, "linerefiner_install_deps").click()
        yield (lambda: ctl.last_outcome is not None, 600)
        ctx.record("update_install", vars(ctl.last_outcome))
        yield 1.0
        state(ctx, window, "updated")
        if getattr(ctl.last_outcome, "status", None) == "done":
            yield from close_gaps_from_the_docker(ctx, window, spec["ink"], "update")
        return

    button = child(window, QtWidgets.QPushButton, "linerefiner_install_deps")
    progress = child(window, QtWidgets.QProgressBar, "linerefiner_install_progress")
    cancel = child(window, QtWidgets.QPushButton, "linerefiner_install_cancel")
    # -- Cancel during the download: nothing changes -----------------------------------------
    ctl.last_outcome = None
    button.click()
    yield (lambda: progress.value() > 0, 120)
    ctx.record("cancel_at_percent", progress.value())
    cancel.click()
    yield (lambda: ctl.last_outcome is not None, 60)
    ctx.record("cancel_outcome", vars(ctl.last_outcome))
    yield 0.5
    state(ctx, window, "cancelled")

    # -- Install: the docker becomes usable in this session ----------------------------------
    ctl.last_outcome = None
    seen: list[int] = []
    button.click()
    progress.valueChanged.connect(seen.append)
    yield (lambda: progress.value() >= 30, 120)
    dock.grab().save(str(ctx.out / "docker_installing.png"))
    yield (lambda: ctl.last_outcome is not None, 600)
    progress.valueChanged.disconnect(seen.append)
    ctx.record("install_outcome", vars(ctl.last_outcome))
    ctx.record("install_progress_seen", seen)
    yield 1.0
    state(ctx, window, "installed")
    dock.grab().save(str(ctx.out / "docker_installed.png"))
    if getattr(ctl.last_outcome, "status", None) == "done":
        yield from close_gaps_from_the_docker(ctx, window, spec["ink"], "same_session")
