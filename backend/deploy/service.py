"""Deployment business logic: boards, per-board estimates, starting verified bundle builds, downloads.

Everything that can be refused (unknown board or kind, a model that does not fit, nothing to verify on)
is refused here, before a job exists; an identical request reuses the bundle already built.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.blobs import get_blob_store
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.deploy import inputs, repository
from backend.deploy.models import BoardEstimates, Deployment, DeploymentStatus
from backend.jobs import service as jobs
from backend.jobs.models import FINISHED, Job
from backend.projects.service import ProjectContext
from backend.training.models import TrainedModel
from firmware.boards import BOARDS, BOARDS_FILE, Board, UnknownBoard, UnknownKind, check_kind, get_board
from firmware.deploy import estimate as estimation
from firmware.deploy import manifest

BUILD_JOB = "deploy-build"
ESTIMATES_JOB = "deploy-estimates"
# Bumped when the shape of a cached estimate table changes.
ESTIMATES_VERSION = 1


# Boards ----------------------------------------------------------------------------------------------------


def boards() -> list[Board]:
    return list(BOARDS.values())


def board_or_raise(board_id: str) -> Board:
    try:
        return get_board(board_id)
    except UnknownBoard as exc:
        raise InvalidInput(
            str(exc), field="board_id", details={"field": "board_id", "valid": list(BOARDS)}
        ) from None


def kind_for(board: Board, kind: str | None) -> str:
    """The requested bundle kind, or the board's default; ``InvalidInput`` listing the valid ones."""
    if not kind:
        return board.kinds[0]
    try:
        return check_kind(kind, board)
    except UnknownKind as exc:
        raise InvalidInput(
            str(exc), field="kind", details={"field": "kind", "valid": list(board.kinds)}
        ) from None


# Estimates -------------------------------------------------------------------------------------------------
#
# Measuring every board takes tens of seconds (a build and an emulator run per core), so it is a
# ``deploy-estimates`` job. Its table lives in one ``BoardEstimates`` row per (model, cache key), created
# when the job starts and filled board by board; the row's unique key is what keeps a second request from
# starting a second job. Until a board is measured, its plan bound (fits or not from the static memory plan)
# stands in for it.


@dataclass
class EstimatesState:
    """The per-board table of a model as far as it is known, and the job measuring it."""

    model: TrainedModel
    measured: dict[str, Any]  # {board_id: figures} of the boards measured so far
    bounds: dict[str, Any]  # {board_id: plan bound} of the boards not measured yet
    job: Job | None  # the newest measurement job of this table (running, or how the last one ended)

    @property
    def complete(self) -> bool:
        return _complete(self.measured)

    @property
    def measuring(self) -> bool:
        return self.job is not None and self.job.status not in FINISHED

    @property
    def status(self) -> str:
        return "measured" if self.complete else "measuring" if self.measuring else "not_measured"

    @property
    def table(self) -> dict[str, Any]:
        """Every board: its measured figures, else its plan bound (``measured_on`` None)."""
        return {b.id: self.measured.get(b.id) or self.bounds[b.id] for b in boards()}


def estimates_key(spec: Any) -> str:
    board_file = hashlib.sha256(BOARDS_FILE.read_bytes()).hexdigest()
    text = f"{ESTIMATES_VERSION}\n{estimation.CACHE_VERSION}\n{spec.model_sha256}\n{spec.dsp_config()}\n{board_file}"
    return hashlib.sha256(text.encode()).hexdigest()


def _complete(table: dict[str, Any]) -> bool:
    """Every board measured without error (the key covers the board file, so the set of boards is fixed)."""
    return all(b.id in table and "error" not in table[b.id] for b in boards())


def measure_board(spec: Any, board: Board) -> dict[str, Any]:
    """The board's measured figures; its plan bound and an ``error`` when its toolchain or emulator failed
    (one board failing must not hide the others)."""
    try:
        return estimation.estimate(spec, board).to_json()
    except Exception as exc:
        figures = estimation.plan_estimate(spec, board).to_json()
        return {**figures, "error": f"not measured: {str(exc).splitlines()[0][:300]}"}


_PLAN_BOUNDS: dict[str, dict[str, Any]] = {}


def plan_bounds(spec: Any) -> dict[str, Any]:
    """{board_id: plan bound} without building anything (a compile of the model per board, so kept per
    process for the page's polls)."""
    key = estimates_key(spec)
    if key not in _PLAN_BOUNDS:
        if len(_PLAN_BOUNDS) >= 64:
            _PLAN_BOUNDS.pop(next(iter(_PLAN_BOUNDS)))
        _PLAN_BOUNDS[key] = {b.id: estimation.plan_estimate(spec, b).to_json() for b in boards()}
    return _PLAN_BOUNDS[key]


def _estimates_job(session: Session, ctx: ProjectContext, model_id: int, key: str) -> Job | None:
    rows, _ = jobs.list_(session, ctx, type_=ESTIMATES_JOB, limit=50)
    return next(
        (j for j in rows if j.params.get("model_id") == model_id and j.params.get("cache_key") == key), None
    )


def estimates(session: Session, ctx: ProjectContext, model: TrainedModel) -> EstimatesState:
    """What is known of the model's table now; starts nothing. ``InvalidInput`` when the model cannot be
    deployed at all."""
    spec, _ = inputs.impulse_spec(session, ctx, model)
    return _state(session, ctx, model, spec, estimates_key(spec))


def _state(session: Session, ctx: ProjectContext, model: TrainedModel, spec: Any, key: str) -> EstimatesState:
    row = repository.estimates_for(session, model.id, key)
    measured = {b.id: row.boards[b.id] for b in boards() if row is not None and b.id in row.boards}
    bounds = {} if _complete(measured) else plan_bounds(spec)
    return EstimatesState(model, measured, bounds, _estimates_job(session, ctx, model.id, key))


def measured_or_raise(session: Session, ctx: ProjectContext, model: TrainedModel) -> EstimatesState:
    """The model's complete table; ``Conflict`` naming the job measuring it (or saying none is) otherwise."""
    state = estimates(session, ctx, model)
    if state.complete:
        return state
    done = f"{len(state.measured)} of {len(BOARDS)} boards measured"
    if state.measuring:
        assert state.job is not None
        message = f"Model v{model.version} is being measured: job {state.job.id}, {done}."
    else:
        message = (
            f"Model v{model.version} is not measured on every board ({done}); start the measurement with "
            f"POST /api/projects/{ctx.project.id}/deploy/estimates."
        )
    raise Conflict(
        message,
        details={
            "status": state.status,
            "job_id": state.job.id if state.measuring and state.job is not None else None,
            "measured": list(state.measured),
        },
    )


def measure_estimates(
    session: Session, ctx: ProjectContext, model: TrainedModel, *, again: bool = True
) -> EstimatesState:
    """Start the ``deploy-estimates`` job of the model unless its table is complete or a job is measuring
    it already. ``again=False`` (the page being shown) starts one only for a table never measured; an
    explicit request also measures again what a failed, cancelled or partly failed job left."""
    spec, _ = inputs.impulse_spec(session, ctx, model)
    key = estimates_key(spec)
    state = _state(session, ctx, model, spec, key)
    if state.complete or state.measuring:
        return state
    row = repository.estimates_for(session, model.id, key, lock=True)
    if row is not None and not again:
        return state
    if row is None:
        try:
            # The row is the lock: of two requests starting at once, the second one's insert fails here.
            with session.begin_nested():
                session.add(
                    BoardEstimates(project_id=ctx.project.id, model_id=model.id, cache_key=key, boards={})
                )
        except IntegrityError:
            return _state(session, ctx, model, spec, key)
    else:
        state = _state(session, ctx, model, spec, key)  # under the row lock: a job may have started since
        if state.measuring:
            return state
    state.job = jobs.start(session, ctx, ESTIMATES_JOB, {"model_id": model.id, "cache_key": key})
    return state


def measured_boards(session: Session, model_id: int, key: str) -> dict[str, Any]:
    row = repository.estimates_for(session, model_id, key)
    return dict(row.boards) if row is not None else {}


def store_board_estimate(
    session: Session, project_id: int, model_id: int, key: str, board_id: str, figures: dict[str, Any]
) -> None:
    """Put one board's figures in the table; a retried job overwrites its own entries, never adds rows."""
    row = repository.estimates_for(session, model_id, key, lock=True)
    if row is None:
        row = BoardEstimates(project_id=project_id, model_id=model_id, cache_key=key, boards={})
        session.add(row)
    row.boards = {**row.boards, board_id: figures}
    session.flush()


def cached_estimates(session: Session, ctx: ProjectContext, model: TrainedModel) -> dict[str, Any] | None:
    """The boards measured so far (None when none was); never builds anything."""
    try:
        spec, _ = inputs.impulse_spec(session, ctx, model)
    except InvalidInput:
        return None
    measured = measured_boards(session, model.id, estimates_key(spec))
    return {board_id: e for board_id, e in measured.items() if "error" not in e} or None


def estimate_summaries(session: Session, model_id: int) -> dict[str, str]:
    """One line per board ("RAM 1.5 KB, flash 7.0 KB, 1.07 ms per window") from the newest complete table
    of the model; empty until one was measured (the training page must not wait for emulators)."""
    row = next((r for r in repository.estimates_of_model(session, model_id) if _complete(r.boards)), None)
    if row is None:
        return {}
    lines = {}
    for board_id, e in row.boards.items():
        line = f"RAM {e['ram_bytes'] / 1024:.1f} KB, flash {e['flash_bytes'] / 1024:.1f} KB"
        if e.get("latency_ms") is not None:
            line += f", {e['latency_ms']:.2f} ms per window"
        lines[board_id] = line if e["fits"] else f"does not fit: {'; '.join(e['reasons'])}"
    return lines


# Deployments -----------------------------------------------------------------------------------------------


def get_or_raise(session: Session, ctx: ProjectContext, deployment_id: int) -> Deployment:
    deployment = repository.get_in_project(session, ctx.project.id, deployment_id)
    if deployment is None:
        raise NotFound(f"Deployment {deployment_id} not found.")
    return deployment


def list_(
    session: Session, ctx: ProjectContext, *, model_id: int | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Deployment], int]:
    rows = repository.list_in_project(session, ctx.project.id, model_id=model_id, limit=limit, offset=offset)
    return rows, repository.count_in_project(session, ctx.project.id, model_id=model_id)


def deployment_for_job(session: Session, ctx: ProjectContext, job_id: int) -> Deployment | None:
    deployment = repository.by_job(session, job_id)
    return deployment if deployment is not None and deployment.project_id == ctx.project.id else None


def signing_key(ctx: ProjectContext) -> bytes:
    return bytes.fromhex(ctx.project.deploy_key)


def _refuse_if_too_big(
    session: Session, ctx: ProjectContext, model: TrainedModel, spec: Any, board: Board
) -> None:
    """The plan bound (and the measured figures when the table was computed) against the board's memory."""
    try:
        estimation.check_fits(spec, board)
        measured = (cached_estimates(session, ctx, model) or {}).get(board.id)
        if measured is not None and not measured["fits"]:
            raise estimation.DoesNotFit(board.id, list(measured["reasons"]))
    except estimation.DoesNotFit as exc:
        raise InvalidInput(
            f"Model v{model.version} does not fit on {board.name} ({board.id}): "
            + "; ".join(exc.reasons)
            + ".",
            field="board_id",
            details={"field": "board_id", "reasons": exc.reasons},
        ) from None


def start_build(
    session: Session, ctx: ProjectContext, board_id: str, kind: str | None = None, model_id: int | None = None
) -> Deployment:
    """A deployment of the model (default: the newest ready one) for the board: the existing one when the
    same inputs were built (or are building) already, else a new row and its ``deploy-build`` job."""
    from backend.training import service as training

    board = board_or_raise(board_id)
    kind = kind_for(board, kind)
    model = training.ready_or_raise(session, ctx, model_id)
    spec, impulse = inputs.impulse_spec(session, ctx, model)
    _refuse_if_too_big(session, ctx, model, spec, board)
    rows = inputs.verification_rows(session, ctx, impulse)
    key = inputs.inputs_key(spec, board.id, kind, rows, manifest.public_key_hex(signing_key(ctx)))
    existing = repository.reusable(session, ctx.project.id, key)
    if existing is not None:
        audit.record(
            session, ctx.principal, "deploy.reuse", project_id=ctx.project.id, deployment_id=existing.id
        )
        return existing
    deployment = Deployment(
        project_id=ctx.project.id,
        model_id=model.id,
        model_version=model.version,
        impulse_id=spec.impulse_id,
        impulse_version=spec.impulse_version,
        board_id=board.id,
        kind=kind,
        status=DeploymentStatus.building,
        inputs_sha256=key,
        created_by_id=ctx.principal.user_id,
    )
    session.add(deployment)
    session.flush()
    job = jobs.start(session, ctx, BUILD_JOB, {"deployment_id": deployment.id})
    deployment.job_id = job.id
    session.flush()
    audit.record(
        session,
        ctx.principal,
        "deploy.build",
        project_id=ctx.project.id,
        deployment_id=deployment.id,
        board=board.id,
        kind=kind,
        model_id=model.id,
    )
    return deployment


def download(session: Session, ctx: ProjectContext, deployment_id: int) -> tuple[Path, str]:
    """(path of the stored zip, download filename) of a verified deployment; only those are offered."""
    deployment = get_or_raise(session, ctx, deployment_id)
    if deployment.status != DeploymentStatus.ready or not deployment.bundle_sha256:
        raise NotFound(f"Deployment {deployment_id} has no verified bundle ({deployment.status}).")
    audit.record(
        session, ctx.principal, "deploy.download", project_id=ctx.project.id, deployment_id=deployment.id
    )
    return get_blob_store().path(deployment.bundle_sha256), bundle_filename(ctx, deployment)


def bundle_filename(ctx: ProjectContext, deployment: Deployment) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in ctx.project.name.lower()).strip("-") or "project"
    return f"{slug}-v{deployment.model_version}-{deployment.board_id}-{deployment.kind}.zip"


def manifest_json(deployment: Deployment) -> str:
    return json.dumps(deployment.manifest or {}, indent=2, sort_keys=True)
