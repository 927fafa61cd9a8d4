"""Bare-metal targets run under qemu-system with semihosting: the harness reads and writes files in the
emulator's working directory, and the stack region from the linker script is painted to measure its use."""

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
    missing_executables,
    parse_report,
)
from firmware.targets.toolchain import GccTarget, render_linker_script

IN_FILE = "mf_input.bin"
OUT_FILE = "mf_output.bin"


@dataclass(frozen=True)
class SemihostedQemuTarget(GccTarget):
    """A QEMU machine model plus the memory map our linker script gives it."""

    qemu: str = "qemu-system-arm"
    machine: str = ""
    qemu_args: tuple[str, ...] = ()
    nm: str = "arm-none-eabi-nm"
    entry: str = "mf_reset_handler"
    rom: tuple[int, int] = (0, 0)
    """(origin, length) of the region holding code and constants."""
    ram: tuple[int, int] = (0, 0)
    """(origin, length) of the region holding data, bss, heap and stack."""
    stack_size: int = 0x8000

    def missing_tools(self) -> list[str]:
        return missing_executables((self.cc, self.qemu, self.nm, *self.extra_tools))

    def linker_script(self, out_dir: Path) -> Path:
        return render_linker_script(
            out_dir, entry=self.entry, rom=self.rom, ram=self.ram, stack_size=self.stack_size
        )

    def run(
        self,
        exe: Path,
        input: bytes,
        *,
        count_instructions: bool = False,
        timeout_s: float = DEFAULT_RUN_TIMEOUT_S,
    ) -> RunOutput:
        self.check_available()
        with tempfile.TemporaryDirectory(prefix="mf-run-") as tmp:
            work = Path(tmp)
            (work / IN_FILE).write_bytes(input)
            log_file = work / "plugin.log"
            console = work / "console.txt"
            command = [
                self.qemu,
                "-M",
                self.machine,
                *self.qemu_args,
                "-nographic",
                "-monitor",
                "none",
                # Semihosting console writes (SYS_WRITEC/WRITE0, used by picolibc) go to this file; newlib's
                # rdimon writes to the host's stdout instead. The report is read from both.
                "-chardev",
                f"file,id=mfcon,path={console}",
                "-semihosting-config",
                "enable=on,target=native,chardev=mfcon",
            ]
            if count_instructions:
                command += insn_count.plugin_arguments(exe, self.nm, log_file)
            command += ["-kernel", str(exe.resolve())]
            try:
                done = subprocess.run(
                    command, cwd=work, capture_output=True, text=True, timeout=timeout_s, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise RunError(
                    self.id, f"no exit within {timeout_s} s", _text(exc.stdout), _text(exc.stderr)
                ) from exc
            stdout = done.stdout + (console.read_text(errors="replace") if console.exists() else "")
            status, stack = parse_report(stdout)
            if done.returncode != 0 or status != 0:
                reason = f"exit code {done.returncode}, harness status {status}"
                raise RunError(self.id, reason, stdout, done.stderr)
            out_path = work / OUT_FILE
            output = out_path.read_bytes() if out_path.exists() else b""
            instructions = insn_count.read_count(log_file) if count_instructions else None
            if count_instructions and instructions is None:
                raise RunError(self.id, "instruction counter reported nothing", stdout, done.stderr)
        return RunOutput(output=output, instructions=instructions, stdout=stdout, stack_bytes=stack)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")
