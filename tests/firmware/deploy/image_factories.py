"""A small real image impulse for the deployment tests: sklearn's handwritten digits 0, 1 and 7 (8x8,
upscaled to 16x16 and tinted so that every colour channel differs), the image block, and a small int8 CNN
trained for a few epochs on the studio's features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from backend.training.pipeline import summarize_sample
from firmware.deploy.spec import DspBlock, ImageInput, ImpulseSpec
from firmware.deploy.verification import TestSample
from workers.dsp import generate_batch, get_block, validate_params
from workers.learn.evaluate import classify_tflite

DIGITS = (0, 1, 7)
CLASS_NAMES = ("zero", "one", "seven")
SIZE = 16


def digit_frames() -> tuple[np.ndarray, np.ndarray]:
    """RGB888 frames ``[N, 16, 16, 3]`` of the digits 0, 1 and 7 and their class indices: ink intensity
    upscaled 2x (nearest), red = ink, green = 0.6 ink plus a little noise, blue = 255 - ink."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = np.isin(digits.target, DIGITS)
    ink = np.round(digits.images[keep] * (255.0 / 16.0)).astype(np.float64)
    ink = np.kron(ink, np.ones((1, 2, 2)))
    rng = np.random.default_rng(0)
    green = np.clip(0.6 * ink + rng.integers(0, 20, ink.shape), 0, 255)
    frames = np.stack([ink, green, 255.0 - ink], axis=-1).astype(np.uint8)
    labels = np.array([DIGITS.index(int(t)) for t in digits.target[keep]])
    return frames, labels


def image_input(color_depth: str = "grayscale") -> ImageInput:
    return ImageInput(width=SIZE, height=SIZE, color_depth=color_depth)


def image_block(inp: ImageInput) -> DspBlock:
    params = validate_params(
        "image",
        {
            "width": inp.width,
            "height": inp.height,
            "color_depth": inp.color_depth,
            "resize_mode": inp.resize_mode,
        },
    )
    return DspBlock(type="image", params=params, version=get_block("image").version, name="image")


def studio_features(frames: np.ndarray, inp: ImageInput) -> np.ndarray:
    """The studio's image block on frames ``[N, H, W, 3]``: float32 ``[N, H * W * channels]`` in 0..1."""
    return generate_batch("image", frames, 1.0, image_block(inp).params)


def train_cnn(color_depth: str, seed: int = 0) -> bytes:
    """A small int8 CNN (conv, pool, conv, dense) trained for a few epochs on the digit frames."""
    import keras

    from workers.learn.export import export_tflite

    inp = image_input(color_depth)
    frames, labels = digit_frames()
    X = studio_features(frames, inp).reshape(len(frames), SIZE, SIZE, inp.channels)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((SIZE, SIZE, inp.channels), batch_size=1),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(len(DIGITS), activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(X, labels, epochs=4, batch_size=32, verbose=0)
    # Calibrated on the training features, as the studio exports its models.
    return export_tflite(model, X).int8


def cached_cnn(directory: Path, color_depth: str) -> bytes:
    path = directory / f"digits_{color_depth}.tflite"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(train_cnn(color_depth))
    return path.read_bytes()


def image_spec(model: bytes, color_depth: str = "grayscale", **changes: Any) -> ImpulseSpec:
    inp = image_input(color_depth)
    fields: dict[str, Any] = dict(
        project_id=9,
        project_name="Digits demo",
        impulse_id=5,
        impulse_version=1,
        model_id=21,
        model_version=2,
        input=inp,
        dsp=(image_block(inp),),
        learn_type="classifier",
        class_names=CLASS_NAMES,
        model=model,
        impulse_name="Digits",
    )
    fields.update(changes)
    return ImpulseSpec(**fields)


def studio_result(spec: ImpulseSpec, frame: np.ndarray) -> dict[str, Any]:
    """What the studio says about one frame: the image block, then the int8 model through TFLM."""
    assert isinstance(spec.input, ImageInput)
    scores = classify_tflite(spec.model, studio_features(frame[None], spec.input))
    return summarize_sample(scores, list(spec.class_names))


def image_samples(spec: ImpulseSpec, count: int = 4) -> list[TestSample]:
    """``count`` digit frames (one per class first) with the studio's int8 classification of each."""
    frames, labels = digit_frames()
    order = [int(np.flatnonzero(labels == k)[0]) for k in range(len(DIGITS))]
    order += [i for i in range(len(frames)) if i not in order]
    return [
        TestSample(f"digit-{n}", frames[i], 0.0, studio_result(spec, frames[i]))
        for n, i in enumerate(order[:count])
    ]


def image_spec_and_samples(
    directory: Path, color_depth: str = "grayscale", count: int = 4
) -> tuple[ImpulseSpec, list[TestSample]]:
    spec = image_spec(cached_cnn(directory, color_depth), color_depth)
    return spec, image_samples(spec, count)
