"""Batch runs: one graph over many recordings as a Dask distributed job.

``millwright run-graph GRAPH --input 'recordings/*.parquet' --output DIR`` hands each recording
to a Dask worker as one task (:func:`run_file`): the worker compiles the graph itself, runs the
recording through :func:`workbench.graph_commands.run_recording` (the single-file path, so each
result is the file a serial run writes) and writes ``DIR/<stem>.<ext>`` atomically. We write no
scheduler of our own: without ``--scheduler`` a LocalCluster of worker processes is started on
this machine and shut down at the end, Ctrl-C included.

What a task carries is text, never a shared disk: the graph's JSON and the project's component
files (``components/*.json``, and its ``*.py`` scripts when the user trusted them). The
recordings and ``DIR`` are paths the workers open, so on a cluster they must be on a filesystem
every worker mounts at the same path.

Dask moves pickled code. The client connects only to the scheduler the user names (``tcp://`` or
``tls://`` with the user's certificates) and, before submitting, asks every worker for its
registry fingerprint (Millwright's version and every component type's version, the project's
components loaded there from the shipped files): a worker that differs is refused by address
with the differences named, and each task checks again where it runs.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import hashlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import __version__

if TYPE_CHECKING:
    import argparse

    from distributed import Client

    from nodes.registry import ComponentRegistry

EXIT_CLUSTER = 4  # the cluster cannot be reached, or no worker matches this Millwright
RECORDING_SUFFIXES = (".parquet", ".pq", ".csv")
CONNECT_TIMEOUT = 30  # seconds to reach a named scheduler and to see its first worker
SCHEMES = ("tcp://", "tls://")
# No dashboard; the scheduler's own HTTP endpoint (health, metrics) on a free loopback port, not 8787,
# which another cluster may hold (dashboard_address=None alone still tries 8787 and warns).
QUIET_SCHEDULER = {"dashboard_address": None, "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"}}
# Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's adaptive mmap
# threshold: every large array of every chunk is then a fresh mmap, ~64,000 page faults and 1.9x
# the CPU per 2 M-sample recording (measured, benchmark 'batch'). A batch worker holds no data
# between tasks, so the LocalCluster's workers keep glibc's default.
LOCAL_WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
MAX_LISTED = 6  # differences named per refused worker


class BatchError(ValueError):
    """A batch run that cannot start; the message names the file, pattern, option or worker."""


@dataclass(frozen=True)
class BatchJob:
    """What every task of a batch run carries: the graph and the project's components as text."""

    graph_text: str
    graph_name: str  # as the user named the graph file, for messages
    overrides: dict[str, dict[str, Any]]
    components: tuple[tuple[str, str], ...]  # (file name, text) of the project's components folder
    scripts: bool  # the user trusted the project's script components: they run on the workers too
    chunk: int
    time_column: str | None
    time_unit: str
    fingerprint: dict[str, Any]  # the client's: a worker whose own differs refuses the task


@dataclass
class FileResult:
    """One recording's outcome, as a worker reports it to the client."""

    input: str
    output: str
    worker: str = ""
    rows: int = 0
    written: int = 0
    seconds: float = 0.0
    node_failures: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # why nothing was written (None: the result file is complete)


# ----------------------------------------------------------------------------- on the worker

_registries: dict[str, ComponentRegistry] = {}
_registries_lock = threading.Lock()


def job_registry(job: BatchJob) -> ComponentRegistry:
    """The installed components plus the project's, loaded from the shipped files once per process.

    The files go to a private temporary ``components`` folder (removed at exit) and load through
    :func:`nodes.project_components.load_project_components`, as on the client.
    """
    from nodes.project_components import load_project_components
    from nodes.registry import default_registry

    if not job.components:
        return default_registry()
    digest = hashlib.sha256(repr((job.components, job.scripts)).encode("utf-8")).hexdigest()
    with _registries_lock:  # a worker may run several tasks at once in threads
        if digest not in _registries:
            root = Path(tempfile.mkdtemp(prefix="millwright-components-"))
            atexit.register(shutil.rmtree, root, True)
            folder = root / "components"
            folder.mkdir()
            for name, text in job.components:
                (folder / name).write_text(text, encoding="utf-8")
            _registries[digest] = load_project_components(folder, default_registry(), scripts=job.scripts)[0]
        return _registries[digest]


def registry_fingerprint(registry: ComponentRegistry) -> dict[str, Any]:
    """Millwright's version and every component type's version: equal fingerprints run a graph alike."""
    return {"millwright": __version__, "components": {cls.type_name: cls.version for cls in registry}}


def worker_fingerprint(job: BatchJob) -> dict[str, Any]:
    """This process's fingerprint with ``job``'s project components (run on each worker by ``client.run``)."""
    return registry_fingerprint(job_registry(job))


def fingerprint_differences(here: dict[str, Any], there: dict[str, Any]) -> list[str]:
    """What differs between the client's fingerprint ``here`` and a worker's ``there``, in words."""
    differences = []
    if here.get("millwright") != there.get("millwright"):
        differences.append(f"Millwright {there.get('millwright')} there, {here.get('millwright')} here")
    ours, theirs = here.get("components", {}), there.get("components", {})
    for name in sorted(set(ours) | set(theirs)):
        if name not in theirs:
            differences.append(f"{name} missing there (version {ours[name]} here)")
        elif name not in ours:
            differences.append(f"{name} version {theirs[name]} there, missing here")
        elif ours[name] != theirs[name]:
            differences.append(f"{name} version {theirs[name]} there, {ours[name]} here")
    if len(differences) > MAX_LISTED:
        differences[MAX_LISTED:] = [f"and {len(differences) - MAX_LISTED} more"]
    return differences


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:  # not on a Dask worker: the serial baseline, a test
        return "this process"


def run_file(job: BatchJob, source: str, output: str) -> FileResult:
    """The task of one recording: compile the graph here, run the recording, write ``output`` atomically.

    Every failure comes back as :attr:`FileResult.error` with the reason in the user's words, so
    one broken recording never costs the others; the output is written completely or not at all.
    """
    from device_browser.recordings import RecordingError
    from nodes.engine import GraphError, compile_graph
    from nodes.graph import Graph, GraphFormatError
    from workbench.graph_commands import run_recording

    result = FileResult(source, output, _worker_address())
    started = time.perf_counter()
    try:
        registry = job_registry(job)
        differences = fingerprint_differences(job.fingerprint, registry_fingerprint(registry))
        if differences:  # a worker that joined after the check
            raise BatchError(f"worker {result.worker} differs from this Millwright: {'; '.join(differences)}")
        compiled = compile_graph(Graph.from_text(job.graph_text, job.graph_name), registry, overrides=job.overrides)
        run = run_recording(compiled, Path(source), Path(output), chunk=job.chunk, time_column=job.time_column,
                            time_unit=job.time_unit)
        result.rows, result.written, result.node_failures = run.rows, run.written, run.failures
    except GraphError as exc:
        result.error = f"the graph cannot run here: {'; '.join(str(p) for p in exc.problems)}"
    except (RecordingError, BatchError, GraphFormatError) as exc:
        result.error = str(exc)
    except OSError as exc:
        result.error = f"{source}: {exc.strerror or exc}"
    except Exception as exc:  # noqa: BLE001 - a bug in one file's run is reported with it, the others go on
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - started
    return result


# ----------------------------------------------------------------------------- on the client

def is_batch(args: argparse.Namespace) -> bool:
    """Whether ``run-graph`` was asked for a batch run: several inputs, a pattern or folder, or a cluster."""
    inputs = [str(i) for i in args.input]
    return (len(inputs) > 1 or any(glob.has_magic(i) or Path(i).is_dir() for i in inputs)
            or args.scheduler is not None or args.workers is not None)


def expand_inputs(patterns: list[str]) -> list[Path]:
    """The recordings named by ``patterns`` (files, glob patterns, folders), absolute and without repeats.

    A pattern that matches no recording is refused by name: a typo must not run on nothing.
    """
    found: dict[Path, None] = {}
    for pattern in patterns:
        folder = Path(pattern)
        if folder.is_dir():
            matches = sorted(p for p in folder.iterdir() if p.suffix.lower() in RECORDING_SUFFIXES)
        elif glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        else:
            matches = [folder] if folder.is_file() else []
            if not matches:
                raise BatchError(f"{pattern}: the file does not exist")
        if not matches:
            raise BatchError(f"{pattern}: no recording matches (a folder gives its .parquet and .csv files)")
        found.update((p.resolve(), None) for p in matches)
    return list(found)


def plan_outputs(inputs: list[Path], folder: Path, fmt: str | None) -> list[tuple[Path, Path]]:
    """Each input with its result ``folder/<stem>.<ext>`` (``ext``: ``fmt``, else the input's own).

    Refused before anything runs: two inputs that would write one result, and a result that
    would replace an input recording.
    """
    from device_browser.recordings import RecordingError, check_output

    if folder.exists() and not folder.is_dir():
        raise BatchError(f"{folder}: this is a file; a batch run writes one result per recording into a folder")
    folder.mkdir(parents=True, exist_ok=True)
    plan, taken = [], {}
    for source in inputs:
        ext = f".{fmt}" if fmt else (".csv" if source.suffix.lower() == ".csv" else ".parquet")
        output = folder.resolve() / f"{source.stem}{ext}"
        if output in taken:
            raise BatchError(f"{taken[output]} and {source} would both write {output}; "
                             "rename one, or run them into different folders")
        taken[output] = source
        try:
            check_output(output, source)
        except RecordingError as exc:
            raise BatchError(str(exc)) from None
        plan.append((source, output))
    return plan


def component_payload(project: Path | None, scripts: bool) -> tuple[tuple[str, str], ...]:
    """The project's component files as (name, text): graph components, and script components when trusted."""
    from nodes.project_components import COMPONENTS_FOLDER, component_files
    from nodes.script_components import script_files

    if project is None:
        return ()
    folder = Path(project) / COMPONENTS_FOLDER
    files = component_files(folder) + (script_files(folder) if scripts else [])
    return tuple((path.name, path.read_text(encoding="utf-8", errors="replace")) for path in sorted(files))


def security_of(scheduler: str | None, ca: Path | None, cert: Path | None, key: Path | None):
    """The ``distributed.security.Security`` for ``scheduler``, or None for tcp:// and a LocalCluster.

    A tls:// scheduler needs the CA that signed it and this client's certificate (Dask's TLS is
    mutual); the TLS options without a tls:// scheduler are refused rather than silently unused.
    """
    given = {name: path for name, path in (("--tls-ca", ca), ("--tls-cert", cert), ("--tls-key", key)) if path}
    if scheduler is None or not scheduler.startswith("tls://"):
        if given:
            raise BatchError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for a tls:// scheduler only "
                             f"({'no --scheduler was given' if scheduler is None else scheduler + ' is plain tcp'})")
        return None
    if ca is None or cert is None:
        raise BatchError(f"{scheduler}: a tls:// scheduler needs --tls-ca (the CA that signed the cluster's "
                         "certificates) and --tls-cert (this client's certificate; --tls-key unless the key is "
                         "in the same file)")
    for name, path in given.items():
        if not Path(path).is_file():
            raise BatchError(f"{name} {path}: the file does not exist")
    from distributed.security import Security

    return Security(tls_ca_file=str(ca), tls_client_cert=str(cert), tls_client_key=str(key) if key else None,
                    require_encryption=True)


def check_scheduler(address: str) -> None:
    if not address.startswith(SCHEMES) or ":" not in address.partition("://")[2]:
        raise BatchError(f"--scheduler {address}: give the scheduler's address as tcp://HOST:PORT or "
                         "tls://HOST:PORT (the address the scheduler prints when it starts)")


def default_workers() -> int:
    """One worker process per CPU this process may use."""
    with contextlib.suppress(AttributeError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None, security=None) -> Iterator[Client]:
    """A client of the named scheduler, or of a LocalCluster of ``workers`` processes started quietly.

    The LocalCluster's worker processes are started with SIGINT ignored (they inherit it), so
    Ctrl-C reaches this process alone, which then closes the cluster: no worker is left behind
    and none prints a traceback of its own.
    """
    import dask
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        with _sigint_ignored(), dask.config.set(LOCAL_WORKER_CONFIG):
            cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                                   host="127.0.0.1", silence_logs=logging.ERROR, **QUIET_SCHEDULER)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, security=security, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    try:
        yield client
    finally:
        with _sigint_ignored():  # a second Ctrl-C must not leave the workers running
            with contextlib.suppress(Exception):
                client.close()
            if cluster is not None:
                cluster.close()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in this process (and the processes it starts meanwhile); only the main thread may."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def check_workers(client: Client, job: BatchJob) -> tuple[list[str], dict[str, str]]:
    """The workers that run this Millwright with these components, and the refused ones with why."""
    answers = client.run(worker_fingerprint, job, on_error="return")
    accepted, refused = [], {}
    for address, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            reason = (f"Millwright is not installed there ({answer})" if isinstance(answer, ImportError)
                      else f"it cannot load the components ({type(answer).__name__}: {answer})")
            refused[address] = reason
            continue
        differences = fingerprint_differences(job.fingerprint, answer)
        if differences:
            refused[address] = "; ".join(differences)
        else:
            accepted.append(address)
    return accepted, refused



def run_many(args: argparse.Namespace, graph_text: str, project: Path | None, scripts: bool,
             registry: ComponentRegistry) -> int:
    """``run-graph`` over many recordings; the exit code (1 if any recording failed, 3 if only nodes did)."""
    from workbench.graph_commands import EXIT_BAD_DATA, EXIT_INTERRUPTED, _fail, parse_overrides

    try:
        plan = plan_outputs(expand_inputs([str(i) for i in args.input]), Path(args.output), args.format)
    except BatchError as exc:
        return _fail(EXIT_BAD_DATA, str(exc))
    try:
        if args.scheduler is not None:
            check_scheduler(args.scheduler)
        if args.workers is not None and args.workers < 1:
            raise BatchError("--workers must be at least 1")
        security = security_of(args.scheduler, args.tls_ca, args.tls_cert, args.tls_key)
    except BatchError as exc:
        return _fail(EXIT_CLUSTER, str(exc))
    job = BatchJob(graph_text, str(args.graph), parse_overrides(args.param), component_payload(project, scripts),
                   scripts, args.chunk, args.time_column, args.time_unit, registry_fingerprint(registry))
    folder = Path(args.output).resolve()
    temporary_before = _temporary_files(folder)
    started, started_wall = time.perf_counter(), time.time()
    results: list[FileResult] = []
    accepted: list[str] = []
    try:
        with dask_client(args.scheduler, args.workers, security) as client:
            accepted += _accepted_workers(client, job, args.scheduler, args.workers)
            _submit_and_gather(client, job, plan, accepted, results, args.quiet)
    except BatchError as exc:
        return _fail(EXIT_CLUSTER, str(exc))
    except KeyboardInterrupt:
        if args.scheduler is None:  # our workers are gone: whatever they were writing is garbage
            for stray in _temporary_files(folder) - temporary_before:
                with contextlib.suppress(OSError):
                    stray.unlink()
        # Counted on disk: a worker may have finished a file whose news had not reached us yet.
        done = sum(1 for _, output in plan if output.exists() and output.stat().st_mtime >= started_wall)
        still = "" if args.scheduler is None else "; tasks already running on the cluster may still finish theirs"
        return _fail(EXIT_INTERRUPTED, f"interrupted; {done} of {len(plan)} results were written to {folder}{still}")
    return _report(results, folder, len(accepted), time.perf_counter() - started)


def _accepted_workers(client: Client, job: BatchJob, scheduler: str | None, wanted: int | None) -> list[str]:
    """The workers this run may use; the refused ones are named on stderr with what differs."""
    if scheduler is not None:
        try:
            client.wait_for_workers(wanted or 1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            have = len(client.scheduler_info().get("workers", {}))
            raise BatchError(f"the scheduler at {scheduler} has {have} worker(s) after {CONNECT_TIMEOUT} s "
                             f"(wanted {wanted or 1}); start workers with: dask worker {scheduler}") from None
    accepted, refused = check_workers(client, job)
    for address, reason in refused.items():
        print(f"millwright: worker {address} is refused: {reason}", file=sys.stderr)
    if not accepted:
        where = scheduler or "the LocalCluster"
        raise BatchError(f"no worker at {where} runs Millwright {__version__} with the components this graph "
                         "was checked with; nothing was run. Install the same Millwright and plug-ins on the "
                         "workers and restart them.")
    return accepted


def _submit_and_gather(client: Client, job: BatchJob, plan: list[tuple[Path, Path]], accepted: list[str],
                       results: list[FileResult], quiet: bool) -> None:
    """One task per recording, restricted to ``accepted`` when some worker was refused; ``results`` as they end."""
    from distributed import as_completed

    from workbench.graph_commands import _progress

    restrict = {}
    if set(accepted) != set(client.scheduler_info().get("workers", {})):
        restrict = {"workers": accepted, "allow_other_workers": False}
    run = uuid.uuid4().hex[:8]
    futures = {client.submit(run_file, job, str(source), str(output), key=f"millwright-{run}-{i}-{source.stem}",
                             pure=False, retries=0, **restrict): (source, output)
               for i, (source, output) in enumerate(plan)}
    progress = _progress(len(plan), quiet, unit="files", minimum=1)
    try:
        for future in as_completed(futures):
            source, output = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker died, the task was lost: this file only
                result = FileResult(str(source), str(output), error=f"the task failed on the cluster "
                                                                    f"({type(exc).__name__}: {exc})")
            results.append(result)
            progress.update(1)
            if result.error is not None and not progress.disable:  # else the summary is soon enough
                progress.write(f"millwright: {source.name} failed (see the summary at the end)", file=sys.stderr)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        progress.close()


def _report(results: list[FileResult], folder: Path, workers: int, seconds: float) -> int:
    from workbench.graph_commands import EXIT_BAD_DATA, EXIT_NODES_FAILED

    failed = sorted((r for r in results if r.error is not None), key=lambda r: r.input)
    rows = sum(r.rows for r in results)
    rate = rows / seconds if seconds > 0 else float("inf")
    print(f"{len(results) - len(failed)} of {len(results)} recordings done: {rows} rows in {seconds:.2f} s "
          f"({rate:,.0f} rows/s) on {workers} worker(s); results in {folder}")
    code = 0
    for result in sorted(results, key=lambda r: r.input):
        for node, message in result.node_failures.items():
            print(f"  {Path(result.input).name}: node '{node}' failed: {message} (its outputs are marked bad)",
                  file=sys.stderr)
            code = EXIT_NODES_FAILED
    if failed:
        print(f"{len(failed)} recording(s) failed; nothing was written for them:", file=sys.stderr)
        for result in failed:
            where = f" (on worker {result.worker})" if result.worker else ""
            reason = result.error if result.error.startswith(result.input) else f"{result.input}: {result.error}"
            print(f"  {reason}{where}", file=sys.stderr)
        code = EXIT_BAD_DATA
    return code


def _temporary_files(folder: Path) -> set[Path]:
    from nodes.atomic_file import TEMP_PREFIX

    return set(folder.glob(f"{TEMP_PREFIX}*.tmp"))
