"""Declarations shared by the processing blocks: parameters, their validation, and the block record.

A block's parameters are data: the same list renders the studio form, validates the API and names the
keyword arguments of the block's ``generate_features``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

ParameterType = Literal["int", "float", "bool", "select"]


class InvalidParameter(ValueError):
    """A processing-block parameter is unknown, of the wrong type, out of range or inconsistent."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"parameter '{parameter}': {reason}")
        self.parameter = parameter
        self.reason = reason


class InvalidInput(ValueError):
    """The window given to a block has a shape or size the block cannot process."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of a processing block; ``minimum``/``maximum`` bound numbers, ``options`` a select."""

    name: str
    type: ParameterType
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[Any, ...] = ()

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ``InvalidParameter``."""
        if self.type == "bool":
            if not isinstance(value, bool | np.bool_):
                raise InvalidParameter(self.name, f"expected true or false, got {value!r}")
            return bool(value)
        if self.type == "select":
            # Compare types as well as values: 512.0 or True must not pass for the option 512 or 1.
            for option in self.options:
                if type(option) is type(value) and option == value:
                    return option
            choices = ", ".join(repr(o) for o in self.options)
            raise InvalidParameter(self.name, f"{value!r} is not one of {choices}")
        # Booleans are ints in Python; a checkbox value must never pass as a number.
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating
        ):
            raise InvalidParameter(self.name, f"expected a number, got {value!r}")
        if self.type == "int":
            if isinstance(value, float | np.floating) and not float(value).is_integer():
                raise InvalidParameter(self.name, f"expected a whole number, got {value!r}")
            number: int | float = int(value)
        else:
            number = float(value)
            if not math.isfinite(number):
                raise InvalidParameter(self.name, f"expected a finite number, got {value!r}")
        if self.minimum is not None and number < self.minimum:
            raise InvalidParameter(self.name, f"{number} is below the minimum {self.minimum:g}")
        if self.maximum is not None and number > self.maximum:
            raise InvalidParameter(self.name, f"{number} is above the maximum {self.maximum:g}")
        return number


def validate_parameters(parameters: Sequence[Parameter], values: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``values`` against ``parameters``: refuse unknown names, convert types, fill defaults."""
    known = {p.name: p for p in parameters}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InvalidParameter(unknown[0], f"unknown parameter (known: {', '.join(known)})")
    return {p.name: p.validate(values[p.name]) if p.name in values else p.default for p in parameters}


@dataclass(frozen=True)
class ProcessingBlock:
    """A processing block: its declaration (id, version, parameters) and its functions.

    ``input_kind`` is ``"timeseries"`` (windows ``[frames, axes]`` float32) or ``"image"``
    (``[height, width, channels]`` uint8). ``feature_shape`` also refuses, with ``InvalidParameter``
    or ``InvalidInput``, combinations that single-parameter ranges cannot express (a low cut-off above
    the high one, a frame longer than the FFT).
    """

    id: str
    title: str
    version: int
    input_kind: Literal["timeseries", "image"]
    parameters: tuple[Parameter, ...]
    generate_features: Callable[..., np.ndarray]
    feature_shape: Callable[..., tuple[int, ...]]
    feature_names: Callable[..., list[str]] | None = None

    def validate_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``validate_parameters`` against this block's declaration."""
        return validate_parameters(self.parameters, values)
