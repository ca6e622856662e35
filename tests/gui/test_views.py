"""The window as a composition of registered views: failures, layout by view id, jobs, long texts."""

from __future__ import annotations

import logging
import threading

import pytest
from qtpy.QtWidgets import QApplication, QLabel, QProgressDialog, QPushButton, QTabBar, QWidget

from tests.gui.conftest import run, until
from workbench.log_capture import LogCapture
from workbench.project import Project
from workbench.session import Job
from workbench.settings import Settings
from workbench.ui import i18n
from workbench.ui.main_window import MainWindow
from workbench.ui.project_inspector import DESCRIPTION_EDIT_LIMIT
from workbench.ui.views import Area, Title, ViewError, ViewRegistry, ViewSpec, default_registry

LONG = "x" * 400_000  # one unbroken line: froze the window for 135 s before issue 16


@pytest.fixture
def capture():
    """A LogCapture on the root logger, as the application installs it (feeds the Log panel)."""
    handler = LogCapture()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture
def make_window_with(make_window, capture):
    """Main windows over a given view registry, feeding ``capture`` (closed after the test, which
    fails on stray windows: conftest's make_window)."""

    def make(views: ViewRegistry, settings: Settings | None = None) -> MainWindow:
        return make_window(settings, views=views, capture=capture)

    return make


def _label_view(text: str):
    return lambda context: QLabel(text)


def _broken_view(context) -> QWidget:
    raise RuntimeError("the trend buffer is not there")


def test_a_view_that_raises_is_left_out_with_its_error_in_the_log_panel(make_window_with, loop, tmp_path):
    views = default_registry().copy()
    views.add(ViewSpec("broken", Title("Broken", "坏的"), Area.BOTTOM, _broken_view, order=55))
    window = make_window_with(views)
    assert "broken" not in window.docks and "broken" in window.dock_host.failed
    assert set(window.docks) == {"project", "devices", "browser", "palette", "inspector", "watch", "trends", "log",
                                 "outputs", "problems", "apps", "scripts", "console", "data"}
    log_panel = window.views["log"]
    log_panel.refresh()
    errors = [e.text.splitlines()[0] for e in log_panel.shown_entries() if e.level_name == "ERROR"]
    assert errors == ["The Broken view could not be built and is left out: the trend buffer is not there"]
    # The rest of the window works: a project opens and the other views follow it.
    Project.create(tmp_path / "p", "Pump")
    assert run(loop, window.open_project(tmp_path / "p"))
    assert window.views["inspector"].project.name.text() == "Pump"
    assert "Broken" not in [a.text() for a in window.actions.menus["view"].actions()]


def test_a_view_that_returns_no_widget_is_left_out(make_window_with):
    views = ViewRegistry()
    views.add(ViewSpec("log", Title("Log", "日志"), Area.BOTTOM, default_registry().get("log").factory))
    views.add(ViewSpec("odd", Title("Odd", "怪"), Area.LEFT, lambda context: "not a widget"))
    window = make_window_with(views)
    assert list(window.docks) == ["log"] and isinstance(window.dock_host.failed["odd"], TypeError)


def test_docks_are_named_by_view_id_and_a_saved_layout_survives_a_new_view(make_window_with, qtbot):
    views = default_registry().copy()
    first = make_window_with(views)
    assert {d.objectName() for d in first.docks.values()} == set(first.docks)
    first.docks["devices"].hide()
    first.close()
    settings = Settings.load(first.settings_path)

    views.add(ViewSpec("notes", Title("Notes", "笔记"), Area.BOTTOM, _label_view("notes"), order=70))
    again = make_window_with(views, settings)
    assert again._layout_restored  # the saved state was accepted although it has no "notes"
    assert again.docks["devices"].isHidden()
    assert again.docks["notes"].isVisible()
    assert again.dockWidgetArea(again.docks["notes"]) == Area.BOTTOM.value
    assert not again.docks["log"].isHidden() and not again.docks["project"].isHidden()


def test_reset_layout_puts_every_view_back_in_its_declared_area(make_window_with):
    window = make_window_with(default_registry().copy())
    window.docks["devices"].hide()
    window.addDockWidget(Area.RIGHT.value, window.docks["project"])
    window.docks["log"].setFloating(True)
    window.actions.reset_layout.trigger()
    for view_id, dock in window.docks.items():
        spec = window.dock_host.specs[view_id]
        assert not dock.isHidden() and not dock.isFloating(), view_id
        assert window.dockWidgetArea(dock) == spec.area.value, view_id
    assert window.tabifiedDockWidgets(window.docks["log"]) == [window.docks["trends"], window.docks["data"],
                                                               window.docks["outputs"],
                                                               window.docks["problems"], window.docks["console"],
                                                               window.docks["scripts"]]
    assert window.tabifiedDockWidgets(window.docks["palette"]) == [window.docks["browser"], window.docks["inspector"],
                                                                   window.docks["apps"]]


def test_a_real_view_replaces_a_placeholder_and_two_real_views_cannot_share_an_id():
    views = ViewRegistry()
    placeholder = ViewSpec("trends", Title("Trends", "趋势"), Area.BOTTOM, _label_view("soon"), placeholder=True)
    real = ViewSpec("trends", Title("Trends", "趋势"), Area.BOTTOM, _label_view("real"))
    views.add(placeholder)
    views.add(real)
    assert views.get("trends") is real
    views.add(placeholder)  # a placeholder never replaces the real view
    assert views.get("trends") is real
    with pytest.raises(ViewError, match="Two views are registered as 'trends'"):
        views.add(ViewSpec("trends", Title("Trends", "趋势"), Area.BOTTOM, _label_view("other")))


def test_view_titles_follow_the_language(make_window_with, qapp):
    window = make_window_with(default_registry().copy())
    i18n.install_language(qapp, "zh_CN")
    qapp.processEvents()
    assert window.docks["palette"].windowTitle() == "组件库"
    categories = window.views["palette"].tree
    chinese = categories.topLevelItem(0).text(0)
    i18n.install_language(qapp, "en")
    qapp.processEvents()
    assert window.docks["palette"].windowTitle() == "Palette"
    assert categories.topLevelItem(0).text(0) != chinese  # the component texts follow the language too


def test_a_job_shows_progress_and_cancel_reaches_the_worker(make_window_with, loop, qtbot):
    window = make_window_with(default_registry().copy())
    window.job_progress.delay_ms = 0
    worker_threads: list[str] = []

    def work(job: Job) -> str:
        worker_threads.append(threading.current_thread().name)
        job.report(250, 1000)
        return "cancelled" if job.wait_cancelled(timeout=30) else "timed out"

    task = window.spawn(window.session.jobs.run("Copying the project to b…", work))
    run(loop, until(lambda: any(d.value() == 250 for d in window.job_progress.dialogs.values())))
    [dialog] = window.job_progress.dialogs.values()
    assert isinstance(dialog, QProgressDialog) and dialog.labelText() == "Copying the project to b…"
    dialog.findChild(QPushButton).click()  # the user presses Cancel, on the UI thread
    assert run(loop, task) == "cancelled"
    assert worker_threads and worker_threads[0] != threading.main_thread().name
    assert window.job_progress.dialogs == {}
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]


@pytest.mark.timeout(20)
def test_a_400_kb_single_line_description_does_not_block_the_window(make_window_with, loop, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    window = make_window_with(default_registry().copy())
    assert run(loop, window.open_project(tmp_path / "p"))
    inspector = window.views["inspector"].project
    window.project.set_description(LONG)  # as if project.json held it
    QApplication.processEvents()
    assert inspector.description_too_long() and inspector.description.isReadOnly()
    assert len(inspector.description.toPlainText()) < 10_000
    assert "400,000 characters" in inspector.hint.text()
    window.resize(window.width() - 40, window.height())  # a relayout must be cheap too
    QApplication.processEvents()
    window.undo_stack.clear()
    window.project.set_description("short")
    QApplication.processEvents()
    assert not inspector.description.isReadOnly() and inspector.description.toPlainText() == "short"


@pytest.mark.timeout(20)
def test_pasting_a_huge_line_into_the_description_is_undoable_and_does_not_block(make_window_with, loop,
                                                                              tmp_path):
    Project.create(tmp_path / "p", "Pump")
    window = make_window_with(default_registry().copy())
    assert run(loop, window.open_project(tmp_path / "p"))
    inspector = window.views["inspector"].project
    inspector.description.setFocus()
    inspector.description.insertPlainText(LONG)  # what a paste does
    QApplication.processEvents()
    assert window.project.description == LONG and inspector.description.isReadOnly()
    window.undo_stack.undo()
    QApplication.processEvents()
    assert window.project.description == "" and not inspector.description.isReadOnly()


@pytest.mark.timeout(20)
def test_a_huge_name_is_elided_in_the_title_and_the_project_heading(make_window_with, loop, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    window = make_window_with(default_registry().copy())
    assert run(loop, window.open_project(tmp_path / "p"))
    window.project.set_name(LONG)
    QApplication.processEvents()
    assert len(window.windowTitle()) < 200
    assert len(window.views["project"].heading.text()) < 1_000
    assert window.views["inspector"].project.name.isReadOnly()  # a QLineEdit would cut it at 32,767


def test_long_descriptions_under_the_limit_stay_editable(make_window_with, loop, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    window = make_window_with(default_registry().copy())
    assert run(loop, window.open_project(tmp_path / "p"))
    text = "word " * (DESCRIPTION_EDIT_LIMIT // 5)
    window.project.set_description(text)
    inspector = window.views["inspector"].project
    assert not inspector.description.isReadOnly() and inspector.description.toPlainText() == text
    assert inspector.hint.text() == ""


@pytest.mark.timeout(20)
def test_a_huge_log_line_is_shortened_in_the_table_and_its_tooltip(make_window_with, capture):
    window = make_window_with(default_registry().copy())
    logging.getLogger("device_browser.test").warning("%s", LONG)
    panel = window.views["log"]
    panel.refresh()
    QApplication.processEvents()
    row = panel.model.rowCount() - 1
    from qtpy.QtCore import Qt

    cell = panel.model.data(panel.model.index(row, 3), Qt.ItemDataRole.DisplayRole)
    tip = panel.model.data(panel.model.index(row, 3), Qt.ItemDataRole.ToolTipRole)
    assert len(cell) <= 1_000 and len(tip) <= 4_000 and cell.endswith("…")


def test_undo_commands_hold_the_setter_they_call(make_window_with, loop, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    window = make_window_with(default_registry().copy())
    assert run(loop, window.open_project(tmp_path / "p"))
    inspector = window.views["inspector"].project
    for text in ("L", "Li", "Line 3"):  # typing: one undo step
        inspector.description.setPlainText(text)
    for name in ("Pump A", "Pump B"):  # renames: one step each
        inspector.name.setText(name)
        inspector.name.editingFinished.emit()
    stack = window.undo_stack
    assert stack.count() == 3
    assert [stack.command(i).field.write for i in range(3)] == [Project.set_description, Project.set_name,
                                                                Project.set_name]
    stack.undo()
    stack.undo()
    assert window.project.name == "Pump" and window.project.description == "Line 3"
    stack.undo()
    assert window.project.description == ""


def test_reset_layout_leaves_one_tab_bar_per_tab_group(make_window_with, qapp):
    window = make_window_with(default_registry().copy())
    window.resize(1280, 800)
    for _ in range(2):
        window.reset_layout()
        qapp.processEvents()
    shown = [tuple(bar.tabText(i) for i in range(bar.count())) for bar in window.findChildren(QTabBar)
             if bar.isVisible() and bar.count()]
    assert sorted(shown) == sorted(set(shown)) and ("Log", "Trends") in shown, shown
