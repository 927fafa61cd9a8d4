"""Labels from file names and the stable train/test split by content hash; also the error type's message."""

from __future__ import annotations

import hashlib
import pickle

import pytest

from backend.data.formats import InvalidUpload, auto_category, label_from_filename


@pytest.mark.parametrize(
    ("filename", "label"),
    [
        ("idle.01.csv", "idle"),
        ("wave.s1234.json", "wave"),
        ("up.3ghj2k.cbor", "up"),
        ("training/noise.wav", "noise"),
        ("C:\\data\\left.2.png", "left"),
        ("walk fast.01.csv", "walk fast"),
        ("idle", "idle"),
        (".hidden.csv", None),
    ],
)
def test_label_is_the_text_before_the_first_dot(filename: str, label: str | None) -> None:
    assert label_from_filename(filename) == label


def test_same_content_always_gets_the_same_category() -> None:
    digest = hashlib.sha256(b"one recording").hexdigest()
    assert {auto_category(digest) for _ in range(5)} == {auto_category(digest.upper())}


def test_split_is_eighty_twenty_over_many_samples() -> None:
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(5000)]
    training = sum(auto_category(d) == "training" for d in digests) / len(digests)
    assert 0.78 < training < 0.82


def test_category_rejects_something_that_is_not_a_sha256() -> None:
    with pytest.raises(ValueError, match="sha256"):
        auto_category("abc123")


def test_invalid_upload_message_names_file_and_problem() -> None:
    err = InvalidUpload("walk.03.csv", "row 17 has 2 values, expected 4 (ragged CSV)")
    assert str(err) == "walk.03.csv: row 17 has 2 values, expected 4 (ragged CSV)"
    assert (err.filename, err.reason) == ("walk.03.csv", "row 17 has 2 values, expected 4 (ragged CSV)")


def test_invalid_upload_survives_pickling() -> None:
    copy = pickle.loads(pickle.dumps(InvalidUpload("a.wav", "zero frames")))
    assert (copy.filename, copy.reason, str(copy)) == ("a.wav", "zero frames", "a.wav: zero frames")
