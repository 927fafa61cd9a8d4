"""Decide an upload's format from its name and first bytes; a client's Content-Type is never consulted."""

from __future__ import annotations

from typing import Literal

from backend.data.formats.types import InvalidUpload

FileFormat = Literal["csv", "json", "cbor", "wav", "jpg", "png", "zip"]

# How many leading bytes callers should pass: enough for every signature below and a CSV header line.
HEAD_BYTES = 4096

_EXTENSIONS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".json": "json",
    ".cbor": "cbor",
    ".wav": "wav",
    ".jpg": "jpg",
    ".jpeg": "jpg",
    ".png": "png",
    ".zip": "zip",
}

_DESCRIPTIONS: dict[FileFormat, str] = {
    "csv": "a CSV text file",
    "json": "a JSON document",
    "cbor": "a CBOR document",
    "wav": "a WAV file",
    "jpg": "a JPEG image",
    "png": "a PNG image",
    "zip": "a zip archive",
}


def extension_of(filename: str) -> str:
    """Lower-cased last extension with its dot (`"walk.01.CSV"` -> `".csv"`), or `""`."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def sniff(head: bytes) -> FileFormat | None:
    """What the leading bytes look like, or None for binary data we do not recognise."""
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    # CBOR: the self-describe tag 55799, or a map header (major type 5), which is how an acquisition
    # document starts. Checked before text so a map header byte is not mistaken for Latin-1 text.
    if head.startswith(b"\xd9\xd9\xf7") or (head and 0xA0 <= head[0] <= 0xBB) or head[:1] == b"\xbf":
        return "cbor"
    text = _as_text(head)
    if text is None:
        return None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return "json"
    return "csv" if stripped else None


def _as_text(head: bytes) -> str | None:
    """The head as text, or None for binary data (a NUL byte, which no CSV or JSON text contains).

    Bytes that are not UTF-8 are replaced rather than refused, so a CSV saved in Latin-1 by a
    spreadsheet still counts as text.
    """
    if b"\x00" in head:
        return None
    return head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")


def detect_format(filename: str, head: bytes) -> FileFormat:
    """Format of an upload, requiring the extension and the content to agree.

    Raises InvalidUpload for an unknown extension, an empty file, or content that is not what the
    name says (a PNG named .wav, a binary file named .csv).
    """
    ext = extension_of(filename)
    claimed = _EXTENSIONS.get(ext)
    if claimed is None:
        accepted = ", ".join(sorted(_EXTENSIONS))
        what = f"'{ext}'" if ext else "with no extension"
        raise InvalidUpload(filename, f"unsupported file type {what}; accepted types are {accepted}")
    if not head:
        raise InvalidUpload(filename, "file is empty")
    found = sniff(head)
    if found == claimed:
        return claimed
    looks = f"it looks like {_DESCRIPTIONS[found]}" if found else "its content is not recognised"
    raise InvalidUpload(filename, f"named {ext} but the content is not {_DESCRIPTIONS[claimed]} ({looks})")
