"""The ``firmware`` command line: compile to a self-contained folder, run on the host."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from firmware.cli import app
from firmware.testing.oracle import run_tflm
from tests.firmware.factories import (
    Factory,
    conv_then_depthwise_then_pool,
    dense_relu_dense_softmax,
    subtract_branches,
)

runner = CliRunner()


def test_compile_writes_sources_runtime_and_host_executable(
    tflite: Callable[[Factory], bytes], tmp_path: Path
) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(tflite(dense_relu_dense_softmax))
    out = tmp_path / "out"
    result = runner.invoke(app, ["compile", str(model), "--target", "host", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "mf_model.c").exists() and (out / "mf_model.h").exists()
    assert (out / "runtime" / "include" / "mf_kernels.h").exists()
    assert (out / "mf_host").exists()


def test_run_writes_the_same_output_as_tflm(tflite: Callable[[Factory], bytes], tmp_path: Path) -> None:
    data = tflite(dense_relu_dense_softmax)
    model = tmp_path / "m.tflite"
    model.write_bytes(data)
    x = np.arange(-50, 50, 10, dtype=np.int8).reshape(1, 10)
    np.save(tmp_path / "x.npy", x)
    result = runner.invoke(
        app,
        [
            "run",
            str(model),
            "--target",
            "host",
            "--input",
            str(tmp_path / "x.npy"),
            "--output",
            str(tmp_path / "y.npy"),
        ],
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), run_tflm(data, x))


def test_unsupported_model_exits_with_status_2_and_names_the_operator(
    tflite: Callable[[Factory], bytes], tmp_path: Path
) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(tflite(subtract_branches))
    result = runner.invoke(app, ["compile", str(model), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "SUB" in result.output


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m3"])
def test_run_on_an_emulated_cortex_m_matches_tflm(
    target: str, tflite: Callable[[Factory], bytes], tmp_path: Path
) -> None:
    from firmware.targets import get_target

    missing = get_target(target).missing_tools()
    if missing:
        pytest.skip(f"{target} toolchain not installed: {missing}")
    data = tflite(conv_then_depthwise_then_pool)
    model = tmp_path / "m.tflite"
    model.write_bytes(data)
    x = np.random.default_rng(8).integers(-128, 128, size=(1, 16, 12, 2), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    result = runner.invoke(
        app,
        [
            "run",
            str(model),
            "--target",
            target,
            "--input",
            str(tmp_path / "x.npy"),
            "--output",
            str(tmp_path / "y.npy"),
        ],
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), run_tflm(data, x))
