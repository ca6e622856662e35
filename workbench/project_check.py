"""``project check``: everything that can be checked in a project folder without devices.

* ``project.json`` against ``resources/schemas/project.schema.json``;
* every graph in ``graphs/``: structure against the graph schema, then meaning by the engine
  (:func:`nodes.validation.validate` with the component registry), every problem naming the
  file, node and port;
* every project component in ``components/*.json`` (:mod:`nodes.project_components`: a graph
  with exposed ports, data only), each bad one named; the graphs are checked with the good ones;
* every device profile in ``devices/`` (:func:`device_browser.profiles.parse_profile`, line
  and column), and that no two profiles claim one device id;
* references between them: the project's ``bindings.yaml`` naming a device with no profile
  or a point its profile lacks, or a unit the point's unit cannot convert to;
* leftover temporary files of interrupted saves and recordings, reported, and removed only
  when asked (``fix=True``): a check does not change the folder.

It never imports or runs the project's ``components/*.py``: checking a stranger's project must
not run their code. Component types defined there are found by reading the source
(:mod:`ast`), and nodes of those types are listed as not checked instead of as unknown.
"""

from __future__ import annotations

import ast
import difflib
import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

from app_packager.python_components import declared_type_names
from device_browser.profiles import DeviceProfile, ProfileError, parse_profile
from device_browser.store.files import is_store_file
from device_browser.tags import BindingError, parse_bindings
from device_browser.yaml_source import YamlSource
from nodes.atomic_file import TEMP_PREFIX
from nodes.composite import flatten
from nodes.graph import Graph, GraphFormatError
from nodes.project_components import COMPONENTS_FOLDER, component_files, component_type, load_project_components
from nodes.registry import ComponentRegistry, default_registry
from nodes.units import UnitError, conversion
from nodes.validation import Problem, validate
from workbench.project import Project, ProjectError

# Names of files that only exist while something is being written: atomic saves
# (nodes.atomic_file) and recording parts before their rename (device_browser.recorder).
TEMP_PATTERNS = (f"{TEMP_PREFIX}*.tmp", ".part-*.parquet.tmp")
PROFILE_SUFFIXES = (".yaml", ".yml", ".json")
BINDINGS_FILES = ("bindings.yaml", "bindings.yml")
INPUT_TYPE = "io.input"
NOT_CHECKED = "defined by the project's components/ (untrusted code is not run by check)"


@dataclass
class CheckReport:
    """What a check found. ``problems`` make the project fail; warnings and notes do not."""

    root: Path
    project: Project | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    graphs: int = 0
    components: int = 0
    profiles: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """``OK: 2 graphs, 3 device profiles checked``, or how many problems were found."""
        components = f"{_count(self.components, 'project component')}, " if self.components else ""
        counted = f"{_count(self.graphs, 'graph')}, {components}{_count(self.profiles, 'device profile')} checked"
        if self.ok:
            return f"OK: {counted}"
        return f"FAILED: {_count(len(self.problems), 'problem')} found; {counted}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def check_project(folder: Path, *, fix: bool = False, registry: ComponentRegistry | None = None) -> CheckReport:
    """Check the project in ``folder``; :class:`ProjectError` only if it is not a project at all.

    With ``fix`` leftover temporary files are removed; nothing else is ever changed.
    """
    root = Path(folder).expanduser().resolve()
    if root.name == "project.json":
        root = root.parent
    if not root.is_dir():
        raise ProjectError(f"{root} is not a folder, so it cannot be a Millwright project.", root)
    if not (root / "project.json").exists():
        raise ProjectError(f"{root} is not a Millwright project: it has no project.json.", root)
    report = CheckReport(root)
    try:
        report.project = Project.open(root, remove_temp_files=False)
    except ProjectError as exc:
        full = str(root / "project.json")
        report.problems += [line.replace(full, "project.json", 1) for line in str(exc).splitlines()]
    registry, unloaded = _with_project_components(root, registry or default_registry(), report)
    own_types = _project_component_types(root, report)
    inputs: set[str] | None = set()  # the names graph inputs are bound by; None: a graph was unreadable
    for path in _files(root / "graphs", (".json",)):
        report.graphs += 1
        names = _check_graph(path, _shown(path, root), registry, own_types, unloaded, report)
        inputs = None if names is None or inputs is None else inputs | names
    profiles = _check_profiles(root, report)
    for name in BINDINGS_FILES:
        if (root / name).is_file():
            _check_bindings(root / name, name, profiles, inputs, report)
    _leftovers(root, fix, report)
    return report


def _shown(path: Path, root: Path) -> str:
    """A path as the user sees it in messages: relative to the project, with / on every OS."""
    return path.relative_to(root).as_posix()


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                  and not p.name.startswith(".") and ".git" not in p.relative_to(folder).parts)


def _read_text(path: Path, shown: str, report: CheckReport) -> str | None:
    try:
        return path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        report.problems.append(f"{shown}: the file is not UTF-8 text (byte {exc.start + 1})")
    except OSError as exc:
        report.problems.append(f"{shown}: the file cannot be read ({exc.strerror})")
    return None


# --- graphs --------------------------------------------------------------------------------------

def _check_graph(path: Path, shown: str, registry: ComponentRegistry, own_types: dict[str, str],
                 unloaded: dict[str, str], report: CheckReport) -> set[str] | None:
    """Report the graph's problems; returns the names its inputs are bound by (None: unreadable)."""
    text = _read_text(path, shown, report)
    if text is None:
        return None
    try:
        graph = Graph.from_text(text, shown)
        flat = flatten(graph, registry)
    except GraphFormatError as exc:
        report.problems += exc.problems
        return None
    resolution = validate(flat, registry)
    fed = {(e.target, e.target_port) for e in flat.edges}
    known = [cls.type_name for cls in registry]
    for problem in resolution.problems:
        node = flat.nodes.get(problem.node or "")
        if problem.code == "missing_component" and node is not None and node.type in own_types:
            report.not_checked.append(f"{shown}: node '{node.id}' (type '{node.type}', "
                                      f"{own_types[node.type]}): {NOT_CHECKED}")
        elif problem.code == "missing_component" and node is not None and node.type in unloaded:
            report.problems.append(f"{shown}: node '{node.id}': its component {unloaded[node.type]} could not be "
                                   "loaded (see that file's problem)")
        elif problem.code == "unconnected_input" and (problem.node, problem.port) in fed:
            continue  # wired from a node whose type is unknown: that node's problem says so
        else:
            message = _graph_message(shown, problem)
            if problem.code == "missing_component" and node is not None and "did you mean" not in message:
                close = difflib.get_close_matches(node.type, known, n=3, cutoff=0.6)
                if close:
                    message += f" (did you mean {' or '.join(repr(c) for c in close)}?)"
            (report.problems if problem.severity == "error" else report.warnings).append(message)
    # A binding names an input by its column, or by its node id (model_designer.input_bindings).
    return {name for node in graph.nodes.values() if node.type == INPUT_TYPE
            for name in (str(node.params.get("column") or node.id), node.id)}


def _graph_message(shown: str, problem: Problem) -> str:
    where = shown
    if problem.node:
        where += f": node '{problem.node}'"
    if problem.port:
        where += f", port '{problem.port}'"
    return f"{where}: {problem.message}"


def _with_project_components(root: Path, base: ComponentRegistry,
                             report: CheckReport) -> tuple[ComponentRegistry, dict[str, str]]:
    """``base`` and the project's ``components/*.json``, and the types whose files could not be loaded.

    Each bad component file is a problem of its own.
    """
    folder = root / COMPONENTS_FOLDER
    registry, problems = load_project_components(folder, base)
    files = component_files(folder)
    report.components = len(files)
    report.problems += problems
    unloaded = {component_type(path.stem): _shown(path, root) for path in files}
    return registry, {type_name: shown for type_name, shown in unloaded.items() if type_name not in registry}


def _project_component_types(root: Path, report: CheckReport) -> dict[str, str]:
    """Component type → the ``components/`` file declaring it, read as text: nothing is imported or run."""
    types: dict[str, str] = {}
    for path in _files(root / "components", (".py",)):
        shown = _shown(path, root)
        text = _read_text(path, shown, report)
        if text is None:
            continue
        try:
            tree = ast.parse(text, filename=shown)
        except SyntaxError as exc:
            report.problems.append(f"{shown} (line {exc.lineno}, column {exc.offset}): not valid Python: {exc.msg}")
            continue
        for name in declared_type_names(tree):
            types.setdefault(name, shown)
    return types


# --- device profiles and bindings ---------------------------------------------------------------

@dataclass
class _Profiles:
    by_id: dict[str, tuple[str, DeviceProfile]] = field(default_factory=dict)
    unreadable: int = 0


def _check_profiles(root: Path, report: CheckReport) -> _Profiles:
    profiles = _Profiles()
    for path in _files(root / "devices", PROFILE_SUFFIXES):
        report.profiles += 1
        shown = _shown(path, root)
        text = _read_text(path, shown, report)
        if text is None:
            profiles.unreadable += 1
            continue
        try:
            profile = parse_profile(text, shown)
        except ProfileError as exc:
            report.problems += str(exc).splitlines()
            profiles.unreadable += 1
            continue
        if profile.id in profiles.by_id:
            report.problems.append(f"{shown}: device id '{profile.id}' is also the id of "
                                   f"{profiles.by_id[profile.id][0]}; each device needs its own id")
            continue
        profiles.by_id[profile.id] = (shown, profile)
    return profiles


def _check_bindings(path: Path, shown: str, profiles: _Profiles, inputs: set[str] | None,
                    report: CheckReport) -> None:
    text = _read_text(path, shown, report)
    if text is None:
        return
    try:
        bindings = parse_bindings(text, shown)
    except BindingError as exc:
        report.problems += str(exc).splitlines()
        return
    doc = YamlSource(text, shown, BindingError)
    for name in sorted(set(bindings) - inputs) if inputs is not None else ():
        report.warnings.append(f"{doc.where(['bindings', name])}: binding '{name}' is not used: no graph of the "
                               "project has an input of that name")
    for name, tag in bindings.items():
        found = profiles.by_id.get(tag.device)
        where = doc.where(["bindings", name, "device"])
        if found is None and profiles.unreadable:  # its profile may be one of those reported as unreadable
            report.not_checked.append(f"{where}: binding '{name}': device '{tag.device}': its profile may be "
                                      "one that could not be read")
            continue
        if found is None:
            ids = ", ".join(sorted(profiles.by_id)) or "none"
            report.problems.append(f"{where}: binding '{name}': device '{tag.device}' has no profile in "
                                   f"devices/ (devices: {ids})")
            continue
        profile_file, profile = found
        if not tag.point:
            continue  # a raw address is only known to the device itself
        try:
            point = profile.point(tag.point)
        except ProfileError:
            names = [p.name for p in profile.points]
            close = difflib.get_close_matches(tag.point, names, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            report.problems.append(f"{doc.where(['bindings', name, 'point'])}: binding '{name}': "
                                   f"{profile_file} has no point '{tag.point}'{hint}")
            continue
        if tag.unit and point.unit:
            try:
                conversion(point.unit, tag.unit)
            except UnitError as exc:
                report.problems.append(f"{doc.where(['bindings', name, 'unit'])}: binding '{name}': point "
                                       f"'{tag.point}' of {profile_file} is in {point.unit}, which cannot be "
                                       f"converted to {tag.unit} ({exc})")


# --- leftovers -----------------------------------------------------------------------------------

def _leftovers(root: Path, fix: bool, report: CheckReport) -> None:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            if is_store_file(name):  # a store's -wal holds committed samples: never a leftover
                continue
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in TEMP_PATTERNS):
                path = Path(folder) / name
                report.leftovers.append(path)
                if not fix:
                    continue
                try:
                    path.unlink(missing_ok=True)
                    report.removed.append(path)
                except OSError as exc:
                    report.problems.append(f"{_shown(path, root)}: cannot be removed ({exc.strerror})")
