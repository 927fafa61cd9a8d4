"""Job handler: generate (and cache) an impulse's training and testing features, then the explorer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.core.db import session_scope
from backend.core.errors import DomainError
from backend.impulses import dataset, explorer, features
from backend.impulses.models import Impulse
from backend.impulses.service import GENERATE_FEATURES_JOB, check_ready
from backend.jobs.registry import job_handler
from backend.jobs.runner import JobContext, JobFailed
from backend.projects.permissions import Role
from backend.projects.service import ProjectContext


def _load(session: Session, ctx: JobContext) -> tuple[Impulse, ProjectContext]:
    from backend.core.principal import Principal
    from backend.projects.models import Project

    impulse = session.get(Impulse, int(ctx.params.get("impulse_id", 0)))
    project = session.get(Project, ctx.project_id)
    if impulse is None or project is None or impulse.project_id != ctx.project_id:
        raise JobFailed("The impulse of this job no longer exists.")
    # The job was authorized when it was queued; the worker acts for the project itself.
    return impulse, ProjectContext(project=project, role=Role.owner, principal=Principal())


def _summary(matrix: features.FeatureMatrix) -> dict[str, Any]:
    per_label: dict[str, int] = {}
    for label in matrix.labels:
        per_label[label] = per_label.get(label, 0) + 1
    return {
        "windows": len(matrix),
        "features": int(matrix.X.shape[1]),
        "samples": len(set(matrix.sample_ids.tolist())),
        "skipped_samples": matrix.skipped_samples,
        "per_label": per_label,
    }


@job_handler(GENERATE_FEATURES_JOB)
def generate_features(ctx: JobContext) -> dict[str, Any]:
    """params: {"impulse_id"}. Training features (0-70 %), testing (70-90 %), explorer (90-100 %)."""
    result: dict[str, Any] = {"impulse_id": int(ctx.params.get("impulse_id", 0))}
    try:
        with session_scope() as s:
            impulse, project_ctx = _load(s, ctx)
            check_ready(s, project_ctx, impulse, "training")
            has_testing = bool(dataset.samples(s, ctx.project_id, "testing"))
        ctx.progress(2, f"Generating training features for impulse v{impulse.version}")
        with session_scope() as s:
            impulse = s.get(Impulse, impulse.id)
            # Progress is written from this callback's own session, before this one writes anything,
            # so the two never wait on each other's locks.
            training = features.load_or_build(
                s, impulse, "training", progress=lambda f: ctx.progress(2 + 68 * f)
            )
            fingerprint = dataset.fingerprint(dataset.samples(s, ctx.project_id, "training"))
        result["training"] = _summary(training)
        ctx.progress(70, f"Training: {len(training)} windows x {training.X.shape[1]} features")
        if training.skipped_samples:
            ctx.log(f"{training.skipped_samples} training samples are shorter than one window: left out")
        if has_testing:
            with session_scope() as s:
                impulse = s.get(Impulse, impulse.id)
                testing = features.load_or_build(
                    s, impulse, "testing", progress=lambda f: ctx.progress(70 + 20 * f)
                )
            result["testing"] = _summary(testing)
            ctx.progress(90, f"Testing: {len(testing)} windows")
        else:
            ctx.progress(90, "No testing samples: skipped")
        ctx.check_cancelled()
        with session_scope() as s:
            impulse = s.get(Impulse, impulse.id)
            stored = explorer.store(s, impulse, training, fingerprint)
            result["explorer_points"] = len(stored.points)
        ctx.progress(100, f"Feature explorer: {result['explorer_points']} points")
    except DomainError as exc:
        raise JobFailed(exc.message) from exc
    return result
