"""The Arm DSP kernels (firmware/runtime/arch/arm) give byte-identical results to the portable kernels on
random layers, run in QEMU on every core with the DSP extension, and execute fewer instructions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from firmware.targets import TARGETS, Target
from firmware.targets.kernels import kernel_set
from tests.firmware.targets import kernel_cases as kc
from tests.firmware.targets.conftest import PROGRAMS, usable_target

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

CASE_PROGRAM = PROGRAMS / "kernel_cases.c"
DSP_TARGETS = [tid for tid, target in TARGETS.items() if "dsp" in target.features]


def build_cases(target: Target, out_dir: Path, *, optimized: bool) -> Path:
    kernels = kernel_set(target, optimized=optimized)
    return target.build(
        [CASE_PROGRAM, *kernels.sources], kernels.include_dirs, out_dir, defines=kernels.defines
    )


def random_cases(seed: int) -> list[kc.KernelCase]:
    """A mixed batch: generic and pointwise convolutions, patches too large for two pixels (one-pixel path)
    or for the stack buffer (portable fallback), grouped convolution (portable fallback), depthwise with
    multiplier 1 and 2, fully connected with odd depths."""
    rng = np.random.default_rng(seed)
    cases = [kc.conv_case(rng) for _ in range(10)]
    cases += [kc.conv_case(rng, channels=16, out_channels=5), kc.conv_case(rng, channels=8, out_channels=8)]
    cases.append(kc.conv_case(rng, channels=64, out_channels=3, kernel=(3, 3)))
    cases.append(kc.conv_case(rng, channels=120, out_channels=2, kernel=(3, 3)))
    cases.append(kc.conv_case(rng, channels=6, out_channels=4, groups=2))
    cases += [kc.depthwise_case(rng) for _ in range(8)]
    cases += [kc.depthwise_case(rng, depth_multiplier=2) for _ in range(2)]
    cases += [kc.fully_connected_case(rng) for _ in range(8)]
    return cases


@pytest.fixture(scope="module")
def host_portable(tmp_path_factory) -> tuple[Target, Path]:
    host = TARGETS["host"]
    if host.missing_tools():
        pytest.skip("no host compiler")
    return host, build_cases(host, tmp_path_factory.mktemp("host"), optimized=False)


def test_dsp_variants_replace_the_conv_depthwise_and_fc_files_only_on_dsp_cores() -> None:
    assert kernel_set(TARGETS["cortex-m4"]).optimized == [
        "mf_conv2d_s8.c",
        "mf_depthwise_conv2d_s8.c",
        "mf_fully_connected_s8.c",
    ]
    assert kernel_set(TARGETS["cortex-m4"]).defines == {"MF_USE_ARM_DSP": None}
    for plain in ("cortex-m0plus", "cortex-m3", "riscv32", "host"):
        assert kernel_set(TARGETS[plain]).optimized == []
    assert kernel_set(TARGETS["cortex-m7"], optimized=False).optimized == []


@pytest.mark.parametrize("target_id", DSP_TARGETS)
def test_arm_kernels_match_portable_kernels_bit_for_bit(target_id, host_portable, tmp_path) -> None:
    target = usable_target(target_id)
    host, reference_exe = host_portable
    exe = build_cases(target, tmp_path / "arm", optimized=True)
    for seed in (11, 12, 13):
        cases = random_cases(seed + 100 * DSP_TARGETS.index(target_id))
        data = kc.pack(cases)
        expected = kc.unpack(cases, host.run(reference_exe, data).output)
        got = kc.unpack(cases, target.run(exe, data).output)
        for index, (case, want, have) in enumerate(zip(cases, expected, got, strict=True)):
            assert want[0] == 0, f"case {index} rejected by the portable kernel"
            assert have == want, f"case {index} differs: {case.kind=} {case.in_shape=} {case.filter_shape=}"


def test_portable_kernels_give_the_same_bytes_in_qemu_as_on_the_host(host_portable, tmp_path) -> None:
    target = usable_target("cortex-m3")
    host, reference_exe = host_portable
    cases = random_cases(21)
    data = kc.pack(cases)
    exe = build_cases(target, tmp_path / "m3", optimized=False)
    assert target.run(exe, data).output == host.run(reference_exe, data).output


def test_shape_errors_are_reported_like_the_portable_kernels(host_portable, tmp_path) -> None:
    target = usable_target("cortex-m4")
    host, reference_exe = host_portable
    rng = np.random.default_rng(31)
    conv = kc.conv_case(rng, channels=4, out_channels=4)
    conv.out_shape = (conv.out_shape[0], conv.out_shape[1], 3)  # output channels != filters
    conv.multipliers, conv.shifts = conv.multipliers[:3], conv.shifts[:3]
    conv.bias = None
    depthwise = kc.depthwise_case(rng)
    depthwise.filter_shape = (1, *depthwise.filter_shape[1:3], depthwise.filter_shape[3] + 1)
    depthwise.filter = np.concatenate([depthwise.filter, np.zeros(int(np.prod(depthwise.filter_shape[1:3])))])
    cases = [conv, depthwise]
    data = kc.pack(cases)
    exe = build_cases(target, tmp_path / "m4", optimized=True)
    expected = kc.unpack(cases, host.run(reference_exe, data).output)
    got = kc.unpack(cases, target.run(exe, data).output)
    assert [status for status, _ in got] == [status for status, _ in expected] == [2, 2]


def test_arm_kernels_execute_fewer_instructions_on_a_pointwise_layer(tmp_path) -> None:
    target = usable_target("cortex-m4")
    rng = np.random.default_rng(41)
    # A DS-CNN pointwise layer: 64 -> 64 channels over a 5 x 5 patch of the feature map.
    case = kc.KernelCase(kc.CONV, (1, 5, 5, 64), (64, 1, 1, 64), (5, 5, 64))
    case.input_offset = 128
    kc._quantization(rng, case, 64)
    case.bias = rng.integers(-20000, 20000, size=64)
    case.input = rng.integers(-128, 128, size=5 * 5 * 64)
    case.filter = rng.integers(-127, 128, size=64 * 64)
    data = kc.pack([case])
    counts = {}
    for optimized in (False, True):
        exe = build_cases(target, tmp_path / str(optimized), optimized=optimized)
        counts[optimized] = target.run(exe, data, count_instructions=True).instructions
    assert counts[True] is not None and counts[False] is not None
    assert counts[True] * 2 < counts[False]
