"""Training settings and the layer editor: merged, validated and checked against the feature shape."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from backend.core.errors import InvalidInput
from backend.training import forms, settings


def test_defaults_of_the_impulse_block_are_kept_and_overrides_win() -> None:
    resolved = settings.resolve("classifier", {"epochs": 12, "batch_size": 8}, {"epochs": 40}, (42,))
    assert resolved.params["epochs"] == 40
    assert resolved.params["batch_size"] == 8
    assert resolved.input_shape == (42,)
    assert resolved.shapes == [(20,), (10,)]


def test_epochs_out_of_range_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        settings.resolve("classifier", {}, {"epochs": 0}, (42,))
    assert exc.value.field == "epochs"
    assert "below the minimum" in exc.value.message


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        settings.resolve("classifier", {}, {"epoch": 3}, (42,))
    assert exc.value.field == "epoch"


def test_frames_and_axes_layout_sets_the_conv_channels() -> None:
    resolved = settings.resolve("classifier", {"channels": 1}, {"architecture": "conv2d"}, (20, 6))
    assert resolved.params["channels"] == 6
    assert resolved.shapes[0] == (20, 6, 1)
    resolved = settings.resolve("classifier", {}, {"architecture": "conv1d"}, (20, 6))
    assert resolved.shapes[0] == (20, 8)


def test_channels_that_do_not_divide_flat_features_are_refused_whatever_the_network() -> None:
    for architecture in ("dense", "conv1d"):
        with pytest.raises(InvalidInput) as exc:
            settings.resolve("classifier", {}, {"architecture": architecture, "channels": 5}, (42,))
        assert exc.value.field == "channels"
        assert "42 features do not split into frames of 5 channels" in exc.value.message


def test_a_preset_that_does_not_fit_the_features_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        settings.resolve("classifier", {}, {"architecture": "conv1d"}, (8, 8, 3))
    assert exc.value.field == "architecture"
    assert "needs a [frames, channels] input" in exc.value.message


def test_custom_layers_whose_shapes_misfit_are_refused_with_the_layer_index() -> None:
    layers = [{"type": "Dense", "units": 8}, {"type": "Conv1D", "filters": 4}]
    with pytest.raises(InvalidInput) as exc:
        settings.resolve("classifier", {}, {"architecture": "custom", "layers": layers}, (42,))
    assert exc.value.field == "layers"
    assert "layer 1 (Conv1D)" in exc.value.message


def test_custom_layers_must_end_flat_before_the_output_layer() -> None:
    layers = [{"type": "Conv1D", "filters": 4}]
    with pytest.raises(InvalidInput, match="add Flatten or GlobalAveragePooling"):
        settings.resolve("classifier", {}, {"architecture": "custom", "layers": layers}, (20, 6))


def test_regression_blocks_resolve_like_classifier_networks() -> None:
    resolved = settings.resolve("regression", {}, {"architecture": "dense"}, (42,))
    assert resolved.block.kind == "regression" and resolved.layers


def test_unknown_learning_blocks_are_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        settings.learn_block("no-such-block")
    assert exc.value.field == "learn_block"


def test_anomaly_settings_are_validated_without_a_network() -> None:
    resolved = settings.resolve("anomaly-gmm", {"n_components": 2}, {"covariance": "diag"}, (42,))
    assert resolved.params == {"n_components": 2, "covariance": "diag", "seed": 1}
    assert resolved.layers == [] and resolved.shapes == []
    with pytest.raises(InvalidInput) as exc:
        settings.resolve("anomaly-kmeans", {}, {"n_clusters": 0}, (42,))
    assert exc.value.field == "n_clusters"


def test_anomaly_form_reads_the_blocks_own_parameters() -> None:
    form = _form([("n_components", "3"), ("covariance", "full"), ("seed", "4")])
    assert forms.parse_settings(form, "anomaly-gmm") == {"n_components": 3, "covariance": "full", "seed": 4}


def test_layer_table_gives_each_output_shape_and_stops_at_the_first_misfit() -> None:
    layers = [
        {"type": "Reshape", "target": [20, 6]},
        {"type": "Conv1D", "filters": 8, "kernel": 3},
        {"type": "Dense", "units": 4},
        {"type": "Flatten"},
    ]
    rows, problem = settings.layer_table(layers, (120,))
    assert [r["shape"] for r in rows] == [[20, 6], [20, 8], None, None]
    assert problem is not None and problem.startswith("layer 2 (Dense) needs a flat input")


def test_layer_table_keeps_a_row_that_does_not_validate_so_it_can_be_fixed() -> None:
    rows, problem = settings.layer_table([{"type": "Dense", "units": "many"}], (42,))
    assert rows == [{"layer": {"type": "Dense", "units": "many"}, "shape": None}]
    assert problem is not None and "units" in problem


def _form(pairs: list[tuple[str, str]]) -> FormData:
    return FormData(pairs)


def test_form_layers_are_read_in_row_order_with_typed_values() -> None:
    form = _form(
        [
            ("layer-1-type", "Dense"),
            ("layer-1-units", "8"),
            ("layer-0-type", "Conv2D"),
            ("layer-0-filters", "4"),
            ("layer-0-kernel", "3x5"),
            ("layer-2-type", "Reshape"),
            ("layer-2-target", "20, 6"),
        ]
    )
    layers = forms.parse_layers(form)
    assert layers == [
        {"type": "Conv2D", "filters": 4, "kernel": [3, 5]},
        {"type": "Dense", "units": 8},
        {"type": "Reshape", "target": [20, 6]},
    ]


def test_a_row_switched_to_a_type_with_required_fields_gets_starting_values() -> None:
    assert forms.parse_layers(_form([("layer-0-type", "Conv1D")])) == [{"type": "Conv1D", "filters": 8}]


def test_editor_buttons_add_remove_and_move_rows() -> None:
    a, b = {"type": "Flatten"}, {"type": "Dense", "units": 3}
    assert forms.apply_op([a], "add") == [a, forms.NEW_LAYER]
    assert forms.apply_op([a, b], "up-1") == [b, a]
    assert forms.apply_op([a, b], "down-0") == [b, a]
    assert forms.apply_op([a, b], "remove-0") == [b]
    assert forms.apply_op([a, b], "up-0") == [a, b]
    assert forms.apply_op([a, b], "remove-7") == [a, b]


def test_settings_form_converts_numbers_and_refuses_text_in_a_number_field() -> None:
    form = _form(
        [("epochs", "25"), ("learning_rate", "0.01"), ("augmentation", "noise"), ("architecture", "dense")]
    )
    assert forms.parse_settings(form) == {
        "epochs": 25,
        "learning_rate": 0.01,
        "architecture": "dense",
        "augmentation": ["noise"],
    }
    with pytest.raises(InvalidInput) as exc:
        forms.parse_settings(_form([("batch_size", "ten")]))
    assert exc.value.field == "batch_size"
