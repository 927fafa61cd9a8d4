"""Training of the neural-network learning blocks (classifier and regression), seeded and cancellable.

The same data, settings and seed train the same weights: Keras' global seed is set, TensorFlow's
deterministic ops are enabled, and shuffling and augmentation draw from generators derived from the
seed and the epoch number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import keras
import numpy as np
import tensorflow as tf

from workers.learn.architecture import (
    ArchitectureError,
    ModelOutput,
    build_model,
    layer_shapes,
    preset_layers,
)
from workers.learn.augment import augment_batch, check_layout

# Samples per forward pass in TrainedModel.predict.
PREDICT_CHUNK = 1024

OnEpoch = Callable[[int, dict[str, float]], None]
ShouldStop = Callable[[], bool]


class TrainingCancelled(Exception):
    """``should_stop`` asked training to stop; no model is returned."""


class TrainingDataError(ValueError):
    """The data cannot train a model with these settings (too few samples, wrong shapes, non-finite
    values, layers that do not fit the features)."""


@dataclass(frozen=True)
class TrainSettings:
    """Settings of a neural-network training run; the block parameters map onto these fields.

    ``feature_shape`` is the layout of one flat feature vector (``[frames, channels]`` for a series,
    ``[height, width, channels]`` for an image); when unset it is ``[features / channels, channels]``
    for augmentation and the model sees a flat vector.
    """

    epochs: int = 30
    learning_rate: float = 0.005
    batch_size: int = 32
    validation_split: float = 0.2
    class_weights: Literal["none", "balanced"] = "none"
    augmentation: tuple[str, ...] = ()
    seed: int = 1
    architecture: str = "dense"
    layers: tuple[dict[str, Any], ...] | None = None
    channels: int = 1
    feature_shape: tuple[int, ...] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TrainSettings:
        """Settings from a learning block's validated parameter dict."""
        names = set(cls.__dataclass_fields__)
        values = {k: v for k, v in params.items() if k in names}
        if values.get("augmentation") is not None:
            values["augmentation"] = tuple(values["augmentation"])
        if values.get("layers") is not None:
            values["layers"] = tuple(values["layers"])
        return cls(**values)


@dataclass
class TrainedModel:
    """A trained network and what the studio shows about its training."""

    model: keras.Model
    settings: TrainSettings
    history: dict[str, list[float]]
    train_indices: np.ndarray
    validation_indices: np.ndarray
    train_seconds: float
    layers: list[dict[str, Any]] = field(default_factory=list)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Float model outputs for flat features ``[N, F]``."""
        x = np.asarray(X, dtype=np.float32).reshape((len(X), *self.model.inputs[0].shape[1:]))
        # Called directly rather than through predict(), which retraces for every new batch size;
        # in chunks so a large feature set does not become one huge activation tensor.
        chunks = [
            self.model(x[i : i + PREDICT_CHUNK], training=False) for i in range(0, len(x), PREDICT_CHUNK)
        ]
        if not chunks:
            return np.zeros((0, *self.model.outputs[0].shape[1:]), dtype=np.float32)
        return np.concatenate([np.asarray(c, dtype=np.float32) for c in chunks])


@dataclass
class TrainedClassifier(TrainedModel):
    """A trained classifier; ``validation_scores`` are the float model's outputs on the validation split."""

    class_names: list[str] = field(default_factory=list)
    validation_scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))


@dataclass
class TrainedRegressor(TrainedModel):
    """A trained regression model; ``validation_predictions`` are its outputs on the validation split."""

    validation_predictions: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split sample indices per class, ``fraction`` of each class (at least one) to validation.

    Deterministic for a given ``y``, ``fraction`` and ``seed``; both index arrays come back sorted.
    """
    if fraction <= 0:
        return np.arange(len(y)), np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    validation: list[np.ndarray] = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        take = max(1, round(len(members) * fraction))
        validation.append(rng.permutation(members)[:take])
    val = np.sort(np.concatenate(validation))
    return np.setdiff1d(np.arange(len(y)), val), val


def _check_features(X: np.ndarray, n_targets: int) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2:
        raise TrainingDataError(
            f"features must be a 2-D array [samples, features], got shape {list(X.shape)}"
        )
    if len(X) != n_targets:
        raise TrainingDataError(f"{len(X)} feature rows but {n_targets} labels")
    if not np.all(np.isfinite(X)):
        bad = int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])
        raise TrainingDataError(f"sample {bad} has a NaN or infinite feature")
    return X.astype(np.float32)


def _check_class_counts(y: np.ndarray, class_names: Sequence[str], fraction: float) -> None:
    """Refuse, before training, a class that cannot have two training samples and one validation sample."""
    need_val = 1 if fraction > 0 else 0
    for index, name in enumerate(class_names):
        count = int(np.sum(y == index))
        val = max(1, round(count * fraction)) if need_val else 0
        if count - val < 2:
            needed = 2 + need_val
            split = " (2 to train, 1 to validate)" if need_val else " to train"
            raise TrainingDataError(
                f"class '{name}' has {count} samples; at least {needed} are needed{split}"
            )


class _Batches(keras.utils.PyDataset):
    """Shuffled, optionally augmented and weighted batches; each epoch's order comes from (seed, epoch)."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray | None,
        settings: TrainSettings,
        layout: tuple[int, ...],
        model_shape: tuple[int, ...],
    ) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.X, self.y, self.weights = X, y, weights
        self.settings, self.layout, self.model_shape = settings, layout, model_shape
        self.feature_std = X.std(axis=0).astype(np.float32)
        self.epoch = 0
        self.order = self._order()

    def _order(self) -> np.ndarray:
        return np.random.default_rng([self.settings.seed, self.epoch]).permutation(len(self.X))

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.settings.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        size = self.settings.batch_size
        rows = self.order[index * size : (index + 1) * size]
        x = self.X[rows]
        if self.settings.augmentation:
            rng = np.random.default_rng([self.settings.seed, self.epoch, index])
            x = augment_batch(x, self.settings.augmentation, self.layout, self.feature_std, rng)
        x = x.reshape((len(rows), *self.model_shape))
        if self.weights is None:
            return x, self.y[rows]
        return x, self.y[rows], self.weights[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._order()


class _Progress(keras.callbacks.Callback):
    """Reports each epoch and polls ``should_stop`` after every batch."""

    def __init__(self, on_epoch: OnEpoch | None, should_stop: ShouldStop | None) -> None:
        super().__init__()
        self.on_epoch, self.should_stop = on_epoch, should_stop
        self.history: dict[str, list[float]] = {}

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.should_stop is not None and self.should_stop():
            raise TrainingCancelled("training was cancelled")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values = {k: float(v) for k, v in (logs or {}).items() if k != "learning_rate"}
        for key, value in values.items():
            self.history.setdefault(key, []).append(value)
        if self.on_epoch is not None:
            self.on_epoch(epoch, values)
        if self.should_stop is not None and self.should_stop():
            raise TrainingCancelled("training was cancelled")


def _layout(settings: TrainSettings, n_features: int) -> tuple[int, ...]:
    if settings.feature_shape is not None:
        if math.prod(settings.feature_shape) != n_features:
            raise TrainingDataError(
                f"feature_shape {list(settings.feature_shape)} does not hold {n_features} features"
            )
        return tuple(settings.feature_shape)
    if n_features % settings.channels:
        raise TrainingDataError(
            f"{n_features} features do not split into frames of {settings.channels} channels"
        )
    return (n_features // settings.channels, settings.channels)


def _layers(settings: TrainSettings, model_shape: tuple[int, ...]) -> list[dict[str, Any]]:
    if settings.architecture == "custom":
        if not settings.layers:
            raise TrainingDataError("architecture 'custom' needs a layer list")
        return [dict(layer) for layer in settings.layers]
    try:
        return preset_layers(settings.architecture, model_shape, settings.channels)
    except ArchitectureError as exc:
        raise TrainingDataError(str(exc)) from exc


def _fit(
    X: np.ndarray,
    y: np.ndarray,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    weights: np.ndarray | None,
    output: ModelOutput,
    loss: str,
    metric: str,
    settings: TrainSettings,
    on_epoch: OnEpoch | None,
    should_stop: ShouldStop | None,
) -> tuple[keras.Model, dict[str, list[float]], list[dict[str, Any]], float]:
    layout = _layout(settings, X.shape[1])
    try:
        check_layout(settings.augmentation, layout)
    except ValueError as exc:
        raise TrainingDataError(str(exc)) from exc
    model_shape = tuple(settings.feature_shape) if settings.feature_shape is not None else (X.shape[1],)
    layers = _layers(settings, model_shape)
    try:
        # Checked before seeding and building, so a misfit costs nothing and reads like a data error.
        layer_shapes(layers, model_shape)
    except ArchitectureError as exc:
        raise TrainingDataError(
            f"the layers do not fit features of shape {list(model_shape)}: {exc}"
        ) from exc
    if should_stop is not None and should_stop():
        raise TrainingCancelled("training was cancelled")

    started = time.perf_counter()
    keras.utils.set_random_seed(settings.seed)
    # Process-wide, and wanted everywhere in a training worker: reproducible runs over a few % speed.
    tf.config.experimental.enable_op_determinism()
    model = build_model(layers, model_shape, output)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=settings.learning_rate), loss=loss, metrics=[metric]
    )
    batches = _Batches(
        X[train_idx],
        y[train_idx],
        None if weights is None else weights[train_idx],
        settings,
        layout,
        model_shape,
    )
    validation = None
    if len(val_idx):
        validation = (X[val_idx].reshape((len(val_idx), *model_shape)), y[val_idx])
    progress = _Progress(on_epoch, should_stop)
    model.fit(batches, epochs=settings.epochs, validation_data=validation, callbacks=[progress], verbose=0)
    return model, progress.history, layers, time.perf_counter() - started


def train_classifier(
    X: np.ndarray,
    y: np.ndarray,
    class_names: Sequence[str],
    settings: TrainSettings,
    *,
    on_epoch: OnEpoch | None = None,
    should_stop: ShouldStop | None = None,
) -> TrainedClassifier:
    """Train a neural-network classifier on features ``X`` ``[N, F]`` and labels ``y`` (indices into class_names).

    ``on_epoch(epoch, logs)`` gets loss/accuracy (and val_ counterparts) after each epoch;
    ``should_stop()`` is polled after each batch and epoch and raises ``TrainingCancelled``.
    Data problems raise ``TrainingDataError`` before any training.
    """
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TrainingDataError(f"labels must be a 1-D integer array, got {y.dtype} shape {list(y.shape)}")
    X = _check_features(X, len(y))
    if len(class_names) < 2:
        raise TrainingDataError(f"a classifier needs at least 2 classes, got {len(class_names)}")
    if len(y) and (y.min() < 0 or y.max() >= len(class_names)):
        raise TrainingDataError(f"labels must be between 0 and {len(class_names) - 1}")
    _check_class_counts(y, class_names, settings.validation_split)
    train_idx, val_idx = stratified_split(y, settings.validation_split, settings.seed)

    weights = None
    if settings.class_weights == "balanced":
        counts = np.bincount(y[train_idx], minlength=len(class_names)).astype(np.float64)
        per_class = len(train_idx) / (len(class_names) * counts)
        weights = per_class[y].astype(np.float32)

    model, history, layers, seconds = _fit(
        X,
        y.astype(np.int32),
        train_idx,
        val_idx,
        weights,
        ModelOutput("classification", len(class_names)),
        "sparse_categorical_crossentropy",
        "accuracy",
        settings,
        on_epoch,
        should_stop,
    )
    trained = TrainedClassifier(
        model, settings, history, train_idx, val_idx, seconds, layers, class_names=list(class_names)
    )
    if len(val_idx):
        trained.validation_scores = trained.predict(X[val_idx])
    return trained


def train_regression(
    X: np.ndarray,
    y: np.ndarray,
    settings: TrainSettings,
    *,
    on_epoch: OnEpoch | None = None,
    should_stop: ShouldStop | None = None,
) -> TrainedRegressor:
    """Train a neural-network regression on features ``X`` ``[N, F]`` and targets ``y`` ``[N]`` or ``[N, T]``.

    Mean squared error is the loss, mean absolute error the metric; the validation split is random
    (seeded) rather than stratified. Callbacks as in ``train_classifier``.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim not in (1, 2):
        raise TrainingDataError(f"targets must be [samples] or [samples, outputs], got shape {list(y.shape)}")
    if not np.all(np.isfinite(y)):
        raise TrainingDataError("targets contain NaN or infinite values")
    X = _check_features(X, len(y))
    targets = y.reshape(len(y), -1)
    n_val = max(1, round(len(y) * settings.validation_split)) if settings.validation_split > 0 else 0
    if len(y) - n_val < 2:
        raise TrainingDataError(f"{len(y)} samples are too few; at least {2 + min(n_val, 1)} are needed")
    order = np.random.default_rng(settings.seed).permutation(len(y))
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])

    model, history, layers, seconds = _fit(
        X,
        targets,
        train_idx,
        val_idx,
        None,
        ModelOutput("regression", targets.shape[1]),
        "mean_squared_error",
        "mean_absolute_error",
        settings,
        on_epoch,
        should_stop,
    )
    trained = TrainedRegressor(model, settings, history, train_idx, val_idx, seconds, layers)
    if len(val_idx):
        trained.validation_predictions = trained.predict(X[val_idx])
    return trained
