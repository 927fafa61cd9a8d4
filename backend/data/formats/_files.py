"""Small helpers the parsers share: size checks before reading, and byte counts in plain words."""

from __future__ import annotations

import os
from pathlib import Path

from backend.data.formats.types import InvalidUpload


def describe_bytes(n: int) -> str:
    """`1536` -> `"1.5 KB"`: sizes as a person reads them in an error message."""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def check_size(path: str | os.PathLike[str], filename: str, max_bytes: int) -> int:
    """Return the file's size, refusing it before any parsing when it is over `max_bytes` or empty."""
    size = Path(path).stat().st_size
    if size > max_bytes:
        raise InvalidUpload(
            filename, f"file is {describe_bytes(size)}, over the {describe_bytes(max_bytes)} limit"
        )
    if size == 0:
        raise InvalidUpload(filename, "file is empty")
    return size


def read_bytes(path: str | os.PathLike[str], filename: str, max_bytes: int) -> bytes:
    """Read a whole file after the size check; for formats that are parsed from memory anyway."""
    check_size(path, filename, max_bytes)
    return Path(path).read_bytes()
