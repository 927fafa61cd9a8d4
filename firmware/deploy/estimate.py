"""RAM, flash and latency of an impulse on a board: a quick bound from the compiler's memory plan, and the
measured figures of a real build (link map sizes, painted stack, emulated instruction counts at the
board's clock, DSP included), cached per (model, processing, core) since emulator runs take time."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from firmware.boards import Board
from firmware.compiler import compile_model
from firmware.deploy.runners import build_harness, impulse_harness_target, run_windows
from firmware.deploy.sources import ImpulseTree, write_impulse_tree
from firmware.deploy.spec import ImpulseSpec
from firmware.targets import Target, measure
from firmware.targets.insn_count import default_cache_dir

CACHE_VERSION = 4  # 4: anomaly blocks are keyed by their parameters (they have no .tflite)
# Boards without an emulator (Xtensa) are estimated from the nearest core we can run.
PROXY_TARGET = "cortex-m4"
# Code of the runtime and the DSP is not in the plan; a Cortex-M build of a small impulse links about this.
PLAN_CODE_BYTES = 12 * 1024


class DoesNotFit(ValueError):
    """The impulse needs more RAM or flash than the board has; the message gives the numbers."""

    def __init__(self, board_id: str, reasons: list[str]) -> None:
        super().__init__(f"{board_id}: " + "; ".join(reasons))
        self.board_id = board_id
        self.reasons = reasons


@dataclass(frozen=True)
class Estimate:
    """What the impulse needs on one board. ``instructions`` and ``latency_ms`` are per window (DSP and
    model); None where the board's code cannot be counted (native x86_64, WebAssembly)."""

    ram_bytes: int
    flash_bytes: int
    latency_ms: float | None
    instructions: int | None
    fits: bool
    reasons: list[str] = field(default_factory=list)
    measured_on: str | None = None  # the target the figures come from; None for a plan-only bound

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def _kb(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


def _judge(board: Board, ram: int, flash: int) -> list[str]:
    reasons = []
    if ram > board.ram_bytes:
        reasons.append(f"needs {_kb(ram)} RAM, board has {_kb(board.ram_bytes)}")
    if flash > board.flash_bytes:
        reasons.append(f"needs {_kb(flash)} flash, board has {_kb(board.flash_bytes)}")
    return reasons


def _anomaly_values(params: dict[str, object]) -> int:
    return sum(int(np.asarray(v).size) for v in params.values() if isinstance(v, list))


def plan_estimate(spec: ImpulseSpec, board: Board) -> Estimate:
    """A lower bound from the model's memory plan and the impulse's buffers, without building anything."""
    with tempfile.TemporaryDirectory(prefix="mf-deploy-plan-") as tmp:
        tree = write_impulse_tree(spec, Path(tmp) / "tree")
        if spec.is_anomaly:
            # Parameter tables are doubles; the standardized features too.
            arena, constants = 8 * tree.features, 8 * _anomaly_values(spec.anomaly or {})
        else:
            report = compile_model(spec.model, Path(tmp) / "model").report
            arena, constants = int(report["memory"]["arena_bytes"]), int(report["constant_bytes"])
    buffers = 4 * (tree.features + tree.scratch_floats + 1) + tree.window_bytes + tree.features
    ram = arena + buffers
    flash = constants + PLAN_CODE_BYTES
    reasons = _judge(board, ram, flash)
    return Estimate(ram, flash, None, None, not reasons, reasons, None)


def check_fits(spec: ImpulseSpec, board: Board) -> Estimate:
    """The plan bound, raising ``DoesNotFit`` with the numbers when the board is too small."""
    bound = plan_estimate(spec, board)
    if not bound.fits:
        raise DoesNotFit(board.id, bound.reasons)
    return bound


def _measure_target(board: Board) -> str | None:
    if board.emulator is None:
        return PROXY_TARGET
    return None if board.emulator in ("host", "wasm32-wasi") else board.emulator


def _cache_file(spec: ImpulseSpec, target_id: str, cache_dir: Path | None) -> Path:
    import hashlib

    key = hashlib.sha256(
        f"{CACHE_VERSION}\n{spec.model_sha256}\n{spec.dsp_config()}\n{target_id}".encode()
    ).hexdigest()[:32]
    return (cache_dir or default_cache_dir()) / "deploy-estimates" / f"{key}.json"


def measure_build(tree: ImpulseTree, target: Target, exe: Path) -> dict[str, int]:
    """Figures of a harness build of the impulse: app flash and RAM, stack, instructions per window."""
    sizes = measure(exe)
    # Noise rather than zeros: some DSP paths (logs of zero power, peak searches) are shorter on silence.
    rng = np.random.default_rng(0)
    if tree.image_shape is not None:
        window = rng.integers(0, 256, (1, *tree.image_shape), dtype=np.uint8)
    else:
        window = rng.standard_normal((1, tree.frames, tree.axes)).astype(np.float32)
    counted = getattr(target, "nm", None) is not None and target.id != "host"
    _, counts = run_windows(tree, target, exe, window, count_instructions=counted)
    stack = target.run(exe, window.tobytes()).stack_bytes or 0
    if sizes.app is None:
        raise ValueError(f"{target.id}: the build has no link map, its sizes are unknown")
    return {
        "flash_bytes": sizes.app.flash,
        "ram_bytes": sizes.app.static_ram + stack,
        "stack_bytes": stack,
        "instructions": counts[0] if counts else -1,
    }


def _from_figures(figures: dict[str, int], board: Board, target_id: str) -> Estimate:
    instructions = figures["instructions"] if figures["instructions"] >= 0 else None
    latency = None
    if instructions is not None and board.clock_hz:
        # One instruction per cycle: a lower bound on real cycles (see firmware/targets/insn_count.py).
        latency = round(instructions / board.clock_hz * 1000.0, 3)
    ram, flash = figures["ram_bytes"], figures["flash_bytes"]
    reasons = _judge(board, ram, flash)
    return Estimate(ram, flash, latency, instructions, not reasons, reasons, target_id)


def record_build(
    spec: ImpulseSpec,
    board: Board,
    tree: ImpulseTree,
    target: Target,
    exe: Path,
    *,
    cache_dir: Path | None = None,
) -> Estimate:
    """Measure a harness build made for verification and keep the figures in the estimate cache."""
    path = _cache_file(spec, target.id, cache_dir)
    if path.exists():
        figures = json.loads(path.read_text())
    else:
        figures = measure_build(tree, target, exe)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, sort_keys=True))
    return _from_figures(figures, board, target.id)


def measure_target(board: Board) -> str | None:
    """The target whose build gives the board's figures (a proxy core for boards we cannot emulate)."""
    return _measure_target(board)


def estimate(spec: ImpulseSpec, board: Board, *, cache_dir: Path | None = None) -> Estimate:
    """Measured RAM, flash and per-window latency of the impulse's own code on the board's core (or the
    plan bound where nothing can be built or it already does not fit)."""
    bound = plan_estimate(spec, board)
    target_id = _measure_target(board)
    if target_id is None or not bound.fits:
        return bound
    path = _cache_file(spec, target_id, cache_dir)
    if path.exists():
        return _from_figures(json.loads(path.read_text()), board, target_id)
    with tempfile.TemporaryDirectory(prefix="mf-deploy-measure-") as tmp:
        tree = write_impulse_tree(spec, Path(tmp) / "tree")
        target = impulse_harness_target(tree, target_id)
        exe = build_harness(tree, target, Path(tmp) / "build")
        return record_build(spec, board, tree, target, exe, cache_dir=cache_dir)
