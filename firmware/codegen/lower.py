"""Lowering: one validated TFLite operator becomes one kernel call with all parameters precomputed.

This is the Prepare half of the runtime. Each ``lower_*`` function turns an operator into a
``Layer``: the C parameter structs (as ``static const`` initialisers), the constant arrays it needs,
and the call statement with ``$t<id>`` placeholders the emitter replaces by buffer addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from firmware.codegen.quantization import (
    activation_range,
    float32,
    frexp_multiplier,
    input_radius,
    mean_multiplier,
    per_channel_multipliers,
    quantize_float32,
    quantize_multiplier,
)
from firmware.errors import UnsupportedModel
from firmware.tflite.reader import Operator, Tensor, TfliteModel
from firmware.tflite.schema import Activation, TensorType
from firmware.tflite.validate import pad_before


@dataclass(frozen=True)
class ConstArray:
    """A constant array emitted into model.c."""

    name: str
    ctype: str  # "int8_t" or "int32_t"
    values: tuple[int, ...]


@dataclass(frozen=True)
class Rows:
    """How a spatial layer (conv, depthwise, pool) runs on a band of its output rows, so that two
    such layers can execute band by band without the whole intermediate tensor existing at once."""

    stride: int
    pad: int  # rows of padding before the input
    extent: int  # input rows one output row reads (the dilated filter height)
    in_h: int
    in_row_bytes: int
    out_h: int
    out_row_bytes: int
    function: str  # C definition of ``l<i>_rows(input, input_first_row, output, row_begin, row_end)``


def _rows_function(p: str, params_type: str, in_row_bytes: int, extent: int, call: str) -> str:
    """A static C function running layer ``p`` for output rows [row_begin, row_end) only.

    The input slab is cut to the rows those outputs read and the padding adjusted, so the kernel
    sees a smaller image with the same arithmetic: every output is computed exactly as in a full run.
    """
    return (
        f"static mf_status {p}_rows(const int8_t *input, int32_t input_first_row, int8_t *output,\n"
        f"                          int32_t row_begin, int32_t row_end)\n"
        "{\n"
        f"    {params_type} params = {p}_params;\n"
        f"    mf_dims in_dims = {p}_in_dims;\n"
        f"    mf_dims out_dims = {p}_out_dims;\n"
        "    const int32_t top = row_begin * params.stride_h - params.pad_h; /* may be in the padding */\n"
        f"    const int32_t bottom = (row_end - 1) * params.stride_h - params.pad_h + {extent};\n"
        "    const int32_t first = top < 0 ? 0 : top;\n"
        "    const int32_t last = bottom < in_dims.h ? bottom : in_dims.h;\n"
        "    params.pad_h = first - top;\n"
        "    in_dims.h = last > first ? last - first : 0;\n"
        "    out_dims.h = row_end - row_begin;\n"
        f"    return {call.replace('$src', f'input + (first - input_first_row) * {in_row_bytes}')};\n"
        "}"
    )


@dataclass
class Layer:
    """One step of the generated invoke function."""

    op_index: int
    op_name: str
    kernel: str | None  # None: the output aliases input 0 (reshape-like), no code runs
    inputs: tuple[int, ...]  # activation tensors read, in argument order
    output: int
    comment: str
    statics: list[str] = field(default_factory=list)  # C definitions at file scope
    consts: list[ConstArray] = field(default_factory=list)
    call: str = ""  # C statement(s) with $t<id> placeholders
    in_place: int | None = None  # index in ``inputs`` whose memory the output may reuse
    rows: Rows | None = None  # set for layers that can run on bands of output rows


@dataclass
class LoweredModel:
    layers: list[Layer]
    input_tensor: int  # the int8 tensor the device API reads (after a float boundary QUANTIZE)
    output_tensor: int  # the int8 tensor the device API writes (before a float boundary DEQUANTIZE)
    tensors: tuple[Tensor, ...]


def _dims4(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    s = (1,) * (4 - len(shape)) + tuple(shape)
    return s[0], s[1], s[2], s[3]


def _dims_struct(name: str, d: tuple[int, ...]) -> str:
    n, h, w, c = (int(v) for v in d)
    return _struct("mf_dims", name, n=n, h=h, w=w, c=c)


def _c_dims(d: tuple[int, ...]) -> str:
    return "{" + ", ".join(str(int(v)) for v in d) + "}"


def _struct(ctype: str, name: str, **fields: object) -> str:
    """A ``static const`` struct with designated initializers, so each value is named in the C."""

    def value(v: object) -> str:
        return _c_dims(v) if isinstance(v, list | tuple) else str(v)

    parts = [f".{key} = {value(v)}" for key, v in fields.items()]
    one_line = f"static const {ctype} {name} = {{{', '.join(parts)}}};"
    if len(one_line) <= 110:
        return one_line
    return f"static const {ctype} {name} = {{\n" + "".join(f"    {part},\n" for part in parts) + "};"


def _scale(t: Tensor) -> float:
    assert t.quantization is not None
    return t.quantization.scale[0]


def _zp(t: Tensor) -> int:
    assert t.quantization is not None
    return t.quantization.zero_point[0]


def _shape_str(t: Tensor) -> str:
    return "x".join(str(d) for d in t.shape) or "scalar"


class _Lowering:
    def __init__(self, model: TfliteModel) -> None:
        self.model = model
        self.tensors = model.tensors

    def t(self, op: Operator, i: int) -> Tensor:
        return self.tensors[op.inputs[i]]

    def out(self, op: Operator) -> Tensor:
        return self.tensors[op.outputs[0]]

    def layer(self, op: Operator, kernel: str | None, inputs: tuple[int, ...], detail: str = "") -> Layer:
        shapes = ", ".join(
            _shape_str(self.tensors[i]) for i in op.inputs if i >= 0 and self.tensors[i].data is None
        )
        comment = f"#{op.index} {op.name}: {shapes} -> {_shape_str(self.out(op))}"
        if detail:
            comment += f" ({detail})"
        return Layer(op.index, op.name, kernel, inputs, op.outputs[0], comment)

    def operand(self, layer: Layer, tensor_id: int) -> str:
        """A C expression for an input: a placeholder for activations, an array for constants."""
        t = self.tensors[tensor_id]
        if t.data is None:
            return f"$t{tensor_id}"
        name = f"c{tensor_id}"
        if all(c.name != name for c in layer.consts):
            layer.consts.append(ConstArray(name, "int8_t", tuple(int(v) for v in t.array().reshape(-1))))
        return name

    def quant_struct(self, layer: Layer, mults: list[int], shifts: list[int]) -> str:
        p = f"l{layer.op_index}"
        layer.consts.append(ConstArray(f"{p}_mult", "int32_t", tuple(mults)))
        layer.consts.append(ConstArray(f"{p}_shift", "int32_t", tuple(shifts)))
        layer.statics.append(
            _struct(
                "mf_quant",
                f"{p}_quant",
                multiplier=f"{p}_mult",
                shift=f"{p}_shift",
                per_channel=int(len(mults) > 1),
            )
        )
        return f"&{p}_quant"

    # --- operators -------------------------------------------------------------------------

    def conv(self, op: Operator, depthwise: bool) -> Layer:
        x, w, y = self.t(op, 0), self.t(op, 1), self.out(op)
        bias = self.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        o = op.options
        _, ih, iw, _ = _dims4(x.shape)
        _, kh, kw, _ = w.shape
        _, oh, ow, oc = y.shape
        pad_h = pad_before(ih, kh, o["stride_h"], o["dilation_h_factor"], oh)
        pad_w = pad_before(iw, kw, o["stride_w"], o["dilation_w_factor"], ow)
        act_min, act_max = activation_range(o["fused_activation_function"], _scale(y), _zp(y))
        assert w.quantization is not None
        scales = w.quantization.scale if w.quantization.per_channel else w.quantization.scale * oc
        mults, shifts = per_channel_multipliers(_scale(x), scales, _scale(y))
        multiplier = x.shape[3] and oc // x.shape[3]
        kernel = "mf_depthwise_conv2d_s8" if depthwise else "mf_conv2d_s8"
        detail = (
            f"filter {kh}x{kw}, stride {o['stride_h']}x{o['stride_w']}, dilation "
            f"{o['dilation_h_factor']}x{o['dilation_w_factor']}, pad {pad_h},{pad_w}, "
            f"{Activation(o['fused_activation_function']).name.lower()}"
        )
        layer = self.layer(op, kernel, (op.inputs[0],), detail)
        p = f"l{op.index}"
        layer.statics.append(
            _struct(
                "mf_conv_params",
                f"{p}_params",
                input_offset=-_zp(x),
                output_offset=_zp(y),
                stride_h=o["stride_h"],
                stride_w=o["stride_w"],
                dilation_h=o["dilation_h_factor"],
                dilation_w=o["dilation_w_factor"],
                pad_h=pad_h,
                pad_w=pad_w,
                depth_multiplier=multiplier if depthwise else 1,
                act_min=act_min,
                act_max=act_max,
            )
        )
        quant = self.quant_struct(layer, mults, shifts)
        layer.consts.append(ConstArray(f"{p}_filter", "int8_t", tuple(int(v) for v in w.array().reshape(-1))))
        bias_name = "0"
        if bias is not None:
            layer.consts.append(
                ConstArray(f"{p}_bias", "int32_t", tuple(int(v) for v in bias.array().reshape(-1)))
            )
            bias_name = f"{p}_bias"
        layer.statics.append(_dims_struct(f"{p}_in_dims", _dims4(x.shape)))
        layer.statics.append(_dims_struct(f"{p}_filter_dims", w.shape))
        layer.statics.append(_dims_struct(f"{p}_out_dims", y.shape))
        layer.call = (
            f"{kernel}(&{p}_params, {quant}, &{p}_in_dims, $t{op.inputs[0]}, &{p}_filter_dims, {p}_filter, "
            f"{bias_name}, &{p}_out_dims, $t{op.outputs[0]})"
        )
        extent = (kh - 1) * o["dilation_h_factor"] + 1
        row_call = f"{kernel}(&params, {quant}, &in_dims, $src, &{p}_filter_dims, {p}_filter, {bias_name}, &out_dims, output)"
        layer.rows = self.rows(p, "mf_conv_params", x, y, o["stride_h"], pad_h, extent, row_call)
        return layer

    def rows(
        self, p: str, params_type: str, x: Tensor, y: Tensor, stride: int, pad: int, extent: int, call: str
    ) -> Rows:
        in_row, out_row = x.shape[2] * x.shape[3], y.shape[2] * y.shape[3]
        return Rows(
            stride=stride,
            pad=pad,
            extent=extent,
            in_h=x.shape[1],
            in_row_bytes=in_row,
            out_h=y.shape[1],
            out_row_bytes=out_row,
            function=_rows_function(p, params_type, in_row, extent, call),
        )

    def fully_connected(self, op: Operator) -> Layer:
        x, w, y = self.t(op, 0), self.t(op, 1), self.out(op)
        bias = self.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        units, depth = w.shape
        rows = x.size // depth
        act_min, act_max = activation_range(op.options["fused_activation_function"], _scale(y), _zp(y))
        assert w.quantization is not None
        mults, shifts = per_channel_multipliers(_scale(x), w.quantization.scale, _scale(y))
        weights = w.array().astype(np.int64)
        # Fold the input zero point into the bias: sum((x - zp) * w) = sum(x * w) - zp * sum(w).
        folded = (bias.array().astype(np.int64) if bias is not None else np.zeros(units, np.int64)) - _zp(
            x
        ) * weights.sum(axis=1)
        if np.abs(folded).max(initial=0) >= 2**31:
            raise UnsupportedModel(op.name, op.index, "bias with the folded zero point overflows int32")
        act = Activation(op.options["fused_activation_function"]).name.lower()
        layer = self.layer(op, "mf_fully_connected_s8", (op.inputs[0],), f"{units} units, {act}")
        p = f"l{op.index}"
        layer.statics.append(
            _struct("mf_fc_params", f"{p}_params", output_offset=_zp(y), act_min=act_min, act_max=act_max)
        )
        quant = self.quant_struct(layer, mults, shifts)
        layer.consts.append(ConstArray(f"{p}_filter", "int8_t", tuple(int(v) for v in w.array().reshape(-1))))
        layer.consts.append(ConstArray(f"{p}_bias", "int32_t", tuple(int(v) for v in folded)))
        layer.statics.append(_dims_struct(f"{p}_in_dims", (rows, 1, 1, depth)))
        layer.statics.append(_dims_struct(f"{p}_filter_dims", (units, 1, 1, depth)))
        layer.statics.append(_dims_struct(f"{p}_out_dims", (rows, 1, 1, units)))
        layer.call = (
            f"mf_fully_connected_s8(&{p}_params, {quant}, &{p}_in_dims, $t{op.inputs[0]}, &{p}_filter_dims, "
            f"{p}_filter, {p}_bias, &{p}_out_dims, $t{op.outputs[0]})"
        )
        return layer

    def pool(self, op: Operator, kernel: str) -> Layer:
        x, y = self.t(op, 0), self.out(op)
        o = op.options
        _, ih, iw, _ = x.shape
        _, oh, ow, _ = y.shape
        pad_h = pad_before(ih, o["filter_height"], o["stride_h"], 1, oh)
        pad_w = pad_before(iw, o["filter_width"], o["stride_w"], 1, ow)
        act_min, act_max = activation_range(o["fused_activation_function"], _scale(y), _zp(y))
        detail = f"window {o['filter_height']}x{o['filter_width']}, stride {o['stride_h']}x{o['stride_w']}"
        layer = self.layer(op, kernel, (op.inputs[0],), detail)
        p = f"l{op.index}"
        layer.statics.append(
            _struct(
                "mf_pool_params",
                f"{p}_params",
                stride_h=o["stride_h"],
                stride_w=o["stride_w"],
                filter_h=o["filter_height"],
                filter_w=o["filter_width"],
                pad_h=pad_h,
                pad_w=pad_w,
                act_min=act_min,
                act_max=act_max,
            )
        )
        layer.statics.append(_dims_struct(f"{p}_in_dims", x.shape))
        layer.statics.append(_dims_struct(f"{p}_out_dims", y.shape))
        layer.call = (
            f"{kernel}(&{p}_params, &{p}_in_dims, $t{op.inputs[0]}, &{p}_out_dims, $t{op.outputs[0]})"
        )
        row_call = f"{kernel}(&params, &in_dims, $src, &out_dims, output)"
        layer.rows = self.rows(p, "mf_pool_params", x, y, o["stride_h"], pad_h, o["filter_height"], row_call)
        return layer

    def elementwise(self, op: Operator, kernel: str) -> Layer:
        a, b, y = self.t(op, 0), self.t(op, 1), self.out(op)
        out_dims = _dims4(y.shape)

        def strides(t: Tensor) -> list[int]:
            dims = _dims4(t.shape)
            contiguous = [int(np.prod(dims[d + 1 :])) for d in range(4)]
            return [0 if dims[d] == 1 and out_dims[d] != 1 else contiguous[d] for d in range(4)]

        act_min, act_max = activation_range(op.options["fused_activation_function"], _scale(y), _zp(y))
        if kernel == "mf_add_s8":
            left_shift = 20
            twice_max = 2.0 * max(_scale(a), _scale(b))
            m1, s1 = quantize_multiplier(_scale(a) / twice_max)
            m2, s2 = quantize_multiplier(_scale(b) / twice_max)
            mo, so = quantize_multiplier(twice_max / ((1 << left_shift) * _scale(y)))
        else:
            left_shift, m1, s1, m2, s2 = 0, 0, 0, 0, 0
            mo, so = quantize_multiplier(_scale(a) * _scale(b) / _scale(y))
        activation = Activation(op.options["fused_activation_function"]).name.lower()
        layer = self.layer(
            op, kernel, tuple(i for i in op.inputs if self.tensors[i].data is None), activation
        )
        p = f"l{op.index}"
        sa, sb = strides(a), strides(b)
        layer.statics.append(
            _struct(
                "mf_elementwise_params",
                f"{p}_params",
                out_dims=out_dims,
                in1_stride=sa,
                in2_stride=sb,
                input1_offset=-_zp(a),
                input2_offset=-_zp(b),
                output_offset=_zp(y),
                left_shift=left_shift,
                input1_multiplier=m1,
                input1_shift=s1,
                input2_multiplier=m2,
                input2_shift=s2,
                output_multiplier=mo,
                output_shift=so,
                act_min=act_min,
                act_max=act_max,
            )
        )
        ia, ib = self.operand(layer, op.inputs[0]), self.operand(layer, op.inputs[1])
        layer.call = f"{kernel}(&{p}_params, {ia}, {ib}, $t{op.outputs[0]})"
        # In place over an input that is not broadcast (its strides are the output's own).
        full = [int(np.prod(out_dims[d + 1 :])) for d in range(4)]
        for tid, s in zip(op.inputs, (sa, sb), strict=True):
            if self.tensors[tid].data is None and s == full:
                layer.in_place = layer.inputs.index(tid)
                break
        return layer

    def softmax(self, op: Operator) -> Layer:
        x = self.t(op, 0)
        beta = float32(op.options["beta"])
        real = min(beta * _scale(x) * float(1 << (31 - 5)), float((1 << 31) - 1))
        mult, shift = quantize_multiplier(real)
        diff_min = -input_radius(5, shift)
        depth = x.shape[-1]
        layer = self.layer(op, "mf_softmax_s8", (op.inputs[0],), f"beta {beta:g}")
        p = f"l{op.index}"
        layer.statics.append(
            _struct(
                "mf_softmax_params",
                f"{p}_params",
                rows=x.size // depth,
                depth=depth,
                input_multiplier=mult,
                input_left_shift=shift,
                diff_min=diff_min,
            )
        )
        layer.call = f"mf_softmax_s8(&{p}_params, $t{op.inputs[0]}, $t{op.outputs[0]})"
        layer.in_place = 0
        return layer

    def fixed_point_activation(self, op: Operator, kernel: str) -> Layer:
        x = self.t(op, 0)
        mult, shift = frexp_multiplier(_scale(x) * float(1 << (31 - 4)))
        radius = input_radius(4, shift)
        layer = self.layer(op, kernel, (op.inputs[0],))
        p = f"l{op.index}"
        layer.statics.append(
            _struct(
                "mf_activation_params",
                f"{p}_params",
                size=x.size,
                input_zero_point=_zp(x),
                input_range_radius=radius,
                input_multiplier=mult,
                input_left_shift=shift,
            )
        )
        layer.call = f"{kernel}(&{p}_params, $t{op.inputs[0]}, $t{op.outputs[0]})"
        layer.in_place = 0
        return layer

    def requantize(
        self, op: Operator, mult: int, shift: int, in_zp: int, out_zp: int, lo: int, hi: int
    ) -> Layer:
        x = self.t(op, 0)
        layer = self.layer(op, "mf_requantize_s8", (op.inputs[0],))
        p = f"l{op.index}"
        layer.statics.append(
            _struct(
                "mf_requantize_params",
                f"{p}_params",
                size=x.size,
                input_zero_point=in_zp,
                output_zero_point=out_zp,
                multiplier=mult,
                shift=shift,
                act_min=lo,
                act_max=hi,
            )
        )
        layer.call = f"mf_requantize_s8(&{p}_params, $t{op.inputs[0]}, $t{op.outputs[0]})"
        layer.in_place = 0
        return layer

    def relu(self, op: Operator) -> Layer:
        x, y = self.t(op, 0), self.out(op)
        mult, shift = quantize_multiplier(_scale(x) / _scale(y))
        lo = max(-128, quantize_float32(0.0, _scale(y), _zp(y)))
        return self.requantize(op, mult, shift, _zp(x), _zp(y), lo, 127)

    def relu6(self, op: Operator) -> Layer:
        # TFLM clamps in the input's quantization and copies the raw values, whatever the output's
        # quantization; LiteRT rescales. TFLM is the reference, so no rescaling here either.
        x = self.t(op, 0)
        six = max(-128, min(127, quantize_float32(6.0, _scale(x), _zp(x))))
        # Multiplier 2^30 with shift 1 is exactly the identity.
        return self.requantize(op, 1 << 30, 1, 0, 0, _zp(x), six)

    def quantize(self, op: Operator) -> Layer:
        x, y = self.t(op, 0), self.out(op)
        if _scale(x) == _scale(y) and _zp(x) == _zp(y):
            return self.layer(op, None, (op.inputs[0],), "same quantization: alias")
        mult, shift = quantize_multiplier(_scale(x) / _scale(y))
        return self.requantize(op, mult, shift, _zp(x), _zp(y), -128, 127)

    def mean(self, op: Operator) -> Layer:
        x, axes, y = self.t(op, 0), self.t(op, 1), self.out(op)
        rank = len(x.shape)
        reduce = [0, 0, 0, 0]
        for a in axes.array().reshape(-1):
            reduce[4 - rank + int(a) % rank] = 1
        dims = _dims4(x.shape)
        count = int(np.prod([d for d, r in zip(dims, reduce, strict=True) if r])) if any(reduce) else 1
        mult, shift = mean_multiplier(_scale(x) / _scale(y), count)
        layer = self.layer(op, "mf_mean_s8", (op.inputs[0],), f"over {count} elements")
        p = f"l{op.index}"
        layer.statics.append(
            _struct(
                "mf_mean_params",
                f"{p}_params",
                in_dims=dims,
                reduce=reduce,
                count=count,
                input_zero_point=_zp(x),
                multiplier=mult,
                shift=shift,
                output_zero_point=_zp(y),
            )
        )
        layer.call = f"mf_mean_s8(&{p}_params, $t{op.inputs[0]}, $t{op.outputs[0]})"
        return layer

    def concat(self, op: Operator) -> Layer:
        y = self.out(op)
        axis = op.options.get("axis", 0) % len(y.shape)
        outer = int(np.prod(y.shape[:axis]))
        inner = [int(np.prod(self.tensors[i].shape[axis:])) for i in op.inputs]
        layer = self.layer(op, "mf_concat_s8", tuple(i for i in op.inputs if self.tensors[i].data is None))
        p = f"l{op.index}"
        layer.consts.append(ConstArray(f"{p}_inner", "int32_t", tuple(inner)))
        layer.statics.append(
            _struct(
                "mf_concat_params",
                f"{p}_params",
                outer=outer,
                num_inputs=len(op.inputs),
                inner_sizes=f"{p}_inner",
            )
        )
        operands = ", ".join(self.operand(layer, i) for i in op.inputs)
        layer.call = (
            f"{{\n        const int8_t *const inputs[{len(op.inputs)}] = {{{operands}}};\n"
            f"        st = mf_concat_s8(&{p}_params, inputs, $t{op.outputs[0]});\n    }}"
        )
        return layer

    def pad(self, op: Operator) -> Layer:
        x, pads, y = self.t(op, 0), self.t(op, 1), self.out(op)
        rank = len(x.shape)
        before = [0] * (4 - rank) + [int(v) for v in pads.array()[:, 0]]
        after = [0] * (4 - rank) + [int(v) for v in pads.array()[:, 1]]
        layer = self.layer(op, "mf_pad_s8", (op.inputs[0],))
        p = f"l{op.index}"
        layer.statics.append(
            _struct(
                "mf_pad_params",
                f"{p}_params",
                in_dims=_dims4(x.shape),
                before=before,
                after=after,
                pad_value=_zp(y),
            )
        )
        layer.call = f"mf_pad_s8(&{p}_params, $t{op.inputs[0]}, $t{op.outputs[0]})"
        return layer


_LOWER: dict[str, Callable[[_Lowering, Operator], Layer]] = {
    "CONV_2D": lambda s, op: s.conv(op, depthwise=False),
    "DEPTHWISE_CONV_2D": lambda s, op: s.conv(op, depthwise=True),
    "FULLY_CONNECTED": lambda s, op: s.fully_connected(op),
    "MAX_POOL_2D": lambda s, op: s.pool(op, "mf_max_pool2d_s8"),
    "AVERAGE_POOL_2D": lambda s, op: s.pool(op, "mf_avg_pool2d_s8"),
    "ADD": lambda s, op: s.elementwise(op, "mf_add_s8"),
    "MUL": lambda s, op: s.elementwise(op, "mf_mul_s8"),
    "SOFTMAX": lambda s, op: s.softmax(op),
    "LOGISTIC": lambda s, op: s.fixed_point_activation(op, "mf_logistic_s8"),
    "TANH": lambda s, op: s.fixed_point_activation(op, "mf_tanh_s8"),
    "RELU": lambda s, op: s.relu(op),
    "RELU6": lambda s, op: s.relu6(op),
    "QUANTIZE": lambda s, op: s.quantize(op),
    "MEAN": lambda s, op: s.mean(op),
    "CONCATENATION": lambda s, op: s.concat(op),
    "PAD": lambda s, op: s.pad(op),
    "RESHAPE": lambda s, op: s.layer(op, None, (op.inputs[0],), "alias, no copy"),
    "SQUEEZE": lambda s, op: s.layer(op, None, (op.inputs[0],), "alias, no copy"),
    "EXPAND_DIMS": lambda s, op: s.layer(op, None, (op.inputs[0],), "alias, no copy"),
}


def lower_model(model: TfliteModel) -> LoweredModel:
    """Turn a validated model into layers; float boundary QUANTIZE/DEQUANTIZE are folded into the API."""
    state = _Lowering(model)
    input_tensor, output_tensor = model.inputs[0], model.outputs[0]
    layers = []
    for op in model.operators:
        if op.name == "QUANTIZE" and model.tensors[op.inputs[0]].type == TensorType.FLOAT32:
            input_tensor = op.outputs[0]
            continue
        if op.name == "DEQUANTIZE":
            output_tensor = op.inputs[0]
            continue
        layers.append(_LOWER[op.name](state, op))
    return LoweredModel(layers, input_tensor, output_tensor, model.tensors)
