"""Firmware targets: cross-compile generated C with the Moteforge harness and run it on emulated MCUs (QEMU
system mode with semihosting), Linux user mode, WebAssembly or the build machine; count instructions and
measure flash, RAM and stack. A library: nothing here imports web or worker code.

    target = TARGETS["cortex-m4"]
    exe = target.build([Path("model.c"), Path("glue.c")], [Path("include")], Path("build"))
    result = target.run(exe, input_bytes, count_instructions=True)
    sizes = measure(exe)
"""

from __future__ import annotations

from firmware.targets.baremetal import SemihostedQemuTarget
from firmware.targets.base import (
    BuildError,
    RunError,
    RunOutput,
    Target,
    TargetError,
    ToolchainMissing,
)
from firmware.targets.hosted import HostedTarget
from firmware.targets.insn_count import latency_s
from firmware.targets.sizes import SectionSizes, Sizes, measure
from firmware.targets.wasm import WasiTarget

__all__ = [
    "TARGETS",
    "BuildError",
    "RunError",
    "RunOutput",
    "SectionSizes",
    "Sizes",
    "Target",
    "TargetError",
    "ToolchainMissing",
    "get_target",
    "latency_s",
    "measure",
]

KIB = 1024
MIB = 1024 * KIB

_ARM_LINK = ("--specs=rdimon.specs", "-nostartfiles", "-Wl,--gc-sections")
_ARM_SUPPORT = ("harness.c", "startup_cortex_m.c")
_STACK_PROBE = {"MF_STACK_PROBE": None}
# Hosted targets have memory to spare: room for large batched test inputs.
_HOSTED_IO = {"MF_HARNESS_IN_CAP": MIB, "MF_HARNESS_OUT_CAP": MIB}


def _cortex_m(
    target_id: str,
    description: str,
    *,
    cpu_flags: tuple[str, ...],
    machine: str,
    rom: tuple[int, int],
    ram: tuple[int, int],
    stack_size: int,
    io_cap: int,
    clock_hz: int,
    features: frozenset[str],
) -> SemihostedQemuTarget:
    return SemihostedQemuTarget(
        id=target_id,
        description=description,
        nominal_clock_hz=clock_hz,
        features=features,
        cc="arm-none-eabi-gcc",
        arch_flags=("-mthumb", *cpu_flags),
        link_flags=_ARM_LINK,
        support_sources=_ARM_SUPPORT,
        support_defines={**_STACK_PROBE, "MF_HARNESS_IN_CAP": io_cap, "MF_HARNESS_OUT_CAP": io_cap},
        required_files=("librdimon.a",),
        qemu="qemu-system-arm",
        machine=machine,
        nm="arm-none-eabi-nm",
        entry="mf_reset_handler",
        rom=rom,
        ram=ram,
        stack_size=stack_size,
    )


# MPS2 FPGA images: 4 MiB SSRAM for code at 0 and 4 MiB SRAM at 0x20000000 (QEMU's board models).
_MPS2_ROM = (0x0000_0000, 4 * MIB)
_MPS2_RAM = (0x2000_0000, 4 * MIB)

_ALL: tuple[Target, ...] = (
    HostedTarget(
        id="host",
        description="The build machine itself (native gcc); reference outputs, no instruction counts",
        cc="gcc",
        link_flags=("-Wl,--gc-sections",),
        support_defines=_HOSTED_IO,
        exe_suffix="",
    ),
    # The micro:bit's nRF51 is a Cortex-M0; code built for the M0+ (ARMv6-M, same instruction set) runs on
    # it unchanged, and it is QEMU's only ARMv6-M machine. 256 KiB flash, 16 KiB RAM like the real board.
    _cortex_m(
        "cortex-m0plus",
        "Cortex-M0+ (ARMv6-M) on QEMU microbit: 256 KiB flash, 16 KiB RAM",
        cpu_flags=("-mcpu=cortex-m0plus", "-mfloat-abi=soft"),
        machine="microbit",
        rom=(0x0000_0000, 256 * KIB),
        ram=(0x2000_0000, 16 * KIB),
        stack_size=4 * KIB,
        io_cap=1 * KIB,
        clock_hz=48_000_000,
        features=frozenset(),
    ),
    _cortex_m(
        "cortex-m3",
        "Cortex-M3 (ARMv7-M) on QEMU mps2-an385",
        cpu_flags=("-mcpu=cortex-m3", "-mfloat-abi=soft"),
        machine="mps2-an385",
        rom=_MPS2_ROM,
        ram=_MPS2_RAM,
        stack_size=64 * KIB,
        io_cap=64 * KIB,
        clock_hz=72_000_000,
        features=frozenset(),
    ),
    _cortex_m(
        "cortex-m4",
        "Cortex-M4F (ARMv7E-M, DSP + single-precision FPU) on QEMU mps2-an386",
        cpu_flags=("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
        machine="mps2-an386",
        rom=_MPS2_ROM,
        ram=_MPS2_RAM,
        stack_size=64 * KIB,
        io_cap=64 * KIB,
        clock_hz=120_000_000,
        features=frozenset({"dsp", "fpu"}),
    ),
    _cortex_m(
        "cortex-m7",
        "Cortex-M7 (ARMv7E-M, DSP + double-precision FPU) on QEMU mps2-an500",
        cpu_flags=("-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
        machine="mps2-an500",
        rom=_MPS2_ROM,
        ram=_MPS2_RAM,
        stack_size=64 * KIB,
        io_cap=64 * KIB,
        clock_hz=216_000_000,
        features=frozenset({"dsp", "fpu"}),
    ),
    # AN547 boots from its 512 KiB ITCM at 0; the 512 KiB DTCM at 0x20000000 holds data and stack.
    _cortex_m(
        "cortex-m55",
        "Cortex-M55 (ARMv8.1-M, DSP + MVE + FPU) on QEMU mps3-an547",
        cpu_flags=("-mcpu=cortex-m55", "-mfloat-abi=hard"),
        machine="mps3-an547",
        rom=(0x0000_0000, 512 * KIB),
        ram=(0x2000_0000, 512 * KIB),
        stack_size=64 * KIB,
        io_cap=64 * KIB,
        clock_hz=160_000_000,
        features=frozenset({"dsp", "fpu", "mve"}),
    ),
    # Linked statically so the executable has fixed addresses for the instruction counter (no PIE bias).
    HostedTarget(
        id="aarch64-linux",
        description="64-bit Arm Linux (gcc-aarch64-linux-gnu, static) under qemu-aarch64 user mode",
        nominal_clock_hz=1_200_000_000,
        cc="aarch64-linux-gnu-gcc",
        link_flags=("-static", "-Wl,--gc-sections"),
        support_defines=_HOSTED_IO,
        required_files=("libc.a",),
        emulator=("qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"),
        nm="aarch64-linux-gnu-nm",
    ),
    # Debian's picolibc has no rv32imc multilib; rv32imac (the same plus atomics) is the nearest one.
    SemihostedQemuTarget(
        id="riscv32",
        description="RV32IMAC bare metal (picolibc, semihosting) on QEMU virt",
        nominal_clock_hz=160_000_000,
        cc="riscv64-unknown-elf-gcc",
        arch_flags=("-march=rv32imac", "-mabi=ilp32", "--specs=picolibc.specs"),
        link_flags=("--oslib=semihost", "-nostartfiles", "-Wl,--gc-sections"),
        support_sources=("harness.c", "startup_riscv.c"),
        support_defines={**_STACK_PROBE, "MF_HARNESS_IN_CAP": 64 * KIB, "MF_HARNESS_OUT_CAP": 64 * KIB},
        required_files=("picolibc.specs",),
        qemu="qemu-system-riscv32",
        machine="virt",
        qemu_args=("-bios", "none"),
        nm="riscv64-unknown-elf-nm",
        entry="_start",
        # -bios none starts at the base of DRAM; split its first 8 MiB into code and data halves.
        rom=(0x8000_0000, 4 * MIB),
        ram=(0x8040_0000, 4 * MIB),
        stack_size=64 * KIB,
    ),
    WasiTarget(
        id="wasm32-wasi",
        description="WebAssembly (clang + wasi-libc + lld) run by wasmtime",
        cc="clang",
        arch_flags=("--target=wasm32-wasi",),
        link_flags=("-Wl,--gc-sections",),
        support_defines=_HOSTED_IO,
        exe_suffix=".wasm",
        extra_tools=("wasm-ld",),
        required_files=("libc.a",),
    ),
)

TARGETS: dict[str, Target] = {target.id: target for target in _ALL}
"""Every target Moteforge can build for, by id."""


def get_target(target_id: str) -> Target:
    """The target with this id; KeyError naming the known ids otherwise."""
    try:
        return TARGETS[target_id]
    except KeyError:
        raise KeyError(f"unknown target {target_id!r}; known: {', '.join(TARGETS)}") from None
