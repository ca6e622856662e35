"""The headless app runtime: an app's graph streaming on live device tags, its outputs handed to sinks.

:func:`load_app` prepares everything that can be refused before a device is touched: the app
(an ``.iapp`` is verified first — signature, RECORD, manifest, graph — and unpacked into the
data folder; an installed folder's RECORD is checked against its files), the site's bindings
(checked against the manifest's typed inputs: every input bound, units convertible; outputs the
manifest permits to write may be bound too, as write targets), the parameter overrides (only
those the manifest lists, within their ranges) and the compiled graph (with the project
components the app carries).

:class:`AppRuntime` then runs it on the caller's asyncio loop: it opens the bound devices through
the device layer (:class:`~device_browser.workspace.DeviceWorkspace`: sessions on their own
thread, with their reconnect and backoff), subscribes the bound tags onto a
:class:`~device_browser.bus.LiveBus`, resamples them onto the rate grid
(:class:`~device_browser.live_input.LiveResampler`) and pushes each tick through the engine's
streaming run, handing the outputs to every sink. A device outage turns its inputs bad (the
session publishes a bad sample on losing the link) and so the outputs; they recover when it
reconnects. Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import os
import queue
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app_packager.errors import AppError
from app_packager.install import BINDINGS_NAME, binding_problems, unpack
from app_packager.manifest import MANIFEST_NAME, AppInput, AppManifest, load_manifest
from app_packager.runtime.device_writes import DeviceWriteSink, WriteTarget
from app_packager.runtime.metrics import NULL_METRICS, RuntimeMetrics
from app_packager.runtime.sinks import OutputSink
from app_packager.runtime.state import load_state, save_state
from app_packager.signing import record_problems
from app_packager.verify import verify_app
from device_browser.backoff import Backoff
from device_browser.bus import LiveBus
from device_browser.live_input import LiveResampler, LiveTag, live_tags
from device_browser.profiles import DeviceProfile
from device_browser.session import ConnectionState, ConnectionStatus, DeviceError
from device_browser.tags import TagRef, parse_bindings
from device_browser.watch import WatchItem
from device_browser.workspace import DeviceWorkspace
from device_browser.writes import AuditLog
from device_browser.yaml_source import read_source
from nodes.chunk import Chunk
from nodes.engine import CompiledGraph, GraphError, Run, compile_graph
from nodes.graph import GraphFormatError, load_graph
from nodes.project_components import COMPONENTS_FOLDER, load_project_components
from nodes.registry import default_registry
from nodes.script_components import declaration_mismatches
from nodes.units import UnitError, conversion

log = logging.getLogger(__name__)

DEFAULT_RATE_HZ = 10.0
NS = 1_000_000_000
UNPACKED_FOLDER = "app"  # where an .iapp's verified entries go in the data folder
PASSWORD_VARIABLE = "MILLWRIGHT_DEVICE_PASSWORD_{}"  # + the device id in capitals, other characters as _


@dataclass(frozen=True)
class RuntimeConfig:
    """How to run an app: which app, on which tags, at what rate, with which parameters."""

    app: Path  # an .iapp or an installed app's folder (ID/VERSION)
    data_dir: Path  # the unpacked app, the write audit and the saved state live here
    bindings: Path | None = None  # default: the installed folder's bindings.yaml
    devices: Path | None = None  # device profiles of the site; default: the app's devices/
    rate_hz: float | None = None  # default: the manifest's, else DEFAULT_RATE_HZ
    params: Mapping[str, float] = field(default_factory=dict)
    shadow: bool = False
    trusted: Mapping[str, Ed25519PublicKey] | None = None  # default: the trust store
    allow_unsigned: bool = False
    stale_after_s: float = 2.0


@dataclass(frozen=True)
class LoadedApp:
    """An app ready to run: checked, compiled, its tags known."""

    manifest: AppManifest
    folder: Path  # the app's files (unpacked or installed)
    compiled: CompiledGraph
    inputs: dict[str, LiveTag]  # input column → bus key and unit conversion
    bindings: dict[str, TagRef]  # the inputs' tags
    write_targets: dict[str, WriteTarget]  # permitted output → its tag
    devices: Path  # the folder of device profiles
    rate_hz: float
    publisher: str | None = None


def load_app(config: RuntimeConfig) -> LoadedApp:
    """Everything that can be refused before a device is opened; :class:`AppError` names what and where."""
    app = Path(config.app)
    if app.is_dir():
        folder, publisher = _checked_folder(app), None
    else:
        report = verify_app(app, trusted=config.trusted, allow_unsigned=config.allow_unsigned)
        folder = Path(config.data_dir) / UNPACKED_FOLDER
        shutil.rmtree(folder, ignore_errors=True)
        unpack(report.entries, folder)
        publisher = report.publisher
    manifest = load_manifest(folder / MANIFEST_NAME)
    bindings_path = Path(config.bindings) if config.bindings else folder / BINDINGS_NAME
    inputs_bound, write_targets = _bindings(manifest, bindings_path)
    compiled = _compiled(manifest, folder, parameter_overrides(manifest, config.params))
    tags = live_tags(compiled.input_units, inputs_bound, f"{manifest.id} {manifest.version}")
    rate = config.rate_hz or manifest.resources.get("rate_hz") or DEFAULT_RATE_HZ
    if not (math.isfinite(rate) and rate > 0):
        raise AppError(f"--rate {rate}: the rate must be a positive number of ticks per second")
    return LoadedApp(manifest, folder, compiled, tags, inputs_bound, write_targets,
                     Path(config.devices) if config.devices else folder / "devices", float(rate), publisher)


def parameter_overrides(manifest: AppManifest, params: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """``--param NAME=VALUE`` as the engine's overrides (node id → {param: value}), checked against the manifest."""
    overrides: dict[str, dict[str, float]] = {}
    for name, value in params.items():
        declared = manifest.parameters.get(name)
        if declared is None:
            listed = ", ".join(manifest.parameters) or "none"
            raise AppError(f"--param {name}: not a parameter the app lets a site set (its parameters: {listed})")
        low = -math.inf if declared.minimum is None else declared.minimum
        high = math.inf if declared.maximum is None else declared.maximum
        if not (math.isfinite(value) and low <= value <= high):
            raise AppError(f"--param {name}={value:g}: outside the permitted range {low:g} … {high:g}")
        overrides.setdefault(declared.node, {})[declared.param] = value
    return overrides


def _checked_folder(folder: Path) -> Path:
    """An installed app: its files must still be those its RECORD lists (install verified the signature)."""
    files = {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
             if path.is_file() and path.relative_to(folder).as_posix() != BINDINGS_NAME}
    if MANIFEST_NAME not in files:
        raise AppError(f"{folder}: not an app folder (no {MANIFEST_NAME}); give an .iapp or an installed app's "
                       "ID/VERSION folder")
    problems = record_problems(files)
    if problems:
        raise AppError(f"{folder}: the installed files do not match their RECORD (changed since install?):\n  "
                       + "\n  ".join(problems))
    return folder


def _bindings(manifest: AppManifest, path: Path) -> tuple[dict[str, TagRef], dict[str, WriteTarget]]:
    """The inputs' tags and the write targets of permitted outputs, from the site's bindings file."""
    writable = {limit.output for limit in manifest.permissions.write_tags}
    # Outputs the app may write are bound like inputs (by name, to a tag, with the unit it takes).
    as_inputs = dataclasses.replace(manifest, inputs={
        **manifest.inputs, **{name: AppInput(manifest.outputs[name].unit) for name in writable}})
    text = read_source(path, AppError)
    problems = [p for p in binding_problems(as_inputs, text, path)
                if not any(p.startswith(f"input '{name}' is not bound") for name in writable)]
    if problems:
        raise AppError(f"{path}: {manifest.id} {manifest.version} cannot run on these bindings:\n  "
                       + "\n  ".join(problems))
    bound = parse_bindings(text, path)
    targets = {}
    for name in writable & set(bound):
        ref = bound[name]
        try:
            targets[name] = WriteTarget(ref, conversion(manifest.outputs[name].unit, ref.unit or
                                                        manifest.outputs[name].unit))
        except UnitError as exc:
            raise AppError(f"{path}: output '{name}' cannot be written to {ref}: {exc}") from None
    return {name: ref for name, ref in bound.items() if name in manifest.inputs}, targets


def _compiled(manifest: AppManifest, folder: Path, overrides: dict[str, dict[str, float]]) -> CompiledGraph:
    # The app's files were verified (signature, RECORD): its script components are the publisher's and run.
    registry, problems = load_project_components(folder / COMPONENTS_FOLDER, default_registry(), scripts=True)
    problems += declaration_mismatches(folder / COMPONENTS_FOLDER, registry)
    if problems:
        raise AppError(f"{folder}: the app's components cannot be loaded:\n  " + "\n  ".join(problems))
    try:
        return compile_graph(load_graph(folder / manifest.graph), registry, overrides)
    except (GraphError, GraphFormatError) as exc:
        raise AppError(f"{folder / manifest.graph}: {exc}") from None


def device_password(profile: DeviceProfile) -> str | None:
    """A device's password from the environment (never from the bindings): MILLWRIGHT_DEVICE_PASSWORD_PUMP_1."""
    return os.environ.get(PASSWORD_VARIABLE.format(re.sub(r"[^A-Z0-9]", "_", profile.id.upper())))


TickObserver = Callable[[Mapping[str, Chunk], Mapping[str, Chunk]], object]


class AppRuntime:
    """Runs a :class:`LoadedApp` on the calling asyncio loop until asked to stop.

    ``sinks`` receive each tick's outputs (see :class:`~app_packager.runtime.sinks.OutputSink`);
    the runtime adds its own :class:`~app_packager.runtime.device_writes.DeviceWriteSink` when the
    app has write targets. ``on_tick(inputs, outputs)`` (optional) sees every tick, e.g. to record it.
    """

    def __init__(self, app: LoadedApp, config: RuntimeConfig, sinks: Sequence[OutputSink] = (), *,
                 metrics: RuntimeMetrics = NULL_METRICS, on_tick: TickObserver | None = None):
        self.app, self.config, self.metrics = app, config, metrics
        self.data_dir = Path(config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.bus = LiveBus(capacity=10_000)
        self.workspace = DeviceWorkspace(AuditLog(self.data_dir / "writes.jsonl"), self.bus)
        self.writes = DeviceWriteSink(app.manifest.permissions.write_tags, app.write_targets, self.workspace.write,
                                      shadow=config.shadow, metrics=metrics) if app.write_targets else None
        self.sinks: list[OutputSink] = [*sinks, *([self.writes] if self.writes else [])]
        self.run = Run(app.compiled)
        self.ticks = 0
        self.sink_failures = 0
        self._on_tick = on_tick
        self._last_tick = 0.0  # monotonic
        self._parameter_changes: queue.SimpleQueue[tuple[str, float]] = queue.SimpleQueue()
        self._devices = sorted({ref.device for ref in [*app.bindings.values(),
                                                      *(t.ref for t in app.write_targets.values())]})

    # -- health ------------------------------------------------------------------------------------
    def live(self) -> bool:
        """The loop ticks: the last tick is no older than a few periods (or none is due yet)."""
        return not self.ticks or time.monotonic() - self._last_tick < max(5.0, 10 / self.app.rate_hz)

    def ready(self) -> bool:
        """Every bound device is connected and the graph has run."""
        return self.ticks > 0 and all(self.workspace.entry(d).status.state is ConnectionState.CONNECTED
                                      for d in self._devices if d in {e.id for e in self.workspace.entries})

    # -- running -----------------------------------------------------------------------------------
    async def run_until(self, stop: asyncio.Event) -> None:
        """Connect, tick until ``stop`` is set, then close sinks, save the state and close the devices."""
        self._restore_state()
        started: list[OutputSink] = []
        connecting: list[asyncio.Task] = []
        try:
            for sink in self.sinks:
                await sink.start()
                started.append(sink)
            connecting = await self._open_devices()
            log.info("running %s %s at %g Hz", self.app.manifest.id, self.app.manifest.version, self.app.rate_hz,
                     extra={"app": self.app.manifest.id, "version": self.app.manifest.version,
                            "rate_hz": self.app.rate_hz, "shadow": self.config.shadow})
            await self._tick_until(stop)
        finally:
            for task in connecting:
                task.cancel()
            await self._shut_down(started)

    async def _open_devices(self) -> list[asyncio.Task]:
        await self.workspace.open_folder(self.app.devices)
        known = {entry.id: entry for entry in self.workspace.entries}
        missing = [d for d in self._devices if d not in known or known[d].profile is None]
        if missing:
            details = "; ".join(known[d].problem if d in known else f"no profile {d}.yaml" for d in missing)
            raise AppError(f"{self.app.devices}: the bindings name devices that cannot be opened: {details}")
        self.workspace.status_changed.connect(self._on_status)
        interval_ms = 1000.0 / self.app.rate_hz
        self.workspace.watch.extend([WatchItem(ref, interval_ms=interval_ms)
                                     for ref in dict.fromkeys(self.app.bindings.values())])
        for device in {t.ref.device for t in self.app.write_targets.values()}:
            self.workspace.enable_writes(device, not self.config.shadow)
        return [asyncio.create_task(self._keep_trying(device)) for device in self._devices]

    async def _keep_trying(self, device: str) -> None:
        """Connect a device that was not reachable at start; once connected its session reconnects itself."""
        backoff = Backoff(start=1.0, cap=15.0)
        while True:
            try:
                await self.workspace.connect(device, password_for=device_password)
                return
            except DeviceError as exc:
                delay = backoff.next_delay()
                log.warning("device %s not reachable, retrying in %.1f s: %s", device, delay, exc,
                            extra={"device": device, "reason": str(exc)})
                self.metrics.error(f"device {device}", str(exc))
                await asyncio.sleep(delay)

    def _on_status(self, device: str, status: ConnectionStatus) -> None:
        connected = status.state is ConnectionState.CONNECTED
        self.metrics.device_state(device, connected)
        if status.state is ConnectionState.RECONNECTING:
            self.metrics.reconnect(device)
        log.info("device %s %s", device, status.state.value,
                 extra={"device": device, "state": status.state.value, "reason": status.reason or ""})

    async def _tick_until(self, stop: asyncio.Event) -> None:
        resampler = LiveResampler(self.bus, self.app.inputs, self.app.rate_hz, self.config.stale_after_s,
                                  time.time_ns())
        while not stop.is_set():
            delay = (resampler.next_grid_ns - time.time_ns()) / NS
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            inputs = resampler.take(time.time_ns())
            if inputs is not None:
                await self._tick(inputs)

    # -- parameters a site may change while the app runs (Sparkplug DCMD) ------------------------
    def request_parameter(self, name: str, value: float) -> None:
        """Set an overridable parameter from any thread; it takes effect from the next tick on.

        The node gets a new component with the value; its state (totals, filter memory) is kept,
        as a restart with ``--param`` keeps it. The value holds until the runtime stops: a restart
        starts from its ``--param`` values again, and its DBIRTH tells the host which.
        """
        self._parameter_changes.put((name, value))

    def _apply_parameter_changes(self) -> None:
        while True:
            try:
                name, value = self._parameter_changes.get_nowait()
            except queue.Empty:
                return
            try:
                for node_id, params in parameter_overrides(self.app.manifest, {name: value}).items():
                    plan = next(p for p in self.run.compiled.plans if p.id == node_id)
                    plan.component = type(plan.component)({**plan.component.p, **params})
            except (AppError, ValueError) as exc:  # the node refuses the value (a cross-parameter rule)
                log.error("parameter %s not changed: %s", name, exc, extra={"parameter": name, "reason": str(exc)})
                self.metrics.error(f"parameter {name}", str(exc))
                continue
            log.info("parameter %s set to %g", name, value, extra={"parameter": name, "value": value})

    async def _tick(self, inputs: dict[str, Chunk]) -> None:
        self._apply_parameter_changes()
        outputs = self.run.push(inputs)
        for sink in self.sinks:
            try:
                await sink.publish(outputs)
            except Exception as exc:  # noqa: BLE001 - one failing sink must not stop the others
                self.sink_failures += 1
                log.error("output sink %s failed: %s", type(sink).__name__, exc,
                          extra={"sink": type(sink).__name__, "reason": f"{type(exc).__name__}: {exc}"})
                self.metrics.error(type(sink).__name__, str(exc))
        grid = next(iter(inputs.values())).t
        self.metrics.tick_latency((time.time_ns() - int(grid[-1])) / NS)
        for (node_id, _port), chunk in self.run.last_outputs.items():
            self.metrics.node_samples(node_id, len(chunk))
        self.ticks += 1
        self._last_tick = time.monotonic()
        if self._on_tick is not None:
            self._on_tick(inputs, outputs)

    async def _shut_down(self, started: list[OutputSink]) -> None:
        for sink in reversed(started):
            try:
                await asyncio.wait_for(sink.close(), 2.0)
            except Exception as exc:  # noqa: BLE001 - the others still close, the state is still saved
                log.error("closing output sink %s: %s", type(sink).__name__, exc or type(exc).__name__)
        self._save_state()
        try:
            await asyncio.wait_for(self.workspace.aclose(), 2.5)
        except TimeoutError:
            log.warning("the devices did not close within 2.5 s; leaving their sessions")
        log.info("stopped after %d ticks", self.ticks, extra={"ticks": self.ticks})

    # -- state of stateful components -------------------------------------------------------------
    def _restore_state(self) -> None:
        restored = load_state(self.data_dir, self.app.manifest, self.app.compiled, self.run)
        if restored:
            log.info("restored the state of %d nodes", restored, extra={"nodes": restored})

    def _save_state(self) -> None:
        try:
            save_state(self.data_dir, self.app.manifest, self.app.compiled, self.run)
        except OSError as exc:
            log.error("the state could not be saved in %s: %s", self.data_dir, exc)
