"""Zip uploads: members read defensively (traversal, symlinks, encryption, bombs) and parsed one by one.

A bad member becomes an error in its own result, so the good members of an archive still get in. Faults of
the archive as a whole (not a zip, too many members, too much data) raise InvalidUpload.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import posixpath
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backend.data.formats._files import describe_bytes
from backend.data.formats.csvfile import CsvMapping
from backend.data.formats.detect import extension_of
from backend.data.formats.parse import parse_file
from backend.data.formats.types import (
    DEFAULT_LIMITS,
    Category,
    InvalidUpload,
    Limits,
    ParsedSample,
)

LABELS_FILE = "info.labels"
_CATEGORIES: tuple[Category, ...] = ("training", "testing", "anomaly")
_CHUNK = 1024 * 1024
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What a damaged member's decompressor can raise, besides BadZipFile.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    OSError,
    EOFError,
    RuntimeError,
    NotImplementedError,
)


@dataclass(frozen=True, slots=True)
class MemberResult:
    """The outcome for one archive member: its samples, or the error that kept it out.

    `category` comes from `info.labels`, else from a `training/` or `testing/` folder in the member's
    path, else None (the service then splits by content hash). `sha256` is of the member's bytes.
    """

    path: str
    samples: list[ParsedSample]
    error: InvalidUpload | None = None
    category: Category | None = None
    sha256: str | None = None


@dataclass(slots=True)
class _Budget:
    """Uncompressed bytes still allowed for the rest of the archive, counted as they are produced."""

    left: int


@dataclass(frozen=True, slots=True)
class _LabelEntry:
    category: Category | None
    label: str | None
    metadata: dict[str, Any]


def parse_zip(
    path: str | os.PathLike[str],
    filename: str | None = None,
    *,
    hmac_key: bytes | None = None,
    csv_mapping: CsvMapping | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[MemberResult]:
    """Parse every data file in a zip archive; `__MACOSX/`, dotfiles and folders are skipped."""
    name = filename or Path(path).name
    archive_size = Path(path).stat().st_size
    if archive_size > limits.max_zip_total_bytes:
        raise InvalidUpload(
            name,
            f"archive is {describe_bytes(archive_size)}, over the "
            f"{describe_bytes(limits.max_zip_total_bytes)} limit",
        )
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, NotImplementedError, ValueError) as exc:
        raise InvalidUpload(name, f"not a readable zip archive ({exc})") from None
    with zf, tempfile.TemporaryDirectory(prefix="moteforge-zip-") as scratch:
        members = [info for info in zf.infolist() if not _skipped(info)]
        _check_archive(name, members, limits)
        labels, results = _read_labels(name, zf, members, limits)
        budget = _Budget(limits.max_zip_total_bytes)
        for index, info in enumerate(members):
            if posixpath.basename(info.filename) == LABELS_FILE:
                continue
            results.append(
                _parse_member(zf, info, index, Path(scratch), labels, budget, hmac_key, csv_mapping, limits)
            )
    return results


def _skipped(info: zipfile.ZipInfo) -> bool:
    """Folders, macOS resource forks and hidden files are archive noise, not data."""
    parts = info.filename.replace("\\", "/").split("/")
    return (
        info.is_dir()
        or parts[0] == "__MACOSX"
        or any(p.startswith(".") and p not in (".", "..") for p in parts)
    )


def _check_archive(name: str, members: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Whole-archive limits from the central directory; extraction re-checks with real byte counts."""
    if len(members) > limits.max_zip_members:
        raise InvalidUpload(
            name, f"archive has {len(members)} files, over the limit of {limits.max_zip_members}"
        )
    declared = sum(info.file_size for info in members)
    if declared > limits.max_zip_total_bytes:
        raise InvalidUpload(
            name,
            f"archive unpacks to {describe_bytes(declared)}, over the "
            f"{describe_bytes(limits.max_zip_total_bytes)} limit",
        )


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    """Why a member must not be extracted, or None if it is safe to read."""
    raw = info.filename.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return "absolute paths are not allowed in archives"
    if ".." in raw.split("/"):
        return "paths leading outside the archive ('..') are not allowed"
    if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic links are not allowed in archives"
    if info.flag_bits & 0x1:
        return "encrypted archive members are not supported"
    if info.compress_type not in _METHODS:
        return f"compression method {info.compress_type} is not supported (use deflate)"
    if extension_of(raw) == ".zip":
        return "archives inside archives are not accepted"
    return None


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: _Budget, limits: Limits) -> str:
    """Copy a member to `dest`, counting the bytes actually produced; returns their sha256.

    Header sizes can lie, so the copy stops as soon as the real output passes the declared size, the
    per-file limit, the compression-ratio limit or the archive's remaining budget.
    """
    ratio_cap = max(info.compress_size, 1) * limits.max_zip_ratio
    if info.file_size > limits.max_file_bytes:
        raise InvalidUpload(info.filename, _too_big(info.file_size, limits.max_file_bytes))
    if info.file_size > ratio_cap:
        raise InvalidUpload(info.filename, _ratio_reason(info.file_size, info.compress_size, limits))
    digest = hashlib.sha256()
    written = 0
    with zf.open(info) as src, open(dest, "wb") as out:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise InvalidUpload(info.filename, "member unpacks to more data than its header declares")
            if written > ratio_cap:
                raise InvalidUpload(info.filename, _ratio_reason(written, info.compress_size, limits))
            if written > budget.left:
                raise InvalidUpload(
                    info.filename,
                    f"the archive unpacks to more than the {describe_bytes(limits.max_zip_total_bytes)} limit",
                )
            digest.update(chunk)
            out.write(chunk)
    budget.left -= written
    return digest.hexdigest()


def _too_big(size: int, limit: int) -> str:
    return f"file is {describe_bytes(size)}, over the {describe_bytes(limit)} limit"


def _ratio_reason(size: int, compressed: int, limits: Limits) -> str:
    return (
        f"compression ratio {size / max(compressed, 1):.0f}:1 is over the limit of "
        f"{limits.max_zip_ratio:.0f}:1 (zip bomb guard)"
    )


def _parse_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    index: int,
    scratch: Path,
    labels: dict[str, _LabelEntry],
    budget: _Budget,
    hmac_key: bytes | None,
    csv_mapping: CsvMapping | None,
    limits: Limits,
) -> MemberResult:
    member = info.filename
    entry = labels.get(member.replace("\\", "/"))
    category = entry.category if entry else _category_from_path(member)
    reason = _unsafe(info)
    if reason is not None:
        return MemberResult(member, [], InvalidUpload(member, reason), category)
    # A fixed scratch name, never the member's own path, so nothing in the archive chooses where we write.
    dest = scratch / f"member-{index}"
    try:
        sha256 = _extract(zf, info, dest, budget, limits)
        samples = parse_file(
            dest, posixpath.basename(member), hmac_key=hmac_key, csv_mapping=csv_mapping, limits=limits
        )
    except InvalidUpload as exc:
        # Errors name the member by its full path in the archive, which is what the user sees.
        return MemberResult(member, [], InvalidUpload(member, exc.reason), category)
    except _READ_ERRORS as exc:
        return MemberResult(member, [], InvalidUpload(member, f"member could not be read ({exc})"), category)
    finally:
        dest.unlink(missing_ok=True)
    if entry is not None:
        samples = [replace(s, label=entry.label, metadata={**s.metadata, **entry.metadata}) for s in samples]
    return MemberResult(member, samples, None, category, sha256)


def _category_from_path(member: str) -> Category | None:
    folders = member.replace("\\", "/").split("/")[:-1]
    return next((f for f in folders if f in _CATEGORIES), None)  # type: ignore[return-value]


def _read_labels(
    name: str, zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits
) -> tuple[dict[str, _LabelEntry], list[MemberResult]]:
    """Entries of an Edge Impulse `info.labels` file, keyed by member path; a bad file is reported, not fatal."""
    found = [m for m in members if posixpath.basename(m.filename) == LABELS_FILE]
    if not found:
        return {}, []
    # The shallowest one wins: an exported dataset has it at its root, next to training/ and testing/.
    info = min(found, key=lambda m: m.filename.count("/"))
    base = posixpath.dirname(info.filename)
    try:
        if _unsafe(info) or info.file_size > min(limits.max_file_bytes, 64 * 1024 * 1024):
            raise ValueError("the file is unsafe or too large to read")
        doc = json.loads(zf.read(info))
        entries = {posixpath.join(base, _relative(f["path"])): _entry(f) for f in doc["files"]}
    except (ValueError, KeyError, TypeError, AttributeError, *_READ_ERRORS) as exc:
        error = InvalidUpload(info.filename, f"not a valid info.labels file ({exc}); it was ignored")
        return {}, [MemberResult(info.filename, [], error)]
    if doc.get("version") not in (None, 1):
        error = InvalidUpload(info.filename, f"unsupported info.labels version {doc.get('version')!r}")
        return {}, [MemberResult(info.filename, [], error)]
    return entries, []


def _relative(path: object) -> str:
    return str(path).replace("\\", "/").lstrip("/")


def _entry(item: dict[str, Any]) -> _LabelEntry:
    """One `files[]` item: `{"path", "category", "label": {"type": "label", "label": ...}, "metadata", ...}`."""
    category = item.get("category")
    label_info = item.get("label") or {}
    label = label_info.get("label") if label_info.get("type") == "label" else None
    metadata = dict(item.get("metadata") or {})
    if item.get("boundingBoxes"):
        metadata["bounding_boxes"] = item["boundingBoxes"]
    if label_info.get("type") == "multi-label":
        metadata["multi_label"] = label_info.get("labels")
    return _LabelEntry(
        category if category in _CATEGORIES else None,
        str(label) if label is not None else None,
        metadata,
    )
