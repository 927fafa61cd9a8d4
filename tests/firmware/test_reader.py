"""The flatbuffer reader: what it extracts from a real converter output."""

from __future__ import annotations

from collections.abc import Callable

from firmware.tflite import read_model
from firmware.tflite.schema import TensorType
from tests.firmware.factories import Factory, conv1d_global_average_pool_1d, dense_relu_dense_softmax


def test_dense_softmax_model_has_three_operators_in_order(tflite: Callable[[Factory], bytes]) -> None:
    model = read_model(tflite(dense_relu_dense_softmax))
    assert [op.name for op in model.operators] == ["FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"]
    assert model.subgraph_count == 1
    assert model.operators[0].options["fused_activation_function"] == 1  # RELU
    assert model.operators[2].options["beta"] == 1.0


def test_tensors_carry_shape_type_quantization_and_constant_data(tflite: Callable[[Factory], bytes]) -> None:
    model = read_model(tflite(dense_relu_dense_softmax))
    x = model.tensors[model.inputs[0]]
    assert x.shape == (1, 10)
    assert x.type == TensorType.INT8
    assert x.data is None
    assert x.quantization is not None and x.quantization.scale[0] > 0
    weights = model.tensors[model.operators[0].inputs[1]]
    assert weights.shape == (16, 10)
    assert weights.array().dtype.kind == "i" and weights.array().shape == (16, 10)
    assert weights.quantization is not None and len(weights.quantization.scale) in (1, 16)
    out = model.tensors[model.outputs[0]]
    assert out.quantization is not None
    assert out.quantization.zero_point == (-128,)


def test_conv1d_appears_as_reshape_conv_reshape_mean(tflite: Callable[[Factory], bytes]) -> None:
    model = read_model(tflite(conv1d_global_average_pool_1d))
    names = [op.name for op in model.operators]
    assert names[1] == "CONV_2D" and names[-1] == "MEAN"
    assert names[0] in ("RESHAPE", "EXPAND_DIMS")
    conv = model.operators[1]
    assert conv.options["stride_w"] == 2 and conv.options["padding"] == 1  # VALID
