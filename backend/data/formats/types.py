"""Value types shared by the upload parsers: what a parsed file looks like, the limits, and the one error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

SampleKind = Literal["timeseries", "audio", "image"]
SignatureState = Literal["none", "verified"]
Category = Literal["training", "testing", "anomaly"]

MB = 1024 * 1024


class InvalidUpload(Exception):
    """An uploaded file that cannot become a sample; the message names the file and the problem."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason

    def __reduce__(self) -> tuple[type[InvalidUpload], tuple[str, str]]:
        # Keeps the two-argument constructor working across pickling (Celery results, multiprocessing).
        return (type(self), (self.filename, self.reason))


@dataclass(frozen=True, slots=True)
class Sensor:
    """One axis of a sample: its name and the units its values are in."""

    name: str
    units: str


@dataclass(frozen=True, slots=True)
class ParsedSample:
    """One sample read from an upload, ready for the data service to store.

    `values` is float32 [T, axes] for time series and audio (audio in [-1, 1]) and uint8 [H, W, C] for
    images. `interval_ms` is 0 for images.
    """

    filename: str
    kind: SampleKind
    values: np.ndarray
    interval_ms: float
    sensors: list[Sensor]
    label: str | None = None
    device_name: str | None = None
    device_type: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    signature: SignatureState = "none"

    @property
    def frequency_hz(self) -> float:
        """Sampling frequency, 0 for images."""
        return 1000.0 / self.interval_ms if self.interval_ms > 0 else 0.0

    @property
    def length_ms(self) -> float:
        """Duration covered by the sample (rows times interval), 0 for images."""
        return float(self.values.shape[0]) * self.interval_ms if self.kind != "image" else 0.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits applied while parsing; the data service passes the configured values."""

    max_file_bytes: int = 100 * MB
    max_zip_members: int = 10_000
    max_zip_total_bytes: int = 2048 * MB  # sum of uncompressed member sizes
    max_zip_ratio: float = 200.0  # uncompressed / compressed, per member
    max_image_pixels: int = 25_000_000  # width x height, checked before decoding


DEFAULT_LIMITS = Limits()
