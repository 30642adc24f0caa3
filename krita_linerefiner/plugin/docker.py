"""The "Line Refiner" docker: settings, Run buttons, progress, Cancel and a message line.

No pixel logic here: every run goes through the controller, like the Filter-menu actions.
One message line says what matters now: a run in progress, else why nothing can run, else what
the last run did. It is elided to one line (a long message once pushed the rows over each
other); its tooltip and the Details box hold the full text. The panel scrolls rather than
squashing its rows when the docker is short.
"""

from __future__ import annotations

from typing import Any

from . import deps
from .extension import ACTIONS, controller
from .qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    Qt,
    QTimer,
    QtWidgets,
    QVBoxLayout,
    QWidget,
)
from .settings import ANIMATION_ALL, ANIMATION_CURRENT, AUTO, BY_NAME, CURVE_PRESETS, GAP_COLORS

# The active document and layer have no change signal in Krita 5.1's Python API; a light poll
# (a few attribute reads) keeps the panel's enabled state and reason line current.
REFRESH_MS = 400
SLIDER_STEPS = 100
BUTTONS = {"gaps": "Close Gaps", "refine": "Refine", "refine_gaps": "Refine + Close",
           "flats": "Fill Flats"}  # the one-pass "refine_flats" is in the Filter menu only
READY = "Ready."
DETAILS_LINES = 6
# The line darkness box shows percent (as "darkest ink 20%" in messages); its minimum, one below
# the setting's 2%, reads "auto".
DARKNESS_AUTO_PERCENT = 1


def darkness_percent(value: float) -> int:
    return DARKNESS_AUTO_PERCENT if value == AUTO else max(2, round(100 * value))


def darkness_value(percent: int) -> float:
    return AUTO if percent <= DARKNESS_AUTO_PERCENT else percent / 100


class MessageLine(QLabel):
    """A one-line label that elides its text to its width; the full text is `full` and the
    tooltip."""

    def __init__(self) -> None:
        super().__init__()
        self.full = ""
        # Ignored: a long message must not widen the docker; the label takes the width it gets.
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                           QtWidgets.QSizePolicy.Policy.Fixed)
        self.setWordWrap(False)

    def set_message(self, text: str) -> None:
        self.full = text
        self.setToolTip(text)
        self.elide()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.elide()

    def elide(self) -> None:
        line = " ".join(self.full.split())
        width = max(self.width() - 4, 20)
        self.setText(self.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, width))


def make_docker_class(krita: Any) -> type:
    class LineRefinerDocker(krita.DockWidget):
        def __init__(self) -> None:
            super().__init__()
            self.setWindowTitle("Line Refiner")
            self.ctl = controller()
            self.controls: dict[str, Any] = {}
            self.buttons: dict[str, Any] = {}
            self.last_message = ""
            self.setWidget(self.scrolling(self.build()))
            self.load_values()
            self.ctl.started.connect(self.on_started)
            self.ctl.progressed.connect(self.on_progress)
            self.ctl.finished.connect(self.on_finished)
            self.ctl.settings_changed.connect(self.load_values)
            self.ctl.setup.progressed.connect(self.on_install_progress)
            self.ctl.previewed.connect(self.on_preview)
            self.timer = QTimer(self)
            self.timer.setInterval(REFRESH_MS)
            self.timer.timeout.connect(self.refresh)
            self.timer.start()
            self.refresh()

        def canvasChanged(self, canvas: Any) -> None:  # noqa: N802 (Krita's name)
            self.refresh()

        # -- building ------------------------------------------------------------------------
        def scrolling(self, panel: Any) -> Any:
            area = QtWidgets.QScrollArea()
            area.setObjectName("linerefiner_scroll")
            area.setWidgetResizable(True)
            area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
            # Narrower than its rows: scroll sideways rather than cut the controls off.
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            area.setWidget(panel)
            return area

        def build(self) -> Any:
            root = QWidget()
            layout = QVBoxLayout(root)
            message = QHBoxLayout()
            self.status = MessageLine()
            self.status.setObjectName("linerefiner_status")
            message.addWidget(self.status, 1)
            self.details_button = QPushButton("Details")
            self.details_button.setObjectName("linerefiner_details_button")
            self.details_button.setCheckable(True)
            self.details_button.setToolTip("Show the whole message, to read or copy")
            self.details_button.toggled.connect(self.show_details)
            message.addWidget(self.details_button)
            layout.addLayout(message)
            self.details = QtWidgets.QPlainTextEdit()
            self.details.setObjectName("linerefiner_details")
            self.details.setReadOnly(True)  # still selectable and copyable
            self.details.setMaximumHeight(self.details.fontMetrics().lineSpacing()
                                          * DETAILS_LINES + 12)
            self.details.setVisible(False)
            layout.addWidget(self.details)
            layout.addWidget(self.install_box())
            # Regions a fill sees before and after closing, after each run and preview.
            self.regions = QLabel("")
            self.regions.setObjectName("linerefiner_regions")
            self.regions.setVisible(False)
            layout.addWidget(self.regions)

            gaps = QGroupBox("Close gaps")
            form = QFormLayout(gaps)
            form.addRow("Sensitivity", self.slider("gap_sensitivity"))
            form.addRow("Max gap (px)", self.spin("max_gap"))
            form.addRow("Line darkness", self.darkness_spin())
            form.addRow(self.check("max_gap_wide", "Longer max gap for wide lines"))
            form.addRow(self.check("seal_only", "Only gaps that separate regions"))
            form.addRow(self.check("dense", "Also the dense model (slower, more closures)"))
            form.addRow("Filled gaps colour", self.combo("gap_color", tuple(GAP_COLORS)))
            layout.addWidget(gaps)

            flats = QGroupBox("Flats")
            form = QFormLayout(flats)
            form.addRow(self.check("flats_fill_border", "Fill regions touching the border"))
            form.addRow("Smallest region (px)", self.spin("flats_min_region"))
            layout.addWidget(flats)

            animation = QFormLayout()
            animation.addRow("Animation", self.combo("animation",
                                                     (ANIMATION_ALL, ANIMATION_CURRENT)))
            layout.addLayout(animation)

            self.refine_box = QGroupBox("Refine lines")
            form = QFormLayout(self.refine_box)
            form.addRow("Strength", self.slider("refine_strength"))
            curve = QHBoxLayout()
            curve.addWidget(self.check("curve_enabled", "Curve"))
            curve.addWidget(self.combo("curve_preset", CURVE_PRESETS))
            form.addRow(curve)
            smooth = QHBoxLayout()
            smooth.addWidget(self.check("smooth_enabled", "Smooth"))
            smooth.addWidget(self.slider("smooth_amount"))
            form.addRow(smooth)
            layout.addWidget(self.refine_box)

            run = QHBoxLayout()
            for action_id, text, task in ACTIONS:
                if task not in BUTTONS:
                    continue
                button = QPushButton(BUTTONS[task])
                button.setToolTip(f"{text} (Filter menu, shortcut id {action_id})")
                button.clicked.connect(lambda _=False, task=task: self.ctl.start(task))
                self.buttons[task] = button
                run.addWidget(button)
            layout.addLayout(run)

            busy = QHBoxLayout()
            self.progress = QProgressBar()
            self.progress.setRange(0, SLIDER_STEPS)
            self.progress.setValue(0)
            busy.addWidget(self.progress)
            self.cancel_button = QPushButton("Cancel")
            self.cancel_button.setEnabled(False)
            self.cancel_button.clicked.connect(self.ctl.cancel)
            busy.addWidget(self.cancel_button)
            layout.addLayout(busy)
            layout.addStretch(1)
            return root

        def install_box(self) -> Any:
            """Shown while numpy, onnxruntime or OpenCV can't be imported and this Krita has a
            locked set of them: one button fetches it (installer.py)."""
            self.install_group = QGroupBox("Dependencies")
            self.install_group.setObjectName("linerefiner_install_box")
            box = QVBoxLayout(self.install_group)
            self.install_button = QPushButton("Install dependencies")
            self.install_button.setObjectName("linerefiner_install_deps")
            self.install_button.setToolTip(
                "Download numpy, onnxruntime and OpenCV for this Krita's Python from PyPI, "
                "check each file against LineRefiner's list, and put them in the plugin's "
                "folder. Nothing changes unless all of it succeeds.")
            self.install_button.clicked.connect(self.on_install_clicked)
            box.addWidget(self.install_button)
            busy = QHBoxLayout()
            self.install_progress = QProgressBar()
            self.install_progress.setObjectName("linerefiner_install_progress")
            self.install_progress.setRange(0, SLIDER_STEPS)
            self.install_progress.setValue(0)
            busy.addWidget(self.install_progress)
            self.install_cancel = QPushButton("Cancel")
            self.install_cancel.setObjectName("linerefiner_install_cancel")
            self.install_cancel.setEnabled(False)
            self.install_cancel.clicked.connect(lambda _=False: self.ctl.setup.cancel())
            busy.addWidget(self.install_cancel)
            box.addLayout(busy)
            self.install_group.setVisible(False)
            return self.install_group

        def on_install_clicked(self) -> None:
            self.ctl.install_deps()
            self.refresh()

        def install_text(self) -> str:
            setup = self.ctl.setup
            total = setup.plan.megabytes if setup.plan is not None else 0
            return (f"Installing the dependencies… {round(100 * setup.fraction)}% of about "
                    f"{total} MB")

        def show_message(self, text: str) -> None:
            if text != self.status.full:
                self.status.set_message(text)
                self.details.setPlainText(text)
            self.details_button.setEnabled(bool(text))

        def show_details(self, on: bool) -> None:
            self.details.setPlainText(self.status.full)
            self.details.setVisible(on)

        def slider(self, name: str) -> Any:
            setting = BY_NAME[name]
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, SLIDER_STEPS)
            slider.setToolTip(setting.description)
            slider.setObjectName(f"linerefiner_{name}")
            slider.valueChanged.connect(
                lambda value: self.ctl.update_settings(name, value / SLIDER_STEPS))
            self.controls[name] = slider
            return slider

        def combo(self, name: str, choices: tuple[str, ...]) -> Any:
            combo = QComboBox()
            combo.addItems(list(choices))
            combo.setToolTip(BY_NAME[name].description)
            combo.currentTextChanged.connect(lambda text: self.ctl.update_settings(name, text))
            self.controls[name] = combo
            return combo

        def spin(self, name: str) -> Any:
            setting = BY_NAME[name]
            spin = QSpinBox()
            spin.setRange(int(setting.low or 0), int(setting.high or 0))
            spin.setToolTip(setting.description)
            spin.setObjectName(f"linerefiner_{name}")
            spin.valueChanged.connect(lambda value: self.ctl.update_settings(name, value))
            self.controls[name] = spin
            return spin

        def darkness_spin(self) -> Any:
            spin = QSpinBox()
            spin.setRange(DARKNESS_AUTO_PERCENT, 100)
            spin.setSuffix(" %")
            spin.setSpecialValueText("auto")
            spin.setToolTip(BY_NAME["line_darkness"].description)
            spin.valueChanged.connect(
                lambda value: self.ctl.update_settings("line_darkness", darkness_value(value)))
            self.controls["line_darkness"] = spin
            return spin

        def check(self, name: str, text: str) -> Any:
            box = QCheckBox(text)
            box.setToolTip(BY_NAME[name].description)
            box.toggled.connect(lambda on: self.ctl.update_settings(name, on))
            self.controls[name] = box
            return box

        # -- state ---------------------------------------------------------------------------
        def load_values(self) -> None:
            settings = self.ctl.settings
            for name, widget in self.controls.items():
                value = getattr(settings, name)
                widget.blockSignals(True)  # only user edits write settings back
                if name == "line_darkness":
                    widget.setValue(darkness_percent(value))
                elif isinstance(widget, QSlider):
                    widget.setValue(round(value * SLIDER_STEPS))
                elif isinstance(widget, QSpinBox):
                    widget.setValue(int(value))
                elif isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif isinstance(widget, QComboBox):
                    widget.setCurrentText(str(value))
                widget.blockSignals(False)

        def refresh(self) -> None:
            busy = self.ctl.busy
            problem = self.ctl.problem("gaps")
            refine_ok = problem is None and self.ctl.refine_available()
            # One line, so what it says and what the buttons allow can never disagree.
            installing = self.ctl.setup.busy
            if busy:
                self.show_message(self.ctl.busy_text() or "Running…")
            elif installing:
                self.show_message(self.install_text())
            else:
                self.show_message(problem or self.last_message or READY)
            self.buttons["gaps"].setEnabled(problem is None and not busy)
            self.buttons["flats"].setEnabled(problem is None and not busy)
            for task in ("refine", "refine_gaps"):
                self.buttons[task].setEnabled(refine_ok and not busy)
            self.refine_box.setEnabled(refine_ok)
            self.refine_box.setToolTip(
                "" if refine_ok else "Refining needs the refine model, not installed yet.")
            self.cancel_button.setEnabled(busy)
            plan = deps.installable() if problem and self.ctl.deps_problem() else None
            self.install_group.setVisible(installing or plan is not None)
            if plan is not None:
                self.install_button.setText(f"Install dependencies (about {plan.megabytes} MB)")
            self.install_button.setEnabled(plan is not None and not installing)
            self.install_cancel.setEnabled(installing)
            for name in ("gap_sensitivity", "max_gap", "max_gap_wide", "seal_only", "dense",
                         "line_darkness", "gap_color", "flats_fill_border", "flats_min_region",
                         "animation"):
                self.controls[name].setEnabled(not self.ctl.deps_problem())

        def on_started(self, task: str) -> None:
            self.progress.setValue(0)
            self.refresh()

        def on_progress(self, value: float) -> None:
            self.progress.setValue(round(value * SLIDER_STEPS))
            self.show_message(self.ctl.busy_text())

        def on_install_progress(self, value: float) -> None:
            self.install_progress.setValue(round(value * SLIDER_STEPS))
            self.show_message(self.install_text())

        def on_finished(self, record: Any) -> None:
            bar = self.install_progress if record.task == "install" else self.progress
            bar.setValue(SLIDER_STEPS if record.status == "done" else 0)
            self.last_message = record.message
            self.show_message(record.message)
            if record.status == "done":
                self.show_regions(record.regions_before, record.regions_after)
            self.refresh()

        def on_preview(self, record: Any) -> None:
            if record.status == "busy":
                return  # the run's own message follows
            if record.status == "done" and not record.patches:
                # Nothing changed on the canvas (the closures shown are the ones chosen, as
                # after a run at the same settings): the run's message, which may say what it
                # kept of the user's work, stays in the line; only the counts follow.
                self.show_regions(record.regions_before, record.regions_after)
                return
            self.last_message = record.message
            if not self.ctl.busy:
                self.show_message(record.message)
            if record.status == "done":
                self.show_regions(record.regions_before, record.regions_after)

        def show_regions(self, before: int, after: int) -> None:
            text = f"Regions: {before} before, {after} after closing" if before >= 0 else ""
            self.regions.setText(text)
            self.regions.setVisible(bool(text))

    return LineRefinerDocker
