"""Regression blocks in bundles: the int8 model's one output dequantized per window, printed by the classify
example in the studio's regression shape and verified against the studio's int8 prediction natively and
on an emulated Cortex-M4F."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from backend.training.pipeline import predict_values
from firmware.deploy.bundle import build_bundle
from firmware.deploy.sources import ImpulseMismatch, write_impulse_tree
from firmware.deploy.spec import ImpulseSpec
from firmware.deploy.verification import TestSample, VerificationFailed, to_csv
from tests.firmware.deploy import factories
from tests.firmware.deploy.conftest import SIGNING_KEY, classify_with_make

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def regression(deploy_cache: Path) -> ImpulseSpec:
    return factories.regression_spec(deploy_cache)


@pytest.fixture(scope="module")
def regression_samples(regression: ImpulseSpec) -> list[TestSample]:
    return factories.regression_samples(regression)


def test_the_header_says_regression_and_gives_one_output(regression: ImpulseSpec, tmp_path: Path) -> None:
    tree = write_impulse_tree(regression, tmp_path)
    header = (tmp_path / "impulse" / "mf_impulse.h").read_text()
    assert "#define MF_IMPULSE_REGRESSION 1" in header and "#define MF_IMPULSE_CLASSES 1" in header
    assert '{"value"}' in (tmp_path / "impulse" / "mf_impulse.c").read_text()
    assert tree.classes == 1 and tree.anomaly_threshold is None and tree.output_scale > 0


def test_classify_prints_the_studios_int8_prediction_in_the_regression_shape(
    regression: ImpulseSpec, regression_samples: list[TestSample], tmp_path: Path, deploy_cache: Path
) -> None:
    result = build_bundle(
        regression,
        "linux-x86_64",
        "c-library",
        tmp_path / "r.zip",
        signing_key=SIGNING_KEY,
        test_samples=regression_samples,
        cache_dir=deploy_cache,
    )
    assert all(c["ok"] for c in result.verification["checks"])
    sample = regression_samples[-1]
    got = classify_with_make(result.path, tmp_path, to_csv(sample, regression.input.axes))
    # The shape `moteforge classify --json` prints per file for a regression (less the file and model id).
    assert set(got) == {"windows", "value"}
    assert [set(w) for w in got["windows"]] == [{"index", "value"}] * len(sample.expected["windows"])
    # The Python int8 prediction: features through TFLM, the output dequantized.
    predicted = predict_values(regression.model, factories.studio_features(sample.values, sample.interval_ms))
    mine = np.array([w["value"] for w in got["windows"]])
    assert mine == pytest.approx(predicted, abs=1e-5)
    assert got["value"] == pytest.approx(float(np.mean(predicted)), abs=1e-5)


@pytest.mark.qemu
def test_a_regression_firmware_bundle_is_verified_on_the_cortex_m4f_in_qemu(
    regression: ImpulseSpec, regression_samples: list[TestSample], tmp_path: Path, deploy_cache: Path
) -> None:
    result = build_bundle(
        regression,
        "generic-cortex-m4f",
        "firmware",
        tmp_path / "f.zip",
        signing_key=SIGNING_KEY,
        test_samples=regression_samples,
        cache_dir=deploy_cache,
    )
    names = [c["check"] for c in result.verification["checks"] if c["ok"]]
    assert names == ["classify example, native x86_64 (CSV on stdin)", "impulse on cortex-m4 in QEMU"]
    assert result.sizes["instructions_per_window"] > 0 and result.sizes["ram_bytes"] > 0


def test_a_value_off_by_more_than_one_output_step_fails_verification(
    regression: ImpulseSpec, regression_samples: list[TestSample], tmp_path: Path, deploy_cache: Path
) -> None:
    from workers.learn.export import inspect_tflite

    scale = float(inspect_tflite(regression.model).output_quantization[0])
    first = regression_samples[0]
    windows = [dict(w) for w in first.expected["windows"]]
    windows[0]["value"] = round(windows[0]["value"] + 2.5 * scale, 5)
    wrong = replace(first, expected={**first.expected, "windows": windows})
    with pytest.raises(VerificationFailed) as failed:
        build_bundle(
            regression,
            "linux-x86_64",
            "c-library",
            tmp_path / "x.zip",
            signing_key=SIGNING_KEY,
            test_samples=[wrong],
            cache_dir=deploy_cache,
        )
    assert "window 0" in str(failed.value) and not (tmp_path / "x.zip").exists()


def test_a_regression_spec_with_a_multi_output_model_is_refused(
    regression: ImpulseSpec, spec: ImpulseSpec, tmp_path: Path
) -> None:
    # The demo classifier gives four scores: not a regression's one value.
    with pytest.raises(ImpulseMismatch, match="one value per window"):
        write_impulse_tree(replace(regression, model=spec.model), tmp_path)
