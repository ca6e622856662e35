"""The workbench's event loop (qasync) keeps serving Qt while coroutines wait.

A QTimer counts how often Qt gets to run while some work waits half a second. The work is
written as the workbench must write it (await the socket; send blocking calls to a thread),
and once as it must not be (a blocking read on the UI thread): that variant has to starve
the timer, which shows the probe catches a coroutine that blocks, so the other passes mean
something. The slow device answers from its own thread, as a real one answers from across
the network: had it shared the loop, the test would measure the device's manners as well.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import qasync
from qtpy.QtCore import QTimer

from tests.gui.conftest import run

WAIT = 0.5  # seconds the device (or the file work) takes
TICK_MS = 20
# A free UI thread gets about 25 ticks of 20 ms in 0.5 s and a loaded machine still reaches 5;
# a blocked one gets none until the wait is over. No rate is asserted.
MIN_TICKS = 5
REQUEST = b"read 40001\n"

Exchange = Callable[[list[float]], Coroutine[Any, Any, Any]]


class SlowDevice:
    """A device on loopback that echoes each request line after ``WAIT`` seconds.

    It runs on its own thread with blocking sockets and ``time.sleep``: its slowness is the
    device's own, and never holds up the loop under test.
    """

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)  # so the thread sees the stop flag
        self.port: int = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="slow-device", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                request = conn.makefile("rb").readline()
                time.sleep(WAIT)  # a slow PLC
                conn.sendall(request)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()


@pytest.fixture
def slow_device() -> Iterator[SlowDevice]:
    device = SlowDevice()
    yield device
    device.close()


def ticks_while_waiting(loop: qasync.QEventLoop, exchange: Exchange) -> tuple[Any, int, float]:
    """Run ``exchange`` on the loop; return its result, the Qt timer ticks and the seconds
    between the two marks it appends (start and end of its wait)."""
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(TICK_MS)
    marks: list[float] = []
    try:
        result = run(loop, exchange(marks))
    finally:
        timer.stop()
    start, end = marks
    return result, sum(start < t < end for t in ticks), end - start


def test_the_tests_run_on_the_workbench_loop(loop: qasync.QEventLoop) -> None:
    # application.py runs qasync.QEventLoop on the QApplication; the fixture must be that, or
    # the tests below would prove something about another loop.
    async def running() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    assert isinstance(loop, qasync.QEventLoop)
    assert run(loop, running()) is loop


def test_qt_keeps_running_while_a_coroutine_waits_on_a_slow_device(loop, slow_device) -> None:
    async def awaiting(marks: list[float]) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", slow_device.port)
        try:
            writer.write(REQUEST)
            await writer.drain()
            marks.append(time.monotonic())
            answer = await reader.readline()
            marks.append(time.monotonic())
        finally:
            writer.close()
            await writer.wait_closed()
        return answer

    answer, ticks, waited = ticks_while_waiting(loop, awaiting)
    assert answer == REQUEST
    assert waited >= 0.8 * WAIT  # the wait was real
    assert ticks >= MIN_TICKS, f"Qt ran {ticks} times in {waited:.2f} s of waiting on the device"


def test_the_probe_sees_a_coroutine_that_blocks(loop, slow_device) -> None:
    """The control: the same exchange with a blocking read on the UI thread starves Qt."""

    async def blocking(marks: list[float]) -> bytes:
        # What a driver does when it forgets to await: the whole UI thread waits on the socket.
        with socket.create_connection(("127.0.0.1", slow_device.port), timeout=5) as sock:
            sock.sendall(REQUEST)
            marks.append(time.monotonic())
            answer = sock.makefile("rb").readline()
            marks.append(time.monotonic())
        return answer

    answer, ticks, waited = ticks_while_waiting(loop, blocking)
    assert answer == REQUEST and waited >= 0.8 * WAIT
    assert ticks < MIN_TICKS


def test_blocking_work_sent_to_a_thread_leaves_qt_running(loop) -> None:
    ui_thread = threading.get_ident()
    worker_threads: list[int] = []

    def slow_file_work() -> str:  # a save to a slow network share
        worker_threads.append(threading.get_ident())
        time.sleep(WAIT)
        return "saved"

    async def offloaded(marks: list[float]) -> str:
        marks.append(time.monotonic())
        result = await asyncio.to_thread(slow_file_work)
        marks.append(time.monotonic())
        return result

    result, ticks, waited = ticks_while_waiting(loop, offloaded)
    assert result == "saved" and waited >= 0.8 * WAIT
    assert worker_threads and worker_threads[0] != ui_thread
    # The worker's completion has to wake Qt's event loop (qasync's call_soon_threadsafe);
    # meanwhile Qt must have run.
    assert ticks >= MIN_TICKS, f"Qt ran {ticks} times in {waited:.2f} s of file work on a thread"
