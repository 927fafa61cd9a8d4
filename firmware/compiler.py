"""The firmware compiler's Python API: .tflite bytes in, dependency-free C99 (plus a size report) out.

result = compile_model(tflite_bytes, Path("build/model"))
exe = build_host(Path("build/model"))
y = run_host(tflite_bytes, x)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from firmware.codegen.emit import emit_sources, moteforge_version, sha256_hex
from firmware.codegen.lower import LoweredModel, lower_model
from firmware.codegen.schedule import Schedule, geometry, schedule
from firmware.errors import UnsupportedModel
from firmware.planner import ArenaPlan
from firmware.planner.fusion import band_rows
from firmware.tflite import read_model, validate_model

RUNTIME_DIR = Path(__file__).with_name("runtime")
RUNTIME_INCLUDE = RUNTIME_DIR / "include"
_TEMPLATES = Path(__file__).with_name("codegen") / "templates"
HOST_CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2")
_PREFIX = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class CompileResult:
    """What compile_model wrote and decided."""

    out_dir: Path
    sources: list[Path]  # generated .c files (model only; add runtime_sources() to build)
    header: Path
    report_path: Path
    plan: ArenaPlan
    report: dict[str, Any]
    prefix: str


def runtime_sources(arch: str | None = None) -> list[Path]:
    """The kernel sources a generated model links against: the portable ``src/`` files, with any file
    of the same name under ``arch/<arch>/`` used instead (build those with ``-DMF_USE_ARM_DSP`` and
    ``-I runtime/arch/<arch>`` for ``arch="arm"``)."""
    portable = sorted((RUNTIME_DIR / "src").glob("*.c"))
    if arch is None:
        return portable
    variants = RUNTIME_DIR / "arch" / arch
    if not variants.is_dir():
        raise ValueError(f"no runtime variants for architecture {arch!r}")
    return [variants / src.name if (variants / src.name).exists() else src for src in portable]


def _report(tflite: bytes, lowered: LoweredModel, chosen: Schedule, prefix: str) -> dict[str, Any]:
    plan, fused = chosen.plan, chosen.fused
    weight_bytes = sum(
        len(c.values) * (1 if c.ctype == "int8_t" else 4) for layer in lowered.layers for c in layer.consts
    )
    tensors = lowered.tensors
    return {
        "moteforge_version": moteforge_version(),
        "model_sha256": sha256_hex(tflite),
        "prefix": prefix,
        "input": {"tensor": lowered.input_tensor, "shape": list(tensors[lowered.input_tensor].shape)},
        "output": {"tensor": lowered.output_tensor, "shape": list(tensors[lowered.output_tensor].shape)},
        "constant_bytes": weight_bytes,
        "layers": [
            {
                "op_index": layer.op_index,
                "op": layer.op_name,
                "kernel": layer.kernel,
                "comment": layer.comment,
                "output_location": list(plan.location(layer.output)),
            }
            for layer in lowered.layers
        ],
        "memory": plan.to_json(),
        "fused_bands": [
            {
                "producer": lowered.layers[p].op_index,
                "consumer": lowered.layers[c].op_index,
                "band_rows": band_rows(geometry(lowered.layers[c].rows)),  # type: ignore[arg-type]
                "tensor_rows": lowered.layers[c].rows.in_h,  # type: ignore[union-attr]
            }
            for c, p in sorted(fused.items())
        ],
        "row_in_place": [lowered.layers[k].op_index for k in sorted(chosen.row_in_place)],
    }


def compile_model(tflite: bytes, out_dir: Path, *, prefix: str = "mf_", fuse: bool = True) -> CompileResult:
    """Validate, plan and generate ``<prefix>model.c``/``.h`` and ``<prefix>report.json`` in out_dir.

    ``fuse`` lets the planner run conv/pool pairs band by band, and stride-1 windowed layers in
    place row by row, wherever that shrinks the arena.

    Raises UnsupportedModel (or InvalidModel) before writing anything if the model cannot be compiled.
    """
    if not _PREFIX.match(prefix):
        raise ValueError(
            f"prefix {prefix!r} must be a lower-case C identifier prefix such as 'mf_' or 'kws_'"
        )
    model = read_model(tflite)
    validate_model(model)
    lowered = lower_model(model)
    if not lowered.layers:
        raise UnsupportedModel("model", -1, "has nothing to compute")
    chosen = schedule(lowered, fuse=fuse)
    plan = chosen.plan
    files = emit_sources(
        lowered,
        plan,
        tflite_sha256=sha256_hex(tflite),
        prefix=prefix,
        fused=chosen.fused,
        row_in_place=chosen.row_in_place,
    )
    report = _report(tflite, lowered, chosen, prefix)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out_dir / name).write_text(text)
    report_path = out_dir / f"{prefix}report.json"
    report_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return CompileResult(
        out_dir=out_dir,
        sources=[out_dir / f"{prefix}model.c"],
        header=out_dir / f"{prefix}model.h",
        report_path=report_path,
        plan=plan,
        report=report,
        prefix=prefix,
    )


def _prefix_of(out_dir: Path) -> str:
    reports = sorted(out_dir.glob("*report.json"))
    if len(reports) != 1:
        raise FileNotFoundError(
            f"{out_dir} must hold exactly one compiled model (found {len(reports)} reports)"
        )
    return str(json.loads(reports[0].read_text())["prefix"])


def _render(template: str, prefix: str) -> str:
    return Template((_TEMPLATES / template).read_text()).substitute(
        version=moteforge_version(), header=f"{prefix}model.h", prefix=prefix, PREFIX=prefix.upper()
    )


def write_target_glue(out_dir: Path) -> Path:
    """The ``mf_harness_invoke`` glue that lets firmware/targets' harness call this model."""
    prefix = _prefix_of(out_dir)
    path = out_dir / f"{prefix}glue.c"
    path.write_text(_render("target_glue.c.tmpl", prefix))
    return path


def build_host(out_dir: Path, *, cc: str | None = None) -> Path:
    """Build the compiled model in out_dir into a host executable ``prog IN.bin OUT.bin``."""
    prefix = _prefix_of(out_dir)
    compiler = cc or shutil.which("cc") or "gcc"
    main = out_dir / f"{prefix}host_main.c"
    main.write_text(_render("host_main.c.tmpl", prefix))
    exe = out_dir / f"{prefix}host"
    command = [
        compiler,
        *HOST_CFLAGS,
        f"-I{out_dir}",
        f"-I{RUNTIME_INCLUDE}",
        str(out_dir / f"{prefix}model.c"),
        str(main),
        *map(str, runtime_sources()),
        "-o",
        str(exe),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"host build failed:\n{' '.join(command)}\n{done.stderr}")
    return exe


def run_executable(exe: Path, data: bytes) -> bytes:
    """Run a host executable built by build_host on raw input bytes."""
    with tempfile.TemporaryDirectory(prefix="mf-host-") as tmp:
        src, dst = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        src.write_bytes(data)
        done = subprocess.run([str(exe), str(src), str(dst)], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{exe.name} exited with {done.returncode}: {done.stderr}")
        return dst.read_bytes()


def run_host(tflite: bytes, x: np.ndarray) -> np.ndarray:
    """Compile, build and run the model on the host for one int8 input; returns the int8 output."""
    x = np.asarray(x)
    if x.dtype != np.int8:
        raise TypeError(f"input must be int8, got {x.dtype}")
    with tempfile.TemporaryDirectory(prefix="mf-compile-") as tmp:
        result = compile_model(tflite, Path(tmp))
        expected = int(np.prod(result.report["input"]["shape"]))
        if x.size != expected:
            raise ValueError(f"input has {x.size} values, the model takes {expected}")
        exe = build_host(Path(tmp))
        out = run_executable(exe, x.tobytes())
        shape = result.report["output"]["shape"]
    return np.frombuffer(out, dtype=np.int8).reshape(shape).copy()
