"""A loopback TCP proxy that can pull the cable: traffic stops silently, with no reset.

A killed server answers the next packet with a reset, so a client learns at once that it is
gone. A pulled cable, a dead switch or a firewall dropping packets says nothing: the client
only notices when its answers stop coming. ``cut()`` does that to every connection through
the proxy (bytes are swallowed, sockets stay open); ``restore()`` drops the swallowed
connections, as a network that comes back after the peers' timeouts have expired, and lets
new ones through. Runs in its own thread so that it works beside any event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class CablePuller:
    """``127.0.0.1:port`` → ``127.0.0.1:target_port``, with :meth:`cut` and :meth:`restore`."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = 0
        self._cut = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._run, name="cable-puller", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut.is_set():  # a new connection during the cut: SYN answered, nothing more
            self._writers.add(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)
        for w in (writer, up_writer):
            self._writers.discard(w)
            w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if self._cut.is_set():
                continue  # swallowed: the peer hears nothing, not even a reset
            writer.write(data)
            await writer.drain()
        writer.close()

    def cut(self) -> None:
        self._cut.set()

    def restore(self) -> None:
        """Let traffic through again; connections made or stalled during the cut are closed."""

        async def drop() -> None:
            for writer in list(self._writers):
                with contextlib.suppress(Exception):
                    writer.transport.abort()
            self._writers.clear()

        asyncio.run_coroutine_threadsafe(drop(), self._loop).result(10)
        self._cut.clear()

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> CablePuller:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
