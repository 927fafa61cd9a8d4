"""Anomaly and regression impulses in the other bundle kinds: the classify example under qemu-aarch64 and in
wasmtime, and the Arduino library: its IMU sketch run in QEMU on a replayed recording prints the studio's
anomaly score and normal/anomaly, or the studio's value, for every window; both sketches compile for every
learning block's header."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from firmware.deploy.bundle import build_bundle
from firmware.deploy.sources import C_DIR, write_impulse_tree
from firmware.deploy.spec import ImpulseSpec
from firmware.deploy.verification import TestSample
from tests.firmware.deploy import factories
from tests.firmware.deploy.arduino.sketches import (
    CPU_FLAGS,
    CXX_FLAGS,
    HOST_DIR,
    build_sketch,
    imu_recording,
    run_sketch,
    sketch_to_cpp,
    unpacked_library,
)
from tests.firmware.deploy.conftest import SIGNING_KEY

BOARD = "arduino-nano-33-ble-sense"
# What the IMU sketch prints per window: "anomaly score S normal|anomaly", or "value V" (five decimals).
ANOMALY_LINE = re.compile(r"^anomaly score (?P<score>-?\d+\.\d{5}) (?P<label>normal|anomaly)$")
VALUE_LINE = re.compile(r"^value (?P<value>-?\d+\.\d{5})$")


@pytest.fixture(scope="module")
def regression(deploy_cache: Path) -> tuple[ImpulseSpec, list[TestSample]]:
    spec = factories.regression_spec(deploy_cache)
    return spec, factories.regression_samples(spec, 2)


@pytest.fixture(scope="module")
def kmeans() -> tuple[ImpulseSpec, list[TestSample]]:
    spec = factories.anomaly_spec("kmeans")
    return spec, factories.anomaly_samples(spec, 2)


@pytest.fixture(scope="module")
def keyword() -> tuple[ImpulseSpec, list[TestSample]]:
    return factories.keyword_spec_and_samples()


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize(
    ("learn", "board_id", "kind", "check"),
    [
        ("regression", "raspberry-pi-4", "linux", "classify example, aarch64 under qemu-aarch64"),
        ("regression", "wasm", "wasm", "classify example, WebAssembly in wasmtime"),
        ("kmeans", "wasm", "wasm", "classify example, WebAssembly in wasmtime"),
    ],
)
def test_the_bundle_kind_is_verified_for_the_learning_block(
    learn: str,
    board_id: str,
    kind: str,
    check: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    deploy_cache: Path,
) -> None:
    spec, samples = request.getfixturevalue(learn)
    result = build_bundle(
        spec,
        board_id,
        kind,
        tmp_path / "b.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    checks = {c["check"]: c["ok"] for c in result.verification["checks"]}
    assert checks[check] and all(checks.values())


def _lines(serial: str) -> list[str]:
    return serial.replace("\r\n", "\n").splitlines()


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize("learn", ["kmeans", "regression"])
def test_the_imu_sketch_prints_the_studios_result_of_each_window_in_qemu(
    learn: str, request: pytest.FixtureRequest, tmp_path: Path, deploy_cache: Path
) -> None:
    spec, samples = request.getfixturevalue(learn)
    result = build_bundle(
        spec,
        BOARD,
        "arduino",
        tmp_path / "a.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    elf = build_sketch(unpacked_library(result.path, tmp_path), "classify_imu", tmp_path / "build")
    for sample in samples:
        lines = _lines(run_sketch(elf, {"imu.bin": imu_recording(sample.values)}).serial)
        studio = sample.expected["windows"]
        assert len(lines) == len(studio), (sample.name, lines)
        for line, window in zip(lines, studio, strict=True):
            if learn == "kmeans":
                found = ANOMALY_LINE.match(line)
                assert found is not None, line
                assert found["label"] == window["label"], (line, window)
                want = window["scores"]["anomaly score"]
                assert float(found["score"]) == pytest.approx(want, rel=1e-3, abs=1e-5), (line, window)
            else:
                found = VALUE_LINE.match(line)
                assert found is not None, line
                # Within one int8 output step of the studio's value, as verification allows.
                step = _output_scale(spec) + 1e-5
                assert abs(float(found["value"]) - window["value"]) <= step, (line, window)
    if learn == "kmeans":
        # The stuck gyroscope of the last recording is flagged, the first recording is not.
        assert samples[-1].expected["label"] == "anomaly" and samples[0].expected["label"] == "normal"


def _output_scale(spec: ImpulseSpec) -> float:
    from workers.learn.export import inspect_tflite

    return float(inspect_tflite(spec.model).output_quantization[0])


@pytest.mark.slow
@pytest.mark.parametrize("learn", ["spec", "keyword", "regression", "kmeans"])
@pytest.mark.parametrize("sketch", ["classify_imu", "classify_microphone"])
def test_both_sketches_compile_for_every_learning_block(
    learn: str, sketch: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Each sketch made into C++ as the Arduino builder does and compiled for the Nano's core with warnings
    as errors, against the header of a classifier (motion or audio), a regression and an anomaly block."""
    value = request.getfixturevalue(learn)
    spec = value[0] if isinstance(value, tuple) else value
    tree = write_impulse_tree(spec, tmp_path / "tree")
    cpp = tmp_path / f"{sketch}.ino.cpp"
    cpp.write_text(sketch_to_cpp((C_DIR / f"{sketch}.ino").read_text(), f"{sketch}.ino"))
    command = [
        "arm-none-eabi-g++",
        *CPU_FLAGS,
        *CXX_FLAGS,
        f"-I{HOST_DIR}",
        f"-I{tree.root / 'impulse'}",
        "-c",
        str(cpp),
        "-o",
        str(tmp_path / "sketch.o"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
