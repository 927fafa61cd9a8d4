"""Training-time augmentation: what each kind changes and what it leaves alone."""

from __future__ import annotations

import numpy as np
import pytest

from workers.learn.augment import augment_batch, check_layout


def _series() -> np.ndarray:
    # Two windows of 20 frames x 3 channels counting up, so a shift shows as an offset.
    frames = np.arange(20, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    return np.stack([frames, frames + 100]).reshape(2, -1)


def test_time_shift_moves_frames_and_repeats_the_edge() -> None:
    batch = _series()
    out = augment_batch(batch, ["time_shift"], (20, 3), np.ones(60, np.float32), np.random.default_rng(4))
    for before, after in zip(batch.reshape(2, 20, 3), out.reshape(2, 20, 3), strict=True):
        diffs = np.diff(after[:, 0])
        # Shifted by at most 2 frames (10 % of 20): the steps are 1 except the repeated edge (0).
        assert set(np.unique(diffs)) <= {0.0, 1.0}
        assert np.abs(after[:, 0] - before[:, 0]).max() <= 2
        assert np.all(after[:, 0] == after[:, 1])


def test_noise_scales_with_each_feature_spread() -> None:
    batch = np.zeros((4000, 2), np.float32)
    out = augment_batch(batch, ["noise"], (2, 1), np.array([1.0, 10.0], np.float32), np.random.default_rng(0))
    assert out[:, 0].std() == pytest.approx(0.1, rel=0.05)
    assert out[:, 1].std() == pytest.approx(1.0, rel=0.05)


def test_flip_mirrors_images_left_to_right() -> None:
    image = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
    batch = np.repeat(image, 64, axis=0).reshape(64, -1)
    out = augment_batch(batch, ["flip"], (3, 4, 1), np.ones(12, np.float32), np.random.default_rng(1))
    mirrored = image[0, :, ::-1].reshape(-1)
    flipped = [np.array_equal(row, mirrored) for row in out]
    unchanged = [np.array_equal(row, image.reshape(-1)) for row in out]
    assert all(f or u for f, u in zip(flipped, unchanged, strict=True))
    assert 10 < sum(flipped) < 54


def test_crop_keeps_the_image_size_and_its_values() -> None:
    image = np.arange(100, dtype=np.float32).reshape(1, -1)
    out = augment_batch(image, ["crop"], (10, 10, 1), np.ones(100, np.float32), np.random.default_rng(2))
    assert out.shape == (1, 100)
    assert set(out.reshape(-1).tolist()) <= set(image.reshape(-1).tolist())


def test_brightness_scales_each_image_by_one_factor_within_20_percent() -> None:
    batch = np.ones((8, 12), np.float32)
    out = augment_batch(batch, ["brightness"], (3, 4, 1), np.ones(12, np.float32), np.random.default_rng(3))
    for row in out:
        assert np.allclose(row, row[0])
        assert 0.8 <= row[0] <= 1.2


def test_same_generator_seed_gives_the_same_batch() -> None:
    kinds = ["noise", "time_shift"]
    a = augment_batch(_series(), kinds, (20, 3), np.ones(60, np.float32), np.random.default_rng(9))
    b = augment_batch(_series(), kinds, (20, 3), np.ones(60, np.float32), np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kinds", "layout", "message"),
    [(["time_shift"], (24,), "time_shift"), (["crop"], (24, 1), "crop"), (["blur"], (4, 4), "unknown")],
)
def test_layouts_an_augmentation_cannot_take_are_refused(kinds: list, layout: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_layout(kinds, layout)
