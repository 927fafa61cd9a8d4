"""What the impulse needs from the dataset: the samples of a category, their values in the impulse's axis
order, how many windows each gives, and a fingerprint that changes whenever the features would."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from backend.core.errors import InvalidInput
from workers.pipeline.windowing import frames_per_window, stride_frames

if TYPE_CHECKING:
    from backend.data.models import Sample

# Same tolerance as workers.pipeline.windowing uses when it turns times into frame counts.
_FRAME_EPS = 1e-6


def samples(session: Session, project_id: int, category: str | None) -> list[Sample]:
    """Enabled samples of one category (all categories for ``None``), in id order."""
    from backend.data import service as data

    return sorted(
        data.list_for_training(session, project_id, category, enabled_only=True), key=lambda s: s.id
    )


def sensor_names(sample: Sample) -> list[str]:
    return [str(s.get("name", "")) for s in (sample.sensors or [])]


def missing_axes(sample: Sample, axes: Sequence[str]) -> list[str]:
    names = set(sensor_names(sample))
    return [a for a in axes if a not in names]


def values_for(sample: Sample, input_block: Mapping[str, Any]) -> np.ndarray:
    """The sample's values as the impulse's input block takes them.

    Time series and audio: float32 ``[frames, axes]`` with the columns in the impulse's axis order
    (the sample may carry more sensors, or the same ones in another order). Images: uint8 ``[H, W, C]``.
    """
    from backend.data import service as data

    values = np.asarray(data.load_values(sample))
    if input_block["type"] == "image":
        if values.ndim == 2:
            values = values[:, :, None]
        return values
    names = sensor_names(sample)
    missing = missing_axes(sample, input_block["axes"])
    if missing:
        raise InvalidInput(
            f"Sample {sample.id} ({sample.name}) has no sensor named {', '.join(missing)}.", field="axes"
        )
    if values.ndim == 1:
        values = values[:, None]
    columns = [names.index(a) for a in input_block["axes"]]
    return np.ascontiguousarray(values[:, columns], dtype=np.float32)


def resampled_length(frames: int, interval_ms: float, frequency_hz: float) -> int:
    """Frames after resampling to the impulse frequency (the formula of ``windowing.resample``)."""
    target = 1000.0 / frequency_hz
    if abs(target - interval_ms) <= 1e-6 * interval_ms:
        return frames
    return math.floor((frames - 1) * interval_ms / target + _FRAME_EPS) + 1


def window_count(sample: Sample, input_block: Mapping[str, Any]) -> int:
    """Windows the sample gives under this input block, from its metadata alone (0 if it is too short)."""
    if input_block["type"] == "image":
        return 1
    if sample.frames <= 0 or sample.interval_ms <= 0:
        return 0
    fs = float(input_block["frequency_hz"])
    length = resampled_length(sample.frames, sample.interval_ms, fs)
    frames = frames_per_window(input_block["window_ms"], fs)
    if length < frames:
        return 1 if input_block.get("zero_pad", True) else 0
    return 1 + (length - frames) // stride_frames(input_block["stride_ms"], fs)


def duration_ms(sample: Sample) -> float:
    return float(sample.frames) * float(sample.interval_ms)


def fingerprint(rows: Sequence[Sample]) -> str:
    """sha256 over what the features depend on: each sample's id, label, content and sensors.

    Adding, removing, relabelling, disabling or replacing any sample changes it.
    """
    digest = hashlib.sha256()
    for s in sorted(rows, key=lambda r: r.id):
        sensors = ",".join(sensor_names(s))
        digest.update(f"{s.id}|{s.label or ''}|{s.content_sha256}|{s.interval_ms!r}|{sensors}\n".encode())
    digest.update(f"count={len(rows)}".encode())
    return digest.hexdigest()
