"""The ``deploy-build`` job: build the bundle, verify it on the test samples, store it only when verified.

A retried job finds its deployment already ready and returns it; a verification failure marks the
deployment failed, keeps the log for the page, and stores no bundle.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

from backend.core.blobs import get_blob_store
from backend.core.db import session_scope
from backend.deploy import inputs, service
from backend.deploy.models import Deployment, DeploymentStatus
from backend.jobs.registry import job_handler
from backend.jobs.runner import JobCancelled, JobContext, JobFailed
from firmware.deploy.bundle import build_bundle
from firmware.deploy.estimate import DoesNotFit
from firmware.deploy.verification import VerificationFailed


def _set(deployment_id: int, **values: Any) -> None:
    with session_scope() as s:
        deployment = s.get(Deployment, deployment_id)
        if deployment is not None:
            for name, value in values.items():
                setattr(deployment, name, value)


def _summary(deployment: Deployment) -> dict[str, Any]:
    return {
        "deployment_id": deployment.id,
        "board_id": deployment.board_id,
        "kind": deployment.kind,
        "bundle_sha256": deployment.bundle_sha256,
        "size_bytes": deployment.size_bytes,
    }


@job_handler(service.BUILD_JOB)
def build(job: JobContext) -> dict[str, Any]:
    from backend.training import service as training

    deployment_id = int(job.params["deployment_id"])
    with session_scope() as s:
        ctx = training.worker_context(s, job.project_id)
        deployment = service.get_or_raise(s, ctx, deployment_id)
        if deployment.status == DeploymentStatus.ready:
            return _summary(deployment)
        model = training.get_or_raise(s, ctx, deployment.model_id)
        spec, impulse = inputs.impulse_spec(s, ctx, model)
        rows = inputs.verification_rows(s, ctx, impulse)
        job.progress(
            3, f"Classifying {len(rows)} test samples in the studio (the answers the bundle must give)"
        )
        samples = inputs.test_samples(impulse, spec, rows)
        board_id, kind, key = deployment.board_id, deployment.kind, service.signing_key(ctx)
    job.progress(8, f"Building the {kind} bundle of model v{spec.model_version} for {board_id}")
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        job.log(line)
        job.check_cancelled()

    with tempfile.TemporaryDirectory(prefix="mf-deploy-job-") as tmp:
        out = Path(tmp) / "bundle.zip"
        try:
            result = build_bundle(spec, board_id, kind, out, signing_key=key, test_samples=samples, log=log)
        except VerificationFailed as exc:
            _set(
                deployment_id, status=DeploymentStatus.failed, error=str(exc)[:4000], verification_log=exc.log
            )
            raise JobFailed(
                f"The bundle did not reproduce the studio's results, so it is not offered: {exc}"
            ) from exc
        except DoesNotFit as exc:
            _set(deployment_id, status=DeploymentStatus.failed, error=str(exc)[:4000])
            raise JobFailed(f"The impulse does not fit: {exc}") from exc
        except JobCancelled:
            _set(
                deployment_id,
                status=DeploymentStatus.failed,
                error="cancelled",
                verification_log="\n".join(lines),
            )
            raise
        except Exception as exc:
            # A toolchain or emulator breaking is a failed build too: the row must not stay "building".
            _set(
                deployment_id,
                status=DeploymentStatus.failed,
                error=str(exc)[:4000],
                verification_log="\n".join(lines),
            )
            raise
        with zipfile.ZipFile(out) as archive:
            verification_log = archive.read("verification.log").decode()
        sha = get_blob_store().put_file(out)
        size = out.stat().st_size
    with session_scope() as s:
        deployment = s.get(Deployment, deployment_id)
        assert deployment is not None
        deployment.status = DeploymentStatus.ready
        deployment.bundle_sha256 = sha
        deployment.size_bytes = size
        deployment.manifest = result.manifest
        deployment.estimate = result.sizes
        deployment.verification_log = verification_log
        deployment.error = None
        summary = _summary(deployment)
    job.progress(99, f"Verified bundle stored: {size / 1024:.1f} KB, sha256 {sha[:12]}…")
    return summary


def _estimate_line(board_name: str, figures: dict[str, Any]) -> str:
    line = f"{board_name}: RAM {figures['ram_bytes'] / 1024:.1f} KB, flash {figures['flash_bytes'] / 1024:.1f} KB"
    if figures.get("latency_ms") is not None:
        line += f", {figures['latency_ms']:.2f} ms per window"
    if not figures["fits"]:
        line += " (does not fit: " + "; ".join(figures["reasons"]) + ")"
    return line + (f"; {figures['error']}" if figures.get("error") else "")


@job_handler(service.ESTIMATES_JOB)
def measure_estimates(job: JobContext) -> dict[str, Any]:
    """Measure the model's impulse on every board, storing each board's figures as soon as it is measured
    (the page shows them as they arrive); a retry skips the boards already measured."""
    from backend.training import service as training

    model_id, key = int(job.params["model_id"]), str(job.params["cache_key"])
    with session_scope() as s:
        ctx = training.worker_context(s, job.project_id)
        model = training.get_or_raise(s, ctx, model_id)
        spec, _ = inputs.impulse_spec(s, ctx, model)
        if service.estimates_key(spec) != key:
            raise JobFailed(
                "The model's impulse or the board list changed since this measurement was asked for; "
                "the Deploy page measures the current one."
            )
        done = service.measured_boards(s, model_id, key)
    boards = service.boards()
    failed = []
    job.progress(2, f"Measuring model v{spec.model_version} on {len(boards)} boards")
    for i, board in enumerate(boards, start=1):
        figures = done.get(board.id)
        if figures is None or "error" in figures:
            figures = service.measure_board(spec, board)
            with session_scope() as s:
                service.store_board_estimate(s, job.project_id, model_id, key, board.id, figures)
        if "error" in figures:
            failed.append(board.id)
        job.progress(2 + 97 * i / len(boards), _estimate_line(board.name, figures))
    return {
        "model_id": model_id,
        "boards": len(boards),
        "measured": len(boards) - len(failed),
        "failed": failed,
    }
