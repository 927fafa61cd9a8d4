"""Fidelity of the firmware compiler: random full-int8 models compiled to C, run on the host and
compared bit for bit with TFLite Micro; prints the match rate, and the arena plan next to the
naive bounds and TFLM's own arena for the first models.

    python bench/fidelity.py --models 200 --inputs 3 --cache .cache/random-models
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from firmware.compiler import build_host, compile_model, run_executable
from firmware.errors import UnsupportedModel
from firmware.testing.oracle import run_litert, run_tflm, tflm_arena
from firmware.testing.random_models import convert_int8, random_inputs, random_model
from firmware.testing.reference_models import REFERENCE_MODELS


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--inputs", type=int, default=3, help="random inputs per model")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=None, help="keep converted models here between runs")
    parser.add_argument("--arena-models", type=int, default=10, help="models to probe for TFLM's arena size")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="only the MLPerf Tiny architectures (untrained): arena figures",
    )
    args = parser.parse_args()
    if args.reference:
        reference_models()
        return

    matched, refused, mismatched = 0, [], []
    arena_rows = []
    started = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.models):
        model = random_model(seed, args.cache)
        with tempfile.TemporaryDirectory(prefix="mf-fidelity-") as tmp:
            try:
                result = compile_model(model.tflite, Path(tmp))
            except UnsupportedModel as exc:
                refused.append((seed, str(exc)))
                continue
            exe = build_host(Path(tmp))
            same = all(
                np.array_equal(
                    np.frombuffer(run_executable(exe, x.tobytes()), dtype=np.int8),
                    run_tflm(model.tflite, x).reshape(-1),
                )
                for x in random_inputs(model.input_shape, args.inputs, seed)
            )
            if len(arena_rows) < args.arena_models:
                plan = result.plan
                unfused = compile_model(model.tflite, Path(tmp) / "unfused", fuse=False).plan.arena_size
                tflm = tflm_arena(model.tflite, tmp_path=tmp)
                arena_rows.append(
                    (
                        seed,
                        plan.arena_size,
                        unfused,
                        plan.live_bound,
                        plan.no_reuse_size,
                        tflm["head"],
                        tflm["total"],
                    )
                )
        if same:
            matched += 1
        else:
            mismatched.append((seed, model.description))
    elapsed = time.perf_counter() - started

    total = args.models
    print(f"random models: {total}, inputs per model: {args.inputs}, {elapsed:.0f} s")
    print(f"bit-exact with TFLM: {matched}/{total} ({100.0 * matched / total:.1f} %)")
    print(f"refused as unsupported: {len(refused)}; mismatched: {len(mismatched)}")
    for seed, why in refused:
        print(f"  refused seed {seed}: {why}")
    for seed, description in mismatched:
        print(f"  MISMATCH seed {seed}: {description}")
    print()
    print("bytes: Moteforge arena (intermediates only; I/O stay in the caller's buffers) with and without")
    print("band fusion, the largest sum of simultaneously live intermediates, the no-reuse sum, TFLM's")
    print("tensor area (head, includes I/O) and TFLM's total arena (with its metadata)")
    print("seed  arena  unfused  live-bound  no-reuse  tflm-head  tflm-total")
    for seed, arena, unfused, live, no_reuse, head, total in arena_rows:
        print(f"{seed:4d} {arena:6d} {unfused:8d} {live:11d} {no_reuse:9d} {head:10d} {total:11d}")


def reference_models() -> None:
    """Arena of the MLPerf Tiny architectures next to the bounds and TFLM's own figures.

    TFLM's Python interpreter aborts on some larger models; its arena is probed in a subprocess and
    parity is then checked against LiteRT without delegates instead.
    """
    print("model              exact  arena  unfused  live-bound  no-reuse  tflm-head  tflm-total  consts")
    for name, build in REFERENCE_MODELS.items():
        model, shape = build()
        tflite = convert_int8(model, shape, seed=0, samples=16)
        with tempfile.TemporaryDirectory(prefix="mf-reference-") as tmp:
            result = compile_model(tflite, Path(tmp) / "fused")
            unfused = compile_model(tflite, Path(tmp) / "unfused", fuse=False).plan.arena_size
            exe = build_host(Path(tmp) / "fused")
            try:
                tflm = tflm_arena(tflite, tmp_path=tmp)
                oracle, head, total = "tflm", str(tflm["head"]), str(tflm["total"])
            except RuntimeError:
                oracle, head, total = "litert", "n/a", "n/a"
            exact = True
            for x in random_inputs((1, *shape), 2, seed=0):
                reference = run_tflm(tflite, x) if oracle == "tflm" else run_litert(tflite, x)
                ours = np.frombuffer(run_executable(exe, x.tobytes()), dtype=np.int8)
                exact &= np.array_equal(ours, reference.reshape(-1))
            plan = result.plan
            print(
                f"{name:18s} {('yes' if exact else 'NO'):>3s}/{oracle:6s} {plan.arena_size:6d} {unfused:8d} "
                f"{plan.live_bound:11d} {plan.no_reuse_size:9d} {head:>10s} {total:>11s} "
                f"{result.report['constant_bytes']:7d}"
            )


if __name__ == "__main__":
    main()
