"""``moteforge firmware``: compile a .tflite model to C and run it on the host or an emulated board."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from firmware.compiler import (
    RUNTIME_DIR,
    RUNTIME_INCLUDE,
    build_host,
    compile_model,
    run_executable,
    runtime_sources,
    write_target_glue,
)
from firmware.errors import InvalidModel, UnsupportedModel

app = typer.Typer(help="Compile .tflite models to dependency-free C and run them.", no_args_is_help=True)

HOST = "host"


def _build(target: str, out_dir: Path) -> Path:
    """Build the compiled model in out_dir for ``target``; host is built here, others by firmware.targets."""
    if target == HOST:
        return build_host(out_dir)
    from firmware.targets import get_target

    chosen = get_target(target)
    glue = write_target_glue(out_dir)
    includes = [out_dir, RUNTIME_INCLUDE]
    if "dsp" in getattr(chosen, "features", ()):
        # Arm DSP targets link the optimized variants from runtime/arch/arm (bit-exact by contract).
        sources = [*sorted(out_dir.glob("*model.c")), glue, *runtime_sources(arch="arm")]
        includes.append(RUNTIME_DIR / "arch" / "arm")
        return chosen.build(sources, includes, out_dir / f"build-{target}", defines={"MF_USE_ARM_DSP": None})
    sources = [*sorted(out_dir.glob("*model.c")), glue, *runtime_sources()]
    return chosen.build(sources, includes, out_dir / f"build-{target}")


def _execute(target: str, exe: Path, data: bytes) -> bytes:
    if target == HOST:
        return run_executable(exe, data)
    from firmware.targets import get_target

    return get_target(target).run(exe, data).output


def _compile_or_exit(model: Path, out_dir: Path, prefix: str) -> None:
    try:
        compile_model(model.read_bytes(), out_dir, prefix=prefix)
    except (UnsupportedModel, InvalidModel) as exc:
        typer.echo(f"error: {model.name}: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("compile")
def compile_command(
    model: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Full-int8 .tflite file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the generated sources.")],
    target: Annotated[str, typer.Option(help="Target to build for: 'host' or a firmware.targets id.")] = HOST,
    prefix: Annotated[
        str, typer.Option(help="C symbol prefix, so several models can link together.")
    ] = "mf_",
    build: Annotated[bool, typer.Option(help="Also build an executable for the target.")] = True,
) -> None:
    """Generate <prefix>model.c/.h, a size report and a copy of the runtime in OUTPUT."""
    _compile_or_exit(model, output, prefix)
    runtime_copy = output / "runtime"
    if runtime_copy.exists():
        shutil.rmtree(runtime_copy)
    shutil.copytree(RUNTIME_DIR, runtime_copy, ignore=shutil.ignore_patterns("arch", "__pycache__", "*.py"))
    typer.echo(f"wrote {output / (prefix + 'model.c')} and {output / (prefix + 'model.h')}")
    if build:
        exe = _build(target, output)
        typer.echo(f"built {exe}")


@app.command("run")
def run_command(
    model: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Full-int8 .tflite file.")],
    input: Annotated[Path, typer.Option("--input", exists=True, help="int8 .npy input (batch 1).")],
    output: Annotated[Path, typer.Option("--output", help="Where to write the int8 .npy output.")],
    target: Annotated[str, typer.Option(help="Target to run on: 'host' or a firmware.targets id.")] = HOST,
) -> None:
    """Compile MODEL, run it once on INPUT and save the output."""
    x = np.load(input)
    if x.dtype != np.int8:
        typer.echo(f"error: input must be int8, is {x.dtype}", err=True)
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory(prefix="mf-run-") as tmp:
        work = Path(tmp)
        _compile_or_exit(model, work, "mf_")
        report = json.loads((work / "mf_report.json").read_text())
        expected = report["input"]["shape"]
        if x.size != int(np.prod(expected)):
            typer.echo(f"error: input has shape {list(x.shape)}, the model takes {expected}", err=True)
            raise typer.Exit(2)
        exe = _build(target, work)
        data = _execute(target, exe, x.tobytes())
        shape = report["output"]["shape"]
    y = np.frombuffer(data, dtype=np.int8).reshape(shape)
    np.save(output, y)
    typer.echo(f"wrote {output} {list(y.shape)}")
