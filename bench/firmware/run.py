"""Firmware benchmark: compile reference and random int8 models with Moteforge, build them for an emulated
Cortex-M (portable kernels and Arm DSP kernels), and print RAM, flash, instructions per inference and
TFLite Micro's arena for the same model. Figures only; every output is checked against TFLM on the way.

    python -m bench.firmware.run [--target cortex-m4] [--random 2] [--only kws-ds-cnn] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.firmware.models import REFERENCE_MODELS, multiply_accumulates
from firmware.compiler import compile_model, write_target_glue
from firmware.targets import TARGETS, Target, measure
from firmware.targets.kernels import kernel_set
from firmware.testing.oracle import run_tflm, tflm_arena
from firmware.testing.random_models import build_keras_model, convert_int8


@dataclass
class Row:
    name: str
    macs: int | None
    arena: int
    static_ram: int
    stack: int
    flash: int
    constants: int
    insns_portable: int
    insns_arm: int | None
    tflm_arena: int
    matches_tflm: bool

    @property
    def ram(self) -> int:
        return self.static_ram + self.stack


def bench_model(
    name: str, tflite: bytes, input_shape: tuple[int, ...], macs: int | None, target: Target, work: Path
) -> Row:
    """Compile, build (portable and, where the core has DSP, Arm kernels), run once, measure."""
    out = work / name
    compiled = compile_model(tflite, out / "model")
    glue = write_target_glue(out / "model")
    x = np.random.default_rng(7).integers(-128, 128, size=(1, *input_shape), dtype=np.int8)
    expected = run_tflm(tflite, x).astype(np.int8).tobytes()
    results = {}
    variants = [False, True] if "dsp" in target.features else [False]
    for optimized in variants:
        kernels = kernel_set(target, optimized=optimized)
        exe = target.build(
            [*compiled.sources, glue, *kernels.sources],
            [out / "model", *kernels.include_dirs],
            out / ("arm" if optimized else "portable"),
            defines=kernels.defines,
        )
        run = target.run(exe, x.tobytes(), count_instructions=True)
        results[optimized] = (exe, run)
    exe, run = results[variants[-1]]
    sizes = measure(exe)
    assert sizes.app is not None and run.stack_bytes is not None
    return Row(
        name=name,
        macs=macs,
        arena=int(compiled.report["memory"]["arena_bytes"]),
        static_ram=sizes.app.static_ram,
        stack=run.stack_bytes,
        flash=sizes.app.flash,
        constants=int(compiled.report["constant_bytes"]),
        insns_portable=_count(results[False][1].instructions),
        insns_arm=_count(results[True][1].instructions) if True in results else None,
        tflm_arena=tflm_arena(tflite, tmp_path=str(out))["total"],
        matches_tflm=all(r.output == expected for _, r in results.values()),
    )


def _count(value: int | None) -> int:
    if value is None:
        raise RuntimeError("the instruction counter reported nothing")
    return value


def print_table(rows: list[Row], target: Target) -> None:
    header = (
        f"{'model':<16} {'MACs':>9} {'arena':>7} {'static':>7} {'stack':>6} {'RAM':>7} {'TFLM':>7} {'RAM/TFLM':>8} "
        f"{'flash':>7} {'weights':>7} {'insn port.':>11} {'insn arm':>10} {'arm/MAC':>7} {'=TFLM':>5}"
    )
    print(f"target {target.id}: {target.description}")
    print(
        "RAM = static (arena + runtime/model statics) + measured stack; flash = model + runtime code and data,"
    )
    print("no stdio; TFLM = tflite-micro arena from print_allocations(); instructions per inference (QEMU).")
    print(header)
    print("-" * len(header))
    for row in rows:
        arm = row.insns_arm if row.insns_arm is not None else row.insns_portable
        per_mac = f"{arm / row.macs:.2f}" if row.macs else "-"
        print(
            f"{row.name:<16} {row.macs or 0:>9} {row.arena:>7} {row.static_ram:>7} {row.stack:>6} {row.ram:>7} "
            f"{row.tflm_arena:>7} {row.ram / row.tflm_arena:>8.2f} {row.flash:>7} {row.constants:>7} "
            f"{row.insns_portable:>11} {row.insns_arm if row.insns_arm is not None else '-':>10} {per_mac:>7} "
            f"{'yes' if row.matches_tflm else 'NO':>5}"
        )
    clock = target.nominal_clock_hz
    if clock:
        print(f"latency at {clock / 1e6:.0f} MHz assuming 1 instruction per cycle (an optimistic estimate):")
        for row in rows:
            arm = row.insns_arm if row.insns_arm is not None else row.insns_portable
            print(f"  {row.name:<16} {arm / clock * 1e3:8.2f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="cortex-m4", choices=sorted(TARGETS))
    parser.add_argument("--random", type=int, default=2, help="number of random models to add")
    parser.add_argument("--only", action="append", help="reference model names to run (default: all)")
    parser.add_argument("--out", type=Path, help="keep builds here instead of a temporary directory")
    args = parser.parse_args(argv)
    target = TARGETS[args.target]
    missing = target.missing_tools()
    if missing:
        print(f"{target.id}: not installed here: {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
        work = args.out or Path(tmp)
        rows = []
        for ref in REFERENCE_MODELS:
            if args.only and ref.name not in args.only:
                continue
            model = ref.build()
            tflite = convert_int8(model, ref.input_shape, seed=0)
            rows.append(
                bench_model(ref.name, tflite, ref.input_shape, multiply_accumulates(model), target, work)
            )
            print(f"done {ref.name}", file=sys.stderr)
        for seed in range(args.random):
            model, shape, _ = build_keras_model(seed)
            tflite = convert_int8(model, shape, seed)
            name = f"random-{seed}"
            rows.append(bench_model(name, tflite, shape, multiply_accumulates(model), target, work))
            print(f"done {name}", file=sys.stderr)
        print_table(rows, target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
