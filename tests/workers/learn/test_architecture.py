"""Layer lists: field validation, shape walking with clear errors, presets, and the Keras model built."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workers.learn.factories import EVERY_LAYER_TYPE
from workers.learn.architecture import (
    LAYER_FIELDS,
    ArchitectureError,
    ModelOutput,
    build_model,
    layer_shapes,
    preset_layers,
    validate_layers,
)

FOUR_CLASSES = ModelOutput("classification", 4)


def test_conv1d_preset_reshapes_flat_features_to_frames_and_channels() -> None:
    layers = preset_layers("conv1d", (600,), channels=6)
    assert layers[0] == {"type": "Reshape", "target": [100, 6]}
    assert layer_shapes(layers, (600,)) == [(100, 6), (100, 8), (50, 8), (50, 16), (25, 16), (400,), (400,)]


def test_conv2d_preset_sees_a_spectrogram_as_a_one_channel_image() -> None:
    layers = preset_layers("conv2d", (49 * 13,), channels=13)
    shapes = layer_shapes(layers, (49 * 13,))
    assert shapes[0] == (49, 13, 1)
    assert shapes[-1] == (13 * 4 * 16,)


def test_dense_preset_has_hidden_layers_of_20_and_10() -> None:
    assert [layer["units"] for layer in preset_layers("dense", (24,))] == [20, 10]


def test_preset_refuses_features_that_do_not_split_into_channels() -> None:
    with pytest.raises(ArchitectureError, match="601 features do not split into frames of 6"):
        preset_layers("conv1d", (601,), channels=6)


@pytest.mark.parametrize(
    ("layers", "input_shape", "message"),
    [
        (
            [{"type": "Conv1D", "filters": 4}],
            (24,),
            r"layer 0 \(Conv1D\) needs a \[frames, channels\] input.*Reshape",
        ),
        (
            [{"type": "Conv2D", "filters": 4}],
            (8, 3),
            r"layer 0 \(Conv2D\) needs a \[height, width, channels\]",
        ),
        ([{"type": "Reshape", "target": [5, 5]}], (24,), r"layer 0 \(Reshape\): cannot reshape 24 values"),
        ([{"type": "Reshape", "target": [-1, 5]}], (24,), "cannot reshape 24 values"),
        (
            [{"type": "Reshape", "target": [4, 6]}, {"type": "MaxPool1D", "pool": 5, "padding": "valid"}],
            (24,),
            r"layer 1 \(MaxPool1D\): window 5 is longer than the 4 frames",
        ),
        (
            [{"type": "Reshape", "target": [4, 6]}, {"type": "Dense", "units": 3}],
            (24,),
            r"layer 1 \(Dense\) needs a flat",
        ),
        (
            [{"type": "Flatten"}, {"type": "GlobalAveragePooling"}],
            (4, 6),
            r"layer 1 \(GlobalAveragePooling\)",
        ),
    ],
)
def test_layers_that_do_not_fit_the_input_are_refused_naming_the_layer(
    layers: list, input_shape: tuple, message: str
) -> None:
    with pytest.raises(ArchitectureError, match=message):
        layer_shapes(layers, input_shape)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ("dense", "must be a list"),
        ([{"units": 3}], r"layer 0: must be an object with a 'type'"),
        ([{"type": "LSTM"}], "unknown type 'LSTM'"),
        ([{"type": "Dense", "units": 3, "bias": False}], "unknown field 'bias'"),
        ([{"type": "Dense", "units": 0}], "field 'units' must be between 1 and 4096"),
        ([{"type": "Dense", "units": 3, "activation": "gelu"}], "field 'activation' must be one of"),
        ([{"type": "Dropout", "rate": 1.5}], "field 'rate' must be between"),
        (
            [{"type": "Conv2D", "filters": 2, "kernel": [3, 3, 3]}],
            "field 'kernel' must be a number or a pair",
        ),
        ([{"type": "Reshape", "target": [-1, -1]}], "at most one size"),
        ([{"type": "BatchNormalization"}], "must follow a Dense or convolution layer"),
        (
            [{"type": "Flatten"}, {"type": "BatchNormalization"}],
            r"layer 1 \(BatchNormalization\): must follow",
        ),
    ],
)
def test_malformed_layers_are_refused_naming_the_field(layers: object, message: str) -> None:
    with pytest.raises(ArchitectureError, match=message):
        validate_layers(layers)


def test_output_needs_a_flat_input() -> None:
    with pytest.raises(ArchitectureError, match="add Flatten or GlobalAveragePooling before the output"):
        build_model([{"type": "Reshape", "target": [4, 6]}], (24,), FOUR_CLASSES)


def test_every_layer_type_builds_and_keras_agrees_on_the_shapes() -> None:
    layers = list(EVERY_LAYER_TYPE)
    assert set(LAYER_FIELDS) == {layer["type"] for layer in layers}
    model = build_model(layers, (600,), FOUR_CLASSES)
    expected = layer_shapes(layers, (600,))
    # Worked by hand: valid 3x2 conv with strides 2x1 on 100x6 gives 49x5; the pools halve rows.
    assert expected == [
        (100, 6, 1),
        (49, 5, 4),
        (49, 5, 4),
        (49, 5, 8),
        (24, 2, 8),
        (12, 2, 8),
        (12, 16),
        (12, 6),
        (6, 6),
        (6, 6),
        (6,),
        (5,),
        (5,),
        (5,),
    ]
    built = [
        tuple(layer.output.shape[1:]) for layer in model.layers if not layer.name.endswith("_activation")
    ]
    # built[0] is the input layer, the last one the output layer.
    assert built[1:-1] == expected
    assert model(np.zeros((2, 600), np.float32)).shape == (2, 4)


def test_batch_normalization_defers_the_activation_past_itself() -> None:
    model = build_model(
        [{"type": "Dense", "units": 8, "activation": "relu"}, {"type": "BatchNormalization"}],
        (5,),
        FOUR_CLASSES,
    )
    names = [layer.name for layer in model.layers]
    assert names == [
        "features",
        "dense_0",
        "batchnormalization_1",
        "batchnormalization_1_activation",
        "output",
    ]
    assert model.get_layer("dense_0").activation.__name__ == "linear"


def test_regression_output_is_linear() -> None:
    model = build_model(preset_layers("dense", (5,)), (5,), ModelOutput("regression", 2))
    assert model.get_layer("output").activation.__name__ == "linear"
    assert model.output.shape[1:] == (2,)


_LAYER = st.one_of(
    st.builds(
        lambda f, k, s, p: {"type": "Conv1D", "filters": f, "kernel": k, "strides": s, "padding": p},
        st.integers(1, 4),
        st.integers(1, 5),
        st.integers(1, 3),
        st.sampled_from(["same", "valid"]),
    ),
    st.builds(
        lambda t, k, s, p: {"type": t, "pool": k, "strides": s, "padding": p},
        st.sampled_from(["MaxPool1D", "AvgPool1D"]),
        st.integers(1, 4),
        st.integers(0, 3),
        st.sampled_from(["same", "valid"]),
    ),
    st.builds(
        lambda f, k, s, p: {"type": "Conv2D", "filters": f, "kernel": k, "strides": s, "padding": p},
        st.integers(1, 4),
        st.lists(st.integers(1, 4), min_size=2, max_size=2),
        st.lists(st.integers(1, 3), min_size=2, max_size=2),
        st.sampled_from(["same", "valid"]),
    ),
    st.builds(
        lambda k, s, p: {"type": "DepthwiseConv2D", "kernel": k, "strides": s, "padding": p},
        st.integers(1, 4),
        st.integers(1, 3),
        st.sampled_from(["same", "valid"]),
    ),
    st.builds(
        lambda t, k, s, p: {"type": t, "pool": k, "strides": s, "padding": p},
        st.sampled_from(["MaxPool2D", "AvgPool2D"]),
        st.lists(st.integers(1, 3), min_size=2, max_size=2),
        st.lists(st.integers(0, 3), min_size=2, max_size=2),
        st.sampled_from(["same", "valid"]),
    ),
    st.just({"type": "Flatten"}),
    st.just({"type": "GlobalAveragePooling"}),
)


@settings(max_examples=40, deadline=None)
@given(
    shape=st.sampled_from([(12,), (9, 3), (7, 5, 2), (16, 2), (6, 6, 1)]),
    layers=st.lists(_LAYER, min_size=1, max_size=4),
)
def test_shape_walk_agrees_with_keras_or_refuses_with_an_architecture_error(
    shape: tuple, layers: list
) -> None:
    try:
        expected = layer_shapes(layers, shape)
        if len(expected[-1]) != 1:
            layers = [*layers, {"type": "Flatten"}]
            expected.append((int(np.prod(expected[-1])),))
    except ArchitectureError:
        return
    # Sizes of 0 would be Keras' own error, never a model: the walk must have refused them.
    assert all(d >= 1 for s in expected for d in s)
    model = build_model(layers, shape, FOUR_CLASSES)
    built = [tuple(layer.output.shape[1:]) for layer in model.layers[1:-1]]
    assert built == expected
