"""JSON API: the board registry, per-board estimates of a model, bundle builds and their downloads."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.responses import FileResponse, Response

from backend.core.deps import AuthedPrincipal, CanRead, CanWrite, SessionDep
from backend.deploy import live, service
from backend.deploy.schemas import (
    BoardRead,
    DeploymentCreate,
    DeploymentDetail,
    DeploymentRead,
    EstimatesRead,
    EstimatesStatus,
)
from backend.projects.schemas import ListOf

router = APIRouter(tags=["deploy"])
PROJECT = "/api/projects/{project_id}"
BUILD_ERRORS = {
    404: {"description": "No such model"},
    422: {
        "description": "Unknown board or kind (the valid ones are listed), a model that does not fit, no test samples"
    },
}


def _board(board: object) -> BoardRead:
    return BoardRead.model_validate({**board.to_json(), "emulated": board.emulated})  # type: ignore[attr-defined]


@router.get("/api/boards", response_model=ListOf[BoardRead])
def list_boards(_: AuthedPrincipal) -> ListOf[BoardRead]:
    boards = [_board(b) for b in service.boards()]
    return ListOf(data=boards, count=len(boards))


@router.get(
    "/api/boards/{board_id}", response_model=BoardRead, responses={422: {"description": "Unknown board"}}
)
def get_board(board_id: str, _: AuthedPrincipal) -> BoardRead:
    return _board(service.board_or_raise(board_id))


def _status(state: service.EstimatesState) -> EstimatesStatus:
    return EstimatesStatus(
        model_id=state.model.id,
        model_version=state.model.version,
        status=state.status,  # type: ignore[arg-type]
        job_id=state.job.id if state.job is not None and state.status != "measured" else None,
        measured=list(state.measured),
        boards=state.table,  # type: ignore[arg-type]
    )


def _read(state: service.EstimatesState) -> EstimatesRead:
    return EstimatesRead(model_id=state.model.id, model_version=state.model.version, boards=state.table)  # type: ignore[arg-type]


NOT_MEASURED = {
    409: {
        "description": "Not measured on every board yet: `error.details` gives `status` (`measuring` or "
        "`not_measured`), the `job_id` measuring it (null when none runs) and the boards `measured` so far"
    }
}


@router.get(
    PROJECT + "/deploy/estimates", response_model=EstimatesRead, responses={**BUILD_ERRORS, **NOT_MEASURED}
)
def estimates(ctx: CanRead, session: SessionDep, model_id: int | None = Query(None)) -> EstimatesRead:
    """The per-board RAM, flash and latency of the model (default: the newest ready one), once measured
    on every board; starts nothing."""
    from backend.training import service as training

    model = training.ready_or_raise(session, ctx, model_id)
    return _read(service.measured_or_raise(session, ctx, model))


@router.post(
    PROJECT + "/deploy/estimates",
    response_model=EstimatesStatus,
    status_code=202,
    responses={
        **BUILD_ERRORS,
        200: {"description": "Already measured on every board: nothing started", "model": EstimatesStatus},
        202: {
            "description": "A `deploy-estimates` job measures it (`job_id`; the one already running, if any)"
        },
    },
)
def measure_estimates(
    response: Response, ctx: CanWrite, session: SessionDep, model_id: int | None = Query(None)
) -> EstimatesStatus:
    """Measure the model on every board as a job: one per model at a time; boards a failed or cancelled
    job left unmeasured are measured again. Follow it at /api/projects/{id}/jobs/{job_id}."""
    from backend.training import service as training

    model = training.ready_or_raise(session, ctx, model_id)
    state = service.measure_estimates(session, ctx, model)
    if state.complete:
        response.status_code = 200
    return _status(state)


@router.get(
    PROJECT + "/deployments/estimates",
    response_model=EstimatesRead,
    responses={**BUILD_ERRORS, **NOT_MEASURED},
    deprecated=True,
)
def estimates_before_jobs(
    ctx: CanRead, session: SessionDep, model_id: int | None = Query(None)
) -> EstimatesRead:
    """Earlier path of GET /deploy/estimates, answering the same (it used to measure inside the request)."""
    return estimates(ctx, session, model_id)


@router.post(PROJECT + "/deployments", response_model=DeploymentRead, status_code=202, responses=BUILD_ERRORS)
def start_build(body: DeploymentCreate, ctx: CanWrite, session: SessionDep) -> DeploymentRead:
    deployment = service.start_build(session, ctx, body.board_id, body.kind, body.model_id)
    return DeploymentRead.model_validate(deployment)


@router.get(PROJECT + "/deployments", response_model=ListOf[DeploymentRead])
def list_deployments(
    ctx: CanRead,
    session: SessionDep,
    model_id: int | None = Query(None),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> ListOf[DeploymentRead]:
    rows, count = service.list_(session, ctx, model_id=model_id, limit=limit, offset=offset)
    return ListOf(data=[DeploymentRead.model_validate(r) for r in rows], count=count)


@router.get(PROJECT + "/deployments/{deployment_id}", response_model=DeploymentDetail, responses={404: {}})
def get_deployment(deployment_id: int, ctx: CanRead, session: SessionDep) -> DeploymentDetail:
    return DeploymentDetail.model_validate(service.get_or_raise(session, ctx, deployment_id))


@router.get(
    PROJECT + "/deployments/{deployment_id}/download",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}, 404: {"description": "No verified bundle"}},
)
def download(deployment_id: int, ctx: CanRead, session: SessionDep) -> FileResponse:
    path, filename = service.download(session, ctx, deployment_id)
    return FileResponse(path, media_type="application/zip", filename=filename)


@router.get(
    PROJECT + "/deployments/{deployment_id}/wasm/{name}",
    response_class=Response,
    responses={
        200: {"content": {"application/wasm": {}, "text/javascript": {}}},
        404: {"description": "Not a verified wasm bundle, or a name other than classify.wasm / classify.js"},
    },
)
def wasm_file(deployment_id: int, name: str, ctx: CanRead, session: SessionDep) -> Response:
    """``classify.wasm`` or its ``classify.js`` loader (an ES module) from a verified wasm bundle, for live
    classification in the browser."""
    content, media_type = live.loader_file(session, ctx, deployment_id, name)
    return Response(content, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
