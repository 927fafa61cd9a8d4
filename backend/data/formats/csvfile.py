"""CSV time series: column mapping (detected or saved by the CSV wizard), vectorized parsing and checks.

Rows are counted as the file's lines, the header being row 1, so an error's row number is what a text
editor shows. A label column splits one file into one sample per run of equal consecutive labels.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from backend.data.formats._files import check_size
from backend.data.formats.types import DEFAULT_LIMITS, InvalidUpload, Limits, ParsedSample, Sensor

TimeUnit = Literal["ms", "s"]

_DELIMITERS = (",", ";", "\t", "|")
_PREVIEW_BYTES = 256 * 1024
_DETECT_ROWS = 1000
# Timestamp column names, optionally followed by a unit: "time", "timestamp_ms", "t (s)", "Time [ms]".
_TIME_NAME = re.compile(
    r"^(?P<base>timestamp|time|t|ts|ms|millis|milliseconds|sec|secs|seconds|s)"
    r"(?:\s*[_\-(\[]\s*(?P<unit>ms|millis|milliseconds|s|sec|secs|seconds)\s*[)\]]?)?$"
)
_MS_WORDS = {"ms", "millis", "milliseconds"}
_S_WORDS = {"s", "sec", "secs", "seconds"}
_UNITS_IN_NAME = re.compile(r"^(?P<name>.*?)\s*[(\[](?P<units>[^()\[\]]+)[)\]]$")
_LABEL_NAMES = {"label", "class"}
# Spacing is "irregular" when this share of intervals is off the median by more than _JITTER.
_IRREGULAR_SHARE = 0.01
_JITTER = 0.10
# Files up to this size that hold only plain numbers skip pandas (see _read_small_numeric).
_SMALL_BYTES = 64 * 1024


# Parsed columns: a pandas DataFrame, or float64 arrays by column name for a small all-numeric file.
Frame = pd.DataFrame | dict[str, np.ndarray]


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """How to read a project's CSV files; the CSV wizard saves one per project. None means detect.

    `frequency_hz`, when set, fixes the sampling interval; a timestamp column is then only left out of
    the axes. `axes` None takes every numeric column that is not the timestamp or the label.
    """

    timestamp_column: str | None = None
    timestamp_unit: TimeUnit | None = None
    frequency_hz: float | None = None
    axes: list[str] | None = None
    label_column: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True, slots=True)
class CsvPreview:
    """What the CSV wizard shows: columns, the mapping that would be used, first rows and any problems."""

    columns: list[str]
    mapping: CsvMapping
    rows: list[list[str]]
    interval_ms: float | None
    problems: list[str]


@dataclass(frozen=True, slots=True)
class _Layout:
    """The file's structure found by the byte-level pass: where the data rows are."""

    delimiter: str
    columns: list[str]
    row_numbers: np.ndarray  # 1-based file line of each data row
    body: bytes  # header line and data, BOM stripped
    encoding: str  # utf-8, or latin-1 for a header that is not UTF-8 (spreadsheets on Windows)


def parse_csv(
    path: str | os.PathLike[str],
    mapping: CsvMapping | None = None,
    filename: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[ParsedSample]:
    """Parse a CSV time series into one sample, or one per label run when there is a label column."""
    name = filename or Path(path).name
    check_size(path, name, limits.max_file_bytes)
    return _parse(name, Path(path).read_bytes(), mapping or CsvMapping())[0]


def preview_csv(
    path: str | os.PathLike[str],
    mapping: CsvMapping | None = None,
    rows: int = 20,
    limits: Limits = DEFAULT_LIMITS,
) -> CsvPreview:
    """Columns, detected mapping and first rows for the CSV wizard; problems are listed, not raised.

    The whole file is checked, so the problems are the ones an upload with this mapping would hit.
    """
    name = Path(path).name
    given = mapping or CsvMapping()
    with open(path, "rb") as fh:
        head = fh.read(_PREVIEW_BYTES)
    try:
        # Rows are not checked here: the wizard should show columns and rows even for a ragged file;
        # the full parse below reports the problem.
        cut = _whole_lines(head) if len(head) == _PREVIEW_BYTES else head
        layout = _scan(name, cut, given.delimiter, strict=False)
    except InvalidUpload as exc:
        return CsvPreview([], given, [], None, [exc.reason])
    first = _first_rows(layout, rows)
    try:
        check_size(path, name, limits.max_file_bytes)
        samples, resolved = _parse(name, Path(path).read_bytes(), given)
    except InvalidUpload as exc:
        return CsvPreview(layout.columns, _best_effort(name, layout, given), first, None, [exc.reason])
    problems = list(samples[0].metadata.get("warnings", []))
    return CsvPreview(layout.columns, resolved, first, samples[0].interval_ms, problems)


def _first_rows(layout: _Layout, rows: int) -> list[list[str]]:
    reader = csv.reader(
        io.StringIO(layout.body.decode(layout.encoding, "replace")), delimiter=layout.delimiter
    )
    out: list[list[str]] = []
    try:
        for row in reader:
            if row:
                out.append(row)
            if len(out) > rows:
                break
    except csv.Error:
        pass  # a field the csv module refuses (over its size limit); the rows before it still show
    return out[1:]


def _best_effort(name: str, layout: _Layout, given: CsvMapping) -> CsvMapping:
    """The mapping detection would pick from the first rows, for a wizard showing a file with problems."""
    try:
        return _resolve(name, layout, _read_frame(name, layout, given.label_column), given)[0]
    except InvalidUpload:
        return replace(given, delimiter=layout.delimiter)


def _parse(name: str, data: bytes, given: CsvMapping) -> tuple[list[ParsedSample], CsvMapping]:
    layout = _scan(name, data, given.delimiter)
    if len(layout.row_numbers) == 0:
        raise InvalidUpload(name, "the CSV has a header but no data rows")
    if len(layout.row_numbers) == 1:
        raise InvalidUpload(name, "the CSV has a single data row; a time series needs at least two")
    frame: Frame | None = _read_small_numeric(layout, given.label_column)
    if frame is None:
        frame = _read_frame(name, layout, given.label_column)
    resolved, warnings = _resolve(name, layout, frame, given)
    return _build(name, layout, frame, resolved, warnings)


def _whole_lines(head: bytes) -> bytes:
    """A preview head cut at its last newline, so a line cut by the read size is not seen as truncation."""
    cut = head.rfind(b"\n")
    return head if cut < 0 else head[: cut + 1]


def _scan(name: str, data: bytes, delimiter: str | None, strict: bool = True) -> _Layout:
    """Byte-level pass: header, delimiter, and (when strict) every row's field count, with no Python loops."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data:
        raise InvalidUpload(name, "file is empty")
    buf = np.frombuffer(data, dtype=np.uint8)
    quoted = _inside_quotes(buf)
    _check_line_endings(name, buf, quoted)
    newline = buf == ord("\n")
    if quoted is not None:
        newline &= ~quoted
    ends = np.flatnonzero(newline)
    ends_with_newline = len(buf) > 0 and buf[-1] == ord("\n")
    if not ends_with_newline:
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    carriage = (lengths == 1) & (buf[np.maximum(ends - 1, 0)] == ord("\r"))
    content = np.flatnonzero((lengths > 0) & ~carriage)  # indices of non-blank lines
    if content.size == 0:
        raise InvalidUpload(name, "file is empty")

    h = int(content[0])
    header_bytes = data[starts[h] : ends[h]]
    try:
        encoding, header_line = "utf-8", header_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        encoding, header_line = "latin-1", header_bytes.decode("latin-1").rstrip("\r")
    delim = delimiter or _sniff_delimiter(header_line, data[starts[h] : starts[h] + 65536])
    try:
        columns = [c.strip() for c in next(csv.reader(io.StringIO(header_line), delimiter=delim))]
    except csv.Error:
        raise InvalidUpload(name, "the header row could not be read (check its quotes)") from None
    _check_header(name, columns)

    positions = np.flatnonzero(buf == ord(delim))
    if quoted is not None:
        positions = positions[~quoted[positions]]
    fields = np.diff(np.searchsorted(positions, np.concatenate(([-1], ends)))) + 1
    rows = content[1:]
    bad = rows[fields[rows] != len(columns)]
    if strict and rows.size and not ends_with_newline:
        last = int(rows[-1])
        cut_mid_value = data[ends[last] - 1 : ends[last]] == delim.encode()
        if fields[last] < len(columns) or cut_mid_value or (quoted is not None and quoted[-1]):
            raise InvalidUpload(
                name, f"truncated: the last row (row {last + 1}) is cut off, with {_values(fields[last])}"
            )
    if strict and bad.size:
        row = int(bad[0])
        raise InvalidUpload(
            name, f"row {row + 1} has {_values(fields[row])}, expected {len(columns)} (ragged CSV)"
        )
    return _Layout(delim, columns, rows + 1, data, encoding)


def _check_line_endings(name: str, buf: np.ndarray, quoted: np.ndarray | None) -> None:
    """Refuse a carriage return that does not end a line: readers disagree on what it means."""
    cr = np.flatnonzero(buf[:-1] == ord("\r"))
    lone = cr[buf[cr + 1] != ord("\n")]
    if quoted is not None:
        lone = lone[~quoted[lone]]
    if lone.size:
        row = int(np.count_nonzero(buf[: lone[0]] == ord("\n"))) + 1
        raise InvalidUpload(
            name, f"row {row} has a carriage return inside it (lines must end with LF or CRLF)"
        )


def _values(n: int) -> str:
    return "1 value" if n == 1 else f"{n} values"


def _inside_quotes(buf: np.ndarray) -> np.ndarray | None:
    """For each byte, whether it sits inside a double-quoted field; None when the file has no quotes."""
    quotes = buf == ord('"')
    if not quotes.any():
        return None
    # Parity of quotes seen so far; an escaped "" flips twice, so it stays correct for RFC 4180 files.
    return np.bitwise_xor.accumulate(quotes.view(np.uint8)).astype(bool) & ~quotes


def _sniff_delimiter(header: str, head: bytes) -> str:
    """The candidate delimiter that appears in the header and as often on the next line."""
    lines = head.decode("utf-8", "replace").splitlines()
    second = lines[1] if len(lines) > 1 else ""
    best, best_count = ",", 0
    for d in _DELIMITERS:
        count = header.count(d)
        if count > best_count and (not second or second.count(d) == count):
            best, best_count = d, count
    return best


def _check_header(name: str, columns: list[str]) -> None:
    for i, col in enumerate(columns):
        if not col:
            raise InvalidUpload(name, f"column {i + 1} of the header row has no name")
        if columns.index(col) != i:
            raise InvalidUpload(name, f"column name {col!r} appears twice in the header row")
    if all(_is_number(c) for c in columns):
        raise InvalidUpload(name, "the first row holds numbers, not column names (a header row is required)")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numeric_bytes(delimiter: str) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(b"0123456789.+-eE\r\n" + delimiter.encode(), dtype=np.uint8)] = True
    return table


_NUMERIC_BYTES = {d: _numeric_bytes(d) for d in _DELIMITERS}


def _read_small_numeric(layout: _Layout, label_column: str | None) -> dict[str, np.ndarray] | None:
    """Columns of a small all-numeric CSV as float64 arrays, or None to take the pandas path.

    Most uploads are a few rows of plain numbers, where building a DataFrame costs more than the
    parse. Only bytes a plain decimal number can hold are accepted, and anything float() refuses or
    reads as non-finite falls back, so pandas still decides (and words the error for) every other file.
    """
    if len(layout.body) > _SMALL_BYTES or label_column is not None:
        return None
    if any(c.lower() in _LABEL_NAMES for c in layout.columns):
        return None
    lines = layout.body.split(b"\n")
    first = next(i for i, line in enumerate(lines) if line.strip(b"\r"))  # the header, found by _scan
    data = b"\n".join(lines[first + 1 :])
    table = _NUMERIC_BYTES.get(layout.delimiter)
    if table is None or not table[np.frombuffer(data, dtype=np.uint8)].all():
        return None
    sep = layout.delimiter.encode()
    try:
        rows = [[float(cell) for cell in line.split(sep)] for line in lines[first + 1 :] if line.strip(b"\r")]
    except ValueError:
        return None
    if len(rows) != len(layout.row_numbers):
        return None
    # _scan has checked every row's field count, so the rows stack into one matrix.
    matrix = np.array(rows, dtype=np.float64)
    if matrix.shape != (len(rows), len(layout.columns)) or not np.isfinite(matrix).all():
        return None
    if np.signbit(matrix[matrix == 0]).any():
        return None  # pandas reads "-0" in an integer column as 0, float() as -0.0: let pandas decide
    return {col: matrix[:, i] for i, col in enumerate(layout.columns)}


def _read_frame(name: str, layout: _Layout, label_column: str | None) -> pd.DataFrame:
    """All rows through pandas' C parser; numeric columns come back as float/int, the rest as text."""
    label_cols = {c for c in layout.columns if c == label_column or c.lower() in _LABEL_NAMES}
    try:
        frame = pd.read_csv(
            io.BytesIO(layout.body),
            sep=layout.delimiter,
            header=0,
            names=layout.columns,
            na_filter=False,
            skipinitialspace=True,
            low_memory=False,
            encoding=layout.encoding,
            encoding_errors="replace",
            dtype=dict.fromkeys(label_cols, str),
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InvalidUpload(name, f"the CSV could not be read ({exc})") from None
    if len(frame) != len(layout.row_numbers):
        raise InvalidUpload(name, "the CSV rows could not be read consistently (check quoting)")
    return frame


def _resolve(name: str, layout: _Layout, frame: Frame, given: CsvMapping) -> tuple[CsvMapping, list[str]]:
    """Fill in every None of the mapping from the header and the data, and check the named columns."""
    columns = layout.columns
    warnings: list[str] = []
    for col in [given.timestamp_column, given.label_column, *(given.axes or [])]:
        if col is not None and col not in columns:
            raise InvalidUpload(
                name, f"column {col!r} is not in the header (columns are {', '.join(columns)})"
            )
    label = given.label_column or next((c for c in columns if c.lower() in _LABEL_NAMES), None)
    ts = given.timestamp_column
    if ts is None:
        ts = next((c for c in columns if _TIME_NAME.match(c.strip().lower()) and c != label), None)
    if ts is None and given.frequency_hz is None:
        raise InvalidUpload(
            name, "no timestamp column (such as 'timestamp' or 'time') and no sampling frequency given"
        )
    if given.frequency_hz is not None and not given.frequency_hz > 0:
        raise InvalidUpload(name, f"sampling frequency must be above 0 Hz, got {given.frequency_hz:g}")
    axes = given.axes
    if axes is None:
        axes = []
        for col in columns:
            if col in (ts, label):
                continue
            if frame[col].dtype.kind in "iuf" or _mostly_numbers(frame[col][:_DETECT_ROWS]):
                axes.append(col)
            else:
                warnings.append(f"column {col!r} holds text and is not used as an axis")
    if not axes:
        raise InvalidUpload(name, "no numeric columns to use as axes")
    if ts in axes or (label is not None and label in axes):
        raise InvalidUpload(name, "the timestamp or label column cannot also be an axis")
    unit = given.timestamp_unit if ts is not None else None
    if ts is not None and unit is None and given.frequency_hz is None:
        unit = _unit_from_name(ts)
    return CsvMapping(ts, unit, given.frequency_hz, axes, label, layout.delimiter), warnings


def _mostly_numbers(col: pd.Series) -> bool:
    """A text column is an axis with a few bad cells if any value in it parses as a number."""
    return bool(pd.to_numeric(col, errors="coerce").notna().any())


def _unit_from_name(column: str) -> TimeUnit | None:
    m = _TIME_NAME.match(column.strip().lower())
    if m is None:
        return None
    word = m.group("unit") or m.group("base")
    if word in _MS_WORDS:
        return "ms"
    return "s" if word in _S_WORDS else None


def _numeric(name: str, frame: Frame, col: str, row_numbers: np.ndarray) -> np.ndarray:
    """A column as float64, or an error naming the first row and column that is not a finite number."""
    series = frame[col]
    if isinstance(series, np.ndarray):
        return series  # _read_small_numeric returns finite float64 only
    values = (
        series.to_numpy(dtype=np.float64)
        if series.dtype.kind in "iuf"
        else pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    )
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        cell = str(series.iloc[i]).strip()
        what = "is empty" if not cell else f"holds {cell!r}, which is not a finite number"
        raise InvalidUpload(name, f"row {row_numbers[i]}, column {col!r} {what}")
    return values


def _interval_ms(
    name: str, times: np.ndarray, unit: TimeUnit | None, row_numbers: np.ndarray, warnings: list[str]
) -> tuple[float, TimeUnit]:
    steps = np.diff(times)
    if steps.size and (steps <= 0).any():
        i = int(np.argmax(steps <= 0))
        raise InvalidUpload(
            name,
            f"timestamps must increase: row {row_numbers[i + 1]} has {times[i + 1]:g} after {times[i]:g}",
        )
    median = float(np.median(steps))
    if unit is None:
        # Seconds when the values look like a short relative recording with sub-unit steps, or like
        # Unix time in seconds; everything else (relative or Unix) is milliseconds.
        small = float(np.abs(times).max()) < 1000 and median < 1
        unix_seconds = 1e9 <= float(times[0]) < 1e11
        unit = "s" if small or unix_seconds else "ms"
    off = np.abs(steps - median) > _JITTER * median
    if off.mean() > _IRREGULAR_SHARE:
        warnings.append(
            f"timestamps are irregular: {off.mean():.0%} of intervals differ from the median "
            f"({median:g} {unit}) by more than {_JITTER:.0%}"
        )
    return median * (1000.0 if unit == "s" else 1.0), unit


def _sensor(column: str) -> Sensor:
    """`"accX (m/s2)"` -> Sensor("accX", "m/s2"); no units in the name gives "N/A"."""
    m = _UNITS_IN_NAME.match(column)
    if m and m.group("name"):
        return Sensor(m.group("name"), m.group("units").strip())
    return Sensor(column, "N/A")


def _build(
    name: str, layout: _Layout, frame: Frame, mapping: CsvMapping, warnings: list[str]
) -> tuple[list[ParsedSample], CsvMapping]:
    rows = layout.row_numbers
    axes = mapping.axes or []
    values = np.column_stack([_numeric(name, frame, col, rows) for col in axes]).astype(np.float32)
    unit = mapping.timestamp_unit
    if mapping.frequency_hz is not None:
        interval_ms = 1000.0 / mapping.frequency_hz
        if mapping.timestamp_column is not None:
            _numeric(name, frame, mapping.timestamp_column, rows)  # still must be numbers
    else:
        assert mapping.timestamp_column is not None  # _resolve guarantees one of the two
        times = _numeric(name, frame, mapping.timestamp_column, rows)
        interval_ms, unit = _interval_ms(name, times, unit, rows, warnings)
    resolved = replace(mapping, timestamp_unit=unit, delimiter=layout.delimiter)
    sensors = [_sensor(col) for col in axes]
    metadata = {"csv_mapping": _mapping_dict(resolved)}
    if warnings:
        metadata["warnings"] = list(warnings)

    def sample(part: np.ndarray, label: str | None, extra: dict[str, object]) -> ParsedSample:
        return ParsedSample(
            filename=name,
            kind="timeseries",
            values=np.ascontiguousarray(part),
            interval_ms=interval_ms,
            sensors=sensors,
            label=label,
            metadata={**metadata, **extra},
        )

    if mapping.label_column is None:
        return [sample(values, None, {})], resolved
    labels = frame[mapping.label_column].astype(str).str.strip().to_numpy()
    empty = labels == ""
    if empty.any():
        raise InvalidUpload(
            name, f"row {rows[int(np.argmax(empty))]} has no label in {mapping.label_column!r}"
        )
    cuts = np.concatenate(([0], np.flatnonzero(labels[1:] != labels[:-1]) + 1, [len(labels)]))
    samples = []
    for segment, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
        if b - a < 2:
            raise InvalidUpload(
                name, f"row {rows[a]} is a run of a single row labelled {labels[a]!r}; a sample needs two"
            )
        span = {"segment": segment, "rows": [int(rows[a]), int(rows[b - 1])]}
        samples.append(sample(values[a:b], str(labels[a]), span))
    return samples, resolved


def _mapping_dict(mapping: CsvMapping) -> dict[str, object]:
    return {
        "timestamp_column": mapping.timestamp_column,
        "timestamp_unit": mapping.timestamp_unit,
        "frequency_hz": mapping.frequency_hz,
        "axes": list(mapping.axes or []),
        "label_column": mapping.label_column,
        "delimiter": mapping.delimiter,
    }
