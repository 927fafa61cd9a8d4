"""Shared math of the audio blocks (mfcc, mfe, spectrogram): framing, windows, power spectra, mel filters.

Tables (windows, filterbanks, DCT matrices) are computed in float64, stored as float32 and cached per
parameter set; ``firmware/dsp_codegen.py`` emits the very same float32 tables for the C runtime.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from workers.dsp.parameters import InvalidInput, InvalidParameter, Parameter

WINDOW_TYPES = ("hamming", "hann", "none")
FFT_LENGTHS = (64, 128, 256, 512, 1024, 2048)
# Floor of the power values before taking a logarithm (-100 dB), as in librosa's power_to_db amin.
POWER_FLOOR = 1e-10


def frame_parameters(default_length: float = 0.02, default_stride: float = 0.01) -> tuple[Parameter, ...]:
    """Parameters shared by every framed audio block."""
    return (
        Parameter("frame_length", "float", default_length, "Length of each frame in seconds.", 0.001, 1.0),
        Parameter(
            "frame_stride", "float", default_stride, "Step between frame starts in seconds.", 0.001, 1.0
        ),
        Parameter(
            "fft_length",
            "select",
            512,
            "FFT length; frames shorter than it are zero padded at the end.",
            options=FFT_LENGTHS,
        ),
        Parameter("window_type", "select", "hamming", "Window applied to each frame.", options=WINDOW_TYPES),
    )


def round_half_up(value: float) -> int:
    """``floor(value + 0.5)``: the one rounding rule for seconds-to-samples conversions (C: ``floorf``)."""
    return math.floor(value + 0.5)


@dataclass(frozen=True)
class FrameGeometry:
    """Where the frames of one window lie: ``count`` frames of ``length`` samples every ``stride``."""

    length: int
    stride: int
    count: int
    fft_length: int


def frame_geometry(
    samples: int, frequency_hz: float, frame_length: float, frame_stride: float, fft_length: int
) -> FrameGeometry:
    """Frame length/stride in samples (rounded half up) and the number of whole frames in ``samples``."""
    length = round_half_up(frame_length * frequency_hz)
    stride = round_half_up(frame_stride * frequency_hz)
    if length < 1:
        raise InvalidParameter(
            "frame_length", f"{frame_length} s is less than one sample at {frequency_hz} Hz"
        )
    if stride < 1:
        raise InvalidParameter(
            "frame_stride", f"{frame_stride} s is less than one sample at {frequency_hz} Hz"
        )
    if length > fft_length:
        raise InvalidParameter(
            "fft_length",
            f"{fft_length} is shorter than a frame ({length} samples); raise it or shorten frames",
        )
    if samples < length:
        raise InvalidInput(f"the window has {samples} samples, fewer than one frame of {length}")
    return FrameGeometry(length, stride, 1 + (samples - length) // stride, fft_length)


def single_axis(window: np.ndarray) -> np.ndarray:
    """The one audio channel of a ``[frames, 1]`` window as float32 ``[frames]``."""
    arr = np.asarray(window, dtype=np.float32)
    if arr.ndim == 1:
        return arr
    if arr.ndim != 2 or arr.shape[1] != 1:
        raise InvalidInput(f"audio blocks take one axis, got a window of shape {arr.shape}")
    return arr[:, 0]


def pre_emphasize(signal: np.ndarray, coefficient: float) -> np.ndarray:
    """``y[0] = x[0]``, ``y[n] = x[n] - a * x[n-1]`` in float32."""
    if coefficient == 0.0:
        return signal
    out = signal.copy()
    out[1:] -= np.float32(coefficient) * signal[:-1]
    return out


@lru_cache(maxsize=64)
def window_table(kind: str, length: int) -> np.ndarray:
    """Periodic window of ``length`` (``w[n] = a - (1 - a) cos(2 pi n / length)``), float32."""
    n = np.arange(length, dtype=np.float64)
    if kind == "hamming":
        table = 0.54 - 0.46 * np.cos(2.0 * np.pi * n / length)
    elif kind == "hann":
        table = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / length)
    else:
        table = np.ones(length)
    table = table.astype(np.float32)
    table.setflags(write=False)
    return table


def power_spectra(signal: np.ndarray, geometry: FrameGeometry, window: str) -> np.ndarray:
    """``|rfft(frame * w, N)|^2 / N`` per frame: float32 ``[count, N / 2 + 1]`` with ``N = fft_length``.

    Dividing by N keeps levels comparable across FFT lengths; librosa's power spectrogram is N times ours.
    """
    frames = np.lib.stride_tricks.sliding_window_view(signal, geometry.length)[:: geometry.stride]
    frames = frames[: geometry.count]
    if window != "none":
        frames = frames * window_table(window, geometry.length)
    spectrum = np.fft.rfft(frames, n=geometry.fft_length, axis=1)
    power = spectrum.real * spectrum.real + spectrum.imag * spectrum.imag
    power *= np.float32(1.0 / geometry.fft_length)
    return power


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: ``2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Inverse of ``hz_to_mel``."""
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


MIN_BAND_HZ = 1.0


def check_band(low_frequency: float, high_frequency: float, frequency_hz: float) -> tuple[float, float]:
    """Resolve ``high_frequency == 0`` to Nyquist and refuse bands outside ``0 .. fs/2``."""
    nyquist = frequency_hz / 2.0
    high = nyquist if high_frequency == 0 else high_frequency
    if high > nyquist:
        raise InvalidParameter("high_frequency", f"{high} Hz is above the Nyquist frequency {nyquist} Hz")
    if low_frequency >= high:
        raise InvalidParameter(
            "low_frequency", f"{low_frequency} Hz must be below the high frequency {high} Hz"
        )
    if high - low_frequency < MIN_BAND_HZ:
        # Narrower, the mel filters' edges collapse onto each other and their slopes divide by zero.
        raise InvalidParameter(
            "high_frequency", f"the band {low_frequency}-{high} Hz is narrower than {MIN_BAND_HZ:g} Hz"
        )
    return float(low_frequency), float(high)


@lru_cache(maxsize=32)
def mel_filterbank(
    num_filters: int, fft_length: int, frequency_hz: float, low_frequency: float, high_frequency: float
) -> np.ndarray:
    """Triangular HTK-mel filters with unit peak over the rfft bins: float32 ``[num_filters, N/2+1]``.

    Edges ``p_0 .. p_{F+1}`` are equally spaced in mel between the low and high frequency; filter ``j``
    weighs bin ``k`` (at ``f_k = k fs / N`` Hz) by
    ``max(0, min((f_k - p_j) / (p_{j+1} - p_j), (p_{j+2} - f_k) / (p_{j+2} - p_{j+1})))``.
    """
    edges = mel_to_hz(np.linspace(hz_to_mel(low_frequency), hz_to_mel(high_frequency), num_filters + 2))
    bins = np.arange(fft_length // 2 + 1, dtype=np.float64) * frequency_hz / fft_length
    widths = np.diff(edges)
    rising = (bins[None, :] - edges[:-2, None]) / widths[:-1, None]
    falling = (edges[2:, None] - bins[None, :]) / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)
    empty = np.flatnonzero(weights.max(axis=1) == 0.0)
    if empty.size:
        raise InvalidParameter(
            "num_filters",
            f"filter {int(empty[0])} covers no FFT bin; use fewer filters, a longer FFT or a wider band",
        )
    weights.setflags(write=False)
    return weights


@dataclass(frozen=True)
class SparseFilterbank:
    """Each filter as a run of consecutive bins: ``first[j]``, ``count[j]`` and the run's weights, all
    filters' runs concatenated in ``weights`` (``bins`` holds the matching bin indices)."""

    first: np.ndarray
    count: np.ndarray
    weights: np.ndarray
    bins: np.ndarray
    starts: np.ndarray


@lru_cache(maxsize=32)
def sparse_mel_filterbank(
    num_filters: int, fft_length: int, frequency_hz: float, low_frequency: float, high_frequency: float
) -> SparseFilterbank:
    """``mel_filterbank`` without its zeros: each triangle is one run of consecutive bins."""
    bank = mel_filterbank(num_filters, fft_length, frequency_hz, low_frequency, high_frequency)
    first, count, runs = [], [], []
    for row in bank:
        nonzero = np.flatnonzero(row)
        first.append(int(nonzero[0]))
        count.append(int(nonzero[-1] - nonzero[0] + 1))
        runs.append(row[nonzero[0] : nonzero[-1] + 1])
    first_arr, count_arr = np.array(first), np.array(count)
    bins = np.concatenate([np.arange(f, f + c) for f, c in zip(first, count, strict=True)])
    starts = np.concatenate(([0], np.cumsum(count_arr)[:-1]))
    return SparseFilterbank(first_arr, count_arr, np.concatenate(runs).astype(np.float32), bins, starts)


def filterbank_energies(power: np.ndarray, filterbank: SparseFilterbank) -> np.ndarray:
    """Mel energies ``E[m, j] = sum_k P[m, k] W[j, k]`` (float32) over each filter's non-zero run.

    Only the non-zero weights are touched, and without BLAS: a threaded matrix product on a busy machine
    was up to 100x slower. (numpy may pair the terms of a sum differently from C's sequential loop; the
    two differ by float32 rounding only.)
    """
    return np.add.reduceat(power[:, filterbank.bins] * filterbank.weights, filterbank.starts, axis=1)


def to_db(values: np.ndarray) -> np.ndarray:
    """``10 log10(max(v, 1e-10))`` in float32."""
    return np.float32(10.0) * np.log10(np.maximum(values, np.float32(POWER_FLOOR)))


def normalize_db(db: np.ndarray, noise_floor_db: float) -> np.ndarray:
    """``(max(dB, floor) - floor) / -floor``: 0 at or below the noise floor, 1 at 0 dB, unbounded above."""
    floor = np.float32(noise_floor_db)
    return (np.maximum(db, floor) - floor) / -floor


def mel_setup(samples: int, frequency_hz: float, params: dict) -> tuple[FrameGeometry, SparseFilterbank]:
    """Frame geometry and mel filterbank of a mel block (mfcc, mfe), refusing inconsistent parameters."""
    low, high = check_band(params["low_frequency"], params["high_frequency"], frequency_hz)
    geometry = frame_geometry(
        samples, frequency_hz, params["frame_length"], params["frame_stride"], params["fft_length"]
    )
    bank = sparse_mel_filterbank(params["num_filters"], params["fft_length"], float(frequency_hz), low, high)
    return geometry, bank


def mel_log_energies(window: np.ndarray, frequency_hz: float, params: dict) -> np.ndarray:
    """Log mel energies in dB of a one-axis window: float32 ``[frame count, num_filters]``.

    Pre-emphasis, framing, window, power spectrum, mel filters, dB: the common part of mfe and mfcc.
    """
    signal = single_axis(window)
    geometry, bank = mel_setup(signal.shape[0], frequency_hz, params)
    signal = pre_emphasize(signal, params["pre_emphasis"])
    power = power_spectra(signal, geometry, params["window_type"])
    return to_db(filterbank_energies(power, bank))
