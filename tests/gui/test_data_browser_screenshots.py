"""The Data view on the example project: its recording store with the pump run, a tag plotted, annotations.

Writes ``screenshots/data-browser.LANG.png`` (and with ``MILLWRIGHT_DOCS_IMAGES=1`` the copy in
``docs/images/`` the README shows), in English and Chinese.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from qtpy.QtCore import Qt

from device_browser.store import TagInfo, open_store, project_store_path
from nodes.resources import example_project
from tests.gui.conftest import run, until
from tests.gui.test_device_screenshots import save
from workbench.ui import i18n

WIDTH, HEIGHT = 1440, 960
DEADLINE = 60.0
UNITS = {"acc": "m/s^2", "speed": "rpm", "flow": "m^3/h", "discharge_pressure": "bar", "motor_current": "A"}


def fill_store(project) -> None:
    """The example's pump run recorded into the project's store, with two annotations, and an older short run."""
    frame = pd.read_csv(project / "data" / "pump_run.csv")
    t = pd.to_datetime(frame["time"], utc=True).to_numpy("datetime64[ns]").view(np.int64)
    with open_store(project_store_path(project, create=True)) as store:
        older = store.create_recording("commissioning check", operator="zhang.min", devices=["pump_station"],
                                       started=int(t[0]) - 86_400 * 10**9)
        store.append(older, {"speed": (t[:2000] - 86_400 * 10**9, frame["speed"].to_numpy()[:2000])})
        store.finish_recording(older, int(t[1999]) - 86_400 * 10**9)
        rec = store.create_recording("pump run", operator="li.wei", devices=["pump_station"], started=int(t[0]),
                                     notes="rotor rub developing over 20 s")
        store.define_tags(rec, [TagInfo(name, unit, "pump_station", name) for name, unit in UNITS.items()])
        store.append(rec, {name: (t, frame[name].to_numpy()) for name in UNITS})
        store.finish_recording(rec, int(t[-1]) + 500_000)
        store.annotate(rec, int(t[0]) + 8 * 10**9, int(t[-1]), "vibration alarm", note="ISO 10816 zone C",
                       author="li.wei")
        store.annotate(rec, int(t[0]) + 2 * 10**9, int(t[0]) + 5 * 10**9, "rub starts", author="li.wei")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_data_browser_screenshot(make_window, loop, qapp, tmp_path, language):
    project = tmp_path / "pump_station"
    shutil.copytree(example_project(), project)
    fill_store(project)
    window = make_window()
    i18n.install_language(qapp, language)
    window.set_theme("light")
    assert run(loop, window.open_project(project, remember=False))
    window.resize(WIDTH, HEIGHT)
    window.reset_layout()
    view = window.views["data"]
    window.docks["watch"].hide()  # the bottom row for the Data view alone
    window.docks["data"].raise_()
    window.resizeDocks([window.docks["data"]], [620], Qt.Orientation.Vertical)
    run(loop, until(lambda: len(view.rows) == 2 and not view.busy, DEADLINE), DEADLINE + 5)
    view.choose_recording("pump run")
    run(loop, until(lambda: len(view.tags) == 5 and len(view.annotations) == 2 and not view.busy, DEADLINE),
        DEADLINE + 5)
    view.set_tag_checked("acc")
    run(loop, until(lambda: view.plot.points_drawn and not view.busy, DEADLINE), DEADLINE + 5)
    view.choose_annotation(view.annotations[1].id)  # "vibration alarm", in time order after "rub starts"
    first = view.tags[0].first_ns
    view.plot.set_selection_ns(first + 11 * 10**9, first + 13 * 10**9)
    qapp.processEvents()
    run(loop, until(lambda: not view.busy, DEADLINE), DEADLINE + 5)
    assert view.plot.points_drawn <= 2 * view.queried_width
    save(window.grab().toImage(), f"data-browser.{language}.png")
