"""Random Keras models over the compiler's operator set, converted to full-int8 .tflite.

Each seed gives one reproducible model: random input kind (image, sequence, vector), random
layers (conv with strides/padding/dilation/activation, depthwise with multipliers, pools, dense,
add/mul/concat branches, zero padding, softmax/logistic/tanh) and a full-int8 conversion with a
representative dataset. Used by the parity tests and bench/fidelity.py.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class RandomModel:
    seed: int
    tflite: bytes
    input_shape: tuple[int, ...]
    description: str


def _activation(rng: random.Random, allow_tanh: bool = True) -> str | None:
    choices: list[str | None] = [None, None, "relu", "relu", "relu6"]
    if allow_tanh:
        choices += ["tanh", "sigmoid"]
    return rng.choice(choices)


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        import keras

        self.k = keras
        self.rng = rng
        self.notes: list[str] = []

    def act(self, x: object, name: str | None) -> object:
        layers = self.k.layers
        if name is None:
            return x
        if name == "relu6":
            return layers.ReLU(max_value=6.0)(x)
        return layers.Activation(name)(x)

    def conv2d(self, x: object, h: int, w: int) -> object:
        r, layers = self.rng, self.k.layers
        k = r.choice([1, 1, 2, 3, 3, 5])
        stride = r.choice([1, 1, 2])
        dilation = r.choice([1, 1, 2]) if stride == 1 else 1
        padding = r.choice(["same", "valid"])
        if padding == "valid" and (h < (k - 1) * dilation + 1 or w < (k - 1) * dilation + 1):
            padding = "same"
        filters = r.randint(1, 8)
        act = _activation(r, allow_tanh=False)
        self.notes.append(f"conv{k}x{k}/s{stride}/d{dilation}/{padding}/{filters}/{act}")
        y = layers.Conv2D(filters, k, strides=stride, padding=padding, dilation_rate=dilation)(x)
        return self.act(y, act)

    def depthwise(self, x: object, h: int, w: int) -> object:
        r, layers = self.rng, self.k.layers
        k = r.choice([1, 2, 3, 3, 5])
        stride = r.choice([1, 1, 2])
        dilation = r.choice([1, 1, 2]) if stride == 1 else 1
        padding = r.choice(["same", "valid"])
        if padding == "valid" and (h < (k - 1) * dilation + 1 or w < (k - 1) * dilation + 1):
            padding = "same"
        multiplier = r.choice([1, 1, 2, 3])
        act = _activation(r, allow_tanh=False)
        self.notes.append(f"dw{k}x{k}/s{stride}/d{dilation}/{padding}/m{multiplier}/{act}")
        y = layers.DepthwiseConv2D(
            k, strides=stride, padding=padding, dilation_rate=dilation, depth_multiplier=multiplier
        )(x)
        return self.act(y, act)

    def pool(self, x: object, h: int, w: int) -> object:
        r, layers = self.rng, self.k.layers
        size = r.choice([2, 2, 3])
        stride = r.choice([1, 2, 2])
        padding = r.choice(["same", "valid"])
        if padding == "valid" and (h < size or w < size):
            padding = "same"
        kind = r.choice(["max", "avg"])
        self.notes.append(f"{kind}pool{size}/s{stride}/{padding}")
        cls = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
        return cls(pool_size=size, strides=stride, padding=padding)(x)

    def branch(self, x: object, channels: int) -> object:
        r, layers = self.rng, self.k.layers
        kind = r.choice(["add", "mul", "concat"])
        a = layers.Conv2D(
            channels if kind != "concat" else r.randint(1, 6), r.choice([1, 3]), padding="same"
        )(x)
        b = layers.Conv2D(
            channels if kind != "concat" else r.randint(1, 6), r.choice([1, 3]), padding="same"
        )(x)
        self.notes.append(kind)
        if kind == "add":
            return self.act(layers.Add()([a, b]), r.choice([None, "relu"]))
        if kind == "mul":
            return layers.Multiply()([a, b])
        return layers.Concatenate(axis=-1)([a, b])


def build_keras_model(seed: int) -> tuple[object, tuple[int, ...], str]:
    """A random uncompiled Keras model with a fixed batch of 1, its input shape and a description."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = random.Random(seed)
    b = _Builder(rng)
    layers = keras.layers
    kind = rng.choice(["image", "image", "image", "sequence", "vector"])
    if kind == "image":
        shape: tuple[int, ...] = (rng.randint(4, 14), rng.randint(4, 14), rng.randint(1, 4))
        inp = keras.Input(shape, batch_size=1)
        x = inp
        for _ in range(rng.randint(1, 4)):
            _, h, w, c = x.shape
            step = rng.choice(["conv", "conv", "dw", "pool", "branch", "pad", "act"])
            if step == "conv":
                x = b.conv2d(x, h, w)
            elif step == "dw":
                x = b.depthwise(x, h, w)
            elif step == "pool" and h >= 2 and w >= 2:
                x = b.pool(x, h, w)
            elif step == "branch":
                x = b.branch(x, rng.randint(1, 6))
            elif step == "pad":
                b.notes.append("zeropad")
                x = layers.ZeroPadding2D(((rng.randint(0, 2), rng.randint(0, 2)), (rng.randint(0, 2), 1)))(x)
            else:
                name = rng.choice(["relu", "sigmoid", "tanh", "relu6"])
                b.notes.append(name)
                x = b.act(x, name)
        if rng.random() < 0.5:
            b.notes.append("gap")
            x = layers.GlobalAveragePooling2D()(x)
        else:
            b.notes.append("flatten")
            x = layers.Flatten()(x)
    elif kind == "sequence":
        shape = (rng.randint(8, 32), rng.randint(1, 6))
        inp = keras.Input(shape, batch_size=1)
        x = inp
        for _ in range(rng.randint(1, 3)):
            k = rng.choice([1, 3, 5])
            padding = rng.choice(["same", "valid"]) if x.shape[1] >= k else "same"
            stride = rng.choice([1, 2])
            b.notes.append(f"conv1d{k}/s{stride}/{padding}")
            x = layers.Conv1D(rng.randint(2, 8), k, strides=stride, padding=padding, activation="relu")(x)
            if rng.random() < 0.3 and x.shape[1] >= 2:
                b.notes.append("maxpool1d")
                x = layers.MaxPooling1D(2)(x)
        b.notes.append("gap1d")
        x = layers.GlobalAveragePooling1D()(x)
    else:
        shape = (rng.randint(4, 32),)
        inp = keras.Input(shape, batch_size=1)
        x = layers.Dense(rng.randint(4, 24), activation=rng.choice([None, "relu"]))(inp)
        if rng.random() < 0.5:
            op = rng.choice(["add", "mul", "concat"])
            b.notes.append(f"dense-{op}")
            a = layers.Dense(8)(x)
            c = layers.Dense(8 if op != "concat" else 5)(x)
            x = {"add": layers.Add(), "mul": layers.Multiply(), "concat": layers.Concatenate()}[op]([a, c])
    units = rng.randint(2, 10)
    head = rng.choice(["softmax", "softmax", "sigmoid", "tanh", None, "relu"])
    b.notes.append(f"dense{units}/{head}")
    x = layers.Dense(units)(x)
    if head is not None:
        x = layers.Activation(head)(x)
    return keras.Model(inp, x), shape, f"{kind}: " + ", ".join(b.notes)


def convert_int8(model: object, input_shape: tuple[int, ...], seed: int, samples: int = 48) -> bytes:
    """Full-integer conversion: int8 weights, activations, input and output."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)

    def representative() -> Iterator[list[np.ndarray]]:
        for _ in range(samples):
            yield [rng.standard_normal((1, *input_shape)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def random_model(seed: int, cache_dir: Path | None = None) -> RandomModel:
    """The random model for ``seed``, read from ``cache_dir`` when it was converted before."""
    if cache_dir is not None:
        path = cache_dir / f"random_{seed}.tflite"
        meta = cache_dir / f"random_{seed}.txt"
        if path.exists() and meta.exists():
            shape_text, description = meta.read_text().split("\n", 1)
            shape = tuple(int(v) for v in shape_text.split(","))
            return RandomModel(seed, path.read_bytes(), shape, description)
    model, shape, description = build_keras_model(seed)
    tflite = convert_int8(model, shape, seed)
    full_shape = (1, *shape)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        (cache_dir / f"random_{seed}.tflite").write_bytes(tflite)
        (cache_dir / f"random_{seed}.txt").write_text(",".join(map(str, full_shape)) + "\n" + description)
    return RandomModel(seed, tflite, full_shape, description)


def random_inputs(shape: tuple[int, ...], count: int, seed: int) -> list[np.ndarray]:
    """Uniform int8 inputs of ``shape`` (batch included) covering the full range."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, size=shape, dtype=np.int8) for _ in range(count)]
