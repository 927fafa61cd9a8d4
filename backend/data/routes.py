"""Studio JSON API for a project's samples: upload, list, read, edit, bulk actions, CSV wizard, export."""

from __future__ import annotations

import json
import mimetypes
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from backend.core.deps import CanRead, CanWrite, SessionDep
from backend.core.errors import InvalidInput
from backend.data import export, service
from backend.data.schemas import (
    BulkAction,
    BulkResult,
    CropRequest,
    CsvMappingBody,
    CsvPreviewRead,
    FileResultRead,
    RebalanceResult,
    SampleList,
    SampleRead,
    SampleUpdate,
    SampleValues,
    SplitRequest,
    SummaryRead,
    UploadResult,
)
from backend.data.upload import ReceivedForm, receive_multipart

router = APIRouter(prefix="/api/projects/{project_id}/samples", tags=["data"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A file could not be read as a sample (the message names it and the problem)"},
    401: {"description": "Not signed in"},
    403: {"description": "Role too low"},
    404: {"description": "No such project or sample"},
    409: {"description": "Duplicate data (when duplicates are refused)"},
    413: {"description": "A file is over the upload limit"},
    415: {"description": "Unsupported file type or request body"},
    422: {"description": "Invalid parameters"},
}


def _multipart(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": fields}}},
        }
    }


_FILES = {"type": "array", "items": {"type": "string", "format": "binary"}}
_UPLOAD_FORM = _multipart(
    {
        "files": _FILES,
        "label": {"type": "string", "description": "Label for every file; else from the file name."},
        "category": {"type": "string", "enum": list(service.CATEGORY_CHOICES), "default": "split"},
        "no_label": {"type": "boolean"},
        "disallow_duplicates": {"type": "boolean"},
        "metadata": {"type": "string", "description": "A JSON object stored with every sample."},
    }
)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _upload_options(form: ReceivedForm) -> service.IngestOptions:
    metadata = None
    if raw := form.value("metadata"):
        try:
            metadata = json.loads(raw)
        except ValueError:
            raise InvalidInput("metadata is not valid JSON.", field="metadata") from None
    return service.IngestOptions(
        label=form.value("label") or None,
        no_label=_flag(form.value("no_label")),
        category=form.value("category") or "split",
        metadata=metadata,
        disallow_duplicates=_flag(form.value("disallow_duplicates")),
    )


@router.post("", response_model=UploadResult, responses=ERRORS, openapi_extra=_UPLOAD_FORM)
async def upload(request: Request, ctx: CanWrite, session: SessionDep) -> UploadResult:
    """Upload files (many in `files`); each is stored all or nothing, a zip member by member."""
    async with receive_multipart(request) as form:
        if not form.files:
            raise InvalidInput("Attach at least one file (multipart field `files`).", field="files")
        options = _upload_options(form)
        files = [(f.path, f.filename) for f in form.files]
        outcomes = await run_in_threadpool(service.ingest_upload, session, ctx, files, options)
    results = [
        FileResultRead(
            filename=o.filename,
            success=o.ok,
            error=o.error,
            status=o.status_code,
            samples=[SampleRead.model_validate(s) for s in o.samples],
        )
        for o in outcomes
    ]
    accepted = sum(r.success for r in results)
    if not accepted:
        first = outcomes[0]
        raise service.RejectedUpload(
            first.error or "Nothing was stored.",
            status_code=first.status_code,
            details=[r.model_dump() for r in results],
        )
    return UploadResult(files=results, accepted=accepted, rejected=len(results) - accepted)


@router.get("", response_model=SampleList, responses=ERRORS)
def list_samples(
    ctx: CanRead,
    session: SessionDep,
    label: str | None = None,
    category: str | None = None,
    sensor: str | None = None,
    enabled: bool | None = None,
    kind: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the sample name")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    after_id: Annotated[int | None, Query(description="Last id of the previous page")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SampleList:
    filters = service.SampleFilter(label, category, sensor, enabled, kind, q)
    samples, count = service.list_(session, ctx, filters, limit=limit, after_id=after_id, offset=offset)
    more = len(samples) == limit
    return SampleList(
        data=[SampleRead.model_validate(s) for s in samples],
        count=count,
        next_after_id=samples[-1].id if samples and more else None,
    )


@router.get("/summary", response_model=SummaryRead, responses=ERRORS)
def summary(ctx: CanRead, session: SessionDep) -> dict[str, Any]:
    return service.summary(session, ctx)


@router.post("/rebalance", response_model=RebalanceResult, responses=ERRORS)
def rebalance(ctx: CanWrite, session: SessionDep) -> dict[str, Any]:
    """Move samples so each label is split about 80/20 between training and testing."""
    return service.rebalance(session, ctx)


@router.post("/bulk", response_model=BulkResult, responses=ERRORS)
def bulk(body: BulkAction, ctx: CanWrite, session: SessionDep) -> BulkResult:
    if body.action == "relabel":
        n = service.relabel(session, ctx, body.ids, body.label)
    elif body.action == "move":
        if body.category is None:
            raise InvalidInput("Give the category to move the samples to.", field="category")
        n = service.move(session, ctx, body.ids, body.category)
    elif body.action == "enable":
        n = service.enable(session, ctx, body.ids)
    elif body.action == "disable":
        n = service.disable(session, ctx, body.ids)
    else:
        n = service.delete(session, ctx, body.ids)
    return BulkResult(action=body.action, count=n)


@router.get(
    "/export",
    responses={**ERRORS, 200: {"content": {"application/zip": {}}, "description": "The dataset as a zip"}},
    response_class=FileResponse,
)
def export_dataset(ctx: CanRead, session: SessionDep) -> FileResponse:
    """The dataset as a zip in Edge Impulse's layout with an info.labels file."""
    path = export.export_zip(session, ctx)
    name = f"project-{ctx.project.id}-dataset.zip"
    return FileResponse(
        path, filename=name, media_type="application/zip", background=BackgroundTask(path.unlink)
    )


@router.post(
    "/csv/preview",
    response_model=CsvPreviewRead,
    responses=ERRORS,
    openapi_extra=_multipart({"file": {"type": "string", "format": "binary"}, "mapping": {"type": "string"}}),
)
async def csv_preview(request: Request, ctx: CanWrite) -> CsvPreviewRead:
    """CSV wizard: one CSV in (`file`, optional `mapping` JSON); detected mapping, first rows, problems out."""
    async with receive_multipart(request) as form:
        if len(form.files) != 1:
            raise InvalidInput("Attach exactly one CSV file.", field="file")
        mapping = None
        if raw := form.value("mapping"):
            try:
                mapping = CsvMappingBody.model_validate_json(raw).to_mapping()
            except ValueError:
                raise InvalidInput("mapping is not a valid CSV mapping.", field="mapping") from None
        preview = await run_in_threadpool(service.preview_csv, form.files[0].path, mapping)
    return CsvPreviewRead(
        columns=preview.columns,
        mapping=CsvMappingBody.of(preview.mapping),
        rows=preview.rows,
        interval_ms=preview.interval_ms,
        problems=preview.problems,
    )


@router.get("/csv/mapping", response_model=CsvMappingBody | None, responses=ERRORS)
def get_csv_mapping(ctx: CanRead, session: SessionDep) -> CsvMappingBody | None:
    mapping = service.get_csv_mapping(session, ctx.project.id)
    return CsvMappingBody.of(mapping) if mapping else None


@router.put("/csv/mapping", response_model=CsvMappingBody, responses=ERRORS)
def save_csv_mapping(body: CsvMappingBody, ctx: CanWrite, session: SessionDep) -> CsvMappingBody:
    """Save the mapping; later CSV uploads to this project are read with it."""
    service.save_csv_mapping(session, ctx, body.to_mapping())
    return body


@router.get("/{sample_id}", response_model=SampleRead, responses=ERRORS)
def get_sample(sample_id: int, ctx: CanRead, session: SessionDep) -> SampleRead:
    return SampleRead.model_validate(service.get_or_raise(session, ctx, sample_id))


@router.get("/{sample_id}/values", response_model=SampleValues, responses=ERRORS)
def get_values(
    sample_id: int,
    ctx: CanRead,
    session: SessionDep,
    max_points: Annotated[int, Query(ge=2, le=100_000)] = 2000,
) -> dict[str, Any]:
    """The values for plotting, at most `max_points` per axis (bucket minima and maxima)."""
    return service.plot_values(service.get_or_raise(session, ctx, sample_id), max_points)


@router.get(
    "/{sample_id}/raw",
    responses={
        **ERRORS,
        200: {"content": {"application/octet-stream": {}}, "description": "The original file"},
    },
    response_class=FileResponse,
)
def download_original(sample_id: int, ctx: CanRead, session: SessionDep) -> FileResponse:
    """The file as it was uploaded (shared by every sample cut from it)."""
    sample = service.get_or_raise(session, ctx, sample_id)
    media = mimetypes.guess_type(sample.filename)[0] or "application/octet-stream"
    return FileResponse(service.open_original(sample), filename=sample.filename, media_type=media)


@router.patch("/{sample_id}", response_model=SampleRead, responses=ERRORS)
def update_sample(sample_id: int, body: SampleUpdate, ctx: CanWrite, session: SessionDep) -> SampleRead:
    sample = service.get_or_raise(session, ctx, sample_id)
    given = body.model_fields_set
    sample = service.update(
        session,
        ctx,
        sample,
        name=body.name,
        label=body.label,
        clear_label="label" in given and body.label is None,
        category=body.category,
        enabled=body.enabled,
        metadata=body.metadata,
    )
    return SampleRead.model_validate(sample)


@router.delete("/{sample_id}", status_code=204, responses=ERRORS)
def delete_sample(sample_id: int, ctx: CanWrite, session: SessionDep) -> None:
    service.delete(session, ctx, [service.get_or_raise(session, ctx, sample_id).id])


@router.post("/{sample_id}/crop", response_model=SampleRead, responses=ERRORS)
def crop_sample(sample_id: int, body: CropRequest, ctx: CanWrite, session: SessionDep) -> SampleRead:
    sample = service.get_or_raise(session, ctx, sample_id)
    return SampleRead.model_validate(service.crop(session, ctx, sample, body.start_ms, body.end_ms))


@router.post("/{sample_id}/split", response_model=list[SampleRead], status_code=201, responses=ERRORS)
def split_sample(sample_id: int, body: SplitRequest, ctx: CanWrite, session: SessionDep) -> list[SampleRead]:
    """Cut into windows (new samples); the original is kept, disabled."""
    sample = service.get_or_raise(session, ctx, sample_id)
    windows = service.split_windows(session, ctx, sample, body.window_ms, body.stride_ms)
    return [SampleRead.model_validate(s) for s in windows]
