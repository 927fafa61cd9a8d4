"""Validation of impulse designs and the block catalogue: every refusal names its field."""

from __future__ import annotations

from typing import Any

import pytest

from backend.core.errors import InvalidInput
from backend.impulses.design import catalogue, learn_input_shape, validate_design

IMU = {"type": "timeseries", "window_ms": 2000, "stride_ms": 500, "frequency_hz": 10, "axes": ["x", "y", "z"]}
AUDIO = {"type": "audio", "window_ms": 1000, "stride_ms": 500, "frequency_hz": 8000, "axes": ["mic"]}
IMAGE = {"type": "image", "width": 32, "height": 24, "resize_mode": "fit-short", "color_depth": "grayscale"}


def refusal(
    input_block: dict, dsp: list[dict] | None = None, learn: list[dict] | None = None
) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        validate_design(
            input_block,
            dsp if dsp is not None else [{"type": "flatten"}],
            learn if learn is not None else [{"type": "classifier"}],
        )
    return info.value


def test_a_valid_design_is_normalized_with_ids_defaults_and_block_versions() -> None:
    input_block, dsp, learn = validate_design(
        IMU, [{"type": "spectral", "params": {"fft_length": 16}}], [{"type": "classifier"}]
    )
    assert input_block == {**IMU, "zero_pad": True}
    assert dsp[0]["id"] == "dsp1" and dsp[0]["version"] == 1
    assert dsp[0]["params"]["fft_length"] == 16 and dsp[0]["params"]["filter_type"] == "none"
    assert learn[0]["id"] == "learn1" and learn[0]["inputs"] == ["dsp1"]
    assert learn[0]["params"]["epochs"] == 30


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "video"}, "input_block.type"),
        ({"window_ms": 0}, "input_block.window_ms"),
        ({"window_ms": "long"}, "input_block.window_ms"),
        ({"stride_ms": -5}, "input_block.stride_ms"),
        ({"frequency_hz": None}, "input_block.frequency_hz"),
        ({"axes": []}, "input_block.axes"),
        ({"axes": ["x", "x"]}, "input_block.axes"),
        ({"zero_pad": "yes"}, "input_block.zero_pad"),
        # 50 ms at 10 Hz is half a frame.
        ({"window_ms": 50}, "input_block.window_ms"),
        ({"stride_ms": 50}, "input_block.stride_ms"),
    ],
)
def test_bad_input_block_values_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    assert refusal({**IMU, **change}).field == field


def test_a_window_of_less_than_one_frame_says_so() -> None:
    error = refusal({**IMU, "window_ms": 50})
    assert "less than one frame" in error.message


def test_unknown_processing_block_is_refused_on_its_type_field() -> None:
    error = refusal(IMU, dsp=[{"type": "wavelet"}])
    assert error.field == "dsp_blocks.dsp1.type"
    assert "wavelet" in error.message


def test_an_out_of_range_block_parameter_is_refused_on_that_parameter() -> None:
    error = refusal(IMU, dsp=[{"id": "fft", "type": "spectral", "params": {"peaks_count": 99}}])
    assert error.field == "dsp_blocks.fft.params.peaks_count"


def test_a_filter_cut_off_above_nyquist_is_refused_by_the_window_check() -> None:
    # Single-parameter ranges allow 6 Hz; at 10 Hz the Nyquist frequency is 5 Hz.
    params = {"filter_type": "low", "filter_cutoff": 6.0, "fft_length": 16}
    error = refusal(IMU, dsp=[{"type": "spectral", "params": params}])
    assert error.field == "dsp_blocks.dsp1.params.filter_cutoff"
    assert "half the sampling rate" in error.message


def test_audio_blocks_refuse_an_input_with_several_axes() -> None:
    assert refusal(IMU, dsp=[{"type": "mfcc"}]).field == "dsp_blocks.dsp1.type"


def test_the_image_block_refuses_time_series_input_and_the_others_refuse_images() -> None:
    assert refusal(IMU, dsp=[{"type": "image"}]).field == "dsp_blocks.dsp1.type"
    assert refusal(IMAGE, dsp=[{"type": "raw"}]).field == "dsp_blocks.dsp1.type"


def test_the_image_block_takes_size_and_colour_from_the_input_block() -> None:
    _, dsp, learn = validate_design(
        IMAGE, [{"type": "image", "params": {"width": 500}}], [{"type": "classifier"}]
    )
    assert {k: dsp[0]["params"][k] for k in ("width", "height", "resize_mode", "color_depth")} == {
        "width": 32,
        "height": 24,
        "resize_mode": "fit-short",
        "color_depth": "grayscale",
    }
    assert learn_input_shape(IMAGE, dsp, ["dsp1"]) == (24, 32, 1)


def test_a_learning_block_input_must_be_a_processing_block_of_the_impulse() -> None:
    error = refusal(IMU, learn=[{"type": "classifier", "inputs": ["dsp9"]}])
    assert error.field == "learn_blocks.learn1.inputs"


def test_learning_block_parameters_are_checked_by_the_block() -> None:
    error = refusal(IMU, learn=[{"type": "classifier", "params": {"epochs": 0}}])
    assert error.field == "learn_blocks.learn1.params.epochs"
    custom = refusal(IMU, learn=[{"type": "classifier", "params": {"architecture": "custom"}}])
    assert custom.field == "learn_blocks.learn1.params.layers"


def test_two_blocks_with_one_id_are_refused() -> None:
    error = refusal(IMU, dsp=[{"id": "a", "type": "flatten"}, {"id": "a", "type": "raw"}])
    assert error.field == "dsp_blocks.a.id"


def test_an_impulse_needs_a_processing_and_a_learning_block() -> None:
    assert refusal(IMU, dsp=[]).field == "dsp_blocks"
    assert refusal(IMU, learn=[]).field == "learn_blocks"


def test_learning_inputs_keep_the_impulse_block_order_and_concatenate_flat() -> None:
    dsp_in = [
        {"id": "stats", "type": "flatten"},
        {"id": "fft", "type": "spectral", "params": {"fft_length": 16}},
    ]
    _, dsp, learn = validate_design(IMU, dsp_in, [{"type": "classifier", "inputs": ["fft", "stats"]}])
    assert learn[0]["inputs"] == ["stats", "fft"]
    # flatten: 7 statistics x 3 axes; spectral: (1 + 2 x 3 peaks + 8 bins) x 3 axes.
    assert learn_input_shape(IMU, dsp, ["stats", "fft"]) == (21 + 45,)


def test_audio_design_with_mfcc_has_the_frames_by_coefficients_shape() -> None:
    _, dsp, _ = validate_design(
        AUDIO, [{"type": "mfcc", "params": {"fft_length": 256}}], [{"type": "classifier"}]
    )
    # 1 s at 8 kHz: frames of 160 samples every 80 -> 1 + (8000 - 160) // 80 = 99 frames of 13 coefficients.
    assert learn_input_shape(AUDIO, dsp, ["dsp1"]) == (99, 13)


def test_the_catalogue_lists_every_block_with_parameter_declarations() -> None:
    blocks = catalogue()
    processing = {b["type"]: b for b in blocks["processing"]}
    assert set(processing) == {"raw", "flatten", "spectral", "mfcc", "mfe", "spectrogram", "image"}
    assert {b["type"] for b in blocks["learning"]} == {
        "classifier",
        "regression",
        "anomaly-kmeans",
        "anomaly-gmm",
    }
    fft = next(p for p in processing["spectral"]["parameters"] if p["name"] == "fft_length")
    assert fft["type"] == "select" and 64 in fft["options"] and fft["default"] == 64
    assert processing["image"]["parameters"] == []
