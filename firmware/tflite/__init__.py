"""Reading and validating .tflite flatbuffers without TensorFlow."""

from firmware.tflite.reader import Operator, Quantization, Tensor, TfliteModel, read_model
from firmware.tflite.validate import validate_model

__all__ = ["Operator", "Quantization", "Tensor", "TfliteModel", "read_model", "validate_model"]
