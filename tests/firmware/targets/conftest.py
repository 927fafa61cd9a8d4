"""Fixtures for the firmware-target tests: the probe program, seeded inputs and a skip for missing tools."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from firmware.targets import TARGETS, Target

PROGRAMS = Path(__file__).parent / "programs"
PROBE = PROGRAMS / "probe.c"

# Targets where the QEMU plugin counts instructions (hosted and wasm targets run natively).
COUNTING_TARGETS = [tid for tid in TARGETS if tid not in ("host", "wasm32-wasi")]
# Targets whose harness paints the stack.
BAREMETAL_TARGETS = [tid for tid in TARGETS if tid.startswith(("cortex-m", "riscv"))]


def usable_target(target_id: str) -> Target:
    """The target, or a skip naming what is missing when its toolchain is not installed here."""
    target = TARGETS[target_id]
    missing = target.missing_tools()
    if missing:
        pytest.skip(f"{target_id}: not installed here: {', '.join(missing)}")
    return target


def probe_input(seed: int, length: int = 256) -> bytes:
    """Random bytes for the probe program; seeded so every target sees the same input."""
    return np.random.default_rng(seed).integers(0, 256, size=length, dtype=np.uint8).tobytes()


def probe_expected(data: bytes) -> bytes:
    """What probe.c must output, computed independently in Python: int8 dot product of the two halves and
    FNV-1a of all bytes, both little-endian uint32."""
    signed = np.frombuffer(data, dtype=np.int8).astype(np.int64)
    half = len(data) // 2
    dot = int(np.dot(signed[:half], signed[half : 2 * half])) & 0xFFFFFFFF
    digest = 2166136261
    for byte in data:
        digest = ((digest ^ byte) * 16777619) & 0xFFFFFFFF
    return dot.to_bytes(4, "little") + digest.to_bytes(4, "little")


@pytest.fixture
def build_probe(tmp_path: Path):
    """Build probe.c for a target with extra defines; returns the executable."""

    def build(target: Target, **defines: int | None) -> Path:
        name = "-".join([target.id, *(f"{k}{v}" for k, v in defines.items())])
        return target.build([PROBE], [], tmp_path / name, defines=dict(defines) or None)

    return build
