"""Export to float32/int8 .tflite and .keras, batch-norm folding, and validation of users' own models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests.workers.learn.factories import EVERY_LAYER_TYPE, MotionData
from workers.learn.evaluate import classify_tflite, regression_metrics, run_tflite
from workers.learn.export import ExportedModels, InvalidModel, export_tflite, inspect_tflite, load_user_model
from workers.learn.train import TrainedClassifier, TrainSettings, train_classifier, train_regression


def test_int8_model_is_fully_integer_with_batch_one(reference_export: ExportedModels) -> None:
    info = inspect_tflite(reference_export.int8)
    assert info.dtype == "int8"
    assert info.input_shape == (1, 24)
    assert info.output_shape == (1, 4)
    # Softmax output quantization is fixed by the converter: [0, 1) in 256 steps.
    assert info.output_quantization == (1 / 256, -128)
    assert info.operators == ("FULLY_CONNECTED", "SOFTMAX")
    assert len(reference_export.int8) < len(reference_export.float32)


def test_float_model_keeps_float_input_and_output(reference_export: ExportedModels) -> None:
    info = inspect_tflite(reference_export.float32)
    assert (info.dtype, info.input_shape, info.output_shape) == ("float32", (1, 24), (1, 4))


def test_int8_calibration_covers_the_representative_features(
    reference_export: ExportedModels, motions: MotionData
) -> None:
    scale, zero = inspect_tflite(reference_export.int8).input_quantization
    low, high = (-128 - zero) * scale, (127 - zero) * scale
    assert low <= motions.train.min() and motions.train.max() <= high + scale


@pytest.mark.parametrize("kind", ["Dense", "Conv1D"])
def test_batch_normalization_is_folded_into_the_preceding_layer(motions: MotionData, kind: str) -> None:
    hidden = (
        [{"type": "Dense", "units": 16, "activation": "relu"}, {"type": "BatchNormalization"}]
        if kind == "Dense"
        else [
            {"type": "Reshape", "target": [4, 6]},
            {"type": "Conv1D", "filters": 8, "kernel": 2, "activation": "relu"},
            {"type": "BatchNormalization"},
            {"type": "Flatten"},
        ]
    )
    settings = TrainSettings(epochs=5, batch_size=8, architecture="custom", layers=tuple(hidden))
    trained = train_classifier(motions.train, motions.y_train, motions.class_names, settings)
    bn = trained.model.get_layer(f"batchnormalization_{len(hidden) - 1 if kind == 'Dense' else 2}")
    # Trained statistics, so that folding has something to fold.
    assert not np.allclose(bn.moving_variance.numpy(), 1.0)
    exported = export_tflite(trained.model, motions.train)
    for model in (exported.float32, exported.int8):
        operators = set(inspect_tflite(model).operators)
        assert not operators & {"MUL", "ADD", "SUB"}, operators
    keras_scores = trained.predict(motions.test)
    np.testing.assert_allclose(classify_tflite(exported.float32, motions.test), keras_scores, atol=1e-5)
    assert np.abs(classify_tflite(exported.int8, motions.test) - keras_scores).max() < 0.06


def test_export_of_a_conv_model_keeps_the_flat_input(motions: MotionData) -> None:
    settings = TrainSettings(epochs=1, batch_size=8, architecture="conv1d", channels=6)
    trained = train_classifier(motions.raw_train, motions.y_train, motions.class_names, settings)
    exported = export_tflite(trained.model, motions.raw_train)
    info = inspect_tflite(exported.int8)
    assert info.input_shape == (1, 600)
    assert "CONV_2D" in info.operators
    keras_scores = trained.predict(motions.raw_test)
    assert np.abs(classify_tflite(exported.int8, motions.raw_test) - keras_scores).max() < 0.06


def test_garbage_bytes_are_refused() -> None:
    with pytest.raises(InvalidModel, match="not a TensorFlow Lite model") as caught:
        load_user_model(b"hello, this is not a model", "upload.tflite")
    assert caught.value.filename == "upload.tflite"


def test_truncated_tflite_is_refused(reference_export: ExportedModels) -> None:
    with pytest.raises(InvalidModel, match="cannot be loaded"):
        load_user_model(reference_export.float32[: len(reference_export.float32) // 2], "half.tflite")


def test_unknown_extension_is_refused(reference_export: ExportedModels) -> None:
    with pytest.raises(InvalidModel, match="expected a .tflite or .keras file"):
        load_user_model(reference_export.keras, "model.h5")


def test_broken_keras_archive_is_refused() -> None:
    with pytest.raises(InvalidModel, match="the Keras model cannot be loaded"):
        load_user_model(b"PK\x03\x04 not really a zip", "model.keras")


def test_uploaded_float_tflite_is_accepted_for_float_evaluation(
    reference_export: ExportedModels, motions: MotionData
) -> None:
    user = load_user_model(reference_export.float32, "mine.tflite")
    assert (user.source, user.int8, user.input_shape, user.output_shape) == ("tflite", None, (1, 24), (1, 4))
    assert user.float32 is not None
    assert classify_tflite(user.float32, motions.test[:2]).shape == (2, 4)


def test_uploaded_int8_tflite_goes_in_the_int8_slot(reference_export: ExportedModels) -> None:
    user = load_user_model(reference_export.int8, "mine.tflite")
    assert user.float32 is None and user.int8 == reference_export.int8


@pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning")
def test_tflite_mixing_int8_input_and_float_output_is_refused(
    reference_classifier: TrainedClassifier, motions: MotionData
) -> None:
    converter = tf.lite.TFLiteConverter.from_keras_model(reference_classifier.model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([row[None]] for row in motions.train)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    mixed = converter.convert()
    with pytest.raises(InvalidModel, match="must both be int8 or both float32, got int8 and float32"):
        load_user_model(mixed, "mixed.tflite")


def test_uploaded_keras_model_is_converted_and_predicts_like_the_original(
    reference_export: ExportedModels, motions: MotionData
) -> None:
    without = load_user_model(reference_export.keras, "mine.keras")
    assert without.int8 is None and without.input_shape == (1, 24)
    user = load_user_model(reference_export.keras, "mine.keras", representative=motions.train)
    assert user.source == "keras" and user.int8 is not None and user.float32 is not None
    np.testing.assert_allclose(
        classify_tflite(user.float32, motions.test),
        classify_tflite(reference_export.float32, motions.test),
        atol=1e-6,
    )
    np.testing.assert_array_equal(
        classify_tflite(user.int8, motions.test), classify_tflite(reference_export.int8, motions.test)
    )


@pytest.mark.slow
def test_every_layer_type_exports_to_int8_that_tflm_runs(motions: MotionData) -> None:
    settings = TrainSettings(epochs=2, batch_size=8, architecture="custom", layers=EVERY_LAYER_TYPE)
    trained = train_classifier(motions.raw_train, motions.y_train, motions.class_names, settings)
    exported = export_tflite(trained.model, motions.raw_train)
    assert set(inspect_tflite(exported.int8).operators) >= {
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "MAX_POOL_2D",
        "AVERAGE_POOL_2D",
        "MEAN",
        "TANH",
        "LOGISTIC",
        "FULLY_CONNECTED",
        "SOFTMAX",
    }
    keras_scores = trained.predict(motions.raw_test)
    np.testing.assert_allclose(classify_tflite(exported.float32, motions.raw_test), keras_scores, atol=1e-5)
    assert np.abs(classify_tflite(exported.int8, motions.raw_test) - keras_scores).max() < 0.05


@pytest.mark.slow
def test_int8_regression_keeps_its_fit(motions: MotionData) -> None:
    target = motions.train @ np.linspace(-1, 1, motions.train.shape[1]).astype(np.float32)
    trained = train_regression(
        motions.train, target, TrainSettings(epochs=60, batch_size=8, learning_rate=0.01)
    )
    exported = export_tflite(trained.model, motions.train)
    info = inspect_tflite(exported.int8)
    assert (info.dtype, info.output_shape) == ("int8", (1, 1))
    float_fit = regression_metrics(target, trained.predict(motions.train))
    int8_fit = regression_metrics(target, run_tflite(exported.int8, motions.train))
    # One output step is (range of the outputs) / 255; the int8 error stays within a step of the float one.
    assert int8_fit["mae"] < float_fit["mae"] + info.output_quantization[0]
    assert int8_fit["r2"] > 0.98


_EXPORT_DIGEST_SCRIPT = """
import hashlib
from tests.workers.learn.factories import make_motion_data
from workers.learn.export import export_tflite
from workers.learn.train import TrainSettings, train_classifier
data = make_motion_data()
settings = TrainSettings(epochs=2, batch_size=8, architecture="conv1d", channels=6, augmentation=("noise", "time_shift"))
trained = train_classifier(data.raw_train, data.y_train, data.class_names, settings)
exported = export_tflite(trained.model, data.raw_train)
print(hashlib.sha256(exported.int8).hexdigest(), hashlib.sha256(exported.float32).hexdigest())
"""


@pytest.mark.slow
def test_same_seed_exports_byte_identical_models_in_separate_processes() -> None:
    # A fresh interpreter each time: nothing cached in this process can make the runs agree.
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    digests = [
        subprocess.run(
            [sys.executable, "-c", _EXPORT_DIGEST_SCRIPT],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-2:]
        for _ in range(2)
    ]
    assert digests[0] == digests[1]
