"""Format detection: extension and content must agree; the content type a client claims plays no part."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from backend.data.formats import InvalidUpload, detect_format, sign_acquisition

if TYPE_CHECKING:
    from tests.backend.data.formats.conftest import Corpus


def heads(corpus: Corpus) -> dict[str, bytes]:
    doc = corpus.acquisition_doc(rows=2)
    return {
        "csv": b"timestamp,accX\n0,1\n",
        "json": sign_acquisition(doc, None, "json"),
        "cbor": sign_acquisition(doc, None, "cbor"),
        "wav": corpus.wav_bytes(b"\x00\x00"),
        "jpg": corpus.image_bytes(4, 4, "RGB", "JPEG"),
        "png": corpus.image_bytes(4, 4),
        "zip": corpus.zip_file({"a.csv": "t,x\n"}).read_bytes(),
    }


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("idle.01.csv", "csv"),
        ("idle.01.json", "json"),
        ("idle.01.cbor", "cbor"),
        ("yes.01.WAV", "wav"),
        ("cat.jpeg", "jpg"),
        ("cat.JPG", "jpg"),
        ("cat.png", "png"),
        ("all.zip", "zip"),
    ],
)
def test_matching_extension_and_content_give_the_format(corpus: Corpus, filename: str, expected: str) -> None:
    assert detect_format(filename, heads(corpus)[expected]) == expected


def test_json_with_a_bom_and_leading_whitespace_is_json() -> None:
    assert detect_format("a.json", b'\xef\xbb\xbf\n  {"protected": {}}') == "json"


def test_csv_head_cut_inside_a_multibyte_character_is_still_text() -> None:
    assert detect_format("a.csv", "temp (°C),x\n".encode()[:7]) == "csv"


def test_csv_saved_in_latin1_is_still_text() -> None:
    assert detect_format("a.csv", "Température,x\n".encode("latin-1")) == "csv"


def test_png_named_wav_is_rejected_saying_what_it_looks_like(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload) as caught:
        detect_format("yes.01.wav", heads(corpus)["png"])
    assert (
        str(caught.value)
        == "yes.01.wav: named .wav but the content is not a WAV file (it looks like a PNG image)"
    )


def test_binary_file_named_csv_is_rejected(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match="content is not recognised"):
        detect_format("data.csv", b"\x00\x01\x02\x03binary")


def test_cbor_named_json_is_rejected(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match="looks like a CBOR document"):
        detect_format("a.json", heads(corpus)["cbor"])


def test_csv_named_zip_is_rejected(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match="not a zip archive"):
        detect_format("a.zip", heads(corpus)["csv"])


def test_unknown_extension_is_rejected_listing_accepted_types() -> None:
    with pytest.raises(InvalidUpload, match=r"unsupported file type '.mp3'; accepted types are .cbor, .csv"):
        detect_format("song.mp3", b"ID3")


def test_missing_extension_is_rejected() -> None:
    with pytest.raises(InvalidUpload, match="with no extension"):
        detect_format("README", b"hello")


def test_empty_file_is_rejected() -> None:
    with pytest.raises(InvalidUpload, match="file is empty"):
        detect_format("a.csv", b"")
