"""Content-addressed blob store: atomic, deduplicated, streaming, size-limited."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from backend.core.blobs import LocalBlobStore
from backend.core.errors import PayloadTooLarge


def test_blob_is_named_by_its_sha256_and_read_back(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    sha = store.put_bytes(b"hello sensors")
    assert sha == hashlib.sha256(b"hello sensors").hexdigest()
    assert store.read_bytes(sha) == b"hello sensors"
    assert store.path(sha).parent.parent.name == sha[:2]


def test_same_content_is_stored_once(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    a, b = store.put_bytes(b"x" * 10), store.put_bytes(b"x" * 10)
    assert a == b
    assert len([p for p in tmp_path.rglob("*") if p.is_file() and p.parent.name != "tmp"]) == 1


def test_streamed_write_over_the_limit_leaves_nothing_behind(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(PayloadTooLarge):
        store.put_stream((b"a" * 1000 for _ in range(10)), max_bytes=5000)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_streaming_read_returns_chunks(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = bytes(range(256)) * 10000
    sha, size = store.put_stream([data[:1000], data[1000:]])
    assert size == len(data)
    assert b"".join(store.iter_chunks(sha)) == data


def test_malformed_digest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        LocalBlobStore(tmp_path).path("../../etc/passwd")
