"""Every reading of a register range at once: what ``millwright device interpret`` prints.

A manual that says "flow, 2 registers at 40001" rarely says the type and never the byte order
correctly. Looking at the same registers as int16/uint16, and each pair as int32/uint32/float32
in all four byte orders (each run of four as float64/int64), the plausible one stands out:
42.5 m³/h, not 1.1e-38 or 1110048768. A pure function, so the CLI and the device view agree.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from device_browser.modbus.addresses import both_forms
from device_browser.modbus.registers import Area, ByteOrder, DataType, registers_to_bytes

_FORMATS = {DataType.INT16: "h", DataType.UINT16: "H", DataType.INT32: "i", DataType.UINT32: "I",
            DataType.FLOAT32: "f", DataType.INT64: "q", DataType.FLOAT64: "d"}
_PAIR_TYPES = (DataType.INT32, DataType.UINT32, DataType.FLOAT32)
_QUAD_TYPES = (DataType.FLOAT64, DataType.INT64)


@dataclass(frozen=True)
class Interpretation:
    """One way to read the registers from ``offset`` (0 = the first register given)."""

    offset: int
    count: int  # registers used: 1, 2 or 4
    data_type: DataType
    byte_order: ByteOrder | None  # None for single registers, where order does not apply
    value: int | float

    @property
    def plausible(self) -> bool:
        """A float that is finite and neither tiny nor astronomically large (a wrong order usually is)."""
        if not isinstance(self.value, float):
            return True
        return math.isfinite(self.value) and (self.value == 0.0 or 1e-6 <= abs(self.value) <= 1e12)


def interpret(registers: Sequence[int]) -> list[Interpretation]:
    """All interpretations, by offset: int16/uint16 of each register, then int32/uint32/float32 of each
    pair from there in ABCD, CDAB, BADC and DCBA, then float64/int64 of each run of four.

    >>> [i.value for i in interpret([0x4049, 0x0FD0]) if i.data_type == "float32"][0]  # doctest: +ELLIPSIS
    3.14159...
    """
    words = [_register(word) for word in registers]
    rows: list[Interpretation] = []
    for offset, word in enumerate(words):
        data = word.to_bytes(2, "big")
        rows += [Interpretation(offset, 1, kind, None, _unpack(kind, data)) for kind in (DataType.INT16,
                                                                                            DataType.UINT16)]
        for count, kinds in ((2, _PAIR_TYPES), (4, _QUAD_TYPES)):
            if offset + count > len(words):
                continue
            for order in ByteOrder:
                data = registers_to_bytes(words[offset:offset + count], order)
                rows += [Interpretation(offset, count, kind, order, _unpack(kind, data)) for kind in kinds]
    return rows


def format_interpretations(rows: Sequence[Interpretation], start: int = 0,
                           area: Area = Area.HOLDING_REGISTER) -> list[str]:
    """Text lines for a terminal: ``40001 (hr:0)  2 reg  float32  ABCD   3.14159``; ``start`` is the
    0-based address of the first register. Implausible floats are marked with ``?``."""
    lines = []
    for row in rows:
        where = both_forms(area, start + row.offset)
        order = str(row.byte_order) if row.byte_order else "-"
        mark = "" if row.plausible else "  ?"
        lines.append(f"{where:<16} {row.count} reg  {row.data_type:<7}  {order:<4}  {_shown(row.value)}{mark}")
    return lines


def _register(word: int) -> int:
    if not -0x8000 <= int(word) <= 0xFFFF:
        raise ValueError(f"{word} is not a 16-bit register value")
    return int(word) & 0xFFFF


def _unpack(kind: DataType, data: bytes) -> int | float:
    return struct.unpack(">" + _FORMATS[kind], data)[0]


def _shown(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value:.7g}"
    return str(value)
