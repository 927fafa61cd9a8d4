"""Zip uploads: per-member results, info.labels, and refusal of unsafe members and zip bombs."""

from __future__ import annotations

import hashlib
import json
import stat
import struct
import zipfile
from typing import TYPE_CHECKING

import numpy as np
import pytest

from backend.data.formats import InvalidUpload, Limits, MemberResult, parse_zip, sign_acquisition

if TYPE_CHECKING:
    from pathlib import Path

    from tests.backend.data.formats.conftest import Corpus

KEY = b"zip-project-key"


def good_members(corpus: Corpus) -> dict[str, bytes | str]:
    return {
        "idle.01.csv": corpus.csv_text(["timestamp", "x"], [[i * 10, i] for i in range(5)]),
        "wave.02.json": sign_acquisition(corpus.acquisition_doc(rows=4), KEY, "json"),
        "wave.03.cbor": sign_acquisition(corpus.acquisition_doc(rows=6), None, "cbor"),
        "yes.01.wav": corpus.wav_bytes(np.zeros(160, dtype="<i2").tobytes()),
        "cat.01.png": corpus.image_bytes(8, 8),
    }


def by_path(results: list[MemberResult]) -> dict[str, MemberResult]:
    return {r.path: r for r in results}


def member_error(results: list[MemberResult], path: str) -> str:
    result = by_path(results)[path]
    assert result.samples == [] and result.error is not None
    assert result.error.filename == path
    return result.error.reason


def test_every_supported_member_is_parsed(corpus: Corpus) -> None:
    results = by_path(parse_zip(corpus.zip_file(good_members(corpus)), hmac_key=KEY))
    assert sorted(results) == ["cat.01.png", "idle.01.csv", "wave.02.json", "wave.03.cbor", "yes.01.wav"]
    assert all(r.error is None and len(r.samples) == 1 for r in results.values())
    kinds = {p: r.samples[0].kind for p, r in results.items()}
    assert kinds == {
        "cat.01.png": "image",
        "idle.01.csv": "timeseries",
        "wave.02.json": "timeseries",
        "wave.03.cbor": "timeseries",
        "yes.01.wav": "audio",
    }
    assert results["wave.02.json"].samples[0].signature == "verified"
    assert results["idle.01.csv"].samples[0].filename == "idle.01.csv"


def test_member_hash_is_of_its_bytes(corpus: Corpus) -> None:
    members = good_members(corpus)
    (result,) = parse_zip(corpus.zip_file({"idle.01.csv": members["idle.01.csv"]}))
    assert result.sha256 == hashlib.sha256(str(members["idle.01.csv"]).encode()).hexdigest()


def test_bad_member_does_not_lose_the_good_ones(corpus: Corpus) -> None:
    members = good_members(corpus) | {"walk.03.csv": "timestamp,x\n0,1\n10\n20,3\n"}
    results = parse_zip(corpus.zip_file(members), hmac_key=KEY)
    assert member_error(results, "walk.03.csv") == "row 3 has 1 value, expected 2 (ragged CSV)"
    assert sum(len(r.samples) for r in results) == 5


def test_macos_folders_dotfiles_and_directories_are_skipped(corpus: Corpus) -> None:
    csv = good_members(corpus)["idle.01.csv"]
    members = {
        "data/": "",
        "data/idle.01.csv": csv,
        "__MACOSX/data/._idle.01.csv": "junk",
        ".DS_Store": "junk",
    }
    assert [r.path for r in parse_zip(corpus.zip_file(members))] == ["data/idle.01.csv"]


def test_folder_names_training_and_testing_give_the_category(corpus: Corpus) -> None:
    csv = good_members(corpus)["idle.01.csv"]
    results = by_path(parse_zip(corpus.zip_file({"training/a.csv": csv, "testing/b.csv": csv, "c.csv": csv})))
    assert {p: r.category for p, r in results.items()} == {
        "training/a.csv": "training",
        "testing/b.csv": "testing",
        "c.csv": None,
    }


def test_info_labels_sets_label_category_and_metadata(corpus: Corpus) -> None:
    csv = good_members(corpus)["idle.01.csv"]
    labels = {
        "version": 1,
        "files": [
            {
                "path": "training/x1.csv",
                "category": "testing",
                "label": {"type": "label", "label": "circle"},
                "metadata": {"site": "lab"},
            },
            {"path": "training/x2.csv", "category": "training", "label": {"type": "unlabeled"}},
        ],
    }
    members = {
        "export/info.labels": json.dumps(labels),
        "export/training/x1.csv": csv,
        "export/training/x2.csv": csv,
    }
    results = by_path(parse_zip(corpus.zip_file(members)))
    assert sorted(results) == ["export/training/x1.csv", "export/training/x2.csv"]
    x1, x2 = results["export/training/x1.csv"], results["export/training/x2.csv"]
    assert (x1.category, x1.samples[0].label, x1.samples[0].metadata["site"]) == ("testing", "circle", "lab")
    assert (x2.category, x2.samples[0].label) == ("training", None)


def test_unreadable_info_labels_is_reported_and_members_still_parse(corpus: Corpus) -> None:
    csv = good_members(corpus)["idle.01.csv"]
    results = parse_zip(corpus.zip_file({"info.labels": "{not json", "idle.01.csv": csv}))
    assert "not a valid info.labels file" in member_error(results, "info.labels")
    assert by_path(results)["idle.01.csv"].samples[0].values.shape == (5, 1)


def test_path_traversal_member_is_rejected(corpus: Corpus) -> None:
    csv = good_members(corpus)["idle.01.csv"]
    results = parse_zip(corpus.zip_file({"../../etc/evil.csv": csv, "ok.csv": csv}))
    assert "outside the archive" in member_error(results, "../../etc/evil.csv")
    assert by_path(results)["ok.csv"].error is None


def test_absolute_path_member_is_rejected(corpus: Corpus) -> None:
    def absolute(info: zipfile.ZipInfo) -> None:
        info.filename = "/tmp/abs.csv"  # ZipInfo() strips a leading slash; set it back as an attacker would

    results = parse_zip(corpus.zip_file({"abs.csv": good_members(corpus)["idle.01.csv"]}, tweak=absolute))
    assert "absolute paths" in member_error(results, "/tmp/abs.csv")


def test_symlink_member_is_rejected(corpus: Corpus) -> None:
    def symlink(info: zipfile.ZipInfo) -> None:
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16

    results = parse_zip(corpus.zip_file({"link.csv": "/etc/passwd"}, tweak=symlink))
    assert "symbolic links" in member_error(results, "link.csv")


def test_encrypted_member_is_rejected(corpus: Corpus) -> None:
    path = corpus.zip_file({"secret.csv": "t,x\n0,1\n10,2\n"})
    # zipfile cannot write encrypted members, so set the "encrypted" flag bit in both headers.
    raw = bytearray(path.read_bytes())
    raw[6] |= 0x1  # local file header, general purpose flags
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1  # central directory entry
    path.write_bytes(bytes(raw))
    assert "encrypted" in member_error(parse_zip(path), "secret.csv")


def test_nested_archive_is_rejected(corpus: Corpus) -> None:
    inner = corpus.zip_file({"a.csv": "t,x\n0,1\n10,2\n"}, name="inner.zip").read_bytes()
    assert "inside archives" in member_error(parse_zip(corpus.zip_file({"inner.zip": inner})), "inner.zip")


def test_member_with_an_unsupported_type_is_reported(corpus: Corpus) -> None:
    results = parse_zip(corpus.zip_file({"notes.txt": "hello"}))
    assert member_error(results, "notes.txt").startswith("unsupported file type '.txt'")


def test_highly_compressed_member_is_rejected_as_a_bomb(corpus: Corpus) -> None:
    zeros = "timestamp,x\n" + "0,0\n" * 250_000  # 1 MB of repeats compresses over 200:1
    results = parse_zip(corpus.zip_file({"bomb.csv": zeros}))
    assert "zip bomb guard" in member_error(results, "bomb.csv")


def test_too_many_members_rejects_the_archive(corpus: Corpus) -> None:
    path = corpus.zip_file({f"s{i}.csv": "t,x\n0,1\n10,2\n" for i in range(6)})
    with pytest.raises(InvalidUpload, match="archive has 6 files, over the limit of 5"):
        parse_zip(path, limits=Limits(max_zip_members=5))


def test_total_uncompressed_size_over_the_limit_rejects_the_archive(corpus: Corpus) -> None:
    path = corpus.zip_file({f"s{i}.csv": "t,x\n" + "0,1\n" * 1000 for i in range(3)}, name="big.zip")
    with pytest.raises(InvalidUpload, match="unpacks to 11.7 KB, over the 10.0 KB limit"):
        parse_zip(path, limits=Limits(max_zip_total_bytes=10 * 1024))


def _understate_size(path: Path, size: int) -> None:
    """Rewrite the uncompressed size in the local and central headers, as a forged archive would."""
    raw = bytearray(path.read_bytes())
    raw[22:26] = struct.pack("<I", size)  # local file header
    central = raw.index(b"PK\x01\x02")
    raw[central + 24 : central + 28] = struct.pack("<I", size)
    path.write_bytes(bytes(raw))


def test_member_whose_header_understates_its_size_is_rejected(corpus: Corpus) -> None:
    path = corpus.zip_file({"liar.csv": "timestamp,x\n" + "".join(f"{i},{i}\n" for i in range(2000))})
    _understate_size(path, 40)
    assert "could not be read" in member_error(parse_zip(path), "liar.csv")


def test_file_that_is_not_a_zip_is_rejected(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match="not a readable zip archive"):
        parse_zip(corpus.write("fake.zip", b"PK\x03\x04 but nothing more"))
