"""Resampling a sample to the impulse frequency and cutting it into fixed-length windows.

A sample is ``values: float32 [T, axes]`` recorded every ``interval_ms`` milliseconds. The impulse
declares a frequency, a window size and a window increase (stride) in milliseconds, as Edge Impulse
users know them; this module turns those into frame counts and an array of windows.
"""

from __future__ import annotations

import math

import numpy as np

# Tolerance when turning milliseconds into frame counts: 2000 ms at 62.5 Hz is exactly 125 frames, but
# float arithmetic may land on 124.99999999; a count never loses a frame to rounding noise.
_FRAME_EPS = 1e-6


class WindowingError(ValueError):
    """Base class for every refusal of the windowing functions."""


class InvalidSample(WindowingError):
    """The sample array or its interval cannot be used (wrong shape, empty, non-finite interval)."""


class InvalidWindowSettings(WindowingError):
    """Window size, stride or frequency are not usable (non-positive, or less than one frame)."""


class WindowLongerThanSample(WindowingError):
    """The sample is shorter than one window and zero padding is off."""


def _check_values(values: np.ndarray, interval_ms: float) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InvalidSample(f"sample values must be [T, axes], got an array of shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidSample(f"sample has no data (shape {arr.shape})")
    if not (math.isfinite(interval_ms) and interval_ms > 0):
        raise InvalidSample(f"interval_ms must be a positive number, got {interval_ms}")
    return arr.astype(np.float32, copy=False)


def _check_frequency(frequency_hz: float) -> None:
    if not (math.isfinite(frequency_hz) and frequency_hz > 0):
        raise InvalidWindowSettings(f"frequency_hz must be a positive number, got {frequency_hz}")


def _to_frames(milliseconds: float, frequency_hz: float, name: str, advice: str) -> int:
    _check_frequency(frequency_hz)
    if not (math.isfinite(milliseconds) and milliseconds > 0):
        raise InvalidWindowSettings(f"{name} must be a positive number, got {milliseconds}")
    frames = math.floor(milliseconds * frequency_hz / 1000.0 + _FRAME_EPS)
    if frames < 1:
        raise InvalidWindowSettings(
            f"{name} = {milliseconds} ms at {frequency_hz} Hz is less than one frame; {advice}"
        )
    return frames


def frames_per_window(window_ms: float, frequency_hz: float) -> int:
    """Number of frames in a window: ``floor(window_ms * frequency_hz / 1000)`` (2000 ms at 62.5 Hz is 125)."""
    return _to_frames(window_ms, frequency_hz, "window_ms", "use a longer window")


def stride_frames(stride_ms: float, frequency_hz: float) -> int:
    """Window increase in frames: ``floor(stride_ms * frequency_hz / 1000)``, at least one frame."""
    return _to_frames(stride_ms, frequency_hz, "stride_ms (window increase)", "use a larger increase")


def window_count(length: int, frames: int, stride: int, *, zero_pad: bool) -> int:
    """How many windows ``windows`` cuts from ``length`` frames: ``1 + (length - frames) // stride``.

    A sample shorter than one window yields one zero-padded window when ``zero_pad`` is set and is
    refused otherwise.
    """
    if length < frames:
        if zero_pad:
            return 1
        raise WindowLongerThanSample(
            f"the sample has {length} frames but one window needs {frames}; "
            "shorten the window or enable zero padding"
        )
    return 1 + (length - frames) // stride


def resample(values: np.ndarray, interval_ms: float, frequency_hz: float) -> np.ndarray:
    """Resample ``values [T, axes]`` to ``frequency_hz`` by linear interpolation; returns float32.

    The target grid is ``t_k = k * 1000 / frequency_hz`` ms for ``k = 0 .. K-1`` with
    ``K = floor((T - 1) * interval_ms * frequency_hz / 1000) + 1``: it starts on the first source
    sample and never extrapolates past the last one. Each target value is the straight-line
    interpolation between the two source samples around ``t_k`` (computed in float64). When the
    sample is already at the target frequency (intervals agree within 1e-6 relative) it is returned
    unchanged.
    """
    arr = _check_values(values, interval_ms)
    _check_frequency(frequency_hz)
    target_interval = 1000.0 / frequency_hz
    if abs(target_interval - interval_ms) <= 1e-6 * interval_ms:
        return arr
    length = arr.shape[0]
    count = math.floor((length - 1) * interval_ms / target_interval + _FRAME_EPS) + 1
    source_t = np.arange(length, dtype=np.float64) * interval_ms
    target_t = np.arange(count, dtype=np.float64) * target_interval
    # The epsilon in ``count`` may put the last target a hair past the last source sample.
    target_t = np.minimum(target_t, source_t[-1])
    data = arr.astype(np.float64)
    out = np.empty((count, arr.shape[1]), dtype=np.float32)
    for axis in range(arr.shape[1]):
        out[:, axis] = np.interp(target_t, source_t, data[:, axis])
    return out


def windows(
    values: np.ndarray,
    interval_ms: float,
    *,
    window_ms: float,
    stride_ms: float,
    frequency_hz: float,
    zero_pad: bool = True,
) -> np.ndarray:
    """Cut a sample into windows: float32 ``[N, frames, axes]``.

    The sample is first resampled to ``frequency_hz`` (see ``resample``). Window ``i`` covers frames
    ``[i * stride, i * stride + frames)`` for ``i = 0 .. N-1`` with ``N = 1 + (T - frames) // stride``.
    Frames after the last complete window (the tail, fewer than ``stride`` frames) belong to no window;
    partial windows are never produced, except that a sample shorter than one window gives exactly one
    window padded with zeros at the end when ``zero_pad`` is set (``WindowLongerThanSample`` otherwise).
    """
    data = resample(values, interval_ms, frequency_hz)
    frames = frames_per_window(window_ms, frequency_hz)
    stride = stride_frames(stride_ms, frequency_hz)
    length, axes = data.shape
    count = window_count(length, frames, stride, zero_pad=zero_pad)
    if length < frames:
        padded = np.zeros((1, frames, axes), dtype=np.float32)
        padded[0, :length] = data
        return padded
    starts = np.arange(count) * stride
    index = starts[:, None] + np.arange(frames)[None, :]
    return data[index]
