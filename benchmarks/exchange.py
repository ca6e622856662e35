"""Historian CSV import against plain ``pandas.read_csv`` of the same file, in the same run.

Files of 1 M rows, written once into a temporary folder:

* wide: ``Timestamp`` (``2026-11-25 08:00:00.000``, local time in Asia/Shanghai) and four tags
  with units in their headers, 200 cells that are not numbers and 20 lines with a wrong field
  count, as a historian export that went through a spreadsheet;
* wide with ``;`` and a decimal comma (a European locale), same flaws;
* long: ``time, tag, value, quality`` rows of four tags (1 M rows), as PI/IP.21 exports.

The import parses times (and places them in their zone), numbers, units and qualities and
reports every bad row by line; the baseline only splits the text (``read_csv`` with
``on_bad_lines="skip"``, times left as text). Target (issue 21): the import within 1.5× of the
baseline. Results: benchmarks/results/exchange.json.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import best_of
from device_browser.exchange import CsvMapping, export, read_file

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "exchange.json"
ROWS = 1_000_000
TAGS = ("flow [m3/h]", "pressure [bar]", "speed [rpm]", "current [A]")


def write_wide(path: Path, delimiter: str = ",", decimal: str = ".") -> None:
    rng = np.random.default_rng(21)
    times = pd.date_range("2026-11-25 08:00", periods=ROWS, freq="100ms").strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3]
    frame = pd.DataFrame({"Timestamp": times})
    for tag in TAGS:
        frame[tag] = np.round(rng.normal(100.0, 5.0, ROWS), 3)
    text = frame.to_csv(index=False, sep=delimiter, decimal=decimal, lineterminator="\n").splitlines()
    for row in rng.choice(np.arange(2, ROWS), 200, replace=False):  # a bad number in the flow column
        fields = text[row].split(delimiter)
        fields[1] = "12,5x" if delimiter == "," else "12.5.x"
        text[row] = delimiter.join(fields)
    for row in rng.choice(np.arange(2, ROWS), 20, replace=False):  # a field too many
        text[row] += delimiter + "7"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")


def write_long(path: Path) -> None:
    rng = np.random.default_rng(4)
    n = ROWS // 4
    times = np.repeat(pd.date_range("2026-11-25 08:00", periods=n, freq="1s", tz="UTC").strftime(
        "%Y-%m-%dT%H:%M:%SZ").to_numpy(), 4)
    tags = np.tile(np.array(["FIC101.PV", "PT102.PV", "SI103.PV", "II104.PV"]), n)
    quality = rng.choice(np.array(["Good", "Good", "Good", "Questionable", "Bad"]), ROWS)
    pd.DataFrame({"time": times, "tag": tags, "value": np.round(rng.normal(50.0, 3.0, ROWS), 4),
                  "quality": quality}).to_csv(path, index=False)


def measure(name: str, path: Path, mapping: CsvMapping, baseline: dict) -> dict:
    plain = best_of(3, lambda: pd.read_csv(path, on_bad_lines="skip", **baseline))
    imported = read_file(path, mapping)
    ours = best_of(3, lambda: read_file(path, mapping))
    result = {"rows": ROWS, "pandas_read_csv_s": round(plain, 3), "import_s": round(ours, 3),
              "ratio": round(ours / plain, 2), "problems_reported": len(imported.problems),
              "bad_rows": int(imported.problems.row_count()), "tags": len(imported.tags),
              "samples": int(sum(len(c) for c in imported.chunks.values()))}
    print(f"{name:>14}: pandas.read_csv {plain:.2f} s, import {ours:.2f} s ({result['ratio']}×), "
          f"{result['problems_reported']} problems reported, {result['samples']:,} samples")
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        wide, comma, long = folder / "wide.csv", folder / "comma.csv", folder / "long.csv"
        write_wide(wide)
        write_wide(comma, ";", ",")
        write_long(long)
        mapping = dict(timezone="Asia/Shanghai", max_bad_fraction=0.01)
        results = {
            "wide": measure("wide", wide, CsvMapping(**mapping), {}),
            "decimal_comma": measure("decimal comma", comma, CsvMapping(**mapping), {"sep": ";", "decimal": ","}),
            "long": measure("long", long, CsvMapping(layout="long", quality_column="quality"), {}),
        }
        imported = read_file(wide, CsvMapping(**mapping))
        out = folder / "out.csv"
        frame = imported.frame()
        plain = best_of(2, lambda: frame.to_csv(folder / "plain.csv"))
        ours = best_of(2, lambda: export(imported, out))
        results["export_csv"] = {"rows": ROWS, "pandas_to_csv_s": round(plain, 3), "export_s": round(ours, 3),
                                 "ratio": round(ours / plain, 2)}
        print(f"{'export csv':>14}: pandas.to_csv {plain:.2f} s, export {ours:.2f} s ({ours / plain:.2f}×)")
    results["target"] = "import within 1.5x of pandas.read_csv of the same file"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"Target: import ≤ 1.5× pandas.read_csv. Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
