"""Spectral-analysis block: optional Butterworth filter, then per axis either RMS, spectral peaks and an FFT
power spectrum, or statistics of the bands of a wavelet decomposition.

Suited to vibration and motion (IMU) windows where the frequency content tells the classes apart.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.signal

from workers.dsp import wavelet
from workers.dsp.parameters import InvalidInput, InvalidParameter, Parameter

VERSION = 1

FFT_LENGTHS = (16, 32, 64, 128, 256, 512, 1024)
# Floor of the power before log10 (log scale therefore never goes below -10).
POWER_FLOOR = 1e-10

PARAMETERS: tuple[Parameter, ...] = (
    Parameter("scale_axes", "float", 1.0, "Multiplies every value before the analysis.", -1e6, 1e6),
    Parameter(
        "analysis_type",
        "select",
        "fft",
        "fft: RMS, peaks and power spectrum; wavelet: statistics of each wavelet band.",
        options=("fft", "wavelet"),
    ),
    Parameter(
        "filter_type", "select", "none", "Butterworth filter applied first.", options=("none", "low", "high")
    ),
    Parameter(
        "filter_cutoff",
        "float",
        3.0,
        "Filter cut-off frequency in Hz (below half the sampling rate).",
        0.001,
        1e6,
    ),
    Parameter("filter_order", "int", 6, "Butterworth filter order.", 1, 10),
    Parameter(
        "fft_length", "select", 64, "FFT length; the spectrum has fft_length / 2 bins.", options=FFT_LENGTHS
    ),
    Parameter(
        "fft_overlap",
        "bool",
        False,
        "Average FFTs over segments overlapping by half instead of adjacent ones.",
    ),
    Parameter(
        "power_scale", "select", "log", "Spectral power as log10 or linear.", options=("log", "linear")
    ),
    Parameter(
        "peaks_count", "int", 3, "Number of strongest spectral peaks reported (frequency and power).", 0, 16
    ),
    Parameter(
        "spectrum_layout",
        "select",
        "bins",
        "bins: one power value per FFT bin; log_bands: power summed over log-spaced bands.",
        options=("bins", "log_bands"),
    ),
    Parameter("band_count", "int", 8, "Number of log-spaced bands (log_bands layout).", 2, 32),
    Parameter(
        "wavelet",
        "select",
        "db4",
        "Wavelet of the decomposition (wavelet analysis).",
        options=wavelet.WAVELETS,
    ),
    Parameter("wavelet_level", "int", 2, "Decomposition levels (wavelet analysis).", 1, 8),
)


@lru_cache(maxsize=32)
def filter_sections(filter_type: str, order: int, cutoff_hz: float, frequency_hz: float) -> np.ndarray:
    """Butterworth second-order sections ``[sections, 6]`` (b0 b1 b2 a0 a1 a2, a0 = 1) as float32."""
    sos = scipy.signal.butter(order, cutoff_hz, btype=filter_type, fs=frequency_hz, output="sos")
    table = sos.astype(np.float32)
    table.setflags(write=False)
    return table


def _check(frequency_hz: float, params: dict[str, Any]) -> None:
    if params["filter_type"] != "none" and params["filter_cutoff"] >= frequency_hz / 2.0:
        raise InvalidParameter(
            "filter_cutoff",
            f"{params['filter_cutoff']} Hz must be below half the sampling rate ({frequency_hz / 2} Hz)",
        )
    if params["peaks_count"] > params["fft_length"] // 2:
        raise InvalidParameter("peaks_count", "cannot exceed the number of spectral bins (fft_length / 2)")
    if params["analysis_type"] == "fft" and params["spectrum_layout"] == "log_bands":
        log_bands(params["fft_length"], params["band_count"])


@lru_cache(maxsize=32)
def log_bands(fft_length: int, band_count: int) -> tuple[np.ndarray, np.ndarray]:
    """First spectrum index and bin count of each log-spaced band.

    With bins numbered ``k = 1 .. N/2``, band ``i`` starts at ``s_0 = 1``,
    ``s_i = max(ceil((N/2)^(i / B)), s_{i-1} + 1)`` and ends before ``s_B = N/2 + 1``: log-spaced edges,
    with at least one bin per band where the low edges crowd together. More bands than bins is refused.
    """
    half = fft_length // 2
    if band_count > half:
        raise InvalidParameter(
            "band_count", f"{band_count} bands exceed the {half} bins of fft_length {fft_length}"
        )
    starts = [1]
    for i in range(1, band_count):
        starts.append(max(math.ceil(half ** (i / band_count) - 1e-9), starts[-1] + 1))
    # Every start stays <= N/2 because band_count <= N/2, so no band is empty.
    starts.append(half + 1)
    bounds = np.array(starts)
    firsts, counts = bounds[:-1] - 1, np.diff(bounds)
    for table in (firsts, counts):
        table.setflags(write=False)
    return firsts, counts


def segment_count(frames: int, fft_length: int, overlap: bool) -> int:
    """Segments averaged: one (zero padded) if the window fits one FFT, else ``1 + (T - N) // hop``."""
    if frames <= fft_length:
        return 1
    hop = fft_length // 2 if overlap else fft_length
    return 1 + (frames - fft_length) // hop


def features_per_axis(params: dict[str, Any]) -> int:
    """FFT: RMS, (frequency, power) per peak, then fft_length / 2 bins or band_count bands.
    Wavelet: 6 statistics per band."""
    if params["analysis_type"] == "wavelet":
        return (params["wavelet_level"] + 1) * len(wavelet.BAND_STATISTICS)
    spectrum = params["band_count"] if params["spectrum_layout"] == "log_bands" else params["fft_length"] // 2
    return 1 + 2 * params["peaks_count"] + spectrum


def feature_shape(frames: int, axes: int, frequency_hz: float, **params: Any) -> tuple[int]:
    """``(axes * features_per_axis,)``."""
    _check(frequency_hz, params)
    return (axes * features_per_axis(params),)


def feature_names(frames: int, axes: int, frequency_hz: float, **params: Any) -> list[str]:
    """Names in feature order, with bin centre frequencies."""
    n = params["fft_length"]
    names: list[str] = []
    if params["analysis_type"] == "wavelet":
        level = params["wavelet_level"]
        bands = [f"detail{i + 1}" for i in range(level)] + [f"approximation{level}"]
        return [
            f"axis{a} {band} {stat}"
            for a in range(axes)
            for band in bands
            for stat in wavelet.BAND_STATISTICS
        ]
    for a in range(axes):
        names.append(f"axis{a} rms")
        for p in range(params["peaks_count"]):
            names += [f"axis{a} peak{p + 1} frequency", f"axis{a} peak{p + 1} power"]
        if params["spectrum_layout"] == "log_bands":
            firsts, counts = log_bands(n, params["band_count"])
            names += [
                f"axis{a} power {(f + 1) * frequency_hz / n:.4g}-{(f + c) * frequency_hz / n:.4g} Hz"
                for f, c in zip(firsts, counts, strict=True)
            ]
        else:
            names += [f"axis{a} power {(b + 1) * frequency_hz / n:.4g} Hz" for b in range(n // 2)]
    return names


def power_spectrum(x: np.ndarray, fft_length: int, overlap: bool) -> np.ndarray:
    """Mean over segments of ``|rfft(segment, N)|^2 / N`` for bins 1 .. N/2 (DC dropped), float32."""
    count = segment_count(x.shape[0], fft_length, overlap)
    if x.shape[0] <= fft_length:
        segments = x[None, :]
    else:
        hop = fft_length // 2 if overlap else fft_length
        segments = np.lib.stride_tricks.sliding_window_view(x, fft_length)[::hop][:count]
    spectrum = np.fft.rfft(segments, n=fft_length, axis=1)[:, 1:]
    power = spectrum.real * spectrum.real + spectrum.imag * spectrum.imag
    return power.sum(axis=0, dtype=np.float32) * np.float32(1.0 / (fft_length * count))


def top_peaks(power: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest local maxima, strongest first (ties: lower bin first); -1 pads."""
    left = np.concatenate(([True], power[1:] > power[:-1]))
    right = np.concatenate((power[:-1] >= power[1:], [True]))
    candidates = np.flatnonzero(left & right)
    order = candidates[np.argsort(-power[candidates], kind="stable")][:count]
    return np.concatenate((order, np.full(count - order.shape[0], -1, dtype=np.int64)))


def generate_features(window: np.ndarray, frequency_hz: float, **params: Any) -> np.ndarray:
    """Per axis: RMS, peaks as (Hz, power) and the power spectrum, or wavelet band statistics;
    axis-major, float32."""
    data = np.asarray(window, dtype=np.float32)
    if data.ndim != 2 or data.shape[0] == 0:
        raise InvalidInput(f"spectral analysis takes a [frames, axes] window, got shape {data.shape}")
    _check(frequency_hz, params)
    n = params["fft_length"]
    log_scale = params["power_scale"] == "log"
    data = data * np.float32(params["scale_axes"])
    if params["filter_type"] != "none":
        sos = filter_sections(
            params["filter_type"], params["filter_order"], float(params["filter_cutoff"]), float(frequency_hz)
        )
        # sosfilt needs writable coefficients; the cached table is read-only.
        data = scipy.signal.sosfilt(sos.copy(), data, axis=0).astype(np.float32)
    if params["analysis_type"] == "wavelet":
        return wavelet.features(data, params["wavelet"], params["wavelet_level"]).reshape(-1)
    out = np.empty((data.shape[1], features_per_axis(params)), dtype=np.float32)
    for a in range(data.shape[1]):
        x = data[:, a]
        wide = x.astype(np.float64)
        out[a, 0] = np.sqrt(np.mean(wide * wide))
        power = power_spectrum(x - np.float32(wide.mean()), n, params["fft_overlap"])
        scaled = np.log10(np.maximum(power, np.float32(POWER_FLOOR))) if log_scale else power
        empty_power = np.float32(np.log10(POWER_FLOOR)) if log_scale else np.float32(0.0)
        for p, b in enumerate(top_peaks(power, params["peaks_count"])):
            out[a, 1 + 2 * p] = (b + 1) * frequency_hz / n if b >= 0 else 0.0
            out[a, 2 + 2 * p] = scaled[b] if b >= 0 else empty_power
        if params["spectrum_layout"] == "log_bands":
            bands = np.add.reduceat(power, log_bands(n, params["band_count"])[0])
            scaled = np.log10(np.maximum(bands, np.float32(POWER_FLOOR))) if log_scale else bands
        out[a, 1 + 2 * params["peaks_count"] :] = scaled
    return out.reshape(-1)
