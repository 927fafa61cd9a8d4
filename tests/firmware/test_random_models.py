"""Parity on random models: 30 seeds of random architectures, several inputs each, equal to TFLM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from firmware.compiler import build_host, compile_model, run_executable
from firmware.testing.oracle import run_tflm
from firmware.testing.random_models import random_inputs, random_model

SEEDS = range(1000, 1030)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_random_model_is_bit_identical_to_tflm(seed: int, model_cache: Path, tmp_path: Path) -> None:
    model = random_model(seed, model_cache)
    compile_model(model.tflite, tmp_path)
    exe = build_host(tmp_path)
    for x in random_inputs(model.input_shape, 3, seed):
        ours = np.frombuffer(run_executable(exe, x.tobytes()), dtype=np.int8)
        reference = run_tflm(model.tflite, x).reshape(-1)
        assert np.array_equal(ours, reference), f"seed {seed} ({model.description})"
