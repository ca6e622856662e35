"""The workbench's side of script components: the trust question, the file watcher, canvases following reloads.

:class:`ScriptSupport` gives the project's :class:`~nodes.project_components.ProjectComponents`
its trust policy (the user's :class:`~app_packager.folder_trust.TrustedFolders`), and then:

* when a project opens with Python in ``components/`` that is not trusted, it asks "Trust this
  folder?" (window-modal, once per folder and session; nothing is imported before the answer, and
  an untrusted project stays open with those nodes shown as missing components);
* it watches ``components/`` and its ``*.py`` files (``QFileSystemWatcher``) and reloads after a
  burst of changes settles (an editor's save is a write, a rename and a delete); only the files
  whose text changed are imported again, each first in a throw-away process on a worker thread
  (a script that hangs or ends the process at import is refused, and the window stays responsive);
* after every reload, nodes on the open canvases whose script component no longer declares a
  parameter they hold let that value go (the others keep theirs); the canvases themselves draw
  the new ports (:meth:`~model_designer.canvas.scene.GraphScene.refresh_types`).

A file that fails to import is logged with its traceback (the Log panel shows it) by the
components model; its nodes show as missing until it loads again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from qtpy import shiboken
from qtpy.QtCore import QFileSystemWatcher, QObject, QTimer, Signal
from qtpy.QtWidgets import QMessageBox, QWidget

from app_packager.folder_trust import TrustedFolders
from nodes.project_components import ProjectComponents
from nodes.script_components import ScriptFailure, script_files, undeclared_params, vet_in_subprocess

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300
VET_TIMEOUT_S = 10.0  # a script whose import takes longer is refused (it would have frozen the window)


def _key(path: Path, source: str) -> tuple[str, str]:
    return path.name, hashlib.sha256(source.encode("utf-8")).hexdigest()


class ScriptSupport(QObject):
    """Trust, watching and reloading of the open project's script components (see the module docstring)."""

    trust_changed = Signal()  # the open project's folder was trusted (or not) just now
    vetted = Signal(object)  # from the vetting thread: verdicts for a reload

    def __init__(self, components: ProjectComponents, editors, window: QWidget | None = None,
                 trusted: TrustedFolders | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.components, self.editors, self.window = components, editors, window
        self.trusted = trusted or TrustedFolders()
        components.trust = self.trusted.is_trusted
        components.vet = self._vet
        self.vet_timeout_s = VET_TIMEOUT_S
        self._verdicts: dict[tuple[str, str], ScriptFailure | None] = {}  # (file name, text hash) → refused why
        self._pending = 0
        self._vetting: set[tuple[str, str]] = set()  # texts being vetted now
        self.vetted.connect(self._on_vetted)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _path: self._debounce.start())
        self.watcher.fileChanged.connect(lambda _path: self._debounce.start())
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.reload)
        self._asked: set[Path] = set()
        self.trust_box: QMessageBox | None = None
        self.reloads = 0  # reloads made here (watcher or save): tests and the curious count them
        components.changed.connect(self._on_components_changed)
        self._explained: set[int] = set()  # id() of the scenes whose missing script nodes say why
        editors.current_editor_changed.connect(lambda editor: shiboken.isValid(self) and self._explain(editor))
        if components.folder is not None:  # a project opened before this view was built
            self._on_components_changed()

    @property
    def untrusted(self) -> bool:
        """Whether the open project has script components that are not loaded for want of trust."""
        return bool(self.components.untrusted)

    def reload(self) -> None:
        """Reload the components folder once its new and changed scripts are vetted (off the UI thread).

        Each such file is first imported in a throw-away process (:func:`vet_in_subprocess`) on a
        worker thread; the reload itself then happens here with the verdicts at hand, so a script
        that hangs at import costs neither the window nor a frozen UI, only its own loading.
        """
        self._debounce.stop()
        folder = self.components.folder
        if folder is None or not self.components.trust(self.components.root):
            self._reload_now()
            return
        fresh = {}
        for path in script_files(folder):
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # the reload reports it
            module = self.components.scripts.modules.get(path)
            changed = module is None or module.source != source or (module.failure and module.failure.pending)
            if changed and _key(path, source) not in self._verdicts:
                fresh[f"{folder.name}/{path.name}"] = source
        self._start_vet(fresh)
        if not self._pending:  # else the reload comes when the vets under way end
            self._reload_now()

    def _vet_main(self, sources: dict[str, str]) -> None:
        failures = vet_in_subprocess(sources, self.vet_timeout_s)
        verdicts = {_key(Path(shown), source): failures.get(shown) for shown, source in sources.items()}
        if shiboken.isValid(self):
            self.vetted.emit(verdicts)

    def _on_vetted(self, verdicts: dict) -> None:
        self._verdicts.update(verdicts)
        self._vetting -= set(verdicts)
        self._pending -= 1
        if not self._pending:
            self._reload_now()

    def _reload_now(self) -> None:
        self.reloads += 1
        self.components.reload()

    def _vet(self, sources) -> dict:
        """The components model's vet: the verdicts reached off the UI thread.

        A text not vetted yet (a project just opened, a file changed since the last check) is held
        back as "being checked" and vetted on a worker thread; a reload follows the verdict. The
        UI thread never waits on a script's import.
        """
        known = {shown: self._verdicts[_key(Path(shown), text)] for shown, text in sources.items()
                 if _key(Path(shown), text) in self._verdicts}
        unknown = {shown: text for shown, text in sources.items() if _key(Path(shown), text) not in self._verdicts}
        if unknown:
            self._start_vet(unknown)
        held = {shown: ScriptFailure(shown, None, self.tr("being checked before it is loaded"), pending=True)
                for shown in unknown}
        return {shown: failure for shown, failure in {**known, **held}.items() if failure is not None}

    def _start_vet(self, sources: dict[str, str]) -> None:
        fresh = {shown: text for shown, text in sources.items() if _key(Path(shown), text) not in self._vetting}
        if not fresh:
            return
        self._vetting.update(_key(Path(shown), text) for shown, text in fresh.items())
        self._pending += 1
        threading.Thread(target=self._vet_main, args=(fresh,), name="vet-scripts", daemon=True).start()

    @property
    def busy(self) -> bool:
        """Whether scripts are being vetted before a reload."""
        return self._pending > 0

    def trust_folder(self) -> None:
        """Trust the open project's folder (remembered for this user) and load its script components."""
        root = self.components.root
        if root is None:
            return
        self.trusted.trust(root)
        log.info("The project folder %s is trusted: its script components are loaded", root)
        self.reload()
        self.trust_changed.emit()

    def ask_trust(self) -> None:
        """"Trust this folder?" for the open project; Yes loads its scripts, No leaves them unloaded."""
        root = self.components.root
        if root is None or self.trust_box is not None:
            return
        self._asked.add(root)
        names = ", ".join(path.name for path in self.components.untrusted)
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Trust this folder?"),
                          self.tr("The project in {folder} has Python components ({files}).").format(
                              folder=root, files=names),
                          QMessageBox.StandardButton.NoButton, self.window)
        box.setInformativeText(self.tr(
            "Their code runs on this computer with your rights as soon as they are loaded. Trust the folder only "
            "if you know where the project comes from. If you do not trust it, the project opens with those "
            "components not loaded, and nothing of them runs."))
        self.trust_yes = box.addButton(self.tr("Trust and load"), QMessageBox.ButtonRole.AcceptRole)
        self.trust_no = box.addButton(self.tr("Do not trust"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.trust_no)
        box.finished.connect(lambda _result: shiboken.isValid(self) and self._answered(box))
        self.trust_box = box
        box.open()

    def _answered(self, box: QMessageBox) -> None:
        trusted = box.clickedButton() is self.trust_yes
        self.trust_box = None
        box.deleteLater()
        if trusted and self.components.root is not None:
            self.trust_folder()
        else:
            log.warning("The project's script components are not loaded: the folder is not trusted "
                        "(%s); their nodes show as missing components", ", ".join(
                            p.name for p in self.components.untrusted))
            self.trust_changed.emit()

    # -- after each reload --------------------------------------------------------------------------
    def _on_components_changed(self) -> None:
        if not shiboken.isValid(self):
            return
        self._watch()
        self._forget_dropped_parameters()
        root = self.components.root
        if self.components.untrusted and root not in self._asked:
            self.ask_trust()

    def _explain(self, editor) -> None:
        """After each validation of ``editor``'s canvas, a node of a script type that is not loaded says why."""
        if editor is None or id(editor.canvas.scene) in self._explained:
            return
        scene = editor.canvas.scene
        key = id(scene)
        self._explained.add(key)
        scene.destroyed.connect(lambda _obj=None: self._explained.discard(key))
        scene.validated.connect(lambda: shiboken.isValid(self) and shiboken.isValid(scene) and self._add_reasons(scene))
        self._add_reasons(scene)

    def _add_reasons(self, scene) -> None:
        for node_id, item in scene.nodes.items():
            node = scene.graph.nodes.get(node_id)
            reason = self.components.not_loaded.get(node.type) if node is not None else None
            if reason and reason not in (item.problem or ""):
                item.set_problem(f"{item.problem}\n{reason}" if item.problem else reason)

    def _watch(self) -> None:
        """Watch the components folder and each script in it (a file replaced on save must be watched anew)."""
        watched = self.watcher.files() + self.watcher.directories()
        if watched:
            self.watcher.removePaths(watched)
        folder = self.components.folder
        if folder is not None and folder.is_dir():
            self.watcher.addPaths([str(folder), *(str(p) for p in script_files(folder))])

    def _forget_dropped_parameters(self) -> None:
        """Nodes of a reloaded script component keep the parameters it still declares, and only those."""
        for editor in self.editors.editors():
            graph = editor.graph
            for node_id, names in undeclared_params(graph.nodes.values(), self.components.registry).items():
                for name in names:
                    graph.reset_param(node_id, name)
                log.info("Node '%s' of graph '%s': %s no longer declared by %s, removed", node_id,
                         graph.name or editor.path.stem, ", ".join(f"parameter '{n}'" for n in names),
                         graph.nodes[node_id].type)
