"""Pages: the deploy tab (board choice, per-board estimates, builds with a live log, downloads, history per
model version) and the Boards page rendering the registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from backend.core.deps import CanRead, CanWrite, SessionDep, UserPrincipal
from backend.core.errors import DomainError
from backend.core.templates import register_nav, render
from backend.deploy import live, service
from backend.deploy.models import Deployment
from backend.jobs import service as jobs
from backend.jobs.models import FINISHED
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext
from firmware.boards import KINDS

router = APIRouter(include_in_schema=False)
register_nav("deploy", "Deployment", "/projects/{id}/deploy", order=60)
DEFAULT_BOARD = "arduino-nano-33-ble-sense"


def _history(session: Session, ctx: ProjectContext) -> list[tuple[int, list[Deployment]]]:
    """The project's builds grouped by model version, newest version first."""
    by_version: dict[int, list[Deployment]] = {}
    for d in service.list_(session, ctx, limit=200)[0]:
        by_version.setdefault(d.model_version, []).append(d)
    return sorted(by_version.items(), key=lambda item: item[0], reverse=True)


def _page(
    session: Session, ctx: ProjectContext, model_id: int | None, board_id: str | None
) -> dict[str, Any]:
    from backend.training import service as training

    # Deployable: an int8 .tflite (classifier, regression) or fitted anomaly parameters (K-means, GMM).
    models = [
        m
        for m in training.list_(session, ctx, limit=50)[0]
        if m.status == "ready" and (m.int8_sha or m.anomaly)
    ]
    model = next((m for m in models if m.id == model_id), None) or (models[0] if models else None)
    board = service.board_or_raise(board_id) if board_id else service.board_or_raise(DEFAULT_BOARD)
    return {
        "ctx": ctx,
        "project": ctx.project,
        "active_nav": "deploy",
        "can_write": ctx.can(Action.write),
        "models": models,
        "model": model,
        "boards": service.boards(),
        "board": board,
        "kinds": KINDS,
        "history": _history(session, ctx),
        "errors": {},
    }


def _build_context(session: Session, ctx: ProjectContext, deployment: Deployment) -> dict[str, Any]:
    job = jobs.get_or_raise(session, ctx, deployment.job_id) if deployment.job_id else None
    return {
        "ctx": ctx,
        "project": ctx.project,
        "deployment": deployment,
        "job": job,
        "logs": jobs.logs(session, job) if job is not None else [],
        "job_finished": job is None or job.status in FINISHED,
        # The included job panel must not poll on its own: this partial polls and swaps it whole.
        "finished": True,
        # Sent out of band once the build ends, so the history shows it without a reload.
        "history": _history(session, ctx),
    }


@router.get("/projects/{project_id}/deploy")
def deploy_page(
    request: Request, ctx: CanRead, session: SessionDep, model: int | None = None, board: str | None = None
) -> Response:
    page = _page(session, ctx, model, board)
    if page["model"] is not None:
        # Shown without a measured table, the page starts measuring it; the plan bounds show meanwhile.
        selected = page["model"]
        page.update(
            _estimates_context(
                session,
                ctx,
                selected,
                page["board"].id,
                lambda: service.measure_estimates(session, ctx, selected, again=False),
            )
        )
        page.update(_live_context(session, ctx, selected, live.bundle(session, ctx, selected)))
    return render(request, "deploy/deploy.html", page)


def _estimates_context(
    session: Session,
    ctx: ProjectContext,
    model: Any,
    board_id: str | None,
    measure: Callable[[], service.EstimatesState],
) -> dict[str, Any]:
    """The estimates partial: the table as far as it is measured (plan bounds for the rest) and the job."""
    context: dict[str, Any] = {
        "ctx": ctx,
        "project": ctx.project,
        "model": model,
        "boards": service.boards(),
        "selected_board": board_id or DEFAULT_BOARD,
        "can_write": ctx.can(Action.write),
    }
    try:
        state = measure()
    except DomainError as exc:
        return {**context, "problem": exc.message}
    job = state.job if state.status != "measured" else None
    return {
        **context,
        "state": state,
        "job": job,
        "logs": jobs.logs(session, job) if job is not None else [],
    }


@router.get("/projects/{project_id}/deploy/estimates")
def estimates_table(
    request: Request, ctx: CanRead, session: SessionDep, model: int, board: str | None = None
) -> Response:
    from backend.training import service as training

    selected = training.get_or_raise(session, ctx, model)
    context = _estimates_context(
        session, ctx, selected, board, lambda: service.estimates(session, ctx, selected)
    )
    return render(request, "deploy/_estimates.html", context)


@router.post("/projects/{project_id}/deploy/estimates")
def measure_estimates(
    request: Request, ctx: CanWrite, session: SessionDep, model_id: int = Form(...), board: str = Form("")
) -> Response:
    from backend.training import service as training

    selected = training.get_or_raise(session, ctx, model_id)
    context = _estimates_context(
        session, ctx, selected, board, lambda: service.measure_estimates(session, ctx, selected)
    )
    return render(request, "deploy/_estimates.html", context)


def _live_context(
    session: Session, ctx: ProjectContext, model: Any, deployment: Deployment | None
) -> dict[str, Any]:
    """The live classification panel: the model's wasm bundle (building, failed or ready) and, once it is
    ready, the testing samples and the impulse's input that the page's script needs."""
    job = jobs.get_or_raise(session, ctx, deployment.job_id) if deployment and deployment.job_id else None
    context: dict[str, Any] = {
        "ctx": ctx,
        "project": ctx.project,
        "model": model,
        "can_write": ctx.can(Action.write),
        "live_bundle": deployment,
        "live_job": job,
        "live_logs": jobs.logs(session, job)[-6:] if job is not None else [],
    }
    if deployment is not None and deployment.status == "ready":
        context["live_samples"] = live.samples(session, ctx, model)
        context["live_input"] = live.live_input(session, ctx, model)
    return context


@router.post("/projects/{project_id}/deploy/live")
def prepare_live(request: Request, ctx: CanWrite, session: SessionDep, model_id: int = Form(...)) -> Response:
    from backend.training import service as training

    model = training.get_or_raise(session, ctx, model_id)
    try:
        deployment = live.prepare(session, ctx, model.id)
    except DomainError as exc:
        return render(
            request, "deploy/_live.html", {**_live_context(session, ctx, model, None), "problem": exc.message}
        )
    return render(request, "deploy/_live.html", _live_context(session, ctx, model, deployment))


@router.get("/projects/{project_id}/deploy/live/{deployment_id}")
def live_panel(request: Request, ctx: CanRead, session: SessionDep, deployment_id: int) -> Response:
    from backend.training import service as training

    deployment = service.get_or_raise(session, ctx, deployment_id)
    model = training.get_or_raise(session, ctx, deployment.model_id)
    return render(request, "deploy/_live.html", _live_context(session, ctx, model, deployment))


@router.post("/projects/{project_id}/deploy/build")
def start_build(
    request: Request,
    ctx: CanWrite,
    session: SessionDep,
    board_id: str = Form(...),
    kind: str = Form(""),
    model_id: int | None = Form(None),
) -> Response:
    try:
        deployment = service.start_build(session, ctx, board_id, kind or None, model_id)
    except DomainError as exc:
        return render(
            request,
            "deploy/_build_error.html",
            {"ctx": ctx, "project": ctx.project, "message": exc.message},
            422,
        )
    return render(request, "deploy/_build.html", _build_context(session, ctx, deployment))


@router.get("/projects/{project_id}/deploy/builds/{deployment_id}")
def build_panel(request: Request, ctx: CanRead, session: SessionDep, deployment_id: int) -> Response:
    deployment = service.get_or_raise(session, ctx, deployment_id)
    return render(request, "deploy/_build.html", _build_context(session, ctx, deployment))


@router.get("/boards")
def boards_page(request: Request, _: UserPrincipal) -> Response:
    return render(request, "deploy/boards.html", {"boards": service.boards(), "kinds": KINDS})
