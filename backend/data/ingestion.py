"""Edge Impulse-compatible ingestion API at the server root, so Edge Impulse's own tools upload unchanged.

`POST /api/{training|testing|anomaly|split}/files` (multipart, parts in field `data`) and the older
`POST /api/{category}/data` (one raw JSON/CBOR document). The project comes from the `x-api-key` header.
Answers use Edge Impulse's shapes, not the studio's: `{"success": true, "files": [...]}` or
`{"success": false, "error": "..."}`; the legacy route answers plain text.
"""

from __future__ import annotations

import json
import posixpath
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.core.db import get_sessionmaker, session_scope
from backend.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from backend.core.groupcommit import GroupCommit
from backend.core.principal import Principal
from backend.core.security import token_hash
from backend.data import service, storage
from backend.data.formats import CsvMapping
from backend.data.upload import ReceivedForm, UploadedFile, receive_body, receive_multipart
from backend.projects import service as projects
from backend.projects.permissions import Action, allows
from backend.projects.service import ProjectContext

router = APIRouter(tags=["ingestion (Edge Impulse compatible)"])

# How stale an API key's last-used time may be; finer would cost a row update per uploaded file.
LAST_USED_PRECISION = timedelta(minutes=1)
# Parts that describe the samples of the same request rather than being samples themselves.
SIDECARS = ("bounding_boxes.labels", "structured_labels.labels", "label_map.labels", "attachments.labels")
_EI_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {
        "description": text,
        "content": {"application/json": {"example": {"success": False, "error": text}}},
    }
    for code, text in (
        (400, "A file could not be read as a sample"),
        (401, "Missing, unknown or revoked API key"),
        (403, "The key's role cannot upload"),
        (404, "Unknown category, or a project the key cannot see"),
        (409, "Duplicate data (x-disallow-duplicates)"),
        (413, "A file is over the upload limit"),
        (415, "Unsupported file type or request body"),
        (422, "Invalid header or category"),
    )
}
_FILES_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "data": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


def _ei_error(exc: DomainError) -> JSONResponse:
    return JSONResponse({"success": False, "error": exc.message}, status_code=exc.status_code)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _json_header(request: Request, name: str, kind: type) -> Any:
    raw = request.headers.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidInput(f"The {name} header is not valid JSON.") from None
    if not isinstance(value, kind):
        raise InvalidInput(f"The {name} header must be a JSON {'object' if kind is dict else 'array'}.")
    return value


def _options(request: Request, category: str) -> service.IngestOptions:
    label = request.headers.get("x-label")
    return service.IngestOptions(
        # Edge Impulse clients percent-encode labels with non-ASCII characters.
        label=urllib.parse.unquote(label) if label else None,
        no_label=_flag(request.headers.get("x-no-label")),
        category=category,
        metadata=_json_header(request, "x-metadata", dict),
        disallow_duplicates=_flag(request.headers.get("x-disallow-duplicates")),
        add_date_id=_flag(request.headers.get("x-add-date-id")),
        name=urllib.parse.unquote(request.headers.get("x-file-name") or "") or None,
        bounding_boxes=_json_header(request, "x-bounding-boxes", list),
    )


def _context(session: Session, request: Request) -> ProjectContext:
    """The project of the x-api-key header, with write access checked (one query)."""
    raw = request.headers.get("x-api-key")
    if not raw:
        raise NotAuthenticated("Missing x-api-key header.")
    # The session is never committed: the key's last-used time is the writer's to record (check_key).
    return projects.key_context(session, raw, Action.write)[1]


def _check_key(raw: str) -> None:
    """Refuse an unknown or read-only key before a byte of the body is read.

    A short read-only session (closed without commit); the unit of work looks the key up again, with
    the samples, so what it finally stores is checked against the key as it is then.
    """
    session = get_sessionmaker()()
    try:
        key = projects.authenticate_api_key(session, raw)
        if key is None:
            raise NotAuthenticated("Invalid or revoked API key.")
        if not allows(key.role, Action.write):
            raise PermissionDenied(f"This API key's role ({key.role}) cannot upload data.")
    finally:
        session.close()


class _RecentKeys:
    """Keys that passed the pre-check in the last few seconds, by hash, so a client streaming samples
    costs one database lookup per key every few seconds rather than two per request.

    Only the pre-check trusts it: every unit of work authenticates the key again in the transaction that
    stores the samples, so a revoked key stores nothing from the moment it is revoked; the cache only lets
    its bodies be read (and then refused) for up to `ttl` seconds longer.
    """

    def __init__(self, ttl: float = 5.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._until: dict[str, float] = {}

    def fresh(self, digest: str) -> bool:
        until = self._until.get(digest)
        return until is not None and until > time.monotonic()

    def remember(self, digest: str) -> None:
        if len(self._until) >= self.size:
            self._until.clear()  # many distinct keys at once: start over rather than track ages
        self._until[digest] = time.monotonic() + self.ttl

    def forget(self, digest: str) -> None:
        self._until.pop(digest, None)


_recent_keys = _RecentKeys()


async def _precheck_key(request: Request) -> None:
    """Refuse a missing, unknown or read-only key before the body is read (cached for a few seconds)."""
    raw = request.headers.get("x-api-key")
    if not raw:
        raise NotAuthenticated("Missing x-api-key header.")
    digest = token_hash(raw.strip())
    if _recent_keys.fresh(digest):
        return
    await run_in_threadpool(_check_key, raw)
    _recent_keys.remember(digest)


def _forget_refused_key(request: Request, exc: DomainError) -> None:
    """A key the unit of work refused (revoked, or its role lowered) is checked afresh next time."""
    if isinstance(exc, (NotAuthenticated, PermissionDenied)) and (raw := request.headers.get("x-api-key")):
        _recent_keys.forget(token_hash(raw.strip()))
        _targets.forget(raw)


def _check_category(category: str) -> None:
    if category not in service.CATEGORY_CHOICES:
        raise NotFound(f"Unknown category {category!r}; use one of {', '.join(service.CATEGORY_CHOICES)}.")


def _sidecar_metadata(files: list[UploadedFile]) -> dict[str, dict[str, Any]]:
    """Per-file metadata from bounding_boxes.labels and structured_labels.labels parts (keyed by file name).

    label_map.labels and attachments.labels carry nothing a sample stores here, and are ignored.
    """
    extra: dict[str, dict[str, Any]] = {}
    for f in files:
        if f.filename not in ("bounding_boxes.labels", "structured_labels.labels") or f.size > 16 << 20:
            continue
        try:
            doc = json.loads(f.path.read_bytes())
        except ValueError:
            continue
        for key, meta_key in (("boundingBoxes", "bounding_boxes"), ("structuredLabels", "structured_labels")):
            entries = doc.get(key) if isinstance(doc, dict) else None
            if isinstance(entries, dict):
                for name, value in entries.items():
                    extra.setdefault(posixpath.basename(str(name)), {})[meta_key] = value
    return extra


def _prepare_parts(
    session: Session, target: _Target, form: ReceivedForm, options: service.IngestOptions
) -> service.PreparedUpload:
    samples = [f for f in form.files if f.filename not in SIDECARS]
    if not samples:
        raise InvalidInput("No file in the request: send each file as a multipart part named `data`.")
    extra = _sidecar_metadata(form.files)
    options = target.apply(options)
    files: list[service.PreparedFile] = []
    for f in samples:
        per_file = options
        if meta := extra.get(f.filename):
            per_file = replace(options, metadata={**(options.metadata or {}), **meta})
        files.extend(service.prepare_upload(session, target.ctx, [(f.path, f.filename)], per_file).files)
    return service.PreparedUpload(target.ctx.project.id, len(samples), files, storage.new_blobs(session))


@dataclass(frozen=True)
class _Target:
    """What preparing an upload needs to know of the key's project: remembered for a moment per key, since
    a client streams many samples through one key. The writer checks the key, the role and these settings
    again when it stores the upload, so nothing stale is ever stored."""

    ctx: ProjectContext  # rows detached from the short session that loaded them
    mapping: CsvMapping | None  # the project's saved CSV mapping; None: detect

    def apply(self, options: service.IngestOptions) -> service.IngestOptions:
        if options.mapping is not None:
            return options
        return replace(options, mapping=self.mapping, mapping_resolved=True)


class _Targets:
    def __init__(self, ttl: float = 2.0, size: int = 256) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, _Target]] = {}

    def get(self, api_key: str) -> _Target | None:
        entry = self._entries.get(api_key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def remember(self, api_key: str, target: _Target) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[api_key] = (time.monotonic() + self.ttl, target)

    def forget(self, api_key: str) -> None:
        self._entries.pop(api_key, None)


_targets = _Targets()


def _target(session: Session, request: Request) -> _Target:
    api_key = request.headers.get("x-api-key", "")
    target = _targets.get(api_key)
    if target is None:
        ctx = _context(session, request)
        target = _Target(ctx, service.get_csv_mapping(session, ctx.project.id))
        _targets.remember(api_key, target)
    return target


class _StaleTarget(Conflict):
    """The project's HMAC key or CSV mapping changed while the upload was being prepared."""


@dataclass(frozen=True)
class _Pending:
    """A prepared upload waiting for the writer, with what it was prepared under: the key that must still be
    valid, and the project settings that must still hold, when it is stored."""

    api_key: str
    upload: service.PreparedUpload
    target: _Target


def _prepare(request: Request, prepare: Callable[[Session, _Target], service.PreparedUpload]) -> _Pending:
    """First phase of a request, in a worker thread: parse, check and write blobs; no database writes.

    The read-only session is closed without commit; the blobs it created are handed to the writer, which
    removes them if the upload is not stored after all.
    """
    session = get_sessionmaker()()
    try:
        with session.no_autoflush:
            target = _target(session, request)
            upload = prepare(session, target)
        storage.forget_new_blobs(session)
    finally:
        session.close()  # a failure above rolls back, and the rollback removes the new blobs
    return _Pending(request.headers.get("x-api-key", ""), upload, target)


_CHECKED = "moteforge_ingestion_checked"


def _store_pending(session: Session, pending: _Pending) -> list[service.StoredFile]:
    """Second phase, in the writer's transaction: the key, its role and the project settings the upload was
    prepared under are checked again (once per key and transaction), then the rows inserted."""
    checked: dict[str, tuple[projects.KeyCheck, CsvMapping | None]] = session.info.setdefault(_CHECKED, {})
    if pending.api_key not in checked:
        key = projects.check_key(session, pending.api_key, Action.write, touch_after=LAST_USED_PRECISION)
        checked[pending.api_key] = (key, service.get_csv_mapping(session, key.project_id))
    key, mapping = checked[pending.api_key]
    ctx = pending.target.ctx
    if (key.key_id, key.project_id) != (ctx.principal.api_key_id, ctx.project.id):
        raise NotAuthenticated("Invalid or revoked API key.")
    if key.hmac_key != ctx.project.hmac_key or mapping != pending.target.mapping:
        raise _StaleTarget("The project's HMAC key or CSV mapping changed during the upload; send it again.")
    return service.insert_prepared(session, replace(ctx, role=key.role), pending.upload)


def _discard_pending(session: Session, pending: _Pending) -> None:
    storage.discard_blobs(session, pending.upload.new_blobs)


_writer: GroupCommit[_Pending, list[service.StoredFile]] = GroupCommit(
    _store_pending, on_failure=_discard_pending, name="ingestion-writer"
)


async def _ingest(
    request: Request, prepare: Callable[[Session, _Target], service.PreparedUpload]
) -> tuple[int, list[service.StoredFile]]:
    """Both phases; an upload prepared under settings that changed meanwhile is prepared once more."""
    for attempt in (1, 2):
        pending = await run_in_threadpool(_prepare, request, prepare)
        try:
            return pending.upload.project_id, await _writer.run(pending)
        except _StaleTarget:
            _targets.forget(pending.api_key)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _files_answer(outcomes: list[service.StoredFile], project_id: int) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = []
    for o in outcomes:
        if o.error is not None:
            answer.append(
                {"success": False, "fileName": o.filename, "error": o.error, "status": o.status_code}
            )
        for sample_id in o.sample_ids:
            answer.append(
                {"success": True, "sampleId": sample_id, "fileName": o.filename, "projectId": project_id}
            )
    return answer


@router.post("/api/{category}/files", responses=_EI_ERRORS, openapi_extra=_FILES_FORM)
async def ingest_files(category: str, request: Request) -> Response:
    """Upload files as samples; every multipart part named `data` is one file."""
    try:
        _check_category(category)
        await _precheck_key(request)
        options = _options(request, category)
        async with receive_multipart(request) as form:
            project_id, outcomes = await _ingest(
                request, lambda session, target: _prepare_parts(session, target, form, options)
            )
        files = _files_answer(outcomes, project_id)
    except DomainError as exc:
        _forget_refused_key(request, exc)
        return _ei_error(exc)
    if not any(f["success"] for f in files):
        first = next(f for f in files if not f["success"])
        return JSONResponse(
            {"success": False, "error": first["error"], "files": files}, status_code=first["status"]
        )
    return JSONResponse({"success": True, "files": files})


@router.post("/api/{category}/data", response_class=PlainTextResponse, responses=_EI_ERRORS)
async def ingest_data(category: str, request: Request) -> Response:
    """The older single-document route: the body is one JSON or CBOR acquisition document."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    default = "sample.cbor" if content_type == "application/cbor" else "sample.json"
    filename = urllib.parse.unquote(request.headers.get("x-file-name") or "") or default
    if not filename.lower().endswith((".json", ".cbor")):
        filename += ".cbor" if content_type == "application/cbor" else ".json"
    try:
        _check_category(category)
        await _precheck_key(request)
        options = _options(request, category)
        async with receive_body(request, filename) as path:
            _, outcomes = await _ingest(
                request,
                lambda session, target: service.prepare_upload(
                    session, target.ctx, [(path, filename)], target.apply(options)
                ),
            )
        stored = outcomes[0]
        if stored.error is not None:
            raise service.RejectedUpload(stored.error, status_code=stored.status_code)
        name = stored.names[0]
    except DomainError as exc:
        _forget_refused_key(request, exc)
        return PlainTextResponse(exc.message, status_code=exc.status_code)
    return PlainTextResponse(name)


# What Edge Impulse's CLI asks first --------------------------------------------------------------------


def _project_json(ctx: ProjectContext) -> dict[str, Any]:
    p = ctx.project
    return {"id": p.id, "name": p.name, "description": p.description, "created": p.created_at.isoformat()}


def _projects_work(request: Request, project_id: int | None) -> dict[str, Any]:
    with session_scope() as session:
        project = _project_json(_context_read(session, request, project_id))
    return (
        {"success": True, "projects": [project]}
        if project_id is None
        else {"success": True, "project": project}
    )


def _context_read(session: Session, request: Request, project_id: int | None) -> ProjectContext:
    raw = request.headers.get("x-api-key")
    key = projects.authenticate_api_key(session, raw) if raw else None
    if key is None:
        raise NotAuthenticated("Missing, invalid or revoked x-api-key header.")
    return projects.get_context(
        session, Principal(api_key=key), key.project_id if project_id is None else project_id, Action.read
    )


@router.get("/v1/api/projects", responses=_EI_ERRORS)
async def ei_projects(request: Request) -> Response:
    """The key's project, as Edge Impulse's API lists projects."""
    try:
        return JSONResponse(await run_in_threadpool(_projects_work, request, None))
    except DomainError as exc:
        return _ei_error(exc)


@router.get("/v1/api/{project_id}", responses=_EI_ERRORS)
async def ei_project(project_id: int, request: Request) -> Response:
    try:
        return JSONResponse(await run_in_threadpool(_projects_work, request, project_id))
    except DomainError as exc:
        return _ei_error(exc)


# The fast lane -------------------------------------------------------------------------------------------

_LANE_PATHS = re.compile(r"^/api/(?P<category>[^/]+)/(?P<route>files|data)$")


class IngestionLane:
    """ASGI middleware (outermost) sending POSTs to the ingestion routes straight to their endpoints.

    Devices and clients stream samples here one request each: the studio's browser middleware (CSRF cookie,
    body limit, compression) does not apply to these header-authenticated routes, and FastAPI's routing
    and parameter handling cost as much as the endpoint's own work on a small CSV. The routes stay declared
    on the router above (OpenAPI, other methods); the endpoints handle their own errors.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = _LANE_PATHS.match(scope["path"])
            if match is not None:
                endpoint = ingest_files if match["route"] == "files" else ingest_data
                response = await endpoint(match["category"], Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
