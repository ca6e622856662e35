"""The OPC UA address-space tree of one connected device: lazy, chunked, filterable, keyboard-driven.

:class:`AddressSpaceModel` loads a node's children when the tree first expands it
(``canFetchMore``/``fetchMore``): the Browse runs on the device loop
(:func:`device_browser.opcua.ua_nodes.children` through ``handle.host.call``) while a
"Loading…" row stands in; the answer is inserted in chunks of :data:`INSERT_CHUNK` rows with the
event loop getting a turn between chunks, so a 10,000-child folder opens without freezing the
window. A failed Browse leaves its message in that row (F5 tries again).

:class:`AddressSpaceView` adds a filter box (within loaded nodes, recursive), a context menu
with shortcuts, drag of variables as :data:`~device_browser.ui.tag_mime.TAG_MIME`, and signals
for the docks around it (watch list, trend, events).

Run standalone against the simulator: ``python -m device_browser.ui.address_space [URL]``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Sequence

from qtpy.QtCore import (
    QAbstractItemModel,
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from qtpy.QtGui import QAction, QGuiApplication, QKeySequence
from qtpy.QtWidgets import QAbstractItemView, QLabel, QLineEdit, QMenu, QTreeView, QVBoxLayout, QWidget

from device_browser.host import SessionHandle
from device_browser.opcua import ua_nodes
from device_browser.session import BrowseItem, DeviceError
from device_browser.tags import TagRef
from device_browser.ui.icons import node_class_icon
from device_browser.ui.method_form import MethodCallDialog
from device_browser.ui.tag_mime import TAG_MIME, tags_mime_data

_log = logging.getLogger(__name__)

# Rows inserted per turn of the event loop: the first chunk shows rows at once, later ones double.
# Each insertion makes the tree lay out every row of the folder again (Qt calls flags() and
# hasChildren() per row), so 20 equal chunks of a 10,000-row folder cost 20 layouts; doubling
# costs 5, and the event loop still gets a turn between them.
FIRST_CHUNK = 500
MAX_CHUNK = 4000
CHUNK_PAUSE_S = 0.005

TAG_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # the node's tag ("" for the stand-in row)
NODE_CLASS_ROLE = TAG_ROLE + 1
_FILTER_ROLE = TAG_ROLE + 2  # what the filter matches: name and tag


# Flags made once: flags() runs twice per row at every layout of the tree.
_STAND_IN_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
_NODE_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_VARIABLE_FLAGS = _NODE_FLAGS | Qt.ItemFlag.ItemIsDragEnabled
_LEAF_FLAGS = _NODE_FLAGS | Qt.ItemFlag.ItemNeverHasChildren


class _State(enum.Enum):
    UNLOADED = "unloaded"
    LOADING = "loading"
    LOADED = "loaded"
    FAILED = "failed"


class _Node:
    """One row of the tree; the stand-in row of a loading (or failed) node has no item."""

    __slots__ = ("children", "detached", "flags", "item", "message", "parent", "row", "state")

    def __init__(self, item: BrowseItem | None, parent: _Node | None, row: int, message: str = ""):
        self.item = item
        if item is None:
            self.flags = _STAND_IN_FLAGS
        elif item.node_class == "Variable":
            self.flags = _VARIABLE_FLAGS
        else:
            self.flags = _NODE_FLAGS if item.has_children else _LEAF_FLAGS
        self.parent = parent
        self.row = row
        self.children: list[_Node] = []
        self.state = _State.UNLOADED
        self.message = message  # the stand-in row's text
        self.detached = False  # removed from the tree (a refresh of an ancestor): a late answer is dropped

    @property
    def tag(self) -> str | None:
        return self.item.tag if self.item is not None else None

    def detach(self) -> None:
        self.detached = True
        for child in self.children:
            child.detach()


class AddressSpaceModel(QAbstractItemModel):
    """The address space of the session behind a :class:`SessionHandle`, loaded as it is expanded."""

    children_loaded = Signal(str, int)  # tag of the node ("" for the root), number of children
    load_failed = Signal(str, str)  # tag of the node ("" for the root), the reason

    def __init__(self, device_id: str, parent: QObject | None = None):
        super().__init__(parent)
        self.device_id = device_id
        self.handle: SessionHandle | None = None
        self._root = _Node(None, None, 0)
        self._tasks: set[asyncio.Task[None]] = set()

    def set_handle(self, handle: SessionHandle | None) -> None:
        """Show the address space of ``handle`` (None: nothing); loading starts when the view asks."""
        self.cancel()
        self.beginResetModel()
        self.handle = handle
        self._root = _Node(None, None, 0)
        self.endResetModel()

    def cancel(self) -> None:
        """Abandon every load under way (the view closes, or shows another session)."""
        self._root.detach()
        for task in list(self._tasks):
            task.cancel()

    def settled(self, index: QModelIndex) -> bool:
        """The children of a row (the root if invalid) are loaded, or failed to load."""
        return self.node(index).state in (_State.LOADED, _State.FAILED)

    # -- nodes -----------------------------------------------------------------------------------

    def node(self, index: QModelIndex) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def index_of(self, node: _Node) -> QModelIndex:
        return QModelIndex() if node is self._root else self.createIndex(node.row, 0, node)

    def item(self, index: QModelIndex) -> BrowseItem | None:
        """The browse item of a row (None for the root and the stand-in row)."""
        return self.node(index).item if index.isValid() else None

    def browse_path(self, index: QModelIndex) -> str:
        """``/Objects/PumpStation/Flow``: the browse names from the Root folder down to the row."""
        names = []
        node = self.node(index)
        while node.item is not None:
            names.append(node.item.extra.get("browse_name") or node.item.name)
            node = node.parent
        return "/" + "/".join(reversed(names))

    def find(self, tag: str, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        """The loaded row of ``tag`` below ``parent`` (depth first), or an invalid index."""
        for child in self.node(parent).children:
            if child.tag == tag:
                return self.index_of(child)
            found = self.find(tag, self.index_of(child))
            if found.isValid():
                return found
        return QModelIndex()

    def refresh(self, index: QModelIndex) -> None:
        """Forget the children of a row (the root if invalid) and load them again."""
        node = self.node(index)
        if node.item is None and node is not self._root:
            node = node.parent  # the stand-in row: its node
            index = self.index_of(node)
        if node.state is _State.LOADING:
            return
        if node.children:
            self.beginRemoveRows(index, 0, len(node.children) - 1)
            for child in node.children:
                child.detach()
            node.children = []
            self.endRemoveRows()
        node.state = _State.UNLOADED
        self.fetchMore(index)

    # -- loading ---------------------------------------------------------------------------------

    def canFetchMore(self, parent: QModelIndex) -> bool:
        node = self.node(parent)
        return (self.handle is not None and node.state is _State.UNLOADED
                and (node is self._root or (node.item is not None and node.item.has_children)))

    def fetchMore(self, parent: QModelIndex) -> None:
        if not self.canFetchMore(parent):
            return
        node = self.node(parent)
        node.state = _State.LOADING
        self.beginInsertRows(parent, 0, 0)
        node.children = [_Node(None, node, 0, self.tr("Loading…"))]
        self.endInsertRows()
        task = asyncio.ensure_future(self._load(node, self.handle))
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("Loading the address space failed", exc_info=task.exception())

    async def _load(self, node: _Node, handle: SessionHandle) -> None:
        tag = node.tag
        try:
            items = await handle.host.call(ua_nodes.children, handle.session, tag)
        except DeviceError as exc:
            if not node.detached:
                node.state = _State.FAILED
                node.children[0].message = str(exc)
                stand_in = self.index_of(node.children[0])
                self.dataChanged.emit(stand_in, stand_in)
                self.load_failed.emit(tag or "", str(exc))
            return
        if node.detached:
            return
        parent = self.index_of(node)
        self.beginRemoveRows(parent, 0, 0)
        node.children = []
        self.endRemoveRows()
        start, size = 0, FIRST_CHUNK
        while start < len(items):
            chunk = items[start:start + size]
            self.beginInsertRows(parent, start, start + len(chunk) - 1)
            node.children += [_Node(item, node, start + k) for k, item in enumerate(chunk)]
            self.endInsertRows()
            start, size = start + len(chunk), min(2 * size, MAX_CHUNK)
            # A turn for the window (layout, paint, input, timers) before the next chunk: sleep(0)
            # would come back through a posted event, ahead of the timers that are due.
            await asyncio.sleep(CHUNK_PAUSE_S)
            if node.detached:
                return
        node.state = _State.LOADED
        self.children_loaded.emit(tag or "", len(items))

    @property
    def loading(self) -> bool:
        """Some node's children are still on their way."""
        return bool(self._tasks)

    # -- QAbstractItemModel ----------------------------------------------------------------------

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Called about four times per row at each layout of the tree: kept to the bare minimum.
        children = (parent.internalPointer() if parent.isValid() else self._root).children
        if column or not 0 <= row < len(children):
            return QModelIndex()
        return self.createIndex(row, 0, children[row])

    def parent(self, index: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        return self.index_of(self.node(index).parent)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.node(parent).children)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 1

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: B008
        node = self.node(parent)
        if node.state is _State.UNLOADED and node.item is not None:
            return node.item.has_children
        return bool(node.children) or node is self._root

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        node = self.node(index)
        item = node.item
        if item is None:  # the stand-in row
            if role == Qt.ItemDataRole.DisplayRole:
                return node.message
            if role == Qt.ItemDataRole.ForegroundRole and node.parent.state is _State.FAILED:
                return QGuiApplication.palette().placeholderText()
            return "" if role in (TAG_ROLE, NODE_CLASS_ROLE) else None
        if role == Qt.ItemDataRole.DisplayRole:
            return item.name
        if role == Qt.ItemDataRole.DecorationRole:
            return node_class_icon(item.node_class)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.name}\n{item.tag}\n{item.node_class}"
        if role == TAG_ROLE:
            return item.tag
        if role == NODE_CLASS_ROLE:
            return item.node_class
        if role == _FILTER_ROLE:
            return f"{item.name} {item.tag}"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr("Address space")
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        return index.internalPointer().flags if index.isValid() else Qt.ItemFlag.NoItemFlags

    # -- drag ------------------------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [TAG_MIME]

    def tag_refs(self, indexes: Sequence[QModelIndex]) -> list[TagRef]:
        """Tag references of the Variables among ``indexes`` (each once, in order)."""
        tags = dict.fromkeys(item.tag for index in indexes
                             if (item := self.item(index)) is not None and item.node_class == "Variable")
        return [TagRef(self.device_id, address=tag) for tag in tags]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData | None:
        refs = self.tag_refs(indexes)
        return tags_mime_data(refs) if refs else None

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class AddressSpaceView(QWidget):
    """Filter box and tree of one OPC UA device; the dock's content.

    Signals: ``node_selected(tag)`` as the current row changes; ``watch_requested(tags)`` (the
    selected Variables), ``history_requested(tag)``, ``events_requested(tag)`` from the menu and
    its shortcuts. "Call method…" opens a :class:`~device_browser.ui.method_form.MethodCallDialog`.
    """

    node_selected = Signal(str)
    watch_requested = Signal(list)
    history_requested = Signal(str)
    events_requested = Signal(str)
    save_profile_requested = Signal(list)  # the selected Variables' BrowseItems

    def __init__(self, device_id: str, handle: SessionHandle | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = AddressSpaceModel(device_id, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterRole(_FILTER_ROLE)
        self.filter = QLineEdit(self)
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.set_filter)
        self.tree = QTreeView(self)
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)  # no per-row measuring: 10,000 rows cost what the visible ones cost
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.activated.connect(self._activated)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty, 1)
        self._make_actions()
        self._retranslate()
        self._dialogs: list[QWidget] = []  # method forms kept alive while open
        self.set_handle(handle)

    # -- the session -----------------------------------------------------------------------------

    @property
    def handle(self) -> SessionHandle | None:
        return self.model.handle

    def set_handle(self, handle: SessionHandle | None) -> None:
        """Browse ``handle``'s server (None: disconnected, a sentence says so)."""
        self.model.set_handle(handle)
        self.tree.setVisible(handle is not None)
        self.filter.setVisible(handle is not None)
        self.empty.setVisible(handle is None)
        if handle is not None:
            self.proxy.fetchMore(QModelIndex())
        self._update_actions()

    # -- selection -------------------------------------------------------------------------------

    def current_item(self) -> BrowseItem | None:
        return self.model.item(self.proxy.mapToSource(self.tree.currentIndex()))

    def selected_source_indexes(self) -> list[QModelIndex]:
        return [self.proxy.mapToSource(i) for i in self.tree.selectionModel().selectedRows()]

    def select(self, tag: str) -> bool:
        """Make the loaded row of ``tag`` current; whether it was found (and not filtered out)."""
        index = self.proxy.mapFromSource(self.model.find(tag))
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_actions()
        item = self.model.item(self.proxy.mapToSource(current))
        if item is not None:
            self.node_selected.emit(item.tag)

    def set_filter(self, text: str) -> None:
        """Show the loaded rows whose name or tag contains ``text`` (and their ancestors)."""
        self.proxy.setFilterFixedString(text)
        if text:
            self.tree.expandAll()  # the matches are deep in the tree: show them (only loaded rows exist)

    # -- actions ---------------------------------------------------------------------------------

    def _make_actions(self) -> None:
        def action(slot, shortcut: QKeySequence | str) -> QAction:
            made = QAction(self)
            made.setShortcut(QKeySequence(shortcut))
            made.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the tree's keys, not the window's
            made.triggered.connect(slot)
            self.tree.addAction(made)
            return made

        self.copy_node_id_action = action(self.copy_node_id, QKeySequence.StandardKey.Copy)
        self.copy_path_action = action(self.copy_browse_path, "Ctrl+Shift+C")
        self.watch_action = action(self.request_watch, "Ctrl+Shift+W")
        self.history_action = action(self.request_history, "Ctrl+H")
        self.call_action = action(self.call_method, "Ctrl+M")
        self.events_action = action(self.request_events, "Ctrl+E")
        self.refresh_action = action(self.refresh, "F5")
        self.save_profile_action = action(self.request_save_profile, "Ctrl+Shift+S")

    def _retranslate(self) -> None:
        self.filter.setPlaceholderText(self.tr("Filter loaded nodes"))
        self.empty.setText(self.tr("Not connected. Connect the device to browse its address space."))
        for made, text in ((self.copy_node_id_action, self.tr("Copy NodeId")),
                           (self.copy_path_action, self.tr("Copy browse path")),
                           (self.watch_action, self.tr("Add to watch list")),
                           (self.history_action, self.tr("Read history into a trend")),
                           (self.call_action, self.tr("Call method…")),
                           (self.events_action, self.tr("Show events")),
                           (self.refresh_action, self.tr("Refresh")),
                           (self.save_profile_action, self.tr("Save as profile…"))):
            made.setText(text)

    def _update_actions(self) -> None:
        item = self.current_item()
        node_class = item.node_class if item is not None else ""
        connected = self.handle is not None
        self.copy_node_id_action.setEnabled(item is not None)
        self.copy_path_action.setEnabled(item is not None)
        self.watch_action.setEnabled(node_class == "Variable")
        self.save_profile_action.setEnabled(connected and bool(self.selected_variables()))
        self.history_action.setEnabled(connected and node_class == "Variable")
        self.call_action.setEnabled(connected and node_class == "Method")
        self.events_action.setEnabled(connected and node_class in ("Object", "View"))
        self.refresh_action.setEnabled(connected)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if not index.isValid():  # the menu key: at the current row
            index = self.tree.currentIndex()
            pos = self.tree.visualRect(index).center() if index.isValid() else QPoint(0, 0)
        self._update_actions()
        menu = QMenu(self)
        for made in (self.copy_node_id_action, self.copy_path_action, None, self.watch_action,
                     self.history_action, self.call_action, self.events_action, None, self.save_profile_action,
                     self.refresh_action):
            if made is None:
                menu.addSeparator()
            else:
                menu.addAction(made)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(pos))  # not exec(): no nested event loop under qasync

    def _activated(self, index: QModelIndex) -> None:
        """Enter (or a double click): a Method opens its form, another row expands or collapses."""
        item = self.model.item(self.proxy.mapToSource(index))
        if item is not None and item.node_class == "Method":
            self.call_method()
        elif item is not None:
            self.tree.setExpanded(index, not self.tree.isExpanded(index))

    def copy_node_id(self) -> None:
        """The current node's NodeId in its portable ``nsu=…`` form to the clipboard."""
        item = self.current_item()
        if item is not None:
            QGuiApplication.clipboard().setText(item.tag)

    def copy_browse_path(self) -> None:
        index = self.proxy.mapToSource(self.tree.currentIndex())
        if self.model.item(index) is not None:
            QGuiApplication.clipboard().setText(self.model.browse_path(index))

    def request_watch(self) -> None:
        refs = self.model.tag_refs(self.selected_source_indexes() or [self.proxy.mapToSource(self.tree.currentIndex())])
        if refs:
            self.watch_requested.emit([ref.tag for ref in refs])

    def selected_variables(self) -> list[BrowseItem]:
        items = (self.model.item(index) for index in self.selected_source_indexes())
        return [item for item in items if item is not None and item.node_class == "Variable"]

    def request_save_profile(self) -> None:
        items = self.selected_variables()
        if items:
            self.save_profile_requested.emit(items)

    def request_history(self) -> None:
        item = self.current_item()
        if item is not None and item.node_class == "Variable":
            self.history_requested.emit(item.tag)

    def request_events(self) -> None:
        item = self.current_item()
        if item is not None and item.node_class in ("Object", "View"):
            self.events_requested.emit(item.tag)

    def call_method(self) -> MethodCallDialog | None:
        """Open the form of the current Method (called on its parent object); returns the dialog."""
        index = self.proxy.mapToSource(self.tree.currentIndex())
        item = self.model.item(index)
        owner = self.model.item(index.parent())
        if self.handle is None or item is None or item.node_class != "Method" or owner is None:
            return None
        dialog = MethodCallDialog(self.handle, owner.tag, item.tag, self)
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda _result, d=dialog: self._dialogs.remove(d))
        dialog.open()
        return dialog

    def refresh(self) -> None:
        """Load the current node's children again (the whole tree when nothing is current)."""
        self.model.refresh(self.proxy.mapToSource(self.tree.currentIndex()))

    def closeEvent(self, event: QEvent) -> None:
        self.model.cancel()
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)


def _preview() -> None:  # pragma: no cover - a manual check: python -m device_browser.ui.address_space [URL]
    import sys

    import qasync
    from qtpy.QtWidgets import QApplication, QSplitter

    from device_browser.host import DeviceHost
    from device_browser.opcua.client import OpcUaSession
    from device_browser.ui.events_view import EventsView
    from device_browser.ui.node_details import NodeDetailsView

    url = sys.argv[1] if len(sys.argv) > 1 else "opc.tcp://127.0.0.1:4840/millwright/"
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    host = DeviceHost()
    splitter = QSplitter()
    tree = AddressSpaceView("preview", None, splitter)
    details = NodeDetailsView(splitter)
    events = EventsView(splitter)

    async def connect() -> None:
        handle = await host.open(lambda: OpcUaSession(url))
        await handle.connect()
        tree.set_handle(handle)
        tree.node_selected.connect(lambda tag: details.show_node(handle, tag))
        tree.events_requested.connect(lambda tag: events.show_source(handle, tag))

    splitter.resize(1200, 700)
    splitter.show()
    with loop:
        loop.run_until_complete(connect())
        loop.run_forever()
    host.close()


if __name__ == "__main__":
    _preview()
