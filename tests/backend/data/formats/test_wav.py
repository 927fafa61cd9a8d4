"""WAV decoding: every supported sample format scaled to [-1, 1], and the refused files."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import numpy as np
import pytest
import soundfile

from backend.data.formats import InvalidUpload, parse_wav

if TYPE_CHECKING:
    from pathlib import Path

    from tests.backend.data.formats.conftest import Corpus


def reason(path: Path) -> str:
    with pytest.raises(InvalidUpload) as caught:
        parse_wav(path)
    assert caught.value.filename == path.name
    return caught.value.reason


def test_16_bit_mono_full_scale_values_map_to_unit_range(corpus: Corpus) -> None:
    pcm = np.array([0, 16384, -32768, 32767, -16384], dtype="<i2")
    sample = parse_wav(corpus.write("yes.01.wav", corpus.wav_bytes(pcm.tobytes(), rate=16000)))
    assert sample.kind == "audio" and sample.values.dtype == np.float32
    assert sample.values[:, 0].tolist() == [0.0, 0.5, -1.0, 32767 / 32768, -0.5]
    assert sample.interval_ms == 0.0625 and sample.metadata["sample_rate_hz"] == 16000


def test_8_bit_unsigned_is_centred_on_128(corpus: Corpus) -> None:
    data = bytes([128, 255, 0, 192])
    sample = parse_wav(corpus.write("u8.wav", corpus.wav_bytes(data, bits=8, rate=8000)))
    assert sample.values[:, 0].tolist() == [0.0, 127 / 128, -1.0, 0.5]
    assert sample.interval_ms == 0.125


def test_24_bit_negative_and_positive_values_decode_with_sign(corpus: Corpus) -> None:
    ints = [0, 4194304, -8388608, 8388607, -1]
    data = b"".join(struct.pack("<i", v)[:3] for v in ints)
    sample = parse_wav(corpus.write("s24.wav", corpus.wav_bytes(data, bits=24)))
    assert sample.values[:, 0].tolist() == pytest.approx([v / 8388608 for v in ints])


def test_32_bit_integer_is_scaled_by_two_to_the_31(corpus: Corpus) -> None:
    data = np.array([-(2**31), 2**30, 0], dtype="<i4").tobytes()
    sample = parse_wav(corpus.write("s32.wav", corpus.wav_bytes(data, bits=32)))
    assert sample.values[:, 0].tolist() == [-1.0, 0.5, 0.0]


def test_32_bit_float_is_kept_and_clipped_to_unit_range(corpus: Corpus) -> None:
    data = np.array([0.25, -0.5, 1.5, -2.0], dtype="<f4").tobytes()
    sample = parse_wav(corpus.write("f32.wav", corpus.wav_bytes(data, bits=32, tag=3)))
    assert sample.values[:, 0].tolist() == [0.25, -0.5, 1.0, -1.0]
    assert sample.metadata["codec"] == "float"


def test_stereo_frames_become_one_column_per_channel(corpus: Corpus) -> None:
    pcm = np.array([[100, -100], [200, -200], [300, -300]], dtype="<i2")
    sample = parse_wav(corpus.write("st.wav", corpus.wav_bytes(pcm.tobytes(), channels=2)))
    assert sample.values.shape == (3, 2)
    assert np.array_equal(sample.values, pcm.astype(np.float32) / 32768)
    assert [s.name for s in sample.sensors] == ["audio_0", "audio_1"]


def test_extensible_header_is_read_through_its_subformat(corpus: Corpus) -> None:
    data = b"".join(struct.pack("<i", v)[:3] for v in [8388607, -8388608])
    sample = parse_wav(corpus.write("ext.wav", corpus.wav_bytes(data, bits=24, extensible=True)))
    assert sample.values[:, 0].tolist() == pytest.approx([8388607 / 8388608, -1.0])


def test_unknown_chunks_before_the_data_are_skipped(corpus: Corpus) -> None:
    odd_chunk = b"LIST" + struct.pack("<I", 5) + b"INFOx" + b"\x00"  # odd size, padded
    data = np.array([1000, -1000], dtype="<i2").tobytes()
    sample = parse_wav(corpus.write("list.wav", corpus.wav_bytes(data, extra_chunks=odd_chunk)))
    assert sample.values[:, 0].tolist() == [1000 / 32768, -1000 / 32768]


@pytest.mark.parametrize(
    ("subtype", "tolerance"), [("PCM_16", 0), ("PCM_24", 0), ("PCM_32", 0), ("FLOAT", 0), ("PCM_U8", 1 / 128)]
)
def test_files_written_by_libsndfile_match_its_own_reading(
    corpus: Corpus, subtype: str, tolerance: float
) -> None:
    """libsndfile writes extensible headers for multi-channel files; the two decoders must agree."""
    rng = np.random.default_rng(7)
    signal = rng.uniform(-0.9, 0.9, size=(400, 3))
    path = corpus.root / f"sf_{subtype}.wav"
    soundfile.write(path, signal, 22050, subtype=subtype)
    reference, _ = soundfile.read(path, dtype="float32", always_2d=True)
    sample = parse_wav(path)
    assert sample.values.shape == (400, 3) and sample.frequency_hz == pytest.approx(22050)
    assert np.allclose(sample.values, reference, atol=tolerance + 1e-7)


def test_unset_streaming_data_size_reads_to_the_end_of_the_file(corpus: Corpus) -> None:
    data = np.array([100, 200, 300], dtype="<i2").tobytes()
    sample = parse_wav(corpus.write("pipe.wav", corpus.wav_bytes(data, data_size=0xFFFFFFFF)))
    assert sample.values[:, 0].tolist() == [100 / 32768, 200 / 32768, 300 / 32768]
    assert "unset" in sample.metadata["warnings"][0]


# Refusals ---------------------------------------------------------------------------------------


def test_file_that_is_not_riff_wave_is_rejected(corpus: Corpus) -> None:
    assert (
        reason(corpus.write("x.wav", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40))
        == "not a WAV file (no RIFF/WAVE header)"
    )


def test_truncated_data_chunk_is_rejected(corpus: Corpus) -> None:
    raw = corpus.wav_bytes(np.zeros(100, dtype="<i2").tobytes())
    got = reason(corpus.write("cut.wav", raw[:-50]))
    assert got == "truncated: the data chunk declares 200 bytes but only 150 follow"


def test_data_ending_part_way_through_a_frame_is_rejected(corpus: Corpus) -> None:
    raw = corpus.wav_bytes(b"\x00" * 7, channels=2)
    assert reason(corpus.write("odd.wav", raw)).startswith("truncated: the data chunk ends part-way")


@pytest.mark.parametrize(
    ("tag", "name"), [(0x0055, "MP3"), (0x0011, "IMA ADPCM"), (0x0006, "A-law"), (0x1234, "unknown")]
)
def test_compressed_codec_is_rejected_naming_it(corpus: Corpus, tag: int, name: str) -> None:
    got = reason(corpus.write("c.wav", corpus.wav_bytes(b"\x00" * 8, tag=tag)))
    assert got.startswith(f"unsupported audio codec {name}") and f"0x{tag:04x}" in got


def test_extensible_header_with_a_compressed_subformat_is_rejected(corpus: Corpus) -> None:
    got = reason(corpus.write("c.wav", corpus.wav_bytes(b"\x00" * 8, tag=0x0002, extensible=True)))
    assert got.startswith("unsupported audio codec Microsoft ADPCM")


def test_zero_frames_are_rejected(corpus: Corpus) -> None:
    assert reason(corpus.write("z.wav", corpus.wav_bytes(b""))) == "WAV file has zero audio frames"


def test_missing_data_chunk_is_rejected(corpus: Corpus) -> None:
    raw = corpus.wav_bytes(b"\x00\x00")
    head = raw[: raw.index(b"data")]
    assert reason(corpus.write("nd.wav", head)) == "WAV file has no 'data' chunk"


def test_unsupported_sample_size_is_rejected(corpus: Corpus) -> None:
    assert "12 bits" in reason(corpus.write("b.wav", corpus.wav_bytes(b"\x00" * 6, bits=12)))
