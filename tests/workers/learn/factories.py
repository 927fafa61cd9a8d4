"""Test-data factories for the learning blocks: BasicMotions as raw windows and as summary features.

Shared by the tests and bench/train, so both measure the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sktime.datasets import load_basic_motions

from workers.learn.train import TrainSettings

# Settings of the reference classifier; tests that retrain with them must get the same model.
REFERENCE_SETTINGS = TrainSettings(epochs=40, batch_size=8, learning_rate=0.005, seed=3)

# One of each layer type, for flat features of 100 frames x 6 axes.
EVERY_LAYER_TYPE: tuple[dict[str, Any], ...] = (
    {"type": "Reshape", "target": [100, 6, 1]},
    {"type": "Conv2D", "filters": 4, "kernel": [3, 2], "strides": [2, 1], "padding": "valid"},
    {"type": "BatchNormalization"},
    {"type": "DepthwiseConv2D", "kernel": 3, "depth_multiplier": 2, "activation": "relu6"},
    {"type": "MaxPool2D", "pool": 2},
    {"type": "AvgPool2D", "pool": [2, 1], "padding": "same"},
    {"type": "Reshape", "target": [12, -1]},
    {"type": "Conv1D", "filters": 6, "kernel": 2, "activation": "tanh"},
    {"type": "MaxPool1D", "pool": 2, "padding": "same"},
    {"type": "AvgPool1D", "pool": 1},
    {"type": "GlobalAveragePooling"},
    {"type": "Dense", "units": 5, "activation": "sigmoid"},
    {"type": "Dropout", "rate": 0.1},
    {"type": "Flatten"},
)


@dataclass(frozen=True)
class MotionData:
    """BasicMotions (4 activities, 6 IMU axes, 100 frames at 10 Hz), raw and as summary features."""

    class_names: list[str]
    raw_train: np.ndarray  # [40, 100 frames * 6 axes], frame-major like a raw-data block's output
    raw_test: np.ndarray
    train: np.ndarray  # [40, 24] per-axis mean/std/min/max, standardized with training statistics
    test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def summary_features(windows: np.ndarray) -> np.ndarray:
    """Per-axis mean, standard deviation, minimum and maximum of windows ``[N, axes, frames]``."""
    return np.concatenate(
        [windows.mean(axis=2), windows.std(axis=2), windows.min(axis=2), windows.max(axis=2)], axis=1
    ).astype(np.float32)


def make_motion_data() -> MotionData:
    """Load both splits and compute the features the tests train on."""
    x_train, labels_train = load_basic_motions(split="train", return_type="numpy3D")
    x_test, labels_test = load_basic_motions(split="test", return_type="numpy3D")
    class_names = sorted(set(labels_train.tolist()))
    f_train, f_test = summary_features(x_train), summary_features(x_test)
    mean, std = f_train.mean(axis=0), f_train.std(axis=0)

    def frames_major(x: np.ndarray) -> np.ndarray:
        return x.transpose(0, 2, 1).reshape(len(x), -1).astype(np.float32)

    return MotionData(
        class_names=class_names,
        raw_train=frames_major(x_train),
        raw_test=frames_major(x_test),
        train=(f_train - mean) / std,
        test=(f_test - mean) / std,
        y_train=np.array([class_names.index(v) for v in labels_train]),
        y_test=np.array([class_names.index(v) for v in labels_test]),
    )
