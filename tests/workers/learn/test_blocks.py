"""The learning-block registry: declarations, defaults and parameter validation."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.workers.learn.factories import MotionData
from workers.learn import LEARN_BLOCKS, InvalidParameter


def test_registry_declares_the_four_blocks_with_versions() -> None:
    assert set(LEARN_BLOCKS) == {"classifier", "regression", "anomaly-kmeans", "anomaly-gmm"}
    for block in LEARN_BLOCKS.values():
        assert block.VERSION >= 1
        assert all(p.help for p in block.PARAMETERS)


def test_defaults_fill_an_empty_form() -> None:
    params = LEARN_BLOCKS["classifier"].validate_params({})
    assert params["epochs"] == 30
    assert params["architecture"] == "dense"
    assert params["class_weights"] == "none"
    assert params["augmentation"] == []


def test_parameter_declarations_carry_name_type_default_help_and_range() -> None:
    epochs = next(p for p in LEARN_BLOCKS["classifier"].PARAMETERS if p.name == "epochs")
    assert (epochs.type, epochs.default, epochs.help) == ("int", 30, "Passes over the training set.")
    assert (epochs.minimum, epochs.maximum) == (1, 1000)
    augmentation = next(p for p in LEARN_BLOCKS["classifier"].PARAMETERS if p.name == "augmentation")
    assert augmentation.type == "multiselect" and "time_shift" in augmentation.options


def test_parameter_declarations_render_as_json_with_ranges() -> None:
    epochs = next(p for p in LEARN_BLOCKS["classifier"].PARAMETERS if p.name == "epochs")
    assert epochs.to_json() == {
        "name": "epochs",
        "type": "int",
        "default": 30,
        "help": "Passes over the training set.",
        "range": [1, 1000],
    }


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"epochs": 0}, "epochs", "below the minimum"),
        ({"epochs": 2.5}, "epochs", "whole number"),
        ({"learning_rate": "fast"}, "learning_rate", "expected a number"),
        ({"epochs": True}, "epochs", "expected a number"),
        ({"class_weights": "auto"}, "class_weights", "not one of"),
        ({"augmentation": ["noise", "mixup"]}, "augmentation", "'mixup' is not one of"),
        ({"augmentation": "noise"}, "augmentation", "list of choices"),
        ({"momentum": 0.9}, "momentum", "unknown parameter"),
        ({"architecture": "custom"}, "layers", "required when architecture is 'custom'"),
        ({"layers": [{"type": "Dense"}]}, "layers", "field 'units' is required"),
    ],
)
def test_invalid_values_are_refused_naming_the_field(values: dict, field: str, reason: str) -> None:
    with pytest.raises(InvalidParameter, match=reason) as caught:
        LEARN_BLOCKS["classifier"].validate_params(values)
    assert caught.value.parameter == field


def test_multiselect_keeps_the_declared_order() -> None:
    params = LEARN_BLOCKS["classifier"].validate_params({"augmentation": ["time_shift", "noise"]})
    assert params["augmentation"] == ["noise", "time_shift"]


def test_custom_layers_come_back_with_defaults_filled() -> None:
    params = LEARN_BLOCKS["regression"].validate_params(
        {"architecture": "custom", "layers": [{"type": "Dense", "units": 4}]}
    )
    assert params["layers"] == [{"type": "Dense", "units": 4, "activation": "relu"}]


def test_anomaly_blocks_validate_their_own_parameters() -> None:
    assert LEARN_BLOCKS["anomaly-kmeans"].validate_params({"n_clusters": 3}) == {"n_clusters": 3, "seed": 1}
    with pytest.raises(InvalidParameter, match="covariance"):
        LEARN_BLOCKS["anomaly-gmm"].validate_params({"covariance": "spherical"})


def test_importing_the_registry_does_not_import_tensorflow() -> None:
    code = "import sys, workers.learn; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_each_block_trains_from_its_validated_parameters(motions: MotionData) -> None:
    classifier = LEARN_BLOCKS["classifier"]
    params = classifier.validate_params({"epochs": 1, "batch_size": 8})
    trained = classifier.fit(motions.train, motions.y_train, motions.class_names, params)
    assert trained.class_names == motions.class_names and len(trained.history["loss"]) == 1

    regression = LEARN_BLOCKS["regression"]
    params = regression.validate_params({"epochs": 1, "architecture": "conv1d", "channels": 6})
    target = motions.raw_train.mean(axis=1)
    assert regression.fit(motions.raw_train, target, params).predict(motions.raw_train[:2]).shape == (2, 1)

    for block_id, size in (("anomaly-kmeans", "n_clusters"), ("anomaly-gmm", "n_components")):
        block = LEARN_BLOCKS[block_id]
        model = block.fit(motions.train, block.validate_params({size: 2}))
        assert model.score(motions.test).shape == (len(motions.test),)
