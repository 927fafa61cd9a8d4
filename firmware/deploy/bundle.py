"""Deployment bundles: the impulse's C laid out for one board and kind, built and run on the test samples
(in QEMU, under qemu-aarch64, in wasmtime or natively) and zipped with a signed manifest only when it
reproduces the studio's classification. Identical inputs give byte-identical zips."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from firmware.boards import Board, check_kind, get_board
from firmware.codegen.emit import moteforge_version
from firmware.deploy import layouts, manifest
from firmware.deploy.estimate import DoesNotFit, check_fits, estimate, measure_target, record_build
from firmware.deploy.image import to_ppm
from firmware.deploy.runners import (
    CLASSIFY_TOOLCHAINS,
    build_classify,
    build_harness,
    impulse_harness_target,
    run_classify,
    run_windows,
)
from firmware.deploy.sources import ImpulseTree, write_impulse_tree
from firmware.deploy.spec import ImageInput, ImpulseSpec
from firmware.deploy.verification import (
    Scoring,
    TestSample,
    VerificationFailed,
    compare_result,
    compare_scores,
    parse_classify_output,
    to_csv,
)
from firmware.targets import Target, TargetError
from workers.pipeline.windowing import windows

__all__ = ["BundleResult", "TestSample", "VerificationFailed", "build_bundle"]


@dataclass(frozen=True)
class BundleResult:
    manifest: dict[str, Any]
    sizes: dict[str, Any]
    verification: dict[str, Any]
    path: Path


@functools.cache
def tool_version(tool: str) -> str:
    """First line of ``tool --version`` (toolchains named in the manifest)."""
    try:
        done = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        return "not installed"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "unknown"


class _Verifier:
    """Runs the checks, keeping a log and the problems found."""

    def __init__(
        self, spec: ImpulseSpec, tree: ImpulseTree, samples: list[TestSample], log: Callable[[str], None]
    ):
        self.spec, self.tree, self.samples = spec, tree, samples
        self.lines: list[str] = []
        self.problems: list[str] = []
        self.checks: list[dict[str, Any]] = []
        self.scoring = Scoring.of(spec, tree)
        self.built: tuple[Target, Path] | None = None  # the harness build, measured for the size report
        self._log = log

    def say(self, line: str) -> None:
        self.lines.append(line)
        self._log(line)

    def _record(self, name: str, problems: list[str]) -> None:
        self.checks.append({"check": name, "samples": len(self.samples), "ok": not problems})
        self.problems += problems
        self.say(f"{name}: {'ok' if not problems else 'FAILED'} on {len(self.samples)} samples")
        for p in problems:
            self.say(f"  {p}")
        if problems:
            # Stop at the first failed check: nothing after it can make the bundle acceptable.
            raise VerificationFailed(self.problems, "\n".join(self.lines))

    def classify_program(self, name: str, toolchain_id: str, exe: Path) -> None:
        toolchain = CLASSIFY_TOOLCHAINS[toolchain_id]
        problems: list[str] = []
        for sample in self.samples:
            try:
                if self.spec.is_image:
                    text = run_classify(toolchain, exe, to_ppm(sample.values))  # the frame as PPM on stdin
                else:
                    text = run_classify(
                        toolchain,
                        exe,
                        to_csv(sample, self.spec.input.axes),
                        ["--interval-ms", repr(sample.interval_ms)],
                    )
                got = parse_classify_output(text)
            except (TargetError, ValueError) as exc:
                problems.append(f"{sample.name}: {exc}")
                continue
            problems += compare_result(sample, got, self.scoring)
        self._record(name, problems)

    def make(self, files: dict[str, bytes], work: Path) -> None:
        """The c-library bundle's own Makefile, run with the host cc as a user would."""
        try:
            layouts.check_make(files, work)
        except RuntimeError as exc:
            self._record("make in the bundle", [str(exc)])
        self.say("make in the bundle: ok (classify and libimpulse.a built with the host cc)")

    def harness(self, name: str, target_id: str, build_dir: Path) -> tuple[Target, Path]:
        target = impulse_harness_target(self.tree, target_id)
        exe = build_harness(self.tree, target, build_dir)
        inp = self.spec.input
        problems: list[str] = []
        for sample in self.samples:
            if isinstance(inp, ImageInput):
                batch = np.asarray(sample.values, dtype=np.uint8)[None]  # one frame, one window
            else:
                batch = windows(
                    sample.values,
                    sample.interval_ms,
                    window_ms=inp.window_ms,
                    stride_ms=inp.stride_ms,
                    frequency_hz=inp.frequency_hz,
                    zero_pad=inp.zero_pad,
                )
            try:
                scores, _ = run_windows(self.tree, target, exe, batch)
            except TargetError as exc:
                problems.append(f"{sample.name}: {exc}")
                continue
            problems += compare_scores(sample, scores, self.scoring)
        self._record(name, problems)
        return target, exe


def _objcopy(elf: Path, fmt: str, out: Path) -> bytes:
    subprocess.run(["arm-none-eabi-objcopy", "-O", fmt, str(elf), str(out)], check=True, timeout=60)
    return out.read_bytes()


def _strip(exe: Path, strip_tool: str) -> bytes:
    # Symbol tables name the temporary build folder's objects; stripped binaries are reproducible.
    stripped = exe.with_name(exe.name + ".stripped")
    subprocess.run([strip_tool, "--strip-all", "-o", str(stripped), str(exe)], check=True, timeout=60)
    return stripped.read_bytes()


def _build_and_verify(
    spec: ImpulseSpec, board: Board, kind: str, tree: ImpulseTree, work: Path, v: _Verifier
) -> tuple[dict[str, bytes], set[str], list[str]]:
    """The kind's files (path -> bytes), which are executable, and the toolchains used."""
    files = layouts.sources(tree, kind, spec, board)
    executables: set[str] = set()
    tools = ["gcc"]
    # Every bundle: the C library built natively and run as the studio runs the recordings.
    native = build_classify(tree, CLASSIFY_TOOLCHAINS["x86_64"], work / "classify-x86_64")
    stdin = "a PPM frame" if spec.is_image else "CSV"
    v.classify_program(f"classify example, native x86_64 ({stdin} on stdin)", "x86_64", native)
    if kind == "c-library":
        v.make(files, work / "make")
    emulator = board.emulator
    if emulator is not None and emulator.startswith("cortex-m"):
        tools.append("arm-none-eabi-gcc")
        target, elf = v.harness(f"impulse on {emulator} in QEMU", emulator, work / "harness")
        v.built = (target, elf)
        if kind == "firmware":
            files["firmware/firmware.elf"] = _strip(elf, "arm-none-eabi-strip")
            files["firmware/firmware.bin"] = _objcopy(elf, "binary", work / "firmware.bin")
            files["firmware/firmware.hex"] = _objcopy(elf, "ihex", work / "firmware.hex")
    if emulator == "aarch64-linux" or kind == "linux":
        tools.append("aarch64-linux-gnu-gcc")
        exe = build_classify(tree, CLASSIFY_TOOLCHAINS["aarch64"], work / "classify-aarch64")
        v.classify_program("classify example, aarch64 under qemu-aarch64", "aarch64", exe)
        if kind == "linux":
            files["bin/classify-aarch64"] = _strip(exe, "aarch64-linux-gnu-strip")
            files["bin/classify-x86_64"] = _strip(native, "strip")
            executables |= {"bin/classify-aarch64", "bin/classify-x86_64"}
    if emulator == "wasm32-wasi" or kind == "wasm":
        tools.append("clang")
        exe = build_classify(tree, CLASSIFY_TOOLCHAINS["wasm32"], work / "classify.wasm")
        v.classify_program("classify example, WebAssembly in wasmtime", "wasm32", exe)
        if kind == "wasm":
            files["wasm/classify.wasm"] = exe.read_bytes()
    if kind == "arduino":
        tools.append("arm-none-eabi-gcc")
        files.update(layouts.arduino_libraries(tree, work / "arduino"))
        if spec.is_image:
            first = v.samples[0]
            files.update(layouts.arduino_test_frame(first.values, str(first.expected["label"])))
    return files, executables, tools


def build_bundle(
    spec: ImpulseSpec,
    board_id: str,
    kind: str,
    out_zip: Path,
    *,
    signing_key: bytes,
    test_samples: list[TestSample],
    log: Callable[[str], None] = lambda line: None,
    cache_dir: Path | None = None,
) -> BundleResult:
    """Build, verify, sign and zip. Raises ``UnknownBoard``, ``UnknownKind``, ``DoesNotFit`` before any
    build, and ``VerificationFailed`` (writing nothing) when the bundle's code disagrees with the studio."""
    board = get_board(board_id)
    check_kind(kind, board)
    if not test_samples:
        raise ValueError("verification needs at least one test sample")
    check_fits(spec, board)
    log(f"building {kind} bundle for {board.name} ({board.id})")
    with tempfile.TemporaryDirectory(prefix="mf-deploy-") as tmp:
        work = Path(tmp)
        tree = write_impulse_tree(spec, work / "tree")
        verifier = _Verifier(spec, tree, test_samples, log)
        files, executables, tools = _build_and_verify(spec, board, kind, tree, work, verifier)
        # The verified build is the one measured, when it runs on the core the figures are for.
        if verifier.built is not None and verifier.built[0].id == measure_target(board):
            target, exe = verifier.built
            resources = record_build(spec, board, tree, target, exe, cache_dir=cache_dir)
        else:
            resources = estimate(spec, board, cache_dir=cache_dir)
    if not resources.fits:
        raise DoesNotFit(board.id, resources.reasons)
    verifier.say(
        f"resources on {board.id}: {resources.ram_bytes} B RAM, {resources.flash_bytes} B flash, "
        f"{resources.latency_ms} ms per window ({resources.measured_on or 'memory plan'})"
    )

    sizes = {
        "board": board.id,
        "ram_bytes": resources.ram_bytes,
        "flash_bytes": resources.flash_bytes,
        "latency_ms": resources.latency_ms,
        "instructions_per_window": resources.instructions,
        "measured_on": resources.measured_on,
        "board_ram_bytes": board.ram_bytes,
        "board_flash_bytes": board.flash_bytes,
    }
    verification = {"ok": True, "checks": verifier.checks}
    files["size-report.json"] = manifest.canonical_json(sizes)
    files["verification.log"] = ("\n".join(verifier.lines) + "\n").encode()
    document = {
        "format": manifest.FORMAT,
        "moteforge_version": moteforge_version(),
        "project": {"id": spec.project_id, "name": spec.project_name},
        "impulse": {"id": spec.impulse_id, "version": spec.impulse_version, "name": spec.impulse_name},
        "model": {"id": spec.model_id, "version": spec.model_version, "sha256": spec.model_sha256},
        "board": {"id": board.id, "name": board.name, "core": board.core},
        "kind": kind,
        "toolchains": {t: tool_version(t) for t in sorted(set(tools))},
        "resources": {k: sizes[k] for k in ("ram_bytes", "flash_bytes", "latency_ms")},
        "files": {name: manifest.sha256(data) for name, data in sorted(files.items())},
        "signature": {"algorithm": "ed25519", "public_key": manifest.public_key_hex(signing_key)},
    }
    body = manifest.canonical_json(document)
    files[manifest.MANIFEST] = body
    files[manifest.SIGNATURE] = manifest.sign(body, signing_key)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_zip(out_zip, files, executables)
    log(f"bundle written: {out_zip.name} ({len(files)} files)")
    return BundleResult(manifest=document, sizes=sizes, verification=verification, path=out_zip)
