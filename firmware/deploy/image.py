"""Image impulses on a device: the frame its camera driver delivers (RGB888 at the impulse's size), made
from a studio image the way a driver would crop/resize it, and written as the binary PPM the ``classify``
example reads."""

from __future__ import annotations

import numpy as np

from firmware.deploy.spec import ImageInput
from workers.dsp.image import resize


def camera_frame(image: np.ndarray, inp: ImageInput) -> np.ndarray:
    """The RGB888 frame ``[height, width, 3]`` uint8 of a studio image ``[H, W, 1 or 3]`` uint8: resized to
    the impulse's size by the image block's own bilinear resize (``inp.resize_mode``) and rounded, gray
    repeated into R, G and B. An image already at the impulse's size keeps its exact pixels."""
    pixels = np.asarray(image)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3) or pixels.dtype != np.uint8:
        raise ValueError(f"an image is uint8 [height, width, 1 or 3], got {pixels.dtype} {pixels.shape}")
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    if pixels.shape[:2] == (inp.height, inp.width):
        return np.ascontiguousarray(pixels)
    resized = resize(pixels.astype(np.float32), inp.width, inp.height, inp.resize_mode)
    return np.clip(np.rint(resized), 0, 255).astype(np.uint8)


def to_ppm(frame: np.ndarray) -> bytes:
    """A frame ``[height, width, 3]`` uint8 as a binary PPM (P6, maxval 255)."""
    pixels = np.ascontiguousarray(frame, dtype=np.uint8)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"a PPM frame is [height, width, 3], got {pixels.shape}")
    height, width = pixels.shape[:2]
    return f"P6\n{width} {height}\n255\n".encode("ascii") + pixels.tobytes()
