"""C runtime DSP pieces on their own: the real FFT against numpy, and status codes for refused calls."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from firmware.dsp_codegen import c_table, fft_tables
from tests.firmware.dsp.c_dsp_harness import compile_runtime, compiler, link_program

pytestmark = pytest.mark.skipif(compiler() is None, reason="no host C compiler")

FFT_LENGTHS = [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]

_FFT_MAIN = """\
#include <stdio.h>

#include "mf_dsp.h"

static float buf[2048];
static float power[1025];

int main(void)
{
    int n;
    while (fread(&n, sizeof n, 1, stdin) == 1) {
        mf_dsp_rfft_plan plan;
        mf_status status;
        if (fread(buf, sizeof(float), (size_t)n, stdin) != (size_t)n) {
            return 10;
        }
        switch (n) {
$cases
        default: return 11;
        }
        status = mf_dsp_rfft_power(&plan, buf, power);
        if (status != MF_OK) {
            return (int)status;
        }
        fwrite(power, sizeof(float), (size_t)(n / 2 + 1), stdout);
    }
    return 0;
}
"""

# Calls every entry point with a NULL pointer and with out-of-range parameters; prints one status per line.
_STATUS_MAIN = """\
#include <stdio.h>

#include "mf_dsp.h"

static float a[4096], b[4096], scratch[8192];
static const float cos4[2] = {1.0f, 0.0f}, sin4[2] = {0.0f, 1.0f};
static const float cos6[3] = {1.0f, 0.5f, -0.5f}, sin6[3] = {0.0f, 0.8f, 0.8f};

int main(void)
{
    const mf_dsp_rfft_plan fft4 = {4, cos4, sin4}, fft6 = {6, cos6, sin6};
    const mf_dsp_flatten_params flatten_none = {1.0f, 0}, flatten_all = {1.0f, 0x7F};
    const int32_t band_first[2] = {0, 0}, band_count[2] = {1, 1};
    const mf_dsp_spectral_params spectral_ok = {1.0f, 0, 0, {4, cos4, sin4}, 0, 1, 1, 10.0f, 0, 0, 0, 0, 0, 0};
    const mf_dsp_spectral_params spectral_peaks = {1.0f, 0, 0, {4, cos4, sin4}, 0, 1, 3, 10.0f, 0, 0, 0, 0, 0, 0};
    const mf_dsp_spectral_params overlapping_bands = {1.0f, 0, 0, {4, cos4, sin4}, 0, 1, 1, 10.0f, 0, 0, 0,
                                                      2, band_first, band_count};
    const mf_dsp_spectral_params odd_wavelet = {1.0f, 0, 0, {0, 0, 0}, 0, 0, 0, 10.0f, cos6, 3, 1, 0, 0, 0};
    const mf_dsp_spectral_params deep_wavelet = {1.0f, 0, 0, {0, 0, 0}, 0, 0, 0, 10.0f, cos4, 2, 9, 0, 0, 0};
    const mf_dsp_audio_params long_frame = {8, 2, 0, 0.0f, {4, cos4, sin4}, -50.0f, 0, 0, 0, 0, 0, 0, 0, 0};
    const mf_dsp_audio_params ok = {4, 2, 0, 0.0f, {4, cos4, sin4}, -50.0f, 0, 0, 0, 0, 0, 0, 0, 0};
    const mf_dsp_audio_params positive_floor = {4, 2, 0, 0.0f, {4, cos4, sin4}, 3.0f, 0, 0, 0, 0, 0, 0, 0, 0};
    const int16_t first[1] = {0}, count[1] = {2};
    const int32_t tap[2] = {0, 1};
    const float weights[2] = {1.0f, 1.0f}, dct[2] = {1.0f, 1.0f}, half[2] = {0.5f, 0.5f};
    const mf_dsp_audio_params no_positions = {4, 2, 0, 0.0f, {4, cos4, sin4}, -50.0f, 1, 0, 0, weights, 1, dct, 0, 0};
    const mf_dsp_audio_params too_many_cepstra = {4, 2, 0, 0.0f, {4, cos4, sin4}, -50.0f, 1,
                                                  first, count, weights, 2, dct, 0, 0};
    const int32_t far_tap[2] = {0, 9};
    const mf_dsp_image_params image_far = {2, 2, 1, 2, 2, 1, 0, 0, 2, 2, tap, far_tap, half, tap, tap, half};
    const mf_dsp_image_params image_channels = {2, 2, 4, 2, 2, 1, 0, 0, 2, 2, tap, tap, half, tap, tap, half};
    const uint8_t pixels[4] = {0, 1, 2, 3};
    printf("%d\\n", mf_dsp_rfft_power(0, a, b));
    printf("%d\\n", mf_dsp_rfft_power(&fft6, a, b));
    printf("%d\\n", mf_dsp_rfft_power(&fft4, a, b));
    printf("%d\\n", mf_dsp_raw(1.0f, 0, 3, a, b));
    printf("%d\\n", mf_dsp_raw(1.0f, 4, 3, 0, b));
    printf("%d\\n", mf_dsp_flatten(&flatten_none, 4, 1, a, b));
    printf("%d\\n", mf_dsp_flatten(&flatten_all, 4, 0, a, b));
    printf("%d\\n", mf_dsp_spectral(&spectral_ok, 8, 1, a, 0, b));
    printf("%d\\n", mf_dsp_spectral(&spectral_peaks, 8, 1, a, scratch, b));
    printf("%d\\n", mf_dsp_spectral(&spectral_ok, 8, 1, a, scratch, b));
    printf("%d\\n", mf_dsp_spectral(&overlapping_bands, 8, 1, a, scratch, b));
    printf("%d\\n", mf_dsp_spectral(&odd_wavelet, 8, 1, a, scratch, b));
    printf("%d\\n", mf_dsp_spectral(&deep_wavelet, 8, 1, a, scratch, b));
    printf("%d\\n", mf_dsp_spectrogram(&long_frame, 64, a, scratch, b));
    printf("%d\\n", mf_dsp_spectrogram(&ok, 3, a, scratch, b));
    printf("%d\\n", mf_dsp_spectrogram(&positive_floor, 64, a, scratch, b));
    printf("%d\\n", mf_dsp_mfe(&ok, 64, a, scratch, b));
    printf("%d\\n", mf_dsp_mfcc(&no_positions, 64, a, scratch, b));
    printf("%d\\n", mf_dsp_mfcc(&too_many_cepstra, 64, a, scratch, b));
    printf("%d\\n", mf_dsp_image(&image_far, pixels, b));
    printf("%d\\n", mf_dsp_image(&image_channels, pixels, b));
    return 0;
}
"""

# (call, expected status): MF_OK 0, MF_ERR_NULL 1, MF_ERR_SHAPE 2, MF_ERR_PARAM 3.
EXPECTED_STATUS = [
    ("rfft without a plan", 1),
    ("rfft of a length that is not a power of two", 3),
    ("rfft of length 4", 0),
    ("raw with no frames", 2),
    ("raw without input", 1),
    ("flatten with no statistic", 3),
    ("flatten with no axes", 2),
    ("spectral without scratch", 1),
    ("spectral with more peaks than bins", 3),
    ("spectral of a valid window", 0),
    ("spectral with bands that do not tile the spectrum", 3),
    ("wavelet with an odd number of taps", 3),
    ("wavelet with more than 8 levels", 3),
    ("spectrogram with frames longer than the FFT", 3),
    ("spectrogram of fewer samples than a frame", 2),
    ("spectrogram with a positive noise floor", 3),
    ("mfe without a filterbank", 1),
    ("mfcc without filter positions", 1),
    ("mfcc with more coefficients than filters", 3),
    ("image with a tap outside the source", 3),
    ("image with four channels", 2),
]


def build_program(build: Path, objects: list[Path], name: str, source: str) -> Path:
    (build / f"{name}.c").write_text(source)
    return link_program(build, objects, [build / f"{name}.c"], name)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    build = tmp_path_factory.mktemp("dsp_runtime_pieces")
    return build, compile_runtime(build)


def test_real_fft_power_matches_numpy_for_every_power_of_two_length(built: tuple[Path, list[Path]]) -> None:
    build, objects = built
    tables, cases = [], []
    for n in FFT_LENGTHS:
        cos_table, sin_table = fft_tables(n)
        tables += [
            c_table("float", f"cos{n}", cos_table, f"cos, N = {n}"),
            c_table("float", f"sin{n}", sin_table, f"sin, N = {n}"),
        ]
        cases.append(
            f"        case {n}: plan.n = {n}; plan.cos_table = cos{n}; plan.sin_table = sin{n}; break;"
        )
    source = _FFT_MAIN.replace('#include "mf_dsp.h"\n', '#include "mf_dsp.h"\n\n' + "\n".join(tables))
    executable = build_program(build, objects, "fft", source.replace("$cases", "\n".join(cases)))
    rng = np.random.default_rng(0)
    signals = [rng.normal(size=n).astype(np.float32) for n in FFT_LENGTHS]
    signals += [np.sin(2 * np.pi * 5 * np.arange(n) / n).astype(np.float32) + 3 for n in FFT_LENGTHS]
    stream = b"".join(np.int32(len(x)).tobytes() + x.tobytes() for x in signals)
    result = subprocess.run([str(executable)], input=stream, capture_output=True, check=True)
    output = np.frombuffer(result.stdout, dtype=np.float32)
    offset = 0
    for x in signals:
        power = output[offset : offset + len(x) // 2 + 1]
        offset += len(x) // 2 + 1
        expected = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
        assert np.abs(power - expected).max() <= 1e-5 * expected.max()
    assert offset == output.size


def test_refused_calls_return_their_status_codes(built: tuple[Path, list[Path]]) -> None:
    build, objects = built
    executable = build_program(build, objects, "status", _STATUS_MAIN)
    result = subprocess.run([str(executable)], capture_output=True, text=True, check=True)
    statuses = [int(line) for line in result.stdout.split()]
    assert list(zip([name for name, _ in EXPECTED_STATUS], statuses, strict=True)) == EXPECTED_STATUS
