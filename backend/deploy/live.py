"""Live classification in the browser: the model's verified wasm bundle (built through the ordinary deploy
build, so the browser runs exactly the module that was checked against the studio), its two files served
to the page, and the testing samples and input shape the page classifies with it."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from backend.core.blobs import get_blob_store
from backend.core.errors import NotFound
from backend.deploy import service
from backend.deploy.models import Deployment, DeploymentStatus
from backend.projects.service import ProjectContext
from backend.training.models import TrainedModel

BOARD = KIND = "wasm"
# The files of a wasm bundle the page loads: the module and the loader shipped with it.
FILES = {"classify.wasm": "application/wasm", "classify.js": "text/javascript"}
MAX_SAMPLES = 200


@dataclass(frozen=True)
class LiveInput:
    """What the page needs to cut readings as the studio does: the impulse's axes and windowing."""

    axes: list[str]
    frequency_hz: float
    window_ms: float
    stride_ms: float


def bundle(session: Session, ctx: ProjectContext, model: TrainedModel) -> Deployment | None:
    """The model's newest wasm bundle that is verified, else the one still building (None if neither)."""
    rows = [
        d
        for d in service.list_(session, ctx, model_id=model.id, limit=200)[0]
        if d.board_id == BOARD and d.kind == KIND
    ]
    ready = [d for d in rows if d.status == DeploymentStatus.ready]
    building = [d for d in rows if d.status == DeploymentStatus.building]
    return (ready or building or [None])[0]


def prepare(session: Session, ctx: ProjectContext, model_id: int) -> Deployment:
    """The wasm bundle of the model: the verified one already built for the same inputs, else a build job."""
    return service.start_build(session, ctx, BOARD, KIND, model_id)


def loader_file(session: Session, ctx: ProjectContext, deployment_id: int, name: str) -> tuple[bytes, str]:
    """(bytes, media type) of ``classify.wasm`` or ``classify.js`` from a verified wasm bundle."""
    deployment = service.get_or_raise(session, ctx, deployment_id)
    if name not in FILES:
        raise NotFound(f"A wasm bundle serves {' and '.join(FILES)}, not {name!r}.")
    if deployment.kind != KIND or deployment.status != DeploymentStatus.ready or not deployment.bundle_sha256:
        raise NotFound(f"Deployment {deployment_id} is not a verified wasm bundle.")
    with zipfile.ZipFile(get_blob_store().path(deployment.bundle_sha256)) as archive:
        return archive.read(f"wasm/{name}"), FILES[name]


def live_input(session: Session, ctx: ProjectContext, model: TrainedModel) -> LiveInput:
    from backend.training import service as training

    block = training.impulse_of(session, ctx, model).input_block
    return LiveInput(
        axes=list(block.get("axes", [])),
        frequency_hz=float(block.get("frequency_hz", 0) or 0),
        window_ms=float(block.get("window_ms", 0) or 0),
        stride_ms=float(block.get("stride_ms", 0) or 0),
    )


def samples(session: Session, ctx: ProjectContext, model: TrainedModel) -> list[Any]:
    """Testing samples the model can classify (every axis present, at least one window), newest first."""
    from backend.data import service as data
    from backend.impulses import dataset
    from backend.training import service as training

    block = training.impulse_of(session, ctx, model).input_block
    if block.get("type") == "image":
        return []
    rows = [
        r
        for r in data.list_for_training(session, ctx.project.id, "testing")
        if dataset.window_count(r, block) > 0 and not dataset.missing_axes(r, block["axes"])
    ]
    return sorted(rows, key=lambda r: r.id, reverse=True)[:MAX_SAMPLES]
