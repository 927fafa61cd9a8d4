"""Image block: resize modes, colour conversion, scaling to 0..1 and refused inputs."""

from __future__ import annotations

import numpy as np
import pytest

import workers.dsp as dsp
from workers.dsp import InvalidInput, image


def run(pixels: np.ndarray, **params: object) -> np.ndarray:
    checked = dsp.validate_params("image", params)
    return image.generate_features(pixels, 0.0, **checked).reshape(image.feature_shape(0, 0, 0.0, **checked))


def random_image(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, channels), dtype=np.uint8)


def test_squash_to_the_same_size_only_scales_to_0_1() -> None:
    pixels = random_image(12, 20)
    np.testing.assert_allclose(run(pixels, width=20, height=12), pixels / 255.0, rtol=1e-6)


def test_halving_a_picture_of_2x2_blocks_keeps_each_block_value() -> None:
    blocks = random_image(4, 6, seed=1)
    pixels = blocks.repeat(2, axis=0).repeat(2, axis=1)
    np.testing.assert_allclose(run(pixels, width=6, height=4), blocks / 255.0, rtol=1e-6)


def test_grayscale_uses_bt601_luma_weights() -> None:
    pixels = np.zeros((4, 4, 3), np.uint8)
    pixels[..., 0] = 255
    out = run(pixels, width=4, height=4, color_depth="grayscale")
    assert out.shape == (4, 4, 1)
    np.testing.assert_allclose(out, 0.299, rtol=1e-6)


def test_gray_input_is_repeated_into_rgb() -> None:
    pixels = random_image(8, 8, channels=1, seed=2)
    out = run(pixels, width=8, height=8)
    assert out.shape == (8, 8, 3)
    np.testing.assert_allclose(out, np.repeat(pixels, 3, axis=2) / 255.0, rtol=1e-6)


def test_fit_long_pads_a_wide_image_with_black_bars_top_and_bottom() -> None:
    pixels = np.full((50, 100, 3), 200, np.uint8)
    out = run(pixels, width=32, height=32, resize_mode="fit-long")
    # Scale 0.32: the picture becomes 32 x 16, centred with 8 black rows above and below.
    assert not out[:8].any() and not out[24:].any()
    np.testing.assert_allclose(out[8:24], 200 / 255.0, rtol=1e-6)


def test_fit_short_crops_the_centre_square_of_a_wide_image() -> None:
    pixels = random_image(50, 100, seed=3)
    cropped = run(np.ascontiguousarray(pixels[:, 25:75]), width=25, height=25)
    np.testing.assert_allclose(run(pixels, width=25, height=25, resize_mode="fit-short"), cropped, rtol=1e-5)


def test_squash_stretches_the_whole_image() -> None:
    pixels = np.zeros((10, 40, 1), np.uint8)
    pixels[:, :20] = 255
    out = run(pixels, width=10, height=10, color_depth="grayscale")
    np.testing.assert_allclose(out[:, :5], 1.0)
    np.testing.assert_allclose(out[:, 5:], 0.0)


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 4), np.uint8), np.zeros((0, 8, 3), np.uint8)],
)
def test_non_uint8_or_odd_channel_images_are_refused(pixels: np.ndarray) -> None:
    with pytest.raises(InvalidInput):
        run(pixels)
