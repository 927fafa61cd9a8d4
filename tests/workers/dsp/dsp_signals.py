"""Test signal factories for the DSP tests: sines, square waves, noise, speech-like audio, IMU windows."""

from __future__ import annotations

import numpy as np


def sine(frequency: float, rate: float, seconds: float, amplitude: float = 1.0, axes: int = 1) -> np.ndarray:
    """A ``[T, axes]`` float32 sine starting at phase 0, the same on every axis."""
    t = np.arange(int(round(rate * seconds))) / rate
    wave = amplitude * np.sin(2 * np.pi * frequency * t)
    return np.repeat(wave[:, None], axes, axis=1).astype(np.float32)


def square(frequency: float, rate: float, seconds: float, amplitude: float = 1.0) -> np.ndarray:
    """A ``[T, 1]`` float32 square wave of +-amplitude (half the samples each sign)."""
    t = np.arange(int(round(rate * seconds)))
    period = rate / frequency
    return np.where((t % period) < period / 2, amplitude, -amplitude).astype(np.float32)[:, None]


def noise(samples: int, axes: int = 1, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """Gaussian white noise ``[samples, axes]`` float32, reproducible by seed."""
    return (scale * np.random.default_rng(seed).normal(size=(samples, axes))).astype(np.float32)


def speech_like(rate: int = 16000, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """A ``[T, 1]`` vowel-like signal: a 120-200 Hz glottal pulse train through three formant resonators,
    syllable-rate amplitude modulation and a little breath noise, peaking near 0.5 full scale."""
    rng = np.random.default_rng(seed)
    count = int(rate * seconds)
    t = np.arange(count) / rate
    pitch = 160 + 40 * np.sin(2 * np.pi * 1.5 * t)
    phase = np.cumsum(pitch / rate)
    pulses = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(np.float64)
    voiced = np.zeros(count)
    for formant, bandwidth in ((700.0, 80.0), (1200.0, 90.0), (2600.0, 120.0)):
        r = np.exp(-np.pi * bandwidth / rate)
        theta = 2 * np.pi * formant / rate
        y = np.zeros(count)
        for n in range(2, count):
            y[n] = pulses[n] + 2 * r * np.cos(theta) * y[n - 1] - r * r * y[n - 2]
        voiced += y / np.abs(y).max()
    envelope = 0.5 * (1 - np.cos(2 * np.pi * 3 * t)) + 0.05
    signal = envelope * voiced + 0.02 * rng.normal(size=count)
    return (0.5 * signal / np.abs(signal).max()).astype(np.float32)[:, None]
