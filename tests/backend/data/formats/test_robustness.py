"""Damaged uploads: any corruption of a valid file ends in samples or InvalidUpload, never a crash."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.data.formats import (
    InvalidUpload,
    parse_acquisition,
    parse_csv,
    parse_file,
    parse_wav,
    parse_zip,
    preview_csv,
    sign_acquisition,
)

if TYPE_CHECKING:
    from tests.backend.data.formats.conftest import Corpus

# An edit is (position as a fraction of the length, kind, byte): overwrite, insert, or cut the file there.
edits = st.lists(
    st.tuples(
        st.floats(0, 1, exclude_max=True), st.sampled_from(["set", "insert", "cut"]), st.integers(0, 255)
    ),
    min_size=1,
    max_size=4,
)
fuzz = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def damage(raw: bytes, changes: list[tuple[float, str, int]]) -> bytes:
    data = bytearray(raw)
    for where, kind, byte in changes:
        if not data:
            break
        at = int(where * len(data))
        if kind == "set":
            data[at] = byte
        elif kind == "insert":
            data.insert(at, byte)
        else:
            del data[at:]
    return bytes(data)


def survives(path: Path, parse: Callable[[Path], Any]) -> None:
    with contextlib.suppress(InvalidUpload):
        parse(path)


def csv_bytes(corpus: Corpus) -> bytes:
    rows = [[i * 10, i, -i, "a" if i < 4 else "b"] for i in range(8)]
    return corpus.csv_text(["timestamp", "x", "y", "label"], rows).encode()


@fuzz
@given(changes=edits, text_bytes=st.sampled_from([b",", b"\n", b"\r", b'"', b"x", b"1"]))
def test_damaged_csv_never_crashes_the_parser_or_the_preview(
    corpus: Corpus, changes: list[tuple[float, str, int]], text_bytes: bytes
) -> None:
    # Bias edits towards the bytes that matter to CSV structure.
    changes = [(w, k, text_bytes[0] if b % 2 else b) for w, k, b in changes]
    path = corpus.write("d.csv", damage(csv_bytes(corpus), changes))
    survives(path, parse_csv)
    preview_csv(path)


@fuzz
@given(changes=edits, fmt=st.sampled_from(["json", "cbor"]))
def test_damaged_acquisition_document_never_crashes(
    corpus: Corpus, changes: list[tuple[float, str, int]], fmt: str
) -> None:
    raw = sign_acquisition(corpus.acquisition_doc(rows=4), b"k", fmt)  # type: ignore[arg-type]
    survives(corpus.write(f"d.{fmt}", damage(raw, changes)), lambda p: parse_acquisition(p, b"k"))


@fuzz
@given(changes=edits, bits=st.sampled_from([8, 16, 24, 32]))
def test_damaged_wav_never_crashes(corpus: Corpus, changes: list[tuple[float, str, int]], bits: int) -> None:
    raw = corpus.wav_bytes(np.arange(96, dtype=np.uint8).tobytes(), channels=2, bits=bits)
    survives(corpus.write("d.wav", damage(raw, changes)), parse_wav)


@fuzz
@given(changes=edits)
def test_damaged_zip_never_crashes(corpus: Corpus, changes: list[tuple[float, str, int]]) -> None:
    members = {"a/idle.1.csv": csv_bytes(corpus), "info.labels": '{"files": [{"path": "a/idle.1.csv"}]}'}
    raw = corpus.zip_file(members).read_bytes()
    survives(corpus.write("d.zip", damage(raw, changes)), parse_zip)


@pytest.mark.parametrize("name", ["d.png", "d.jpg"])
@fuzz
@given(changes=edits)
def test_damaged_image_never_crashes(
    corpus: Corpus, changes: list[tuple[float, str, int]], name: str
) -> None:
    raw = corpus.image_bytes(8, 8, "RGB", "PNG" if name.endswith("png") else "JPEG")
    survives(corpus.write(name, damage(raw, changes)), parse_file)


def test_carriage_return_inside_a_line_is_rejected(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match=r"row 3 has a carriage return inside it"):
        parse_csv(corpus.write("cr.csv", b"t,x\n0,1\n10,\r2\n20,3\n"))


def test_classic_mac_line_endings_are_rejected(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match="lines must end with LF or CRLF"):
        parse_csv(corpus.write("mac.csv", b"t,x\r0,1\r10,2\r"))


def test_unclosed_quote_at_the_end_is_rejected_as_truncated(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match="truncated"):
        parse_csv(corpus.write("q.csv", b't,x,label\n0,1,a\n10,2,"b'))
