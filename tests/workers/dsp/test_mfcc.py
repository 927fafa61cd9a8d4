"""MFCC and MFE blocks: closed-form cases and agreement with librosa under matching parameters.

Conventions that differ from librosa's defaults, and how the comparisons match them:
our power spectrum is ``|X|^2 / N`` (librosa: ``|X|^2``), so librosa gets ``y / sqrt(N)``; our mel filters are
HTK-mel triangles with unit peak (librosa: ``htk=True, norm=None``); our frames are not centred
(librosa: ``center=False``) and fill the whole FFT here (``win_length = n_fft``); pre-emphasis starts from
a zero state (librosa: ``preemphasis(..., zi=0)``); our dB has no top_db clipping (the signals used stay
within librosa's 80 dB). Agreement is measured as ``max |ours - librosa| / max |librosa|``.
"""

from __future__ import annotations

import librosa
import numpy as np
import pytest

import workers.dsp as dsp
from tests.workers.dsp.dsp_signals import noise, sine, speech_like
from workers.dsp import mfcc, mfe

RATE = 16000
LIBROSA_WINDOWS = {"hamming": "hamming", "hann": "hann", "none": "boxcar"}


def relative_difference(ours: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


def librosa_input(signal: np.ndarray, params: dict) -> np.ndarray:
    y = signal[:, 0]
    if params["pre_emphasis"]:
        y = librosa.effects.preemphasis(y, coef=params["pre_emphasis"], zi=0.0)
    return (y / np.sqrt(params["fft_length"])).astype(np.float32)


def librosa_kwargs(params: dict) -> dict:
    n_fft = params["fft_length"]
    return {
        "sr": RATE,
        "n_fft": n_fft,
        "hop_length": round(params["frame_stride"] * RATE),
        "win_length": n_fft,
        "window": LIBROSA_WINDOWS[params["window_type"]],
        "center": False,
        "n_mels": params["num_filters"],
        "fmin": params["low_frequency"],
        "fmax": params["high_frequency"] or RATE / 2,
        "htk": True,
    }


MFCC_CASES = [
    {"frame_length": 0.032, "frame_stride": 0.016, "fft_length": 512, "num_filters": 40, "pre_emphasis": 0.0},
    {
        "frame_length": 0.016,
        "frame_stride": 0.008,
        "fft_length": 256,
        "num_filters": 32,
        "lifter": 22,
        "low_frequency": 80.0,
        "high_frequency": 7000.0,
        "pre_emphasis": 0.97,
    },
    {
        "frame_length": 0.064,
        "frame_stride": 0.02,
        "fft_length": 1024,
        "num_filters": 64,
        "num_cepstral": 20,
        "window_type": "hann",
        "pre_emphasis": 0.0,
    },
    {
        "frame_length": 0.032,
        "frame_stride": 0.032,
        "fft_length": 512,
        "num_filters": 26,
        "window_type": "none",
        "pre_emphasis": 0.5,
        "lifter": 10,
    },
]


@pytest.mark.parametrize("case", MFCC_CASES)
def test_mfcc_of_speech_like_audio_matches_librosa_within_1e_4(case: dict) -> None:
    params = dsp.validate_params("mfcc", case)
    signal = speech_like(RATE, 1.0, seed=1)
    ours = mfcc.cepstra(signal, RATE, **params)
    reference = librosa.feature.mfcc(
        y=librosa_input(signal, params),
        n_mfcc=params["num_cepstral"],
        dct_type=2,
        norm="ortho",
        lifter=params["lifter"],
        mel_norm=None,
        **librosa_kwargs(params),
    ).T
    assert ours.shape == reference.shape
    assert relative_difference(ours, reference) <= 1e-4


def test_mean_normalized_mfcc_is_librosa_mfcc_minus_its_mean_over_frames() -> None:
    params = dsp.validate_params("mfcc", {**MFCC_CASES[0], "normalization": "mean"})
    signal = noise(RATE, scale=0.1, seed=3) + sine(300.0, RATE, 1.0, 0.2)
    reference = librosa.feature.mfcc(
        y=librosa_input(signal, params), n_mfcc=13, mel_norm=None, **librosa_kwargs(params)
    ).T
    reference -= reference.mean(axis=0)
    assert relative_difference(mfcc.cepstra(signal, RATE, **params), reference) <= 1e-4


def test_mean_std_normalized_mfcc_has_zero_mean_and_unit_spread_per_coefficient() -> None:
    params = dsp.validate_params("mfcc", {"normalization": "mean_std"})
    out = mfcc.cepstra(speech_like(RATE, 1.0, seed=2), RATE, **params)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-4)


def test_mfcc_of_silence_is_the_floor_in_c0_and_zero_elsewhere() -> None:
    params = dsp.validate_params("mfcc", {"num_filters": 32})
    out = mfcc.cepstra(np.zeros((RATE, 1), np.float32), RATE, **params)
    # Every filter energy sits at the -100 dB floor; the orthonormal DCT of a constant c is c * sqrt(F) in c0.
    np.testing.assert_allclose(out[:, 0], -100 * np.sqrt(32), rtol=1e-5)
    np.testing.assert_allclose(out[:, 1:], 0, atol=1e-3)


def test_mfcc_features_are_the_frame_major_flattening_of_the_matrix() -> None:
    params = dsp.validate_params("mfcc", {})
    signal = speech_like(RATE, 0.5, seed=4)
    np.testing.assert_array_equal(
        mfcc.generate_features(signal, RATE, **params), mfcc.cepstra(signal, RATE, **params).reshape(-1)
    )


def test_mel_filterbank_matches_librosa_htk_with_unit_peak() -> None:
    ours = dsp.audio.mel_filterbank(40, 512, 16000.0, 20.0, 7600.0)
    reference = librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, fmin=20, fmax=7600, htk=True, norm=None)
    np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", MFCC_CASES[:3])
def test_mfe_log_energies_match_librosa_power_to_db_within_1e_4(case: dict) -> None:
    params = dsp.validate_params(
        "mfe", {k: v for k, v in case.items() if k not in ("lifter", "num_cepstral")}
    )
    signal = speech_like(RATE, 1.0, seed=5)
    reference = librosa.power_to_db(
        librosa.feature.melspectrogram(
            y=librosa_input(signal, params), power=2.0, norm=None, **librosa_kwargs(params)
        ),
        top_db=None,
    ).T
    assert relative_difference(mfe.log_energies(signal, RATE, **params), reference) <= 1e-4


def test_mfe_maps_the_noise_floor_to_0_and_0_db_to_1() -> None:
    params = dsp.validate_params("mfe", {"noise_floor_db": -60.0})
    signal = speech_like(RATE, 1.0, seed=6)
    db = mfe.log_energies(signal, RATE, **params)
    out = mfe.generate_features(signal, RATE, **params).reshape(db.shape)
    np.testing.assert_allclose(out, (np.maximum(db, -60.0) + 60.0) / 60.0, rtol=1e-6, atol=1e-7)
    assert out.min() >= 0


def test_mfe_of_silence_is_all_zero() -> None:
    params = dsp.validate_params("mfe", {})
    assert not mfe.generate_features(np.zeros((8000, 1), np.float32), RATE, **params).any()
