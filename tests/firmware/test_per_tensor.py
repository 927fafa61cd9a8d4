"""Per-tensor weight quantization (one scale per filter) is as exact as per-channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from firmware.compiler import build_host, compile_model, run_executable
from firmware.testing.oracle import run_tflm
from firmware.tflite import read_model
from tests.firmware.factories import L, _model, quantizing_converter


def _per_tensor_model() -> bytes:
    shape = (8, 8, 3)
    model = _model(
        shape,
        lambda x: L.Dense(5, activation="softmax")(
            L.Flatten()(L.DepthwiseConv2D(3, padding="same")(L.Conv2D(4, 3, strides=2, activation="relu")(x)))
        ),
    )

    converter = quantizing_converter(model, shape)
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    converter._experimental_disable_per_channel = True
    return bytes(converter.convert())


def test_per_tensor_conv_depthwise_and_dense_match_tflm(tmp_path: Path) -> None:
    data = _per_tensor_model()
    weights = [
        t
        for t in read_model(data).tensors
        if t.data is not None and t.type == 9 and t.quantization is not None
    ]
    assert weights and all(len(t.quantization.scale) == 1 for t in weights if t.quantization is not None)
    compile_model(data, tmp_path)
    exe = build_host(tmp_path)
    rng = np.random.default_rng(2)
    for _ in range(4):
        x = rng.integers(-128, 128, size=(1, 8, 8, 3), dtype=np.int8)
        np.testing.assert_array_equal(
            np.frombuffer(run_executable(exe, x.tobytes()), dtype=np.int8), run_tflm(data, x).reshape(-1)
        )
