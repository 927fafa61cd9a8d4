"""Neural-network architectures as JSON-able layer lists, their presets, and the Keras model they build.

The studio's layer editor edits the list; ``validate_layers`` checks each layer's fields and
``layer_shapes`` walks the shapes so a wrong stack is refused with the layer index and a reason
before Keras ever sees it. Keras is imported only by ``build_model``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import keras

Shape = tuple[int, ...]

ACTIVATIONS = ("linear", "relu", "relu6", "tanh", "sigmoid")
PRESETS = ("dense", "conv1d", "conv2d")


class ArchitectureError(ValueError):
    """A layer list is malformed or does not fit the input shape; the message names the layer."""


@dataclass(frozen=True)
class _Field:
    kind: Literal["int", "float", "pair", "select", "shape"]
    default: Any = None
    minimum: float = 0
    maximum: float = 0
    options: tuple[str, ...] = ()
    required: bool = False


def _int(lo: int, hi: int, default: int | None = None) -> _Field:
    return _Field("int", default, lo, hi, required=default is None)


def _pair(lo: int, hi: int, default: int | None = None) -> _Field:
    return _Field("pair", default, lo, hi, required=default is None)


_ACT = _Field("select", "relu", options=ACTIVATIONS)
_PAD = _Field("select", "same", options=("same", "valid"))
_POOL_PAD = _Field("select", "valid", options=("same", "valid"))

# Field tables per layer type: the editor's form and the validation read the same data. A pool's
# strides of 0 means "the pool size", as in Keras.
LAYER_FIELDS: dict[str, dict[str, _Field]] = {
    "Dense": {"units": _int(1, 4096), "activation": _ACT},
    "Conv1D": {
        "filters": _int(1, 1024),
        "kernel": _int(1, 64, 3),
        "strides": _int(1, 16, 1),
        "padding": _PAD,
        "activation": _ACT,
    },
    "Conv2D": {
        "filters": _int(1, 1024),
        "kernel": _pair(1, 64, 3),
        "strides": _pair(1, 16, 1),
        "padding": _PAD,
        "activation": _ACT,
    },
    "DepthwiseConv2D": {
        "kernel": _pair(1, 64, 3),
        "strides": _pair(1, 16, 1),
        "padding": _PAD,
        "depth_multiplier": _int(1, 16, 1),
        "activation": _ACT,
    },
    "MaxPool1D": {"pool": _int(1, 64, 2), "strides": _int(0, 64, 0), "padding": _POOL_PAD},
    "AvgPool1D": {"pool": _int(1, 64, 2), "strides": _int(0, 64, 0), "padding": _POOL_PAD},
    "MaxPool2D": {"pool": _pair(1, 64, 2), "strides": _pair(0, 64, 0), "padding": _POOL_PAD},
    "AvgPool2D": {"pool": _pair(1, 64, 2), "strides": _pair(0, 64, 0), "padding": _POOL_PAD},
    "GlobalAveragePooling": {},
    "Dropout": {"rate": _Field("float", 0.25, 0.0, 0.9)},
    "Flatten": {},
    "Reshape": {"target": _Field("shape", required=True)},
    "BatchNormalization": {},
}

# Layers whose weights a following BatchNormalization is folded into at conversion.
_FOLDABLE = ("Dense", "Conv1D", "Conv2D", "DepthwiseConv2D")


def _check_field(where: str, name: str, field: _Field, value: Any) -> Any:
    def fail(reason: str) -> ArchitectureError:
        return ArchitectureError(f"{where}: field '{name}' {reason}")

    def whole(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise fail(f"must be a whole number, got {v!r}")
        if not (field.minimum <= v <= field.maximum):
            raise fail(f"must be between {field.minimum:g} and {field.maximum:g}, got {v}")
        return v

    if field.kind == "int":
        return whole(value)
    if field.kind == "pair":
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise fail(f"must be a number or a pair [rows, columns], got {value!r}")
            return [whole(value[0]), whole(value[1])]
        return [whole(value), whole(value)]
    if field.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise fail(f"must be a number, got {value!r}")
        if not (field.minimum <= value <= field.maximum):
            raise fail(f"must be between {field.minimum:g} and {field.maximum:g}, got {value}")
        return float(value)
    if field.kind == "select":
        if value is None and "linear" in field.options:
            return "linear"
        if value not in field.options:
            raise fail(f"must be one of {', '.join(field.options)}, got {value!r}")
        return value
    # shape: a Reshape target, positive sizes with at most one -1 to infer.
    if not isinstance(value, list | tuple) or not value:
        raise fail(f"must be a list of sizes, got {value!r}")
    sizes = list(value)
    if any(isinstance(s, bool) or not isinstance(s, int) or (s < 1 and s != -1) for s in sizes):
        raise fail(f"sizes must be positive whole numbers (or one -1), got {value!r}")
    if sizes.count(-1) > 1:
        raise fail("may infer at most one size (-1)")
    if len(sizes) > 3:
        raise fail("must have at most 3 dimensions")
    return list(sizes)


def validate_layers(layers: Any) -> list[dict[str, Any]]:
    """Check each layer's type and fields; return the list with defaults filled in.

    Shape-dependent checks (a Conv1D on a flat vector, a pool larger than its input) need the input
    shape and happen in ``layer_shapes``.
    """
    if not isinstance(layers, list | tuple):
        raise ArchitectureError(f"layers must be a list, got {type(layers).__name__}")
    out: list[dict[str, Any]] = []
    for index, layer in enumerate(layers):
        if not isinstance(layer, Mapping) or not isinstance(layer.get("type"), str):
            raise ArchitectureError(f"layer {index}: must be an object with a 'type', got {layer!r}")
        kind = layer["type"]
        where = f"layer {index} ({kind})"
        if kind not in LAYER_FIELDS:
            raise ArchitectureError(
                f"layer {index}: unknown type {kind!r} (known: {', '.join(LAYER_FIELDS)})"
            )
        fields = LAYER_FIELDS[kind]
        unknown = sorted(set(layer) - set(fields) - {"type"})
        if unknown:
            raise ArchitectureError(
                f"{where}: unknown field '{unknown[0]}' (known: {', '.join(fields) or 'none'})"
            )
        clean: dict[str, Any] = {"type": kind}
        for name, field in fields.items():
            if name in layer:
                clean[name] = _check_field(where, name, field, layer[name])
            elif field.required:
                raise ArchitectureError(f"{where}: field '{name}' is required")
            else:
                clean[name] = _check_field(where, name, field, field.default)
        if kind == "BatchNormalization" and (not out or out[-1]["type"] not in _FOLDABLE):
            raise ArchitectureError(
                f"{where}: must follow a Dense or convolution layer, so that it can be folded into its weights"
            )
        out.append(clean)
    return out


def _conv_len(size: int, kernel: int, stride: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel) // stride + 1


def layer_shapes(layers: Sequence[Mapping[str, Any]], input_shape: Shape) -> list[Shape]:
    """The output shape (without batch) of each layer, or ``ArchitectureError`` naming the first misfit."""
    shape: Shape = tuple(int(d) for d in input_shape)
    if not shape or any(d < 1 for d in shape):
        raise ArchitectureError(f"input shape must be positive sizes, got {input_shape!r}")
    shapes: list[Shape] = []
    for index, layer in enumerate(validate_layers(list(layers))):
        kind = layer["type"]
        where = f"layer {index} ({kind})"

        def need_rank(
            rank: int, what: str, kind: str = kind, where: str = where, shape: Shape = shape
        ) -> None:
            if len(shape) != rank:
                hint = (
                    " (add a Reshape first)"
                    if len(shape) < rank
                    else " (add Flatten or GlobalAveragePooling first)"
                )
                raise ArchitectureError(f"{where} needs a {what} input, got shape {list(shape)}{hint}")

        if kind == "Dense":
            need_rank(1, "flat")
            shape = (layer["units"],)
        elif kind in ("Conv1D", "MaxPool1D", "AvgPool1D"):
            need_rank(2, "[frames, channels]")
            kernel = layer.get("kernel", layer.get("pool"))
            stride = layer["strides"] or kernel
            if layer["padding"] == "valid" and shape[0] < kernel:
                raise ArchitectureError(
                    f"{where}: window {kernel} is longer than the {shape[0]} frames it gets"
                )
            channels = layer["filters"] if kind == "Conv1D" else shape[1]
            shape = (_conv_len(shape[0], kernel, stride, layer["padding"]), channels)
        elif kind in ("Conv2D", "DepthwiseConv2D", "MaxPool2D", "AvgPool2D"):
            need_rank(3, "[height, width, channels]")
            kernel = layer.get("kernel", layer.get("pool"))
            strides = [s or k for s, k in zip(layer["strides"], kernel, strict=True)]
            if layer["padding"] == "valid" and (shape[0] < kernel[0] or shape[1] < kernel[1]):
                raise ArchitectureError(
                    f"{where}: window {kernel} is larger than its input {list(shape[:2])}"
                )
            if kind == "Conv2D":
                channels = layer["filters"]
            elif kind == "DepthwiseConv2D":
                channels = shape[2] * layer["depth_multiplier"]
            else:
                channels = shape[2]
            shape = (
                _conv_len(shape[0], kernel[0], strides[0], layer["padding"]),
                _conv_len(shape[1], kernel[1], strides[1], layer["padding"]),
                channels,
            )
        elif kind == "GlobalAveragePooling":
            if len(shape) not in (2, 3):
                raise ArchitectureError(
                    f"{where} needs a [frames, channels] or image input, got {list(shape)}"
                )
            shape = (shape[-1],)
        elif kind == "Flatten":
            shape = (math.prod(shape),)
        elif kind == "Reshape":
            target = list(layer["target"])
            size = math.prod(shape)
            known = math.prod(t for t in target if t != -1)
            if -1 in target:
                if size % known:
                    raise ArchitectureError(f"{where}: cannot reshape {size} values to {target}")
                target[target.index(-1)] = size // known
            if math.prod(target) != size:
                raise ArchitectureError(f"{where}: cannot reshape {size} values to {target}")
            shape = tuple(target)
        # Dropout and BatchNormalization keep the shape.
        shapes.append(shape)
    return shapes


def preset_layers(name: str, input_shape: Shape, channels: int = 1) -> list[dict[str, Any]]:
    """The hidden layers of a preset for features of ``input_shape``.

    ``channels`` is the number of values per frame in a flat feature vector (axes, or coefficients):
    ``conv1d`` sees it as [frames, channels] time series, ``conv2d`` as a [frames, channels] image.
    """
    size = math.prod(input_shape)
    flat = len(input_shape) == 1
    if name == "dense":
        return ([] if flat else [{"type": "Flatten"}]) + [
            {"type": "Dense", "units": 20, "activation": "relu"},
            {"type": "Dense", "units": 10, "activation": "relu"},
        ]
    if name not in ("conv1d", "conv2d"):
        raise ArchitectureError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
    if flat and size % channels:
        raise ArchitectureError(f"{size} features do not split into frames of {channels} channels")
    if name == "conv1d":
        head = [{"type": "Reshape", "target": [size // channels, channels]}] if flat else []
        return head + [
            {"type": "Conv1D", "filters": 8, "kernel": 3, "padding": "same", "activation": "relu"},
            {"type": "MaxPool1D", "pool": 2, "padding": "same"},
            {"type": "Conv1D", "filters": 16, "kernel": 3, "padding": "same", "activation": "relu"},
            {"type": "MaxPool1D", "pool": 2, "padding": "same"},
            {"type": "Flatten"},
            {"type": "Dropout", "rate": 0.25},
        ]
    head = [{"type": "Reshape", "target": [size // channels, channels, 1]}] if len(input_shape) != 3 else []
    return head + [
        {"type": "Conv2D", "filters": 8, "kernel": 3, "padding": "same", "activation": "relu"},
        {"type": "MaxPool2D", "pool": 2, "padding": "same"},
        {"type": "Conv2D", "filters": 16, "kernel": 3, "padding": "same", "activation": "relu"},
        {"type": "MaxPool2D", "pool": 2, "padding": "same"},
        {"type": "Flatten"},
        {"type": "Dropout", "rate": 0.25},
    ]


@dataclass(frozen=True)
class ModelOutput:
    """What the output layer predicts: ``units`` class probabilities or ``units`` regression values."""

    kind: Literal["classification", "regression"]
    units: int


def build_model(layers: Sequence[Mapping[str, Any]], input_shape: Shape, output: ModelOutput) -> keras.Model:
    """Build the Keras model for ``layers`` on features of ``input_shape``, with its output layer.

    The batch dimension is left free for training; ``export.export_tflite`` fixes it to 1. A
    BatchNormalization after a layer with an activation is built as layer (linear) → BN →
    activation, the order in which the converter folds BN into the layer's weights and bias.
    """
    import keras

    clean = validate_layers(list(layers))
    shapes = layer_shapes(clean, input_shape)
    if output.units < 1:
        raise ArchitectureError(f"the output needs at least one unit, got {output.units}")
    if shapes and len(shapes[-1]) != 1:
        raise ArchitectureError(
            f"the last layer gives shape {list(shapes[-1])}; add Flatten or GlobalAveragePooling before the output"
        )
    if not shapes and len(input_shape) != 1:
        raise ArchitectureError(f"input shape {list(input_shape)} needs Flatten before the output")

    inputs = keras.Input(shape=tuple(input_shape), name="features")
    x = inputs
    for index, layer in enumerate(clean):
        kind = layer["type"]
        name = f"{kind.lower()}_{index}"
        followed_by_bn = index + 1 < len(clean) and clean[index + 1]["type"] == "BatchNormalization"
        activation = layer.get("activation", "linear")
        # Defer the activation past the BN so that BN sits right after the weights and folds away.
        act_here = "linear" if followed_by_bn else activation
        if kind == "Dense":
            x = keras.layers.Dense(layer["units"], activation=act_here, name=name)(x)
        elif kind == "Conv1D":
            x = keras.layers.Conv1D(
                layer["filters"],
                layer["kernel"],
                layer["strides"],
                layer["padding"],
                activation=act_here,
                name=name,
            )(x)
        elif kind == "Conv2D":
            x = keras.layers.Conv2D(
                layer["filters"],
                tuple(layer["kernel"]),
                tuple(layer["strides"]),
                layer["padding"],
                activation=act_here,
                name=name,
            )(x)
        elif kind == "DepthwiseConv2D":
            x = keras.layers.DepthwiseConv2D(
                tuple(layer["kernel"]),
                tuple(layer["strides"]),
                layer["padding"],
                depth_multiplier=layer["depth_multiplier"],
                activation=act_here,
                name=name,
            )(x)
        elif kind in ("MaxPool1D", "AvgPool1D"):
            cls = keras.layers.MaxPooling1D if kind == "MaxPool1D" else keras.layers.AveragePooling1D
            x = cls(layer["pool"], layer["strides"] or None, layer["padding"], name=name)(x)
        elif kind in ("MaxPool2D", "AvgPool2D"):
            cls = keras.layers.MaxPooling2D if kind == "MaxPool2D" else keras.layers.AveragePooling2D
            strides = tuple(s or p for s, p in zip(layer["strides"], layer["pool"], strict=True))
            x = cls(tuple(layer["pool"]), strides, layer["padding"], name=name)(x)
        elif kind == "GlobalAveragePooling":
            rank = len(shapes[index - 1]) if index else len(input_shape)
            cls = keras.layers.GlobalAveragePooling1D if rank == 2 else keras.layers.GlobalAveragePooling2D
            x = cls(name=name)(x)
        elif kind == "Dropout":
            x = keras.layers.Dropout(layer["rate"], name=name)(x)
        elif kind == "Flatten":
            x = keras.layers.Flatten(name=name)(x)
        elif kind == "Reshape":
            x = keras.layers.Reshape(shapes[index], name=name)(x)
        elif kind == "BatchNormalization":
            x = keras.layers.BatchNormalization(name=name)(x)
            previous = clean[index - 1].get("activation", "linear")
            if previous != "linear":
                x = keras.layers.Activation(previous, name=f"{name}_activation")(x)
    head = "softmax" if output.kind == "classification" else "linear"
    outputs = keras.layers.Dense(output.units, activation=head, name="output")(x)
    return keras.Model(inputs, outputs, name="moteforge")
