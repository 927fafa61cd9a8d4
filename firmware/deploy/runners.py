"""Build and run a bundle's own code: the impulse library under the target harness (emulated Cortex-M,
qemu-aarch64, wasmtime, the host), and the ``classify`` example as a native, aarch64 or WASI program."""

from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.deploy.sources import STRICT_CFLAGS, ImpulseTree
from firmware.dsp_codegen import LIBM_LINK_FLAGS
from firmware.targets import TARGETS, RunError, Target
from firmware.targets.base import run_tool

RUN_TIMEOUT_S = 120.0
# LIBM_LINK_FLAGS names the calls in the DSP sources; compilers may emit others for them (GCC for the
# Cortex-M7's double-precision FPU turns log2 into log), so those are pulled from libm too.
_MORE_LIBM = ("-Wl,-u,log", "-Wl,-u,exp", "-Wl,-u,round", "-Wl,-u,logf", "-Wl,-u,sqrtf")


@dataclass(frozen=True)
class ClassifyToolchain:
    """How the ``classify`` example is compiled and run for one kind of machine."""

    id: str
    cc: str
    flags: tuple[str, ...]
    runner: tuple[str, ...]  # command prefix running the program; empty for native, ("wasmtime",) for WASI
    suffix: str = ""


CLASSIFY_TOOLCHAINS = {
    "x86_64": ClassifyToolchain("x86_64", "gcc", ("-O2", "-static"), ()),
    "aarch64": ClassifyToolchain(
        "aarch64",
        "aarch64-linux-gnu-gcc",
        ("-O2", "-static"),
        ("qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"),
    ),
    "wasm32": ClassifyToolchain("wasm32", "clang", ("--target=wasm32-wasi", "-O2"), ("wasmtime",), ".wasm"),
}


def reproducible_flags(root: Path) -> tuple[str, ...]:
    """Flags that keep the build folder out of binaries, so identical sources give identical bytes."""
    return (f"-ffile-prefix-map={root.resolve()}=.", f"-fdebug-prefix-map={root.resolve()}=.")


def harness_target(target_id: str, io_bytes: int | None = None) -> Target:
    """The registry target with libm linked (the DSP calls it) and, if given, larger harness buffers."""
    target = TARGETS[target_id]
    # The builder links flags before objects: a shared libm given first is dropped under --as-needed (the
    # host's default) before anything needs it, so keep it; static libms are pulled by LIBM_LINK_FLAGS' -u.
    keep = ("-Wl,--no-as-needed",) if target_id == "host" else ()
    changes: dict[str, object] = {"link_flags": (*target.link_flags, *keep, *_MORE_LIBM, *LIBM_LINK_FLAGS)}
    if io_bytes is not None:
        defines = dict(target.support_defines)  # type: ignore[attr-defined]
        defines.update({"MF_HARNESS_IN_CAP": io_bytes, "MF_HARNESS_OUT_CAP": io_bytes})
        changes["support_defines"] = defines
    return dataclasses.replace(target, **changes)  # type: ignore[arg-type]


def impulse_harness_target(tree: ImpulseTree, target_id: str) -> Target:
    """``harness_target`` with buffers that hold at least one window (an image's frame may not fit the
    target's default)."""
    target = harness_target(target_id)
    if harness_io_cap(target) < tree.window_bytes:
        target = harness_target(target_id, tree.window_bytes)
    return target


def harness_io_cap(target: Target) -> int:
    defines = getattr(target, "support_defines", {})
    return int(defines.get("MF_HARNESS_IN_CAP", 4096))


def build_harness(tree: ImpulseTree, target: Target, out_dir: Path) -> Path:
    """The impulse library plus its verification glue under ``target``'s harness; returns the executable."""
    sources, includes, defines = tree.build_set(target.features)
    return target.build(  # type: ignore[call-arg]
        [*tree.paths(tuple(sources)), tree.root / "impulse" / "mf_impulse_glue.c"],
        tree.paths(tuple(includes)),
        out_dir,
        defines=defines,
        extra_cflags=(*STRICT_CFLAGS, *reproducible_flags(tree.root)),
    )


def run_windows(
    tree: ImpulseTree, target: Target, exe: Path, batch: np.ndarray, *, count_instructions: bool = False
) -> tuple[np.ndarray, list[int]]:
    """Scores ``[N, classes]`` float32 of windows ``[N, frames, axes]`` (RGB888 frames ``[N, H, W, 3]``
    uint8 for an image impulse), in as few runs as the harness buffers allow; also each run's instruction
    count (when counted)."""
    dtype = np.uint8 if batch.dtype == np.uint8 else np.dtype("<f4")
    windows = np.ascontiguousarray(batch, dtype=dtype).reshape(len(batch), -1)
    per_run = max(1, harness_io_cap(target) // max(windows[0].nbytes, 4 * tree.classes))
    if count_instructions:
        per_run = 1  # one window per run: the count is one inference
    out, counts = [], []
    for start in range(0, len(windows), per_run):
        chunk = windows[start : start + per_run]
        result = target.run(
            exe, chunk.tobytes(), count_instructions=count_instructions, timeout_s=RUN_TIMEOUT_S
        )
        scores = np.frombuffer(result.output, dtype="<f4")
        if scores.size != len(chunk) * tree.classes:
            raise RunError(target.id, f"expected {len(chunk) * tree.classes} scores, got {scores.size}")
        out.append(scores.reshape(len(chunk), tree.classes))
        if result.instructions is not None:
            counts.append(result.instructions)
    return np.concatenate(out), counts


def build_classify(tree: ImpulseTree, toolchain: ClassifyToolchain, out: Path) -> Path:
    """Compile the ``classify`` example with the impulse library for one machine."""
    sources = [*tree.paths(tree.library_sources), tree.root / "examples" / "classify.c"]
    command = [
        toolchain.cc,
        *toolchain.flags,
        *STRICT_CFLAGS,
        *reproducible_flags(tree.root),
        *[f"-I{p}" for p in tree.paths(tree.include_dirs)],
        *[str(s) for s in sources],
        "-o",
        str(out),
        "-lm",
    ]
    run_tool(f"classify-{toolchain.id}", command)
    return out


def run_classify(
    toolchain: ClassifyToolchain, exe: Path, stdin: str | bytes, args: Sequence[str] = ()
) -> str:
    """Run a ``classify`` build on one CSV recording (or an image impulse's PPM frame); its JSON line."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    if toolchain.id == "wasm32":
        return _run_wasi(exe, data, args)
    done = subprocess.run(
        [*toolchain.runner, str(exe), *args],
        input=data,
        capture_output=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    stdout, stderr = done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    if done.returncode != 0:
        raise RunError(f"classify-{toolchain.id}", f"exit code {done.returncode}", stdout, stderr)
    return stdout


def _run_wasi(exe: Path, stdin_bytes: bytes, args: Sequence[str]) -> str:
    import wasmtime

    with tempfile.TemporaryDirectory(prefix="mf-wasi-") as tmp:
        stdin, stdout, stderr = Path(tmp) / "in.csv", Path(tmp) / "out.txt", Path(tmp) / "err.txt"
        stdin.write_bytes(stdin_bytes)
        engine = wasmtime.Engine()
        store = wasmtime.Store(engine)
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["classify", *args]
        wasi.stdin_file = str(stdin)
        wasi.stdout_file = str(stdout)
        wasi.stderr_file = str(stderr)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(exe)))
        start = instance.exports(store)["_start"]
        code = 0
        try:
            start(store)  # type: ignore[operator]
        except wasmtime.ExitTrap as exc:
            code = exc.code
        if code != 0:
            raise RunError("classify-wasm32", f"exit code {code}", stdout.read_text(), stderr.read_text())
        return stdout.read_text()
