"""The plugin's Qt side (registration, actions, docker, settings) under one Qt binding, with the
fake `krita` module of fake_krita.py and Qt's offscreen platform.

Not collected on its own (no test_ prefix): test_qt_bindings.py runs it once per binding in a
fresh interpreter, because PyQt5 and PyQt6 must never be loaded into one process. The binding is
named by LINEREFINER_TEST_QT and imported before the plugin, the way Krita has loaded its own
binding before any plugin runs.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

BINDING = os.environ.get("LINEREFINER_TEST_QT", "")
if BINDING not in ("PyQt5", "PyQt6"):
    pytest.skip("run through tests/plugin/test_qt_bindings.py", allow_module_level=True)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
QtWidgets = importlib.import_module(f"{BINDING}.QtWidgets")
APP = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])

from krita_linerefiner.plugin import qt  # noqa: E402  (after the binding, as in Krita)
from krita_linerefiner.plugin import settings as settings_mod  # noqa: E402
from tests.plugin import fake_krita  # noqa: E402

SCOPED = BINDING == "PyQt6"
STORED_MAX_GAP = "7"  # a value saved by an earlier Krita session


@pytest.fixture(scope="module")
def krita() -> Iterator[Any]:
    module = fake_krita.install(scoped=SCOPED)
    module.app.settings[(settings_mod.GROUP, "max_gap")] = STORED_MAX_GAP
    # tests/conftest.py imported the package before `krita` existed; import it afresh, as
    # Krita's plugin loader does, so that its __init__ registers.
    sys.modules.pop("krita_linerefiner", None)
    importlib.import_module("krita_linerefiner")
    yield module


@pytest.fixture(scope="module")
def window(krita: Any) -> Any:
    (extension,) = krita.app.extensions
    extension.setup()
    extension.createActions(krita.app.window)
    return krita.app.window


@pytest.fixture
def docker(krita: Any, window: Any) -> Iterator[Any]:
    (factory,) = krita.app.dock_factories
    dock = factory.create()
    yield dock
    krita.app.document = None
    window.view = None
    dock.timer.stop()
    dock.deleteLater()


def controller() -> Any:
    from krita_linerefiner.plugin.extension import controller

    return controller()


def test_the_plugin_runs_on_the_binding_krita_loaded() -> None:
    other = "PyQt5" if SCOPED else "PyQt6"
    assert qt.BINDING == BINDING and qt.QT6 == SCOPED
    assert not any(name == other or name.startswith(other + ".") for name in sys.modules)


def test_the_fake_has_the_bindings_enum_scoping(krita: Any) -> None:
    # Under sip 6 the unscoped spelling the plugin used before is missing, as in Krita 6.
    base = krita.DockWidgetFactoryBase
    assert hasattr(base, "DockRight") is not SCOPED
    with pytest.raises(TypeError) if SCOPED else contextlib.nullcontext():
        krita.DockWidgetFactory("x", 3, object)


def test_the_docker_registers_on_the_right(krita: Any) -> None:
    (factory,) = krita.app.dock_factories
    assert factory.id() == "linerefiner_docker"
    assert factory.position is krita.DockWidgetFactoryBase.DockPosition.DockRight


def test_actions_are_created_for_the_filter_menu(krita: Any, window: Any) -> None:
    from krita_linerefiner.plugin.extension import ACTIONS

    assert list(krita.app.actions) == [action_id for action_id, _, _ in ACTIONS]
    assert set(krita.app.action_menus.values()) == {"filter"}
    assert [krita.app.actions[i].text() for i, _, _ in ACTIONS] == [t for _, t, _ in ACTIONS]
    # The line weight template is opened while the first window is made (see layers.CurveMasks).
    assert [data for _, data in krita.app.opened] == [b"PK"]


def test_an_action_without_a_document_is_refused_with_the_reason(krita: Any, window: Any) -> None:
    seen: list[Any] = []
    controller().finished.connect(seen.append)
    krita.app.actions["linerefiner_close_gaps"].trigger()
    assert [(r.task, r.status) for r in seen] == [("gaps", "refused")]
    assert seen[0].message == "Open a document to use Line Refiner."


def test_a_refusal_shows_a_floating_message_on_the_view(krita: Any, window: Any) -> None:
    doc = fake_krita.Document(fake_krita.Node("group", kind="grouplayer"))
    krita.app.document = doc
    window.view = fake_krita.View(doc)
    try:
        krita.app.actions["linerefiner_close_gaps"].trigger()
        assert window.view.messages == [
            "The active layer is a group layer; select a paint layer."]
    finally:
        krita.app.document = window.view = None


def test_the_docker_says_why_it_cannot_run_and_enables_for_a_paint_layer(docker: Any,
                                                                         krita: Any) -> None:
    assert docker.status.full == "Open a document to use Line Refiner."
    assert not docker.buttons["gaps"].isEnabled() and not docker.cancel_button.isEnabled()
    krita.app.document = fake_krita.Document(fake_krita.Node("ink"))
    docker.canvasChanged(None)
    assert docker.status.full != "Open a document to use Line Refiner."
    assert docker.buttons["gaps"].isEnabled() and not docker.cancel_button.isEnabled()
    refine = controller().refine_available()
    assert docker.buttons["refine"].isEnabled() == refine == docker.refine_box.isEnabled()


def test_the_docker_shows_stored_settings_and_saves_edits(docker: Any, krita: Any) -> None:
    stored = krita.app.settings
    controls = docker.controls
    assert controls["max_gap"].value() == int(STORED_MAX_GAP)
    controls["gap_sensitivity"].setValue(30)
    controls["max_gap"].setValue(9)
    controls["seal_only"].setChecked(not controls["seal_only"].isChecked())
    controls["curve_preset"].setCurrentText("bold")
    group = settings_mod.GROUP
    assert stored[(group, "gap_sensitivity")] == "0.3" and stored[(group, "max_gap")] == "9"
    assert stored[(group, "seal_only")] == str(controls["seal_only"].isChecked()).lower()
    assert stored[(group, "curve_preset")] == "bold"
    assert controller().settings.max_gap == 9
    # Max gap grows with wide lines unless unticked.
    assert controls["max_gap_wide"].isChecked() and controller().settings.max_gap_wide
    controls["max_gap_wide"].setChecked(False)
    assert stored[(group, "max_gap_wide")] == "false" and not controller().settings.max_gap_wide
    # An edit from elsewhere (a second docker, a script) shows up in this one.
    controller().update_settings("max_gap", 12)
    assert controls["max_gap"].value() == 12


def test_the_line_darkness_box_is_auto_or_a_percentage(docker: Any, krita: Any) -> None:
    spin = docker.controls["line_darkness"]
    stored = krita.app.settings
    key = (settings_mod.GROUP, "line_darkness")
    assert spin.value() == spin.minimum() and spin.text() == "auto"
    spin.setValue(20)
    assert stored[key] == "0.2" and controller().settings.line_darkness == 0.2
    assert spin.text() == "20 %"
    spin.setValue(spin.minimum())
    assert stored[key] == "auto" and controller().settings.line_darkness == settings_mod.AUTO
    # The box covers exactly the setting's range, 2% to 100%.
    setting = settings_mod.BY_NAME["line_darkness"]
    assert setting.low is not None and setting.high is not None
    assert (spin.minimum() + 1, spin.maximum()) == (100 * setting.low, 100 * setting.high)


def test_the_max_gap_box_takes_exactly_the_settings_range(docker: Any) -> None:
    setting = settings_mod.BY_NAME["max_gap"]
    spin = docker.controls["max_gap"]
    assert (spin.minimum(), spin.maximum()) == (setting.low, setting.high)


def wait_until(done: Any, timeout_s: float = 30.0) -> None:
    import time

    end = time.monotonic() + timeout_s
    while not done() and time.monotonic() < end:
        APP.processEvents()
        time.sleep(0.01)
    assert done()


@pytest.mark.parametrize("outcome", ["failed", "done", "restart"])
def test_the_install_button_fetches_the_dependencies_and_the_docker_becomes_usable(
        outcome: str, docker: Any, krita: Any, tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from krita_linerefiner import installer
    from krita_linerefiner.plugin import deps
    from tests.test_installer import Index, fake_wheel, make_plan

    module = f"lr_fake_dep_{outcome}"
    index = Index()
    try:
        file = index.add(module, fake_wheel(module, extra={"pad.bin": bytes(600_000)}))
        if outcome == "failed":
            file = file._replace(sha256="f" * 64)
        plan = make_plan(file)
        (tmp_path / "vendor").mkdir()
        monkeypatch.setenv(installer.URL_ENV, index.url)
        monkeypatch.setattr(deps, "PACKAGE_DIR", tmp_path)
        required = ((module, module),)
        if outcome == "restart":
            # Another package this session already loaded (from elsewhere) can't be replaced.
            monkeypatch.setitem(sys.modules, "lr_fake_loaded", type(sys)("lr_fake_loaded"))
            required += (("lr_fake_loaded", "lr_fake_loaded"),)
        monkeypatch.setattr(deps, "REQUIRED", required)
        monkeypatch.setattr(deps, "RESTART_FOR", [])
        monkeypatch.setattr(installer, "running_plan", lambda: (plan, ""))
        deps.missing.cache_clear()
        deps.installable.cache_clear()
        krita.app.document = fake_krita.Document(fake_krita.Node("ink"))
        docker.refresh()
        assert docker.install_group.isVisibleTo(docker)
        assert docker.install_button.text() == "Install dependencies (about 1 MB)"
        assert module in docker.status.full and "Install dependencies" in docker.status.full
        assert not docker.buttons["gaps"].isEnabled()
        seen: list[Any] = []
        controller().finished.connect(seen.append)
        docker.install_button.click()
        assert controller().setup.busy and not docker.install_button.isEnabled()
        wait_until(lambda: bool(seen))
        controller().finished.disconnect(seen.append)
        docker.refresh()
        (record,) = seen
        assert record.task == "install" and record.status == outcome, record
        if outcome == "failed":
            assert "not the file in LineRefiner's lock" in record.message
            assert "Nothing was changed" in record.message
            assert sorted(p.name for p in tmp_path.iterdir()) == ["vendor"]
            assert docker.install_group.isVisibleTo(docker)
            assert docker.install_button.isEnabled()
        elif outcome == "restart":
            assert record.message.startswith(f"Installed {module} 1.0 (1 MB)")
            assert "Restart Krita to use them" in record.message
            assert "already loaded lr_fake_loaded" in record.message
            # This session stays as it was; the docker says to restart, no second Install.
            assert docker.status.full.startswith("LineRefiner's packages are installed; restart")
            assert not docker.install_group.isVisibleTo(docker)
        else:
            assert record.message.startswith(f"Installed {module} 1.0 (1 MB)")
            assert "LineRefiner is ready" in record.message
            assert deps.missing() == () and module in sys.modules
            assert not docker.install_group.isVisibleTo(docker)
            assert docker.buttons["gaps"].isEnabled()
            assert docker.status.full == record.message
    finally:
        index.close()
        sys.modules.pop(module, None)
        deps.missing.cache_clear()
        deps.installable.cache_clear()


def test_a_preview_that_changes_nothing_leaves_the_runs_message(docker: Any) -> None:
    from krita_linerefiner.plugin.live import PreviewRecord

    kept = ('Done in 0.2 s, 3 gaps closed; you had painted on filled gaps: kept as '
            '"filled gaps (edited)"')
    docker.last_message = kept
    docker.on_preview(PreviewRecord("done", "Preview: 3 gaps closed.", 3, 0, 3, patches=0))
    assert docker.last_message == kept
    assert docker.regions.text() == "Regions: 0 before, 3 after closing"
    # A preview that redrew closures says so.
    docker.on_preview(PreviewRecord("done", "Preview: 1 gap closed.", 1, 0, 1, patches=4))
    assert docker.last_message == "Preview: 1 gap closed."
    assert docker.regions.text() == "Regions: 0 before, 1 after closing"
