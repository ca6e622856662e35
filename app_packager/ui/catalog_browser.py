"""Browse a catalogue or registry: search by text and classification, see versions and signatures, pull, install.

Open reads every release the source holds once, on a worker thread (a registry may be slow or
dead: the panel says it is waiting, stays usable, and reports the failure); the search box and
the classification filters then narrow the list at once, with the library's own matching
(:class:`~app_packager.publish.SearchFilter`, :func:`~app_packager.publish.text_matches`). The
signature column says what the index claims against this computer's trusted keys; Install
verifies the archive itself before anything is written.
"""

from __future__ import annotations

import asyncio
from html import escape
from pathlib import Path

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app_packager.errors import AppError
from app_packager.manifest import definitions, industry_sections
from app_packager.publish import AppSummary, Publisher, Release, SearchFilter, open_publisher, summarise, text_matches
from app_packager.trust import trusted_keys
from app_packager.ui.background import in_worker
from app_packager.ui.build_view import FAILED, PASSED
from app_packager.ui.classification_fields import FIELDS, in_ui_language, short_label
from app_packager.ui.install_dialog import InstallDialog
from app_packager.ui.narrow import narrow_combo
from app_packager.ui.publish_view import REGISTRY_TIMEOUT_S
from app_packager.ui.target_field import TargetField

TRUSTED, UNTRUSTED, UNSIGNED = "trusted", "untrusted", "unsigned"
COLUMNS = ("id", "name", "latest", "versions", "industry", "lifecycle", "level", "maturity", "signature")


def open_source(url: str, insecure: list[str], timeout: float) -> tuple[Publisher, list[Release], set[str]]:
    """The publisher at ``url``, every release it holds, and the fingerprints trusted here (blocking)."""
    publisher = open_publisher(url, insecure_registries=insecure, timeout=timeout)
    return publisher, publisher.releases(), {key.fingerprint for key in trusted_keys()[0]}


class CatalogBrowser(QWidget):
    """The Catalogue tab. ``opened(url)`` after a source was read (the panel remembers it)."""

    opened = Signal(str)

    def __init__(self, source: TargetField, parent: QWidget | None = None):
        super().__init__(parent)
        self.project: Path | None = None
        self.timeout = REGISTRY_TIMEOUT_S
        self.publisher: Publisher | None = None
        self.releases: list[Release] = []
        self.trusted: set[str] = set()
        self.shown: list[AppSummary] = []
        self.task: asyncio.Task | None = None
        self.source = source
        self.source.setParent(self)
        self.open_button, self.cancel_button = QPushButton(self), QPushButton(self)
        self.open_button.clicked.connect(lambda: self._start(self.browse()))
        self.cancel_button.clicked.connect(self.cancel)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self.apply_filters())
        self.filters = {name: narrow_combo(QComboBox(self)) for name in ("industry", *FIELDS)}
        for combo in self.filters.values():
            combo.currentIndexChanged.connect(lambda _index: self.apply_filters())
        self.filter_labels = {name: QLabel(self) for name in self.filters}
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selected)
        self.details = QTextBrowser(self)
        self.version = QComboBox(self)
        self.version.currentIndexChanged.connect(lambda _index: self._show_details())
        self.pull_button, self.install_button = QPushButton(self), QPushButton(self)
        self.pull_button.clicked.connect(self._choose_pull_folder)
        self.install_button.clicked.connect(self._open_install)
        self._build_layout()
        self._busy(False)
        self.retranslate()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.source, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        top.addLayout(buttons)
        filters = QGridLayout()
        filters.addWidget(self.search, 0, 0, 1, 4)
        filters.setColumnStretch(1, 1)
        filters.setColumnStretch(3, 1)
        for i, (name, combo) in enumerate(self.filters.items()):
            filters.addWidget(self.filter_labels[name], 1 + i // 2, 2 * (i % 2))
            filters.addWidget(combo, 1 + i // 2, 2 * (i % 2) + 1)
        actions = QHBoxLayout()
        actions.addWidget(self.version)
        actions.addWidget(self.pull_button)
        actions.addWidget(self.install_button)
        actions.addStretch(1)
        below = QWidget(self)
        lower = QVBoxLayout(below)
        lower.setContentsMargins(0, 0, 0, 0)
        lower.addWidget(self.details, 1)
        lower.addLayout(actions)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(below)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)

    # -- reading a source -------------------------------------------------------------------------------
    def _start(self, work) -> None:
        self.task = asyncio.ensure_future(work)

    async def browse(self) -> bool:
        """Read the source's releases; False (and the reason shown) when it cannot be read."""
        url = self.source.target()
        self._say(self.tr("Reading {url}…").format(url=url), None)
        self._busy(True)
        try:
            self.publisher, self.releases, self.trusted = await in_worker(
                open_source, url, self.source.insecure_registries(), self.timeout)
        except AppError as exc:
            self.publisher, self.releases = None, []
            self._say(str(exc), FAILED)
            return False
        except asyncio.CancelledError:
            self._say(self.tr("Stopped waiting for {url}").format(url=url), FAILED)
            return False
        finally:
            self._busy(False)
            self.apply_filters()
        self._say(self.tr("{url}: %n app(s)", "", len(summarise(self.releases))).format(url=url), PASSED)
        self.opened.emit(url)
        return True

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def _busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.open_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def _say(self, text: str, colour) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour.name()};" if colour is not None else "")

    # -- filtering ------------------------------------------------------------------------------------------
    def search_filter(self) -> SearchFilter:
        chosen = {name: combo.currentData() for name, combo in self.filters.items()}
        return SearchFilter(chosen["industry"] or "", chosen["lifecycle"] or "", chosen["level"] or "",
                            chosen["generality"] or "", chosen["maturity"] or 0)

    def apply_filters(self) -> None:
        """List the apps whose versions match the search text and the filters."""
        wanted, text = self.search_filter(), self.search.text()
        self.shown = summarise(r for r in self.releases if wanted.matches(r.classification) and text_matches(r, text))
        selected = self.selected_app()
        self.table.setRowCount(len(self.shown))
        for row, app in enumerate(self.shown):
            for col, value in enumerate(self._cells(app)):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(row, col, item)
            state = self.signature_state(app.latest)
            self.table.item(row, COLUMNS.index("signature")).setForeground(PASSED if state == TRUSTED else FAILED)
        kept = next((i for i, app in enumerate(self.shown) if selected and app.id == selected.id), None)
        self.table.selectRow(kept if kept is not None else 0 if self.shown else -1)
        self._selected()

    def _cells(self, app: AppSummary) -> list[str]:
        latest, c = app.latest, app.latest.classification
        return [app.id, in_ui_language(latest.name.to_data()), latest.version, ", ".join(app.versions), c.industry,
                _value_label("lifecycle", c.lifecycle), _value_label("level", c.level), str(c.maturity),
                self._signature_text(latest)]

    def signature_state(self, release: Release) -> str:
        """What the index says of the signer, against this computer's trusted keys."""
        if not release.publisher_key:
            return UNSIGNED
        return TRUSTED if release.publisher_key in self.trusted else UNTRUSTED

    def _signature_text(self, release: Release) -> str:
        return {TRUSTED: self.tr("trusted"), UNTRUSTED: self.tr("untrusted"),
                UNSIGNED: self.tr("unsigned")}[self.signature_state(release)]

    # -- one app ----------------------------------------------------------------------------------------------
    def selected_app(self) -> AppSummary | None:
        row = self.table.currentRow()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def selected_release(self) -> Release | None:
        app = self.selected_app()
        return next((r for r in app.releases if r.version == self.version.currentText()), None) if app else None

    def _selected(self) -> None:
        app = self.selected_app()
        self.version.blockSignals(True)
        self.version.clear()
        if app is not None:
            self.version.addItems(list(reversed(app.versions)))  # newest first
            self.version.setCurrentText(app.latest.version)
        self.version.blockSignals(False)
        for widget in (self.version, self.pull_button, self.install_button):
            widget.setEnabled(app is not None)
        self._show_details()

    def _show_details(self) -> None:
        release = self.selected_release()
        if release is None:
            self.details.clear()
            return
        c = release.classification
        section = industry_sections().get(c.section, {"en": "?", "zh": "?"})
        rows = [(self.tr("Industry"), f"{c.industry} — {in_ui_language(section)}")]
        rows += [(label, in_ui_language(definitions(name)[str(getattr(c, name))]))
                 for name, label in zip(FIELDS, (self.tr("Lifecycle stage"), self.tr("Application level"),
                                                 self.tr("Generality"), self.tr("Maturity")), strict=True)]
        rows += [(self.tr("Licence"), release.license), (self.tr("Signature"), self._signer(release)),
                 (self.tr("Size"), self.tr("{size} bytes").format(size=f"{release.size:,}")),
                 (self.tr("SHA-256"), release.sha256), (self.tr("Built"), release.created or "—")]
        description = in_ui_language(release.description.to_data()) if release.description else ""
        table = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{escape(v)}</td></tr>" for k, v in rows)
        self.details.setHtml(f"<h3>{escape(in_ui_language(release.name.to_data()))} {escape(release.version)}</h3>"
                             f"<p>{escape(release.id)}</p><p>{escape(description)}</p><table>{table}</table>")

    def _signer(self, release: Release) -> str:
        if not release.publisher_key:
            return self.tr("unsigned: sites refuse it unless they allow unsigned apps")
        note = self.tr("trusted here") if release.publisher_key in self.trusted else \
            self.tr("not trusted here: add the publisher's public key to install it")
        return f"{release.publisher_key} ({note})"

    # -- pull and install -----------------------------------------------------------------------------------
    def _choose_pull_folder(self) -> None:
        dialog = QFileDialog(self, self.tr("Pull into folder"), str(self.project or Path.home()))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda folder: self._start(self.pull_to(Path(folder))))
        dialog.open()

    async def pull_to(self, folder: Path) -> Path | None:
        """Pull the chosen version into ``folder``; its path, or None (the reason shown)."""
        release = self.selected_release()
        if release is None or self.publisher is None:
            return None
        self._say(self.tr("Pulling {id} {version}…").format(id=release.id, version=release.version), None)
        self._busy(True)
        try:
            path = await in_worker(self.publisher.pull, release.id, release.version, folder)
        except AppError as exc:
            self._say(str(exc), FAILED)
            return None
        finally:
            self._busy(False)
        self._say(self.tr("Pulled to {path}").format(path=path), PASSED)
        return path

    def _open_install(self) -> InstallDialog | None:
        release = self.selected_release()
        if release is None or self.publisher is None:
            return None
        dialog = InstallDialog(self.publisher, release, self.project, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # -- language -------------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.open_button.setText(self.tr("Open"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.search.setPlaceholderText(self.tr("Search id, name and description (English or Chinese)"))
        for name, label in (("industry", self.tr("Industry")), ("lifecycle", self.tr("Lifecycle")),
                            ("level", self.tr("Level")), ("generality", self.tr("Generality")),
                            ("maturity", self.tr("Maturity at least"))):
            self.filter_labels[name].setText(label)
        self._fill_filters()
        self.table.setHorizontalHeaderLabels([self.tr("Id"), self.tr("Name"), self.tr("Latest"), self.tr("Versions"),
                                              self.tr("Industry"), self.tr("Lifecycle"), self.tr("Level"),
                                              self.tr("Maturity"), self.tr("Signature")])
        self.pull_button.setText(self.tr("Pull…"))
        self.install_button.setText(self.tr("Install…"))
        self.apply_filters()

    def _fill_filters(self) -> None:
        any_value = self.tr("any")
        choices = {"industry": [(letter, f"{letter} {in_ui_language(s)}") for letter, s in industry_sections().items()]}
        choices.update({name: [(_typed(name, value), short_label(in_ui_language(d)))
                               for value, d in definitions(name).items()] for name in FIELDS})
        for name, combo in self.filters.items():
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(any_value, None)
            for value, text in choices[name]:
                combo.addItem(text, value)
            combo.setCurrentIndex(max(combo.findData(current), 0))
            combo.blockSignals(False)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _typed(field: str, value: str) -> str | int:
    return int(value) if field == "maturity" else value


def _value_label(field: str, value: str) -> str:
    definition = definitions(field).get(value)
    return short_label(in_ui_language(definition)) if definition else value
