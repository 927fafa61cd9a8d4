"""JPEG/PNG decoding through Pillow, with the pixel count checked before any pixel is decompressed."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from backend.data.formats._files import check_size
from backend.data.formats.types import DEFAULT_LIMITS, InvalidUpload, Limits, ParsedSample, Sensor

_PILLOW_FORMATS = {"JPEG": "jpg", "PNG": "png"}
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L"}


def parse_image(
    path: str | os.PathLike[str], filename: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> ParsedSample:
    """Decode a JPEG or PNG into uint8 [H, W, 3] (colour) or [H, W, 1] (greyscale)."""
    name = filename or Path(path).name
    check_size(path, name, limits.max_file_bytes)
    try:
        # Pillow's own bomb guard is global state; ours is the per-call limit below, so silence its
        # warning and let its hard error (at twice its default) surface as ours.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as probe:
                fmt = probe.format
                width, height = probe.size
                _check_pixels(name, width, height, limits)
                probe.verify()  # structure and CRCs, without decoding pixels
            with Image.open(path) as img:
                img.load()
                upright = ImageOps.exif_transpose(img)
                pixels = _to_uint8(upright)
    except InvalidUpload:
        raise
    except Image.DecompressionBombError:
        raise InvalidUpload(name, "image has too many pixels (decompression bomb guard)") from None
    except UnidentifiedImageError:
        raise InvalidUpload(name, "not a JPEG or PNG image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow reports truncated and corrupt data as OSError/SyntaxError with a readable message.
        raise InvalidUpload(name, f"image data is damaged ({exc})") from None
    if fmt not in _PILLOW_FORMATS:
        raise InvalidUpload(name, f"image format {fmt} is not accepted; use JPEG or PNG")
    channels = pixels.shape[2]
    return ParsedSample(
        filename=name,
        kind="image",
        values=pixels,
        interval_ms=0.0,
        sensors=[Sensor("grey", "uint8")] if channels == 1 else [Sensor(c, "uint8") for c in "RGB"],
        metadata={"width": int(pixels.shape[1]), "height": int(pixels.shape[0]), "format": fmt.lower()},
    )


def _check_pixels(name: str, width: int, height: int, limits: Limits) -> None:
    if width == 0 or height == 0:
        raise InvalidUpload(name, f"image is {width}x{height} pixels")
    if width * height > limits.max_image_pixels:
        raise InvalidUpload(
            name,
            f"image is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{limits.max_image_pixels:,} (decompression bomb guard)",
        )


def _to_uint8(img: Image.Image) -> np.ndarray:
    """Greyscale modes to [H, W, 1], everything else to RGB [H, W, 3]; alpha is dropped."""
    if img.mode in _GREY_MODES:
        if img.mode.startswith("I"):
            # Only 16-bit PNG greyscale decodes to the I modes: rescale its full range to 8 bits.
            arr = np.asarray(img, dtype=np.float64)
            grey = np.clip(np.rint(arr * (255.0 / 65535.0)), 0, 255).astype(np.uint8)
        else:
            grey = np.asarray(img.convert("L"), dtype=np.uint8)
        return grey[:, :, None].copy()
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
