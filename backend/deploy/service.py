"""Deployment business logic: boards, per-board estimates, starting verified bundle builds, downloads.

Everything that can be refused (unknown board or kind, a model that does not fit, nothing to verify on)
is refused here, before a job exists; an identical request reuses the bundle already built.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.blobs import get_blob_store
from backend.core.errors import InvalidInput, NotFound
from backend.deploy import inputs, repository
from backend.deploy.models import BoardEstimates, Deployment, DeploymentStatus
from backend.jobs import service as jobs
from backend.projects.service import ProjectContext
from backend.training.models import TrainedModel
from firmware.boards import BOARDS, BOARDS_FILE, Board, UnknownBoard, UnknownKind, check_kind, get_board
from firmware.deploy import estimate as estimation
from firmware.deploy import manifest

BUILD_JOB = "deploy-build"
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


def _estimates_key(spec: Any) -> str:
    board_file = hashlib.sha256(BOARDS_FILE.read_bytes()).hexdigest()
    text = f"{ESTIMATES_VERSION}\n{estimation.CACHE_VERSION}\n{spec.model_sha256}\n{spec.dsp_config()}\n{board_file}"
    return hashlib.sha256(text.encode()).hexdigest()


def _board_estimate(spec: Any, board: Board) -> dict[str, Any]:
    try:
        return estimation.estimate(spec, board).to_json()
    except Exception as exc:  # one board's toolchain failing must not hide the others
        # The plan bound still says whether it fits; the row says why nothing was measured.
        figures = estimation.plan_estimate(spec, board).to_json()
        return {**figures, "error": f"not measured: {str(exc).splitlines()[0][:300]}"}


def estimates_for_all_boards(session: Session, ctx: ProjectContext, model: TrainedModel) -> dict[str, Any]:
    """{board_id: {ram_bytes, flash_bytes, latency_ms, instructions, fits, reasons, measured_on[, error]}}
    for the model's impulse (DSP included) on every board; computed once per model and cached (a table
    where some board could not be measured is returned but not cached)."""
    spec, _ = inputs.impulse_spec(session, ctx, model)
    key = _estimates_key(spec)
    cached = repository.estimates_for(session, model.id, key)
    if cached is not None:
        return dict(cached.boards)
    table = {board.id: _board_estimate(spec, board) for board in boards()}
    if any("error" in row for row in table.values()):
        return table  # not kept: the next visit measures the boards that failed again
    try:
        # A savepoint: two pages computing the same table at once keep the first row, not an error.
        with session.begin_nested():
            session.add(
                BoardEstimates(project_id=ctx.project.id, model_id=model.id, cache_key=key, boards=table)
            )
    except IntegrityError:
        pass
    return table


def cached_estimates(session: Session, ctx: ProjectContext, model: TrainedModel) -> dict[str, Any] | None:
    """The cached table if it was computed already (None otherwise); never builds anything."""
    try:
        spec, _ = inputs.impulse_spec(session, ctx, model)
    except InvalidInput:
        return None
    cached = repository.estimates_for(session, model.id, _estimates_key(spec))
    return dict(cached.boards) if cached is not None else None


def estimate_summaries(session: Session, model_id: int) -> dict[str, str]:
    """One line per board ("RAM 1.5 KB, flash 7.0 KB, 1.07 ms per window") from the table the deploy page
    computed; empty when it was never computed (the training page must not wait for emulators)."""
    row = repository.latest_estimates(session, model_id)
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
