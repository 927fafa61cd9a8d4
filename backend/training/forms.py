"""The training settings form and its layer editor: HTML form fields to settings, and back.

Layers travel as ``layer-<i>-type`` and ``layer-<i>-<field>`` inputs in table order; pairs are
written "3" or "3x3", reshape targets "50,6". The editor's buttons send ``op`` (add, remove-<i>,
up-<i>, down-<i>) and the server answers with the re-rendered table and its output shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from backend.core.errors import InvalidInput
from workers.learn.architecture import LAYER_FIELDS
from workers.learn.blocks import LEARN_BLOCKS

# A new row in the layer editor: the layer most often added to a small network.
NEW_LAYER: dict[str, Any] = {"type": "Dense", "units": 16, "activation": "relu"}
# Required layer fields get a starting value when a row changes type, so the table stays valid.
STARTING_VALUES: dict[str, Any] = {"units": 16, "filters": 8, "target": [-1, 1]}
_LAYER_KEY = re.compile(r"^layer-(\d+)-([a-z_]+)$")


class FormLike(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...
    def __iter__(self) -> Iterator[str]: ...


def _number(raw: str, name: str, kind: type) -> int | float:
    text = raw.strip()
    try:
        return int(text) if kind is int else float(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InvalidInput(f"{name.replace('_', ' ')}: enter {what}, got {raw!r}", field=name) from None


def _layer_value(kind: str, raw: str, where: str) -> Any:
    text = raw.strip()
    if kind == "int":
        return _number(text, where, int) if text else 0
    if kind == "float":
        return _number(text, where, float)
    if kind == "pair":
        parts = [p for p in re.split(r"[x,\s]+", text) if p]
        values = [int(_number(p, where, int)) for p in parts]
        return values[0] if len(values) == 1 else values
    if kind == "shape":
        return [int(_number(p, where, int)) for p in re.split(r"[x,\s]+", text) if p]
    return text


def parse_layers(form: FormLike) -> list[dict[str, Any]]:
    """The layer table of the form, in row order, with values converted to the layer-field types."""
    rows: dict[int, dict[str, Any]] = {}
    for key in form:
        match = _LAYER_KEY.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = form.get(key)
    layers = []
    for index in sorted(rows):
        raw = rows[index]
        kind = str(raw.get("type", ""))
        layer: dict[str, Any] = {"type": kind}
        for name, field in LAYER_FIELDS.get(kind, {}).items():
            if name in raw and str(raw[name]).strip() != "":
                layer[name] = _layer_value(field.kind, str(raw[name]), f"layer {len(layers)} {name}")
            elif field.required and name in STARTING_VALUES:
                layer[name] = STARTING_VALUES[name]
        layers.append(layer)
    return layers


def parse_layers_lenient(form: FormLike) -> list[dict[str, Any]]:
    """The layer table as typed, keeping values that do not convert, so the editor can show them back."""
    try:
        return parse_layers(form)
    except InvalidInput:
        rows: dict[int, dict[str, Any]] = {}
        for key in form:
            match = _LAYER_KEY.match(key)
            if match:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = str(form.get(key))
        return [rows[index] for index in sorted(rows)]


def apply_op(layers: list[dict[str, Any]], op: str) -> list[dict[str, Any]]:
    """The layer list after one editor button: add a row, remove one, or move one up or down."""
    out = [dict(layer) for layer in layers]
    if op == "add":
        out.append(dict(NEW_LAYER))
        return out
    match = re.fullmatch(r"(remove|up|down)-(\d+)", op or "")
    if not match:
        return out
    action, index = match.group(1), int(match.group(2))
    if not 0 <= index < len(out):
        return out
    if action == "remove":
        del out[index]
    elif action == "up" and index > 0:
        out[index - 1], out[index] = out[index], out[index - 1]
    elif action == "down" and index + 1 < len(out):
        out[index + 1], out[index] = out[index], out[index + 1]
    return out


def parse_settings(form: FormLike, block_type: str = "classifier") -> dict[str, Any]:
    """Settings for ``service.start_training`` from the form fields of the block's parameters.

    Only types are converted here; ranges and combinations are the service's to check.
    """
    settings: dict[str, Any] = {}
    for parameter in LEARN_BLOCKS[block_type].parameters:
        name, raw = parameter.name, form.get(parameter.name)
        if parameter.type in ("int", "float"):
            if raw is not None and str(raw).strip() != "":
                settings[name] = _number(str(raw), name, int if parameter.type == "int" else float)
        elif parameter.type == "select":
            if raw:
                settings[name] = str(raw)
        elif parameter.type == "multiselect":
            # Unticked checkboxes send nothing: an absent field is an empty choice.
            settings[name] = [str(v) for v in form.getlist(name)]
        elif parameter.type == "bool":
            settings[name] = str(raw).lower() in ("on", "true", "1")
        elif parameter.type == "layers" and settings.get("architecture") == "custom":
            settings[name] = parse_layers(form)
    return settings


def format_value(value: Any) -> str:
    """A layer field as the editor shows it: pairs "3x3", shapes "50,6"."""
    if isinstance(value, list | tuple):
        if len(value) == 2 and value[0] == value[1]:
            return str(value[0])
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def field_specs() -> dict[str, list[dict[str, Any]]]:
    """Per layer type, its fields as the editor renders them."""
    return {
        kind: [
            {"name": name, "kind": field.kind, "options": list(field.options), "default": field.default}
            for name, field in fields.items()
        ]
        for kind, fields in LAYER_FIELDS.items()
    }


def parameter_help(block_type: str) -> dict[str, Mapping[str, Any]]:
    block = LEARN_BLOCKS.get(block_type)
    return {p.name: p.to_json() for p in block.parameters} if block else {}


def parameter_list(block_type: str) -> list[dict[str, Any]]:
    """The block's parameters in declaration order, as the generic settings form renders them."""
    return [p.to_json() for p in LEARN_BLOCKS[block_type].parameters]


def layer_types() -> Sequence[str]:
    return list(LAYER_FIELDS)
