"""Generated DSP blocks on emulated Cortex-M cores (QEMU) match the Python blocks within 1e-4 relative.

The M4F runs float32 on its FPU and double in software; the M3 runs both in software.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import workers.dsp as dsp
from firmware.dsp_codegen import LIBM_LINK_FLAGS, RUNTIME_INCLUDE_DIRS, emit_block, write_block_sources
from firmware.targets import get_target
from tests.firmware.dsp.c_dsp_harness import relative_error
from tests.workers.dsp import dsp_signals as signals

pytestmark = [pytest.mark.slow, pytest.mark.qemu]

CASES = {
    "mfcc": ("mfcc", {"lifter": 22, "normalization": "mean"}, 16000.0),
    "spectral_low_pass": ("spectral", {"filter_type": "low", "filter_cutoff": 3.0, "fft_length": 64}, 10.0),
    "flatten": ("flatten", {}, 10.0),
    "wavelet": ("spectral", {"analysis_type": "wavelet", "wavelet": "db4", "wavelet_level": 2}, 10.0),
}


def window_for(block_id: str) -> np.ndarray:
    if block_id == "mfcc":
        return signals.speech_like(16000, 0.5, seed=7)
    from sktime.datasets import load_basic_motions

    x, _ = load_basic_motions(split="test", return_type="numpy3D")
    return x[5].T.astype(np.float32)


@pytest.mark.parametrize("target_id", ["cortex-m4", "cortex-m3"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_block_on_cortex_m_matches_python(tmp_path: Path, target_id: str, case: str) -> None:
    target = get_target(target_id)
    missing = target.missing_tools()
    if missing:
        pytest.skip(f"{target_id} toolchain missing: {', '.join(missing)}")
    target = dataclasses.replace(target, link_flags=(*target.link_flags, *LIBM_LINK_FLAGS))
    block_id, params, rate = CASES[case]
    window = window_for(block_id)
    generated = emit_block(block_id, params, input_shape=window.shape, frequency_hz=rate)
    sources = write_block_sources(tmp_path / "src", generated)
    exe = target.build(sources, [tmp_path / "src", *RUNTIME_INCLUDE_DIRS], tmp_path / "build", opt="-O2")
    result = target.run(exe, window.tobytes())
    ours = np.frombuffer(result.output, dtype=np.float32)
    reference = dsp.generate_batch(block_id, window[None], rate, params)[0]
    assert ours.shape == reference.shape
    assert relative_error(ours, reference) <= 1e-4
