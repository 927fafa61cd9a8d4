"""Image block: resize (squash, crop or pad), optional grayscale, values scaled to 0..1."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from workers.dsp.parameters import InvalidInput, Parameter

VERSION = 1

PARAMETERS: tuple[Parameter, ...] = (
    Parameter("width", "int", 96, "Output width in pixels.", 1, 1024),
    Parameter("height", "int", 96, "Output height in pixels.", 1, 1024),
    Parameter(
        "resize_mode",
        "select",
        "squash",
        "squash: stretch to the size; fit-short: scale the short side to fit and crop the centre; "
        "fit-long: scale the long side to fit and pad with black.",
        options=("squash", "fit-short", "fit-long"),
    ),
    Parameter(
        "color_depth",
        "select",
        "rgb",
        "Keep RGB or convert to one gray channel.",
        options=("rgb", "grayscale"),
    ),
)

# ITU-R BT.601 luma weights.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def feature_shape(frames: int, axes: int, frequency_hz: float, **params: Any) -> tuple[int, int, int]:
    """``(height, width, channels)``; the input size does not matter (``frames``/``axes`` are ignored)."""
    return (params["height"], params["width"], 3 if params["color_depth"] == "rgb" else 1)


Taps = tuple[np.ndarray, np.ndarray, np.ndarray]


@lru_cache(maxsize=64)
def sample_taps(source: int, start: float, span: float, target: int) -> Taps:
    """Bilinear taps along one dimension: lower index, upper index, weight of the upper one (float32).

    Output pixel ``i`` samples the source at ``s = start + (i + 0.5) * span / target - 0.5``
    (pixel centres), clamped to ``[0, source - 1]``.
    """
    position = start + (np.arange(target, dtype=np.float64) + 0.5) * span / target - 0.5
    position = np.clip(position, 0.0, source - 1)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, source - 1)
    taps = (lower, upper, (position - lower).astype(np.float32))
    for table in taps:
        table.setflags(write=False)
    return taps


@dataclass(frozen=True)
class ResizePlan:
    """Where the resized picture lands in the output (``top``, ``left``, inner size) and its taps."""

    top: int
    left: int
    inner_height: int
    inner_width: int
    rows: Taps
    cols: Taps


def resize_plan(source_h: int, source_w: int, width: int, height: int, mode: str) -> ResizePlan:
    """Bilinear taps for ``mode``: squash, fit-short (centre crop) or fit-long (letterbox on black)."""
    if mode == "squash":
        return ResizePlan(
            0,
            0,
            height,
            width,
            sample_taps(source_h, 0.0, source_h, height),
            sample_taps(source_w, 0.0, source_w, width),
        )
    if mode == "fit-short":
        # Sample the centred source region with the target's aspect ratio.
        scale = max(width / source_w, height / source_h)
        span_w, span_h = width / scale, height / scale
        return ResizePlan(
            0,
            0,
            height,
            width,
            sample_taps(source_h, (source_h - span_h) / 2, span_h, height),
            sample_taps(source_w, (source_w - span_w) / 2, span_w, width),
        )
    scale = min(width / source_w, height / source_h)
    inner_w = min(width, max(1, math.floor(source_w * scale + 0.5)))
    inner_h = min(height, max(1, math.floor(source_h * scale + 0.5)))
    return ResizePlan(
        (height - inner_h) // 2,
        (width - inner_w) // 2,
        inner_h,
        inner_w,
        sample_taps(source_h, 0.0, source_h, inner_h),
        sample_taps(source_w, 0.0, source_w, inner_w),
    )


def resize(image: np.ndarray, width: int, height: int, mode: str) -> np.ndarray:
    """Resize float32 ``[H, W, C]`` to ``[height, width, C]`` by bilinear sampling under ``mode``."""
    plan = resize_plan(image.shape[0], image.shape[1], width, height, mode)
    rows0, rows1, wy = plan.rows
    cols0, cols1, wx = plan.cols
    wx = wx[None, :, None]
    upper = image[rows0][:, cols0] * (1 - wx) + image[rows0][:, cols1] * wx
    lower = image[rows1][:, cols0] * (1 - wx) + image[rows1][:, cols1] * wx
    wy = wy[:, None, None]
    inner = upper * (1 - wy) + lower * wy
    if (plan.inner_height, plan.inner_width) == (height, width):
        return inner
    canvas = np.zeros((height, width, image.shape[2]), dtype=np.float32)
    canvas[plan.top : plan.top + plan.inner_height, plan.left : plan.left + plan.inner_width] = inner
    return canvas


def generate_features(window: np.ndarray, frequency_hz: float = 0.0, **params: Any) -> np.ndarray:
    """Pixels of the resized image, row by row, channels last, in 0..1: float32 ``[height * width * channels]``.

    ``window`` is a uint8 ``[H, W, C]`` image with C = 1 (gray) or 3 (RGB); ``frequency_hz`` is ignored.
    """
    image = np.asarray(window)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3) or image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidInput(f"image blocks take [height, width, 1 or 3] pixels, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise InvalidInput(f"image pixels must be uint8, got {image.dtype}")
    pixels = image.astype(np.float32) * np.float32(1.0 / 255.0)
    if params["color_depth"] == "grayscale" and pixels.shape[2] == 3:
        # Written out term by term (not a matrix product) so C can repeat the exact float32 operations.
        pixels = (pixels[:, :, 0] * _LUMA[0] + pixels[:, :, 1] * _LUMA[1] + pixels[:, :, 2] * _LUMA[2])[
            :, :, None
        ]
    elif params["color_depth"] == "rgb" and pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    resized = resize(pixels, params["width"], params["height"], params["resize_mode"])
    return resized.astype(np.float32).reshape(-1)
