"""The Modbus session against the real pump-station simulator on loopback (no pymodbus mocks).

Each test runs one coroutine on a fresh loop: pymodbus clients and servers bind to the loop
they are created on, so both are created inside the scenario.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from device_browser.bus import LiveBus
from device_browser.modbus.client import ModbusDeviceError, ModbusSession, exception_message
from device_browser.modbus.planner import plan_reads
from device_browser.modbus.registers import Area, DataType, ModbusTag, RegisterMap
from device_browser.session import BAD, GOOD, ConnectionState, DeviceError, WriteRefused
from device_browser.simulators.modbus import SIMULATOR_MAP, start_simulator

ROOT = Path(__file__).resolve().parents[2]
GHOST = ModbusTag("ghost", Area.HOLDING_REGISTER, 120, DataType.FLOAT32)  # 40121: not served
IN_THE_HOLE = ModbusTag("in_the_hole", Area.HOLDING_REGISTER, 27)  # 40028: inside the simulator's hole


def run(scenario, timeout: float = 20.0):
    """Run a coroutine to completion on a new loop, failing it after ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(scenario, timeout))


async def _with_simulator(body, *, register_map=SIMULATOR_MAP, framer="socket", extra_tags=0, **session_options):
    simulator = await start_simulator(port=0, framer=framer, extra_tags=extra_tags)
    session = ModbusSession(register_map if not extra_tags else simulator.map, host="127.0.0.1",
                            port=simulator.port, framer=framer, **session_options)
    try:
        await session.connect()
        return await body(session, simulator)
    finally:
        await session.close()
        await simulator.stop()


def _float32(value: float) -> float:
    return struct.unpack(">f", struct.pack(">f", value))[0]


def test_reads_every_simulator_tag_and_browses_the_map():
    async def body(session, simulator):
        names = list(SIMULATOR_MAP.tags)
        samples = await session.read([*names, "no_such_tag"])
        items = await session.browse()
        return samples, items

    samples, items = run(_with_simulator(body))
    by_name = {sample.tag: sample for sample in samples}
    assert [s.tag for s in samples if s.quality != GOOD] == ["no_such_tag"]
    assert "No tag 'no_such_tag'" in by_name["no_such_tag"].status
    assert by_name["device_name"].value == "PUMP-STATION-01" and by_name["firmware_version"].value == 0x0103
    assert 1100 <= by_name["speed"].value <= 1300 and by_name["speed_setpoint"].value == 1200
    assert 100 < by_name["flow"].value < 180 and 2 < by_name["discharge_pressure"].value < 6
    assert by_name["run_command"].value is True and by_name["running"].value is True
    assert by_name["status_running"].value is True and by_name["status_word"].value & 1
    assert 30 < by_name["bearing_temperature"].value < 80 and 4 <= by_name["flow_signal"].value <= 20
    assert all(s.source_time > 0 for s in samples if s.quality == GOOD)
    assert [item.tag for item in items] == list(SIMULATOR_MAP.tags)
    setpoint = next(item for item in items if item.tag == "speed_setpoint")
    assert (setpoint.access, setpoint.unit, setpoint.extra["address"], setpoint.eu_range) == ("rw", "rpm", "40014",
                                                                                              (0, 1500))
    assert next(item for item in items if item.tag == "flow").access == "r"


def test_all_four_byte_orders_give_the_same_flow():
    async def body(session, simulator):
        await simulator.set_value("flow", 123.456)  # pinned: the model tick cannot move it between requests
        await simulator.set_value("run_hours", 4321.5)
        await simulator.set_value("run_hours_cdab", 4321.5)
        await _model_ticks(simulator, 2)  # pinned values must stay through model ticks
        return await session.read(["flow", "flow_cdab", "flow_badc", "flow_dcba", "run_hours", "run_hours_cdab"])

    samples = run(_with_simulator(body))
    assert [s.value for s in samples[:4]] == [_float32(123.456)] * 4
    assert [s.value for s in samples[4:]] == [4321.5, 4321.5]


def test_the_planner_reads_many_tags_in_few_requests():
    async def body(session, simulator):
        names = list(simulator.map.tags)
        await session.read(names)  # the first read also finds the simulator's address hole
        before = session.request_count
        samples = await session.read(names)
        planned = plan_reads(simulator.map, rejected=session.rejected_addresses)
        return names, samples, session.request_count - before, len(planned), session.rejected_addresses

    names, samples, requests, planned, rejected = run(_with_simulator(body, extra_tags=1000))
    assert len(names) == len(SIMULATOR_MAP) + 1000
    # The hole 40026–40030 between two mapped tags was found by bisection and is now planned around.
    assert rejected == {(Area.HOLDING_REGISTER, a) for a in range(25, 30)}
    assert all(sample.quality == GOOD for sample in samples)
    assert requests == planned and requests < len(names) / 20  # speed itself is measured in benchmarks/


def test_write_setpoint_float_and_coil_then_read_back():
    async def body(session, simulator):
        before = session.request_count
        await session.write("speed_setpoint", 1400)  # FC6
        await session.write("pressure_limit", 12.25)  # FC16, two registers
        await session.write("run_command", False)  # FC5
        writes = session.request_count - before
        values = await session.read(["speed_setpoint", "pressure_limit", "run_command"])
        await _model_ticks(simulator, 2)  # the model reacts on its next tick
        [running] = await session.read(["running"])
        return writes, [s.value for s in values], running.value, await simulator.value("speed_setpoint")

    writes, values, running, on_device = run(_with_simulator(body))
    assert writes == 3
    assert values == [1400, 12.25, False] and on_device == 1400
    assert running is False


def test_fc23_writes_a_setpoint_and_reads_a_block_in_one_request():
    async def body(session, simulator):
        before = session.request_count
        samples = await session.write_and_read("speed_setpoint", 1250, ["speed_setpoint", "speed", "flow"])
        one_request = session.request_count - before
        with pytest.raises(DeviceError, match=r"FC 23\) needs a holding-register tag"):
            await session.write_and_read("speed_setpoint", 1250, ["speed", "suction_pressure"])
        return one_request, {s.tag: s for s in samples}, await simulator.value("speed_setpoint"), \
            session.request_count - before

    one_request, samples, on_device, total = run(_with_simulator(body))
    assert one_request == 1 and total == 1  # the refused combination sent nothing
    assert samples["speed_setpoint"].value == 1250 and on_device == 1250  # written before the read
    assert samples["flow"].quality == GOOD and samples["speed"].quality == GOOD and samples["flow"].value > 0


def test_refused_writes_send_no_request():
    async def body(session, simulator):
        before = session.request_count
        refusals = []
        for tag, value in (("flow", 10.0), ("speed_setpoint", 2000), ("speed_setpoint", -1),
                           ("control_remote", 2), ("suction_pressure", 1.0)):
            with pytest.raises(WriteRefused) as refused:
                await session.write(tag, value)
            refusals.append(str(refused.value))
        return session.request_count - before, refusals

    sent, refusals = run(_with_simulator(body))
    assert sent == 0
    assert "read-only" in refusals[0] and "above the write maximum 1500" in refusals[1]
    assert "below the write minimum" in refusals[2] and "True or False" in refusals[3]
    assert "cannot write" in refusals[4]


def test_bit_writes_read_modify_write_the_control_word():
    async def body(session, simulator):
        await session.write("control_word", 0b1000_0000_0000)  # bit 11: not mapped, must survive
        before = session.request_count
        await session.write("control_lamp_test", True)
        per_bit_write = session.request_count - before
        await session.write("control_remote", True)
        await session.write("control_lamp_test", False)
        [word, remote, lamp] = await session.read(["control_word", "control_remote", "control_lamp_test"])
        return per_bit_write, word.value, remote.value, lamp.value

    per_bit_write, word, remote, lamp = run(_with_simulator(body))
    assert per_bit_write == 2  # one read (FC3), one write (FC6)
    assert word == 0b1000_0000_0001 and remote is True and lamp is False


def test_illegal_address_names_the_register_and_the_rest_still_reads():
    register_map = RegisterMap([*SIMULATOR_MAP, GHOST, IN_THE_HOLE])

    async def body(session, simulator):
        names = list(register_map.tags)
        first = await session.read(names)
        before = session.request_count
        second = await session.read(names)
        replanned = session.request_count - before
        with pytest.raises(ModbusDeviceError) as refused:
            await session.write("flow_marked_writable", 1.5)
        return names, first, second, replanned, session.rejected_addresses, refused.value

    writable_flow = ModbusTag("flow_marked_writable", Area.HOLDING_REGISTER, 0, DataType.FLOAT32, writable=True)
    names, first, second, replanned, rejected, refused = run(
        _with_simulator(body, register_map=RegisterMap([*register_map, writable_flow])))
    for samples in (first, second):
        bad = {s.tag: s.status for s in samples if s.quality == BAD}
        assert bad == {"ghost": "Illegal data address: 40121 is not in the device's map",
                       "in_the_hole": "Illegal data address: 40028 is not in the device's map"}
        assert sum(s.quality == GOOD for s in samples) == len(names) - 2
    # Rejected addresses are remembered: the second read goes straight around them, no bisection.
    assert {(Area.HOLDING_REGISTER, a) for a in (27, 120, 121)} <= rejected
    assert replanned == len(plan_reads(list(register_map), rejected=rejected))
    assert refused.code == 2 and "40001" in str(refused) and "not written" in str(refused)


def test_silent_device_times_out_within_two_timeouts(free_tcp_port):
    async def scenario():
        async def swallow(reader, writer):
            while await reader.read(256):
                pass  # accepts and reads, never answers
            writer.close()

        server = await asyncio.start_server(swallow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        session = ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=port, timeout=0.5, retries=1)
        try:
            await session.connect()
            started = time.monotonic()
            with pytest.raises(DeviceError) as silent:
                await session.read(["flow"])
            return port, str(silent.value), time.monotonic() - started
        finally:
            await session.close()
            server.close()
            await server.wait_closed()

    port, message, elapsed = run(scenario())
    assert message == f"No answer from 127.0.0.1:{port} unit 1 within 0.5 s"
    assert elapsed < 5  # timeout × (retries + 1) = 1 s, not pymodbus' default 12 s; generous for a busy machine


def test_connection_refused_is_said_plainly_and_quickly(free_tcp_port):
    port = free_tcp_port()

    async def scenario():
        session = ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=port)
        started = time.monotonic()
        with pytest.raises(DeviceError) as refused:
            await session.connect()
        elapsed = time.monotonic() - started
        with pytest.raises(DeviceError) as not_connected:
            await session.read(["flow"])
        status = session.status
        await session.close()
        return str(refused.value), elapsed, str(not_connected.value), status

    message, elapsed, not_connected, status = run(scenario())
    assert message == f"Cannot connect to 127.0.0.1:{port}: connection refused"
    assert elapsed < 5  # refused at once, not after a timeout and retries; generous for a busy machine
    assert not_connected == f"Not connected to 127.0.0.1:{port}: connection refused"
    assert status.state is ConnectionState.FAILED and status.reason == "connection refused"


def test_rtu_framing_over_tcp():
    async def body(session, simulator):
        samples = await session.read(list(SIMULATOR_MAP.tags))
        await session.write("speed_setpoint", 900)
        [setpoint] = await session.read(["speed_setpoint"])
        return samples, setpoint.value

    samples, setpoint = run(_with_simulator(body, framer="rtu"))
    assert all(s.quality == GOOD for s in samples) and setpoint == 900


def test_serial_rtu_through_a_pseudo_terminal_pair(pty_pair):
    device_end, client_end = pty_pair

    async def scenario():
        simulator = await start_simulator(serial_port=device_end)
        session = ModbusSession(SIMULATOR_MAP, serial_port=client_end, baudrate=19200, unit=1)
        try:
            await session.connect()
            samples = await session.read(["flow", "device_name", "status_running", "running", "suction_pressure"])
            await session.write("control_remote", True)
            [remote] = await session.read(["status_remote"])
            await _model_ticks(simulator, 2)  # the status word follows the control word on the next tick
            [remote] = await session.read(["status_remote"])
            return samples, remote.value, session.status.state
        finally:
            await session.close()
            await simulator.stop()

    samples, remote, state = run(scenario())
    assert all(s.quality == GOOD for s in samples), samples
    assert samples[1].value == "PUMP-STATION-01" and remote is True
    assert state is ConnectionState.CONNECTED


def test_serial_client_is_constructed_and_names_a_missing_port(tmp_path):
    missing = str(tmp_path / "ttyUSB9")

    async def scenario():
        session = ModbusSession(SIMULATOR_MAP, serial_port=missing, parity="E")
        with pytest.raises(DeviceError) as failed:
            await session.connect()  # builds pymodbus' serial client: fails here without pyserial
        await session.close()
        return str(failed.value)

    assert run(scenario()) == f"Cannot connect to {missing}: no such serial port"


def test_status_follows_the_connection_through_a_device_restart():
    async def scenario():
        simulator = await start_simulator(port=0)
        port = simulator.port
        session = ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=port, reconnect_delay_max=0.5)
        seen = []
        session.status_changed.connect(seen.append)
        try:
            await session.connect()
            await simulator.stop()
            await _wait_for(lambda: session.status.attempt >= 2)
            with pytest.raises(DeviceError) as while_down:
                await session.read(["flow"])
            simulator = await start_simulator(port=port)
            await _wait_for(lambda: session.status.state is ConnectionState.CONNECTED)
            [flow] = await session.read(["flow"])
        finally:
            await session.close()
            await simulator.stop()
        return seen, str(while_down.value), flow

    seen, while_down, flow = run(scenario())
    states = [status.state for status in seen]
    assert states[:3] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED, ConnectionState.RECONNECTING]
    assert states[-2:] == [ConnectionState.CONNECTED, ConnectionState.DISCONNECTED]
    assert any(s.reason == "connection refused" and s.attempt >= 2 for s in seen)
    assert "reconnecting (attempt" in while_down and flow.quality == GOOD


async def _model_ticks(simulator, count: int) -> None:
    """Wait until the simulator's model has stepped ``count`` more times (no fixed sleep)."""
    target = simulator.steps + count
    await _wait_for(lambda: simulator.steps >= target, 10.0)


async def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_poll_publishes_to_the_live_bus():
    bus = LiveBus(capacity=100)

    async def body(session, simulator):
        for _ in range(3):
            await session.poll(["flow", "device_name", "ghost"], bus)

    run(_with_simulator(body, register_map=RegisterMap([*SIMULATOR_MAP, GHOST])))
    assert len(bus.snapshot("flow")) == 3 and bus.latest("flow")[2] == GOOD
    assert bus.latest("device_name")[1] == "PUMP-STATION-01"
    _, ghost, quality = bus.latest("ghost")
    assert quality == BAD and math.isnan(ghost)


def test_the_fault_switch_raises_vibration():
    async def body(session, simulator):
        [before] = await session.read(["vibration"])
        await session.write("fault_switch", True)
        names = ["vibration", "status_high_vibration", "high_vibration"]
        # Vibration follows the fault with a lag (the shared pump model): wait for it, not for a fixed time.
        deadline = time.monotonic() + 10
        after = await session.read(names)
        while not (after[1].value and after[2].value) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            after = await session.read(names)
        return before.value, after

    before, (vibration, status_bit, discrete) = run(_with_simulator(body))
    assert before < 4.5 < vibration.value and status_bit.value is True and discrete.value is True


def test_exception_codes_in_plain_words():
    def said(code: int, write: bool = False) -> str:
        return exception_message(code, "40014", function_code=6 if write else 3, unit=3, write=write)

    assert said(1).startswith("Illegal function") and "function code 3" in said(1)
    assert said(2, write=True) == "Illegal data address: 40014 is not in the device's map or is not writable"
    assert said(3, write=True).startswith("Illegal data value") and said(4).startswith("Server device failure")
    assert said(5).startswith("Acknowledge") and said(6).startswith("Server device busy")
    assert said(10) == "Gateway path unavailable: the gateway has no path to unit 3"
    assert said(11) == "Gateway target failed to respond: unit 3 did not answer the gateway"


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, as Ctrl-C does")
def test_simulator_command_line_prints_where_it_listens_and_stops_on_ctrl_c():
    process = subprocess.Popen([sys.executable, "-m", "device_browser.simulators.modbus", "--port", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        banner = process.stdout.readline().strip()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert banner.startswith("Modbus simulator listening on 127.0.0.1:") and banner.endswith("(unit 1)"), err
    assert process.returncode == 0, err
    assert "Modbus simulator stopped." in out and "Traceback" not in err
