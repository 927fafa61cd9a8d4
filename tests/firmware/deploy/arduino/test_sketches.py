"""The Arduino bundle's example sketches compiled for the Nano 33 BLE Sense's Cortex-M4F, linked with the
precompiled library the bundle ships and run in QEMU with the IMU or the microphone replaying test
recordings: each window's class printed on Serial is the studio's int8 classification of that window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.deploy.bundle import BundleResult, build_bundle
from firmware.deploy.verification import TestSample
from tests.firmware.deploy import factories
from tests.firmware.deploy.arduino.sketches import (
    SketchFailed,
    build_sketch,
    imu_recording,
    parse_results,
    pdm_recording,
    run_sketch,
    sketch_to_cpp,
    unpacked_library,
)
from tests.firmware.deploy.conftest import SIGNING_KEY

BOARD = "arduino-nano-33-ble-sense"
# A softmax's int8 output moves in steps of 1/256 and the bundle's scores may differ from the studio's by one
# step (what verification allows); the sketch prints three decimals.
STEP = 1 / 256
PRINTED = 0.0005


def _assert_studio_classes(printed: str, sample: TestSample) -> None:
    """Each printed line is the studio's best class of its window (or one within a step of it, when the
    studio's top scores are that close) with the studio's score for it."""
    results = parse_results(printed)
    studio = [dict(w["scores"]) for w in sample.expected["windows"]]
    assert len(results) == len(studio), (
        f"{sample.name}: printed {printed!r}, studio has {len(studio)} windows"
    )
    for index, ((name, score), scores) in enumerate(zip(results, studio, strict=True)):
        best = max(scores.values())
        where = f"{sample.name} window {index}: printed {name} {score}, studio {scores}"
        assert name in scores and scores[name] >= best - STEP, where
        assert abs(score - scores[name]) <= STEP + PRINTED, where


@pytest.mark.slow
@pytest.mark.qemu
def test_the_imu_sketch_prints_the_studio_class_of_each_window_of_a_replayed_recording(
    bundle: Callable[[str, str], BundleResult], samples: list[TestSample], tmp_path: Path
) -> None:
    library = unpacked_library(bundle(BOARD, "arduino").path, tmp_path)
    elf = build_sketch(library, "classify_imu", tmp_path / "build")
    for sample in samples:
        run = run_sketch(elf, {"imu.bin": imu_recording(sample.values)})
        _assert_studio_classes(run.serial, sample)


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize("block", ["mfcc", "mfe"])
def test_the_microphone_sketch_classifies_every_window_of_a_recording_streamed_in_pdm_blocks(
    block: str, deploy_cache: Path, tmp_path: Path
) -> None:
    # 250 ms windows every 125 ms at 16 kHz (the Nano's PDM rate): windows end inside the 256-sample blocks
    # the microphone delivers, and blocks keep arriving while a window is classified.
    spec, tones = factories.keyword_spec_and_samples(16000.0, block, pcm16=True)
    result = build_bundle(
        spec,
        BOARD,
        "arduino",
        tmp_path / "microphone.zip",
        signing_key=SIGNING_KEY,
        test_samples=tones,
        cache_dir=deploy_cache,
    )
    library = unpacked_library(result.path, tmp_path)
    elf = build_sketch(library, "classify_microphone", tmp_path / "build")
    for tone in tones:
        run = run_sketch(elf, {"pdm.bin": pdm_recording(tone.values, spec.input.frequency_hz)})
        _assert_studio_classes(run.serial, tone)


def test_a_sketch_becomes_cpp_with_arduino_h_first_and_prototypes_before_its_first_function() -> None:
    ino = (
        "#include <PDM.h>\n\nstatic int count = 0;\n\n"
        "void loop() {\n  helper(2);\n}\n\nstatic int helper(int x) {\n  if (x) {\n    return x;\n  }\n"
        "  return 0;\n}\n"
    )
    cpp = sketch_to_cpp(ino, "demo.ino").splitlines()
    assert cpp[0] == "#include <Arduino.h>" and cpp[1] == '#line 1 "demo.ino"'
    first = cpp.index("void loop() {")
    assert cpp.index("void loop();") < first and cpp.index("static int helper(int x);") < first
    assert cpp.index("static int count = 0;") < cpp.index("void loop();")
    assert cpp[first - 1] == '#line 5 "demo.ino"'


def test_serial_output_other_than_one_result_a_line_is_refused() -> None:
    assert parse_results("walking 0.996\r\nidle 0.500\r\n") == [("walking", 0.996), ("idle", 0.5)]
    with pytest.raises(SketchFailed, match="dropped samples"):
        parse_results("walking 0.996\r\ndropped samples: 12\r\n")
