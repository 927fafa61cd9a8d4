"""Windowing: frame counts, window cutting, zero padding, tail handling, resampling and refusals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.pipeline.windowing import (
    InvalidSample,
    InvalidWindowSettings,
    WindowingError,
    WindowLongerThanSample,
    frames_per_window,
    resample,
    stride_frames,
    windows,
)


def ramp(frames: int, axes: int = 3) -> np.ndarray:
    """Values that equal their frame index on axis 0 (and index + 1000 a on axis a), to locate windows."""
    return (np.arange(frames)[:, None] + 1000.0 * np.arange(axes)[None, :]).astype(np.float32)


def test_two_second_window_at_62_5_hz_has_125_frames() -> None:
    assert frames_per_window(2000, 62.5) == 125


def test_one_second_at_16_khz_has_16000_frames() -> None:
    assert frames_per_window(1000, 16000) == 16000


def test_windows_of_a_4_second_sample_with_500_ms_increase() -> None:
    out = windows(ramp(250), 16, window_ms=2000, stride_ms=500, frequency_hz=62.5)
    assert out.shape == (5, 125, 3)
    assert out.dtype == np.float32
    # Stride of 500 ms is 31 frames at 62.5 Hz (31.25 rounded down).
    np.testing.assert_array_equal(out[:, 0, 0], [0, 31, 62, 93, 124])
    np.testing.assert_array_equal(out[2, :, 1], np.arange(62, 187) + 1000)


def test_tail_shorter_than_the_stride_belongs_to_no_window() -> None:
    out = windows(ramp(140, 1), 10, window_ms=1000, stride_ms=200, frequency_hz=100)
    # Starts 0, 20, 40 (40 + 100 = 140 fits exactly); frames 140.. do not exist.
    assert out[:, 0, 0].tolist() == [0, 20, 40]
    out = windows(ramp(159, 1), 10, window_ms=1000, stride_ms=200, frequency_hz=100)
    assert out[:, 0, 0].tolist() == [0, 20, 40]


def test_short_sample_is_zero_padded_at_the_end_into_one_window() -> None:
    out = windows(ramp(50, 2) + 1, 10, window_ms=1000, stride_ms=100, frequency_hz=100, zero_pad=True)
    assert out.shape == (1, 100, 2)
    np.testing.assert_array_equal(out[0, :50], ramp(50, 2) + 1)
    assert not out[0, 50:].any()


def test_short_sample_without_zero_pad_is_refused_with_both_lengths() -> None:
    with pytest.raises(WindowLongerThanSample, match="50 frames but one window needs 100"):
        windows(ramp(50, 2), 10, window_ms=1000, stride_ms=100, frequency_hz=100, zero_pad=False)


@pytest.mark.parametrize(
    ("window_ms", "stride_ms", "frequency_hz", "message"),
    [
        (0, 100, 100, "window_ms"),
        (1000, 0, 100, "stride_ms"),
        (1000, 100, 0, "frequency_hz"),
        (5, 100, 100, "less than one frame"),
        (1000, 5, 100, "less than one frame"),
        (float("nan"), 100, 100, "window_ms"),
    ],
)
def test_unusable_window_settings_are_refused(
    window_ms: float, stride_ms: float, frequency_hz: float, message: str
) -> None:
    with pytest.raises(InvalidWindowSettings, match=message):
        windows(ramp(500), 10, window_ms=window_ms, stride_ms=stride_ms, frequency_hz=frequency_hz)


@pytest.mark.parametrize("values", [np.zeros((0, 3)), np.zeros((4, 0)), np.zeros((2, 3, 4))])
def test_empty_or_misshapen_samples_are_refused(values: np.ndarray) -> None:
    with pytest.raises(InvalidSample):
        windows(values, 10, window_ms=100, stride_ms=100, frequency_hz=100)


def test_errors_are_value_errors() -> None:
    assert issubclass(WindowingError, ValueError)
    assert issubclass(WindowLongerThanSample, WindowingError)


def test_resampling_at_the_same_rate_returns_the_values() -> None:
    values = ramp(10)
    np.testing.assert_array_equal(resample(values, 16, 62.5), values)


def test_upsampling_a_ramp_interpolates_linearly_and_stops_at_the_last_sample() -> None:
    out = resample(ramp(5, 1), 10, 200)
    np.testing.assert_allclose(out[:, 0], np.arange(9) / 2)


def test_downsampling_keeps_the_samples_on_the_target_grid() -> None:
    out = resample(ramp(100, 2), 10, 25)
    # Every 40 ms on a 10 ms grid: source indices 0, 4, 8, ..., 96.
    np.testing.assert_allclose(out[:, 0], np.arange(0, 100, 4))
    np.testing.assert_allclose(out[:, 1], np.arange(0, 100, 4) + 1000)


def test_windows_resample_a_sample_recorded_at_another_rate() -> None:
    out = windows(ramp(100, 1), 10, window_ms=1000, stride_ms=1000, frequency_hz=50)
    assert out.shape == (1, 50, 1)
    np.testing.assert_allclose(out[0, :, 0], np.arange(0, 100, 2))


@settings(max_examples=80, deadline=None)
@given(
    length=st.integers(1, 400),
    axes=st.integers(1, 4),
    window=st.integers(1, 120),
    stride=st.integers(1, 60),
    zero_pad=st.booleans(),
)
def test_window_count_and_contents_follow_the_formula(
    length: int, axes: int, window: int, stride: int, zero_pad: bool
) -> None:
    # At 100 Hz, one frame is 10 ms, so frame counts are exact.
    values = ramp(length, axes)
    if length < window and not zero_pad:
        with pytest.raises(WindowLongerThanSample):
            windows(
                values, 10, window_ms=10 * window, stride_ms=10 * stride, frequency_hz=100, zero_pad=False
            )
        return
    out = windows(
        values, 10, window_ms=10 * window, stride_ms=10 * stride, frequency_hz=100, zero_pad=zero_pad
    )
    expected_count = 1 if length < window else 1 + (length - window) // stride
    assert out.shape == (expected_count, window, axes)
    if length >= window:
        np.testing.assert_array_equal(out[:, 0, 0], np.arange(expected_count) * stride)
        last_end = (expected_count - 1) * stride + window
        assert last_end <= length < last_end + stride


@settings(max_examples=60, deadline=None)
@given(
    window_ms=st.floats(1, 10_000),
    frequency_hz=st.sampled_from([1.0, 10.0, 25.0, 62.5, 100.0, 8000.0, 16000.0]),
)
def test_frames_per_window_is_floor_of_duration_times_rate(window_ms: float, frequency_hz: float) -> None:
    exact = window_ms * frequency_hz / 1000
    if exact < 1:
        with pytest.raises(InvalidWindowSettings):
            frames_per_window(window_ms, frequency_hz)
    else:
        assert frames_per_window(window_ms, frequency_hz) in (int(exact), int(exact) + 1)
        assert abs(frames_per_window(window_ms, frequency_hz) - exact) < 1 + 1e-6
        assert stride_frames(window_ms, frequency_hz) == frames_per_window(window_ms, frequency_hz)


@settings(max_examples=60, deadline=None)
@given(
    length=st.integers(2, 300),
    source_hz=st.sampled_from([10.0, 50.0, 62.5, 100.0]),
    target_hz=st.floats(5, 200),
)
def test_resampled_length_covers_the_sample_without_extrapolating(
    length: int, source_hz: float, target_hz: float
) -> None:
    out = resample(ramp(length, 1), 1000 / source_hz, target_hz)
    duration_s = (length - 1) / source_hz
    assert (out.shape[0] - 1) / target_hz <= duration_s + 1e-6
    assert out.shape[0] / target_hz > duration_s - 1e-6
    assert out[0, 0] == 0
    assert out[:, 0].max() <= length - 1
