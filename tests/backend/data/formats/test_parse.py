"""parse_file: one call for any single upload, dispatched on detected format with the client's name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from backend.data.formats import CsvMapping, InvalidUpload, Limits, parse_file, sign_acquisition

if TYPE_CHECKING:
    from tests.backend.data.formats.conftest import Corpus


def test_upload_stored_under_a_temporary_name_keeps_the_client_filename(corpus: Corpus) -> None:
    path = corpus.write("upload-7f3a.tmp", sign_acquisition(corpus.acquisition_doc(), None, "cbor"))
    (sample,) = parse_file(path, "circle.07.cbor")
    assert sample.filename == "circle.07.cbor" and sample.values.shape == (20, 3)


def test_each_single_file_format_reaches_its_parser(corpus: Corpus) -> None:
    files = {
        "a.csv": corpus.csv_text(["t", "x"], [[0, 1], [10, 2]]),
        "a.json": sign_acquisition(corpus.acquisition_doc(), b"k", "json"),
        "a.wav": corpus.wav_bytes(np.ones(4, dtype="<i2").tobytes()),
        "a.jpg": corpus.image_bytes(8, 8, "RGB", "JPEG"),
        "a.png": corpus.image_bytes(8, 8),
    }
    kinds = {
        name: parse_file(corpus.write(name, data), hmac_key=b"k")[0].kind for name, data in files.items()
    }
    assert kinds == {
        "a.csv": "timeseries",
        "a.json": "timeseries",
        "a.wav": "audio",
        "a.jpg": "image",
        "a.png": "image",
    }


def test_csv_mapping_is_passed_to_the_csv_parser(corpus: Corpus) -> None:
    path = corpus.timeseries_csv(time_column=None)
    assert parse_file(path, csv_mapping=CsvMapping(frequency_hz=25.0))[0].interval_ms == 40.0


def test_limits_are_passed_to_the_parsers(corpus: Corpus) -> None:
    path = corpus.write("big.png", corpus.image_bytes(100, 100))
    with pytest.raises(InvalidUpload, match="over the limit of 100 "):
        parse_file(path, limits=Limits(max_image_pixels=100))


def test_mismatched_content_is_rejected_before_parsing(corpus: Corpus) -> None:
    path = corpus.write("tmp1", corpus.image_bytes(8, 8))
    with pytest.raises(InvalidUpload, match="^walk.csv: named .csv but the content is not a CSV text file"):
        parse_file(path, "walk.csv")


def test_zip_is_sent_to_parse_zip(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match="member by member"):
        parse_file(corpus.zip_file({"a.csv": "t,x\n0,1\n10,2\n"}))
