"""Prepare-time quantization math: the fixed-point multipliers, shifts and ranges the kernels consume.

These reproduce TFLite Micro's Prepare functions exactly (including where they compute in float32
versus double), because a one-ulp difference in a multiplier changes outputs.
"""

from __future__ import annotations

import math

import numpy as np

from firmware.tflite.schema import Activation

INT8_MIN, INT8_MAX = -128, 127


def round_half_away(x: float) -> int:
    """std::round: nearest integer, ties away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """Split ``real`` into a Q0.31 multiplier in [2^30, 2^31) and a power-of-two shift."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return (1 << 31) - 1, 30
    return q_fixed, shift


def frexp_multiplier(real: float) -> tuple[int, int]:
    """The multiplier/shift pair logistic and tanh use: frexp without QuantizeMultiplier's fix-ups."""
    q, shift = math.frexp(real)
    return round_half_away(q * (1 << 31)), shift


def input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """Largest |input - zero point| that does not saturate a fixed-point function's input."""
    max_rescaled = (
        1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits)) / (2.0**left_shift)
    )
    return int(math.floor(max_rescaled))


def quantize_float32(value: float, scale: float, zero_point: int) -> int:
    """zero_point + round(value / scale), with the division done in float32 as TFLite does."""
    return zero_point + round_half_away(float(np.float32(value) / np.float32(scale)))


def activation_range(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """Clamp bounds for a fused activation on an int8 output."""
    if activation == Activation.RELU:
        return max(INT8_MIN, quantize_float32(0.0, scale, zero_point)), INT8_MAX
    if activation == Activation.RELU6:
        return (
            max(INT8_MIN, quantize_float32(0.0, scale, zero_point)),
            min(INT8_MAX, quantize_float32(6.0, scale, zero_point)),
        )
    if activation == Activation.RELU_N1_TO_1:
        return (
            max(INT8_MIN, quantize_float32(-1.0, scale, zero_point)),
            min(INT8_MAX, quantize_float32(1.0, scale, zero_point)),
        )
    return INT8_MIN, INT8_MAX


def per_channel_multipliers(
    input_scale: float, filter_scales: tuple[float, ...], output_scale: float
) -> tuple[list[int], list[int]]:
    """Conv / depthwise / fully-connected requantization, one pair per filter scale (double math)."""
    mults, shifts = [], []
    for fs in filter_scales:
        m, s = quantize_multiplier(float(input_scale) * float(fs) / float(output_scale))
        mults.append(m)
        shifts.append(s)
    return mults, shifts


def mean_multiplier(real: float, count: int) -> tuple[int, int]:
    """Requantization for MEAN with 1/count folded in, the way TFLite's reference derives it:
    shift the multiplier left by floor(log2(count)) bits (capped), then divide by count, truncating."""
    mult, shift = quantize_multiplier(real)
    extra = min(count.bit_length() - 1, 32, 31 + shift)
    return (mult << extra) // count, shift - extra


def float32(x: float) -> float:
    return float(np.float32(x))


def c_float(x: float) -> str:
    """An exact C99 literal for a float32 value (hexadecimal, so no decimal rounding is involved)."""
    value = float(np.float32(x))
    if value == 0.0:
        return "0.0f"
    return f"{value.hex()}f"
