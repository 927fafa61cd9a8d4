"""WebAssembly (WASI) target: clang + wasi-libc + lld build a command module, run in-process by wasmtime
with a preopened working directory for the harness's input and output files."""

from __future__ import annotations

import importlib.util
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from firmware.targets.base import DEFAULT_RUN_TIMEOUT_S, RunError, RunOutput, TargetError, parse_report
from firmware.targets.toolchain import GccTarget

GUEST_DIR = "/work"


@dataclass(frozen=True)
class WasiTarget(GccTarget):
    """Runs under the `wasmtime` Python package; no instruction counter (wasm has no markers we can hook)."""

    def missing_tools(self) -> list[str]:
        missing = super().missing_tools()
        if not missing:
            # Without compiler-rt's wasm32 builtins wasm-ld fails on the first 64-bit division.
            builtins = subprocess.run(
                [self.cc, *self.arch_flags, "-print-libgcc-file-name"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout.strip()
            if not builtins or not Path(builtins).exists():
                missing.append("compiler-rt builtins for wasm32")
        if importlib.util.find_spec("wasmtime") is None:
            missing.append("wasmtime (Python package)")
        return missing

    def run(
        self,
        exe: Path,
        input: bytes,
        *,
        count_instructions: bool = False,
        timeout_s: float = DEFAULT_RUN_TIMEOUT_S,
    ) -> RunOutput:
        import wasmtime

        self.check_available()
        if count_instructions:
            raise TargetError(f"{self.id}: instruction counting is not available for WebAssembly")
        with tempfile.TemporaryDirectory(prefix="mf-run-") as tmp:
            work = Path(tmp)
            (work / "input.bin").write_bytes(input)
            stdout_path = work / "stdout.txt"
            config = wasmtime.Config()
            # An epoch deadline bounds runaway programs the way subprocess timeouts do for the emulators.
            config.epoch_interruption = True
            engine = wasmtime.Engine(config)
            store = wasmtime.Store(engine)
            store.set_epoch_deadline(1)
            wasi = wasmtime.WasiConfig()
            wasi.argv = ["firmware", f"{GUEST_DIR}/input.bin", f"{GUEST_DIR}/output.bin"]
            wasi.preopen_dir(str(work), GUEST_DIR)
            wasi.stdout_file = str(stdout_path)
            store.set_wasi(wasi)
            linker = wasmtime.Linker(engine)
            linker.define_wasi()
            instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(exe)))
            start = instance.exports(store)["_start"]
            if not isinstance(start, wasmtime.Func):
                raise RunError(self.id, "module exports no _start function")
            exit_code = 0
            timer = threading.Timer(timeout_s, engine.increment_epoch)
            timer.start()
            try:
                start(store)
            except wasmtime.ExitTrap as exc:
                exit_code = exc.code
            except wasmtime.Trap as exc:
                raise RunError(self.id, f"trap: {exc}", _read(stdout_path)) from exc
            finally:
                timer.cancel()
            stdout = _read(stdout_path)
            status, _ = parse_report(stdout)
            if exit_code != 0 or status != 0:
                raise RunError(self.id, f"exit code {exit_code}, harness status {status}", stdout)
            out_path = work / "output.bin"
            output = out_path.read_bytes() if out_path.exists() else b""
        return RunOutput(output=output, instructions=None, stdout=stdout, stack_bytes=None)


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
