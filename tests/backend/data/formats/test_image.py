"""JPEG/PNG decoding to uint8 arrays, and the refusal of damaged images and decompression bombs."""

from __future__ import annotations

import io
import struct
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

from backend.data.formats import InvalidUpload, Limits, parse_image

if TYPE_CHECKING:
    from tests.backend.data.formats.conftest import Corpus


def test_rgb_png_decodes_pixel_for_pixel(corpus: Corpus) -> None:
    sample = parse_image(corpus.write("cat.01.png", corpus.image_bytes(32, 24, "RGB")))
    assert sample.kind == "image" and sample.values.dtype == np.uint8
    assert sample.values.shape == (24, 32, 3)
    assert sample.values[5, 10].tolist() == [(70 + 15) % 256, (85 + 50) % 256, (85 + 100) % 256]
    assert sample.interval_ms == 0.0 and sample.metadata["format"] == "png"


def test_greyscale_png_keeps_one_channel(corpus: Corpus) -> None:
    sample = parse_image(corpus.write("g.png", corpus.image_bytes(16, 16, "L")))
    assert sample.values.shape == (16, 16, 1) and sample.values[2, 3, 0] == 27


def test_rgba_png_drops_alpha(corpus: Corpus) -> None:
    sample = parse_image(corpus.write("a.png", corpus.image_bytes(8, 8, "RGBA")))
    assert sample.values.shape == (8, 8, 3)


def test_palette_png_expands_to_rgb(corpus: Corpus) -> None:
    out = io.BytesIO()
    Image.new("P", (4, 4), 1).save(out, format="PNG")
    sample = parse_image(corpus.write("p.png", out.getvalue()))
    assert sample.values.shape == (4, 4, 3)


def test_16_bit_greyscale_png_is_rescaled_to_8_bits(corpus: Corpus) -> None:
    out = io.BytesIO()
    Image.fromarray(np.array([[0, 65535, 32896]], dtype=np.uint16)).save(out, format="PNG")
    sample = parse_image(corpus.write("deep.png", out.getvalue()))
    assert sample.values[0, :, 0].tolist() == [0, 255, 128]


def test_jpeg_decodes_close_to_its_source(corpus: Corpus) -> None:
    sample = parse_image(corpus.write("dog.jpg", corpus.image_bytes(64, 48, "RGB", "JPEG")))
    assert sample.values.shape == (48, 64, 3) and sample.metadata["format"] == "jpeg"


def test_exif_orientation_is_applied(corpus: Corpus) -> None:
    img = Image.new("RGB", (40, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    assert parse_image(corpus.write("rot.jpg", out.getvalue())).values.shape == (40, 20, 3)


def test_image_over_the_pixel_limit_is_rejected_before_decoding(corpus: Corpus) -> None:
    path = corpus.write("big.png", corpus.image_bytes(200, 100))
    with pytest.raises(InvalidUpload, match=r"200x100 = 20,000 pixels, over the limit of 10,000"):
        parse_image(path, limits=Limits(max_image_pixels=10_000))


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG header declaring a huge canvas with almost no data behind it: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_rejected_by_default(corpus: Corpus) -> None:
    with pytest.raises(InvalidUpload, match="decompression bomb"):
        parse_image(corpus.write("bomb.png", _png_claiming(60_000, 60_000)))


def test_truncated_image_is_rejected_as_damaged(corpus: Corpus) -> None:
    raw = corpus.image_bytes(64, 64, "RGB", "JPEG")
    with pytest.raises(InvalidUpload, match="damaged"):
        parse_image(corpus.write("cut.jpg", raw[: len(raw) // 2]))


def test_png_with_a_bad_checksum_is_rejected_as_damaged(corpus: Corpus) -> None:
    raw = bytearray(corpus.image_bytes(16, 16))
    raw[45] ^= 0xFF  # inside the first IDAT chunk's data (signature 8 + IHDR 25 + IDAT header 8)
    with pytest.raises(InvalidUpload, match="damaged"):
        parse_image(corpus.write("crc.png", bytes(raw)))


def test_gif_is_rejected_as_not_accepted(corpus: Corpus) -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    with pytest.raises(InvalidUpload, match="GIF is not accepted"):
        parse_image(corpus.write("anim.png", out.getvalue()))
