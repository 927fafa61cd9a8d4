"""Pages: training (settings, layer editor, live log and curves, results, versions, own-model upload) and
model testing (test set results, classification of one recording)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from backend.core.deps import CanRead, CanWrite, SessionDep
from backend.core.errors import DomainError, InvalidInput
from backend.core.htmx import redirect
from backend.core.templates import register_nav, render
from backend.jobs import service as jobs
from backend.jobs.models import FINISHED
from backend.projects.permissions import Action
from backend.projects.service import ProjectContext
from backend.training import forms, presenters, service
from backend.training.settings import layer_table, learn_block
from workers.learn.blocks import LEARN_BLOCKS

router = APIRouter(include_in_schema=False)
register_nav("train", "Train", "/projects/{id}/train", order=30)
register_nav("test", "Model testing", "/projects/{id}/testing", order=40)


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]


def _editor(impulse: Any, block: dict[str, Any], values: dict[str, Any], layers: list | None) -> dict:
    """The settings form's state: values, the layer table with shapes, and the first layer problem."""
    shape = service.input_shape(impulse, block)
    common = {"values": values, "input_shape": list(shape), "help": forms.parameter_help(block["type"])}
    if LEARN_BLOCKS[block["type"]].kind == "anomaly":
        return {**common, "block_kind": "anomaly", "parameters": forms.parameter_list(block["type"])}
    preset_problem = None
    if layers is None:
        try:
            layers = service.resolve_settings(impulse, block, values).layers
        except InvalidInput as exc:
            layers, preset_problem = [], exc.message
    rows, problem = layer_table(layers, shape)
    problem = preset_problem or problem
    return {
        **common,
        "block_kind": "network",
        "layer_rows": rows,
        "layer_problem": problem,
        "field_specs": forms.field_specs(),
        "layer_types": forms.layer_types(),
        "format_value": forms.format_value,
    }


def _train_context(
    session: Session, ctx: ProjectContext, model_id: int | None, errors: dict | None = None
) -> dict[str, Any]:
    from backend.impulses import service as impulses

    page: dict[str, Any] = {
        "ctx": ctx,
        "project": ctx.project,
        "active_nav": "train",
        "can_write": ctx.can(Action.write),
        "errors": errors or {},
        "impulse": None,
    }
    models, _ = service.list_(session, ctx, limit=50)
    page["models"] = models
    selected = None
    if model_id:
        selected = service.get_or_raise(session, ctx, model_id)
    elif models:
        selected = service.latest_ready(session, ctx) or models[0]
    page["model"] = selected
    if selected is not None:
        page["results"] = presenters.model_results(selected)
        page["estimates"] = service.estimates(selected)
    recent, _ = jobs.list_(session, ctx, limit=1, type_="train")
    page["live_job"] = recent[0] if recent and recent[0].status not in FINISHED else None
    impulse = impulses.get_current(session, ctx)
    if impulse is None or not impulse.learn_blocks:
        return page
    block = service.learn_block_of(impulse, None)
    page.update(impulse=impulse, block=block)
    try:
        learn_block(block["type"])
    except InvalidInput as exc:
        page["block_problem"] = exc.message
        return page
    # Shown as the next training would use them (channels follow the features' layout).
    try:
        values = service.resolve_settings(impulse, block, {}).params
    except InvalidInput:
        values = dict(block.get("params") or {})
    page.update(_editor(impulse, block, values, None))
    return page


@router.get("/projects/{project_id}/train")
def train_page(request: Request, ctx: CanRead, session: SessionDep, model: int | None = None) -> Response:
    return render(request, "training/train.html", _train_context(session, ctx, model))


@router.post("/projects/{project_id}/train/layers")
def layer_editor(request: Request, ctx: CanRead, session: SessionDep, form: FormDep) -> Response:
    """Re-render the layer editor after an edit: a preset fills the table, any edit makes it custom."""
    impulse = service.current_impulse(session, ctx)
    block = service.learn_block_of(impulse, None)
    op = str(form.get("op") or "edit")
    values: dict[str, Any] = {"architecture": str(form.get("architecture") or "custom")}
    errors: dict[str, str] = {}
    layers: list | None = None
    try:
        channels = forms.parse_settings(form).get("channels")
        if channels is not None:
            values["channels"] = channels
        if op != "preset" or values["architecture"] == "custom":
            layers = forms.apply_op(forms.parse_layers(form), op)
            values["architecture"] = "custom"
    except InvalidInput as exc:
        errors[exc.field or "layers"] = exc.message
        layers = forms.parse_layers_lenient(form)
        values["architecture"] = "custom"
    state = _editor(impulse, block, values, layers)
    return render(
        request, "training/_layers.html", {"ctx": ctx, "project": ctx.project, "errors": errors, **state}
    )


@router.post("/projects/{project_id}/train")
def start_training(request: Request, ctx: CanWrite, session: SessionDep, form: FormDep) -> Response:
    impulse = service.current_impulse(session, ctx)
    block = service.learn_block_of(impulse, None)
    try:
        service.start_training(session, ctx, forms.parse_settings(form, block["type"]))
    except InvalidInput as exc:
        values = {k: v for k, v in form.items() if not k.startswith("layer-")}
        values["augmentation"] = form.getlist("augmentation")
        state = _editor(impulse, block, values, forms.parse_layers_lenient(form))
        context = {"ctx": ctx, "project": ctx.project, "errors": {exc.field or "form": exc.message}}
        return render(request, "training/_settings.html", {**context, **state, "block": block}, 422)
    # The page finds the running job itself and follows it in its live panel.
    return redirect(request, f"/projects/{ctx.project.id}/train")


@router.get("/projects/{project_id}/train/live/{job_id}")
def training_live(request: Request, job_id: int, ctx: CanRead, session: SessionDep) -> Response:
    job = jobs.get_or_raise(session, ctx, job_id)
    model = service.model_for_job(session, ctx, job.id)
    finished = job.status in FINISHED
    response = render(
        request,
        "training/_live.html",
        {
            "ctx": ctx,
            "project": ctx.project,
            "job": job,
            "logs": jobs.logs(session, job),
            "finished": finished,
            "curves": presenters.curves(model) if model else None,
            "model": model,
            "can_write": ctx.can(Action.write),
        },
    )
    if finished and request.headers.get("hx-request") == "true" and job.status == "succeeded":
        # The results sit on the page around the live panel: reload it once the model is stored.
        response.headers["HX-Redirect"] = (
            f"/projects/{ctx.project.id}/train?model={model.id if model else ''}"
        )
    return response


@router.post("/projects/{project_id}/train/live/{job_id}/cancel")
def cancel_training(request: Request, job_id: int, ctx: CanWrite, session: SessionDep) -> Response:
    jobs.cancel(session, ctx, job_id)
    return training_live(request, job_id, ctx, session)


@router.post("/projects/{project_id}/train/upload")
def upload_model(
    request: Request, ctx: CanWrite, session: SessionDep, file: UploadFile = File(...)
) -> Response:
    try:
        data = file.file.read(service.MAX_MODEL_BYTES + 1)
        model = service.upload_model(session, ctx, data, file.filename or "")
    except DomainError as exc:
        return render(request, "_error_inline.html", {"message": exc.message}, 422)
    return redirect(request, f"/projects/{ctx.project.id}/train?model={model.id}")


# Model testing ------------------------------------------------------------------------------------------


def _test_context(session: Session, ctx: ProjectContext, model_id: int | None) -> dict[str, Any]:
    models = [m for m in service.list_(session, ctx, limit=100)[0] if m.status == "ready"]
    model = service.get_or_raise(session, ctx, model_id) if model_id else (models[0] if models else None)
    test = service.latest_test(session, ctx, model.id) if model else None
    recent, _ = jobs.list_(session, ctx, limit=1, type_="test-model")
    return {
        "ctx": ctx,
        "project": ctx.project,
        "active_nav": "test",
        "can_write": ctx.can(Action.write),
        "models": models,
        "model": model,
        "test": test,
        "results": presenters.test_results(test) if test else None,
        "live_job": recent[0] if recent and recent[0].status not in FINISHED else None,
        "errors": {},
    }


@router.get("/projects/{project_id}/testing")
def testing_page(request: Request, ctx: CanRead, session: SessionDep, model: int | None = None) -> Response:
    return render(request, "training/testing.html", _test_context(session, ctx, model))


@router.post("/projects/{project_id}/testing")
def start_test(
    request: Request, ctx: CanWrite, session: SessionDep, model_id: int | None = Form(None)
) -> Response:
    try:
        job = service.start_test(session, ctx, model_id)
    except DomainError as exc:
        return render(request, "_error_inline.html", {"message": exc.message}, 422)
    return testing_live(request, job.id, ctx, session)


@router.get("/projects/{project_id}/testing/live/{job_id}")
def testing_live(request: Request, job_id: int, ctx: CanRead, session: SessionDep) -> Response:
    job = jobs.get_or_raise(session, ctx, job_id)
    finished = job.status in FINISHED
    response = render(
        request,
        "training/_test_live.html",
        {
            "ctx": ctx,
            "project": ctx.project,
            "job": job,
            "logs": jobs.logs(session, job),
            "finished": finished,
        },
    )
    if finished and job.status == "succeeded" and request.headers.get("hx-request") == "true":
        model_id = (job.result or {}).get("model_id", "")
        response.headers["HX-Redirect"] = f"/projects/{ctx.project.id}/testing?model={model_id}"
    return response


@router.post("/projects/{project_id}/testing/classify")
def classify(
    request: Request,
    ctx: CanWrite,
    session: SessionDep,
    file: UploadFile | None = File(None),
    sample_id: str = Form(""),
    model_id: int | None = Form(None),
) -> Response:
    try:
        if file is not None and file.filename:
            chunks = iter(lambda: file.file.read(1024 * 1024), b"")
            job = service.start_classify_upload(session, ctx, chunks, file.filename, model_id)
        elif sample_id.strip():
            if not sample_id.strip().isdigit():
                raise InvalidInput("Enter a sample id (a number).", field="sample_id")
            job = service.start_classify_sample(session, ctx, int(sample_id), model_id)
        else:
            raise InvalidInput("Choose a file or enter a sample id.", field="file")
    except DomainError as exc:
        return render(request, "_error_inline.html", {"message": exc.message}, 422)
    return classify_result(request, job.id, ctx, session)


@router.get("/projects/{project_id}/testing/classify/{job_id}")
def classify_result(request: Request, job_id: int, ctx: CanRead, session: SessionDep) -> Response:
    job = jobs.get_or_raise(session, ctx, job_id)
    return render(
        request,
        "training/_classified.html",
        {
            "ctx": ctx,
            "project": ctx.project,
            "job": job,
            "finished": job.status in FINISHED,
            "result": job.result if job.status == "succeeded" else None,
        },
    )
