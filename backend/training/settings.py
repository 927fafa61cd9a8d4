"""Training settings: a learning block's parameters merged, validated and checked against the feature shape.

Pure functions (no database, no TensorFlow) shared by the service, the pages and the job, so the form,
the API and the worker refuse the same things with the same messages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backend.core.errors import InvalidInput
from workers.learn.architecture import ArchitectureError, layer_shapes, preset_layers, validate_layers
from workers.learn.blocks import LEARN_BLOCKS, InvalidParameter, LearnBlock

# Learning-block kinds the studio trains: networks exported to .tflite (classification, regression),
# and anomaly models kept as parameters (centroids or mixture components) the firmware evaluates.
TRAINABLE_KINDS = ("classifier", "regression", "anomaly")


@dataclass(frozen=True)
class ResolvedSettings:
    """Validated parameters, the model's input shape and the hidden layers with their output shapes."""

    block: LearnBlock
    params: dict[str, Any]
    input_shape: tuple[int, ...]
    layers: list[dict[str, Any]]
    shapes: list[tuple[int, ...]]


def learn_block(block_type: str) -> LearnBlock:
    block = LEARN_BLOCKS.get(block_type)
    if block is None:
        raise InvalidInput(f"Unknown learning block type {block_type!r}.", field="learn_block")
    if block.kind not in TRAINABLE_KINDS:
        raise InvalidInput(
            f"The studio trains classification and anomaly blocks; {block.title!r} cannot be trained "
            "here yet.",
            field="learn_block",
        )
    return block


def _validated(block: LearnBlock, values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return block.validate_params(values)
    except InvalidParameter as exc:
        raise InvalidInput(f"{exc.parameter}: {exc.reason}", field=exc.parameter) from exc


def model_input_shape(feature_shape: Sequence[int] | None, n_features: int) -> tuple[int, ...]:
    """The shape the network takes: the processing blocks' layout when it holds exactly the features."""
    if feature_shape and len(feature_shape) > 1 and math.prod(feature_shape) == n_features:
        return tuple(int(d) for d in feature_shape)
    return (int(n_features),)


def resolve(
    block_type: str,
    base: Mapping[str, Any],
    overrides: Mapping[str, Any],
    input_shape: Sequence[int],
) -> ResolvedSettings:
    """Merge the impulse's block parameters with the requested ones and check the whole network.

    Raises ``InvalidInput`` naming the field: a parameter out of range, a preset that does not fit
    the features, or a layer whose input shape it cannot take.
    """
    block = learn_block(block_type)
    values = {**base, **overrides}
    shape = tuple(int(d) for d in input_shape)
    if block.kind == "anomaly":
        return ResolvedSettings(block, _validated(block, values), shape, [], [])
    # A [frames, axes] layout already says how many values make a frame; use it unless the request
    # says otherwise (the impulse's stored value is the block default, chosen without the layout).
    if "channels" not in overrides and len(shape) == 2:
        values["channels"] = shape[1]
    if values.get("layers") in ("", []):
        values["layers"] = None
    params = _validated(block, values)
    # The trainer lays flat features out as [frames, channels] for augmentation, whatever the network.
    if len(shape) == 1 and shape[0] % params["channels"]:
        raise InvalidInput(
            f"channels: {shape[0]} features do not split into frames of {params['channels']} channels",
            field="channels",
        )
    if params["architecture"] == "custom":
        layers = params["layers"]
    else:
        try:
            layers = preset_layers(params["architecture"], shape, params["channels"])
        except ArchitectureError as exc:
            raise InvalidInput(f"architecture: {exc}", field="architecture") from exc
    # A preset that cannot take these features is the architecture's fault, not the layer table's.
    shapes = check_layers(layers, shape, "layers" if params["architecture"] == "custom" else "architecture")
    return ResolvedSettings(block, params, shape, layers, shapes)


def check_layers(layers: Any, input_shape: Sequence[int], field: str = "layers") -> list[tuple[int, ...]]:
    """Output shape of each hidden layer, refusing a stack that cannot end in the output layer."""
    try:
        clean = validate_layers(layers)
        shapes = layer_shapes(clean, tuple(input_shape))
    except ArchitectureError as exc:
        raise InvalidInput(f"{field}: {exc}", field=field) from exc
    last = shapes[-1] if shapes else tuple(input_shape)
    if len(last) != 1:
        raise InvalidInput(
            f"{field}: the last layer gives shape {list(last)}; add Flatten or GlobalAveragePooling "
            "before the output layer",
            field=field,
        )
    return shapes


def layer_table(layers: Any, input_shape: Sequence[int]) -> tuple[list[dict[str, Any]], str | None]:
    """Rows for the layer editor: each layer with its output shape (None from the first misfit on),
    and the first problem found. Rows that do not validate are kept as typed so they can be fixed."""
    rows: list[dict[str, Any]] = []
    problem: str | None = None
    clean: list[dict[str, Any]] = []
    for layer in layers if isinstance(layers, list) else []:
        shape = None
        if problem is None:
            try:
                checked = validate_layers([*clean, layer])[-1]
                shape = list(layer_shapes([*clean, checked], tuple(input_shape))[-1])
                clean.append(checked)
                layer = checked
            except ArchitectureError as exc:
                problem = str(exc)
        rows.append({"layer": layer, "shape": shape})
    if problem is None:
        try:
            check_layers(clean, input_shape)
        except InvalidInput as exc:
            problem = exc.message
    return rows, problem
