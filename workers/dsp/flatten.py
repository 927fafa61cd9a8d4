"""Flatten block: a few summary statistics per axis, for slow-moving sensors (temperature, posture)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workers.dsp.moments import moments
from workers.dsp.parameters import InvalidInput, InvalidParameter, Parameter

VERSION = 1

STATISTICS = ("average", "minimum", "maximum", "rms", "stdev", "skewness", "kurtosis")

PARAMETERS: tuple[Parameter, ...] = (
    Parameter("scale_axes", "float", 1.0, "Multiplies every value before the statistics.", -1e6, 1e6),
    Parameter("average", "bool", True, "Mean of each axis."),
    Parameter("minimum", "bool", True, "Minimum of each axis."),
    Parameter("maximum", "bool", True, "Maximum of each axis."),
    Parameter("rms", "bool", True, "Root mean square of each axis."),
    Parameter("stdev", "bool", True, "Population standard deviation of each axis."),
    Parameter("skewness", "bool", True, "Population skewness m3 / m2^1.5 of each axis."),
    Parameter("kurtosis", "bool", True, "Population excess kurtosis m4 / m2^2 - 3 of each axis."),
)


def _selected(params: dict[str, Any]) -> list[str]:
    chosen = [name for name in STATISTICS if params[name]]
    if not chosen:
        raise InvalidParameter("average", "select at least one statistic")
    return chosen


def feature_shape(frames: int, axes: int, frequency_hz: float, **params: Any) -> tuple[int]:
    """``(axes * selected statistics,)``."""
    return (axes * len(_selected(params)),)


def feature_names(frames: int, axes: int, frequency_hz: float, **params: Any) -> list[str]:
    """``axis{a} {statistic}`` in the feature order (axis-major)."""
    return [f"axis{a} {name}" for a in range(axes) for name in _selected(params)]


def generate_features(window: np.ndarray, frequency_hz: float, **params: Any) -> np.ndarray:
    """Selected statistics per axis, axis-major, computed in float64 and returned as float32."""
    data = np.asarray(window, dtype=np.float32)
    if data.ndim != 2 or data.shape[0] == 0:
        raise InvalidInput(f"flatten takes a [frames, axes] window, got shape {data.shape}")
    chosen = _selected(params)
    x = data.astype(np.float64) * np.float64(np.float32(params["scale_axes"]))
    m = moments(x)
    stats = {
        "average": m.mean,
        "minimum": x.min(axis=0),
        "maximum": x.max(axis=0),
        "rms": np.sqrt(m.mean_square),
        "stdev": np.sqrt(m.m2),
        "skewness": m.skewness(),
        "kurtosis": m.kurtosis(),
    }
    return np.stack([stats[name] for name in chosen], axis=1).reshape(-1).astype(np.float32)
