"""The impulse design form: turning submitted fields into a design (typed by the blocks' parameter
declarations) and the editing steps of the form (add or remove a block, change the input type).

Field names are the dotted paths the service uses in its errors, so an error lands next to its field:
``input_block.window_ms``, ``dsp_blocks.dsp1.params.fft_length``, ``learn_blocks.learn1.inputs``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from backend.impulses import design
from backend.impulses.schemas import ImpulseCreate
from workers.dsp import BLOCKS
from workers.learn.blocks import LEARN_BLOCKS

NUMBER_FIELDS = {
    "timeseries": ("window_ms", "stride_ms", "frequency_hz"),
    "audio": ("window_ms", "stride_ms", "frequency_hz"),
    "image": ("width", "height"),
}
DEFAULT_DSP = {"timeseries": "spectral", "audio": "mfcc", "image": "image"}
# Starting values when the user switches the input type and the fields of the new type are empty.
DEFAULT_INPUT = {
    "timeseries": {"window_ms": 2000, "stride_ms": 500, "frequency_hz": 100, "zero_pad": True},
    "audio": {"window_ms": 1000, "stride_ms": 500, "frequency_hz": 16000, "zero_pad": True},
    "image": {"width": 96, "height": 96, "resize_mode": "squash", "color_depth": "rgb"},
}


class FormLike(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...
    def __contains__(self, key: object) -> bool: ...


@dataclass
class Draft:
    """A design as the form holds it, possibly invalid, plus the conversion errors found on the way."""

    name: str
    input_block: dict[str, Any]
    dsp_blocks: list[dict[str, Any]]
    learn_blocks: list[dict[str, Any]]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_design(cls, value: ImpulseCreate | Mapping[str, Any]) -> Draft:
        data = value.model_dump() if isinstance(value, ImpulseCreate) else dict(value)
        draft = cls(
            name=data.get("name") or "Impulse",
            # 2000.0 from a float field shows as "2000" in the form.
            input_block={
                k: int(v) if isinstance(v, float) and v.is_integer() else v
                for k, v in dict(data["input_block"]).items()
                if v is not None
            },
            dsp_blocks=[],
            learn_blocks=[],
        )
        for raw in data["dsp_blocks"]:
            draft.add_dsp(raw["type"], raw.get("params") or {}, raw.get("id"))
        for raw in data["learn_blocks"]:
            draft.add_learn(raw["type"], raw.get("params") or {}, raw.get("id"), raw.get("inputs"))
        return draft

    def as_design(self) -> ImpulseCreate:
        return ImpulseCreate.model_validate(
            {
                "name": self.name,
                "input_block": self.input_block,
                "dsp_blocks": [{k: b[k] for k in ("id", "type", "params")} for b in self.dsp_blocks],
                "learn_blocks": [
                    {k: b[k] for k in ("id", "type", "params", "inputs")} for b in self.learn_blocks
                ],
            }
        )

    def _free_id(self, prefix: str) -> str:
        taken = {b["id"] for b in (*self.dsp_blocks, *self.learn_blocks)}
        n = 1
        while f"{prefix}{n}" in taken:
            n += 1
        return f"{prefix}{n}"

    def add_dsp(
        self, block_type: str, params: Mapping[str, Any] | None = None, block_id: str | None = None
    ) -> None:
        if block_type not in BLOCKS:
            self.errors["new_dsp_type"] = f"Unknown processing block {block_type!r}."
            return
        defaults = {p.name: p.default for p in BLOCKS[block_type].parameters}
        self.dsp_blocks.append(
            {
                "id": block_id or self._free_id("dsp"),
                "type": block_type,
                "params": {**defaults, **(params or {})},
            }
        )

    def add_learn(
        self,
        block_type: str,
        params: Mapping[str, Any] | None = None,
        block_id: str | None = None,
        inputs: Sequence[str] | None = None,
    ) -> None:
        if block_type not in LEARN_BLOCKS:
            self.errors["new_learn_type"] = f"Unknown learning block {block_type!r}."
            return
        defaults = {p.name: p.default for p in LEARN_BLOCKS[block_type].parameters}
        self.learn_blocks.append(
            {
                "id": block_id or self._free_id("learn"),
                "type": block_type,
                "params": {**defaults, **(params or {})},
                "inputs": list(inputs) if inputs is not None else [b["id"] for b in self.dsp_blocks],
            }
        )

    def remove(self, block_id: str) -> None:
        self.dsp_blocks = [b for b in self.dsp_blocks if b["id"] != block_id]
        self.learn_blocks = [b for b in self.learn_blocks if b["id"] != block_id]
        for b in self.learn_blocks:
            b["inputs"] = [i for i in b["inputs"] if i != block_id]

    def fit_blocks_to_input(self) -> None:
        """After the input type changed, swap processing blocks that cannot take the new input."""
        kind = self.input_block.get("type", "timeseries")
        for key, value in DEFAULT_INPUT.get(kind, {}).items():
            self.input_block.setdefault(key, value)
        wants_image = kind == "image"
        if all((BLOCKS[b["type"]].input_kind == "image") == wants_image for b in self.dsp_blocks):
            return
        self.dsp_blocks = []
        self.add_dsp(DEFAULT_DSP.get(kind, "spectral"))
        for b in self.learn_blocks:
            b["inputs"] = [self.dsp_blocks[0]["id"]]


def _convert(parameter: Any, raw: Any, present: bool, name: str, errors: dict[str, str]) -> Any:
    """One submitted value as the parameter's type; conversion problems go to ``errors[name]``."""
    if parameter.type == "bool":
        return present
    if parameter.type == "multiselect":
        return list(raw or [])
    text = "" if raw is None else str(raw).strip()
    if parameter.type == "layers":
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            errors[name] = f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            return text
    if parameter.type == "select":
        for option in parameter.options:
            if str(option) == text:
                return option
        return text  # the service names the valid options
    if not text:
        errors[name] = "Required."
        return text
    try:
        number = float(text)
    except ValueError:
        errors[name] = "Enter a number."
        return text
    if parameter.type == "int" and number.is_integer():
        return int(number)
    return number


def _block_params(
    form: FormLike, prefix: str, parameters: Sequence[Any], errors: dict[str, str], skip: Sequence[str] = ()
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for p in parameters:
        if p.name in skip:
            continue
        name = f"{prefix}.params.{p.name}"
        raw = form.getlist(name) if p.type == "multiselect" else form.get(name)
        params[p.name] = _convert(p, raw, name in form, name, errors)
    return params


def _input_block(form: FormLike, errors: dict[str, str]) -> dict[str, Any]:
    kind = str(form.get("input_block.type") or "timeseries")
    block: dict[str, Any] = {"type": kind}
    for key in NUMBER_FIELDS.get(kind, ()):
        name = f"input_block.{key}"
        if name not in form:
            continue  # the form showed another input type; the service reports what is missing
        text = str(form.get(name) or "").strip()
        try:
            number = float(text)
            block[key] = int(number) if number.is_integer() else number
        except ValueError:
            errors[name] = "Enter a number." if text else "Required."
    if kind == "image":
        block["resize_mode"] = form.get("input_block.resize_mode") or "squash"
        block["color_depth"] = form.get("input_block.color_depth") or "rgb"
    else:
        block["zero_pad"] = "input_block.zero_pad" in form
        block["axes"] = [str(a) for a in form.getlist("input_block.axes") if str(a).strip()]
    return block


def parse(form: FormLike) -> Draft:
    """The draft the form describes (block order from the repeated ``dsp``/``learn`` id fields)."""
    errors: dict[str, str] = {}
    draft = Draft(
        name=str(form.get("name") or "").strip() or "Impulse",
        input_block=_input_block(form, errors),
        dsp_blocks=[],
        learn_blocks=[],
        errors=errors,
    )
    for block_id in form.getlist("dsp"):
        prefix = f"dsp_blocks.{block_id}"
        block_type = str(form.get(f"{prefix}.type") or "")
        if block_type not in BLOCKS:
            errors[f"{prefix}.type"] = f"Unknown processing block {block_type!r}."
            continue
        skip = design.IMAGE_INPUT_PARAMS if block_type == "image" else ()
        params = _block_params(form, prefix, BLOCKS[block_type].parameters, errors, skip)
        draft.dsp_blocks.append({"id": str(block_id), "type": block_type, "params": params})
    for block_id in form.getlist("learn"):
        prefix = f"learn_blocks.{block_id}"
        block_type = str(form.get(f"{prefix}.type") or "")
        if block_type not in LEARN_BLOCKS:
            errors[f"{prefix}.type"] = f"Unknown learning block {block_type!r}."
            continue
        params = _block_params(form, prefix, LEARN_BLOCKS[block_type].parameters, errors)
        inputs = [str(i) for i in form.getlist(f"{prefix}.inputs")]
        draft.learn_blocks.append(
            {"id": str(block_id), "type": block_type, "params": params, "inputs": inputs}
        )
    return draft


def apply_action(draft: Draft, form: FormLike, action: str) -> None:
    """Apply an editing step the form asked for (anything but saving)."""
    if action == "add-dsp":
        draft.add_dsp(str(form.get("new_dsp_type") or ""))
    elif action == "add-learn":
        draft.add_learn(str(form.get("new_learn_type") or ""))
    elif action.startswith("remove:"):
        draft.remove(action.removeprefix("remove:"))
    elif action == "input-type":
        draft.fit_blocks_to_input()
