"""A new app from one of the project's graphs: what ``millwright app new`` and the App panel write.

The graph's inputs become typed inputs (the project's ``bindings.yaml`` gives suggested
bindings), its outputs the app's outputs and the component versions it was saved with its
requirements (:func:`~app_packager.app_checks.derive_manifest`); the manifest goes to
``apps/<graph>/app.yaml``.
"""

from __future__ import annotations

import re
from pathlib import Path

from app_packager.app_checks import derive_manifest
from app_packager.build import APPS_FOLDER, app_registry
from app_packager.errors import AppError
from app_packager.manifest import MANIFEST_NAME, AppManifest
from device_browser.session import DeviceError
from device_browser.tags import load_bindings
from nodes.atomic_file import atomic_write_text
from nodes.graph import GraphFormatError, load_graph
from nodes.registry import ComponentRegistry

GRAPHS_FOLDER, BINDINGS_FILE = "graphs", "bindings.yaml"


def project_apps(project: Path) -> list[Path]:
    """The project's manifests, ``apps/*/app.yaml``, by folder name."""
    return sorted((Path(project) / APPS_FOLDER).glob(f"*/{MANIFEST_NAME}"))


def project_graphs(project: Path) -> list[str]:
    """The project's graphs as project paths (``graphs/pump_efficiency.json``)."""
    return [f"{GRAPHS_FOLDER}/{p.name}" for p in sorted((Path(project) / GRAPHS_FOLDER).glob("*.json"))]


def default_app_id(project: str, graph: str) -> str:
    """``com.example.<project>.<graph>`` in the labels a reverse-DNS id allows."""
    def label(text: str) -> str:
        cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
        return cleaned if cleaned[:1].isalpha() else f"app-{cleaned}".rstrip("-")

    return f"com.example.{label(project)}.{label(graph)}"


def write_new_app(project: Path, graph: str, app_id: str, registry: ComponentRegistry | None = None, *,
                  replace: bool = False, trust_scripts: bool | None = None) -> tuple[Path, AppManifest]:
    """Write ``apps/<graph>/app.yaml`` derived from project graph ``graph`` (a project path).

    An existing manifest is replaced only with ``replace``; a graph or bindings file that cannot
    be read raises :class:`AppError` naming it. ``registry`` defaults to the project's components.
    """
    project = Path(project)
    target = project / APPS_FOLDER / Path(graph).stem / MANIFEST_NAME
    if target.exists() and not replace:
        raise AppError(f"{target.relative_to(project).as_posix()} exists already")
    bindings_file = project / BINDINGS_FILE
    try:
        loaded = load_graph(project / graph)
        bindings = load_bindings(bindings_file) if bindings_file.is_file() else {}
    except (GraphFormatError, DeviceError) as exc:
        raise AppError(str(exc)) from None
    registry = registry or app_registry(project, loaded, graph, trust_scripts)[0]
    manifest = derive_manifest(loaded, graph, registry, app_id=app_id, bindings=bindings)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, manifest.to_yaml())
    return target, manifest
