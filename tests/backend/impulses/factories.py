"""Factories for the impulse tests: samples stored the way the data domain stores them, and
BasicMotions-like activity recordings (4 activities, 6 IMU axes, 10 s at 10 Hz)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from backend.core.principal import Principal
from backend.data import storage
from backend.data.models import Sample
from backend.projects.models import Project
from backend.projects.permissions import Role
from backend.projects.service import ProjectContext

_seq = itertools.count(1)
IMU_AXES = ("accX", "accY", "accZ", "gyrX", "gyrY", "gyrZ")
# Each activity: dominant frequency (Hz) and amplitude of the motion; standing barely moves.
ACTIVITIES = {"standing": (0.2, 0.05), "walking": (1.0, 1.0), "running": (2.5, 2.5), "badminton": (4.0, 1.5)}


def imu_design(dsp: str = "spectral", **input_changes: Any) -> dict[str, Any]:
    """A BasicMotions impulse as the API takes it: 2 s windows every 0.5 s at 10 Hz over the six axes."""
    params = {"fft_length": 16} if dsp == "spectral" else {}
    return {
        "name": "Motion",
        "input_block": {
            "type": "timeseries",
            "window_ms": 2000,
            "stride_ms": 500,
            "frequency_hz": 10,
            "axes": list(IMU_AXES),
            **input_changes,
        },
        "dsp_blocks": [{"type": dsp, "params": params}],
        "learn_blocks": [{"type": "classifier", "params": {"epochs": 5}}],
    }


def owner_ctx(project: Project) -> ProjectContext:
    return ProjectContext(project=project, role=Role.owner, principal=Principal())


def make_sample(
    session: Session,
    project: Project,
    values: np.ndarray,
    *,
    label: str | None,
    category: str = "training",
    interval_ms: float = 100.0,
    sensors: tuple[str, ...] | None = None,
    kind: str = "timeseries",
    enabled: bool = True,
) -> Sample:
    """A stored sample: values blob, content hash and shape fields as ingestion writes them."""
    values = np.ascontiguousarray(values)
    if kind == "image":
        height, width, channels = values.shape
        shape = {"frames": height, "axes": channels, "width": width, "interval_ms": 0.0, "duration_ms": 0.0}
        sensor_rows: list[dict[str, str]] = []
    else:
        values = values.astype(np.float32)
        names = sensors or tuple(f"axis{i}" for i in range(values.shape[1]))
        sensor_rows = [{"name": n, "units": ""} for n in names]
        shape = {
            "frames": values.shape[0],
            "axes": values.shape[1],
            "width": 0,
            "interval_ms": interval_ms,
            "duration_ms": values.shape[0] * interval_ms,
        }
    n = next(_seq)
    sample = Sample(
        project_id=project.id,
        name=f"{label or 'sample'}.{n}",
        filename=f"{label or 'sample'}.{n}.csv",
        label=label,
        category=category,
        kind=kind,
        sensors=sensor_rows,
        content_sha256=storage.content_hash(kind, values, shape["interval_ms"]),
        original_sha256=storage.put_bytes(session, storage.values_to_npy(values)),
        values_sha256=storage.put_bytes(session, storage.values_to_npy(values)),
        meta={},
        enabled=enabled,
        **shape,
    )
    session.add(sample)
    session.flush()
    return sample


def activity_values(activity: str, seed: int, frames: int = 100, interval_ms: float = 100.0) -> np.ndarray:
    """[frames, 6] of one activity: a sine per axis at the activity's frequency plus seeded noise."""
    frequency, amplitude = ACTIVITIES[activity]
    rng = np.random.default_rng(seed)
    t = np.arange(frames) * interval_ms / 1000.0
    phases = rng.uniform(0, 2 * np.pi, size=len(IMU_AXES))
    motion = amplitude * np.sin(2 * np.pi * frequency * t[:, None] + phases[None, :])
    return (motion + rng.normal(0, 0.1, size=(frames, len(IMU_AXES)))).astype(np.float32)


def basic_motions(
    session: Session, project: Project, *, per_class: int = 4, testing_per_class: int = 1
) -> list[Sample]:
    """BasicMotions-like dataset: ``per_class`` training and ``testing_per_class`` testing samples each."""
    rows = []
    for a, activity in enumerate(ACTIVITIES):
        for i in range(per_class + testing_per_class):
            category = "training" if i < per_class else "testing"
            values = activity_values(activity, seed=100 * a + i)
            rows.append(
                make_sample(session, project, values, label=activity, category=category, sensors=IMU_AXES)
            )
    return rows
