"""Raw block: the window itself, multiplied by a scale, for models that learn their own features."""

from __future__ import annotations

from typing import Any

import numpy as np

from workers.dsp.parameters import Parameter

VERSION = 1

PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "scale_axes",
        "float",
        1.0,
        "Multiplies every value (e.g. to bring raw sensor counts near 1).",
        -1e6,
        1e6,
    ),
)


def feature_shape(frames: int, axes: int, frequency_hz: float, **params: Any) -> tuple[int, int]:
    """``(frames, axes)``: time along rows, so conv1d models see the axes as channels."""
    return (frames, axes)


def feature_names(frames: int, axes: int, frequency_hz: float, **params: Any) -> list[str]:
    """``axis{a} t{i}`` in the feature order (frame-major)."""
    return [f"axis{a} t{i}" for i in range(frames) for a in range(axes)]


def generate_features(window: np.ndarray, frequency_hz: float, **params: Any) -> np.ndarray:
    """``window * scale_axes`` flattened frame by frame: float32 ``[frames * axes]``."""
    data = np.asarray(window, dtype=np.float32)
    return (data * np.float32(params["scale_axes"])).reshape(-1)
