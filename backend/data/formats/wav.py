"""WAV reader with its own RIFF chunk walker: PCM 8/16/24/32-bit, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from backend.data.formats._files import check_size
from backend.data.formats.types import DEFAULT_LIMITS, InvalidUpload, Limits, ParsedSample, Sensor

_STREAMING_SIZE = 0xFFFFFFFF
_PCM = 0x0001
_IEEE_FLOAT = 0x0003
_EXTENSIBLE = 0xFFFE

# Codecs seen in the wild that we do not decode, so the error can name what the file holds.
_CODEC_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MP3",
    0x00FF: "AAC",
    0x1610: "HE-AAC",
    0xF1AC: "FLAC",
}


def _codec_name(tag: int) -> str:
    return f"{_CODEC_NAMES.get(tag, 'unknown codec')} (format tag 0x{tag:04x})"


def parse_wav(
    path: str | os.PathLike[str], filename: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> ParsedSample:
    """Decode a WAV file into float32 [frames, channels] scaled to [-1, 1]."""
    name = filename or Path(path).name
    size = check_size(path, name, limits.max_file_bytes)
    with open(path, "rb") as fh:
        header = fh.read(12)
        if len(header) < 12 or header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
            raise InvalidUpload(name, "not a WAV file (no RIFF/WAVE header)")
        if header[:4] == b"RF64":
            raise InvalidUpload(name, "RF64 (WAV over 4 GB) is not supported")
        fmt: bytes | None = None
        data_offset = data_size = -1
        # Walk chunks by their declared sizes; the data itself is not read here, only located.
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
            body = pos + 8
            if chunk_id == b"fmt ":
                fmt = fh.read(min(chunk_size, 64))
            elif chunk_id == b"data":
                data_offset, data_size = body, chunk_size
                break
            pos = body + chunk_size + (chunk_size & 1)  # chunks are padded to even sizes
        if fmt is None:
            raise InvalidUpload(name, "WAV file has no 'fmt ' chunk before its audio data")
        if data_offset < 0:
            raise InvalidUpload(name, "WAV file has no 'data' chunk")
        codec, channels, rate, block_align, bits = _read_fmt(name, fmt)
        warnings = []
        if data_size == _STREAMING_SIZE:
            # Recorders writing to a pipe (arecord, sox) cannot go back to fill in sizes: take what is there.
            data_size = (size - data_offset) // block_align * block_align
            warnings.append("the data chunk size was left unset by the recorder; the file's length was used")
        if data_size > size - data_offset:
            raise InvalidUpload(
                name,
                f"truncated: the data chunk declares {data_size} bytes but only {size - data_offset} follow",
            )
        if data_size % block_align:
            raise InvalidUpload(
                name, f"truncated: the data chunk ends part-way through a frame ({data_size} bytes)"
            )
        frames = data_size // block_align
        if frames == 0:
            raise InvalidUpload(name, "WAV file has zero audio frames")
        fh.seek(data_offset)
        raw = np.fromfile(fh, dtype=np.uint8, count=data_size)
    values = _decode(raw, codec, bits).reshape(frames, channels)
    sensors = (
        [Sensor("audio", "wav")] if channels == 1 else [Sensor(f"audio_{i}", "wav") for i in range(channels)]
    )
    return ParsedSample(
        filename=name,
        kind="audio",
        values=values,
        interval_ms=1000.0 / rate,
        sensors=sensors,
        metadata={
            "sample_rate_hz": rate,
            "bits_per_sample": bits,
            "codec": "float" if codec == _IEEE_FLOAT else "pcm",
            **({"warnings": warnings} if warnings else {}),
        },
    )


def _read_fmt(name: str, fmt: bytes) -> tuple[int, int, int, int, int]:
    """Validate the fmt chunk and return (codec, channels, rate, block_align, bits_per_sample)."""
    if len(fmt) < 16:
        raise InvalidUpload(name, "WAV 'fmt ' chunk is too short")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _EXTENSIBLE:
        # The real codec is the first two bytes of the SubFormat GUID at offset 24.
        if len(fmt) < 40:
            raise InvalidUpload(name, "WAV extensible 'fmt ' chunk is too short")
        tag = struct.unpack("<H", fmt[24:26])[0]
    if tag not in (_PCM, _IEEE_FLOAT):
        raise InvalidUpload(name, f"unsupported audio codec {_codec_name(tag)}; use PCM or float WAV")
    if channels == 0 or rate == 0:
        raise InvalidUpload(name, f"WAV header declares {channels} channels at {rate} Hz")
    supported = (8, 16, 24, 32) if tag == _PCM else (32, 64)
    if bits not in supported:
        kind = "PCM" if tag == _PCM else "float"
        raise InvalidUpload(name, f"unsupported {kind} sample size of {bits} bits")
    if block_align != channels * bits // 8:
        raise InvalidUpload(
            name, f"WAV header is inconsistent: block align {block_align} for {channels} x {bits} bits"
        )
    return tag, channels, rate, block_align, bits


def _decode(raw: np.ndarray, codec: int, bits: int) -> np.ndarray:
    """Raw little-endian sample bytes to float32 in [-1, 1]."""
    if codec == _IEEE_FLOAT:
        floats = raw.view("<f4" if bits == 32 else "<f8").astype(np.float32)
        # Float WAVs may legally exceed full scale; NaN would poison every feature downstream.
        return np.clip(np.nan_to_num(floats, nan=0.0), -1.0, 1.0)
    if bits == 8:
        return (raw.astype(np.float32) - 128.0) / 128.0  # 8-bit WAV is unsigned, centred on 128
    if bits == 16:
        return raw.view("<i2").astype(np.float32) / 32768.0
    if bits == 32:
        return (raw.view("<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    # 24-bit: place the three bytes in the top of an int32 so the sign comes for free, then shift down.
    triples = raw.reshape(-1, 3).astype(np.int32)
    ints = (triples[:, 0] << 8 | triples[:, 1] << 16 | triples[:, 2] << 24) >> 8
    return ints.astype(np.float32) / 8388608.0
