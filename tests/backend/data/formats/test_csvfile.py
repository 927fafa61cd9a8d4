"""CSV time series parsing, mapping detection, the wizard preview and every refused CSV defect."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.data.formats import CsvMapping, InvalidUpload, Limits, Sensor, parse_csv, preview_csv

if TYPE_CHECKING:
    from tests.backend.data.formats.conftest import Corpus


def reason(path: Path, mapping: CsvMapping | None = None) -> str:
    with pytest.raises(InvalidUpload) as caught:
        parse_csv(path, mapping)
    assert caught.value.filename == path.name
    return caught.value.reason


def test_regular_recording_parses_to_float32_rows_by_axes(corpus: Corpus) -> None:
    (sample,) = parse_csv(corpus.timeseries_csv(rows=50))
    assert sample.kind == "timeseries"
    assert sample.values.dtype == np.float32 and sample.values.shape == (50, 3)
    assert sample.values[4].tolist() == [1.0, 2.0, 3.0]  # row 4: 4 * (k + 1) / 4
    assert sample.interval_ms == 10.0
    assert [s.name for s in sample.sensors] == ["accX", "accY", "accZ"]
    assert sample.label is None


def test_timestamps_in_seconds_are_detected_from_their_spacing(corpus: Corpus) -> None:
    (sample,) = parse_csv(corpus.timeseries_csv(interval_ms=20.0, unit="s", time_column="time"))
    assert sample.interval_ms == pytest.approx(20.0)
    assert sample.metadata["csv_mapping"]["timestamp_unit"] == "s"


def test_timestamps_in_milliseconds_with_large_values_stay_milliseconds(corpus: Corpus) -> None:
    rows = [[1_700_000_000_000 + 5 * i, i] for i in range(10)]
    (sample,) = parse_csv(corpus.write("epoch.csv", corpus.csv_text(["timestamp", "x"], rows)))
    assert sample.interval_ms == 5.0


def test_unit_in_the_column_name_overrides_spacing_detection(corpus: Corpus) -> None:
    rows = [[i * 0.5, i] for i in range(10)]  # would look like seconds by spacing
    (sample,) = parse_csv(corpus.write("fast.csv", corpus.csv_text(["time_ms", "x"], rows)))
    assert sample.interval_ms == 0.5


def test_mapping_unit_overrides_detection(corpus: Corpus) -> None:
    path = corpus.timeseries_csv(interval_ms=10.0)
    (sample,) = parse_csv(path, CsvMapping(timestamp_unit="s"))
    assert sample.interval_ms == 10_000.0


def test_no_timestamp_column_uses_the_given_frequency(corpus: Corpus) -> None:
    path = corpus.timeseries_csv(time_column=None, rows=30)
    (sample,) = parse_csv(path, CsvMapping(frequency_hz=62.5))
    assert sample.interval_ms == 16.0 and sample.values.shape == (30, 3)


def test_frequency_with_a_timestamp_column_fixes_the_interval_and_drops_the_column(corpus: Corpus) -> None:
    (sample,) = parse_csv(corpus.timeseries_csv(interval_ms=10.0), CsvMapping(frequency_hz=50.0))
    assert sample.interval_ms == 20.0 and sample.values.shape[1] == 3


def test_mapping_axes_select_and_order_columns(corpus: Corpus) -> None:
    (sample,) = parse_csv(corpus.timeseries_csv(), CsvMapping(axes=["accZ", "accX"]))
    assert [s.name for s in sample.sensors] == ["accZ", "accX"]
    assert sample.values[4].tolist() == [3.0, 1.0]


def test_units_in_brackets_become_sensor_units(corpus: Corpus) -> None:
    rows = [[i * 10, i, i] for i in range(5)]
    path = corpus.write("u.csv", corpus.csv_text(["t", "accX (m/s2)", "temp [C]"], rows))
    (sample,) = parse_csv(path)
    assert sample.sensors == [Sensor("accX", "m/s2"), Sensor("temp", "C")]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_detected(corpus: Corpus, delimiter: str) -> None:
    (sample,) = parse_csv(corpus.timeseries_csv(delimiter=delimiter, rows=10))
    assert sample.values.shape == (10, 3)
    assert sample.metadata["csv_mapping"]["delimiter"] == delimiter


def test_windows_line_endings_bom_and_blank_lines_are_accepted(corpus: Corpus) -> None:
    text = "\ufefftimestamp,x\r\n0,1\r\n\r\n10,2\r\n20,3\r\n\r\n"
    (sample,) = parse_csv(corpus.write("crlf.csv", text.encode("utf-8")))
    assert sample.values[:, 0].tolist() == [1.0, 2.0, 3.0]


def test_latin1_header_keeps_its_accented_names(corpus: Corpus) -> None:
    text = "timestamp,Température (°C)\n0,21.5\n10,21.75\n"
    (sample,) = parse_csv(corpus.write("temp.csv", text.encode("latin-1")))
    assert sample.sensors == [Sensor("Température", "°C")]


def test_quoted_fields_with_delimiters_inside_are_one_value(corpus: Corpus) -> None:
    text = 'timestamp,x,label\n0,1,"walk, fast"\n10,2,"walk, fast"\n'
    (sample,) = parse_csv(corpus.write("q.csv", text))
    assert sample.label == "walk, fast"


def test_label_column_splits_the_file_into_one_sample_per_run(corpus: Corpus) -> None:
    path = corpus.timeseries_csv(labels=[("idle", 4), ("wave", 3), ("idle", 5)])
    samples = parse_csv(path)
    assert [(s.label, len(s.values)) for s in samples] == [("idle", 4), ("wave", 3), ("idle", 5)]
    assert samples[1].metadata["rows"] == [6, 8]  # header is row 1, so data rows 5..7 are file rows 6..8
    assert samples[1].values[0].tolist() == [1.0, 2.0, 3.0]  # data row 4
    assert all(s.interval_ms == 10.0 for s in samples)


def test_mapping_names_a_label_column_with_any_name(corpus: Corpus) -> None:
    rows = [[i * 10, i, "up" if i < 3 else "down"] for i in range(6)]
    path = corpus.write("g.csv", corpus.csv_text(["timestamp", "x", "gesture"], rows))
    samples = parse_csv(path, CsvMapping(label_column="gesture"))
    assert [s.label for s in samples] == ["up", "down"]


def test_text_column_that_is_not_mapped_is_left_out_with_a_warning(corpus: Corpus) -> None:
    rows = [[i * 10, i, "note"] for i in range(4)]
    (sample,) = parse_csv(corpus.write("n.csv", corpus.csv_text(["timestamp", "x", "comment"], rows)))
    assert [s.name for s in sample.sensors] == ["x"]
    assert "comment" in sample.metadata["warnings"][0]


def test_irregular_timestamps_are_accepted_with_a_warning(corpus: Corpus) -> None:
    times = [0, 10, 20, 30, 45, 50, 60, 70, 80, 90]
    path = corpus.write("j.csv", corpus.csv_text(["timestamp", "x"], [[t, 1] for t in times]))
    (sample,) = parse_csv(path)
    assert sample.interval_ms == 10.0
    assert "irregular" in sample.metadata["warnings"][0]


# Refused files ----------------------------------------------------------------------------------


def test_empty_file_is_rejected(corpus: Corpus) -> None:
    assert reason(corpus.write("e.csv", b"")) == "file is empty"


def test_header_without_data_rows_is_rejected(corpus: Corpus) -> None:
    assert "no data rows" in reason(corpus.write("h.csv", "timestamp,x\n"))


def test_single_data_row_is_rejected(corpus: Corpus) -> None:
    assert "single data row" in reason(corpus.write("s.csv", "timestamp,x\n0,1\n"))


def test_ragged_row_is_rejected_naming_its_row(corpus: Corpus) -> None:
    text = corpus.csv_text(["timestamp", "a", "b", "c"], [[i * 10, 1, 2, 3] for i in range(20)])
    lines = text.splitlines()
    lines[16] = "160,1"  # file row 17
    got = reason(corpus.write("walk.03.csv", "\n".join(lines) + "\n"))
    assert got == "row 17 has 2 values, expected 4 (ragged CSV)"


def test_row_with_too_many_values_is_rejected(corpus: Corpus) -> None:
    assert "row 3 has 3 values, expected 2" in reason(corpus.write("m.csv", "t,x\n0,1\n10,2,9\n20,3\n"))


def test_truncated_last_row_is_rejected_as_truncated(corpus: Corpus) -> None:
    got = reason(corpus.write("cut.csv", "timestamp,x,y\n0,1,2\n10,3,4\n20,5"))
    assert got.startswith("truncated: the last row (row 4) is cut off")


def test_last_row_cut_right_after_a_delimiter_is_rejected_as_truncated(corpus: Corpus) -> None:
    assert reason(corpus.write("cut.csv", "timestamp,x,y\n0,1,2\n10,3,")).startswith("truncated")


def test_last_row_without_newline_but_complete_is_accepted(corpus: Corpus) -> None:
    (sample,) = parse_csv(corpus.write("ok.csv", "timestamp,x\n0,1\n10,2"))
    assert sample.values[:, 0].tolist() == [1.0, 2.0]


def test_non_numeric_value_is_rejected_naming_row_and_column(corpus: Corpus) -> None:
    text = "timestamp,accX,accY\n0,1,2\n10,1,2\n20,1,abc\n30,1,2\n"
    assert (
        reason(corpus.write("n.csv", text))
        == "row 4, column 'accY' holds 'abc', which is not a finite number"
    )


def test_empty_cell_is_rejected_naming_row_and_column(corpus: Corpus) -> None:
    assert reason(corpus.write("n.csv", "t,x,y\n0,1,2\n10,,2\n")) == "row 3, column 'x' is empty"


def test_non_finite_value_is_rejected(corpus: Corpus) -> None:
    assert "row 3, column 'x'" in reason(corpus.write("n.csv", "t,x\n0,1\n10,inf\n20,1\n"))


def test_file_with_no_numeric_axes_is_rejected(corpus: Corpus) -> None:
    assert reason(corpus.write("t.csv", "timestamp,name\n0,a\n10,b\n")) == "no numeric columns to use as axes"


def test_missing_header_row_is_rejected(corpus: Corpus) -> None:
    assert "header row is required" in reason(corpus.write("nh.csv", "0,1,2\n10,3,4\n"))


def test_duplicate_column_names_are_rejected(corpus: Corpus) -> None:
    assert "appears twice" in reason(corpus.write("d.csv", "t,x,x\n0,1,2\n10,1,2\n"))


def test_decreasing_timestamps_are_rejected_naming_the_row(corpus: Corpus) -> None:
    got = reason(corpus.write("back.csv", "timestamp,x\n0,1\n10,2\n5,3\n20,4\n"))
    assert got == "timestamps must increase: row 4 has 5 after 10"


def test_repeated_timestamp_is_rejected(corpus: Corpus) -> None:
    assert "timestamps must increase" in reason(corpus.write("dup.csv", "t,x\n0,1\n10,2\n10,3\n"))


def test_no_timestamp_column_and_no_frequency_is_rejected(corpus: Corpus) -> None:
    assert "no sampling frequency" in reason(corpus.timeseries_csv(time_column=None))


def test_mapping_naming_a_missing_column_is_rejected(corpus: Corpus) -> None:
    assert "'gyrX' is not in the header" in reason(corpus.timeseries_csv(), CsvMapping(axes=["gyrX"]))


def test_label_run_of_a_single_row_is_rejected(corpus: Corpus) -> None:
    path = corpus.timeseries_csv(labels=[("idle", 4), ("tap", 1), ("idle", 4)])
    assert reason(path) == "row 6 is a run of a single row labelled 'tap'; a sample needs two"


def test_row_without_a_label_is_rejected(corpus: Corpus) -> None:
    assert (
        reason(corpus.write("l.csv", "t,x,label\n0,1,a\n10,2,\n20,3,a\n")) == "row 3 has no label in 'label'"
    )


def test_file_over_the_size_limit_is_rejected_before_parsing(corpus: Corpus) -> None:
    path = corpus.timeseries_csv(rows=200)
    with pytest.raises(InvalidUpload, match="over the 1.0 KB limit"):
        parse_csv(path, limits=Limits(max_file_bytes=1024))


# Preview ----------------------------------------------------------------------------------------


def test_preview_shows_columns_detected_mapping_and_first_rows(corpus: Corpus) -> None:
    preview = preview_csv(corpus.timeseries_csv(rows=50, labels=None), rows=5)
    assert preview.columns == ["timestamp", "accX", "accY", "accZ"]
    assert preview.mapping == CsvMapping("timestamp", "ms", None, ["accX", "accY", "accZ"], None, ",")
    assert preview.rows[0] == ["0", "0.0", "0.0", "0.0"] and len(preview.rows) == 5
    assert preview.interval_ms == 10.0 and preview.problems == []


def test_preview_lists_problems_instead_of_raising(corpus: Corpus) -> None:
    preview = preview_csv(corpus.write("p.csv", "time,x\n0,1\n10,zz\n20,3\n"))
    assert preview.columns == ["time", "x"] and preview.interval_ms is None
    assert preview.problems == ["row 3, column 'x' holds 'zz', which is not a finite number"]
    assert preview.mapping.timestamp_column == "time"


def test_preview_of_a_ragged_file_still_shows_columns_and_rows(corpus: Corpus) -> None:
    preview = preview_csv(corpus.write("r.csv", "timestamp,x,y\n0,1,2\n10,3\n20,5,6"))
    assert preview.columns == ["timestamp", "x", "y"]
    assert preview.rows == [["0", "1", "2"], ["10", "3"], ["20", "5", "6"]]
    assert preview.problems == ["row 3 has 2 values, expected 3 (ragged CSV)"]


def test_preview_with_a_mapping_reports_what_the_upload_would_hit(corpus: Corpus) -> None:
    path = corpus.timeseries_csv(time_column=None)
    assert "no sampling frequency" in preview_csv(path).problems[0]
    assert preview_csv(path, CsvMapping(frequency_hz=100.0)).interval_ms == 10.0


def test_preview_of_a_large_file_shows_only_whole_rows(corpus: Corpus) -> None:
    preview = preview_csv(corpus.timeseries_csv(rows=30_000), rows=3)
    assert preview.problems == [] and len(preview.rows) == 3


# Properties -------------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=32)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=st.integers(min_value=1, max_value=5).flatmap(
        lambda n_axes: st.lists(st.lists(finite, min_size=n_axes, max_size=n_axes), min_size=2, max_size=40)
    ),
    interval=st.sampled_from([1.0, 4.0, 10.0, 16.0, 100.0]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_numbers_written_are_the_numbers_parsed(
    corpus: Corpus, table: list[list[float]], interval: float, delimiter: str
) -> None:
    header = ["timestamp"] + [f"axis{k}" for k in range(len(table[0]))]
    rows = [[f"{i * interval:g}"] + [repr(v) for v in row] for i, row in enumerate(table)]
    (sample,) = parse_csv(corpus.write("prop.csv", corpus.csv_text(header, rows, delimiter)))
    expected = np.asarray(table, dtype=np.float32)
    assert np.array_equal(sample.values, expected)
    assert math.isclose(sample.interval_ms, interval)
