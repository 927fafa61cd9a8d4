"""Builds generated DSP blocks with the C runtime on the host and runs them on batches of windows.

The runtime is compiled once per test session with the strict flags of the house style; each block
configuration is then one generated source, one test main, one link.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from firmware.dsp_codegen import GeneratedBlock, emit_block

REPO = Path(__file__).resolve().parents[3]
RUNTIME_DSP = REPO / "firmware" / "runtime" / "dsp"
RUNTIME_INCLUDE = REPO / "firmware" / "runtime" / "include"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]

# Reads windows of MF_BLOCK_INPUT_COUNT values (float, or uint8 for images) from stdin until it ends, writes each window's features
# to stdout; a non-OK status becomes the exit code.
_MAIN = """\
#include <stdio.h>

#include "mf_block.h"

static MF_BLOCK_INPUT_TYPE input[MF_BLOCK_INPUT_COUNT];
static float output[MF_BLOCK_OUTPUT_FLOATS];
static float scratch[MF_BLOCK_SCRATCH_FLOATS + 1];

int main(void)
{
    while (fread(input, sizeof input[0], MF_BLOCK_INPUT_COUNT, stdin) == MF_BLOCK_INPUT_COUNT) {
        const mf_status status = mf_block_run(input, MF_BLOCK_SCRATCH_FLOATS ? scratch : 0, output);
        if (status != MF_OK) {
            return (int)status;
        }
        fwrite(output, sizeof(float), MF_BLOCK_OUTPUT_FLOATS, stdout);
    }
    return 0;
}
"""


def compiler() -> str | None:
    """The host C compiler, if any."""
    return shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def compile_runtime(build: Path) -> list[Path]:
    """Compile every runtime DSP source to an object file in ``build``."""
    objects = []
    for source in sorted(RUNTIME_DSP.glob("*.c")):
        target = build / (source.stem + ".o")
        subprocess.run(
            [
                compiler(),
                *CFLAGS,
                f"-I{RUNTIME_INCLUDE}",
                f"-I{RUNTIME_DSP}",
                "-c",
                str(source),
                "-o",
                str(target),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        objects.append(target)
    return objects


def link_program(build: Path, objects: list[Path], sources: list[Path], name: str) -> Path:
    """Compile ``sources`` (which may include headers in ``build``) and link them with the runtime objects."""
    executable = build / name
    subprocess.run(
        [
            compiler(),
            *CFLAGS,
            f"-I{RUNTIME_INCLUDE}",
            f"-I{RUNTIME_DSP}",
            f"-I{build}",
            *map(str, sources),
            *map(str, objects),
            "-lm",
            "-o",
            str(executable),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return executable


class CBlock:
    """A generated block linked into a host executable."""

    def __init__(self, generated: GeneratedBlock, executable: Path) -> None:
        self.generated = generated
        self.executable = executable

    def run(self, windows: np.ndarray) -> np.ndarray:
        """Features of each window in ``[N, frames, axes]`` (``[N, H, W, C]`` uint8 images): float32 ``[N, F]``."""
        dtype = np.uint8 if "uint8_t" in self.generated.header else np.float32
        data = np.ascontiguousarray(windows, dtype=dtype)
        result = subprocess.run(
            [str(self.executable)], input=data.tobytes(), capture_output=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"C block exited with status {result.returncode}: {result.stderr.decode()}")
        return np.frombuffer(result.stdout, dtype=np.float32).reshape(data.shape[0], -1)


def build_block(
    objects: list[Path],
    build: Path,
    block_id: str,
    params: dict,
    input_shape: tuple[int, int],
    frequency_hz: float,
) -> CBlock:
    """Generate, compile and link one block configuration in ``build``."""
    build.mkdir(parents=True, exist_ok=True)
    generated = emit_block(
        block_id, params, input_shape=input_shape, frequency_hz=frequency_hz, prefix="mf_block"
    )
    (build / "mf_block.h").write_text(generated.header)
    (build / "mf_block.c").write_text(generated.source)
    (build / "main.c").write_text(_MAIN)
    executable = link_program(build, objects, [build / "mf_block.c", build / "main.c"], "block")
    return CBlock(generated, executable)


def relative_error(ours: np.ndarray, reference: np.ndarray) -> float:
    """Largest ``|ours - reference|`` over the window, relative to the window's largest ``|reference|``."""
    scale = np.abs(reference).max(axis=-1, keepdims=True)
    scale = np.where(scale == 0, 1.0, scale)
    return float((np.abs(ours.astype(np.float64) - reference) / scale).max())
