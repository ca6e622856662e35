"""Vectorised parsing of the cells of an imported file: numbers, times and qualities.

Every function takes a whole column (a pyarrow array of text, or numbers already typed) and
returns numpy arrays plus a mask of the cells it could not read, which the caller reports
with their row numbers. The good path is one pyarrow/pandas call per column; finding the bad
cells is a second vectorised pass that runs only when the first one fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nodes.chunk import BAD, GOOD, UNCERTAIN

TIME_FORMATS = ("auto", "iso", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns")
NS_PER = {"epoch_s": 1e9, "epoch_ms": 1e6, "epoch_us": 1e3, "epoch_ns": 1.0}
AMBIGUOUS = ("report", "earliest", "latest", "infer")
_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(nan|NaN|NAN|inf|Inf|INF|infinity|Infinity)$"
_OFFSET = r"(Z|z|[+-]\d\d(:?\d\d)?)$"
_BOOLEANS = {"true": "1", "false": "0", "True": "1", "False": "0", "TRUE": "1", "FALSE": "0"}

# Quality words of historian exports (lower case), English and Chinese.
QUALITY_WORDS = {
    "good": GOOD, "ok": GOOD, "valid": GOOD, "normal": GOOD, "g": GOOD, "好": GOOD, "良好": GOOD, "正常": GOOD,
    "有效": GOOD, "uncertain": UNCERTAIN, "questionable": UNCERTAIN, "suspect": UNCERTAIN,
    "substituted": UNCERTAIN, "manual": UNCERTAIN, "u": UNCERTAIN, "不确定": UNCERTAIN, "可疑": UNCERTAIN,
    "bad": BAD, "invalid": BAD, "error": BAD, "fail": BAD, "failed": BAD, "comm fail": BAD, "b": BAD,
    "坏": BAD, "差": BAD, "无效": BAD, "异常": BAD, "故障": BAD}
QUALITY_CODES = ("text", "opcua", "opcda")


@dataclass
class Parsed:
    """A parsed column: ``values`` and the mask of cells that had text but could not be read."""

    values: np.ndarray
    bad: np.ndarray


def as_text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous array of text (pyarrow hands columns over in chunks)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) \
        else pc.cast(column, pa.string())


def numbers(column: pa.ChunkedArray | pa.Array, decimal: str = ".") -> Parsed:
    """Floats of a column; empty cells are NaN and not bad, text that is no number is NaN and bad.

    Accepts ``1.5``, ``-2e3``, ``nan``, ``inf``, ``true``/``false`` and, with ``decimal=","``,
    ``12,5``; spaces around a number are ignored.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_null(kind):
        values = array.to_numpy(zero_copy_only=False).astype(np.float64)
        return Parsed(values, np.zeros(len(values), bool))
    text = as_text(array)
    if decimal != ".":
        text = pc.replace_substring(text, decimal, ".")
    for attempt in range(2):  # as written, then without spaces around the numbers
        try:
            cast = pc.cast(text, pa.float64())
            return Parsed(cast.to_numpy(zero_copy_only=False), np.zeros(len(text), bool))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if attempt == 0:
                text = pc.utf8_trim_whitespace(text)
    for word, digit in _BOOLEANS.items():  # rare: only on the slow path
        text = pc.if_else(pc.equal(text, word), digit, text)
    empty = pc.fill_null(pc.equal(text, ""), True)
    good = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
    bad = pc.and_(pc.invert(good), pc.invert(empty))
    values = pc.cast(pc.if_else(good, text, pa.scalar(None, pa.string())), pa.float64())
    return Parsed(values.to_numpy(zero_copy_only=False), bad.to_numpy(zero_copy_only=False))


def times(column: pa.ChunkedArray | pa.Array, fmt: str = "auto") -> tuple[Parsed, np.ndarray]:
    """Times of a column as int64 ns, and the mask of times that carried their own zone (or offset).

    ``fmt``: ``auto`` (ISO 8601 text, or numbers as seconds since 1970), ``iso``, ``epoch_s``,
    ``epoch_ms``, ``epoch_us``, ``epoch_ns`` or a ``strftime`` pattern (``%d.%m.%Y %H:%M:%S``).
    Times without a zone come back as wall-clock ns, to be placed by :func:`localize`. Empty and
    unreadable cells are marked bad (an empty time cannot be placed either).
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(array)
    kind = array.type
    if pa.types.is_timestamp(kind):
        ns = pc.cast(array, pa.timestamp("ns", kind.tz)).cast(pa.int64()).to_numpy(zero_copy_only=False)
        valid = pc.is_valid(array).to_numpy(zero_copy_only=False)
        return Parsed(np.where(valid, ns, 0), ~valid), np.full(n, kind.tz is not None)
    if fmt in NS_PER or (fmt == "auto" and _all_numbers(array)):
        parsed = numbers(array)
        scaled = parsed.values * NS_PER.get(fmt, 1e9)
        bad = parsed.bad | ~np.isfinite(scaled) | (np.abs(scaled) > 9.2e18)  # int64 ns end in 2262
        return Parsed(np.where(bad, 0, np.round(np.where(bad, 0, scaled))).astype(np.int64), bad), np.ones(n, bool)
    text = pc.utf8_trim_whitespace(as_text(array))
    if fmt in ("auto", "iso"):
        return _iso(text)
    return _pattern(text, fmt)


def _all_numbers(array: pa.Array) -> bool:
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return pa.types.is_integer(array.type) or pa.types.is_floating(array.type)
    sample = pc.utf8_trim_whitespace(array.slice(0, 1000).drop_null())
    return len(sample) > 0 and pc.all(pc.match_substring_regex(sample, _NUMBER)).as_py()


def _iso(text: pa.Array) -> tuple[Parsed, np.ndarray]:
    n = len(text)
    # The fast path: every time naive, or every time with an offset, as the first ones are (a failed
    # cast costs as much as a whole parse, so the likely one is tried first).
    head = pc.fill_null(pc.match_substring_regex(text.slice(0, 1000).drop_null(), _OFFSET), False)
    first_zoned = pc.sum(head).as_py() or 0
    guesses = (True, False) if first_zoned == len(head) and len(head) else \
        (False, True) if first_zoned == 0 else ()
    for zoned in guesses:
        try:
            cast = pc.cast(text, pa.timestamp("ns", "UTC" if zoned else None))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        valid = pc.is_valid(cast).to_numpy(zero_copy_only=False)
        return Parsed(cast.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False), ~valid), np.full(n, zoned)
    import pandas as pd

    strings = text.to_pandas()
    zoned = pc.fill_null(pc.match_substring_regex(text, _OFFSET), False).to_numpy(zero_copy_only=False)
    ns = np.zeros(n, np.int64)
    bad = np.zeros(n, bool)
    for part, utc in ((~zoned, False), (zoned, True)):
        if part.any():
            stamps = pd.to_datetime(strings[part], format="ISO8601", errors="coerce", utc=utc)
            if utc:
                stamps = stamps.dt.tz_localize(None)
            ns[part] = stamps.to_numpy("datetime64[ns]").view(np.int64)
            bad[part] = stamps.isna().to_numpy()
    ns[bad] = 0
    return Parsed(ns, bad), zoned


def _pattern(text: pa.Array, fmt: str) -> tuple[Parsed, np.ndarray]:
    import pandas as pd

    stamps = pd.to_datetime(text.to_pandas(), format=fmt, errors="coerce", utc="%z" in fmt or "%Z" in fmt)
    bad = stamps.isna().to_numpy()
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    ns = stamps.to_numpy("datetime64[ns]").view(np.int64).copy()
    ns[bad] = 0
    return Parsed(ns, bad), np.full(len(text), "%z" in fmt or "%Z" in fmt)


@dataclass
class Placed:
    """Wall-clock times placed in a zone: UTC ns, and the rows that fell in a DST change."""

    ns: np.ndarray
    ambiguous: np.ndarray  # the hour the clocks went back over: it happened twice
    nonexistent: np.ndarray  # the hour the clocks skipped


def localize(ns: np.ndarray, zone: str, ambiguous: str = "report") -> Placed:
    """UTC ns of wall-clock times ``ns`` read in ``zone`` (an IANA name such as ``Asia/Shanghai``).

    In the autumn hour that a zone with daylight saving lives twice, ``ambiguous`` decides:
    ``report`` (marks the rows, which the caller reports), ``earliest`` (the first pass, summer
    time), ``latest`` (the second) or ``infer`` (from the order of the times, as a logger that
    writes steadily through the change gives them). Times in the skipped spring hour are always
    marked ``nonexistent``.
    """
    import pandas as pd

    n = len(ns)
    wall = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    first = wall.tz_localize(zone, ambiguous=np.ones(n, bool), nonexistent="NaT")
    second = wall.tz_localize(zone, ambiguous=np.zeros(n, bool), nonexistent="NaT")
    missing = np.asarray(first.isna())
    a = first.asi8
    b = second.asi8
    twice = ~missing & (a != b)
    utc = b if ambiguous == "latest" else a
    if ambiguous == "infer" and twice.any():
        try:
            utc = wall.tz_localize(zone, ambiguous="infer", nonexistent="NaT").asi8
            twice = np.zeros(n, bool)
        except Exception:  # noqa: BLE001 - pandas raises several types when the order does not tell
            pass  # the rows stay marked: the caller reports them
    elif ambiguous in ("earliest", "latest"):
        twice = np.zeros(n, bool)
    return Placed(np.where(missing, 0, utc).astype(np.int64), twice, missing)


def qualities(column: pa.ChunkedArray | pa.Array, codes: str = "text",
              words: dict[str, str] | None = None) -> Parsed:
    """Quality levels (uint8 good/uncertain/bad) of a quality column; unknown text is bad and marked.

    ``codes``: ``text`` (words such as Good, Bad, Questionable, 正常, 坏; ``words`` adds or overrides
    spellings → ``good``/``uncertain``/``bad``), ``opcua`` (StatusCode numbers: severity in the top
    two bits, OPC UA Part 4 7.39) or ``opcda`` (the OPC DA quality byte: 0xC0 good, 0x40 uncertain,
    else bad). An empty cell is good (the historian wrote nothing against the value).
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(array)
    if codes in ("opcua", "opcda"):
        text = as_text(array)
        hexa = pc.fill_null(pc.starts_with(pc.utf8_lower(text), "0x"), False).to_numpy(zero_copy_only=False)
        parsed = numbers(array)
        raw = parsed.values.copy()
        if hexa.any():
            raw[hexa] = [int(x, 16) for x in np.asarray(text.to_pandas())[hexa]]
            parsed.bad[hexa] = False
        empty = np.isnan(raw) & ~parsed.bad
        codes_ = np.where(np.isfinite(raw), raw, 0).astype(np.int64)
        if codes == "opcua":
            level = np.minimum(codes_ >> 30 & 3, 2)
        else:
            level = np.select([(codes_ & 0xC0) == 0xC0, (codes_ & 0xC0) == 0x40], [GOOD, UNCERTAIN], BAD)
        level = np.where(empty, GOOD, np.where(parsed.bad, BAD, level)).astype(np.uint8)
        return Parsed(level, parsed.bad)
    mapping = dict(QUALITY_WORDS)
    names = {"good": GOOD, "uncertain": UNCERTAIN, "bad": BAD}
    mapping.update({k.strip().lower(): names[v] for k, v in (words or {}).items()})
    encoded = pc.dictionary_encode(pc.utf8_lower(pc.utf8_trim_whitespace(as_text(array))))
    dictionary = encoded.dictionary.to_pylist()
    known = np.array([mapping.get(w, 255) if w != "" else GOOD for w in dictionary] or [GOOD], np.int64)
    index = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    level = np.where(index >= 0, known[np.maximum(index, 0)], GOOD) if n else np.empty(0, np.int64)
    bad = level == 255
    return Parsed(np.where(bad, BAD, level).astype(np.uint8), bad)
