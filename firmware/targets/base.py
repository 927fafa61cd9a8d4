"""What a firmware target is: a toolchain that builds C sources plus the harness into an executable, and an
emulator (or the host) that runs it on input bytes and reports output, instructions and stack use."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

C_DIR = Path(__file__).parent / "c"
"""Harness, startup code and linker-script template shipped with the package."""

MANIFEST_SUFFIX = ".build.json"
"""Written next to each executable: which objects are the application (model + runtime) and the map file."""

BUILD_TIMEOUT_S = 300
DEFAULT_RUN_TIMEOUT_S = 120.0


class TargetError(Exception):
    """Base class of everything a target raises."""


class ToolchainMissing(TargetError):
    """A compiler, linker or emulator the target needs is not installed."""

    def __init__(self, target_id: str, missing: str) -> None:
        super().__init__(f"{target_id}: {missing} is not installed")
        self.target_id = target_id
        self.missing = missing


class BuildError(TargetError):
    """The compiler or linker refused the sources; `log` holds its diagnostics."""

    def __init__(self, target_id: str, command: Sequence[str], log: str) -> None:
        super().__init__(f"{target_id}: build failed: {' '.join(command)}\n{log}")
        self.target_id = target_id
        self.log = log


class RunError(TargetError):
    """The program ran but did not finish cleanly (non-zero status, fault, timeout)."""

    def __init__(self, target_id: str, reason: str, stdout: str = "", stderr: str = "") -> None:
        super().__init__(f"{target_id}: {reason}\nstdout:\n{stdout}\nstderr:\n{stderr}")
        self.target_id = target_id
        self.reason = reason
        self.stdout = stdout
        self.stderr = stderr


@dataclass(frozen=True)
class RunOutput:
    """Result of one harness run."""

    output: bytes
    """Bytes the model glue wrote."""
    instructions: int | None
    """Guest instructions from entering mf_bench_begin to entering mf_bench_end (invoke plus a few
    instructions of call overhead); None where the target cannot count."""
    stdout: str
    """Everything the program printed, harness report lines included."""
    stack_bytes: int | None = None
    """Stack high-water mark of the invoke, from the painted stack; None on hosted targets."""


@dataclass(frozen=True)
class BuildManifest:
    """Side file of a build, read back by `measure` to separate application code from harness and libc."""

    target_id: str
    app_objects: list[str]
    support_objects: list[str]
    map_file: str | None

    @staticmethod
    def path_for(exe: Path) -> Path:
        return exe.with_name(exe.name + MANIFEST_SUFFIX)

    def write(self, exe: Path) -> None:
        self.path_for(exe).write_text(json.dumps(self.__dict__, indent=2) + "\n")

    @classmethod
    def read(cls, exe: Path) -> BuildManifest | None:
        path = cls.path_for(exe)
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))


_STATUS_RE = re.compile(r"^MF_STATUS (-?\d+)\s*$", re.MULTILINE)
_STACK_RE = re.compile(r"^MF_STACK (\d+)\s*$", re.MULTILINE)


def parse_report(stdout: str) -> tuple[int | None, int | None]:
    """(status, stack bytes) from the harness's report lines; None where a line is missing."""
    status = _STATUS_RE.search(stdout)
    stack = _STACK_RE.search(stdout)
    return (int(status.group(1)) if status else None, int(stack.group(1)) if stack else None)


def run_tool(target_id: str, command: Sequence[str], cwd: Path | None = None) -> str:
    """Run a compiler or linker step; raise BuildError with its output when it fails."""
    try:
        done = subprocess.run(
            list(command), cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
        )
    except FileNotFoundError as exc:
        raise ToolchainMissing(target_id, command[0]) from exc
    if done.returncode != 0:
        raise BuildError(target_id, command, done.stdout + done.stderr)
    return done.stdout


def object_names(sources: Sequence[Path], obj_dir: Path) -> list[Path]:
    """One object path per source, unique even when two sources share a file name."""
    seen: dict[str, int] = {}
    names = []
    for src in sources:
        stem = src.stem
        count = seen.get(stem, 0)
        seen[stem] = count + 1
        names.append(obj_dir / (f"{stem}.o" if count == 0 else f"{stem}.{count}.o"))
    return names


def define_flags(defines: dict[str, str | int | None] | None) -> list[str]:
    """-D flags; a None value defines the macro without a value."""
    flags = []
    for name, value in (defines or {}).items():
        flags.append(f"-D{name}" if value is None else f"-D{name}={value}")
    return flags


@dataclass(frozen=True)
class Target(ABC):
    """A place generated C can run: compiler and flags, harness support code, and a runner."""

    id: str
    description: str
    nominal_clock_hz: int | None = None
    """Clock of a typical part with this core, used only to turn instruction counts into latency estimates."""
    features: frozenset[str] = field(default_factory=frozenset)
    """Instruction-set features code generation may rely on, e.g. "dsp" (Armv7E-M SIMD), "fpu", "mve"."""

    @abstractmethod
    def missing_tools(self) -> list[str]:
        """Executables (or files) this target needs that are not installed here; empty when usable."""

    def check_available(self) -> None:
        missing = self.missing_tools()
        if missing:
            raise ToolchainMissing(self.id, ", ".join(missing))

    @abstractmethod
    def build(
        self,
        sources: list[Path],
        include_dirs: list[Path],
        out_dir: Path,
        *,
        defines: dict[str, str | int | None] | None = None,
        opt: str = "-Os",
    ) -> Path:
        """Compile `sources` (which must define mf_harness_invoke) with the harness; return the executable."""

    @abstractmethod
    def run(
        self,
        exe: Path,
        input: bytes,
        *,
        count_instructions: bool = False,
        timeout_s: float = DEFAULT_RUN_TIMEOUT_S,
    ) -> RunOutput:
        """Run `exe` once on `input`; raise RunError unless the harness reports success."""


def missing_executables(names: Sequence[str]) -> list[str]:
    return [name for name in names if shutil.which(name) is None]
