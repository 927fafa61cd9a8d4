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


def test_a_regression_block_is_refused_naming_the_supported_ones(light_spec: ImpulseSpec) -> None:
    with pytest.raises(InvalidSpec, match="supported: classifier, anomaly-kmeans, anomaly-gmm"):
        replace(light_spec, learn_type="regression")


def test_a_window_of_zero_ms_is_refused(light_spec: ImpulseSpec) -> None:
    inp = InputBlock(axes=("x",), window_ms=0.0, stride_ms=10.0, frequency_hz=100.0)
    with pytest.raises(InvalidSpec, match="window_ms"):
        replace(light_spec, input=inp)
