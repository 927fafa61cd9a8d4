"""Build an Arduino bundle's example sketch as the Arduino IDE would for the Nano 33 BLE Sense (the .ino
made into C++, compiled for its Cortex-M4F and linked with the bundle's precompiled library for that core),
against the host implementation of the Arduino APIs in host/, and run it in QEMU mps2-an386 with the IMU or
the microphone replaying a recording; what it prints on Serial comes back."""

from __future__ import annotations

import re
import struct
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.deploy.layouts import ARDUINO_DIR, LIBRARY_FILE
from firmware.targets.base import C_DIR as TARGET_C_DIR
from firmware.targets.base import TargetError, run_tool
from firmware.targets.toolchain import render_linker_script

HOST_DIR = Path(__file__).parent / "host"
# The Nano 33 BLE Sense's mbed core builds for this core with the softfp float ABI; the sketch must use the
# same ABI as the precompiled library it links (hard-float objects do not link with softfp ones).
LIBRARY_CORE = "cortex-m4/fpv4-sp-d16-softfp"
CPU_FLAGS = ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=softfp", "-mfpu=fpv4-sp-d16")
# What the mbed core passes for C++ (warnings as errors on top: an example sketch should compile cleanly).
CXX_FLAGS = (
    "-std=gnu++14",
    "-fno-rtti",
    "-fno-exceptions",
    "-fno-threadsafe-statics",
    "-Os",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-ffunction-sections",
    "-fdata-sections",
)
# QEMU's MPS2 memory; the recordings are loaded into the heap next to the sketch.
ROM = (0x0000_0000, 4 * 1024 * 1024)
RAM = (0x2000_0000, 4 * 1024 * 1024)
STACK_BYTES = 32 * 1024  # the mbed core's main-thread stack
# -icount: virtual time advances 2^4 ns an instruction (62.5 MIPS, near the board's 64 MHz), so SysTick and
# the microphone's blocks come at the same instructions on every run.
QEMU = ("qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none", "-icount", "shift=4")
QEMU += ("-semihosting-config", "enable=on,target=native")
IMU_VALUES = 9  # acceleration, angular rate and magnetic field, X Y Z each

_FUNCTION = re.compile(
    r"^((?:static\s+|inline\s+)*[A-Za-z_][\w\s\*&:<>]*?[\s\*&]\b[A-Za-z_]\w*\s*\([^;{}]*\))\s*\{"
)


class SketchFailed(AssertionError):
    """The sketch did not build or did not finish cleanly; the message carries the tool's output."""


def sketch_to_cpp(ino: str, name: str) -> str:
    """The C++ the Arduino builder makes of a one-file sketch: ``#include <Arduino.h>`` first, then the
    sketch with a prototype of each function it defines inserted before the first definition."""
    definitions, depth, first = [], 0, None
    for number, line in enumerate(ino.splitlines()):
        if depth == 0:
            found = _FUNCTION.match(line)
            if found:
                definitions.append(found.group(1).strip() + ";")
                first = number if first is None else first
        depth += line.count("{") - line.count("}")
    lines = ino.splitlines()
    at = len(lines) if first is None else first
    head = "\n".join(lines[:at])
    prototypes = "\n".join(definitions)
    tail = "\n".join(lines[at:])
    return f'#include <Arduino.h>\n#line 1 "{name}"\n{head}\n{prototypes}\n#line {at + 1} "{name}"\n{tail}\n'


def _compile(tool: str, flags: tuple[str, ...], source: Path, obj: Path, includes: list[Path]) -> Path:
    command = [tool, *CPU_FLAGS, *flags, *[f"-I{p}" for p in includes], "-c", str(source), "-o", str(obj)]
    try:
        run_tool("arduino-sketch", command)
    except TargetError as exc:
        raise SketchFailed(str(exc)) from exc
    return obj


def build_sketch(library: Path, sketch: str, out_dir: Path, *, tail_ms: int = 1000) -> Path:
    """Compile ``library``'s example ``sketch`` and link it with the precompiled library of the Nano's core;
    ``library`` is the unpacked bundle's ``moteforge_impulse`` folder. Returns the ELF."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ino = library / "examples" / sketch / f"{sketch}.ino"
    cpp = out_dir / f"{sketch}.ino.cpp"
    cpp.write_text(sketch_to_cpp(ino.read_text(), ino.name))
    includes = [HOST_DIR, library / "src"]
    objects = [
        _compile("arm-none-eabi-g++", CXX_FLAGS, cpp, out_dir / "sketch.o", includes),
        _compile(
            "arm-none-eabi-g++",
            (*CXX_FLAGS, f"-DMF_HOST_TAIL_MS={tail_ms}"),
            HOST_DIR / "arduino_host.cpp",
            out_dir / "arduino_host.o",
            includes,
        ),
        # The Cortex-M start-up of Moteforge's QEMU targets: vector table, .data/.bss, FPU, semihosting.
        _compile(
            "arm-none-eabi-gcc",
            ("-Os", "-std=c99"),
            TARGET_C_DIR / "startup_cortex_m.c",
            out_dir / "startup.o",
            [TARGET_C_DIR],
        ),
    ]
    script = render_linker_script(out_dir, entry="mf_reset_handler", rom=ROM, ram=RAM, stack_size=STACK_BYTES)
    elf = out_dir / f"{sketch}.elf"
    precompiled = library / "src" / LIBRARY_CORE / LIBRARY_FILE
    if not precompiled.is_file():
        raise SketchFailed(f"the bundle has no precompiled library for {LIBRARY_CORE}")
    link = [
        "arm-none-eabi-gcc",  # C++ without exceptions, RTTI or new needs no libstdc++
        *CPU_FLAGS,
        "--specs=rdimon.specs",
        "-nostartfiles",
        "-Wl,--gc-sections",
        f"-T{script}",
        *[str(o) for o in objects],
        f"-L{precompiled.parent}",
        "-lmoteforge_impulse",  # the library.properties ldflags
        "-lm",
        "-o",
        str(elf),
    ]
    try:
        run_tool("arduino-sketch", link)
    except TargetError as exc:
        raise SketchFailed(str(exc)) from exc
    return elf


def imu_recording(values: np.ndarray) -> bytes:
    """``imu.bin`` of a recording ``[T, axes]`` whose axes are the first of acceleration X Y Z, angular rate
    X Y Z, magnetic field X Y Z (the sketch's order); the others read zero."""
    rows = np.zeros((len(values), IMU_VALUES), dtype="<f4")
    rows[:, : values.shape[1]] = values
    return rows.tobytes()


def pdm_recording(values: np.ndarray, rate_hz: float) -> bytes:
    """``pdm.bin`` of a mono recording ``[T, 1]`` of 16-bit sample values scaled to [-1, 1)."""
    samples = np.round(np.asarray(values, dtype=np.float64).reshape(-1) * 32768.0)
    if np.any(samples < -32768) or np.any(samples > 32767):
        raise ValueError("the recording is outside the 16-bit range")
    return struct.pack("<I", int(rate_hz)) + samples.astype("<i2").tobytes()


@dataclass(frozen=True)
class SketchRun:
    serial: str  # what the sketch printed on Serial
    exit_code: int


def run_sketch(elf: Path, files: dict[str, bytes], *, timeout_s: float = 300) -> SketchRun:
    """Run the sketch in QEMU until its recording is over, with ``files`` (name -> bytes) in the semihosting
    working folder."""
    with tempfile.TemporaryDirectory(prefix="mf-sketch-") as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        try:
            done = subprocess.run(
                [*QEMU, "-kernel", str(elf.resolve())],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SketchFailed(f"the sketch was still running after {timeout_s} s: {exc.stdout!r}") from exc
    if done.returncode != 0:
        raise SketchFailed(f"exit code {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return SketchRun(serial=done.stdout, exit_code=done.returncode)


_RESULT = re.compile(r"^(?P<name>.+) (?P<score>-?\d+\.\d+)$")


def parse_results(serial: str) -> list[tuple[str, float]]:
    """The (class, score) of each window the sketch printed ("<class> <score>" lines); any other line fails."""
    results = []
    for line in serial.replace("\r\n", "\n").splitlines():
        found = _RESULT.match(line)
        if found is None:
            raise SketchFailed(f"unexpected Serial line {line!r} in:\n{serial}")
        results.append((found["name"], float(found["score"])))
    return results


def unpacked_library(zip_path: Path, work: Path) -> Path:
    """The bundle's Arduino library folder, unpacked under ``work``."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(work)
    return work / ARDUINO_DIR
