"""Second Krita launch on the same profile: settings persisted; missing packages are named."""

from __future__ import annotations

from typing import Any

from krita import Krita  # type: ignore[import-not-found]

from krita_linerefiner.plugin.extension import controller


def steps(ctx: Any):
    from krita_linerefiner.plugin.qt import QDockWidget, QLabel, QPushButton

    app = Krita.instance()
    ctl = controller()
    ctx.record("max_gap", ctl.settings.max_gap)
    ctx.record("deps_problem", ctl.deps_problem())
    doc = app.createDocument(64, 64, "deps", "RGBA", "U8", "", 72.0)
    app.activeWindow().addView(doc)
    window = app.activeWindow().qwindow()
    for dock in window.findChildren(QDockWidget):
        if dock.objectName() == "linerefiner_docker":
            dock.show()
    yield 1.0
    # The docker's one message line: the full text is its tooltip (the line itself is elided).
    status = window.findChild(QLabel, "linerefiner_status")
    ctx.record("reason", status.toolTip() if status else None)
    ctx.record("buttons_enabled", [b.isEnabled() for b in window.findChildren(QPushButton)
                                   if b.text() in ("Close Gaps", "Refine", "Refine + Close")])
    ctl.last_outcome = None
    app.action("linerefiner_close_gaps").trigger()
    yield (lambda: ctl.last_outcome is not None, 10)
    ctx.record("outcome", vars(ctl.last_outcome))
    window.grab().save(str(ctx.out / "krita_docker_missing_deps.png"))
    doc.setModified(False)
