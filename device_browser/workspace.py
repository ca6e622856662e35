"""The devices of the open project as the workbench works with them: profiles, sessions, watch list.

A pure model (psygnal, no Qt). :class:`DeviceWorkspace` reads the project's ``devices/*.yaml``
profiles, opens a session per device on a :class:`~device_browser.host.DeviceHost` (device I/O
never runs on the caller's loop), keeps the status of each for the Devices dock and the status
bar, keeps the watch list's tags subscribed, and is the one door for writes (per-device write
enable, then :func:`~device_browser.writes.safe_write` with its audit).

All samples of all devices go into one :class:`~device_browser.bus.LiveBus`, under the text of
their tag reference (``pump1/flow``, ``plc@40001``): the watch list, the trends and the
recorder read the same keys whatever the device's protocol.

Call every method from one asyncio loop (the UI's); events are emitted on that loop:

* ``devices_changed()`` — devices were added, removed, edited, or a project was opened/closed
* ``status_changed(device_id, ConnectionStatus)`` — a device's connection state changed
* ``writes_changed(device_id, enabled)`` — writes to a device were enabled or disabled
* ``active_changed(device_id)`` — the device whose tags the browser shows ("" for none)
* ``history_loaded(HistorySeries)`` — a history read finished (the trend view plots it)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal

from device_browser.bus import LiveBus, RenamingPublisher
from device_browser.connect import open_session
from device_browser.host import DeviceHost, RemoteSubscription, SessionHandle
from device_browser.profiles import DeviceProfile, load_profile
from device_browser.session import ConnectionState, ConnectionStatus, DeviceError, SessionCounters, WriteRefused
from device_browser.tags import TagRef
from device_browser.watch import WatchItem, WatchList
from device_browser.writes import AuditLog, WriteRecord, raw_write, record_refusal, safe_write
from nodes.atomic_file import atomic_write_text

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MS = 250.0  # a watched tag without its own interval: quick enough to see a valve move
PROFILE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class DeviceEntry:
    """One device of the project: its profile (or why it could not be read) and its connection."""

    id: str
    path: Path
    profile: DeviceProfile | None = None
    problem: str = ""  # why the profile could not be loaded, naming file, line and column
    status: ConnectionStatus = field(default_factory=ConnectionStatus)
    writes_enabled: bool = False

    @property
    def protocol(self) -> str:
        return self.profile.protocol if self.profile else ""

    @property
    def address(self) -> str:
        """Where the device is, in one line: an endpoint URL, host:port/unit or a serial port."""
        if self.profile is None:
            return ""
        conn = self.profile.connection
        if self.protocol == "opcua":
            return str(conn.get("endpoint", ""))
        if conn.get("framer") == "rtu":
            serial = conn.get("serial", {})
            return f"{serial.get('port', '?')} {serial.get('baudrate', 19200)} · unit {conn.get('unit_id', 1)}"
        return f"{conn.get('host', '?')}:{conn.get('port', 502)} · unit {conn.get('unit_id', 1)}"


PasswordFor = Callable[[DeviceProfile], str | None]


@dataclass(frozen=True)
class HistorySeries:
    """Stored values of one tag read from the device's history (OPC UA HistoryRead)."""

    ref: TagRef
    t: np.ndarray  # source times, ns since the epoch
    values: np.ndarray  # float64, NaN where a value is not a number
    quality: np.ndarray  # uint8, nodes.quality scale


class DeviceWorkspace:
    """The project's devices, their sessions on a device thread, the live bus and the watch list."""

    devices_changed = Signal()
    status_changed = Signal(str, object)  # device id, ConnectionStatus
    writes_changed = Signal(str, bool)  # device id, enabled
    active_changed = Signal(str)  # device id, "" for none
    history_loaded = Signal(object)  # HistorySeries

    def __init__(self, audit: AuditLog, bus: LiveBus | None = None, watch: WatchList | None = None,
                 host_factory: Callable[[], DeviceHost] = DeviceHost):
        self.audit = audit
        self.bus = bus or LiveBus()
        self.watch = watch if watch is not None else WatchList()
        self.trend = WatchList()  # the tags plotted in the trend view (each also needs to be watched to move)
        self._all_points: set[str] = set()  # devices whose every profile point is kept subscribed
        self.folder: Path | None = None
        self._active = ""
        self.loop: asyncio.AbstractEventLoop | None = None  # the caller's loop, known from the first connect
        self._host_factory = host_factory
        self._host: DeviceHost | None = None
        self._entries: dict[str, DeviceEntry] = {}
        self._handles: dict[str, SessionHandle] = {}
        self._stop_notify: dict[str, Callable[[], None]] = {}
        self._watched = _WatchSubscriptions(self)
        self.watch.inserted.connect(lambda *_: self._watched.sync_all())
        self.watch.removed.connect(lambda *_: self._watched.sync_all())
        self.watch.changed.connect(lambda *_: self._watched.sync_all())

    # -- the devices -------------------------------------------------------------------------------

    @property
    def entries(self) -> list[DeviceEntry]:
        return list(self._entries.values())

    def entry(self, device_id: str) -> DeviceEntry:
        try:
            return self._entries[device_id]
        except KeyError:
            raise DeviceError(f"There is no device '{device_id}' in this project") from None

    def handle(self, device_id: str) -> SessionHandle | None:
        """The device's session (None before it was connected once or after it was disconnected)."""
        return self._handles.get(device_id)

    @property
    def active(self) -> str:
        """The device whose tags the browser shows (chosen in the Devices view), "" for none."""
        return self._active

    @active.setter
    def active(self, device_id: str) -> None:
        if device_id != self._active:
            self._active = device_id
            self.active_changed.emit(device_id)

    def watch_all_points(self, device_id: str, on: bool = True) -> None:
        """Keep every point of the device's profile subscribed (a register map showing live values)."""
        if (device_id in self._all_points) != on:
            (self._all_points.add if on else self._all_points.discard)(device_id)
            if device_id in self._handles:
                self._watched.sync(device_id)

    def unit_of(self, ref: TagRef) -> str:
        """The unit of a tag: the reference's own, else its profile point's ("" if unknown)."""
        if ref.unit or not ref.point:
            return ref.unit
        entry = self._entries.get(ref.device)
        try:
            return entry.profile.point(ref.point).unit if entry and entry.profile else ""
        except DeviceError:
            return ""

    def counts(self) -> tuple[int, int]:
        """(connected devices, devices) for the status bar."""
        connected = sum(e.status.state is ConnectionState.CONNECTED for e in self._entries.values())
        return connected, len(self._entries)

    async def open_folder(self, folder: Path | None) -> None:
        """Show the devices of ``folder`` (a project's ``devices/``; None: no project). Closes the old ones."""
        await self.disconnect_all()
        self.watch.clear()  # watched and trended tags name the old project's devices
        self.trend.clear()
        self._all_points.clear()
        self.folder = folder
        # A 10,000-point profile takes a while to parse (and a network folder to list): never on the caller's loop.
        loaded = await asyncio.to_thread(_load_folder, folder)
        self._entries = {entry.id: entry for entry in loaded}
        self.active = ""
        self.devices_changed.emit()

    async def save_profile(self, profile: DeviceProfile, replacing: str | None = None) -> DeviceEntry:
        """Write ``profile`` to ``devices/ID.yaml`` (atomically) and show it; ``replacing`` names the
        device it replaces (an edit, perhaps renaming it), which is disconnected first."""
        if self.folder is None:
            raise DeviceError("Open a project first: devices are kept in its devices/ folder")
        if profile.id != replacing and profile.id in self._entries:
            raise DeviceError(f"A device '{profile.id}' exists already: choose another id")
        path = self.folder / f"{profile.id}.yaml"
        old = self._entries.get(replacing) if replacing else None
        if old is not None:
            await self.disconnect(old.id)
        await asyncio.to_thread(_write_profile, path, profile)
        if old is not None and old.path != path:
            old.path.unlink(missing_ok=True)
        entry = DeviceEntry(profile.id, path, replace(profile, source=path))
        entries = {k: v for k, v in self._entries.items() if k != replacing}
        entries[profile.id] = entry
        self._entries = dict(sorted(entries.items()))
        self.devices_changed.emit()
        return entry

    async def remove(self, device_id: str) -> None:
        """Disconnect the device and delete its profile file."""
        entry = self.entry(device_id)
        await self.disconnect(device_id)
        entry.path.unlink(missing_ok=True)
        del self._entries[device_id]
        if self.active == device_id:
            self.active = ""
        self.devices_changed.emit()

    def duplicate_id(self, device_id: str) -> str:
        """A free id for a copy of ``device_id`` (``pump1_copy``, ``pump1_copy2`` …)."""
        base, n = f"{device_id}_copy", 1
        candidate = base
        while candidate in self._entries:
            n += 1
            candidate = f"{base}{n}"
        return candidate

    # -- connections -------------------------------------------------------------------------------

    @property
    def host(self) -> DeviceHost:
        """The device thread (started on first use): sessions, discovery and test connections run there."""
        if self._host is None or self._host.closed:
            self._host = self._host_factory()
        return self._host

    async def connect(self, device_id: str, *, password_for: PasswordFor | None = None,
                      decide: Any = None) -> SessionHandle:
        """Open and connect the device's session; returns at once if it is connected or connecting.

        ``decide`` is asked about an unknown OPC UA server certificate (it is called on the device
        thread: see ``device_browser.ui.trust_prompt.ui_decide``). A failure leaves the device FAILED
        with the reason and raises :class:`DeviceError`.
        """
        self.loop = asyncio.get_running_loop()
        entry = self.entry(device_id)
        if entry.profile is None:
            raise DeviceError(f"The profile of '{device_id}' cannot be used: {entry.problem}")
        handle = self._handles.get(device_id)
        if handle is not None and handle.status.state is not ConnectionState.FAILED:
            return handle
        if handle is not None:
            await self._drop(device_id)
        profile = entry.profile
        password = password_for(profile) if password_for else None
        handle = await self.host.open(lambda: open_session(profile, password, decide=decide))
        self._handles[device_id] = handle
        self._stop_notify[device_id] = handle.notify(lambda status: self._on_status(device_id, handle, status))
        self._on_status(device_id, handle, ConnectionStatus(ConnectionState.CONNECTING))
        try:
            await handle.connect()
        except DeviceError as exc:
            self._on_status(device_id, handle, ConnectionStatus(ConnectionState.FAILED, reason=str(exc)))
            raise
        self._on_status(device_id, handle, handle.status)
        self._watched.sync(device_id)
        return handle

    async def disconnect(self, device_id: str) -> None:
        """Close the device's session (its watch subscriptions with it); no-op if not connected."""
        if device_id in self._handles:
            await self._drop(device_id)
            if device_id in self._entries:
                self._set_status(device_id, ConnectionStatus())

    async def disconnect_all(self) -> None:
        await asyncio.gather(*(self.disconnect(device_id) for device_id in list(self._handles)),
                             return_exceptions=True)

    async def _drop(self, device_id: str) -> None:
        handle = self._handles.pop(device_id)
        self._stop_notify.pop(device_id)()
        self._watched.forget(device_id)
        try:
            await handle.close()
        except DeviceError as exc:
            log.warning("Closing the connection to %s: %s", device_id, exc)

    def _on_status(self, device_id: str, handle: SessionHandle, status: ConnectionStatus) -> None:
        if self._handles.get(device_id) is handle and device_id in self._entries:
            self._set_status(device_id, status)

    def _set_status(self, device_id: str, status: ConnectionStatus) -> None:
        entry = self._entries[device_id]
        if entry.status != status:
            self._entries[device_id] = replace(entry, status=status)
            self.status_changed.emit(device_id, status)

    def counters(self, device_id: str) -> SessionCounters:
        handle = self._handles.get(device_id)
        return handle.counters if handle is not None else SessionCounters()

    async def read_history(self, ref: TagRef, start_ns: int, end_ns: int, max_values: int = 100_000) -> HistorySeries:
        """The device's stored values of ``ref`` between two times; announced by ``history_loaded``."""
        handle = self._handles.get(ref.device)
        if handle is None or handle.status.state is not ConnectionState.CONNECTED:
            raise DeviceError(f"{ref.device} is not connected: connect it to read the history of {ref}")
        reader = getattr(handle.session, "history_read_raw", None)
        if reader is None:
            raise DeviceError(f"{ref.device} keeps no history ({self.entry(ref.device).protocol} has no history read)")
        samples = await handle.host.call(reader, ref.tag, start_ns, end_ns, max_values)
        series = HistorySeries(ref, np.array([s.source_time or s.server_time for s in samples], np.int64),
                               np.array([_number(s.value) for s in samples], np.float64),
                               np.array([s.quality for s in samples], np.uint8))
        self.history_loaded.emit(series)
        return series

    def close(self) -> None:
        """Close every session and stop the device thread, blocking (no loop runs any more)."""
        if self._host is not None:
            self._host.close()

    async def aclose(self) -> None:
        """Close every session and stop the device thread (the window is closing)."""
        await self.disconnect_all()
        if self._host is not None:
            await self._host.aclose()

    # -- writes ------------------------------------------------------------------------------------

    def enable_writes(self, device_id: str, enabled: bool) -> None:
        """Writes stay disabled per device until the user enables them for it."""
        entry = self.entry(device_id)
        if entry.writes_enabled != enabled:
            self._entries[device_id] = replace(entry, writes_enabled=enabled)
            self.writes_changed.emit(device_id, enabled)
            log.info("Writes to %s %s", device_id, "enabled" if enabled else "disabled")

    async def write(self, ref: TagRef, value: Any) -> WriteRecord:
        """Write ``value`` to ``ref`` through the safe-write path (checked, read back, audited).

        Raises :class:`WriteRefused` (recorded) when writes to the device are not enabled, the
        device is not connected, or the value fails the checks.
        """
        entry = self.entry(ref.device)
        handle = self._handles.get(ref.device)
        refusal = None
        if not entry.writes_enabled:
            refusal = WriteRefused(f"Writes to {ref.device} are disabled: enable them for this device first")
        elif handle is None or handle.status.state is not ConnectionState.CONNECTED:
            refusal = WriteRefused(f"{ref.device} is not connected; nothing was written")
        if refusal is not None:
            record_refusal(self.audit, ref.device, ref.tag, value, refusal)
            raise refusal
        profile = entry.profile
        if ref.point and profile is not None:
            return await handle.host.call(safe_write, handle.session, profile, ref.point, value, self.audit)
        return await handle.host.call(raw_write, handle.session, ref.device, ref.tag, value, self.audit)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _load_folder(folder: Path | None) -> list[DeviceEntry]:
    if folder is None or not folder.is_dir():
        return []
    return [_load_entry(path) for path in sorted(folder.iterdir()) if path.suffix in PROFILE_SUFFIXES]


def _load_entry(path: Path) -> DeviceEntry:
    try:
        profile = load_profile(path)
    except DeviceError as exc:
        return DeviceEntry(path.stem, path, problem=str(exc))
    return DeviceEntry(profile.id, path, profile)


def _write_profile(path: Path, profile: DeviceProfile) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, profile.dumps())


class _WatchSubscriptions:
    """Keeps each connected device subscribed to exactly the watched tags, grouped by interval and deadband.

    A change of the watch list re-plans the device's groups on the next loop turn (a 1,000-tag
    drop is one plan, not 1,000); groups that stay the same keep their subscription.
    """

    def __init__(self, workspace: DeviceWorkspace):
        self.workspace = workspace
        self._groups: dict[str, dict[tuple[float, float, frozenset[str]], RemoteSubscription]] = {}
        self._pending: set[str] = set()
        self._running: dict[str, asyncio.Task] = {}

    def sync_all(self) -> None:
        for device_id in self.workspace._handles:
            self.sync(device_id)

    def sync(self, device_id: str) -> None:
        """Re-plan ``device_id`` soon (once however often it is asked before it runs)."""
        self._pending.add(device_id)
        loop = self.workspace.loop
        if loop is None:  # nothing connected yet: connect() plans it
            return
        if device_id not in self._running:
            task = loop.create_task(self._run(device_id))
            task.add_done_callback(lambda done: self._finished(device_id, done))
            self._running[device_id] = task

    def forget(self, device_id: str) -> None:
        """The device's session is closing (and its subscriptions with it)."""
        self._pending.discard(device_id)
        self._groups.pop(device_id, None)
        task = self._running.pop(device_id, None)
        if task is not None:
            task.cancel()

    def _finished(self, device_id: str, task: asyncio.Task) -> None:
        # A done callback, not a ``finally`` asking for asyncio.current_task(): that raises when
        # qasync runs a step while its loop is stopped (the window closing).
        if self._running.get(device_id) is task:
            del self._running[device_id]

    async def _run(self, device_id: str) -> None:
        try:
            while device_id in self._pending:
                self._pending.discard(device_id)
                await asyncio.sleep(0)  # let the rest of a burst of list changes arrive
                await self._plan(device_id)
        except DeviceError as exc:
            log.warning("Watching the tags of %s: %s", device_id, exc)

    async def _plan(self, device_id: str) -> None:
        handle = self.workspace.handle(device_id)
        if handle is None:
            return
        watched = list(self.workspace.watch)
        if device_id in self.workspace._all_points:
            profile = self.workspace.entry(device_id).profile
            watched += [WatchItem(TagRef(device_id, point=p.name)) for p in profile.points] if profile else []
        wanted = _groups_for(device_id, watched, self.workspace.entries)
        have = self._groups.setdefault(device_id, {})
        for key in [key for key in have if key not in wanted]:
            subscription = have.pop(key)
            with contextlib.suppress(DeviceError):
                await subscription.close()
        for key, names in wanted.items():
            if key in have:
                continue
            interval, deadband, _ = key
            publisher = RenamingPublisher(self.workspace.bus, names)
            have[key] = await handle.subscribe(sorted(names), interval, publisher, deadband=deadband)


def _groups_for(device_id: str, watch: Iterable[WatchItem],
                entries: Iterable[DeviceEntry]) -> dict[tuple[float, float, frozenset[str]], dict[str, str]]:
    """Watched tags of one device by (interval, deadband): each group maps session tag → bus key."""
    profile = next((e.profile for e in entries if e.id == device_id), None)
    groups: dict[tuple[float, float], dict[str, str]] = {}
    seen: set[str] = set()  # a tag watched twice is subscribed once, as first asked
    for item in watch:
        if item.ref.device != device_id or item.ref.tag in seen:
            continue
        seen.add(item.ref.tag)
        interval = item.interval_ms or _point_interval(profile, item.ref) or DEFAULT_INTERVAL_MS
        groups.setdefault((interval, item.deadband), {})[item.ref.tag] = str(item.ref)
    return {(interval, deadband, frozenset(names)): names for (interval, deadband), names in groups.items()}


def _point_interval(profile: DeviceProfile | None, ref: TagRef) -> float | None:
    if profile is None or not ref.point:
        return None
    try:
        return profile.point(ref.point).interval_ms
    except DeviceError:
        return None
