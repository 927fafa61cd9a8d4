"""Job handlers: train a model, test it on the testing data, classify one recording.

Each handler loads by id, calls a function of ``backend.training.pipeline`` and stores the result
keyed by its job id, so a retried job reuses what an earlier attempt wrote instead of adding rows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError

from backend.core.blobs import get_blob_store
from backend.core.db import session_scope
from backend.jobs.registry import job_handler
from backend.jobs.runner import JobCancelled, JobContext, JobFailed
from backend.training import pipeline, repository, service
from backend.training.models import ModelStatus, ModelTest, TrainedModel
from workers.learn.blocks import LEARN_BLOCKS

# Share of the progress bar for each stage of training.
FEATURES_PCT, TRAIN_START_PCT, TRAIN_END_PCT = 3.0, 8.0, 85.0
# Windows classified between two progress reports (and cancel checks) during testing.
TEST_CHUNK = 256
VERSION_ATTEMPTS = 5


def _row_labels(features: Any) -> list[str | None]:
    """Per-window label names of a feature matrix (None for a window of an unlabelled sample)."""
    return [str(label) if label else None for label in features.labels]


def _model_row(job: JobContext) -> TrainedModel:
    """The model row of this job, created on the first attempt (status training).

    Two jobs of one project starting together can pick the same next version; the loser of the
    unique constraint simply takes the following one.
    """
    for _ in range(VERSION_ATTEMPTS - 1):
        try:
            return _claim_model_row(job)
        except IntegrityError:
            continue
    return _claim_model_row(job)


def _claim_model_row(job: JobContext) -> TrainedModel:
    p = job.params
    with session_scope() as s:
        model = repository.by_job(s, job.job_id)
        if model is None:
            model = TrainedModel(
                project_id=job.project_id,
                impulse_id=p["impulse_id"],
                learn_block_id=p["learn_block_id"],
                learn_block_type=p["learn_block_type"],
                version=repository.next_version(s, job.project_id),
                source="trained",
                status=ModelStatus.training,
                settings=p["settings"],
                input_shape=p["input_shape"],
                job_id=job.job_id,
                created_by_id=job.created_by_id,
            )
            s.add(model)
        elif model.status != ModelStatus.ready:
            # A retry starts over: forget the curves of the attempt that died.
            model.status, model.history, model.error = ModelStatus.training, {}, None
        s.flush()
        s.expunge(model)
    return model


def _set(model_id: int, **values: Any) -> None:
    with session_scope() as s:
        model = s.get(TrainedModel, model_id)
        if model is not None:
            for key, value in values.items():
                setattr(model, key, value)


def _summary(model: TrainedModel) -> dict[str, Any]:
    out: dict[str, Any] = {"model_id": model.id, "version": model.version}
    metrics = model.metrics or {}
    if metrics.get("task") == "regression":
        out["task"] = "regression"
    for kind in ("float32", "int8"):
        if kind not in metrics:
            continue
        if metrics.get("task") == "regression":
            out.update({f"{kind}_{name}": metrics[kind][name] for name in ("mae", "rmse", "r2")})
        else:
            out[f"{kind}_accuracy"] = metrics[kind]["accuracy"]
    out["sizes"] = model.sizes
    return out


def _fmt_epoch(epoch: int, epochs: int, logs: dict[str, float]) -> str:
    parts = [f"Epoch {epoch + 1}/{epochs}:"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if key in logs:
            parts.append(f"{key.replace('_', ' ')} {logs[key]:.4f}")
    return " ".join(parts)


def _train_anomaly(job: JobContext, model: TrainedModel, X: np.ndarray, params: dict[str, Any]) -> dict:
    """Fit an anomaly block to every training window (all of them count as normal) and store it."""
    job.progress(FEATURES_PCT, f"Fitting {params['learn_block_type']} to {len(X)} windows of normal data")
    try:
        outcome = pipeline.fit_anomaly(X, params["learn_block_type"], params["settings"])
    except ValueError as exc:
        raise JobFailed(str(exc)) from exc
    with session_scope() as s:
        row = s.get(TrainedModel, model.id)
        assert row is not None
        row.class_names = list(pipeline.ANOMALY_CLASSES)
        row.anomaly = outcome.params
        row.metrics = outcome.metrics
        row.train_seconds = outcome.train_seconds
        row.status = ModelStatus.ready
    m = outcome.metrics
    job.progress(
        99,
        f"Model v{model.version} ready: threshold {m['threshold']:.3f} (the 99th percentile of the "
        f"training scores), median score {m['score_median']:.3f}",
    )
    return {"model_id": model.id, "version": model.version, "threshold": m["threshold"]}


@job_handler("train")
def train(job: JobContext) -> dict[str, Any]:
    from backend.impulses import features as features_of
    from backend.impulses import service as impulses
    from workers.learn.train import TrainingCancelled, TrainingDataError

    model = _model_row(job)
    if model.status == ModelStatus.ready:
        job.log(f"Model v{model.version} was already stored by an earlier attempt")
        return _summary(model)
    params = job.params
    settings, input_shape = params["settings"], tuple(params["input_shape"])
    job.progress(1, f"Training model v{model.version} ({params['learn_block_id']})")
    try:
        with session_scope() as s:
            ctx = service.worker_context(s, job.project_id)
            impulse = impulses.get_or_raise(s, ctx, params["impulse_id"])
            features = features_of.load_or_build(s, impulse, "training", dsp_ids=params.get("inputs") or None)
            class_names = list(features.class_names)
        X = np.asarray(features.X, dtype=np.float32)
        if LEARN_BLOCKS[params["learn_block_type"]].kind == "anomaly":
            return _train_anomaly(job, model, X, params)
        regression = LEARN_BLOCKS[params["learn_block_type"]].kind == "regression"
        if regression:
            # Regression targets are the labels read as numbers; unlabelled windows have none.
            labelled = np.array([bool(label) for label in features.labels], dtype=bool)
            try:
                y = pipeline.regression_targets([label for label in features.labels if label])
            except ValueError as exc:
                raise JobFailed(str(exc)) from exc
            X = X[labelled]
            class_names = []
        else:
            y = np.asarray(features.y, dtype=np.int64)
            labelled = y >= 0
            X, y = X[labelled], y[labelled]
        if X.ndim != 2 or X.shape[1] != math.prod(input_shape):
            raise JobFailed(
                f"The features have {X.shape[-1]} values per window but the learning block expects "
                f"{math.prod(input_shape)}; generate features again for this impulse."
            )
        _set(model.id, class_names=class_names)
        described = (
            f"targets from {float(y.min()):g} to {float(y.max()):g}"
            if regression and len(y)
            else f"classes: {', '.join(class_names)}"
        )
        job.progress(FEATURES_PCT, f"{len(X)} windows of {X.shape[1]} features, {described}")
        epochs = int(settings["epochs"])
        history: dict[str, list[float]] = {}

        def on_epoch(epoch: int, logs: dict[str, float]) -> None:
            for key, value in logs.items():
                history.setdefault(key, []).append(float(value))
            _set(model.id, history={k: list(v) for k, v in history.items()})
            pct = TRAIN_START_PCT + (TRAIN_END_PCT - TRAIN_START_PCT) * (epoch + 1) / epochs
            job.progress(pct, _fmt_epoch(epoch, epochs, logs))

        job.progress(TRAIN_START_PCT, f"Training for {epochs} epochs")
        on_stage = lambda line: job.progress(TRAIN_END_PCT + 5, line)  # noqa: E731
        if regression:
            outcome = pipeline.train_regression(
                X, y, settings, input_shape, on_epoch=on_epoch, should_stop=job.cancelled, on_stage=on_stage
            )
        else:
            outcome = pipeline.train_classifier(
                X,
                y,
                class_names,
                settings,
                input_shape,
                on_epoch=on_epoch,
                should_stop=job.cancelled,
                on_stage=on_stage,
            )
    except (TrainingCancelled, JobCancelled) as exc:
        _set(model.id, status=ModelStatus.cancelled)
        raise JobCancelled() from exc
    except TrainingDataError as exc:
        _set(model.id, status=ModelStatus.failed, error=str(exc))
        raise JobFailed(str(exc)) from exc
    except JobFailed as exc:
        _set(model.id, status=ModelStatus.failed, error=str(exc))
        raise
    except Exception as exc:
        _set(model.id, status=ModelStatus.failed, error=f"Internal error: {exc}"[:2000])
        raise

    store = get_blob_store()
    stored = {
        "float32_sha": store.put_bytes(outcome.float32),
        "int8_sha": store.put_bytes(outcome.int8),
        "keras_sha": store.put_bytes(outcome.keras),
    }
    sizes = {"float32": len(outcome.float32), "int8": len(outcome.int8), "keras": len(outcome.keras)}
    with session_scope() as s:
        row = s.get(TrainedModel, model.id)
        assert row is not None
        for key, value in stored.items():
            setattr(row, key, value)
        row.sizes = sizes
        row.metrics = outcome.metrics
        row.history = outcome.history
        row.input_quantization = outcome.input_quantization
        row.output_quantization = outcome.output_quantization
        row.train_seconds = outcome.train_seconds
        row.status = ModelStatus.ready
        s.flush()
        summary = _summary(row)
    if summary.get("task") == "regression":
        figures = ", ".join(
            f"{kind} MAE {summary[f'{kind}_mae']:.4g}"
            for kind in ("float32", "int8")
            if f"{kind}_mae" in summary
        )
        heading = "validation"
    else:
        figures = ", ".join(
            f"{kind} {summary[f'{kind}_accuracy']:.2%}"
            for kind in ("float32", "int8")
            if f"{kind}_accuracy" in summary
        )
        heading = "validation accuracy"
    job.progress(
        99,
        f"Model v{model.version} ready in {outcome.train_seconds:.1f} s of training"
        + (f"; {heading} {figures}" if figures else ""),
    )
    return summary


@job_handler("test-model")
def test_model(job: JobContext) -> dict[str, Any]:
    from backend.data import service as data
    from backend.impulses import features as features_of

    with session_scope() as s:
        existing = repository.test_by_job(s, job.job_id)
        if existing is not None:
            return {"test_id": existing.id, "accuracy": existing.accuracy}
        ctx = service.worker_context(s, job.project_id)
        model = service.get_or_raise(s, ctx, int(job.params["model_id"]))
        s.expunge(model)
        impulse = service.impulse_of(s, ctx, model)
        job.progress(2, f"Loading the testing features for model v{model.version}")
        features = features_of.load_or_build(
            s, impulse, "testing", dsp_ids=service.model_inputs(impulse, model)
        )
        names = {row.id: row.name for row in data.list_for_training(s, job.project_id, "testing")}
        if model.anomaly:
            anomalous = features_of.load_or_build(
                s, impulse, "anomaly", dsp_ids=service.model_inputs(impulse, model)
            )
            names.update({row.id: row.name for row in data.list_for_training(s, job.project_id, "anomaly")})
    X = np.asarray(features.X, dtype=np.float32)
    if len(X) == 0:
        raise JobFailed("There are no testing windows: add samples to the testing category.")
    if model.anomaly:
        X = np.concatenate([X, np.asarray(anomalous.X, dtype=np.float32).reshape(-1, X.shape[1])])
        expected = np.r_[np.zeros(len(features.X)), np.ones(len(anomalous.X))].astype(bool)
        ids = [int(i) for i in (*features.sample_ids, *anomalous.sample_ids)]
        job.progress(5, f"Scoring {len(X)} windows ({int(expected.sum())} from the anomaly category)")
        scores = pipeline.anomaly_scores(model.anomaly, X)
        metrics, rows = pipeline.anomaly_test_results(
            scores, expected, ids, float(model.anomaly["threshold"]), names
        )
        return _store_test(job, model, {**metrics, "dtype": model.learn_block_type}, rows)
    kind = "int8" if model.int8_sha else "float32"
    model_bytes = get_blob_store().read_bytes(model.int8_sha or model.float32_sha or "")
    if _is_regression(model):
        return _test_regression(job, model, model_bytes, kind, X, features, names)
    job.progress(5, f"Classifying {len(X)} windows with the {kind} model")
    scores = _run_in_chunks(job, model_bytes, X)
    metrics, rows = pipeline.test_results(
        scores, _row_labels(features), [int(i) for i in features.sample_ids], model.class_names, names
    )
    return _store_test(job, model, {**metrics, "dtype": kind}, rows)


def _run_in_chunks(job: JobContext, model_bytes: bytes, X: np.ndarray) -> np.ndarray:
    """The model's outputs ``[windows, outputs]``, reporting progress (and checking cancel) per chunk."""
    parts = []
    for start in range(0, len(X), TEST_CHUNK):
        parts.append(pipeline.classify_windows(model_bytes, X[start : start + TEST_CHUNK]))
        job.progress(5 + 90 * min(len(X), start + TEST_CHUNK) / len(X))
    return np.concatenate(parts)


def _test_regression(
    job: JobContext,
    model: TrainedModel,
    model_bytes: bytes,
    kind: str,
    X: np.ndarray,
    features: Any,
    names: dict[int, str],
) -> dict[str, Any]:
    """MAE, RMSE and R² of the model over the labelled testing windows, and each sample's mean value."""
    # Windows of unlabelled testing samples have no actual value to compare with.
    keep = [k for k, label in enumerate(features.labels) if label]
    if not keep:
        raise JobFailed("No testing sample has a numeric label: label each one with its value.")
    job.progress(5, f"Predicting {len(keep)} windows with the {kind} model")
    predicted = _run_in_chunks(job, model_bytes, X[keep])[:, 0]
    metrics, rows = pipeline.regression_test_results(
        predicted,
        [features.labels[k] for k in keep],
        [int(features.sample_ids[k]) for k in keep],
        names,
    )
    return _store_test(job, model, {**metrics, "dtype": kind}, rows)


def _is_regression(model: TrainedModel) -> bool:
    block = LEARN_BLOCKS.get(model.learn_block_type)
    return block is not None and block.kind == "regression"


def _store_test(job: JobContext, model: TrainedModel, metrics: dict, rows: list) -> dict[str, Any]:
    kind = metrics["dtype"]
    # A regression has no accuracy; the column keeps 0 and the metrics carry MAE, RMSE and R².
    accuracy = float(metrics.get("accuracy", 0.0))
    try:
        with session_scope() as s:
            test = ModelTest(
                project_id=job.project_id,
                model_id=model.id,
                job_id=job.job_id,
                accuracy=accuracy,
                metrics=metrics,
                rows=rows,
            )
            s.add(test)
            s.flush()
            test_id = test.id
    except IntegrityError:
        # Another delivery of this job stored the same results first: keep that row.
        with session_scope() as s:
            existing = repository.test_by_job(s, job.job_id)
            if existing is None:
                raise
            return {
                "test_id": existing.id,
                "model_id": model.id,
                "accuracy": existing.accuracy,
                "dtype": kind,
            }
    if metrics.get("task") == "regression":
        job.progress(
            99,
            f"Test set ({kind}): MAE {metrics['mae']:.4g}, RMSE {metrics['rmse']:.4g}, R² {metrics['r2']:.3f} "
            f"over {metrics['windows']} windows of {metrics['samples']} samples",
        )
        figures = {name: metrics[name] for name in ("mae", "rmse", "r2")}
        return {"test_id": test_id, "model_id": model.id, "task": "regression", "dtype": kind, **figures}
    job.progress(
        99,
        f"Test set accuracy ({kind}): {accuracy:.2%} over {metrics['windows']} windows, "
        f"{metrics['samples_correct']}/{metrics['samples']} samples right",
    )
    return {"test_id": test_id, "model_id": model.id, "accuracy": accuracy, "dtype": kind}


@job_handler("classify")
def classify(job: JobContext) -> dict[str, Any]:
    from backend.data import service as data
    from backend.impulses import dataset
    from backend.impulses import features as features_of

    params = job.params
    with session_scope() as s:
        ctx = service.worker_context(s, job.project_id)
        model = service.get_or_raise(s, ctx, int(params["model_id"]))
        s.expunge(model)
        impulse = service.impulse_of(s, ctx, model)
        if "sample_id" in params:
            sample = data.get_or_raise(s, ctx, int(params["sample_id"]))
            values = dataset.values_for(sample, impulse.input_block)
            interval_ms, source = sample.interval_ms, sample.name
        else:
            parsed = service.parse_upload_blob(ctx.project, params["blob"], params["filename"])
            values = service.upload_values(parsed, impulse.input_block)
            interval_ms, source = parsed.interval_ms, params["filename"]
        X = features_of.window_features(
            impulse, values, interval_ms, dsp_ids=service.model_inputs(impulse, model)
        )
        X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or len(X) == 0:
        raise JobFailed(f"{source} is shorter than one window of the impulse; nothing to classify.")
    if model.anomaly:
        kind = model.learn_block_type
        threshold = float(model.anomaly["threshold"])
        result = pipeline.summarize_anomaly(pipeline.anomaly_scores(model.anomaly, X), threshold)
    else:
        kind = "int8" if model.int8_sha else "float32"
        model_bytes = get_blob_store().read_bytes(model.int8_sha or model.float32_sha or "")
        if _is_regression(model):
            result = pipeline.summarize_values(pipeline.predict_values(model_bytes, X))
        else:
            result = pipeline.summarize_sample(pipeline.classify_windows(model_bytes, X), model.class_names)
    outcome = f"{result['value']:g}" if result.get("task") == "regression" else result["label"]
    job.progress(99, f"{source}: {outcome} ({len(X)} windows, {kind} model v{model.version})")
    return {
        "model_id": model.id,
        "version": model.version,
        "dtype": kind,
        "source": source,
        "sample_id": params.get("sample_id"),
        **result,
    }
