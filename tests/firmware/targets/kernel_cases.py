"""Factory for kernel test cases: random but valid conv2d / depthwise / fully-connected layers serialized
in the layout programs/kernel_cases.c reads, and the splitting of its output per case."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

CONV, DEPTHWISE, FULLY_CONNECTED = 0, 1, 2


@dataclass
class KernelCase:
    kind: int
    in_shape: tuple[int, int, int, int]
    filter_shape: tuple[int, int, int, int]
    out_shape: tuple[int, int, int]
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pad: tuple[int, int] = (0, 0)
    depth_multiplier: int = 1
    input_offset: int = 0
    output_offset: int = 0
    act: tuple[int, int] = (-128, 127)
    per_channel: bool = True
    multipliers: np.ndarray | None = None
    shifts: np.ndarray | None = None
    bias: np.ndarray | None = None
    input: np.ndarray | None = None
    filter: np.ndarray | None = None

    @property
    def out_size(self) -> int:
        return self.in_shape[0] * int(np.prod(self.out_shape))

    def to_bytes(self) -> bytes:
        header = [
            self.kind,
            *self.in_shape,
            *self.filter_shape,
            *self.out_shape,
            *self.stride,
            *self.dilation,
            *self.pad,
            self.depth_multiplier,
            self.input_offset,
            self.output_offset,
            *self.act,
            int(self.per_channel),
            int(self.bias is not None),
        ]
        parts = [struct.pack(f"<{len(header)}i", *header)]
        assert self.multipliers is not None and self.shifts is not None
        assert self.input is not None and self.filter is not None
        parts += [self.multipliers.astype("<i4").tobytes(), self.shifts.astype("<i4").tobytes()]
        if self.bias is not None:
            parts.append(self.bias.astype("<i4").tobytes())
        for tensor in (self.input, self.filter):
            raw = tensor.astype(np.int8).tobytes()
            parts.append(raw + bytes(-len(raw) % 4))
        return b"".join(parts)


def _quantization(rng: np.random.Generator, case: KernelCase, channels: int) -> None:
    count = channels if case.per_channel else 1
    # Real multipliers are normalised to [2^30, 2^31); shifts of trained layers sit a few bits below zero,
    # a few positive ones exercise the left-shift path.
    case.multipliers = rng.integers(1 << 30, (1 << 31) - 1, size=count, dtype=np.int64)
    case.shifts = rng.integers(-12, 3, size=count)
    low = int(rng.integers(-128, 0))
    case.act = (low, int(rng.integers(low, 128)))
    case.output_offset = int(rng.integers(-128, 128))


def _spatial(rng: np.random.Generator, size: int, kernel: int) -> tuple[int, int, int, int]:
    """(stride, dilation, pad, output size) with at least one output position."""
    while True:
        stride = int(rng.integers(1, 3))
        dilation = int(rng.integers(1, 3))
        extent = dilation * (kernel - 1) + 1
        pad = int(rng.integers(0, extent))
        out = (size + 2 * pad - extent) // stride + 1
        if out >= 1:
            return stride, dilation, pad, out


def conv_case(
    rng: np.random.Generator,
    *,
    channels: int | None = None,
    out_channels: int | None = None,
    groups: int = 1,
    kernel: tuple[int, int] | None = None,
) -> KernelCase:
    h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    kh, kw = kernel or (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    c = channels or int(rng.integers(1, 13)) * groups
    oc = out_channels or int(rng.integers(1, 6)) * groups
    sh, dh, ph, oh = _spatial(rng, h, kh)
    sw, dw, pw, ow = _spatial(rng, w, kw)
    case = KernelCase(
        CONV, (1, h, w, c), (oc, kh, kw, c // groups), (oh, ow, oc), (sh, sw), (dh, dw), (ph, pw)
    )
    case.input_offset = int(rng.integers(-127, 129))
    case.per_channel = bool(rng.integers(0, 2))
    _quantization(rng, case, oc)
    case.bias = rng.integers(-20000, 20000, size=oc) if rng.integers(0, 4) else None
    case.input = rng.integers(-128, 128, size=h * w * c)
    case.filter = rng.integers(-127, 128, size=oc * kh * kw * (c // groups))
    return case


def depthwise_case(rng: np.random.Generator, *, depth_multiplier: int = 1) -> KernelCase:
    h, w = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    c = int(rng.integers(1, 14))
    oc = c * depth_multiplier
    sh, dh, ph, oh = _spatial(rng, h, kh)
    sw, dw, pw, ow = _spatial(rng, w, kw)
    case = KernelCase(
        DEPTHWISE, (1, h, w, c), (1, kh, kw, oc), (oh, ow, oc), (sh, sw), (dh, dw), (ph, pw), depth_multiplier
    )
    case.input_offset = int(rng.integers(-127, 129))
    case.per_channel = bool(rng.integers(0, 2))
    _quantization(rng, case, oc)
    case.bias = rng.integers(-20000, 20000, size=oc) if rng.integers(0, 4) else None
    case.input = rng.integers(-128, 128, size=h * w * c)
    case.filter = rng.integers(-127, 128, size=kh * kw * oc)
    return case


def fully_connected_case(rng: np.random.Generator) -> KernelCase:
    batch, depth, units = int(rng.integers(1, 3)), int(rng.integers(1, 100)), int(rng.integers(1, 10))
    case = KernelCase(FULLY_CONNECTED, (batch, 1, 1, depth), (units, 1, 1, depth), (1, 1, units))
    case.per_channel = bool(rng.integers(0, 2))
    _quantization(rng, case, units)
    case.bias = rng.integers(-50000, 50000, size=units)
    case.input = rng.integers(-128, 128, size=batch * depth)
    case.filter = rng.integers(-127, 128, size=units * depth)
    return case


def pack(cases: list[KernelCase]) -> bytes:
    return struct.pack("<i", len(cases)) + b"".join(case.to_bytes() for case in cases)


def unpack(cases: list[KernelCase], output: bytes) -> list[tuple[int, bytes]]:
    """(status, output tensor bytes) per case."""
    results, pos = [], 0
    for case in cases:
        (status,) = struct.unpack_from("<i", output, pos)
        size = case.out_size
        results.append((status, output[pos + 4 : pos + 4 + size]))
        pos += 4 + size + (-size % 4)
    if pos != len(output):
        raise ValueError(f"output holds {len(output)} bytes, the cases account for {pos}")
    return results
