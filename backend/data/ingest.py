"""Ingestion: uploaded files parsed, checked and stored as samples (rows plus original and values blobs).

Each file is all or nothing: everything that can refuse it (parsing, signature, duplicates) runs before
the first blob or row is written. A zip's members succeed or fail one by one.
"""

from __future__ import annotations

import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.config import get_settings
from backend.core.db import utcnow
from backend.core.errors import DomainError, InvalidInput, PayloadTooLarge
from backend.data import formats, repository, storage
from backend.data.formats._files import describe_bytes
from backend.data.formats.detect import HEAD_BYTES, detect_format, extension_of
from backend.data.models import CATEGORIES, Sample
from backend.data.upload import upload_dir
from backend.projects.service import ProjectContext

T = TypeVar("T")

# What an upload may ask for; "split" picks training or testing from the content hash (80/20).
CATEGORY_CHOICES = (*CATEGORIES, "split")
MAX_LABEL = 200


class InvalidSampleFile(DomainError):
    """A file that cannot become a sample; the message names the file and the problem."""

    status_code = 400
    code = "invalid_file"

    def __init__(self, filename: str, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(f"{filename}: {reason}", details={"file": filename, "reason": reason})
        self.filename = filename
        self.reason = reason
        if status_code is not None:
            self.status_code = status_code


@dataclass(frozen=True)
class IngestOptions:
    """Choices that apply to every file of one upload request."""

    label: str | None = None
    no_label: bool = False
    category: str = "split"
    metadata: dict[str, Any] | None = None
    disallow_duplicates: bool = False
    add_date_id: bool = False
    mapping: formats.CsvMapping | None = None
    # Overrides the sample name (the Edge Impulse x-file-name header); else the file name without extension.
    name: str | None = None
    bounding_boxes: list[Any] | None = None
    # True when `mapping` is the project's saved mapping already looked up (None then means: none saved).
    mapping_resolved: bool = False


@dataclass
class FileOutcome:
    """What happened to one uploaded file (or one member of an uploaded zip)."""

    filename: str
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None
    status_code: int = 200

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise RejectedUpload(self.error, status_code=self.status_code, details={"file": self.filename})


class RejectedUpload(DomainError):
    """An upload with nothing stored; the status is the (first) refused file's."""

    code = "upload_rejected"

    def __init__(self, message: str, *, status_code: int, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.status_code = status_code


def _limits() -> formats.Limits:
    return replace(formats.DEFAULT_LIMITS, max_file_bytes=get_settings().max_upload_bytes)


def _invalid(exc: formats.InvalidUpload) -> InvalidSampleFile:
    status = None
    if exc.reason.startswith("unsupported file type"):
        status = 415
    elif "limit" in exc.reason and exc.reason.startswith(("file is", "archive is", "archive unpacks")):
        status = 413
    return InvalidSampleFile(exc.filename, exc.reason, status_code=status)


def _hmac_key(ctx: ProjectContext) -> bytes | None:
    return ctx.project.hmac_key.encode() if ctx.project.hmac_key else None


def check_options(options: IngestOptions) -> IngestOptions:
    if options.category not in CATEGORY_CHOICES:
        raise InvalidInput(
            f"Category must be one of {', '.join(CATEGORY_CHOICES)}, not {options.category!r}.",
            field="category",
        )
    label = clean_label(options.label) if options.label is not None else None
    if options.metadata is not None and not isinstance(options.metadata, dict):
        raise InvalidInput("Metadata must be a JSON object.", field="metadata")
    return replace(options, label=label)


def clean_label(label: str) -> str | None:
    text = label.strip()
    if len(text) > MAX_LABEL:
        raise InvalidInput(f"A label is at most {MAX_LABEL} characters.", field="label")
    if any(ord(c) < 32 for c in text):
        raise InvalidInput("A label cannot contain control characters.", field="label")
    return text or None


def _project_mapping(
    session: Session, ctx: ProjectContext, options: IngestOptions
) -> formats.CsvMapping | None:
    if options.mapping is not None or options.mapping_resolved:
        return options.mapping
    return saved_mapping(session, ctx.project.id)


def saved_mapping(session: Session, project_id: int, name: str = "default") -> formats.CsvMapping | None:
    """The CSV wizard mapping saved for the project, applied to its CSV uploads unless one is given."""
    saved = repository.csv_mapping_values(session, project_id, name)
    if saved is None:
        return None
    fields = {k: v for k, v in saved.items() if k in formats.CsvMapping.__dataclass_fields__}
    return formats.CsvMapping(**fields)


def ingest_file(
    session: Session,
    ctx: ProjectContext,
    path: Path,
    filename: str,
    *,
    label: str | None,
    category: str,
    metadata: dict[str, Any] | None = None,
    disallow_duplicates: bool = False,
    mapping: formats.CsvMapping | None = None,
) -> list[Sample]:
    """Store one uploaded file as one or more samples, all or nothing; raises a DomainError naming it.

    A zip stores its good members; it raises only if none could be stored (use `ingest_upload` to see
    every member's outcome).
    """
    options = IngestOptions(
        label=label,
        category=category,
        metadata=metadata,
        disallow_duplicates=disallow_duplicates,
        mapping=mapping,
    )
    outcomes = ingest_upload(session, ctx, [(path, filename)], options)
    stored = [s for o in outcomes for s in o.samples]
    failed = [o for o in outcomes if not o.ok]
    if not stored and failed:
        if len(failed) == 1:
            failed[0].raise_if_failed()
        reasons = "; ".join(o.error or "" for o in failed[:5])
        raise InvalidSampleFile(filename, f"no file in the archive could be stored ({reasons})")
    return stored


@dataclass
class PreparedFile:
    """One file (or zip member) checked and with its blobs written: the rows to insert, or why not."""

    filename: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    status_code: int = 200


@dataclass
class PreparedUpload:
    """An upload after its first phase (parsing, checks, blobs), before any row is written.

    ``new_blobs`` are the blobs this upload created; whoever stores it removes them again if it fails.
    """

    project_id: int
    file_count: int
    files: list[PreparedFile]
    new_blobs: set[str] = field(default_factory=set)


def ingest_upload(
    session: Session, ctx: ProjectContext, files: list[tuple[Path, str]], options: IngestOptions
) -> list[FileOutcome]:
    """Store each (path on disk, client file name); one outcome per file, and per member of a zip."""
    return store_prepared(session, ctx, prepare_upload(session, ctx, files, options))


def prepare_upload(
    session: Session, ctx: ProjectContext, files: list[tuple[Path, str]], options: IngestOptions
) -> PreparedUpload:
    """Parse and check every file and write its blobs; rows are only built, not inserted.

    Nothing here writes to the database, so many uploads can be prepared at once and their rows stored
    together (see backend.data.ingestion). Blobs written are tracked by ``session`` as well (a rollback
    of it removes them) unless the caller takes them over with ``storage.take_new_blobs``.
    """
    options = check_options(options)
    prepared: list[PreparedFile] = []
    with session.no_autoflush:
        mapping = _project_mapping(session, ctx, options)
        for path, filename in files:
            try:
                if _is_zip(path, filename):
                    prepared.extend(_prepare_zip(session, ctx, path, filename, options, mapping))
                else:
                    rows = _prepare_single(session, ctx, path, filename, options, mapping)
                    prepared.append(PreparedFile(filename, rows))
            except DomainError as exc:
                prepared.append(PreparedFile(filename, [], exc.message, exc.status_code))
    return PreparedUpload(ctx.project.id, len(files), prepared, storage.new_blobs(session))


@dataclass(frozen=True)
class StoredFile:
    """What `insert_prepared` stored for one file: the new samples' ids and names, or why nothing."""

    filename: str
    sample_ids: list[int]
    names: list[str]
    error: str | None = None
    status_code: int = 200


def insert_prepared(session: Session, ctx: ProjectContext, upload: PreparedUpload) -> list[StoredFile]:
    """Insert the rows of a prepared upload (one multi-row INSERT ... RETURNING id) and audit it."""
    if upload.project_id != ctx.project.id:
        raise InvalidInput("The upload was prepared for another project.")
    rows = [row for f in upload.files for row in f.rows]
    # A Core INSERT of plain rows returning ids, in parameter order: no ORM bookkeeping on the hot path.
    ids = iter(session.execute(_INSERT_SAMPLES, [_columns(r) for r in rows]).scalars().all() if rows else [])
    stored = [
        StoredFile(
            f.filename, [next(ids) for _ in f.rows], [r["name"] for r in f.rows], f.error, f.status_code
        )
        for f in upload.files
    ]
    sample_ids = [i for f in stored for i in f.sample_ids]
    if sample_ids:
        audit.record(
            session,
            ctx.principal,
            "sample.upload",
            project_id=ctx.project.id,
            files=upload.file_count,
            sample_ids=sample_ids[:100],
            samples=len(sample_ids),
            immediate=True,
        )
    return stored


def _columns(row: dict[str, Any]) -> dict[str, Any]:
    """A row keyed by attribute names keyed by the table's column names instead."""
    return {_COLUMN_OF.get(name, name): value for name, value in row.items()}


_COLUMN_OF = {attr.key: attr.columns[0].name for attr in Sample.__mapper__.column_attrs}
_INSERT_SAMPLES = Sample.__table__.insert().returning(Sample.__table__.c.id, sort_by_parameter_order=True)


def store_prepared(session: Session, ctx: ProjectContext, upload: PreparedUpload) -> list[FileOutcome]:
    """`insert_prepared`, with the stored samples loaded as rows."""
    stored = insert_prepared(session, ctx, upload)
    wanted = [i for f in stored for i in f.sample_ids]
    samples = (
        {s.id: s for s in session.scalars(select(Sample).where(Sample.id.in_(wanted)))} if wanted else {}
    )
    return [
        FileOutcome(f.filename, [samples[i] for i in f.sample_ids], f.error, f.status_code) for f in stored
    ]


def _is_zip(path: Path, filename: str) -> bool:
    if extension_of(filename) != ".zip":
        return False
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    try:
        detect_format(filename, head)
    except formats.InvalidUpload as exc:
        raise _invalid(exc) from None
    return True


def _check_size(path: Path, filename: str) -> None:
    """Files reaching the service by another way than a streamed request get the same limit."""
    size = path.stat().st_size
    limit = get_settings().max_upload_bytes
    if size > limit:
        raise PayloadTooLarge(
            f"{filename}: file is larger than the {describe_bytes(limit)} upload limit",
            details={"file": filename},
        )


def _parse(
    parser: Callable[..., T],
    ctx: ProjectContext,
    path: Path,
    filename: str,
    mapping: formats.CsvMapping | None,
) -> T:
    """Run a formats parser with the project's key and limits; its refusal becomes a domain error."""
    _check_size(path, filename)
    try:
        return parser(path, filename, hmac_key=_hmac_key(ctx), csv_mapping=mapping, limits=_limits())
    except formats.InvalidUpload as exc:
        raise _invalid(exc) from None


def _prepare_single(
    session: Session,
    ctx: ProjectContext,
    path: Path,
    filename: str,
    options: IngestOptions,
    mapping: formats.CsvMapping | None,
) -> list[dict[str, Any]]:
    parsed = _parse(formats.parse_file, ctx, path, filename, mapping)
    planned = _plan(session, ctx, filename, parsed, options, member_category=None)
    original = storage.put_file(session, path)
    return [_row(session, ctx, p, original, options) for p in planned]


def _prepare_zip(
    session: Session,
    ctx: ProjectContext,
    path: Path,
    filename: str,
    options: IngestOptions,
    mapping: formats.CsvMapping | None,
) -> list[PreparedFile]:
    members = _parse(formats.parse_zip, ctx, path, filename, mapping)
    outcomes: list[PreparedFile] = []
    with zipfile.ZipFile(path) as zf:
        for member in members:
            shown = f"{filename}/{member.path}"
            if member.error is not None:
                outcomes.append(PreparedFile(shown, [], f"{shown}: {member.error.reason}", 400))
                continue
            if not member.samples:
                continue
            try:
                planned = _plan(session, ctx, member.path, member.samples, options, member.category)
                original = _store_member(session, zf, member.path)
                outcomes.append(
                    PreparedFile(shown, [_row(session, ctx, p, original, options) for p in planned])
                )
            except DomainError as exc:
                outcomes.append(PreparedFile(shown, [], exc.message, exc.status_code))
    return outcomes


def _store_member(session: Session, zf: zipfile.ZipFile, member: str) -> str:
    """The member's own bytes become its samples' original file (already checked by parse_zip)."""
    scratch = upload_dir() / f"member-{secrets.token_hex(8)}"
    try:
        with zf.open(member) as src, open(scratch, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        return storage.put_file(session, scratch)
    finally:
        scratch.unlink(missing_ok=True)


@dataclass
class _Planned:
    parsed: formats.ParsedSample
    filename: str
    name: str
    label: str | None
    category: str
    content_sha256: str


def _stem(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return (base[:dot] if dot > 0 else base)[:200] or "sample"


def _plan(
    session: Session,
    ctx: ProjectContext,
    filename: str,
    parsed: list[formats.ParsedSample],
    options: IngestOptions,
    member_category: str | None,
) -> list[_Planned]:
    """Decide names, labels, categories and hashes, and refuse duplicates, before anything is written."""
    base_name = _stem(options.name or filename)
    planned = []
    for i, p in enumerate(parsed):
        sha = storage.content_hash(p.kind, p.values, p.interval_ms)
        if options.disallow_duplicates:
            existing = repository.find_by_content(session, ctx.project.id, sha)
            if existing is not None:
                raise InvalidSampleFile(
                    filename,
                    f"the same data is already in sample {existing.id} ({existing.name})",
                    status_code=409,
                )
        if options.no_label:
            label = None
        else:
            # The file's own labels (a CSV label column, info.labels) are more specific than the request's.
            label = p.label or options.label or formats.label_from_filename(filename)
            label = clean_label(label) if label else None
        if options.category != "split":
            category = options.category
        else:
            category = member_category or formats.auto_category(sha)
        name = base_name if len(parsed) == 1 else f"{base_name}.{i}"
        if options.add_date_id:
            name = f"{name}.{secrets.token_hex(6)}"
        planned.append(_Planned(p, p.filename or filename, name, label, category, sha))
    return planned


def _row(
    session: Session, ctx: ProjectContext, plan: _Planned, original: str, options: IngestOptions
) -> dict[str, Any]:
    """The Sample row of a planned recording, once its values blob is written."""
    p = plan.parsed
    values_sha = storage.put_bytes(session, storage.values_to_npy(p.values))
    meta = {**p.metadata, **(options.metadata or {})}
    if options.bounding_boxes is not None:
        meta["bounding_boxes"] = options.bounding_boxes
    fields: dict[str, Any] = dict(
        project_id=ctx.project.id,
        name=plan.name,
        filename=plan.filename[:255],
        label=plan.label,
        category=plan.category,
        created_by_id=ctx.principal.user_id,
        created_by_api_key_id=ctx.principal.api_key_id,
        original_sha256=original,
        meta=meta,
        enabled=True,
        verified=p.signature == "verified",
        device_name=p.device_name,
        device_type=p.device_type,
        **_shape_fields(
            p.kind, p.values, p.interval_ms, [{"name": s.name, "units": s.units} for s in p.sensors]
        ),
        content_sha256=plan.content_sha256,
        values_sha256=values_sha,
        created_at=utcnow(),
    )
    return fields


def _shape_fields(
    kind: str, values: np.ndarray, interval_ms: float, sensors: list[dict[str, str]]
) -> dict[str, Any]:
    if kind == "image":
        height, width, channels = values.shape
        return {
            "kind": kind, "sensors": sensors, "interval_ms": 0.0, "frames": int(height),
            "axes": int(channels), "width": int(width), "duration_ms": 0.0,
        }  # fmt: skip
    return {
        "kind": kind, "sensors": sensors, "interval_ms": float(interval_ms), "frames": int(values.shape[0]),
        "axes": int(values.shape[1]), "width": 0, "duration_ms": float(values.shape[0] * interval_ms),
    }  # fmt: skip


def parse_upload(path: Path, filename: str, hmac_key: bytes | None) -> formats.ParsedSample:
    """Parse one file without storing it (live classification of a recording)."""
    try:
        parsed = formats.parse_file(path, filename, hmac_key=hmac_key, limits=_limits())
    except formats.InvalidUpload as exc:
        raise _invalid(exc) from None
    if len(parsed) != 1:
        raise InvalidSampleFile(filename, f"expected one recording, found {len(parsed)}")
    return parsed[0]
