"""A project's bindings file as a live model, and the check of bindings against typed inputs.

:class:`ProjectBindings` is the project's ``bindings.yaml`` (format: :mod:`device_browser.tags`)
held in memory: views read it, edit it through it (each edit writes the whole file atomically,
keeping the comment lines at its top) and follow its ``changed`` event. Comments inside the
entries are not kept: the file is rewritten from the data, in name order.

:func:`check_bindings` is what a live run and the headless app runtime ask before they start:
is every input bound, and can each tag feed its input — its values converted from the tag's unit
to the input's (``°C`` feeds ``K``; ``bar`` cannot feed ``degC``). A binding without a unit says
nothing about its tag's unit: its values are taken as they come.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from psygnal import Signal

from device_browser.tags import BindingError, TagRef, dump_bindings, parse_bindings
from device_browser.yaml_source import read_source
from nodes.atomic_file import atomic_write_text
from nodes.units import Conversion, UnitError, conversion

BINDINGS_FILE = "bindings.yaml"
DEFAULT_HEADER = "# Graph inputs bound to device tags: what a live run (and an app installed on site) reads.\n"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")  # as the schema's propertyNames
_BOOLEAN_TYPES = frozenset({"bool", "boolean", "bit"})


def check_name(name: str) -> None:
    """Raise :class:`BindingError` unless ``name`` can name a binding (an input of a graph or app)."""
    if not _NAME.fullmatch(name):
        raise BindingError(f"'{name}' cannot name a binding: use letters, digits, _ and . "
                           "(starting with a letter or _), e.g. discharge_pressure")


def name_from(text: str) -> str:
    """A binding name made from a point name or address (``PumpStation.Speed`` from ``nsu=…;s=PumpStation.Speed``)."""
    name = re.sub(r"[^A-Za-z0-9_.]+", "_", text.rpartition(";s=")[2] or text).strip("_.")
    return name if _NAME.fullmatch(name) else f"tag_{name}"


def new_name(ref: TagRef, taken: Iterable[str]) -> str:
    """A name for a new binding of ``ref``, not in ``taken``: its point's name (``flow``), else the device's
    and the point's (``pump2_flow``), else numbered (``flow2``)."""
    taken = set(taken)
    plain = name_from(ref.tag)
    for candidate in (plain, name_from(f"{ref.device}_{ref.tag}")):
        if candidate not in taken:
            return candidate
    return next(f"{plain}{n}" for n in range(2, len(taken) + 3) if f"{plain}{n}" not in taken)


def is_boolean(ref: TagRef) -> bool:
    """Whether the tag carries on/off values (a boolean signal rather than a number)."""
    return ref.data_type.lower() in _BOOLEAN_TYPES


class ProjectBindings:
    """The bindings (input name → tag) of the file ``path``, which need not exist yet.

    One instance per file and process (:meth:`at`), so that every view of a project follows the
    same bindings. A file that cannot be read leaves the bindings empty, says why in
    :attr:`problem`, and refuses edits (they would overwrite what the user wrote).
    """

    changed = Signal()
    _open: ClassVar[weakref.WeakValueDictionary[Path, ProjectBindings]] = weakref.WeakValueDictionary()

    def __init__(self, path: Path):
        self.path = Path(path)
        self.problem: str | None = None
        self._bindings: dict[str, TagRef] = {}
        self._header = DEFAULT_HEADER
        self._stamp: tuple[int, int] | None = None
        self._load()

    @classmethod
    def at(cls, path: Path) -> ProjectBindings:
        """The bindings of the file ``path``: the same object for the same file while anyone holds it."""
        key = Path(path).resolve()
        found = cls._open.get(key)
        if found is None:
            found = cls._open[key] = cls(key)
        return found

    # -- reading -------------------------------------------------------------------------------------
    def __contains__(self, name: object) -> bool:
        return name in self._bindings

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._bindings))

    def __len__(self) -> int:
        return len(self._bindings)

    def get(self, name: str) -> TagRef | None:
        return self._bindings.get(name)

    def as_dict(self) -> dict[str, TagRef]:
        return dict(self._bindings)

    def name_of(self, ref: TagRef) -> str | None:
        """The first name (in name order) bound to the same tag as ``ref``, whatever the units say."""
        return next((name for name in self if str(self._bindings[name]) == str(ref)), None)

    def refresh(self) -> bool:
        """Read the file again if it changed on disk since it was read or written; True if it did."""
        if _stamp(self.path) == self._stamp:
            return False
        self._load()
        self.changed.emit()
        return True

    def _load(self) -> None:
        self._stamp = _stamp(self.path)
        self._bindings, self.problem, self._header = {}, None, DEFAULT_HEADER
        if self._stamp is None:
            return
        try:
            text = read_source(self.path, BindingError)
            self._header = _header(text)
            self._bindings = parse_bindings(text, self.path)
        except BindingError as exc:
            self.problem = str(exc)

    # -- editing -------------------------------------------------------------------------------------
    def bind(self, name: str, ref: TagRef) -> None:
        self.update({name: ref})

    def unbind(self, name: str) -> None:
        self.update({name: None})

    def update(self, changes: Mapping[str, TagRef | None]) -> None:
        """Bind each name to its tag (None: unbind it) and write the file once; :class:`BindingError` says why not."""
        self.refresh()  # someone may have edited the file meanwhile: change theirs, not an old copy
        if self.problem:
            raise BindingError(f"{self.path.name} cannot be changed until it is fixed: {self.problem}")
        for name in changes:
            check_name(name)
        bindings = dict(self._bindings)
        for name, ref in changes.items():
            if ref is None:
                bindings.pop(name, None)
            else:
                bindings[name] = ref
        if bindings == self._bindings:
            return
        try:
            atomic_write_text(self.path, self._header + dump_bindings(bindings))
        except OSError as exc:
            raise BindingError(f"{self.path} cannot be written: {exc.strerror or exc}") from None
        self._bindings, self._stamp = bindings, _stamp(self.path)
        self.changed.emit()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _header(text: str) -> str:
    """The comment (and blank) lines at the top of a file, kept when it is rewritten."""
    lines = text.splitlines(keepends=True)
    count = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
                 len(lines))
    header = "".join(lines[:count])
    return header if not header or header.endswith("\n") else header + "\n"


# -- bindings against typed inputs ------------------------------------------------------------------

@dataclass(frozen=True)
class BindingCheck:
    """How bindings meet the inputs of a graph or app.

    ``conversions`` turn each bound tag's values into its input's unit; ``unbound`` inputs have no
    tag; ``unused`` bindings name no input (harmless: they may feed another graph of the project);
    ``problems`` are tags whose unit cannot feed their input.
    """

    conversions: dict[str, Conversion]
    unbound: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.unbound and not self.problems

    def message(self) -> str:
        """Why the inputs cannot run on these bindings ("" when they can)."""
        lines = list(self.problems)
        if self.unbound:
            lines.insert(0, f"bind the input(s) {', '.join(self.unbound)} to device tags "
                            "(in bindings.yaml, in the inspector, or by dropping a tag on the canvas)")
        return "; ".join(lines)


def feed_problem(name: str, ref: TagRef, input_unit: str) -> str | None:
    """Why tag ``ref`` cannot feed the input ``name`` declared in ``input_unit``, or None if it can."""
    if not ref.unit:
        return None
    try:
        conversion(ref.unit, input_unit)
    except UnitError as exc:
        return f"input '{name}' cannot read {ref}: {exc}"
    return None


def check_bindings(input_units: Mapping[str, str], bindings: Mapping[str, TagRef]) -> BindingCheck:
    """Check ``bindings`` (input name → tag, the tag's unit in the reference) against inputs (name → unit)."""
    conversions: dict[str, Conversion] = {}
    problems = []
    for name, unit in input_units.items():
        ref = bindings.get(name)
        if ref is None:
            continue
        problem = feed_problem(name, ref, unit)
        if problem:
            problems.append(problem)
        else:
            conversions[name] = conversion(ref.unit, unit) if ref.unit else Conversion()
    return BindingCheck(conversions, tuple(sorted(set(input_units) - set(bindings))),
                        tuple(sorted(set(bindings) - set(input_units))), tuple(problems))
