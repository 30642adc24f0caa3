"""A stand-in for Krita's `krita` module, enough to register the plugin, build its docker and
trigger its actions without Krita, under PyQt5 or PyQt6.

Its enums behave like the bindings they imitate: Krita 6 builds its bindings with sip 6 for
PyQt6, where a C++ enum becomes a Python enum.Enum whose members are reachable only through the
enum class (`DockWidgetFactoryBase.DockPosition.DockRight`) and an argument of that enum must be
a member, not an int. Krita 5's PyQt5 bindings also put the members on the enclosing class and
accept ints. `make_krita(scoped=...)` picks one behaviour.
"""

from __future__ import annotations

import enum
import sys
from types import ModuleType
from typing import Any

from krita_linerefiner.plugin import qt


class Notifier(qt.QObject):
    """Krita's Notifier signals (libkis/Notifier.h), with their argument types."""

    # noqa: N815 throughout: Krita's names.
    applicationClosing = qt.Signal()  # noqa: N815
    imageCreated = qt.Signal(object)  # noqa: N815
    imageSaved = qt.Signal(str)  # noqa: N815
    imageClosed = qt.Signal(str)  # noqa: N815
    viewCreated = qt.Signal(object)  # noqa: N815
    viewClosed = qt.Signal(object)  # noqa: N815
    windowIsBeingCreated = qt.Signal(object)  # noqa: N815
    windowCreated = qt.Signal()  # noqa: N815
    configurationChanged = qt.Signal()  # noqa: N815


class View:
    def __init__(self, document: Any) -> None:
        self._document = document
        self.messages: list[str] = []

    def document(self) -> Any:
        return self._document

    def showFloatingMessage(self, message: str, icon: Any, timeout: int,  # noqa: N802
                            priority: int) -> None:
        if not isinstance(icon, qt.QIcon) or not isinstance(priority, int):
            raise TypeError("showFloatingMessage(str, QIcon, int, int)")
        self.messages.append(message)


class Window:
    def __init__(self, app: App) -> None:
        self.app = app
        self.main = qt.QtWidgets.QMainWindow()
        self.view: View | None = None

    def qwindow(self) -> Any:
        return self.main

    def activeView(self) -> View | None:  # noqa: N802
        return self.view

    def createAction(self, action_id: str, text: str, menu: str) -> Any:  # noqa: N802
        action = qt.QAction(text, self.main)
        action.setObjectName(action_id)
        self.app.actions[action_id] = action
        self.app.action_menus[action_id] = menu
        return action


class Node:
    def __init__(self, name: str, kind: str = "paintlayer", model: str = "RGBA",
                 depth: str = "U8") -> None:
        self._name, self._kind, self._model, self._depth = name, kind, model, depth

    def name(self) -> str:
        return self._name

    def type(self) -> str:
        return self._kind

    def colorModel(self) -> str:  # noqa: N802
        return self._model

    def colorDepth(self) -> str:  # noqa: N802
        return self._depth

    def parentNode(self) -> Any:  # noqa: N802
        return None


class Document:
    def __init__(self, active: Node | None, model: str = "RGBA", depth: str = "U8") -> None:
        self.active = active
        self.model, self.depth = model, depth

    def activeNode(self) -> Node | None:  # noqa: N802
        return self.active

    def colorModel(self) -> str:  # noqa: N802
        return self.model

    def colorDepth(self) -> str:  # noqa: N802
        return self.depth


class App:
    """What Krita.instance() gives the plugin."""

    def __init__(self) -> None:
        self.settings: dict[tuple[str, str], str] = {}
        self.actions: dict[str, Any] = {}
        self.action_menus: dict[str, str] = {}
        self.extensions: list[Any] = []
        self.dock_factories: list[Any] = []
        self.opened: list[tuple[str, bytes]] = []
        self.document: Document | None = None
        self.window = Window(self)
        self._notifier = Notifier()

    def readSetting(self, group: str, key: str, default: str) -> str:  # noqa: N802
        return self.settings.get((group, key), default)

    def writeSetting(self, group: str, key: str, value: str) -> None:  # noqa: N802
        if not isinstance(value, str):
            raise TypeError(f"writeSetting wants a str value, got {type(value).__name__}")
        self.settings[(group, key)] = value

    def activeDocument(self) -> Document | None:  # noqa: N802
        return self.document

    def documents(self) -> list[Document]:
        return [self.document] if self.document is not None else []

    def activeWindow(self) -> Window:  # noqa: N802
        return self.window

    def views(self) -> list[View]:
        return [self.window.view] if self.window.view is not None else []

    def notifier(self) -> Notifier:
        return self._notifier

    def action(self, name: str) -> Any:
        return self.actions.get(name)

    def openDocument(self, path: str) -> Document:  # noqa: N802
        with open(path, "rb") as handle:  # Krita reads it now; the file may go away after
            self.opened.append((path, handle.read(2)))
        return Document(None)

    def addExtension(self, extension: Any) -> None:  # noqa: N802
        self.extensions.append(extension)

    def addDockWidgetFactory(self, factory: Any) -> None:  # noqa: N802
        self.dock_factories.append(factory)


def make_krita(scoped: bool) -> ModuleType:
    """A fresh `krita` module; `scoped`: enums as sip 6 / PyQt6 (Krita 6) makes them."""
    module = ModuleType("krita")
    app = App()

    class Krita:
        @staticmethod
        def instance() -> App:
            return app

    class DockWidgetFactoryBase:
        pass

    # The values are KDDockWidgets' / Krita's own.
    members = {"DockTornOff": 0, "DockTop": 1, "DockBottom": 2, "DockRight": 3, "DockLeft": 4,
               "DockMinimized": 5}
    position_enum: Any = (enum.Enum if scoped else enum.IntEnum)("DockPosition", members)
    DockWidgetFactoryBase.DockPosition = position_enum  # type: ignore[attr-defined]
    if not scoped:
        for member in position_enum:
            setattr(DockWidgetFactoryBase, member.name, member)

    class DockWidgetFactory(DockWidgetFactoryBase):
        def __init__(self, dock_id: str, position: Any, cls: type) -> None:
            accepted = (position_enum,) if scoped else (position_enum, int)
            if not isinstance(position, accepted):
                raise TypeError(
                    f"DockWidgetFactory(): argument 2 has unexpected type "
                    f"'{type(position).__name__}'")
            self.dock_id, self.position, self.cls = dock_id, position, cls

        def id(self) -> str:
            return self.dock_id

        def create(self) -> Any:
            dock = self.cls()
            dock.setObjectName(self.dock_id)
            return dock

    class Extension(qt.QObject):
        def __init__(self, parent: Any) -> None:
            super().__init__()
            self.parent_app = parent

    class DockWidget(qt.QDockWidget):
        def canvas(self) -> Any:
            return None

    module.Krita = Krita  # type: ignore[attr-defined]
    module.DockWidgetFactoryBase = DockWidgetFactoryBase  # type: ignore[attr-defined]
    module.DockWidgetFactory = DockWidgetFactory  # type: ignore[attr-defined]
    module.Extension = Extension  # type: ignore[attr-defined]
    module.DockWidget = DockWidget  # type: ignore[attr-defined]
    module.app = app  # type: ignore[attr-defined]  # for tests only: not in Krita's module
    return module


def install(scoped: bool) -> ModuleType:
    module = make_krita(scoped)
    sys.modules["krita"] = module
    return module
