"""The block catalogue and the validation of an impulse design, free of the database.

Every refusal is an ``InvalidInput`` whose ``field`` is a dotted path that the API reports and the
studio form uses as its input names: ``input_block.window_ms``, ``dsp_blocks.dsp1.params.fft_length``,
``learn_blocks.learn1.inputs``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from backend.core.errors import InvalidInput
from workers.dsp import BLOCKS, InvalidParameter, feature_shape, validate_params
from workers.dsp import InvalidInput as InvalidWindow
from workers.learn.blocks import LEARN_BLOCKS
from workers.learn.blocks import InvalidParameter as InvalidLearnParameter
from workers.pipeline.windowing import WindowingError, frames_per_window, stride_frames

INPUT_TYPES = ("timeseries", "audio", "image")
RESIZE_MODES = ("squash", "fit-short", "fit-long")
COLOR_DEPTHS = ("rgb", "grayscale")
# The image block's own parameters mirror the image input block, which is their single source of truth.
IMAGE_INPUT_PARAMS = ("width", "height", "resize_mode", "color_depth")
MAX_BLOCKS = 8
MAX_AXES = 64
MAX_IMAGE_SIDE = 1024
# One window may not exceed this many frames (a minute of 16 kHz audio): beyond it feature generation
# would hold gigabytes for a modest dataset.
MAX_WINDOW_FRAMES = 1_000_000
MAX_FREQUENCY_HZ = 1_000_000.0
MAX_WINDOW_MS = 3_600_000.0
BLOCK_ID = re.compile(r"^[a-z][a-z0-9_-]{0,49}$")


def _number(value: Any, field: str, label: str, *, minimum: float, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{label} must be a number.", field=field)
    number = float(value)
    if not math.isfinite(number) or number < minimum or number > maximum:
        raise InvalidInput(f"{label} must be between {minimum:g} and {maximum:g}.", field=field)
    return number


def _whole(value: Any, field: str, label: str, *, minimum: int, maximum: int) -> int:
    number = _number(value, field, label, minimum=minimum, maximum=maximum)
    if not number.is_integer():
        raise InvalidInput(f"{label} must be a whole number.", field=field)
    return int(number)


def _choice(value: Any, field: str, label: str, options: Sequence[str]) -> str:
    if value not in options:
        raise InvalidInput(f"{label} must be one of: {', '.join(options)}.", field=field)
    return str(value)


def _pretty(number: float) -> float | int:
    # Keep whole numbers as ints in the stored JSON so "2000" round-trips as 2000, not 2000.0.
    return int(number) if float(number).is_integer() else float(number)


def validate_input_block(block: Mapping[str, Any]) -> dict[str, Any]:
    """The normalized input block, or ``InvalidInput`` naming the field."""
    kind = _choice(block.get("type"), "input_block.type", "The input type", INPUT_TYPES)
    if kind == "image":
        return {
            "type": "image",
            "width": _whole(
                block.get("width"), "input_block.width", "Image width", minimum=1, maximum=MAX_IMAGE_SIDE
            ),
            "height": _whole(
                block.get("height"), "input_block.height", "Image height", minimum=1, maximum=MAX_IMAGE_SIDE
            ),
            "resize_mode": _choice(
                block.get("resize_mode", "squash"), "input_block.resize_mode", "Resize mode", RESIZE_MODES
            ),
            "color_depth": _choice(
                block.get("color_depth", "rgb"), "input_block.color_depth", "Colour depth", COLOR_DEPTHS
            ),
        }
    window_ms = _number(
        block.get("window_ms"), "input_block.window_ms", "Window size", minimum=1e-3, maximum=MAX_WINDOW_MS
    )
    stride_ms = _number(
        block.get("stride_ms"),
        "input_block.stride_ms",
        "Window increase",
        minimum=1e-3,
        maximum=MAX_WINDOW_MS,
    )
    frequency = _number(
        block.get("frequency_hz"),
        "input_block.frequency_hz",
        "Frequency",
        minimum=1e-3,
        maximum=MAX_FREQUENCY_HZ,
    )
    zero_pad = block.get("zero_pad", True)
    if not isinstance(zero_pad, bool):
        raise InvalidInput("Zero padding must be true or false.", field="input_block.zero_pad")
    axes = block.get("axes")
    if not isinstance(axes, list) or not axes:
        raise InvalidInput("Choose at least one sensor axis.", field="input_block.axes")
    if len(axes) > MAX_AXES:
        raise InvalidInput(f"At most {MAX_AXES} axes are supported.", field="input_block.axes")
    names: list[str] = []
    for axis in axes:
        if not isinstance(axis, str) or not axis.strip():
            raise InvalidInput("Axis names must be non-empty text.", field="input_block.axes")
        if axis.strip() in names:
            raise InvalidInput(f"Axis '{axis}' is listed twice.", field="input_block.axes")
        names.append(axis.strip())
    if kind == "audio" and len(names) != 1:
        raise InvalidInput("An audio input takes exactly one axis.", field="input_block.axes")
    try:
        frames = frames_per_window(window_ms, frequency)
    except WindowingError as exc:
        raise InvalidInput(str(exc).capitalize() + ".", field="input_block.window_ms") from exc
    if frames > MAX_WINDOW_FRAMES:
        raise InvalidInput(
            f"A {window_ms:g} ms window at {frequency:g} Hz holds {frames} frames; "
            f"at most {MAX_WINDOW_FRAMES} are supported.",
            field="input_block.window_ms",
        )
    try:
        stride_frames(stride_ms, frequency)
    except WindowingError as exc:
        raise InvalidInput(str(exc).capitalize() + ".", field="input_block.stride_ms") from exc
    return {
        "type": kind,
        "window_ms": _pretty(window_ms),
        "stride_ms": _pretty(stride_ms),
        "frequency_hz": _pretty(frequency),
        "zero_pad": zero_pad,
        "axes": names,
    }


def window_input_shape(input_block: Mapping[str, Any]) -> tuple[int, ...]:
    """Shape of one window entering the processing blocks: ``[frames, axes]`` or ``[H, W, C]``."""
    if input_block["type"] == "image":
        channels = 3 if input_block["color_depth"] == "rgb" else 1
        return (input_block["height"], input_block["width"], channels)
    return (
        frames_per_window(input_block["window_ms"], input_block["frequency_hz"]),
        len(input_block["axes"]),
    )


def _block_id(raw: Any, prefix: str, index: int, seen: set[str]) -> str:
    block_id = raw if raw not in (None, "") else f"{prefix}{index + 1}"
    field = f"{'dsp_blocks' if prefix == 'dsp' else 'learn_blocks'}.{block_id}"
    if not isinstance(block_id, str) or not BLOCK_ID.match(block_id):
        raise InvalidInput(
            f"Block id {block_id!r} must start with a letter and use lowercase letters, digits, '-' or '_'.",
            field=f"{field}.id",
        )
    if block_id in seen:
        raise InvalidInput(f"Two blocks are named '{block_id}'.", field=f"{field}.id")
    seen.add(block_id)
    return block_id


def validate_dsp_block(
    raw: Mapping[str, Any], block_id: str, input_block: Mapping[str, Any]
) -> dict[str, Any]:
    """One processing block with its parameters checked against the input it will receive."""
    field = f"dsp_blocks.{block_id}"
    kind = raw.get("type")
    if kind not in BLOCKS:
        raise InvalidInput(
            f"Unknown processing block {kind!r} (known: {', '.join(BLOCKS)}).", field=f"{field}.type"
        )
    block = BLOCKS[kind]
    is_image = input_block["type"] == "image"
    if (block.input_kind == "image") != is_image:
        wanted = "an image" if block.input_kind == "image" else "a time-series or audio"
        raise InvalidInput(f"The {block.title} block needs {wanted} input.", field=f"{field}.type")
    params = dict(raw.get("params") or {})
    if is_image:
        params.update({name: input_block[name] for name in IMAGE_INPUT_PARAMS})
    if kind in ("mfcc", "mfe", "spectrogram") and len(input_block.get("axes", ())) != 1:
        raise InvalidInput(
            f"The {block.title} block takes exactly one axis; the input has {len(input_block['axes'])}.",
            field=f"{field}.type",
        )
    try:
        checked = validate_params(kind, params)
        shape = feature_shape(kind, window_input_shape(input_block), _fs(input_block), checked)
    except InvalidParameter as exc:
        raise InvalidInput(
            f"{exc.parameter.replace('_', ' ').capitalize()}: {exc.reason}.",
            field=f"{field}.params.{exc.parameter}",
        ) from exc
    except InvalidWindow as exc:
        raise InvalidInput(f"{block.title}: {exc}.", field=f"{field}.type") from exc
    if math.prod(shape) < 1:
        raise InvalidInput(f"{block.title} produces no features with these settings.", field=field)
    return {"id": block_id, "type": kind, "params": checked, "version": block.version}


def _fs(input_block: Mapping[str, Any]) -> float:
    return float(input_block.get("frequency_hz") or 1.0)


def validate_learn_block(raw: Mapping[str, Any], block_id: str, dsp_ids: Sequence[str]) -> dict[str, Any]:
    """One learning block: known type, valid parameters, inputs among the impulse's processing blocks."""
    field = f"learn_blocks.{block_id}"
    kind = raw.get("type")
    if kind not in LEARN_BLOCKS:
        raise InvalidInput(
            f"Unknown learning block {kind!r} (known: {', '.join(LEARN_BLOCKS)}).", field=f"{field}.type"
        )
    try:
        params = LEARN_BLOCKS[kind].validate_params(dict(raw.get("params") or {}))
    except InvalidLearnParameter as exc:
        raise InvalidInput(
            f"{exc.parameter.replace('_', ' ').capitalize()}: {exc.reason}.",
            field=f"{field}.params.{exc.parameter}",
        ) from exc
    inputs = raw.get("inputs")
    if inputs is None:
        inputs = list(dsp_ids)
    if not isinstance(inputs, list) or not inputs:
        raise InvalidInput("Choose at least one processing block as input.", field=f"{field}.inputs")
    for name in inputs:
        if name not in dsp_ids:
            raise InvalidInput(
                f"Input '{name}' is not a processing block of this impulse.", field=f"{field}.inputs"
            )
    if len(set(inputs)) != len(inputs):
        raise InvalidInput("A processing block is listed twice as input.", field=f"{field}.inputs")
    # Keep the impulse's block order so the same choice always concatenates features the same way.
    ordered = [d for d in dsp_ids if d in inputs]
    return {"id": block_id, "type": kind, "params": params, "inputs": ordered}


def validate_design(
    input_block: Mapping[str, Any],
    dsp_blocks: Sequence[Mapping[str, Any]],
    learn_blocks: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The normalized (input, processing, learning) blocks of a design, or the first problem found."""
    checked_input = validate_input_block(input_block)
    if not dsp_blocks:
        raise InvalidInput("Add a processing block.", field="dsp_blocks")
    if not learn_blocks:
        raise InvalidInput("Add a learning block.", field="learn_blocks")
    if len(dsp_blocks) > MAX_BLOCKS or len(learn_blocks) > MAX_BLOCKS:
        raise InvalidInput(f"An impulse holds at most {MAX_BLOCKS} blocks of each kind.", field="dsp_blocks")
    seen: set[str] = set()
    dsp = [
        validate_dsp_block(raw, _block_id(raw.get("id"), "dsp", i, seen), checked_input)
        for i, raw in enumerate(dsp_blocks)
    ]
    dsp_ids = [d["id"] for d in dsp]
    learn = [
        validate_learn_block(raw, _block_id(raw.get("id"), "learn", i, seen), dsp_ids)
        for i, raw in enumerate(learn_blocks)
    ]
    return checked_input, dsp, learn


def learn_input_shape(
    input_block: Mapping[str, Any], dsp_blocks: Sequence[Mapping[str, Any]], inputs: Sequence[str]
) -> tuple[int, ...]:
    """Shape of one feature vector a learning block sees: the block's own shape for a single input,
    flat ``(F,)`` when several processing blocks are concatenated."""
    shapes = [
        feature_shape(d["type"], window_input_shape(input_block), _fs(input_block), d["params"])
        for d in dsp_blocks
        if d["id"] in inputs
    ]
    if len(shapes) == 1:
        return tuple(shapes[0])
    return (sum(math.prod(s) for s in shapes),)


def _parameter_json(parameter: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": parameter.name,
        "type": parameter.type,
        "default": parameter.default,
        "help": parameter.help,
    }
    if parameter.minimum is not None or parameter.maximum is not None:
        out["range"] = [parameter.minimum, parameter.maximum]
    if parameter.options:
        out["options"] = list(parameter.options)
    return out


def catalogue() -> dict[str, list[dict[str, Any]]]:
    """Processing and learning blocks with their parameter declarations (the form and the API share it)."""
    return {
        "processing": [
            {
                "type": b.id,
                "title": b.title,
                "version": b.version,
                "input_kind": b.input_kind,
                "parameters": [
                    _parameter_json(p)
                    for p in b.parameters
                    # Image size and colour come from the input block, not from the block's own form.
                    if not (b.input_kind == "image" and p.name in IMAGE_INPUT_PARAMS)
                ],
            }
            for b in BLOCKS.values()
        ],
        "learning": [
            {
                "type": b.id,
                "title": b.title,
                "kind": b.kind,
                "version": b.version,
                "parameters": [_parameter_json(p) for p in b.parameters],
            }
            for b in LEARN_BLOCKS.values()
        ],
    }
