"""Content-addressed blob storage: files named by their sha256, written atomically, read as streams.

The interface is small so an object store can stand behind it later; the local filesystem is the default.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from backend.core.errors import PayloadTooLarge

CHUNK = 1024 * 1024


class BlobStore(Protocol):
    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> tuple[str, int]: ...
    def put_bytes(self, data: bytes) -> str: ...
    def put_file(self, path: Path) -> str: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def read_bytes(self, sha256: str) -> bytes: ...
    def exists(self, sha256: str) -> bool: ...
    def path(self, sha256: str) -> Path: ...
    def delete(self, sha256: str) -> None: ...


def _check_digest(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs under root/ab/cd/<sha256>; a temp file in the same filesystem is renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        _check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise PayloadTooLarge(f"blob is larger than the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path(sha)
            if final.exists():
                os.unlink(tmp_name)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_name, final)
                _fsync_dir(final.parent)  # the rename itself must survive a crash too
            return sha, size
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def put_bytes(self, data: bytes) -> str:
        return self.put_stream([data])[0]

    def put_file(self, path: Path) -> str:
        with open(path, "rb") as f:
            return self.put_stream(iter(lambda: f.read(CHUNK), b""))[0]

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        with self.open(sha256) as f:
            yield from iter(lambda: f.read(CHUNK), b"")

    def read_bytes(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> None:
        p = self.path(sha256)
        if p.exists():
            p.unlink()

    def copy_to(self, sha256: str, dest: Path) -> None:
        shutil.copyfile(self.path(sha256), dest)


_store: LocalBlobStore | None = None


def get_blob_store() -> LocalBlobStore:
    global _store
    from backend.core.config import get_settings

    root = get_settings().blob_dir
    if _store is None or _store.root != root:
        _store = LocalBlobStore(root)
    return _store
