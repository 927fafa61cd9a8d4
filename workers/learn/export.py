"""Export of trained models to .tflite (float32 and full-integer int8), and intake of a user's own model.

Path: Keras model → ExportArchive with a batch-1 signature → SavedModel → TFLiteConverter. The int8
model is fully integer (int8 input and output) as the firmware compiler and TFLM expect, calibrated
on a representative sample of the training features.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter, OpResolverType

# Calibration cost grows with samples while ranges settle after a few hundred.
MAX_REPRESENTATIVE_SAMPLES = 500
TFLITE_IDENTIFIER = b"TFL3"


class InvalidModel(ValueError):
    """An uploaded model file cannot be used; ``reason`` says why."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


@dataclass(frozen=True)
class ExportedModels:
    """A model in the three forms the studio stores: float32 .tflite, int8 .tflite, and .keras."""

    float32: bytes
    int8: bytes
    keras: bytes


@dataclass(frozen=True)
class TFLiteInfo:
    """What a .tflite model takes and gives; ``dtype`` is that of its input and output."""

    dtype: Literal["int8", "float32"]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_quantization: tuple[float, int]
    output_quantization: tuple[float, int]
    operators: tuple[str, ...]
    # All tensors' bytes (weights included) and their count: an upper bound for sizing an arena.
    tensor_bytes: int = 0
    tensor_count: int = 0


@dataclass(frozen=True)
class UserModel:
    """A user's uploaded model; ``int8`` is None for a float model given without calibration data."""

    source: Literal["tflite", "keras"]
    float32: bytes | None
    int8: bytes | None
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def _saved_model(model: keras.Model, directory: str) -> str:
    spec = tf.TensorSpec((1, *model.inputs[0].shape[1:]), tf.float32, name="features")
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", lambda x: model(x, training=False), input_signature=[spec])
    path = os.path.join(directory, "saved_model")
    archive.write_out(path, verbose=False)
    return path


def _representative(model: keras.Model, samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) == 0:
        raise ValueError("int8 export needs at least one representative sample")
    if len(samples) > MAX_REPRESENTATIVE_SAMPLES:
        # Evenly spaced rather than random: the same training set always calibrates the same way.
        picks = np.linspace(0, len(samples) - 1, MAX_REPRESENTATIVE_SAMPLES).round().astype(int)
        samples = samples[picks]
    return samples.reshape((len(samples), 1, *model.inputs[0].shape[1:]))


def _convert(model: keras.Model, representative: np.ndarray | None) -> tuple[bytes, bytes | None]:
    """Float32 .tflite, and int8 when calibration features are given."""
    calibration = None if representative is None else _representative(model, representative)
    with tempfile.TemporaryDirectory(prefix="moteforge-export-") as directory:
        saved = _saved_model(model, directory)
        float32 = bytes(tf.lite.TFLiteConverter.from_saved_model(saved).convert())
        if calibration is None:
            return float32, None
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([sample] for sample in calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        return float32, bytes(converter.convert())


def export_tflite(model: keras.Model, representative: np.ndarray) -> ExportedModels:
    """Convert ``model`` to float32 and int8 .tflite (batch 1) and serialize it as .keras.

    ``representative`` is a set of training feature vectors ``[N, F]`` used to calibrate the int8
    ranges; its values should cover what the device will see.
    """
    float32, int8 = _convert(model, representative)
    assert int8 is not None  # calibration data was given
    with tempfile.TemporaryDirectory(prefix="moteforge-export-") as directory:
        keras_path = os.path.join(directory, "model.keras")
        model.save(keras_path)
        keras_bytes = Path(keras_path).read_bytes()
    return ExportedModels(float32=float32, int8=int8, keras=keras_bytes)


def litert_interpreter(model_bytes: bytes) -> Interpreter:
    """A LiteRT interpreter with tensors allocated, on the reference kernels.

    Without the default delegates: XNNPACK would not compute what TFLM and the device compute.
    """
    interpreter = Interpreter(
        model_content=model_bytes,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    return interpreter


def inspect_tflite(model_bytes: bytes, filename: str = "model.tflite") -> TFLiteInfo:
    """Describe a .tflite model, or raise ``InvalidModel`` if it is not one Moteforge can run.

    Accepted: a valid flatbuffer with one input and one output, both float32 or both int8, batch 1.
    """
    if len(model_bytes) < 8 or model_bytes[4:8] != TFLITE_IDENTIFIER:
        raise InvalidModel(filename, "not a TensorFlow Lite model (missing the TFL3 identifier)")
    try:
        interpreter = litert_interpreter(model_bytes)
    except (ValueError, RuntimeError) as exc:
        raise InvalidModel(filename, f"the model cannot be loaded: {exc}") from exc
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
        raise InvalidModel(
            filename, f"needs exactly one input and one output, has {len(inputs)} and {len(outputs)}"
        )
    tin, tout = inputs[0], outputs[0]
    dtypes = {np.dtype(tin["dtype"]).name, np.dtype(tout["dtype"]).name}
    if dtypes not in ({"int8"}, {"float32"}):
        raise InvalidModel(
            filename,
            f"input and output must both be int8 or both float32, got {np.dtype(tin['dtype']).name} "
            f"and {np.dtype(tout['dtype']).name}",
        )
    input_shape = tuple(int(d) for d in tin["shape"])
    if not input_shape or input_shape[0] != 1:
        raise InvalidModel(filename, f"the input must have batch size 1, has shape {list(input_shape)}")
    # LiteRT lists operators only through this underscored method; it has no public equivalent.
    operators = tuple(sorted({op["op_name"] for op in interpreter._get_ops_details()}))
    tensors = interpreter.get_tensor_details()
    return TFLiteInfo(
        dtype="int8" if dtypes == {"int8"} else "float32",
        input_shape=input_shape,
        output_shape=tuple(int(d) for d in tout["shape"]),
        input_quantization=(float(tin["quantization"][0]), int(tin["quantization"][1])),
        output_quantization=(float(tout["quantization"][0]), int(tout["quantization"][1])),
        operators=operators,
        tensor_bytes=sum(int(np.prod(d["shape"])) * np.dtype(d["dtype"]).itemsize for d in tensors),
        tensor_count=len(tensors),
    )


def load_user_model(data: bytes, filename: str, representative: np.ndarray | None = None) -> UserModel:
    """Validate a user's .tflite or .keras upload and return it in the forms the studio evaluates.

    A .tflite file is kept as is, in the slot of its type. A .keras file is loaded in safe mode (no
    arbitrary code) and converted to float32, and to int8 when ``representative`` features are given.
    """
    suffix = Path(filename).suffix.lower()
    if suffix == ".tflite":
        info = inspect_tflite(data, filename)
        is_int8 = info.dtype == "int8"
        return UserModel(
            "tflite",
            None if is_int8 else bytes(data),
            bytes(data) if is_int8 else None,
            info.input_shape,
            info.output_shape,
        )
    if suffix != ".keras":
        raise InvalidModel(filename, "expected a .tflite or .keras file")
    with tempfile.TemporaryDirectory(prefix="moteforge-upload-") as directory:
        path = os.path.join(directory, "model.keras")
        Path(path).write_bytes(data)
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a broken archive; all mean the same here.
            raise InvalidModel(filename, f"the Keras model cannot be loaded: {exc}") from exc
    if not isinstance(model, keras.Model) or len(model.inputs) != 1 or len(model.outputs) != 1:
        raise InvalidModel(filename, "needs a model with exactly one input and one output")
    if any(d is None for d in model.inputs[0].shape[1:]):
        raise InvalidModel(
            filename, f"the input shape must be fixed apart from the batch, got {model.inputs[0].shape}"
        )
    try:
        float32, int8 = _convert(model, representative)
    except (ValueError, RuntimeError) as exc:
        raise InvalidModel(filename, f"the model cannot be converted to TensorFlow Lite: {exc}") from exc
    info = inspect_tflite(float32, filename)
    return UserModel("keras", float32, int8, info.input_shape, info.output_shape)
