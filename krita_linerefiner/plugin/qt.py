"""The one place that picks the Qt binding: PyQt5 in Krita 5, PyQt6 in Krita 6.

Whichever binding Krita itself already loaded wins, so a stray system PyQt of the other major
version can never be pulled into the process (two Qt majors in one process crash).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


def _binding() -> str:
    for name in ("PyQt6", "PyQt5"):
        if name in sys.modules:
            return name
    for name in ("PyQt5", "PyQt6"):
        try:
            importlib.import_module(f"{name}.QtCore")
        except ImportError:
            continue
        return name
    raise ImportError("Neither PyQt5 nor PyQt6 can be imported")


BINDING = _binding()
QT6 = BINDING == "PyQt6"
QtCore: ModuleType = importlib.import_module(f"{BINDING}.QtCore")
QtGui: ModuleType = importlib.import_module(f"{BINDING}.QtGui")
QtWidgets: ModuleType = importlib.import_module(f"{BINDING}.QtWidgets")

Qt: Any = QtCore.Qt
QObject: Any = QtCore.QObject
QTimer: Any = QtCore.QTimer
QRect: Any = QtCore.QRect
Signal: Any = QtCore.pyqtSignal

QWidget: Any = QtWidgets.QWidget
QDockWidget: Any = QtWidgets.QDockWidget
QPushButton: Any = QtWidgets.QPushButton
QVBoxLayout: Any = QtWidgets.QVBoxLayout
QHBoxLayout: Any = QtWidgets.QHBoxLayout
QFormLayout: Any = QtWidgets.QFormLayout
QGroupBox: Any = QtWidgets.QGroupBox
QLabel: Any = QtWidgets.QLabel
QCheckBox: Any = QtWidgets.QCheckBox
QComboBox: Any = QtWidgets.QComboBox
QSlider: Any = QtWidgets.QSlider
QSpinBox: Any = QtWidgets.QSpinBox
QProgressBar: Any = QtWidgets.QProgressBar
QSizePolicy: Any = QtWidgets.QSizePolicy
QIcon: Any = QtGui.QIcon
# Qt 6 moved QAction from QtWidgets to QtGui.
QAction: Any = QtGui.QAction if QT6 else QtWidgets.QAction
