"""Exchange: import and export of CSV, Parquet and Excel, with units in headers and bad rows reported.

No Qt here. Engineers bring data from historians and spreadsheets and take recordings to other
tools; this package reads what they have and writes what those tools read.

Import
    ``read_file(path, mapping=None)`` (or ``import_csv``, ``import_parquet``, ``import_excel``)
    → :class:`Imported`: ``chunks`` (a :class:`~nodes.chunk.Chunk` per tag, on its own times),
    ``units`` (pint symbols read from headers such as ``flow [m3/h]`` or ``flow (m³/h)``),
    ``problems`` (every bad cell or line: "historian.csv, line 1234: '12,5x' in column 'flow'
    is not a number"), ``notes`` and ``frame()`` (the tags side by side). A
    :class:`CsvMapping` says how an export is laid out: the time column and its format (ISO
    8601, epoch s/ms/us/ns, a strftime pattern) and zone (DST ambiguities are reported),
    wide or long (time, tag, value[, quality]) layout, quality columns and codes, renames,
    units, separator, decimal comma, encoding (BOM, UTF-8, GBK/GB18030, ...). Past
    ``max_bad_fraction`` of bad rows, :class:`ExchangeError` refuses the file and lists them.

Export
    ``export(chunks_or_frame, path, start=, end=, tags=, units=, quality=, timezone=)`` writes
    CSV, Parquet or Excel atomically; ``export_recording(store, recording, path, ...)`` exports
    a range of a stored recording with its units.

Example
    >>> mapping = CsvMapping(layout="long", tag_column="TagName", value_column="Value",
    ...                      quality_column="Quality", timezone="Asia/Shanghai", encoding="gbk")
    >>> imported = read_file("historian.csv", mapping)
    >>> for problem in imported.problems: print(problem)
    >>> export(imported, "site.parquet")
"""

from device_browser.exchange.headers import Header, header_text, split_header, unit_symbol
from device_browser.exchange.mapping import CsvMapping
from device_browser.exchange.problems import ExchangeError, Problem, Problems
from device_browser.exchange.reader import Imported, import_csv, import_excel, import_parquet, read_file
from device_browser.exchange.writer import export, export_recording, wide_frame

__all__ = ["CsvMapping", "ExchangeError", "Header", "Imported", "Problem", "Problems", "export", "export_recording",
           "header_text", "import_csv", "import_excel", "import_parquet", "read_file", "split_header", "unit_symbol",
           "wide_frame"]
