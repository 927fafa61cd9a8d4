"""Models converted with float input and output: the boundary QUANTIZE/DEQUANTIZE fold into an int8 API."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from firmware.compiler import build_host, compile_model, run_executable
from firmware.testing.oracle import run_tflm
from tests.firmware.factories import conv_same_stride1_relu, quantizing_converter


def _float_io_int8_model() -> bytes:
    converter = quantizing_converter(*conv_same_stride1_relu())
    return bytes(converter.convert())  # float32 input and output around int8 internals


def test_float_io_model_runs_on_its_int8_tensors_like_tflm(tmp_path: Path) -> None:
    data = _float_io_int8_model()
    result = compile_model(data, tmp_path)
    assert [layer["op"] for layer in result.report["layers"]] == ["CONV_2D"]
    exe = build_host(tmp_path)
    header = result.header.read_text()
    in_scale = float.fromhex(header.split("MF_INPUT_SCALE ")[1].split("f\n")[0])
    in_zp = int(header.split("MF_INPUT_ZERO_POINT ")[1].split("\n")[0])
    out_scale = float.fromhex(header.split("MF_OUTPUT_SCALE ")[1].split("f\n")[0])
    out_zp = int(header.split("MF_OUTPUT_ZERO_POINT ")[1].split("\n")[0])
    rng = np.random.default_rng(5)
    for _ in range(3):
        q = rng.integers(-128, 128, size=(1, 9, 9, 3), dtype=np.int8)
        # The float input that TFLM's QUANTIZE maps exactly onto q.
        x = ((q.astype(np.float32) - in_zp) * np.float32(in_scale)).astype(np.float32)
        reference = run_tflm(data, x)
        ours = np.frombuffer(run_executable(exe, q.tobytes()), dtype=np.int8).astype(np.float32)
        np.testing.assert_array_equal((ours - out_zp) * np.float32(out_scale), reference.reshape(-1))
