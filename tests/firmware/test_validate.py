"""Refusals: every model or operator outside what the compiler implements is rejected with a reason."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
import tensorflow as tf

from firmware.compiler import compile_model
from firmware.errors import InvalidModel, UnsupportedModel
from firmware.tflite import read_model, validate_model
from firmware.tflite.reader import TfliteModel
from firmware.tflite.schema import Activation, TensorType
from tests.firmware.factories import (
    Factory,
    dense_relu_dense_softmax,
    logistic_output,
    quantizing_converter,
    subtract_branches,
)


def _convert(factory: Factory, mode: str) -> bytes:
    model, shape = factory()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode == "dynamic_range":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif mode == "int16":
        converter = quantizing_converter(model, shape)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        ]
        converter.inference_input_type = tf.int16
        converter.inference_output_type = tf.int16
    return bytes(converter.convert())


def test_float_model_is_refused_with_advice_to_quantize_to_int8(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedModel, match="quantize to full int8"):
        compile_model(_convert(dense_relu_dense_softmax, "float"), tmp_path)
    assert not list(tmp_path.iterdir()), "nothing may be written for a refused model"


def test_dynamic_range_model_with_float_activations_is_refused() -> None:
    with pytest.raises(UnsupportedModel, match="float32"):
        validate_model(read_model(_convert(dense_relu_dense_softmax, "dynamic_range")))


def test_int16_activation_model_is_refused_naming_the_type() -> None:
    with pytest.raises(UnsupportedModel, match="INT16"):
        validate_model(read_model(_convert(logistic_output, "int16")))


def test_unsupported_operator_is_refused_naming_operator_and_index(
    tflite: Callable[[Factory], bytes],
) -> None:
    model = read_model(tflite(subtract_branches))
    sub_index = [op.name for op in model.operators].index("SUB")
    with pytest.raises(UnsupportedModel) as info:
        validate_model(model)
    assert info.value.operator == "SUB"
    assert info.value.index == sub_index
    assert "not supported" in info.value.reason


def test_bytes_that_are_not_a_tflite_file_are_invalid() -> None:
    with pytest.raises(InvalidModel, match="TFL3"):
        read_model(b"\x00" * 64)


def test_truncated_tflite_file_is_invalid(tflite: Callable[[Factory], bytes]) -> None:
    data = tflite(dense_relu_dense_softmax)
    with pytest.raises(InvalidModel):
        read_model(data[: len(data) // 3])


# Variants of a valid model, each breaking one thing the validator must notice.


def _fc_model(tflite: Callable[[Factory], bytes]) -> TfliteModel:
    return read_model(tflite(dense_relu_dense_softmax))


def _replace_op(model: TfliteModel, index: int, **changes: object) -> TfliteModel:
    ops = list(model.operators)
    ops[index] = dataclasses.replace(ops[index], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(model, operators=tuple(ops))


def _replace_tensor(model: TfliteModel, index: int, **changes: object) -> TfliteModel:
    tensors = list(model.tensors)
    tensors[index] = dataclasses.replace(tensors[index], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(model, tensors=tuple(tensors))


def test_fused_tanh_activation_is_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    options = {**model.operators[0].options, "fused_activation_function": Activation.TANH}
    with pytest.raises(UnsupportedModel, match="fused activation TANH"):
        validate_model(_replace_op(model, 0, options=options))


def test_shuffled_fully_connected_weights_are_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    options = {**model.operators[0].options, "weights_format": 1}
    with pytest.raises(UnsupportedModel, match="shuffled"):
        validate_model(_replace_op(model, 0, options=options))


def test_asymmetric_weights_are_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    filter_t = model.tensors[model.operators[0].inputs[1]]
    assert filter_t.quantization is not None
    q = dataclasses.replace(filter_t.quantization, zero_point=(3,) * len(filter_t.quantization.scale))
    with pytest.raises(UnsupportedModel, match="zero points must be 0"):
        validate_model(_replace_tensor(model, filter_t.index, quantization=q))


def test_activation_without_quantization_is_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    hidden = model.operators[0].outputs[0]
    with pytest.raises(UnsupportedModel, match="no quantization"):
        validate_model(_replace_tensor(model, hidden, quantization=None))


def test_uint8_activation_is_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    hidden = model.operators[0].outputs[0]
    with pytest.raises(UnsupportedModel, match="UINT8"):
        validate_model(_replace_tensor(model, hidden, type=TensorType.UINT8))


def test_softmax_output_with_wrong_scale_is_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    out = model.outputs[0]
    q = model.tensors[out].quantization
    assert q is not None
    with pytest.raises(UnsupportedModel, match="scale 1/256"):
        validate_model(_replace_tensor(model, out, quantization=dataclasses.replace(q, scale=(0.5,))))


def test_custom_operator_is_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    with pytest.raises(UnsupportedModel, match="custom operators"):
        validate_model(_replace_op(model, 2, custom_code="MyOp"))


def test_second_model_input_is_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    with pytest.raises(UnsupportedModel, match="single-input"):
        validate_model(dataclasses.replace(model, inputs=(*model.inputs, model.operators[0].outputs[0])))


def test_sparse_weights_are_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    filter_index = model.operators[0].inputs[1]
    with pytest.raises(UnsupportedModel, match="sparse"):
        validate_model(_replace_tensor(model, filter_index, has_sparsity=True))


def test_batch_of_two_is_refused_for_convolution(tflite: Callable[[Factory], bytes]) -> None:
    from tests.firmware.factories import conv_same_stride1_relu

    model = read_model(tflite(conv_same_stride1_relu))
    x = model.operators[0].inputs[0]
    shape = model.tensors[x].shape
    with pytest.raises(UnsupportedModel, match="batch 2"):
        validate_model(_replace_tensor(model, x, shape=(2, *shape[1:])))


def test_options_of_another_operator_are_refused(tflite: Callable[[Factory], bytes]) -> None:
    model = _fc_model(tflite)
    with pytest.raises(UnsupportedModel, match="builtin options of type 5"):
        validate_model(_replace_op(model, 0, options_type=5))
