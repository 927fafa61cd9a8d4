"""Wavelet analysis for the spectral block: Daubechies filters, a periodized DWT and per-band statistics.

Filters are built here from their definition (minimum-phase spectral factorization), not copied from
tables; tests check orthonormality and vanishing moments.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from workers.dsp.moments import moments

WAVELETS = ("haar", "db2", "db3", "db4", "db5", "db6", "db7", "db8")
BAND_STATISTICS = ("rms", "stdev", "skewness", "kurtosis", "zero_crossing_rate", "entropy")

# A band holding less than this share of the signal's energy holds only float32 rounding (the details
# of a constant signal): its shape statistics would describe that noise, so they are reported as 0.
_NEGLIGIBLE_ENERGY_SHARE = 1e-12


@lru_cache(maxsize=16)
def daubechies(name: str) -> np.ndarray:
    """Scaling (low-pass) filter ``h`` of ``name`` with ``2N`` taps, ``sum h = sqrt(2)``, as float32.

    ``H(z) = sqrt(2) ((1 + z^-1) / 2)^N Q(z)`` where ``|Q|^2 = P(sin^2(w/2))``,
    ``P(y) = sum_{k<N} C(N-1+k, k) y^k``; ``Q`` takes the roots of ``P`` (as a polynomial in ``z``)
    inside the unit circle, which gives the usual minimum-phase Daubechies filters.
    """
    order = 1 if name == "haar" else int(name.removeprefix("db"))
    q = np.array([1.0])
    if order > 1:
        # y = (2 - z - 1/z) / 4; P(y) z^(N-1) is a polynomial in z of degree 2N - 2.
        y_times_z = np.array([-0.25, 0.5, -0.25])  # z * y, coefficients highest power first
        poly = np.zeros(2 * order - 1)
        for k in range(order):
            term = math.comb(order - 1 + k, k) * np.array([1.0])
            for _ in range(k):
                term = np.convolve(term, y_times_z)
            # z^(N-1) P(y) = sum_k c_k (z y)^k z^(N-1-k): shift each term to its degree.
            padded = np.concatenate((term, np.zeros(order - 1 - k)))
            poly[-padded.size :] += padded
        roots = np.roots(poly)
        inside = roots[np.abs(roots) < 1.0]
        q = np.real(np.poly(inside))
    h = q
    for _ in range(order):
        h = np.convolve(h, [1.0, 1.0])
    h = h * (math.sqrt(2.0) / h.sum())
    table = h.astype(np.float32)
    table.setflags(write=False)
    return table


def high_pass(h: np.ndarray) -> np.ndarray:
    """Wavelet (high-pass) filter ``g[n] = (-1)^n h[L-1-n]`` (float32)."""
    signs = np.where(np.arange(h.size) % 2 == 0, 1.0, -1.0).astype(np.float32)
    return (signs * h[::-1]).astype(np.float32)


def padded_length(frames: int, level: int) -> int:
    """The signal is zero padded at its end to a multiple of ``2^level``."""
    block = 1 << level
    return -(-frames // block) * block


def dwt(signal: np.ndarray, h: np.ndarray, level: int) -> list[np.ndarray]:
    """Periodized DWT along axis 0 (``[T]`` or ``[T, axes]``), float32: bands ``[d1, ..., d_level, a_level]``.

    Each level maps ``x`` of even length ``L`` to ``a[k] = sum_n h[n] x[(2k + n) mod L]`` and
    ``d[k] = sum_n g[n] x[(2k + n) mod L]``, summed in increasing ``n``, then continues on ``a``.
    """
    g = high_pass(h)
    x = np.zeros((padded_length(signal.shape[0], level), *signal.shape[1:]), dtype=np.float32)
    x[: signal.shape[0]] = signal
    bands = []
    for _ in range(level):
        length = x.shape[0]
        starts = 2 * np.arange(length // 2)
        approx = np.zeros((length // 2, *x.shape[1:]), dtype=np.float32)
        detail = np.zeros_like(approx)
        for n in range(h.size):
            taken = x[(starts + n) % length]
            approx += h[n] * taken
            detail += g[n] * taken
        bands.append(detail)
        x = approx
    bands.append(x)
    return bands


def band_statistics(band: np.ndarray, signal_energy: np.ndarray | float) -> np.ndarray:
    """``BAND_STATISTICS`` of a band along axis 0 (``[len]`` or ``[len, axes]``), computed in float64:
    ``[6]`` or ``[6, axes]``.

    ``zero_crossing_rate``: pairs of neighbours with ``c[k-1] * c[k] < 0`` over ``len - 1`` (0 for a
    single coefficient). ``entropy``: ``-sum p log2 p`` over ``p = c^2 / sum c^2`` (terms with ``p = 0``
    skipped). When the band's energy is at most ``1e-12 * signal_energy`` (all bands together), skewness,
    kurtosis, zero-crossing rate and entropy are 0.
    """
    c = band.astype(np.float64)
    m = moments(c)
    energy = c * c
    total = energy.sum(axis=0)
    negligible = total <= _NEGLIGIBLE_ENERGY_SHARE * np.asarray(signal_energy)
    count = c.shape[0]
    crossings = (
        np.count_nonzero(c[1:] * c[:-1] < 0, axis=0) / (count - 1) if count > 1 else np.zeros_like(total)
    )
    share = energy / np.where(total > 0, total, 1.0)
    entropy = -np.sum(np.where(share > 0, share * np.log2(np.where(share > 0, share, 1.0)), 0.0), axis=0)
    shape = np.stack([m.skewness(), m.kurtosis(), crossings, entropy])
    shape = np.where(negligible, 0.0, shape)
    return np.concatenate([np.sqrt(m.mean_square)[None], np.sqrt(m.m2)[None], shape])


def features(signal: np.ndarray, wavelet: str, level: int) -> np.ndarray:
    """Statistics of every band for each axis of ``signal [T, axes]``: float32 ``[axes, 6 (level + 1)]``,
    band by band (``d1 .. d_level``, then ``a_level``)."""
    bands = dwt(signal, daubechies(wavelet), level)
    signal_energy = sum(np.sum(b.astype(np.float64) ** 2, axis=0) for b in bands)
    stats = np.concatenate([band_statistics(b, signal_energy) for b in bands])
    return stats.T.astype(np.float32)
