"""The state of stateful components (totalisers, run hours, filters) kept across restarts.

On shutdown the engine run's node states are pickled into ``DATA/state.pickle`` with a format
version and the graph's fingerprint (the app id and each node's id and type); on start they are
restored only when both match: states of another graph would be fed to the wrong components,
so a changed graph starts afresh and says why. The file is the runtime's own (in its data
volume), written atomically.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path

from app_packager.manifest import AppManifest
from nodes.atomic_file import atomic_write_bytes
from nodes.engine import CompiledGraph, Run

log = logging.getLogger(__name__)

STATE_FILE = "state.pickle"
STATE_VERSION = 1


def graph_fingerprint(manifest: AppManifest, compiled: CompiledGraph) -> str:
    """What the saved states belong to: the app and its nodes (id and type), in order."""
    text = "\n".join([manifest.id, *(f"{p.id}:{p.component.type_name}" for p in compiled.plans)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_state(data_dir: Path, manifest: AppManifest, compiled: CompiledGraph, run: Run) -> Path:
    path = Path(data_dir) / STATE_FILE
    payload = {"version": STATE_VERSION, "graph": graph_fingerprint(manifest, compiled), "app": manifest.id,
               "app_version": manifest.version, "states": run.states}
    atomic_write_bytes(path, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load_state(data_dir: Path, manifest: AppManifest, compiled: CompiledGraph, run: Run) -> int:
    """Put the saved states into ``run``; the number of nodes restored (0: none saved, or refused and logged)."""
    path = Path(data_dir) / STATE_FILE
    if not path.is_file():
        return 0
    try:
        payload = pickle.loads(path.read_bytes())  # the runtime's own file, in its data volume
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        log.warning("%s cannot be read (%s); the components start afresh", path, exc)
        return 0
    if not isinstance(payload, dict) or payload.get("version") != STATE_VERSION:
        log.warning("%s is of another format version; the components start afresh", path)
        return 0
    if payload.get("graph") != graph_fingerprint(manifest, compiled):
        log.warning("%s was saved by another graph (%s %s); the components start afresh", path,
                    payload.get("app"), payload.get("app_version"))
        return 0
    states = {node: state for node, state in payload["states"].items() if node in run.states}
    run.states.update(states)
    return len(states)
