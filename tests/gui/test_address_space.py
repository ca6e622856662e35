"""The OPC UA address-space tree, attributes pane, method form and events list against the
pump-station simulator in its own process (10,000 extra tags, limits enforced, Browse answers cut
into continuation points), through a DeviceHost as in the workbench."""

from __future__ import annotations

import itertools
import time

import pytest
from qtpy.QtCore import QModelIndex, Qt, QTimer
from qtpy.QtGui import QGuiApplication

from device_browser.host import DeviceHost
from device_browser.opcua.client import OpcUaSession
from device_browser.simulators.opcua.simulation import free_port
from device_browser.tags import TagRef
from device_browser.ui.address_space import FIRST_CHUNK, TAG_ROLE, AddressSpaceView
from device_browser.ui.events_view import EventsView
from device_browser.ui.node_details import NodeDetailsView
from device_browser.ui.tag_mime import TAG_MIME, decode_tags
from tests.gui.conftest import run, until
from tests.simulator_process import SimulatorProcess

NS = "nsu=urn:millwright:pumpstation"
EXTRA = 10_000
MAX_GAP_S = 1.0


@pytest.fixture(scope="module")
def device(loop, tmp_path_factory):
    """(handle, simulator) of a connected session; the simulator cuts Browse answers at 1,000 references."""
    tmp = tmp_path_factory.mktemp("address_space")
    simulator = SimulatorProcess("opcua", free_port("127.0.0.1"), tmp,
                                 args=("--extra-tags", str(EXTRA), "--limit", "MaxReferencesPerNode=1000"))
    simulator.start()
    host = DeviceHost()
    try:
        handle = run(loop, host.open(lambda: OpcUaSession(simulator.url, pki_dir=tmp / "pki", timeout=10.0)))
        run(loop, handle.connect(), timeout=30)
        yield handle, simulator
    finally:
        run(loop, host.aclose(), timeout=30)
        simulator.stop()


def child(view: AddressSpaceView, parent: QModelIndex, name: str) -> QModelIndex:
    proxy = view.proxy
    for row in range(proxy.rowCount(parent)):
        index = proxy.index(row, 0, parent)
        if index.data() == name:
            return index
    raise AssertionError(f"no row {name!r} below {parent.data()!r}")


def open_path(loop, view: AddressSpaceView, *names: str, timeout: float = 30) -> QModelIndex:
    """Expand the rows named ``names`` one below the other (waiting for each to load); the last one's index."""
    index = QModelIndex()
    for name in names:
        index = child(view, index, name)
        source = view.proxy.mapToSource(index)
        view.tree.expand(index)
        run(loop, until(lambda s=source: view.model.settled(s), timeout), timeout + 5)
    return index


def make_view(loop, qtbot, handle) -> AddressSpaceView:
    view = AddressSpaceView("pump", handle)
    qtbot.addWidget(view)
    view.resize(500, 700)
    view.show()
    run(loop, until(lambda: view.model.settled(QModelIndex()), 30), 35)
    return view


def test_the_10k_folder_opens_in_chunks_without_freezing_or_too_many_operations(loop, qtbot, device):
    handle, _ = device
    view = make_view(loop, qtbot, handle)
    failures: list[tuple[str, str]] = []
    view.model.load_failed.connect(lambda tag, reason: failures.append((tag, reason)))
    objects = open_path(loop, view, "Objects")
    extra = child(view, objects, "Extra")
    source = view.proxy.mapToSource(extra)
    inserts: list[tuple[float, int]] = []
    view.model.rowsInserted.connect(
        lambda parent, first, last: inserts.append((time.monotonic(), last - first + 1))
        if parent == source and view.model.node(parent).children[first].item is not None else None)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    started = time.monotonic()
    view.tree.expand(extra)
    try:
        run(loop, until(lambda: view.model.settled(source), 60), 65)
    finally:
        timer.stop()
    assert not failures, failures
    assert view.proxy.rowCount(extra) == EXTRA
    names = [view.proxy.index(r, 0, extra).data() for r in (0, EXTRA - 1)]
    assert names == ["Tag00000", "Tag09999"]
    assert inserts[0][1] == FIRST_CHUNK and sum(n for _, n in inserts) == EXTRA  # in chunks, all of them
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 3 and max(gaps) < MAX_GAP_S, f"Qt stalled {max(gaps, default=0):.2f} s"
    print(f"\n10k folder: first rows after {inserts[0][0] - started:.2f} s, "
          f"all after {inserts[-1][0] - started:.2f} s, longest gap of a 10 ms timer {max(gaps) * 1000:.0f} ms")

    # The filter finds a loaded node; the NodeId and the browse path are copied as engineers paste them.
    view.filter.setText("tag09999")
    extra = child(view, child(view, QModelIndex(), "Objects"), "Extra")
    assert view.proxy.rowCount(extra) == 1
    match = view.proxy.index(0, 0, extra)
    view.tree.setCurrentIndex(match)
    view.copy_node_id_action.trigger()
    assert QGuiApplication.clipboard().text() == f"{NS};s=Extra.Tag09999"
    view.copy_path_action.trigger()
    assert QGuiApplication.clipboard().text() == "/Objects/Extra/Tag09999"

    # A variable drags as a tag of this device and can be sent to the watch list.
    mime = view.proxy.mimeData([match])
    assert decode_tags(mime.data(TAG_MIME).data()) == [TagRef("pump", address=f"{NS};s=Extra.Tag09999")]
    watched: list[list[str]] = []
    view.watch_requested.connect(watched.append)
    view.tree.selectionModel().select(match, view.tree.selectionModel().SelectionFlag.ClearAndSelect)
    view.watch_action.trigger()
    assert watched == [[f"{NS};s=Extra.Tag09999"]]
    view.filter.clear()


def test_types_are_browsed_with_an_icon_per_node_class(loop, qtbot, device):
    handle, _ = device
    view = make_view(loop, qtbot, handle)
    object_types = open_path(loop, view, "Types", "ObjectTypes")
    base = child(view, object_types, "BaseObjectType")
    assert base.data(Qt.ItemDataRole.DecorationRole) is not None and not base.data(
        Qt.ItemDataRole.DecorationRole).isNull()
    assert view.model.item(view.proxy.mapToSource(base)).node_class == "ObjectType"


def test_a_selected_variable_shows_its_attributes_and_references(loop, qtbot, device):
    handle, _ = device
    view = make_view(loop, qtbot, handle)
    details = NodeDetailsView()
    qtbot.addWidget(details)
    details.show()
    view.node_selected.connect(lambda tag: details.show_node(handle, tag))
    pump = open_path(loop, view, "Objects", "PumpStation")
    view.tree.setCurrentIndex(child(view, pump, "Flow"))
    run(loop, until(lambda: details.attribute("DataType") != "", 30), 35)
    assert details.attribute("DataType") == "Double"
    assert details.attribute("AccessLevel").startswith("CurrentRead")
    assert details.attribute("NodeId") == f"{NS};s=PumpStation.Flow"
    assert details.attribute("EngineeringUnits") and details.attribute("SourceTimestamp")
    kinds = {details.references.topLevelItem(r).text(0) for r in range(details.references.topLevelItemCount())}
    assert {"HasTypeDefinition", "HasComponent"} <= kinds


def test_a_method_is_called_through_its_form(loop, qtbot, device):
    handle, _ = device
    view = make_view(loop, qtbot, handle)
    pump = open_path(loop, view, "Objects", "PumpStation")
    view.tree.setCurrentIndex(child(view, pump, "SetSpeed"))
    dialog = view.call_method()
    assert dialog is not None
    try:
        run(loop, until(lambda: dialog.call_button.isEnabled(), 30), 35)
        assert [spec.name for spec in dialog.inputs] == ["speed"]
        dialog.fields[0].setText("1234.5")
        qtbot.mouseClick(dialog.call_button, Qt.MouseButton.LeftButton)
        run(loop, until(lambda: dialog.results is not None and not dialog.busy, 30), 35)
        assert dialog.output_table.topLevelItem(0).text(0) == "changed"
        assert dialog.output_table.topLevelItem(0).text(2) in ("true", "false")
        dialog.fields[0].setText("5000")  # outside 0…1800: the server refuses, the form says why
        qtbot.keyClick(dialog.fields[0], Qt.Key.Key_Return)  # Enter calls
        run(loop, until(lambda: "BadOutOfRange" in dialog.message.text(), 30), 35)
        [speed] = run(loop, handle.read([f"{NS};s=PumpStation.SpeedSetpoint"]))
        assert speed.value == 1234.5
    finally:
        dialog.close()


def test_alarms_of_a_source_are_listed_newest_first(loop, qtbot, device):
    handle, _ = device
    events = EventsView()
    qtbot.addWidget(events)
    events.show()
    fault = f"{NS};s=PumpStation.FaultActive"
    events.show_source(handle, f"{NS};s=PumpStation")
    run(loop, until(lambda: events.feed.running, 30), 35)
    try:
        run(loop, handle.write(fault, True))
        run(loop, until(lambda: events.model.rowCount() >= 1, 30), 35)
        run(loop, handle.write(fault, False))
        run(loop, until(lambda: events.model.rowCount() >= 2, 30), 35)
    finally:
        run(loop, handle.write(fault, False))
        events.stop()
        run(loop, until(lambda: not events.feed.running, 30), 35)
    top, below = events.model.records[0], events.model.records[1]
    assert top.time >= below.time and "normal" in top.message.lower() and "vibration" in below.message.lower()
    assert events.model.index(0, 1).data() == "PumpStation"


def test_disconnected_shows_a_sentence_and_no_tree(qtbot):
    view = AddressSpaceView("pump")
    qtbot.addWidget(view)
    view.show()
    assert view.empty.isVisible() and not view.tree.isVisible() and "Not connected" in view.empty.text()
    assert view.proxy.rowCount() == 0 and view.model.index(0, 0).data(TAG_ROLE) is None


def test_selected_variables_are_offered_for_a_profile(loop, qtbot, device):
    handle, _ = device
    view = make_view(loop, qtbot, handle)
    pump = open_path(loop, view, "Objects", "PumpStation")
    selection = view.tree.selectionModel()
    view.tree.setCurrentIndex(child(view, pump, "Flow"))
    for name in ("Speed", "SetSpeed"):  # a Method is not a point: left out
        selection.select(child(view, pump, name), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    assert len(selection.selectedRows()) == 3
    offered = []
    view.save_profile_requested.connect(offered.append)
    view._update_actions()
    view.save_profile_action.trigger()
    assert [[item.name for item in items] for items in offered] == [["Flow", "Speed"]]
