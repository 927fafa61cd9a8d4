"""Sample blobs: values as .npy bytes, content hashes, and blob lifetimes tied to the transaction.

Blobs are written before the row that names them. A blob this unit of work created is removed again if the
transaction rolls back, and blobs no sample references any more are removed after the commit that deleted
their last sample, so neither a failed upload nor a delete leaves files behind.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from backend.core.blobs import get_blob_store

_NEW_BLOBS = "moteforge_data_new_blobs"
_RELEASED_BLOBS = "moteforge_data_released_blobs"


def values_to_npy(values: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(values), allow_pickle=False)
    return buf.getvalue()


def npy_to_values(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def content_hash(kind: str, values: np.ndarray, interval_ms: float) -> str:
    """Identity of a recording: equal values at the same rate match whatever file format carried them."""
    arr = np.ascontiguousarray(values)
    digest = hashlib.sha256()
    digest.update(f"{kind}|{arr.dtype.str}|{arr.shape}|{interval_ms!r}|".encode())
    digest.update(arr.tobytes())
    return digest.hexdigest()


def _remember_new(session: Session, sha: str, existed: bool) -> str:
    if not existed:
        session.info.setdefault(_NEW_BLOBS, set()).add(sha)
    return sha


def put_bytes(session: Session, data: bytes) -> str:
    store = get_blob_store()
    sha = hashlib.sha256(data).hexdigest()
    existed = store.exists(sha)
    if not existed:
        store.put_bytes(data)
    return _remember_new(session, sha, existed)


def put_file(session: Session, path: Path) -> str:
    store = get_blob_store()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    existed = store.exists(sha)
    if not existed:
        store.put_file(path)
    return _remember_new(session, sha, existed)


def new_blobs(session: Session) -> set[str]:
    """The blobs this unit of work created so far."""
    return set(session.info.get(_NEW_BLOBS, ()))


def forget_new_blobs(session: Session) -> None:
    """Hand the blobs this unit of work created to another one: its rollback no longer removes them."""
    session.info.pop(_NEW_BLOBS, None)


def discard_blobs(session: Session, shas: Iterable[str]) -> None:
    """Remove blobs of work that failed elsewhere, unless some sample references them."""
    _delete(_unreferenced(session, set(shas)))


def release_blobs(session: Session, shas: Iterable[str]) -> None:
    """Blobs of deleted samples: removed after the commit if no sample references them any more."""
    session.info.setdefault(_RELEASED_BLOBS, set()).update(shas)


def _unreferenced(session: Session, shas: set[str]) -> set[str]:
    from backend.data.models import Sample

    if not shas:
        return set()
    with session.get_bind().connect() as conn:
        rows = conn.execute(
            select(Sample.original_sha256, Sample.values_sha256).where(
                or_(Sample.original_sha256.in_(shas), Sample.values_sha256.in_(shas))
            )
        ).all()
    used = {sha for row in rows for sha in row}
    return shas - used


def _delete(shas: set[str]) -> None:
    store = get_blob_store()
    for sha in shas:
        store.delete(sha)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop(_NEW_BLOBS, None)
    released = session.info.pop(_RELEASED_BLOBS, None)
    if released:
        _delete(_unreferenced(session, released))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_RELEASED_BLOBS, None)
    created = session.info.pop(_NEW_BLOBS, None)
    if created:
        _delete(_unreferenced(session, created))
