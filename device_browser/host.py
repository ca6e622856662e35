"""Device I/O off the UI thread: sessions run on their own asyncio loop in a worker thread.

5,000 tags changing every 100 ms are ~50,000 notifications a second. On the UI thread's loop
(qasync) that work would compete with painting, so :class:`DeviceHost` gives the drivers a loop
of their own in a daemon thread. The boundary between the two threads is narrow on purpose:

* **Requests** go through :meth:`DeviceHost.call` (or the proxies of a :class:`SessionHandle`):
  the coroutine runs on the device loop and the caller awaits it on its own loop without
  blocking; cancelling the caller cancels the device-side coroutine; a :class:`DeviceError`
  arrives with its message.
* **Samples** go through the :class:`~device_browser.bus.LiveBus`, which is thread-safe and never
  blocks its writers: subscriptions publish on the device thread, views take snapshots from
  the UI thread at ~30 Hz.
* **Status changes** are emitted by the session on the device thread; :meth:`SessionHandle.notify`
  re-schedules each one onto the observer's loop (``call_soon_threadsafe``), so a Qt view is
  never called on a foreign thread. The latest status is readable at any time.

Sessions are *made* on the device loop too (:meth:`DeviceHost.open` calls the factory there):
asyncua and pymodbus clients bind to the loop that creates and connects them.

Nothing here imports Qt: the same host serves the workbench (qasync) and any plain asyncio caller.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import copy
import dataclasses
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from device_browser.session import (
    BrowseItem,
    ConnectionStatus,
    DeviceError,
    DeviceSession,
    Sample,
    SessionCounters,
    Subscription,
    SubscriptionStats,
)

if TYPE_CHECKING:
    from device_browser.bus import LiveBus

log = logging.getLogger(__name__)

T = TypeVar("T")
StatusCallback = Callable[[ConnectionStatus], object]
HostStatusCallback = Callable[["SessionHandle", ConnectionStatus], object]
SessionFactory = Callable[[], DeviceSession | Awaitable[DeviceSession]]

CLOSE_TIMEOUT_S = 10.0  # how long close() gives all sessions together before it abandons them


class DeviceHost:
    """An asyncio loop in a daemon thread that owns device sessions.

    ``close()`` (or ``await aclose()``) closes every session within ``close_timeout`` seconds and
    stops the thread; it is safe to call twice and also runs at interpreter exit.
    """

    def __init__(self, name: str = "device-io", close_timeout: float = CLOSE_TIMEOUT_S):
        self.close_timeout = close_timeout
        self._handles: list[SessionHandle] = []
        self._observers: list[tuple[asyncio.AbstractEventLoop, HostStatusCallback]] = []
        self._lock = threading.Lock()  # guards _handles and _closed across the two threads
        self._closed = False
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name=name, daemon=True)
        self._thread.start()
        ready.wait()
        # A daemon thread dies mid-request at exit; closing first lets the sessions say goodbye
        # (an OPC UA server otherwise keeps our session until its timeout).
        atexit.register(self.close)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        try:
            self._loop.run_forever()
        finally:
            # What the sessions left behind (pymodbus and asyncua housekeeping tasks): cancel it
            # and let it unwind, so nothing is destroyed while pending.
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.wait(pending, timeout=2) if pending else asyncio.sleep(0))
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    # -- requests --------------------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The device loop. Use it only through :meth:`call` / :meth:`submit` from other threads."""
        return self._loop

    @property
    def closed(self) -> bool:
        return self._closed

    def in_device_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, coro_fn: Callable[..., Coroutine[Any, Any, T]], *args: Any,
               **kwargs: Any) -> concurrent.futures.Future[T]:
        """Run ``coro_fn(*args, **kwargs)`` on the device loop; a future of its result for any thread."""
        if self._closed:
            raise DeviceError("The device connections are shut down: the workbench is closing")

        async def on_device_loop() -> T:
            # The coroutine is created here, not in the caller's thread: a driver method may look
            # up the running loop before its first await.
            return await coro_fn(*args, **kwargs)

        try:
            return asyncio.run_coroutine_threadsafe(on_device_loop(), self._loop)
        except RuntimeError:  # the loop stopped between the check and now
            raise DeviceError("The device connections are shut down: the workbench is closing") from None

    async def call(self, coro_fn: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
        """Await ``coro_fn(*args, **kwargs)`` run on the device loop, from any other asyncio loop.

        The caller's loop keeps running meanwhile. Cancelling the awaiting task cancels the
        device-side coroutine (``wrap_future`` cancels the concurrent future, which cancels
        the task on the device loop). Exceptions arrive as raised.
        """
        if self.in_device_thread():  # already there: a hop through the queue would gain nothing
            return await coro_fn(*args, **kwargs)
        return await asyncio.wrap_future(self.submit(coro_fn, *args, **kwargs))

    # -- sessions --------------------------------------------------------------------------------------

    async def open(self, factory: SessionFactory) -> SessionHandle:
        """Make a session on the device loop with ``factory()`` and return its handle (not connected).

        ``factory`` is e.g. ``lambda: open_session(profile)`` or
        ``lambda: modbus_session_from_url(url)``; it may also be a coroutine function.
        """

        async def make() -> SessionHandle:
            made = factory()
            session = await made if inspect.isawaitable(made) else made
            handle = SessionHandle(self, session)  # on the device thread: sees every status change
            with self._lock:
                closed = self._closed
                if not closed:
                    self._handles.append(handle)
            if closed:  # the host closed while the factory ran: leave nothing open behind it
                await session.close()
                raise DeviceError("The device connections are shut down: the workbench is closing")
            return handle

        return await self.call(make)

    def notify(self, callback: HostStatusCallback,
               loop: asyncio.AbstractEventLoop | None = None) -> Callable[[], None]:
        """Call ``callback(handle, status)`` on ``loop`` (the running loop by default) at each status
        change of any session of this host (for the devices dock and the status bar's counts).

        Returns a function that stops the notifications.
        """
        entry = (_observer_loop(loop), callback)
        with self._lock:
            self._observers.append(entry)
        return lambda: _remove(self._lock, self._observers, entry)

    def _announce(self, handle: SessionHandle, status: ConnectionStatus) -> None:
        with self._lock:
            observers = list(self._observers)
        for entry in observers:
            loop, callback = entry
            try:
                loop.call_soon_threadsafe(callback, handle, status)
            except RuntimeError:  # the observer's loop is closed: it will not look again
                _remove(self._lock, self._observers, entry)

    @property
    def handles(self) -> list[SessionHandle]:
        with self._lock:
            return list(self._handles)

    def _forget(self, handle: SessionHandle) -> None:
        with self._lock:
            if handle in self._handles:
                self._handles.remove(handle)

    # -- shutdown --------------------------------------------------------------------------------------

    async def _close_sessions(self) -> None:
        with self._lock:
            handles, self._handles = self._handles, []
        results = await asyncio.gather(*(asyncio.wait_for(h.session.close(), self.close_timeout) for h in handles),
                                       return_exceptions=True)
        for handle, result in zip(handles, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("Closing %s failed: %s", handle, result or type(result).__name__)

    def _begin_close(self) -> concurrent.futures.Future[None] | None:
        with self._lock:
            if self._closed:
                return None
            self._closed = True
        atexit.unregister(self.close)
        if not self._thread.is_alive():
            return None
        return asyncio.run_coroutine_threadsafe(self._close_sessions(), self._loop)

    def _stop_loop(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop already closed
            self._loop.call_soon_threadsafe(self._loop.stop)

    def close(self) -> None:
        """Close every session (at most ``close_timeout`` s) and stop the thread. Blocks the caller."""
        if self.in_device_thread():
            raise RuntimeError("DeviceHost.close() cannot run on the device thread it stops")
        closing = self._begin_close()
        if closing is not None:
            try:
                closing.result(self.close_timeout + 1)
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                log.warning("Device sessions did not close within %g s; abandoning them", self.close_timeout)
        self._stop_loop()
        self._thread.join(self.close_timeout)

    async def aclose(self) -> None:
        """:meth:`close` without blocking the caller's loop (for a window's close handler)."""
        if self.in_device_thread():
            raise RuntimeError("DeviceHost.aclose() cannot run on the device thread it stops")
        closing = self._begin_close()
        if closing is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.wrap_future(closing), self.close_timeout + 1)
        self._stop_loop()
        await asyncio.to_thread(self._thread.join, self.close_timeout)

    def __enter__(self) -> DeviceHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SessionHandle:
    """A session living on the device loop, as the UI thread sees it.

    Every request proxy runs on the device loop and may be awaited from any loop. ``status``
    and ``counters`` are snapshots readable from any thread at any time. ``session`` is the
    session itself: touch it only on the device loop (through ``host.call``).
    """

    def __init__(self, host: DeviceHost, session: DeviceSession):
        self.host = host
        self.session = session
        self._status: ConnectionStatus = session.status
        self._observers: list[tuple[asyncio.AbstractEventLoop, StatusCallback]] = []
        self._lock = threading.Lock()
        session.status_changed.connect(self._on_status)

    def __repr__(self) -> str:
        return f"<SessionHandle {type(self.session).__name__} {self._status.state.value}>"

    def _on_status(self, status: ConnectionStatus) -> None:
        # Runs on the device thread. Replacing one reference is atomic, so readers on other
        # threads see either the old or the new (immutable) status, never a mix.
        self._status = status
        with self._lock:
            observers = list(self._observers)
        for entry in observers:
            loop, callback = entry
            try:
                loop.call_soon_threadsafe(callback, status)
            except RuntimeError:  # the observer's loop is closed: it will not look again
                _remove(self._lock, self._observers, entry)
        self.host._announce(self, status)

    @property
    def status(self) -> ConnectionStatus:
        """The latest status, from any thread."""
        return self._status

    @property
    def counters(self) -> SessionCounters:
        """A copy of the session's counters (plain ints, each read atomically)."""
        return dataclasses.replace(self.session.counters)

    def notify(self, callback: StatusCallback, loop: asyncio.AbstractEventLoop | None = None) -> Callable[[], None]:
        """Call ``callback(status)`` on ``loop`` (the running loop by default) at each status change.

        Changes arrive in order. Register first, then read :attr:`status`, and no change is
        missed. Returns a function that stops the notifications.
        """
        entry = (_observer_loop(loop), callback)
        with self._lock:
            self._observers.append(entry)
        return lambda: _remove(self._lock, self._observers, entry)

    # -- the session contract, run on the device loop --------------------------------------------------

    async def connect(self) -> None:
        await self.host.call(self.session.connect)

    async def close(self) -> None:
        """Close the session (safe to call again) and forget it in the host."""
        self.host._forget(self)
        if not self.host.closed:
            await self.host.call(self.session.close)

    async def browse(self, tag: str | None = None) -> list[BrowseItem]:
        return await self.host.call(self.session.browse, tag)

    async def read(self, tags: Sequence[str]) -> list[Sample]:
        return await self.host.call(self.session.read, list(tags))  # a copy: the caller may change its list

    async def write(self, tag: str, value: Any) -> None:
        await self.host.call(self.session.write, tag, value)

    async def call(self, object_tag: str, method: str, args: Sequence[Any] = ()) -> list[Any]:
        return await self.host.call(self.session.call, object_tag, method, list(args))

    async def subscribe(self, tags: Sequence[str], interval_ms: float, bus: LiveBus, *,
                        deadband: float = 0.0) -> RemoteSubscription:
        """Samples of ``tags`` published into ``bus`` on the device thread; read the bus from anywhere."""
        subscription = await self.host.call(self.session.subscribe, list(tags), interval_ms, bus, deadband=deadband)
        return RemoteSubscription(self.host, subscription)


class RemoteSubscription:
    """A subscription living on the device loop; its samples arrive in the bus it was given."""

    def __init__(self, host: DeviceHost, subscription: Subscription):
        self.host = host
        self.subscription = subscription
        self.tags: tuple[str, ...] = tuple(subscription.tags)
        self.interval_ms = subscription.interval_ms

    async def stats(self) -> SubscriptionStats:
        """A copy of the stats, taken on the device loop (a driver computes some of them as it reads)."""

        async def take() -> SubscriptionStats:
            return copy.deepcopy(self.subscription.stats)

        return await self.host.call(take)

    async def close(self) -> None:
        if not self.host.closed:  # a closed host closed its sessions, and their subscriptions with them
            await self.host.call(self.subscription.close)


def _observer_loop(loop: asyncio.AbstractEventLoop | None) -> asyncio.AbstractEventLoop:
    if loop is not None:
        return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError("notify() needs the loop to call back on: call it from a coroutine or pass loop=") from None


def _remove(lock: threading.Lock, entries: list[Any], entry: object) -> None:
    with lock, contextlib.suppress(ValueError):
        entries.remove(entry)
