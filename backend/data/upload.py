"""Request bodies streamed to temporary files under the data dir, never held whole in memory.

`receive_multipart` parses multipart/form-data as it arrives: file parts go to their own temp file with
the size limit checked on every chunk (413 naming the file), small text fields are kept in memory.
`receive_body` does the same for a raw body. The temp files are removed when the context exits.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from backend.core.config import get_settings
from backend.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia
from backend.data.formats._files import describe_bytes

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 1000


@dataclass
class UploadedFile:
    """One file of a request, on disk: the name the client gave, never used as a path."""

    field: str
    filename: str
    path: Path
    size: int
    content_type: str | None = None


@dataclass
class ReceivedForm:
    files: list[UploadedFile] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None


def upload_dir() -> Path:
    path = get_settings().resolved_data_dir / "tmp" / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _too_large(filename: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{filename}: file is larger than the {describe_bytes(limit)} upload limit",
        details={"file": filename},
    )


class _FormWriter:
    """python-multipart callbacks that route each part to a temp file or a small in-memory field."""

    def __init__(self, form: ReceivedForm, folder: Path, max_bytes: int) -> None:
        self.form = form
        self.folder = folder
        self.max_bytes = max_bytes
        self.parts = 0
        self._headers: dict[str, str] = {}
        self._hname = bytearray()
        self._hvalue = bytearray()
        self._out: IO[bytes] | None = None
        self._current: UploadedFile | None = None
        self._field: str = ""
        self._text = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self._hname.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._hvalue.extend(d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise InvalidInput(f"A request may carry at most {MAX_PARTS} parts.")
        self._headers = {}

    def header_end(self) -> None:
        # Latin-1 keeps the bytes as they came: parse_options_header encodes back to latin-1 (any other
        # character made it raise, a 500), and names and file names are decoded as UTF-8 after parsing.
        self._headers[self._hname.decode("latin-1").lower()] = self._hvalue.decode("latin-1")
        self._hname.clear()
        self._hvalue.clear()

    def headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        self._field = params.get(b"name", b"").decode("utf-8", "replace")
        filename = _part_filename(params)
        if filename is None:
            self._current = None
            self._text = bytearray()
            return
        fd, name = tempfile.mkstemp(dir=self.folder, suffix=".part")
        self._out = os.fdopen(fd, "wb")
        self._current = UploadedFile(self._field, filename, Path(name), 0, self._headers.get("content-type"))
        self.form.files.append(self._current)

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is None:
            if len(self._text) + end - start > MAX_FIELD_BYTES:
                raise InvalidInput(f"Form field {self._field!r} is over {MAX_FIELD_BYTES} bytes.")
            self._text.extend(data[start:end])
            return
        self._current.size += end - start
        if self._current.size > self.max_bytes:
            raise _too_large(self._current.filename, self.max_bytes)
        assert self._out is not None
        self._out.write(data[start:end])

    def part_end(self) -> None:
        if self._current is None:
            self.form.fields.setdefault(self._field, []).append(self._text.decode("utf-8", "replace"))
            return
        self.close()
        self._current = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _part_filename(params: dict[bytes, bytes]) -> str | None:
    """The part's file name (RFC 7578 `filename`, or the RFC 5987 `filename*` some clients send)."""
    if star := params.get(b"filename*"):
        text = star.decode("latin-1")
        if "''" in text:
            charset, _, quoted = text.partition("''")
            return urllib.parse.unquote(quoted, encoding=charset or "utf-8", errors="replace")
    raw = params.get(b"filename")
    if raw is None:
        return None
    # Browsers send UTF-8 bytes; python-multipart hands them over undecoded.
    name = raw.decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1]
    return name or "upload"


@asynccontextmanager
async def receive_multipart(request: Request, *, max_bytes: int | None = None) -> AsyncIterator[ReceivedForm]:
    """Stream a multipart/form-data body to temp files; they are deleted when the block exits."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UnsupportedMedia("Send the files as multipart/form-data.")
    limit = max_bytes if max_bytes is not None else get_settings().max_upload_bytes
    form = ReceivedForm()
    writer = _FormWriter(form, upload_dir(), limit)
    parser = MultipartParser(params[b"boundary"], writer.callbacks())  # type: ignore[arg-type]
    try:
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError as exc:
            raise InvalidInput(f"The multipart body could not be read ({exc}).") from None
        except ClientDisconnect:
            raise InvalidInput("The client disconnected before the upload finished.") from None
        finally:
            writer.close()
        yield form
    finally:
        for f in form.files:
            f.path.unlink(missing_ok=True)


@asynccontextmanager
async def receive_body(
    request: Request, filename: str, *, max_bytes: int | None = None
) -> AsyncIterator[Path]:
    """Stream a raw request body to a temp file (the legacy single-document ingestion route)."""
    limit = max_bytes if max_bytes is not None else get_settings().max_upload_bytes
    fd, name = tempfile.mkstemp(dir=upload_dir(), suffix=".body")
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            try:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(filename, limit)
                    out.write(chunk)
            except ClientDisconnect:
                raise InvalidInput("The client disconnected before the upload finished.") from None
        yield path
    finally:
        path.unlink(missing_ok=True)
