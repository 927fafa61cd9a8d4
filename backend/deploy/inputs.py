"""What a bundle is made from, gathered from the studio's rows: the ``ImpulseSpec`` of a trained model and
the test recordings (with the studio's own int8 classification of each) that a build is verified on."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from backend.core.blobs import get_blob_store
from backend.core.errors import InvalidInput
from backend.projects.service import ProjectContext
from backend.training.models import TrainedModel
from firmware.deploy.spec import DspBlock, ImageInput, ImpulseSpec, InputBlock, InvalidSpec
from firmware.deploy.verification import TestSample

# Each sample is run by every verifier of a build (native, QEMU, qemu-user, wasmtime): a handful, one per
# class first, proves the chain while keeping a build within a minute or two.
MAX_VERIFY_SAMPLES = 6


def _learn_type(model: TrainedModel) -> str:
    """The spec's learn type: ``classifier``, ``regression``, or the anomaly block's own type
    (``anomaly-kmeans``, ``anomaly-gmm``: the C differs per kind)."""
    from workers.learn.blocks import LEARN_BLOCKS

    block = LEARN_BLOCKS.get(model.learn_block_type)
    if block is None or block.kind == "anomaly":
        return model.learn_block_type
    return block.kind


def _learned_parts(model: TrainedModel, learn_type: str) -> tuple[bytes, dict[str, Any] | None]:
    """(int8 .tflite, anomaly parameters) of the model; ``InvalidInput`` when the one it needs is missing."""
    if learn_type.startswith("anomaly"):
        if not model.anomaly:
            raise InvalidInput(
                f"Model v{model.version} has no fitted anomaly parameters: train it again.", field="model_id"
            )
        return b"", dict(model.anomaly)
    if not model.int8_sha:
        raise InvalidInput(
            f"Model v{model.version} has no int8 .tflite: only full-int8 models are deployed.",
            field="model_id",
        )
    data = get_blob_store().read_bytes(model.int8_sha)
    if learn_type == "regression":
        from workers.learn.export import inspect_tflite

        outputs = math.prod(int(d) for d in inspect_tflite(data).output_shape)
        if outputs != 1:
            raise InvalidInput(
                f"Model v{model.version} is a regression with {outputs} outputs: a bundle gives one value.",
                field="model_id",
            )
    return data, None


def _input_of(block: dict[str, Any]) -> InputBlock | ImageInput:
    """The spec's input from the impulse's input block: an image's size and colour, or the windowing."""
    if block.get("type") == "image":
        return ImageInput(
            width=int(block["width"]),
            height=int(block["height"]),
            color_depth=str(block["color_depth"]),
            resize_mode=str(block.get("resize_mode", "squash")),
        )
    return InputBlock(
        axes=tuple(block["axes"]),
        window_ms=float(block["window_ms"]),
        stride_ms=float(block["stride_ms"]),
        frequency_hz=float(block["frequency_hz"]),
        zero_pad=bool(block.get("zero_pad", True)),
    )


def impulse_spec(session: Session, ctx: ProjectContext, model: TrainedModel) -> tuple[ImpulseSpec, Any]:
    """The deployable description of ``model`` and the impulse row it was trained on.

    A classifier or regression deploys its int8 .tflite; an anomaly block (K-means, GMM) its fitted
    parameters. Raises ``InvalidInput`` when the model lacks what its block needs or the impulse cannot run
    in C."""
    from backend.training import service as training

    learn_type = _learn_type(model)
    model_bytes, anomaly = _learned_parts(model, learn_type)
    impulse = training.impulse_of(session, ctx, model)
    block = impulse.input_block
    wanted = training.model_inputs(impulse, model)
    dsp_rows = [b for b in impulse.dsp_blocks if wanted is None or b["id"] in wanted]
    try:
        spec = ImpulseSpec(
            project_id=ctx.project.id,
            project_name=ctx.project.name,
            impulse_id=impulse.id,
            impulse_version=impulse.version,
            model_id=model.id,
            model_version=model.version,
            input=_input_of(block),
            dsp=tuple(
                DspBlock(type=b["type"], params=dict(b["params"]), version=int(b["version"]), name=b["id"])
                for b in dsp_rows
            ),
            learn_type=learn_type,
            class_names=tuple(model.class_names) if learn_type == "classifier" else (),
            model=model_bytes,
            anomaly=anomaly,
            impulse_name=impulse.name,
        )
    except (InvalidSpec, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"Model v{model.version} cannot be deployed: {exc}", field="model_id") from exc
    return spec, impulse


def _has_anomaly_block(impulse: Any) -> bool:
    from workers.learn.blocks import LEARN_BLOCKS

    blocks = (LEARN_BLOCKS.get(b.get("type", "")) for b in impulse.learn_blocks or [])
    return any(b is not None and b.kind == "anomaly" for b in blocks)


def _fits_input(row: Any, input_block: dict[str, Any]) -> bool:
    """An image for an image impulse; a recording with the impulse's axes and at least one window."""
    from backend.impulses import dataset

    if input_block["type"] == "image":
        return bool(row.kind == "image")
    return (
        row.kind != "image"
        and dataset.window_count(row, input_block) > 0
        and not dataset.missing_axes(row, input_block["axes"])
    )


def verification_rows(session: Session, ctx: ProjectContext, impulse: Any) -> list[Any]:
    """The testing samples a build is checked on: up to ``MAX_VERIFY_SAMPLES``, one per category and label
    first, each long enough for one window; with an anomaly block, the anomaly category's recordings too, so
    that flagged windows are checked as well as normal ones. ``InvalidInput`` when there are none (nothing
    would prove the bundle)."""
    from backend.data import service as data

    categories = ("testing", "anomaly") if _has_anomaly_block(impulse) else ("testing",)
    rows = [
        r
        for category in categories
        for r in data.list_for_training(session, ctx.project.id, category)
        if _fits_input(r, impulse.input_block)
    ]
    if not rows:
        raise InvalidInput(
            "Add recordings to the testing category: every bundle is verified on test samples before it "
            "is offered.",
            field="model_id",
        )
    chosen, seen = [], set()
    for row in rows:
        if (row.category, row.label) not in seen:
            seen.add((row.category, row.label))
            chosen.append(row)
    chosen += [r for r in rows if r not in chosen]
    return sorted(chosen[:MAX_VERIFY_SAMPLES], key=lambda r: r.id)


def studio_result(spec: ImpulseSpec, X: Any) -> dict[str, Any]:
    """What ``moteforge classify`` reports for windows' features ``X``, by the same pipeline functions: the
    int8 classifier's scores, the int8 regression's values, or the anomaly scores against the threshold."""
    from backend.training import pipeline

    if spec.is_anomaly:
        assert spec.anomaly is not None
        threshold = float(spec.anomaly["threshold"])
        return pipeline.summarize_anomaly(pipeline.anomaly_scores(spec.anomaly, X), threshold)
    if spec.is_regression:
        return pipeline.summarize_values(pipeline.predict_values(spec.model, X))
    return pipeline.summarize_sample(pipeline.classify_windows(spec.model, X), spec.class_names)


def test_samples(impulse: Any, spec: ImpulseSpec, rows: Sequence[Any]) -> list[TestSample]:
    """Each row's values in the impulse's axis order and the studio's result for it (what
    ``moteforge classify`` reports), which the bundle's code must reproduce. An image becomes the RGB888
    frame a camera driver delivers at the impulse's size (resized here, in Python, as the studio would),
    and the studio's result is that of the frame: the bundle's C gets the very same pixels."""
    import numpy as np

    from backend.impulses import dataset
    from backend.impulses.features import window_features
    from firmware.deploy.image import camera_frame

    dsp_ids = [b.name for b in spec.dsp]
    samples = []
    for row in rows:
        values = dataset.values_for(row, impulse.input_block)
        if isinstance(spec.input, ImageInput):
            values = camera_frame(values, spec.input)
        X = np.asarray(window_features(impulse, values, row.interval_ms, dsp_ids=dsp_ids), dtype=np.float32)
        samples.append(
            TestSample(
                name=row.name, values=values, interval_ms=row.interval_ms, expected=studio_result(spec, X)
            )
        )
    return samples


def inputs_key(spec: ImpulseSpec, board_id: str, kind: str, rows: Sequence[Any], public_key: str) -> str:
    """sha256 naming everything a bundle's bytes depend on; equal keys give byte-identical zips."""
    from firmware.codegen.emit import moteforge_version

    document = {
        "moteforge": moteforge_version(),
        "spec": {**spec.to_json(), "model": spec.model_sha256},
        "board": board_id,
        "kind": kind,
        "samples": [[r.id, r.content_sha256] for r in rows],
        "key": public_key,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
