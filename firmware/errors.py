"""Errors raised by the firmware compiler: one type per way a model can be refused."""

from __future__ import annotations


class InvalidModel(ValueError):
    """The bytes are not a readable .tflite flatbuffer (truncated, wrong identifier, bad offsets)."""


class UnsupportedModel(ValueError):
    """A well-formed model uses something the compiler does not implement.

    ``operator`` is the op name (or ``"model"`` for model-wide problems), ``index`` the operator's
    position in the subgraph (``-1`` when not tied to one operator) and ``reason`` says what is missing.
    """

    def __init__(self, operator: str, index: int, reason: str) -> None:
        self.operator = operator
        self.index = index
        self.reason = reason
        where = f"operator #{index} {operator}" if index >= 0 else operator
        super().__init__(f"{where}: {reason}")
