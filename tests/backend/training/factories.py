"""Factories for training tests: a BasicMotions-like dataset stored through the data domain, and impulses.

Four activities recorded by a watch's 6 IMU axes at 10 Hz for 10 s, as in sktime's BasicMotions:
"standing" is still with sensor noise, "walking" a 1 Hz sway, "running" a stronger 2.5 Hz swing and
"badminton" 0.5 Hz arm strokes on the gyroscope; each recording has its own phase and noise.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from backend.data import service as data
from backend.data.models import Sample
from backend.impulses import service as impulses
from backend.impulses.models import Impulse
from backend.impulses.schemas import DspBlockIn, ImpulseCreate, InputBlock, LearnBlockIn
from backend.projects.service import ProjectContext

AXES = ("accX", "accY", "accZ", "gyrX", "gyrY", "gyrZ")
ACTIVITIES = ("badminton", "running", "standing", "walking")
INTERVAL_MS = 100.0
# (frequency Hz, accelerometer amplitude, gyroscope amplitude) per activity.
MOTION = {
    "standing": (0.2, 0.02, 0.02),
    "walking": (1.0, 0.6, 0.3),
    "running": (2.5, 1.5, 0.8),
    "badminton": (0.5, 0.3, 2.0),
}


def motion_values(activity: str, seed: int, frames: int = 100) -> np.ndarray:
    """One recording ``[frames, 6]`` float32 of ``activity``."""
    rng = np.random.default_rng(seed)
    freq, acc, gyr = MOTION[activity]
    t = np.arange(frames) * INTERVAL_MS / 1000.0
    phase = rng.uniform(0, 2 * np.pi)
    columns = []
    for axis in range(len(AXES)):
        amplitude = acc if axis < 3 else gyr
        wave = amplitude * np.sin(2 * np.pi * freq * t + phase + axis)
        columns.append(wave + (9.8 if axis == 2 else 0.0) + rng.normal(0, 0.05, frames))
    return np.stack(columns, axis=1).astype(np.float32)


def write_csv(path: Path, values: np.ndarray, interval_ms: float = INTERVAL_MS) -> Path:
    lines = ["timestamp," + ",".join(AXES)]
    for i, row in enumerate(values):
        lines.append(f"{i * interval_ms:g}," + ",".join(f"{v:.5f}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def add_recording(
    session: Session, ctx: ProjectContext, directory: Path, activity: str, seed: int, category: str
) -> Sample:
    path = write_csv(directory / f"{activity}.{seed}.csv", motion_values(activity, seed))
    (sample,) = data.ingest_file(session, ctx, path, path.name, label=activity, category=category)
    return sample


def add_motion_dataset(
    session: Session,
    ctx: ProjectContext,
    directory: Path,
    *,
    train_per_class: int = 6,
    test_per_class: int = 2,
    activities: tuple[str, ...] = ACTIVITIES,
) -> list[Sample]:
    """Training and testing recordings of each activity; seeds differ so no two are alike."""
    directory.mkdir(parents=True, exist_ok=True)
    samples = []
    for k, activity in enumerate(activities):
        for i in range(train_per_class):
            samples.append(add_recording(session, ctx, directory, activity, 1000 * k + i, "training"))
        for i in range(test_per_class):
            samples.append(add_recording(session, ctx, directory, activity, 1000 * k + 500 + i, "testing"))
    session.flush()
    return samples


def save_impulse(
    session: Session,
    ctx: ProjectContext,
    *,
    dsp: str = "flatten",
    dsp_params: dict[str, Any] | None = None,
    window_ms: float = 2000,
    stride_ms: float = 1000,
    learn_type: str = "classifier",
    learn_params: dict[str, Any] | None = None,
) -> Impulse:
    design = ImpulseCreate(
        name="Motion",
        input_block=InputBlock(
            type="timeseries", window_ms=window_ms, stride_ms=stride_ms, frequency_hz=10, axes=list(AXES)
        ),
        dsp_blocks=[DspBlockIn(id="dsp1", type=dsp, params=dsp_params or {})],
        learn_blocks=[LearnBlockIn(id="learn1", type=learn_type, params=learn_params or {}, inputs=["dsp1"])],
    )
    impulse = impulses.save(session, ctx, design)
    session.flush()
    return impulse


@functools.cache
def classifier_files(inputs: int, classes: int) -> tuple[bytes, bytes, bytes]:
    """(float32 .tflite, int8 .tflite, .keras) of an untrained dense classifier with this many inputs
    and classes, calibrated on uniform noise; cached because export takes a second."""
    from workers.learn.architecture import ModelOutput, build_model
    from workers.learn.export import export_tflite

    model = build_model([{"type": "Dense", "units": 8}], (inputs,), ModelOutput("classification", classes))
    calibration = np.random.default_rng(0).uniform(-1, 1, (32, inputs)).astype(np.float32)
    exported = export_tflite(model, calibration)
    return exported.float32, exported.int8, exported.keras
