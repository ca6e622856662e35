"""How to read a historian's CSV export: which column is the time, which are tags, their names and units.

A mapping is a small spec, written in YAML or JSON beside the export and kept with the project::

    time: Timestamp            # the time column (default: one named time/timestamp/..., else the first)
    time_format: "%d.%m.%Y %H:%M:%S"   # auto, iso, epoch_s, epoch_ms, epoch_us, epoch_ns or a strftime pattern
    timezone: Asia/Shanghai    # the zone of times written without one (default: UTC, with a note)
    ambiguous: report          # the autumn DST hour: report, earliest, latest or infer
    layout: long               # wide (a column per tag) or long (time, tag, value[, quality] rows)
    tag_column: TagName        # long layout: the columns of tag, value, quality and unit
    value_column: Value
    quality_column: Quality
    quality_codes: text        # text (Good/Bad/正常...), opcua (StatusCode) or opcda (quality byte)
    quality_words: {Substituted: good}
    tags: [FIC101.PV, PT102.PV]  # import only these (default: all)
    rename: {FIC101.PV: flow}
    units: {flow: m^3/h}         # beside (or instead of) units in the headers
    quality_columns: {flow: FIC101 Status}  # wide layout: a tag's quality column
    delimiter: auto            # auto, ",", ";", "\\t", "|"
    decimal: auto              # auto, "." or ","
    encoding: auto             # auto (BOM, UTF-8, else GB18030), or gbk, cp1252, utf-16 ...
    skip_lines: 0              # lines of preamble above the header
    max_bad_fraction: 0.01     # refuse the file when more of its rows than this have problems

Every key is optional; :meth:`CsvMapping.from_dict` refuses unknown keys and bad values by name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from device_browser.exchange.parse import AMBIGUOUS, QUALITY_CODES
from device_browser.exchange.problems import ExchangeError

LAYOUTS = ("wide", "long")


@dataclass(frozen=True)
class CsvMapping:
    """Where the time, tags, values and qualities are in an export, and how its text is written."""

    time: str | None = None
    time_format: str = "auto"
    timezone: str | None = None
    ambiguous: str = "report"
    layout: str = "wide"
    tag_column: str = "tag"
    value_column: str = "value"
    quality_column: str | None = None
    unit_column: str | None = None
    quality_codes: str = "text"
    quality_words: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] | None = None
    rename: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    quality_columns: dict[str, str] = field(default_factory=dict)
    delimiter: str = "auto"
    decimal: str = "auto"
    encoding: str = "auto"
    skip_lines: int = 0
    max_bad_fraction: float = 0.01
    max_bad_rows: int | None = None

    def __post_init__(self) -> None:
        self.check("the mapping")

    def check(self, where: str) -> None:
        """Refuse values that cannot work, naming the key."""
        def refuse(key: str, why: str) -> ExchangeError:
            return ExchangeError(f"{where}: '{key}' {why}")
        if self.layout not in LAYOUTS:
            raise refuse("layout", f"is '{self.layout}'; choose wide or long")
        if self.ambiguous not in AMBIGUOUS:
            raise refuse("ambiguous", f"is '{self.ambiguous}'; choose {', '.join(AMBIGUOUS)}")
        if self.quality_codes not in QUALITY_CODES:
            raise refuse("quality_codes", f"is '{self.quality_codes}'; choose {', '.join(QUALITY_CODES)}")
        if self.delimiter not in ("auto", ",", ";", "\t", "|", " "):
            raise refuse("delimiter", f"is {self.delimiter!r}; choose auto, ',', ';', '\\t' or '|'")
        if self.decimal not in ("auto", ".", ","):
            raise refuse("decimal", f"is {self.decimal!r}; choose auto, '.' or ','")
        if self.decimal == "," and self.delimiter == ",":
            raise refuse("decimal", "is ',' and so is the delimiter; a decimal comma needs ';' or tab between columns")
        if not 0.0 <= self.max_bad_fraction <= 1.0:
            raise refuse("max_bad_fraction", f"is {self.max_bad_fraction}; give a fraction from 0 to 1 (0.01 = 1 %)")
        if self.skip_lines < 0:
            raise refuse("skip_lines", "must be 0 or more")
        bad_words = {k: v for k, v in self.quality_words.items() if v not in ("good", "uncertain", "bad")}
        if bad_words:
            raise refuse("quality_words", f"maps {', '.join(map(repr, bad_words))} to "
                                          f"{', '.join(map(repr, bad_words.values()))}; use good, uncertain or bad")
        if self.timezone is not None:
            from device_browser.exchange.headers import is_time_zone

            if not is_time_zone(self.timezone):
                raise refuse("timezone", f"'{self.timezone}' is not a time zone (use an IANA name such as "
                                         "Asia/Shanghai or Europe/Berlin, or UTC)")

    @classmethod
    def from_dict(cls, spec: dict[str, Any], source: str = "the mapping") -> CsvMapping:
        """A mapping from a parsed YAML/JSON document; unknown keys and wrong types are refused by name."""
        if not isinstance(spec, dict):
            raise ExchangeError(f"{source}: a mapping is a set of 'key: value' lines, not {type(spec).__name__}")
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(spec) - set(known))
        if unknown:
            import difflib

            hints = [f"{u} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(u, known, 1)) else u
                     for u in unknown]
            raise ExchangeError(f"{source}: unknown key(s) {', '.join(hints)}; known: {', '.join(known)}")
        values = {}
        for key, value in spec.items():
            if key in ("quality_words", "rename", "units", "quality_columns"):
                if not isinstance(value, dict):
                    raise ExchangeError(f"{source}: '{key}' must be a set of 'name: value' pairs")
                value = {str(k): str(v) for k, v in value.items()}
            elif key == "tags":
                if isinstance(value, str) or not isinstance(value, list):
                    raise ExchangeError(f"{source}: 'tags' must be a list of column or tag names")
                value = tuple(str(v) for v in value)
            elif key in ("skip_lines", "max_bad_rows"):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ExchangeError(f"{source}: '{key}' must be a whole number")
            elif key == "max_bad_fraction":
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ExchangeError(f"{source}: 'max_bad_fraction' must be a number such as 0.01")
                value = float(value)
            elif value is not None:
                value = str(value)
            values[key] = value
        try:
            return cls(**values)
        except ExchangeError as exc:
            raise ExchangeError(str(exc).replace("the mapping", source, 1)) from None

    @classmethod
    def load(cls, path: Path) -> CsvMapping:
        """Read a mapping file (YAML or JSON)."""
        import yaml

        path = Path(path)
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ExchangeError(f"{path}: the mapping cannot be read ({exc.strerror or exc})") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f", line {mark.line + 1}" if mark is not None else ""
            raise ExchangeError(f"{path}{where}: not a readable mapping ({getattr(exc, 'problem', exc)})") from None
        return cls.from_dict(spec or {}, str(path))
