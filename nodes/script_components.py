"""Script components: ``.py`` files in a project's ``components/`` folder, imported as component types.

A script declares its components exactly as the built-in library does (:mod:`nodes.component`):
a class deriving from :class:`~nodes.component.Component` with ``type_name``, ``title``, ports,
parameters, a docstring with the formula and a reference, and one vectorised ``process``. Every
such class defined in the file is a component type (or those listed in a module-level
``COMPONENTS``, as a plug-in does).

Importing a script runs its code, so nothing here decides *whether* to: the caller does, after
the user trusted the project folder (the workbench asks; ``millwright run-graph`` needs
``--trust``; the headless runtime runs what a verified app archive carries). Reading which types
a file declares (:func:`declared_type_names`) parses it and runs nothing.

A file that fails — a syntax error, an exception while importing, a declaration the registry
refuses, a type another file already provides — is a :class:`ScriptFailure` naming the file and
the line, with the traceback cut to the script's own frames; the other files still load.
:class:`ScriptLibrary` keeps each file's module and re-imports a file only when its text
changed, so a hot reload of one file leaves the classes of the others (and the nodes using
them) as they were.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import inspect
import json
import re
import subprocess
import sys
import time
import traceback
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nodes.component import Component, Kind, Param, Port, Text
from nodes.registry import ComponentRegistry, declaration_problem

MODULE_PREFIX = "millwright_scripts"  # the scripts' modules live in sys.modules as millwright_scripts.<stem>_<hash>
ORIGIN_PREFIX = "script "  # registry origin: "script components/pump.py"
_STEM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# module name → (file as shown, text) of every script imported in this process: a run in a worker
# process is given the very text whose classes the graph holds, even after the file was edited.
_SOURCES: dict[str, tuple[str, str]] = {}


@dataclass(frozen=True)
class ScriptFailure:
    """Why a script file gave no components: its file as shown, the line (if known), one-line reason, traceback."""

    file: str  # components/pump.py
    line: int | None
    message: str
    traceback: str = ""
    pending: bool = False  # not a verdict: the file is still being checked, the next refresh tries it again

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class ScriptModule:
    """One script file as last loaded: its text, and the classes it gave or why it gave none."""

    path: Path
    shown: str
    source: str
    digest: str
    module: types.ModuleType | None = None
    classes: tuple[type[Component], ...] = ()
    failure: ScriptFailure | None = None
    declared: tuple[str, ...] = ()  # the type names its source declares (read, not run)


def script_files(folder: Path) -> list[Path]:
    """The script files of a components ``folder``, sorted (``_helper.py`` and ``__init__.py`` are not scripts)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def declared_type_names(tree: ast.Module) -> Iterator[str]:
    """``type_name = "group.name"`` in the body of each class, as written in the source (nothing is run)."""
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for statement in cls.body:
            targets = statement.targets if isinstance(statement, ast.Assign) else \
                [statement.target] if isinstance(statement, ast.AnnAssign) else []
            value = getattr(statement, "value", None)
            if any(isinstance(t, ast.Name) and t.id == "type_name" for t in targets) \
                    and isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value


def declared_in_source(source: str) -> tuple[str, ...]:
    """The type names ``source`` declares, or none when it does not parse."""
    try:
        return tuple(declared_type_names(ast.parse(source)))
    except (SyntaxError, ValueError):
        return ()


def is_script_class(cls: type) -> bool:
    """Whether ``cls`` came from a script component file (its module is one of ours)."""
    return getattr(cls, "__module__", "").startswith(f"{MODULE_PREFIX}.")


def load_script(shown: str, source: str, path: Path | None = None) -> ScriptModule:
    """Import ``source`` (the file ``shown``, e.g. ``components/pump.py``) as a fresh module; never raises.

    The module is registered in ``sys.modules`` under a name of its own (dataclasses and
    pickling look classes up there); an older version of the same file is replaced.
    """
    path = Path(path) if path is not None else Path(shown)
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    loaded = ScriptModule(path, shown, source, digest, declared=declared_in_source(source))
    stem = path.stem if _STEM.match(path.stem) else "script"
    name = f"{MODULE_PREFIX}.{stem}_{digest[:12]}"
    filename = str(path)
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        loaded.failure = ScriptFailure(shown, exc.lineno, f"not valid Python: {exc.msg}",
                                       "".join(traceback.format_exception_only(type(exc), exc)))
        return loaded
    module = types.ModuleType(name, None)
    module.__file__ = filename
    _forget(stem)
    sys.modules.setdefault(MODULE_PREFIX, types.ModuleType(MODULE_PREFIX))
    sys.modules[name] = module
    _SOURCES[name] = (shown, source)
    try:
        exec(code, module.__dict__)  # a trusted project's own component file: the caller decided
    except BaseException as exc:  # SystemExit in a script is its failure too
        if isinstance(exc, KeyboardInterrupt):
            raise
        sys.modules.pop(name, None)
        line, text = _script_traceback(exc, filename)
        loaded.failure = ScriptFailure(shown, line, f"importing it raised {type(exc).__name__}: {exc}", text)
        return loaded
    loaded.module = module
    try:
        loaded.classes = tuple(_component_classes(module))
    except TypeError as exc:
        loaded.failure = ScriptFailure(shown, _line_of(source, "COMPONENTS"), str(exc))
        return loaded
    if not loaded.classes:
        loaded.failure = ScriptFailure(shown, None, "it declares no component: a class deriving from "
                                                    "nodes.component.Component with a type_name")
        return loaded
    for cls in loaded.classes:
        problem = declaration_problem(cls)
        if problem:
            loaded.failure = ScriptFailure(shown, _class_line(cls), f"{cls.__name__}: {problem}")
            loaded.classes = ()
            break
    return loaded


def _forget(stem: str) -> None:
    """Drop older modules of the file ``stem`` from sys.modules (their classes live on in nodes that hold them)."""
    prefix = f"{MODULE_PREFIX}.{stem}_"
    for name in [n for n in sys.modules if n.startswith(prefix)]:
        del sys.modules[name]


def _component_classes(module: types.ModuleType) -> Iterator[type[Component]]:
    listed = getattr(module, "COMPONENTS", None)
    if listed is not None:
        for item in listed:
            if not (inspect.isclass(item) and issubclass(item, Component)):
                raise TypeError(f"COMPONENTS lists {item!r}, which is not a component class")
            yield item
        return
    for value in vars(module).values():
        if inspect.isclass(value) and issubclass(value, Component) and value.__module__ == module.__name__ \
                and "type_name" in vars(value):
            yield value


def _class_line(cls: type) -> int | None:
    """The line of ``class Name`` in the script ``cls`` came from (read from its text, not from the disk)."""
    source = _SOURCES.get(cls.__module__, ("", ""))[1]
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return next((n.lineno for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls.__name__), None)


def _line_of(source: str, name: str) -> int | None:
    for number, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith(name):
            return number
    return None


def _script_traceback(exc: BaseException, filename: str) -> tuple[int | None, str]:
    """The line in the script where ``exc`` arose, and its traceback with only the script's frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    line = frames[-1].lineno if frames else getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
    text = "Traceback (most recent call last):\n" if frames else ""
    text += "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(exc), exc))
    return line, text


Vet = Callable[[Mapping[str, str]], dict[str, ScriptFailure]]


@dataclass
class ScriptLibrary:
    """The script files of one components folder, each loaded once per version of its text."""

    modules: dict[Path, ScriptModule] = field(default_factory=dict)

    def refresh(self, folder: Path, vet: Vet | None = None) -> set[Path]:
        """Read ``folder`` again: import new and changed files, drop removed ones; returns the files that changed.

        ``vet`` (e.g. :func:`vet_in_subprocess`) is given the new and changed files first; those it
        refuses are recorded as failed and not imported.
        """
        changed: set[Path] = set()
        files = script_files(folder)
        sources: dict[Path, str | OSError | UnicodeDecodeError] = {}
        for path in files:  # read once: what is vetted is what is imported, even if the file changes meanwhile
            try:
                sources[path] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                sources[path] = exc
        refused_now: set[Path] = set()
        if vet is not None:
            fresh = {f"{p.parent.name}/{p.name}": (p, text) for p, text in sources.items() if isinstance(text, str)
                     and (p not in self.modules or self.modules[p].source != text or _pending(self.modules[p]))}
            refused = vet({shown: text for shown, (_, text) in fresh.items()}) if fresh else {}
            for shown, failure in refused.items():
                path, text = fresh[shown]
                self.modules[path] = ScriptModule(path, shown, text, hashlib.sha256(text.encode()).hexdigest(),
                                                  failure=failure, declared=declared_in_source(text))
                refused_now.add(path)
                changed.add(path)
        for path in set(self.modules) - set(files):
            del self.modules[path]
            changed.add(path)
        for path, source in sources.items():
            shown = f"{path.parent.name}/{path.name}"
            if not isinstance(source, str):
                self.modules[path] = ScriptModule(path, shown, "", "",
                                                  failure=ScriptFailure(shown, None, f"cannot be read ({source})"))
                changed.add(path)
                continue
            old = self.modules.get(path)
            if old is not None and old.source == source and (path in refused_now or not _pending(old)):
                continue  # unchanged, or just refused by the vet
            self.modules[path] = load_script(shown, source, path)
            changed.add(path)
        return changed

    def load_sources(self, sources: Mapping[str, str]) -> None:
        """Load scripts given as text (``{"components/pump.py": source}``): a worker runs what the workbench showed."""
        for shown, source in sorted(sources.items()):
            path = Path(shown)
            old = self.modules.get(path)
            if old is None or old.source != source:
                self.modules[path] = load_script(shown, source, path)

    def register(self, registry: ComponentRegistry) -> list[ScriptFailure]:
        """Add every loaded class to ``registry``; the failures, including types another file or the library has."""
        failures = [m.failure for m in self.modules.values() if m.failure is not None]
        for module in sorted(self.modules.values(), key=lambda m: m.shown):
            if module.failure is not None:
                continue
            taken = [c for c in module.classes if c.type_name in registry and registry.get(c.type_name) is not c]
            if taken:
                cls = taken[0]
                failure = ScriptFailure(module.shown, _class_line(cls),
                                        f"its type '{cls.type_name}' is already provided by "
                                        f"{registry.origin(cls.type_name)}; choose another type_name")
                failures.append(failure)
                continue
            for cls in module.classes:
                registry.register(cls, origin=f"{ORIGIN_PREFIX}{module.shown}")
        return failures

    def failures(self) -> dict[str, ScriptFailure]:
        return {m.shown: m.failure for m in self.modules.values() if m.failure is not None}

    def sources(self) -> dict[str, str]:
        return {m.shown: m.source for m in self.modules.values()}


def _pending(module: ScriptModule) -> bool:
    return module.failure is not None and module.failure.pending


def script_sources(classes: list[type[Component]]) -> dict[str, str]:
    """The script files (as shown, with their text) the script classes among ``classes`` came from."""
    sources = {}
    for cls in classes:
        if not is_script_class(cls):
            continue
        if cls.__module__ in _SOURCES:
            shown, source = _SOURCES[cls.__module__]
            sources[shown] = source
    return sources


# -- declarations without code: what an app archive says of its script components -------------------

DECLARATIONS_SUFFIX = ".declarations.json"  # components/pump.py → components/pump.declarations.json


def declarations_text(classes: list[type[Component]]) -> str:
    """The declarations of ``classes`` as stable JSON (an app archive carries it beside the script)."""
    specs = [cls.spec() for cls in sorted(classes, key=lambda c: c.type_name)]
    return json.dumps({"schema_version": 1, "components": specs}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def declaration_classes(text: str, where: str) -> list[type[Component]]:
    """Component classes made from :func:`declarations_text` output: ports, units and parameters, no code.

    Verifying an archive checks its graph against these without running the script; ``process``
    of such a class raises. ValueError names ``where`` when the text is not a declarations file.
    """
    try:
        specs = json.loads(text)["components"]
        return [_declared(spec) for spec in specs]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{where}: not a component declarations file ({exc})") from None


def _declared(spec: dict) -> type[Component]:
    def text(value: dict) -> Text:
        return Text(value.get("en", ""), value.get("zh", ""))

    def port(p: dict) -> Port:
        return Port(p["name"], Kind(p["kind"]), p["unit"], text(p["title"]), text(p["description"]), p["required"])

    def param(p: dict) -> Param:
        return Param(p["name"], p["type"], p["default"], p.get("minimum"), p.get("maximum"),
                     tuple(p.get("choices", ())), p["unit"], text(p["title"]), text(p["description"]))

    def process(self, inputs, state):
        raise RuntimeError(f"{spec['type']} is a declaration only: its script was not loaded")

    return type(spec["type"].rpartition(".")[2].title().replace("_", ""), (Component,), {
        "__doc__": spec["summary"] or spec["type"], "__module__": __name__, "type_name": spec["type"],
        "version": spec["version"], "category": spec["category"], "title": text(spec["title"]),
        "inputs": tuple(port(p) for p in spec["inputs"]), "outputs": tuple(port(p) for p in spec["outputs"]),
        "params": tuple(param(p) for p in spec["params"]), "feedback": spec["feedback"], "process": process})


def declaration_mismatches(folder: Path, registry: ComponentRegistry) -> list[str]:
    """Each script in ``folder`` whose loaded classes differ from its ``NAME.declarations.json`` (as built).

    The archive was verified against the declarations; the runtime runs the code: they must agree.
    """
    problems = []
    for path in sorted(Path(folder).glob(f"*{DECLARATIONS_SUFFIX}")) if Path(folder).is_dir() else []:
        shown = f"{path.parent.name}/{path.name}"
        try:
            declared = {cls.type_name: cls.spec() for cls in declaration_classes(path.read_text("utf-8"), shown)}
        except (OSError, ValueError) as exc:
            problems.append(str(exc))
            continue
        for type_name, spec in sorted(declared.items()):
            cls = registry.get(type_name)
            if cls is None or not is_script_class(cls):
                problems.append(f"{shown}: declares '{type_name}', which its script does not provide")
            elif json.loads(json.dumps(cls.spec())) != spec:
                problems.append(f"{shown}: the script's '{type_name}' does not match its declaration in the archive")
    return problems


def undeclared_params(nodes, registry: ComponentRegistry) -> dict[str, list[str]]:
    """Node id → the parameters it holds that its script component no longer declares (after a reload).

    ``nodes`` are a graph's nodes; only nodes of script components are looked at, and only when
    their type is loaded (a file that fails to import keeps its nodes' values until it loads again).
    """
    dropped = {}
    for node in nodes:
        cls = registry.get(node.type)
        if cls is not None and is_script_class(cls):
            names = sorted(set(node.params) - {p.name for p in cls.params})
            if names:
                dropped[node.id] = names
    return dropped


# -- a first import in a throw-away process --------------------------------------------------------

VET_TIMEOUT_S = 20.0
_VET_DONE = "millwright-vet-done"


def vet_in_subprocess(sources: Mapping[str, str], timeout: float = VET_TIMEOUT_S) -> dict[str, ScriptFailure]:
    """Import each script (``{"components/x.py": text}``) in a process of its own first; the ones that hang or kill it.

    The workbench imports scripts into its own process, so one whose module-level code never returns
    (a loop, a blocking read) or ends the process (``os._exit``, a crash in an extension) would take
    the window with it. Each file is first imported in a child (in parallel, ``timeout`` seconds in
    all); a file whose child did not finish cleanly is refused with the reason and never imported
    here. Other failures (exceptions, bad declarations) are left to the real import, which names
    them with the line. Module-level code therefore runs twice: once in the child, once here.
    """
    children = {}
    for shown in sources:
        children[shown] = subprocess.Popen(
            [sys.executable, "-c", f"from nodes.script_components import _vet_main; _vet_main({shown!r})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
    for child, source in zip(children.values(), sources.values(), strict=True):
        with contextlib.suppress(OSError):  # a child that died at once: its exit code says so below
            child.stdin.write(source)
        with contextlib.suppress(OSError):
            child.stdin.close()
        child.stdin = None  # written and closed: communicate() only reads
    failures = {}
    deadline = time.monotonic() + timeout
    for shown, child in children.items():
        try:
            out, _ = child.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            failures[shown] = ScriptFailure(shown, None, f"importing it did not finish within {timeout:g} s (code at "
                                                         "module level that never returns?); it was not loaded")
            continue
        if child.returncode != 0 or _VET_DONE not in out:
            failures[shown] = ScriptFailure(shown, None, f"importing it ended the process (exit code "
                                                         f"{child.returncode}); it was not loaded")
    return failures


def _vet_main(shown: str) -> None:
    """The child of :func:`vet_in_subprocess`: import the script read from stdin, say it came back."""
    source = sys.stdin.read()
    load_script(shown, source)
    print(_VET_DONE, flush=True)
