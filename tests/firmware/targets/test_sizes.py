"""Flash, RAM and stack figures: application objects are told apart from harness and libc, unused code is
not counted, and the painted stack measures what the invoke really used."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.targets import TARGETS, RunError, measure
from firmware.targets.sizes import SectionSizes, gnu_map_sizes
from tests.firmware.targets.conftest import BAREMETAL_TARGETS, probe_input, usable_target

# An excerpt of a GNU ld map: one function of 0x42 bytes and a 0x10-byte table from app.o, a libc function
# listed on one line, the same app section discarded by --gc-sections (listed before the memory map).
GNU_MAP = """\
Discarded input sections

 .text.unused   0x00000000      0x100 /build/app.o

Memory Configuration

Linker script and memory map

.text           0x00000000     0x1000
 .text.mf_harness_invoke
                0x0000020e       0x42 /build/app.o
                0x0000020e                mf_harness_invoke
 .text          0x00000250       0x80 /usr/lib/libc.a(lib_a-printf.o)
 *fill*         0x000002d0        0x2
.rodata         0x00001000       0x20
 .rodata.table  0x00001000       0x10 /build/app.o
.bss            0x20000000       0x24
 COMMON         0x20000000        0x4 /build/app.o
"""


def test_map_parser_sums_only_kept_sections_of_the_given_objects() -> None:
    sizes = gnu_map_sizes(GNU_MAP, {"/build/app.o"})
    assert sizes == SectionSizes(text=0x42, rodata=0x10, data=0, bss=4)


def test_map_parser_refuses_text_that_is_not_a_map() -> None:
    with pytest.raises(ValueError):
        gnu_map_sizes("hello", set())


def test_measure_refuses_files_that_are_not_executables(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not an executable")
    with pytest.raises(ValueError):
        measure(junk)


@pytest.mark.qemu
@pytest.mark.parametrize("target_id", list(TARGETS))
def test_app_sizes_exclude_harness_stdio_and_unused_code(target_id, build_probe) -> None:
    target = usable_target(target_id)
    sizes = measure(build_probe(target))
    assert sizes.app is not None
    assert 0 < sizes.app.text < 1024
    # probe.c's unreferenced 4 KiB table is dropped by --gc-sections, so nothing of it is counted.
    assert sizes.app.rodata < 4096 and sizes.app.data < 4096
    # printf and file I/O from the harness and libc dominate the image, not the application figure (the
    # host links libc dynamically, so only the harness is added there).
    libc_margin = 0 if target_id == "host" else 4096
    assert sizes.image.flash > sizes.app.flash + libc_margin


@pytest.mark.qemu
@pytest.mark.parametrize("target_id", ["cortex-m4", "riscv32", "aarch64-linux", "wasm32-wasi"])
def test_a_constant_table_is_counted_as_app_read_only_data(target_id, build_probe) -> None:
    target = usable_target(target_id)
    without = measure(build_probe(target))
    with_table = measure(build_probe(target, PROBE_TABLE=3000))
    assert without.app is not None and with_table.app is not None
    grown = with_table.app.flash - without.app.flash
    # The table, plus at most a few instructions and alignment to index it.
    assert 3000 <= grown < 3000 + 64


@pytest.mark.qemu
@pytest.mark.parametrize("target_id", BAREMETAL_TARGETS)
def test_stack_high_water_mark_includes_a_local_buffer(target_id, build_probe) -> None:
    target = usable_target(target_id)
    data = probe_input(9)
    plain = target.run(build_probe(target), data)
    deep = target.run(build_probe(target, PROBE_STACK_BYTES=2000), data)
    assert plain.stack_bytes is not None and deep.stack_bytes is not None
    assert plain.stack_bytes < 128
    # The buffer plus the frames of one extra call: saved registers and alignment, well under 128 bytes.
    assert 2000 <= deep.stack_bytes < 2000 + 128


@pytest.mark.qemu
def test_an_invoke_that_overflows_the_stack_region_is_reported(build_probe) -> None:
    target = usable_target("cortex-m0plus")  # 4 KiB stack region
    exe = build_probe(target, PROBE_STACK_BYTES=6000)
    with pytest.raises(RunError, match="status 5"):
        target.run(exe, probe_input(12))


@pytest.mark.qemu
def test_bare_metal_ram_figure_is_static_data_plus_measured_stack(build_probe) -> None:
    target = usable_target("cortex-m3")
    exe = build_probe(target, PROBE_STACK_BYTES=512)
    sizes = measure(exe)
    run = target.run(exe, probe_input(10))
    assert sizes.stack_reserved == 64 * 1024
    assert run.stack_bytes is not None and sizes.app is not None
    assert sizes.app_ram(run.stack_bytes) == sizes.app.static_ram + run.stack_bytes


@pytest.mark.qemu
def test_hosted_runs_report_no_stack_figure(build_probe) -> None:
    target = usable_target("host")
    assert target.run(build_probe(target), probe_input(11)).stack_bytes is None
