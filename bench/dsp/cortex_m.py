"""Instructions per window of the generated C DSP blocks on an emulated Cortex-M4F (QEMU mps2-an386).

Run: ``python bench/dsp/cortex_m.py``. Same windows as bench/dsp/run.py (IMU 2 s at 62.5 Hz x 3 axes,
audio 1 s at 16 kHz, a 160x120 RGB picture). Counts are executed instructions between the harness
markers (they include copying the input window), built with -O2; the agreement column is the largest
difference from workers.dsp relative to the window's largest feature (over the part of the output the
harness returns: at most 64 KiB). Prints a table; asserts nothing.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np

import workers.dsp as dsp
from firmware.dsp_codegen import LIBM_LINK_FLAGS, RUNTIME_INCLUDE_DIRS, emit_block, write_block_sources
from firmware.targets import get_target

TARGET = "cortex-m4"


def cases() -> list[tuple[str, str, dict, np.ndarray, float]]:
    rng = np.random.default_rng(0)
    imu = (rng.normal(size=(125, 3)) + [0, 0, 9.81]).astype(np.float32)
    t = np.arange(16000) / 16000
    audio = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.normal(size=16000)).astype(np.float32)[:, None]
    picture = rng.integers(0, 256, size=(120, 160, 3), dtype=np.uint8)
    return [
        ("raw", "IMU 125x3", {}, imu, 62.5),
        ("flatten", "IMU 125x3", {}, imu, 62.5),
        ("spectral", "IMU 125x3, FFT 64", {}, imu, 62.5),
        ("spectral", "IMU 125x3, low-pass order 6", {"filter_type": "low", "filter_cutoff": 5.0}, imu, 62.5),
        (
            "spectral",
            "IMU 125x3, wavelet db4 level 3",
            {"analysis_type": "wavelet", "wavelet_level": 3},
            imu,
            62.5,
        ),
        ("mfcc", "audio 1 s, 99 frames, FFT 512", {}, audio, 16000.0),
        ("mfe", "audio 1 s, 99 frames, FFT 512", {}, audio, 16000.0),
        ("spectrogram", "audio 1 s, 99 frames, FFT 512", {}, audio, 16000.0),
        (
            "spectrogram",
            "audio 1 s, 124 frames, FFT 256",
            {"fft_length": 256, "frame_length": 0.016},
            audio,
            16000.0,
        ),
        ("image", "160x120 RGB -> 96x96 RGB", {}, picture, 0.0),
        (
            "image",
            "160x120 RGB -> 96x96 gray fit-short",
            {"color_depth": "grayscale", "resize_mode": "fit-short"},
            picture,
            0.0,
        ),
    ]


def main() -> None:
    target = get_target(TARGET)
    missing = target.missing_tools()
    if missing:
        print(f"{TARGET} toolchain missing: {', '.join(missing)}")
        return
    target = dataclasses.replace(target, link_flags=(*target.link_flags, *LIBM_LINK_FLAGS))
    clock = target.nominal_clock_hz or 1
    print(f"{target.description}; latency at 1 instruction per cycle, {clock / 1e6:.0f} MHz")
    print(f"{'block':<12} {'input':<38} {'instructions':>13} {'ms':>8} {'agreement':>10}")
    with tempfile.TemporaryDirectory(prefix="mf-dsp-bench-") as tmp:
        for index, (block_id, label, params, window, rate) in enumerate(cases()):
            work = Path(tmp) / str(index)
            generated = emit_block(block_id, params, input_shape=window.shape, frequency_hz=rate)
            sources = write_block_sources(work / "src", generated)
            exe = target.build(sources, [work / "src", *RUNTIME_INCLUDE_DIRS], work / "build", opt="-O2")
            result = target.run(exe, window.tobytes(), count_instructions=True)
            ours = np.frombuffer(result.output, dtype=np.float32)
            reference = dsp.generate_batch(block_id, window[None], rate, params)[0][: ours.size]
            scale = max(float(np.abs(reference).max()), 1e-30)
            agreement = float(np.abs(ours - reference).max()) / scale
            instructions = result.instructions or 0
            print(
                f"{block_id:<12} {label:<38} {instructions:>13,} {instructions / clock * 1e3:>8.2f} {agreement:>10.1e}"
            )


if __name__ == "__main__":
    main()
