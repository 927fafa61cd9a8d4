"""Reference interpreters for parity checks: TFLite Micro (the reference) and LiteRT without delegates.

TFLM's Python interpreter can crash the process on an undersized arena, so the arena probe runs
in a subprocess.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np

# Big enough for every model the random generator makes; arena_size() measures the real need.
DEFAULT_ARENA = 4 * 1024 * 1024


def run_tflm(tflite: bytes, x: np.ndarray, *, arena_size: int = DEFAULT_ARENA) -> np.ndarray:
    """Run one inference with the TFLite Micro reference kernels."""
    from tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(tflite, arena_size=arena_size)
    interp.set_input(x, 0)
    interp.invoke()
    return np.array(interp.get_output(0))


def run_litert(tflite: bytes, x: np.ndarray) -> np.ndarray:
    """Run one inference with LiteRT's builtin kernels (no XNNPACK, which is not bit-exact)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(
        model_content=tflite,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return np.array(interp.get_tensor(interp.get_output_details()[0]["index"]))


_PROBE = """
import sys
from tflite_micro import runtime
buf = open(sys.argv[1], "rb").read()
interp = runtime.Interpreter.from_bytes(buf, arena_size=int(sys.argv[2]))
interp.print_allocations()
"""


def tflm_arena(tflite: bytes, *, tmp_path: str) -> dict[str, int]:
    """TFLM's arena use as print_allocations() reports it: ``total``, ``head`` (tensor data,
    including the model input and output) and ``tail`` (persistent metadata), in bytes."""
    path = f"{tmp_path}/probe.tflite"
    with open(path, "wb") as f:
        f.write(tflite)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, path, str(DEFAULT_ARENA)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    text = proc.stderr + proc.stdout
    found = dict(re.findall(r"Arena allocation (total|head|tail) (\d+) bytes", text))
    if proc.returncode != 0 or set(found) != {"total", "head", "tail"}:
        raise RuntimeError(f"TFLM arena probe failed: {text[-2000:]}")
    return {key: int(value) for key, value in found.items()}


def tflm_arena_size(tflite: bytes, *, tmp_path: str) -> int:
    """Total arena bytes TFLM needs for the model."""
    return tflm_arena(tflite, tmp_path=tmp_path)["total"]
