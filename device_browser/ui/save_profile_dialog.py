"""Save as profile: the tags an engineer picked become a device profile in the project's ``devices/``.

The tags come from the address-space tree (OPC UA browse items or tag references) or from the
register workbench (Modbus tag references); the dialog reads what a point needs off the UI thread
(for OPC UA the node facts: type, access, EURange, unit), lists the points it will write — names
editable, with address, type, unit and access — and saves either a **new profile** (id and title,
checked against the schema and the project's other devices; the device's own connection) or the
points **added to the device's existing profile** (points already there are skipped, clashing names
get a suffix), through :meth:`DeviceWorkspace.save_profile
<device_browser.workspace.DeviceWorkspace.save_profile>`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import replace

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from device_browser.connect import register_map
from device_browser.modbus.addresses import both_forms, parse_address
from device_browser.modbus.registers import Area
from device_browser.profile_builder import (
    POINT_NAME,
    browse_point,
    check_profile_id,
    merge_points,
    point_name,
    register_points,
    unique_name,
)
from device_browser.profiles import DeviceProfile, Point, parse_profile
from device_browser.session import BrowseItem, DeviceError
from device_browser.tags import TagRef
from device_browser.ui.tasks import TaskSet
from device_browser.workspace import DeviceWorkspace


class Column(enum.IntEnum):
    NAME = 0
    ADDRESS = 1
    TYPE = 2
    UNIT = 3
    ACCESS = 4


Picked = TagRef | BrowseItem


async def points_for(workspace: DeviceWorkspace, device_id: str, picked: Sequence[Picked]) -> tuple[list[Point],
                                                                                                      list[str]]:
    """Profile points for the picked tags of a device, and why some could not be points."""
    profile = workspace.entry(device_id).profile
    if profile is None:
        raise DeviceError(workspace.entry(device_id).problem)
    known = [profile.point(p.point) for p in picked if isinstance(p, TagRef) and p.point]
    raw = [p for p in picked if not (isinstance(p, TagRef) and p.point)]
    if profile.protocol == "modbus":
        tags = register_map(profile)
        return known + register_points(tags[name] if name in tags else parse_address(name)
                                       for name in (_tag_of(p) for p in raw)), []
    items = [p if isinstance(p, BrowseItem) else BrowseItem(p.address, _name_of(p.address)) for p in raw]
    facts = []
    if items:
        handle = workspace.handle(device_id)
        if handle is None:
            raise DeviceError(f"{device_id} is not connected: connect it to read the variables' types")
        facts = await handle.host.call(handle.session.node_facts, [item.tag for item in items], properties=True)
    points, problems, taken = list(known), [], {p.name for p in known}
    for item, fact in zip(items, facts, strict=True):
        try:
            point = browse_point(item, fact)
        except DeviceError as exc:
            problems.append(str(exc))
            continue
        points.append(replace(point, name=unique_name(point.name, taken)))
    return points, problems


def _tag_of(picked: Picked) -> str:
    return picked.tag if isinstance(picked, BrowseItem) else picked.address


def _name_of(address: str) -> str:
    """A name for a NodeId known only by its address: its identifier's last part ("PumpStation.Flow" → Flow)."""
    return point_name(address.rpartition("=")[2].rpartition(".")[2], address)


class SaveProfileDialog(QDialog):
    """Save picked tags of ``device_id`` as a new profile or into the device's own (module docstring).

    Emits ``saved(DeviceEntry)`` after the profile was written.
    """

    saved = Signal(object)

    def __init__(self, workspace: DeviceWorkspace, device_id: str, tags: Sequence[Picked],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace, self.device_id = workspace, device_id
        self.points: list[Point] = []
        self.problems: list[str] = []
        self.load_error = ""  # the tags could not be read: nothing can be saved
        self.save_error = ""  # the last save failed (until the next edit)
        self.busy = True
        self._build()
        self.retranslate()
        self._tasks = TaskSet()
        self._tasks.spawn(self._load(list(tags)))

    def _build(self) -> None:
        self.new_button, self.add_button = QRadioButton(), QRadioButton()
        self.new_button.setChecked(True)
        self.id_edit, self.title_edit = QLineEdit(), QLineEdit()
        self.id_edit.setText(self.workspace.duplicate_id(self.device_id).replace("_copy", "_points"))
        self.id_label, self.title_label = QLabel(), QLabel()
        self.id_label.setBuddy(self.id_edit)
        self.title_label.setBuddy(self.title_edit)
        form = QFormLayout()
        form.addRow(self.id_label, self.id_edit)
        form.addRow(self.title_label, self.title_edit)
        self.table = QTableWidget(0, len(Column))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(lambda: self._tasks.spawn(self.save()))
        self.buttons.rejected.connect(self.reject)
        for signal in (self.new_button.toggled, self.id_edit.textChanged, self.table.itemChanged):
            signal.connect(self._edited)
        layout = QVBoxLayout(self)
        layout.addWidget(self.new_button)
        layout.addLayout(form)
        layout.addWidget(self.add_button)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)


    async def _load(self, picked: list[Picked]) -> None:
        try:
            self.points, self.problems = await points_for(self.workspace, self.device_id, picked)
        except DeviceError as exc:
            self.load_error = str(exc)
        self.busy = False
        self._fill()

    def _fill(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.points))
        for row, point in enumerate(self.points):
            address = point.address.get("node_id") or _register_address(point)
            cells = {Column.NAME: point.name, Column.ADDRESS: address, Column.TYPE: point.data_type,
                     Column.UNIT: point.unit, Column.ACCESS: point.access}
            for column, text in cells.items():
                item = QTableWidgetItem(text)
                if column is not Column.NAME:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        if self.points:
            self.table.setCurrentCell(0, Column.NAME)
        self._update()

    # -- what will be saved ------------------------------------------------------------------------

    def edited_points(self) -> list[Point]:
        """The points with the names as edited in the table."""
        return [replace(point, name=self.table.item(row, Column.NAME).text().strip())
                for row, point in enumerate(self.points)]

    def problem(self) -> str:
        """Why the profile cannot be saved as it stands ("" if it can)."""
        if self.busy:
            return self.tr("Reading the variables…")
        if self.load_error:
            return self.load_error
        if not self.points:
            return self.tr("None of the chosen tags can be a profile point.")
        names = [p.name for p in self.edited_points()]
        bad = [name for name in names if not POINT_NAME.match(name)]
        if bad:
            return self.tr("'%1' is not a point name: use letters, digits and _, not starting with a digit.") \
                .replace("%1", bad[0])
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            return self.tr("The name '%1' is used twice.").replace("%1", twice[0])
        if self.new_button.isChecked():
            return check_profile_id(self.id_edit.text().strip(), (e.id for e in self.workspace.entries))
        return ""

    def profile(self) -> tuple[DeviceProfile, str | None]:
        """The profile to save and the device it replaces (None for a new one); checked by the schema."""
        device = self.workspace.entry(self.device_id).profile
        if self.new_button.isChecked():
            profile = DeviceProfile(id=self.id_edit.text().strip(), nameplate=dict(device.nameplate),
                                    connection=dict(device.connection), points=self.edited_points(),
                                    title=self.title_edit.text().strip())
            replacing = None
        else:
            profile, replacing = merge_points(device, self.edited_points()), self.device_id
        parse_profile(profile.dumps(), f"{profile.id}.yaml")  # a schema problem is said before anything is written
        return profile, replacing

    async def save(self) -> None:
        if self.problem():
            return
        self.busy = True
        self._update()
        try:
            profile, replacing = self.profile()
            entry = await self.workspace.save_profile(profile, replacing=replacing)
        except DeviceError as exc:
            self.save_error = str(exc)
        else:
            self.saved.emit(entry)
            self.accept()
        finally:
            self.busy = False
            self._update()

    # -- showing -----------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Save as profile"))
        self.new_button.setText(self.tr("&New profile"))
        self.add_button.setText(self.tr("&Add to the existing profile of %1").replace("%1", self.device_id))
        self.id_label.setText(self.tr("&Id"))
        self.title_label.setText(self.tr("&Title"))
        self.table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("Address"), self.tr("Type"),
                                              self.tr("Unit"), self.tr("Access")])
        self._update()

    def _edited(self, *_: object) -> None:
        self.save_error = ""
        self._update()

    def _update(self, *_: object) -> None:
        new = self.new_button.isChecked()
        self.id_edit.setEnabled(new)
        self.title_edit.setEnabled(new)
        problem = self.problem()
        lines = [problem or self.save_error
                 or self.tr("%1 points will be saved.").replace("%1", str(len(self.points)))]
        if self.problems:
            lines.append(self.tr("Left out: %1").replace("%1", "; ".join(self.problems)))
        self.status_label.setText("\n".join(lines))
        self.save_button.setEnabled(not problem)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _register_address(point: Point) -> str:
    """A Modbus point's address in both forms, ``40014 (hr:13)``, with the bit of a register's bit."""
    text = both_forms(Area(point.address["area"]), point.address["address"])
    return f"{text} bit {point.address['bit']}" if point.data_type == "bit" else text
