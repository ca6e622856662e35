"""Modbus faults named for what they are, against the real simulator on loopback (no pymodbus mocks):
exceptions isolated to the failing tag, an answer that is not Modbus, methods that Modbus does not
have, raw addresses without a profile, and pymodbus' own log lines kept off the console."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from device_browser.modbus.client import ModbusSession
from device_browser.modbus.errors import quiet_pymodbus_logs
from device_browser.modbus.registers import Area
from device_browser.session import BAD, GOOD, ConnectionState, DeviceError
from device_browser.simulators.modbus import SIMULATOR_MAP, start_simulator

IR, H = Area.INPUT_REGISTER, Area.HOLDING_REGISTER


def run(scenario, timeout: float = 30.0):
    return asyncio.run(asyncio.wait_for(scenario, timeout))


async def _with_simulator(body, **options):
    simulator = await start_simulator(port=0)
    session = ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=simulator.port, **options)
    try:
        await session.connect()
        return await body(session, simulator)
    finally:
        await session.close()
        await simulator.stop()


def test_a_device_failure_on_one_register_leaves_its_neighbour_good():
    # suction_pressure (30001) and motor_power (30003–30004) go out in one request; 30003 fails.
    async def body(session, simulator):
        simulator.fail.add((IR, 2, 4))
        first = await session.read(["suction_pressure", "motor_power"])
        before = session.counters.requests
        second = await session.read(["suction_pressure", "motor_power"])
        replanned = session.counters.requests - before
        simulator.fail.clear()  # the device recovers
        third = await session.read(["suction_pressure", "motor_power"])
        return first, second, replanned, third, session.rejected_addresses

    first, second, replanned, third, rejected = run(_with_simulator(body))
    for suction, power in (first, second):
        assert suction.quality == GOOD and isinstance(suction.value, float)
        assert power.quality == BAD and power.status == "Server device failure: the device failed while reading 30003"
    assert replanned == 2  # the failing tag is read on its own for a while, without bisecting again
    assert [s.quality for s in third] == [GOOD, GOOD]
    assert rejected == frozenset()  # a transient failure is not remembered as "not in the map"


def test_any_exception_code_is_isolated_to_its_tag():
    names = ["flow", "discharge_pressure", "speed", "bearing_temperature", "run_hours", "status_word"]

    async def body(session, simulator):
        simulator.fail |= {(H, 8, 6), (H, 11, 3)}  # speed: busy; run_hours' second register: illegal value
        return await session.read(names)

    samples = {s.tag: s for s in run(_with_simulator(body))}
    assert samples["speed"].status.startswith("Server device busy") and samples["speed"].quality == BAD
    assert samples["run_hours"].status == "Illegal data value: the device refused the request for 40011"
    assert {name for name, s in samples.items() if s.quality == GOOD} == set(names) - {"speed", "run_hours"}


def test_illegal_address_is_still_remembered_for_good():
    async def body(session, simulator):
        simulator.fail.add((H, 9, 2))
        first = await session.read(["speed", "bearing_temperature", "run_hours"])
        simulator.fail.clear()
        return first, session.rejected_addresses

    first, rejected = run(_with_simulator(body))
    assert [s.quality for s in first] == [GOOD, BAD, GOOD]
    assert first[1].status == "Illegal data address: 40010 is not in the device's map"
    assert rejected == {(H, 9)}


def test_raw_addresses_read_write_and_mix_with_names():
    async def body(session, simulator):
        await simulator.set_value("flow", 42.5)
        await simulator.set_value("run_hours", 1234.5)
        steps = simulator.steps
        while simulator.steps < steps + 2:  # the copies in the other byte orders follow on the next model step
            await asyncio.sleep(0.02)
        samples = await session.read(["40001:float32", "hr:100:float32:CDAB", "400201:real:BADC", "flow",
                                      "40011:uint32", "40013.0", "co:0", "10001", "hr:70000", "nonsense"])
        await session.write("40014", 1300)  # speed_setpoint, without a profile
        await session.write("co:1", True)  # fault_switch
        after = await session.read(["speed_setpoint", "fault_switch"])
        with pytest.raises(DeviceError, match="Modbus cannot write"):
            await session.write("30001", 1)
        return samples, after

    samples, after = run(_with_simulator(body))
    by_tag = {s.tag: s for s in samples}
    assert [by_tag[t].value for t in ("40001:float32", "hr:100:float32:CDAB", "400201:real:BADC", "flow")] == [42.5] * 4
    assert by_tag["40011:uint32"].value == 1234500 and by_tag["40013.0"].value is True
    assert by_tag["co:0"].value is True and by_tag["10001"].value is True
    assert by_tag["hr:70000"].quality == BAD and "whole numbers 0…65535" in by_tag["hr:70000"].status
    assert by_tag["nonsense"].quality == BAD and "No tag 'nonsense'" in by_tag["nonsense"].status
    assert [s.value for s in after] == [1300, True]


def test_modbus_has_no_methods():
    async def body(session, simulator):
        with pytest.raises(DeviceError) as refused:
            await session.call("pump", "Start")
        return str(refused.value), session.counters.requests

    message, requests = run(_with_simulator(body))
    assert message.startswith("Modbus devices have no methods: 'Start' cannot be called on 127.0.0.1:")
    assert requests == 0


async def _http_server():
    """A tiny web server: whatever it is sent, it answers 400 Bad Request and hangs up, as a real one does."""
    handlers: set[asyncio.Task] = set()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            await reader.read(1024)
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, handlers


def test_an_answer_that_is_not_modbus_is_named_as_such(caplog):
    caplog.set_level(logging.INFO)  # what a normal run shows; pymodbus' own lines must not be among it

    async def scenario():
        server, handlers = await _http_server()
        port = server.sockets[0].getsockname()[1]
        session = ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=port, timeout=0.5, retries=0,
                                reconnect_delay_max=0.5)
        reasons = []
        session.status_changed.connect(lambda status: reasons.append(status.reason))
        try:
            await session.connect()
            with pytest.raises(DeviceError) as wrong:
                await session.read(["flow"])
            return port, str(wrong.value), reasons, session.counters.errors
        finally:
            await session.close()
            server.close()
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

    port, message, reasons, errors = run(scenario())
    expected = f"The device at 127.0.0.1:{port} answered, but not in Modbus TCP (wrong port or protocol?)"
    assert message == expected and errors == 1
    assert expected[0].lower() + expected[1:] in reasons  # the status says it too, not just "closed"
    assert not [r for r in caplog.records if r.name.startswith("pymodbus")]


def test_pymodbus_logs_pass_only_when_the_root_logger_is_at_debug():
    root, pymodbus = logging.getLogger(), logging.getLogger("pymodbus")
    saved = root.level
    try:
        root.setLevel(logging.DEBUG)
        quiet_pymodbus_logs()
        assert pymodbus.propagate and pymodbus.isEnabledFor(logging.DEBUG)
        root.setLevel(logging.WARNING)
        quiet_pymodbus_logs()
        assert not pymodbus.propagate and not pymodbus.isEnabledFor(logging.CRITICAL)
    finally:
        root.setLevel(saved)
        quiet_pymodbus_logs()


def test_a_refused_connection_is_retried_with_backoff_and_counted(free_tcp_port):
    port = free_tcp_port()

    async def scenario():
        simulator = await start_simulator(port=port)
        session = ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=port, timeout=0.5, reconnect_delay_max=0.4)
        attempts = []
        session.status_changed.connect(lambda s: attempts.append(s.attempt) if s.state is
                                       ConnectionState.RECONNECTING else None)
        try:
            await session.connect()
            await simulator.stop()
            while max(attempts, default=0) < 4:
                await asyncio.sleep(0.02)
            simulator = await start_simulator(port=port)
            while session.status.state is not ConnectionState.CONNECTED:
                await asyncio.sleep(0.02)
            [flow] = await session.read(["flow"])
            return attempts, session.counters, flow
        finally:
            await session.close()
            await simulator.stop()

    attempts, counters, flow = run(scenario())
    assert attempts[:4] == [1, 2, 3, 4] and counters.reconnects == 1 and flow.quality == GOOD
