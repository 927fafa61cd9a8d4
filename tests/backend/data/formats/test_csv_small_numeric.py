"""The small all-numeric CSV path gives exactly what the pandas path gives, and steps aside otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.data.formats import InvalidUpload, csvfile

_number = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.4e}"),
    st.decimals(-1000, 1000, places=3, allow_nan=False, allow_infinity=False).map(str),
)


def _both_paths(data: bytes) -> tuple[object, object]:
    """(fast-path result or error, pandas-path result or error) for one file's bytes."""

    def run() -> object:
        try:
            samples, mapping = csvfile._parse("t.csv", data, csvfile.CsvMapping())
        except InvalidUpload as exc:
            return ("error", exc.reason)
        return (
            [(s.values.tobytes(), s.values.shape, s.interval_ms, s.sensors, s.metadata) for s in samples],
            mapping,
        )

    fast = run()
    original = csvfile._SMALL_BYTES
    csvfile._SMALL_BYTES = -1
    try:
        slow = run()
    finally:
        csvfile._SMALL_BYTES = original
    return fast, slow


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 30).flatmap(
        lambda rows: st.lists(st.lists(_number, min_size=3, max_size=3), min_size=rows, max_size=rows)
    ),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_small_numeric_csv_parses_exactly_as_the_pandas_path(
    cells: list[list[str]], delimiter: str, newline: str
) -> None:
    lines = [delimiter.join(["timestamp", "accX (m/s2)", "accY"])]
    lines += [delimiter.join([str(i * 10), row[0], row[1]]) for i, row in enumerate(cells)]
    data = (newline.join(lines) + newline).encode()
    fast, slow = _both_paths(data)
    assert fast == slow


@pytest.mark.parametrize(
    "body",
    [
        "0,1,2\n10,1_000,2\n",  # float() accepts underscores; pandas reads text, an error
        "0,1,2\n10,,2\n",  # an empty cell
        "0,1,2\n10,1e999,2\n",  # overflows to infinity
        "0,1,2\n10,-,2\n",
        "0,1,2\n\n10,3,4\n",  # a blank line between rows
        "0,1,2\n10,3,4",  # no final newline
        "0,1,2\n5,3,4\n",  # irregular enough to warn
        "0,-0,2\n10,3,4\n",  # an integer column with a negative zero
        "0,-0.0,2\n10,3.5,4\n",  # a float column with a negative zero
    ],
)
def test_files_the_small_path_declines_or_accepts_end_as_the_pandas_path(body: str) -> None:
    fast, slow = _both_paths(("time,x,y\n" + body).encode())
    assert fast == slow


def test_small_path_takes_a_plain_numeric_file_and_leaves_text_or_labels_to_pandas() -> None:
    def layout(text: str) -> csvfile._Layout:
        return csvfile._scan("t.csv", text.encode(), None)

    taken = csvfile._read_small_numeric(layout("time,x\n0,1.5\n10,-2e3\n"), None)
    assert taken is not None
    assert np.array_equal(taken["x"], [1.5, -2000.0])
    assert csvfile._read_small_numeric(layout("time,x,label\n0,1,a\n10,2,a\n"), None) is None
    assert csvfile._read_small_numeric(layout("time,x,note\n0,1,ok\n10,2,ok\n"), None) is None
    assert csvfile._read_small_numeric(layout("time,x\n0,1\n10,2\n"), "x") is None
