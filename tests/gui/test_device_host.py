"""The workbench's loop (qasync on Qt) as a DeviceHost caller: requests are awaited without
freezing Qt, and status changes reach the UI thread, never a view on the device thread.

The Modbus simulator runs in its own process (see tests/device_browser/test_host.py)."""

from __future__ import annotations

import itertools
import threading
import time

import qasync
from qtpy.QtCore import QTimer

from device_browser.bus import LiveBus
from device_browser.host import DeviceHost
from device_browser.session import GOOD, ConnectionState
from tests.device_browser.test_host import TAGS, block_the_loop, session_factory
from tests.gui.conftest import run, until
from tests.simulator_process import SimulatorProcess

MAX_GAP_S = 1.0


def test_a_qasync_caller_keeps_qt_running_and_gets_statuses_on_its_thread(loop, tmp_path, free_tcp_port):
    assert isinstance(loop, qasync.QEventLoop)
    ui_thread = threading.get_ident()
    simulator = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    simulator.start()
    host = DeviceHost()
    seen: list[tuple[int, ConnectionState]] = []
    ticks: list[float] = []
    timer = QTimer()  # a Qt timer, not an asyncio one: Qt itself must keep getting turns
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    try:
        async def scenario() -> None:
            handle = await host.open(session_factory(simulator))
            handle.notify(lambda status: seen.append((threading.get_ident(), status.state)))
            await handle.connect()
            [flow] = await handle.read(["flow"])
            assert flow.quality == GOOD
            bus = LiveBus()
            subscription = await handle.subscribe(TAGS, 100, bus)
            await until(lambda: all(len(bus.snapshot(tag).t) >= 2 for tag in TAGS), timeout=30)
            timer.start(10)
            assert await handle.host.call(block_the_loop(1.5)) == "done"  # the device loop is busy
            timer.stop()
            await subscription.close()
            await host.aclose()

        run(loop, scenario(), timeout=60)
    finally:
        timer.stop()
        host.close()
        simulator.stop()
    assert seen and {thread for thread, _ in seen} == {ui_thread}, "a status callback ran off the UI thread"
    assert [state for _, state in seen][-1] is ConnectionState.DISCONNECTED
    assert ConnectionState.CONNECTED in [state for _, state in seen]
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 3 and max(gaps) < MAX_GAP_S, f"Qt stalled {max(gaps, default=0):.2f} s"
