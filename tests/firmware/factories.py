"""Small Keras models, one per operator behaviour under test, described in words by their names.

Each factory returns (model, input shape without batch). Conversion to full int8 happens in the
``tflite`` fixture, cached for the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

L = keras.layers
Factory = Callable[[], tuple[keras.Model, tuple[int, ...]]]


def quantizing_converter(model: keras.Model, shape: tuple[int, ...]) -> tf.lite.TFLiteConverter:
    """A converter set for int8 weights and activations (float I/O unless the caller changes it)."""

    def representative() -> Iterator[list[np.ndarray]]:
        rng = np.random.default_rng(0)
        for _ in range(16):
            yield [rng.standard_normal((1, *shape)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter


def _model(shape: tuple[int, ...], body: Callable[[keras.KerasTensor], keras.KerasTensor]) -> keras.Model:
    keras.utils.set_random_seed(7)
    inp = keras.Input(shape, batch_size=1)
    return keras.Model(inp, body(inp))


def dense_relu_dense_softmax() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (10,)
    return _model(shape, lambda x: L.Softmax()(L.Dense(4)(L.Dense(16, activation="relu")(x)))), shape


def conv_same_stride1_relu() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (9, 9, 3)
    return _model(shape, lambda x: L.Conv2D(6, 3, padding="same", activation="relu")(x)), shape


def conv_valid_stride2() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (11, 10, 2)
    return _model(shape, lambda x: L.Conv2D(5, 3, strides=2, padding="valid")(x)), shape


def conv_same_stride2_even_input() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (8, 8, 2)
    return _model(shape, lambda x: L.Conv2D(4, 4, strides=2, padding="same")(x)), shape


def conv_dilated_relu6() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (12, 12, 2)
    return _model(shape, lambda x: L.ReLU(6.0)(L.Conv2D(3, 3, dilation_rate=2, padding="same")(x))), shape


def conv_pointwise_1x1() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (6, 5, 7)
    return _model(shape, lambda x: L.Conv2D(9, 1)(x)), shape


def conv_grouped() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (7, 7, 4)
    return _model(shape, lambda x: L.Conv2D(6, 3, groups=2, padding="same")(x)), shape


def depthwise_multiplier2_stride2() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (10, 9, 3)
    return _model(
        shape, lambda x: L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same")(x)
    ), shape


def depthwise_dilated_valid_relu() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (11, 11, 4)
    return _model(shape, lambda x: L.ReLU()(L.DepthwiseConv2D(3, dilation_rate=2)(x))), shape


def max_pool_same_stride2() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (7, 7, 3)
    return _model(shape, lambda x: L.MaxPooling2D(3, strides=2, padding="same")(L.Conv2D(3, 1)(x))), shape


def average_pool_same_counts_only_inside_cells() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (7, 6, 2)
    return _model(shape, lambda x: L.AveragePooling2D(3, strides=2, padding="same")(L.Conv2D(2, 1)(x))), shape


def average_pool_valid() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (8, 8, 3)
    return _model(shape, lambda x: L.AveragePooling2D(2)(L.Conv2D(3, 1)(x))), shape


def global_average_pool_2d() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (6, 5, 4)
    return _model(shape, lambda x: L.GlobalAveragePooling2D()(L.Conv2D(4, 3, activation="relu")(x))), shape


def global_average_pool_2d_keepdims() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (6, 5, 4)
    return _model(shape, lambda x: L.GlobalAveragePooling2D(keepdims=True)(L.Conv2D(4, 3)(x))), shape


def conv1d_global_average_pool_1d() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (20, 3)
    body = lambda x: L.GlobalAveragePooling1D()(L.Conv1D(5, 3, strides=2, activation="relu")(x))  # noqa: E731
    return _model(shape, body), shape


def add_of_two_branches_relu() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (6, 6, 3)
    return _model(
        shape, lambda x: L.ReLU()(L.Add()([L.Conv2D(4, 1)(x), L.Conv2D(4, 3, padding="same")(x)]))
    ), shape


def add_broadcast_constant_per_channel() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (5, 4, 3)
    bias = np.linspace(-1.0, 1.5, 3, dtype=np.float32).reshape(1, 1, 1, 3)
    return _model(shape, lambda x: L.MaxPooling2D(2, strides=1)(x) + bias), shape


def mul_of_two_branches() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (12,)
    return _model(shape, lambda x: L.Multiply()([L.Dense(6)(x), L.Dense(6)(x)])), shape


def mul_broadcast_constant() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (4, 4, 2)
    gain = np.array([0.5, -2.0], dtype=np.float32).reshape(1, 1, 1, 2)
    return _model(shape, lambda x: L.MaxPooling2D(2, strides=1)(x) * gain), shape


def concatenate_channels() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (5, 5, 2)
    return _model(
        shape, lambda x: L.Concatenate()([L.Conv2D(3, 1)(x), L.Conv2D(2, 3, padding="same")(x)])
    ), shape


def zero_padding_asymmetric() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (5, 4, 2)
    return _model(shape, lambda x: L.ZeroPadding2D(((1, 2), (0, 1)))(L.Conv2D(2, 1)(x))), shape


def standalone_relu_after_concatenate() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (8,)
    return _model(shape, lambda x: L.ReLU()(L.Concatenate()([L.Dense(3)(x), L.Dense(4)(x)]))), shape


def logistic_output() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (16,)
    return _model(shape, lambda x: L.Activation("sigmoid")(L.Dense(8)(x))), shape


def tanh_output() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (16,)
    return _model(shape, lambda x: L.Activation("tanh")(L.Dense(8)(x))), shape


def softmax_over_last_axis_of_a_sequence() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (6, 5)
    return _model(shape, lambda x: L.Softmax(axis=-1)(L.Dense(7)(x))), shape


def flatten_then_dense() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (4, 4, 2)
    return _model(shape, lambda x: L.Dense(5)(L.Flatten()(L.Conv2D(3, 3)(x)))), shape


def conv_then_depthwise_then_pool() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (16, 12, 2)

    def body(x: keras.KerasTensor) -> keras.KerasTensor:
        x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        x = L.DepthwiseConv2D(3, padding="same", dilation_rate=2)(x)
        x = L.Conv2D(6, 3, strides=2, padding="same")(x)
        return L.Dense(3)(L.Flatten()(L.MaxPooling2D(2)(x)))

    return _model(shape, body), shape


def conv_then_strided_conv() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (16, 12, 2)

    def body(x: keras.KerasTensor) -> keras.KerasTensor:
        x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        x = L.Conv2D(6, 3, strides=2, padding="same")(x)
        return L.Dense(3)(L.Flatten()(L.MaxPooling2D(2)(x)))

    return _model(shape, body), shape


def depthwise_separable_stack() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (14, 10, 1)

    def body(x: keras.KerasTensor) -> keras.KerasTensor:
        x = L.Conv2D(12, (5, 3), strides=2, padding="same", activation="relu")(x)
        for _ in range(2):
            x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
            x = L.Conv2D(12, 1, activation="relu")(x)
        return L.Dense(4, activation="softmax")(L.GlobalAveragePooling2D()(x))

    return _model(shape, body), shape


def reshape_only_copies_input_to_output() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (4, 3)
    return _model(shape, lambda x: L.Reshape((12,))(x)), shape


def float_model() -> tuple[keras.Model, tuple[int, ...]]:
    return dense_relu_dense_softmax()


def subtract_branches() -> tuple[keras.Model, tuple[int, ...]]:
    shape = (8,)
    return _model(shape, lambda x: L.Subtract()([L.Dense(4)(x), L.Dense(4)(x)])), shape


OP_CASES: dict[str, Factory] = {
    f.__name__: f
    for f in (
        dense_relu_dense_softmax,
        conv_same_stride1_relu,
        conv_valid_stride2,
        conv_same_stride2_even_input,
        conv_dilated_relu6,
        conv_pointwise_1x1,
        conv_grouped,
        depthwise_multiplier2_stride2,
        depthwise_dilated_valid_relu,
        max_pool_same_stride2,
        average_pool_same_counts_only_inside_cells,
        average_pool_valid,
        global_average_pool_2d,
        global_average_pool_2d_keepdims,
        conv1d_global_average_pool_1d,
        add_of_two_branches_relu,
        add_broadcast_constant_per_channel,
        mul_of_two_branches,
        mul_broadcast_constant,
        concatenate_channels,
        zero_padding_asymmetric,
        standalone_relu_after_concatenate,
        logistic_output,
        tanh_output,
        softmax_over_last_axis_of_a_sequence,
        flatten_then_dense,
        reshape_only_copies_input_to_output,
        conv_then_depthwise_then_pool,
        depthwise_separable_stack,
        conv_then_strided_conv,
    )
}
