"""Spectrogram block: a tone at an exact bin, silence, and agreement with librosa's STFT."""

from __future__ import annotations

import librosa
import numpy as np

import workers.dsp as dsp
from tests.workers.dsp.dsp_signals import noise, sine
from workers.dsp import spectrogram

RATE = 16000


def test_a_1_khz_tone_on_a_bin_has_the_expected_level_in_that_bin() -> None:
    # 1000 Hz at 16 kHz with N = 256 is exactly bin 16; with a rectangular window |X_16| = A N / 2, so
    # P = A^2 N / 4 = 16 for A = 0.5: 12.04 dB, normalized (12.04 + 52) / 52.
    params = dsp.validate_params(
        "spectrogram",
        {"frame_length": 0.016, "frame_stride": 0.016, "fft_length": 256, "window_type": "none"},
    )
    out = spectrogram.generate_features(sine(1000.0, RATE, 0.256, amplitude=0.5), RATE, **params).reshape(
        16, 129
    )
    expected = (10 * np.log10(16.0) + 52) / 52
    np.testing.assert_allclose(out[:, 16], expected, rtol=1e-5)
    assert (np.delete(out, 16, axis=1) == 0).all()


def test_spectrogram_of_silence_is_all_zero() -> None:
    params = dsp.validate_params("spectrogram", {})
    assert not spectrogram.generate_features(np.zeros((4000, 1), np.float32), RATE, **params).any()


def test_spectrogram_matches_librosa_stft_power_over_n_in_db() -> None:
    params = dsp.validate_params(
        "spectrogram", {"frame_length": 0.032, "fft_length": 512, "noise_floor_db": -90.0}
    )
    signal = noise(RATE, scale=0.1, seed=8) + sine(440.0, RATE, 1.0, 0.3)
    stft = librosa.stft(signal[:, 0], n_fft=512, hop_length=160, window="hamming", center=False)
    db = librosa.power_to_db(np.abs(stft) ** 2 / 512, top_db=None).T
    reference = (np.maximum(db, -90.0) + 90.0) / 90.0
    out = spectrogram.generate_features(signal, RATE, **params).reshape(reference.shape)
    assert np.abs(out - reference).max() <= 1e-4 * np.abs(reference).max()
