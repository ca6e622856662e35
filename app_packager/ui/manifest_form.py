"""The manifest form: every part of ``app.yaml`` as fields and tables, in the schema's order.

The form edits manifest *data* (what ``app.yaml`` holds), not an :class:`AppManifest`: a
manifest being typed is often not valid yet, and the editor validates the data the form gives
(:meth:`ManifestForm.data`) exactly as the file would be read. Keys the form has no field for
are kept as they were, so a hand-written file loses nothing when saved from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app_packager.manifest import SCHEMA_VERSION, compact
from app_packager.ui.classification_fields import ClassificationFields
from app_packager.ui.record_table import NUMBER, Column, RecordTable, mapping_of, number_from_text, records_of
from device_browser.tags import TagRef

KINDS = ("signal", "boolean")
NETWORK = ("opcua-server", "mqtt", "http")
RESOURCES = ("memory_mb", "cpu_cores", "disk_mb")
LICENCES = ("Apache-2.0", "MIT", "BSD-3-Clause", "GPL-3.0-only", "LicenseRef-Proprietary")
# The order of app.yaml's top-level keys (the schema's), so a file saved here diffs well.
ORDER = ("schema_version", "id", "version", "name", "description", "authors", "license", "classification", "graph",
         "inputs", "outputs", "parameters", "requires", "resources", "permissions", "tests")


def binding_from_text(text: str) -> dict[str, str]:
    return TagRef.parse(text).to_data()


def binding_text(data: Any) -> str:
    try:
        return str(TagRef.from_data(data))
    except Exception:  # noqa: BLE001 - a hand-edited binding the schema will name; shown as it is
        return str(data)


class ManifestForm(QScrollArea):
    """Fields for one manifest; ``edited`` after each change a user makes.

    ``sync_requested`` asks the owner to fill inputs, outputs and required components from the
    graph (the form does not read graphs); ``project_root`` is where file pickers start and
    what chosen paths are made relative to.
    """

    edited = Signal()
    sync_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.project_root = Path.cwd()
        self._extra: dict[str, Any] = {}
        self.setWidgetResizable(True)
        body = QWidget(self)
        self.setWidget(body)
        self.sections: dict[str, QGroupBox] = {}
        layout = QVBoxLayout(body)
        layout.addWidget(self._general())
        layout.addWidget(self._section("classification", self.classification_fields()))
        layout.addWidget(self._interface())
        layout.addWidget(self._section("parameters", self._parameters()))
        layout.addWidget(self._section("requires", self._requirements()))
        layout.addWidget(self._section("tests", self._tests()))
        layout.addStretch(1)
        self.retranslate()

    # -- sections ---------------------------------------------------------------------------------
    def _section(self, key: str, content: QWidget | QFormLayout | QVBoxLayout) -> QGroupBox:
        box = QGroupBox(self.widget())
        if isinstance(content, QWidget):
            inner = QVBoxLayout(box)
            inner.addWidget(content)
        else:
            box.setLayout(content)
        self.sections[key] = box
        return box

    def _general(self) -> QGroupBox:
        self.id_edit, self.version_edit, self.graph_edit = (self._line() for _ in range(3))
        self.name_en, self.name_zh = self._line(), self._line()
        self.description_en, self.description_zh = self._text(), self._text()
        self.license_edit = QComboBox(self)
        self.license_edit.setEditable(True)
        self.license_edit.addItems(LICENCES)
        self.license_edit.currentTextChanged.connect(lambda _text: self.edited.emit())
        self.authors = self._table([Column("name"), Column("email"), Column("organization")])
        self.general = QFormLayout()
        self.general.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.general_labels = _add_rows(self.general, (
            self.id_edit, self.version_edit, self.name_en, self.name_zh, self.description_en, self.description_zh,
            self.license_edit, self.graph_edit, self.authors))
        return self._section("general", self.general)

    def classification_fields(self) -> ClassificationFields:
        self.classification = ClassificationFields(self)
        self.classification.edited.connect(self.edited)
        return self.classification

    def _interface(self) -> QGroupBox:
        self.inputs = self._table([Column("name"), Column("unit"), Column("kind", choices=KINDS),
                                   Column("description.en"), Column("description.zh"),
                                   Column("binding", binding_from_text, binding_text)])
        self.outputs = self._table([Column("name"), Column("unit"), Column("kind", choices=KINDS),
                                    Column("description.en"), Column("description.zh")])
        self.sync_button = QPushButton(self)
        self.sync_button.clicked.connect(self.sync_requested)
        layout = QVBoxLayout()
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.sync_button)
        layout.addLayout(row)
        self.inputs_box, self.outputs_box = QGroupBox(self), QGroupBox(self)
        for box, table in ((self.inputs_box, self.inputs), (self.outputs_box, self.outputs)):
            QVBoxLayout(box).addWidget(table)
            layout.addWidget(box)
        return self._section("interface", layout)

    def _parameters(self) -> RecordTable:
        self.parameters = self._table([Column("name"), Column("node"), Column("param"), Column("description.en"),
                                       Column("description.zh"), Column("minimum", **NUMBER),
                                       Column("maximum", **NUMBER)])
        return self.parameters

    def _requirements(self) -> QFormLayout:
        self.millwright_edit = self._line()
        self.components = self._table([Column("type"), Column("version", **NUMBER)])
        self.resource_edits = {key: self._line() for key in RESOURCES}
        self.read_tags = QCheckBox(self)
        self.network = {service: QCheckBox(service, self) for service in NETWORK}
        for box in (self.read_tags, *self.network.values()):
            box.toggled.connect(lambda _on: self.edited.emit())
        network = QHBoxLayout()
        for box in self.network.values():
            network.addWidget(box)
        network.addStretch(1)
        self.write_tags = self._table([Column("output"), Column("minimum", **NUMBER), Column("maximum", **NUMBER),
                                       Column("max_step", **NUMBER), Column("min_interval_s", **NUMBER)])
        self.requirements = QFormLayout()
        self.requirements.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.requirement_labels = _add_rows(self.requirements, (
            self.millwright_edit, self.components, *self.resource_edits.values(), self.read_tags, network,
            self.write_tags))
        return self.requirements

    def _tests(self) -> QWidget:
        self.tests = self._table([Column("name"), Column("description"), Column("input"), Column("expected"),
                                  Column("tolerance.absolute", **NUMBER), Column("tolerance.relative", **NUMBER)],
                                 new_record=lambda row: {"name": f"test_{row + 1}",
                                                         "tolerance": {"absolute": 1e-9, "relative": 1e-6}})
        self.pick_input, self.pick_expected = QPushButton(self), QPushButton(self)
        self.pick_input.clicked.connect(lambda: self._pick_test_file("input"))
        self.pick_expected.clicked.connect(lambda: self._pick_test_file("expected"))
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tests)
        row = QHBoxLayout()
        row.addWidget(self.pick_input)
        row.addWidget(self.pick_expected)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    def _line(self) -> QLineEdit:
        edit = QLineEdit(self)
        edit.textEdited.connect(lambda _text: self.edited.emit())
        return edit

    def _text(self) -> QPlainTextEdit:
        edit = QPlainTextEdit(self)
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 12)
        edit.textChanged.connect(self.edited)
        return edit

    def _table(self, columns: list[Column], new_record=lambda _row: {}) -> RecordTable:
        table = RecordTable(columns, self, new_record=new_record)
        table.edited.connect(self.edited)
        return table

    def _pick_test_file(self, key: str) -> None:
        row = max(self.tests.table.currentRow(), 0)
        if self.tests.table.rowCount() == 0:
            return
        dialog = QFileDialog(self, self.tr("Golden test data"), str(self.project_root),
                             self.tr("Recordings (*.csv *.parquet)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self._set_test_file(row, key, Path(path)))
        dialog.open()

    def _set_test_file(self, row: int, key: str, path: Path) -> None:
        try:
            shown = path.resolve().relative_to(self.project_root.resolve()).as_posix()
        except ValueError:  # outside the project: the manifest would not travel with it; the build says so
            shown = str(path)
        self.tests.set_cell_text(row, self.tests.column_of(key), shown)

    # -- data ------------------------------------------------------------------------------------
    def set_data(self, data: dict[str, Any], project_root: Path) -> None:
        """Show manifest ``data`` (as read from ``app.yaml``); no ``edited``."""
        self.project_root = project_root
        data = data if isinstance(data, dict) else {}
        self._extra = {k: v for k, v in data.items() if k not in ORDER}
        self.blockSignals(True)
        try:
            self._set_general(data)
            self.classification.set_data(data.get("classification"))
            self.inputs.set_records(records_of(data.get("inputs")))
            self.outputs.set_records(records_of(data.get("outputs")))
            self.parameters.set_records(records_of(data.get("parameters")))
            self._set_requirements(data)
            self.tests.set_records([t for t in data.get("tests", ()) if isinstance(t, dict)])
        finally:
            self.blockSignals(False)

    def _set_general(self, data: dict[str, Any]) -> None:
        name, description = _text_of(data.get("name")), _text_of(data.get("description"))
        for edit, value in ((self.id_edit, data.get("id")), (self.version_edit, data.get("version")),
                            (self.graph_edit, data.get("graph")), (self.name_en, name.get("en")),
                            (self.name_zh, name.get("zh"))):
            edit.setText("" if value is None else str(value))
        for edit, value in ((self.description_en, description.get("en")), (self.description_zh, description.get("zh"))):
            edit.setPlainText(value or "")
        self.license_edit.blockSignals(True)
        self.license_edit.setCurrentText(str(data.get("license", "")))
        self.license_edit.blockSignals(False)
        self.authors.set_records([a for a in data.get("authors", ()) if isinstance(a, dict)])

    def _set_requirements(self, data: dict[str, Any]) -> None:
        requires = data.get("requires") if isinstance(data.get("requires"), dict) else {}
        self.millwright_edit.setText(str(requires.get("millwright", "")))
        components = requires.get("components") if isinstance(requires.get("components"), dict) else {}
        self.components.set_records([{"type": t, "version": v} for t, v in components.items()])
        resources = data.get("resources") if isinstance(data.get("resources"), dict) else {}
        for key, edit in self.resource_edits.items():
            edit.setText(str(resources.get(key, "")))
        permissions = data.get("permissions") if isinstance(data.get("permissions"), dict) else {}
        for box in (self.read_tags, *self.network.values()):
            box.blockSignals(True)
        self.read_tags.setChecked(permissions.get("read_tags", True) is not False)
        for service, box in self.network.items():
            box.setChecked(service in permissions.get("network", ()))
        for box in (self.read_tags, *self.network.values()):
            box.blockSignals(False)
        self.write_tags.set_records([w for w in permissions.get("write_tags", ()) if isinstance(w, dict)])

    def set_interface(self, inputs: dict[str, Any], outputs: dict[str, Any], components: dict[str, int]) -> None:
        """Replace inputs, outputs and required components (what Sync from graph found); ``edited`` follows."""
        self.inputs.set_records(records_of(inputs))
        self.outputs.set_records(records_of(outputs))
        self.components.set_records([{"type": t, "version": v} for t, v in components.items()])
        self.edited.emit()

    def data(self) -> tuple[dict[str, Any], list[str]]:
        """The manifest data the fields hold, in schema order, and the problems of fields that could not be read.

        A problem is ``path: message`` like the manifest's own (``inputs.flow.binding: …``).
        """
        problems: list[str] = []
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "id": self.id_edit.text().strip(),
                                "version": self.version_edit.text().strip(),
                                "name": compact({"en": self.name_en.text().strip(), "zh": self.name_zh.text().strip()},
                                                 keep=("en",))}
        description = compact({"en": self.description_en.toPlainText().strip(),
                                "zh": self.description_zh.toPlainText().strip()})
        data["description"] = description
        data["authors"] = self._list(self.authors, "authors", problems)
        data["license"] = self.license_edit.currentText().strip()
        data["classification"] = self.classification.data()
        data["graph"] = self.graph_edit.text().strip()
        for key, table in (("inputs", self.inputs), ("outputs", self.outputs), ("parameters", self.parameters)):
            records = self._list(table, key, problems)
            data[key], naming = mapping_of(records, key)
            problems += naming
        components = {r["type"]: r.get("version") for r in self._list(self.components, "requires.components",
                                                                        problems) if r.get("type")}
        data["requires"] = compact({"millwright": self.millwright_edit.text().strip(), "components": components})
        data["resources"] = self._resources(problems)
        data["permissions"] = compact({"read_tags": self.read_tags.isChecked(),
                                        "write_tags": self._list(self.write_tags, "permissions.write_tags", problems),
                                        "network": [s for s, box in self.network.items() if box.isChecked()]})
        data["tests"] = self._list(self.tests, "tests", problems)
        data = compact(data, keep=("id", "version", "license", "graph", "inputs", "outputs"))
        return {**{k: data[k] for k in ORDER if k in data}, **self._extra}, problems

    def _list(self, table: RecordTable, where: str, problems: list[str]) -> list[dict[str, Any]]:
        records, cells = table.records()
        name_col = next((i for i, c in enumerate(table.columns) if c.key == "name"), None)
        for cell in cells:
            row = table.cell_text(cell.row, name_col) if name_col is not None and where != "tests" else cell.row
            problems.append(f"{where}.{row}.{cell.key}: {cell.message}")
        return records

    def _resources(self, problems: list[str]) -> dict[str, Any]:
        resources = {}
        for key, edit in self.resource_edits.items():
            text = edit.text().strip()
            if text:
                try:
                    resources[key] = number_from_text(text)
                except ValueError as exc:
                    problems.append(f"resources.{key}: {exc}")
        return resources

    # -- going to a problem ------------------------------------------------------------------------
    def focus_path(self, path: list[str | int]) -> None:
        """Put the cursor in the field of ``path`` (``["inputs", "flow", "unit"]``) and scroll to it."""
        head, rest = (path[0], path[1:]) if path else ("", [])
        widget = self._field_of(str(head), rest)
        self.ensureWidgetVisible(widget)
        if not isinstance(widget, RecordTable):
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _field_of(self, head: str, rest: list[str | int]) -> QWidget:
        simple = {"id": self.id_edit, "version": self.version_edit, "graph": self.graph_edit,
                  "license": self.license_edit}
        if head in simple:
            return simple[head]
        if head in ("name", "description"):
            return {("name", "zh"): self.name_zh, ("description", "en"): self.description_en,
                    ("description", "zh"): self.description_zh}.get((head, rest[0] if rest else "en"), self.name_en)
        if head == "classification":
            self.classification.focus_field(str(rest[0]) if rest else "industry")
            return self.classification
        tables = {"authors": self.authors, "inputs": self.inputs, "outputs": self.outputs,
                  "parameters": self.parameters, "tests": self.tests}
        if head in tables:
            self._focus_row(tables[head], rest)
            return tables[head]
        if head == "resources":
            return self.resource_edits.get(str(rest[0]) if rest else "", self.resource_edits["memory_mb"])
        if head == "permissions" and rest[:1] == ["write_tags"]:
            self._focus_row(self.write_tags, rest[1:])
            return self.write_tags
        if head == "permissions":
            return self.network[NETWORK[0]] if rest[:1] == ["network"] else self.read_tags
        if head == "requires":
            return self.components if rest[:1] == ["components"] else self.millwright_edit
        return self.id_edit

    @staticmethod
    def _focus_row(table: RecordTable, rest: list[str | int]) -> None:
        if not rest:
            table.focus_row(-1)
            return
        row = rest[0]
        if not isinstance(row, int):  # a name-keyed map: find the row by its name
            name_col = table.column_of("name")
            row = next((r for r in range(table.table.rowCount()) if table.cell_text(r, name_col) == row), -1)
        table.focus_row(row, ".".join(map(str, rest[1:])))

    # -- language --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        titles = {"general": self.tr("General"), "classification": self.tr("Classification and grading"),
                  "interface": self.tr("Inputs and outputs"), "parameters": self.tr("Site parameters"),
                  "requires": self.tr("Requirements, resources and permissions"), "tests": self.tr("Golden tests")}
        for key, box in self.sections.items():
            box.setTitle(titles[key])
        for row, label in enumerate((self.tr("Id"), self.tr("Version"), self.tr("Name"), self.tr("Name (Chinese)"),
                                     self.tr("Description"), self.tr("Description (Chinese)"), self.tr("Licence"),
                                     self.tr("Graph"), self.tr("Authors"))):
            self.general_labels[row].setText(label)
        self.id_edit.setPlaceholderText(self.tr("reverse-DNS, e.g. com.example.pump-efficiency"))
        self.version_edit.setPlaceholderText(self.tr("MAJOR.MINOR.PATCH, e.g. 1.0.0"))
        self.license_edit.setToolTip(self.tr("An SPDX licence expression"))
        self.authors.set_headers([self.tr("Name"), self.tr("E-mail"), self.tr("Organisation")])
        self.inputs_box.setTitle(self.tr("Inputs (bound to tags at install)"))
        self.outputs_box.setTitle(self.tr("Outputs"))
        self.sync_button.setText(self.tr("Sync from graph"))
        self.sync_button.setToolTip(self.tr("Take the inputs, outputs and component versions from the graph, "
                                            "keeping descriptions and suggested bindings"))
        description, chinese = self.tr("Description"), self.tr("Description (Chinese)")
        self.inputs.set_headers([self.tr("Name"), self.tr("Unit"), self.tr("Kind"), description, chinese,
                                 self.tr("Suggested binding")],
                                ["", "", "", "", "", self.tr("device/point or device@address; a site binds its own")])
        self.outputs.set_headers([self.tr("Name"), self.tr("Unit"), self.tr("Kind"), description, chinese])
        self.parameters.set_headers([self.tr("Name"), self.tr("Node"), self.tr("Parameter"), description, chinese,
                                     self.tr("Minimum"), self.tr("Maximum")])
        for row, label in enumerate((self.tr("Millwright version"), self.tr("Components"), self.tr("Memory (MB)"),
                                     self.tr("CPU cores"), self.tr("Disk (MB)"), self.tr("Permissions"),
                                     self.tr("Network"), self.tr("Write tags"))):
            self.requirement_labels[row].setText(label)
        self.millwright_edit.setPlaceholderText(self.tr("a version specifier, e.g. >=0.1"))
        self.components.set_headers([self.tr("Component type"), self.tr("Version")])
        self.read_tags.setText(self.tr("Read the tags bound to the inputs"))
        self.write_tags.set_headers([self.tr("Output"), self.tr("Minimum"), self.tr("Maximum"), self.tr("Largest step"),
                                     self.tr("Shortest interval (s)")])
        self.tests.set_headers([self.tr("Name"), description, self.tr("Input"), self.tr("Expected"),
                                self.tr("Absolute tolerance"), self.tr("Relative tolerance")],
                               ["", "", self.tr("A recording (CSV or Parquet) with a column per input"),
                                self.tr("The expected outputs (CSV or Parquet) with a column per checked output"),
                                self.tr("|actual − expected| ≤ absolute + relative·|expected|"), ""])
        self.pick_input.setText(self.tr("Choose input file…"))
        self.pick_expected.setText(self.tr("Choose expected file…"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _add_rows(form: QFormLayout, fields: tuple[QWidget | QHBoxLayout, ...]) -> list[QLabel]:
    """A row per field, each with a label the caller names (in ``retranslate``)."""
    labels = []
    for field in fields:
        labels.append(QLabel(form.parentWidget()))
        form.addRow(labels[-1], field)
    return labels


def _text_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

