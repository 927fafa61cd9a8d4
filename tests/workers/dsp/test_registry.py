"""Block registry: declarations, parameter validation with clear errors, batch generation and shapes."""

from __future__ import annotations

import numpy as np
import pytest

import workers.dsp as dsp
from workers.dsp import InvalidInput, InvalidParameter, UnknownBlock

TIMESERIES = ["raw", "flatten", "spectral"]
AUDIO = ["mfcc", "mfe", "spectrogram"]


def test_registry_holds_every_block_with_a_version_and_parameters() -> None:
    assert set(dsp.BLOCKS) == {"raw", "flatten", "spectral", "mfcc", "mfe", "spectrogram", "image"}
    for block in dsp.BLOCKS.values():
        assert block.version >= 1
        assert block.parameters
        for parameter in block.parameters:
            assert parameter.help
            assert parameter.validate(parameter.default) == parameter.default


def test_validation_fills_defaults_and_keeps_given_values() -> None:
    params = dsp.validate_params("mfcc", {"num_cepstral": 10})
    assert params["num_cepstral"] == 10
    assert params["num_filters"] == 32
    assert params["window_type"] == "hamming"


def test_a_block_validates_its_own_parameters_like_the_registry() -> None:
    block = dsp.BLOCKS["spectral"]
    assert block.validate_params({"fft_length": 128}) == dsp.validate_params("spectral", {"fft_length": 128})
    with pytest.raises(InvalidParameter):
        block.validate_params({"fft_length": 100})


def test_whole_floats_are_accepted_as_ints_and_ints_as_floats() -> None:
    params = dsp.validate_params("mfcc", {"num_filters": 20.0, "pre_emphasis": 0})
    assert params["num_filters"] == 20 and isinstance(params["num_filters"], int)
    assert params["pre_emphasis"] == 0.0 and isinstance(params["pre_emphasis"], float)


@pytest.mark.parametrize(
    ("block_id", "params", "name", "reason"),
    [
        ("mfcc", {"num_filters": 1}, "num_filters", "below the minimum"),
        ("mfcc", {"num_filters": 500}, "num_filters", "above the maximum"),
        ("mfcc", {"num_filters": 20.5}, "num_filters", "whole number"),
        ("mfcc", {"num_filters": "20"}, "num_filters", "expected a number"),
        ("mfcc", {"num_filters": True}, "num_filters", "expected a number"),
        ("mfcc", {"fft_length": 300}, "fft_length", "not one of"),
        ("mfcc", {"fft_length": 512.0}, "fft_length", "not one of"),
        ("mfcc", {"fft_length": "512"}, "fft_length", "not one of"),
        ("mfcc", {"window_type": "blackman"}, "window_type", "not one of"),
        ("mfcc", {"pre_emphasis": float("nan")}, "pre_emphasis", "finite"),
        ("flatten", {"rms": 1}, "rms", "true or false"),
        ("raw", {"scale": 2.0}, "scale", "unknown parameter"),
    ],
)
def test_invalid_parameters_are_refused_naming_the_parameter(
    block_id: str, params: dict, name: str, reason: str
) -> None:
    with pytest.raises(InvalidParameter, match=reason) as error:
        dsp.validate_params(block_id, params)
    assert error.value.parameter == name
    assert f"'{name}'" in str(error.value)


@pytest.mark.parametrize(
    ("block_id", "params", "name"),
    [
        ("mfcc", {"num_cepstral": 20, "num_filters": 10}, "num_cepstral"),
        ("mfcc", {"high_frequency": 9000.0}, "high_frequency"),
        ("mfe", {"low_frequency": 5000.0, "high_frequency": 4000.0}, "low_frequency"),
        ("mfe", {"frame_length": 0.05, "fft_length": 512}, "fft_length"),
        ("mfcc", {"num_filters": 128, "fft_length": 64, "frame_length": 0.004}, "num_filters"),
        ("spectral", {"filter_type": "low", "filter_cutoff": 40.0}, "filter_cutoff"),
        (
            "flatten",
            dict.fromkeys(("average", "minimum", "maximum", "rms", "stdev", "skewness", "kurtosis"), False),
            "average",
        ),
    ],
)
def test_inconsistent_parameter_combinations_are_refused(block_id: str, params: dict, name: str) -> None:
    frames, rate = (16000, 16000.0) if block_id in AUDIO else (125, 62.5)
    with pytest.raises(InvalidParameter) as error:
        dsp.feature_shape(block_id, (frames, 1), rate, params)
    assert error.value.parameter == name


def test_unknown_block_is_refused() -> None:
    with pytest.raises(UnknownBlock, match="unknown processing block 'fft'"):
        dsp.validate_params("fft", {})


def test_audio_blocks_refuse_more_than_one_axis() -> None:
    with pytest.raises(InvalidInput, match="one axis"):
        dsp.generate_batch("mfcc", np.zeros((1, 16000, 2), np.float32), 16000, {})


def test_window_shorter_than_one_frame_is_refused() -> None:
    with pytest.raises(InvalidInput, match="fewer than one frame"):
        dsp.generate_batch("mfe", np.zeros((1, 100, 1), np.float32), 16000, {})


def test_batch_of_wrong_rank_is_refused() -> None:
    with pytest.raises(InvalidInput, match="rank 3"):
        dsp.generate_batch("raw", np.zeros((125, 3), np.float32), 62.5, {})


@pytest.mark.parametrize("block_id", TIMESERIES)
def test_timeseries_batch_matches_per_window_features_and_declared_shape(block_id: str) -> None:
    batch = np.random.default_rng(3).normal(size=(4, 125, 3)).astype(np.float32)
    out = dsp.generate_batch(block_id, batch, 62.5, {})
    shape = dsp.feature_shape(block_id, (125, 3), 62.5, {})
    assert out.shape == (4, int(np.prod(shape))) and out.dtype == np.float32
    block = dsp.BLOCKS[block_id]
    params = dsp.validate_params(block_id, {})
    np.testing.assert_array_equal(out[2], block.generate_features(batch[2], 62.5, **params))
    assert block.feature_names is not None
    assert len(block.feature_names(125, 3, 62.5, **params)) == out.shape[1]


@pytest.mark.parametrize(
    ("block_id", "shape"), [("mfcc", (99, 13)), ("mfe", (99, 40)), ("spectrogram", (99, 257))]
)
def test_audio_blocks_declare_two_dimensional_shapes(block_id: str, shape: tuple[int, int]) -> None:
    # 1 s at 16 kHz, 20 ms frames every 10 ms: 1 + (16000 - 320) // 160 = 99 frames.
    assert dsp.feature_shape(block_id, (16000, 1), 16000, {}) == shape
    batch = np.random.default_rng(4).normal(size=(2, 16000, 1)).astype(np.float32)
    assert dsp.generate_batch(block_id, batch, 16000, {}).shape == (2, shape[0] * shape[1])


def test_image_batch_has_the_declared_shape() -> None:
    batch = np.random.default_rng(5).integers(0, 256, size=(3, 48, 64, 3), dtype=np.uint8)
    params = {"width": 32, "height": 24, "color_depth": "grayscale"}
    assert dsp.feature_shape("image", (48, 64, 3), 0, params) == (24, 32, 1)
    assert dsp.generate_batch("image", batch, 0, params).shape == (3, 24 * 32)
