"""Instruction counting in QEMU: builds Moteforge's counting plugin on demand into a cache directory, finds
the marker addresses with the toolchain's nm, and reads the counts back from the plugin log.

Counts are executed guest instructions between entering mf_bench_begin and entering mf_bench_end, so they
include a handful of instructions of call overhead. They are deterministic and independent of the host.
Latency estimates assume one instruction per cycle; on Cortex-M0+/M3/M4 most integer instructions take one
cycle, loads and taken branches two to three, so real cycle counts run somewhat higher than the estimate."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from firmware.targets.base import ToolchainMissing

PLUGIN_SOURCE = Path(__file__).parent / "qemu_plugin" / "mf_insn_count.c"
BEGIN_MARKER = "mf_bench_begin"
END_MARKER = "mf_bench_end"

_INSNS_RE = re.compile(r"^MF_INSNS (\d+)\s*$", re.MULTILINE)


def default_cache_dir() -> Path:
    """Per-user cache for built helper binaries (XDG convention)."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "moteforge"


def plugin_path(cache_dir: Path | None = None, host_cc: str = "gcc") -> Path:
    """Path of the counting plugin, compiling it first if this source version is not in the cache yet."""
    source = PLUGIN_SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    directory = (cache_dir or default_cache_dir()) / "qemu-plugins"
    target = directory / f"mf_insn_count-{digest}.so"
    if target.exists():
        return target
    if shutil.which(host_cc) is None:
        raise ToolchainMissing("qemu-plugin", host_cc)
    directory.mkdir(parents=True, exist_ok=True)
    # Build under a temporary name and rename: concurrent test workers may race to build the same plugin.
    fd, tmp_name = tempfile.mkstemp(dir=directory, suffix=".so.tmp")
    os.close(fd)
    try:
        subprocess.run(
            [host_cc, "-shared", "-fPIC", "-O2", "-o", tmp_name, str(PLUGIN_SOURCE)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def marker_addresses(exe: Path, nm: str) -> tuple[int, int]:
    """Entry addresses of the two marker functions, from the executable's symbol table."""
    if shutil.which(nm) is None:
        raise ToolchainMissing("qemu-plugin", nm)
    listing = subprocess.run([nm, str(exe)], check=True, capture_output=True, text=True, timeout=60).stdout
    found: dict[str, int] = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in (BEGIN_MARKER, END_MARKER):
            found[parts[2]] = int(parts[0], 16)
    missing = {BEGIN_MARKER, END_MARKER} - found.keys()
    if missing:
        raise ValueError(f"{exe}: marker symbols not found: {', '.join(sorted(missing))}")
    return found[BEGIN_MARKER], found[END_MARKER]


def plugin_arguments(exe: Path, nm: str, log_file: Path, cache_dir: Path | None = None) -> list[str]:
    """QEMU command-line arguments that load the plugin for `exe` and send its report to `log_file`."""
    begin, end = marker_addresses(exe, nm)
    plugin = plugin_path(cache_dir)
    return ["-plugin", f"{plugin},begin={begin:#x},end={end:#x}", "-d", "plugin", "-D", str(log_file)]


def read_count(log_file: Path) -> int | None:
    """Instructions of the last measured region, or None if the end marker never ran."""
    if not log_file.exists():
        return None
    counts = _INSNS_RE.findall(log_file.read_text())
    return int(counts[-1]) if counts else None


def latency_s(instructions: int, clock_hz: float, cycles_per_instruction: float = 1.0) -> float:
    """Estimated run time at `clock_hz`; see the module docstring for what the 1.0 CPI default means."""
    if clock_hz <= 0:
        raise ValueError("clock_hz must be positive")
    return instructions * cycles_per_instruction / clock_hz
