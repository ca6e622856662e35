"""Custom Python components in a project's ``components/`` folder: which an app uses, what they import.

Sites are offline: an app can only use the packages the headless runtime ships. The check reads
the source (it never runs it) and names the file, line and module of each other import. A file's
component types are the ``type_name = "group.name"`` strings its classes declare.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from app_packager.errors import AppError
from nodes.script_components import declared_type_names

# What the headless runtime ships besides the standard library: the engine's numerical stack and
# Millwright's own Qt-free packages (the workbench and the designer need Qt, which edge machines lack).
RUNTIME_PACKAGES = frozenset({"numpy", "scipy", "pandas", "pint", "nodes", "device_browser", "app_packager"})
_SHIPPED = ", ".join(sorted(RUNTIME_PACKAGES))


@dataclass(frozen=True)
class PythonComponentFile:
    path: Path
    shown: str  # as the user finds it: components/pump.py
    tree: ast.Module

    @property
    def type_names(self) -> set[str]:
        """The component types the file's classes declare."""
        return set(declared_type_names(self.tree))

    def import_problems(self) -> list[str]:
        """Each import of a package the runtime does not ship: ``components/x.py, line 3: …``."""
        problems = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                problems.append(f"{self.shown}, line {node.lineno}: a relative import (from {'.' * node.level}"
                                f"{node.module or ''}); an app's component must be one file")
                continue
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) else []
            for module in modules:
                top = module.partition(".")[0]
                if top not in RUNTIME_PACKAGES and top not in sys.stdlib_module_names:
                    problems.append(f"{self.shown}, line {node.lineno}: imports '{module}', which the app runtime "
                                    f"does not ship (it has the standard library and {_SHIPPED})")
        return problems


def python_components(folder: Path) -> list[PythonComponentFile]:
    """The ``*.py`` files in ``folder``, parsed; a file that is not valid Python raises :class:`AppError`."""
    files = []
    for path in sorted(Path(folder).glob("*.py")) if Path(folder).is_dir() else []:
        shown = f"{path.parent.name}/{path.name}"
        try:
            tree = ast.parse(path.read_bytes(), filename=shown)
        except SyntaxError as exc:
            raise AppError(f"{shown}, line {exc.lineno}: not valid Python ({exc.msg})") from None
        files.append(PythonComponentFile(path, shown, tree))
    return files
