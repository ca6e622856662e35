"""Build an app: check it, run its golden tests, pack it as a reproducible ``ID-VERSION.iapp``.

``build_app`` follows the archive layout of ``docs/apps.md``. It refuses, naming every problem,
when the manifest does not match the schema or the graph, the graph does not validate (each
problem names its node), a file the manifest names is missing or outside the project, a suggested
binding names a device without a profile, or a custom Python component imports a package the
runtime does not ship; and it refuses when a golden test fails (the report names the output, the
time and the difference). Only then is the archive written, atomically: a refused or cancelled
build leaves no file behind. The same project gives the same bytes: nothing of the build machine
(times, file dates, paths) enters the archive.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from app_packager.app_checks import component_versions, graph_problems, millwright_version
from app_packager.archive import write_archive
from app_packager.errors import AppError
from app_packager.folder_trust import TrustedFolders
from app_packager.golden import Cancelled, GoldenReport, run_golden_test
from app_packager.manifest import MANIFEST_NAME, AppManifest, ManifestError, load_manifest
from app_packager.python_components import PythonComponentFile, python_components
from app_packager.sbom import SBOM_NAME, UsedComponent, sbom_bytes
from device_browser.profiles import DeviceProfile, load_profile
from device_browser.session import DeviceError
from nodes.composite import CompositeComponent
from nodes.engine import CompiledGraph, GraphError, compile_graph
from nodes.graph import Graph, GraphFormatError, load_graph
from nodes.project_components import COMPONENTS_FOLDER, PROJECT_GROUP, load_project_components, scripts_used
from nodes.registry import ComponentRegistry, default_registry
from nodes.script_components import DECLARATIONS_SUFFIX, declarations_text, is_script_class

APPS_FOLDER = "apps"
BUILD_FOLDER = "build"  # inside the project, ignored by git
DEVICES_FOLDER = "devices"
GRAPH_ENTRY = "graph.json"
PROFILE_SUFFIXES = (".yaml", ".yml", ".json")

Progress = Callable[[str, float], None]  # (what is being done, fraction of the build done)


class BuildError(AppError):
    """A build refused; :attr:`problems` lists every reason, :attr:`reports` the golden tests run."""

    def __init__(self, summary: str, problems: list[str], reports: tuple[GoldenReport, ...] = ()):
        super().__init__("\n".join([summary, *(f"  {line}" for p in problems for line in p.splitlines())]))
        self.problems = problems
        self.reports = reports


@dataclass(frozen=True)
class BuildResult:
    path: Path
    manifest: AppManifest
    size: int
    sha256: str  # hex digest of the archive
    entries: tuple[str, ...]  # archive entries, RECORD excluded
    reports: tuple[GoldenReport, ...]
    notes: tuple[str, ...]  # what the author should know: graph warnings, an app without golden tests


@dataclass
class _App:
    """What an app is made of in its project, loaded and checked."""

    project: Path
    manifest: AppManifest
    shown: str  # the manifest as the user finds it: apps/pump/app.yaml
    graph_bytes: bytes
    graph: Graph
    registry: ComponentRegistry
    component_problems: list[str]  # project components that did not load
    compiled: CompiledGraph | None = None
    profiles: dict[str, Path] = field(default_factory=dict)  # device id → its profile file
    python_files: list[PythonComponentFile] = field(default_factory=list)  # the custom Python components used


def build_app(project: Path, manifest_path: Path | None = None, output: Path | None = None, *,
              progress: Progress = lambda step, done: None,
              cancelled: Callable[[], bool] = lambda: False, trust_scripts: bool | None = None) -> BuildResult:
    """Build the app of ``manifest_path`` (default: the project's only app) into ``output``.

    Default output: ``PROJECT/build/ID-VERSION.iapp``. ``progress`` is told each step;
    ``cancelled`` is asked between steps and during golden tests (:class:`Cancelled` then).
    An app using script components (``components/*.py``) runs them in its golden tests, so the
    project folder must be trusted: ``trust_scripts``, or (None) the user's trust store
    (:mod:`app_packager.folder_trust`). The archive carries each script with its declarations
    (``components/NAME.declarations.json``), which verify checks the graph against without running it.
    """
    project = Path(project).resolve()

    def step(what: str, done: float) -> None:
        if cancelled():
            raise Cancelled("the build was cancelled; nothing was written")
        progress(what, done)

    step("Reading the manifest", 0.0)
    manifest_path = Path(manifest_path) if manifest_path is not None else find_manifest(project)
    app = _load(project, manifest_path, trust_scripts)
    step("Checking the graph and the files the manifest names", 0.1)
    problems = _check(app)
    if problems:
        raise BuildError(f"Cannot build {app.shown} ({len(problems)} problem(s)):", problems)
    reports = []
    for index, test in enumerate(app.manifest.tests):
        step(f"Running golden test '{test.name}'", 0.2 + 0.6 * index / len(app.manifest.tests))
        reports.append(run_golden_test(test, app.compiled, project, cancelled))
    failed = [r for r in reports if not r.passed]
    if failed:
        raise BuildError(f"Cannot build {app.shown}: {len(failed)} of {len(reports)} golden test(s) failed:",
                         [r.describe() for r in failed], tuple(reports))
    step("Collecting the archive's files", 0.8)
    entries, used = _entries(app)
    step("Writing the SBOM", 0.9)
    entries[SBOM_NAME] = sbom_bytes(app.manifest, used, millwright_version(), entries)
    target = Path(output) if output is not None else project / BUILD_FOLDER / app.manifest.archive_name
    step(f"Writing {target.name}", 0.95)
    _write(target, entries, project)
    data = target.read_bytes()
    progress("Built", 1.0)
    notes = [str(w) for w in app.compiled.warnings]
    if not app.manifest.tests:
        notes.append(f"{app.shown}: the app has no golden tests, so nothing checked its outputs")
    return BuildResult(target, app.manifest, len(data), hashlib.sha256(data).hexdigest(), tuple(sorted(entries)),
                       tuple(reports), tuple(notes))


def find_manifest(project: Path, target: Path | None = None) -> Path:
    """The manifest to build: the project's only app, or the one ``target`` names (app.yaml, folder or graph)."""
    project = Path(project)
    manifests = sorted((project / APPS_FOLDER).glob(f"*/{MANIFEST_NAME}"))
    if target is None:
        return _only(manifests, f"{project}: the project has no app (no {APPS_FOLDER}/*/{MANIFEST_NAME}); make one "
                                f"with 'millwright app new {project} GRAPH'",
                     f"{project} has {len(manifests)} apps ({_shown_list(project, manifests)}); name the one to "
                     "build by its app.yaml or its graph")
    path = next((p for p in (Path(target), project / target) if p.exists()), None)
    if path is None:
        raise AppError(f"{target}: there is no such file, nor in the project {project}")
    if path.is_dir():
        path = path / MANIFEST_NAME
    if path.suffix in (".yaml", ".yml"):
        return path
    owners = [m for m in manifests if _graph_of(project, m) == path.resolve()]
    return _only(owners, f"{target}: no app of the project is built from this graph; make one with "
                         f"'millwright app new {project} {target}'",
                 f"{target}: several apps are built from this graph ({_shown_list(project, owners)}); "
                 "name the app.yaml to build")


def _only(paths: list[Path], none: str, several: str) -> Path:
    """The one path of ``paths``; AppError with ``none`` or ``several`` otherwise."""
    if len(paths) != 1:
        raise AppError(several if paths else none)
    return paths[0]


def project_registry(project: Path, scripts: bool = False) -> tuple[ComponentRegistry, list[str]]:
    """The installed components plus the project's own (its scripts too with ``scripts``); the problems of those
    that did not load."""
    return load_project_components(Path(project) / COMPONENTS_FOLDER, default_registry(), scripts=scripts)


def app_registry(project: Path, graph: Graph, shown: str,
                 trust_scripts: bool | None = None) -> tuple[ComponentRegistry, list[str]]:
    """:func:`project_registry` for an app of ``graph``, with the script components it uses.

    Their code runs (golden tests, derived units), so the folder must be trusted: ``trust_scripts``,
    or (None) the user's trust store; :class:`AppError` names the scripts and ``shown`` otherwise.
    """
    scripts = scripts_used(graph, Path(project) / COMPONENTS_FOLDER, default_registry())
    if scripts and not (TrustedFolders().is_trusted(project) if trust_scripts is None else trust_scripts):
        raise AppError(f"{shown}: the app uses Python script components ({', '.join(scripts)}), whose code runs "
                       f"when it is built; trust the project folder {project} in the workbench, or give --trust")
    return project_registry(project, scripts=bool(scripts))


def _graph_of(project: Path, manifest_path: Path) -> Path | None:
    try:
        return (project / load_manifest(manifest_path).graph).resolve()
    except ManifestError:
        return None  # a broken manifest names no graph; building it says what is wrong


def _shown_list(project: Path, paths: list[Path]) -> str:
    return ", ".join(_shown(project, p) for p in paths)


def _shown(project: Path, path: Path) -> str:
    path = Path(path).resolve()
    return path.relative_to(project.resolve()).as_posix() if path.is_relative_to(project.resolve()) else str(path)


def _inside(project: Path, relative: str) -> Path | None:
    """``project/relative``, or None when it leaves the project folder."""
    path = (project / relative).resolve()
    return path if path.is_relative_to(project) else None


def _load(project: Path, manifest_path: Path, trust_scripts: bool | None = None) -> _App:
    manifest = load_manifest(manifest_path)
    shown = _shown(project, manifest_path)
    graph_path = _inside(project, manifest.graph)
    if graph_path is None:
        raise AppError(f"{shown}: graph: '{manifest.graph}' is outside the project folder {project}")
    try:
        graph_bytes = graph_path.read_bytes()
        graph = load_graph(graph_path)
    except GraphFormatError as exc:
        raise AppError(f"{shown}: graph: {exc}") from None
    except OSError as exc:
        raise AppError(f"{shown}: graph: {manifest.graph} cannot be read ({exc.strerror or exc})") from None
    registry, component_problems = app_registry(project, graph, shown, trust_scripts)
    return _App(project, manifest, shown, graph_bytes, graph, registry, component_problems)


def _check(app: _App) -> list[str]:
    """Every problem that stops the build before the golden tests; compiles the graph when it can."""
    problems = []
    try:
        app.compiled = compile_graph(app.graph, app.registry)
    except GraphError as exc:  # the manifest is not compared with it: that would only echo these
        problems += [f"{app.manifest.graph}: {p}" for p in exc.problems]
        problems += [f"{p} (the project component did not load)" for p in app.component_problems]
    else:
        problems += [f"{app.shown}: {p}" for p in graph_problems(app.manifest, app.graph, app.registry)]
    problems += _test_file_problems(app)
    app.profiles, profile_problems = _profiles(app)
    problems += profile_problems
    used = set(component_versions(app.graph, app.registry))
    app.python_files = [f for f in python_components(app.project / COMPONENTS_FOLDER) if f.type_names & used]
    problems += [p for f in app.python_files for p in f.import_problems()]
    return problems


def _test_file_problems(app: _App) -> list[str]:
    problems = []
    for index, test in enumerate(app.manifest.tests):
        if test.name in (".", ".."):
            problems.append(f"{app.shown}: tests.{index}.name: '{test.name}' cannot name a test's folder")
        for role, relative in (("input", test.input), ("expected", test.expected)):
            path = _inside(app.project, relative)
            if path is None:
                problems.append(f"{app.shown}: tests.{index}.{role}: '{relative}' is outside the project folder")
            elif not path.is_file():
                problems.append(f"{app.shown}: tests.{index}.{role}: {relative} does not exist")
    return problems


def _profiles(app: _App) -> tuple[dict[str, Path], list[str]]:
    """The profile file of each device the inputs' suggested bindings name, and what is missing."""
    wanted = {i.binding.device for i in app.manifest.inputs.values() if i.binding}
    found: dict[str, tuple[Path, DeviceProfile]] = {}
    unreadable = []
    folder = app.project / DEVICES_FOLDER
    for path in sorted(folder.iterdir()) if wanted and folder.is_dir() else []:
        if path.suffix not in PROFILE_SUFFIXES:
            continue
        try:
            profile = load_profile(path)
        except DeviceError:
            unreadable.append(f"{DEVICES_FOLDER}/{path.name}")
            continue
        if profile.id in wanted:
            found.setdefault(profile.id, (path, profile))
    problems = []
    for name, declared in app.manifest.inputs.items():
        ref = declared.binding
        if ref is None:
            continue
        if ref.device not in found:
            hint = f" ({', '.join(unreadable)} could not be read)" if unreadable else ""
            problems.append(f"{app.shown}: inputs.{name}.binding: no profile in {DEVICES_FOLDER}/ has the id "
                            f"'{ref.device}'{hint}")
        elif ref.point:
            try:
                found[ref.device][1].point(ref.point)
            except DeviceError as exc:
                problems.append(f"{app.shown}: inputs.{name}.binding: {exc}")
    return {device: path for device, (path, _) in found.items()}, problems


def _project_components_used(graph: Graph, registry: ComponentRegistry, used: set[str] | None = None) -> set[str]:
    """The project component types ``graph`` uses, and those they use in turn."""
    used = set() if used is None else used
    for node in graph.nodes.values():
        if node.graph is not None:
            _project_components_used(node.graph, registry, used)
        cls = registry.get(node.type)
        # Script components may be in the project group too: they are packed as scripts, not graph files.
        if node.type.startswith(f"{PROJECT_GROUP}.") and node.type not in used and cls is not None \
                and issubclass(cls, CompositeComponent):
            used.add(node.type)
            _project_components_used(cls.graph, registry, used)
    return used


def _entries(app: _App) -> tuple[dict[str, bytes], list[UsedComponent]]:
    """The archive's entries (SBOM and RECORD aside) and the components the SBOM lists."""
    manifest, project = app.manifest, app.project
    entries = {GRAPH_ENTRY: app.graph_bytes}
    tests = {}
    for test in manifest.tests:
        names = []
        for role, relative in (("input", test.input), ("expected", test.expected)):
            name = f"tests/{test.name}/{role}{Path(relative).suffix.lower()}"
            entries[name] = (project / relative).read_bytes()
            names.append(name)
        tests[test.name] = tuple(names)
    entries[MANIFEST_NAME] = manifest.with_paths(GRAPH_ENTRY, tests).to_yaml().encode("utf-8")
    for device, path in app.profiles.items():
        entries[f"{DEVICES_FOLDER}/{device}.yaml"] = path.read_bytes()
    used = [UsedComponent(name, app.registry.get(name).version, app.registry.origin(name))
            for name in component_versions(app.graph, app.registry)]
    for type_name in sorted(_project_components_used(app.graph, app.registry)):
        file_name = f"{type_name.partition('.')[2]}.json"
        data = (project / COMPONENTS_FOLDER / file_name).read_bytes()
        entries[f"{COMPONENTS_FOLDER}/{file_name}"] = data
        used.append(UsedComponent(type_name, app.registry.get(type_name).version, app.registry.origin(type_name),
                                  hashlib.sha256(data).hexdigest()))
    for python in app.python_files:
        data = python.path.read_bytes()
        entries[f"{COMPONENTS_FOLDER}/{python.path.name}"] = data
        classes = [cls for name in sorted(python.type_names) if is_script_class(cls := app.registry.get(name))]
        if classes:
            entries[f"{COMPONENTS_FOLDER}/{python.path.stem}{DECLARATIONS_SUFFIX}"] = \
                declarations_text(classes).encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        used = [replace(u, sha256=digest) if u.type_name in python.type_names else u for u in used]
    return entries, used


def _write(target: Path, entries: dict[str, bytes], project: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_archive(target, entries)
    except OSError as exc:
        raise AppError(f"{target}: the archive cannot be written ({exc.strerror or exc})") from None
    if target.resolve().is_relative_to(project / BUILD_FOLDER):
        ignore_build_folder(project)


def ignore_build_folder(project: Path) -> None:
    """Add ``build/`` to the project's .gitignore when it has one that does not ignore it yet."""
    path = Path(project) / ".gitignore"
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    if any(line.strip().strip("/") == BUILD_FOLDER for line in text.splitlines()):
        return
    separator = "" if not text or text.endswith("\n") else "\n"
    path.write_text(f"{text}{separator}{BUILD_FOLDER}/\n", encoding="utf-8")
