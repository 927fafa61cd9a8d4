"""Instruction counts from the QEMU plugin: exact, deterministic, and covering only the invoke."""

from __future__ import annotations

import pytest

from firmware.targets import latency_s
from firmware.targets.insn_count import plugin_path
from tests.firmware.targets.conftest import COUNTING_TARGETS, probe_input, usable_target

pytestmark = [pytest.mark.qemu, pytest.mark.slow]


@pytest.mark.parametrize("target_id", COUNTING_TARGETS)
def test_instruction_count_is_identical_across_runs(target_id, build_probe) -> None:
    target = usable_target(target_id)
    exe = build_probe(target)
    data = probe_input(5)
    first = target.run(exe, data, count_instructions=True)
    second = target.run(exe, data, count_instructions=True)
    assert first.instructions is not None and first.instructions > 0
    assert first.instructions == second.instructions


@pytest.mark.parametrize("target_id", COUNTING_TARGETS)
def test_extra_nops_in_the_invoke_add_exactly_their_number(target_id, build_probe) -> None:
    target = usable_target(target_id)
    data = probe_input(6)
    base = target.run(build_probe(target, PROBE_NOPS=100), data, count_instructions=True).instructions
    more = target.run(build_probe(target, PROBE_NOPS=350), data, count_instructions=True).instructions
    assert base is not None and more is not None
    assert more - base == 250


def test_count_grows_with_the_work_done_in_the_invoke(build_probe) -> None:
    target = usable_target("cortex-m4")
    exe = build_probe(target)
    short = target.run(exe, probe_input(7, length=100), count_instructions=True).instructions
    long = target.run(exe, probe_input(7, length=1100), count_instructions=True).instructions
    assert short is not None and long is not None
    # Two loops over the input: each extra byte costs a few instructions, far fewer than a hundred.
    assert 1000 < long - short < 100 * 1000


def test_counting_does_not_change_the_output(build_probe) -> None:
    target = usable_target("cortex-m7")
    exe = build_probe(target)
    data = probe_input(8)
    assert target.run(exe, data, count_instructions=True).output == target.run(exe, data).output


def test_plugin_is_built_once_per_source_version(tmp_path) -> None:
    first = plugin_path(tmp_path)
    mtime = first.stat().st_mtime_ns
    assert plugin_path(tmp_path) == first
    assert first.stat().st_mtime_ns == mtime
    assert [p.name for p in (tmp_path / "qemu-plugins").iterdir()] == [first.name]


def test_latency_at_one_instruction_per_cycle_is_count_over_clock() -> None:
    assert latency_s(120_000, 120e6) == pytest.approx(1e-3)
    assert latency_s(120_000, 120e6, cycles_per_instruction=1.5) == pytest.approx(1.5e-3)
    with pytest.raises(ValueError):
        latency_s(1, 0)
