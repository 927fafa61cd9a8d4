"""Pages: the impulse designer (input → processing → learning → output), a processing block's preview,
feature generation with live progress, and the feature explorer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from backend.core.deps import CanRead, CanWrite, SessionDep
from backend.core.errors import DomainError, InvalidInput
from backend.core.htmx import redirect
from backend.core.templates import register_nav, render
from backend.impulses import design, forms, plots, service
from backend.impulses.models import Impulse
from backend.jobs import service as jobs
from backend.jobs.models import FINISHED, Job
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext
from workers.dsp import BLOCKS
from workers.learn.blocks import LEARN_BLOCKS
from workers.learn.plots import feature_explorer_figure

router = APIRouter(include_in_schema=False)
register_nav("impulse", "Impulse design", "/projects/{id}/impulse", order=20)


def _latest_job(session: Session, ctx: ProjectContext) -> Job | None:
    found, _ = jobs.list_(session, ctx, limit=1, type_=service.GENERATE_FEATURES_JOB)
    return found[0] if found else None


def _explorer_context(
    session: Session, ctx: ProjectContext, impulse: Impulse | None, job: Job | None
) -> dict:
    explorer = service.get_explorer(session, ctx, impulse) if impulse else None
    figure = None
    if explorer is not None and explorer.points:
        points = explorer.points
        figure = feature_explorer_figure(
            [[p["x"], p["y"]] for p in points],
            [p["label"] or "(no label)" for p in points],
            [p["sample_id"] for p in points],
            title=f"Training features of impulse v{impulse.version}",  # type: ignore[union-attr]
        )
    running = job is not None and job.status not in FINISHED
    return {
        "explorer": explorer,
        "explorer_figure": figure,
        "job": job,
        "job_running": running,
        "finished": not running,
        "logs": jobs.logs(session, job) if job is not None else [],
        "feature_sets": service.feature_sets(session, impulse) if impulse else [],
    }


def _designer_context(
    session: Session, ctx: ProjectContext, draft: forms.Draft | None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    catalogue = design.catalogue()
    sensors = service.project_sensors(session, ctx)
    if draft is not None:
        # Axes chosen in the design come first, in their order, then the other sensors in the data.
        chosen = draft.input_block.get("axes") or []
        sensors = list(chosen) + [s for s in sensors if s not in chosen]
    return {
        "draft": draft,
        "impulse": service.get_current(session, ctx),
        "labels": service.training_labels(session, ctx.project.id),
        "errors": errors or {},
        "sensors": sensors,
        "dsp_catalogue": {b["type"]: b for b in catalogue["processing"]},
        "learn_catalogue": {b["type"]: b for b in catalogue["learning"]},
        "learn_kinds": {k: b.kind for k, b in LEARN_BLOCKS.items()},
        "dsp_titles": {k: b.title for k, b in BLOCKS.items()},
        "input_types": design.INPUT_TYPES,
        "resize_modes": design.RESIZE_MODES,
        "color_depths": design.COLOR_DEPTHS,
    }


def _page_context(session: Session, ctx: ProjectContext) -> dict[str, Any]:
    impulse = service.get_current(session, ctx)
    no_data_reason = None
    if impulse is not None:
        draft: forms.Draft | None = forms.Draft.from_design(
            {
                "name": impulse.name,
                "input_block": impulse.input_block,
                "dsp_blocks": impulse.dsp_blocks,
                "learn_blocks": impulse.learn_blocks,
            }
        )
    else:
        try:
            draft = forms.Draft.from_design(service.suggest(session, ctx))
        except InvalidInput as exc:
            draft, no_data_reason = None, exc.message
    readiness: dict[str, int] | None = None
    not_ready = None
    if impulse is not None:
        try:
            readiness = service.check_ready(session, ctx, impulse, "training")
        except InvalidInput as exc:
            not_ready = exc.message
    job = _latest_job(session, ctx)
    versions, version_count = service.list_versions(session, ctx, limit=10)
    return {
        "ctx": ctx,
        "project": ctx.project,
        "active_nav": "impulse",
        "Action": Action,
        "impulse": impulse,
        "versions": versions,
        "version_count": version_count,
        "no_data_reason": no_data_reason,
        "readiness": readiness,
        "not_ready": not_ready,
        **_designer_context(session, ctx, draft),
        **_explorer_context(session, ctx, impulse, job),
    }


@router.get("/projects/{project_id}/impulse")
def impulse_page(request: Request, ctx: CanRead, session: SessionDep) -> Response:
    return render(request, "impulses/design.html", _page_context(session, ctx))


@router.post("/projects/{project_id}/impulse")
async def impulse_form(request: Request, ctx: CanWrite, session: SessionDep) -> Response:
    # Only reading the body needs the event loop; validation and the database run in a worker thread.
    form = await request.form()
    return await run_in_threadpool(_submit_design, request, ctx, session, form)


def _submit_design(request: Request, ctx: ProjectContext, session: Session, form: forms.FormLike) -> Response:
    """Save the submitted design, or apply the editing step it asks for and redraw the form."""
    draft = forms.parse(form)
    action = str(form.get("action") or "save")
    if action != "save":
        forms.apply_action(draft, form, action)
        context = {"ctx": ctx, "project": ctx.project, **_designer_context(session, ctx, draft, draft.errors)}
        return render(request, "impulses/_designer.html", context)
    errors = dict(draft.errors)
    if not errors:
        try:
            impulse = service.save(session, ctx, draft.as_design())
        except InvalidInput as exc:
            errors[exc.field or "_form"] = exc.message
        else:
            return redirect(request, f"/projects/{ctx.project.id}/impulse?saved={impulse.version}")
    context = {"ctx": ctx, "project": ctx.project, **_designer_context(session, ctx, draft, errors)}
    return render(request, "impulses/_designer.html", context, status_code=422)


@router.post("/projects/{project_id}/impulse/generate-features")
def generate_features(request: Request, ctx: CanWrite, session: SessionDep) -> Response:
    try:
        job = service.start_feature_generation(session, ctx)
    except DomainError as exc:
        return render(request, "impulses/_not_ready.html", {"message": exc.message}, status_code=422)
    impulse = service.get_current(session, ctx)
    context = {"ctx": ctx, "project": ctx.project, **_explorer_context(session, ctx, impulse, job)}
    return render(request, "impulses/_features.html", context)


@router.get("/projects/{project_id}/impulse/explorer")
def explorer_panel(request: Request, ctx: CanRead, session: SessionDep) -> Response:
    impulse = service.get_current(session, ctx)
    context = {
        "ctx": ctx,
        "project": ctx.project,
        **_explorer_context(session, ctx, impulse, _latest_job(session, ctx)),
    }
    return render(request, "impulses/_explorer.html", context)


@router.get("/projects/{project_id}/impulse/blocks/{dsp_id}")
def block_page(
    request: Request,
    dsp_id: str,
    ctx: CanRead,
    session: SessionDep,
    sample_id: int | None = None,
    window: int = 0,
) -> Response:
    error = None
    try:
        preview = service.preview_block(session, ctx, dsp_id, sample_id, window)
    except InvalidInput as exc:
        error = exc.message
        preview = service.preview_block(session, ctx, dsp_id, None, 0)
    figures: dict[str, Any] = {}
    if preview.window is not None and preview.features is not None:
        input_block = preview.impulse.input_block
        figures["window"] = plots.window_figure(
            preview.window, input_block.get("axes", []), input_block.get("frequency_hz")
        )
        figures["features"] = plots.features_figure(
            preview.features,
            preview.feature_shape,
            preview.feature_names,
            f"{BLOCKS[preview.block['type']].title}: {preview.features.size} features",
        )
    context = {
        "ctx": ctx,
        "project": ctx.project,
        "active_nav": "impulse",
        "preview": preview,
        "figures": figures,
        "error": error,
        "block_title": BLOCKS[preview.block["type"]].title,
        "parameters": {p.name: p for p in BLOCKS[preview.block["type"]].parameters},
    }
    return render(request, "impulses/block.html", context)
