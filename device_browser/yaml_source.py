"""YAML files people write by hand: parsed fast, and every problem located by line and column.

The document is parsed once with libyaml's C parser where present, and the data is built
straight from its events: composing the node tree first (what ``yaml.load`` does) took three
quarters of the time of loading a 10,000-point profile. Documents with anchors, aliases,
explicit tags or merge keys, rare in hand-written files, go through ``yaml.load`` as usual.
Positions are needed only to explain a problem, so the node tree (which carries them) is
composed only then: a good profile never pays for it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from device_browser.session import DeviceError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a document is loaded or written.

    Loading a 10,000-point profile makes some 150,000 objects that all stay alive; each
    generational collection walks them again and finds nothing, which made the load 3 to 5
    times slower than the parse. Reference counting still frees what is dropped.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_NO_KEY = object()


class _Unusual(Exception):
    """Something :func:`_data_from_events` leaves to ``yaml.load``."""


def load_yaml(text: str) -> Any:
    """The data of a YAML document, as ``yaml.safe_load`` gives it; raises :class:`yaml.YAMLError`."""
    with _collector_paused():
        parser = _Loader(text)
        try:
            return _data_from_events(parser)
        except _Unusual:
            pass
        finally:
            parser.dispose()
        return yaml.load(text, Loader=_Loader)


def _data_from_events(parser: Any) -> Any:
    """Dicts, lists and scalars built from the parser's events, as the safe constructor builds them.

    Plain scalars are resolved (int, float, bool, null, timestamp) by the loader's own resolver
    and constructors, once per distinct text: a profile repeats "double", "r", "true" thousands
    of times. Raises :class:`_Unusual` for what only the full loader handles (or reports).
    """
    get = parser.get_event
    get()  # StreamStart
    if type(get()) is StreamEndEvent:  # no document at all
        return None
    containers: list[Any] = []
    keys: list[Any] = []  # per open container: the key waiting for its value (mappings)
    scalars: dict[str, Any] = {}
    result = None
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Unusual
            value = event.value
            if event.implicit[0]:  # plain: may be a number, a bool, null, …
                text, value = value, scalars.get(value, _NO_KEY)
                if value is _NO_KEY:
                    tag = parser.resolve(yaml.ScalarNode, text, (True, False))
                    if tag == _MERGE:
                        raise _Unusual
                    value = text if tag == _STR else parser.yaml_constructors[tag](parser, yaml.ScalarNode(tag, text))
                    scalars[text] = value
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Unusual
            containers.append({} if kind is MappingStartEvent else [])
            keys.append(_NO_KEY)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            keys.pop()
            value = containers.pop()
        elif kind is DocumentEndEvent:
            break
        else:  # an alias
            raise _Unusual
        if not containers:
            result = value
        elif type(containers[-1]) is list:
            containers[-1].append(value)
        elif keys[-1] is _NO_KEY:
            if isinstance(value, dict | list):  # the full loader says why this cannot be a key
                raise _Unusual
            keys[-1] = value
        else:
            containers[-1][keys[-1]] = value
            keys[-1] = _NO_KEY
    if type(get()) is not StreamEndEvent:  # a second document: the full loader refuses it
        raise _Unusual
    return result


def dump_yaml(data: Any) -> str:
    """YAML in the order of the data's keys (as written, not alphabetical), Unicode kept, 120 columns."""
    with _collector_paused():
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def read_source(path: Path, error: type[Exception] = DeviceError) -> str:
    """The UTF-8 text of a file someone wrote; :class:`error` naming the file if it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot be read ({exc})") from None


class YamlSource:
    """The text of one YAML file, its data, and positions on demand."""

    def __init__(self, text: str, source: Path | str, error: type[Exception] = DeviceError):
        self.text, self.source, self._error = text, source, error
        try:
            self.data = load_yaml(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise error(f"{source}{where}: not valid YAML: {exc.problem}") from None
        except yaml.YAMLError as exc:
            raise error(f"{source}: not valid YAML: {exc}") from None
        self._root: yaml.Node | None = None

    def position(self, path: Sequence[Any]) -> tuple[int, int]:
        """Line and column (1-based) of the value at ``path``, or of its nearest parent."""
        if self._root is None:
            with _collector_paused():
                self._root = yaml.compose(self.text, Loader=_Loader)
        node = self._root
        for key in path:
            if isinstance(node, yaml.MappingNode):
                match = next((v for k, v in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                match = node.value[key]
            else:
                match = None
            if match is None:
                break
            node = match
        if node is None:
            return 1, 1
        return node.start_mark.line + 1, node.start_mark.column + 1

    def where(self, path: Sequence[Any]) -> str:
        """``file (line L, column C)`` of the value at ``path``."""
        line, column = self.position(path)
        return f"{self.source} (line {line}, column {column})"
