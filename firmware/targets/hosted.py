"""Hosted targets: programs with an operating system underneath (the build machine itself, or Linux user
mode under qemu-user). The harness gets its file names as arguments; there is no stack to paint."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from firmware.targets import insn_count
from firmware.targets.base import (
    DEFAULT_RUN_TIMEOUT_S,
    RunError,
    RunOutput,
    TargetError,
    missing_executables,
    parse_report,
)
from firmware.targets.toolchain import GccTarget


@dataclass(frozen=True)
class HostedTarget(GccTarget):
    """Runs the executable directly, or through `emulator` (qemu-user), which can also count instructions."""

    emulator: tuple[str, ...] = ()
    """Command prefix that runs a foreign executable; empty for the build machine itself."""
    nm: str | None = None
    """Symbol lister for the marker addresses; None where instructions cannot be counted."""

    def missing_tools(self) -> list[str]:
        tools = [self.cc, *self.extra_tools, *self.emulator[:1]]
        if self.nm is not None:
            tools.append(self.nm)
        return missing_executables(tools)

    def run(
        self,
        exe: Path,
        input: bytes,
        *,
        count_instructions: bool = False,
        timeout_s: float = DEFAULT_RUN_TIMEOUT_S,
    ) -> RunOutput:
        self.check_available()
        if count_instructions and (not self.emulator or self.nm is None):
            raise TargetError(f"{self.id}: instruction counting needs an emulator; this target runs natively")
        with tempfile.TemporaryDirectory(prefix="mf-run-") as tmp:
            work = Path(tmp)
            in_path = work / "input.bin"
            out_path = work / "output.bin"
            in_path.write_bytes(input)
            log_file = work / "plugin.log"
            command = list(self.emulator)
            if count_instructions and self.nm is not None:
                command += insn_count.plugin_arguments(exe, self.nm, log_file)
            command += [str(exe.resolve()), str(in_path), str(out_path)]
            try:
                done = subprocess.run(
                    command, cwd=work, capture_output=True, text=True, timeout=timeout_s, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise RunError(self.id, f"no exit within {timeout_s} s") from exc
            status, _ = parse_report(done.stdout)
            if done.returncode != 0 or status != 0:
                reason = f"exit code {done.returncode}, harness status {status}"
                raise RunError(self.id, reason, done.stdout, done.stderr)
            output = out_path.read_bytes() if out_path.exists() else b""
            instructions = insn_count.read_count(log_file) if count_instructions else None
            if count_instructions and instructions is None:
                raise RunError(self.id, "instruction counter reported nothing", done.stdout, done.stderr)
        return RunOutput(output=output, instructions=instructions, stdout=done.stdout, stack_bytes=None)
