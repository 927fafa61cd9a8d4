"""Image impulses as bundles: the spec, the C image chain against the studio's image block (features
exactly equal) and its int8 classification (same label and scores) on PPM frames, the QEMU Cortex-M4F
harness, and the other bundle kinds (wasm, linux, arduino) verified on the same frames."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from firmware.deploy.bundle import build_bundle
from firmware.deploy.image import camera_frame, to_ppm
from firmware.deploy.layouts import ARDUINO_CORES, ARDUINO_DIR, LIBRARY_FILE
from firmware.deploy.runners import CLASSIFY_TOOLCHAINS, build_classify, run_classify
from firmware.deploy.sources import STRICT_CFLAGS, ImpulseTree, write_impulse_tree
from firmware.deploy.spec import DspBlock, ImageInput, ImpulseSpec, InvalidSpec
from firmware.deploy.verification import Scoring, TestSample, VerificationFailed, compare_result
from firmware.deploy.verify import verify_bundle
from firmware.targets import RunError
from firmware.testing.random_models import convert_int8
from tests.firmware.deploy import factories, image_factories
from tests.firmware.deploy.conftest import SIGNING_KEY, names_in

FEATURES_MAIN = """\
#include <stdio.h>
#include "mf_impulse.h"
/* Reads RGB888 frames on stdin until it ends and writes each frame's features as float32. */
int main(void)
{
    static uint8_t frame[MF_IMPULSE_IMAGE_BYTES];
    static float features[MF_IMPULSE_FEATURES];
    while (fread(frame, 1, sizeof frame, stdin) == sizeof frame) {
        if (mf_impulse_image_features(frame, features) != 0) {
            return 2;
        }
        fwrite(features, sizeof features[0], MF_IMPULSE_FEATURES, stdout);
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def digits(deploy_cache: Path) -> tuple[ImpulseSpec, list[TestSample]]:
    """The grayscale digit impulse with its trained CNN, and four test frames with the studio's results."""
    return image_factories.image_spec_and_samples(deploy_cache, "grayscale")


@pytest.fixture(scope="module")
def random_rgb() -> tuple[ImpulseSpec, list[TestSample]]:
    """An RGB impulse with an untrained CNN (its scores are spread, not saturated) on random frames."""
    import keras

    size = image_factories.SIZE
    model = keras.Sequential(
        [
            keras.Input((size, size, 3), batch_size=1),
            keras.layers.Conv2D(6, 3, strides=2, activation="relu"),
            keras.layers.DepthwiseConv2D(3, padding="same", activation="relu"),
            keras.layers.AveragePooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    spec = image_factories.image_spec(convert_int8(model, (size, size, 3), seed=5, samples=16), "rgb")
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 256, (6, size, size, 3), dtype=np.uint8)
    samples = [
        TestSample(f"noise-{n}", f, 0.0, image_factories.studio_result(spec, f)) for n, f in enumerate(frames)
    ]
    return spec, samples


def _classify_all(tree: ImpulseTree, exe: Path, spec: ImpulseSpec, samples: list[TestSample]) -> list[str]:
    problems = []
    scoring = Scoring.of(spec, tree)
    for sample in samples:
        got = json.loads(run_classify(CLASSIFY_TOOLCHAINS["x86_64"], exe, to_ppm(sample.values)))
        problems += compare_result(sample, got, scoring)
        # Same printed label and scores, to the five decimals the studio reports.
        assert (got["label"], got["scores"], got["windows"]) == (
            sample.expected["label"],
            sample.expected["scores"],
            sample.expected["windows"],
        )
    return problems


# Spec -------------------------------------------------------------------------------------------------


def test_an_image_spec_survives_a_json_round_trip_tagged_as_an_image() -> None:
    spec = image_factories.image_spec(b"model", "rgb")
    data = spec.to_json()
    assert data["input"] == {
        "width": 16,
        "height": 16,
        "color_depth": "rgb",
        "resize_mode": "squash",
        "type": "image",
    }
    assert ImpulseSpec.from_json(json.loads(json.dumps(data))) == spec


def test_a_time_series_spec_json_is_what_it_was_before_image_inputs() -> None:
    # Deployment keys and estimate caches hash this JSON: it must not change.
    data = factories.impulse_spec(b"model", ["a", "b"]).to_json()
    assert json.dumps(data["input"]) == (
        '{"axes": ["accX", "accY", "accZ", "gyrX", "gyrY", "gyrZ"], "window_ms": 2000.0, "stride_ms": 1000.0, '
        '"frequency_hz": 10.0, "zero_pad": true, "resampling": "linear"}'
    )


def test_an_image_impulse_refuses_a_time_series_block() -> None:
    spec = image_factories.image_spec(b"model")
    with pytest.raises(InvalidSpec, match="'flatten' cannot take an image; image blocks in C: image"):
        replace(spec, dsp=(DspBlock("flatten", {}, 1),))


def test_an_image_block_of_another_size_than_the_input_is_refused() -> None:
    spec = image_factories.image_spec(b"model")
    with pytest.raises(InvalidSpec, match="has width 16, the image input 32"):
        replace(spec, input=ImageInput(width=32, height=16, color_depth="grayscale"))


def test_an_image_impulse_with_an_anomaly_block_is_refused() -> None:
    spec = image_factories.image_spec(b"model")
    with pytest.raises(InvalidSpec, match="image impulses deploy with a classifier only"):
        replace(spec, learn_type="anomaly-kmeans", anomaly={"threshold": 1.0})


def test_a_colour_depth_the_studio_does_not_know_is_refused() -> None:
    spec = image_factories.image_spec(b"model")
    with pytest.raises(InvalidSpec, match="colour depth 'sepia'"):
        replace(spec, input=replace(spec.input, color_depth="sepia"))


# Frames ----------------------------------------------------------------------------------------------


def test_a_frame_at_the_impulse_size_keeps_its_pixels_and_gray_fills_r_g_and_b() -> None:
    inp = ImageInput(width=4, height=3, color_depth="grayscale")
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4, 1) * 20
    frame = camera_frame(gray, inp)
    assert frame.shape == (3, 4, 3) and (frame == gray).all()
    assert to_ppm(frame)[:11] == b"P6\n4 3\n255\n" and len(to_ppm(frame)) == 11 + 36


def test_a_larger_image_is_resized_by_the_image_blocks_bilinear_taps() -> None:
    # A horizontal ramp 0, 10, ..., 70 over 8 columns squashed to 4: each output samples between two columns.
    ramp = np.tile((np.arange(8, dtype=np.uint8) * 10)[None, :, None], (2, 1, 3))
    frame = camera_frame(ramp, ImageInput(width=4, height=2))
    assert frame[0, :, 0].tolist() == [5, 25, 45, 65]


# C against the studio -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", ["grayscale", "rgb"])
def test_the_c_image_features_equal_the_studio_image_block_exactly(
    depth: str,
    digits: tuple[ImpulseSpec, list[TestSample]],
    random_rgb: tuple[ImpulseSpec, list[TestSample]],
    tmp_path: Path,
) -> None:
    spec = digits[0] if depth == "grayscale" else random_rgb[0]
    tree = write_impulse_tree(spec, tmp_path / "tree")
    main = tmp_path / "features.c"
    main.write_text(FEATURES_MAIN)
    exe = tmp_path / "features"
    subprocess.run(
        ["gcc", "-O2", *STRICT_CFLAGS, *[f"-I{p}" for p in tree.paths(tree.include_dirs)]]
        + [str(p) for p in tree.paths(tree.library_sources)]
        + [str(main), "-o", str(exe), "-lm"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    frames, _ = image_factories.digit_frames()
    frames = np.concatenate(
        [frames[:20], np.random.default_rng(2).integers(0, 256, (8, 16, 16, 3), np.uint8)]
    )
    done = subprocess.run([str(exe)], input=frames.tobytes(), capture_output=True, timeout=60, check=True)
    mine = np.frombuffer(done.stdout, dtype=np.float32).reshape(len(frames), -1)
    assert isinstance(spec.input, ImageInput)
    assert np.array_equal(mine, image_factories.studio_features(frames, spec.input))


@pytest.mark.parametrize("which", ["digits", "random_rgb"])
def test_classify_on_ppm_frames_prints_the_studios_int8_result(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    spec, samples = request.getfixturevalue(which)
    tree = write_impulse_tree(spec, tmp_path / "tree")
    exe = build_classify(tree, CLASSIFY_TOOLCHAINS["x86_64"], tmp_path / "classify")
    assert _classify_all(tree, exe, spec, samples) == []


def test_classify_refuses_a_frame_of_another_size_naming_both(
    digits: tuple[ImpulseSpec, list[TestSample]], tmp_path: Path
) -> None:
    spec, _ = digits
    tree = write_impulse_tree(spec, tmp_path / "tree")
    exe = build_classify(tree, CLASSIFY_TOOLCHAINS["x86_64"], tmp_path / "classify")
    with pytest.raises(RunError) as info:
        run_classify(CLASSIFY_TOOLCHAINS["x86_64"], exe, to_ppm(np.zeros((8, 12, 3), np.uint8)))
    assert "the frame is 12x8, the impulse takes 16x16" in str(info.value)
    # The frame can be a file named on the command line too.
    frame = tmp_path / "frame.ppm"
    frame.write_bytes(to_ppm(np.zeros((16, 16, 3), np.uint8)))
    assert json.loads(run_classify(CLASSIFY_TOOLCHAINS["x86_64"], exe, b"", [str(frame)]))["label"]


# Bundles ---------------------------------------------------------------------------------------------


def test_a_c_library_bundle_of_an_image_impulse_is_verified_and_builds_with_make(
    digits: tuple[ImpulseSpec, list[TestSample]], deploy_cache: Path, tmp_path: Path
) -> None:
    spec, samples = digits
    result = build_bundle(
        spec,
        "linux-x86_64",
        "c-library",
        tmp_path / "b.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    checks = [c["check"] for c in result.verification["checks"] if c["ok"]]
    assert "classify example, native x86_64 (a PPM frame on stdin)" in checks
    assert verify_bundle(result.path).ok
    with zipfile.ZipFile(result.path) as archive:
        readme = archive.read("README.md").decode()
        header = archive.read("impulse/mf_impulse.h").decode()
    assert "16x16 pixels as RGB888" in readme and "mf_impulse_classify_image" in header


def test_a_bundle_whose_studio_results_disagree_is_refused(
    digits: tuple[ImpulseSpec, list[TestSample]], deploy_cache: Path, tmp_path: Path
) -> None:
    spec, samples = digits
    wrong = dict(samples[0].expected, label="seven" if samples[0].expected["label"] != "seven" else "one")
    with pytest.raises(VerificationFailed, match="studio says"):
        build_bundle(
            spec,
            "linux-x86_64",
            "c-library",
            tmp_path / "b.zip",
            signing_key=SIGNING_KEY,
            test_samples=[replace(samples[0], expected=wrong)],
            cache_dir=deploy_cache,
        )
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.slow
@pytest.mark.qemu
def test_a_cortex_m4f_firmware_bundle_runs_the_image_chain_in_qemu(
    random_rgb: tuple[ImpulseSpec, list[TestSample]], deploy_cache: Path, tmp_path: Path
) -> None:
    spec, samples = random_rgb
    result = build_bundle(
        spec,
        "generic-cortex-m4f",
        "firmware",
        tmp_path / "fw.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    checks = [c["check"] for c in result.verification["checks"] if c["ok"]]
    assert "impulse on cortex-m4 in QEMU" in checks
    assert {"firmware/firmware.elf", "firmware/firmware.bin"} <= names_in(result.path)
    # The measured RAM holds the frame (768 bytes) and the model's int8 input (768), but no picture of
    # floats: the features are quantized a row at a time.
    assert 2 * 768 < result.sizes["ram_bytes"] < 2 * 768 + 4 * 768
    assert result.sizes["instructions_per_window"] > 0


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize(
    ("board", "kind", "check"),
    [
        ("wasm", "wasm", "classify example, WebAssembly in wasmtime"),
        ("raspberry-pi-4", "linux", "classify example, aarch64 under qemu-aarch64"),
        ("generic-cortex-m4f", "platformio", "impulse on cortex-m4 in QEMU"),
    ],
)
def test_wasm_linux_and_platformio_bundles_classify_the_ppm_frames_as_the_studio(
    board: str,
    kind: str,
    check: str,
    digits: tuple[ImpulseSpec, list[TestSample]],
    deploy_cache: Path,
    tmp_path: Path,
) -> None:
    spec, samples = digits
    result = build_bundle(
        spec,
        board,
        kind,
        tmp_path / "b.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    assert check in [c["check"] for c in result.verification["checks"] if c["ok"]]
    with zipfile.ZipFile(result.path) as archive:
        example = next(n for n in archive.namelist() if n.endswith("examples/classify.c"))
        assert "binary PPM (P6" in archive.read(example).decode()


@pytest.mark.slow
@pytest.mark.qemu
def test_the_arduino_image_sketch_classifies_a_static_test_frame_and_links_for_each_core(
    digits: tuple[ImpulseSpec, list[TestSample]], deploy_cache: Path, tmp_path: Path
) -> None:
    spec, samples = digits
    result = build_bundle(
        spec,
        "arduino-nano-33-ble-sense",
        "arduino",
        tmp_path / "a.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(tmp_path / "bundle")
    library = tmp_path / "bundle" / ARDUINO_DIR
    sketch = library / "examples" / "classify_image"
    assert (sketch / "classify_image.ino").is_file()
    assert "depends=" not in (library / "library.properties").read_text()
    frame_header = (sketch / "test_frame.h").read_text()
    values = [int(v) for v in re.findall(r"\d+", frame_header.split("{", 1)[1])]
    assert values == samples[0].values.reshape(-1).tolist()
    assert f"classifies it as {samples[0].expected['label']}" in frame_header
    # The sketch's calls, as C, against each core's precompiled library.
    main = tmp_path / "main.c"
    main.write_text(
        '#include "mf_impulse.h"\n#include "test_frame.h"\n'
        "int main(void) { float s[MF_IMPULSE_CLASSES];\n"
        "    return mf_impulse_classify_image(test_frame, s) || mf_impulse_argmax(s) < 0; }\n"
    )
    for folder, cpu in ARDUINO_CORES.items():
        subprocess.run(
            ["arm-none-eabi-gcc", "-mthumb", *cpu, "--specs=nosys.specs", *STRICT_CFLAGS]
            + [f"-I{library / 'src'}", f"-I{sketch}", str(main), f"-L{library / 'src' / folder}"]
            + [f"-l{LIBRARY_FILE[3:-2]}", "-lm", "-o", str(tmp_path / "prog.elf")],
            check=True,
            capture_output=True,
            timeout=120,
        )
