"""The session's own reconnect supervisor: notice a lost connection, get it back, bring the data back.

asyncua's ``auto_reconnect`` is off by default; with it on, calls block for up to 60 s and
``Subscription.recreate`` re-sends all items in one request. So an :class:`OpcUaSession` that
once connected is watched by a :class:`Supervisor` instead:

* **Noticing a loss**: the socket closing (asyncua's client state turns DISCONNECTED), a Publish
  or other request failing with a connection error, the server ending a subscription, or
  silence — no Publish answer for about two keep-alive periods (or nothing subscribed) and then
  no answer to a read of ``Server.ServerStatus.State`` either (a server that hangs with its
  socket open).
* **Reconnecting**: status RECONNECTING(attempt, reason), requests fail at once, attempts spaced
  by :class:`~device_browser.backoff.Backoff` (capped at a few seconds, with jitter). Each attempt
  first tries to **reuse the server session** (Part 4, 6.7: a new SecureChannel and ActivateSession
  with the old authentication token — the server then still has our subscriptions and what they
  queued), else opens a fresh session. Then :meth:`LiveSubscriptions.restore` republishes or
  re-creates the subscriptions, and the status is CONNECTED again.
* **Giving up**: FAILED only when retrying cannot help (the server refuses our certificate or
  identity: a person has to act) or after the caller's limit (attempts or seconds).

What the supervisor needs of the session is :class:`Supervised` (a Protocol, so that this module
does not import ``client.py``, which imports it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Protocol

from asyncua import Client
from asyncua.client.ua_client import UaClientState
from asyncua.ua import uaerrors

from device_browser.backoff import Backoff
from device_browser.opcua.security import CertificateRejected
from device_browser.opcua.ua_connection import UaConnection
from device_browser.opcua.ua_errors import FATAL_STATUSES, OpcUaError, describe_error
from device_browser.session import BAD, ConnectionState, DeviceError, Sample, SessionCounters

if TYPE_CHECKING:
    from psygnal import SignalInstance

    from device_browser.opcua.subscriptions import LiveSubscriptions

_log = logging.getLogger(__name__)

SERVER_STATE = "i=2259"  # Server.ServerStatus.State
_RUNNING = 0  # ServerState.Running


def own_the_connection(client: Client) -> None:
    """Stop asyncua's own supervision of a freshly connected client: we watch it ourselves.

    asyncua 2.1 starts a supervisor and a stale-subscription watchdog on ``connect()``, and gates
    requests while it thinks it reconnects; on a loss its supervisor marks the client
    DISCONNECTED some time later, which can land in the middle of our own reconnect."""
    for name in ("_supervisor_task", "_stale_watchdog_task"):
        task = getattr(client, name, None)
        if task is not None:
            task.cancel()
    client.uaclient.pre_request_hook = None


async def reactivate(session: UaConnection, client: Client) -> bool:
    """Reuse the server session of ``client`` on a new connection (OPC UA Part 4, 6.7).

    True: the server still had the session (and its subscriptions). False: it has forgotten it
    (restarted, or the session timed out): open a fresh one. Raises :class:`DeviceError` when the
    server cannot be reached, or refuses us for good (certificate, identity)."""
    if not client.uaclient.has_session:
        return False
    timeout = session.timeout
    with contextlib.suppress(Exception):  # the renew task of the old channel; the socket is dead anyway
        await client._teardown_transport_only()
    client.disconnect_socket()
    try:
        await asyncio.wait_for(client.connect_socket(), timeout)
        await asyncio.wait_for(client.send_hello(), timeout)
        await asyncio.wait_for(client.open_secure_channel(), timeout)
    except Exception as exc:
        client.disconnect_socket()
        raise describe_error(exc, session.url, "connect", timeout=timeout, user=session.user) from exc
    client.uaclient.session.rebind_authentication_token()
    try:
        # asyncua 2.1's own reconnect step: ActivateSession with the identity we connected with
        await asyncio.wait_for(client._activate_with_credentials(), timeout)
    except uaerrors.UaStatusCodeError as exc:
        error = describe_error(exc, session.url, "connect", timeout=timeout, user=session.user)
        client.disconnect_socket()
        if getattr(error, "status", "") in FATAL_STATUSES:
            raise error from exc
        _log.info("%s: the server no longer has our session (%s); opening a new one", session.url, error)
        return False
    except Exception as exc:
        client.disconnect_socket()
        raise describe_error(exc, session.url, "connect", timeout=timeout, user=session.user) from exc
    client._start_renew_loop()
    client.uaclient.pre_request_hook = None
    return True


class Supervised(Protocol):
    """What the :class:`Supervisor` uses of its session (an ``OpcUaSession``)."""

    url: str
    timeout: float
    counters: SessionCounters
    live: LiveSubscriptions | None

    @property
    def client(self) -> Client | None: ...

    @property
    def connected(self) -> bool: ...

    @property
    def connection_lost(self) -> SignalInstance: ...

    async def read(self, tags: list[str]) -> list[Sample]: ...

    def set_status(self, state: ConnectionState, attempt: int = 0, reason: str = "") -> None: ...

    def detach(self) -> None: ...

    async def reopen(self) -> bool: ...

    async def drop_current(self) -> None: ...

    async def drop_all(self) -> None: ...


class Supervisor:
    """Watches one connected ``OpcUaSession`` and reconnects it (see the module docstring)."""

    def __init__(
        self,
        session: Supervised,
        *,
        keepalive_interval: float = 2.0,
        backoff: Backoff | None = None,
        give_up_after: int | None = None,
        give_up_seconds: float | None = None,
    ):
        self.session = session
        self.keepalive_interval = keepalive_interval
        self.backoff = backoff or Backoff(start=0.25, cap=3.0)
        self.give_up_after, self.give_up_seconds = give_up_after, give_up_seconds
        self.recovering = False
        self._lost = asyncio.Event()
        self._reason = ""
        self._task: asyncio.Task[None] | None = None
        self._watchers: set[asyncio.Task[None]] = set()
        self._last_probe = time.monotonic()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="opcua-supervisor")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._watchers) if t is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._watchers.clear()

    def lost(self, reason: str) -> None:
        """The connection is gone (called from anywhere; the first reason of a loss is kept)."""
        if self.recovering or self._lost.is_set():
            return
        self._reason = reason
        self._lost.set()

    def watch(self, client: Client) -> None:
        """Report when the socket of ``client`` closes while it is still the session's connection."""
        async def wait_for_close() -> None:
            async with client.uaclient.subscribe_state() as states:
                await states.wait_for_state(UaClientState.DISCONNECTED)
            if self.session.client is client:
                self.lost(f"The connection to {self.session.url} was lost (the server or the network closed it)")

        task = asyncio.create_task(wait_for_close(), name="opcua-transport-watch")
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    # -- noticing -----------------------------------------------------------------------------------

    def _silence_limit(self) -> float:
        live = self.session.live
        periods = [s.keepalive_period_s for s in (live.subscriptions if live else []) if s.subscription_id]
        return 2.0 * max(periods, default=self.keepalive_interval) + 0.5

    async def _wait_for_loss(self) -> str:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.keepalive_interval / 2)
            if self._lost.is_set():
                return self._reason
            if not self.session.connected:
                return f"not connected to {self.session.url}"
            live = self.session.live
            now = time.monotonic()
            if live is not None and live.subscriptions:
                if now - live.last_answer < self._silence_limit():
                    continue
            elif now - self._last_probe < self.keepalive_interval:
                continue
            self._last_probe = now
            try:  # no Publish answer lately (or nothing subscribed): is the server still there?
                probe = self.session.read([SERVER_STATE])
                # as long as any request may take: a busy server that answers late is not a lost one
                (state,) = await asyncio.wait_for(probe, max(1.0, self.keepalive_interval, self.session.timeout))
            except (DeviceError, TimeoutError) as exc:
                return f"no answer to the keep-alive from {self.session.url} ({exc or 'timeout'})"
            if state.quality == BAD or state.value not in (0, _RUNNING):
                return f"{self.session.url} reports state {state.value!r} ({state.status or 'not running'})"
            if live is not None:  # alive: a silent subscription is stale (its stats say so), not a loss
                live.last_answer = time.monotonic()

    async def _run(self) -> None:
        while True:
            reason = await self._wait_for_loss()
            if not await self._recover(reason):
                return

    # -- reconnecting -------------------------------------------------------------------------------

    def _give_up(self, attempt: int, started: float, delay: float) -> bool:
        if self.give_up_after is not None and attempt >= self.give_up_after:
            return True
        return self.give_up_seconds is not None and time.monotonic() - started + delay > self.give_up_seconds

    async def _recover(self, reason: str) -> bool:
        """Reconnect with back-off and restore the subscriptions. False when given up (FAILED)."""
        session = self.session
        seen = time.time_ns()
        self.recovering = True
        try:
            _log.warning("%s: %s; reconnecting", session.url, reason)
            session.detach()  # requests fail at once from here on; the old client is kept for reuse
            session.connection_lost.emit(reason)
            if session.live is not None:
                await session.live.connection_lost(seen)
            self.backoff.reset()
            started, attempt = time.monotonic(), 0
            while True:
                attempt += 1
                session.set_status(ConnectionState.RECONNECTING, attempt, reason)
                delay = self.backoff.next_delay()
                await asyncio.sleep(delay)  # a server that just went away is rarely back at once
                try:
                    reused = await session.reopen()
                    problems = await session.live.restore(reused) if session.live is not None else []
                except (CertificateRejected, OpcUaError) as exc:
                    reason = str(exc)
                    fatal = isinstance(exc, CertificateRejected) or getattr(exc, "status", "") in FATAL_STATUSES
                    if fatal:  # retrying changes nothing: a person has to act
                        session.set_status(ConnectionState.FAILED, attempt, reason)
                        await session.drop_all()
                        return False
                except DeviceError as exc:
                    reason = str(exc)
                else:
                    session.counters.reconnects += 1
                    self._lost.clear()
                    self._last_probe = time.monotonic()
                    session.set_status(ConnectionState.CONNECTED, 0, "; ".join(problems))
                    _log.info("%s: reconnected after %d attempt(s) (%s session)", session.url, attempt,
                              "same" if reused else "new")
                    return True
                await session.drop_current()  # half-made connection of this attempt
                if self._give_up(attempt, started, self.backoff.cap):
                    session.set_status(ConnectionState.FAILED, attempt, reason)
                    await session.drop_all()
                    return False
        finally:
            self.recovering = False
