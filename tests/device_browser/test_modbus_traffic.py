"""The traffic log: bounded, thread-safe, and fed by a real session talking to the simulator on loopback."""

from __future__ import annotations

import asyncio
import threading

import pytest

from device_browser.modbus.client import ModbusDeviceError, ModbusSession
from device_browser.modbus.registers import Area, RegisterMap
from device_browser.modbus.traffic import TIMEOUT, TrafficLog, TrafficRecord, transaction_record
from device_browser.simulators.modbus import start_simulator


def _record(i: int, **options) -> TrafficRecord:
    return TrafficRecord(i, 3, 1, i, 1, b"", b"", float(i), **options)


def test_the_log_keeps_the_newest_and_counts_everything():
    log = TrafficLog(capacity=3)
    for i in range(5):
        log.record(_record(i, exception_code=2 if i == 1 else None, error=TIMEOUT if i == 4 else ""))
    assert [r.time_ns for r in log.records()] == [2, 3, 4]
    totals = log.totals()
    assert (totals.requests, totals.exceptions, totals.timeouts, totals.max_ms) == (5, 1, 1, 4.0)
    assert totals.mean_ms == pytest.approx(2.0)
    records, cursor = log.since(0)
    assert [r.time_ns for r in records] == [2, 3, 4] and cursor == 5
    log.record(_record(5))
    assert [r.time_ns for r in log.since(cursor)[0]] == [5]
    log.clear()
    assert log.records() == [] and log.totals().requests == 0 and log.since(cursor + 1) == ([], 6)


def test_a_reader_on_another_thread_sees_each_record_once_in_order():
    log = TrafficLog(capacity=100_000)
    done = threading.Event()

    def write() -> None:
        for i in range(20_000):
            log.record(_record(i))
        done.set()

    seen: list[int] = []
    cursor = 0
    writer = threading.Thread(target=write)
    writer.start()
    while not done.is_set() or cursor < 20_000:
        records, cursor = log.since(cursor)
        seen += [r.time_ns for r in records]
    writer.join()
    assert seen == list(range(20_000))


def test_request_fields_come_from_the_frame():
    tcp = transaction_record(1, bytes.fromhex("000100000006010300000002"), b"", 1.0, rtu=False)
    assert (tcp.function_code, tcp.unit, tcp.address, tcp.count, tcp.where) == (3, 1, 0, 2, "40001 (hr:0)")
    rtu = transaction_record(1, bytes.fromhex("0206000D05DC") + b"\0\0", b"", 1.0, rtu=True)
    assert (rtu.function_code, rtu.unit, rtu.address, rtu.count) == (6, 2, 13, 1)
    assert rtu.function_text == "06 write single register"


def test_a_session_records_requests_answers_and_exceptions_only_when_a_log_is_attached():
    async def scenario() -> tuple[TrafficLog, list[int]]:
        simulator = await start_simulator(port=0)
        session = ModbusSession(RegisterMap([]), host="127.0.0.1", port=simulator.port)
        log = TrafficLog()
        try:
            await session.connect()
            await session.read_raw(Area.HOLDING_REGISTER, 0, 2)
            assert session._sent_frame == b""  # no monitor: no frames copied
            session.traffic = log
            registers = await session.read_raw(Area.HOLDING_REGISTER, 100, 4)
            await session.read_raw(Area.COIL, 0, 2)
            with pytest.raises(ModbusDeviceError) as refused:
                await session.read_raw(Area.HOLDING_REGISTER, 25, 1)  # 40026: the simulator's hole
            assert refused.value.code == 2 and "40026" in str(refused.value)
            return log, registers
        finally:
            await session.close()
            await simulator.stop()

    log, registers = asyncio.run(asyncio.wait_for(scenario(), 20))
    first, coils, hole = log.records()
    assert (first.function_code, first.unit, first.address, first.count, first.ok) == (3, 1, 100, 4, True)
    assert first.response[7:9] == bytes([3, 8])  # function code, 8 bytes of data
    assert [int.from_bytes(first.response[9 + 2 * i:11 + 2 * i], "big") for i in range(4)] == registers
    assert first.duration_ms > 0 and first.where == "40101 (hr:100)"
    assert (coils.function_code, coils.where) == (1, "00001 (co:0)")
    assert hole.exception_code == 2 and hole.result_text == "Illegal data address (exception 2)"
    assert hole.response[7] == 0x83
    assert (log.totals().requests, log.totals().exceptions, log.totals().timeouts) == (3, 1, 0)
