"""Learning-block declarations: the parameters that render the studio form and validate the API.

Light on purpose: importing this module must not import TensorFlow, so the web process can list the
blocks and validate a form without paying for it. The training functions are imported when called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from workers.dsp.parameters import InvalidParameter, validate_parameters
from workers.dsp.parameters import Parameter as ScalarParameter

__all__ = ["LEARN_BLOCKS", "InvalidParameter", "LearnBlock", "Parameter", "validate_parameters"]

ParameterType = Literal["int", "float", "bool", "select", "multiselect", "layers"]


@dataclass(frozen=True)
class Parameter(ScalarParameter):
    """A processing-block parameter plus two learning-block types.

    ``multiselect`` takes a list of ``options`` (augmentations); ``layers`` a JSON layer list checked by
    ``architecture.validate_layers``. Numbers, booleans and selects validate as in the processing blocks,
    and raise the same ``InvalidParameter``, so the studio handles both kinds of block alike.
    """

    type: ParameterType  # type: ignore[assignment]  # widens the processing blocks' types

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ``InvalidParameter``."""
        if self.type == "multiselect":
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise InvalidParameter(self.name, f"expected a list of choices, got {value!r}")
            for item in value:
                if item not in self.options:
                    raise InvalidParameter(self.name, f"{item!r} is not one of {_choices(self.options)}")
            # Keep the declaration's order so equal sets compare (and train) equally.
            return [o for o in self.options if o in value]
        if self.type == "layers":
            # Imported here: architecture.py is pure Python too, but keeps its own validation.
            from workers.learn.architecture import ArchitectureError, validate_layers

            if value is None:
                return None
            try:
                return validate_layers(value)
            except ArchitectureError as exc:
                raise InvalidParameter(self.name, str(exc)) from exc
        return super().validate(value)

    def to_json(self) -> dict[str, Any]:
        """The declaration as JSON for the form renderer."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "help": self.help,
        }
        if self.minimum is not None or self.maximum is not None:
            out["range"] = [self.minimum, self.maximum]
        if self.options:
            out["options"] = list(self.options)
        return out


def _choices(options: Sequence[Any]) -> str:
    return ", ".join(repr(o) for o in options)


@dataclass(frozen=True)
class LearnBlock:
    """A learning block: its declaration and the function that trains it.

    ``kind`` tells the caller which data ``fit`` takes: ``classifier`` ``fit(X, y, class_names,
    params, on_epoch=, should_stop=)``, ``regression`` ``fit(X, y, params, on_epoch=, should_stop=)``,
    ``anomaly`` ``fit(X, params)``. ``version`` changes whenever the same data and parameters would
    train a different model, so old projects can say which implementation produced theirs.
    """

    id: str
    title: str
    kind: Literal["classifier", "regression", "anomaly"]
    version: int
    parameters: tuple[Parameter, ...]
    fit: Callable[..., Any]
    check: Callable[[dict[str, Any]], None] | None = None

    @property
    def VERSION(self) -> int:  # noqa: N802 - the declaration name the studio reads
        return self.version

    @property
    def PARAMETERS(self) -> tuple[Parameter, ...]:  # noqa: N802 - the declaration name the studio reads
        return self.parameters

    def validate_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Return the full, converted parameter dict, or raise ``InvalidParameter`` naming the field."""
        params = validate_parameters(self.parameters, values)
        if self.check is not None:
            self.check(params)
        return params


AUGMENTATIONS = ("noise", "time_shift", "flip", "crop", "brightness")

_NN_COMMON = (
    Parameter("epochs", "int", 30, "Passes over the training set.", 1, 1000),
    Parameter("learning_rate", "float", 0.005, "Adam optimizer step size.", 1e-6, 1.0),
    Parameter("batch_size", "int", 32, "Samples per gradient step.", 1, 1024),
    Parameter(
        "validation_split",
        "float",
        0.2,
        "Fraction of the training data held out to validate after each epoch (0 for none).",
        0.0,
        0.5,
    ),
    Parameter(
        "seed", "int", 1, "Random seed: the same data, settings and seed train the same model.", 0, 2**31 - 1
    ),
    Parameter(
        "architecture",
        "select",
        "dense",
        "Layer preset; 'custom' uses the layer list below.",
        options=("dense", "conv1d", "conv2d", "custom"),
    ),
    Parameter(
        "layers",
        "layers",
        None,
        "Hidden layers as a JSON list (used when architecture is 'custom'); the output layer is added.",
    ),
    Parameter(
        "channels",
        "int",
        1,
        "Values per frame in the flat feature vector (axes for raw data, coefficients for MFCC); "
        "the conv presets reshape the features to [frames, channels].",
        1,
        4096,
    ),
    Parameter(
        "augmentation",
        "multiselect",
        [],
        "Training-time augmentation: noise and time_shift for time series and audio, flip, crop and "
        "brightness for images.",
        options=AUGMENTATIONS,
    ),
)


def _check_nn(params: dict[str, Any]) -> None:
    """Refuse combinations that single-parameter ranges cannot express."""
    if params["architecture"] == "custom" and not params["layers"]:
        raise InvalidParameter("layers", "a layer list is required when architecture is 'custom'")


def _fit_classifier(
    X: Any, y: Any, class_names: Sequence[str], params: Mapping[str, Any], **kwargs: Any
) -> Any:
    from workers.learn.train import TrainSettings, train_classifier

    return train_classifier(X, y, class_names, TrainSettings.from_params(params), **kwargs)


def _fit_regression(X: Any, y: Any, params: Mapping[str, Any], **kwargs: Any) -> Any:
    from workers.learn.train import TrainSettings, train_regression

    return train_regression(X, y, TrainSettings.from_params(params), **kwargs)


def _fit_kmeans(X: Any, params: Mapping[str, Any]) -> Any:
    from workers.learn.anomaly import fit_kmeans

    return fit_kmeans(X, params["n_clusters"], params["seed"])


def _fit_gmm(X: Any, params: Mapping[str, Any]) -> Any:
    from workers.learn.anomaly import fit_gmm

    return fit_gmm(X, params["n_components"], params["seed"], covariance=params["covariance"])


_SEED = Parameter("seed", "int", 1, "Random seed for the initial centres.", 0, 2**31 - 1)

LEARN_BLOCKS: dict[str, LearnBlock] = {
    block.id: block
    for block in (
        LearnBlock(
            "classifier",
            "Classification (neural network)",
            "classifier",
            1,
            (
                *_NN_COMMON,
                Parameter(
                    "class_weights",
                    "select",
                    "none",
                    "'balanced' weighs each class by the inverse of its share of the training set.",
                    options=("none", "balanced"),
                ),
            ),
            _fit_classifier,
            _check_nn,
        ),
        LearnBlock(
            "regression",
            "Regression (neural network)",
            "regression",
            1,
            _NN_COMMON,
            _fit_regression,
            _check_nn,
        ),
        LearnBlock(
            "anomaly-kmeans",
            "Anomaly detection (K-means)",
            "anomaly",
            1,
            (Parameter("n_clusters", "int", 8, "Number of clusters fitted to normal data.", 1, 256), _SEED),
            _fit_kmeans,
        ),
        LearnBlock(
            "anomaly-gmm",
            "Anomaly detection (Gaussian mixture)",
            "anomaly",
            1,
            (
                Parameter("n_components", "int", 4, "Number of Gaussian components.", 1, 64),
                Parameter(
                    "covariance",
                    "select",
                    "full",
                    "Covariance per component: 'full' or 'diag' (cheaper on the device).",
                    options=("full", "diag"),
                ),
                _SEED,
            ),
            _fit_gmm,
        ),
    )
}
