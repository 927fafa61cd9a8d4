"""Spectrogram block: per-frame power spectrum in dB, normalized against a noise floor."""

from __future__ import annotations

from typing import Any

import numpy as np

from workers.dsp import audio
from workers.dsp.parameters import Parameter

VERSION = 1

PARAMETERS: tuple[Parameter, ...] = (
    *audio.frame_parameters(),
    Parameter(
        "noise_floor_db",
        "float",
        -52.0,
        "Powers at or below this level (dB) become 0; 0 dB becomes 1.",
        -200.0,
        -1.0,
    ),
)


def _geometry(frames: int, frequency_hz: float, params: dict[str, Any]) -> audio.FrameGeometry:
    return audio.frame_geometry(
        frames, frequency_hz, params["frame_length"], params["frame_stride"], params["fft_length"]
    )


def feature_shape(frames: int, axes: int, frequency_hz: float, **params: Any) -> tuple[int, int]:
    """``(frame count, fft_length / 2 + 1)``: one row per frame, one column per rfft bin from DC to Nyquist."""
    return (_geometry(frames, frequency_hz, params).count, params["fft_length"] // 2 + 1)


def generate_features(window: np.ndarray, frequency_hz: float, **params: Any) -> np.ndarray:
    """Normalized dB power spectra, frame by frame: float32 ``[frame count * (fft_length / 2 + 1)]``."""
    signal = audio.single_axis(window)
    power = audio.power_spectra(
        signal, _geometry(signal.shape[0], frequency_hz, params), params["window_type"]
    )
    return audio.normalize_db(audio.to_db(power), params["noise_floor_db"]).reshape(-1)
