"""The UI thread keeps serving Qt events while coroutines wait on network I/O."""

import asyncio
import time

from qtpy.QtCore import QTimer

from tests.gui.conftest import run


def test_qt_timers_keep_firing_while_a_coroutine_waits_on_a_slow_peer(loop, qapp):
    async def slow_echo(reader, writer):
        data = await reader.readline()
        await asyncio.sleep(0.5)  # a slow PLC
        writer.write(data)
        await writer.drain()
        writer.close()

    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)

    waiting = []

    async def exchange():
        server = await asyncio.start_server(slow_echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"read 40001\n")
        await writer.drain()
        waiting.append(time.monotonic())
        answer = await reader.readline()
        waiting.append(time.monotonic())
        writer.close()
        server.close()
        await server.wait_closed()
        return answer

    assert run(loop, exchange()) == b"read 40001\n"
    timer.stop()
    # A blocked UI thread gives no tick while the coroutine waits half a second; a free one about 25.
    # Five is a count a loaded machine still reaches; no rate is asserted.
    sent, answered = waiting
    assert sum(sent < t < answered for t in ticks) >= 5


def test_blocking_file_work_goes_to_a_thread(loop):
    async def work():
        main = asyncio.get_running_loop()
        return await asyncio.to_thread(lambda: asyncio.get_event_loop_policy() is not None and main.is_running())

    assert run(loop, work()) is True
