"""MFE block: log mel-filterbank energies of an audio window, normalized against a noise floor."""

from __future__ import annotations

from typing import Any

import numpy as np

from workers.dsp import audio
from workers.dsp.parameters import Parameter

VERSION = 1

PARAMETERS: tuple[Parameter, ...] = (
    *audio.frame_parameters(),
    Parameter("num_filters", "int", 40, "Number of triangular mel filters.", 2, 128),
    Parameter("low_frequency", "float", 0.0, "Lowest band edge of the mel filters in Hz.", 0.0, 1e6),
    Parameter(
        "high_frequency", "float", 0.0, "Highest band edge in Hz; 0 means half the sampling rate.", 0.0, 1e6
    ),
    Parameter(
        "pre_emphasis", "float", 0.0, "Pre-emphasis coefficient a in y[n] = x[n] - a x[n-1].", 0.0, 1.0
    ),
    Parameter(
        "noise_floor_db",
        "float",
        -52.0,
        "Energies at or below this level (dB) become 0; 0 dB becomes 1.",
        -200.0,
        -1.0,
    ),
)


def feature_shape(frames: int, axes: int, frequency_hz: float, **params: Any) -> tuple[int, int]:
    """``(frame count, num_filters)``."""
    return (audio.mel_setup(frames, frequency_hz, params)[0].count, params["num_filters"])


def log_energies(window: np.ndarray, frequency_hz: float, **params: Any) -> np.ndarray:
    """Mel energies in dB, before the noise-floor normalization: float32 ``[frame count, num_filters]``."""
    return audio.mel_log_energies(window, frequency_hz, params)


def generate_features(window: np.ndarray, frequency_hz: float, **params: Any) -> np.ndarray:
    """Normalized log mel energies, frame by frame: float32 ``[frame count * num_filters]``."""
    db = log_energies(window, frequency_hz, **params)
    return audio.normalize_db(db, params["noise_floor_db"]).reshape(-1)
