"""JSON API: start training, model versions and their metrics and files, model testing, classification,
and uploading an own model."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, File, Form, Query, UploadFile
from starlette.responses import FileResponse, Response

from backend.core.deps import CanRead, CanWrite, SessionDep
from backend.core.errors import InvalidInput, NotFound
from backend.jobs.schemas import JobRead
from backend.projects.schemas import ListOf
from backend.training import service
from backend.training.schemas import (
    ClassifySample,
    ModelDetail,
    ModelMetrics,
    ModelRead,
    ModelTestRead,
    ModelTestStart,
    TrainingStart,
)

router = APIRouter(prefix="/api/projects/{project_id}", tags=["training"])
UPLOAD_ERRORS = {
    413: {"description": "The file is too large"},
    422: {"description": "The file or a field is not acceptable"},
}


def _chunks(upload: UploadFile) -> Iterator[bytes]:
    while chunk := upload.file.read(1024 * 1024):
        yield chunk


@router.post("/training", response_model=JobRead, status_code=202, responses={422: {}})
def start_training(body: TrainingStart, ctx: CanWrite, session: SessionDep) -> JobRead:
    return JobRead.model_validate(service.start_training(session, ctx, body.settings, body.learn_block_id))


@router.get("/models", response_model=ListOf[ModelRead])
def list_models(
    ctx: CanRead,
    session: SessionDep,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> ListOf[ModelRead]:
    models, count = service.list_(session, ctx, limit=limit, offset=offset)
    return ListOf(data=[ModelRead.model_validate(m) for m in models], count=count)


@router.post("/models", response_model=ModelRead, status_code=201, responses=UPLOAD_ERRORS)
def upload_model(ctx: CanWrite, session: SessionDep, file: UploadFile = File(...)) -> ModelRead:
    data = file.file.read(service.MAX_MODEL_BYTES + 1)
    return ModelRead.model_validate(service.upload_model(session, ctx, data, file.filename or ""))


@router.get("/models/{model_id}", response_model=ModelDetail)
def get_model(model_id: int, ctx: CanRead, session: SessionDep) -> ModelDetail:
    model = service.get_or_raise(session, ctx, model_id)
    return ModelDetail.model_validate(
        {**ModelRead.model_validate(model).model_dump(), "metrics": model.metrics, "history": model.history,
         "anomaly": model.anomaly, "estimates": service.estimates(model)}
    )  # fmt: skip


@router.get("/models/{model_id}/metrics", response_model=ModelMetrics)
def get_metrics(model_id: int, ctx: CanRead, session: SessionDep) -> ModelMetrics:
    model = service.get_or_raise(session, ctx, model_id)
    m = model.metrics or {}
    return ModelMetrics(
        model_id=model.id, version=model.version, split=m.get("split"), samples=m.get("samples"),
        float32=m.get("float32"), int8=m.get("int8"),
    )  # fmt: skip


@router.get("/models/{model_id}/files/{kind}", response_class=FileResponse)
def download(model_id: int, kind: str, ctx: CanRead, session: SessionDep) -> Response:
    path, filename, media = service.artefact(session, ctx, model_id, kind)
    return FileResponse(path, media_type=media, filename=filename)


@router.delete("/models/{model_id}", status_code=204)
def delete_model(model_id: int, ctx: CanWrite, session: SessionDep) -> Response:
    service.delete(session, ctx, model_id)
    return Response(status_code=204)


@router.post("/testing", response_model=JobRead, status_code=202, responses={422: {}})
def start_test(body: ModelTestStart, ctx: CanWrite, session: SessionDep) -> JobRead:
    return JobRead.model_validate(service.start_test(session, ctx, body.model_id))


@router.get("/testing/latest", response_model=ModelTestRead)
def latest_test(ctx: CanRead, session: SessionDep, model_id: int | None = None) -> ModelTestRead:
    test = service.latest_test(session, ctx, model_id)
    if test is None:
        raise NotFound("No model test has run yet.")
    return ModelTestRead.model_validate(test)


@router.get("/testing/{test_id}", response_model=ModelTestRead)
def get_test(test_id: int, ctx: CanRead, session: SessionDep) -> ModelTestRead:
    return ModelTestRead.model_validate(service.get_test_or_raise(session, ctx, test_id))


@router.post("/classify", response_model=JobRead, status_code=202, responses={422: {}})
def classify_sample(body: ClassifySample, ctx: CanWrite, session: SessionDep) -> JobRead:
    return JobRead.model_validate(service.start_classify_sample(session, ctx, body.sample_id, body.model_id))


@router.post("/classify/upload", response_model=JobRead, status_code=202, responses=UPLOAD_ERRORS)
def classify_upload(
    ctx: CanWrite,
    session: SessionDep,
    file: UploadFile = File(...),
    model_id: int | None = Form(None),
) -> JobRead:
    if not file.filename:
        raise InvalidInput("Give the file a name.", field="file")
    job = service.start_classify_upload(session, ctx, _chunks(file), file.filename, model_id)
    return JobRead.model_validate(job)
