"""The MLPerf Tiny reference architectures, rebuilt in Keras from their published descriptions
(untrained: random weights are enough for memory and parity figures).

    kws_ds_cnn()        keyword spotting DS-CNN, 49x10x1 MFCC input, 12 classes
    vww_mobilenet_v1()  visual wake words MobileNetV1 alpha 0.25, 96x96x3, 2 classes
    ic_resnet8()        image classification ResNet-8, 32x32x3, 10 classes
    ad_autoencoder()    anomaly detection fully-connected autoencoder, 640 inputs
"""

from __future__ import annotations

import keras

L = keras.layers


def _bn_relu(x: keras.KerasTensor) -> keras.KerasTensor:
    return L.ReLU()(L.BatchNormalization()(x))


def kws_ds_cnn() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (49, 10, 1)
    inp = keras.Input(shape, batch_size=1)
    x = _bn_relu(L.Conv2D(64, (10, 4), strides=(2, 2), padding="same")(inp))
    for _ in range(4):
        x = _bn_relu(L.DepthwiseConv2D(3, padding="same")(x))
        x = _bn_relu(L.Conv2D(64, 1)(x))
    x = L.AveragePooling2D(pool_size=(x.shape[1], x.shape[2]))(x)
    x = L.Dense(12, activation="softmax")(L.Flatten()(x))
    return keras.Model(inp, x), shape


def vww_mobilenet_v1() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (96, 96, 3)
    inp = keras.Input(shape, batch_size=1)
    x = _bn_relu(L.Conv2D(8, 3, strides=2, padding="same")(inp))
    for filters, stride in (
        (16, 1),
        (32, 2),
        (32, 1),
        (64, 2),
        (64, 1),
        (128, 2),
        *[(128, 1)] * 5,
        (256, 2),
        (256, 1),
    ):
        x = _bn_relu(L.DepthwiseConv2D(3, strides=stride, padding="same")(x))
        x = _bn_relu(L.Conv2D(filters, 1)(x))
    x = L.AveragePooling2D(pool_size=(x.shape[1], x.shape[2]))(x)
    x = L.Dense(2, activation="softmax")(L.Flatten()(x))
    return keras.Model(inp, x), shape


def ic_resnet8() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (32, 32, 3)
    inp = keras.Input(shape, batch_size=1)
    x = _bn_relu(L.Conv2D(16, 3, padding="same")(inp))
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        y = _bn_relu(L.Conv2D(filters, 3, strides=stride, padding="same")(x))
        y = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(y))
        shortcut = x if stride == 1 else L.Conv2D(filters, 1, strides=stride)(x)
        x = L.ReLU()(L.Add()([shortcut, y]))
    x = L.AveragePooling2D(pool_size=(x.shape[1], x.shape[2]))(x)
    x = L.Dense(10, activation="softmax")(L.Flatten()(x))
    return keras.Model(inp, x), shape


def ad_autoencoder() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (640,)
    inp = keras.Input(shape, batch_size=1)
    x = inp
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        x = _bn_relu(L.Dense(units)(x))
    return keras.Model(inp, L.Dense(640)(x)), shape


REFERENCE_MODELS = {
    "kws_ds_cnn": kws_ds_cnn,
    "vww_mobilenet_v1": vww_mobilenet_v1,
    "ic_resnet8": ic_resnet8,
    "ad_autoencoder": ad_autoencoder,
}
