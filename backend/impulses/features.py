"""Features of an impulse: one sample's windows through its processing blocks (the single code path for
training, testing and live classification), a whole category as a matrix, and its cache."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.core.blobs import get_blob_store
from backend.core.errors import InvalidInput
from backend.impulses import dataset, design, repository
from backend.impulses.models import FeatureSet, Impulse
from workers.dsp import generate_batch
from workers.pipeline.windowing import WindowLongerThanSample, windows

if TYPE_CHECKING:
    from backend.data.models import Sample

ALL_CATEGORIES = "all"


@dataclass
class FeatureMatrix:
    """Features of every window of a set of samples, with where each row came from."""

    X: np.ndarray  # float32 [N, F]
    labels: list[str]  # per row ("" when the sample has no label)
    y: np.ndarray  # int64 [N], index into class_names, -1 when unlabelled or unknown to the impulse
    sample_ids: np.ndarray  # int64 [N]
    window_index: np.ndarray  # int64 [N], the window's position within its sample
    class_names: list[str]
    feature_shape: tuple[int, ...]  # one row's layout, e.g. (frames, coefficients) for MFCC
    skipped_samples: int = 0  # samples shorter than one window with zero padding off

    def __len__(self) -> int:
        return int(self.X.shape[0])


def _dsp_blocks(impulse: Impulse, dsp_ids: Sequence[str] | None) -> list[dict]:
    if dsp_ids is None:
        return list(impulse.dsp_blocks)
    by_id = {b["id"]: b for b in impulse.dsp_blocks}
    unknown = [d for d in dsp_ids if d not in by_id]
    if unknown:
        raise InvalidInput(f"Impulse has no processing block {', '.join(unknown)}.", field="dsp_ids")
    return [by_id[d] for d in dsp_ids]


def feature_shape(impulse: Impulse, dsp_ids: Sequence[str] | None = None) -> tuple[int, ...]:
    """Layout of one feature row: a single block's own shape, or flat when blocks are concatenated."""
    blocks = _dsp_blocks(impulse, dsp_ids)
    return design.learn_input_shape(impulse.input_block, blocks, [b["id"] for b in blocks])


def block_windows(impulse: Impulse, values: np.ndarray, interval_ms: float) -> np.ndarray:
    """The windows the processing blocks receive: ``[W, frames, axes]`` float32, or ``[1, H, W, C]`` uint8."""
    block = impulse.input_block
    if block["type"] == "image":
        image = np.asarray(values)
        if image.ndim == 2:
            image = image[:, :, None]
        return image[None]
    return windows(
        values,
        interval_ms,
        window_ms=block["window_ms"],
        stride_ms=block["stride_ms"],
        frequency_hz=block["frequency_hz"],
        zero_pad=block.get("zero_pad", True),
    )


def features_of_windows(
    impulse: Impulse, batch: np.ndarray, *, dsp_ids: Sequence[str] | None = None
) -> list[np.ndarray]:
    """Each chosen processing block's features of a window batch, in block order: ``[W, F_i]`` each."""
    fs = float(impulse.input_block.get("frequency_hz") or 1.0)
    return [generate_batch(b["type"], batch, fs, b["params"]) for b in _dsp_blocks(impulse, dsp_ids)]


def window_features(
    impulse: Impulse, values: np.ndarray, interval_ms: float, *, dsp_ids: Sequence[str] | None = None
) -> np.ndarray:
    """One sample's features: float32 ``[W, F]``, its windows through the chosen processing blocks.

    ``values`` are ``[frames, axes]`` in the impulse's axis order (``dataset.values_for`` orders a stored
    sample) or an image ``[H, W, C]``; ``dsp_ids`` defaults to every processing block, concatenated in
    the impulse's order (pass a learning block's ``inputs`` to get what that block sees).
    Raises ``WindowLongerThanSample`` when the sample is shorter than a window and padding is off.
    """
    parts = features_of_windows(impulse, block_windows(impulse, values, interval_ms), dsp_ids=dsp_ids)
    return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


def _per_block_matrices(
    impulse: Impulse,
    rows: Sequence[Sample],
    blocks: list[dict],
    progress: Callable[[float], None] | None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray | list[str]], int]:
    """Generate every chosen block's features in one pass over the samples (windows cut once)."""
    ids = [b["id"] for b in blocks]
    parts: dict[str, list[np.ndarray]] = {d: [] for d in ids}
    labels: list[str] = []
    sample_ids: list[np.ndarray] = []
    window_index: list[np.ndarray] = []
    skipped = 0
    index = {name: i for i, name in enumerate(impulse.labels)}
    for n, sample in enumerate(rows):
        values = dataset.values_for(sample, impulse.input_block)
        try:
            batch = block_windows(impulse, values, sample.interval_ms)
        except WindowLongerThanSample:
            skipped += 1
            continue
        for d, feats in zip(ids, features_of_windows(impulse, batch, dsp_ids=ids), strict=True):
            parts[d].append(feats)
        count = batch.shape[0]
        labels.extend([sample.label or ""] * count)
        sample_ids.append(np.full(count, sample.id, dtype=np.int64))
        window_index.append(np.arange(count, dtype=np.int64))
        if progress is not None:
            progress((n + 1) / len(rows))
    matrices = {
        d: np.concatenate(p).astype(np.float32, copy=False)
        if p
        else np.zeros((0, math.prod(feature_shape(impulse, [d]))), np.float32)
        for d, p in parts.items()
    }
    meta: dict[str, np.ndarray | list[str]] = {
        "labels": labels,
        "y": np.array([index.get(label, -1) for label in labels], dtype=np.int64),
        "sample_ids": np.concatenate(sample_ids) if sample_ids else np.zeros(0, np.int64),
        "window_index": np.concatenate(window_index) if window_index else np.zeros(0, np.int64),
    }
    return matrices, meta, skipped


def _assemble(
    impulse: Impulse,
    blocks: list[dict],
    matrices: dict[str, np.ndarray],
    meta: dict,
    skipped: int,
) -> FeatureMatrix:
    X = [matrices[b["id"]] for b in blocks]
    return FeatureMatrix(
        X=np.concatenate(X, axis=1) if len(X) > 1 else X[0],
        labels=list(meta["labels"]),
        y=np.asarray(meta["y"], dtype=np.int64),
        sample_ids=np.asarray(meta["sample_ids"], dtype=np.int64),
        window_index=np.asarray(meta["window_index"], dtype=np.int64),
        class_names=list(impulse.labels),
        feature_shape=feature_shape(impulse, [b["id"] for b in blocks]),
        skipped_samples=skipped,
    )


def build_features(
    session: Session,
    impulse: Impulse,
    category: str | None,
    *,
    progress: Callable[[float], None] | None = None,
    dsp_ids: Sequence[str] | None = None,
) -> FeatureMatrix:
    """Features of all enabled samples of ``category`` (every category for ``None``), computed now.

    ``progress`` receives the fraction of samples done (0..1).
    """
    blocks = _dsp_blocks(impulse, dsp_ids)
    rows = dataset.samples(session, impulse.project_id, category)
    matrices, meta, skipped = _per_block_matrices(impulse, rows, blocks, progress)
    return _assemble(impulse, blocks, matrices, meta, skipped)


def _to_npz(X: np.ndarray, meta: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        X=X,
        y=np.asarray(meta["y"], dtype=np.int64),
        sample_ids=np.asarray(meta["sample_ids"], dtype=np.int64),
        window_index=np.asarray(meta["window_index"], dtype=np.int64),
        labels=np.asarray(meta["labels"], dtype=str),
    )
    return buffer.getvalue()


def _from_npz(sha: str) -> tuple[np.ndarray, dict]:
    with np.load(io.BytesIO(get_blob_store().read_bytes(sha)), allow_pickle=False) as data:
        meta = {
            "y": data["y"],
            "sample_ids": data["sample_ids"],
            "window_index": data["window_index"],
            "labels": [str(x) for x in data["labels"]],
        }
        return data["X"].astype(np.float32, copy=False), meta


def _store(
    session: Session,
    impulse: Impulse,
    category: str,
    fingerprint: str,
    block_id: str,
    X: np.ndarray,
    meta: dict,
    skipped: int,
) -> None:
    sha = get_blob_store().put_bytes(_to_npz(X, meta))
    counts: dict[str, int] = {}
    for label in meta["labels"]:
        counts[label] = counts.get(label, 0) + 1
    values = {
        "fingerprint": fingerprint,
        "blob_sha": sha,
        "rows": int(X.shape[0]),
        "features": int(X.shape[1]),
        "samples": len(set(np.asarray(meta["sample_ids"]).tolist())),
        "counts": counts,
        "skipped_samples": skipped,
    }
    row = repository.feature_set(session, impulse.id, block_id, category)
    if row is not None:
        for key, value in values.items():
            setattr(row, key, value)
        session.flush()
        return
    try:
        # Two jobs may build the same features at once; the first one's row is as good as ours.
        with session.begin_nested():
            session.add(FeatureSet(impulse_id=impulse.id, dsp_id=block_id, category=category, **values))
    except IntegrityError:
        pass


def load_or_build(
    session: Session,
    impulse: Impulse,
    category: str | None,
    *,
    progress: Callable[[float], None] | None = None,
    dsp_ids: Sequence[str] | None = None,
) -> FeatureMatrix:
    """Cached features of ``category`` when they match the current dataset, else built and cached.

    The cache is per processing block (a learning block that uses a subset reuses them); rows are
    invalid as soon as the dataset fingerprint changes. Cache rows are flushed, the caller commits.
    """
    blocks = _dsp_blocks(impulse, dsp_ids)
    key = category or ALL_CATEGORIES
    rows = dataset.samples(session, impulse.project_id, category)
    fingerprint = dataset.fingerprint(rows)
    cached = {}
    for b in blocks:
        row = repository.feature_set(session, impulse.id, b["id"], key)
        if row is not None and row.fingerprint == fingerprint and get_blob_store().exists(row.blob_sha):
            cached[b["id"]] = row
    if len(cached) == len(blocks):
        matrices: dict[str, np.ndarray] = {}
        meta: dict = {}
        for b in blocks:
            matrices[b["id"]], meta = _from_npz(cached[b["id"]].blob_sha)
        if progress is not None:
            progress(1.0)
        return _assemble(impulse, blocks, matrices, meta, cached[blocks[0]["id"]].skipped_samples)
    missing = [b for b in blocks if b["id"] not in cached]
    built, meta, skipped = _per_block_matrices(impulse, rows, missing, progress)
    for b in missing:
        _store(session, impulse, key, fingerprint, b["id"], built[b["id"]], meta, skipped)
    for b in blocks:
        if b["id"] in cached:
            built[b["id"]], _ = _from_npz(cached[b["id"]].blob_sha)
    return _assemble(impulse, blocks, built, meta, skipped)
