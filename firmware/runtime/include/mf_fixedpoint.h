/* Moteforge runtime: integer fixed-point primitives shared by the kernels.
 * Each reproduces TFLite Micro's reference integer arithmetic bit for bit; signed right shifts
 * are arithmetic on every compiler we target (gcc, clang). */
#ifndef MF_FIXEDPOINT_H
#define MF_FIXEDPOINT_H

#include <stdint.h>

/* round(a * b / 2^31), saturating the single overflow case a == b == INT32_MIN. */
static inline int32_t mf_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* Division, not a shift: it truncates toward zero, which the nudge above relies on. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31]. */
static inline int32_t mf_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^(shift - 31), with the left part of the shift applied before the multiply. */
static inline int32_t mf_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    /* Wraps like the reference when x << left overflows (only for out-of-range models). */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return mf_rounding_divide_by_pot(mf_sat_rounding_doubling_high_mul(shifted, multiplier), right);
}

static inline int32_t mf_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Q-format helpers for softmax, logistic and tanh (raw int32 values; Qm.n with m integer bits). */

/* x * 2^exponent with saturation, exponent in [1, 30]. */
static inline int32_t mf_saturating_shift_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a <= 0 given in Q(integer_bits).(31 - integer_bits); result in Q0.31. */
int32_t mf_exp_on_negative_values(int32_t a, int32_t integer_bits);

/* 1 / (1 + x) for x in [0, 1) in Q0.31; result in Q0.31. */
int32_t mf_one_over_one_plus_x(int32_t x);

/* (1 - x) / (1 + x) for x in [0, 1) in Q0.31; result in Q0.31. */
int32_t mf_one_minus_x_over_one_plus_x(int32_t x);

#endif /* MF_FIXEDPOINT_H */
