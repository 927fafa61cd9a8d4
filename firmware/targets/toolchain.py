"""Shared build logic for GCC-compatible toolchains: compile each source to its own object (so sizes can be
told apart per object), compile the harness support files, link with a map file, write the build manifest."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from firmware.targets.base import (
    C_DIR,
    BuildManifest,
    Target,
    define_flags,
    missing_executables,
    object_names,
    run_tool,
)

COMMON_CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections")
"""Per-function sections let the linker drop unused code, so sizes reflect what the model really uses."""


@dataclass(frozen=True)
class GccTarget(Target):
    """A target built by a GCC-compatible driver; subclasses add the runner and any startup/link script."""

    cc: str = "gcc"
    arch_flags: tuple[str, ...] = ()
    """Flags for both compiling and linking (CPU, float ABI, specs)."""
    link_flags: tuple[str, ...] = ()
    support_sources: tuple[str, ...] = ("harness.c",)
    """Files under the package's c/ directory compiled into every build."""
    support_defines: dict[str, str | int | None] = field(default_factory=dict)
    """Defines for the support files only (harness buffer sizes, stack probe)."""
    write_map: bool = True
    exe_suffix: str = ".elf"
    extra_tools: tuple[str, ...] = ()
    """Emulators or helpers the runner needs, checked together with the compiler."""
    required_files: tuple[str, ...] = ()
    """Libraries or specs files the driver must find (newlib's librdimon.a, wasi-libc's libc.a...)."""

    def missing_tools(self) -> list[str]:
        missing = missing_executables((self.cc, *self.extra_tools))
        if not missing:
            missing += [name for name in self.required_files if not self._driver_finds(name)]
        return missing

    def _driver_finds(self, name: str) -> bool:
        # The driver echoes the bare name back when the file is not on its search path.
        found = subprocess.run(
            [self.cc, *self.arch_flags, f"-print-file-name={name}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout.strip()
        return found != name and Path(found).is_absolute() and Path(found).exists()

    def linker_script(self, out_dir: Path) -> Path | None:
        """Write and return the linker script for this build; None to use the toolchain's default."""
        return None

    def build(
        self,
        sources: list[Path],
        include_dirs: list[Path],
        out_dir: Path,
        *,
        defines: dict[str, str | int | None] | None = None,
        opt: str = "-Os",
        extra_cflags: Sequence[str] = (),
    ) -> Path:
        self.check_available()
        out_dir.mkdir(parents=True, exist_ok=True)
        app_dir = out_dir / "obj" / "app"
        support_dir = out_dir / "obj" / "support"
        app_dir.mkdir(parents=True, exist_ok=True)
        support_dir.mkdir(parents=True, exist_ok=True)

        includes = [f"-I{path.resolve()}" for path in (*include_dirs, C_DIR)]
        base = [
            self.cc,
            *self.arch_flags,
            opt,
            *COMMON_CFLAGS,
            *includes,
            *define_flags(defines),
            *extra_cflags,
        ]

        app_objects = object_names(sources, app_dir)
        for src, obj in zip(sources, app_objects, strict=True):
            run_tool(self.id, [*base, "-c", str(src.resolve()), "-o", str(obj.resolve())])
        support_srcs = [C_DIR / name for name in self.support_sources]
        support_objects = object_names(support_srcs, support_dir)
        support_cflags = define_flags(self.support_defines)
        for src, obj in zip(support_srcs, support_objects, strict=True):
            run_tool(self.id, [*base, *support_cflags, "-c", str(src), "-o", str(obj.resolve())])

        exe = (out_dir / f"firmware{self.exe_suffix}").resolve()
        link = [self.cc, *self.arch_flags, opt, *self.link_flags]
        script = self.linker_script(out_dir)
        if script is not None:
            link.append(f"-T{script.resolve()}")
        map_file = out_dir.resolve() / "firmware.map" if self.write_map else None
        if map_file is not None:
            link.append(f"-Wl,-Map={map_file}")
        objects = [str(obj.resolve()) for obj in (*app_objects, *support_objects)]
        run_tool(self.id, [*link, *objects, "-o", str(exe)])

        BuildManifest(
            target_id=self.id,
            app_objects=[str(obj.resolve()) for obj in app_objects],
            support_objects=[str(obj.resolve()) for obj in support_objects],
            map_file=str(map_file) if map_file is not None else None,
        ).write(exe)
        return exe


def render_linker_script(
    out_dir: Path,
    *,
    entry: str,
    rom: tuple[int, int],
    ram: tuple[int, int],
    stack_size: int,
) -> Path:
    """Fill the bare-metal linker-script template for one memory map ((origin, length) pairs)."""
    text = (C_DIR / "baremetal.ld.in").read_text()
    fields = {
        "ENTRY": entry,
        "ROM_ORIGIN": hex(rom[0]),
        "ROM_LENGTH": hex(rom[1]),
        "RAM_ORIGIN": hex(ram[0]),
        "RAM_LENGTH": hex(ram[1]),
        "STACK_SIZE": hex(stack_size),
    }
    for name, value in fields.items():
        text = text.replace(f"@{name}@", value)
    path = out_dir / "firmware.ld"
    path.write_text(text)
    return path
