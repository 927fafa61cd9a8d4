"""Spectral-analysis block: peaks, spectrum, RMS and filters on sines and noise."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

import workers.dsp as dsp
from tests.workers.dsp.dsp_signals import noise, sine
from workers.dsp import InvalidParameter, spectral


def run(window: np.ndarray, rate: float, **params: object) -> tuple[np.ndarray, dict]:
    checked = dsp.validate_params("spectral", params)
    out = spectral.generate_features(window, rate, **checked)
    return out.reshape(window.shape[1], -1), checked


def test_an_11_hz_sine_at_100_hz_for_2_s_peaks_in_the_11_hz_bin() -> None:
    out, p = run(sine(11.0, 100, 2.0), 100.0, fft_length=128, peaks_count=2, power_scale="linear")
    rms, peak_hz, peak_power, second_hz, second_power = out[0, :5]
    spectrum = out[0, 5:]
    np.testing.assert_allclose(rms, np.sqrt(0.5), rtol=1e-3)
    # Bins are 100 / 128 = 0.78125 Hz apart; 11 Hz lies in bin 14 (10.94 Hz).
    assert peak_hz == np.float32(14 * 100 / 128)
    assert int(np.argmax(spectrum)) + 1 == 14
    assert peak_power == spectrum.max()
    # A pure sine has a single local maximum in a rectangular-window spectrum.
    assert second_hz == 0 and second_power == 0


def test_a_sine_on_a_bin_puts_its_power_in_that_bin() -> None:
    # 12.5 Hz at 100 Hz with N = 64: exactly bin 8, 64 samples so one segment; power = A^2 N / 4.
    out, p = run(
        sine(12.5, 100, 0.64, amplitude=2.0), 100.0, fft_length=64, peaks_count=1, power_scale="linear"
    )
    spectrum = out[0, 3:]
    np.testing.assert_allclose(spectrum[7], 4.0 * 64 / 4, rtol=1e-5)
    assert np.delete(spectrum, 7).max() < 1e-6 * spectrum[7]
    np.testing.assert_allclose(out[0, 1], 12.5)


def test_log_scale_is_log10_of_the_linear_power_with_a_floor() -> None:
    window = noise(125, axes=2, seed=2)
    linear, _ = run(window, 62.5, power_scale="linear")
    log, _ = run(window, 62.5, power_scale="log")
    np.testing.assert_allclose(log[:, 7:], np.log10(np.maximum(linear[:, 7:], 1e-10)), rtol=1e-6)
    silent, _ = run(np.zeros((125, 1), np.float32), 62.5)
    np.testing.assert_allclose(silent[0, 7:], -10.0, rtol=1e-6)


def test_spectrum_averages_whole_segments_and_overlap_adds_segments() -> None:
    assert spectral.segment_count(125, 32, overlap=False) == 3
    assert spectral.segment_count(125, 32, overlap=True) == 6
    assert spectral.segment_count(20, 32, overlap=True) == 1
    x = noise(125, seed=4)[:, 0]
    x = x - x.mean()
    expected = np.mean([np.abs(np.fft.rfft(x[s : s + 32])[1:]) ** 2 / 32 for s in (0, 32, 64)], axis=0)
    np.testing.assert_allclose(spectral.power_spectrum(x, 32, overlap=False), expected, rtol=1e-5)


def test_parseval_total_power_equals_the_variance() -> None:
    # Over one unpadded segment, sum_k |X_k|^2 / N over the full spectrum is sum x^2; bins 1..N/2 hold half
    # of it except the Nyquist bin, which is counted once.
    x = noise(64, seed=5)[:, 0].astype(np.float64)
    x -= x.mean()
    p = spectral.power_spectrum(x.astype(np.float32), 64, overlap=False).astype(np.float64)
    np.testing.assert_allclose(2 * p[:-1].sum() + p[-1], (x**2).sum(), rtol=1e-5)


def test_peaks_are_strongest_local_maxima_first() -> None:
    # 20 Hz lies at bin 25.6 (nearest 26), 5 Hz at bin 6.4 (nearest 6).
    window = sine(5.0, 100, 1.28, amplitude=1.0) + sine(20.0, 100, 1.28, amplitude=3.0)
    out, _ = run(window, 100.0, fft_length=128, peaks_count=2)
    np.testing.assert_allclose(out[0, [1, 3]], [np.float32(26 * 100 / 128), np.float32(6 * 100 / 128)])
    assert out[0, 2] > out[0, 4]


def test_low_pass_filter_removes_a_high_tone_and_keeps_a_low_one() -> None:
    window = sine(2.0, 62.5, 2.0) + sine(20.0, 62.5, 2.0)
    out, _ = run(window, 62.5, filter_type="low", filter_cutoff=5.0, filter_order=6, power_scale="linear")
    spectrum = out[0, 7:]
    freq = np.arange(1, 33) * 62.5 / 64
    assert spectrum[np.abs(freq - 2.0).argmin()] > 1000 * spectrum[np.abs(freq - 20.0).argmin()]


def test_filter_is_scipy_butterworth_sections_run_causally_in_float32() -> None:
    window = noise(125, seed=6)
    out, p = run(window, 62.5, filter_type="high", filter_cutoff=4.0, filter_order=3, peaks_count=0)
    sos = scipy.signal.butter(3, 4.0, btype="high", fs=62.5, output="sos").astype(np.float32)
    filtered = scipy.signal.sosfilt(sos, window[:, 0])
    np.testing.assert_allclose(out[0, 0], np.sqrt(np.mean(filtered.astype(np.float64) ** 2)), rtol=1e-6)


def test_feature_names_give_bin_frequencies() -> None:
    names = spectral.feature_names(125, 1, 62.5, **dsp.validate_params("spectral", {"fft_length": 16}))
    assert names[:3] == ["axis0 rms", "axis0 peak1 frequency", "axis0 peak1 power"]
    assert names[7] == "axis0 power 3.906 Hz"
    assert len(names) == 1 + 6 + 8


def test_log_bands_sum_the_per_bin_power_over_log_spaced_runs() -> None:
    window = noise(125, axes=2, seed=8)
    bins, _ = run(window, 62.5, fft_length=64, power_scale="linear", peaks_count=1)
    bands, _ = run(
        window, 62.5, fft_length=64, power_scale="linear", peaks_count=1, spectrum_layout="log_bands"
    )
    # 32 bins in 8 bands: 1, 1, 1, 2, 3, 5, 7, 12 bins starting at bins 1, 2, 3, 4, 6, 9, 14, 21.
    firsts, counts = spectral.log_bands(64, 8)
    assert counts.tolist() == [1, 1, 1, 2, 3, 5, 7, 12] and firsts.tolist() == [0, 1, 2, 3, 5, 8, 13, 20]
    np.testing.assert_array_equal(bands[:, :3], bins[:, :3])
    expected = np.stack([np.add.reduceat(axis[3:], firsts) for axis in bins])
    np.testing.assert_allclose(bands[:, 3:], expected, rtol=1e-6)


def test_log_bands_give_low_bands_one_bin_each_and_refuse_more_bands_than_bins() -> None:
    firsts, counts = spectral.log_bands(256, 16)
    assert counts.sum() == 128 and (counts >= 1).all() and (np.diff(counts) >= 0).all()
    with pytest.raises(InvalidParameter) as error:
        dsp.feature_shape(
            "spectral", (125, 1), 62.5, {"fft_length": 16, "band_count": 9, "spectrum_layout": "log_bands"}
        )
    assert error.value.parameter == "band_count"


def test_log_band_names_give_each_band_frequency_range() -> None:
    params = dsp.validate_params(
        "spectral", {"fft_length": 64, "spectrum_layout": "log_bands", "peaks_count": 0}
    )
    names = spectral.feature_names(125, 1, 64.0, **params)
    assert names[1:4] == ["axis0 power 1-1 Hz", "axis0 power 2-2 Hz", "axis0 power 3-3 Hz"]
    assert names[-1] == "axis0 power 21-32 Hz"
