"""The runtime's fixed-point primitives, called through a small shared-library shim.

Rounding primitives are checked against exact integer definitions; exp and the reciprocals
against math within their documented precision.
"""

from __future__ import annotations

import ctypes
import math
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.compiler import RUNTIME_DIR, RUNTIME_INCLUDE

INT32 = st.integers(-(2**31), 2**31 - 1)
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    out = tmp_path_factory.mktemp("shim") / "libshim.so"
    subprocess.run(
        [
            "cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-shared", "-fPIC",
            f"-I{RUNTIME_INCLUDE}", str(Path(__file__).with_name("fixedpoint_shim.c")),
            str(RUNTIME_DIR / "src" / "mf_fixedpoint.c"), "-o", str(out),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    shim = ctypes.CDLL(str(out))
    for name in ("shim_srdhm", "shim_rdbpot", "shim_mbqm", "shim_exp", "shim_recip", "shim_tanh_core"):
        getattr(shim, name).restype = ctypes.c_int32
    return shim


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _srdhm(a: int, b: int) -> int:
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    return _trunc_div(ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30)), 1 << 31)


def _round_half_away_pot(x: int, e: int) -> int:
    magnitude = (abs(x) + ((1 << e) >> 1)) >> e
    return magnitude if x >= 0 else -magnitude


@settings(max_examples=500, deadline=None)
@given(INT32, INT32)
def test_doubling_high_mul_equals_its_exact_definition(lib: ctypes.CDLL, a: int, b: int) -> None:
    assert lib.shim_srdhm(a, b) == _srdhm(a, b)


@settings(max_examples=500, deadline=None)
@given(INT32, st.integers(0, 31))
def test_divide_by_power_of_two_rounds_half_away_from_zero(lib: ctypes.CDLL, x: int, e: int) -> None:
    assert lib.shim_rdbpot(x, e) == _round_half_away_pot(x, e)


@settings(max_examples=500, deadline=None)
@given(st.integers(-(2**20), 2**20), st.integers(1 << 30, 2**31 - 1), st.integers(-31, 8))
def test_quantized_multiplier_is_within_one_of_the_real_product(
    lib: ctypes.CDLL, x: int, m: int, s: int
) -> None:
    exact = x * m * 2.0 ** (s - 31)
    if abs(exact) < 2**30:
        assert abs(lib.shim_mbqm(x, m, s) - exact) <= 1.0


@settings(max_examples=300, deadline=None)
@given(st.integers(-(31 << 26), 0))
def test_exp_of_q5_26_inputs_is_accurate_to_two_to_the_minus_20(lib: ctypes.CDLL, a: int) -> None:
    assert abs(lib.shim_exp(a, 5) / 2.0**31 - math.exp(a / 2.0**26)) < 2.0**-20


def test_exp_of_zero_is_the_largest_q0_31_value(lib: ctypes.CDLL) -> None:
    assert lib.shim_exp(0, 5) == INT32_MAX
    assert lib.shim_exp(0, 4) == INT32_MAX


@settings(max_examples=300, deadline=None)
@given(st.integers(0, INT32_MAX))
def test_one_over_one_plus_x_is_accurate_on_zero_to_one(lib: ctypes.CDLL, x: int) -> None:
    v = x / 2.0**31
    assert abs(lib.shim_recip(x) / 2.0**31 - 1.0 / (1.0 + v)) < 2.0**-26
    assert abs(lib.shim_tanh_core(x) / 2.0**31 - (1.0 - v) / (1.0 + v)) < 2.0**-26
