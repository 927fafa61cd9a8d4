"""Reference architectures for the firmware benchmark, built in Keras from their published descriptions
(MLPerf Tiny's keyword spotting DS-CNN and anomaly-detection autoencoder, plus typical small IMU and image
classifiers), with untrained weights: instruction counts and memory depend on shapes, not on training."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class BenchModel:
    name: str
    description: str
    build: Callable[[], object]
    """Returns a Keras model with a fixed batch-1 input."""
    input_shape: tuple[int, ...]


def imu_conv1d() -> object:
    """Activity recognition from a 2 s, 6-axis IMU window at 50 Hz: two 1-D convolutions, 4 classes."""
    import keras

    inputs = keras.Input((100, 6), batch_size=1)
    x = keras.layers.Conv1D(16, 5, activation="relu")(inputs)
    x = keras.layers.MaxPooling1D(2)(x)
    x = keras.layers.Conv1D(32, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dense(16, activation="relu")(x)
    outputs = keras.layers.Dense(4, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def kws_ds_cnn() -> object:
    """MLPerf Tiny keyword spotting: 49 x 10 MFCC in, a 10 x 4 stride-2 convolution with 64 channels, four
    depthwise-separable blocks (3 x 3 depthwise + 1 x 1 pointwise, 64 channels, batch norm and ReLU
    after each), average pooling over the whole map and a 12-way classifier."""
    import keras

    layers = keras.layers
    inputs = keras.Input((49, 10, 1), batch_size=1)
    x = layers.Conv2D(64, (10, 4), strides=(2, 2), padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for _ in range(4):
        x = layers.DepthwiseConv2D((3, 3), padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Conv2D(64, (1, 1), use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.AveragePooling2D(pool_size=(25, 5))(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(12, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def image_cnn() -> object:
    """A small 32 x 32 RGB classifier: three 3 x 3 convolutions (16, 32, 32 channels) with pooling, global
    average pooling and 10 classes."""
    import keras

    layers = keras.layers
    inputs = keras.Input((32, 32, 3), batch_size=1)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def ad_autoencoder() -> object:
    """MLPerf Tiny anomaly detection: 640 log-mel values in (5 frames x 128 bands), dense 128-128-128-128,
    an 8-unit bottleneck, dense 128-128-128-128 and 640 out; batch norm and ReLU after each hidden layer."""
    import keras

    layers = keras.layers
    inputs = keras.Input((640,), batch_size=1)
    x = inputs
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    outputs = layers.Dense(640)(x)
    return keras.Model(inputs, outputs)


REFERENCE_MODELS = (
    BenchModel("imu-conv1d", "IMU 1-D CNN, 100x6 in, 4 classes", imu_conv1d, (100, 6)),
    BenchModel("kws-ds-cnn", "MLPerf Tiny KWS DS-CNN, 49x10 MFCC, 64 ch", kws_ds_cnn, (49, 10, 1)),
    BenchModel("image-cnn", "32x32x3 CNN 16-32-32, 10 classes", image_cnn, (32, 32, 3)),
    BenchModel("ad-autoencoder", "MLPerf Tiny AD FC autoencoder, 640 in/out", ad_autoencoder, (640,)),
)


def multiply_accumulates(model: object) -> int:
    """MACs of one inference: convolutions, depthwise convolutions and dense layers (the int8 work)."""
    import keras

    total = 0
    for layer in model.layers:  # type: ignore[attr-defined]
        out_shape = tuple(layer.output.shape[1:])
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            total += _product(out_shape) * _product(layer.kernel_size)
        elif isinstance(layer, keras.layers.Conv2D | keras.layers.Conv1D):
            in_channels = layer.input.shape[-1]
            total += _product(out_shape) * _product(layer.kernel_size) * in_channels
        elif isinstance(layer, keras.layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return total


def _product(values: tuple[int, ...]) -> int:
    result = 1
    for value in values:
        result *= int(value)
    return result
