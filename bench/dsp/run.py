"""Processing-block throughput (windows per second) and MFCC speed and agreement against librosa.

Run: ``python bench/dsp/run.py``. IMU blocks see 2 s windows at 62.5 Hz x 3 axes, audio blocks 1 s at
16 kHz, the image block 320x240 RGB pictures. Prints a table; asserts nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import librosa
import numpy as np

import workers.dsp as dsp
from workers.dsp import mfcc

RATE_IMU = 62.5
RATE_AUDIO = 16000


def best_seconds(call: Callable[[], object], repeats: int = 5) -> float:
    """Fastest of ``repeats`` timed calls, after one warm-up call (caches, lazy imports)."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def audio_batch(count: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(RATE_AUDIO) / RATE_AUDIO
    tones = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 3000, size=(count, 1)) * t)
    return (tones + 0.05 * rng.normal(size=(count, RATE_AUDIO))).astype(np.float32)[:, :, None]


def block_rows(rng: np.random.Generator) -> list[tuple[str, str, float]]:
    imu = (rng.normal(size=(400, 125, 3)) + [0, 0, 9.81]).astype(np.float32)
    audio = audio_batch(40, rng)
    images = rng.integers(0, 256, size=(40, 240, 320, 3), dtype=np.uint8)
    cases = [
        ("raw", "IMU 125x3", imu, RATE_IMU, {}),
        ("flatten", "IMU 125x3", imu, RATE_IMU, {}),
        ("spectral", "IMU 125x3, FFT 64", imu, RATE_IMU, {}),
        (
            "spectral",
            "IMU 125x3, low-pass 6th order",
            imu,
            RATE_IMU,
            {"filter_type": "low", "filter_cutoff": 5.0},
        ),
        (
            "spectral",
            "IMU 125x3, wavelet db4 level 3",
            imu,
            RATE_IMU,
            {"analysis_type": "wavelet", "wavelet_level": 3},
        ),
        ("mfcc", "audio 1 s @ 16 kHz", audio, RATE_AUDIO, {}),
        ("mfe", "audio 1 s @ 16 kHz", audio, RATE_AUDIO, {}),
        ("spectrogram", "audio 1 s @ 16 kHz", audio, RATE_AUDIO, {}),
        ("image", "320x240 RGB -> 96x96", images, 0.0, {}),
        (
            "image",
            "320x240 RGB -> 96x96 gray fit-short",
            images,
            0.0,
            {"color_depth": "grayscale", "resize_mode": "fit-short"},
        ),
    ]
    rows = []
    for block_id, label, batch, rate, params in cases:
        seconds = best_seconds(
            lambda b=block_id, x=batch, r=rate, p=params: dsp.generate_batch(b, x, r, p), repeats=3
        )
        rows.append((block_id, label, batch.shape[0] / seconds))
    return rows


def librosa_comparison(rng: np.random.Generator) -> tuple[float, float, float]:
    """(ours ms, librosa ms, max |ours - librosa| / max |librosa|) per 1 s window with matching parameters."""
    params = dsp.validate_params(
        "mfcc",
        {
            "frame_length": 0.032,
            "frame_stride": 0.016,
            "fft_length": 512,
            "num_filters": 40,
            "pre_emphasis": 0.0,
            "lifter": 22,
        },
    )
    signal = audio_batch(1, rng)[0]
    # Our power spectrum is |X|^2 / N; feeding librosa y / sqrt(N) makes the two definitions identical.
    scaled = (signal[:, 0] / np.sqrt(512)).astype(np.float32)

    def ours() -> np.ndarray:
        return mfcc.cepstra(signal, RATE_AUDIO, **params)

    def reference() -> np.ndarray:
        return librosa.feature.mfcc(
            y=scaled,
            sr=RATE_AUDIO,
            n_mfcc=13,
            n_fft=512,
            hop_length=256,
            win_length=512,
            window="hamming",
            center=False,
            n_mels=40,
            htk=True,
            mel_norm=None,
            lifter=22,
        )

    difference = float(np.abs(ours() - reference().T).max() / np.abs(reference()).max())
    return best_seconds(ours, 50) * 1e3, best_seconds(reference, 50) * 1e3, difference


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'block':<12} {'input':<38} {'windows/s':>12}")
    for block_id, label, rate in block_rows(rng):
        print(f"{block_id:<12} {label:<38} {rate:>12,.0f}")
    ours_ms, librosa_ms, difference = librosa_comparison(rng)
    print()
    print(
        "MFCC vs librosa 0.11 (1 s @ 16 kHz, 512-point frames every 256, 40 HTK mel filters, 13 coefficients)"
    )
    print(f"  ours    {ours_ms:8.3f} ms/window")
    print(f"  librosa {librosa_ms:8.3f} ms/window")
    print(f"  speed ratio (librosa time / ours) {librosa_ms / ours_ms:6.2f}x   goal >= 1x")
    print(f"  max relative difference           {difference:.2e}   goal <= 1e-4")


if __name__ == "__main__":
    main()
