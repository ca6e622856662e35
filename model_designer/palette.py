"""The Palette dock's widget: components grouped by category, searchable, dragged onto the canvas."""

from __future__ import annotations

import html

from qtpy.QtCore import QEvent, QLocale, QMimeData, QObject, Qt, Signal
from qtpy.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from model_designer.catalog import COMPONENT_MIME_TYPE, Catalog, CatalogEntry, category_title
from nodes.registry import ComponentRegistry

TYPE_ROLE = Qt.ItemDataRole.UserRole  # a component item's type name; category items have none


def ui_language() -> str:
    """The language component texts are shown in: the UI's (set by workbench.ui.i18n)."""
    return QLocale().name()


class ComponentTree(QTreeWidget):
    """The palette's tree: drags a component's type name; Enter chooses it."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.itemDoubleClicked.connect(self._double_clicked)

    def mimeTypes(self) -> list[str]:
        return [COMPONENT_MIME_TYPE]

    def mimeData(self, items) -> QMimeData | None:
        names = [item.data(0, TYPE_ROLE) for item in items if item.data(0, TYPE_ROLE)]
        if not names:
            return None
        mime = QMimeData()
        mime.setData(COMPONENT_MIME_TYPE, names[0].encode())
        mime.setText(names[0])
        return mime

    def keyPressEvent(self, event) -> None:
        item = self.currentItem()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            if item.data(0, TYPE_ROLE):
                self.chosen.emit(item.data(0, TYPE_ROLE))
            else:
                item.setExpanded(not item.isExpanded())
            return
        super().keyPressEvent(event)

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, TYPE_ROLE):  # a category's double-click expands it, as Qt does by default
            self.chosen.emit(item.data(0, TYPE_ROLE))


class PaletteView(QWidget):
    """A search box over a tree of the registry's components, grouped by category.

    While a search is active the tree shows only the categories with matches, best match
    first and selected; clearing the search brings back the user's expanded categories.
    """

    component_chosen = Signal(str)

    def __init__(self, registry: ComponentRegistry, parent: QWidget | None = None):
        super().__init__(parent)
        self.registry = registry
        self.catalog = Catalog(registry)
        self._expanded: set[str] = set()  # categories the user opened, kept while searching
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._rebuild)
        self.search.returnPressed.connect(self._choose_current)
        self.search.installEventFilter(self)
        self.tree = ComponentTree()
        self.tree.installEventFilter(self)
        self.tree.chosen.connect(self.component_chosen)
        self.tree.itemExpanded.connect(self._remember_expansion)
        self.tree.itemCollapsed.connect(self._remember_expansion)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.setFocusProxy(self.search)
        self.retranslate()

    def set_filter(self, text: str) -> None:
        self.search.setText(text)

    def refresh(self) -> None:
        """List the registry's components again (a project component was saved, another project opened)."""
        self.catalog = Catalog(self.registry)
        self._rebuild()

    def retranslate(self) -> None:
        self.search.setPlaceholderText(self.tr("Search components (English or 中文)"))
        self.search.setToolTip(self.tr("Type part of a name; ↓ moves into the list, Enter adds the selected component"))
        self._rebuild()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self._step_into_tree(1 if event.key() == Qt.Key.Key_Down else -1)
            return True
        if watched is self.tree and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            self.search.setFocus(Qt.FocusReason.OtherFocusReason)
            self.search.selectAll()
            return True
        return super().eventFilter(watched, event)

    def current_type(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, TYPE_ROLE) if item is not None else None

    def _step_into_tree(self, step: int) -> None:
        """From the search box, arrows select the next/previous component and move focus to the list."""
        components = [item for item in self._component_items() if not item.isHidden()]
        if not components:
            return
        current = self.tree.currentItem()
        index = components.index(current) + step if current in components else (0 if step > 0 else -1)
        item = components[max(0, min(index, len(components) - 1))]
        item.parent().setExpanded(True)
        self.tree.setCurrentItem(item)
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    def _component_items(self) -> list[QTreeWidgetItem]:
        root = self.tree.invisibleRootItem()
        return [root.child(i).child(j) for i in range(root.childCount()) for j in range(root.child(i).childCount())]

    def _choose_current(self) -> None:
        type_name = self.current_type()
        if type_name:
            self.component_chosen.emit(type_name)

    def _remember_expansion(self, item: QTreeWidgetItem) -> None:
        if self.search.text().strip() or self.tree.signalsBlocked():
            return  # expansion by a search is not the user's choice
        category = item.data(0, Qt.ItemDataRole.UserRole + 1)
        if item.isExpanded():
            self._expanded.add(category)
        else:
            self._expanded.discard(category)

    def _rebuild(self) -> None:
        language = ui_language()
        query = self.search.text().strip()
        self.tree.blockSignals(True)
        self.tree.clear()
        if query:
            self._fill_matches(self.catalog.search(query, language), language)
        else:
            for category in self.catalog.categories():
                group = self._category_item(category.name, category.title.get(language), len(category.entries))
                for entry in sorted(category.entries, key=lambda e: e.title.get(language).casefold()):
                    group.addChild(_entry_item(entry, language))
                group.setExpanded(category.name in self._expanded)
        self.tree.blockSignals(False)

    def _fill_matches(self, matches: list[CatalogEntry], language: str) -> None:
        groups: dict[str, QTreeWidgetItem] = {}
        for entry in matches:  # categories in the order of their best match
            if entry.category not in groups:
                title = category_title(entry.category).get(language)
                groups[entry.category] = self._category_item(entry.category, title, 0)
            groups[entry.category].addChild(_entry_item(entry, language))
        for group in groups.values():
            group.setExpanded(True)
        if matches:
            self.tree.setCurrentItem(groups[matches[0].category].child(0))

    def _category_item(self, name: str, title: str, count: int) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.tree, [f"{title} ({count})" if count else title])
        item.setData(0, Qt.ItemDataRole.UserRole + 1, name)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        return item


def _entry_item(entry: CatalogEntry, language: str) -> QTreeWidgetItem:
    item = QTreeWidgetItem([entry.title.get(language)])
    item.setData(0, TYPE_ROLE, entry.type_name)
    item.setToolTip(0, entry_tooltip(entry, language))
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
    return item


def entry_tooltip(entry: CatalogEntry, language: str) -> str:
    """Rich text: title and type name, description, the formula in monospace, the reference."""
    parts = [f"<b>{html.escape(entry.title.get(language))}</b> <small><tt>{html.escape(entry.type_name)}</tt></small>",
             f"<p>{html.escape(entry.description.get(language))}</p>"]
    if entry.formula:
        parts.append(f"<pre>{html.escape(entry.formula)}</pre>")
    if entry.reference:
        parts.append(f"<p><small>{html.escape(entry.reference)}</small></p>")
    return "<qt>" + "".join(parts) + "</qt>"


if __name__ == "__main__":  # a preview: python -m model_designer.palette
    from qtpy.QtWidgets import QApplication

    from nodes.registry import default_registry

    app = QApplication.instance() or QApplication([])
    palette = PaletteView(default_registry())
    palette.component_chosen.connect(print)
    palette.resize(320, 640)
    palette.show()
    app.exec()
