"""Bundles of the BasicMotions impulse: each one's own code built and run (QEMU Cortex-M4F and M0+,
qemu-aarch64, wasmtime, native) on the test samples, reproducible bytes, refusals before any build."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from firmware.boards import UnknownBoard, UnknownKind, get_board
from firmware.deploy.bundle import BundleResult, build_bundle
from firmware.deploy.estimate import DoesNotFit, check_fits
from firmware.deploy.spec import ImpulseSpec
from firmware.deploy.verification import TestSample, VerificationFailed, to_csv
from firmware.deploy.verify import verify_bundle
from tests.firmware.deploy import factories
from tests.firmware.deploy.conftest import SIGNING_KEY, names_in

Bundle = Callable[[str, str], BundleResult]
pytestmark = [pytest.mark.slow, pytest.mark.qemu]


def _checks(result: BundleResult) -> list[str]:
    return [c["check"] for c in result.verification["checks"] if c["ok"]]


def test_generic_cortex_m4f_firmware_is_verified_in_qemu_and_ships_elf_bin_hex(bundle: Bundle) -> None:
    result = bundle("generic-cortex-m4f", "firmware")
    assert any("cortex-m4 in QEMU" in c for c in _checks(result))
    assert {"firmware/firmware.elf", "firmware/firmware.bin", "firmware/firmware.hex"} <= names_in(
        result.path
    )
    assert result.sizes["instructions_per_window"] > 0 and result.sizes["latency_ms"] > 0
    assert verify_bundle(result.path).ok


def test_raspberry_pi_pico_bundle_is_verified_on_an_emulated_cortex_m0plus(bundle: Bundle) -> None:
    result = bundle("raspberry-pi-pico", "c-library")
    assert any("cortex-m0plus in QEMU" in c for c in _checks(result))
    # 133 MHz and soft floats: the latency comes from the M0+'s own instruction count.
    assert result.sizes["measured_on"] == "cortex-m0plus"


def test_raspberry_pi_4_linux_bundle_runs_its_aarch64_executable_under_qemu(bundle: Bundle) -> None:
    result = bundle("raspberry-pi-4", "linux")
    assert any("qemu-aarch64" in c for c in _checks(result))
    assert {"bin/classify-aarch64", "bin/classify-x86_64"} <= names_in(result.path)
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read("bin/classify-aarch64")[:4] == b"\x7fELF"
        assert (archive.getinfo("bin/classify-aarch64").external_attr >> 16) & 0o111


def test_wasm_bundle_runs_its_module_in_wasmtime_and_ships_a_js_loader(bundle: Bundle) -> None:
    result = bundle("wasm", "wasm")
    assert any("wasmtime" in c for c in _checks(result))
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read("wasm/classify.wasm")[:4] == b"\0asm"
        assert b"export async function classify" in archive.read("wasm/classify.js")


def test_manifest_names_versions_board_kind_toolchains_resources_and_hashes(bundle: Bundle) -> None:
    result = bundle("raspberry-pi-4", "linux")
    with zipfile.ZipFile(result.path) as archive:
        document = json.loads(archive.read("manifest.json"))
        assert "verification.log" in document["files"] and "size-report.json" in document["files"]
        assert "qemu-aarch64" in archive.read("verification.log").decode()
    assert document["model"]["version"] == 4 and document["impulse"]["version"] == 2
    assert document["board"]["id"] == "raspberry-pi-4" and document["kind"] == "linux"
    assert "aarch64-linux-gnu-gcc" in document["toolchains"]
    assert set(document["resources"]) == {"ram_bytes", "flash_bytes", "latency_ms"}


def _built_classify(bundle_zip: Path, work: Path) -> Path:
    """Unzip a c-library bundle and run its own ``make``, as a user would."""
    with zipfile.ZipFile(bundle_zip) as archive:
        archive.extractall(work)
    subprocess.run(["make", "-s"], cwd=work, check=True, capture_output=True, timeout=300)
    return work / "classify"


def _classify(exe: Path, sample: TestSample, axes: tuple[str, ...]) -> dict:
    done = subprocess.run(
        [str(exe), "--interval-ms", repr(sample.interval_ms)],
        input=to_csv(sample, axes),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def classify_exe(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built_classify(bundle("linux-x86_64", "c-library").path, tmp_path_factory.mktemp("c-library"))


def test_c_library_classify_example_gives_the_studios_window_scores(
    classify_exe: Path, spec: ImpulseSpec, samples: list[TestSample]
) -> None:
    step = 1 / 256  # softmax output scale
    for sample in samples:
        got = _classify(classify_exe, sample, spec.input.axes)
        want = sample.expected
        assert got["label"] == want["label"]
        assert [w["index"] for w in got["windows"]] == [w["index"] for w in want["windows"]]
        for mine, theirs in zip(got["windows"], want["windows"], strict=True):
            diff = [abs(mine["scores"][c] - theirs["scores"][c]) for c in spec.class_names]
            assert max(diff) <= step + 1e-5
        assert got["scores"].keys() == want["scores"].keys()


def test_classify_example_resamples_a_recording_at_another_rate_as_the_studio_does(
    classify_exe: Path, spec: ImpulseSpec
) -> None:
    # 20 Hz readings (50 ms apart) of an impulse that works at 10 Hz.
    sample = factories.test_samples(spec, 1, interval_ms=50.0)[0]
    got = _classify(classify_exe, sample, spec.input.axes)
    assert len(got["windows"]) == len(sample.expected["windows"])
    assert got["label"] == sample.expected["label"]


def test_classify_example_refuses_a_csv_with_missing_axes(classify_exe: Path) -> None:
    done = subprocess.run(
        [str(classify_exe)], input="timestamp,accX\n0,1\n", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "fewer columns than the impulse's axes" in done.stderr


@pytest.mark.parametrize(
    ("board_id", "kind"), [("raspberry-pi-4", "linux"), ("generic-cortex-m4f", "firmware")]
)
def test_identical_inputs_give_byte_identical_zips(
    board_id: str,
    kind: str,
    spec: ImpulseSpec,
    samples: list[TestSample],
    deploy_cache: Path,
    tmp_path: Path,
    bundle: Bundle,
) -> None:
    first = bundle(board_id, kind).path
    again = build_bundle(
        spec,
        board_id,
        kind,
        tmp_path / "again.zip",
        signing_key=SIGNING_KEY,
        test_samples=samples,
        cache_dir=deploy_cache,
    )
    assert again.path.read_bytes() == first.read_bytes()


def test_disagreeing_with_the_studio_fails_verification_and_writes_no_zip(
    spec: ImpulseSpec, samples: list[TestSample], deploy_cache: Path, tmp_path: Path
) -> None:
    wrong = dict(samples[0].expected)
    wrong["windows"] = [
        {**w, "scores": {c: (1.0 if c == spec.class_names[0] else 0.0) for c in spec.class_names}}
        for w in wrong["windows"]
    ]
    wrong["label"] = spec.class_names[0] if wrong["label"] != spec.class_names[0] else spec.class_names[1]
    out = tmp_path / "never.zip"
    with pytest.raises(VerificationFailed) as err:
        build_bundle(
            spec,
            "linux-x86_64",
            "c-library",
            out,
            signing_key=SIGNING_KEY,
            test_samples=[replace(samples[0], expected=wrong)],
            cache_dir=deploy_cache,
        )
    assert "sample-0" in str(err.value) and "studio" in str(err.value)
    assert not out.exists()


def test_unknown_board_or_kind_is_refused_before_any_build(
    spec: ImpulseSpec, samples: list[TestSample], tmp_path: Path
) -> None:
    with pytest.raises(UnknownBoard, match="generic-cortex-m4f"):
        build_bundle(
            spec, "uno", "c-library", tmp_path / "a.zip", signing_key=SIGNING_KEY, test_samples=samples
        )
    with pytest.raises(UnknownKind, match="c-library"):
        build_bundle(spec, "wasm", "exe", tmp_path / "b.zip", signing_key=SIGNING_KEY, test_samples=samples)


@pytest.fixture(scope="module")
def big_spec(spec: ImpulseSpec) -> ImpulseSpec:
    """The demo impulse with a dense layer of 2,500 units: about 300 KB of int8 weights."""
    import keras

    from firmware.testing.random_models import convert_int8

    model = keras.Sequential(
        [
            keras.Input((120,), batch_size=1),
            keras.layers.Dense(2500, activation="relu"),
            keras.layers.Dense(len(spec.class_names), activation="softmax"),
        ]
    )
    return replace(spec, model=convert_int8(model, (120,), seed=1, samples=4))


def test_a_model_too_big_for_the_board_is_refused_with_the_numbers(
    big_spec: ImpulseSpec, samples: list[TestSample], tmp_path: Path
) -> None:
    with pytest.raises(DoesNotFit) as err:
        check_fits(big_spec, get_board("generic-cortex-m0plus"))
    assert "flash, board has 256 KB" in str(err.value) and "needs 3" in str(err.value)
    with pytest.raises(DoesNotFit):
        build_bundle(
            big_spec,
            "generic-cortex-m0plus",
            "firmware",
            tmp_path / "big.zip",
            signing_key=SIGNING_KEY,
            test_samples=samples,
        )
    assert not (tmp_path / "big.zip").exists()
    assert check_fits(big_spec, get_board("nucleo-h743zi")).fits


def test_windows_of_the_test_samples_cover_every_class(samples: list[TestSample], spec: ImpulseSpec) -> None:
    # The verification means something only if the samples do not all get one answer.
    labels = {s.expected["label"] for s in samples}
    assert len(labels) >= 3 and all(np.isfinite(s.values).all() for s in samples)


def test_an_mfcc_impulse_on_one_audio_axis_matches_the_studio_natively(tmp_path: Path) -> None:
    spec, tones = factories.keyword_spec_and_samples()
    result = build_bundle(
        spec, "linux-x86_64", "c-library", tmp_path / "kw.zip", signing_key=SIGNING_KEY, test_samples=tones
    )
    assert result.verification["ok"] and verify_bundle(result.path).ok
