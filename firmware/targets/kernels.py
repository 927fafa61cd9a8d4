"""Which runtime kernel sources a target builds: the portable ones from firmware/runtime/src, with files of
the same name from firmware/runtime/arch/<family> substituted where the target's features allow it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from firmware.targets.base import Target

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
PORTABLE_DIR = RUNTIME_DIR / "src"
INCLUDE_DIR = RUNTIME_DIR / "include"
ARM_DSP_DIR = RUNTIME_DIR / "arch" / "arm"


@dataclass(frozen=True)
class KernelSet:
    """Sources, include directories and defines to add to a target build for the runtime kernels."""

    sources: list[Path]
    include_dirs: list[Path]
    defines: dict[str, str | int | None] = field(default_factory=dict)
    optimized: list[str] = field(default_factory=list)
    """File names replaced by an architecture-specific variant."""


def portable_sources() -> list[Path]:
    return sorted(PORTABLE_DIR.glob("*.c"))


def kernel_set(
    target: Target, *, optimized: bool = True, portable: Sequence[Path] | None = None
) -> KernelSet:
    """The runtime kernels for `target`: Arm DSP variants on cores with the DSP extension unless
    `optimized` is False (for comparisons), the portable file for everything else."""
    sources = list(portable) if portable is not None else portable_sources()
    if not optimized or "dsp" not in target.features:
        return KernelSet(sources=sources, include_dirs=[INCLUDE_DIR])
    variants = {path.name: path for path in ARM_DSP_DIR.glob("*.c")}
    chosen = [variants.get(path.name, path) for path in sources]
    replaced = sorted(name for name in variants if any(path.name == name for path in sources))
    return KernelSet(
        sources=chosen,
        include_dirs=[INCLUDE_DIR, ARM_DSP_DIR],
        defines={"MF_USE_ARM_DSP": None},
        optimized=replaced,
    )
