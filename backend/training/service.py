"""Training business logic: validate settings and start jobs, model versions and artefacts, own-model upload.

Everything a user can get wrong (an impulse that is not ready, settings out of range, a layer stack
that does not fit the features, a model file that is not one) is refused here, before a job exists.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.core.blobs import get_blob_store
from backend.core.config import get_settings
from backend.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from backend.core.principal import Principal
from backend.jobs import service as jobs
from backend.jobs.models import Job
from backend.projects.models import Project
from backend.projects.permissions import Role
from backend.projects.service import ProjectContext
from backend.training import repository, settings
from backend.training.models import ModelSource, ModelStatus, ModelTest, TrainedModel

ARTEFACTS: dict[str, tuple[str, str, str]] = {
    # kind: (column, file suffix, media type)
    "float32": ("float32_sha", "-float32.tflite", "application/octet-stream"),
    "int8": ("int8_sha", "-int8.tflite", "application/octet-stream"),
    "keras": ("keras_sha", ".keras", "application/zip"),
}
# Models for microcontrollers are kilobytes to a few megabytes; anything far larger is a mistake.
MAX_MODEL_BYTES = 64 * 1024 * 1024


# Models -------------------------------------------------------------------------------------------------


def get_or_raise(session: Session, ctx: ProjectContext, model_id: int) -> TrainedModel:
    model = repository.get_in_project(session, ctx.project.id, model_id)
    if model is None:
        raise NotFound(f"Model {model_id} not found.")
    return model


def list_(
    session: Session, ctx: ProjectContext, *, limit: int = 100, offset: int = 0
) -> tuple[list[TrainedModel], int]:
    models = repository.list_in_project(session, ctx.project.id, limit=limit, offset=offset)
    return models, repository.count_in_project(session, ctx.project.id)


def latest_ready(session: Session, ctx: ProjectContext) -> TrainedModel | None:
    return repository.latest_ready(session, ctx.project.id)


def ready_or_raise(session: Session, ctx: ProjectContext, model_id: int | None) -> TrainedModel:
    """The model to test or classify with: the given one, or the newest ready one."""
    model = get_or_raise(session, ctx, model_id) if model_id else latest_ready(session, ctx)
    if model is None:
        raise InvalidInput("Train a model (or upload one) first.", field="model_id")
    if model.status != ModelStatus.ready:
        raise InvalidInput(f"Model v{model.version} is {model.status}, not ready.", field="model_id")
    if not (model.int8_sha or model.float32_sha or model.anomaly):
        raise InvalidInput(f"Model v{model.version} has nothing to run.", field="model_id")
    return model


def artefact(session: Session, ctx: ProjectContext, model_id: int, kind: str) -> tuple[Path, str, str]:
    """(path, download filename, media type) of one of a model's files."""
    if kind not in ARTEFACTS:
        raise NotFound(f"No artefact {kind!r}; known: {', '.join(ARTEFACTS)}.")
    model = get_or_raise(session, ctx, model_id)
    column, suffix, media = ARTEFACTS[kind]
    sha = getattr(model, column)
    if not sha:
        raise NotFound(f"Model v{model.version} has no {kind} file.")
    return get_blob_store().path(sha), f"moteforge-{ctx.project.id}-v{model.version}{suffix}", media


def model_for_job(session: Session, ctx: ProjectContext, job_id: int) -> TrainedModel | None:
    model = repository.by_job(session, job_id)
    return model if model is not None and model.project_id == ctx.project.id else None


def estimates(model: TrainedModel) -> dict[str, Any]:
    """RAM, flash and latency per board for a model, as the deploy domain measured them (DSP included).

    Empty until the Deployment page has measured this model; the results page shows its slot meanwhile.
    """
    from sqlalchemy.orm import object_session

    from backend.deploy import service as deploy

    session = object_session(model)
    return deploy.estimate_summaries(session, model.id) if session is not None else {}


def worker_context(session: Session, project_id: int) -> ProjectContext:
    """The context a job acts in: the project, with the rights the job was already checked for."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"Project {project_id} not found.")
    return ProjectContext(project=project, role=Role.owner, principal=Principal())


# Impulse and features -------------------------------------------------------------------------------------


def current_impulse(session: Session, ctx: ProjectContext) -> Any:
    from backend.impulses import service as impulses

    impulse = impulses.get_current(session, ctx)
    if impulse is None:
        raise InvalidInput("Design an impulse first (Impulse design tab).", field="impulse")
    return impulse


def learn_block_of(impulse: Any, block_id: str | None) -> dict[str, Any]:
    blocks = list(impulse.learn_blocks or [])
    if not blocks:
        raise InvalidInput("The impulse has no learning block.", field="learn_block")
    if block_id is None:
        return blocks[0]
    for block in blocks:
        if block["id"] == block_id:
            return block
    raise InvalidInput(f"The impulse has no learning block {block_id!r}.", field="learn_block")


def input_shape(impulse: Any, block: dict[str, Any]) -> tuple[int, ...]:
    """Shape of one feature vector the learning block sees, from the design alone (no features built)."""
    from backend.impulses.features import feature_shape

    shape = feature_shape(impulse, block.get("inputs") or None)
    return settings.model_input_shape(shape, math.prod(shape))


def resolve_settings(
    impulse: Any, block: dict[str, Any], overrides: dict[str, Any]
) -> settings.ResolvedSettings:
    return settings.resolve(block["type"], block.get("params") or {}, overrides, input_shape(impulse, block))


def impulse_of(session: Session, ctx: ProjectContext, model: TrainedModel) -> Any:
    from backend.impulses import service as impulses

    if model.impulse_id is None:
        raise InvalidInput(f"Model v{model.version} is not tied to an impulse.", field="model_id")
    return impulses.get_or_raise(session, ctx, model.impulse_id)


def model_inputs(impulse: Any, model: TrainedModel) -> list[str] | None:
    """The processing blocks whose features the model takes (None: all of them)."""
    for block in impulse.learn_blocks or []:
        if block["id"] == model.learn_block_id:
            return list(block.get("inputs") or []) or None
    return None


# Jobs ------------------------------------------------------------------------------------------------------


def start_training(
    session: Session, ctx: ProjectContext, overrides: dict[str, Any], learn_block_id: str | None = None
) -> Job:
    """Check the impulse and the settings, then queue a training job."""
    from backend.impulses import service as impulses

    impulse = current_impulse(session, ctx)
    block = learn_block_of(impulse, learn_block_id)
    resolved = resolve_settings(impulse, block, overrides)
    impulses.check_ready(session, ctx, impulse, "training")
    params = {
        "impulse_id": impulse.id,
        "learn_block_id": block["id"],
        "learn_block_type": block["type"],
        "inputs": list(block.get("inputs") or []),
        "settings": resolved.params,
        "input_shape": list(resolved.input_shape),
    }
    return jobs.start(session, ctx, "train", params)


def start_test(session: Session, ctx: ProjectContext, model_id: int | None = None) -> Job:
    """Queue model testing: the model (int8 when it has one) on the testing category."""
    from backend.impulses import service as impulses

    model = ready_or_raise(session, ctx, model_id)
    impulse = impulse_of(session, ctx, model)
    impulses.check_ready(session, ctx, impulse, "testing")
    return jobs.start(session, ctx, "test-model", {"model_id": model.id})


def start_classify_sample(
    session: Session, ctx: ProjectContext, sample_id: int, model_id: int | None = None
) -> Job:
    """Queue classification of a sample already in the dataset."""
    from backend.data import service as data

    model = ready_or_raise(session, ctx, model_id)
    sample = data.get_or_raise(session, ctx, sample_id)
    return jobs.start(session, ctx, "classify", {"model_id": model.id, "sample_id": sample.id})


def start_classify_upload(
    session: Session,
    ctx: ProjectContext,
    chunks: Iterable[bytes],
    filename: str,
    model_id: int | None = None,
) -> Job:
    """Store an uploaded recording, check that it parses as one sample, and queue its classification."""
    model = ready_or_raise(session, ctx, model_id)
    name = Path(filename or "").name
    if not name:
        raise InvalidInput("Give the file a name (its extension tells its format).", field="file")
    store = get_blob_store()
    sha, size = store.put_stream(chunks, max_bytes=get_settings().max_upload_bytes)
    if size == 0:
        raise InvalidInput(f"{name} is empty.", field="file")
    impulse = impulse_of(session, ctx, model)
    upload_values(parse_upload_blob(ctx.project, sha, name), impulse.input_block)
    return jobs.start(session, ctx, "classify", {"model_id": model.id, "blob": sha, "filename": name})


def parse_upload_blob(project: Project, sha: str, filename: str) -> Any:
    """The recording an uploaded file holds; the data domain refuses a broken or multi-sample file."""
    from backend.data import service as data

    # The parsers detect the format from the name too, so the blob is read under the client's name.
    with tempfile.TemporaryDirectory(prefix="moteforge-classify-") as directory:
        path = Path(directory) / filename
        get_blob_store().copy_to(sha, path)
        return data.parse_upload(path, filename, project.hmac_key.encode() if project.hmac_key else None)


def upload_values(parsed: Any, input_block: dict[str, Any]) -> Any:
    """An uploaded recording's values with the columns in the impulse's axis order."""
    if input_block.get("type") == "image":
        return parsed.values
    names = [sensor.name for sensor in parsed.sensors]
    axes = list(input_block.get("axes") or names)
    missing = [a for a in axes if a not in names]
    if missing:
        raise InvalidInput(
            f"{parsed.filename} has no {', '.join(missing)} axis (it has {', '.join(names) or 'none'}); "
            "the impulse needs " + ", ".join(axes) + ".",
            field="file",
        )
    return parsed.values[:, [names.index(a) for a in axes]]


def get_test_or_raise(session: Session, ctx: ProjectContext, test_id: int) -> ModelTest:
    test = repository.get_test(session, ctx.project.id, test_id)
    if test is None:
        raise NotFound(f"Model test {test_id} not found.")
    return test


def latest_test(session: Session, ctx: ProjectContext, model_id: int | None = None) -> ModelTest | None:
    return repository.latest_test(session, ctx.project.id, model_id)


# Bring your own model ---------------------------------------------------------------------------------------


def upload_model(session: Session, ctx: ProjectContext, data: bytes, filename: str) -> TrainedModel:
    """Add a user's .tflite or .keras classifier as a new model version, after checking it fits the impulse.

    The input must take exactly the learning block's features and the output give one score per
    class. A .keras file is converted to float32 and int8 (calibrated on the training features).
    """
    from backend.impulses import service as impulses
    from backend.impulses.features import load_or_build
    from workers.learn.export import InvalidModel, load_user_model

    name = Path(filename or "model").name
    if len(data) > MAX_MODEL_BYTES:
        raise PayloadTooLarge(f"{name} is larger than {MAX_MODEL_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise InvalidInput(f"{name} is empty.", field="file")
    impulse = current_impulse(session, ctx)
    block = learn_block_of(impulse, None)
    if settings.learn_block(block["type"]).kind != "classifier":
        raise InvalidInput(
            "An own model takes the place of a classification block; this impulse's learning block "
            f"is {block['type']}.",
            field="file",
        )
    shape = input_shape(impulse, block)
    class_names = list(impulse.labels or [])
    representative = None
    if name.lower().endswith(".keras"):
        impulses.check_ready(session, ctx, impulse, "training")
        inputs = block.get("inputs") or None
        representative = load_or_build(session, impulse, "training", dsp_ids=inputs).X
    try:
        user = load_user_model(data, name, representative)
    except InvalidModel as exc:
        raise InvalidInput(str(exc), field="file") from exc
    n_in, n_out = math.prod(user.input_shape[1:]), math.prod(user.output_shape[1:])
    if n_in != math.prod(shape):
        raise InvalidInput(
            f"{name} takes {n_in} values (shape {list(user.input_shape)}), but the impulse gives "
            f"{math.prod(shape)} features (shape {list(shape)}).",
            field="file",
        )
    if n_out != len(class_names):
        raise InvalidInput(
            f"{name} gives {n_out} outputs, but the impulse has {len(class_names)} classes "
            f"({', '.join(class_names)}).",
            field="file",
        )
    model = TrainedModel(
        project_id=ctx.project.id,
        impulse_id=impulse.id,
        learn_block_id=block["id"],
        learn_block_type=block["type"],
        version=repository.next_version(session, ctx.project.id),
        source=ModelSource.uploaded,
        status=ModelStatus.ready,
        settings={"filename": name},
        class_names=class_names,
        input_shape=list(user.input_shape[1:]),
        created_by_id=ctx.principal.user_id,
    )
    store = get_blob_store()
    sizes: dict[str, int] = {}
    if user.float32 is not None:
        model.float32_sha = store.put_bytes(user.float32)
        sizes["float32"] = len(user.float32)
    if user.int8 is not None:
        from workers.learn.export import inspect_tflite

        model.int8_sha = store.put_bytes(user.int8)
        sizes["int8"] = len(user.int8)
        info = inspect_tflite(user.int8)
        model.input_quantization = list(info.input_quantization)
        model.output_quantization = list(info.output_quantization)
    if user.source == "keras":
        model.keras_sha = store.put_bytes(data)
        sizes["keras"] = len(data)
    model.sizes = sizes
    session.add(model)
    session.flush()
    audit.record(
        session, ctx.principal, "model.upload", project_id=ctx.project.id, model_id=model.id, file=name
    )
    return model


def delete(session: Session, ctx: ProjectContext, model_id: int) -> None:
    model = get_or_raise(session, ctx, model_id)
    if model.status == ModelStatus.training:
        raise Conflict(f"Model v{model.version} is still training; cancel its job first.")
    session.delete(model)
    audit.record(session, ctx.principal, "model.delete", project_id=ctx.project.id, version=model.version)
    session.flush()
