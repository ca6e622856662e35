"""A Modbus pump station to commission against: ``millwright simulate modbus``.

The simulator is a real pymodbus server (Modbus TCP, RTU framing over TCP, or RTU on a
serial port) whose registers follow a pump every 100 ms: the same pump physics as the OPC UA
simulator (:mod:`device_browser.simulators.pump`) at this station's ratings, 180 m³/h at
5.5 bar into a tank 1.5 bar up — speed follows its setpoint, flow and discharge pressure sit
where the pump curve meets the system curve, current follows shaft power, vibration and bearing
temperature rise with speed and jump when the fault switch is on. :data:`SIMULATOR_MAP`
describes every register, so tests, device profiles and the CLI share one truth.

What it offers a client to test against
    * the same flow as FLOAT32 in all four byte orders: ABCD at 40001, CDAB at 40101,
      BADC at 40201, DCBA at 40301 (all four always carry the same value);
    * integers with scale (bearing temperature 0.1 °C), a UINT32 counter in ABCD and in CDAB,
      a FLOAT64 energy total, a string, a status word with bit tags, a control word whose
      bits are writable (read-modify-write);
    * an address hole, 40026–40030, that answers "Illegal data address": it lies between
      ``device_name`` and ``firmware_version``, close enough for a request planner to bridge,
      so a client meets the exception on its first read and must re-plan around it;
    * writes refused with "Illegal data address" on registers the map does not mark writable;
    * ``extra_tags=N`` scattered UINT16 tags from 41001 on, for scale tests;
    * any Modbus exception on chosen addresses: :attr:`PumpStationSimulator.fail`, a set of
      (area, 0-based address, code), e.g. ``{(Area.INPUT_REGISTER, 2, 4)}`` for a failing sensor.

Measured values can be pinned for tests with :meth:`PumpStationSimulator.set_value` (pinned
until :meth:`~PumpStationSimulator.release`); setpoints and commands set there behave as if
a client had written them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from device_browser.modbus.registers import (
    Area,
    ByteOrder,
    DataType,
    ModbusTag,
    RegisterMap,
    decode,
    encode,
    encode_bit,
)
from device_browser.session import DeviceError
from device_browser.simulators.pump import Pump

UNIT = 1
TICK_S = 0.1
EXTRA_BASE = 1000  # first holding address of the extra tags (41001)
RATED_SPEED = 1480.0  # rpm, 4-pole motor at 50 Hz
RATED_FLOW = 180.0  # m³/h at rated speed on the design system curve
VIBRATION_WARNING = 4.5  # mm/s: status bit 3, discrete input 10003
VIBRATION_TRIP = 7.1  # mm/s: the fault latches (ISO 10816-3 zone C/D, as the OPC UA station's alarm)
_HOLE = range(25, 30)  # 40026–40030: not served, inside the planner's max_gap
_WRITE_CODES = {5: Area.COIL, 15: Area.COIL, 6: Area.HOLDING_REGISTER, 16: Area.HOLDING_REGISTER,
                22: Area.HOLDING_REGISTER, 23: Area.HOLDING_REGISTER}
_OWN_CODES = {Area.COIL: 1, Area.DISCRETE_INPUT: 2, Area.HOLDING_REGISTER: 3, Area.INPUT_REGISTER: 4}
_READ_AREAS = {code: area for area, code in _OWN_CODES.items()}

log = logging.getLogger(__name__)
# Set while the simulator itself reads or writes its registers, so the request hook lets it through.
_OWN_ACCESS: contextvars.ContextVar[bool] = contextvars.ContextVar("modbus_simulator_own_access", default=False)


def _tag(name: str, area: Area, address: int, data_type: DataType = DataType.UINT16, **options: Any) -> ModbusTag:
    return ModbusTag(name, area, address, data_type, **options)


H, IR, C, D = Area.HOLDING_REGISTER, Area.INPUT_REGISTER, Area.COIL, Area.DISCRETE_INPUT
F32, F64, BIT = DataType.FLOAT32, DataType.FLOAT64, DataType.BIT

_PUMP_TAGS = (
    _tag("flow", H, 0, F32, unit="m³/h", description="Flow, FLOAT32 ABCD"),
    _tag("discharge_pressure", H, 2, F32, unit="bar", description="Discharge pressure"),
    _tag("motor_current", H, 4, F32, unit="A", description="Motor current"),
    _tag("vibration", H, 6, F32, unit="mm/s", description="Bearing vibration velocity (RMS)"),
    _tag("speed", H, 8, unit="rpm", description="Pump speed"),
    _tag("bearing_temperature", H, 9, DataType.INT16, scale=0.1, unit="°C", description="Drive-end bearing"),
    _tag("run_hours", H, 10, DataType.UINT32, scale=0.001, unit="h", description="Running hours, UINT32 ABCD"),
    _tag("status_word", H, 12, description="Status word: bit 0 running, 1 fault, 2 remote, 3 high vibration"),
    _tag("status_running", H, 12, BIT, bit=0, description="Pump running"),
    _tag("status_fault", H, 12, BIT, bit=1, description="Fault latched (vibration above 7.1 mm/s)"),
    _tag("status_remote", H, 12, BIT, bit=2, description="Remote control enabled"),
    _tag("status_high_vibration", H, 12, BIT, bit=3, description="Vibration above 4.5 mm/s"),
    _tag("speed_setpoint", H, 13, unit="rpm", writable=True, write_min=0, write_max=1500,
         description="Speed setpoint"),
    _tag("control_word", H, 14, writable=True, description="Control word: bit 0 remote, 1 reset fault, 5 lamp test"),
    _tag("control_remote", H, 14, BIT, bit=0, writable=True, description="Enable remote control"),
    _tag("control_reset_fault", H, 14, BIT, bit=1, writable=True, description="Reset a latched fault (self-clearing)"),
    _tag("control_lamp_test", H, 14, BIT, bit=5, writable=True, description="Lamp test"),
    _tag("pressure_limit", H, 15, F32, unit="bar", writable=True, write_min=0, write_max=16,
         description="High discharge pressure limit"),
    _tag("device_name", H, 17, DataType.STRING, length=8, description="Device name (16 characters)"),
    _tag("firmware_version", H, 30, description="Firmware version, major × 256 + minor"),
    _tag("energy", H, 31, F64, unit="kWh", description="Energy total, FLOAT64"),
    _tag("flow_cdab", H, 100, F32, byte_order=ByteOrder.CDAB, unit="m³/h", description="Flow, FLOAT32 CDAB"),
    _tag("run_hours_cdab", H, 102, DataType.UINT32, byte_order=ByteOrder.CDAB, scale=0.001, unit="h",
         description="Running hours, UINT32 CDAB"),
    _tag("flow_badc", H, 200, F32, byte_order=ByteOrder.BADC, unit="m³/h", description="Flow, FLOAT32 BADC"),
    _tag("flow_dcba", H, 300, F32, byte_order=ByteOrder.DCBA, unit="m³/h", description="Flow, FLOAT32 DCBA"),
    _tag("suction_pressure", IR, 0, DataType.INT16, scale=0.01, unit="bar", description="Suction pressure"),
    _tag("flow_signal", IR, 1, scale=0.001, unit="mA", description="Flow transmitter loop current, 4–20 mA"),
    _tag("motor_power", IR, 2, F32, unit="kW", description="Shaft power"),
    _tag("run_command", C, 0, writable=True, description="Start (1) or stop (0) the pump"),
    _tag("fault_switch", C, 1, writable=True, description="Test switch: simulates a bearing fault"),
    _tag("running", D, 0, description="Running feedback"),
    _tag("fault_active", D, 1, description="Fault latched"),
    _tag("high_vibration", D, 2, description="Vibration above 4.5 mm/s"),
)
_FLOW_COPIES = ("flow_cdab", "flow_badc", "flow_dcba")
_COMMANDS = ("run_command", "fault_switch", "speed_setpoint", "control_word", "pressure_limit")


def extra_tag_address(index: int) -> int:
    """Holding address of extra tag ``index``: every third register, with a 20-register gap every 50 tags."""
    return EXTRA_BASE + 3 * index + 20 * (index // 50)


def simulator_map(extra_tags: int = 0) -> RegisterMap:
    """The simulator's register map, with ``extra_tags`` scattered UINT16 tags named ``extra_0000``…"""
    extras = (_tag(f"extra_{i:04d}", H, extra_tag_address(i), description="Scale-test register")
              for i in range(extra_tags))
    return RegisterMap([*_PUMP_TAGS, *extras])


SIMULATOR_MAP = simulator_map()


@dataclass
class PumpModel:
    """The station's pump (:class:`~device_browser.simulators.pump.Pump`, shared with the OPC UA simulator)
    at this station's ratings — 180 m³/h at 5.5 bar, lifting 1.5 bar of static head — with the
    instruments and logic a Modbus pump panel adds: suction pressure, a 4–20 mA flow signal, an
    energy total, a latched fault and the status word."""

    pump: Pump = field(default_factory=lambda: _station_pump(1200.0))
    energy: float = 81_234.5  # kWh
    fault_latched: bool = False
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(1))

    def step(self, dt: float, commands: dict[str, Any]) -> dict[str, Any]:
        """Advance ``dt`` seconds under ``commands`` (tag name → value); returns the measured values."""
        running, fault = bool(commands["run_command"]), bool(commands["fault_switch"])
        # A drive clamps its setpoint to its speed range, whatever was written to the register.
        self.pump.setpoint = min(max(float(commands["speed_setpoint"]), 0.0), 1500.0) if running else 0.0
        self.pump.fault = fault
        reading = self.pump.advance(dt, self.rng)
        if reading.running:
            self.energy += reading.power * dt / 3600
        self.fault_latched = (self.fault_latched and not commands["reset_fault"]) or reading.vibration > VIBRATION_TRIP
        high_vibration = reading.vibration > VIBRATION_WARNING
        status = running | self.fault_latched << 1 | bool(commands["remote"]) << 2 | high_vibration << 3
        run_hours = round(self.pump.run_seconds / 3600, 3)
        x = reading.relative_flow
        return {
            "flow": float(reading.flow),
            "discharge_pressure": float(reading.pressure),
            "motor_current": float(reading.current),
            "vibration": float(reading.vibration),
            "speed": round(reading.speed),
            "bearing_temperature": round(float(reading.temperature), 1),
            "run_hours": run_hours,
            "run_hours_cdab": run_hours,
            "status_word": int(status),
            "energy": self.energy,
            "suction_pressure": round(1.2 - 0.3 * x**2 + 0.01 * float(self.rng.standard_normal()), 2),
            "flow_signal": round(4.0 + 16.0 * min(float(reading.flow) / 250.0, 1.0), 3),
            "motor_power": float(reading.power),
            "running": running,
            "fault_active": self.fault_latched,
            "high_vibration": high_vibration,
        }


def _station_pump(speed: float) -> Pump:
    pump = Pump(rated_speed=RATED_SPEED, rated_flow=RATED_FLOW, rated_pressure=5.5, rated_current=72.0,
                magnetising_current=22.0, shutoff_ratio=7.5 / 5.5, static_head=1.5 / 5.5, setpoint=speed,
                speed=speed, run_seconds=12_345.678 * 3600)
    pump.settle()
    return pump


def _device_image(tag: ModbusTag, value: Any) -> list[int] | list[bool]:
    """The registers the device holds for ``value``: the client's own encoder, minus the client's write rules."""
    if tag.area.is_bit:
        return [bool(value)]
    as_stored = replace(tag, area=Area.HOLDING_REGISTER, writable=True, write_min=None, write_max=None)
    return encode(as_stored, value)


def _sim_blocks(extra_span: int) -> tuple[list[SimData], ...]:
    """pymodbus blocks (coils, discrete inputs, holding, input); addresses outside them answer exception 2."""
    holding = [SimData(0, count=_HOLE.start, datatype=SimType.REGISTERS),
               SimData(_HOLE.stop, count=6, datatype=SimType.REGISTERS),
               SimData(100, count=4, datatype=SimType.REGISTERS),
               SimData(200, count=2, datatype=SimType.REGISTERS),
               SimData(300, count=2, datatype=SimType.REGISTERS)]
    if extra_span:
        # One served block, like a PLC's contiguous memory area: the unmapped registers between
        # the scattered tags read as 0 rather than failing.
        holding.append(SimData(EXTRA_BASE, count=extra_span, datatype=SimType.REGISTERS))
    bits = [False] * 16
    return ([SimData(0, values=list(bits), datatype=SimType.BITS)],
            [SimData(0, values=list(bits), datatype=SimType.BITS)],
            holding,
            [SimData(0, count=4, datatype=SimType.REGISTERS)])


class PumpStationSimulator:
    """A running simulator: its address, its register map, and live access to its values.

    Create it with :func:`start_simulator`. ``port`` is the TCP port (None on a serial line),
    ``serial_port`` the serial device (None on TCP).
    """

    def __init__(self, register_map: RegisterMap, *, host: str, port: int | None, serial_port: str | None,
                 framer: FramerType, unit: int = UNIT, baudrate: int = 19200):
        self.map, self.host, self.port, self.serial_port = register_map, host, port, serial_port
        self.framer, self.unit, self.baudrate = framer, unit, baudrate
        self.model = PumpModel()
        # Exceptions to answer, as (area, 0-based address, Modbus exception code): any client request
        # touching the address gets the code, e.g. {(Area.INPUT_REGISTER, 12, 4)} for a failing sensor.
        self.fail: set[tuple[Area, int, int]] = set()
        self._pinned: dict[str, Any] = {}
        self._writable = {(tag.area, address) for tag in register_map if tag.writable
                          for address in range(tag.address, tag.end)}
        extras = [tag for tag in register_map if tag.name.startswith("extra_")]
        self._extra_span = max((tag.end for tag in extras), default=EXTRA_BASE) - EXTRA_BASE
        self._extra_offsets = [tag.address - EXTRA_BASE for tag in extras]
        self._tick = 0
        self.steps = 0  # model steps so far: tests wait for a step instead of sleeping
        self._task: asyncio.Task | None = None
        self._pending: set[asyncio.Task] = set()
        self.server: ModbusTcpServer | ModbusSerialServer | None = None

    @property
    def address(self) -> str:
        """Where clients reach it: ``host:port`` or the serial device."""
        return self.serial_port or f"{self.host}:{self.port}"

    def device(self) -> SimDevice:
        return SimDevice(self.unit, simdata=_sim_blocks(self._extra_span), action=self._on_request)

    async def _on_request(self, function_code: int, _start: int, address: int, count: int,
                          _registers: list[int], values: list[int] | list[bool] | None) -> ExcCodes | None:
        """Answer as a real device would: exceptions asked for in :attr:`fail`, and "Illegal data
        address" for client writes to registers the map does not mark writable."""
        if _OWN_ACCESS.get():
            return None
        area = _WRITE_CODES.get(function_code) or _READ_AREAS.get(function_code)
        if area is not None and self.fail:
            # For coils and discrete inputs pymodbus passes the bit address and a count of 16-bit words.
            span = range(address, address + (16 * count if area.is_bit else count))
            for fail_area, fail_address, code in self.fail:
                if fail_area == area and fail_address in span:
                    return ExcCodes(code)
        write_area = _WRITE_CODES.get(function_code)
        if write_area is None or values is None:
            return None
        if all((write_area, address + i) in self._writable for i in range(len(values))):
            return None
        return ExcCodes.ILLEGAL_ADDRESS

    async def start(self) -> None:
        if self.serial_port:
            self.server = ModbusSerialServer(self.device(), framer=FramerType.RTU, port=self.serial_port,
                                             baudrate=self.baudrate, timeout=1.0)
        else:
            self.server = ModbusTcpServer(self.device(), framer=self.framer, address=(self.host, self.port or 0))
        await self._write_initial_values()
        await self.server.serve_forever(background=True)
        if not self.serial_port and not self.port:
            self.port = self.server.transport.sockets[0].getsockname()[1]
        self._task = asyncio.create_task(self._run_process(), name="pump station model")

    async def _write_initial_values(self) -> None:
        await self.set_value("speed_setpoint", 1200)
        await self.set_value("run_command", True)
        await self.set_value("pressure_limit", 9.5)
        await self._store(self.map["device_name"], "PUMP-STATION-01")
        await self._store(self.map["firmware_version"], 0x0103)
        await self._step()

    async def stop(self) -> None:
        """Stop the model and the server; idempotent."""
        tasks = [*self._pending, *([self._task] if self._task else [])]
        self._task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.server:
            await self.server.shutdown()
            self.server = None

    async def _run_process(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            next_tick += TICK_S
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
            try:
                await self._step()
            except Exception:  # keep serving: a model bug must not take the device off the bus
                log.exception("Pump station model step failed")

    async def _step(self) -> None:
        commands = {name: await self.value(name) for name in _COMMANDS}
        commands["reset_fault"] = await self.value("control_reset_fault")
        commands["remote"] = await self.value("control_remote")
        measured = self.model.step(TICK_S, commands) | self._pinned
        for copy in _FLOW_COPIES:
            measured[copy] = measured["flow"]
        for name, value in measured.items():
            if name not in _COMMANDS:
                await self._store(self.map[name], value)
        if commands["reset_fault"]:  # a pulse: the device clears it once done
            await self._store(self.map["control_reset_fault"], False)
        await self._update_extras()
        self.steps += 1

    async def _update_extras(self) -> None:
        if not self._extra_span:
            return
        self._tick += 1
        block = [0] * self._extra_span
        for offset in self._extra_offsets:
            block[offset] = (offset * 7 + self._tick) % 1000  # a sawtooth per tag, each in its own phase
        await self._set_raw(Area.HOLDING_REGISTER, EXTRA_BASE, block)

    def set_value(self, name: str, value: Any) -> asyncio.Task:
        """Set a tag. Measured values stay pinned until :meth:`release`; commands act as if a client wrote them.

        The value is checked at once (a value its data type cannot hold raises
        :class:`DeviceError`); it is in the registers after one turn of the loop, or when the
        returned task is awaited.
        """
        tag = self.map[name]
        registers = self._image_now(tag, value)
        if name not in _COMMANDS and not tag.writable:
            self._pinned[name] = value
        task = asyncio.get_running_loop().create_task(self._store(tag, value, registers))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task

    def release(self, name: str) -> None:
        """Let the model drive a value pinned by :meth:`set_value` again."""
        self._pinned.pop(name, None)

    async def value(self, name: str) -> Any:
        """The tag's current value, decoded from the server's registers."""
        tag = self.map[name]
        return decode(tag, await self._get_raw(tag.area, tag.address, tag.register_count))

    @staticmethod
    def _image_now(tag: ModbusTag, value: Any) -> list[int] | list[bool] | None:
        """The registers for ``value`` (None for a bit of a register, which depends on the others)."""
        if tag.data_type is DataType.BIT:
            encode_bit(replace(tag, writable=True), 0, value)  # only checks the value
            return None
        return _device_image(tag, value)

    async def _store(self, tag: ModbusTag, value: Any, registers: list[int] | list[bool] | None = None) -> None:
        if tag.data_type is DataType.BIT:
            [current] = await self._get_raw(tag.area, tag.address, 1)
            registers = [encode_bit(replace(tag, writable=True), current, value)]
        await self._set_raw(tag.area, tag.address, registers or _device_image(tag, value))

    async def _get_raw(self, area: Area, address: int, count: int) -> list[int] | list[bool]:
        token = _OWN_ACCESS.set(True)
        try:
            return await self._server().async_getValues(self.unit, _OWN_CODES[area], address, count)
        finally:
            _OWN_ACCESS.reset(token)

    async def _set_raw(self, area: Area, address: int, values: list[int] | list[bool]) -> None:
        token = _OWN_ACCESS.set(True)
        try:
            await self._server().async_setValues(self.unit, _OWN_CODES[area], address, values)
        finally:
            _OWN_ACCESS.reset(token)

    def _server(self) -> ModbusTcpServer | ModbusSerialServer:
        if self.server is None:
            raise DeviceError("The Modbus simulator is stopped")
        return self.server


def _check_port_free(host: str, port: int) -> None:
    """Say why we cannot listen: pymodbus only logs the reason and raises a generic error."""
    if not port:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise DeviceError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None


async def start_simulator(host: str = "127.0.0.1", port: int = 0, framer: str = "socket", extra_tags: int = 0,
                          serial_port: str | None = None, baudrate: int = 19200) -> PumpStationSimulator:
    """Start the pump-station simulator on the running loop and return it.

    Parameters
    ----------
    host, port
        Where to listen for TCP; ``port=0`` picks a free port (read it back from ``.port``).
    framer
        ``"socket"`` for Modbus TCP, ``"rtu"`` for RTU framing over TCP (or on ``serial_port``).
    extra_tags
        Number of extra scattered UINT16 tags (41001 on) for scale tests.
    serial_port, baudrate
        Serve RTU (8N1) on this serial device (e.g. one end of a socat pty pair) instead of TCP.
    """
    framer_type = FramerType.RTU if serial_port else FramerType(framer)
    if not serial_port:
        _check_port_free(host, port)
    simulator = PumpStationSimulator(simulator_map(extra_tags), host=host, port=port or None,
                                     serial_port=serial_port, framer=framer_type, baudrate=baudrate)
    try:
        await simulator.start()
    except RuntimeError as exc:  # pymodbus: "Could not start listen, please check address."
        await simulator.stop()
        raise DeviceError(f"Cannot start the Modbus simulator on {simulator.address}: {exc}") from None
    return simulator


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``millwright simulate modbus``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5020, help="TCP port (default 5020; 0 picks a free one)")
    parser.add_argument("--rtu-over-tcp", action="store_true", help="RTU framing over TCP instead of Modbus TCP")
    parser.add_argument("--serial", metavar="PORT", help="serve RTU on this serial port instead of TCP")
    parser.add_argument("--baudrate", type=int, default=19200, help="serial baud rate (default 19200, 8N1)")
    parser.add_argument("--extra-tags", type=int, default=0, metavar="N",
                        help="add N scattered holding-register tags from 41001 on, for scale tests")


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (SIGINT) or SIGTERM; returns the exit code."""
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass
    except DeviceError as exc:
        print(f"millwright: {exc}", file=sys.stderr)
        return 1
    print("Modbus simulator stopped.", flush=True)
    return 0


async def _serve(args: argparse.Namespace) -> None:
    simulator = await start_simulator(args.host, args.port, "rtu" if args.rtu_over_tcp else "socket",
                                      args.extra_tags, serial_port=args.serial, baudrate=args.baudrate)
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers on Windows loops
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    framing = " — RTU framing over TCP" if args.rtu_over_tcp else ""
    if args.serial:
        framing = f" — RTU {args.baudrate} 8N1"
    print(f"Modbus simulator listening on {simulator.address} (unit {simulator.unit}){framing}", flush=True)
    print(f"{len(simulator.map)} tags; press Ctrl-C to stop.", flush=True)
    try:
        await stop.wait()
    finally:  # also on Ctrl-C, when asyncio.run cancels this task
        await simulator.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="millwright simulate modbus",
                                     description="Run a Modbus pump-station simulator.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
