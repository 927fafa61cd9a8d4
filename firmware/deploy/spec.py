"""What a deployment is built from: the impulse (windowing, processing blocks, learning block, classes and
the int8 model) plus the ids and versions that name it, as one JSON-able record built from the DB rows."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import workers.dsp as dsp
from firmware.dsp_codegen import C_BLOCKS

LEARN_TYPES = ("classifier", "regression", "anomaly-kmeans", "anomaly-gmm")
"""Learning blocks a bundle can run: an int8 classifier, an int8 one-output regression, or K-means /
Gaussian-mixture anomaly scores."""
VALUE_NAME = "value"
"""The one output of a regression, as the studio names it (``summarize_values``)."""


class InvalidSpec(ValueError):
    """The impulse cannot be deployed as described (unknown block, bad window, unsupported learn type)."""


@dataclass(frozen=True)
class InputBlock:
    """Time-series input: axes in the order the model sees them, and how windows are cut."""

    axes: tuple[str, ...]
    window_ms: float
    stride_ms: float
    frequency_hz: float
    zero_pad: bool = True
    resampling: str = "linear"  # samples at another rate are linearly interpolated, as the studio does


COLOR_DEPTHS = ("rgb", "grayscale")


@dataclass(frozen=True)
class ImageInput:
    """Image input: the device's camera driver delivers frames already cropped/resized to ``width`` x
    ``height`` as RGB888 (3 bytes a pixel, row-major); the bundle converts them to ``color_depth``.
    ``resize_mode`` says how the studio fitted its images to that size (the driver should do the same)."""

    width: int
    height: int
    color_depth: str = "rgb"
    resize_mode: str = "squash"
    type: str = "image"  # tells an image input from a time-series one in the JSON

    @property
    def channels(self) -> int:
        """Channels of the features the model sees (the frame itself is always RGB888)."""
        return 3 if self.color_depth == "rgb" else 1


@dataclass(frozen=True)
class DspBlock:
    """One processing block: its registry id (``type``), validated parameters and implementation version."""

    type: str
    params: dict[str, Any]
    version: int
    name: str = ""


@dataclass(frozen=True)
class ImpulseSpec:
    """Everything a bundle needs; ``model`` is the full-int8 .tflite taking the concatenated features."""

    project_id: int
    project_name: str
    impulse_id: int
    impulse_version: int
    model_id: int
    model_version: int
    input: InputBlock | ImageInput
    dsp: tuple[DspBlock, ...]
    learn_type: str
    class_names: tuple[str, ...]
    model: bytes = field(repr=False)
    anomaly: dict[str, Any] | None = None
    impulse_name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.input, ImageInput):
            self._check_image()
        else:
            self._check_timeseries()
        if self.learn_type not in LEARN_TYPES:
            raise InvalidSpec(
                f"learning block {self.learn_type!r} cannot be deployed yet; supported: {', '.join(LEARN_TYPES)}"
            )
        if self.learn_type == "classifier" and not self.class_names:
            raise InvalidSpec("a classifier needs its class names")
        if self.learn_type.startswith("anomaly") and not self.anomaly:
            raise InvalidSpec("an anomaly block needs its fitted parameters (anomaly)")

    def _check_image(self) -> None:
        inp = self.input
        assert isinstance(inp, ImageInput)
        for name, value in (("width", inp.width), ("height", inp.height)):
            if not (isinstance(value, int) and 1 <= value <= 1024):
                raise InvalidSpec(f"image {name} must be a whole number from 1 to 1024, got {value!r}")
        if inp.color_depth not in COLOR_DEPTHS:
            raise InvalidSpec(f"colour depth {inp.color_depth!r} is not one of {', '.join(COLOR_DEPTHS)}")
        if inp.type != "image":
            raise InvalidSpec(f"an image input's type is 'image', got {inp.type!r}")
        if not self.dsp:
            raise InvalidSpec("the impulse has no processing block")
        for block in self.dsp:
            if block.type not in C_BLOCKS or dsp.get_block(block.type).input_kind != "image":
                raise InvalidSpec(
                    f"processing block {block.type!r} cannot take an image; image blocks in C: "
                    + ", ".join(b for b in C_BLOCKS if dsp.get_block(b).input_kind == "image")
                )
            self._check_version(block)
            params = dsp.validate_params(block.type, block.params)
            for name in ("width", "height", "color_depth"):
                if params[name] != getattr(inp, name):
                    raise InvalidSpec(
                        f"processing block {block.name or block.type!r} has {name} {params[name]!r}, "
                        f"the image input {getattr(inp, name)!r}"
                    )
        if self.learn_type != "classifier":
            raise InvalidSpec(f"image impulses deploy with a classifier only, not {self.learn_type!r}")
        if not self.model:
            raise InvalidSpec("a classifier needs its int8 .tflite model")

    def _check_version(self, block: DspBlock) -> None:
        current = dsp.get_block(block.type).version
        if block.version != current:
            raise InvalidSpec(
                f"processing block {block.type!r} is version {block.version}, the C code implements "
                f"version {current}: regenerate the features and retrain first"
            )

    def _check_timeseries(self) -> None:
        assert isinstance(self.input, InputBlock)
        if not self.input.axes:
            raise InvalidSpec("the input block names no axes")
        for name, value in (("window_ms", self.input.window_ms), ("stride_ms", self.input.stride_ms)):
            if not (math.isfinite(value) and value > 0):
                raise InvalidSpec(f"{name} must be a positive number, got {value}")
        if not (math.isfinite(self.input.frequency_hz) and self.input.frequency_hz > 0):
            raise InvalidSpec(f"frequency_hz must be a positive number, got {self.input.frequency_hz}")
        if self.input.resampling != "linear":
            raise InvalidSpec(f"resampling {self.input.resampling!r} is not supported (only 'linear')")
        if not self.dsp:
            raise InvalidSpec("the impulse has no processing block")
        for block in self.dsp:
            if block.type not in C_BLOCKS or dsp.get_block(block.type).input_kind != "timeseries":
                raise InvalidSpec(
                    f"processing block {block.type!r} cannot be deployed; time-series blocks in C: "
                    + ", ".join(b for b in C_BLOCKS if dsp.get_block(b).input_kind == "timeseries")
                )
            self._check_version(block)
            dsp.validate_params(block.type, block.params)
        if self.learn_type in ("classifier", "regression") and not self.model:
            raise InvalidSpec(f"a {self.learn_type} needs its int8 .tflite model")

    @property
    def is_image(self) -> bool:
        return isinstance(self.input, ImageInput)

    @property
    def is_anomaly(self) -> bool:
        return self.learn_type.startswith("anomaly")

    @property
    def is_regression(self) -> bool:
        return self.learn_type == "regression"

    @property
    def model_sha256(self) -> str:
        """sha256 of the .tflite, or for an anomaly block (no .tflite) of its parameters as canonical JSON,
        so that caches and manifests tell two fitted anomaly blocks apart."""
        if self.is_anomaly and not self.model:
            text = json.dumps(self.anomaly, sort_keys=True, separators=(",", ":"), default=float)
            return hashlib.sha256(text.encode()).hexdigest()
        return hashlib.sha256(self.model).hexdigest()

    def dsp_config(self) -> str:
        """A stable text naming the windowing and processing (part of cache keys and the manifest)."""
        return json.dumps(
            {"input": asdict(self.input), "dsp": [asdict(b) for b in self.dsp]}, sort_keys=True, default=list
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["model"] = base64.b64encode(self.model).decode("ascii")
        if isinstance(self.input, InputBlock):
            data["input"]["axes"] = list(self.input.axes)
        data["dsp"] = [asdict(b) for b in self.dsp]
        data["class_names"] = list(self.class_names)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImpulseSpec:
        values = dict(data)
        if data["input"].get("type") == "image":
            values["input"] = ImageInput(**data["input"])
        else:
            values["input"] = InputBlock(**{**data["input"], "axes": tuple(data["input"]["axes"])})
        values["dsp"] = tuple(DspBlock(**b) for b in data["dsp"])
        values["class_names"] = tuple(data["class_names"])
        values["model"] = base64.b64decode(data["model"])
        return cls(**values)
