"""One entry point per upload: detect the format from name and content, then hand it to its parser."""

from __future__ import annotations

import os
from pathlib import Path

from backend.data.formats.acquisition import parse_acquisition
from backend.data.formats.csvfile import CsvMapping, parse_csv
from backend.data.formats.detect import HEAD_BYTES, detect_format
from backend.data.formats.image import parse_image
from backend.data.formats.types import DEFAULT_LIMITS, InvalidUpload, Limits, ParsedSample
from backend.data.formats.wav import parse_wav


def parse_file(
    path: str | os.PathLike[str],
    filename: str | None = None,
    *,
    hmac_key: bytes | None = None,
    csv_mapping: CsvMapping | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[ParsedSample]:
    """Parse one uploaded file that is not an archive (a CSV with a label column may give several samples).

    `filename` is the name the client gave (the path on disk is usually a temporary name). Zip archives
    go through `parse_zip`, which returns per-member results instead of raising on the first bad member.
    """
    name = filename or Path(path).name
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    fmt = detect_format(name, head)
    if fmt == "csv":
        return parse_csv(path, csv_mapping, filename=name, limits=limits)
    if fmt in ("json", "cbor"):
        return [parse_acquisition(path, hmac_key, filename=name, limits=limits)]
    if fmt == "wav":
        return [parse_wav(path, filename=name, limits=limits)]
    if fmt in ("jpg", "png"):
        return [parse_image(path, filename=name, limits=limits)]
    raise InvalidUpload(name, "zip archives hold several files; they are read member by member")
