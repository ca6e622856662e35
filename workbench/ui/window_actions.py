"""The main window's actions, menus and toolbar, with their translatable texts in one place."""

from __future__ import annotations

from qtpy.QtCore import QObject
from qtpy.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from qtpy.QtWidgets import QMainWindow, QMenu, QStyle, QToolBar

from workbench.settings import THEMES

Key = QKeySequence.StandardKey
MENUS = ("file", "edit", "view", "device", "model", "app", "help")


class WindowActions(QObject):
    """Creates every action once; :meth:`retranslate` (re)sets all visible texts."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window = window
        style = window.style()

        def make(name: str, shortcut=None, icon=None) -> QAction:
            action = QAction(window)
            action.setObjectName(f"action_{name}")
            if shortcut is not None:
                action.setShortcuts(QKeySequence.keyBindings(shortcut) if isinstance(shortcut, Key)
                                    else [QKeySequence(shortcut)])
            if icon is not None:
                action.setIcon(style.standardIcon(icon))
            return action

        SP = QStyle.StandardPixmap
        self.new = make("new", Key.New, SP.SP_FileIcon)
        self.open = make("open", Key.Open, SP.SP_DialogOpenButton)
        self.open_example = make("open_example")
        self.save = make("save", Key.Save, SP.SP_DialogSaveButton)
        self.save_as = make("save_as", Key.SaveAs)
        self.close_project = make("close_project", Key.Close)
        self.clear_recent = make("clear_recent")
        self.quit = make("quit", Key.Quit)
        self.undo = make("undo", Key.Undo, SP.SP_ArrowBack)
        self.redo = make("redo", Key.Redo, SP.SP_ArrowForward)
        self._undo_text = self._redo_text = ""
        self.cut = make("cut", Key.Cut)
        self.copy = make("copy", Key.Copy)
        self.paste = make("paste", Key.Paste)
        self.preferences = make("preferences", Key.Preferences)
        self.reset_layout = make("reset_layout")
        self.open_devices_folder = make("open_devices_folder")
        self.open_graphs_folder = make("open_graphs_folder")
        self.open_components_folder = make("open_components_folder")
        self.open_apps_folder = make("open_apps_folder")
        self.about = make("about")
        self.about_qt = make("about_qt")
        self.themes = QActionGroup(window)
        self.theme = {}
        for code in THEMES:
            action = make(f"theme_{code}")
            action.setCheckable(True)
            action.setData(code)
            self.themes.addAction(action)
            self.theme[code] = action
        if not self.preferences.shortcuts():  # no platform binding on Linux
            self.preferences.setShortcut(QKeySequence("Ctrl+,"))
        if not self.quit.shortcuts():
            self.quit.setShortcut(QKeySequence("Ctrl+Q"))
        self.menus: dict[str, QMenu] = {}
        self.recent_menu = QMenu(window)
        self.recent_menu.setObjectName("menu_recent")
        self.theme_menu = QMenu(window)
        self.toolbar = QToolBar(window)
        self.toolbar.setObjectName("toolbar_main")

    def bind_undo_stack(self, stack: QUndoStack) -> None:
        """Drive Undo/Redo from ``stack``; their texts name the command, in the UI language.

        QUndoStack's own actions translate their prefix only once, at creation.
        """
        self.undo.triggered.connect(stack.undo)
        self.redo.triggered.connect(stack.redo)
        stack.canUndoChanged.connect(self.undo.setEnabled)
        stack.canRedoChanged.connect(self.redo.setEnabled)
        # Keep the texts the signals carry instead of asking the stack later: the stack can
        # emit while the window is being destroyed, when calling into it raises.
        stack.undoTextChanged.connect(self._undo_text_changed)
        stack.redoTextChanged.connect(self._redo_text_changed)
        self._undo_text, self._redo_text = stack.undoText(), stack.redoText()
        self.undo.setEnabled(stack.canUndo())
        self.redo.setEnabled(stack.canRedo())

    def _undo_text_changed(self, text: str) -> None:
        self._undo_text = text
        self._retranslate_undo()

    def _redo_text_changed(self, text: str) -> None:
        self._redo_text = text
        self._retranslate_undo()

    def _retranslate_undo(self) -> None:
        self.undo.setText(self.tr("&Undo {command}").format(command=self._undo_text).strip())
        self.redo.setText(self.tr("&Redo {command}").format(command=self._redo_text).strip())

    def build(self, dock_toggles: list[QAction], view_actions: dict[str, list[QAction]] | None = None) -> None:
        """Fill the menu bar and toolbar; ``view_actions`` are the views' own actions, by menu, listed first."""
        undo, redo = self.undo, self.redo
        bar = self.window.menuBar()
        for name in MENUS:
            menu = bar.addMenu("")
            menu.setObjectName(f"menu_{name}")
            self.menus[name] = menu
        file = self.menus["file"]
        file.addActions([self.new, self.open])
        file.addMenu(self.recent_menu)
        file.addAction(self.open_example)
        file.addSeparator()
        file.addActions([self.save, self.save_as])
        file.addSeparator()
        file.addActions([self.close_project])
        file.addSeparator()
        file.addAction(self.quit)
        edit = self.menus["edit"]
        edit.addActions([undo, redo])
        edit.addSeparator()
        edit.addActions([self.cut, self.copy, self.paste])
        edit.addSeparator()
        edit.addAction(self.preferences)
        view = self.menus["view"]
        view.addActions(dock_toggles)
        view.addAction(self.toolbar.toggleViewAction())
        view.addSeparator()
        self.theme_menu.addActions(list(self.theme.values()))
        view.addMenu(self.theme_menu)
        view.addAction(self.reset_layout)
        for menu, actions in (view_actions or {}).items():
            self.menus[menu].addActions(actions)
            self.menus[menu].addSeparator()
        self.menus["device"].addAction(self.open_devices_folder)
        self.menus["model"].addActions([self.open_graphs_folder, self.open_components_folder])
        self.menus["app"].addAction(self.open_apps_folder)
        self.menus["help"].addActions([self.about, self.about_qt])
        self.toolbar.addActions([self.new, self.open, self.save])
        self.toolbar.addSeparator()
        self.toolbar.addActions([undo, redo])
        self.window.addToolBar(self.toolbar)

    def retranslate(self) -> None:
        titles = (self.tr("&File"), self.tr("&Edit"), self.tr("&View"), self.tr("&Device"),
                  self.tr("&Model"), self.tr("&App"), self.tr("&Help"))
        for name, title in zip(MENUS, titles, strict=True):
            self.menus[name].setTitle(title)
        texts = {
            self.new: (self.tr("&New Project…"), self.tr("Create a new project folder")),
            self.open: (self.tr("&Open Project…"), self.tr("Open a project folder")),
            self.open_example: (self.tr("Open &Example Project"),
                                self.tr("Open the pump-station example shipped with Millwright")),
            self.save: (self.tr("&Save"), self.tr("Save the project")),
            self.save_as: (self.tr("Save Project &As…"),
                           self.tr("Copy the project to a new folder and continue there")),
            self.close_project: (self.tr("&Close Project"), self.tr("Close the project")),
            self.clear_recent: (self.tr("Clear Recent Projects"), ""),
            self.quit: (self.tr("&Quit"), self.tr("Quit Millwright")),
            self.cut: (self.tr("Cu&t"), ""), self.copy: (self.tr("&Copy"), ""), self.paste: (self.tr("&Paste"), ""),
            self.preferences: (self.tr("&Preferences…"), self.tr("Language, theme and autosave")),
            self.reset_layout: (self.tr("&Reset Panel Layout"), self.tr("Put every panel back where it started")),
            self.open_devices_folder: (self.tr("Open &Devices Folder"),
                                       self.tr("Show the project's devices folder in the file manager")),
            self.open_graphs_folder: (self.tr("Open &Graphs Folder"),
                                      self.tr("Show the project's graphs folder in the file manager")),
            self.open_components_folder: (self.tr("Open &Components Folder"),
                                          self.tr("Show the project's components folder in the file manager")),
            self.open_apps_folder: (self.tr("Open &Apps Folder"),
                                    self.tr("Show the project's apps folder in the file manager")),
            self.about: (self.tr("&About Millwright"), ""),
            self.about_qt: (self.tr("About &Qt"), ""),
            self.theme["system"]: (self.tr("Follow the &System"), ""),
            self.theme["light"]: (self.tr("&Light"), ""),
            self.theme["dark"]: (self.tr("&Dark"), ""),
        }
        for action, (text, tip) in texts.items():
            action.setText(text)
            action.setStatusTip(tip)
            action.setToolTip(tip if tip else text.replace("&", "").rstrip("…"))
        self._retranslate_undo()
        self.recent_menu.setTitle(self.tr("Open &Recent"))
        self.theme_menu.setTitle(self.tr("&Theme"))
        self.toolbar.setWindowTitle(self.tr("Main toolbar"))
        self.toolbar.toggleViewAction().setText(self.tr("Main &Toolbar"))
