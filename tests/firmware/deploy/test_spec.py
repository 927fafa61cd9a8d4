"""ImpulseSpec: a JSON round trip, and refusals of impulses that cannot be deployed."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from firmware.deploy.spec import DspBlock, ImpulseSpec, InputBlock, InvalidSpec
from tests.firmware.deploy import factories

FAKE_MODEL = b"TFL3 not a real model"


@pytest.fixture
def light_spec() -> ImpulseSpec:
    return factories.impulse_spec(FAKE_MODEL, ["a", "b"])


def test_spec_survives_a_json_round_trip(light_spec: ImpulseSpec) -> None:
    text = json.dumps(light_spec.to_json())
    assert ImpulseSpec.from_json(json.loads(text)) == light_spec


def test_a_block_without_c_code_is_refused(light_spec: ImpulseSpec) -> None:
    with pytest.raises(InvalidSpec, match="flatten"):
        replace(light_spec, dsp=(DspBlock(type="image", params={}, version=1),))


def test_an_outdated_block_version_is_refused(light_spec: ImpulseSpec) -> None:
    old = replace(light_spec.dsp[0], version=light_spec.dsp[0].version + 1)
    with pytest.raises(InvalidSpec, match="regenerate the features"):
        replace(light_spec, dsp=(old,))


def test_an_anomaly_block_without_its_parameters_is_refused(light_spec: ImpulseSpec) -> None:
    with pytest.raises(InvalidSpec, match="fitted parameters"):
        replace(light_spec, learn_type="anomaly-kmeans")


def test_an_unknown_learning_block_is_refused_naming_the_supported_ones(light_spec: ImpulseSpec) -> None:
    with pytest.raises(InvalidSpec, match="supported: classifier, regression, anomaly-kmeans, anomaly-gmm"):
        replace(light_spec, learn_type="object-detection")


def test_a_regression_without_its_int8_model_is_refused(light_spec: ImpulseSpec) -> None:
    with pytest.raises(InvalidSpec, match="regression needs its int8 .tflite"):
        replace(light_spec, learn_type="regression", class_names=(), model=b"")


def test_two_anomaly_blocks_have_different_model_hashes() -> None:
    # Anomaly blocks carry no .tflite: their parameters name them in caches and manifests.
    params = {"kind": "kmeans", "mean": [0.0], "scale": [1.0], "centroids": [[0.0]], "radii": [1.0]}
    first = factories.impulse_spec(b"", [], learn_type="anomaly-kmeans", anomaly={**params, "threshold": 1.0})
    second = replace(first, anomaly={**params, "threshold": 2.0})
    assert first.model_sha256 != second.model_sha256
    assert first.model_sha256 == replace(first, anomaly=dict(first.anomaly or {})).model_sha256


def test_a_window_of_zero_ms_is_refused(light_spec: ImpulseSpec) -> None:
    inp = InputBlock(axes=("x",), window_ms=0.0, stride_ms=10.0, frequency_hz=100.0)
    with pytest.raises(InvalidSpec, match="window_ms"):
        replace(light_spec, input=inp)
