"""Checks that a parsed model is inside what the compiler implements, before any code is generated.

Every refusal is an ``UnsupportedModel`` naming the operator, its index and what is missing, so a
user can see which layer to change. The lowering step relies on these checks having passed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from firmware.errors import UnsupportedModel
from firmware.tflite.reader import Operator, Tensor, TfliteModel
from firmware.tflite.schema import (
    OPTIONS_TYPE_BY_OPERATOR,
    Activation,
    Padding,
    TensorType,
    operator_code,
    tensor_type_name,
)

FLOAT_MODEL_HINT = (
    "float models are not supported: quantize to full int8 (TFLiteConverter with a representative "
    "dataset, supported_ops=[TFLITE_BUILTINS_INT8], inference_input_type=inference_output_type=tf.int8)"
)

_FUSABLE = {Activation.NONE, Activation.RELU, Activation.RELU6, Activation.RELU_N1_TO_1}


def op_code(name: str) -> int:
    return operator_code(name)


def out_size(padding: int, in_size: int, filter_size: int, stride: int, dilation: int) -> int:
    """Output length along one axis, as TFLite defines SAME and VALID."""
    effective = (filter_size - 1) * dilation + 1
    if padding == Padding.SAME:
        return (in_size + stride - 1) // stride
    return (in_size + stride - effective) // stride


def pad_before(in_size: int, filter_size: int, stride: int, dilation: int, out: int) -> int:
    """Implicit padding before the first row/column (TFLite puts the odd extra cell after)."""
    effective = (filter_size - 1) * dilation + 1
    return max((out - 1) * stride + effective - in_size, 0) // 2


def _activation_name(value: int) -> str:
    try:
        return Activation(value).name
    except ValueError:
        return str(value)


class _Check:
    """Validation context for one operator."""

    def __init__(self, model: TfliteModel, op: Operator) -> None:
        self.model = model
        self.op = op

    def fail(self, reason: str) -> UnsupportedModel:
        return UnsupportedModel(self.op.name, self.op.index, reason)

    def tensor(self, position: int, *, output: bool = False) -> Tensor:
        ids = self.op.outputs if output else self.op.inputs
        kind = "output" if output else "input"
        if position >= len(ids) or ids[position] < 0:
            raise self.fail(f"missing {kind} {position}")
        return self.model.tensors[ids[position]]

    def optional(self, position: int) -> Tensor | None:
        ids = self.op.inputs
        return self.model.tensors[ids[position]] if position < len(ids) and ids[position] >= 0 else None

    def count(self, inputs: int | tuple[int, int], outputs: int = 1) -> None:
        lo, hi = (inputs, inputs) if isinstance(inputs, int) else inputs
        if not lo <= len(self.op.inputs) <= hi:
            raise self.fail(f"expects {inputs} inputs, has {len(self.op.inputs)}")
        if len(self.op.outputs) != outputs:
            raise self.fail(f"expects {outputs} output(s), has {len(self.op.outputs)}")

    def int8_activation(self, t: Tensor, what: str) -> None:
        if t.type == TensorType.FLOAT32:
            raise self.fail(f"{what} {t.name!r} is float32; {FLOAT_MODEL_HINT}")
        if t.type != TensorType.INT8:
            raise self.fail(f"{what} {t.name!r} has type {tensor_type_name(t.type)}; only int8 activations")
        q = t.quantization
        if q is None:
            raise self.fail(f"{what} {t.name!r} has no quantization parameters")
        if q.per_channel:
            raise self.fail(f"{what} {t.name!r} is quantized per channel; activations must be per tensor")
        if not q.scale[0] > 0.0:
            raise self.fail(f"{what} {t.name!r} has a non-positive scale {q.scale[0]}")
        if not -128 <= q.zero_point[0] <= 127:
            raise self.fail(f"{what} {t.name!r} has zero point {q.zero_point[0]} outside int8")

    def constant(self, t: Tensor, what: str, dtype: TensorType) -> None:
        if t.data is None:
            raise self.fail(f"{what} {t.name!r} must be a constant tensor")
        if t.type != dtype:
            raise self.fail(f"{what} {t.name!r} has type {tensor_type_name(t.type)}; expected {dtype.name}")
        if len(t.data) != t.size * {TensorType.INT8: 1, TensorType.INT32: 4}[dtype]:
            raise self.fail(f"{what} {t.name!r} holds {len(t.data)} bytes for shape {t.shape}")

    def activation(self, key: str = "fused_activation_function") -> None:
        act = self.op.options.get(key, 0)
        if act not in _FUSABLE:
            raise self.fail(
                f"fused activation {_activation_name(act)} is not supported (NONE, RELU, RELU6, RELU_N1_TO_1)"
            )

    def same_quant(self, a: Tensor, b: Tensor) -> None:
        qa, qb = a.quantization, b.quantization
        assert qa is not None and qb is not None
        if qa.scale[0] != qb.scale[0] or qa.zero_point[0] != qb.zero_point[0]:
            raise self.fail(
                f"input and output quantization differ ({qa.scale[0]}, {qa.zero_point[0]}) vs "
                f"({qb.scale[0]}, {qb.zero_point[0]}); this op does not rescale"
            )

    def options_present(self) -> None:
        if not self.op.options:
            raise self.fail(f"builtin options of type {self.op.options_type} do not belong to this operator")

    def weights(
        self, filter_t: Tensor, bias: Tensor | None, channels: int, channel_dim: int, input_t: Tensor
    ) -> None:
        self.constant(filter_t, "filter", TensorType.INT8)
        q = filter_t.quantization
        if q is None:
            raise self.fail("filter has no quantization parameters")
        if any(z != 0 for z in q.zero_point):
            raise self.fail("filter zero points must be 0 (symmetric int8 weights)")
        if any(not s > 0.0 for s in q.scale):
            raise self.fail("filter scales must be positive")
        if q.per_channel and (len(q.scale) != channels or q.quantized_dimension != channel_dim):
            raise self.fail(
                f"per-channel filter has {len(q.scale)} scales on dimension "
                f"{q.quantized_dimension}; expected {channels} on dimension {channel_dim}"
            )
        if bias is not None:
            self.constant(bias, "bias", TensorType.INT32)
            if bias.size != channels:
                raise self.fail(f"bias has {bias.size} entries for {channels} output channels")


def _check_conv(c: _Check, depthwise: bool) -> None:
    c.count((2, 3))
    c.options_present()
    x, w, y = c.tensor(0), c.tensor(1), c.tensor(0, output=True)
    c.int8_activation(x, "input")
    c.int8_activation(y, "output")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        raise c.fail("input, filter and output must be 4-D (NHWC)")
    if x.shape[0] != 1:
        raise c.fail(f"batch {x.shape[0]}; only batch 1 is supported")
    o = c.op.options
    if o["stride_h"] < 1 or o["stride_w"] < 1 or o["dilation_h_factor"] < 1 or o["dilation_w_factor"] < 1:
        raise c.fail("strides and dilations must be >= 1")
    if o["padding"] not in (Padding.SAME, Padding.VALID):
        raise c.fail(f"padding {o['padding']} is not SAME or VALID")
    c.activation()
    out_c = y.shape[3]
    if depthwise:
        m = o["depth_multiplier"] or (out_c // x.shape[3] if x.shape[3] else 0)
        if w.shape[0] != 1 or w.shape[3] != out_c or x.shape[3] * m != out_c:
            raise c.fail(f"depthwise filter {w.shape} does not match input {x.shape} and output {y.shape}")
        c.weights(w, c.optional(2), out_c, 3, x)
    else:
        if (
            w.shape[0] != out_c
            or w.shape[3] < 1
            or x.shape[3] % w.shape[3]
            or out_c % (x.shape[3] // w.shape[3])
        ):
            raise c.fail(f"filter {w.shape} does not match input {x.shape} and output {y.shape}")
        c.weights(w, c.optional(2), out_c, 0, x)
    for axis, key in ((1, "h"), (2, "w")):
        expect = out_size(
            o["padding"], x.shape[axis], w.shape[axis], o[f"stride_{key}"], o[f"dilation_{key}_factor"]
        )
        if y.shape[axis] != expect:
            raise c.fail(f"output {'height' if axis == 1 else 'width'} {y.shape[axis]} != expected {expect}")


def _check_fully_connected(c: _Check) -> None:
    c.count((2, 3))
    x, w, y = c.tensor(0), c.tensor(1), c.tensor(0, output=True)
    c.int8_activation(x, "input")
    c.int8_activation(y, "output")
    o = c.op.options
    if o.get("weights_format", 0) != 0:
        raise c.fail("shuffled weights format is not supported")
    if len(w.shape) != 2:
        raise c.fail(f"filter must be 2-D, is {w.shape}")
    c.activation()
    units, depth = w.shape
    if depth == 0 or x.size % depth:
        raise c.fail(f"input size {x.size} is not a multiple of the filter depth {depth}")
    if y.size != x.size // depth * units:
        raise c.fail(f"output {y.shape} does not match {x.size // depth} rows of {units} units")
    c.weights(w, c.optional(2), units, 0, x)


def _check_pool(c: _Check) -> None:
    c.count(1)
    c.options_present()
    x, y = c.tensor(0), c.tensor(0, output=True)
    c.int8_activation(x, "input")
    c.int8_activation(y, "output")
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != 1:
        raise c.fail("pooling needs 4-D NHWC tensors with batch 1")
    c.same_quant(x, y)
    c.activation()
    o = c.op.options
    if min(o["stride_h"], o["stride_w"], o["filter_height"], o["filter_width"]) < 1:
        raise c.fail("strides and filter sizes must be >= 1")
    for axis, s, f in ((1, "stride_h", "filter_height"), (2, "stride_w", "filter_width")):
        expect = out_size(o["padding"], x.shape[axis], o[f], o[s], 1)
        if y.shape[axis] != expect:
            raise c.fail(f"output shape {y.shape} does not match the pooling geometry")


def _check_mean(c: _Check) -> None:
    c.count(2)
    x, axes, y = c.tensor(0), c.tensor(1), c.tensor(0, output=True)
    c.int8_activation(x, "input")
    c.int8_activation(y, "output")
    c.constant(axes, "axis", TensorType.INT32)
    if len(x.shape) > 4:
        raise c.fail(f"input rank {len(x.shape)} > 4")
    reduced = set()
    for a in axes.array().reshape(-1):
        if not -len(x.shape) <= int(a) < len(x.shape):
            raise c.fail(f"axis {int(a)} out of range for rank {len(x.shape)}")
        reduced.add(int(a) % len(x.shape))
    kept = [d for i, d in enumerate(x.shape) if i not in reduced]
    if y.size != (int(np.prod(kept)) if kept else 1):
        raise c.fail(f"output {y.shape} does not match input {x.shape} averaged over axes {sorted(reduced)}")


def _check_elementwise(c: _Check) -> None:
    c.count(2)
    a, b, y = c.tensor(0), c.tensor(1), c.tensor(0, output=True)
    for t, what in ((a, "input 0"), (b, "input 1")):
        if t.data is not None:
            c.constant(t, what, TensorType.INT8)
        c.int8_activation(t, what)
    c.int8_activation(y, "output")
    c.activation()
    if max(len(a.shape), len(b.shape), len(y.shape)) > 4:
        raise c.fail("broadcasting is supported up to 4 dimensions")
    ra, rb = (1,) * (4 - len(a.shape)) + a.shape, (1,) * (4 - len(b.shape)) + b.shape
    ry = (1,) * (4 - len(y.shape)) + y.shape
    for da, db, dy in zip(ra, rb, ry, strict=True):
        if da not in (1, dy) or db not in (1, dy) or max(da, db) != dy:
            raise c.fail(f"shapes {a.shape} and {b.shape} do not broadcast to {y.shape}")


def _check_unary(c: _Check) -> None:
    c.count(1)
    x, y = c.tensor(0), c.tensor(0, output=True)
    c.int8_activation(x, "input")
    c.int8_activation(y, "output")
    if x.size != y.size:
        raise c.fail(f"input {x.shape} and output {y.shape} differ in size")


def _check_softmax(c: _Check) -> None:
    _check_unary(c)
    y = c.tensor(0, output=True)
    q = y.quantization
    assert q is not None
    if q.zero_point[0] != -128 or abs(q.scale[0] - 1.0 / 256) > 1e-3 / 256:
        raise c.fail("int8 softmax output must have scale 1/256 and zero point -128")
    if not c.op.options.get("beta", 0.0) > 0.0:
        raise c.fail("softmax beta must be positive")


def _check_logistic(c: _Check) -> None:
    _check_unary(c)
    q = c.tensor(0, output=True).quantization
    assert q is not None
    if q.zero_point[0] != -128 or abs(q.scale[0] - 1.0 / 256) > 1e-3 / 256:
        raise c.fail("int8 logistic output must have scale 1/256 and zero point -128")


def _check_tanh(c: _Check) -> None:
    _check_unary(c)
    q = c.tensor(0, output=True).quantization
    assert q is not None
    if q.zero_point[0] != 0 or abs(q.scale[0] - 1.0 / 128) > 1e-3 / 128:
        raise c.fail("int8 tanh output must have scale 1/128 and zero point 0")


def _check_reshape_like(c: _Check) -> None:
    c.count((1, 2))
    x, y = c.tensor(0), c.tensor(0, output=True)
    c.int8_activation(x, "input")
    c.int8_activation(y, "output")
    if x.size != y.size:
        raise c.fail(f"input {x.shape} and output {y.shape} hold different numbers of elements")


def _check_concat(c: _Check) -> None:
    if not c.op.inputs or len(c.op.outputs) != 1:
        raise c.fail("needs at least one input and one output")
    y = c.tensor(0, output=True)
    c.int8_activation(y, "output")
    c.activation()
    if c.op.options.get("fused_activation_function", 0) != Activation.NONE:
        raise c.fail("fused activation on concatenation is not supported")
    axis = c.op.options.get("axis", 0)
    rank = len(y.shape)
    if not -rank <= axis < rank:
        raise c.fail(f"axis {axis} out of range for rank {rank}")
    axis %= rank
    total = 0
    for i in range(len(c.op.inputs)):
        x = c.tensor(i)
        if x.data is not None:
            c.constant(x, f"input {i}", TensorType.INT8)
        c.int8_activation(x, f"input {i}")
        c.same_quant(x, y)
        if len(x.shape) != rank or any(x.shape[d] != y.shape[d] for d in range(rank) if d != axis):
            raise c.fail(f"input {i} shape {x.shape} does not fit output {y.shape} on axis {axis}")
        total += x.shape[axis]
    if total != y.shape[axis]:
        raise c.fail(f"inputs add up to {total} on axis {axis}, output has {y.shape[axis]}")


def _check_pad(c: _Check) -> None:
    c.count(2)
    x, p, y = c.tensor(0), c.tensor(1), c.tensor(0, output=True)
    c.int8_activation(x, "input")
    c.int8_activation(y, "output")
    c.same_quant(x, y)
    if p.data is None or p.type != TensorType.INT32:
        raise c.fail("paddings must be a constant int32 tensor (int64 paddings are not supported)")
    if len(x.shape) > 4 or p.shape != (len(x.shape), 2):
        raise c.fail(f"paddings {p.shape} do not match input rank {len(x.shape)} (max 4)")
    pads = p.array()
    if (pads < 0).any():
        raise c.fail("negative paddings")
    if tuple(int(s + a + b) for s, (a, b) in zip(x.shape, pads, strict=True)) != y.shape:
        raise c.fail(f"output {y.shape} does not match padded input")


def _check_quantize(c: _Check) -> None:
    c.count(1)
    x, y = c.tensor(0), c.tensor(0, output=True)
    boundary_in = x.index in c.model.inputs and x.type == TensorType.FLOAT32
    if boundary_in:
        c.int8_activation(y, "output")
        return
    c.int8_activation(x, "input")
    c.int8_activation(y, "output")


def _check_dequantize(c: _Check) -> None:
    c.count(1)
    x, y = c.tensor(0), c.tensor(0, output=True)
    if y.index not in c.model.outputs or y.type != TensorType.FLOAT32 or x.data is not None:
        raise c.fail(f"DEQUANTIZE is only supported on the model output; {FLOAT_MODEL_HINT}")
    c.int8_activation(x, "input")


_CHECKS: dict[str, Callable[[_Check], None]] = {
    "CONV_2D": lambda c: _check_conv(c, depthwise=False),
    "DEPTHWISE_CONV_2D": lambda c: _check_conv(c, depthwise=True),
    "FULLY_CONNECTED": _check_fully_connected,
    "MAX_POOL_2D": _check_pool,
    "AVERAGE_POOL_2D": _check_pool,
    "MEAN": _check_mean,
    "ADD": _check_elementwise,
    "MUL": _check_elementwise,
    "RESHAPE": _check_reshape_like,
    "SQUEEZE": _check_reshape_like,
    "EXPAND_DIMS": _check_reshape_like,
    "SOFTMAX": _check_softmax,
    "LOGISTIC": _check_logistic,
    "TANH": _check_tanh,
    "RELU": _check_unary,
    "RELU6": _check_unary,
    "CONCATENATION": _check_concat,
    "PAD": _check_pad,
    "QUANTIZE": _check_quantize,
    "DEQUANTIZE": _check_dequantize,
}

SUPPORTED_OPERATORS = tuple(sorted(_CHECKS))


def validate_model(model: TfliteModel) -> None:
    """Raise UnsupportedModel for the first thing in ``model`` the compiler cannot compile exactly."""
    if model.subgraph_count != 1:
        raise UnsupportedModel(
            "model", -1, f"has {model.subgraph_count} subgraphs; control flow is not supported"
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedModel(
            "model",
            -1,
            f"has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            "only single-input, single-output models are supported",
        )
    if not model.operators:
        raise UnsupportedModel("model", -1, "has no operators")
    for t in model.tensors:
        if t.has_sparsity:
            raise UnsupportedModel(
                "model", -1, f"tensor {t.name!r} is sparse; sparse weights are not supported"
            )
        if t.is_variable:
            raise UnsupportedModel(
                "model", -1, f"tensor {t.name!r} is a variable (stateful models are not supported)"
            )
    for op in model.operators:
        if op.custom_code is not None:
            raise UnsupportedModel(op.name, op.index, "custom operators are not supported")
        check = _CHECKS.get(op.name)
        expected_options = OPTIONS_TYPE_BY_OPERATOR.get(op.name)
        if expected_options is not None and op.options_type not in (0, expected_options):
            raise UnsupportedModel(
                op.name,
                op.index,
                f"carries builtin options of type {op.options_type}, expected {expected_options}",
            )
        if check is None:
            raise UnsupportedModel(
                op.name, op.index, f"operator is not supported; supported: {', '.join(SUPPORTED_OPERATORS)}"
            )
        for t in op.inputs + op.outputs:
            if t >= 0 and model.tensors[t].shape and min(model.tensors[t].shape) < 1:
                raise UnsupportedModel(
                    op.name, op.index, f"tensor {model.tensors[t].name!r} has an empty or dynamic shape"
                )
        check(_Check(model, op))
    for io, what in ((model.inputs[0], "input"), (model.outputs[0], "output")):
        t = model.tensors[io]
        if t.type == TensorType.FLOAT32 and not _is_boundary(model, io):
            raise UnsupportedModel("model", -1, f"{what} {t.name!r} is float32; {FLOAT_MODEL_HINT}")
        if t.type not in (TensorType.INT8, TensorType.FLOAT32):
            raise UnsupportedModel(
                "model", -1, f"{what} {t.name!r} has type {tensor_type_name(t.type)}; only int8"
            )


def _is_boundary(model: TfliteModel, tensor: int) -> bool:
    """A float model input consumed only by QUANTIZE, or a float output produced by DEQUANTIZE."""
    q, dq = op_code("QUANTIZE"), op_code("DEQUANTIZE")
    users = [op for op in model.operators if tensor in op.inputs]
    producers = [op for op in model.operators if tensor in op.outputs]
    if tensor in model.inputs:
        return bool(users) and all(op.code == q for op in users)
    return len(producers) == 1 and producers[0].code == dq
