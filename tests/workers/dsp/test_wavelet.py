"""Wavelet analysis of the spectral block: filter properties, the periodized DWT and band statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

import workers.dsp as dsp
from tests.workers.dsp.dsp_signals import noise, sine
from workers.dsp import spectral, wavelet


@pytest.mark.parametrize("name", wavelet.WAVELETS)
def test_daubechies_filters_are_orthonormal_with_n_vanishing_moments(name: str) -> None:
    h = wavelet.daubechies(name).astype(np.float64)
    order = h.size // 2
    np.testing.assert_allclose(h.sum(), math.sqrt(2), rtol=1e-6)
    np.testing.assert_allclose((h * h).sum(), 1.0, rtol=1e-6)
    for shift in range(1, order):
        assert abs(np.dot(h[: -2 * shift], h[2 * shift :])) < 1e-6
    g = wavelet.high_pass(wavelet.daubechies(name)).astype(np.float64)
    n = np.arange(h.size) / h.size
    for moment in range(order):
        assert abs((g * n**moment).sum()) < 1e-5


def test_db2_is_the_closed_form_daubechies_4_tap_filter() -> None:
    root3 = math.sqrt(3)
    expected = np.array([1 + root3, 3 + root3, 3 - root3, 1 - root3]) / (4 * math.sqrt(2))
    np.testing.assert_allclose(wavelet.daubechies("db2"), expected, rtol=1e-6)


def test_haar_level_one_is_pairwise_sums_and_differences_over_root_two() -> None:
    x = np.array([4.0, 2.0, 1.0, 3.0], np.float32)
    detail, approx = wavelet.dwt(x, wavelet.daubechies("haar"), 1)
    np.testing.assert_allclose(approx, [6 / math.sqrt(2), 4 / math.sqrt(2)], rtol=1e-6)
    np.testing.assert_allclose(detail, [2 / math.sqrt(2), -2 / math.sqrt(2)], rtol=1e-6)


@pytest.mark.parametrize(("name", "level"), [("haar", 3), ("db4", 2), ("db8", 4)])
def test_periodized_dwt_keeps_the_energy_of_the_zero_padded_signal(name: str, level: int) -> None:
    x = noise(125, seed=3)[:, 0]
    bands = wavelet.dwt(x, wavelet.daubechies(name), level)
    assert sum(b.size for b in bands) == wavelet.padded_length(125, level)
    energy = sum(float((b.astype(np.float64) ** 2).sum()) for b in bands)
    np.testing.assert_allclose(energy, float((x.astype(np.float64) ** 2).sum()), rtol=1e-5)


def test_constant_signal_has_empty_details_and_a_flat_approximation() -> None:
    x = np.full(64, 2.0, np.float32)
    stats = wavelet.features(x[:, None], "db3", 2).reshape(3, len(wavelet.BAND_STATISTICS))
    # Details hold only rounding noise: shape statistics are 0, not the entropy of that noise.
    np.testing.assert_allclose(stats[:2], 0.0, atol=1e-5)
    rms, stdev, skewness, kurtosis, crossings, entropy = stats[2]
    np.testing.assert_allclose(rms, 2.0 * 2.0, rtol=1e-5)  # two levels each scale a constant by sqrt(2)
    assert stdev < 1e-5 and skewness == 0 and kurtosis == 0 and crossings == 0
    np.testing.assert_allclose(entropy, math.log2(16), rtol=1e-5)  # energy spread evenly over 16 values


def test_a_fast_tone_lands_in_the_first_detail_and_a_slow_one_in_the_approximation() -> None:
    params = dsp.validate_params(
        "spectral", {"analysis_type": "wavelet", "wavelet": "db6", "wavelet_level": 2}
    )
    fast = spectral.generate_features(sine(40.0, 100, 1.28), 100.0, **params).reshape(3, -1)
    slow = spectral.generate_features(sine(3.0, 100, 1.28), 100.0, **params).reshape(3, -1)
    # Band rms: detail1 covers 25-50 Hz, detail2 12.5-25 Hz, approximation2 0-12.5 Hz.
    assert fast[0, 0] > 10 * max(fast[1, 0], fast[2, 0])
    assert slow[2, 0] > 10 * max(slow[0, 0], slow[1, 0])


def test_zero_crossing_rate_counts_sign_changes_between_neighbours() -> None:
    band = np.array([1.0, -1.0, -2.0, 0.0, 3.0, -1.0], np.float32)
    stats = wavelet.band_statistics(band, signal_energy=16.0)
    # Sign changes: (1, -1) and (3, -1); zero does not cross. Five neighbour pairs.
    np.testing.assert_allclose(stats[4], 2 / 5)


def test_wavelet_feature_names_follow_bands_and_statistics() -> None:
    params = dsp.validate_params("spectral", {"analysis_type": "wavelet", "wavelet_level": 1})
    names = spectral.feature_names(100, 2, 50.0, **params)
    assert names[0] == "axis0 detail1 rms"
    assert names[6] == "axis0 approximation1 rms"
    assert len(names) == dsp.feature_shape("spectral", (100, 2), 50.0, params)[0] == 24
