"""Data service: samples listed, read, edited, summarized and rebalanced; uploads go through `ingest`.

The studio API, the Edge Impulse-compatible ingestion API, the pages, the CLI and the training jobs all
call these functions. Writes only flush; the caller's unit of work commits once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.blobs import get_blob_store
from backend.core.errors import InvalidInput, NotFound
from backend.data import formats, repository, storage
from backend.data.ingest import (
    CATEGORY_CHOICES,
    FileOutcome,
    IngestOptions,
    InvalidSampleFile,
    PreparedFile,
    PreparedUpload,
    RejectedUpload,
    StoredFile,
    clean_label,
    ingest_file,
    ingest_upload,
    insert_prepared,
    parse_upload,
    prepare_upload,
    store_prepared,
)
from backend.data.ingest import saved_mapping as get_csv_mapping
from backend.data.models import CATEGORIES, CsvMapping, Sample
from backend.data.repository import UNLABELED, SampleFilter
from backend.projects.service import ProjectContext

__all__ = [
    "CATEGORY_CHOICES",
    "UNLABELED",
    "FileOutcome",
    "IngestOptions",
    "InvalidSampleFile",
    "PreparedFile",
    "PreparedUpload",
    "RejectedUpload",
    "SampleFilter",
    "StoredFile",
    "crop",
    "delete",
    "disable",
    "enable",
    "get_csv_mapping",
    "get_or_raise",
    "ingest_file",
    "ingest_upload",
    "insert_prepared",
    "labels",
    "list_",
    "list_for_training",
    "load_values",
    "move",
    "parse_upload",
    "prepare_upload",
    "plot_values",
    "rebalance",
    "store_prepared",
    "relabel",
    "rename",
    "save_csv_mapping",
    "split_windows",
    "summary",
    "update_metadata",
]

MAX_WINDOWS = 10_000
TRAINING_SHARE = 0.8


# Reading --------------------------------------------------------------------------------------------


def get_or_raise(session: Session, ctx: ProjectContext, sample_id: int) -> Sample:
    sample = repository.get_in_project(session, ctx.project.id, sample_id)
    if sample is None:
        raise NotFound(f"Sample {sample_id} not found.")
    return sample


def list_(
    session: Session,
    ctx: ProjectContext,
    filters: SampleFilter,
    *,
    limit: int = 50,
    after_id: int | None = None,
    offset: int = 0,
) -> tuple[list[Sample], int]:
    """One page of samples, newest first, and how many match the filters in all."""
    limit = max(1, min(limit, 1000))
    samples = repository.page(session, ctx.project.id, filters, limit=limit, after_id=after_id, offset=offset)
    return samples, repository.count(session, ctx.project.id, filters)


def load_values(sample: Sample) -> np.ndarray:
    """float32 [frames, axes] for time series and audio, uint8 [H, W, C] for images."""
    return storage.npy_to_values(get_blob_store().read_bytes(sample.values_sha256))


def list_for_training(
    session: Session, project_id: int, category: str | None = None, *, enabled_only: bool = True
) -> list[Sample]:
    """Samples for a training or test job, in id order (workers load each with `load_values`)."""
    return repository.for_training(session, project_id, category, enabled_only=enabled_only)


def labels(session: Session, ctx: ProjectContext) -> list[str]:
    return repository.labels(session, ctx.project.id)


def plot_values(sample: Sample, max_points: int = 2000) -> dict[str, Any]:
    """Values for a chart: at most `max_points` per axis, keeping each bucket's minimum and maximum."""
    if sample.kind == "image":
        return {"kind": "image", "height": sample.frames, "width": sample.width, "channels": sample.axes}
    values = load_values(sample)
    n = values.shape[0]
    max_points = max(2, max_points)
    t = np.arange(n, dtype=np.float64) * sample.interval_ms
    if n <= max_points:
        picked_t, picked = t, values
    else:
        # Min and max of each bucket (in time order) so peaks survive the downsampling.
        buckets = max_points // 2
        edges = np.linspace(0, n, buckets + 1).astype(np.int64)
        idx = []
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            chunk = values[a:b, 0] if values.shape[1] else values[a:b]
            lo, hi = a + int(np.argmin(chunk)), a + int(np.argmax(chunk))
            idx.extend(sorted({lo, hi}))
        sel = np.asarray(idx)
        picked_t, picked = t[sel], values[sel]
    return {
        "kind": sample.kind,
        "interval_ms": sample.interval_ms,
        "frames": n,
        "downsampled": n > max_points,
        "t_ms": picked_t.round(3).tolist(),
        "axes": [
            {"name": s["name"], "units": s["units"], "values": picked[:, i].astype(float).tolist()}
            for i, s in enumerate(sample.sensors)
        ],
    }


def open_original(sample: Sample) -> Path:
    return get_blob_store().path(sample.original_sha256)


# Editing --------------------------------------------------------------------------------------------


def _bulk(session: Session, ctx: ProjectContext, ids: list[int], action: str, **values: object) -> int:
    n = repository.set_field(session, ctx.project.id, ids, **values)
    audit.record(
        session, ctx.principal, f"sample.{action}", project_id=ctx.project.id, sample_ids=ids[:100], count=n,
        **{k: v for k, v in values.items() if k != "enabled"},
    )  # fmt: skip
    return n


def relabel(session: Session, ctx: ProjectContext, ids: list[int], label: str | None) -> int:
    """Give the samples one label (None or "" removes it); returns how many changed."""
    return _bulk(session, ctx, ids, "relabel", label=clean_label(label) if label else None)


def _category(category: str) -> str:
    if category not in CATEGORIES:
        raise InvalidInput(f"Category must be one of {', '.join(CATEGORIES)}.", field="category")
    return category


def move(session: Session, ctx: ProjectContext, ids: list[int], category: str) -> int:
    return _bulk(session, ctx, ids, "move", category=_category(category))


def enable(session: Session, ctx: ProjectContext, ids: list[int]) -> int:
    return _bulk(session, ctx, ids, "enable", enabled=True)


def disable(session: Session, ctx: ProjectContext, ids: list[int]) -> int:
    return _bulk(session, ctx, ids, "disable", enabled=False)


def delete(session: Session, ctx: ProjectContext, ids: list[int]) -> int:
    """Delete samples; their blobs go after the commit unless another sample shares them."""
    samples = repository.in_project(session, ctx.project.id, ids)
    for s in samples:
        storage.release_blobs(session, (s.original_sha256, s.values_sha256))
        session.delete(s)
    session.flush()
    audit.record(
        session, ctx.principal, "sample.delete", project_id=ctx.project.id,
        sample_ids=[s.id for s in samples][:100], count=len(samples),
    )  # fmt: skip
    return len(samples)


def rename(session: Session, ctx: ProjectContext, sample: Sample, name: str) -> Sample:
    text = name.strip()
    if not text or len(text) > 255:
        raise InvalidInput("A sample name has 1 to 255 characters.", field="name")
    sample.name = text
    audit.record(session, ctx.principal, "sample.rename", project_id=ctx.project.id, sample_id=sample.id)
    session.flush()
    return sample


def update_metadata(
    session: Session, ctx: ProjectContext, sample: Sample, metadata: dict[str, Any]
) -> Sample:
    """Replace the sample's metadata (a JSON object)."""
    if not isinstance(metadata, dict):
        raise InvalidInput("Metadata must be a JSON object.", field="metadata")
    sample.meta = dict(metadata)
    audit.record(session, ctx.principal, "sample.metadata", project_id=ctx.project.id, sample_id=sample.id)
    session.flush()
    return sample


def update(
    session: Session,
    ctx: ProjectContext,
    sample: Sample,
    *,
    name: str | None = None,
    label: str | None = None,
    clear_label: bool = False,
    category: str | None = None,
    enabled: bool | None = None,
    metadata: dict[str, Any] | None = None,
) -> Sample:
    """Apply the fields a PATCH gives, each as its own audited change."""
    if name is not None:
        rename(session, ctx, sample, name)
    if label is not None or clear_label:
        relabel(session, ctx, [sample.id], None if clear_label else label)
    if category is not None:
        move(session, ctx, [sample.id], category)
    if enabled is not None:
        (enable if enabled else disable)(session, ctx, [sample.id])
    if metadata is not None:
        update_metadata(session, ctx, sample, metadata)
    session.refresh(sample)
    return sample


def _replace_values(session: Session, sample: Sample, values: np.ndarray) -> None:
    old = sample.values_sha256
    sample.values_sha256 = storage.put_bytes(session, storage.values_to_npy(values))
    sample.frames = int(values.shape[0])
    sample.duration_ms = float(values.shape[0] * sample.interval_ms)
    sample.content_sha256 = storage.content_hash(sample.kind, values, sample.interval_ms)
    storage.release_blobs(session, [old])


def _frame_range(sample: Sample, start_ms: float, end_ms: float) -> tuple[int, int]:
    if sample.kind == "image":
        raise InvalidInput("Images cannot be cropped in time.")
    if not (0 <= start_ms < end_ms):
        raise InvalidInput("Give 0 <= start_ms < end_ms.", field="start_ms")
    a = int(round(start_ms / sample.interval_ms))
    b = min(sample.frames, int(round(end_ms / sample.interval_ms)))
    if b - a < 2:
        raise InvalidInput("The cropped sample would have fewer than 2 frames.", field="end_ms")
    return a, b


def crop(session: Session, ctx: ProjectContext, sample: Sample, start_ms: float, end_ms: float) -> Sample:
    """Keep only [start_ms, end_ms) of the values; the original file stays as uploaded."""
    a, b = _frame_range(sample, start_ms, end_ms)
    _replace_values(session, sample, load_values(sample)[a:b])
    crops = list(sample.meta.get("crops", [])) + [[a * sample.interval_ms, b * sample.interval_ms]]
    sample.meta = {**sample.meta, "crops": crops}
    audit.record(
        session, ctx.principal, "sample.crop", project_id=ctx.project.id, sample_id=sample.id,
        start_ms=start_ms, end_ms=end_ms,
    )  # fmt: skip
    session.flush()
    return sample


def split_windows(
    session: Session, ctx: ProjectContext, sample: Sample, window_ms: float, stride_ms: float | None = None
) -> list[Sample]:
    """Cut a long sample into windows (new samples, same label and category); a tail shorter than a
    window is dropped. The original is kept but disabled, so it stays recoverable and out of training."""
    if sample.kind == "image":
        raise InvalidInput("Images cannot be split into windows.")
    stride_ms = stride_ms or window_ms
    win = int(round(window_ms / sample.interval_ms))
    step = int(round(stride_ms / sample.interval_ms))
    if win < 2 or step < 1:
        raise InvalidInput("The window must span at least 2 frames.", field="window_ms")
    if win > sample.frames:
        raise InvalidInput("The window is longer than the sample.", field="window_ms")
    starts = range(0, sample.frames - win + 1, step)
    if len(starts) > MAX_WINDOWS:
        raise InvalidInput(f"That would make {len(starts)} windows; the limit is {MAX_WINDOWS}.")
    values = load_values(sample)
    created = []
    for i, a in enumerate(starts):
        part = np.ascontiguousarray(values[a : a + win])
        created.append(
            Sample(
                project_id=sample.project_id, name=f"{sample.name}.w{i}", filename=sample.filename,
                label=sample.label, category=sample.category, kind=sample.kind, sensors=sample.sensors,
                interval_ms=sample.interval_ms, frames=win, axes=sample.axes, width=0,
                duration_ms=win * sample.interval_ms,
                content_sha256=storage.content_hash(sample.kind, part, sample.interval_ms),
                original_sha256=sample.original_sha256,
                values_sha256=storage.put_bytes(session, storage.values_to_npy(part)),
                meta={**sample.meta, "window_of": sample.id, "window_ms": [a * sample.interval_ms,
                                                                           (a + win) * sample.interval_ms]},
                enabled=True, verified=sample.verified, device_name=sample.device_name,
                device_type=sample.device_type, created_by_id=ctx.principal.user_id,
                created_by_api_key_id=ctx.principal.api_key_id,
            )
        )  # fmt: skip
    session.add_all(created)
    sample.enabled = False
    session.flush()
    sample.meta = {**sample.meta, "split_into": [s.id for s in created][:1000]}
    audit.record(
        session, ctx.principal, "sample.split", project_id=ctx.project.id, sample_id=sample.id,
        windows=len(created), window_ms=window_ms, stride_ms=stride_ms,
    )  # fmt: skip
    session.flush()
    return created


# Dataset-wide ---------------------------------------------------------------------------------------


def summary(session: Session, ctx: ProjectContext) -> dict[str, Any]:
    """Counts and durations per label and category (enabled samples), the train/test ratio, sensors."""
    per_label: dict[str | None, dict[str, dict[str, float]]] = defaultdict(
        lambda: {c: {"count": 0, "duration_ms": 0.0} for c in CATEGORIES}
    )
    per_category = {c: {"count": 0, "duration_ms": 0.0} for c in CATEGORIES}
    disabled = 0
    for label, category, enabled, n, duration in repository.totals(session, ctx.project.id):
        if not enabled:
            disabled += n
            continue
        for bucket in (per_label[label][category], per_category[category]):
            bucket["count"] += n
            bucket["duration_ms"] += duration
    train, test = per_category["training"]["count"], per_category["testing"]["count"]
    split = train + test
    return {
        "total": sum(c["count"] for c in per_category.values()),
        "disabled": disabled,
        "duration_ms": sum(c["duration_ms"] for c in per_category.values()),
        "categories": per_category,
        "labels": [
            {"label": label, **cats}
            for label, cats in sorted(per_label.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
        "train_test_ratio": {
            "training": round(100 * train / split, 1) if split else 0.0,
            "testing": round(100 * test / split, 1) if split else 0.0,
        },
        "sensors": [
            {"kind": kind, "sensors": sensors, "interval_ms": interval, "count": n}
            for kind, sensors, interval, n in repository.sensor_sets(session, ctx.project.id)
        ],
    }


def rebalance(session: Session, ctx: ProjectContext) -> dict[str, Any]:
    """Move enabled training/testing samples so that each label is split about 80/20.

    Only as many samples as needed move, chosen by content hash (the same dataset always moves the same
    samples): surplus test samples with the lowest hashes go to training, surplus training samples with
    the highest hashes go to testing. Anomaly samples are left alone.
    """
    groups: dict[str | None, list[Sample]] = defaultdict(list)
    for s in repository.for_training(session, ctx.project.id, None, enabled_only=True):
        if s.category in ("training", "testing"):
            groups[s.label].append(s)
    moved: list[int] = []
    result: dict[str, dict[str, int]] = {}
    for label, samples in groups.items():
        want_test = round(len(samples) * (1 - TRAINING_SHARE))
        test = sorted((s for s in samples if s.category == "testing"), key=lambda s: s.content_sha256)
        train = sorted((s for s in samples if s.category == "training"), key=lambda s: s.content_sha256)
        if len(test) > want_test:
            for s in test[: len(test) - want_test]:
                s.category = "training"
                moved.append(s.id)
        elif len(test) < want_test:
            for s in train[len(train) - (want_test - len(test)) :]:
                s.category = "testing"
                moved.append(s.id)
        result[label if label is not None else ""] = {
            "training": len(samples) - want_test,
            "testing": want_test,
        }
    session.flush()
    audit.record(session, ctx.principal, "sample.rebalance", project_id=ctx.project.id, moved=len(moved))
    return {"moved": len(moved), "sample_ids": moved, "labels": result}


def save_csv_mapping(
    session: Session, ctx: ProjectContext, mapping: formats.CsvMapping, name: str = "default"
) -> CsvMapping:
    """Save the CSV wizard's mapping; the "default" one applies to the project's later CSV uploads."""
    row = repository.csv_mapping(session, ctx.project.id, name)
    if row is None:
        row = CsvMapping(project_id=ctx.project.id, name=name, created_by_id=ctx.principal.user_id)
        session.add(row)
    row.mapping = asdict(mapping)
    audit.record(session, ctx.principal, "csv_mapping.save", project_id=ctx.project.id, name=name)
    session.flush()
    return row


def preview_csv(path: Path, mapping: formats.CsvMapping | None) -> formats.CsvPreview:
    """What the CSV wizard shows for one uploaded CSV: detected mapping, first rows, problems."""
    return formats.preview_csv(path, mapping)
