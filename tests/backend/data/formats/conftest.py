"""Factories for the upload corpus: good and bad CSV, acquisition, WAV, image and zip files, built per test."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image


class Corpus:
    """Writes test inputs into one temporary folder and returns their paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    # CSV -----------------------------------------------------------------------------------------

    @staticmethod
    def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]], delimiter: str = ",") -> str:
        lines = [delimiter.join(header)] + [delimiter.join(str(v) for v in row) for row in rows]
        return "\n".join(lines) + "\n"

    def timeseries_csv(
        self,
        name: str = "walk.01.csv",
        rows: int = 50,
        axes: Sequence[str] = ("accX", "accY", "accZ"),
        interval_ms: float = 10.0,
        time_column: str | None = "timestamp",
        unit: str = "ms",
        labels: Sequence[tuple[str, int]] | None = None,
        delimiter: str = ",",
    ) -> Path:
        """A regular recording: axis k holds row*(k+1)/4, so every value is known in advance."""
        header = ([time_column] if time_column else []) + list(axes) + (["label"] if labels else [])
        run = [lab for lab, count in labels for _ in range(count)] if labels else []
        n = len(run) if labels else rows
        step = interval_ms / 1000.0 if unit == "s" else interval_ms
        body = []
        for i in range(n):
            row: list[Any] = [f"{i * step:g}"] if time_column else []
            row += [i * (k + 1) / 4 for k in range(len(axes))]
            row += [run[i]] if labels else []
            body.append(row)
        return self.write(name, self.csv_text(header, body, delimiter))

    # Edge Impulse acquisition ----------------------------------------------------------------------

    @staticmethod
    def acquisition_doc(
        rows: int = 20,
        sensors: Sequence[tuple[str, str]] = (("accX", "m/s2"), ("accY", "m/s2"), ("accZ", "m/s2")),
        interval_ms: float = 16.0,
        device_type: str = "NANO33BLE",
    ) -> dict[str, Any]:
        values = (np.arange(rows * len(sensors), dtype=np.float64).reshape(rows, len(sensors)) / 8).tolist()
        return {
            "protected": {"ver": "v1", "alg": "none", "iat": 1_700_000_000},
            "signature": "0" * 64,
            "payload": {
                "device_name": "ac:87:a3:0a:2d:1b",
                "device_type": device_type,
                "interval_ms": interval_ms,
                "sensors": [{"name": n, "units": u} for n, u in sensors],
                "values": values,
            },
        }

    @staticmethod
    def audio_doc(samples: Sequence[int], interval_ms: float = 0.0625) -> dict[str, Any]:
        return {
            "protected": {"ver": "v1", "alg": "none"},
            "signature": "0" * 64,
            "payload": {
                "device_type": "PHONE",
                "interval_ms": interval_ms,
                "sensors": [{"name": "audio", "units": "wav"}],
                "values": list(samples),
            },
        }

    def acquisition_json(self, doc: dict[str, Any], name: str = "idle.01.json") -> Path:
        return self.write(name, json.dumps(doc))

    # WAV -----------------------------------------------------------------------------------------

    @staticmethod
    def wav_bytes(
        data: bytes,
        channels: int = 1,
        rate: int = 16000,
        bits: int = 16,
        tag: int = 1,
        extensible: bool = False,
        data_size: int | None = None,
        extra_chunks: bytes = b"",
    ) -> bytes:
        """A RIFF/WAVE file around raw sample bytes; `data_size` lets a test declare a wrong length."""
        block = channels * bits // 8
        if extensible:
            guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
            fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * block, block, bits)
            fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", tag) + guid_tail
        else:
            fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
        size = len(data) if data_size is None else data_size
        chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunks
        chunks += b"data" + struct.pack("<I", size) + data + (b"\x00" if len(data) % 2 else b"")
        return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks

    # Images --------------------------------------------------------------------------------------

    @staticmethod
    def image_bytes(width: int = 32, height: int = 24, mode: str = "RGB", fmt: str = "PNG") -> bytes:
        """A gradient image; pixel (y, x) of channel c is (x * 7 + y * 3 + c * 50) % 256."""
        bands = len(Image.new(mode, (1, 1)).getbands())
        y, x = np.mgrid[0:height, 0:width]
        planes = [((x * 7 + y * 3 + c * 50) % 256).astype(np.uint8) for c in range(bands)]
        arr = planes[0] if bands == 1 else np.stack(planes, axis=-1)
        out = io.BytesIO()
        Image.fromarray(arr, mode).save(out, format=fmt)
        return out.getvalue()

    # Zip -----------------------------------------------------------------------------------------

    def zip_file(
        self,
        members: dict[str, bytes | str],
        name: str = "dataset.zip",
        tweak: Callable[[zipfile.ZipInfo], None] | None = None,
        compression: int = zipfile.ZIP_DEFLATED,
    ) -> Path:
        """A zip of the given members; `tweak` edits each ZipInfo (symlink bits, encryption flag)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression) as zf:
            for member, data in members.items():
                info = zipfile.ZipInfo(member, date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = compression
                if tweak is not None:
                    tweak(info)
                zf.writestr(info, data)
        return self.write(name, out.getvalue())


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return Corpus(tmp_path)
