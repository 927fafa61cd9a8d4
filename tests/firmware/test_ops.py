"""Per-operator parity: each small model runs on the host and must equal TFLite Micro bit for bit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from firmware.compiler import build_host, compile_model, run_executable
from firmware.testing.oracle import run_tflm
from tests.firmware.factories import OP_CASES, Factory


@pytest.mark.parametrize("case", sorted(OP_CASES))
def test_operator_output_is_bit_identical_to_tflm(
    case: str, tflite: Callable[[Factory], bytes], tmp_path: Path
) -> None:
    model = tflite(OP_CASES[case])
    result = compile_model(model, tmp_path)
    exe = build_host(tmp_path)
    shape = result.report["input"]["shape"]
    rng = np.random.default_rng(11)
    inputs = [rng.integers(-128, 128, size=shape, dtype=np.int8) for _ in range(4)]
    inputs += [np.full(shape, -128, np.int8), np.full(shape, 127, np.int8)]
    for x in inputs:
        ours = np.frombuffer(run_executable(exe, x.tobytes()), dtype=np.int8)
        reference = run_tflm(model, x).reshape(-1)
        np.testing.assert_array_equal(ours, reference)
