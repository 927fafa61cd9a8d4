"""Training-time augmentation of feature batches: noise and time shift for series, flips/crops/brightness for images.

Pure numpy on a batch ``[B, *layout]`` with a caller-owned generator, so a seeded training run
augments identically every time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TIME_AUGMENTATIONS = ("noise", "time_shift")
IMAGE_AUGMENTATIONS = ("flip", "crop", "brightness")

# Strengths chosen to perturb without changing what a sample is: noise at a tenth of each feature's
# spread, shifts and crops of at most a tenth of the window or image, brightness within ±20 %.
NOISE_FRACTION = 0.1
MAX_SHIFT_FRACTION = 0.1
MIN_CROP_FRACTION = 0.9
BRIGHTNESS_RANGE = 0.2


def check_layout(kinds: Sequence[str], layout: tuple[int, ...]) -> None:
    """Refuse augmentations that the feature layout cannot take, before any training starts."""
    for kind in kinds:
        if kind == "time_shift" and (len(layout) < 2 or layout[0] < 2):
            raise ValueError(
                f"augmentation 'time_shift' needs features laid out as [frames, channels], got {list(layout)}"
            )
        if kind in ("flip", "crop") and (len(layout) < 2 or min(layout[:2]) < 2):
            raise ValueError(
                f"augmentation '{kind}' needs image features [height, width(, channels)], got {list(layout)}"
            )
        if kind not in TIME_AUGMENTATIONS + IMAGE_AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {kind!r}")


def augment_batch(
    batch: np.ndarray,
    kinds: Sequence[str],
    layout: tuple[int, ...],
    feature_std: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Return an augmented copy of ``batch`` ``[B, F]`` (flat) seen as ``[B, *layout]``.

    ``feature_std`` ``[F]`` is the per-feature spread of the training set, which scales the noise.
    """
    n = batch.shape[0]
    x = batch.reshape((n, *layout)).astype(np.float32, copy=True)
    if "time_shift" in kinds:
        frames = layout[0]
        max_shift = max(1, int(frames * MAX_SHIFT_FRACTION))
        for i, shift in enumerate(rng.integers(-max_shift, max_shift + 1, size=n)):
            # Repeat the edge frame rather than wrap around: a wrapped window joins its end to its start.
            index = np.clip(np.arange(frames) - shift, 0, frames - 1)
            x[i] = x[i][index]
    if "flip" in kinds:
        flip = rng.random(n) < 0.5
        x[flip] = x[flip][:, :, ::-1]
    if "crop" in kinds:
        height, width = layout[0], layout[1]
        for i in range(n):
            fraction = rng.uniform(MIN_CROP_FRACTION, 1.0)
            ch, cw = max(1, round(height * fraction)), max(1, round(width * fraction))
            top, left = rng.integers(0, height - ch + 1), rng.integers(0, width - cw + 1)
            # Nearest-neighbour zoom of the crop back to the full size.
            rows = top + (np.arange(height) * ch) // height
            cols = left + (np.arange(width) * cw) // width
            x[i] = x[i][rows][:, cols]
    if "brightness" in kinds:
        factor = rng.uniform(1 - BRIGHTNESS_RANGE, 1 + BRIGHTNESS_RANGE, size=n).astype(np.float32)
        x *= factor.reshape((n,) + (1,) * len(layout))
    flat = x.reshape(n, -1)
    if "noise" in kinds:
        flat += rng.standard_normal(flat.shape).astype(np.float32) * (NOISE_FRACTION * feature_std)
    return flat
