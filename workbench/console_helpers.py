"""The names the console's kernel starts with: ``project``, ``recording``, ``run``, ``component``,
``try_component`` and ``plot`` (with ``np`` and ``pd``).

Imported in the kernel process, never in the workbench's, and headless (no Qt): a model
author tries a formula on recorded data the way the engine will run it, with the same readers
and the same engine, so what the console shows is what the canvas and the packaged app give::

    In [1]: project
    Out[1]: Project 'Pump station' in /home/me/pump_station
            graphs: pump_efficiency, vibration_alarm
            recordings: pump_run
    In [2]: data = recording("pump_run")          # a DataFrame: time, then one column per tag
    In [3]: out = run("pump_efficiency", data)    # the graph's outputs, one column each
    In [4]: plot(out, ["efficiency"])             # drawn inline
    In [5]: component("signal.bandpass")?         # the class, with its documentation
    In [6]: plot(try_component("signal.bandpass", data, {"x": "acc"},
       ...:                    {"low": 10, "high": 800, "sample_rate": 2000}))

The kernel finds the project in ``MILLWRIGHT_PROJECT`` (the console sets it and starts the
kernel in that folder). Mistakes are :class:`ConsoleError` with a message naming what is
missing and what there is instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from nodes.chunk import Chunk
    from nodes.component import Component
    from nodes.graph import Graph
    from nodes.registry import ComponentRegistry

PROJECT_ENV = "MILLWRIGHT_PROJECT"
RECORDING_SUFFIXES = (".csv", ".parquet", ".pq")
CHUNK_ROWS = 100_000  # rows per chunk when a graph runs over a recording file, as `millwright run-graph`


class ConsoleError(ValueError):
    """A helper called with something the project does not have; the message says what it has."""


@dataclass(frozen=True)
class StoredRecording:
    """A recording in a recording store (``device_browser.store``), by its store and name."""

    store: Path
    name: str

    def __repr__(self) -> str:
        return f"{self.name!r} in {self.store.name}"


@dataclass(frozen=True)
class ProjectData:
    """The open project as the console sees it: its folder and what is in it, read when asked.

    Listings are read again at each access, so a graph saved in the workbench or a recording
    copied into ``data/`` is there without restarting the kernel.
    """

    root: Path

    @property
    def name(self) -> str:
        from workbench.project import Project, ProjectError

        try:
            return Project.open(self.root, remove_temp_files=False).name
        except ProjectError:
            return self.root.name

    @property
    def graphs(self) -> dict[str, Path]:
        """Graph name (file stem) → file, from ``graphs/``."""
        folder = self.root / "graphs"
        return {path.stem: path for path in sorted(folder.glob("*.json"))} if folder.is_dir() else {}

    @property
    def recordings(self) -> dict[str, Path | StoredRecording]:
        """Recording name → its CSV or Parquet file in ``data/``, or its place in the project's recording store."""
        folder = self.root / "data"
        if not folder.is_dir():
            return {}
        found: dict[str, Path | StoredRecording] = {
            path.stem: path for path in sorted(folder.iterdir())
            if path.is_file() and path.suffix.lower() in RECORDING_SUFFIXES}
        for name in self.stored_recordings():
            found.setdefault(name, StoredRecording(self.store_path, name))  # a file of that name comes first
        return found

    @property
    def store_path(self) -> Path:
        """The project's recording store (``data/recordings.sqlite``), whether it exists or not."""
        from device_browser.store import project_store_path

        return project_store_path(self.root)

    def stored_recordings(self) -> list[str]:
        """The names of the recordings in the project's store, oldest first (none without a store)."""
        if not self.store_path.is_file():
            return []
        with _open_store(self.store_path) as store:
            return [recording.name for recording in store.recordings()]

    @property
    def components(self) -> list[str]:
        """The type names of the project's own components (``components/``), as the palette's Project group."""
        from nodes.project_components import PROJECT_GROUP

        return [cls.type_name for cls in self.registry() if cls.category == PROJECT_GROUP]

    def registry(self) -> ComponentRegistry:
        """Installed components and the project's own, read now, as ``millwright run-graph`` has them.

        The Python script components (``components/*.py``) are imported only if the folder was
        trusted in the workbench: opening the console runs no stranger's code by itself.
        """
        from workbench.graph_commands import component_registry

        return component_registry(self.root)

    @property
    def untrusted_scripts(self) -> list[str]:
        """The script component files left unloaded because the folder is not trusted."""
        from app_packager.folder_trust import TrustedFolders
        from nodes.project_components import COMPONENTS_FOLDER
        from nodes.script_components import script_files

        if TrustedFolders().is_trusted(self.root):
            return []
        return [f"{COMPONENTS_FOLDER}/{path.name}" for path in script_files(self.root / COMPONENTS_FOLDER)]

    def graph(self, name: str | Path) -> Graph:
        """The graph ``name`` of ``graphs/`` (or a graph file's path), loaded and checked."""
        from nodes.graph import load_graph

        return load_graph(_find(name, self.graphs, "graph", "graphs/ folder"))

    def __repr__(self) -> str:
        lines = [f"Project {self.name!r} in {self.root}"]
        for title, names in (("graphs", list(self.graphs)), ("recordings", list(self.recordings)),
                             ("components", self.components)):
            lines.append(f"  {title}: {', '.join(names) if names else '(none)'}")
        untrusted = self.untrusted_scripts
        if untrusted:
            lines.append(f"  not loaded: {', '.join(untrusted)} (Python runs only once the folder is trusted "
                         "in the workbench)")
        return "\n".join(lines)


class ConsoleHelpers:
    """The helpers bound to one project (None: the workbench had no project open)."""

    def __init__(self, root: Path | None):
        self.project = ProjectData(Path(root).resolve()) if root is not None else None

    def _project(self) -> ProjectData:
        if self.project is None:
            raise ConsoleError("No project is open in the workbench; open one and the console restarts in "
                               "its folder. Files can still be given by path.")
        return self.project

    def recording(self, name: str | Path, start: Any = None, end: Any = None, *,
                  label: str | None = None) -> pd.DataFrame:
        """The recording ``name`` as a DataFrame: a ``time`` column (UTC), then one column per tag.

        ``name`` is a recording of the project: a CSV or Parquet file of ``data/`` (``"pump_run"``)
        or a recording in its store (``data/recordings.sqlite``); or a file's path. Files are read
        by the reader graph runs use, with the same checks (times that go backwards, text that is
        not a number, each named with its line); empty cells are NaN. ``start`` and ``end`` (ISO
        text, datetimes or ns) keep ``start <= time < end``; ``label`` (stored recordings) keeps
        the samples inside the annotations with that label.
        """
        source = self._recording_source(name)
        if isinstance(source, StoredRecording):
            with _open_store(source.store) as store:
                frame = store.read(None, start, end, recording=source.name, label=label, form="wide")
            return frame.reset_index()
        if label is not None:
            raise ConsoleError(f"{source}: a file has no annotations; label= selects data of stored recordings")
        return _between(_read_file(source), start, end)

    def run(self, graph: str | Path | Graph, data: pd.DataFrame | str | Path,
            params: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
        """Run ``graph`` over ``data`` with the engine and return its outputs, one column each.

        ``graph`` is a graph of ``graphs/`` by name, a graph file's path, or a ``Graph``;
        ``data`` a DataFrame like :meth:`recording`'s (a ``time`` column or a DatetimeIndex, and a
        column per graph input) or a recording's name or path. ``params`` overrides parameters,
        ``{"node id": {"parameter": value}}``, as ``run-graph --param`` does. A node that fails
        is reported and its outputs are NaN; the other nodes run on.
        """
        import pandas as pd

        from device_browser.recordings import _wide  # the sink's own wide layout, so run() matches run-graph
        from nodes.engine import Run, compile_graph

        loaded = graph if not isinstance(graph, str | Path) else self._graph(graph)
        registry = self.project.registry() if self.project is not None else None
        compiled = compile_graph(loaded, registry, overrides=params)
        columns = list(compiled.inputs)
        if not isinstance(data, pd.DataFrame) and isinstance(self._recording_source(data), StoredRecording):
            data = self.recording(data)
        chunks = (_frame_chunks(data, columns) if isinstance(data, pd.DataFrame)
                  else self._recording_chunks(data, columns))
        engine_run = Run(compiled)
        frames = [_wide(engine_run.push(chunk)) for chunk in chunks]
        for node, message in engine_run.failures.items():
            print(f"node '{node}' failed: {message} (its outputs are NaN)", file=sys.stderr)
        result = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        result.attrs["failures"] = dict(engine_run.failures)
        return result

    def component(self, name: str) -> type[Component]:
        """The component class ``name`` (``"signal.bandpass"``, ``"project.pump_check"``), with its documentation.

        ``component("name")?`` shows the documentation (formula, references); its declaration
        is in ``.inputs``, ``.outputs`` and ``.params``, and ``.spec()`` gives all of it as a dict.
        """
        registry = self.project.registry() if self.project is not None else _installed()
        cls = registry.get(name)
        if cls is None:
            close = registry.close_matches(name)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ConsoleError(f"There is no component {name!r}.{hint} `project.components` lists the "
                               "project's own; `millwright components list` all of them.")
        return cls

    def try_component(self, name: str, data: pd.DataFrame | str | Path, columns: dict[str, str] | None = None,
                      params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run one component on recorded data, before it goes on a canvas: its outputs, and its inputs beside them.

        What the Scripts view's "Try on data" does, in the console: ``columns`` maps the
        component's input ports to the data's columns (default: each port reads the column of its
        own name); ``params`` sets its parameters. ``data`` is a DataFrame or a recording's name.
        The inputs come out as ``"<port> (input)"``, to be plotted beside the outputs::

            plot(try_component("signal.bandpass", "pump_run", {"x": "acc"},
                               {"low": 10, "high": 800, "sample_rate": 2000}))
        """
        import pandas as pd

        from model_designer.process_run import try_graph

        cls = self.component(name)
        frame = data if isinstance(data, pd.DataFrame) else self.recording(data)
        ports = [port.name for port in cls.inputs]
        columns = dict(columns) if columns is not None else {p: p for p in ports if p in frame.columns}
        unknown = sorted(set(columns) - set(ports))
        if unknown:
            raise ConsoleError(f"{name} has no input {', '.join(map(repr, unknown))} (its inputs: {', '.join(ports)})")
        if not columns:
            raise ConsoleError(f"None of the inputs of {name} ({', '.join(ports)}) is a column of the data; map them: "
                               f"columns={{{ports[0]!r}: 'a column'}} (columns: {', '.join(map(str, frame.columns))})")
        registry = self.project.registry() if self.project is not None else None
        return self.run(try_graph(name, registry or _installed(), columns, params), frame)

    def _graph(self, name: str | Path) -> Graph:
        from nodes.graph import load_graph

        if Path(name).suffix == ".json" and Path(name).exists():
            return load_graph(Path(name))
        return self._project().graph(name)

    def _recording_source(self, name: str | Path) -> Path | StoredRecording:
        if Path(name).suffix.lower() in RECORDING_SUFFIXES and Path(name).exists():
            return Path(name)
        return _find(name, self._project().recordings, "recording", "data/ folder or its store")

    def _recording_chunks(self, name: str | Path, columns: list[str]) -> Iterator[dict[str, Chunk]]:
        from device_browser.recordings import open_source

        source = open_source(self._recording_source(name))
        source.check_columns(columns)
        source.check_rows()
        return source.chunks(columns, CHUNK_ROWS)


def _installed() -> ComponentRegistry:
    """The installed components (built-in and plug-ins): what there is without a project."""
    from nodes.registry import default_registry

    return default_registry()


def _find(name: str | Path, known: Mapping[str, Any], what: str, folder: str) -> Any:
    """The file of ``known`` named ``name`` (with or without its suffix); else a message with close names."""
    if isinstance(name, Path) or os.sep in str(name):
        if Path(name).exists():
            return Path(name)
        raise ConsoleError(f"{name}: there is no such file")
    key = Path(name).stem if Path(name).suffix else name
    if key in known:
        return known[key]
    close = get_close_matches(key, known, n=3)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    there = ", ".join(known) or "none"
    raise ConsoleError(f"There is no {what} {name!r} in the project's {folder}.{hint} (there: {there})")


def _read_file(path: Path) -> pd.DataFrame:
    """A CSV or Parquet recording, read and checked as a graph run reads it."""
    import pandas as pd

    from device_browser.recordings import open_source

    source = open_source(path)
    columns = source.columns()
    source.check_rows()
    if not columns:
        raise ConsoleError(f"{path}: the recording has only its time column ({source.time_column})")
    frames = [_frame(chunks, columns) for chunks in source.chunks(columns, CHUNK_ROWS)]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _between(frame: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """The rows with ``start <= time < end`` (either may be None), times read as the store reads them."""
    if start is None and end is None:
        return frame
    from device_browser.store import to_ns

    t = frame["time"].dt.tz_convert(None).to_numpy("datetime64[ns]").view("int64")
    keep = (t >= to_ns(start, "start") if start is not None else True) & (
        t < to_ns(end, "end") if end is not None else True)
    return frame[keep].reset_index(drop=True)


@contextmanager
def _open_store(path: Path) -> Iterator[Any]:
    """The project's store opened read-only (the recorder may be writing: WAL readers never block it)."""
    from device_browser.store import open_store

    store = open_store(path, read_only=True)
    try:
        yield store
    finally:
        store.close()


def _frame(chunks: dict[str, Chunk], columns: list[str]) -> pd.DataFrame:
    """A recording's chunks (one per column, on one time base) as a frame with a ``time`` column."""
    import pandas as pd

    t = chunks[columns[0]].t
    frame = pd.DataFrame({"time": pd.to_datetime(t, utc=True)})
    for column in columns:
        frame[column] = chunks[column].v  # bad samples are NaN already
    return frame


def _frame_chunks(data: pd.DataFrame, columns: list[str]) -> Iterable[dict[str, Chunk]]:
    """One chunk per graph input from a DataFrame; refuses missing columns and times that go backwards."""
    import numpy as np
    import pandas as pd

    from nodes.chunk import BAD, GOOD, Chunk

    missing = [column for column in columns if column not in data.columns]
    if missing:
        raise ConsoleError(f"The graph needs column(s) {', '.join(map(repr, missing))}, which the data does not "
                           f"have (columns: {', '.join(map(str, data.columns))})")
    if "time" in data.columns:
        times = data["time"]
    elif isinstance(data.index, pd.DatetimeIndex):
        times = data.index.to_series()
    else:
        raise ConsoleError("The data needs a 'time' column or a DatetimeIndex (recording() gives the column)")
    if pd.api.types.is_numeric_dtype(times):
        t = np.round(times.to_numpy(np.float64) * 1e9).astype(np.int64)  # seconds since 1970, as recordings
    else:
        t = pd.to_datetime(times, utc=True).dt.tz_localize(None).to_numpy("datetime64[ns]").view(np.int64)
    backwards = np.flatnonzero(np.diff(t) < 0)
    if len(backwards):
        raise ConsoleError(f"The time goes backwards at row {backwards[0] + 1} of the data "
                           "(timestamps must increase; sort_values('time') sorts them)")
    chunk = {}
    for column in columns:
        values = pd.to_numeric(data[column], errors="coerce").to_numpy(np.float64)
        chunk[column] = Chunk(t, values, np.where(np.isnan(values), BAD, GOOD).astype(np.uint8))
    return [chunk]


def preload(shell: Any) -> None:
    """Put the helpers in the kernel's namespace (run by the kernel at start, see console_kernel.PRELOAD)."""
    import numpy as np
    import pandas as pd

    from workbench.console_plot import plot

    root = os.environ.get(PROJECT_ENV) or None
    helpers = ConsoleHelpers(Path(root) if root else None)
    shell.push({"project": helpers.project, "recording": helpers.recording, "run": helpers.run,
                "component": helpers.component, "try_component": helpers.try_component, "plot": plot,
                "np": np, "pd": pd})
