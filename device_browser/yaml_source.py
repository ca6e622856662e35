"""YAML files people write by hand: parsed fast, and every problem located by line and column.

The document is parsed once with libyaml's C loader where present. Positions are needed only
to explain a problem, so the node tree (which carries them) is composed only then: a good
10,000-point profile never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from device_browser.session import DeviceError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSource:
    """The text of one YAML file, its data, and positions on demand."""

    def __init__(self, text: str, source: Path | str, error: type[DeviceError] = DeviceError):
        self.text, self.source, self._error = text, source, error
        try:
            self.data = yaml.load(text, Loader=_Loader)
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
