"""Project components: sub-graphs saved in a project's ``components/`` folder as component types.

A file ``components/<name>.json`` is a graph file in the engine's format (as in ``graphs/``)
whose ``ports`` section says what is wired from outside. It is the component type
``project.<name>``, in the palette's "Project" group; its ``name`` is the title in English,
``name_zh`` (optional) the title in Chinese, and ``description`` the palette's description.
The engine inlines it like any composite (:mod:`nodes.composite`).

A project component is data, not code: loading one reads JSON and runs nothing, so a
stranger's project can be opened and checked safely. Components may use other project
components; they are loaded in dependency order, and a loop (a uses b uses a) is reported.
Each bad file is reported with its name and why; the good ones still load.

Python files in the same folder are *script components* (:mod:`nodes.script_components`): code,
imported only when the caller says the folder is trusted (``scripts=True``, or the trust policy
of :class:`ProjectComponents`). Untrusted, their types are listed in
:attr:`ProjectComponents.not_loaded` with the reason, and nodes of those types show as missing.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from pathlib import Path

from psygnal import Signal

from nodes.atomic_file import atomic_write_text
from nodes.component import Component, Text
from nodes.composite import COMPOSITE_TYPE, composite_component
from nodes.graph import Graph, GraphFormatError, load_graph
from nodes.registry import ComponentRegistry, declaration_problem
from nodes.script_components import (
    DECLARATIONS_SUFFIX,
    ScriptFailure,
    ScriptLibrary,
    Vet,
    declared_in_source,
    script_files,
)

COMPONENTS_FOLDER = "components"
PROJECT_GROUP = "project"  # the type names' group and the palette's category
CHINESE_TITLE = "name_zh"  # the graph file's key for the title in Chinese
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

log = logging.getLogger(__name__)


class ComponentFileError(ValueError):
    """A project component that cannot be saved; the message says why in the user's terms."""


class ComponentExistsError(ComponentFileError):
    """A component of that name exists already: saving again must be asked for (``overwrite``)."""


def component_type(name: str) -> str:
    """The type name of project component ``name`` (the file ``components/<name>.json``).

    Examples
    --------
    >>> component_type("vibration_check")
    'project.vibration_check'
    """
    return f"{PROJECT_GROUP}.{name}"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a project component (it is a file name and part of a type name), or None."""
    if _NAME.match(name):
        return None
    return (f"the component name '{name}' must start with a lower-case letter and use only a-z, 0-9 and _ "
            "(it names the file and the component type)")


def load_project_components(folder: Path, base: ComponentRegistry, *,
                            scripts: bool = False) -> tuple[ComponentRegistry, list[str]]:
    """A new registry holding ``base``'s types and the project components in ``folder``, and the problems found.

    ``base`` is not changed. A problem names the file (``components/pump.json: …``); the
    components without problems are loaded all the same. With ``scripts`` (the folder is
    trusted) the ``*.py`` script components are imported first, so graph components may use them.
    """
    folder = Path(folder)
    problems: list[str] = []
    if scripts:
        base = base.copy()
        library = ScriptLibrary()
        library.refresh(folder)
        problems += [str(failure) for failure in library.register(base)]
    registry = base.copy()
    graphs: dict[str, tuple[str, Graph]] = {}  # type name → (file as shown, graph)
    files = component_files(folder)
    for path in files:
        shown = f"{folder.name}/{path.name}"
        problem = name_problem(path.stem)
        type_name = component_type(path.stem)
        if problem is None and type_name in base:
            problem = f"its type '{type_name}' is already provided by {base.origin(type_name)}; rename the file"
        if problem is not None:
            problems.append(f"{shown}: {problem}")
            continue
        try:
            graphs[type_name] = (shown, load_graph(path))
        except GraphFormatError as exc:
            problems += [line.replace(str(path), shown) for line in exc.problems]
    uses = {type_name: _project_types_used(graph) for type_name, (_, graph) in graphs.items()}
    order, loops = _load_order(uses)
    for type_name in order:
        shown, graph = graphs[type_name]
        try:
            if type_name in loops:
                raise ValueError(f"components use each other in a loop ({loops[type_name]}); "
                                 "a component cannot contain itself")
            _check_uses(uses[type_name], registry, folder.name, {f.stem for f in files})
            registry.register(project_component(graph, type_name, registry), origin=f"project file {shown}")
        except ValueError as exc:  # GraphFormatError included: an exposed port naming a missing node
            problems.append(f"{shown}: {exc}")
    return registry, problems


def component_files(folder: Path) -> list[Path]:
    """The component files in a project's components ``folder``, sorted (none if it does not exist).

    An app's ``NAME.declarations.json`` (what its script ``NAME.py`` declares) is not one.
    """
    if not Path(folder).is_dir():
        return []
    return sorted(p for p in Path(folder).glob("*.json") if not p.name.endswith(DECLARATIONS_SUFFIX))


def project_component(graph: Graph, type_name: str, registry: ComponentRegistry) -> type[Component]:
    """The component class of a project component's graph; ValueError says what is wrong with it."""
    for node in _all_nodes(graph):
        if node.type != COMPOSITE_TYPE and node.type not in registry:
            raise ValueError(f"node '{node.id}' uses the component '{node.type}', which is not installed")
    title = Text(graph.name or type_name.rpartition(".")[2], str(graph.extra.get(CHINESE_TITLE, "")))
    cls = composite_component(graph, type_name, registry, title, category=PROJECT_GROUP)
    problem = declaration_problem(cls)
    if problem:
        raise ValueError(problem)
    return cls


def save_project_component(folder: Path, name: str, graph: Graph, title: Text, description: str = "", *,
                           registry: ComponentRegistry | None = None, overwrite: bool = False) -> Path:
    """Write ``graph`` as project component ``name`` into ``folder`` (whole or not at all); returns the file.

    ``graph`` should expose the ports wired from outside. The file is the graph's JSON with
    ``title`` and ``description`` as its name: stable key order, so it diffs well in git. With
    ``registry``, the component is first checked to load with those types. An existing component
    is replaced only with ``overwrite`` (:class:`ComponentExistsError` otherwise).
    """
    problem = name_problem(name)
    if problem:
        raise ComponentFileError(problem[:1].upper() + problem[1:] + ".")
    path = Path(folder) / f"{name}.json"
    if path.exists() and not overwrite:
        raise ComponentExistsError(f"There is already a component '{name}' ({Path(folder).name}/{path.name}).")
    saved = Graph.from_json(graph.to_json())  # a copy: the caller's graph keeps its name
    saved.name, saved.description = title.en.strip() or name, description.strip()
    saved.extra.pop(CHINESE_TITLE, None)
    if title.zh.strip():
        saved.extra[CHINESE_TITLE] = title.zh.strip()
    type_name = component_type(name)
    if type_name in _project_types_used(saved):
        raise ComponentFileError(f"The component '{name}' cannot contain itself.")
    if registry is not None:
        try:
            project_component(saved, type_name, registry)
        except ValueError as exc:
            raise ComponentFileError(f"'{name}' would not load as a component: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, saved.to_text())
    return path


class ProjectComponents:
    """The component types open to the project in use: ``base`` (built-ins, plug-ins) and its components.

    :attr:`registry` is one object for the holder's whole life, refilled when a project opens or
    closes and when a component is saved, so whatever holds it (canvases, runs, the inspector)
    finds the new types; ``changed`` tells views to redraw (the palette lists the new types).
    """

    changed = Signal()

    def __init__(self, base: ComponentRegistry, trust: Callable[[Path], bool] = lambda root: False):
        self.base = base
        self.registry = base.copy()
        self.problems: list[str] = []
        self.folder: Path | None = None
        # Whether the project in a folder may run its script components (the workbench asks the user once).
        self.trust = trust
        self.scripts = ScriptLibrary()
        self.script_failures: dict[str, ScriptFailure] = {}  # components/x.py → why it gave no components
        self.untrusted: list[Path] = []  # script files not imported: the folder is not trusted
        self.not_loaded: dict[str, str] = {}  # type name declared by a script that did not load → why
        # Imports new and changed scripts elsewhere first (the workbench: vet_in_subprocess), so that one
        # hanging or ending the process at import is refused instead of taking this process with it.
        self.vet: Vet | None = None

    def open(self, project_root: Path | None) -> None:
        """Follow the project in ``project_root`` (None: no project, the base types only)."""
        self.folder = Path(project_root) / COMPONENTS_FOLDER if project_root is not None else None
        self.reload()

    @property
    def root(self) -> Path | None:
        return self.folder.parent if self.folder is not None else None

    def reload(self) -> None:
        """Read the components folder again; each problem also goes to the log.

        Script files are re-imported only when their text changed (a hot reload of one file
        keeps the others' classes); a script that fails logs its traceback once per version.
        """
        base = self.base.copy()
        files = script_files(self.folder) if self.folder is not None else []
        self.untrusted, self.not_loaded = [], {}
        if files and self.trust(self.root):
            changed = self.scripts.refresh(self.folder, self.vet)
            failures = self.scripts.register(base)
            for failure in failures:
                for type_name in self.scripts.modules[self.folder / Path(failure.file).name].declared:
                    if type_name not in base:
                        self.not_loaded[type_name] = str(failure)
                if self.folder / Path(failure.file).name in changed and not failure.pending:
                    log.error("Script component not loaded: %s\n%s", failure, failure.traceback.rstrip())
            self.script_failures = {f.file: f for f in failures}
        else:
            self.scripts, self.script_failures, self.untrusted = ScriptLibrary(), {}, files
            for path in files:
                for type_name in declared_in_source(path.read_text(encoding="utf-8", errors="replace")):
                    self.not_loaded[type_name] = (f"{self.folder.name}/{path.name} is not loaded: the project "
                                                  "folder is not trusted to run its Python")
        if self.folder is None:
            loaded, self.problems = base, []
        else:
            loaded, self.problems = load_project_components(self.folder, base)
        for problem in self.problems:
            log.warning("Project component not loaded: %s", problem)
        self.problems = [str(f) for f in self.script_failures.values()] + self.problems
        self.registry.replace_with(loaded)
        self.changed.emit()

    def save(self, name: str, graph: Graph, title: Text, description: str = "", *, overwrite: bool = False) -> str:
        """Save ``graph`` as component ``name`` (see :func:`save_project_component`); returns its type name."""
        if self.folder is None:
            raise ComponentFileError("Open a project first: components are saved in its components folder.")
        save_project_component(self.folder, name, graph, title, description, registry=self.registry,
                               overwrite=overwrite)
        self.reload()
        type_name = component_type(name)
        if type_name not in self.registry:  # written, but it does not load: say why
            mine = f"{self.folder.name}/{name}.json"
            raise ComponentFileError("; ".join(p for p in self.problems if p.startswith(mine)) or mine)
        return type_name


def scripts_used(graph: Graph, folder: Path, installed: ComponentRegistry | None = None) -> list[str]:
    """The script files (``components/x.py``) declaring a type ``graph`` uses, also inside its project components.

    Read, not run: a command asks this before deciding whether the folder must be trusted. Types
    ``installed`` provides (built-ins, plug-ins) are not needed from a script.
    """
    folder = Path(folder)
    declared = {name: f"{folder.name}/{path.name}" for path in script_files(folder)
                for name in declared_in_source(path.read_text(encoding="utf-8", errors="replace"))}
    used: set[str] = set()
    pending, seen = [graph], set()
    while pending:
        current = pending.pop()
        used |= {node.type for node in _all_nodes(current)}
        for type_name in sorted(_project_types_used(current) - seen):
            seen.add(type_name)
            path = folder / f"{type_name.partition('.')[2]}.json"
            if path.is_file():
                with contextlib.suppress(GraphFormatError):  # loading the components says what is wrong
                    pending.append(load_graph(path))
    needed = {name for name in used if name in declared and (installed is None or name not in installed)}
    return sorted({declared[name] for name in needed})


def _all_nodes(graph: Graph):
    """The nodes of ``graph`` and, depth first, of every embedded composite inside it."""
    for node in graph.nodes.values():
        yield node
        if node.graph is not None:
            yield from _all_nodes(node.graph)


def _project_types_used(graph: Graph) -> set[str]:
    return {n.type for n in _all_nodes(graph) if n.type.startswith(f"{PROJECT_GROUP}.")}


def _check_uses(used: set[str], registry: ComponentRegistry, folder: str, names: set[str]) -> None:
    """ValueError naming a project component in ``used`` that is not loaded, and why."""
    missing = sorted(used - {cls.type_name for cls in registry})
    if not missing:
        return
    name = missing[0].partition(".")[2]
    if name in names:
        raise ValueError(f"it uses the component '{missing[0]}' ({folder}/{name}.json), which could not be loaded")
    raise ValueError(f"it uses the component '{missing[0]}', but there is no {folder}/{name}.json")


def _load_order(uses: dict[str, set[str]]) -> tuple[list[str], dict[str, str]]:
    """The components, each after those it uses; and the ones on a loop, with the loop as text."""
    order: list[str] = []
    loops: dict[str, str] = {}
    state: dict[str, str] = {}

    def visit(type_name: str, path: list[str]) -> None:
        if state.get(type_name) == "open":
            loop = [*path[path.index(type_name):], type_name]
            for member in loop:
                loops.setdefault(member, " → ".join(loop))
            return
        if type_name in state:
            return
        state[type_name] = "open"
        for used in sorted(uses[type_name]):
            if used in uses:
                visit(used, [*path, type_name])
        state[type_name] = "done"
        order.append(type_name)

    for type_name in sorted(uses):
        visit(type_name, [])
    return order, loops
