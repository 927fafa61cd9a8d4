"""Prepare-time quantization math: multipliers, shifts, activation ranges."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from firmware.codegen.quantization import (
    activation_range,
    c_float,
    mean_multiplier,
    quantize_multiplier,
    round_half_away,
)
from firmware.tflite.schema import Activation


def test_one_half_is_two_to_the_thirty_with_shift_zero() -> None:
    assert quantize_multiplier(0.5) == (1 << 30, 0)


def test_zero_scale_gives_zero_multiplier() -> None:
    assert quantize_multiplier(0.0) == (0, 0)


def test_mantissa_that_rounds_up_to_one_moves_into_the_shift() -> None:
    # Just below 1.0: the rounded Q31 mantissa would be 2^31, so it becomes 2^30 with shift + 1.
    assert quantize_multiplier(1.0 - 2.0**-40) == (1 << 30, 1)


def test_scales_below_two_to_the_minus_32_flush_to_zero() -> None:
    assert quantize_multiplier(2.0**-40) == (0, 0)


@given(st.floats(min_value=2.0**-30, max_value=2.0**29, allow_nan=False, allow_infinity=False))
def test_multiplier_and_shift_reconstruct_the_scale(real: float) -> None:
    mult, shift = quantize_multiplier(real)
    assert 1 << 30 <= mult < 1 << 31
    assert math.isclose(mult * 2.0 ** (shift - 31), real, rel_tol=2.0**-30)


def test_rounding_is_half_away_from_zero() -> None:
    assert [round_half_away(v) for v in (0.5, 1.5, 2.5, -0.5, -2.5, 2.4999)] == [1, 2, 3, -1, -3, 2]


def test_relu6_range_on_scale_a_tenth_and_zero_point_minus_100() -> None:
    assert activation_range(Activation.RELU6, 0.1, -100) == (-100, -40)


def test_relu_range_is_clamped_to_int8() -> None:
    assert activation_range(Activation.RELU, 0.1, -128) == (-128, 127)


def test_no_activation_spans_int8() -> None:
    assert activation_range(Activation.NONE, 0.3, 5) == (-128, 127)


def test_mean_multiplier_folds_the_division_by_fifteen() -> None:
    # input/output scale 3.6238..., 15 elements: 3 extra bits, then a truncating division.
    mult, shift = quantize_multiplier(3.623865)
    assert mean_multiplier(3.623865, 15) == ((mult << 3) // 15, shift - 3)


def test_float_literals_are_exact_hexadecimal() -> None:
    assert c_float(0.00390625) == "0x1.0000000000000p-8f"
    assert c_float(0.0) == "0.0f"
