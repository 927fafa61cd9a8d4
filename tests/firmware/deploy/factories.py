"""A small real impulse for the deployment tests: BasicMotions recordings (6 IMU axes at 10 Hz) in 2 s
windows every 1 s, flatten + spectral features, a dense int8 classifier trained for a few epochs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from backend.training.pipeline import summarize_sample
from firmware.deploy.bundle import TestSample
from firmware.deploy.spec import DspBlock, ImpulseSpec, InputBlock
from workers.dsp import generate_batch, get_block, validate_params
from workers.learn.evaluate import classify_tflite
from workers.pipeline.windowing import windows

AXES = ("accX", "accY", "accZ", "gyrX", "gyrY", "gyrZ")
FREQUENCY_HZ = 10.0
INTERVAL_MS = 100.0
BLOCKS = (("flatten", {}), ("spectral", {"fft_length": 16, "peaks_count": 2}))


def _input() -> InputBlock:
    return InputBlock(axes=AXES, window_ms=2000.0, stride_ms=1000.0, frequency_hz=FREQUENCY_HZ)


def _blocks() -> tuple[DspBlock, ...]:
    return tuple(
        DspBlock(type=t, params=validate_params(t, p), version=get_block(t).version, name=t)
        for t, p in BLOCKS
    )


def studio_features(values: np.ndarray, interval_ms: float) -> np.ndarray:
    """The studio's features of one recording ``[T, axes]``: windows, then each block, concatenated."""
    inp = _input()
    batch = windows(
        values, interval_ms, window_ms=inp.window_ms, stride_ms=inp.stride_ms, frequency_hz=inp.frequency_hz
    )
    parts = [generate_batch(b.type, batch, inp.frequency_hz, b.params) for b in _blocks()]
    return np.concatenate(parts, axis=1)


def basic_motions() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Recordings ``[N, T, 6]`` float32, their label indices and the class names (train and test split)."""
    from sktime.datasets import load_basic_motions

    X, y = load_basic_motions(split="train", return_type="numpy3D")
    names = sorted(set(y))
    return np.transpose(X, (0, 2, 1)).astype(np.float32), np.array([names.index(v) for v in y]), names


def train_model(seed: int = 0) -> tuple[bytes, list[str]]:
    """A dense int8 classifier on the studio features of the BasicMotions training recordings."""
    import keras
    import tensorflow as tf

    recordings, labels, names = basic_motions()
    feats, ys = [], []
    for rec, label in zip(recordings, labels, strict=True):
        f = studio_features(rec, INTERVAL_MS)
        feats.append(f)
        ys.append(np.full(len(f), label))
    X, Y = np.concatenate(feats), np.concatenate(ys)
    mean, std = X.mean(axis=0), X.std(axis=0) + 1e-3
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((X.shape[1],), batch_size=1),
            # Standardisation inside the model keeps the raw features the device computes as its input.
            keras.layers.Rescaling(1.0 / std, offset=-mean / std),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(len(names), activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=15, batch_size=32, verbose=0)

    def representative():  # type: ignore[no-untyped-def]
        for row in X[:: max(1, len(X) // 100)]:
            yield [row[None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert()), names


def impulse_spec(model: bytes, class_names: list[str], **changes: Any) -> ImpulseSpec:
    fields: dict[str, Any] = dict(
        project_id=7,
        project_name="Activity demo",
        impulse_id=3,
        impulse_version=2,
        model_id=11,
        model_version=4,
        input=_input(),
        dsp=_blocks(),
        learn_type="classifier",
        class_names=tuple(class_names),
        model=model,
        impulse_name="Motion",
    )
    fields.update(changes)
    return ImpulseSpec(**fields)


def studio_result(spec: ImpulseSpec, values: np.ndarray, interval_ms: float) -> dict:
    """What the studio's classification says about a recording (per-window int8 scores through TFLM)."""
    scores = classify_tflite(spec.model, studio_features(values, interval_ms))
    return summarize_sample(scores, list(spec.class_names))


def test_samples(spec: ImpulseSpec, count: int = 4, *, interval_ms: float = INTERVAL_MS) -> list[TestSample]:
    """``count`` BasicMotions recordings (one per class first), cut short to keep emulator runs brief."""
    recordings, labels, _ = basic_motions()
    order = [int(np.flatnonzero(labels == k)[0]) for k in range(len(spec.class_names))]
    order += [i for i in range(len(recordings)) if i not in order]
    chosen = []
    for n, i in enumerate(order[:count]):
        values = recordings[i][:50]
        if interval_ms != INTERVAL_MS:
            from workers.pipeline.windowing import resample

            values = resample(values, INTERVAL_MS, 1000.0 / interval_ms)
        chosen.append(
            TestSample(
                name=f"sample-{n}",
                values=values,
                interval_ms=interval_ms,
                expected=studio_result(spec, values, interval_ms),
            )
        )
    return chosen


def with_model(spec: ImpulseSpec, model: bytes) -> ImpulseSpec:
    return replace(spec, model=model)


def cached_model(directory: Path) -> tuple[bytes, list[str]]:
    path = directory / "basic_motions.tflite"
    names = directory / "basic_motions.txt"
    if not path.exists():
        model, class_names = train_model()
        path.write_bytes(model)
        names.write_text("\n".join(class_names))
    return path.read_bytes(), names.read_text().split("\n")


def anomaly_spec(kind: str, covariance: str = "diag") -> ImpulseSpec:
    """The demo windowing and blocks with a K-means (``kmeans``) or Gaussian-mixture (``gmm``) anomaly
    block fitted to the training recordings' features, as the studio fits it."""
    from backend.training.pipeline import fit_anomaly

    recordings, _, _ = basic_motions()
    X = np.concatenate([studio_features(rec, INTERVAL_MS) for rec in recordings])
    if kind == "kmeans":
        outcome = fit_anomaly(X, "anomaly-kmeans", {"n_clusters": 4, "seed": 1})
    else:
        outcome = fit_anomaly(X, "anomaly-gmm", {"n_components": 2, "covariance": covariance, "seed": 1})
    return impulse_spec(b"", [], learn_type=f"anomaly-{kind}", anomaly=outcome.params)


def anomaly_samples(spec: ImpulseSpec, count: int = 3) -> list[TestSample]:
    """Recordings with the studio's anomaly result; the last one has a gyroscope stuck at a large value."""
    from backend.training.pipeline import anomaly_scores, summarize_anomaly

    assert spec.anomaly is not None
    recordings, _, _ = basic_motions()
    chosen = []
    for n in range(count):
        values = recordings[n * 10][:50].copy()
        if n == count - 1:
            values[:, 3] = 25.0
        scores = anomaly_scores(spec.anomaly, studio_features(values, INTERVAL_MS))
        expected = summarize_anomaly(scores, float(spec.anomaly["threshold"]))
        chosen.append(TestSample(f"sample-{n}", values, INTERVAL_MS, expected))
    return chosen


def keyword_spec_and_samples(
    frequency_hz: float = 8000.0, block: str = "mfcc", *, pcm16: bool = False
) -> tuple[ImpulseSpec, list[TestSample]]:
    """An audio impulse: sound at ``frequency_hz`` (8 kHz by default) in 250 ms windows every 125 ms through
    MFCC (or ``block``), a random dense int8 model of the right input size, and two half-second tones with a
    little noise as test samples; ``pcm16`` rounds them to 16-bit sample values, as a WAV file holds them."""
    import keras

    from firmware.testing.random_models import convert_int8

    params = validate_params(block, {})
    inp = InputBlock(axes=("audio",), window_ms=250.0, stride_ms=125.0, frequency_hz=frequency_hz)
    window = int(frequency_hz * 0.25)
    features = int(np.prod(get_block(block).feature_shape(window, 1, frequency_hz, **params)))
    model = keras.Sequential(
        [keras.Input((features,), batch_size=1), keras.layers.Dense(3, activation="softmax")]
    )
    names = ["yes", "no", "noise"]
    spec = impulse_spec(
        convert_int8(model, (features,), seed=2, samples=8),
        names,
        input=inp,
        dsp=(DspBlock(type=block, params=params, version=get_block(block).version),),
    )
    rng = np.random.default_rng(0)
    samples = []
    interval_ms = 1000.0 / frequency_hz
    for n, hz in enumerate((300.0, 900.0)):
        t = np.arange(int(frequency_hz / 2)) / frequency_hz
        values = (0.3 * np.sin(2 * np.pi * hz * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)[
            :, None
        ]
        if pcm16:
            values = (np.round(values * 32768.0) / 32768.0).astype(np.float32)
        batch = windows(values, interval_ms, window_ms=250.0, stride_ms=125.0, frequency_hz=frequency_hz)
        scores = classify_tflite(spec.model, generate_batch(block, batch, frequency_hz, params))
        samples.append(TestSample(f"tone-{n}", values, interval_ms, summarize_sample(scores, names)))
    return spec, samples


def regression_spec(directory: Path) -> ImpulseSpec:
    """The demo windowing and blocks into a regression trained by the studio's own pipeline: each
    BasicMotions window's target is its recording's activity index (0 to 3) as a number."""
    path = directory / "basic_motions_regression.tflite"
    if not path.exists():
        from backend.training.pipeline import train_regression

        recordings, labels, _ = basic_motions()
        feats = [studio_features(rec, INTERVAL_MS) for rec in recordings]
        X = np.concatenate(feats).astype(np.float32)
        y = np.concatenate([np.full(len(f), float(k)) for f, k in zip(feats, labels, strict=True)])
        params = {"epochs": 10, "learning_rate": 0.01, "architecture": "dense"}
        outcome = train_regression(X, y.astype(np.float32), params, (X.shape[1],))
        path.write_bytes(outcome.int8)
    return impulse_spec(path.read_bytes(), [], learn_type="regression")


def regression_samples(spec: ImpulseSpec, count: int = 3) -> list[TestSample]:
    """Recordings with the studio's regression result: the int8 model's dequantized value per window."""
    from backend.training.pipeline import predict_values, summarize_values

    recordings, _, _ = basic_motions()
    chosen = []
    for n in range(count):
        values = recordings[n * 10][:50]
        expected = summarize_values(predict_values(spec.model, studio_features(values, INTERVAL_MS)))
        chosen.append(TestSample(f"sample-{n}", values, INTERVAL_MS, expected))
    return chosen
