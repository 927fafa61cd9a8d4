"""MFCC block: mel-frequency cepstral coefficients of an audio window, for speech and keywords."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from workers.dsp import audio
from workers.dsp.parameters import InvalidParameter, Parameter

VERSION = 1

PARAMETERS: tuple[Parameter, ...] = (
    *audio.frame_parameters(),
    Parameter("num_filters", "int", 32, "Number of triangular mel filters.", 2, 128),
    Parameter(
        "num_cepstral", "int", 13, "Number of cepstral coefficients kept (at most num_filters).", 1, 64
    ),
    Parameter("low_frequency", "float", 0.0, "Lowest band edge of the mel filters in Hz.", 0.0, 1e6),
    Parameter(
        "high_frequency", "float", 0.0, "Highest band edge in Hz; 0 means half the sampling rate.", 0.0, 1e6
    ),
    Parameter(
        "pre_emphasis", "float", 0.98, "Pre-emphasis coefficient a in y[n] = x[n] - a x[n-1].", 0.0, 1.0
    ),
    Parameter("lifter", "int", 0, "Cepstral lifter L (0 = none): c_i *= 1 + L/2 sin(pi (i+1) / L).", 0, 200),
    Parameter(
        "normalization",
        "select",
        "none",
        "Per-window cepstral normalization over frames: subtract the mean, or the mean and divide by stdev.",
        options=("none", "mean", "mean_std"),
    ),
)


@lru_cache(maxsize=32)
def dct_matrix(num_cepstral: int, num_filters: int) -> np.ndarray:
    """Orthonormal DCT-II rows: ``D[i, j] = s_i cos(pi i (2j + 1) / (2F))``, ``s_0 = sqrt(1/F)``, else ``sqrt(2/F)``."""
    i = np.arange(num_cepstral, dtype=np.float64)[:, None]
    j = np.arange(num_filters, dtype=np.float64)[None, :]
    table = np.cos(np.pi * i * (2.0 * j + 1.0) / (2.0 * num_filters)) * np.sqrt(2.0 / num_filters)
    table[0] *= np.sqrt(0.5)
    table = table.astype(np.float32)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=32)
def lifter_table(num_cepstral: int, lifter: int) -> np.ndarray:
    """``1 + (L / 2) sin(pi (i + 1) / L)`` for ``i = 0 .. C-1`` (all ones when L is 0), float32."""
    if lifter == 0:
        table = np.ones(num_cepstral, dtype=np.float32)
    else:
        i = np.arange(1, num_cepstral + 1, dtype=np.float64)
        table = (1.0 + lifter / 2.0 * np.sin(np.pi * i / lifter)).astype(np.float32)
    table.setflags(write=False)
    return table


def _check(params: dict[str, Any]) -> None:
    if params["num_cepstral"] > params["num_filters"]:
        raise InvalidParameter("num_cepstral", "must not exceed num_filters")


def feature_shape(frames: int, axes: int, frequency_hz: float, **params: Any) -> tuple[int, int]:
    """``(frame count, num_cepstral)``: time along rows, coefficients along columns."""
    _check(params)
    return (audio.mel_setup(frames, frequency_hz, params)[0].count, params["num_cepstral"])


def cepstra(window: np.ndarray, frequency_hz: float, **params: Any) -> np.ndarray:
    """MFCC matrix float32 ``[frame count, num_cepstral]`` of a one-axis window."""
    _check(params)
    log_energies = audio.mel_log_energies(window, frequency_hz, params)
    # Each frame's dot products summed the same way (in float64, rounded once): a BLAS matrix product may
    # round equal frames differently (its kernel for the last rows of a block is not the one for the
    # others), and then silence would not normalize to exact zeros below, as it does in C.
    table = dct_matrix(params["num_cepstral"], params["num_filters"]).astype(np.float64)
    products = log_energies.astype(np.float64)[:, None, :] * table[None, :, :]
    coefficients = products.sum(axis=-1).astype(np.float32)
    if params["lifter"]:
        coefficients *= lifter_table(params["num_cepstral"], params["lifter"])
    if params["normalization"] != "none":
        # Sums in float64 make the mean of a constant column exact (so silence normalizes to exact
        # zeros) and leave summation order without effect, which C mirrors with double accumulators.
        coefficients -= coefficients.mean(axis=0, dtype=np.float64).astype(np.float32)
        if params["normalization"] == "mean_std":
            wide = coefficients.astype(np.float64)
            spread = np.sqrt(np.mean(wide * wide, axis=0)).astype(np.float32)
            coefficients /= np.maximum(spread, np.float32(1e-10))
    return coefficients


def generate_features(window: np.ndarray, frequency_hz: float, **params: Any) -> np.ndarray:
    """Flattened MFCC matrix, frame by frame: float32 ``[frame count * num_cepstral]``."""
    return cepstra(window, frequency_hz, **params).reshape(-1)
