"""A small reader for the parts of the .tflite flatbuffer the compiler uses (no TensorFlow import).

It walks tables with the ``flatbuffers`` runtime's low-level accessors and returns plain frozen
dataclasses, so everything downstream works on Python values and never touches offsets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flatbuffers import number_types as nt
from flatbuffers.table import Table

from firmware.errors import InvalidModel
from firmware.tflite.schema import OPTION_TABLES, OPTIONS_TYPE_BY_OPERATOR, TensorType, operator_name

_FILE_IDENTIFIER = b"TFL3"

_SCALARS = {
    "i8": nt.Int8Flags,
    "u8": nt.Uint8Flags,
    "bool": nt.BoolFlags,
    "i32": nt.Int32Flags,
    "f32": nt.Float32Flags,
}


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: real = scale * (q - zero_point), per channel along ``quantized_dimension``."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    quantized_dimension: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type: int
    buffer: int
    data: bytes | None  # constant contents, None for activations
    quantization: Quantization | None
    is_variable: bool = False
    has_sparsity: bool = False

    @property
    def type_name(self) -> str:
        try:
            return TensorType(self.type).name
        except ValueError:
            return f"TYPE_{self.type}"

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    def array(self) -> np.ndarray:
        """The constant contents as a numpy array of the tensor's shape."""
        if self.data is None:
            raise ValueError(f"tensor {self.name!r} has no constant data")
        dtype = {
            TensorType.INT8: np.int8,
            TensorType.INT32: np.int32,
            TensorType.INT64: np.int64,
            TensorType.UINT8: np.uint8,
            TensorType.INT16: np.int16,
            TensorType.FLOAT32: np.float32,
        }[TensorType(self.type)]
        return np.frombuffer(self.data, dtype=np.dtype(dtype).newbyteorder("<")).reshape(self.shape)


@dataclass(frozen=True)
class Operator:
    index: int
    code: int  # builtin operator code, resolved from deprecated_builtin_code / builtin_code
    custom_code: str | None
    version: int
    inputs: tuple[int, ...]  # tensor indices, -1 for an omitted optional input
    outputs: tuple[int, ...]
    options_type: int
    options: dict[str, Any] = field(default_factory=dict)
    has_custom_options: bool = False
    intermediates: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return self.custom_code if self.custom_code is not None else operator_name(self.code)


@dataclass(frozen=True)
class TfliteModel:
    version: int
    description: str
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    subgraph_count: int


class _Node:
    """One flatbuffer table, with accessors by field slot."""

    def __init__(self, buf: bytes | bytearray, pos: int) -> None:
        if not 0 <= pos < len(buf):
            raise InvalidModel(f"table offset {pos} outside the {len(buf)}-byte file")
        self.tab = Table(buf, pos)

    def _offset(self, slot: int) -> int:
        return self.tab.Offset(4 + 2 * slot)

    def scalar(self, slot: int, kind: str, default: Any) -> Any:
        o = self._offset(slot)
        return self.tab.Get(_SCALARS[kind], o + self.tab.Pos) if o else default

    def table(self, slot: int) -> _Node | None:
        o = self._offset(slot)
        return _Node(self.tab.Bytes, self.tab.Indirect(o + self.tab.Pos)) if o else None

    def tables(self, slot: int) -> list[_Node]:
        o = self._offset(slot)
        if not o:
            return []
        start, n = self.tab.Vector(o), self.tab.VectorLen(o)
        return [_Node(self.tab.Bytes, self.tab.Indirect(start + 4 * i)) for i in range(n)]

    def vector(self, slot: int, flags: Any) -> np.ndarray | None:
        o = self._offset(slot)
        return self.tab.GetVectorAsNumpy(flags, o) if o else None

    def string(self, slot: int) -> str | None:
        o = self._offset(slot)
        return self.tab.String(o + self.tab.Pos).decode("utf-8", "replace") if o else None


def _ints(node: _Node, slot: int) -> tuple[int, ...]:
    v = node.vector(slot, nt.Int32Flags)
    return tuple(int(x) for x in v) if v is not None else ()


def _read_options(node: _Node | None, options_type: int, code: int) -> dict[str, Any]:
    if node is None:
        # No table: every field has its schema default (writers may omit all-default tables).
        options_type = OPTIONS_TYPE_BY_OPERATOR.get(operator_name(code), options_type)
    if options_type not in OPTION_TABLES:
        return {}
    _, fields = OPTION_TABLES[options_type]
    out: dict[str, Any] = {}
    for name, slot, kind, default in fields:
        if node is None:
            out[name] = default
        elif kind == "vi32":
            out[name] = _ints(node, slot)
        else:
            value = node.scalar(slot, kind, default)
            out[name] = bool(value) if kind == "bool" else value
    return out


def _read_quantization(node: _Node | None) -> Quantization | None:
    if node is None:
        return None
    scale = node.vector(2, nt.Float32Flags)
    zero_point = node.vector(3, nt.Int64Flags)
    if scale is None or len(scale) == 0:
        return None
    zp = tuple(int(z) for z in zero_point) if zero_point is not None else (0,) * len(scale)
    return Quantization(
        scale=tuple(float(s) for s in scale),
        zero_point=zp,
        quantized_dimension=int(node.scalar(6, "i32", 0)),
    )


def read_model(data: bytes) -> TfliteModel:
    """Parse a .tflite file; raises InvalidModel when the bytes are not a readable TFLite flatbuffer."""
    data = bytes(data)
    if len(data) < 8 or data[4:8] != _FILE_IDENTIFIER:
        raise InvalidModel("not a TensorFlow Lite model (missing the TFL3 file identifier)")
    try:
        return _read(data)
    except InvalidModel:
        raise
    except (
        IndexError,
        ValueError,
        TypeError,
        OverflowError,
        struct.error,
    ) as exc:  # offsets pointing out of the file
        raise InvalidModel(f"malformed flatbuffer: {exc}") from exc


def _read(data: bytes) -> TfliteModel:
    root = _Node(data, int.from_bytes(data[0:4], "little"))
    version = int(root.scalar(0, "i32", 0))
    opcodes = []
    for oc in root.tables(1):
        deprecated = int(oc.scalar(0, "i8", 0))
        builtin = int(oc.scalar(3, "i32", 0))
        # Files from before code 127 only fill the deprecated byte; newer ones fill both.
        opcodes.append((max(deprecated, builtin), oc.string(1), int(oc.scalar(2, "i32", 1))))
    buffers = []
    for b in root.tables(4):
        raw = b.vector(0, nt.Uint8Flags)
        if raw is None and int(b.scalar(1, "i32", 0)) > 1:
            raise InvalidModel("buffers stored outside the flatbuffer (models over 2 GB) are not supported")
        buffers.append(raw.tobytes() if raw is not None and len(raw) else None)
    subgraphs = root.tables(2)
    if not subgraphs:
        raise InvalidModel("model has no subgraph")
    sg = subgraphs[0]
    tensors = []
    for i, t in enumerate(sg.tables(0)):
        buffer = int(t.scalar(2, "i32", 0))
        if not 0 <= buffer < max(len(buffers), 1):
            raise InvalidModel(f"tensor #{i} refers to missing buffer {buffer}")
        tensors.append(
            Tensor(
                index=i,
                name=t.string(3) or f"tensor_{i}",
                shape=_ints(t, 0),
                type=int(t.scalar(1, "i8", 0)),
                buffer=buffer,
                data=buffers[buffer] if buffers else None,
                quantization=_read_quantization(t.table(4)),
                is_variable=bool(t.scalar(5, "bool", False)),
                has_sparsity=t.table(6) is not None,
            )
        )
    operators = []
    for i, op in enumerate(sg.tables(3)):
        index = int(op.scalar(0, "i32", 0))
        if not 0 <= index < len(opcodes):
            raise InvalidModel(f"operator #{i} refers to missing operator code {index}")
        code, custom, opversion = opcodes[index]
        options_type = int(op.scalar(3, "u8", 0))
        custom_options = op.vector(5, nt.Uint8Flags)
        operators.append(
            Operator(
                index=i,
                code=code,
                custom_code=custom,
                version=opversion,
                inputs=_ints(op, 1),
                outputs=_ints(op, 2),
                options_type=options_type,
                options=_read_options(op.table(4), options_type, code),
                has_custom_options=custom_options is not None and len(custom_options) > 0,
                intermediates=_ints(op, 8),
            )
        )
    for op in operators:
        for t in op.inputs + op.outputs:
            if t >= len(tensors) or t < -1:
                raise InvalidModel(f"operator #{op.index} refers to missing tensor {t}")
    return TfliteModel(
        version=version,
        description=root.string(3) or "",
        tensors=tuple(tensors),
        operators=tuple(operators),
        inputs=_ints(sg, 1),
        outputs=_ints(sg, 2),
        subgraph_count=len(subgraphs),
    )
