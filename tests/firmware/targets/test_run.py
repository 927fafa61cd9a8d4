"""Every target builds the probe program and computes what Python computes; failures surface as errors."""

from __future__ import annotations

import pytest

from firmware.targets import TARGETS, BuildError, RunError, TargetError, get_target
from tests.firmware.targets.conftest import probe_expected, probe_input, usable_target

pytestmark = [pytest.mark.qemu, pytest.mark.slow]


@pytest.mark.parametrize("target_id", list(TARGETS))
def test_probe_output_matches_python_and_host_on_every_target(target_id, build_probe) -> None:
    target = usable_target(target_id)
    host = usable_target("host")
    exe = build_probe(target)
    host_exe = build_probe(host) if target_id != "host" else exe
    for seed in (1, 2):
        data = probe_input(seed, length=200 + seed)
        result = target.run(exe, data)
        assert result.output == probe_expected(data)
        assert result.output == host.run(host_exe, data).output
        assert "MF_STATUS 0" in result.stdout


@pytest.mark.parametrize("target_id", ["host", "cortex-m4", "riscv32", "wasm32-wasi"])
def test_empty_input_is_a_valid_run(target_id, build_probe) -> None:
    target = usable_target(target_id)
    assert target.run(build_probe(target), b"").output == probe_expected(b"")


@pytest.mark.parametrize("target_id", ["host", "cortex-m0plus", "riscv32", "aarch64-linux", "wasm32-wasi"])
def test_non_zero_glue_status_raises_run_error(target_id, build_probe) -> None:
    target = usable_target(target_id)
    exe = build_probe(target, PROBE_STATUS=7)
    with pytest.raises(RunError, match="status 7"):
        target.run(exe, probe_input(3))


@pytest.mark.parametrize("target_id", ["cortex-m0plus", "cortex-m4", "cortex-m55", "riscv32"])
def test_cpu_fault_ends_the_run_quickly_with_an_error(target_id, build_probe) -> None:
    target = usable_target(target_id)
    exe = build_probe(target, PROBE_TRAP=None)
    with pytest.raises(RunError) as caught:
        target.run(exe, probe_input(4), timeout_s=20)
    # The fault handler exits with MF_HARNESS_ERR_FAULT (4) before the harness can report a status.
    assert caught.value.reason.startswith("exit code 4,")


def test_input_larger_than_the_harness_buffer_is_refused(build_probe) -> None:
    target = usable_target("cortex-m0plus")
    exe = build_probe(target)
    with pytest.raises(RunError, match="status 2"):
        target.run(exe, bytes(2048))


def test_instruction_counting_is_refused_on_the_native_host(build_probe) -> None:
    target = usable_target("host")
    with pytest.raises(TargetError, match="instruction counting"):
        target.run(build_probe(target), b"", count_instructions=True)


def test_sources_with_errors_raise_build_error_with_the_compiler_log(tmp_path) -> None:
    target = usable_target("cortex-m3")
    broken = tmp_path / "broken.c"
    broken.write_text("int mf_harness_invoke(void) { return undeclared_name; }\n")
    with pytest.raises(BuildError) as caught:
        target.build([broken], [], tmp_path / "out")
    assert "undeclared_name" in caught.value.log


def test_unknown_target_id_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="cortex-m4"):
        get_target("cortex-m99")
